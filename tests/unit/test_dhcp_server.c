/* The DHCP server's decisions, driven with parsed requests (captured and crafted) and a fake
 * clock; replies are parsed back and checked field by field. No sockets. */
#include <arpa/inet.h>

#include "check.h"
#include "dhcp/dhcp_server.h"
#include "profile_test.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SERVER IP(10, 0, 0, 1)
#define NOW 1700000000000ull

static const uint8_t MAC_A[6] = {0x52, 0x54, 0, 0, 0, 0xa};
static const uint8_t MAC_B[6] = {0x52, 0x54, 0, 0, 0, 0xb};
static const uint8_t MAC_C[6] = {0x52, 0x54, 0, 0, 0, 0xc};
static const uint8_t MAC_R[6] = {0x52, 0x54, 0, 0, 0, 0x99}; /* reserved */

static struct bw_dhcp_subnet subnets[2];
static struct bw_dhcp_reservation resv[1];
static char *ifaces[] = {"br0"};
static struct bw_dhcp_config cfg;
static struct bw_dhcp_msg msg, reply;
static struct bw_dhcp_out out;

static void setup_cfg(int mode)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(subnets, 0, sizeof(subnets));
	subnets[0] = (struct bw_dhcp_subnet){.net = IP(10, 0, 0, 0), .mask = 0xffffff00u,
					     .range_first = IP(10, 0, 0, 100),
					     .range_last = IP(10, 0, 0, 103), .router = SERVER,
					     .n_dns = 1, .dns = {SERVER}, .domain = "lab",
					     .lease_time_s = 3600};
	subnets[1] = (struct bw_dhcp_subnet){.net = IP(10, 9, 0, 0), .mask = 0xffff0000u,
					     .range_first = IP(10, 9, 1, 0),
					     .range_last = IP(10, 9, 1, 255), .router = IP(10, 9, 0, 1),
					     .lease_time_s = 600};
	resv[0] = (struct bw_dhcp_reservation){.has_mac = true, .addr = IP(10, 0, 0, 101),
					       .hostname = "node1"};
	memcpy(resv[0].mac, MAC_R, 6);
	cfg.enabled = true;
	cfg.mode = mode;
	cfg.n_interfaces = 1;
	cfg.interfaces = ifaces;
	cfg.offer_timeout_ms = 10000;
	cfg.decline_hold_s = 600;
	cfg.decline_max_per_mac = 2;
	cfg.decline_max_percent = 25;
	cfg.rate_per_mac = 20;
	cfg.boot_files = (struct bw_dhcp_boot_files_cfg){"undionly.kpxe", "ipxe.efi", "ipxe-ia32.efi",
							 "ipxe-arm64.efi", "boot.ipxe"};
	cfg.n_subnets = 2;
	cfg.subnets = subnets;
	cfg.n_reservations = 1;
	cfg.reservations = resv;
}

struct rq {
	uint8_t type; /* 0: BOOTP */
	const uint8_t *mac;
	uint32_t ciaddr, giaddr, req_ip, server_id;
	uint16_t flags;
	const char *vendor;
	int arch;
	bool ipxe;
	uint16_t max_size;
	bool relay82;
	bool cid_empty; /* a zero-length option 61 */
};

static uint8_t rqbuf[1024];

static void make(const struct rq *r)
{
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h = {.op = 1, .htype = 1, .hlen = 6, .xid = 0x1234,
				.ciaddr = htonl(r->ciaddr), .giaddr = htonl(r->giaddr),
				.flags = r->flags}; /* xid, secs, flags: host order */
	size_t len;
	uint32_t v;

	memcpy(h.chaddr, r->mac, 6);
	bw_dhcp_build_start(&b, rqbuf, sizeof(rqbuf), &h);
	if (r->type)
		bw_dhcp_build_opt_u8(&b, BW_DHCP_OPT_MSG_TYPE, r->type);
	if (r->req_ip) {
		v = htonl(r->req_ip);
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_REQUESTED_IP, &v, 4);
	}
	if (r->server_id) {
		v = htonl(r->server_id);
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_SERVER_ID, &v, 4);
	}
	if (r->vendor)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_VENDOR_CLASS, r->vendor, strlen(r->vendor));
	if (r->arch >= 0 && r->vendor) {
		uint8_t a[2] = {(uint8_t)(r->arch >> 8), (uint8_t)r->arch};
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_CLIENT_ARCH, a, 2);
	}
	if (r->ipxe)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_USER_CLASS, "\x04iPXE", 5);
	if (r->max_size) {
		uint8_t m[2] = {(uint8_t)(r->max_size >> 8), (uint8_t)r->max_size};
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_MAX_SIZE, m, 2);
	}
	if (r->cid_empty)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_CLIENT_ID, "", 0);
	if (r->relay82)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_RELAY_AGENT, "\x01\x04port", 6);
	bw_dhcp_build_finish(&b, &len);
	CHECK_EQ_INT(bw_dhcp_parse(rqbuf, len, &msg), 0);
}

/* Runs one request through s; parses the reply (if any) into `reply`. */
static void step_at(struct bw_dhcp_server *s, const struct rq *r, bool boot_port, uint64_t now)
{
	struct bw_dhcp_in in = {.msg = &msg, .iface = "br0", .server_addr = SERVER,
				.iface_mask = 0xffffff00u, .boot_port = boot_port,
				.src_addr = r->ciaddr, .src_port = boot_port ? 4011 : 68, .now = now};

	make(r);
	bw_dhcp_server_step(s, &in, &out);
	if (out.dest != BW_DHCP_DEST_NONE)
		CHECK_EQ_INT(bw_dhcp_parse(out.pkt, out.len, &reply), 0);
}

static void step(struct bw_dhcp_server *s, const struct rq *r)
{
	step_at(s, r, false, NOW);
}

static uint32_t opt_ip(const struct bw_dhcp_msg *m, uint8_t code)
{
	uint32_t v = 0;

	bw_dhcp_opt_addr(m, code, &v);
	return ntohl(v);
}

static struct bw_dhcp_server *new_server(int mode)
{
	struct bw_dhcp_server *s = NULL;
	char err[128];

	setup_cfg(mode);
	CHECK_EQ_INT(bw_dhcp_server_new(&cfg, &s, err, sizeof(err)), 0);
	return s;
}

/* DISCOVER: the offer, its options and where it goes. Returns the offered address. */
static uint32_t dora_offer(struct bw_dhcp_server *s)
{
	uint32_t lease = 0, yi;

	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_HW); /* no broadcast flag, no address yet */
	CHECK(!out.persist);
	yi = ntohl(reply.hdr.yiaddr);
	CHECK_EQ_U64(yi, IP(10, 0, 0, 100));
	CHECK_EQ_U64(out.dest_addr, yi);
	CHECK_EQ_INT(reply.hdr.op, BW_DHCP_OP_REPLY);
	CHECK_EQ_INT(reply.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(reply.hdr.xid, 0x1234);
	CHECK_EQ_U64(out.xid, 0x1234);
	CHECK_EQ_MEM(out.chaddr, 6, MAC_A, 6);
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_SERVER_ID), SERVER);
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_SUBNET_MASK), 0xffffff00u);
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_ROUTER), SERVER);
	CHECK(bw_dhcp_opt_u32(&reply, BW_DHCP_OPT_LEASE_TIME, &lease));
	CHECK_EQ_U64(lease, 3600);
	CHECK(!reply.opt[BW_DHCP_OPT_BOOTFILE].present); /* not a PXE client */
	CHECK_EQ_U64(reply.hdr.siaddr, 0);

	/* broadcast flag: broadcast; a reserved bit alone is not the broadcast flag */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1, .flags = 0x0080});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_HW);
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1, .flags = 0x8000});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_BROADCAST);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), yi); /* the same offer again */
	return yi;
}

/* REQUEST in the selecting, renewing and init-reboot states. */
static void dora_requests(struct bw_dhcp_server *s, uint32_t yi)
{
	/* REQUEST (selecting): ACK, to be persisted first */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1, .req_ip = yi,
			     .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK(out.persist);
	CHECK_EQ_U64(out.lease.addr, yi);
	CHECK_EQ_MEM(out.lease.mac, 6, MAC_A, 6);
	CHECK_EQ_INT(out.lease.state, BW_LEASE_BOUND);
	CHECK_EQ_U64(out.lease.expires_ms, NOW + 3600000);
	/* B asks for A's address: NAK, broadcast */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1, .req_ip = yi,
			     .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_BROADCAST);
	CHECK(!out.persist);
	CHECK_EQ_U64(reply.hdr.yiaddr, 0);
	CHECK(reply.opt[BW_DHCP_OPT_MESSAGE].present);
	/* renewing (ciaddr, unicast): ACK to ciaddr:68 */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1, .ciaddr = yi});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_UNICAST);
	CHECK_EQ_U64(out.dest_addr, yi);
	CHECK_EQ_INT(out.dest_port, 68);
	/* INIT-REBOOT on the wrong network: NAK; outside the pool: NAK */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1,
			     .req_ip = IP(192, 168, 1, 5)});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
			     .req_ip = IP(10, 0, 0, 50)});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	/* INIT-REBOOT for a free pool address: ACK */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
			     .req_ip = IP(10, 0, 0, 102)});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	/* B selecting another server: silence */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
			     .req_ip = IP(10, 0, 0, 7), .server_id = IP(10, 0, 0, 2)});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	CHECK(strstr(out.verdict, "chose server 10.0.0.2") != NULL);
}

/* RELEASE and DECLINE: no reply, the lease's new state persisted. */
static void dora_release_decline(struct bw_dhcp_server *s, uint32_t yi)
{
	/* RELEASE of someone else's address is ignored; of its own, persisted */
	step(s, &(struct rq){.type = BW_DHCP_RELEASE, .mac = MAC_B, .arch = -1, .ciaddr = yi,
			     .server_id = SERVER});
	CHECK(!out.persist);
	step(s, &(struct rq){.type = BW_DHCP_RELEASE, .mac = MAC_A, .arch = -1, .ciaddr = yi,
			     .server_id = SERVER});
	CHECK(out.persist);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	CHECK_EQ_INT(out.lease.state, BW_LEASE_RELEASED);
	/* DECLINE: quarantined, persisted */
	step(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_B, .arch = -1,
			     .req_ip = IP(10, 0, 0, 102), .server_id = SERVER});
	CHECK(out.persist);
	CHECK_EQ_INT(out.lease.state, BW_LEASE_DECLINED);
	CHECK_EQ_U64(out.lease.expires_ms, NOW + 600000);
}

/* Issue 11: while A's offer stands, B's REQUEST for that address is NAKed (INIT-REBOOT and
 * SELECTING alike) and A's REQUEST gets the ACK. */
static void test_offer_held(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	uint32_t yi;

	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	yi = ntohl(reply.hdr.yiaddr);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1, .req_ip = yi},
		false, NOW + 100);
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	CHECK(!out.persist);
	CHECK_EQ_STR(out.verdict, "NAK: address offered to another client");
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_MESSAGE].data, reply.opt[BW_DHCP_OPT_MESSAGE].len,
		     "NAK: address offered to another client", 38);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1, .req_ip = yi,
				.server_id = SERVER}, false, NOW + 200);
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1, .req_ip = yi,
				.server_id = SERVER}, false, NOW + 300);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), yi);
	CHECK(out.persist);
	CHECK_EQ_MEM(out.lease.mac, 6, MAC_A, 6);
	/* B then DISCOVERs and gets an address of its own */
	step_at(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1}, false,
		NOW + 400);
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK(ntohl(reply.hdr.yiaddr) != yi);
	/* an offer that timed out binds nobody: B's INIT-REBOOT for C's lapsed offer is ACKed */
	step_at(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_C, .arch = -1}, false,
		NOW + 500);
	yi = ntohl(reply.hdr.yiaddr);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1, .req_ip = yi},
		false, NOW + 500 + 10000);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	bw_dhcp_server_free(s);
}

/* DORA for mac at now; returns the address ACKed. */
static uint32_t bind_at(struct bw_dhcp_server *s, const uint8_t *mac, uint64_t now)
{
	uint32_t yi;

	step_at(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = mac, .arch = -1}, false, now);
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	yi = ntohl(reply.hdr.yiaddr);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = mac, .arch = -1, .req_ip = yi,
				.server_id = SERVER}, false, now);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	return yi;
}

/* Issue 11: a DECLINE is taken only from the client bound to the address, with our server
 * identifier and option 50; the quarantine is capped (4 addresses, 25%: one). */
static void test_decline_checks(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	uint32_t x = bind_at(s, MAC_A, NOW), y;
	char want[200];

	step(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_B, .arch = -1, .req_ip = x,
			     .server_id = SERVER});
	CHECK(!out.persist);
	CHECK_EQ_STR(out.verdict, "ignoring DECLINE of 10.0.0.100: not this client's address");
	step(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_A, .arch = -1, .req_ip = x,
			     .server_id = IP(10, 0, 0, 2)});
	CHECK(!out.persist);
	CHECK_EQ_STR(out.verdict, "ignoring DECLINE: not addressed to this server");
	step(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_A, .arch = -1, .ciaddr = x,
			     .server_id = SERVER});
	CHECK(!out.persist);
	CHECK_EQ_STR(out.verdict, "ignoring DECLINE: no requested address (option 50)");
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1});
	y = ntohl(reply.hdr.yiaddr);
	step(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_B, .arch = -1, .req_ip = y,
			     .server_id = SERVER});
	CHECK(!out.persist); /* only offered */
	/* A's own DECLINE: quarantined, persisted */
	step(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_A, .arch = -1, .req_ip = x,
			     .server_id = SERVER});
	CHECK(out.persist);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	CHECK_EQ_INT(out.lease.state, BW_LEASE_DECLINED);
	CHECK_EQ_STR(out.verdict, "DECLINE 10.0.0.100: quarantined");
	CHECK_EQ_STR(out.warn, "");
	/* C's DECLINE: the pool's one quarantine slot goes to C's, A's .100 comes back */
	y = bind_at(s, MAC_C, NOW + 1);
	step_at(s, &(struct rq){.type = BW_DHCP_DECLINE, .mac = MAC_C, .arch = -1, .req_ip = y,
				.server_id = SERVER}, false, NOW + 2);
	CHECK(out.persist);
	CHECK_EQ_STR(out.warn, "quarantine cap reached: 1 of the pool's 4 addresses are "
		     "quarantined (dhcp.decline_max_percent 25): 10.0.0.100 released early");
	snprintf(want, sizeof(want), "DECLINE %u.%u.%u.%u: quarantined; %s", y >> 24,
		 (y >> 16) & 255, (y >> 8) & 255, y & 255, out.warn);
	CHECK_EQ_STR(out.verdict, want);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
				.req_ip = IP(10, 0, 0, 100)}, false, NOW + 3);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1, .req_ip = y},
		false, NOW + 3);
	CHECK_EQ_INT(out.type, BW_DHCP_NAK); /* quarantined */
	bw_dhcp_server_free(s);
}

static void test_dora(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	uint32_t yi = dora_offer(s);

	dora_requests(s, yi);
	dora_release_decline(s, yi);
	bw_dhcp_server_free(s);
}

static void test_inform_bootp_relay(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	uint32_t v;

	/* INFORM: configuration, no address, no lease time */
	step(s, &(struct rq){.type = BW_DHCP_INFORM, .mac = MAC_A, .arch = -1,
			     .ciaddr = IP(10, 0, 0, 20)});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_U64(reply.hdr.yiaddr, 0);
	CHECK(!bw_dhcp_opt_u32(&reply, BW_DHCP_OPT_LEASE_TIME, &v));
	CHECK_EQ_U64(out.dest_addr, IP(10, 0, 0, 20));
	CHECK(!out.persist);
	/* BOOTP: an address at once, no option 53, persisted */
	step(s, &(struct rq){.type = 0, .mac = MAC_B, .arch = -1});
	CHECK(out.persist);
	CHECK_EQ_INT(reply.type, BW_DHCP_NONE);
	CHECK(reply.hdr.yiaddr != 0);
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_SUBNET_MASK), 0xffffff00u);
	/* relayed: the relay's subnet, back to giaddr:67, option 82 echoed */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1,
			     .giaddr = IP(10, 9, 0, 1), .relay82 = true});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 9, 1, 0));
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_UNICAST);
	CHECK_EQ_U64(out.dest_addr, IP(10, 9, 0, 1));
	CHECK_EQ_INT(out.dest_port, 67);
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_RELAY_AGENT].data, reply.opt[BW_DHCP_OPT_RELAY_AGENT].len,
		     "\x01\x04port", 6);
	CHECK(bw_dhcp_opt_u32(&reply, BW_DHCP_OPT_LEASE_TIME, &v));
	CHECK_EQ_U64(v, 600);
	/* a relay address in no subnet: ignored */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1,
			     .giaddr = IP(172, 16, 0, 1)});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	/* a BOOTREPLY sent to the server: dropped */
	make(&(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	msg.hdr.op = BW_DHCP_OP_REPLY;
	bw_dhcp_server_step(s, &(struct bw_dhcp_in){.msg = &msg, .iface = "br0",
						  .server_addr = SERVER, .now = NOW}, &out);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	bw_dhcp_server_free(s);
}

static void test_reservation_and_limits(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
	unsigned offers = 0;

	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_R, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 101));
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_HOSTNAME].data, reply.opt[BW_DHCP_OPT_HOSTNAME].len,
		     "node1", 5);
	CHECK_EQ_STR(out.hostname, "node1"); /* for the log line */
	CHECK_EQ_STR(out.profile, "");
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_R, .arch = -1,
			     .req_ip = IP(10, 0, 0, 101), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_STR(out.lease.hostname, "node1");
	/* a zero-length client identifier matches no reservation */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1, .cid_empty = true});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK(ntohl(reply.hdr.yiaddr) != IP(10, 0, 0, 101));
	/* nobody else gets the reserved address */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1,
			     .req_ip = IP(10, 0, 0, 101), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	/* the reserved client cannot take another address */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_R, .arch = -1,
			     .req_ip = IP(10, 0, 0, 100), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	/* per-MAC rate limit: 20/s with bursts of 40 */
	for (int i = 0; i < 100; i++) {
		step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_C, .arch = -1});
		offers += out.type == BW_DHCP_OFFER && out.dest != BW_DHCP_DEST_NONE;
	}
	CHECK_EQ_INT(offers, 40);
	step_at(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_C, .arch = -1}, false,
		NOW + 1000);
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	/* a flood of random MACs recycles offers; a real client still completes */
	for (int i = 0; i < 1000; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		step_at(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = mac, .arch = -1}, false,
			NOW + 2000);
	}
	step_at(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1}, false,
		NOW + 2001);
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
				.req_ip = ntohl(reply.hdr.yiaddr), .server_id = SERVER},
		false, NOW + 2002);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	/* a small client limit: the reply fits 576 bytes */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_R, .arch = -1, .max_size = 300});
	CHECK(out.len <= 576 - 28);
	bw_dhcp_server_free(s);
}

/* Reload: options, reservations and limits of the new config apply to the next request; the
 * mode the sockets were opened for stays; a subnet whose range changed keeps its settings. */
static void test_reconfigure_mode(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	static struct bw_dhcp_subnet sn2[2];
	static struct bw_dhcp_reservation rv2[1];
	struct bw_dhcp_config c2;
	unsigned kept = 99;

	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	c2 = cfg;
	memcpy(sn2, subnets, sizeof(sn2));
	memcpy(rv2, resv, sizeof(rv2));
	c2.subnets = sn2;
	c2.reservations = rv2;
	c2.mode = BW_DHCP_MODE_PROXY; /* needs a restart: ignored */
	sn2[0].dns[0] = IP(10, 0, 0, 53);
	sn2[1].range_last = IP(10, 9, 1, 254);
	rv2[0].addr = IP(10, 0, 0, 102);
	CHECK_EQ_INT(bw_dhcp_server_reconfigure(s, &c2, &kept), 0);
	CHECK_EQ_INT(kept, 1); /* 10.9/16 changed its range: one subnet, counted once */
	/* the offer made before: its REQUEST is ACKed, with the new DNS */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1,
			     .req_ip = IP(10, 0, 0, 100), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_DNS), IP(10, 0, 0, 53));
	/* still server mode: a plain client gets an address; the reservation moved */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_R, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 102));
	bw_dhcp_server_free(s);
}

static void test_pxe_server_mode(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);

	/* BIOS PXE ROM: undionly.kpxe over TFTP, next-server, options 60/43/66/67 */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = 0,
			     .vendor = "PXEClient:Arch:00000:UNDI:002001"});
	CHECK_EQ_STR(reply.hdr.file, "undionly.kpxe");
	CHECK_EQ_STR(reply.hdr.sname, "10.0.0.1");
	CHECK_EQ_U64(ntohl(reply.hdr.siaddr), SERVER);
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_BOOTFILE].data, reply.opt[BW_DHCP_OPT_BOOTFILE].len,
		     "undionly.kpxe", 13);
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_TFTP_SERVER].data,
		     reply.opt[BW_DHCP_OPT_TFTP_SERVER].len, "10.0.0.1", 8);
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_VENDOR_CLASS].data,
		     reply.opt[BW_DHCP_OPT_VENDOR_CLASS].len, "PXEClient", 9);
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_VENDOR].data, reply.opt[BW_DHCP_OPT_VENDOR].len,
		     "\x06\x01\x08\xff", 4);
	CHECK(reply.hdr.yiaddr != 0);
	/* UEFI x86-64: ipxe.efi */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = 7,
			     .vendor = "PXEClient:Arch:00007:UNDI:003000"});
	CHECK_EQ_STR(reply.hdr.file, "ipxe.efi");
	/* iPXE: its script, never iPXE again; no option 43 */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = 7, .ipxe = true,
			     .vendor = "PXEClient:Arch:00007:UNDI:003010"});
	CHECK_EQ_STR(reply.hdr.file, "boot.ipxe");
	CHECK(!reply.opt[BW_DHCP_OPT_VENDOR].present);
	/* UEFI HTTP boot without an HTTP server configured: an address but nothing to boot */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = 16,
			     .vendor = "HTTPClient:Arch:00016:UNDI:003000"});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_STR(reply.hdr.file, "");
	bw_dhcp_server_free(s);
	/* with HTTP: the URL and the vendor class echoed */
	s = new_server(BW_DHCP_MODE_SERVER);
	cfg.http_base = "http://10.0.0.1:8080/";
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = 16,
			     .vendor = "HTTPClient:Arch:00016:UNDI:003000"});
	CHECK_EQ_STR(reply.hdr.file, "http://10.0.0.1:8080/ipxe.efi");
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_VENDOR_CLASS].data,
		     reply.opt[BW_DHCP_OPT_VENDOR_CLASS].len, "HTTPClient", 10);
	CHECK(!reply.opt[BW_DHCP_OPT_VENDOR].present);
	bw_dhcp_server_free(s);
}

static void test_proxy_mode(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_PROXY);

	/* a plain client: proxyDHCP stays silent */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	/* a PXE DISCOVER: boot information, no address, broadcast */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = 0,
			     .vendor = "PXEClient:Arch:00000:UNDI:002001"});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(reply.hdr.yiaddr, 0);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_BROADCAST);
	CHECK_EQ_STR(reply.hdr.file, "undionly.kpxe");
	CHECK(!reply.opt[BW_DHCP_OPT_LEASE_TIME].present);
	CHECK(!reply.opt[BW_DHCP_OPT_SUBNET_MASK].present);
	CHECK(!out.persist);
	/* its REQUEST to the real server on port 67: not ours */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = 0,
			     .vendor = "PXEClient:Arch:00000:UNDI:002001",
			     .req_ip = IP(10, 0, 0, 77), .server_id = IP(10, 0, 0, 2)});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	/* the REQUEST to port 4011: ACK with the boot file, back to the client */
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = 0,
				.vendor = "PXEClient:Arch:00000:UNDI:002001",
				.ciaddr = IP(10, 0, 0, 77)}, true, NOW);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_UNICAST);
	CHECK_EQ_U64(out.dest_addr, IP(10, 0, 0, 77));
	CHECK_EQ_INT(out.dest_port, 4011);
	CHECK_EQ_STR(reply.hdr.file, "undionly.kpxe");
	CHECK_EQ_U64(reply.hdr.yiaddr, 0);
	bw_dhcp_server_free(s);
}

/* Captured requests through the whole server. */
static void test_captures(void)
{
	static const struct {
		const char *file;
		enum bw_dhcp_msg_type type;
		const char *boot;
	} cases[] = {
		{"dhcp/discover-dhclient.bin", BW_DHCP_OFFER, ""},
		{"dhcp/discover-udhcpc.bin", BW_DHCP_OFFER, ""},
		{"dhcp/discover-ipxe-bios.bin", BW_DHCP_OFFER, "boot.ipxe"},
		{"dhcp/discover-ovmf-x64.bin", BW_DHCP_OFFER, "ipxe.efi"},
		/* selecting 10.98.0.98 from server 10.98.0.1, which we are here, and free */
		{"dhcp/request-ipxe-bios.bin", BW_DHCP_ACK, "boot.ipxe"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
		struct bw_dhcp_in in = {.msg = &msg, .iface = "br0", .server_addr = IP(10, 98, 0, 1),
					.iface_mask = 0xffffff00u, .now = NOW};
		uint8_t *buf;
		size_t len;

		check_context = cases[i].file;
		subnets[0].net = IP(10, 98, 0, 0);
		subnets[0].range_first = IP(10, 98, 0, 50);
		subnets[0].range_last = IP(10, 98, 0, 99);
		bw_dhcp_server_free(s);
		CHECK_EQ_INT(bw_dhcp_server_new(&cfg, &s, (char[64]){0}, 64), 0);
		if (check_load_fixture(cases[i].file, &buf, &len) < 0)
			continue;
		CHECK_EQ_INT(bw_dhcp_parse(buf, len, &msg), 0);
		bw_dhcp_server_step(s, &in, &out);
		CHECK_EQ_INT(out.type, cases[i].type);
		CHECK_EQ_INT(bw_dhcp_parse(out.pkt, out.len, &reply), 0);
		CHECK_EQ_STR(reply.hdr.file, cases[i].boot);
		CHECK(out.len <= 576 - 28 || msg.opt[BW_DHCP_OPT_MAX_SIZE].present);
		free(buf);
		bw_dhcp_server_free(s);
	}
	check_context = NULL;
}

/* Reload: a new reservation, a removed one, new subnet options, a subnet whose range changed
 * (keeps its old settings) and a new subnet (not served), all with a lease kept. */
static void test_reconfigure(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	static struct bw_dhcp_subnet nsub[3];
	static struct bw_dhcp_reservation nresv[1];
	struct bw_dhcp_config ncfg;
	unsigned kept = 99;
	uint32_t a_addr;

	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	a_addr = ntohl(reply.hdr.yiaddr);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1, .req_ip = a_addr,
			     .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	/* MAC_R loses its reservation of .101; MAC_B gets .103; subnet 0 a new router, DNS
	 * and lease time; subnet 1 a new range; a third subnet appears */
	ncfg = cfg;
	memcpy(nsub, subnets, sizeof(subnets));
	nsub[0].router = IP(10, 0, 0, 254);
	nsub[0].dns[0] = IP(10, 0, 0, 53);
	nsub[0].domain = "new.lab";
	nsub[0].lease_time_s = 120;
	nsub[1].range_last = IP(10, 9, 2, 255);
	nsub[2] = (struct bw_dhcp_subnet){.net = IP(10, 8, 0, 0), .mask = 0xffff0000u,
					  .range_first = IP(10, 8, 0, 10),
					  .range_last = IP(10, 8, 0, 20), .lease_time_s = 60};
	ncfg.subnets = nsub;
	ncfg.n_subnets = 3;
	nresv[0] = (struct bw_dhcp_reservation){.has_mac = true, .addr = IP(10, 0, 0, 103),
						.hostname = "node-b"};
	memcpy(nresv[0].mac, MAC_B, 6);
	ncfg.reservations = nresv;
	ncfg.boot_files.bios = "new.kpxe";
	CHECK_EQ_INT(bw_dhcp_server_reconfigure(s, &ncfg, &kept), 0);
	CHECK_EQ_INT(kept, 2); /* subnet 1 (range changed) and the new subnet */
	/* the new options, the new reservation */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 103));
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_ROUTER), IP(10, 0, 0, 254));
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_DNS), IP(10, 0, 0, 53));
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_HOSTNAME].data, reply.opt[BW_DHCP_OPT_HOSTNAME].len,
		     "node-b", 6);
	/* the old reservation's address is free again; MAC_R is an ordinary client now */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
			     .req_ip = IP(10, 0, 0, 101), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_LEASE_TIME), 120);
	/* the lease from before the reload is still MAC_A's */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1, .req_ip = a_addr,
			     .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1, .ciaddr = a_addr});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	/* a PXE client gets the new boot file */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = 0,
			     .vendor = "PXEClient:Arch:00000:UNDI:002001"});
	CHECK_EQ_STR(reply.hdr.file, "new.kpxe");
	/* the subnet whose range changed kept its old settings; the new one is not served */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1,
			     .giaddr = IP(10, 9, 0, 1)});
	CHECK_EQ_U64(opt_ip(&reply, BW_DHCP_OPT_ROUTER), IP(10, 9, 0, 1));
	CHECK(ntohl(reply.hdr.yiaddr) <= IP(10, 9, 1, 255));
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_C, .arch = -1,
			     .giaddr = IP(10, 8, 0, 1)});
	CHECK_EQ_INT(out.dest, BW_DHCP_DEST_NONE);
	/* the copies do not point into the old config: wipe it */
	memset(subnets, 0x5a, sizeof(subnets));
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1});
	CHECK_EQ_MEM(reply.opt[BW_DHCP_OPT_DOMAIN].data, reply.opt[BW_DHCP_OPT_DOMAIN].len,
		     "new.lab", 7);
	bw_dhcp_server_free(s);
}

/* Machines with ip (pool .100-.103; MAC_R's reservation holds .101): A gets .50 (outside
 * the range) and its name, B .102 (inside: taken out of the pool), and MAC_R's own
 * reservation wins over its machine entry. */
static const char *const machines_yaml =
	"profiles: { a: { local: true } }\n"
	"machines:\n"
	"  - { mac: '52:54:00:00:00:0a', ip: 10.0.0.50, hostname: mach-a, profile: a }\n"
	"  - { mac: '52:54:00:00:00:0b', ip: 10.0.0.102 }\n"
	"  - { mac: '52:54:00:00:00:99', ip: 10.0.0.60, hostname: ignored }\n";

static void check_hostname(const char *want)
{
	const struct bw_dhcp_opt *o = &reply.opt[BW_DHCP_OPT_HOSTNAME];

	CHECK(o->present);
	CHECK_EQ_MEM(o->data, o->len, want, strlen(want));
	CHECK_EQ_STR(out.hostname, want);
}

/* A and B through DISCOVER, REQUEST and BOOTP; the reservation of MAC_R. */
static void machines_dora(struct bw_dhcp_server *s)
{
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 50));
	check_hostname("mach-a"); /* not a boot client, still named */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1,
			     .req_ip = IP(10, 0, 0, 50), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK(out.persist);
	CHECK_EQ_STR(out.lease.hostname, "mach-a");
	check_hostname("mach-a");
	/* the machine cannot take another address; nobody else takes its own */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1,
			     .req_ip = IP(10, 0, 0, 100), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
			     .req_ip = IP(10, 0, 0, 102), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	step(s, &(struct rq){.type = 0, .mac = MAC_A, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 50));
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 102));
	CHECK(!reply.opt[BW_DHCP_OPT_HOSTNAME].present);
	/* the reservation wins over MAC_R's machine entry */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_R, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 101));
	check_hostname("node1");
}

static void test_machine_address(void)
{
	struct bw_config *pc = pt_load(machines_yaml);
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	uint32_t seen = 0;

	if (!CHECK(pc != NULL))
		goto out;
	bw_dhcp_server_set_profiles(s, bw_profile_set_of(pc));
	machines_dora(s);
	/* dynamic clients get .100 and .103 only */
	for (int i = 0; i < 4; i++) {
		uint8_t mac[6] = {2, 0, 0, 0, 0, (uint8_t)i};

		step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = mac, .arch = -1});
		if (out.type == BW_DHCP_OFFER)
			seen |= 1u << (ntohl(reply.hdr.yiaddr) - IP(10, 0, 0, 100));
	}
	CHECK_EQ_U64(seen, 0x9);
	/* a PXE client: its address, its name, its profile */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = 0,
			     .vendor = "PXEClient:Arch:00000:UNDI:002001"});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 50));
	check_hostname("mach-a");
	CHECK_EQ_STR(out.profile, "a");
	bw_dhcp_server_free(s);
	/* proxy mode ignores ip */
	s = new_server(BW_DHCP_MODE_PROXY);
	bw_dhcp_server_set_profiles(s, bw_profile_set_of(pc));
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = 0,
			     .vendor = "PXEClient:Arch:00000:UNDI:002001"});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(reply.hdr.yiaddr, 0);
out:
	bw_dhcp_server_free(s);
	bw_config_free(pc);
}

/* Machines that only give addresses and names choose no boot: a PXE client still gets
 * dhcp.boot_files' program (moving reservations into machines must not stop boots). */
static void test_machines_without_profiles(void)
{
	struct bw_config *pc = pt_load("machines:\n"
				       "  - { mac: '52:54:00:00:00:0a', ip: 10.0.0.50, hostname: n1 }\n");
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);

	if (CHECK(pc != NULL)) {
		bw_dhcp_server_set_profiles(s, bw_profile_set_of(pc));
		step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = 0,
				     .vendor = "PXEClient:Arch:00000:UNDI:002001"});
		CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
		CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 50));
		CHECK_EQ_STR(reply.hdr.file, "undionly.kpxe");
		check_hostname("n1");
		CHECK_EQ_STR(out.profile, "");
	}
	bw_dhcp_server_free(s);
	bw_config_free(pc);
}

/* Leases read back at start: a machine's own lease needs no pool slot (its address may lie
 * outside the range); another client's lease of a machine's address is stale. */
static void test_machine_restore(void)
{
	struct bw_config *pc = pt_load(machines_yaml);
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	struct bw_lease_rec rec = {.addr = IP(10, 0, 0, 50), .state = BW_LEASE_BOUND,
				   .expires_ms = (int64_t)NOW + 60000};

	if (!CHECK(pc != NULL))
		goto out;
	bw_dhcp_server_set_profiles(s, bw_profile_set_of(pc));
	memcpy(rec.mac, MAC_A, 6);
	CHECK_EQ_INT(bw_dhcp_server_restore(s, &rec, NOW), 0);
	rec.addr = IP(10, 0, 0, 102);
	memcpy(rec.mac, MAC_C, 6);
	CHECK_EQ_INT(bw_dhcp_server_restore(s, &rec, NOW), -EEXIST);
	/* MAC_R's reservation wins: its machine address is not its lease */
	rec.addr = IP(10, 0, 0, 60);
	memcpy(rec.mac, MAC_R, 6);
	CHECK_EQ_INT(bw_dhcp_server_restore(s, &rec, NOW), -ERANGE);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_A, .arch = -1,
			     .ciaddr = IP(10, 0, 0, 50)});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
out:
	bw_dhcp_server_free(s);
	bw_config_free(pc);
}

/* Reload: the pools follow the profile set. .102 moves from B's machine entry to MAC_R's
 * reservation and .101 from that reservation to A's entry, B gets .103: all three stay
 * reserved whatever the order of reconfigure and set_profiles; dropping the profiles gives
 * the machines' addresses back. */
static void test_machine_reload(void)
{
	struct bw_config *p1 = pt_load(machines_yaml);
	struct bw_config *p2 = pt_load("machines:\n"
				       "  - { mac: '52:54:00:00:00:0a', ip: 10.0.0.101 }\n"
				       "  - { mac: '52:54:00:00:00:0b', ip: 10.0.0.103 }\n");
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	static struct bw_dhcp_reservation nresv[1];
	struct bw_dhcp_config ncfg;
	unsigned kept;

	if (!CHECK(p1 && p2))
		goto out;
	bw_dhcp_server_set_profiles(s, bw_profile_set_of(p1));
	ncfg = cfg;
	nresv[0] = (struct bw_dhcp_reservation){.has_mac = true, .addr = IP(10, 0, 0, 102)};
	memcpy(nresv[0].mac, MAC_R, 6);
	ncfg.reservations = nresv;
	CHECK_EQ_INT(bw_dhcp_server_reconfigure(s, &ncfg, &kept), 0);
	bw_dhcp_server_set_profiles(s, bw_profile_set_of(p2));
	for (uint32_t a = IP(10, 0, 0, 101); a <= IP(10, 0, 0, 103); a++) {
		step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
				     .req_ip = a, .server_id = SERVER});
		CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	}
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_A, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 101));
	CHECK(!reply.opt[BW_DHCP_OPT_HOSTNAME].present); /* the new entry names none */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_B, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 103));
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_R, .arch = -1});
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 102));
	/* without profiles .101 and .103 are the pool's again; .102 stays MAC_R's */
	bw_dhcp_server_set_profiles(s, NULL);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
			     .req_ip = IP(10, 0, 0, 103), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
			     .req_ip = IP(10, 0, 0, 101), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
			     .req_ip = IP(10, 0, 0, 102), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
out:
	bw_dhcp_server_free(s);
	bw_config_free(p1);
	bw_config_free(p2);
}

/* A lease whose commit failed (dhcp_io sends no ACK): bw_dhcp_server_unbind gives the
 * address back, so the pool does not fill up with bindings nobody was told about. Before,
 * each failed commit left its address bound until a restart. */
static void test_unbind_failed_commit(void)
{
	struct bw_dhcp_server *s = new_server(BW_DHCP_MODE_SERVER);
	struct bw_dhcp_out acked;
	uint8_t mac[6] = {0x52, 0x54, 2, 0, 0, 0};

	if (!s)
		return;
	/* the pool has 4 addresses (one reserved): 3 clients whose commits fail, one by one */
	for (uint8_t i = 0; i < 3; i++) {
		mac[5] = i;
		step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = mac, .arch = -1});
		CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
		step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = mac, .arch = -1,
				     .req_ip = ntohl(reply.hdr.yiaddr), .server_id = SERVER});
		if (!CHECK_EQ_INT(out.type, BW_DHCP_ACK) || !CHECK(out.persist))
			break;
		CHECK_EQ_U64(out.undo.addr, out.lease.addr);
		CHECK_EQ_INT(bw_dhcp_server_unbind(s, &out), 0);
	}
	/* a fourth client still finds the first address free, and gets it bound */
	step(s, &(struct rq){.type = BW_DHCP_DISCOVER, .mac = MAC_C, .arch = -1});
	CHECK_EQ_INT(out.type, BW_DHCP_OFFER);
	CHECK_EQ_U64(ntohl(reply.hdr.yiaddr), IP(10, 0, 0, 100));
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
			     .req_ip = IP(10, 0, 0, 100), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	acked = out;
	/* its renewal fails to commit: the first lease stands (nobody else gets the address) */
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
				.ciaddr = IP(10, 0, 0, 100)}, false, NOW + 1000);
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_INT(bw_dhcp_server_unbind(s, &out), 0);
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_B, .arch = -1,
			     .req_ip = IP(10, 0, 0, 100), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_NAK);
	/* the first binding's failure after a later renewal changes nothing */
	step_at(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_C, .arch = -1,
				.ciaddr = IP(10, 0, 0, 100)}, false, NOW + 2000);
	CHECK_EQ_INT(bw_dhcp_server_unbind(s, &acked), -ESTALE);
	/* a reservation binds no pool slot: nothing to undo */
	step(s, &(struct rq){.type = BW_DHCP_REQUEST, .mac = MAC_R, .arch = -1,
			     .req_ip = IP(10, 0, 0, 101), .server_id = SERVER});
	CHECK_EQ_INT(out.type, BW_DHCP_ACK);
	CHECK_EQ_INT(bw_dhcp_server_unbind(s, &out), -ENOENT);
	bw_dhcp_server_free(s);
}

int main(void)
{
	test_dora();
	test_offer_held();
	test_decline_checks();
	test_inform_bootp_relay();
	test_reservation_and_limits();
	test_reconfigure_mode();
	test_pxe_server_mode();
	test_proxy_mode();
	test_captures();
	test_reconfigure();
	test_machine_address();
	test_machines_without_profiles();
	test_machine_restore();
	test_machine_reload();
	test_unbind_failed_commit();
	pt_cleanup();
	return check_summary();
}
