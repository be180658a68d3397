#!/usr/bin/env bash
# e2e_proxy: bootwire as a proxyDHCP beside the network's own DHCP server: dnsmasq gives the
# VM its address, bootwire only the boot, and the VM boots a bootwire profile over HTTP.
#
#   The bridge has a second "LAN host" (namespace <ns>-lan, veth lan0, 10.77.0.254) running
#   dnsmasq with a range and no boot options. bootwire runs `dhcp: mode: proxy` on br0 with
#   HTTP on. QEMU (TCG) BIOS VM with the e1000 iPXE ROM -> DISCOVER -> dnsmasq offers an
#   address, bootwire an address-less proxy offer with
#   http://10.77.0.1:8080/boot.ipxe?mac=<mac>&arch=bios -> iPXE takes the address from
#   dnsmasq and the boot file from bootwire -> the profile as a script -> vmlinuz and
#   initrd.img over HTTP -> `BOOTWIRE-MARKER <mac>-proxy-<token>`.
#
# Checks: the marker; the kernel command line is the profile's; dnsmasq ACKed the VM an
# address and iPXE reports that address; bootwire's offers carry no address and name the
# script's URL (on the wire too: no Your-IP in bootwire's replies, when tcpdump is there);
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

# The LAN's own DHCP server: another host on br0 (a veth into its own namespace).
NS_LAN=$E2E_NS-lan
ip netns add "$NS_LAN"
BW_NETNS_LIST+=("$NS_LAN")
ip -n "$E2E_NS" link add lanp type veth peer name lan0 netns "$NS_LAN"
ip -n "$E2E_NS" link set lanp master br0
ip -n "$E2E_NS" link set lanp up
ip -n "$NS_LAN" link set lo up
ip -n "$NS_LAN" addr add "$LAN_DHCP/24" dev lan0
ip -n "$NS_LAN" link set lan0 up
bw_spawn "$NS_LAN" "$BW_WORK/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null \
	--port=0 --interface=lan0 --bind-interfaces --dhcp-range=10.77.0.100,10.77.0.150,10m \
	--dhcp-leasefile="$BW_WORK/dnsmasq.leases" --pid-file="$BW_WORK/dnsmasq.pid" \
	--log-dhcp --log-facility=-
DM_PID=$BW_LAST_PID
if ! bw_alive "$DM_PID"; then
	bw_fail "dnsmasq did not start" "$(cat "$BW_WORK/dnsmasq.log")"
	bw_summary
fi

# DHCP on the wire, to see what bootwire's replies carry (optional)
CAP=
CAP_PID=
if command -v tcpdump >/dev/null 2>&1; then
	CAP=$BW_WORK/dhcp.pcap
	bw_spawn "$E2E_NS" "$BW_WORK/tcpdump.log" tcpdump -i br0 -U -n -s 0 -w "$CAP" 'udp port 67 or udp port 68 or udp port 4011'
	CAP_PID=$BW_LAST_PID
	e2e_wait_log 'listening on' 5 "$BW_WORK/tcpdump.log" || {
		bw_say "tcpdump did not start: $(cat "$BW_WORK/tcpdump.log")"
		CAP=
	}
fi

e2e_vm_start bios bios "$MAC" tap0
e2e_check_marker "BIOS VM booted beside dnsmasq from bootwire's proxyDHCP" "$MAC-proxy-$TOKEN"
[[ $E2E_WAIT_RESULT == marker ]] || bw_log_tail "$BW_WORK/dnsmasq.log" 10
e2e_check_cmdline bios "console=ttyS0 bootwire.marker=$MAC-proxy-$TOKEN"
e2e_check_poweroff
if [[ -n $CAP_PID ]]; then
	sleep 0.3 # let tcpdump write what it has
	bw_stop "$CAP_PID" 5 || true
fi
serial=$(e2e_serial_text "$E2E_VM_SERIAL")

# the address: dnsmasq's
ip=$(grep -oE "DHCPACK\(lan0\) 10\.77\.0\.[0-9]+ $MAC" "$BW_WORK/dnsmasq.log" | tail -n 1 | awk '{ print $2 }')
if [[ -n $ip ]] && grep -aqE "^net0: ${ip//./\\.}/255\.255\.255\.0" <<<"$serial"; then
	bw_pass "dnsmasq ACKed the VM $ip and iPXE configured it"
else
	bw_fail "the VM's address is not dnsmasq's" "dnsmasq: $(grep -E 'DHCP(OFFER|ACK)' "$BW_WORK/dnsmasq.log" | tail -n 3)" \
		"iPXE: $(grep -aE '^net0: [0-9]' <<<"$serial" | head -n 1)"
fi

# the boot: bootwire's, without an address
url=$(e2e_script_url "$MAC" bios)
lines=$(e2e_dhcp_lines "$MAC")
if grep -qF "OFFER boot $url xid=" <<<"$lines" && ! grep -qE ': (OFFER|ACK) [0-9]' <<<"$lines"; then
	bw_pass "bootwire's proxy offers carry no address and name $url ($(wc -l <<<"$lines") offer(s))"
else
	bw_fail "bootwire's decisions are not address-less proxy offers with $url" "${lines:-(none for $MAC)}"
fi
if [[ -z $CAP ]]; then
	bw_skip_check "no address in bootwire's replies on the wire" "no tcpdump"
else
	# tcpdump -v prints Your-IP only when it is not 0.0.0.0
	wire=$(tcpdump -r "$CAP" -n -v 2>/dev/null | awk -v srv="${E2E_SRV}" '
		/^[0-9]/ { cur = ""; next } # a packet: its addresses on the next line
		/^    [0-9]/ { if (index($0, " " srv ".67 >") || index($0, " " srv ".4011 >")) { n++; cur = 1 }; next }
		cur && /Your-IP/ { bad++; cur = "" }
		END { printf "%d %d\n", n, bad }')
	read -r n bad <<<"$wire"
	dm=$(tcpdump -r "$CAP" -n -v 2>/dev/null | grep -A2 -E "^    ${LAN_DHCP//./\\.}\.67 >" | grep -cE "Your-IP ${ip//./\\.}\$" || true)
	if ((n > 0 && bad == 0 && dm > 0)); then
		bw_pass "on the wire: $n replies from bootwire, none with an address (Your-IP); dnsmasq's carry $ip"
	else
		bw_fail "on the wire: bootwire replies $n, with an address $bad, dnsmasq replies with $ip: $dm" \
			"$(tcpdump -r "$CAP" -n -v 2>/dev/null | grep -E '^    [0-9]|Your-IP|DHCP-Message' | head -n 24)"
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
	bw_fail "dnsmasq ended during the test" "$(bw_log_tail "$BW_WORK/dnsmasq.log" 10)"
fi
bw_summary
