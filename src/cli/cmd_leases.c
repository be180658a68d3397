/* `bootwire leases`: the lease database, opened read-only, as a table or as JSON. Safe beside
 * a running daemon: a WAL reader neither blocks nor is blocked by the writer.
 * `bootwire leases --repair`: a damaged database (which the daemon refuses) is moved aside,
 * kept, and what can be read of it written to a fresh one; only with the daemon stopped. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/netaddr.h"
#include "core/util.h"
#include "dhcp/dhcp_config.h"
#include "store/store.h"

struct leases_list {
	struct bw_lease_rec *v;
	size_t n, cap;
	bool all;
	int64_t now_ms; /* wall clock */
};

static void leases_usage(FILE *f)
{
	fprintf(f, "usage: bootwire leases (-c FILE | --db PATH) [--json] [--all]\n"
		   "       bootwire leases --repair (-c FILE | --db PATH)\n\n"
		   "Lists the DHCP leases in the lease database, read-only (safe while the daemon\n"
		   "runs). By default: bound leases that have not expired, and declined addresses\n"
		   "still in quarantine.\n\n"
		   "  -c, --config FILE  take the database path from FILE (dhcp.lease_db)\n"
		   "      --db PATH      the lease database itself\n"
		   "  -a, --all          every row, released and expired ones too\n"
		   "  -j, --json         a JSON array instead of a table (times in Unix seconds)\n"
		   "      --repair       recover a damaged database (bootwire serve refuses one):\n"
		   "                     the damaged file is kept as PATH.damaged-TIMESTAMP, every\n"
		   "                     lease that still reads back is written to a new PATH, and\n"
		   "                     each lease kept and each row dropped (with why) is listed.\n"
		   "                     Stop the daemon first; an undamaged database is left alone\n"
		   "  -h, --help         this help\n");
}

static bool leases_is_current(const struct bw_lease_rec *rec, int64_t now_ms)
{
	return rec->state != BW_LEASE_RELEASED && rec->expires_ms > now_ms;
}

static const char *leases_state_name(const struct bw_lease_rec *rec, int64_t now_ms)
{
	if (rec->state == BW_LEASE_RELEASED)
		return "released";
	if (rec->expires_ms <= now_ms)
		return "expired";
	return rec->state == BW_LEASE_DECLINED ? "declined" : "bound";
}

static int leases_collect_cb(const struct bw_lease_rec *rec, void *ctx)
{
	struct leases_list *l = ctx;

	if (!l->all && !leases_is_current(rec, l->now_ms))
		return 0;
	if (l->n == l->cap) {
		size_t cap = 256, bytes;
		struct bw_lease_rec *v;

		if (l->cap && !bw_mul_size(l->cap, 2, &cap))
			return -ENOMEM;
		if (!bw_mul_size(cap, sizeof(*v), &bytes))
			return -ENOMEM;
		v = realloc(l->v, bytes);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *rec;
	return 0;
}

static char *leases_fmt_addr(uint32_t a, char *buf, size_t cap)
{
	char s[BW_IPV4_STRLEN];

	bw_ipv4_format(a, s);
	snprintf(buf, cap, "%s", s);
	return buf;
}

/* Bytes as lower-case hex pairs joined by colons ("" for none). */
static char *leases_fmt_hex(const uint8_t *p, size_t len, char *buf, size_t cap)
{
	bw_hex_format(p, len, ':', buf, cap);
	return buf;
}

/* Floor division, so times before 1970 round the same way as after. */
static int64_t leases_unix_s(int64_t ms)
{
	return ms / 1000 - (ms % 1000 < 0);
}

static char *leases_fmt_expires(int64_t ms, int64_t now_ms, char *buf, size_t cap)
{
	time_t t = (time_t)leases_unix_s(ms);
	struct tm tm;

	if (ms <= now_ms)
		snprintf(buf, cap, "expired");
	else if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, cap, "-"); /* beyond what the calendar functions handle */
	return buf;
}

static void leases_print_table(const struct leases_list *l)
{
	char addr[16], mac[18], exp[64], host[4 * BW_LEASE_HOSTNAME_MAX];
	char cid[3 * BW_LEASE_CLIENT_ID_MAX];
	int host_w = (int)strlen("HOSTNAME");

	/* hostnames came from the network: escaped, then measured for the column */
	for (size_t i = 0; i < l->n; i++) {
		const char *h = l->v[i].hostname;
		int w = (int)strlen(bw_escape(h, strlen(h), host, sizeof(host)));

		if (w > host_w)
			host_w = w;
	}
	printf("%-15s  %-17s  %-8s  %-19s  %-*s  %s\n", "ADDRESS", "MAC", "STATE", "EXPIRES",
	       host_w, "HOSTNAME", "CLIENT-ID");
	for (size_t i = 0; i < l->n; i++) {
		const struct bw_lease_rec *r = &l->v[i];

		bw_escape(r->hostname, strlen(r->hostname), host, sizeof(host));
		leases_fmt_hex(r->client_id, r->client_id_len, cid, sizeof(cid));
		printf("%-15s  %-17s  %-8s  %-19s  %-*s  %s\n",
		       leases_fmt_addr(r->addr, addr, sizeof(addr)),
		       leases_fmt_hex(r->mac, sizeof(r->mac), mac, sizeof(mac)),
		       leases_state_name(r, l->now_ms),
		       leases_fmt_expires(r->expires_ms, l->now_ms, exp, sizeof(exp)), host_w,
		       *host ? host : "-", *cid ? cid : "-");
	}
}

/* s as a JSON string. Bytes outside printable ASCII become \u00XX, so the output stays
 * valid UTF-8 whatever a client sent. */
static void leases_json_str(const char *s)
{
	static const char hex[] = "0123456789abcdef";

	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
		else
			putchar(*p);
	}
	putchar('"');
}

static void leases_print_json(const struct leases_list *l)
{
	char addr[16], mac[18], cid[3 * BW_LEASE_CLIENT_ID_MAX];

	printf("[");
	for (size_t i = 0; i < l->n; i++) {
		const struct bw_lease_rec *r = &l->v[i];

		printf("%s\n  {\"address\": \"%s\", \"mac\": \"%s\", \"state\": \"%s\", "
		       "\"starts\": %lld, \"expires\": %lld, \"hostname\": ",
		       i ? "," : "", leases_fmt_addr(r->addr, addr, sizeof(addr)),
		       leases_fmt_hex(r->mac, sizeof(r->mac), mac, sizeof(mac)),
		       leases_state_name(r, l->now_ms), (long long)leases_unix_s(r->starts_ms),
		       (long long)leases_unix_s(r->expires_ms));
		if (*r->hostname)
			leases_json_str(r->hostname);
		else
			printf("null");
		printf(", \"client_id\": ");
		if (r->client_id_len)
			printf("\"%s\"}", leases_fmt_hex(r->client_id, r->client_id_len, cid,
							  sizeof(cid)));
		else
			printf("null}");
	}
	printf("%s]\n", l->n ? "\n" : "");
}

/* The lease database named by a config file (malloc'ed), or NULL after saying why. */
static char *leases_db_from_config(const char *file)
{
	const struct bw_dhcp_config *dc;
	struct bw_config *cfg;
	char err[8192], *path = NULL;

	if (bw_config_load(file, &cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		return NULL;
	}
	dc = bw_config_get(cfg, &bw_dhcp_cfg_section);
	if (!dc || !dc->lease_db)
		fprintf(stderr, "bootwire leases: %s: no dhcp.lease_db\n", file);
	else if (!(path = strdup(dc->lease_db)))
		fprintf(stderr, "bootwire leases: out of memory\n");
	bw_config_free(cfg);
	return path;
}

/* Reads, filters and prints; the process exit status. */
static int leases_show(const char *db, bool all, bool json)
{
	struct leases_list l = {.all = all};
	struct bw_store *s;
	struct timespec ts;
	char err[1024];
	int r;

	if (bw_store_open(db, true, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "bootwire leases: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	l.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	r = bw_store_lease_foreach(s, leases_collect_cb, &l);
	bw_store_close(s);
	if (r < 0) {
		fprintf(stderr, "bootwire leases: reading %s: %s\n", db, strerror(-r));
		free(l.v);
		return 1;
	}
	if (json)
		leases_print_json(&l);
	else
		leases_print_table(&l);
	free(l.v);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bootwire leases: writing the output failed\n");
		return 1;
	}
	return 0;
}

/* ---- --repair ---- */

struct leases_repair {
	struct leases_list kept;
	size_t n_dropped;
};

static int leases_repair_kept_cb(const struct bw_lease_rec *rec, void *ctx)
{
	return leases_collect_cb(rec, &((struct leases_repair *)ctx)->kept);
}

static void leases_repair_dropped_cb(const char *where, const char *why, void *ctx)
{
	struct leases_repair *rp = ctx;

	printf("  dropped %s: %s\n", where, why);
	rp->n_dropped++;
}

/* Whether another process has the database open: every SQLite connection to a WAL database
 * holds a read lock on byte 128 of its -shm file (SQLite's "DMS" lock) while it is open. */
static bool leases_db_in_use(const char *db)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 128, .l_len = 1};
	char shm[4096];
	bool busy;
	int fd;

	snprintf(shm, sizeof(shm), "%s-shm", db);
	fd = open(shm, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return busy;
}

/* Moves db (and its -wal and -journal, which belong to it) to db.damaged-TIMESTAMP[-N];
 * the -shm is derived and goes. The new name in ret_name. */
static int leases_move_aside(const char *db, char *ret_name, size_t cap)
{
	static const char *const side[] = {"-wal", "-journal"};
	char stamp[32], from[4200], to[4200];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned i = 0;; i++) {
		if (i == 100)
			return -EEXIST;
		if (i)
			snprintf(ret_name, cap, "%s.damaged-%s-%u", db, stamp, i);
		else
			snprintf(ret_name, cap, "%s.damaged-%s", db, stamp);
		if (access(ret_name, F_OK) < 0 && errno == ENOENT)
			break;
	}
	if (rename(db, ret_name) < 0)
		return -errno;
	for (unsigned i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s%s", db, side[i]);
		snprintf(to, sizeof(to), "%s%s", ret_name, side[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			fprintf(stderr, "bootwire leases: cannot move %s to %s: %s\n", from, to,
				strerror(errno));
	}
	snprintf(from, sizeof(from), "%s-shm", db);
	unlink(from);
	return 0;
}

/* The new database's files get the damaged one's owner and mode, so the daemon (perhaps
 * running as another user) can write it. */
static void leases_copy_owner(const char *db, const struct stat *st)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[4200];

	for (unsigned i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		if (access(p, F_OK) < 0)
			continue;
		if (chown(p, st->st_uid, st->st_gid) < 0 || chmod(p, st->st_mode & 07777) < 0)
			fprintf(stderr, "bootwire leases: %s: cannot give it the old file's owner "
				"and mode: %s\n", p, strerror(errno));
	}
}

/* Writes the kept leases into a fresh database at db. */
static int leases_repair_write(const char *db, const struct leases_list *kept,
			       const struct stat *old)
{
	struct bw_store *s;
	char err[1024];
	int r;

	if (bw_store_open(db, false, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "bootwire leases: %s\n", err);
		return 1;
	}
	r = bw_store_lease_put(s, kept->v, kept->n);
	bw_store_close(s);
	if (r < 0) {
		fprintf(stderr, "bootwire leases: writing the kept leases to %s: %s\n", db,
			strerror(-r));
		return 1;
	}
	leases_copy_owner(db, old);
	return 0;
}

static void leases_print_kept(const struct leases_list *l)
{
	char addr[16], mac[18];

	for (size_t i = 0; i < l->n; i++)
		printf("  kept %s %s %s\n", leases_fmt_addr(l->v[i].addr, addr, sizeof(addr)),
		       leases_fmt_hex(l->v[i].mac, sizeof(l->v[i].mac), mac, sizeof(mac)),
		       leases_state_name(&l->v[i], l->now_ms));
}

/* The process exit status: 0 when db was not damaged or is repaired. */
static int leases_repair(const char *db)
{
	struct leases_repair rp = {.kept = {.all = true}};
	struct bw_store *s;
	struct stat st;
	char err[1024], aside[4200], *cut;
	const char *what;
	int r;

	r = bw_store_open(db, true, &s, err, sizeof(err));
	if (r == 0) {
		bw_store_close(s);
		printf("%s: not damaged, nothing to repair\n", db);
		return 0;
	}
	if (r != -EBADMSG && r != -EIO) {
		fprintf(stderr, "bootwire leases: %s\n", err);
		return 1;
	}
	if (leases_db_in_use(db)) {
		fprintf(stderr, "bootwire leases: %s is open in another process (bootwire serve?): "
			"stop it first\n", db);
		return 1;
	}
	if (stat(db, &st) < 0 || (r = leases_move_aside(db, aside, sizeof(aside))) < 0) {
		fprintf(stderr, "bootwire leases: cannot move %s aside: %s\n", db,
			strerror(r < 0 ? -r : errno));
		return 1;
	}
	cut = strstr(err, "; bootwire will not start");
	if (cut)
		*cut = '\0';
	what = err;
	if (!strncmp(what, "cannot open lease database ", 27))
		what += 27; /* left: "PATH: what is wrong" */
	printf("%s\n  the damaged file is kept as %s\n", what, aside);
	rp.kept.now_ms = (int64_t)time(NULL) * 1000;
	r = bw_store_salvage(aside, leases_repair_kept_cb, leases_repair_dropped_cb, &rp, err,
			     sizeof(err));
	if (r < 0)
		printf("  dropped the whole file: %s\n", err);
	leases_print_kept(&rp.kept);
	r = leases_repair_write(db, &rp.kept, &st);
	if (r == 0)
		printf("repaired %s: %zu lease row(s) kept, %zu dropped\n", db, rp.kept.n,
		       rp.n_dropped);
	free(rp.kept.v);
	return r;
}

int bw_cmd_leases(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'd'},
		{"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"repair", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *db = NULL;
	bool all = false, json = false, repair = false;
	char *path;
	int o, r;

	while ((o = getopt_long(argc, argv, "c:ajh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 'd': db = optarg; break;
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'r': repair = true; break;
		case 'h': leases_usage(stdout); return 0;
		default: leases_usage(stderr); return 2;
		}
	}
	if (!file == !db || optind != argc || (repair && (all || json))) {
		leases_usage(stderr);
		return 2;
	}
	if (db)
		return repair ? leases_repair(db) : leases_show(db, all, json);
	path = leases_db_from_config(file);
	if (!path)
		return 1;
	r = repair ? leases_repair(path) : leases_show(path, all, json);
	free(path);
	return r;
}
