/* The config loader: YAML (libyaml's document API) walked against the sections' key tables;
 * printing, comparing and freeing through the same tables. See config.h. */
#include "core/config.h"

#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/log.h"
#include "core/netaddr.h"
#include "core/util.h"

#define CFG_PATH_MAX 256   /* a key path in messages */
#define CFG_VALUE_MAX 4096 /* a string value a check normalises */

/* Where a value (key != NULL) or a record item (key == NULL) at addr was written. */
struct cfg_line {
	const void *addr;
	const struct bw_cfg_key *key;
	unsigned line; /* 1-based */
};

/* A value refused (name NULL), or a MAP entry left out (name: its name, in the document;
 * "": every entry). */
struct cfg_reject {
	const void *field;
	const char *name;
};

#define CFG_GROUPS_MAX 64

struct bw_cfg_ctx {
	const char *file;
	yaml_document_t *doc; /* NULL: no file (command line, defaults) */
	char *err;            /* all messages, one per line */
	size_t errcap, errlen;
	unsigned nerr;
	unsigned flags; /* BW_CFG_CHECK_* */
	bool oom;
	struct cfg_line *lines; /* in the order parsed */
	size_t n_lines, cap_lines;
	struct cfg_reject *rejects;
	size_t n_rejects, cap_rejects;
	/* host checks: who reads the files (when `user` is set and exists) */
	const char *user;
	uid_t uid;
	int n_groups;
	gid_t groups[CFG_GROUPS_MAX];
};

static const struct bw_cfg_section *cfg_sections[BW_CFG_MAX_SECTIONS];
static unsigned cfg_n_sections;

int bw_config_register(const struct bw_cfg_section *sec)
{
	for (unsigned i = 0; i < cfg_n_sections; i++)
		if (cfg_sections[i] == sec)
			return 0;
	if (cfg_n_sections == BW_CFG_MAX_SECTIONS)
		return -ENOSPC;
	cfg_sections[cfg_n_sections++] = sec;
	return 0;
}

void *bw_config_get(const struct bw_config *cfg, const struct bw_cfg_section *sec)
{
	for (unsigned i = 0; i < cfg_n_sections; i++)
		if (cfg_sections[i] == sec)
			return cfg->sec[i];
	return NULL;
}

/* ---- messages and lines ---- */

/* Writes msg into out (cap bytes, cut if need be) with its control bytes as \xNN: messages
 * quote values from the file, and a newline in one must not start a line of its own (each
 * line is one `file:line: message`; a reload logs them). */
static void cfg_msg_clean(const char *msg, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *msg && o + 5 < cap; msg++) {
		unsigned char c = (unsigned char)*msg;

		if (c >= 0x20 && c != 0x7f) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
}

static void cfg_vreport(struct bw_cfg_ctx *ctx, unsigned line, const char *fmt, va_list ap)
{
	size_t room = ctx->errcap - ctx->errlen;
	char raw[512], msg[512];
	int n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	cfg_msg_clean(raw, msg, sizeof(msg));
	ctx->nerr++;
	if (!ctx->err || ctx->errlen + 1 >= ctx->errcap)
		return;
	if (line)
		n = snprintf(ctx->err + ctx->errlen, room, "%s:%u: %s\n", ctx->file, line, msg);
	else
		n = snprintf(ctx->err + ctx->errlen, room, "%s: %s\n", ctx->file, msg);
	if (n > 0)
		ctx->errlen += (size_t)n < room ? (size_t)n : room - 1;
}

static void cfg_report(struct bw_cfg_ctx *ctx, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cfg_report(struct bw_cfg_ctx *ctx, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vreport(ctx, line, fmt, ap);
	va_end(ap);
}

static void cfg_oom(struct bw_cfg_ctx *ctx)
{
	if (!ctx->oom)
		cfg_report(ctx, 0, "out of memory");
	ctx->oom = true;
}

static unsigned cfg_line(const struct bw_cfg_ctx *ctx, const yaml_node_t *node)
{
	return ctx->doc && node ? (unsigned)node->start_mark.line + 1 : 0;
}

/* Room for one more element of size in *v (n used of *cap); false after reporting. */
static bool cfg_grow(struct bw_cfg_ctx *ctx, void **v, size_t n, size_t *cap, size_t size)
{
	size_t ncap = *cap ? 2 * *cap : 256;
	void *nv;

	if (n < *cap)
		return true;
	nv = realloc(*v, ncap * size);
	if (!nv) {
		cfg_oom(ctx);
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

static void cfg_line_add(struct bw_cfg_ctx *ctx, const void *addr, const struct bw_cfg_key *key,
			 const yaml_node_t *node)
{
	if (cfg_line(ctx, node) &&
	    cfg_grow(ctx, (void **)&ctx->lines, ctx->n_lines, &ctx->cap_lines, sizeof(*ctx->lines)))
		ctx->lines[ctx->n_lines++] = (struct cfg_line){addr, key, cfg_line(ctx, node)};
}

static void cfg_reject_add(struct bw_cfg_ctx *ctx, const void *field, const char *name)
{
	if (cfg_grow(ctx, (void **)&ctx->rejects, ctx->n_rejects, &ctx->cap_rejects,
		     sizeof(*ctx->rejects)))
		ctx->rejects[ctx->n_rejects++] = (struct cfg_reject){field, name};
}

bool bw_cfg_rejected(const struct bw_cfg_ctx *ctx, const void *field, const char *name)
{
	for (size_t i = 0; i < ctx->n_rejects; i++) {
		const struct cfg_reject *r = &ctx->rejects[i];

		if (r->field == field &&
		    (!name || (r->name && (!*r->name || strcmp(r->name, name) == 0))))
			return true;
	}
	return false;
}

/* The latest entry for addr. A RECORD key shares its address with its first key and is
 * skipped: asking about that field means the field. */
static unsigned cfg_line_find(const struct bw_cfg_ctx *ctx, const void *addr, bool item)
{
	for (size_t i = ctx->n_lines; addr && i-- > 0;) {
		const struct cfg_line *l = &ctx->lines[i];

		if (l->addr == addr && (l->key == NULL) == item &&
		    (item || l->key->type != BW_CFG_RECORD))
			return l->line;
	}
	return 0;
}

unsigned bw_cfg_line_of(const struct bw_cfg_ctx *ctx, const void *field)
{
	return cfg_line_find(ctx, field, false);
}

unsigned bw_cfg_item_line(const struct bw_cfg_ctx *ctx, const void *item)
{
	return cfg_line_find(ctx, item, true);
}

bool bw_cfg_strict(const struct bw_cfg_ctx *ctx)
{
	return ctx->flags & BW_CFG_CHECK_STRICT;
}

unsigned bw_cfg_n_errors(const struct bw_cfg_ctx *ctx)
{
	return ctx->nerr;
}

bool bw_cfg_given(const struct bw_cfg_ctx *ctx, const void *field)
{
	return cfg_line_find(ctx, field, false) != 0;
}

void bw_cfg_error_at(struct bw_cfg_ctx *ctx, const void *field, const char *fmt, ...)
{
	va_list ap;

	if (field)
		cfg_reject_add(ctx, field, NULL);
	va_start(ap, fmt);
	cfg_vreport(ctx, cfg_line_find(ctx, field, false), fmt, ap);
	va_end(ap);
}

void bw_cfg_error_item(struct bw_cfg_ctx *ctx, const void *item, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vreport(ctx, cfg_line_find(ctx, item, true), fmt, ap);
	va_end(ap);
}

/* ---- small helpers ---- */

int bw_cfg_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (unsigned i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int bw_cfg_set_str(struct bw_cfg_ctx *ctx, char **field, const char *s)
{
	char *dup = s ? strdup(s) : NULL;

	if (s && !dup) {
		cfg_oom(ctx);
		return -ENOMEM;
	}
	free(*field);
	*field = dup;
	return 0;
}

int bw_cfg_resolve_path(struct bw_cfg_ctx *ctx, const struct bw_config *cfg, char **field)
{
	const char *slash = cfg->file ? strrchr(cfg->file, '/') : NULL;
	char dir[PATH_MAX], *joined, *d;

	if (!*field || !**field || (*field)[0] == '/')
		return 0;
	/* relative to the config file's directory, written absolute, so --print shows every
	 * path outside boot_root the same way whatever the directory it was run from */
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - cfg->file), cfg->file);
	else
		snprintf(dir, sizeof(dir), ".");
	d = realpath(dir[0] ? dir : "/", NULL);
	if (asprintf(&joined, "%s/%s", d ? d : dir, *field) < 0) {
		free(d);
		cfg_oom(ctx);
		return -ENOMEM;
	}
	free(d);
	free(*field);
	*field = joined;
	return 0;
}

static const char *cfg_scalar(const yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

/* "key:" with nothing after it. */
static bool cfg_is_empty(const yaml_node_t *node)
{
	const char *s = cfg_scalar(node);

	return s && !*s;
}

static yaml_node_t *cfg_node(const struct bw_cfg_ctx *ctx, int id)
{
	return yaml_document_get_node(ctx->doc, id);
}

/* prefix.name into out (CFG_PATH_MAX bytes; cut short if need be: it is for messages). */
static void cfg_path(char *out, const char *prefix, const char *name)
{
	if (snprintf(out, CFG_PATH_MAX, "%s%s%s", prefix, *prefix ? "." : "", name) < 0)
		out[0] = '\0';
}

/* The prefix of the keys inside container k at path: "x", "x[]" or "x.<name>". */
static void cfg_inner_path(char *out, const char *path, const struct bw_cfg_key *k)
{
	const char *tail = k->type == BW_CFG_LIST ? "[]" : k->type == BW_CFG_MAP ? ".<name>" : "";

	if (snprintf(out, CFG_PATH_MAX, "%s%s", path, tail) < 0)
		out[0] = '\0';
}

static void *cfg_at(const void *base, size_t off)
{
	return (char *)base + off;
}

/* ---- scalar values ---- */

static void cfg_parse_number(struct bw_cfg_ctx *ctx, unsigned line, const char *path,
			     const struct bw_cfg_key *k, const char *s, void *field)
{
	unsigned long long lo = k->min, hi = k->max;
	bool size = k->type == BW_CFG_SIZE;
	char want[160];
	uint64_t n;
	int r = size ? bw_parse_size(s, &n) : bw_parse_u64(s, k->min, k->max, &n);

	if (r == 0 && n >= k->min && n <= k->max) {
		if (size)
			*(uint64_t *)field = n;
		else
			*(uint32_t *)field = (uint32_t)n;
		return;
	}
	if (k->expect)
		snprintf(want, sizeof(want), "%s", k->expect);
	else if (size)
		snprintf(want, sizeof(want), "a size (e.g. 512K, 64M, 1G) from %llu to %llu "
			 "bytes", lo, hi);
	else
		snprintf(want, sizeof(want), "a whole number from %llu to %llu", lo, hi);
	cfg_report(ctx, line, "%s: expected %s, got '%s'", path, want, s);
}

static void cfg_parse_enum(struct bw_cfg_ctx *ctx, unsigned line, const char *path,
			   const struct bw_cfg_key *k, const char *s, int *field)
{
	char list[256] = "";

	for (int i = 0; k->choices[i]; i++) {
		if (*k->choices[i] && strcasecmp(s, k->choices[i]) == 0) {
			*field = i;
			return;
		}
	}
	for (int i = 0; k->choices[i]; i++) {
		if (!*k->choices[i])
			continue;
		strncat(list, *list ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, k->choices[i], sizeof(list) - strlen(list) - 1);
	}
	cfg_report(ctx, line, "%s: expected one of %s, got '%s'", path, list, s);
}

/* A checked, malloc'd copy of s into *ret (freeing what was there); -1 after reporting. */
static int cfg_parse_str(struct bw_cfg_ctx *ctx, unsigned line, const char *path,
			 bw_cfg_check_fn *check, const char *s, char **ret)
{
	char out[CFG_VALUE_MAX], why[512];
	int r = check ? check(s, out, sizeof(out), why, sizeof(why)) : 0;

	if (r < 0) {
		cfg_report(ctx, line, "%s: %s", path, why);
		return -1;
	}
	return bw_cfg_set_str(ctx, ret, r ? out : s) < 0 ? -1 : 0;
}

static int cfg_parse_range(const char *s, uint32_t *first, uint32_t *last)
{
	const char *dash = strchr(s, '-');
	uint32_t a, b;

	if (!dash || bw_ipv4_parse(s, (size_t)(dash - s), &a) < 0 ||
	    bw_ipv4_parse(dash + 1, strlen(dash + 1), &b) < 0)
		return -EINVAL;
	*first = a;
	*last = b;
	return 0;
}

/* IPV4, IPV4_NET, IPV4_RANGE, MAC, UUID, HEX. */
static int cfg_parse_addr(const struct bw_cfg_key *k, const char *s, void *field, void *field2)
{
	size_t len = strlen(s), n;
	unsigned bits;
	uint32_t a;

	switch (k->type) {
	case BW_CFG_IPV4:
		return bw_ipv4_parse(s, len, field);
	case BW_CFG_IPV4_NET:
		if (bw_ipv4_prefix_parse(s, len, &a, &bits) < 0 || bits == 0 ||
		    (a & ~bw_ipv4_mask(bits)))
			return -EINVAL;
		*(uint32_t *)field = a;
		*(uint32_t *)field2 = bw_ipv4_mask(bits);
		return 0;
	case BW_CFG_IPV4_RANGE:
		return cfg_parse_range(s, field, field2);
	case BW_CFG_MAC:
	case BW_CFG_UUID:
		if ((k->type == BW_CFG_MAC ? bw_mac_parse(s, len, field)
					   : bw_uuid_parse(s, len, field)) < 0)
			return -EINVAL;
		*(bool *)field2 = true;
		return 0;
	case BW_CFG_HEX:
		if (bw_hex_parse(s, len, field, k->max, &n) < 0 || n < k->min)
			return -EINVAL;
		*(uint8_t *)field2 = (uint8_t)n;
		return 0;
	default:
		return -EINVAL;
	}
}

/* What a value of k looks like, for "PATH: 'VALUE' is not ...". */
static const char *cfg_addr_words(const struct bw_cfg_key *k, char *buf, size_t cap)
{
	if (k->expect)
		return k->expect;
	switch (k->type) {
	case BW_CFG_IPV4: return "an IPv4 address";
	case BW_CFG_IPV4_NET: return "NETWORK/BITS with the host bits zero (like 10.0.0.0/24)";
	case BW_CFG_IPV4_RANGE: return "FIRST-LAST";
	case BW_CFG_MAC: return "a MAC address like 52:54:00:12:34:56";
	case BW_CFG_UUID: return "a UUID like 8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab";
	default:
		snprintf(buf, cap, "%llu to %llu hex bytes like 01:52:54:00:12:34:56",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		return buf;
	}
}

static void cfg_parse_scalar(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			     const yaml_node_t *v, void *base)
{
	void *field = cfg_at(base, k->off);
	const char *s = cfg_scalar(v);
	unsigned line = cfg_line(ctx, v);
	char buf[96];

	if (!s) {
		cfg_report(ctx, line, "%s: expected a single value, not a list or mapping", path);
		return;
	}
	switch (k->type) {
	case BW_CFG_BOOL:
		if (bw_cfg_parse_bool(s, field) < 0)
			cfg_report(ctx, line, "%s: expected true or false, got '%s'", path, s);
		break;
	case BW_CFG_UINT:
	case BW_CFG_SIZE:
		cfg_parse_number(ctx, line, path, k, s, field);
		break;
	case BW_CFG_ENUM:
		cfg_parse_enum(ctx, line, path, k, s, field);
		break;
	case BW_CFG_STR:
		cfg_parse_str(ctx, line, path, k->check, s, field);
		break;
	default:
		if (cfg_parse_addr(k, s, field, cfg_at(base, k->off2)) < 0)
			cfg_report(ctx, line, "%s: '%s' is not %s", path, s,
				   cfg_addr_words(k, buf, sizeof(buf)));
		break;
	}
}

/* ---- lists of scalars ---- */

/* The nodes of a list value (one value is a list of one); false after reporting. */
static bool cfg_list_nodes(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			   yaml_node_t *node, yaml_node_item_t **ret_ids, unsigned *ret_n)
{
	unsigned n = cfg_is_empty(node) ? 0 : 1;

	*ret_ids = NULL;
	if (node->type == YAML_SEQUENCE_NODE) {
		*ret_ids = node->data.sequence.items.start;
		n = (unsigned)(node->data.sequence.items.top - *ret_ids);
	} else if (node->type != YAML_SCALAR_NODE) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: expected a list", path);
		return false;
	}
	if (k->max && n > k->max) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: at most %llu entries", path,
			   (unsigned long long)k->max);
		return false;
	}
	if (n < k->min) {
		if (k->min == 1)
			cfg_report(ctx, cfg_line(ctx, node), "%s: needs at least one entry", path);
		else
			cfg_report(ctx, cfg_line(ctx, node), "%s: needs at least %llu entries",
				   path, (unsigned long long)k->min);
		return false;
	}
	*ret_n = n;
	return true;
}

static void cfg_free_strv(char ***v, unsigned *n)
{
	for (unsigned i = 0; *v && i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static void cfg_parse_str_list(struct bw_cfg_ctx *ctx, const char *path,
			       const struct bw_cfg_key *k, yaml_node_t *node, void *base)
{
	char ***pv = cfg_at(base, k->off), **v;
	unsigned *pn = cfg_at(base, k->off2), n;
	unsigned nerr = ctx->nerr;
	size_t mark = ctx->n_lines;
	yaml_node_item_t *ids;

	cfg_free_strv(pv, pn);
	if (!cfg_list_nodes(ctx, path, k, node, &ids, &n) || !n)
		return;
	v = calloc(n, sizeof(*v));
	if (!v) {
		cfg_oom(ctx);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		yaml_node_t *it = ids ? cfg_node(ctx, ids[i]) : node;
		const char *s = cfg_scalar(it);

		if (!s)
			cfg_report(ctx, cfg_line(ctx, it), "%s: expected a list of single values",
				   path);
		else if (cfg_parse_str(ctx, cfg_line(ctx, it), path, k->check, s, &v[i]) == 0)
			cfg_line_add(ctx, &v[i], k, it);
	}
	*pv = v;
	*pn = n;
	if (ctx->nerr != nerr) { /* all or nothing */
		cfg_free_strv(pv, pn);
		ctx->n_lines = mark;
	}
}

static void cfg_parse_ipv4_list(struct bw_cfg_ctx *ctx, const char *path,
				const struct bw_cfg_key *k, yaml_node_t *node, void *base)
{
	uint32_t *v = cfg_at(base, k->off), a;
	unsigned *pn = cfg_at(base, k->off2), n, got = 0;
	yaml_node_item_t *ids;

	assert(k->max);
	*pn = 0;
	if (!cfg_list_nodes(ctx, path, k, node, &ids, &n))
		return;
	for (unsigned i = 0; i < n; i++) {
		yaml_node_t *it = ids ? cfg_node(ctx, ids[i]) : node;
		const char *s = cfg_scalar(it);

		if (s && bw_ipv4_parse(s, strlen(s), &a) == 0)
			v[got++] = a;
		else
			cfg_report(ctx, cfg_line(ctx, it), "%s: '%s' is not an IPv4 address", path,
				   s ? s : "(a list or mapping)");
	}
	*pn = got;
}

/* ---- records ---- */

static void cfg_value(struct bw_cfg_ctx *ctx, const char *prefix, const struct bw_cfg_key *k,
		      const yaml_node_t *kn, yaml_node_t *v, void *base);

/* The keys' defaults (k->def) into base, read like values in the file (a default that does
 * not parse, a mistake in the table, is reported like one). */
static void cfg_defaults(struct bw_cfg_ctx *ctx, const struct bw_cfg_key *keys, unsigned n,
			 void *base)
{
	yaml_node_t node = {.type = YAML_SCALAR_NODE};
	yaml_document_t *doc = ctx->doc;

	ctx->doc = NULL; /* no lines: the file did not set these */
	for (unsigned i = 0; i < n; i++) {
		const struct bw_cfg_key *k = &keys[i];

		if (k->type == BW_CFG_RECORD) {
			cfg_defaults(ctx, k->rec->keys, k->rec->n_keys, cfg_at(base, k->off));
		} else if (k->def) {
			node.data.scalar.value = (yaml_char_t *)k->def;
			node.data.scalar.length = strlen(k->def);
			cfg_value(ctx, "", k, NULL, &node, base);
		}
	}
	ctx->doc = doc;
}

static void cfg_free_keys(const struct bw_cfg_key *keys, unsigned n, void *base);

/* Parses the mapping map against keys into base. in names a section for its messages
 * ("unknown key 'x' in tftp"); records say "dhcp.subnets: unknown key 'x'". Returns the keys
 * seen, bit i for keys[i]. */
static uint64_t cfg_parse_map(struct bw_cfg_ctx *ctx, const char *path,
			      const struct bw_cfg_key *keys, unsigned n, yaml_node_t *map,
			      void *base, const char *in)
{
	uint64_t seen = 0;

	assert(n <= 64);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = cfg_node(ctx, p->key);
		const char *key = cfg_scalar(kn);
		unsigned i;

		for (i = 0; key && i < n; i++)
			if (strcmp(keys[i].name, key) == 0)
				break;
		if (!key || i == n) {
			if (in)
				cfg_report(ctx, cfg_line(ctx, kn), "unknown key '%s' in %s",
					   key ? key : "?", in);
			else
				cfg_report(ctx, cfg_line(ctx, kn), "%s: unknown key '%s'", path,
					   key ? key : "?");
		} else if (seen & (1ull << i)) {
			if (in)
				cfg_report(ctx, cfg_line(ctx, kn), "duplicate key '%s' in %s", key,
					   in);
			else
				cfg_report(ctx, cfg_line(ctx, kn), "%s: duplicate key '%s'", path,
					   key);
		} else {
			seen |= 1ull << i;
			cfg_value(ctx, path, &keys[i], kn, cfg_node(ctx, p->value), base);
		}
	}
	return seen;
}

static void cfg_item_free(const struct bw_cfg_key *k, void *item)
{
	if (k->rec->done)
		k->rec->done(item);
	cfg_free_keys(k->rec->keys, k->rec->n_keys, item);
	if (k->type == BW_CFG_MAP) {
		char **name = cfg_at(item, k->rec->name_off);

		free(*name);
		*name = NULL;
	}
}

/* Parses one LIST or MAP entry (node; its line is at's) into items[i]. name: the MAP entry's
 * name. Returns 0 when the entry is kept; otherwise it is freed and forgotten. */
static int cfg_item_parse(struct bw_cfg_ctx *ctx, const struct bw_cfg_key *k, const char *path,
			  const char *name, yaml_node_t *node, const yaml_node_t *at, void *items,
			  unsigned i)
{
	const struct bw_cfg_record *rec = k->rec;
	void *item = cfg_at(items, (size_t)i * rec->size);
	size_t mark = ctx->n_lines, rmark = ctx->n_rejects;
	unsigned nerr = ctx->nerr;
	uint64_t seen;

	memset(item, 0, rec->size);
	cfg_defaults(ctx, rec->keys, rec->n_keys, item);
	if (name)
		bw_cfg_set_str(ctx, cfg_at(item, rec->name_off), name);
	cfg_line_add(ctx, item, NULL, at);
	if (node->type != YAML_MAPPING_NODE) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: expected a mapping of keys", path);
	} else {
		seen = cfg_parse_map(ctx, path, rec->keys, rec->n_keys, node, item, NULL);
		for (unsigned j = 0; j < rec->n_keys; j++)
			if ((rec->keys[j].flags & BW_CFG_REQUIRED) && !(seen & (1ull << j)))
				cfg_report(ctx, cfg_line(ctx, at), "%s: each entry needs %s", path,
					   rec->keys[j].name);
	}
	if (ctx->nerr == nerr && (!rec->validate || rec->validate(ctx, path, items, i) == 0))
		return 0;
	cfg_item_free(k, item);
	ctx->n_lines = mark; /* its addresses are the next entry's */
	ctx->n_rejects = rmark;
	return -1;
}

static void cfg_free_value(const struct bw_cfg_key *k, void *base);

/* Room for the entries of a LIST or MAP of n (at most max) entries; NULL when there are
 * none or after reporting. */
static void *cfg_items_new(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			   unsigned *n, const yaml_node_t *node)
{
	void *v;

	if (k->max && *n > k->max) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: at most %llu entries", path,
			   (unsigned long long)k->max);
		*n = (unsigned)k->max;
	}
	if (!*n)
		return NULL;
	v = calloc(*n, k->rec->size);
	if (!v)
		cfg_oom(ctx);
	return v;
}

static void cfg_items_store(const struct bw_cfg_key *k, void *base, void *v, unsigned n)
{
	if (!n) {
		free(v);
		v = NULL;
	}
	*(void **)cfg_at(base, k->off) = v;
	*(unsigned *)cfg_at(base, k->off2) = n;
}

static void cfg_parse_list(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			   yaml_node_t *node, void *base)
{
	yaml_node_item_t *ids;
	unsigned cnt, n = 0;
	void *v;

	cfg_free_value(k, base);
	if (cfg_is_empty(node))
		return;
	if (node->type != YAML_SEQUENCE_NODE) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: expected a list of entries "
			   "(- key: value)", path);
		cfg_reject_add(ctx, cfg_at(base, k->off), NULL);
		return;
	}
	ids = node->data.sequence.items.start;
	cnt = (unsigned)(node->data.sequence.items.top - ids);
	v = cfg_items_new(ctx, path, k, &cnt, node);
	if ((cnt && !v) || cnt < (unsigned)(node->data.sequence.items.top - ids))
		cfg_reject_add(ctx, cfg_at(base, k->off), NULL); /* entries not read */
	for (unsigned i = 0; v && i < cnt; i++) {
		yaml_node_t *it = cfg_node(ctx, ids[i]);

		if (cfg_item_parse(ctx, k, path, NULL, it, it, v, n) == 0)
			n++;
		else
			cfg_reject_add(ctx, cfg_at(base, k->off), NULL);
	}
	cfg_items_store(k, base, v, n);
}

/* A MAP entry's name: checked, and not one an earlier pair of the mapping had. */
static bool cfg_map_name_ok(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			    yaml_node_t *map, yaml_node_pair_t *pair, const char **ret)
{
	yaml_node_t *kn = cfg_node(ctx, pair->key);
	const char *name = cfg_scalar(kn);
	char out[CFG_VALUE_MAX], why[512];

	if (!name || !*name) {
		cfg_report(ctx, cfg_line(ctx, kn), "%s: names must be plain text", path);
		return false;
	}
	if (k->check && k->check(name, out, sizeof(out), why, sizeof(why)) < 0) {
		cfg_report(ctx, cfg_line(ctx, kn), "%s: %s", path, why);
		return false;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
		const char *o = cfg_scalar(cfg_node(ctx, p->key));

		if (o && strcmp(o, name) == 0) {
			cfg_report(ctx, cfg_line(ctx, kn), "%s: '%s' is defined twice", path, name);
			return false;
		}
	}
	*ret = name;
	return true;
}

static void cfg_parse_named(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			    yaml_node_t *node, void *base)
{
	yaml_node_pair_t *pairs;
	unsigned cnt, n = 0;
	void *v;

	cfg_free_value(k, base);
	if (cfg_is_empty(node))
		return;
	if (node->type != YAML_MAPPING_NODE) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: expected a mapping of names to entries",
			   path);
		cfg_reject_add(ctx, cfg_at(base, k->off), "");
		return;
	}
	pairs = node->data.mapping.pairs.start;
	cnt = (unsigned)(node->data.mapping.pairs.top - pairs);
	v = cfg_items_new(ctx, path, k, &cnt, node);
	if ((cnt && !v) || cnt < (unsigned)(node->data.mapping.pairs.top - pairs))
		cfg_reject_add(ctx, cfg_at(base, k->off), ""); /* entries not read */
	for (unsigned i = 0; v && i < cnt; i++) {
		const char *name = cfg_scalar(cfg_node(ctx, pairs[i].key));
		char ipath[CFG_PATH_MAX];

		if (cfg_map_name_ok(ctx, path, k, node, &pairs[i], &name)) {
			cfg_path(ipath, path, name);
			if (cfg_item_parse(ctx, k, ipath, name, cfg_node(ctx, pairs[i].value),
					   cfg_node(ctx, pairs[i].key), v, n) == 0) {
				n++;
				continue;
			}
		}
		if (name)
			cfg_reject_add(ctx, cfg_at(base, k->off), name);
	}
	cfg_items_store(k, base, v, n);
}

static void cfg_parse_record(struct bw_cfg_ctx *ctx, const char *path, const struct bw_cfg_key *k,
			     yaml_node_t *node, void *base)
{
	void *rec = cfg_at(base, k->off);
	unsigned nerr = ctx->nerr;

	if (cfg_is_empty(node))
		return;
	if (node->type != YAML_MAPPING_NODE) {
		cfg_report(ctx, cfg_line(ctx, node), "%s: expected a mapping of keys", path);
		return;
	}
	cfg_parse_map(ctx, path, k->rec->keys, k->rec->n_keys, node, rec, NULL);
	if (ctx->nerr == nerr && k->rec->validate)
		k->rec->validate(ctx, path, rec, 0);
}

/* One key's value v (kn: its key node, for the line) into base. */
static void cfg_value(struct bw_cfg_ctx *ctx, const char *prefix, const struct bw_cfg_key *k,
		      const yaml_node_t *kn, yaml_node_t *v, void *base)
{
	char path[CFG_PATH_MAX];
	unsigned nerr = ctx->nerr;

	cfg_path(path, prefix, k->name);
	cfg_line_add(ctx, cfg_at(base, k->off), k, kn);
	switch (k->type) {
	case BW_CFG_RECORD: cfg_parse_record(ctx, path, k, v, base); break;
	case BW_CFG_LIST: cfg_parse_list(ctx, path, k, v, base); break;
	case BW_CFG_MAP: cfg_parse_named(ctx, path, k, v, base); break;
	case BW_CFG_STR_LIST: cfg_parse_str_list(ctx, path, k, v, base); break;
	case BW_CFG_IPV4_LIST: cfg_parse_ipv4_list(ctx, path, k, v, base); break;
	default: cfg_parse_scalar(ctx, path, k, v, base); break;
	}
	/* A LIST or MAP is refused only where entries were left out (its parser says so): an
	 * entry kept despite an error of its own keeps the others' checks meaningful. */
	if (ctx->nerr != nerr && k->type != BW_CFG_LIST && k->type != BW_CFG_MAP)
		cfg_reject_add(ctx, cfg_at(base, k->off), NULL);
}

/* ---- freeing ---- */

static void cfg_free_value(const struct bw_cfg_key *k, void *base)
{
	void *field = cfg_at(base, k->off);
	unsigned *pn = cfg_at(base, k->off2);

	switch (k->type) {
	case BW_CFG_STR:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case BW_CFG_STR_LIST:
		cfg_free_strv(field, pn);
		break;
	case BW_CFG_RECORD:
		if (k->rec->done)
			k->rec->done(field);
		cfg_free_keys(k->rec->keys, k->rec->n_keys, field);
		break;
	case BW_CFG_LIST:
	case BW_CFG_MAP:
		for (unsigned i = 0; i < *pn; i++)
			cfg_item_free(k, cfg_at(*(void **)field, (size_t)i * k->rec->size));
		free(*(void **)field);
		*(void **)field = NULL;
		*pn = 0;
		break;
	default:
		break;
	}
}

static void cfg_free_keys(const struct bw_cfg_key *keys, unsigned n, void *base)
{
	for (unsigned i = 0; i < n; i++)
		cfg_free_value(&keys[i], base);
}

void bw_config_free(struct bw_config *cfg)
{
	if (!cfg)
		return;
	for (unsigned i = 0; i < cfg_n_sections; i++) {
		if (!cfg->sec[i])
			continue;
		cfg_free_keys(cfg_sections[i]->keys, cfg_sections[i]->n_keys, cfg->sec[i]);
		free(cfg->sec[i]);
	}
	free(cfg->file);
	free(cfg);
}

struct bw_config *bw_config_new_defaults(void)
{
	struct bw_config *cfg = calloc(1, sizeof(*cfg));
	struct bw_cfg_ctx ctx = {.file = "defaults"};

	if (!cfg)
		return NULL;
	cfg->refs = 1;
	for (unsigned i = 0; i < cfg_n_sections; i++) {
		cfg->sec[i] = calloc(1, cfg_sections[i]->size);
		if (!cfg->sec[i]) {
			ctx.oom = true;
			break;
		}
		cfg_defaults(&ctx, cfg_sections[i]->keys, cfg_sections[i]->n_keys, cfg->sec[i]);
	}
	free(ctx.rejects);
	if (cfg && !ctx.oom && !ctx.nerr)
		return cfg;
	bw_config_free(cfg);
	return NULL;
}

/* ---- printing ---- */

/* s as a YAML scalar: single-quoted, or double-quoted with escapes when it holds control
 * characters (newlines of a script). */
static void cfg_print_str(FILE *f, const char *s)
{
	bool plain = true;

	for (const char *p = s; p && *p; p++)
		plain &= (unsigned char)*p >= 0x20 && *p != 0x7f;
	fputc(plain ? '\'' : '"', f);
	for (; s && *s; s++) {
		if (plain) {
			fputs(*s == '\'' ? "''" : (char[2]){*s, 0}, f);
		} else if (*s == '\n' || *s == '\t' || *s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s == '\n' ? 'n' : *s == '\t' ? 't' : *s);
		} else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\x%02x", (unsigned char)*s);
		} else {
			fputc(*s, f);
		}
	}
	fputc(plain ? '\'' : '"', f);
}

static bool cfg_is_set(const struct bw_cfg_key *k, const void *base)
{
	const void *field = cfg_at(base, k->off), *field2 = cfg_at(base, k->off2);

	switch (k->type) {
	case BW_CFG_BOOL: return *(const bool *)field;
	case BW_CFG_UINT: case BW_CFG_IPV4: return *(const uint32_t *)field != 0;
	case BW_CFG_SIZE: return *(const uint64_t *)field != 0;
	case BW_CFG_STR: return *(char *const *)field != NULL;
	case BW_CFG_ENUM: return *(const int *)field != 0;
	case BW_CFG_IPV4_NET: return *(const uint32_t *)field2 != 0;
	case BW_CFG_IPV4_RANGE: return *(const uint32_t *)field || *(const uint32_t *)field2;
	case BW_CFG_MAC: case BW_CFG_UUID: return *(const bool *)field2;
	case BW_CFG_HEX: return *(const uint8_t *)field2 != 0;
	case BW_CFG_RECORD: return true;
	default: return *(const unsigned *)field2 != 0;
	}
}

static bool cfg_shown(const struct bw_cfg_record *rec, const struct bw_cfg_key *k,
		      const void *base)
{
	if (rec && rec->shown && !rec->shown(base, k))
		return false;
	return !(k->flags & BW_CFG_OPTIONAL) || cfg_is_set(k, base);
}

static void cfg_print_addr(FILE *f, const struct bw_cfg_key *k, const void *base)
{
	const void *field = cfg_at(base, k->off), *field2 = cfg_at(base, k->off2);
	char a[BW_IPV4_STRLEN], b[BW_IPV4_STRLEN], hex[200];

	switch (k->type) {
	case BW_CFG_IPV4:
		bw_ipv4_format(*(const uint32_t *)field, a);
		fputs(a, f);
		break;
	case BW_CFG_IPV4_NET:
		bw_ipv4_format(*(const uint32_t *)field, a);
		fprintf(f, "%s/%d", a, bw_ipv4_mask_bits(*(const uint32_t *)field2));
		break;
	case BW_CFG_IPV4_RANGE:
		bw_ipv4_format(*(const uint32_t *)field, a);
		bw_ipv4_format(*(const uint32_t *)field2, b);
		fprintf(f, "%s-%s", a, b);
		break;
	case BW_CFG_MAC:
	case BW_CFG_UUID:
	case BW_CFG_HEX:
		if (k->type == BW_CFG_MAC)
			bw_mac_format(field, ':', hex);
		else if (k->type == BW_CFG_UUID)
			bw_uuid_format(field, hex);
		else
			bw_hex_format(field, *(const uint8_t *)field2, ':', hex, sizeof(hex));
		fprintf(f, "'%s'", hex);
		break;
	default:
		break;
	}
}

static void cfg_print_list(FILE *f, const struct bw_cfg_key *k, const void *base)
{
	unsigned n = *(const unsigned *)cfg_at(base, k->off2);
	char a[BW_IPV4_STRLEN];

	fputc('[', f);
	for (unsigned i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		if (k->type == BW_CFG_STR_LIST) {
			cfg_print_str(f, (*(char *const *const *)cfg_at(base, k->off))[i]);
		} else {
			bw_ipv4_format(((const uint32_t *)cfg_at(base, k->off))[i], a);
			fputs(a, f);
		}
	}
	fputc(']', f);
}

static void cfg_print_scalar(FILE *f, const struct bw_cfg_key *k, const void *base)
{
	const void *field = cfg_at(base, k->off);
	const char *choice;

	switch (k->type) {
	case BW_CFG_BOOL:
		fputs(*(const bool *)field ? "true" : "false", f);
		break;
	case BW_CFG_UINT:
		fprintf(f, "%u", *(const uint32_t *)field);
		break;
	case BW_CFG_SIZE:
		fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)field);
		break;
	case BW_CFG_STR:
		cfg_print_str(f, *(char *const *)field);
		break;
	case BW_CFG_ENUM:
		choice = k->choices[*(const int *)field];
		fputs(*choice ? choice : "''", f);
		break;
	case BW_CFG_STR_LIST:
	case BW_CFG_IPV4_LIST:
		cfg_print_list(f, k, base);
		break;
	default:
		cfg_print_addr(f, k, base);
		break;
	}
}

static void cfg_print_keys(FILE *f, const struct bw_cfg_key *keys, unsigned n,
			   const struct bw_cfg_record *rec, const void *base, unsigned ind,
			   bool dash);

static void cfg_print_items(FILE *f, const struct bw_cfg_key *k, const void *base, unsigned ind)
{
	const struct bw_cfg_record *rec = k->rec;
	unsigned n = *(const unsigned *)cfg_at(base, k->off2);
	const char *v = *(void *const *)cfg_at(base, k->off);

	if (!n) {
		fputs(k->type == BW_CFG_MAP ? " {}\n" : " []\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < n; i++) {
		const void *item = v + (size_t)i * rec->size;

		if (k->type == BW_CFG_LIST) {
			cfg_print_keys(f, rec->keys, rec->n_keys, rec, item, ind + 2, true);
			continue;
		}
		fprintf(f, "%*s", (int)ind + 2, "");
		cfg_print_str(f, *(char *const *)cfg_at(item, rec->name_off));
		fputs(":\n", f);
		cfg_print_keys(f, rec->keys, rec->n_keys, rec, item, ind + 4, false);
	}
}

/* ": value\n", or ":\n" and the block below it, for a key written at indentation ind. */
static void cfg_print_value(FILE *f, const struct bw_cfg_key *k, const void *base, unsigned ind)
{
	switch (k->type) {
	case BW_CFG_RECORD:
		fputc('\n', f);
		cfg_print_keys(f, k->rec->keys, k->rec->n_keys, k->rec, cfg_at(base, k->off),
			       ind + 2, false);
		break;
	case BW_CFG_LIST:
	case BW_CFG_MAP:
		cfg_print_items(f, k, base, ind);
		break;
	default:
		fputc(' ', f);
		cfg_print_scalar(f, k, base);
		fputc('\n', f);
		break;
	}
}

/* The keys of base at indentation ind; dash: as a list entry ("- " before the first). */
static void cfg_print_keys(FILE *f, const struct bw_cfg_key *keys, unsigned n,
			   const struct bw_cfg_record *rec, const void *base, unsigned ind,
			   bool dash)
{
	unsigned in = ind + (dash ? 2 : 0);
	bool first = true;

	for (unsigned i = 0; i < n; i++) {
		if (!cfg_shown(rec, &keys[i], base))
			continue;
		if (dash && first)
			fprintf(f, "%*s- ", (int)ind, "");
		else
			fprintf(f, "%*s", (int)in, "");
		first = false;
		fprintf(f, "%s:", keys[i].name);
		cfg_print_value(f, &keys[i], base, in);
	}
	if (dash && first)
		fprintf(f, "%*s- {}\n", (int)ind, "");
}

void bw_config_print(FILE *f, const struct bw_config *cfg)
{
	fprintf(f, "# effective configuration%s%s\n", cfg->file ? " of " : "",
		cfg->file ? cfg->file : "");
	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		if (sec->name)
			fprintf(f, "%s:\n", sec->name);
		cfg_print_keys(f, sec->keys, sec->n_keys, NULL, cfg->sec[s], sec->name ? 2 : 0,
			       false);
	}
}

/* ---- loading ---- */

static int cfg_section_named(const char *key)
{
	for (unsigned s = 0; s < cfg_n_sections; s++)
		if (cfg_sections[s]->name && strcmp(cfg_sections[s]->name, key) == 0)
			return (int)s;
	return -1;
}

/* The top-level key of that name and the section owning it, or NULL. */
static const struct bw_cfg_key *cfg_top_key(const char *key, unsigned *ret_sec)
{
	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		for (unsigned i = 0; !sec->name && i < sec->n_keys; i++) {
			if (strcmp(sec->keys[i].name, key) == 0) {
				*ret_sec = s;
				return &sec->keys[i];
			}
		}
	}
	return NULL;
}

static bool cfg_key_repeated(const struct bw_cfg_ctx *ctx, const yaml_node_t *map,
			     const yaml_node_pair_t *pair, const char *key)
{
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
		const char *o = cfg_scalar(cfg_node(ctx, p->key));

		if (o && strcmp(o, key) == 0)
			return true;
	}
	return false;
}

/* One pair of the document's root mapping: a section, or a top-level key. */
static void cfg_parse_top(struct bw_cfg_ctx *ctx, struct bw_config *cfg, yaml_node_t *root,
			  yaml_node_pair_t *pair)
{
	yaml_node_t *kn = cfg_node(ctx, pair->key), *vn = cfg_node(ctx, pair->value);
	const char *key = cfg_scalar(kn);
	const struct bw_cfg_key *k;
	unsigned s;
	int si;

	if (!key) {
		cfg_report(ctx, cfg_line(ctx, kn), "keys must be plain names");
	} else if (cfg_key_repeated(ctx, root, pair, key)) {
		cfg_report(ctx, cfg_line(ctx, kn), "duplicate key '%s'", key);
	} else if ((si = cfg_section_named(key)) >= 0) {
		if (cfg_is_empty(vn))
			return; /* "tftp:" with nothing under it */
		if (vn->type != YAML_MAPPING_NODE)
			cfg_report(ctx, cfg_line(ctx, vn), "%s: expected a mapping of keys", key);
		else
			cfg_parse_map(ctx, key, cfg_sections[si]->keys, cfg_sections[si]->n_keys,
				      vn, cfg->sec[si], key);
	} else if ((k = cfg_top_key(key, &s))) {
		cfg_value(ctx, "", k, kn, vn, cfg->sec[s]);
	} else {
		cfg_report(ctx, cfg_line(ctx, kn), "unknown key '%s'", key);
	}
}

static void cfg_parse_doc(struct bw_cfg_ctx *ctx, struct bw_config *cfg)
{
	yaml_node_t *root = yaml_document_get_root_node(ctx->doc);

	if (!root)
		return; /* an empty file: all defaults */
	if (root->type != YAML_MAPPING_NODE) {
		cfg_report(ctx, cfg_line(ctx, root), "the configuration must be a mapping of keys");
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++)
		cfg_parse_top(ctx, cfg, root, p);
}

static int cfg_validate(struct bw_cfg_ctx *ctx, struct bw_config *cfg)
{
	for (unsigned s = 0; s < cfg_n_sections; s++)
		if (cfg_sections[s]->validate)
			cfg_sections[s]->validate(ctx, cfg->sec[s], cfg);
	for (unsigned s = 0; (ctx->flags & BW_CFG_CHECK_HOST) && s < cfg_n_sections; s++)
		if (cfg_sections[s]->check_host)
			cfg_sections[s]->check_host(ctx, cfg->sec[s], cfg);
	return ctx->nerr ? -EINVAL : 0;
}

static void cfg_ctx_init(struct bw_cfg_ctx *ctx, const char *file, char *err, size_t errcap)
{
	*ctx = (struct bw_cfg_ctx){.file = file, .err = err, .errcap = errcap};
	if (err && errcap)
		err[0] = '\0';
}

int bw_config_validate(struct bw_config *cfg, char *err, size_t errcap)
{
	struct bw_cfg_ctx ctx;
	int r;

	cfg_ctx_init(&ctx, cfg->file ? cfg->file : "command line", err, errcap);
	r = cfg_validate(&ctx, cfg);
	free(ctx.rejects);
	return r;
}

/* Parses and validates the YAML of f (or, when f is NULL, of the len bytes at buf) into
 * cfg. Validation runs after parse errors too. */
static int cfg_load_yaml(struct bw_cfg_ctx *ctx, FILE *f, const void *buf, size_t len,
			 struct bw_config *cfg)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int r = -EINVAL;

	if (!yaml_parser_initialize(&parser)) {
		cfg_oom(ctx);
		return -ENOMEM;
	}
	if (f)
		yaml_parser_set_input_file(&parser, f);
	else
		yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		cfg_report(ctx, (unsigned)parser.problem_mark.line + 1, "YAML syntax error: %s%s%s",
			   parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
			   parser.context ? parser.context : "");
		goto out_parser;
	}
	ctx->doc = &doc;
	cfg_parse_doc(ctx, cfg);
	r = cfg_validate(ctx, cfg); /* the rejected names point into doc */
	ctx->doc = NULL;
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return r;
}

int bw_config_load(const char *path, struct bw_config **ret, char *err, size_t errcap)
{
	return bw_config_load_flags(path, 0, ret, err, errcap);
}

/* The one load path of bw_config_load_flags and bw_config_load_buf: f, or buf when f is
 * NULL, loaded as the file named path. */
static int cfg_load(const char *path, FILE *f, const void *buf, size_t len, unsigned flags,
		    struct bw_config **ret, char *err, size_t errcap)
{
	struct bw_cfg_ctx ctx;
	struct bw_config *cfg;
	int r;

	cfg_ctx_init(&ctx, path, err, errcap);
	ctx.flags = flags;
	cfg = bw_config_new_defaults();
	if (!cfg || !(cfg->file = strdup(path))) {
		cfg_oom(&ctx);
		bw_config_free(cfg);
		return -ENOMEM;
	}
	r = cfg_load_yaml(&ctx, f, buf, len, cfg);
	free(ctx.lines);
	free(ctx.rejects);
	if (r < 0) {
		bw_config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int bw_config_load_flags(const char *path, unsigned flags, struct bw_config **ret, char *err,
			 size_t errcap)
{
	struct bw_cfg_ctx ctx;
	FILE *f;
	int r;

	f = fopen(path, "rb");
	if (!f) {
		r = -errno;
		cfg_ctx_init(&ctx, path, err, errcap);
		cfg_report(&ctx, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	r = cfg_load(path, f, NULL, 0, flags, ret, err, errcap);
	fclose(f);
	return r;
}

int bw_config_load_buf(const char *name, const void *buf, size_t len, unsigned flags,
		       struct bw_config **ret, char *err, size_t errcap)
{
	return cfg_load(name, NULL, buf, len, flags, ret, err, errcap);
}

int bw_config_set(struct bw_config *cfg, const char *origin, const char *section,
		  const char *key, const char *value, char *err, size_t errcap)
{
	yaml_node_t node = {.type = YAML_SCALAR_NODE};
	struct bw_cfg_ctx ctx;

	cfg_ctx_init(&ctx, origin, err, errcap);
	node.data.scalar.value = (yaml_char_t *)value;
	node.data.scalar.length = strlen(value);
	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		if ((section == NULL) != (sec->name == NULL) ||
		    (section && strcmp(section, sec->name) != 0))
			continue;
		for (unsigned i = 0; i < sec->n_keys; i++) {
			const struct bw_cfg_key *k = &sec->keys[i];

			if (strcmp(k->name, key) != 0 || k->type >= BW_CFG_RECORD)
				continue;
			cfg_value(&ctx, section ? section : "", k, NULL, &node, cfg->sec[s]);
			free(ctx.rejects);
			return ctx.nerr ? -EINVAL : 0;
		}
	}
	cfg_report(&ctx, 0, "no such setting %s%s%s", section ? section : "", section ? "." : "",
		   key);
	return -ENOENT;
}

/* ---- host checks ---- */

static bool cfg_user_in_group(const struct bw_cfg_ctx *ctx, gid_t gid)
{
	for (int i = 0; i < ctx->n_groups; i++)
		if (ctx->groups[i] == gid)
			return true;
	return false;
}

/* want: 4 read, 2 write, 1 search/execute, as the mode bits say for ctx->user. */
static bool cfg_user_may(const struct bw_cfg_ctx *ctx, const struct stat *st, unsigned want)
{
	unsigned bits = st->st_mode & 07;

	if (ctx->uid == 0)
		return true;
	if (st->st_uid == ctx->uid)
		bits = (st->st_mode >> 6) & 07;
	else if (cfg_user_in_group(ctx, st->st_gid))
		bits = (st->st_mode >> 3) & 07;
	return (bits & want) == want;
}

/* Whether ctx->user can reach and read the resolved absolute path: search permission on
 * every directory from / down, read on path itself (search, for a directory). */
static bool cfg_user_can_read(const struct bw_cfg_ctx *ctx, const char *path, bool dir)
{
	char buf[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(buf) || stat("/", &st) < 0 || !cfg_user_may(ctx, &st, 1))
		return false;
	strcpy(buf, path);
	for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (stat(buf, &st) < 0 || !cfg_user_may(ctx, &st, 1))
			return false;
		*p = '/';
	}
	return stat(path, &st) == 0 && cfg_user_may(ctx, &st, dir ? 1 : 4);
}

static void cfg_warn_missing(const struct bw_cfg_ctx *ctx, const void *field, const char *path,
			     const char *rel)
{
	unsigned line = bw_cfg_line_of(ctx, field);

	if (line)
		bw_log(BW_LOG_WARN, "config", NULL, "%s:%u: %s: '%s' is not in boot_root (yet)",
		       ctx->file, line, path, rel);
	else
		bw_log(BW_LOG_WARN, "config", NULL, "%s: %s: '%s' is not in boot_root (yet)",
		       ctx->file, path, rel);
}

int bw_cfg_check_file(struct bw_cfg_ctx *ctx, const struct bw_config *cfg, const void *field,
		      const char *path, const char *rel, bool dir, bool warn_missing)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);
	char full[PATH_MAX], real[PATH_MAX];
	struct stat st;
	int e = 0;

	if (!rel || !core || !core->boot_root || bw_cfg_rejected(ctx, &core->boot_root, NULL))
		return 0;
	if (snprintf(full, sizeof(full), "%s/%s", core->boot_root, rel) >= (int)sizeof(full))
		e = ENAMETOOLONG;
	else if (stat(full, &st) < 0)
		e = errno;
	if (e == ENOENT && warn_missing)
		cfg_warn_missing(ctx, field, path, rel);
	else if (e == ENOENT)
		bw_cfg_error_at(ctx, field, "%s: '%s' does not exist in boot_root", path, rel);
	else if (e)
		bw_cfg_error_at(ctx, field, "%s: '%s': %s", path, rel, strerror(e));
	else if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		bw_cfg_error_at(ctx, field, "%s: '%s' is not a %s", path, rel,
				dir ? "directory" : "regular file");
	else if (ctx->user && (!realpath(full, real) || !cfg_user_can_read(ctx, real, dir)))
		bw_cfg_error_at(ctx, field, "%s: '%s' cannot be read by user '%s'", path, rel,
				ctx->user);
	else
		return 0;
	return -1;
}

/* ---- every key, and the ones a reload cannot apply ---- */

static void cfg_each_key(const struct bw_cfg_key *keys, unsigned n, const char *prefix,
			 void (*cb)(void *ud, const char *path, const struct bw_cfg_key *k),
			 void *ud)
{
	for (unsigned i = 0; i < n; i++) {
		const struct bw_cfg_key *k = &keys[i];
		char path[CFG_PATH_MAX], sub[CFG_PATH_MAX];

		cfg_path(path, prefix, k->name);
		cb(ud, path, k);
		if (k->type < BW_CFG_RECORD)
			continue;
		cfg_inner_path(sub, path, k);
		cfg_each_key(k->rec->keys, k->rec->n_keys, sub, cb, ud);
	}
}

void bw_config_for_each_key(void (*cb)(void *ud, const char *path, const struct bw_cfg_key *k),
			    void *ud)
{
	for (unsigned s = 0; s < cfg_n_sections; s++)
		cfg_each_key(cfg_sections[s]->keys, cfg_sections[s]->n_keys,
			     cfg_sections[s]->name ? cfg_sections[s]->name : "", cb, ud);
}

static void cfg_print_key_line(void *ud, const char *path, const struct bw_cfg_key *k)
{
	fprintf(ud, "%s\t%s\t%s\n", path, k->reload_safe ? "reload" : "restart",
		k->doc ? k->doc : "");
}

void bw_config_print_keys(FILE *f)
{
	bw_config_for_each_key(cfg_print_key_line, f);
}

struct cfg_restart {
	void (*cb)(void *ud, const char *path);
	void *ud;
	int n;
	bool oom;
};

/* The printed value of k in base; of every entry's k when list is a LIST or MAP key. */
static char *cfg_value_text(const struct bw_cfg_key *list, const struct bw_cfg_key *k,
			    const void *base)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned n = list ? *(const unsigned *)cfg_at(base, list->off2) : 1;

	if (!f)
		return NULL;
	if (list) {
		base = *(void *const *)cfg_at(base, list->off);
		fprintf(f, "%u\n", n);
	}
	for (unsigned i = 0; i < n; i++)
		cfg_print_value(f, k, cfg_at(base, list ? (size_t)i * list->rec->size : 0), 0);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void cfg_restart_cmp(struct cfg_restart *st, const struct bw_cfg_key *list,
			    const struct bw_cfg_key *k, const void *a, const void *b,
			    const char *path)
{
	char *ta = cfg_value_text(list, k, a), *tb = cfg_value_text(list, k, b);

	if (!ta || !tb)
		st->oom = true;
	else if (strcmp(ta, tb) != 0) {
		st->cb(st->ud, path);
		st->n++;
	}
	free(ta);
	free(tb);
}

static void cfg_restart_walk(struct cfg_restart *st, const struct bw_cfg_key *keys, unsigned n,
			     const void *a, const void *b, const char *prefix)
{
	for (unsigned i = 0; i < n; i++) {
		const struct bw_cfg_key *k = &keys[i];
		char path[CFG_PATH_MAX], sub[CFG_PATH_MAX], inner[CFG_PATH_MAX];

		cfg_path(path, prefix, k->name);
		cfg_inner_path(sub, path, k);
		if (!k->reload_safe) {
			cfg_restart_cmp(st, NULL, k, a, b, path);
		} else if (k->type == BW_CFG_RECORD) {
			cfg_restart_walk(st, k->rec->keys, k->rec->n_keys, cfg_at(a, k->off),
					 cfg_at(b, k->off), path);
		} else if (k->type == BW_CFG_LIST || k->type == BW_CFG_MAP) {
			for (unsigned j = 0; j < k->rec->n_keys; j++) {
				const struct bw_cfg_key *nk = &k->rec->keys[j];

				if (nk->reload_safe)
					continue;
				cfg_path(inner, sub, nk->name);
				cfg_restart_cmp(st, k, nk, a, b, inner);
			}
		}
	}
}

int bw_config_restart_keys(const struct bw_config *old, const struct bw_config *new,
			   void (*cb)(void *ud, const char *path), void *ud)
{
	struct cfg_restart st = {.cb = cb, .ud = ud};

	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		cfg_restart_walk(&st, sec->keys, sec->n_keys, old->sec[s], new->sec[s],
				 sec->name ? sec->name : "");
	}
	return st.oom ? -ENOMEM : st.n;
}

/* ---- the core's own sections ---- */

/* boot_root is what TFTP and HTTP hand to any machine that asks and what those machines
 * boot, so nobody but its owner may decide its content: '/' would serve every file the
 * user can read; a directory writable by all (sticky or not: anyone may add files) lets any
 * local user choose what boots; so does a parent writable by all without the sticky bit
 * (anyone may rename boot_root away and put another in its place). dir: resolved. */
static void core_cfg_check_boot_root(struct bw_cfg_ctx *ctx, char **field, const char *dir,
				     const struct stat *st)
{
	char up[PATH_MAX];
	struct stat pst;
	char *slash;

	if (!strcmp(dir, "/")) {
		bw_cfg_error_at(ctx, field, "boot_root: '/' is the whole file system: give the "
				"directory that holds the boot files");
		return;
	}
	if (st->st_mode & S_IWOTH) {
		bw_cfg_error_at(ctx, field, "boot_root: '%s' is writable by every user (mode %04o): "
				"anyone could change what machines boot (chmod o-w)", dir,
				(unsigned)(st->st_mode & 07777));
		return;
	}
	snprintf(up, sizeof(up), "%s", dir);
	while ((slash = strrchr(up, '/')) != NULL) {
		slash[slash == up] = '\0'; /* "/srv" -> "/" */
		if (stat(up, &pst) < 0)
			return; /* an ancestor we cannot stat: nothing to judge */
		if ((pst.st_mode & S_IWOTH) && !(pst.st_mode & S_ISVTX)) {
			bw_cfg_error_at(ctx, field, "boot_root: '%s': its parent '%s' is writable by "
					"every user without the sticky bit (mode %04o): anyone could "
					"move boot_root away and put another in its place (chmod o-w "
					"or +t)", dir, up, (unsigned)(pst.st_mode & 07777));
			return;
		}
		if (slash == up)
			break;
	}
}

static void core_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_core_config *c = p;
	char resolved[PATH_MAX];
	struct stat st;

	if (c->user && !*c->user)
		bw_cfg_set_str(ctx, &c->user, NULL); /* '' as printed for an unset user */
	if (!c->boot_root || !*c->boot_root) {
		bw_cfg_error_at(ctx, &c->boot_root, "boot_root: must be set to a directory");
		return;
	}
	if (bw_cfg_resolve_path(ctx, cfg, &c->pid_file) < 0 ||
	    bw_cfg_resolve_path(ctx, cfg, &c->boot_root) < 0)
		return;
	if (!realpath(c->boot_root, resolved) || stat(resolved, &st) < 0) {
		bw_cfg_error_at(ctx, &c->boot_root, "boot_root: '%s': %s", c->boot_root,
				strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		bw_cfg_error_at(ctx, &c->boot_root, "boot_root: '%s' is not a directory",
				c->boot_root);
		return;
	}
	core_cfg_check_boot_root(ctx, &c->boot_root, resolved, &st);
	bw_cfg_set_str(ctx, &c->boot_root, resolved);
}

/* The user exists; the file checks then judge by its uid and groups. */
static void core_cfg_check_host(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_core_config *c = p;
	int n = CFG_GROUPS_MAX;
	struct passwd *pw;

	if (!c->user || bw_cfg_rejected(ctx, &c->user, NULL))
		return;
	pw = getpwnam(c->user);
	if (!pw) {
		bw_cfg_error_at(ctx, &c->user, "user: '%s' does not exist", c->user);
		return;
	}
	ctx->uid = pw->pw_uid;
	if (getgrouplist(c->user, pw->pw_gid, ctx->groups, &n) < 0)
		n = CFG_GROUPS_MAX; /* more: the first ones */
	ctx->n_groups = n < CFG_GROUPS_MAX ? n : CFG_GROUPS_MAX;
	ctx->user = c->user;
}

/* in the order of enum bw_seccomp_mode */
static const char *const core_seccomp_choices[] = {"enforce", "log", "off", NULL};

static const struct bw_cfg_key core_cfg_keys[] = {
	{.name = "boot_root", .type = BW_CFG_STR, .off = offsetof(struct bw_core_config, boot_root),
	 .def = "/srv/bootwire", .doc = "Directory served by TFTP and HTTP (relative: to the config file's directory); not /, not writable by all users."},
	{.name = "user", .type = BW_CFG_STR, .off = offsetof(struct bw_core_config, user),
	 .doc = "User to switch to after binding the ports."},
	{.name = "pid_file", .type = BW_CFG_STR, .off = offsetof(struct bw_core_config, pid_file),
	 .def = "/run/bootwire.pid",
	 .doc = "File holding the daemon's process id (for bootwire reload); '' for none."},
	{.name = "seccomp", .type = BW_CFG_ENUM, .off = offsetof(struct bw_core_config, seccomp),
	 .choices = core_seccomp_choices, .def = "enforce",
	 .doc = "System call filter after the start: enforce (others fail with EPERM, logged), log (others run, the kernel logs them) or off."},
};

const struct bw_cfg_section bw_core_cfg_section = {
	.name = NULL,
	.keys = core_cfg_keys,
	.n_keys = sizeof(core_cfg_keys) / sizeof(core_cfg_keys[0]),
	.size = sizeof(struct bw_core_config),
	.validate = core_cfg_validate,
	.check_host = core_cfg_check_host,
};

static const char *const log_level_choices[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_format_choices[] = {"text", "json", NULL};
static const char *const log_target_choices[] = {"stderr", "syslog", NULL};

static const struct bw_cfg_key log_cfg_keys[] = {
	{.name = "level", .type = BW_CFG_ENUM, .off = offsetof(struct bw_log_config, level),
	 .choices = log_level_choices, .def = "info", .reload_safe = true,
	 .doc = "error, warn, info or debug."},
	{.name = "format", .type = BW_CFG_ENUM, .off = offsetof(struct bw_log_config, format),
	 .choices = log_format_choices, .def = "text", .reload_safe = true,
	 .doc = "text (lines on stderr) or json (one object per line)."},
	{.name = "target", .type = BW_CFG_ENUM, .off = offsetof(struct bw_log_config, target),
	 .choices = log_target_choices, .reload_safe = true,
	 .doc = "stderr, or syslog (facility daemon; the level becomes the priority)."},
};

const struct bw_cfg_section bw_log_cfg_section = {
	.name = "log",
	.keys = log_cfg_keys,
	.n_keys = sizeof(log_cfg_keys) / sizeof(log_cfg_keys[0]),
	.size = sizeof(struct bw_log_config),
};
