#!/usr/bin/env bash
# e2e_proxy: bootwire as a proxyDHCP beside the network's own DHCP server: dnsmasq gives the
# VM its address, bootwire only the boot, and the VM boots a bootwire profile over HTTP.
#
#   The bridge has a second "LAN host" (namespace <ns>-lan, veth lan0, 10.77.0.254) running
#   dnsmasq with a range and no boot options (dhcp_lib.sh's bw_lan_dhcp). bootwire runs `dhcp: mode: proxy` on br0 with
#   HTTP on. QEMU (TCG) BIOS VM with the e1000 iPXE ROM -> DISCOVER -> dnsmasq offers an
#   address, bootwire an address-less proxy offer with
#   http://10.77.0.1:8080/boot.ipxe?mac=<mac>&arch=bios -> iPXE takes the address from
#   dnsmasq and the boot file from bootwire -> the profile as a script -> vmlinuz and
#   initrd.img over HTTP -> `BOOTWIRE-MARKER <mac>-proxy-<token>`.
#
# Checks: the marker; the kernel command line is the profile's; dnsmasq ACKed the VM an
# address and iPXE reports that address; bootwire's offers carry no address and name the
# script's URL (on the wire too: yiaddr 0.0.0.0 in bootwire's replies, when tcpdump and
# scapy are there);
# bootwire served the script (generated for the MAC), kernel and initrd over HTTP to the
# address dnsmasq gave, whole, and nothing over TFTP; the VM powered itself off; bootwire
# exits cleanly. About 15 s.
#
# Run: sudo bash tests/e2e/e2e_proxy.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init dnsmasq

MAC=52:54:00:e2:e0:06
TOKEN=$$-$RANDOM
LAN_DHCP=10.77.0.254
# bootwire: proxy mode on br0 (no subnets, no lease database), HTTP on
# shellcheck disable=SC2016 # ${mac} is bootwire's variable
e2e_serve --proxy --http "profiles:
  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=\${mac}-proxy-$TOKEN\" }
default_profile: linux1"

# The LAN's own DHCP server: another host on br0, dnsmasq in its own namespace.
bw_bridge_host "$E2E_NS" "$E2E_NS-lan" lanp lan0 "$LAN_DHCP/24"
bw_lan_dhcp "$E2E_NS-lan" lan0 10.77.0.100 10.77.0.150 || {
	bw_fail "dnsmasq did not start" "$(cat "$BW_DM_LOG")"
	bw_summary
}
DM_PID=$BW_DM_PID

# DHCP on the wire, to see what bootwire's replies carry (optional)
bw_cap_start "$E2E_NS" br0 dhcp || true

e2e_vm_start bios bios "$MAC" tap0
e2e_check_marker "BIOS VM booted beside dnsmasq from bootwire's proxyDHCP" "$MAC-proxy-$TOKEN"
[[ $E2E_WAIT_RESULT == marker ]] || bw_log_tail "$BW_DM_LOG" 10
e2e_check_cmdline bios "console=ttyS0 bootwire.marker=$MAC-proxy-$TOKEN"
e2e_check_poweroff
bw_cap_stop
serial=$(e2e_serial_text "$E2E_VM_SERIAL")

# the address: dnsmasq's
ip=$(grep -oE "DHCPACK\(lan0\) 10\.77\.0\.[0-9]+ $MAC" "$BW_DM_LOG" | tail -n 1 | awk '{ print $2 }')
if [[ -n $ip ]] && grep -aqE "^net0: ${ip//./\\.}/255\.255\.255\.0" <<<"$serial"; then
	bw_pass "dnsmasq ACKed the VM $ip and iPXE configured it"
else
	bw_fail "the VM's address is not dnsmasq's" "dnsmasq: $(grep -E 'DHCP(OFFER|ACK)' "$BW_DM_LOG" | tail -n 3)" \
		"iPXE: $(grep -aE '^net0: [0-9]' <<<"$serial" | head -n 1)"
fi

# the boot: bootwire's, without an address
url=$(e2e_script_url "$MAC" bios)
lines=$(e2e_dhcp_lines "$MAC")
if e2e_dhcp_has "$MAC" "^OFFER boot $(bw_re_quote "$url")\$" && ! e2e_dhcp_has "$MAC" '^(OFFER|ACK) [0-9]'; then
	bw_pass "bootwire's proxy offers carry no address and name $url ($(e2e_dhcp_count "$MAC" '^(OFFER|ACK|NAK)( |:|$)') offer(s))"
else
	bw_fail "bootwire's decisions are not address-less proxy offers with $url" "${lines:-(none for $MAC)}"
fi
if [[ -z $BW_CAP ]] || ! bw_have_scapy; then
	bw_skip_check "no address in bootwire's replies on the wire" "no tcpdump or no scapy"
else
	wire=$(bw_cap_summary)
	mine=$(grep -E " src=${E2E_SRV//./\\.}:(67|4011) " <<<"$wire" || true)
	n=$(grep -c . <<<"$mine" || true)
	bad=$(grep -v ' yiaddr=0\.0\.0\.0 ' <<<"$mine" | grep -c . || true)
	dm=$(grep -cE "yiaddr=${ip//./\\.} .* src=${LAN_DHCP//./\\.}:67 " <<<"$wire" || true)
	if ((n > 0 && bad == 0 && dm > 0)); then
		bw_pass "on the wire: $n replies from bootwire, none with an address (yiaddr); dnsmasq's carry $ip"
	else
		bw_fail "on the wire: bootwire replies $n, with an address $bad, dnsmasq replies with $ip: $dm" \
			"$(head -n 24 <<<"$wire")"
	fi
fi

# HTTP, to dnsmasq's address
e2e_check_generated "$MAC" bios "$ip"
e2e_check_http bios boot.ipxe=1 vmlinuz=1 initrd.img=1
e2e_check_whole http "$E2E_ROOT" vmlinuz initrd.img
e2e_check_no_tftp bios

bw_stop_server
if bw_alive "$DM_PID"; then
	bw_stop "$DM_PID" 5 || true
else
	bw_fail "dnsmasq ended during the test" "$(bw_log_tail "$BW_DM_LOG" 10)"
fi
bw_summary
