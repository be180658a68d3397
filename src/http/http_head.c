/* Request heads that are refused: see http_head.h. */
#include "http/http_head.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 * "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool http_head_is_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool http_head_is_token(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!http_head_is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* field-value: VCHAR, obs-text, SP and HTAB; no other control character. */
static bool http_head_value_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

static bool http_head_name_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

/* A Content-Length value: digits (surrounding blanks allowed); *ret_nonzero when it is not 0. */
static bool http_head_clen_ok(const char *v, size_t len, bool *ret_nonzero)
{
	size_t i = 0, digits = 0;
	bool nonzero = false;

	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (; i < len; i++, digits++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		nonzero |= v[i] != '0';
	}
	*ret_nonzero = nonzero;
	return digits > 0;
}

void bw_http_head_scan_init(struct bw_http_head_scan *s)
{
	memset(s, 0, sizeof(*s));
}

static void http_head_refuse(struct bw_http_head_scan *s, const char *why)
{
	if (!s->why)
		s->why = why;
}

void bw_http_head_scan_add(struct bw_http_head_scan *s, const char *name, size_t name_len,
                           const char *value, size_t value_len)
{
	bool nonzero = false;

	if (!http_head_is_token(name, name_len)) {
		http_head_refuse(s, "header name is not a token (obs-fold or whitespace)");
		return;
	}
	if (!http_head_value_ok(value, value_len))
		http_head_refuse(s, "control character in a header value");
	if (http_head_name_is(name, name_len, "Transfer-Encoding")) {
		s->n_te++;
	} else if (http_head_name_is(name, name_len, "Content-Length")) {
		s->n_clen++;
		if (!http_head_clen_ok(value, value_len, &nonzero))
			http_head_refuse(s, "malformed Content-Length");
		s->clen_nonzero |= nonzero;
	}
}

static const char *http_head_why(const struct bw_http_head_scan *s, const char *method)
{
	bool no_body = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (s->why)
		return s->why;
	if (s->n_clen > 1)
		return "more than one Content-Length";
	if (s->n_te && s->n_clen)
		return "Transfer-Encoding with Content-Length";
	if (no_body && s->n_te)
		return "a body on GET or HEAD (Transfer-Encoding)";
	if (no_body && s->clen_nonzero)
		return "a body on GET or HEAD (Content-Length)";
	return NULL;
}

int bw_http_head_verdict(const struct bw_http_head_scan *s, const char *method,
                         const char **ret_why)
{
	const char *why = http_head_why(s, method);

	if (!why)
		return 0;
	*ret_why = why;
	return -EBADMSG;
}

int bw_http_head_check(const char *method, const struct bw_http_hdr *hdrs, size_t n,
                       const char **ret_why)
{
	struct bw_http_head_scan s;

	bw_http_head_scan_init(&s);
	for (size_t i = 0; i < n; i++)
		bw_http_head_scan_add(&s, hdrs[i].name, hdrs[i].name_len, hdrs[i].value,
		                      hdrs[i].value_len);
	return bw_http_head_verdict(&s, method, ret_why);
}
