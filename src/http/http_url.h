/* The request-target of an HTTP request (RFC 9112 3.2) turned into a decoded path and the raw
 * query. Pure: no I/O, no allocation, no logging. */
#ifndef BW_HTTP_URL_H
#define BW_HTTP_URL_H

#include <stddef.h>

/* Parses the raw request-target raw (NUL-terminated, as received): origin-form "/p?q" or
 * absolute-form "http://host/p?q". The path is percent-decoded into path (cap bytes,
 * NUL-terminated; its length in *ret_len); an encoded slash becomes a separator, so "..%2f"
 * is "../" for the normalisation that follows. *ret_query points into raw just after the
 * '?' (still encoded), or is NULL when there is no query. Errors: -EBADMSG for a target that
 * is not a path or holds a '#', a '%' not followed by two hex digits, an encoded NUL or
 * control character, a raw control character or space; -ENAMETOOLONG when the decoded path
 * does not fit. Outputs are written only on success. */
int bw_http_target_parse(const char *raw, char *path, size_t cap, size_t *ret_len,
			 const char **ret_query);

#endif
