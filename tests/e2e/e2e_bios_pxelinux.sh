#!/usr/bin/env bash
# e2e_bios_pxelinux: a diskless BIOS VM boots through Debian's pxelinux, with the pxelinux
# config bootwire generates for its MAC.
#
#   QEMU (TCG) with SeaBIOS and the e1000's iPXE ROM -> bootwire's DHCP server: the VM's
#   machine entry says `loader: pxelinux`, so it is steered to pxelinux.0 (not iPXE's
#   script) -> pxelinux.0 and ldlinux.c32 over TFTP -> pxelinux asks for
#   pxelinux.cfg/01-<mac>, which bootwire renders from the machine's profile (LINUX, INITRD,
#   APPEND) -> vmlinuz and initrd.img over TFTP -> the initramfs prints
#   `BOOTWIRE-MARKER pxl-<token>` from the profile's cmdline.
#
# The profile `pxl` itself has no loader (iPXE by default): the machine entry's loader wins.
# HTTP is on too, and must not be used (pxelinux.0 speaks TFTP only).
#
# Checks: the marker; PXELINUX's banner; the kernel command line holds the profile's; the
# DHCP ACK named pxelinux.0; TFTP served pxelinux.0, ldlinux.c32, pxelinux.cfg/01-<mac>,
# vmlinuz and initrd.img (each once, the kernel and initrd whole), and no boot.ipxe;
# nothing over HTTP; the served config boots the profile's files; the VM powered itself
# off; bootwire exits cleanly. About 12 s.
#
# Run: sudo bash tests/e2e/e2e_bios_pxelinux.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init
[[ -s $E2E_CACHE/boot/pxelinux.0 && -s $E2E_CACHE/boot/ldlinux.c32 ]] ||
	bw_skip "no pxelinux.0 or ldlinux.c32 in $E2E_CACHE/boot (Debian packages pxelinux, syslinux-common)"

MAC=52:54:00:e2:e0:02
MACH=${MAC//:/-}
TOKEN=pxl-$$-$RANDOM
e2e_serve --http "profiles:
  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=wrong-profile-$TOKEN\" }
  pxl:    { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=$TOKEN\" }
machines:
  - { mac: \"$MAC\", profile: pxl, loader: pxelinux }
default_profile: linux1"

e2e_vm_start bios bios "$MAC" tap0
e2e_check_marker "BIOS VM booted profile pxl through pxelinux" "$TOKEN"
serial=$(e2e_serial_text "$E2E_VM_SERIAL")
if banner=$(grep -aoE 'PXELINUX [0-9.]+ PXE [0-9]+' <<<"$serial" | head -n 1) && [[ -n $banner ]]; then
	bw_pass "pxelinux ran: $banner"
else
	bw_fail "no PXELINUX banner on the console" "$(e2e_serial_tail "$E2E_VM_SERIAL" 10)"
fi
e2e_check_cmdline bios "console=ttyS0 bootwire.marker=$TOKEN"
e2e_check_poweroff

acks=$(e2e_dhcp_lines "$MAC" ACK)
n=$(e2e_dhcp_count "$MAC" '^ACK ')
if ((n > 0)) && (($(e2e_dhcp_count "$MAC" '^ACK .* boot pxelinux\.0$') == n)); then
	bw_pass "DHCP: the VM (loader pxelinux) was ACKed with pxelinux.0 ($n ACK)"
else
	bw_fail "DHCP: the ACK does not name pxelinux.0" "${acks:-(no ACK for $MAC)}"
fi
e2e_check_transfers bios pxelinux.0=1 ldlinux.c32=1 "pxelinux.cfg/01-$MACH=1" vmlinuz=1 initrd.img=1 boot.ipxe=0
if bw_jhas "$BW_SRV_LOG" 'sent($f) and .bytes > 0' --arg f "pxelinux.cfg/01-$MACH"; then
	bw_pass "TFTP: the generated pxelinux.cfg/01-$MACH was served"
else
	bw_fail "TFTP: no pxelinux.cfg/01-$MACH served" \
		"$(bw_jlines "$BW_SRV_LOG" 'svc("tftp") and (tojson | contains("pxelinux.cfg"))' | tail -n 5)"
fi
e2e_check_whole tftp "$E2E_ROOT" vmlinuz initrd.img
e2e_check_no_http bios

# what pxelinux read (the same virtual file over HTTP, asked by the test itself)
cfg=$(e2e_http_get "pxelinux.cfg/01-$MACH")
if [[ -z $(command -v curl) ]]; then
	bw_skip_check "the served pxelinux config" "no curl"
elif grep -qiE '^[[:space:]]*(LINUX|KERNEL)[[:space:]]+vmlinuz$' <<<"$cfg" &&
	grep -qiE '^[[:space:]]*INITRD[[:space:]]+initrd\.img$' <<<"$cfg" &&
	grep -qiE "^[[:space:]]*APPEND[[:space:]]+console=ttyS0 bootwire\\.marker=$TOKEN\$" <<<"$cfg"; then
	bw_pass "pxelinux.cfg/01-$MACH: LINUX vmlinuz, INITRD initrd.img, APPEND the profile's cmdline"
else
	bw_fail "pxelinux.cfg/01-$MACH is not the profile's" "$cfg"
fi
bw_say "pxelinux.cfg/01-$MACH: $(tr '\n' '|' <<<"$cfg")"

bw_stop_server
bw_summary
