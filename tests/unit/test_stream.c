/* core/stream: the pure reader and limit table, then the libuv part over a socketpair (one
 * end a uv_pipe_t under the helper, the other read and written raw here) and a real TCP
 * listener on loopback for the limits. Every wait is bounded (STREAM_WAIT_MS, a guard
 * against hangs, not a timing expectation). */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "core/sock.h"
#include "core/stream.h"
#include "core/util.h"

#define STREAM_WAIT_MS 30000

/* ---- protocol A: frames of [type][length, 16-bit big-endian] + body, body at most 64 ---- */

#define PA_HDR 3
#define PA_MAX 64
#define PA_TYPE_BAD 0xff /* a header the protocol refuses */

static int pa_body_len(void *arg, const uint8_t *hdr, size_t hdr_len, size_t *ret_len)
{
	if (hdr[0] == PA_TYPE_BAD)
		return -EBADMSG;
	*ret_len = (size_t)hdr[1] << 8 | hdr[2];
	return 0;
}

/* A header claiming len bytes of body (which may be absurd). */
static void pa_hdr(uint8_t *out, uint8_t type, size_t len)
{
	out[0] = type;
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
}

static size_t pa_put(uint8_t *out, uint8_t type, const void *body, size_t len)
{
	pa_hdr(out, type, len);
	if (len)
		memcpy(out + PA_HDR, body, len);
	return PA_HDR + len;
}

/* Four messages: a short body, an empty one, 40 bytes, the largest allowed. */
static size_t pa_stream(uint8_t *out)
{
	uint8_t b40[40], b64[PA_MAX];
	size_t n = 0;

	for (unsigned i = 0; i < sizeof(b40); i++)
		b40[i] = (uint8_t)i;
	memset(b64, 'x', sizeof(b64));
	n += pa_put(out + n, 1, "hello", 5);
	n += pa_put(out + n, 2, NULL, 0);
	n += pa_put(out + n, 3, b40, sizeof(b40));
	n += pa_put(out + n, 4, b64, sizeof(b64));
	return n;
}
#define PA_STREAM_MSGS 4

/* ---- the pure reader -------------------------------------------------------------------- */

/* What a reader delivered: headers and bodies appended in order (which rebuilds the input
 * when framing is right), the number of messages, the first error. */
struct rec {
	uint8_t out[1 << 16];
	size_t len;
	unsigned n;
	int err;
};

static void rec_add(struct rec *r, const void *p, size_t n)
{
	if (n && r->len + n <= sizeof(r->out)) {
		memcpy(r->out + r->len, p, n);
		r->len += n;
	} else if (n) {
		r->err = -ENOSPC;
	}
}

static void pa_deliver(struct bw_stream_rd *rd, struct rec *r)
{
	struct bw_stream_msg m;
	int k;

	while ((k = bw_stream_rd_next(rd, &m)) > 0) {
		CHECK_EQ_U64(m.len, PA_HDR);
		CHECK(m.body == m.data + PA_HDR);
		rec_add(r, m.data, m.len);
		rec_add(r, m.body, m.body_len);
		r->n++;
	}
	if (k < 0 && !r->err)
		r->err = k;
}

/* Feeds n bytes the way a socket would: into the space the reader names, at most chunk
 * bytes per "read", stepping the reader after each. */
static void rd_feed(struct bw_stream_rd *rd, const uint8_t *p, size_t n, size_t chunk,
                    void (*deliver)(struct bw_stream_rd *, struct rec *), struct rec *r)
{
	while (n && !r->err) {
		uint8_t *q;
		size_t room, k;

		bw_stream_rd_space(rd, &q, &room);
		if (!CHECK(room > 0))
			return;
		k = n < room ? n : room;
		k = k < chunk ? k : chunk;
		memcpy(q, p, k);
		bw_stream_rd_commit(rd, k);
		p += k;
		n -= k;
		deliver(rd, r);
	}
}

static void test_rd_frames_splits(size_t cap)
{
	static struct rec r;
	uint8_t s[512], buf[4096];
	size_t n = pa_stream(s);
	struct bw_stream_rd rd;

	check_context = "frames, every single split";
	for (size_t k = 0; k <= n; k++) {
		memset(&r, 0, sizeof(r));
		bw_stream_rd_init(&rd, buf, cap);
		CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, PA_MAX, pa_body_len, NULL), 0);
		rd_feed(&rd, s, k, SIZE_MAX, pa_deliver, &r);
		rd_feed(&rd, s + k, n - k, SIZE_MAX, pa_deliver, &r);
		CHECK_EQ_INT(r.err, 0);
		CHECK_EQ_INT(r.n, PA_STREAM_MSGS);
		CHECK_EQ_MEM(r.out, r.len, s, n);
		CHECK(!bw_stream_rd_is_partial(&rd));
	}
	check_context = "frames, one byte at a time";
	memset(&r, 0, sizeof(r));
	bw_stream_rd_init(&rd, buf, cap);
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, PA_MAX, pa_body_len, NULL), 0);
	for (unsigned rep = 0; rep < 3; rep++)
		rd_feed(&rd, s, n, 1, pa_deliver, &r);
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_INT(r.n, 3 * PA_STREAM_MSGS);
	check_context = "frames, coalesced";
	memset(&r, 0, sizeof(r));
	bw_stream_rd_init(&rd, buf, cap);
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, PA_MAX, pa_body_len, NULL), 0);
	{
		uint8_t many[20 * 512];
		size_t m = 0;

		for (unsigned rep = 0; rep < 20; rep++) {
			memcpy(many + m, s, n);
			m += n;
		}
		rd_feed(&rd, many, m, SIZE_MAX, pa_deliver, &r);
		CHECK_EQ_INT(r.n, 20 * PA_STREAM_MSGS);
		CHECK_EQ_MEM(r.out, r.len, many, m);
	}
	check_context = NULL;
}

static void test_rd_frames_errors(void)
{
	uint8_t buf[PA_HDR + PA_MAX], s[PA_HDR];
	struct bw_stream_rd rd;
	static struct rec r;

	memset(&r, 0, sizeof(r));
	bw_stream_rd_init(&rd, buf, sizeof(buf));
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, PA_MAX, pa_body_len, NULL), 0);
	pa_hdr(s, 1, PA_MAX + 1);
	rd_feed(&rd, s, 2, SIZE_MAX, pa_deliver, &r);
	CHECK_EQ_INT(r.err, 0);
	CHECK(bw_stream_rd_wants_input(&rd));
	CHECK(bw_stream_rd_is_partial(&rd));
	rd_feed(&rd, s + 2, 1, SIZE_MAX, pa_deliver, &r);
	CHECK_EQ_INT(r.err, -EMSGSIZE);
	CHECK_EQ_INT(r.n, 0);

	memset(&r, 0, sizeof(r));
	bw_stream_rd_init(&rd, buf, sizeof(buf));
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, PA_MAX, pa_body_len, NULL), 0);
	pa_hdr(s, PA_TYPE_BAD, 0);
	rd_feed(&rd, s, sizeof(s), SIZE_MAX, pa_deliver, &r);
	CHECK_EQ_INT(r.err, -EBADMSG);

	/* requests that cannot fit, or make no sense */
	bw_stream_rd_init(&rd, buf, sizeof(buf));
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, PA_MAX + 1, pa_body_len, NULL), -EMSGSIZE);
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, sizeof(buf) + 1, 0, pa_body_len, NULL), -EMSGSIZE);
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, 0, 0, pa_body_len, NULL), -EINVAL);
	CHECK_EQ_INT(bw_stream_rd_frames(&rd, PA_HDR, 0, NULL, NULL), -EINVAL);
	CHECK_EQ_INT(bw_stream_rd_exact(&rd, sizeof(buf) + 1), -EMSGSIZE);
	CHECK_EQ_INT(bw_stream_rd_exact(&rd, sizeof(buf)), 0);
	CHECK_EQ_INT(bw_stream_rd_into(&rd, NULL, 1), -EINVAL);
	CHECK(bw_stream_rd_wants_input(&rd));
	CHECK_EQ_INT(bw_stream_rd_stop(&rd), 0);
	CHECK(!bw_stream_rd_wants_input(&rd));
}

/* ---- protocol B: a 2-byte length, then that many bytes (exact, or into a caller buffer) -- */

struct pb {
	struct rec r;
	bool use_into;
	bool in_body;
	uint8_t *dst; /* INTO: the caller's buffer */
	size_t dst_cap;
	unsigned direct; /* reads that landed straight in dst */
};

static struct pb *pb_of(struct rec *r)
{
	return (struct pb *)r; /* r is pb's first member */
}

/* One step of protocol B for message m; returns the next request's result. */
static int pb_step(struct pb *b, struct bw_stream_rd *rd, const struct bw_stream_msg *m)
{
	size_t len;

	if (b->in_body) {
		if (b->use_into)
			CHECK(m->data == b->dst);
		rec_add(&b->r, m->data, m->len);
		b->r.n++;
		b->in_body = false;
		return bw_stream_rd_exact(rd, 2);
	}
	rec_add(&b->r, m->data, m->len);
	len = (size_t)m->data[0] << 8 | m->data[1];
	b->in_body = true;
	if (b->use_into && len <= b->dst_cap)
		return bw_stream_rd_into(rd, b->dst, len);
	return bw_stream_rd_exact(rd, len);
}

static void pb_deliver(struct bw_stream_rd *rd, struct rec *r)
{
	struct pb *b = pb_of(r);
	struct bw_stream_msg m;
	int k;

	while ((k = bw_stream_rd_next(rd, &m)) > 0) {
		k = pb_step(b, rd, &m);
		if (k < 0) {
			r->err = k;
			return;
		}
	}
	if (k < 0 && !r->err)
		r->err = k;
}

static size_t pb_put(uint8_t *out, size_t len, uint8_t seed)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		out[2 + i] = (uint8_t)(seed + i * 7);
	return 2 + len;
}

/* Bodies of 0, 5, 300 and 10000 bytes: the last is over BW_STREAM_DIRECT_MIN. */
static size_t pb_stream(uint8_t *out)
{
	size_t n = 0;

	n += pb_put(out + n, 0, 1);
	n += pb_put(out + n, 5, 2);
	n += pb_put(out + n, 300, 3);
	n += pb_put(out + n, 10000, 4);
	return n;
}

/* Like rd_feed, counting the reads that the reader sent straight into the caller's buffer. */
static void pb_feed(struct pb *b, struct bw_stream_rd *rd, const uint8_t *p, size_t n, size_t chunk)
{
	while (n && !b->r.err) {
		uint8_t *q;
		size_t room, k;

		bw_stream_rd_space(rd, &q, &room);
		if (!CHECK(room > 0))
			return;
		if (b->dst && q >= b->dst && q < b->dst + b->dst_cap)
			b->direct++;
		k = n < room ? n : room;
		k = k < chunk ? k : chunk;
		memcpy(q, p, k);
		bw_stream_rd_commit(rd, k);
		p += k;
		n -= k;
		pb_deliver(rd, &b->r);
	}
}

static void pb_run(bool use_into, size_t cap, size_t split, size_t chunk, const uint8_t *s,
                   size_t n)
{
	static struct pb b;
	static uint8_t buf[16384], dst[16384];
	struct bw_stream_rd rd;

	memset(&b, 0, sizeof(b));
	b.use_into = use_into;
	b.dst = use_into ? dst : NULL;
	b.dst_cap = sizeof(dst);
	bw_stream_rd_init(&rd, buf, cap);
	CHECK_EQ_INT(bw_stream_rd_exact(&rd, 2), 0);
	pb_feed(&b, &rd, s, split, chunk);
	pb_feed(&b, &rd, s + split, n - split, chunk);
	CHECK_EQ_INT(b.r.err, 0);
	CHECK_EQ_INT(b.r.n, 4);
	CHECK_EQ_MEM(b.r.out, b.r.len, s, n);
	if (use_into && chunk >= BW_STREAM_DIRECT_MIN && split < n - 10000)
		CHECK(b.direct > 0); /* the 10000-byte body landed in place */
}

static void test_rd_exact_into(void)
{
	static uint8_t s[16384];
	size_t n = pb_stream(s);

	check_context = "exact, every single split";
	for (size_t k = 0; k <= n; k++)
		pb_run(false, 16384, k, SIZE_MAX, s, n);
	check_context = "into, every single split, small staging buffer";
	for (size_t k = 0; k <= n; k++)
		pb_run(true, 64, k, SIZE_MAX, s, n);
	check_context = "one byte at a time";
	pb_run(false, 16384, 0, 1, s, n);
	pb_run(true, 64, 0, 1, s, n);
	check_context = "coalesced";
	pb_run(false, 16384, n, SIZE_MAX, s, n);
	pb_run(true, 16384, n, SIZE_MAX, s, n);
	check_context = NULL;
}

static void test_rd_misc(void)
{
	uint8_t buf[64], dst[8], in[4] = {1, 2, 3, 4};
	struct bw_stream_rd rd;
	struct bw_stream_msg m;
	uint8_t *q;
	size_t room;

	bw_stream_rd_init(&rd, buf, sizeof(buf));
	/* nothing asked: bytes wait, nothing is delivered */
	bw_stream_rd_space(&rd, &q, &room);
	memcpy(q, in, 4);
	bw_stream_rd_commit(&rd, 4);
	CHECK_EQ_INT(bw_stream_rd_next(&rd, &m), 0);
	CHECK(!bw_stream_rd_wants_input(&rd));
	CHECK_EQ_U64(bw_stream_rd_staged(&rd), 4);
	/* a zero-length request completes at once */
	CHECK_EQ_INT(bw_stream_rd_exact(&rd, 0), 0);
	CHECK_EQ_INT(bw_stream_rd_next(&rd, &m), 1);
	CHECK_EQ_U64(m.len, 0);
	/* a partly filled caller buffer cannot be abandoned */
	CHECK_EQ_INT(bw_stream_rd_into(&rd, dst, sizeof(dst)), 0);
	CHECK_EQ_INT(bw_stream_rd_next(&rd, &m), 0);
	CHECK_EQ_MEM(dst, 4, in, 4);
	CHECK(bw_stream_rd_is_partial(&rd));
	CHECK_EQ_INT(bw_stream_rd_exact(&rd, 1), -EBUSY);
	CHECK_EQ_INT(bw_stream_rd_stop(&rd), -EBUSY);
	bw_stream_rd_space(&rd, &q, &room);
	CHECK(q == buf); /* under BW_STREAM_DIRECT_MIN missing: staged, then copied */
	memcpy(q, in, 4);
	bw_stream_rd_commit(&rd, 4);
	CHECK_EQ_INT(bw_stream_rd_next(&rd, &m), 1);
	CHECK(m.data == dst);
	CHECK_EQ_U64(m.len, sizeof(dst));
	CHECK(!bw_stream_rd_is_partial(&rd));
}

/* ---- the limit table -------------------------------------------------------------------- */

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	CHECK_EQ_INT(bw_sock_addr_parse(ip, port, &ss), 0);
	return ss;
}
#define SA(ss) ((const struct sockaddr *)&(ss))

static void test_lim_basic(void)
{
	struct sockaddr_storage a1 = addr("10.0.0.1", 1000), a2 = addr("10.0.0.1", 2000),
	                        b = addr("10.0.0.2", 1000), c = addr("10.0.0.3", 1000);
	struct bw_stream_lim lim;

	CHECK_EQ_INT(bw_stream_lim_init(&lim, 3, 2, 42), 0);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(a1)), BW_STREAM_REJ_OK);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(a2)), BW_STREAM_REJ_OK); /* the port is ignored */
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(a1)), BW_STREAM_REJ_PER_ADDR);
	CHECK_EQ_U64(bw_stream_lim_count(&lim, SA(a1)), 2);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(b)), BW_STREAM_REJ_OK);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(c)), BW_STREAM_REJ_TOTAL);
	CHECK_EQ_U64(lim.total, 3);
	CHECK_EQ_U64(lim.n_ents, 2);
	CHECK_EQ_U64(bw_stream_lim_count(&lim, SA(c)), 0);
	/* a connection closes: its slot is free again, for any address */
	bw_stream_lim_release(&lim, SA(a1));
	CHECK_EQ_U64(bw_stream_lim_count(&lim, SA(a1)), 1);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(c)), BW_STREAM_REJ_OK);
	bw_stream_lim_release(&lim, SA(c));
	bw_stream_lim_release(&lim, SA(c)); /* not admitted any more: ignored */
	bw_stream_lim_release(&lim, SA(b));
	bw_stream_lim_release(&lim, SA(a2));
	CHECK_EQ_U64(lim.total, 0);
	CHECK_EQ_U64(lim.n_ents, 0);
	CHECK_EQ_STR(bw_stream_rej_str(BW_STREAM_REJ_PER_ADDR),
	             "too many connections from this address");
	bw_stream_lim_done(&lim);
}

static void test_lim_ipv6(void)
{
	struct sockaddr_storage v6a = addr("2001:db8::1", 1), v6b = addr("2001:db8::2", 1),
	                        mapped = addr("::ffff:192.0.2.7", 5), v4 = addr("192.0.2.7", 6);
	struct bw_stream_lim lim;

	CHECK_EQ_INT(bw_stream_lim_init(&lim, 0, 1, 7), 0);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(v6a)), BW_STREAM_REJ_OK);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(v6b)), BW_STREAM_REJ_OK); /* exact addresses */
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(v6a)), BW_STREAM_REJ_PER_ADDR);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(mapped)), BW_STREAM_REJ_OK);
	CHECK_EQ_INT(bw_stream_lim_admit(&lim, SA(v4)), BW_STREAM_REJ_PER_ADDR); /* same client */
	CHECK_EQ_U64(bw_stream_lim_count(&lim, SA(v4)), 1);
	bw_stream_lim_done(&lim);
}

/* Many addresses: the table grows, every one is counted apart, all of it is released. */
static void test_lim_many(void)
{
	struct bw_stream_lim lim;
	struct sockaddr_in6 a;
	unsigned bad = 0;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr.s6_addr[0] = 0x20;
	CHECK_EQ_INT(bw_stream_lim_init(&lim, 0, 1, 99), 0);
	for (unsigned i = 0; i < 5000; i++) {
		a.sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
		a.sin6_addr.s6_addr[15] = (uint8_t)i;
		bad += bw_stream_lim_admit(&lim, (struct sockaddr *)&a) != BW_STREAM_REJ_OK;
		bad += bw_stream_lim_admit(&lim, (struct sockaddr *)&a) != BW_STREAM_REJ_PER_ADDR;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(lim.total, 5000);
	CHECK_EQ_U64(lim.n_ents, 5000);
	CHECK(lim.n_buckets >= 4096);
	for (unsigned i = 0; i < 5000; i++) {
		a.sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
		a.sin6_addr.s6_addr[15] = (uint8_t)i;
		bw_stream_lim_release(&lim, (struct sockaddr *)&a);
	}
	CHECK_EQ_U64(lim.total, 0);
	CHECK_EQ_U64(lim.n_ents, 0);
	bw_stream_lim_done(&lim);
}

/* ---- over a socketpair ------------------------------------------------------------------ */

#define BIG_LEN (1u << 20)

/* One connection under test: the helper's side, the raw side, what the protocol saw. */
struct tc {
	uv_loop_t loop;
	struct bw_stream_conn *c;
	int raw;
	struct bw_stream_cfg cfg;
	/* protocol A's record */
	uint8_t got[1 << 16];
	size_t got_len;
	unsigned n_msgs;
	/* behaviour */
	unsigned close_at, abort_at; /* close (after writing "bye") on that message */
	bool reply;                  /* write "ok" for every message */
	unsigned stop_at;            /* ask for nothing more after that message */
	uint8_t *big;                /* a message of type 9 writes this (by reference) */
	bool use_into;               /* protocol B with a caller buffer instead of protocol A */
	bool in_body;
	/* results */
	unsigned n_close, n_drain, n_release, drains_before_msg2;
	int release_status;
	enum bw_stream_reason reason;
	int err, write_after_close, read_after_close;
	bool congested_after_big;
	/* the raw side's input */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	bool raw_eof;
};

static bool run_until_at(struct tc *t, bool (*cond)(struct tc *), const char *what, int line);
/* Runs the loop until cond holds; a failed check (with the caller's line) past the guard. */
#define run_until(t, cond) run_until_at((t), (cond), #cond, __LINE__)

static void tc_release(void *arg, int status)
{
	struct tc *t = arg;

	t->n_release++;
	t->release_status = status;
}

static void tc_on_msg(struct tc *t, struct bw_stream_conn *c, const struct bw_stream_msg *m)
{
	if (m->len + m->body_len <= sizeof(t->got) - t->got_len) {
		memcpy(t->got + t->got_len, m->data, m->len);
		t->got_len += m->len;
		if (m->body_len)
			memcpy(t->got + t->got_len, m->body, m->body_len);
		t->got_len += m->body_len;
	}
	t->n_msgs++;
	if (t->n_msgs == 2)
		t->drains_before_msg2 = t->n_drain;
	if (t->reply)
		CHECK_EQ_INT(bw_stream_write(c, "ok", 2), 0);
	if (t->n_msgs == t->stop_at)
		CHECK_EQ_INT(bw_stream_read_stop(c), 0);
	if (m->data[0] == 9 && t->big) {
		uv_buf_t b = {.base = (char *)t->big, .len = BIG_LEN};
		CHECK_EQ_INT(bw_stream_write_ref(c, &b, 1, tc_release, t), 0);
		CHECK_EQ_INT(bw_stream_write(c, "end", 3), 0);
		t->congested_after_big = bw_stream_is_congested(c);
	}
	if (t->n_msgs == t->close_at || t->n_msgs == t->abort_at) {
		CHECK_EQ_INT(bw_stream_write(c, "bye", 3), 0);
		if (t->n_msgs == t->close_at)
			bw_stream_close(c);
		else
			bw_stream_abort(c);
		t->write_after_close = bw_stream_write(c, "x", 1);
		t->read_after_close = bw_stream_read(c, 1);
	}
}

/* Protocol B with the caller's buffer t->big. */
static void tc_on_into(struct tc *t, struct bw_stream_conn *c, const struct bw_stream_msg *m)
{
	size_t len;

	if (t->in_body) {
		CHECK(m->data == t->big);
		t->n_msgs++;
		t->in_body = false;
		CHECK_EQ_INT(bw_stream_read(c, 4), 0);
		return;
	}
	len = (size_t)m->data[0] << 24 | (size_t)m->data[1] << 16 | (size_t)m->data[2] << 8 |
	      m->data[3];
	t->in_body = true;
	CHECK_EQ_INT(bw_stream_read_into(c, t->big, len), 0);
}

static void tc_on_read(struct bw_stream_conn *c, const struct bw_stream_msg *m)
{
	struct tc *t = bw_stream_ctx(c);

	if (t->use_into)
		tc_on_into(t, c, m);
	else
		tc_on_msg(t, c, m);
}

static void tc_on_drain(struct bw_stream_conn *c)
{
	struct tc *t = bw_stream_ctx(c);

	t->n_drain++;
}

static void tc_on_close(struct bw_stream_conn *c, enum bw_stream_reason reason, int err)
{
	struct tc *t = bw_stream_ctx(c);

	t->n_close++;
	t->reason = reason;
	t->err = err;
	t->c = NULL;
}

static const struct bw_stream_ops tc_ops = {
    .on_read = tc_on_read,
    .on_drain = tc_on_drain,
    .on_close = tc_on_close,
};

/* Reads what the raw side has (never blocks). */
static void tc_raw_drain(struct tc *t)
{
	for (;;) {
		ssize_t n;

		if (t->raw < 0 || t->raw_eof || t->rx_len == t->rx_cap)
			return;
		n = read(t->raw, t->rx + t->rx_len, t->rx_cap - t->rx_len);
		if (n > 0)
			t->rx_len += (size_t)n;
		else if (n == 0)
			t->raw_eof = true;
		else
			return;
	}
}

static bool run_until_at(struct tc *t, bool (*cond)(struct tc *), const char *what, int line)
{
	uint64_t deadline = bw_now_ms() + STREAM_WAIT_MS;

	for (;;) {
		tc_raw_drain(t);
		if (cond(t))
			return true;
		if (bw_now_ms() > deadline)
			break;
		uv_run(&t->loop, UV_RUN_NOWAIT);
		if (cond(t))
			return true;
		usleep(1000);
	}
	check_true(false, what, __FILE__, line);
	return false;
}

/* Writes all of p to the raw side, running the loop while the socket is full. */
static void tc_raw_write(struct tc *t, const void *p, size_t n)
{
	const uint8_t *q = p;
	uint64_t deadline = bw_now_ms() + STREAM_WAIT_MS;

	while (n && bw_now_ms() <= deadline) {
		ssize_t k = write(t->raw, q, n);

		if (k > 0) {
			q += k;
			n -= (size_t)k;
			continue;
		}
		uv_run(&t->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	CHECK_EQ_U64(n, 0);
}

static struct tc *tc_new(void (*tune)(struct bw_stream_cfg *))
{
	struct tc *t = calloc(1, sizeof(*t));
	int sv[2];

	if (!t)
		return NULL;
	uv_loop_init(&t->loop);
	t->rx_cap = 4 * BIG_LEN;
	t->rx = malloc(t->rx_cap);
	bw_stream_cfg_init(&t->cfg, "test");
	t->cfg.rbuf_size = PA_HDR + PA_MAX;
	if (tune)
		tune(&t->cfg);
	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		abort();
	t->raw = sv[1];
	fcntl(t->raw, F_SETFL, O_NONBLOCK);
	if (!CHECK_EQ_INT(bw_stream_adopt(&t->loop, sv[0], &t->cfg, &tc_ops, t, &t->c), 0))
		abort();
	CHECK_EQ_STR(bw_stream_peer_str(t->c), "local");
	return t;
}

static bool tc_closed(struct tc *t)
{
	return t->n_close > 0;
}

static void tc_free(struct tc *t)
{
	if (t->c)
		bw_stream_abort(t->c);
	if (t->raw >= 0)
		close(t->raw);
	t->raw = -1;
	run_until(t, tc_closed);
	uv_run(&t->loop, UV_RUN_DEFAULT); /* every handle is closed by now: returns at once */
	CHECK_EQ_INT(uv_loop_close(&t->loop), 0);
	CHECK_EQ_INT(t->n_close, 1);
	free(t->big);
	free(t->rx);
	free(t);
}

static void tc_frames(struct tc *t)
{
	CHECK_EQ_INT(bw_stream_read_frames(t->c, PA_HDR, PA_MAX, pa_body_len, NULL), 0);
}

static uint64_t tc_want;
static bool tc_read_enough(struct tc *t)
{
	return !t->c || bw_stream_bytes_read(t->c) >= tc_want;
}
static bool tc_msgs_enough(struct tc *t)
{
	return t->n_msgs >= tc_want || t->n_close;
}
static bool tc_rx_enough(struct tc *t)
{
	return t->rx_len >= tc_want || t->raw_eof;
}
static bool tc_raw_eof(struct tc *t)
{
	return t->raw_eof;
}

static void tune_big_rbuf(struct bw_stream_cfg *cfg)
{
	cfg->rbuf_size = 16384;
}

/* Frames split at every byte boundary (two writes each, the first read before the second is
 * sent), one byte at a time, and many in one write. */
static void test_conn_splits(void (*tune)(struct bw_stream_cfg *))
{
	struct tc *t = tc_new(tune);
	static uint8_t sent[1 << 16];
	uint8_t s[512];
	size_t n = pa_stream(s), sent_len = 0;
	unsigned msgs = 0;

	tc_frames(t);
	for (size_t k = 1; k < n; k++) {
		tc_raw_write(t, s, k);
		tc_want = sent_len + k;
		run_until(t, tc_read_enough);
		tc_raw_write(t, s + k, n - k);
		memcpy(sent + sent_len, s, n);
		sent_len += n;
		msgs += PA_STREAM_MSGS;
		tc_want = msgs;
		run_until(t, tc_msgs_enough);
	}
	for (size_t k = 0; k < n; k++) {
		tc_raw_write(t, s + k, 1);
		tc_want = sent_len + k + 1;
		run_until(t, tc_read_enough);
	}
	memcpy(sent + sent_len, s, n);
	sent_len += n;
	msgs += PA_STREAM_MSGS;
	for (unsigned rep = 0; rep < 50; rep++) {
		memcpy(sent + sent_len, s, n);
		sent_len += n;
	}
	tc_raw_write(t, sent + sent_len - 50 * n, 50 * n);
	msgs += 50 * PA_STREAM_MSGS;
	tc_want = msgs;
	run_until(t, tc_msgs_enough);
	CHECK_EQ_INT(t->n_msgs, msgs);
	CHECK_EQ_MEM(t->got, t->got_len, sent, sent_len);
	CHECK_EQ_INT(t->n_close, 0);
	tc_free(t);
}

/* A body over the cap, and a header the protocol refuses: protocol errors that close. */
static void test_conn_proto_error(void)
{
	for (unsigned bad_type = 0; bad_type < 2; bad_type++) {
		struct tc *t = tc_new(NULL);
		uint8_t s[PA_HDR];

		tc_frames(t);
		pa_hdr(s, bad_type ? PA_TYPE_BAD : 1, PA_MAX + 1);
		tc_raw_write(t, s, sizeof(s));
		run_until(t, tc_raw_eof); /* our side shut down: the test closes its end */
		close(t->raw);
		t->raw = -1;
		run_until(t, tc_closed);
		CHECK_EQ_INT(t->reason, BW_STREAM_R_PROTO);
		CHECK_EQ_INT(t->err, bad_type ? -EBADMSG : -EMSGSIZE);
		CHECK_EQ_INT(t->n_msgs, 0);
		tc_free(t);
	}
}

/* The protocol stops asking after the first message (the second waits in the buffer), then
 * asks again from outside a callback: the waiting message comes from the loop, not from
 * inside that call. */
static void test_conn_pause(void)
{
	struct tc *t = tc_new(NULL);
	uint8_t s[512];
	size_t n = pa_stream(s);

	t->stop_at = 1;
	tc_frames(t);
	tc_raw_write(t, s, n);
	tc_want = 1;
	run_until(t, tc_msgs_enough);
	for (unsigned i = 0; i < 20; i++) {
		uv_run(&t->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	CHECK_EQ_INT(t->n_msgs, 1);
	tc_frames(t);
	CHECK_EQ_INT(t->n_msgs, 1);
	tc_want = PA_STREAM_MSGS;
	run_until(t, tc_msgs_enough);
	CHECK_EQ_INT(t->n_msgs, PA_STREAM_MSGS);
	CHECK_EQ_MEM(t->got, t->got_len, s, n);
	tc_free(t);
}

static void tune_into(struct bw_stream_cfg *cfg)
{
	cfg->rbuf_size = 4096;
}

/* A 1 MiB payload read into the protocol's own buffer. */
static void test_conn_into(void)
{
	struct tc *t = tc_new(tune_into);
	uint8_t *payload = malloc(BIG_LEN + 4);

	t->use_into = true;
	t->big = calloc(1, BIG_LEN);
	if (!CHECK(payload && t->big))
		abort();
	payload[0] = (uint8_t)(BIG_LEN >> 24);
	payload[1] = (uint8_t)(BIG_LEN >> 16);
	payload[2] = (uint8_t)(BIG_LEN >> 8);
	payload[3] = (uint8_t)BIG_LEN;
	for (size_t i = 0; i < BIG_LEN; i++)
		payload[4 + i] = (uint8_t)(i * 13 + (i >> 11));
	CHECK_EQ_INT(bw_stream_read(t->c, 4), 0);
	tc_raw_write(t, payload, BIG_LEN + 4);
	tc_want = 1;
	run_until(t, tc_msgs_enough);
	CHECK_EQ_INT(t->n_msgs, 1);
	CHECK_EQ_MEM(t->big, BIG_LEN, payload + 4, BIG_LEN);
	CHECK_EQ_U64(bw_stream_bytes_read(t->c), BIG_LEN + 4);
	free(payload);
	tc_free(t);
}

static void tune_water(struct bw_stream_cfg *cfg)
{
	cfg->rbuf_size = PA_HDR + PA_MAX;
	cfg->wq_high = 64u << 10;
	cfg->wq_low = 16u << 10;
}

/* The raw side does not read: the 1 MiB answer queues past high-water, the connection is
 * not read any more; the raw side drains, on_drain runs, the next message is delivered. */
static void test_conn_backpressure(void)
{
	struct tc *t = tc_new(tune_water);
	uint8_t s[2 * PA_HDR];
	uint64_t in;

	t->big = malloc(BIG_LEN);
	if (!CHECK(t->big != NULL))
		abort();
	for (size_t i = 0; i < BIG_LEN; i++)
		t->big[i] = (uint8_t)(i * 31);
	tc_frames(t);
	pa_hdr(s, 9, 0);
	tc_raw_write(t, s, PA_HDR);
	tc_want = 1;
	run_until(t, tc_msgs_enough);
	CHECK(t->congested_after_big);
	CHECK(bw_stream_is_congested(t->c));
	CHECK(bw_stream_queued(t->c) > (64u << 10));
	in = bw_stream_bytes_read(t->c);
	pa_hdr(s, 1, 0);
	tc_raw_write(t, s, PA_HDR);
	for (unsigned i = 0; i < 20; i++) { /* the loop goes round; the connection is not read */
		uv_run(&t->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	CHECK_EQ_U64(bw_stream_bytes_read(t->c), in);
	CHECK_EQ_INT(t->n_msgs, 1);
	CHECK_EQ_INT(t->n_drain, 0);
	tc_want = BIG_LEN + 3;
	run_until(t, tc_rx_enough); /* the raw side reads now */
	CHECK_EQ_MEM(t->rx, BIG_LEN, t->big, BIG_LEN);
	CHECK_EQ_MEM(t->rx + BIG_LEN, t->rx_len - BIG_LEN, "end", 3);
	tc_want = 2;
	run_until(t, tc_msgs_enough);
	CHECK_EQ_INT(t->n_drain, 1);
	CHECK_EQ_INT(t->drains_before_msg2, 1);
	CHECK_EQ_INT(t->n_release, 1);
	CHECK_EQ_INT(t->release_status, 0);
	CHECK(!bw_stream_is_congested(t->c));
	CHECK_EQ_U64(bw_stream_queued(t->c), 0);
	CHECK_EQ_U64(bw_stream_bytes_written(t->c), BIG_LEN + 3);
	tc_free(t);
}

/* A big write by reference dropped by a hard close still gets its release callback. */
static void test_conn_release_on_abort(void)
{
	struct tc *t = tc_new(tune_water);
	uint8_t s[PA_HDR];

	t->big = calloc(1, BIG_LEN);
	tc_frames(t);
	pa_hdr(s, 9, 0);
	tc_raw_write(t, s, PA_HDR);
	tc_want = 1;
	run_until(t, tc_msgs_enough);
	bw_stream_abort(t->c);
	run_until(t, tc_closed);
	CHECK_EQ_INT(t->n_release, 1);
	CHECK(t->release_status < 0);
	CHECK_EQ_INT(t->reason, BW_STREAM_R_LOCAL);
	tc_free(t);
}

static void tune_idle(struct bw_stream_cfg *cfg)
{
	cfg->rbuf_size = PA_HDR + PA_MAX;
	cfg->idle_ms = 20;
}

static void test_conn_idle(void)
{
	struct tc *t = tc_new(tune_idle);

	tc_frames(t);
	run_until(t, tc_closed);
	CHECK_EQ_INT(t->reason, BW_STREAM_R_IDLE);
	CHECK(run_until(t, tc_raw_eof));
	tc_free(t);
}

static void tune_linger_long(struct bw_stream_cfg *cfg)
{
	cfg->rbuf_size = PA_HDR + PA_MAX;
	cfg->linger_ms = 10 * STREAM_WAIT_MS; /* the close waits for the peer, not the bound */
}

/* The protocol closes from inside on_read, with more messages in the same read: they are
 * not delivered, "bye" goes out, then EOF; the connection waits for the peer to close. */
static void test_conn_close_in_read(bool hard)
{
	struct tc *t = tc_new(tune_linger_long);
	uint8_t s[512];
	size_t n = pa_stream(s);

	if (hard)
		t->abort_at = 2;
	else
		t->close_at = 2;
	tc_frames(t);
	tc_raw_write(t, s, n);
	run_until(t, tc_raw_eof);
	CHECK_EQ_INT(t->n_msgs, 2);
	CHECK_EQ_INT(t->write_after_close, -EPIPE);
	CHECK_EQ_INT(t->read_after_close, -EPIPE);
	if (!hard) {
		CHECK_EQ_MEM(t->rx, t->rx_len, "bye", 3);
		CHECK_EQ_INT(t->n_close, 0); /* lingering: discarding until we close */
		tc_raw_write(t, s, n);       /* discarded */
		close(t->raw);
		t->raw = -1;
	}
	run_until(t, tc_closed);
	CHECK_EQ_INT(t->reason, BW_STREAM_R_LOCAL);
	CHECK_EQ_INT(t->n_msgs, 2);
	tc_free(t);
}

/* The peer shuts its side down after a message (answers still reach it), or in the middle of
 * one. */
static void test_conn_peer_eof(bool mid_message)
{
	struct tc *t = tc_new(NULL);
	uint8_t s[512];
	size_t n = pa_stream(s);

	t->reply = true;
	tc_frames(t);
	tc_raw_write(t, s, mid_message ? n - 1 : n);
	shutdown(t->raw, SHUT_WR);
	run_until(t, tc_closed);
	CHECK_EQ_INT(t->reason, mid_message ? BW_STREAM_R_TRUNCATED : BW_STREAM_R_EOF);
	CHECK_EQ_INT(t->err, 0);
	run_until(t, tc_raw_eof);
	CHECK_EQ_INT(t->n_msgs, PA_STREAM_MSGS - (mid_message ? 1 : 0));
	CHECK_EQ_U64(t->rx_len, 2 * t->n_msgs); /* an "ok" for each */
	tc_free(t);
}

/* ---- a TCP listener on loopback --------------------------------------------------------- */

struct tsvc {
	unsigned n_open, n_closed, n_stop, n_reject, n_stopped;
	enum bw_stream_rej last_rej;
	char last_rej_peer[BW_ADDRSTRLEN];
	bool refuse_next;
};

static int ts_on_open(void *svc_ctx, struct bw_stream_conn *c)
{
	struct tsvc *s = svc_ctx;

	if (s->refuse_next) {
		s->refuse_next = false;
		return -ENOMEM;
	}
	s->n_open++;
	bw_stream_set_ctx(c, s);
	return bw_stream_read_frames(c, PA_HDR, PA_MAX, pa_body_len, NULL);
}

static void ts_on_read(struct bw_stream_conn *c, const struct bw_stream_msg *m)
{
}

static void ts_on_close(struct bw_stream_conn *c, enum bw_stream_reason reason, int err)
{
	struct tsvc *s = bw_stream_ctx(c);

	s->n_closed++;
	s->n_stop += reason == BW_STREAM_R_STOP;
}

static void ts_on_reject(void *svc_ctx, enum bw_stream_rej why, const struct sockaddr *peer,
                         const char *peer_str)
{
	struct tsvc *s = svc_ctx;

	s->n_reject++;
	s->last_rej = why;
	snprintf(s->last_rej_peer, sizeof(s->last_rej_peer), "%s", peer_str);
}

static void ts_on_stopped(void *svc_ctx)
{
	struct tsvc *s = svc_ctx;

	s->n_stopped++;
}

static const struct bw_stream_ops ts_ops = {
    .on_open = ts_on_open,
    .on_read = ts_on_read,
    .on_close = ts_on_close,
    .on_reject = ts_on_reject,
    .on_stopped = ts_on_stopped,
};

/* The loop and the listener, driven by run_until through a struct tc with no connection. */
struct tl {
	struct tc t; /* only its loop */
	struct tsvc s;
	struct bw_stream_listener *ls;
	int fds[16];
	unsigned n_fds;
	unsigned want;
	int eof_fd;
};
static struct tl *tl_cur;

static bool tl_opened(struct tc *t)
{
	return tl_cur->s.n_open + tl_cur->s.n_reject >= tl_cur->want;
}
static bool tl_closed(struct tc *t)
{
	return tl_cur->s.n_closed >= tl_cur->want;
}
static bool tl_stopped(struct tc *t)
{
	return tl_cur->s.n_stopped > 0;
}
static bool tl_fd_eof(struct tc *t)
{
	char b;

	return read(tl_cur->eof_fd, &b, 1) == 0;
}
static bool tl_fd_open(int fd)
{
	char b;

	return read(fd, &b, 1) < 0 && errno == EAGAIN;
}

/* A client from source address from (NULL: any) to the listener. */
static int tl_connect_from(struct tl *l, const char *from, const struct sockaddr_storage *to)
{
	int fd = socket(to->ss_family, SOCK_STREAM, 0);

	if (!CHECK(fd >= 0))
		return -1;
	if (!CHECK(l->n_fds < sizeof(l->fds) / sizeof(l->fds[0]))) {
		close(fd);
		return -1;
	}
	if (from) {
		struct sockaddr_storage src = addr(from, 0);

		CHECK_EQ_INT(bind(fd, SA(src), bw_sock_len(SA(src))), 0);
	}
	if (!CHECK_EQ_INT(connect(fd, SA(*to), bw_sock_len(SA(*to))), 0)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	l->fds[l->n_fds++] = fd;
	return fd;
}

/* Connects one client and waits until the listener admitted or rejected it. */
static int tl_client(struct tl *l, const char *from, const struct sockaddr_storage *to)
{
	int fd = tl_connect_from(l, from, to);

	l->want = l->s.n_open + l->s.n_reject + 1;
	run_until(&l->t, tl_opened);
	return fd;
}

static void tl_close(struct tl *l, int fd)
{
	for (unsigned i = 0; i < l->n_fds; i++) {
		if (l->fds[i] == fd) {
			close(fd);
			l->fds[i] = -1;
		}
	}
}

/* Closes a client and waits until the listener's side of it is gone. */
static void tl_hang_up(struct tl *l, int fd)
{
	tl_close(l, fd);
	l->want = l->s.n_closed + 1;
	run_until(&l->t, tl_closed);
}

static void tl_expect_eof(struct tl *l, int fd)
{
	l->eof_fd = fd;
	CHECK(run_until(&l->t, tl_fd_eof));
}

/* Listens on 127.0.0.1 and, when the host has it, [::1] (port 0 each). */
static bool tl_start(struct tl *l, const struct bw_stream_cfg *cfg)
{
	struct sockaddr_storage addrs[2] = {addr("127.0.0.1", 0), addr("::1", 0)};
	int r;

	memset(l, 0, sizeof(*l));
	tl_cur = l;
	uv_loop_init(&l->t.loop);
	l->t.raw = -1;
	r = bw_stream_listen(&l->t.loop, addrs, 2, cfg, &ts_ops, &l->s, &l->ls);
	if (r == 0)
		return true;
	fprintf(stderr, "note: no [::1] (%s), IPv4 only\n", uv_strerror(r));
	CHECK_EQ_INT(bw_stream_listen(&l->t.loop, addrs, 1, cfg, &ts_ops, &l->s, &l->ls), 0);
	return false;
}

/* Service stop: every connection closes, then the listener is gone. */
static void tl_stop(struct tl *l)
{
	unsigned open = l->s.n_open - l->s.n_closed;

	bw_stream_listener_close(l->ls);
	run_until(&l->t, tl_stopped);
	CHECK_EQ_INT(l->s.n_stop, open);
	CHECK_EQ_INT(l->s.n_closed, l->s.n_open);
	CHECK_EQ_INT(l->s.n_stopped, 1);
	for (unsigned i = 0; i < l->n_fds; i++)
		if (l->fds[i] >= 0)
			close(l->fds[i]);
	uv_run(&l->t.loop, UV_RUN_DEFAULT);
	CHECK_EQ_INT(uv_loop_close(&l->t.loop), 0);
	tl_cur = NULL;
}

/* max_conns 3, max_per_addr 2: the limits, release on close, a refusal in on_open. */
static void test_listen_limits(void)
{
	static struct tl l;
	struct sockaddr_storage a4, a6;
	struct bw_stream_cfg cfg;
	bool have_v6;
	int fd1, fd2, fd3, fd4;

	bw_stream_cfg_init(&cfg, "test");
	cfg.max_conns = 3;
	cfg.max_per_addr = 2;
	have_v6 = tl_start(&l, &cfg);
	if (!CHECK(l.ls != NULL))
		return;
	CHECK_EQ_INT(bw_stream_listener_addr(l.ls, 0, &a4), 0);
	CHECK(bw_sock_port(SA(a4)) != 0);
	CHECK_EQ_INT(bw_stream_listener_addr(l.ls, have_v6 ? 2 : 1, &a6), -ENOENT);

	/* per address: two from 127.0.0.1, the third is closed at once */
	fd1 = tl_client(&l, "127.0.0.1", &a4);
	fd2 = tl_client(&l, "127.0.0.1", &a4);
	fd3 = tl_client(&l, "127.0.0.1", &a4);
	CHECK_EQ_INT(l.s.n_open, 2);
	CHECK_EQ_INT(l.s.n_reject, 1);
	CHECK_EQ_INT(l.s.last_rej, BW_STREAM_REJ_PER_ADDR);
	CHECK(strncmp(l.s.last_rej_peer, "127.0.0.1:", 10) == 0);
	tl_expect_eof(&l, fd3);
	CHECK(tl_fd_open(fd1));
	CHECK(tl_fd_open(fd2));
	CHECK_EQ_U64(bw_stream_listener_conns(l.ls), 2);

	/* in total: one from 127.0.0.2 fills the listener, the next (127.0.0.3) is closed */
	fd4 = tl_client(&l, "127.0.0.2", &a4);
	fd3 = tl_client(&l, "127.0.0.3", &a4);
	CHECK_EQ_INT(l.s.n_open, 3);
	CHECK_EQ_INT(l.s.last_rej, BW_STREAM_REJ_TOTAL);
	CHECK(strncmp(l.s.last_rej_peer, "127.0.0.3:", 10) == 0);
	tl_expect_eof(&l, fd3);
	CHECK(tl_fd_open(fd4));

	/* a client goes: its slot is free again */
	tl_hang_up(&l, fd1);
	CHECK_EQ_U64(bw_stream_listener_conns(l.ls), 2);
	fd1 = tl_client(&l, "127.0.0.1", &a4);
	CHECK_EQ_INT(l.s.n_open, 4);
	CHECK(tl_fd_open(fd1));

	/* IPv6 is counted like the rest */
	if (have_v6) {
		tl_hang_up(&l, fd4);
		CHECK_EQ_INT(bw_stream_listener_addr(l.ls, 1, &a6), 0);
		fd4 = tl_client(&l, NULL, &a6);
		CHECK_EQ_INT(l.s.n_open, 5);
		CHECK(tl_fd_open(fd4));
	}

	/* the protocol refuses one in on_open: closed at once, no on_close */
	tl_hang_up(&l, fd1);
	l.s.refuse_next = true;
	fd3 = tl_connect_from(&l, NULL, &a4);
	tl_expect_eof(&l, fd3);
	CHECK(!l.s.refuse_next);
	CHECK_EQ_INT(l.s.n_closed, have_v6 ? 3 : 2);
	tl_stop(&l);
}

/* A port in use: the error comes back and nothing stays open. */
static void test_listen_in_use(void)
{
	static struct tl l;
	struct sockaddr_storage addrs[2];
	struct bw_stream_cfg cfg;
	struct bw_stream_listener *ls2 = NULL;

	memset(&l, 0, sizeof(l));
	tl_cur = &l;
	uv_loop_init(&l.t.loop);
	l.t.raw = -1;
	bw_stream_cfg_init(&cfg, "test");
	addrs[0] = addr("127.0.0.1", 0);
	if (!CHECK_EQ_INT(bw_stream_listen(&l.t.loop, addrs, 1, &cfg, &ts_ops, &l.s, &l.ls), 0))
		return;
	CHECK_EQ_INT(bw_stream_listener_addr(l.ls, 0, &addrs[1]), 0);
	addrs[0] = addr("127.0.0.1", 0);
	CHECK_EQ_INT(bw_stream_listen(&l.t.loop, addrs, 2, &cfg, &ts_ops, &l.s, &ls2), -EADDRINUSE);
	CHECK(ls2 == NULL);
	bw_stream_listener_close(l.ls);
	run_until(&l.t, tl_stopped);
	uv_run(&l.t.loop, UV_RUN_DEFAULT);
	CHECK_EQ_INT(l.s.n_stopped, 1); /* the failed listener never reports */
	CHECK_EQ_INT(uv_loop_close(&l.t.loop), 0);
	tl_cur = NULL;
}

int main(void)
{
	test_rd_frames_splits(PA_HDR + PA_MAX);
	test_rd_frames_splits(4096);
	test_rd_frames_errors();
	test_rd_exact_into();
	test_rd_misc();
	test_lim_basic();
	test_lim_ipv6();
	test_lim_many();
	test_conn_splits(NULL);
	test_conn_splits(tune_big_rbuf);
	test_conn_proto_error();
	test_conn_pause();
	test_conn_into();
	test_conn_backpressure();
	test_conn_release_on_abort();
	test_conn_idle();
	test_conn_close_in_read(false);
	test_conn_close_in_read(true);
	test_conn_peer_eof(false);
	test_conn_peer_eof(true);
	test_listen_limits();
	test_listen_in_use();
	return check_summary();
}
