/* Where our HTTP service is, as other services must name it in URLs they hand out (DHCP's
 * boot file for iPXE and UEFI HTTP boot, the kernel lines of rendered scripts). Passed to
 * them as read-only shared state; nobody formats "http://..." by hand. */
#ifndef BW_HTTP_BASE_H
#define BW_HTTP_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_http_base {
	bool tls;          /* https */
	char host[64];     /* a fixed host name or literal; "": the address each client reached */
	uint16_t port;
	char prefix[64];   /* path below the host: starts and ends with '/' ("/" at least) */
};

/* "SCHEME://HOST[:PORT]PREFIX" with host (when b->host is "") bracketed when it is an IPv6
 * literal and the scheme's default port left out. host may be a template such as
 * "${server}". -ENAMETOOLONG when it does not fit cap. */
int bw_http_base_format(const struct bw_http_base *b, const char *host, char *out, size_t cap);

#endif
