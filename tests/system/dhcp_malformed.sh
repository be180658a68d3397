#!/usr/bin/env bash
# dhcp_malformed: crafted and malformed DHCP packets, then a DISCOVER flood, against
# `bootwire serve` (log level debug), in namespaces joined by a veth pair (server
# 10.99.95.1/24, a pool of 20 addresses; the client side has no address). The packets are
# raw frames from the client namespace, 0.0.0.0:68 -> 255.255.255.255:67 (dhcp_craft.py,
# scapy).
#
#   dropped with a debug line: options past the end of the packet, an option code without a
#       length, option 53 of 4 bytes, hlen 17, htype 6, op 7, 1 and 235 bytes, 4097 and 9000
#       bytes (IP fragments), option 52 twice, option 52 pointing at a `file` whose option
#       runs past the field, 2295 bytes of one option in 9 pieces (over the join buffer);
#       op 2 (BOOTREPLY), a client's OFFER, 17 hops, a REQUEST without any address
#   answered: zero-length options; option 52 = 3 with 52 again inside file and sname (no
#       loop); sname/file full of non-NUL bytes; exactly 4096 bytes; a 255-byte client id
#       and a 302-byte hostname of quotes, backslashes, control and high bytes (ACKed; the
#       stored name is escaped in `bootwire leases --json`)
#   zero-length client identifier: a plain pool address, not another client's reservation
#   broadcast flag set: the OFFER is broadcast; clear (0x0080 in the field): unicast to the MAC
#   NAK (sniffed): REQUEST for an address outside the pool, off the network, bound to
#       another client (who keeps it)
#   drop log lines name the packet's xid as it was sent
#   afterwards the daemon runs and a real udhcpc gets a lease
#   flood: 20,000 DISCOVERs from random MACs as fast as they go (the daemon survives and
#       serves a client right after), then 40,000 paced at 8,000/s (BW_FLOOD_COUNT,
#       BW_FLOOD_RATE) during which a real udhcpc must get a lease (at most 4 attempts)
#       while the flood still runs
#
# Run: bash tests/system/dhcp_malformed.sh   (root; BOOTWIRE=...)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip busybox jq timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own"
bw_require_scapy
bw_setup_trap
bw_make_work

W=$BW_WORK
SRV=bwdm-s-$$
CLI=bwdm-c-$$
bw_dhcp_pair "$SRV" "$CLI" 95
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
NET=10.99.95
RESV_MAC=02:bd:c2:00:00:10
RESV_IP=$NET.10
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
    - { subnet: $NET.0/24, range: $NET.100-$NET.119, router: $NET.1, dns: [$NET.1],
        domain: lab.test, lease_time: 600 }
  reservations:
    - { mac: "$RESV_MAC", ip: $RESV_IP, hostname: reserved-host }
YAML
DB=$W/leases.db

cat >"$W/udhcpc-script" <<SH
#!/bin/sh
printf '%s;ip=%s\n' "\$1" "\$ip" >>'$W/udhcpc.events'
case \$1 in
bound|renew) ip addr replace "\$ip/\$subnet" dev "\$interface" ;;
deconfig) ip -4 addr flush dev "\$interface" ;;
esac
exit 0
SH
chmod 0755 "$W/udhcpc-script"
touch "$W/udhcpc.events"

in_pool()
{
	local ip=$1 last
	[[ $ip =~ ^10\.99\.95\.([0-9]+)$ ]] || return 1
	last=${BASH_REMATCH[1]}
	((last >= 100 && last <= 119))
}

# udhcpc_lease LABEL MAC SECS: one udhcpc run (-n -q) with a fresh MAC on the client side;
# prints the address it got, or nothing.
udhcpc_lease()
{
	local label=$1 mac=$2 secs=$3 n0 rc=0
	ip -n "$CLI" -4 addr flush dev "$CIF"
	bw_set_mac "$CLI" "$CIF" "$mac"
	n0=$(wc -l <"$W/udhcpc.events")
	bw_run "$W/udhcpc-$label.log" "$secs" busybox udhcpc -i "$CIF" -n -q -t 3 -T 1 -A 0 \
		-s "$W/udhcpc-script" || rc=$?
	[[ $rc == 0 ]] || return 0
	tail -n +"$((n0 + 1))" "$W/udhcpc.events" | sed -n 's/^bound;ip=//p' | head -n 1
}

BW_JQ_ARGS=(--arg sif "$SIF") # for the log checks below
bw_dhcp_start "$W/bootwire.yaml" || {
	bw_fail "bootwire serve did not start"
	bw_summary
}
LOG=$BW_SRV_LOG

# ---- the crafted packets -------------------------------------------------------------------
CASES=(runs_past_end opt_len_at_end type_len_4 zero_len_opts zero_len_client_id split_too_long
	hlen_17 htype_6 op_2 op_7 one_byte short_235 exactly_4096 big_4097 big_9000 overload_loop
	overload_bad overload_twice garbage_names flag_broadcast flag_unicast type_offer hops_17
	request_outside request_offnet request_no_addr long_strings steal)
bw_say "crafted packets: ${#CASES[@]} cases"
rc=0
bw_run "$W/craft.out" 120 "$BW_SCAPY_PY" "$BW_CRAFT" cases --iface "$CIF" --outside "$NET.200" \
	--offnet 10.1.2.3 "${CASES[@]}" || rc=$?
if [[ $rc != 0 ]]; then
	bw_fail "dhcp_craft.py cases: exit $rc" "$(tail -n 15 "$W/craft.out")"
fi
sleep 0.3 # the last log lines

# res NAME [N]: the N-th (default 1st) result line of a case
res()
{
	grep "^case=$1 " "$W/craft.out" | sed -n "${2:-1}p"
}
field()
{ # field LINE KEY
	sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<" $1"
}

# expect_drop NAME REASON: no reply, and the "dropping N-byte packet: REASON" debug line.
expect_drop()
{
	local name=$1 reason=$2 line len
	line=$(res "$name")
	len=$(field "$line" len)
	if [[ -n $line && $(field "$line" reply) == none ]] &&
		bw_jhas "$LOG" 'of("0.0.0.0:68") and unparsed($sif; $n; $r)' --arg n "$len" --arg r "$reason"; then
		bw_pass "$name ($len bytes): dropped, logged \"$reason\""
	else
		bw_fail "$name: want no reply and \"dropping $len-byte packet: $reason\"" "result: ${line:-none}" \
			"$(bw_jlines "$LOG" 'of("0.0.0.0:68")' | tail -n 3)"
	fi
}

# expect_verdict NAME LEVEL TEXT: no reply; the client's own line (by MAC) says TEXT.
expect_verdict()
{
	local name=$1 level=$2 text=$3 line mac
	line=$(res "$name")
	mac=$(field "$line" mac)
	if [[ -n $line && $(field "$line" reply) == none ]] &&
		bw_jhas "$LOG" '.level == $l and dhcp($m) and refused($sif; $t)' --arg l "$level" --arg m "$mac" --arg t "$text"; then
		bw_pass "$name: no reply; $level line \"$text\""
	else
		bw_fail "$name: want no reply and a $level line \"$text\"" "result: ${line:-none}" \
			"$(bw_dhcp_lines "$LOG" "${mac:-none}" | tail -n 3)"
	fi
}

# expect_offer NAME: an OFFER of a pool address, and its log line.
expect_offer()
{
	local name=$1 line mac ip
	line=$(res "$name")
	mac=$(field "$line" mac)
	ip=$(field "$line" yiaddr)
	if [[ $(field "$line" reply) == OFFER ]] && in_pool "$ip" && bw_dhcp_has "$LOG" "$mac" "^OFFER $ip\$" level=info; then
		bw_pass "$name ($(field "$line" len) bytes): OFFER $ip"
	else
		bw_fail "$name: want an OFFER from the pool" "result: ${line:-none}" \
			"$(bw_dhcp_lines "$LOG" "${mac:-none}" | tail -n 3)"
	fi
}

# expect_nak NAME [N] WHY: a NAK (sniffed) whose option 56 says WHY.
expect_nak()
{
	local name=$1 n=$2 why=$3 line
	line=$(res "$name" "$n")
	if [[ $(field "$line" reply) == NAK && $line == *"msg=\"NAK: $why\""* ]] &&
		bw_dhcp_has "$LOG" "$(field "$line" mac)" "^NAK: $why\$" level=info xid="$(field "$line" xid)"; then
		bw_pass "$name: NAK \"$why\" on the wire and in the log"
	else
		bw_fail "$name: want a NAK \"$why\"" "result: ${line:-none}"
	fi
}

expect_drop runs_past_end malformed
expect_drop opt_len_at_end malformed
expect_drop type_len_4 malformed
expect_drop split_too_long "too large"
expect_drop hlen_17 malformed
expect_drop htype_6 "not Ethernet"
expect_drop op_7 malformed
expect_drop one_byte malformed
expect_drop short_235 malformed
expect_drop overload_bad malformed
expect_drop overload_twice malformed
# Datagrams over the 4096-byte receive buffer are cut by the kernel: the line says 4097.
for name in big_4097 big_9000; do
	line=$(res "$name")
	if [[ $(field "$line" reply) == none ]]; then
		bw_pass "$name ($(field "$line" len) bytes, IP fragments): no reply"
	else
		bw_fail "$name: a reply" "result: ${line:-none}"
	fi
done
n_big=$(bw_jcount "$LOG" 'of("0.0.0.0:68") and unparsed($sif; "4097"; "too large")')
if ((n_big == 2)); then
	bw_pass "4097 and 9000 bytes: two \"too large\" debug lines"
else
	bw_fail "datagrams over 4096 bytes: $n_big \"dropping 4097-byte packet: too large\" lines, want 2" \
		"$(bw_jlines "$LOG" 'msg_has("too large")')"
fi
expect_verdict op_2 debug "dropping: not a BOOTREQUEST (op 2)"
expect_verdict type_offer info "dropping: a client does not send OFFER"
expect_verdict hops_17 info "dropping: relayed through 17 hops"
expect_verdict request_no_addr info "ignoring REQUEST: neither a requested address nor ciaddr"
expect_offer zero_len_opts
expect_offer overload_loop
expect_offer garbage_names
expect_offer exactly_4096

# The broadcast flag (RFC 2131 4.1): set, the OFFER goes to ff:ff:ff:ff:ff:ff/255.255.255.255;
# clear (0x0080 in the field), to the client's hardware address and yiaddr.
line=$(res flag_broadcast)
dst=$(field "$line" dst)
if [[ $(field "$line" reply) == OFFER && $dst == "ff:ff:ff:ff:ff:ff/255.255.255.255:68" ]]; then
	bw_pass "broadcast flag set: OFFER broadcast ($dst)"
else
	bw_fail "broadcast flag set: OFFER went to ${dst:-nowhere}, want ff:ff:ff:ff:ff:ff/255.255.255.255:68" \
		"result: $line" \
		"(server bug: dhcp_route() tests ntohs(h->flags) & 0x8000, but the parser stores flags in" \
		" host order, so the flag is ignored and 0x0080 is taken for it)"
fi
line=$(res flag_unicast)
dst=$(field "$line" dst)
if [[ $(field "$line" reply) == OFFER && $dst == "$(field "$line" mac)/$(field "$line" yiaddr):68" ]]; then
	bw_pass "flags 0x0080 (broadcast bit clear): OFFER to the client's MAC and yiaddr ($dst)"
else
	bw_fail "broadcast bit clear (flags 0x0080): OFFER went to ${dst:-nowhere}" "result: $line"
fi

# A zero-length option 61 must not match a reservation that has no client_id.
line=$(res zero_len_client_id)
ip=$(field "$line" yiaddr)
l2=$(res zero_len_client_id 2)
if [[ $(field "$line" reply) == OFFER && $(field "$l2" reply) == ACK ]] && in_pool "$ip"; then
	bw_pass "zero-length client identifier: OFFER and ACK of $ip from the pool"
else
	bw_fail "zero-length client identifier from $(field "$line" mac) got ${ip:-no address}" \
		"result: $line" "result: $l2" "$(bw_dhcp_lines "$LOG" "$(field "$line" mac)")" \
		"(server bug: dhcp_resv_of() matches option 61 of length 0 against the empty client_id" \
		" of a MAC-only reservation, so the client gets $RESV_MAC's $RESV_IP and hostname)"
fi

# Drop lines carry the xid as sent (the header is parsed to host byte order already).
line=$(res op_2)
xid=$(field "$line" xid)
got=$(bw_dhcp_msgs "$LOG" "$(field "$line" mac)" '^xid=' | sed -n 's/^xid=\(0x[0-9a-f]*\) .*/\1/p' | head -n 1)
if [[ -n $xid && $got == "$xid" ]]; then
	bw_pass "drop lines name the packet's xid ($xid)"
else
	bw_fail "drop line xid is ${got:-missing}, the packet's is $xid" \
		"$(bw_dhcp_lines "$LOG" "$(field "$line" mac)" '^xid=')" \
		"(server bug: dhcp_log_drop() prints ntohl(m->hdr.xid), but bw_dhcp_parse stores xid in host order)"
fi

# Long strings: ACKed, stored, escaped in JSON.
l1=$(res long_strings 1)
l2=$(res long_strings 2)
mac=$(field "$l1" mac)
ip=$(field "$l2" yiaddr)
if [[ $(field "$l1" reply) == OFFER && $(field "$l2" reply) == ACK ]] && in_pool "$ip"; then
	bw_pass "255-byte client id + 302-byte hostname (2 pieces): OFFER, ACK $ip"
else
	bw_fail "long_strings: want OFFER then ACK" "$l1" "$l2"
fi
if "$BOOTWIRE" leases --db "$DB" --json --all >"$W/leases.json" && jq -e . "$W/leases.json" >/dev/null; then
	host=$(jq -r --arg a "$ip" '.[] | select(.address == $a) | .hostname' "$W/leases.json")
	want=$(printf 'h"q\\\001\177')
	if [[ $(bw_lease "$DB" "$ip" "$mac" state) == bound && $host == "$want"* && ${#host} -le 63 ]]; then
		bw_pass "bootwire leases --json is valid JSON; the hostname is stored (${#host} characters) and escaped"
	else
		bw_fail "long hostname in the database" "$(grep -F "$ip" "$W/leases.json")"
	fi
else
	bw_fail "bootwire leases --json is not valid JSON" "$(head -c 2000 "$W/leases.json")"
fi

# NAKs
expect_nak request_outside 1 "address outside the pool"
expect_nak request_offnet 1 "address not on this network"
v=$(res steal 2)
vip=$(field "$v" yiaddr)
expect_nak steal.thief 1 "address in use by another client"
if [[ $(field "$v" reply) == ACK && $(bw_lease "$DB" "$vip" "$(field "$v" mac)" state) == bound ]]; then
	bw_pass "the victim keeps $vip"
else
	bw_fail "steal: victim's lease" "$v" "$(cat "$W/leases.json")"
fi

# Still alive, logged its drops, still serving
n_drop=$(bw_jcount "$LOG" 'of("0.0.0.0:68") and unparsed($sif; null; null)')
if bw_alive "$BW_SRV_PID"; then
	bw_pass "bootwire still runs after the crafted packets ($n_drop unparsable ones logged at debug)"
else
	bw_fail "bootwire died during the crafted packets" "$(bw_log_tail "$LOG" 20)"
fi
ip=$(udhcpc_lease after-craft 02:bd:c2:00:01:01 20)
if [[ -n $ip ]] && in_pool "$ip"; then
	bw_pass "a real udhcpc gets $ip afterwards"
else
	bw_fail "udhcpc after the crafted packets: no lease" "$(bw_log_tail "$W/udhcpc-after-craft.log" 6)" \
		"$(bw_log_tail "$LOG" 6)"
fi

# ---- flood 1: as fast as it goes -----------------------------------------------------------
DURING='svc("dhcp") and (.peer // "" | startswith("02:bd:c2:00:03:0"))' # the udhcpc runs of flood 2
n0=$(wc -l <"$LOG")
bw_run "$W/flood1.out" 60 "$BW_SCAPY_PY" "$BW_CRAFT" flood --iface "$CIF" --count 20000 --seconds 20 || true
sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$W/flood1.out")
bw_say "flood 1: $(grep '^sent=' "$W/flood1.out" || echo 'no summary')"
sleep 0.5
n_offer=$(tail -n +"$n0" "$LOG" | bw_jcount - 'svc("dhcp") and says("^OFFER 10\\.99\\.95\\.")')
t0=$SECONDS
ip=$(udhcpc_lease after-flood1 02:bd:c2:00:02:01 20)
if bw_alive "$BW_SRV_PID" && [[ -n $ip ]] && in_pool "$ip"; then
	bw_pass "unpaced flood of ${sent:-?} DISCOVERs ($n_offer OFFERs logged): bootwire runs, udhcpc gets $ip $((SECONDS - t0)) s later"
else
	bw_fail "after the unpaced flood: alive $(bw_alive "$BW_SRV_PID" && echo yes || echo no), lease '${ip}'" \
		"$(cat "$W/flood1.out")" "$(bw_log_tail "$W/udhcpc-after-flood1.log" 6)"
fi

# ---- flood 2: paced, a real client in the middle of it -------------------------------------
FLOOD_RATE=${BW_FLOOD_RATE:-8000}
FLOOD_COUNT=${BW_FLOOD_COUNT:-40000}
n0=$(wc -l <"$LOG")
bw_spawn "$CLI" "$W/flood2.out" "$BW_SCAPY_PY" "$BW_CRAFT" flood --iface "$CIF" \
	--count "$FLOOD_COUNT" --seconds 12 --rate "$FLOOD_RATE"
FLOOD_PID=$BW_LAST_PID
bw_wait_file_re "$W/flood2.out" '^started' 10 || true
sleep 0.5
ip=
during=no
for try in 1 2 3 4; do
	ip=$(udhcpc_lease "during-$try" "02:bd:c2:00:03:0$try" 8)
	if [[ -n $ip ]]; then
		bw_alive "$FLOOD_PID" && ! grep -q '^sent=' "$W/flood2.out" && during=yes
		break
	fi
	bw_alive "$FLOOD_PID" || break
done
bw_wait_pid "$FLOOD_PID" 30 || true
n_offer=$(tail -n +"$n0" "$LOG" | bw_jcount - 'svc("dhcp") and says("^OFFER 10\\.99\\.95\\.")')
n_nak=$(tail -n +"$n0" "$LOG" | bw_jcount - "$DURING"' and says("^NAK")')
bw_say "flood 2: $(grep '^sent=' "$W/flood2.out" || echo 'no summary'); $n_offer OFFERs logged"
if [[ -n $ip && $during == yes ]] && in_pool "$ip"; then
	bw_pass "during a $FLOOD_RATE/s DISCOVER flood udhcpc gets $ip (attempt $try, $n_nak NAKs before)"
else
	bw_fail "no lease for udhcpc during the paced flood (attempts: $try, lease '${ip}', during: $during)" \
		"$(cat "$W/flood2.out")" "$(bw_jlines "$LOG" "$DURING" | tail -n 8)"
fi
mac_last=$(ip -n "$CLI" link show dev "$CIF" | awk '/link\/ether/ {print $2}')
if bw_alive "$BW_SRV_PID" && [[ -n $ip && $(bw_lease "$DB" "$ip" "$mac_last" state) == bound ]]; then
	bw_pass "after the flood: bootwire runs; $ip is bound to $mac_last in the database"
else
	bw_fail "after the paced flood" "$("$BOOTWIRE" leases --db "$DB" --json)" "$(bw_log_tail "$LOG" 5)"
fi
bw_stop_server
bw_summary
