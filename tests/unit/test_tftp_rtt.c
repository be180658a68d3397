/* The RTT estimator (RFC 6298) on its own: samples in, RTO out. */
#include "check.h"
#include "tftp/tftp_rtt.h"

#define MS 1000u /* samples are given in microseconds */

static void test_before_any_sample(void)
{
	struct bw_tftp_rtt r;

	bw_tftp_rtt_init(&r, 1000);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 1000); /* the configured timeout */
	CHECK(!bw_tftp_rtt_has_sample(&r));
	bw_tftp_rtt_init(&r, 0);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 1000);
	CHECK_EQ_INT(r.backoff_max_ms, 8000);
	bw_tftp_rtt_init(&r, 20000);
	CHECK_EQ_INT(r.backoff_max_ms, 20000); /* a long timeout is not cut by the backoff limit */
}

/* The arithmetic of RFC 6298 section 2, checked by hand. */
static void test_rfc6298_arithmetic(void)
{
	struct bw_tftp_rtt r;

	bw_tftp_rtt_init(&r, 1000);
	bw_tftp_rtt_sample(&r, 100 * MS);
	CHECK_EQ_U64(r.srtt_us, 100000);
	CHECK_EQ_U64(r.rttvar_us, 50000);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 300); /* 100 + 4 * 50 */
	bw_tftp_rtt_sample(&r, 50 * MS);
	CHECK_EQ_U64(r.rttvar_us, 50000);          /* 3/4 * 50 + 1/4 * |100 - 50| */
	CHECK_EQ_U64(r.srtt_us, 93750);            /* 7/8 * 100 + 1/8 * 50 */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 294); /* 93.75 + 200, rounded up */
	CHECK_EQ_U64(r.samples, 2);
}

/* Steady samples: the variance decays and RTO approaches SRTT + G. */
static void test_converges(void)
{
	struct bw_tftp_rtt r;

	bw_tftp_rtt_init(&r, 1000);
	for (int i = 0; i < 200; i++)
		bw_tftp_rtt_sample(&r, 20 * MS);
	CHECK_EQ_U64(r.srtt_us, 20000);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 21); /* 4 * RTTVAR fell below G = 1 ms */
}

/* Jittery samples keep the RTO above the largest of them. */
static void test_variance(void)
{
	struct bw_tftp_rtt r;

	bw_tftp_rtt_init(&r, 1000);
	for (int i = 0; i < 100; i++)
		bw_tftp_rtt_sample(&r, (i % 2 ? 30 : 10) * MS);
	CHECK(bw_tftp_rtt_rto_ms(&r) > 30);
	CHECK(bw_tftp_rtt_rto_ms(&r) < 100);
}

static void test_floor_and_ceiling(void)
{
	struct bw_tftp_rtt r;

	bw_tftp_rtt_init(&r, 1000);
	for (int i = 0; i < 50; i++)
		bw_tftp_rtt_sample(&r, 0); /* faster than the clock: 0 ms */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), BW_TFTP_RTO_FLOOR_MS);
	bw_tftp_rtt_sample(&r, 200); /* 0.2 ms */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), BW_TFTP_RTO_FLOOR_MS);
	bw_tftp_rtt_init(&r, 1000);
	bw_tftp_rtt_sample(&r, 5000 * MS); /* slower than the configured timeout */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 1000);
	bw_tftp_rtt_sample(&r, UINT64_MAX); /* absurd: clamped, no overflow */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 1000);
	CHECK(r.srtt_us <= 8000 * MS);
	/* a configured timeout under the floor is the floor */
	bw_tftp_rtt_init(&r, 3);
	bw_tftp_rtt_sample(&r, 0);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 3);
}

/* Timeouts double the RTO up to the limit; a sample (from a packet sent once: Karn is the
 * caller's part) computes it afresh. */
static void test_backoff(void)
{
	struct bw_tftp_rtt r;
	const uint32_t want[] = {42, 84, 168, 336, 672, 1344, 2688, 5376, 8000, 8000};

	bw_tftp_rtt_init(&r, 1000);
	bw_tftp_rtt_sample(&r, 14 * MS); /* 14 + 4 * 7 = 42 */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 42);
	for (unsigned i = 1; i < sizeof(want) / sizeof(want[0]); i++) {
		bw_tftp_rtt_backoff(&r);
		CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), want[i]);
	}
	CHECK_EQ_INT(r.backoffs, 9);
	bw_tftp_rtt_sample(&r, 14 * MS);
	CHECK_EQ_INT(r.backoffs, 0);
	CHECK(bw_tftp_rtt_rto_ms(&r) < 42); /* 14 + 4 * 5.25, rounded up: 35 */
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 35);
}

/* Progress without a sample (an ACK of a resent packet) keeps the backoff, capped at the
 * ceiling: the next packet goes out with the longer timer, so its ACK can be a sample. */
static void test_progress_keeps_backoff(void)
{
	struct bw_tftp_rtt r;

	bw_tftp_rtt_init(&r, 1000);
	bw_tftp_rtt_sample(&r, 10 * MS); /* 10 + 20 = 30 */
	bw_tftp_rtt_backoff(&r);
	bw_tftp_rtt_progress(&r);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 60);
	for (int i = 0; i < 6; i++)
		bw_tftp_rtt_backoff(&r);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 3840);
	bw_tftp_rtt_progress(&r);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 1000);
	/* before any sample: back to the configured timeout */
	bw_tftp_rtt_init(&r, 500);
	bw_tftp_rtt_backoff(&r);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 1000);
	bw_tftp_rtt_progress(&r);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 500);
}

/* A spurious timeout: its delay becomes a sample and a lift under the RTO, which decays by
 * 1/BW_TFTP_RTT_LIFT_DECAY per sample; never above the ceiling. */
static void test_spurious_lift(void)
{
	struct bw_tftp_rtt r;
	uint32_t prev;

	bw_tftp_rtt_init(&r, 1000);
	for (int i = 0; i < 50; i++)
		bw_tftp_rtt_sample(&r, 500);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), BW_TFTP_RTO_FLOOR_MS);
	bw_tftp_rtt_backoff(&r);
	bw_tftp_rtt_spurious(&r, 12 * MS); /* the ACK came after 12 ms */
	CHECK_EQ_U64(r.spurious, 1);
	CHECK_EQ_U64(r.lift_us, 12000);
	CHECK_EQ_INT(r.backoffs, 0); /* no backoff kept: the timeout was not a loss */
	CHECK(bw_tftp_rtt_rto_ms(&r) >= 12);
	prev = bw_tftp_rtt_rto_ms(&r);
	for (int i = 0; i < 20; i++)
		bw_tftp_rtt_sample(&r, 500);
	CHECK(bw_tftp_rtt_rto_ms(&r) <= prev);
	CHECK(bw_tftp_rtt_rto_ms(&r) >= 10); /* 12 * (127/128)^20 */
	for (int i = 0; i < 1000; i++)
		bw_tftp_rtt_sample(&r, 500);
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), BW_TFTP_RTO_FLOOR_MS); /* decayed away */
	/* slower than a stall: the client's own timer, not believed */
	CHECK(!bw_tftp_rtt_spurious(&r, (BW_TFTP_RTT_LIFT_MAX_MS + 1) * MS));
	CHECK(!bw_tftp_rtt_spurious(&r, UINT64_MAX));
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), BW_TFTP_RTO_FLOOR_MS);
	CHECK_EQ_U64(r.spurious, 1);
	/* a lift is capped by the ceiling */
	bw_tftp_rtt_init(&r, 20);
	bw_tftp_rtt_sample(&r, 500);
	CHECK(bw_tftp_rtt_spurious(&r, 40 * MS));
	CHECK_EQ_INT(bw_tftp_rtt_rto_ms(&r), 20);
}

int main(void)
{
	test_before_any_sample();
	test_rfc6298_arithmetic();
	test_converges();
	test_variance();
	test_floor_and_ceiling();
	test_backoff();
	test_progress_keeps_backoff();
	test_spurious_lift();
	return check_summary();
}
