/* HTTP on libmicrohttpd (MHD). MHD runs a pool of http.threads internal threads (default:
 * one per CPU the process may run on; one thread means no pool), each with its own epoll
 * set, edge-triggered ("turbo"): a thread accepts from the shared listening socket, reads,
 * calls the handlers below and sends, for the connections it accepted and no others. File
 * bodies leave with sendfile(2) (plain HTTP) or pread + GnuTLS (HTTPS), small ones from
 * memory with their headers (http_answer.c). No thread per connection.
 *
 * Threads and locking. The loop thread only starts and stops the service. Everything else
 * runs on MHD's threads, which touch:
 *   - struct bw_http_conn (http_conn.h): one per TCP connection, created and freed by MHD's
 *     connection notifications on the thread that owns the connection and used only there
 *     (requests on a connection come one at a time), so it needs no lock;
 *   - the file cache (http_cache.h): one per thread, reached through a pthread key, made on
 *     the thread's first file answer and freed when the thread ends; no lock;
 *   - the service, the config, boot_root's fd: written before MHD starts, read-only after
 *     (running is atomic: it is set once MHD is up);
 *   - the vfs, from several threads at once: providers only read state that does not change
 *     while services run (the profile set is immutable), and blob references are atomic
 *     (core/vfs.h);
 *   - the connection table (svc->conns, http_conns.h: each connection's state, head
 *     deadline and address) under svc->lock, from MHD's threads (connection notifications,
 *     the URI callback, the handler, the completion callback, and the accept policy, which
 *     enforces max_connections and max_per_client) and from the closer thread, which sleeps
 *     until the next head deadline (and, while files are sent with sendfile, fstat(2)s each
 *     one every HTTP_FILE_TICK_MS through the table's own descriptor of the file, closed
 *     only after the answer's slot gives it back); connections are closed by shutdown(2) on
 *     their socket under the lock (MHD sends the close notification, which takes the slot
 *     out, before it closes the socket, so the fd is still the connection's), and MHD ends
 *     them on its own thread;
 *   - libmicrohttpd's own shared state under its locks;
 *     an answer kept in one thread's cache is used by that thread's connections only;
 *   - the log: each line is formatted on the stack and written with one fwrite, which stdio
 *     serialises; the rate-limit table has its own mutex (core/log.c).
 * MHD_stop_daemon joins every thread (their caches are freed on the way out) before
 * anything they used is freed.
 *
 * A request: the URI callback copies the raw request-target and starts the clock; the
 * handler decodes and normalises the path (http_url, core/fspath), asks the virtual files,
 * then opens the file below boot_root with openat2(RESOLVE_BENEATH), decides the answer
 * (http_range: conditionals, ranges) and queues it (http_answer.c); the completion callback
 * writes the one log line, with the bytes that reached the client when the answer was cut
 * short. */
#include "http/http_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/peers.h"
#include "core/sock.h"
#include "core/util.h"
#include "http/http_cache.h"
#include "http/http_conn.h"
#include "http/http_head.h"
#include "http/http_recv.h"

#define HTTP_PEM_MAX (1u << 20) /* certificate chains and keys */
/* MHD's memory per connection: the request's headers, then the answer's. MHD clears all of
 * it for every request on a kept-alive connection, so its default of 32 KiB cost about 6% of
 * a 4 KiB answer; 16 KiB still holds a request-target of BW_HTTP_URI_MAX and its headers. */
#define HTTP_POOL_SIZE (16u * 1024)
/* Connections asked to close that libmicrohttpd may still count (see http_mhd_limit). */
#define HTTP_CLOSING_SLACK 64u
/* While files are sent with sendfile, the closer looks at their sizes at least this often
 * (http_closer_files): a file that shrinks while sent has its connection shut down within
 * this many milliseconds (plus the closer's scheduling delay). */
#define HTTP_FILE_TICK_MS 100

/* Copies a header value (or "") into out, bounded. */
static void http_copy_hdr(struct MHD_Connection *mc, const char *name, char *out, size_t cap)
{
	const char *v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, name);
	size_t n = v ? strnlen(v, cap - 1) : 0;

	memcpy(out, v ? v : "", n);
	out[n] = '\0';
}

static enum MHD_Result http_scan_hdr(void *cls, enum MHD_ValueKind kind, const char *key,
				     size_t key_size, const char *value, size_t value_size)
{
	bw_http_head_scan_add(cls, key, key_size, value ? value : "", value ? value_size : 0);
	return MHD_YES;
}

/* Why the head of the request on mc is refused (http_head.h), or NULL. */
static const char *http_head_refused(struct MHD_Connection *mc, const char *method)
{
	struct bw_http_head_scan scan;
	const char *why = NULL;

	bw_http_head_scan_init(&scan);
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, http_scan_hdr, &scan);
	return bw_http_head_verdict(&scan, method, &why) < 0 ? why : NULL;
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *mc, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **req_cls)
{
	struct bw_http_conn *c = *req_cls;
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
		pthread_mutex_lock(&c->svc->lock);
		bw_http_conns_busy(&c->svc->conns, &c->slot, (int64_t)bw_now_ms());
		pthread_mutex_unlock(&c->svc->lock);
		snprintf(c->method, sizeof(c->method), "%s", method);
		c->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		c->http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
		http_copy_hdr(mc, MHD_HTTP_HEADER_RANGE, c->range, sizeof(c->range));
		http_copy_hdr(mc, MHD_HTTP_HEADER_USER_AGENT, c->agent, sizeof(c->agent));
		/* A head whose framing is ambiguous: 400, and the connection is closed so that
		 * nothing after the head is read as a next request (request smuggling). */
		const char *why = http_head_refused(mc, method);
		if (!why && c->raw_on)
			why = c->raw.why; /* what MHD normalised away (http_raw.h) */
		if (why) {
			c->answered = true;
			c->refused = true;
			return bw_http_answer_refuse(c, mc, why);
		}
		/* Other methods are refused at once, before any body is read: MHD then closes
		 * the connection after the 405, which is what an unwanted upload deserves. */
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			c->answered = true;
			return bw_http_answer_error(c, mc, 405, "only GET and HEAD");
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
	return bw_http_answer(c, mc);
}

static void http_closer_poke(struct bw_http_service *svc, int64_t deadline);

/* ---- MHD callbacks around the handler ------------------------------------------------------- */

static void http_conn_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct bw_http_conn *c;
	socklen_t sl;

	if (code != MHD_CONNECTION_NOTIFY_STARTED) {
		/* called before MHD closes the socket: the closer never sees a reused fd */
		c = *socket_context;
		if (c) {
			if (c->raw_on)
				bw_http_recv_unwatch(c->fd);
			pthread_mutex_lock(&c->svc->lock);
			int ffd = bw_http_conns_file_end(&c->svc->conns, &c->slot);
			bw_http_conns_remove(&c->svc->conns, &c->slot);
			pthread_mutex_unlock(&c->svc->lock);
			if (ffd >= 0)
				close(ffd);
		}
		free(c);
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
	if (!c->svc->tls)
		c->raw_on = bw_http_recv_watch(c->fd, &c->raw);
	c->slot.addr = c->peer;
	c->slot.fd = c->fd;
	pthread_mutex_lock(&c->svc->lock);
	bw_http_conns_add(&c->svc->conns, &c->slot, (int64_t)bw_now_ms(),
			  c->svc->cfg->head_timeout_ms);
	http_closer_poke(c->svc, c->slot.deadline);
	pthread_mutex_unlock(&c->svc->lock);
	*socket_context = c;
}

/* Called with the raw request-target before MHD touches it; its result is *req_cls. */
static void *http_uri_cb(void *cls, const char *uri, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct bw_http_conn *c = ci ? ci->socket_context : NULL;
	size_t n;

	if (!c)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	pthread_mutex_lock(&c->svc->lock);
	bw_http_conns_head(&c->svc->conns, &c->slot, (int64_t)bw_now_ms(),
			   c->svc->cfg->head_timeout_ms);
	http_closer_poke(c->svc, c->slot.deadline);
	pthread_mutex_unlock(&c->svc->lock);
	c->active = true;
	c->headers_seen = false;
	c->answered = false;
	c->head = false;
	c->http10 = false;
	c->tracked = false;
	c->status = 0;
	c->bytes = 0;
	c->note = NULL;
	c->short_read = false;
	c->refused = false;
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

/* close_why of a connection whose file answer can no longer be completed (http_closer_files) */
static const char http_why_shrank[] = "file shrank while sent";

/* The body bytes and the message of the log line of an answer that ended as toe says. */
static uint64_t http_sent(const struct bw_http_conn *c, enum MHD_RequestTerminationCode toe,
			  char *msg, size_t cap)
{
	uint64_t sent = c->bytes;

	snprintf(msg, cap, "%s%s", c->refused ? "refused, connection closed: " : "",
		 c->note ? c->note : "served");
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || c->bytes == 0)
		return sent;
	if (c->short_read) {
		/* written to the socket before the end: the kernel still delivers them */
		snprintf(msg, cap, "aborted: %s: %" PRIu64 " of %" PRIu64 " bytes sent", c->note,
			 c->short_at, c->bytes);
		return c->short_at;
	}
	sent = bw_http_answer_delivered(c);
	if (sent < c->bytes)
		snprintf(msg, cap, "cut short: %" PRIu64 " of %" PRIu64 " bytes", sent, c->bytes);
	return sent;
}

/* The one log line of a request. */
static void http_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct bw_http_conn *c = *req_cls;
	struct timespec t1;
	char path[256], msg[96], macs[18];
	double secs;
	uint64_t sent;

	const char *closed_why;
	bool have_written;
	uint64_t written;
	int ffd;

	if (!c || !c->active)
		return;
	c->active = false;
	*req_cls = NULL;
	pthread_mutex_lock(&c->svc->lock);
	closed_why = c->slot.closing ? c->close_why : NULL;
	have_written = c->have_shut_written;
	written = c->shut_written;
	c->have_shut_written = false;
	ffd = bw_http_conns_file_end(&c->svc->conns, &c->slot);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		bw_http_conns_idle(&c->svc->conns, &c->slot, (int64_t)bw_now_ms(),
				   (int64_t)c->svc->cfg->timeout_s * 1000,
				   c->svc->cfg->head_timeout_ms);
	pthread_mutex_unlock(&c->svc->lock);
	if (ffd >= 0)
		close(ffd);
	if (closed_why == http_why_shrank && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		/* the closer found the file shorter than the answer and shut the socket down:
		 * the client gets what had been written to it before, and no more */
		c->short_read = true;
		c->short_at = have_written ? bw_http_answer_written(c, written)
					   : bw_http_answer_delivered(c);
		c->note = http_why_shrank;
	}
	if (!bw_log_enabled(BW_LOG_INFO) || (!c->answered && closed_why))
		return; /* we closed it before its head was complete, and said so then */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - c->t0.tv_sec) + (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e9;
	bw_escape(c->uri, strlen(c->uri), path, sizeof(path));
	if (!c->answered) {
		/* MHD refused the headers itself, or the client stopped before sending them all */
		bw_log(BW_LOG_INFO, "http", c->peer_str, "%s: request not complete (%s), dropping",
		       path, http_toe_str(toe));
		return;
	}
	sent = http_sent(c, toe, msg, sizeof(msg));
	const char *mac = bw_peers_mac_str(c->svc->peers, (const struct sockaddr *)&c->peer, macs);
	struct bw_log_field f[] = {
		BW_LF_S("method", c->method),
		BW_LF_S("path", c->uri),
		BW_LF_U("status", c->status),
		BW_LF_U("bytes", sent),
		BW_LF_F("seconds", secs),
		BW_LF_S("range", c->range[0] ? c->range : "-"),
		BW_LF_S("agent", c->agent[0] ? c->agent : "-"),
		BW_LF_S("end", http_toe_str(toe)),
		BW_LF_S("mac", mac ? mac : "-"), /* learnt from DHCP or a script request */
	};
	bw_log_f(BW_LOG_INFO, "http", c->peer_str, f, sizeof(f) / sizeof(f[0]), "%s", msg);
}

/* ---- the connection table: late heads and the connection limits ---------------------------- */

/* The connection whose slot s is. */
static struct bw_http_conn *http_slot_conn(struct bw_http_slot *s)
{
	return (struct bw_http_conn *)((char *)s - offsetof(struct bw_http_conn, slot));
}

/* Asks the connection of slot s to close (under svc->lock): shutdown(2) wakes MHD on its
 * own thread, which reads the end and closes it. The fd is still MHD's: the table holds the
 * slot until the close notification, which MHD sends before it closes the socket. */
static void http_close_slot(struct bw_http_service *svc, struct bw_http_slot *s, const char *why)
{
	struct bw_http_conn *c = http_slot_conn(s);

	bw_http_conns_closing(&svc->conns, s);
	c->close_why = why;
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
}

static const char *http_slot_state_str(enum bw_http_slot_state st)
{
	switch (st) {
	case BW_HTTP_SLOT_NEW: return "no request line";
	case BW_HTTP_SLOT_HEAD: return "headers incomplete";
	case BW_HTTP_SLOT_IDLE: return "idle after an answer";
	default: return "busy";
	}
}

/* Wakes the closer when it sleeps until told (an empty table), under svc->lock. Otherwise it
 * wakes by itself at least every tick (http_closer_tick), so a deadline is met within a tick:
 * waking it for each earlier deadline would wake it for every request (a request line's
 * deadline comes before those of the connections kept alive). */
static void http_closer_poke(struct bw_http_service *svc, int64_t deadline)
{
	if (svc->closer_at == INT64_MAX && deadline != INT64_MAX) {
		svc->closer_at = deadline;
		pthread_cond_signal(&svc->wake);
	}
}

/* How late the closer may be: a quarter of head_timeout_ms, between 25 ms and 1 s. */
static int64_t http_closer_tick(const struct bw_http_config *cfg)
{
	int64_t t = cfg->head_timeout_ms / 4;

	return t < 25 ? 25 : t > 1000 ? 1000 : t;
}

/* Closes every connection past its deadline at now (under svc->lock). */
static void http_closer_sweep(struct bw_http_service *svc, int64_t now)
{
	struct bw_http_slot *s;
	char peer[BW_ADDRSTRLEN];

	while ((s = bw_http_conns_expired(&svc->conns, now))) {
		bw_sock_addr_str((struct sockaddr *)&s->addr, peer, sizeof(peer));
		if (bw_log_ratelimit(peer, "http-head-timeout", (uint64_t)now))
			bw_log(BW_LOG_INFO, "http", peer,
			       "request head not complete within %u ms (%s, %.1f s in it), closing",
			       svc->cfg->head_timeout_ms, http_slot_state_str(s->state),
			       (double)(now - s->since) / 1000.0);
		http_close_slot(svc, s, "head timeout");
	}
}

/* Shuts down every connection whose file answer can no longer be completed: its file is now
 * shorter than the answer's end (under svc->lock). MHD 0.9.75's sendfile path gets 0 at the
 * new end of the file and waits for the socket to become writable, which it then stays,
 * until the idle timeout: the shutdown ends that at once. One fstat(2) per file answer. */
static void http_closer_files(struct bw_http_service *svc)
{
	struct bw_http_slot *s = NULL;
	struct bw_http_conn *c;
	struct stat st;

	while ((s = bw_http_conns_next_file(&svc->conns, s))) {
		if (fstat(s->file_fd, &st) < 0 || !bw_http_slot_file_shrank(s, (uint64_t)st.st_size))
			continue;
		c = http_slot_conn(s);
		http_close_slot(svc, s, http_why_shrank);
		/* after the shutdown nothing more can be written: what has been is final, and
		 * read now, before the client's FIN could turn the socket to TCP_CLOSE */
		c->have_shut_written = bw_http_tcp_written(s->fd, &c->shut_written);
	}
}

void bw_http_file_watch(struct bw_http_conn *c, int file_fd, uint64_t end)
{
	struct bw_http_service *svc = c->svc;
	int64_t at = (int64_t)bw_now_ms() + HTTP_FILE_TICK_MS;
	int old;

	pthread_mutex_lock(&svc->lock);
	old = bw_http_conns_file_end(&svc->conns, &c->slot); /* -1: the last one ended */
	bw_http_conns_file_start(&svc->conns, &c->slot, file_fd, end);
	if (svc->closer_at > at) {
		svc->closer_at = at; /* it sleeps longer than a file tick: wake it */
		pthread_cond_signal(&svc->wake);
	}
	pthread_mutex_unlock(&svc->lock);
	if (old >= 0)
		close(old);
}

/* The closer thread: sleeps until the next head deadline, closes what is late; while files
 * are sent, it also wakes every HTTP_FILE_TICK_MS to look at their sizes. */
static void *http_closer_main(void *arg)
{
	struct bw_http_service *svc = arg;
	struct timespec ts;

	pthread_mutex_lock(&svc->lock);
	while (!svc->closer_stop) {
		int64_t now = (int64_t)bw_now_ms(), next;

		http_closer_sweep(svc, now);
		http_closer_files(svc);
		next = bw_http_conns_next_deadline(&svc->conns);
		if (bw_http_conns_files(&svc->conns) && next > now + HTTP_FILE_TICK_MS)
			next = now + HTTP_FILE_TICK_MS;
		if (next == INT64_MAX) {
			svc->closer_at = INT64_MAX;
			pthread_cond_wait(&svc->wake, &svc->lock);
			continue;
		}
		if (next > now + http_closer_tick(svc->cfg))
			next = now + http_closer_tick(svc->cfg);
		svc->closer_at = next;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (next - now) / 1000;
		ts.tv_nsec += (long)((next - now) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&svc->wake, &svc->lock, &ts);
	}
	pthread_mutex_unlock(&svc->lock);
	return NULL;
}

/* The log line of an accept decision (after the lock is released). */
static void http_admit_log(struct bw_http_service *svc, enum bw_http_admit a, const char *peer,
			   const char *victim, double idle_s)
{
	uint64_t now = bw_now_ms();
	const struct bw_http_config *cfg = svc->cfg;

	if (a == BW_HTTP_ADMIT_EVICT && bw_log_ratelimit(NULL, "http-evict", now))
		bw_log(BW_LOG_INFO, "http", peer,
		       "at the connection limit (%u): closing the connection idle longest (%s, "
		       "idle %.1f s) to let this one in", cfg->max_connections, victim, idle_s);
	else if (a == BW_HTTP_REFUSE_FULL && bw_log_ratelimit(NULL, "http-full", now))
		bw_log(BW_LOG_WARN, "http", peer,
		       "at the connection limit (%u) and every connection is busy: refusing "
		       "the connection", cfg->max_connections);
	else if (a == BW_HTTP_REFUSE_CLIENT && bw_log_ratelimit(peer, "http-per-client", now))
		bw_log(BW_LOG_WARN, "http", peer,
		       "at the per-client connection limit (%u): refusing the connection",
		       cfg->max_per_client);
}

/* libmicrohttpd's accept policy, called on the accepting thread before the connection is
 * made: the per-client and total limits are ours (MHD's own limit is set above them, since
 * at its limit MHD stops accepting and leaves clients waiting in the backlog, unlogged). */
static enum MHD_Result http_accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct bw_http_service *svc = cls;
	struct bw_http_slot *victim;
	char peer[BW_ADDRSTRLEN], vpeer[BW_ADDRSTRLEN] = "";
	double idle_s = 0;
	enum bw_http_admit a;
	unsigned live, from;

	(void)len;
	pthread_mutex_lock(&svc->lock);
	live = bw_http_conns_live(&svc->conns);
	from = bw_http_conns_from(&svc->conns, addr);
	victim = live >= svc->cfg->max_connections ? bw_http_conns_victim(&svc->conns) : NULL;
	a = bw_http_conns_admit(live, from, victim != NULL, svc->cfg->max_connections,
				svc->cfg->max_per_client);
	if (a == BW_HTTP_ADMIT_EVICT) {
		bw_sock_addr_str((struct sockaddr *)&victim->addr, vpeer, sizeof(vpeer));
		idle_s = (double)((int64_t)bw_now_ms() - victim->since) / 1000.0;
		http_close_slot(svc, victim, "evicted");
	}
	pthread_mutex_unlock(&svc->lock);
	if (a != BW_HTTP_ADMIT) {
		bw_sock_addr_str(addr, peer, sizeof(peer));
		http_admit_log(svc, a, peer, vpeer, idle_s);
	}
	return a == BW_HTTP_ADMIT || a == BW_HTTP_ADMIT_EVICT ? MHD_YES : MHD_NO;
}

static int http_closer_start(struct bw_http_service *svc)
{
	pthread_condattr_t ca;
	int r;

	bw_http_conns_init(&svc->conns);
	svc->closer_at = INT64_MAX;
	pthread_mutex_init(&svc->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&svc->wake, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&svc->closer, NULL, http_closer_main, svc);
	svc->have_closer = r == 0;
	return -r;
}

static void http_closer_stop(struct bw_http_service *svc)
{
	if (svc->have_closer) {
		pthread_mutex_lock(&svc->lock);
		svc->closer_stop = true;
		pthread_cond_signal(&svc->wake);
		pthread_mutex_unlock(&svc->lock);
		pthread_join(svc->closer, NULL);
		svc->have_closer = false;
	}
	pthread_cond_destroy(&svc->wake);
	pthread_mutex_destroy(&svc->lock);
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
	if (!atomic_load(&svc->running)) {
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

/* http.threads, or one thread per CPU this process may run on (taskset, cpusets). */
static unsigned http_threads(const struct bw_http_config *cfg)
{
	cpu_set_t set;
	long n;

	if (cfg->threads)
		return cfg->threads;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* libmicrohttpd's own connection limit. At it, MHD stops accepting and leaves clients in
 * the backlog, unlogged, so ours (http_accept_policy) must decide first: MHD shares its limit
 * out between its threads and the kernel may hand one thread most connections, so each
 * thread's share holds all of ours, plus room for the connections we asked to close and MHD
 * has not closed yet. */
static unsigned http_mhd_limit(const struct bw_http_config *cfg, unsigned threads)
{
	uint64_t n = ((uint64_t)cfg->max_connections + HTTP_CLOSING_SLACK) * threads;

	return n > UINT32_MAX / 2 ? UINT32_MAX / 2 : (unsigned)n;
}

static void http_cache_destroy(void *cache)
{
	bw_http_cache_free(cache);
}

static int http_start_mhd(struct bw_http_service *svc, int lfd)
{
	const struct bw_http_config *cfg = svc->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			 MHD_USE_ERROR_LOG | (svc->tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem opts[10] = {
		{MHD_OPTION_LISTEN_SOCKET, lfd, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, (intptr_t)svc->mhd_limit, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout_s, NULL},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)HTTP_POOL_SIZE, NULL},
	};
	unsigned n = 4;

	if (svc->threads > 1)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
						    (intptr_t)svc->threads, NULL};
	if (svc->tls) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, svc->pem_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, svc->pem_key};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	svc->have_cache_key = pthread_key_create(&svc->cache_key, http_cache_destroy) == 0;

	svc->mhd = MHD_start_daemon(flags, 0, http_accept_policy, svc, http_handler, svc,
				    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, svc,
				    MHD_OPTION_NOTIFY_CONNECTION, http_conn_notify, svc,
				    MHD_OPTION_URI_LOG_CALLBACK, http_uri_cb, svc,
				    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape_none, svc,
				    MHD_OPTION_NOTIFY_COMPLETED, http_completed, svc,
				    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!svc->mhd && svc->have_cache_key) {
		pthread_key_delete(svc->cache_key);
		svc->have_cache_key = false;
	}
	return svc->mhd ? 0 : -EIO;
}

int bw_http_service_new(uv_loop_t *loop, const struct bw_http_config *cfg, const char *listen,
			const char *boot_root, const struct bw_vfs *vfs,
			const struct bw_peers *peers, struct bw_http_service **ret)
{
	struct bw_http_service *svc = calloc(1, sizeof(*svc));
	struct sockaddr_storage addr;
	int lfd, r;

	if (!svc)
		return -ENOMEM;
	svc->cfg = cfg;
	svc->root = boot_root;
	svc->vfs = vfs;
	svc->peers = peers;
	svc->tls = cfg->tls_cert && *cfg->tls_cert && cfg->tls_key && *cfg->tls_key;
	svc->threads = http_threads(cfg);
	r = bw_sock_addr_parse(listen, (uint16_t)cfg->port, &addr);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "listen: '%s' is not an address", listen);
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
	svc->mhd_limit = http_mhd_limit(cfg, svc->threads);
	if (!svc->tls && bw_http_recv_init() < 0)
		bw_log(BW_LOG_WARN, "http", NULL, "out of memory: request heads are checked only "
		       "as libmicrohttpd parsed them (a bare LF, a NUL or an obs-fold passes)");
	r = http_closer_start(svc);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot start a thread: %s", strerror(-r));
		close(lfd);
		goto out_closer;
	}
	r = http_start_mhd(svc, lfd);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "http", NULL, "cannot start libmicrohttpd on %s",
		       svc->listen_str);
		close(lfd);
		goto out_closer;
	}
	atomic_store(&svc->running, true);
	bw_log(BW_LOG_INFO, "http", NULL,
	       "listening on %s (%s), serving %s; %u thread%s, at most %u connections, %u per "
	       "client, idle timeout %u s, head timeout %u ms",
	       svc->listen_str, svc->tls ? "https" : "http", boot_root, svc->threads,
	       svc->threads == 1 ? "" : "s", cfg->max_connections, cfg->max_per_client,
	       cfg->timeout_s, cfg->head_timeout_ms);
	*ret = svc;
	return 0;
out_closer:
	http_closer_stop(svc);
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
	http_closer_stop(svc); /* after MHD: its threads no longer touch the table */
	if (svc->have_cache_key)
		pthread_key_delete(svc->cache_key);
	http_free_pem(&svc->pem_cert);
	http_free_pem(&svc->pem_key);
	close(svc->root_fd);
	free(svc);
}
