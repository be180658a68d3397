/* Group commit on the event loop: lease writes queue up while the previous batch is being
 * made durable on libuv's thread pool; each finished batch calls back, on the loop, every
 * request it carried. At most one batch is in flight, so a burst of N leases costs one
 * fsync, not N. */
#ifndef BW_STORE_ASYNC_H
#define BW_STORE_ASYNC_H

#include <uv.h>

#include "store/store.h"

struct bw_store_async;

/* status: 0 when rec is durable, a negative errno when its batch failed. */
typedef void (*bw_store_done_cb)(void *ctx, int status);

/* store must outlive the returned object. */
int bw_store_async_new(uv_loop_t *loop, struct bw_store *store, struct bw_store_async **ret);
/* Copies rec into the next batch; done(ctx, status) runs on the loop thread once that batch
 * is committed. -ENOMEM, or -ESHUTDOWN after _close. done is never called synchronously
 * from inside _put. */
int bw_store_async_put(struct bw_store_async *a, const struct bw_lease_rec *rec,
		       bw_store_done_cb done, void *ctx);
/* Rows queued or in flight. */
size_t bw_store_async_pending(const struct bw_store_async *a);
/* Commits what is queued, then frees itself (after its last callback); later _put calls
 * fail. Callbacks still run for everything accepted before. */
void bw_store_async_close(struct bw_store_async *a);

#endif
