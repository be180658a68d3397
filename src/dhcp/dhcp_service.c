/* The DHCP row of the service table. The service keeps the snapshot it started with (its
 * sockets, mode and lease database came from it) and the current one (reservations,
 * options, profiles). */
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cfg_live.h"
#include "core/service.h"
#include "dhcp/dhcp_config.h"
#include "dhcp/dhcp_io.h"
#include "profile/profile.h"

struct dhcp_row {
	struct bw_dhcp_service *svc;
	struct bw_config *first, *cur; /* one reference each */
};

static bool dhcp_svc_enabled(const void *sec)
{
	return ((const struct bw_dhcp_config *)sec)->enabled;
}

/* The lease database is created before the privilege drop: it goes to `user` (when root
 * will drop to it; core/priv.c decides and warns about the rest), so the daemon can still
 * write it afterwards. */
static struct bw_store_opts dhcp_svc_store_opts(const struct bw_config *cfg)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);
	struct bw_store_opts o = {0};
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (geteuid() != 0 || !core || !core->user || !*core->user)
		return o;
	if (getpwnam_r(core->user, &pw, buf, sizeof(buf), &found) == 0 && found) {
		o.set_owner = true;
		o.uid = found->pw_uid;
		o.gid = found->pw_gid;
	}
	return o;
}

static int dhcp_svc_start(const struct bw_service_env *env, void **ret)
{
	struct dhcp_row *row = calloc(1, sizeof(*row));
	struct bw_store_opts so = dhcp_svc_store_opts(env->cfg);
	int r;

	if (!row)
		return -ENOMEM;
	r = bw_dhcp_service_new(env->loop, bw_config_get(env->cfg, &bw_dhcp_cfg_section),
				bw_profile_set_of(env->cfg), env->peers, &so, &row->svc);
	if (r < 0) {
		free(row);
		return r;
	}
	row->first = bw_config_ref(env->cfg);
	row->cur = bw_config_ref(env->cfg);
	bw_dhcp_service_set_http(row->svc, env->http);
	*ret = row;
	return 0;
}

static void dhcp_svc_stop(void *p)
{
	struct dhcp_row *row = p;

	/* pending lease commits still finish on the loop: the snapshots stay until done */
	bw_dhcp_service_stop(row->svc);
}

static void dhcp_svc_done(void *p)
{
	struct dhcp_row *row = p;

	bw_config_unref(row->first);
	bw_config_unref(row->cur);
	free(row);
}

static void dhcp_svc_reload(void *p, const struct bw_service_env *env)
{
	struct dhcp_row *row = p;
	struct bw_config *old = row->cur;

	row->cur = bw_config_ref(env->cfg);
	bw_dhcp_service_reload(row->svc, bw_config_get(env->cfg, &bw_dhcp_cfg_section),
			       bw_profile_set_of(env->cfg));
	bw_config_unref(old);
}

const struct bw_service bw_dhcp_service_row = {
	.name = "dhcp",
	.section = &bw_dhcp_cfg_section,
	.enabled = dhcp_svc_enabled,
	.start = dhcp_svc_start,
	.stop = dhcp_svc_stop,
	.done = dhcp_svc_done,
	.reload = dhcp_svc_reload,
};
