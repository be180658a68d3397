/* DHCP on the libuv loop. Each configured interface has its own UDP socket on port 67 (and
 * 4011 in proxy mode), bound to the device so a request is answered on the interface it
 * came from and nothing is ever answered elsewhere. Requests are read in batches with
 * recvmmsg, decided by dhcp_server (pure), and the replies sent:
 *   - broadcast and unicast through the interface's UDP socket;
 *   - to a client that has no address yet and did not ask for broadcast, through a packet
 *     socket straight to its hardware address (no ARP entry needed), with broadcast as the
 *     fallback.
 * A reply that grants a lease waits until the lease is durable: it is queued on store_async
 * and leaves from the commit's callback, so one fsync covers every ACK of a burst. */
#include "dhcp/dhcp_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/netaddr.h"
#include "core/peers.h"
#include "core/sock.h"
#include "core/util.h"
#include "dhcp/dhcp_server.h"
#include "store/store_async.h"

#define DHCP_RX_SLOTS 32   /* datagrams per recvmmsg */
#define DHCP_RX_ROUNDS 8   /* recvmmsg calls per readiness, at most */
#define DHCP_RX_BUF 4096
#define DHCP_PURGE_AGE_MS (7ull * 86400 * 1000) /* rows lapsed this long are deleted at start */

#define DHCP_TX_SLOTS 64  /* replies queued per socket before one sendmmsg */

struct dhcp_iface;

/* Who a queued reply is for, to name it when the kernel refuses it. */
struct dhcp_txmeta {
	uint8_t mac[6];
	uint32_t xid;
	enum bw_dhcp_msg_type type;
	uint32_t yiaddr;
};

/* Replies waiting for the next sendmmsg: flushed at the end of each read batch and, for
 * replies released by a lease commit, from the loop's check phase. */
struct dhcp_txq {
	unsigned n;
	struct mmsghdr mm[DHCP_TX_SLOTS];
	struct iovec iov[DHCP_TX_SLOTS];
	struct sockaddr_in to[DHCP_TX_SLOTS];
	struct dhcp_txmeta meta[DHCP_TX_SLOTS];
	uint8_t buf[DHCP_TX_SLOTS][BW_DHCP_REPLY_CAP];
};

struct dhcp_sock {
	uv_poll_t poll;
	int fd;
	bool boot_port;
	bool polling;
	struct dhcp_iface *ifc;
	struct dhcp_txq *txq;
};

struct dhcp_iface {
	char name[IF_NAMESIZE];
	unsigned ifindex;
	uint32_t addr, mask; /* host byte order */
	struct dhcp_sock main, boot;
	int raw_fd;          /* AF_PACKET for replies to clients without an address, or -1 */
	struct bw_dhcp_service *svc;
};

struct bw_dhcp_service {
	uv_loop_t *loop;
	const struct bw_dhcp_config *cfg;
	struct bw_peers *peers;       /* learns address -> MAC from leases; may be NULL */
	struct bw_dhcp_server *server;
	struct bw_store *store;
	struct bw_store_opts store_opts; /* owner of new database files */
	struct bw_store_async *async;
	unsigned n_ifaces;
	struct dhcp_iface *ifaces;
	bool stopping;
	unsigned pending;    /* replies waiting for a commit or a delay */
	unsigned closing;    /* handles not yet closed */
	uv_check_t flush;    /* sends what commit callbacks queued */
	bool flush_started;
	struct dhcp_pending *free_pending; /* recycled, so a lease costs no malloc */
	struct bw_dhcp_msg *msg;
	struct bw_dhcp_out *out;
	uint8_t rx_buf[DHCP_RX_SLOTS][DHCP_RX_BUF];
	struct iovec rx_iov[DHCP_RX_SLOTS];
	struct mmsghdr rx_mm[DHCP_RX_SLOTS];
	struct sockaddr_in rx_from[DHCP_RX_SLOTS];
};

/* A reply waiting for its lease to be durable, or for a firmware's delay (only then does it
 * use its timer). */
struct dhcp_pending {
	struct dhcp_iface *ifc;
	bool boot_port;
	bool has_timer;
	struct dhcp_pending *next_free;
	uv_timer_t timer;
	struct bw_dhcp_out out;
};

static uint64_t dhcp_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *dhcp_mac_str(const uint8_t *mac, char *buf)
{
	bw_mac_format(mac, ':', buf);
	return buf;
}

static const char *dhcp_kind(const struct bw_pxe_client *c)
{
	if (c->is_ipxe)
		return "ipxe";
	if (c->is_http)
		return "uefi-http";
	if (c->is_pxe)
		return "pxe";
	return "dhcp";
}

/* ---- sending ---- */

/* Sends to yiaddr:68 at the client's hardware address through the packet socket: IP and
 * UDP headers are ours (dhcp_wire), Ethernet's the kernel's. */
static int dhcp_send_hw(struct dhcp_iface *ifc, const struct bw_dhcp_out *out)
{
	uint8_t frame[BW_DHCP_UDP4_HDR + BW_DHCP_REPLY_CAP];
	struct bw_dhcp_udp4 h = {.src = ifc->addr, .dst = out->dest_addr, .sport = 67,
				 .dport = out->dest_port, .ttl = 64};
	struct sockaddr_ll ll = {0};
	size_t n;

	if (ifc->raw_fd < 0)
		return -ENOTSUP;
	if (bw_dhcp_build_udp4(&h, out->pkt, out->len, frame, sizeof(frame), &n) < 0)
		return -EMSGSIZE;
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = (int)ifc->ifindex;
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, out->chaddr, 6);
	if (sendto(ifc->raw_fd, frame, n, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return -errno;
	return 0;
}

/* A queued reply the kernel refused (EPERM from a firewall rule, EHOSTUNREACH, ...): said
 * once per client and reason, and at most a burst per second for the interface. */
static void dhcp_txq_refused(struct dhcp_sock *sk, unsigned i, int err)
{
	const struct dhcp_txmeta *m = &sk->txq->meta[i];
	uint64_t now = bw_now_ms();
	char mac[18], a[16];

	dhcp_mac_str(m->mac, mac);
	if (!bw_log_ratelimit(mac, "reply refused", now) ||
	    !bw_log_ratelimit(sk->ifc->name, "reply refused", now))
		return;
	bw_ipv4_format(m->yiaddr, a);
	bw_log(BW_LOG_WARN, "dhcp", mac, "xid=0x%08x iface=%s: %s%s%s not sent: %s; dropping it "
	       "(the other replies go on)", m->xid, sk->ifc->name,
	       m->type == BW_DHCP_NONE ? "BOOTREPLY" : bw_dhcp_type_name(m->type),
	       m->yiaddr ? " " : "", m->yiaddr ? a : "", strerror(err));
}

/* Sends every queued reply of sk with one sendmmsg (a few when one fails). A datagram the
 * kernel refuses is skipped (sendmmsg stops at it: the ones before it went, it did not) and
 * the rest are sent; only a full socket buffer (EAGAIN, ENOBUFS) drops what is left, for
 * the clients retransmit. */
static void dhcp_txq_flush(struct dhcp_sock *sk)
{
	struct dhcp_txq *q = sk->txq;
	unsigned done = 0;

	if (!q || !q->n)
		return;
	for (unsigned guard = 0; done < q->n && guard < 2 * DHCP_TX_SLOTS; guard++) {
		int r = sendmmsg(sk->fd, q->mm + done, q->n - done, MSG_DONTWAIT);
		int err = r < 0 ? errno : 0;

		if (r > 0) {
			done += (unsigned)r;
		} else if (err == EAGAIN || err == ENOBUFS) {
			if (bw_log_ratelimit(sk->ifc->name, "sendmmsg", bw_now_ms()))
				bw_log(BW_LOG_WARN, "dhcp", NULL, "iface=%s: %u replies not sent: %s",
				       sk->ifc->name, q->n - done, strerror(err));
			break;
		} else if (err != EINTR) {
			dhcp_txq_refused(sk, done++, err);
		}
	}
	q->n = 0;
}

static void dhcp_flush_all(struct bw_dhcp_service *svc)
{
	for (unsigned i = 0; i < svc->n_ifaces; i++) {
		dhcp_txq_flush(&svc->ifaces[i].main);
		dhcp_txq_flush(&svc->ifaces[i].boot);
	}
}

static void dhcp_flush_cb(uv_check_t *h)
{
	dhcp_flush_all(h->data);
}

/* Queues a reply on sk for the next flush. */
static int dhcp_send_udp(struct dhcp_sock *sk, const struct bw_dhcp_out *out, uint32_t addr,
			 uint16_t port)
{
	struct dhcp_txq *q = sk->txq;
	unsigned i;

	if (!q)
		return -ENOTCONN;
	if (q->n == DHCP_TX_SLOTS)
		dhcp_txq_flush(sk);
	i = q->n++;
	memcpy(q->buf[i], out->pkt, out->len);
	q->iov[i] = (struct iovec){.iov_base = q->buf[i], .iov_len = out->len};
	q->to[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port),
					.sin_addr.s_addr = htonl(addr)};
	q->mm[i].msg_hdr = (struct msghdr){.msg_name = &q->to[i], .msg_namelen = sizeof(q->to[i]),
					   .msg_iov = &q->iov[i], .msg_iovlen = 1};
	q->meta[i] = (struct dhcp_txmeta){.xid = out->xid, .type = out->type,
					  .yiaddr = out->yiaddr};
	memcpy(q->meta[i].mac, out->chaddr, 6);
	return 0;
}

static void dhcp_log_reply(struct dhcp_iface *ifc, const struct bw_dhcp_out *out,
			   const char *mac, uint32_t xid, int err)
{
	char xs[12];
	struct bw_log_field f[6] = {
		BW_LF_S("xid", xs),
		BW_LF_S("iface", ifc->name),
		BW_LF_S("client", dhcp_kind(&out->pxe)),
		BW_LF_S("arch", bw_arch_name(out->pxe.arch)),
	};
	unsigned n = 4;

	if (out->profile[0])
		f[n++] = (struct bw_log_field)BW_LF_S("profile", out->profile);
	if (out->hostname[0])
		f[n++] = (struct bw_log_field)BW_LF_S("hostname", out->hostname);
	snprintf(xs, sizeof(xs), "0x%08x", xid);
	if (err < 0)
		bw_log_f(BW_LOG_WARN, "dhcp", mac, f, n, "%s: sending failed: %s", out->verdict,
			 strerror(-err));
	else
		bw_log_f(BW_LOG_INFO, "dhcp", mac, f, n, "%s", out->verdict);
}

/* Sends out on ifc; a reply to a request that came to port 4011 leaves from 4011. */
static void dhcp_transmit(struct dhcp_iface *ifc, const struct bw_dhcp_out *out, bool boot_port)
{
	struct dhcp_sock *sk = boot_port && ifc->boot.fd >= 0 ? &ifc->boot : &ifc->main;
	char mac[18];
	int r = 0;

	switch (out->dest) {
	case BW_DHCP_DEST_NONE: break;
	case BW_DHCP_DEST_BROADCAST: r = dhcp_send_udp(sk, out, 0xffffffffu, 68); break;
	case BW_DHCP_DEST_UNICAST: r = dhcp_send_udp(sk, out, out->dest_addr, out->dest_port); break;
	case BW_DHCP_DEST_HW:
		r = dhcp_send_hw(ifc, out);
		if (r < 0) /* no packet socket: broadcast reaches it too */
			r = dhcp_send_udp(sk, out, 0xffffffffu, 68);
		break;
	}
	if (r == 0 && out->type == BW_DHCP_ACK && out->yiaddr)
		bw_peers_learn_v4(ifc->svc->peers, out->yiaddr, out->chaddr,
				  out->hostname[0] ? out->hostname : out->lease.hostname,
				  dhcp_wall_ms());
	if ((out->dest != BW_DHCP_DEST_NONE || out->persist) &&
	    (r < 0 || bw_log_enabled(BW_LOG_INFO)))
		dhcp_log_reply(ifc, out, dhcp_mac_str(out->chaddr, mac), out->xid, r);
}

/* ---- replies that wait ---- */

static void dhcp_service_finish(struct bw_dhcp_service *svc);

static void dhcp_pending_recycle(struct bw_dhcp_service *svc, struct dhcp_pending *p)
{
	p->next_free = svc->free_pending;
	svc->free_pending = p;
	svc->pending--;
	if (svc->stopping && !svc->pending)
		dhcp_service_finish(svc);
}

static void dhcp_pending_timer_closed(uv_handle_t *h)
{
	struct dhcp_pending *p = h->data;

	p->has_timer = false;
	dhcp_pending_recycle(p->ifc->svc, p);
}

static void dhcp_pending_done(struct dhcp_pending *p)
{
	if (p->has_timer)
		uv_close((uv_handle_t *)&p->timer, dhcp_pending_timer_closed);
	else
		dhcp_pending_recycle(p->ifc->svc, p);
}

static void dhcp_delay_cb(uv_timer_t *t)
{
	struct dhcp_pending *p = t->data;

	dhcp_transmit(p->ifc, &p->out, p->boot_port);
	dhcp_pending_done(p);
}

static void dhcp_pending_delay(struct dhcp_pending *p)
{
	uv_timer_init(p->ifc->svc->loop, &p->timer);
	p->timer.data = p;
	p->has_timer = true;
	uv_timer_start(&p->timer, dhcp_delay_cb, p->out.delay_ms, 0);
}

/* A lease that could not be made durable: no reply, and the pool forgets the binding (the
 * address returns to what it was: free, or the client's previous lease), so a full disk or
 * a locked database does not leak addresses until a restart. */
static void dhcp_commit_failed(struct dhcp_pending *p, int status)
{
	struct bw_dhcp_service *svc = p->ifc->svc;
	int u = svc->server ? bw_dhcp_server_unbind(svc->server, &p->out) : -ENOENT;
	char mac[18];

	/* a database gone fails every commit: the store said so, these lines are the echo */
	if (status == -ESTALE && !bw_log_ratelimit("lease-db", "gone", bw_now_ms()))
		return;
	bw_log(BW_LOG_ERROR, "dhcp", dhcp_mac_str(p->out.chaddr, mac),
	       "%s: not sent: writing the lease failed: %s%s", p->out.verdict,
	       status == -ESTALE ? "the lease database was deleted or replaced" : strerror(-status),
	       u == 0 ? "; binding undone" : u == -ESTALE ? "; binding kept (changed since)" : "");
}

/* With the lease database deleted or replaced (-ESTALE) nothing can be made durable any
 * more. New bindings get no ACK (above), but a renewal of a lease this server already
 * holds bound for the same client, unexpired, is answered from memory: that client's
 * address was promised before the file went and is held in the pool either way, so
 * refusing would only take the address from a working client at its lease's end, while
 * handing out nothing new keeps the risk where it was. */
static bool dhcp_answer_from_memory(const struct dhcp_pending *p, int status)
{
	const struct bw_dhcp_pool_undo *u = &p->out.undo;
	char mac[18];

	if (status != -ESTALE || !u->addr || u->before.state != BW_DHCP_SLOT_BOUND ||
	    !u->before.has_mac || memcmp(u->before.mac, p->out.chaddr, 6) != 0 ||
	    u->before.expires_ms <= (uint64_t)p->out.lease.starts_ms)
		return false;
	if (bw_log_ratelimit("lease-db", "renewal from memory", bw_now_ms()))
		bw_log(BW_LOG_WARN, "dhcp", dhcp_mac_str(p->out.chaddr, mac),
		       "%s: renewal answered from memory: the lease database was deleted or "
		       "replaced, this lease is not recorded", p->out.verdict);
	return true;
}

static void dhcp_committed_cb(void *ctx, int status)
{
	struct dhcp_pending *p = ctx;

	if (status < 0 && !dhcp_answer_from_memory(p, status)) {
		/* Not durable: an ACK now could hand the address out twice after a crash. */
		dhcp_commit_failed(p, status);
	} else if (p->out.delay_ms && !p->ifc->svc->stopping) {
		dhcp_pending_delay(p);
		return;
	} else {
		dhcp_transmit(p->ifc, &p->out, p->boot_port); /* flushed in the check phase */
	}
	dhcp_pending_done(p);
}

/* Takes a copy of out: persists it first and/or delays it, then sends. */
static void dhcp_defer(struct dhcp_iface *ifc, const struct bw_dhcp_out *out, bool boot_port)
{
	struct bw_dhcp_service *svc = ifc->svc;
	struct dhcp_pending *p = svc->free_pending;
	char mac[18];
	int r;

	if (p)
		svc->free_pending = p->next_free;
	else
		p = malloc(sizeof(*p));
	if (!p) {
		bw_log(BW_LOG_ERROR, "dhcp", dhcp_mac_str(out->chaddr, mac),
		       "%s: dropped: out of memory", out->verdict);
		return;
	}
	p->ifc = ifc;
	p->boot_port = boot_port;
	p->has_timer = false;
	memcpy(&p->out, out, offsetof(struct bw_dhcp_out, pkt) + out->len);
	svc->pending++;
	if (!out->persist) {
		dhcp_pending_delay(p);
		return;
	}
	r = bw_store_async_put(svc->async, &out->lease, dhcp_committed_cb, p);
	if (r < 0) {
		dhcp_commit_failed(p, r);
		dhcp_pending_done(p);
	}
}

/* ---- receiving ---- */

static void dhcp_log_drop(const struct bw_dhcp_out *out, const struct bw_dhcp_msg *m,
			  struct dhcp_iface *ifc, uint64_t now)
{
	char mac[18];
	enum bw_log_level lvl = out->drop_debug ? BW_LOG_DEBUG : BW_LOG_INFO;

	if (!bw_log_enabled(lvl))
		return;
	dhcp_mac_str(m->hdr.chaddr, mac);
	if (!bw_log_ratelimit(mac, out->verdict, bw_now_ms()))
		return;
	(void)now;
	bw_log(lvl, "dhcp", mac, "xid=0x%08x iface=%s: %s", m->hdr.xid, ifc->name,
	       out->verdict);
}

/* What the server wants the operator to know (a cap reached): at most a burst per second
 * per client and per interface. */
static void dhcp_log_warn(const struct bw_dhcp_out *out, struct dhcp_iface *ifc)
{
	uint64_t now = bw_now_ms();
	char mac[18];

	dhcp_mac_str(out->chaddr, mac);
	if (bw_log_ratelimit(mac, "dhcp warn", now) && bw_log_ratelimit(ifc->name, "dhcp warn", now))
		bw_log(BW_LOG_WARN, "dhcp", mac, "xid=0x%08x iface=%s: %s", out->xid, ifc->name,
		       out->warn);
}

static void dhcp_rx_one(struct dhcp_sock *sk, const struct sockaddr_in *from,
			const uint8_t *buf, size_t len, uint64_t now)
{
	struct dhcp_iface *ifc = sk->ifc;
	struct bw_dhcp_service *svc = ifc->svc;
	struct bw_dhcp_out *out = svc->out;
	struct bw_dhcp_in in;
	char peer[BW_ADDRSTRLEN];
	int r;

	r = bw_dhcp_parse(buf, len, svc->msg);
	if (r < 0) {
		bw_sock_addr_str((const struct sockaddr *)from, peer, sizeof(peer));
		if (bw_log_enabled(BW_LOG_DEBUG) && bw_log_ratelimit(peer, "malformed", bw_now_ms()))
			bw_log(BW_LOG_DEBUG, "dhcp", peer, "iface=%s: dropping %zu-byte packet: %s",
			       ifc->name, len, r == -EOPNOTSUPP ? "not Ethernet"
					       : r == -EMSGSIZE ? "too large" : "malformed");
		return;
	}
	in = (struct bw_dhcp_in){
		.msg = svc->msg,
		.iface = ifc->name,
		.server_addr = ifc->addr,
		.iface_mask = ifc->mask,
		.boot_port = sk->boot_port,
		.src_addr = ntohl(from->sin_addr.s_addr),
		.src_port = ntohs(from->sin_port),
		.now = now,
		.quiet = !bw_log_enabled(BW_LOG_INFO),
	};
	bw_dhcp_server_step(svc->server, &in, out);
	if (out->warn[0])
		dhcp_log_warn(out, ifc);
	if (out->persist || out->delay_ms)
		dhcp_defer(ifc, out, sk->boot_port);
	else if (out->dest != BW_DHCP_DEST_NONE)
		dhcp_transmit(ifc, out, sk->boot_port);
	else
		dhcp_log_drop(out, svc->msg, ifc, now);
}

static void dhcp_poll_cb(uv_poll_t *h, int status, int events)
{
	struct dhcp_sock *sk = h->data;
	struct bw_dhcp_service *svc = sk->ifc->svc;
	uint64_t now = dhcp_wall_ms();
	int n = DHCP_RX_SLOTS;

	if (status < 0)
		return;
	for (unsigned round = 0; round < DHCP_RX_ROUNDS && n == DHCP_RX_SLOTS; round++) {
		bw_sock_rx_batch_prepare(svc->rx_mm, svc->rx_iov, svc->rx_from,
					 sizeof(svc->rx_from[0]), svc->rx_buf,
					 sizeof(svc->rx_buf[0]), DHCP_RX_SLOTS);
		n = recvmmsg(sk->fd, svc->rx_mm, DHCP_RX_SLOTS, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			size_t len = svc->rx_mm[i].msg_len;

			if (svc->rx_mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				len = sizeof(svc->rx_buf[i]) + 1; /* refused as too large */
			dhcp_rx_one(sk, &svc->rx_from[i], svc->rx_buf[i],
				    len > sizeof(svc->rx_buf[i]) ? BW_DHCP_MAX_LEN + 1 : len, now);
		}
	}
	dhcp_flush_all(svc);
}

/* ---- set-up ---- */

static int dhcp_iface_addr(struct dhcp_iface *ifc, const char *server_ip)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, ifc->name))
			continue;
		ifc->addr = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		ifc->mask = i->ifa_netmask
				    ? ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr)
				    : 0;
		found = true;
		break;
	}
	freeifaddrs(ifa);
	if (server_ip) {
		struct in_addr a;

		inet_pton(AF_INET, server_ip, &a);
		ifc->addr = ntohl(a.s_addr);
		return 0;
	}
	return found ? 0 : -EADDRNOTAVAIL;
}

static int dhcp_sock_open(struct dhcp_iface *ifc, struct dhcp_sock *sk, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd, r;

	sk->ifc = ifc;
	sk->boot_port = port == 4011;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifc->name, strlen(ifc->name) + 1) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	bw_sock_set_buffers(fd, 4 << 20, 1 << 20);
	sk->txq = calloc(1, sizeof(*sk->txq));
	if (!sk->txq) {
		close(fd);
		return -ENOMEM;
	}
	sk->fd = fd;
	return 0;
}

static int dhcp_raw_open(struct dhcp_iface *ifc)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = 0,
				 .sll_ifindex = (int)ifc->ifindex};
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	/* Protocol 0: this socket only sends, it receives nothing. */
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int dhcp_iface_open(struct bw_dhcp_service *svc, struct dhcp_iface *ifc, const char *name)
{
	char a[16];
	int r;

	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->svc = svc;
	ifc->main.fd = ifc->boot.fd = ifc->raw_fd = -1;
	ifc->ifindex = if_nametoindex(name);
	if (!ifc->ifindex) {
		bw_log(BW_LOG_ERROR, "dhcp", NULL, "interface %s: no such interface", name);
		return -ENODEV;
	}
	r = dhcp_iface_addr(ifc, svc->cfg->server_ip);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "dhcp", NULL, "interface %s: no IPv4 address (give it one, or "
		       "set dhcp.server_ip)", name);
		return r;
	}
	r = dhcp_sock_open(ifc, &ifc->main, 67);
	if (r == 0 && svc->cfg->mode == BW_DHCP_MODE_PROXY)
		r = dhcp_sock_open(ifc, &ifc->boot, 4011);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "dhcp", NULL, "interface %s: cannot listen on port %s: %s", name,
		       ifc->main.fd < 0 ? "67" : "4011", strerror(-r));
		return r;
	}
	if (svc->cfg->mode == BW_DHCP_MODE_SERVER) {
		ifc->raw_fd = dhcp_raw_open(ifc);
		if (ifc->raw_fd < 0)
			bw_log(BW_LOG_WARN, "dhcp", NULL, "interface %s: no packet socket (%s): "
			       "replies to clients without an address are broadcast", name,
			       strerror(-ifc->raw_fd));
	}
	bw_ipv4_format(ifc->addr, a);
	bw_log(BW_LOG_INFO, "dhcp", NULL, "serving %s as %s (%s mode)", name, a,
	       svc->cfg->mode == BW_DHCP_MODE_PROXY ? "proxy" : "server");
	return 0;
}

static void dhcp_sock_start(struct bw_dhcp_service *svc, struct dhcp_sock *sk)
{
	if (sk->fd < 0)
		return;
	uv_poll_init(svc->loop, &sk->poll, sk->fd);
	sk->poll.data = sk;
	sk->polling = true;
	uv_poll_start(&sk->poll, UV_READABLE, dhcp_poll_cb);
}

struct dhcp_restore_ctx {
	struct bw_dhcp_service *svc;
	uint64_t now;
	unsigned bound, stale;
};

static int dhcp_restore_cb(const struct bw_lease_rec *rec, void *ctx)
{
	struct dhcp_restore_ctx *rc = ctx;

	if (bw_dhcp_server_restore(rc->svc->server, rec, rc->now) < 0)
		rc->stale++;
	else if (rec->state == BW_LEASE_BOUND && (uint64_t)rec->expires_ms > rc->now) {
		rc->bound++;
		bw_peers_learn_v4(rc->svc->peers, rec->addr, rec->mac, rec->hostname, rc->now);
	}
	return 0;
}

/* Applies the quarantine caps to what is held (restored rows, a lowered cap). */
static void dhcp_trim(struct bw_dhcp_service *svc, const char *where)
{
	unsigned n = bw_dhcp_server_trim(svc->server, dhcp_wall_ms());

	if (n)
		bw_log(BW_LOG_WARN, "dhcp", NULL, "%u quarantined addresses %s were over "
		       "dhcp.decline_max_per_mac or decline_max_percent: released early", n, where);
}

/* Opens the lease database (creating its directory when it is the default one) and puts
 * its leases back into the pools. */
static int dhcp_store_open(struct bw_dhcp_service *svc)
{
	struct dhcp_restore_ctx rc = {.svc = svc, .now = dhcp_wall_ms()};
	char err[1024], dir[4096];
	size_t purged = 0;
	char *slash;
	int r;

	snprintf(dir, sizeof(dir), "%s", svc->cfg->lease_db);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (bw_store_make_dir(dir, &svc->store_opts, err, sizeof(err)) < 0)
			bw_log(BW_LOG_WARN, "dhcp", NULL, "%s", err);
	}
	r = bw_store_open_opts(svc->cfg->lease_db, &svc->store_opts, &svc->store, err,
			       sizeof(err));
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "dhcp", NULL, "%s", err);
		return r;
	}
	bw_store_lease_purge(svc->store, (int64_t)(rc.now - DHCP_PURGE_AGE_MS), &purged);
	r = bw_store_lease_foreach(svc->store, dhcp_restore_cb, &rc);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "dhcp", NULL, "reading leases from %s failed: %s",
		       svc->cfg->lease_db, strerror(-r));
		return r;
	}
	bw_log(BW_LOG_INFO, "dhcp", NULL, "lease database %s: %u active leases, %u stale rows "
	       "ignored, %zu old rows purged", svc->cfg->lease_db, rc.bound, rc.stale, purged);
	dhcp_trim(svc, "in the lease database");
	return bw_store_async_new(svc->loop, svc->store, &svc->async);
}

int bw_dhcp_service_new(uv_loop_t *loop, const struct bw_dhcp_config *cfg,
			const struct bw_profile_set *ps, struct bw_peers *peers,
			const struct bw_store_opts *store_opts, struct bw_dhcp_service **ret)
{
	struct bw_dhcp_service *svc = calloc(1, sizeof(*svc));
	char err[256];
	int r = -ENOMEM;

	if (!svc)
		goto fail;
	svc->loop = loop;
	svc->cfg = cfg;
	svc->peers = peers;
	if (store_opts)
		svc->store_opts = *store_opts;
	svc->msg = malloc(sizeof(*svc->msg));
	svc->out = malloc(sizeof(*svc->out));
	svc->ifaces = calloc(cfg->n_interfaces, sizeof(*svc->ifaces));
	if (!svc->msg || !svc->out || !svc->ifaces)
		goto fail;
	r = bw_dhcp_server_new(cfg, &svc->server, err, sizeof(err));
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "dhcp", NULL, "%s", err);
		goto fail;
	}
	bw_dhcp_server_set_profiles(svc->server, ps);
	if (cfg->mode == BW_DHCP_MODE_SERVER && (r = dhcp_store_open(svc)) < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		svc->n_ifaces++;
		r = dhcp_iface_open(svc, &svc->ifaces[i], cfg->interfaces[i]);
		if (r < 0)
			goto fail;
	}
	for (unsigned i = 0; i < svc->n_ifaces; i++) {
		dhcp_sock_start(svc, &svc->ifaces[i].main);
		dhcp_sock_start(svc, &svc->ifaces[i].boot);
	}
	uv_check_init(loop, &svc->flush);
	svc->flush.data = svc;
	uv_check_start(&svc->flush, dhcp_flush_cb);
	svc->flush_started = true;
	*ret = svc;
	return 0;
fail:
	if (svc) {
		if (svc->async)
			bw_store_async_close(svc->async);
		svc->stopping = true;
		dhcp_service_finish(svc);
	}
	return r;
}

static void dhcp_handle_closed(struct bw_dhcp_service *svc)
{
	if (--svc->closing == 0) {
		free(svc->ifaces);
		free(svc);
	}
}

static void dhcp_close_cb(uv_handle_t *h)
{
	struct dhcp_sock *sk = h->data;

	dhcp_handle_closed(sk->ifc->svc);
}

static void dhcp_flush_closed_cb(uv_handle_t *h)
{
	dhcp_handle_closed(h->data);
}

/* Closes sockets and frees everything; runs once nothing is pending. */
static void dhcp_service_finish(struct bw_dhcp_service *svc)
{
	if (svc->async)
		svc->async = NULL; /* it freed itself after its last callback */
	bw_store_close(svc->store);
	svc->store = NULL;
	bw_dhcp_server_free(svc->server);
	svc->server = NULL;
	free(svc->msg);
	free(svc->out);
	svc->msg = NULL;
	svc->out = NULL;
	while (svc->free_pending) {
		struct dhcp_pending *p = svc->free_pending;

		svc->free_pending = p->next_free;
		free(p);
	}
	dhcp_flush_all(svc);
	if (svc->flush_started) {
		svc->closing++;
		uv_close((uv_handle_t *)&svc->flush, dhcp_flush_closed_cb);
		svc->flush_started = false;
	}
	for (unsigned i = 0; svc->ifaces && i < svc->n_ifaces; i++) {
		struct dhcp_iface *ifc = &svc->ifaces[i];
		struct dhcp_sock *socks[2] = {&ifc->main, &ifc->boot};

		for (int k = 0; k < 2; k++) {
			if (socks[k]->polling) {
				svc->closing++;
				uv_close((uv_handle_t *)&socks[k]->poll, dhcp_close_cb);
			}
			if (socks[k]->fd >= 0)
				close(socks[k]->fd);
			socks[k]->fd = -1;
			free(socks[k]->txq);
			socks[k]->txq = NULL;
		}
		if (ifc->raw_fd >= 0)
			close(ifc->raw_fd);
		ifc->raw_fd = -1;
	}
	if (!svc->closing) {
		free(svc->ifaces);
		free(svc);
	}
}

void bw_dhcp_service_set_http(struct bw_dhcp_service *svc, const struct bw_http_base *http)
{
	bw_dhcp_server_set_http(svc->server, http);
}

void bw_dhcp_service_reload(struct bw_dhcp_service *svc, const struct bw_dhcp_config *cfg,
			    const struct bw_profile_set *ps)
{
	unsigned kept = 0;

	bw_dhcp_server_reconfigure(svc->server, cfg, &kept);
	bw_dhcp_server_set_profiles(svc->server, ps);
	dhcp_trim(svc, "after the reload");
	if (kept)
		bw_log(BW_LOG_WARN, "dhcp", NULL,
		       "%u subnet(s) changed network, range or interface, or are new: they keep "
		       "their old settings until a restart", kept);
}

void bw_dhcp_service_stop(struct bw_dhcp_service *svc)
{
	if (!svc || svc->stopping)
		return;
	svc->stopping = true;
	for (unsigned i = 0; i < svc->n_ifaces; i++) {
		if (svc->ifaces[i].main.polling)
			uv_poll_stop(&svc->ifaces[i].main.poll);
		if (svc->ifaces[i].boot.polling)
			uv_poll_stop(&svc->ifaces[i].boot.poll);
	}
	if (svc->async)
		bw_store_async_close(svc->async);
	if (!svc->pending)
		dhcp_service_finish(svc);
}
