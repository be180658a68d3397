#include "dhcp/dhcp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "dhcp/dhcp_pool.h"
#include "profile/profile.h"

#define DHCP_RATE_SLOTS 4096 /* per-MAC token buckets (direct-mapped, overwritten on clash) */

struct dhcp_rate {
	uint8_t mac[6];
	bool used;
	uint64_t stamp_ms; /* last refill */
	uint32_t tokens_milli;
};

struct dhcp_subnet_rt {
	const struct bw_dhcp_subnet *cfg; /* &own: a reload replaces its options in place */
	struct bw_dhcp_subnet own;        /* a copy with its own strings */
	bool has_pool;
	struct bw_dhcp_pool pool;
};

struct bw_dhcp_server {
	const struct bw_dhcp_config *cfg;
	int mode; /* enum bw_dhcp_mode of the first cfg: the sockets were opened for it */
	unsigned n_subnets;
	struct dhcp_subnet_rt *subnets;
	struct bw_pxe_boot_files files;
	struct dhcp_rate *rate;
	const struct bw_profile_set *profiles;
	const struct bw_http_base *http;
};


void bw_dhcp_server_set_http(struct bw_dhcp_server *s, const struct bw_http_base *http)
{
	s->http = http;
}

static void dhcp_subnet_own_done(struct bw_dhcp_subnet *o)
{
	free(o->domain);
	free(o->interface);
	o->domain = o->interface = NULL;
}

/* Copies sn into rt->own, strings included. */
static int dhcp_subnet_own(struct dhcp_subnet_rt *rt, const struct bw_dhcp_subnet *sn)
{
	struct bw_dhcp_subnet o = *sn;

	o.domain = sn->domain ? strdup(sn->domain) : NULL;
	o.interface = sn->interface ? strdup(sn->interface) : NULL;
	if ((sn->domain && !o.domain) || (sn->interface && !o.interface)) {
		dhcp_subnet_own_done(&o);
		return -ENOMEM;
	}
	dhcp_subnet_own_done(&rt->own);
	rt->own = o;
	rt->cfg = &rt->own;
	return 0;
}

static void dhcp_reserve_one(struct bw_dhcp_server *s, uint32_t addr, bool reserve)
{
	for (unsigned i = 0; addr && i < s->n_subnets; i++) {
		struct dhcp_subnet_rt *rt = &s->subnets[i];

		if (!rt->has_pool)
			continue;
		if (reserve)
			bw_dhcp_pool_reserve(&rt->pool, addr);
		else
			bw_dhcp_pool_unreserve(&rt->pool, addr);
	}
}

/* Takes the fixed addresses of s->cfg's reservations and of s->profiles' machines out of
 * the pools (reserve) or gives them back. A reload gives back the old set before it takes
 * the new one, so an address that moves between a reservation and a machine, or stays,
 * stays reserved. Proxy mode hands out no address: machines' ip means nothing there. */
static void dhcp_reserve_all(struct bw_dhcp_server *s, bool reserve)
{
	struct bw_profile_address a;
	unsigned pos = 0;

	for (unsigned k = 0; k < s->cfg->n_reservations; k++)
		dhcp_reserve_one(s, s->cfg->reservations[k].addr, reserve);
	while (s->cfg->mode == BW_DHCP_MODE_SERVER && bw_profile_next_address(s->profiles, &pos, &a))
		dhcp_reserve_one(s, a.addr, reserve);
}

void bw_dhcp_server_set_profiles(struct bw_dhcp_server *s, const struct bw_profile_set *ps)
{
	dhcp_reserve_all(s, false);
	s->profiles = ps;
	dhcp_reserve_all(s, true);
}

/* The same addresses handed out the same way: only such a subnet takes new options. */
static bool dhcp_subnet_same(const struct bw_dhcp_subnet *a, const struct bw_dhcp_subnet *b)
{
	return a->net == b->net && a->mask == b->mask && a->range_first == b->range_first &&
	       a->range_last == b->range_last &&
	       !a->interface == !b->interface &&
	       (!a->interface || strcmp(a->interface, b->interface) == 0);
}

int bw_dhcp_server_reconfigure(struct bw_dhcp_server *s, const struct bw_dhcp_config *cfg,
			       unsigned *ret_kept)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < s->n_subnets; i++) {
		struct dhcp_subnet_rt *rt = &s->subnets[i];
		unsigned j;

		for (j = 0; j < cfg->n_subnets; j++)
			if (dhcp_subnet_same(rt->cfg, &cfg->subnets[j]))
				break;
		if (j == cfg->n_subnets || dhcp_subnet_own(rt, &cfg->subnets[j]) < 0)
			kept++;
	}
	for (unsigned j = 0; j < cfg->n_subnets; j++) {
		unsigned i;

		for (i = 0; i < s->n_subnets; i++) /* a changed one was counted above */
			if (s->subnets[i].cfg->net == cfg->subnets[j].net &&
			    s->subnets[i].cfg->mask == cfg->subnets[j].mask)
				break;
		kept += i == s->n_subnets;
	}
	dhcp_reserve_all(s, false);
	s->cfg = cfg;
	dhcp_reserve_all(s, true);
	for (unsigned i = 0; i < s->n_subnets; i++) {
		if (!s->subnets[i].has_pool)
			continue;
		bw_dhcp_pool_set_times(&s->subnets[i].pool, cfg->offer_timeout_ms,
				       cfg->decline_hold_s * 1000u);
		bw_dhcp_pool_set_decline_caps(&s->subnets[i].pool, cfg->decline_max_per_mac,
					      cfg->decline_max_percent);
	}
	s->files = (struct bw_pxe_boot_files){cfg->boot_files.bios, cfg->boot_files.efi_x64,
					      cfg->boot_files.efi_ia32, cfg->boot_files.efi_arm64,
					      cfg->boot_files.ipxe};
	*ret_kept = kept;
	return 0;
}

static void dhcp_verdict(struct bw_dhcp_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dhcp_verdict(struct bw_dhcp_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->verdict, sizeof(out->verdict), fmt, ap);
	va_end(ap);
}

static const char *dhcp_ip(uint32_t a, char *buf)
{
	bw_ipv4_format(a, buf);
	return buf;
}

int bw_dhcp_server_new(const struct bw_dhcp_config *cfg, struct bw_dhcp_server **ret,
		       char *err, size_t errcap)
{
	struct bw_dhcp_server *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;

	if (!s)
		goto fail;
	s->cfg = cfg;
	s->mode = cfg->mode;
	s->rate = calloc(DHCP_RATE_SLOTS, sizeof(*s->rate));
	s->subnets = calloc(cfg->n_subnets ? cfg->n_subnets : 1, sizeof(*s->subnets));
	if (!s->rate || !s->subnets)
		goto fail;
	s->files = (struct bw_pxe_boot_files){cfg->boot_files.bios, cfg->boot_files.efi_x64,
					      cfg->boot_files.efi_ia32, cfg->boot_files.efi_arm64,
					      cfg->boot_files.ipxe};
	for (unsigned i = 0; i < cfg->n_subnets; i++) {
		const struct bw_dhcp_subnet *sn = &cfg->subnets[i];
		struct dhcp_subnet_rt *rt = &s->subnets[s->n_subnets++];

		r = dhcp_subnet_own(rt, sn);
		if (r < 0)
			goto fail;
		if (!sn->range_first)
			continue;
		r = bw_dhcp_pool_init(&rt->pool, sn->range_first, sn->range_last,
				      cfg->offer_timeout_ms, cfg->decline_hold_s * 1000u);
		if (r < 0)
			goto fail;
		bw_dhcp_pool_set_decline_caps(&rt->pool, cfg->decline_max_per_mac,
					      cfg->decline_max_percent);
		rt->has_pool = true;
	}
	dhcp_reserve_all(s, true);
	*ret = s;
	return 0;
fail:
	snprintf(err, errcap, "dhcp: cannot set up the address pools: %s", strerror(-r));
	bw_dhcp_server_free(s);
	return r;
}

void bw_dhcp_server_free(struct bw_dhcp_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_subnets; i++) {
		if (s->subnets[i].has_pool)
			bw_dhcp_pool_done(&s->subnets[i].pool);
		dhcp_subnet_own_done(&s->subnets[i].own);
	}
	free(s->subnets);
	free(s->rate);
	free(s);
}

static struct dhcp_subnet_rt *dhcp_subnet_of(struct bw_dhcp_server *s, uint32_t addr)
{
	for (unsigned i = 0; i < s->n_subnets; i++)
		if ((addr & s->subnets[i].cfg->mask) == s->subnets[i].cfg->net)
			return &s->subnets[i];
	return NULL;
}

/* The reservation of a client: by client identifier (cid_len > 0) first, else by MAC. */
static const struct bw_dhcp_reservation *dhcp_resv_find(const struct bw_dhcp_server *s,
							const uint8_t mac[6], const uint8_t *cid,
							size_t cid_len)
{
	const struct bw_dhcp_config *c = s->cfg;

	for (unsigned i = 0; cid_len && i < c->n_reservations; i++)
		if (c->reservations[i].client_id_len == cid_len &&
		    !memcmp(c->reservations[i].client_id, cid, cid_len))
			return &c->reservations[i];
	for (unsigned i = 0; i < c->n_reservations; i++)
		if (c->reservations[i].has_mac && !c->reservations[i].client_id_len &&
		    !memcmp(c->reservations[i].mac, mac, 6))
			return &c->reservations[i];
	return NULL;
}

static const struct bw_dhcp_reservation *dhcp_resv_of(const struct bw_dhcp_server *s,
						      const struct bw_dhcp_msg *m)
{
	const struct bw_dhcp_opt *cid = &m->opt[BW_DHCP_OPT_CLIENT_ID];

	return dhcp_resv_find(s, m->hdr.chaddr, cid->data, cid->present ? cid->len : 0);
}

/* The address a machine entry gives mac (server mode; 0: none), and its host name. Only
 * for a client no reservation names: a reservation wins. */
static uint32_t dhcp_machine_addr(const struct bw_dhcp_server *s, const uint8_t mac[6],
				  const char **ret_hostname)
{
	struct bw_profile_address a;

	if (s->cfg->mode != BW_DHCP_MODE_SERVER ||
	    bw_profile_machine_address(s->profiles, mac, &a) < 0)
		return 0;
	if (ret_hostname)
		*ret_hostname = a.hostname;
	return a.addr;
}

int bw_dhcp_server_restore(struct bw_dhcp_server *s, const struct bw_lease_rec *rec,
			   uint64_t now)
{
	struct dhcp_subnet_rt *rt = dhcp_subnet_of(s, rec->addr);
	enum bw_dhcp_slot_state st;
	uint32_t fixed;

	/* A reservation's lease needs no pool slot: the address is that client's anyway. */
	for (unsigned i = 0; i < s->cfg->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &s->cfg->reservations[i];

		if (r->addr == rec->addr && r->has_mac && !memcmp(r->mac, rec->mac, 6))
			return 0;
	}
	/* Nor a machine's (its address is reserved the same way). */
	fixed = dhcp_resv_find(s, rec->mac, rec->client_id, rec->client_id_len)
			? 0
			: dhcp_machine_addr(s, rec->mac, NULL);
	if (fixed && fixed == rec->addr)
		return 0;
	if (!rt || !rt->has_pool)
		return -ERANGE;
	if (rec->state == BW_LEASE_RELEASED)
		return 0;
	st = rec->state == BW_LEASE_DECLINED ? BW_DHCP_SLOT_DECLINED : BW_DHCP_SLOT_BOUND;
	return bw_dhcp_pool_restore(&rt->pool, rec->mac, rec->addr, st,
				    rec->expires_ms > 0 ? (uint64_t)rec->expires_ms : 0, now);
}

unsigned bw_dhcp_server_trim(struct bw_dhcp_server *s, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_subnets; i++) {
		struct bw_dhcp_trim t;

		if (s->subnets[i].has_pool &&
		    bw_dhcp_pool_trim_quarantine(&s->subnets[i].pool, now, &t) == 0)
			n += t.by_client + t.by_pool;
	}
	return n;
}

/* ---- who is asking ---- */

/* Token bucket per MAC: rate_per_mac per second, bursts of twice that. */
static bool dhcp_rate_ok(struct bw_dhcp_server *s, const uint8_t mac[6], uint64_t now)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint64_t rate = s->cfg->rate_per_mac, cap = 2000 * rate, t;
	struct dhcp_rate *e;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 0x100000001b3ull;
	e = &s->rate[(h ^ (h >> 31)) % DHCP_RATE_SLOTS];
	if (!e->used || memcmp(e->mac, mac, 6) != 0) {
		e->used = true;
		memcpy(e->mac, mac, 6);
		e->stamp_ms = now;
		e->tokens_milli = (uint32_t)cap;
	}
	t = e->tokens_milli + (now > e->stamp_ms ? (now - e->stamp_ms) * rate : 0);
	e->stamp_ms = now;
	if (t > cap)
		t = cap;
	if (t < 1000) {
		e->tokens_milli = (uint32_t)t;
		return false;
	}
	e->tokens_milli = (uint32_t)(t - 1000);
	return true;
}

/* Whether subnet sn is on the link of the receiving interface. */
static bool dhcp_subnet_on_link(const struct bw_dhcp_subnet *sn, const struct bw_dhcp_in *in)
{
	if (sn->interface)
		return strcmp(sn->interface, in->iface) == 0;
	return (in->server_addr & sn->mask) == sn->net;
}

/* The subnet a request belongs to: the relay's (giaddr), else the subnet on this link that
 * holds the client's own address, else the link's first subnet. */
static struct dhcp_subnet_rt *dhcp_pick_subnet(struct bw_dhcp_server *s,
					       const struct bw_dhcp_in *in)
{
	uint32_t giaddr = ntohl(in->msg->hdr.giaddr), ciaddr = ntohl(in->msg->hdr.ciaddr);
	struct dhcp_subnet_rt *first = NULL;

	if (giaddr)
		return dhcp_subnet_of(s, giaddr);
	for (unsigned i = 0; i < s->n_subnets; i++) {
		const struct bw_dhcp_subnet *sn = s->subnets[i].cfg;

		if (!dhcp_subnet_on_link(sn, in))
			continue;
		if (!ciaddr || (ciaddr & sn->mask) == sn->net)
			return &s->subnets[i];
		if (!first)
			first = &s->subnets[i];
	}
	return first;
}

/* ---- building replies ---- */

struct dhcp_reply_ctx {
	struct bw_dhcp_server *s;
	const struct bw_dhcp_in *in;
	const struct dhcp_subnet_rt *rt; /* NULL in proxy replies */
	const struct bw_dhcp_reservation *resv;
	uint32_t fixed;       /* the reservation's address, else the machine's `ip`; 0: none */
	const char *hostname; /* the reservation's, else the machine entry's, or NULL */
	const char *profile;  /* the machine's profile, or NULL */
	struct bw_pxe_choice boot;
	const struct bw_pxe_quirks *quirks;
	uint32_t lease_s; /* 0: no lease options */
};

static bool dhcp_wants(const struct bw_dhcp_msg *m, uint8_t code)
{
	const struct bw_dhcp_opt *pl = &m->opt[BW_DHCP_OPT_PARAM_LIST];

	if (!pl->present)
		return true;
	return memchr(pl->data, code, pl->len) != NULL;
}

/* Optional options are skipped, not fatal, when the client's size limit is reached. */
static void dhcp_opt_soft(struct bw_dhcp_builder *b, uint8_t code, const void *v, size_t n)
{
	(void)bw_dhcp_build_opt(b, code, v, n);
}

static void dhcp_opt_addrs(struct bw_dhcp_builder *b, uint8_t code, const uint32_t *a,
			   unsigned n)
{
	uint32_t be[8];

	for (unsigned i = 0; i < n && i < 8; i++)
		be[i] = htonl(a[i]);
	dhcp_opt_soft(b, code, be, 4u * (n < 8 ? n : 8));
}

static void dhcp_opts_subnet(struct bw_dhcp_builder *b, const struct dhcp_reply_ctx *x)
{
	const struct bw_dhcp_msg *m = x->in->msg;
	const struct bw_dhcp_subnet *sn = x->rt->cfg;
	uint32_t v;

	v = sn->mask;
	dhcp_opt_addrs(b, BW_DHCP_OPT_SUBNET_MASK, &v, 1);
	if (sn->router && dhcp_wants(m, BW_DHCP_OPT_ROUTER))
		dhcp_opt_addrs(b, BW_DHCP_OPT_ROUTER, &sn->router, 1);
	if (sn->n_dns && dhcp_wants(m, BW_DHCP_OPT_DNS))
		dhcp_opt_addrs(b, BW_DHCP_OPT_DNS, sn->dns, sn->n_dns);
	if (x->hostname && dhcp_wants(m, BW_DHCP_OPT_HOSTNAME))
		dhcp_opt_soft(b, BW_DHCP_OPT_HOSTNAME, x->hostname, strlen(x->hostname));
	if (sn->domain && dhcp_wants(m, BW_DHCP_OPT_DOMAIN))
		dhcp_opt_soft(b, BW_DHCP_OPT_DOMAIN, sn->domain, strlen(sn->domain));
	if (dhcp_wants(m, 28)) { /* broadcast address */
		v = sn->net | ~sn->mask;
		dhcp_opt_addrs(b, 28, &v, 1);
	}
}

/* Boot information: siaddr/file in the header (set by the caller), options 66/67, the
 * vendor class echo and PXE discovery control as the firmware's quirks say. */
static int dhcp_opts_boot(struct bw_dhcp_builder *b, const struct dhcp_reply_ctx *x)
{
	static const uint8_t disc_ctl[] = {6, 1, 8, 255}; /* PXE_DISCOVERY_CONTROL: use `file` */
	char server[16];
	const struct bw_dhcp_opt *uuid = &x->in->msg->opt[BW_DHCP_OPT_UUID];

	if (!x->boot.boot)
		return 0;
	if (x->quirks->echo_vendor) {
		const char *word = x->boot.echo_http_client ? "HTTPClient" : "PXEClient";

		if (bw_dhcp_build_opt(b, BW_DHCP_OPT_VENDOR_CLASS, word, strlen(word)) < 0)
			return -EMSGSIZE;
	}
	if (!x->quirks->omit_opt43 &&
	    bw_dhcp_build_opt(b, BW_DHCP_OPT_VENDOR, disc_ctl, sizeof(disc_ctl)) < 0)
		return -EMSGSIZE;
	if (!x->boot.url) {
		dhcp_ip(x->in->server_addr, server);
		dhcp_opt_soft(b, BW_DHCP_OPT_TFTP_SERVER, server, strlen(server));
	}
	if (bw_dhcp_build_opt(b, BW_DHCP_OPT_BOOTFILE, x->boot.file, strlen(x->boot.file)) < 0)
		return -EMSGSIZE;
	if (uuid->present && uuid->len == 17 && x->quirks->echo_vendor)
		dhcp_opt_soft(b, BW_DHCP_OPT_UUID, uuid->data, uuid->len);
	return 0;
}

/* Builds a reply of type t (BW_DHCP_NONE: BOOTP) offering yiaddr. */
static int dhcp_build(const struct dhcp_reply_ctx *x, enum bw_dhcp_msg_type t, uint32_t yiaddr,
		      struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = x->in->msg;
	struct bw_dhcp_hdr h = m->hdr;
	struct bw_dhcp_builder b;
	const struct bw_dhcp_opt *o57 = &m->opt[BW_DHCP_OPT_MAX_SIZE], *o82;
	uint16_t maxsz = 576;
	uint32_t sid = htonl(x->in->server_addr);

	h.op = BW_DHCP_OP_REPLY;
	h.hops = 0;
	h.secs = 0;
	h.yiaddr = htonl(yiaddr);
	h.siaddr = 0;
	h.sname[0] = '\0';
	h.file[0] = '\0';
	if (t != BW_DHCP_NAK && x->boot.boot) {
		h.siaddr = htonl(x->in->server_addr);
		if (strlen(x->boot.file) < sizeof(h.file))
			strcpy(h.file, x->boot.file);
		if (!x->boot.url) /* the TFTP server's name, as option 66 says too */
			dhcp_ip(x->in->server_addr, h.sname);
	}
	if (bw_dhcp_build_start(&b, out->pkt, sizeof(out->pkt), &h) < 0)
		return -EMSGSIZE;
	if (t == BW_DHCP_NONE) { /* BOOTP: the vendor area still carries RFC 1497 options */
		if (x->rt)
			dhcp_opts_subnet(&b, x);
		return bw_dhcp_build_finish(&b, &out->len);
	}
	if (o57->present && o57->len == 2)
		maxsz = (uint16_t)((o57->data[0] << 8) | o57->data[1]);
	if (maxsz < 576)
		maxsz = 576;
	bw_dhcp_build_set_limit(&b, maxsz - 28u);
	if (bw_dhcp_build_opt_u8(&b, BW_DHCP_OPT_MSG_TYPE, (uint8_t)t) < 0 ||
	    bw_dhcp_build_opt(&b, BW_DHCP_OPT_SERVER_ID, &sid, 4) < 0)
		return -EMSGSIZE;
	if (t == BW_DHCP_NAK) {
		dhcp_opt_soft(&b, BW_DHCP_OPT_MESSAGE, out->verdict, strnlen(out->verdict, 120));
	} else {
		if (x->lease_s) {
			if (bw_dhcp_build_opt_u32(&b, BW_DHCP_OPT_LEASE_TIME, x->lease_s) < 0)
				return -EMSGSIZE;
			(void)bw_dhcp_build_opt_u32(&b, BW_DHCP_OPT_RENEWAL_T1, x->lease_s / 2);
			(void)bw_dhcp_build_opt_u32(&b, BW_DHCP_OPT_REBINDING_T2,
						    (uint32_t)((uint64_t)x->lease_s * 7 / 8));
		}
		/* Subnet options first: OVMF (edk2 202211) DECLINEs an ACK whose all-zero option
		 * 97 comes before option 1 ("Lease is denied upon entering bound"). */
		if (x->rt)
			dhcp_opts_subnet(&b, x);
		if (dhcp_opts_boot(&b, x) < 0)
			return -EMSGSIZE;
	}
	/* Relay agent information goes back as it came, last (RFC 3046). */
	o82 = &m->opt[BW_DHCP_OPT_RELAY_AGENT];
	if (m->hdr.giaddr && o82->present &&
	    bw_dhcp_build_opt(&b, BW_DHCP_OPT_RELAY_AGENT, o82->data, o82->len) < 0)
		return -EMSGSIZE;
	return bw_dhcp_build_finish(&b, &out->len);
}

/* Where the reply goes (RFC 2131 4.1, the paragraph on giaddr, ciaddr and the B flag). */
static void dhcp_route(const struct dhcp_reply_ctx *x, enum bw_dhcp_msg_type t,
		       uint32_t yiaddr, struct bw_dhcp_out *out)
{
	const struct bw_dhcp_hdr *h = &x->in->msg->hdr;

	memcpy(out->chaddr, h->chaddr, 6);
	if (x->in->boot_port) { /* PXE boot server: back to where the request came from */
		out->dest = BW_DHCP_DEST_UNICAST;
		out->dest_addr = h->ciaddr ? ntohl(h->ciaddr) : x->in->src_addr;
		out->dest_port = x->in->src_port;
	} else if (h->giaddr) {
		out->dest = BW_DHCP_DEST_UNICAST;
		out->dest_addr = ntohl(h->giaddr);
		out->dest_port = 67;
	} else if (t == BW_DHCP_NAK) {
		out->dest = BW_DHCP_DEST_BROADCAST;
	} else if (h->ciaddr) {
		out->dest = BW_DHCP_DEST_UNICAST;
		out->dest_addr = ntohl(h->ciaddr);
		out->dest_port = 68;
	} else if ((h->flags & BW_DHCP_FLAG_BROADCAST) || !yiaddr) { /* flags: host order */
		out->dest = BW_DHCP_DEST_BROADCAST;
	} else {
		out->dest = BW_DHCP_DEST_HW;
		out->dest_addr = yiaddr;
		out->dest_port = 68;
	}
	if (out->dest == BW_DHCP_DEST_BROADCAST)
		out->dest_addr = 0xffffffffu;
	if (out->dest == BW_DHCP_DEST_BROADCAST)
		out->dest_port = 68;
}

static void dhcp_send(const struct dhcp_reply_ctx *x, enum bw_dhcp_msg_type t, uint32_t yiaddr,
		      struct bw_dhcp_out *out)
{
	char a[16];

	if (dhcp_build(x, t, yiaddr, out) < 0) {
		out->dest = BW_DHCP_DEST_NONE;
		out->persist = false;
		dhcp_verdict(out, "cannot send %s: the reply does not fit the client's maximum "
			     "message size", bw_dhcp_type_name(t));
		return;
	}
	out->type = t;
	out->yiaddr = yiaddr;
	dhcp_route(x, t, yiaddr, out);
	if (x->boot.boot)
		snprintf(out->boot_file, sizeof(out->boot_file), "%s", x->boot.file);
	if (t == BW_DHCP_NAK || x->in->quiet)
		return; /* the verdict already says why, or nobody reads it */
	if (yiaddr)
		dhcp_verdict(out, "%s %s%s%s", bw_dhcp_type_name(t), dhcp_ip(yiaddr, a),
			     x->boot.boot ? " boot " : "", x->boot.boot ? x->boot.file : "");
	else
		dhcp_verdict(out, "%s%s%s", bw_dhcp_type_name(t), x->boot.boot ? " boot " : "",
			     x->boot.boot ? x->boot.file : "");
}

static void dhcp_nak(const struct dhcp_reply_ctx *x, struct bw_dhcp_out *out, const char *why)
{
	dhcp_verdict(out, "NAK: %s", why);
	dhcp_send(x, BW_DHCP_NAK, 0, out);
}

static void dhcp_set_lease(const struct dhcp_reply_ctx *x, uint32_t addr,
			   enum bw_lease_state st, uint64_t expires, struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = x->in->msg;
	const struct bw_dhcp_opt *cid = &m->opt[BW_DHCP_OPT_CLIENT_ID];
	const struct bw_dhcp_opt *hn = &m->opt[BW_DHCP_OPT_HOSTNAME];
	struct bw_lease_rec *l = &out->lease;

	memset(l, 0, sizeof(*l));
	l->addr = addr;
	memcpy(l->mac, m->hdr.chaddr, 6);
	if (cid->present && cid->len <= BW_LEASE_CLIENT_ID_MAX) {
		l->client_id_len = (uint8_t)cid->len;
		memcpy(l->client_id, cid->data, cid->len);
	}
	if (x->hostname)
		snprintf(l->hostname, sizeof(l->hostname), "%s", x->hostname);
	else if (hn->present)
		snprintf(l->hostname, sizeof(l->hostname), "%.*s", (int)hn->len,
			 (const char *)hn->data);
	l->starts_ms = (int64_t)x->in->now;
	l->expires_ms = (int64_t)expires;
	l->state = st;
	out->persist = true;
}

/* ---- server mode ---- */

/* The client has a fixed address, on the network of this request. */
static bool dhcp_fixed_here(const struct dhcp_reply_ctx *x)
{
	return x->fixed && (x->fixed & x->rt->cfg->mask) == x->rt->cfg->net;
}

static void dhcp_on_discover(struct dhcp_reply_ctx *x, struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = x->in->msg;
	struct dhcp_subnet_rt *rt = (struct dhcp_subnet_rt *)x->rt;
	uint32_t req = 0, addr;

	if (dhcp_fixed_here(x)) {
		dhcp_send(x, m->type == BW_DHCP_NONE ? BW_DHCP_NONE : BW_DHCP_OFFER, x->fixed, out);
		return;
	}
	if (!rt->has_pool) {
		dhcp_verdict(out, "ignoring %s: subnet has no range and the client no reservation",
			     bw_dhcp_type_name(m->type));
		return;
	}
	if (bw_dhcp_opt_addr(m, BW_DHCP_OPT_REQUESTED_IP, &req))
		req = ntohl(req);
	if (bw_dhcp_pool_offer(&rt->pool, m->hdr.chaddr, req, x->in->now, &addr) < 0) {
		dhcp_verdict(out, "ignoring DISCOVER: no free address in the pool");
		return;
	}
	dhcp_send(x, BW_DHCP_OFFER, addr, out);
}

/* bw_dhcp_pool_bind, remembering in out->undo what it changed (for a failed commit). */
static int dhcp_bind_undoable(struct dhcp_subnet_rt *rt, const uint8_t mac[6], uint32_t addr,
			      uint64_t now, uint32_t lease_ms, struct bw_dhcp_out *out)
{
	struct bw_dhcp_pool_undo u;
	int r;

	bw_dhcp_pool_undo_prepare(&rt->pool, mac, addr, now + lease_ms, &u);
	r = bw_dhcp_pool_bind(&rt->pool, mac, addr, now, lease_ms);
	if (r == 0)
		out->undo = u;
	return r;
}

int bw_dhcp_server_unbind(struct bw_dhcp_server *s, const struct bw_dhcp_out *out)
{
	struct dhcp_subnet_rt *rt = out->undo.addr ? dhcp_subnet_of(s, out->undo.addr) : NULL;

	if (!rt || !rt->has_pool)
		return -ENOENT;
	return bw_dhcp_pool_unbind(&rt->pool, &out->undo);
}

/* BOOTP (no option 53): a reservation or a pool address, bound at once. */
static void dhcp_on_bootp(struct dhcp_reply_ctx *x, struct bw_dhcp_out *out)
{
	struct dhcp_subnet_rt *rt = (struct dhcp_subnet_rt *)x->rt;
	const struct bw_dhcp_msg *m = x->in->msg;
	uint64_t lease_ms = (uint64_t)rt->cfg->lease_time_s * 1000u;
	uint32_t addr;

	x->lease_s = 0;
	if (dhcp_fixed_here(x)) {
		addr = x->fixed;
	} else if (!rt->has_pool ||
		   bw_dhcp_pool_offer(&rt->pool, m->hdr.chaddr, 0, x->in->now, &addr) < 0 ||
		   dhcp_bind_undoable(rt, m->hdr.chaddr, addr, x->in->now, (uint32_t)lease_ms,
				      out) < 0) {
		dhcp_verdict(out, "ignoring BOOTREQUEST: no address for this client");
		return;
	}
	dhcp_set_lease(x, addr, BW_LEASE_BOUND, x->in->now + lease_ms, out);
	dhcp_send(x, BW_DHCP_NONE, addr, out);
}

/* The address a REQUEST asks for and the state it is in (RFC 2131 4.3.2). */
static void dhcp_on_request(struct dhcp_reply_ctx *x, struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = x->in->msg;
	struct dhcp_subnet_rt *rt = (struct dhcp_subnet_rt *)x->rt;
	uint32_t sid = 0, req = 0, addr, ciaddr = ntohl(m->hdr.ciaddr);
	bool has_sid = bw_dhcp_opt_addr(m, BW_DHCP_OPT_SERVER_ID, &sid);
	bool has_req = bw_dhcp_opt_addr(m, BW_DHCP_OPT_REQUESTED_IP, &req);
	uint32_t lease_ms = rt->cfg->lease_time_s * 1000u;
	char a[16];
	int r;

	if (has_sid && ntohl(sid) != x->in->server_addr) {
		/* SELECTING another server's offer: let ours go at once. */
		if (rt->has_pool && bw_dhcp_pool_find(&rt->pool, m->hdr.chaddr, x->in->now, &addr,
						      NULL) == 0 &&
		    bw_dhcp_pool_slot(&rt->pool, addr)->state == BW_DHCP_SLOT_OFFERED)
			bw_dhcp_pool_release(&rt->pool, m->hdr.chaddr, addr);
		dhcp_verdict(out, "ignoring REQUEST: the client chose server %s",
			     dhcp_ip(ntohl(sid), a));
		out->drop_debug = true;
		return;
	}
	addr = has_req ? ntohl(req) : ciaddr;
	if (!addr) {
		dhcp_verdict(out, "ignoring REQUEST: neither a requested address nor ciaddr");
		return;
	}
	if ((addr & rt->cfg->mask) != rt->cfg->net) {
		dhcp_nak(x, out, "address not on this network");
		return;
	}
	if (dhcp_fixed_here(x)) {
		if (addr != x->fixed) {
			dhcp_nak(x, out, "this client has a reserved address");
			return;
		}
	} else {
		r = rt->has_pool ? dhcp_bind_undoable(rt, m->hdr.chaddr, addr, x->in->now,
						      lease_ms, out)
				 : -ERANGE;
		if (r == -ERANGE) {
			dhcp_nak(x, out, "address outside the pool");
			return;
		}
		if (r == -EBUSY) {
			dhcp_nak(x, out, "address offered to another client");
			return;
		}
		if (r < 0) {
			dhcp_nak(x, out, "address in use by another client");
			return;
		}
	}
	dhcp_set_lease(x, addr, BW_LEASE_BOUND, x->in->now + lease_ms, out);
	dhcp_send(x, BW_DHCP_ACK, addr, out);
}

/* A DECLINE taken: the verdict, and a warning when a cap released another address early. */
static void dhcp_decline_verdict(const struct dhcp_subnet_rt *rt, uint32_t addr,
				 const struct bw_dhcp_trim *t, struct bw_dhcp_out *out)
{
	char a[16], b[16];

	dhcp_ip(addr, a);
	dhcp_ip(t->first, b);
	if (t->by_client)
		snprintf(out->warn, sizeof(out->warn), "quarantine cap reached: this client "
			 "already had %u declined addresses quarantined (dhcp.decline_max_per_mac): "
			 "%s released early", rt->pool.decline_per_mac, b);
	else if (t->by_pool)
		snprintf(out->warn, sizeof(out->warn), "quarantine cap reached: %u of the pool's "
			 "%zu addresses are quarantined (dhcp.decline_max_percent %u): %s released "
			 "early", t->held, rt->pool.n, rt->pool.decline_percent, b);
	dhcp_verdict(out, "DECLINE %s: quarantined%s%s", a, out->warn[0] ? "; " : "", out->warn);
}

static void dhcp_on_decline_release(struct dhcp_reply_ctx *x, struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = x->in->msg;
	struct dhcp_subnet_rt *rt = (struct dhcp_subnet_rt *)x->rt;
	bool decline = m->type == BW_DHCP_DECLINE;
	uint32_t sid = 0, addr = ntohl(m->hdr.ciaddr), req;
	struct bw_dhcp_trim trim = {0};
	char a[16];
	int r;

	if (!bw_dhcp_opt_addr(m, BW_DHCP_OPT_SERVER_ID, &sid) || ntohl(sid) != x->in->server_addr) {
		dhcp_verdict(out, "ignoring %s: not addressed to this server",
			     bw_dhcp_type_name(m->type));
		return;
	}
	if (decline && !bw_dhcp_opt_addr(m, BW_DHCP_OPT_REQUESTED_IP, &req)) {
		dhcp_verdict(out, "ignoring DECLINE: no requested address (option 50)");
		return;
	}
	if (decline) /* RFC 2131 table 5: option 50 is the address, ciaddr is 0 */
		addr = ntohl(req);
	r = rt->has_pool ? (decline ? bw_dhcp_pool_decline(&rt->pool, m->hdr.chaddr, addr,
							    x->in->now, &trim)
				    : bw_dhcp_pool_release(&rt->pool, m->hdr.chaddr, addr))
			 : -ERANGE;
	if (r < 0) {
		dhcp_verdict(out, "ignoring %s of %s: not this client's address",
			     bw_dhcp_type_name(m->type), dhcp_ip(addr, a));
		return;
	}
	dhcp_set_lease(x, addr, decline ? BW_LEASE_DECLINED : BW_LEASE_RELEASED,
		       decline ? x->in->now + x->s->cfg->decline_hold_s * 1000ull : x->in->now, out);
	if (decline)
		dhcp_decline_verdict(rt, addr, &trim, out);
	else
		dhcp_verdict(out, "RELEASE %s", dhcp_ip(addr, a));
}

static void dhcp_on_inform(struct dhcp_reply_ctx *x, struct bw_dhcp_out *out)
{
	x->lease_s = 0;
	if (!x->in->msg->hdr.ciaddr) {
		dhcp_verdict(out, "ignoring INFORM: no ciaddr");
		return;
	}
	dhcp_send(x, BW_DHCP_ACK, 0, out);
}

/* ---- proxyDHCP ---- */

static void dhcp_proxy_step(struct dhcp_reply_ctx *x, struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = x->in->msg;

	x->lease_s = 0;
	if (!x->in->boot_port && m->type != BW_DHCP_DISCOVER) {
		dhcp_verdict(out, "ignoring %s: proxy mode answers only DISCOVERs on port 67",
			     bw_dhcp_type_name(m->type));
		out->drop_debug = true;
		return;
	}
	if (x->in->boot_port && m->type != BW_DHCP_REQUEST && m->type != BW_DHCP_INFORM) {
		dhcp_verdict(out, "ignoring %s on port 4011", bw_dhcp_type_name(m->type));
		return;
	}
	if (x->in->boot_port) {
		if (!m->hdr.ciaddr && !x->in->src_addr) {
			dhcp_verdict(out, "ignoring boot server REQUEST: no client address");
			return;
		}
		dhcp_send(x, BW_DHCP_ACK, 0, out);
		return;
	}
	out->delay_ms = x->quirks->proxy_delay_ms;
	dhcp_send(x, BW_DHCP_OFFER, 0, out);
}

/* http_base with "${server}" replaced by the address the client reaches us at. */
static const char *dhcp_http_base(const struct bw_dhcp_server *s, const struct bw_dhcp_in *in,
				  char *buf, size_t cap)
{
	const char *t = s->cfg->http_base, *v;
	char ip[16];

	if (!t && s->http) {
		dhcp_ip(in->server_addr, ip);
		return bw_http_base_format(s->http, ip, buf, cap) == 0 ? buf : NULL;
	}
	if (!t || !(v = strstr(t, "${server}")))
		return t;
	dhcp_ip(in->server_addr, ip);
	if ((size_t)snprintf(buf, cap, "%.*s%s%s", (int)(v - t), t, ip, v + 9) >= cap)
		return NULL;
	return buf;
}

/* The machine's profile decides: its loader's program, or (iPXE) its script's URL. */
static void dhcp_apply_profile(struct bw_dhcp_server *s, const struct bw_dhcp_in *in,
			       const struct bw_pxe_client *c, const char *base,
			       struct dhcp_reply_ctx *x)
{
	struct bw_profile_query q = {.mac = in->msg->hdr.chaddr, .arch = c->arch};
	struct bw_profile_choice ch;
	struct bw_pxe_choice *b = &x->boot;
	const char *f;
	int n;

	if (c->has_uuid)
		q.uuid = c->uuid;
	if (bw_profile_resolve(s->profiles, &q, &ch) < 0) {
		b->boot = false;
		b->file[0] = '\0';
		return;
	}
	if (!x->hostname)
		x->hostname = ch.hostname;
	x->profile = ch.name;
	f = ch.loader == BW_LOADER_IPXE ? NULL : bw_profile_loader_file(s->profiles, ch.loader,
									 c->arch);
	if (f) { /* pxelinux or GRUB, whatever the firmware runs now (iPXE included) */
		if (c->is_http && base)
			n = snprintf(b->file, sizeof(b->file), "%s%s", base, f);
		else
			n = snprintf(b->file, sizeof(b->file), "%s", f);
		b->url = c->is_http;
		b->boot = n > 0 && (size_t)n < sizeof(b->file) && (!c->is_http || base);
		return;
	}
	if (c->is_ipxe && base) { /* the script, already saying who is asking */
		b->boot = bw_profile_script_url(base, s->files.ipxe, q.mac, c->arch, b->file,
						sizeof(b->file)) == 0;
		b->url = true;
	}
}

/* ---- the entry point ---- */

static bool dhcp_server_precheck(struct bw_dhcp_server *s, const struct bw_dhcp_in *in,
				 struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = in->msg;

	if (m->hdr.op != BW_DHCP_OP_REQUEST) {
		dhcp_verdict(out, "dropping: not a BOOTREQUEST (op %u)", m->hdr.op);
		out->drop_debug = true;
		return false;
	}
	if (m->hdr.hops > 16) {
		dhcp_verdict(out, "dropping: relayed through %u hops", m->hdr.hops);
		return false;
	}
	if (!dhcp_rate_ok(s, m->hdr.chaddr, in->now)) {
		dhcp_verdict(out, "dropping %s: over %u packets/s from this MAC",
			     bw_dhcp_type_name(m->type), s->cfg->rate_per_mac);
		out->drop_debug = true;
		return false;
	}
	return true;
}

void bw_dhcp_server_step(struct bw_dhcp_server *s, const struct bw_dhcp_in *in,
			 struct bw_dhcp_out *out)
{
	const struct bw_dhcp_msg *m = in->msg;
	struct dhcp_reply_ctx x = {.s = s, .in = in};
	const char *override, *base;
	char basebuf[256];

	memset(out, 0, offsetof(struct bw_dhcp_out, pkt));
	memcpy(out->chaddr, m->hdr.chaddr, 6);
	out->xid = m->hdr.xid;
	bw_pxe_classify(m, &out->pxe);
	if (!dhcp_server_precheck(s, in, out))
		return;
	x.resv = dhcp_resv_of(s, m);
	if (x.resv) {
		x.fixed = x.resv->addr;
		x.hostname = x.resv->hostname;
	} else {
		x.fixed = dhcp_machine_addr(s, m->hdr.chaddr, &x.hostname);
	}
	x.quirks = bw_pxe_quirks_for(&out->pxe);
	base = dhcp_http_base(s, in, basebuf, sizeof(basebuf));
	bw_pxe_choose(&out->pxe, &s->files, base, &x.boot);
	if (bw_profile_set_chooses_boot(s->profiles) && x.boot.boot)
		dhcp_apply_profile(s, in, &out->pxe, base, &x);
	snprintf(out->profile, sizeof(out->profile), "%s", x.profile ? x.profile : "");
	snprintf(out->hostname, sizeof(out->hostname), "%s", x.hostname ? x.hostname : "");
	override = x.resv ? x.resv->boot_file : NULL;
	if (override && x.boot.boot && !out->pxe.is_ipxe && strlen(override) < sizeof(x.boot.file))
		strcpy(x.boot.file, override);
	if (s->mode == BW_DHCP_MODE_PROXY) {
		if (!x.boot.boot) {
			dhcp_verdict(out, "ignoring %s: not a PXE or HTTP boot client",
				     bw_dhcp_type_name(m->type));
			out->drop_debug = true;
			return;
		}
		dhcp_proxy_step(&x, out);
		return;
	}
	if (in->boot_port) {
		dhcp_verdict(out, "ignoring: port 4011 is only served in proxy mode");
		return;
	}
	x.rt = dhcp_pick_subnet(s, in);
	if (!x.rt) {
		dhcp_verdict(out, "ignoring %s: no subnet configured for this network",
			     bw_dhcp_type_name(m->type));
		return;
	}
	x.lease_s = x.rt->cfg->lease_time_s;
	switch (m->type) {
	case BW_DHCP_NONE: dhcp_on_bootp(&x, out); break;
	case BW_DHCP_DISCOVER: dhcp_on_discover(&x, out); break;
	case BW_DHCP_REQUEST: dhcp_on_request(&x, out); break;
	case BW_DHCP_DECLINE:
	case BW_DHCP_RELEASE: dhcp_on_decline_release(&x, out); break;
	case BW_DHCP_INFORM: dhcp_on_inform(&x, out); break;
	default:
		dhcp_verdict(out, "dropping: a client does not send %s", bw_dhcp_type_name(m->type));
		break;
	}
}
