/* The bytes libmicrohttpd reads from plain-HTTP connections, for the raw head scanner
 * (http_raw.h).
 *
 * libmicrohttpd 0.9.75 has no hook for the bytes it reads and normalises some request-head
 * shapes before bootwire sees the head. It reads plain sockets with recv(2) (mhd_sockets.h:
 * MHD_recv_), so bootwire defines recv: the dynamic linker binds libmicrohttpd's calls to
 * the executable's definition. It makes the same system call (recvfrom, no address) and,
 * for a socket registered here, feeds what was read to the connection's scanner. Nothing
 * else in bootwire calls recv (libuv, SQLite and the services use read, recvmsg and
 * recvmmsg); a socket that is not registered (TLS connections: their bytes are ciphertext)
 * is only read.
 *
 * The table is indexed by descriptor. A connection is registered and unregistered by MHD's
 * connection notifications, on the MHD thread that owns it and reads it, so a scanner is
 * never fed after its connection is gone; the table itself is allocated once, before any
 * MHD thread starts. */
#include "http/http_recv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HTTP_RECV_FD_MAX (1u << 20)

static struct bw_http_raw **recv_tab;
static size_t recv_cap;
static pthread_once_t recv_once = PTHREAD_ONCE_INIT;

static void http_recv_alloc(void)
{
	struct rlimit rl;
	size_t cap = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		cap = rl.rlim_cur;
	if (cap > HTTP_RECV_FD_MAX)
		cap = HTTP_RECV_FD_MAX;
	recv_tab = calloc(cap, sizeof(*recv_tab));
	recv_cap = recv_tab ? cap : 0;
}

int bw_http_recv_init(void)
{
	pthread_once(&recv_once, http_recv_alloc);
	return recv_tab ? 0 : -ENOMEM;
}

bool bw_http_recv_watch(int fd, struct bw_http_raw *r)
{
	if (fd < 0 || (size_t)fd >= recv_cap)
		return false;
	bw_http_raw_init(r);
	recv_tab[fd] = r;
	return true;
}

void bw_http_recv_unwatch(int fd)
{
	if (fd >= 0 && (size_t)fd < recv_cap)
		recv_tab[fd] = NULL;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);

	if (n > 0 && !(flags & MSG_PEEK) && fd >= 0 && (size_t)fd < recv_cap && recv_tab[fd])
		bw_http_raw_feed(recv_tab[fd], buf, (size_t)n);
	return n;
}
