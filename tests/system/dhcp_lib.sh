# shellcheck shell=bash
# DHCP helpers for tests/system/dhcp_*.sh. Source after lib.sh.
#
# The layout: a server namespace and a client namespace joined by a veth pair; the server
# side has 10.99.N.1/24, the client side no address (it gets one by DHCP). Nothing is ever
# sent outside the namespaces the test creates.

BW_CRAFT=${BW_CRAFT:-$BW_REPO_ROOT/tests/system/dhcp_craft.py}
# Debian's python with scapy (the python3 first on PATH may lack it)
BW_SCAPY_PY=${BW_SCAPY_PY:-/usr/bin/python3}

bw_require_scapy()
{
	if ! [[ -x $BW_SCAPY_PY ]] || ! "$BW_SCAPY_PY" -c 'import scapy.all' >/dev/null 2>&1; then
		bw_skip "needs $BW_SCAPY_PY with scapy (Debian: python3-scapy)"
	fi
}

# bw_dhcp_pair SRV_NS CLI_NS N: bw_netns_pair, then the client side loses its address.
bw_dhcp_pair()
{
	bw_netns_pair "$1" "$2" "$3"
	ip -n "$2" -4 addr flush dev "$BW_CLI_IF"
}

# bw_dhcp_start CONFIG: starts `bootwire serve` in BW_SRV_NS and waits until it serves
# BW_DHCP_N_IFACES interfaces (default 1; "serving IF as ..." in the log). Sets BW_SRV_PID
# and BW_SRV_LOG (a new log file per start).
bw_dhcp_start()
{
	local conf=$1 log i n_if
	BW_DHCP_STARTS=$((BW_DHCP_STARTS + 1))
	log=$BW_WORK/bootwire-$BW_DHCP_STARTS.log
	bw_say "start bootwire serve -c $(basename "$conf") (log $(basename "$log"))"
	bw_spawn "$BW_SRV_NS" "$log" "$BOOTWIRE" serve -c "$conf" --allow-root
	BW_SRV_PID=$BW_LAST_PID
	# shellcheck disable=SC2034 # for the calling script
	BW_SRV_LOG=$log
	for ((i = 0; i < 200; i++)); do
		if ! bw_alive "$BW_SRV_PID"; then
			echo "bootwire exited before it was ready" >&2
			bw_log_tail "$log" 20 >&2
			return 1
		fi
		n_if=$(grep -c 'info  dhcp serving .* as ' "$log" || true)
		((n_if >= ${BW_DHCP_N_IFACES:-1})) && return 0
		sleep 0.05
	done
	echo "bootwire not ready after 10 s" >&2
	bw_log_tail "$log" 20 >&2
	return 1
}
BW_DHCP_STARTS=0

# bw_wait_file_re FILE ERE SECONDS: true once a line of FILE matches (bounded).
bw_wait_file_re()
{
	local f=$1 re=$2 secs=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qE -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# bw_count_re FILE ERE: number of matching lines (0 if none or no file).
bw_count_re()
{
	grep -cE -- "$2" "$1" 2>/dev/null || true
}

# bw_lease DB ADDRESS MAC FIELD [--all]: a field of the lease row for ADDRESS and MAC from
# `bootwire leases --json` ("" when there is none). Times are Unix seconds.
bw_lease()
{
	local db=$1 addr=$2 mac=$3 field=$4 all=()
	[[ -n ${5:-} ]] && all=("$5")
	"$BOOTWIRE" leases --db "$db" --json "${all[@]}" 2>/dev/null |
		jq -r --arg a "$addr" --arg m "$mac" --arg f "$field" \
			'.[] | select(.address == $a and .mac == $m) | .[$f] // "null"' 2>/dev/null | head -n 1
}

# bw_set_mac NS IFACE MAC
bw_set_mac()
{
	ip -n "$1" link set dev "$2" address "$3"
}
