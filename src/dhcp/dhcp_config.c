#include "dhcp/dhcp_config.h"

#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "dhcp/dhcp_pool.h"

#define DHCP_CFG(f) offsetof(struct bw_dhcp_config, f)
#define DHCP_SN(f) offsetof(struct bw_dhcp_subnet, f)
#define DHCP_RV(f) offsetof(struct bw_dhcp_reservation, f)

static const char *const dhcp_modes[] = {"server", "proxy", NULL};

static void dhcp_cfg_defaults(void *p)
{
	struct bw_dhcp_config *c = p;

	c->enabled = false; /* never answer DHCP unless told to */
	c->mode = BW_DHCP_MODE_SERVER;
	c->lease_db = strdup("/var/lib/bootwire/leases.db");
	c->offer_timeout_ms = 10000;
	c->decline_hold_s = 600;
	c->rate_per_mac = 20;
	c->boot_files.bios = strdup("undionly.kpxe");
	c->boot_files.efi_x64 = strdup("ipxe.efi");
	c->boot_files.efi_ia32 = strdup("ipxe-ia32.efi");
	c->boot_files.efi_arm64 = strdup("ipxe-arm64.efi");
	c->boot_files.ipxe = strdup("boot.ipxe");
}

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
	 .check = dhcp_check_file, .reload_safe = true, .doc = "Boot program of BIOS PXE clients."},
	{.name = "efi_x64", .type = BW_CFG_STR,
	 .off = offsetof(struct bw_dhcp_boot_files_cfg, efi_x64), .check = dhcp_check_file,
	 .reload_safe = true, .doc = "Boot program of UEFI x86-64 clients."},
	{.name = "efi_ia32", .type = BW_CFG_STR,
	 .off = offsetof(struct bw_dhcp_boot_files_cfg, efi_ia32), .check = dhcp_check_file,
	 .reload_safe = true, .doc = "Boot program of UEFI IA32 clients."},
	{.name = "efi_arm64", .type = BW_CFG_STR,
	 .off = offsetof(struct bw_dhcp_boot_files_cfg, efi_arm64), .check = dhcp_check_file,
	 .reload_safe = true, .doc = "Boot program of UEFI ARM64 clients."},
	{.name = "ipxe", .type = BW_CFG_STR, .off = offsetof(struct bw_dhcp_boot_files_cfg, ipxe),
	 .check = dhcp_check_file, .reload_safe = true,
	 .doc = "What a client already running iPXE gets (its script)."},
};

static const struct bw_cfg_record dhcp_boot_rec = {
	.keys = dhcp_boot_keys,
	.n_keys = sizeof(dhcp_boot_keys) / sizeof(dhcp_boot_keys[0]),
	.size = sizeof(struct bw_dhcp_boot_files_cfg),
};

/* ---- subnets ---- */

static void dhcp_subnet_defaults(void *item)
{
	struct bw_dhcp_subnet *sn = item;

	sn->lease_time_s = 3600;
}

static int dhcp_subnet_validate(struct bw_cfg_ctx *ctx, const char *path, void *items,
				unsigned i)
{
	struct bw_dhcp_subnet *sn = (struct bw_dhcp_subnet *)items + i;

	if (sn->range_first && ((sn->range_first & sn->mask) != sn->net ||
				(sn->range_last & sn->mask) != sn->net ||
				sn->range_last < sn->range_first ||
				sn->range_last - sn->range_first >= BW_DHCP_POOL_MAX)) {
		bw_cfg_error_at(ctx, &sn->range_first, "%s.range: must lie inside the subnet, "
				"first <= last, at most %u addresses", path, BW_DHCP_POOL_MAX);
		return -1;
	}
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
	 .max = 31536000, .expect = "seconds from 60 to 31536000", .reload_safe = true,
	 .doc = "Lease length in seconds."},
	{.name = "interface", .type = BW_CFG_STR, .off = DHCP_SN(interface),
	 .check = dhcp_check_ifname, .flags = BW_CFG_OPTIONAL,
	 .doc = "Serve this subnet only on that interface."},
};

static const struct bw_cfg_record dhcp_subnet_rec = {
	.keys = dhcp_subnet_keys,
	.n_keys = sizeof(dhcp_subnet_keys) / sizeof(dhcp_subnet_keys[0]),
	.size = sizeof(struct bw_dhcp_subnet),
	.defaults = dhcp_subnet_defaults,
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

static void dhcp_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_dhcp_config *c = p;
	char a[BW_IPV4_STRLEN];
	uint32_t ip;

	dhcp_cfg_validate_paths(ctx, c, cfg);
	if (c->server_ip && bw_ipv4_parse(c->server_ip, strlen(c->server_ip), &ip) < 0)
		bw_cfg_error_at(ctx, &c->server_ip, "dhcp.server_ip: '%s' is not an IPv4 address",
				c->server_ip);
	for (unsigned i = 0; i < c->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &c->reservations[i];
		unsigned k;

		for (k = 0; r->addr && k < c->n_subnets; k++)
			if ((r->addr & c->subnets[k].mask) == c->subnets[k].net)
				break;
		bw_ipv4_format(r->addr, a);
		if (r->addr && k == c->n_subnets)
			bw_cfg_error_at(ctx, &r->addr, "dhcp.reservations: %s is in none of the "
					"subnets", a);
	}
	if (!c->enabled)
		return;
	if (!c->n_interfaces)
		bw_cfg_error_at(ctx, &c->interfaces, "dhcp.interfaces: list the interfaces to "
				"serve; bootwire never answers DHCP on an interface not listed");
	if (c->mode == BW_DHCP_MODE_SERVER && !c->n_subnets)
		bw_cfg_error_at(ctx, &c->subnets, "dhcp.subnets: server mode needs at least one "
				"subnet (or use mode: proxy beside another DHCP server)");
}

static const struct bw_cfg_key dhcp_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = DHCP_CFG(enabled),
	 .doc = "Run the DHCP service."},
	{.name = "mode", .type = BW_CFG_ENUM, .off = DHCP_CFG(mode), .choices = dhcp_modes,
	 .doc = "server (addresses and boot information) or proxy (boot information only)."},
	{.name = "interfaces", .type = BW_CFG_STR_LIST, .off = DHCP_CFG(interfaces),
	 .off2 = DHCP_CFG(n_interfaces), .check = dhcp_check_ifname,
	 .doc = "Interfaces to serve; no other interface ever gets an answer."},
	{.name = "server_ip", .type = BW_CFG_STR, .off = DHCP_CFG(server_ip),
	 .doc = "Address bootwire calls itself in replies (default: the interface's)."},
	{.name = "lease_db", .type = BW_CFG_STR, .off = DHCP_CFG(lease_db),
	 .doc = "The SQLite lease database."},
	{.name = "offer_timeout_ms", .type = BW_CFG_UINT, .off = DHCP_CFG(offer_timeout_ms),
	 .min = 500, .max = 300000, .reload_safe = true,
	 .doc = "How long an offered address is held for its client."},
	{.name = "decline_hold_s", .type = BW_CFG_UINT, .off = DHCP_CFG(decline_hold_s), .min = 1,
	 .max = 86400, .reload_safe = true,
	 .doc = "How long a declined address stays out of the pool."},
	{.name = "rate_per_mac", .type = BW_CFG_UINT, .off = DHCP_CFG(rate_per_mac), .min = 1,
	 .max = 100000, .reload_safe = true,
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
	.defaults = dhcp_cfg_defaults,
	.validate = dhcp_cfg_validate,
};
