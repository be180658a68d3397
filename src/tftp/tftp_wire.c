#include "tftp/tftp_wire.h"

#include <errno.h>
#include <strings.h>

#include "core/cursor.h"

const char *bw_tftp_op_name(int op)
{
	switch (op) {
	case BW_TFTP_OP_RRQ: return "RRQ";
	case BW_TFTP_OP_WRQ: return "WRQ";
	case BW_TFTP_OP_DATA: return "DATA";
	case BW_TFTP_OP_ACK: return "ACK";
	case BW_TFTP_OP_ERROR: return "ERROR";
	case BW_TFTP_OP_OACK: return "OACK";
	default: return "?";
	}
}

static bool tftp_all_nul(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Reads name/value pairs until the buffer ends. Each must be NUL-terminated; an empty name
 * is malformed, an empty value is kept (negotiation decides). With ret_dropped (requests),
 * an incomplete last pair is left out and *ret_dropped set instead of -EBADMSG. */
static int tftp_parse_opts(struct bw_cursor *c, struct bw_tftp_opt *opts, unsigned *ret_n,
			   bool *ret_dropped)
{
	unsigned n = 0;

	while (c->left > 0) {
		const char *name, *value;
		size_t name_len, value_len;

		/* Lenient: some PXE ROMs pad requests with NULs after the last option. */
		if (tftp_all_nul(c->p, c->left))
			break;
		if (c->p[0] == 0)
			return -EBADMSG; /* an empty name */
		if (bw_cur_cstr(c, &name, &name_len) < 0 || bw_cur_cstr(c, &value, &value_len) < 0) {
			if (!ret_dropped)
				return -EBADMSG;
			*ret_dropped = true; /* the pair ran to the end of the packet */
			break;
		}
		if (n == BW_TFTP_MAX_OPTS)
			return -EMSGSIZE;
		opts[n].name = name;
		opts[n].value = value;
		n++;
	}
	*ret_n = n;
	return 0;
}

static int tftp_parse_req(struct bw_cursor *c, struct bw_tftp_req *req)
{
	const char *mode;
	size_t mode_len;
	int r;

	if (bw_cur_cstr(c, &req->filename, &req->filename_len) < 0 || req->filename_len == 0)
		return -EBADMSG;
	if (bw_cur_cstr(c, &mode, &mode_len) < 0 || mode_len == 0)
		return -EBADMSG;
	r = tftp_parse_opts(c, req->opts, &req->n_opts, &req->opt_dropped);
	if (r < 0)
		return r;
	if (strcasecmp(mode, "octet") == 0)
		req->mode = BW_TFTP_MODE_OCTET;
	else if (strcasecmp(mode, "netascii") == 0)
		req->mode = BW_TFTP_MODE_NETASCII;
	else
		return -EOPNOTSUPP;
	return 0;
}

int bw_tftp_parse(const uint8_t *buf, size_t len, struct bw_tftp_msg *ret_msg)
{
	struct bw_tftp_msg m;
	struct bw_cursor c;
	uint16_t op;
	size_t msg_len;
	int r = 0;

	bw_cur_init(&c, buf, len);
	if (bw_cur_be16(&c, &op) < 0)
		return -EBADMSG;
	memset(&m, 0, sizeof(m));
	m.op = (enum bw_tftp_op)op;
	switch (op) {
	case BW_TFTP_OP_RRQ:
	case BW_TFTP_OP_WRQ:
		if (len > BW_TFTP_REQ_MAX)
			return -EMSGSIZE;
		r = tftp_parse_req(&c, &m.req);
		break;
	case BW_TFTP_OP_DATA:
		if (len > BW_TFTP_PKT_MAX)
			return -EMSGSIZE;
		if (bw_cur_be16(&c, &m.data.block) < 0)
			return -EBADMSG;
		m.data.len = c.left;
		m.data.data = c.p;
		break;
	case BW_TFTP_OP_ACK:
		/* Trailing bytes after an ACK are tolerated: some embedded clients pad. */
		if (bw_cur_be16(&c, &m.ack.block) < 0)
			return -EBADMSG;
		break;
	case BW_TFTP_OP_ERROR:
		if (bw_cur_be16(&c, &m.error.code) < 0)
			return -EBADMSG;
		/* A missing message or terminator is tolerated: the code is what matters. */
		if (c.left == 0 || bw_cur_cstr(&c, &m.error.msg, &msg_len) < 0)
			m.error.msg = "";
		break;
	case BW_TFTP_OP_OACK:
		if (len > BW_TFTP_REQ_MAX)
			return -EMSGSIZE;
		r = tftp_parse_opts(&c, m.oack.opts, &m.oack.n_opts, NULL);
		break;
	default:
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	*ret_msg = m;
	return 0;
}

const char *bw_tftp_request_refusal(const uint8_t *buf, size_t len, int r)
{
	unsigned op;

	if (len < 2)
		return NULL;
	op = (unsigned)buf[0] << 8 | buf[1];
	if (op == 0 || op > BW_TFTP_OP_OACK)
		return "illegal TFTP operation: unknown opcode";
	if (op != BW_TFTP_OP_RRQ && op != BW_TFTP_OP_WRQ)
		return NULL;
	if (r == -EMSGSIZE)
		return len > BW_TFTP_REQ_MAX ? "illegal TFTP operation: request too long"
					     : "illegal TFTP operation: too many options";
	if (r == -EBADMSG)
		return "illegal TFTP operation: malformed request";
	return NULL;
}

int bw_tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block, size_t *ret_len)
{
	struct bw_wcursor w;

	bw_wcur_init(&w, buf, cap);
	if (bw_wcur_be16(&w, BW_TFTP_OP_ACK) < 0 || bw_wcur_be16(&w, block) < 0)
		return -EMSGSIZE;
	*ret_len = w.used;
	return 0;
}

int bw_tftp_build_data_hdr(uint8_t *buf, size_t cap, uint16_t block, size_t *ret_len)
{
	struct bw_wcursor w;

	bw_wcur_init(&w, buf, cap);
	if (bw_wcur_be16(&w, BW_TFTP_OP_DATA) < 0 || bw_wcur_be16(&w, block) < 0)
		return -EMSGSIZE;
	*ret_len = w.used;
	return 0;
}

int bw_tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg,
			size_t *ret_len)
{
	struct bw_wcursor w;

	bw_wcur_init(&w, buf, cap);
	if (bw_wcur_be16(&w, BW_TFTP_OP_ERROR) < 0 || bw_wcur_be16(&w, code) < 0 ||
	    bw_wcur_cstr(&w, msg ? msg : "") < 0)
		return -EMSGSIZE;
	*ret_len = w.used;
	return 0;
}

static int tftp_put_opts(struct bw_wcursor *w, const struct bw_tftp_opt *opts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (bw_wcur_cstr(w, opts[i].name) < 0 || bw_wcur_cstr(w, opts[i].value) < 0)
			return -EMSGSIZE;
	return 0;
}

int bw_tftp_build_oack(uint8_t *buf, size_t cap, const struct bw_tftp_opt *opts, unsigned n,
		       size_t *ret_len)
{
	struct bw_wcursor w;

	bw_wcur_init(&w, buf, cap);
	if (bw_wcur_be16(&w, BW_TFTP_OP_OACK) < 0 || tftp_put_opts(&w, opts, n) < 0)
		return -EMSGSIZE;
	*ret_len = w.used;
	return 0;
}

int bw_tftp_build_req(uint8_t *buf, size_t cap, enum bw_tftp_op op, const char *filename,
		      const char *mode, const struct bw_tftp_opt *opts, unsigned n,
		      size_t *ret_len)
{
	struct bw_wcursor w;

	bw_wcur_init(&w, buf, cap);
	if (bw_wcur_be16(&w, (uint16_t)op) < 0 || bw_wcur_cstr(&w, filename) < 0 ||
	    bw_wcur_cstr(&w, mode) < 0 || tftp_put_opts(&w, opts, n) < 0)
		return -EMSGSIZE;
	*ret_len = w.used;
	return 0;
}
