/* The embedded store: durable state that must survive a restart. For now, DHCP leases.
 * Backed by SQLite in WAL mode (store_sqlite.c). Calls are synchronous and blocking; the
 * event loop reaches them through store_async.h, never directly on a hot path. */
#ifndef BW_STORE_H
#define BW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bw_store;

enum bw_lease_state {
	BW_LEASE_BOUND = 1,    /* acknowledged; valid until expires_ms */
	BW_LEASE_RELEASED = 2, /* the client gave it back; the address is free */
	BW_LEASE_DECLINED = 3, /* a client reported it in use: quarantined until expires_ms */
};

#define BW_LEASE_CLIENT_ID_MAX 64
#define BW_LEASE_HOSTNAME_MAX 64

/* One lease row, keyed by address. Times are Unix epoch milliseconds (wall clock), so
 * they mean the same after a restart. */
struct bw_lease_rec {
	uint32_t addr; /* IPv4, host byte order */
	uint8_t mac[6];
	uint8_t client_id_len; /* 0: none */
	uint8_t client_id[BW_LEASE_CLIENT_ID_MAX];
	char hostname[BW_LEASE_HOSTNAME_MAX]; /* NUL-terminated, as sent by the client ("" none) */
	int64_t starts_ms;
	int64_t expires_ms;
	enum bw_lease_state state;
};

/* Opens (creating when absent and !readonly) the database at path, with its schema,
 * WAL journal and synchronous=FULL, so a transaction that returned is on disk.
 * readonly: for `bootwire leases`, which may run beside the daemon.
 * A damaged file is refused, never opened empty: PRAGMA quick_check must pass and every
 * lease row must read back (-EBADMSG; a file that is not a database at all: -EIO); the
 * message names the file, what is wrong and the repair command (bw_store_salvage).
 * Errors: a negative errno, with a one-line message in err. */
int bw_store_open(const char *path, bool readonly, struct bw_store **ret, char *err,
		  size_t errcap);
void bw_store_close(struct bw_store *s); /* NULL is a no-op */

/* How the daemon opens its database. A database the writer creates is made 0600 (SQLite
 * gives its -wal and -shm the database's mode, and, running as root, its owner); with
 * set_owner it is given to uid:gid first, for a daemon that opens the store as root and
 * then drops to `user`. An existing file keeps its mode and owner. */
struct bw_store_opts {
	bool readonly;
	bool set_owner;
	uid_t uid;
	gid_t gid;
};

/* bw_store_open with opts (bw_store_open(p, ro, ...) is opts {.readonly = ro}). */
int bw_store_open_opts(const char *path, const struct bw_store_opts *opts,
		       struct bw_store **ret, char *err, size_t errcap);
/* Creates the state directory dir (the last component only) mode 0700, given to uid:gid
 * when opts->set_owner. An existing directory is left as it is. 0, or a negative errno
 * with a message in err. */
int bw_store_make_dir(const char *dir, const struct bw_store_opts *opts, char *err,
		      size_t errcap);

/* Writes n rows (insert or replace by addr) in ONE transaction: one fsync for the batch
 * (group commit). Returns 0 only when all are durable; on failure nothing is written.
 * First checks that path still names the open file (same st_dev/st_ino, still linked):
 * once it was deleted or replaced, this and every later call fail with -ESTALE, the
 * error is logged (once, then once a minute) and what the open file still holds is saved
 * as path.orphaned-TIMESTAMP. */
int bw_store_lease_put(struct bw_store *s, const struct bw_lease_rec *v, size_t n);
/* Calls cb for every row, ordered by address; cb returning non-zero stops the walk and
 * is passed back. */
int bw_store_lease_foreach(struct bw_store *s,
			   int (*cb)(const struct bw_lease_rec *rec, void *ctx), void *ctx);
/* Deletes rows whose expires_ms < before_ms (a RELEASED row's expires_ms is the moment of
 * its release); *ret_n: rows deleted. */
int bw_store_lease_purge(struct bw_store *s, int64_t before_ms, size_t *ret_n);

/* Repair (`bootwire leases --repair`): reads what can be read of the database at path,
 * opened read-only and never changed. kept() gets each lease row that reads back whole
 * (ordered by address; non-zero stops and is passed back); dropped() each row, or run of
 * rows, that cannot be read: where ("10.0.0.5", "rows after 10.0.0.7", "the whole file")
 * and why. Returns 0 when the walk ran (whatever it dropped), a negative errno with a
 * message in err when the file cannot be opened at all. */
int bw_store_salvage(const char *path, int (*kept)(const struct bw_lease_rec *rec, void *ctx),
		     void (*dropped)(const char *where, const char *why, void *ctx), void *ctx,
		     char *err, size_t errcap);

#endif
