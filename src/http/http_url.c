#include "http/http_url.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/netaddr.h"

/* Control characters and space: never raw in a request-target, never decoded into a path. */
static bool url_is_ctl(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

int bw_http_target_parse(const char *raw, char *path, size_t cap, size_t *ret_len,
			 const char **ret_query)
{
	const char *p = raw, *end, *query = NULL;
	size_t o = 0;

	/* absolute-form (what proxies get; servers must accept it): skip scheme and authority */
	if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "//") + 2;
		while (*p && *p != '/' && *p != '?')
			p++;
		if (*p != '/')
			return -EBADMSG; /* "http://host" or "http://host?q": no path */
	}
	if (*p != '/')
		return -EBADMSG; /* asterisk-form, authority-form, or junk */
	/* A fragment is never sent ('#' is not allowed in a request-target): refused. */
	if (strchr(p, '#'))
		return -EBADMSG;
	end = strchr(p, '?');
	if (end)
		query = end + 1;
	else
		end = p + strlen(p);
	for (const char *q = p; q < end; q++) {
		unsigned char c = (unsigned char)*q;

		if (url_is_ctl(c))
			return -EBADMSG;
		if (c == '%') {
			int hi = bw_hex_digit(q[1]), lo = hi < 0 ? -1 : bw_hex_digit(q[2]);

			if (hi < 0 || lo < 0)
				return -EBADMSG;
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0 || (url_is_ctl(c) && c != ' '))
				return -EBADMSG;
			q += 2;
		}
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		path[o++] = (char)c;
	}
	for (const char *q = query; q && *q; q++)
		if (url_is_ctl((unsigned char)*q))
			return -EBADMSG;
	path[o] = '\0';
	*ret_len = o;
	*ret_query = query;
	return 0;
}
