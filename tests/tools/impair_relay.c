/* impair_relay: a UDP relay for TFTP that drops, duplicates and reorders packets.
 *
 *   client --> LISTEN --(up socket)--> SERVER:PORT        request, and repeats of it
 *   client <-- down socket <--(up)-- SERVER:TID           the server's transfer port
 *   client --> down socket --(up)--> SERVER:TID
 *
 * Each client address gets a session with two sockets: "up" talks to the server, "down"
 * talks to the client, so the client sees a transfer port of its own just as with a real
 * server. Requests (packets to LISTEN) go to the server's well-known port; everything else
 * goes to the port the server last answered from (its TID). A reply from a second server
 * port gets ERROR 5, as a client would send.
 *
 * Impairments are drawn per packet and direction from a seeded PRNG: drop with --drop,
 * otherwise hold back with --reorder (sent after the next packet in that direction, or after
 * --hold-ms), otherwise send, and send twice with --dup. Runs at most --max-seconds; prints
 * counters on exit (also on SIGTERM). */
#include "tftp_common.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#define MAX_SESS 32
#define DIR_C2S 0
#define DIR_S2C 1

struct relay_held {
	bool used;
	uint64_t due;
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	size_t len;
	uint8_t buf[TT_PKT_MAX];
};

struct relay_sess {
	bool used;
	struct sockaddr_storage client;
	socklen_t client_len;
	int up, down;
	uint16_t tid; /* server transfer port; 0 until its first reply */
	uint64_t last;
	size_t req_len;
	uint8_t req[1024]; /* the last request, to tell a repeat from a new one */
	struct relay_held held[2];
};

struct relay_dir_stats {
	unsigned long long in, out, drop, dup, reorder;
};

static struct {
	struct sockaddr_storage listen, server;
	socklen_t listen_len, server_len;
	double drop, dup, reorder;
	unsigned long seed, max_seconds, hold_ms, idle_s;
	bool verbose;
} opt;

static struct relay_sess sess[MAX_SESS];
static struct relay_dir_stats dstats[2];
static unsigned long long n_sessions, n_foreign, n_full;
static uint64_t rng_state;
static volatile sig_atomic_t stop_flag;
static uint8_t pkt[TT_PKT_MAX + 1];

static uint64_t relay_rand64(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool relay_chance(double p)
{
	if (p <= 0.0)
		return false;
	return (double)(relay_rand64() >> 11) * (1.0 / 9007199254740992.0) < p;
}

static void relay_on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void relay_usage(void)
{
	fprintf(stderr,
		"usage: impair_relay --listen ADDR:PORT --server ADDR:PORT [options]\n"
		"  --drop P          drop probability per packet and direction (0..1)\n"
		"  --dup P           duplicate probability\n"
		"  --reorder P       hold-back probability (sent after the next packet)\n"
		"  --hold-ms N       longest hold-back (default 30)\n"
		"  --seed N          PRNG seed (default 1)\n"
		"  --max-seconds N   exit after N seconds (default 300)\n"
		"  --idle-seconds N  forget a quiet client after N seconds (default 30)\n"
		"  -v, --verbose\n");
}

static int relay_parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "server", required_argument, NULL, 's' },
		{ "drop", required_argument, NULL, 'd' },
		{ "dup", required_argument, NULL, 'u' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "seed", required_argument, NULL, 'S' },
		{ "max-seconds", required_argument, NULL, 'M' },
		{ "idle-seconds", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_listen = false, have_server = false;
	int ch, r = 0;

	opt.seed = 1;
	opt.max_seconds = 300;
	opt.hold_ms = 30;
	opt.idle_s = 30;
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			r = tt_resolve_hostport(optarg, &opt.listen, &opt.listen_len);
			have_listen = true;
			break;
		case 's':
			r = tt_resolve_hostport(optarg, &opt.server, &opt.server_len);
			have_server = true;
			break;
		case 'd': r = tt_parse_prob(optarg, &opt.drop); break;
		case 'u': r = tt_parse_prob(optarg, &opt.dup); break;
		case 'r': r = tt_parse_prob(optarg, &opt.reorder); break;
		case 'H': r = tt_parse_ulong(optarg, 1, 10000, &opt.hold_ms); break;
		case 'S': r = tt_parse_ulong(optarg, 0, ULONG_MAX, &opt.seed); break;
		case 'M': r = tt_parse_ulong(optarg, 1, 86400, &opt.max_seconds); break;
		case 'I': r = tt_parse_ulong(optarg, 1, 86400, &opt.idle_s); break;
		case 'v': opt.verbose = true; break;
		default: return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "impair_relay: bad value: %s\n", optarg);
			return r;
		}
	}
	if (!have_listen || !have_server || optind != argc)
		return -EINVAL;
	return 0;
}

static int relay_socket(const struct sockaddr_storage *bind_to, socklen_t len)
{
	int fd = socket(bind_to->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int buf = 4 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (const struct sockaddr *)bind_to, len) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static void relay_send(int fd, const uint8_t *p, size_t n, const struct sockaddr_storage *dst,
		       socklen_t dst_len, int dir)
{
	if (sendto(fd, p, n, 0, (const struct sockaddr *)dst, dst_len) >= 0)
		dstats[dir].out++;
}

static void relay_flush_held(struct relay_held *h, int dir)
{
	if (!h->used)
		return;
	relay_send(h->fd, h->buf, h->len, &h->dst, h->dst_len, dir);
	h->used = false;
}

/* One packet through the impairments. */
static void relay_forward(struct relay_sess *s, int dir, int fd, const struct sockaddr_storage *dst,
			  socklen_t dst_len, const uint8_t *p, size_t n)
{
	struct relay_held *h = &s->held[dir];

	dstats[dir].in++;
	if (relay_chance(opt.drop)) {
		dstats[dir].drop++;
		return;
	}
	if (!h->used && relay_chance(opt.reorder)) {
		h->used = true;
		h->due = tt_now_ms() + opt.hold_ms;
		h->fd = fd;
		h->dst = *dst;
		h->dst_len = dst_len;
		h->len = n;
		memcpy(h->buf, p, n);
		dstats[dir].reorder++;
		return;
	}
	relay_send(fd, p, n, dst, dst_len, dir);
	if (relay_chance(opt.dup)) {
		relay_send(fd, p, n, dst, dst_len, dir);
		dstats[dir].dup++;
	}
	relay_flush_held(h, dir);
}

static void relay_sess_close(struct relay_sess *s)
{
	relay_flush_held(&s->held[DIR_C2S], DIR_C2S);
	relay_flush_held(&s->held[DIR_S2C], DIR_S2C);
	if (s->up >= 0)
		close(s->up);
	if (s->down >= 0)
		close(s->down);
	memset(s, 0, sizeof(*s));
	s->up = s->down = -1;
}

static struct relay_sess *relay_sess_get(const struct sockaddr_storage *from, socklen_t from_len)
{
	struct relay_sess *free_slot = NULL;
	struct sockaddr_storage any, local;

	for (unsigned i = 0; i < MAX_SESS; i++) {
		if (sess[i].used && tt_sa_same(&sess[i].client, from))
			return &sess[i];
		if (!sess[i].used && !free_slot)
			free_slot = &sess[i];
	}
	if (!free_slot) {
		n_full++;
		return NULL;
	}
	memset(&any, 0, sizeof(any));
	any.ss_family = opt.server.ss_family;
	free_slot->up = relay_socket(&any, opt.server_len);
	/* the listen address with a fresh port: the client's view of the transfer port */
	local = opt.listen;
	tt_sa_set_port(&local, 0);
	free_slot->down = relay_socket(&local, opt.listen_len);
	if (free_slot->up < 0 || free_slot->down < 0) {
		relay_sess_close(free_slot);
		return NULL;
	}
	free_slot->used = true;
	free_slot->client = *from;
	free_slot->client_len = from_len;
	n_sessions++;
	return free_slot;
}

static void relay_to_server(struct relay_sess *s, const uint8_t *p, size_t n, bool is_request)
{
	struct sockaddr_storage dst = opt.server;

	if (is_request) {
		/* a new request (not a repeat) starts a new transfer: forget the old TID */
		if (n != s->req_len || memcmp(s->req, p, n))
			s->tid = 0;
		s->req_len = n < sizeof(s->req) ? n : 0;
		memcpy(s->req, p, s->req_len);
	} else if (s->tid) {
		tt_sa_set_port(&dst, s->tid);
	}
	relay_forward(s, DIR_C2S, s->up, &dst, opt.server_len, p, n);
}

static void relay_on_listen(int fd)
{
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &from_len);
	struct relay_sess *s;

	if (n <= 0)
		return;
	s = relay_sess_get(&from, from_len);
	if (!s)
		return;
	s->last = tt_now_ms();
	relay_to_server(s, pkt, (size_t)n, true);
}

static void relay_on_down(struct relay_sess *s)
{
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t n = recvfrom(s->down, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &from_len);

	if (n <= 0)
		return;
	if (!tt_sa_same(&from, &s->client)) {
		n_foreign++;
		return;
	}
	s->last = tt_now_ms();
	relay_to_server(s, pkt, (size_t)n, false);
}

static void relay_on_up(struct relay_sess *s)
{
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t n = recvfrom(s->up, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &from_len);
	uint16_t port;

	if (n <= 0)
		return;
	port = tt_sa_port(&from);
	if (!tt_sa_same_host(&from, &opt.server)) {
		n_foreign++;
		return;
	}
	if (!s->tid)
		s->tid = port;
	if (port != s->tid) {
		uint8_t err[64];
		size_t len = tt_build_error(err, sizeof(err), 5, "Unknown transfer ID");

		sendto(s->up, err, len, 0, (struct sockaddr *)&from, from_len);
		n_foreign++;
		return;
	}
	s->last = tt_now_ms();
	relay_forward(s, DIR_S2C, s->down, &s->client, s->client_len, pkt, (size_t)n);
}

/* Flushes due hold-backs and idle sessions; returns the poll timeout in ms. */
static int relay_housekeeping(uint64_t now, uint64_t end)
{
	uint64_t next = end;

	for (unsigned i = 0; i < MAX_SESS; i++) {
		struct relay_sess *s = &sess[i];

		if (!s->used)
			continue;
		for (int d = 0; d < 2; d++) {
			if (s->held[d].used && s->held[d].due <= now)
				relay_flush_held(&s->held[d], d);
			if (s->held[d].used && s->held[d].due < next)
				next = s->held[d].due;
		}
		if (now - s->last > opt.idle_s * 1000u)
			relay_sess_close(s);
	}
	if (next <= now)
		return 0;
	return next - now > 1000 ? 1000 : (int)(next - now);
}

static void relay_print_stats(void)
{
	static const char *names[2] = { "client->server", "server->client" };

	for (int d = 0; d < 2; d++)
		fprintf(stderr,
			"impair_relay: %s: in=%llu out=%llu dropped=%llu duplicated=%llu "
			"reordered=%llu\n",
			names[d], dstats[d].in, dstats[d].out, dstats[d].drop, dstats[d].dup,
			dstats[d].reorder);
	fprintf(stderr, "impair_relay: sessions=%llu foreign=%llu table_full=%llu\n", n_sessions,
		n_foreign, n_full);
}

static void relay_run(int lfd)
{
	uint64_t end = tt_now_ms() + opt.max_seconds * 1000u;

	while (!stop_flag) {
		struct pollfd pfd[1 + 2 * MAX_SESS];
		struct relay_sess *owner[1 + 2 * MAX_SESS];
		unsigned n = 0;
		uint64_t now = tt_now_ms();
		int timeout;

		if (now >= end) {
			fprintf(stderr, "impair_relay: --max-seconds reached\n");
			break;
		}
		timeout = relay_housekeeping(now, end);
		pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		owner[n++] = NULL;
		for (unsigned i = 0; i < MAX_SESS; i++) {
			if (!sess[i].used)
				continue;
			pfd[n] = (struct pollfd){ .fd = sess[i].up, .events = POLLIN };
			owner[n++] = &sess[i];
			pfd[n] = (struct pollfd){ .fd = sess[i].down, .events = POLLIN };
			owner[n++] = &sess[i];
		}
		if (poll(pfd, n, timeout) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			if (!owner[i])
				relay_on_listen(lfd);
			else if (owner[i]->used && pfd[i].fd == owner[i]->up)
				relay_on_up(owner[i]);
			else if (owner[i]->used && pfd[i].fd == owner[i]->down)
				relay_on_down(owner[i]);
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int lfd;

	if (relay_parse_args(argc, argv) < 0) {
		relay_usage();
		return 64;
	}
	for (unsigned i = 0; i < MAX_SESS; i++)
		sess[i].up = sess[i].down = -1;
	rng_state = opt.seed;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = relay_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = relay_socket(&opt.listen, opt.listen_len);
	if (lfd < 0) {
		fprintf(stderr, "impair_relay: cannot bind: %s\n", strerror(-lfd));
		return 4;
	}
	fprintf(stderr,
		"impair_relay: listening on port %u, server port %u, drop=%.3f dup=%.3f "
		"reorder=%.3f seed=%lu\n",
		tt_sa_port(&opt.listen), tt_sa_port(&opt.server), opt.drop, opt.dup, opt.reorder,
		opt.seed);
	relay_run(lfd);
	for (unsigned i = 0; i < MAX_SESS; i++)
		if (sess[i].used)
			relay_sess_close(&sess[i]);
	relay_print_stats();
	close(lfd);
	return 0;
}
