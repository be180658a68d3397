/* tftp_flood: sends many read requests that are never acknowledged.
 *
 * --sockets sockets (each its own source port, optionally spread over --src-count source
 * addresses from --src-base) each send --requests RRQs, round-robin, at --rate packets per
 * second (0: as fast as possible). Replies are read and counted but never answered, so each
 * accepted request holds a server transfer until it times out. After sending, replies are
 * drained for --linger-ms. Everything ends by --max-seconds.
 *
 * Prints one summary line on stdout:
 *   sent=N send_errors=N accepted=N data=N oack=N errors=N codes=0:N,2:N other=N
 * accepted counts distinct (socket, server port) pairs that answered with DATA or OACK,
 * i.e. transfers the server started. Exit status 0, or 64 on usage errors, 4 on local
 * errors. */
#include "tftp_common.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_SOCKETS 4000
#define MAX_CODES 10

static struct {
	struct sockaddr_storage server;
	socklen_t server_len;
	const char *file;
	unsigned long sockets, requests, rate, src_count, linger_ms, max_seconds, blksize;
	struct in_addr src_base;
	bool have_src;
} opt;

struct flood_sock {
	int fd;
	unsigned n_ports;
	uint16_t *ports; /* server ports that started a transfer for this socket */
};

static struct flood_sock *socks;
static unsigned long long n_sent, n_send_err, n_accepted, n_data, n_oack, n_err, n_other;
static unsigned long long n_codes[MAX_CODES + 1]; /* last slot: codes >= MAX_CODES */
static uint8_t pkt[TT_PKT_MAX + 1];

static void flood_usage(void)
{
	fprintf(stderr,
		"usage: tftp_flood --server ADDR --port N [options]\n"
		"  --file NAME        file to request (default flood.bin)\n"
		"  --sockets N        source sockets (default 500, at most 4000)\n"
		"  --requests N       requests per socket (default 20)\n"
		"  --rate PPS         requests per second, 0 = unlimited (default 0)\n"
		"  --blksize N        add a blksize option to each request\n"
		"  --src-base IPV4    bind socket i to src-base + (i mod src-count)\n"
		"  --src-count N      number of source addresses (default 1)\n"
		"  --linger-ms N      keep reading replies after the last request (default 1000)\n"
		"  --max-seconds N    hard limit on the run time (default 60)\n");
}

static int flood_parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "file", required_argument, NULL, 'f' },
		{ "sockets", required_argument, NULL, 'n' },
		{ "requests", required_argument, NULL, 'r' },
		{ "rate", required_argument, NULL, 'R' },
		{ "blksize", required_argument, NULL, 'b' },
		{ "src-base", required_argument, NULL, 's' },
		{ "src-count", required_argument, NULL, 'c' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "max-seconds", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *port = NULL;
	int ch, r = 0;

	opt.file = "flood.bin";
	opt.sockets = 500;
	opt.requests = 20;
	opt.src_count = 1;
	opt.linger_ms = 1000;
	opt.max_seconds = 60;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': server = optarg; break;
		case 'p': port = optarg; break;
		case 'f': opt.file = optarg; break;
		case 'n': r = tt_parse_ulong(optarg, 1, MAX_SOCKETS, &opt.sockets); break;
		case 'r': r = tt_parse_ulong(optarg, 1, 1000000, &opt.requests); break;
		case 'R': r = tt_parse_ulong(optarg, 0, 10000000, &opt.rate); break;
		case 'b': r = tt_parse_ulong(optarg, 8, 65464, &opt.blksize); break;
		case 's':
			opt.have_src = true;
			r = inet_pton(AF_INET, optarg, &opt.src_base) == 1 ? 0 : -EINVAL;
			break;
		case 'c': r = tt_parse_ulong(optarg, 1, 65536, &opt.src_count); break;
		case 'l': r = tt_parse_ulong(optarg, 0, 600000, &opt.linger_ms); break;
		case 'M': r = tt_parse_ulong(optarg, 1, 3600, &opt.max_seconds); break;
		default: return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "tftp_flood: bad value: %s\n", optarg);
			return r;
		}
	}
	if (!server || !port || optind != argc)
		return -EINVAL;
	if (tt_resolve(server, port, &opt.server, &opt.server_len) < 0)
		return -EINVAL;
	if (opt.have_src && opt.server.ss_family != AF_INET)
		return -EINVAL;
	return 0;
}

static int flood_open(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < opt.sockets + 64) {
		rl.rlim_cur = opt.sockets + 64 < rl.rlim_max ? opt.sockets + 64 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	socks = calloc(opt.sockets, sizeof(*socks));
	if (!socks)
		return -ENOMEM;
	for (unsigned long i = 0; i < opt.sockets; i++) {
		struct flood_sock *s = &socks[i];

		s->ports = calloc(opt.requests, sizeof(*s->ports));
		s->fd = socket(opt.server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (!s->ports || s->fd < 0) {
			fprintf(stderr, "tftp_flood: socket %lu: %s\n", i, strerror(errno));
			return -errno;
		}
		if (opt.have_src) {
			struct sockaddr_in a = { .sin_family = AF_INET };

			a.sin_addr.s_addr =
				htonl(ntohl(opt.src_base.s_addr) + (uint32_t)(i % opt.src_count));
			if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
				fprintf(stderr, "tftp_flood: bind: %s\n", strerror(errno));
				return -errno;
			}
		}
	}
	return 0;
}

static void flood_count(struct flood_sock *s, const struct sockaddr_storage *from, size_t n)
{
	uint16_t op = n >= 2 ? tt_get16(pkt) : 0;
	uint16_t port = tt_sa_port(from);

	if (op == TT_OP_DATA || op == TT_OP_OACK) {
		bool seen = false;

		if (op == TT_OP_DATA)
			n_data++;
		else
			n_oack++;
		for (unsigned i = 0; i < s->n_ports && !seen; i++)
			seen = s->ports[i] == port;
		if (!seen) {
			n_accepted++;
			if (s->n_ports < opt.requests)
				s->ports[s->n_ports++] = port;
		}
	} else if (op == TT_OP_ERROR && n >= 4) {
		uint16_t code = tt_get16(pkt + 2);

		n_err++;
		n_codes[code < MAX_CODES ? code : MAX_CODES]++;
	} else {
		n_other++;
	}
}

/* Reads every queued reply; waits up to timeout_ms for the first. */
static void flood_drain(struct pollfd *pfd, int timeout_ms)
{
	int r = poll(pfd, opt.sockets, timeout_ms);

	if (r <= 0)
		return;
	for (unsigned long i = 0; i < opt.sockets; i++) {
		if (!pfd[i].revents)
			continue;
		for (unsigned k = 0; k < 1000; k++) {
			struct sockaddr_storage from;
			socklen_t from_len = sizeof(from);
			ssize_t n = recvfrom(socks[i].fd, pkt, sizeof(pkt), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &from_len);

			if (n < 0)
				break;
			flood_count(&socks[i], &from, (size_t)n);
		}
	}
}

static void flood_run(void)
{
	struct pollfd *pfd = calloc(opt.sockets, sizeof(*pfd));
	struct tt_opt o[1];
	char blk[24];
	uint8_t req[600];
	size_t req_len;
	uint64_t start = tt_now_ms(), end = start + opt.max_seconds * 1000u, total;

	if (!pfd)
		return;
	snprintf(blk, sizeof(blk), "%lu", opt.blksize);
	o[0] = (struct tt_opt){ "blksize", blk };
	req_len = tt_build_req(req, sizeof(req), TT_OP_RRQ, opt.file, "octet", o,
			       opt.blksize ? 1 : 0);
	for (unsigned long i = 0; i < opt.sockets; i++)
		pfd[i] = (struct pollfd){ .fd = socks[i].fd, .events = POLLIN };
	total = (uint64_t)opt.sockets * opt.requests;
	for (uint64_t k = 0; k < total && tt_now_ms() < end; k++) {
		struct flood_sock *s = &socks[k % opt.sockets];

		if (sendto(s->fd, req, req_len, 0, (struct sockaddr *)&opt.server,
			   opt.server_len) < 0)
			n_send_err++;
		else
			n_sent++;
		if (opt.rate) {
			uint64_t due = start + (k + 1) * 1000u / opt.rate, now = tt_now_ms();

			if (due > now)
				flood_drain(pfd, (int)(due - now));
		}
		if (k % 64 == 63)
			flood_drain(pfd, 0);
	}
	for (uint64_t until = tt_now_ms() + opt.linger_ms; ;) {
		uint64_t now = tt_now_ms();

		if (now >= until || now >= end)
			break;
		flood_drain(pfd, (int)((until < end ? until : end) - now));
	}
	free(pfd);
}

int main(int argc, char **argv)
{
	if (flood_parse_args(argc, argv) < 0) {
		flood_usage();
		return 64;
	}
	if (flood_open() < 0)
		return 4;
	flood_run();
	printf("sent=%llu send_errors=%llu accepted=%llu data=%llu oack=%llu errors=%llu codes=",
	       n_sent, n_send_err, n_accepted, n_data, n_oack, n_err);
	for (unsigned c = 0, first = 1; c <= MAX_CODES; c++) {
		if (!n_codes[c])
			continue;
		printf("%s%u%s:%llu", first ? "" : ",", c, c == MAX_CODES ? "+" : "", n_codes[c]);
		first = 0;
	}
	if (!n_err)
		printf("none");
	printf(" other=%llu\n", n_other);
	for (unsigned long i = 0; i < opt.sockets; i++) {
		close(socks[i].fd);
		free(socks[i].ports);
	}
	free(socks);
	return 0;
}
