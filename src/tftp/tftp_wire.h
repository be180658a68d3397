/* TFTP packets: bytes to structs and back (RFC 1350, 2347, 2348, 2349, 7440).
 * Pure: no sockets, no clock, no globals, no logging. */
#ifndef BW_TFTP_WIRE_H
#define BW_TFTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bw_tftp_op {
	BW_TFTP_OP_RRQ = 1,
	BW_TFTP_OP_WRQ = 2,
	BW_TFTP_OP_DATA = 3,
	BW_TFTP_OP_ACK = 4,
	BW_TFTP_OP_ERROR = 5,
	BW_TFTP_OP_OACK = 6,
};

enum bw_tftp_mode {
	BW_TFTP_MODE_OCTET = 0,
	BW_TFTP_MODE_NETASCII = 1,
};

enum bw_tftp_err {
	BW_TFTP_ERR_UNDEF = 0,
	BW_TFTP_ERR_NOT_FOUND = 1,
	BW_TFTP_ERR_ACCESS = 2,
	BW_TFTP_ERR_DISK_FULL = 3,
	BW_TFTP_ERR_ILLEGAL_OP = 4,
	BW_TFTP_ERR_UNKNOWN_TID = 5,
	BW_TFTP_ERR_EXISTS = 6,
	BW_TFTP_ERR_NO_USER = 7,
	BW_TFTP_ERR_OPTION = 8,
};

#define BW_TFTP_HDR 4               /* opcode + block */
#define BW_TFTP_BLKSIZE_DEFAULT 512
#define BW_TFTP_BLKSIZE_MIN 8
#define BW_TFTP_BLKSIZE_MAX 65464
#define BW_TFTP_WINDOW_MAX 65535
#define BW_TFTP_REQ_MAX 1024        /* RFC 2347 says 512; accepted up to this, leniently */
#define BW_TFTP_PKT_MAX (BW_TFTP_HDR + BW_TFTP_BLKSIZE_MAX)
#define BW_TFTP_MAX_OPTS 16         /* options kept from one request; more is -EMSGSIZE */

/* Name and value are views into the parsed buffer, NUL-terminated there. */
struct bw_tftp_opt {
	const char *name;
	const char *value;
};

struct bw_tftp_req {
	const char *filename; /* never empty, NUL-terminated in the buffer */
	size_t filename_len;
	enum bw_tftp_mode mode;
	unsigned n_opts;
	struct bw_tftp_opt opts[BW_TFTP_MAX_OPTS];
	bool opt_dropped; /* an incomplete option at the end was left out (RFC 2347) */
};

struct bw_tftp_msg {
	enum bw_tftp_op op;
	union {
		struct bw_tftp_req req; /* RRQ, WRQ */
		struct {
			uint16_t block;
			const uint8_t *data;
			size_t len;
		} data; /* DATA */
		struct {
			uint16_t block;
		} ack; /* ACK */
		struct {
			uint16_t code;
			const char *msg; /* may be "" */
		} error; /* ERROR */
		struct {
			unsigned n_opts;
			struct bw_tftp_opt opts[BW_TFTP_MAX_OPTS];
		} oack; /* OACK */
	};
};

/* Parses one TFTP packet. ret_msg holds views into buf, valid while buf is.
 * -EBADMSG: malformed (truncated, opcode 0 or > 6, missing NUL, empty filename, empty
 *           option name, odd strings; in an OACK an option name without value).
 * -EMSGSIZE: request longer than BW_TFTP_REQ_MAX, DATA longer than BW_TFTP_PKT_MAX, or more
 *           than BW_TFTP_MAX_OPTS options.
 * -EOPNOTSUPP: a request with a mode other than octet/netascii ("mail" or unknown).
 * Mode and option names compare case-insensitively (RFC 1350, RFC 2347).
 * Deliberate leniencies: NUL padding after the mode or the last option value ends the
 * request (some PXE ROMs pad); in a request, an incomplete last option (a name without
 * value, with or without its NUL, or a value without its NUL) is left out and
 * req.opt_dropped set: RFC 2347 has a server ignore the options it cannot use, and the
 * rest of the request is fine; an ERROR without message or terminator parses with msg "";
 * bytes after an ACK's block number are ignored. */
int bw_tftp_parse(const uint8_t *buf, size_t len, struct bw_tftp_msg *ret_msg);

/* The answer to a packet on the request port that bw_tftp_parse() refused with r < 0: the
 * message of an ERROR 4 (BW_TFTP_ERR_ILLEGAL_OP) for an unknown opcode ("illegal TFTP
 * operation: unknown opcode") and for an RRQ or WRQ that is too long ("... request too
 * long"), has too many options ("... too many options") or is malformed ("... malformed
 * request"); NULL when the packet is dropped unanswered: shorter than an opcode, or a
 * DATA, ACK, ERROR or OACK (strays of a transfer; an ERROR is never answered with one).
 * -EOPNOTSUPP (a mode we do not serve) is answered by the caller. Pure. */
const char *bw_tftp_request_refusal(const uint8_t *buf, size_t len, int r);

/* Builders write into buf (cap bytes), store the packet length in *ret_len and return 0, or
 * return -EMSGSIZE without writing *ret_len when it does not fit. */
int bw_tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block, size_t *ret_len);
/* Writes the 4-byte DATA header only; the payload follows in the caller's buffer or iovec. */
int bw_tftp_build_data_hdr(uint8_t *buf, size_t cap, uint16_t block, size_t *ret_len);
int bw_tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg,
			size_t *ret_len);
int bw_tftp_build_oack(uint8_t *buf, size_t cap, const struct bw_tftp_opt *opts, unsigned n,
		       size_t *ret_len);
/* A request (used by tests, tools and the fuzz harness). */
int bw_tftp_build_req(uint8_t *buf, size_t cap, enum bw_tftp_op op, const char *filename,
		      const char *mode, const struct bw_tftp_opt *opts, unsigned n,
		      size_t *ret_len);

const char *bw_tftp_op_name(int op);

#endif
