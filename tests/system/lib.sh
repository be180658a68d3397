# shellcheck shell=bash
# Shared helpers for tests/system/*.sh. Source after `set -euo pipefail`.
#
# Environment:
#   BOOTWIRE      the daemon (default: build/bootwire under the repository root)
#   BW_TOOLS_DIR  tftp_get, tftp_flood, impair_relay (default: build/tests/tools)
#   BW_SERVER     bootwire (default); tftpd-hpa or atftpd to check the harness against a peer
#                 server: checks the peer cannot pass are skipped and say so
#   BW_KEEP=1     keep the temporary directory (logs, files) for inspection
#
# Conventions: every check prints one line ("ok   ..." or "FAIL ..."); bw_summary prints the
# final PASS/FAIL line and sets the exit status; 77 means skipped (CTest SKIP_RETURN_CODE).
# Processes are started with bw_spawn and stopped by PID; the EXIT trap stops whatever is
# left and deletes namespaces and temporary directories.

BW_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BOOTWIRE=${BOOTWIRE:-$BW_REPO_ROOT/build/bootwire}
BW_TOOLS_DIR=${BW_TOOLS_DIR:-$BW_REPO_ROOT/build/tests/tools}
BW_SERVER=${BW_SERVER:-bootwire}
BW_SKIP=77
BW_NAME=$(basename "$0" .sh)
BW_T0=$SECONDS
BW_CHECKS=0
BW_FAILED=0
BW_FAILED_LIST=()
BW_SKIPPED=0
BW_PIDS=()
BW_TMPDIRS=()
BW_NETNS_LIST=()
BW_LAST_PID=
BW_RUN_PID=
# Namespace to run servers and clients in (empty: the current one).
BW_SRV_NS=
BW_CLI_NS=

ATFTPD=${ATFTPD:-/opt/bootwire-peers/atftpd/usr/sbin/atftpd}
TFTPD_HPA=${TFTPD_HPA:-/usr/sbin/in.tftpd}

# ---------------------------------------------------------------------------------------
# Output and results

bw_say()
{
	printf '[%s %3ds] %s\n' "$BW_NAME" $((SECONDS - BW_T0)) "$*"
}

bw_pass()
{
	BW_CHECKS=$((BW_CHECKS + 1))
	printf 'ok   %s\n' "$1"
}

# bw_fail DESCRIPTION [DETAIL...]: records a failed check; details go on indented lines.
bw_fail()
{
	local desc=$1
	shift
	BW_CHECKS=$((BW_CHECKS + 1))
	BW_FAILED=$((BW_FAILED + 1))
	BW_FAILED_LIST+=("$desc")
	printf 'FAIL %s\n' "$desc"
	local line
	for line in "$@"; do
		printf '       %s\n' "$line"
	done
}

# bw_skip_check DESCRIPTION REASON: a check this server cannot run.
bw_skip_check()
{
	BW_SKIPPED=$((BW_SKIPPED + 1))
	printf 'skip %s (%s)\n' "$1" "$2"
}

# bw_skip REASON: skip the whole test.
bw_skip()
{
	printf 'SKIP: %s: %s\n' "$BW_NAME" "$1"
	exit "$BW_SKIP"
}

# Prints the final line and exits: 0 when every check passed.
bw_summary()
{
	local secs=$((SECONDS - BW_T0))
	if [[ -s ${BW_WORK:-/nonexistent}/jq-errors.log ]]; then
		bw_fail "some log checks could not run (a jq filter failed)" "$(head -n 5 "$BW_WORK/jq-errors.log")"
		: >"$BW_WORK/jq-errors.log"
	fi
	if ((BW_CHECKS == 0)); then
		printf 'FAIL: %s: no checks ran (%ds)\n' "$BW_NAME" "$secs"
		exit 1
	fi
	if ((BW_FAILED == 0)); then
		printf 'PASS: %s: %d checks passed, %d skipped, server %s, %ds\n' \
			"$BW_NAME" "$BW_CHECKS" "$BW_SKIPPED" "$BW_SERVER" "$secs"
		exit 0
	fi
	printf 'FAIL: %s: %d of %d checks failed, server %s, %ds:\n' \
		"$BW_NAME" "$BW_FAILED" "$BW_CHECKS" "$BW_SERVER" "$secs"
	local d
	for d in "${BW_FAILED_LIST[@]}"; do
		printf '  - %s\n' "$d"
	done
	exit 1
}

# Prints the last lines of a log, indented, for a failure report; bootwire's JSON lines as
# text (bw_jlines' form).
bw_log_tail()
{
	local file=$1 n=${2:-15}
	[[ -f $file ]] || return 0
	printf '       --- last %d lines of %s ---\n' "$n" "$(basename "$file")"
	tail -n "$n" "$file" | bw_log_text | sed 's/^/       | /'
}

# bw_log_text: a log on standard input with each JSON line turned into text (bw_jlines' form),
# the other lines as they are.
bw_log_text()
{
	if command -v jq >/dev/null 2>&1; then
		jq -R -r "$BW_JQ_DEFS (fromjson? | objects | jtext) // ." 2>/dev/null || true
	else
		cat
	fi
}

# ---------------------------------------------------------------------------------------
# Prerequisites

bw_require_root()
{
	[[ $(id -u) -eq 0 ]] || bw_skip "needs root (network namespaces, nftables)"
}

bw_require_cmds()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || bw_skip "missing tool: $c"
	done
}

bw_tool()
{
	printf '%s/%s' "$BW_TOOLS_DIR" "$1"
}

bw_require_tools()
{
	local t
	for t in "$@"; do
		[[ -x $(bw_tool "$t") ]] ||
			bw_skip "missing test tool $(bw_tool "$t") (build tests/tools or set BW_TOOLS_DIR)"
	done
}

# Checks that the server under test exists.
bw_require_server()
{
	case $BW_SERVER in
	bootwire)
		[[ -x $BOOTWIRE ]] || bw_skip "bootwire binary not found: $BOOTWIRE (set BOOTWIRE)"
		;;
	tftpd-hpa) [[ -x $TFTPD_HPA ]] || bw_skip "missing $TFTPD_HPA" ;;
	atftpd) [[ -x $ATFTPD ]] || bw_skip "missing $ATFTPD" ;;
	*) bw_skip "unknown BW_SERVER=$BW_SERVER (bootwire, tftpd-hpa, atftpd)" ;;
	esac
}

# bw_server_has FEATURE: what the server under test can do. Peers lack bootwire's policy
# features (root-prefix: <root>/file names; upload-dirs: serve -c uploads; limits:
# --max-transfers*; tsize-0-omitted: no tsize 0 in OACKs); the harness skips those checks.
bw_server_has()
{
	local f=$1
	case $BW_SERVER in
	bootwire) return 0 ;;
	tftpd-hpa)
		case $f in
		blksize | netascii | rollover | tsize) return 0 ;;
		*) return 1 ;;
		esac
		;;
	atftpd)
		case $f in
		blksize | windowsize | netascii | rollover | tsize | flood) return 0 ;;
		*) return 1 ;;
		esac
		;;
	esac
	return 1
}

# ---------------------------------------------------------------------------------------
# Processes, temporary files, cleanup

# bw_make_work: creates the test's temporary directory BW_WORK (mode 0755 so servers that
# drop privileges can read it); the trap deletes it.
bw_make_work()
{
	BW_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bwt-$BW_NAME.XXXXXX")
	chmod 0755 "$BW_WORK"
	BW_TMPDIRS+=("$BW_WORK")
}

# Runs a command in namespace NS (empty: here).
bw_in_ns()
{
	local ns=$1
	shift
	if [[ -n $ns ]]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# bw_cli CMD...: runs a client command in the client namespace.
bw_cli()
{
	bw_in_ns "$BW_CLI_NS" "$@"
}

# bw_spawn NS LOG CMD...: starts CMD in the background with stdout+stderr to LOG; its PID
# goes to BW_LAST_PID and into the cleanup list. (ip netns exec execs, keeping the PID.)
bw_spawn()
{
	local ns=$1 log=$2
	shift 2
	if [[ -n $ns ]]; then
		ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	else
		"$@" >"$log" 2>&1 </dev/null &
	fi
	BW_LAST_PID=$!
	BW_PIDS+=("$BW_LAST_PID")
}

# True while PID runs (a zombie counts as gone).
bw_alive()
{
	local pid=$1 state
	[[ -n $pid ]] || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# bw_stop PID [SECONDS]: SIGTERM, wait (bounded), SIGKILL if needed. Sets BW_STOP_STATUS
# to the exit status (or "killed"/"gone"). Returns 0 if it ended on SIGTERM.
bw_stop()
{
	local pid=$1 secs=${2:-5} i
	BW_STOP_STATUS=gone
	[[ -n $pid ]] || return 0
	if bw_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < secs * 20; i++)); do
			bw_alive "$pid" || break
			sleep 0.05
		done
		if bw_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			BW_STOP_STATUS=killed
			return 1
		fi
	fi
	if wait "$pid" 2>/dev/null; then
		BW_STOP_STATUS=0
	else
		BW_STOP_STATUS=$?
	fi
	return 0
}

# bw_wait_pid PID SECONDS: waits for PID to end by itself; returns its status, or 124 after
# SECONDS (the process is then killed).
bw_wait_pid()
{
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		bw_alive "$pid" || break
		sleep 0.05
	done
	if bw_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return 124
	fi
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

bw_cleanup()
{
	local rc=$? pid ns d all=("${BW_PIDS[@]}")
	trap - EXIT INT TERM
	[[ -n ${BW_RUN_PID:-} ]] && all+=("$BW_RUN_PID")
	for pid in "${all[@]}"; do # one by one, by PID, each wait bounded
		bw_stop "$pid" 3 >/dev/null 2>&1 || true
	done
	for ns in "${BW_NETNS_LIST[@]}"; do
		ip netns delete "$ns" 2>/dev/null || true
	done
	for d in "${BW_TMPDIRS[@]}"; do
		if [[ ${BW_KEEP:-0} == 1 ]]; then
			echo "kept $d"
		else
			rm -rf -- "$d"
		fi
	done
	exit "$rc"
}

bw_setup_trap()
{
	trap bw_cleanup EXIT
	trap 'echo "interrupted"; exit 130' INT TERM
}

# ---------------------------------------------------------------------------------------
# Network namespaces. Only addresses inside namespaces the test creates are used.

# Re-runs the calling script inside a private network namespace (loopback only, plus a
# veth pair with a private address so tftpd-hpa, which refuses to run with loopback
# alone, can be used as a peer). Nothing leaks out; the namespace ends with the script.
bw_enter_private_netns()
{
	if [[ -z ${BW_IN_PRIVATE_NETNS:-} ]]; then
		export BW_IN_PRIVATE_NETNS=1
		exec unshare --net -- bash "$0" "$@"
	fi
	ip link set lo up
	if ip link add bwt0 type veth peer name bwt1 2>/dev/null; then
		ip addr add 10.99.254.1/24 dev bwt0
		ip link set bwt0 up
		ip link set bwt1 up
	fi
}

# bw_netns_pair SRV_NS CLI_NS N: two namespaces joined by a veth pair; server 10.99.N.1,
# client 10.99.N.2. Sets BW_SRV_NS, BW_CLI_NS, BW_SRV_ADDR, BW_CLI_ADDR.
bw_netns_pair()
{
	local srv=$1 cli=$2 n=$3
	local vs="bws$$" vc="bwc$$"
	vs=${vs:0:15}
	vc=${vc:0:15}
	ip netns add "$srv"
	BW_NETNS_LIST+=("$srv")
	ip netns add "$cli"
	BW_NETNS_LIST+=("$cli")
	ip link add "$vs" netns "$srv" type veth peer name "$vc" netns "$cli"
	ip -n "$srv" link set lo up
	ip -n "$cli" link set lo up
	ip -n "$srv" addr add "10.99.$n.1/24" dev "$vs"
	ip -n "$cli" addr add "10.99.$n.2/24" dev "$vc"
	ip -n "$srv" link set "$vs" up
	ip -n "$cli" link set "$vc" up
	BW_SRV_NS=$srv
	BW_CLI_NS=$cli
	# shellcheck disable=SC2034 # for the calling script
	BW_SRV_ADDR=10.99.$n.1
	# shellcheck disable=SC2034
	BW_CLI_ADDR=10.99.$n.2
	# shellcheck disable=SC2034
	BW_SRV_IF=$vs
	# shellcheck disable=SC2034
	BW_CLI_IF=$vc
	local i
	for ((i = 0; i < 50; i++)); do
		ip -n "$srv" link show dev "$vs" | grep -q LOWER_UP &&
			ip -n "$cli" link show dev "$vc" | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	echo "namespace link $vs <-> $vc did not come up" >&2
	return 1
}

# bw_bridge_ns NS ADDR/LEN [NTAPS]: namespace NS (the trap deletes it) with a bridge br0 that
# holds ADDR/LEN and forwards at once (no learning delay for the first packets; its IPv6
# link-local address usable at once: no DAD), and taps tap0..tapN-1 on it for VMs, all up.
# More hosts join it with dhcp_lib.sh's bw_bridge_host.
bw_bridge_ns()
{
	local ns=$1 addr=$2 n=${3:-0} i
	ip netns add "$ns"
	BW_NETNS_LIST+=("$ns")
	ip -n "$ns" link set lo up
	ip -n "$ns" link add br0 type bridge forward_delay 0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.br0.accept_dad=0 2>/dev/null || true
	ip -n "$ns" addr add "$addr" dev br0
	ip -n "$ns" link set br0 up
	for ((i = 0; i < n; i++)); do
		ip -n "$ns" tuntap add dev "tap$i" mode tap
		ip -n "$ns" link set "tap$i" master br0
		ip -n "$ns" link set "tap$i" up
	done
}

# ---------------------------------------------------------------------------------------
# Servers

# bw_port_bound NS PORT: true when something listens on UDP PORT in NS.
bw_port_bound()
{
	[[ -n $(bw_in_ns "$1" ss -Hlun "sport = :$2" 2>/dev/null) ]]
}

# bw_wait_ready PID LOG NS PORT [SECONDS]: bootwire: waits for "listening on" in LOG;
# peers: for the port to be bound. Fails early if the process dies.
bw_wait_ready()
{
	local pid=$1 log=$2 ns=$3 port=$4 secs=${5:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if ! bw_alive "$pid"; then
			echo "server exited before it was ready" >&2
			return 1
		fi
		if [[ $BW_SERVER == bootwire ]]; then
			grep -q 'listening on' "$log" 2>/dev/null && return 0
		else
			bw_port_bound "$ns" "$port" && return 0
		fi
		sleep 0.05
	done
	echo "server not ready after ${secs}s" >&2
	return 1
}

# bw_start_tftp ROOT ADDR PORT [bootwire tftp options...]: starts the server under test in
# BW_SRV_NS, waits until it is ready. Sets BW_SRV_PID and BW_SRV_LOG. For peers the options
# --timeout-ms, --retries and --blksize-max are translated and the rest are ignored.
bw_start_tftp()
{
	local root=$1 addr=$2 port=$3
	shift 3
	local cmd=() log
	log=$BW_WORK/server-$BW_SERVER-$port-$SECONDS.log
	case $BW_SERVER in
	bootwire)
		cmd=("$BOOTWIRE" tftp --root "$root" --listen "$addr" --port "$port" --allow-root
			--log-level debug "$@")
		;;
	tftpd-hpa)
		cmd=("$TFTPD_HPA" -L -s "$root" -a "$addr:$port" -u root)
		while (($#)); do
			case $1 in
			--timeout-ms) cmd+=(-T "$(($2 * 1000))"); shift ;;
			--blksize-max) cmd+=(-B "$2"); shift ;;
			--retries | --windowsize-max | --max-transfers | --max-transfers-per-client) shift ;;
			esac
			shift
		done
		;;
	atftpd)
		cmd=("$ATFTPD" --daemon --no-fork --port "$port" --bind-address "$addr"
			--logfile - --user root --group root)
		while (($#)); do
			case $1 in
			--timeout-ms) cmd+=(--retry-timeout "$((($2 + 999) / 1000))"); shift ;;
			--retries | --blksize-max | --windowsize-max | --max-transfers | --max-transfers-per-client) shift ;;
			esac
			shift
		done
		cmd+=("$root")
		;;
	esac
	bw_say "start $BW_SERVER on $addr:$port${BW_SRV_NS:+ (netns $BW_SRV_NS)}: ${cmd[*]}"
	bw_spawn "$BW_SRV_NS" "$log" "${cmd[@]}"
	BW_SRV_PID=$BW_LAST_PID
	BW_SRV_LOG=$log
	if ! bw_wait_ready "$BW_SRV_PID" "$log" "$BW_SRV_NS" "$port"; then
		bw_log_tail "$log" 30
		return 1
	fi
}

# bw_start_serve CONFIG PORT: bootwire serve -c CONFIG (bootwire only).
bw_start_serve()
{
	local conf=$1 port=$2 log
	log=$BW_WORK/server-serve-$port-$SECONDS.log
	bw_say "start bootwire serve -c $(basename "$conf")"
	bw_spawn "$BW_SRV_NS" "$log" "$BOOTWIRE" serve -c "$conf" --allow-root
	BW_SRV_PID=$BW_LAST_PID
	BW_SRV_LOG=$log
	if ! bw_wait_ready "$BW_SRV_PID" "$log" "$BW_SRV_NS" "$port"; then
		bw_log_tail "$log" 30
		return 1
	fi
}

# bw_stop_server: stops BW_SRV_PID and checks that it was still running and exits cleanly
# on SIGTERM.
bw_stop_server()
{
	local what="$BW_SERVER exits cleanly on SIGTERM"
	if ! bw_alive "$BW_SRV_PID"; then
		local rc=0
		wait "$BW_SRV_PID" 2>/dev/null || rc=$?
		bw_fail "$BW_SERVER still running at the end" "it had exited with status $rc" \
			"$(bw_log_tail "$BW_SRV_LOG" 20)"
		return 0
	fi
	if bw_stop "$BW_SRV_PID" 5 && [[ $BW_STOP_STATUS == 0 || $BW_SERVER != bootwire ]]; then
		bw_pass "$what"
	else
		bw_fail "$what" "exit status: $BW_STOP_STATUS (expected 0 within 5 s)" \
			"$(bw_log_tail "$BW_SRV_LOG" 10)"
	fi
}

# ---------------------------------------------------------------------------------------
# bootwire's JSON log (`log: {format: json}`, docs/config.md): one object per line with the
# keys ts, level, service, peer (when there is one), msg, and the line's own fields (file,
# bytes, xid, iface, client, method, path, status, ...). Checks select lines on those keys
# with jq instead of matching the padded text format. Lines that are not JSON (what a
# command prints before its log is set up) are skipped.
#
# A condition COND is a jq expression over one line; these are defined for it:
#   svc(S)   the line is service S's          of(P)   its peer is P (a MAC, an address:port)
#   says(RE) its msg matches the regex RE     msg_has(T)  its msg contains the text T
#   verdict(V)  its msg is V, or V and more after a space ("ACK 10.0.0.5" for
#            "ACK 10.0.0.5 boot x.efi")
# and the variables of BW_JQ_ARGS (an array of jq options: a script sets the values its
# conditions use often, e.g. BW_JQ_ARGS=(--arg sif "$SIF")) plus those of each call.

BW_JQ_ARGS=()
# shellcheck disable=SC2016 # jq's own $variables
BW_JQ_DEFS='def svc($s): .service == $s; def of($p): .peer == $p;
def says($re): (.msg // "") | test($re); def msg_has($t): (.msg // "") | contains($t);
def verdict($v): ((.msg // "") + " ") | startswith($v + " ");
def jtext: "\(.level) \(.service // "-") \(.peer // "-"): \(.msg)" + ([to_entries[] |
	select(.key | IN("ts", "level", "service", "peer", "msg") | not) | " \(.key)=\(.value)"] | join(""));'

# bw_jq LOG FILTER [JQ_OPTIONS...]: FILTER's output for each JSON line of LOG (- : standard
# input; strings bare, objects on one line); nothing when LOG is missing. The other bw_j*
# take LOG the same way. A filter jq cannot run (a mistake in a check, which would otherwise
# pass a negative check) is recorded, and bw_summary fails the test with it.
bw_jq()
{
	local log=$1 filter=$2 files=() rc=0 err
	shift 2
	if [[ $log != - ]]; then
		[[ -f $log ]] || return 0
		files=("$log")
	fi
	{ # jq's output goes on (fd 3), its errors into err
		err=$(jq -R -r -c "${BW_JQ_ARGS[@]}" "$@" "$BW_JQ_DEFS fromjson? // empty | $filter" \
			"${files[@]}" 2>&1 >&3) || rc=$?
	} 3>&1
	if ((rc != 0 && rc != 141)); then # (141: SIGPIPE, a reader such as head had enough)
		printf 'jq exit %s on %s: %s\n' "$rc" "$filter" "$err" >>"${BW_WORK:-/tmp}/jq-errors.log"
	fi
	return 0
}

# bw_jsel LOG COND [JQ_OPTIONS...]: the lines for which COND holds, as JSON.
bw_jsel()
{
	local log=$1 cond=$2
	shift 2
	bw_jq "$log" "select($cond)" "$@"
}

# bw_jlines LOG COND [JQ_OPTIONS...]: the same lines as text, for a report:
# "level service peer: msg key=value...".
bw_jlines()
{
	local log=$1 cond=$2
	shift 2
	bw_jq "$log" "select($cond) | jtext" "$@"
}

# bw_jhas LOG COND [JQ_OPTIONS...]: true when a line satisfies COND.
bw_jhas()
{
	(($(bw_jcount "$@") > 0))
}

# bw_jcount LOG COND [JQ_OPTIONS...]: how many lines satisfy COND.
bw_jcount()
{
	bw_jq "$1" "select($2) | 1" "${@:3}" | wc -l
}

# bw_jwait LOG COND SECS [JQ_OPTIONS...]: waits (bounded) until a line satisfies COND.
bw_jwait()
{
	local log=$1 cond=$2 secs=$3 i
	shift 3
	for ((i = 0; i < secs * 10; i++)); do
		bw_jhas "$log" "$cond" "$@" && return 0
		sleep 0.1
	done
	return 1
}

# bw_re_quote TEXT: TEXT as a regex that matches it literally (for MSG_RE arguments).
bw_re_quote()
{
	# shellcheck disable=SC2001 # a class of characters: no ${var//...} for that
	sed 's/[][\\.*^$?+(){}|]/\\&/g' <<<"$1"
}

# ---------------------------------------------------------------------------------------
# Files and comparisons

# bw_mkfile PATH BYTES: random content, world-readable.
bw_mkfile()
{
	head -c "$2" /dev/urandom >"$1"
	chmod 0644 "$1"
}

bw_sha()
{
	sha256sum "$1" | cut -d' ' -f1
}

# bw_same_file EXPECTED GOT: true when GOT exists and has EXPECTED's sha256.
bw_same_file()
{
	[[ -f $1 && -f $2 ]] || return 1
	[[ $(stat -c %s "$1") == "$(stat -c %s "$2")" ]] || return 1
	[[ $(bw_sha "$1") == "$(bw_sha "$2")" ]]
}

# bw_check_download DESC RC EXPECTED GOT [CLIENT_LOG]: one check line for a download.
bw_check_download()
{
	local desc=$1 rc=$2 want=$3 got=$4 clog=${5:-}
	if [[ $rc == 0 ]] && bw_same_file "$want" "$got"; then
		bw_pass "$desc"
		return 0
	fi
	local gsize=missing gsha=-
	if [[ -f $got ]]; then
		gsize=$(stat -c %s "$got")
		gsha=$(bw_sha "$got")
	fi
	bw_fail "$desc" "client exit status: $rc (expected 0)" \
		"expected $(stat -c %s "$want") bytes sha256 $(bw_sha "$want")" \
		"got      $gsize bytes sha256 $gsha" \
		"$(bw_log_tail "$clog" 8)" "$(bw_log_tail "$BW_SRV_LOG" 8)"
	return 1
}

# bw_run LOG TIMEOUT CMD...: runs a client in the client namespace with a time limit, output
# to LOG; prints nothing; returns its status (124 on timeout).
bw_run()
{
	local log=$1 secs=$2
	shift 2
	local rc=0
	# In the background and waited for, so that a signal to the script runs the trap at
	# once (bash defers traps while a foreground child runs); the trap stops BW_RUN_PID.
	# (not through bw_cli: a function would run in a subshell whose PID is not timeout's)
	if [[ -n $BW_CLI_NS ]]; then
		ip netns exec "$BW_CLI_NS" timeout -k 2 "$secs" "$@" >"$log" 2>&1 </dev/null &
	else
		timeout -k 2 "$secs" "$@" >"$log" 2>&1 </dev/null &
	fi
	BW_RUN_PID=$!
	wait "$BW_RUN_PID" || rc=$?
	BW_RUN_PID=
	return "$rc"
}
