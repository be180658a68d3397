#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/util.h"

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

static int cfg_index(const struct bw_cfg_section *sec)
{
	for (unsigned i = 0; i < cfg_n_sections; i++)
		if (cfg_sections[i] == sec)
			return (int)i;
	return -1;
}

void *bw_config_get(const struct bw_config *cfg, const struct bw_cfg_section *sec)
{
	int i = cfg_index(sec);

	return i < 0 ? NULL : cfg->sec[i];
}

void bw_cfg_error(struct bw_cfg_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->nerr++;
	if (!ctx->err || ctx->errlen + 1 >= ctx->errcap)
		return;
	if (node && ctx->doc)
		n = snprintf(ctx->err + ctx->errlen, ctx->errcap - ctx->errlen, "%s:%zu: %s\n",
			     ctx->file, node->start_mark.line + 1, msg);
	else
		n = snprintf(ctx->err + ctx->errlen, ctx->errcap - ctx->errlen, "%s: %s\n",
			     ctx->file, msg);
	if (n > 0)
		ctx->errlen += (size_t)n < ctx->errcap - ctx->errlen ? (size_t)n
								       : ctx->errcap - ctx->errlen - 1;
}

void bw_cfg_error_key(struct bw_cfg_ctx *ctx, const char *sec, const char *key,
		      const char *fmt, ...)
{
	char msg[512];
	yaml_node_t fake;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < ctx->n_lines; i++) {
		if (strcmp(ctx->lines[i].key, key) == 0 &&
		    ((!sec && !ctx->lines[i].sec) ||
		     (sec && ctx->lines[i].sec && strcmp(sec, ctx->lines[i].sec) == 0))) {
			memset(&fake, 0, sizeof(fake));
			fake.start_mark.line = ctx->lines[i].line;
			bw_cfg_error(ctx, &fake, "%s", msg);
			return;
		}
	}
	bw_cfg_error(ctx, NULL, "%s", msg);
}

const char *bw_cfg_scalar(yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

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

char *bw_cfg_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void bw_cfg_print_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void cfg_free_section(const struct bw_cfg_section *sec, void *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < sec->n_keys; i++) {
		const struct bw_cfg_key *k = &sec->keys[i];
		void *field = (char *)p + k->off;

		if (k->type == BW_CFG_STR) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (k->type == BW_CFG_CUSTOM && k->free) {
			k->free(field);
		}
	}
	free(p);
}

void bw_config_free(struct bw_config *cfg)
{
	if (!cfg)
		return;
	for (unsigned i = 0; i < cfg_n_sections; i++)
		cfg_free_section(cfg_sections[i], cfg->sec[i]);
	free(cfg->file);
	free(cfg);
}

struct bw_config *bw_config_new_defaults(void)
{
	struct bw_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->refs = 1;
	for (unsigned i = 0; i < cfg_n_sections; i++) {
		cfg->sec[i] = calloc(1, cfg_sections[i]->size);
		if (!cfg->sec[i]) {
			bw_config_free(cfg);
			return NULL;
		}
		if (cfg_sections[i]->defaults)
			cfg_sections[i]->defaults(cfg->sec[i]);
	}
	return cfg;
}

static void cfg_key_parse(struct bw_cfg_ctx *ctx, const char *secname,
			  const struct bw_cfg_key *k, yaml_node_t *v, void *field)
{
	const char *s = bw_cfg_scalar(v);
	const char *pre = secname ? secname : "";
	const char *dot = secname ? "." : "";
	uint64_t n;

	if (k->type == BW_CFG_CUSTOM) {
		k->parse(ctx, v, field);
		return;
	}
	if (!s) {
		bw_cfg_error(ctx, v, "%s%s%s: expected a single value, not a list or mapping", pre,
			     dot, k->name);
		return;
	}
	switch (k->type) {
	case BW_CFG_BOOL:
		if (bw_cfg_parse_bool(s, (bool *)field) < 0)
			bw_cfg_error(ctx, v, "%s%s%s: expected true or false, got '%s'", pre, dot,
				     k->name, s);
		break;
	case BW_CFG_UINT:
		if (bw_parse_u64(s, k->min, k->max, &n) < 0)
			bw_cfg_error(ctx, v, "%s%s%s: expected a whole number from %llu to %llu, got '%s'",
				     pre, dot, k->name, (unsigned long long)k->min,
				     (unsigned long long)k->max, s);
		else
			*(uint32_t *)field = (uint32_t)n;
		break;
	case BW_CFG_SIZE:
		if (bw_parse_size(s, &n) < 0 || n < k->min || n > k->max)
			bw_cfg_error(ctx, v, "%s%s%s: expected a size (e.g. 512K, 64M, 1G) from %llu to %llu bytes, got '%s'",
				     pre, dot, k->name, (unsigned long long)k->min,
				     (unsigned long long)k->max, s);
		else
			*(uint64_t *)field = n;
		break;
	case BW_CFG_STR:
		free(*(char **)field);
		*(char **)field = strdup(s);
		break;
	case BW_CFG_ENUM: {
		int i;
		for (i = 0; k->choices[i]; i++)
			if (strcasecmp(s, k->choices[i]) == 0)
				break;
		if (k->choices[i]) {
			*(int *)field = i;
		} else {
			char list[256] = "";
			for (int j = 0; k->choices[j]; j++) {
				strncat(list, j ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, k->choices[j], sizeof(list) - strlen(list) - 1);
			}
			bw_cfg_error(ctx, v, "%s%s%s: expected one of %s, got '%s'", pre, dot,
				     k->name, list, s);
		}
		break;
	}
	default:
		break;
	}
}

/* True when a top-level key belongs to someone else than sec: it names a section, or it is
 * one of the keys of another section without a name (several sections may own top-level
 * keys, like the core's boot_root and the profiles' machines). */
static bool cfg_top_key_elsewhere(const struct bw_cfg_section *sec, const char *key)
{
	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *o = cfg_sections[s];

		if (o->name) {
			if (strcmp(o->name, key) == 0)
				return true;
			continue;
		}
		for (unsigned i = 0; o != sec && i < o->n_keys; i++)
			if (strcmp(o->keys[i].name, key) == 0)
				return true;
	}
	return false;
}

/* True when sec is the first section without a name (the one that reports unknown
 * top-level keys). */
static bool cfg_first_top(const struct bw_cfg_section *sec)
{
	for (unsigned s = 0; s < cfg_n_sections; s++)
		if (!cfg_sections[s]->name)
			return cfg_sections[s] == sec;
	return false;
}

/* Parses a mapping node against a section's key table. */
static void cfg_parse_mapping(struct bw_cfg_ctx *ctx, const struct bw_cfg_section *sec,
			      yaml_node_t *map, void *p, bool top)
{
	bool seen[64] = {false};

	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(ctx->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(ctx->doc, pair->value);
		const char *key = bw_cfg_scalar(kn);
		unsigned i;

		if (!key) {
			bw_cfg_error(ctx, kn, "keys must be plain names");
			continue;
		}
		if (top && cfg_top_key_elsewhere(sec, key))
			continue; /* a section, or a top-level key another section owns */
		for (i = 0; i < sec->n_keys; i++)
			if (strcmp(sec->keys[i].name, key) == 0)
				break;
		if (i == sec->n_keys) {
			if (!top || cfg_first_top(sec)) /* one report, not one per top section */
				bw_cfg_error(ctx, kn, "unknown key '%s'%s%s", key,
					     sec->name ? " in " : "", sec->name ? sec->name : "");
			continue;
		}
		if (i < 64 && seen[i]) {
			bw_cfg_error(ctx, kn, "duplicate key '%s'", key);
			continue;
		}
		if (i < 64)
			seen[i] = true;
		if (ctx->n_lines < sizeof(ctx->lines) / sizeof(ctx->lines[0])) {
			ctx->lines[ctx->n_lines].sec = sec->name;
			ctx->lines[ctx->n_lines].key = sec->keys[i].name;
			ctx->lines[ctx->n_lines].line = kn->start_mark.line;
			ctx->n_lines++;
		}
		cfg_key_parse(ctx, sec->name, &sec->keys[i], vn, (char *)p + sec->keys[i].off);
	}
}

static void cfg_parse_doc(struct bw_cfg_ctx *ctx, struct bw_config *cfg)
{
	yaml_node_t *root = yaml_document_get_root_node(ctx->doc);

	if (!root)
		return; /* an empty file: all defaults */
	if (root->type != YAML_MAPPING_NODE) {
		bw_cfg_error(ctx, root, "the configuration must be a mapping of keys");
		return;
	}
	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		if (!sec->name) {
			cfg_parse_mapping(ctx, sec, root, cfg->sec[s], true);
			continue;
		}
		for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
		     pair < root->data.mapping.pairs.top; pair++) {
			yaml_node_t *kn = yaml_document_get_node(ctx->doc, pair->key);
			yaml_node_t *vn = yaml_document_get_node(ctx->doc, pair->value);
			const char *key = bw_cfg_scalar(kn);

			if (!key || strcmp(key, sec->name) != 0)
				continue;
			if (vn->type == YAML_SCALAR_NODE && !*bw_cfg_scalar(vn))
				continue; /* "tftp:" with nothing under it */
			if (vn->type != YAML_MAPPING_NODE) {
				bw_cfg_error(ctx, vn, "%s: expected a mapping of keys", sec->name);
				continue;
			}
			cfg_parse_mapping(ctx, sec, vn, cfg->sec[s], false);
		}
	}
}

static int cfg_validate(struct bw_cfg_ctx *ctx, struct bw_config *cfg)
{
	for (unsigned s = 0; s < cfg_n_sections; s++)
		if (cfg_sections[s]->validate)
			cfg_sections[s]->validate(ctx, cfg->sec[s], cfg);
	return ctx->nerr ? -EINVAL : 0;
}

int bw_config_validate(struct bw_config *cfg, char *err, size_t errcap)
{
	struct bw_cfg_ctx ctx = {.file = cfg->file ? cfg->file : "command line",
				 .err = err, .errcap = errcap};

	if (err && errcap)
		err[0] = '\0';
	return cfg_validate(&ctx, cfg);
}

int bw_config_load(const char *path, struct bw_config **ret, char *err, size_t errcap)
{
	struct bw_cfg_ctx ctx = {.file = path, .err = err, .errcap = errcap};
	yaml_parser_t parser;
	yaml_document_t doc;
	struct bw_config *cfg;
	FILE *f;
	int r;

	if (err && errcap)
		err[0] = '\0';
	f = fopen(path, "rb");
	if (!f) {
		r = -errno;
		bw_cfg_error(&ctx, NULL, "cannot open: %s", strerror(errno));
		return r;
	}
	cfg = bw_config_new_defaults();
	if (!cfg) {
		fclose(f);
		return -ENOMEM;
	}
	cfg->file = strdup(path);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		ctx.nerr++;
		if (err)
			snprintf(err, errcap, "%s:%zu: YAML syntax error: %s%s%s\n", path,
				 parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "unknown",
				 parser.context ? " " : "", parser.context ? parser.context : "");
		r = -EINVAL;
		goto out_parser;
	}
	ctx.doc = &doc;
	cfg_parse_doc(&ctx, cfg);
	r = ctx.nerr ? -EINVAL : cfg_validate(&ctx, cfg);
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	if (r < 0) {
		bw_config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int bw_config_set(struct bw_config *cfg, const char *origin, const char *section,
		  const char *key, const char *value, char *err, size_t errcap)
{
	struct bw_cfg_ctx ctx = {.file = origin, .err = err, .errcap = errcap};
	yaml_node_t node;

	if (err && errcap)
		err[0] = '\0';
	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		if ((section == NULL) != (sec->name == NULL) ||
		    (section && strcmp(section, sec->name) != 0))
			continue;
		for (unsigned i = 0; i < sec->n_keys; i++) {
			if (strcmp(sec->keys[i].name, key) != 0 || sec->keys[i].type == BW_CFG_CUSTOM)
				continue;
			memset(&node, 0, sizeof(node));
			node.type = YAML_SCALAR_NODE;
			node.data.scalar.value = (yaml_char_t *)value;
			node.data.scalar.length = strlen(value);
			cfg_key_parse(&ctx, sec->name, &sec->keys[i], &node,
				      (char *)cfg->sec[s] + sec->keys[i].off);
			return ctx.nerr ? -EINVAL : 0;
		}
	}
	bw_cfg_error(&ctx, NULL, "no such setting %s%s%s", section ? section : "",
		     section ? "." : "", key);
	return -ENOENT;
}

static void cfg_print_section(FILE *f, const struct bw_cfg_section *sec, const void *p)
{
	const char *ind = sec->name ? "  " : "";

	if (sec->name)
		fprintf(f, "%s:\n", sec->name);
	for (unsigned i = 0; i < sec->n_keys; i++) {
		const struct bw_cfg_key *k = &sec->keys[i];
		const void *field = (const char *)p + k->off;

		fprintf(f, "%s%s:", ind, k->name);
		switch (k->type) {
		case BW_CFG_BOOL:
			fprintf(f, " %s\n", *(const bool *)field ? "true" : "false");
			break;
		case BW_CFG_UINT:
			fprintf(f, " %u\n", *(const uint32_t *)field);
			break;
		case BW_CFG_SIZE:
			fprintf(f, " %llu\n", (unsigned long long)*(const uint64_t *)field);
			break;
		case BW_CFG_STR:
			if (*(char *const *)field) {
				fputc(' ', f);
				bw_cfg_print_str(f, *(char *const *)field);
			} else {
				fputs(" ''", f);
			}
			fputc('\n', f);
			break;
		case BW_CFG_ENUM:
			fprintf(f, " %s\n", k->choices[*(const int *)field]);
			break;
		case BW_CFG_CUSTOM:
			k->print(f, field, ind);
			break;
		}
	}
}

void bw_config_print(FILE *f, const struct bw_config *cfg)
{
	fprintf(f, "# effective configuration%s%s\n", cfg->file ? " of " : "",
		cfg->file ? cfg->file : "");
	for (unsigned s = 0; s < cfg_n_sections; s++)
		cfg_print_section(f, cfg_sections[s], cfg->sec[s]);
}

/* ---- the core's own sections ---- */

static void core_cfg_defaults(void *p)
{
	struct bw_core_config *c = p;

	c->boot_root = strdup("/srv/bootwire");
	c->user = NULL;
	c->pid_file = strdup("/run/bootwire.pid");
}

static void core_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_core_config *c = p;
	char resolved[PATH_MAX];
	struct stat st;

	if (!c->boot_root || !*c->boot_root) {
		bw_cfg_error_key(ctx, NULL, "boot_root", "boot_root: must be set to a directory");
		return;
	}
	/* A relative boot_root is relative to the config file's directory. */
	if (c->boot_root[0] != '/' && cfg->file && strchr(cfg->file, '/')) {
		char joined[PATH_MAX];
		int dl = (int)(strrchr(cfg->file, '/') - cfg->file);

		snprintf(joined, sizeof(joined), "%.*s/%s", dl, cfg->file, c->boot_root);
		free(c->boot_root);
		c->boot_root = strdup(joined);
	}
	if (!realpath(c->boot_root, resolved) || stat(resolved, &st) < 0) {
		bw_cfg_error_key(ctx, NULL, "boot_root", "boot_root: '%s': %s", c->boot_root,
				 strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		bw_cfg_error_key(ctx, NULL, "boot_root", "boot_root: '%s' is not a directory",
				 c->boot_root);
		return;
	}
	free(c->boot_root);
	c->boot_root = strdup(resolved);
}

static const struct bw_cfg_key core_cfg_keys[] = {
	{.name = "boot_root", .type = BW_CFG_STR, .off = offsetof(struct bw_core_config, boot_root),
	 .doc = "Directory served by TFTP and HTTP."},
	{.name = "user", .type = BW_CFG_STR, .off = offsetof(struct bw_core_config, user),
	 .doc = "User to switch to after binding the ports."},
	{.name = "pid_file", .type = BW_CFG_STR, .off = offsetof(struct bw_core_config, pid_file),
	 .doc = "File holding the daemon's process id (for bootwire reload); '' for none."},
};

const struct bw_cfg_section bw_core_cfg_section = {
	.name = NULL,
	.keys = core_cfg_keys,
	.n_keys = sizeof(core_cfg_keys) / sizeof(core_cfg_keys[0]),
	.size = sizeof(struct bw_core_config),
	.defaults = core_cfg_defaults,
	.validate = core_cfg_validate,
};

static const char *const log_level_choices[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_format_choices[] = {"text", "json", NULL};
static const char *const log_target_choices[] = {"stderr", "syslog", NULL};

static void log_cfg_defaults(void *p)
{
	struct bw_log_config *l = p;

	l->level = BW_LOG_INFO;
	l->format = BW_LOG_TEXT;
}

static const struct bw_cfg_key log_cfg_keys[] = {
	{.name = "level", .type = BW_CFG_ENUM, .off = offsetof(struct bw_log_config, level),
	 .choices = log_level_choices, .reload_safe = true},
	{.name = "format", .type = BW_CFG_ENUM, .off = offsetof(struct bw_log_config, format),
	 .choices = log_format_choices, .reload_safe = true},
	{.name = "target", .type = BW_CFG_ENUM, .off = offsetof(struct bw_log_config, target),
	 .choices = log_target_choices, .reload_safe = true},
};

const struct bw_cfg_section bw_log_cfg_section = {
	.name = "log",
	.keys = log_cfg_keys,
	.n_keys = sizeof(log_cfg_keys) / sizeof(log_cfg_keys[0]),
	.size = sizeof(struct bw_log_config),
	.defaults = log_cfg_defaults,
};

int bw_cfg_map_keys(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
		    const char *const *names, yaml_node_t **vals, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		vals[i] = NULL;
	if (node->type != YAML_MAPPING_NODE) {
		bw_cfg_error(ctx, node, "%s: expected a mapping of keys", what);
		return -1;
	}
	for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
	     pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(ctx->doc, pr->key);
		const char *k = bw_cfg_scalar(kn);
		unsigned i;

		for (i = 0; i < n && k; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (!k || i == n) {
			bw_cfg_error(ctx, kn, "%s: unknown key '%s'", what, k ? k : "?");
			return -1;
		}
		if (vals[i]) {
			bw_cfg_error(ctx, kn, "%s: duplicate key '%s'", what, k);
			return -1;
		}
		vals[i] = yaml_document_get_node(ctx->doc, pr->value);
	}
	return 0;
}

/* One key's printed value, for comparing two snapshots. NULL when out of memory. */
static char *cfg_key_text(const struct bw_cfg_section *sec, const struct bw_cfg_key *k,
			  const void *p)
{
	struct bw_cfg_section one = *sec;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	one.keys = k;
	one.n_keys = 1;
	cfg_print_section(f, &one, p);
	fclose(f);
	return buf;
}

int bw_config_restart_keys(const struct bw_config *old, const struct bw_config *new,
			   void (*cb)(void *ud, const char *path), void *ud)
{
	unsigned n = 0;

	for (unsigned s = 0; s < cfg_n_sections; s++) {
		const struct bw_cfg_section *sec = cfg_sections[s];

		for (unsigned i = 0; i < sec->n_keys; i++) {
			const struct bw_cfg_key *k = &sec->keys[i];
			char *a, *b, path[128];
			bool differ;

			if (k->reload_safe)
				continue;
			a = cfg_key_text(sec, k, old->sec[s]);
			b = cfg_key_text(sec, k, new->sec[s]);
			differ = !a || !b || strcmp(a, b) != 0;
			free(a);
			free(b);
			if (!differ)
				continue;
			snprintf(path, sizeof(path), "%s%s%s", sec->name ? sec->name : "",
				 sec->name ? "." : "", k->name);
			cb(ud, path);
			n++;
		}
	}
	return (int)n;
}
