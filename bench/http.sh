#!/usr/bin/env bash
# HTTP benchmark: bootwire's HTTP service against nginx, side by side in one run: one 64 MiB
# download with curl (MB/s) and 4 KiB requests with wrk (requests/s), server on CPU 1 and
# client on CPU 0. See bench/README.md. Needs root (network namespace, cgroup v2, taskset).
# Tables go to stdout, progress to stderr.
#
#   bash bench/http.sh [--write-results]
#   ROUNDS=1 WRK_SECONDS=5 bash bench/http.sh        # quick run
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")

WRITE_RESULTS=0
for a in "$@"; do
	case $a in
	--write-results) WRITE_RESULTS=1 ;;
	-h | --help)
		sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "http.sh: unknown argument $a" >&2
		exit 2
		;;
	esac
done

# ---- knobs --------------------------------------------------------------------------------
ROUNDS=${ROUNDS:-3}                 # interleaved rounds; tables show median (min-max)
LARGE_REPS=${LARGE_REPS:-5}         # 64 MiB downloads per server per round
SIZE_MB=${SIZE_MB:-64}              # the large file, MiB
SMALL_BYTES=${SMALL_BYTES:-4096}    # the small file
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
WRK_SECONDS=${WRK_SECONDS:-10}
SERVERS=${SERVERS:-"bootwire nginx nginx-128k"} # nginx-128k: sendfile_max_chunk 128k, as MHD
SERVER_CPU=${SERVER_CPU:-1}         # BENCH-NOTES: server on CPU 1, client on CPU 0
CLIENT_CPU=${CLIENT_CPU:-0}
DEADLINE_MIN=${DEADLINE_MIN:-10}    # no new round starts after this many minutes
BOOTWIRE=${BOOTWIRE:-$TOP/build/bootwire}
NGINX=${NGINX:-/usr/sbin/nginx}
ADDR=${BENCH_ADDR:-10.213.80.1}     # lives only on a veth inside the benchmark's namespace
RESULTS_FILE=${RESULTS_FILE:-$HERE/RESULTS.md}
RAW_TSV=${RAW_TSV:-}                # if set, the per-run measurements are copied there

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now_us() { echo "${EPOCHREALTIME/./}"; }
isnum() { [[ $1 =~ ^[0-9]+$ ]]; }

for v in ROUNDS LARGE_REPS SIZE_MB SMALL_BYTES WRK_THREADS WRK_CONNS WRK_SECONDS SERVER_CPU CLIENT_CPU DEADLINE_MIN; do
	isnum "${!v}" || die "$v must be a number"
done
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, cgroups, taskset)"
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; server and client share one"
for t in ip nsenter taskset timeout curl wrk sha256sum awk ss; do
	command -v "$t" >/dev/null || die "missing tool $t (run make deps)"
done

START_US=$(now_us)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A PORT=([bootwire]=8080 [nginx]=8081 [nginx-128k]=8082)
declare -A PID=() VERSION=() SKIPNOTE=() PREFLIGHT_RES=()

active=()
for s in $SERVERS; do
	case $s in
	bootwire) [ -x "$BOOTWIRE" ] || { SKIPNOTE[$s]="not built ($BOOTWIRE missing)"; continue; } ;;
	nginx | nginx-128k) [ -x "$NGINX" ] || { SKIPNOTE[$s]="$NGINX not installed"; continue; } ;;
	*) die "unknown server $s (bootwire, nginx, nginx-128k)" ;;
	esac
	active+=("$s")
done
[ "${#active[@]}" -gt 0 ] || die "no server to benchmark"
for s in "${!SKIPNOTE[@]}"; do log "skipping $s: ${SKIPNOTE[$s]}"; done

# ---- workspace, namespace, cgroups, cleanup ----------------------------------------------
NS=bwhttp-$$
NSPATH=/run/netns/$NS
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGROOT=
CLIENT_PID=
WORK=$(mktemp -d "/dev/shm/bwhttp.$$.XXXXXX" 2>/dev/null || mktemp -d "/tmp/bwhttp.$$.XXXXXX")
chmod 755 "$WORK"
mkdir -p "$WORK/root" "$WORK/log"
TSV=$WORK/results.tsv
: >"$TSV"

cg_kill_all() { # kill, by PID, whatever is left in one of our cgroups
	local cg=$1 p i procs
	[ -d "$cg" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		procs=$(cat "$cg/cgroup.procs" 2>/dev/null)
		[ -n "$procs" ] || break
		for p in $procs; do kill -KILL "$p" 2>/dev/null; done
		sleep 0.2
	done
	rmdir "$cg" 2>/dev/null
}

stop_pid() { # pid: SIGTERM, wait up to 5 s, then SIGKILL
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
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
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Leftovers of an earlier run that was killed hard (its PID is gone).
for d in /dev/shm/bwhttp.*.* /tmp/bwhttp.*.*; do
	[ -d "$d" ] || continue
	p=${d#*/bwhttp.}
	p=${p%%.*}
	isnum "$p" && [ "$p" != $$ ] && ! kill -0 "$p" 2>/dev/null && { log "removing stale $d"; rm -rf "$d"; }
done
for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^bwhttp-[0-9]*$'); do
	kill -0 "${n#bwhttp-}" 2>/dev/null || { log "removing stale namespace $n"; ip netns del "$n"; }
done
if [ -n "$CG2" ]; then
	for d in "$CG2"/bwhttp.*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		kill -0 "${d##*.}" 2>/dev/null && continue
		log "removing stale cgroup $d"
		for c in "$d"/*/; do [ -d "$c" ] && cg_kill_all "${c%/}"; done
		rmdir "$d" 2>/dev/null
	done
fi

if [ -n "$CG2" ] && mkdir "$CG2/bwhttp.$$" 2>/dev/null; then
	CGROOT=$CG2/bwhttp.$$
	mkdir "$CGROOT/client"
else
	log "warning: no writable cgroup v2 hierarchy: CPU columns will say n/a"
fi

ip netns add "$NS" || die "cannot create network namespace"
ip -n "$NS" link set lo up
ip -n "$NS" link add bwh0 type veth peer name bwh1
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip -n "$NS" addr add "$ADDR/24" dev bwh0
ip -n "$NS" link set bwh0 up
ip -n "$NS" link set bwh1 up
IN_NS=(nsenter "--net=$NSPATH")

cpu_usec() { # cumulative CPU of one of our cgroups, microseconds (NA without cgroups)
	if [ -n "$CGROOT" ] && [ -r "$CGROOT/$1/cpu.stat" ]; then
		awk '$1 == "usage_usec" { print $2 }' "$CGROOT/$1/cpu.stat"
	else
		echo NA
	fi
}
cpu_s() { # u0 u1 -> seconds, or NA
	[ "$1" = NA ] || [ "$2" = NA ] && { echo NA; return; }
	awk -v u=$(($2 - $1)) 'BEGIN { printf "%.3f", u / 1e6 }'
}

# Runs a client command in the namespace, on CLIENT_CPU, in the client cgroup, in the
# background (so that a signal to the script is handled at once); output to $1.
run_client() {
	local out=$1
	shift
	if [ -n "$CGROOT" ]; then
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT/client" \
			"${IN_NS[@]}" taskset -c "$CLIENT_CPU" "$@" >"$out" 2>"$out.err" &
	else
		"${IN_NS[@]}" taskset -c "$CLIENT_CPU" "$@" >"$out" 2>"$out.err" &
	fi
	CLIENT_PID=$!
	wait "$CLIENT_PID"
	local rc=$?
	CLIENT_PID=
	return $rc
}

# ---- files ----------------------------------------------------------------------------------
log "creating files in $WORK/root (big $SIZE_MB MiB, small $SMALL_BYTES bytes)"
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$WORK/root/big.bin"
head -c "$SMALL_BYTES" /dev/urandom >"$WORK/root/small.bin"
chmod 644 "$WORK/root"/*.bin
chmod 755 "$WORK/root"
BIG_BYTES=$((SIZE_MB * 1048576))
SUM_BIG=$(sha256sum <"$WORK/root/big.bin" | cut -d' ' -f1)
SUM_SMALL=$(sha256sum <"$WORK/root/small.bin" | cut -d' ' -f1)

# ---- servers ----------------------------------------------------------------------------------
server_cmd() { # sets CMD
	local s=$1 p=${PORT[$1]}
	case $s in
	bootwire) # log level warn: no line per request (nginx runs with access_log off)
		cat >"$WORK/bootwire.yaml" <<-EOF
			boot_root: $WORK/root
			log: { level: warn }
			tftp: { enabled: false }
			http: { enabled: true, listen: $ADDR, port: $p, max_per_client: 1024 }
		EOF
		CMD=("$BOOTWIRE" serve -c "$WORK/bootwire.yaml" --allow-root) ;;
	nginx | nginx-128k)
		# one process (no master), one worker's event loop, sendfile, no access log;
		# nginx-128k sends files in the 128 KiB pieces libmicrohttpd uses (nginx: 2 MiB)
		local d=$WORK/$s chunk=2m
		[ "$s" = nginx-128k ] && chunk=128k
		mkdir -p "$d"
		cat >"$d/nginx.conf" <<-EOF
			daemon off;
			master_process off;
			worker_processes 1;
			pid $d/nginx.pid;
			error_log $WORK/log/$s-error.log warn;
			events { worker_connections 4096; use epoll; }
			http {
			    access_log off;
			    sendfile on;
			    sendfile_max_chunk $chunk;
			    tcp_nopush on;
			    keepalive_requests 1000000;
			    default_type application/octet-stream;
			    client_body_temp_path $d/body;
			    proxy_temp_path $d/proxy;
			    fastcgi_temp_path $d/fastcgi;
			    uwsgi_temp_path $d/uwsgi;
			    scgi_temp_path $d/scgi;
			    server {
			        listen $ADDR:$p;
			        root $WORK/root;
			    }
			}
		EOF
		CMD=("$NGINX" -p "$d" -c "$d/nginx.conf") ;;
	esac
}

server_version() {
	case $1 in
	bootwire) echo "$("$BOOTWIRE" version 2>/dev/null | head -1 | awk '{print $NF}') ($(cd "$TOP" && git describe --always --dirty 2>/dev/null || echo "no commit")), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')" ;;
	nginx | nginx-128k) "$NGINX" -v 2>&1 | head -1 | sed 's|.*nginx/||' ;;
	esac
}

alive() { [ -n "${PID[$1]:-}" ] && kill -0 "${PID[$1]}" 2>/dev/null; }

start_server() {
	local s=$1 p=${PORT[$1]} i
	server_cmd "$s"
	# The wrapper joins the server's cgroup and execs nsenter, which execs taskset, which
	# execs the server: $! is the server, and every thread it starts inherits the CPU.
	if [ -n "$CGROOT" ]; then
		mkdir -p "$CGROOT/srv-$s"
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT/srv-$s" "${IN_NS[@]}" \
			taskset -c "$SERVER_CPU" "${CMD[@]}" >"$WORK/log/$s.log" 2>&1 &
	else
		"${IN_NS[@]}" taskset -c "$SERVER_CPU" "${CMD[@]}" >"$WORK/log/$s.log" 2>&1 &
	fi
	PID[$s]=$!
	for i in $(seq 1 100); do
		if "${IN_NS[@]}" ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			taskset -a -p -c "$SERVER_CPU" "${PID[$s]}" >/dev/null 2>&1 # every thread, in case
			log "started $s (pid ${PID[$s]}, port $p, CPU $SERVER_CPU)"
			return 0
		fi
		kill -0 "${PID[$s]}" 2>/dev/null || break
		sleep 0.1
	done
	log "$s failed to start; its log:"
	sed 's/^/    /' "$WORK/log/$s.log" >&2
	stop_pid "${PID[$s]}"
	unset "PID[$s]"
	return 1
}

# TSV: kind server round value srv_cpu_s cli_cpu_pct errors
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TSV"; }

# ---- preflight: content and behaviour ---------------------------------------------------------
preflight() {
	local s=$1 url="http://$ADDR:${PORT[$1]}" res=() code
	rm -f "$WORK/pf.out"
	if run_client "$WORK/pf.log" timeout -k 3 60 curl -s -o "$WORK/pf.out" "$url/big.bin" &&
		[ "$(sha256sum <"$WORK/pf.out" | cut -d' ' -f1)" = "$SUM_BIG" ]; then res+=(ok); else res+=(FAIL); fi
	rm -f "$WORK/pf.out"
	if run_client "$WORK/pf.log" timeout -k 3 30 curl -s -o "$WORK/pf.out" "$url/small.bin" &&
		[ "$(sha256sum <"$WORK/pf.out" | cut -d' ' -f1)" = "$SUM_SMALL" ]; then res+=(ok); else res+=(FAIL); fi
	run_client "$WORK/pf.code" timeout -k 3 30 curl -s -o /dev/null -w '%{http_code}' -r 0-99 "$url/big.bin"
	code=$(cat "$WORK/pf.code")
	res+=("$code")
	rm -f "$WORK/pf.out"
	PREFLIGHT_RES[$s]="| $s | ${VERSION[$s]} | ${res[0]} | ${res[1]} | ${res[2]} |"
}

# ---- measurements ------------------------------------------------------------------------------
large_run() { # server round: LARGE_REPS downloads, one record each
	local s=$1 r=$2 i u0 u1 c0 c1 t0 t1 out size secs code
	for ((i = 1; i <= LARGE_REPS; i++)); do
		if ! alive "$s"; then record large "$s" "$r" NA NA NA 1; continue; fi
		out=$WORK/log/large.out
		u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
		run_client "$out" timeout -k 3 60 curl -s -o /dev/null \
			-w '%{size_download} %{time_total} %{http_code}\n' "http://$ADDR:${PORT[$s]}/big.bin"
		t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
		read -r size secs code <"$out"
		if [ "${code:-0}" != 200 ] || [ "${size:-0}" != "$BIG_BYTES" ]; then
			log "  $s large round $r: status ${code:-none}, ${size:-0} bytes: $(tr '\n' ' ' <"$out.err" | cut -c1-200)"
			record large "$s" "$r" NA NA NA 1
			continue
		fi
		record large "$s" "$r" \
			"$(awk -v b="$size" -v t="$secs" 'BEGIN { printf "%.1f", b / t / 1e6 }')" \
			"$(cpu_s "$u0" "$u1")" \
			"$( [ "$c0" = NA ] && echo NA || awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * c / t }')" 0
	done
}

small_run() { # server round: one wrk run
	local s=$1 r=$2 u0 u1 c0 c1 t0 t1 out rps errs non2xx
	if ! alive "$s"; then record small "$s" "$r" NA NA NA 1; return; fi
	out=$WORK/log/wrk.out
	u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
	run_client "$out" timeout -k 5 $((WRK_SECONDS + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" \
		-d"${WRK_SECONDS}s" "http://$ADDR:${PORT[$s]}/small.bin"
	t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	errs=$((${errs:-0} + ${non2xx:-0}))
	if [ -z "$rps" ]; then
		log "  $s small round $r: wrk printed no rate: $(tr '\n' ' ' <"$out.err" | cut -c1-200)"
		record small "$s" "$r" NA NA NA 1
		return
	fi
	[ "$errs" != 0 ] && log "  $s small round $r: $errs errors or non-2xx answers"
	record small "$s" "$r" "$(awk -v x="$rps" 'BEGIN { printf "%.0f", x }')" "$(cpu_s "$u0" "$u1")" \
		"$( [ "$c0" = NA ] && echo NA || awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * c / t }')" "$errs"
}

# ---- run ------------------------------------------------------------------------------------
for s in "${active[@]}"; do
	VERSION[$s]=$(server_version "$s")
	start_server "$s" || SKIPNOTE[$s]="failed to start (see log above)"
done
running=()
for s in "${active[@]}"; do alive "$s" && running+=("$s"); done
[ "${#running[@]}" -gt 0 ] || die "no server started"
for s in "${running[@]}"; do preflight "$s"; done

rotate() { # the running servers starting at index $1 (servers take turns going first)
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
	for s in $order; do
		log "round $r/$ROUNDS: $s, $LARGE_REPS x ${SIZE_MB} MiB (curl)"
		large_run "$s" "$r"
	done
	for s in $order; do
		log "round $r/$ROUNDS: $s, $SMALL_BYTES-byte file, wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s"
		small_run "$s" "$r"
	done
	ROUNDS_DONE=$r
done
ELAPSED_S=$((($(now_us) - START_US) / 1000000))
log "measurements done in ${ELAPSED_S}s; rounds completed: $ROUNDS_DONE"

# ---- report ---------------------------------------------------------------------------------
# stats KIND SERVER COLUMN -> "median min max n" (NA if no value)
stats() {
	awk -F'\t' -v k="$1" -v s="$2" -v c="$3" '
	$1 == k && $2 == s && $c != "NA" { v[n++] = $c + 0 }
	END {
		for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		if (n == 0) { print "NA NA NA 0"; exit }
		med = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf "%s %s %s %d\n", med, v[0], v[n - 1], n
	}' "$TSV"
}
total() { # KIND SERVER COLUMN -> sum, and the number of records
	awk -F'\t' -v k="$1" -v s="$2" -v c="$3" '$1 == k && $2 == s { n++; if ($c != "NA") t += $c } END { print t + 0, n + 0 }' "$TSV"
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

declare -A MED=()
CHECKS=()

table() { # KIND UNIT DECIMALS
	local kind=$1 unit=$2 dec=$3 s st cpu cli e ref
	echo "| server | $unit | server CPU s per run | client CPU % of wall | errors | ratio to nginx | CPU ratio to nginx |"
	echo "|---|---|---|---|---|---|---|"
	for s in "${running[@]}"; do
		st=($(stats "$kind" "$s" 4)); cpu=($(stats "$kind" "$s" 5))
		MED[$kind-$s]=${st[0]}
		MED[$kind-cpu-$s]=${cpu[0]}
	done
	for s in "${running[@]}"; do
		st=($(stats "$kind" "$s" 4)); cpu=($(stats "$kind" "$s" 5)); cli=($(stats "$kind" "$s" 6))
		e=($(total "$kind" "$s" 7))
		echo "| $s | $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}" "$dec") | $(fmt_range "${cpu[0]}" "${cpu[1]}" "${cpu[2]}" 3) | $(fmt_range "${cli[0]}" "${cli[1]}" "${cli[2]}" 0) | ${e[0]}/${e[1]} | $(ratio "${st[0]}" "${MED[$kind-nginx]:-NA}") | $(ratio "${cpu[0]}" "${MED[$kind-cpu-nginx]:-NA}") |"
	done
}

report() {
	echo "## HTTP benchmark: bootwire vs nginx"
	echo
	echo "Rounds: $ROUNDS_DONE of $ROUNDS (interleaved, servers take turns going first); figures are"
	echo "median (min-max); MB = 10^6 bytes. Server and client share one network namespace; traffic"
	echo "goes to $ADDR (a veth address inside it), so it takes the loopback path. Server on CPU"
	echo "$SERVER_CPU, client on CPU $CLIENT_CPU (taskset). Server CPU is usage_usec of the server's"
	echo "cgroup v2 over each run. bootwire runs with log level warn and nginx with access_log off"
	echo "(neither writes a line per request). nginx-128k is nginx with sendfile_max_chunk 128k:"
	echo "libmicrohttpd 0.9.75 sends a file in 128 KiB sendfile() calls (a constant, 2 MiB only with"
	echo "a thread per connection), nginx in 2 MiB ones. Ratios are to plain nginx."
	echo "Load average (1/5/15 min) before the run: $LOAD_START."
	for s in "${!SKIPNOTE[@]}"; do echo "Not measured: $s: ${SKIPNOTE[$s]}."; done
	echo
	echo "| server | version | 64 MiB sha256 | 4 KiB sha256 | bytes=0-99 status |"
	echo "|---|---|---|---|---|"
	for s in "${running[@]}"; do echo "${PREFLIGHT_RES[$s]}"; done
	echo
	echo "### One ${SIZE_MB} MiB download (curl to /dev/null, $LARGE_REPS per round)"
	echo
	table large "MB/s" 0
	echo
	echo "### ${SMALL_BYTES}-byte file, wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s (keep-alive)"
	echo
	table small "requests/s" 0
	echo
	[ -z "$CGROOT" ] && echo "(no cgroup v2: CPU not measured)" && echo
	if [[ " ${running[*]} " == *" bootwire "* && " ${running[*]} " == *" nginx "* ]]; then
		local b n want st
		b=${MED[large-bootwire]} n=${MED[large-nginx]} want=$(mul "${MED[large-nginx]}" 0.9)
		ge "$b" "$want" && st=PASS || st=FAIL
		CHECKS+=("- [$st] ${SIZE_MB} MiB: bootwire $(fmt_range "$b" "$b" "$b" 0) MB/s >= 0.9 x nginx $(fmt_range "$n" "$n" "$n" 0) = $(fmt_range "$want" "$want" "$want" 0) MB/s ($(ratio "$b" "$n")x)")
		b=${MED[small-bootwire]} n=${MED[small-nginx]} want=$(mul "${MED[small-nginx]}" 0.5)
		ge "$b" "$want" && st=PASS || st=FAIL
		CHECKS+=("- [$st] ${SMALL_BYTES} B: bootwire $(fmt_range "$b" "$b" "$b" 0) req/s >= 0.5 x nginx $(fmt_range "$n" "$n" "$n" 0) = $(fmt_range "$want" "$want" "$want" 0) req/s ($(ratio "$b" "$n")x)")
		local e
		e=($(total large bootwire 7)); local e2=($(total small bootwire 7))
		[ "${e[0]}" = 0 ] && [ "${e2[0]}" = 0 ] && st=PASS || st=FAIL
		CHECKS+=("- [$st] bootwire errors: ${e[0]} failed downloads, ${e2[0]} wrk errors or non-2xx (want 0)")
	else
		CHECKS+=("- [SKIP] bootwire and nginx must both run for the target checks")
	fi
	echo "### Target checks"
	echo
	printf '%s\n' "${CHECKS[@]}"
	echo
	echo "Elapsed: ${ELAPSED_S}s."
}

[ -n "$RAW_TSV" ] && { printf 'kind\tserver\tround\tvalue\tserver_cpu_s\tclient_cpu_pct\terrors\n'; cat "$TSV"; } >"$RAW_TSV"
REPORT=$(report)
echo "$REPORT"

if [ "$WRITE_RESULTS" = 1 ]; then
	knobs="ROUNDS=$ROUNDS LARGE_REPS=$LARGE_REPS SIZE_MB=$SIZE_MB SMALL_BYTES=$SMALL_BYTES WRK_THREADS=$WRK_THREADS WRK_CONNS=$WRK_CONNS WRK_SECONDS=$WRK_SECONDS"
	SECTION=$WORK/section.md
	{
		echo "## HTTP"
		echo
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs," \
			"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
			"$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
		echo "- How run: \`$knobs bash bench/http.sh --write-results\` (as root; see bench/README.md)"
		echo "- Peer: nginx ${VERSION[nginx]:-n/a}; clients curl $(curl --version | head -1 | awk '{print $2}'), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')"
		echo
		# The report's own title becomes the section heading above; its subsections stay ###.
		echo "$REPORT" | tail -n +3
	} >"$SECTION"
	# Replace an existing "## HTTP" section (up to the next "# " or "## " heading), else append.
	if [ -f "$RESULTS_FILE" ]; then
		awk -v sec="$SECTION" '
			function emit() { while ((getline l < sec) > 0) print l; close(sec); done = 1 }
			/^## HTTP/ { skip = 1; if (!done) emit(); next }
			skip && /^##? / { skip = 0; print "" }
			!skip { print }
			END { if (!done) { if (NR > 0) print ""; emit() } }' "$RESULTS_FILE" >"$WORK/results.new" &&
			cat "$WORK/results.new" >"$RESULTS_FILE"
	else
		cp "$SECTION" "$RESULTS_FILE"
	fi
	log "wrote the HTTP section of $RESULTS_FILE"
fi
