/* What a GET or HEAD gets, and the libmicrohttpd responses that carry it: short errors,
 * virtual files, and files below boot_root. Runs on the MHD thread that owns the connection
 * (see the top of http_io.c); the file cache is that thread's own.
 *
 * How a file body leaves. Up to BW_HTTP_INLINE_MAX bytes: from memory, in one sendmsg()
 * with the headers (MHD writes a buffer answer's headers and body together); small settled
 * files are kept in the thread's cache with their ready 200 answer. Larger: with sendfile(2)
 * (MHD pushes the headers alone, then sends the body from the page cache in 128 KiB calls),
 * watched by http_io.c's closer for a file that shrinks while sent; with HTTPS, read by our
 * callback (pread, 256 KiB blocks) into GnuTLS, which finds a shrunken file itself. */
#include "http/http_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fspath.h"
#include "http/http_cache.h"
#include "http/http_range.h"
#include "http/http_url.h"

#define HTTP_PATH_MAX 1024 /* decoded and normalised paths */
/* A body larger than this may not leave in one write (a fresh connection's send buffer is
 * 16 KiB), so its answer is tracked: how much of it arrived is logged if it is cut short.
 * Smaller ones are taken whole by the kernel in the write that starts them. */
#define HTTP_TRACK_MIN (8u * 1024)
/* Attempts at a consistent read of a socket's written bytes (bw_http_tcp_written). */
#define HTTP_WRITTEN_TRIES 16
/* How much of a large file one read takes (the answer's own buffer, one per answer). */
#define HTTP_READ_BLOCK (256u * 1024)

static const struct {
	unsigned status;
	const char *body;
} http_bodies[] = {
	{400, "400 Bad Request\n"},
	{403, "403 Forbidden\n"},
	{404, "404 Not Found\n"},
	{405, "405 Method Not Allowed\n"},
	{414, "414 URI Too Long\n"},
	{500, "500 Internal Server Error\n"},
};

/* ---- queueing and tracking ------------------------------------------------------------------ */

static bool http_add(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES;
}

static enum MHD_Result http_head_len_add(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
	uint64_t *len = cls;

	if (kind == MHD_HEADER_KIND)
		*len += strlen(key) + 2 + strlen(value) + 2;
	return MHD_YES;
}

/* The size of the header block libmicrohttpd 0.9.75 writes for resp (build_header_response()
 * in its connection.c): "HTTP/1.1 " status reason CRLF, Date (37 bytes), our headers,
 * Content-Length, CRLF; http_track() adds the Connection header of HTTP/1.0 answers. Used
 * only to tell header from body bytes when an answer is cut short: an error here shifts
 * that count by as much. */
static uint64_t http_head_len(unsigned status, struct MHD_Response *resp, uint64_t body)
{
	char digits[24];
	uint64_t len = 9 + 4 + MHD_get_reason_phrase_len_for(status) + 2 + 37 + 2;

	MHD_get_response_headers(resp, http_head_len_add, &len);
	len += strlen("Content-Length: ") +
	       (uint64_t)snprintf(digits, sizeof(digits), "%" PRIu64, body) + 2;
	return len;
}

/* The socket's TCP_INFO, with tcpi_bytes_acked (Linux 4.1). */
static bool http_tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) == 0 &&
	       len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti->tcpi_bytes_acked);
}

/* Bytes of this connection the client's TCP has acknowledged; false when the kernel does not
 * say (tcpi_bytes_acked: Linux 4.1). */
static bool http_tcp_acked(int fd, uint64_t *ret)
{
	struct tcp_info ti;

	if (fd < 0 || !http_tcp_info(fd, &ti))
		return false;
	*ret = ti.tcpi_bytes_acked;
	return true;
}

/* TCP states (the kernel's include/net/tcp_states.h, which <netinet/tcp.h> also has but
 * clashes with <linux/tcp.h>) in which our FIN is queued or sent: it then takes one number of
 * the send sequence. */
static bool http_tcp_fin_queued(uint8_t state)
{
	enum { FIN_WAIT1 = 4, FIN_WAIT2 = 5, TIME_WAIT = 6, LAST_ACK = 9, CLOSING = 11 };

	return state == FIN_WAIT1 || state == FIN_WAIT2 || state == TIME_WAIT ||
	       state == LAST_ACK || state == CLOSING;
}

/* The acknowledged bytes (tcpi_bytes_acked) plus those still in the send queue (SIOCOUTQ:
 * write_seq - snd_una), less the FIN once it is queued. In TCP_CLOSE (a reset, or the peer's
 * FIN after ours was acknowledged, which turns the socket into a time-wait one) the queue's
 * fate is unknown: false. */
bool bw_http_tcp_written(int fd, uint64_t *ret)
{
	struct tcp_info ti;
	int outq, outq2;

	if (fd < 0)
		return false;
	/* The two counts come from two calls, and ACKs arriving in between move bytes from one
	 * to the other (a preempted closer missed 2.9 MB of them so): only a TCP_INFO read
	 * between two equal SIOCOUTQ reads is used (snd_una did not move; write_seq cannot). */
	for (int i = 0; i < HTTP_WRITTEN_TRIES; i++) {
		if (ioctl(fd, SIOCOUTQ, &outq) < 0 || !http_tcp_info(fd, &ti) ||
		    ioctl(fd, SIOCOUTQ, &outq2) < 0 || outq < 0 ||
		    ti.tcpi_state == 7 /* TCP_CLOSE */)
			return false;
		if (outq != outq2)
			continue;
		*ret = ti.tcpi_bytes_acked + (uint64_t)outq;
		if (http_tcp_fin_queued(ti.tcpi_state) && *ret > 0)
			(*ret)--;
		return true;
	}
	return false;
}

/* Whether the body of an answer of len bytes is tracked: it may need more than one write. */
static bool http_wants_track(const struct bw_http_conn *c, uint64_t len)
{
	return !c->head && len > HTTP_TRACK_MIN;
}

/* Starts tracking the answer about to be queued, whose headers take head bytes. The request
 * was read after the client had received every earlier answer (it sends the next request
 * only then; a pipelining client makes the count too high, never above the body's length),
 * so what it acknowledges from now on belongs to this answer. */
static void http_track(struct bw_http_conn *c, uint64_t head)
{
	c->tracked = http_tcp_acked(c->fd, &c->acked0);
	c->head_len = head + (c->http10 ? strlen("Connection: close\r\n") : 0);
}

uint64_t bw_http_answer_delivered(const struct bw_http_conn *c)
{
	uint64_t acked, got;

	if (!c->tracked || !http_tcp_acked(c->fd, &acked))
		return c->bytes;
	got = acked - c->acked0;
	if (acked < c->acked0 || got <= c->head_len)
		return 0;
	got -= c->head_len;
	return got < c->bytes ? got : c->bytes;
}

uint64_t bw_http_answer_written(const struct bw_http_conn *c, uint64_t written)
{
	uint64_t got;

	if (!c->tracked)
		return bw_http_answer_delivered(c);
	if (written < c->acked0 || written - c->acked0 <= c->head_len)
		return 0;
	got = written - c->acked0 - c->head_len;
	return got < c->bytes ? got : c->bytes;
}

/* Queues resp (our reference is dropped) with a body of body bytes. */
static enum MHD_Result http_queue(struct bw_http_conn *c, struct MHD_Connection *mc,
                                  unsigned status, struct MHD_Response *resp, uint64_t body)
{
	enum MHD_Result r;

	if (http_wants_track(c, body))
		http_track(c, http_head_len(status, resp, body));
	r = MHD_queue_response(mc, status, resp);
	MHD_destroy_response(resp);
	c->status = status;
	c->bytes = c->head ? 0 : body;
	return r;
}

static enum MHD_Result http_answer_text(struct bw_http_conn *c, struct MHD_Connection *mc,
                                        unsigned status, const char *note, bool close);

enum MHD_Result bw_http_answer_error(struct bw_http_conn *c, struct MHD_Connection *mc,
                                     unsigned status, const char *note)
{
	return http_answer_text(c, mc, status, note, false);
}

enum MHD_Result bw_http_answer_refuse(struct bw_http_conn *c, struct MHD_Connection *mc,
                                      const char *note)
{
	return http_answer_text(c, mc, 400, note, true);
}

/* A short text answer; close: with "Connection: close" (MHD then closes the connection). */
static enum MHD_Result http_answer_text(struct bw_http_conn *c, struct MHD_Connection *mc,
                                        unsigned status, const char *note, bool close)
{
	const char *text = "500 Internal Server Error\n";
	struct MHD_Response *resp;

	for (unsigned i = 0; i < sizeof(http_bodies) / sizeof(http_bodies[0]); i++)
		if (http_bodies[i].status == status)
			text = http_bodies[i].body;
	c->note = note;
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (!http_add(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     !http_add(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD")) ||
	    (close && !http_add(resp, MHD_HTTP_HEADER_CONNECTION, "close"))) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return http_queue(c, mc, status, resp, strlen(text));
}

/* ---- answers about a representation --------------------------------------------------------- */

/* What the headers of a 200, 206 or 304 say about the representation. */
struct http_rep {
	const struct bw_http_entity *e;
	const char *lastmod; /* NULL or "": none */
	const char *type;
	bool generated;
};

/* Headers every answer about a representation carries (200, 206, 304). */
static bool http_add_validators(struct MHD_Response *resp, const struct http_rep *rep)
{
	if (!http_add(resp, MHD_HTTP_HEADER_ETAG, rep->e->etag))
		return false;
	if (rep->lastmod && *rep->lastmod &&
	    !http_add(resp, MHD_HTTP_HEADER_LAST_MODIFIED, rep->lastmod))
		return false;
	return http_add(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
}

static bool http_add_rep_headers(struct MHD_Response *resp, const struct bw_http_plan *plan,
                                 const struct http_rep *rep)
{
	char cr[96];
	struct bw_http_range r = {plan->first, plan->len};
	bool ok = true;

	if (plan->status == 200 || plan->status == 206 || plan->status == 304)
		ok = http_add_validators(resp, rep);
	if (ok && (plan->status == 200 || plan->status == 206))
		ok = http_add(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->type);
	if (ok && rep->generated)
		ok = http_add(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (ok && plan->status == 206)
		ok = bw_http_content_range(&r, rep->e->size, cr, sizeof(cr)) == 0 &&
		     http_add(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	if (ok && plan->status == 416)
		ok = bw_http_content_range(NULL, rep->e->size, cr, sizeof(cr)) == 0 &&
		     http_add(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	return ok;
}

static void http_plan_note(struct bw_http_conn *c, unsigned status)
{
	if (status == 304)
		c->note = "not modified";
	else if (status == 412)
		c->note = "precondition failed";
	else if (status == 416)
		c->note = "range not satisfiable";
}

/* Adds the headers for plan to resp (which holds the body, or is empty) and queues it. */
static enum MHD_Result http_send_plan(struct bw_http_conn *c, struct MHD_Connection *mc,
                                      const struct bw_http_plan *plan, const struct http_rep *rep,
                                      struct MHD_Response *resp)
{
	if (!http_add_rep_headers(resp, plan, rep)) {
		MHD_destroy_response(resp);
		return bw_http_answer_error(c, mc, 500, "out of memory");
	}
	http_plan_note(c, plan->status);
	return http_queue(c, mc, plan->status, resp, plan->len);
}

static void http_req_hdrs(struct MHD_Connection *mc, bool head, struct bw_http_req_hdrs *h)
{
	h->head = head;
	h->range = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	h->if_range = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);
	h->if_match = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
	h->if_none_match =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	h->if_modified_since =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	h->if_unmodified_since =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE);
}

static void http_blob_free(void *cls)
{
	bw_blob_unref(cls);
}

/* An answer carrying [first, first + len) of blob; it takes a reference of its own. */
static struct MHD_Response *http_blob_response(struct bw_blob *blob, uint64_t first, uint64_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
	    (size_t)len, blob->data + first, http_blob_free, bw_blob_ref(blob));

	if (!resp)
		bw_blob_unref(blob);
	return resp;
}

static struct MHD_Response *http_empty_response(void)
{
	return MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
}

/* Serves a virtual file. Takes ownership of blob. */
static enum MHD_Result http_send_blob(struct bw_http_conn *c, struct MHD_Connection *mc,
                                      const char *rel, struct bw_blob *blob)
{
	char etag[BW_HTTP_ETAG_MAX];
	struct bw_http_req_hdrs h;
	struct bw_http_entity e = {.size = blob->len, .etag = etag};
	struct http_rep rep = {.e = &e, .type = bw_http_content_type(rel), .generated = true};
	struct bw_http_plan plan;
	struct MHD_Response *resp;

	bw_http_etag_blob(blob->data, blob->len, etag, sizeof(etag));
	http_req_hdrs(mc, c->head, &h);
	bw_http_plan(&h, &e, &plan);
	c->note = "served (generated)";
	if (plan.status == 200 || plan.status == 206)
		resp = http_blob_response(blob, plan.first, plan.len);
	else
		resp = http_empty_response();
	bw_blob_unref(blob);
	if (!resp)
		return bw_http_answer_error(c, mc, 500, "out of memory");
	return http_send_plan(c, mc, &plan, &rep, resp);
}

/* ---- files below boot_root ------------------------------------------------------------------- */

static enum MHD_Result http_open_error(struct bw_http_conn *c, struct MHD_Connection *mc, int r)
{
	switch (r) {
	case -ENOENT:
	case -ENOTDIR:
		return bw_http_answer_error(c, mc, 404, "no such file");
	case -EACCES:
	case -EPERM:
		return bw_http_answer_error(c, mc, 403,
		                            "refused: outside boot_root or not readable");
	case -ENAMETOOLONG:
		return bw_http_answer_error(c, mc, 414, "name too long");
	default:
		return bw_http_answer_error(c, mc, 500, strerror(-r));
	}
}

/* This thread's file cache, made on first use (NULL when out of memory: files are then
 * answered without one). */
static struct bw_http_cache *http_thread_cache(struct bw_http_service *svc)
{
	struct bw_http_cache *cache = pthread_getspecific(svc->cache_key);

	if (!cache && svc->have_cache_key) {
		cache = bw_http_cache_new();
		if (cache && pthread_setspecific(svc->cache_key, cache) != 0) {
			bw_http_cache_free(cache);
			cache = NULL;
		}
	}
	return cache;
}

/* The whole content of the small file f (open as fd): kept in f, or read now (and kept when
 * f may keep it). NULL and *ret_err set on failure. */
static struct bw_blob *http_file_body(struct bw_http_cache *cache, struct bw_http_file *f, int fd,
                                      int *ret_err)
{
	uint8_t *buf = bw_http_cache_readbuf(cache);
	struct bw_blob *blob;
	size_t got = 0;
	ssize_t n;

	if (f->body)
		return bw_blob_ref(f->body);
	while (got < f->size && (n = pread(fd, buf + got, f->size - got, (off_t)got)) != 0) {
		if (n < 0 && errno != EINTR) {
			*ret_err = -errno;
			return NULL;
		}
		got += n > 0 ? (size_t)n : 0;
	}
	if (got < f->size) {
		*ret_err = -EAGAIN; /* it shrank while we read it */
		return NULL;
	}
	blob = bw_blob_new(buf, got);
	if (!blob) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	bw_http_cache_keep_body(f, blob);
	return blob;
}

/* Queues f's ready 200 answer (made the first time, when f keeps its body). */
static enum MHD_Result http_send_full(struct bw_http_conn *c, struct MHD_Connection *mc,
                                      struct bw_http_file *f, const struct http_rep *rep,
                                      const struct bw_http_plan *plan)
{
	enum MHD_Result r;

	if (!f->full) {
		f->full = http_blob_response(f->body, 0, f->size);
		if (f->full && !http_add_rep_headers(f->full, plan, rep)) {
			MHD_destroy_response(f->full);
			f->full = NULL;
		}
		if (!f->full)
			return bw_http_answer_error(c, mc, 500, "out of memory");
		f->full_head = http_head_len(200, f->full, f->size);
	}
	if (http_wants_track(c, f->size))
		http_track(c, f->full_head);
	r = MHD_queue_response(mc, 200, f->full);
	c->status = 200;
	c->bytes = c->head ? 0 : f->size;
	return r;
}

/* A small file's body from memory (f is in cache, fd is closed here; -1: none opened). */
static enum MHD_Result http_send_small(struct bw_http_conn *c, struct MHD_Connection *mc,
                                       struct bw_http_cache *cache, struct bw_http_file *f, int fd,
                                       const struct http_rep *rep, const struct bw_http_plan *plan)
{
	struct MHD_Response *resp;
	struct bw_blob *blob;
	int err = 0;

	blob = http_file_body(cache, f, fd, &err);
	if (fd >= 0)
		close(fd);
	if (!blob)
		return bw_http_answer_error(
		    c, mc, 500, err == -ENOMEM ? "out of memory" : "file changed while read");
	if (plan->status == 200 && f->body == blob) {
		bw_blob_unref(blob);
		return http_send_full(c, mc, f, rep, plan);
	}
	resp = http_blob_response(blob, plan->first, plan->len);
	bw_blob_unref(blob);
	if (!resp)
		return bw_http_answer_error(c, mc, 500, "out of memory");
	return http_send_plan(c, mc, plan, rep, resp);
}

/* A large body read from fd by a callback (HTTPS, where MHD would pread into GnuTLS anyway,
 * and plain HTTP when the file cannot be watched): how far the answer is, and where it comes
 * from. */
struct http_file_body {
	struct bw_http_conn *c; /* outlives the answer's reads (they stop when the request ends) */
	int fd;
	uint64_t first; /* the file offset of the body's first byte */
};

static void http_file_body_free(void *cls)
{
	struct http_file_body *b = cls;

	close(b->fd);
	free(b);
}

/* MHD asks for body bytes [pos, pos + max) of a body it knows the length of, so a read that
 * finds the end of the file first means the file shrank while being sent: the answer can never
 * be completed, and the connection is aborted at once (MHD closes it; the log line says how
 * many bytes left: pos, all of which MHD had written to the socket). MHD 0.9.75's own pread
 * reader would end the answer as if it were complete. */
static ssize_t http_file_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_file_body *b = cls;
	ssize_t n;

	if (max > SSIZE_MAX)
		max = SSIZE_MAX;
	do
		n = pread(b->fd, buf, max, (off_t)(b->first + pos));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	b->c->short_read = true;
	b->c->short_at = pos; /* MHD asks for more only once it has written all before pos */
	b->c->note = n == 0 ? "file shrank while sent" : "file read failed while sent";
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* A large body read by http_file_read (fd is owned by the answer from here; closed with it). */
static enum MHD_Result http_send_read(struct bw_http_conn *c, struct MHD_Connection *mc, int fd,
                                      const struct http_rep *rep, const struct bw_http_plan *plan)
{
	struct http_file_body *b = malloc(sizeof(*b));
	struct MHD_Response *resp = NULL;

	if (b) {
		*b = (struct http_file_body){.c = c, .fd = fd, .first = plan->first};
		resp = MHD_create_response_from_callback(plan->len, HTTP_READ_BLOCK, http_file_read,
		                                         b, http_file_body_free);
	}
	if (!resp) {
		free(b);
		close(fd);
		return bw_http_answer_error(c, mc, 500, "out of memory");
	}
	return http_send_plan(c, mc, plan, rep, resp);
}

/* A large body with sendfile (MHD owns fd from here; closed with the answer), plain HTTP.
 * MHD 0.9.75's sendfile path cannot tell a file that shrank (sendfile returns 0 and MHD
 * waits for the socket to become writable again, until the idle timeout), so the answer is
 * watched (bw_http_file_watch) through a descriptor of our own, which stays the file's as
 * long as the watch does whenever MHD closes its own. Without one (EMFILE), or for HEAD
 * (no body), the body is read by the callback instead. The socket keeps the kernel's
 * autotuned send buffer, as nginx does (bench/README.md). */
static enum MHD_Result http_send_large(struct bw_http_conn *c, struct MHD_Connection *mc, int fd,
                                       const struct http_rep *rep, const struct bw_http_plan *plan)
{
	struct MHD_Response *resp;
	enum MHD_Result r;
	int wfd;

	if (c->svc->tls || c->head)
		return http_send_read(c, mc, fd, rep, plan);
	wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (wfd < 0)
		return http_send_read(c, mc, fd, rep, plan);
	resp = MHD_create_response_from_fd_at_offset64(plan->len, fd, (int64_t)plan->first);
	if (!resp) {
		close(wfd);
		close(fd);
		return bw_http_answer_error(c, mc, 500, "out of memory");
	}
	r = http_send_plan(c, mc, plan, rep, resp);
	if (r == MHD_YES && c->status == plan->status)
		bw_http_file_watch(c, wfd, plan->first + plan->len);
	else
		close(wfd);
	return r;
}

/* Opens rel below boot_root if it is a regular file: nothing else is ever opened
 * (bw_fspath_open_regular; with checked, *st is an fstatat that found rel a regular file:
 * bw_fspath_open_checked). Returns the fd (and its fstat in *st), or answers the request
 * itself (*ret_answer) and returns -1. A device node, FIFO or socket gets 403: it exists but
 * is refused by policy, as TFTP refuses it (ERROR 2, access violation); a directory gets 404
 * (no listings, like the root). */
static int http_open_file(struct bw_http_conn *c, struct MHD_Connection *mc, const char *rel,
                          struct stat *st, bool checked, enum MHD_Result *ret_answer)
{
	struct bw_http_service *svc = c->svc;
	int fd = checked ? bw_fspath_open_checked(svc->root_fd, svc->root, rel, false, st, st)
	                 : bw_fspath_open_regular(svc->root_fd, svc->root, rel, false, st);

	if (fd >= 0)
		return fd;
	if (fd == -EISDIR)
		*ret_answer = bw_http_answer_error(c, mc, 404, "a directory (no listings)");
	else if (fd == -ENODEV)
		*ret_answer = bw_http_answer_error(
		    c, mc, 403, "refused: not a regular file (device, FIFO or socket)");
	else if (fd == -ESTALE)
		*ret_answer = bw_http_answer_error(c, mc, 500, "file replaced while opened");
	else
		*ret_answer = http_open_error(c, mc, fd);
	return -1;
}

/* What a file is without a cache (out of memory when the thread started). */
static void http_describe_uncached(struct bw_http_file *f, const char *rel, const struct stat *st)
{
	memset(f, 0, sizeof(*f));
	f->size = (uint64_t)st->st_size;
	f->mtime_s = st->st_mtim.tv_sec;
	bw_http_etag_file((uint64_t)st->st_ino, f->size, st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
	                  f->etag, sizeof(f->etag));
	if (bw_http_date_format(f->mtime_s, f->lastmod, sizeof(f->lastmod)) < 0)
		f->lastmod[0] = '\0';
	f->type = bw_http_content_type(rel);
}

/* The cache's entry for rel when it holds the content of the regular file rel names now, so
 * that it is answered without being opened; NULL otherwise. One fstatat: it follows
 * symlinks even out of boot_root, but an entry matches only the device and inode the cache
 * read through a descriptor opened beneath boot_root, at the same size and modification
 * time, so what is answered is what was served before. */
static struct bw_http_file *http_cache_known(const struct bw_http_service *svc,
                                             struct bw_http_cache *cache, const char *rel,
                                             struct stat *st, bool *ret_regular)
{
	*ret_regular =
	    cache && fstatat(svc->root_fd, rel, st, AT_NO_AUTOMOUNT) == 0 && S_ISREG(st->st_mode);
	return *ret_regular ? bw_http_cache_find_body(cache, rel, st) : NULL;
}

/* Serves rel below boot_root. */
static enum MHD_Result http_send_file(struct bw_http_conn *c, struct MHD_Connection *mc,
                                      const char *rel)
{
	struct bw_http_cache *cache = http_thread_cache(c->svc);
	struct bw_http_file own, *f;
	struct bw_http_req_hdrs h;
	struct bw_http_plan plan;
	enum MHD_Result answer;
	struct stat st;
	bool regular;
	int fd = -1;

	f = http_cache_known(c->svc, cache, rel, &st, &regular);
	if (!f) {
		fd = http_open_file(c, mc, rel, &st, regular, &answer);
		if (fd < 0)
			return answer;
		f = &own;
		if (cache)
			f = bw_http_cache_lookup(cache, rel, &st, (int64_t)time(NULL));
		else
			http_describe_uncached(&own, rel, &st);
	}

	struct bw_http_entity e = {
	    .size = f->size, .etag = f->etag, .has_mtime = true, .mtime = f->mtime_s};
	struct http_rep rep = {.e = &e, .lastmod = f->lastmod, .type = f->type};

	http_req_hdrs(mc, c->head, &h);
	bw_http_plan(&h, &e, &plan);
	if ((plan.status != 200 && plan.status != 206) || plan.len == 0) {
		if (fd >= 0)
			close(fd);
		struct MHD_Response *resp = http_empty_response();

		if (!resp)
			return bw_http_answer_error(c, mc, 500, "out of memory");
		return http_send_plan(c, mc, &plan, &rep, resp);
	}
	if (cache && f->size <= BW_HTTP_INLINE_MAX)
		return http_send_small(c, mc, cache, f, fd, &rep, &plan);
	return http_send_large(c, mc, fd, &rep, &plan);
}

enum MHD_Result bw_http_answer(struct bw_http_conn *c, struct MHD_Connection *mc)
{
	struct bw_http_service *svc = c->svc;
	char path[HTTP_PATH_MAX], rel[HTTP_PATH_MAX];
	const char *query;
	struct bw_blob *blob = NULL;
	size_t plen;
	int r;

	if (c->uri_too_long)
		return bw_http_answer_error(c, mc, 414, "request-target too long");
	r = bw_http_target_parse(c->uri, path, sizeof(path), &plen, &query);
	if (r == -ENAMETOOLONG)
		return bw_http_answer_error(c, mc, 414, "path too long");
	if (r < 0)
		return bw_http_answer_error(c, mc, 400, "malformed request-target");
	r = bw_fspath_normalize(path, plen, NULL, rel, sizeof(rel));
	if (r == -EACCES)
		return bw_http_answer_error(c, mc, 403, "refused: '..' in path");
	if (r == -ENOENT)
		return bw_http_answer_error(c, mc, 404, "the root (no listings)");
	if (r < 0)
		return bw_http_answer_error(c, mc, 414, "path too long");

	struct bw_vfs_req vr = {.path = rel,
	                        .peer = (struct sockaddr *)&c->peer,
	                        .local = c->have_local ? (struct sockaddr *)&c->local : NULL,
	                        .service = "http",
	                        .query = query};
	r = bw_vfs_open(svc->vfs, &vr, &blob);
	if (r == 0)
		return http_send_blob(c, mc, rel, blob);
	if (r != -ENOENT)
		return bw_http_answer_error(c, mc, 500, "virtual file failed");
	return http_send_file(c, mc, rel);
}
