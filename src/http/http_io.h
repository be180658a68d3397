/* The HTTP boot service: libmicrohttpd serving boot_root and virtual files (generated iPXE
 * scripts, configs) to iPXE, UEFI HTTP boot and anything else with a URL. */
#ifndef BW_HTTP_IO_H
#define BW_HTTP_IO_H

#include <uv.h>

#include "core/vfs.h"
#include "http/http_config.h"

struct bw_http_service;

/* Binds and starts serving. libmicrohttpd runs its own thread: vfs providers are called from
 * it (see core/vfs.h). cfg, boot_root and vfs must outlive the service. Errors are logged.
 * Must run before privileges are dropped when the port is below 1024. */
struct bw_peers;
/* peers (may be NULL): who is behind an address, for the MAC in the log line. */
/* listen: one of cfg's addresses (each address is a service of its own). */
int bw_http_service_new(uv_loop_t *loop, const struct bw_http_config *cfg, const char *listen,
			const char *boot_root, const struct bw_vfs *vfs,
			const struct bw_peers *peers, struct bw_http_service **ret);
/* Stops accepting, ends connections, joins the thread and frees the service. */
void bw_http_service_stop(struct bw_http_service *svc);

#endif
