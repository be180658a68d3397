#!/usr/bin/env bash
# DHCP benchmark: bootwire's DHCPv4 server against kea-dhcp4 and dnsmasq, side by side in one
# run. Full DORA for COUNT unique MACs per run, CONC in flight, through a relay address (no
# broadcasts). See bench/README.md for what it measures and how to read it. Needs root
# (network namespaces, cgroup v2, taskset, port 67). Tables go to stdout, progress to stderr.
#
#   bash bench/dhcp.sh [--quick] [--write-results]
#   ROUNDS=1 COUNT=2000 SERVERS="kea dnsmasq" PINS=split bash bench/dhcp.sh
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")

WRITE_RESULTS=0 QUICK=0
for a in "$@"; do
	case $a in
	--write-results) WRITE_RESULTS=1 ;;
	--quick) QUICK=1 ;;
	-h | --help)
		sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "dhcp.sh: unknown argument $a" >&2
		exit 2
		;;
	esac
done

# ---- knobs (environment; --quick changes the defaults of the first two) --------------------
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-1}
	COUNT=${COUNT:-500}
fi
ROUNDS=${ROUNDS:-3}                 # interleaved rounds; tables show median (min-max)
COUNT=${COUNT:-5000}                # unique MACs (full DORAs) per run
CONC=${CONC:-64}                    # clients in flight
PINS=${PINS:-"split same"}          # split: server CPU 1, generator CPU 0; same: both CPU 0
SERVERS=${SERVERS:-"bootwire kea dnsmasq"}
CEILING=${CEILING:-1}               # 1: also run the generator against a no-work responder
CEIL_COUNT=${CEIL_COUNT:-$((COUNT * 10 < 50000 ? COUNT * 10 : 50000))} # MACs per ceiling run
VERIFY=${VERIFY:-restart}           # restart | live | none (see bench/README.md)
TIMEOUT_MS=${TIMEOUT_MS:-2000}      # per message, before a retransmission
RETRIES=${RETRIES:-4}               # retransmissions per message before a client fails
NAK_RESTARTS=${NAK_RESTARTS:-3}     # a NAKed client starts over from DISCOVER (RFC 2131)
STALL_S=${STALL_S:-15}              # a run gives up when no reply came for this long
RUN_LIMIT_S=${RUN_LIMIT_S:-180}     # hard limit per generator run
DEADLINE_MIN=${DEADLINE_MIN:-20}    # no new round starts after this many minutes
LEASE_BASE=${LEASE_BASE:-/var/tmp}  # lease databases go below this (a real disk, not tmpfs)
BOOTWIRE=${BOOTWIRE:-$TOP/build/bootwire}
KEA=${KEA:-/usr/sbin/kea-dhcp4}
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
RESULTS_FILE=${RESULTS_FILE:-$HERE/RESULTS.md}
RAW_TSV=${RAW_TSV:-}                # if set, the per-run measurements are copied there
KEEP_WORK=${KEEP_WORK:-0}           # 1: keep the run directory (configs, lease files, logs)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now_us() { echo "${EPOCHREALTIME/./}"; }
isnum() { [[ $1 =~ ^[0-9]+$ ]]; }

for v in ROUNDS COUNT CEIL_COUNT CONC TIMEOUT_MS RETRIES NAK_RESTARTS STALL_S RUN_LIMIT_S DEADLINE_MIN; do
	isnum "${!v}" || die "$v must be a number"
done
[ "$COUNT" -ge 1 ] && [ "$CONC" -ge 1 ] && [ "$ROUNDS" -ge 1 ] || die "COUNT, CONC and ROUNDS must be >= 1"
case $VERIFY in restart | live | none) ;; *) die "VERIFY must be restart, live or none" ;; esac
for pin in $PINS; do case $pin in split | same) ;; *) die "PINS: unknown placement $pin" ;; esac; done

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, cgroups, taskset, port 67)"
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; 'split' pinning will not mean anything"
for t in ip nsenter taskset ss awk findmnt; do
	command -v "$t" >/dev/null || die "missing tool $t"
done

START_US=$(now_us)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- addresses: everything lives on a veth pair between two namespaces of ours ---------------
SRV_ADDR=10.97.0.1   # server side (veth-s), in the server namespace
RELAY_ADDR=10.97.0.2 # client side (veth-c): the generator acts as a relay agent with this giaddr
SUBNET=10.97.0.0/16
POOL_LAST_OCTET=$(((COUNT + 255) / 256 + 1)) # pool 10.97.1.0 - 10.97.N.255 holds COUNT leases
[ "$POOL_LAST_OCTET" -lt 40 ] && POOL_LAST_OCTET=40
[ "$POOL_LAST_OCTET" -le 254 ] || die "COUNT $COUNT does not fit the /16 pool (at most 64768)"
POOL_FIRST=10.97.1.0
POOL_LAST=10.97.$POOL_LAST_OCTET.255
LEASE_TIME=3600

# Drop servers that are not installed (noted in the output rather than failing the run).
declare -A PID=() VERSION=() SKIPNOTE=() NOSTART=()
active=()
for s in $SERVERS; do
	case $s in
	bootwire) ;; # a missing binary is reported as "failed to start", like any other failure
	kea) [ -x "$KEA" ] || { SKIPNOTE[$s]="$KEA not installed"; continue; } ;;
	dnsmasq) [ -x "$DNSMASQ" ] || { SKIPNOTE[$s]="$DNSMASQ not installed"; continue; } ;;
	*) die "unknown server $s (bootwire, kea, dnsmasq)" ;;
	esac
	active+=("$s")
done
[ "${#active[@]}" -gt 0 ] || die "no server to benchmark"
for s in "${!SKIPNOTE[@]}"; do log "skipping $s: ${SKIPNOTE[$s]}"; done
is_peer() { [ "$1" = kea ] || [ "$1" = dnsmasq ]; }

# ---- workspace, namespaces, cgroups, cleanup ------------------------------------------------
SNS=bwdhcp-s-$$
CNS=bwdhcp-c-$$
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGROOT=
CLIENT_PID=
WORK=$(mktemp -d "$LEASE_BASE/bootwire-bench-dhcp.$$.XXXXXX") || die "cannot create a directory in $LEASE_BASE"
chmod 755 "$WORK" # dnsmasq drops to nobody
mkdir -p "$WORK/run" "$WORK/log"
TSV=$WORK/results.tsv
: >"$TSV"
FS_INFO=$(findmnt -n -o FSTYPE,SOURCE -T "$WORK" | awk '{ print $1 " on " $2 }')

cg_kill_all() { # kill, by PID, whatever is left in one of our cgroups; $2=keep: leave the cgroup
	local cg=$1 p i procs
	[ -d "$cg" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		procs=$(cat "$cg/cgroup.procs" 2>/dev/null)
		[ -n "$procs" ] || break
		for p in $procs; do kill -KILL "$p" 2>/dev/null; done
		sleep 0.2
	done
	[ "${2:-}" = keep ] || rmdir "$cg" 2>/dev/null
}

stop_pid() { # pid [signal]: signal, wait up to 5 s, then SIGKILL
	local pid=$1 sig=${2:-TERM} i
	kill "-$sig" "$pid" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

cleanup() {
	local s cg
	trap - EXIT INT TERM
	[ -n "$CLIENT_PID" ] && stop_pid "$CLIENT_PID"
	for s in "${!PID[@]}"; do stop_pid "${PID[$s]}"; done
	if [ -n "$CGROOT" ] && [ -d "$CGROOT" ]; then
		for cg in "$CGROOT"/*/; do [ -d "$cg" ] && cg_kill_all "${cg%/}"; done
		rmdir "$CGROOT" 2>/dev/null
	fi
	ip netns del "$SNS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
	if [ "$KEEP_WORK" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Leftovers of an earlier run of this script that was killed hard (its PID is gone).
for d in "$LEASE_BASE"/bootwire-bench-dhcp.*.*; do
	[ -d "$d" ] || continue
	p=${d#*/bootwire-bench-dhcp.}
	p=${p%%.*}
	isnum "$p" && [ "$p" != $$ ] && ! kill -0 "$p" 2>/dev/null && { log "removing stale $d"; rm -rf "$d"; }
done
if [ -n "$CG2" ]; then
	for d in "$CG2"/bwdhcp.*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		kill -0 "${d##*.}" 2>/dev/null && continue
		log "removing stale cgroup $d"
		for c in "$d"/*/; do [ -d "$c" ] && cg_kill_all "${c%/}"; done
		rmdir "$d" 2>/dev/null
	done
fi
for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^bwdhcp-[sc]-[0-9]+$'); do
	kill -0 "${n##*-}" 2>/dev/null || { log "removing stale namespace $n"; ip netns del "$n"; }
done

if [ -n "$CG2" ] && mkdir "$CG2/bwdhcp.$$" 2>/dev/null; then
	CGROOT=$CG2/bwdhcp.$$
	mkdir "$CGROOT/client"
else
	log "warning: no writable cgroup v2 hierarchy: CPU columns will say n/a"
fi

ip netns add "$SNS" || die "cannot create network namespace"
ip netns add "$CNS" || die "cannot create network namespace"
for ns in "$SNS" "$CNS"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
done
ip -n "$SNS" link add veth-s type veth peer name veth-c netns "$CNS" || die "cannot create the veth pair"
ip -n "$SNS" addr add "$SRV_ADDR/16" dev veth-s
ip -n "$CNS" addr add "$RELAY_ADDR/16" dev veth-c
ip -n "$SNS" link set veth-s up
ip -n "$CNS" link set veth-c up
IN_SNS=(nsenter "--net=/run/netns/$SNS")
IN_CNS=(nsenter "--net=/run/netns/$CNS")

cpu_usec() { # cumulative CPU of one of our cgroups, microseconds (NA without cgroups)
	if [ -n "$CGROOT" ] && [ -r "$CGROOT/$1/cpu.stat" ]; then
		awk '$1 == "usage_usec" { print $2 }' "$CGROOT/$1/cpu.stat"
	else
		echo NA
	fi
}
# Runs a command as a member of cgroup $1 (the wrapper joins it and execs: same PID).
cg_exec() {
	local cg=$1
	shift
	if [ -n "$CGROOT" ]; then
		mkdir -p "$CGROOT/$cg"
		exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT/$cg" "$@"
	fi
	exec "$@"
}

# ---- the load generator ---------------------------------------------------------------------
DHCP_LOAD=$TOP/build/tests/tools/dhcp_load
if [ ! -x "$DHCP_LOAD" ] || [ "$TOP/tests/tools/dhcp_load.c" -nt "$DHCP_LOAD" ]; then
	DHCP_LOAD=$WORK/dhcp_load
	cc -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -o "$DHCP_LOAD" "$TOP/tests/tools/dhcp_load.c" ||
		die "cannot build dhcp_load"
fi

# ---- servers ----------------------------------------------------------------------------------
# server_cmd SERVER RUNDIR: writes the server's config into RUNDIR and sets CMD.
server_cmd() {
	local s=$1 d=$2
	case $s in
	bootwire)
		mkdir -p "$d/boot"
		cat >"$d/bootwire.yaml" <<-EOF
			boot_root: $d/boot
			log: {level: warn}
			tftp: {enabled: false}
			dhcp:
			  enabled: true
			  mode: server
			  interfaces: [veth-s]
			  lease_db: $d/leases.db
			  subnets:
			    - subnet: $SUBNET
			      range: $POOL_FIRST-$POOL_LAST
			      router: $SRV_ADDR
			      lease_time: $LEASE_TIME
		EOF
		CMD=("$BOOTWIRE" serve -c "$d/bootwire.yaml" --allow-root) ;;
	kea) # memfile, persisted to a CSV in the run directory; no lease file cleanup (LFC)
		cat >"$d/kea.json" <<-EOF
			{ "Dhcp4": {
			  "interfaces-config": { "interfaces": [ "veth-s" ], "dhcp-socket-type": "udp" },
			  "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-leases4.csv",
			                      "lfc-interval": 0 },
			  "valid-lifetime": $LEASE_TIME, "renew-timer": $((LEASE_TIME / 2)), "rebind-timer": $((LEASE_TIME * 7 / 8)),
			  "subnet4": [ { "id": 1, "subnet": "$SUBNET",
			                 "pools": [ { "pool": "$POOL_FIRST - $POOL_LAST" } ],
			                 "option-data": [ { "name": "routers", "data": "$SRV_ADDR" } ] } ],
			  "loggers": [ { "name": "kea-dhcp4", "severity": "WARN",
			                 "output_options": [ { "output": "$d/kea.log" } ] } ]
			} }
		EOF
		CMD=(env "KEA_PIDFILE_DIR=$d" "KEA_LOCKFILE_DIR=$d" "KEA_LOGGER_DESTINATION=$d/kea.log"
			"$KEA" -c "$d/kea.json") ;;
	dnsmasq) # port=0: no DNS. --quiet-dhcp: no log line per packet (the others log warnings only)
		CMD=("$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --port=0 --no-ping --quiet-dhcp
			--interface=veth-s "--dhcp-range=$POOL_FIRST,$POOL_LAST,255.255.0.0,$LEASE_TIME"
			"--dhcp-lease-max=$((2 * COUNT + 1000))" "--dhcp-leasefile=$d/dnsmasq.leases"
			"--pid-file=$d/dnsmasq.pid" "--log-facility=$d/dnsmasq.log") ;;
	null) # the generator's own no-work responder: the ceiling of generator + UDP path
		CMD=("$DHCP_LOAD" --mode null-server --listen "$SRV_ADDR" --duration-s $((RUN_LIMIT_S + 120))) ;;
	esac
}

server_version() {
	case $1 in
	bootwire) echo "$(timeout 5 "$BOOTWIRE" version 2>/dev/null | head -1 | awk '{print $NF}') ($(cd "$TOP" && git describe --always --dirty 2>/dev/null || echo "no commit"))" ;;
	kea) "$KEA" -v 2>/dev/null | head -1 ;;
	dnsmasq) "$DNSMASQ" --version | head -1 | awk '{print $3}' ;;
	null) echo "dhcp_load null-server" ;;
	esac
}

alive() { [ -n "${PID[$1]:-}" ] && kill -0 "${PID[$1]}" 2>/dev/null; }

# start_server SERVER CPU RUNDIR [keep]: a fresh RUNDIR (empty lease database) unless keep.
start_server() {
	local s=$1 cpu=$2 d=$3 keep=${4:-} i
	if [ "$keep" != keep ]; then rm -rf "$d"; fi
	mkdir -p "$d"
	chmod 755 "$d"
	if [ "$s" = bootwire ] && [ ! -x "$BOOTWIRE" ]; then
		NOSTART[$s]="$BOOTWIRE is missing"
		log "$s: failed to start ($BOOTWIRE is missing)"
		return 1
	fi
	server_cmd "$s" "$d"
	(cg_exec "srv-$s" "${IN_SNS[@]}" taskset -c "$cpu" "${CMD[@]}") >>"$d/server.out" 2>&1 &
	PID[$s]=$!
	for i in $(seq 1 100); do
		if "${IN_SNS[@]}" ss -Hlun 'sport = :67' 2>/dev/null | grep -q .; then
			taskset -a -p -c "$cpu" "${PID[$s]}" >/dev/null 2>&1 # every thread, in case
			return 0
		fi
		kill -0 "${PID[$s]}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${PID[$s]}" 2>/dev/null; then
		NOSTART[$s]="no socket on port 67 after 10 s"
	else
		wait "${PID[$s]}" 2>/dev/null
		NOSTART[$s]="exited with status $?"
	fi
	log "$s: failed to start (${NOSTART[$s]}); its output:"
	cat "$d/server.out" "$d"/*.log 2>/dev/null | tail -n 15 | sed 's/^/    /' >&2
	stop_server "$s"
	return 1
}

stop_server() { # SERVER [signal]
	local s=$1 sig=${2:-TERM}
	[ -n "${PID[$s]:-}" ] || return 0
	stop_pid "${PID[$s]}" "$sig"
	unset "PID[$s]"
	[ -n "$CGROOT" ] && cg_kill_all "$CGROOT/srv-$s" keep # anything it left behind
	return 0
}

kv() { echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "NA" : v) }'; }

# TSV: kind pin server round leases acks naks fail dup rate p50 p99 max srv_cpu_s us_per_lease cli_cpu_pct
record() { local IFS=$'\t'; echo "$*" >>"$TSV"; }

# run_load OUTFILE ARGS...: runs dhcp_load in the client namespace on CPU 0, in the client
# cgroup, in the background (so that a signal to the script is handled at once).
run_load() {
	local out=$1
	shift
	(cg_exec client "${IN_CNS[@]}" taskset -c 0 "$DHCP_LOAD" "$@") >"$out" 2>"$out.err" &
	CLIENT_PID=$!
	wait "$CLIENT_PID"
	local rc=$?
	CLIENT_PID=
	return $rc
}

SEQ=0
MAC_OFFSET=0 # every run gets MACs of its own
declare -A VERIFY_RES=()

# measure SERVER PIN ROUND [verify]
measure() {
	local s=$1 pin=$2 r=$3 do_verify=${4:-} scpu d u0 u1 c0 c1 t0 t1 out line rate acks cpu_s per cli
	local n=$COUNT
	[ "$s" = null ] && n=$CEIL_COUNT
	[ "$pin" = split ] && scpu=1 || scpu=0
	SEQ=$((SEQ + 1))
	d=$WORK/run/$s-r$r-$pin
	if ! start_server "$s" "$scpu" "$d"; then
		record dora "$pin" "$s" "$r" "$n" NA NA "$n" NA NA NA NA NA NA NA NA
		return
	fi
	out=$WORK/log/$s-r$r-$pin.load
	u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
	run_load "$out" --mode relay --giaddr "$RELAY_ADDR" --server "$SRV_ADDR" --count "$n" \
		--concurrency "$CONC" --timeout-ms "$TIMEOUT_MS" --retries "$RETRIES" \
		--nak-restarts "$NAK_RESTARTS" --mac-offset "$MAC_OFFSET" --seed "$SEQ" \
		--duration-s "$RUN_LIMIT_S" --stall-s "$STALL_S" --acked "$d/acked.txt"
	t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
	MAC_OFFSET=$((MAC_OFFSET + n))
	line=$(grep -m1 '^leases=' "$out")
	if [ -z "$line" ]; then
		log "  $s round $r $pin: dhcp_load printed no result: $(tail -n 3 "$out.err" | tr '\n' ' ')"
		record dora "$pin" "$s" "$r" "$n" NA NA "$n" NA NA NA NA NA NA NA NA
		stop_server "$s"
		return
	fi
	acks=$(kv acks "$line")
	rate=$(kv rate "$line")
	if [ "$u0" != NA ]; then
		cpu_s=$(awk -v u=$((u1 - u0)) 'BEGIN { printf "%.3f", u / 1e6 }')
		per=$(awk -v u=$((u1 - u0)) -v n="$acks" 'BEGIN { if (n > 0) printf "%.1f", u / n; else print "NA" }')
		cli=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * c / t }')
	else
		cpu_s=NA per=NA cli=NA
	fi
	local p50 p99 mx
	p50=$(kv p50_ms "$line") p99=$(kv p99_ms "$line") mx=$(kv max_ms "$line")
	[ "$acks" = 0 ] && rate=NA p50=NA p99=NA mx=NA
	record dora "$pin" "$s" "$r" "$(kv leases "$line")" "$acks" "$(kv naks "$line")" "$(kv fail "$line")" \
		"$(kv dup "$line")" "$rate" "$p50" "$p99" "$mx" "$cpu_s" "$per" "$cli"
	log "  $s $pin: $line server_cpu_s=$cpu_s"
	if [ "$(kv fail "$line")" != 0 ] || [ "$(kv dup "$line")" != 0 ]; then
		log "  $s round $r $pin: failures: $(grep -v '^dhcp_load: [0-9.]* s first' "$out.err" | head -n 6 | tr '\n' ' ')"
	fi
	if ! alive "$s"; then
		log "  $s died during the run; its output:"
		cat "$d/server.out" 2>/dev/null | tail -n 10 | sed 's/^/    /' >&2
	fi

	# Do the leases hold? INIT-REBOOT REQUEST for every ACKed (MAC, IP).
	if [ -n "$do_verify" ] && [ "$VERIFY" != none ] && [ "$s" != null ] && [ -s "$d/acked.txt" ]; then
		local vout=$WORK/log/$s-verify.load when=live vline
		if [ "$VERIFY" = restart ]; then
			when="after kill -9 and restart"
			stop_server "$s" KILL
			start_server "$s" "$scpu" "$d" keep || { VERIFY_RES[$s]="| $s | $when | $(wc -l <"$d/acked.txt") | server did not restart | | | |"; return; }
		fi
		run_load "$vout" --mode relay --giaddr "$RELAY_ADDR" --server "$SRV_ADDR" --verify "$d/acked.txt" \
			--concurrency "$CONC" --timeout-ms "$TIMEOUT_MS" --retries "$RETRIES" --seed "$SEQ" \
			--duration-s "$RUN_LIMIT_S" --stall-s "$STALL_S"
		vline=$(grep -m1 '^verify=' "$vout")
		log "  $s verify ($when): ${vline:-no result}"
		if [ -n "$vline" ]; then
			VERIFY_RES[$s]="| $s | $when | $(kv verify "$vline") | $(kv acks "$vline") | $(kv naks "$vline") | $(kv noreply "$vline") | $(kv mismatch "$vline") |"
			record verify "$pin" "$s" "$r" "$(kv verify "$vline")" "$(kv acks "$vline")" "$(kv naks "$vline")" \
				$(($(kv verify "$vline") - $(kv acks "$vline"))) 0 "$(kv rate "$vline")" NA NA NA NA NA NA
		else
			VERIFY_RES[$s]="| $s | $when | $(wc -l <"$d/acked.txt") | no result | | | |"
		fi
	fi
	stop_server "$s"
	# The lease database is not needed any more; keep the logs.
	if [ "$KEEP_WORK" != 1 ]; then
		find "$d" -maxdepth 1 -type f ! -name '*.log' ! -name '*.out' -delete 2>/dev/null
	fi
}

# ---- run ----------------------------------------------------------------------------------------
for s in "${active[@]}"; do VERSION[$s]=$(server_version "$s"); done
log "lease databases in $WORK ($FS_INFO); $COUNT MACs per run, $CONC in flight, pool $POOL_FIRST-$POOL_LAST"

rotate() { # prints the servers starting at index $1 (servers take turns going first)
	local n=${#active[@]} i
	for ((i = 0; i < n; i++)); do printf '%s ' "${active[$(((i + $1) % n))]}"; done
}

ROUNDS_DONE=0
FIRST_PIN=${PINS%% *}
for ((r = 1; r <= ROUNDS; r++)); do
	if [ $(($(now_us) - START_US)) -gt $((DEADLINE_MIN * 60 * 1000000)) ]; then
		log "deadline of $DEADLINE_MIN min reached: stopping after $ROUNDS_DONE rounds"
		break
	fi
	order=$(rotate $((r - 1)))
	for pin in $PINS; do
		if [ "$CEILING" = 1 ]; then
			log "round $r/$ROUNDS, $pin: no-work responder (ceiling)"
			measure null "$pin" "$r"
		fi
		for s in $order; do
			# After the first failure to start, bootwire is not tried again in this run.
			if [ -n "${NOSTART[$s]:-}" ]; then
				record dora "$pin" "$s" "$r" "$COUNT" NA NA "$COUNT" NA NA NA NA NA NA NA NA
				continue
			fi
			log "round $r/$ROUNDS, $pin: $s"
			v=
			[ "$r" = 1 ] && [ "$pin" = "$FIRST_PIN" ] && v=verify
			measure "$s" "$pin" "$r" $v
		done
	done
	ROUNDS_DONE=$r
done
ELAPSED_S=$((($(now_us) - START_US) / 1000000))
log "measurements done in ${ELAPSED_S}s; rounds completed: $ROUNDS_DONE"

# ---- report ---------------------------------------------------------------------------------------
# stats KIND PIN SERVER COLUMN -> "median min max n" over rounds (NA if no value)
stats() {
	awk -F'\t' -v k="$1" -v p="$2" -v s="$3" -v c="$4" '
	$1 == k && $2 == p && $3 == s && $c != "NA" { v[n++] = $c + 0 }
	END {
		for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		if (n == 0) { print "NA NA NA 0"; exit }
		med = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf "%s %s %s %d\n", med, v[0], v[n - 1], n
	}' "$TSV"
}
total() { # KIND PIN SERVER COLUMN -> sum ("NA" values count as 0)
	awk -F'\t' -v k="$1" -v p="$2" -v s="$3" -v c="$4" '
	$1 == k && $2 == p && $3 == s && $c != "NA" { t += $c } END { print t + 0 }' "$TSV"
}
fmt_range() { # median min max [decimals]
	[ "$1" = NA ] && { echo "n/a"; return; }
	awk -v m="$1" -v a="$2" -v b="$3" -v d="${4:-1}" 'BEGIN {
		if (sprintf("%.*f", d, a) == sprintf("%.*f", d, b)) printf "%.*f", d, m
		else printf "%.*f (%.*f-%.*f)", d, m, d, a, d, b }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "NA" && b != "NA" && a + 0 >= b + 0) }'; }
mul() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA") print "NA"; else printf "%.1f", a * b }'; }
pin_label() { [ "$1" = split ] && echo "split: server CPU 1, generator CPU 0" || echo "same: server and generator CPU 0"; }
fmt_int() { awk -v a="$1" 'BEGIN { if (a == "NA") print "n/a"; else printf "%.0f", a }'; }

declare -A MED=()
CHECKS=()
NOTES=()

report() {
	local pin s st best bestname bestcpu cpu per p50 p99 mx cli label
	echo "## DHCP benchmark: bootwire vs kea-dhcp4 and dnsmasq"
	echo
	echo "Full DORA (DISCOVER, OFFER, REQUEST, ACK) for $COUNT unique MACs per run, $CONC clients in"
	echo "flight, by tests/tools/dhcp_load acting as a relay agent (giaddr $RELAY_ADDR, unicast to"
	echo "$SRV_ADDR:67, no broadcasts) from its own network namespace over a veth pair. Every run"
	echo "starts its server on an empty lease database. Rounds: $ROUNDS_DONE of $ROUNDS (interleaved,"
	echo "servers take turns going first); figures are median (min-max) over rounds. leases/s ="
	echo "ACKs over the time from the first send to the last ACK; latency is per client, first"
	echo "DISCOVER to ACK. Lease databases: $LEASE_BASE ($FS_INFO). Load average (1/5/15 min)"
	echo "before the run: $LOAD_START (other work on the VM moves absolute figures; read the ratios)."
	for s in "${!SKIPNOTE[@]}"; do echo "Not measured: $s: ${SKIPNOTE[$s]}."; done
	echo
	echo "| server | version | durability of an ACKed lease |"
	echo "|---|---|---|"
	for s in "${active[@]}"; do
		case $s in
		bootwire) label="SQLite, fsync before the ACK (group commit)" ;;
		kea) label="memfile CSV, appended per lease, no fsync" ;;
		dnsmasq) label="whole lease file rewritten and fsynced per lease" ;;
		esac
		echo "| $s | ${VERSION[$s]:-?} | $label |"
	done
	echo

	for pin in $PINS; do
		echo "### DORA, $COUNT MACs, $CONC in flight, $(pin_label "$pin")"
		echo
		echo "| server | leases/s | p50 ms | p99 ms | max ms | NAKs | failed | dup | server CPU s | server CPU us/lease | generator CPU % | ratio to better peer | CPU ratio to better peer |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		best=NA bestname='' bestcpu=NA
		for s in "${active[@]}"; do
			is_peer "$s" || continue
			st=($(stats dora "$pin" "$s" 10))
			per=($(stats dora "$pin" "$s" 15))
			if [ "${st[0]}" != NA ] && { [ "$best" = NA ] || ge "${st[0]}" "$best"; }; then best=${st[0]} bestname=$s; fi
			if [ "${per[0]}" != NA ] && { [ "$bestcpu" = NA ] || ge "$bestcpu" "${per[0]}"; }; then bestcpu=${per[0]}; fi
		done
		MED[best-$pin]=$best
		MED[bestname-$pin]=$bestname
		local rows=()
		[ "$CEILING" = 1 ] && rows+=(null)
		rows+=("${active[@]}")
		for s in "${rows[@]}"; do
			[ "$s" = null ] && label="no-work responder (ceiling)" || label=$s
			if [ -n "${NOSTART[$s]:-}" ] && [ "$(stats dora "$pin" "$s" 6 | cut -d' ' -f1)" = NA ]; then
				echo "| $s: failed to start (${NOSTART[$s]}) | | | | | | | | | | | | |"
				continue
			fi
			st=($(stats dora "$pin" "$s" 10))
			p50=($(stats dora "$pin" "$s" 11))
			p99=($(stats dora "$pin" "$s" 12))
			mx=($(stats dora "$pin" "$s" 13))
			cpu=($(stats dora "$pin" "$s" 14))
			per=($(stats dora "$pin" "$s" 15))
			cli=($(stats dora "$pin" "$s" 16))
			MED[rate-$pin-$s]=${st[0]}
			MED[per-$pin-$s]=${per[0]}
			local r_rate="n/a" r_cpu="n/a"
			if [ "$s" != null ]; then r_rate=$(ratio "${st[0]}" "$best"); r_cpu=$(ratio "${per[0]}" "$bestcpu"); fi
			echo "| $label | $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}" 0) | $(fmt_range "${p50[0]}" "${p50[1]}" "${p50[2]}" 2) | $(fmt_range "${p99[0]}" "${p99[1]}" "${p99[2]}" 1) | $(fmt_range "${mx[2]}" "${mx[2]}" "${mx[2]}" 1) | $(total dora "$pin" "$s" 7) | $(total dora "$pin" "$s" 8)/$(total dora "$pin" "$s" 5) | $(total dora "$pin" "$s" 9) | $(fmt_range "${cpu[0]}" "${cpu[1]}" "${cpu[2]}" 2) | $(fmt_range "${per[0]}" "${per[1]}" "${per[2]}" 0) | $(fmt_range "${cli[0]}" "${cli[1]}" "${cli[2]}" 0) | $r_rate | $r_cpu |"
		done
		echo
	done
	echo "max ms is the worst over the rounds; NAKs, failed (clients left without a lease) and dup"
	echo "(an address ACKed to two MACs) are totals over the rounds. A NAKed client starts over from"
	echo "DISCOVER (at most $NAK_RESTARTS times), as RFC 2131 clients do. Ratios compare medians to"
	echo "the better peer: the higher leases/s, or the lower CPU per lease. The ceiling row is"
	echo "dhcp_load against its own stateless responder (no lease state, no disk), $CEIL_COUNT MACs"
	echo "per run: what the generator and the UDP path allow."
	[ -z "$CGROOT" ] && echo "(no cgroup v2: CPU not measured)"
	echo

	if [ "$VERIFY" != none ] && [ "${#VERIFY_RES[@]}" -gt 0 ]; then
		echo "### Leases held (round 1, $FIRST_PIN): INIT-REBOOT REQUEST for every ACKed MAC and address"
		echo
		echo "| server | when | leases checked | ACKed, same address | NAKed | unanswered | ACKed another address |"
		echo "|---|---|---|---|---|---|---|"
		for s in "${active[@]}"; do [ -n "${VERIFY_RES[$s]:-}" ] && echo "${VERIFY_RES[$s]}"; done
		echo
	fi

	# ---- target checks ----
	local bw=bootwire
	if [[ " ${active[*]} " != *" bootwire "* ]]; then
		CHECKS+=("- [SKIP] bootwire not in SERVERS")
	elif [ -n "${NOSTART[bootwire]:-}" ] && [ "$(awk -F'\t' '$1 == "dora" && $3 == "bootwire" && $6 != "NA"' "$TSV" | wc -l)" = 0 ]; then
		CHECKS+=("- [FAIL] bootwire: failed to start (${NOSTART[bootwire]})")
	else
		for pin in $PINS; do
			local b=${MED[rate-$pin-$bw]:-NA} p=${MED[best-$pin]:-NA} want
			want=$(mul "$p" 2)
			ge "$b" "$want" && st=PASS || st=FAIL
			CHECKS+=("- [$st] $pin: bootwire $(fmt_int "$b") leases/s >= 2 x better peer ${MED[bestname-$pin]:-?} $(fmt_int "$p") = $(fmt_int "$want") leases/s")
			local c=${MED[rate-$pin-null]:-NA}
			if [ "$c" != NA ] && [ "$b" != NA ] && ge "$b" "$(mul "$c" 0.8)"; then
				NOTES+=("$pin: bootwire's $(fmt_int "$b") leases/s is $(awk -v a="$b" -v c="$c" 'BEGIN { printf "%.0f", 100 * a / c }')% of the no-work responder's $(fmt_int "$c"): the generator and the UDP path, not the server, limit this figure.")
			fi
		done
		local f=0 dp=0
		for pin in $PINS; do
			f=$((f + $(total dora "$pin" $bw 8)))
			dp=$((dp + $(total dora "$pin" $bw 9)))
		done
		[ "$f" = 0 ] && st=PASS || st=FAIL
		CHECKS+=("- [$st] bootwire clients left without a lease: $f (want 0)")
		[ "$dp" = 0 ] && st=PASS || st=FAIL
		CHECKS+=("- [$st] bootwire duplicate addresses: $dp (want 0)")
		if [ -n "${VERIFY_RES[$bw]:-}" ]; then
			local vl
			vl=$(awk -F'\t' '$1 == "verify" && $3 == "bootwire" { print $5, $6 }' "$TSV" | tail -n 1)
			set -- $vl
			if [ -n "$vl" ] && [ "$1" = "$2" ]; then st=PASS; else st=FAIL; fi
			CHECKS+=("- [$st] bootwire leases held ($VERIFY): ${2:-0} of ${1:-?} ACKed with the same address")
		fi
	fi
	echo "### Target checks"
	echo
	printf '%s\n' "${CHECKS[@]}"
	echo
	for s in "${active[@]}"; do
		is_peer "$s" || continue
		for pin in $PINS; do
			local pf
			pf=$(total dora "$pin" "$s" 8)
			[ "$pf" != 0 ] && NOTES+=("$s, $pin: $pf clients were left without a lease; the figures count only ACKs.")
		done
	done
	if [ "${#NOTES[@]}" -gt 0 ]; then
		echo "### Notes"
		echo
		printf -- '- %s\n' "${NOTES[@]}"
		echo
	fi
	echo "Elapsed: ${ELAPSED_S}s."
}

[ -n "$RAW_TSV" ] && {
	printf 'kind\tpin\tserver\tround\tleases\tacks\tnaks\tfail\tdup\trate\tp50_ms\tp99_ms\tmax_ms\tserver_cpu_s\tserver_us_per_lease\tgenerator_cpu_pct\n'
	cat "$TSV"
} >"$RAW_TSV"
REPORT=$(report)
echo "$REPORT"

if [ "$WRITE_RESULTS" = 1 ]; then
	knobs="ROUNDS=$ROUNDS COUNT=$COUNT CONC=$CONC PINS=\"$PINS\" TIMEOUT_MS=$TIMEOUT_MS RETRIES=$RETRIES VERIFY=$VERIFY"
	SECTION=$WORK/section.md
	{
		echo "## DHCP"
		echo
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs," \
			"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
			"$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
		echo "- How run: \`$knobs bash bench/dhcp.sh --write-results\` (as root; see bench/README.md)"
		echo "- Peers: kea-dhcp4 ${VERSION[kea]:-n/a}, dnsmasq ${VERSION[dnsmasq]:-n/a}; load generator tests/tools/dhcp_load"
		echo
		# The report's own title becomes the section heading above; its subsections stay ###.
		echo "$REPORT" | tail -n +3
	} >"$SECTION"
	# Replace an existing "## DHCP" section (up to the next "# " or "## " heading), else append.
	if [ -f "$RESULTS_FILE" ]; then
		awk -v sec="$SECTION" '
			function emit() { while ((getline l < sec) > 0) print l; close(sec); done = 1 }
			/^## DHCP/ { skip = 1; if (!done) emit(); next }
			skip && /^##? / { skip = 0; print "" }
			!skip { print }
			END { if (!done) { if (NR > 0) print ""; emit() } }' "$RESULTS_FILE" >"$WORK/results.new" &&
			cat "$WORK/results.new" >"$RESULTS_FILE"
	else
		cp "$SECTION" "$RESULTS_FILE"
	fi
	log "wrote the DHCP section of $RESULTS_FILE"
fi
