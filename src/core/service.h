/* A service (TFTP, DHCP, HTTP, later the block targets and the API) as the daemon sees it:
 * one row of the service table in src/cli/services.c. `serve` starts the enabled rows in
 * table order and stops them in reverse order, on shutdown and when a later start fails;
 * SIGHUP hands each running service the new configuration snapshot.
 *
 * Services share read-only state through struct bw_service_env, never each other's config
 * structs: the configuration snapshot (every section, the profile set among them), the
 * HTTP base URL as a struct, the virtual files. Everything here runs on the loop thread. */
#ifndef BW_SERVICE_H
#define BW_SERVICE_H

#include <stdbool.h>
#include <uv.h>

#include "core/config.h"
#include "core/http_base.h"
#include "core/vfs.h"

struct bw_cfg_live;
struct bw_peers;

struct bw_service_env {
	uv_loop_t *loop;
	/* The snapshot to use. The caller holds a reference for the duration of the call; a
	 * service that keeps pointers into it takes its own (bw_config_ref) and drops it when
	 * done (at stop, or at the next reload once nothing in flight uses it). */
	struct bw_config *cfg;
	/* The current snapshot for code that asks per request from another thread. */
	struct bw_cfg_live *live;
	const char *boot_root;           /* of the first snapshot: a new one needs a restart */
	const struct bw_vfs *vfs;        /* providers read the live snapshot per request */
	const struct bw_http_base *http; /* our HTTP service, NULL when it is off */
	struct bw_peers *peers;          /* address -> MAC (core/peers.h), any thread */
};

struct bw_service {
	const char *name;                     /* "tftp", for the log */
	const struct bw_cfg_section *section; /* the section whose `enabled` decides */
	bool (*enabled)(const void *sec);
	/* Binds, opens and starts; logs its own errors. */
	int (*start)(const struct bw_service_env *env, void **ret_svc);
	/* Aborts what is in flight and closes its handles; frees itself from the close
	 * callbacks (uv_run finishes the job). svc may be NULL. */
	void (*stop)(void *svc);
	/* After the loop has run to its end (every handle closed): frees what stop had to keep
	 * until then, such as snapshot references. NULL: nothing. */
	void (*done)(void *svc);
	/* Takes env->cfg for everything that is reload-safe, effective for the next request.
	 * NULL: nothing of the service is reloadable. */
	void (*reload)(void *svc, const struct bw_service_env *env);
};

#endif
