#!/usr/bin/env bash
# e2e_assets: builds (or finds cached) the netboot assets every e2e test boots: Debian's
# kernel, the busybox initramfs and the boot programs (scripts/netboot-assets.sh
# --boot-programs into BW_E2E_CACHE, /var/cache/bootwire-e2e by default). CTest runs it
# first (fixture e2e_assets), so a first-time download is not charged to a boot test.
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_require
bw_setup_trap
bw_make_work
e2e_assets
for f in vmlinuz initrd.img VERSIONS boot/undionly.kpxe boot/ipxe.efi boot/snponly.efi; do
	if [[ -s $E2E_CACHE/$f ]]; then
		bw_pass "$f ($(stat -c %s "$E2E_CACHE/$f") bytes)"
	else
		bw_fail "$f missing or empty in $E2E_CACHE"
	fi
done
# only e2e_bios_pxelinux boots pxelinux (and skips without it): say so and go on
for f in boot/pxelinux.0:pxelinux boot/ldlinux.c32:syslinux-common; do
	if [[ -s $E2E_CACHE/${f%:*} ]]; then
		bw_pass "${f%:*} ($(stat -c %s "$E2E_CACHE/${f%:*}") bytes)"
	else
		bw_skip_check "${f%:*}" "Debian package ${f#*:} not installed"
	fi
done
if zcat "$E2E_CACHE/initrd.img" | busybox cpio -t 2>/dev/null | grep -qx init; then
	bw_pass "initrd.img is a gzip'ed cpio with /init"
else
	bw_fail "initrd.img has no /init"
fi
bw_summary
