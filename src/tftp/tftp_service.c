/* The TFTP row of the service table: one service instance per listen address (each with
 * its own listening socket and limits; every transfer has a socket of its own), so one
 * daemon can serve IPv4 and IPv6. */
#include <errno.h>
#include <stdlib.h>

#include "core/cfg_live.h"
#include "core/service.h"
#include "tftp/tftp_config.h"
#include "tftp/tftp_io.h"

struct tftp_row {
	unsigned n;
	struct bw_tftp_service *svc[]; /* n, each frees itself once stopped */
};

static bool tftp_svc_enabled(const void *sec)
{
	return ((const struct bw_tftp_config *)sec)->enabled;
}

static void tftp_svc_stop(void *p)
{
	struct tftp_row *row = p;

	for (unsigned i = 0; i < row->n; i++)
		bw_tftp_service_stop(row->svc[i]);
}

static void tftp_svc_done(void *p)
{
	free(p);
}

static int tftp_svc_start(const struct bw_service_env *env, void **ret)
{
	const struct bw_tftp_config *tc = bw_config_get(env->cfg, &bw_tftp_cfg_section);
	struct tftp_row *row = calloc(1, sizeof(*row) + tc->n_listen * sizeof(row->svc[0]));
	int r;

	if (!row)
		return -ENOMEM;
	for (unsigned i = 0; i < tc->n_listen; i++) {
		r = bw_tftp_service_new(env->loop, tc, tc->listen[i], env->boot_root, env->vfs,
					&row->svc[row->n]);
		if (r < 0) {
			tftp_svc_stop(row); /* they free themselves from their close callbacks */
			free(row);
			return r;
		}
		/* takes its reference to the snapshot */
		bw_tftp_service_reload(row->svc[row->n], tc, env->cfg);
		bw_tftp_service_set_peers(row->svc[row->n], env->peers);
		row->n++;
	}
	*ret = row;
	return 0;
}

static void tftp_svc_reload(void *p, const struct bw_service_env *env)
{
	struct tftp_row *row = p;

	for (unsigned i = 0; i < row->n; i++)
		bw_tftp_service_reload(row->svc[i], bw_config_get(env->cfg, &bw_tftp_cfg_section),
				       env->cfg);
}

const struct bw_service bw_tftp_service_row = {
	.name = "tftp",
	.section = &bw_tftp_cfg_section,
	.enabled = tftp_svc_enabled,
	.start = tftp_svc_start,
	.stop = tftp_svc_stop,
	.done = tftp_svc_done,
	.reload = tftp_svc_reload,
};
