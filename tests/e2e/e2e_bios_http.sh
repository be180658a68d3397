#!/usr/bin/env bash
# e2e_bios_http: a diskless BIOS VM boots a bootwire *profile* over HTTP.
#
#   QEMU (TCG) with SeaBIOS and an e1000 whose option ROM is iPXE -> bootwire's DHCP server,
#   with bootwire's HTTP service on, hands iPXE the URL
#   http://10.77.0.1:8080/boot.ipxe?mac=<mac>&arch=bios -> bootwire renders the machine's
#   profile (`linux1`, chosen by its MAC) as an iPXE script -> iPXE fetches vmlinuz and
#   initrd.img over HTTP -> the initramfs prints `BOOTWIRE-MARKER <mac>-linux1-<token>`: the
#   profile's cmdline with ${mac} expanded by bootwire.
#
# Checks: the marker; the kernel command line is the profile's; the DHCP ACK named the
# script's HTTP URL with the VM's MAC and arch; bootwire's log shows boot.ipxe (generated),
# vmlinuz and initrd.img answered over HTTP, each once and whole, and nothing over TFTP;
# iPXE reports fetching them from http://10.77.0.1:8080/; the HTTP lines carry the VM's
# MAC (learnt from its lease); the VM powered itself off;
# bootwire exits cleanly. About 12 s.
#
# Run: sudo bash tests/e2e/e2e_bios_http.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init

MAC=52:54:00:e2:e0:01
TOKEN=$$-$RANDOM
# linux2 and the default profile are there so that the MAC's entry has to be the one chosen
e2e_serve --http "profiles:
  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=\${mac}-linux1-$TOKEN\" }
  linux2: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=wrong-profile-$TOKEN\" }
machines:
  - { mac: \"$MAC\", profile: linux1 }
default_profile: linux2"

e2e_vm_start bios bios "$MAC" tap0
e2e_check_marker "BIOS VM booted profile linux1 over HTTP" "$MAC-linux1-$TOKEN"
e2e_check_cmdline bios "console=ttyS0 bootwire.marker=$MAC-linux1-$TOKEN"
e2e_check_poweroff
serial=$(e2e_serial_text "$E2E_VM_SERIAL")

acks=$(e2e_dhcp_lines "$MAC" ACK)
url=$(e2e_script_url "$MAC" bios)
n=$(e2e_dhcp_count "$MAC" '^ACK ')
if ((n > 0)) && (($(e2e_dhcp_count "$MAC" "^ACK .* boot $(bw_re_quote "$url")\$") == n)) &&
	e2e_dhcp_has "$MAC" '^ACK ' client=ipxe arch=bios; then
	bw_pass "DHCP: the iPXE ROM was ACKed with the script's HTTP URL $url"
else
	bw_fail "DHCP: the ACK does not name $url" "${acks:-(no ACK for $MAC)}"
fi

# the script generated for this machine (its query says mac and arch), then the files
e2e_check_generated "$MAC" bios
e2e_check_http bios boot.ipxe=1 vmlinuz=1 initrd.img=1
e2e_check_whole http "$E2E_ROOT" vmlinuz initrd.img
e2e_check_no_tftp bios
if grep -aqF "${E2E_HTTP_BASE}vmlinuz... ok" <<<"$serial" && grep -aqF "${E2E_HTTP_BASE}initrd.img... ok" <<<"$serial"; then
	bw_pass "iPXE fetched vmlinuz and initrd.img from $E2E_HTTP_BASE"
else
	bw_fail "iPXE's console does not show the HTTP downloads" "$(grep -aE 'http://|tftp://' <<<"$serial" | head -n 5)"
fi
# the HTTP lines name the machine: its address came from bootwire's DHCP, so it is known
if bw_jhas "$BW_SRV_LOG" 'served("GET"; "vmlinuz") and .mac == $m' --arg m "$MAC" &&
	bw_jhas "$BW_SRV_LOG" 'served("GET"; "initrd.img") and .mac == $m' --arg m "$MAC"; then
	bw_pass "HTTP log lines carry the VM's MAC $MAC"
else
	bw_fail "HTTP log lines lack mac=$MAC" "$(bw_jq "$BW_SRV_LOG" 'select(svc("http")) | "\(.path) mac=\(.mac)"')"
fi
bw_say "HTTP: $(bw_jq "$BW_SRV_LOG" 'select(served("GET"; "vmlinuz") or served("GET"; "initrd.img")) |
	"path=\(.path) status=\(.status) bytes=\(.bytes) seconds=\(.seconds)"' | tr '\n' ' ')"

bw_stop_server
bw_summary
