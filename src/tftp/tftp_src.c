#include "tftp/tftp_src.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fspath.h"

struct bw_tftp_fentry {
	struct bw_tftp_fentry *next;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int fd;
	unsigned refs;
};

/* A size computation for one file identity and the sources waiting for it. */
struct bw_tftp_najob {
	struct bw_tftp_najob *next;
	struct bw_tftp_fcache *cache; /* NULL once the cache is done */
	uv_work_t work;
	int fd;                       /* its own descriptor: the worker reads only this */
	struct bw_tftp_nasize id;     /* na_size is the result */
	int r;
	struct bw_tftp_src *waiters;
};

void bw_tftp_fcache_init(struct bw_tftp_fcache *c)
{
	memset(c, 0, sizeof(*c));
}

void bw_tftp_fcache_done(struct bw_tftp_fcache *c)
{
	if (c->jobs && c->job_running) {
		c->jobs->cache = NULL; /* in the pool: na_after_cb frees it */
		c->jobs = c->jobs->next;
	}
	while (c->jobs) {
		struct bw_tftp_najob *j = c->jobs;
		c->jobs = j->next;
		close(j->fd);
		free(j);
	}
	c->job_running = false;
	while (c->head) {
		struct bw_tftp_fentry *e = c->head;
		c->head = e->next;
		close(e->fd);
		free(e);
	}
	c->n = 0;
}

static void fcache_put(struct bw_tftp_fcache *c, struct bw_tftp_fentry *e)
{
	if (--e->refs)
		return;
	for (struct bw_tftp_fentry **pp = &c->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	c->n--;
	close(e->fd);
	free(e);
}

/* Raw bytes of the source. */
static ssize_t src_pread(struct bw_tftp_src *s, uint64_t off, uint8_t *buf, size_t len)
{
	size_t got = 0;

	if (off >= s->raw_size)
		return 0;
	if (len > s->raw_size - off)
		len = (size_t)(s->raw_size - off);
	if (s->blob) {
		memcpy(buf, s->blob->data + off, len);
		return (ssize_t)len;
	}
	while (got < len) {
		ssize_t n = pread(s->file->fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank while being served */
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ---- netascii sizes ---- */

/* The bytes netascii adds to n bytes: one per LF (CR LF) and per CR (CR NUL). */
static uint64_t na_extra(const uint8_t *p, size_t n)
{
	uint64_t extra = 0;

	for (size_t i = 0; i < n; i++)
		extra += p[i] == '\n' || p[i] == '\r';
	return extra;
}

/* Thread pool: reads the whole file through the job's own descriptor. */
static void na_work_cb(uv_work_t *w)
{
	struct bw_tftp_najob *j = w->data;
	uint8_t buf[16384];
	uint64_t off = 0, extra = 0, size = (uint64_t)j->id.size;

	j->r = 0;
	while (off < size) {
		ssize_t n = pread(j->fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			j->r = n < 0 ? -errno : -EIO; /* shrank meanwhile */
			return;
		}
		if ((uint64_t)n > size - off)
			n = (ssize_t)(size - off); /* grew meanwhile: count what was stat()ed */
		extra += na_extra(buf, (size_t)n);
		off += (uint64_t)n;
	}
	j->id.na_size = size + extra;
}

static void na_id_of(const struct bw_tftp_fentry *e, struct bw_tftp_nasize *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = e->dev;
	id->ino = e->ino;
	id->size = e->size;
	id->mtime = e->mtime;
}

static bool na_same(const struct bw_tftp_nasize *a, const struct bw_tftp_nasize *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static const struct bw_tftp_nasize *na_known_find(const struct bw_tftp_fcache *c,
						  const struct bw_tftp_nasize *id)
{
	for (unsigned i = 0; i < c->n_known; i++)
		if (na_same(&c->known[i], id))
			return &c->known[i];
	return NULL;
}

static void na_known_add(struct bw_tftp_fcache *c, const struct bw_tftp_nasize *id)
{
	if (na_known_find(c, id))
		return;
	c->known[c->next_known] = *id;
	c->next_known = (c->next_known + 1) % BW_TFTP_NASIZE_KEEP;
	if (c->n_known < BW_TFTP_NASIZE_KEEP)
		c->n_known++;
}

static void na_after_cb(uv_work_t *w, int status);

/* Starts the oldest queued job when none runs. A job the pool refuses fails its waiters at
 * once (uv_queue_work fails only for a missing work callback: not here). */
static void na_kick(struct bw_tftp_fcache *c)
{
	while (!c->job_running && c->jobs) {
		struct bw_tftp_najob *j = c->jobs;
		int r = uv_queue_work(c->loop, &j->work, na_work_cb, na_after_cb);

		c->job_running = true;
		if (r == 0)
			return;
		j->r = r;
		na_after_cb(&j->work, 0);
	}
}

static void na_after_cb(uv_work_t *w, int status)
{
	struct bw_tftp_najob *j = w->data;
	struct bw_tftp_fcache *c = j->cache;
	struct bw_tftp_src *s;

	if (status < 0)
		j->r = status;
	close(j->fd);
	if (c) { /* j is the running job, at the head */
		c->jobs = j->next;
		c->job_running = false;
		if (j->r == 0)
			na_known_add(c, &j->id);
		na_kick(c);
	}
	while ((s = j->waiters)) {
		j->waiters = s->wnext;
		s->job = NULL;
		s->wnext = NULL;
		if (j->r == 0) {
			s->size = j->id.na_size;
			s->size_pending = false;
		}
		s->cb(s, j->r, s->cb_data);
	}
	free(j);
}

static struct bw_tftp_najob *na_job_get(struct bw_tftp_fcache *c, const struct bw_tftp_fentry *e)
{
	struct bw_tftp_nasize id;
	struct bw_tftp_najob *j, **tail = &c->jobs;

	na_id_of(e, &id);
	for (j = c->jobs; j; j = j->next) {
		if (na_same(&j->id, &id))
			return j;
		tail = &j->next;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
	if (j->fd < 0) {
		free(j);
		return NULL;
	}
	j->id = id;
	j->cache = c;
	j->work.data = j;
	*tail = j;
	return j;
}

int bw_tftp_src_size_wait(struct bw_tftp_src *s, uv_loop_t *loop, bw_tftp_src_size_cb cb,
			  void *data)
{
	struct bw_tftp_fcache *c = s->cache;
	struct bw_tftp_najob *j;

	if (!s->size_pending || !s->file || s->job)
		return -EINVAL;
	j = na_job_get(c, s->file);
	if (!j)
		return -ENOMEM;
	c->loop = loop;
	s->cb = cb;
	s->cb_data = data;
	s->job = j;
	s->wnext = j->waiters;
	j->waiters = s;
	na_kick(c);
	return 0;
}

/* s stops waiting; a queued job nobody waits for any more is dropped. */
static void na_unwait(struct bw_tftp_src *s)
{
	struct bw_tftp_najob *j = s->job;
	struct bw_tftp_fcache *c = s->cache;

	for (struct bw_tftp_src **pp = &j->waiters; *pp; pp = &(*pp)->wnext) {
		if (*pp == s) {
			*pp = s->wnext;
			break;
		}
	}
	s->job = NULL;
	s->wnext = NULL;
	if (j->waiters || (c->job_running && c->jobs == j))
		return;
	for (struct bw_tftp_najob **pp = &c->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	close(j->fd);
	free(j);
}

static int src_finish_open(struct bw_tftp_src *s, bool netascii)
{
	const struct bw_tftp_nasize *k;
	struct bw_tftp_nasize id;

	s->netascii = netascii;
	s->size = s->raw_size;
	s->ck_out = s->ck_in = 0;
	s->ck_pending = -1;
	if (!netascii || s->raw_size == 0)
		return 0;
	if (s->raw_size > BW_TFTP_NETASCII_MAX)
		return -EFBIG;
	if (s->blob) {
		s->size += na_extra(s->blob->data, s->blob->len);
		return 0;
	}
	na_id_of(s->file, &id);
	k = na_known_find(s->cache, &id);
	if (k) {
		s->size = k->na_size;
		return 0;
	}
	s->size = 0; /* nothing to read until it is known */
	s->size_pending = true;
	return 0;
}

int bw_tftp_src_open_fd(struct bw_tftp_src *s, struct bw_tftp_fcache *cache, int fd,
			bool netascii)
{
	struct bw_tftp_fentry *e;
	struct stat st;
	int r;

	memset(s, 0, sizeof(*s));
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	for (e = cache->head; e; e = e->next) {
		if (e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
		    e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
			break;
	}
	if (e) {
		close(fd);
		e->refs++;
	} else {
		e = calloc(1, sizeof(*e));
		if (!e) {
			close(fd);
			return -ENOMEM;
		}
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->size = st.st_size;
		e->mtime = st.st_mtim;
		e->fd = fd;
		e->refs = 1;
		e->next = cache->head;
		cache->head = e;
		cache->n++;
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	s->cache = cache;
	s->file = e;
	s->raw_size = (uint64_t)st.st_size;
	r = src_finish_open(s, netascii);
	if (r < 0)
		bw_tftp_src_done(s);
	return r;
}

/* The type is checked before anything is opened (bw_fspath_open_regular). */
int bw_tftp_src_open_path(struct bw_tftp_src *s, struct bw_tftp_fcache *cache, int root_fd,
			  const char *root, const char *name, bool case_insensitive,
			  bool netascii)
{
	int fd = bw_fspath_open_regular(root_fd, root, name, case_insensitive, NULL);

	if (fd < 0)
		return fd;
	return bw_tftp_src_open_fd(s, cache, fd, netascii);
}

int bw_tftp_src_open_blob(struct bw_tftp_src *s, struct bw_blob *blob, bool netascii)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->blob = bw_blob_ref(blob);
	s->raw_size = blob->len;
	r = src_finish_open(s, netascii);
	if (r < 0)
		bw_tftp_src_done(s);
	return r;
}

/* A netascii converter positioned at a checkpoint, reading raw bytes in chunks. */
struct src_conv {
	uint64_t out, in;
	int pending;
	uint8_t raw[8192];
	size_t raw_off, raw_len;
};

static void src_conv_init(struct src_conv *cv, const struct bw_tftp_src *s)
{
	cv->out = s->ck_out;
	cv->in = s->ck_in;
	cv->pending = s->ck_pending;
	cv->raw_off = cv->raw_len = 0;
}

/* The next converted byte, or a negative errno. */
static int src_conv_next(struct bw_tftp_src *s, struct src_conv *cv)
{
	uint8_t c;

	cv->out++;
	if (cv->pending >= 0) {
		c = (uint8_t)cv->pending;
		cv->pending = -1;
		return c;
	}
	if (cv->raw_off == cv->raw_len) {
		ssize_t n = src_pread(s, cv->in, cv->raw, sizeof(cv->raw));
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		cv->raw_off = 0;
		cv->raw_len = (size_t)n;
	}
	c = cv->raw[cv->raw_off++];
	cv->in++;
	if (c == '\n') {
		cv->pending = '\n';
		return '\r';
	}
	if (c == '\r')
		cv->pending = '\0';
	return c;
}

static ssize_t src_read_netascii(struct bw_tftp_src *s, uint64_t off, uint8_t *buf, size_t len)
{
	struct src_conv cv;
	size_t got = 0;

	if (off < s->ck_out)
		return -EINVAL; /* released already: the state machine never asks for it */
	src_conv_init(&cv, s);
	while (got < len && cv.out < s->size) {
		uint64_t at = cv.out;
		int c = src_conv_next(s, &cv);

		if (c < 0)
			return c;
		if (at >= off)
			buf[got++] = (uint8_t)c;
	}
	return (ssize_t)got;
}

ssize_t bw_tftp_src_read(struct bw_tftp_src *s, uint64_t off, uint8_t *buf, size_t len)
{
	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = (size_t)(s->size - off);
	if (!s->netascii)
		return src_pread(s, off, buf, len);
	return src_read_netascii(s, off, buf, len);
}

void bw_tftp_src_release(struct bw_tftp_src *s, uint64_t off)
{
	struct src_conv cv;

	if (!s->netascii || off <= s->ck_out)
		return;
	src_conv_init(&cv, s);
	while (cv.out < off && cv.out < s->size)
		if (src_conv_next(s, &cv) < 0)
			return;
	s->ck_out = cv.out;
	s->ck_in = cv.in;
	s->ck_pending = cv.pending;
}

void bw_tftp_src_done(struct bw_tftp_src *s)
{
	if (s->job)
		na_unwait(s);
	if (s->file)
		fcache_put(s->cache, s->file);
	s->file = NULL;
	bw_blob_unref(s->blob);
	s->blob = NULL;
}
