/* The profile folder's own structures: the top-level `profiles`, `machines`,
 * `default_profile` and `loaders` keys (one config section), and the folder-internal
 * interfaces between its files (matching helpers, renderers, query parsing). Services use
 * profile/profile.h only. */
#ifndef BW_PROFILE_CONFIG_H
#define BW_PROFILE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"
#include "profile/profile.h"

#define BW_PROFILE_NAME_MAX 63    /* profile and label names */
#define BW_PROFILE_TITLE_MAX 80
#define BW_PROFILE_MAX 1024       /* profiles in a config */
#define BW_PROFILE_MACHINES_MAX 4096
#define BW_PROFILE_ITEMS_MAX 64   /* entries of one menu, initrds of one kernel */
#define BW_PROFILE_LABELS_MAX 16  /* labels one machine entry gives */
#define BW_PROFILE_CMDLINE_MAX 4096
#define BW_PROFILE_SCRIPT_MAX 65536
#define BW_PROFILE_TIMEOUT_MAX 3600

struct bw_profile {
	char *name;
	char *title;                /* NULL: the name */
	enum bw_profile_kind kind;
	enum bw_loader loader;      /* BW_LOADER_DEFAULT: not set */
	unsigned idx;               /* position in the set (cycle checks, render bookkeeping) */
	/* BW_PROFILE_LINUX: paths relative to boot_root, normalised */
	char *kernel;
	unsigned n_initrd;
	char **initrd;
	char *cmdline;              /* NULL: none */
	/* BW_PROFILE_IPXE */
	char *script;
	/* BW_PROFILE_CHAIN: a tftp/http/https URL or a normalised path */
	char *chain;
	/* BW_PROFILE_MENU */
	unsigned n_items;
	char **items;               /* names, as written */
	const struct bw_profile **item_p; /* resolved by validation */
	char *menu_default;         /* the first item unless the file names another */
	const struct bw_profile *default_p;
	uint32_t timeout_s;         /* 0: wait for a choice */
	/* BW_PROFILE_LOCAL */
	bool local;                 /* as written (only true is valid) */
};

/* The built-in `local` profile: exit to the next boot device. */
extern const struct bw_profile bw_profile_local;

struct bw_profile_machine {
	/* selectors: every one given must match */
	bool has_mac;
	uint8_t mac[6];
	bool has_uuid;
	uint8_t uuid[16];           /* option 97's 16 bytes, in the order sent */
	enum bw_arch arch;      /* BW_ARCH_UNKNOWN: any */
	char *label;                /* NULL: any */
	/* what the entry gives */
	unsigned n_labels;
	char **labels;
	char *profile_name;         /* NULL: none */
	const struct bw_profile *profile;
	char *hostname;
	enum bw_loader loader;
	uint32_t addr;              /* `ip`, host order; 0: none. Only in entries that select
				     * by mac alone: DHCP's reservation for that MAC */
};

enum bw_profile_loader_slot {
	BW_LOADER_SLOT_PXELINUX_BIOS,
	BW_LOADER_SLOT_GRUB_BIOS,
	BW_LOADER_SLOT_GRUB_EFI_IA32,
	BW_LOADER_SLOT_GRUB_EFI_X64,
	BW_LOADER_SLOT_GRUB_EFI_ARM64,
	BW_LOADER_SLOT_GRUB_DIR,
	BW_LOADER_SLOTS,
};

struct bw_profile_loaders {
	char *path[BW_LOADER_SLOTS]; /* normalised, relative to boot_root; NULL: none */
	char *pxelinux_dir;          /* derived: "" or "dir/" (where pxelinux.cfg/ is asked) */
	char *grub_dir;              /* derived: "" or "grub/" (where grub.cfg is asked) */
};

struct bw_profile_list {
	unsigned n;
	struct bw_profile *v;
};

struct bw_profile_machines {
	unsigned n;
	struct bw_profile_machine *v;
};

/* The section struct (what bw_profile_set_of returns). */
struct bw_profile_set {
	struct bw_profile_list profiles;
	struct bw_profile_machines machines;
	char *default_name;          /* NULL or "": none */
	struct bw_profile_loaders loaders;
	const struct bw_profile *def; /* resolved by validation */
};

extern const struct bw_cfg_section bw_profile_cfg_section;

/* ---- helpers shared by the folder (profile_match.c) ---- */

/* A profile by name ("local" is the built-in), or NULL. */
const struct bw_profile *bw_profile_find(const struct bw_profile_set *ps, const char *name);

/* "ipxe", "pxelinux", "grub" and back. */
const char *bw_profile_loader_name(enum bw_loader l);
int bw_profile_loader_parse(const char *s, enum bw_loader *ret);

/* MAC and UUID text: core/netaddr.h's strict parsers and printers, under the names this
 * folder uses (len bytes of s; -EINVAL for anything else). */
static inline int bw_profile_mac_parse(const char *s, size_t len, uint8_t ret[6])
{
	return bw_mac_parse(s, len, ret);
}
static inline int bw_profile_uuid_parse(const char *s, size_t len, uint8_t ret[16])
{
	return bw_uuid_parse(s, len, ret);
}
static inline void bw_profile_mac_str(const uint8_t mac[6], char sep, char out[18])
{
	bw_mac_format(mac, sep, out);
}
static inline void bw_profile_uuid_str(const uint8_t uuid[16], char out[37])
{
	bw_uuid_format(uuid, out);
}
/* Names of profiles and labels: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 63. */
bool bw_profile_name_is_valid(const char *s);
/* Host names: [A-Za-z0-9.-], 1 to 63 characters. */
bool bw_profile_hostname_is_valid(const char *s, size_t len);

/* ---- rendering (profile_render.c) ---- */

/* Who the text is for and where boot files are. Every string is NULL when unknown; the
 * provider fills them from parsed values only (see bw_profile_value_is_safe). */
struct bw_profile_env {
	const struct bw_profile_set *ps; /* loader directories; may be NULL */
	enum bw_arch arch;
	const char *mac;      /* 52:54:00:12:34:56 */
	const char *uuid;     /* 8-4-4-4-12, lower case */
	const char *ip;       /* the machine's address */
	const char *server;   /* our address as the machine reaches it */
	const char *hostname;
	const char *http_base; /* template like "http://${server}:8080/", or NULL: TFTP */
};

/* True when every byte of s is one a substituted value may carry: [A-Za-z0-9._:-]. */
bool bw_profile_value_is_safe(const char *s);

/* Expands ${mac} ${ip} ${hostname} ${server} ${arch} ${uuid} in tmpl (unknown values expand
 * to nothing; `$${` is a literal `${`; any other ${...} is left as it is). Bytes outside
 * [A-Za-z0-9._:-] are dropped from substituted values. Returns a malloc'd string or NULL. */
char *bw_profile_expand(const char *tmpl, const struct bw_profile_env *env);

/* The profile as an iPXE script, a pxelinux config, ... Each returns 0 and a malloc'd
 * NUL-terminated text in *ret, or -ENOMEM. p NULL renders "nothing to boot" (a local boot). */
int bw_profile_render_ipxe(const struct bw_profile *p, const struct bw_profile_env *env,
			   char **ret);
int bw_profile_render_pxelinux(const struct bw_profile *p, const struct bw_profile_env *env,
			       char **ret);

/* One branch of a GRUB config: what a machine of this architecture boots. */
struct bw_profile_grub_case {
	enum bw_arch arch;          /* BW_ARCH_UNKNOWN: any (then n must be 1) */
	const struct bw_profile *profile; /* NULL: nothing to boot */
	const char *hostname;
};

/* A GRUB config: with n > 1, one branch per case chosen by $grub_platform/$grub_cpu (the
 * per-MAC file serves BIOS and UEFI machines alike). redirect: first try the per-MAC file
 * named after $net_default_mac (grub.cfg for GRUB versions or transports that do not look
 * it up themselves). */
int bw_profile_render_grub(const struct bw_profile_grub_case *cases, unsigned n, bool redirect,
			   const struct bw_profile_env *env, char **ret);

enum bw_profile_stub {
	BW_PROFILE_STUB_HTTP_QUERY, /* served over HTTP: chain boot.ipxe?mac=... (relative) */
	BW_PROFILE_STUB_HTTP_BASE,  /* served over TFTP, HTTP known: chain <http_base>boot.ipxe?... */
	BW_PROFILE_STUB_TFTP_NAME,  /* TFTP only: chain boot-<mac>-<platform>-<arch>-<uuid>.ipxe */
};

/* The script served when the machine is not known yet: it makes iPXE ask again with its
 * MAC, architecture and UUID. */
int bw_profile_render_ipxe_stub(enum bw_profile_stub kind, const struct bw_profile_env *env,
				char **ret);

/* ---- requests (profile_vfs.c) ---- */

/* A request's parsed values, with the storage the query points into. */
struct bw_profile_request {
	struct bw_profile_query q;
	uint8_t mac[6];
	uint8_t uuid[16];
	char ip[46];
	char hostname[64];
	char server[46];
};

#define BW_PROFILE_QUERY_MAX 2048 /* longer queries are refused */

/* Parses an HTTP query string (len bytes, no '?'): mac, uuid, arch (ours: bios, efi_x64, ...
 * or iPXE's ${buildarch}: i386, x86_64, arm32, arm64), platform (iPXE's ${platform}: pcbios,
 * efi), ip, hostname. Values are percent-decoded; a value that does not parse (or is empty)
 * leaves its field unknown; unknown keys are ignored; the first of repeated keys counts.
 * -EMSGSIZE when the query is too long. Allocates nothing; ret->q points into ret. */
int bw_profile_query_parse(const char *query, size_t len, struct bw_profile_request *ret);

/* Parses the per-MAC TFTP name's middle part: "<mac-hyphen>[-<platform>-<buildarch>[-<uuid>]]"
 * (what the TFTP stub asks for as boot-<that>.ipxe). -EBADMSG when it is not one. */
int bw_profile_name_parse(const char *s, size_t len, struct bw_profile_request *ret);

#endif
