/* The top-level `profiles`, `machines`, `default_profile` and `loaders` keys: their key
 * tables, value checks, and validation (names referenced, menu cycles, paths). */
#include "profile/profile_config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#define PROFILE_CFG(f) offsetof(struct bw_profile_set, f)
#define PF(f) offsetof(struct bw_profile, f)
#define MF(f) offsetof(struct bw_profile_machine, f)
#define LF(f) offsetof(struct bw_profile_loaders, f)
#define PROFILE_PATH_MAX 1024

/* Indexed like enum bw_loader and enum bw_pxe_arch: the empty first name is "not set". */
static const char *const profile_loader_choices[] = {"", "ipxe", "pxelinux", "grub", NULL};
static const char *const profile_arch_choices[] = {
	"", "bios", "efi_ia32", "efi_x64", "efi_arm32", "efi_arm64", NULL,
};

const struct bw_profile_set *bw_profile_set_of(const struct bw_config *cfg)
{
	const struct bw_profile_set *ps = cfg ? bw_config_get(cfg, &bw_profile_cfg_section) : NULL;

	if (!ps || (!ps->profiles.n && !ps->machines.n && !ps->def))
		return NULL;
	return ps;
}

/* ---- value checks ---- */

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
			if (o + n + 2 > cap || o + n + 2 > PROFILE_PATH_MAX)
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

static int profile_check_path(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (profile_cfg_path(s, out, cap, false) == 0)
		return 1;
	snprintf(why, whycap, "'%s' must be a relative path inside boot_root (no '..', spaces, "
		 "quotes or '$')", s);
	return -1;
}

static int profile_check_loader(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (profile_cfg_path(s, out, cap, true) == 0)
		return 1;
	snprintf(why, whycap, "'%s' must be a relative path inside boot_root, or '' for none", s);
	return -1;
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

static int profile_check_chain(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (profile_cfg_url_ok(s))
		return 0;
	if (!strstr(s, "://") && profile_cfg_path(s, out, cap, false) == 0)
		return 1;
	snprintf(why, whycap, "'%s' must be a tftp://, http:// or https:// URL, or a relative "
		 "path inside boot_root", s);
	return -1;
}

static int profile_check_title(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	size_t n = strlen(s);

	for (const char *p = s; n && n <= BW_PROFILE_TITLE_MAX && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			n = 0;
	if (n && n <= BW_PROFILE_TITLE_MAX)
		return 0;
	snprintf(why, whycap, "1 to %u printable characters on one line", BW_PROFILE_TITLE_MAX);
	return -1;
}

/* The command line goes verbatim into iPXE scripts and pxelinux configs, so it must be one
 * line, and no word may read as an iPXE operator or comment. */
static int profile_check_cmdline(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	unsigned quotes = 0;

	if (strlen(s) > BW_PROFILE_CMDLINE_MAX) {
		snprintf(why, whycap, "longer than %u characters", BW_PROFILE_CMDLINE_MAX);
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(why, whycap, "must be one line of printable characters");
			return -1;
		}
		quotes += *p == '"';
	}
	if (quotes % 2) {
		snprintf(why, whycap, "has an unbalanced double quote");
		return -1;
	}
	for (const char *p = s; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && (p[0] == '#' || (n == 2 && (!strncmp(p, "||", 2) || !strncmp(p, "&&", 2))) ||
			  (n == 1 && p[0] == ';'))) {
			snprintf(why, whycap, "the word '%.*s' would be an operator or a comment in "
				 "iPXE", (int)(n > 32 ? 32 : n), p);
			return -1;
		}
		p += n;
	}
	return 0;
}

static int profile_check_script(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	bool ok = strlen(s) <= BW_PROFILE_SCRIPT_MAX;

	for (const char *p = s; ok && *p; p++)
		ok = ((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t') && *p != 0x7f;
	if (ok)
		return 0;
	snprintf(why, whycap, "must be text (printable characters, tabs and newlines), at most %u "
		 "bytes", BW_PROFILE_SCRIPT_MAX);
	return -1;
}

static int profile_check_name(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (bw_profile_name_is_valid(s))
		return 0;
	snprintf(why, whycap, "'%s' is not a valid name (letters, digits, '_', '.', '-'; at "
		 "most %u)", s, BW_PROFILE_NAME_MAX);
	return -1;
}

/* A name under `profiles`. */
static int profile_check_pname(const char *s, char *out, size_t cap, char *why, size_t whycap)
{
	if (!bw_profile_name_is_valid(s))
		snprintf(why, whycap, "'%s' is not a valid profile name (letters, digits, '_', "
			 "'.', '-'; at most %u)", s, BW_PROFILE_NAME_MAX);
	else if (strcmp(s, bw_profile_local.name) == 0)
		snprintf(why, whycap, "'local' is built in (exit to the next boot device); give "
			 "yours another name");
	else
		return 0;
	return -1;
}

static int profile_check_hostname(const char *s, char *out, size_t cap, char *why,
				  size_t whycap)
{
	if (bw_profile_hostname_is_valid(s, strlen(s)))
		return 0;
	snprintf(why, whycap, "'%s' must be 1 to 63 letters, digits, '.' or '-'", s);
	return -1;
}

/* ---- profiles ---- */

enum {
	PK_TITLE, PK_LOADER, PK_KERNEL, PK_INITRD, PK_CMDLINE, PK_SCRIPT, PK_CHAIN, PK_MENU,
	PK_DEFAULT, PK_TIMEOUT, PK_LOCAL, PK_N
};

static const struct bw_cfg_key profile_keys[PK_N] = {
	[PK_TITLE] = {.name = "title", .type = BW_CFG_STR, .off = PF(title),
		      .check = profile_check_title, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
		      .doc = "What menus show for this profile."},
	[PK_LOADER] = {.name = "loader", .type = BW_CFG_ENUM, .off = PF(loader),
		       .choices = profile_loader_choices, .flags = BW_CFG_OPTIONAL,
		       .reload_safe = true, .doc = "ipxe, pxelinux or grub: the boot program."},
	[PK_KERNEL] = {.name = "kernel", .type = BW_CFG_STR, .off = PF(kernel),
		       .check = profile_check_path, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
		       .doc = "Linux: the kernel, relative to boot_root."},
	[PK_INITRD] = {.name = "initrd", .type = BW_CFG_STR_LIST, .off = PF(initrd),
		       .off2 = PF(n_initrd), .max = BW_PROFILE_ITEMS_MAX,
		       .check = profile_check_path, .reload_safe = true,
		       .doc = "Linux: initrds, loaded in order."},
	[PK_CMDLINE] = {.name = "cmdline", .type = BW_CFG_STR, .off = PF(cmdline),
			.check = profile_check_cmdline, .flags = BW_CFG_OPTIONAL,
			.reload_safe = true, .doc = "Linux: the kernel command line."},
	[PK_SCRIPT] = {.name = "script", .type = BW_CFG_STR, .off = PF(script),
		       .check = profile_check_script, .flags = BW_CFG_OPTIONAL,
		       .reload_safe = true, .doc = "An iPXE script template."},
	[PK_CHAIN] = {.name = "chain", .type = BW_CFG_STR, .off = PF(chain),
		      .check = profile_check_chain, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
		      .doc = "Another boot program: a URL or a path."},
	[PK_MENU] = {.name = "menu", .type = BW_CFG_STR_LIST, .off = PF(items),
		     .off2 = PF(n_items), .min = 1, .max = BW_PROFILE_ITEMS_MAX,
		     .check = profile_check_name, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
		     .doc = "A menu of these profiles."},
	[PK_DEFAULT] = {.name = "default", .type = BW_CFG_STR, .off = PF(menu_default),
			.reload_safe = true, .doc = "Menu: the entry chosen when nobody chooses."},
	[PK_TIMEOUT] = {.name = "timeout", .type = BW_CFG_UINT, .off = PF(timeout_s),
			.max = BW_PROFILE_TIMEOUT_MAX, .def = "10",
			.expect = "seconds from 0 (wait for a choice) to 3600", .reload_safe = true,
			.doc = "Menu: seconds before the default starts."},
	[PK_LOCAL] = {.name = "local", .type = BW_CFG_BOOL, .off = PF(local), .reload_safe = true,
		      .doc = "true: exit to the next boot device."},
};

/* The keys that make a profile's kind (exactly one is given). */
static const struct {
	unsigned key;
	enum bw_profile_kind kind;
} profile_kinds[] = {
	{PK_KERNEL, BW_PROFILE_LINUX}, {PK_SCRIPT, BW_PROFILE_IPXE}, {PK_CHAIN, BW_PROFILE_CHAIN},
	{PK_MENU, BW_PROFILE_MENU},    {PK_LOCAL, BW_PROFILE_LOCAL},
};

/* Keys of one kind only. */
static const struct {
	unsigned key;
	enum bw_profile_kind kind;
	const char *name;
} profile_kind_only[] = {
	{PK_INITRD, BW_PROFILE_LINUX, "kernel"},
	{PK_CMDLINE, BW_PROFILE_LINUX, "kernel"},
	{PK_DEFAULT, BW_PROFILE_MENU, "menu"},
	{PK_TIMEOUT, BW_PROFILE_MENU, "menu"},
};

static const void *profile_field(const struct bw_profile *p, unsigned key)
{
	return (const char *)p + profile_keys[key].off;
}

static int profile_kind(struct bw_cfg_ctx *ctx, const char *path, struct bw_profile *p)
{
	int first = -1;

	for (unsigned i = 0; i < sizeof(profile_kinds) / sizeof(profile_kinds[0]); i++) {
		const void *f = profile_field(p, profile_kinds[i].key);

		if (!bw_cfg_given(ctx, f))
			continue;
		if (first >= 0) {
			bw_cfg_error_at(ctx, f, "%s: '%s' and '%s' cannot be combined: a profile "
					"is one kind", path,
					profile_keys[profile_kinds[first].key].name,
					profile_keys[profile_kinds[i].key].name);
			return -1;
		}
		first = (int)i;
	}
	if (first < 0) {
		bw_cfg_error_item(ctx, p, "%s: says nothing to boot: give kernel, script, chain, "
				  "menu or local: true", path);
		return -1;
	}
	p->kind = profile_kinds[first].kind;
	return 0;
}

static int profile_validate_kind(struct bw_cfg_ctx *ctx, const char *path, struct bw_profile *p)
{
	for (unsigned i = 0; i < sizeof(profile_kind_only) / sizeof(profile_kind_only[0]); i++) {
		const void *f = profile_field(p, profile_kind_only[i].key);

		if (bw_cfg_given(ctx, f) && p->kind != profile_kind_only[i].kind) {
			bw_cfg_error_at(ctx, f, "%s.%s: only for %s profiles", path,
					profile_keys[profile_kind_only[i].key].name,
					profile_kind_only[i].name);
			return -1;
		}
	}
	if (p->kind == BW_PROFILE_LOCAL && !p->local) {
		bw_cfg_error_at(ctx, &p->local, "%s.local: only `local: true` makes sense here, "
				"got 'false'", path);
		return -1;
	}
	return 0;
}

static int profile_validate_one(struct bw_cfg_ctx *ctx, const char *path, void *items,
				unsigned i)
{
	struct bw_profile *p = (struct bw_profile *)items + i;

	if (profile_kind(ctx, path, p) < 0 || profile_validate_kind(ctx, path, p) < 0)
		return -1;
	p->idx = i;
	if (p->kind != BW_PROFILE_MENU)
		return 0;
	p->item_p = calloc(p->n_items, sizeof(*p->item_p));
	if (!p->item_p || (!p->menu_default && bw_cfg_set_str(ctx, &p->menu_default,
							      p->items[0]) < 0)) {
		bw_cfg_error_item(ctx, p, "out of memory");
		return -1;
	}
	return 0;
}

static void profile_done(void *item)
{
	struct bw_profile *p = item;

	free(p->item_p);
	p->item_p = NULL;
}

static bool profile_shown(const void *item, const struct bw_cfg_key *k)
{
	const struct bw_profile *p = item;

	if (k == &profile_keys[PK_LOCAL])
		return p->kind == BW_PROFILE_LOCAL;
	for (unsigned i = 0; i < sizeof(profile_kind_only) / sizeof(profile_kind_only[0]); i++)
		if (k == &profile_keys[profile_kind_only[i].key])
			return p->kind == profile_kind_only[i].kind;
	return true;
}

static const struct bw_cfg_record profile_rec = {
	.keys = profile_keys,
	.n_keys = PK_N,
	.size = sizeof(struct bw_profile),
	.name_off = PF(name),
	.validate = profile_validate_one,
	.done = profile_done,
	.shown = profile_shown,
};

/* ---- machines ---- */

static int machine_validate(struct bw_cfg_ctx *ctx, const char *path, void *items, unsigned i)
{
	struct bw_profile_machine *m = (struct bw_profile_machine *)items + i;

	if (!m->has_mac && !m->has_uuid && m->arch == BW_ARCH_UNKNOWN && !m->label) {
		bw_cfg_error_item(ctx, m, "%s: each entry needs a selector: mac, uuid, arch or "
				  "label (default_profile is for every other machine)", path);
		return -1;
	}
	if (m->label && m->n_labels) {
		bw_cfg_error_at(ctx, &m->labels, "%s: an entry that selects by label cannot give "
				"labels (labels come from entries with mac, uuid or arch)", path);
		return -1;
	}
	if (m->addr && (!m->has_mac || m->has_uuid || m->arch != BW_ARCH_UNKNOWN || m->label)) {
		bw_cfg_error_at(ctx, &m->addr, "%s.ip: an entry with ip selects its machine by mac "
				"alone (no uuid, arch or label): the address is the machine's, "
				"whatever it boots", path);
		return -1;
	}
	if (!m->n_labels && !m->profile_name && !m->hostname && m->loader == BW_LOADER_DEFAULT &&
	    !m->addr) {
		bw_cfg_error_item(ctx, m, "%s: this entry gives nothing: set profile, labels, "
				  "hostname, loader or ip", path);
		return -1;
	}
	return 0;
}

static const struct bw_cfg_key machine_keys[] = {
	{.name = "mac", .type = BW_CFG_MAC, .off = MF(mac), .off2 = MF(has_mac),
	 .flags = BW_CFG_OPTIONAL, .reload_safe = true, .doc = "Selector: the MAC address."},
	{.name = "uuid", .type = BW_CFG_UUID, .off = MF(uuid), .off2 = MF(has_uuid),
	 .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "Selector: the UUID (DHCP option 97's bytes in the order sent)."},
	{.name = "arch", .type = BW_CFG_ENUM, .off = MF(arch), .choices = profile_arch_choices,
	 .flags = BW_CFG_OPTIONAL, .reload_safe = true, .doc = "Selector: the architecture."},
	{.name = "label", .type = BW_CFG_STR, .off = MF(label), .check = profile_check_name,
	 .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "Selector: machines carrying this label."},
	{.name = "labels", .type = BW_CFG_STR_LIST, .off = MF(labels), .off2 = MF(n_labels),
	 .max = BW_PROFILE_LABELS_MAX, .check = profile_check_name, .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true, .doc = "Labels given to the machines matched."},
	{.name = "profile", .type = BW_CFG_STR, .off = MF(profile_name), .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true, .doc = "The profile these machines boot."},
	{.name = "hostname", .type = BW_CFG_STR, .off = MF(hostname),
	 .check = profile_check_hostname, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "${hostname} for these machines; DHCP option 12 with ip."},
	{.name = "ip", .type = BW_CFG_IPV4, .off = MF(addr), .flags = BW_CFG_OPTIONAL,
	 .reload_safe = true,
	 .doc = "The machine's fixed DHCP address (server mode; the entry selects by mac alone)."},
	{.name = "loader", .type = BW_CFG_ENUM, .off = MF(loader),
	 .choices = profile_loader_choices, .flags = BW_CFG_OPTIONAL, .reload_safe = true,
	 .doc = "ipxe, pxelinux or grub: wins over the profile's."},
};

static const struct bw_cfg_record machine_rec = {
	.keys = machine_keys,
	.n_keys = sizeof(machine_keys) / sizeof(machine_keys[0]),
	.size = sizeof(struct bw_profile_machine),
	.validate = machine_validate,
};

/* ---- loaders ---- */

/* '' means none. */
static int loaders_validate(struct bw_cfg_ctx *ctx, const char *path, void *items, unsigned i)
{
	struct bw_profile_loaders *l = items;

	for (unsigned k = 0; k < BW_LOADER_SLOTS; k++)
		if (l->path[k] && !*l->path[k])
			bw_cfg_set_str(ctx, &l->path[k], NULL);
	return 0;
}

static void loaders_done(void *item)
{
	struct bw_profile_loaders *l = item;

	free(l->pxelinux_dir);
	free(l->grub_dir);
	l->pxelinux_dir = l->grub_dir = NULL;
}

#define LOADER_KEY(n, slot, dflt, d)                                                              \
	{.name = n, .type = BW_CFG_STR, .off = LF(path[slot]), .check = profile_check_loader,     \
	 .def = dflt, .reload_safe = true, .doc = d}

/* The defaults match `grub-mknetdir --net-directory=BOOT_ROOT --subdir=grub`. */
static const struct bw_cfg_key loader_keys[] = {
	LOADER_KEY("pxelinux_bios", BW_LOADER_SLOT_PXELINUX_BIOS, "pxelinux.0",
		   "pxelinux.0 for BIOS machines."),
	LOADER_KEY("grub_bios", BW_LOADER_SLOT_GRUB_BIOS, "grub/i386-pc/core.0",
		   "GRUB for BIOS machines."),
	LOADER_KEY("grub_efi_ia32", BW_LOADER_SLOT_GRUB_EFI_IA32, "grub/i386-efi/core.efi",
		   "GRUB for UEFI IA32 machines."),
	LOADER_KEY("grub_efi_x64", BW_LOADER_SLOT_GRUB_EFI_X64, "grub/x86_64-efi/core.efi",
		   "GRUB for UEFI x86-64 machines."),
	LOADER_KEY("grub_efi_arm64", BW_LOADER_SLOT_GRUB_EFI_ARM64, "grub/arm64-efi/core.efi",
		   "GRUB for UEFI ARM64 machines."),
	LOADER_KEY("grub_dir", BW_LOADER_SLOT_GRUB_DIR, "grub", "GRUB's $prefix, where grub.cfg is."),
};

static const struct bw_cfg_record loader_rec = {
	.keys = loader_keys,
	.n_keys = sizeof(loader_keys) / sizeof(loader_keys[0]),
	.size = sizeof(struct bw_profile_loaders),
	.validate = loaders_validate,
	.done = loaders_done,
};

/* ---- validation ---- */

/* A profile of that name was written but refused (its own errors say why). */
static bool profile_was_refused(const struct bw_cfg_ctx *ctx, const struct bw_profile_set *ps,
				const char *name)
{
	return bw_cfg_rejected(ctx, &ps->profiles.v, name);
}

static void profile_validate_menus(struct bw_cfg_ctx *ctx, struct bw_profile_set *ps)
{
	for (unsigned i = 0; i < ps->profiles.n; i++) {
		struct bw_profile *p = &ps->profiles.v[i];
		bool found = false;

		if (p->kind != BW_PROFILE_MENU)
			continue;
		p->default_p = NULL;
		for (unsigned k = 0; k < p->n_items; k++) {
			p->item_p[k] = bw_profile_find(ps, p->items[k]);
			if (!p->item_p[k] && !profile_was_refused(ctx, ps, p->items[k]))
				bw_cfg_error_at(ctx, &p->items[k], "profiles.%s.menu: no profile "
						"named '%s'", p->name, p->items[k]);
			for (unsigned j = 0; j < k; j++)
				if (strcmp(p->items[j], p->items[k]) == 0)
					bw_cfg_error_at(ctx, &p->items[k], "profiles.%s.menu: "
							"'%s' is listed twice", p->name,
							p->items[k]);
			if (!found && strcmp(p->items[k], p->menu_default) == 0) {
				p->default_p = p->item_p[k];
				found = true;
			}
		}
		if (!found)
			bw_cfg_error_at(ctx, &p->menu_default, "profiles.%s.default: '%s' is not "
					"one of its menu entries", p->name, p->menu_default);
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

	if (!state || !path)
		bw_cfg_error_at(ctx, NULL, "out of memory");
	for (unsigned i = 0; state && path && i < ps->profiles.n; i++) {
		char chain[512] = "";
		unsigned start = 0;
		int end = profile_menu_cycle(&ps->profiles.v[i], state, path, 0);

		if (end < 0)
			continue;
		while (path[start] != path[end])
			start++;
		for (unsigned k = start; k <= (unsigned)end; k++)
			snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s%s",
				 k > start ? " -> " : "", path[k]->name);
		bw_cfg_error_item(ctx, path[start], "profiles.%s.menu: menus contain each other in "
				  "a cycle: %s", path[start]->name, chain);
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
		if (m->profile_name && !(m->profile = bw_profile_find(ps, m->profile_name)) &&
		    !profile_was_refused(ctx, ps, m->profile_name))
			bw_cfg_error_at(ctx, &m->profile_name, "machines.profile: no profile named "
					"'%s'", m->profile_name);
	}
	if (ps->default_name && !*ps->default_name)
		bw_cfg_set_str(ctx, &ps->default_name, NULL);
	ps->def = NULL;
	if (ps->default_name && !(ps->def = bw_profile_find(ps, ps->default_name)) &&
	    !profile_was_refused(ctx, ps, ps->default_name))
		bw_cfg_error_at(ctx, &ps->default_name, "default_profile: no profile named '%s'",
				ps->default_name);
}

/* One entry per MAC and architecture: a second one is a forgotten copy (merge them), and
 * which of the two gives the profile would depend on their order. */
static void profile_validate_macs(struct bw_cfg_ctx *ctx, const struct bw_profile_set *ps)
{
	const struct bw_profile_machine *v = ps->machines.v;
	char mac[BW_MAC_STRLEN];

	for (unsigned i = 0; i < ps->machines.n; i++) {
		for (unsigned k = 0; v[i].has_mac && k < i; k++) {
			if (!v[k].has_mac || memcmp(v[k].mac, v[i].mac, 6) ||
			    v[k].arch != v[i].arch)
				continue;
			bw_mac_format(v[i].mac, ':', mac);
			bw_cfg_error_at(ctx, &v[i].mac, "machines.mac: %s is already selected by "
					"the entry at line %u (one entry per machine and "
					"architecture)", mac, bw_cfg_item_line(ctx, &v[k]));
			break;
		}
	}
}

/* No address belongs to two machines (DHCP could give it to only one of them). */
static void profile_validate_addrs(struct bw_cfg_ctx *ctx, const struct bw_profile_set *ps)
{
	const struct bw_profile_machine *v = ps->machines.v;
	char a[BW_IPV4_STRLEN];

	for (unsigned i = 0; i < ps->machines.n; i++) {
		for (unsigned k = 0; v[i].addr && k < i; k++) {
			if (v[k].addr != v[i].addr)
				continue;
			bw_ipv4_format(v[i].addr, a);
			bw_cfg_error_at(ctx, &v[i].addr, "machines.ip: %s is already the address of "
					"the entry at line %u", a, bw_cfg_item_line(ctx, &v[k]));
			break;
		}
	}
}

/* ${hostname} in s, not the literal $${hostname}. */
static bool profile_text_has_hostname(const char *s)
{
	for (const char *p = s; s && (p = strstr(p, "${hostname}")); p++)
		if (p == s || p[-1] != '$')
			return true;
	return false;
}

/* p, or a profile its menus lead to, whose cmdline uses ${hostname}; NULL when none.
 * Menus are walked once each (state: 0 unseen, 1 on the walk, 2 done, with the answer in
 * want), so menus in a cycle (reported elsewhere) end the walk. */
static const struct bw_profile *profile_wanting_hostname(const struct bw_profile *p,
							 unsigned char *state,
							 const struct bw_profile **want)
{
	const struct bw_profile *r = NULL;

	if (!p || p->kind == BW_PROFILE_LINUX)
		return p && profile_text_has_hostname(p->cmdline) ? p : NULL;
	if (p->kind != BW_PROFILE_MENU || state[p->idx] == 1)
		return NULL;
	if (state[p->idx] == 2)
		return want[p->idx];
	state[p->idx] = 1;
	for (unsigned k = 0; !r && k < p->n_items; k++)
		r = profile_wanting_hostname(p->item_p[k], state, want);
	state[p->idx] = 2;
	want[p->idx] = r;
	return r;
}

/* Whether entry e may give m's machine a hostname: it sets one, and no selector of e rules
 * m's machine out. */
static bool machine_names(const struct bw_profile_machine *e, const struct bw_profile_machine *m)
{
	return e->hostname && (!e->has_mac || (m->has_mac && !memcmp(e->mac, m->mac, 6))) &&
	       (!e->has_uuid || (m->has_uuid && !memcmp(e->uuid, m->uuid, 16))) &&
	       (!e->arch || !m->arch || e->arch == m->arch);
}

static void profile_hostname_error(struct bw_cfg_ctx *ctx, const struct bw_profile_machine *m,
				   const struct bw_profile *p)
{
	if (p == m->profile)
		bw_cfg_error_at(ctx, &m->profile_name, "machines.profile: '%s' uses ${hostname} in "
				"its cmdline, but no entry gives this machine a hostname", p->name);
	else
		bw_cfg_error_at(ctx, &m->profile_name, "machines.profile: '%s' leads to '%s', "
				"whose cmdline uses ${hostname}, but no entry gives this machine a "
				"hostname", m->profile->name, p->name);
}

/* A machine picked out by MAC or UUID that boots a command line with ${hostname} gets a
 * hostname from some entry (else the kernel sees the name the firmware reports, if any).
 * Entries for groups (arch, label) are not judged. */
static void profile_validate_hostnames(struct bw_cfg_ctx *ctx, const struct bw_profile_set *ps)
{
	unsigned char *state = calloc(ps->profiles.n + 1, 1);
	const struct bw_profile **want = calloc(ps->profiles.n + 1, sizeof(*want));

	if (!state || !want)
		bw_cfg_error_at(ctx, NULL, "out of memory");
	for (unsigned i = 0; state && want && i < ps->machines.n; i++) {
		const struct bw_profile_machine *m = &ps->machines.v[i];
		const struct bw_profile *p = NULL;
		bool named = false;

		if (m->has_mac || m->has_uuid)
			p = profile_wanting_hostname(m->profile, state, want);
		for (unsigned k = 0; p && !named && k < ps->machines.n; k++)
			named = machine_names(&ps->machines.v[k], m);
		if (p && !named)
			profile_hostname_error(ctx, m, p);
	}
	free(state);
	free(want);
}

/* "a/b/c" -> "a/b/", "c" -> "", a directory "a/b" -> "a/b/", none -> "" */
static char *profile_dir_of(const char *path, bool is_dir)
{
	const char *slash;
	char *s;

	if (!path)
		return strdup("");
	if (is_dir)
		return asprintf(&s, "%s/", path) < 0 ? NULL : s;
	slash = strrchr(path, '/');
	return slash ? strndup(path, (size_t)(slash - path) + 1) : strdup("");
}

/* Warns (never fails) about boot files that are not in boot_root: a missing kernel is a
 * "not found" for the machines booting it, not a reason to refuse the config. */
static void profile_warn_missing(struct bw_cfg_ctx *ctx, const struct bw_profile_set *ps,
				 const struct bw_config *cfg)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);

	for (unsigned i = 0; core && core->boot_root && i < ps->profiles.n; i++) {
		const struct bw_profile *p = &ps->profiles.v[i];
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
				       cfg->file ? cfg->file : "config", bw_cfg_item_line(ctx, p),
				       p->name, files[k]);
		}
	}
}

static void profile_cfg_validate(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	struct bw_profile_set *ps = p;
	struct bw_profile_loaders *l = &ps->loaders;

	profile_validate_menus(ctx, ps);
	profile_validate_cycles(ctx, ps);
	profile_validate_machines(ctx, ps);
	profile_validate_macs(ctx, ps);
	profile_validate_addrs(ctx, ps);
	if (bw_cfg_strict(ctx)) /* the name may come from the request (query, DHCP) */
		profile_validate_hostnames(ctx, ps);
	loaders_done(l);
	l->pxelinux_dir = profile_dir_of(l->path[BW_LOADER_SLOT_PXELINUX_BIOS], false);
	l->grub_dir = profile_dir_of(l->path[BW_LOADER_SLOT_GRUB_DIR], true);
	if (!l->pxelinux_dir || !l->grub_dir)
		bw_cfg_error_at(ctx, NULL, "out of memory");
	if (bw_cfg_n_errors(ctx) == 0)
		profile_warn_missing(ctx, ps, cfg);
}

/* ---- host checks ---- */

static bool profile_loader_used(const struct bw_profile_set *ps, enum bw_loader l)
{
	for (unsigned i = 0; i < ps->profiles.n; i++)
		if (ps->profiles.v[i].loader == l)
			return true;
	for (unsigned i = 0; i < ps->machines.n; i++)
		if (ps->machines.v[i].loader == l)
			return true;
	return false;
}

/* The boot programs of the loaders some profile or machine uses are in boot_root and
 * readable by `user`: an error for a path the file names, a warning for a default. */
static void profile_cfg_check_host(struct bw_cfg_ctx *ctx, void *p, const struct bw_config *cfg)
{
	const struct bw_profile_set *ps = p;
	bool pxelinux = profile_loader_used(ps, BW_LOADER_PXELINUX);
	bool grub = profile_loader_used(ps, BW_LOADER_GRUB);

	for (unsigned i = 0; i < BW_LOADER_SLOTS; i++) {
		char *const *f = &ps->loaders.path[i];
		char path[40];

		if (i == BW_LOADER_SLOT_PXELINUX_BIOS ? !pxelinux : !grub)
			continue;
		snprintf(path, sizeof(path), "loaders.%s", loader_keys[i].name);
		bw_cfg_check_file(ctx, cfg, f, path, *f, i == BW_LOADER_SLOT_GRUB_DIR,
				  !bw_cfg_given(ctx, f));
	}
}

static const struct bw_cfg_key profile_cfg_keys[] = {
	{.name = "profiles", .type = BW_CFG_MAP, .off = PROFILE_CFG(profiles.v),
	 .off2 = PROFILE_CFG(profiles.n), .max = BW_PROFILE_MAX, .rec = &profile_rec,
	 .check = profile_check_pname, .reload_safe = true, .doc = "What machines boot, by name."},
	{.name = "machines", .type = BW_CFG_LIST, .off = PROFILE_CFG(machines.v),
	 .off2 = PROFILE_CFG(machines.n), .max = BW_PROFILE_MACHINES_MAX, .rec = &machine_rec,
	 .reload_safe = true, .doc = "Which machine boots which profile (first match wins)."},
	{.name = "default_profile", .type = BW_CFG_STR, .off = PROFILE_CFG(default_name),
	 .reload_safe = true, .doc = "The profile of machines no entry gives one."},
	{.name = "loaders", .type = BW_CFG_RECORD, .off = PROFILE_CFG(loaders), .rec = &loader_rec,
	 .reload_safe = true, .doc = "Boot programs of the pxelinux and grub loaders."},
};

const struct bw_cfg_section bw_profile_cfg_section = {
	.name = NULL,
	.keys = profile_cfg_keys,
	.n_keys = sizeof(profile_cfg_keys) / sizeof(profile_cfg_keys[0]),
	.size = sizeof(struct bw_profile_set),
	.validate = profile_cfg_validate,
	.check_host = profile_cfg_check_host,
};
