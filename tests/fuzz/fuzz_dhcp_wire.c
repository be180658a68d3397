/* Fuzz target: bw_dhcp_parse() on any bytes. A packet that parses is checked against its own
 * bytes (header fields, option views inside the input or the scratch, message type), then
 * rebuilt with the builder from its header and every option, parsed again and compared; the
 * rebuilt packet must also fail cleanly with -EMSGSIZE one byte short of its size, by cap and
 * by limit. Every broken invariant abort()s.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp/dhcp_wire.h"
#include "fuzz_assert.h"

#define FUZZ_OFF_SNAME 44
#define FUZZ_OFF_FILE 108
#define FUZZ_OFF_OPTS 240
/* Rebuilt options may need the room that sname and file gave them in the input. */
#define FUZZ_OUT_MAX (BW_DHCP_MAX_LEN + 256)

/* Large: static, not on the stack. */
static struct bw_dhcp_msg fuzz_m, fuzz_m2;
static uint8_t fuzz_out[FUZZ_OUT_MAX];
static uint8_t fuzz_out2[FUZZ_OUT_MAX + 1];

static uint32_t fuzz_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool fuzz_inside(const uint8_t *p, size_t n, const uint8_t *base, size_t base_len)
{
	return p >= base && p <= base + base_len && n <= base_len - (size_t)(p - base);
}

/* A NUL-terminated copy of a name field, as the parser should have made it. */
static void fuzz_check_name(const char *got, size_t cap, const uint8_t *field, size_t n,
                            bool overloaded)
{
	FUZZ_ASSERT(memchr(got, 0, cap) != NULL);
	if (overloaded) {
		FUZZ_ASSERT(got[0] == '\0');
		return;
	}
	size_t l = strnlen((const char *)field, n);
	FUZZ_ASSERT(strlen(got) == l && memcmp(got, field, l) == 0);
}

static void fuzz_check_msg(const struct bw_dhcp_msg *m, const uint8_t *data, size_t size)
{
	const struct bw_dhcp_hdr *h = &m->hdr;

	FUZZ_ASSERT(size >= BW_DHCP_FIXED_LEN && size <= BW_DHCP_MAX_LEN);
	FUZZ_ASSERT(h->op == BW_DHCP_OP_REQUEST || h->op == BW_DHCP_OP_REPLY);
	FUZZ_ASSERT(h->op == data[0] && h->htype == data[1] && h->hlen == data[2]);
	FUZZ_ASSERT(h->htype == BW_DHCP_HTYPE_ETHER && h->hlen == 6);
	FUZZ_ASSERT(h->hops == data[3]);
	FUZZ_ASSERT(h->xid == fuzz_be32(data + 4));
	FUZZ_ASSERT(h->secs == ((data[8] << 8) | data[9]));
	FUZZ_ASSERT(h->flags == ((data[10] << 8) | data[11]));
	FUZZ_ASSERT(memcmp(&h->ciaddr, data + 12, 4) == 0 && memcmp(&h->yiaddr, data + 16, 4) == 0);
	FUZZ_ASSERT(memcmp(&h->siaddr, data + 20, 4) == 0 && memcmp(&h->giaddr, data + 24, 4) == 0);
	FUZZ_ASSERT(memcmp(h->chaddr, data + 28, 16) == 0);

	bool cookie = size >= FUZZ_OFF_OPTS && fuzz_be32(data + 236) == BW_DHCP_COOKIE;
	FUZZ_ASSERT(m->has_cookie == cookie);
	FUZZ_ASSERT(m->overload <= 3);
	FUZZ_ASSERT(m->scratch_used <= BW_DHCP_SCRATCH);
	fuzz_check_name(h->sname, sizeof(h->sname), data + FUZZ_OFF_SNAME, 64, m->overload & 2);
	fuzz_check_name(h->file, sizeof(h->file), data + FUZZ_OFF_FILE, 128, m->overload & 1);

	FUZZ_ASSERT(!m->opt[BW_DHCP_OPT_PAD].present && !m->opt[BW_DHCP_OPT_END].present);
	for (unsigned code = 0; code < 256; code++) {
		const struct bw_dhcp_opt *o = &m->opt[code];

		if (!o->present)
			continue;
		FUZZ_ASSERT(m->has_cookie);
		FUZZ_ASSERT(o->len <= BW_DHCP_SCRATCH);
		FUZZ_ASSERT(o->data != NULL);
		if (fuzz_inside(o->data, o->len, data, size)) {
			/* a single piece: its code and length are right before it */
			FUZZ_ASSERT(o->data >= data + 2);
			FUZZ_ASSERT(o->data[-2] == code && o->data[-1] == o->len);
			FUZZ_ASSERT(o->len <= 255);
		} else {
			FUZZ_ASSERT(fuzz_inside(o->data, o->len, m->scratch, m->scratch_used));
		}
	}
	if (m->opt[BW_DHCP_OPT_MSG_TYPE].present) {
		const struct bw_dhcp_opt *o = &m->opt[BW_DHCP_OPT_MSG_TYPE];
		FUZZ_ASSERT(o->len == 1 && o->data[0] >= 1 && o->data[0] <= 8);
		FUZZ_ASSERT(m->type == o->data[0]);
	} else {
		FUZZ_ASSERT(m->type == BW_DHCP_NONE);
	}
	if (m->overload) {
		const struct bw_dhcp_opt *o = &m->opt[BW_DHCP_OPT_OVERLOAD];
		FUZZ_ASSERT(o->present && o->len == 1 && o->data[0] == m->overload);
	} else {
		FUZZ_ASSERT(!m->opt[BW_DHCP_OPT_OVERLOAD].present);
	}
	FUZZ_ASSERT(bw_dhcp_type_name(m->type) != NULL);

	/* the helpers agree with the table */
	for (unsigned code = 0; code < 256; code++) {
		const struct bw_dhcp_opt *o = &m->opt[code];
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;

		FUZZ_ASSERT(bw_dhcp_opt_u8(m, (uint8_t)code, &u8) == (o->present && o->len == 1));
		FUZZ_ASSERT(bw_dhcp_opt_u16(m, (uint8_t)code, &u16) == (o->present && o->len == 2));
		FUZZ_ASSERT(bw_dhcp_opt_u32(m, (uint8_t)code, &u32) == (o->present && o->len == 4));
		FUZZ_ASSERT(bw_dhcp_opt_addr(m, (uint8_t)code, &u32) ==
		            (o->present && o->len == 4));
		if (o->present && o->len == 4)
			FUZZ_ASSERT(memcmp(&u32, o->data, 4) == 0);
	}
}

/* Header, then every present option but 52 in code order, into buf under cap and limit. */
static int fuzz_build(const struct bw_dhcp_msg *m, uint8_t *buf, size_t cap, size_t limit,
                      size_t *ret_len)
{
	struct bw_dhcp_builder b;
	int r = bw_dhcp_build_start(&b, buf, cap, &m->hdr);

	if (r < 0)
		return r;
	FUZZ_ASSERT(b.limit <= cap);
	if (limit) {
		bw_dhcp_build_set_limit(&b, limit);
		FUZZ_ASSERT(b.limit <= cap && b.limit >= BW_DHCP_MIN_REPLY);
	}
	for (unsigned code = 1; code < 255; code++) {
		const struct bw_dhcp_opt *o = &m->opt[code];
		size_t before = b.len;

		if (!o->present || code == BW_DHCP_OPT_OVERLOAD)
			continue;
		r = bw_dhcp_build_opt(&b, (uint8_t)code, o->data, o->len);
		if (r < 0) {
			FUZZ_ASSERT(r == -EMSGSIZE && b.len == before);
			return r;
		}
		FUZZ_ASSERT(b.len <= b.limit);
	}
	return bw_dhcp_build_finish(&b, ret_len);
}

static void fuzz_same(const struct bw_dhcp_msg *a, const struct bw_dhcp_msg *b)
{
	FUZZ_ASSERT(a->hdr.op == b->hdr.op && a->hdr.hops == b->hdr.hops);
	FUZZ_ASSERT(a->hdr.xid == b->hdr.xid && a->hdr.secs == b->hdr.secs);
	FUZZ_ASSERT(a->hdr.flags == b->hdr.flags && a->hdr.ciaddr == b->hdr.ciaddr);
	FUZZ_ASSERT(a->hdr.yiaddr == b->hdr.yiaddr && a->hdr.siaddr == b->hdr.siaddr);
	FUZZ_ASSERT(a->hdr.giaddr == b->hdr.giaddr);
	FUZZ_ASSERT(memcmp(a->hdr.chaddr, b->hdr.chaddr, 16) == 0);
	FUZZ_ASSERT(strcmp(a->hdr.sname, b->hdr.sname) == 0);
	FUZZ_ASSERT(strcmp(a->hdr.file, b->hdr.file) == 0);
	FUZZ_ASSERT(a->type == b->type);
	FUZZ_ASSERT(b->has_cookie && b->overload == 0);
	for (unsigned code = 0; code < 256; code++) {
		const struct bw_dhcp_opt *x = &a->opt[code], *y = &b->opt[code];

		if (code == BW_DHCP_OPT_OVERLOAD)
			continue;
		FUZZ_ASSERT(x->present == y->present);
		if (x->present)
			FUZZ_ASSERT(x->len == y->len &&
			            (x->len == 0 || memcmp(x->data, y->data, x->len) == 0));
	}
}

static void fuzz_rebuild(const struct bw_dhcp_msg *m)
{
	size_t len = 0, len2;
	int r;

	r = fuzz_build(m, fuzz_out, sizeof(fuzz_out), 0, &len);
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(len >= BW_DHCP_MIN_REPLY && len <= sizeof(fuzz_out));
	FUZZ_ASSERT(fuzz_out[len - 1] == BW_DHCP_OPT_END || len == BW_DHCP_MIN_REPLY);

	memset(&fuzz_m2, 0xa5, sizeof(fuzz_m2));
	r = bw_dhcp_parse(fuzz_out, len, &fuzz_m2);
	if (len > BW_DHCP_MAX_LEN) {
		FUZZ_ASSERT(r == -EMSGSIZE);
	} else {
		FUZZ_ASSERT(r == 0);
		fuzz_same(m, &fuzz_m2);
	}

	/* exactly big enough, and one byte short: by cap, then by limit */
	len2 = 0xdead;
	FUZZ_ASSERT(fuzz_build(m, fuzz_out2, len, 0, &len2) == 0);
	FUZZ_ASSERT(len2 == len && memcmp(fuzz_out, fuzz_out2, len) == 0);
	fuzz_out2[len - 1] = 0x5a;
	len2 = 0xdead;
	FUZZ_ASSERT(fuzz_build(m, fuzz_out2, len - 1, 0, &len2) == -EMSGSIZE);
	FUZZ_ASSERT(len2 == 0xdead && fuzz_out2[len - 1] == 0x5a);
	FUZZ_ASSERT(fuzz_build(m, fuzz_out2, sizeof(fuzz_out2), len, &len2) == 0 && len2 == len);
	if (len > BW_DHCP_MIN_REPLY) {
		len2 = 0xdead;
		FUZZ_ASSERT(fuzz_build(m, fuzz_out2, sizeof(fuzz_out2), len - 1, &len2) ==
		            -EMSGSIZE);
		FUZZ_ASSERT(len2 == 0xdead);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r;

	memset(&fuzz_m, 0xa5, sizeof(fuzz_m));
	r = bw_dhcp_parse(data, size, &fuzz_m);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG || r == -EMSGSIZE || r == -EOPNOTSUPP);
		if (size > BW_DHCP_MAX_LEN)
			FUZZ_ASSERT(r == -EMSGSIZE);
		if (size < BW_DHCP_FIXED_LEN)
			FUZZ_ASSERT(r == -EBADMSG);
		if (r == -EOPNOTSUPP)
			FUZZ_ASSERT(data[1] != BW_DHCP_HTYPE_ETHER || data[2] != 6);
		return 0;
	}
	FUZZ_ASSERT(r == 0);
	fuzz_check_msg(&fuzz_m, data, size);
	fuzz_rebuild(&fuzz_m);
	return 0;
}
