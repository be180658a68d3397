#include "tftp/tftp_rtt.h"

#define RTT_G_US 1000u /* clock granularity: the io layer's clock counts milliseconds */

void bw_tftp_rtt_init(struct bw_tftp_rtt *r, uint32_t ceil_ms)
{
	*r = (struct bw_tftp_rtt){0};
	r->ceil_ms = ceil_ms ? ceil_ms : 1000u;
	r->floor_ms = r->ceil_ms < BW_TFTP_RTO_FLOOR_MS ? r->ceil_ms : BW_TFTP_RTO_FLOOR_MS;
	r->backoff_max_ms =
	    r->ceil_ms > BW_TFTP_RTO_BACKOFF_MAX_MS ? r->ceil_ms : BW_TFTP_RTO_BACKOFF_MAX_MS;
	r->rto_ms = r->ceil_ms;
}

/* RTO = SRTT + max(G, 4 * RTTVAR), at least the lift, rounded up to whole milliseconds,
 * within the bounds. */
static uint32_t rtt_compute_rto(const struct bw_tftp_rtt *r)
{
	uint64_t var = 4 * r->rttvar_us;
	uint64_t us = r->srtt_us + (var > RTT_G_US ? var : RTT_G_US);
	uint64_t ms = ((us > r->lift_us ? us : r->lift_us) + 999) / 1000;

	if (ms < r->floor_ms)
		return r->floor_ms;
	return ms > r->ceil_ms ? r->ceil_ms : (uint32_t)ms;
}

static uint64_t rtt_clamp(const struct bw_tftp_rtt *r, uint64_t rtt_us)
{
	uint64_t max = (uint64_t)r->backoff_max_ms * 1000; /* keeps the sums far from overflow */

	return rtt_us > max ? max : rtt_us;
}

void bw_tftp_rtt_sample(struct bw_tftp_rtt *r, uint64_t rtt_us)
{
	uint64_t delta;

	rtt_us = rtt_clamp(r, rtt_us);
	r->lift_us -= r->lift_us / BW_TFTP_RTT_LIFT_DECAY;
	if (r->samples == 0) {
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else {
		delta = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;
		r->rttvar_us = (3 * r->rttvar_us + delta) / 4;
		r->srtt_us = (7 * r->srtt_us + rtt_us) / 8;
	}
	r->samples++;
	r->backoffs = 0;
	r->rto_ms = rtt_compute_rto(r);
}

bool bw_tftp_rtt_spurious(struct bw_tftp_rtt *r, uint64_t rtt_us)
{
	if (rtt_us > BW_TFTP_RTT_LIFT_MAX_MS * 1000ull)
		return false;
	bw_tftp_rtt_sample(r, rtt_us);
	if (rtt_us > r->lift_us)
		r->lift_us = rtt_us;
	r->spurious++;
	r->rto_ms = rtt_compute_rto(r);
	return true;
}

void bw_tftp_rtt_backoff(struct bw_tftp_rtt *r)
{
	uint64_t next = (uint64_t)r->rto_ms * 2;

	r->rto_ms = next > r->backoff_max_ms ? r->backoff_max_ms : (uint32_t)next;
	r->backoffs++;
}

void bw_tftp_rtt_progress(struct bw_tftp_rtt *r)
{
	if (r->rto_ms > r->ceil_ms)
		r->rto_ms = r->ceil_ms;
}
