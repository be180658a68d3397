/* Stream connections on the libuv loop (see stream.h for ownership, threads, lifetimes).
 * The reader (stream_rd.c) decides where bytes go and when a message is complete; this file
 * reads into the place it names, hands complete messages to the protocol, queues writes on
 * libuv's write queue, and runs the idle timeout and the close.
 *
 * A connection's states: open (reading while the protocol asks for bytes and the write
 * queue is below its high-water mark) -> closing (orderly: no reads or deliveries, queued
 * writes go out, then uv_shutdown; then "lingering": input read and discarded until the peer
 * closes; all of it bounded by linger_ms) -> hard (uv_close on the stream, the timer and the
 * kick; libuv cancels the writes left, calling their callbacks first) -> freed from the last
 * close callback, after on_close. Messages are delivered from the read callback, or from the
 * kick (an idle handle) when bytes already staged become deliverable later (the protocol asks
 * again from elsewhere, or the write queue drained), so on_read never runs inside a call the
 * protocol made. */
#include "core/stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/log.h"
#include "core/sock.h"

#define STREAM_LISTEN_MAX 16 /* addresses per listener */

struct stream_port {
	uv_tcp_t tcp;
	struct bw_stream_listener *ls;
	bool stalled; /* a connection waits for the sink */
};

struct bw_stream_listener {
	uv_loop_t *loop;
	struct bw_stream_cfg cfg;
	const struct bw_stream_ops *ops;
	void *ctx;
	struct bw_stream_lim lim;
	struct stream_port *ports;
	unsigned n_ports;        /* initialised handles in ports */
	unsigned pending_closes; /* ports and sink being closed after a stop */
	struct bw_stream_conn *conns;
	uv_tcp_t sink;  /* accepts and drops a connection when no memory is left */
	bool sink_busy; /* initialised and closing */
	bool stopping;
	bool started; /* handed to the caller: on_stopped is owed */
};

struct bw_stream_conn {
	struct bw_stream_listener *ls; /* NULL for adopted connections */
	struct bw_stream_conn *prev, *next;
	uv_loop_t *loop;
	const struct bw_stream_ops *ops;
	void *ctx;
	const char *service;
	size_t wq_high, wq_low;
	uint64_t idle_ms, linger_ms;
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} u;
	uv_timer_t timer; /* the idle timeout, then the linger bound */
	uv_idle_t kick;   /* delivers staged messages from the loop */
	uv_shutdown_t shut;
	struct bw_stream_rd rd;
	struct sockaddr_storage peer;
	char peer_str[BW_ADDRSTRLEN];
	size_t queued;
	uint64_t bytes_in, bytes_out;
	uint64_t last_ms; /* loop time of the last read or completed write */
	enum bw_stream_reason reason;
	int err;
	unsigned pending_closes;
	bool have_reason;
	bool opened;   /* the protocol has it: on_close is owed */
	bool admitted; /* counted in ls->lim */
	bool reading;
	bool delivering;
	bool congested;
	bool peer_eof;
	bool closing;   /* no more reads, deliveries or writes */
	bool lingering; /* write side shut down: input is discarded */
	bool hard;      /* the handles are closing */
	size_t rbuf_size;
	uint8_t rbuf[];
};

/* One uv_write: the bytes' owner, or (release == NULL) the copy in data. */
struct stream_wreq {
	uv_write_t req;
	struct bw_stream_conn *c;
	size_t len;
	bw_stream_release_fn release;
	void *arg;
	uint8_t data[];
};

static void stream_deliver(struct bw_stream_conn *c);
static void stream_listener_maybe_free(struct bw_stream_listener *ls);

/* ---- configuration and names ------------------------------------------------------------ */

void bw_stream_cfg_init(struct bw_stream_cfg *cfg, const char *service)
{
	*cfg = (struct bw_stream_cfg){
	    .service = service,
	    .rbuf_size = 16u << 10,
	    .wq_high = 1u << 20,
	    .wq_low = 256u << 10,
	    .idle_ms = 0,
	    .linger_ms = 10000,
	    .backlog = 128,
	    .nodelay = true,
	};
}

static int stream_cfg_check(const struct bw_stream_cfg *cfg)
{
	if (!cfg->rbuf_size || cfg->wq_low > cfg->wq_high)
		return -EINVAL;
	if (cfg->rbuf_size > SIZE_MAX - sizeof(struct bw_stream_conn))
		return -EINVAL;
	return 0;
}

const char *bw_stream_reason_str(enum bw_stream_reason reason)
{
	switch (reason) {
	case BW_STREAM_R_LOCAL:
		return "closed";
	case BW_STREAM_R_EOF:
		return "peer closed";
	case BW_STREAM_R_TRUNCATED:
		return "peer closed inside a message";
	case BW_STREAM_R_ERROR:
		return "connection error";
	case BW_STREAM_R_PROTO:
		return "protocol error";
	case BW_STREAM_R_IDLE:
		return "idle timeout";
	case BW_STREAM_R_STOP:
		return "service stopping";
	}
	return "?";
}

/* ---- closing ---------------------------------------------------------------------------- */

static void stream_set_reason(struct bw_stream_conn *c, enum bw_stream_reason reason, int err)
{
	if (c->have_reason)
		return;
	c->have_reason = true;
	c->reason = reason;
	c->err = err;
}

static void stream_log_close(const struct bw_stream_conn *c)
{
	if (!bw_log_enabled(BW_LOG_DEBUG))
		return;
	bw_log(BW_LOG_DEBUG, c->service, c->peer_str, "connection %s%s%s, %llu bytes in, %llu out",
	       bw_stream_reason_str(c->reason), c->err ? ": " : "",
	       c->err ? uv_strerror(c->err) : "", (unsigned long long)c->bytes_in,
	       (unsigned long long)c->bytes_out);
}

static void stream_unlink(struct bw_stream_conn *c)
{
	struct bw_stream_listener *ls = c->ls;

	if (c->admitted)
		bw_stream_lim_release(&ls->lim, (const struct sockaddr *)&c->peer);
	if (c->prev)
		c->prev->next = c->next;
	else
		ls->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->ls = NULL;
}

static void stream_close_cb(uv_handle_t *h)
{
	struct bw_stream_conn *c = h->data;
	struct bw_stream_listener *ls = c->ls;

	if (--c->pending_closes)
		return;
	if (c->opened) {
		stream_log_close(c);
		c->ops->on_close(c, c->reason, c->err);
	}
	if (ls)
		stream_unlink(c);
	free(c);
	if (ls)
		stream_listener_maybe_free(ls);
}

/* Hard close: libuv cancels the queued writes (their callbacks run before ours). */
static void stream_finish(struct bw_stream_conn *c, enum bw_stream_reason reason, int err)
{
	stream_set_reason(c, reason, err);
	if (c->hard)
		return;
	c->hard = c->closing = true;
	c->reading = false;
	c->pending_closes = 3;
	uv_close(&c->u.h, stream_close_cb);
	uv_close((uv_handle_t *)&c->timer, stream_close_cb);
	uv_close((uv_handle_t *)&c->kick, stream_close_cb);
}

static void stream_linger_cb(uv_timer_t *t)
{
	struct bw_stream_conn *c = t->data;

	bw_log(BW_LOG_DEBUG, c->service, c->peer_str, "close took over %llu ms, closing hard",
	       (unsigned long long)c->linger_ms);
	stream_finish(c, BW_STREAM_R_LOCAL, 0);
}

static void stream_reading(struct bw_stream_conn *c, bool on);

/* The queued writes are out and the write side is shut down. Unless the peer closed already,
 * keep reading (and discarding) until it does, so that data it is still sending does not make
 * the kernel answer with a reset that could destroy our last bytes in flight. */
static void stream_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct bw_stream_conn *c = req->data;

	if (c->hard)
		return; /* cancelled by a hard close */
	if (status < 0 || c->peer_eof) {
		stream_finish(c, BW_STREAM_R_ERROR, status);
		return;
	}
	c->lingering = true;
	stream_reading(c, true);
}

/* Orderly close. */
static void stream_shut(struct bw_stream_conn *c, enum bw_stream_reason reason, int err)
{
	int r;

	stream_set_reason(c, reason, err);
	if (c->closing)
		return;
	stream_reading(c, false);
	c->closing = true;
	uv_idle_stop(&c->kick);
	c->shut.data = c;
	r = uv_shutdown(&c->shut, &c->u.s, stream_shutdown_cb);
	if (r < 0) {
		stream_finish(c, BW_STREAM_R_ERROR, r);
		return;
	}
	uv_timer_start(&c->timer, stream_linger_cb, c->linger_ms, 0);
}

void bw_stream_close(struct bw_stream_conn *c)
{
	stream_shut(c, BW_STREAM_R_LOCAL, 0);
}

void bw_stream_abort(struct bw_stream_conn *c)
{
	stream_finish(c, BW_STREAM_R_LOCAL, 0);
}

/* ---- reading ---------------------------------------------------------------------------- */

static void stream_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct bw_stream_conn *c = h->data;
	uint8_t *p = c->rbuf;
	size_t len = c->rbuf_size;

	if (!c->lingering)
		bw_stream_rd_space(&c->rd, &p, &len);
	buf->base = (char *)p;
	buf->len = len;
}

static void stream_read_failed(struct bw_stream_conn *c, int err)
{
	if (err == UV_ENOBUFS) { /* no room: cannot happen while the reader wants input */
		bw_log(BW_LOG_DEBUG, c->service, c->peer_str, "read buffer full, not reading");
		stream_reading(c, false);
		return;
	}
	if (err != UV_EOF) {
		stream_finish(c, BW_STREAM_R_ERROR, err);
		return;
	}
	c->peer_eof = true;
	c->reading = false; /* libuv stopped at EOF */
	stream_shut(c, bw_stream_rd_is_partial(&c->rd) ? BW_STREAM_R_TRUNCATED : BW_STREAM_R_EOF,
	            0);
}

static void stream_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct bw_stream_conn *c = s->data;

	if (nread == 0 || c->hard)
		return;
	if (c->lingering) {
		if (nread < 0)
			stream_finish(c, BW_STREAM_R_LOCAL, 0);
		return;
	}
	if (nread < 0) {
		stream_read_failed(c, (int)nread);
		return;
	}
	if (c->closing)
		return;
	bw_stream_rd_commit(&c->rd, (size_t)nread);
	c->bytes_in += (uint64_t)nread;
	c->last_ms = uv_now(c->loop);
	stream_deliver(c);
}

static void stream_reading(struct bw_stream_conn *c, bool on)
{
	int r;

	if (on == c->reading || c->hard)
		return;
	if (!on) {
		uv_read_stop(&c->u.s);
		c->reading = false;
		return;
	}
	r = uv_read_start(&c->u.s, stream_alloc_cb, stream_read_cb);
	if (r < 0) {
		stream_finish(c, BW_STREAM_R_ERROR, r);
		return;
	}
	c->reading = true;
}

/* Reads while the protocol wants bytes the buffer does not hold and the peer keeps up. */
static void stream_update(struct bw_stream_conn *c)
{
	if (c->closing)
		return;
	stream_reading(c, !c->congested && bw_stream_rd_wants_input(&c->rd));
}

/* Hands every complete message to the protocol, until it stops asking, the write queue
 * fills, or the connection closes. Not re-entered: a request made from inside on_read is
 * served by the loop that called it. */
static void stream_deliver(struct bw_stream_conn *c)
{
	struct bw_stream_msg m;
	int r;

	if (c->delivering)
		return;
	c->delivering = true;
	while (!c->closing && !c->congested) {
		r = bw_stream_rd_next(&c->rd, &m);
		if (r < 0)
			stream_shut(c, BW_STREAM_R_PROTO, r);
		if (r <= 0)
			break;
		c->ops->on_read(c, &m);
	}
	c->delivering = false;
	stream_update(c);
}

static void stream_kick_cb(uv_idle_t *h)
{
	struct bw_stream_conn *c = h->data;

	uv_idle_stop(h);
	stream_deliver(c);
}

/* The request or the congestion changed outside a delivery: deliver what is staged from the
 * loop, or read. */
static void stream_changed(struct bw_stream_conn *c)
{
	if (c->delivering || c->closing)
		return;
	if (!c->congested && c->rd.mode != BW_STREAM_RD_NONE && !bw_stream_rd_wants_input(&c->rd))
		uv_idle_start(&c->kick, stream_kick_cb);
	stream_update(c);
}

static int stream_asked(struct bw_stream_conn *c, int r)
{
	if (r == 0)
		stream_changed(c);
	return r;
}

int bw_stream_read(struct bw_stream_conn *c, size_t n)
{
	if (c->closing)
		return -EPIPE;
	return stream_asked(c, bw_stream_rd_exact(&c->rd, n));
}

int bw_stream_read_into(struct bw_stream_conn *c, void *dst, size_t n)
{
	if (c->closing)
		return -EPIPE;
	return stream_asked(c, bw_stream_rd_into(&c->rd, dst, n));
}

int bw_stream_read_frames(struct bw_stream_conn *c, size_t hdr_len, size_t body_max,
                          bw_stream_body_len_fn body_len, void *arg)
{
	if (c->closing)
		return -EPIPE;
	return stream_asked(c, bw_stream_rd_frames(&c->rd, hdr_len, body_max, body_len, arg));
}

int bw_stream_read_stop(struct bw_stream_conn *c)
{
	if (c->closing)
		return -EPIPE;
	return stream_asked(c, bw_stream_rd_stop(&c->rd));
}

/* ---- writing ---------------------------------------------------------------------------- */

static void stream_write_cb(uv_write_t *req, int status)
{
	struct stream_wreq *w = req->data;
	struct bw_stream_conn *c = w->c;
	size_t len = w->len;

	c->queued -= len;
	if (w->release)
		w->release(w->arg, status);
	free(w);
	if (status < 0) {
		stream_finish(c, BW_STREAM_R_ERROR, status);
		return;
	}
	c->bytes_out += len;
	c->last_ms = uv_now(c->loop);
	if (!c->congested || c->queued > c->wq_low || c->closing)
		return;
	c->congested = false;
	if (c->ops->on_drain)
		c->ops->on_drain(c);
	stream_changed(c);
}

static int stream_queue(struct bw_stream_conn *c, struct stream_wreq *w, const uv_buf_t *bufs,
                        unsigned n)
{
	int r;

	w->c = c;
	w->req.data = w;
	r = uv_write(&w->req, &c->u.s, bufs, n, stream_write_cb);
	if (r < 0)
		return r;
	c->queued += w->len;
	if (!c->congested && c->queued > c->wq_high) {
		c->congested = true;
		stream_update(c);
	}
	return 0;
}

int bw_stream_write(struct bw_stream_conn *c, const void *data, size_t len)
{
	struct stream_wreq *w;
	uv_buf_t b;
	int r;

	if (c->closing)
		return -EPIPE;
	if (!len)
		return 0;
	if (len > SIZE_MAX - sizeof(*w))
		return -ENOMEM;
	w = malloc(sizeof(*w) + len);
	if (!w)
		return -ENOMEM;
	memcpy(w->data, data, len);
	w->len = len;
	w->release = NULL;
	w->arg = NULL;
	b.base = (char *)w->data;
	b.len = len;
	r = stream_queue(c, w, &b, 1);
	if (r < 0)
		free(w);
	return r;
}

int bw_stream_write_ref(struct bw_stream_conn *c, const uv_buf_t *bufs, unsigned n,
                        bw_stream_release_fn release, void *arg)
{
	struct stream_wreq *w;
	size_t len = 0;
	int r;

	if (c->closing)
		return -EPIPE;
	if (!n)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (__builtin_add_overflow(len, bufs[i].len, &len))
			return -EINVAL;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->len = len;
	w->release = release;
	w->arg = arg;
	r = stream_queue(c, w, bufs, n);
	if (r < 0)
		free(w);
	return r;
}

/* ---- idle timeout ----------------------------------------------------------------------- */

static void stream_idle_cb(uv_timer_t *t)
{
	struct bw_stream_conn *c = t->data;
	uint64_t quiet = uv_now(c->loop) - c->last_ms;

	if (quiet < c->idle_ms) {
		uv_timer_start(t, stream_idle_cb, c->idle_ms - quiet, 0);
		return;
	}
	stream_finish(c, BW_STREAM_R_IDLE, 0);
}

/* The protocol has the connection from now on. */
static void stream_open(struct bw_stream_conn *c, void *ctx)
{
	c->ctx = ctx;
	c->opened = true;
	c->last_ms = uv_now(c->loop);
	if (c->idle_ms)
		uv_timer_start(&c->timer, stream_idle_cb, c->idle_ms, 0);
}

/* ---- connections ------------------------------------------------------------------------ */

/* A connection with its timer and kick initialised; the caller initialises the stream. */
static struct bw_stream_conn *stream_conn_new(uv_loop_t *loop, const struct bw_stream_cfg *cfg,
                                              const struct bw_stream_ops *ops)
{
	struct bw_stream_conn *c = calloc(1, sizeof(*c) + cfg->rbuf_size);

	if (!c)
		return NULL;
	c->loop = loop;
	c->ops = ops;
	c->service = cfg->service;
	c->wq_high = cfg->wq_high;
	c->wq_low = cfg->wq_low;
	c->idle_ms = cfg->idle_ms;
	c->linger_ms = cfg->linger_ms;
	c->rbuf_size = cfg->rbuf_size;
	bw_stream_rd_init(&c->rd, c->rbuf, c->rbuf_size);
	uv_timer_init(loop, &c->timer);
	uv_idle_init(loop, &c->kick);
	c->timer.data = c;
	c->kick.data = c;
	strcpy(c->peer_str, "?");
	return c;
}

static void stream_peer_get(const uv_handle_t *h, struct sockaddr_storage *ret, char *str,
                            size_t cap)
{
	socklen_t len = sizeof(*ret);
	uv_os_fd_t fd;

	memset(ret, 0, sizeof(*ret));
	if (uv_fileno(h, &fd) < 0 || getpeername(fd, (struct sockaddr *)ret, &len) < 0)
		ret->ss_family = AF_UNSPEC;
	if (ret->ss_family == AF_INET || ret->ss_family == AF_INET6)
		bw_sock_addr_str((const struct sockaddr *)ret, str, cap);
	else
		snprintf(str, cap, "%s", ret->ss_family == AF_UNIX ? "local" : "?");
}

int bw_stream_adopt(uv_loop_t *loop, int fd, const struct bw_stream_cfg *cfg,
                    const struct bw_stream_ops *ops, void *ctx, struct bw_stream_conn **ret)
{
	uv_handle_type type = uv_guess_handle(fd);
	struct bw_stream_conn *c;
	int r = stream_cfg_check(cfg);

	if (r < 0)
		return r;
	if (type != UV_TCP && type != UV_NAMED_PIPE)
		return -ENOTSOCK;
	c = stream_conn_new(loop, cfg, ops);
	if (!c)
		return -ENOMEM;
	if (type == UV_TCP) {
		uv_tcp_init(loop, &c->u.tcp);
		r = uv_tcp_open(&c->u.tcp, fd);
	} else {
		uv_pipe_init(loop, &c->u.pipe, 0);
		r = uv_pipe_open(&c->u.pipe, fd);
	}
	c->u.h.data = c;
	if (r < 0) { /* the fd stays the caller's: libuv did not take it */
		stream_finish(c, BW_STREAM_R_ERROR, r);
		return r;
	}
	stream_peer_get(&c->u.h, &c->peer, c->peer_str, sizeof(c->peer_str));
	stream_open(c, ctx);
	*ret = c;
	return 0;
}

void *bw_stream_ctx(const struct bw_stream_conn *c)
{
	return c->ctx;
}

void bw_stream_set_ctx(struct bw_stream_conn *c, void *ctx)
{
	c->ctx = ctx;
}

const struct sockaddr *bw_stream_peer(const struct bw_stream_conn *c)
{
	return (const struct sockaddr *)&c->peer;
}

const char *bw_stream_peer_str(const struct bw_stream_conn *c)
{
	return c->peer_str;
}

size_t bw_stream_queued(const struct bw_stream_conn *c)
{
	return c->queued;
}

bool bw_stream_is_congested(const struct bw_stream_conn *c)
{
	return c->congested;
}

uint64_t bw_stream_bytes_read(const struct bw_stream_conn *c)
{
	return c->bytes_in;
}

uint64_t bw_stream_bytes_written(const struct bw_stream_conn *c)
{
	return c->bytes_out;
}

/* ---- listening -------------------------------------------------------------------------- */

static void stream_reject(struct bw_stream_listener *ls, enum bw_stream_rej why,
                          const struct sockaddr *peer, const char *peer_str)
{
	bw_log(BW_LOG_DEBUG, ls->cfg.service, peer_str, "closing new connection: %s",
	       bw_stream_rej_str(why));
	if (ls->ops->on_reject)
		ls->ops->on_reject(ls->ctx, why, peer, peer_str);
}

static void stream_sink_accept(struct stream_port *p);

static void stream_sink_close_cb(uv_handle_t *h)
{
	struct bw_stream_listener *ls = h->data;

	ls->sink_busy = false;
	if (ls->stopping) {
		ls->pending_closes--;
		stream_listener_maybe_free(ls);
		return;
	}
	for (unsigned i = 0; i < ls->n_ports; i++) {
		if (ls->ports[i].stalled) {
			ls->ports[i].stalled = false;
			stream_sink_accept(&ls->ports[i]);
			return;
		}
	}
}

/* No memory for a connection: accept it into the listener's one spare handle and close it,
 * so that the listener goes on (libuv stops polling it until the connection is accepted). */
static void stream_sink_accept(struct stream_port *p)
{
	struct bw_stream_listener *ls = p->ls;
	struct sockaddr_storage peer;
	char peer_str[BW_ADDRSTRLEN];

	if (ls->sink_busy) {
		p->stalled = true;
		return;
	}
	ls->sink_busy = true;
	uv_tcp_init(ls->loop, &ls->sink);
	ls->sink.data = ls;
	if (uv_accept((uv_stream_t *)&p->tcp, (uv_stream_t *)&ls->sink) == 0) {
		stream_peer_get((uv_handle_t *)&ls->sink, &peer, peer_str, sizeof(peer_str));
		stream_reject(ls, BW_STREAM_REJ_NOMEM, (const struct sockaddr *)&peer, peer_str);
	}
	uv_close((uv_handle_t *)&ls->sink, stream_sink_close_cb);
}

/* Counts the accepted connection against the limits and hands it to the protocol. */
static void stream_admit(struct bw_stream_listener *ls, struct bw_stream_conn *c)
{
	const struct sockaddr *peer = (const struct sockaddr *)&c->peer;
	enum bw_stream_rej why;

	stream_peer_get(&c->u.h, &c->peer, c->peer_str, sizeof(c->peer_str));
	why = bw_stream_lim_admit(&ls->lim, peer);
	if (why != BW_STREAM_REJ_OK) {
		stream_reject(ls, why, peer, c->peer_str);
		stream_finish(c, BW_STREAM_R_LOCAL, 0);
		return;
	}
	c->admitted = true;
	if (ls->cfg.nodelay)
		uv_tcp_nodelay(&c->u.tcp, 1);
	stream_open(c, NULL);
	if (ls->ops->on_open(ls->ctx, c) < 0) {
		c->opened = false;
		stream_finish(c, BW_STREAM_R_LOCAL, 0);
	}
}

static void stream_connection_cb(uv_stream_t *server, int status)
{
	struct stream_port *p = server->data;
	struct bw_stream_listener *ls = p->ls;
	struct bw_stream_conn *c;

	if (status < 0) {
		stream_reject(ls, BW_STREAM_REJ_ACCEPT, NULL, "?");
		return;
	}
	c = stream_conn_new(ls->loop, &ls->cfg, ls->ops);
	if (!c) {
		stream_sink_accept(p);
		return;
	}
	uv_tcp_init(ls->loop, &c->u.tcp);
	c->u.h.data = c;
	c->ls = ls;
	c->next = ls->conns;
	if (ls->conns)
		ls->conns->prev = c;
	ls->conns = c;
	if (uv_accept(server, &c->u.s) < 0) {
		stream_finish(c, BW_STREAM_R_ERROR, 0);
		return;
	}
	stream_admit(ls, c);
}

static void stream_listener_maybe_free(struct bw_stream_listener *ls)
{
	const struct bw_stream_ops *ops = ls->ops;
	void *ctx = ls->ctx;
	bool started = ls->started;

	if (!ls->stopping || ls->pending_closes || ls->conns)
		return;
	bw_stream_lim_done(&ls->lim);
	free(ls->ports);
	free(ls);
	if (started && ops->on_stopped)
		ops->on_stopped(ctx);
}

static void stream_port_close_cb(uv_handle_t *h)
{
	struct stream_port *p = h->data;
	struct bw_stream_listener *ls = p->ls;

	ls->pending_closes--;
	stream_listener_maybe_free(ls);
}

static void stream_listener_close_ports(struct bw_stream_listener *ls)
{
	ls->stopping = true;
	ls->pending_closes = ls->n_ports + (ls->sink_busy ? 1 : 0);
	for (unsigned i = 0; i < ls->n_ports; i++)
		uv_close((uv_handle_t *)&ls->ports[i].tcp, stream_port_close_cb);
}

static int stream_port_open(struct bw_stream_listener *ls, const struct sockaddr_storage *addr)
{
	struct stream_port *p = &ls->ports[ls->n_ports];
	const struct sockaddr *sa = (const struct sockaddr *)addr;
	unsigned flags = sa->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
	int r;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	r = uv_tcp_init(ls->loop, &p->tcp);
	if (r < 0)
		return r;
	p->ls = ls;
	p->tcp.data = p;
	ls->n_ports++;
	r = uv_tcp_bind(&p->tcp, sa, flags);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&p->tcp, ls->cfg.backlog, stream_connection_cb);
	if (r < 0) {
		char buf[BW_ADDRSTRLEN];
		bw_log(BW_LOG_DEBUG, ls->cfg.service, NULL, "cannot listen on %s: %s",
		       bw_sock_addr_str(sa, buf, sizeof(buf)), uv_strerror(r));
	}
	return r;
}

static uint64_t stream_seed(const void *salt)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = uv_hrtime() ^ (uint64_t)(uintptr_t)salt;
	return seed;
}

int bw_stream_listen(uv_loop_t *loop, const struct sockaddr_storage *addrs, unsigned n,
                     const struct bw_stream_cfg *cfg, const struct bw_stream_ops *ops,
                     void *svc_ctx, struct bw_stream_listener **ret)
{
	struct bw_stream_listener *ls;
	int r = stream_cfg_check(cfg);

	if (r < 0)
		return r;
	if (!n || n > STREAM_LISTEN_MAX || cfg->backlog <= 0 || !ops->on_open)
		return -EINVAL;
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	ls->ports = calloc(n, sizeof(*ls->ports));
	if (!ls->ports ||
	    bw_stream_lim_init(&ls->lim, cfg->max_conns, cfg->max_per_addr, stream_seed(ls)) < 0) {
		free(ls->ports);
		free(ls);
		return -ENOMEM;
	}
	ls->loop = loop;
	ls->cfg = *cfg;
	ls->ops = ops;
	ls->ctx = svc_ctx;
	for (unsigned i = 0; i < n && r == 0; i++)
		r = stream_port_open(ls, &addrs[i]);
	if (r < 0) {
		stream_listener_close_ports(ls); /* freed by the close callbacks */
		stream_listener_maybe_free(ls);  /* or now, when nothing was opened */
		return r;
	}
	ls->started = true;
	*ret = ls;
	return 0;
}

int bw_stream_listener_addr(const struct bw_stream_listener *ls, unsigned i,
                            struct sockaddr_storage *ret)
{
	int len = sizeof(*ret);

	if (i >= ls->n_ports)
		return -ENOENT;
	return uv_tcp_getsockname(&ls->ports[i].tcp, (struct sockaddr *)ret, &len);
}

unsigned bw_stream_listener_conns(const struct bw_stream_listener *ls)
{
	return ls->lim.total;
}

void bw_stream_listener_close(struct bw_stream_listener *ls)
{
	if (!ls || ls->stopping)
		return;
	stream_listener_close_ports(ls);
	for (struct bw_stream_conn *c = ls->conns; c; c = c->next)
		stream_finish(c, BW_STREAM_R_STOP, 0);
}
