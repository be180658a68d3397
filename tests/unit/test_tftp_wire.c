/* bw_tftp_parse() and the bw_tftp_build_*() builders: captured client and server packets,
 * hand-made malformed packets, truncation at every length, size limits, round trips and
 * every too-small buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "tftp/tftp_wire.h"

/* A byte string literal and its length without the literal's own NUL. Split literals after a
 * "\0" that is followed by a digit: "\0" "1468" (or "\01468" reads as octal). */
#define B(s) (const uint8_t *)(s), sizeof(s) - 1

#define GUARD 64

/* Every packet is parsed from a copy followed by GUARD bytes of 'X' (no NUL), so a parser that
 * reads past len finds no terminator where it should not and the test sees it. The views in
 * the parsed message point into this buffer and stay valid until the next parse. */
static uint8_t g_pkt[BW_TFTP_PKT_MAX + 2 + GUARD];

static int parse(const uint8_t *pkt, size_t len, struct bw_tftp_msg *m)
{
	if (len > BW_TFTP_PKT_MAX + 1) {
		fprintf(stderr, "test bug: packet of %zu bytes\n", len);
		abort();
	}
	memmove(g_pkt, pkt, len);
	memset(g_pkt + len, 'X', GUARD);
	memset(m, 0, sizeof(*m));
	return bw_tftp_parse(g_pkt, len, m);
}

/* True when s is NUL-terminated inside the parsed packet (not in the guard). */
static bool in_packet(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	if (!s || p < g_pkt || p >= g_pkt + len)
		return false;
	return memchr(p, 0, len - (size_t)(p - g_pkt)) != NULL;
}

static const char *opt_value(const struct bw_tftp_opt *opts, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].value;
	return NULL;
}

/* ---- captured packets (tests/fixtures/tftp/README.md) ---- */

struct fixture_req {
	const char *file;
	enum bw_tftp_op op;
	const char *filename;
	enum bw_tftp_mode mode;
	unsigned n_opts;
	const char *opts[4][2];
};

static const struct fixture_req fixture_reqs[] = {
    {"tftp/rrq-curl-blksize-1468.bin",
     BW_TFTP_OP_RRQ,
     "pxelinux.0",
     BW_TFTP_MODE_OCTET,
     3,
     {{"tsize", "0"}, {"blksize", "1468"}, {"timeout", "6"}}},
    {"tftp/rrq-curl-default.bin",
     BW_TFTP_OP_RRQ,
     "pxelinux.0",
     BW_TFTP_MODE_OCTET,
     3,
     {{"tsize", "0"}, {"blksize", "512"}, {"timeout", "6"}}},
    {"tftp/rrq-atftp-windowsize-16.bin",
     BW_TFTP_OP_RRQ,
     "pxelinux.0",
     BW_TFTP_MODE_OCTET,
     2,
     {{"blksize", "1468"}, {"windowsize", "16"}}},
    {"tftp/rrq-atftp-tsize.bin",
     BW_TFTP_OP_RRQ,
     "pxelinux.0",
     BW_TFTP_MODE_OCTET,
     2,
     {{"tsize", "0"}, {"blksize", "1468"}}},
    {"tftp/rrq-tftp-hpa.bin", BW_TFTP_OP_RRQ, "pxelinux.0", BW_TFTP_MODE_OCTET, 0, {{0}}},
    {"tftp/rrq-tftp-hpa-netascii.bin",
     BW_TFTP_OP_RRQ,
     "readme.txt",
     BW_TFTP_MODE_NETASCII,
     0,
     {{0}}},
    {"tftp/wrq-atftp.bin", BW_TFTP_OP_WRQ, "upload.txt", BW_TFTP_MODE_OCTET, 0, {{0}}},
    {"tftp/wrq-atftp-tsize-6.bin",
     BW_TFTP_OP_WRQ,
     "upload3.txt",
     BW_TFTP_MODE_OCTET,
     1,
     {{"tsize", "6"}}},
    {"tftp/wrq-curl-tsize-6.bin",
     BW_TFTP_OP_WRQ,
     "upload2.txt",
     BW_TFTP_MODE_OCTET,
     3,
     {{"tsize", "6"}, {"blksize", "512"}, {"timeout", "6"}}},
};

static void test_fixture_requests(void)
{
	for (size_t i = 0; i < sizeof(fixture_reqs) / sizeof(fixture_reqs[0]); i++) {
		const struct fixture_req *f = &fixture_reqs[i];
		struct bw_tftp_msg m;
		uint8_t *buf;
		size_t len;

		check_context = f->file;
		if (check_load_fixture(f->file, &buf, &len) < 0)
			continue;
		if (CHECK_EQ_INT(parse(buf, len, &m), 0)) {
			CHECK_EQ_INT(m.op, f->op);
			CHECK_EQ_STR(m.req.filename, f->filename);
			CHECK_EQ_U64(m.req.filename_len, strlen(f->filename));
			CHECK(m.req.filename == (const char *)g_pkt + 2);
			CHECK_EQ_INT(m.req.mode, f->mode);
			if (CHECK_EQ_INT(m.req.n_opts, f->n_opts)) {
				for (unsigned j = 0; j < f->n_opts; j++) {
					CHECK_EQ_STR(m.req.opts[j].name, f->opts[j][0]);
					CHECK_EQ_STR(m.req.opts[j].value, f->opts[j][1]);
					CHECK(in_packet(m.req.opts[j].name, len));
					CHECK(in_packet(m.req.opts[j].value, len));
				}
			}
		}
		free(buf);
	}
	check_context = NULL;
}

/* Captured ACKs and DATA: opcode, block and payload (in place in the packet). */
static void test_fixture_blocks(void)
{
	static const struct {
		const char *file;
		uint16_t op, block;
		size_t data_len; /* DATA only */
	} want[] = {
	    {"tftp/ack-atftp-block-0.bin", BW_TFTP_OP_ACK, 0, 0},
	    {"tftp/ack-atftp-block-1.bin", BW_TFTP_OP_ACK, 1, 0},
	    {"tftp/data-atftpd-block-1-512.bin", BW_TFTP_OP_DATA, 1, 512},
	    {"tftp/data-atftpd-block-1-1468.bin", BW_TFTP_OP_DATA, 1, 1468},
	    {"tftp/data-atftpd-block-3-empty.bin", BW_TFTP_OP_DATA, 3, 0},
	};
	struct bw_tftp_msg m;
	uint8_t *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		check_context = want[i].file;
		if (check_load_fixture(check_context, &buf, &len) != 0)
			continue;
		if (CHECK_EQ_INT(parse(buf, len, &m), 0) && CHECK_EQ_INT(m.op, want[i].op)) {
			if (want[i].op == BW_TFTP_OP_ACK) {
				CHECK_EQ_INT(m.ack.block, want[i].block);
			} else {
				CHECK_EQ_INT(m.data.block, want[i].block);
				CHECK_EQ_U64(m.data.len, want[i].data_len);
				if (want[i].data_len) {
					CHECK(m.data.data == g_pkt + 4);
					CHECK_EQ_MEM(m.data.data, m.data.len, buf + 4, len - 4);
				}
			}
		}
		free(buf);
	}
	check_context = NULL;
}

/* Captured ERROR and OACKs. */
static void test_fixture_replies(void)
{
	static const struct {
		const char *file;
		const char *opts[2][2];
	} oacks[] = {
	    {"tftp/oack-atftpd-blksize-windowsize.bin", {{"blksize", "1468"}, {"windowsize", "16"}}},
	    {"tftp/oack-atftpd-tsize-blksize.bin", {{"tsize", "100000"}, {"blksize", "1468"}}},
	};
	struct bw_tftp_msg m;
	uint8_t *buf;
	size_t len;

	check_context = "tftp/error-atftpd-file-not-found.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &m), 0)) {
			CHECK_EQ_INT(m.op, BW_TFTP_OP_ERROR);
			CHECK_EQ_INT(m.error.code, BW_TFTP_ERR_NOT_FOUND);
			CHECK_EQ_STR(m.error.msg, "File not found");
		}
		free(buf);
	}
	for (size_t i = 0; i < sizeof(oacks) / sizeof(oacks[0]); i++) {
		check_context = oacks[i].file;
		if (check_load_fixture(check_context, &buf, &len) != 0)
			continue;
		if (CHECK_EQ_INT(parse(buf, len, &m), 0) && CHECK_EQ_INT(m.op, BW_TFTP_OP_OACK) &&
		    CHECK_EQ_INT(m.oack.n_opts, 2)) {
			for (size_t j = 0; j < 2; j++) {
				CHECK_EQ_STR(m.oack.opts[j].name, oacks[i].opts[j][0]);
				CHECK_EQ_STR(m.oack.opts[j].value, oacks[i].opts[j][1]);
			}
		}
		free(buf);
	}
	check_context = NULL;
}

static void test_fixture_others(void)
{
	test_fixture_blocks();
	test_fixture_replies();
}

/* ---- valid hand-made packets ---- */

static void test_rrq_modes(void)
{
	static const struct {
		const char *pkt;
		size_t len;
		enum bw_tftp_mode mode;
	} cases[] = {
#define C(s, mode) {s, sizeof(s) - 1, mode}
	    C("\0\1boot.img\0octet\0", BW_TFTP_MODE_OCTET),
	    C("\0\1boot.img\0OCTET\0", BW_TFTP_MODE_OCTET),
	    C("\0\1boot.img\0oCtEt\0", BW_TFTP_MODE_OCTET),
	    C("\0\1boot.img\0netascii\0", BW_TFTP_MODE_NETASCII),
	    C("\0\1boot.img\0NETASCII\0", BW_TFTP_MODE_NETASCII),
	    C("\0\1boot.img\0NetAscii\0", BW_TFTP_MODE_NETASCII),
	    C("\0\2boot.img\0Octet\0", BW_TFTP_MODE_OCTET),
#undef C
	};
	struct bw_tftp_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].pkt + 11;
		if (!CHECK_EQ_INT(parse((const uint8_t *)cases[i].pkt, cases[i].len, &m), 0))
			continue;
		CHECK_EQ_INT(m.op, cases[i].pkt[1]);
		CHECK_EQ_STR(m.req.filename, "boot.img");
		CHECK_EQ_U64(m.req.filename_len, 8);
		CHECK_EQ_INT(m.req.mode, cases[i].mode);
		CHECK_EQ_INT(m.req.n_opts, 0);
	}
	check_context = NULL;
}

static void test_rrq_options(void)
{
	struct bw_tftp_msg m;

	/* All four options, names in their original case (views into the packet). */
	if (CHECK_EQ_INT(parse(B("\0\1"
	                         "dir/pxelinux.0\0"
	                         "octet\0"
	                         "blksize\0"
	                         "1468\0"
	                         "TSIZE\0"
	                         "0\0"
	                         "windowsize\0"
	                         "16\0"
	                         "timeout\0"
	                         "5\0"),
	                       &m),
	                 0)) {
		CHECK_EQ_INT(m.op, BW_TFTP_OP_RRQ);
		CHECK_EQ_STR(m.req.filename, "dir/pxelinux.0");
		CHECK_EQ_U64(m.req.filename_len, 14);
		if (CHECK_EQ_INT(m.req.n_opts, 4)) {
			CHECK_EQ_STR(m.req.opts[0].name, "blksize");
			CHECK_EQ_STR(m.req.opts[0].value, "1468");
			CHECK_EQ_STR(m.req.opts[1].name, "TSIZE");
			CHECK_EQ_STR(m.req.opts[1].value, "0");
			CHECK_EQ_STR(m.req.opts[2].name, "windowsize");
			CHECK_EQ_STR(m.req.opts[2].value, "16");
			CHECK_EQ_STR(m.req.opts[3].name, "timeout");
			CHECK_EQ_STR(m.req.opts[3].value, "5");
		}
	}

	/* An empty value is a value: negotiation decides it is invalid, not the parser. */
	if (CHECK_EQ_INT(parse(B("\0\1f\0octet\0blksize\0\0"), &m), 0) &&
	    CHECK_EQ_INT(m.req.n_opts, 1)) {
		CHECK_EQ_STR(m.req.opts[0].name, "blksize");
		CHECK_EQ_STR(m.req.opts[0].value, "");
	}

	/* Duplicates and unknown options are all kept: negotiation decides. */
	if (CHECK_EQ_INT(parse(B("\0\1f\0octet\0blksize\0"
	                         "1024\0blksize\0"
	                         "512\0x-vendor\0y\0"),
	                       &m),
	                 0) &&
	    CHECK_EQ_INT(m.req.n_opts, 3)) {
		CHECK_EQ_STR(opt_value(m.req.opts, 3, "x-vendor"), "y");
		CHECK_EQ_STR(m.req.opts[1].value, "512");
	}

	/* A one-byte filename and non-ASCII bytes in it are the caller's business. */
	if (CHECK_EQ_INT(parse(B("\0\1\xff\0octet\0"), &m), 0)) {
		CHECK_EQ_U64(m.req.filename_len, 1);
		CHECK_EQ_INT((uint8_t)m.req.filename[0], 0xff);
	}
}

static void test_wrq(void)
{
	struct bw_tftp_msg m;

	if (CHECK_EQ_INT(parse(B("\0\2up.bin\0octet\0tsize\0"
	                         "123456\0"),
	                       &m),
	                 0)) {
		CHECK_EQ_INT(m.op, BW_TFTP_OP_WRQ);
		CHECK_EQ_STR(m.req.filename, "up.bin");
		CHECK_EQ_INT(m.req.mode, BW_TFTP_MODE_OCTET);
		if (CHECK_EQ_INT(m.req.n_opts, 1))
			CHECK_EQ_STR(m.req.opts[0].value, "123456");
	}
}

/* Deliberate leniency (tftp_wire.c: some PXE ROMs pad requests with NULs after the last
 * option): a tail of NULs only ends the request; anything after a NUL that is not NUL is an
 * empty option name and stays malformed (test_malformed_requests). */
static void test_nul_padding(void)
{
	static uint8_t pkt[BW_TFTP_REQ_MAX + 1];
	struct bw_tftp_msg m;

	if (CHECK_EQ_INT(parse(B("\0\1f\0octet\0\0"), &m), 0))
		CHECK_EQ_INT(m.req.n_opts, 0);
	if (CHECK_EQ_INT(parse(B("\0\1f\0octet\0blksize\0"
	                         "1468\0\0\0\0\0"),
	                       &m),
	                 0) &&
	    CHECK_EQ_INT(m.req.n_opts, 1))
		CHECK_EQ_STR(m.req.opts[0].value, "1468");

	/* Padded up to the limit is fine, one byte more is too big. */
	memset(pkt, 0, sizeof(pkt));
	static const char head[] = "\0\1pxelinux.0\0octet\0tsize\0"
	                           "0"; /* then NULs */
	memcpy(pkt, head, sizeof(head));
	if (CHECK_EQ_INT(parse(pkt, BW_TFTP_REQ_MAX, &m), 0) && CHECK_EQ_INT(m.req.n_opts, 1))
		CHECK_EQ_STR(m.req.opts[0].name, "tsize");
	CHECK_EQ_INT(parse(pkt, BW_TFTP_REQ_MAX + 1, &m), -EMSGSIZE);
}

static void test_data(void)
{
	static uint8_t pkt[BW_TFTP_PKT_MAX + 1];
	struct bw_tftp_msg m;

	if (CHECK_EQ_INT(parse(B("\0\3\0\1"), &m), 0)) {
		CHECK_EQ_INT(m.op, BW_TFTP_OP_DATA);
		CHECK_EQ_INT(m.data.block, 1);
		CHECK_EQ_U64(m.data.len, 0);
	}
	if (CHECK_EQ_INT(parse(B("\0\3\xff\xff"
	                         "abc"),
	                       &m),
	                 0)) {
		CHECK_EQ_INT(m.data.block, 0xffff);
		CHECK_EQ_U64(m.data.len, 3);
		CHECK_EQ_MEM(m.data.data, m.data.len, "abc", 3);
	}

	/* Full blocks: 512, 1468, and the largest a packet may carry. */
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 3);
	pkt[0] = 0;
	pkt[1] = BW_TFTP_OP_DATA;
	pkt[2] = 0x12;
	pkt[3] = 0x34;
	static const size_t full[] = {512, 1468, BW_TFTP_BLKSIZE_MAX};
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		if (!CHECK_EQ_INT(parse(pkt, 4 + full[i], &m), 0))
			continue;
		CHECK_EQ_INT(m.op, BW_TFTP_OP_DATA);
		CHECK_EQ_INT(m.data.block, 0x1234);
		CHECK_EQ_U64(m.data.len, full[i]);
		CHECK(m.data.data == g_pkt + 4);
		CHECK_EQ_MEM(m.data.data, m.data.len, pkt + 4, full[i]);
	}
	CHECK_EQ_INT(BW_TFTP_PKT_MAX, 4 + BW_TFTP_BLKSIZE_MAX);
	CHECK_EQ_INT(parse(pkt, BW_TFTP_PKT_MAX, &m), 0);
	CHECK_EQ_INT(parse(pkt, BW_TFTP_PKT_MAX + 1, &m), -EMSGSIZE);
}

static void test_ack(void)
{
	struct bw_tftp_msg m;

	if (CHECK_EQ_INT(parse(B("\0\4\0\0"), &m), 0)) {
		CHECK_EQ_INT(m.op, BW_TFTP_OP_ACK);
		CHECK_EQ_INT(m.ack.block, 0);
	}
	if (CHECK_EQ_INT(parse(B("\0\4\xab\xcd"), &m), 0))
		CHECK_EQ_INT(m.ack.block, 0xabcd);
}

static void test_error(void)
{
	struct bw_tftp_msg m;
	int r;

	if (CHECK_EQ_INT(parse(B("\0\5\0\2"
	                         "Access violation\0"),
	                       &m),
	                 0)) {
		CHECK_EQ_INT(m.op, BW_TFTP_OP_ERROR);
		CHECK_EQ_INT(m.error.code, BW_TFTP_ERR_ACCESS);
		CHECK_EQ_STR(m.error.msg, "Access violation");
	}
	/* Without a message: an empty string. */
	if (CHECK_EQ_INT(parse(B("\0\5\0\0\0"), &m), 0)) {
		CHECK_EQ_INT(m.error.code, 0);
		CHECK_EQ_STR(m.error.msg, "");
	}
	/* Codes outside RFC 1350's list still parse (the receiver only logs them). */
	if (CHECK_EQ_INT(parse(B("\0\5\x12\x34"
	                         "x\0"),
	                       &m),
	                 0))
		CHECK_EQ_INT(m.error.code, 0x1234);
	/* Option error (RFC 2347). */
	if (CHECK_EQ_INT(parse(B("\0\5\0\x08"
	                         "bad option\0"),
	                       &m),
	                 0))
		CHECK_EQ_INT(m.error.code, BW_TFTP_ERR_OPTION);

	/* No message bytes at all: lenient or not, never a msg pointing at unterminated bytes. */
	r = parse(B("\0\5\0\1"), &m);
	CHECK(r == 0 || r == -EBADMSG);
	if (r == 0)
		CHECK_EQ_STR(m.error.msg, "");
	/* A message without its NUL: tftp_wire.c tolerates it on purpose (the code is what
	 * matters), but the message must then be "", never a view of unterminated bytes. */
	r = parse(B("\0\5\0\1"
	            "File not found"),
	          &m);
	CHECK(r == 0 || r == -EBADMSG);
	if (r == 0) {
		CHECK_EQ_INT(m.error.code, 1);
		CHECK_EQ_STR(m.error.msg, "");
	}
}

static void test_oack(void)
{
	struct bw_tftp_msg m;
	int r;

	if (CHECK_EQ_INT(parse(B("\0\6tsize\0"
	                         "4096\0timeout\0"
	                         "3\0"),
	                       &m),
	                 0) &&
	    CHECK_EQ_INT(m.op, BW_TFTP_OP_OACK) && CHECK_EQ_INT(m.oack.n_opts, 2)) {
		CHECK_EQ_STR(m.oack.opts[0].name, "tsize");
		CHECK_EQ_STR(m.oack.opts[0].value, "4096");
		CHECK_EQ_STR(m.oack.opts[1].name, "timeout");
		CHECK_EQ_STR(m.oack.opts[1].value, "3");
	}
	CHECK_EQ_INT(parse(B("\0\6blksize\0"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\6blksize\0"
	                     "1468"),
	                   &m),
	             -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\6\0"
	                     "1468\0"),
	                   &m),
	             -EBADMSG);
	/* No options at all: either answer is defensible, but no crash and no garbage. */
	r = parse(B("\0\6"), &m);
	CHECK(r == 0 || r == -EBADMSG);
	if (r == 0)
		CHECK_EQ_INT(m.oack.n_opts, 0);
}

/* ---- malformed ---- */

static void test_malformed_requests(void)
{
	struct bw_tftp_msg m;
	int r;

	/* Missing NULs of the filename and the mode (an incomplete option: test_option_dropped). */
	CHECK_EQ_INT(parse(B("\0\1pxelinux.0"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\1pxelinux.0\0octet"), &m), -EBADMSG);
	/* Only the filename, no mode. */
	CHECK_EQ_INT(parse(B("\0\1pxelinux.0\0"), &m), -EBADMSG);
	/* Empty filename. */
	CHECK_EQ_INT(parse(B("\0\1\0octet\0"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\2\0octet\0"), &m), -EBADMSG);
	/* Empty option name, a stray NUL after the mode. */
	CHECK_EQ_INT(parse(B("\0\1f\0octet\0\0"
	                     "512\0"),
	                   &m),
	             -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\1f\0octet\0\0\0x\0"
	                     "1\0"),
	                   &m),
	             -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\1f\0octet\0blksize\0"
	                     "512\0\0\0\0"
	                     "5\0"),
	                   &m),
	             -EBADMSG);

	/* Modes RFC 1350 names but we do not serve, and nonsense. */
	CHECK_EQ_INT(parse(B("\0\1f\0mail\0"), &m), -EOPNOTSUPP);
	CHECK_EQ_INT(parse(B("\0\1f\0MAIL\0"), &m), -EOPNOTSUPP);
	CHECK_EQ_INT(parse(B("\0\1f\0bogus\0"), &m), -EOPNOTSUPP);
	CHECK_EQ_INT(parse(B("\0\2f\0bogus\0"), &m), -EOPNOTSUPP);
	CHECK_EQ_INT(parse(B("\0\1f\0octets\0"), &m), -EOPNOTSUPP);
	CHECK_EQ_INT(parse(B("\0\1f\0octe\0"), &m), -EOPNOTSUPP);
	CHECK_EQ_INT(parse(B("\0\1f\0bogus\0blksize\0"
	                     "512\0"),
	                   &m),
	             -EOPNOTSUPP);
	/* An empty mode: malformed or unsupported, but never accepted. */
	r = parse(B("\0\1f\0\0"), &m);
	CHECK(r == -EBADMSG || r == -EOPNOTSUPP);
}

/* RFC 2347: an option the server cannot use is ignored. An incomplete last option (name
 * without value, with or without its NUL; value without its NUL) is left out, the rest of the
 * request stands. In an OACK (what a server sent) it stays malformed. */
static void test_option_dropped(void)
{
	static const struct {
		const char *what;
		const char *pkt;
		size_t len;
		unsigned n_opts; /* kept: the first is checked against name/value */
		const char *name, *value;
	} cases[] = {
#define C(w, p, n, nm, v) {w, p, sizeof(p) - 1, n, nm, v}
	    C("name without NUL", "\0\1pxelinux.0\0octet\0blksize", 0, NULL, NULL),
	    C("name, no value", "\0\1f\0octet\0blksize\0", 0, NULL, NULL),
	    C("value without NUL", "\0\1pxelinux.0\0octet\0blksize\0" "1468", 0, NULL, NULL),
	    C("after tsize, name no value", "\0\1f\0octet\0tsize\0" "0\0blksize\0", 1, "tsize", "0"),
	    C("after tsize, value no NUL", "\0\2pxelinux.0\0octet\0tsize\0" "0\0blksize\0" "1468", 1,
	      "tsize", "0"),
	    C("after blksize, tsize without value", "\0\1small.bin\0octet\0blksize\0" "1024\0tsize\0",
	      1, "blksize", "1024"),
	    C("netascii, single letter", "\0\1f\0netascii\0t", 0, NULL, NULL),
#undef C
	};
	struct bw_tftp_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].what;
		if (!CHECK_EQ_INT(parse((const uint8_t *)cases[i].pkt, cases[i].len, &m), 0))
			continue;
		CHECK(m.req.opt_dropped);
		if (CHECK_EQ_INT(m.req.n_opts, cases[i].n_opts) && cases[i].n_opts) {
			CHECK_EQ_STR(m.req.opts[0].name, cases[i].name);
			CHECK_EQ_STR(m.req.opts[0].value, cases[i].value);
		}
	}
	check_context = NULL;
	/* complete requests do not say so */
	if (CHECK_EQ_INT(parse(B("\0\1f\0octet\0blksize\0" "1468\0"), &m), 0))
		CHECK(!m.req.opt_dropped);
	if (CHECK_EQ_INT(parse(B("\0\1f\0octet\0blksize\0\0\0"), &m), 0)) /* empty value, padding */
		CHECK(!m.req.opt_dropped);
	/* an OACK with a dangling name is still malformed */
	CHECK_EQ_INT(parse(B("\0\6blksize\0" "1468\0tsize\0"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\6blksize\0" "1468"), &m), -EBADMSG);
}

/* What the request port answers to what bw_tftp_parse() refuses (byte fixtures per case). */
static void test_request_refusal(void)
{
	static uint8_t big[BW_TFTP_REQ_MAX + 400];
	static const struct {
		const char *what;
		const char *pkt;
		size_t len;
		const char *want; /* NULL: dropped unanswered */
	} cases[] = {
#define C(w, p, want) {w, p, sizeof(p) - 1, want}
	    C("empty", "", NULL),
	    C("one byte", "\1", NULL),
	    C("opcode 0", "\0\0f\0octet\0", "illegal TFTP operation: unknown opcode"),
	    C("opcode 0 alone", "\0\0", "illegal TFTP operation: unknown opcode"),
	    C("opcode 7", "\0\7f\0octet\0", "illegal TFTP operation: unknown opcode"),
	    C("opcode 0x0101", "\1\1f\0octet\0", "illegal TFTP operation: unknown opcode"),
	    C("opcode 0xffff", "\377\377\0\1", "illegal TFTP operation: unknown opcode"),
	    C("RRQ opcode only", "\0\1", "illegal TFTP operation: malformed request"),
	    C("RRQ no mode NUL", "\0\1f\0octet", "illegal TFTP operation: malformed request"),
	    C("WRQ empty filename", "\0\2\0octet\0", "illegal TFTP operation: malformed request"),
	    C("RRQ empty option name", "\0\1f\0octet\0\0" "512\0",
	      "illegal TFTP operation: malformed request"),
	    C("DATA short", "\0\3\0", NULL),
	    C("ACK short", "\0\4\0", NULL),
	    C("ERROR short", "\0\5\0", NULL),
	    C("OACK dangling", "\0\6blksize\0", NULL),
#undef C
	};
	struct bw_tftp_msg m;
	int r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].what;
		r = parse((const uint8_t *)cases[i].pkt, cases[i].len, &m);
		if (!CHECK(r < 0))
			continue;
		const char *got = bw_tftp_request_refusal(g_pkt, cases[i].len, r);
		if (cases[i].want)
			CHECK_EQ_STR(got, cases[i].want);
		else
			CHECK(got == NULL);
	}
	check_context = "RRQ of 1025 and of 1424 bytes";
	for (size_t len = BW_TFTP_REQ_MAX + 1; len < sizeof(big); len += 399) {
		memset(big, 'a', len);
		big[0] = 0;
		big[1] = BW_TFTP_OP_RRQ;
		memcpy(big + len - 7, "\0octet\0", 7);
		r = parse(big, len, &m);
		CHECK_EQ_INT(r, -EMSGSIZE);
		CHECK_EQ_STR(bw_tftp_request_refusal(big, len, r),
		             "illegal TFTP operation: request too long");
	}
	check_context = "17 options";
	static const char many[] = "\0\1f\0octet\0a\0" "1\0b\0" "1\0c\0" "1\0d\0" "1\0e\0" "1\0f\0" "1\0"
	                           "g\0" "1\0h\0" "1\0i\0" "1\0j\0" "1\0k\0" "1\0l\0" "1\0m\0" "1\0n\0" "1\0"
	                           "o\0" "1\0p\0" "1\0q\0" "1\0";
	r = parse(B(many), &m);
	CHECK_EQ_INT(r, -EMSGSIZE);
	CHECK_EQ_STR(bw_tftp_request_refusal(g_pkt, sizeof(many) - 1, r),
	             "illegal TFTP operation: too many options");
	check_context = "unsupported mode: the caller answers it";
	r = parse(B("\0\1f\0mail\0"), &m);
	CHECK(bw_tftp_request_refusal(g_pkt, 8, r) == NULL);
	check_context = NULL;
}

static void test_malformed_short_and_opcodes(void)
{
	struct bw_tftp_msg m;

	/* Shorter than an opcode. */
	CHECK_EQ_INT(parse(B(""), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\3"), &m), -EBADMSG);
	/* An opcode but shorter than the 4-byte header of DATA, ACK, ERROR. */
	for (uint8_t op = BW_TFTP_OP_DATA; op <= BW_TFTP_OP_ERROR; op++) {
		uint8_t pkt[3] = {0, op, 0};
		CHECK_EQ_INT(parse(pkt, 2, &m), -EBADMSG);
		CHECK_EQ_INT(parse(pkt, 3, &m), -EBADMSG);
	}
	CHECK_EQ_INT(parse(B("\0\1"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\2"), &m), -EBADMSG);
	CHECK_EQ_INT(parse(B("\0\1\0"), &m), -EBADMSG);

	/* Opcodes outside 1..6, with bodies that would be valid for RRQ and ACK. */
	static const uint16_t bad_ops[] = {0, 7, 8, 0x00ff, 0x0101, 0x0301, 0x8001, 0xffff};
	for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
		uint8_t req[] = "..f\0octet\0";
		uint8_t ack[] = {0, 0, 0, 1};
		req[0] = ack[0] = (uint8_t)(bad_ops[i] >> 8);
		req[1] = ack[1] = (uint8_t)bad_ops[i];
		CHECK_EQ_INT(parse(req, sizeof(req) - 1, &m), -EBADMSG);
		CHECK_EQ_INT(parse(ack, sizeof(ack), &m), -EBADMSG);
		CHECK_EQ_INT(parse(ack, 2, &m), -EBADMSG);
	}
}

/* Every prefix of a valid request that holds the mode parses to the complete pairs it holds
 * (an incomplete last one dropped), and is -EBADMSG before the mode's NUL. */
static void check_truncations(const char *name, const uint8_t *pkt, size_t len)
{
	size_t ends[2 + 2 * BW_TFTP_MAX_OPTS];
	unsigned n_ends = 0, n_strings = 0;
	struct bw_tftp_msg m;
	char ctx[128];

	/* Where the strings end: filename, mode, then name/value pairs. */
	for (size_t i = 2; i < len && n_ends < sizeof(ends) / sizeof(ends[0]); i++) {
		if (pkt[i] == 0) {
			ends[n_ends++] = i + 1;
			n_strings++;
		}
	}
	for (size_t l = 0; l <= len; l++) {
		unsigned complete = 0;
		bool valid = false;
		for (unsigned s = 0; s < n_ends && ends[s] <= l; s++)
			complete = s + 1;
		/* valid: ends after the mode (2 strings); an incomplete last option is dropped
		 * unless it ends right after a value (an even count). */
		if (complete >= 2)
			valid = true;
		bool dropped = valid && !(complete % 2 == 0 && ends[complete - 1] == l);
		snprintf(ctx, sizeof(ctx), "%s truncated to %zu of %zu bytes", name, l, len);
		check_context = ctx;
		int r = parse(pkt, l, &m);
		if (valid) {
			if (CHECK_EQ_INT(r, 0)) {
				CHECK_EQ_INT(m.req.n_opts, (complete - 2) / 2);
				CHECK_EQ_INT(m.req.opt_dropped, dropped);
			}
		} else {
			CHECK_EQ_INT(r, -EBADMSG);
		}
	}
	check_context = NULL;
	CHECK(n_strings >= 2);
}

static void test_truncated(void)
{
	static const char *files[] = {
	    "tftp/rrq-curl-blksize-1468.bin",
	    "tftp/rrq-atftp-windowsize-16.bin",
	    "tftp/wrq-curl-tsize-6.bin",
	    "tftp/rrq-tftp-hpa-netascii.bin",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		uint8_t *buf;
		size_t len;
		if (check_load_fixture(files[i], &buf, &len) < 0)
			continue;
		check_truncations(files[i], buf, len);
		free(buf);
	}

	/* DATA, ACK and ERROR cut short of their header, ERROR cut inside its message. */
	static const struct {
		const char *pkt;
		size_t len;
	} others[] = {
	    {"\0\3\0\1", 4},
	    {"\0\4\0\1", 4},
	    {"\0\5\0\1oops\0", 9},
	};
	struct bw_tftp_msg m;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		size_t min_err = others[i].pkt[1] == BW_TFTP_OP_ERROR ? 5 : 4;
		for (size_t l = 0; l < others[i].len; l++) {
			char ctx[64];
			snprintf(ctx, sizeof(ctx), "opcode %d truncated to %zu bytes",
			         others[i].pkt[1], l);
			check_context = ctx;
			int r = parse((const uint8_t *)others[i].pkt, l, &m);
			if (l < 4) {
				CHECK_EQ_INT(r, -EBADMSG);
			} else if (l >= min_err) {
				/* ERROR cut inside its message: tolerated, but with msg "". */
				CHECK(r == 0 || r == -EBADMSG);
				if (r == 0)
					CHECK_EQ_STR(m.error.msg, "");
			}
		}
		check_context = NULL;
	}
}

/* A syntactically valid RRQ of exactly len bytes with n_opts small options. */
static size_t make_rrq(uint8_t *buf, size_t len, unsigned n_opts)
{
	size_t off = 0;
	buf[off++] = 0;
	buf[off++] = BW_TFTP_OP_RRQ;
	size_t opts_len = 0;
	for (unsigned i = 0; i < n_opts; i++)
		opts_len += (size_t)snprintf(NULL, 0, "o%u", i) + 1 + 2;
	size_t fn_len = len - 2 - 1 - 6 - opts_len;
	memset(buf + off, 'a', fn_len);
	off += fn_len;
	buf[off++] = 0;
	memcpy(buf + off, "octet", 6);
	off += 6;
	for (unsigned i = 0; i < n_opts; i++) {
		off += (size_t)sprintf((char *)buf + off, "o%u", i) + 1;
		memcpy(buf + off, "1", 2);
		off += 2;
	}
	return off;
}

static void test_limits(void)
{
	static uint8_t pkt[4096];
	struct bw_tftp_msg m;

	/* Request size. */
	CHECK_EQ_U64(make_rrq(pkt, BW_TFTP_REQ_MAX, 0), BW_TFTP_REQ_MAX);
	if (CHECK_EQ_INT(parse(pkt, BW_TFTP_REQ_MAX, &m), 0))
		CHECK_EQ_U64(m.req.filename_len, BW_TFTP_REQ_MAX - 9);
	CHECK_EQ_U64(make_rrq(pkt, BW_TFTP_REQ_MAX + 1, 0), BW_TFTP_REQ_MAX + 1);
	CHECK_EQ_INT(parse(pkt, BW_TFTP_REQ_MAX + 1, &m), -EMSGSIZE);
	make_rrq(pkt, 4000, 2);
	CHECK_EQ_INT(parse(pkt, 4000, &m), -EMSGSIZE);
	pkt[1] = BW_TFTP_OP_WRQ;
	CHECK_EQ_INT(parse(pkt, 4000, &m), -EMSGSIZE);
	/* Oversized and without any NUL: too big or malformed, never accepted. */
	memset(pkt + 2, 'a', sizeof(pkt) - 2);
	int r = parse(pkt, sizeof(pkt), &m);
	CHECK(r == -EMSGSIZE || r == -EBADMSG);

	/* Number of options: 16 fit, 17 do not (and not because of the size). */
	size_t len = make_rrq(pkt, 200, BW_TFTP_MAX_OPTS);
	if (CHECK_EQ_INT(parse(pkt, len, &m), 0) && CHECK_EQ_INT(m.req.n_opts, BW_TFTP_MAX_OPTS)) {
		CHECK_EQ_STR(m.req.opts[0].name, "o0");
		CHECK_EQ_STR(m.req.opts[BW_TFTP_MAX_OPTS - 1].name, "o15");
		CHECK_EQ_STR(m.req.opts[BW_TFTP_MAX_OPTS - 1].value, "1");
	}
	len = make_rrq(pkt, 200, BW_TFTP_MAX_OPTS + 1);
	CHECK_EQ_INT(parse(pkt, len, &m), -EMSGSIZE);
	len = make_rrq(pkt, 400, 40);
	CHECK_EQ_INT(parse(pkt, len, &m), -EMSGSIZE);

	/* The same for an OACK. */
	pkt[0] = 0;
	pkt[1] = BW_TFTP_OP_OACK;
	len = 2;
	size_t len_max_opts = 0;
	for (unsigned i = 0; i < BW_TFTP_MAX_OPTS + 1; i++) {
		len_max_opts = len;
		len += (size_t)sprintf((char *)pkt + len, "o%u%c1", i, 0) + 1;
	}
	CHECK_EQ_INT(parse(pkt, len, &m), -EMSGSIZE);
	if (CHECK_EQ_INT(parse(pkt, len_max_opts, &m), 0))
		CHECK_EQ_INT(m.oack.n_opts, BW_TFTP_MAX_OPTS);
}

/* ---- builders ---- */

/* One builder call behind a common signature, so every cap can be tried the same way. */
struct build_case {
	const char *name;
	int (*build)(const struct build_case *c, uint8_t *buf, size_t cap, size_t *ret_len);
	enum bw_tftp_op op;
	uint16_t u16;
	const char *s1, *s2;
	const struct bw_tftp_opt *opts;
	unsigned n;
	const uint8_t *want; /* expected bytes */
	size_t want_len;
};

static int build_ack(const struct build_case *c, uint8_t *buf, size_t cap, size_t *ret_len)
{
	return bw_tftp_build_ack(buf, cap, c->u16, ret_len);
}

static int build_data_hdr(const struct build_case *c, uint8_t *buf, size_t cap, size_t *ret_len)
{
	return bw_tftp_build_data_hdr(buf, cap, c->u16, ret_len);
}

static int build_error(const struct build_case *c, uint8_t *buf, size_t cap, size_t *ret_len)
{
	return bw_tftp_build_error(buf, cap, c->u16, c->s1, ret_len);
}

static int build_oack(const struct build_case *c, uint8_t *buf, size_t cap, size_t *ret_len)
{
	return bw_tftp_build_oack(buf, cap, c->opts, c->n, ret_len);
}

static int build_req(const struct build_case *c, uint8_t *buf, size_t cap, size_t *ret_len)
{
	return bw_tftp_build_req(buf, cap, c->op, c->s1, c->s2, c->opts, c->n, ret_len);
}

/* Every cap below the size fails with -EMSGSIZE, leaves *ret_len alone and writes nothing past
 * cap; the exact size and a larger one produce the expected bytes. */
static void check_build(const struct build_case *c)
{
	uint8_t buf[2048];
	size_t len;

	check_context = c->name;
	if (!CHECK(c->want_len + 64 <= sizeof(buf)))
		return;
	for (size_t cap = 0; cap < c->want_len; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		len = 0xdead;
		CHECK_EQ_INT(c->build(c, buf, cap, &len), -EMSGSIZE);
		CHECK_EQ_U64(len, 0xdead);
		size_t past = cap;
		while (past < sizeof(buf) && buf[past] == 0xa5)
			past++;
		if (!CHECK_EQ_U64(past, sizeof(buf)))
			fprintf(stderr, "\twith cap %zu, byte %zu was written\n", cap, past);
	}
	size_t caps[] = {c->want_len, c->want_len + 1, sizeof(buf) - 64};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memset(buf, 0xa5, sizeof(buf));
		len = 0xdead;
		if (CHECK_EQ_INT(c->build(c, buf, caps[i], &len), 0))
			CHECK_EQ_MEM(buf, len, c->want, c->want_len);
		CHECK_EQ_INT(buf[c->want_len], 0xa5);
	}
	check_context = NULL;
}

static void test_builders_exact(void)
{
	static const struct bw_tftp_opt curl_opts[] = {
	    {"tsize", "0"}, {"blksize", "1468"}, {"timeout", "6"}};
	static const struct bw_tftp_opt atftpd_oack[] = {{"blksize", "1468"}, {"windowsize", "16"}};
	static const struct bw_tftp_opt one[] = {{"tsize", "123456789"}};
#define W(s) (const uint8_t *)(s), sizeof(s) - 1
	const struct build_case cases[] = {
	    {"ack 0", build_ack, 0, 0, NULL, NULL, NULL, 0, W("\0\4\0\0")},
	    {"ack 0xfedc", build_ack, 0, 0xfedc, NULL, NULL, NULL, 0, W("\0\4\xfe\xdc")},
	    {"data hdr", build_data_hdr, 0, 0x0102, NULL, NULL, NULL, 0, W("\0\3\1\2")},
	    {"error", build_error, 0, 1, "File not found", NULL, NULL, 0,
	     W("\0\5\0\1File not found\0")},
	    {"error empty", build_error, 0, 0, "", NULL, NULL, 0, W("\0\5\0\0\0")},
	    {"oack", build_oack, 0, 0, NULL, NULL, atftpd_oack, 2,
	     W("\0\6blksize\0"
	       "1468\0windowsize\0"
	       "16\0")},
	    {"oack one", build_oack, 0, 0, NULL, NULL, one, 1,
	     W("\0\6tsize\0"
	       "123456789\0")},
	    {"rrq curl", build_req, BW_TFTP_OP_RRQ, 0, "pxelinux.0", "octet", curl_opts, 3,
	     W("\0\1pxelinux.0\0octet\0tsize\0"
	       "0\0blksize\0"
	       "1468\0timeout\0"
	       "6\0")},
	    {"wrq plain", build_req, BW_TFTP_OP_WRQ, 0, "upload.txt", "octet", NULL, 0,
	     W("\0\2upload.txt\0octet\0")},
	    {"rrq netascii", build_req, BW_TFTP_OP_RRQ, 0, "readme.txt", "netascii", NULL, 0,
	     W("\0\1readme.txt\0netascii\0")},
	};
#undef W
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_build(&cases[i]);
}

/* Builders reproduce the captured packets byte for byte. */
static void test_builders_match_captures(void)
{
	static const struct bw_tftp_opt curl_opts[] = {
	    {"tsize", "0"}, {"blksize", "1468"}, {"timeout", "6"}};
	static const struct bw_tftp_opt ws_opts[] = {{"blksize", "1468"}, {"windowsize", "16"}};
	uint8_t out[256], *buf;
	size_t len, out_len;

	if (check_load_fixture("tftp/rrq-curl-blksize-1468.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_req(out, sizeof(out), BW_TFTP_OP_RRQ, "pxelinux.0",
		                                   "octet", curl_opts, 3, &out_len),
		                 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
	if (check_load_fixture("tftp/rrq-atftp-windowsize-16.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_req(out, sizeof(out), BW_TFTP_OP_RRQ, "pxelinux.0",
		                                   "octet", ws_opts, 2, &out_len),
		                 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
	if (check_load_fixture("tftp/wrq-atftp.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_req(out, sizeof(out), BW_TFTP_OP_WRQ, "upload.txt",
		                                   "octet", NULL, 0, &out_len),
		                 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
	if (check_load_fixture("tftp/oack-atftpd-blksize-windowsize.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_oack(out, sizeof(out), ws_opts, 2, &out_len), 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
	if (check_load_fixture("tftp/error-atftpd-file-not-found.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_error(out, sizeof(out), BW_TFTP_ERR_NOT_FOUND,
		                                     "File not found", &out_len),
		                 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
	if (check_load_fixture("tftp/ack-atftp-block-1.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_ack(out, sizeof(out), 1, &out_len), 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
	if (check_load_fixture("tftp/data-atftpd-block-3-empty.bin", &buf, &len) == 0) {
		if (CHECK_EQ_INT(bw_tftp_build_data_hdr(out, sizeof(out), 3, &out_len), 0))
			CHECK_EQ_MEM(out, out_len, buf, len);
		free(buf);
	}
}

static void test_round_trip(void)
{
	static const struct bw_tftp_opt opts[BW_TFTP_MAX_OPTS] = {
	    {"blksize", "1468"}, {"tsize", "0"},   {"windowsize", "64"}, {"timeout", "1"},
	    {"x", ""},           {"BLKSIZE", "8"}, {"a", "b"},           {"c", "d"},
	    {"e", "f"},          {"g", "h"},       {"i", "j"},           {"k", "l"},
	    {"m", "n"},          {"o", "p"},       {"q", "r"},           {"last", "1"},
	};
	uint8_t buf[BW_TFTP_REQ_MAX];
	struct bw_tftp_msg m;
	size_t len;

	for (unsigned n = 0; n <= BW_TFTP_MAX_OPTS; n++) {
		for (int op = BW_TFTP_OP_RRQ; op <= BW_TFTP_OP_WRQ; op++) {
			const char *mode = n % 2 ? "netascii" : "octet";
			if (!CHECK_EQ_INT(bw_tftp_build_req(buf, sizeof(buf), op, "a/b/c.efi", mode,
			                                    opts, n, &len),
			                  0))
				continue;
			if (!CHECK_EQ_INT(parse(buf, len, &m), 0))
				continue;
			CHECK_EQ_INT(m.op, op);
			CHECK_EQ_STR(m.req.filename, "a/b/c.efi");
			CHECK_EQ_INT(m.req.mode,
			             n % 2 ? BW_TFTP_MODE_NETASCII : BW_TFTP_MODE_OCTET);
			if (!CHECK_EQ_INT(m.req.n_opts, n))
				continue;
			for (unsigned i = 0; i < n; i++) {
				CHECK_EQ_STR(m.req.opts[i].name, opts[i].name);
				CHECK_EQ_STR(m.req.opts[i].value, opts[i].value);
			}
		}
		if (n == 0)
			continue;
		if (CHECK_EQ_INT(bw_tftp_build_oack(buf, sizeof(buf), opts, n, &len), 0) &&
		    CHECK_EQ_INT(parse(buf, len, &m), 0) && CHECK_EQ_INT(m.op, BW_TFTP_OP_OACK) &&
		    CHECK_EQ_INT(m.oack.n_opts, n)) {
			for (unsigned i = 0; i < n; i++) {
				CHECK_EQ_STR(m.oack.opts[i].name, opts[i].name);
				CHECK_EQ_STR(m.oack.opts[i].value, opts[i].value);
			}
		}
	}

	static const uint16_t blocks[] = {0, 1, 255, 256, 0x7fff, 0xffff};
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		if (CHECK_EQ_INT(bw_tftp_build_ack(buf, sizeof(buf), blocks[i], &len), 0) &&
		    CHECK_EQ_INT(parse(buf, len, &m), 0)) {
			CHECK_EQ_INT(m.op, BW_TFTP_OP_ACK);
			CHECK_EQ_INT(m.ack.block, blocks[i]);
		}
		if (CHECK_EQ_INT(bw_tftp_build_data_hdr(buf, sizeof(buf), blocks[i], &len), 0) &&
		    CHECK_EQ_U64(len, 4)) {
			memcpy(buf + len, "payload", 7);
			if (CHECK_EQ_INT(parse(buf, len + 7, &m), 0)) {
				CHECK_EQ_INT(m.op, BW_TFTP_OP_DATA);
				CHECK_EQ_INT(m.data.block, blocks[i]);
				CHECK_EQ_MEM(m.data.data, m.data.len, "payload", 7);
			}
		}
		if (CHECK_EQ_INT(bw_tftp_build_error(buf, sizeof(buf), blocks[i], "oops", &len),
		                 0) &&
		    CHECK_EQ_INT(parse(buf, len, &m), 0)) {
			CHECK_EQ_INT(m.op, BW_TFTP_OP_ERROR);
			CHECK_EQ_INT(m.error.code, blocks[i]);
			CHECK_EQ_STR(m.error.msg, "oops");
		}
	}
}

static void test_op_name(void)
{
	static const char *names[] = {NULL, "RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK"};
	for (int op = BW_TFTP_OP_RRQ; op <= BW_TFTP_OP_OACK; op++) {
		const char *s = bw_tftp_op_name(op);
		check_context = names[op];
		if (CHECK(s != NULL))
			CHECK(strcasecmp(s, names[op]) == 0);
	}
	check_context = NULL;
	/* Anything else still gives a printable string. */
	static const int odd[] = {0, 7, 0xffff, -1, 1 << 20};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		const char *s = bw_tftp_op_name(odd[i]);
		if (CHECK(s != NULL))
			CHECK(strlen(s) > 0);
	}
}

int main(void)
{
	test_fixture_requests();
	test_fixture_others();
	test_rrq_modes();
	test_rrq_options();
	test_wrq();
	test_nul_padding();
	test_data();
	test_ack();
	test_error();
	test_oack();
	test_malformed_requests();
	test_malformed_short_and_opcodes();
	test_option_dropped();
	test_request_refusal();
	test_truncated();
	test_limits();
	test_builders_exact();
	test_builders_match_captures();
	test_round_trip();
	test_op_name();
	return check_summary();
}
