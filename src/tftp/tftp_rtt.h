/* Round-trip time estimate and retransmission timeout of one TFTP transfer (RFC 6298).
 *
 * SRTT and RTTVAR are smoothed from samples (alpha 1/8, beta 1/4); RTO = SRTT +
 * max(G, 4 * RTTVAR) with G the 1 ms clock granularity, kept between a floor of a few
 * milliseconds and a ceiling: the configured timeout, which is also the RTO before the
 * first sample. A timeout doubles the RTO (backoff) up to a separate limit; the backed-off
 * value stays until a sample arrives (Karn: the caller takes samples only from packets it
 * sent once).
 *
 * Karn's rule hides exactly the slow round trips: the packet that was answered late has been
 * resent and gives no sample, so a client with a heavy tail (pxelinux under TCG: p99 about
 * 5 ms, p99.9 10-20 ms) keeps firing a few-ms RTO. When the caller can tell that a timeout
 * was spurious (the client answered both copies, RFC 3522's idea with TFTP's duplicate ACK
 * as the evidence), the delay is taken as a sample after all and the RTO stays above it, a
 * "lift" that decays by 1/BW_TFTP_RTT_LIFT_DECAY per sample (RFC 4015 in spirit). A client
 * without a tail never lifts it. Pure: no clock, no I/O; samples come in as durations. */
#ifndef BW_TFTP_RTT_H
#define BW_TFTP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define BW_TFTP_RTO_FLOOR_MS 5u /* smallest RTO (a client's processing jitter, timer slack) */
#define BW_TFTP_RTO_BACKOFF_MAX_MS 8000u
#define BW_TFTP_RTT_LIFT_DECAY 128u /* samples for the lift to lose 1/e of itself */
/* A "late answer" slower than this is more likely the client's own retransmission (pxelinux
 * re-ACKs after 110 ms, iPXE later) than a slow reply to our first copy: believing it would
 * raise the RTO to the client's timer, and the two timers would then keep racing. */
#define BW_TFTP_RTT_LIFT_MAX_MS 50u

struct bw_tftp_rtt {
	uint32_t ceil_ms; /* RTO before any sample; upper bound of the estimate */
	uint32_t floor_ms;
	uint32_t backoff_max_ms;
	uint32_t rto_ms; /* current, including backoff */
	uint64_t srtt_us;
	uint64_t rttvar_us;
	uint64_t samples;
	uint64_t lift_us;  /* the RTO stays above this: the delay of a spurious timeout */
	uint64_t spurious; /* timeouts found spurious */
	unsigned backoffs; /* consecutive doublings since the last sample */
};

/* ceil_ms: the configured timeout (0 is taken as 1000). The backoff limit is
 * max(ceil_ms, BW_TFTP_RTO_BACKOFF_MAX_MS). */
void bw_tftp_rtt_init(struct bw_tftp_rtt *r, uint32_t ceil_ms);
/* A round trip of rtt_us from a packet sent once (Karn's rule is the caller's). */
void bw_tftp_rtt_sample(struct bw_tftp_rtt *r, uint64_t rtt_us);
/* A timeout was spurious: the first copy was answered after rtt_us. That is a sample, and
 * the RTO is kept above it (decaying) so the same delay does not fool it again at once.
 * Returns false, changing nothing, for a delay over BW_TFTP_RTT_LIFT_MAX_MS. */
bool bw_tftp_rtt_spurious(struct bw_tftp_rtt *r, uint64_t rtt_us);
/* The timer expired: double the RTO, up to the backoff limit. */
void bw_tftp_rtt_backoff(struct bw_tftp_rtt *r);
/* The peer made progress without giving a sample (it acknowledged a retransmitted packet):
 * the backoff stays, but no higher than the ceiling. */
void bw_tftp_rtt_progress(struct bw_tftp_rtt *r);

static inline uint32_t bw_tftp_rtt_rto_ms(const struct bw_tftp_rtt *r)
{
	return r->rto_ms;
}

static inline bool bw_tftp_rtt_has_sample(const struct bw_tftp_rtt *r)
{
	return r->samples > 0;
}

#endif
