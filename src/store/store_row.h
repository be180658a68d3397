/* Inside the store: reading one lease row, shared by the store (store_sqlite.c) and the
 * repair that salvages a damaged database (store_repair.c). Not for other modules. */
#ifndef BW_STORE_ROW_H
#define BW_STORE_ROW_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The columns bw_store_row_read() expects, in this order. */
#define BW_STORE_ROW_COLUMNS "addr, mac, client_id, hostname, starts_ms, expires_ms, state"

/* Reads the current row of st (BW_STORE_ROW_COLUMNS) into rec; NULL, or what is wrong
 * with the row. */
const char *bw_store_row_read(sqlite3_stmt *st, struct bw_lease_rec *rec);
/* A row's address for a message: dotted when it is one, the raw number otherwise. */
void bw_store_fmt_addr(int64_t v, char *buf, size_t cap);

#endif
