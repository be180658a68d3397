/* Option negotiation (tftp_opts.h): blksize, windowsize, timeout and tsize values at and
 * around their bounds, the server's limits and its window byte cap, duplicates, unknown
 * options, name case, when an OACK is due and its exact bytes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tftp/tftp_opts.h"

static const struct bw_tftp_limits lim_default = {
    .blksize_max = 1468,
    .windowsize_max = 64,
    .window_bytes_max = 0,
};

/* Negotiates a request made of the NULL-terminated name/value pairs that follow. The result
 * is filled with junk first so that a field the negotiation forgets shows up. */
static void negotiate(const struct bw_tftp_limits *lim, struct bw_tftp_neg *neg, ...)
{
	struct bw_tftp_req req = {.filename = "pxelinux.0", .filename_len = 10};
	const char *name;
	va_list ap;

	va_start(ap, neg);
	while ((name = va_arg(ap, const char *)) != NULL) {
		if (req.n_opts == BW_TFTP_MAX_OPTS) {
			fprintf(stderr, "test bug: too many options\n");
			abort();
		}
		req.opts[req.n_opts].name = name;
		req.opts[req.n_opts].value = va_arg(ap, const char *);
		req.n_opts++;
	}
	va_end(ap);
	memset(neg, 0xa5, sizeof(*neg));
	bw_tftp_negotiate(&req, lim, neg);
}

/* The result of a request that asked for nothing usable. */
static void check_nothing_accepted(const struct bw_tftp_neg *neg, unsigned n_ignored)
{
	CHECK_EQ_INT(neg->blksize, BW_TFTP_BLKSIZE_DEFAULT);
	CHECK_EQ_INT(neg->windowsize, 1);
	CHECK_EQ_INT(neg->timeout_s, 0);
	CHECK(!neg->blksize_ok);
	CHECK(!neg->windowsize_ok);
	CHECK(!neg->timeout_ok);
	CHECK(!neg->tsize_ok);
	CHECK_EQ_INT(neg->n_ignored, n_ignored);
	CHECK(!bw_tftp_neg_wants_oack(neg, false));
	CHECK(!bw_tftp_neg_wants_oack(neg, true));
}

static void test_no_options(void)
{
	struct bw_tftp_neg neg;

	negotiate(&lim_default, &neg, NULL);
	check_nothing_accepted(&neg, 0);
}

static void test_blksize(void)
{
	static const struct {
		const char *value;
		bool ok;
		uint16_t blksize;
	} cases[] = {
	    {"0", false, 512},
	    {"7", false, 512},
	    {"8", true, 8},
	    {"9", true, 9},
	    {"512", true, 512},
	    {"1024", true, 1024},
	    {"1428", true, 1428},
	    {"1468", true, 1468},
	    {"1469", true, 1468}, /* clamped to the server's limit */
	    {"8192", true, 1468},
	    {"65464", true, 1468}, /* the protocol's largest, clamped */
	    {"65465", false, 512}, /* above RFC 2348's range: ignored */
	    {"65536", false, 512},
	    {"4294967808", false, 512}, /* 2^32 + 512 must not wrap to 512 */
	    {"18446744073709551616", false, 512},
	    {"12abc", false, 512},
	    {"", false, 512},
	    {"+5", false, 512},
	    {"+512", false, 512},
	    {" 5", false, 512},
	    {" 512", false, 512},
	    {"512 ", false, 512},
	    {"-512", false, 512},
	    {"0x200", false, 512},
	    {"1e3", false, 512},
	    {"5.0", false, 512},
	};
	struct bw_tftp_neg neg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].value;
		negotiate(&lim_default, &neg, "blksize", cases[i].value, NULL);
		CHECK_EQ_INT(neg.blksize_ok, cases[i].ok);
		CHECK_EQ_INT(neg.blksize, cases[i].blksize);
		CHECK_EQ_INT(neg.n_ignored, cases[i].ok ? 0 : 1);
		CHECK_EQ_INT(neg.windowsize, 1);
		CHECK(!neg.windowsize_ok);
		CHECK(!neg.timeout_ok);
		CHECK(!neg.tsize_ok);
		CHECK_EQ_INT(bw_tftp_neg_wants_oack(&neg, false), cases[i].ok);
	}
	check_context = NULL;

	/* With the protocol's largest limit, the largest block is granted unclamped. */
	struct bw_tftp_limits wide = {.blksize_max = BW_TFTP_BLKSIZE_MAX, .windowsize_max = 1};
	negotiate(&wide, &neg, "blksize", "65464", NULL);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 65464);
	/* A server limited to 512 answers 512 to a larger request, and 8 to 8. */
	struct bw_tftp_limits narrow = {.blksize_max = 512, .windowsize_max = 1};
	negotiate(&narrow, &neg, "blksize", "1468", NULL);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 512);
	negotiate(&narrow, &neg, "blksize", "8", NULL);
	CHECK_EQ_INT(neg.blksize, 8);
}

static void test_windowsize(void)
{
	static const struct {
		const char *value;
		bool ok;
		uint16_t windowsize;
	} cases[] = {
	    {"0", false, 1},  {"1", true, 1},      {"16", true, 16},    {"64", true, 64},
	    {"65", true, 64}, {"65535", true, 64}, {"65536", false, 1}, {"4294967297", false, 1},
	    {"", false, 1},   {"16x", false, 1},   {"+16", false, 1},   {"-1", false, 1},
	};
	struct bw_tftp_neg neg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].value;
		negotiate(&lim_default, &neg, "windowsize", cases[i].value, NULL);
		CHECK_EQ_INT(neg.windowsize_ok, cases[i].ok);
		CHECK_EQ_INT(neg.windowsize, cases[i].windowsize);
		CHECK_EQ_INT(neg.n_ignored, cases[i].ok ? 0 : 1);
		CHECK_EQ_INT(neg.blksize, 512);
		CHECK(!neg.blksize_ok);
		CHECK_EQ_INT(bw_tftp_neg_wants_oack(&neg, false), cases[i].ok);
	}
	check_context = NULL;

	struct bw_tftp_limits wide = {.blksize_max = 1468, .windowsize_max = BW_TFTP_WINDOW_MAX};
	negotiate(&wide, &neg, "windowsize", "65535", NULL);
	CHECK(neg.windowsize_ok);
	CHECK_EQ_INT(neg.windowsize, 65535);
}

static void test_window_bytes_max(void)
{
	struct bw_tftp_limits lim = lim_default;
	struct bw_tftp_neg neg;

	/* 64 x 1468 = 93952 > 65536: the window shrinks to the largest that fits, 44. */
	lim.window_bytes_max = 65536;
	negotiate(&lim, &neg, "blksize", "1468", "windowsize", "64", NULL);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK(neg.windowsize_ok);
	CHECK_EQ_INT(neg.windowsize, 44);
	CHECK(neg.blksize * neg.windowsize <= 65536);
	CHECK_EQ_INT(neg.n_ignored, 0);

	/* The same with the options the other way round. */
	negotiate(&lim, &neg, "windowsize", "64", "blksize", "1468", NULL);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK_EQ_INT(neg.windowsize, 44);

	/* Fits already: unchanged. */
	negotiate(&lim, &neg, "blksize", "1468", "windowsize", "16", NULL);
	CHECK_EQ_INT(neg.windowsize, 16);

	/* Exactly at the cap is allowed, one byte less is not. */
	lim.window_bytes_max = 32768;
	negotiate(&lim, &neg, "blksize", "1024", "windowsize", "64", NULL);
	CHECK_EQ_INT(neg.windowsize, 32);
	lim.window_bytes_max = 32767;
	negotiate(&lim, &neg, "blksize", "1024", "windowsize", "64", NULL);
	CHECK_EQ_INT(neg.windowsize, 31);

	/* The cap uses the clamped blksize (1468, not the 8192 asked for). */
	lim.window_bytes_max = 65536;
	negotiate(&lim, &neg, "blksize", "8192", "windowsize", "64", NULL);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK_EQ_INT(neg.windowsize, 44);

	/* Without a blksize option the default 512 counts: 8192 / 512 = 16. */
	lim.window_bytes_max = 8192;
	negotiate(&lim, &neg, "windowsize", "64", NULL);
	CHECK(neg.windowsize_ok);
	CHECK_EQ_INT(neg.windowsize, 16);
	/* An invalid blksize is as if not sent: 512 counts too. */
	negotiate(&lim, &neg, "blksize", "7", "windowsize", "64", NULL);
	CHECK(!neg.blksize_ok);
	CHECK_EQ_INT(neg.windowsize, 16);

	/* Never below 1, even when one block is larger than the cap; blksize is not touched. */
	lim.window_bytes_max = 1000;
	negotiate(&lim, &neg, "blksize", "1468", "windowsize", "8", NULL);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.windowsize, 1);
	lim.window_bytes_max = 1;
	negotiate(&lim, &neg, "windowsize", "65535", NULL);
	CHECK_EQ_INT(neg.windowsize, 1);

	/* No windowsize option: nothing to reduce, nothing to announce. */
	lim.window_bytes_max = 1000;
	negotiate(&lim, &neg, "blksize", "1468", NULL);
	CHECK_EQ_INT(neg.windowsize, 1);
	CHECK(!neg.windowsize_ok);

	/* 0 means no cap. */
	lim.window_bytes_max = 0;
	negotiate(&lim, &neg, "blksize", "1468", "windowsize", "64", NULL);
	CHECK_EQ_INT(neg.windowsize, 64);

	/* The largest numbers do not overflow the product. */
	struct bw_tftp_limits wide = {.blksize_max = BW_TFTP_BLKSIZE_MAX,
	                              .windowsize_max = BW_TFTP_WINDOW_MAX,
	                              .window_bytes_max = UINT32_MAX};
	negotiate(&wide, &neg, "blksize", "65464", "windowsize", "65535", NULL);
	CHECK_EQ_INT(neg.blksize, 65464);
	CHECK_EQ_INT(neg.windowsize, 65535);
	wide.window_bytes_max = 4u * 65464;
	negotiate(&wide, &neg, "blksize", "65464", "windowsize", "65535", NULL);
	CHECK_EQ_INT(neg.windowsize, 4);
}

static void test_timeout(void)
{
	static const struct {
		const char *value;
		bool ok;
		uint8_t timeout;
	} cases[] = {
	    {"0", false, 0},   {"1", true, 1}, {"6", true, 6},   {"255", true, 255},
	    {"256", false, 0}, {"", false, 0}, {"1s", false, 0}, {"4294967297", false, 0},
	};
	struct bw_tftp_neg neg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].value;
		negotiate(&lim_default, &neg, "timeout", cases[i].value, NULL);
		CHECK_EQ_INT(neg.timeout_ok, cases[i].ok);
		CHECK_EQ_INT(neg.timeout_s, cases[i].timeout);
		CHECK_EQ_INT(neg.n_ignored, cases[i].ok ? 0 : 1);
		CHECK_EQ_INT(bw_tftp_neg_wants_oack(&neg, false), cases[i].ok);
	}
	check_context = NULL;
}

static void test_tsize(void)
{
	struct bw_tftp_neg neg;

	/* RRQ: the client sends 0 and wants the size back. */
	negotiate(&lim_default, &neg, "tsize", "0", NULL);
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, 0);
	CHECK_EQ_INT(neg.n_ignored, 0);
	/* Only tsize, size unknown: no OACK; known: OACK. */
	CHECK(!bw_tftp_neg_wants_oack(&neg, false));
	CHECK(bw_tftp_neg_wants_oack(&neg, true));

	/* WRQ: the client announces the upload size. */
	negotiate(&lim_default, &neg, "tsize", "6", NULL);
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, 6);
	negotiate(&lim_default, &neg, "tsize", "4294967296", NULL);
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, 4294967296ull);
	negotiate(&lim_default, &neg, "tsize", "18446744073709551615", NULL);
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, UINT64_MAX);

	static const char *bad[] = {
	    "18446744073709551616", "", "-1", "+6", " 6", "6 ", "abc", "6k"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_context = bad[i];
		negotiate(&lim_default, &neg, "tsize", bad[i], NULL);
		CHECK(!neg.tsize_ok);
		CHECK_EQ_INT(neg.n_ignored, 1);
		CHECK(!bw_tftp_neg_wants_oack(&neg, true));
	}
	check_context = NULL;
}

static void test_duplicates(void)
{
	struct bw_tftp_neg neg;

	negotiate(&lim_default, &neg, "blksize", "1024", "blksize", "512", NULL);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 1024);
	CHECK_EQ_INT(neg.n_ignored, 1);

	/* Names compare without case, so these are repeats too. */
	negotiate(&lim_default, &neg, "blksize", "1024", "BLKSIZE", "1468", "BlkSize", "8", NULL);
	CHECK_EQ_INT(neg.blksize, 1024);
	CHECK_EQ_INT(neg.n_ignored, 2);

	negotiate(&lim_default, &neg, "windowsize", "8", "windowsize", "8", NULL);
	CHECK_EQ_INT(neg.windowsize, 8);
	CHECK_EQ_INT(neg.n_ignored, 1);

	negotiate(&lim_default, &neg, "timeout", "3", "timeout", "9", NULL);
	CHECK_EQ_INT(neg.timeout_s, 3);
	CHECK_EQ_INT(neg.n_ignored, 1);

	negotiate(&lim_default, &neg, "tsize", "100", "TSIZE", "200", NULL);
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, 100);
	CHECK_EQ_INT(neg.n_ignored, 1);

	/* Repeats of different options interleaved. */
	negotiate(&lim_default, &neg, "blksize", "1468", "tsize", "0", "blksize", "512", "tsize",
	          "5", "windowsize", "4", NULL);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK_EQ_U64(neg.tsize_req, 0);
	CHECK_EQ_INT(neg.windowsize, 4);
	CHECK_EQ_INT(neg.n_ignored, 2);
}

static void test_unknown_and_case(void)
{
	struct bw_tftp_neg neg;

	negotiate(&lim_default, &neg, "multicast", "", "rollover", "0", "x-vendor", "1", "blksiz",
	          "1024", "blksize2", "1024", "", "1", NULL);
	check_nothing_accepted(&neg, 6);

	/* Unknown options next to known ones. */
	negotiate(&lim_default, &neg, "foo", "bar", "blksize", "1024", "utimeout", "5000", NULL);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 1024);
	CHECK_EQ_INT(neg.n_ignored, 2);

	/* Option names in any case. */
	negotiate(&lim_default, &neg, "BLKSIZE", "1468", "WindowSize", "16", "TIMEOUT", "5",
	          "TSize", "0", NULL);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK(neg.windowsize_ok);
	CHECK_EQ_INT(neg.windowsize, 16);
	CHECK(neg.timeout_ok);
	CHECK_EQ_INT(neg.timeout_s, 5);
	CHECK(neg.tsize_ok);
	CHECK_EQ_INT(neg.n_ignored, 0);

	/* Only invalid values: nothing to announce. */
	negotiate(&lim_default, &neg, "blksize", "0", "windowsize", "0", "timeout", "0", "tsize",
	          "x", NULL);
	check_nothing_accepted(&neg, 4);
}

static void test_wants_oack(void)
{
	struct bw_tftp_neg neg;

	negotiate(&lim_default, &neg, "foo", "1", NULL);
	CHECK(!bw_tftp_neg_wants_oack(&neg, false));
	CHECK(!bw_tftp_neg_wants_oack(&neg, true));
	negotiate(&lim_default, &neg, "tsize", "0", NULL);
	CHECK(!bw_tftp_neg_wants_oack(&neg, false));
	CHECK(bw_tftp_neg_wants_oack(&neg, true));
	negotiate(&lim_default, &neg, "tsize", "0", "blksize", "512", NULL);
	CHECK(bw_tftp_neg_wants_oack(&neg, false));
	negotiate(&lim_default, &neg, "windowsize", "1", NULL);
	CHECK(bw_tftp_neg_wants_oack(&neg, false));
	negotiate(&lim_default, &neg, "timeout", "1", NULL);
	CHECK(bw_tftp_neg_wants_oack(&neg, false));
}

/* Builds neg's OACK and compares it with want, byte for byte; every smaller cap must fail
 * without writing *ret_len or past cap. */
static void check_oack_exact(const struct bw_tftp_neg *neg, bool have_tsize, uint64_t tsize,
                             const uint8_t *want, size_t want_len)
{
	uint8_t buf[512];
	size_t len;

	memset(buf, 0xa5, sizeof(buf));
	if (CHECK_EQ_INT(bw_tftp_neg_build_oack(neg, have_tsize, tsize, buf, sizeof(buf), &len), 0))
		CHECK_EQ_MEM(buf, len, want, want_len);
	for (size_t cap = 0; cap < want_len; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		len = 0xdead;
		CHECK_EQ_INT(bw_tftp_neg_build_oack(neg, have_tsize, tsize, buf, cap, &len),
		             -EMSGSIZE);
		CHECK_EQ_U64(len, 0xdead);
		CHECK_EQ_INT(buf[cap], 0xa5);
	}
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ_INT(bw_tftp_neg_build_oack(neg, have_tsize, tsize, buf, want_len, &len), 0);
	CHECK_EQ_U64(len, want_len);
	CHECK_EQ_INT(buf[want_len], 0xa5);
}

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

static void test_build_oack_single(void)
{
	struct bw_tftp_neg neg;

	negotiate(&lim_default, &neg, "blksize", "1468", NULL);
	check_oack_exact(&neg, false, 0,
	                 B("\0\6blksize\0"
	                   "1468\0"));
	/* Clamped: the OACK carries the server's value. */
	negotiate(&lim_default, &neg, "BLKSIZE", "65464", NULL);
	check_oack_exact(&neg, false, 0,
	                 B("\0\6blksize\0"
	                   "1468\0"));
	negotiate(&lim_default, &neg, "windowsize", "16", NULL);
	check_oack_exact(&neg, false, 0,
	                 B("\0\6windowsize\0"
	                   "16\0"));
	negotiate(&lim_default, &neg, "windowsize", "65535", NULL);
	check_oack_exact(&neg, false, 0,
	                 B("\0\6windowsize\0"
	                   "64\0"));
	negotiate(&lim_default, &neg, "timeout", "255", NULL);
	check_oack_exact(&neg, false, 0,
	                 B("\0\6timeout\0"
	                   "255\0"));
	/* tsize: the size the server passes in (the file's for an RRQ). */
	negotiate(&lim_default, &neg, "tsize", "0", NULL);
	check_oack_exact(&neg, true, 100000,
	                 B("\0\6tsize\0"
	                   "100000\0"));
	check_oack_exact(&neg, true, 0,
	                 B("\0\6tsize\0"
	                   "0\0"));
	check_oack_exact(&neg, true, UINT64_MAX,
	                 B("\0\6tsize\0"
	                   "18446744073709551615\0"));
	/* tsize without a known size is left out. */
	negotiate(&lim_default, &neg, "tsize", "0", "blksize", "1024", NULL);
	check_oack_exact(&neg, false, 12345,
	                 B("\0\6blksize\0"
	                   "1024\0"));
	/* Ignored options are not in the OACK. */
	negotiate(&lim_default, &neg, "blksize", "7", "timeout", "300", "windowsize", "8", "foo",
	          "bar", NULL);
	check_oack_exact(&neg, true, 1,
	                 B("\0\6windowsize\0"
	                   "8\0"));
}

/* Parses an OACK and checks it holds exactly the given options, in any order (the header does
 * not fix an order). want: NULL-terminated name/value pairs. */
static void check_oack_set(const uint8_t *buf, size_t len, const char *const *want)
{
	static uint8_t copy[1024];
	struct bw_tftp_msg m;
	unsigned n_want = 0;
	size_t want_len = 2;

	for (; want[2 * n_want]; n_want++)
		want_len += strlen(want[2 * n_want]) + strlen(want[2 * n_want + 1]) + 2;
	CHECK_EQ_U64(len, want_len);
	if (!CHECK(len <= sizeof(copy)))
		return;
	memcpy(copy, buf, len);
	memset(&m, 0, sizeof(m));
	if (!CHECK_EQ_INT(bw_tftp_parse(copy, len, &m), 0) ||
	    !CHECK_EQ_INT(m.op, BW_TFTP_OP_OACK) || !CHECK_EQ_INT(m.oack.n_opts, n_want))
		return;
	for (unsigned i = 0; i < n_want; i++) {
		unsigned found = 0;
		for (unsigned j = 0; j < m.oack.n_opts; j++) {
			if (strcmp(m.oack.opts[j].name, want[2 * i]) != 0)
				continue;
			found++;
			CHECK_EQ_STR(m.oack.opts[j].value, want[2 * i + 1]);
		}
		check_context = want[2 * i];
		CHECK_EQ_INT(found, 1);
		check_context = NULL;
	}
}

static void test_build_oack_all(void)
{
	struct bw_tftp_neg neg;
	uint8_t buf[512];
	size_t len;

	negotiate(&lim_default, &neg, "tsize", "0", "blksize", "65464", "timeout", "6",
	          "windowsize", "100", "foo", "bar", NULL);
	CHECK_EQ_INT(neg.n_ignored, 1);
	if (CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, true, 1048576, buf, sizeof(buf), &len), 0)) {
		static const char *const want[] = {"blksize", "1468",    "windowsize",
		                                   "64",      "timeout", "6",
		                                   "tsize",   "1048576", NULL};
		check_oack_set(buf, len, want);
	}
	if (CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, false, 1048576, buf, sizeof(buf), &len), 0)) {
		static const char *const want[] = {"blksize", "1468", "windowsize", "64",
		                                   "timeout", "6",    NULL};
		check_oack_set(buf, len, want);
	}
	/* Every cap below the full size fails. */
	size_t full = 2 + sizeof("blksize") + sizeof("1468") + sizeof("windowsize") + sizeof("64") +
	              sizeof("timeout") + sizeof("6") + sizeof("tsize") + sizeof("1048576");
	for (size_t cap = 0; cap < full; cap++) {
		len = 0xdead;
		CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, true, 1048576, buf, cap, &len),
		             -EMSGSIZE);
		CHECK_EQ_U64(len, 0xdead);
	}
	CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, true, 1048576, buf, full, &len), 0);
}

/* The captured requests, negotiated, give the options atftpd answered with. */
/* An incomplete last option (tftp_wire.h) never reaches negotiation: the complete ones are
 * negotiated as usual and the OACK carries exactly them (RFC 2347: ignore the bad option). */
static void test_dropped_option(void)
{
	static const struct {
		const char *what;
		const char *pkt;
		size_t len;
		const char *const want[5]; /* the OACK's pairs; empty: no OACK */
	} cases[] = {
#define C(w, p, ...) {w, p, sizeof(p) - 1, {__VA_ARGS__}}
	    C("blksize, then tsize without value", "\0\1f\0octet\0blksize\0" "1024\0tsize\0",
	      "blksize", "1024", NULL),
	    C("tsize, then blksize without NUL", "\0\1f\0octet\0tsize\0" "0\0blksize", "tsize",
	      "3000", NULL),
	    C("windowsize, then a value without NUL",
	      "\0\1f\0octet\0windowsize\0" "8\0blksize\0" "1468", "windowsize", "8", NULL),
	    C("only blksize without value", "\0\1f\0octet\0blksize\0", NULL),
#undef C
	};
	struct bw_tftp_msg m;
	struct bw_tftp_neg neg;
	uint8_t out[512];
	size_t out_len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].what;
		memset(&m, 0, sizeof(m));
		if (!CHECK_EQ_INT(bw_tftp_parse((const uint8_t *)cases[i].pkt, cases[i].len, &m), 0))
			continue;
		CHECK(m.req.opt_dropped);
		memset(&neg, 0xa5, sizeof(neg));
		bw_tftp_negotiate(&m.req, &lim_default, &neg);
		CHECK_EQ_INT(neg.n_ignored, 0);
		if (!cases[i].want[0]) {
			check_nothing_accepted(&neg, 0);
			continue;
		}
		if (CHECK(bw_tftp_neg_wants_oack(&neg, true)) &&
		    CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, true, 3000, out, sizeof(out), &out_len),
		                 0))
			check_oack_set(out, out_len, cases[i].want);
	}
	check_context = NULL;
}

/* Loads a captured request, parses it and negotiates it against the default limits (neg
 * poisoned first, so nothing is left unset). Returns the buffer m points into (the caller
 * frees it), or NULL when the fixture is missing or does not parse. */
static uint8_t *captured_negotiate(const char *fixture, struct bw_tftp_msg *m,
                                   struct bw_tftp_neg *neg)
{
	uint8_t *buf;
	size_t len;

	if (check_load_fixture(fixture, &buf, &len) != 0)
		return NULL;
	memset(m, 0, sizeof(*m));
	if (!CHECK_EQ_INT(bw_tftp_parse(buf, len, m), 0)) {
		free(buf);
		return NULL;
	}
	memset(neg, 0xa5, sizeof(*neg));
	bw_tftp_negotiate(&m->req, &lim_default, neg);
	return buf;
}

/* atftp: blksize 1468 windowsize 16; atftpd answered the same two. */
static void test_captured_atftp_windowsize(void)
{
	struct bw_tftp_msg m;
	struct bw_tftp_neg neg;
	uint8_t *buf = captured_negotiate("tftp/rrq-atftp-windowsize-16.bin", &m, &neg);
	uint8_t *oack_buf, out[512];
	size_t oack_len, out_len;

	if (!buf)
		return;
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK_EQ_INT(neg.windowsize, 16);
	CHECK(!neg.tsize_ok);
	CHECK(!neg.timeout_ok);
	CHECK_EQ_INT(neg.n_ignored, 0);
	if (check_load_fixture("tftp/oack-atftpd-blksize-windowsize.bin", &oack_buf, &oack_len) ==
	    0) {
		if (CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, true, 1024, out, sizeof(out), &out_len),
		                 0)) {
			static const char *const want[] = {"blksize", "1468", "windowsize", "16", NULL};
			check_oack_set(out, out_len, want);
			check_oack_set(oack_buf, oack_len, want);
		}
		free(oack_buf);
	}
	free(buf);
}

/* atftp: tsize 0 blksize 1468 for a 100000-byte file. */
static void test_captured_atftp_tsize(void)
{
	struct bw_tftp_msg m;
	struct bw_tftp_neg neg;
	uint8_t *buf = captured_negotiate("tftp/rrq-atftp-tsize.bin", &m, &neg);
	uint8_t out[512];
	size_t out_len;

	if (!buf)
		return;
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, 0);
	if (CHECK_EQ_INT(bw_tftp_neg_build_oack(&neg, true, 100000, out, sizeof(out), &out_len),
	                 0)) {
		static const char *const want[] = {"tsize", "100000", "blksize", "1468", NULL};
		check_oack_set(out, out_len, want);
	}
	free(buf);
}

/* curl: tsize 0 blksize 1468 timeout 6. */
static void test_captured_curl(void)
{
	struct bw_tftp_msg m;
	struct bw_tftp_neg neg;
	uint8_t *buf = captured_negotiate("tftp/rrq-curl-blksize-1468.bin", &m, &neg);

	if (!buf)
		return;
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 1468);
	CHECK(neg.timeout_ok);
	CHECK_EQ_INT(neg.timeout_s, 6);
	CHECK(neg.tsize_ok);
	CHECK(!neg.windowsize_ok);
	CHECK_EQ_INT(neg.n_ignored, 0);
	free(buf);
}

/* curl upload: tsize 6 is the upload's size; blksize 512 asked explicitly. */
static void test_captured_curl_upload(void)
{
	struct bw_tftp_msg m;
	struct bw_tftp_neg neg;
	uint8_t *buf = captured_negotiate("tftp/wrq-curl-tsize-6.bin", &m, &neg);

	if (!buf)
		return;
	CHECK(neg.tsize_ok);
	CHECK_EQ_U64(neg.tsize_req, 6);
	CHECK(neg.blksize_ok);
	CHECK_EQ_INT(neg.blksize, 512);
	CHECK_EQ_INT(neg.timeout_s, 6);
	CHECK(bw_tftp_neg_wants_oack(&neg, false));
	free(buf);
}

/* tftp-hpa sends no options: no OACK. */
static void test_captured_tftp_hpa(void)
{
	struct bw_tftp_msg m;
	struct bw_tftp_neg neg;
	uint8_t *buf = captured_negotiate("tftp/rrq-tftp-hpa.bin", &m, &neg);

	if (!buf)
		return;
	check_nothing_accepted(&neg, 0);
	free(buf);
}

static void test_captured_requests(void)
{
	test_captured_atftp_windowsize();
	test_captured_atftp_tsize();
	test_captured_curl();
	test_captured_curl_upload();
	test_captured_tftp_hpa();
}

int main(void)
{
	test_no_options();
	test_blksize();
	test_windowsize();
	test_window_bytes_max();
	test_timeout();
	test_tsize();
	test_duplicates();
	test_unknown_and_case();
	test_wants_oack();
	test_build_oack_single();
	test_build_oack_all();
	test_captured_requests();
	test_dropped_option();
	return check_summary();
}
