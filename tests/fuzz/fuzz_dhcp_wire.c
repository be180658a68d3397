/* Fuzz target: bw_dhcp_parse() on any bytes. A packet that parses is checked against its own
 * bytes (header fields, option views inside the input or the scratch, message type), then
 * rebuilt with the builder from its header and every option, parsed again and compared; the
 * rebuilt packet must also fail cleanly with -EMSGSIZE one byte short of its size, by cap and
 * by limit, and wrapped in IPv4 and UDP headers (bw_dhcp_build_udp4, the raw-socket send)
 * it must carry both checksums right. The parsed message then goes through the PXE policy
 * (dhcp_pxe.c: classify, choose a boot file, quirks) as dhcp_server.c uses it. Every broken
 * invariant abort()s.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp/dhcp_pxe.h"
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
static uint8_t fuzz_dgram[BW_DHCP_UDP4_HDR + FUZZ_OUT_MAX];

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
		/* the one- and four-byte helpers write the same bytes */
		if (o->len == 1)
			r = bw_dhcp_build_opt_u8(&b, (uint8_t)code, o->data[0]);
		else if (o->len == 4)
			r = bw_dhcp_build_opt_u32(&b, (uint8_t)code, fuzz_be32(o->data));
		else
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

/* Checksums over the IPv4 header, and over the UDP pseudo-header, header and payload, fold
 * to 0xffff when right (RFC 1071). */
static void fuzz_check_udp4(const uint8_t *pkt, size_t len, const struct bw_dhcp_hdr *h)
{
	struct bw_dhcp_udp4 u = {.src = ntohl(h->siaddr), .dst = ntohl(h->yiaddr),
				 .sport = 67, .dport = 68, .ip_id = (uint16_t)h->xid,
				 .ttl = 64, .dont_fragment = h->xid & 1};
	uint8_t pseudo[12];
	size_t n = 0xdead, n2 = 0xdead;
	uint32_t sum;

	FUZZ_ASSERT(bw_dhcp_build_udp4(&u, pkt, len, fuzz_dgram, BW_DHCP_UDP4_HDR + len - 1, &n2) ==
		    -EMSGSIZE && n2 == 0xdead);
	FUZZ_ASSERT(bw_dhcp_build_udp4(&u, pkt, len, fuzz_dgram, sizeof(fuzz_dgram), &n) == 0);
	FUZZ_ASSERT(n == BW_DHCP_UDP4_HDR + len);
	FUZZ_ASSERT(fuzz_dgram[0] == 0x45 && fuzz_dgram[9] == 17);
	FUZZ_ASSERT(((fuzz_dgram[2] << 8) | fuzz_dgram[3]) == (int)n);
	FUZZ_ASSERT(bw_dhcp_csum_add(0, fuzz_dgram, 20) == 0xffff);
	FUZZ_ASSERT(((fuzz_dgram[24] << 8) | fuzz_dgram[25]) == (int)(n - 20));
	FUZZ_ASSERT(memcmp(fuzz_dgram + BW_DHCP_UDP4_HDR, pkt, len) == 0);
	memcpy(pseudo, fuzz_dgram + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = fuzz_dgram[24];
	pseudo[11] = fuzz_dgram[25];
	sum = bw_dhcp_csum_add(0, pseudo, sizeof(pseudo));
	FUZZ_ASSERT(bw_dhcp_csum_add(sum, fuzz_dgram + 20, n - 20) == 0xffff);
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
	fuzz_check_udp4(fuzz_out, len, &m->hdr);

	/* a limit below the minimum reply (a client's tiny option 57) is raised to it */
	struct bw_dhcp_builder b;
	FUZZ_ASSERT(bw_dhcp_build_start(&b, fuzz_out2, sizeof(fuzz_out2), &m->hdr) == 0);
	bw_dhcp_build_set_limit(&b, m->hdr.secs % BW_DHCP_MIN_REPLY);
	FUZZ_ASSERT(b.limit == BW_DHCP_MIN_REPLY);
}

/* The PXE policy on any parsed request: a classification that agrees with the options, a
 * boot file that is NUL-terminated, a URL exactly when it says so, one quirk row. */
static void fuzz_check_pxe(const struct bw_dhcp_msg *m)
{
	static const struct bw_pxe_boot_files files = {"undionly.kpxe", "ipxe.efi",
						       "ipxe-ia32.efi", "ipxe-arm64.efi",
						       "boot.ipxe"};
	const struct bw_dhcp_opt *arch = &m->opt[BW_DHCP_OPT_CLIENT_ARCH];
	struct bw_pxe_client c;
	struct bw_pxe_choice ch;
	bool http;

	memset(&c, 0xa5, sizeof(c));
	bw_pxe_classify(m, &c);
	FUZZ_ASSERT(memchr(c.vendor_class, 0, sizeof(c.vendor_class)) != NULL);
	FUZZ_ASSERT(c.has_arch == (arch->present && arch->len >= 2 && arch->len % 2 == 0));
	if (c.has_arch) {
		FUZZ_ASSERT(c.arch_code == ((arch->data[0] << 8) | arch->data[1]));
		FUZZ_ASSERT(c.arch == bw_pxe_arch_from_code(c.arch_code, &http));
	}
	if (c.has_uuid)
		FUZZ_ASSERT(memcmp(c.uuid, m->opt[BW_DHCP_OPT_UUID].data + 1, 16) == 0);
	FUZZ_ASSERT(!c.is_pxe || !c.is_http);
	for (int with_http = 0; with_http < 2; with_http++) {
		memset(&ch, 0xa5, sizeof(ch));
		bw_pxe_choose(&c, &files, with_http ? "http://10.0.0.1:8080/" : NULL, &ch);
		FUZZ_ASSERT(memchr(ch.file, 0, sizeof(ch.file)) != NULL);
		FUZZ_ASSERT(ch.boot == (ch.file[0] != '\0'));
		FUZZ_ASSERT(!ch.url || strncmp(ch.file, "http://", 7) == 0);
		FUZZ_ASSERT(!ch.echo_http_client || (c.is_http && ch.url));
		FUZZ_ASSERT(!ch.boot || c.is_ipxe || c.is_http || c.is_pxe);
		if (c.is_ipxe && ch.boot)
			FUZZ_ASSERT(strstr(ch.file, "boot.ipxe") != NULL); /* never iPXE again */
	}
	FUZZ_ASSERT(bw_pxe_quirks_for(&c) != NULL && bw_pxe_quirks_for(&c)->name != NULL);
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
	fuzz_check_pxe(&fuzz_m);
	return 0;
}
