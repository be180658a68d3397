/* One TFTP transfer as a state machine: windows, acknowledgements, retransmission, block
 * number rollover. Input: parsed ACK/DATA block numbers, timer expiry and `now`. Output:
 * actions for the io layer (send these blocks, send the OACK, arm the timer, finish).
 * No sockets, no files, no clock of its own.
 *
 * Retransmission (reads): the timer runs on an RTT estimate (tftp_rtt, RFC 6298) taken from
 * the client's ACKs: the ACK of a window (or of the OACK) sent once gives a sample, the ACK
 * of anything sent twice does not (Karn). Before the first sample the timer is the configured
 * timeout, which also caps the estimate. Timeouts double it. `retries` counts only the
 * timeouts that waited the configured timeout or longer, so a transfer is abandoned after
 * as long a silence as with a fixed timer; the quick early retransmissions below it are
 * free. A duplicate ACK never makes a lock-step transfer send (Sorcerer's Apprentice); in a
 * window (RFC 7440) the first duplicate ACK of base - 1 says block base was lost and the
 * window is resent once. In lock-step, a duplicate ACK of a block the timer resent says the
 * resend was spurious (the client answered both copies): the delay of its first ACK goes to
 * the estimator after all (tftp_rtt's lift). Writes keep the configured timeout (they never
 * sample). */
#ifndef BW_TFTP_XFER_H
#define BW_TFTP_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tftp/tftp_rtt.h"

enum bw_tftp_xfer_state {
	BW_TFTP_XFER_OACK,    /* OACK sent, waiting for ACK 0 (read) or DATA 1 (write) */
	BW_TFTP_XFER_RUNNING, /* blocks flowing */
	BW_TFTP_XFER_DALLY,   /* write finished; re-ACK a retransmitted last DATA for a while */
	BW_TFTP_XFER_DONE,
	BW_TFTP_XFER_FAILED,
};

/* What the io layer must do after a step; several may be set at once. */
struct bw_tftp_act {
	bool send_oack;
	bool send_blocks;      /* read: send blocks [first, last] */
	uint64_t first, last;
	bool send_ack;         /* write: send ACK for block ack (wire number = ack & 0xffff) */
	uint64_t ack;
	bool accept_data;      /* write: the DATA just given is the next in order: store it */
	bool arm_timer;        /* (re)arm the retransmission timer for timer_ms */
	uint32_t timer_ms;
	bool finished;         /* state is DONE or FAILED now */
	const char *why;       /* on FAILED: a short reason for the log */
};

struct bw_tftp_xfer {
	bool is_write;
	enum bw_tftp_xfer_state state;
	uint16_t blksize;
	uint16_t windowsize;
	uint32_t rto_ms; /* configured timeout: the RTO before any sample, and its ceiling */
	unsigned retries_max;
	unsigned retries; /* timeouts of rto_ms or longer since the last progress */
	struct bw_tftp_rtt rtt;
	uint32_t armed_ms; /* the timer's duration when it was last armed */
	/* read side */
	uint64_t size;         /* bytes to send */
	uint64_t nblocks;      /* size / blksize + 1: the last one is short, maybe empty */
	uint64_t base;         /* first block not yet acknowledged */
	uint64_t sent_hi;      /* highest block sent */
	uint64_t t_sent;       /* when the current window (or the OACK) was sent */
	uint64_t t_first;      /* when the newest block (or the OACK) was first sent */
	uint64_t late_ms;      /* lock-step: how long the ACK of the resent block base - 1 took */
	bool late_pending;     /* ... and no duplicate of that ACK came yet */
	uint64_t clean_from;   /* blocks >= this were sent at most once (block 0: the OACK) */
	bool prev_resent;      /* block base - 1 (the OACK when base is 1) went more than once */
	/* write side */
	uint64_t expected;     /* next block in order */
	uint64_t gap_acked;    /* `expected` when we last ACKed a gap (0: none) */
	unsigned in_window;    /* in-order blocks since the last ACK we sent */
	/* statistics */
	bool progressed;       /* the peer ever acknowledged or sent data */
	uint64_t retransmits;  /* blocks (or OACK/ACK packets) resent on a timeout or a dup ACK */
	uint64_t rexmit_blocks; /* read: DATA blocks sent more than once, for any reason */
	uint64_t rexmit_bytes;  /* read: their payload bytes */
	uint64_t fast_rexmits;  /* read: windows resent on a duplicate ACK */
	uint64_t spurious; /* read, lock-step: timer resends the client turned out not to need */
	uint64_t timeouts;      /* timer expiries that resent something */
};

struct bw_tftp_xfer_params {
	bool is_write;
	bool oack;             /* an OACK opens the transfer */
	uint16_t blksize;
	uint16_t windowsize;
	uint32_t rto_ms; /* the configured timeout */
	unsigned retries_max;
	uint64_t size;         /* read: bytes to send */
};

/* Starts a transfer at `now` (milliseconds, any epoch; the same clock for every call):
 * returns the first actions (OACK, first window, or ACK 0). */
void bw_tftp_xfer_start(struct bw_tftp_xfer *x, const struct bw_tftp_xfer_params *p, uint64_t now,
                        struct bw_tftp_act *ret_act);
/* A read transfer received ACK `wire_block`. */
void bw_tftp_xfer_on_ack(struct bw_tftp_xfer *x, uint16_t wire_block, uint64_t now,
                         struct bw_tftp_act *ret);
/* A write transfer received DATA `wire_block` with len payload bytes. When ret->accept_data is
 * set the io layer stores the payload; a store failure is reported with _fail(). */
void bw_tftp_xfer_on_data(struct bw_tftp_xfer *x, uint16_t wire_block, size_t len, uint64_t now,
                          struct bw_tftp_act *ret);
/* The retransmission timer fired. */
void bw_tftp_xfer_on_timeout(struct bw_tftp_xfer *x, uint64_t now, struct bw_tftp_act *ret);
/* Aborts (peer error, local error). */
void bw_tftp_xfer_fail(struct bw_tftp_xfer *x, const char *why, struct bw_tftp_act *ret);

/* Maps a 16-bit wire block number onto the 64-bit block nearest to ref (rollover). */
uint64_t bw_tftp_block_unwrap(uint64_t ref, uint16_t wire);

/* Byte offset and length of read block b (1-based). */
uint64_t bw_tftp_block_offset(const struct bw_tftp_xfer *x, uint64_t b);
size_t bw_tftp_block_len(const struct bw_tftp_xfer *x, uint64_t b);

/* Read: the bytes the client has acknowledged so far (all of them once DONE). */
uint64_t bw_tftp_xfer_acked_bytes(const struct bw_tftp_xfer *x);

#endif
