/* bw_dhcp_parse(), the option helpers and the bw_dhcp_build_*() builder: packets captured
 * from dhclient, udhcpc, iPXE, OVMF and dnsmasq (tests/fixtures/dhcp/README.md), hand-made
 * valid and malformed packets, truncation at every length, overload (RFC 2131 option 52) and
 * split options (RFC 3396), size limits, exact builder output, every too-small buffer and
 * round trips. Messages are large (~4.5 KB): they are static here, never on the stack. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "dhcp/dhcp_wire.h"

#define GUARD 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every packet is parsed from a copy followed by GUARD bytes of 'X', so a parser reading past
 * len sees junk (0x58: an option code with a large length) instead of zeros. Views in the
 * parsed message point into this buffer and stay valid until the next parse(). */
static uint8_t g_pkt[BW_DHCP_MAX_LEN + 16 + GUARD];
static size_t g_pkt_len;
static struct bw_dhcp_msg g_m, g_m2;

static int parse(const uint8_t *pkt, size_t len, struct bw_dhcp_msg *m)
{
	if (len > BW_DHCP_MAX_LEN + 16) {
		fprintf(stderr, "test bug: packet of %zu bytes\n", len);
		abort();
	}
	memmove(g_pkt, pkt, len);
	memset(g_pkt + len, 'X', GUARD);
	g_pkt_len = len;
	memset(m, 0xa5, sizeof(*m));
	return bw_dhcp_parse(g_pkt, len, m);
}

static bool in_range(const uint8_t *p, size_t n, const uint8_t *base, size_t base_len)
{
	return p >= base && p <= base + base_len && n <= base_len - (size_t)(p - base);
}

/* The option's value lies inside the parsed packet (a view of a single piece). */
static bool opt_in_packet(const struct bw_dhcp_opt *o)
{
	return o->data && in_range(o->data, o->len, g_pkt, g_pkt_len);
}

/* The option's value lies inside the message's scratch (joined from several pieces). */
static bool opt_in_scratch(const struct bw_dhcp_msg *m, const struct bw_dhcp_opt *o)
{
	return o->data && in_range(o->data, o->len, m->scratch, m->scratch_used);
}

static unsigned count_present(const struct bw_dhcp_msg *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < 256; i++)
		n += m->opt[i].present;
	return n;
}

static bool opt_is(const struct bw_dhcp_msg *m, uint8_t code, const void *val, size_t len)
{
	const struct bw_dhcp_opt *o = &m->opt[code];
	return o->present && o->len == len && (len == 0 || memcmp(o->data, val, len) == 0);
}

#define CHECK_OPT(m, code, s) check_opt((m), (code), (const uint8_t *)(s), sizeof(s) - 1, __LINE__)

static bool check_opt(const struct bw_dhcp_msg *m, uint8_t code, const uint8_t *val, size_t len,
                      int line)
{
	const struct bw_dhcp_opt *o = &m->opt[code];
	char what[64];

	snprintf(what, sizeof(what), "option %u (line %d)", code, line);
	check_n_run++;
	if (!o->present) {
		check_fail_where(__FILE__, line, what);
		fprintf(stderr, "\toption %u is absent\n", code);
		return false;
	}
	check_n_run--;
	return check_eq_mem(o->data, o->len, val, len, "parsed value", "expected", __FILE__, line);
}

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t x[4] = {a, b, c, d};
	uint32_t v;
	memcpy(&v, x, 4);
	return v;
}

/* ---- hand-made packets ---- */

struct pk {
	uint8_t b[BW_DHCP_MAX_LEN + 16];
	size_t len;
};
static struct pk g_pk;

#define OFF_SNAME 44
#define OFF_FILE 108
#define OFF_COOKIE 236
#define OFF_OPTS 240

/* A DHCP header (op, Ethernet, xid 0x11223344, chaddr 52:54:00:01:02:03) and the cookie. */
static struct pk *pk_init(uint8_t op)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};
	struct pk *p = &g_pk;

	memset(p, 0, sizeof(*p));
	p->b[0] = op;
	p->b[1] = BW_DHCP_HTYPE_ETHER;
	p->b[2] = 6;
	p->b[4] = 0x11, p->b[5] = 0x22, p->b[6] = 0x33, p->b[7] = 0x44;
	memcpy(p->b + 28, mac, 6);
	p->b[OFF_COOKIE] = 0x63, p->b[OFF_COOKIE + 1] = 0x82;
	p->b[OFF_COOKIE + 2] = 0x53, p->b[OFF_COOKIE + 3] = 0x63;
	p->len = OFF_OPTS;
	return p;
}

static void pk_raw(struct pk *p, const void *d, size_t n)
{
	if (p->len + n > sizeof(p->b))
		abort();
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

#define PK_RAW(p, s) pk_raw((p), (s), sizeof(s) - 1)

static void pk_opt(struct pk *p, uint8_t code, const void *d, uint8_t n)
{
	uint8_t h[2] = {code, n};
	pk_raw(p, h, 2);
	pk_raw(p, d, n);
}

static void pk_end(struct pk *p)
{
	pk_raw(p, "\xff", 1);
}

static void pk_pad_to(struct pk *p, size_t n)
{
	if (n > sizeof(p->b))
		abort();
	if (p->len < n)
		memset(p->b + p->len, 0, n - p->len);
	p->len = n;
}

/* A valid DISCOVER: 53=1, 61, 12, END, padded to 300. */
static struct pk *pk_discover(void)
{
	struct pk *p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01");
	PK_RAW(p, "\x3d\x07\x01\x52\x54\x00\x01\x02\x03");
	PK_RAW(p, "\x0c\x04host");
	pk_end(p);
	pk_pad_to(p, 300);
	return p;
}

/* ---- captured packets (tests/fixtures/dhcp/README.md) ---- */

struct fx_opt {
	uint8_t code;
	uint8_t len;
	const char *val;
};

struct fixture {
	const char *file;
	size_t len;
	uint8_t op;
	uint32_t xid;
	uint16_t secs, flags;
	uint8_t ciaddr[4], yiaddr[4], siaddr[4];
	uint8_t chaddr[6];
	enum bw_dhcp_msg_type type;
	size_t end_at; /* offset of END */
	unsigned n_opts;
	struct fx_opt opts[12];
};

/* Generated from the .bin files with a separate TLV walker; values as on the wire. */
static const struct fixture fixtures[] = {
    {"dhcp/discover-dhclient.bin",
     300,
     1,
     0xb6beb219u,
     0,
     0x0000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_DISCOVER,
     262,
     3,
     {
         {53, 1, "\x01"},
         {12, 2, "\x76\x6d"},
         {55, 13, "\x01\x1c\x02\x03\x0f\x06\x77\x0c\x2c\x2f\x1a\x79\x2a"},
     }},
    {"dhcp/offer-dnsmasq.bin",
     300,
     2,
     0xb6beb219u,
     0,
     0x0000,
     {0, 0, 0, 0},
     {10, 98, 0, 58},
     {10, 98, 0, 1},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_OFFER,
     285,
     8,
     {
         {53, 1, "\x02"},
         {54, 4, "\x0a\x62\x00\x01"},
         {51, 4, "\x00\x00\x0e\x10"},
         {58, 4, "\x00\x00\x07\x08"},
         {59, 4, "\x00\x00\x0c\x4e"},
         {1, 4, "\xff\xff\xff\x00"},
         {28, 4, "\x0a\x62\x00\xff"},
         {3, 4, "\x0a\x62\x00\x01"},
     }},
    {"dhcp/request-dhclient.bin",
     300,
     1,
     0xb6beb219u,
     0,
     0x0000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_REQUEST,
     274,
     5,
     {
         {53, 1, "\x03"},
         {54, 4, "\x0a\x62\x00\x01"},
         {50, 4, "\x0a\x62\x00\x3a"},
         {12, 2, "\x76\x6d"},
         {55, 13, "\x01\x1c\x02\x03\x0f\x06\x77\x0c\x2c\x2f\x1a\x79\x2a"},
     }},
    {"dhcp/ack-dnsmasq.bin",
     300,
     2,
     0xb6beb219u,
     0,
     0x0000,
     {0, 0, 0, 0},
     {10, 98, 0, 58},
     {10, 98, 0, 1},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_ACK,
     289,
     9,
     {
         {53, 1, "\x05"},
         {54, 4, "\x0a\x62\x00\x01"},
         {51, 4, "\x00\x00\x0e\x10"},
         {58, 4, "\x00\x00\x07\x08"},
         {59, 4, "\x00\x00\x0c\x4e"},
         {1, 4, "\xff\xff\xff\x00"},
         {28, 4, "\x0a\x62\x00\xff"},
         {3, 4, "\x0a\x62\x00\x01"},
         {12, 2, "\x76\x6d"},
     }},
    {"dhcp/release-dhclient.bin",
     300,
     1,
     0xf1b4af44u,
     0,
     0x0000,
     {10, 98, 0, 58},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_RELEASE,
     253,
     3,
     {
         {53, 1, "\x07"},
         {54, 4, "\x0a\x62\x00\x01"},
         {12, 2, "\x76\x6d"},
     }},
    {"dhcp/discover-udhcpc.bin",
     300,
     1,
     0x72189d6cu,
     0,
     0x0000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_DISCOVER,
     279,
     5,
     {
         {53, 1, "\x01"},
         {57, 2, "\x02\x40"},
         {55, 7, "\x01\x03\x06\x0c\x0f\x1c\x2a"},
         {60, 12, "\x75\x64\x68\x63\x70\x20\x31\x2e\x33\x35\x2e\x30"},
         {61, 7, "\x01\x52\x54\x00\x12\x34\x56"},
     }},
    {"dhcp/offer-dnsmasq-udhcpc.bin",
     300,
     2,
     0x72189d6cu,
     0,
     0x0000,
     {0, 0, 0, 0},
     {10, 98, 0, 58},
     {10, 98, 0, 1},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_OFFER,
     285,
     8,
     {
         {53, 1, "\x02"},
         {54, 4, "\x0a\x62\x00\x01"},
         {51, 4, "\x00\x00\x0e\x10"},
         {58, 4, "\x00\x00\x07\x08"},
         {59, 4, "\x00\x00\x0c\x4e"},
         {1, 4, "\xff\xff\xff\x00"},
         {28, 4, "\x0a\x62\x00\xff"},
         {3, 4, "\x0a\x62\x00\x01"},
     }},
    {"dhcp/request-udhcpc.bin",
     300,
     1,
     0x72189d6cu,
     0,
     0x0000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_REQUEST,
     291,
     7,
     {
         {53, 1, "\x03"},
         {50, 4, "\x0a\x62\x00\x3a"},
         {54, 4, "\x0a\x62\x00\x01"},
         {57, 2, "\x02\x40"},
         {55, 7, "\x01\x03\x06\x0c\x0f\x1c\x2a"},
         {60, 12, "\x75\x64\x68\x63\x70\x20\x31\x2e\x33\x35\x2e\x30"},
         {61, 7, "\x01\x52\x54\x00\x12\x34\x56"},
     }},
    {"dhcp/ack-dnsmasq-udhcpc.bin",
     300,
     2,
     0x72189d6cu,
     0,
     0x0000,
     {0, 0, 0, 0},
     {10, 98, 0, 58},
     {10, 98, 0, 1},
     {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
     BW_DHCP_ACK,
     285,
     8,
     {
         {53, 1, "\x05"},
         {54, 4, "\x0a\x62\x00\x01"},
         {51, 4, "\x00\x00\x0e\x10"},
         {58, 4, "\x00\x00\x07\x08"},
         {59, 4, "\x00\x00\x0c\x4e"},
         {1, 4, "\xff\xff\xff\x00"},
         {28, 4, "\x0a\x62\x00\xff"},
         {3, 4, "\x0a\x62\x00\x01"},
     }},
    {"dhcp/discover-ipxe-bios.bin",
     400,
     1,
     0x38647b28u,
     4,
     0x0000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01},
     BW_DHCP_DISCOVER,
     399,
     10,
     {
         {53, 1, "\x01"},
         {57, 2, "\x05\xc0"},
         {93, 2, "\x00\x00"},
         {94, 3, "\x01\x02\x01"},
         {60, 32,
          "\x50\x58\x45\x43\x6c\x69\x65\x6e\x74\x3a\x41\x72\x63\x68\x3a\x30\x30\x30\x30\x30\x3a\x55"
          "\x4e\x44\x49\x3a\x30\x30\x32\x30\x30\x31"},
         {77, 4, "\x69\x50\x58\x45"},
         {55, 23,
          "\x01\x03\x06\x07\x0c\x0f\x11\x1a\x2b\x3c\x42\x43\x77\x80\x81\x82\x83\x84\x85\x86\x87\xaf"
          "\xcb"},
         {175, 48,
          "\xb1\x05\x01\x80\x86\x10\x0e\xeb\x03\x01\x00\x00\x17\x01\x01\x22\x01\x01\x13\x01\x01\x11"
          "\x01\x01\x27\x01\x01\x19\x01\x01\x29\x01\x01\x10\x01\x02\x21\x01\x01\x15\x01\x01\x18\x01"
          "\x01\x12\x01\x01"},
         {61, 7, "\x01\x52\x54\x00\xaa\xbb\x01"},
         {97, 17, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
     }},
    {"dhcp/request-ipxe-bios.bin",
     412,
     1,
     0x38647b28u,
     14,
     0x0000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01},
     BW_DHCP_REQUEST,
     411,
     12,
     {
         {53, 1, "\x03"},
         {57, 2, "\x05\xc0"},
         {93, 2, "\x00\x00"},
         {94, 3, "\x01\x02\x01"},
         {60, 32,
          "\x50\x58\x45\x43\x6c\x69\x65\x6e\x74\x3a\x41\x72\x63\x68\x3a\x30\x30\x30\x30\x30\x3a\x55"
          "\x4e\x44\x49\x3a\x30\x30\x32\x30\x30\x31"},
         {77, 4, "\x69\x50\x58\x45"},
         {55, 23,
          "\x01\x03\x06\x07\x0c\x0f\x11\x1a\x2b\x3c\x42\x43\x77\x80\x81\x82\x83\x84\x85\x86\x87\xaf"
          "\xcb"},
         {175, 48,
          "\xb1\x05\x01\x80\x86\x10\x0e\xeb\x03\x01\x00\x00\x17\x01\x01\x22\x01\x01\x13\x01\x01\x11"
          "\x01\x01\x27\x01\x01\x19\x01\x01\x29\x01\x01\x10\x01\x02\x21\x01\x01\x15\x01\x01\x18\x01"
          "\x01\x12\x01\x01"},
         {61, 7, "\x01\x52\x54\x00\xaa\xbb\x01"},
         {97, 17, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
         {54, 4, "\x0a\x62\x00\x01"},
         {50, 4, "\x0a\x62\x00\x62"},
     }},
    {"dhcp/discover-ovmf-x64.bin",
     347,
     1,
     0xb6858bcfu,
     0,
     0x8000,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x02},
     BW_DHCP_DISCOVER,
     346,
     7,
     {
         {53, 1, "\x01"},
         {57, 2, "\x05\xc0"},
         {55, 35,
          "\x01\x02\x03\x04\x05\x06\x0c\x0d\x0f\x11\x12\x16\x17\x1c\x28\x29\x2a\x2b\x32\x33\x36\x3a"
          "\x3b\x3c\x42\x43\x61\x80\x81\x82\x83\x84\x85\x86\x87"},
         {97, 17, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
         {94, 3, "\x01\x03\x00"},
         {93, 2, "\x00\x07"},
         {60, 32,
          "\x50\x58\x45\x43\x6c\x69\x65\x6e\x74\x3a\x41\x72\x63\x68\x3a\x30\x30\x30\x30\x37\x3a\x55"
          "\x4e\x44\x49\x3a\x30\x30\x33\x30\x30\x30"},
     }},
};

static void check_fixture(const struct fixture *f, const uint8_t *buf, size_t len)
{
	const struct bw_dhcp_hdr *h = &g_m.hdr;
	static const uint8_t zero[16];
	uint8_t ip[4];

	CHECK_EQ_U64(len, f->len);
	if (!CHECK_EQ_INT(parse(buf, len, &g_m), 0))
		return;
	CHECK_EQ_INT(h->op, f->op);
	CHECK_EQ_INT(h->htype, BW_DHCP_HTYPE_ETHER);
	CHECK_EQ_INT(h->hlen, 6);
	CHECK_EQ_INT(h->hops, 0);
	CHECK_EQ_U64(h->xid, f->xid);
	CHECK_EQ_INT(h->secs, f->secs);
	CHECK_EQ_INT(h->flags, f->flags);
	memcpy(ip, &h->ciaddr, 4);
	CHECK_EQ_MEM(ip, 4, f->ciaddr, 4);
	memcpy(ip, &h->yiaddr, 4);
	CHECK_EQ_MEM(ip, 4, f->yiaddr, 4);
	memcpy(ip, &h->siaddr, 4);
	CHECK_EQ_MEM(ip, 4, f->siaddr, 4);
	CHECK_EQ_U64(h->giaddr, 0);
	CHECK_EQ_MEM(h->chaddr, 6, f->chaddr, 6);
	CHECK_EQ_MEM(h->chaddr + 6, 10, zero, 10);
	CHECK_EQ_STR(h->sname, "");
	CHECK_EQ_STR(h->file, "");
	CHECK(g_m.has_cookie);
	CHECK_EQ_INT(g_m.overload, 0);
	CHECK_EQ_INT(g_m.type, f->type);
	CHECK_EQ_U64(g_m.scratch_used, 0);
	CHECK_EQ_INT(count_present(&g_m), f->n_opts);
	for (unsigned i = 0; i < f->n_opts; i++) {
		const struct fx_opt *x = &f->opts[i];
		const struct bw_dhcp_opt *o = &g_m.opt[x->code];

		if (!CHECK(o->present))
			continue;
		CHECK_EQ_MEM(o->data, o->len, x->val, x->len);
		/* A single piece is a view into the packet, right after its code and length. */
		if (CHECK(opt_in_packet(o)) && CHECK(o->data >= g_pkt + OFF_OPTS + 2)) {
			CHECK_EQ_INT(o->data[-2], x->code);
			CHECK_EQ_INT(o->data[-1], x->len);
		}
	}
	CHECK(!g_m.opt[BW_DHCP_OPT_PAD].present);
	CHECK(!g_m.opt[BW_DHCP_OPT_END].present);
	CHECK(!g_m.opt[BW_DHCP_OPT_OVERLOAD].present);
}

static void test_fixtures(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		uint8_t *buf;
		size_t len;

		check_context = fixtures[i].file;
		if (check_load_fixture(fixtures[i].file, &buf, &len) < 0)
			continue;
		check_fixture(&fixtures[i], buf, len);
		free(buf);
	}
	check_context = NULL;
}

/* The helpers, on what the captured clients and dnsmasq really send. */
static void test_fixture_helpers(void)
{
	uint8_t *buf, u8;
	uint16_t u16;
	uint32_t u32;
	size_t len;

	check_context = "dhcp/offer-dnsmasq.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0)) {
			CHECK(bw_dhcp_opt_u8(&g_m, BW_DHCP_OPT_MSG_TYPE, &u8) &&
			      u8 == BW_DHCP_OFFER);
			CHECK(bw_dhcp_opt_u32(&g_m, BW_DHCP_OPT_LEASE_TIME, &u32) && u32 == 3600);
			CHECK(bw_dhcp_opt_u32(&g_m, BW_DHCP_OPT_RENEWAL_T1, &u32) && u32 == 1800);
			CHECK(bw_dhcp_opt_u32(&g_m, BW_DHCP_OPT_REBINDING_T2, &u32) && u32 == 3150);
			CHECK(bw_dhcp_opt_addr(&g_m, BW_DHCP_OPT_SERVER_ID, &u32) &&
			      u32 == ip4(10, 98, 0, 1));
			CHECK(bw_dhcp_opt_addr(&g_m, BW_DHCP_OPT_SUBNET_MASK, &u32) &&
			      u32 == ip4(255, 255, 255, 0));
			CHECK(bw_dhcp_opt_addr(&g_m, BW_DHCP_OPT_ROUTER, &u32) &&
			      u32 == ip4(10, 98, 0, 1));
			CHECK_EQ_U64(g_m.hdr.yiaddr, ip4(10, 98, 0, 58));
			CHECK_EQ_U64(g_m.hdr.siaddr, ip4(10, 98, 0, 1));
		}
		free(buf);
	}
	check_context = "dhcp/request-dhclient.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0)) {
			CHECK(bw_dhcp_opt_addr(&g_m, BW_DHCP_OPT_REQUESTED_IP, &u32) &&
			      u32 == ip4(10, 98, 0, 58));
			CHECK_OPT(&g_m, BW_DHCP_OPT_HOSTNAME, "vm");
			/* absent */
			u16 = 0x5a5a;
			CHECK(!bw_dhcp_opt_u16(&g_m, BW_DHCP_OPT_MAX_SIZE, &u16));
			CHECK_EQ_INT(u16, 0x5a5a);
			CHECK(!g_m.opt[BW_DHCP_OPT_CLIENT_ID].present);
			CHECK(!g_m.opt[BW_DHCP_OPT_VENDOR_CLASS].present);
		}
		free(buf);
	}
	check_context = "dhcp/release-dhclient.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0)) {
			CHECK_EQ_INT(g_m.type, BW_DHCP_RELEASE);
			CHECK_EQ_U64(g_m.hdr.ciaddr, ip4(10, 98, 0, 58));
			CHECK(bw_dhcp_opt_addr(&g_m, BW_DHCP_OPT_SERVER_ID, &u32) &&
			      u32 == ip4(10, 98, 0, 1));
		}
		free(buf);
	}
	check_context = "dhcp/discover-udhcpc.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0)) {
			CHECK(bw_dhcp_opt_u16(&g_m, BW_DHCP_OPT_MAX_SIZE, &u16) && u16 == 576);
			CHECK_OPT(&g_m, BW_DHCP_OPT_VENDOR_CLASS, "udhcp 1.35.0");
			CHECK_OPT(&g_m, BW_DHCP_OPT_CLIENT_ID, "\x01\x52\x54\x00\x12\x34\x56");
		}
		free(buf);
	}
	check_context = "dhcp/discover-ipxe-bios.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0)) {
			CHECK(bw_dhcp_opt_u16(&g_m, BW_DHCP_OPT_MAX_SIZE, &u16) && u16 == 1472);
			CHECK(bw_dhcp_opt_u16(&g_m, BW_DHCP_OPT_CLIENT_ARCH, &u16) && u16 == 0);
			CHECK_OPT(&g_m, BW_DHCP_OPT_VENDOR_CLASS,
			          "PXEClient:Arch:00000:UNDI:002001");
			CHECK_OPT(&g_m, BW_DHCP_OPT_USER_CLASS, "iPXE");
			CHECK_OPT(&g_m, BW_DHCP_OPT_CLIENT_NDI, "\x01\x02\x01");
			CHECK_OPT(&g_m, BW_DHCP_OPT_CLIENT_ID, "\x01\x52\x54\x00\xaa\xbb\x01");
			CHECK_EQ_INT(g_m.opt[BW_DHCP_OPT_UUID].len, 17);
			CHECK_EQ_INT(g_m.opt[BW_DHCP_OPT_IPXE].len, 48);
			CHECK_EQ_INT(g_m.opt[BW_DHCP_OPT_PARAM_LIST].len, 23);
			CHECK_EQ_INT(g_m.hdr.secs, 4);
		}
		free(buf);
	}
	check_context = "dhcp/discover-ovmf-x64.bin";
	if (check_load_fixture(check_context, &buf, &len) == 0) {
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0)) {
			CHECK(bw_dhcp_opt_u16(&g_m, BW_DHCP_OPT_CLIENT_ARCH, &u16) && u16 == 7);
			CHECK(bw_dhcp_opt_u16(&g_m, BW_DHCP_OPT_MAX_SIZE, &u16) && u16 == 1472);
			CHECK_OPT(&g_m, BW_DHCP_OPT_VENDOR_CLASS,
			          "PXEClient:Arch:00007:UNDI:003000");
			CHECK_EQ_INT(g_m.opt[BW_DHCP_OPT_UUID].len, 17);
			CHECK(!g_m.opt[BW_DHCP_OPT_CLIENT_ID].present);
			CHECK(!g_m.opt[BW_DHCP_OPT_USER_CLASS].present);
			CHECK(g_m.hdr.flags & BW_DHCP_FLAG_BROADCAST);
		}
		free(buf);
	}
	check_context = NULL;
}

/* _u8/_u16/_u32/_addr: false, and *ret untouched, for an absent option or a wrong length. */
static void test_helpers(void)
{
	struct pk *p = pk_init(BW_DHCP_OP_REQUEST);
	uint8_t u8 = 0x5a;
	uint16_t u16 = 0x5a5a;
	uint32_t u32 = 0x5a5a5a5a;

	PK_RAW(p, "\x35\x01\x03");                 /* 53: 1 byte */
	PK_RAW(p, "\x39\x02\x05\xdc");             /* 57: 1500 */
	PK_RAW(p, "\x33\x04\x00\x01\x51\x80");     /* 51: 86400 */
	PK_RAW(p, "\x32\x04\xc0\xa8\x01\x02");     /* 50: 192.168.1.2 */
	PK_RAW(p, "\x0c\x00");                     /* 12: empty */
	PK_RAW(p, "\x1a\x03\x01\x02\x03");         /* 26: 3 bytes */
	PK_RAW(p, "\x2b\x05\x01\x02\x03\x04\x05"); /* 43: 5 bytes */
	pk_end(p);
	if (!CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
		return;
	CHECK(bw_dhcp_opt_u8(&g_m, 53, &u8) && u8 == 3);
	CHECK(bw_dhcp_opt_u16(&g_m, 57, &u16) && u16 == 1500);
	CHECK(bw_dhcp_opt_u32(&g_m, 51, &u32) && u32 == 86400);
	CHECK(bw_dhcp_opt_addr(&g_m, 50, &u32) && u32 == ip4(192, 168, 1, 2));
	CHECK(bw_dhcp_opt_u32(&g_m, 50, &u32) && u32 == 0xc0a80102u);

	u8 = 0x5a, u16 = 0x5a5a, u32 = 0x5a5a5a5a;
	for (unsigned code = 0; code < 256; code++) {
		if (code == 53 || code == 57 || code == 51 || code == 50 || code == 12 ||
		    code == 26 || code == 43)
			continue;
		CHECK(!bw_dhcp_opt_u8(&g_m, (uint8_t)code, &u8));
		CHECK(!bw_dhcp_opt_u16(&g_m, (uint8_t)code, &u16));
		CHECK(!bw_dhcp_opt_u32(&g_m, (uint8_t)code, &u32));
		CHECK(!bw_dhcp_opt_addr(&g_m, (uint8_t)code, &u32));
	}
	/* wrong lengths: 0, 1, 2, 3, 4, 5 bytes against each helper */
	CHECK(!bw_dhcp_opt_u8(&g_m, 12, &u8));
	CHECK(!bw_dhcp_opt_u8(&g_m, 57, &u8));
	CHECK(!bw_dhcp_opt_u8(&g_m, 51, &u8));
	CHECK(!bw_dhcp_opt_u16(&g_m, 12, &u16));
	CHECK(!bw_dhcp_opt_u16(&g_m, 53, &u16));
	CHECK(!bw_dhcp_opt_u16(&g_m, 26, &u16));
	CHECK(!bw_dhcp_opt_u16(&g_m, 51, &u16));
	CHECK(!bw_dhcp_opt_u32(&g_m, 12, &u32));
	CHECK(!bw_dhcp_opt_u32(&g_m, 57, &u32));
	CHECK(!bw_dhcp_opt_u32(&g_m, 26, &u32));
	CHECK(!bw_dhcp_opt_u32(&g_m, 43, &u32));
	CHECK(!bw_dhcp_opt_addr(&g_m, 53, &u32));
	CHECK(!bw_dhcp_opt_addr(&g_m, 26, &u32));
	CHECK(!bw_dhcp_opt_addr(&g_m, 43, &u32));
	CHECK_EQ_INT(u8, 0x5a);
	CHECK_EQ_INT(u16, 0x5a5a);
	CHECK_EQ_U64(u32, 0x5a5a5a5a);
	CHECK(g_m.opt[12].present);
	CHECK_EQ_INT(g_m.opt[12].len, 0);
}

/* Where a prefix of a fixture ends decides the answer: inside the fixed header -EBADMSG; at
 * the end of an option (or anywhere after END) it parses, END missing being accepted; inside
 * an option (after its code, inside its value) -EBADMSG; inside the cookie either. */
static void test_truncation(void)
{
	static char ctx[160];

	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *f = &fixtures[i];
		uint8_t *buf = NULL, boundary[BW_DHCP_MAX_LEN + 1] = {0};
		size_t len = 0;

		if (check_load_fixture(f->file, &buf, &len) < 0)
			continue;
		boundary[OFF_OPTS] = 1;
		for (size_t at = OFF_OPTS; at < f->end_at;) {
			at += buf[at] == 0 ? 1 : 2u + buf[at + 1];
			boundary[at] = 1;
		}
		for (size_t n = 0; n <= len; n++) {
			int r, want;

			snprintf(ctx, sizeof(ctx), "%s cut to %zu bytes", f->file, n);
			check_context = ctx;
			r = parse(buf, n, &g_m);
			if (n < BW_DHCP_FIXED_LEN)
				want = -EBADMSG;
			else if (n < OFF_OPTS)
				want = r == 0 ? 0 : -EBADMSG;
			else if (boundary[n] || n > f->end_at)
				want = 0;
			else
				want = -EBADMSG;
			CHECK_EQ_INT(r, want);
			if (r == 0 && n >= OFF_OPTS) {
				CHECK(g_m.has_cookie);
				/* every fixture starts with option 53 */
				CHECK_EQ_INT(g_m.type, n >= OFF_OPTS + 3 ? f->type : BW_DHCP_NONE);
				CHECK_EQ_U64(g_m.hdr.xid, f->xid);
			}
			if (r == 0 && n < OFF_OPTS) {
				CHECK(!g_m.has_cookie);
				CHECK_EQ_INT(count_present(&g_m), 0);
			}
		}
		free(buf);
	}
	check_context = NULL;
}

static void test_header(void)
{
	static const struct {
		uint8_t op, htype, hlen;
		int want;
	} cases[] = {
	    {1, 1, 6, 0},           {2, 1, 6, 0},
	    {0, 1, 6, -EBADMSG},    {3, 1, 6, -EBADMSG},
	    {0xff, 1, 6, -EBADMSG}, {1, 1, 17, -EBADMSG},
	    {2, 1, 255, -EBADMSG},  {1, 6, 6, -EOPNOTSUPP},
	    {1, 0, 6, -EOPNOTSUPP}, {1, 32, 8, -EOPNOTSUPP},
	    {1, 1, 0, -EOPNOTSUPP}, {1, 1, 16, -EOPNOTSUPP},
	    {1, 1, 8, -EOPNOTSUPP},
	};
	static char ctx[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pk *p = pk_discover();

		snprintf(ctx, sizeof(ctx), "op %u htype %u hlen %u", cases[i].op, cases[i].htype,
		         cases[i].hlen);
		check_context = ctx;
		p->b[0] = cases[i].op;
		p->b[1] = cases[i].htype;
		p->b[2] = cases[i].hlen;
		CHECK_EQ_INT(parse(p->b, p->len, &g_m), cases[i].want);
	}
	check_context = NULL;

	/* every header field, in its byte order */
	struct pk *p = pk_discover();
	memcpy(p->b + 3, "\x02\xde\xad\xbe\xef\x01\x02\x80\x00", 9);
	memcpy(p->b + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02\x0a\x00\x00\x03\x0a\x00\x00\x04", 16);
	memcpy(p->b + OFF_SNAME, "next-server", 11);
	memcpy(p->b + OFF_FILE, "pxelinux.0", 10);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.hdr.hops, 2);
		CHECK_EQ_U64(g_m.hdr.xid, 0xdeadbeefu);
		CHECK_EQ_INT(g_m.hdr.secs, 0x0102);
		CHECK_EQ_INT(g_m.hdr.flags, BW_DHCP_FLAG_BROADCAST);
		CHECK_EQ_U64(g_m.hdr.ciaddr, ip4(10, 0, 0, 1));
		CHECK_EQ_U64(g_m.hdr.yiaddr, ip4(10, 0, 0, 2));
		CHECK_EQ_U64(g_m.hdr.siaddr, ip4(10, 0, 0, 3));
		CHECK_EQ_U64(g_m.hdr.giaddr, ip4(10, 0, 0, 4));
		CHECK_EQ_STR(g_m.hdr.sname, "next-server");
		CHECK_EQ_STR(g_m.hdr.file, "pxelinux.0");
		CHECK_EQ_INT(g_m.type, BW_DHCP_DISCOVER);
		CHECK_OPT(&g_m, BW_DHCP_OPT_HOSTNAME, "host");
	}
	/* sname and file filling their fields without a NUL */
	p = pk_discover();
	memset(p->b + OFF_SNAME, 's', 64);
	memset(p->b + OFF_FILE, 'f', 128);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_U64(strlen(g_m.hdr.sname), 64);
		CHECK_EQ_U64(strlen(g_m.hdr.file), 128);
		CHECK(g_m.hdr.sname[0] == 's' && g_m.hdr.file[127] == 'f');
	}
}

/* Option 53 and option 52: exactly one byte, in range. */
static void test_type_and_overload_values(void)
{
	static char ctx[64];

	for (unsigned v = 0; v < 256; v++) {
		struct pk *p = pk_init(BW_DHCP_OP_REQUEST);
		uint8_t o[3] = {53, 1, (uint8_t)v};

		snprintf(ctx, sizeof(ctx), "option 53 = %u", v);
		check_context = ctx;
		pk_raw(p, o, 3);
		pk_end(p);
		pk_pad_to(p, 300);
		if (v >= 1 && v <= 8) {
			if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
				CHECK_EQ_INT(g_m.type, v);
		} else {
			CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
		}
	}
	for (unsigned v = 0; v < 256; v++) {
		struct pk *p = pk_init(BW_DHCP_OP_REQUEST);
		uint8_t o[3] = {52, 1, (uint8_t)v};

		snprintf(ctx, sizeof(ctx), "option 52 = %u", v);
		check_context = ctx;
		PK_RAW(p, "\x35\x01\x01");
		pk_raw(p, o, 3);
		pk_end(p);
		pk_pad_to(p, 300);
		if (v >= 1 && v <= 3) {
			if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
				CHECK_EQ_INT(g_m.overload, v);
		} else {
			CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
		}
	}
	check_context = NULL;

	static const struct {
		const char *what;
		const char *opts;
		size_t len;
	} bad[] = {
	    {"53 of length 0", "\x35\x00\xff", 3},
	    {"53 of length 2", "\x35\x02\x01\x01\xff", 5},
	    {"53 of length 2 (3, 0)", "\x35\x02\x03\x00\xff", 5},
	    {"53 twice: joined to 2 bytes (RFC 3396)", "\x35\x01\x01\x35\x01\x03\xff", 7},
	    {"52 of length 0", "\x35\x01\x01\x34\x00\xff", 6},
	    {"52 of length 2", "\x35\x01\x01\x34\x02\x01\x01\xff", 8},
	    {"52 twice: joined to 2 bytes", "\x35\x01\x01\x34\x01\x01\x34\x01\x02\xff", 10},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pk *p = pk_init(BW_DHCP_OP_REQUEST);

		check_context = bad[i].what;
		pk_raw(p, bad[i].opts, bad[i].len);
		pk_pad_to(p, 300);
		CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	}
	check_context = NULL;
}

/* Lengths that run past the end of the packet or of their field. */
static void test_option_lengths(void)
{
	struct pk *p;

	/* value cut by the end of the packet: 12 claims 10 bytes, 3 are there */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x0c\x0a"
	          "abc");
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	/* a code with no length byte */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x0c");
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	/* length 255 with 254 bytes left */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x2b\xff");
	pk_pad_to(p, p->len + 254);
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	/* ... and with 255 bytes left: exactly fits, no END */
	pk_pad_to(p, p->len + 1);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.opt[43].len, 255);
		CHECK(opt_in_packet(&g_m.opt[43]));
	}
	/* giant client id (255 bytes), then more options */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x3d\xff\x01");
	for (int i = 0; i < 254; i++)
		pk_raw(p, "\x7e", 1);
	PK_RAW(p, "\x0c\x02vm\xff");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		const struct bw_dhcp_opt *o = &g_m.opt[BW_DHCP_OPT_CLIENT_ID];
		CHECK_EQ_INT(o->len, 255);
		CHECK(opt_in_packet(o));
		CHECK(o->data == g_pkt + OFF_OPTS + 5);
		CHECK_EQ_INT(o->data[0], 1);
		CHECK_EQ_INT(o->data[254], 0x7e);
		CHECK_OPT(&g_m, BW_DHCP_OPT_HOSTNAME, "vm");
		CHECK_EQ_U64(g_m.scratch_used, 0);
	}
	/* what follows END is not looked at, even an option running past the end */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\xff\x0c\x7f"
	          "ab");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK(!g_m.opt[12].present);
		CHECK_EQ_INT(count_present(&g_m), 1);
	}
	/* PAD before, between and after options */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x00\x00\x35\x01\x05\x00\x0c\x01x\x00\xff");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.type, BW_DHCP_ACK);
		CHECK_OPT(&g_m, 12, "x");
		CHECK_EQ_INT(count_present(&g_m), 2);
	}
	/* missing END: options, then zeros to the end of the packet (udhcpc, PXE ROMs) */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x03\x32\x04\x0a\x62\x00\x3a");
	pk_pad_to(p, 300);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.type, BW_DHCP_REQUEST);
		CHECK_OPT(&g_m, 50, "\x0a\x62\x00\x3a");
	}
	/* missing END: the last option ends with the packet */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x03\x32\x04\x0a\x62\x00\x3a");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
		CHECK_OPT(&g_m, 50, "\x0a\x62\x00\x3a");
	/* a cookie and nothing else */
	p = pk_init(BW_DHCP_OP_REQUEST);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK(g_m.has_cookie);
		CHECK_EQ_INT(g_m.type, BW_DHCP_NONE);
		CHECK_EQ_INT(count_present(&g_m), 0);
	}
	/* zero-length options are present, with length 0 */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x4d\x00\xff");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK(g_m.opt[77].present);
		CHECK_EQ_INT(g_m.opt[77].len, 0);
	}
}

/* RFC 3396: repeated options are concatenated in order into the scratch. */
static void test_concatenation(void)
{
	struct pk *p = pk_init(BW_DHCP_OP_REQUEST);

	PK_RAW(p, "\x0c\x02"
	          "ab\x35\x01\x01\x0c\x02"
	          "cd\x4d\x04iPXE\x0c\x00\x0c\x01"
	          "e\xff");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_OPT(&g_m, 12, "abcde");
		CHECK(opt_in_scratch(&g_m, &g_m.opt[12]));
		CHECK_OPT(&g_m, 77, "iPXE");
		CHECK(opt_in_packet(&g_m.opt[77]));
		CHECK_EQ_U64(g_m.scratch_used, 5);
		CHECK_EQ_INT(g_m.type, BW_DHCP_DISCOVER);
	}
	/* two split options each get their own place */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x3c\x03"
	          "PXE\x4d\x02"
	          "iP\x3c\x06"
	          "Client\x4d\x02XE\xff");
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_OPT(&g_m, 60, "PXEClient");
		CHECK_OPT(&g_m, 77, "iPXE");
		CHECK(opt_in_scratch(&g_m, &g_m.opt[60]));
		CHECK(opt_in_scratch(&g_m, &g_m.opt[77]));
		CHECK_EQ_U64(g_m.scratch_used, 13);
	}
}

/* Option 52: file and sname carry options; concatenation order options, file, sname. */
static void test_overload(void)
{
	struct pk *p;

	/* 1: file carries options, sname is a name */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x01\x0c\x04main\xff");
	memcpy(p->b + OFF_FILE, "\x0c\x05-file\x3c\x02vc\xff", 12);
	memcpy(p->b + OFF_SNAME, "srvname", 7);
	pk_pad_to(p, 300);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.overload, 1);
		CHECK_EQ_STR(g_m.hdr.file, "");
		CHECK_EQ_STR(g_m.hdr.sname, "srvname");
		CHECK_OPT(&g_m, 12, "main-file");
		CHECK_OPT(&g_m, 60, "vc");
		CHECK(g_m.opt[60].data == g_pkt + OFF_FILE + 9);
		CHECK_EQ_INT(g_m.type, BW_DHCP_DISCOVER);
	}
	/* 2: sname carries options (no END there), file is a name */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x02\xff");
	memcpy(p->b + OFF_SNAME, "\x4d\x04iPXE", 6);
	memset(p->b + OFF_SNAME + 6, 0, 58);
	memcpy(p->b + OFF_FILE, "pxelinux.0", 10);
	pk_pad_to(p, 300);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.overload, 2);
		CHECK_EQ_STR(g_m.hdr.sname, "");
		CHECK_EQ_STR(g_m.hdr.file, "pxelinux.0");
		CHECK_OPT(&g_m, 77, "iPXE");
		CHECK(g_m.opt[77].data == g_pkt + OFF_SNAME + 2);
	}
	/* 3: one option split over options, file and sname, joined in that order; the sname
	 * field fills its 64 bytes without END */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x34\x01\x03\x2b\x03"
	          "AAA\x35\x01\x01\xff");
	memcpy(p->b + OFF_FILE,
	       "\x2b\x03"
	       "BBB\x0c\x04"
	       "file\xff",
	       12);
	memcpy(p->b + OFF_SNAME,
	       "\x2b\x03"
	       "CCC\x42\x38",
	       7);
	memset(p->b + OFF_SNAME + 7, 's', 56);
	pk_pad_to(p, 300);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.overload, 3);
		CHECK_EQ_STR(g_m.hdr.sname, "");
		CHECK_EQ_STR(g_m.hdr.file, "");
		CHECK_OPT(&g_m, 43, "AAABBBCCC");
		CHECK(opt_in_scratch(&g_m, &g_m.opt[43]));
		CHECK_OPT(&g_m, 12, "file");
		CHECK_EQ_INT(g_m.opt[66].len, 56);
		CHECK(g_m.opt[66].data == g_pkt + OFF_SNAME + 7);
		CHECK_EQ_INT(g_m.type, BW_DHCP_DISCOVER);
		CHECK_EQ_U64(g_m.scratch_used, 9);
	}
	/* 3, with the main options field empty but for 52 and no END anywhere */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x34\x01\x03");
	memcpy(p->b + OFF_FILE,
	       "\x35\x01\x03\x3c\x01"
	       "a",
	       6);
	memcpy(p->b + OFF_SNAME,
	       "\x3c\x01"
	       "b",
	       3);
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.type, BW_DHCP_REQUEST);
		CHECK_OPT(&g_m, 60, "ab");
	}
	/* 52 inside file is ignored: sname stays a name, whatever file's 52 says */
	for (unsigned v = 0; v < 5; v++) {
		p = pk_init(BW_DHCP_OP_REQUEST);
		PK_RAW(p, "\x35\x01\x01\x34\x01\x01\xff");
		memcpy(p->b + OFF_FILE, "\x34\x01\x03\x0c\x01x\xff", 7);
		p->b[OFF_FILE + 2] = (uint8_t)v;
		memcpy(p->b + OFF_SNAME, "bootsrv", 7);
		pk_pad_to(p, 300);
		check_context = "option 52 inside file";
		if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
			CHECK_EQ_INT(g_m.overload, 1);
			CHECK_EQ_STR(g_m.hdr.sname, "bootsrv");
			CHECK_OPT(&g_m, 12, "x");
		}
	}
	/* 52 inside sname is ignored too */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x02\xff");
	memcpy(p->b + OFF_SNAME, "\x34\x01\x01\xff", 4);
	memcpy(p->b + OFF_FILE, "\x0c\xf0", 2); /* would run past file if read as options */
	check_context = "option 52 inside sname";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.overload, 2);
		CHECK_EQ_STR(g_m.hdr.file, "\x0c\xf0");
	}
	check_context = NULL;
	/* an option running past the end of file, into sname... is malformed */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x03\xff");
	memcpy(p->b + OFF_FILE + 124,
	       "\x0c\x05"
	       "ab",
	       4);
	check_context = "option past the end of file";
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	/* ... past the end of sname into file */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x02\xff");
	memcpy(p->b + OFF_SNAME + 60,
	       "\x0c\x05"
	       "ab",
	       4);
	check_context = "option past the end of sname";
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	/* a code as the last byte of file */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x01\xff");
	p->b[OFF_FILE + 127] = 0x0c;
	check_context = "code as the last byte of file";
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	/* overload set but those fields hold names: the names are malformed options */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x35\x01\x01\x34\x01\x02\xff");
	memcpy(p->b + OFF_SNAME, "srvname", 7); /* 's', length 'r' (114): past sname's end */
	check_context = "sname read as options";
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EBADMSG);
	check_context = NULL;
}

/* BW_DHCP_MAX_LEN and BW_DHCP_SCRATCH. */
static void test_sizes(void)
{
	struct pk *p = pk_discover();

	pk_pad_to(p, BW_DHCP_MAX_LEN);
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0);
	pk_pad_to(p, BW_DHCP_MAX_LEN + 1);
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EMSGSIZE);
	pk_pad_to(p, BW_DHCP_MAX_LEN + 16);
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EMSGSIZE);
	/* even when it is also malformed */
	p->b[0] = 0;
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EMSGSIZE);

	/* one option joined from 9 pieces to exactly BW_DHCP_SCRATCH bytes; then one more */
	for (int extra = 0; extra < 2; extra++) {
		uint8_t piece[255];
		size_t left = BW_DHCP_SCRATCH + (size_t)extra;

		p = pk_init(BW_DHCP_OP_REQUEST);
		PK_RAW(p, "\x35\x01\x01");
		for (uint8_t k = 0; left > 0; k++) {
			uint8_t n = left > 255 ? 255 : (uint8_t)left;
			memset(piece, 'a' + k, n);
			pk_opt(p, 43, piece, n);
			left -= n;
		}
		pk_end(p);
		check_context = extra ? "43 joined to SCRATCH + 1" : "43 joined to SCRATCH";
		if (!extra) {
			if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
				const struct bw_dhcp_opt *o = &g_m.opt[43];
				CHECK_EQ_INT(o->len, BW_DHCP_SCRATCH);
				CHECK(opt_in_scratch(&g_m, o));
				CHECK_EQ_U64(g_m.scratch_used, BW_DHCP_SCRATCH);
				CHECK(o->data[0] == 'a' && o->data[254] == 'a' &&
				      o->data[255] == 'b');
				CHECK(o->data[BW_DHCP_SCRATCH - 1] == 'i');
			}
		} else {
			CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EMSGSIZE);
		}
	}
	/* several split options, each small, together over BW_DHCP_SCRATCH */
	p = pk_init(BW_DHCP_OP_REQUEST);
	for (uint8_t code = 100; code < 110; code++) {
		uint8_t piece[110];
		memset(piece, code, sizeof(piece));
		pk_opt(p, code, piece, 110);
		pk_opt(p, code, piece, 110); /* 10 x 220 = 2200 joined bytes */
	}
	pk_end(p);
	check_context = "ten split options, 2200 joined bytes";
	CHECK_EQ_INT(parse(p->b, p->len, &g_m), -EMSGSIZE);
	/* ... and at exactly BW_DHCP_SCRATCH (8 x 256) */
	p = pk_init(BW_DHCP_OP_REQUEST);
	for (uint8_t code = 100; code < 108; code++) {
		uint8_t piece[128];
		memset(piece, code, sizeof(piece));
		pk_opt(p, code, piece, 128);
		pk_opt(p, code, piece, 128);
	}
	pk_end(p);
	check_context = "eight split options, 2048 joined bytes";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_U64(g_m.scratch_used, BW_DHCP_SCRATCH);
		for (unsigned code = 100; code < 108; code++) {
			CHECK_EQ_INT(g_m.opt[code].len, 256);
			CHECK(opt_in_scratch(&g_m, &g_m.opt[code]));
			CHECK(g_m.opt[code].data[255] == code);
		}
	}
	/* many zero-length pieces of one option */
	p = pk_init(BW_DHCP_OP_REQUEST);
	for (int i = 0; i < 1000; i++)
		PK_RAW(p, "\x0c\x00");
	PK_RAW(p, "\x0c\x01z\xff");
	check_context = "1000 empty pieces";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
		CHECK_OPT(&g_m, 12, "z");
	check_context = NULL;
}

/* No cookie: plain BOOTP (RFC 951). */
static void test_bootp(void)
{
	struct pk *p = pk_init(BW_DHCP_OP_REQUEST);

	memset(p->b + OFF_COOKIE, 0, 4);
	memcpy(p->b + OFF_SNAME, "bootsrv", 7);
	memcpy(p->b + OFF_FILE, "boot/file", 9);
	p->len = BW_DHCP_FIXED_LEN;
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK(!g_m.has_cookie);
		CHECK_EQ_INT(g_m.type, BW_DHCP_NONE);
		CHECK_EQ_INT(g_m.overload, 0);
		CHECK_EQ_INT(count_present(&g_m), 0);
		CHECK_EQ_STR(g_m.hdr.sname, "bootsrv");
		CHECK_EQ_STR(g_m.hdr.file, "boot/file");
		CHECK_EQ_U64(g_m.hdr.xid, 0x11223344u);
	}
	/* the RFC 951 size: a 64-byte vend field of zeros */
	pk_pad_to(p, 300);
	check_context = "BOOTP, 64 zero vend bytes";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK(!g_m.has_cookie);
		CHECK_EQ_INT(g_m.type, BW_DHCP_NONE);
		CHECK_EQ_INT(count_present(&g_m), 0);
		CHECK_EQ_STR(g_m.hdr.file, "boot/file");
	}
	/* a reply too */
	p->b[0] = BW_DHCP_OP_REPLY;
	memcpy(p->b + 16, "\x0a\x62\x00\x33", 4);
	check_context = "BOOTP reply";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0)) {
		CHECK_EQ_INT(g_m.hdr.op, BW_DHCP_OP_REPLY);
		CHECK_EQ_U64(g_m.hdr.yiaddr, ip4(10, 98, 0, 51));
		CHECK(!g_m.has_cookie);
	}
	check_context = NULL;
}

static void test_type_names(void)
{
	static const char *const want[] = {NULL,  "DISCOVER", "OFFER",   "REQUEST", "DECLINE",
	                                   "ACK", "NAK",      "RELEASE", "INFORM"};

	for (int t = 0; t <= 8; t++) {
		const char *s = bw_dhcp_type_name((enum bw_dhcp_msg_type)t);
		if (CHECK(s != NULL) && want[t])
			CHECK(strstr(s, want[t]) != NULL);
	}
	CHECK(bw_dhcp_type_name((enum bw_dhcp_msg_type)9) != NULL);
	CHECK(bw_dhcp_type_name((enum bw_dhcp_msg_type)255) != NULL);
	CHECK(bw_dhcp_type_name((enum bw_dhcp_msg_type) - 1) != NULL);
}

/* ---- the builder ---- */

static void reply_hdr(struct bw_dhcp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->op = BW_DHCP_OP_REPLY;
	h->htype = BW_DHCP_HTYPE_ETHER;
	h->hlen = 6;
	h->xid = 0x3903f326u;
	h->flags = BW_DHCP_FLAG_BROADCAST;
	h->yiaddr = ip4(10, 98, 0, 50);
	h->siaddr = ip4(10, 98, 0, 1);
	memcpy(h->chaddr, "\x52\x54\x00\x12\x34\x56", 6);
	strcpy(h->sname, "bootwire");
	strcpy(h->file, "pxelinux.0");
}

/* The wire header reply_hdr() describes, and its cookie. */
static void reply_hdr_bytes(uint8_t *w)
{
	memset(w, 0, OFF_OPTS);
	memcpy(w, "\x02\x01\x06\x00\x39\x03\xf3\x26\x00\x00\x80\x00", 12);
	memcpy(w + 16, "\x0a\x62\x00\x32\x0a\x62\x00\x01", 8);
	memcpy(w + 28, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(w + OFF_SNAME, "bootwire", 8);
	memcpy(w + OFF_FILE, "pxelinux.0", 10);
	memcpy(w + OFF_COOKIE, "\x63\x82\x53\x63", 4);
}

static uint8_t g_out[BW_DHCP_MAX_LEN + GUARD];
static uint8_t g_want[BW_DHCP_MAX_LEN];

static bool untouched(const uint8_t *p, size_t n, uint8_t fill)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != fill)
			return false;
	return true;
}

static void test_build_exact(void)
{
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h;
	size_t len = 0;

	reply_hdr(&h);
	memset(g_out, 0xee, sizeof(g_out));
	if (!CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, 600, &h), 0))
		return;
	CHECK_EQ_INT(bw_dhcp_build_opt_u8(&b, BW_DHCP_OPT_MSG_TYPE, BW_DHCP_OFFER), 0);
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, BW_DHCP_OPT_SERVER_ID, &h.siaddr, 4), 0);
	CHECK_EQ_INT(bw_dhcp_build_opt_u32(&b, BW_DHCP_OPT_LEASE_TIME, 3600), 0);
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, BW_DHCP_OPT_BOOTFILE, "pxelinux.0", 10), 0);
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, BW_DHCP_OPT_USER_CLASS, "", 0), 0);
	if (!CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), 0))
		return;
	reply_hdr_bytes(g_want);
	memset(g_want + OFF_OPTS, 0, 60);
	memcpy(g_want + OFF_OPTS,
	       "\x35\x01\x02"
	       "\x36\x04\x0a\x62\x00\x01"
	       "\x33\x04\x00\x00\x0e\x10"
	       "\x43\x0a"
	       "pxelinux.0"
	       "\x4d\x00"
	       "\xff",
	       3 + 6 + 6 + 12 + 2 + 1);
	CHECK_EQ_U64(len, BW_DHCP_MIN_REPLY);
	CHECK_EQ_MEM(g_out, len, g_want, (size_t)BW_DHCP_MIN_REPLY);
	CHECK(untouched(g_out + 300, 300, 0xee));

	if (CHECK_EQ_INT(bw_dhcp_parse(g_out, len, &g_m2), 0)) {
		uint32_t v;
		CHECK_EQ_INT(g_m2.type, BW_DHCP_OFFER);
		CHECK(bw_dhcp_opt_u32(&g_m2, BW_DHCP_OPT_LEASE_TIME, &v) && v == 3600);
		CHECK(bw_dhcp_opt_addr(&g_m2, BW_DHCP_OPT_SERVER_ID, &v) && v == h.siaddr);
		CHECK(opt_is(&g_m2, BW_DHCP_OPT_BOOTFILE, "pxelinux.0", 10));
		CHECK(g_m2.opt[BW_DHCP_OPT_USER_CLASS].present);
		CHECK_EQ_INT(g_m2.opt[BW_DHCP_OPT_USER_CLASS].len, 0);
		CHECK_EQ_STR(g_m2.hdr.sname, "bootwire");
		CHECK_EQ_STR(g_m2.hdr.file, "pxelinux.0");
		CHECK_EQ_INT(count_present(&g_m2), 5);
	}
}

/* Options longer than 255 bytes go out as consecutive pieces and parse back joined. */
static void test_build_split(void)
{
	static const size_t sizes[] = {0, 1, 254, 255, 256, 509, 510, 511, 600, 1000, 2048};
	static uint8_t val[2048];
	static char ctx[64];
	struct bw_dhcp_hdr h;

	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 7 + i / 255);
	reply_hdr(&h);
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		size_t n = sizes[k], pieces = n ? (n + 254) / 255 : 1, len = 0, at = OFF_OPTS;
		struct bw_dhcp_builder b;

		snprintf(ctx, sizeof(ctx), "option 43 of %zu bytes", n);
		check_context = ctx;
		memset(g_out, 0xee, sizeof(g_out));
		if (!CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, BW_DHCP_MAX_LEN, &h), 0) ||
		    !CHECK_EQ_INT(bw_dhcp_build_opt(&b, 43, val, n), 0) ||
		    !CHECK_EQ_INT(bw_dhcp_build_opt_u8(&b, 53, BW_DHCP_ACK), 0) ||
		    !CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), 0))
			continue;
		CHECK_EQ_U64(len, OFF_OPTS + n + 2 * pieces + 3 + 1 > BW_DHCP_MIN_REPLY
		                      ? OFF_OPTS + n + 2 * pieces + 3 + 1
		                      : BW_DHCP_MIN_REPLY);
		/* the pieces: full ones of 255, then the rest */
		for (size_t left = n, off = 0, p = 0; p < pieces; p++) {
			size_t m = left > 255 ? 255 : left;
			if (!CHECK_EQ_INT(g_out[at], 43) || !CHECK_EQ_U64(g_out[at + 1], m))
				break;
			CHECK_EQ_MEM(g_out + at + 2, m, val + off, m);
			at += 2 + m, off += m, left -= m;
		}
		CHECK_EQ_MEM(g_out + at, 4, "\x35\x01\x05\xff", 4);
		if (CHECK_EQ_INT(bw_dhcp_parse(g_out, len, &g_m2), 0)) {
			CHECK(opt_is(&g_m2, 43, val, n));
			CHECK_EQ_INT(g_m2.type, BW_DHCP_ACK);
			if (pieces > 1)
				CHECK(in_range(g_m2.opt[43].data, n, g_m2.scratch,
				               g_m2.scratch_used));
			else
				CHECK(in_range(g_m2.opt[43].data, n, g_out, len));
		}
	}
	check_context = NULL;
}

/* start, options (one of them split) and finish into buf with this cap and limit. */
static int build_seq(uint8_t *buf, size_t cap, size_t limit, bool big, size_t *ret_len)
{
	static uint8_t vendor[600];
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h;
	int r;

	memset(vendor, 0x2b, sizeof(vendor));
	reply_hdr(&h);
	r = bw_dhcp_build_start(&b, buf, cap, &h);
	if (r < 0)
		return r;
	if (limit)
		bw_dhcp_build_set_limit(&b, limit);
	if ((r = bw_dhcp_build_opt_u8(&b, 53, BW_DHCP_OFFER)) < 0 ||
	    (r = bw_dhcp_build_opt_u32(&b, 51, 3600)) < 0 ||
	    (r = bw_dhcp_build_opt(&b, 43, vendor, big ? sizeof(vendor) : 20)) < 0 ||
	    (r = bw_dhcp_build_opt(&b, 12, "x", 1)) < 0)
		return r;
	return bw_dhcp_build_finish(&b, ret_len);
}

/* Every cap and every limit too small fails with -EMSGSIZE and writes nothing past cap. */
static void test_build_limits(void)
{
	static uint8_t ref[BW_DHCP_MAX_LEN];
	static char ctx[64];

	for (int big = 0; big < 2; big++) {
		size_t want = 0, len;

		if (!CHECK_EQ_INT(build_seq(ref, sizeof(ref), 0, big, &want), 0))
			continue;
		CHECK_EQ_U64(want, big ? 240 + 3 + 6 + 606 + 3 + 1 : 300);
		for (size_t cap = 0; cap <= want; cap++) {
			snprintf(ctx, sizeof(ctx), "%s reply, cap %zu", big ? "big" : "small", cap);
			check_context = ctx;
			memset(g_out, 0xee, sizeof(g_out));
			len = 0xdead;
			int r = build_seq(g_out, cap, 0, big, &len);
			if (cap < want) {
				CHECK_EQ_INT(r, -EMSGSIZE);
				CHECK_EQ_U64(len, 0xdead);
			} else if (CHECK_EQ_INT(r, 0)) {
				CHECK_EQ_MEM(g_out, len, ref, want);
			}
			CHECK(untouched(g_out + cap, sizeof(g_out) - cap, 0xee));
		}
		for (size_t limit = 1; limit <= want; limit++) {
			snprintf(ctx, sizeof(ctx), "%s reply, limit %zu", big ? "big" : "small",
			         limit);
			check_context = ctx;
			memset(g_out, 0xee, sizeof(g_out));
			len = 0xdead;
			int r = build_seq(g_out, sizeof(g_out) - GUARD, limit, big, &len);
			if (limit < want && (limit >= BW_DHCP_MIN_REPLY || big)) {
				CHECK_EQ_INT(r, -EMSGSIZE);
				CHECK_EQ_U64(len, 0xdead);
			} else if (CHECK_EQ_INT(r, 0)) {
				CHECK_EQ_MEM(g_out, len, ref, want);
			}
			CHECK(untouched(g_out + (limit > want ? limit : want),
			                sizeof(g_out) - (limit > want ? limit : want), 0xee));
		}
	}
	check_context = NULL;
}

/* set_limit only lowers, never below BW_DHCP_MIN_REPLY; a refused option leaves the packet
 * as it was; the limit counts END. */
static void test_build_set_limit(void)
{
	static uint8_t val[64];
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h;
	size_t len = 0;

	reply_hdr(&h);
	if (!CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, 1500, &h), 0))
		return;
	CHECK_EQ_U64(b.limit, 1500);
	bw_dhcp_build_set_limit(&b, 576 - 28);
	CHECK_EQ_U64(b.limit, 548);
	bw_dhcp_build_set_limit(&b, 9000);
	CHECK_EQ_U64(b.limit, 548);
	bw_dhcp_build_set_limit(&b, 100);
	CHECK_EQ_U64(b.limit, BW_DHCP_MIN_REPLY);
	bw_dhcp_build_set_limit(&b, 0);
	CHECK_EQ_U64(b.limit, BW_DHCP_MIN_REPLY);

	CHECK_EQ_INT(bw_dhcp_build_opt_u8(&b, 53, BW_DHCP_ACK), 0);
	CHECK_EQ_U64(b.len, 243);
	/* 243 + 2 + 55 = 300, and END would make 301 */
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, 43, val, 55), -EMSGSIZE);
	CHECK_EQ_U64(b.len, 243);
	CHECK_EQ_INT(bw_dhcp_build_opt_u32(&b, 51, 1), 0);
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, 43, val, 49), -EMSGSIZE);
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, 43, val, 48), 0);
	CHECK_EQ_U64(b.len, 299);
	CHECK_EQ_INT(bw_dhcp_build_opt(&b, 12, "", 0), -EMSGSIZE);
	CHECK_EQ_INT(bw_dhcp_build_opt_u8(&b, 12, 0), -EMSGSIZE);
	CHECK_EQ_INT(bw_dhcp_build_opt_u32(&b, 12, 0), -EMSGSIZE);
	if (CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), 0)) {
		CHECK_EQ_U64(len, 300);
		CHECK_EQ_INT(g_out[299], BW_DHCP_OPT_END);
		if (CHECK_EQ_INT(bw_dhcp_parse(g_out, len, &g_m2), 0)) {
			CHECK_EQ_INT(g_m2.type, BW_DHCP_ACK);
			CHECK_EQ_INT(g_m2.opt[43].len, 48);
		}
	}

	/* the limit never goes above cap */
	if (CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, 400, &h), 0)) {
		bw_dhcp_build_set_limit(&b, 1000);
		CHECK(b.limit <= 400);
	}
	/* lowering the limit below what is already written: finish refuses */
	if (CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, 1500, &h), 0)) {
		static uint8_t big[300];
		CHECK_EQ_INT(bw_dhcp_build_opt(&b, 43, big, sizeof(big)), 0);
		bw_dhcp_build_set_limit(&b, 300);
		len = 0xdead;
		CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), -EMSGSIZE);
		CHECK_EQ_U64(len, 0xdead);
	}
}

/* finish pads with zeros to BW_DHCP_MIN_REPLY, and not beyond. */
static void test_build_padding(void)
{
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h;
	size_t len = 0;

	reply_hdr(&h);
	memset(g_out, 0xee, sizeof(g_out));
	if (CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, 1000, &h), 0) &&
	    CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), 0)) {
		CHECK_EQ_U64(len, 300);
		CHECK_EQ_INT(g_out[OFF_OPTS], BW_DHCP_OPT_END);
		CHECK(untouched(g_out + OFF_OPTS + 1, 300 - OFF_OPTS - 1, 0));
		CHECK(untouched(g_out + 300, 700, 0xee));
		if (CHECK_EQ_INT(bw_dhcp_parse(g_out, len, &g_m2), 0)) {
			CHECK(g_m2.has_cookie);
			CHECK_EQ_INT(g_m2.type, BW_DHCP_NONE);
			CHECK_EQ_INT(count_present(&g_m2), 0);
		}
	}
	/* a packet of exactly 300 with END last, and one past 300: no padding */
	for (size_t n = 57; n <= 60; n++) {
		static uint8_t val[64];
		memset(g_out, 0xee, sizeof(g_out));
		if (CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, 1000, &h), 0) &&
		    CHECK_EQ_INT(bw_dhcp_build_opt(&b, 43, val, n), 0) &&
		    CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), 0)) {
			size_t want = OFF_OPTS + 2 + n + 1 < 300 ? 300 : OFF_OPTS + 2 + n + 1;
			CHECK_EQ_U64(len, want);
			CHECK_EQ_INT(g_out[OFF_OPTS + 2 + n], BW_DHCP_OPT_END);
			CHECK(untouched(g_out + len, 100, 0xee));
		}
	}
}

static void check_same_hdr(const struct bw_dhcp_hdr *a, const struct bw_dhcp_hdr *b)
{
	CHECK_EQ_INT(a->op, b->op);
	CHECK_EQ_INT(a->htype, b->htype);
	CHECK_EQ_INT(a->hlen, b->hlen);
	CHECK_EQ_INT(a->hops, b->hops);
	CHECK_EQ_U64(a->xid, b->xid);
	CHECK_EQ_INT(a->secs, b->secs);
	CHECK_EQ_INT(a->flags, b->flags);
	CHECK_EQ_U64(a->ciaddr, b->ciaddr);
	CHECK_EQ_U64(a->yiaddr, b->yiaddr);
	CHECK_EQ_U64(a->siaddr, b->siaddr);
	CHECK_EQ_U64(a->giaddr, b->giaddr);
	CHECK_EQ_MEM(a->chaddr, 16, b->chaddr, 16);
	CHECK_EQ_STR(a->sname, b->sname);
	CHECK_EQ_STR(a->file, b->file);
}

/* Build from a parsed message (header and every option, code order) and parse it back. */
static void rebuild_and_compare(const struct bw_dhcp_msg *m)
{
	struct bw_dhcp_builder b;
	size_t len = 0;

	if (!CHECK_EQ_INT(bw_dhcp_build_start(&b, g_out, BW_DHCP_MAX_LEN, &m->hdr), 0))
		return;
	for (unsigned code = 1; code < 255; code++)
		if (m->opt[code].present && code != BW_DHCP_OPT_OVERLOAD)
			if (!CHECK_EQ_INT(bw_dhcp_build_opt(&b, (uint8_t)code, m->opt[code].data,
			                                    m->opt[code].len),
			                  0))
				return;
	if (!CHECK_EQ_INT(bw_dhcp_build_finish(&b, &len), 0))
		return;
	if (!CHECK_EQ_INT(bw_dhcp_parse(g_out, len, &g_m2), 0))
		return;
	check_same_hdr(&g_m2.hdr, &m->hdr);
	CHECK_EQ_INT(g_m2.type, m->type);
	CHECK(g_m2.has_cookie);
	for (unsigned code = 0; code < 256; code++) {
		if (code == BW_DHCP_OPT_OVERLOAD)
			continue;
		CHECK_EQ_INT(g_m2.opt[code].present, m->opt[code].present);
		if (m->opt[code].present)
			CHECK_EQ_MEM(g_m2.opt[code].data, g_m2.opt[code].len, m->opt[code].data,
			             m->opt[code].len);
	}
}

static void test_round_trip(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		uint8_t *buf;
		size_t len;

		check_context = fixtures[i].file;
		if (check_load_fixture(fixtures[i].file, &buf, &len) < 0)
			continue;
		if (CHECK_EQ_INT(parse(buf, len, &g_m), 0))
			rebuild_and_compare(&g_m);
		free(buf);
	}
	/* every header field set, names filling their fields, split options */
	struct pk *p = pk_init(BW_DHCP_OP_REPLY);
	memcpy(p->b + 3, "\x03\xde\xad\xbe\xef\x01\x02\x80\x00", 9);
	memcpy(p->b + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02\x0a\x00\x00\x03\x0a\x00\x00\x04", 16);
	memset(p->b + OFF_SNAME, 's', 64);
	memset(p->b + OFF_FILE, 'f', 128);
	PK_RAW(p, "\x35\x01\x05\x0c\x03"
	          "abc\x0c\x03"
	          "def\x3d\x01\x00\xff");
	check_context = "names of 64 and 128 bytes";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
		rebuild_and_compare(&g_m);
	/* overloaded: file and sname come back as "" and the options in the options field */
	p = pk_init(BW_DHCP_OP_REQUEST);
	PK_RAW(p, "\x34\x01\x03\x2b\x03"
	          "AAA\x35\x01\x01\xff");
	memcpy(p->b + OFF_FILE,
	       "\x2b\x03"
	       "BBB\x0c\x04"
	       "file\xff",
	       12);
	memcpy(p->b + OFF_SNAME,
	       "\x2b\x03"
	       "CCC\xff",
	       6);
	check_context = "overloaded";
	if (CHECK_EQ_INT(parse(p->b, p->len, &g_m), 0))
		rebuild_and_compare(&g_m);
	check_context = NULL;
}

/* An absurd length must fail, not wrap around in the size arithmetic. Run in a child so a
 * crash is reported as a failure instead of ending the test program. */
static void test_build_absurd_length(void)
{
	static const size_t lens[] = {
	    SIZE_MAX,     SIZE_MAX - 1,         SIZE_MAX - 300,
	    SIZE_MAX / 2, SIZE_MAX / 255 * 254, (size_t)BW_DHCP_MAX_LEN * 2};
	static char ctx[64];

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		int status = 0;
		pid_t pid;

		snprintf(ctx, sizeof(ctx), "build_opt of length %zu", lens[i]);
		check_context = ctx;
		fflush(NULL);
		pid = fork();
		if (!CHECK(pid >= 0))
			break;
		if (pid == 0) {
			struct bw_dhcp_builder b;
			struct bw_dhcp_hdr h;
			size_t len = 0xdead;

			reply_hdr(&h);
			if (bw_dhcp_build_start(&b, g_out, 1000, &h) < 0)
				_exit(2);
			if (bw_dhcp_build_opt(&b, 43, g_want, lens[i]) != -EMSGSIZE)
				_exit(3);
			if (b.len != OFF_OPTS)
				_exit(4);
			if (bw_dhcp_build_finish(&b, &len) < 0 || len != 300)
				_exit(5);
			_exit(0);
		}
		if (CHECK(waitpid(pid, &status, 0) == pid)) {
			if (!CHECK(WIFEXITED(status)))
				fprintf(stderr, "\tchild killed by signal %d\n", WTERMSIG(status));
			else
				CHECK_EQ_INT(WEXITSTATUS(status), 0);
		}
	}
	check_context = NULL;
}

/* The IPv4/UDP builder against a datagram iPXE built itself (its DHCPDISCOVER under
 * SeaBIOS, captured on the tap: both checksums computed in software, no offload): the same
 * fields and payload give the same bytes. Then an odd length, the checksum rules and the
 * limits. */
static void test_build_udp4(void)
{
	uint8_t *frame = NULL, out[1600];
	size_t flen = 0, n = 0;
	struct bw_dhcp_udp4 h = {.src = 0, .dst = 0xffffffffu, .sport = 68, .dport = 67,
				 .ip_id = 256, .ttl = 64};
	uint8_t odd[301];

	if (!CHECK_EQ_INT(check_load_fixture("dhcp/frame-ipxe-discover.bin", &frame, &flen), 0))
		return;
	CHECK_EQ_INT(flen, 428);
	CHECK_EQ_INT(bw_dhcp_build_udp4(&h, frame + 28, flen - 28, out, sizeof(out), &n), 0);
	CHECK_EQ_MEM(out, n, frame, flen);
	/* a reply to a client without an address, odd payload length, DF set */
	for (size_t i = 0; i < sizeof(odd); i++)
		odd[i] = (uint8_t)(i * 7 + 3);
	h = (struct bw_dhcp_udp4){.src = 0x0a000001u, .dst = 0x0a000064u, .sport = 67,
				  .dport = 68, .ttl = 64, .dont_fragment = true};
	CHECK_EQ_INT(bw_dhcp_build_udp4(&h, odd, sizeof(odd), out, sizeof(out), &n), 0);
	CHECK_EQ_INT(n, 28 + sizeof(odd));
	CHECK_EQ_INT(out[0], 0x45);
	CHECK_EQ_INT(out[6], 0x40);
	CHECK_EQ_INT(out[2] << 8 | out[3], 28 + sizeof(odd));
	CHECK_EQ_INT(out[24] << 8 | out[25], 8 + sizeof(odd));
	/* both checksums verify: the header sums to 0xffff, and so does the pseudo header plus
	 * the UDP part */
	CHECK_EQ_INT(bw_dhcp_csum_add(0, out, 20), 0xffff);
	{
		uint8_t ph[12] = {0};
		memcpy(ph, out + 12, 8);
		ph[9] = 17;
		ph[10] = out[24];
		ph[11] = out[25];
		CHECK_EQ_INT(bw_dhcp_csum_add(bw_dhcp_csum_add(0, ph, 12), out + 20, n - 20),
			     0xffff);
	}
	CHECK_EQ_MEM(out + 28, n - 28, odd, sizeof(odd));
	/* limits: one byte short of room, and a datagram over 65535 bytes */
	CHECK_EQ_INT(bw_dhcp_build_udp4(&h, odd, sizeof(odd), out, 28 + sizeof(odd) - 1, &n),
		     -EMSGSIZE);
	CHECK_EQ_INT(bw_dhcp_build_udp4(&h, odd, 65535 - 27, out, sizeof(out), &n), -EMSGSIZE);
	free(frame);
}

int main(void)
{
	test_build_udp4();
	test_fixtures();
	test_fixture_helpers();
	test_helpers();
	test_truncation();
	test_header();
	test_type_and_overload_values();
	test_option_lengths();
	test_concatenation();
	test_overload();
	test_sizes();
	test_bootp();
	test_type_names();
	test_build_exact();
	test_build_split();
	test_build_limits();
	test_build_set_limit();
	test_build_padding();
	test_round_trip();
	test_build_absurd_length();
	return check_summary();
}
