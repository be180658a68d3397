#include "tftp/tftp_xfer.h"

#include <string.h>

#define TFTP_RTO_MAX_MS 8000u

uint64_t bw_tftp_block_unwrap(uint64_t ref, uint16_t wire)
{
	int16_t delta = (int16_t)(uint16_t)(wire - (uint16_t)ref);

	if (delta < 0 && (uint64_t)(-(int32_t)delta) > ref)
		return wire; /* before the start: cannot be ours */
	return ref + (uint64_t)(int64_t)delta;
}

uint64_t bw_tftp_block_offset(const struct bw_tftp_xfer *x, uint64_t b)
{
	return (b - 1) * x->blksize;
}

size_t bw_tftp_block_len(const struct bw_tftp_xfer *x, uint64_t b)
{
	uint64_t off = bw_tftp_block_offset(x, b);
	uint64_t rest = x->size > off ? x->size - off : 0;

	return rest < x->blksize ? (size_t)rest : x->blksize;
}

static void xfer_arm(struct bw_tftp_xfer *x, struct bw_tftp_act *a)
{
	a->arm_timer = true;
	a->timer_ms = x->cur_rto_ms;
}

static void xfer_progress(struct bw_tftp_xfer *x)
{
	x->progressed = true;
	x->retries = 0;
	x->cur_rto_ms = x->rto_ms;
}

static void xfer_finish(struct bw_tftp_xfer *x, enum bw_tftp_xfer_state st, const char *why,
			struct bw_tftp_act *a)
{
	x->state = st;
	a->finished = true;
	a->why = why;
	a->arm_timer = false;
}

/* Read side: send the window that starts at base. */
static void xfer_send_window(struct bw_tftp_xfer *x, struct bw_tftp_act *a)
{
	uint64_t last = x->base + x->windowsize - 1;

	if (last > x->nblocks)
		last = x->nblocks;
	a->send_blocks = true;
	a->first = x->base;
	a->last = last;
	if (last > x->sent_hi)
		x->sent_hi = last;
	xfer_arm(x, a);
}

void bw_tftp_xfer_start(struct bw_tftp_xfer *x, const struct bw_tftp_xfer_params *p,
			struct bw_tftp_act *ret_act)
{
	struct bw_tftp_act a = {0};

	memset(x, 0, sizeof(*x));
	x->is_write = p->is_write;
	x->blksize = p->blksize;
	x->windowsize = p->windowsize ? p->windowsize : 1;
	x->rto_ms = p->rto_ms ? p->rto_ms : 1000;
	x->rto_max_ms = x->rto_ms > TFTP_RTO_MAX_MS ? x->rto_ms : TFTP_RTO_MAX_MS;
	x->cur_rto_ms = x->rto_ms;
	x->retries_max = p->retries_max;
	x->size = p->size;
	x->nblocks = p->size / p->blksize + 1;
	x->base = 1;
	x->expected = 1;
	if (p->oack) {
		x->state = BW_TFTP_XFER_OACK;
		a.send_oack = true;
		xfer_arm(x, &a);
	} else if (p->is_write) {
		x->state = BW_TFTP_XFER_RUNNING;
		a.send_ack = true;
		a.ack = 0;
		xfer_arm(x, &a);
	} else {
		x->state = BW_TFTP_XFER_RUNNING;
		xfer_send_window(x, &a);
	}
	*ret_act = a;
}

void bw_tftp_xfer_on_ack(struct bw_tftp_xfer *x, uint16_t wire_block, struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};
	uint64_t k;

	if (x->is_write)
		goto out;
	if (x->state == BW_TFTP_XFER_OACK) {
		if (wire_block != 0)
			goto out; /* not the OACK's acknowledgement: wait */
		x->state = BW_TFTP_XFER_RUNNING;
		xfer_progress(x);
		xfer_send_window(x, &a);
		goto out;
	}
	if (x->state != BW_TFTP_XFER_RUNNING)
		goto out;
	k = bw_tftp_block_unwrap(x->base - 1, wire_block);
	/* An ACK of base - 1 is a duplicate: never answer it with a burst (Sorcerer's
	 * Apprentice); anything outside what we sent is stale or foreign. */
	if (k < x->base || k > x->sent_hi)
		goto out;
	xfer_progress(x);
	x->base = k + 1;
	if (k == x->nblocks) {
		xfer_finish(x, BW_TFTP_XFER_DONE, NULL, &a);
		goto out;
	}
	xfer_send_window(x, &a);
out:
	*ret = a;
}

void bw_tftp_xfer_on_data(struct bw_tftp_xfer *x, uint16_t wire_block, size_t len,
			  struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};
	uint64_t b;

	if (!x->is_write)
		goto out;
	if (x->state == BW_TFTP_XFER_DALLY) {
		/* The final DATA again: our last ACK was lost. */
		if (bw_tftp_block_unwrap(x->expected - 1, wire_block) == x->expected - 1) {
			a.send_ack = true;
			a.ack = x->expected - 1;
		}
		goto out;
	}
	if (x->state == BW_TFTP_XFER_OACK)
		x->state = BW_TFTP_XFER_RUNNING;
	if (x->state != BW_TFTP_XFER_RUNNING)
		goto out;
	b = bw_tftp_block_unwrap(x->expected, wire_block);
	if (b != x->expected) {
		/* A gap (or an old duplicate): ACK the last in-order block once per gap. */
		if (b > x->expected && x->gap_acked != x->expected) {
			x->gap_acked = x->expected;
			a.send_ack = true;
			a.ack = x->expected - 1;
			x->in_window = 0;
			xfer_arm(x, &a);
		}
		goto out;
	}
	if (len > x->blksize) {
		xfer_finish(x, BW_TFTP_XFER_FAILED, "DATA larger than the block size", &a);
		goto out;
	}
	xfer_progress(x);
	a.accept_data = true;
	x->expected++;
	x->gap_acked = 0;
	x->in_window++;
	if (len < x->blksize) {
		a.send_ack = true;
		a.ack = b;
		x->state = BW_TFTP_XFER_DALLY;
		xfer_arm(x, &a);
		goto out;
	}
	if (x->in_window >= x->windowsize) {
		x->in_window = 0;
		a.send_ack = true;
		a.ack = b;
	}
	xfer_arm(x, &a);
out:
	*ret = a;
}

void bw_tftp_xfer_on_timeout(struct bw_tftp_xfer *x, struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};

	if (x->state == BW_TFTP_XFER_DALLY) {
		xfer_finish(x, BW_TFTP_XFER_DONE, NULL, &a);
		goto out;
	}
	if (x->state != BW_TFTP_XFER_OACK && x->state != BW_TFTP_XFER_RUNNING)
		goto out;
	if (x->retries >= x->retries_max) {
		xfer_finish(x, BW_TFTP_XFER_FAILED, "timed out", &a);
		goto out;
	}
	x->retries++;
	x->cur_rto_ms *= 2;
	if (x->cur_rto_ms > x->rto_max_ms)
		x->cur_rto_ms = x->rto_max_ms;
	if (x->state == BW_TFTP_XFER_OACK) {
		a.send_oack = true;
		x->retransmits++;
		xfer_arm(x, &a);
	} else if (x->is_write) {
		a.send_ack = true;
		a.ack = x->expected - 1;
		x->in_window = 0;
		x->retransmits++;
		xfer_arm(x, &a);
	} else {
		xfer_send_window(x, &a);
		x->retransmits += a.last - a.first + 1;
	}
out:
	*ret = a;
}

void bw_tftp_xfer_fail(struct bw_tftp_xfer *x, const char *why, struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};

	if (x->state != BW_TFTP_XFER_DONE && x->state != BW_TFTP_XFER_FAILED)
		xfer_finish(x, BW_TFTP_XFER_FAILED, why, &a);
	*ret = a;
}
