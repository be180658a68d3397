#include "http/http_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sock.h"

#define HTTP_CFG(f) offsetof(struct bw_http_config, f)

static bool http_cfg_is_set(const char *s)
{
	return s && *s;
}

/* The file must be readable now (it is read before privileges are dropped) and hold PEM.
 * A process that is not root and may not read it cannot tell (a key readable by root only
 * is the intended setup): `check-config` run by a user, or the daemon reloading after it
 * switched to `user`. The daemon reads it as root at start and says so there if it cannot. */
static void http_cfg_check_pem(struct bw_cfg_ctx *ctx, const char *key, char *const *field)
{
	const char *path = *field;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 && errno == EACCES && geteuid() != 0)
		return;
	if (fd < 0) {
		bw_cfg_error_at(ctx, field, "http.%s: '%s': %s", key, path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		bw_cfg_error_at(ctx, field, "http.%s: '%s': %s", key, path, strerror(errno));
	} else {
		buf[n] = '\0';
		if (!strstr(buf, "-----BEGIN "))
			bw_cfg_error_at(ctx, field, "http.%s: '%s' is not a PEM file", key, path);
	}
	close(fd);
}

static void http_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_http_config *c = p;
	struct sockaddr_storage ss;
	bool cert = http_cfg_is_set(c->tls_cert), key = http_cfg_is_set(c->tls_key);

	for (unsigned i = 0; i < c->n_listen; i++)
		if (bw_sock_addr_parse(c->listen[i], (uint16_t)c->port, &ss) < 0)
			bw_cfg_error_at(ctx, &c->listen[i], "http.listen: '%s' is not an IPv4 or "
					"IPv6 address", c->listen[i]);
	if (cert && !key)
		bw_cfg_error_at(ctx, &c->tls_cert,
				"http.tls_cert: set without http.tls_key (HTTPS needs both)");
	if (key && !cert)
		bw_cfg_error_at(ctx, &c->tls_key,
				"http.tls_key: set without http.tls_cert (HTTPS needs both)");
	if (cert && bw_cfg_resolve_path(ctx, cfg, &c->tls_cert) == 0)
		http_cfg_check_pem(ctx, "tls_cert", &c->tls_cert);
	if (key && bw_cfg_resolve_path(ctx, cfg, &c->tls_key) == 0)
		http_cfg_check_pem(ctx, "tls_key", &c->tls_key);
}

/* None is reload-safe: the limits are libmicrohttpd options, set when its daemon starts. */
static const struct bw_cfg_key http_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = HTTP_CFG(enabled),
	 .doc = "Run the HTTP service."},
	{.name = "listen", .type = BW_CFG_STR_LIST, .off = HTTP_CFG(listen),
	 .off2 = HTTP_CFG(n_listen), .max = 16, .def = "0.0.0.0",
	 .doc = "Addresses to bind (IPv4 or IPv6 literals; one or a list)."},
	{.name = "port", .type = BW_CFG_UINT, .off = HTTP_CFG(port), .min = 1, .max = 65535,
	 .def = "80", .doc = "TCP port."},
	{.name = "tls_cert", .type = BW_CFG_STR, .off = HTTP_CFG(tls_cert),
	 .doc = "PEM certificate (chain); with tls_key the service speaks HTTPS."},
	{.name = "tls_key", .type = BW_CFG_STR, .off = HTTP_CFG(tls_key),
	 .doc = "PEM private key of tls_cert."},
	{.name = "max_connections", .type = BW_CFG_UINT, .off = HTTP_CFG(max_connections),
	 .min = 1, .max = 100000, .def = "1024",
	 .doc = "Concurrent connections. At the limit, a new connection closes the one idle "
		"longest (kept alive after an answer, or that has not sent a request line); when "
		"every connection is busy it is refused. Both are logged (rate-limited)."},
	{.name = "max_per_client", .type = BW_CFG_UINT, .off = HTTP_CFG(max_per_client), .min = 1,
	 .max = 100000, .def = "32",
	 .doc = "Concurrent connections per client IP address; one more is refused and logged "
		"(rate-limited)."},
	{.name = "timeout_s", .type = BW_CFG_UINT, .off = HTTP_CFG(timeout_s), .min = 1,
	 .max = 3600, .def = "30", .doc = "A connection idle this long is closed."},
	{.name = "head_timeout_ms", .type = BW_CFG_UINT, .off = HTTP_CFG(head_timeout_ms),
	 .min = 100, .max = 600000, .def = "10000",
	 .doc = "A request head (request line and headers) must be complete this long after "
		"the connection was accepted, or after its request line arrived, or, on a kept-alive "
		"connection, after timeout_s plus this long since the last answer; else the "
		"connection is closed (slowloris). Counted apart from timeout_s, which a byte "
		"resets."},
	{.name = "threads", .type = BW_CFG_UINT, .off = HTTP_CFG(threads), .max = 256,
	 .def = "0", .doc = "HTTP threads; 0: one per CPU the process may run on."},
};

const struct bw_cfg_section bw_http_cfg_section = {
	.name = "http",
	.keys = http_cfg_keys,
	.n_keys = sizeof(http_cfg_keys) / sizeof(http_cfg_keys[0]),
	.size = sizeof(struct bw_http_config),
	.validate = http_cfg_validate,
};

void bw_http_base_of(const struct bw_http_config *cfg, struct bw_http_base *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->tls = http_cfg_is_set(cfg->tls_cert) && http_cfg_is_set(cfg->tls_key);
	ret->port = (uint16_t)cfg->port;
	snprintf(ret->prefix, sizeof(ret->prefix), "/");
}

int bw_http_base_url(const struct bw_http_config *cfg, const char *host, char *out, size_t cap)
{
	struct bw_http_base b;

	bw_http_base_of(cfg, &b);
	return bw_http_base_format(&b, host, out, cap);
}
