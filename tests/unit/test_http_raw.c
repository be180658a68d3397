/* The raw request-head scanner (http_raw): the shapes libmicrohttpd 0.9.75 normalises (bare
 * LF, NUL, obs-fold), fed whole and one byte at a time, and streams that must pass
 * (keep-alive, pipelining, empty lines before a request, other methods). */
#include <string.h>

#include "check.h"
#include "http/http_raw.h"

/* The verdict on s fed in pieces of step bytes (0: at once). */
static const char *scan(const char *s, size_t step)
{
	static struct bw_http_raw r;
	size_t n = strlen(s), i = 0;

	bw_http_raw_init(&r);
	if (!step)
		step = n ? n : 1;
	for (; i < n; i += step)
		bw_http_raw_feed(&r, (const uint8_t *)s + i, n - i < step ? n - i : step);
	return r.why;
}

#define SCAN_LIT(lit) scan_len(lit, sizeof(lit) - 1) /* a literal with NULs in it */

static const char *scan_len(const char *s, size_t n)
{
	static struct bw_http_raw r;

	bw_http_raw_init(&r);
	bw_http_raw_feed(&r, (const uint8_t *)s, n);
	return r.why;
}

static void test_good(void)
{
	static const char *good[] = {
	    "",
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", /* pipelined */
	    "\r\n\r\nGET / HTTP/1.1\r\n\r\n", /* empty lines before a request line */
	    "HEAD /x HTTP/1.0\r\n\r\n\r\nGET /y HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-Tab: a\tb\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n", /* incomplete: nothing wrong yet */
	    /* another method may carry a body: what follows its head is not looked at */
	    "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\n\0 x",
	    "PUT / HTTP/1.1\r\n\r\n\n",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(scan(good[i], 0) == NULL);
		CHECK(scan(good[i], 1) == NULL);
		CHECK(scan(good[i], 3) == NULL);
	}
	CHECK(SCAN_LIT("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\0\0\0\0") == NULL);
}

static void test_refused(void)
{
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
	    {"GET / HTTP/1.1\nHost: x\n\n", "bare LF line ending in the request head"},
	    {"GET / HTTP/1.1\r\nHost: x\n\r\n", "bare LF line ending in the request head"},
	    {"\nGET / HTTP/1.1\r\n\r\n", "bare LF line ending in the request head"},
	    {"GET / HTTP/1.1\r\nHost: x\r\n\n", "bare LF line ending in the request head"},
	    {"GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n",
	     "obs-fold (a header line starting with a space or tab)"},
	    {"GET / HTTP/1.1\r\n\tHost: x\r\n\r\n",
	     "obs-fold (a header line starting with a space or tab)"},
	    {"GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", "CR without LF in the request head"},
	    {"\r\rGET / HTTP/1.1\r\n\r\n", "CR without LF in the request head"},
	    /* the second head of a keep-alive connection is looked at too */
	    {"GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\nHost: x\n\n",
	     "bare LF line ending in the request head"},
	    {"HEAD / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n x\r\n\r\n",
	     "obs-fold (a header line starting with a space or tab)"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (size_t step = 0; step < 4; step++)
			CHECK_EQ_STR(scan(bad[i].in, step), bad[i].why);
	CHECK_EQ_STR(SCAN_LIT("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"),
		     "NUL byte in the request head");
	CHECK_EQ_STR(SCAN_LIT("G\0T / HTTP/1.1\r\n\r\n"), "NUL byte in the request head");
	/* the first refusal stays, whatever follows */
	CHECK_EQ_STR(scan("GET / HTTP/1.1\nX-A: one\r\n two\r\n\r\n", 0),
		     "bare LF line ending in the request head");
}

int main(void)
{
	test_good();
	test_refused();
	return check_summary();
}
