/* tftp_get: a TFTP client for the system tests.
 *
 * Downloads (RRQ) with options (blksize, windowsize, tsize, timeout, raw extras), handles
 * OACK, ACKs per RFC 7440 (at the end of each window, or the last in-order block once upon a
 * gap, and again on timeout; repeats of blocks already received are not ACKed), follows block numbers past 65535 to 0, and writes the file.
 * Uploads (WRQ, --put) in lock-step. Every wait is bounded (--timeout-ms x --retries and
 * --max-seconds).
 *
 * Exit status: 0 done; 10 + code when the server sent ERROR code (11 not found, 12 access
 * violation, 13 disk full, 16 exists, ...); 2 timed out; 3 protocol violation by the server;
 * 4 local error; 64 usage. A one-line reason goes to stderr. */
#include "tftp_common.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_TIMEOUT 2
#define EXIT_PROTO 3
#define EXIT_LOCAL 4
#define EXIT_USAGE 64
#define MAX_EXTRA_OPTS 8

struct get_cfg {
	const char *host, *port, *remote, *output, *put_file, *bind_addr, *mode;
	unsigned long blksize, windowsize, timeout_ms, retries, max_seconds, dally_ms;
	unsigned long stop_after, server_timeout_s, ack_delay_ms;
	bool tsize, verbose;
	unsigned n_extra;
	struct tt_opt extra[MAX_EXTRA_OPTS];
};

struct get_stats {
	uint64_t bytes, blocks, acks, timeouts, out_of_order, repeats, dup_oack, foreign;
};

struct get_conn {
	int fd;
	struct sockaddr_storage server; /* port: the request port, then the server's TID */
	socklen_t server_len;
	bool have_tid;
	uint64_t deadline; /* --max-seconds */
	uint8_t pkt[TT_PKT_MAX + 1];
	uint8_t out[TT_PKT_MAX];
};

/* What the OACK (or its absence) settled. */
struct get_neg {
	unsigned blksize, windowsize;
	bool have_tsize;
	uint64_t tsize;
};

static struct get_stats stats;
static const struct get_cfg *cfg;

static void get_usage(void)
{
	fprintf(stderr,
		"usage: tftp_get [options] HOST PORT REMOTE\n"
		"  -o, --output FILE      local file (default: REMOTE's last component; - = stdout)\n"
		"  -b, --blksize N        ask for blksize N (RFC 2348)\n"
		"  -w, --windowsize N     ask for windowsize N (RFC 7440)\n"
		"  -s, --tsize            ask for tsize; check it against the bytes received\n"
		"  -m, --mode MODE        octet (default) or netascii (decoded to LF)\n"
		"  -t, --timeout-ms N     retransmission timeout (default 1000)\n"
		"  -r, --retries N        consecutive timeouts before giving up (default 5)\n"
		"      --server-timeout S ask for the timeout option (seconds, RFC 2349)\n"
		"      --option NAME=VAL  send an extra option verbatim (repeatable)\n"
		"      --max-seconds N    overall time limit (default 120)\n"
		"      --bind ADDR        local source address\n"
		"      --dally-ms N       after the last ACK, re-ACK repeats for N ms\n"
		"      --put FILE         upload FILE as REMOTE (WRQ) instead of downloading\n"
		"      --stop-after N     with --put: send N blocks, then vanish silently\n"
		"      --ack-delay-ms N   wait N ms before each in-order ACK (a slow client)\n"
		"  -v, --verbose          print statistics\n");
}

static int get_parse_args(int argc, char **argv, struct get_cfg *c)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "blksize", required_argument, NULL, 'b' },
		{ "windowsize", required_argument, NULL, 'w' },
		{ "tsize", no_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "server-timeout", required_argument, NULL, 'T' },
		{ "option", required_argument, NULL, 'O' },
		{ "max-seconds", required_argument, NULL, 'M' },
		{ "bind", required_argument, NULL, 'B' },
		{ "dally-ms", required_argument, NULL, 'D' },
		{ "put", required_argument, NULL, 'P' },
		{ "stop-after", required_argument, NULL, 'S' },
		{ "ack-delay-ms", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r = 0;

	memset(c, 0, sizeof(*c));
	c->mode = "octet";
	c->timeout_ms = 1000;
	c->retries = 5;
	c->max_seconds = 120;
	while ((ch = getopt_long(argc, argv, "o:b:w:sm:t:r:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': c->output = optarg; break;
		case 'b': r = tt_parse_ulong(optarg, 8, 65464, &c->blksize); break;
		case 'w': r = tt_parse_ulong(optarg, 1, 65535, &c->windowsize); break;
		case 's': c->tsize = true; break;
		case 'm': c->mode = optarg; break;
		case 't': r = tt_parse_ulong(optarg, 1, 600000, &c->timeout_ms); break;
		case 'r': r = tt_parse_ulong(optarg, 0, 100000, &c->retries); break;
		case 'T': r = tt_parse_ulong(optarg, 1, 255, &c->server_timeout_s); break;
		case 'M': r = tt_parse_ulong(optarg, 1, 86400, &c->max_seconds); break;
		case 'B': c->bind_addr = optarg; break;
		case 'D': r = tt_parse_ulong(optarg, 0, 600000, &c->dally_ms); break;
		case 'P': c->put_file = optarg; break;
		case 'S': r = tt_parse_ulong(optarg, 1, ULONG_MAX, &c->stop_after); break;
		case 'A': r = tt_parse_ulong(optarg, 0, 10000, &c->ack_delay_ms); break;
		case 'v': c->verbose = true; break;
		case 'O': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || c->n_extra == MAX_EXTRA_OPTS) {
				r = -EINVAL;
				break;
			}
			*eq = '\0';
			c->extra[c->n_extra].name = optarg;
			c->extra[c->n_extra].value = eq + 1;
			c->n_extra++;
			break;
		}
		default: return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "tftp_get: bad value for -%c: %s\n", ch, optarg);
			return r;
		}
	}
	if (argc - optind != 3)
		return -EINVAL;
	c->host = argv[optind];
	c->port = argv[optind + 1];
	c->remote = argv[optind + 2];
	if (strcmp(c->mode, "octet") && strcmp(c->mode, "netascii"))
		return -EINVAL;
	if (c->put_file && (strcmp(c->mode, "octet") || c->windowsize))
		return -EINVAL; /* uploads are octet and lock-step */
	return 0;
}

static int get_open(struct get_conn *conn)
{
	struct sockaddr_storage local;
	socklen_t local_len;
	int rcvbuf = 4 << 20;

	if (tt_resolve(cfg->host, cfg->port, &conn->server, &conn->server_len) < 0) {
		fprintf(stderr, "tftp_get: bad address %s port %s\n", cfg->host, cfg->port);
		return -EINVAL;
	}
	conn->fd = socket(conn->server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (conn->fd < 0) {
		perror("tftp_get: socket");
		return -errno;
	}
	setsockopt(conn->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (cfg->bind_addr) {
		if (tt_resolve(cfg->bind_addr, "0", &local, &local_len) < 0 ||
		    bind(conn->fd, (struct sockaddr *)&local, local_len) < 0) {
			fprintf(stderr, "tftp_get: cannot bind to %s\n", cfg->bind_addr);
			return -EINVAL;
		}
	}
	conn->deadline = tt_now_ms() + cfg->max_seconds * 1000u;
	return 0;
}

static int get_send(struct get_conn *conn, const uint8_t *buf, size_t len)
{
	if (sendto(conn->fd, buf, len, 0, (struct sockaddr *)&conn->server, conn->server_len) < 0) {
		/* ICMP errors from earlier sends surface here; keep going, the timer decides. */
		if (cfg->verbose)
			fprintf(stderr, "tftp_get: sendto: %s\n", strerror(errno));
	}
	return 0;
}

static void get_send_ack(struct get_conn *conn, uint16_t block)
{
	uint8_t ack[4];

	get_send(conn, ack, tt_build_ack(ack, block));
	stats.acks++;
}

/* Receives one packet from the server's TID, waiting at most timeout_ms.
 * Returns its length, 0 on timeout, or -ETIME past --max-seconds. Packets from strangers
 * get ERROR 5 (RFC 1350) and are otherwise ignored. */
static ssize_t get_recv(struct get_conn *conn, uint64_t timeout_ms)
{
	uint64_t until = tt_now_ms() + timeout_ms;

	for (unsigned spins = 0; spins < 100000; spins++) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		struct pollfd pfd = { .fd = conn->fd, .events = POLLIN };
		uint64_t now = tt_now_ms();
		ssize_t n;
		int r;

		if (now >= conn->deadline)
			return -ETIME;
		if (now >= until)
			return 0;
		r = poll(&pfd, 1, (int)((until < conn->deadline ? until : conn->deadline) - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = recvfrom(conn->fd, conn->pkt, sizeof(conn->pkt), 0, (struct sockaddr *)&from,
			     &from_len);
		if (n < 0)
			continue; /* ECONNREFUSED and friends: wait for the timer */
		if (!tt_sa_same_host(&from, &conn->server)) {
			stats.foreign++;
			continue;
		}
		if (conn->have_tid && tt_sa_port(&from) != tt_sa_port(&conn->server)) {
			uint8_t err[64];
			size_t len = tt_build_error(err, sizeof(err), 5, "Unknown transfer ID");

			sendto(conn->fd, err, len, 0, (struct sockaddr *)&from, from_len);
			stats.foreign++;
			continue;
		}
		if (!conn->have_tid) {
			tt_sa_set_port(&conn->server, tt_sa_port(&from));
			conn->have_tid = true;
		}
		if (n < 4) {
			fprintf(stderr, "tftp_get: runt packet of %zd bytes\n", n);
			return -EBADMSG;
		}
		return n;
	}
	return 0;
}

static int get_report_error(const struct get_conn *conn, size_t len)
{
	char text[256];
	uint16_t code = tt_get16(conn->pkt + 2);

	tt_error_text(conn->pkt, len, text, sizeof(text));
	fprintf(stderr, "tftp_get: server ERROR %u: %s\n", code, text);
	return code > 50 ? 60 : 10 + code;
}

static int get_send_error(struct get_conn *conn, uint16_t code, const char *msg)
{
	uint8_t err[128];

	get_send(conn, err, tt_build_error(err, sizeof(err), code, msg));
	return EXIT_PROTO;
}

/* Applies an OACK; rejects options we did not ask for or values above what we asked for. */
static int get_apply_oack(struct get_conn *conn, size_t len, struct get_neg *neg)
{
	size_t off = 2;

	for (unsigned n = 0; off < len && n < 64; n++) {
		const char *name = (const char *)conn->pkt + off;
		const char *val;
		size_t nl = strnlen(name, len - off), vl;
		unsigned long v;

		if (off + nl >= len)
			goto bad;
		val = name + nl + 1;
		off += nl + 1;
		vl = strnlen(val, len - off);
		if (off + vl >= len)
			goto bad;
		off += vl + 1;
		if (!strcasecmp(name, "blksize") && cfg->blksize &&
		    !tt_parse_ulong(val, 8, cfg->blksize, &v)) {
			neg->blksize = (unsigned)v;
		} else if (!strcasecmp(name, "windowsize") && cfg->windowsize &&
			   !tt_parse_ulong(val, 1, cfg->windowsize, &v)) {
			neg->windowsize = (unsigned)v;
		} else if (!strcasecmp(name, "tsize") && (cfg->tsize || cfg->put_file) &&
			   !tt_parse_ulong(val, 0, ULONG_MAX, &v)) {
			neg->have_tsize = true;
			neg->tsize = v;
		} else if (!strcasecmp(name, "timeout") && cfg->server_timeout_s &&
			   !tt_parse_ulong(val, cfg->server_timeout_s, cfg->server_timeout_s, &v)) {
			/* echoed as sent: fine */
		} else {
			bool extra = false;

			for (unsigned i = 0; i < cfg->n_extra; i++)
				extra |= !strcasecmp(name, cfg->extra[i].name);
			if (!extra) {
				fprintf(stderr, "tftp_get: bad OACK option %s=%s\n", name, val);
				return get_send_error(conn, 8, "bad option in OACK");
			}
		}
	}
	if (cfg->verbose)
		fprintf(stderr, "tftp_get: OACK blksize=%u windowsize=%u tsize=%s%llu\n",
			neg->blksize, neg->windowsize, neg->have_tsize ? "" : "(none)",
			(unsigned long long)neg->tsize);
	return 0;
bad:
	fprintf(stderr, "tftp_get: malformed OACK\n");
	return get_send_error(conn, 8, "malformed OACK");
}

static size_t get_build_request(struct get_conn *conn, int op, uint64_t put_size)
{
	struct tt_opt opts[4 + MAX_EXTRA_OPTS];
	char blk[24], win[24], tsz[24], tmo[24];
	unsigned n = 0;

	if (cfg->blksize) {
		snprintf(blk, sizeof(blk), "%lu", cfg->blksize);
		opts[n++] = (struct tt_opt){ "blksize", blk };
	}
	if (cfg->windowsize) {
		snprintf(win, sizeof(win), "%lu", cfg->windowsize);
		opts[n++] = (struct tt_opt){ "windowsize", win };
	}
	if (cfg->tsize) {
		snprintf(tsz, sizeof(tsz), "%llu", (unsigned long long)put_size);
		opts[n++] = (struct tt_opt){ "tsize", tsz };
	}
	if (cfg->server_timeout_s) {
		snprintf(tmo, sizeof(tmo), "%lu", cfg->server_timeout_s);
		opts[n++] = (struct tt_opt){ "timeout", tmo };
	}
	for (unsigned i = 0; i < cfg->n_extra; i++)
		opts[n++] = cfg->extra[i];
	return tt_build_req(conn->out, sizeof(conn->out), op, cfg->remote, cfg->mode, opts, n);
}

/* Netascii decoding state: CR LF -> LF, CR NUL -> CR (RFC 764). */
struct get_ascii {
	bool pending_cr;
};

static int get_write(FILE *f, struct get_ascii *asc, const uint8_t *p, size_t n)
{
	if (!asc) {
		if (n && fwrite(p, 1, n, f) != n)
			return -EIO;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int c = p[i];

		if (asc->pending_cr) {
			asc->pending_cr = false;
			if (c == '\n') {
				fputc('\n', f);
				continue;
			}
			fputc('\r', f);
			if (c == '\0')
				continue;
		}
		if (c == '\r')
			asc->pending_cr = true;
		else
			fputc(c, f);
	}
	return ferror(f) ? -EIO : 0;
}

/* After the final ACK, answer repeats of the last DATA for --dally-ms (RFC 1350). */
static void get_dally(struct get_conn *conn, uint16_t last)
{
	uint64_t until = tt_now_ms() + cfg->dally_ms;

	for (unsigned i = 0; i < 10000; i++) {
		uint64_t now = tt_now_ms();
		ssize_t n;

		if (now >= until)
			return;
		n = get_recv(conn, until - now);
		if (n <= 0)
			return;
		if (tt_get16(conn->pkt) == TT_OP_DATA && tt_get16(conn->pkt + 2) == last)
			get_send_ack(conn, last);
	}
}

struct get_rx {
	uint16_t expect;    /* next block wanted */
	unsigned in_window; /* in-order blocks since the last ACK */
	bool started;       /* OACK or first DATA seen */
	bool gap_acked;     /* an ACK went out for the current gap: stay quiet until progress */
	unsigned timeouts;  /* consecutive */
};

/* Handles one DATA packet. Returns 1 when the transfer is complete, 0 to go on, or an exit
 * status. */
static int get_on_data(struct get_conn *conn, size_t len, struct get_neg *neg,
		       struct get_rx *rx, FILE *f, struct get_ascii *asc)
{
	uint16_t block = tt_get16(conn->pkt + 2);
	size_t n = len - 4;

	if (!rx->started) {
		/* DATA without OACK: the server took none of our options. */
		rx->started = true;
		neg->blksize = 512;
		neg->windowsize = 1;
	}
	if (n > neg->blksize) {
		fprintf(stderr, "tftp_get: DATA %u carries %zu bytes, blksize is %u\n", block, n,
			neg->blksize);
		return get_send_error(conn, 4, "DATA larger than blksize");
	}
	if (block != rx->expect) {
		/* Ahead of what we expect: a gap (loss or reordering). RFC 7440: ACK the last
		 * in-order block at once, once per gap. Behind it: a repeat of data we have
		 * (duplicated, or a window resent after a lost ACK): not a loss, no ACK; if our ACK
		 * was lost the timer resends it. */
		if ((uint16_t)(block - rx->expect) < 0x8000) {
			stats.out_of_order++;
			if (!rx->gap_acked) {
				get_send_ack(conn, (uint16_t)(rx->expect - 1));
				rx->gap_acked = true;
				rx->in_window = 0;
			}
		} else {
			stats.repeats++;
		}
		return 0;
	}
	if (get_write(f, asc, conn->pkt + 4, n) < 0) {
		fprintf(stderr, "tftp_get: write failed\n");
		get_send_error(conn, 3, "client cannot write");
		return EXIT_LOCAL;
	}
	stats.bytes += n;
	stats.blocks++;
	rx->expect++;
	rx->in_window++;
	rx->gap_acked = false;
	rx->timeouts = 0;
	if (n < neg->blksize) {
		get_send_ack(conn, block);
		return 1;
	}
	if (rx->in_window >= neg->windowsize) {
		if (cfg->ack_delay_ms)
			usleep((useconds_t)(cfg->ack_delay_ms * 1000u));
		get_send_ack(conn, block);
		rx->in_window = 0;
	}
	return 0;
}

static int get_on_timeout(struct get_conn *conn, struct get_rx *rx, size_t req_len)
{
	stats.timeouts++;
	if (++rx->timeouts > cfg->retries) {
		fprintf(stderr, "tftp_get: timed out waiting for block %u (%u timeouts)\n",
			rx->expect, rx->timeouts);
		return EXIT_TIMEOUT;
	}
	if (!rx->started)
		get_send(conn, conn->out, req_len); /* RRQ again, to the request port */
	else
		get_send_ack(conn, (uint16_t)(rx->expect - 1));
	rx->in_window = 0;
	rx->gap_acked = false;
	return 0;
}

static int get_download(struct get_conn *conn)
{
	struct get_neg neg = { .blksize = 512, .windowsize = 1 };
	struct get_rx rx = { .expect = 1 };
	struct get_ascii ascii_state = { false };
	struct get_ascii *asc = strcmp(cfg->mode, "netascii") ? NULL : &ascii_state;
	size_t req_len = get_build_request(conn, TT_OP_RRQ, 0);
	const char *out = cfg->output;
	FILE *f;
	int ret = EXIT_TIMEOUT;

	if (!req_len) {
		fprintf(stderr, "tftp_get: request too long\n");
		return EXIT_USAGE;
	}
	if (!out) {
		out = strrchr(cfg->remote, '/');
		out = out ? out + 1 : cfg->remote;
	}
	f = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!f) {
		fprintf(stderr, "tftp_get: cannot open %s: %s\n", out, strerror(errno));
		return EXIT_LOCAL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	get_send(conn, conn->out, req_len);
	for (;;) {
		ssize_t n = get_recv(conn, cfg->timeout_ms);
		uint16_t op;

		if (n == -ETIME) {
			fprintf(stderr, "tftp_get: --max-seconds %lu reached at block %u\n",
				cfg->max_seconds, rx.expect);
			ret = EXIT_TIMEOUT;
			break;
		}
		if (n < 0) {
			ret = get_send_error(conn, 4, "runt packet");
			break;
		}
		if (n == 0) {
			ret = get_on_timeout(conn, &rx, req_len);
			if (ret)
				break;
			continue;
		}
		op = tt_get16(conn->pkt);
		if (op == TT_OP_ERROR) {
			ret = get_report_error(conn, (size_t)n);
			break;
		}
		if (op == TT_OP_OACK) {
			if (rx.started) {
				/* our ACK 0 was lost: the server repeats its OACK */
				stats.dup_oack++;
				if (rx.expect == 1)
					get_send_ack(conn, 0);
				continue;
			}
			if (!cfg->blksize && !cfg->windowsize && !cfg->tsize &&
			    !cfg->server_timeout_s && !cfg->n_extra) {
				fprintf(stderr, "tftp_get: OACK although we sent no options\n");
				ret = get_send_error(conn, 8, "no options requested");
				break;
			}
			neg.blksize = 512;
			neg.windowsize = 1;
			ret = get_apply_oack(conn, (size_t)n, &neg);
			if (ret)
				break;
			rx.started = true;
			rx.timeouts = 0;
			get_send_ack(conn, 0);
			continue;
		}
		if (op != TT_OP_DATA) {
			fprintf(stderr, "tftp_get: unexpected opcode %u\n", op);
			ret = get_send_error(conn, 4, "unexpected opcode");
			break;
		}
		ret = get_on_data(conn, (size_t)n, &neg, &rx, f, asc);
		if (ret == 1) {
			ret = 0;
			break;
		}
		if (ret)
			break;
	}
	if (asc && asc->pending_cr)
		fputc('\r', f);
	if (fflush(f) != 0 && ret == 0)
		ret = EXIT_LOCAL;
	if (f != stdout)
		fclose(f);
	/* tsize counts bytes on the wire (RFC 2349), i.e. after netascii conversion */
	if (ret == 0 && cfg->tsize && neg.have_tsize && neg.tsize != stats.bytes) {
		fprintf(stderr, "tftp_get: OACK tsize %llu but received %llu bytes\n",
			(unsigned long long)neg.tsize, (unsigned long long)stats.bytes);
		ret = EXIT_PROTO;
	}
	if (ret == 0 && cfg->dally_ms)
		get_dally(conn, (uint16_t)(rx.expect - 1));
	if (cfg->verbose || ret)
		fprintf(stderr,
			"tftp_get: %s %s: %llu bytes, %llu blocks, blksize %u, windowsize %u, "
			"%llu ACKs, %llu timeouts, %llu gaps, %llu repeats, %llu repeated OACKs\n",
			ret ? "FAILED" : "done", cfg->remote, (unsigned long long)stats.bytes,
			(unsigned long long)stats.blocks, neg.blksize, neg.windowsize,
			(unsigned long long)stats.acks, (unsigned long long)stats.timeouts,
			(unsigned long long)stats.out_of_order, (unsigned long long)stats.repeats,
			(unsigned long long)stats.dup_oack);
	return ret;
}

/* Waits for the ACK of block (or an OACK when block is 0), resending what is in conn->out
 * on each timeout. Returns 0, or an exit status. */
static int put_wait_ack(struct get_conn *conn, uint16_t block, size_t out_len,
			struct get_neg *neg)
{
	for (unsigned timeouts = 0;;) {
		ssize_t n = get_recv(conn, cfg->timeout_ms);
		uint16_t op;

		if (n == -ETIME) {
			fprintf(stderr, "tftp_get: --max-seconds reached waiting for ACK %u\n", block);
			return EXIT_TIMEOUT;
		}
		if (n < 0)
			return get_send_error(conn, 4, "runt packet");
		if (n == 0) {
			stats.timeouts++;
			if (++timeouts > cfg->retries) {
				fprintf(stderr, "tftp_get: timed out waiting for ACK %u\n", block);
				return EXIT_TIMEOUT;
			}
			get_send(conn, conn->out, out_len);
			continue;
		}
		op = tt_get16(conn->pkt);
		if (op == TT_OP_ERROR)
			return get_report_error(conn, (size_t)n);
		if (op == TT_OP_OACK && block == 0)
			return get_apply_oack(conn, (size_t)n, neg);
		if (op == TT_OP_ACK && tt_get16(conn->pkt + 2) == block)
			return 0;
		/* older ACKs are ignored: answering them is the Sorcerer's Apprentice bug */
	}
}

static int get_upload(struct get_conn *conn)
{
	struct get_neg neg = { .blksize = 512, .windowsize = 1 };
	struct stat st;
	size_t len;
	uint16_t block = 0;
	int ret, fd = open(cfg->put_file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "tftp_get: cannot open %s: %s\n", cfg->put_file, strerror(errno));
		return EXIT_LOCAL;
	}
	len = get_build_request(conn, TT_OP_WRQ, (uint64_t)st.st_size);
	get_send(conn, conn->out, len);
	ret = put_wait_ack(conn, 0, len, &neg);
	for (uint64_t sent = 0; ret == 0;) {
		ssize_t n;

		if (cfg->stop_after && stats.blocks >= cfg->stop_after) {
			fprintf(stderr, "tftp_get: stopping silently after %llu blocks\n",
				(unsigned long long)stats.blocks);
			break;
		}
		n = pread(fd, conn->out + 4, neg.blksize, (off_t)sent);
		if (n < 0) {
			get_send_error(conn, 0, "client read error");
			ret = EXIT_LOCAL;
			break;
		}
		block++;
		tt_put16(conn->out, TT_OP_DATA);
		tt_put16(conn->out + 2, block);
		get_send(conn, conn->out, (size_t)n + 4);
		stats.blocks++;
		ret = put_wait_ack(conn, block, (size_t)n + 4, &neg);
		if (ret)
			break;
		sent += (uint64_t)n;
		stats.bytes = sent;
		if ((size_t)n < neg.blksize)
			break;
	}
	close(fd);
	if (cfg->verbose || ret)
		fprintf(stderr, "tftp_get: %s put %s: %llu bytes, %llu blocks, blksize %u, %llu "
				"timeouts\n",
			ret ? "FAILED" : "done", cfg->remote, (unsigned long long)stats.bytes,
			(unsigned long long)stats.blocks, neg.blksize,
			(unsigned long long)stats.timeouts);
	return ret;
}

int main(int argc, char **argv)
{
	static struct get_cfg config;
	static struct get_conn conn;
	int ret;

	if (get_parse_args(argc, argv, &config) < 0) {
		get_usage();
		return EXIT_USAGE;
	}
	cfg = &config;
	if (get_open(&conn) < 0)
		return EXIT_LOCAL;
	ret = config.put_file ? get_upload(&conn) : get_download(&conn);
	close(conn.fd);
	return ret;
}
