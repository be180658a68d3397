/* The top-level `profiles`, `machines`, `default_profile` and `loaders` keys: parsing,
 * printing (YAML that loads again), validation (names referenced, menu cycles, paths). */
#include "profile/profile_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define PROFILE_CFG(f) offsetof(struct bw_profile_set, f)
#define PROFILE_PATH_MAX 1024

static const char *const profile_slot_names[BW_LOADER_SLOTS] = {
	"pxelinux_bios", "grub_bios", "grub_efi_ia32", "grub_efi_x64", "grub_efi_arm64", "grub_dir",
};

static const char *const profile_slot_defaults[BW_LOADER_SLOTS] = {
	"pxelinux.0",
	"grub/i386-pc/core.0",
	"grub/i386-efi/core.efi",
	"grub/x86_64-efi/core.efi",
	"grub/arm64-efi/core.efi",
	"grub",
};

static void profile_cfg_defaults(void *p)
{
	struct bw_profile_set *ps = p;

	for (unsigned i = 0; i < BW_LOADER_SLOTS; i++)
		ps->loaders.path[i] = strdup(profile_slot_defaults[i]);
}

const struct bw_profile_set *bw_profile_set_of(const struct bw_config *cfg)
{
	const struct bw_profile_set *ps = cfg ? bw_config_get(cfg, &bw_profile_cfg_section) : NULL;

	if (!ps || (!ps->profiles.n && !ps->machines.n && !ps->def))
		return NULL;
	return ps;
}

/* ---- small helpers ---- */

static unsigned profile_line(const yaml_node_t *n)
{
	return n ? (unsigned)n->start_mark.line + 1 : 0;
}

/* An error at a line remembered from parsing (0: no line). */
static void profile_cfg_error_at(struct bw_cfg_ctx *ctx, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void profile_cfg_error_at(struct bw_cfg_ctx *ctx, unsigned line, const char *fmt, ...)
{
	yaml_node_t fake;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&fake, 0, sizeof(fake));
	fake.start_mark.line = line ? line - 1 : 0;
	bw_cfg_error(ctx, line ? &fake : NULL, "%s", msg);
}

/* The scalar of an optional value node; an error when it is a list or mapping. */
static const char *profile_cfg_str(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
				   const char *key)
{
	const char *s = node ? bw_cfg_scalar(node) : NULL;

	if (node && !s)
		bw_cfg_error(ctx, node, "%s.%s: expected a single value", what, key);
	return s;
}

static bool profile_path_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("._+,=@~-", c));
}

/* A relative path inside boot_root, normalised: no leading '/', no '..', '.' and empty
 * components dropped, only [A-Za-z0-9._+,=@~-/] (the path goes into scripts unquoted).
 * An empty result is an error unless allow_empty. */
static int profile_cfg_path(const char *in, char *out, size_t cap, bool allow_empty)
{
	const char *p = in;
	size_t o = 0;

	if (in[0] == '/')
		return -EINVAL;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (n && !(n == 1 && p[0] == '.')) {
			for (size_t i = 0; i < n; i++)
				if (!profile_path_char_ok((unsigned char)p[i]))
					return -EINVAL;
			if (o + n + 2 > cap)
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return o || allow_empty ? 0 : -EINVAL;
}

static bool profile_cfg_url_ok(const char *s)
{
	static const char *const schemes[] = {"tftp://", "http://", "https://"};
	size_t n = strlen(s);
	bool scheme = false;

	if (n > PROFILE_PATH_MAX)
		return false;
	for (unsigned i = 0; i < 3; i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0 && s[strlen(schemes[i])] &&
		    s[strlen(schemes[i])] != '/')
			scheme = true;
	if (!scheme)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("\"'\\`<>|;", *s))
			return false;
	return true;
}

static bool profile_cfg_title_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BW_PROFILE_TITLE_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Writes why cmdline cannot be used into why (empty when it can). The command line goes
 * verbatim into iPXE scripts and pxelinux configs, so it must be one line, and no word may
 * read as an iPXE operator or comment. */
static void profile_cfg_cmdline_check(const char *s, char *why, size_t cap)
{
	unsigned quotes = 0;

	why[0] = '\0';
	if (strlen(s) > BW_PROFILE_CMDLINE_MAX) {
		snprintf(why, cap, "longer than %u characters", BW_PROFILE_CMDLINE_MAX);
		return;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(why, cap, "must be one line of printable characters");
			return;
		}
		quotes += *p == '"';
	}
	if (quotes % 2) {
		snprintf(why, cap, "has an unbalanced double quote");
		return;
	}
	for (const char *p = s; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && (p[0] == '#' || (n == 2 && (!strncmp(p, "||", 2) || !strncmp(p, "&&", 2))) ||
			  (n == 1 && p[0] == ';'))) {
			snprintf(why, cap, "the word '%.*s' would be an operator or a comment in iPXE",
				 (int)(n > 32 ? 32 : n), p);
			return;
		}
		p += n;
	}
}

static bool profile_cfg_script_ok(const char *s)
{
	if (strlen(s) > BW_PROFILE_SCRIPT_MAX)
		return false;
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static void profile_strv_free(char **v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Checks (and may rewrite) one list element; returns a malloc'd copy, or NULL after
 * reporting an error at node. */
typedef char *(*profile_item_fn)(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
				 const char *s);

/* A scalar or a list of scalars into an array of strings (and their lines). */
static int profile_cfg_list(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
			    unsigned max, profile_item_fn fn, char ***ret_v, unsigned **ret_lines,
			    unsigned *ret_n)
{
	yaml_node_item_t *start = NULL, *end = NULL;
	unsigned n = 0, cnt;
	char **v;
	unsigned *lines;

	if (node->type == YAML_SEQUENCE_NODE) {
		start = node->data.sequence.items.start;
		end = node->data.sequence.items.top;
		cnt = (unsigned)(end - start);
	} else if (node->type == YAML_SCALAR_NODE) {
		cnt = 1;
	} else {
		bw_cfg_error(ctx, node, "%s: expected a list", what);
		return -1;
	}
	if (cnt > max) {
		bw_cfg_error(ctx, node, "%s: at most %u entries", what, max);
		return -1;
	}
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	lines = calloc(cnt ? cnt : 1, sizeof(*lines));
	if (!v || !lines)
		goto out_fail;
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *it = start ? yaml_document_get_node(ctx->doc, start[i]) : node;
		const char *s = bw_cfg_scalar(it);

		if (!s) {
			bw_cfg_error(ctx, it, "%s: expected a list of single values", what);
			goto out_fail;
		}
		v[n] = fn(ctx, it, what, s);
		if (!v[n])
			goto out_fail;
		lines[n++] = profile_line(it);
	}
	*ret_v = v;
	*ret_lines = lines;
	*ret_n = n;
	return 0;
out_fail:
	profile_strv_free(v, n);
	free(lines);
	return -1;
}

static char *profile_item_path(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
			       const char *s)
{
	char norm[PROFILE_PATH_MAX];

	if (profile_cfg_path(s, norm, sizeof(norm), false) < 0) {
		bw_cfg_error(ctx, node, "%s: '%s' must be a relative path inside boot_root (no "
			     "'..', spaces, quotes or '$')", what, s);
		return NULL;
	}
	return strdup(norm);
}

static char *profile_item_name(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
			       const char *s)
{
	if (!bw_profile_name_is_valid(s)) {
		bw_cfg_error(ctx, node, "%s: '%s' is not a valid name (letters, digits, '_', '.', "
			     "'-'; at most %u)", what, s, BW_PROFILE_NAME_MAX);
		return NULL;
	}
	return strdup(s);
}

static int profile_cfg_loader(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
			      enum bw_loader *ret)
{
	const char *s = profile_cfg_str(ctx, node, what, "loader");

	if (!node)
		return 0;
	if (!s)
		return -1;
	if (bw_profile_loader_parse(s, ret) < 0) {
		bw_cfg_error(ctx, node, "%s.loader: expected one of ipxe, pxelinux, grub, got '%s'",
			     what, s);
		return -1;
	}
	return 0;
}

/* Prints s as a YAML double-quoted scalar (for text with newlines and tabs). */
static void profile_print_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		switch (*s) {
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fprintf(f, "\\x%02x", (unsigned char)*s);
			else
				fputc(*s, f);
		}
	}
	fputc('"', f);
}

static void profile_print_strv(FILE *f, char *const *v, unsigned n)
{
	fputc('[', f);
	for (unsigned i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		bw_cfg_print_str(f, v[i]);
	}
	fputc(']', f);
}

/* ---- profiles ---- */

enum {
	PK_TITLE, PK_LOADER, PK_KERNEL, PK_INITRD, PK_CMDLINE, PK_SCRIPT, PK_CHAIN, PK_MENU,
	PK_DEFAULT, PK_TIMEOUT, PK_LOCAL, PK_N
};

static const char *const profile_key_names[PK_N] = {
	"title", "loader", "kernel", "initrd", "cmdline", "script", "chain", "menu", "default",
	"timeout", "local",
};

static void profile_free(struct bw_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->title);
	free(p->kernel);
	profile_strv_free(p->initrd, p->n_initrd);
	free(p->cmdline);
	free(p->script);
	free(p->chain);
	profile_strv_free(p->items, p->n_items);
	free(p->item_lines);
	free(p->item_p);
	free(p->menu_default);
	free(p);
}

static void profile_list_free(void *field)
{
	struct bw_profile_list *pl = field;

	for (unsigned i = 0; i < pl->n; i++)
		profile_free(pl->v[i]);
	free(pl->v);
	pl->v = NULL;
	pl->n = 0;
}

/* The kind from which of kernel, script, chain, menu, local is given (exactly one). */
static int profile_kind(struct bw_cfg_ctx *ctx, const char *what, yaml_node_t *map,
			yaml_node_t **v, enum bw_profile_kind *ret)
{
	static const struct {
		unsigned key;
		enum bw_profile_kind kind;
	} kinds[] = {
		{PK_KERNEL, BW_PROFILE_LINUX}, {PK_SCRIPT, BW_PROFILE_IPXE},
		{PK_CHAIN, BW_PROFILE_CHAIN},  {PK_MENU, BW_PROFILE_MENU},
		{PK_LOCAL, BW_PROFILE_LOCAL},
	};
	int first = -1;

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!v[kinds[i].key])
			continue;
		if (first >= 0) {
			bw_cfg_error(ctx, v[kinds[i].key], "%s: '%s' and '%s' cannot be combined: a "
				     "profile is one kind", what, profile_key_names[kinds[first].key],
				     profile_key_names[kinds[i].key]);
			return -1;
		}
		first = (int)i;
	}
	if (first < 0) {
		bw_cfg_error(ctx, map, "%s: says nothing to boot: give kernel, script, chain, menu "
			     "or local: true", what);
		return -1;
	}
	*ret = kinds[first].kind;
	return 0;
}

/* Keys that belong to one kind only. */
static int profile_check_kind_keys(struct bw_cfg_ctx *ctx, const char *what, yaml_node_t **v,
				   enum bw_profile_kind kind)
{
	static const struct {
		unsigned key;
		enum bw_profile_kind kind;
		const char *name;
	} only[] = {
		{PK_INITRD, BW_PROFILE_LINUX, "kernel"},
		{PK_CMDLINE, BW_PROFILE_LINUX, "kernel"},
		{PK_DEFAULT, BW_PROFILE_MENU, "menu"},
		{PK_TIMEOUT, BW_PROFILE_MENU, "menu"},
	};

	for (unsigned i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		if (v[only[i].key] && kind != only[i].kind) {
			bw_cfg_error(ctx, v[only[i].key], "%s.%s: only for %s profiles", what,
				     profile_key_names[only[i].key], only[i].name);
			return -1;
		}
	}
	return 0;
}

static int profile_fill_linux(struct bw_cfg_ctx *ctx, const char *what, yaml_node_t **v,
			      struct bw_profile *p)
{
	char key[96], why[128];
	const char *s;
	unsigned *lines = NULL;

	snprintf(key, sizeof(key), "%s.kernel", what);
	if (!(s = profile_cfg_str(ctx, v[PK_KERNEL], what, "kernel")) ||
	    !(p->kernel = profile_item_path(ctx, v[PK_KERNEL], key, s)))
		return -1;
	snprintf(key, sizeof(key), "%s.initrd", what);
	if (v[PK_INITRD]) {
		if (profile_cfg_list(ctx, v[PK_INITRD], key, BW_PROFILE_ITEMS_MAX, profile_item_path,
				     &p->initrd, &lines, &p->n_initrd) < 0)
			return -1;
		free(lines);
	}
	if (!v[PK_CMDLINE])
		return 0;
	if (!(s = profile_cfg_str(ctx, v[PK_CMDLINE], what, "cmdline")))
		return -1;
	profile_cfg_cmdline_check(s, why, sizeof(why));
	if (why[0]) {
		bw_cfg_error(ctx, v[PK_CMDLINE], "%s.cmdline: %s", what, why);
		return -1;
	}
	p->cmdline = strdup(s);
	return 0;
}

static int profile_fill_menu(struct bw_cfg_ctx *ctx, const char *what, yaml_node_t **v,
			     struct bw_profile *p)
{
	char key[96];
	const char *s;
	uint64_t t;

	snprintf(key, sizeof(key), "%s.menu", what);
	if (profile_cfg_list(ctx, v[PK_MENU], key, BW_PROFILE_ITEMS_MAX, profile_item_name,
			     &p->items, &p->item_lines, &p->n_items) < 0)
		return -1;
	if (!p->n_items) {
		bw_cfg_error(ctx, v[PK_MENU], "%s: needs at least one entry", key);
		return -1;
	}
	p->item_p = calloc(p->n_items, sizeof(*p->item_p));
	if (!p->item_p)
		return -1;
	if ((s = profile_cfg_str(ctx, v[PK_DEFAULT], what, "default"))) {
		p->menu_default = strdup(s);
		p->default_line = profile_line(v[PK_DEFAULT]);
	} else if (v[PK_DEFAULT]) {
		return -1;
	}
	p->timeout_s = 10;
	if ((s = profile_cfg_str(ctx, v[PK_TIMEOUT], what, "timeout"))) {
		if (bw_parse_u64(s, 0, BW_PROFILE_TIMEOUT_MAX, &t) < 0) {
			bw_cfg_error(ctx, v[PK_TIMEOUT], "%s.timeout: expected seconds from 0 (wait "
				     "for a choice) to %u, got '%s'", what, BW_PROFILE_TIMEOUT_MAX, s);
			return -1;
		}
		p->timeout_s = (uint32_t)t;
	} else if (v[PK_TIMEOUT]) {
		return -1;
	}
	return 0;
}

static int profile_fill_other(struct bw_cfg_ctx *ctx, const char *what, yaml_node_t **v,
			      struct bw_profile *p)
{
	char norm[PROFILE_PATH_MAX];
	const char *s;
	bool on;

	switch (p->kind) {
	case BW_PROFILE_IPXE:
		if (!(s = profile_cfg_str(ctx, v[PK_SCRIPT], what, "script")))
			return -1;
		if (!profile_cfg_script_ok(s)) {
			bw_cfg_error(ctx, v[PK_SCRIPT], "%s.script: must be text (printable "
				     "characters, tabs and newlines), at most %u bytes", what,
				     BW_PROFILE_SCRIPT_MAX);
			return -1;
		}
		p->script = strdup(s);
		return 0;
	case BW_PROFILE_CHAIN:
		if (!(s = profile_cfg_str(ctx, v[PK_CHAIN], what, "chain")))
			return -1;
		if (profile_cfg_url_ok(s))
			p->chain = strdup(s);
		else if (!strstr(s, "://") && profile_cfg_path(s, norm, sizeof(norm), false) == 0)
			p->chain = strdup(norm);
		if (!p->chain) {
			bw_cfg_error(ctx, v[PK_CHAIN], "%s.chain: '%s' must be a tftp://, http:// or "
				     "https:// URL, or a relative path inside boot_root", what, s);
			return -1;
		}
		return 0;
	case BW_PROFILE_LOCAL:
		if (!(s = profile_cfg_str(ctx, v[PK_LOCAL], what, "local")))
			return -1;
		if (bw_cfg_parse_bool(s, &on) < 0 || !on) {
			bw_cfg_error(ctx, v[PK_LOCAL], "%s.local: only `local: true` makes sense "
				     "here, got '%s'", what, s);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

static struct bw_profile *profile_parse_one(struct bw_cfg_ctx *ctx, const char *name,
					    yaml_node_t *kn, yaml_node_t *vn)
{
	yaml_node_t *v[PK_N];
	struct bw_profile *p;
	char what[80];
	const char *s;
	int r;

	snprintf(what, sizeof(what), "profiles.%s", name);
	if (bw_cfg_map_keys(ctx, vn, what, profile_key_names, v, PK_N) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->name = strdup(name);
	p->line = profile_line(kn);
	if (profile_kind(ctx, what, vn, v, &p->kind) < 0 ||
	    profile_check_kind_keys(ctx, what, v, p->kind) < 0 ||
	    profile_cfg_loader(ctx, v[PK_LOADER], what, &p->loader) < 0)
		goto out_free;
	if ((s = profile_cfg_str(ctx, v[PK_TITLE], what, "title"))) {
		if (!profile_cfg_title_ok(s)) {
			bw_cfg_error(ctx, v[PK_TITLE], "%s.title: 1 to %u printable characters on "
				     "one line", what, BW_PROFILE_TITLE_MAX);
			goto out_free;
		}
		p->title = strdup(s);
	} else if (v[PK_TITLE]) {
		goto out_free;
	}
	if (p->kind == BW_PROFILE_LINUX)
		r = profile_fill_linux(ctx, what, v, p);
	else if (p->kind == BW_PROFILE_MENU)
		r = profile_fill_menu(ctx, what, v, p);
	else
		r = profile_fill_other(ctx, what, v, p);
	if (r < 0)
		goto out_free;
	return p;
out_free:
	profile_free(p);
	return NULL;
}

/* Checks a profile's name before its body is read; false after reporting. */
static bool profile_name_usable(struct bw_cfg_ctx *ctx, const struct bw_profile_list *pl,
				yaml_node_t *kn, const char *name)
{
	if (!name || !bw_profile_name_is_valid(name)) {
		bw_cfg_error(ctx, kn, "profiles: '%s' is not a valid profile name (letters, digits, "
			     "'_', '.', '-'; at most %u)", name ? name : "?", BW_PROFILE_NAME_MAX);
		return false;
	}
	if (strcmp(name, bw_profile_local.name) == 0) {
		bw_cfg_error(ctx, kn, "profiles: 'local' is built in (exit to the next boot "
			     "device); give yours another name");
		return false;
	}
	for (unsigned i = 0; i < pl->n; i++) {
		if (strcmp(pl->v[i]->name, name) == 0) {
			bw_cfg_error(ctx, kn, "profiles: '%s' is defined twice", name);
			return false;
		}
	}
	if (pl->n == BW_PROFILE_MAX) {
		bw_cfg_error(ctx, kn, "profiles: at most %u profiles", BW_PROFILE_MAX);
		return false;
	}
	return true;
}

static int profile_list_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	struct bw_profile_list *pl = field;

	profile_list_free(pl);
	if (node->type == YAML_SCALAR_NODE && !*bw_cfg_scalar(node))
		return 0; /* "profiles:" with nothing under it */
	if (node->type != YAML_MAPPING_NODE) {
		bw_cfg_error(ctx, node, "profiles: expected a mapping of names to profiles, like "
			     "rescue: { kernel: ..., cmdline: ... }");
		return -1;
	}
	for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
	     pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(ctx->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(ctx->doc, pr->value);
		const char *name = bw_cfg_scalar(kn);
		struct bw_profile *p, **nv;

		if (!profile_name_usable(ctx, pl, kn, name))
			continue;
		p = profile_parse_one(ctx, name, kn, vn);
		if (!p)
			continue;
		nv = realloc(pl->v, (pl->n + 1) * sizeof(*nv));
		if (!nv) {
			profile_free(p);
			bw_cfg_error(ctx, kn, "out of memory");
			return -1;
		}
		pl->v = nv;
		p->idx = pl->n;
		pl->v[pl->n++] = p;
	}
	return 0;
}

static void profile_print_kv(FILE *f, const char *ind, const char *key, const char *val)
{
	fprintf(f, "%s    %s: ", ind, key);
	bw_cfg_print_str(f, val);
	fputc('\n', f);
}

static void profile_print_one(FILE *f, const struct bw_profile *p, const char *ind)
{
	fprintf(f, "%s  ", ind);
	bw_cfg_print_str(f, p->name);
	fputs(":\n", f);
	if (p->title)
		profile_print_kv(f, ind, "title", p->title);
	if (p->loader != BW_LOADER_DEFAULT)
		fprintf(f, "%s    loader: %s\n", ind, bw_profile_loader_name(p->loader));
	switch (p->kind) {
	case BW_PROFILE_LINUX:
		profile_print_kv(f, ind, "kernel", p->kernel);
		fprintf(f, "%s    initrd: ", ind);
		profile_print_strv(f, p->initrd, p->n_initrd);
		fputc('\n', f);
		if (p->cmdline)
			profile_print_kv(f, ind, "cmdline", p->cmdline);
		break;
	case BW_PROFILE_IPXE:
		fprintf(f, "%s    script: ", ind);
		profile_print_text(f, p->script);
		fputc('\n', f);
		break;
	case BW_PROFILE_CHAIN:
		profile_print_kv(f, ind, "chain", p->chain);
		break;
	case BW_PROFILE_MENU:
		fprintf(f, "%s    menu: ", ind);
		profile_print_strv(f, p->items, p->n_items);
		fputc('\n', f);
		profile_print_kv(f, ind, "default", p->menu_default ? p->menu_default : p->items[0]);
		fprintf(f, "%s    timeout: %u\n", ind, p->timeout_s);
		break;
	case BW_PROFILE_LOCAL:
		fprintf(f, "%s    local: true\n", ind);
		break;
	}
}

static void profile_list_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_profile_list *pl = field;

	if (!pl->n) {
		fputs(" {}\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < pl->n; i++)
		profile_print_one(f, pl->v[i], ind);
}

/* ---- machines ---- */

enum { MK_MAC, MK_UUID, MK_ARCH, MK_LABEL, MK_LABELS, MK_PROFILE, MK_HOSTNAME, MK_LOADER, MK_N };

static const char *const machine_key_names[MK_N] = {
	"mac", "uuid", "arch", "label", "labels", "profile", "hostname", "loader",
};

static void machine_free(struct bw_profile_machine *m)
{
	free(m->label);
	profile_strv_free(m->labels, m->n_labels);
	free(m->profile_name);
	free(m->hostname);
	memset(m, 0, sizeof(*m));
}

static void machine_list_free(void *field)
{
	struct bw_profile_machines *ml = field;

	for (unsigned i = 0; i < ml->n; i++)
		machine_free(&ml->v[i]);
	free(ml->v);
	ml->v = NULL;
	ml->n = 0;
}

/* The selectors: mac, uuid, arch, label. */
static int machine_fill_selectors(struct bw_cfg_ctx *ctx, yaml_node_t **v,
				  struct bw_profile_machine *m)
{
	const char *s;

	if ((s = profile_cfg_str(ctx, v[MK_MAC], "machines", "mac"))) {
		if (bw_profile_mac_parse(s, strlen(s), m->mac) < 0) {
			bw_cfg_error(ctx, v[MK_MAC], "machines.mac: '%s' is not a MAC address like "
				     "52:54:00:12:34:56", s);
			return -1;
		}
		m->has_mac = true;
	}
	if ((s = profile_cfg_str(ctx, v[MK_UUID], "machines", "uuid"))) {
		if (bw_profile_uuid_parse(s, strlen(s), m->uuid) < 0) {
			bw_cfg_error(ctx, v[MK_UUID], "machines.uuid: '%s' is not a UUID like "
				     "8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab", s);
			return -1;
		}
		m->has_uuid = true;
	}
	if ((s = profile_cfg_str(ctx, v[MK_ARCH], "machines", "arch")) &&
	    bw_profile_arch_parse(s, &m->arch) < 0) {
		bw_cfg_error(ctx, v[MK_ARCH], "machines.arch: expected one of bios, efi_ia32, "
			     "efi_x64, efi_arm32, efi_arm64, got '%s'", s);
		return -1;
	}
	if ((s = profile_cfg_str(ctx, v[MK_LABEL], "machines", "label")) &&
	    !(m->label = profile_item_name(ctx, v[MK_LABEL], "machines.label", s)))
		return -1;
	for (unsigned i = MK_MAC; i <= MK_LABEL; i++)
		if (v[i] && !bw_cfg_scalar(v[i]))
			return -1;
	return 0;
}

/* What the entry gives: labels, profile, hostname, loader. */
static int machine_fill_gifts(struct bw_cfg_ctx *ctx, yaml_node_t **v,
			      struct bw_profile_machine *m)
{
	const char *s;
	unsigned *lines = NULL;

	if (v[MK_LABELS]) {
		if (profile_cfg_list(ctx, v[MK_LABELS], "machines.labels", BW_PROFILE_LABELS_MAX,
				     profile_item_name, &m->labels, &lines, &m->n_labels) < 0)
			return -1;
		free(lines);
	}
	if ((s = profile_cfg_str(ctx, v[MK_PROFILE], "machines", "profile"))) {
		m->profile_name = strdup(s);
		m->profile_line = profile_line(v[MK_PROFILE]);
	} else if (v[MK_PROFILE]) {
		return -1;
	}
	if ((s = profile_cfg_str(ctx, v[MK_HOSTNAME], "machines", "hostname"))) {
		if (!bw_profile_hostname_is_valid(s, strlen(s))) {
			bw_cfg_error(ctx, v[MK_HOSTNAME], "machines.hostname: '%s' must be 1 to 63 "
				     "letters, digits, '.' or '-'", s);
			return -1;
		}
		m->hostname = strdup(s);
	} else if (v[MK_HOSTNAME]) {
		return -1;
	}
	return profile_cfg_loader(ctx, v[MK_LOADER], "machines", &m->loader);
}

static int machine_fill(struct bw_cfg_ctx *ctx, yaml_node_t *item, yaml_node_t **v,
			struct bw_profile_machine *m)
{
	if (machine_fill_selectors(ctx, v, m) < 0 || machine_fill_gifts(ctx, v, m) < 0)
		return -1;
	if (!m->has_mac && !m->has_uuid && m->arch == BW_ARCH_UNKNOWN && !m->label) {
		bw_cfg_error(ctx, item, "machines: each entry needs a selector: mac, uuid, arch or "
			     "label (default_profile is for every other machine)");
		return -1;
	}
	if (m->label && m->n_labels) {
		bw_cfg_error(ctx, v[MK_LABELS], "machines: an entry that selects by label cannot "
			     "give labels (labels come from entries with mac, uuid or arch)");
		return -1;
	}
	if (!m->n_labels && !m->profile_name && !m->hostname && m->loader == BW_LOADER_DEFAULT) {
		bw_cfg_error(ctx, item, "machines: this entry gives nothing: set profile, labels, "
			     "hostname or loader");
		return -1;
	}
	m->line = profile_line(item);
	return 0;
}

static int machine_list_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	struct bw_profile_machines *ml = field;

	machine_list_free(ml);
	if (node->type == YAML_SCALAR_NODE && !*bw_cfg_scalar(node))
		return 0;
	if (node->type != YAML_SEQUENCE_NODE) {
		bw_cfg_error(ctx, node, "machines: expected a list like - { mac: ..., profile: ... }");
		return -1;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		struct bw_profile_machine m = {0}, *nv;
		yaml_node_t *v[MK_N];

		if (ml->n == BW_PROFILE_MACHINES_MAX) {
			bw_cfg_error(ctx, item, "machines: at most %u entries",
				     BW_PROFILE_MACHINES_MAX);
			return -1;
		}
		if (bw_cfg_map_keys(ctx, item, "machines", machine_key_names, v, MK_N) < 0 ||
		    machine_fill(ctx, item, v, &m) < 0) {
			machine_free(&m);
			continue;
		}
		nv = realloc(ml->v, (ml->n + 1) * sizeof(*nv));
		if (!nv) {
			machine_free(&m);
			bw_cfg_error(ctx, item, "out of memory");
			return -1;
		}
		ml->v = nv;
		ml->v[ml->n++] = m;
	}
	return 0;
}

static void machine_print_key(FILE *f, const char *ind, bool *first, const char *key)
{
	fprintf(f, "%s  %s %s: ", ind, *first ? "-" : " ", key);
	*first = false;
}

static void machine_print_one(FILE *f, const struct bw_profile_machine *m, const char *ind)
{
	bool first = true;
	char buf[40];

	if (m->has_mac) {
		machine_print_key(f, ind, &first, "mac");
		bw_profile_mac_str(m->mac, ':', buf);
		fprintf(f, "'%s'\n", buf);
	}
	if (m->has_uuid) {
		machine_print_key(f, ind, &first, "uuid");
		bw_profile_uuid_str(m->uuid, buf);
		fprintf(f, "'%s'\n", buf);
	}
	if (m->arch != BW_ARCH_UNKNOWN) {
		machine_print_key(f, ind, &first, "arch");
		fprintf(f, "%s\n", bw_profile_arch_name(m->arch));
	}
	if (m->label) {
		machine_print_key(f, ind, &first, "label");
		bw_cfg_print_str(f, m->label);
		fputc('\n', f);
	}
	if (m->n_labels) {
		machine_print_key(f, ind, &first, "labels");
		profile_print_strv(f, m->labels, m->n_labels);
		fputc('\n', f);
	}
	if (m->profile_name) {
		machine_print_key(f, ind, &first, "profile");
		bw_cfg_print_str(f, m->profile_name);
		fputc('\n', f);
	}
	if (m->hostname) {
		machine_print_key(f, ind, &first, "hostname");
		bw_cfg_print_str(f, m->hostname);
		fputc('\n', f);
	}
	if (m->loader != BW_LOADER_DEFAULT) {
		machine_print_key(f, ind, &first, "loader");
		fprintf(f, "%s\n", bw_profile_loader_name(m->loader));
	}
}

static void machine_list_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_profile_machines *ml = field;

	if (!ml->n) {
		fputs(" []\n", f);
		return;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < ml->n; i++)
		machine_print_one(f, &ml->v[i], ind);
}

/* ---- loaders ---- */

static void loaders_free(void *field)
{
	struct bw_profile_loaders *l = field;

	for (unsigned i = 0; i < BW_LOADER_SLOTS; i++) {
		free(l->path[i]);
		l->path[i] = NULL;
	}
	free(l->pxelinux_dir);
	free(l->grub_dir);
	l->pxelinux_dir = l->grub_dir = NULL;
}

static int loaders_parse(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field)
{
	struct bw_profile_loaders *l = field;
	yaml_node_t *v[BW_LOADER_SLOTS];
	char norm[PROFILE_PATH_MAX];

	if (node->type == YAML_SCALAR_NODE && !*bw_cfg_scalar(node))
		return 0;
	if (bw_cfg_map_keys(ctx, node, "loaders", profile_slot_names, v, BW_LOADER_SLOTS) < 0)
		return -1;
	for (unsigned i = 0; i < BW_LOADER_SLOTS; i++) {
		const char *s = profile_cfg_str(ctx, v[i], "loaders", profile_slot_names[i]);

		if (!s)
			continue;
		if (profile_cfg_path(s, norm, sizeof(norm), true) < 0) {
			bw_cfg_error(ctx, v[i], "loaders.%s: '%s' must be a relative path inside "
				     "boot_root, or '' for none", profile_slot_names[i], s);
			continue;
		}
		free(l->path[i]);
		l->path[i] = *norm ? strdup(norm) : NULL;
	}
	return 0;
}

static void loaders_print(FILE *f, const void *field, const char *ind)
{
	const struct bw_profile_loaders *l = field;

	fputc('\n', f);
	for (unsigned i = 0; i < BW_LOADER_SLOTS; i++) {
		fprintf(f, "%s  %s: ", ind, profile_slot_names[i]);
		bw_cfg_print_str(f, l->path[i] ? l->path[i] : "");
		fputc('\n', f);
	}
}

/* ---- validation ---- */

static void profile_validate_menus(struct bw_cfg_ctx *ctx, struct bw_profile_set *ps)
{
	for (unsigned i = 0; i < ps->profiles.n; i++) {
		struct bw_profile *p = ps->profiles.v[i];
		const char *def;

		if (p->kind != BW_PROFILE_MENU)
			continue;
		for (unsigned k = 0; k < p->n_items; k++) {
			p->item_p[k] = bw_profile_find(ps, p->items[k]);
			if (!p->item_p[k])
				profile_cfg_error_at(ctx, p->item_lines[k], "profiles.%s.menu: no "
						     "profile named '%s'", p->name, p->items[k]);
			for (unsigned j = 0; j < k; j++)
				if (strcmp(p->items[j], p->items[k]) == 0)
					profile_cfg_error_at(ctx, p->item_lines[k], "profiles.%s.menu: "
							     "'%s' is listed twice", p->name,
							     p->items[k]);
		}
		def = p->menu_default ? p->menu_default : p->items[0];
		p->default_p = NULL;
		for (unsigned k = 0; k < p->n_items; k++)
			if (strcmp(p->items[k], def) == 0)
				p->default_p = p->item_p[k];
		if (p->menu_default && !p->default_p)
			profile_cfg_error_at(ctx, p->default_line, "profiles.%s.default: '%s' is not "
					     "one of its menu entries", p->name, def);
	}
}

/* Depth-first walk of menus; state: 0 unseen, 1 on the path, 2 done. Returns the depth
 * at which the walk came back to a menu on its path (path[] holds it), or -1. */
static int profile_menu_cycle(const struct bw_profile *p, unsigned char *state,
			      const struct bw_profile **path, unsigned depth)
{
	if (p->kind != BW_PROFILE_MENU || state[p->idx] == 2)
		return -1;
	path[depth] = p;
	if (state[p->idx] == 1)
		return (int)depth;
	state[p->idx] = 1;
	for (unsigned k = 0; k < p->n_items; k++) {
		int r = p->item_p[k] ? profile_menu_cycle(p->item_p[k], state, path, depth + 1) : -1;

		if (r >= 0)
			return r;
	}
	state[p->idx] = 2;
	return -1;
}

static void profile_validate_cycles(struct bw_cfg_ctx *ctx, struct bw_profile_set *ps)
{
	unsigned char *state = calloc(ps->profiles.n + 1, 1);
	const struct bw_profile **path = calloc(ps->profiles.n + 2, sizeof(*path));

	for (unsigned i = 0; state && path && i < ps->profiles.n; i++) {
		char chain[512] = "";
		unsigned start = 0;
		int end = profile_menu_cycle(ps->profiles.v[i], state, path, 0);

		if (end < 0)
			continue;
		while (path[start] != path[end])
			start++;
		for (unsigned k = start; k <= (unsigned)end; k++)
			snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s%s",
				 k > start ? " -> " : "", path[k]->name);
		profile_cfg_error_at(ctx, path[start]->line, "profiles.%s.menu: menus contain each "
				     "other in a cycle: %s", path[start]->name, chain);
		break; /* one report is enough; the walk's state is spent */
	}
	free(state);
	free(path);
}

static void profile_validate_machines(struct bw_cfg_ctx *ctx, struct bw_profile_set *ps)
{
	for (unsigned i = 0; i < ps->machines.n; i++) {
		struct bw_profile_machine *m = &ps->machines.v[i];

		m->profile = NULL;
		if (m->profile_name && !(m->profile = bw_profile_find(ps, m->profile_name)))
			profile_cfg_error_at(ctx, m->profile_line, "machines.profile: no profile "
					     "named '%s'", m->profile_name);
	}
	if (ps->default_name && !*ps->default_name) {
		free(ps->default_name);
		ps->default_name = NULL;
	}
	ps->def = NULL;
	if (ps->default_name && !(ps->def = bw_profile_find(ps, ps->default_name)))
		bw_cfg_error_key(ctx, NULL, "default_profile", "default_profile: no profile named "
				 "'%s'", ps->default_name);
}

/* "a/b/c" -> "a/b/", "c" -> "" */
static char *profile_dir_of(const char *path, bool is_dir)
{
	const char *slash;
	char *s;

	if (!path)
		return strdup("");
	if (is_dir) {
		s = malloc(strlen(path) + 2);
		if (s)
			sprintf(s, "%s/", path);
		return s;
	}
	slash = strrchr(path, '/');
	return slash ? strndup(path, (size_t)(slash - path) + 1) : strdup("");
}

/* Warns (never fails) about boot files that are not in boot_root: a missing kernel is a
 * "not found" for the machines booting it, not a reason to refuse the config. */
static void profile_warn_missing(const struct bw_profile_set *ps, const struct bw_config *cfg)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);

	for (unsigned i = 0; core && core->boot_root && i < ps->profiles.n; i++) {
		const struct bw_profile *p = ps->profiles.v[i];
		const char *files[BW_PROFILE_ITEMS_MAX + 1];
		unsigned n = 0;

		if (p->kind == BW_PROFILE_LINUX) {
			files[n++] = p->kernel;
			for (unsigned k = 0; k < p->n_initrd; k++)
				files[n++] = p->initrd[k];
		} else if (p->kind == BW_PROFILE_CHAIN && !strstr(p->chain, "://")) {
			files[n++] = p->chain;
		}
		for (unsigned k = 0; k < n; k++) {
			char full[PATH_MAX];

			snprintf(full, sizeof(full), "%s/%s", core->boot_root, files[k]);
			if (access(full, R_OK) < 0)
				bw_log(BW_LOG_WARN, "profile", NULL, "%s:%u: profiles.%s: '%s' is not "
				       "in boot_root (yet): machines booting it will get 'not found'",
				       cfg->file ? cfg->file : "config", p->line, p->name, files[k]);
		}
	}
}

static void profile_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_profile_set *ps = p;

	profile_validate_menus(ctx, ps);
	profile_validate_cycles(ctx, ps);
	profile_validate_machines(ctx, ps);
	free(ps->loaders.pxelinux_dir);
	free(ps->loaders.grub_dir);
	ps->loaders.pxelinux_dir =
		profile_dir_of(ps->loaders.path[BW_LOADER_SLOT_PXELINUX_BIOS], false);
	ps->loaders.grub_dir = ps->loaders.path[BW_LOADER_SLOT_GRUB_DIR]
				       ? profile_dir_of(ps->loaders.path[BW_LOADER_SLOT_GRUB_DIR], true)
				       : strdup("");
	if (!ps->loaders.pxelinux_dir || !ps->loaders.grub_dir)
		bw_cfg_error(ctx, NULL, "out of memory");
	if (ctx->nerr == 0)
		profile_warn_missing(ps, cfg);
}

static const struct bw_cfg_key profile_cfg_keys[] = {
	{.name = "profiles", .type = BW_CFG_CUSTOM, .off = PROFILE_CFG(profiles),
	 .parse = profile_list_parse, .print = profile_list_print, .free = profile_list_free,
	 .reload_safe = true, .doc = "What machines boot, by name."},
	{.name = "machines", .type = BW_CFG_CUSTOM, .off = PROFILE_CFG(machines),
	 .parse = machine_list_parse, .print = machine_list_print, .free = machine_list_free,
	 .reload_safe = true, .doc = "Which machine boots which profile (first match wins)."},
	{.name = "default_profile", .type = BW_CFG_STR, .off = PROFILE_CFG(default_name),
	 .reload_safe = true, .doc = "The profile of machines no entry gives one."},
	{.name = "loaders", .type = BW_CFG_CUSTOM, .off = PROFILE_CFG(loaders),
	 .parse = loaders_parse, .print = loaders_print, .free = loaders_free,
	 .reload_safe = true, .doc = "Boot programs of the pxelinux and grub loaders."},
};

const struct bw_cfg_section bw_profile_cfg_section = {
	.name = NULL,
	.keys = profile_cfg_keys,
	.n_keys = sizeof(profile_cfg_keys) / sizeof(profile_cfg_keys[0]),
	.size = sizeof(struct bw_profile_set),
	.defaults = profile_cfg_defaults,
	.validate = profile_cfg_validate,
};
