/* dhcp_load: DHCPv4 load generator (and a no-work responder to measure it against).
 *
 * DORA (default): --count N clients, each with its own MAC (--mac-prefix bytes, then a
 * big-endian counter starting at --mac-offset), run DISCOVER -> OFFER -> REQUEST -> ACK with
 * at most --concurrency in flight. Each message is retransmitted after --timeout-ms, at most
 * --retries times; then the client fails. A NAK to the REQUEST restarts the client from
 * DISCOVER, as RFC 2131 clients do, at most --nak-restarts times (with a new xid).
 *
 * --verify FILE: for each "MAC IP" line, one REQUEST in INIT-REBOOT state (option 50 = IP,
 * no server identifier, ciaddr 0); an ACK with yiaddr = IP is good, a NAK means the server
 * forgot the lease, silence (after the retries) is unanswered.
 *
 * Bounds: --duration-s caps the whole run; --stall-s gives up when no reply has come for that
 * long (a server that is down or does not answer).
 *
 * Modes:
 *   relay      bind UDP GIADDR:67, send to SERVER:67 with giaddr and hops = 1; replies come
 *              back to GIADDR:67 (what a relay agent sees; like Kea's perfdhcp). No broadcast.
 *   broadcast  bind 0.0.0.0:68 on --iface (SO_BINDTODEVICE), send to 255.255.255.255:67 with
 *              the broadcast flag; replies come as broadcasts.
 *   null-server  a stateless responder on --listen ADDR:67 for relayed requests: OFFER/ACK
 *              with an address derived from the MAC, no lease state, no disk. Running the
 *              generator against it shows what the generator and the UDP path allow.
 *
 * Output: a summary on stderr and one line on stdout:
 *   leases=N acks=N naks=N fail=N dup=N secs=S rate=R p50_ms=X p99_ms=X max_ms=X
 *       timeouts=N retrans=N unfinished=N mismatch=N ignored=N
 * (verify: verify=N acks=N naks=N noreply=N mismatch=N bad_lines=N secs=S rate=R ...).
 * fail counts clients left without a lease (NAKs that were not cured by a restart, timeouts,
 * clients unfinished when --duration-s ran out). dup counts ACKs of an address that an
 * earlier ACK gave to another MAC. Exit status 0 if fail = 0 and dup = 0 (verify: every line
 * ACKed with its address), 1 otherwise, 64 on usage errors, 4 on local errors.
 *
 * Plain C11 and libc; deliberately independent of src/. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64          /* datagrams per sendmmsg / recvmmsg */
#define PKT_OUT 548       /* our requests are at most this long */
#define PKT_IN 1536       /* receive buffer per datagram */
#define BOOTP_MIN 300     /* pad requests to the BOOTP minimum */
#define DHCP_FIXED 236    /* op .. file */
#define DHCP_OPTS 240     /* after the magic cookie */
#define MAX_GEN 8         /* xid generations per client (NAK restarts + 1) */
#define MAX_COUNT 50000000UL

enum { M_RELAY, M_BROADCAST, M_NULL };
enum { DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6 };
enum { CS_IDLE, CS_DISCOVER, CS_REQUEST, CS_DONE, CS_FAILED };

static struct {
	int mode;
	struct in_addr giaddr, server, listen, pool_base;
	const char *iface, *acked, *verify;
	unsigned long count, conc, timeout_ms, retries, nak_restarts, mac_offset, duration_s, stall_s, seed;
	uint8_t prefix[6];
	unsigned prefix_len;
	bool have_giaddr, have_server, have_listen, have_seed;
} opt;

struct client {
	uint8_t mac[6];
	uint8_t state, gen, tries, naks;
	uint32_t offered;   /* network order: OFFER's yiaddr, or the address to verify */
	uint32_t server_id; /* network order */
	uint32_t acked_ip;
	int32_t slot;       /* index in the in-flight table, -1 if not in flight */
	float lat_ms;
	double t_start, deadline;
};

static struct client *cl;
static unsigned long n_cl;
static uint32_t *inflight;
static unsigned long n_inflight, next_client;
static uint32_t xid_base;
static int fd = -1;
static FILE *acked_fp;
static volatile sig_atomic_t stop;

static unsigned long long n_ack, n_nak, n_timeout, n_retrans, n_dup, n_mismatch, n_ignored,
	n_stale, n_sent, n_send_err, n_recv, n_bad_lines, n_noreply, n_verify_nak;
static double t_first_send, t_last_ack, t_last_reply;

/* ---- small helpers ------------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	v = strtoul(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb[:cc...]" -> up to max bytes; returns the number of bytes or -1. Accepts '-' too. */
static int parse_hexbytes(const char *s, uint8_t *out, int max)
{
	int n = 0;

	while (*s) {
		int hi = hexval((unsigned char)s[0]), lo = hi >= 0 ? hexval((unsigned char)s[1]) : -1;

		if (hi < 0 || lo < 0 || n >= max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == ':' || *s == '-')
			s++;
		else if (*s)
			return -1;
		else
			break;
	}
	return n;
}

static void fmt_mac(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- address set for the duplicate check (open addressing, key = IPv4, value = client) ---- */

static uint32_t *set_key, *set_val;
static size_t set_mask;

static int set_init(unsigned long n)
{
	size_t sz = 16;

	while (sz < 2 * (size_t)n)
		sz <<= 1;
	set_key = calloc(sz, sizeof(*set_key));
	set_val = calloc(sz, sizeof(*set_val));
	set_mask = sz - 1;
	return set_key && set_val ? 0 : -ENOMEM;
}

/* Records ip for client idx. Returns the client that already holds ip, or -1. Key 0 = empty:
 * 0.0.0.0 is never recorded (callers reject yiaddr 0). */
static long set_claim(uint32_t ip, uint32_t idx)
{
	size_t h = (size_t)((ip * 0x9e3779b1u) >> 7) & set_mask;

	while (set_key[h]) {
		if (set_key[h] == ip)
			return set_val[h] == idx ? -1 : (long)set_val[h];
		h = (h + 1) & set_mask;
	}
	set_key[h] = ip;
	set_val[h] = idx;
	return -1;
}

/* ---- send queue (sendmmsg) ---------------------------------------------------------------- */

static struct {
	uint8_t buf[BATCH][PKT_OUT];
	struct iovec iov[BATCH];
	struct mmsghdr mh[BATCH];
	struct sockaddr_in dst[BATCH];
	unsigned n;
} sq;

static void sq_flush(double deadline)
{
	unsigned done = 0;

	while (done < sq.n) {
		int r = sendmmsg(fd, &sq.mh[done], sq.n - done, 0);

		if (r > 0) {
			n_sent += (unsigned)r;
			done += (unsigned)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (stop || now_s() > deadline) {
				n_send_err += sq.n - done;
				break;
			}
			poll(&p, 1, 10);
			continue;
		}
		/* Any other error hits the first datagram: drop it, the timer retransmits. */
		if (n_send_err++ < 5)
			fprintf(stderr, "dhcp_load: send: %s\n", strerror(errno));
		done++;
	}
	sq.n = 0;
}

static uint8_t *sq_slot(const struct sockaddr_in *dst, double deadline)
{
	if (sq.n == BATCH)
		sq_flush(deadline);
	sq.dst[sq.n] = *dst;
	return sq.buf[sq.n];
}

static void sq_commit(size_t len)
{
	unsigned i = sq.n++;

	sq.iov[i].iov_base = sq.buf[i];
	sq.iov[i].iov_len = len;
	memset(&sq.mh[i], 0, sizeof(sq.mh[i]));
	sq.mh[i].msg_hdr.msg_name = &sq.dst[i];
	sq.mh[i].msg_hdr.msg_namelen = sizeof(sq.dst[i]);
	sq.mh[i].msg_hdr.msg_iov = &sq.iov[i];
	sq.mh[i].msg_hdr.msg_iovlen = 1;
}

/* ---- packets ------------------------------------------------------------------------------ */

static uint32_t client_xid(uint32_t idx, unsigned gen)
{
	return xid_base + idx * MAX_GEN + gen;
}

/* A client request: DISCOVER, REQUEST (selecting: 50 + 54) or INIT-REBOOT REQUEST (50 only). */
static size_t build_request(uint8_t *p, const struct client *c, uint32_t idx, int type, bool reboot)
{
	uint8_t *o;

	memset(p, 0, BOOTP_MIN);
	p[0] = 1; /* BOOTREQUEST */
	p[1] = 1; /* ethernet */
	p[2] = 6;
	p[3] = opt.mode == M_RELAY ? 1 : 0;
	put32(p + 4, client_xid(idx, c->gen));
	if (opt.mode == M_BROADCAST)
		p[10] = 0x80; /* broadcast flag */
	if (opt.mode == M_RELAY)
		memcpy(p + 24, &opt.giaddr.s_addr, 4);
	memcpy(p + 28, c->mac, 6);
	put32(p + DHCP_FIXED, 0x63825363);
	o = p + DHCP_OPTS;
	*o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
	*o++ = 61, *o++ = 7, *o++ = 1;
	memcpy(o, c->mac, 6), o += 6;
	*o++ = 57, *o++ = 2, *o++ = 1500 >> 8, *o++ = 1500 & 0xff;
	if (type == REQUEST) {
		*o++ = 50, *o++ = 4;
		memcpy(o, &c->offered, 4), o += 4;
		if (!reboot) {
			*o++ = 54, *o++ = 4;
			memcpy(o, &c->server_id, 4), o += 4;
		}
	}
	*o++ = 55, *o++ = 6, *o++ = 1, *o++ = 3, *o++ = 6, *o++ = 15, *o++ = 51, *o++ = 54;
	*o++ = 255;
	return (size_t)(o - p) > BOOTP_MIN ? (size_t)(o - p) : BOOTP_MIN;
}

struct dhcp_msg {
	uint8_t op, type;
	uint32_t xid;
	uint32_t yiaddr, giaddr, server_id, req_ip; /* network order; 0 if absent */
	const uint8_t *chaddr;
};

/* Bounds-checked parse of a BOOTP/DHCP message. Returns false for anything malformed. */
static bool parse_msg(const uint8_t *p, size_t n, struct dhcp_msg *m)
{
	size_t i = DHCP_OPTS;

	memset(m, 0, sizeof(*m));
	if (n < DHCP_OPTS || (p[0] != 1 && p[0] != 2) || p[1] != 1 || p[2] != 6 ||
	    get32(p + DHCP_FIXED) != 0x63825363)
		return false;
	m->op = p[0];
	m->xid = get32(p + 4);
	memcpy(&m->yiaddr, p + 16, 4);
	memcpy(&m->giaddr, p + 24, 4);
	m->chaddr = p + 28;
	while (i < n) {
		uint8_t code = p[i++], len;

		if (code == 0)
			continue;
		if (code == 255)
			break;
		if (i >= n)
			return false;
		len = p[i++];
		if (len > n - i)
			return false;
		if (code == 53 && len == 1)
			m->type = p[i];
		else if (code == 54 && len == 4)
			memcpy(&m->server_id, p + i, 4);
		else if (code == 50 && len == 4)
			memcpy(&m->req_ip, p + i, 4);
		i += len;
	}
	return m->type != 0;
}

/* ---- client state machine ----------------------------------------------------------------- */

static struct sockaddr_in dst_server;

static void send_msg(uint32_t idx, double now)
{
	struct client *c = &cl[idx];
	uint8_t *p = sq_slot(&dst_server, now + 1.0);
	size_t len;

	if (c->state == CS_DISCOVER)
		len = build_request(p, c, idx, DISCOVER, false);
	else
		len = build_request(p, c, idx, REQUEST, opt.verify != NULL);
	sq_commit(len);
	c->deadline = now + (double)opt.timeout_ms / 1e3;
	if (t_first_send == 0)
		t_first_send = now;
}

static void inflight_remove(struct client *c)
{
	uint32_t last;

	if (c->slot < 0)
		return;
	last = inflight[--n_inflight];
	inflight[c->slot] = last;
	cl[last].slot = c->slot;
	c->slot = -1;
}

static void finish(uint32_t idx, int state)
{
	struct client *c = &cl[idx];

	c->state = (uint8_t)state;
	inflight_remove(c);
}

static void start_client(uint32_t idx, double now)
{
	struct client *c = &cl[idx];

	c->slot = (int32_t)n_inflight;
	inflight[n_inflight++] = idx;
	c->t_start = now;
	c->tries = 0;
	c->state = opt.verify ? CS_REQUEST : CS_DISCOVER;
	send_msg(idx, now);
}

static void on_ack(uint32_t idx, const struct dhcp_msg *m, double now)
{
	struct client *c = &cl[idx];
	char mac[18], ip[INET_ADDRSTRLEN];
	long other;

	if (m->yiaddr == 0) {
		n_ignored++;
		return;
	}
	if (m->yiaddr != c->offered)
		n_mismatch++;
	if (opt.verify && m->yiaddr != c->offered) {
		/* The server acknowledged a different address: the lease did not survive as such. */
		fmt_mac(c->mac, mac);
		inet_ntop(AF_INET, &m->yiaddr, ip, sizeof(ip));
		if (n_mismatch <= 5)
			fprintf(stderr, "dhcp_load: %s: ACK for %s, not the address in the file\n", mac, ip);
		finish(idx, CS_FAILED);
		return;
	}
	n_ack++;
	c->acked_ip = m->yiaddr;
	c->lat_ms = (float)((now - c->t_start) * 1e3);
	t_last_ack = now;
	other = set_claim(m->yiaddr, idx);
	if (other >= 0) {
		n_dup++;
		if (n_dup <= 5) {
			char mac2[18];

			fmt_mac(c->mac, mac);
			fmt_mac(cl[other].mac, mac2);
			inet_ntop(AF_INET, &m->yiaddr, ip, sizeof(ip));
			fprintf(stderr, "dhcp_load: DUPLICATE: %s ACKed to %s and to %s\n", ip, mac2, mac);
		}
	}
	if (acked_fp) {
		fmt_mac(c->mac, mac);
		inet_ntop(AF_INET, &m->yiaddr, ip, sizeof(ip));
		fprintf(acked_fp, "%s %s\n", mac, ip);
		fflush(acked_fp);
	}
	finish(idx, CS_DONE);
}

static void on_reply(const uint8_t *p, size_t n, const struct sockaddr_in *src, double now)
{
	struct dhcp_msg m;
	uint32_t rel, idx;
	unsigned gen;
	struct client *c;

	n_recv++;
	if (!parse_msg(p, n, &m) || m.op != 2) {
		n_ignored++;
		return;
	}
	rel = m.xid - xid_base;
	idx = rel / MAX_GEN;
	gen = rel % MAX_GEN;
	if (idx >= n_cl || memcmp(m.chaddr, cl[idx].mac, 6) != 0) {
		n_ignored++;
		return;
	}
	c = &cl[idx];
	t_last_reply = now;
	if (gen != c->gen) {
		n_stale++;
		return;
	}
	if (m.type == OFFER && c->state == CS_DISCOVER) {
		if (m.yiaddr == 0) {
			n_ignored++;
			return;
		}
		c->offered = m.yiaddr;
		c->server_id = m.server_id ? m.server_id : src->sin_addr.s_addr;
		c->state = CS_REQUEST;
		c->tries = 0;
		send_msg(idx, now);
	} else if (m.type == ACK && c->state == CS_REQUEST) {
		on_ack(idx, &m, now);
	} else if (m.type == NAK && c->state == CS_REQUEST) {
		n_nak++;
		if (opt.verify) {
			n_verify_nak++;
			finish(idx, CS_FAILED);
		} else if (c->naks < opt.nak_restarts && c->gen + 1 < MAX_GEN) {
			c->naks++;
			c->gen++;
			c->state = CS_DISCOVER;
			c->tries = 0;
			c->offered = c->server_id = 0;
			send_msg(idx, now);
		} else {
			finish(idx, CS_FAILED);
		}
	} else {
		n_stale++; /* a second OFFER, an ACK to a retransmission, ... */
	}
}

static double check_timeouts(double now)
{
	double next = now + (double)opt.timeout_ms / 1e3;

	for (unsigned long i = 0; i < n_inflight;) {
		uint32_t idx = inflight[i];
		struct client *c = &cl[idx];

		if (c->deadline <= now) {
			if (c->tries >= opt.retries) {
				n_timeout++;
				if (opt.verify)
					n_noreply++;
				finish(idx, CS_FAILED); /* moves another entry into slot i */
				continue;
			}
			c->tries++;
			n_retrans++;
			send_msg(idx, now);
		}
		if (c->deadline < next)
			next = c->deadline;
		i++;
	}
	return next;
}

/* ---- sockets ------------------------------------------------------------------------------ */

static int open_socket(struct in_addr addr, uint16_t port, const char *iface, bool bcast)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	int one = 1, buf = 4 << 20;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0) {
		perror("dhcp_load: socket");
		return -1;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* FORCE works as root (beyond rmem_max); the plain call is the fallback. */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bcast && setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) {
		perror("dhcp_load: SO_BROADCAST");
		close(s);
		return -1;
	}
	if (iface && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) < 0) {
		fprintf(stderr, "dhcp_load: SO_BINDTODEVICE %s: %s\n", iface, strerror(errno));
		close(s);
		return -1;
	}
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &addr, ip, sizeof(ip));
		fprintf(stderr, "dhcp_load: bind %s:%u: %s\n", ip, port, strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* ---- receive loop (shared by the generator and the null server) --------------------------- */

static struct {
	uint8_t buf[BATCH][PKT_IN];
	struct iovec iov[BATCH];
	struct mmsghdr mh[BATCH];
	struct sockaddr_in src[BATCH];
} rq;

static void rq_reset(void)
{
	for (unsigned i = 0; i < BATCH; i++) {
		rq.iov[i].iov_base = rq.buf[i];
		rq.iov[i].iov_len = PKT_IN;
		memset(&rq.mh[i], 0, sizeof(rq.mh[i]));
		rq.mh[i].msg_hdr.msg_name = &rq.src[i];
		rq.mh[i].msg_hdr.msg_namelen = sizeof(rq.src[i]);
		rq.mh[i].msg_hdr.msg_iov = &rq.iov[i];
		rq.mh[i].msg_hdr.msg_iovlen = 1;
	}
}

static int rq_recv(void)
{
	int r;

	for (unsigned i = 0; i < BATCH; i++)
		rq.mh[i].msg_hdr.msg_namelen = sizeof(rq.src[i]);
	r = recvmmsg(fd, rq.mh, BATCH, MSG_DONTWAIT, NULL);
	if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		/* ICMP errors (ECONNREFUSED) and the like: nothing to read this time. */
		static unsigned complaints;

		if (complaints++ < 5)
			fprintf(stderr, "dhcp_load: recv: %s\n", strerror(errno));
		return 0;
	}
	return r < 0 ? 0 : r;
}

/* ---- the generator ------------------------------------------------------------------------ */

static int load_verify_file(void)
{
	FILE *f = fopen(opt.verify, "r");
	char line[256];
	unsigned long cap = 1024;

	if (!f) {
		fprintf(stderr, "dhcp_load: %s: %s\n", opt.verify, strerror(errno));
		return -1;
	}
	cl = calloc(cap, sizeof(*cl));
	while (cl && fgets(line, sizeof(line), f)) {
		char macs[64], ips[64];
		uint8_t mac[6];
		struct in_addr ip;

		if (sscanf(line, "%63s %63s", macs, ips) != 2 || parse_hexbytes(macs, mac, 6) != 6 ||
		    inet_pton(AF_INET, ips, &ip) != 1 || ip.s_addr == 0 || !strchr(line, '\n')) {
			if (line[0] != '\n' && line[0] != '#')
				n_bad_lines++;
			continue;
		}
		if (n_cl == cap) {
			struct client *bigger = cap < MAX_COUNT ? realloc(cl, 2 * cap * sizeof(*cl)) : NULL;

			if (!bigger) {
				fprintf(stderr, "dhcp_load: %s: too many lines\n", opt.verify);
				fclose(f);
				return -1;
			}
			cl = bigger;
			memset(cl + cap, 0, cap * sizeof(*cl));
			cap *= 2;
		}
		memcpy(cl[n_cl].mac, mac, 6);
		cl[n_cl].offered = ip.s_addr;
		n_cl++;
	}
	fclose(f);
	if (!cl)
		return -1;
	return 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* The clients (MACs, or the leases to verify), the in-flight table and the socket. */
static int gen_setup(void)
{
	uint64_t rs = opt.seed;

	if (opt.verify) {
		if (load_verify_file() < 0)
			return -1;
	} else {
		n_cl = opt.count;
		cl = calloc(n_cl, sizeof(*cl));
		if (!cl)
			return -1;
		for (unsigned long i = 0; i < n_cl; i++) {
			uint64_t ctr = opt.mac_offset + i;

			memcpy(cl[i].mac, opt.prefix, opt.prefix_len);
			for (int b = 5; b >= (int)opt.prefix_len; b--, ctr >>= 8)
				cl[i].mac[b] = (uint8_t)ctr;
		}
	}
	for (unsigned long i = 0; i < n_cl; i++)
		cl[i].slot = -1;
	inflight = calloc(opt.conc, sizeof(*inflight));
	if (!inflight || set_init(n_cl ? n_cl : 1) < 0)
		return -1;
	xid_base = (uint32_t)splitmix(&rs);
	if (opt.acked) {
		acked_fp = fopen(opt.acked, "a");
		if (!acked_fp) {
			fprintf(stderr, "dhcp_load: %s: %s\n", opt.acked, strerror(errno));
			return -1;
		}
	}

	dst_server.sin_family = AF_INET;
	dst_server.sin_port = htons(67);
	if (opt.mode == M_RELAY) {
		dst_server.sin_addr = opt.server;
		fd = open_socket(opt.giaddr, 67, NULL, false);
	} else {
		struct in_addr any = { .s_addr = htonl(INADDR_ANY) };

		dst_server.sin_addr.s_addr = htonl(INADDR_BROADCAST);
		fd = open_socket(any, 68, opt.iface, true);
	}
	if (fd < 0)
		return -1;
	rq_reset();
	return 0;
}

/* Keeps opt.conc clients in flight until all are done, --duration-s or --stall-s. */
static void gen_loop(void)
{
	double end = now_s() + (double)opt.duration_s, next_check, now;

	now = now_s();
	next_check = now + (double)opt.timeout_ms / 1e3;
	while (!stop) {
		int n;

		now = now_s();
		if (now >= end) {
			fprintf(stderr, "dhcp_load: --duration-s %lu reached\n", opt.duration_s);
			break;
		}
		if (opt.stall_s && t_first_send > 0 &&
		    now - (t_last_reply > t_first_send ? t_last_reply : t_first_send) > (double)opt.stall_s) {
			fprintf(stderr, "dhcp_load: no reply for %lu s (--stall-s): giving up\n", opt.stall_s);
			break;
		}
		while (n_inflight < opt.conc && next_client < n_cl)
			start_client((uint32_t)next_client++, now);
		if (n_inflight == 0 && next_client >= n_cl)
			break;
		if (sq.n)
			sq_flush(end);
		n = rq_recv();
		if (n > 0) {
			now = now_s();
			for (int i = 0; i < n; i++)
				on_reply(rq.buf[i], rq.mh[i].msg_len, &rq.src[i], now);
		}
		if (now >= next_check)
			next_check = check_timeouts(now);
		if (n == 0 && sq.n == 0) {
			/* Nothing to read: sleep until the next deadline (or 100 ms). */
			struct pollfd p = { .fd = fd, .events = POLLIN };
			double wait = next_check - now_s();
			int ms = wait <= 0 ? 0 : (int)(wait * 1e3) + 1;

			if (ms > 100)
				ms = 100;
			if (poll(&p, 1, ms) == 0)
				next_check = check_timeouts(now_s());
		}
	}
	if (sq.n)
		sq_flush(now_s() + 1.0);

}

/* Latency percentiles and the summary lines; the exit status. */
static int gen_report(void)
{
	unsigned long unfinished = 0, unstarted;
	float *lat;
	unsigned long n_lat = 0;
	double secs, rate;
	int rc;

	lat = malloc((n_cl ? n_cl : 1) * sizeof(*lat));
	if (!lat)
		return 4;
	for (unsigned long i = 0; i < n_cl; i++) {
		if (cl[i].state == CS_DONE)
			lat[n_lat++] = cl[i].lat_ms;
		else if (cl[i].state == CS_DISCOVER || cl[i].state == CS_REQUEST)
			unfinished++;
	}
	unstarted = n_cl - next_client;
	qsort(lat, n_lat, sizeof(*lat), cmp_float);
	secs = t_last_ack > t_first_send ? t_last_ack - t_first_send : 0;
	rate = secs > 0 ? (double)n_ack / secs : 0;
#define PCT(q) (n_lat ? lat[(size_t)((double)(n_lat - 1) * (q) + 0.5)] : 0.0f)
	if (opt.verify) {
		unsigned long long bad = n_cl - n_ack;

		fprintf(stderr,
			"dhcp_load verify: %lu leases from %s: %llu ACKed with their address, %llu NAKed, "
			"%llu unanswered, %llu ACKed another address, %lu unfinished, %llu malformed lines; "
			"%.3f s, %.0f/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms; %llu retransmissions\n",
			n_cl, opt.verify, n_ack, n_verify_nak, n_noreply, n_mismatch, unfinished + unstarted,
			n_bad_lines, secs, rate, PCT(0.5), PCT(0.99), PCT(1.0), n_retrans);
		printf("verify=%lu acks=%llu naks=%llu noreply=%llu mismatch=%llu unfinished=%lu bad_lines=%llu "
		       "dup=%llu secs=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f retrans=%llu\n",
		       n_cl, n_ack, n_verify_nak, n_noreply, n_mismatch, unfinished + unstarted, n_bad_lines,
		       n_dup, secs, rate, PCT(0.5), PCT(0.99), PCT(1.0), n_retrans);
		rc = bad == 0 && n_dup == 0 ? 0 : 1;
	} else {
		unsigned long long fail = n_cl - n_ack;

		fprintf(stderr,
			"dhcp_load: %lu clients (%s, %lu in flight): %llu ACK, %llu NAK, %llu failed "
			"(%llu timed out, %lu unfinished, %lu never started), %llu duplicate addresses\n"
			"dhcp_load: %.3f s first send to last ACK, %.1f leases/s; DORA latency p50 %.2f ms, "
			"p99 %.2f ms, max %.2f ms\n"
			"dhcp_load: %llu sent (%llu retransmissions, %llu send errors), %llu received "
			"(%llu stale/duplicate, %llu ignored), %llu ACKs of another address than offered; seed %lu\n",
			n_cl, opt.mode == M_RELAY ? "relay" : "broadcast", opt.conc, n_ack, n_nak, fail,
			n_timeout, unfinished, unstarted, n_dup, secs, rate, PCT(0.5), PCT(0.99), PCT(1.0),
			n_sent, n_retrans, n_send_err, n_recv, n_stale, n_ignored, n_mismatch, opt.seed);
		printf("leases=%lu acks=%llu naks=%llu fail=%llu dup=%llu secs=%.3f rate=%.1f p50_ms=%.3f "
		       "p99_ms=%.3f max_ms=%.3f timeouts=%llu retrans=%llu unfinished=%lu mismatch=%llu "
		       "ignored=%llu\n",
		       n_cl, n_ack, n_nak, fail, n_dup, secs, rate, PCT(0.5), PCT(0.99), PCT(1.0), n_timeout,
		       n_retrans, unfinished + unstarted, n_mismatch, n_ignored + n_stale);
		rc = fail == 0 && n_dup == 0 ? 0 : 1;
	}
#undef PCT
	fflush(stdout);
	if (acked_fp)
		fclose(acked_fp);
	free(lat);
	return rc;
}

static int run_generator(void)
{
	if (gen_setup() < 0)
		return 4;
	gen_loop();
	return gen_report();
}

/* ---- the null server ---------------------------------------------------------------------- */

static size_t build_reply(uint8_t *p, const struct dhcp_msg *m, const uint8_t *req, int type)
{
	uint8_t *o;
	uint32_t yi = 0, mask = htonl(0xffff0000u);

	memset(p, 0, BOOTP_MIN);
	memcpy(p, req, DHCP_FIXED); /* xid, flags, giaddr, chaddr */
	p[0] = 2;
	memset(p + 12, 0, 12);      /* ciaddr, yiaddr, siaddr */
	memset(p + 44, 0, 192);     /* sname, file */
	if (type != NAK) {
		/* Stateless: the MAC's last three bytes pick the address. INIT-REBOOT gets its own. */
		uint32_t k = (uint32_t)m->chaddr[3] << 16 | (uint32_t)m->chaddr[4] << 8 | m->chaddr[5];

		yi = htonl(ntohl(opt.pool_base.s_addr) + k);
		if (m->req_ip && !m->server_id && m->type == REQUEST)
			yi = m->req_ip;
		memcpy(p + 16, &yi, 4);
	}
	put32(p + DHCP_FIXED, 0x63825363);
	o = p + DHCP_OPTS;
	*o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
	*o++ = 54, *o++ = 4;
	memcpy(o, &opt.listen.s_addr, 4), o += 4;
	if (type != NAK) {
		*o++ = 51, *o++ = 4, put32(o, 3600), o += 4;
		*o++ = 1, *o++ = 4;
		memcpy(o, &mask, 4), o += 4;
		*o++ = 3, *o++ = 4;
		memcpy(o, &opt.listen.s_addr, 4), o += 4;
	}
	*o++ = 255;
	return (size_t)(o - p) > BOOTP_MIN ? (size_t)(o - p) : BOOTP_MIN;
}

static int run_null_server(void)
{
	double end = now_s() + (double)opt.duration_s;
	unsigned long long offers = 0, acks = 0, other = 0;

	fd = open_socket(opt.listen, 67, NULL, false);
	if (fd < 0)
		return 4;
	rq_reset();
	fprintf(stderr, "dhcp_load: null server listening on %s:67\n", inet_ntoa(opt.listen));
	while (!stop && now_s() < end) {
		int n = rq_recv();

		for (int i = 0; i < n; i++) {
			struct dhcp_msg m;
			struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(67) };
			int type;
			uint8_t *p;

			if (!parse_msg(rq.buf[i], rq.mh[i].msg_len, &m) || m.op != 1 || !m.giaddr ||
			    (m.type != DISCOVER && m.type != REQUEST)) {
				other++;
				continue;
			}
			type = m.type == DISCOVER ? OFFER : ACK;
			to.sin_addr.s_addr = m.giaddr;
			p = sq_slot(&to, end);
			sq_commit(build_reply(p, &m, rq.buf[i], type));
			if (type == OFFER)
				offers++;
			else
				acks++;
		}
		if (sq.n)
			sq_flush(end);
		if (n == 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, 100);
		}
	}
	fprintf(stderr, "dhcp_load: null server: %llu OFFERs, %llu ACKs, %llu ignored\n", offers, acks, other);
	printf("offers=%llu acks=%llu ignored=%llu\n", offers, acks, other);
	return 0;
}

/* ---- arguments ---------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: dhcp_load --mode relay --giaddr A --server S [options]\n"
		"       dhcp_load --mode broadcast --iface IF [options]\n"
		"       dhcp_load --mode null-server --listen A [--duration-s D]\n"
		"  --count N           unique clients (MACs), default 1000\n"
		"  --concurrency C     clients in flight at most, default 64\n"
		"  --timeout-ms T      per-message retransmission timeout, default 1000\n"
		"  --retries R         retransmissions per message before the client fails, default 3\n"
		"  --nak-restarts K    restarts from DISCOVER after a NAK, default 3 (at most %d)\n"
		"  --mac-prefix HEX    leading MAC bytes, e.g. 02:42 (default); the rest is a counter\n"
		"  --mac-offset K      first counter value, default 0 (disjoint MACs for separate runs)\n"
		"  --seed S            xid seed (default: time and pid)\n"
		"  --acked FILE        append \"MAC IP\" per ACK, flushed per line\n"
		"  --verify FILE       INIT-REBOOT REQUEST for each \"MAC IP\" line instead of DORA\n"
		"  --duration-s D      upper bound on the whole run, default 300\n"
		"  --stall-s S         give up when no reply has come for S seconds, default 0 (off)\n"
		"  --pool-base A       null-server: first address it hands out, default 10.97.1.0\n",
		MAX_GEN - 1);
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "giaddr", required_argument, NULL, 'g' },
		{ "server", required_argument, NULL, 's' },
		{ "iface", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "nak-restarts", required_argument, NULL, 'k' },
		{ "mac-prefix", required_argument, NULL, 'p' },
		{ "mac-offset", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 'S' },
		{ "acked", required_argument, NULL, 'a' },
		{ "verify", required_argument, NULL, 'v' },
		{ "duration-s", required_argument, NULL, 'd' },
		{ "stall-s", required_argument, NULL, 'T' },
		{ "pool-base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r, n;

	opt.mode = M_RELAY;
	opt.count = 1000;
	opt.conc = 64;
	opt.timeout_ms = 1000;
	opt.retries = 3;
	opt.nak_restarts = 3;
	opt.duration_s = 300;
	opt.prefix[0] = 0x02, opt.prefix[1] = 0x42, opt.prefix_len = 2;
	inet_pton(AF_INET, "10.97.1.0", &opt.pool_base);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		r = 0;
		switch (ch) {
		case 'm':
			if (!strcmp(optarg, "relay"))
				opt.mode = M_RELAY;
			else if (!strcmp(optarg, "broadcast"))
				opt.mode = M_BROADCAST;
			else if (!strcmp(optarg, "null-server"))
				opt.mode = M_NULL;
			else
				r = -EINVAL;
			break;
		case 'g': r = inet_pton(AF_INET, optarg, &opt.giaddr) == 1 ? (opt.have_giaddr = true, 0) : -EINVAL; break;
		case 's': r = inet_pton(AF_INET, optarg, &opt.server) == 1 ? (opt.have_server = true, 0) : -EINVAL; break;
		case 'l': r = inet_pton(AF_INET, optarg, &opt.listen) == 1 ? (opt.have_listen = true, 0) : -EINVAL; break;
		case 'b': r = inet_pton(AF_INET, optarg, &opt.pool_base) == 1 ? 0 : -EINVAL; break;
		case 'i':
			opt.iface = optarg;
			r = strlen(optarg) > 0 && strlen(optarg) < IFNAMSIZ ? 0 : -EINVAL;
			break;
		case 'n': r = parse_ulong(optarg, 1, MAX_COUNT, &opt.count); break;
		case 'c': r = parse_ulong(optarg, 1, 100000, &opt.conc); break;
		case 't': r = parse_ulong(optarg, 1, 600000, &opt.timeout_ms); break;
		case 'r': r = parse_ulong(optarg, 0, 100, &opt.retries); break;
		case 'k': r = parse_ulong(optarg, 0, MAX_GEN - 1, &opt.nak_restarts); break;
		case 'p':
			n = parse_hexbytes(optarg, opt.prefix, 5);
			r = n >= 1 ? (opt.prefix_len = (unsigned)n, 0) : -EINVAL;
			break;
		case 'o': r = parse_ulong(optarg, 0, ULONG_MAX, &opt.mac_offset); break;
		case 'S':
			r = parse_ulong(optarg, 0, ULONG_MAX, &opt.seed);
			opt.have_seed = true;
			break;
		case 'a': opt.acked = optarg; break;
		case 'v': opt.verify = optarg; break;
		case 'd': r = parse_ulong(optarg, 1, 86400, &opt.duration_s); break;
		case 'T': r = parse_ulong(optarg, 0, 86400, &opt.stall_s); break;
		case 'h': usage(); exit(0);
		default: return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "dhcp_load: bad value: %s\n", optarg);
			return r;
		}
	}
	if (optind != argc)
		return -EINVAL;
	if (opt.mode == M_RELAY && (!opt.have_giaddr || !opt.have_server)) {
		fprintf(stderr, "dhcp_load: relay mode needs --giaddr and --server\n");
		return -EINVAL;
	}
	if (opt.mode == M_BROADCAST && !opt.iface) {
		fprintf(stderr, "dhcp_load: broadcast mode needs --iface\n");
		return -EINVAL;
	}
	if (opt.mode == M_NULL && !opt.have_listen) {
		fprintf(stderr, "dhcp_load: null-server mode needs --listen\n");
		return -EINVAL;
	}
	if (opt.verify && opt.acked) {
		fprintf(stderr, "dhcp_load: --verify and --acked do not go together\n");
		return -EINVAL;
	}
	/* The counter must be able to tell --count clients apart after the prefix. */
	if (opt.mode != M_NULL && !opt.verify) {
		unsigned bits = 8 * (6 - opt.prefix_len);
		unsigned long long room = bits >= 64 ? ULLONG_MAX : (1ULL << bits);

		if ((unsigned long long)opt.mac_offset + opt.count > room) {
			fprintf(stderr, "dhcp_load: --mac-offset + --count exceed the %u counter bytes\n",
				6 - opt.prefix_len);
			return -EINVAL;
		}
	}
	if (!opt.have_seed)
		opt.seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (parse_args(argc, argv) < 0) {
		usage();
		return 64;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns and the summary is printed */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	return opt.mode == M_NULL ? run_null_server() : run_generator();
}
