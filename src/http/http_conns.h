/* The HTTP service's table of connections: what each is doing and since when, to close the
 * ones whose request head is late (http.head_timeout_ms) and, at the connection limit, the
 * one idle longest so that a new client gets in. Pure: no sockets, no clock (times are
 * passed in, in milliseconds), no locks, no logging; http_io.c holds the table's lock and
 * does the closing.
 *
 * A connection is NEW (accepted, no request line yet), HEAD (request line read, headers
 * still coming), BUSY (head complete, being answered) or IDLE (kept alive after an answer).
 * NEW, HEAD and IDLE have a deadline by which the next head must be complete: accepted or
 * request line + head_ms for the first, answer's end + idle_ms + head_ms after an answer
 * (the idle timeout is libmicrohttpd's, counted from the last byte; this one is not reset
 * by a byte). A connection asked to close is "closing": it stays in the table until it is
 * gone but counts no more.
 *
 * A BUSY connection may also carry a file answer sent with sendfile(2): the table holds a
 * descriptor of the file and the offset its body ends at, so that a file that shrinks while
 * sent (the answer can then never be completed) is found by fstat(2) and its connection
 * closed at once (http_io's closer). */
#ifndef BW_HTTP_CONNS_H
#define BW_HTTP_CONNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum bw_http_slot_state {
	BW_HTTP_SLOT_NEW,
	BW_HTTP_SLOT_HEAD,
	BW_HTTP_SLOT_BUSY,
	BW_HTTP_SLOT_IDLE,
};

/* One connection's entry, embedded in its state (the owner sets addr and fd). */
struct bw_http_slot {
	struct bw_http_slot *prev, *next; /* the table, oldest state change first */
	struct sockaddr_storage addr;     /* the client */
	int fd;                           /* the socket, for the closer */
	enum bw_http_slot_state state;
	int64_t since;    /* when it entered its state */
	int64_t deadline; /* head complete by then; INT64_MAX: none (BUSY) */
	bool closing;
	int file_fd;       /* a file answer in progress: a descriptor of its file, or -1 */
	uint64_t file_end; /* ... and the file offset its body ends at */
};

struct bw_http_conns {
	struct bw_http_slot *head, *tail;
	unsigned n;         /* slots in the table */
	unsigned n_closing; /* of which closing */
	unsigned n_files;   /* with a file answer in progress */
};

void bw_http_conns_init(struct bw_http_conns *t);
/* A connection accepted at now (state NEW, deadline now + head_ms). */
void bw_http_conns_add(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now,
                       int64_t head_ms);
/* Its request line arrived: HEAD; the deadline is now + head_ms if that is earlier. */
void bw_http_conns_head(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now,
                        int64_t head_ms);
/* Its head is complete: BUSY, no deadline. */
void bw_http_conns_busy(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now);
/* Its answer is done and it is kept alive: IDLE, deadline now + idle_ms + head_ms. */
void bw_http_conns_idle(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now,
                        int64_t idle_ms, int64_t head_ms);
/* Marks s closing (once). */
void bw_http_conns_closing(struct bw_http_conns *t, struct bw_http_slot *s);
/* Takes s out. A file answer still held is forgotten: end it first to get its fd back. */
void bw_http_conns_remove(struct bw_http_conns *t, struct bw_http_slot *s);

/* A file answer in progress on s, whose body ends at file offset end: the table holds
 * file_fd (the caller's, and still the caller's to close) until bw_http_conns_file_end(). */
void bw_http_conns_file_start(struct bw_http_conns *t, struct bw_http_slot *s, int file_fd,
                              uint64_t end);
/* The file answer on s ended: returns its file_fd, or -1 when s holds none. */
int bw_http_conns_file_end(struct bw_http_conns *t, struct bw_http_slot *s);
/* Connections with a file answer in progress. */
unsigned bw_http_conns_files(const struct bw_http_conns *t);
/* The next connection after prev (NULL: the first) with a file answer in progress that is
 * not closing, or NULL. */
struct bw_http_slot *bw_http_conns_next_file(const struct bw_http_conns *t,
                                             const struct bw_http_slot *prev);
/* Whether the file answer on s can no longer be completed, its file now being size bytes. */
bool bw_http_slot_file_shrank(const struct bw_http_slot *s, uint64_t size);

/* Connections that are not closing. */
unsigned bw_http_conns_live(const struct bw_http_conns *t);
/* Of those, the ones from addr's IP address (any port). */
unsigned bw_http_conns_from(const struct bw_http_conns *t, const struct sockaddr *addr);
/* The connection that has been NEW or IDLE longest and is not closing, or NULL. */
struct bw_http_slot *bw_http_conns_victim(const struct bw_http_conns *t);
/* A connection past its deadline at now that is not closing, or NULL. */
struct bw_http_slot *bw_http_conns_expired(const struct bw_http_conns *t, int64_t now);
/* The earliest deadline of those not closing; INT64_MAX when there is none. */
int64_t bw_http_conns_next_deadline(const struct bw_http_conns *t);

/* What to do with a new connection from a client that has from_client connections, when
 * live connections are open (http_io's accept policy). */
enum bw_http_admit {
	BW_HTTP_ADMIT,         /* let it in */
	BW_HTTP_ADMIT_EVICT,   /* let it in and close the victim */
	BW_HTTP_REFUSE_FULL,   /* at the limit and nothing idle to close */
	BW_HTTP_REFUSE_CLIENT, /* the client is at its own limit */
};
enum bw_http_admit bw_http_conns_admit(unsigned live, unsigned from_client, bool have_victim,
                                       unsigned max_connections, unsigned max_per_client);

#endif
