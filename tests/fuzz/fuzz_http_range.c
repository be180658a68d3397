/* Fuzz target: what an HTTP GET/HEAD decides from untrusted header values and the
 * request-target (http_range, http_url, core/fspath's normalisation).
 *
 * The input is text, one field per line ('\n'; a missing line is an absent header):
 *   0 the body size (decimal, saturating; empty: 1000)   4 If-Modified-Since
 *   1 Range                                              5 If-Match
 *   2 If-Range                                           6 If-Unmodified-Since
 *   3 If-None-Match                                      7 the raw request-target
 * The whole input is also parsed as one Range value of exactly its length (not
 * NUL-terminated). Every broken invariant abort()s.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/fspath.h"
#include "http/http_range.h"
#include "http/http_url.h"
#include "fuzz_assert.h"

#define FUZZ_FIELDS 8
#define FUZZ_MAX 4096

static char fuzz_buf[FUZZ_MAX + 1];

static uint64_t fuzz_size(const char *s)
{
	uint64_t v = 0;

	if (!s || !*s)
		return 1000;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*s - '0');
	return v;
}

static void fuzz_check_range(int r, const struct bw_http_range *rg, uint64_t body)
{
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -EOPNOTSUPP || r == -ERANGE);
	if (r != 0)
		return;
	FUZZ_ASSERT(rg->len >= 1);
	FUZZ_ASSERT(rg->first < body);
	FUZZ_ASSERT(rg->len <= body - rg->first);

	char cr[96];
	FUZZ_ASSERT(bw_http_content_range(rg, body, cr, sizeof(cr)) == 0);
	FUZZ_ASSERT(strncmp(cr, "bytes ", 6) == 0);
}

static void fuzz_check_date(const char *s)
{
	char out[BW_HTTP_DATE_MAX];
	int64_t t, t2;

	if (!s || bw_http_date_parse(s, &t) != 0)
		return;
	if (bw_http_date_format(t, out, sizeof(out)) != 0)
		return; /* a year past 9999 is not representable */
	FUZZ_ASSERT(strlen(out) == 29);
	FUZZ_ASSERT(bw_http_date_parse(out, &t2) == 0);
	FUZZ_ASSERT(t2 == t);
}

static void fuzz_check_target(const char *raw)
{
	char path[1024], norm[1024];
	const char *q = NULL;
	size_t len = 0;
	int r;

	if (!raw)
		return;
	r = bw_http_target_parse(raw, path, sizeof(path), &len, &q);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENAMETOOLONG);
	if (r != 0)
		return;
	FUZZ_ASSERT(len < sizeof(path) && path[len] == '\0' && strlen(path) == len);
	FUZZ_ASSERT(path[0] == '/');
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT((unsigned char)path[i] >= 0x20 && path[i] != 0x7f);
	FUZZ_ASSERT(!q || (q > raw && q[-1] == '?' && q <= raw + strlen(raw)));
	r = bw_fspath_normalize(path, len, NULL, norm, sizeof(norm));
	FUZZ_ASSERT(r == 0 || r == -EACCES || r == -ENOENT || r == -ENAMETOOLONG);
	if (r != 0)
		return;
	/* never absolute, never a ".." or "." segment, never an empty segment */
	FUZZ_ASSERT(norm[0] != '/' && norm[0] != '\0');
	for (const char *seg = norm; seg;) {
		const char *sl = strchr(seg, '/');
		size_t n = sl ? (size_t)(sl - seg) : strlen(seg);

		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(!(n == 1 && seg[0] == '.'));
		FUZZ_ASSERT(!(n == 2 && seg[0] == '.' && seg[1] == '.'));
		seg = sl ? sl + 1 : NULL;
	}
	FUZZ_ASSERT(bw_http_content_type(norm) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[FUZZ_FIELDS] = {NULL};
	struct bw_http_range rg;
	uint64_t body;
	char etag[BW_HTTP_ETAG_MAX];
	int r;

	if (size > FUZZ_MAX)
		return 0;
	/* the raw bytes, as one Range value of exactly size bytes */
	r = bw_http_range_parse((const char *)data, size, 1000, &rg);
	fuzz_check_range(r, &rg, 1000);

	memcpy(fuzz_buf, data, size);
	fuzz_buf[size] = '\0';
	char *p = fuzz_buf;
	for (unsigned i = 0; i < FUZZ_FIELDS && p; i++) {
		char *nl = strchr(p, '\n');

		f[i] = p;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
	}
	body = fuzz_size(f[0]);
	if (f[1]) {
		r = bw_http_range_parse(f[1], strlen(f[1]), body, &rg);
		fuzz_check_range(r, &rg, body);
	}
	for (unsigned i = 2; i < FUZZ_FIELDS - 1; i++)
		fuzz_check_date(f[i]);

	FUZZ_ASSERT(bw_http_etag_file(body, body, (int64_t)body, 999999999, etag, sizeof(etag)) ==
		    0);
	for (unsigned head = 0; head < 2; head++) {
		struct bw_http_req_hdrs h = {
			.head = head, .range = f[1], .if_range = f[2], .if_none_match = f[3],
			.if_modified_since = f[4], .if_match = f[5], .if_unmodified_since = f[6],
		};
		struct bw_http_entity e = {.size = body, .etag = etag, .has_mtime = !head,
					   .mtime = (int64_t)(body & 0xffffffff)};
		struct bw_http_plan pl;

		bw_http_plan(&h, &e, &pl);
		switch (pl.status) {
		case 200:
			FUZZ_ASSERT(pl.first == 0 && pl.len == body);
			break;
		case 206:
			FUZZ_ASSERT(!head && f[1]);
			FUZZ_ASSERT(pl.len >= 1 && pl.first < body && pl.len <= body - pl.first);
			break;
		case 304:
		case 412:
		case 416:
			FUZZ_ASSERT(pl.len == 0);
			break;
		default:
			FUZZ_ASSERT(!"unexpected status");
		}
		if (f[3])
			(void)bw_http_etag_matches(f[3], etag, head);
	}
	fuzz_check_target(f[7]);
	return 0;
}
