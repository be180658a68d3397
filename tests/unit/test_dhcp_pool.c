/* The address pool: choice, offers that expire, bindings, release, decline. Fake clock. */
#include "check.h"
#include "dhcp/dhcp_pool.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static const uint8_t A[6] = {0x52, 0x54, 0, 0, 0, 0xa};
static const uint8_t B[6] = {0x52, 0x54, 0, 0, 0, 0xb};
static const uint8_t C[6] = {0x52, 0x54, 0, 0, 0, 0xc};
static const uint8_t D[6] = {0x52, 0x54, 0, 0, 0, 0xd};

static void test_init(void)
{
	struct bw_dhcp_pool p;

	CHECK_EQ_INT(bw_dhcp_pool_init(&p, IP(10, 0, 0, 20), IP(10, 0, 0, 10), 1, 1), -EINVAL);
	CHECK_EQ_INT(bw_dhcp_pool_init(&p, IP(10, 0, 0, 0), IP(10, 1, 0, 0), 1, 1), -E2BIG);
	CHECK_EQ_INT(bw_dhcp_pool_init(&p, IP(10, 0, 0, 0), IP(10, 0, 255, 255), 1, 1), 0);
	CHECK_EQ_U64(p.n, 65536);
	bw_dhcp_pool_done(&p);
	CHECK_EQ_INT(bw_dhcp_pool_init(&p, IP(10, 0, 0, 5), IP(10, 0, 0, 5), 1, 1), 0);
	CHECK_EQ_U64(p.n, 1);
	bw_dhcp_pool_done(&p);
}

static void test_offer_and_bind(void)
{
	struct bw_dhcp_pool p;
	uint32_t a = 0, b = 0, x = 0;
	uint64_t now = 1000;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 19), 5000, 60000);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now, &a), 0);
	CHECK_EQ_U64(a, IP(10, 0, 0, 10));
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now + 10, &x), 0);
	CHECK_EQ_U64(x, a); /* the same client gets the same offer */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, 0, now, &b), 0);
	CHECK_EQ_U64(b, IP(10, 0, 0, 11));
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, B, b, now, 3600000), 0);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, b, now, 3600000), -EACCES); /* another's address */
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, a, now, 3600000), 0);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, IP(10, 0, 0, 30), now, 1), -ERANGE);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, IP(10, 0, 0, 9), now, 1), -ERANGE);
	/* a bound client asking again keeps its address, even if it asks for another */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, IP(10, 0, 0, 15), now, &x), 0);
	CHECK_EQ_U64(x, b);
	/* the requested address when free, else the next free one */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, C, IP(10, 0, 0, 15), now, &x), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 15));
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, D, IP(10, 0, 0, 15), now, &x), 0);
	CHECK(x != IP(10, 0, 0, 15));
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, D, IP(192, 168, 1, 1), now, &x), 0); /* outside: ignored */
	/* a lease outlives nothing: after expiry the address is free for others */
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, C, b, now + 3600000, 1000), 0);
	bw_dhcp_pool_done(&p);
}

static void test_offers_expire(void)
{
	struct bw_dhcp_pool p;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
	uint32_t x;
	uint64_t now = 0;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 12), 2000, 60000);
	/* a flood of DISCOVERs from random MACs takes every address ... */
	for (int i = 0; i < 3; i++) {
		mac[5] = (uint8_t)i;
		CHECK_EQ_INT(bw_dhcp_pool_offer(&p, mac, 0, now, &x), 0);
	}
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now + 1999, &x), -ENOSPC);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 1999), 0);
	/* ... only until the offers lapse */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now + 2000, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, x, now + 2001, 60000), 0);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 2001), 2);
	bw_dhcp_pool_done(&p);
}

static void test_release_and_decline(void)
{
	struct bw_dhcp_pool p;
	uint32_t a, x;
	uint64_t now = 0;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 11), 1000, 30000);
	bw_dhcp_pool_offer(&p, A, 0, now, &a);
	bw_dhcp_pool_bind(&p, A, a, now, 600000);
	CHECK_EQ_INT(bw_dhcp_pool_release(&p, B, a), -EACCES); /* not B's */
	CHECK_EQ_INT(bw_dhcp_pool_release(&p, A, IP(10, 0, 0, 99)), -ERANGE);
	CHECK_EQ_INT(bw_dhcp_pool_release(&p, A, a), 0);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, a)->state, BW_DHCP_SLOT_FREE);
	CHECK_EQ_INT(bw_dhcp_pool_release(&p, A, a), -EACCES); /* twice */
	/* DECLINE: the address is in use by someone else on the wire; keep it out a while */
	bw_dhcp_pool_offer(&p, A, a, now, &x);
	CHECK_EQ_U64(x, a);
	bw_dhcp_pool_bind(&p, A, x, now, 600000);
	CHECK_EQ_INT(bw_dhcp_pool_decline(&p, B, x, now), -EACCES);
	CHECK_EQ_INT(bw_dhcp_pool_decline(&p, A, x, now), 0);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, a, now + 1, &x), 0);
	CHECK(x != a); /* quarantined: the client gets another address */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, a, now + 1, &x), -ENOSPC);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, a, now + 30000, &x), 0);
	CHECK_EQ_U64(x, a); /* back after the quarantine */
	bw_dhcp_pool_done(&p);
}

int main(void)
{
	test_init();
	test_offer_and_bind();
	test_offers_expire();
	test_release_and_decline();
	return check_summary();
}
