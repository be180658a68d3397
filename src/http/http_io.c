/* HTTP on libmicrohttpd (MHD). MHD runs ONE internal thread (epoll, edge-triggered, its
 * "turbo" mode) that accepts, reads, calls the handlers below and sends; file bodies leave
 * with sendfile(2) (plain HTTP) or pread + GnuTLS (HTTPS). No thread per connection.
 *
 * Threads and locking. The loop thread only starts and stops the service. Everything else
 * runs on MHD's thread, which touches:
 *   - struct http_conn: one per TCP connection, created and freed by MHD's connection
 *     notifications, used only by MHD's thread (requests on a connection come one at a
 *     time), so it needs no lock;
 *   - the service, the config, boot_root's fd: written before MHD starts, read-only after;
 *   - the vfs: providers only read state that does not change while services run, and blob
 *     references are atomic (core/vfs.h);
 *   - the log: each line is formatted on the stack and written with one fwrite, which stdio
 *     serialises; the rate-limit table has its own mutex (core/log.c).
 * MHD_stop_daemon joins the thread before anything it used is freed.
 *
 * A request: the URI callback copies the raw request-target and starts the clock; the
 * handler decodes and normalises the path (http_url, core/fspath), asks the virtual files,
 * then opens the file below boot_root with openat2(RESOLVE_BENEATH), decides the answer
 * (http_range: conditionals, ranges) and queues it; the completion callback writes the one
 * log line. */
#include "http/http_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fspath.h"
#include "core/log.h"
#include "core/sock.h"
#include "core/util.h"
#include "http/http_range.h"
#include "http/http_url.h"

#define HTTP_URI_MAX 4096       /* longer request-targets get 414 */
#define HTTP_PATH_MAX 1024      /* decoded and normalised paths */
#define HTTP_PEM_MAX (1u << 20) /* certificate chains and keys */
/* A body this large gets a send buffer of HTTP_BULK_SNDBUF (the kernel doubles it): MHD sends
 * files in 128 KiB sendfile() calls, and with the autotuned buffer, which starts small, too
 * many of them wait for the peer to drain it (about 10% of a 64 MiB download on loopback).
 * Small answers keep the autotuned buffer, so idle keep-alive connections stay cheap. */
#define HTTP_BULK_MIN (1u << 20)
#define HTTP_BULK_SNDBUF (1 << 20)

struct bw_http_service {
	const struct bw_http_config *cfg;
	const char *root;
	const struct bw_vfs *vfs;
	int root_fd;
	struct MHD_Daemon *mhd;
	bool tls;
	bool running; /* MHD started: its messages are runtime warnings, not start-up errors */
	char *pem_cert, *pem_key;
	char listen_str[BW_ADDRSTRLEN];
};

/* One TCP connection and the request in progress on it. Owned by MHD's thread. */
struct http_conn {
	struct bw_http_service *svc;
	struct sockaddr_storage peer;
	struct sockaddr_storage local; /* getsockname: the address the client connected to */
	bool have_local;
	int fd;         /* the connection's socket (MHD owns it) */
	bool bulk;      /* its send buffer was enlarged for a large body */
	char peer_str[BW_ADDRSTRLEN];
	/* the request in progress: set by the URI callback, logged by the completion callback */
	bool active;
	bool headers_seen;
	bool answered;
	bool head;
	bool uri_too_long;
	struct timespec t0;
	unsigned status;
	uint64_t bytes; /* body bytes of the answer (0 for HEAD) */
	const char *note;
	char method[16];
	char range[96];
	char agent[160];
	char uri[HTTP_URI_MAX];
};

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

/* ---- answers ----------------------------------------------------------------------------- */

static bool http_add(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES;
}

static enum MHD_Result http_queue(struct http_conn *c, struct MHD_Connection *mc,
				  unsigned status, struct MHD_Response *resp, uint64_t body)
{
	enum MHD_Result r = MHD_queue_response(mc, status, resp);

	MHD_destroy_response(resp);
	c->status = status;
	c->bytes = c->head ? 0 : body;
	return r;
}

/* A short text answer: "404 Not Found\n". note says why, for the log line. */
static enum MHD_Result http_error(struct http_conn *c, struct MHD_Connection *mc,
				  unsigned status, const char *note)
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
	     !http_add(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD"))) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return http_queue(c, mc, status, resp, strlen(text));
}

/* Headers every answer about a representation carries (200, 206, 304). */
static bool http_add_validators(struct MHD_Response *resp, const struct bw_http_entity *e)
{
	char date[BW_HTTP_DATE_MAX];

	if (!http_add(resp, MHD_HTTP_HEADER_ETAG, e->etag))
		return false;
	if (e->has_mtime && bw_http_date_format(e->mtime, date, sizeof(date)) == 0 &&
	    !http_add(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date))
		return false;
	return http_add(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
}

/* Adds the headers for plan to resp (which holds the body, or is empty) and queues it. */
static enum MHD_Result http_send_plan(struct http_conn *c, struct MHD_Connection *mc,
				      const struct bw_http_plan *plan,
				      const struct bw_http_entity *e, const char *type,
				      bool generated, struct MHD_Response *resp)
{
	char cr[96];
	struct bw_http_range r = {plan->first, plan->len};
	bool ok = true;

	if (plan->status == 200 || plan->status == 206 || plan->status == 304)
		ok = http_add_validators(resp, e);
	if (ok && (plan->status == 200 || plan->status == 206))
		ok = http_add(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (ok && generated)
		ok = http_add(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (ok && plan->status == 206)
		ok = bw_http_content_range(&r, e->size, cr, sizeof(cr)) == 0 &&
		     http_add(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	if (ok && plan->status == 416)
		ok = bw_http_content_range(NULL, e->size, cr, sizeof(cr)) == 0 &&
		     http_add(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	if (!ok) {
		MHD_destroy_response(resp);
		return http_error(c, mc, 500, "out of memory");
	}
	if (plan->status == 304)
		c->note = "not modified";
	else if (plan->status == 412)
		c->note = "precondition failed";
	else if (plan->status == 416)
		c->note = "range not satisfiable";
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
	h->if_unmodified_since = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE);
}

static void http_blob_free(void *cls)
{
	bw_blob_unref(cls);
}

/* Serves a virtual file. Takes ownership of blob. */
static enum MHD_Result http_send_blob(struct http_conn *c, struct MHD_Connection *mc,
				      const char *rel, struct bw_blob *blob)
{
	char etag[BW_HTTP_ETAG_MAX];
	struct bw_http_req_hdrs h;
	struct bw_http_entity e = {.size = blob->len, .etag = etag};
	struct bw_http_plan plan;
	struct MHD_Response *resp;

	bw_http_etag_blob(blob->data, blob->len, etag, sizeof(etag));
	http_req_hdrs(mc, c->head, &h);
	bw_http_plan(&h, &e, &plan);
	c->note = "served (generated)";
	if (plan.status == 200 || plan.status == 206) {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			(size_t)plan.len, blob->data + plan.first, http_blob_free, blob);
	} else {
		bw_blob_unref(blob);
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		if (plan.status == 200 || plan.status == 206)
			bw_blob_unref(blob);
		return http_error(c, mc, 500, "out of memory");
	}
	return http_send_plan(c, mc, &plan, &e, bw_http_content_type(rel), true, resp);
}

static enum MHD_Result http_open_error(struct http_conn *c, struct MHD_Connection *mc, int r)
{
	switch (r) {
	case -ENOENT:
	case -ENOTDIR:
		return http_error(c, mc, 404, "no such file");
	case -EACCES:
	case -EPERM:
		return http_error(c, mc, 403, "refused: outside boot_root or not readable");
	case -ENAMETOOLONG:
		return http_error(c, mc, 414, "name too long");
	default:
		return http_error(c, mc, 500, strerror(-r));
	}
}

/* Serves rel below boot_root: a regular file, never a directory listing. */
static enum MHD_Result http_send_file(struct http_conn *c, struct MHD_Connection *mc,
				      const char *rel)
{
	struct bw_http_service *svc = c->svc;
	char etag[BW_HTTP_ETAG_MAX];
	struct bw_http_req_hdrs h;
	struct bw_http_entity e = {.etag = etag, .has_mtime = true};
	struct bw_http_plan plan;
	struct MHD_Response *resp;
	struct stat st;
	int fd;

	/* O_NONBLOCK: opening a FIFO must not hang the thread (it is refused below). */
	fd = bw_fspath_open(svc->root_fd, svc->root, rel, false, O_RDONLY | O_NOCTTY | O_NONBLOCK,
			    0);
	if (fd < 0)
		return http_open_error(c, mc, fd);
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return http_error(c, mc, 500, strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return http_error(c, mc, 404, S_ISDIR(st.st_mode) ? "a directory (no listings)"
								  : "not a regular file");
	}
	e.size = (uint64_t)st.st_size;
	e.mtime = st.st_mtim.tv_sec;
	bw_http_etag_file(st.st_ino, e.size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, etag,
			  sizeof(etag));
	http_req_hdrs(mc, c->head, &h);
	bw_http_plan(&h, &e, &plan);
	if ((plan.status == 200 || plan.status == 206) && plan.len > 0) {
		if (plan.len >= HTTP_BULK_MIN && !c->head && !c->bulk && c->fd >= 0) {
			int v = HTTP_BULK_SNDBUF;

			c->bulk = setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0;
		}
		/* MHD owns fd from here: sendfile (or pread for TLS), closed with the response */
		resp = MHD_create_response_from_fd_at_offset64(plan.len, fd, plan.first);
		if (!resp)
			close(fd);
	} else {
		close(fd);
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return http_error(c, mc, 500, "out of memory");
	return http_send_plan(c, mc, &plan, &e, bw_http_content_type(rel), false, resp);
}

static enum MHD_Result http_answer(struct http_conn *c, struct MHD_Connection *mc)
{
	struct bw_http_service *svc = c->svc;
	char path[HTTP_PATH_MAX], rel[HTTP_PATH_MAX];
	const char *query;
	struct bw_blob *blob = NULL;
	size_t plen;
	int r;

	if (c->uri_too_long)
		return http_error(c, mc, 414, "request-target too long");
	r = bw_http_target_parse(c->uri, path, sizeof(path), &plen, &query);
	if (r == -ENAMETOOLONG)
		return http_error(c, mc, 414, "path too long");
	if (r < 0)
		return http_error(c, mc, 400, "malformed request-target");
	r = bw_fspath_normalize(path, plen, NULL, rel, sizeof(rel));
	if (r == -EACCES)
		return http_error(c, mc, 403, "refused: '..' in path");
	if (r == -ENOENT)
		return http_error(c, mc, 404, "the root (no listings)");
	if (r < 0)
		return http_error(c, mc, 414, "path too long");

	struct bw_vfs_req vr = {.path = rel, .peer = (struct sockaddr *)&c->peer,
				.local = c->have_local ? (struct sockaddr *)&c->local : NULL,
				.service = "http", .query = query};
	r = bw_vfs_open(svc->vfs, &vr, &blob);
	if (r == 0)
		return http_send_blob(c, mc, rel, blob);
	if (r != -ENOENT)
		return http_error(c, mc, 500, "virtual file failed");
	return http_send_file(c, mc, rel);
}

/* Copies a header value (or "") into out, bounded. */
static void http_copy_hdr(struct MHD_Connection *mc, const char *name, char *out, size_t cap)
{
	const char *v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, name);

	snprintf(out, cap, "%s", v ? v : "");
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *mc, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **req_cls)
{
	struct http_conn *c = *req_cls;
	struct MHD_Response *resp;

	if (!c) {
		/* no connection state: its allocation failed when the connection came in */
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		enum MHD_Result r = MHD_queue_response(mc, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
		MHD_destroy_response(resp);
		return r;
	}
	if (c->answered)
		return MHD_YES; /* not called again once answered; harmless if it were */
	if (!c->headers_seen) {
		c->headers_seen = true;
		snprintf(c->method, sizeof(c->method), "%s", method);
		c->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		http_copy_hdr(mc, MHD_HTTP_HEADER_RANGE, c->range, sizeof(c->range));
		http_copy_hdr(mc, MHD_HTTP_HEADER_USER_AGENT, c->agent, sizeof(c->agent));
		/* Other methods are refused at once, before any body is read: MHD then closes
		 * the connection after the 405, which is what an unwanted upload deserves. */
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			c->answered = true;
			return http_error(c, mc, 405, "only GET and HEAD");
		}
		/* GET and HEAD are answered on the next call, once the request is complete:
		 * MHD 0.9.75 closes a connection whose answer was queued on the first call, and
		 * keep-alive matters to iPXE and to anything fetching many small files. */
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body on a GET: read and dropped */
		return MHD_YES;
	}
	c->answered = true;
	return http_answer(c, mc);
}

/* ---- MHD callbacks around the handler ------------------------------------------------------- */

static void http_conn_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct http_conn *c;
	socklen_t sl;

	if (code != MHD_CONNECTION_NOTIFY_STARTED) {
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return; /* its requests get 503 */
	c->svc = cls;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		memcpy(&c->peer, ci->client_addr, bw_sock_len(ci->client_addr));
		bw_sock_addr_str((struct sockaddr *)&c->peer, c->peer_str, sizeof(c->peer_str));
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = ci ? ci->connect_fd : -1;
	sl = sizeof(c->local);
	if (c->fd >= 0 && getsockname(c->fd, (struct sockaddr *)&c->local, &sl) == 0)
		c->have_local = true;
	*socket_context = c;
}

/* Called with the raw request-target before MHD touches it; its result is *req_cls. */
static void *http_uri_cb(void *cls, const char *uri, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *c = ci ? ci->socket_context : NULL;
	size_t n;

	if (!c)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->active = true;
	c->headers_seen = false;
	c->answered = false;
	c->head = false;
	c->status = 0;
	c->bytes = 0;
	c->note = NULL;
	c->method[0] = c->range[0] = c->agent[0] = '\0';
	n = uri ? strlen(uri) : 0;
	c->uri_too_long = n >= sizeof(c->uri);
	if (c->uri_too_long)
		n = 200; /* enough to recognise it in the log */
	memcpy(c->uri, uri ? uri : "", n);
	c->uri[n] = '\0';
	return c;
}

/* MHD decodes the URL and the query arguments with this; we decode the raw target ourselves
 * (http_url), so nothing is done here. */
static size_t http_unescape_none(void *cls, struct MHD_Connection *mc, char *s)
{
	return strlen(s);
}

static const char *http_toe_str(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "ok";
	case MHD_REQUEST_TERMINATED_WITH_ERROR: return "error";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR: return "read-error";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client-abort";
	default: return "?";
	}
}

/* The one log line of a request. */
static void http_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct http_conn *c = *req_cls;
	struct timespec t1;
	char path[256];
	double secs;

	if (!c || !c->active)
		return;
	c->active = false;
	*req_cls = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - c->t0.tv_sec) + (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e9;
	bw_escape(c->uri, strlen(c->uri), path, sizeof(path));
	if (!c->answered) {
		/* MHD refused the headers itself, or the client stopped before sending them all */
		if (bw_log_enabled(BW_LOG_INFO))
			bw_log(BW_LOG_INFO, "http", c->peer_str,
			       "%s: request not complete (%s), dropping", path, http_toe_str(toe));
		return;
	}
	if (!bw_log_enabled(BW_LOG_INFO))
		return;
	struct bw_log_field f[] = {
		BW_LF_S("method", c->method),
		BW_LF_S("path", c->uri),
		BW_LF_U("status", c->status),
		BW_LF_U("bytes", c->bytes),
		BW_LF_F("seconds", secs),
		BW_LF_S("range", c->range[0] ? c->range : "-"),
		BW_LF_S("agent", c->agent[0] ? c->agent : "-"),
		BW_LF_S("end", http_toe_str(toe)),
	};
	bw_log_f(BW_LOG_INFO, "http", c->peer_str, f, sizeof(f) / sizeof(f[0]), "%s",
		 c->note ? c->note : "served");
}

/* MHD's own messages: errors while starting, warnings (rate-limited) while running. */
static void http_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct bw_http_service *svc = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (!svc->running) {
		bw_log(BW_LOG_ERROR, "http", NULL, "libmicrohttpd: %s", msg);
		return;
	}
	char reason[40];
	snprintf(reason, sizeof(reason), "mhd:%s", msg);
	if (bw_log_ratelimit(NULL, reason, bw_now_ms()))
		bw_log(BW_LOG_WARN, "http", NULL, "libmicrohttpd: %s", msg);
}

/* ---- start and stop -------------------------------------------------------------------------- */

/* Reads a PEM file (read before privileges are dropped). */
static int http_read_pem(const char *path, char **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *buf;
	size_t len = 0;
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	buf = malloc(HTTP_PEM_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out_close;
	}
	while (len < HTTP_PEM_MAX && (n = read(fd, buf + len, HTTP_PEM_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out_free;
		}
		len += (size_t)n;
	}
	if (len == HTTP_PEM_MAX) {
		r = -EFBIG;
		goto out_free;
	}
	buf[len] = '\0';
	close(fd);
	*ret = buf;
	return 0;
out_free:
	explicit_bzero(buf, len);
	free(buf);
out_close:
	close(fd);
	return r;
}

static void http_free_pem(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

/* The listening socket, bound by us so a failure says exactly why. */
static int http_listen(const struct sockaddr *addr)
{
	int one = 1;
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, addr, bw_sock_len(addr)) < 0 || listen(fd, SOMAXCONN) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int http_load_tls(struct bw_http_service *svc)
{
	const struct bw_http_config *cfg = svc->cfg;
	int r;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		bw_log(BW_LOG_ERROR, "http", NULL,
		       "tls_cert is set but this libmicrohttpd has no TLS support");
		return -EOPNOTSUPP;
	}
	r = http_read_pem(cfg->tls_cert, &svc->pem_cert);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot read tls_cert %s: %s", cfg->tls_cert,
		       strerror(-r));
		return r;
	}
	r = http_read_pem(cfg->tls_key, &svc->pem_key);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot read tls_key %s: %s", cfg->tls_key,
		       strerror(-r));
		return r;
	}
	return 0;
}

static int http_start_mhd(struct bw_http_service *svc, int lfd)
{
	const struct bw_http_config *cfg = svc->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			 MHD_USE_ERROR_LOG | (svc->tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem opts[8] = {
		{MHD_OPTION_LISTEN_SOCKET, lfd, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
		{MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->max_per_client, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout_s, NULL},
	};
	unsigned n = 4;

	if (svc->tls) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, svc->pem_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, svc->pem_key};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	svc->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_handler, svc,
				    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, svc,
				    MHD_OPTION_NOTIFY_CONNECTION, http_conn_notify, svc,
				    MHD_OPTION_URI_LOG_CALLBACK, http_uri_cb, svc,
				    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape_none, svc,
				    MHD_OPTION_NOTIFY_COMPLETED, http_completed, svc,
				    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	return svc->mhd ? 0 : -EIO;
}

int bw_http_service_new(uv_loop_t *loop, const struct bw_http_config *cfg, const char *boot_root,
			const struct bw_vfs *vfs, struct bw_http_service **ret)
{
	struct bw_http_service *svc = calloc(1, sizeof(*svc));
	struct sockaddr_storage addr;
	int lfd, r;

	if (!svc)
		return -ENOMEM;
	svc->cfg = cfg;
	svc->root = boot_root;
	svc->vfs = vfs;
	svc->tls = cfg->tls_cert && *cfg->tls_cert && cfg->tls_key && *cfg->tls_key;
	r = bw_sock_addr_parse(cfg->listen, (uint16_t)cfg->port, &addr);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "listen: '%s' is not an address", cfg->listen);
		goto out_free;
	}
	bw_sock_addr_str((struct sockaddr *)&addr, svc->listen_str, sizeof(svc->listen_str));
	svc->root_fd = open(boot_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (svc->root_fd < 0) {
		r = -errno;
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot open boot_root %s: %s", boot_root,
		       strerror(-r));
		goto out_free;
	}
	if (svc->tls) {
		r = http_load_tls(svc);
		if (r < 0)
			goto out_pem;
	}
	lfd = http_listen((struct sockaddr *)&addr);
	if (lfd < 0) {
		r = lfd;
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot listen on %s: %s", svc->listen_str,
		       strerror(-r));
		goto out_pem;
	}
	r = http_start_mhd(svc, lfd);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot start libmicrohttpd on %s",
		       svc->listen_str);
		close(lfd);
		goto out_pem;
	}
	svc->running = true;
	bw_log(BW_LOG_INFO, "http", NULL,
	       "listening on %s (%s), serving %s; at most %u connections, %u per client, idle "
	       "timeout %u s",
	       svc->listen_str, svc->tls ? "https" : "http", boot_root, cfg->max_connections,
	       cfg->max_per_client, cfg->timeout_s);
	*ret = svc;
	return 0;
out_pem:
	http_free_pem(&svc->pem_cert);
	http_free_pem(&svc->pem_key);
	close(svc->root_fd);
out_free:
	free(svc);
	return r;
}

void bw_http_service_stop(struct bw_http_service *svc)
{
	if (!svc)
		return;
	/* Closes the listening socket and every connection (their requests are logged with
	 * end=shutdown) and joins MHD's thread. */
	MHD_stop_daemon(svc->mhd);
	svc->mhd = NULL;
	http_free_pem(&svc->pem_cert);
	http_free_pem(&svc->pem_key);
	close(svc->root_fd);
	free(svc);
}
