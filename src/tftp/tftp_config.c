#include "tftp/tftp_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fspath.h"
#include "core/sock.h"
#include "tftp/tftp_wire.h"

#define TFTP_CFG(f) offsetof(struct bw_tftp_config, f)

/* ---- remap: a list of {match, replace} ---- */

static int tftp_remap_validate(struct bw_cfg_ctx *ctx, const char *path, void *items, unsigned i)
{
	struct bw_tftp_remap *r = (struct bw_tftp_remap *)items + i;
	char errbuf[128];
	int rc = regcomp(&r->re, r->match, REG_EXTENDED);

	if (rc) {
		regerror(rc, &r->re, errbuf, sizeof(errbuf));
		bw_cfg_error_at(ctx, &r->match, "%s.match: bad regular expression '%s': %s", path,
				r->match, errbuf);
		return -1;
	}
	r->compiled = true;
	return 0;
}

static void tftp_remap_done(void *item)
{
	struct bw_tftp_remap *r = item;

	if (r->compiled)
		regfree(&r->re);
	r->compiled = false;
}

static const struct bw_cfg_key tftp_remap_keys[] = {
	{.name = "match", .type = BW_CFG_STR, .off = offsetof(struct bw_tftp_remap, match),
	 .flags = BW_CFG_REQUIRED, .reload_safe = true,
	 .doc = "POSIX extended regular expression matched against the requested name."},
	{.name = "replace", .type = BW_CFG_STR, .off = offsetof(struct bw_tftp_remap, replace),
	 .flags = BW_CFG_REQUIRED, .reload_safe = true,
	 .doc = "Replacement of the matched part (\\0..\\9: the match and its groups)."},
};

static const struct bw_cfg_record tftp_remap_rec = {
	.keys = tftp_remap_keys,
	.n_keys = sizeof(tftp_remap_keys) / sizeof(tftp_remap_keys[0]),
	.size = sizeof(struct bw_tftp_remap),
	.validate = tftp_remap_validate,
	.done = tftp_remap_done,
};

/* ---- uploads: a list of {dir, overwrite, max_size} ---- */

static int tftp_check_dir(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (bw_fspath_normalize(s, strlen(s), NULL, out, cap) == 0)
		return 1;
	snprintf(why, whycap, "'%s' must be a directory inside boot_root", s);
	return -1;
}

static const struct bw_cfg_key tftp_upload_keys[] = {
	{.name = "dir", .type = BW_CFG_STR, .off = offsetof(struct bw_tftp_upload, dir),
	 .check = tftp_check_dir, .flags = BW_CFG_REQUIRED, .reload_safe = true,
	 .doc = "Directory inside boot_root that accepts uploads."},
	{.name = "overwrite", .type = BW_CFG_BOOL,
	 .off = offsetof(struct bw_tftp_upload, overwrite), .reload_safe = true,
	 .doc = "Replace an existing file."},
	{.name = "max_size", .type = BW_CFG_SIZE, .off = offsetof(struct bw_tftp_upload, max_size),
	 .max = UINT64_MAX, .def = "64M", .reload_safe = true, .doc = "Largest upload."},
};

static const struct bw_cfg_record tftp_upload_rec = {
	.keys = tftp_upload_keys,
	.n_keys = sizeof(tftp_upload_keys) / sizeof(tftp_upload_keys[0]),
	.size = sizeof(struct bw_tftp_upload),
};

static void tftp_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_tftp_config *c = p;
	struct sockaddr_storage ss;

	for (unsigned i = 0; i < c->n_listen; i++)
		if (bw_sock_addr_parse(c->listen[i], (uint16_t)c->port, &ss) < 0)
			bw_cfg_error_at(ctx, &c->listen[i], "tftp.listen: '%s' is not an IPv4 or "
					"IPv6 address", c->listen[i]);
}

/* Upload directories exist (TFTP does not create them). */
static void tftp_cfg_check_host(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	const struct bw_tftp_config *c = p;

	for (unsigned i = 0; c->enabled && i < c->uploads.n; i++)
		bw_cfg_check_file(ctx, cfg, &c->uploads.v[i].dir, "tftp.uploads.dir",
				  c->uploads.v[i].dir, true, false);
}

static const struct bw_cfg_key tftp_cfg_keys[] = {
	{.name = "enabled", .type = BW_CFG_BOOL, .off = TFTP_CFG(enabled), .def = "true",
	 .doc = "Run the TFTP service."},
	{.name = "listen", .type = BW_CFG_STR_LIST, .off = TFTP_CFG(listen),
	 .off2 = TFTP_CFG(n_listen), .max = 16, .def = "0.0.0.0",
	 .doc = "Addresses to bind (IPv4 or IPv6 literals; one or a list)."},
	{.name = "port", .type = BW_CFG_UINT, .off = TFTP_CFG(port), .min = 1, .max = 65535,
	 .def = "69", .doc = "UDP port for requests."},
	{.name = "blksize_max", .type = BW_CFG_UINT, .off = TFTP_CFG(blksize_max),
	 .min = 512, .max = BW_TFTP_BLKSIZE_MAX, .def = "1468", .reload_safe = true,
	 .doc = "Largest block size granted (RFC 2348)."},
	{.name = "windowsize_max", .type = BW_CFG_UINT, .off = TFTP_CFG(windowsize_max),
	 .min = 1, .max = 1024, .def = "64", .reload_safe = true,
	 .doc = "Largest window granted (RFC 7440)."},
	{.name = "timeout_ms", .type = BW_CFG_UINT, .off = TFTP_CFG(timeout_ms), .min = 10,
	 .max = 255000, .def = "1000", .reload_safe = true,
	 .doc = "First retransmission timeout, and the ceiling of a download's adaptive one "
		"(RFC 6298, 5 ms floor; uploads do not adapt)."},
	{.name = "retries", .type = BW_CFG_UINT, .off = TFTP_CFG(retries), .min = 1, .max = 100,
	 .def = "5", .reload_safe = true,
	 .doc = "Retransmissions without progress before giving up; only waits of at least "
		"timeout_ms count."},
	{.name = "max_transfers", .type = BW_CFG_UINT, .off = TFTP_CFG(max_transfers), .min = 1,
	 .max = 100000, .def = "1000", .reload_safe = true, .doc = "Concurrent transfers."},
	{.name = "max_transfers_per_client", .type = BW_CFG_UINT,
	 .off = TFTP_CFG(max_transfers_per_client), .min = 1, .max = 100000, .def = "64",
	 .reload_safe = true, .doc = "Concurrent transfers per client IP address."},
	{.name = "case_insensitive", .type = BW_CFG_BOOL, .off = TFTP_CFG(case_insensitive),
	 .reload_safe = true, .doc = "Look names up ignoring case when not found as written."},
	{.name = "map_backslash", .type = BW_CFG_BOOL, .off = TFTP_CFG(map_backslash),
	 .def = "true", .reload_safe = true, .doc = "Turn \\ into / in requested names."},
	{.name = "remap", .type = BW_CFG_LIST, .off = TFTP_CFG(remap.v), .off2 = TFTP_CFG(remap.n),
	 .rec = &tftp_remap_rec, .reload_safe = true,
	 .doc = "Rewrite rules applied to requested names (the first that matches)."},
	{.name = "uploads", .type = BW_CFG_LIST, .off = TFTP_CFG(uploads.v),
	 .off2 = TFTP_CFG(uploads.n), .rec = &tftp_upload_rec, .reload_safe = true,
	 .doc = "Directories that accept write requests."},
};

const struct bw_cfg_section bw_tftp_cfg_section = {
	.name = "tftp",
	.keys = tftp_cfg_keys,
	.n_keys = sizeof(tftp_cfg_keys) / sizeof(tftp_cfg_keys[0]),
	.size = sizeof(struct bw_tftp_config),
	.validate = tftp_cfg_validate,
	.check_host = tftp_cfg_check_host,
};
