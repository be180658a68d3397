#!/usr/bin/env bash
# dhcp_clients: real DHCP clients (ISC dhclient, busybox udhcpc) against `bootwire serve`,
# in namespaces joined by a veth pair (server 10.99.96.1/24; the client side has no address).
#
#   dhclient: DORA; the options it hands its script (address, mask, routers, DNS servers,
#             domain, lease time, server identifier) are the configured ones; the lease is in
#             `bootwire leases --json`; started again with its lease file it does INIT-REBOOT
#             (REQUEST with option 50, no ciaddr) and gets the same address (REBOOT)
#   udhcpc:   DORA and options; SIGUSR1 renews: a REQUEST with ciaddr (RENEWING, seen in a
#             capture) gets an ACK; SIGTERM with -R releases: state "released" in the database,
#             and the RELEASE log line names the client's MAC and the RELEASE's xid
#   reservation by MAC: the fixed address and the hostname (option 12, stored with the lease)
#   machine with ip: a `machines` entry's ip and hostname reach udhcpc the same way, and its
#             lease is read back at the restart like a reservation's (no stale row)
#   restart:  after SIGTERM and a new start on the same database the leases are still there
#             (the released one is not bound again), and dhclient's INIT-REBOOT gets the same
#             address back; `dhclient -r` then releases it
#   interfaces: a client on an interface of the server's namespace that is not listed in
#             dhcp.interfaces (though its address is in a configured subnet) gets no answer,
#             and the log has no line about it
#
# Run: bash tests/system/dhcp_clients.sh   (root; BOOTWIRE=...)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip dhclient busybox jq tcpdump timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own"
bw_require_scapy
bw_setup_trap
bw_make_work

W=$BW_WORK
SRV=bwdc-s-$$
CLI=bwdc-c-$$
OTHER=bwdc-o-$$
bw_dhcp_pair "$SRV" "$CLI" 96
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
# an interface of the server's namespace that bootwire is not told to serve
UIF=bwu$$
OIF=bwo$$
ip netns add "$OTHER"
BW_NETNS_LIST+=("$OTHER")
ip link add "$UIF" netns "$SRV" type veth peer name "$OIF" netns "$OTHER"
ip -n "$SRV" addr add 10.99.97.1/24 dev "$UIF"
ip -n "$SRV" link set "$UIF" up
ip -n "$OTHER" link set lo up
ip -n "$OTHER" link set "$OIF" up

MAC_A=02:bd:c1:00:00:0a # dhclient
MAC_B=02:bd:c1:00:00:0b # udhcpc
MAC_R=02:bd:c1:00:00:10 # has a reservation
RESV_IP=10.99.96.10
mkdir -p "$W/root"
cat >"$W/bootwire.yaml" <<YAML
boot_root: $W/root
log: {level: debug, format: json}
tftp: {enabled: false}
dhcp:
  enabled: true
  interfaces: [$SIF]
  lease_db: leases.db
  subnets:
    - { subnet: 10.99.96.0/24, range: 10.99.96.100-10.99.96.150, router: 10.99.96.1,
        dns: [10.99.96.1, 10.99.96.2], domain: lab.test, lease_time: 600 }
    - { subnet: 10.99.97.0/24, range: 10.99.97.100-10.99.97.150, router: 10.99.97.1,
        lease_time: 600 }
  reservations:
    - { mac: "$MAC_R", ip: $RESV_IP, hostname: node-r }
YAML
MAC_M=02:bd:c1:00:00:20 # described once, in machines (outside the range)
MACH_IP=10.99.96.20
cat >>"$W/bootwire.yaml" <<YAML
machines:
  - { mac: "$MAC_M", ip: $MACH_IP, hostname: node-m }
YAML
DB=$W/leases.db

# Client scripts: one line per event into a file, and the address on the interface (so that
# the unicast RENEW and RELEASE can leave from it).
EV_D=$W/dhclient.events
cat >"$W/dhclient-script" <<SH
#!/bin/sh
printf '%s;ip=%s;mask=%s;routers=%s;dns=%s;domain=%s;lease=%s;sid=%s;host=%s;old=%s\n' \\
	"\$reason" "\$new_ip_address" "\$new_subnet_mask" "\$new_routers" \\
	"\$new_domain_name_servers" "\$new_domain_name" "\$new_dhcp_lease_time" \\
	"\$new_dhcp_server_identifier" "\$new_host_name" "\$old_ip_address" >>'$EV_D'
case \$reason in
BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
RELEASE|EXPIRE|FAIL|STOP) ip -4 addr flush dev "\$interface" ;;
esac
exit 0
SH
cat >"$W/dhclient.conf" <<'CONF'
timeout 20;
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;
CONF
EV_U=$W/udhcpc.events
cat >"$W/udhcpc-script" <<SH
#!/bin/sh
printf '%s;ip=%s;subnet=%s;router=%s;dns=%s;domain=%s;lease=%s;serverid=%s;hostname=%s\n' \\
	"\$1" "\$ip" "\$subnet" "\$router" "\$dns" "\$domain" "\$lease" "\$serverid" \\
	"\$hostname" >>"\${EV_FILE:-$EV_U}"
case \$1 in
bound|renew) ip addr replace "\$ip/\$subnet" dev "\$interface" ;;
deconfig) ip -4 addr flush dev "\$interface" ;;
esac
exit 0
SH
chmod 0755 "$W/dhclient-script" "$W/udhcpc-script"
touch "$EV_D" "$EV_U"

# A capture of everything DHCP on the served interface, for the checks on what went over the
# wire (RENEWING and INIT-REBOOT REQUESTs).
bw_cap_start "$SRV" "$SIF" served || bw_fail "tcpdump did not start" "$(cat "$W/served.tcpdump.log")"
PCAP=$BW_CAP
TCPDUMP_PID=$BW_CAP_PID

# wire_wait OUT ERE: the capture summary into OUT, again until a line matches ERE (5 s).
wire_wait()
{
	local out=$1 re=$2 i
	for ((i = 0; i < 10; i++)); do
		bw_cap_summary "$PCAP" >"$out"
		grep -qE -- "$re" "$out" && return 0
		sleep 0.5
	done
	return 1
}

in_pool()
{
	local ip=$1 last
	[[ $ip =~ ^10\.99\.96\.([0-9]+)$ ]] || return 1
	last=${BASH_REMATCH[1]}
	((last >= 100 && last <= 150))
}

# dhclient_run LABEL EVENT_ERE [ARGS...]: runs dhclient in the foreground until its script
# reports an event matching EVENT_ERE (20 s at most), then stops it by PID. Sets EV_LINE to
# that line ("" if none came).
dhclient_run()
{
	local label=$1 re=$2 n0 pid
	shift 2
	n0=$(wc -l <"$EV_D")
	EV_LINE=
	bw_spawn "$CLI" "$W/dhclient-$label.log" dhclient -d -1 -v -cf "$W/dhclient.conf" \
		-lf "$W/dhclient.leases" -pf "$W/dhclient.pid" -sf "$W/dhclient-script" "$@" "$CIF"
	pid=$BW_LAST_PID
	for ((i = 0; i < 400; i++)); do
		EV_LINE=$(tail -n +"$((n0 + 1))" "$EV_D" | grep -E -- "$re" | head -n 1 || true)
		[[ -n $EV_LINE ]] && break
		bw_alive "$pid" || break
		sleep 0.05
	done
	bw_stop "$pid" 5 || true
	rm -f "$W/dhclient.pid" # so that `dhclient -r` later signals nobody
}

client_iface_reset()
{ # a new MAC and no address on the client side
	ip -n "$CLI" -4 addr flush dev "$CIF"
	bw_set_mac "$CLI" "$CIF" "$1"
}

BW_JQ_ARGS=(--arg sif "$SIF" --arg uif "$UIF") # for the log checks below
bw_dhcp_start "$W/bootwire.yaml" || {
	bw_fail "bootwire serve did not start"
	bw_summary
}
LOG1=$BW_SRV_LOG
if bw_jhas "$LOG1" 'svc("dhcp") and .msg == "serving \($sif) as 10.99.96.1 (server mode)"' &&
	! bw_jhas "$LOG1" 'svc("dhcp") and msg_has("serving \($uif)")'; then
	bw_pass "serves $SIF only (not the unlisted $UIF)"
else
	bw_fail "interfaces served" "$(bw_jlines "$LOG1" 'says("^serving ")')"
fi

# ---- dhclient: DORA and options --------------------------------------------------------
client_iface_reset "$MAC_A"
dhclient_run dora '^(BOUND|FAIL|TIMEOUT);'
IP_A=$(sed -n 's/^BOUND;ip=\([^;]*\);.*/\1/p' <<<"$EV_LINE")
want="BOUND;ip=$IP_A;mask=255.255.255.0;routers=10.99.96.1;dns=10.99.96.1 10.99.96.2;domain=lab.test;lease=600;sid=10.99.96.1;host=;old="
if [[ -n $IP_A ]] && in_pool "$IP_A" && [[ $EV_LINE == "$want" ]]; then
	bw_pass "dhclient: bound to $IP_A with mask, routers, DNS, domain, lease 600 s, server id"
else
	bw_fail "dhclient: DORA" "event: ${EV_LINE:-none}" "want:  $want (address in .100-.150)" \
		"$(bw_log_tail "$W/dhclient-dora.log" 8)" "$(bw_log_tail "$LOG1" 8)"
fi
if bw_dhcp_has "$LOG1" "$MAC_A" "^OFFER $IP_A\$" iface="$SIF" client=dhcp &&
	bw_dhcp_has "$LOG1" "$MAC_A" "^ACK $IP_A\$" iface="$SIF" client=dhcp; then
	bw_pass "log: one OFFER and one ACK line for dhclient"
else
	bw_fail "log lines for dhclient's DORA" "$(bw_dhcp_lines "$LOG1" "$MAC_A")"
fi
st=$(bw_lease "$DB" "$IP_A" "$MAC_A" state)
dur=$(( $(bw_lease "$DB" "$IP_A" "$MAC_A" expires) - $(bw_lease "$DB" "$IP_A" "$MAC_A" starts) )) || true
if [[ $st == bound && $dur == 600 ]]; then
	bw_pass "bootwire leases --json: $IP_A $MAC_A bound for 600 s"
else
	bw_fail "lease of dhclient in the database: state '$st', duration '$dur'" \
		"$("$BOOTWIRE" leases --db "$DB" --json --all)"
fi

# ---- dhclient: INIT-REBOOT with its lease file ------------------------------------------
n_offer=$(bw_dhcp_count "$LOG1" "$MAC_A" '^OFFER ')
dhclient_run reboot '^(BOUND|REBOOT|FAIL|TIMEOUT);'
if [[ $EV_LINE == "REBOOT;ip=$IP_A;"* ]]; then
	bw_pass "dhclient again with its lease file: INIT-REBOOT, same address $IP_A"
else
	bw_fail "dhclient INIT-REBOOT" "event: ${EV_LINE:-none} (want REBOOT with $IP_A)" \
		"$(bw_log_tail "$W/dhclient-reboot.log" 8)" "$(bw_log_tail "$BW_SRV_LOG" 5)"
fi
wire_wait "$W/wire-1.txt" "^ACK .* yiaddr=$IP_A chaddr=$MAC_A .*" || true
xid=$(grep -E "^REQUEST xid=0x[0-9a-f]+ ciaddr=0.0.0.0 yiaddr=0.0.0.0 chaddr=$MAC_A opt50=$IP_A opt54=- " \
	"$W/wire-1.txt" | tail -n 1 | sed 's/^REQUEST xid=\(0x[0-9a-f]*\).*/\1/' || true)
if [[ -n $xid ]] && grep -qE "^ACK xid=$xid ciaddr=0.0.0.0 yiaddr=$IP_A chaddr=$MAC_A " "$W/wire-1.txt" &&
	bw_dhcp_has "$LOG1" "$MAC_A" "^ACK $IP_A\$" xid="$xid" &&
	[[ $(bw_dhcp_count "$LOG1" "$MAC_A" '^OFFER ') == "$n_offer" ]]; then
	bw_pass "wire: REQUEST (option 50, no server id, ciaddr 0) xid $xid answered by ACK, no DISCOVER"
else
	bw_fail "INIT-REBOOT REQUEST/ACK on the wire (xid '${xid}')" "$(grep -i "$MAC_A" "$W/wire-1.txt" | tail -n 4)" \
		"$(bw_dhcp_lines "$LOG1" "$MAC_A" | tail -n 3)"
fi

# ---- udhcpc: DORA, options, renew (ciaddr), release --------------------------------------
client_iface_reset "$MAC_B"
n0=$(wc -l <"$EV_U")
bw_spawn "$CLI" "$W/udhcpc-b.log" busybox udhcpc -f -R -i "$CIF" -s "$W/udhcpc-script" -t 5 -T 1 -A 2
UPID=$BW_LAST_PID
bw_wait_file_re "$EV_U" '^bound;' 20 || true
line=$(tail -n +"$((n0 + 1))" "$EV_U" | grep '^bound;' | head -n 1 || true)
IP_B=$(sed -n 's/^bound;ip=\([^;]*\);.*/\1/p' <<<"$line")
want="bound;ip=$IP_B;subnet=255.255.255.0;router=10.99.96.1;dns=10.99.96.1 10.99.96.2;domain=lab.test;lease=600;serverid=10.99.96.1;hostname="
if [[ -n $IP_B && $IP_B != "$IP_A" && $line == "$want" ]] && in_pool "$IP_B"; then
	bw_pass "udhcpc: bound to $IP_B with subnet, router, DNS, domain, lease 600 s, server id"
else
	bw_fail "udhcpc: DORA" "event: ${line:-none}" "want:  $want (not $IP_A)" \
		"$(bw_log_tail "$W/udhcpc-b.log" 8)" "$(bw_log_tail "$LOG1" 5)"
fi
n_ack=$(bw_dhcp_count "$LOG1" "$MAC_B" "^ACK $IP_B\$")
kill -USR1 "$UPID" 2>/dev/null || true
if bw_wait_file_re "$EV_U" "^renew;ip=$IP_B;" 10; then
	bw_pass "udhcpc: SIGUSR1 renews $IP_B"
else
	bw_fail "udhcpc: no renew event after SIGUSR1" "$(bw_log_tail "$W/udhcpc-b.log" 6)"
fi
wire_wait "$W/wire-2.txt" "^ACK xid=0x[0-9a-f]+ ciaddr=$IP_B yiaddr=$IP_B chaddr=$MAC_B " || true
req=$(grep -E "^REQUEST xid=0x[0-9a-f]+ ciaddr=$IP_B yiaddr=0.0.0.0 chaddr=$MAC_B opt50=- opt54=- src=$IP_B:68 dst=10.99.96.1:67" \
	"$W/wire-2.txt" | tail -n 1 || true)
xid=$(sed -n 's/^REQUEST xid=\(0x[0-9a-f]*\).*/\1/p' <<<"$req")
if [[ -n $xid ]] && grep -qE "^ACK xid=$xid ciaddr=$IP_B yiaddr=$IP_B chaddr=$MAC_B .* dst=$IP_B:68" "$W/wire-2.txt" &&
	bw_dhcp_has "$LOG1" "$MAC_B" "^ACK $IP_B\$" xid="$xid" &&
	(($(bw_dhcp_count "$LOG1" "$MAC_B" "^ACK $IP_B\$") == n_ack + 1)); then
	bw_pass "RENEWING: unicast REQUEST with ciaddr $IP_B, no option 50/54 -> ACK to $IP_B:68 (and its log line)"
else
	bw_fail "RENEWING REQUEST with ciaddr not ACKed" "request: ${req:-none}" \
		"$(grep -i "$MAC_B" "$W/wire-2.txt" | tail -n 4)" "$(bw_dhcp_lines "$LOG1" "$MAC_B" | tail -n 3)"
fi
n0=$(wc -l <"$EV_U")
bw_stop "$UPID" 5 || true
if tail -n +"$((n0 + 1))" "$EV_U" | grep -q '^deconfig;' && grep -q "udhcpc: sending release" "$W/udhcpc-b.log"; then
	bw_pass "udhcpc -R: SIGTERM sends a RELEASE"
else
	bw_fail "udhcpc -R did not release" "$(bw_log_tail "$W/udhcpc-b.log" 5)"
fi
released='svc("dhcp") and verdict("RELEASE " + $ip)'
bw_jwait "$LOG1" "$released" 5 --arg ip "$IP_B" || true
st=$(bw_lease "$DB" "$IP_B" "$MAC_B" state --all)
if [[ $st == released ]] && bw_jhas "$LOG1" "$released" --arg ip "$IP_B"; then
	bw_pass "bootwire leases --json --all: $IP_B $MAC_B released (and a RELEASE log line)"
else
	bw_fail "udhcpc's release in the database: state '$st'" "$("$BOOTWIRE" leases --db "$DB" --json --all)" \
		"$(bw_jlines "$LOG1" 'svc("dhcp") and msg_has("RELEASE")')"
fi
# The RELEASE log line should name the client like every other line does.
rel=$(bw_jsel "$LOG1" "$released" --arg ip "$IP_B" | head -n 1)
relt=$(bw_jq - jtext <<<"$rel")
if [[ $(bw_jq - '.peer' <<<"$rel") == "$MAC_B" ]]; then
	bw_pass "log: the RELEASE line names the client's MAC"
else
	bw_fail "log: the RELEASE line does not name the client ($MAC_B)" "line: ${relt:-none}" \
		"(server bug: RELEASE/DECLINE lines are logged with out->chaddr, which only a reply sets)"
fi

wire_wait "$W/wire-3.txt" "^RELEASE xid=0x[0-9a-f]+ ciaddr=$IP_B .*chaddr=$MAC_B " || true
rxid=$(grep -E "^RELEASE xid=0x[0-9a-f]+ ciaddr=$IP_B .*chaddr=$MAC_B " "$W/wire-3.txt" | tail -n 1 |
	sed 's/^RELEASE xid=\(0x[0-9a-f]*\).*/\1/' || true)
if [[ -n $rxid && $(bw_jq - '.xid' <<<"$rel") == "$rxid" ]]; then
	bw_pass "log: the RELEASE line has the RELEASE's xid ($rxid)"
else
	bw_fail "log: the RELEASE line's xid is not the RELEASE's (${rxid:-not captured})" "line: ${relt:-none}" \
		"(server bug: dhcp_transmit() takes the xid from out->pkt, but a RELEASE/DECLINE has no" \
		" reply (out->len = 0; dhcp_defer() copies none of pkt): the xid is whatever the recycled" \
		" pending buffer held, a previous reply's, or uninitialised memory in a fresh one)"
fi

# ---- a reservation by MAC -----------------------------------------------------------------
client_iface_reset "$MAC_R"
n0=$(wc -l <"$EV_U")
rc=0
bw_run "$W/udhcpc-r.log" 20 busybox udhcpc -i "$CIF" -n -q -t 5 -T 1 -s "$W/udhcpc-script" || rc=$?
line=$(tail -n +"$((n0 + 1))" "$EV_U" | grep '^bound;' | head -n 1 || true)
if [[ $rc == 0 && $line == "bound;ip=$RESV_IP;subnet=255.255.255.0;router=10.99.96.1;"*";hostname=node-r" ]]; then
	bw_pass "reservation: $MAC_R gets $RESV_IP and hostname node-r"
else
	bw_fail "reservation by MAC: rc $rc" "event: ${line:-none}" "$(bw_log_tail "$W/udhcpc-r.log" 5)"
fi
if [[ $(bw_lease "$DB" "$RESV_IP" "$MAC_R" state) == bound && $(bw_lease "$DB" "$RESV_IP" "$MAC_R" hostname) == node-r ]]; then
	bw_pass "bootwire leases: $RESV_IP $MAC_R bound, hostname node-r"
else
	bw_fail "reserved lease in the database" "$("$BOOTWIRE" leases --db "$DB" --json --all)"
fi

# ---- a machine with ip --------------------------------------------------------------------
client_iface_reset "$MAC_M"
n0=$(wc -l <"$EV_U")
rc=0
bw_run "$W/udhcpc-m.log" 20 busybox udhcpc -i "$CIF" -n -q -t 5 -T 1 -s "$W/udhcpc-script" || rc=$?
line=$(tail -n +"$((n0 + 1))" "$EV_U" | grep '^bound;' | head -n 1 || true)
if [[ $rc == 0 && $line == "bound;ip=$MACH_IP;subnet=255.255.255.0;router=10.99.96.1;"*";hostname=node-m" &&
	$(bw_lease "$DB" "$MACH_IP" "$MAC_M" hostname) == node-m ]]; then
	bw_pass "machines entry: $MAC_M gets $MACH_IP and hostname node-m (stored with the lease)"
else
	bw_fail "machines entry with ip: rc $rc" "event: ${line:-none}" "$(bw_log_tail "$W/udhcpc-m.log" 5)" \
		"$("$BOOTWIRE" leases --db "$DB" --json --all)"
fi

# ---- an interface that is not listed ------------------------------------------------------
OMAC=$(ip -n "$OTHER" link show dev "$OIF" | awk '/link\/ether/ {print $2}')
bw_cap_start "$SRV" "$UIF" unlisted || true
rc=0
timeout -k 2 15 ip netns exec "$OTHER" env EV_FILE="$W/unlisted.events" busybox udhcpc -i "$OIF" -n -q \
	-t 3 -T 1 -s "$W/udhcpc-script" >"$W/udhcpc-u.log" 2>&1 </dev/null || rc=$?
sleep 0.5
bw_cap_stop
n_disc=$(bw_cap_summary | grep -c "^DISCOVER .*chaddr=$OMAC" || true)
if [[ $rc != 0 ]] && ! grep -q '^bound;' "$W/unlisted.events" 2>/dev/null && ((n_disc >= 2)) &&
	! bw_jhas "$BW_SRV_LOG" 'tojson | contains($uif) or contains($omac)' --arg omac "$OMAC"; then
	bw_pass "unlisted $UIF: $n_disc DISCOVERs arrived, no answer, no log line"
else
	bw_fail "unlisted interface: udhcpc rc $rc, DISCOVERs seen $n_disc" \
		"$(cat "$W/unlisted.events" 2>/dev/null)" \
		"$(bw_jlines "$BW_SRV_LOG" 'tojson | contains($uif) or contains($omac)' --arg omac "$OMAC")"
fi

# ---- restart: the leases survive ----------------------------------------------------------
bw_stop_server
if [[ $(bw_lease "$DB" "$IP_A" "$MAC_A" state) == bound && $(bw_lease "$DB" "$RESV_IP" "$MAC_R" state) == bound &&
	$(bw_lease "$DB" "$IP_B" "$MAC_B" state --all) == released ]]; then
	bw_pass "after stop: $IP_A and $RESV_IP bound, $IP_B released"
else
	bw_fail "leases after stop" "$("$BOOTWIRE" leases --db "$DB" --json --all)"
fi
if bw_dhcp_start "$W/bootwire.yaml"; then
	if [[ $(bw_lease "$DB" "$IP_A" "$MAC_A" state) == bound && $(bw_lease "$DB" "$RESV_IP" "$MAC_R" state) == bound ]]; then
		bw_pass "after the restart bootwire leases still lists $IP_A and $RESV_IP as bound"
	else
		bw_fail "leases after the restart" "$("$BOOTWIRE" leases --db "$DB" --json --all)" \
			"$(bw_jlines "$BW_SRV_LOG" 'says("^lease database")')"
	fi
	# the machine's lease (outside the range) was read back like a reservation's
	if grep -qE "lease database .*: [0-9]+ active leases, 0 stale rows" "$BW_SRV_LOG"; then
		bw_pass "after the restart the machine's lease of $MACH_IP is read back, not stale"
	else
		bw_fail "leases read back at the restart" "$(grep 'lease database' "$BW_SRV_LOG")"
	fi
	# A released lease must not come back as bound. (bootwire deletes released rows at start,
	# as store.h says; docs/config.md only mentions rows lapsed more than 7 days.)
	st=$(bw_lease "$DB" "$IP_B" "$MAC_B" state --all)
	if [[ $st == released || -z $st ]]; then
		bw_pass "after the restart the released $IP_B is not bound (row: ${st:-purged at start})"
	else
		bw_fail "released lease came back as '$st' after the restart" \
			"$("$BOOTWIRE" leases --db "$DB" --json --all)"
	fi
	client_iface_reset "$MAC_A"
	dhclient_run reboot2 '^(BOUND|REBOOT|FAIL|TIMEOUT);'
	if [[ $EV_LINE == "REBOOT;ip=$IP_A;"* ]] && bw_dhcp_has "$BW_SRV_LOG" "$MAC_A" "^ACK $IP_A\$" &&
		! bw_dhcp_has "$BW_SRV_LOG" "$MAC_A" '^OFFER '; then
		bw_pass "after the restart dhclient's INIT-REBOOT gets $IP_A back"
	else
		bw_fail "INIT-REBOOT after restart" "event: ${EV_LINE:-none}" "$(bw_log_tail "$BW_SRV_LOG" 6)"
	fi
	# ---- dhclient -r: release with the address configured ---------------------------------
	n0=$(wc -l <"$EV_D")
	rc=0
	bw_run "$W/dhclient-release.log" 20 dhclient -r -v -cf "$W/dhclient.conf" -lf "$W/dhclient.leases" \
		-pf "$W/dhclient.pid" -sf "$W/dhclient-script" "$CIF" || rc=$?
	bw_jwait "$BW_SRV_LOG" "$released" 5 --arg ip "$IP_A" || true
	st=$(bw_lease "$DB" "$IP_A" "$MAC_A" state --all)
	if [[ $rc == 0 && $st == released ]] && tail -n +"$((n0 + 1))" "$EV_D" | grep -q "^RELEASE;.*;old=$IP_A$"; then
		bw_pass "dhclient -r: RELEASE of $IP_A; bootwire leases --all says released"
	else
		bw_fail "dhclient -r: rc $rc, state '$st'" "$(bw_log_tail "$W/dhclient-release.log" 4)" \
			"$(bw_log_tail "$BW_SRV_LOG" 4)"
	fi
	if [[ $(bw_lease "$DB" "$IP_A" "$MAC_A" state) == "" ]]; then
		bw_pass "bootwire leases (without --all) no longer lists the released $IP_A"
	else
		bw_fail "released lease still listed as current" "$("$BOOTWIRE" leases --db "$DB" --json)"
	fi
	bw_stop_server
else
	bw_fail "bootwire did not start again on the same database"
fi
bw_cap_stop "$TCPDUMP_PID"
bw_summary
