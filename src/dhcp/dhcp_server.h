/* The DHCP server's decisions: a parsed request in, a built reply and what to do with it out.
 * Server mode (RFC 2131: DISCOVER, REQUEST in every state, DECLINE, RELEASE, INFORM, plain
 * BOOTP) and proxyDHCP (PXE 2.1: boot information only, on port 67 and 4011).
 * Pure: no sockets, no clock (the caller passes `now`, wall-clock ms), no logging; leases
 * that must be durable before the reply leaves are handed back as a record to persist. */
#ifndef BW_DHCP_SERVER_H
#define BW_DHCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/http_base.h"
#include "dhcp/dhcp_config.h"
#include "dhcp/dhcp_pool.h"
#include "dhcp/dhcp_pxe.h"
#include "dhcp/dhcp_wire.h"
#include "store/store.h"

struct bw_dhcp_server;

/* Where a request arrived. */
struct bw_dhcp_in {
	const struct bw_dhcp_msg *msg;
	const char *iface;     /* the configured interface it came in on */
	uint32_t server_addr;  /* our address there (or server_ip): host byte order */
	uint32_t iface_mask;   /* that address's netmask (0: unknown) */
	bool boot_port;        /* arrived on port 4011 (PXE boot server) */
	uint32_t src_addr;     /* UDP source, host byte order */
	uint16_t src_port;
	uint64_t now;          /* wall clock, ms since the epoch */
	bool quiet;            /* nobody logs successes: skip formatting their verdicts */
};

enum bw_dhcp_dest {
	BW_DHCP_DEST_NONE = 0,  /* no reply */
	BW_DHCP_DEST_BROADCAST, /* 255.255.255.255:68 on the interface */
	BW_DHCP_DEST_HW,        /* dest_addr:68 at the client's hardware address, no ARP */
	BW_DHCP_DEST_UNICAST,   /* dest_addr:dest_port by ordinary routing */
};

#define BW_DHCP_REPLY_CAP 1500

struct bw_dhcp_out {
	enum bw_dhcp_dest dest;
	uint32_t dest_addr;   /* host byte order */
	uint16_t dest_port;
	uint8_t chaddr[6];    /* the client's MAC (also where BW_DHCP_DEST_HW goes) */
	uint32_t xid;         /* the request's, host order */
	size_t len;
	bool persist;         /* lease must be durable before the reply is sent */
	struct bw_lease_rec lease;
	enum bw_dhcp_msg_type type; /* what was sent (BW_DHCP_NONE for a BOOTP reply) */
	uint32_t yiaddr;      /* host byte order, 0 when none */
	uint32_t delay_ms;    /* send after this long (firmware quirk), 0: at once */
	bool drop_debug;      /* the verdict is a routine drop: log it at debug level only */
	char verdict[200];    /* one line for the log: what was decided and why */
	char warn[160];       /* for the operator, logged rate-limited ("": none): a cap reached */
	struct bw_pxe_client pxe;
	char boot_file[256];  /* what the client was told to boot, "" when nothing */
	char profile[64];     /* the profile chosen for it, "" when none */
	char hostname[64];    /* the host name it was given (option 12), "" when none */
	struct bw_dhcp_pool_undo undo; /* a pool binding made for lease (addr 0: none) */
	uint8_t pkt[BW_DHCP_REPLY_CAP]; /* last: step() clears everything before it */
};

/* Builds the server for cfg (pools, reservations). cfg must outlive it.
 * -EINVAL with a message in err when the config cannot be served. */
int bw_dhcp_server_new(const struct bw_dhcp_config *cfg, struct bw_dhcp_server **ret,
		       char *err, size_t errcap);
void bw_dhcp_server_free(struct bw_dhcp_server *s);

struct bw_profile_set;

/* Lets profiles choose each machine's boot: its loader (pxelinux, GRUB or iPXE) and, for
 * iPXE, the URL of its rendered script. ps NULL (the default): boot_files decide alone. With
 * profiles, a machine no entry and no default_profile applies to gets no boot file.
 * In server mode a machine entry's `ip` is also a reservation for its MAC (taken out of the
 * pool, offered, ACKed and NAKed like one, with the entry's hostname as option 12 for any
 * client), unless a dhcp.reservations entry names the client: that one wins. Called again
 * (a reload), it gives the old set's addresses back to the pools and takes the new ones.
 * ps must outlive the server, or the next call. */
void bw_dhcp_server_set_profiles(struct bw_dhcp_server *s, const struct bw_profile_set *ps);

/* Where our HTTP service is (NULL: none). iPXE and UEFI HTTP boot clients get URLs below it
 * unless cfg->http_base names another server. http must outlive the server. */
void bw_dhcp_server_set_http(struct bw_dhcp_server *s, const struct bw_http_base *http);

/* Reload: takes cfg for everything reload-safe (reservations, boot files, limits, and the
 * options and lease time of each subnet that still has the same network, range and
 * interface). A subnet whose network, range or interface changed keeps its old settings,
 * and a new subnet is not served: *ret_kept counts both (they need a restart). The mode
 * stays the first cfg's (the sockets were opened for it). Leases, offers and quarantines
 * stay. cfg must outlive the server or the next reconfigure; the
 * old one is no longer used once this returns. */
int bw_dhcp_server_reconfigure(struct bw_dhcp_server *s, const struct bw_dhcp_config *cfg,
			       unsigned *ret_kept);

/* Reinstates a lease from the store at start-up (after bw_dhcp_server_set_profiles, so
 * machines' addresses count as reserved). -ERANGE when no pool holds its address, -EEXIST
 * when the address is reserved or taken (the row is stale). */
int bw_dhcp_server_restore(struct bw_dhcp_server *s, const struct bw_lease_rec *rec,
			   uint64_t now);

/* The lease of out (a reply of bw_dhcp_server_step) could not be made durable and its reply
 * was not sent: gives the pool slot back what it held before (bw_dhcp_pool_unbind), so the
 * address is not held until a restart. 0; -ENOENT when the reply bound nothing in a pool
 * (a reservation's); -ESTALE when a later request changed the slot (left as it is). */
int bw_dhcp_server_unbind(struct bw_dhcp_server *s, const struct bw_dhcp_out *out);

/* Releases quarantined addresses past dhcp.decline_max_per_mac and decline_max_percent,
 * oldest first (after the store's rows are restored, after a reload that lowered a cap).
 * Returns how many. */
unsigned bw_dhcp_server_trim(struct bw_dhcp_server *s, uint64_t now);

/* Decides what to do with one request. Never fails: out->dest is NONE when nothing is
 * sent, with the reason in out->verdict. */
void bw_dhcp_server_step(struct bw_dhcp_server *s, const struct bw_dhcp_in *in,
			 struct bw_dhcp_out *out);

#endif
