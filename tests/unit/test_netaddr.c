/* core/netaddr.h: the one strict parser and printer of MAC, IPv4, hex bytes and UUIDs. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "core/netaddr.h"

static void test_mac(void)
{
	static const uint8_t want[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	static const char *const good[] = {
		"52:54:00:ab:cd:ef", "52:54:00:AB:Cd:eF", "52-54-00-ab-cd-ef", "525400abcdef",
		"525400ABCDEF",
	};
	/* The first is what dhcp.reservations[].mac used to accept (sscanf "%2x"). */
	static const char *const bad[] = {
		"-1:+f: 1:0x:-2:ff", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "52:54-00:ab:cd:ef",
		"52:54:00:ab:cd:eg", " 52:54:00:ab:cd:ef", "52:54:00:ab:cd:ef ", "52:54:0:ab:cd:ef",
		"5:254:00:ab:cd:ef", "52:54:00:ab:cd:e", "0x52:54:00:ab:cd", "52.54.00.ab.cd.ef",
		"52 54 00 ab cd ef", "525400abcde", "525400abcdef0", "52:54:00:ab:cd:ef:",
		":52:54:00:ab:cd:ef", "52::54:00:ab:cd:ef", "+2:54:00:ab:cd:ef", "",
		"5254.00ab.cdef",
		"52:54:00:ab:cd:-f", "52:54:00:ab:cd:f-",
	};
	uint8_t mac[6];
	char s[BW_MAC_STRLEN];

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		check_context = good[i];
		memset(mac, 0, sizeof(mac));
		CHECK_EQ_INT(bw_mac_parse(good[i], strlen(good[i]), mac), 0);
		CHECK_EQ_MEM(mac, 6, want, 6);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_context = bad[i];
		memset(mac, 0x77, sizeof(mac));
		CHECK_EQ_INT(bw_mac_parse(bad[i], strlen(bad[i]), mac), -EINVAL);
		CHECK_EQ_MEM(mac, 6, "\x77\x77\x77\x77\x77\x77", 6); /* untouched */
	}
	check_context = NULL;
	/* len is what counts: a NUL inside, or bytes past len, are not read as part of it */
	CHECK_EQ_INT(bw_mac_parse("52:54:00:ab:cd:ef", 14, mac), -EINVAL);
	CHECK_EQ_INT(bw_mac_parse("52:54:00:ab:cd:efXX", 17, mac), 0);
	CHECK_EQ_INT(bw_mac_parse("52:54:00\0ab:cd:ef", 17, mac), -EINVAL);
	bw_mac_format(want, ':', s);
	CHECK_EQ_STR(s, "52:54:00:ab:cd:ef");
	bw_mac_format(want, '-', s);
	CHECK_EQ_STR(s, "52-54-00-ab-cd-ef");
	bw_mac_format((const uint8_t[6]){0xff, 0x0f, 1, 0, 0xfe, 0xff}, ':', s);
	CHECK_EQ_STR(s, "ff:0f:01:00:fe:ff");
}

static void test_ipv4(void)
{
	static const struct {
		const char *s;
		uint32_t v;
	} good[] = {
		{"0.0.0.0", 0},
		{"10.0.0.1", 0x0a000001u},
		{"255.255.255.255", 0xffffffffu},
		{"192.168.100.200", 0xc0a864c8u},
		{"1.20.100.0", 0x01146400u},
	};
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.1",
		"1.2.3.256",
		"010.0.0.1", "1.2.3.04", "00.1.2.3", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "-1.2.3.4",
		"1.2.3.0x1", "0x1.2.3.4", "1.2.3.4/24", "1,2,3,4", "1000.2.3.4", "1.2.3.a",
		"10.0.0.300", "::1",
	};
	char s[BW_IPV4_STRLEN];
	uint32_t a;
	unsigned bits;

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		check_context = good[i].s;
		a = 1;
		CHECK_EQ_INT(bw_ipv4_parse(good[i].s, strlen(good[i].s), &a), 0);
		CHECK_EQ_U64(a, good[i].v);
		bw_ipv4_format(good[i].v, s);
		CHECK_EQ_STR(s, good[i].s);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_context = bad[i];
		a = 7;
		CHECK_EQ_INT(bw_ipv4_parse(bad[i], strlen(bad[i]), &a), -EINVAL);
		CHECK_EQ_U64(a, 7);
	}
	check_context = NULL;
	CHECK_EQ_INT(bw_ipv4_parse("10.0.0.1\0", 9, &a), -EINVAL);
	CHECK_EQ_INT(bw_ipv4_parse("10.0.0.123", 8, &a), 0);
	CHECK_EQ_U64(a, 0x0a000001u);

	CHECK_EQ_INT(bw_ipv4_prefix_parse("10.77.0.0/24", 12, &a, &bits), 0);
	CHECK_EQ_U64(a, 0x0a4d0000u);
	CHECK_EQ_INT(bits, 24);
	CHECK_EQ_INT(bw_ipv4_prefix_parse("0.0.0.0/0", 9, &a, &bits), 0);
	CHECK_EQ_INT(bits, 0);
	CHECK_EQ_INT(bw_ipv4_prefix_parse("10.0.0.1/32", 11, &a, &bits), 0);
	CHECK_EQ_INT(bits, 32);
	static const char *const bad_prefix[] = {
		"10.0.0.0", "10.0.0.0/", "/24", "10.0.0.0/33", "10.0.0.0/024", "10.0.0.0/-1",
		"10.0.0.0/ 24", "10.0.0.0/24 ", "10.0.0/24", "10.0.0.0/24/1", "10.0.0.0//24",
		"10.0.0.0/0x18",
	};
	for (unsigned i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++) {
		check_context = bad_prefix[i];
		CHECK_EQ_INT(bw_ipv4_prefix_parse(bad_prefix[i], strlen(bad_prefix[i]), &a, &bits),
			     -EINVAL);
	}
	check_context = NULL;
	CHECK_EQ_U64(bw_ipv4_mask(0), 0);
	CHECK_EQ_U64(bw_ipv4_mask(1), 0x80000000u);
	CHECK_EQ_U64(bw_ipv4_mask(24), 0xffffff00u);
	CHECK_EQ_U64(bw_ipv4_mask(32), 0xffffffffu);
	CHECK_EQ_INT(bw_ipv4_mask_bits(0xffffff00u), 24);
	CHECK_EQ_INT(bw_ipv4_mask_bits(0), 0);
	CHECK_EQ_INT(bw_ipv4_mask_bits(0xffffffffu), 32);
	CHECK_EQ_INT(bw_ipv4_mask_bits(0xff00ff00u), -1);
	CHECK_EQ_INT(bw_ipv4_mask_bits(0x000000ffu), -1);
}

static void test_hex(void)
{
	static const char *const bad[] = {
		"", "0", "012", "01:", ":01", "01:5", "01:52-54", "01::52", "01:52:", "0x01",
		"01 52", "-1:+f", "zz", "01:zz", "0152:54", "01:5254",
	};
	uint8_t b[8];
	char s[32];
	size_t n = 99;

	CHECK_EQ_INT(bw_hex_parse("01:52:54:00:aa:bb:cc", 20, b, sizeof(b), &n), 0);
	CHECK_EQ_MEM(b, n, "\x01\x52\x54\x00\xaa\xbb\xcc", 7);
	CHECK_EQ_INT(bw_hex_parse("01-AB", 5, b, sizeof(b), &n), 0);
	CHECK_EQ_MEM(b, n, "\x01\xab", 2);
	CHECK_EQ_INT(bw_hex_parse("01ab", 4, b, sizeof(b), &n), 0);
	CHECK_EQ_MEM(b, n, "\x01\xab", 2);
	CHECK_EQ_INT(bw_hex_parse("ff", 2, b, sizeof(b), &n), 0);
	CHECK_EQ_MEM(b, n, "\xff", 1);
	/* cap: exactly full, one over */
	CHECK_EQ_INT(bw_hex_parse("0001020304050607", 16, b, 8, &n), 0);
	CHECK_EQ_INT(n, 8);
	n = 99;
	CHECK_EQ_INT(bw_hex_parse("000102030405060708", 18, b, 8, &n), -EINVAL);
	CHECK_EQ_INT(n, 99);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_context = bad[i];
		CHECK_EQ_INT(bw_hex_parse(bad[i], strlen(bad[i]), b, sizeof(b), &n), -EINVAL);
	}
	check_context = NULL;
	CHECK_EQ_INT(bw_hex_digit('0'), 0);
	CHECK_EQ_INT(bw_hex_digit('9'), 9);
	CHECK_EQ_INT(bw_hex_digit('a'), 10);
	CHECK_EQ_INT(bw_hex_digit('F'), 15);
	CHECK_EQ_INT(bw_hex_digit('g'), -1);
	CHECK_EQ_INT(bw_hex_digit('\0'), -1);
	CHECK_EQ_INT(bw_hex_digit(' '), -1);

	CHECK_EQ_INT(bw_hex_format((const uint8_t *)"\x01\xab\x00", 3, ':', s, sizeof(s)), 8);
	CHECK_EQ_STR(s, "01:ab:00");
	CHECK_EQ_INT(bw_hex_format((const uint8_t *)"\x01\xab\x00", 3, '\0', s, sizeof(s)), 6);
	CHECK_EQ_STR(s, "01ab00");
	CHECK_EQ_INT(bw_hex_format((const uint8_t *)"\x01\xab\x00", 3, ':', s, 5), 8);
	CHECK_EQ_STR(s, "01:a"); /* truncated, terminated */
	CHECK_EQ_INT(bw_hex_format(NULL, 0, ':', s, sizeof(s)), 0);
	CHECK_EQ_STR(s, "");
}

static void test_uuid(void)
{
	static const uint8_t want[16] = {0x8f, 0x3e, 0x0f, 0x1c, 0x9a, 0x4b, 0x4c, 0x5d,
					 0x8e, 0x6f, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab};
	static const char *const bad[] = {
		"8f3e0f1c-9a4b-4c5d-8e6f-0123456789a", "8f3e0f1c-9a4b-4c5d-8e6f0123456789ab-",
		"8f3e0f1c9a4b-4c5d-8e6f-0123456789ab", "8f3e0f1c-9a4b-4c5d-8e6f-0123456789ag",
		"8f3e0f1c:9a4b:4c5d:8e6f:0123456789ab", "{8f3e0f1c-9a4b-4c5d-8e6f-0123456789a}",
		"8f3e0f1c9a4b4c5d8e6f0123456789a", "", "8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab0",
	};
	uint8_t u[16];
	char s[BW_UUID_STRLEN];

	CHECK_EQ_INT(bw_uuid_parse("8F3E0F1C-9A4B-4C5D-8E6F-0123456789AB", 36, u), 0);
	CHECK_EQ_MEM(u, 16, want, 16);
	memset(u, 0, sizeof(u));
	CHECK_EQ_INT(bw_uuid_parse("8f3e0f1c9a4b4c5d8e6f0123456789ab", 32, u), 0);
	CHECK_EQ_MEM(u, 16, want, 16);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_context = bad[i];
		CHECK_EQ_INT(bw_uuid_parse(bad[i], strlen(bad[i]), u), -EINVAL);
	}
	check_context = NULL;
	bw_uuid_format(want, s);
	CHECK_EQ_STR(s, "8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab");
}

int main(void)
{
	test_mac();
	test_ipv4();
	test_hex();
	test_uuid();
	return check_summary();
}
