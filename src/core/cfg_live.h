/* The configuration a running daemon uses, swapped whole on reload. Readers on any thread
 * take a reference to the current snapshot, use it, and drop it; a reload installs a new
 * snapshot and the old one is freed when its last reader lets go. Long-lived objects (a
 * TFTP transfer, a pending lease commit) keep a reference to the snapshot they started
 * with, so a reload never changes anything under their feet. */
#ifndef BW_CFG_LIVE_H
#define BW_CFG_LIVE_H

#include "core/config.h"

struct bw_cfg_live;

/* Takes ownership of cfg (its one reference). */
int bw_cfg_live_new(struct bw_config *cfg, struct bw_cfg_live **ret);
/* Drops the holder's reference to the current snapshot; readers keep theirs. */
void bw_cfg_live_free(struct bw_cfg_live *l);
/* The current snapshot with one reference for the caller (never NULL). Any thread. */
struct bw_config *bw_cfg_live_acquire(struct bw_cfg_live *l);
/* Installs cfg (takes ownership of its reference) as the current snapshot. */
void bw_cfg_live_swap(struct bw_cfg_live *l, struct bw_config *cfg);

/* Another reference to a snapshot the caller already holds one of. */
struct bw_config *bw_config_ref(struct bw_config *cfg);
/* Drops one reference; the last one frees the snapshot. NULL is a no-op. Any thread. */
void bw_config_unref(struct bw_config *cfg);

#endif
