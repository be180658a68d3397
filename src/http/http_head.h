/* Whether a request head may be answered, or must be refused with 400 and its connection
 * closed because its framing is ambiguous (request smuggling, RFC 9112 6.3 and 11.2). Pure:
 * no I/O, no allocation, no logging.
 *
 * bootwire reads no request bodies (GET and HEAD only), so any claim of a body, and any
 * header a proxy in front could frame differently, ends the connection: what follows the
 * head on it is never read as a next request.
 *
 * libmicrohttpd 0.9.75 parses the head before bootwire sees it, and it normalises some of
 * what is refused here (connection.c): a bare LF ends a line like CRLF, a NUL cuts a value
 * short, and an obs-fold line (one starting with space or tab) is appended to the *name* of
 * the header before it. So these checks see, of those three: a folded line that holds
 * anything but token characters (it makes the name a non-token: caught), a fold before the
 * first header (its name starts with a space: caught); not a bare LF, a NUL inside a value,
 * or a fold of one bare token: those are found in the raw bytes (http_raw.h). */
#ifndef BW_HTTP_HEAD_H
#define BW_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

/* What the headers of one request said, fed one header at a time. */
struct bw_http_head_scan {
	unsigned n_clen;   /* Content-Length headers */
	unsigned n_te;     /* Transfer-Encoding headers */
	bool clen_nonzero; /* a Content-Length says more than 0 */
	const char *why;   /* the first header that is refused in itself, or NULL */
};

/* One header line as parsed: name and value are not NUL-terminated (lengths given). */
struct bw_http_hdr {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

void bw_http_head_scan_init(struct bw_http_head_scan *s);
/* Adds one header. A name that is not an RFC 9110 token (empty, space, ':', control or
 * other non-token bytes: a fold, see above), a value with a control character other than
 * HTAB (CR, LF, NUL, DEL), or a Content-Length that is not a decimal number is refused. */
void bw_http_head_scan_add(struct bw_http_head_scan *s, const char *name, size_t name_len,
                           const char *value, size_t value_len);
/* The verdict on the request with method (NUL-terminated) and the headers added: 0 to
 * answer it; -EBADMSG to refuse it (400, connection closed) with *ret_why saying why (a
 * static string). Refused: anything add() refused; two Content-Lengths (even equal);
 * Transfer-Encoding with Content-Length; on GET and HEAD any Transfer-Encoding and a
 * Content-Length other than 0. */
int bw_http_head_verdict(const struct bw_http_head_scan *s, const char *method,
                         const char **ret_why);
/* init, add each of hdrs[0..n), verdict: for tests and fuzzing. */
int bw_http_head_check(const char *method, const struct bw_http_hdr *hdrs, size_t n,
                       const char **ret_why);

#endif
