#include "dhcp/dhcp_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "dhcp/dhcp_pool.h"

#define DHCP_CFG(f) offsetof(struct bw_dhcp_config, f)

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

/* ---- small value parsers ---- */

static int dhcp_cfg_ip(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

static void dhcp_cfg_ip_str(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* "10.0.0.0/24" (host bits must be zero). */
static int dhcp_cfg_cidr(const char *s, uint32_t *ret_net, uint32_t *ret_mask)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	uint64_t bits;
	uint32_t net, mask;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (dhcp_cfg_ip(ip, &net) < 0 || bw_parse_u64(slash + 1, 1, 32, &bits) < 0 ||
	    bits > 32)
		return -EINVAL;
	mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	if (net & ~mask)
		return -EINVAL;
	*ret_net = net;
	*ret_mask = mask;
	return 0;
}

/* "aa:bb:cc:dd:ee:ff" or with '-' separators; hex bytes, up to cap. */
static int dhcp_cfg_hex(const char *s, uint8_t *out, size_t cap, size_t *ret_n)
{
	size_t n = 0;

	while (*s) {
		unsigned v;
		int used;

		if (n == cap || sscanf(s, "%2x%n", &v, &used) != 1 || used != 2)
			return -EINVAL;
		out[n++] = (uint8_t)v;
		s += 2;
		if (*s == ':' || *s == '-')
			s++;
		else if (*s)
			return -EINVAL;
	}
	if (!n)
		return -EINVAL;
	*ret_n = n;
	return 0;
}

static void dhcp_cfg_print_hex(FILE *f, const uint8_t *v, size_t n)
{
	fputc('\'', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02x", i ? ":" : "", v[i]);
	fputc('\'', f);
}

/* A scalar value of a mapping item, with an error when it is a list or mapping. */
static const char *dhcp_cfg_str(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what)
{
	const char *s = node ? bw_cfg_scalar(node) : NULL;

	if (node && !s)
		bw_cfg_error(ctx, node, "dhcp.%s: expected a single value", what);
	return s;
}

/* ---- interfaces: a list of names ---- */

static void dhcp_ifaces_free(void *field)
{
	struct bw_dhcp_config *c = (void *)((char *)field - DHCP_CFG(n_interfaces));

	for (unsigned i = 0; i < c->n_interfaces; i++)
		free(c->interfaces[i]);
	free(c->interfaces);
	c->interfaces = NULL;
	c->n_interfaces = 0;
}

static int dhcp_ifaces_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	struct bw_dhcp_config *c = (void *)((char *)field - DHCP_CFG(n_interfaces));

	if (node->type != YAML_SEQUENCE_NODE) {
		bw_cfg_error(ctx, node, "dhcp.interfaces: expected a list of interface names");
		return -1;
	}
	dhcp_ifaces_free(field);
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *in = yaml_document_get_node(ctx->doc, *it);
		const char *s = bw_cfg_scalar(in);
		char **nv;

		if (!s || !*s || strlen(s) >= IF_NAMESIZE || strchr(s, '/')) {
			bw_cfg_error(ctx, in, "dhcp.interfaces: '%s' is not an interface name",
				     s ? s : "?");
			continue;
		}
		nv = realloc(c->interfaces, (c->n_interfaces + 1) * sizeof(*nv));
		if (!nv)
			return -1;
		c->interfaces = nv;
		c->interfaces[c->n_interfaces++] = strdup(s);
	}
	return 0;
}

static void dhcp_ifaces_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_dhcp_config *c = (const void *)((const char *)field - DHCP_CFG(n_interfaces));

	fputs(" [", f);
	for (unsigned i = 0; i < c->n_interfaces; i++) {
		fputs(i ? ", " : "", f);
		bw_cfg_print_str(f, c->interfaces[i]);
	}
	fputs("]\n", f);
}

/* ---- boot_files: {bios, efi_x64, efi_ia32, efi_arm64, ipxe} ---- */

static const char *const dhcp_boot_names[] = {"bios", "efi_x64", "efi_ia32", "efi_arm64", "ipxe"};

static char **dhcp_boot_slot(struct bw_dhcp_boot_files_cfg *b, unsigned i)
{
	char **slots[] = {&b->bios, &b->efi_x64, &b->efi_ia32, &b->efi_arm64, &b->ipxe};

	return slots[i];
}

static void dhcp_boot_free(void *field)
{
	for (unsigned i = 0; i < 5; i++) {
		char **s = dhcp_boot_slot(field, i);

		free(*s);
		*s = NULL;
	}
}

static int dhcp_boot_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	yaml_node_t *vals[5];

	if (bw_cfg_map_keys(ctx, node, "dhcp.boot_files", dhcp_boot_names, vals, 5) < 0)
		return 0;
	for (unsigned i = 0; i < 5; i++) {
		const char *s = dhcp_cfg_str(ctx, vals[i], "boot_files");
		char **slot = dhcp_boot_slot(field, i);

		if (!s)
			continue;
		if (!*s || strlen(s) > 127) {
			bw_cfg_error(ctx, vals[i], "dhcp.boot_files.%s: must be 1 to 127 characters",
				     dhcp_boot_names[i]);
			continue;
		}
		free(*slot);
		*slot = strdup(s);
	}
	return 0;
}

static void dhcp_boot_print(FILE *f, const void *field, const char *ind)
{
	fputc('\n', f);
	for (unsigned i = 0; i < 5; i++) {
		char *const *s = dhcp_boot_slot((void *)field, i);

		fprintf(f, "%s  %s: ", ind, dhcp_boot_names[i]);
		bw_cfg_print_str(f, *s);
		fputc('\n', f);
	}
}

/* ---- subnets ---- */

static void dhcp_subnets_free(void *field)
{
	struct bw_dhcp_config *c = (void *)((char *)field - DHCP_CFG(n_subnets));

	for (unsigned i = 0; i < c->n_subnets; i++) {
		free(c->subnets[i].domain);
		free(c->subnets[i].interface);
	}
	free(c->subnets);
	c->subnets = NULL;
	c->n_subnets = 0;
}

static int dhcp_subnet_dns(struct bw_cfg_ctx *ctx, yaml_node_t *node, struct bw_dhcp_subnet *sn)
{
	yaml_node_item_t *it, *end;
	const char *s = bw_cfg_scalar(node);

	if (s) /* one address */
		return dhcp_cfg_ip(s, &sn->dns[sn->n_dns++]) < 0 ? -1 : 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return -1;
	end = node->data.sequence.items.top;
	for (it = node->data.sequence.items.start; it < end; it++) {
		s = bw_cfg_scalar(yaml_document_get_node(ctx->doc, *it));
		if (sn->n_dns == 8 || dhcp_cfg_ip(s, &sn->dns[sn->n_dns]) < 0)
			return -1;
		sn->n_dns++;
	}
	return 0;
}

static int dhcp_subnet_range(const char *s, struct bw_dhcp_subnet *sn)
{
	char a[32];
	const char *dash = strchr(s, '-');

	if (!dash || (size_t)(dash - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (dhcp_cfg_ip(a, &sn->range_first) < 0 || dhcp_cfg_ip(dash + 1, &sn->range_last) < 0)
		return -1;
	return 0;
}

enum { SN_SUBNET, SN_RANGE, SN_ROUTER, SN_DNS, SN_DOMAIN, SN_LEASE, SN_IFACE, SN_N };

static int dhcp_subnet_fill(struct bw_cfg_ctx *ctx, yaml_node_t **v, struct bw_dhcp_subnet *sn)
{
	const char *s;
	uint64_t lt;

	memset(sn, 0, sizeof(*sn));
	sn->lease_time_s = 3600;
	s = dhcp_cfg_str(ctx, v[SN_SUBNET], "subnets.subnet");
	if (!s || dhcp_cfg_cidr(s, &sn->net, &sn->mask) < 0) {
		bw_cfg_error(ctx, v[SN_SUBNET], "dhcp.subnets: each subnet needs `subnet: "
			     "NETWORK/BITS` (like 10.0.0.0/24, host bits zero)");
		return -1;
	}
	if ((s = dhcp_cfg_str(ctx, v[SN_RANGE], "subnets.range")) && dhcp_subnet_range(s, sn) < 0) {
		bw_cfg_error(ctx, v[SN_RANGE], "dhcp.subnets.range: '%s' is not FIRST-LAST", s);
		return -1;
	}
	if ((s = dhcp_cfg_str(ctx, v[SN_ROUTER], "subnets.router")) &&
	    dhcp_cfg_ip(s, &sn->router) < 0) {
		bw_cfg_error(ctx, v[SN_ROUTER], "dhcp.subnets.router: '%s' is not an IPv4 address", s);
		return -1;
	}
	if (v[SN_DNS] && dhcp_subnet_dns(ctx, v[SN_DNS], sn) < 0) {
		bw_cfg_error(ctx, v[SN_DNS], "dhcp.subnets.dns: expected up to 8 IPv4 addresses");
		return -1;
	}
	if ((s = dhcp_cfg_str(ctx, v[SN_DOMAIN], "subnets.domain")))
		sn->domain = strdup(s);
	if ((s = dhcp_cfg_str(ctx, v[SN_LEASE], "subnets.lease_time"))) {
		if (bw_parse_u64(s, 60, 31536000, &lt) < 0) {
			bw_cfg_error(ctx, v[SN_LEASE], "dhcp.subnets.lease_time: '%s' must be "
				     "seconds between 60 and 31536000", s);
			return -1;
		}
		sn->lease_time_s = (uint32_t)lt;
	}
	if ((s = dhcp_cfg_str(ctx, v[SN_IFACE], "subnets.interface")))
		sn->interface = strdup(s);
	return 0;
}

static int dhcp_subnets_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	static const char *const names[SN_N] = {"subnet", "range", "router", "dns",
						"domain", "lease_time", "interface"};
	struct bw_dhcp_config *c = (void *)((char *)field - DHCP_CFG(n_subnets));

	if (node->type != YAML_SEQUENCE_NODE) {
		bw_cfg_error(ctx, node, "dhcp.subnets: expected a list of {subnet, range, ...}");
		return -1;
	}
	dhcp_subnets_free(field);
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		yaml_node_t *v[SN_N];
		struct bw_dhcp_subnet *nv, sn;

		if (bw_cfg_map_keys(ctx, item, "dhcp.subnets", names, v, SN_N) < 0)
			continue;
		if (dhcp_subnet_fill(ctx, v, &sn) < 0) {
			free(sn.domain);
			free(sn.interface);
			continue;
		}
		if (sn.range_first && ((sn.range_first & sn.mask) != sn.net ||
				       (sn.range_last & sn.mask) != sn.net ||
				       sn.range_last < sn.range_first ||
				       sn.range_last - sn.range_first >= BW_DHCP_POOL_MAX))
			bw_cfg_error(ctx, v[SN_RANGE], "dhcp.subnets.range: must lie inside the "
				     "subnet, first <= last, at most %u addresses", BW_DHCP_POOL_MAX);
		nv = realloc(c->subnets, (c->n_subnets + 1) * sizeof(*nv));
		if (!nv)
			return -1;
		c->subnets = nv;
		c->subnets[c->n_subnets++] = sn;
	}
	return 0;
}

static void dhcp_subnets_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_dhcp_config *c =
		(const void *)((const char *)field - DHCP_CFG(n_subnets));
	char a[16], b[16];

	if (!c->n_subnets) {
		fputs(" []\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < c->n_subnets; i++) {
		const struct bw_dhcp_subnet *sn = &c->subnets[i];

		dhcp_cfg_ip_str(sn->net, a);
		fprintf(f, "%s  - subnet: %s/%d\n", ind, a, __builtin_popcount(sn->mask));
		if (sn->range_first) {
			dhcp_cfg_ip_str(sn->range_first, a);
			dhcp_cfg_ip_str(sn->range_last, b);
			fprintf(f, "%s    range: %s-%s\n", ind, a, b);
		}
		if (sn->router) {
			dhcp_cfg_ip_str(sn->router, a);
			fprintf(f, "%s    router: %s\n", ind, a);
		}
		if (sn->n_dns) {
			fprintf(f, "%s    dns: [", ind);
			for (unsigned k = 0; k < sn->n_dns; k++) {
				dhcp_cfg_ip_str(sn->dns[k], a);
				fprintf(f, "%s%s", k ? ", " : "", a);
			}
			fputs("]\n", f);
		}
		if (sn->domain) {
			fprintf(f, "%s    domain: ", ind);
			bw_cfg_print_str(f, sn->domain);
			fputc('\n', f);
		}
		fprintf(f, "%s    lease_time: %u\n", ind, sn->lease_time_s);
		if (sn->interface) {
			fprintf(f, "%s    interface: ", ind);
			bw_cfg_print_str(f, sn->interface);
			fputc('\n', f);
		}
	}
}

/* ---- reservations ---- */

static void dhcp_resv_free(void *field)
{
	struct bw_dhcp_config *c = (void *)((char *)field - DHCP_CFG(n_reservations));

	for (unsigned i = 0; i < c->n_reservations; i++) {
		free(c->reservations[i].hostname);
		free(c->reservations[i].boot_file);
	}
	free(c->reservations);
	c->reservations = NULL;
	c->n_reservations = 0;
}

enum { RV_MAC, RV_CID, RV_IP, RV_HOST, RV_BOOT, RV_N };

static int dhcp_resv_fill(struct bw_cfg_ctx *ctx, yaml_node_t *item, yaml_node_t **v,
			  struct bw_dhcp_reservation *r)
{
	const char *s;
	size_t n;

	memset(r, 0, sizeof(*r));
	if ((s = dhcp_cfg_str(ctx, v[RV_MAC], "reservations.mac"))) {
		if (dhcp_cfg_hex(s, r->mac, 6, &n) < 0 || n != 6) {
			bw_cfg_error(ctx, v[RV_MAC], "dhcp.reservations.mac: '%s' is not a MAC "
				     "address like 52:54:00:12:34:56", s);
			return -1;
		}
		r->has_mac = true;
	}
	if ((s = dhcp_cfg_str(ctx, v[RV_CID], "reservations.client_id"))) {
		if (dhcp_cfg_hex(s, r->client_id, sizeof(r->client_id), &n) < 0 || n < 2) {
			bw_cfg_error(ctx, v[RV_CID], "dhcp.reservations.client_id: '%s' must be 2 "
				     "to 64 hex bytes like 01:52:54:00:12:34:56", s);
			return -1;
		}
		r->client_id_len = (uint8_t)n;
	}
	if (!r->has_mac && !r->client_id_len) {
		bw_cfg_error(ctx, item, "dhcp.reservations: each entry needs mac or client_id");
		return -1;
	}
	if ((s = dhcp_cfg_str(ctx, v[RV_IP], "reservations.ip")) && dhcp_cfg_ip(s, &r->addr) < 0) {
		bw_cfg_error(ctx, v[RV_IP], "dhcp.reservations.ip: '%s' is not an IPv4 address", s);
		return -1;
	}
	if ((s = dhcp_cfg_str(ctx, v[RV_HOST], "reservations.hostname"))) {
		if (!*s || strlen(s) > 63) {
			bw_cfg_error(ctx, v[RV_HOST], "dhcp.reservations.hostname: 1 to 63 characters");
			return -1;
		}
		r->hostname = strdup(s);
	}
	if ((s = dhcp_cfg_str(ctx, v[RV_BOOT], "reservations.boot_file"))) {
		if (!*s || strlen(s) > 127) {
			bw_cfg_error(ctx, v[RV_BOOT], "dhcp.reservations.boot_file: 1 to 127 characters");
			return -1;
		}
		r->boot_file = strdup(s);
	}
	return 0;
}

static int dhcp_resv_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	static const char *const names[RV_N] = {"mac", "client_id", "ip", "hostname", "boot_file"};
	struct bw_dhcp_config *c = (void *)((char *)field - DHCP_CFG(n_reservations));

	if (node->type != YAML_SEQUENCE_NODE) {
		bw_cfg_error(ctx, node, "dhcp.reservations: expected a list of {mac, ip, hostname}");
		return -1;
	}
	dhcp_resv_free(field);
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		yaml_node_t *v[RV_N];
		struct bw_dhcp_reservation *nv, r = {0};

		if (bw_cfg_map_keys(ctx, item, "dhcp.reservations", names, v, RV_N) < 0 ||
		    dhcp_resv_fill(ctx, item, v, &r) < 0) {
			free(r.hostname);
			free(r.boot_file);
			continue;
		}
		for (unsigned i = 0; i < c->n_reservations; i++) {
			const struct bw_dhcp_reservation *o = &c->reservations[i];

			if ((r.has_mac && o->has_mac && !memcmp(o->mac, r.mac, 6) &&
			     !r.client_id_len && !o->client_id_len) ||
			    (r.addr && o->addr == r.addr))
				bw_cfg_error(ctx, item, "dhcp.reservations: this entry repeats the "
					     "MAC or address of an earlier one");
		}
		nv = realloc(c->reservations, (c->n_reservations + 1) * sizeof(*nv));
		if (!nv) {
			free(r.hostname);
			return -1;
		}
		c->reservations = nv;
		c->reservations[c->n_reservations++] = r;
	}
	return 0;
}

static void dhcp_resv_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_dhcp_config *c =
		(const void *)((const char *)field - DHCP_CFG(n_reservations));
	char a[16];

	if (!c->n_reservations) {
		fputs(" []\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < c->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &c->reservations[i];
		const char *lead = "-";

		if (r->has_mac) {
			fprintf(f, "%s  %s mac: ", ind, lead);
			dhcp_cfg_print_hex(f, r->mac, 6);
			fputc('\n', f);
			lead = " ";
		}
		if (r->client_id_len) {
			fprintf(f, "%s  %s client_id: ", ind, lead);
			dhcp_cfg_print_hex(f, r->client_id, r->client_id_len);
			fputc('\n', f);
		}
		if (r->addr) {
			dhcp_cfg_ip_str(r->addr, a);
			fprintf(f, "%s    ip: %s\n", ind, a);
		}
		if (r->hostname) {
			fprintf(f, "%s    hostname: ", ind);
			bw_cfg_print_str(f, r->hostname);
			fputc('\n', f);
		}
		if (r->boot_file) {
			fprintf(f, "%s    boot_file: ", ind);
			bw_cfg_print_str(f, r->boot_file);
			fputc('\n', f);
		}
	}
}

/* ---- whole-section checks ---- */

static void dhcp_cfg_validate_paths(struct bw_cfg_ctx *ctx, struct bw_dhcp_config *c,
				    const struct bw_config *cfg)
{
	/* An empty string (as printed for an unset key) means unset. */
	if (c->server_ip && !*c->server_ip) {
		free(c->server_ip);
		c->server_ip = NULL;
	}
	if (c->http_base && !*c->http_base) {
		free(c->http_base);
		c->http_base = NULL;
	}
	if (!c->lease_db || !*c->lease_db) {
		bw_cfg_error_key(ctx, "dhcp", "lease_db", "dhcp.lease_db: must name a file");
		return;
	}
	/* A relative lease_db is relative to the config file's directory. */
	if (c->lease_db[0] != '/' && cfg->file && strchr(cfg->file, '/')) {
		char joined[4096];
		int dl = (int)(strrchr(cfg->file, '/') - cfg->file);

		snprintf(joined, sizeof(joined), "%.*s/%s", dl, cfg->file, c->lease_db);
		free(c->lease_db);
		c->lease_db = strdup(joined);
	}
	if (c->http_base) {
		size_t n = strlen(c->http_base);

		if (strncmp(c->http_base, "http://", 7) && strncmp(c->http_base, "https://", 8))
			bw_cfg_error_key(ctx, "dhcp", "http_base", "dhcp.http_base: '%s' must start "
					 "with http:// or https://", c->http_base);
		else if (n && c->http_base[n - 1] != '/') {
			char *s = malloc(n + 2);

			if (s) {
				memcpy(s, c->http_base, n);
				memcpy(s + n, "/", 2);
				free(c->http_base);
				c->http_base = s;
			}
		}
	}
}

static void dhcp_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_dhcp_config *c = p;
	uint32_t ip;

	dhcp_cfg_validate_paths(ctx, c, cfg);
	if (c->server_ip && dhcp_cfg_ip(c->server_ip, &ip) < 0)
		bw_cfg_error_key(ctx, "dhcp", "server_ip",
				 "dhcp.server_ip: '%s' is not an IPv4 address", c->server_ip);
	for (unsigned i = 0; i < c->n_reservations; i++) {
		const struct bw_dhcp_reservation *r = &c->reservations[i];
		unsigned k;

		for (k = 0; r->addr && k < c->n_subnets; k++)
			if ((r->addr & c->subnets[k].mask) == c->subnets[k].net)
				break;
		if (r->addr && k == c->n_subnets)
			bw_cfg_error_key(ctx, "dhcp", "reservations", "dhcp.reservations: "
					 "%u.%u.%u.%u is in none of the subnets", r->addr >> 24,
					 (r->addr >> 16) & 255, (r->addr >> 8) & 255, r->addr & 255);
	}
	if (!c->enabled)
		return;
	if (!c->n_interfaces)
		bw_cfg_error_key(ctx, "dhcp", "interfaces", "dhcp.interfaces: list the interfaces "
				 "to serve; bootwire never answers DHCP on an interface not listed");
	if (c->mode == BW_DHCP_MODE_SERVER && !c->n_subnets)
		bw_cfg_error_key(ctx, "dhcp", "subnets", "dhcp.subnets: server mode needs at least "
				 "one subnet (or use mode: proxy beside another DHCP server)");
}

static const struct bw_cfg_key dhcp_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = DHCP_CFG(enabled)},
	{.name = "mode", .type = BW_CFG_ENUM, .off = DHCP_CFG(mode), .choices = dhcp_modes},
	{.name = "interfaces", .type = BW_CFG_CUSTOM, .off = DHCP_CFG(n_interfaces),
	 .parse = dhcp_ifaces_parse, .print = dhcp_ifaces_print, .free = dhcp_ifaces_free},
	{.name = "server_ip", .type = BW_CFG_STR, .off = DHCP_CFG(server_ip)},
	{.name = "lease_db", .type = BW_CFG_STR, .off = DHCP_CFG(lease_db)},
	{.name = "offer_timeout_ms", .type = BW_CFG_UINT, .off = DHCP_CFG(offer_timeout_ms),
	 .min = 500, .max = 300000, .reload_safe = true},
	{.name = "decline_hold_s", .type = BW_CFG_UINT, .off = DHCP_CFG(decline_hold_s), .min = 1,
	 .max = 86400, .reload_safe = true},
	{.name = "rate_per_mac", .type = BW_CFG_UINT, .off = DHCP_CFG(rate_per_mac), .min = 1,
	 .max = 100000, .reload_safe = true},
	{.name = "http_base", .type = BW_CFG_STR, .off = DHCP_CFG(http_base), .reload_safe = true},
	{.name = "boot_files", .type = BW_CFG_CUSTOM, .off = DHCP_CFG(boot_files),
	 .parse = dhcp_boot_parse, .print = dhcp_boot_print, .free = dhcp_boot_free,
	 .reload_safe = true},
	{.name = "subnets", .type = BW_CFG_CUSTOM, .off = DHCP_CFG(n_subnets),
	 .parse = dhcp_subnets_parse, .print = dhcp_subnets_print, .free = dhcp_subnets_free,
	 .reload_safe = true}, /* options and lease time; the rest: bw_dhcp_server_reconfigure */
	{.name = "reservations", .type = BW_CFG_CUSTOM, .off = DHCP_CFG(n_reservations),
	 .parse = dhcp_resv_parse, .print = dhcp_resv_print, .free = dhcp_resv_free,
	 .reload_safe = true},
};

const struct bw_cfg_section bw_dhcp_cfg_section = {
	.name = "dhcp",
	.keys = dhcp_cfg_keys,
	.n_keys = sizeof(dhcp_cfg_keys) / sizeof(dhcp_cfg_keys[0]),
	.size = sizeof(struct bw_dhcp_config),
	.defaults = dhcp_cfg_defaults,
	.validate = dhcp_cfg_validate,
};
