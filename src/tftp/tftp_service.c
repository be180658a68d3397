/* The TFTP row of the service table. */
#include <stdlib.h>

#include "core/cfg_live.h"
#include "core/service.h"
#include "tftp/tftp_config.h"
#include "tftp/tftp_io.h"

static bool tftp_svc_enabled(const void *sec)
{
	return ((const struct bw_tftp_config *)sec)->enabled;
}

static int tftp_svc_start(const struct bw_service_env *env, void **ret)
{
	const struct bw_tftp_config *tc = bw_config_get(env->cfg, &bw_tftp_cfg_section);
	struct bw_tftp_service *svc;
	int r;

	r = bw_tftp_service_new(env->loop, tc, env->boot_root, env->vfs, &svc);
	if (r < 0)
		return r;
	bw_tftp_service_reload(svc, tc, env->cfg); /* takes its reference to the snapshot */
	bw_tftp_service_set_peers(svc, env->peers);
	*ret = svc;
	return 0;
}

static void tftp_svc_stop(void *svc)
{
	bw_tftp_service_stop(svc);
}

static void tftp_svc_reload(void *svc, const struct bw_service_env *env)
{
	bw_tftp_service_reload(svc, bw_config_get(env->cfg, &bw_tftp_cfg_section), env->cfg);
}

const struct bw_service bw_tftp_service_row = {
	.name = "tftp",
	.section = &bw_tftp_cfg_section,
	.enabled = tftp_svc_enabled,
	.start = tftp_svc_start,
	.stop = tftp_svc_stop,
	.reload = tftp_svc_reload,
};
