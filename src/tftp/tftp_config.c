#include "tftp/tftp_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/fspath.h"
#include "core/sock.h"
#include "core/util.h"
#include "tftp/tftp_path.h"
#include "tftp/tftp_wire.h"

#define TFTP_CFG(f) offsetof(struct bw_tftp_config, f)

static void tftp_cfg_defaults(void *p)
{
	struct bw_tftp_config *c = p;

	c->enabled = true;
	c->listen = strdup("0.0.0.0");
	c->port = 69;
	c->blksize_max = 1468;
	c->windowsize_max = 64;
	c->timeout_ms = 1000;
	c->retries = 5;
	c->max_transfers = 1000;
	c->max_transfers_per_client = 64;
	c->case_insensitive = false;
	c->map_backslash = true;
}

/* ---- remap: a list of {match, replace} ---- */

static void tftp_remaps_free(void *field)
{
	struct bw_tftp_remaps *rs = field;

	for (unsigned i = 0; i < rs->n; i++) {
		regfree(&rs->v[i].re);
		free(rs->v[i].match);
		free(rs->v[i].replace);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

/* Reads {k1: ..., k2: ...} items of a list into string slots by name. */
static int tftp_cfg_item(struct bw_cfg_ctx *ctx, yaml_node_t *item, const char *what,
			 const char *const *names, const char **vals, yaml_node_t **nodes,
			 unsigned n)
{
	if (item->type != YAML_MAPPING_NODE) {
		bw_cfg_error(ctx, item, "tftp.%s: each entry must be a mapping", what);
		return -1;
	}
	for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
	     pr < item->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(ctx->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(ctx->doc, pr->value);
		const char *k = bw_cfg_scalar(kn), *v = bw_cfg_scalar(vn);
		unsigned i;

		for (i = 0; i < n && k; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (!k || i == n) {
			bw_cfg_error(ctx, kn, "tftp.%s: unknown key '%s'", what, k ? k : "?");
			return -1;
		}
		if (!v) {
			bw_cfg_error(ctx, vn, "tftp.%s.%s: expected a single value", what, k);
			return -1;
		}
		vals[i] = v;
		nodes[i] = vn;
	}
	return 0;
}

static int tftp_remaps_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	static const char *const names[] = {"match", "replace"};
	struct bw_tftp_remaps *rs = field;

	if (node->type != YAML_SEQUENCE_NODE) {
		bw_cfg_error(ctx, node, "tftp.remap: expected a list of {match, replace}");
		return -1;
	}
	tftp_remaps_free(rs);
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		const char *vals[2] = {NULL, NULL};
		yaml_node_t *nodes[2] = {item, item};
		struct bw_tftp_remap *r, *nv;
		char errbuf[128];
		int rc;

		if (tftp_cfg_item(ctx, item, "remap", names, vals, nodes, 2) < 0)
			continue;
		if (!vals[0] || !vals[1]) {
			bw_cfg_error(ctx, item, "tftp.remap: each rule needs match and replace");
			continue;
		}
		nv = realloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
		if (!nv) {
			bw_cfg_error(ctx, item, "out of memory");
			return -1;
		}
		rs->v = nv;
		r = &rs->v[rs->n];
		rc = regcomp(&r->re, vals[0], REG_EXTENDED);
		if (rc) {
			regerror(rc, &r->re, errbuf, sizeof(errbuf));
			bw_cfg_error(ctx, nodes[0], "tftp.remap.match: bad regular expression '%s': %s",
				     vals[0], errbuf);
			continue;
		}
		r->match = strdup(vals[0]);
		r->replace = strdup(vals[1]);
		rs->n++;
	}
	return 0;
}

static void tftp_remaps_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_tftp_remaps *rs = field;

	if (!rs->n) {
		fputs(" []\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < rs->n; i++) {
		fprintf(f, "%s  - match: ", ind);
		bw_cfg_print_str(f, rs->v[i].match);
		fprintf(f, "\n%s    replace: ", ind);
		bw_cfg_print_str(f, rs->v[i].replace);
		fputc('\n', f);
	}
}

/* ---- uploads: a list of {dir, overwrite, max_size} ---- */

static void tftp_uploads_free(void *field)
{
	struct bw_tftp_uploads *us = field;

	for (unsigned i = 0; i < us->n; i++)
		free(us->v[i].dir);
	free(us->v);
	us->v = NULL;
	us->n = 0;
}

static int tftp_upload_fill(struct bw_cfg_ctx *ctx, struct bw_tftp_upload *u,
			    const char *const *vals, yaml_node_t *const *nodes)
{
	char norm[1024];

	if (!vals[0]) {
		bw_cfg_error(ctx, nodes[0], "tftp.uploads: each entry needs dir");
		return -1;
	}
	if (bw_fspath_normalize(vals[0], strlen(vals[0]), NULL, norm, sizeof(norm)) < 0) {
		bw_cfg_error(ctx, nodes[0],
			     "tftp.uploads.dir: '%s' must be a directory inside boot_root", vals[0]);
		return -1;
	}
	u->overwrite = false;
	u->max_size = 64ull << 20;
	if (vals[1] && bw_cfg_parse_bool(vals[1], &u->overwrite) < 0) {
		bw_cfg_error(ctx, nodes[1], "tftp.uploads.overwrite: expected true or false");
		return -1;
	}
	if (vals[2] && bw_parse_size(vals[2], &u->max_size) < 0) {
		bw_cfg_error(ctx, nodes[2], "tftp.uploads.max_size: expected a size like 64M");
		return -1;
	}
	u->dir = strdup(norm);
	return 0;
}

static int tftp_uploads_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	static const char *const names[] = {"dir", "overwrite", "max_size"};
	struct bw_tftp_uploads *us = field;

	if (node->type != YAML_SEQUENCE_NODE) {
		bw_cfg_error(ctx, node, "tftp.uploads: expected a list of {dir, overwrite, max_size}");
		return -1;
	}
	tftp_uploads_free(us);
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		const char *vals[3] = {NULL, NULL, NULL};
		yaml_node_t *nodes[3] = {item, item, item};
		struct bw_tftp_upload *nv;

		if (tftp_cfg_item(ctx, item, "uploads", names, vals, nodes, 3) < 0)
			continue;
		nv = realloc(us->v, (us->n + 1) * sizeof(*us->v));
		if (!nv) {
			bw_cfg_error(ctx, item, "out of memory");
			return -1;
		}
		us->v = nv;
		if (tftp_upload_fill(ctx, &us->v[us->n], vals, nodes) == 0)
			us->n++;
	}
	return 0;
}

static void tftp_uploads_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_tftp_uploads *us = field;

	if (!us->n) {
		fputs(" []\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < us->n; i++) {
		fprintf(f, "%s  - dir: ", ind);
		bw_cfg_print_str(f, us->v[i].dir);
		fprintf(f, "\n%s    overwrite: %s\n%s    max_size: %llu\n", ind,
			us->v[i].overwrite ? "true" : "false", ind,
			(unsigned long long)us->v[i].max_size);
	}
}

static void tftp_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_tftp_config *c = p;
	struct sockaddr_storage ss;

	if (bw_sock_addr_parse(c->listen, (uint16_t)c->port, &ss) < 0)
		bw_cfg_error_key(ctx, "tftp", "listen",
				 "tftp.listen: '%s' is not an IPv4 or IPv6 address", c->listen);
}

static const struct bw_cfg_key tftp_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = TFTP_CFG(enabled)},
	{.name = "listen", .type = BW_CFG_STR, .off = TFTP_CFG(listen)},
	{.name = "port", .type = BW_CFG_UINT, .off = TFTP_CFG(port), .min = 1, .max = 65535},
	{.name = "blksize_max", .type = BW_CFG_UINT, .off = TFTP_CFG(blksize_max),
	 .min = 512, .max = BW_TFTP_BLKSIZE_MAX, .reload_safe = true},
	{.name = "windowsize_max", .type = BW_CFG_UINT, .off = TFTP_CFG(windowsize_max),
	 .min = 1, .max = 1024, .reload_safe = true},
	{.name = "timeout_ms", .type = BW_CFG_UINT, .off = TFTP_CFG(timeout_ms), .min = 10,
	 .max = 255000, .reload_safe = true},
	{.name = "retries", .type = BW_CFG_UINT, .off = TFTP_CFG(retries), .min = 1, .max = 100,
	 .reload_safe = true},
	{.name = "max_transfers", .type = BW_CFG_UINT, .off = TFTP_CFG(max_transfers), .min = 1,
	 .max = 100000, .reload_safe = true},
	{.name = "max_transfers_per_client", .type = BW_CFG_UINT,
	 .off = TFTP_CFG(max_transfers_per_client), .min = 1, .max = 100000, .reload_safe = true},
	{.name = "case_insensitive", .type = BW_CFG_BOOL, .off = TFTP_CFG(case_insensitive),
	 .reload_safe = true},
	{.name = "map_backslash", .type = BW_CFG_BOOL, .off = TFTP_CFG(map_backslash),
	 .reload_safe = true},
	{.name = "remap", .type = BW_CFG_CUSTOM, .off = TFTP_CFG(remap), .parse = tftp_remaps_parse,
	 .print = tftp_remaps_print, .free = tftp_remaps_free, .reload_safe = true},
	{.name = "uploads", .type = BW_CFG_CUSTOM, .off = TFTP_CFG(uploads),
	 .parse = tftp_uploads_parse, .print = tftp_uploads_print, .free = tftp_uploads_free,
	 .reload_safe = true},
};

const struct bw_cfg_section bw_tftp_cfg_section = {
	.name = "tftp",
	.keys = tftp_cfg_keys,
	.n_keys = sizeof(tftp_cfg_keys) / sizeof(tftp_cfg_keys[0]),
	.size = sizeof(struct bw_tftp_config),
	.defaults = tftp_cfg_defaults,
	.validate = tftp_cfg_validate,
};
