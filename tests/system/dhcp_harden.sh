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
#      "Operation not permitted")
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
	grep "^case=$2 " "$1" | head -n 1
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
