#include "core/arch.h"

#include <errno.h>
#include <string.h>

static const char *const arch_names[BW_ARCH_COUNT] = {
	[BW_ARCH_UNKNOWN] = "unknown",    [BW_ARCH_BIOS] = "bios",
	[BW_ARCH_EFI_IA32] = "efi_ia32",  [BW_ARCH_EFI_X64] = "efi_x64",
	[BW_ARCH_EFI_ARM32] = "efi_arm32", [BW_ARCH_EFI_ARM64] = "efi_arm64",
};

const char *bw_arch_name(enum bw_arch a)
{
	return (unsigned)a < BW_ARCH_COUNT ? arch_names[a] : "unknown";
}

int bw_arch_parse(const char *s, enum bw_arch *ret)
{
	for (unsigned i = BW_ARCH_UNKNOWN + 1; i < BW_ARCH_COUNT; i++) {
		if (strcmp(s, arch_names[i]) == 0) {
			*ret = (enum bw_arch)i;
			return 0;
		}
	}
	return -EINVAL;
}
