/* Raw request-head scanner: see http_raw.h. */
#include "http/http_raw.h"

#include <stdbool.h>
#include <string.h>

enum {
	RAW_HEAD,     /* before a request line: empty lines allowed */
	RAW_HEAD_CR,  /* ... a CR of such an empty line */
	RAW_LINE,     /* inside a line */
	RAW_CR,       /* a line's CR: LF must follow */
	RAW_LINESTART, /* the first byte of a header line (or of the empty line ending the head) */
	RAW_OFF,      /* not looking any more: a refusal, or a method that may carry a body */
};

void bw_http_raw_init(struct bw_http_raw *r)
{
	memset(r, 0, sizeof(*r));
	r->st = RAW_HEAD;
}

static void raw_refuse(struct bw_http_raw *r, const char *why)
{
	r->why = why;
	r->st = RAW_OFF;
}

/* The request line's method so far, one byte at a time (until its space). */
static void raw_method_byte(struct bw_http_raw *r, uint8_t b)
{
	if (r->mlen < sizeof(r->method))
		r->method[r->mlen] = (char)b;
	if (r->mlen < 255)
		r->mlen++;
}

static bool raw_method_no_body(const struct bw_http_raw *r)
{
	return (r->mlen >= 4 && memcmp(r->method, "GET ", 4) == 0) ||
	       (r->mlen >= 5 && memcmp(r->method, "HEAD ", 5) == 0);
}

/* A byte inside a line (not CR, LF or NUL). The method is the request line's bytes up to
 * and with its first space. */
static void raw_line_byte(struct bw_http_raw *r, uint8_t b)
{
	if (r->in_method) {
		raw_method_byte(r, b);
		if (b == ' ' || r->mlen >= sizeof(r->method))
			r->in_method = false;
	}
	if (r->linelen < UINT32_MAX)
		r->linelen++;
}

void bw_http_raw_feed(struct bw_http_raw *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && r->st != RAW_OFF; i++) {
		uint8_t b = p[i];

		if (b == 0) {
			raw_refuse(r, "NUL byte in the request head");
			break;
		}
		switch (r->st) {
		case RAW_HEAD:
			if (b == '\r') {
				r->st = RAW_HEAD_CR;
			} else if (b == '\n') {
				raw_refuse(r, "bare LF line ending in the request head");
			} else {
				r->mlen = 0;
				r->in_method = true;
				r->linelen = 0;
				raw_line_byte(r, b);
				r->st = RAW_LINE;
			}
			break;
		case RAW_HEAD_CR:
			if (b == '\n')
				r->st = RAW_HEAD;
			else
				raw_refuse(r, "CR without LF in the request head");
			break;
		case RAW_LINE:
			if (b == '\r')
				r->st = RAW_CR;
			else if (b == '\n')
				raw_refuse(r, "bare LF line ending in the request head");
			else
				raw_line_byte(r, b);
			break;
		case RAW_CR:
			if (b != '\n') {
				raw_refuse(r, "CR without LF in the request head");
			} else if (r->linelen == 0) {
				/* the empty line: the head is complete */
				r->st = raw_method_no_body(r) ? RAW_HEAD : RAW_OFF;
			} else {
				r->st = RAW_LINESTART;
			}
			break;
		case RAW_LINESTART:
			r->linelen = 0;
			if (b == ' ' || b == '\t') {
				raw_refuse(r, "obs-fold (a header line starting with a space or tab)");
			} else if (b == '\r') {
				r->st = RAW_CR;
			} else if (b == '\n') {
				raw_refuse(r, "bare LF line ending in the request head");
			} else {
				raw_line_byte(r, b);
				r->st = RAW_LINE;
			}
			break;
		default:
			break;
		}
	}
}
