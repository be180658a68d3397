#!/usr/bin/env bash
# TFTP benchmark: bootwire against tftpd-hpa, atftpd and dnsmasq, side by side in one run.
# See bench/README.md for what it measures and how to read it. Needs root (network namespace,
# cgroup v2, taskset). Tables go to stdout, progress to stderr.
#
#   bash bench/tftp.sh [--write-results]
#   ROUNDS=1 SIZE_MB=16 CLIENTS=50 bash bench/tftp.sh        # quick run
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")

# ---- knobs --------------------------------------------------------------------------------
ROUNDS=${ROUNDS:-3}                 # interleaved rounds; tables show median (min-max)
SIZE_MB=${SIZE_MB:-64}              # single-client file, MiB
CONC_SIZE_MB=${CONC_SIZE_MB:-8}     # concurrency file, MiB
CLIENTS=${CLIENTS:-200}             # concurrent curl clients
BLKSIZE=${BLKSIZE:-1468}
WINDOWS=${WINDOWS:-"1 16 64"}       # windowsizes for the single-client runs
PINS=${PINS:-"split same"}          # split: server CPU 1, client CPU 0; same: both CPU 0
SERVERS=${SERVERS:-"bootwire tftpd-hpa atftpd dnsmasq"}
PHASES=${PHASES:-"ceiling single concurrent"}
CEIL_SECONDS=${CEIL_SECONDS:-1}     # per ceiling measurement
SINGLE_TIMEOUT=${SINGLE_TIMEOUT:-$((30 + SIZE_MB))}  # s, per single-client transfer
CONC_TIMEOUT=${CONC_TIMEOUT:-150}   # s, per concurrent client
DEADLINE_MIN=${DEADLINE_MIN:-14}    # no new round starts after this many minutes
BOOTWIRE=${BOOTWIRE:-$TOP/build/bootwire}
ATFTPD=${ATFTPD:-/opt/bootwire-peers/atftpd/usr/sbin/atftpd}
ADDR=${BENCH_ADDR:-10.213.69.1}     # lives only on a veth inside the benchmark's namespace
RESULTS_FILE=${RESULTS_FILE:-$HERE/RESULTS.md}
RAW_TSV=${RAW_TSV:-}                # if set, the per-run measurements are copied there

WRITE_RESULTS=0
for a in "$@"; do
	case $a in
	--write-results) WRITE_RESULTS=1 ;;
	-h | --help)
		sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "tftp.sh: unknown argument $a" >&2
		exit 2
		;;
	esac
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now_us() { echo "${EPOCHREALTIME/./}"; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, cgroups, taskset)"
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; 'split' pinning will not mean anything"
for t in ip nsenter taskset timeout curl atftp sha256sum awk ss; do
	command -v "$t" >/dev/null || die "missing tool $t (run make deps)"
done

START_US=$(now_us)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
LIMIT=$((CLIENTS + 16 > 256 ? CLIENTS + 16 : 256)) # per-server transfer limits for peers
declare -A PORT=([bootwire]=6969 [tftpd-hpa]=7069 [atftpd]=7169 [dnsmasq]=69 [null]=6999)
declare -A PID=() VERSION=() NEG=() SKIPNOTE=()

# Drop servers that are not installed (noted in the output rather than failing the run).
active=()
for s in $SERVERS; do
	case $s in
	bootwire) [ -x "$BOOTWIRE" ] || { SKIPNOTE[$s]="not built ($BOOTWIRE missing)"; continue; } ;;
	tftpd-hpa) command -v in.tftpd >/dev/null || { SKIPNOTE[$s]="in.tftpd not installed"; continue; } ;;
	atftpd) [ -x "$ATFTPD" ] || { SKIPNOTE[$s]="$ATFTPD missing"; continue; } ;;
	dnsmasq) command -v dnsmasq >/dev/null || { SKIPNOTE[$s]="dnsmasq not installed"; continue; } ;;
	*) die "unknown server $s" ;;
	esac
	active+=("$s")
done
[ "${#active[@]}" -gt 0 ] || die "no server to benchmark"
for s in "${!SKIPNOTE[@]}"; do log "skipping $s: ${SKIPNOTE[$s]}"; done
is_peer() { [ "$1" != bootwire ]; }
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }

# ---- workspace, namespace, cgroups, cleanup ----------------------------------------------
NS=bwbench-$$
NSPATH=/run/netns/$NS
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGROOT=
WORK=$(mktemp -d "/dev/shm/bwbench.$$.XXXXXX" 2>/dev/null || mktemp -d "/tmp/bwbench.$$.XXXXXX")
chmod 755 "$WORK" # the peers drop to nobody and must read the files
mkdir -p "$WORK/root" "$WORK/log" "$WORK/conc"
TSV=$WORK/results.tsv
: >"$TSV"

cg_kill_all() { # kill, by PID, whatever is left in one of our cgroups
	local cg=$1 p i procs
	[ -d "$cg" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		procs=$(cat "$cg/cgroup.procs" 2>/dev/null) # (cgroup files stat as size 0: no -s)
		[ -n "$procs" ] || break
		for p in $procs; do kill -KILL "$p" 2>/dev/null; done
		sleep 0.2
	done
	rmdir "$cg" 2>/dev/null
}

cleanup() {
	local s pid i
	trap - EXIT INT TERM
	for s in "${!PID[@]}"; do
		pid=${PID[$s]}
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$CGROOT" ] && [ -d "$CGROOT" ]; then
		for cg in "$CGROOT"/*/; do [ -d "$cg" ] && cg_kill_all "${cg%/}"; done
		rmdir "$CGROOT" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Leftovers of an earlier run of this script that was killed hard (its PID is gone).
for d in /dev/shm/bwbench.*.* /tmp/bwbench.*.*; do
	[ -d "$d" ] || continue
	p=${d#*/bwbench.}
	p=${p%%.*}
	[ "$p" != $$ ] && ! kill -0 "$p" 2>/dev/null && { log "removing stale $d"; rm -rf "$d"; }
done
for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^bwbench-[0-9]*$'); do
	kill -0 "${n#bwbench-}" 2>/dev/null || { log "removing stale namespace $n"; ip netns del "$n"; }
done
if [ -n "$CG2" ]; then
	for d in "$CG2"/bwbench.*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		kill -0 "${d##*.}" 2>/dev/null && continue
		log "removing stale cgroup $d"
		for c in "$d"/*/; do [ -d "$c" ] && cg_kill_all "${c%/}"; done
		rmdir "$d" 2>/dev/null
	done
fi

if [ -n "$CG2" ] && mkdir "$CG2/bwbench.$$" 2>/dev/null; then
	CGROOT=$CG2/bwbench.$$
	mkdir "$CGROOT/client" "$CGROOT/clients"
else
	log "warning: no writable cgroup v2 hierarchy: CPU columns will say n/a"
fi

ip netns add "$NS" || die "cannot create network namespace"
ip -n "$NS" link set lo up
ip -n "$NS" link add bwb0 type veth peer name bwb1
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip -n "$NS" addr add "$ADDR/24" dev bwb0
ip -n "$NS" link set bwb0 up
ip -n "$NS" link set bwb1 up
IN_NS=(nsenter "--net=$NSPATH")

# Run a command inside the namespace as a member of cgroup $1 ("-" for none). The wrapper
# joins the cgroup and execs, so the command keeps the wrapper's PID.
in_cg() {
	local cg=$1
	shift
	if [ "$cg" != - ] && [ -n "$CGROOT" ]; then
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT/$cg" "${IN_NS[@]}" "$@"
	else
		"${IN_NS[@]}" "$@"
	fi
}
cpu_usec() { # cumulative CPU of one of our cgroups, microseconds
	if [ -n "$CGROOT" ] && [ -r "$CGROOT/$1/cpu.stat" ]; then
		awk '$1 == "usage_usec" { print $2 }' "$CGROOT/$1/cpu.stat"
	else
		echo 0
	fi
}

# ---- helper binary and files --------------------------------------------------------------
UDPC=$TOP/build/bench/udp_ceiling
if [ ! -x "$UDPC" ] || [ "$HERE/udp_ceiling.c" -nt "$UDPC" ]; then
	UDPC=$WORK/udp_ceiling
	cc -std=c11 -O2 -D_GNU_SOURCE -o "$UDPC" "$HERE/udp_ceiling.c" || die "cannot build udp_ceiling"
fi

log "creating files in $WORK/root (big $SIZE_MB MiB, concurrency $CONC_SIZE_MB MiB)"
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$WORK/root/big.bin"
head -c "$((CONC_SIZE_MB * 1048576))" /dev/urandom >"$WORK/root/conc.bin"
head -c "$((2 * 1048576 + 777))" /dev/urandom >"$WORK/root/check.bin" # last block partial
chmod 644 "$WORK/root"/*.bin
chmod 755 "$WORK/root"
BIG_BYTES=$((SIZE_MB * 1048576))
CONC_BYTES=$((CONC_SIZE_MB * 1048576))
SUM_CONC=$(sha256sum <"$WORK/root/conc.bin" | cut -d' ' -f1)
SUM_CHECK=$(sha256sum <"$WORK/root/check.bin" | cut -d' ' -f1)

# ---- servers ------------------------------------------------------------------------------
server_cmd() { # prints nothing; sets CMD
	local s=$1 p=${PORT[$1]}
	case $s in
	bootwire)
		CMD=("$BOOTWIRE" tftp --root "$WORK/root" --listen "$ADDR" --port "$p" --allow-root
			--blksize-max "$BLKSIZE" --windowsize-max 64 --max-transfers "$((LIMIT > 1000 ? LIMIT : 1000))"
			--max-transfers-per-client "$LIMIT" --log-level warn) ;;
	tftpd-hpa) # -L: foreground standalone; forks one child per transfer. Logs to syslog only.
		CMD=(in.tftpd -L -a "$ADDR:$p" -s -u nobody "$WORK/root") ;;
	atftpd) # drops to nobody before opening its log file
		touch "$WORK/log/atftpd.file.log" && chown nobody "$WORK/log/atftpd.file.log"
		CMD=("$ATFTPD" --daemon --no-fork --port "$p" --bind-address "$ADDR" --maxthread "$LIMIT"
			--user nobody --group nogroup --logfile "$WORK/log/atftpd.file.log" "$WORK/root") ;;
	null) # udp_ceiling's no-work TFTP sender: what the atftp client alone allows
		CMD=("$UDPC" tftpd --addr "$ADDR" --port "$p" --bytes "$BIG_BYTES") ;;
	dnsmasq) # port=0: DNS off; TFTP always on port 69
		CMD=(dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --enable-tftp
			--tftp-root="$WORK/root" --tftp-max="$LIMIT" --listen-address="$ADDR" --bind-interfaces
			--pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/log/dnsmasq.file.log") ;;
	esac
}

server_version() {
	case $1 in
	bootwire) echo "$("$BOOTWIRE" version 2>/dev/null | head -1 | awk '{print $NF}') ($(cd "$TOP" && git describe --always --dirty 2>/dev/null || echo "no commit"))" ;;
	tftpd-hpa) dpkg-query -W -f '${Version}' tftpd-hpa 2>/dev/null || echo "?" ;;
	atftpd) "$ATFTPD" -V 2>&1 | head -1 | sed 's/ (server)//' ;;
	dnsmasq) dnsmasq --version | head -1 | awk '{print $3}' ;;
	esac
}

start_server() {
	local s=$1 p=${PORT[$1]} i
	server_cmd "$s"
	# Not through in_cg: a backgrounded function would leave a subshell as $!. The wrapper
	# joins the server's cgroup and execs nsenter, which execs the server: $! is the server.
	if [ -n "$CGROOT" ]; then
		mkdir -p "$CGROOT/srv-$s"
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT/srv-$s" "${IN_NS[@]}" "${CMD[@]}" \
			>"$WORK/log/$s.log" 2>&1 &
	else
		"${IN_NS[@]}" "${CMD[@]}" >"$WORK/log/$s.log" 2>&1 &
	fi
	PID[$s]=$!
	for i in $(seq 1 100); do
		if "${IN_NS[@]}" ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; then
			log "started $s (pid ${PID[$s]}, port $p)"
			return 0
		fi
		kill -0 "${PID[$s]}" 2>/dev/null || break
		sleep 0.1
	done
	log "$s failed to start; its log:"
	sed 's/^/    /' "$WORK/log/$s.log" >&2
	kill -TERM "${PID[$s]}" 2>/dev/null
	wait "${PID[$s]}" 2>/dev/null
	unset "PID[$s]"
	return 1
}

pin_server() { # every process and thread of the server (and its children) onto CPUs $2
	local s=$1 cpus=$2 p
	if [ -n "$CGROOT" ]; then
		for p in $(cat "$CGROOT/srv-$s/cgroup.procs" 2>/dev/null); do
			taskset -a -p -c "$cpus" "$p" >/dev/null 2>&1
		done
	else
		taskset -a -p -c "$cpus" "${PID[$s]}" >/dev/null 2>&1
	fi
}

alive() { [ -n "${PID[$1]:-}" ] && kill -0 "${PID[$1]}" 2>/dev/null; }

# TSV: kind sub server round attempts fails mbps srv_cpu_s cli_cpu_pct
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TSV"; }

# ---- preflight: content, option negotiation ----------------------------------------------
PREFLIGHT=()
preflight() {
	local s=$1 p=${PORT[$1]} ws res=() oack curl_ok
	for ws in $WINDOWS; do
		rm -f "$WORK/pf.out"
		if in_cg - timeout -k 3 30 atftp --option "blksize $BLKSIZE" --option "windowsize $ws" \
			-g -r check.bin -l "$WORK/pf.out" "$ADDR" "$p" >/dev/null 2>&1 &&
			[ "$(sha256sum <"$WORK/pf.out" | cut -d' ' -f1)" = "$SUM_CHECK" ]; then
			res+=("ok")
		else
			res+=("FAIL")
		fi
	done
	# What the server answers to blksize + windowsize 16 (atftp --trace prints the OACK).
	in_cg - timeout -k 3 30 atftp --trace --option "blksize $BLKSIZE" --option "windowsize 16" \
		-g -r check.bin -l /dev/null "$ADDR" "$p" >"$WORK/pf.trace" 2>&1
	# (atftp erases its last ", " with backspaces)
	oack=$(grep -m1 'received OACK' "$WORK/pf.trace" | tr -d '\b' | sed 's/.*received OACK <//; s/[, ]*>$//')
	if grep -m1 'received OACK' "$WORK/pf.trace" | grep -q 'windowsize: 16'; then NEG[$s]=yes; else NEG[$s]=no; fi
	rm -f "$WORK/pf.out"
	if in_cg - timeout -k 3 30 curl -s --tftp-blksize "$BLKSIZE" -o "$WORK/pf.out" \
		"tftp://$ADDR:$p/check.bin" && [ "$(sha256sum <"$WORK/pf.out" | cut -d' ' -f1)" = "$SUM_CHECK" ]; then
		curl_ok=ok
	else
		curl_ok=FAIL
	fi
	PREFLIGHT+=("| $s | ${VERSION[$s]} | ${res[*]} | ${oack:-none} | $curl_ok |")
	log "preflight $s: atftp ws ($WINDOWS): ${res[*]}; OACK: ${oack:-none}; curl: $curl_ok"
}

# ---- measurements -------------------------------------------------------------------------
ceiling_round() {
	# The end that sends the data (stream sender, ping-pong client) sits where a TFTP server
	# does: CPU 1 in split, CPU 0 in same; the end that receives and replies sits on CPU 0.
	local r=$1 pin b out ws spec
	for pin in $PINS; do
		[ "$pin" = split ] && b=1 || b=0
		out=$(in_cg - "$UDPC" stream --addr "$ADDR" --seconds "$CEIL_SECONDS" --a-cpu 0 --b-cpu "$b" 2>&1)
		record ceiling "stream-$pin" - "$r" 1 0 "$(kv MBps "$out")" NA NA
		echo "$out" >>"$WORK/log/ceiling.log"
		for spec in "512 1" "1468 1" "1468 16" "1468 64"; do
			set -- $spec
			out=$(in_cg - "$UDPC" pingpong --addr "$ADDR" --size "$1" --window "$2" \
				--seconds "$CEIL_SECONDS" --a-cpu 0 --b-cpu "$b" 2>&1)
			record ceiling "pp$1w$2-$pin" - "$r" 1 0 "$(kv MBps "$out")" NA NA
			echo "$out" >>"$WORK/log/ceiling.log"
		done
		if has_phase single; then
			for ws in $WINDOWS; do single_run null "$ws" "$pin" "$r" client-ceiling; done
		fi
	done
}
kv() { echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "NA" : v) }'; }

single_run() { # server ws pin round [kind]
	local s=$1 ws=$2 pin=$3 r=$4 kind=${5:-single} p=${PORT[$1]} scpu u0 u1 c0 c1 t0 t1 rc
	[ "$pin" = split ] && scpu=1 || scpu=0
	if ! alive "$s"; then record "$kind" "ws$ws-$pin" "$s" "$r" 1 1 NA NA NA; return; fi
	pin_server "$s" "$scpu"
	u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
	# In the background + wait, so that a signal to the script is handled at once.
	in_cg client taskset -c 0 timeout -k 3 "$SINGLE_TIMEOUT" atftp --option "blksize $BLKSIZE" \
		--option "windowsize $ws" -g -r big.bin -l /dev/null "$ADDR" "$p" >/dev/null 2>"$WORK/log/atftp.err" &
	wait $!
	rc=$?
	t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
	if [ "$rc" -eq 0 ]; then
		record "$kind" "ws$ws-$pin" "$s" "$r" 1 0 \
			"$(awk -v b="$BIG_BYTES" -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", b / t }')" \
			"$(awk -v u=$((u1 - u0)) 'BEGIN { printf "%.3f", u / 1e6 }')" \
			"$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * c / t }')"
	else
		log "  $s ws$ws $pin round $r: atftp exit $rc: $(tr '\n' ' ' <"$WORK/log/atftp.err" | cut -c1-200)"
		record "$kind" "ws$ws-$pin" "$s" "$r" 1 1 NA NA NA
	fi
}

# Launches CLIENTS curl processes at once inside the namespace, waits for all, writes
# "index exit-status" lines. Each client has its own curl --max-time and a timeout(1).
cat >"$WORK/clients.sh" <<'EOF'
n=$1 url=$2 out=$3 t=$4 blk=$5
pids=()
for ((i = 1; i <= n; i++)); do
	timeout -k 5 $((t + 5)) curl -s -S --max-time "$t" --tftp-blksize "$blk" -o "$out/$i" "$url" 2>"$out/$i.err" &
	pids[i]=$!
done
for ((i = 1; i <= n; i++)); do
	wait "${pids[i]}"
	echo "$i $?"
done >"$out/rc"
EOF

conc_run() { # server round
	local s=$1 r=$2 p=${PORT[$1]} u0 u1 t0 t1 fails ok out=$WORK/conc
	if ! alive "$s"; then record conc conc "$s" "$r" "$CLIENTS" "$CLIENTS" NA NA NA; return; fi
	rm -rf "$out" && mkdir -p "$out"
	pin_server "$s" 0-$(($(nproc) - 1))
	u0=$(cpu_usec "srv-$s"); t0=$(now_us)
	in_cg clients bash "$WORK/clients.sh" "$CLIENTS" "tftp://$ADDR:$p/conc.bin" "$out" "$CONC_TIMEOUT" "$BLKSIZE" &
	wait $!
	t1=$(now_us); u1=$(cpu_usec "srv-$s")
	# A client fails if curl failed or its file is not the served file.
	ok=$(cd "$out" && awk '$2 == 0 { print $1 }' rc | xargs -r sha256sum 2>/dev/null | awk -v h="$SUM_CONC" '$1 == h' | wc -l)
	fails=$((CLIENTS - ok))
	if [ "$fails" -gt 0 ]; then
		log "  $s concurrency round $r: $fails of $CLIENTS clients failed; exit codes: $(awk '{print $2}' "$out/rc" | sort | uniq -c | tr -s ' \n' ' ')"
		cat "$out"/*.err 2>/dev/null | sort | uniq -c | sort -rn | head -3 | sed 's/^/    /' >&2
	fi
	record conc conc "$s" "$r" "$CLIENTS" "$fails" \
		"$(awk -v b=$((ok * CONC_BYTES)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", b / t }')" \
		"$(awk -v u=$((u1 - u0)) 'BEGIN { printf "%.3f", u / 1e6 }')" NA
	rm -rf "$out"
}

# ---- run ------------------------------------------------------------------------------------
for s in "${active[@]}"; do
	VERSION[$s]=$(server_version "$s")
	start_server "$s" || SKIPNOTE[$s]="failed to start (see log above)"
done
running=()
for s in "${active[@]}"; do alive "$s" && running+=("$s"); done
if has_phase ceiling && has_phase single; then
	start_server null || log "warning: no-work TFTP sender did not start; no atftp client ceiling"
fi
[ "${#running[@]}" -gt 0 ] || die "no server started"
for s in "${running[@]}"; do preflight "$s"; done

rotate() { # prints the running servers starting at index $1 (servers take turns going first)
	local n=${#running[@]} i
	for ((i = 0; i < n; i++)); do printf '%s ' "${running[$(((i + $1) % n))]}"; done
}

ROUNDS_DONE=0
for ((r = 1; r <= ROUNDS; r++)); do
	if [ $(($(now_us) - START_US)) -gt $((DEADLINE_MIN * 60 * 1000000)) ]; then
		log "deadline of $DEADLINE_MIN min reached: stopping after $ROUNDS_DONE rounds"
		break
	fi
	order=$(rotate $((r - 1)))
	if has_phase ceiling; then
		log "round $r/$ROUNDS: UDP ceiling"
		ceiling_round "$r"
	fi
	if has_phase single; then
		for pin in $PINS; do
			for ws in $WINDOWS; do
				log "round $r/$ROUNDS: single client, ${SIZE_MB} MiB, windowsize $ws, $pin"
				for s in $order; do
					# A server that does not negotiate windowsize runs at 1: its ws1 figure stands.
					if [ "$ws" != 1 ] && [ "${NEG[$s]}" = no ] && is_peer "$s"; then continue; fi
					single_run "$s" "$ws" "$pin" "$r"
				done
			done
		done
	fi
	if has_phase concurrent; then
		for s in $order; do
			log "round $r/$ROUNDS: $CLIENTS clients x ${CONC_SIZE_MB} MiB, $s"
			conc_run "$s" "$r"
		done
	fi
	ROUNDS_DONE=$r
done
ELAPSED_S=$((($(now_us) - START_US) / 1000000))
log "measurements done in ${ELAPSED_S}s; rounds completed: $ROUNDS_DONE"

# ---- report ---------------------------------------------------------------------------------
# stats KIND SUB SERVER COLUMN -> "median min max n_ok attempts fails" (values NA if none)
stats() {
	awk -F'\t' -v k="$1" -v sub_="$2" -v s="$3" -v c="$4" '
	$1 == k && $2 == sub_ && $3 == s {
		att += $5; fl += $6
		if ($c != "NA") { v[n++] = $c + 0 }
	}
	END {
		for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		if (n == 0) { printf "NA NA NA 0 %d %d\n", att, fl; exit }
		med = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf "%s %s %s %d %d %d\n", med, v[0], v[n - 1], n, att, fl
	}' "$TSV"
}
fmt_range() { # median min max [decimals]
	[ "$1" = NA ] && { echo "n/a"; return; }
	awk -v m="$1" -v a="$2" -v b="$3" -v d="${4:-1}" 'BEGIN {
		if (a == b) printf "%.*f", d, m; else printf "%.*f (%.*f-%.*f)", d, m, d, a, d, b }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "NA" && b != "NA" && a + 0 >= b + 0) }'; }
mul() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA") print "NA"; else printf "%.2f", a * b }'; }
pin_label() { [ "$1" = split ] && echo "split: server CPU 1, client CPU 0" || echo "same: server and client CPU 0"; }

declare -A MED=() CPUMED=()
CHECKS=()
NOTES=()

report() {
	local pin ws s st best bestname sub cols label med
	echo "## TFTP benchmark: bootwire vs tftpd-hpa, atftpd, dnsmasq"
	echo
	echo "Rounds: $ROUNDS_DONE of $ROUNDS (interleaved, servers take turns going first); MB = 10^6 bytes;"
	echo "figures are median (min-max) over rounds. Servers and clients share one network namespace;"
	echo "traffic goes to $ADDR (a veth address inside it), so it takes the loopback path."
	echo "Load average (1/5/15 min) before the run: $LOAD_START (other work on the VM moves absolute"
	echo "figures; read the ratios)."
	for s in "${!SKIPNOTE[@]}"; do echo "Not measured: $s: ${SKIPNOTE[$s]}."; done
	echo
	echo "### Preflight (2 MiB + 777 B file, sha256 checked)"
	echo
	echo "| server | version | atftp content at ws $WINDOWS | OACK to blksize $BLKSIZE + windowsize 16 | curl content |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${PREFLIGHT[@]}"
	echo

	if has_phase ceiling; then
		echo "### Loopback UDP ceiling (no TFTP work, same address, measured in this run)"
		echo
		local hdr="| measure |" sep="|---|"
		for pin in $PINS; do hdr+=" $pin MB/s |"; sep+="---|"; done
		echo "$hdr"
		echo "$sep"
		for sub in stream pp512w1 pp1468w1 pp1468w16 pp1468w64; do
			case $sub in
			stream) label="one-way stream, $BLKSIZE B datagrams (rate received)" ;;
			pp512w1) label="lock-step ping-pong, 512 B, 4 B reply" ;;
			pp1468w1) label="lock-step ping-pong, 1468 B, 4 B reply" ;;
			pp1468w16) label="windowed, 16 x 1468 B per 4 B reply" ;;
			pp1468w64) label="windowed, 64 x 1468 B per 4 B reply" ;;
			esac
			cols="| $label |"
			for pin in $PINS; do
				st=($(stats ceiling "$sub-$pin" - 7))
				MED[ceil-$sub-$pin]=${st[0]}
				cols+=" $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}") |"
			done
			echo "$cols"
		done
		if has_phase single; then
			for ws in $WINDOWS; do
				cols="| atftp client vs. a no-work TFTP sender, ${SIZE_MB} MiB, windowsize $ws |"
				for pin in $PINS; do
					st=($(stats client-ceiling "ws$ws-$pin" null 7))
					MED[client-ws$ws-$pin]=${st[0]}
					MED[clientmax-ws$ws-$pin]=${st[2]}
					cols+=" $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}") |"
				done
				echo "$cols"
			done
		fi
		echo
		echo "Lock-step TFTP cannot beat the lock-step ping-pong of its block size; windowed TFTP aims"
		echo "at the stream. In 'same' the stream sender starves the receiver (most datagrams are dropped),"
		echo "so the 'same' stream figure is low; the windowed rows are the flow-controlled bound there.
The no-work sender (udp_ceiling tftpd: zeros from memory, one transfer at a time) shows what
the atftp client itself allows: a server near that figure is limited by the client."
		echo
	fi

	if has_phase single; then
		for pin in $PINS; do
			for ws in $WINDOWS; do
				echo "### Single client (atftp), ${SIZE_MB} MiB, blksize $BLKSIZE, windowsize $ws, $(pin_label "$pin")"
				echo
				echo "| server | MB/s | failures | server CPU s | client CPU % of wall | ratio to best peer |"
				echo "|---|---|---|---|---|---|"
				best=NA bestname=
				for s in "${running[@]}"; do
					sub="ws$ws-$pin"
					if [ "$ws" != 1 ] && [ "${NEG[$s]}" = no ] && is_peer "$s"; then sub="ws1-$pin"; fi
					st=($(stats single "$sub" "$s" 7))
					MED[single-ws$ws-$pin-$s]=${st[0]}
					if is_peer "$s" && [ "${st[0]}" != NA ] && { [ "$best" = NA ] || ge "${st[0]}" "$best"; }; then
						best=${st[0]} bestname=$s
					fi
				done
				MED[best-ws$ws-$pin]=$best
				MED[bestname-ws$ws-$pin]=$bestname
				for s in "${running[@]}"; do
					sub="ws$ws-$pin" label=$s
					if [ "$ws" != 1 ] && [ "${NEG[$s]}" = no ]; then
						if is_peer "$s"; then sub="ws1-$pin" label="$s (no RFC 7440: its ws 1 figure)"; else label="$s (windowsize NOT negotiated)"; fi
					fi
					st=($(stats single "$sub" "$s" 7))
					local cpu=($(stats single "$sub" "$s" 8)) cli=($(stats single "$sub" "$s" 9))
					echo "| $label | $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}") | ${st[5]}/${st[4]} | $(fmt_range "${cpu[0]}" "${cpu[1]}" "${cpu[2]}" 2) | $(fmt_range "${cli[0]}" "${cli[1]}" "${cli[2]}" 0) | $(ratio "${st[0]}" "$best") |"
					# Against the best the client reached with the no-work sender in this run.
					local cc=${MED[clientmax-ws$ws-$pin]:-NA}
					if [ "$ws" != 1 ] && [ "$sub" = "ws$ws-$pin" ] && [ "$cc" != NA ] && [ "${st[0]}" != NA ] && ge "${st[0]}" "$(mul "$cc" 0.9)"; then
						local pct=$(awk -v a="${st[0]}" -v b="$cc" 'BEGIN{printf "%.0f", 100*a/b}')
						if [ "$pct" -le 110 ]; then
							NOTES+=("$s at windowsize $ws, $pin: $(fmt_range "${st[0]}" 0 0) MB/s is $pct% of the best the atftp client reached against the no-work sender ($(fmt_range "$cc" 0 0) MB/s): the client, not the server, limits this figure.")
						else
							NOTES+=("$s at windowsize $ws, $pin: $(fmt_range "${st[0]}" 0 0) MB/s is above the best the atftp client reached against the no-work sender ($(fmt_range "$cc" 0 0) MB/s): that ceiling measurement was disturbed; the client is near its limit here.")
						fi
					fi
					if [ "$pin" = split ] && [ "${cli[0]}" != NA ] && ge "${cli[0]}" 85; then
						NOTES+=("atftp client used ${cli[0]}% of its CPU (median) against $s at windowsize $ws, split: the client may be the bottleneck there.")
					fi
				done
				echo
			done
		done
	fi

	if has_phase concurrent; then
		echo "### $CLIENTS concurrent clients (curl), ${CONC_SIZE_MB} MiB each, blksize $BLKSIZE, unpinned"
		echo
		echo "| server | aggregate MB/s | failed clients | server CPU s | ratio to best peer (MB/s) | CPU ratio to best peer |"
		echo "|---|---|---|---|---|---|"
		best=NA
		local bestcpu=NA
		for s in "${running[@]}"; do
			st=($(stats conc conc "$s" 7)); MED[conc-$s]=${st[0]}; MED[concfail-$s]=${st[5]}
			local cpu=($(stats conc conc "$s" 8)); CPUMED[conc-$s]=${cpu[0]}
			if is_peer "$s"; then
				[ "${st[0]}" != NA ] && { [ "$best" = NA ] || ge "${st[0]}" "$best"; } && best=${st[0]}
				[ "${cpu[0]}" != NA ] && { [ "$bestcpu" = NA ] || ge "$bestcpu" "${cpu[0]}"; } && bestcpu=${cpu[0]} && MED[bestcpuname]=$s
			fi
		done
		MED[best-conc]=$best
		CPUMED[best-conc]=$bestcpu
		for s in "${running[@]}"; do
			st=($(stats conc conc "$s" 7))
			local cpu=($(stats conc conc "$s" 8))
			echo "| $s | $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}") | ${st[5]}/${st[4]} | $(fmt_range "${cpu[0]}" "${cpu[1]}" "${cpu[2]}" 1) | $(ratio "${st[0]}" "$best") | $(ratio "${cpu[0]}" "$bestcpu") |"
		done
		echo
		[ -z "$CGROOT" ] && echo "(no cgroup v2: server CPU not measured)" && echo
	fi

	# ---- target checks ----
	check() { # label pass-condition-result text
		CHECKS+=("- [$1] $2")
	}
	local bw=bootwire
	if [[ " ${running[*]} " != *" bootwire "* ]]; then
		CHECKS+=("- [SKIP] all bootwire targets: bootwire ${SKIPNOTE[bootwire]:-not measured}")
	else
		if has_phase single; then
			for pin in $PINS; do
				if [[ " $WINDOWS " == *" 1 "* ]]; then
					local b=${MED[single-ws1-$pin-$bw]} p=${MED[best-ws1-$pin]}
					ge "$b" "$p" && st=PASS || st=FAIL
					check "$st" "ws1 $pin: bootwire $(fmt_range "$b" "$b" "$b") MB/s >= best peer ${MED[bestname-ws1-$pin]:-?} $(fmt_range "$p" "$p" "$p") MB/s"
				fi
				for ws in 16 64; do
					[[ " $WINDOWS " == *" $ws "* ]] || continue
					[[ " ${running[*]} " == *" atftpd "* ]] || continue
					local b=${MED[single-ws$ws-$pin-$bw]} a=${MED[single-ws$ws-$pin-atftpd]}
					local want=$(mul "$a" 1.5)
					ge "$b" "$want" && st=PASS || st=FAIL
					check "$st" "ws$ws $pin: bootwire $(fmt_range "$b" "$b" "$b") MB/s >= 1.5 x atftpd $(fmt_range "$a" "$a" "$a") = $(fmt_range "$want" "$want" "$want") MB/s"
				done
				if [[ " $WINDOWS " == *" 64 "* ]] && has_phase ceiling; then
					local b=${MED[single-ws64-$pin-$bw]} c=${MED[ceil-stream-$pin]}
					local want=$(mul "$c" 0.75)
					ge "$b" "$want" && st=PASS || st=FAIL
					[ "$pin" = same ] && st="$st, info"
					check "$st" "ws64 $pin: bootwire $(fmt_range "$b" "$b" "$b") MB/s >= 75% of UDP stream ceiling $(fmt_range "$c" "$c" "$c") = $(fmt_range "$want" "$want" "$want") MB/s (atftp client vs. no-work sender: $(fmt_range "${MED[client-ws64-$pin]:-NA}" 0 0) MB/s)"
				fi
			done
		fi
		if has_phase concurrent; then
			local f=${MED[concfail-$bw]}
			[ "$f" = 0 ] && st=PASS || st=FAIL
			check "$st" "$CLIENTS clients: bootwire failed clients = $f over $ROUNDS_DONE rounds (want 0)"
			local c=${CPUMED[conc-$bw]} pc=${CPUMED[best-conc]}
			local want=$(mul "$pc" 0.5)
			ge "$want" "$c" && st=PASS || st=FAIL
			[ -z "$CGROOT" ] && st=SKIP
			check "$st" "$CLIENTS clients: bootwire CPU $(fmt_range "$c" "$c" "$c" 2) s <= 0.5 x best peer ${MED[bestcpuname]:-?} $(fmt_range "$pc" "$pc" "$pc" 2) s = $(fmt_range "$want" "$want" "$want" 2) s"
		fi
	fi
	echo "### Target checks"
	echo
	printf '%s\n' "${CHECKS[@]}"
	echo
	if [ "${#NOTES[@]}" -gt 0 ]; then
		echo "### Notes"
		echo
		printf -- '- %s\n' "${NOTES[@]}"
		echo
	fi
	echo "Elapsed: ${ELAPSED_S}s."
}

[ -n "$RAW_TSV" ] && { printf 'kind\tcase\tserver\tround\tattempts\tfails\tMBps\tserver_cpu_s\tclient_cpu_pct\n'; cat "$TSV"; } >"$RAW_TSV"
REPORT=$(report)
echo "$REPORT"

if [ "$WRITE_RESULTS" = 1 ]; then
	knobs="ROUNDS=$ROUNDS SIZE_MB=$SIZE_MB CONC_SIZE_MB=$CONC_SIZE_MB CLIENTS=$CLIENTS WINDOWS=\"$WINDOWS\" PINS=\"$PINS\" CEIL_SECONDS=$CEIL_SECONDS"
	# Other benchmarks' sections ("## DHCP", "## HTTP", ...: every "## " section that is not
	# ours) are kept, after ours.
	others=""
	[ -f "$RESULTS_FILE" ] && others=$(awk '/^## / { f = ($0 !~ /^## TFTP/) } f' "$RESULTS_FILE")
	{
		echo "# TFTP benchmark results"
		echo
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs," \
			"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
			"$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
		echo "- How run: \`$knobs bash bench/tftp.sh --write-results\` (as root; see bench/README.md)"
		echo "- Peers: tftpd-hpa ${VERSION[tftpd-hpa]:-n/a}, atftpd ${VERSION[atftpd]:-n/a}, dnsmasq ${VERSION[dnsmasq]:-n/a};" \
			"clients atftp $(atftp -V 2>&1 | head -1 | awk '{print $1}' | sed 's/atftp-//'), curl $(curl --version | head -1 | awk '{print $2}')"
		echo
		echo "$REPORT" | tail -n +3
		if [ -n "$others" ]; then echo; echo "$others"; fi
	} >"$RESULTS_FILE.new" && mv "$RESULTS_FILE.new" "$RESULTS_FILE"
	log "wrote $RESULTS_FILE"
fi
