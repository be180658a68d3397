#include "dhcp/dhcp_pxe.h"

#include <stdio.h>
#include <string.h>

const struct bw_pxe_boot_files bw_pxe_boot_files_default = {
	.bios = "undionly.kpxe",
	.efi_x64 = "ipxe.efi",
	.efi_ia32 = "ipxe-ia32.efi",
	.efi_arm64 = "ipxe-arm64.efi",
	.ipxe = "boot.ipxe",
};

enum bw_arch bw_pxe_arch_from_code(uint16_t code, bool *ret_http)
{
	bool http = false;
	enum bw_arch a;

	switch (code) {
	case 0: a = BW_ARCH_BIOS; break;
	case 6: a = BW_ARCH_EFI_IA32; break;
	case 7: /* EFI BC: x86-64 firmwares (OVMF) send this */
	case 9: a = BW_ARCH_EFI_X64; break;
	case 10: a = BW_ARCH_EFI_ARM32; break;
	case 11: a = BW_ARCH_EFI_ARM64; break;
	case 15: a = BW_ARCH_EFI_IA32; http = true; break;
	case 16: a = BW_ARCH_EFI_X64; http = true; break;
	case 18: a = BW_ARCH_EFI_ARM32; http = true; break;
	case 19: a = BW_ARCH_EFI_ARM64; http = true; break;
	default: a = BW_ARCH_UNKNOWN; break;
	}
	if (ret_http)
		*ret_http = http;
	return a;
}

static bool pxe_opt_prefix(const struct bw_dhcp_opt *o, const char *prefix)
{
	size_t n = strlen(prefix);

	return o->present && o->len >= n && memcmp(o->data, prefix, n) == 0;
}

/* User class (RFC 3004): a list of length-prefixed strings. iPXE sends "iPXE"; older
 * clients send the bare string without a length, which is accepted too. */
static bool pxe_user_class_is_ipxe(const struct bw_dhcp_opt *o)
{
	size_t i = 0;

	if (!o->present)
		return false;
	if (o->len == 4 && memcmp(o->data, "iPXE", 4) == 0)
		return true;
	while (i < o->len) {
		size_t l = o->data[i];

		if (l == 0 || i + 1 + l > o->len)
			return false;
		if (l == 4 && memcmp(o->data + i + 1, "iPXE", 4) == 0)
			return true;
		i += 1 + l;
	}
	return false;
}

void bw_pxe_classify(const struct bw_dhcp_msg *m, struct bw_pxe_client *ret)
{
	const struct bw_dhcp_opt *vc = &m->opt[BW_DHCP_OPT_VENDOR_CLASS];
	const struct bw_dhcp_opt *arch = &m->opt[BW_DHCP_OPT_CLIENT_ARCH];
	const struct bw_dhcp_opt *uuid = &m->opt[BW_DHCP_OPT_UUID];
	struct bw_pxe_client c;

	memset(&c, 0, sizeof(c));
	c.is_pxe = pxe_opt_prefix(vc, "PXEClient");
	c.is_http = pxe_opt_prefix(vc, "HTTPClient");
	c.is_ipxe = pxe_user_class_is_ipxe(&m->opt[BW_DHCP_OPT_USER_CLASS]) ||
		    m->opt[BW_DHCP_OPT_IPXE].present;
	if (vc->present) {
		size_t n = vc->len < sizeof(c.vendor_class) - 1 ? vc->len : sizeof(c.vendor_class) - 1;
		memcpy(c.vendor_class, vc->data, n);
		c.vendor_class[n] = '\0';
	}
	if (arch->present && arch->len >= 2 && arch->len % 2 == 0) {
		bool http;
		c.has_arch = true;
		c.arch_code = (uint16_t)((arch->data[0] << 8) | arch->data[1]);
		c.arch = bw_pxe_arch_from_code(c.arch_code, &http);
	} else if (!arch->present && (c.is_pxe || c.is_http)) {
		c.arch = BW_ARCH_BIOS; /* PXE 2.1 BIOS ROMs that predate option 93 */
	}
	if (uuid->present && uuid->len == 17 && uuid->data[0] == 0) {
		c.has_uuid = true;
		memcpy(c.uuid, uuid->data + 1, 16);
	}
	*ret = c;
}

static const char *pxe_file_for(enum bw_arch a, const struct bw_pxe_boot_files *f)
{
	switch (a) {
	case BW_ARCH_BIOS: return f->bios;
	case BW_ARCH_EFI_X64: return f->efi_x64;
	case BW_ARCH_EFI_IA32: return f->efi_ia32;
	case BW_ARCH_EFI_ARM64: return f->efi_arm64;
	default: return NULL;
	}
}

void bw_pxe_choose(const struct bw_pxe_client *c, const struct bw_pxe_boot_files *files,
		   const char *http_base, struct bw_pxe_choice *ret)
{
	struct bw_pxe_choice ch;
	const char *f;

	memset(&ch, 0, sizeof(ch));
	if (c->is_ipxe) {
		/* Never iPXE again: that is the chainload loop. Without HTTP the script comes over
		 * TFTP: iPXE reads a bare file name as tftp://next-server/name. A full URL in
		 * files->ipxe is used as it is. */
		if (files->ipxe && strstr(files->ipxe, "://")) {
			if (strlen(files->ipxe) < sizeof(ch.file)) {
				strcpy(ch.file, files->ipxe);
				ch.boot = ch.url = true;
			}
		} else if (http_base && files->ipxe) {
			if ((size_t)snprintf(ch.file, sizeof(ch.file), "%s%s", http_base,
					     files->ipxe) < sizeof(ch.file))
				ch.boot = ch.url = true;
		} else if (files->ipxe && strlen(files->ipxe) < sizeof(ch.file)) {
			strcpy(ch.file, files->ipxe);
			ch.boot = true;
		}
	} else if (c->is_http) {
		f = pxe_file_for(c->arch, files);
		if (http_base && f && (size_t)snprintf(ch.file, sizeof(ch.file), "%s%s", http_base,
						     f) < sizeof(ch.file)) {
			ch.boot = ch.url = true;
			ch.echo_http_client = true; /* UEFI ignores offers that do not echo it */
		}
	} else if (c->is_pxe) {
		f = pxe_file_for(c->arch, files);
		if (f && strlen(f) < sizeof(ch.file)) {
			strcpy(ch.file, f);
			ch.boot = true;
		}
	}
	if (!ch.boot)
		ch.file[0] = '\0';
	*ret = ch;
}

/* What firmware needs beyond the specifications. One row per firmware family; match on the
 * classification, first row wins, the last row is the default. */
static const struct bw_pxe_quirks pxe_quirk_table[] = {
	/* iPXE reads option 43 as a PXE boot menu and would try to run it; it boots from
	 * `file` without it. It takes a proxyDHCP offer only when option 60 is exactly
	 * "PXEClient" (src/net/udp/dhcp.c, dhcp_discovery_rx). */
	{.name = "ipxe", .omit_opt43 = true, .echo_vendor = true},
	/* UEFI HTTP boot (EDK2 HttpBootDxe): ignores offers without "HTTPClient" in option 60;
	 * discovery control means nothing to it. */
	{.name = "uefi-http", .omit_opt43 = true, .echo_vendor = true},
	/* PXE ROMs (PXE 2.1, EDK2's PxeBcDxe): a reply carrying "PXEClient" needs option 43
	 * with discovery control bit 3 (boot from `file` at once) or they start a boot server
	 * discovery on port 4011 first. */
	{.name = "pxe", .omit_opt43 = false, .echo_vendor = true},
	{.name = "dhcp", .omit_opt43 = true, .echo_vendor = false},
};

const struct bw_pxe_quirks *bw_pxe_quirks_for(const struct bw_pxe_client *c)
{
	if (c->is_ipxe)
		return &pxe_quirk_table[0];
	if (c->is_http)
		return &pxe_quirk_table[1];
	if (c->is_pxe)
		return &pxe_quirk_table[2];
	return &pxe_quirk_table[3];
}
