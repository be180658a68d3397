/* The HTTP row of the service table. Its listener and limits are libmicrohttpd options
 * fixed at start, so nothing of its own section reloads; the files it serves come from the
 * live snapshot through the virtual files on every request. */
#include <stdlib.h>

#include "core/cfg_live.h"
#include "core/service.h"
#include "http/http_config.h"
#include "http/http_io.h"

struct http_row {
	struct bw_http_service *svc;
	struct bw_config *first; /* its section lives here */
};

static bool http_svc_enabled(const void *sec)
{
	return ((const struct bw_http_config *)sec)->enabled;
}

static int http_svc_start(const struct bw_service_env *env, void **ret)
{
	struct http_row *row = calloc(1, sizeof(*row));
	int r;

	if (!row)
		return -ENOMEM;
	r = bw_http_service_new(env->loop, bw_config_get(env->cfg, &bw_http_cfg_section),
				env->boot_root, env->vfs, env->peers, &row->svc);
	if (r < 0) {
		free(row);
		return r;
	}
	row->first = bw_config_ref(env->cfg);
	*ret = row;
	return 0;
}

static void http_svc_stop(void *p)
{
	struct http_row *row = p;

	bw_http_service_stop(row->svc); /* joins libmicrohttpd's thread */
	row->svc = NULL;
}

static void http_svc_done(void *p)
{
	struct http_row *row = p;

	bw_config_unref(row->first);
	free(row);
}

const struct bw_service bw_http_service_row = {
	.name = "http",
	.section = &bw_http_cfg_section,
	.enabled = http_svc_enabled,
	.start = http_svc_start,
	.stop = http_svc_stop,
	.done = http_svc_done,
};
