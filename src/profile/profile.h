/* Boot profiles and machines: what each machine boots, chosen by MAC, UUID, architecture or
 * label, and rendered for every boot loader (iPXE script, pxelinux config, GRUB config).
 * Built from the config (`profiles`, `machines`, `default_profile`); immutable while the
 * services run, so the HTTP thread and the loop may read it at once. */
#ifndef BW_PROFILE_H
#define BW_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/config.h"
#include "core/vfs.h"

enum bw_loader {
	BW_LOADER_DEFAULT = 0, /* not set: the profile's, else iPXE */
	BW_LOADER_IPXE,
	BW_LOADER_PXELINUX,
	BW_LOADER_GRUB,
};

enum bw_profile_kind {
	BW_PROFILE_LINUX,  /* kernel, initrd list, cmdline */
	BW_PROFILE_IPXE,   /* an iPXE script template */
	BW_PROFILE_CHAIN,  /* a URL or file of another boot program */
	BW_PROFILE_MENU,   /* several profiles, a default and a timeout */
	BW_PROFILE_LOCAL,  /* exit to the next boot device */
};

struct bw_profile;     /* defined in profile_config.h */
struct bw_profile_set; /* every profile and machine of a config */

/* Who is asking. Every field may be unknown (NULL / BW_ARCH_UNKNOWN). */
struct bw_profile_query {
	const uint8_t *mac;    /* 6 bytes */
	const uint8_t *uuid;   /* 16 bytes */
	enum bw_arch arch;
	const char *ip;        /* the machine's address, dotted */
	const char *server;    /* our address as the machine reaches it, dotted */
	const char *hostname;  /* what the machine calls itself (query, DHCP); a machine entry's
				* hostname wins over it */
};

struct bw_profile_choice {
	const struct bw_profile *profile;
	const char *name;       /* the profile's name, for logs */
	enum bw_loader loader;  /* never BW_LOADER_DEFAULT */
	const char *hostname;   /* from the machine entry, or NULL */
	bool matched;           /* a machine entry matched (false: only default_profile applied) */
};

/* Whether ps decides what machines boot: it declares a profile or a default_profile, or a
 * machine entry names one (the built-in `local`). A set of machine entries that only give
 * addresses, names or labels leaves the boot to dhcp.boot_files. ps may be NULL. */
bool bw_profile_set_chooses_boot(const struct bw_profile_set *ps);

/* The profiles of a loaded config (NULL when it declares none). */
const struct bw_profile_set *bw_profile_set_of(const struct bw_config *cfg);

/* The first machine entry matching q (in file order) that gives a profile, else
 * default_profile. Every selector of an entry must match; labels come from all entries that
 * match by MAC, UUID or arch; hostname and loader from the first matching entry that sets
 * them (loader: else the profile's, else iPXE). -ENOENT when no profile applies (then the
 * machine gets no boot). Pure; safe from any thread. */
int bw_profile_resolve(const struct bw_profile_set *ps, const struct bw_profile_query *q,
		       struct bw_profile_choice *ret);

/* A machine's own address: a `machines` entry with `ip` (such an entry selects by mac
 * alone). DHCP in server mode treats it as a reservation for that MAC. */
struct bw_profile_address {
	const uint8_t *mac;       /* 6 bytes */
	uint32_t addr;            /* host byte order, never 0 */
	const char *hostname;     /* the same entry's hostname (DHCP option 12), or NULL */
	const uint32_t *field;    /* where the config holds the address, for bw_cfg_error_at */
};

/* The address the machine entries give mac: 0 and *ret, or -ENOENT. Pure. */
int bw_profile_machine_address(const struct bw_profile_set *ps, const uint8_t mac[6],
			       struct bw_profile_address *ret);
/* Walks the entries that give an address, in file order: start with *pos = 0; each call
 * fills *ret and returns true, false after the last (ps NULL: none). */
bool bw_profile_next_address(const struct bw_profile_set *ps, unsigned *pos,
			     struct bw_profile_address *ret);

/* The boot program a firmware should be steered to for loader and arch, relative to
 * boot_root (e.g. "pxelinux.0", "grub/x86_64-efi/core.efi"), or NULL to keep the DHCP
 * boot_files default (loader iPXE; pxelinux on UEFI; a loader path configured as ''). */
const char *bw_profile_loader_file(const struct bw_profile_set *ps, enum bw_loader loader,
				   enum bw_arch arch);

/* Registers the provider that serves the rendered files over TFTP and HTTP (the list and
 * the lookup orders are in profile_vfs.c):
 *   boot.ipxe?mac=..&uuid=..&arch=..&platform=..&ip=..&hostname=..   (also autoexec.ipxe;
 *     without a query, as over TFTP, a stub that asks again, over TFTP for
 *     boot-<mac>-<platform>-<buildarch>-<uuid>.ipxe)
 *   pxelinux.cfg/01-aa-bb-cc-dd-ee-ff, pxelinux.cfg/<uuid>, pxelinux.cfg/default
 *   grub/grub.cfg, grub/grub.cfg-01-aa-bb-cc-dd-ee-ff, grub/grub.cfg-<uuid>
 * req->local gives ${server}, req->peer ${ip} (unless the query says), req->query the query.
 * http_base: our HTTP base URL template with the host left as "${server}" (e.g.
 * "http://${server}:8080/"), or NULL when there is no HTTP service (kernels then go over
 * TFTP). ps and http_base must outlive the vfs. ps NULL registers nothing. */
int bw_profile_vfs_register(struct bw_vfs *vfs, const struct bw_profile_set *ps,
			    const char *http_base);

/* Serves req from ps like the registered provider does (-ENOENT: not ours). hostname (may
 * be NULL): the name DHCP gave the asking address, used when the request names none. */
int bw_profile_vfs_serve(const struct bw_profile_set *ps, const char *http_base,
			 const char *hostname, const struct bw_vfs_req *req, struct bw_blob **ret);

struct bw_cfg_live;
struct bw_http_base;
struct bw_peers;
/* The same provider for a running daemon: every request renders from the profile set of
 * the live snapshot (core/cfg_live.h), so a reload takes effect at the next request, from
 * any thread. http: our HTTP service, or NULL (kernels then go over TFTP). peers (may be
 * NULL) learns the MAC of each address that asks for its script with ?mac= (all a
 * proxyDHCP ever learns of a machine's address). */
int bw_profile_vfs_register_live(struct bw_vfs *vfs, struct bw_cfg_live *live,
				 const struct bw_http_base *http, struct bw_peers *peers);
/* Removes that provider from vfs and frees it; only once no service asks vfs any more (the
 * HTTP threads are joined). A vfs without it is left as it is. */
void bw_profile_vfs_unregister_live(struct bw_vfs *vfs);

/* The URL DHCP hands an iPXE client for its script, already saying who asks, in the form
 * the provider above parses: "BASE SCRIPT?mac=aa:bb:cc:dd:ee:ff&arch=efi_x64". base is our
 * HTTP base URL for this client ("http://10.0.0.1:8080/"), script the script's path.
 * -ENAMETOOLONG when it does not fit cap. */
int bw_profile_script_url(const char *base, const char *script, const uint8_t mac[6],
			  enum bw_arch arch, char *out, size_t cap);

#endif
