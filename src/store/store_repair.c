/* Salvaging a damaged lease database (store.h, bw_store_salvage), row by row with our own
 * walk: SQLite's .recover is a shell command, not an API. The walk goes by address
 * (the rowid); a step that fails in a damaged page ends that walk, and it starts again just
 * past the last address read, so one bad page costs the rows on it, not the rest. A row
 * that reads but has bad fields is dropped with the reason bw_store_row_read() gives. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_row.h"

#define SALVAGE_RESTARTS 64 /* walks started again after a failed step, at most */

struct salvage {
	sqlite3 *db;
	sqlite3_stmt *st;
	int (*kept)(const struct bw_lease_rec *rec, void *ctx);
	void (*dropped)(const char *where, const char *why, void *ctx);
	void *ctx;
	int64_t last;  /* the last address the walk reached */
	bool any;      /* last is set */
};

/* One walk from past s->last; 1 when it ended on a failed step (another may follow), 0 at
 * the end of the table, or what kept() returned. */
static int salvage_walk(struct salvage *s)
{
	struct bw_lease_rec rec;
	const char *bad;
	char where[48];
	int rc, r = 0;

	sqlite3_reset(s->st);
	sqlite3_bind_int64(s->st, 1, s->any ? s->last : INT64_MIN);
	while ((rc = sqlite3_step(s->st)) == SQLITE_ROW) {
		int64_t addr = sqlite3_column_int64(s->st, 0);

		bad = s->any && addr <= s->last ? "address repeated or out of order (a damaged page)"
						: bw_store_row_read(s->st, &rec);
		if (!s->any || addr > s->last)
			s->last = addr;
		s->any = true;
		if (bad) {
			bw_store_fmt_addr(addr, where, sizeof(where));
			s->dropped(where, bad, s->ctx);
			continue;
		}
		r = s->kept(&rec, s->ctx);
		if (r)
			return r;
	}
	if (rc == SQLITE_DONE)
		return 0;
	if (s->any) {
		char a[24];

		bw_store_fmt_addr(s->last, a, sizeof(a));
		snprintf(where, sizeof(where), "rows after %s", a);
	} else {
		snprintf(where, sizeof(where), "rows from the first");
	}
	s->dropped(where, sqlite3_errmsg(s->db), s->ctx);
	return 1;
}

/* Walks again after each failure that made no progress, jumping past the address it could
 * not get beyond, twice as far each time (a damaged interior page covers a whole range):
 * bounded, so a file that fails every walk ends the salvage with what was read. */
static int salvage_rows(struct salvage *s)
{
	int64_t skip = 1;
	int r = 1;

	for (unsigned i = 0; r == 1 && i < SALVAGE_RESTARTS; i++) {
		int64_t before = s->any ? s->last : -1;

		r = salvage_walk(s);
		if (r != 1)
			break;
		if (s->any && s->last != before) {
			skip = 1;
			continue;
		}
		if (before > INT64_MAX - skip)
			return 0;
		s->last = before + skip;
		s->any = true;
		skip *= 2;
	}
	return r == 1 ? 0 : r;
}

int bw_store_salvage(const char *path, int (*kept)(const struct bw_lease_rec *rec, void *ctx),
		     void (*dropped)(const char *where, const char *why, void *ctx), void *ctx,
		     char *err, size_t errcap)
{
	struct salvage s = {.kept = kept, .dropped = dropped, .ctx = ctx};
	int rc, r = 0;

	rc = sqlite3_open_v2(path, &s.db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errcap, "cannot open %s: %s", path,
			 s.db ? sqlite3_errmsg(s.db) : sqlite3_errstr(rc));
		r = rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
		goto out_close;
	}
	rc = sqlite3_prepare_v2(s.db,
				"SELECT " BW_STORE_ROW_COLUMNS " FROM lease WHERE addr > ?1"
				" ORDER BY addr",
				-1, &s.st, NULL);
	if (rc != SQLITE_OK) {
		/* no schema to read (not a database, or its first page is gone): nothing kept */
		dropped("the whole file", sqlite3_errmsg(s.db), ctx);
		goto out_close;
	}
	r = salvage_rows(&s);
out_close:
	sqlite3_finalize(s.st);
	sqlite3_close(s.db);
	return r;
}
