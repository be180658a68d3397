#!/usr/bin/env bash
# dhcp_proxy: bootwire as proxyDHCP beside the LAN's own DHCP server (dnsmasq, addresses
# only), without a VM. Three namespaces this script creates, joined by a bridge: the boot
# server (bootwire on br0, 10.78.0.1), the LAN's DHCP server (dnsmasq, 10.78.0.254, range
# .100-.150) and a client. Crafted packets come from `dhcp_craft.py pxe` (scapy, BW_SCAPY_PY),
# which also checks the replies.
#
#   (a) plain clients (busybox udhcpc, ISC dhclient) get their lease from dnsmasq; bootwire
#       sends nothing (capture on br0) and logs only debug "ignoring" lines, naming the
#       packet's xid
#   (b) a BIOS PXE DISCOVER (PXEClient:Arch:00000:UNDI:002001, option 93 = 0, from
#       0.0.0.0:68 to broadcast): bootwire OFFERs yiaddr 0.0.0.0, siaddr = itself,
#       file undionly.kpxe, option 60 "PXEClient", option 43 with discovery control, no
#       lease time; dnsmasq OFFERs the address; the PXE REQUEST for dnsmasq's address is
#       ACKed by dnsmasq and ignored by bootwire
#   (c) a REQUEST to port 4011, unicast from the client's address with ciaddr set: an ACK
#       with undionly.kpxe from port 4011 back to the request's source port
#   (d) UEFI HTTP boot DISCOVER (HTTPClient:Arch:00016:UNDI:003000, arch 16): without
#       dhcp.http_base bootwire stays silent; with it, the OFFER echoes "HTTPClient", names
#       http_base + ipxe.efi and has no option 43
#   (e) iPXE DISCOVERs (user class as RFC 3004 "\x04iPXE" and as iPXE sends it, "iPXE"):
#       boot.ipxe (http_base + boot.ipxe when set), never undionly.kpxe; option 60
#       "PXEClient" (iPXE ignores proxy offers without it) and no option 43
#
# Run: bash tests/system/dhcp_proxy.sh   (root; BOOTWIRE=...; BW_KEEP=1 keeps the logs)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds dnsmasq ip timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own (no peer server to compare)"
bw_setup_trap
bw_make_work

NS_S=bwdp-$$-s # boot server: br0, bootwire
NS_D=bwdp-$$-d # the LAN's DHCP server: dnsmasq
NS_C=bwdp-$$-c # the client
BW_CLI_NS=$NS_C # bw_run runs clients there
SRV=10.78.0.1
LAN=10.78.0.254
HTTP_BASE=http://$SRV:8080/
CMAC=52:54:00:cc:00:01
ROOT=$BW_WORK/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"

# The network: br0 in NS_S, the LAN's DHCP server and the client as hosts on it
bw_bridge_ns "$NS_S" "$SRV/24"
bw_bridge_host "$NS_S" "$NS_D" dp d0 "$LAN/24"
bw_bridge_host "$NS_S" "$NS_C" cp c0
bw_set_mac "$NS_C" c0 "$CMAC"
BW_SRV_NS=$NS_S # bw_dhcp_start runs bootwire there
bw_lan_dhcp "$NS_D" d0 10.78.0.100 10.78.0.150 || {
	bw_fail "dnsmasq did not start" "$(cat "$BW_DM_LOG")"
	bw_summary
}
DM_PID=$BW_DM_PID

# start_proxy [http_base]: bootwire serve in proxy mode on br0; BW_SRV_PID, BW_SRV_LOG.
start_proxy()
{
	local conf=$BW_WORK/proxy$((++N_CONF)).yaml
	{
		printf 'boot_root: %s\n' "$ROOT"
		printf 'log: {level: debug, format: json}\n'
		printf 'tftp: {enabled: true, listen: %s}\n' "$SRV"
		printf 'dhcp:\n  enabled: true\n  mode: proxy\n  interfaces: [br0]\n'
		[[ -z ${1:-} ]] || printf '  http_base: %s\n' "$1"
	} >"$conf"
	bw_dhcp_start "$conf"
}
N_CONF=0

# py SCENARIO ARGS...: `dhcp_craft.py pxe` in the client namespace (bounded), its lines as
# checks; sets PY_ADDR from an ADDR line.
py()
{
	local log=$BW_WORK/py-$1-$((++N_PY)).log rc=0 tag what rest
	local -a detail
	bw_run "$log" 60 "$BW_SCAPY_PY" "$BW_CRAFT" pxe "$@" --iface c0 --srv "$SRV" --lan "$LAN" || rc=$?
	while IFS=$'\t' read -r tag what rest; do
		case $tag in
		PASS) bw_pass "$what" ;;
		FAIL)
			IFS=$'\t' read -r -a detail <<<"$rest"
			bw_fail "$what" "${detail[@]}"
			;;
		ADDR) PY_ADDR=$what ;;
		esac
	done <"$log"
	if [[ $rc != 0 ]]; then
		bw_fail "scapy client '$1' exited with status $rc" "$(tail -n 15 "$log")"
	fi
}
N_PY=0
PY_ADDR=

# log_since N: bootwire's log lines after line N.
log_since()
{
	tail -n "+$(($1 + 1))" "$BW_SRV_LOG"
}

# ---------------------------------------------------------------------------------------
# (a) plain DHCP clients: dnsmasq's business only

if ! start_proxy; then
	bw_fail "bootwire did not start in proxy mode"
	bw_summary
fi

log0=$(wc -l <"$BW_SRV_LOG")
bw_cap_start "$NS_S" br0 plain || true
n_clients=0
if command -v busybox >/dev/null 2>&1 && busybox --list | grep -qx udhcpc; then
	cat >"$BW_WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
echo "event=$1 ip=$ip serverid=$serverid siaddr=$siaddr boot_file=$boot_file"
EOF
	chmod 0755 "$BW_WORK/udhcpc.sh"
	rc=0
	bw_run "$BW_WORK/udhcpc.log" 30 busybox udhcpc -f -q -n -t 5 -T 2 -i c0 -s "$BW_WORK/udhcpc.sh" || rc=$?
	line=$(grep '^event=bound' "$BW_WORK/udhcpc.log" || true)
	if [[ $rc == 0 && $line =~ ip=10\.78\.0\.(1[0-4][0-9]|150)\  && $line == *" serverid=$LAN "* &&
		$line =~ boot_file=$ ]]; then
		bw_pass "(a) udhcpc: lease from dnsmasq ($line)"
	else
		bw_fail "(a) udhcpc: no lease from dnsmasq (exit $rc)" "$(cat "$BW_WORK/udhcpc.log")"
	fi
	n_clients=$((n_clients + 1))
else
	bw_skip_check "(a) udhcpc" "no busybox udhcpc"
fi
if command -v dhclient >/dev/null 2>&1; then
	bw_spawn "$NS_C" "$BW_WORK/dhclient.log" dhclient -4 -d -1 -v -lf "$BW_WORK/dhclient.leases" \
		-pf "$BW_WORK/dhclient.pid" -sf /bin/true c0
	dh_pid=$BW_LAST_PID
	for ((i = 0; i < 200; i++)); do
		grep -q 'fixed-address' "$BW_WORK/dhclient.leases" 2>/dev/null && break
		bw_alive "$dh_pid" || break
		sleep 0.1
	done
	bw_stop "$dh_pid" 5 || true
	addr=$(grep -oE 'fixed-address [0-9.]+' "$BW_WORK/dhclient.leases" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
	sid=$(grep -oE 'dhcp-server-identifier [0-9.]+' "$BW_WORK/dhclient.leases" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
	if [[ $addr =~ ^10\.78\.0\.(1[0-4][0-9]|150)$ && $sid == "$LAN" ]]; then
		bw_pass "(a) dhclient: lease $addr from dnsmasq"
	else
		bw_fail "(a) dhclient: no lease from dnsmasq (address '${addr:-}', server '${sid:-}')" \
			"$(tail -n 12 "$BW_WORK/dhclient.log")"
	fi
	n_clients=$((n_clients + 1))
else
	bw_skip_check "(a) dhclient" "no dhclient"
fi
sleep 0.5 # a late reply would still show
bw_cap_stop
if ((n_clients > 0)); then
	# bootwire's lines about the client since (a) began, as JSON and as text
	new=$(log_since "$log0" | bw_jsel - 'dhcp($c)' --arg c "$CMAC")
	newt=$(bw_jq - jtext <<<"$new")
	n_new=$(bw_jcount - true <<<"$new")
	n_ign=$(bw_jcount - '.level == "debug" and says(": ignoring [A-Z]*: not a PXE or HTTP boot client$")' <<<"$new")
	if ((n_new > 0 && n_ign == n_new)); then
		bw_pass "(a) bootwire logged only debug 'ignoring' lines for the plain clients ($n_new)"
	else
		bw_fail "(a) bootwire's log for the plain clients is not only debug 'ignoring' lines" "${newt:-(nothing logged)}"
	fi
	if [[ -n $BW_CAP ]] && bw_have_scapy; then
		wire=$(bw_cap_summary)
		sent=$(grep -E " src=${SRV//./\\.}:(67|4011) " <<<"$wire" || true)
		if [[ -z $sent ]]; then
			bw_pass "(a) bootwire sent no packet to the plain clients (capture on br0)"
		else
			bw_fail "(a) bootwire answered plain clients" "$sent"
		fi
		# the xid in bootwire's log line must be the packet's
		xids=$(grep -E ' src=0\.0\.0\.0:68 dst=[0-9.]+:67 ' <<<"$wire" | grep -oE '^[A-Z]+ xid=0x[0-9a-f]+' |
			sed 's/.*xid=//' | sort -u)
		logged=$(bw_jq - '.msg | capture("^xid=(?<x>0x[0-9a-f]+) ").x' <<<"$new" | sort -u)
		bad=$(comm -13 <(printf '%s\n' "$xids") <(printf '%s\n' "$logged"))
		if [[ -n $xids && -n $logged && -z $bad ]]; then
			bw_pass "(a) every xid in bootwire's 'ignoring' lines is one the clients sent"
		else
			bw_fail "(a) bootwire's 'ignoring' lines name xids no client sent" \
				"on the wire: $(tr '\n' ' ' <<<"$xids")" "in the log: $(tr '\n' ' ' <<<"$logged")" \
				"$(head -n 3 <<<"$newt")"
		fi
	else
		bw_skip_check "(a) no reply on the wire" "no tcpdump or no scapy"
	fi
fi

# ---------------------------------------------------------------------------------------
# (b)-(e) crafted PXE, HTTP boot and iPXE packets

if ! bw_have_scapy; then
	bw_skip_check "(b)-(e) crafted PXE packets" "no scapy for $BW_SCAPY_PY"
else
	py bios
	if [[ -n $PY_ADDR ]]; then
		# the client now has dnsmasq's address; a PXE client asks the boot server from it
		ip -n "$NS_C" addr add "$PY_ADDR/24" dev c0
		py port4011 "$PY_ADDR"
		ip -n "$NS_C" addr del "$PY_ADDR/24" dev c0
	else
		bw_fail "(c) skipped: no address from dnsmasq in (b)"
	fi
	py http
	py ipxe boot.ipxe
	bw_stop_server
	# the same with dhcp.http_base
	if start_proxy "$HTTP_BASE"; then
		py http "$HTTP_BASE"
		py ipxe "${HTTP_BASE}boot.ipxe"
		bw_stop_server
	else
		bw_fail "bootwire with http_base did not start"
	fi
fi
if bw_alive "$BW_SRV_PID"; then
	bw_stop_server
fi
bw_stop "$DM_PID" 5 || true
bw_summary
