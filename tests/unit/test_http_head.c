/* Request heads refused for ambiguous framing (http_head): each smuggling shape, what
 * libmicrohttpd 0.9.75 hands over for the normalised ones, and heads that must pass. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "http/http_head.h"

#define H(n, v)                                                                                    \
	{                                                                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1                                                 \
	}
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int check(const char *method, const struct bw_http_hdr *h, size_t n, const char **why)
{
	*why = "unset";
	return bw_http_head_check(method, h, n, why);
}

static void test_accepted(void)
{
	const char *why;
	static const struct bw_http_hdr plain[] = {
	    H("Host", "10.0.0.1"), H("User-Agent", "iPXE/1.21.1"), H("Range", "bytes=0-"),
	    H("X-Tab", "a\tb"),    H("X-Obs", "caf\xc3\xa9"),      H("Empty", "")};
	static const struct bw_http_hdr clen0[] = {H("Host", "x"), H("content-length", " 0 ")};
	static const struct bw_http_hdr clen00[] = {H("Content-Length", "00")};
	static const struct bw_http_hdr post_clen[] = {H("Content-Length", "12")};
	static const struct bw_http_hdr post_te[] = {H("Transfer-Encoding", "chunked")};

	CHECK_EQ_INT(check("GET", plain, N(plain), &why), 0);
	CHECK_EQ_STR(why, "unset"); /* written only when refused */
	CHECK_EQ_INT(check("HEAD", plain, N(plain), &why), 0);
	CHECK_EQ_INT(check("GET", NULL, 0, &why), 0);
	CHECK_EQ_INT(check("GET", clen0, N(clen0), &why), 0);
	CHECK_EQ_INT(check("HEAD", clen00, N(clen00), &why), 0);
	/* other methods get 405 from the handler; a body framed one way is not ambiguous */
	CHECK_EQ_INT(check("POST", post_clen, N(post_clen), &why), 0);
	CHECK_EQ_INT(check("PUT", post_te, N(post_te), &why), 0);
}

static void refused(const char *method, const struct bw_http_hdr *h, size_t n, const char *want,
                    int line)
{
	const char *why;
	int r = check(method, h, n, &why);

	if (r != -EBADMSG || strcmp(why, want) != 0)
		fprintf(stderr, "  (case at line %d)\n", line);
	CHECK_EQ_INT(r, -EBADMSG);
	CHECK_EQ_STR(why, want);
}
#define REFUSED(m, h, want) refused(m, h, N(h), want, __LINE__)

static void test_bodies(void)
{
	static const struct bw_http_hdr clen[] = {H("Host", "x"), H("Content-Length", "35")};
	static const struct bw_http_hdr te[] = {H("Transfer-Encoding", "chunked")};
	static const struct bw_http_hdr te_gzip[] = {H("TRANSFER-ENCODING", "gzip")};

	REFUSED("GET", clen, "a body on GET or HEAD (Content-Length)");
	REFUSED("HEAD", clen, "a body on GET or HEAD (Content-Length)");
	REFUSED("GET", te, "a body on GET or HEAD (Transfer-Encoding)");
	REFUSED("HEAD", te_gzip, "a body on GET or HEAD (Transfer-Encoding)");
}

static void test_framing(void)
{
	static const struct bw_http_hdr te_clen[] = {H("Content-Length", "0"),
	                                             H("Transfer-Encoding", "chunked")};
	static const struct bw_http_hdr clen_te[] = {H("Transfer-Encoding", "chunked"),
	                                             H("Content-Length", "5")};
	static const struct bw_http_hdr two[] = {H("Content-Length", "0"),
	                                         H("Content-Length", "35")};
	static const struct bw_http_hdr two_same[] = {H("Content-Length", "0"),
	                                              H("content-length", "0")};
	static const struct bw_http_hdr list[] = {H("Content-Length", "0, 0")};
	static const struct bw_http_hdr sign[] = {H("Content-Length", "+5")};
	static const struct bw_http_hdr empty[] = {H("Content-Length", "")};
	static const struct bw_http_hdr hex[] = {H("Content-Length", "0x10")};

	REFUSED("GET", te_clen, "Transfer-Encoding with Content-Length");
	REFUSED("POST", clen_te, "Transfer-Encoding with Content-Length");
	REFUSED("GET", two, "more than one Content-Length");
	REFUSED("GET", two_same, "more than one Content-Length");
	REFUSED("POST", two_same, "more than one Content-Length");
	REFUSED("GET", list, "malformed Content-Length");
	REFUSED("GET", sign, "malformed Content-Length");
	REFUSED("GET", empty, "malformed Content-Length");
	REFUSED("POST", hex, "malformed Content-Length");
}

/* What MHD 0.9.75 makes of the raw shapes (http_head.h): a fold is appended to the name of
 * the header before it; a fold before any header keeps its leading blank. */
static void test_normalised_shapes(void)
{
	static const struct bw_http_hdr fold_te[] = {H("Host", "x"),
	                                             H("X-ATransfer-Encoding: chunked", "one")};
	static const struct bw_http_hdr fold_first[] = {H(" Host", "x")};
	static const struct bw_http_hdr tab_name[] = {H("Host\t", "x")};
	static const struct bw_http_hdr empty_name[] = {H("", "x")};
	static const struct bw_http_hdr ctl_name[] = {H("X\x01Y", "x")};
	static const struct bw_http_hdr hi_name[] = {H("X\xc3\xa9", "x")};
	static const struct bw_http_hdr cr[] = {H("X-A", "a\rb")};
	static const struct bw_http_hdr lf[] = {H("X-A", "a\nb")};
	static const struct bw_http_hdr nul[] = {{"X-A", 3, "a\0b", 3}};
	static const struct bw_http_hdr del[] = {H("X-A", "a\x7f")};

	REFUSED("GET", fold_te, "header name is not a token (obs-fold or whitespace)");
	REFUSED("GET", fold_first, "header name is not a token (obs-fold or whitespace)");
	REFUSED("GET", tab_name, "header name is not a token (obs-fold or whitespace)");
	REFUSED("GET", empty_name, "header name is not a token (obs-fold or whitespace)");
	REFUSED("GET", ctl_name, "header name is not a token (obs-fold or whitespace)");
	REFUSED("GET", hi_name, "header name is not a token (obs-fold or whitespace)");
	REFUSED("GET", cr, "control character in a header value");
	REFUSED("GET", lf, "control character in a header value");
	REFUSED("GET", nul, "control character in a header value");
	REFUSED("HEAD", del, "control character in a header value");
}

/* The first problem found is the one reported; scan state is per request. */
static void test_scan(void)
{
	struct bw_http_head_scan s;
	const char *why = NULL;

	bw_http_head_scan_init(&s);
	bw_http_head_scan_add(&s, "A B", 3, "x", 1);
	bw_http_head_scan_add(&s, "Content-Length", 14, "5", 1);
	CHECK_EQ_INT(bw_http_head_verdict(&s, "GET", &why), -EBADMSG);
	CHECK_EQ_STR(why, "header name is not a token (obs-fold or whitespace)");
	bw_http_head_scan_init(&s);
	CHECK_EQ_INT(bw_http_head_verdict(&s, "GET", &why), 0);
}

int main(void)
{
	test_accepted();
	test_bodies();
	test_framing();
	test_normalised_shapes();
	test_scan();
	return check_summary();
}
