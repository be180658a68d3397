#include "core/http_base.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int bw_http_base_format(const struct bw_http_base *b, const char *host, char *out, size_t cap)
{
	const char *h = b->host[0] ? b->host : host;
	bool v6 = strchr(h, ':') != NULL;
	char port[8] = "";
	int n;

	if (b->port != (b->tls ? 443u : 80u))
		snprintf(port, sizeof(port), ":%u", (unsigned)b->port);
	n = snprintf(out, cap, "%s://%s%s%s%s%s", b->tls ? "https" : "http", v6 ? "[" : "", h,
		     v6 ? "]" : "", port, b->prefix[0] ? b->prefix : "/");
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
