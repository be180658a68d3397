/* Fuzz target: the raw request-head scanner (http_raw), which sees the bytes libmicrohttpd
 * reads from a plain-HTTP connection before it parses them.
 *
 * The input is the byte stream of one connection. Invariants: the verdict is NULL or one of
 * the scanner's reasons; it is the same however the stream is cut into reads (the first
 * byte picks the read size, 1 to 16 bytes, and the rest is fed in such pieces); a stream
 * without CR, LF or NUL is never refused. Every broken invariant abort()s.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "http/http_raw.h"
#include "fuzz_assert.h"

static bool fuzz_known(const char *why)
{
	static const char *const known[] = {
	    "NUL byte in the request head", "bare LF line ending in the request head",
	    "CR without LF in the request head",
	    "obs-fold (a header line starting with a space or tab)"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(why, known[i]) == 0)
			return true;
	return false;
}

/* A stream without CR, LF or NUL is one unfinished line: nothing to refuse in it. */
static bool fuzz_one_line(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0 || p[i] == '\r' || p[i] == '\n')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_http_raw whole, parts;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	bw_http_raw_init(&whole);
	bw_http_raw_feed(&whole, data, size);
	bw_http_raw_init(&parts);
	for (size_t i = 0; i < size; i += step)
		bw_http_raw_feed(&parts, data + i, size - i < step ? size - i : step);
	FUZZ_ASSERT((whole.why == NULL) == (parts.why == NULL));
	if (whole.why) {
		FUZZ_ASSERT(strcmp(whole.why, parts.why) == 0);
		FUZZ_ASSERT(fuzz_known(whole.why));
	}
	if (fuzz_one_line(data, size))
		FUZZ_ASSERT(whole.why == NULL);
	return 0;
}
