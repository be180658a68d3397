/* What the HTTP service's files share (private to src/http): the service, the state of one
 * connection, and the answer builders of http_answer.c. Threads and locking: see the top of
 * http_io.c. */
#ifndef BW_HTTP_CONN_H
#define BW_HTTP_CONN_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "core/sock.h"
#include "core/vfs.h"
#include "http/http_config.h"
#include "http/http_conns.h"
#include "http/http_raw.h"

#define BW_HTTP_URI_MAX 4096 /* longer request-targets get 414 */

struct bw_http_service {
	const struct bw_http_config *cfg;
	const char *root;
	const struct bw_vfs *vfs;
	const struct bw_peers *peers; /* address -> MAC for the log (locked inside), or NULL */
	int root_fd;
	struct MHD_Daemon *mhd;
	unsigned threads;        /* MHD threads (1: no pool) */
	pthread_key_t cache_key; /* each MHD thread's struct bw_http_cache */
	bool have_cache_key;
	bool tls;
	atomic_bool
	    running; /* MHD started: its messages are runtime warnings, not start-up errors */
	char *pem_cert, *pem_key;
	/* The connection table (http_conns.h) and the thread that closes connections whose
	 * head is late, all under lock; the table's slots live in struct bw_http_conn. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t closer;
	bool have_closer;
	bool closer_stop;
	int64_t closer_at; /* when the closer wakes next (INT64_MAX: when told) */
	struct bw_http_conns conns;
	unsigned mhd_limit; /* libmicrohttpd's own connection limit (above ours) */
	char listen_str[BW_ADDRSTRLEN];
};

/* One TCP connection and the request in progress on it. Created, used and freed by the one
 * MHD thread that owns the connection (requests on a connection come one at a time), so it
 * needs no lock. */
struct bw_http_conn {
	struct bw_http_slot slot; /* in svc->conns, under svc->lock */
	const char *close_why;    /* set under svc->lock with slot.closing: why we closed it */
	bool have_shut_written;   /* ... and, for a file that shrank, what had been written */
	uint64_t shut_written;    /* to the socket by then (bw_http_tcp_written) */
	struct bw_http_service *svc;
	struct sockaddr_storage peer;
	struct sockaddr_storage local; /* getsockname: the address the client connected to */
	bool have_local;
	int fd; /* the connection's socket (MHD owns it) */
	char peer_str[BW_ADDRSTRLEN];
	/* the request in progress: set by the URI callback, logged by the completion callback */
	bool active;
	bool headers_seen;
	bool answered;
	bool head;
	bool http10; /* an HTTP/1.0 request (MHD answers it with a Connection header) */
	bool uri_too_long;
	struct timespec t0;
	unsigned status;
	uint64_t bytes; /* body bytes of the answer (0 for HEAD) */
	/* Set for bodies that may not leave in one write (http_answer.c): what the
	 * client's TCP had acknowledged when the answer was queued, and the answer's header
	 * size, to tell how much of the body arrived if the answer is cut short. */
	bool tracked;
	uint64_t acked0;
	uint64_t head_len;
	const char *note;
	bool refused;    /* its head was refused (http_head.h): 400, connection closed */
	bool raw_on;     /* raw is fed what MHD reads (plain HTTP: http_recv.h) */
	struct bw_http_raw raw;
	bool short_read; /* the file ended before its answer did (it shrank): aborted */
	uint64_t short_at; /* ... after this many body bytes had been written to the socket */
	char method[16];
	char range[96];
	char agent[160];
	char uri[BW_HTTP_URI_MAX];
};

/* Answers the complete GET or HEAD request on c (c->uri, c->head). */
enum MHD_Result bw_http_answer(struct bw_http_conn *c, struct MHD_Connection *mc);
/* A short text answer: "404 Not Found\n". note says why, for the log line. */
enum MHD_Result bw_http_answer_error(struct bw_http_conn *c, struct MHD_Connection *mc,
                                     unsigned status, const char *note);
/* 400 with "Connection: close": a head whose framing is refused (http_head.h). */
enum MHD_Result bw_http_answer_refuse(struct bw_http_conn *c, struct MHD_Connection *mc,
                                      const char *note);
/* The number of body bytes that reached the client of the answer in progress on c, read
 * from the socket's TCP_INFO, when c->tracked; otherwise c->bytes. */
uint64_t bw_http_answer_delivered(const struct bw_http_conn *c);
/* The number of bytes ever written to the TCP socket fd, read once no more can be written
 * (right after a shutdown): the client gets all of them unless the connection is reset.
 * False when the kernel does not say (TCP_INFO, SIOCOUTQ) or the connection is closed. */
bool bw_http_tcp_written(int fd, uint64_t *ret);
/* How many of written (bw_http_tcp_written) bytes on c's socket are body bytes of the answer
 * in progress; when c->tracked is not set, what was delivered. */
uint64_t bw_http_answer_written(const struct bw_http_conn *c, uint64_t written);
/* A file answer sent with sendfile is in progress on c: its connection is shut down when the
 * file becomes shorter than end, the file offset where its body ends (http_io.c's closer).
 * Takes ownership of file_fd, a descriptor of the file of its own (closed when the answer
 * ends). */
void bw_http_file_watch(struct bw_http_conn *c, int file_fd, uint64_t end);

#endif
