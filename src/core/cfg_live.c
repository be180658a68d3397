#include "core/cfg_live.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct bw_cfg_live {
	pthread_mutex_t mu; /* guards cur between its load and the reference taken on it */
	struct bw_config *cur;
};

struct bw_config *bw_config_ref(struct bw_config *cfg)
{
	atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
	return cfg;
}

void bw_config_unref(struct bw_config *cfg)
{
	if (cfg && atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) == 1)
		bw_config_free(cfg);
}

int bw_cfg_live_new(struct bw_config *cfg, struct bw_cfg_live **ret)
{
	struct bw_cfg_live *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->mu, NULL);
	l->cur = cfg;
	*ret = l;
	return 0;
}

void bw_cfg_live_free(struct bw_cfg_live *l)
{
	if (!l)
		return;
	bw_config_unref(l->cur);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

struct bw_config *bw_cfg_live_acquire(struct bw_cfg_live *l)
{
	struct bw_config *cfg;

	pthread_mutex_lock(&l->mu);
	cfg = bw_config_ref(l->cur);
	pthread_mutex_unlock(&l->mu);
	return cfg;
}

void bw_cfg_live_swap(struct bw_cfg_live *l, struct bw_config *cfg)
{
	struct bw_config *old;

	pthread_mutex_lock(&l->mu);
	old = l->cur;
	l->cur = cfg;
	pthread_mutex_unlock(&l->mu);
	bw_config_unref(old);
}
