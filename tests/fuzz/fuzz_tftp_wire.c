/* Fuzz target: bw_tftp_parse() on any bytes. A packet that parses is checked field by field,
 * rebuilt with the builders and parsed again; a request is also negotiated under several
 * server limits and its OACK built and parsed back. Every broken invariant abort()s.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"
#include "tftp/tftp_opts.h"
#include "tftp/tftp_wire.h"
#include "fuzz_assert.h"

static uint16_t fuzz_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* s points into [data, data + size) and is NUL-terminated there. */
static bool fuzz_is_view(const char *s, const uint8_t *data, size_t size)
{
	const uint8_t *p = (const uint8_t *)s;
	if (!s || p < data || p >= data + size)
		return false;
	return memchr(p, 0, size - (size_t)(p - data)) != NULL;
}

/* Escaping what came from the wire always yields a terminated, printable string. */
static void fuzz_check_escape(const char *s, size_t cap_seed)
{
	char out[80];
	size_t cap = 1 + cap_seed % (sizeof(out) - 1);

	memset(out, 'Z', sizeof(out));
	bw_escape(s, strlen(s), out, cap);
	const char *nul = memchr(out, 0, cap);
	FUZZ_ASSERT(nul != NULL);
	for (const char *p = out; p < nul; p++)
		FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
	for (size_t i = cap; i < sizeof(out); i++)
		FUZZ_ASSERT(out[i] == 'Z');
}

static void fuzz_check_opts(const struct bw_tftp_opt *opts, unsigned n, const uint8_t *data,
                            size_t size)
{
	FUZZ_ASSERT(n <= BW_TFTP_MAX_OPTS);
	for (unsigned i = 0; i < n; i++) {
		FUZZ_ASSERT(fuzz_is_view(opts[i].name, data, size));
		FUZZ_ASSERT(fuzz_is_view(opts[i].value, data, size));
		FUZZ_ASSERT(opts[i].name[0] != '\0');
		fuzz_check_escape(opts[i].name, i);
		fuzz_check_escape(opts[i].value, size + i);
	}
}

static void fuzz_same_opts(const struct bw_tftp_opt *a, unsigned na, const struct bw_tftp_opt *b,
                           unsigned nb)
{
	FUZZ_ASSERT(na == nb);
	for (unsigned i = 0; i < na; i++) {
		FUZZ_ASSERT(strcmp(a[i].name, b[i].name) == 0);
		FUZZ_ASSERT(strcmp(a[i].value, b[i].value) == 0);
	}
}

/* The OACK of one negotiation parses back to exactly the accepted options and values. */
static void fuzz_check_oack(const struct bw_tftp_neg *neg, bool have_tsize, uint64_t tsize)
{
	uint8_t buf[512];
	size_t len = 0;
	struct bw_tftp_msg m;
	unsigned want =
	    neg->blksize_ok + neg->windowsize_ok + neg->timeout_ok + (neg->tsize_ok && have_tsize);

	FUZZ_ASSERT(bw_tftp_neg_wants_oack(neg, have_tsize) == (want > 0));
	if (!want)
		return;
	FUZZ_ASSERT(bw_tftp_neg_build_oack(neg, have_tsize, tsize, buf, sizeof(buf), &len) == 0);
	FUZZ_ASSERT(len > 2 && len <= sizeof(buf));
	size_t len2 = 0xdead;
	FUZZ_ASSERT(bw_tftp_neg_build_oack(neg, have_tsize, tsize, buf, len - 1, &len2) ==
	            -EMSGSIZE);
	FUZZ_ASSERT(len2 == 0xdead);
	FUZZ_ASSERT(bw_tftp_neg_build_oack(neg, have_tsize, tsize, buf, len, &len2) == 0);
	FUZZ_ASSERT(len2 == len);

	memset(&m, 0, sizeof(m));
	FUZZ_ASSERT(bw_tftp_parse(buf, len, &m) == 0);
	FUZZ_ASSERT(m.op == BW_TFTP_OP_OACK);
	FUZZ_ASSERT(m.oack.n_opts == want);
	for (unsigned i = 0; i < m.oack.n_opts; i++) {
		const char *name = m.oack.opts[i].name;
		uint64_t v;
		FUZZ_ASSERT(bw_parse_u64(m.oack.opts[i].value, 0, UINT64_MAX, &v) == 0);
		if (strcmp(name, "blksize") == 0)
			FUZZ_ASSERT(neg->blksize_ok && v == neg->blksize);
		else if (strcmp(name, "windowsize") == 0)
			FUZZ_ASSERT(neg->windowsize_ok && v == neg->windowsize);
		else if (strcmp(name, "timeout") == 0)
			FUZZ_ASSERT(neg->timeout_ok && v == neg->timeout_s);
		else if (strcmp(name, "tsize") == 0)
			FUZZ_ASSERT(neg->tsize_ok && have_tsize && v == tsize);
		else
			FUZZ_ASSERT(!"unexpected option in OACK");
	}
}

static void fuzz_negotiate(const struct bw_tftp_req *req, const uint8_t *data, size_t size)
{
	static const struct bw_tftp_limits limits[] = {
	    {1468, 64, 0},     {BW_TFTP_BLKSIZE_MAX, BW_TFTP_WINDOW_MAX, 0},          {512, 1, 0},
	    {1468, 64, 65536}, {BW_TFTP_BLKSIZE_MAX, BW_TFTP_WINDOW_MAX, UINT32_MAX}, {8, 16, 1},
	};
	uint64_t tsize = 0;

	for (size_t i = 0; i < size && i < 8; i++)
		tsize = (tsize << 8) | data[size - 1 - i];
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		const struct bw_tftp_limits *lim = &limits[i];
		struct bw_tftp_neg neg;

		memset(&neg, 0xa5, sizeof(neg));
		bw_tftp_negotiate(req, lim, &neg);
		if (neg.blksize_ok)
			FUZZ_ASSERT(neg.blksize >= BW_TFTP_BLKSIZE_MIN &&
			            neg.blksize <= lim->blksize_max);
		else
			FUZZ_ASSERT(neg.blksize == BW_TFTP_BLKSIZE_DEFAULT);
		if (neg.windowsize_ok)
			FUZZ_ASSERT(neg.windowsize >= 1 && neg.windowsize <= lim->windowsize_max);
		else
			FUZZ_ASSERT(neg.windowsize == 1);
		if (lim->window_bytes_max && neg.windowsize > 1)
			FUZZ_ASSERT((uint64_t)neg.blksize * neg.windowsize <=
			            lim->window_bytes_max);
		if (neg.timeout_ok)
			FUZZ_ASSERT(neg.timeout_s >= 1);
		else
			FUZZ_ASSERT(neg.timeout_s == 0);
		/* Each option is either the first valid one of its kind or ignored. */
		unsigned accepted =
		    neg.blksize_ok + neg.windowsize_ok + neg.timeout_ok + neg.tsize_ok;
		FUZZ_ASSERT(accepted + neg.n_ignored == req->n_opts);

		fuzz_check_oack(&neg, false, tsize);
		fuzz_check_oack(&neg, true, tsize);
		if (neg.tsize_ok)
			fuzz_check_oack(&neg, true, neg.tsize_req);
	}
}

static void fuzz_check_req(const struct bw_tftp_msg *m, const uint8_t *data, size_t size)
{
	const struct bw_tftp_req *req = &m->req;
	uint8_t buf[BW_TFTP_REQ_MAX];
	size_t len = 0;
	struct bw_tftp_msg m2;

	FUZZ_ASSERT(size <= BW_TFTP_REQ_MAX);
	FUZZ_ASSERT(fuzz_is_view(req->filename, data, size));
	FUZZ_ASSERT(req->filename_len > 0 && strlen(req->filename) == req->filename_len);
	FUZZ_ASSERT(req->mode == BW_TFTP_MODE_OCTET || req->mode == BW_TFTP_MODE_NETASCII);
	fuzz_check_opts(req->opts, req->n_opts, data, size);
	fuzz_check_escape(req->filename, size);

	/* The canonical request is no longer than the input (modes match in length). */
	const char *mode = req->mode == BW_TFTP_MODE_OCTET ? "octet" : "netascii";
	FUZZ_ASSERT(bw_tftp_build_req(buf, size, m->op, req->filename, mode, req->opts, req->n_opts,
	                              &len) == 0);
	FUZZ_ASSERT(len >= 4 && len <= size);
	size_t len2 = 0xdead;
	FUZZ_ASSERT(bw_tftp_build_req(buf, len - 1, m->op, req->filename, mode, req->opts,
	                              req->n_opts, &len2) == -EMSGSIZE);
	FUZZ_ASSERT(len2 == 0xdead);
	FUZZ_ASSERT(bw_tftp_build_req(buf, len, m->op, req->filename, mode, req->opts, req->n_opts,
	                              &len2) == 0);
	memset(&m2, 0, sizeof(m2));
	FUZZ_ASSERT(bw_tftp_parse(buf, len, &m2) == 0);
	FUZZ_ASSERT(m2.op == m->op);
	FUZZ_ASSERT(m2.req.mode == req->mode);
	FUZZ_ASSERT(m2.req.filename_len == req->filename_len);
	FUZZ_ASSERT(strcmp(m2.req.filename, req->filename) == 0);
	fuzz_same_opts(m2.req.opts, m2.req.n_opts, req->opts, req->n_opts);

	fuzz_negotiate(req, data, size);
}

static void fuzz_check_other(const struct bw_tftp_msg *m, const uint8_t *data, size_t size)
{
	uint8_t buf[BW_TFTP_REQ_MAX + 8];
	size_t len = 0;
	struct bw_tftp_msg m2;

	memset(&m2, 0, sizeof(m2));
	switch (m->op) {
	case BW_TFTP_OP_DATA:
		FUZZ_ASSERT(size >= BW_TFTP_HDR && size <= BW_TFTP_PKT_MAX);
		FUZZ_ASSERT(m->data.block == fuzz_be16(data + 2));
		FUZZ_ASSERT(m->data.len == size - BW_TFTP_HDR);
		FUZZ_ASSERT(m->data.len == 0 || m->data.data == data + BW_TFTP_HDR);
		FUZZ_ASSERT(bw_tftp_build_data_hdr(buf, sizeof(buf), m->data.block, &len) == 0);
		FUZZ_ASSERT(len == BW_TFTP_HDR && memcmp(buf, data, len) == 0);
		break;
	case BW_TFTP_OP_ACK:
		FUZZ_ASSERT(size >= BW_TFTP_HDR);
		FUZZ_ASSERT(m->ack.block == fuzz_be16(data + 2));
		FUZZ_ASSERT(bw_tftp_build_ack(buf, sizeof(buf), m->ack.block, &len) == 0);
		FUZZ_ASSERT(len == BW_TFTP_HDR && memcmp(buf, data, len) == 0);
		break;
	case BW_TFTP_OP_ERROR:
		FUZZ_ASSERT(size >= BW_TFTP_HDR);
		FUZZ_ASSERT(m->error.code == fuzz_be16(data + 2));
		FUZZ_ASSERT(m->error.msg != NULL);
		/* A view into the packet, or a constant "" for a packet without a message. */
		FUZZ_ASSERT(fuzz_is_view(m->error.msg, data, size) || m->error.msg[0] == '\0');
		fuzz_check_escape(m->error.msg, size);
		if (strlen(m->error.msg) + 5 > sizeof(buf))
			break;
		FUZZ_ASSERT(
		    bw_tftp_build_error(buf, sizeof(buf), m->error.code, m->error.msg, &len) == 0);
		FUZZ_ASSERT(len == BW_TFTP_HDR + strlen(m->error.msg) + 1);
		FUZZ_ASSERT(memcmp(buf, data, BW_TFTP_HDR) == 0);
		FUZZ_ASSERT(bw_tftp_parse(buf, len, &m2) == 0);
		FUZZ_ASSERT(m2.op == BW_TFTP_OP_ERROR && m2.error.code == m->error.code);
		FUZZ_ASSERT(strcmp(m2.error.msg, m->error.msg) == 0);
		break;
	case BW_TFTP_OP_OACK:
		fuzz_check_opts(m->oack.opts, m->oack.n_opts, data, size);
		/* An OACK without options, if accepted at all, has nothing to rebuild. */
		if (m->oack.n_opts == 0 || size > sizeof(buf))
			break;
		FUZZ_ASSERT(bw_tftp_build_oack(buf, size, m->oack.opts, m->oack.n_opts, &len) == 0);
		FUZZ_ASSERT(len <= size);
		FUZZ_ASSERT(bw_tftp_parse(buf, len, &m2) == 0);
		FUZZ_ASSERT(m2.op == BW_TFTP_OP_OACK);
		fuzz_same_opts(m2.oack.opts, m2.oack.n_opts, m->oack.opts, m->oack.n_opts);
		break;
	default:
		FUZZ_ASSERT(!"parse returned an opcode it should have rejected");
	}
}

/* A refused packet on the request port: ERROR 4 for unknown opcodes and for requests that
 * are malformed or too big, silence for the rest (never an answer to an ERROR). */
static void fuzz_check_refusal(const uint8_t *data, size_t size, int r)
{
	const char *msg = bw_tftp_request_refusal(data, size, r);
	uint16_t op = size >= 2 ? fuzz_be16(data) : 0;
	bool request = size >= 2 && (op == BW_TFTP_OP_RRQ || op == BW_TFTP_OP_WRQ);
	bool unknown = size >= 2 && (op == 0 || op > BW_TFTP_OP_OACK);

	if (msg)
		FUZZ_ASSERT(strncmp(msg, "illegal TFTP operation: ", 24) == 0);
	FUZZ_ASSERT((msg != NULL) == (unknown || (request && r != -EOPNOTSUPP)));
	if (size >= 2 && op == BW_TFTP_OP_ERROR)
		FUZZ_ASSERT(msg == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_tftp_msg m;
	int r;

	memset(&m, 0xa5, sizeof(m));
	r = bw_tftp_parse(data, size, &m);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG || r == -EMSGSIZE || r == -EOPNOTSUPP);
		if (r == -EOPNOTSUPP)
			FUZZ_ASSERT(size >= 2 && data[0] == 0 &&
			            (data[1] == BW_TFTP_OP_RRQ || data[1] == BW_TFTP_OP_WRQ));
		fuzz_check_refusal(data, size, r);
		return 0;
	}
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(size >= 2 && fuzz_be16(data) == m.op);
	bw_tftp_op_name(m.op);
	if (m.op == BW_TFTP_OP_RRQ || m.op == BW_TFTP_OP_WRQ)
		fuzz_check_req(&m, data, size);
	else
		fuzz_check_other(&m, data, size);
	return 0;
}
