# shellcheck shell=bash
# DHCP helpers for tests/system/dhcp_*.sh (and tests/e2e/e2e_proxy.sh). Source after lib.sh.
#
# The layouts: a server namespace and a client namespace joined by a veth pair (bw_dhcp_pair:
# the server side has 10.99.N.1/24, the client side no address: it gets one by DHCP), or a
# bridge br0 in one namespace with hosts on it (bw_bridge_ns, bw_bridge_host), one of which
# may be the LAN's own DHCP server (bw_lan_dhcp). Nothing is ever sent outside the
# namespaces the test creates. bootwire runs with `log: {format: json}`: its decisions are
# read with lib.sh's bw_j* helpers, plus dhcp(MAC) in conditions (service dhcp, peer MAC)
# and bw_dhcp_has/count/lines for its lines about one client.
#
# Functions:
#   bw_have_scapy, bw_require_scapy   Debian's python with scapy (BW_SCAPY_PY)
#   bw_dhcp_pair SRV_NS CLI_NS N      two namespaces on a veth pair, the client side bare
#   bw_bridge_host BR_NS NS PORT IFACE [ADDR/LEN]   a host on br0 of BR_NS
#   bw_lan_dhcp NS IFACE FIRST LAST   dnsmasq there as the LAN's DHCP server (addresses only)
#   bw_cap_start NS IFACE NAME [FILTER]  tcpdump of DHCP into BW_WORK/NAME.pcap (BW_CAP)
#   bw_cap_stop [PID]                 let it write what it has, stop it
#   bw_cap_summary [PCAP]             one line per DHCP packet (dhcp_craft.py summary)
#   bw_dhcp_start CONFIG              bootwire serve, ready when it serves its interfaces
#   bw_dhcp_has LOG MAC MSG_RE [KEY=VALUE...]   a line about MAC says MSG_RE, with those fields
#   bw_dhcp_count ..., bw_dhcp_lines ..., bw_dhcp_msgs ...   how many; as text; their msgs
#   bw_wait_file_re FILE ERE SECS, bw_count_re FILE ERE   for clients' files
#   bw_lease DB ADDRESS MAC FIELD [--all]                 a field of `bootwire leases --json`
#   bw_lease_bound CONF MAC ADDR_RE                       MAC holds a bound lease
#   bw_set_mac NS IFACE MAC

BW_CRAFT=${BW_CRAFT:-$BW_REPO_ROOT/tests/system/dhcp_craft.py}
# Debian's python with scapy (the python3 first on PATH may lack it); BW_PYTHON is its old name
BW_SCAPY_PY=${BW_SCAPY_PY:-${BW_PYTHON:-/usr/bin/python3}}
# what the captures keep: DHCP, proxyDHCP
BW_CAP_FILTER='udp port 67 or udp port 68 or udp port 4011'
# In bw_j* conditions on bootwire's DHCP lines:
#   dhcp(MAC)                a line about the client MAC
#   unparsed(IFACE; LEN; WHY)  the debug line for a LEN-byte packet on IFACE that could not be
#                            parsed, WHY ("malformed", "too large", ...); LEN, WHY null: any
#   refused(IFACE; TEXT)     a request not answered: "xid=... iface=IFACE: ...: TEXT..."
# shellcheck disable=SC2016 # jq's own $variables
BW_JQ_DEFS+=' def dhcp($mac): svc("dhcp") and of($mac);
def unparsed($ifc; $len; $why): svc("dhcp") and .level == "debug" and
	says("^iface=\($ifc): dropping \($len // "[0-9]+")-byte packet: ") and
	($why == null or (.msg | endswith("-byte packet: " + $why)));
def refused($ifc; $t): svc("dhcp") and says("^xid=0x[0-9a-f]+ iface=\($ifc): ") and msg_has(": " + $t);'

bw_have_scapy()
{
	[[ -x $BW_SCAPY_PY ]] && "$BW_SCAPY_PY" -c 'import scapy.all' >/dev/null 2>&1
}

bw_require_scapy()
{
	bw_have_scapy || bw_skip "needs $BW_SCAPY_PY with scapy (Debian: python3-scapy)"
}

# bw_dhcp_pair SRV_NS CLI_NS N: bw_netns_pair, then the client side loses its address.
bw_dhcp_pair()
{
	bw_netns_pair "$1" "$2" "$3"
	ip -n "$2" -4 addr flush dev "$BW_CLI_IF"
}

# bw_bridge_host BR_NS NS PORT IFACE [ADDR/LEN]: another host on the bridge br0 of BR_NS (see
# bw_bridge_ns): namespace NS (the trap deletes it) whose IFACE is the far end of the veth
# PORT on br0, ADDR/LEN on IFACE when given; returns once the link is up (5 s at most).
bw_bridge_host()
{
	local br_ns=$1 ns=$2 port=$3 ifc=$4 addr=${5:-} i
	ip netns add "$ns"
	BW_NETNS_LIST+=("$ns")
	ip -n "$ns" link set lo up
	ip -n "$br_ns" link add "$port" type veth peer name "$ifc" netns "$ns"
	ip -n "$br_ns" link set "$port" master br0
	ip -n "$br_ns" link set "$port" up
	[[ -z $addr ]] || ip -n "$ns" addr add "$addr" dev "$ifc"
	ip -n "$ns" link set "$ifc" up
	for ((i = 0; i < 50; i++)); do
		ip -n "$ns" link show dev "$ifc" | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	echo "bw_bridge_host: $ifc in $ns did not come up" >&2
	return 1
}

# bw_lan_dhcp NS IFACE FIRST LAST: dnsmasq in NS on IFACE as the LAN's own DHCP server:
# addresses FIRST-LAST for 10 minutes, no boot options, no DNS, every packet logged; ready
# when it announces its range. Sets BW_DM_PID, BW_DM_LOG and BW_DM_LEASES (new files for each
# start). Returns 1, with its log, when it does not start.
bw_lan_dhcp()
{
	local ns=$1 ifc=$2 first=$3 last=$4 n i
	n=$((++BW_DM_STARTS))
	BW_DM_LOG=$BW_WORK/dnsmasq-$n.log
	BW_DM_LEASES=$BW_WORK/dnsmasq-$n.leases
	bw_spawn "$ns" "$BW_DM_LOG" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
		--interface="$ifc" --bind-interfaces --dhcp-range="$first,$last,10m" \
		--dhcp-leasefile="$BW_DM_LEASES" --pid-file="$BW_WORK/dnsmasq-$n.pid" \
		--log-dhcp --log-facility=-
	BW_DM_PID=$BW_LAST_PID
	for ((i = 0; i < 100; i++)); do
		grep -q 'DHCP, IP range' "$BW_DM_LOG" 2>/dev/null && return 0
		bw_alive "$BW_DM_PID" || break
		sleep 0.05
	done
	bw_log_tail "$BW_DM_LOG" 10
	return 1
}
BW_DM_STARTS=0

# bw_cap_start NS IFACE NAME [FILTER]: tcpdump on IFACE in NS into BW_WORK/NAME.pcap (FILTER:
# BW_CAP_FILTER by default), ready when it listens. Sets BW_CAP (the file) and BW_CAP_PID;
# without tcpdump, or when it does not start, BW_CAP is empty and it returns 1.
bw_cap_start()
{
	local ns=$1 ifc=$2 name=$3 filter=${4:-$BW_CAP_FILTER} log=$BW_WORK/$3.tcpdump.log
	BW_CAP=
	BW_CAP_PID=
	command -v tcpdump >/dev/null 2>&1 || return 1
	bw_spawn "$ns" "$log" tcpdump -i "$ifc" -n -U --immediate-mode -s 0 -Z root \
		-w "$BW_WORK/$name.pcap" "$filter"
	BW_CAP_PID=$BW_LAST_PID
	if bw_wait_file_re "$log" 'listening on' 10; then
		BW_CAP=$BW_WORK/$name.pcap
		return 0
	fi
	bw_say "tcpdump did not start: $(cat "$log")"
	return 1
}

# bw_cap_stop [PID]: stops the capture (BW_CAP_PID by default) once it has written what it has.
# shellcheck disable=SC2120 # its argument is optional
bw_cap_stop()
{
	local pid=${1:-$BW_CAP_PID}
	[[ -n $pid ]] || return 0
	sleep 0.3
	bw_stop "$pid" 5 || true
}

# bw_cap_summary [PCAP]: the capture (BW_CAP by default) so far, one line per DHCP packet
# (dhcp_craft.py summary); nothing without a capture.
# shellcheck disable=SC2120 # its argument is optional
bw_cap_summary()
{
	local pcap=${1:-$BW_CAP}
	[[ -n $pcap && -s $pcap ]] || return 0
	"$BW_SCAPY_PY" "$BW_CRAFT" summary "$pcap" 2>/dev/null || true
}

# bw_dhcp_start CONFIG: starts `bootwire serve` (CONFIG logs JSON) in BW_SRV_NS and waits
# until it serves BW_DHCP_N_IFACES interfaces (default 1; its "serving IF as ..." lines; TFTP,
# started first, is up by then). Sets BW_SRV_PID and BW_SRV_LOG (a new log file per start).
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
		n_if=$(bw_jcount "$log" 'svc("dhcp") and says("^serving .* as ")')
		((n_if >= ${BW_DHCP_N_IFACES:-1})) && return 0
		sleep 0.05
	done
	echo "bootwire not ready after 10 s" >&2
	bw_log_tail "$log" 20 >&2
	return 1
}
BW_DHCP_STARTS=0

# bw_dhcp_has LOG MAC MSG_RE [KEY=VALUE...]: true when bootwire's DHCP service logged a line
# about MAC whose msg matches the regex MSG_RE (jq's, PCRE-like) and whose string fields KEY
# are VALUE (xid=0x..., iface=..., client=ipxe, arch=bios, level=info).
bw_dhcp_has()
{
	bw_dhcp_sel has "$@"
}

# bw_dhcp_count LOG MAC MSG_RE [KEY=VALUE...]: how many such lines.
bw_dhcp_count()
{
	bw_dhcp_sel count "$@"
}

# bw_dhcp_lines LOG MAC [MSG_RE [KEY=VALUE...]]: such lines as text (every line about MAC
# without MSG_RE), for a report.
bw_dhcp_lines()
{
	bw_dhcp_sel lines "$1" "$2" "${3:-}" "${@:4}"
}

# bw_dhcp_msgs LOG MAC MSG_RE [KEY=VALUE...]: the msg of each such line.
bw_dhcp_msgs()
{
	bw_dhcp_sel msgs "$@"
}

bw_dhcp_sel()
{
	# shellcheck disable=SC2016 # jq's own $variables
	local how=$1 log=$2 cond='dhcp($mac) and says($re)' args=(--arg mac "$3" --arg re "$4") kv i=0
	shift 4
	for kv in "$@"; do
		cond+=" and .[\$k$i] == \$v$i"
		args+=(--arg "k$i" "${kv%%=*}" --arg "v$i" "${kv#*=}")
		i=$((i + 1))
	done
	if [[ $how == msgs ]]; then
		bw_jq "$log" "select($cond) | .msg" "${args[@]}"
	else
		"bw_j$how" "$log" "$cond" "${args[@]}"
	fi
}

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

# bw_lease_bound CONF MAC ADDR_RE: true when `bootwire leases -c CONF --json` lists a bound
# lease of MAC whose address matches the regex ADDR_RE.
bw_lease_bound()
{
	"$BOOTWIRE" leases -c "$1" --json 2>/dev/null | jq -e --arg m "$2" --arg re "$3" \
		'any(.[]; .mac == $m and .state == "bound" and (.address | test($re)))' >/dev/null 2>&1
}

# bw_set_mac NS IFACE MAC
bw_set_mac()
{
	ip -n "$1" link set dev "$2" address "$3"
}
