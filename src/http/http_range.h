/* What an HTTP GET or HEAD answers, decided from the request's headers and the file's
 * metadata: byte ranges (RFC 9110 section 14), conditional requests (section 13), entity
 * tags, HTTP dates, and the content type by name.
 * Pure: no I/O, no clock, no allocation, no logging. Header values are NUL-terminated
 * strings as the HTTP library hands them over (NULL: header absent). */
#ifndef BW_HTTP_RANGE_H
#define BW_HTTP_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One byte range: [first, first + len), len > 0. */
struct bw_http_range {
	uint64_t first;
	uint64_t len;
};

/* Parses a Range header value (len bytes, need not be NUL-terminated) for a body of size
 * bytes:
 *   0            one satisfiable range: *ret is set (206)
 *   -ERANGE      no range is satisfiable (416 with "Content-Range: bytes * /size")
 *   -EOPNOTSUPP  a unit other than bytes, or several ranges of which one at least is
 *                satisfiable: we answer those with the whole body (200)
 *   -EBADMSG     malformed (RFC 9110: ignored, the whole body is sent)
 * Numbers too large for 64 bits saturate: "bytes=99999999999999999999-" is a valid range
 * that starts past the end (unsatisfiable), "bytes=0-99999999999999999999" runs to the end. */
int bw_http_range_parse(const char *s, size_t len, uint64_t size, struct bw_http_range *ret);

/* "bytes FIRST-LAST/SIZE" for a 206, or "bytes * /SIZE" (no space) when r is NULL (416).
 * -ENAMETOOLONG when it does not fit. */
int bw_http_content_range(const struct bw_http_range *r, uint64_t size, char *out, size_t cap);

/* Entity tags are written with their quotes: "\"1a2b-400-5f3e1c2d.0\"". */
#define BW_HTTP_ETAG_MAX 80

/* A strong ETag for a file from its inode, size and modification time (seconds and
 * nanoseconds): it changes when the file is replaced, rewritten or touched. */
int bw_http_etag_file(uint64_t ino, uint64_t size, int64_t mtime_s, long mtime_ns, char *out,
		      size_t cap);
/* A strong ETag for generated content: a 64-bit FNV-1a hash of the bytes and their length. */
int bw_http_etag_blob(const void *data, size_t len, char *out, size_t cap);

/* True when the list (If-Match / If-None-Match value: "*" or comma-separated entity tags)
 * names etag. strong: both tags must be strong and equal (If-Match, If-Range); otherwise the
 * weak comparison (If-None-Match: W/ ignored). A malformed list matches nothing. */
bool bw_http_etag_matches(const char *list, const char *etag, bool strong);

/* Parses an HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime forms that
 * recipients must accept) into seconds since the epoch. -EBADMSG when it is not one. */
int bw_http_date_parse(const char *s, int64_t *ret);
/* Writes t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 characters). */
#define BW_HTTP_DATE_MAX 32
int bw_http_date_format(int64_t t, char *out, size_t cap);

/* The request headers that decide the answer. */
struct bw_http_req_hdrs {
	bool head; /* HEAD: Range is ignored (RFC 9110 14.2: ranges are defined for GET only) */
	const char *range;
	const char *if_range;
	const char *if_match;
	const char *if_none_match;
	const char *if_modified_since;
	const char *if_unmodified_since;
};

/* What is served. */
struct bw_http_entity {
	uint64_t size;
	const char *etag; /* strong, with quotes */
	bool has_mtime;   /* files have a Last-Modified, generated content does not */
	int64_t mtime;    /* seconds */
};

/* The decision: status 200 (first 0, len size), 206 (the range), 304, 412 or 416 (len 0). */
struct bw_http_plan {
	unsigned status;
	uint64_t first;
	uint64_t len;
};

/* Evaluates the preconditions in RFC 9110's order (If-Match, else If-Unmodified-Since: 412;
 * If-None-Match, else If-Modified-Since: 304), then If-Range and Range. Dates that do not
 * parse are ignored, as the RFC says. */
void bw_http_plan(const struct bw_http_req_hdrs *h, const struct bw_http_entity *e,
		  struct bw_http_plan *ret);

/* The Content-Type for a path, by its extension (case-insensitive): application/efi,
 * application/vnd.efi-iso and application/vnd.efi-img for UEFI HTTP boot; text/plain for
 * iPXE scripts and configs (and for names without a known extension below a pxelinux.cfg
 * or grub directory); application/octet-stream for anything else. A static string. */
const char *bw_http_content_type(const char *path);

#endif
