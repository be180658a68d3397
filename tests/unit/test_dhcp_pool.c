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
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 1999), 0);
	/* ... but a real client still gets one: the oldest pending offer is taken over */
	mac[5] = 1; /* the flood's second offer is refreshed: now the first is the oldest */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, mac, 0, now + 10, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now + 1999, &x), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 10));
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, x, now + 2000, 60000), 0);
	mac[5] = 0; /* the client whose offer was taken over is refused at its REQUEST */
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, mac, x, now + 2000, 60000), -EACCES);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 2001), 1); /* the third offer lapsed */
	/* ... and the others lapse */
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 2010), 2);
	/* bound addresses are never taken over */
	for (int i = 0; i < 2; i++) {
		mac[5] = (uint8_t)(10 + i);
		CHECK_EQ_INT(bw_dhcp_pool_offer(&p, mac, 0, now + 3000, &x), 0);
		CHECK_EQ_INT(bw_dhcp_pool_bind(&p, mac, x, now + 3000, 60000), 0);
	}
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, 0, now + 3001, &x), -ENOSPC);
	bw_dhcp_pool_done(&p);
}

/* Issue 11: an address offered to A is not granted to B while the offer stands; A's
 * REQUEST gets it. Only an offer that took over another (the pool was full) can be lost. */
static void test_offer_stands(void)
{
	struct bw_dhcp_pool p;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
	uint32_t a, x;
	uint64_t now = 1000;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 11), 5000, 60000);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now, &a), 0);
	CHECK(!bw_dhcp_pool_slot(&p, a)->taken_over);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, B, a, now + 1, 60000), -EBUSY);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, a)->state, BW_DHCP_SLOT_OFFERED);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, B, a, now + 4999, 60000), -EBUSY);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, a, now + 4999, 60000), 0);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, A, now + 5000, &x, NULL), 0);
	CHECK_EQ_U64(x, a);
	/* once the offer timed out the address is anybody's */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, C, 0, now, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, D, x, now + 5000, 60000), 0);
	bw_dhcp_pool_done(&p);
	/* a full pool: the flood's take-over offers go to whoever REQUESTs first */
	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 11), 5000, 60000);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now, &a), 0);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, 0, now, &x), 0);
	mac[5] = 1;
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, mac, 0, now + 1, &x), 0); /* takes A's */
	CHECK_EQ_U64(x, a);
	CHECK(bw_dhcp_pool_slot(&p, a)->taken_over);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, a, now + 2, 60000), 0);
	CHECK(!bw_dhcp_pool_slot(&p, a)->taken_over);
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
	CHECK_EQ_INT(bw_dhcp_pool_decline(&p, B, x, now, NULL), -EACCES);
	CHECK_EQ_INT(bw_dhcp_pool_decline(&p, A, x, now, NULL), 0);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, a, now + 1, &x), 0);
	CHECK(x != a); /* quarantined: the client gets another address */
	bw_dhcp_pool_bind(&p, A, x, now + 1, 600000);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, a, now + 1, &x), -ENOSPC);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, a, now + 30000, &x), 0);
	CHECK_EQ_U64(x, a); /* back after the quarantine */
	bw_dhcp_pool_done(&p);
}

/* bind + DECLINE of a new address by mac at now; what the DECLINE released early. */
static struct bw_dhcp_trim bind_decline(struct bw_dhcp_pool *p, const uint8_t *mac, uint64_t now,
					uint32_t *ret_addr)
{
	struct bw_dhcp_trim t = {0};
	uint32_t x = 0;

	CHECK_EQ_INT(bw_dhcp_pool_offer(p, mac, 0, now, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_bind(p, mac, x, now, 600000), 0);
	CHECK_EQ_INT(bw_dhcp_pool_decline(p, mac, x, now, &t), 0);
	CHECK_EQ_INT(bw_dhcp_pool_slot(p, x)->state, BW_DHCP_SLOT_DECLINED);
	if (ret_addr)
		*ret_addr = x;
	return t;
}

static size_t quarantined(const struct bw_dhcp_pool *p, uint64_t now)
{
	size_t n = 0;

	for (uint32_t a = p->first; a <= p->last; a++) {
		const struct bw_dhcp_slot *s = bw_dhcp_pool_slot(p, a);

		n += s->state == BW_DHCP_SLOT_DECLINED && s->expires_ms > now;
	}
	return n;
}

/* Issue 11: 40 DECLINEs quarantined the whole 20-address pool. One client holds at most
 * decline_per_mac quarantined addresses, the pool at most decline_percent of its addresses;
 * past a cap the oldest quarantine is released. Only the client bound to an address can
 * DECLINE it. */
static void test_decline_caps(void)
{
	struct bw_dhcp_pool p;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
	struct bw_dhcp_trim t;
	uint32_t first = 0, x = 0, y;
	uint64_t now = 1000000;
	unsigned worst = 0;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 100), IP(10, 0, 0, 119), 5000, 600000);
	bw_dhcp_pool_set_decline_caps(&p, 2, 25); /* 5 of 20 */
	/* an offer is no binding; another client's binding is not A's */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, A, 0, now, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_decline(&p, A, x, now, &t), -EACCES);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, x, now, 600000), 0);
	CHECK_EQ_INT(bw_dhcp_pool_decline(&p, B, x, now, &t), -EACCES);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, x)->state, BW_DHCP_SLOT_BOUND);
	CHECK_EQ_INT(bw_dhcp_pool_release(&p, A, x), 0);
	/* one client, 5 DECLINEs: its 2 newest stay quarantined */
	t = bind_decline(&p, A, now, &first);
	CHECK_EQ_INT(t.by_client + t.by_pool, 0);
	CHECK_EQ_INT(t.held, 1);
	bind_decline(&p, A, now + 1, NULL);
	t = bind_decline(&p, A, now + 2, &x);
	CHECK_EQ_INT(t.by_client, 1);
	CHECK_EQ_INT(t.by_pool, 0);
	CHECK_EQ_U64(t.first, first); /* the oldest */
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, first)->state, BW_DHCP_SLOT_FREE);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, x)->state, BW_DHCP_SLOT_DECLINED); /* the newest */
	bind_decline(&p, A, now + 3, NULL);
	bind_decline(&p, A, now + 4, NULL);
	CHECK_EQ_U64(quarantined(&p, now + 5), 2);
	/* 40 clients, one DECLINE each: never more than 5 quarantined, 15 addresses usable */
	for (int i = 0; i < 40; i++) {
		mac[5] = (uint8_t)i;
		t = bind_decline(&p, mac, now + 10 + (uint64_t)i, &y);
		if (t.held > worst)
			worst = t.held;
		CHECK_EQ_U64(quarantined(&p, now + 10 + (uint64_t)i), t.held);
	}
	CHECK_EQ_INT(worst, 5);
	CHECK_EQ_INT(t.held, 5);
	CHECK_EQ_INT(t.by_pool, 1);
	CHECK_EQ_INT(t.pool_cap, 5);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, y)->state, BW_DHCP_SLOT_DECLINED); /* the newest stays */
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 100), 15);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, 0, now + 100, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, B, x, now + 100, 600000), 0);
	/* a lowered cap (a reload) applies at the next trim: 10% of 20 is 2 */
	bw_dhcp_pool_set_decline_caps(&p, 2, 10);
	CHECK_EQ_INT(bw_dhcp_pool_trim_quarantine(&p, now + 100, &t), 0);
	CHECK_EQ_INT(t.by_pool, 3);
	CHECK_EQ_INT(t.held, 2);
	CHECK_EQ_U64(quarantined(&p, now + 100), 2);
	bw_dhcp_pool_done(&p);

	/* rows restored from the store: trimmed oldest first; a tiny pool still allows one */
	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 12), 5000, 600000);
	bw_dhcp_pool_set_decline_caps(&p, 2, 25); /* 25% of 3: still one */
	for (int i = 0; i < 3; i++) {
		mac[5] = (uint8_t)(100 + i);
		CHECK_EQ_INT(bw_dhcp_pool_restore(&p, mac, IP(10, 0, 0, 10) + (uint32_t)i,
						  BW_DHCP_SLOT_DECLINED, now + 3000 - (uint64_t)i,
						  now), 0);
	}
	CHECK_EQ_INT(bw_dhcp_pool_trim_quarantine(&p, now, &t), 0);
	CHECK_EQ_INT(t.by_pool, 2);
	CHECK_EQ_INT(t.held, 1);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, IP(10, 0, 0, 10))->state, BW_DHCP_SLOT_DECLINED);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now), 2);
	bw_dhcp_pool_done(&p);
}

/* The MAC index under churn: many clients, addresses changing hands, lookups stay right. */
static void test_index_churn(void)
{
	struct bw_dhcp_pool p;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
	uint32_t x, y;
	uint64_t now = 0;
	unsigned bad = 0;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 0), IP(10, 0, 3, 255), 1000, 1000);
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 3000; i++) {
			mac[3] = (uint8_t)round;
			mac[4] = (uint8_t)(i >> 8);
			mac[5] = (uint8_t)i;
			if (bw_dhcp_pool_offer(&p, mac, 0, now, &x) < 0) {
				bad++;
				continue;
			}
			if (i % 3 == 0 && bw_dhcp_pool_bind(&p, mac, x, now, 500) < 0)
				bad++;
			if (bw_dhcp_pool_find(&p, mac, now, &y, NULL) < 0 || y != x)
				bad++;
		}
		now += 2000; /* everything lapses */
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now), 1024);
	bw_dhcp_pool_done(&p);
}

static void test_reserve_restore(void)
{
	struct bw_dhcp_pool p;
	uint32_t x;
	enum bw_dhcp_slot_state st;
	uint64_t now = 100000;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 13), 1000, 30000);
	CHECK_EQ_INT(bw_dhcp_pool_reserve(&p, IP(10, 0, 0, 10)), 0);
	CHECK_EQ_INT(bw_dhcp_pool_reserve(&p, IP(10, 0, 0, 99)), -ERANGE);
	CHECK_EQ_INT(bw_dhcp_pool_restore(&p, A, IP(10, 0, 0, 11), BW_DHCP_SLOT_BOUND, now + 5000,
					  now), 0);
	CHECK_EQ_INT(bw_dhcp_pool_restore(&p, B, IP(10, 0, 0, 11), BW_DHCP_SLOT_BOUND, now + 5000,
					  now), -EEXIST);
	CHECK_EQ_INT(bw_dhcp_pool_restore(&p, B, IP(10, 0, 0, 10), BW_DHCP_SLOT_BOUND, now + 5000,
					  now), -EEXIST); /* reserved */
	CHECK_EQ_INT(bw_dhcp_pool_restore(&p, B, IP(10, 0, 0, 12), BW_DHCP_SLOT_DECLINED,
					  now + 5000, now), 0);
	CHECK_EQ_INT(bw_dhcp_pool_restore(&p, C, IP(10, 0, 0, 13), BW_DHCP_SLOT_BOUND, now - 1,
					  now), 0); /* lapsed: remembered, free */
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, A, now, &x, &st), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 11));
	CHECK_EQ_INT(st, BW_DHCP_SLOT_BOUND);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, C, now, &x, NULL), -ENOENT);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now), 1);
	/* C comes back and gets its old address; B gets nothing (reserved, bound, declined) */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, C, 0, now, &x), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 13));
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, C, x, now, 60000), 0);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, 0, now, &x), -ENOSPC);
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, B, IP(10, 0, 0, 10), now, 60000), -EACCES);
	/* binding another address lets the old one go */
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, C, IP(10, 0, 0, 12), now + 5000, 60000), 0);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now + 5000), 2); /* 13, and A's lapsed 11 */
	bw_dhcp_pool_done(&p);
}

/* bind with its undo taken first, as the server does */
static int bind_undoable(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 uint64_t now, uint32_t lease_ms, struct bw_dhcp_pool_undo *u)
{
	bw_dhcp_pool_undo_prepare(p, mac, addr, now + lease_ms, u);
	return bw_dhcp_pool_bind(p, mac, addr, now, lease_ms);
}

/* A commit that failed: the binding is undone, the address is what it was before. The
 * issue's figure: 30 failed commits left 30 addresses bound until a restart. */
static void test_unbind(void)
{
	struct bw_dhcp_pool p;
	struct bw_dhcp_pool_undo u, u2;
	enum bw_dhcp_slot_state st;
	uint32_t a = 0, x = 0;
	uint64_t now = 1000;

	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 49), 5000, 60000);
	/* 30 clients: DISCOVER, REQUEST, commit fails; every address is free again */
	for (unsigned i = 0; i < 30; i++) {
		uint8_t m[6] = {0x52, 0x54, 1, 0, 0, (uint8_t)i};

		CHECK_EQ_INT(bw_dhcp_pool_offer(&p, m, 0, now, &a), 0);
		CHECK_EQ_INT(bind_undoable(&p, m, a, now, 3600000, &u), 0);
		CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), 0);
		/* the offer is not kept either: the address is free, its client remembered */
		CHECK_EQ_INT(bw_dhcp_pool_find(&p, m, now, &x, NULL), -ENOENT);
	}
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now), 40);
	/* the client that retries gets its address again */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, (uint8_t[6]){0x52, 0x54, 1, 0, 0, 7}, 0, now, &x), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 17));
	/* a free address bound without an offer (INIT-REBOOT) is free again */
	CHECK_EQ_INT(bind_undoable(&p, A, IP(10, 0, 0, 40), now, 3600000, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, IP(10, 0, 0, 40))->state, BW_DHCP_SLOT_FREE);
	CHECK_EQ_U64(bw_dhcp_pool_free_count(&p, now), 39); /* 17 is offered */
	/* a renewal that failed: the previous lease stands, with its old expiry */
	CHECK_EQ_INT(bw_dhcp_pool_bind(&p, A, IP(10, 0, 0, 40), now, 60000), 0);
	CHECK_EQ_INT(bind_undoable(&p, A, IP(10, 0, 0, 40), now + 30000, 60000, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, A, now + 30000, &x, &st), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 40));
	CHECK_EQ_INT(st, BW_DHCP_SLOT_BOUND);
	CHECK_EQ_U64(bw_dhcp_pool_slot(&p, x)->expires_ms, now + 60000);
	/* a client moving to another address gets its old lease back, and the new one is free */
	CHECK_EQ_INT(bind_undoable(&p, A, IP(10, 0, 0, 41), now + 30000, 60000, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, IP(10, 0, 0, 40))->state, BW_DHCP_SLOT_FREE);
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, A, now + 30000, &x, NULL), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 40));
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, IP(10, 0, 0, 41))->state, BW_DHCP_SLOT_FREE);
	/* a later binding of the same client is not undone by the earlier one's failure */
	CHECK_EQ_INT(bind_undoable(&p, B, IP(10, 0, 0, 42), now, 60000, &u), 0);
	CHECK_EQ_INT(bind_undoable(&p, B, IP(10, 0, 0, 42), now + 1, 60000, &u2), 0);
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), -ESTALE);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, IP(10, 0, 0, 42))->state, BW_DHCP_SLOT_BOUND);
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u2), 0); /* back to B's first binding */
	CHECK_EQ_U64(bw_dhcp_pool_slot(&p, IP(10, 0, 0, 42))->expires_ms, now + 60000);
	/* another client's standing offer is not bound at all: nothing to undo */
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, C, IP(10, 0, 0, 45), now, &x), 0);
	CHECK_EQ_U64(x, IP(10, 0, 0, 45));
	CHECK_EQ_INT(bind_undoable(&p, D, x, now, 60000, &u), -EBUSY);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, x)->state, BW_DHCP_SLOT_OFFERED);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, D, now, &x, NULL), -ENOENT);
	/* nothing to undo outside the pool */
	memset(&u, 0, sizeof(u));
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), -ERANGE);
	bw_dhcp_pool_done(&p);
	/* an address taken from another client's take-over offer (a full pool) goes back to
	 * free, not to that offer */
	bw_dhcp_pool_init(&p, IP(10, 0, 0, 10), IP(10, 0, 0, 10), 5000, 60000);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, C, 0, now, &x), 0);
	CHECK_EQ_INT(bw_dhcp_pool_offer(&p, B, 0, now + 1, &x), 0); /* takes C's */
	CHECK_EQ_INT(bind_undoable(&p, D, x, now + 2, 60000, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_unbind(&p, &u), 0);
	CHECK_EQ_INT(bw_dhcp_pool_slot(&p, x)->state, BW_DHCP_SLOT_FREE);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, D, now + 2, &x, NULL), -ENOENT);
	CHECK_EQ_INT(bw_dhcp_pool_find(&p, B, now + 2, &x, NULL), -ENOENT);
	bw_dhcp_pool_done(&p);
}

int main(void)
{
	test_init();
	test_index_churn();
	test_reserve_restore();
	test_offer_and_bind();
	test_offers_expire();
	test_offer_stands();
	test_release_and_decline();
	test_unbind();
	test_decline_caps();
	return check_summary();
}
