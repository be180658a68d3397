/* Stream (TCP) connections for the byte-stream services (NBD, later iSCSI and the REST API):
 * listening with connection limits, a resumable reader for fixed-header and length-prefixed
 * protocols, a write queue with backpressure, an idle timeout and an orderly close.
 *
 * Threads. Everything here runs on the loop thread: every function must be called there, and
 * every callback is made there. The helper starts no thread and takes no lock.
 *
 * Layers. Two parts are pure and tested without sockets: the reader (struct bw_stream_rd,
 * stream_rd.c: "the next N bytes", "header, then a body of a computed length", state kept
 * between calls, "need more" as a result) and the limit table (struct bw_stream_lim,
 * stream_lim.c: client address -> connection count). stream.c is the libuv glue: it reads
 * into the place the reader names, steps it, and calls the protocol.
 *
 * Ownership and lifetimes.
 *   - A listener (bw_stream_listen) owns its listening handles and every connection it
 *     accepted. bw_stream_listener_close() closes all of them; the listener is freed once
 *     libuv has closed the last handle, and ops->on_stopped then runs.
 *   - A connection (struct bw_stream_conn, opaque) owns its stream handle (a uv_tcp_t, or a
 *     uv_pipe_t for bw_stream_adopt), a timer, an idle handle and its read buffer. It is
 *     freed only from the last of libuv's close callbacks (pending closes are counted), never
 *     inside a read callback, so a close requested from inside one of the protocol's own
 *     callbacks is safe: the struct stays valid until that callback has returned.
 *   - ops->on_close(conn, reason, err) runs exactly once for every connection the protocol
 *     was given (on_open returned 0, or bw_stream_adopt succeeded), as the very last call
 *     about it, just before it is freed: every release callback of its writes has run by
 *     then. The protocol frees its per-connection state there; the pointer is dead after it.
 *   - Reads: a message handed to ops->on_read is a view, valid only during the callback: into
 *     the connection's read buffer, or into the caller's buffer for bw_stream_read_into().
 *     That buffer must stay valid until on_read has delivered it or on_close has run.
 *   - Writes: bw_stream_write() copies; bw_stream_write_ref() does not and calls the owner's
 *     release callback exactly once, when libuv is done with the bytes (written, failed, or
 *     dropped by a close), always before on_close.
 *   - The ops table, the cfg's service string and the listener's context must outlive the
 *     listener (adopted connections: the connection).
 */
#ifndef BW_STREAM_H
#define BW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* ---- the reader (pure) ------------------------------------------------------------------ */

/* A request into the caller's buffer reads straight into it (no copy) once the bytes staged
 * in the read buffer are used up and at least this much is still missing. */
#define BW_STREAM_DIRECT_MIN 4096

/* Frame mode: computes the length of the body that follows hdr (hdr_len bytes). A negative
 * errno refuses the header (a protocol error: the connection closes with that error). */
typedef int (*bw_stream_body_len_fn)(void *arg, const uint8_t *hdr, size_t hdr_len,
                                     size_t *ret_len);

enum bw_stream_rd_mode {
	BW_STREAM_RD_NONE,   /* nothing asked: bytes wait in the buffer, nothing more is read */
	BW_STREAM_RD_EXACT,  /* the next want bytes, as a view into the read buffer */
	BW_STREAM_RD_INTO,   /* the next want bytes, into dst */
	BW_STREAM_RD_FRAMES, /* header + body, again and again until changed */
};

struct bw_stream_rd {
	uint8_t *buf; /* staging: bytes read and not yet consumed are [pos, end) */
	size_t cap, pos, end;
	enum bw_stream_rd_mode mode;
	size_t want;  /* EXACT, INTO: bytes asked for */
	uint8_t *dst; /* INTO: where they go; have of them are there */
	size_t have;
	size_t hdr_len, body_max; /* FRAMES */
	bw_stream_body_len_fn body_len;
	void *body_arg;
	bool have_body; /* FRAMES: the staged header's body length is known: body */
	size_t body;
	bool direct; /* the last bw_stream_rd_space() handed out dst */
};

/* One complete message. EXACT and INTO: data/len are the bytes asked for, body is NULL.
 * FRAMES: data/len is the header, body/body_len the body right behind it. */
struct bw_stream_msg {
	uint8_t *data;
	size_t len;
	uint8_t *body;
	size_t body_len;
};

/* buf (cap bytes, cap > 0) is the staging buffer; the caller owns it. */
void bw_stream_rd_init(struct bw_stream_rd *rd, uint8_t *buf, size_t cap);

/* What to read next; each replaces the previous request. -EMSGSIZE when it cannot fit the
 * staging buffer (EXACT: n > cap; FRAMES: hdr_len + body_max > cap), -EINVAL for a NULL
 * dst or body_len, or a zero hdr_len; -EBUSY while a request into the caller's buffer is
 * partly filled (its bytes have left the staging buffer). EXACT and INTO are one-shot: the
 * protocol asks again when it gets the message; FRAMES stays until changed. n may be 0. */
int bw_stream_rd_exact(struct bw_stream_rd *rd, size_t n);
int bw_stream_rd_into(struct bw_stream_rd *rd, void *dst, size_t n);
int bw_stream_rd_frames(struct bw_stream_rd *rd, size_t hdr_len, size_t body_max,
                        bw_stream_body_len_fn body_len, void *arg);
int bw_stream_rd_stop(struct bw_stream_rd *rd);

/* Steps the reader over the staged bytes: 1 and *ret filled when the request is complete
 * (views valid until the next bw_stream_rd_space), 0 when more bytes are needed or nothing is
 * asked, -EMSGSIZE for a body over body_max, or the body_len callback's error. */
int bw_stream_rd_next(struct bw_stream_rd *rd, struct bw_stream_msg *ret);

/* True when something is asked and the staged bytes do not complete it, as far as the last
 * next() could tell (a frame's body length is known once next() saw its header): read more. */
bool bw_stream_rd_wants_input(const struct bw_stream_rd *rd);
/* True inside a message: bytes staged, or part of a caller's buffer filled. */
bool bw_stream_rd_is_partial(const struct bw_stream_rd *rd);
size_t bw_stream_rd_staged(const struct bw_stream_rd *rd);

/* Where the next read lands and how much it may take (never 0 while wants_input): the rest
 * of the caller's buffer (direct, see BW_STREAM_DIRECT_MIN) or free staging space (compacted
 * first when the request would not fit behind the staged bytes). commit() says how many
 * bytes arrived there (at most *ret_len). */
void bw_stream_rd_space(struct bw_stream_rd *rd, uint8_t **ret_p, size_t *ret_len);
void bw_stream_rd_commit(struct bw_stream_rd *rd, size_t n);

/* ---- the limit table (pure) ------------------------------------------------------------- */

/* Why a connection was not admitted (BW_STREAM_REJ_OK: it was). */
enum bw_stream_rej {
	BW_STREAM_REJ_OK,
	BW_STREAM_REJ_TOTAL,    /* max_conns connections are open */
	BW_STREAM_REJ_PER_ADDR, /* max_per_addr connections from this client address are open */
	BW_STREAM_REJ_NOMEM,    /* out of memory */
	BW_STREAM_REJ_ACCEPT,   /* accept failed (peer unknown), e.g. out of file descriptors */
};

/* Connections per client address. The key is the exact address: IPv4 the 32 bits, IPv6 the
 * full 128 bits (no prefix grouping: a client with a /64 can spread over it, max_conns still
 * caps the total), IPv4-mapped IPv6 counted as the IPv4 address; the port and the IPv6 scope
 * are ignored; every other family shares one key. An entry lives while its count is > 0. */
struct bw_stream_lim_ent;
struct bw_stream_lim {
	unsigned max_total, max_per_addr; /* 0: no limit */
	unsigned total;                   /* connections admitted and not released */
	unsigned n_ents;                  /* distinct addresses among them */
	unsigned n_buckets;               /* a power of two; doubles as addresses come */
	uint64_t seed;
	struct bw_stream_lim_ent **buckets;
};

/* seed keys the hash (pass a random value: clients choose their IPv6 addresses). */
int bw_stream_lim_init(struct bw_stream_lim *lim, unsigned max_total, unsigned max_per_addr,
                       uint64_t seed);
void bw_stream_lim_done(struct bw_stream_lim *lim);
/* Counts a new connection from addr, or says why not (and counts nothing). */
enum bw_stream_rej bw_stream_lim_admit(struct bw_stream_lim *lim, const struct sockaddr *addr);
/* Uncounts a connection admitted from addr. */
void bw_stream_lim_release(struct bw_stream_lim *lim, const struct sockaddr *addr);
unsigned bw_stream_lim_count(const struct bw_stream_lim *lim, const struct sockaddr *addr);

const char *bw_stream_rej_str(enum bw_stream_rej why);

/* ---- connections (libuv) ---------------------------------------------------------------- */

struct bw_stream_conn;
struct bw_stream_listener;

/* Why a connection ended (on_close). err is a negative errno for ERROR and PROTO, else 0. */
enum bw_stream_reason {
	BW_STREAM_R_LOCAL,     /* bw_stream_close() or bw_stream_abort() */
	BW_STREAM_R_EOF,       /* the peer closed between messages (queued writes still go out) */
	BW_STREAM_R_TRUNCATED, /* the peer closed inside a message */
	BW_STREAM_R_ERROR,     /* a read or write failed */
	BW_STREAM_R_PROTO,     /* framing: a body over the cap (-EMSGSIZE), a header refused */
	BW_STREAM_R_IDLE,      /* nothing read and no write completed for idle_ms: hard close */
	BW_STREAM_R_STOP,      /* the listener was closed */
};

const char *bw_stream_reason_str(enum bw_stream_reason reason);

struct bw_stream_cfg {
	const char *service;   /* for log lines ("nbd") */
	size_t rbuf_size;      /* read buffer: the largest EXACT read or FRAMES header + body */
	size_t wq_high;        /* queued write bytes above which the connection is not read */
	size_t wq_low;         /* ... and at or below which reading resumes and on_drain runs */
	uint64_t idle_ms;      /* 0: no idle timeout */
	uint64_t linger_ms;    /* how long an orderly close may take before it turns hard */
	unsigned max_conns;    /* listener: connections in total, 0 = no limit */
	unsigned max_per_addr; /* listener: connections per client address, 0 = no limit */
	int backlog;
	bool nodelay; /* TCP_NODELAY on accepted connections */
};

/* Defaults: 16 KiB read buffer, high/low water 1 MiB / 256 KiB, no idle timeout, 10 s
 * linger, no connection limits, backlog 128, nodelay. */
void bw_stream_cfg_init(struct bw_stream_cfg *cfg, const char *service);

struct bw_stream_ops {
	/* A connection was accepted and admitted. Set the connection's context, ask for the first
	 * bytes, maybe write a greeting. A negative errno refuses it: it is closed at once and
	 * on_close is not called. Not called for bw_stream_adopt(). */
	int (*on_open)(void *svc_ctx, struct bw_stream_conn *c);
	/* The bytes asked for are all there. Ask for the next ones here (EXACT, INTO), write,
	 * or close: all of it is safe. Nothing more is delivered after a close. */
	void (*on_read)(struct bw_stream_conn *c, const struct bw_stream_msg *m);
	/* Optional: the queued bytes went above wq_high (reading stopped) and are now at or
	 * below wq_low (reading resumes). Not called once the connection is closing. */
	void (*on_drain)(struct bw_stream_conn *c);
	/* The last call for c (see the top of this file). */
	void (*on_close)(struct bw_stream_conn *c, enum bw_stream_reason reason, int err);
	/* Optional: a connection was accepted and closed at once, and why (peer is NULL for
	 * BW_STREAM_REJ_ACCEPT). Meant for a rate-limited log line (bw_log_ratelimit). */
	void (*on_reject)(void *svc_ctx, enum bw_stream_rej why, const struct sockaddr *peer,
	                  const char *peer_str);
	/* Optional: the closed listener and all its connections are gone. */
	void (*on_stopped)(void *svc_ctx);
};

/* Listens on addrs[0..n) (IPv4 or IPv6; an IPv6 socket is IPV6_V6ONLY so [::] and 0.0.0.0 can
 * both be listed) with cfg (copied). Returns 0 and the listener, or a negative errno (e.g.
 * -EADDRINUSE; nothing stays open then). */
int bw_stream_listen(uv_loop_t *loop, const struct sockaddr_storage *addrs, unsigned n,
                     const struct bw_stream_cfg *cfg, const struct bw_stream_ops *ops,
                     void *svc_ctx, struct bw_stream_listener **ret);
/* The bound address of listening socket i (the port chosen for port 0). */
int bw_stream_listener_addr(const struct bw_stream_listener *ls, unsigned i,
                            struct sockaddr_storage *ret);
/* Connections admitted and not yet freed (closing ones included). */
unsigned bw_stream_listener_conns(const struct bw_stream_listener *ls);
/* Service stop: stops listening and hard-closes every connection (on_close with
 * BW_STREAM_R_STOP). Frees the listener later (on_stopped). NULL is a no-op. */
void bw_stream_listener_close(struct bw_stream_listener *ls);

/* Runs the helper on fd, a connected stream socket (TCP, or AF_UNIX such as one end of a
 * socketpair, which becomes a uv_pipe_t). Takes the fd on success. No limits apply, on_open
 * is not called: the caller asks for the first bytes. ctx becomes the connection's context. */
int bw_stream_adopt(uv_loop_t *loop, int fd, const struct bw_stream_cfg *cfg,
                    const struct bw_stream_ops *ops, void *ctx, struct bw_stream_conn **ret);

void *bw_stream_ctx(const struct bw_stream_conn *c);
void bw_stream_set_ctx(struct bw_stream_conn *c, void *ctx);
const struct sockaddr *bw_stream_peer(const struct bw_stream_conn *c);
/* "1.2.3.4:5678", "[::1]:5678"; "local" for AF_UNIX. */
const char *bw_stream_peer_str(const struct bw_stream_conn *c);

/* What to read next (see bw_stream_rd_*; same errors, and -EPIPE once closing). The message
 * arrives through on_read, never from inside these calls. */
int bw_stream_read(struct bw_stream_conn *c, size_t n);
int bw_stream_read_into(struct bw_stream_conn *c, void *dst, size_t n);
int bw_stream_read_frames(struct bw_stream_conn *c, size_t hdr_len, size_t body_max,
                          bw_stream_body_len_fn body_len, void *arg);
int bw_stream_read_stop(struct bw_stream_conn *c);

/* Queues bytes, in order. bw_stream_write copies them. bw_stream_write_ref sends bufs[0..n)
 * as they are (the array itself may go after the call) and calls release(arg, status) once
 * when libuv is done with them (status 0: written; < 0: failed or dropped by a close). On an
 * error return (-EPIPE once closing, -ENOMEM, -EINVAL for no buffers or a total length that
 * overflows, libuv's error) nothing is queued, release is not called and the caller still
 * owns the bytes. */
typedef void (*bw_stream_release_fn)(void *arg, int status);
int bw_stream_write(struct bw_stream_conn *c, const void *data, size_t len);
int bw_stream_write_ref(struct bw_stream_conn *c, const uv_buf_t *bufs, unsigned n,
                        bw_stream_release_fn release, void *arg);
/* Bytes queued whose write has not completed. */
size_t bw_stream_queued(const struct bw_stream_conn *c);
/* True from going above wq_high until on_drain: stop producing (e.g. issuing disk reads). */
bool bw_stream_is_congested(const struct bw_stream_conn *c);
uint64_t bw_stream_bytes_read(const struct bw_stream_conn *c);
uint64_t bw_stream_bytes_written(const struct bw_stream_conn *c);

/* Orderly close: stops reading and delivering, lets the queued writes go out, shuts the
 * write side down, reads and discards until the peer closes, then closes; all of it within
 * linger_ms, after which it closes hard. on_close gets BW_STREAM_R_LOCAL (unless something
 * else ended the connection first). Safe from inside any callback; repeated calls are no-ops. */
void bw_stream_close(struct bw_stream_conn *c);
/* Hard close: queued writes are dropped (their release callbacks get an error). */
void bw_stream_abort(struct bw_stream_conn *c);

#endif
