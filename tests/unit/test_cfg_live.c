/* Live configuration snapshots: references, swaps while another thread reads, and the last
 * reference freeing the snapshot (valgrind and ASan see any leak or use after free). */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "core/cfg_live.h"

static struct bw_cfg_live *live;
static atomic_bool stop;
static atomic_ulong reads;

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct bw_config *c = bw_cfg_live_acquire(live);
		struct bw_config *again = bw_config_ref(c);

		/* the snapshot stays whole while held, whatever the swaps do */
		if (c->refs < 2)
			abort();
		bw_config_unref(again);
		bw_config_unref(c);
		atomic_fetch_add(&reads, 1);
	}
	return NULL;
}

static void test_refs(void)
{
	struct bw_config *a = bw_config_new_defaults(), *b = bw_config_new_defaults(), *got;

	CHECK(a && b);
	CHECK_EQ_INT(a->refs, 1);
	CHECK_EQ_INT(bw_cfg_live_new(a, &live), 0);
	got = bw_cfg_live_acquire(live);
	CHECK(got == a);
	CHECK_EQ_INT(a->refs, 2);
	bw_cfg_live_swap(live, b); /* a survives: we still hold it */
	CHECK_EQ_INT(a->refs, 1);
	got = bw_cfg_live_acquire(live);
	CHECK(got == b);
	bw_config_unref(got);
	bw_config_unref(a); /* the last reference: freed */
	bw_config_unref(NULL);
	bw_cfg_live_free(live);
	live = NULL;
}

static void test_threads(void)
{
	pthread_t t[2];

	CHECK_EQ_INT(bw_cfg_live_new(bw_config_new_defaults(), &live), 0);
	for (int i = 0; i < 2; i++)
		CHECK_EQ_INT(pthread_create(&t[i], NULL, reader, NULL), 0);
	/* swap until the readers have overlapped many swaps (bounded either way) */
	for (int i = 0; i < 2000 || (atomic_load(&reads) < 2000 && i < 5000000); i++)
		bw_cfg_live_swap(live, bw_config_new_defaults());
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK(atomic_load(&reads) > 0);
	bw_cfg_live_free(live);
}

int main(void)
{
	test_refs();
	test_threads();
	return check_summary();
}
