/* TFTP on the libuv loop. Non-blocking UDP sockets watched with uv_poll: the request socket
 * (port 69) and one socket per transfer, bound by the kernel to a port of its own (bind
 * port 0) on the address the request arrived on: the server's TID of RFC 1350, which a
 * client learns only by receiving the server's first packet. A blind attacker who sends an
 * RRQ with someone else's address cannot guess it, so his ACKs never reach the transfer and
 * his victim gets the first answer (OACK or block 1) and its bounded retransmissions only.
 * A datagram from another address or port on a transfer's socket gets ERROR 5 (RFC 1350),
 * never data. Batching stays per transfer: a window leaves in one sendmmsg on the
 * transfer's socket, and what a socket has queued (a window of an upload's DATA, ACKs) is
 * read with one recvmmsg. The state machine (tftp_xfer) decides; this file carries out its
 * actions and logs. */
#include "tftp/tftp_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfg_live.h"
#include "core/fspath.h"
#include "core/log.h"
#include "core/peers.h"
#include "core/sock.h"
#include "core/util.h"
#include "tftp/tftp_opts.h"
#include "tftp/tftp_path.h"
#include "tftp/tftp_src.h"
#include "tftp/tftp_wire.h"
#include "tftp/tftp_xfer.h"

#define TFTP_RX_BATCH 256           /* datagrams read per readiness callback, at most */
#define TFTP_RX_SLOTS 32            /* datagrams read by one recvmmsg on a transfer socket */
#define TFTP_TXQ 256                /* datagrams sent by one sendmmsg, at most */
#define TFTP_SOCKBUF_MIN (256u << 10) /* a transfer socket's buffers hold a window, at least */
#define TFTP_HASH 4096              /* buckets of the peer -> transfer table */
#define TFTP_WINDOW_BYTES_MAX (1u << 20)
#define TFTP_PATH_MAX 1024
#define TFTP_READAHEAD (64u << 10) /* read at least this much per pread once data flows */

struct tftp_conn;

struct bw_tftp_service {
	uv_loop_t *loop;
	const struct bw_tftp_config *cfg; /* inside snap (when set) */
	struct bw_config *snap;           /* one reference, or NULL (bootwire tftp) */
	const struct bw_peers *peers;     /* address -> MAC for the log, or NULL */
	const char *root;
	const struct bw_vfs *vfs;
	int root_fd;
	int fd;
	uv_poll_t poll;
	struct sockaddr_storage addr; /* the listen address (port: the request port) */
	bool stopping;
	unsigned pending_closes;
	struct tftp_conn *conns; /* newest first */
	unsigned n_conns;
	unsigned conns_closing; /* closed, waiting for libuv's close callbacks */
	struct tftp_conn *hash[TFTP_HASH];
	struct bw_tftp_fcache fcache;
	uint8_t rbuf[BW_TFTP_PKT_MAX + 1];
	/* one recvmmsg per readiness of a transfer socket (scratch, used within a callback) */
	struct mmsghdr rx_mm[TFTP_RX_SLOTS];
	struct iovec rx_iov[TFTP_RX_SLOTS];
	struct sockaddr_storage rx_from[TFTP_RX_SLOTS];
	uint8_t rx_buf[TFTP_RX_SLOTS][BW_TFTP_PKT_MAX + 1];
	uint8_t tbuf[1024]; /* small replies: ERROR, ACK */
	/* one sendmmsg of a transfer's blocks (scratch, filled and sent within one flush) */
	struct tftp_txslot {
		uint8_t hdr[BW_TFTP_HDR];
		struct iovec iov[2];
	} txs[TFTP_TXQ];
	struct mmsghdr tx_mm[TFTP_TXQ];
};

struct tftp_conn {
	struct bw_tftp_service *svc;
	struct bw_config *snap;  /* the snapshot it started under (upload rules point into it) */
	struct tftp_conn *prev, *next;
	struct tftp_conn *hnext; /* bucket chain */
	uv_timer_t timer;
	int fd;                    /* the transfer's own socket: its port is the server's TID */
	uv_poll_t poll;
	unsigned pending_closes;
	bool closing;
	bool tx_blocked;           /* blocks wait for fd to become writable */
	uint64_t tx_next, tx_last; /* read: blocks still to send, in wbuf (none: next > last) */
	struct sockaddr_storage peer;
	struct {
		_Alignas(struct cmsghdr) uint8_t buf[BW_SOCK_PKTINFO_SPACE];
	} ctl;  /* source address for each datagram, when fd had to be bound to a wildcard */
	size_t ctl_len;
	char peer_str[BW_ADDRSTRLEN];
	char name[TFTP_PATH_MAX]; /* the normalised path, for logs and uploads */
	uint64_t t_start_ms;
	struct bw_tftp_neg neg;
	struct bw_tftp_xfer x;
	/* read */
	struct bw_tftp_src src;
	bool have_src;
	uint8_t *wbuf; /* file bytes [buf_off, buf_off + buf_len): a window or more */
	size_t wcap;
	uint64_t buf_off;
	size_t buf_len;
	/* write */
	int up_dirfd, up_fd;
	char up_tmp[64];
	const char *up_base; /* final name inside up_dirfd */
	const struct bw_tftp_upload *upload;
	uint64_t up_bytes;
	/* the OACK, kept for retransmission */
	uint8_t oack[512];
	size_t oack_len;
};

static void tftp_conn_execute(struct tftp_conn *c, const struct bw_tftp_act *a);
static void tftp_conn_close(struct tftp_conn *c);
static void tftp_conn_poll_cb(uv_poll_t *h, int status, int events);
static void tftp_svc_maybe_free(struct bw_tftp_service *svc);

/* Log lines about one client address and reason are rate-limited; the port is left out
 * of the key so a flood from many ports of one host is one key. */
static bool tftp_log_allowed(const struct sockaddr *peer, const char *reason)
{
	char ip[BW_ADDRSTRLEN];

	return bw_log_ratelimit(bw_sock_ip_str(peer, ip, sizeof(ip)), reason, bw_now_ms());
}

/* ---- the peer -> transfer table ---- */

static unsigned tftp_hash(const struct sockaddr *sa)
{
	uint32_t h = 2166136261u;
	const uint8_t *p;
	size_t n;

	if (sa->sa_family == AF_INET6) {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		n = 16;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		n = 4;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ bw_sock_port(sa)) * 16777619u;
	return h & (TFTP_HASH - 1);
}

static struct tftp_conn *tftp_lookup(struct bw_tftp_service *svc, const struct sockaddr *peer)
{
	struct tftp_conn *c = svc->hash[tftp_hash(peer)];

	while (c && !bw_sock_same(peer, (struct sockaddr *)&c->peer))
		c = c->hnext;
	return c;
}

static void tftp_unhash(struct tftp_conn *c)
{
	struct tftp_conn **pp = &c->svc->hash[tftp_hash((struct sockaddr *)&c->peer)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	c->hnext = NULL;
}

/* ---- sending ---- */

static void tftp_conn_send(struct tftp_conn *c, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_name = &c->peer,
			    .msg_namelen = bw_sock_len((struct sockaddr *)&c->peer),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = c->ctl_len ? c->ctl.buf : NULL,
			    .msg_controllen = c->ctl_len};

	sendmsg(c->fd, &mh, 0);
}

/* Drops the blocks c still has to send (its buffer is about to change, or it is closing). */
static void tftp_tx_purge(struct tftp_conn *c)
{
	c->tx_next = 1;
	c->tx_last = 0;
}

/* Fills the service's scratch batch with up to TFTP_TXQ of c's pending blocks; returns how
 * many. */
static unsigned tftp_tx_fill(struct tftp_conn *c)
{
	struct bw_tftp_service *svc = c->svc;
	uint64_t left = c->tx_last - c->tx_next + 1;
	unsigned n = left < TFTP_TXQ ? (unsigned)left : TFTP_TXQ;

	for (unsigned i = 0; i < n; i++) {
		uint64_t b = c->tx_next + i;
		struct tftp_txslot *t = &svc->txs[i];
		struct msghdr *mh = &svc->tx_mm[i].msg_hdr;
		size_t hl;

		bw_tftp_build_data_hdr(t->hdr, BW_TFTP_HDR, (uint16_t)b, &hl);
		t->iov[0] = (struct iovec){.iov_base = t->hdr, .iov_len = BW_TFTP_HDR};
		t->iov[1].iov_base = c->wbuf + (bw_tftp_block_offset(&c->x, b) - c->buf_off);
		t->iov[1].iov_len = bw_tftp_block_len(&c->x, b);
		*mh = (struct msghdr){.msg_name = &c->peer,
				      .msg_namelen = bw_sock_len((struct sockaddr *)&c->peer),
				      .msg_iov = t->iov, .msg_iovlen = 2,
				      .msg_control = c->ctl_len ? c->ctl.buf : NULL,
				      .msg_controllen = c->ctl_len};
	}
	return n;
}

/* Sends c's pending blocks on its own socket: one sendmmsg per TFTP_TXQ datagrams (a window
 * is one batch). A full socket buffer keeps the rest until the socket is writable; a
 * datagram that cannot be sent at all (no route) is dropped and the transfer's
 * retransmission deals with it. */
static void tftp_conn_flush(struct tftp_conn *c)
{
	bool blocked = false;

	for (unsigned guard = 0; c->tx_next <= c->tx_last && guard < 2 * TFTP_TXQ; guard++) {
		unsigned n = tftp_tx_fill(c);
		struct mmsghdr *mm = c->svc->tx_mm;
		int sent;

		/* A sendmmsg of one datagram costs several times a sendmsg here (it
		 * reschedules); batches gain from it. */
		do {
			sent = n == 1 ? (sendmsg(c->fd, &mm[0].msg_hdr, 0) < 0 ? -1 : 1)
				      : sendmmsg(c->fd, mm, n, 0);
		} while (sent < 0 && errno == EINTR);
		if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			blocked = true;
			break;
		}
		c->tx_next += sent < 0 ? 1 : (unsigned)sent;
	}
	if (blocked != c->tx_blocked && !c->closing) {
		c->tx_blocked = blocked;
		uv_poll_start(&c->poll, blocked ? UV_READABLE | UV_WRITABLE : UV_READABLE,
			      tftp_conn_poll_cb);
	}
}

/* ---- small sends ---- */

static void tftp_send_error_fd(struct bw_tftp_service *svc, int fd, const struct sockaddr *to,
			       uint16_t code, const char *msg)
{
	size_t len;

	if (bw_tftp_build_error(svc->tbuf, sizeof(svc->tbuf), code, msg, &len) == 0)
		sendto(fd, svc->tbuf, len, 0, to, bw_sock_len(to));
}

/* ---- closing ---- */

static void tftp_conn_free(struct tftp_conn *c)
{
	struct bw_tftp_service *svc = c->svc;

	if (c->have_src)
		bw_tftp_src_done(&c->src);
	if (c->up_fd >= 0) {
		close(c->up_fd);
		unlinkat(c->up_dirfd, c->up_tmp, 0);
	}
	if (c->up_dirfd >= 0)
		close(c->up_dirfd);
	if (c->fd >= 0)
		close(c->fd);
	free(c->wbuf);
	bw_config_unref(c->snap);
	free(c);
	tftp_svc_maybe_free(svc);
}

static void tftp_conn_close_cb(uv_handle_t *h)
{
	struct tftp_conn *c = h->data;

	if (--c->pending_closes == 0) {
		c->svc->conns_closing--;
		tftp_conn_free(c);
	}
}

static void tftp_conn_close(struct tftp_conn *c)
{
	struct bw_tftp_service *svc = c->svc;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		svc->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	svc->n_conns--;
	svc->conns_closing++;
	tftp_unhash(c);
	tftp_tx_purge(c);
	c->pending_closes = 2;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, tftp_conn_close_cb);
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, tftp_conn_close_cb); /* fd is closed once freed */
}

/* ---- logging ---- */

/* The statistics of a transfer's end line: how hard the network made it. */
static unsigned tftp_log_stats(const struct tftp_conn *c, struct bw_log_field *f)
{
	const struct bw_tftp_rtt *r = &c->x.rtt;
	unsigned n = 0;

	f[n++] = (struct bw_log_field)BW_LF_U("blksize", c->x.blksize);
	f[n++] = (struct bw_log_field)BW_LF_U("windowsize", c->x.windowsize);
	f[n++] = (struct bw_log_field)BW_LF_U("retransmits", c->x.retransmits);
	if (c->x.is_write)
		return n;
	f[n++] = (struct bw_log_field)BW_LF_U("rexmit_blocks", c->x.rexmit_blocks);
	f[n++] = (struct bw_log_field)BW_LF_U("rexmit_bytes", c->x.rexmit_bytes);
	f[n++] = (struct bw_log_field)BW_LF_U("timeouts", c->x.timeouts);
	f[n++] = (struct bw_log_field)BW_LF_U("fast_rexmits", c->x.fast_rexmits);
	f[n++] = (struct bw_log_field)BW_LF_U("spurious", c->x.spurious);
	f[n++] = (struct bw_log_field)BW_LF_F(
	    "srtt_ms", bw_tftp_rtt_has_sample(r) ? (double)r->srtt_us / 1000.0 : -1.0);
	f[n++] = (struct bw_log_field)BW_LF_U("rto_ms", bw_tftp_rtt_rto_ms(r));
	return n;
}

static uint64_t tftp_log_bytes(const struct tftp_conn *c, bool ok)
{
	if (c->x.is_write)
		return c->up_bytes;
	return ok ? c->x.size : bw_tftp_xfer_acked_bytes(&c->x);
}

/* One line per transfer. A success gives the file's bytes and rate; a failure gives what
 * got through (read: acknowledged by the client; write: received in order) and the size
 * (read: the file's; write: the client's tsize, when it announced one). */
static void tftp_log_end(struct tftp_conn *c, const struct bw_tftp_act *a)
{
	double secs = (double)(bw_now_ms() - c->t_start_ms) / 1000.0;
	bool ok = c->x.state == BW_TFTP_XFER_DONE;
	uint64_t bytes = tftp_log_bytes(c, ok);
	struct bw_log_field f[20]; /* 5 here, up to 10 stats, the MAC */
	unsigned n = 0;
	const char *mac;
	char macs[18];

	f[n++] = (struct bw_log_field)BW_LF_S("file", c->name);
	f[n++] = (struct bw_log_field)BW_LF_U("bytes", bytes);
	if (!ok && (!c->x.is_write || c->neg.tsize_ok))
		f[n++] = (struct bw_log_field)BW_LF_U("size", c->x.size);
	f[n++] = (struct bw_log_field)BW_LF_F("seconds", secs);
	f[n++] = (struct bw_log_field)BW_LF_F("mbps", secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
	n += tftp_log_stats(c, f + n);
	if ((mac = bw_peers_mac_str(c->svc->peers, (struct sockaddr *)&c->peer, macs)))
		f[n++] = (struct bw_log_field)BW_LF_S("mac", mac);
	if (ok) {
		bw_log_f(BW_LOG_INFO, "tftp", c->peer_str, f, n, "%s",
		         c->x.is_write ? "received" : "sent");
		return;
	}
	if (!tftp_log_allowed((struct sockaddr *)&c->peer, "transfer failed"))
		return;
	bw_log_f(c->x.progressed ? BW_LOG_WARN : BW_LOG_INFO, "tftp", c->peer_str, f, n,
	         "%s failed: %s", c->x.is_write ? "upload" : "download",
	         a->why ? a->why : "aborted");
}

/* ---- read side: sending windows ---- */

/* Sends blocks [first, last], whose data sits in wbuf; what the socket cannot take now
 * leaves once it is writable. */
static void tftp_conn_queue_blocks(struct tftp_conn *c, uint64_t first, uint64_t last)
{
	c->tx_next = first;
	c->tx_last = last;
	tftp_conn_flush(c);
}

/* Once a transfer makes progress its buffer grows to TFTP_READAHEAD, so lock-step
 * transfers read the file once per 64 KiB instead of once per block. Transfers that never
 * answer (a flood) keep one window's worth. */
static void tftp_conn_grow_buffer(struct tftp_conn *c)
{
	size_t want = TFTP_READAHEAD - TFTP_READAHEAD % c->x.blksize;
	uint8_t *nb;

	if (!c->x.progressed || c->wcap >= want)
		return;
	nb = realloc(c->wbuf, want);
	if (!nb)
		return; /* keep the window-sized buffer */
	c->wbuf = nb;
	c->wcap = want;
	c->buf_len = 0;
}

static int tftp_conn_send_blocks(struct tftp_conn *c, uint64_t first, uint64_t last)
{
	uint64_t off = bw_tftp_block_offset(&c->x, first);
	uint64_t end = bw_tftp_block_offset(&c->x, last) + bw_tftp_block_len(&c->x, last);
	ssize_t n;

	tftp_tx_purge(c); /* a resend replaces what is still queued */
	tftp_conn_grow_buffer(c);
	if (c->buf_len == 0 || off < c->buf_off || end > c->buf_off + c->buf_len) {
		size_t want = c->wcap;

		if (want > c->src.size - off)
			want = (size_t)(c->src.size - off);
		bw_tftp_src_release(&c->src, off);
		n = bw_tftp_src_read(&c->src, off, c->wbuf, want);
		if (n < 0 || (size_t)n != want || want < end - off)
			return n < 0 ? (int)n : -EIO;
		c->buf_off = off;
		c->buf_len = want;
	}
	tftp_conn_queue_blocks(c, first, last);
	return 0;
}

/* ---- write side ---- */

static int tftp_conn_store(struct tftp_conn *c, uint64_t block, const uint8_t *data,
			   size_t len)
{
	uint64_t off = (block - 1) * c->x.blksize, end;

	if (!bw_add_u64(off, len, &end) || end > c->upload->max_size)
		return -EFBIG;
	while (len) {
		ssize_t n = pwrite(c->up_fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	if (end > c->up_bytes)
		c->up_bytes = end;
	return 0;
}

/* Makes the upload durable and visible under its final name. */
static int tftp_conn_commit(struct tftp_conn *c)
{
	int r = 0;

	if (fsync(c->up_fd) < 0)
		r = -errno;
	close(c->up_fd);
	c->up_fd = -1;
	if (r == 0) {
		if (c->upload->overwrite)
			r = renameat(c->up_dirfd, c->up_tmp, c->up_dirfd, c->up_base) < 0 ? -errno : 0;
		else
			r = linkat(c->up_dirfd, c->up_tmp, c->up_dirfd, c->up_base, 0) < 0 ? -errno
											   : 0;
	}
	unlinkat(c->up_dirfd, c->up_tmp, 0);
	if (r == 0)
		fsync(c->up_dirfd);
	return r;
}

/* ---- executing the state machine's actions ---- */

static void tftp_conn_fail_local(struct tftp_conn *c, uint16_t code, const char *msg)
{
	struct bw_tftp_act a;

	size_t len;

	if (bw_tftp_build_error(c->svc->tbuf, sizeof(c->svc->tbuf), code, msg, &len) == 0)
		tftp_conn_send(c, c->svc->tbuf, len);
	bw_tftp_xfer_fail(&c->x, msg, &a);
	tftp_conn_execute(c, &a);
}

static void tftp_timer_cb(uv_timer_t *t)
{
	struct tftp_conn *c = t->data;
	struct bw_tftp_act a;

	bw_tftp_xfer_on_timeout(&c->x, bw_now_ms(), &a);
	tftp_conn_execute(c, &a);
}

static void tftp_conn_execute(struct tftp_conn *c, const struct bw_tftp_act *a)
{
	if (c->closing)
		return;
	if (a->send_oack)
		tftp_conn_send(c, c->oack, c->oack_len);
	if (a->send_blocks && tftp_conn_send_blocks(c, a->first, a->last) < 0) {
		tftp_conn_fail_local(c, BW_TFTP_ERR_UNDEF, "read error: the file changed");
		return;
	}
	if (a->send_ack) {
		size_t len;
		bw_tftp_build_ack(c->svc->tbuf, sizeof(c->svc->tbuf), (uint16_t)a->ack, &len);
		tftp_conn_send(c, c->svc->tbuf, len);
	}
	if (a->arm_timer) {
		/* libuv counts from the loop's cached time, which may be a millisecond or more
		 * old by now: a timer of a few ms would fire early. */
		uv_update_time(c->svc->loop);
		uv_timer_start(&c->timer, tftp_timer_cb, a->timer_ms, 0);
	}
	if (a->finished) {
		tftp_log_end(c, a);
		tftp_conn_close(c);
	}
}

static void tftp_conn_on_data(struct tftp_conn *c, const struct bw_tftp_msg *m)
{
	struct bw_tftp_act a;
	int r;

	bw_tftp_xfer_on_data(&c->x, m->data.block, m->data.len, bw_now_ms(), &a);
	if (a.accept_data) {
		r = tftp_conn_store(c, c->x.expected - 1, m->data.data, m->data.len);
		if (r == 0 && c->x.state == BW_TFTP_XFER_DALLY)
			r = tftp_conn_commit(c);
		if (r == -EFBIG) {
			tftp_conn_fail_local(c, BW_TFTP_ERR_DISK_FULL, "upload exceeds max_size");
			return;
		}
		if (r == -EEXIST) {
			tftp_conn_fail_local(c, BW_TFTP_ERR_EXISTS, "file already exists");
			return;
		}
		if (r < 0) {
			tftp_conn_fail_local(c, BW_TFTP_ERR_DISK_FULL, strerror(-r));
			return;
		}
	}
	tftp_conn_execute(c, &a);
}

static void tftp_conn_on_packet(struct tftp_conn *c, const uint8_t *buf, size_t len)
{
	struct bw_tftp_msg m;
	struct bw_tftp_act a;

	if (c->have_src && c->src.size_pending)
		return; /* not started: nothing was sent to it yet */
	if (bw_tftp_parse(buf, len, &m) < 0) {
		if (tftp_log_allowed((struct sockaddr *)&c->peer, "malformed packet"))
			bw_log(BW_LOG_DEBUG, "tftp", c->peer_str, "dropping a malformed packet");
		return;
	}
	switch (m.op) {
	case BW_TFTP_OP_ACK:
		if (c->x.is_write)
			goto illegal;
		bw_tftp_xfer_on_ack(&c->x, m.ack.block, bw_now_ms(), &a);
		tftp_conn_execute(c, &a);
		return;
	case BW_TFTP_OP_DATA:
		if (!c->x.is_write)
			goto illegal;
		tftp_conn_on_data(c, &m);
		return;
	case BW_TFTP_OP_ERROR: {
		char why[160], esc[96];

		if (c->x.state == BW_TFTP_XFER_OACK && !c->x.is_write && c->neg.tsize_ok) {
			/* OVMF, PXE ROMs and pxelinux ask for the size first and end the transfer
			 * after the OACK: a normal step of a boot, not a failure. */
			struct bw_log_field f[] = {BW_LF_S("file", c->name), BW_LF_U("tsize", c->x.size)};
			bw_log_f(BW_LOG_INFO, "tftp", c->peer_str, f, 2, "size probe answered");
			bw_tftp_xfer_fail(&c->x, NULL, &a);
			tftp_conn_close(c);
			return;
		}
		snprintf(why, sizeof(why), "the client ended it with ERROR %u \"%s\"",
			 m.error.code, bw_escape(m.error.msg, strlen(m.error.msg), esc, sizeof(esc)));
		bw_tftp_xfer_fail(&c->x, why, &a);
		tftp_conn_execute(c, &a);
		return;
	}
	default:
		break;
	}
illegal:
	tftp_conn_fail_local(c, BW_TFTP_ERR_ILLEGAL_OP, "unexpected packet in this transfer");
}

/* A datagram on c's socket: from its client, or from any other address or port (ERROR 5,
 * RFC 1350's answer to a wrong TID; never data, and the transfer goes on undisturbed). */
static void tftp_conn_rx(struct tftp_conn *c, const struct sockaddr *from, const uint8_t *buf,
			 size_t len)
{
	if (bw_sock_same(from, (struct sockaddr *)&c->peer)) {
		tftp_conn_on_packet(c, buf, len);
		return;
	}
	if (len >= 2 && buf[1] == BW_TFTP_OP_ERROR)
		return; /* never answer an error with an error */
	if (bw_log_enabled(BW_LOG_DEBUG) && tftp_log_allowed(from, "unknown transfer ID")) {
		char fs[BW_ADDRSTRLEN];
		bw_log(BW_LOG_DEBUG, "tftp", bw_sock_addr_str(from, fs, sizeof(fs)),
		       "packet for the transfer of %s from another port: ERROR 5", c->peer_str);
	}
	tftp_send_error_fd(c->svc, c->fd, from, BW_TFTP_ERR_UNKNOWN_TID, "unknown transfer ID");
}

static void tftp_conn_poll_cb(uv_poll_t *h, int status, int events)
{
	struct tftp_conn *c = h->data;
	struct bw_tftp_service *svc = c->svc;
	int n = TFTP_RX_SLOTS;

	if (events & UV_WRITABLE)
		tftp_conn_flush(c);
	/* Read in batches until the queue is empty (a short batch), bounded per callback. A
	 * packet may end the transfer: then the rest is left to the closing socket. */
	for (unsigned round = 0; round < TFTP_RX_BATCH / TFTP_RX_SLOTS && n == TFTP_RX_SLOTS &&
				 (events & UV_READABLE) && !c->closing; round++) {
		bw_sock_rx_batch_prepare(svc->rx_mm, svc->rx_iov, svc->rx_from,
					 sizeof(svc->rx_from[0]), svc->rx_buf,
					 sizeof(svc->rx_buf[0]), TFTP_RX_SLOTS);
		n = recvmmsg(c->fd, svc->rx_mm, TFTP_RX_SLOTS, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n && !c->closing; i++)
			tftp_conn_rx(c, (struct sockaddr *)&svc->rx_from[i], svc->rx_buf[i],
				     svc->rx_mm[i].msg_len);
	}
}

/* ---- accepting requests ---- */

struct tftp_req_ctx {
	struct bw_tftp_service *svc;
	const struct sockaddr *peer;
	const struct sockaddr *local;
	char peer_str[BW_ADDRSTRLEN];
	const struct bw_tftp_msg *m;
};

static void tftp_refuse(struct tftp_req_ctx *rq, uint16_t code, const char *msg,
			const char *name, enum bw_log_level level)
{
	char esc[256];

	tftp_send_error_fd(rq->svc, rq->svc->fd, rq->peer, code, msg);
	if (!tftp_log_allowed(rq->peer, msg))
		return;
	bw_escape(name, strlen(name), esc, sizeof(esc));
	bw_log(level, "tftp", rq->peer_str, "refusing %s \"%s\": %s (ERROR %u)",
	       bw_tftp_op_name(rq->m->op), esc, msg, code);
}

/* The oldest transfer that never made progress (of one client when peer is set). */
static struct tftp_conn *tftp_find_stalled(struct bw_tftp_service *svc,
					   const struct sockaddr *peer)
{
	struct tftp_conn *found = NULL;

	for (struct tftp_conn *c = svc->conns; c; c = c->next)
		if (!c->x.progressed && (!peer || bw_sock_same_ip(peer, (struct sockaddr *)&c->peer)))
			found = c; /* the list is newest first: keep the last match */
	return found;
}

/* Makes room under the limits by dropping stalled transfers; false when there is none. */
static bool tftp_admit(struct tftp_req_ctx *rq)
{
	struct bw_tftp_service *svc = rq->svc;
	unsigned mine = 0;
	struct tftp_conn *victim = NULL;

	for (struct tftp_conn *c = svc->conns; c; c = c->next)
		if (bw_sock_same_ip(rq->peer, (struct sockaddr *)&c->peer))
			mine++;
	if (mine >= svc->cfg->max_transfers_per_client) {
		victim = tftp_find_stalled(svc, rq->peer);
		if (!victim)
			return false;
	} else if (svc->n_conns >= svc->cfg->max_transfers) {
		victim = tftp_find_stalled(svc, NULL);
		if (!victim)
			return false;
	}
	if (victim) {
		struct bw_tftp_act a;
		bw_tftp_xfer_fail(&victim->x, "evicted: no answer while the server was full", &a);
		tftp_conn_execute(victim, &a);
	}
	return true;
}

/* Maps, remaps and normalises the requested name. Returns 0 or an ERROR code to send. */
static int tftp_resolve_name(struct bw_tftp_service *svc, const struct bw_tftp_req *req,
			     char *out, size_t cap, const char **ret_msg, bool *ret_outside)
{
	char a[TFTP_PATH_MAX], b[TFTP_PATH_MAX];
	const char *name = a;
	int r;

	if (req->filename_len >= sizeof(a)) {
		*ret_msg = "file name too long";
		return BW_TFTP_ERR_NOT_FOUND;
	}
	memcpy(a, req->filename, req->filename_len + 1);
	if (svc->cfg->map_backslash)
		bw_tftp_path_map_backslash(a);
	r = bw_tftp_path_remap(&svc->cfg->remap, a, b, sizeof(b));
	if (r == 1)
		name = b;
	else if (r < 0) {
		*ret_msg = "file name too long";
		return BW_TFTP_ERR_NOT_FOUND;
	}
	*ret_outside = bw_tftp_path_is_outside(name, svc->root);
	r = bw_fspath_normalize(name, strlen(name), svc->root, out, cap);
	if (r == -EACCES) {
		*ret_msg = "access violation: '..' is not allowed";
		return BW_TFTP_ERR_ACCESS;
	}
	if (r < 0) {
		*ret_msg = r == -ENOENT ? "file not found" : "file name too long";
		return BW_TFTP_ERR_NOT_FOUND;
	}
	return 0;
}

/* The transfer's own socket: the address the request arrived on, a port the kernel picks
 * (the TID). Should that address not be bindable (a request sent to a broadcast address),
 * the listen address on a port of its own, with each datagram naming its source when that
 * is a wildcard. */
static int tftp_conn_open_socket(struct tftp_conn *c, const struct sockaddr *local)
{
	struct bw_tftp_service *svc = c->svc;
	struct sockaddr_storage a;
	int r;

	memcpy(&a, local, bw_sock_len(local));
	((struct sockaddr_in *)&a)->sin_port = 0; /* same offset as sin6_port */
	c->fd = bw_sock_udp_bind((struct sockaddr *)&a, false);
	if (c->fd < 0 && c->fd != -EMFILE && c->fd != -ENFILE) {
		a = svc->addr;
		((struct sockaddr_in *)&a)->sin_port = 0;
		c->fd = bw_sock_udp_bind((struct sockaddr *)&a, false);
		if (c->fd >= 0 && bw_sock_is_wildcard((struct sockaddr *)&a))
			c->ctl_len = bw_sock_pktinfo_build(c->ctl.buf, local);
	}
	if (c->fd < 0)
		return c->fd;
	r = uv_poll_init(svc->loop, &c->poll, c->fd);
	if (r < 0) {
		close(c->fd);
		return r;
	}
	c->poll.data = c;
	uv_poll_start(&c->poll, UV_READABLE, tftp_conn_poll_cb);
	return 0;
}

static struct tftp_conn *tftp_conn_new(struct tftp_req_ctx *rq, const char *name)
{
	struct bw_tftp_service *svc = rq->svc;
	struct tftp_conn *c = calloc(1, sizeof(*c));
	unsigned h;

	if (!c)
		return NULL;
	c->svc = svc;
	c->up_fd = c->up_dirfd = -1;
	c->tx_next = 1; /* nothing to send */
	if (tftp_conn_open_socket(c, rq->local) < 0) {
		free(c);
		return NULL;
	}
	c->snap = svc->snap ? bw_config_ref(svc->snap) : NULL;
	memcpy(&c->peer, rq->peer, bw_sock_len(rq->peer));
	snprintf(c->peer_str, sizeof(c->peer_str), "%s", rq->peer_str);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->t_start_ms = bw_now_ms();
	c->x.is_write = rq->m->op == BW_TFTP_OP_WRQ;
	uv_timer_init(svc->loop, &c->timer);
	c->timer.data = c;
	c->next = svc->conns;
	if (svc->conns)
		svc->conns->prev = c;
	svc->conns = c;
	svc->n_conns++;
	h = tftp_hash(rq->peer);
	c->hnext = svc->hash[h];
	svc->hash[h] = c;
	return c;
}

/* A window must fit in the socket's buffers (for a read the send buffer, for a write the
 * receive buffer), with room for the kernel's per-datagram overhead. */
static void tftp_conn_size_buffers(struct tftp_conn *c)
{
	size_t per = (size_t)c->neg.blksize + 1024, want;

	if (!bw_mul_size(per, 2 * (size_t)c->neg.windowsize, &want) || want > (8u << 20))
		want = 8u << 20;
	if (want > TFTP_SOCKBUF_MIN)
		bw_sock_set_buffers(c->fd, (int)want, (int)want);
}

/* A request's options, decided before the file is opened so the window can be sized. */
static void tftp_conn_negotiate(struct tftp_conn *c, const struct bw_tftp_service *svc,
				const struct bw_tftp_req *req)
{
	struct bw_tftp_limits lim = {
		.blksize_max = (uint16_t)svc->cfg->blksize_max,
		.windowsize_max = (uint16_t)svc->cfg->windowsize_max,
		.window_bytes_max = TFTP_WINDOW_BYTES_MAX,
	};

	bw_tftp_negotiate(req, &lim, &c->neg);
	tftp_conn_size_buffers(c);
}

static int tftp_conn_alloc_window(struct tftp_conn *c)
{
	size_t ws = c->neg.windowsize, bytes;

	if (!bw_mul_size(ws, c->neg.blksize, &bytes))
		return -ENOMEM;
	c->wbuf = malloc(bytes ? bytes : 1);
	c->wcap = bytes;
	return c->wbuf ? 0 : -ENOMEM;
}

/* Opens what an RRQ asks for: a virtual file or a file below the root. */
static int tftp_open_read(struct tftp_req_ctx *rq, const char *name, bool netascii,
			  struct bw_tftp_src *src)
{
	struct bw_tftp_service *svc = rq->svc;
	struct bw_vfs_req vr = {.path = name, .peer = rq->peer, .local = rq->local,
				.service = "tftp"};
	struct bw_blob *blob = NULL;
	int r;

	r = bw_vfs_open(svc->vfs, &vr, &blob);
	if (r == 0) {
		r = bw_tftp_src_open_blob(src, blob, netascii);
		bw_blob_unref(blob);
		return r;
	}
	if (r != -ENOENT)
		return r;
	return bw_tftp_src_open_path(src, &svc->fcache, svc->root_fd, svc->root, name,
				     svc->cfg->case_insensitive, netascii);
}

static void tftp_start(struct tftp_conn *c, bool have_tsize, uint64_t tsize)
{
	struct bw_tftp_xfer_params p = {
		.is_write = c->x.is_write,
		.blksize = c->neg.blksize,
		.windowsize = c->neg.windowsize,
		.rto_ms = c->neg.timeout_ok ? c->neg.timeout_s * 1000u : c->svc->cfg->timeout_ms,
		.retries_max = c->svc->cfg->retries,
		.size = tsize,
	};
	struct bw_tftp_act a;

	p.oack = bw_tftp_neg_wants_oack(&c->neg, have_tsize);
	if (p.oack)
		bw_tftp_neg_build_oack(&c->neg, have_tsize, tsize, c->oack, sizeof(c->oack),
				       &c->oack_len);
	bw_tftp_xfer_start(&c->x, &p, bw_now_ms(), &a);
	bw_log(BW_LOG_DEBUG, "tftp", c->peer_str, "%s %s: blksize=%u windowsize=%u size=%" PRIu64,
	       c->x.is_write ? "WRQ" : "RRQ", c->name, p.blksize, p.windowsize, tsize);
	tftp_conn_execute(c, &a);
}

/* The answer to an RRQ whose file could not be opened (r < 0). "/etc/passwd": a leading
 * '/' is fine for what lies in the root ("/pxelinux.0"); an absolute name found nowhere in
 * it is someone asking for the server's own files. */
static void tftp_refuse_open(struct tftp_req_ctx *rq, int r, bool outside, const char *name)
{
	if (r == -ENOENT && outside)
		tftp_refuse(rq, BW_TFTP_ERR_ACCESS, "access violation: absolute path outside "
			    "boot_root", name, BW_LOG_WARN);
	else if (r == -ENOENT || r == -ENOTDIR)
		tftp_refuse(rq, BW_TFTP_ERR_NOT_FOUND, "file not found", name, BW_LOG_INFO);
	else if (r == -EACCES || r == -EPERM)
		tftp_refuse(rq, BW_TFTP_ERR_ACCESS, "access violation: outside boot_root or not "
			    "readable", name, BW_LOG_WARN);
	else if (r == -EISDIR)
		tftp_refuse(rq, BW_TFTP_ERR_NOT_FOUND, "not a regular file", name, BW_LOG_INFO);
	else if (r == -ENODEV) /* checked before opening: tftp_src.h */
		tftp_refuse(rq, BW_TFTP_ERR_ACCESS, "access violation: not a regular file "
			    "(device, FIFO or socket)", name, BW_LOG_WARN);
	else if (r == -EFBIG)
		tftp_refuse(rq, BW_TFTP_ERR_ILLEGAL_OP, "file too large for netascii mode", name,
			    BW_LOG_INFO);
	else
		tftp_refuse(rq, BW_TFTP_ERR_UNDEF, strerror(-r), name, BW_LOG_WARN);
}

/* The netascii size of c's file is known (r == 0) or could not be counted. */
static void tftp_conn_size_cb(struct bw_tftp_src *src, int r, void *data)
{
	struct tftp_conn *c = data;

	(void)src;
	if (c->closing)
		return;
	if (r < 0) {
		tftp_conn_fail_local(c, BW_TFTP_ERR_UNDEF, "read error: the file changed");
		return;
	}
	tftp_start(c, c->src.size > 0, c->src.size); /* sends on c's own socket */
}

static void tftp_handle_rrq(struct tftp_req_ctx *rq, const char *name, bool outside)
{
	const struct bw_tftp_req *req = &rq->m->req;
	struct bw_tftp_src src;
	struct tftp_conn *c;
	int r;

	r = tftp_open_read(rq, name, req->mode == BW_TFTP_MODE_NETASCII, &src);
	if (r < 0) {
		tftp_refuse_open(rq, r, outside, name);
		return;
	}
	c = tftp_conn_new(rq, name);
	if (!c) {
		bw_tftp_src_done(&src);
		tftp_refuse(rq, BW_TFTP_ERR_UNDEF, "out of resources", name, BW_LOG_WARN);
		return;
	}
	c->src = src;
	c->have_src = true;
	tftp_conn_negotiate(c, rq->svc, req);
	if (tftp_conn_alloc_window(c) < 0) {
		tftp_conn_fail_local(c, BW_TFTP_ERR_UNDEF, "out of memory");
		return;
	}
	if (c->src.size_pending) {
		/* netascii: the converted size is counted off the loop (tftp_src.h) */
		if (bw_tftp_src_size_wait(&c->src, rq->svc->loop, tftp_conn_size_cb, c) < 0)
			tftp_conn_fail_local(c, BW_TFTP_ERR_UNDEF, "out of resources");
		return;
	}
	/* An empty file's tsize is left out of the OACK: curl (7.88) rejects "tsize 0". */
	tftp_start(c, src.size > 0, src.size);
}

/* Creates the temporary file an upload goes into, next to its final name. */
static int tftp_upload_open(struct tftp_conn *c, const char *name)
{
	struct bw_tftp_service *svc = c->svc;
	char dir[TFTP_PATH_MAX];
	const char *slash = strrchr(name, '/');
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	c->up_base = c->name + (slash - name) + 1;
	c->up_dirfd = bw_fspath_open(svc->root_fd, svc->root, dir, svc->cfg->case_insensitive,
				     O_RDONLY | O_DIRECTORY, 0);
	if (c->up_dirfd < 0)
		return c->up_dirfd;
	if (!c->upload->overwrite && fstatat(c->up_dirfd, c->up_base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	for (int tries = 0; tries < 8; tries++) {
		snprintf(c->up_tmp, sizeof(c->up_tmp), ".bootwire-upload.%d.%08x", (int)getpid(),
			 (unsigned)random());
		c->up_fd = bw_fspath_open(c->up_dirfd, NULL, c->up_tmp, false,
					  O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (c->up_fd != -EEXIST)
			break;
	}
	return c->up_fd < 0 ? c->up_fd : 0;
}

static void tftp_handle_wrq(struct tftp_req_ctx *rq, const char *name)
{
	const struct bw_tftp_upload *up = bw_tftp_upload_match(&rq->svc->cfg->uploads, name);
	struct tftp_conn *c;
	int r;

	if (!up) {
		tftp_refuse(rq, BW_TFTP_ERR_ACCESS,
			    "access violation: uploads are not enabled here", name,
			    BW_LOG_WARN);
		return;
	}
	if (rq->m->req.mode != BW_TFTP_MODE_OCTET) {
		tftp_refuse(rq, BW_TFTP_ERR_ILLEGAL_OP, "uploads take octet mode only", name,
			    BW_LOG_INFO);
		return;
	}
	c = tftp_conn_new(rq, name);
	if (!c) {
		tftp_refuse(rq, BW_TFTP_ERR_UNDEF, "out of resources", name, BW_LOG_WARN);
		return;
	}
	c->upload = up;
	tftp_conn_negotiate(c, rq->svc, &rq->m->req);
	if (c->neg.tsize_ok && c->neg.tsize_req > up->max_size) {
		tftp_conn_fail_local(c, BW_TFTP_ERR_DISK_FULL, "upload exceeds max_size");
		return;
	}
	r = tftp_upload_open(c, name);
	if (r == -EEXIST) {
		tftp_conn_fail_local(c, BW_TFTP_ERR_EXISTS, "file already exists");
		return;
	}
	if (r < 0) {
		tftp_conn_fail_local(c, BW_TFTP_ERR_ACCESS, "cannot create the file");
		return;
	}
	/* tsize in a WRQ is echoed with the client's value (RFC 2349). */
	tftp_start(c, c->neg.tsize_ok, c->neg.tsize_req);
}

/* A request from a client port that already has a transfer: the same request again (the
 * client did not hear our first answer yet; the transfer's own retransmission answers it)
 * is ignored; anything else replaces the old transfer. */
static bool tftp_is_duplicate(struct tftp_req_ctx *rq, const char *name)
{
	struct tftp_conn *old = tftp_lookup(rq->svc, rq->peer);
	struct bw_tftp_act a;

	if (!old)
		return false;
	if (!old->x.progressed && old->x.is_write == (rq->m->op == BW_TFTP_OP_WRQ) &&
	    strcmp(old->name, name) == 0) {
		bw_log(BW_LOG_DEBUG, "tftp", rq->peer_str, "ignoring a repeated %s for %s",
		       bw_tftp_op_name(rq->m->op), old->name);
		return true;
	}
	bw_tftp_xfer_fail(&old->x, "replaced by a new request from the same port", &a);
	tftp_conn_execute(old, &a);
	return false;
}

static void tftp_handle_request(struct tftp_req_ctx *rq)
{
	const struct bw_tftp_req *req = &rq->m->req;
	char name[TFTP_PATH_MAX];
	const char *msg;
	bool outside = false;
	int code;

	code = tftp_resolve_name(rq->svc, req, name, sizeof(name), &msg, &outside);
	if (code) {
		char raw[TFTP_PATH_MAX];
		snprintf(raw, sizeof(raw), "%s", req->filename);
		tftp_refuse(rq, (uint16_t)code, msg, raw,
			    code == BW_TFTP_ERR_ACCESS ? BW_LOG_WARN : BW_LOG_INFO);
		return;
	}
	if (tftp_is_duplicate(rq, name))
		return;
	if (req->opt_dropped && tftp_log_allowed(rq->peer, "incomplete option"))
		bw_log(BW_LOG_DEBUG, "tftp", rq->peer_str, "%s %s: ignoring an incomplete last "
		       "option (RFC 2347)", bw_tftp_op_name(rq->m->op), name);
	if (!tftp_admit(rq)) {
		tftp_refuse(rq, BW_TFTP_ERR_UNDEF, "server busy: too many transfers", name,
			    BW_LOG_WARN);
		return;
	}
	if (rq->m->op == BW_TFTP_OP_WRQ) {
		tftp_handle_wrq(rq, name);
		return;
	}
	tftp_handle_rrq(rq, name, outside);
}

/* ERROR 4 for a request port packet that is no valid request (tftp_wire.h says which). */
static void tftp_refuse_malformed(struct bw_tftp_service *svc, const struct tftp_req_ctx *rq,
				  size_t len, const char *msg)
{
	tftp_send_error_fd(svc, svc->fd, rq->peer, BW_TFTP_ERR_ILLEGAL_OP, msg);
	if (tftp_log_allowed(rq->peer, msg))
		bw_log(BW_LOG_INFO, "tftp", rq->peer_str, "refusing a packet of %zu bytes: %s "
		       "(ERROR %u)", len, msg, BW_TFTP_ERR_ILLEGAL_OP);
}

static void tftp_listener_packet(struct bw_tftp_service *svc, const uint8_t *buf, size_t len,
				 const struct sockaddr *peer, const struct sockaddr *local)
{
	struct bw_tftp_msg m;
	struct tftp_req_ctx rq = {.svc = svc, .peer = peer, .local = local, .m = &m};
	int r;

	bw_sock_addr_str(peer, rq.peer_str, sizeof(rq.peer_str));
	r = bw_tftp_parse(buf, len, &m);
	if (r == -EOPNOTSUPP) {
		m.op = BW_TFTP_OP_RRQ;
		tftp_refuse(&rq, BW_TFTP_ERR_ILLEGAL_OP,
			    "unsupported mode (octet and netascii only)", "", BW_LOG_INFO);
		return;
	}
	if (r < 0 && bw_tftp_request_refusal(buf, len, r)) {
		tftp_refuse_malformed(svc, &rq, len, bw_tftp_request_refusal(buf, len, r));
		return;
	}
	if (r < 0 || (m.op != BW_TFTP_OP_RRQ && m.op != BW_TFTP_OP_WRQ)) {
		/* Not a request: answering garbage would make us a reflector; drop it. */
		if (tftp_log_allowed(peer, "dropping a packet"))
			bw_log(BW_LOG_DEBUG, "tftp", rq.peer_str,
			       "dropping a %s on the request port (%zu bytes)",
			       r < 0 ? "malformed packet" : bw_tftp_op_name(m.op), len);
		return;
	}
	tftp_handle_request(&rq);
}

static void tftp_listener_cb(uv_poll_t *h, int status, int events)
{
	struct bw_tftp_service *svc = h->data;

	for (unsigned i = 0; i < TFTP_RX_BATCH; i++) {
		struct sockaddr_storage peer, local;
		union {
			struct cmsghdr align;
			uint8_t buf[256];
		} ctl;
		struct iovec iov = {.iov_base = svc->rbuf, .iov_len = sizeof(svc->rbuf)};
		struct msghdr mh = {.msg_name = &peer, .msg_namelen = sizeof(peer),
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(svc->fd, &mh, 0);

		if (n < 0)
			break;
		if (bw_sock_pktinfo_local(&mh, peer.ss_family, &local) < 0)
			continue;
		tftp_listener_packet(svc, svc->rbuf, (size_t)n, (struct sockaddr *)&peer,
				     (struct sockaddr *)&local);
	}
}

int bw_tftp_service_new(uv_loop_t *loop, const struct bw_tftp_config *cfg, const char *listen,
			const char *boot_root, const struct bw_vfs *vfs,
			struct bw_tftp_service **ret)
{
	struct bw_tftp_service *svc = calloc(1, sizeof(*svc));
	struct sockaddr_storage addr;
	char as[BW_ADDRSTRLEN];
	int r;

	if (!svc)
		return -ENOMEM;
	svc->loop = loop;
	svc->cfg = cfg;
	svc->root = boot_root;
	svc->vfs = vfs;
	bw_tftp_fcache_init(&svc->fcache);
	r = bw_sock_addr_parse(listen, (uint16_t)cfg->port, &addr);
	if (r < 0)
		goto out_free;
	svc->root_fd = open(boot_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (svc->root_fd < 0) {
		r = -errno;
		bw_log(BW_LOG_ERROR, "tftp", NULL, "cannot open boot_root %s: %s", boot_root,
		       strerror(errno));
		goto out_free;
	}
	svc->fd = bw_sock_udp_bind((struct sockaddr *)&addr, true);
	if (svc->fd < 0) {
		r = svc->fd;
		bw_log(BW_LOG_ERROR, "tftp", NULL, "cannot bind %s: %s",
		       bw_sock_addr_str((struct sockaddr *)&addr, as, sizeof(as)), strerror(-r));
		goto out_root;
	}
	svc->addr = addr;
	uv_poll_init(loop, &svc->poll, svc->fd);
	svc->poll.data = svc;
	uv_poll_start(&svc->poll, UV_READABLE, tftp_listener_cb);
	bw_log(BW_LOG_INFO, "tftp", NULL, "listening on %s, serving %s",
	       bw_sock_addr_str((struct sockaddr *)&addr, as, sizeof(as)), boot_root);
	*ret = svc;
	return 0;
out_root:
	close(svc->root_fd);
out_free:
	free(svc);
	return r;
}

/* Frees the stopped service once the listener and every transfer are closed. */
static void tftp_svc_maybe_free(struct bw_tftp_service *svc)
{
	if (!svc->stopping || svc->n_conns || svc->pending_closes || svc->conns_closing)
		return;
	bw_tftp_fcache_done(&svc->fcache);
	bw_config_unref(svc->snap);
	free(svc);
}

static void tftp_listener_close_cb(uv_handle_t *h)
{
	struct bw_tftp_service *svc = h->data;

	close(svc->fd);
	close(svc->root_fd);
	svc->pending_closes--;
	tftp_svc_maybe_free(svc);
}

void bw_tftp_service_stop(struct bw_tftp_service *svc)
{
	if (!svc || svc->stopping)
		return;
	svc->stopping = true;
	while (svc->conns) {
		struct bw_tftp_act a;
		struct tftp_conn *c = svc->conns;
		bw_tftp_xfer_fail(&c->x, "server shutting down", &a);
		tftp_conn_execute(c, &a);
		if (c == svc->conns) /* already finished: close it directly */
			tftp_conn_close(c);
	}
	/* the ERRORs were sent directly on each transfer's socket; pending DATA was purged */
	svc->pending_closes = 1;
	uv_poll_stop(&svc->poll);
	uv_close((uv_handle_t *)&svc->poll, tftp_listener_close_cb);
}

void bw_tftp_service_reload(struct bw_tftp_service *svc, const struct bw_tftp_config *cfg,
			    struct bw_config *snap)
{
	struct bw_config *old = svc->snap;

	/* listen and port keep their bound values; the rest applies to the next request */
	svc->snap = bw_config_ref(snap);
	svc->cfg = cfg;
	bw_config_unref(old);
}

void bw_tftp_service_set_peers(struct bw_tftp_service *svc, const struct bw_peers *peers)
{
	svc->peers = peers;
}
