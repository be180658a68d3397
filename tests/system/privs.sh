#!/usr/bin/env bash
# privs: what `bootwire serve` keeps once it runs (issue 11). Started as root with
# `user: nobody` in a namespace pair (server 10.99.93.1, the client gets its address by DHCP):
#
#   status:   /proc/PID/status of every thread: NoNewPrivs 1, Seccomp 2 (filter), CapBnd,
#             CapEff, CapPrm, CapInh and CapAmb all 0, uid and gid nobody's; SIGSYS is
#             not blocked in any thread (a trapped call there is answered, not fatal)
#   files:    the lease database 0600 and its directory 0700, both owned by nobody
#   traffic:  a DHCP exchange (udhcpc), TFTP gets from port 69 and HTTP gets from port 80 in a
#             bounded loop, a SIGHUP reload, the same again: all served, and no system call
#             denied (no "seccomp: denied" line in the log)
#   filter:   asked of the kernel for the running daemon (seccomp_eval.py reads its filter
#             with ptrace, injects nothing): execve and socket(AF_PACKET) trapped, socket
#             (AF_INET) allowed; the daemon still serves afterwards
#   packet:   in server mode the daemon holds one AF_PACKET socket (/proc/PID/net/packet
#             inodes among /proc/PID/fd), in proxy mode none
#   proxy:    the same status in proxy mode
#   refused:  serve with a boot root writable by every user exits with file:line
#
# Knobs for drawing up the filter (src/core/priv_seccomp.c), not for CI:
#   BW_PRIVS_SECCOMP=off|log   the filter mode (default: the daemon's default, enforce)
#   BW_PRIVS_STRACE=FILE       strace -f (not installed by install-deps) the server-mode
#                              daemon, attached once it has started (the calls it makes
#                              after its start), into FILE; the filter checks, which need
#                              ptrace themselves, are skipped
#
# Run: bash tests/system/privs.sh   (root; BOOTWIRE=...; BW_KEEP=1 keeps the logs)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip jq curl busybox timeout stat
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "bootwire's own privileges"
bw_require_tools tftp_get
id nobody >/dev/null 2>&1 || bw_skip "no user nobody"
bw_setup_trap
bw_make_work

W=$BW_WORK
EVAL=$BW_REPO_ROOT/tests/system/seccomp_eval.py
PY=${BW_SCAPY_PY:-/usr/bin/python3}
SRV=bwpv-s-$$
CLI=bwpv-c-$$
bw_dhcp_pair "$SRV" "$CLI" 93
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
SADDR=10.99.93.1
NUID=$(id -u nobody)
NGID=$(id -g nobody)
NGROUPS=$(id -G nobody | tr ' ' '\n' | sort -n | xargs)
TGET=$(bw_tool tftp_get)
N_LOAD=10 # gets of each kind per round
WANT_SECCOMP=2 # /proc status: 2 filter, 0 none
[[ ${BW_PRIVS_SECCOMP:-} != off ]] || WANT_SECCOMP=0

ROOT=$W/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
bw_mkfile "$ROOT/small.bin" 70000
bw_mkfile "$ROOT/big.bin" $((2 << 20))
STATE=$W/state
DB=$STATE/leases.db

# write_cfg FILE MODE [LEASE_TIME]
write_cfg()
{
	cat >"$1" <<YAML
boot_root: $ROOT
user: nobody
pid_file: $W/bootwire-$2.pid
log: { level: info, format: json }
tftp: { listen: $SADDR, port: 69 }
http: { enabled: true, listen: $SADDR, port: 80 }
dhcp:
  enabled: true
  mode: $2
  interfaces: [$SIF]
  lease_db: $DB
  subnets:
    - { subnet: 10.99.93.0/24, range: 10.99.93.100-10.99.93.150, router: 10.99.93.1,
        lease_time: ${3:-600} }
YAML
	[[ -z ${BW_PRIVS_SECCOMP:-} ]] || printf 'seccomp: %s\n' "$BW_PRIVS_SECCOMP" >>"$1"
	chmod 0644 "$1"
}

# start MODE: bootwire serve with `user: nobody` (no --allow-root), ready when it has
# dropped privileges and installed its filter; sets PID and LOG.
N_START=0
start()
{
	local conf=$W/$1.yaml i
	write_cfg "$conf" "$1"
	LOG=$W/bootwire-$1-$((++N_START)).log
	bw_say "start bootwire serve -c $(basename "$conf") (as root, user: nobody)"
	bw_spawn "$SRV" "$LOG" "$BOOTWIRE" serve -c "$conf"
	PID=$BW_LAST_PID
	for ((i = 0; i < 200; i++)); do
		bw_alive "$PID" || break
		bw_jhas "$LOG" 'svc("core") and (says("^seccomp: ") or says("^listening"))' &&
			bw_jhas "$LOG" 'svc("dhcp") and says("^serving ")' && return 0
		sleep 0.05
	done
	bw_fail "bootwire serve ($1 mode) did not start" "$(bw_log_tail "$LOG" 20)"
	return 1
}

# field PATH KEY: the value of "KEY:\t..." in a /proc status file (tabs as spaces).
field()
{
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$1" 2>/dev/null
}

# check_status WHAT: every thread of PID has no privileges left and the filter on.
check_status()
{
	local what=$1 t st bad=() n=0 blk k
	for t in /proc/"$PID"/task/*; do
		st=$t/status
		n=$((n + 1))
		[[ $(field "$st" NoNewPrivs) == 1 ]] || bad+=("${t##*/}: NoNewPrivs $(field "$st" NoNewPrivs)")
		[[ $(field "$st" Seccomp) == "$WANT_SECCOMP" ]] ||
			bad+=("${t##*/}: Seccomp $(field "$st" Seccomp) (want $WANT_SECCOMP)")
		for k in CapBnd CapEff CapPrm CapInh CapAmb; do
			[[ $(field "$st" $k) == 0000000000000000 ]] || bad+=("${t##*/}: $k $(field "$st" $k)")
		done
		[[ $(field "$st" Uid) == "$NUID $NUID $NUID $NUID" ]] || bad+=("${t##*/}: Uid $(field "$st" Uid)")
		[[ $(field "$st" Gid) == "$NGID $NGID $NGID $NGID" ]] || bad+=("${t##*/}: Gid $(field "$st" Gid)")
		[[ $(field "$st" Groups | tr ' ' '\n' | sort -n | xargs) == "$NGROUPS" ]] ||
			bad+=("${t##*/}: Groups $(field "$st" Groups) (want $NGROUPS)")
		blk=$(field "$st" SigBlk)
		(((16#$blk >> 30) & 1)) && bad+=("${t##*/}: SIGSYS blocked (SigBlk $blk)")
	done
	if ((${#bad[@]} == 0 && n > 0)); then
		bw_pass "$what: $n threads: NoNewPrivs 1, Seccomp $WANT_SECCOMP, CapBnd/Eff/Prm/Inh/Amb 0, uid $NUID gid $NGID, SIGSYS not blocked"
	else
		bw_fail "$what: privileges left" "${bad[@]}"
	fi
}

# packet_sockets: how many AF_PACKET sockets PID holds (its fds' inodes in net/packet).
packet_sockets()
{
	local inodes n=0 ino
	inodes=$(awk 'NR > 1 { print $9 }' "/proc/$PID/net/packet" 2>/dev/null)
	for ino in $inodes; do
		if find "/proc/$PID/fd" -maxdepth 1 -lname "socket:\[$ino\]" 2>/dev/null | grep -q .; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

# check_filter WHAT: the kernel's verdict for the running daemon's calls.
check_filter()
{
	local what=$1 e p i
	if [[ -n ${BW_PRIVS_STRACE:-} || -n ${BW_PRIVS_SECCOMP:-} ]]; then
		bw_skip_check "$what: filter verdicts" "BW_PRIVS_STRACE or BW_PRIVS_SECCOMP set"
		return 0
	fi
	e=$("$PY" "$EVAL" "$PID" execve 2>&1) || true
	p=$("$PY" "$EVAL" "$PID" socket 17 2>&1) || true
	i=$("$PY" "$EVAL" "$PID" socket 2 2>&1) || true
	if [[ $e == TRAP && $p == TRAP && $i == ALLOW ]]; then
		bw_pass "$what: the kernel traps execve and socket(AF_PACKET) (EPERM), allows socket(AF_INET)"
	else
		bw_fail "$what: filter verdicts" "execve: $e (want TRAP)" "socket(AF_PACKET): $p (want TRAP)" \
			"socket(AF_INET): $i (want ALLOW)"
	fi
}

cat >"$W/udhcpc-script" <<'SH'
#!/bin/sh
echo "event=$1 ip=$ip subnet=$subnet"
case $1 in
bound|renew) ip addr replace "$ip/$subnet" dev "$interface" ;;
esac
exit 0
SH
chmod 0755 "$W/udhcpc-script"

# dora WHAT: one DHCP exchange from the client; the client keeps the address.
dora()
{
	local rc=0 line
	ip -n "$CLI" -4 addr flush dev "$CIF"
	bw_run "$W/udhcpc.log" 30 busybox udhcpc -f -q -n -t 5 -T 1 -i "$CIF" -s "$W/udhcpc-script" || rc=$?
	line=$(grep '^event=bound' "$W/udhcpc.log" || true)
	if [[ $rc == 0 && $line =~ ip=10\.99\.93\.(1[0-4][0-9]|150)\  ]]; then
		bw_pass "$1: udhcpc bound ($line)"
	else
		bw_fail "$1: no lease (udhcpc exit $rc)" "$(cat "$W/udhcpc.log")" "$(bw_log_tail "$LOG" 10)"
	fi
}

# load WHAT: N_LOAD TFTP and N_LOAD HTTP gets, each byte-exact.
load()
{
	local i rc nbad=0 code
	for ((i = 0; i < N_LOAD; i++)); do
		rc=0
		bw_run "$W/tget.log" 30 "$TGET" -o "$W/t.out" --max-seconds 20 "$SADDR" 69 small.bin || rc=$?
		bw_same_file "$ROOT/small.bin" "$W/t.out" && [[ $rc == 0 ]] || nbad=$((nbad + 1))
		rm -f "$W/t.out"
		code=$(ip netns exec "$CLI" curl -sS --max-time 20 -o "$W/h.out" -w '%{http_code}' \
			"http://$SADDR/big.bin" 2>"$W/curl.err") || code=000
		[[ $code == 200 ]] && bw_same_file "$ROOT/big.bin" "$W/h.out" || nbad=$((nbad + 1))
		rm -f "$W/h.out"
	done
	if ((nbad == 0)); then
		bw_pass "$1: $N_LOAD TFTP gets (port 69) and $N_LOAD HTTP gets (port 80), byte-exact"
	else
		bw_fail "$1: $nbad of $((2 * N_LOAD)) gets failed" "$(cat "$W/tget.log" "$W/curl.err")" \
			"$(bw_log_tail "$LOG" 10)"
	fi
}

# no_denials WHAT: no system call was denied so far.
no_denials()
{
	local n
	n=$(grep -c 'seccomp: denied' "$LOG" || true)
	if [[ $n == 0 ]]; then
		bw_pass "$1: no system call denied"
	else
		bw_fail "$1: $n system calls denied" "$(grep 'seccomp: denied' "$LOG" | sort | uniq -c | head -n 20)"
	fi
}

# ---- server mode ------------------------------------------------------------------------

start server || bw_summary
STRACE_PID=
if [[ -n ${BW_PRIVS_STRACE:-} ]]; then
	bw_spawn "" "$W/strace.log" strace -f -qq -o "$BW_PRIVS_STRACE" -p "$PID"
	STRACE_PID=$BW_LAST_PID
	sleep 1 # attached to every thread before the traffic
fi
check_status "server mode"

st=$(stat -c '%a %U' "$DB" 2>&1 || true)
sd=$(stat -c '%a %U' "$STATE" 2>&1 || true)
if [[ $st == "600 nobody" && $sd == "700 nobody" ]]; then
	bw_pass "lease database 0600 nobody, its directory 0700 nobody"
else
	bw_fail "lease database and directory modes" "$DB: $st (want 600 nobody)" "$STATE: $sd (want 700 nobody)"
fi

n=$(packet_sockets)
if [[ $n == 1 ]]; then
	bw_pass "server mode: one AF_PACKET socket (replies to clients without an address)"
else
	bw_fail "server mode: $n AF_PACKET sockets (want 1)" "$(cat "/proc/$PID/net/packet")"
fi

dora "before reload"
load "before reload"
m=$(wc -l <"$LOG")
write_cfg "$W/server.yaml" server 900
kill -HUP "$PID"
if bw_jwait "$LOG" 'svc("core") and says("^reloaded ")' 10; then
	bw_pass "SIGHUP: reloaded (the config read again as nobody under the filter)"
else
	bw_fail "SIGHUP: no 'reloaded' line" "$(tail -n +"$((m + 1))" "$LOG" | bw_log_text | head -n 10)"
fi
dora "after reload"
load "after reload"
check_filter "server mode"
load "after the filter was read"
no_denials "server mode"
check_status "server mode, after the traffic"
bw_stop "$PID" 5 || true
if [[ $BW_STOP_STATUS == 0 ]]; then
	bw_pass "server mode: exits 0 on SIGTERM"
else
	bw_fail "server mode: exit status $BW_STOP_STATUS on SIGTERM" "$(bw_log_tail "$LOG" 10)"
fi
no_denials "server mode, shutdown"
if [[ -n $STRACE_PID ]]; then # it ends with the daemon: its shutdown is in the trace
	bw_wait_pid "$STRACE_PID" 10 || true
	bw_say "strace of the server-mode daemon after its start: $BW_PRIVS_STRACE"
fi

# ---- proxy mode ---------------------------------------------------------------------------

start proxy || bw_summary
check_status "proxy mode"
n=$(packet_sockets)
if [[ $n == 0 ]]; then
	bw_pass "proxy mode: no AF_PACKET socket"
else
	bw_fail "proxy mode: $n AF_PACKET sockets (want 0)" "$(ls -l "/proc/$PID/fd")"
fi
ip -n "$CLI" addr replace 10.99.93.2/24 dev "$CIF"
N_LOAD=2 load "proxy mode"
check_filter "proxy mode"
no_denials "proxy mode"
bw_stop "$PID" 5 || true

# ---- refused boot roots -------------------------------------------------------------------

mkdir -p "$W/ow"
chmod 0777 "$W/ow"
printf 'boot_root: %s\nuser: nobody\npid_file: ""\n' "$W/ow" >"$W/ow.yaml"
rc=0
bw_in_ns "$SRV" timeout 10 "$BOOTWIRE" serve -c "$W/ow.yaml" >"$W/ow.out" 2>&1 || rc=$?
if [[ $rc == 1 ]] && grep -q "^$W/ow.yaml:1: boot_root: '$W/ow' is writable by every user (mode 0777)" "$W/ow.out"; then
	bw_pass "serve refuses a boot root writable by every user, with file:line"
else
	bw_fail "serve with a world-writable boot root: exit $rc" "$(cat "$W/ow.out")"
fi

bw_summary
