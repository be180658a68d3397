#include "dhcp/dhcp_config.h"

#include <ifaddrs.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "dhcp/dhcp_pool.h"
#include "profile/profile.h"

#define DHCP_CFG(f) offsetof(struct bw_dhcp_config, f)
#define DHCP_SN(f) offsetof(struct bw_dhcp_subnet, f)
#define DHCP_RV(f) offsetof(struct bw_dhcp_reservation, f)

static const char *const dhcp_modes[] = {"server", "proxy", NULL};

/* ---- value checks ---- */

static int dhcp_check_ifname(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (*s && strlen(s) < IF_NAMESIZE && !strchr(s, '/'))
		return 0;
	snprintf(why, whycap, "'%s' is not an interface name", s);
	return -1;
}

static int dhcp_check_len(const char *s, size_t max, char *why, size_t whycap)
{
	if (*s && strlen(s) <= max)
		return 0;
	snprintf(why, whycap, "must be 1 to %zu characters", max);
	return -1;
}

static int dhcp_check_file(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	return dhcp_check_len(s, 127, why, whycap);
}

static int dhcp_check_hostname(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	return dhcp_check_len(s, 63, why, whycap);
}

/* ---- boot_files ---- */

static const struct bw_cfg_key dhcp_boot_keys[] = {
	{.name = "bios", .type = BW_CFG_STR, .off = offsetof(struct bw_dhcp_boot_files_cfg, bios),
	 .def = "undionly.kpxe", .check = dhcp_check_file, .reload_safe = true, .doc = "Boot program of BIOS PXE clients."},
	{.name = "efi_x64", .type = BW_CFG_STR,
	 .off = offsetof(struct bw_dhcp_boot_files_cfg, efi_x64), .def = "ipxe.efi", .check = dhcp_check_file,
	 .reload_safe = true, .doc = "Boot program of UEFI x86-64 clients."},
	{.name = "efi_ia32", .type = BW_CFG_STR,
	 .off = offsetof(struct bw_dhcp_boot_files_cfg, efi_ia32), .def = "ipxe-ia32.efi", .check = dhcp_check_file,
	 .reload_safe = true, .doc = "Boot program of UEFI IA32 clients."},
	{.name = "efi_arm64", .type = BW_CFG_STR,
	 .off = offsetof(struct bw_dhcp_boot_files_cfg, efi_arm64), .def = "ipxe-arm64.efi", .check = dhcp_check_file,
	 .reload_safe = true, .doc = "Boot program of UEFI ARM64 clients."},
	{.name = "ipxe", .type = BW_CFG_STR, .off = offsetof(struct bw_dhcp_boot_files_cfg, ipxe),
	 .def = "boot.ipxe", .check = dhcp_check_file, .reload_safe = true,
	 .doc = "What a client already running iPXE gets (its script)."},
};

static const struct bw_cfg_record dhcp_boot_rec = {
	.keys = dhcp_boot_keys,
	.n_keys = sizeof(dhcp_boot_keys) / sizeof(dhcp_boot_keys[0]),
	.size = sizeof(struct bw_dhcp_boot_files_cfg),
};

/* ---- subnets ---- */

static bool dhcp_subnet_has(const struct bw_dhcp_subnet *sn, uint32_t a)
{
	return (a & sn->mask) == sn->net;
}

/* The subnet as "10.0.0.0/24" into out. */
static const char *dhcp_subnet_str(const struct bw_dhcp_subnet *sn, char out[24])
{
	char a[BW_IPV4_STRLEN];

	bw_ipv4_format(sn->net, a);
	snprintf(out, 24, "%s/%d", a, bw_ipv4_mask_bits(sn->mask));
	return out;
}

/* The range and the router lie inside the subnet. Reported, but the subnet is kept: the
 * checks of reservations and interfaces against the subnets still run. */
static int dhcp_subnet_validate(struct bw_cfg_ctx *ctx, const char *path, void *items,
				unsigned i)
{
	struct bw_dhcp_subnet *sn = (struct bw_dhcp_subnet *)items + i;
	char a[BW_IPV4_STRLEN], net[24];

	if (sn->range_first && (!dhcp_subnet_has(sn, sn->range_first) ||
				!dhcp_subnet_has(sn, sn->range_last) ||
				sn->range_last < sn->range_first ||
				sn->range_last - sn->range_first >= BW_DHCP_POOL_MAX))
		bw_cfg_error_at(ctx, &sn->range_first, "%s.range: must lie inside the subnet, "
				"first <= last, at most %u addresses", path, BW_DHCP_POOL_MAX);
	bw_ipv4_format(sn->router, a);
	if (sn->router && !dhcp_subnet_has(sn, sn->router))
		bw_cfg_error_at(ctx, &sn->router, "%s.router: %s is outside the subnet %s", path, a,
				dhcp_subnet_str(sn, net));
	return 0;
}

static const struct bw_cfg_key dhcp_subnet_keys[] = {
	{.name = "subnet", .type = BW_CFG_IPV4_NET, .off = DHCP_SN(net), .off2 = DHCP_SN(mask),
	 .flags = BW_CFG_REQUIRED, .doc = "NETWORK/BITS served."},
	{.name = "range", .type = BW_CFG_IPV4_RANGE, .off = DHCP_SN(range_first),
	 .off2 = DHCP_SN(range_last), .flags = BW_CFG_OPTIONAL,
	 .doc = "FIRST-LAST: the dynamic pool."},
	{.name = "router", .type = BW_CFG_IPV4, .off = DHCP_SN(router), .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true, .doc = "Option 3."},
	{.name = "dns", .type = BW_CFG_IPV4_LIST, .off = DHCP_SN(dns), .off2 = DHCP_SN(n_dns),
	 .max = 8, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "Option 6: up to 8 addresses."},
	{.name = "domain", .type = BW_CFG_STR, .off = DHCP_SN(domain), .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true, .doc = "Option 15."},
	{.name = "lease_time", .type = BW_CFG_UINT, .off = DHCP_SN(lease_time_s), .min = 60,
	 .max = 31536000, .def = "3600", .expect = "seconds from 60 to 31536000",
	 .reload_safe = true,
	 .doc = "Lease length in seconds."},
	{.name = "interface", .type = BW_CFG_STR, .off = DHCP_SN(interface),
	 .check = dhcp_check_ifname, .flags = BW_CFG_OPTIONAL,
	 .doc = "Serve this subnet only on that interface."},
};

static const struct bw_cfg_record dhcp_subnet_rec = {
	.keys = dhcp_subnet_keys,
	.n_keys = sizeof(dhcp_subnet_keys) / sizeof(dhcp_subnet_keys[0]),
	.size = sizeof(struct bw_dhcp_subnet),
	.validate = dhcp_subnet_validate,
};

/* ---- reservations ---- */

static bool dhcp_resv_same(const struct bw_dhcp_reservation *a,
			   const struct bw_dhcp_reservation *b)
{
	return (a->has_mac && b->has_mac && !memcmp(a->mac, b->mac, 6) && !a->client_id_len &&
		!b->client_id_len) ||
	       (a->addr && a->addr == b->addr);
}

static int dhcp_resv_validate(struct bw_cfg_ctx *ctx, const char *path, void *items, unsigned i)
{
	struct bw_dhcp_reservation *v = items, *r = &v[i];

	if (!r->has_mac && !r->client_id_len) {
		bw_cfg_error_item(ctx, r, "%s: each entry needs mac or client_id", path);
		return -1;
	}
	for (unsigned k = 0; k < i; k++) {
		if (dhcp_resv_same(&v[k], r)) {
			bw_cfg_error_item(ctx, r, "%s: this entry repeats the MAC or address of "
					  "an earlier one", path);
			return -1;
		}
	}
	return 0;
}

static const struct bw_cfg_key dhcp_resv_keys[] = {
	{.name = "mac", .type = BW_CFG_MAC, .off = DHCP_RV(mac), .off2 = DHCP_RV(has_mac),
	 .flags = BW_CFG_OPTIONAL, .reload_safe = true, .doc = "The client's MAC address."},
	{.name = "client_id", .type = BW_CFG_HEX, .off = DHCP_RV(client_id),
	 .off2 = DHCP_RV(client_id_len), .min = 2,
	 .max = sizeof(((struct bw_dhcp_reservation *)0)->client_id), .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true, .doc = "Option 61 as hex bytes, type first."},
	{.name = "ip", .type = BW_CFG_IPV4, .off = DHCP_RV(addr), .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true, .doc = "The client's fixed address."},
	{.name = "hostname", .type = BW_CFG_STR, .off = DHCP_RV(hostname),
	 .check = dhcp_check_hostname, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "Option 12."},
	{.name = "boot_file", .type = BW_CFG_STR, .off = DHCP_RV(boot_file),
	 .check = dhcp_check_file, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "This client's boot program."},
};

static const struct bw_cfg_record dhcp_resv_rec = {
	.keys = dhcp_resv_keys,
	.n_keys = sizeof(dhcp_resv_keys) / sizeof(dhcp_resv_keys[0]),
	.size = sizeof(struct bw_dhcp_reservation),
	.validate = dhcp_resv_validate,
};

/* ---- whole-section checks ---- */

static void dhcp_cfg_validate_paths(struct bw_cfg_ctx *ctx, struct bw_dhcp_config *c,
				    const struct bw_config *cfg)
{
	size_t n;
	char *s;

	/* An empty string (as printed for an unset key) means unset. */
	if (c->server_ip && !*c->server_ip)
		bw_cfg_set_str(ctx, &c->server_ip, NULL);
	if (c->http_base && !*c->http_base)
		bw_cfg_set_str(ctx, &c->http_base, NULL);
	if (!c->lease_db || !*c->lease_db)
		bw_cfg_error_at(ctx, &c->lease_db, "dhcp.lease_db: must name a file");
	else
		bw_cfg_resolve_path(ctx, cfg, &c->lease_db);
	if (!c->http_base)
		return;
	n = strlen(c->http_base);
	if (strncmp(c->http_base, "http://", 7) && strncmp(c->http_base, "https://", 8)) {
		bw_cfg_error_at(ctx, &c->http_base, "dhcp.http_base: '%s' must start with "
				"http:// or https://", c->http_base);
	} else if (c->http_base[n - 1] != '/') {
		if (asprintf(&s, "%s/", c->http_base) < 0) {
			bw_cfg_error_at(ctx, NULL, "out of memory");
			return;
		}
		free(c->http_base);
		c->http_base = s;
	}
}

/* No address belongs to two subnets (which one would a client get?). */
static void dhcp_cfg_validate_overlap(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c)
{
	char x[24], y[24];

	for (unsigned i = 0; i < c->n_subnets; i++) {
		const struct bw_dhcp_subnet *b = &c->subnets[i];

		for (unsigned k = 0; k < i; k++) {
			const struct bw_dhcp_subnet *a = &c->subnets[k];

			if (!dhcp_subnet_has(a, b->net) && !dhcp_subnet_has(b, a->net))
				continue;
			bw_cfg_error_at(ctx, &b->net, "dhcp.subnets.subnet: %s overlaps %s "
					"(line %u)", dhcp_subnet_str(b, x), dhcp_subnet_str(a, y),
					bw_cfg_line_of(ctx, &a->net));
			break;
		}
	}
}

static void dhcp_cfg_validate_resv(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c)
{
	char a[BW_IPV4_STRLEN];

	if (bw_cfg_rejected(ctx, &c->subnets, NULL))
		return; /* the subnet it is in may be the one refused */
	for (unsigned i = 0; i < c->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &c->reservations[i];
		unsigned k;

		for (k = 0; r->addr && k < c->n_subnets; k++)
			if (dhcp_subnet_has(&c->subnets[k], r->addr))
				break;
		bw_ipv4_format(r->addr, a);
		if (r->addr && k == c->n_subnets)
			bw_cfg_error_at(ctx, &r->addr, "dhcp.reservations: %s is in none of the "
					"subnets", a);
	}
}

/* A machine's ip inside one of the subnets (when DHCP runs: without it the machines may be
 * meant for another server). */
static void dhcp_machine_in_subnet(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c,
				   const struct bw_profile_address *m)
{
	char a[BW_IPV4_STRLEN];
	unsigned k;

	for (k = 0; k < c->n_subnets; k++)
		if (dhcp_subnet_has(&c->subnets[k], m->addr))
			break;
	bw_ipv4_format(m->addr, a);
	if (k == c->n_subnets && c->n_subnets && c->enabled &&
	    !bw_cfg_rejected(ctx, &c->subnets, NULL))
		bw_cfg_error_at(ctx, m->field, "machines.ip: %s is in none of the dhcp.subnets", a);
}

/* A machine's ip against the reservations: not an address one of them has, and a
 * reservation for the same MAC wins (check-config says so: the ip would be ignored). */
static void dhcp_machine_vs_resv(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c,
				 const struct bw_profile_address *m)
{
	char a[BW_IPV4_STRLEN], mac[BW_MAC_STRLEN];

	bw_ipv4_format(m->addr, a);
	bw_mac_format(m->mac, ':', mac);
	for (unsigned i = 0; i < c->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &c->reservations[i];

		if (r->addr == m->addr)
			bw_cfg_error_at(ctx, m->field, "machines.ip: %s is also the address of the "
					"dhcp.reservations entry at line %u", a,
					bw_cfg_item_line(ctx, r));
		else if (bw_cfg_strict(ctx) && r->has_mac && !r->client_id_len &&
			 !memcmp(r->mac, m->mac, 6))
			bw_cfg_error_at(ctx, m->field, "machines.ip: the dhcp.reservations entry at "
					"line %u for %s wins: DHCP ignores this ip and hostname "
					"(describe the machine in one place)", bw_cfg_item_line(ctx, r),
					mac);
	}
}

/* Machines with ip are reservations too, in server mode (proxy mode ignores ip). */
static void dhcp_cfg_validate_machines(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c,
				       const struct bw_config *cfg)
{
	const struct bw_profile_set *ps = bw_profile_set_of(cfg);
	struct bw_profile_address m;
	unsigned pos = 0;

	if (c->mode != BW_DHCP_MODE_SERVER || bw_cfg_rejected(ctx, &c->mode, NULL))
		return;
	while (bw_profile_next_address(ps, &pos, &m)) {
		dhcp_machine_in_subnet(ctx, c, &m);
		dhcp_machine_vs_resv(ctx, c, &m);
	}
}

static void dhcp_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_dhcp_config *c = p;
	uint32_t ip;

	dhcp_cfg_validate_paths(ctx, c, cfg);
	if (c->server_ip && bw_ipv4_parse(c->server_ip, strlen(c->server_ip), &ip) < 0)
		bw_cfg_error_at(ctx, &c->server_ip, "dhcp.server_ip: '%s' is not an IPv4 address",
				c->server_ip);
	dhcp_cfg_validate_overlap(ctx, c);
	dhcp_cfg_validate_resv(ctx, c);
	dhcp_cfg_validate_machines(ctx, c, cfg);
	if (!c->enabled)
		return;
	if (!c->n_interfaces && !bw_cfg_rejected(ctx, &c->interfaces, NULL))
		bw_cfg_error_at(ctx, &c->interfaces, "dhcp.interfaces: list the interfaces to "
				"serve; bootwire never answers DHCP on an interface not listed");
	if (c->mode == BW_DHCP_MODE_SERVER && !c->n_subnets &&
	    !bw_cfg_rejected(ctx, &c->subnets, NULL) && !bw_cfg_rejected(ctx, &c->mode, NULL))
		bw_cfg_error_at(ctx, &c->subnets, "dhcp.subnets: server mode needs at least one "
				"subnet (or use mode: proxy beside another DHCP server)");
}

/* ---- host checks ---- */

/* Each listed interface exists and has an IPv4 address; in server mode one of them lies in
 * a subnet (a relayed network needs no interface, but the one the relay talks to does). */
/* Whether interface name has an IPv4 address (one of them into a), and whether one of its
 * addresses lies in one of the subnets. */
static bool dhcp_iface_v4(const struct ifaddrs *all, const char *name,
			  const struct bw_dhcp_config *c, bool *ret_inside, char a[BW_IPV4_STRLEN])
{
	bool v4 = false;

	*ret_inside = false;
	for (const struct ifaddrs *ia = all; ia; ia = ia->ifa_next) {
		const struct sockaddr_in *sin = (const void *)ia->ifa_addr;
		uint32_t addr;

		if (strcmp(ia->ifa_name, name) || !sin || sin->sin_family != AF_INET)
			continue;
		addr = ntohl(sin->sin_addr.s_addr);
		v4 = true;
		bw_ipv4_format(addr, a);
		for (unsigned k = 0; k < c->n_subnets; k++)
			*ret_inside |= dhcp_subnet_has(&c->subnets[k], addr);
	}
	return v4;
}

static void dhcp_check_ifaces(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c,
			      const struct ifaddrs *all)
{
	bool subnets = c->mode == BW_DHCP_MODE_SERVER && !bw_cfg_rejected(ctx, &c->subnets, NULL);

	for (unsigned i = 0; i < c->n_interfaces; i++) {
		char *const *f = &c->interfaces[i], a[BW_IPV4_STRLEN] = "";
		bool inside, v4 = dhcp_iface_v4(all, *f, c, &inside, a);

		if (!if_nametoindex(*f))
			bw_cfg_error_at(ctx, f, "dhcp.interfaces: '%s' does not exist", *f);
		else if (!v4 && !c->server_ip)
			bw_cfg_error_at(ctx, f, "dhcp.interfaces: '%s' has no IPv4 address (and "
					"server_ip is not set)", *f);
		else if (v4 && subnets && !inside)
			bw_cfg_error_at(ctx, f, "dhcp.interfaces: the address of '%s' (%s) is in "
					"none of the subnets", *f, a);
	}
}

/* Boot files named in the file must be in boot_root and readable by `user`; a default that
 * is missing only warns (machines of that firmware then get "not found"). URLs, and the
 * script iPXE gets when profiles make it, are not files. */
static void dhcp_check_boot_files(struct bw_cfg_ctx *ctx, const struct bw_dhcp_config *c,
				  const struct bw_config *cfg)
{
	bool profiles = bw_profile_set_of(cfg) != NULL;

	for (unsigned i = 0; i < sizeof(dhcp_boot_keys) / sizeof(dhcp_boot_keys[0]); i++) {
		const struct bw_cfg_key *k = &dhcp_boot_keys[i];
		char *const *f = (char *const *)((const char *)&c->boot_files + k->off);
		char path[48];

		if (!*f || strstr(*f, "://") ||
		    (profiles && (!strcmp(*f, "boot.ipxe") || !strcmp(*f, "autoexec.ipxe"))))
			continue;
		snprintf(path, sizeof(path), "dhcp.boot_files.%s", k->name);
		bw_cfg_check_file(ctx, cfg, f, path, *f, false, !bw_cfg_given(ctx, f));
	}
	for (unsigned i = 0; i < c->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &c->reservations[i];

		if (r->boot_file && !strstr(r->boot_file, "://"))
			bw_cfg_check_file(ctx, cfg, &r->boot_file, "dhcp.reservations.boot_file",
					  r->boot_file, false, false);
	}
}

static void dhcp_cfg_check_host(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	const struct bw_dhcp_config *c = p;
	struct ifaddrs *all = NULL;

	if (!c->enabled)
		return;
	if (getifaddrs(&all) < 0)
		bw_cfg_error_at(ctx, NULL, "dhcp.interfaces: cannot list the interfaces: %s",
				strerror(errno));
	else
		dhcp_check_ifaces(ctx, c, all);
	freeifaddrs(all);
	dhcp_check_boot_files(ctx, c, cfg);
}

static const struct bw_cfg_key dhcp_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = DHCP_CFG(enabled), /* never unless told */
	 .doc = "Run the DHCP service."},
	{.name = "mode", .type = BW_CFG_ENUM, .off = DHCP_CFG(mode), .choices = dhcp_modes,
	 .def = "server", .doc = "server (addresses and boot information) or proxy (boot information only)."},
	{.name = "interfaces", .type = BW_CFG_STR_LIST, .off = DHCP_CFG(interfaces),
	 .off2 = DHCP_CFG(n_interfaces), .check = dhcp_check_ifname,
	 .doc = "Interfaces to serve; no other interface ever gets an answer."},
	{.name = "server_ip", .type = BW_CFG_STR, .off = DHCP_CFG(server_ip),
	 .doc = "Address bootwire calls itself in replies (default: the interface's)."},
	{.name = "lease_db", .type = BW_CFG_STR, .off = DHCP_CFG(lease_db),
	 .def = "/var/lib/bootwire/leases.db", .doc = "The SQLite lease database."},
	{.name = "offer_timeout_ms", .type = BW_CFG_UINT, .off = DHCP_CFG(offer_timeout_ms),
	 .min = 500, .max = 300000, .def = "10000", .reload_safe = true,
	 .doc = "How long an offered address is held for its client."},
	{.name = "decline_hold_s", .type = BW_CFG_UINT, .off = DHCP_CFG(decline_hold_s), .min = 1,
	 .max = 86400, .def = "600", .reload_safe = true,
	 .doc = "How long a declined address stays out of the pool."},
	{.name = "decline_max_per_mac", .type = BW_CFG_UINT, .off = DHCP_CFG(decline_max_per_mac),
	 .min = 1, .max = 65536, .def = "2", .reload_safe = true,
	 .doc = "Declined addresses one client may hold in quarantine; its next DECLINE releases "
		"its oldest."},
	{.name = "decline_max_percent", .type = BW_CFG_UINT, .off = DHCP_CFG(decline_max_percent),
	 .min = 1, .max = 100, .def = "25", .reload_safe = true,
	 .doc = "Share of a pool (at least one address) that may be quarantined; past it a "
		"DECLINE releases the oldest."},
	{.name = "rate_per_mac", .type = BW_CFG_UINT, .off = DHCP_CFG(rate_per_mac), .min = 1,
	 .max = 100000, .def = "20", .reload_safe = true,
	 .doc = "Packets per second accepted from one MAC address."},
	{.name = "http_base", .type = BW_CFG_STR, .off = DHCP_CFG(http_base), .reload_safe = true,
	 .doc = "Base URL of the HTTP service for iPXE and UEFI HTTP boot clients."},
	{.name = "boot_files", .type = BW_CFG_RECORD, .off = DHCP_CFG(boot_files),
	 .rec = &dhcp_boot_rec, .reload_safe = true, .doc = "Boot programs by firmware."},
	{.name = "subnets", .type = BW_CFG_LIST, .off = DHCP_CFG(subnets),
	 .off2 = DHCP_CFG(n_subnets), .rec = &dhcp_subnet_rec, .reload_safe = true,
	 .doc = "Networks served (server mode)."},
	{.name = "reservations", .type = BW_CFG_LIST, .off = DHCP_CFG(reservations),
	 .off2 = DHCP_CFG(n_reservations), .rec = &dhcp_resv_rec, .reload_safe = true,
	 .doc = "Fixed addresses, names and boot files per client."},
};

const struct bw_cfg_section bw_dhcp_cfg_section = {
	.name = "dhcp",
	.keys = dhcp_cfg_keys,
	.n_keys = sizeof(dhcp_cfg_keys) / sizeof(dhcp_cfg_keys[0]),
	.size = sizeof(struct bw_dhcp_config),
	.validate = dhcp_cfg_validate,
	.check_host = dhcp_cfg_check_host,
};
