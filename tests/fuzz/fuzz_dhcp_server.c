/* Fuzz target: any bytes through the whole DHCP decision path (parse, classify, choose, pool,
 * reply builder) of a server and a proxy with a fixed configuration, as the daemon runs it.
 * The first input byte picks the server or proxy, port 67 or 4011 and how far the clock
 * moves; the rest is the packet. State carries over from input to input, like a real run.
 * Invariants (abort() when broken): a reply parses back as a BOOTREPLY with the request's
 * xid and chaddr, fits its buffer and the client's size limit, offers only addresses of a
 * configured subnet, a lease to persist is for the MAC that asked, and a reply to a relayed
 * request goes back to the relay with its option 82 unchanged. */
#include <arpa/inet.h>
#include <string.h>

#include "dhcp/dhcp_server.h"
#include "fuzz_assert.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct bw_dhcp_subnet fuzz_subnets[2] = {
	{.net = IP(10, 0, 0, 0), .mask = 0xffffff00u, .range_first = IP(10, 0, 0, 100),
	 .range_last = IP(10, 0, 0, 107), .router = IP(10, 0, 0, 1), .n_dns = 2,
	 .dns = {IP(10, 0, 0, 1), IP(10, 0, 0, 2)}, .domain = "lab.example", .lease_time_s = 3600},
	{.net = IP(10, 9, 0, 0), .mask = 0xffff0000u, .range_first = IP(10, 9, 1, 0),
	 .range_last = IP(10, 9, 1, 3), .lease_time_s = 60},
};
static struct bw_dhcp_reservation fuzz_resv[2] = {
	{.has_mac = true, .mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56}, .addr = IP(10, 0, 0, 101),
	 .hostname = "node1"},
	{.client_id_len = 7, .client_id = {1, 0x52, 0x54, 0, 0xaa, 0xbb, 1}, .boot_file = "x.efi"},
};
static char *fuzz_ifaces[] = {"br0"};
static struct bw_dhcp_config fuzz_cfg[2];
static struct bw_dhcp_server *fuzz_srv[2];
static struct bw_dhcp_msg fuzz_m, fuzz_r;
static struct bw_dhcp_out fuzz_out;
static uint64_t fuzz_now = 1700000000000ull;

static void fuzz_setup(void)
{
	char err[128];

	for (int mode = 0; mode < 2; mode++) {
		struct bw_dhcp_config *c = &fuzz_cfg[mode];

		c->enabled = true;
		c->mode = mode;
		c->n_interfaces = 1;
		c->interfaces = fuzz_ifaces;
		c->offer_timeout_ms = 2000;
		c->decline_hold_s = 5;
		c->decline_max_per_mac = 2;
		c->decline_max_percent = 25;
		c->rate_per_mac = 1000;
		c->http_base = mode ? "http://10.0.0.1:8080/" : NULL;
		c->boot_files = (struct bw_dhcp_boot_files_cfg){"undionly.kpxe", "ipxe.efi",
								"ipxe-ia32.efi", "ipxe-arm64.efi",
								"boot.ipxe"};
		c->n_subnets = 2;
		c->subnets = fuzz_subnets;
		c->n_reservations = 2;
		c->reservations = fuzz_resv;
		FUZZ_ASSERT(bw_dhcp_server_new(c, &fuzz_srv[mode], err, sizeof(err)) == 0);
	}
}

static bool fuzz_in_subnet(uint32_t a)
{
	for (int i = 0; i < 2; i++)
		if ((a & fuzz_subnets[i].mask) == fuzz_subnets[i].net)
			return true;
	return false;
}

static void fuzz_check(const struct bw_dhcp_in *in, const struct bw_dhcp_out *out, int mode)
{
	const struct bw_dhcp_msg *m = in->msg;
	const struct bw_dhcp_opt *o57 = &m->opt[BW_DHCP_OPT_MAX_SIZE];

	FUZZ_ASSERT(memchr(out->verdict, 0, sizeof(out->verdict)) != NULL);
	FUZZ_ASSERT(memchr(out->boot_file, 0, sizeof(out->boot_file)) != NULL);
	if (out->persist) {
		FUZZ_ASSERT(memcmp(out->lease.mac, m->hdr.chaddr, 6) == 0);
		FUZZ_ASSERT(fuzz_in_subnet(out->lease.addr));
		FUZZ_ASSERT(memchr(out->lease.hostname, 0, sizeof(out->lease.hostname)) != NULL);
		FUZZ_ASSERT(out->lease.client_id_len <= BW_LEASE_CLIENT_ID_MAX);
	}
	if (out->dest == BW_DHCP_DEST_NONE)
		return;
	FUZZ_ASSERT(out->len >= BW_DHCP_MIN_REPLY && out->len <= BW_DHCP_REPLY_CAP);
	if (o57->present && o57->len == 2 && ((o57->data[0] << 8) | o57->data[1]) >= 576)
		FUZZ_ASSERT(out->len <= (size_t)((o57->data[0] << 8) | o57->data[1]) - 28);
	else
		FUZZ_ASSERT(out->len <= 576 - 28);
	FUZZ_ASSERT(bw_dhcp_parse(out->pkt, out->len, &fuzz_r) == 0);
	FUZZ_ASSERT(fuzz_r.hdr.op == BW_DHCP_OP_REPLY);
	FUZZ_ASSERT(fuzz_r.hdr.xid == m->hdr.xid);
	FUZZ_ASSERT(memcmp(fuzz_r.hdr.chaddr, m->hdr.chaddr, 16) == 0);
	FUZZ_ASSERT(fuzz_r.type == out->type);
	FUZZ_ASSERT(ntohl(fuzz_r.hdr.yiaddr) == out->yiaddr);
	FUZZ_ASSERT(out->yiaddr == 0 || fuzz_in_subnet(out->yiaddr));
	if (mode == BW_DHCP_MODE_PROXY)
		FUZZ_ASSERT(out->yiaddr == 0 && !out->persist); /* proxy: never an address */
	if (out->dest == BW_DHCP_DEST_HW)
		FUZZ_ASSERT(out->dest_addr == out->yiaddr && out->yiaddr);
	/* through a relay (not on the PXE boot port): back to it, port 67 (RFC 2131 4.1), and a
	 * DHCP reply with its option 82 as it came (RFC 3046 2.2; a BOOTP reply carries only
	 * the RFC 1497 options: dhcp_build) */
	if (m->hdr.giaddr && !in->boot_port) {
		const struct bw_dhcp_opt *a = &m->opt[BW_DHCP_OPT_RELAY_AGENT];
		const struct bw_dhcp_opt *b = &fuzz_r.opt[BW_DHCP_OPT_RELAY_AGENT];

		FUZZ_ASSERT(out->dest == BW_DHCP_DEST_UNICAST && out->dest_port == 67);
		FUZZ_ASSERT(out->dest_addr == ntohl(m->hdr.giaddr));
		FUZZ_ASSERT(fuzz_r.hdr.giaddr == m->hdr.giaddr);
		if (out->type == BW_DHCP_NONE)
			return;
		FUZZ_ASSERT(a->present == b->present);
		FUZZ_ASSERT(!a->present || (a->len == b->len && memcmp(a->data, b->data, a->len) == 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_dhcp_in in;
	int mode;

	if (!fuzz_srv[0])
		fuzz_setup();
	if (size < 1)
		return 0;
	mode = data[0] & 1;
	fuzz_now += (uint64_t)(data[0] >> 2) * 97;
	if (bw_dhcp_parse(data + 1, size - 1, &fuzz_m) < 0)
		return 0;
	in = (struct bw_dhcp_in){
		.msg = &fuzz_m,
		.iface = "br0",
		.server_addr = IP(10, 0, 0, 1),
		.iface_mask = 0xffffff00u,
		.boot_port = (data[0] & 2) != 0,
		.src_addr = IP(10, 0, 0, 77),
		.src_port = (data[0] & 2) ? 4011 : 68,
		.now = fuzz_now,
	};
	bw_dhcp_server_step(fuzz_srv[mode], &in, &fuzz_out);
	fuzz_check(&in, &fuzz_out, mode);
	return 0;
}
