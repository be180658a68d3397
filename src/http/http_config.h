/* The `http:` section of the configuration. */
#ifndef BW_HTTP_CONFIG_H
#define BW_HTTP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/http_base.h"

struct bw_http_config {
	bool enabled;            /* default false */
	char **listen;           /* default "0.0.0.0" (IPv4 or IPv6 literals) */
	unsigned n_listen;
	uint32_t port;           /* default 80 */
	char *tls_cert;          /* PEM file; with tls_key: HTTPS (NULL: plain HTTP) */
	char *tls_key;
	uint32_t max_connections;     /* default 1024 */
	uint32_t max_per_client;      /* default 32 */
	uint32_t timeout_s;           /* idle connection timeout, default 30 */
	uint32_t head_timeout_ms;     /* a request head must be complete within, default 10000 */
	uint32_t threads;             /* 0 (default): one per CPU the process may run on */
};

extern const struct bw_cfg_section bw_http_cfg_section;

/* The base URL clients reach this service at through address `host` (dotted IPv4), like
 * "http://10.0.0.1:8080/" (the port left out when it is 80, https when TLS is on). */
int bw_http_base_url(const struct bw_http_config *cfg, const char *host, char *out, size_t cap);
/* The same as a struct, the host left to each client's view ("" host). */
void bw_http_base_of(const struct bw_http_config *cfg, struct bw_http_base *ret);

#endif
