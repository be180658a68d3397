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

	bw_tftp_xfer_start(&x, &p, &a);
	CHECK(a.send_blocks && !a.send_oack);
	CHECK_EQ_U64(a.first, 1);
	CHECK_EQ_U64(a.last, 1);
	CHECK(a.arm_timer);
	CHECK_EQ_INT(a.timer_ms, 1000);
	CHECK_EQ_U64(x.nblocks, 3);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 3), 1);
	bw_tftp_xfer_on_ack(&x, 1, &a);
	CHECK(a.send_blocks && a.first == 2 && a.last == 2);
	bw_tftp_xfer_on_ack(&x, 2, &a);
	CHECK(a.send_blocks && a.first == 3 && a.last == 3);
	bw_tftp_xfer_on_ack(&x, 3, &a);
	CHECK(a.finished && !a.send_blocks);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DONE);
}

static void test_exact_multiple_and_empty(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(1024, 512, 1, false);

	bw_tftp_xfer_start(&x, &p, &a);
	CHECK_EQ_U64(x.nblocks, 3);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 2), 512);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 3), 0); /* the empty block that ends it */
	p = rd(0, 512, 8, false);
	bw_tftp_xfer_start(&x, &p, &a);
	CHECK(a.send_blocks && a.first == 1 && a.last == 1);
	CHECK_EQ_INT(bw_tftp_block_len(&x, 1), 0);
	bw_tftp_xfer_on_ack(&x, 1, &a);
	CHECK(a.finished);
}

static void test_oack(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(5000, 1468, 4, true);

	bw_tftp_xfer_start(&x, &p, &a);
	CHECK(a.send_oack && !a.send_blocks && a.arm_timer);
	bw_tftp_xfer_on_ack(&x, 1, &a); /* not the OACK's ACK */
	CHECK(!a.send_blocks && !a.send_oack && !a.arm_timer);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.send_oack);
	CHECK_EQ_INT(a.timer_ms, 2000);
	CHECK_EQ_U64(x.retransmits, 1);
	bw_tftp_xfer_on_ack(&x, 0, &a);
	CHECK(a.send_blocks && a.first == 1 && a.last == 4);
	CHECK_EQ_INT(a.timer_ms, 1000); /* progress resets the backoff */
	bw_tftp_xfer_on_ack(&x, 4, &a);
	CHECK(a.finished); /* 5000 / 1468 + 1 = 4 blocks */
}

static void test_window_loss_and_duplicates(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(10 * 512, 512, 4, false);

	bw_tftp_xfer_start(&x, &p, &a);
	CHECK(a.first == 1 && a.last == 4);
	bw_tftp_xfer_on_ack(&x, 4, &a);
	CHECK(a.first == 5 && a.last == 8);
	/* block 7 lost: the client ACKs 6, the window restarts after it */
	bw_tftp_xfer_on_ack(&x, 6, &a);
	CHECK(a.send_blocks && a.first == 7 && a.last == 10);
	/* more ACKs of 6 are duplicates: no burst (Sorcerer's Apprentice) */
	for (int i = 0; i < 5; i++) {
		bw_tftp_xfer_on_ack(&x, 6, &a);
		CHECK(!a.send_blocks && !a.arm_timer);
	}
	/* an ACK beyond what was sent is ignored */
	bw_tftp_xfer_on_ack(&x, 30, &a);
	CHECK(!a.send_blocks && !a.finished);
	bw_tftp_xfer_on_ack(&x, 10, &a);
	CHECK(a.first == 11 && a.last == 11);
	bw_tftp_xfer_on_ack(&x, 11, &a);
	CHECK(a.finished);
	CHECK_EQ_U64(x.retransmits, 0);
}

static void test_timeouts(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = rd(100000, 512, 8, false);

	p.rto_ms = 3000;
	bw_tftp_xfer_start(&x, &p, &a);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.send_blocks && a.first == 1 && a.last == 8);
	CHECK_EQ_INT(a.timer_ms, 6000);
	CHECK_EQ_U64(x.retransmits, 8);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK_EQ_INT(a.timer_ms, 8000); /* capped */
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.send_blocks);
	bw_tftp_xfer_on_timeout(&x, &a); /* the 4th expiry with retries_max 3 */
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

	bw_tftp_xfer_start(&x, &p, &a);
	bw_tftp_xfer_on_ack(&x, 0, &a);
	while (!a.finished && windows < 100000) {
		if (!CHECK(a.send_blocks))
			return;
		bw_tftp_xfer_on_ack(&x, (uint16_t)a.last, &a);
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

	bw_tftp_xfer_start(&x, &p, &a);
	CHECK(a.send_ack && a.ack == 0 && a.arm_timer);
	bw_tftp_xfer_on_data(&x, 1, 512, &a);
	CHECK(a.accept_data && a.send_ack && a.ack == 1);
	bw_tftp_xfer_on_data(&x, 1, 512, &a); /* duplicate: not stored again */
	CHECK(!a.accept_data);
	bw_tftp_xfer_on_data(&x, 2, 10, &a);
	CHECK(a.accept_data && a.send_ack && a.ack == 2);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DALLY);
	bw_tftp_xfer_on_data(&x, 2, 10, &a); /* our last ACK was lost */
	CHECK(a.send_ack && a.ack == 2 && !a.accept_data);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.finished);
	CHECK_EQ_INT(x.state, BW_TFTP_XFER_DONE);
}

static void test_write_window(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = {.is_write = true, .oack = true, .blksize = 512,
					.windowsize = 4, .rto_ms = 500, .retries_max = 2};

	bw_tftp_xfer_start(&x, &p, &a);
	CHECK(a.send_oack);
	for (uint16_t b = 1; b <= 3; b++) {
		bw_tftp_xfer_on_data(&x, b, 512, &a);
		CHECK(a.accept_data && !a.send_ack);
	}
	bw_tftp_xfer_on_data(&x, 4, 512, &a);
	CHECK(a.accept_data && a.send_ack && a.ack == 4);
	bw_tftp_xfer_on_data(&x, 6, 512, &a); /* 5 lost */
	CHECK(!a.accept_data && a.send_ack && a.ack == 4);
	bw_tftp_xfer_on_data(&x, 7, 512, &a); /* same gap: no second ACK */
	CHECK(!a.accept_data && !a.send_ack);
	bw_tftp_xfer_on_data(&x, 5, 512, &a);
	CHECK(a.accept_data);
	bw_tftp_xfer_on_data(&x, 6, 513, &a); /* larger than blksize */
	CHECK(a.finished && x.state == BW_TFTP_XFER_FAILED);
}

static void test_write_timeouts(void)
{
	struct bw_tftp_xfer x;
	struct bw_tftp_act a;
	struct bw_tftp_xfer_params p = {.is_write = true, .blksize = 512, .windowsize = 1,
					.rto_ms = 500, .retries_max = 2};

	bw_tftp_xfer_start(&x, &p, &a);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.send_ack && a.ack == 0);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.send_ack);
	bw_tftp_xfer_on_timeout(&x, &a);
	CHECK(a.finished && x.state == BW_TFTP_XFER_FAILED);
	/* acks and data of the wrong direction do nothing */
	bw_tftp_xfer_start(&x, &p, &a);
	bw_tftp_xfer_on_ack(&x, 0, &a);
	CHECK(!a.send_ack && !a.finished);
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
	return check_summary();
}
