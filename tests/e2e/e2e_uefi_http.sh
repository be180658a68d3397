#!/usr/bin/env bash
# e2e_uefi_http: a diskless UEFI VM boots a bootwire profile by UEFI HTTP boot: no TFTP at
# any step.
#
#   QEMU (TCG) with OVMF, PXE off (fw_cfg opt/org.tianocore/IPv4PXESupport and
#   IPv6PXESupport = no: only the HTTPv4/HTTPv6 boot options remain, HTTPv4 first) and a
#   virtio-net NIC without option ROM (the firmware's own HTTP boot) -> bootwire's DHCP server
#   recognises `HTTPClient:Arch:00016`, echoes HTTPClient and hands the URL
#   http://10.77.0.1:8080/ipxe.efi -> OVMF sends HEAD, then GET -> ipxe.efi does DHCP as
#   iPXE and gets http://10.77.0.1:8080/boot.ipxe?mac=<mac>&arch=efi_x64 -> the profile as an
#   iPXE script -> vmlinuz and initrd.img over HTTP -> the initramfs prints
#   `BOOTWIRE-MARKER <mac>-uefihttp-<token>`.
#
# Checks: the console shows OVMF's "Start HTTP Boot over IPv4" with bootwire's URI; the
# marker; the kernel command line holds initrd=initrd.img and the profile's cmdline; DHCP:
# the firmware (client uefi-http,
# arch efi_x64) was ACKed an address and the ipxe.efi URL, iPXE the script's URL; HTTP:
# ipxe.efi by HEAD and GET (agent UefiHttpBoot), whole; boot.ipxe generated for the MAC and
# efi_x64; vmlinuz and initrd.img whole; nothing over TFTP; bootwire exits cleanly. About
# 25 s.
#
# The script bootwire renders for UEFI names the initrd on the kernel line by its image name,
# `initrd=initrd.img`: the kernel's EFI stub opens it from the files iPXE offers. (iPXE's
# combined `initrd.magic` needs iPXE 1.21.1 or later; Debian 12's is 1.0.0+git-20190125.) When
# the EFI stub cannot open the initrd it is told, the marker check fails and says so: a
# bootwire bug, not a harness problem. When OVMF does not
# try HTTP boot at all, the test is skipped (77) and says what the console showed.
#
# Run: sudo bash tests/e2e/e2e_uefi_http.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init

MAC=52:54:00:e2:e0:04
TOKEN=$$-$RANDOM
e2e_serve --http "profiles:
  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=\${mac}-uefihttp-$TOKEN\" }
machines:
  - { mac: \"$MAC\", profile: linux1 }"

# e2e_vm_start's uefi kind turns IPv6 PXE off; IPv4 PXE off as well leaves HTTP boot
e2e_vm_start uefi uefi "$MAC" tap0 -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no
efi_url=${E2E_HTTP_BASE}ipxe.efi
url=$(e2e_script_url "$MAC" efi_x64)
e2e_wait_marker "$MAC-uefihttp-$TOKEN" || true
serial=$(e2e_serial_text "$E2E_VM_SERIAL")
if ! grep -aq 'Start HTTP Boot over IPv4' <<<"$serial"; then
	# The firmware never tried HTTP boot: not bootwire's doing (its DHCP is not asked).
	if [[ $E2E_WAIT_RESULT != marker ]] && ! e2e_dhcp_has "$MAC" ''; then
		e2e_serial_tail "$E2E_VM_SERIAL" 15
		bw_skip "OVMF ($E2E_OVMF_CODE) did not start UEFI HTTP boot over IPv4 (no 'Start HTTP Boot over IPv4' on the console, no DHCP from $MAC): this firmware build has no HTTP boot"
	fi
	bw_fail "the console does not show OVMF's HTTP boot" "$(e2e_serial_tail "$E2E_VM_SERIAL" 15)"
elif grep -aqF "URI: $efi_url" <<<"$serial"; then
	bw_pass "OVMF started HTTP boot over IPv4 with URI $efi_url"
else
	bw_fail "OVMF's HTTP boot did not use $efi_url" "$(grep -aE 'HTTP Boot|URI:|Error' <<<"$serial" | head -n 5)"
fi

e2e_marker_verdict "UEFI VM booted profile linux1 by HTTP boot" "$MAC-uefihttp-$TOKEN"
if [[ $E2E_WAIT_RESULT == marker ]]; then
	e2e_check_cmdline uefi "initrd=initrd.img console=ttyS0 bootwire.marker=$MAC-uefihttp-$TOKEN"
fi
e2e_check_poweroff

acks=$(e2e_dhcp_lines "$MAC" ACK)
if e2e_dhcp_has "$MAC" "^ACK 10\\.77\\.0\\.[0-9]+ boot $(bw_re_quote "$efi_url")\$" client=uefi-http arch=efi_x64; then
	bw_pass "DHCP: OVMF's HTTP boot (HTTPClient, arch efi_x64) was ACKed an address and $efi_url"
else
	bw_fail "DHCP: no ACK with $efi_url for OVMF's HTTP boot" "${acks:-(no ACK for $MAC)}"
fi
if e2e_dhcp_has "$MAC" "^ACK .* boot $(bw_re_quote "$url")\$" &&
	! e2e_dhcp_has "$MAC" '^ACK .* boot [^ ]*ipxe\.efi$' client=ipxe; then
	bw_pass "DHCP: ipxe.efi was recognised as iPXE and got $url, never ipxe.efi"
else
	bw_fail "DHCP: ipxe.efi's DHCP did not end in $url" "${acks:-(none)}"
fi
# the firmware's HEAD comes first (it learns the size), then its GET
uefi='(.agent | startswith("UefiHttpBoot/"))'
first=$(bw_jq "$BW_SRV_LOG" 'select(svc("http") and .path == "/ipxe.efi" and (.method == "HEAD" or .method == "GET")) |
	.method' | head -n 1)
if bw_jhas "$BW_SRV_LOG" "served(\"HEAD\"; \"ipxe.efi\") and $uefi" &&
	bw_jhas "$BW_SRV_LOG" "served(\"GET\"; \"ipxe.efi\") and $uefi" && [[ $first == HEAD ]]; then
	bw_pass "HTTP: the firmware (UefiHttpBoot) sent HEAD, then GET for ipxe.efi, both answered 200"
else
	bw_fail "HTTP: no HEAD and GET of ipxe.efi from the firmware answered 200" "$(e2e_http_lines | head -n 5)"
fi
e2e_check_generated "$MAC" efi_x64
e2e_check_http uefi ipxe.efi=1 boot.ipxe=1 vmlinuz=1 initrd.img=1
e2e_check_whole http "$E2E_ROOT" ipxe.efi vmlinuz initrd.img
e2e_check_no_tftp uefi

bw_stop_server
bw_summary
