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

e2e_require
bw_setup_trap
bw_make_work
e2e_assets

MAC=52:54:00:e2:e0:03
TOKEN=$$-$RANDOM
ROOT=$BW_WORK/root
CONF=$BW_WORK/bootwire.yaml
e2e_boot_root "$ROOT"
e2e_netns 1
e2e_conf "$CONF" "$ROOT" "$(e2e_http_yaml)
profiles:
  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=\${mac}-uefi-$TOKEN\" }
machines:
  - { mac: \"$MAC\", profile: linux1 }"
e2e_start_bootwire "$CONF" || {
	bw_fail "bootwire did not start" "$(bw_log_tail "$BW_SRV_LOG" 20)"
	bw_summary
}

e2e_vm_start uefi uefi "$MAC" tap0
url="${E2E_HTTP_BASE}boot.ipxe?mac=$MAC&arch=efi_x64"
if e2e_wait_marker "$MAC-uefi-$TOKEN"; then
	bw_pass "UEFI VM booted profile linux1 (OVMF PXE, ipxe.efi, HTTP): BOOTWIRE-MARKER $MAC-uefi-$TOKEN after ${E2E_WAIT_SECS}s"
elif e2e_efi_initrd_bug "$E2E_VM_SERIAL"; then
	e2e_lines "--- console ---" "$E2E_BUG_LINES" \
		"--- the script bootwire rendered for the VM ($url) ---" "$(e2e_http_get "${url#"$E2E_HTTP_BASE"}")"
	bw_fail "BOOTWIRE BUG: no BOOTWIRE-MARKER: $E2E_BUG" "${E2E_LINES[@]}"
else
	e2e_boot_failed "no BOOTWIRE-MARKER $MAC-uefi-$TOKEN on the serial console"
fi
if [[ $E2E_WAIT_RESULT == marker ]]; then
	e2e_check_cmdline uefi "initrd=initrd.img console=ttyS0 bootwire.marker=$MAC-uefi-$TOKEN"
	if e2e_vm_powers_off 15; then
		bw_pass "the initramfs powered the VM off"
	else
		bw_fail "the VM was still running 15 s after the marker" "$(e2e_serial_tail "$E2E_VM_SERIAL" 8)"
	fi
fi
e2e_vm_stop "$E2E_VM_PID"

acks=$(grep -E "info  dhcp $MAC: ACK " "$BW_SRV_LOG" || true)
if grep -qE "ACK 10\.77\.0\.[0-9]+ boot ipxe\.efi .*client=pxe arch=efi_x64" <<<"$acks"; then
	bw_pass "DHCP: OVMF's PXE (arch efi_x64) was ACKed an address and ipxe.efi"
else
	bw_fail "DHCP: no ACK with ipxe.efi for OVMF's PXE" "${acks:-(no ACK for $MAC)}"
fi
if grep -qF "boot $url xid=" <<<"$acks" && ! grep -qE 'boot ipxe\.efi .*client=ipxe' <<<"$acks"; then
	bw_pass "DHCP: ipxe.efi was recognised as iPXE and got $url, never ipxe.efi"
else
	bw_fail "DHCP: ipxe.efi's DHCP did not end in $url" "${acks:-(none)}"
fi
e2e_check_transfers uefi ipxe.efi=1 boot.ipxe=0 vmlinuz=0 initrd.img=0
e2e_check_whole tftp "$ROOT" ipxe.efi
if e2e_http_served GET boot.ipxe | grep -qF "served (generated) method=GET path=\"/boot.ipxe?mac=52%3A54%3A00%3Ae2%3Ae0%3A03&arch=efi_x64\" status=200"; then
	bw_pass "HTTP: boot.ipxe was generated for the VM's MAC and arch efi_x64"
else
	bw_fail "HTTP: no generated boot.ipxe for mac=$MAC&arch=efi_x64" "$(e2e_http_lines | head -n 5)"
fi
e2e_check_http uefi boot.ipxe=1 vmlinuz=1 initrd.img=1 ipxe.efi=0
e2e_check_whole http "$ROOT" vmlinuz initrd.img

bw_stop_server
bw_summary
