#!/usr/bin/env bash
# dhcp_harden: the DHCP items of issue 11 against `bootwire serve` (log JSON, level debug), in
# namespaces joined by a veth pair (server 10.99.93.1/24, a pool of 20 addresses; the client
# side has no address). Crafted packets are raw frames from the client namespace
# (dhcp_harden.py on top of dhcp_craft.py, scapy); each part ends with a real udhcpc getting
# a lease. Each part starts bootwire on a new lease database.
#
#   1. a refused reply does not take its batch with it: an nftables rule in the server's
#      namespace drops (output hook: sendmmsg gets EPERM) the OFFERs to 2 of 12 clients whose
#      DISCOVERs are read in one batch (bootwire stopped while they arrive); the other 10 get
#      their OFFERs, and each refused one is logged (warn, with the client's MAC, the xid and
#      "Operation not permitted"); 30 refused in one batch give at most 10 warn lines
#   2. DECLINE: ignored from another MAC, with another server identifier, without option 50,
#      for an address only offered (the holder keeps its address); one client's 5 DECLINEs
#      keep its 2 newest quarantined (each further one: "...quarantine cap reached: this
#      client already had 2 declined addresses quarantined (dhcp.decline_max_per_mac): X
#      released early"); a storm of 40 clients each binding and DECLINEing keeps 5 of the 20
#      addresses quarantined ("5 of the pool's 20 addresses are quarantined
#      (dhcp.decline_max_percent 25): X released early", warn lines rate-limited): all 40
#      get their address, then 14 new clients get 14 addresses (20, less 5 quarantined, less
#      1 bound); after a restart the rows read back are capped the same way (13 more: udhcpc
#      holds one now)
#   3. an offer stands: A is offered X; B's REQUEST for X, without a server identifier
#      (INIT-REBOOT) and with ours (SELECTING), gets a NAK "address offered to another
#      client"; A's REQUEST then gets ACK X and X is bound to A in the database
#
# Run: bash tests/system/dhcp_harden.sh   (root; BOOTWIRE=...)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip busybox jq nft timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own"
bw_require_scapy
bw_setup_trap
bw_make_work

W=$BW_WORK
SRV=bwdh-s-$$
CLI=bwdh-c-$$
bw_dhcp_pair "$SRV" "$CLI" 93
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
NET=10.99.93
HARDEN=$BW_REPO_ROOT/tests/system/dhcp_harden.py
mkdir -p "$W/root"
BW_JQ_ARGS=(--arg sif "$SIF")

# config NAME [EXTRA_DHCP_KEYS]: W/NAME.yaml with its own lease database
config()
{
	cat >"$W/$1.yaml" <<YAML
boot_root: $W/root
log: {level: debug, format: json}
tftp: {enabled: false}
dhcp:
  enabled: true
  interfaces: [$SIF]
  lease_db: $1.db
${2:-}
  subnets:
    - { subnet: $NET.0/24, range: $NET.100-$NET.119, router: $NET.1, lease_time: 600 }
YAML
}

start()
{
	bw_dhcp_start "$W/$1.yaml" || {
		bw_fail "bootwire serve -c $1.yaml did not start"
		bw_summary
	}
	LOG=$BW_SRV_LOG
}

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
	local last
	[[ $1 =~ ^10\.99\.93\.([0-9]+)$ ]] || return 1
	last=${BASH_REMATCH[1]}
	((last >= 100 && last <= 119))
}

# live LABEL MAC: a real udhcpc (-n -q, a fresh MAC) gets a lease from the pool
live()
{
	local label=$1 mac=$2 n0 rc=0 ip
	ip -n "$CLI" -4 addr flush dev "$CIF"
	bw_set_mac "$CLI" "$CIF" "$mac"
	n0=$(wc -l <"$W/udhcpc.events")
	bw_run "$W/udhcpc-$label.log" 20 busybox udhcpc -i "$CIF" -n -q -t 3 -T 1 -A 0 \
		-s "$W/udhcpc-script" || rc=$?
	ip=$(tail -n +"$((n0 + 1))" "$W/udhcpc.events" | sed -n 's/^bound;ip=//p' | head -n 1)
	if [[ $rc == 0 ]] && in_pool "$ip" && bw_dhcp_has "$LOG" "$mac" "^ACK $(bw_re_quote "$ip")\$"; then
		bw_pass "$label: a real udhcpc ($mac) gets $ip"
	else
		bw_fail "$label: udhcpc ($mac) gets no lease (exit $rc, address '${ip}')" \
			"$(bw_log_tail "$W/udhcpc-$label.log" 6)" "$(bw_dhcp_lines "$LOG" "$mac" | tail -n 5)"
	fi
	ip -n "$CLI" -4 addr flush dev "$CIF"
}

# res FILE NAME: the result line of case NAME in FILE (dhcp_craft.py's format); field LINE KEY
res()
{
	nth "$1" "$2" 1
}
# nth FILE NAME N: the N-th result line of NAME (a case that sent several packets)
nth()
{
	grep "^case=$2 " "$1" 2>/dev/null | sed -n "$3p" || true
}
field()
{
	sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<" $1"
}

# ---- 1. one refused reply, not the whole batch ---------------------------------------------
bw_say "1. a reply the kernel refuses (nftables, EPERM) among 12 in one sendmmsg batch"
config send
start send
PREFIX=02:00:5e:b7:00
BAD=(1 7) # their OFFERs are dropped in the server's output hook: sendmmsg sees EPERM
{
	echo 'table inet bwharden {'
	echo '  chain out {'
	echo '    type filter hook output priority 0; policy accept;'
	for i in "${BAD[@]}"; do
		# the BOOTP chaddr is at byte 28 of the UDP payload (bit 224)
		printf '    udp dport 68 @ih,224,48 0x%s drop\n' "$(printf '%s:%02x' "$PREFIX" "$i" | tr -d :)"
	done
	echo '  }'
	echo '}'
} >"$W/harden.nft"
if ! ip netns exec "$SRV" nft -f "$W/harden.nft" 2>"$W/nft.err"; then
	bw_fail "nft: cannot load the output rule" "$(cat "$W/nft.err")"
	bw_summary
fi
rc=0
bw_run "$W/burst.out" 60 "$BW_SCAPY_PY" "$HARDEN" burst --iface "$CIF" --count 12 \
	--stop-pid "$BW_SRV_PID" --mac-prefix "$PREFIX" --wait 5 || rc=$?
[[ $rc == 0 ]] || bw_fail "dhcp_harden.py burst: exit $rc" "$(tail -n 15 "$W/burst.out")"
got=0
for ((i = 1; i <= 12; i++)); do
	line=$(res "$W/burst.out" "burst.$i")
	mac=$(field "$line" mac)
	if [[ " ${BAD[*]} " == *" $i "* ]]; then
		xid=$(field "$line" xid)
		if [[ $(field "$line" reply) == none ]] &&
			bw_jwait "$LOG" '.level == "warn" and dhcp($m) and says("^xid=\($x) iface=\($sif): OFFER 10\\.99\\.93\\.[0-9]+ not sent: Operation not permitted; dropping it")' 5 --arg m "$mac" --arg x "$xid"; then
			bw_pass "client $i ($mac): its OFFER refused by nftables, logged at warn with its MAC and xid"
		else
			bw_fail "client $i ($mac): want no OFFER and a warn line \"xid=$xid iface=$SIF: OFFER ... not sent: Operation not permitted; dropping it\"" \
				"result: ${line:-none}" "$(bw_dhcp_lines "$LOG" "${mac:-none}" | tail -n 3)" \
				"$(bw_jlines "$LOG" '.level == "warn"' | tail -n 3)"
		fi
	elif [[ $(field "$line" reply) == OFFER ]] && in_pool "$(field "$line" yiaddr)"; then
		got=$((got + 1))
	else
		bw_fail "client $i ($mac): no OFFER" "result: ${line:-none}" "$(bw_dhcp_lines "$LOG" "${mac:-none}" | tail -n 3)"
	fi
done
if ((got == 10)); then
	bw_pass "the 10 other clients of the same batch get their OFFERs"
else
	bw_fail "$got of the 10 other clients got an OFFER" "$(cat "$W/burst.out")" "$(bw_jlines "$LOG" '.level == "warn"')"
fi
n_batch=$(bw_jcount "$LOG" 'svc("dhcp") and (.peer // "" | startswith("02:00:5e:b7:00:")) and says("^OFFER ")')
bw_say "OFFER lines logged for the burst: $n_batch"
live send-live 02:bd:c3:00:01:01
# 30 refused in one batch: the warn lines are rate-limited (5 a second per interface)
ip netns exec "$SRV" nft add rule inet bwharden out udp dport 68 @ih,224,40 0x02005eb701 drop
bw_run "$W/burst30.out" 60 "$BW_SCAPY_PY" "$HARDEN" burst --iface "$CIF" --count 30 \
	--stop-pid "$BW_SRV_PID" --mac-prefix 02:00:5e:b7:01 --wait 3 || true
sleep 0.3
n_off=$(grep -c 'reply=OFFER' "$W/burst30.out" || true)
n_warn=$(bw_jcount "$LOG" '.level == "warn" and (.peer // "" | startswith("02:00:5e:b7:01:")) and msg_has(" not sent: Operation not permitted; dropping it")')
if ((n_off == 0 && n_warn >= 1 && n_warn <= 10)); then
	bw_pass "30 refused OFFERs in one batch: $n_warn warn lines (rate-limited per interface)"
else
	bw_fail "30 refused OFFERs: $n_off OFFERs got through, $n_warn warn lines (want 0, and 1 to 10)" \
		"$(bw_jlines "$LOG" '.level == "warn"' | tail -n 5)"
fi
ip netns exec "$SRV" nft flush ruleset
live send-live2 02:bd:c3:00:01:02
bw_stop_server

# ---- 2. DECLINE: only from the holder, and capped ------------------------------------------
bw_say "2. DECLINEs: who may send them, one client's 5, a storm of 40"
config decline
start decline
rc=0
bw_run "$W/decline.out" 120 "$BW_SCAPY_PY" "$HARDEN" cases --iface "$CIF" --mac-byte 2 --gap 0.02 \
	--reply-wait 0.3 decline_checks decline_one_mac decline_storm || rc=$?
[[ $rc == 0 ]] || bw_fail "dhcp_harden.py cases decline_*: exit $rc" "$(tail -n 15 "$W/decline.out")"
sleep 0.3 # the last lease commits and their lines

# ignored NAME TEXT: the DECLINE of step NAME got no reply and its client's line says TEXT
ignored()
{
	local line mac
	line=$(res "$W/decline.out" "decline_checks.$1")
	mac=$(field "$line" mac)
	if [[ -n $line && $(field "$line" reply) == none ]] &&
		bw_jhas "$LOG" 'dhcp($m) and refused($sif; $t) and says("^xid=\($x) ")' --arg m "$mac" --arg t "$2" --arg x "$(field "$line" xid)"; then
		bw_pass "DECLINE $1: ignored, \"$2\""
	else
		bw_fail "DECLINE $1: want it ignored with \"$2\"" "result: ${line:-none}" \
			"$(bw_dhcp_lines "$LOG" "${mac:-none}" | tail -n 3)"
	fi
}
l0=$(nth "$W/decline.out" decline_checks 2) # DISCOVER, REQUEST: the ACK
X=$(field "$l0" yiaddr)
MAC_X=$(field "$l0" mac)
ignored other_mac "ignoring DECLINE of $X: not this client's address"
ignored wrong_sid "ignoring DECLINE: not addressed to this server"
ignored no_opt50 "ignoring DECLINE: no requested address (option 50)"
line=$(res "$W/decline.out" decline_checks.b_discover)
ignored b_offered "ignoring DECLINE of $(field "$line" yiaddr): not this client's address"
line=$(res "$W/decline.out" decline_checks.renew)
if [[ $(field "$line" reply) == ACK && $(field "$line" yiaddr) == "$X" ]] && bw_lease_bound "$W/decline.yaml" "$MAC_X" "^$(bw_re_quote "$X")\$"; then
	bw_pass "after the ignored DECLINEs $X is still bound to $MAC_X (its INIT-REBOOT REQUEST: ACK $X)"
else
	bw_fail "after the ignored DECLINEs: $X should still be $MAC_X's" "result: ${line:-none}"
fi

# one client, 5 DECLINEs: from the 3rd on, each releases that client's oldest quarantine
ONE=()
for k in 0 1 2 3 4; do
	line=$(res "$W/decline.out" "decline_one_mac.round$k")
	line2=$(nth "$W/decline.out" "decline_one_mac.round$k" 2)
	[[ $(field "$line2" reply) == ACK ]] && ONE+=("$(field "$line2" yiaddr)") || ONE+=(none)
	MAC_ONE=$(field "$line" mac)
done
for k in 0 1 2 3 4; do
	want="DECLINE ${ONE[k]}: quarantined"
	((k >= 2)) && want+="; quarantine cap reached: this client already had 2 declined addresses quarantined (dhcp.decline_max_per_mac): ${ONE[k - 2]} released early"
	if [[ ${ONE[k]} != none ]] && bw_jhas "$LOG" 'dhcp($m) and .msg == $w and .level == "info"' --arg m "$MAC_ONE" --arg w "$want"; then
		bw_pass "one client's DECLINE $((k + 1)) of 5: \"$want\""
	else
		bw_fail "one client's DECLINE $((k + 1)) of 5: want \"$want\"" "$(bw_dhcp_lines "$LOG" "${MAC_ONE:-none}" | tail -n 6)"
	fi
done
if bw_jhas "$LOG" '.level == "warn" and dhcp($m) and says("^xid=0x[0-9a-f]+ iface=\($sif): quarantine cap reached: this client already had 2 ")' --arg m "$MAC_ONE"; then
	bw_pass "the per-client cap is logged at warn"
else
	bw_fail "no warn line for the per-client cap" "$(bw_jlines "$LOG" '.level == "warn"' | tail -n 5)"
fi

# the storm: every one of the 40 clients gets its address, the quarantine stays at 5 of 20
acks=0
for ((k = 0; k < 40; k++)); do
	line=$(nth "$W/decline.out" "decline_storm.mac$k" 2)
	[[ $(field "$line" reply) == ACK ]] && acks=$((acks + 1))
done
if ((acks == 40)); then
	bw_pass "DECLINE storm: all 40 clients were offered and ACKed an address before their DECLINE"
else
	bw_fail "DECLINE storm: $acks of 40 clients got an address (the quarantine took the pool)" \
		"$(grep '^case=decline_storm' "$W/decline.out" | grep -v 'reply=ACK\|reply=OFFER\|decline' | head -n 5 || true)"
fi
n_cap=$(bw_jcount "$LOG" 'svc("dhcp") and .level == "info" and says("^DECLINE 10\\.99\\.93\\.[0-9]+: quarantined; quarantine cap reached: 5 of the pool.s 20 addresses are quarantined \\(dhcp\\.decline_max_percent 25\\): 10\\.99\\.93\\.[0-9]+ released early$")')
if ((n_cap >= 35)); then
	bw_pass "DECLINE storm: $n_cap DECLINEs each released the oldest quarantine (\"5 of the pool's 20 addresses are quarantined\")"
else
	bw_fail "DECLINE storm: $n_cap DECLINEs at the pool's cap, want at least 35" "$(bw_jlines "$LOG" 'says("^DECLINE")' | tail -n 5)"
fi
if bw_jhas "$LOG" '.level == "warn" and svc("dhcp") and says("quarantine cap reached: 5 of the pool.s 20 addresses")'; then
	bw_pass "the pool's cap is logged at warn ($(bw_jcount "$LOG" '.level == "warn" and says("quarantine cap reached")') warn lines for $((n_cap + 3)) DECLINEs at a cap)"
else
	bw_fail "no warn line for the pool's cap" "$(bw_jlines "$LOG" '.level == "warn"' | tail -n 5)"
fi
# what the quarantine leaves is usable: N DISCOVERs in one burst get N different addresses
# burstn LABEL MAC_PREFIX N WHY
burstn()
{
	local label=$1 out=$W/$1.out want=$3 n addrs
	bw_run "$out" 60 "$BW_SCAPY_PY" "$HARDEN" burst --iface "$CIF" --count "$want" \
		--stop-pid "$BW_SRV_PID" --mac-prefix "$2" --wait 5 || true
	addrs=$(grep -c 'reply=OFFER' "$out" || true)
	n=$(sed -n 's/.*reply=OFFER yiaddr=\([^ ]*\).*/\1/p' "$out" | sort -u | wc -l)
	if ((addrs == want && n == want)); then
		bw_pass "$label: $want new clients are offered $want different addresses ($4)"
	else
		bw_fail "$label: $addrs OFFERs, $n different addresses, want $want ($4)" "$(cat "$out")"
	fi
}
burstn after-storm 02:00:5e:b7:02 14 "20, less 5 quarantined, less $X bound"
live decline-live 02:bd:c3:00:02:01
bw_stop_server
# the store still holds every DECLINE: read back at a restart, the caps apply to them too
start decline
if bw_jwait "$LOG" '.level == "warn" and svc("dhcp") and says("^[0-9]+ quarantined addresses in the lease database were over dhcp.decline_max_per_mac or decline_max_percent: released early$")' 5; then
	bw_pass "restart: $(bw_jq "$LOG" 'select(says("quarantined addresses in the lease database")) | .msg' | head -n 1)"
else
	bw_fail "restart: no line about the quarantined rows over the caps" "$(bw_log_tail "$LOG" 8)"
fi
burstn after-restart 02:00:5e:b7:03 13 "20, less 5 quarantined, less 2 bound"
# a reload that lowers the pool's cap to 10% (2 addresses) releases 3 of the 5 at once
config decline "  decline_max_percent: 10"
kill -HUP "$BW_SRV_PID"
if bw_jwait "$LOG" '.level == "warn" and svc("dhcp") and .msg == "3 quarantined addresses after the reload were over dhcp.decline_max_per_mac or decline_max_percent: released early"' 10; then
	bw_pass "reload to decline_max_percent 10: \"3 quarantined addresses after the reload were over ...: released early\""
else
	bw_fail "reload to decline_max_percent 10: want 3 quarantined addresses released" "$(bw_log_tail "$LOG" 8)"
fi
bw_stop_server

# ---- 3. an offer stands until it times out -------------------------------------------------
bw_say "3. another client REQUESTs the address offered to A"
config offer
start offer
rc=0
bw_run "$W/offer.out" 60 "$BW_SCAPY_PY" "$HARDEN" cases --iface "$CIF" --mac-byte 3 --gap 0.05 \
	offer_held || rc=$?
[[ $rc == 0 ]] || bw_fail "dhcp_harden.py cases offer_held: exit $rc" "$(tail -n 15 "$W/offer.out")"
l0=$(res "$W/offer.out" offer_held)
x=$(field "$l0" yiaddr)
if [[ $(field "$l0" reply) == OFFER ]] && in_pool "$x"; then
	bw_pass "A ($(field "$l0" mac)) is offered $x"
else
	bw_fail "A: want an OFFER" "result: ${l0:-none}"
fi
for step in other_reboot other_select; do
	line=$(res "$W/offer.out" "offer_held.$step")
	if [[ $(field "$line" reply) == NAK && $line == *'msg="NAK: address offered to another client"'* ]] &&
		bw_dhcp_has "$LOG" "$(field "$line" mac)" '^NAK: address offered to another client$' xid="$(field "$line" xid)"; then
		bw_pass "B's REQUEST for $x ($step): NAK \"address offered to another client\""
	else
		bw_fail "B's REQUEST for $x ($step): want a NAK \"address offered to another client\"" \
			"result: ${line:-none}"
	fi
done
line=$(res "$W/offer.out" offer_held.first)
if [[ $(field "$line" reply) == ACK && $(field "$line" yiaddr) == "$x" ]] &&
	bw_jwait "$LOG" 'dhcp($m) and verdict("ACK " + $x)' 5 --arg m "$(field "$l0" mac)" --arg x "$x"; then
	bw_pass "A's REQUEST for $x: ACK $x"
else
	bw_fail "A's REQUEST for $x: want ACK $x" "result: ${line:-none}" \
		"$(bw_dhcp_lines "$LOG" "$(field "$l0" mac)" | tail -n 3)"
fi
if bw_lease_bound "$W/offer.yaml" "$(field "$l0" mac)" "^$(bw_re_quote "$x")\$"; then
	bw_pass "$x is bound to A in the lease database"
else
	bw_fail "$x is not bound to A" "$("$BOOTWIRE" leases -c "$W/offer.yaml" --json)"
fi
live offer-live 02:bd:c3:00:03:01
bw_stop_server

bw_summary
