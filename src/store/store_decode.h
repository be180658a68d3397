/* A lease row as the database returns it, decoded into a struct bw_lease_rec. Pure: no
 * SQLite, no I/O, no allocation, no logging, so the decoder is fuzzed on its own
 * (tests/fuzz/fuzz_lease_row.c). store_sqlite.c reads each column of its walk with
 * sqlite3_column_* into a struct bw_store_col and decodes the row with this. */
#ifndef BW_STORE_DECODE_H
#define BW_STORE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* SQLite's storage classes. */
enum bw_store_col_type {
	BW_STORE_COL_NULL,
	BW_STORE_COL_INT,
	BW_STORE_COL_REAL,
	BW_STORE_COL_TEXT,
	BW_STORE_COL_BLOB,
};

/* One column value: its class, the integer (INT) or len bytes at p (TEXT, BLOB; p may be
 * NULL when len is 0, as SQLite returns an empty blob). */
struct bw_store_col {
	enum bw_store_col_type type;
	int64_t i;
	const void *p;
	size_t len;
};

/* The columns of a lease row, in the order of the walk's SELECT. */
enum {
	BW_STORE_LEASE_ADDR,
	BW_STORE_LEASE_MAC,
	BW_STORE_LEASE_CLIENT_ID, /* NULL: none */
	BW_STORE_LEASE_HOSTNAME,  /* NULL or text */
	BW_STORE_LEASE_STARTS_MS,
	BW_STORE_LEASE_EXPIRES_MS,
	BW_STORE_LEASE_STATE,
	BW_STORE_LEASE_NCOLS
};

/* Decodes the BW_STORE_LEASE_NCOLS columns at cols into *ret_rec (written only on success).
 * Returns 0, or -EBADMSG with *ret_why saying what is wrong with the row ("mac is not 6
 * bytes"): an address that is not an integer of 0..2^32-1, a mac that is not a blob of 6
 * bytes, a client_id that is not NULL or a blob of at most BW_LEASE_CLIENT_ID_MAX bytes, a
 * hostname that is not NULL or text shorter than BW_LEASE_HOSTNAME_MAX without a NUL, times
 * that are not integers, or an unknown state. */
int bw_store_lease_decode(const struct bw_store_col *cols, struct bw_lease_rec *ret_rec,
			  const char **ret_why);

#endif
