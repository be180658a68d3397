#include "http/http_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sock.h"

#define HTTP_CFG(f) offsetof(struct bw_http_config, f)

static void http_cfg_defaults(void *p)
{
	struct bw_http_config *c = p;

	c->enabled = false;
	c->listen = strdup("0.0.0.0");
	c->port = 80;
	c->tls_cert = NULL;
	c->tls_key = NULL;
	c->max_connections = 1024;
	c->max_per_client = 32;
	c->timeout_s = 30;
	c->threads = 0;
}

static bool http_cfg_is_set(const char *s)
{
	return s && *s;
}

/* A relative file name is relative to the config file's directory, like boot_root. */
static void http_cfg_resolve(char **field, const struct bw_config *cfg)
{
	char joined[PATH_MAX], *nv;
	int dl;

	if (!http_cfg_is_set(*field) || (*field)[0] == '/' || !cfg->file ||
	    !strchr(cfg->file, '/'))
		return;
	dl = (int)(strrchr(cfg->file, '/') - cfg->file);
	if ((size_t)snprintf(joined, sizeof(joined), "%.*s/%s", dl, cfg->file, *field) >=
	    sizeof(joined))
		return;
	nv = strdup(joined);
	if (!nv)
		return;
	free(*field);
	*field = nv;
}

/* The file must be readable now (it is read before privileges are dropped) and hold PEM. */
static void http_cfg_check_pem(struct bw_cfg_ctx *ctx, const char *key, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		bw_cfg_error_key(ctx, "http", key, "http.%s: '%s': %s", key, path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		bw_cfg_error_key(ctx, "http", key, "http.%s: '%s': %s", key, path, strerror(errno));
	} else {
		buf[n] = '\0';
		if (!strstr(buf, "-----BEGIN "))
			bw_cfg_error_key(ctx, "http", key, "http.%s: '%s' is not a PEM file", key,
					 path);
	}
	close(fd);
}

static void http_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_http_config *c = p;
	struct sockaddr_storage ss;
	bool cert = http_cfg_is_set(c->tls_cert), key = http_cfg_is_set(c->tls_key);

	if (bw_sock_addr_parse(c->listen, (uint16_t)c->port, &ss) < 0)
		bw_cfg_error_key(ctx, "http", "listen",
				 "http.listen: '%s' is not an IPv4 or IPv6 address", c->listen);
	if (cert && !key)
		bw_cfg_error_key(ctx, "http", "tls_cert",
				 "http.tls_cert: set without http.tls_key (HTTPS needs both)");
	if (key && !cert)
		bw_cfg_error_key(ctx, "http", "tls_key",
				 "http.tls_key: set without http.tls_cert (HTTPS needs both)");
	http_cfg_resolve(&c->tls_cert, cfg);
	http_cfg_resolve(&c->tls_key, cfg);
	if (cert)
		http_cfg_check_pem(ctx, "tls_cert", c->tls_cert);
	if (key)
		http_cfg_check_pem(ctx, "tls_key", c->tls_key);
}

static const struct bw_cfg_key http_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = HTTP_CFG(enabled),
	 .doc = "Run the HTTP service."},
	{.name = "listen", .type = BW_CFG_STR, .off = HTTP_CFG(listen),
	 .doc = "Address to bind (IPv4 or IPv6 literal)."},
	{.name = "port", .type = BW_CFG_UINT, .off = HTTP_CFG(port), .min = 1, .max = 65535,
	 .doc = "TCP port."},
	{.name = "tls_cert", .type = BW_CFG_STR, .off = HTTP_CFG(tls_cert),
	 .doc = "PEM certificate (chain); with tls_key the service speaks HTTPS."},
	{.name = "tls_key", .type = BW_CFG_STR, .off = HTTP_CFG(tls_key),
	 .doc = "PEM private key of tls_cert."},
	{.name = "max_connections", .type = BW_CFG_UINT, .off = HTTP_CFG(max_connections),
	 .min = 1, .max = 100000, .doc = "Concurrent connections."},
	{.name = "max_per_client", .type = BW_CFG_UINT, .off = HTTP_CFG(max_per_client), .min = 1,
	 .max = 100000, .doc = "Concurrent connections per client IP address."},
	{.name = "timeout_s", .type = BW_CFG_UINT, .off = HTTP_CFG(timeout_s), .min = 1,
	 .max = 3600, .doc = "A connection idle this long is closed."},
	{.name = "threads", .type = BW_CFG_UINT, .off = HTTP_CFG(threads), .max = 256,
	 .doc = "HTTP threads; 0: one per CPU the process may run on."},
};

const struct bw_cfg_section bw_http_cfg_section = {
	.name = "http",
	.keys = http_cfg_keys,
	.n_keys = sizeof(http_cfg_keys) / sizeof(http_cfg_keys[0]),
	.size = sizeof(struct bw_http_config),
	.defaults = http_cfg_defaults,
	.validate = http_cfg_validate,
};

int bw_http_base_url(const struct bw_http_config *cfg, const char *host, char *out, size_t cap)
{
	bool tls = http_cfg_is_set(cfg->tls_cert) && http_cfg_is_set(cfg->tls_key);
	bool v6 = strchr(host, ':') != NULL;
	char port[8] = "";
	int n;

	/* The scheme's default port is left out: 80 for http, 443 for https. */
	if (cfg->port != (tls ? 443u : 80u))
		snprintf(port, sizeof(port), ":%u", (unsigned)cfg->port);
	n = snprintf(out, cap, "%s://%s%s%s%s/", tls ? "https" : "http", v6 ? "[" : "", host,
		     v6 ? "]" : "", port);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
