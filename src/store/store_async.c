/* Group commit (store_async.h). Two batches: `queued` collects puts on the loop thread while
 * `flight` is written by bw_store_lease_put() on libuv's thread pool. When the flight lands,
 * its callbacks run, then the batches swap and the next one takes off; their arrays are
 * reused, so a steady stream allocates nothing. A put that finds nothing in flight takes off
 * at once: the first lease after a quiet spell pays one fsync, the ones arriving meanwhile
 * share the next.
 * After _close the caller must forget the pointer: when nothing is in flight it is freed at
 * once; otherwise it lives until the last callback, and puts made meanwhile (from a done
 * callback, say) fail with -ESHUTDOWN. */
#include "store/store_async.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct store_req {
	bw_store_done_cb done;
	void *ctx;
};

struct store_batch {
	struct bw_lease_rec *recs; /* recs[i] belongs to reqs[i]; both hold cap entries */
	struct store_req *reqs;
	size_t n, cap;
};

struct bw_store_async {
	uv_loop_t *loop;
	struct bw_store *store;
	uv_work_t work;
	bool busy;    /* flight is on the thread pool, or its callbacks are running */
	bool closing; /* no more puts; free after the last flight */
	int status;   /* of flight, written by the worker */
	struct store_batch queued, flight;
};

static void store_async_submit(struct bw_store_async *a);

static void store_batch_done(struct store_batch *b)
{
	free(b->recs);
	free(b->reqs);
}

static int store_batch_grow(struct store_batch *b)
{
	size_t cap = b->cap ? b->cap : 64, nrec, nreq;
	struct bw_lease_rec *recs;
	struct store_req *reqs;

	if (b->cap && !bw_mul_size(b->cap, 2, &cap))
		return -ENOMEM;
	if (!bw_mul_size(cap, sizeof(*recs), &nrec) || !bw_mul_size(cap, sizeof(*reqs), &nreq))
		return -ENOMEM;
	recs = realloc(b->recs, nrec);
	if (!recs)
		return -ENOMEM;
	b->recs = recs;
	reqs = realloc(b->reqs, nreq);
	if (!reqs)
		return -ENOMEM; /* recs is bigger than needed: harmless, cap stays */
	b->reqs = reqs;
	b->cap = cap;
	return 0;
}

static void store_async_free(struct bw_store_async *a)
{
	store_batch_done(&a->queued);
	store_batch_done(&a->flight);
	free(a);
}

/* Thread pool: the only code that runs off the loop. It touches flight and status alone. */
static void store_async_work_cb(uv_work_t *w)
{
	struct bw_store_async *a = w->data;

	a->status = bw_store_lease_put(a->store, a->flight.recs, a->flight.n);
}

static void store_async_after_cb(uv_work_t *w, int status)
{
	struct bw_store_async *a = w->data;
	int st = status < 0 ? status : a->status;

	/* a callback may put (into queued) or close; neither touches flight */
	for (size_t i = 0; i < a->flight.n; i++)
		a->flight.reqs[i].done(a->flight.reqs[i].ctx, st);
	a->flight.n = 0;
	a->busy = false;
	if (a->queued.n)
		store_async_submit(a);
	else if (a->closing)
		store_async_free(a);
}

/* Sends queued on its way; flight is empty and not busy. */
static void store_async_submit(struct bw_store_async *a)
{
	struct store_batch b = a->flight;

	a->flight = a->queued;
	a->queued = b;
	a->busy = true;
	/* cannot fail: both callbacks are given */
	uv_queue_work(a->loop, &a->work, store_async_work_cb, store_async_after_cb);
}

int bw_store_async_new(uv_loop_t *loop, struct bw_store *store, struct bw_store_async **ret)
{
	struct bw_store_async *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->store = store;
	a->work.data = a;
	*ret = a;
	return 0;
}

/* The checks bw_store_lease_put() makes, made here so one bad record (a caller's bug)
 * fails alone instead of failing the batch of everyone else. */
static bool store_async_rec_is_valid(const struct bw_lease_rec *rec)
{
	return rec->state >= BW_LEASE_BOUND && rec->state <= BW_LEASE_DECLINED &&
	       rec->client_id_len <= BW_LEASE_CLIENT_ID_MAX &&
	       memchr(rec->hostname, '\0', sizeof(rec->hostname));
}

int bw_store_async_put(struct bw_store_async *a, const struct bw_lease_rec *rec,
		       bw_store_done_cb done, void *ctx)
{
	struct store_batch *q = &a->queued;

	if (a->closing)
		return -ESHUTDOWN;
	if (!store_async_rec_is_valid(rec))
		return -EINVAL;
	if (q->n == q->cap && store_batch_grow(q) < 0)
		return -ENOMEM;
	q->recs[q->n] = *rec;
	q->reqs[q->n] = (struct store_req){.done = done, .ctx = ctx};
	q->n++;
	if (!a->busy)
		store_async_submit(a);
	return 0;
}

size_t bw_store_async_pending(const struct bw_store_async *a)
{
	return a->queued.n + a->flight.n;
}

void bw_store_async_close(struct bw_store_async *a)
{
	if (!a || a->closing)
		return;
	a->closing = true;
	if (!a->busy)
		store_async_free(a); /* idle: nothing is queued either (a put takes off at once) */
}
