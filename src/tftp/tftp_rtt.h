/* Round-trip time estimate and retransmission timeout of one TFTP transfer (RFC 6298).
 *
 * SRTT and RTTVAR are smoothed from samples (alpha 1/8, beta 1/4); RTO = SRTT +
 * max(G, 4 * RTTVAR) with G the 1 ms clock granularity, kept between a floor of a few
 * milliseconds and a ceiling: the configured timeout, which is also the RTO before the
 * first sample. A timeout doubles the RTO (backoff) up to a separate limit; the backed-off
 * value stays until a sample arrives (Karn: the caller takes samples only from packets it
 * sent once). Pure: no clock, no I/O; samples come in as durations. */
#ifndef BW_TFTP_RTT_H
#define BW_TFTP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define BW_TFTP_RTO_FLOOR_MS 5u /* smallest RTO (a client's processing jitter, timer slack) */
#define BW_TFTP_RTO_BACKOFF_MAX_MS 8000u

struct bw_tftp_rtt {
	uint32_t ceil_ms; /* RTO before any sample; upper bound of the estimate */
	uint32_t floor_ms;
	uint32_t backoff_max_ms;
	uint32_t rto_ms; /* current, including backoff */
	uint64_t srtt_us;
	uint64_t rttvar_us;
	uint64_t samples;
	unsigned backoffs; /* consecutive doublings since the last sample */
};

/* ceil_ms: the configured timeout (0 is taken as 1000). The backoff limit is
 * max(ceil_ms, BW_TFTP_RTO_BACKOFF_MAX_MS). */
void bw_tftp_rtt_init(struct bw_tftp_rtt *r, uint32_t ceil_ms);
/* A round trip of rtt_us from a packet sent once (Karn's rule is the caller's). */
void bw_tftp_rtt_sample(struct bw_tftp_rtt *r, uint64_t rtt_us);
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
