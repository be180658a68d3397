/* The transfer state machine, driven directly: no sockets, no clock. */
#include "check.h"
#include "tftp/tftp_xfer.h"

static struct bw_tftp_xfer_params rd(uint64_t size, uint16_t blksize, uint16_t ws, bool oack)
{
	return (struct bw_tftp_xfer_params){.blksize = blksize, .windowsize = ws, .oack = oack,
					    .rto_ms = 1000, .retries_max = 3, .size = size};
}

static void test_lockstep(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(1025, 512, 1, false);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK(a.send_blocks && !a.send_oack);
	CHECK_EQ_U64(a.first, 1);
	CHECK_EQ_U64(a.last, 1);
	CHECK(a.arm_timer);
	CHECK_EQ_INT(a.timer_ms, 1000);
	CHECK_EQ_U64(x.nblocks, 3);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 3), 1);
	bw_tftp_xfer_on_ack(&x, 1, 0, &a);
	CHECK(a.send_blocks && a.first == 2 && a.last == 2);
	bw_tftp_xfer_on_ack(&x, 2, 0, &a);
	CHECK(a.send_blocks && a.first == 3 && a.last == 3);
	bw_tftp_xfer_on_ack(&x, 3, 0, &a);
	CHECK(a.finished && !a.send_blocks);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DONE);
}

static void test_exact_multiple_and_empty(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(1024, 512, 1, false);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK_EQ_U64(x.nblocks, 3);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 2), 512);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 3), 0); /* the empty block that ends it */
	p = rd(0, 512, 8, false);
	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK(a.send_blocks && a.first == 1 && a.last == 1);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 1), 0);
	bw_tftp_xfer_on_ack(&x, 1, 0, &a);
	CHECK(a.finished);
}

static void test_oack(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(5000, 1468, 4, true);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK(a.send_oack && !a.send_blocks && a.arm_timer);
	bw_tftp_xfer_on_ack(&x, 1, 0, &a); /* not the OACK's ACK */
	CHECK(!a.send_blocks && !a.send_oack && !a.arm_timer);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.send_oack);
	CHECK_EQ_INT(a.timer_ms, 2000);
	CHECK_EQ_U64(x.retransmits, 1);
	bw_tftp_xfer_on_ack(&x, 0, 0, &a);
	CHECK(a.send_blocks && a.first == 1 && a.last == 4);
	CHECK_EQ_INT(a.timer_ms, 1000); /* progress resets the backoff */
	bw_tftp_xfer_on_ack(&x, 4, 0, &a);
	CHECK(a.finished); /* 5000 / 1468 + 1 = 4 blocks */
}

static void test_window_loss_and_duplicates(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(10 * 512, 512, 4, false);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK(a.first == 1 && a.last == 4);
	bw_tftp_xfer_on_ack(&x, 4, 0, &a);
	CHECK(a.first == 5 && a.last == 8);
	/* block 7 lost: the client ACKs 6, the window restarts after it */
	bw_tftp_xfer_on_ack(&x, 6, 0, &a);
	CHECK(a.send_blocks && a.first == 7 && a.last == 10);
	/* more ACKs of 6 are duplicates: no burst (Sorcerer's Apprentice) */
	for (int i = 0; i < 5; i++) {
		bw_tftp_xfer_on_ack(&x, 6, 0, &a);
		CHECK(!a.send_blocks && !a.arm_timer);
	}
	/* an ACK beyond what was sent is ignored */
	bw_tftp_xfer_on_ack(&x, 30, 0, &a);
	CHECK(!a.send_blocks && !a.finished);
	bw_tftp_xfer_on_ack(&x, 10, 0, &a);
	CHECK(a.first == 11 && a.last == 11);
	bw_tftp_xfer_on_ack(&x, 11, 0, &a);
	CHECK(a.finished);
	CHECK_EQ_U64(x.retransmits, 0);
}

static void test_timeouts(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(100000, 512, 8, false);

	p.rto_ms = 3000;
	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.send_blocks && a.first == 1 && a.last == 8);
	CHECK_EQ_INT(a.timer_ms, 6000);
	CHECK_EQ_U64(x.retransmits, 8);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK_EQ_INT(a.timer_ms, 8000); /* capped */
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.send_blocks);
	bw_tftp_xfer_on_timeout(&x, 0, &a); /* the 4th expiry with retries_max 3 */
	CHECK(a.finished && !a.send_blocks);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_FAILED);
	CHECK_EQ_STR(a.why, "timed out");
	CHECK(!x.progressed);
}

/* Walks a transfer past block 65535 acknowledging with 16-bit wire numbers only. */
static void test_rollover(uint16_t ws)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	uint64_t size = 70000ull * 512 + 100, windows = 0;
	struct bw_tftp_xfer_params p = rd(size, 512, ws, true);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_ack(&x, 0, 0, &a);
	while (!a.finished && windows < 100000) {
		if (!CHECK(a.send_blocks))
			return;
		bw_tftp_xfer_on_ack(&x, (uint16_t)a.last, 0, &a);
		windows++;
	}
	CHECK(a.finished);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DONE);
	CHECK_EQ_U64(x.base, 70002);
	CHECK_EQ_U64(bw_tftp_block_offset(&x, 70001), 70000ull * 512);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 70001), 100);
}

static void test_unwrap(void)
{
	CHECK_EQ_U64(bw_tftp_block_unwrap(65535, 0), 65536);
	CHECK_EQ_U64(bw_tftp_block_unwrap(65536, 65535), 65535);
	CHECK_EQ_U64(bw_tftp_block_unwrap(131071, 2), 131074);
	CHECK_EQ_U64(bw_tftp_block_unwrap(10, 12), 12);
	CHECK_EQ_U64(bw_tftp_block_unwrap(10, 8), 8);
	CHECK_EQ_U64(bw_tftp_block_unwrap(3, 65535), 65535); /* "before 0" is not ours */
}

static void test_write(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = {.is_write = true, .blksize = 512, .windowsize = 1,
					.rto_ms = 500, .retries_max = 2};

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK(a.send_ack && a.ack == 0 && a.arm_timer);
	bw_tftp_xfer_on_data(&x, 1, 512, 0, &a);
	CHECK(a.accept_data && a.send_ack && a.ack == 1);
	bw_tftp_xfer_on_data(&x, 1, 512, 0, &a); /* duplicate: not stored again */
	CHECK(!a.accept_data);
	bw_tftp_xfer_on_data(&x, 2, 10, 0, &a);
	CHECK(a.accept_data && a.send_ack && a.ack == 2);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DALLY);
	bw_tftp_xfer_on_data(&x, 2, 10, 0, &a); /* our last ACK was lost */
	CHECK(a.send_ack && a.ack == 2 && !a.accept_data);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.finished);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DONE);
}

static void test_write_window(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = {.is_write = true, .oack = true, .blksize = 512,
					.windowsize = 4, .rto_ms = 500, .retries_max = 2};

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK(a.send_oack);
	for (uint16_t b = 1; b <= 3; b++) {
		bw_tftp_xfer_on_data(&x, b, 512, 0, &a);
		CHECK(a.accept_data && !a.send_ack);
	}
	bw_tftp_xfer_on_data(&x, 4, 512, 0, &a);
	CHECK(a.accept_data && a.send_ack && a.ack == 4);
	bw_tftp_xfer_on_data(&x, 6, 512, 0, &a); /* 5 lost */
	CHECK(!a.accept_data && a.send_ack && a.ack == 4);
	bw_tftp_xfer_on_data(&x, 7, 512, 0, &a); /* same gap: no second ACK */
	CHECK(!a.accept_data && !a.send_ack);
	bw_tftp_xfer_on_data(&x, 5, 512, 0, &a);
	CHECK(a.accept_data);
	bw_tftp_xfer_on_data(&x, 6, 513, 0, &a); /* larger than blksize */
	CHECK(a.finished && x.state == BW_TFTP_XFER_FAILED);
}

static void test_write_timeouts(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = {.is_write = true, .blksize = 512, .windowsize = 1,
					.rto_ms = 500, .retries_max = 2};

	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.send_ack && a.ack == 0);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.send_ack);
	bw_tftp_xfer_on_timeout(&x, 0, &a);
	CHECK(a.finished && x.state == BW_TFTP_XFER_FAILED);
	/* acks and data of the wrong direction do nothing */
	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_ack(&x, 0, 0, &a);
	CHECK(!a.send_ack && !a.finished);
}

/* ---- the RTT estimate, Karn's rule, the retry limit ---- */

/* ACKs of blocks sent once are samples: the timer follows the round trip. */
static void test_rtt_from_acks(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(100 * 512, 512, 1, true);
	uint64_t t = 5000;

	bw_tftp_xfer_start(&x, &p, t, &a);
	CHECK_EQ_INT(a.timer_ms, 1000);          /* no sample yet: the configured timeout */
	bw_tftp_xfer_on_ack(&x, 0, t += 20, &a); /* the OACK's round trip: 20 ms */
	CHECK(a.send_blocks && a.first == 1);
	CHECK_EQ_INT(a.timer_ms, 60); /* 20 + 4 * 10 */
	for (uint16_t b = 1; b <= 50; b++)
		bw_tftp_xfer_on_ack(&x, b, t += 20, &a);
	CHECK_EQ_U64(x.rtt.samples, 51);
	CHECK_EQ_INT(a.timer_ms, 21); /* steady: SRTT + G */
	CHECK_EQ_U64(x.retransmits, 0);
	CHECK_EQ_U64(x.rexmit_blocks, 0);
}

/* A resent block's ACK is no sample, and the backed-off timer stays for the next block,
 * whose ACK is one again. */
static void test_karn(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(100 * 512, 512, 1, false);
	uint64_t t = 0;

	bw_tftp_xfer_start(&x, &p, t, &a);
	for (uint16_t b = 1; b <= 10; b++)
		bw_tftp_xfer_on_ack(&x, b, t += 10, &a);
	CHECK_EQ_INT(a.timer_ms, 12); /* 10 + 4 * 5 * (3/4)^9, rounded up */
	CHECK_EQ_INT(a.first, 11);
	bw_tftp_xfer_on_timeout(&x, t += 12, &a); /* block 11 or its ACK lost */
	CHECK(a.send_blocks && a.first == 11 && a.last == 11);
	CHECK_EQ_INT(a.timer_ms, 24);
	CHECK_EQ_U64(x.retransmits, 1);
	CHECK_EQ_U64(x.rexmit_blocks, 1);
	CHECK_EQ_U64(x.rexmit_bytes, 512);
	/* the ACK of the first copy arrives late: ambiguous, no sample */
	bw_tftp_xfer_on_ack(&x, 11, t += 15, &a);
	CHECK_EQ_U64(x.rtt.samples, 10);
	CHECK(a.send_blocks && a.first == 12);
	CHECK_EQ_INT(a.timer_ms, 24); /* still backed off */
	bw_tftp_xfer_on_ack(&x, 12, t += 15, &a);
	CHECK_EQ_U64(x.rtt.samples, 11);
	CHECK(a.timer_ms < 24 && a.timer_ms > 12); /* 15 ms now counts */
	/* the late duplicate ACK of 11 and a repeat of 12: nothing */
	bw_tftp_xfer_on_ack(&x, 11, t, &a);
	CHECK(!a.send_blocks && !a.arm_timer);
	bw_tftp_xfer_on_ack(&x, 12, t, &a);
	CHECK(!a.send_blocks && !a.arm_timer);
}

/* Quick retransmissions below the configured timeout do not use up `retries`: a silent
 * client is given up after at least as long as with a fixed timer. */
static void test_retry_limit(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(100 * 512, 512, 1, false);
	uint64_t t = 0, silent = 0;
	unsigned resends = 0;

	p.retries_max = 2;
	bw_tftp_xfer_start(&x, &p, t, &a);
	bw_tftp_xfer_on_ack(&x, 1, t, &a); /* within the same millisecond */
	CHECK_EQ_INT(a.timer_ms, 5);       /* the floor */
	for (int i = 0; i < 40 && !a.finished; i++) {
		silent += a.timer_ms;
		bw_tftp_xfer_on_timeout(&x, t += a.timer_ms, &a);
		resends += a.send_blocks;
	}
	CHECK(a.finished);
	CHECK_EQ_STR(a.why, "timed out");
	/* 5, 10, ... 640 ms (8 quick tries), then 1280 and 2560 (the 2 retries), then 5120 */
	CHECK_EQ_INT(resends, 10);
	CHECK_EQ_U64(silent, 1275 + 1280 + 2560 + 5120);
	CHECK(silent >= 1000 + 2000 + 4000); /* a fixed 1 s timer gave up after 7 s */
	CHECK_EQ_U64(x.timeouts, 10);
	CHECK_EQ_U64(bw_tftp_xfer_acked_bytes(&x), 512);
	/* progress resets the count */
	bw_tftp_xfer_start(&x, &p, t = 0, &a);
	bw_tftp_xfer_on_timeout(&x, t += 1000, &a);
	bw_tftp_xfer_on_timeout(&x, t += 2000, &a);
	CHECK_EQ_INT(x.retries, 2);
	bw_tftp_xfer_on_ack(&x, 1, t += 100, &a);
	CHECK_EQ_INT(x.retries, 0);
	CHECK(!a.finished);
}

static void test_acked_bytes(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(10 * 512 + 7, 512, 4, true);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	CHECK_EQ_U64(bw_tftp_xfer_acked_bytes(&x), 0);
	bw_tftp_xfer_on_ack(&x, 0, 1, &a);
	bw_tftp_xfer_on_ack(&x, 3, 2, &a);
	CHECK_EQ_U64(bw_tftp_xfer_acked_bytes(&x), 3 * 512);
	bw_tftp_xfer_fail(&x, "the client ended it", &a);
	CHECK_EQ_U64(bw_tftp_xfer_acked_bytes(&x), 3 * 512);
	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_ack(&x, 0, 1, &a);
	bw_tftp_xfer_on_ack(&x, 4, 2, &a);
	bw_tftp_xfer_on_ack(&x, 8, 3, &a);
	bw_tftp_xfer_on_ack(&x, 11, 4, &a); /* 11 blocks, the last one 7 bytes */
	CHECK(a.finished);
	CHECK_EQ_U64(bw_tftp_xfer_acked_bytes(&x), 10 * 512 + 7);
}

/* ---- duplicate ACKs: fast retransmission in a window, never in lock-step ---- */

static void test_lockstep_dup_acks(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(10 * 512, 512, 1, true);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_ack(&x, 0, 10, &a);
	bw_tftp_xfer_on_ack(&x, 1, 20, &a);
	CHECK(a.first == 2);
	/* the client's own timer re-ACKs 1: only our timer resends (Sorcerer's Apprentice) */
	for (int i = 0; i < 3; i++) {
		bw_tftp_xfer_on_ack(&x, 1, 30 + i, &a);
		CHECK(!a.send_blocks && !a.arm_timer);
	}
	CHECK_EQ_U64(x.fast_rexmits, 0);
}

static void test_fast_retransmit(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(20 * 512, 512, 4, true);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_ack(&x, 0, 10, &a);
	bw_tftp_xfer_on_ack(&x, 4, 20, &a);
	CHECK(a.first == 5 && a.last == 8);
	/* block 5 lost: block 6 makes the client ACK 4 again, the window goes again at once */
	bw_tftp_xfer_on_ack(&x, 4, 25, &a);
	CHECK(a.send_blocks && a.first == 5 && a.last == 8 && a.arm_timer);
	CHECK_EQ_U64(x.fast_rexmits, 1);
	CHECK_EQ_U64(x.retransmits, 4);
	CHECK_EQ_U64(x.rexmit_bytes, 4 * 512);
	/* blocks 7 and 8 ACK 4 again (a client without "once per gap"): once only */
	bw_tftp_xfer_on_ack(&x, 4, 26, &a);
	CHECK(!a.send_blocks && !a.arm_timer);
	bw_tftp_xfer_on_ack(&x, 8, 35, &a);
	CHECK(a.first == 9 && a.last == 12);
	CHECK_EQ_U64(x.rtt.samples, 2); /* not from the resent window */
	/* the copies of 5..8 make the client ACK 8 again: an echo of our resend, not a loss */
	bw_tftp_xfer_on_ack(&x, 8, 36, &a);
	CHECK(!a.send_blocks);
	bw_tftp_xfer_on_ack(&x, 12, 45, &a);
	CHECK(a.first == 13 && a.last == 16);
	bw_tftp_xfer_on_ack(&x, 12, 50, &a); /* a loss in a new window: fast again */
	CHECK(a.send_blocks && a.first == 13);
	CHECK_EQ_U64(x.fast_rexmits, 2);
}

/* A duplicate ACK is no evidence of a new loss after the timer resent the window (or the
 * OACK), after a window restarted on a partial ACK, or when block base - 1 went twice. */
static void test_fast_retransmit_guards(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(20 * 512, 512, 4, true);

	bw_tftp_xfer_start(&x, &p, 0, &a);
	bw_tftp_xfer_on_timeout(&x, 1000, &a);
	CHECK(a.send_oack);
	bw_tftp_xfer_on_ack(&x, 0, 1010, &a);
	CHECK(a.first == 1 && a.last == 4);
	CHECK_EQ_U64(x.rtt.samples, 0);       /* the OACK went twice */
	bw_tftp_xfer_on_ack(&x, 0, 1011, &a); /* the ACK of the second OACK */
	CHECK(!a.send_blocks);
	bw_tftp_xfer_on_ack(&x, 4, 1020, &a);
	CHECK_EQ_U64(x.rtt.samples, 1);
	bw_tftp_xfer_on_timeout(&x, 2000, &a);
	CHECK(a.first == 5 && a.last == 8);
	bw_tftp_xfer_on_ack(&x, 4, 2001, &a); /* the timer answered already */
	CHECK(!a.send_blocks && !a.arm_timer);
	bw_tftp_xfer_on_ack(&x, 8, 2010, &a);
	CHECK(a.first == 9 && a.last == 12);
	bw_tftp_xfer_on_ack(&x, 8, 2011, &a); /* 5..8 went twice: an echo */
	CHECK(!a.send_blocks);
	bw_tftp_xfer_on_ack(&x, 10, 2020, &a); /* partial: 11 lost, restart at 11 */
	CHECK(a.first == 11 && a.last == 14);
	bw_tftp_xfer_on_ack(&x, 10, 2021, &a); /* 11 and 12 went twice: answered */
	CHECK(!a.send_blocks);
	CHECK_EQ_U64(x.fast_rexmits, 0);
	/* the end of the file: a short window, lost whole; the client's timer re-ACKs */
	bw_tftp_xfer_on_ack(&x, 14, 2030, &a);
	bw_tftp_xfer_on_ack(&x, 18, 2040, &a);
	CHECK(a.first == 19 && a.last == 21);
	bw_tftp_xfer_on_ack(&x, 18, 2300, &a);
	CHECK(a.send_blocks && a.first == 19 && a.last == 21);
	CHECK_EQ_U64(x.fast_rexmits, 1);
	bw_tftp_xfer_on_ack(&x, 20, 2310, &a); /* partial again: only 21 goes */
	CHECK(a.first == 21 && a.last == 21);
	bw_tftp_xfer_on_ack(&x, 20, 2320, &a); /* 21 went twice: answered already */
	CHECK(!a.send_blocks);
	bw_tftp_xfer_on_ack(&x, 21, 2330, &a);
	CHECK(a.finished && x.state == BW_TFTP_XFER_DONE);
}

/* Lock-step: the timer resent a block the client had; its two ACKs show it, and the delay of
 * the first one lifts the RTO. */
static void test_spurious_timeout(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(100 * 512, 512, 1, false);
	uint64_t t = 0;

	bw_tftp_xfer_start(&x, &p, t, &a);
	for (uint16_t b = 1; b <= 10; b++)
		bw_tftp_xfer_on_ack(&x, b, t, &a);
	CHECK_EQ_INT(a.timer_ms, 5);
	bw_tftp_xfer_on_timeout(&x, t += 5, &a); /* block 11: the client is slow this once */
	CHECK(a.send_blocks && a.first == 11);
	bw_tftp_xfer_on_ack(&x, 11, t += 4, &a); /* 9 ms after the first copy */
	CHECK(a.send_blocks && a.first == 12);
	CHECK_EQ_U64(x.spurious, 0);
	bw_tftp_xfer_on_ack(&x, 11, t += 1, &a); /* and the second copy's ACK */
	CHECK(!a.send_blocks && !a.arm_timer);
	CHECK_EQ_U64(x.spurious, 1);
	CHECK_EQ_U64(x.rtt.lift_us, 9000);
	bw_tftp_xfer_on_ack(&x, 11, t, &a); /* once only */
	CHECK_EQ_U64(x.spurious, 1);
	bw_tftp_xfer_on_ack(&x, 12, t += 1, &a);
	CHECK(a.timer_ms >= 9); /* the next block gets the longer timer */
	/* a lost ACK instead: one ACK for the two copies, nothing spurious */
	bw_tftp_xfer_on_timeout(&x, t += a.timer_ms, &a);
	bw_tftp_xfer_on_ack(&x, 13, t += 1, &a);
	bw_tftp_xfer_on_ack(&x, 14, t += 1, &a);
	CHECK_EQ_U64(x.spurious, 1);
	/* windows leave duplicate ACKs to fast retransmission */
	p = rd(100 * 512, 512, 4, false);
	bw_tftp_xfer_start(&x, &p, t = 0, &a);
	bw_tftp_xfer_on_ack(&x, 4, t, &a);
	bw_tftp_xfer_on_timeout(&x, t += 5, &a);
	bw_tftp_xfer_on_ack(&x, 8, t += 4, &a);
	bw_tftp_xfer_on_ack(&x, 8, t += 1, &a);
	CHECK_EQ_U64(x.spurious, 0);
}

/* ---- whole transfers over a simulated network ----
 *
 * A deterministic event simulation: packets cross with a one-way delay plus random jitter
 * (reordering when the jitter exceeds the gap between packets), and are dropped or
 * duplicated at random, or held back (reordered behind the next few). Two clients: a
 * lock-step one like iPXE and pxelinux (ACKs each DATA; a duplicate or out-of-order block gets
 * the last in-order ACK again; its own timer re-ACKs) and an RFC 7440 one like
 * tests/tools/tftp_get (ACK at the end of each window, the last in-order block once per gap,
 * repeats ignored, the same timer; after the end it re-ACKs repeats of the last block).
 * A client can also have a heavy tail: some of its ACKs come 5-45 ms late (pxelinux under
 * TCG looks like that). Times in microseconds. */

#define SIM_MAX_PKTS 4096
#define SIM_DONE_LINGER_US 3000000ull

struct sim_pkt {
	uint64_t at, seq;
	bool to_client;
	bool oack;
	uint16_t block;
};

struct sim {
	uint64_t rng, now, seq, wire_free;
	double drop, dup, reorder, tail;
	uint64_t delay_us, jitter_us;
	unsigned n;
	struct sim_pkt q[SIM_MAX_PKTS];
	/* the server */
	struct bw_tftp_xfer x;
	uint64_t srv_timer; /* 0: not armed */
	uint64_t data_sent;
	/* the client */
	uint16_t cli_ws;
	uint64_t expected; /* next block in order; 0 until the OACK */
	uint64_t gap_acked;
	unsigned in_window;
	uint64_t cli_timer, cli_rto_us;
	bool cli_done;
	/* the network */
	uint64_t ack_fifo; /* with a tail: when the last ACK arrives (they keep their order) */
	uint64_t lost_data, lost_acks, lost_other, dups, held;
};

static int sim_trace = 0;

static uint64_t sim_rand(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool sim_chance(struct sim *s, double p)
{
	return (double)(sim_rand(s) >> 11) / 9007199254740992.0 < p;
}

/* Packets leave one after the other (12 us each, a 1432-byte block at 1 Gbit/s), then take
 * the delay plus their own jitter. */
static void sim_put(struct sim *s, bool to_client, bool oack, uint16_t block)
{
	uint64_t t = s->now > s->wire_free ? s->now : s->wire_free;
	uint64_t late = s->jitter_us ? sim_rand(s) % s->jitter_us : 0;

	if (!CHECK(s->n < SIM_MAX_PKTS))
		return;
	s->wire_free = t + 12;
	if (sim_chance(s, s->reorder)) {
		s->held++;
		late += 40; /* behind the next three */
	}
	if (!to_client && s->tail > 0) {
		/* a client that stalls answers late, but in order */
		if (sim_chance(s, s->tail))
			late += 5000 + sim_rand(s) % 40000;
		if (t + s->delay_us + late <= s->ack_fifo)
			late = s->ack_fifo + 1 - t - s->delay_us;
		s->ack_fifo = t + s->delay_us + late;
	}
	s->q[s->n++] = (struct sim_pkt){.at = t + s->delay_us + late,
	                                .seq = s->seq++,
	                                .to_client = to_client,
	                                .oack = oack,
	                                .block = block};
}

static void sim_send(struct sim *s, bool to_client, bool oack, uint16_t block)
{
	if (sim_chance(s, s->drop)) {
		if (!to_client)
			s->lost_acks++;
		else if (oack)
			s->lost_other++;
		else
			s->lost_data++;
		return;
	}
	sim_put(s, to_client, oack, block);
	if (sim_chance(s, s->dup)) {
		s->dups++;
		sim_put(s, to_client, oack, block);
	}
}

static void sim_server_act(struct sim *s, const struct bw_tftp_act *a)
{
	if (a->send_oack)
		sim_send(s, true, true, 0);
	if (a->send_blocks)
		for (uint64_t b = a->first; b <= a->last; b++, s->data_sent++)
			sim_send(s, true, false, (uint16_t)b);
	if (a->arm_timer)
		s->srv_timer = s->now + (uint64_t)a->timer_ms * 1000;
	if (a->finished)
		s->srv_timer = 0;
}

static void sim_client_ack(struct sim *s, uint64_t block)
{
	sim_send(s, false, false, (uint16_t)block);
	s->cli_timer = s->now + s->cli_rto_us;
}

static void sim_client_data(struct sim *s, uint64_t b)
{
	bool last = b == s->x.nblocks;

	if (s->cli_done) {
		if (last)
			sim_client_ack(s, b); /* dally: our last ACK was lost */
		return;
	}
	if (s->expected == 0 || b != s->expected) {
		if (s->expected == 0)
			return; /* DATA before the OACK: the OACK was lost, wait for it */
		if (s->cli_ws == 1 || (b > s->expected && s->gap_acked != s->expected)) {
			s->gap_acked = s->expected;
			s->in_window = 0;
			sim_client_ack(s, s->expected - 1);
		}
		return;
	}
	s->expected++;
	s->gap_acked = 0;
	s->cli_rto_us = 300000;
	if (last)
		s->cli_done = true;
	if (++s->in_window >= s->cli_ws || last) {
		s->in_window = 0;
		sim_client_ack(s, b);
	}
}

static void sim_deliver(struct sim *s, const struct sim_pkt *p)
{
	struct bw_tftp_act a;

	if (sim_trace)
		printf("%8llu %s %s %u   base=%llu sent_hi=%llu exp=%llu\n",
		       (unsigned long long)p->at, p->to_client ? "->C" : "->S",
		       p->oack        ? "OACK"
		       : p->to_client ? "DATA"
		                      : "ACK",
		       p->block, (unsigned long long)s->x.base, (unsigned long long)s->x.sent_hi,
		       (unsigned long long)s->expected);

	s->now = p->at;
	if (!p->to_client) {
		bw_tftp_xfer_on_ack(&s->x, p->block, s->now / 1000, &a);
		sim_server_act(s, &a);
	} else if (p->oack) {
		if (s->expected <= 1) {
			s->expected = 1;
			sim_client_ack(s, 0);
		}
	} else {
		sim_client_data(s,
		                bw_tftp_block_unwrap(s->expected ? s->expected - 1 : 0, p->block));
	}
}

/* Runs the next event; false when nothing is left. */
static bool sim_step(struct sim *s)
{
	unsigned next = s->n;
	uint64_t t = UINT64_MAX;
	struct bw_tftp_act a;

	for (unsigned i = 0; i < s->n; i++)
		if (s->q[i].at < t || (s->q[i].at == t && s->q[i].seq < s->q[next].seq))
			t = s->q[next = i].at;
	if (s->srv_timer && s->srv_timer <= t) {
		s->now = s->srv_timer;
		s->srv_timer = 0;
		bw_tftp_xfer_on_timeout(&s->x, s->now / 1000, &a);
		sim_server_act(s, &a);
		return true;
	}
	if (s->cli_timer && !s->cli_done && s->cli_timer <= t) {
		s->now = s->cli_timer;
		s->cli_rto_us = s->cli_rto_us * 2 > 4000000 ? 4000000 : s->cli_rto_us * 2;
		s->in_window = 0;
		s->gap_acked = 0;
		sim_client_ack(s, s->expected ? s->expected - 1 : 0);
		return true;
	}
	if (next == s->n)
		return false;
	struct sim_pkt p = s->q[next];
	s->q[next] = s->q[--s->n];
	sim_deliver(s, &p);
	return true;
}

struct sim_case {
	const char *name;
	uint64_t size;
	uint16_t ws;
	double drop, dup, reorder;
	uint64_t delay_us, jitter_us;
	uint64_t seed;
	double tail;
};

static void sim_run(struct sim *s, const struct sim_case *c)
{
	struct bw_tftp_xfer_params p = rd(c->size, 1432, c->ws, true);
	struct bw_tftp_act a;

	memset(s, 0, sizeof(*s));
	s->rng = c->seed;
	s->drop = c->drop;
	s->dup = c->dup;
	s->reorder = c->reorder;
	s->tail = c->tail;
	s->delay_us = c->delay_us;
	s->jitter_us = c->jitter_us;
	s->cli_ws = c->ws;
	s->cli_rto_us = 300000;
	p.retries_max = 10; /* as tests/system/tftp_loss.sh */
	s->now = 1000000;
	bw_tftp_xfer_start(&s->x, &p, s->now / 1000, &a);
	sim_server_act(s, &a);
	for (unsigned i = 0; i < 5000000 && sim_step(s); i++)
		if (s->x.state >= BW_TFTP_XFER_DONE && s->now > SIM_DONE_LINGER_US + 1000000)
			break;
}

/* Checks what every run must show; returns the run's length in ms. */
static uint64_t sim_check(const struct sim *s, const struct sim_case *c)
{
	uint64_t lost = s->lost_data + s->lost_acks + s->lost_other;
	uint64_t elapsed_ms = (s->now - 1000000) / 1000;

	check_context = c->name;
	CHECK_EQ_INT(s->x.state, BW_TFTP_XFER_DONE);
	CHECK(s->cli_done);
	CHECK_EQ_U64(s->expected, s->x.nblocks + 1); /* every block, in order */
	/* the counters tell the truth: every DATA beyond one per block is a resend */
	CHECK_EQ_U64(s->x.rexmit_blocks, s->data_sent - s->x.nblocks);
	if (c->ws == 1) {
		/* lock-step: a loss costs one block (the lost one, or the one whose ACK was
		 * lost); duplicates and jitter cost next to nothing */
		CHECK(s->x.rexmit_blocks <= lost + s->x.nblocks / 50 + 2);
	} else {
		/* go-back-N within a window: at most a window per loss or reordering, and no
		 * cascade */
		CHECK(s->x.rexmit_blocks <= (lost + s->held + 1) * c->ws);
	}
	check_context = NULL;
	return elapsed_ms;
}

static void test_sim(void)
{
	static const struct sim_case cases[] = {
	    /* name                       size     ws  drop  dup   reord  delay jitter seed */
	    {"lock-step, clean", 1000000, 1, 0.00, 0.00, 0.00, 500, 0, 1, 0},
	    {"lock-step, 5% loss", 2000000, 1, 0.05, 0.00, 0.00, 500, 200, 2, 0},
	    {"lock-step, 10% loss", 1000000, 1, 0.10, 0.00, 0.00, 2000, 1000, 3, 0},
	    {"lock-step, 10% duplicates", 2000000, 1, 0.00, 0.10, 0.00, 500, 300, 4, 0},
	    {"lock-step, jitter", 1000000, 1, 0.00, 0.00, 0.00, 1000, 8000, 5, 0},
	    {"lock-step, all of it", 2000000, 1, 0.05, 0.05, 0.05, 1000, 3000, 6, 0},
	    {"lock-step, 30% loss", 300000, 1, 0.30, 0.05, 0.05, 500, 500, 7, 0},
	    {"window 8, 5% loss", 2000000, 8, 0.05, 0.00, 0.00, 500, 0, 8, 0},
	    {"window 16, loss+dup", 2000000, 16, 0.05, 0.05, 0.00, 500, 0, 9, 0},
	    {"window 16, reordering", 2000000, 16, 0.00, 0.00, 0.05, 500, 0, 10, 0},
	    {"window 4, all of it", 1000000, 4, 0.05, 0.05, 0.05, 1000, 0, 11, 0},
	    {"window 64, 2% loss", 4000000, 64, 0.02, 0.01, 0.01, 500, 0, 12, 0},
	    {"window 16, 20% loss", 500000, 16, 0.20, 0.05, 0.05, 500, 0, 13, 0},
	    {"lock-step, heavy tail", 4000000, 1, 0.00, 0.00, 0.00, 500, 300, 14, 0.03},
	    {"lock-step, tail + 5% loss", 4000000, 1, 0.05, 0.00, 0.00, 500, 300, 15, 0.03},
	};
	struct sim *s = malloc(sizeof(*s));

	if (!CHECK(s != NULL))
		return;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sim_case *c = &cases[i];
		uint64_t lost, ms;

		sim_trace = getenv("SIM_TRACE") && atoi(getenv("SIM_TRACE")) == (int)i;
		sim_run(s, c);
		ms = sim_check(s, c);
		lost = s->lost_data + s->lost_acks + s->lost_other;
		printf("sim %-26s %5llu ms  blocks=%llu lost=%llu dups=%llu held=%llu rexmit=%llu "
		       "fast=%llu timeouts=%llu spurious=%llu srtt=%.2f ms\n",
		       c->name, (unsigned long long)ms, (unsigned long long)s->x.nblocks,
		       (unsigned long long)lost, (unsigned long long)s->dups,
		       (unsigned long long)s->held, (unsigned long long)s->x.rexmit_blocks,
		       (unsigned long long)s->x.fast_rexmits, (unsigned long long)s->x.timeouts,
		       (unsigned long long)s->x.spurious, (double)s->x.rtt.srtt_us / 1000.0);
		/* virtual time, not the machine's: a loss costs a few round trips, where a
		 * fixed 1 s timer would cost a second */
		check_context = c->name;
		CHECK(c->drop > 0.1 ||
		      ms < 200 + s->x.nblocks * (2 * c->delay_us + c->jitter_us) / 1000 * 3 +
		               lost * 200);
		check_context = NULL;
	}
	free(s);
}

int main(void)
{
	test_lockstep();
	test_exact_multiple_and_empty();
	test_oack();
	test_window_loss_and_duplicates();
	test_timeouts();
	test_rollover(1);
	test_rollover(16);
	test_rollover(64);
	test_unwrap();
	test_write();
	test_write_window();
	test_write_timeouts();
	test_rtt_from_acks();
	test_karn();
	test_retry_limit();
	test_acked_bytes();
	test_lockstep_dup_acks();
	test_fast_retransmit();
	test_fast_retransmit_guards();
	test_spurious_timeout();
	test_sim();
	return check_summary();
}
