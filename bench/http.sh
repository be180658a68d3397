#!/usr/bin/env bash
# HTTP benchmark: bootwire's HTTP service against nginx, side by side in one run: one 64 MiB
# download with curl, 64 MiB files with wrk (keep-alive, MB/s) and 4 KiB requests with wrk
# (requests/s), with the server's CPU per byte or per request; server on CPU 1, client on
# CPU 0. See bench/README.md. Needs root (network namespace, cgroup v2, taskset).
# Tables go to stdout, progress to stderr.
#
#   bash bench/http.sh [--write-results]
#   ROUNDS=1 WRK_SECONDS=5 bash bench/http.sh        # quick run
#   BOOTWIRE_BASE=/path/to/older/bootwire bash bench/http.sh   # before/after in one run
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")

WRITE_RESULTS=0
for a in "$@"; do
	case $a in
	--write-results) WRITE_RESULTS=1 ;;
	-h | --help)
		sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
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
WRK_LARGE_CONNS=${WRK_LARGE_CONNS:-4} # wrk on the large file: connections (-t2, WRK_SECONDS)
BOOTWIRE_BASE=${BOOTWIRE_BASE:-}    # an older bootwire binary, measured as bootwire-base
SERVERS=${SERVERS:-"bootwire${BOOTWIRE_BASE:+ bootwire-base} nginx nginx-128k"} # nginx-128k: sendfile_max_chunk 128k, as MHD
SERVER_CPU=${SERVER_CPU:-1}         # BENCH-NOTES: server on CPU 1, client on CPU 0; "all": unpinned
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

for v in ROUNDS LARGE_REPS SIZE_MB SMALL_BYTES WRK_THREADS WRK_CONNS WRK_SECONDS WRK_LARGE_CONNS DEADLINE_MIN; do
	isnum "${!v}" || die "$v must be a number"
done
for v in SERVER_CPU CLIENT_CPU; do
	isnum "${!v}" || [ "${!v}" = all ] || die "$v must be a CPU number or all"
done
# pin CPU: the taskset prefix for a CPU knob ("all": none)
pin() { [ "$1" = all ] || echo "taskset -c $1"; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, cgroups, taskset)"
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; server and client share one"
for t in ip nsenter taskset timeout curl wrk sha256sum awk ss; do
	command -v "$t" >/dev/null || die "missing tool $t (run make deps)"
done

START_US=$(now_us)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A PORT=([bootwire]=8080 [nginx]=8081 [nginx-128k]=8082 [bootwire-base]=8083)
declare -A PID=() VERSION=() SKIPNOTE=() PREFLIGHT_RES=()

active=()
for s in $SERVERS; do
	case $s in
	bootwire) [ -x "$BOOTWIRE" ] || { SKIPNOTE[$s]="not built ($BOOTWIRE missing)"; continue; } ;;
	bootwire-base) [ -n "$BOOTWIRE_BASE" ] && [ -x "$BOOTWIRE_BASE" ] || { SKIPNOTE[$s]="BOOTWIRE_BASE not set or not executable"; continue; } ;;
	nginx | nginx-128k) [ -x "$NGINX" ] || { SKIPNOTE[$s]="$NGINX not installed"; continue; } ;;
	*) die "unknown server $s (bootwire, bootwire-base, nginx, nginx-128k)" ;;
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
# Runs a client command in the namespace, on CLIENT_CPU, in the client cgroup, in the
# background (so that a signal to the script is handled at once); output to $1.
run_client() {
	local out=$1
	shift
	if [ -n "$CGROOT" ]; then
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT/client" \
			"${IN_NS[@]}" $(pin "$CLIENT_CPU") "$@" >"$out" 2>"$out.err" &
	else
		"${IN_NS[@]}" $(pin "$CLIENT_CPU") "$@" >"$out" 2>"$out.err" &
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
	local s=$1 p=${PORT[$1]} bin=$BOOTWIRE
	case $s in
	bootwire | bootwire-base)
		# log level warn: no line per request (nginx runs with access_log off). HTTP
		# threads: one per CPU the server may use (one with SERVER_CPU pinned, like nginx)
		[ "$s" = bootwire-base ] && bin=$BOOTWIRE_BASE
		cat >"$WORK/$s.yaml" <<-EOF
			boot_root: $WORK/root
			log: { level: warn }
			tftp: { enabled: false }
			http: { enabled: true, listen: $ADDR, port: $p, max_per_client: 1024 }
		EOF
		CMD=("$bin" serve -c "$WORK/$s.yaml" --allow-root) ;;
	nginx | nginx-128k)
		# one process (no master) and one worker's event loop when pinned, a master and a
		# worker per CPU with SERVER_CPU=all; sendfile, no access log; nginx-128k sends
		# files in the 128 KiB pieces libmicrohttpd uses (nginx: 2 MiB)
		local d=$WORK/$s chunk=2m master=off workers=1
		[ "$s" = nginx-128k ] && chunk=128k
		[ "$SERVER_CPU" = all ] && master=on workers=auto
		mkdir -p "$d"
		cat >"$d/nginx.conf" <<-EOF
			daemon off;
			master_process $master;
			worker_processes $workers;
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
	bootwire-base) echo "$("$BOOTWIRE_BASE" version 2>/dev/null | head -1 | awk '{print $NF}') (${BOOTWIRE_BASE_DESC:-$BOOTWIRE_BASE})" ;;
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
			$(pin "$SERVER_CPU") "${CMD[@]}" >"$WORK/log/$s.log" 2>&1 &
	else
		"${IN_NS[@]}" $(pin "$SERVER_CPU") "${CMD[@]}" >"$WORK/log/$s.log" 2>&1 &
	fi
	PID[$s]=$!
	for i in $(seq 1 100); do
		if "${IN_NS[@]}" ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			[ "$SERVER_CPU" = all ] || taskset -a -p -c "$SERVER_CPU" "${PID[$s]}" >/dev/null 2>&1 # every thread, in case
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

# TSV: kind server round value srv_cpu srv_cores cli_cpu errors, where srv_cpu and cli_cpu are
# CPU seconds per GB (large, wrk-large) or CPU microseconds per request (small)
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TSV"; }
# per_gb CPU_USEC_0 CPU_USEC_1 BYTES -> CPU seconds per 10^9 bytes (NA without cgroups)
per_gb() {
	[ "$1" = NA ] || [ "$2" = NA ] && { echo NA; return; }
	awk -v u=$(($2 - $1)) -v b="$3" 'BEGIN { printf "%.3f", (b > 0 ? u / 1e6 / (b / 1e9) : 0) }'
}
# per_req CPU_USEC_0 CPU_USEC_1 REQUESTS -> CPU microseconds per request
per_req() {
	[ "$1" = NA ] || [ "$2" = NA ] && { echo NA; return; }
	awk -v u=$(($2 - $1)) -v n="$3" 'BEGIN { printf "%.1f", (n > 0 ? u / n : 0) }'
}
# cores CPU_USEC_0 CPU_USEC_1 T0_US T1_US -> CPU time over wall time
cores() {
	[ "$1" = NA ] || [ "$2" = NA ] && { echo NA; return; }
	awk -v u=$(($2 - $1)) -v t=$(($4 - $3)) 'BEGIN { printf "%.2f", (t > 0 ? u / t : 0) }'
}

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
		if ! alive "$s"; then record large "$s" "$r" NA NA NA NA 1; continue; fi
		out=$WORK/log/large.out
		u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
		run_client "$out" timeout -k 3 60 curl -s -o /dev/null \
			-w '%{size_download} %{time_total} %{http_code}\n' "http://$ADDR:${PORT[$s]}/big.bin"
		t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
		read -r size secs code <"$out"
		if [ "${code:-0}" != 200 ] || [ "${size:-0}" != "$BIG_BYTES" ]; then
			log "  $s large round $r: status ${code:-none}, ${size:-0} bytes: $(tr '\n' ' ' <"$out.err" | cut -c1-200)"
			record large "$s" "$r" NA NA NA NA 1
			continue
		fi
		record large "$s" "$r" \
			"$(awk -v b="$size" -v t="$secs" 'BEGIN { printf "%.1f", b / t / 1e6 }')" \
			"$(per_gb "$u0" "$u1" "$size")" "$(cores "$u0" "$u1" "$t0" "$t1")" \
			"$(per_gb "$c0" "$c1" "$size")" 0
	done
}

# wrk_bytes FILE -> the bytes wrk read ("123 requests in 10.01s, 7.70GB read")
wrk_bytes() {
	awk '/requests in .* read/ {
		v = $(NF - 1); u = v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v)
		m = (u == "KB") ? 2^10 : (u == "MB") ? 2^20 : (u == "GB") ? 2^30 : (u == "TB") ? 2^40 : 1
		printf "%.0f", v * m }' "$1"
}
wrk_secs() { awk '/requests in/ { for (i = 1; i <= NF; i++) if ($i == "in") { v = $(i + 1); sub(/s,$/, "", v); print v } }' "$1"; }
wrk_reqs() { awk '/requests in/ { print $1 }' "$1"; }
wrk_errors() { # socket errors and non-2xx answers
	local non2xx errs
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$1")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$1")
	echo $((${errs:-0} + ${non2xx:-0}))
}

large_wrk_run() { # server round: wrk on the large file, keep-alive
	local s=$1 r=$2 u0 u1 c0 c1 t0 t1 out bytes secs errs
	if ! alive "$s"; then record wrk-large "$s" "$r" NA NA NA NA 1; return; fi
	out=$WORK/log/wrk-large.out
	u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
	run_client "$out" timeout -k 5 $((WRK_SECONDS + 60)) wrk -t2 -c"$WRK_LARGE_CONNS" \
		-d"${WRK_SECONDS}s" --timeout 30s "http://$ADDR:${PORT[$s]}/big.bin"
	t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
	bytes=$(wrk_bytes "$out"); secs=$(wrk_secs "$out"); errs=$(wrk_errors "$out")
	if [ -z "$bytes" ] || [ -z "$secs" ]; then
		log "  $s wrk-large round $r: wrk printed no total: $(tr '\n' ' ' <"$out.err" | cut -c1-200)"
		record wrk-large "$s" "$r" NA NA NA NA 1
		return
	fi
	[ "$errs" != 0 ] && log "  $s wrk-large round $r: $errs errors or non-2xx answers"
	record wrk-large "$s" "$r" "$(awk -v b="$bytes" -v t="$secs" 'BEGIN { printf "%.1f", b / t / 1e6 }')" \
		"$(per_gb "$u0" "$u1" "$bytes")" "$(cores "$u0" "$u1" "$t0" "$t1")" \
		"$(per_gb "$c0" "$c1" "$bytes")" "$errs"
}

small_run() { # server round: one wrk run
	local s=$1 r=$2 u0 u1 c0 c1 t0 t1 out rps reqs errs
	if ! alive "$s"; then record small "$s" "$r" NA NA NA NA 1; return; fi
	out=$WORK/log/wrk.out
	u0=$(cpu_usec "srv-$s"); c0=$(cpu_usec client); t0=$(now_us)
	run_client "$out" timeout -k 5 $((WRK_SECONDS + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" \
		-d"${WRK_SECONDS}s" "http://$ADDR:${PORT[$s]}/small.bin"
	t1=$(now_us); u1=$(cpu_usec "srv-$s"); c1=$(cpu_usec client)
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	reqs=$(wrk_reqs "$out"); errs=$(wrk_errors "$out")
	if [ -z "$rps" ] || [ -z "$reqs" ]; then
		log "  $s small round $r: wrk printed no rate: $(tr '\n' ' ' <"$out.err" | cut -c1-200)"
		record small "$s" "$r" NA NA NA NA 1
		return
	fi
	[ "$errs" != 0 ] && log "  $s small round $r: $errs errors or non-2xx answers"
	record small "$s" "$r" "$(awk -v x="$rps" 'BEGIN { printf "%.0f", x }')" \
		"$(per_req "$u0" "$u1" "$reqs")" "$(cores "$u0" "$u1" "$t0" "$t1")" \
		"$(per_req "$c0" "$c1" "$reqs")" "$errs"
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
		log "round $r/$ROUNDS: $s, ${SIZE_MB} MiB file, wrk -t2 -c$WRK_LARGE_CONNS -d${WRK_SECONDS}s"
		large_wrk_run "$s" "$r"
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
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "NA" && b != "NA" && a != "n/a" && b != "n/a" && a + 0 >= b + 0) }'; }
mul() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA") print "NA"; else printf "%.1f", a * b }'; }

declare -A MED=()
CHECKS=()

table() { # KIND UNIT DECIMALS CPU-UNIT CPU-DECIMALS
	local kind=$1 unit=$2 dec=$3 cu=$4 cd=$5 s st cpu co cli e
	echo "| server | $unit | server CPU $cu | server cores | client CPU $cu | errors | ratio to nginx | server CPU ratio to nginx |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in "${running[@]}"; do
		st=($(stats "$kind" "$s" 4)); cpu=($(stats "$kind" "$s" 5))
		MED[$kind-$s]=${st[0]}
		MED[$kind-cpu-$s]=${cpu[0]}
	done
	for s in "${running[@]}"; do
		st=($(stats "$kind" "$s" 4)); cpu=($(stats "$kind" "$s" 5)); co=($(stats "$kind" "$s" 6))
		cli=($(stats "$kind" "$s" 7)); e=($(total "$kind" "$s" 8))
		echo "| $s | $(fmt_range "${st[0]}" "${st[1]}" "${st[2]}" "$dec") | $(fmt_range "${cpu[0]}" "${cpu[1]}" "${cpu[2]}" "$cd") | $(fmt_range "${co[0]}" "${co[1]}" "${co[2]}" 2) | $(fmt_range "${cli[0]}" "${cli[1]}" "${cli[2]}" "$cd") | ${e[0]}/${e[1]} | $(ratio "${st[0]}" "${MED[$kind-nginx]:-NA}") | $(ratio "${cpu[0]}" "${MED[$kind-cpu-nginx]:-NA}") |"
	done
}

# check LABEL KIND SERVER MIN-RATE-RATIO [MAX-CPU-RATIO]: a PASS/FAIL line against nginx
check() {
	local label=$1 kind=$2 s=$3 want=$4 cmax=${5:-} b n bc nc rr cr st=PASS
	b=${MED[$kind-$s]:-NA} n=${MED[$kind-nginx]:-NA}
	bc=${MED[$kind-cpu-$s]:-NA} nc=${MED[$kind-cpu-nginx]:-NA}
	rr=$(ratio "$b" "$n") cr=$(ratio "$bc" "$nc")
	ge "$rr" "$want" || st=FAIL
	local line="$label: $s $(fmt_range "$b" "$b" "$b" 0) vs nginx $(fmt_range "$n" "$n" "$n" 0) = ${rr}x (want >= ${want}x)"
	if [ -n "$cmax" ]; then
		ge "$cmax" "$cr" || st=FAIL
		line+="; server CPU per byte ${cr}x nginx's (want <= ${cmax}x)"
	fi
	CHECKS+=("- [$st] $line")
}

report() {
	local pinned="Server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU (taskset)"
	[ "$SERVER_CPU" = all ] && pinned="Server on every CPU (bootwire one HTTP thread per CPU, nginx a worker per CPU), client on CPU $CLIENT_CPU"
	echo "## HTTP benchmark: bootwire vs nginx"
	echo
	echo "Rounds: $ROUNDS_DONE of $ROUNDS (interleaved, servers take turns going first); figures are"
	echo "median (min-max); MB = 10^6 bytes, GB = 10^9. Server and client share one network"
	echo "namespace; traffic goes to $ADDR (a veth address inside it), so it takes the loopback"
	echo "path. $pinned."
	echo "CPU is usage_usec of the server's and the client's cgroup v2 over each run, per GB"
	echo "sent or per request; server cores is the server's CPU time over the run's wall time."
	echo "bootwire runs with log level warn and nginx with access_log off (neither"
	echo "writes a line per request). nginx-128k is nginx with sendfile_max_chunk 128k:"
	echo "libmicrohttpd 0.9.75 sends a file in 128 KiB sendfile() calls (a constant), nginx in"
	echo "2 MiB ones. bootwire-base is the binary before the change under test. Ratios are to plain"
	echo "nginx. On loopback the receiver's TCP work is charged to whichever side triggers it:"
	echo "read server and client CPU together (bench/README.md)."
	echo "Load average (1/5/15 min) before the run: $LOAD_START."
	for s in "${!SKIPNOTE[@]}"; do echo "Not measured: $s: ${SKIPNOTE[$s]}."; done
	echo
	echo "| server | version | 64 MiB sha256 | 4 KiB sha256 | bytes=0-99 status |"
	echo "|---|---|---|---|---|"
	for s in "${running[@]}"; do echo "${PREFLIGHT_RES[$s]}"; done
	echo
	echo "### One ${SIZE_MB} MiB download (curl to /dev/null, $LARGE_REPS per round)"
	echo
	table large "MB/s" 0 "s/GB" 3
	echo
	echo "### ${SIZE_MB} MiB file, wrk -t2 -c$WRK_LARGE_CONNS -d${WRK_SECONDS}s (keep-alive)"
	echo
	table wrk-large "MB/s" 0 "s/GB" 3
	echo
	echo "### ${SMALL_BYTES}-byte file, wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s (keep-alive)"
	echo
	table small "requests/s" 0 "us/request" 1
	echo
	[ -z "$CGROOT" ] && echo "(no cgroup v2: CPU not measured)" && echo
	if [[ " ${running[*]} " == *" nginx "* ]]; then
		local s e e2 e3 st
		for s in bootwire bootwire-base; do
			[[ " ${running[*]} " == *" $s "* ]] || continue
			check "${SIZE_MB} MiB, curl" large "$s" 1.0 1.5
			check "${SIZE_MB} MiB, wrk -c$WRK_LARGE_CONNS" wrk-large "$s" 1.0 1.5
			check "${SMALL_BYTES} B, wrk -c$WRK_CONNS" small "$s" 0.8
			e=($(total large "$s" 8)); e2=($(total wrk-large "$s" 8)); e3=($(total small "$s" 8))
			[ "${e[0]}" = 0 ] && [ "${e2[0]}" = 0 ] && [ "${e3[0]}" = 0 ] && st=PASS || st=FAIL
			CHECKS+=("- [$st] $s errors: ${e[0]} failed downloads, ${e2[0]} + ${e3[0]} wrk errors or non-2xx (want 0)")
		done
	fi
	[ "${#CHECKS[@]}" -gt 0 ] || CHECKS+=("- [SKIP] bootwire and nginx must both run for the target checks")
	echo "### Target checks"
	echo
	printf '%s\n' "${CHECKS[@]}"
	echo
	echo "Elapsed: ${ELAPSED_S}s."
}

[ -n "$RAW_TSV" ] && { printf 'kind\tserver\tround\tvalue\tserver_cpu\tserver_cores\tclient_cpu\terrors\n'; cat "$TSV"; } >"$RAW_TSV"
REPORT=$(report)
echo "$REPORT"

if [ "$WRITE_RESULTS" = 1 ]; then
	knobs="ROUNDS=$ROUNDS LARGE_REPS=$LARGE_REPS SIZE_MB=$SIZE_MB SMALL_BYTES=$SMALL_BYTES WRK_THREADS=$WRK_THREADS WRK_CONNS=$WRK_CONNS WRK_SECONDS=$WRK_SECONDS WRK_LARGE_CONNS=$WRK_LARGE_CONNS SERVER_CPU=$SERVER_CPU CLIENT_CPU=$CLIENT_CPU${BOOTWIRE_BASE:+ BOOTWIRE_BASE=PATH}"
	title="## HTTP"
	[ "$SERVER_CPU" = all ] && title="## HTTP, server on every CPU"
	SECTION=$WORK/section.md
	{
		echo "$title"
		echo
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs," \
			"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
			"$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
		echo "- How run: \`$knobs bash bench/http.sh --write-results\` (as root; see bench/README.md)"
		[ -n "$BOOTWIRE_BASE" ] && echo "- Before/after: bootwire-base is ${BOOTWIRE_BASE_DESC:-$BOOTWIRE_BASE}, bootwire the build under test"
		echo "- Peer: nginx ${VERSION[nginx]:-n/a}; clients curl $(curl --version | head -1 | awk '{print $2}'), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')"
		echo
		# The report's own title becomes the section heading above; its subsections stay ###.
		echo "$REPORT" | tail -n +3
	} >"$SECTION"
	# Replace an existing section of this title (up to the next "# " or "## " heading), else
	# append.
	if [ -f "$RESULTS_FILE" ]; then
		awk -v sec="$SECTION" -v title="$title" '
			function emit() { while ((getline l < sec) > 0) print l; close(sec); done = 1 }
			$0 == title { skip = 1; if (!done) emit(); next }
			skip && /^##? / { skip = 0; print "" }
			!skip { print }
			END { if (!done) { if (NR > 0) print ""; emit() } }' "$RESULTS_FILE" >"$WORK/results.new" &&
			cat "$WORK/results.new" >"$RESULTS_FILE"
	else
		cp "$SECTION" "$RESULTS_FILE"
	fi
	log "wrote the \"$title\" section of $RESULTS_FILE"
fi
