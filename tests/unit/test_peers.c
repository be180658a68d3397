/* The address -> MAC table: learn, look up, replace, IPv4 and IPv6, bounded buckets. */
#include <arpa/inet.h>

#include "check.h"
#include "core/peers.h"

static struct sockaddr_in v4(const char *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1234)};

	inet_pton(AF_INET, s, &a.sin_addr);
	return a;
}

int main(void)
{
	struct bw_peers *p = bw_peers_new();
	const uint8_t m1[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56}, m2[6] = {2, 0, 0, 0, 0, 2};
	struct sockaddr_in a = v4("10.0.0.5"), b = v4("10.0.0.6");
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	uint8_t got[6];
	char s[18];

	CHECK(p != NULL);
	CHECK(!bw_peers_lookup(p, (struct sockaddr *)&a, got));
	CHECK(!bw_peers_lookup(NULL, (struct sockaddr *)&a, got));
	bw_peers_learn(p, (struct sockaddr *)&a, m1, 1);
	CHECK(bw_peers_lookup(p, (struct sockaddr *)&a, got));
	CHECK_EQ_MEM(got, 6, m1, 6);
	CHECK_EQ_STR(bw_peers_mac_str(p, (struct sockaddr *)&a, s), "52:54:00:12:34:56");
	CHECK(bw_peers_mac_str(p, (struct sockaddr *)&b, s) == NULL);
	/* the port does not matter; learning again replaces */
	a.sin_port = htons(69);
	bw_peers_learn_v4(p, 0x0a000005u, m2, "node2", 2);
	CHECK(bw_peers_lookup(p, (struct sockaddr *)&a, got));
	CHECK_EQ_MEM(got, 6, m2, 6);
	/* the host name DHCP gave; kept by a learn without one for the same MAC, dropped when
	 * another MAC takes the address */
	CHECK(bw_peers_hostname(p, (struct sockaddr *)&a, s, sizeof(s)));
	CHECK_EQ_STR(s, "node2");
	bw_peers_learn(p, (struct sockaddr *)&a, m2, 3);
	CHECK(bw_peers_hostname(p, (struct sockaddr *)&a, s, sizeof(s)));
	bw_peers_learn(p, (struct sockaddr *)&a, m1, 4);
	CHECK(!bw_peers_hostname(p, (struct sockaddr *)&a, s, sizeof(s)));
	bw_peers_learn_v4(p, 0x0a000005u, m2, "node2", 5);
	/* IPv6, and an IPv4-mapped one is not the IPv4 address's twin by accident */
	inet_pton(AF_INET6, "fd00::5", &a6.sin6_addr);
	CHECK(!bw_peers_lookup(p, (struct sockaddr *)&a6, got));
	bw_peers_learn(p, (struct sockaddr *)&a6, m1, 3);
	CHECK(bw_peers_lookup(p, (struct sockaddr *)&a6, got));
	CHECK_EQ_MEM(got, 6, m1, 6);
	/* bounded: 100000 addresses fit in a fixed table; the newest are found */
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t m[6] = {2, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 9};
		bw_peers_learn_v4(p, 0x0b000000u + i, m, NULL, 10 + i);
	}
	struct sockaddr_in last = v4("11.1.134.159"); /* 0x0b000000 + 99999 */
	CHECK(bw_peers_lookup(p, (struct sockaddr *)&last, got));
	CHECK_EQ_INT(got[4], (uint8_t)99999);
	bw_peers_free(p);
	bw_peers_free(NULL);
	return check_summary();
}
