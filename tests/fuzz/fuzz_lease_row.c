/* Fuzz target: a lease row read back from the database (a file anyone with write access to
 * it, or a crash, may have left in any state) through bw_store_lease_decode(), the decoder
 * bw_store_lease_foreach() uses.
 *
 * The input is the row's seven columns, one after the other; each is a class byte (its value
 * mod 5: NULL, INTEGER, REAL, TEXT, BLOB) and then, for INTEGER and REAL, 8 bytes (big
 * endian), for TEXT and BLOB a length byte and that many bytes (fewer when the input ends).
 * A missing column is NULL. Each TEXT or BLOB value is a heap copy of exactly its length
 * (NULL when empty, as SQLite returns an empty blob), so a read past it is caught.
 * Invariants (abort() when broken): a refused row says why and leaves the output alone; a
 * decoded one is what the columns said, meets what bw_store_lease_put() checks, and encoded
 * the way store_sqlite.c writes it decodes to the same lease.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_decode.h"
#include "fuzz_assert.h"

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static void fuzz_col(struct fuzz_in *in, struct bw_store_col *c, void **ret_copy)
{
	uint64_t v = 0;
	size_t n;

	*c = (struct bw_store_col){.type = (enum bw_store_col_type)(fuzz_u8(in) % 5)};
	*ret_copy = NULL;
	switch (c->type) {
	case BW_STORE_COL_INT:
	case BW_STORE_COL_REAL:
		for (int i = 0; i < 8; i++)
			v = v << 8 | fuzz_u8(in);
		c->i = c->type == BW_STORE_COL_INT ? (int64_t)v : 0;
		break;
	case BW_STORE_COL_TEXT:
	case BW_STORE_COL_BLOB:
		n = fuzz_u8(in);
		n = n < in->left ? n : in->left;
		if (n) {
			*ret_copy = malloc(n);
			FUZZ_ASSERT(*ret_copy != NULL);
			memcpy(*ret_copy, in->p, n);
		}
		c->p = *ret_copy;
		c->len = n;
		in->p += n;
		in->left -= n;
		break;
	default:
		break;
	}
}

/* What the columns said, field by field. */
static void fuzz_check_rec(const struct bw_lease_rec *r, const struct bw_store_col *cols)
{
	const struct bw_store_col *cid = &cols[BW_STORE_LEASE_CLIENT_ID];
	const struct bw_store_col *hn = &cols[BW_STORE_LEASE_HOSTNAME];

	FUZZ_ASSERT(r->addr == (uint64_t)cols[BW_STORE_LEASE_ADDR].i);
	FUZZ_ASSERT(memcmp(r->mac, cols[BW_STORE_LEASE_MAC].p, 6) == 0);
	FUZZ_ASSERT(r->client_id_len <= BW_LEASE_CLIENT_ID_MAX);
	FUZZ_ASSERT(r->client_id_len == (cid->type == BW_STORE_COL_BLOB ? cid->len : 0));
	FUZZ_ASSERT(!r->client_id_len || memcmp(r->client_id, cid->p, r->client_id_len) == 0);
	FUZZ_ASSERT(memchr(r->hostname, '\0', sizeof(r->hostname)) != NULL);
	FUZZ_ASSERT(strlen(r->hostname) == (hn->type == BW_STORE_COL_TEXT ? hn->len : 0));
	FUZZ_ASSERT(!hn->len || memcmp(r->hostname, hn->p, hn->len) == 0);
	FUZZ_ASSERT(r->starts_ms == cols[BW_STORE_LEASE_STARTS_MS].i);
	FUZZ_ASSERT(r->expires_ms == cols[BW_STORE_LEASE_EXPIRES_MS].i);
	FUZZ_ASSERT(r->state >= BW_LEASE_BOUND && r->state <= BW_LEASE_DECLINED);
	FUZZ_ASSERT((int64_t)r->state == cols[BW_STORE_LEASE_STATE].i);
}

/* The columns store_put_one() binds for r (client_id NULL when empty, hostname as text). */
static void fuzz_encode(const struct bw_lease_rec *r, struct bw_store_col *cols)
{
	cols[BW_STORE_LEASE_ADDR] = (struct bw_store_col){BW_STORE_COL_INT, r->addr, NULL, 0};
	cols[BW_STORE_LEASE_MAC] = (struct bw_store_col){BW_STORE_COL_BLOB, 0, r->mac, 6};
	cols[BW_STORE_LEASE_CLIENT_ID] =
		r->client_id_len
			? (struct bw_store_col){BW_STORE_COL_BLOB, 0, r->client_id, r->client_id_len}
			: (struct bw_store_col){BW_STORE_COL_NULL, 0, NULL, 0};
	cols[BW_STORE_LEASE_HOSTNAME] =
		(struct bw_store_col){BW_STORE_COL_TEXT, 0, r->hostname[0] ? r->hostname : NULL,
				      strlen(r->hostname)};
	cols[BW_STORE_LEASE_STARTS_MS] = (struct bw_store_col){BW_STORE_COL_INT, r->starts_ms, NULL, 0};
	cols[BW_STORE_LEASE_EXPIRES_MS] = (struct bw_store_col){BW_STORE_COL_INT, r->expires_ms, NULL, 0};
	cols[BW_STORE_LEASE_STATE] = (struct bw_store_col){BW_STORE_COL_INT, (int64_t)r->state, NULL, 0};
}

static bool fuzz_same(const struct bw_lease_rec *a, const struct bw_lease_rec *b)
{
	return a->addr == b->addr && memcmp(a->mac, b->mac, 6) == 0 &&
	       a->client_id_len == b->client_id_len &&
	       memcmp(a->client_id, b->client_id, a->client_id_len) == 0 &&
	       strcmp(a->hostname, b->hostname) == 0 && a->starts_ms == b->starts_ms &&
	       a->expires_ms == b->expires_ms && a->state == b->state;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct bw_store_col cols[BW_STORE_LEASE_NCOLS], again[BW_STORE_LEASE_NCOLS];
	void *copies[BW_STORE_LEASE_NCOLS];
	struct bw_lease_rec rec, rec2, untouched;
	const char *why = NULL;
	int r;

	for (int i = 0; i < BW_STORE_LEASE_NCOLS; i++)
		fuzz_col(&in, &cols[i], &copies[i]);
	memset(&rec, 0xa5, sizeof(rec));
	untouched = rec;
	r = bw_store_lease_decode(cols, &rec, &why);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG);
		FUZZ_ASSERT(why && *why);
		FUZZ_ASSERT(memcmp(&rec, &untouched, sizeof(rec)) == 0);
	} else {
		FUZZ_ASSERT(r == 0);
		fuzz_check_rec(&rec, cols);
		fuzz_encode(&rec, again);
		memset(&rec2, 0x5a, sizeof(rec2));
		FUZZ_ASSERT(bw_store_lease_decode(again, &rec2, &why) == 0);
		FUZZ_ASSERT(fuzz_same(&rec, &rec2));
	}
	for (int i = 0; i < BW_STORE_LEASE_NCOLS; i++)
		free(copies[i]);
	return 0;
}
