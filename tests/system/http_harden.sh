#!/usr/bin/env bash
# http_harden: the HTTP service against hostile clients (issue 11), in a private network
# namespace on loopback, each attack followed by a curl that must still succeed.
#
#   shrink:    a 100 MiB file truncated to 30 MiB while a rate-limited curl downloads it: the
#              connection is aborted at once (curl: exit 18, partial file, long before the
#              idle timeout) and the log line has the bytes actually sent and "file shrank"
#   smuggling: raw requests (python sockets) with a body on GET (Content-Length, chunked),
#              Transfer-Encoding with Content-Length, two Content-Lengths, obs-fold (folding
#              a Transfer-Encoding into the header before it, and before the first header),
#              a CR or NUL in a header name or value, each with a second request hidden
#              after it: exactly one answer, "400", then the connection is closed (the hidden
#              request is never served) and the log says why; a bare LF, a NUL inside a
#              value and a fold of one token are normalised by libmicrohttpd 0.9.75 before
#              bootwire sees them (src/http/http_head.h): reported as skipped checks
#   (figures printed: seconds curl waited after the truncation)
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

# ---- request smuggling ------------------------------------------------------------------
cat >"$BW_WORK/raw.py" <<'PY'
# raw.py PORT CASE...: sends each case's bytes on a new connection, reads (bounded) until the
# server closes or goes quiet, prints "CASE statuses=S1,S2 closed=0|1".
import socket, sys, time
hidden = b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n"
head = b"GET /small.bin HTTP/1.1\r\nHost: x\r\n"
cases = {
    "clen": head + b"Content-Length: %d\r\n\r\n" % len(hidden) + hidden,
    "te": head + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden,
    "te_clen": head + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
               % (5 + len(hidden)) + hidden,
    "two_clen": head + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(hidden) + hidden,
    "fold_te": head + b"X-A: one\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden,
    "fold_first": b"GET /small.bin HTTP/1.1\r\n Host: x\r\n\r\n" + hidden,
    "cr_value": head + b"X-A: a\rb\r\n\r\n" + hidden,
    "nul_name": head + b"X\x00A: ab\r\n\r\n" + hidden,
    "bare_lf": b"GET /small.bin HTTP/1.1\nHost: x\nX-A: a\n\n",
    "nul_value": head + b"X-A: a\x00b\r\n\r\n",
    "fold_token": head + b"X-A: one\r\n two\r\n\r\n",
}
port = int(sys.argv[1])
for name in sys.argv[2:]:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(cases[name])
    got, closed, end = b"", False, time.monotonic() + 5
    s.settimeout(1.0)
    while time.monotonic() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break  # quiet for a second: the server keeps the connection open
        except ConnectionResetError:
            closed = True
            break
        if not b:
            closed = True
            break
        got += b
    s.close()
    st = [l.split(b" ")[1].decode() for l in got.split(b"\r\n") if l.startswith(b"HTTP/1.")]
    print("%s statuses=%s closed=%d" % (name, ",".join(st) or "-", closed))
PY

http_harden_smuggling()
{
	local name line
	for name in clen te te_clen two_clen fold_te fold_first cr_value nul_name; do
		line=$(timeout 20 python3 "$BW_WORK/raw.py" "$PORT" "$name" 2>&1) || true
		if [[ $line == "$name statuses=400 closed=1" ]]; then
			bw_pass "smuggling $name: 400, connection closed, hidden request not served"
		else
			bw_fail "smuggling $name: got '$line'" "want '$name statuses=400 closed=1'"
		fi
	done
	local n
	n=$(bw_jcount "$LOG" '.status == 400 and (.msg | test("^refused, connection closed: "))')
	if [[ $n -ge 7 ]]; then # nul_name: MHD itself answers 400 (no colon before the NUL)
		bw_pass "smuggling: $n refusals logged with their reason"
	else
		bw_fail "smuggling: $n refusals logged, want 7" "$(bw_log_tail "$LOG")"
	fi
	for name in bare_lf nul_value fold_token; do
		line=$(timeout 20 python3 "$BW_WORK/raw.py" "$PORT" "$name" 2>&1) || true
		bw_skip_check "smuggling $name ($line)" \
			"libmicrohttpd 0.9.75 normalises it before bootwire sees the head"
	done
	http_harden_curl_ok "after smuggling"
}

http_harden_shrink
http_harden_smuggling

bw_stop "$PID" 10 || bw_fail "the daemon did not stop cleanly"
bw_summary
