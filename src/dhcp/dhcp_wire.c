#include "dhcp/dhcp_wire.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/cursor.h"

const char *bw_dhcp_type_name(enum bw_dhcp_msg_type t)
{
	static const char *const names[] = {"BOOTP", "DISCOVER", "OFFER", "REQUEST", "DECLINE",
					    "ACK", "NAK", "RELEASE", "INFORM"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* A region of the packet that carries options: the options field, or file/sname when
 * option 52 says so. */
struct dhcp_field {
	const uint8_t *p;
	size_t len;
	bool is_main;
};

/* Per-code bookkeeping while joining split options (RFC 3396). */
struct dhcp_join {
	uint16_t pieces[256];
	uint16_t total[256];
	uint16_t off[256]; /* where the joined value goes in scratch */
};

typedef int (*dhcp_piece_fn)(struct bw_dhcp_msg *m, struct dhcp_join *j, uint8_t code,
			     const uint8_t *data, uint8_t len);

/* Walks one field's TLVs, calling fn for each option piece. PAD is skipped, END stops;
 * a field that ends without END is accepted. Option 52 outside the main field is ignored. */
static int dhcp_walk(const struct dhcp_field *f, struct bw_dhcp_msg *m, struct dhcp_join *j,
		     dhcp_piece_fn fn)
{
	struct bw_cursor c;

	bw_cur_init(&c, f->p, f->len);
	while (c.left > 0) {
		uint8_t code, len;
		const uint8_t *data;
		int r;

		bw_cur_u8(&c, &code);
		if (code == BW_DHCP_OPT_PAD)
			continue;
		if (code == BW_DHCP_OPT_END)
			break;
		if (bw_cur_u8(&c, &len) < 0 || bw_cur_bytes(&c, len, &data) < 0)
			return -EBADMSG;
		if (code == BW_DHCP_OPT_OVERLOAD && !f->is_main)
			continue;
		r = fn(m, j, code, data, len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dhcp_count_piece(struct bw_dhcp_msg *m, struct dhcp_join *j, uint8_t code,
			    const uint8_t *data, uint8_t len)
{
	if (j->pieces[code] == 0) {
		m->opt[code].present = true;
		m->opt[code].data = data;
		m->opt[code].len = len;
	}
	j->pieces[code]++;
	if ((size_t)j->total[code] + len > BW_DHCP_SCRATCH)
		return -EMSGSIZE;
	j->total[code] = (uint16_t)(j->total[code] + len);
	return 0;
}

static int dhcp_copy_piece(struct bw_dhcp_msg *m, struct dhcp_join *j, uint8_t code,
			   const uint8_t *data, uint8_t len)
{
	if (j->pieces[code] < 2)
		return 0;
	if (len)
		memcpy(m->scratch + j->off[code], data, len);
	j->off[code] = (uint16_t)(j->off[code] + len);
	return 0;
}

/* Gives every split option a place in scratch; fails when they do not fit. */
static int dhcp_place_joined(struct bw_dhcp_msg *m, struct dhcp_join *j)
{
	for (unsigned code = 1; code < 255; code++) {
		if (j->pieces[code] < 2)
			continue;
		if (m->scratch_used + j->total[code] > BW_DHCP_SCRATCH)
			return -EMSGSIZE;
		j->off[code] = (uint16_t)m->scratch_used;
		m->opt[code].data = m->scratch + m->scratch_used;
		m->opt[code].len = j->total[code];
		m->scratch_used += j->total[code];
	}
	return 0;
}

static int dhcp_parse_options(struct bw_dhcp_msg *m, const uint8_t *opts, size_t opts_len,
			      const uint8_t *file, const uint8_t *sname)
{
	struct dhcp_join j;
	struct dhcp_field fields[3] = {{opts, opts_len, true}};
	unsigned nf = 1;
	int r;

	memset(&j, 0, sizeof(j));
	/* Option 52 can only come from the main field; find it first. */
	r = dhcp_walk(&fields[0], m, &j, dhcp_count_piece);
	if (r < 0)
		return r;
	if (m->opt[BW_DHCP_OPT_OVERLOAD].present) {
		if (m->opt[BW_DHCP_OPT_OVERLOAD].len != 1 || m->opt[BW_DHCP_OPT_OVERLOAD].data[0] < 1 ||
		    m->opt[BW_DHCP_OPT_OVERLOAD].data[0] > 3)
			return -EBADMSG;
		m->overload = m->opt[BW_DHCP_OPT_OVERLOAD].data[0];
	}
	/* RFC 3396: the options field, then file, then sname. */
	if (m->overload & 1)
		fields[nf++] = (struct dhcp_field){file, 128, false};
	if (m->overload & 2)
		fields[nf++] = (struct dhcp_field){sname, 64, false};
	for (unsigned i = 1; i < nf; i++) {
		r = dhcp_walk(&fields[i], m, &j, dhcp_count_piece);
		if (r < 0)
			return r;
	}
	r = dhcp_place_joined(m, &j);
	for (unsigned i = 0; r == 0 && i < nf; i++)
		r = dhcp_walk(&fields[i], m, &j, dhcp_copy_piece);
	/* Option 52 repeated joins into more than one byte (RFC 3396): malformed. */
	if (r == 0 && m->opt[BW_DHCP_OPT_OVERLOAD].present && m->opt[BW_DHCP_OPT_OVERLOAD].len != 1)
		return -EBADMSG;
	return r;
}

static void dhcp_copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t l = strnlen((const char *)src, n);

	if (l >= cap)
		l = cap - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

static int dhcp_parse_hdr(struct bw_cursor *c, struct bw_dhcp_hdr *h, const uint8_t **ret_sname,
			  const uint8_t **ret_file)
{
	const uint8_t *p;

	bw_cur_u8(c, &h->op);
	bw_cur_u8(c, &h->htype);
	bw_cur_u8(c, &h->hlen);
	bw_cur_u8(c, &h->hops);
	bw_cur_be32(c, &h->xid);
	bw_cur_be16(c, &h->secs);
	bw_cur_be16(c, &h->flags);
	bw_cur_bytes(c, 16, &p); /* four addresses, kept in network byte order */
	memcpy(&h->ciaddr, p, 4);
	memcpy(&h->yiaddr, p + 4, 4);
	memcpy(&h->siaddr, p + 8, 4);
	memcpy(&h->giaddr, p + 12, 4);
	bw_cur_bytes(c, 16, &p);
	memcpy(h->chaddr, p, 16);
	bw_cur_bytes(c, 64, ret_sname);
	bw_cur_bytes(c, 128, ret_file);
	if (h->op != BW_DHCP_OP_REQUEST && h->op != BW_DHCP_OP_REPLY)
		return -EBADMSG;
	if (h->hlen > 16)
		return -EBADMSG;
	if (h->htype != BW_DHCP_HTYPE_ETHER || h->hlen != 6)
		return -EOPNOTSUPP;
	return 0;
}

/* Option 53, checked. */
static int dhcp_parse_type(struct bw_dhcp_msg *m)
{
	const struct bw_dhcp_opt *o = &m->opt[BW_DHCP_OPT_MSG_TYPE];

	m->type = BW_DHCP_NONE;
	if (!o->present)
		return 0;
	if (o->len != 1 || o->data[0] < BW_DHCP_DISCOVER || o->data[0] > BW_DHCP_INFORM)
		return -EBADMSG;
	m->type = (enum bw_dhcp_msg_type)o->data[0];
	return 0;
}

int bw_dhcp_parse(const uint8_t *buf, size_t len, struct bw_dhcp_msg *ret_msg)
{
	struct bw_dhcp_msg *m = ret_msg;
	const uint8_t *sname, *file;
	struct bw_cursor c;
	uint32_t cookie;
	int r;

	if (len > BW_DHCP_MAX_LEN)
		return -EMSGSIZE;
	if (len < BW_DHCP_FIXED_LEN)
		return -EBADMSG;
	/* Built in place (the struct is large); on failure the caller must not use it. */
	memset(m, 0, offsetof(struct bw_dhcp_msg, scratch));
	m->scratch_used = 0;
	bw_cur_init(&c, buf, len);
	r = dhcp_parse_hdr(&c, &m->hdr, &sname, &file);
	if (r < 0)
		return r;
	if (bw_cur_be32(&c, &cookie) == 0 && cookie == BW_DHCP_COOKIE) {
		m->has_cookie = true;
		r = dhcp_parse_options(m, c.p, c.left, file, sname);
		if (r < 0)
			return r;
		r = dhcp_parse_type(m);
		if (r < 0)
			return r;
	}
	if (!(m->overload & 1))
		dhcp_copy_str(m->hdr.file, sizeof(m->hdr.file), file, 128);
	if (!(m->overload & 2))
		dhcp_copy_str(m->hdr.sname, sizeof(m->hdr.sname), sname, 64);
	return 0;
}

bool bw_dhcp_opt_u8(const struct bw_dhcp_msg *m, uint8_t code, uint8_t *ret)
{
	const struct bw_dhcp_opt *o = &m->opt[code];

	if (!o->present || o->len != 1)
		return false;
	*ret = o->data[0];
	return true;
}

bool bw_dhcp_opt_u16(const struct bw_dhcp_msg *m, uint8_t code, uint16_t *ret)
{
	const struct bw_dhcp_opt *o = &m->opt[code];

	if (!o->present || o->len != 2)
		return false;
	*ret = (uint16_t)((o->data[0] << 8) | o->data[1]);
	return true;
}

bool bw_dhcp_opt_u32(const struct bw_dhcp_msg *m, uint8_t code, uint32_t *ret)
{
	const struct bw_dhcp_opt *o = &m->opt[code];

	if (!o->present || o->len != 4)
		return false;
	*ret = ((uint32_t)o->data[0] << 24) | ((uint32_t)o->data[1] << 16) |
	       ((uint32_t)o->data[2] << 8) | o->data[3];
	return true;
}

bool bw_dhcp_opt_addr(const struct bw_dhcp_msg *m, uint8_t code, uint32_t *ret)
{
	const struct bw_dhcp_opt *o = &m->opt[code];

	if (!o->present || o->len != 4)
		return false;
	memcpy(ret, o->data, 4);
	return true;
}

int bw_dhcp_build_start(struct bw_dhcp_builder *b, uint8_t *buf, size_t cap,
			const struct bw_dhcp_hdr *h)
{
	struct bw_wcursor w;
	uint8_t name[128];

	if (cap < BW_DHCP_MIN_REPLY)
		return -EMSGSIZE;
	bw_wcur_init(&w, buf, cap);
	bw_wcur_u8(&w, h->op);
	bw_wcur_u8(&w, h->htype);
	bw_wcur_u8(&w, h->hlen);
	bw_wcur_u8(&w, h->hops);
	bw_wcur_be32(&w, h->xid);
	bw_wcur_be16(&w, h->secs);
	bw_wcur_be16(&w, h->flags);
	bw_wcur_bytes(&w, &h->ciaddr, 4);
	bw_wcur_bytes(&w, &h->yiaddr, 4);
	bw_wcur_bytes(&w, &h->siaddr, 4);
	bw_wcur_bytes(&w, &h->giaddr, 4);
	bw_wcur_bytes(&w, h->chaddr, 16);
	memset(name, 0, sizeof(name));
	memcpy(name, h->sname, strnlen(h->sname, 64));
	bw_wcur_bytes(&w, name, 64);
	memset(name, 0, sizeof(name));
	memcpy(name, h->file, strnlen(h->file, 128));
	bw_wcur_bytes(&w, name, 128);
	bw_wcur_be32(&w, BW_DHCP_COOKIE);
	b->buf = buf;
	b->cap = cap;
	b->limit = cap > BW_DHCP_MAX_LEN ? BW_DHCP_MAX_LEN : cap; /* what a parser accepts */
	b->len = w.used;
	return 0;
}

void bw_dhcp_build_set_limit(struct bw_dhcp_builder *b, size_t limit)
{
	if (limit < BW_DHCP_MIN_REPLY)
		limit = BW_DHCP_MIN_REPLY;
	if (limit < b->limit)
		b->limit = limit;
}

int bw_dhcp_build_opt(struct bw_dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t pieces;

	if (len > b->limit) /* also keeps the arithmetic below from wrapping */
		return -EMSGSIZE;
	pieces = len ? (len + 254) / 255 : 1;
	/* the whole option, its piece headers, and room for END */
	if (b->len + len + 2 * pieces + 1 > b->limit)
		return -EMSGSIZE;
	do {
		size_t n = len > 255 ? 255 : len;

		b->buf[b->len++] = code;
		b->buf[b->len++] = (uint8_t)n;
		if (n)
			memcpy(b->buf + b->len, p, n);
		b->len += n;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int bw_dhcp_build_opt_u8(struct bw_dhcp_builder *b, uint8_t code, uint8_t v)
{
	return bw_dhcp_build_opt(b, code, &v, 1);
}

int bw_dhcp_build_opt_u32(struct bw_dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return bw_dhcp_build_opt(b, code, be, 4);
}

int bw_dhcp_build_finish(struct bw_dhcp_builder *b, size_t *ret_len)
{
	if (b->len + 1 > b->limit)
		return -EMSGSIZE;
	b->buf[b->len++] = BW_DHCP_OPT_END;
	if (b->len < BW_DHCP_MIN_REPLY) {
		memset(b->buf + b->len, 0, BW_DHCP_MIN_REPLY - b->len);
		b->len = BW_DHCP_MIN_REPLY;
	}
	*ret_len = b->len;
	return 0;
}

uint16_t bw_dhcp_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int bw_dhcp_build_udp4(const struct bw_dhcp_udp4 *h, const uint8_t *payload, size_t len,
		       uint8_t *out, size_t cap, size_t *ret_len)
{
	struct bw_wcursor w;
	uint8_t pseudo[12];
	size_t ulen = 8 + len;
	uint32_t sum;
	uint16_t c;

	if (len > 65535 - BW_DHCP_UDP4_HDR || cap < BW_DHCP_UDP4_HDR + len)
		return -EMSGSIZE;
	bw_wcur_init(&w, out, cap);
	bw_wcur_u8(&w, 0x45); /* version 4, 5 words */
	bw_wcur_u8(&w, 0);    /* DSCP/ECN */
	bw_wcur_be16(&w, (uint16_t)(20 + ulen));
	bw_wcur_be16(&w, h->ip_id);
	bw_wcur_be16(&w, h->dont_fragment ? 0x4000 : 0);
	bw_wcur_u8(&w, h->ttl);
	bw_wcur_u8(&w, 17); /* UDP */
	bw_wcur_be16(&w, 0);
	bw_wcur_be32(&w, h->src);
	bw_wcur_be32(&w, h->dst);
	c = (uint16_t)~bw_dhcp_csum_add(0, out, 20);
	out[10] = (uint8_t)(c >> 8);
	out[11] = (uint8_t)c;
	bw_wcur_be16(&w, h->sport);
	bw_wcur_be16(&w, h->dport);
	bw_wcur_be16(&w, (uint16_t)ulen);
	bw_wcur_be16(&w, 0);
	bw_wcur_bytes(&w, payload, len);
	memcpy(pseudo, out + 12, 8); /* source and destination */
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)(ulen >> 8);
	pseudo[11] = (uint8_t)ulen;
	sum = bw_dhcp_csum_add(0, pseudo, sizeof(pseudo));
	c = (uint16_t)~bw_dhcp_csum_add(sum, out + 20, ulen);
	if (!c)
		c = 0xffff; /* 0 means "no checksum" in UDP (RFC 768) */
	out[26] = (uint8_t)(c >> 8);
	out[27] = (uint8_t)c;
	*ret_len = w.used;
	return 0;
}
