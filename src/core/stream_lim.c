/* Connection limits: a hash table of client address -> open connections. Pure. Every entry
 * has a count of at least 1, so the table never holds more entries than max_total (when set),
 * and a chain is never longer than the connections open. */
#include "core/stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define LIM_BUCKETS_MIN 64u

struct lim_key {
	uint8_t fam; /* 4, 6, or 0 for every other family */
	uint8_t a[16];
};

struct bw_stream_lim_ent {
	struct bw_stream_lim_ent *next;
	struct lim_key key;
	unsigned count;
};

static const uint8_t lim_v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static struct lim_key lim_key_of(const struct sockaddr *sa)
{
	struct lim_key k;

	memset(&k, 0, sizeof(k));
	if (sa->sa_family == AF_INET) {
		k.fam = 4;
		memcpy(k.a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, lim_v4mapped, sizeof(lim_v4mapped)) == 0) {
			k.fam = 4;
			memcpy(k.a, a + 12, 4);
		} else {
			k.fam = 6;
			memcpy(k.a, a, 16);
		}
	}
	return k;
}

/* FNV-1a over the key, started from the seed, then a 64-bit finaliser (murmur3's fmix64). */
static uint64_t lim_hash(const struct bw_stream_lim *lim, const struct lim_key *k)
{
	uint64_t h = 0xcbf29ce484222325ull ^ lim->seed;

	h = (h ^ k->fam) * 0x100000001b3ull;
	for (size_t i = 0; i < sizeof(k->a); i++)
		h = (h ^ k->a[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static struct bw_stream_lim_ent **lim_slot(const struct bw_stream_lim *lim, const struct lim_key *k)
{
	struct bw_stream_lim_ent **pp = &lim->buckets[lim_hash(lim, k) & (lim->n_buckets - 1)];

	while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)) != 0)
		pp = &(*pp)->next;
	return pp;
}

int bw_stream_lim_init(struct bw_stream_lim *lim, unsigned max_total, unsigned max_per_addr,
                       uint64_t seed)
{
	memset(lim, 0, sizeof(*lim));
	lim->buckets = calloc(LIM_BUCKETS_MIN, sizeof(*lim->buckets));
	if (!lim->buckets)
		return -ENOMEM;
	lim->n_buckets = LIM_BUCKETS_MIN;
	lim->max_total = max_total;
	lim->max_per_addr = max_per_addr;
	lim->seed = seed;
	return 0;
}

void bw_stream_lim_done(struct bw_stream_lim *lim)
{
	for (unsigned i = 0; i < lim->n_buckets; i++) {
		while (lim->buckets[i]) {
			struct bw_stream_lim_ent *e = lim->buckets[i];
			lim->buckets[i] = e->next;
			free(e);
		}
	}
	free(lim->buckets);
	memset(lim, 0, sizeof(*lim));
}

/* Doubles the bucket array once there are more addresses than buckets. Failing to is no
 * error: the chains just get longer. */
static void lim_grow(struct bw_stream_lim *lim)
{
	unsigned n_old = lim->n_buckets, n_new = n_old * 2;
	struct bw_stream_lim_ent **old = lim->buckets, **nb;

	if (lim->n_ents <= n_old || n_new < n_old)
		return;
	nb = calloc(n_new, sizeof(*nb));
	if (!nb)
		return;
	lim->buckets = nb;
	lim->n_buckets = n_new;
	for (unsigned i = 0; i < n_old; i++) {
		while (old[i]) {
			struct bw_stream_lim_ent *e = old[i];
			struct bw_stream_lim_ent **pp = &nb[lim_hash(lim, &e->key) & (n_new - 1)];

			old[i] = e->next;
			e->next = *pp;
			*pp = e;
		}
	}
	free(old);
}

enum bw_stream_rej bw_stream_lim_admit(struct bw_stream_lim *lim, const struct sockaddr *addr)
{
	struct lim_key k = lim_key_of(addr);
	struct bw_stream_lim_ent **pp, *e;

	if (lim->max_total && lim->total >= lim->max_total)
		return BW_STREAM_REJ_TOTAL;
	pp = lim_slot(lim, &k);
	e = *pp;
	if (e) {
		if (lim->max_per_addr && e->count >= lim->max_per_addr)
			return BW_STREAM_REJ_PER_ADDR;
		e->count++;
		lim->total++;
		return BW_STREAM_REJ_OK;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return BW_STREAM_REJ_NOMEM;
	e->key = k;
	e->count = 1;
	*pp = e;
	lim->n_ents++;
	lim->total++;
	lim_grow(lim);
	return BW_STREAM_REJ_OK;
}

void bw_stream_lim_release(struct bw_stream_lim *lim, const struct sockaddr *addr)
{
	struct lim_key k = lim_key_of(addr);
	struct bw_stream_lim_ent **pp = lim_slot(lim, &k), *e = *pp;

	if (!e)
		return; /* never admitted: a caller's mistake, ignored */
	lim->total--;
	if (--e->count == 0) {
		*pp = e->next;
		free(e);
		lim->n_ents--;
	}
}

unsigned bw_stream_lim_count(const struct bw_stream_lim *lim, const struct sockaddr *addr)
{
	struct lim_key k = lim_key_of(addr);
	struct bw_stream_lim_ent *e = *lim_slot(lim, &k);

	return e ? e->count : 0;
}

const char *bw_stream_rej_str(enum bw_stream_rej why)
{
	switch (why) {
	case BW_STREAM_REJ_OK:
		return "admitted";
	case BW_STREAM_REJ_TOTAL:
		return "too many connections";
	case BW_STREAM_REJ_PER_ADDR:
		return "too many connections from this address";
	case BW_STREAM_REJ_NOMEM:
		return "out of memory";
	case BW_STREAM_REJ_ACCEPT:
		return "accept failed";
	}
	return "?";
}
