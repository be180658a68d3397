#!/usr/bin/env bash
# e2e_uefi_pxe: a diskless UEFI VM boots a bootwire profile: the firmware's own PXE, then
# iPXE, then HTTP.
#
#   QEMU (TCG) with OVMF and a virtio-net NIC without option ROM (so OVMF's own PXEv4 runs;
#   IPv6 PXE off) -> bootwire's DHCP server: arch 7, PXEClient -> ipxe.efi over TFTP (OVMF
#   asks for its size first, then the file) -> ipxe.efi does DHCP again as iPXE and gets
#   http://10.77.0.1:8080/boot.ipxe?mac=<mac>&arch=efi_x64 -> the machine's profile rendered
#   as an iPXE script -> vmlinuz and initrd.img over HTTP -> the kernel's EFI stub -> the
#   initramfs prints `BOOTWIRE-MARKER <mac>-uefi-<token>`.
#
# Checks: the marker; the kernel command line holds initrd=initrd.img and the profile's
# cmdline; OVMF's PXE was ACKed
# ipxe.efi (client pxe, arch efi_x64) and iPXE the script's URL (never ipxe.efi again);
# ipxe.efi went over TFTP once and whole; boot.ipxe (generated for the MAC and efi_x64),
# vmlinuz and initrd.img over HTTP, each once and whole; the VM powered itself off; bootwire
# exits cleanly. About 25 s.
#
# The script bootwire renders for UEFI names the initrd on the kernel line by its image name,
# `initrd=initrd.img`: the kernel's EFI stub opens it from the files iPXE offers. (iPXE's
# combined `initrd.magic` needs iPXE 1.21.1 or later; Debian 12's is 1.0.0+git-20190125.) When
# the EFI stub cannot open the initrd it is told, the marker check fails and says so: a
# bootwire bug, not a harness problem.
#
# Run: sudo bash tests/e2e/e2e_uefi_pxe.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init

MAC=52:54:00:e2:e0:03
TOKEN=$$-$RANDOM
e2e_serve --http "profiles:
  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=\${mac}-uefi-$TOKEN\" }
machines:
  - { mac: \"$MAC\", profile: linux1 }"

e2e_vm_start uefi uefi "$MAC" tap0
url=$(e2e_script_url "$MAC" efi_x64)
e2e_check_marker "UEFI VM booted profile linux1 (OVMF PXE, ipxe.efi, HTTP)" "$MAC-uefi-$TOKEN"
if [[ $E2E_WAIT_RESULT == marker ]]; then
	e2e_check_cmdline uefi "initrd=initrd.img console=ttyS0 bootwire.marker=$MAC-uefi-$TOKEN"
fi
e2e_check_poweroff

acks=$(e2e_dhcp_lines "$MAC" ACK)
if e2e_dhcp_has "$MAC" '^ACK 10\.77\.0\.[0-9]+ boot ipxe\.efi$' client=pxe arch=efi_x64; then
	bw_pass "DHCP: OVMF's PXE (arch efi_x64) was ACKed an address and ipxe.efi"
else
	bw_fail "DHCP: no ACK with ipxe.efi for OVMF's PXE" "${acks:-(no ACK for $MAC)}"
fi
if e2e_dhcp_has "$MAC" "^ACK .* boot $(bw_re_quote "$url")\$" &&
	! e2e_dhcp_has "$MAC" '^ACK .* boot ipxe\.efi$' client=ipxe; then
	bw_pass "DHCP: ipxe.efi was recognised as iPXE and got $url, never ipxe.efi"
else
	bw_fail "DHCP: ipxe.efi's DHCP did not end in $url" "${acks:-(none)}"
fi
e2e_check_transfers uefi ipxe.efi=1 boot.ipxe=0 vmlinuz=0 initrd.img=0
e2e_check_whole tftp "$E2E_ROOT" ipxe.efi
e2e_check_generated "$MAC" efi_x64
e2e_check_http uefi boot.ipxe=1 vmlinuz=1 initrd.img=1 ipxe.efi=0
e2e_check_whole http "$E2E_ROOT" vmlinuz initrd.img

bw_stop_server
bw_summary
