#include "dhcp/dhcp_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bw_dhcp_pool_init(struct bw_dhcp_pool *p, uint32_t first, uint32_t last, uint32_t offer_ms,
		      uint32_t quarantine_ms)
{
	uint64_t n;
	size_t cap = 16;

	memset(p, 0, sizeof(*p));
	if (last < first)
		return -EINVAL;
	n = (uint64_t)last - first + 1;
	if (n > BW_DHCP_POOL_MAX)
		return -E2BIG;
	while (cap < 2 * n)
		cap *= 2;
	p->slots = calloc((size_t)n, sizeof(*p->slots));
	p->idx = calloc(cap, sizeof(*p->idx));
	if (!p->slots || !p->idx) {
		bw_dhcp_pool_done(p);
		return -ENOMEM;
	}
	p->idx_mask = cap - 1;
	p->first = first;
	p->last = last;
	p->n = (size_t)n;
	p->offer_ms = offer_ms;
	p->quarantine_ms = quarantine_ms;
	return 0;
}

void bw_dhcp_pool_done(struct bw_dhcp_pool *p)
{
	free(p->slots);
	free(p->idx);
	p->slots = NULL;
	p->idx = NULL;
	p->n = 0;
}

/* ---- the MAC index ---- */

static size_t pool_hash(const uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 29));
}

static struct bw_dhcp_pool_idx *pool_idx_find(const struct bw_dhcp_pool *p, const uint8_t mac[6])
{
	for (size_t i = pool_hash(mac) & p->idx_mask;; i = (i + 1) & p->idx_mask) {
		struct bw_dhcp_pool_idx *e = &p->idx[i];

		if (!e->used)
			return NULL;
		if (memcmp(e->mac, mac, 6) == 0)
			return e;
	}
}

static void pool_idx_set(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t slot)
{
	size_t i;

	for (i = pool_hash(mac) & p->idx_mask; p->idx[i].used; i = (i + 1) & p->idx_mask)
		if (memcmp(p->idx[i].mac, mac, 6) == 0)
			break;
	p->idx[i].used = true;
	memcpy(p->idx[i].mac, mac, 6);
	p->idx[i].slot = slot;
}

/* Removes mac's entry, shifting later entries of the probe run back (no tombstones). */
static void pool_idx_del(struct bw_dhcp_pool *p, const uint8_t mac[6])
{
	struct bw_dhcp_pool_idx *e = pool_idx_find(p, mac);
	size_t hole, i;

	if (!e)
		return;
	hole = (size_t)(e - p->idx);
	p->idx[hole].used = false;
	for (i = (hole + 1) & p->idx_mask; p->idx[i].used; i = (i + 1) & p->idx_mask) {
		size_t home = pool_hash(p->idx[i].mac) & p->idx_mask;

		/* Move the entry into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & p->idx_mask) >= ((i - hole) & p->idx_mask)) {
			p->idx[hole] = p->idx[i];
			p->idx[i].used = false;
			hole = i;
		}
	}
}

/* ---- slots ---- */

static struct bw_dhcp_slot *pool_slot(const struct bw_dhcp_pool *p, uint32_t addr)
{
	if (addr < p->first || addr > p->last)
		return NULL;
	return &p->slots[addr - p->first];
}

const struct bw_dhcp_slot *bw_dhcp_pool_slot(const struct bw_dhcp_pool *p, uint32_t addr)
{
	return pool_slot(p, addr);
}

/* A slot whose state has lapsed is free again; reserved slots never are. */
static bool pool_is_free(const struct bw_dhcp_slot *s, uint64_t now)
{
	if (s->state == BW_DHCP_SLOT_RESERVED)
		return false;
	return s->state == BW_DHCP_SLOT_FREE || s->expires_ms <= now;
}

static bool pool_held_by(const struct bw_dhcp_slot *s, const uint8_t mac[6], uint64_t now)
{
	return (s->state == BW_DHCP_SLOT_OFFERED || s->state == BW_DHCP_SLOT_BOUND) &&
	       s->expires_ms > now && s->has_mac && memcmp(s->mac, mac, 6) == 0;
}

/* Forgets the MAC of slot i (its index entry goes too). */
static void pool_forget(struct bw_dhcp_pool *p, struct bw_dhcp_slot *s)
{
	if (s->has_mac) {
		struct bw_dhcp_pool_idx *e = pool_idx_find(p, s->mac);

		if (e && &p->slots[e->slot] == s)
			pool_idx_del(p, s->mac);
	}
	s->has_mac = false;
	memset(s->mac, 0, 6);
}

/* Gives slot s to mac in state until `until`; mac's other slot, if any, is let go. */
static void pool_assign(struct bw_dhcp_pool *p, struct bw_dhcp_slot *s, const uint8_t mac[6],
			enum bw_dhcp_slot_state state, uint64_t until)
{
	struct bw_dhcp_pool_idx *e = pool_idx_find(p, mac);
	uint32_t i = (uint32_t)(s - p->slots);

	if (e && e->slot != i) {
		struct bw_dhcp_slot *old = &p->slots[e->slot];

		if (old->state == BW_DHCP_SLOT_OFFERED || old->state == BW_DHCP_SLOT_BOUND) {
			old->state = BW_DHCP_SLOT_FREE;
			old->expires_ms = 0;
		}
		pool_forget(p, old);
	}
	if (s->has_mac && memcmp(s->mac, mac, 6) != 0)
		pool_forget(p, s);
	s->state = state;
	s->has_mac = true;
	memcpy(s->mac, mac, 6);
	s->expires_ms = until;
	if (state == BW_DHCP_SLOT_OFFERED)
		s->offer_seq = p->offer_seq++;
	s->taken_over = false;
	pool_idx_set(p, mac, i);
}

static struct bw_dhcp_slot *pool_mine(const struct bw_dhcp_pool *p, const uint8_t mac[6])
{
	struct bw_dhcp_pool_idx *e = pool_idx_find(p, mac);

	return e ? &p->slots[e->slot] : NULL;
}

/* The offer made longest ago, when every address is taken. */
static struct bw_dhcp_slot *pool_oldest_offer(struct bw_dhcp_pool *p, uint64_t now)
{
	struct bw_dhcp_slot *best = NULL;

	for (size_t i = 0; i < p->n; i++) {
		struct bw_dhcp_slot *s = &p->slots[i];

		/* By sequence, not time: offers made in the same millisecond are not equal. */
		if (s->state == BW_DHCP_SLOT_OFFERED && s->expires_ms > now &&
		    (!best || (int32_t)(s->offer_seq - best->offer_seq) < 0))
			best = s;
	}
	return best;
}

int bw_dhcp_pool_offer(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t requested,
		       uint64_t now, uint32_t *ret_addr)
{
	struct bw_dhcp_slot *s = pool_mine(p, mac);

	if (s && pool_held_by(s, mac, now)) {
		if (s->state == BW_DHCP_SLOT_OFFERED) {
			s->expires_ms = now + p->offer_ms;
			s->offer_seq = p->offer_seq++;
		}
		goto found;
	}
	if (s && pool_is_free(s, now))
		goto hold; /* its old address, still untaken */
	s = pool_slot(p, requested);
	if (s && pool_is_free(s, now))
		goto hold;
	for (size_t k = 0; k < p->n; k++) {
		size_t i = (p->next + k) % p->n;

		s = &p->slots[i];
		if (pool_is_free(s, now)) {
			p->next = (uint32_t)((i + 1) % p->n);
			goto hold;
		}
	}
	s = pool_oldest_offer(p, now);
	if (!s)
		return -ENOSPC;
	pool_assign(p, s, mac, BW_DHCP_SLOT_OFFERED, now + p->offer_ms);
	s->taken_over = true;
	goto found;
hold:
	pool_assign(p, s, mac, BW_DHCP_SLOT_OFFERED, now + p->offer_ms);
found:
	*ret_addr = p->first + (uint32_t)(s - p->slots);
	return 0;
}

int bw_dhcp_pool_bind(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
		      uint64_t now, uint32_t lease_ms)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (!pool_is_free(s, now) && !pool_held_by(s, mac, now)) {
		if (s->state != BW_DHCP_SLOT_OFFERED)
			return -EACCES;
		if (!s->taken_over)
			return -EBUSY;
	}
	pool_assign(p, s, mac, BW_DHCP_SLOT_BOUND, now + lease_ms);
	return 0;
}

int bw_dhcp_pool_release(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (s->state != BW_DHCP_SLOT_BOUND && s->state != BW_DHCP_SLOT_OFFERED)
		return -EACCES;
	if (!s->has_mac || memcmp(s->mac, mac, 6) != 0)
		return -EACCES;
	/* Keep the MAC: the client gets the same address back if nobody takes it meanwhile. */
	s->state = BW_DHCP_SLOT_FREE;
	s->expires_ms = 0;
	return 0;
}

/* ---- the quarantine ---- */

struct pool_q {
	uint64_t expires;
	uint32_t slot;
	uint8_t mac[6];
};

/* Oldest first: the quarantine that ends first, then the lower address. */
static int pool_q_by_age(const void *a, const void *b)
{
	const struct pool_q *x = a, *y = b;

	if (x->expires != y->expires)
		return x->expires < y->expires ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* By client, each client's newest first. */
static int pool_q_by_client(const void *a, const void *b)
{
	const struct pool_q *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, 6);

	return c ? c : -pool_q_by_age(a, b);
}

static bool pool_is_quarantined(const struct bw_dhcp_slot *s, uint64_t now)
{
	return s->state == BW_DHCP_SLOT_DECLINED && s->expires_ms > now;
}

static void pool_q_release(struct bw_dhcp_pool *p, struct pool_q *e, unsigned *count,
			   struct bw_dhcp_trim *t)
{
	struct bw_dhcp_slot *s = &p->slots[e->slot];

	s->state = BW_DHCP_SLOT_FREE;
	s->expires_ms = 0;
	e->expires = 0; /* marks it released in the list */
	(*count)++;
	if (!t->first)
		t->first = p->first + e->slot;
}

static unsigned pool_cap(const struct bw_dhcp_pool *p)
{
	uint64_t cap = (uint64_t)p->n * p->decline_percent / 100;

	return !p->decline_percent ? (unsigned)p->n : cap ? (unsigned)cap : 1;
}

/* Releases the oldest of q (k entries, oldest first; released ones have expires 0) until
 * the pool holds no more than its cap. */
static void pool_trim_pool(struct bw_dhcp_pool *p, struct pool_q *q, size_t k,
			   struct bw_dhcp_trim *t)
{
	size_t held = 0;

	for (size_t i = 0; i < k; i++)
		held += q[i].expires != 0;
	for (size_t i = 0; i < k && held > t->pool_cap; i++) {
		if (!q[i].expires)
			continue;
		pool_q_release(p, &q[i], &t->by_pool, t);
		held--;
	}
	t->held = (unsigned)held;
}

int bw_dhcp_pool_trim_quarantine(struct bw_dhcp_pool *p, uint64_t now,
				 struct bw_dhcp_trim *ret_trim)
{
	struct bw_dhcp_trim t = {.pool_cap = pool_cap(p)};
	struct pool_q *q;
	size_t k = 0, run = 0;

	for (size_t i = 0; i < p->n; i++)
		k += pool_is_quarantined(&p->slots[i], now);
	q = malloc((k ? k : 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	k = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct bw_dhcp_slot *s = &p->slots[i];

		if (!pool_is_quarantined(s, now))
			continue;
		q[k] = (struct pool_q){.expires = s->expires_ms, .slot = (uint32_t)i};
		memcpy(q[k++].mac, s->decliner, 6);
	}
	qsort(q, k, sizeof(*q), pool_q_by_client);
	for (size_t i = 0; p->decline_per_mac && i < k; i++) {
		run = i && !memcmp(q[i].mac, q[i - 1].mac, 6) ? run + 1 : 1;
		if (run > p->decline_per_mac)
			pool_q_release(p, &q[i], &t.by_client, &t);
	}
	qsort(q, k, sizeof(*q), pool_q_by_age);
	pool_trim_pool(p, q, k, &t);
	free(q);
	if (ret_trim)
		*ret_trim = t;
	return 0;
}

int bw_dhcp_pool_decline(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 uint64_t now, struct bw_dhcp_trim *ret_trim)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (s->state != BW_DHCP_SLOT_BOUND || !pool_held_by(s, mac, now))
		return -EACCES;
	pool_forget(p, s);
	s->state = BW_DHCP_SLOT_DECLINED;
	s->expires_ms = now + p->quarantine_ms;
	memcpy(s->decliner, mac, 6);
	if (bw_dhcp_pool_trim_quarantine(p, now, ret_trim) < 0 && ret_trim)
		*ret_trim = (struct bw_dhcp_trim){0}; /* over the cap until the next DECLINE */
	return 0;
}

void bw_dhcp_pool_set_decline_caps(struct bw_dhcp_pool *p, uint32_t per_mac, uint32_t percent)
{
	p->decline_per_mac = per_mac;
	p->decline_percent = percent;
}

int bw_dhcp_pool_reserve(struct bw_dhcp_pool *p, uint32_t addr)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	pool_forget(p, s);
	s->state = BW_DHCP_SLOT_RESERVED;
	s->expires_ms = 0;
	return 0;
}

int bw_dhcp_pool_unreserve(struct bw_dhcp_pool *p, uint32_t addr)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (s->state != BW_DHCP_SLOT_RESERVED)
		return -ENOENT;
	s->state = BW_DHCP_SLOT_FREE;
	return 0;
}

void bw_dhcp_pool_set_times(struct bw_dhcp_pool *p, uint32_t offer_ms, uint32_t quarantine_ms)
{
	p->offer_ms = offer_ms;
	p->quarantine_ms = quarantine_ms;
}

int bw_dhcp_pool_restore(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 enum bw_dhcp_slot_state state, uint64_t expires_ms, uint64_t now)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (s->state == BW_DHCP_SLOT_RESERVED || (!pool_is_free(s, now) &&
						  !pool_held_by(s, mac, now)))
		return -EEXIST;
	if (state == BW_DHCP_SLOT_DECLINED) {
		pool_forget(p, s);
		s->state = BW_DHCP_SLOT_DECLINED;
		s->expires_ms = expires_ms;
		memcpy(s->decliner, mac, 6);
		return 0;
	}
	if (expires_ms <= now) {
		/* Lapsed: only remember whose it was, unless that MAC already has a newer one. */
		if (!pool_mine(p, mac))
			pool_assign(p, s, mac, BW_DHCP_SLOT_FREE, 0);
		return 0;
	}
	pool_assign(p, s, mac, BW_DHCP_SLOT_BOUND, expires_ms);
	return 0;
}

int bw_dhcp_pool_find(const struct bw_dhcp_pool *p, const uint8_t mac[6], uint64_t now,
		      uint32_t *ret_addr, enum bw_dhcp_slot_state *ret_state)
{
	const struct bw_dhcp_slot *s = pool_mine(p, mac);

	if (!s || !pool_held_by(s, mac, now))
		return -ENOENT;
	*ret_addr = p->first + (uint32_t)(s - p->slots);
	if (ret_state)
		*ret_state = s->state;
	return 0;
}

size_t bw_dhcp_pool_free_count(const struct bw_dhcp_pool *p, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (pool_is_free(&p->slots[i], now))
			n++;
	return n;
}

/* ---- undoing a binding ---- */

void bw_dhcp_pool_undo_prepare(const struct bw_dhcp_pool *p, const uint8_t mac[6],
			       uint32_t addr, uint64_t until, struct bw_dhcp_pool_undo *ret)
{
	const struct bw_dhcp_slot *s = pool_slot(p, addr), *mine = pool_mine(p, mac);

	memset(ret, 0, sizeof(*ret));
	if (!s)
		return;
	ret->addr = addr;
	memcpy(ret->mac, mac, 6);
	ret->until = until;
	ret->before = *s;
	if (mine && mine != s) {
		ret->other = p->first + (uint32_t)(mine - p->slots);
		ret->other_before = *mine;
	}
}

/* Puts before back into s, with its MAC's index entry unless that MAC holds another slot
 * by now (then s is left free and nobody's). */
static void pool_put_back(struct bw_dhcp_pool *p, struct bw_dhcp_slot *s,
			  const struct bw_dhcp_slot *before)
{
	pool_forget(p, s);
	*s = *before;
	if (s->state == BW_DHCP_SLOT_OFFERED) {
		s->state = BW_DHCP_SLOT_FREE;
		s->expires_ms = 0;
	}
	if (!s->has_mac)
		return;
	if (pool_mine(p, s->mac)) {
		s->has_mac = false;
		memset(s->mac, 0, 6);
		if (s->state != BW_DHCP_SLOT_DECLINED) {
			s->state = BW_DHCP_SLOT_FREE;
			s->expires_ms = 0;
		}
		return;
	}
	pool_idx_set(p, s->mac, (uint32_t)(s - p->slots));
}

int bw_dhcp_pool_unbind(struct bw_dhcp_pool *p, const struct bw_dhcp_pool_undo *u)
{
	struct bw_dhcp_slot *s = pool_slot(p, u->addr), *o = pool_slot(p, u->other);

	if (!s)
		return -ERANGE;
	if (s->state != BW_DHCP_SLOT_BOUND || !s->has_mac || memcmp(s->mac, u->mac, 6) != 0 ||
	    s->expires_ms != u->until)
		return -ESTALE;
	pool_put_back(p, s, &u->before);
	/* the address the bind let go, if nobody took it meanwhile */
	if (o && o->state == BW_DHCP_SLOT_FREE && !o->has_mac)
		pool_put_back(p, o, &u->other_before);
	return 0;
}
