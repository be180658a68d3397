/* Firmware architectures, as every service names them: DHCP learns one from option 93,
 * profiles select machines by it, renderers expand ${arch} with it. The one name table. */
#ifndef BW_ARCH_H
#define BW_ARCH_H

enum bw_arch {
	BW_ARCH_UNKNOWN = 0,
	BW_ARCH_BIOS,      /* x86 BIOS */
	BW_ARCH_EFI_IA32,
	BW_ARCH_EFI_X64,
	BW_ARCH_EFI_ARM32,
	BW_ARCH_EFI_ARM64,
	BW_ARCH_COUNT,
};

/* "bios", "efi_ia32", "efi_x64", "efi_arm32", "efi_arm64"; "unknown" for BW_ARCH_UNKNOWN
 * and anything out of range. */
const char *bw_arch_name(enum bw_arch a);
/* The reverse of bw_arch_name for the known names; -EINVAL for anything else ("" too). */
int bw_arch_parse(const char *s, enum bw_arch *ret);

#endif
