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

e2e_require
bw_require_cmds dnsmasq
bw_setup_trap
bw_make_work
e2e_assets

MAC=52:54:00:e2:e0:06
TOKEN=$$-$RANDOM
LAN_DHCP=10.77.0.254
ROOT=$BW_WORK/root
CONF=$BW_WORK/bootwire.yaml
e2e_boot_root "$ROOT"
e2e_netns 1

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

# bootwire: proxy mode on br0 (no subnets, no lease database), HTTP on
{
	printf 'boot_root: %s\n' "$ROOT"
	printf 'log: { level: debug }\n'
	printf 'tftp: { listen: %s }\n' "$E2E_SRV"
	printf '%s\n' "$(e2e_http_yaml)"
	printf 'dhcp:\n  enabled: true\n  mode: proxy\n  interfaces: [br0]\n'
	printf 'profiles:\n'
	# shellcheck disable=SC2016 # ${mac} is bootwire's variable
	printf '  linux1: { kernel: vmlinuz, initrd: [initrd.img], cmdline: "console=ttyS0 bootwire.marker=${mac}-proxy-%s" }\n' "$TOKEN"
	printf 'default_profile: linux1\n'
} >"$CONF"
e2e_start_bootwire "$CONF" || {
	bw_fail "bootwire did not start" "$(bw_log_tail "$BW_SRV_LOG" 20)"
	bw_summary
}
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
if e2e_wait_marker "$MAC-proxy-$TOKEN"; then
	bw_pass "BIOS VM booted beside dnsmasq from bootwire's proxyDHCP: BOOTWIRE-MARKER $MAC-proxy-$TOKEN after ${E2E_WAIT_SECS}s"
else
	e2e_boot_failed "no BOOTWIRE-MARKER $MAC-proxy-$TOKEN on the serial console"
	bw_log_tail "$BW_WORK/dnsmasq.log" 10
fi
e2e_check_cmdline bios "console=ttyS0 bootwire.marker=$MAC-proxy-$TOKEN"
if [[ $E2E_WAIT_RESULT == marker ]]; then
	if e2e_vm_powers_off 15; then
		bw_pass "the initramfs powered the VM off"
	else
		bw_fail "the VM was still running 15 s after the marker" "$(e2e_serial_tail "$E2E_VM_SERIAL" 8)"
	fi
fi
e2e_vm_stop "$E2E_VM_PID"
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
url="${E2E_HTTP_BASE}boot.ipxe?mac=$MAC&arch=bios"
lines=$(grep -E "info  dhcp $MAC: (OFFER|ACK|NAK)" "$BW_SRV_LOG" || true)
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
if e2e_http_served GET boot.ipxe | grep -qF "http $ip:" &&
	e2e_http_served GET boot.ipxe | grep -qF "served (generated) method=GET path=\"/boot.ipxe?mac=52%3A54%3A00%3Ae2%3Ae0%3A06&arch=bios\" status=200"; then
	bw_pass "HTTP: boot.ipxe was generated for the VM's MAC, asked from $ip"
else
	bw_fail "HTTP: no generated boot.ipxe for mac=$MAC from $ip" "$(e2e_http_lines | head -n 5)"
fi
e2e_check_http bios boot.ipxe=1 vmlinuz=1 initrd.img=1
e2e_check_whole http "$ROOT" vmlinuz initrd.img
e2e_check_no_tftp bios

bw_stop_server
if bw_alive "$DM_PID"; then
	bw_stop "$DM_PID" 5 || true
else
	bw_fail "dnsmasq ended during the test" "$(bw_log_tail "$BW_WORK/dnsmasq.log" 10)"
fi
bw_summary
