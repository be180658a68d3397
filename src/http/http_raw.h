/* The request heads of a plain-HTTP connection as bytes on the wire, before libmicrohttpd
 * parses them. Pure: no I/O, no allocation.
 *
 * libmicrohttpd 0.9.75 normalises three shapes RFC 9112 says a server must refuse or not
 * trust (http_head.h): a bare LF line ending, a NUL in a header, an obs-fold line (one that
 * starts with a space or tab). Its parsed head no longer shows them, so the bytes it reads
 * are fed here (http_recv.c) and the request is refused if they held one of them.
 *
 * The scanner follows heads one after another on the connection (keep-alive, pipelining):
 * bootwire reads no bodies (a GET or HEAD that announces one is refused and its connection
 * closed), so what follows a head is the next head. After a head of another method (405,
 * MHD then closes) it stops looking, since a body may follow. Empty lines before a request
 * line are allowed (RFC 9112 2.2). */
#ifndef BW_HTTP_RAW_H
#define BW_HTTP_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_http_raw {
	uint8_t st;      /* where in a head the next byte is (http_raw.c) */
	bool in_method;  /* inside the current request line's method */
	uint8_t mlen;    /* bytes of the method seen so far (of the current request line) */
	char method[5];  /* its first bytes, to tell GET and HEAD from the rest */
	uint32_t linelen; /* bytes of the current line before its CR */
	const char *why; /* the first shape refused on this connection, or NULL (for good) */
};

void bw_http_raw_init(struct bw_http_raw *r);
/* Feeds n more bytes of the connection, in order. */
void bw_http_raw_feed(struct bw_http_raw *r, const uint8_t *p, size_t n);

#endif
