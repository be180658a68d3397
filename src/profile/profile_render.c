/* One profile, every boot loader: iPXE scripts, pxelinux configs, GRUB configs, and the
 * expansion of ${mac} ${ip} ${hostname} ${server} ${arch} ${uuid}. Pure: text in, malloc'd
 * text out.
 *
 * Nothing that came from a request reaches the output unfiltered: substituted values lose
 * every byte outside [A-Za-z0-9._:-] (the provider only passes parsed values anyway), and
 * what comes from the config (names, paths, titles, command lines) was checked when it was
 * loaded, so no value can start a new line or a new command in any of the three languages. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile_config.h"

#define PROFILE_DEPTH_MAX 32 /* menus in menus (validation refuses cycles) */

/* ---- a growing text buffer: the first failed allocation sticks ---- */

struct pbuf {
	char *p;
	size_t len, cap;
	bool failed;
	unsigned indent; /* tabs written by pb_line() */
};

static bool pb_reserve(struct pbuf *b, size_t n)
{
	size_t need, cap;
	char *np;

	if (b->failed)
		return false;
	if (__builtin_add_overflow(b->len, n + 1, &need)) {
		b->failed = true;
		return false;
	}
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 512;
	while (cap < need) {
		if (__builtin_mul_overflow(cap, 2, &cap)) {
			b->failed = true;
			return false;
		}
	}
	np = realloc(b->p, cap);
	if (!np) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

static void pb_putn(struct pbuf *b, const char *s, size_t n)
{
	if (!pb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void pb_puts(struct pbuf *b, const char *s)
{
	pb_putn(b, s, strlen(s));
}

static void pb_putc(struct pbuf *b, char c)
{
	pb_putn(b, &c, 1);
}

static void pb_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pb_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !pb_reserve(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Starts a line at the current indentation. */
static void pb_line(struct pbuf *b)
{
	for (unsigned i = 0; i < b->indent; i++)
		pb_putc(b, '\t');
}

static int pb_finish(struct pbuf *b, char **ret)
{
	if (!b->failed && pb_reserve(b, 0)) {
		b->p[b->len] = '\0';
		*ret = b->p;
		return 0;
	}
	free(b->p);
	return -ENOMEM;
}

/* ---- variables ---- */

static bool profile_value_char_ok(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

bool bw_profile_value_is_safe(const char *s)
{
	for (; s && *s; s++)
		if (!profile_value_char_ok((unsigned char)*s))
			return false;
	return true;
}

static void pb_put_value(struct pbuf *b, const char *v)
{
	for (; v && *v; v++)
		if (profile_value_char_ok((unsigned char)*v))
			pb_putc(b, *v);
}

/* How ${server} expands: as a plain value, or as a URL's host (IPv6 in brackets; when
 * unknown, the loader's own idea of its server). */
struct profile_expand_mode {
	bool url_host;
	const char *unknown_server; /* e.g. "${next-server}" */
};

/* Our value for ${name}; false when name is not one of ours. */
static bool profile_var(const struct bw_profile_env *env, const char *name, size_t n,
			const char **ret)
{
	static const char *const names[] = {"mac", "ip", "hostname", "server", "arch", "uuid"};
	const char *vals[] = {env->mac, env->ip, env->hostname, env->server,
			      env->arch ? bw_arch_name(env->arch) : "", env->uuid};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0) {
			*ret = vals[i];
			return true;
		}
	}
	return false;
}

static void pb_expand_mode(struct pbuf *b, const char *t, const struct bw_profile_env *env,
			   const struct profile_expand_mode *mode)
{
	while (*t) {
		const char *end, *val;

		if (t[0] == '$' && t[1] == '$' && t[2] == '{') {
			pb_puts(b, "${"); /* the escape: a literal ${ */
			t += 3;
			continue;
		}
		if (t[0] == '$' && t[1] == '{' && (end = strchr(t + 2, '}')) &&
		    profile_var(env, t + 2, (size_t)(end - t - 2), &val)) {
			bool server = end - t - 2 == 6 && memcmp(t + 2, "server", 6) == 0;

			if (server && mode && mode->url_host && !val) {
				pb_puts(b, mode->unknown_server);
			} else if (server && mode && mode->url_host && strchr(val, ':')) {
				pb_putc(b, '[');
				pb_put_value(b, val);
				pb_putc(b, ']');
			} else {
				pb_put_value(b, val);
			}
			t = end + 1;
			continue;
		}
		pb_putc(b, *t++);
	}
}

static void pb_expand(struct pbuf *b, const char *t, const struct bw_profile_env *env)
{
	pb_expand_mode(b, t, env, NULL);
}

char *bw_profile_expand(const char *tmpl, const struct bw_profile_env *env)
{
	struct pbuf b = {0};
	char *out;

	pb_puts(&b, "");
	pb_expand(&b, tmpl, env);
	return pb_finish(&b, &out) == 0 ? out : NULL;
}

/* The HTTP base URL (ending in '/') with ${server} filled in; false without one. */
static bool profile_http_base(struct pbuf *b, const struct bw_profile_env *env,
			      const char *unknown_server)
{
	struct profile_expand_mode mode = {.url_host = true, .unknown_server = unknown_server};

	if (!env->http_base || !*env->http_base)
		return false;
	pb_expand_mode(b, env->http_base, env, &mode);
	if (b->len && b->p[b->len - 1] != '/')
		pb_putc(b, '/');
	return true;
}

/* ---- walking menus ---- */

struct profile_seq {
	const struct bw_profile **v;
	unsigned n, cap;
	bool failed;
};

static bool profile_seq_has(const struct profile_seq *s, const struct bw_profile *p)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i] == p)
			return true;
	return false;
}

static void profile_seq_add(struct profile_seq *s, const struct bw_profile *p)
{
	if (profile_seq_has(s, p))
		return;
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 16;
		const struct bw_profile **nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv) {
			s->failed = true;
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = p;
}

/* Every profile reachable from p, p first, each once. leaves_only: menus are walked but
 * not listed. */
static void profile_collect(struct profile_seq *s, const struct bw_profile *p, bool leaves_only,
			    unsigned depth)
{
	if (!p || depth > PROFILE_DEPTH_MAX)
		return;
	if (p->kind != BW_PROFILE_MENU || !leaves_only)
		profile_seq_add(s, p);
	if (p->kind != BW_PROFILE_MENU)
		return;
	for (unsigned k = 0; k < p->n_items; k++)
		if (p->item_p && !profile_seq_has(s, p->item_p[k]))
			profile_collect(s, p->item_p[k], leaves_only, depth + 1);
}

/* The menu's default entry (the first when none was resolved). */
static const struct bw_profile *profile_menu_default(const struct bw_profile *p)
{
	if (p->default_p)
		return p->default_p;
	return p->n_items && p->item_p ? p->item_p[0] : NULL;
}

/* What a menu boots when nobody chooses: its default, followed down nested menus. */
static const struct bw_profile *profile_default_leaf(const struct bw_profile *p)
{
	for (unsigned d = 0; p && p->kind == BW_PROFILE_MENU && d <= PROFILE_DEPTH_MAX; d++)
		p = profile_menu_default(p);
	return p && p->kind != BW_PROFILE_MENU ? p : NULL;
}

static const char *profile_title(const struct bw_profile *p)
{
	return p->title ? p->title : p->name;
}

static bool profile_arch_is_efi(enum bw_arch a)
{
	return a == BW_ARCH_EFI_IA32 || a == BW_ARCH_EFI_X64 || a == BW_ARCH_EFI_ARM32 ||
	       a == BW_ARCH_EFI_ARM64;
}

static const char *profile_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "# bootwire: profile 'x' for 52:54:00:12:34:56 (efi_x64)"; p NULL: chosen by architecture */
static void pb_header(struct pbuf *b, const struct bw_profile *p, const struct bw_profile_env *env)
{
	if (p)
		pb_printf(b, "# bootwire: profile '%s' for ", p->name);
	else
		pb_puts(b, "# bootwire: profile by architecture for ");
	if (env->mac)
		pb_put_value(b, env->mac);
	else
		pb_puts(b, "any machine");
	if (env->arch != BW_ARCH_UNKNOWN)
		pb_printf(b, " (%s)", bw_arch_name(env->arch));
	pb_putc(b, '\n');
}

/* ---- iPXE ---- */

/* Whether initrd i shares its file name with an earlier one (it then gets its own). */
static bool ipxe_initrd_dup(const struct bw_profile *p, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (strcmp(profile_basename(p->initrd[k]), profile_basename(p->initrd[i])) == 0)
			return true;
	return false;
}

static void ipxe_linux(struct pbuf *b, const struct bw_profile *p, const struct bw_profile_env *env)
{
	pb_printf(b, "kernel ${base}%s", p->kernel);
	/* A kernel's EFI stub loads its initrds by the names on its command line, from the
	 * files iPXE offers under each image's name. (Newer iPXE also offers "initrd.magic";
	 * Debian 12's 2019 build does not, so name each one.) */
	for (unsigned i = 0; env->arch != BW_ARCH_BIOS && i < p->n_initrd; i++) {
		if (ipxe_initrd_dup(p, i))
			pb_printf(b, " initrd=initrd%u-%s", i, profile_basename(p->initrd[i]));
		else
			pb_printf(b, " initrd=%s", profile_basename(p->initrd[i]));
	}
	if (p->cmdline) {
		pb_putc(b, ' ');
		pb_expand(b, p->cmdline, env);
	}
	pb_putc(b, '\n');
	for (unsigned i = 0; i < p->n_initrd; i++) {
		/* iPXE keeps one image per name: give repeated file names their own */
		if (ipxe_initrd_dup(p, i))
			pb_printf(b, "initrd --name initrd%u-%s ${base}%s\n", i,
				  profile_basename(p->initrd[i]), p->initrd[i]);
		else
			pb_printf(b, "initrd ${base}%s\n", p->initrd[i]);
	}
	pb_puts(b, "boot\n");
}

/* The template without its "#!ipxe" line, ending in a newline. */
static void ipxe_script(struct pbuf *b, const struct bw_profile *p, const struct bw_profile_env *env)
{
	const char *s = p->script;

	if (strncmp(s, "#!ipxe", 6) == 0) {
		s += strcspn(s, "\n");
		if (*s)
			s++;
	}
	pb_expand(b, s, env);
	if (b->len && b->p[b->len - 1] != '\n')
		pb_putc(b, '\n');
}

static void ipxe_menu(struct pbuf *b, const struct bw_profile *p)
{
	const struct bw_profile *def = profile_menu_default(p);

	pb_printf(b, "menu %s\n", profile_title(p));
	for (unsigned k = 0; k < p->n_items; k++)
		if (p->item_p && p->item_p[k])
			pb_printf(b, "item bw-%s %s\n", p->item_p[k]->name,
				  profile_title(p->item_p[k]));
	pb_puts(b, "choose");
	if (p->timeout_s)
		pb_printf(b, " --timeout %u", p->timeout_s * 1000);
	if (def)
		pb_printf(b, " --default bw-%s", def->name);
	pb_puts(b, " bw-choice || exit\ngoto ${bw-choice}\n");
}

/* One profile's commands. alone: the whole script (no section to leave). */
static void ipxe_section(struct pbuf *b, const struct bw_profile *p,
			 const struct bw_profile_env *env, bool alone)
{
	switch (p->kind) {
	case BW_PROFILE_LINUX:
		ipxe_linux(b, p, env);
		return;
	case BW_PROFILE_IPXE:
		ipxe_script(b, p, env);
		break;
	case BW_PROFILE_CHAIN:
		if (strstr(p->chain, "://")) {
			pb_puts(b, "chain ");
			pb_expand(b, p->chain, env);
			pb_putc(b, '\n');
		} else {
			pb_printf(b, "chain ${base}%s\n", p->chain);
		}
		break;
	case BW_PROFILE_MENU:
		ipxe_menu(b, p);
		return;
	case BW_PROFILE_LOCAL:
		pb_puts(b, "exit\n");
		return;
	}
	if (!alone) /* never fall into the next section */
		pb_puts(b, "exit\n");
}

int bw_profile_render_ipxe(const struct bw_profile *p, const struct bw_profile_env *env,
			   char **ret)
{
	struct profile_seq seq = {0};
	struct pbuf b = {0};

	if (!p)
		p = &bw_profile_local;
	pb_puts(&b, "#!ipxe\n");
	pb_header(&b, p, env);
	pb_puts(&b, "set base ");
	if (!profile_http_base(&b, env, "${next-server}")) {
		pb_puts(&b, "tftp://");
		if (env->server && strchr(env->server, ':')) {
			pb_putc(&b, '[');
			pb_put_value(&b, env->server);
			pb_putc(&b, ']');
		} else if (env->server) {
			pb_put_value(&b, env->server);
		} else {
			pb_puts(&b, "${next-server}");
		}
		pb_putc(&b, '/');
	}
	pb_putc(&b, '\n');
	if (p->kind != BW_PROFILE_MENU) {
		ipxe_section(&b, p, env, true);
		return pb_finish(&b, ret);
	}
	profile_collect(&seq, p, false, 0);
	for (unsigned i = 0; i < seq.n; i++) {
		pb_printf(&b, "\n:bw-%s\n", seq.v[i]->name);
		ipxe_section(&b, seq.v[i], env, false);
	}
	b.failed |= seq.failed;
	free(seq.v);
	return pb_finish(&b, ret);
}

int bw_profile_render_ipxe_stub(enum bw_profile_stub kind, const struct bw_profile_env *env,
				char **ret)
{
	static const char query[] = "boot.ipxe?mac=${netX/mac}&uuid=${uuid}&arch=${buildarch}"
				    "&platform=${platform}&ip=${netX/ip}"
				    "&hostname=${hostname:uristring}";
	struct pbuf b = {0};

	pb_puts(&b, "#!ipxe\n# bootwire: ask again, saying which machine this is\n"
		    "isset ${netX/ip} || dhcp\nchain ");
	if (kind == BW_PROFILE_STUB_TFTP_NAME ||
	    (kind == BW_PROFILE_STUB_HTTP_BASE && !profile_http_base(&b, env, "${next-server}")))
		pb_puts(&b, "boot-${netX/mac:hexhyp}-${platform}-${buildarch}-${uuid}.ipxe");
	else
		pb_puts(&b, query);
	pb_putc(&b, '\n');
	return pb_finish(&b, ret);
}

/* ---- pxelinux ---- */

/* A boot file as pxelinux finds it: relative names get the directory pxelinux.0 came
 * from prepended, "::" names are relative to the TFTP root. */
static void pxe_file(struct pbuf *b, const char *path, const struct bw_profile_env *env)
{
	const char *dir = env->ps ? env->ps->loaders.pxelinux_dir : NULL;

	if (dir && *dir)
		pb_puts(b, "::");
	pb_puts(b, path);
}

static void pxe_entry(struct pbuf *b, const struct bw_profile *p, const struct bw_profile_env *env)
{
	pb_printf(b, "LABEL %s\n", p->name);
	switch (p->kind) {
	case BW_PROFILE_LINUX:
		pb_puts(b, "  LINUX ");
		pxe_file(b, p->kernel, env);
		pb_putc(b, '\n');
		for (unsigned i = 0; i < p->n_initrd; i++) {
			pb_puts(b, i ? "," : "  INITRD ");
			pxe_file(b, p->initrd[i], env);
		}
		if (p->n_initrd)
			pb_putc(b, '\n');
		if (p->cmdline) {
			pb_puts(b, "  APPEND ");
			pb_expand(b, p->cmdline, env);
			pb_putc(b, '\n');
		}
		return;
	case BW_PROFILE_CHAIN:
		if (!strstr(p->chain, "://")) {
			pb_puts(b, "  PXE ");
			pxe_file(b, p->chain, env);
			pb_putc(b, '\n');
			return;
		}
		if (strncmp(p->chain, "tftp://", 7) == 0) {
			pb_puts(b, "  PXE ");
			pb_expand(b, p->chain, env);
			pb_putc(b, '\n');
			return;
		}
		pb_printf(b, "  # bootwire: pxelinux.0 cannot fetch '%s' (only TFTP): "
			     "booting from the local disk instead\n", p->chain);
		break;
	case BW_PROFILE_IPXE:
		pb_puts(b, "  # bootwire: this profile is an iPXE script, which pxelinux cannot run: "
			   "booting from the local disk instead\n");
		break;
	default:
		break;
	}
	pb_puts(b, "  LOCALBOOT 0\n");
}

/* A menu as pxelinux shows it without menu.c32: a boot: prompt listing the choices. Nested
 * menus are flattened: every profile they reach is a choice of its own. */
static void pxe_menu(struct pbuf *b, const struct bw_profile *p, struct profile_seq *leaves)
{
	const struct bw_profile *def = profile_default_leaf(p);

	profile_collect(leaves, p, true, 0);
	pb_printf(b, "PROMPT 1\nTIMEOUT %u\n", p->timeout_s * 10);
	if (def)
		pb_printf(b, "DEFAULT %s\n", def->name);
	pb_printf(b, "SAY %s\n", profile_title(p));
	for (unsigned i = 0; i < leaves->n; i++)
		pb_printf(b, "SAY   %s - %s\n", leaves->v[i]->name, profile_title(leaves->v[i]));
	if (def && p->timeout_s)
		pb_printf(b, "SAY Type a name and press Enter; %s starts in %u seconds.\n",
			  def->name, p->timeout_s);
	else if (def)
		pb_printf(b, "SAY Type a name and press Enter (Enter alone: %s).\n", def->name);
}

int bw_profile_render_pxelinux(const struct bw_profile *p, const struct bw_profile_env *env,
			       char **ret)
{
	struct profile_seq leaves = {0};
	struct pbuf b = {0};

	if (!p)
		p = &bw_profile_local;
	pb_header(&b, p, env);
	if (p->kind == BW_PROFILE_MENU) {
		pxe_menu(&b, p, &leaves);
	} else {
		pb_printf(&b, "PROMPT 0\nDEFAULT %s\n", p->name);
		profile_seq_add(&leaves, p);
	}
	for (unsigned i = 0; i < leaves.n; i++)
		pxe_entry(&b, leaves.v[i], env);
	b.failed |= leaves.failed;
	free(leaves.v);
	return pb_finish(&b, ret);
}

/* ---- GRUB ---- */

/* Writes s so that GRUB's parser gives it back unchanged: double-quoted spans stay quoted
 * (the kernel reads them the same way), everything special is backslash-escaped. */
static void grub_put_cmdline(struct pbuf *b, const char *s)
{
	bool quoted = false;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"') {
			quoted = !quoted;
		} else if (quoted) {
			if (c == '$' || c == '\\')
				pb_putc(b, '\\');
		} else if (c != ' ' && !isalnum(c) && !strchr("-_.,/:=+@%^~", c)) {
			pb_putc(b, '\\');
		}
		pb_putc(b, (char)c);
	}
}

/* 'text' with embedded quotes as '\'' */
static void grub_put_quoted(struct pbuf *b, const char *s)
{
	pb_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			pb_puts(b, "'\\''");
		else
			pb_putc(b, *s);
	}
	pb_putc(b, '\'');
}

/* Where GRUB fetches a boot file: "(http,HOST[:PORT])/PREFIX/path" when HTTP is known (GRUB
 * has no https), else "/path" on the device GRUB came from ($root: tftp, pxe or http). */
static void grub_file(struct pbuf *b, const char *path, const struct bw_profile_env *env)
{
	struct pbuf base = {0};
	const char *host, *slash;

	if (profile_http_base(&base, env, "${net_default_server}") && !base.failed &&
	    strncmp(base.p, "http://", 7) == 0) {
		host = base.p + 7;
		slash = strchr(host, '/');
		if (slash && slash > host) {
			size_t hl = (size_t)(slash - host);

			if (hl > 3 && memcmp(slash - 3, ":80", 3) == 0)
				hl -= 3;
			pb_puts(b, "(http,");
			pb_putn(b, host, hl);
			pb_printf(b, ")%s%s", slash, path);
			free(base.p);
			return;
		}
	}
	free(base.p);
	pb_printf(b, "/%s", path);
}

/* A URL as a GRUB file name: tftp://h/p -> (tftp,h)/p, http://h/p -> (http,h)/p; false for
 * what GRUB cannot fetch. */
static bool grub_url(struct pbuf *b, const char *url, const struct bw_profile_env *env)
{
	char *x = bw_profile_expand(url, env);
	const char *proto = NULL, *host, *slash;
	bool ok = false;

	if (!x) {
		b->failed = true;
		return true;
	}
	if (strncmp(x, "tftp://", 7) == 0)
		proto = "tftp";
	else if (strncmp(x, "http://", 7) == 0)
		proto = "http";
	host = x + 7;
	slash = proto ? strchr(host, '/') : NULL;
	if (slash && slash > host) {
		char *h = strndup(host, (size_t)(slash - host));

		if (!h) {
			b->failed = true;
		} else {
			pb_printf(b, "(%s,", proto);
			grub_put_cmdline(b, h);
			pb_putc(b, ')');
			free(h);
		}
		grub_put_cmdline(b, slash);
		ok = true;
	}
	free(x);
	return ok;
}

static void grub_unable(struct pbuf *b, const char *why)
{
	pb_line(b);
	pb_puts(b, "echo ");
	grub_put_quoted(b, why);
	pb_putc(b, '\n');
	pb_line(b);
	pb_puts(b, "sleep 3\n");
	pb_line(b);
	pb_puts(b, "exit\n");
}

static void grub_chain(struct pbuf *b, const struct bw_profile *p, const struct bw_profile_env *env)
{
	struct pbuf ref = {0};
	bool ok = true;

	if (strstr(p->chain, "://"))
		ok = grub_url(&ref, p->chain, env);
	else
		grub_file(&ref, p->chain, env);
	if (!ok || ref.failed) {
		b->failed |= ref.failed;
		free(ref.p);
		grub_unable(b, "bootwire: GRUB cannot fetch this boot program (tftp:// and http:// "
			       "only); booting from the next device");
		return;
	}
	pb_line(b);
	if (env->arch == BW_ARCH_BIOS)
		pb_printf(b, "pxechainloader %s\n", ref.p);
	else if (profile_arch_is_efi(env->arch))
		pb_printf(b, "chainloader %s\n", ref.p);
	else
		pb_printf(b, "if [ \"$grub_platform\" = \"pc\" ]; then pxechainloader %s; "
			     "else chainloader %s; fi\n", ref.p, ref.p);
	free(ref.p);
}

static void grub_commands(struct pbuf *b, const struct bw_profile *p,
			  const struct bw_profile_env *env)
{
	switch (p->kind) {
	case BW_PROFILE_LINUX:
		pb_line(b);
		pb_puts(b, "linux ");
		grub_file(b, p->kernel, env);
		if (p->cmdline) {
			char *x = bw_profile_expand(p->cmdline, env);

			if (!x) {
				b->failed = true;
				return;
			}
			pb_putc(b, ' ');
			grub_put_cmdline(b, x);
			free(x);
		}
		pb_putc(b, '\n');
		if (!p->n_initrd)
			return;
		pb_line(b);
		pb_puts(b, "initrd");
		for (unsigned i = 0; i < p->n_initrd; i++) {
			pb_putc(b, ' ');
			grub_file(b, p->initrd[i], env);
		}
		pb_putc(b, '\n');
		return;
	case BW_PROFILE_CHAIN:
		grub_chain(b, p, env);
		return;
	case BW_PROFILE_IPXE:
		grub_unable(b, "bootwire: this profile is an iPXE script, which GRUB cannot run; "
			       "booting from the next device");
		return;
	default:
		pb_line(b);
		pb_puts(b, "exit\n");
		return;
	}
}

static void grub_entries(struct pbuf *b, const struct bw_profile *p,
			 const struct bw_profile_env *env, unsigned depth);

static void grub_entry(struct pbuf *b, const struct bw_profile *p,
		       const struct bw_profile_env *env, unsigned depth)
{
	pb_line(b);
	pb_puts(b, p->kind == BW_PROFILE_MENU ? "submenu " : "menuentry ");
	grub_put_quoted(b, profile_title(p));
	pb_printf(b, " --id bw-%s {\n", p->name);
	b->indent++;
	if (p->kind == BW_PROFILE_MENU && depth < PROFILE_DEPTH_MAX)
		grub_entries(b, p, env, depth + 1);
	else
		grub_commands(b, p, env);
	b->indent--;
	pb_line(b);
	pb_puts(b, "}\n");
}

/* A menu's settings and entries, or one entry booted at once. */
static void grub_entries(struct pbuf *b, const struct bw_profile *p,
			 const struct bw_profile_env *env, unsigned depth)
{
	const struct bw_profile *def = p->kind == BW_PROFILE_MENU ? profile_menu_default(p) : p;

	pb_line(b);
	if (p->kind != BW_PROFILE_MENU)
		pb_puts(b, "set timeout=0\n");
	else if (p->timeout_s)
		pb_printf(b, "set timeout=%u\n", p->timeout_s);
	else
		pb_puts(b, "set timeout=-1\n");
	if (def) {
		pb_line(b);
		pb_printf(b, "set default=bw-%s\n", def->name);
	}
	if (p->kind != BW_PROFILE_MENU) {
		grub_entry(b, p, env, depth);
		return;
	}
	for (unsigned k = 0; k < p->n_items; k++)
		if (p->item_p && p->item_p[k])
			grub_entry(b, p->item_p[k], env, depth);
}

/* The test that picks a per-architecture branch. */
static const char *grub_arch_test(enum bw_arch a)
{
	switch (a) {
	case BW_ARCH_BIOS: return "[ \"$grub_platform\" = \"pc\" ]";
	case BW_ARCH_EFI_IA32: return "[ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"i386\" ]";
	case BW_ARCH_EFI_X64: return "[ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"x86_64\" ]";
	case BW_ARCH_EFI_ARM32: return "[ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"arm\" ]";
	case BW_ARCH_EFI_ARM64: return "[ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"arm64\" ]";
	default: return "false";
	}
}

static void grub_case(struct pbuf *b, const struct bw_profile_grub_case *c,
		      const struct bw_profile_env *env)
{
	struct bw_profile_env e = *env;

	e.arch = c->arch;
	if (c->hostname)
		e.hostname = c->hostname;
	grub_entries(b, c->profile ? c->profile : &bw_profile_local, &e, 0);
}

static void grub_redirect(struct pbuf *b)
{
	static const char hx[] = "([0-9a-fA-F][0-9a-fA-F])";

	pb_puts(b, "# a machine bootwire knows has a file of its own, named after its MAC\n"
		   "if [ -n \"$net_default_mac\" ]; then\n\tregexp");
	for (unsigned i = 1; i <= 6; i++)
		pb_printf(b, " --set=%u:bw_m%u", i, i);
	pb_printf(b, " '^%s:%s:%s:%s:%s:%s$' \"$net_default_mac\"\n", hx, hx, hx, hx, hx, hx);
	pb_puts(b, "\tset bw_cfg=\"$prefix/grub.cfg-01-$bw_m1-$bw_m2-$bw_m3-$bw_m4-$bw_m5-$bw_m6\"\n"
		   "\tif [ -f \"$bw_cfg\" ]; then\n\t\tconfigfile \"$bw_cfg\"\n\tfi\nfi\n");
}

int bw_profile_render_grub(const struct bw_profile_grub_case *cases, unsigned n, bool redirect,
			   const struct bw_profile_env *env, char **ret)
{
	struct pbuf b = {0};

	pb_header(&b, n != 1 ? NULL : cases[0].profile ? cases[0].profile : &bw_profile_local,
		  env);
	if (redirect)
		grub_redirect(&b);
	if (n == 1) {
		grub_case(&b, &cases[0], env);
		return pb_finish(&b, ret);
	}
	for (unsigned i = 0; i < n; i++) {
		pb_printf(&b, "%s %s; then\n", i ? "elif" : "if", grub_arch_test(cases[i].arch));
		b.indent = 1;
		grub_case(&b, &cases[i], env);
		b.indent = 0;
	}
	if (n) {
		pb_puts(&b, "else\n");
		b.indent = 1;
		grub_entries(&b, &bw_profile_local, env, 0);
		b.indent = 0;
		pb_puts(&b, "fi\n");
	}
	return pb_finish(&b, ret);
}
