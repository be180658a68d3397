/* TFTP option negotiation (RFC 2347/2348/2349/7440): which of a request's options the server
 * accepts and with what values. Pure policy, no I/O. */
#ifndef BW_TFTP_OPTS_H
#define BW_TFTP_OPTS_H

#include "core/util.h"
#include "tftp/tftp_wire.h"

struct bw_tftp_limits {
	uint16_t blksize_max;    /* 8..65464; requests above are clamped to it */
	uint16_t windowsize_max; /* 1..65535; requests above are clamped to it */
	uint32_t window_bytes_max; /* cap on blksize * windowsize; 0 = none */
};

struct bw_tftp_neg {
	uint16_t blksize;    /* 512 unless accepted */
	uint16_t windowsize; /* 1 unless accepted */
	uint8_t timeout_s;   /* 0 unless accepted */
	bool blksize_ok;     /* accepted: goes into the OACK */
	bool windowsize_ok;
	bool timeout_ok;
	bool tsize_ok;       /* the client asked for tsize with a valid number */
	uint64_t tsize_req;  /* the value the client sent (a WRQ's upload size) */
	unsigned n_ignored;  /* options ignored: unknown, duplicate or invalid */
};

/* Decides the options of one request. Rules:
 * - unknown options are ignored;
 * - a repeated option: the first occurrence counts, repeats are ignored;
 * - invalid values (not a plain decimal number, blksize < 8 or > 65464, windowsize 0 or
 *   > 65535, timeout 0 or > 255) are ignored, as if the option had not been sent;
 * - valid values above the server's limits are clamped to them (the OACK carries the
 *   smaller value, which RFC 2348 and RFC 7440 allow).
 * Never fails; returns the result in *ret. */
void bw_tftp_negotiate(const struct bw_tftp_req *req, const struct bw_tftp_limits *lim,
		       struct bw_tftp_neg *ret);

/* True when at least one option is accepted, i.e. an OACK must be sent. tsize counts only
 * when the size is known (have_tsize). */
bool bw_tftp_neg_wants_oack(const struct bw_tftp_neg *neg, bool have_tsize);

/* Builds the OACK for neg into buf; tsize is included when neg->tsize_ok and have_tsize. */
int bw_tftp_neg_build_oack(const struct bw_tftp_neg *neg, bool have_tsize, uint64_t tsize,
			   uint8_t *buf, size_t cap, size_t *ret_len);

#endif
