/* udp_ceiling: what the kernel's UDP path allows on this machine, measured in the same run
 * as the TFTP benchmark so TFTP figures can be read against it.
 *
 *   udp_ceiling stream   [options]  one-way stream of SIZE-byte datagrams, one sendto() and
 *                                   one recvfrom() per datagram; reports the rate received.
 *   udp_ceiling pingpong [options]  lock-step: the client sends SIZE bytes and waits for a
 *                                   4-byte reply before the next (a TFTP DATA/ACK round trip
 *                                   without a server's work); reports SIZE bytes per round trip.
 *                                   With --window N it sends N datagrams per 4-byte reply (the
 *                                   shape of RFC 7440 windowed TFTP, without a server's work).
 *
 *   udp_ceiling tftpd    [options]  a TFTP server that does no work: it answers every RRQ with
 *                                   --bytes B of zeros from memory (blksize, windowsize and
 *                                   tsize honoured, one transfer at a time, each window sent
 *                                   with one sendmmsg) until killed. Run a
 *                                   TFTP client against it to see what the client alone allows.
 *                                   --port P (default 6999), pinned to --a-cpu.
 *
 * Options: --addr A (IPv4, default 127.0.0.1)  --size N (default 1468)  --seconds S (default 2)
 *          --window N (pingpong only, default 1)
 *          --a-cpu N  --b-cpu N   CPUs for the two ends (stream: a = receiver, b = sender;
 *                                 pingpong: a = replier, b = the end sending SIZE bytes);
 *                                 -1 = not pinned. b plays the TFTP server (it sends the
 *                                 data), a the TFTP client (it receives and acknowledges).
 * Both ends are processes (fork), like a server and a client. Output is one line of
 * key=value pairs; MB is 10^6 bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void);

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void pin(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die("sched_setaffinity");
}

static int bound_socket(const char *addr, struct sockaddr_in *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "udp_ceiling: bad IPv4 address %s\n", addr);
		exit(2);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind");
	socklen_t len = sizeof(*out);
	if (getsockname(fd, (struct sockaddr *)out, &len) != 0)
		die("getsockname");
	return fd;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

struct rx_result {
	uint64_t bytes, datagrams;
	double elapsed;
};

/* Receiver: counts full-size datagrams from the first one until a 1-byte end marker or
 * one second of silence. */
static int run_stream(const char *addr, size_t size, double seconds, int rx_cpu, int tx_cpu)
{
	int ready[2], result[2];
	if (pipe(ready) != 0 || pipe(result) != 0)
		die("pipe");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		pin(rx_cpu);
		struct sockaddr_in sa;
		int fd = bound_socket(addr, &sa);
		write_all(ready[1], &sa, sizeof(sa));
		char *buf = malloc(65536);
		struct rx_result r = {0};
		double first = 0, last = 0;
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int pr = poll(&p, 1, r.datagrams ? 1000 : 10000);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				break;
			ssize_t n = recv(fd, buf, 65536, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("recv");
			}
			if (n == 1)
				break;
			if (r.datagrams == 0)
				first = now();
			last = now();
			r.datagrams++;
			r.bytes += (uint64_t)n;
		}
		/* Rate over the span between first and last datagram (a datagram's bytes are
		 * counted from the second one on, so bytes and span match). */
		if (r.datagrams > 1) {
			r.elapsed = last - first;
			r.bytes -= r.bytes / r.datagrams;
		}
		write_all(result[1], &r, sizeof(r));
		_exit(0);
	}
	close(ready[1]);
	close(result[1]);
	struct sockaddr_in dst;
	if (read_all(ready[0], &dst, sizeof(dst)) != 0) {
		fprintf(stderr, "udp_ceiling: receiver failed to start\n");
		return 2;
	}
	pin(tx_cpu);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0)
		die("sender socket");
	char *buf = calloc(1, size);
	uint64_t sent = 0, errors = 0;
	double start = now(), end = start + seconds, t = start;
	while (t < end) {
		for (int i = 0; i < 64; i++) {
			if (send(fd, buf, size, 0) == (ssize_t)size)
				sent++;
			else
				errors++; /* ECONNREFUSED/ENOBUFS: counted, not fatal */
		}
		t = now();
	}
	double tx_elapsed = t - start;
	/* End markers until the receiver reports (a marker can be dropped by a full queue). */
	struct rx_result r;
	for (int i = 0; i < 500; i++) {
		(void)send(fd, "x", 1, 0);
		struct pollfd p = {.fd = result[0], .events = POLLIN};
		if (poll(&p, 1, 10) > 0)
			break;
	}
	if (read_all(result[0], &r, sizeof(r)) != 0) {
		fprintf(stderr, "udp_ceiling: receiver gave no result\n");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return 2;
	}
	waitpid(child, NULL, 0);
	double rx_mbps = r.elapsed > 0 ? (double)r.bytes / r.elapsed / 1e6 : 0;
	double tx_mbps = (double)sent * (double)size / tx_elapsed / 1e6;
	double loss = sent ? 100.0 * (1.0 - (double)r.datagrams / (double)sent) : 0;
	printf("mode=stream size=%zu seconds=%.2f MBps=%.1f tx_MBps=%.1f sent=%llu received=%llu "
	       "loss_pct=%.1f send_errors=%llu\n",
	       size, r.elapsed, rx_mbps, tx_mbps, (unsigned long long)sent,
	       (unsigned long long)r.datagrams, loss, (unsigned long long)errors);
	return r.datagrams > 1 ? 0 : 1;
}

static int run_pingpong(const char *addr, size_t size, unsigned window, double seconds,
			int srv_cpu, int cli_cpu)
{
	int ready[2];
	if (pipe(ready) != 0)
		die("pipe");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		pin(srv_cpu);
		struct sockaddr_in sa;
		int fd = bound_socket(addr, &sa);
		write_all(ready[1], &sa, sizeof(sa));
		char *buf = malloc(65536);
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, 65536, 0, (struct sockaddr *)&from, &fl);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("recvfrom");
			}
			if (n == 1)
				_exit(0);
			/* Reply to the last datagram of a window (its index is in bytes 0-1). */
			if (n >= 4 && ((unsigned char)buf[0] << 8 | (unsigned char)buf[1]) + 1u != window)
				continue;
			/* 4-byte reply, like a TFTP ACK (opcode + block number) */
			(void)sendto(fd, buf, 4, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(ready[1]);
	struct sockaddr_in dst;
	if (read_all(ready[0], &dst, sizeof(dst)) != 0) {
		fprintf(stderr, "udp_ceiling: echo server failed to start\n");
		return 2;
	}
	pin(cli_cpu);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0)
		die("client socket");
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char *buf = calloc(1, size < 16 ? 16 : size);
	char reply[64];
	uint64_t rounds = 0, retries = 0;
	double start = now(), end = start + seconds, t = start;
	while (t < end) {
		for (int i = 0; i < 16; i++) {
			for (unsigned w = 0; w < window; w++) {
				buf[0] = (char)(w >> 8);
				buf[1] = (char)w;
				if (send(fd, buf, size, 0) != (ssize_t)size)
					die("send");
			}
			ssize_t n = recv(fd, reply, sizeof(reply), 0);
			if (n == 4) {
				rounds++;
			} else {
				retries++;
				if (retries > 100) {
					fprintf(stderr, "udp_ceiling: too many lost replies\n");
					kill(child, SIGKILL);
					return 1;
				}
			}
		}
		t = now();
	}
	double elapsed = t - start;
	for (int i = 0; i < 3; i++)
		(void)send(fd, "x", 1, 0);
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("mode=pingpong size=%zu window=%u seconds=%.2f MBps=%.1f round_trips_per_s=%.0f "
	       "rtt_us=%.2f lost=%llu\n",
	       size, window, elapsed, (double)rounds * window * (double)size / elapsed / 1e6,
	       (double)rounds / elapsed, elapsed / (double)rounds * 1e6,
	       (unsigned long long)retries);
	return 0;
}

/* ---- no-work TFTP server ------------------------------------------------------------- */

static size_t put_opt(char *p, const char *name, unsigned long long v)
{
	return (size_t)sprintf(p, "%s", name) + 1 + (size_t)sprintf(p + strlen(name) + 1, "%llu", v) + 1;
}

/* Serves one transfer on a connected socket; returns 0 when the last block is acknowledged. */
static int serve_one(int fd, unsigned long long bytes, size_t blksize, unsigned window, int oack,
		     int want_tsize, char *pkt)
{
	char ack[516];
	unsigned long long nblocks = bytes / blksize + 1; /* last block is short, maybe empty */
	unsigned long long base = 1;                      /* first unacknowledged block */
	int tries = 0;
	if (oack) {
		char o[512];
		size_t n = 2;
		o[0] = 0, o[1] = 6;
		if (blksize != 512)
			n += put_opt(o + n, "blksize", blksize);
		if (window != 1)
			n += put_opt(o + n, "windowsize", window);
		if (want_tsize)
			n += put_opt(o + n, "tsize", bytes);
		for (;;) {
			(void)send(fd, o, n, 0);
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 1000) > 0) {
				ssize_t r = recv(fd, ack, sizeof(ack), 0);
				if (r >= 4 && ack[1] == 4 && ack[2] == 0 && ack[3] == 0)
					break;
				if (r >= 2 && ack[1] == 5)
					return 1;
			} else if (++tries > 5) {
				return 1;
			}
		}
		tries = 0;
	}
	for (;;) {
		unsigned long long end = base + window; /* exclusive */
		if (end > nblocks + 1)
			end = nblocks + 1;
		/* The window goes out with sendmmsg (as a good server would send it): the headers
		 * differ per block, the payload is the same zeros for all. */
		struct mmsghdr mm[64];
		struct iovec iov[64][2];
		unsigned char hdr[64][4];
		unsigned long long b = base;
		while (b < end) {
			unsigned k = 0;
			for (; k < 64 && b < end; k++, b++) {
				size_t len = b < nblocks ? blksize : (size_t)(bytes % blksize);
				hdr[k][0] = 0, hdr[k][1] = 3, hdr[k][2] = (unsigned char)(b >> 8);
				hdr[k][3] = (unsigned char)b;
				iov[k][0] = (struct iovec){.iov_base = hdr[k], .iov_len = 4};
				iov[k][1] = (struct iovec){.iov_base = pkt, .iov_len = len};
				mm[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = iov[k], .msg_iovlen = 2}};
			}
			for (unsigned done = 0; done < k;) {
				int r = sendmmsg(fd, mm + done, k - done, 0);
				if (r <= 0)
					break; /* a lost window is resent after the timeout */
				done += (unsigned)r;
			}
		}
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 1000) <= 0) {
				if (++tries > 5)
					return 1;
				break; /* resend the window */
			}
			ssize_t r = recv(fd, ack, sizeof(ack), 0);
			if (r >= 2 && ack[1] == 5)
				return 1;
			if (r < 4 || ack[1] != 4)
				continue;
			unsigned n = ((unsigned char)ack[2] << 8) | (unsigned char)ack[3];
			/* Which block in [base - 1, end - 1] carries that 16-bit number? */
			unsigned long long hit = 0;
				for (unsigned long long c = base - 1; c < end; c++)
				if ((c & 0xffff) == n)
					hit = c + 1;
			if (hit == 0)
				continue; /* stale */
			tries = 0;
			if (hit - 1 == nblocks)
				return 0;
			base = hit;
			break;
		}
	}
}

static int run_tftpd(const char *addr, int port, unsigned long long bytes, int cpu)
{
	pin(cpu);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		usage();
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind");
	fprintf(stderr, "udp_ceiling tftpd: listening on %s:%d, %llu bytes per file\n", addr, port,
		bytes);
	char req[1024], *pkt = malloc(65536);
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, req, sizeof(req) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 4 || req[0] != 0 || req[1] != 1)
			continue;
		req[n] = 0;
		size_t blksize = 512;
		unsigned window = 1;
		int oack = 0, want_tsize = 0;
		/* filename, mode, then option/value pairs */
		char *p = req + 2, *e = req + n;
		p += strlen(p) + 1;
		if (p < e)
			p += strlen(p) + 1;
		while (p < e) {
			char *name = p, *val = p + strlen(p) + 1;
			if (val >= e)
				break;
			p = val + strlen(val) + 1;
			unsigned long v = strtoul(val, NULL, 10);
			if (!strcasecmp(name, "blksize") && v >= 8) {
				blksize = v > 65464 ? 65464 : v;
				oack = 1;
			} else if (!strcasecmp(name, "windowsize") && v >= 1) {
				window = v > 65535 ? 65535 : (unsigned)v;
				oack = 1;
			} else if (!strcasecmp(name, "tsize")) {
				want_tsize = oack = 1;
			}
		}
		int t = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in local = sa;
		local.sin_port = 0;
		if (t < 0 || bind(t, (struct sockaddr *)&local, sizeof(local)) != 0 ||
		    connect(t, (struct sockaddr *)&from, fl) != 0)
			die("transfer socket");
		memset(pkt, 0, 65536); /* payload only: headers are built per block */
		(void)serve_one(t, bytes, blksize, window, oack, want_tsize, pkt);
		close(t);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: udp_ceiling stream|pingpong|tftpd [--addr IPv4] [--port N] [--bytes N] [--size N] [--window N] "
			"[--seconds S] [--a-cpu N] [--b-cpu N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *mode = argv[1], *addr = "127.0.0.1";
	size_t size = 1468;
	unsigned window = 1;
	double seconds = 2;
	int a_cpu = -1, b_cpu = -1, port = 6999;
	unsigned long long bytes = 64ull << 20;
	for (int i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--addr"))
			addr = argv[++i];
		else if (!strcmp(argv[i], "--size"))
			size = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--port"))
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bytes"))
			bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--window"))
			window = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--a-cpu"))
			a_cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--b-cpu"))
			b_cpu = atoi(argv[++i]);
		else
			usage();
	}
	if (size < 4 || size > 65507 || seconds <= 0 || window < 1 || window > 65535)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "stream"))
		return run_stream(addr, size, seconds, a_cpu, b_cpu);
	if (!strcmp(mode, "tftpd"))
		return run_tftpd(addr, port, bytes, a_cpu);
	if (!strcmp(mode, "pingpong"))
		return run_pingpong(addr, size, window, seconds, a_cpu, b_cpu);
	usage();
	return 2;
}
