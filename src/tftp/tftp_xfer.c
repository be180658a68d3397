#include "tftp/tftp_xfer.h"

#include <string.h>

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

uint64_t bw_tftp_xfer_acked_bytes(const struct bw_tftp_xfer *x)
{
	uint64_t acked = (x->base - 1) * x->blksize;

	return acked < x->size ? acked : x->size;
}

static void xfer_arm(struct bw_tftp_xfer *x, struct bw_tftp_act *a)
{
	a->arm_timer = true;
	a->timer_ms = bw_tftp_rtt_rto_ms(&x->rtt);
	x->armed_ms = a->timer_ms;
}

static void xfer_progress(struct bw_tftp_xfer *x)
{
	x->progressed = true;
	x->retries = 0;
	bw_tftp_rtt_progress(&x->rtt);
}

static void xfer_finish(struct bw_tftp_xfer *x, enum bw_tftp_xfer_state st, const char *why,
			struct bw_tftp_act *a)
{
	x->state = st;
	a->finished = true;
	a->why = why;
	a->arm_timer = false;
}

/* Read side: notes blocks [first, last] going out again (those up to sent_hi). Returns how
 * many were resends. */
static uint64_t xfer_note_resend(struct bw_tftp_xfer *x, uint64_t first, uint64_t last)
{
	uint64_t hi = last < x->sent_hi ? last : x->sent_hi;

	if (first > hi)
		return 0;
	x->rexmit_blocks += hi - first + 1;
	x->rexmit_bytes +=
	    bw_tftp_block_offset(x, hi) + bw_tftp_block_len(x, hi) - bw_tftp_block_offset(x, first);
	if (hi + 1 > x->clean_from)
		x->clean_from = hi + 1;
	return hi - first + 1;
}

/* Read side: send the window that starts at base. Returns the number of blocks in it that
 * had been sent before. */
static uint64_t xfer_send_window(struct bw_tftp_xfer *x, uint64_t now, struct bw_tftp_act *a)
{
	uint64_t last = x->base + x->windowsize - 1, resent;

	if (last > x->nblocks)
		last = x->nblocks;
	a->send_blocks = true;
	a->first = x->base;
	a->last = last;
	resent = xfer_note_resend(x, x->base, last);
	if (last > x->sent_hi) {
		x->sent_hi = last;
		x->t_first = now;
	}
	x->t_sent = now;
	xfer_arm(x, a);
	return resent;
}

void bw_tftp_xfer_start(struct bw_tftp_xfer *x, const struct bw_tftp_xfer_params *p, uint64_t now,
                        struct bw_tftp_act *ret_act)
{
	struct bw_tftp_act a = {0};

	memset(x, 0, sizeof(*x));
	x->is_write = p->is_write;
	x->blksize = p->blksize;
	x->windowsize = p->windowsize ? p->windowsize : 1;
	x->rto_ms = p->rto_ms ? p->rto_ms : 1000;
	bw_tftp_rtt_init(&x->rtt, x->rto_ms);
	x->retries_max = p->retries_max;
	x->size = p->size;
	x->nblocks = p->size / p->blksize + 1;
	x->base = 1;
	x->expected = 1;
	x->t_sent = now;
	x->t_first = now;
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
		xfer_send_window(x, now, &a);
	}
	*ret_act = a;
}

/* Read side: the client acknowledged block k (or the OACK, k = 0), new to us. Every resend
 * starts at base, so inside the window [base, sent_hi] the blocks sent more than once are
 * exactly those below clean_from. The window (or OACK) holding k went out at t_sent; if k
 * went only once the round trip is a sample (Karn: an ACK of a resent block could answer
 * either copy). If it went twice in lock-step, the time since its first copy is kept in case
 * a second ACK shows the resend was spurious. */
static void xfer_acked(struct bw_tftp_xfer *x, uint64_t k, uint64_t now)
{
	x->prev_resent = k < x->clean_from;
	x->late_pending = x->prev_resent && x->windowsize == 1 && now >= x->t_first;
	x->late_ms = x->late_pending ? now - x->t_first : 0;
	if (!x->prev_resent && now >= x->t_sent)
		bw_tftp_rtt_sample(&x->rtt, (now - x->t_sent) * 1000);
	xfer_progress(x);
	x->base = k + 1;
}

/* Lock-step: block base - 1 went twice, its first ACK came late_ms after the first copy,
 * and now a second ACK: the client had the first copy (the late ACK was for it; in lock-step
 * the copies travel in order) and the resend was not needed. Unless the first ACK was the
 * client's own timer re-ACKing after a lost ACK: the estimator does not believe delays that
 * long. */
static void xfer_on_spurious(struct bw_tftp_xfer *x)
{
	x->late_pending = false;
	if (bw_tftp_rtt_spurious(&x->rtt, x->late_ms * 1000))
		x->spurious++;
}

/* Read side: an ACK of base - 1 again, with block base out. In lock-step it is the client's
 * own timer, or its answer to a block we sent twice: answering it with DATA would start the
 * Sorcerer's Apprentice (every block sent twice from then on), so only our timer resends. In
 * a window (RFC 7440) the client ACKs the last block it has in order when a later one
 * arrives: block base was lost. The window is resent at once if it is the first reaction:
 * nothing in it went twice yet (a timeout, a window restarted after a partial ACK, or this
 * same fast retransmission already answered the loss), and block base - 1 went once (the
 * ACK of a block we sent twice may come twice; answering that echo is the Apprentice). */
static void xfer_on_dup_ack(struct bw_tftp_xfer *x, uint64_t now, struct bw_tftp_act *a)
{
	if (x->late_pending)
		xfer_on_spurious(x);
	if (x->windowsize < 2 || x->sent_hi < x->base || x->clean_from > x->base || x->prev_resent)
		return;
	x->fast_rexmits++;
	x->retransmits += xfer_send_window(x, now, a);
}

void bw_tftp_xfer_on_ack(struct bw_tftp_xfer *x, uint16_t wire_block, uint64_t now,
                         struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};
	uint64_t k;

	if (x->is_write)
		goto out;
	if (x->state == BW_TFTP_XFER_OACK) {
		if (wire_block != 0)
			goto out; /* not the OACK's acknowledgement: wait */
		x->state = BW_TFTP_XFER_RUNNING;
		xfer_acked(x, 0, now);
		xfer_send_window(x, now, &a);
		goto out;
	}
	if (x->state != BW_TFTP_XFER_RUNNING)
		goto out;
	k = bw_tftp_block_unwrap(x->base - 1, wire_block);
	if (k == x->base - 1) {
		xfer_on_dup_ack(x, now, &a);
		goto out;
	}
	/* anything older, or beyond what we sent, is stale or foreign */
	if (k < x->base || k > x->sent_hi)
		goto out;
	xfer_acked(x, k, now);
	if (k == x->nblocks) {
		xfer_finish(x, BW_TFTP_XFER_DONE, NULL, &a);
		goto out;
	}
	xfer_send_window(x, now, &a);
out:
	*ret = a;
}

void bw_tftp_xfer_on_data(struct bw_tftp_xfer *x, uint16_t wire_block, size_t len, uint64_t now,
                          struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};
	uint64_t b;

	(void)now; /* writes keep the configured timeout */
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

/* What a timeout resends: the OACK, our last ACK (write) or the window (read). */
static void xfer_resend(struct bw_tftp_xfer *x, uint64_t now, struct bw_tftp_act *a)
{
	if (x->state == BW_TFTP_XFER_OACK) {
		a->send_oack = true;
		x->retransmits++;
		if (x->clean_from < 1)
			x->clean_from = 1; /* the OACK went twice: its ACK is no sample */
		x->t_sent = now;
		xfer_arm(x, a);
	} else if (x->is_write) {
		a->send_ack = true;
		a->ack = x->expected - 1;
		x->in_window = 0;
		x->retransmits++;
		xfer_arm(x, a);
	} else {
		x->retransmits += xfer_send_window(x, now, a);
	}
}

void bw_tftp_xfer_on_timeout(struct bw_tftp_xfer *x, uint64_t now, struct bw_tftp_act *ret)
{
	struct bw_tftp_act a = {0};

	if (x->state == BW_TFTP_XFER_DALLY) {
		xfer_finish(x, BW_TFTP_XFER_DONE, NULL, &a);
		goto out;
	}
	if (x->state != BW_TFTP_XFER_OACK && x->state != BW_TFTP_XFER_RUNNING)
		goto out;
	/* Waits shorter than the configured timeout are the estimate's quick tries. */
	if (x->armed_ms >= x->rto_ms) {
		if (x->retries >= x->retries_max) {
			xfer_finish(x, BW_TFTP_XFER_FAILED, "timed out", &a);
			goto out;
		}
		x->retries++;
	}
	x->timeouts++;
	bw_tftp_rtt_backoff(&x->rtt);
	xfer_resend(x, now, &a);
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
