#!/usr/bin/env bash
# http_harden: the HTTP service against hostile clients (issue 11), in a private network
# namespace on loopback, each attack followed by a curl that must still succeed.
#
#   shrink:    a 100 MiB file truncated to 30 MiB while a rate-limited curl downloads it: the
#              connection is aborted at once (curl: exit 18, partial file, long before the
#              idle timeout) and the log line has the bytes actually sent and "file shrank"
#   (the figure printed: seconds curl waited after the truncation)
#
# Run: bash tests/system/http_harden.sh   (root; BOOTWIRE=...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl timeout jq python3 ss truncate
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "the HTTP service is bootwire's own"
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ROOT=$BW_WORK/root
PORT=8080
URL=http://127.0.0.1:$PORT
LOG=$BW_WORK/http.log
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
bw_mkfile "$ROOT/small.bin" 10000

cat >"$BW_WORK/http.yaml" <<YAML
boot_root: $ROOT
pid_file: ''
log: { format: json }
tftp: { enabled: false }
http:
  enabled: true
  listen: 127.0.0.1
  port: $PORT
  threads: 1
  timeout_s: 60
YAML
bw_spawn "" "$LOG" "$BOOTWIRE" serve -c "$BW_WORK/http.yaml" --allow-root
PID=$BW_LAST_PID
if ! bw_wait_ready "$PID" "$LOG" "" "$PORT"; then
	bw_fail "the daemon did not start" "$(cat "$LOG")"
	bw_summary
fi

# http_harden_curl_ok WHAT: a plain download of small.bin succeeds, byte for byte.
http_harden_curl_ok()
{
	rm -f "$BW_WORK/got"
	if timeout 20 curl -sS --max-time 15 -o "$BW_WORK/got" "$URL/small.bin" 2>"$BW_WORK/curl.err" &&
		cmp -s "$BW_WORK/got" "$ROOT/small.bin"; then
		bw_pass "$1: curl still downloads small.bin whole"
	else
		bw_fail "$1: curl download of small.bin" "$(cat "$BW_WORK/curl.err")"
	fi
}

# ---- a file that shrinks while it is sent --------------------------------------------------
http_harden_shrink()
{
	local rc=0 t0 t1 size=$((100 << 20)) cut=$((30 << 20))
	head -c "$size" /dev/zero >"$ROOT/shrink.bin"
	chmod 0644 "$ROOT/shrink.bin"
	timeout 50 curl -sS --max-time 40 --limit-rate 20M -o "$BW_WORK/shrink.got" \
		"$URL/shrink.bin" 2>"$BW_WORK/shrink.err" &
	local cpid=$!
	sleep 1
	truncate -s "$cut" "$ROOT/shrink.bin"
	t0=$(date +%s.%N)
	wait "$cpid" || rc=$?
	t1=$(date +%s.%N)
	bw_say "shrink: curl ended $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s after the truncation, exit $rc"
	if [[ $rc == 18 ]]; then
		bw_pass "shrink: curl reports a partial file (exit 18), not its own timeout"
	else
		bw_fail "shrink: curl exit $rc, want 18 (partial file)" "$(cat "$BW_WORK/shrink.err")"
	fi
	local cond='.path == "/shrink.bin" and .status == 200'
	if ! bw_jwait "$LOG" "$cond" 10; then
		bw_fail "shrink: no log line for /shrink.bin" "$(bw_log_tail "$LOG")"
		return
	fi
	local bytes msg
	bytes=$(bw_jq "$LOG" "select($cond) | .bytes" | tail -n 1)
	msg=$(bw_jq "$LOG" "select($cond) | .msg" | tail -n 1)
	bw_say "shrink: logged bytes=$bytes: $msg"
	if ((bytes < size && bytes <= cut)) && [[ $msg == *"file shrank"* ]]; then
		bw_pass "shrink: the log has the bytes actually sent ($bytes of $size) and why"
	else
		bw_fail "shrink: log line bytes=$bytes msg='$msg'" "want bytes <= $cut, 'file shrank'"
	fi
	http_harden_curl_ok "after shrink"
	# and a whole large file still arrives byte for byte
	bw_mkfile "$ROOT/whole.bin" $((8 << 20))
	if timeout 30 curl -sS --max-time 25 -o "$BW_WORK/whole.got" "$URL/whole.bin" &&
		cmp -s "$BW_WORK/whole.got" "$ROOT/whole.bin"; then
		bw_pass "shrink: an 8 MiB file still arrives byte for byte"
	else
		bw_fail "shrink: 8 MiB download differs"
	fi
}

http_harden_shrink

bw_stop "$PID" 10 || bw_fail "the daemon did not stop cleanly"
bw_summary
