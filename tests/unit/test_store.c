/* The lease store: SQLite round trips, replace, purge, a reader beside a writer, corrupt rows,
 * errors, and group commit on a real libuv loop. Each test gets its own temporary directory. */
#include <dirent.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "store/store.h"
#include "store/store_async.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

struct tdir {
	char dir[64];
	char db[128];
};

static bool tdir_make(struct tdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/bw-test-store-XXXXXX");
	if (!CHECK(mkdtemp(t->dir) != NULL))
		return false;
	snprintf(t->db, sizeof(t->db), "%s/leases.db", t->dir);
	return true;
}

static void tdir_remove(struct tdir *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(t->dir);
}

static struct bw_lease_rec rec_make(uint32_t addr, uint8_t tag, enum bw_lease_state state,
				    int64_t expires_ms)
{
	struct bw_lease_rec r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	memcpy(r.mac, (uint8_t[6]){0x52, 0x54, 0, 0x12, 0x34, tag}, 6);
	r.state = state;
	r.starts_ms = 1700000000000;
	r.expires_ms = expires_ms;
	return r;
}

/* Collects the walk into a growing array. */
struct rows {
	struct bw_lease_rec *v;
	size_t n, cap;
	size_t stop_after; /* 0: never */
};

static int rows_cb(const struct bw_lease_rec *rec, void *ctx)
{
	struct rows *rs = ctx;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		struct bw_lease_rec *v = realloc(rs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *rec;
	return rs->stop_after && rs->n == rs->stop_after ? 42 : 0;
}

static size_t rows_load(struct bw_store *s, struct rows *rs)
{
	rs->n = 0;
	CHECK_EQ_INT(bw_store_lease_foreach(s, rows_cb, rs), 0);
	return rs->n;
}

static bool rec_same(const struct bw_lease_rec *a, const struct bw_lease_rec *b)
{
	return CHECK_EQ_U64(a->addr, b->addr) && CHECK_EQ_MEM(a->mac, 6, b->mac, 6) &&
	       CHECK_EQ_MEM(a->client_id, a->client_id_len, b->client_id, b->client_id_len) &&
	       CHECK_EQ_STR(a->hostname, b->hostname) && CHECK_EQ_INT(a->starts_ms, b->starts_ms) &&
	       CHECK_EQ_INT(a->expires_ms, b->expires_ms) && CHECK_EQ_INT(a->state, b->state);
}

static struct bw_store *store_open_ok(const char *path, bool readonly)
{
	struct bw_store *s = NULL;
	char err[512] = "";
	int r = bw_store_open(path, readonly, &s, err, sizeof(err));

	if (!CHECK_EQ_INT(r, 0))
		fprintf(stderr, "\t%s\n", err);
	return s;
}

static void test_round_trip(void)
{
	struct tdir t;
	struct bw_store *s;
	struct bw_lease_rec in[4];
	struct rows rs = {0};

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s)
		goto out;
	CHECK_EQ_U64(rows_load(s, &rs), 0);
	/* out of order on purpose: the walk sorts by address */
	in[0] = rec_make(IP(10, 0, 0, 30), 1, BW_LEASE_BOUND, 1700000600000);
	in[0].client_id_len = BW_LEASE_CLIENT_ID_MAX;
	for (int i = 0; i < BW_LEASE_CLIENT_ID_MAX; i++)
		in[0].client_id[i] = (uint8_t)(i * 7);
	memset(in[0].hostname, 'h', BW_LEASE_HOSTNAME_MAX - 1);
	in[1] = rec_make(IP(10, 0, 0, 10), 2, BW_LEASE_RELEASED, -5);
	in[1].client_id_len = 7;
	memcpy(in[1].client_id, "\x01\x52\x54\x00\x12\x34\x02", 7);
	strcpy(in[1].hostname, "pxe \"node\"\\\x01");
	in[2] = rec_make(IP(255, 255, 255, 255), 3, BW_LEASE_DECLINED, INT64_MAX);
	in[2].starts_ms = INT64_MIN;
	in[3] = rec_make(0, 4, BW_LEASE_BOUND, 0);
	CHECK_EQ_INT(bw_store_lease_put(s, in, 4), 0);
	CHECK_EQ_INT(bw_store_lease_put(s, in, 0), 0); /* zero rows: nothing to do */
	if (CHECK_EQ_U64(rows_load(s, &rs), 4)) {
		rec_same(&rs.v[0], &in[3]);
		rec_same(&rs.v[1], &in[1]);
		rec_same(&rs.v[2], &in[0]);
		rec_same(&rs.v[3], &in[2]);
	}
	/* a callback's non-zero result stops the walk and comes back */
	rs.n = 0;
	rs.stop_after = 2;
	CHECK_EQ_INT(bw_store_lease_foreach(s, rows_cb, &rs), 42);
	CHECK_EQ_U64(rs.n, 2);
	rs.stop_after = 0;
	/* survives a reopen */
	bw_store_close(s);
	s = store_open_ok(t.db, false);
	if (s && CHECK_EQ_U64(rows_load(s, &rs), 4))
		rec_same(&rs.v[2], &in[0]);
	bw_store_close(s);
out:
	free(rs.v);
	tdir_remove(&t);
}

static void test_replace_and_invalid(void)
{
	struct tdir t;
	struct bw_store *s;
	struct bw_lease_rec a, b, bad;
	struct rows rs = {0};

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s)
		goto out;
	a = rec_make(IP(10, 0, 0, 5), 0xa, BW_LEASE_BOUND, 1000);
	strcpy(a.hostname, "old");
	b = rec_make(IP(10, 0, 0, 5), 0xb, BW_LEASE_BOUND, 2000);
	CHECK_EQ_INT(bw_store_lease_put(s, &a, 1), 0);
	CHECK_EQ_INT(bw_store_lease_put(s, &b, 1), 0);
	if (CHECK_EQ_U64(rows_load(s, &rs), 1))
		rec_same(&rs.v[0], &b); /* hostname "" replaced "old" too */
	/* one invalid record: the whole batch is refused, nothing written */
	bad = rec_make(IP(10, 0, 0, 6), 0xc, 9, 1000);
	struct bw_lease_rec batch[2] = {a, bad};
	CHECK_EQ_INT(bw_store_lease_put(s, batch, 2), -EINVAL);
	bad.state = BW_LEASE_BOUND;
	memset(bad.hostname, 'x', sizeof(bad.hostname)); /* no NUL */
	batch[1] = bad;
	CHECK_EQ_INT(bw_store_lease_put(s, batch, 2), -EINVAL);
	bad.hostname[0] = '\0';
	bad.client_id_len = BW_LEASE_CLIENT_ID_MAX + 1;
	batch[1] = bad;
	CHECK_EQ_INT(bw_store_lease_put(s, batch, 2), -EINVAL);
	if (CHECK_EQ_U64(rows_load(s, &rs), 1))
		rec_same(&rs.v[0], &b);
	bw_store_close(s);
out:
	free(rs.v);
	tdir_remove(&t);
}

static void test_purge(void)
{
	struct tdir t;
	struct bw_store *s;
	struct bw_lease_rec in[5];
	struct rows rs = {0};
	size_t n = 99;

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s)
		goto out;
	in[0] = rec_make(IP(10, 0, 0, 1), 1, BW_LEASE_BOUND, 100);     /* expired */
	in[1] = rec_make(IP(10, 0, 0, 2), 2, BW_LEASE_BOUND, 300);     /* live */
	in[2] = rec_make(IP(10, 0, 0, 3), 3, BW_LEASE_RELEASED, 1000); /* released later: kept */
	in[3] = rec_make(IP(10, 0, 0, 4), 4, BW_LEASE_DECLINED, 50);   /* quarantine over */
	in[4] = rec_make(IP(10, 0, 0, 5), 5, BW_LEASE_DECLINED, 200);  /* exactly at the edge */
	CHECK_EQ_INT(bw_store_lease_put(s, in, 5), 0);
	CHECK_EQ_INT(bw_store_lease_purge(s, 200, &n), 0);
	CHECK_EQ_U64(n, 2);
	if (CHECK_EQ_U64(rows_load(s, &rs), 3)) {
		rec_same(&rs.v[0], &in[1]);
		rec_same(&rs.v[1], &in[2]);
		rec_same(&rs.v[2], &in[4]);
	}
	CHECK_EQ_INT(bw_store_lease_purge(s, 200, &n), 0);
	CHECK_EQ_U64(n, 0);
	bw_store_close(s);
out:
	free(rs.v);
	tdir_remove(&t);
}

static void test_reader_beside_writer(void)
{
	struct tdir t;
	struct bw_store *w, *r = NULL;
	struct bw_lease_rec a = rec_make(IP(10, 0, 0, 7), 7, BW_LEASE_BOUND, 5000);
	struct bw_lease_rec b = rec_make(IP(10, 0, 0, 8), 8, BW_LEASE_BOUND, 5000);
	struct rows rs = {0};
	size_t n;

	if (!tdir_make(&t))
		return;
	w = store_open_ok(t.db, false);
	if (!w)
		goto out;
	CHECK_EQ_INT(bw_store_lease_put(w, &a, 1), 0);
	r = store_open_ok(t.db, true);
	if (!r)
		goto out_close;
	if (CHECK_EQ_U64(rows_load(r, &rs), 1))
		rec_same(&rs.v[0], &a);
	/* the writer goes on; the reader's next walk sees it */
	CHECK_EQ_INT(bw_store_lease_put(w, &b, 1), 0);
	CHECK_EQ_U64(rows_load(r, &rs), 2);
	CHECK_EQ_INT(bw_store_lease_put(r, &b, 1), -EROFS);
	CHECK_EQ_INT(bw_store_lease_purge(r, INT64_MAX, &n), -EROFS);
	/* the writer closes (checkpoint); the reader still works, and a new reader too */
	bw_store_close(w);
	w = NULL;
	CHECK_EQ_U64(rows_load(r, &rs), 2);
	bw_store_close(r);
	r = store_open_ok(t.db, true);
	if (r)
		CHECK_EQ_U64(rows_load(r, &rs), 2);
out_close:
	bw_store_close(r);
	bw_store_close(w);
out:
	free(rs.v);
	tdir_remove(&t);
}

static void test_open_errors(void)
{
	struct tdir t;
	struct bw_store *s = NULL;
	char err[512], path[256];
	sqlite3 *db;
	FILE *f;

	if (!tdir_make(&t))
		return;
	/* read-only: the file must exist; it is never created */
	CHECK_EQ_INT(bw_store_open(t.db, true, &s, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "cannot open lease database ") && strstr(err, t.db));
	CHECK(strstr(err, "No such file or directory"));
	CHECK(access(t.db, F_OK) < 0);
	/* read-write: the directory is not created either */
	snprintf(path, sizeof(path), "%s/missing/leases.db", t.dir);
	CHECK_EQ_INT(bw_store_open(path, false, &s, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
	CHECK(s == NULL);
	/* not a database */
	f = fopen(t.db, "w");
	if (CHECK(f != NULL)) {
		fputs("this is not an sqlite database, just text long enough to look like one.\n"
		      "0123456789012345678901234567890123456789012345678901234567890123456789\n",
		      f);
		fclose(f);
	}
	CHECK_EQ_INT(bw_store_open(t.db, true, &s, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "not a database") != NULL);
	CHECK_EQ_INT(bw_store_open(t.db, false, &s, err, sizeof(err)), -EIO);
	unlink(t.db);
	/* another program's database, and one from a newer bootwire */
	if (CHECK_EQ_INT(sqlite3_open(t.db, &db), SQLITE_OK)) {
		CHECK_EQ_INT(sqlite3_exec(db, "CREATE TABLE other (x)", NULL, NULL, NULL), 0);
		CHECK_EQ_INT(bw_store_open(t.db, false, &s, err, sizeof(err)), -EIO);
		CHECK(strstr(err, "not a bootwire lease database") != NULL);
		CHECK_EQ_INT(bw_store_open(t.db, true, &s, err, sizeof(err)), -EIO);
		CHECK(strstr(err, "not a bootwire lease database") != NULL);
		CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), 0);
		CHECK_EQ_INT(bw_store_open(t.db, false, &s, err, sizeof(err)), -EIO);
		CHECK(strstr(err, "newer") != NULL);
		CHECK_EQ_INT(bw_store_open(t.db, true, &s, err, sizeof(err)), -EIO);
	}
	sqlite3_close(db);
	CHECK(s == NULL);
	tdir_remove(&t);
}

static void test_big_batch(void)
{
	struct tdir t;
	struct bw_store *s;
	struct bw_lease_rec *v;
	struct rows rs = {0};
	const size_t n = 10000;

	if (!tdir_make(&t))
		return;
	v = calloc(n, sizeof(*v));
	s = store_open_ok(t.db, false);
	if (!CHECK(v != NULL) || !s)
		goto out;
	for (size_t i = 0; i < n; i++) {
		v[i] = rec_make(IP(10, 1, 0, 0) + (uint32_t)i, (uint8_t)i, BW_LEASE_BOUND,
				(int64_t)i);
		snprintf(v[i].hostname, sizeof(v[i].hostname), "node-%zu", i);
	}
	CHECK_EQ_INT(bw_store_lease_put(s, v, n), 0);
	if (CHECK_EQ_U64(rows_load(s, &rs), n)) {
		rec_same(&rs.v[0], &v[0]);
		rec_same(&rs.v[n - 1], &v[n - 1]);
	}
out:
	bw_store_close(s);
	free(v);
	free(rs.v);
	tdir_remove(&t);
}

/* Rows written behind the store's back: each bad one is skipped, the good ones still come. */
static void test_corrupt_rows(void)
{
	static const char *const rows[] = {
		"(2, x'525400000001', NULL, '', 0, 1, 1)", /* good */
		"(3, x'5254000000', NULL, '', 0, 1, 1)", /* short mac */
		"(4, 'text-mac', NULL, '', 0, 1, 1)",
		"(5, x'525400000005', NULL, '', 0, 1, 7)", /* unknown state */
		"(6, x'525400000006', NULL, x'41', 0, 1, 1)", /* blob hostname */
		"(7, x'525400000007', zeroblob(65), '', 0, 1, 1)", /* client id too long */
		"(8, x'525400000008', NULL, '', 'soon', 1, 1)",
		"(9, x'525400000009', NULL, printf('%.64c', 'a'), 0, 1, 1)", /* hostname too long */
		"(10, x'52540000000a', NULL, 'a' || char(0) || 'b', 0, 1, 1)",
		"(-1, x'52540000000b', NULL, '', 0, 1, 1)",
		"(4294967296, x'52540000000c', NULL, '', 0, 1, 1)",
		"(11, x'52540000000d', 'text-id', '', 0, 1, 1)",
		"(12, x'52540000000e', x'01', 'b', 0, 1, 3)", /* good */
	};
	char sql[256];
	struct tdir t;
	struct bw_store *s;
	struct rows rs = {0};
	sqlite3 *db;

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s)
		goto out;
	if (CHECK_EQ_INT(sqlite3_open(t.db, &db), SQLITE_OK)) {
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			snprintf(sql, sizeof(sql), "INSERT INTO lease VALUES %s", rows[i]);
			check_context = rows[i];
			CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		}
		check_context = NULL;
	}
	sqlite3_close(db);
	if (CHECK_EQ_U64(rows_load(s, &rs), 2)) {
		CHECK_EQ_U64(rs.v[0].addr, 2);
		CHECK_EQ_U64(rs.v[1].addr, 12);
		CHECK_EQ_STR(rs.v[1].hostname, "b");
		CHECK_EQ_MEM(rs.v[1].client_id, rs.v[1].client_id_len, "\x01", 1);
	}
	bw_store_close(s);
out:
	free(rs.v);
	tdir_remove(&t);
}

/* ---- damaged files: refused at open, salvaged row by row ---- */

/* A database with n bound leases 10.9.0.1.. written through the store, then closed. */
static bool damaged_make(const char *db, unsigned n)
{
	struct bw_lease_rec v[16];
	struct bw_store *s = store_open_ok(db, false);
	int r;

	if (!s)
		return false;
	for (unsigned i = 0; i < n && i < 16; i++)
		v[i] = rec_make(IP(10, 9, 0, 1) + i, (uint8_t)i, BW_LEASE_BOUND, 1900000000000);
	r = bw_store_lease_put(s, v, n < 16 ? n : 16);
	bw_store_close(s);
	return CHECK_EQ_INT(r, 0);
}

/* bw_store_open refuses with want_r, and the message names the file and the repair. */
static void damaged_refused(const char *db, int want_r, const char *what)
{
	char err[1024] = "", hint[512];
	struct bw_store *s = NULL;

	snprintf(hint, sizeof(hint), "bootwire leases --repair --db %s", db);
	for (int ro = 0; ro < 2; ro++) {
		check_context = ro ? "read-only" : "read-write";
		CHECK_EQ_INT(bw_store_open(db, ro, &s, err, sizeof(err)), want_r);
		CHECK(s == NULL);
		if (!CHECK(strstr(err, db) && strstr(err, what) && strstr(err, hint)))
			fprintf(stderr, "\t%s\n", err);
	}
	check_context = NULL;
}

struct salv {
	struct rows kept;
	char dropped[8][160];
	unsigned n_dropped;
};

static int salv_kept_cb(const struct bw_lease_rec *rec, void *ctx)
{
	return rows_cb(rec, &((struct salv *)ctx)->kept);
}

static void salv_dropped_cb(const char *where, const char *why, void *ctx)
{
	struct salv *sv = ctx;

	if (sv->n_dropped < 8)
		snprintf(sv->dropped[sv->n_dropped], sizeof(sv->dropped[0]), "%s: %s", where, why);
	sv->n_dropped++;
}

static void salv_run(const char *db, struct salv *sv)
{
	char err[512];

	memset(sv, 0, sizeof(*sv));
	CHECK_EQ_INT(bw_store_salvage(db, salv_kept_cb, salv_dropped_cb, sv, err, sizeof(err)),
		     0);
}

/* The case: a database truncated to 5,000 bytes used to load "skipping 5 corrupt
 * rows" and start empty. Now open refuses it (quick_check), the salvage reads what is left
 * (nothing: the lease page is past the cut) and a new database at the same path works. */
static void test_damaged_truncated(void)
{
	struct tdir t;
	struct salv sv;
	struct bw_store *s;

	if (!tdir_make(&t))
		return;
	if (!damaged_make(t.db, 5) || !CHECK_EQ_INT(truncate(t.db, 5000), 0))
		goto out;
	damaged_refused(t.db, -EBADMSG, "the file is damaged: quick_check found");
	salv_run(t.db, &sv);
	CHECK_EQ_U64(sv.kept.n, 0);
	CHECK(sv.n_dropped >= 1);
	free(sv.kept.v);
	/* a fresh database in its place serves again */
	unlink(t.db);
	s = store_open_ok(t.db, false);
	if (s) {
		struct bw_lease_rec r = rec_make(IP(10, 9, 0, 9), 9, BW_LEASE_BOUND, 1);

		CHECK_EQ_INT(bw_store_lease_put(s, &r, 1), 0);
	}
	bw_store_close(s);
out:
	tdir_remove(&t);
}

/* Garbage where the database should be: refused with the repair hint; nothing to salvage. */
static void test_damaged_garbage(void)
{
	struct tdir t;
	struct salv sv;
	char junk[8192];
	FILE *f;

	if (!tdir_make(&t))
		return;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7919u >> 3);
	f = fopen(t.db, "w");
	if (!CHECK(f != NULL))
		goto out;
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	damaged_refused(t.db, -EIO, "file is not a database");
	salv_run(t.db, &sv);
	CHECK_EQ_U64(sv.kept.n, 0);
	CHECK_EQ_INT(sv.n_dropped, 1);
	CHECK(strstr(sv.dropped[0], "the whole file: ") != NULL);
	free(sv.kept.v);
out:
	tdir_remove(&t);
}

/* quick_check failing on an intact table: the header's free-list page count (offset 36,
 * big-endian) says 7 pages where there are none. */
static void test_damaged_quick_check(void)
{
	static const uint8_t seven[4] = {0, 0, 0, 7};
	struct tdir t;
	struct salv sv;
	FILE *f;

	if (!tdir_make(&t))
		return;
	if (!damaged_make(t.db, 3))
		goto out;
	f = fopen(t.db, "r+b");
	if (!CHECK(f != NULL))
		goto out;
	CHECK_EQ_INT(fseek(f, 36, SEEK_SET), 0);
	CHECK_EQ_INT(fwrite(seven, 1, 4, f), 4);
	fclose(f);
	damaged_refused(t.db, -EBADMSG, "the file is damaged: quick_check found 1 problem(s), "
					"the first: ");
	salv_run(t.db, &sv);
	CHECK_EQ_U64(sv.kept.n, 3); /* the table itself is whole */
	CHECK_EQ_INT(sv.n_dropped, 0);
	free(sv.kept.v);
out:
	tdir_remove(&t);
}

/* A row with bad fields: open refuses (it would have been skipped, freeing the address);
 * the salvage keeps the good rows and names the bad one and why. */
static void test_damaged_bad_row(void)
{
	struct tdir t;
	struct salv sv;
	sqlite3 *db;

	if (!tdir_make(&t))
		return;
	if (!damaged_make(t.db, 3) || !CHECK_EQ_INT(sqlite3_open(t.db, &db), SQLITE_OK))
		goto out;
	CHECK_EQ_INT(sqlite3_exec(db, "UPDATE lease SET mac = x'5254' WHERE addr = 168361986",
				  NULL, NULL, NULL),
		     SQLITE_OK); /* 10.9.0.2 */
	sqlite3_close(db);
	damaged_refused(t.db, -EBADMSG, "1 lease row(s) cannot be read, the first (address "
					"10.9.0.2): mac is not 6 bytes");
	salv_run(t.db, &sv);
	if (CHECK_EQ_U64(sv.kept.n, 2)) {
		CHECK_EQ_U64(sv.kept.v[0].addr, IP(10, 9, 0, 1));
		CHECK_EQ_U64(sv.kept.v[1].addr, IP(10, 9, 0, 3));
	}
	CHECK_EQ_INT(sv.n_dropped, 1);
	CHECK_EQ_STR(sv.dropped[0], "10.9.0.2: mac is not 6 bytes");
	free(sv.kept.v);
out:
	tdir_remove(&t);
}

/* ---- the file deleted or replaced while open; a commit that fails ---- */

/* The path of the first file in t's directory whose name starts with prefix ("" none). */
static void tdir_find(const struct tdir *t, const char *prefix, char *ret, size_t cap)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;

	*ret = '\0';
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && !strstr(e->d_name, "-wal") &&
		    !strstr(e->d_name, "-shm")) {
			snprintf(ret, cap, "%.63s/%.128s", t->dir, e->d_name);
			break;
		}
	if (d)
		closedir(d);
}

/* The rescue copy holds the n leases written before the file went. */
static void orphan_check(const struct tdir *t, size_t n)
{
	char path[256];
	struct bw_store *o;
	struct rows rs = {0};

	tdir_find(t, "leases.db.orphaned-", path, sizeof(path));
	if (!CHECK(*path != '\0'))
		return;
	o = store_open_ok(path, true);
	if (o)
		CHECK_EQ_U64(rows_load(o, &rs), n);
	bw_store_close(o);
	free(rs.v);
}

/* The issue: with the database deleted while running, 5 more leases were acknowledged and
 * a restart found 0 of 8. Now the next commit fails (-ESTALE, so dhcp_io sends no ACK), and
 * so does every later one, and the leases written before are saved beside the path. */
static void test_unlinked_while_open(void)
{
	struct tdir t;
	struct bw_store *s;
	struct bw_lease_rec v[3];

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s)
		goto out;
	for (unsigned i = 0; i < 3; i++)
		v[i] = rec_make(IP(10, 3, 0, 1) + i, (uint8_t)i, BW_LEASE_BOUND, 1900000000000);
	CHECK_EQ_INT(bw_store_lease_put(s, v, 3), 0);
	CHECK_EQ_INT(unlink(t.db), 0);
	CHECK_EQ_INT(bw_store_lease_put(s, &v[0], 1), -ESTALE);
	CHECK_EQ_INT(bw_store_lease_put(s, &v[1], 1), -ESTALE);
	bw_store_close(s);
	orphan_check(&t, 3);
	/* a fresh database at the path (a restart) works */
	s = store_open_ok(t.db, false);
	if (s)
		CHECK_EQ_INT(bw_store_lease_put(s, v, 3), 0);
	bw_store_close(s);
out:
	tdir_remove(&t);
}

/* Another database renamed over the path: its inode differs, the store stops writing. */
static void test_replaced_while_open(void)
{
	struct tdir t;
	struct bw_store *s, *other;
	struct bw_lease_rec a = rec_make(IP(10, 3, 0, 1), 1, BW_LEASE_BOUND, 1900000000000);
	char path[256];

	if (!tdir_make(&t))
		return;
	snprintf(path, sizeof(path), "%s/other.db", t.dir);
	s = store_open_ok(t.db, false);
	other = store_open_ok(path, false);
	if (!s || !other)
		goto out;
	CHECK_EQ_INT(bw_store_lease_put(s, &a, 1), 0);
	bw_store_close(other);
	other = NULL;
	CHECK_EQ_INT(rename(path, t.db), 0);
	CHECK_EQ_INT(bw_store_lease_put(s, &a, 1), -ESTALE);
	orphan_check(&t, 1);
out:
	bw_store_close(other);
	bw_store_close(s);
	tdir_remove(&t);
}

/* A commit that cannot take the write lock (another connection holds it past the busy
 * timeout): -EBUSY, nothing written; once the lock goes, the next commit succeeds. */
static void test_commit_locked(void)
{
	struct tdir t;
	struct bw_store *s;
	struct bw_lease_rec a = rec_make(IP(10, 4, 0, 1), 1, BW_LEASE_BOUND, 1900000000000);
	struct rows rs = {0};
	sqlite3 *db = NULL;

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s || !CHECK_EQ_INT(sqlite3_open(t.db, &db), SQLITE_OK))
		goto out;
	CHECK_EQ_INT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(bw_store_lease_put(s, &a, 1), -EBUSY);
	CHECK_EQ_INT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_U64(rows_load(s, &rs), 0);
	CHECK_EQ_INT(bw_store_lease_put(s, &a, 1), 0);
	CHECK_EQ_U64(rows_load(s, &rs), 1);
out:
	sqlite3_close(db);
	bw_store_close(s);
	free(rs.v);
	tdir_remove(&t);
}

/* ---- modes and owners of what the store creates ---- */

static unsigned mode_of(const char *dir, const char *name, uid_t *ret_uid)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st) < 0)
		return 01000000; /* absent */
	*ret_uid = st.st_uid;
	return st.st_mode & 07777;
}

/* The state directory 0700, the database and its -wal and -shm 0600; with set_owner (the
 * daemon opening as root before the drop) all of them belong to that user. */
static void test_modes_and_owner(void)
{
	struct tdir t;
	struct bw_store_opts o = {.set_owner = true, .uid = 65534, .gid = 65534};
	struct bw_lease_rec a = rec_make(IP(10, 5, 0, 1), 1, BW_LEASE_BOUND, 1900000000000);
	struct bw_store *s = NULL;
	char dir[128], db[192], err[512];
	uid_t uid = 0;
	mode_t old = umask(022);

	if (!tdir_make(&t))
		return;
	if (geteuid() != 0)
		o.set_owner = false; /* only root gives files away */
	snprintf(dir, sizeof(dir), "%s/state", t.dir);
	snprintf(db, sizeof(db), "%s/leases.db", dir);
	CHECK_EQ_INT(bw_store_make_dir(dir, &o, err, sizeof(err)), 0);
	CHECK_EQ_INT(bw_store_make_dir(dir, &o, err, sizeof(err)), 0); /* exists: fine */
	CHECK_EQ_INT(mode_of(t.dir, "state", &uid), 0700);
	if (o.set_owner)
		CHECK_EQ_INT(uid, 65534);
	if (!CHECK_EQ_INT(bw_store_open_opts(db, &o, &s, err, sizeof(err)), 0)) {
		fprintf(stderr, "\t%s\n", err);
		goto out;
	}
	CHECK_EQ_INT(bw_store_lease_put(s, &a, 1), 0);
	CHECK_EQ_INT(mode_of(dir, "leases.db", &uid), 0600);
	if (o.set_owner)
		CHECK_EQ_INT(uid, 65534);
	CHECK_EQ_INT(mode_of(dir, "leases.db-wal", &uid), 0600);
	if (o.set_owner)
		CHECK_EQ_INT(uid, 65534);
	CHECK_EQ_INT(mode_of(dir, "leases.db-shm", &uid), 0600);
	if (o.set_owner)
		CHECK_EQ_INT(uid, 65534);
	bw_store_close(s);
	s = NULL;
	/* an existing database keeps its mode */
	CHECK_EQ_INT(chmod(db, 0640), 0);
	s = store_open_ok(db, false);
	CHECK_EQ_INT(mode_of(dir, "leases.db", &uid), 0640);
out:
	bw_store_close(s);
	umask(old);
	for (unsigned i = 0; i < 3; i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s%s", db, (const char *[]){"", "-wal", "-shm"}[i]);
		unlink(p);
	}
	rmdir(dir);
	tdir_remove(&t);
}

/* ---- group commit ---- */

struct async_test {
	struct bw_store_async *a;
	uv_check_t check;
	uv_timer_t timer;
	unsigned iter;      /* loop iterations, counted by the check handle */
	unsigned last_iter; /* iteration of the previous callback */
	unsigned batches;   /* iterations in which callbacks ran: one batch lands per turn */
	unsigned calls[1000];
	unsigned n_calls, n_bad_status;
	int want_status;
	unsigned next, ticks;
};

struct async_req {
	struct async_test *t;
	unsigned i;
};
static struct async_req async_reqs[1000];

static void async_check_cb(uv_check_t *h)
{
	struct async_test *t = h->data;

	t->iter++;
}

static void async_done_cb(void *ctx, int status)
{
	struct async_req *q = ctx;
	struct async_test *t = q->t;

	t->calls[q->i]++;
	t->n_calls++;
	if (status != t->want_status)
		t->n_bad_status++;
	if (t->n_calls == 1 || t->iter != t->last_iter)
		t->batches++;
	t->last_iter = t->iter;
}

static void async_test_init(struct async_test *t, uv_loop_t *loop)
{
	memset(t, 0, sizeof(*t));
	uv_check_init(loop, &t->check);
	t->check.data = t;
	uv_check_start(&t->check, async_check_cb);
	uv_unref((uv_handle_t *)&t->check); /* counts turns, does not keep the loop alive */
}

static int async_put(struct async_test *t, unsigned i)
{
	struct bw_lease_rec rec = rec_make(IP(10, 2, 0, 0) + i, (uint8_t)i, BW_LEASE_BOUND, i);

	async_reqs[i] = (struct async_req){.t = t, .i = i};
	snprintf(rec.hostname, sizeof(rec.hostname), "a%u", i);
	return bw_store_async_put(t->a, &rec, async_done_cb, &async_reqs[i]);
}

static void async_check_all_once(struct async_test *t, unsigned n)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++)
		bad += t->calls[i] != 1;
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(t->n_calls, n);
	CHECK_EQ_INT(t->n_bad_status, 0);
}

static void async_run(uv_loop_t *loop, struct async_test *t)
{
	uv_close((uv_handle_t *)&t->check, NULL);
	uv_close((uv_handle_t *)&t->timer, NULL);
	CHECK_EQ_INT(uv_run(loop, UV_RUN_DEFAULT), 0);
}

static void async_timer_cb(uv_timer_t *h)
{
	struct async_test *t = h->data;

	/* a burst of 20 puts per millisecond, 50 times */
	for (int k = 0; k < 20; k++)
		CHECK_EQ_INT(async_put(t, t->next++), 0);
	if (++t->ticks == 50)
		uv_timer_stop(h);
}

static void async_burst(uv_loop_t *loop, struct bw_store *s, struct rows *rs)
{
	struct async_test *t = malloc(sizeof(*t));
	bool ok = true;

	if (!CHECK(t != NULL))
		return;
	/* 1000 puts in one go: the first takes off alone, the rest share the next batch */
	async_test_init(t, loop);
	uv_timer_init(loop, &t->timer);
	CHECK_EQ_INT(bw_store_async_new(loop, s, &t->a), 0);
	for (unsigned i = 0; i < 1000; i++)
		ok = ok && CHECK_EQ_INT(async_put(t, i), 0);
	CHECK_EQ_INT(t->n_calls, 0); /* never called from inside _put */
	CHECK_EQ_U64(bw_store_async_pending(t->a), 1000);
	uv_run(loop, UV_RUN_DEFAULT);
	async_check_all_once(t, 1000);
	CHECK_EQ_U64(bw_store_async_pending(t->a), 0);
	fprintf(stderr, "1000 puts at once: %u batches\n", t->batches);
	CHECK(t->batches >= 2 && t->batches <= 10);
	bw_store_async_close(t->a); /* idle: gone at once */
	async_run(loop, t);
	if (CHECK_EQ_U64(rows_load(s, rs), 1000))
		CHECK_EQ_STR(rs->v[999].hostname, "a999");
	free(t);
}

static void async_timed(uv_loop_t *loop, struct bw_store *s)
{
	struct async_test *t = malloc(sizeof(*t));

	if (!CHECK(t != NULL))
		return;
	/* bursts from a timer: each batch carries what arrived while the last one committed */
	async_test_init(t, loop);
	CHECK_EQ_INT(bw_store_async_new(loop, s, &t->a), 0);
	uv_timer_init(loop, &t->timer);
	t->timer.data = t;
	uv_timer_start(&t->timer, async_timer_cb, 1, 1);
	uv_run(loop, UV_RUN_DEFAULT);
	async_check_all_once(t, 1000);
	fprintf(stderr, "50 bursts of 20 puts, 1 ms apart: %u batches\n", t->batches);
	CHECK(t->batches <= 100);
	bw_store_async_close(t->a);
	async_run(loop, t);
	free(t);
}

static void async_close_cb(void *ctx, int status)
{
	struct async_req *q = ctx;

	async_done_cb(ctx, status);
	if (q->i == 0) /* the batch in flight still calls back; new puts are refused */
		CHECK_EQ_INT(async_put(q->t, 999), -ESHUTDOWN);
}

static void async_close_busy(uv_loop_t *loop, struct bw_store *s, struct rows *rs)
{
	struct async_test *t = malloc(sizeof(*t));
	struct bw_lease_rec rec = rec_make(IP(10, 3, 0, 0), 1, BW_LEASE_BOUND, 1);
	size_t n;

	if (!CHECK(t != NULL))
		return;
	CHECK_EQ_INT(bw_store_lease_purge(s, INT64_MAX, &n), 0);
	/* closed with one batch in flight and 99 queued: all land, then it frees itself */
	async_test_init(t, loop);
	uv_timer_init(loop, &t->timer);
	CHECK_EQ_INT(bw_store_async_new(loop, s, &t->a), 0);
	for (unsigned i = 0; i < 100; i++) {
		async_reqs[i] = (struct async_req){.t = t, .i = i};
		rec.addr = IP(10, 3, 0, 0) + i;
		CHECK_EQ_INT(bw_store_async_put(t->a, &rec, async_close_cb, &async_reqs[i]), 0);
	}
	rec.state = 0;
	CHECK_EQ_INT(bw_store_async_put(t->a, &rec, async_done_cb, &async_reqs[0]), -EINVAL);
	bw_store_async_close(t->a);
	CHECK_EQ_INT(t->n_calls, 0);
	async_run(loop, t);
	async_check_all_once(t, 100);
	CHECK_EQ_U64(rows_load(s, rs), 100);
	free(t);
}

static void async_failing(uv_loop_t *loop, struct bw_store *ro)
{
	struct async_test *t = malloc(sizeof(*t));

	if (!CHECK(t != NULL))
		return;
	/* a read-only store: every batch fails, every caller hears about it */
	async_test_init(t, loop);
	uv_timer_init(loop, &t->timer);
	t->want_status = -EROFS;
	CHECK_EQ_INT(bw_store_async_new(loop, ro, &t->a), 0);
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ_INT(async_put(t, i), 0);
	bw_store_async_close(t->a);
	async_run(loop, t);
	async_check_all_once(t, 10);
	free(t);
}

static void test_async(void)
{
	struct tdir t;
	struct bw_store *s, *ro = NULL;
	struct rows rs = {0};
	uv_loop_t loop;

	if (!tdir_make(&t))
		return;
	s = store_open_ok(t.db, false);
	if (!s || !CHECK_EQ_INT(uv_loop_init(&loop), 0))
		goto out;
	async_burst(&loop, s, &rs);
	async_timed(&loop, s);
	async_close_busy(&loop, s, &rs);
	ro = store_open_ok(t.db, true);
	if (ro)
		async_failing(&loop, ro);
	CHECK_EQ_INT(uv_loop_close(&loop), 0); /* nothing left behind on the loop */
out:
	bw_store_close(ro);
	bw_store_close(s);
	free(rs.v);
	tdir_remove(&t);
}

int main(void)
{
	test_round_trip();
	test_replace_and_invalid();
	test_purge();
	test_reader_beside_writer();
	test_open_errors();
	test_big_batch();
	test_corrupt_rows();
	test_damaged_truncated();
	test_damaged_garbage();
	test_damaged_quick_check();
	test_damaged_bad_row();
	test_unlinked_while_open();
	test_replaced_while_open();
	test_commit_locked();
	test_modes_and_owner();
	test_async();
	return check_summary();
}
