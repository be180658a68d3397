/* DHCPv4 and BOOTP packets: bytes to structs and back (RFC 951, 1542, 2131, 2132, 3396).
 * Pure: no sockets, no clock, no globals, no logging. */
#ifndef BW_DHCP_WIRE_H
#define BW_DHCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_DHCP_OP_REQUEST 1 /* BOOTREQUEST */
#define BW_DHCP_OP_REPLY 2   /* BOOTREPLY */
#define BW_DHCP_HTYPE_ETHER 1
#define BW_DHCP_FLAG_BROADCAST 0x8000

#define BW_DHCP_FIXED_LEN 236   /* op .. file */
#define BW_DHCP_COOKIE 0x63825363u
#define BW_DHCP_MIN_REPLY 300   /* BOOTP clients expect at least this much (RFC 951) */
#define BW_DHCP_MAX_LEN 4096    /* larger datagrams are refused (-EMSGSIZE) */
#define BW_DHCP_SCRATCH 2048    /* room for options concatenated from several pieces */

enum bw_dhcp_opt_code {
	BW_DHCP_OPT_PAD = 0,
	BW_DHCP_OPT_SUBNET_MASK = 1,
	BW_DHCP_OPT_ROUTER = 3,
	BW_DHCP_OPT_DNS = 6,
	BW_DHCP_OPT_HOSTNAME = 12,
	BW_DHCP_OPT_DOMAIN = 15,
	BW_DHCP_OPT_VENDOR = 43,
	BW_DHCP_OPT_REQUESTED_IP = 50,
	BW_DHCP_OPT_LEASE_TIME = 51,
	BW_DHCP_OPT_OVERLOAD = 52,
	BW_DHCP_OPT_MSG_TYPE = 53,
	BW_DHCP_OPT_SERVER_ID = 54,
	BW_DHCP_OPT_PARAM_LIST = 55,
	BW_DHCP_OPT_MESSAGE = 56,
	BW_DHCP_OPT_MAX_SIZE = 57,
	BW_DHCP_OPT_RENEWAL_T1 = 58,
	BW_DHCP_OPT_REBINDING_T2 = 59,
	BW_DHCP_OPT_VENDOR_CLASS = 60,
	BW_DHCP_OPT_CLIENT_ID = 61,
	BW_DHCP_OPT_TFTP_SERVER = 66,
	BW_DHCP_OPT_BOOTFILE = 67,
	BW_DHCP_OPT_USER_CLASS = 77,
	BW_DHCP_OPT_RELAY_AGENT = 82,
	BW_DHCP_OPT_CLIENT_ARCH = 93,
	BW_DHCP_OPT_CLIENT_NDI = 94,
	BW_DHCP_OPT_UUID = 97,
	BW_DHCP_OPT_IPXE = 175,
	BW_DHCP_OPT_END = 255,
};

enum bw_dhcp_msg_type {
	BW_DHCP_NONE = 0, /* plain BOOTP: no option 53 */
	BW_DHCP_DISCOVER = 1,
	BW_DHCP_OFFER = 2,
	BW_DHCP_REQUEST = 3,
	BW_DHCP_DECLINE = 4,
	BW_DHCP_ACK = 5,
	BW_DHCP_NAK = 6,
	BW_DHCP_RELEASE = 7,
	BW_DHCP_INFORM = 8,
};

/* The fixed BOOTP header. Addresses are in network byte order, as on the wire. */
struct bw_dhcp_hdr {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	char sname[65]; /* NUL-terminated; "" when the field carries options (overload) */
	char file[129];
};

/* One option's value: a view into the packet, or into the message's scratch when it was
 * split over several pieces (RFC 3396) and had to be joined. */
struct bw_dhcp_opt {
	bool present;
	uint16_t len; /* concatenated length, up to BW_DHCP_SCRATCH */
	const uint8_t *data;
};

struct bw_dhcp_msg {
	struct bw_dhcp_hdr hdr;
	bool has_cookie;       /* false: plain BOOTP (RFC 951): its vendor bytes are ignored */
	uint8_t overload;      /* option 52: 1 file, 2 sname, 3 both carry options */
	enum bw_dhcp_msg_type type;
	struct bw_dhcp_opt opt[256];
	uint8_t scratch[BW_DHCP_SCRATCH];
	size_t scratch_used;
};

/* Parses one DHCP/BOOTP packet (the UDP payload). The message holds views into buf, valid
 * while buf is; it is large (option table, scratch): keep it off small stacks. It is
 * written in place, so after a failure its contents are undefined.
 * -EBADMSG:    shorter than the fixed header, op not 1/2, hlen > 16, an option running
 *              past the end of its field, option 53 not one byte in 1..8, option 52 not
 *              one byte in 1..3 (also when repeated: the pieces join).
 * -EMSGSIZE:   longer than BW_DHCP_MAX_LEN, or concatenated options over BW_DHCP_SCRATCH.
 * -EOPNOTSUPP: htype other than Ethernet (1) or hlen other than 6.
 * Without the magic cookie (plain BOOTP, RFC 951 vendor area) no options are read.
 * Leniency: a missing END option is accepted when the field simply ends (udhcpc and some
 * PXE ROMs pad with zeros instead); option 52 inside sname/file is ignored (no loops). */
int bw_dhcp_parse(const uint8_t *buf, size_t len, struct bw_dhcp_msg *ret_msg);

/* Helpers over a parsed message. */
bool bw_dhcp_opt_u8(const struct bw_dhcp_msg *m, uint8_t code, uint8_t *ret);
bool bw_dhcp_opt_u16(const struct bw_dhcp_msg *m, uint8_t code, uint16_t *ret);
bool bw_dhcp_opt_u32(const struct bw_dhcp_msg *m, uint8_t code, uint32_t *ret);
/* An IPv4 address option (network byte order). */
bool bw_dhcp_opt_addr(const struct bw_dhcp_msg *m, uint8_t code, uint32_t *ret);

/* Building a reply. Options longer than 255 bytes are split into consecutive pieces
 * (RFC 3396). Every call fails with -EMSGSIZE, never truncating, when the packet would pass
 * the builder's limit (cap, or the client's option 57 given to _set_limit). */
struct bw_dhcp_builder {
	uint8_t *buf;
	size_t cap;   /* bytes available in buf */
	size_t limit; /* the most the packet may take (<= cap) */
	size_t len;
};

/* Writes the header and the magic cookie. cap must be at least BW_DHCP_MIN_REPLY. */
int bw_dhcp_build_start(struct bw_dhcp_builder *b, uint8_t *buf, size_t cap,
			const struct bw_dhcp_hdr *hdr);
/* Lowers the limit (e.g. to the client's maximum message size less IP and UDP headers);
 * never below BW_DHCP_MIN_REPLY. */
void bw_dhcp_build_set_limit(struct bw_dhcp_builder *b, size_t limit);
int bw_dhcp_build_opt(struct bw_dhcp_builder *b, uint8_t code, const void *data, size_t len);
int bw_dhcp_build_opt_u8(struct bw_dhcp_builder *b, uint8_t code, uint8_t v);
int bw_dhcp_build_opt_u32(struct bw_dhcp_builder *b, uint8_t code, uint32_t v);
/* Writes END and pads to BW_DHCP_MIN_REPLY; returns the packet length in *ret_len. */
int bw_dhcp_build_finish(struct bw_dhcp_builder *b, size_t *ret_len);

const char *bw_dhcp_type_name(enum bw_dhcp_msg_type t);

/* An IPv4 + UDP datagram around a DHCP message, for the packet socket that answers a client
 * which has no address yet (no ARP possible: the kernel adds only the Ethernet header).
 * Addresses in host byte order. */
struct bw_dhcp_udp4 {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint16_t ip_id;
	uint8_t ttl;
	bool dont_fragment;
};

#define BW_DHCP_UDP4_HDR 28 /* IPv4 header without options + UDP header */

/* Writes the headers (with both checksums) and payload into out: 28 + len bytes in
 * *ret_len. -EMSGSIZE when cap is too small or the datagram would pass 65535 bytes. */
int bw_dhcp_build_udp4(const struct bw_dhcp_udp4 *h, const uint8_t *payload, size_t len,
		       uint8_t *out, size_t cap, size_t *ret_len);
/* The Internet checksum (RFC 1071) of len bytes, folded, not complemented, added to sum. */
uint16_t bw_dhcp_csum_add(uint32_t sum, const uint8_t *p, size_t len);

#endif
