/* The profile provider of a running daemon: each request renders from the profile set of
 * the live configuration snapshot, so a reload applies to the next request. Called from
 * the loop (TFTP) and from the HTTP thread: the snapshot is taken and dropped per request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cfg_live.h"
#include "core/http_base.h"
#include "core/peers.h"
#include "profile/profile_config.h"

struct profile_live {
	struct bw_cfg_live *live;
	struct bw_peers *peers;
	char http_base[256]; /* "http://${server}:8080/", or "" without HTTP */
};

/* A script asked for with ?mac= tells which machine is at the peer's address. */
static void profile_live_learn(const struct profile_live *pl, const struct bw_vfs_req *req)
{
	struct bw_profile_request rq;
	struct timespec ts;

	if (!pl->peers || !req->query || !req->peer ||
	    bw_profile_query_parse(req->query, strlen(req->query), &rq) < 0 || !rq.q.mac)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	bw_peers_learn(pl->peers, req->peer, rq.mac,
		       (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int profile_live_open(void *arg, const struct bw_vfs_req *req, struct bw_blob **ret)
{
	const struct profile_live *pl = arg;
	const struct bw_profile_set *ps;
	struct bw_config *cfg;
	char name[64];
	bool named;
	int r;

	profile_live_learn(pl, req);
	named = req->peer && bw_peers_hostname(pl->peers, req->peer, name, sizeof(name));
	cfg = bw_cfg_live_acquire(pl->live);
	ps = bw_profile_set_of(cfg);
	r = ps ? bw_profile_vfs_serve(ps, pl->http_base[0] ? pl->http_base : NULL,
				      named ? name : NULL, req, ret)
	       : -ENOENT;
	bw_config_unref(cfg);
	return r;
}

int bw_profile_vfs_register_live(struct bw_vfs *vfs, struct bw_cfg_live *live,
				 const struct bw_http_base *http, struct bw_peers *peers)
{
	struct profile_live *pl = calloc(1, sizeof(*pl));
	int r;

	/* Lives until bw_profile_vfs_unregister_live(), once no service asks the vfs. */
	if (!pl)
		return -ENOMEM;
	pl->live = live;
	pl->peers = peers;
	if (http && bw_http_base_format(http, "${server}", pl->http_base,
					sizeof(pl->http_base)) < 0)
		pl->http_base[0] = '\0';
	r = bw_vfs_register(vfs, "profile", profile_live_open, pl);
	if (r < 0)
		free(pl);
	return r;
}

void bw_profile_vfs_unregister_live(struct bw_vfs *vfs)
{
	for (unsigned i = 0; i < vfs->n; i++) {
		if (vfs->providers[i].fn != profile_live_open)
			continue;
		free(vfs->providers[i].ctx);
		memmove(&vfs->providers[i], &vfs->providers[i + 1],
			(vfs->n - i - 1) * sizeof(vfs->providers[0]));
		vfs->n--;
		return;
	}
}

