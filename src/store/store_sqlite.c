/* The lease store on SQLite (store.h). One connection per store, its statements prepared
 * once. WAL, so `bootwire leases` can read beside the daemon; synchronous=FULL, so a COMMIT
 * that returned is on disk; the WAL files are kept after close (PERSIST_WAL), so a reader
 * that may not write the directory still finds them.
 * Every call holds the store's mutex: store_async commits on libuv's thread pool while the
 * loop thread may walk or purge. A foreach callback must not call back into the store.
 * A writer keeps a descriptor of its own on the database file (id_fd) to notice the file
 * being deleted or replaced under it: each commit first compares fstat(id_fd) with
 * stat(path). It is closed only after SQLite's connection (closing any descriptor of a file
 * drops every POSIX lock the process holds on it, SQLite's included). */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/netaddr.h"
#include "store/store_decode.h"
#include "store/store_row.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_WAL_LIMIT "4194304" /* bytes the WAL file is trimmed to after a checkpoint */
#define STORE_CHECK_MAX 20u      /* problems quick_check reports at most (its SQL says 20) */
#define STORE_REPAIR_HINT                                                                      \
	"bootwire will not start on it (its leases would be lost and their addresses offered "  \
	"to other clients); stop bootwire, then keep a copy and recover what can be read with: " \
	"bootwire leases --repair --db %s"

/* migrations[v] takes a database from user_version v to v + 1. Append, never edit. */
static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE lease ("
	" addr INTEGER PRIMARY KEY," /* IPv4, host byte order */
	" mac BLOB NOT NULL,"
	" client_id BLOB,"           /* NULL: none */
	" hostname TEXT NOT NULL DEFAULT '',"
	" starts_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL,"
	" state INTEGER NOT NULL)",
};

struct bw_store {
	sqlite3 *db;
	char *path;
	bool readonly;
	struct bw_store_opts opts;
	pthread_mutex_t lock;
	sqlite3_stmt *begin, *commit, *rollback; /* NULL when readonly */
	sqlite3_stmt *put, *purge;               /* NULL when readonly */
	sqlite3_stmt *walk;
	int id_fd;        /* the writer's own descriptor of the file (-1: none) */
	bool gone;        /* the file at path is no longer this one: no more commits */
	int64_t gone_log_ms; /* last time that was logged (once a minute at most) */
};

static int store_errno(sqlite3 *db, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
	case SQLITE_CANTOPEN:
		e = db ? sqlite3_system_errno(db) : 0;
		if (e == ENOENT || e == EACCES || e == EPERM || e == EROFS || e == ENOTDIR)
			return -e;
		return -EIO;
	default: return -EIO;
	}
}

/* "cannot open lease database PATH: ..." into err; returns r. */
static int store_open_error(const struct bw_store *s, char *err, size_t errcap, int r,
			    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int store_open_error(const struct bw_store *s, char *err, size_t errcap, int r,
			    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errcap)
		return r;
	n = snprintf(err, errcap, "cannot open lease database %s: ", s->path);
	if (n >= 0 && (size_t)n < errcap) {
		va_start(ap, fmt);
		vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* The same for an SQLite failure: the OS's reason when it has one, else SQLite's. */
static int store_open_sqlerr(const struct bw_store *s, char *err, size_t errcap, int rc,
			     const char *what)
{
	int e = s->db ? sqlite3_system_errno(s->db) : 0;
	int r = store_errno(s->db, rc);

	if ((rc & 0xff) == SQLITE_CANTOPEN && e)
		return store_open_error(s, err, errcap, r, "%s%s", what, strerror(e));
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		return store_open_error(s, err, errcap, r, "%s%s; " STORE_REPAIR_HINT, what,
					s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
					s->path);
	return store_open_error(s, err, errcap, r, "%s%s", what,
				s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

/* After a failed step at run time: logs SQLite's words (errno alone would lose them). */
static int store_runtime_error(const struct bw_store *s, int rc, const char *what)
{
	bw_log(BW_LOG_ERROR, "store", s->path, "%s failed: %s", what, sqlite3_errmsg(s->db));
	return store_errno(s->db, rc);
}

/* Runs a statement that returns at most one row; *ret_v gets its first column (0 if none). */
static int store_query_int(sqlite3 *db, const char *sql, int64_t *ret_v)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*ret_v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int store_set_journal(struct bw_store *s, char *err, size_t errcap)
{
	const unsigned char *mode;
	sqlite3_stmt *st;
	int rc, on = 1;
	bool wal;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	wal = mode && !strcmp((const char *)mode, "wal");
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_open_sqlerr(s, err, errcap, rc, "");
	if (!wal)
		return store_open_error(s, err, errcap, -EIO,
					"the file system does not support WAL journaling");
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	rc = sqlite3_exec(s->db,
			  "PRAGMA synchronous=FULL; PRAGMA journal_size_limit=" STORE_WAL_LIMIT,
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	return 0;
}

/* Refuses another program's database and a newer schema before anything is changed; a
 * reader, which cannot migrate, needs exactly this code's schema. */
static int store_check_schema(struct bw_store *s, char *err, size_t errcap)
{
	int64_t v = 0, n_objects = 0;
	int rc;

	rc = store_query_int(s->db, "PRAGMA user_version", &v);
	if (rc == SQLITE_OK && v == 0)
		rc = store_query_int(s->db, "SELECT count(*) FROM sqlite_master", &n_objects);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	if (v == 0 && (n_objects > 0 || s->readonly))
		return store_open_error(s, err, errcap, -EIO, "not a bootwire lease database");
	if (v > STORE_SCHEMA_VERSION)
		return store_open_error(s, err, errcap, -EIO,
					"schema version %lld is newer than this bootwire's (%d)",
					(long long)v, STORE_SCHEMA_VERSION);
	if (v < STORE_SCHEMA_VERSION && s->readonly)
		return store_open_error(s, err, errcap, -EIO,
					"schema version %lld is older than this bootwire's (%d); "
					"the daemon upgrades it when it starts",
					(long long)v, STORE_SCHEMA_VERSION);
	return 0;
}

/* Brings the schema to STORE_SCHEMA_VERSION in one transaction (read again under the lock:
 * another process may have done it meanwhile). */
static int store_migrate(struct bw_store *s, char *err, size_t errcap)
{
	int64_t v = 0;
	char sql[64];
	int rc, r;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	rc = store_query_int(s->db, "PRAGMA user_version", &v);
	for (; rc == SQLITE_OK && v < STORE_SCHEMA_VERSION; v++) {
		rc = sqlite3_exec(s->db, store_migrations[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%lld", (long long)v + 1);
			rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	r = store_open_sqlerr(s, err, errcap, rc, "updating the schema: ");
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Counts the problems in one quick_check row (one per line, "*** in database main ***"
 * headers aside) and copies the first into first[] when it is still empty. */
static unsigned store_check_lines(const char *msg, char *first, size_t cap)
{
	unsigned n = 0;

	while (*msg) {
		size_t len = strcspn(msg, "\n");

		if (len && strncmp(msg, "*** ", 4) != 0 && n++ == 0 && !*first)
			snprintf(first, cap, "%.*s", (int)len, msg);
		msg += len;
		msg += *msg == '\n';
	}
	return n;
}

/* PRAGMA quick_check: 0 when it says "ok"; otherwise the first problem and how many more
 * into err (-EBADMSG). A database too damaged to be checked fails here too. */
static int store_quick_check(struct bw_store *s, char *err, size_t errcap)
{
	const unsigned char *msg;
	char first[256] = "";
	sqlite3_stmt *st;
	unsigned n = 0;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(20)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		msg = sqlite3_column_text(st, 0);
		if (msg && strcmp((const char *)msg, "ok") != 0)
			n += store_check_lines((const char *)msg, first, sizeof(first));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_open_sqlerr(s, err, errcap, rc, "");
	if (!n)
		return 0;
	return store_open_error(s, err, errcap, -EBADMSG,
				"the file is damaged: quick_check found %u problem(s)%s, the first: "
				"%s; " STORE_REPAIR_HINT,
				n, n >= STORE_CHECK_MAX ? " or more" : "", first, s->path);
}

/* Every row must read back as a lease: a row skipped at start-up would free an address
 * somebody holds. -EBADMSG with the first bad row and the count in err. */
static int store_check_rows(struct bw_store *s, char *err, size_t errcap)
{
	struct bw_lease_rec rec;
	const char *bad, *first_bad = NULL;
	char first_addr[24] = "";
	sqlite3_stmt *st;
	size_t n_bad = 0;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "SELECT " BW_STORE_ROW_COLUMNS " FROM lease", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bad = bw_store_row_read(st, &rec);
		if (bad && n_bad++ == 0) {
			first_bad = bad;
			bw_store_fmt_addr(sqlite3_column_int64(st, 0), first_addr,
					  sizeof(first_addr));
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_open_sqlerr(s, err, errcap, rc, "");
	if (!n_bad)
		return 0;
	return store_open_error(s, err, errcap, -EBADMSG,
				"the file is damaged: %zu lease row(s) cannot be read, the first "
				"(address %s): %s; " STORE_REPAIR_HINT,
				n_bad, first_addr, first_bad, s->path);
}

static int store_prepare(struct bw_store *s, char *err, size_t errcap)
{
	const struct {
		sqlite3_stmt **st;
		const char *sql;
		bool write;
	} t[] = {
		{&s->walk, "SELECT " BW_STORE_ROW_COLUMNS " FROM lease ORDER BY addr", false},
		{&s->begin, "BEGIN IMMEDIATE", true},
		{&s->commit, "COMMIT", true},
		{&s->rollback, "ROLLBACK", true},
		{&s->put, "INSERT OR REPLACE INTO lease (addr, mac, client_id, hostname, starts_ms,"
			  " expires_ms, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", true},
		{&s->purge, "DELETE FROM lease WHERE expires_ms < ?1", true},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		if (t[i].write && s->readonly)
			continue;
		rc = sqlite3_prepare_v3(s->db, t[i].sql, -1, SQLITE_PREPARE_PERSISTENT, t[i].st,
					NULL);
		if (rc != SQLITE_OK)
			return store_open_sqlerr(s, err, errcap, rc, "");
	}
	return 0;
}

/* A writer creates a missing database file itself, 0600 and owned as opts say, before
 * SQLite opens it: SQLite then gives the -wal and -shm it creates the same mode (and, as
 * root, the same owner). Closing this descriptor is safe: SQLite holds no lock yet. */
static int store_create_file(struct bw_store *s, char *err, size_t errcap)
{
	int fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r = 0;

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return store_open_error(s, err, errcap, -errno, "%s", strerror(errno));
	if (fchmod(fd, 0600) < 0 ||
	    (s->opts.set_owner && fchown(fd, s->opts.uid, s->opts.gid) < 0)) {
		r = store_open_error(s, err, errcap, -errno, "setting its mode or owner: %s",
				     strerror(errno));
		unlink(s->path);
	}
	close(fd);
	return r;
}

static int store_connect(struct bw_store *s, char *err, size_t errcap)
{
	int flags = SQLITE_OPEN_NOMUTEX; /* the store's own mutex serialises every call */
	int rc;

	flags |= s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (!s->readonly && (rc = store_create_file(s, err, errcap)) < 0)
		return rc;
	rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return store_open_sqlerr(s, err, errcap, rc, "");
	/* SQLite quietly opens a file it may not write read-only */
	if (!s->readonly && sqlite3_db_readonly(s->db, "main") == 1)
		return store_open_error(s, err, errcap, -EACCES, "%s", strerror(EACCES));
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

/* The file SQLite opened, held so a commit can tell whether path still names it. */
static int store_keep_identity(struct bw_store *s, char *err, size_t errcap)
{
	s->id_fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->id_fd < 0)
		return store_open_error(s, err, errcap, -errno, "%s", strerror(errno));
	return 0;
}

int bw_store_open(const char *path, bool readonly, struct bw_store **ret, char *err,
		  size_t errcap)
{
	struct bw_store_opts o = {.readonly = readonly};

	return bw_store_open_opts(path, &o, ret, err, errcap);
}

int bw_store_make_dir(const char *dir, const struct bw_store_opts *opts, char *err,
		      size_t errcap)
{
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errcap, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	/* mkdir's mode went through the umask: say it exactly */
	if (chmod(dir, 0700) < 0 ||
	    (opts->set_owner && chown(dir, opts->uid, opts->gid) < 0)) {
		int r = -errno;

		snprintf(err, errcap, "%s: setting its mode or owner: %s", dir, strerror(-r));
		return r;
	}
	return 0;
}

int bw_store_open_opts(const char *path, const struct bw_store_opts *opts,
		       struct bw_store **ret, char *err, size_t errcap)
{
	bool readonly = opts->readonly;
	struct bw_store *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errcap, "cannot open lease database %s: out of memory", path);
		return -ENOMEM;
	}
	s->readonly = readonly;
	s->opts = *opts;
	s->id_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	r = store_connect(s, err, errcap);
	if (r == 0 && !readonly)
		r = store_keep_identity(s, err, errcap);
	if (r == 0)
		r = store_quick_check(s, err, errcap);
	if (r == 0)
		r = store_check_schema(s, err, errcap);
	if (r == 0 && !readonly)
		r = store_set_journal(s, err, errcap);
	if (r == 0 && !readonly)
		r = store_migrate(s, err, errcap);
	if (r == 0)
		r = store_check_rows(s, err, errcap);
	if (r == 0)
		r = store_prepare(s, err, errcap);
	if (r < 0) {
		bw_store_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void bw_store_close(struct bw_store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->walk);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->purge);
	sqlite3_close(s->db); /* NULL is a no-op; the last writer checkpoints here */
	if (s->id_fd >= 0)
		close(s->id_fd); /* after SQLite's: see the top of the file */
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

/* Steps a statement that returns no row, then resets it: 0, or the error (logged). */
static int store_step(struct bw_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), r = 0;

	if (rc != SQLITE_DONE)
		r = store_runtime_error(s, rc, what);
	sqlite3_reset(st);
	return r;
}

static bool store_rec_is_valid(const struct bw_lease_rec *rec)
{
	return rec->state >= BW_LEASE_BOUND && rec->state <= BW_LEASE_DECLINED &&
	       rec->client_id_len <= BW_LEASE_CLIENT_ID_MAX &&
	       memchr(rec->hostname, '\0', sizeof(rec->hostname));
}

static int store_put_one(struct bw_store *s, const struct bw_lease_rec *rec)
{
	sqlite3_stmt *st = s->put;

	sqlite3_bind_int64(st, 1, rec->addr);
	sqlite3_bind_blob(st, 2, rec->mac, sizeof(rec->mac), SQLITE_STATIC);
	if (rec->client_id_len)
		sqlite3_bind_blob(st, 3, rec->client_id, rec->client_id_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, rec->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, rec->starts_ms);
	sqlite3_bind_int64(st, 6, rec->expires_ms);
	sqlite3_bind_int(st, 7, (int)rec->state);
	return store_step(s, st, "lease write");
}

/* Saves what the open connection still reads (the deleted or replaced file lives on while
 * it is open) as path.orphaned-TIMESTAMP, so the leases acknowledged so far are not lost
 * with it. Its name in ret (empty on failure). */
static void store_rescue(struct bw_store *s, char *ret, size_t cap)
{
	sqlite3_backup *b;
	sqlite3 *dst = NULL;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd, rc;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(ret, cap, "%s.orphaned-%s", s->path, stamp);
	fd = open(ret, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (s->opts.set_owner && fchown(fd, s->opts.uid, s->opts.gid) < 0)
		bw_log(BW_LOG_WARN, "store", ret, "cannot give it to uid %u: %s",
		       (unsigned)s->opts.uid, strerror(errno));
	close(fd);
	rc = sqlite3_open_v2(ret, &dst, SQLITE_OPEN_READWRITE, NULL);
	b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", s->db, "main") : NULL;
	if (b) {
		sqlite3_backup_step(b, -1);
		rc = sqlite3_backup_finish(b);
	} else {
		rc = SQLITE_ERROR;
	}
	sqlite3_close(dst);
	if (rc == SQLITE_OK)
		return;
	unlink(ret);
fail:
	*ret = '\0';
}

/* Whether path still names the file this store has open (the same device and inode, still
 * linked). Once it does not, every batch fails with -ESTALE: writing on would acknowledge
 * leases into a file nobody will read again. Logged once a minute at most. */
static int store_check_path(struct bw_store *s)
{
	struct stat fst, pst;
	const char *why = NULL;
	char rescued[4200] = "";
	struct timespec ts;
	int64_t now;

	if (s->id_fd < 0)
		return 0;
	if (!s->gone) {
		if (fstat(s->id_fd, &fst) < 0)
			return -errno;
		if (stat(s->path, &pst) < 0)
			why = errno != ENOENT ? "made unreachable"
			      : fst.st_nlink == 0 ? "deleted" : "moved away";
		else if (pst.st_dev != fst.st_dev || pst.st_ino != fst.st_ino)
			why = "replaced by another file";
		else if (fst.st_nlink == 0)
			why = "deleted"; /* and yet stat found it: a file system that lies */
		if (!why)
			return 0;
		s->gone = true;
		store_rescue(s, rescued, sizeof(rescued));
		bw_log(BW_LOG_ERROR, "store", s->path,
		       "the lease database was %s while bootwire had it open: no lease is written "
		       "or acknowledged from now on; %s%s%srestart bootwire with the database in "
		       "place", why, *rescued ? "the leases it held are saved in " : "",
		       rescued, *rescued ? " (move it to the database's path to keep them); " : "");
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s->gone_log_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		return -ESTALE;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now - s->gone_log_ms >= 60000) {
		s->gone_log_ms = now;
		bw_log(BW_LOG_ERROR, "store", s->path, "the lease database is gone (deleted or "
		       "replaced while open): leases are not written or acknowledged; restart "
		       "bootwire with the database in place");
	}
	return -ESTALE;
}

int bw_store_lease_put(struct bw_store *s, const struct bw_lease_rec *v, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if (s->readonly)
		return -EROFS;
	for (size_t i = 0; i < n; i++)
		if (!store_rec_is_valid(&v[i]))
			return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = store_check_path(s);
	if (r < 0)
		goto out_unlock;
	r = store_step(s, s->begin, "lease write (BEGIN)");
	if (r < 0)
		goto out_unlock;
	for (size_t i = 0; i < n && r == 0; i++)
		r = store_put_one(s, &v[i]);
	if (r == 0)
		r = store_step(s, s->commit, "lease write (COMMIT)");
	/* a failed COMMIT may leave the transaction open (SQLITE_BUSY) or have ended it */
	if (r < 0 && !sqlite3_get_autocommit(s->db))
		store_step(s, s->rollback, "lease write (ROLLBACK)");
out_unlock:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Column i of the walk's current row, as SQLite has it (type first, then the value: the
 * order sqlite3_column_type() asks for). */
static void store_col_read(sqlite3_stmt *st, int i, struct bw_store_col *c)
{
	*c = (struct bw_store_col){.type = BW_STORE_COL_NULL};
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		c->type = BW_STORE_COL_INT;
		c->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT: c->type = BW_STORE_COL_REAL; break;
	case SQLITE_TEXT:
		c->type = BW_STORE_COL_TEXT;
		c->p = sqlite3_column_text(st, i);
		c->len = (size_t)sqlite3_column_bytes(st, i);
		break;
	case SQLITE_BLOB:
		c->type = BW_STORE_COL_BLOB;
		c->p = sqlite3_column_blob(st, i);
		c->len = (size_t)sqlite3_column_bytes(st, i);
		break;
	default: break;
	}
}

/* store_row.h; the decoding is store_decode.c's (pure, fuzzed). */
const char *bw_store_row_read(sqlite3_stmt *st, struct bw_lease_rec *rec)
{
	struct bw_store_col cols[BW_STORE_LEASE_NCOLS];
	const char *why = NULL;

	for (int i = 0; i < BW_STORE_LEASE_NCOLS; i++)
		store_col_read(st, i, &cols[i]);
	return bw_store_lease_decode(cols, rec, &why) < 0 ? why : NULL;
}

void bw_store_fmt_addr(int64_t v, char *buf, size_t cap)
{
	char s[BW_IPV4_STRLEN];

	if (v >= 0 && v <= UINT32_MAX) {
		bw_ipv4_format((uint32_t)v, s);
		snprintf(buf, cap, "%s", s);
	} else
		snprintf(buf, cap, "%lld", (long long)v);
}

int bw_store_lease_foreach(struct bw_store *s,
			   int (*cb)(const struct bw_lease_rec *rec, void *ctx), void *ctx)
{
	struct bw_lease_rec rec;
	const char *bad, *first_bad = NULL;
	char first_addr[24] = "";
	size_t n_bad = 0;
	int rc, r = 0;

	pthread_mutex_lock(&s->lock);
	while ((rc = sqlite3_step(s->walk)) == SQLITE_ROW) {
		bad = bw_store_row_read(s->walk, &rec);
		if (bad) {
			if (n_bad++ == 0) {
				first_bad = bad;
				bw_store_fmt_addr(sqlite3_column_int64(s->walk, 0), first_addr,
					       sizeof(first_addr));
			}
			continue;
		}
		r = cb(&rec, ctx);
		if (r)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_runtime_error(s, rc, "lease read");
	sqlite3_reset(s->walk);
	pthread_mutex_unlock(&s->lock);
	if (n_bad)
		bw_log(BW_LOG_WARN, "store", s->path,
		       "skipped %zu corrupt lease row(s); first: %s: %s", n_bad, first_addr,
		       first_bad);
	return r;
}

int bw_store_lease_purge(struct bw_store *s, int64_t before_ms, size_t *ret_n)
{
	int r;

	if (s->readonly)
		return -EROFS;
	pthread_mutex_lock(&s->lock);
	sqlite3_bind_int64(s->purge, 1, before_ms);
	r = store_step(s, s->purge, "lease purge");
	if (r == 0)
		*ret_n = (size_t)sqlite3_changes(s->db);
	pthread_mutex_unlock(&s->lock);
	return r;
}
