/* The HTTP row of the service table. Its listener and limits are libmicrohttpd options
 * fixed at start, so nothing of its own section reloads; the files it serves come from the
 * live snapshot through the virtual files on every request. */
#include <stdlib.h>

#include "core/cfg_live.h"
#include "core/service.h"
#include "http/http_config.h"
#include "http/http_io.h"

struct http_row {
	struct bw_config *first; /* their section lives here */
	unsigned n;
	struct bw_http_service *svc[]; /* one per listen address */
};

static bool http_svc_enabled(const void *sec)
{
	return ((const struct bw_http_config *)sec)->enabled;
}

static void http_svc_stop(void *p)
{
	struct http_row *row = p;

	for (unsigned i = 0; i < row->n; i++) {
		bw_http_service_stop(row->svc[i]); /* joins libmicrohttpd's threads */
		row->svc[i] = NULL;
	}
}

static void http_svc_done(void *p)
{
	struct http_row *row = p;

	bw_config_unref(row->first);
	free(row);
}

static int http_svc_start(const struct bw_service_env *env, void **ret)
{
	const struct bw_http_config *hc = bw_config_get(env->cfg, &bw_http_cfg_section);
	struct http_row *row = calloc(1, sizeof(*row) + hc->n_listen * sizeof(row->svc[0]));
	int r;

	if (!row)
		return -ENOMEM;
	for (unsigned i = 0; i < hc->n_listen; i++) {
		r = bw_http_service_new(env->loop, hc, hc->listen[i], env->boot_root, env->vfs,
					env->peers, &row->svc[row->n]);
		if (r < 0) {
			http_svc_stop(row);
			free(row);
			return r;
		}
		row->n++;
	}
	row->first = bw_config_ref(env->cfg);
	*ret = row;
	return 0;
}

const struct bw_service bw_http_service_row = {
	.name = "http",
	.section = &bw_http_cfg_section,
	.enabled = http_svc_enabled,
	.start = http_svc_start,
	.stop = http_svc_stop,
	.done = http_svc_done,
};
