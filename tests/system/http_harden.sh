#!/usr/bin/env bash
# http_harden: the HTTP service against hostile clients (issue 11), in a private network
# namespace on loopback, each attack followed by a curl that must still succeed.
#
#   shrink:    a 100 MiB file truncated to 30 MiB while a rate-limited curl downloads it: the
#              connection is aborted at once (curl: exit 18, partial file, long before the
#              idle timeout) and the log line has the bytes actually sent and "file shrank"
#   special:   a char device node (mknod tty c 5 0) and a FIFO in boot_root: 403 at once,
#              logged "not a regular file", never opened
#   smuggling: raw requests (python sockets) with a body on GET (Content-Length, chunked),
#              Transfer-Encoding with Content-Length, two Content-Lengths, obs-fold (folding
#              a Transfer-Encoding into the header before it, and before the first header),
#              a CR or NUL in a header name or value, each with a second request hidden
#              after it: exactly one answer, "400", then the connection is closed (the hidden
#              request is never served) and the log says why; a bare LF, a NUL inside a
#              value and a fold of one token are normalised by libmicrohttpd 0.9.75 before
#              bootwire sees them (src/http/http_head.h): reported as skipped checks
#   slowloris: 150 connections from 10 addresses, 100 trickling a header line a second, 50
#              sending nothing, with head_timeout_ms 2000 and timeout_s 60: all are closed by
#              the server (counted with ss) and the log says "request head not complete"
#   full:      max_connections 32, max_per_client 8, 48 idle connections from 6 addresses
#              (half kept alive after an answer, half silent): the oldest idle ones are closed
#              to let new ones in (logged), a 9th connection from one address is closed at
#              once (logged with the client), curl gets its file, at most 32 stay established
#   (figures printed: seconds curl waited after the truncation, connections left open 1 s
#   after the head deadline, seconds curl waited with the table full)
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
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
bw_mkfile "$ROOT/small.bin" 10000

# http_harden_start NAME YAML_LINES: starts bootwire with the http section plus YAML_LINES;
# PID and LOG name it.
http_harden_start()
{
	local name=$1 extra=$2
	LOG=$BW_WORK/$name.log
	cat >"$BW_WORK/$name.yaml" <<YAML
boot_root: $ROOT
pid_file: ''
log: { format: json }
tftp: { enabled: false }
http:
  enabled: true
  listen: 127.0.0.1
  port: $PORT
  threads: 1
$extra
YAML
	bw_spawn "" "$LOG" "$BOOTWIRE" serve -c "$BW_WORK/$name.yaml" --allow-root
	PID=$BW_LAST_PID
	if ! bw_wait_ready "$PID" "$LOG" "" "$PORT"; then
		bw_fail "the daemon ($name) did not start" "$(cat "$LOG")"
		bw_summary
	fi
}

# http_harden_established: server-side connections of the HTTP port still established.
http_harden_established()
{
	ss -Htn state established "( sport = :$PORT )" | wc -l
}

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
	timeout 50 curl -sS --max-time 40 --limit-rate 10M -o "$BW_WORK/shrink.got" \
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
	local got
	got=$(stat -c %s "$BW_WORK/shrink.got" 2>/dev/null || echo 0)
	bw_say "shrink: logged bytes=$bytes: $msg; curl got $got bytes"
	# (the bytes written to the socket before the short read: curl gets all of them; what
	# was read before the truncation may pass $cut)
	if ((bytes < size && bytes == got)) && [[ $msg == *"file shrank"* ]]; then
		bw_pass "shrink: the log has the bytes actually sent ($bytes of $size, curl got $got) and why"
	else
		bw_fail "shrink: log line bytes=$bytes msg='$msg', curl got $got" \
			"want bytes == what curl got, 'file shrank'"
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

# ---- device nodes and FIFOs in boot_root ---------------------------------------------------
# /dev/tty's node (char 5,0) and a FIFO with no writer: both get 403 (refused by type before
# anything opens them: src/core/fspath.h), promptly (curl's own --max-time is 10 s: exit 28
# would mean a hang), and the daemon still serves afterwards.
http_harden_special()
{
	mknod "$ROOT/tty" c 5 0
	mkfifo "$ROOT/fifo"
	local name code
	for name in tty fifo; do
		code=$(timeout 15 curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
			"$URL/$name" 2>"$BW_WORK/curl.err") || code="curl exit $?"
		if [[ $code == 403 ]]; then
			bw_pass "special: /$name gets 403 at once"
		else
			bw_fail "special: /$name got '$code', want 403" "$(cat "$BW_WORK/curl.err")"
		fi
		local cond=".path == \"/$name\" and .status == 403"
		if bw_jwait "$LOG" "$cond and (.msg | contains(\"not a regular file\"))" 10; then
			bw_pass "special: the log says /$name is not a regular file"
		else
			bw_fail "special: no 403 log line for /$name" "$(bw_log_tail "$LOG")"
		fi
	done
	rm -f "$ROOT/tty" "$ROOT/fifo"
	http_harden_curl_ok "after special files"
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
    "bare_lf": b"GET /small.bin HTTP/1.1\nHost: x\nX-A: a\n\n" + hidden,
    "nul_value": head + b"X-A: a\x00b\r\n\r\n" + hidden,
    "fold_token": head + b"X-A: one\r\n two\r\n\r\n" + hidden,
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
	for name in clen te te_clen two_clen fold_te fold_first cr_value nul_name bare_lf nul_value \
		fold_token; do
		line=$(timeout 20 python3 "$BW_WORK/raw.py" "$PORT" "$name" 2>&1) || true
		if [[ $line == "$name statuses=400 closed=1" ]]; then
			bw_pass "smuggling $name: 400, connection closed, hidden request not served"
		else
			bw_fail "smuggling $name: got '$line'" "want '$name statuses=400 closed=1'"
		fi
	done
	local n
	n=$(bw_jcount "$LOG" '.status == 400 and (.msg | test("^refused, connection closed: "))')
	if [[ $n -ge 10 ]]; then # nul_name: MHD itself answers 400 (no colon before the NUL)
		bw_pass "smuggling: $n refusals logged with their reason"
	else
		bw_fail "smuggling: $n refusals logged, want 10" "$(bw_log_tail "$LOG")"
	fi
	# the shapes MHD normalises are seen in the bytes it reads (src/http/http_raw.h)
	local -A shape=([bare_lf]="bare LF" [nul_value]="NUL byte" [fold_token]="obs-fold")
	for name in bare_lf nul_value fold_token; do
		if bw_jhas "$LOG" '.status == 400 and (.msg | contains($w))' --arg w "${shape[$name]}"; then
			bw_pass "smuggling $name: the log names the shape"
		else
			bw_fail "smuggling $name: no refusal naming it" "$(bw_log_tail "$LOG")"
		fi
	done
	http_harden_curl_ok "after smuggling"
}

# ---- many connections: slowloris, a full connection table -------------------------------
cat >"$BW_WORK/conns.py" <<'PY'
# conns.py PORT SECS SPEC...: opens connections (SPEC: SRCADDR:COUNT:MODE, modes: none (sends
# nothing), get (one keep-alive GET /small.bin, then idle), slow (a request line, then a
# header line every second: slowloris)), prints "open N", holds them for SECS (bounded),
# then prints "closed K of N" (K: closed by the server).
# conns.py PORT probe SRCADDR: one connection; prints "closed" if the server closes it
# within 3 s, else "open".
import socket, sys, time
port = int(sys.argv[1])
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s
def gone(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(65536) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
if sys.argv[2] == "probe":
    print("closed" if gone(conn(sys.argv[3]), 3.0) else "open", flush=True)
    sys.exit(0)
secs = float(sys.argv[2])
conns = []
for spec in sys.argv[3:]:
    src, count, mode = spec.split(":")
    for _ in range(int(count)):
        try:
            s = conn(src)
        except OSError:
            conns.append([None, mode, True])
            continue
        if mode == "get":
            s.sendall(b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            try:  # (a server that does not accept it leaves it waiting in the backlog)
                while b"\r\n\r\n" not in got or len(got) < 10000:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            except socket.timeout:
                pass
        elif mode == "slow":
            s.sendall(b"GET /small.bin HTTP/1.1\r\n")
        conns.append([s, mode, False])
print("open %d" % len(conns), flush=True)
end = time.monotonic() + secs
n = 0
while time.monotonic() < end:
    for c in conns:
        if c[2]:
            continue
        if gone(c[0], 0.001):
            c[2] = True
        elif c[1] == "slow":
            try:
                c[0].sendall(b"X-Slow-%d: x\r\n" % n)
            except OSError:
                c[2] = True
    n += 1
    time.sleep(1.0)
print("closed %d of %d" % (sum(1 for c in conns if c[2]), len(conns)), flush=True)
PY

# http_harden_wait_open OUT SECS: waits (bounded) until conns.py printed its "open" line.
http_harden_wait_open()
{
	local out=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		grep -q '^open ' "$out" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

http_harden_slowloris()
{
	local spec=() i
	# 150 connections from 10 addresses (15 each, under max_per_client): 100 trickle their
	# headers, one line a second (timeout_s, an idle timeout, never fires), 50 send nothing
	for ((i = 0; i < 10; i++)); do
		spec+=("127.0.0.$((10 + i)):10:slow" "127.0.0.$((10 + i)):5:none")
	done
	timeout 90 python3 "$BW_WORK/conns.py" "$PORT" 60 "${spec[@]}" >"$BW_WORK/slow.out" 2>&1 &
	local cpid=$!
	if ! http_harden_wait_open "$BW_WORK/slow.out" 20; then
		bw_fail "slowloris: the client did not open its connections" "$(cat "$BW_WORK/slow.out")"
		return
	fi
	sleep 3 # head_timeout_ms is 2000: one second past it
	bw_say "slowloris: $(http_harden_established) of 150 connections still open 1 s after the head deadline"
	local n
	for ((i = 0; i < 100; i++)); do
		n=$(http_harden_established)
		((n == 0)) && break
		sleep 0.2
	done
	if ((n == 0)); then
		bw_pass "slowloris: all 150 connections closed by the server (head_timeout_ms 2000)"
	else
		bw_fail "slowloris: $n of 150 connections still open 20 s later"
	fi
	if bw_jwait "$LOG" '.msg | test("^request head not complete within 2000 ms")' 5; then
		bw_pass "slowloris: the log says why"
	else
		bw_fail "slowloris: no 'request head not complete' line" "$(bw_log_tail "$LOG")"
	fi
	http_harden_curl_ok "after slowloris"
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
}

http_harden_full()
{
	local spec=() i
	# max_connections 32, max_per_client 8: 48 idle connections from 6 addresses, half after
	# one answer (kept alive), half having sent nothing
	for ((i = 0; i < 6; i++)); do
		spec+=("127.0.0.$((20 + i)):4:get" "127.0.0.$((20 + i)):4:none")
	done
	timeout 90 python3 "$BW_WORK/conns.py" "$PORT" 60 "${spec[@]}" >"$BW_WORK/full.out" 2>&1 &
	local cpid=$!
	if ! http_harden_wait_open "$BW_WORK/full.out" 60; then
		bw_fail "full: the client did not open its connections" "$(cat "$BW_WORK/full.out")"
		return
	fi
	bw_say "full: $(http_harden_established) connections established (max_connections 32)"
	# a client at its own limit: 8 from one address are let in, the 9th is closed at once
	timeout 60 python3 "$BW_WORK/conns.py" "$PORT" 30 127.0.0.50:8:none >"$BW_WORK/client.out" 2>&1 &
	local ppid=$!
	http_harden_wait_open "$BW_WORK/client.out" 20 || true
	local probe
	probe=$(timeout 10 python3 "$BW_WORK/conns.py" "$PORT" probe 127.0.0.50 2>&1) || true
	if [[ $probe == closed ]]; then
		bw_pass "full: a 9th connection from one client (max_per_client 8) is closed at once"
	else
		bw_fail "full: 9th connection from one client: $probe, want closed"
	fi
	if bw_jwait "$LOG" '.peer | startswith("127.0.0.50:")' 5 &&
		bw_jhas "$LOG" '(.peer | startswith("127.0.0.50:")) and (.msg | test("^at the per-client connection limit \\(8\\)"))'; then
		bw_pass "full: the per-client refusal is logged with the client"
	else
		bw_fail "full: no per-client limit line for 127.0.0.50" "$(bw_log_tail "$LOG")"
	fi
	local t0 t1
	t0=$(date +%s.%N)
	http_harden_curl_ok "with the table full"
	t1=$(date +%s.%N)
	bw_say "full: curl waited $(printf '%.2f' "$(echo "$t1 - $t0" | bc)") s with the table full"
	local n
	n=$(bw_jcount "$LOG" '.msg | test("^at the connection limit \\(32\\): closing the connection idle longest")')
	if ((n > 0)); then
		bw_pass "full: evictions logged ($n lines, rate-limited)"
	else
		bw_fail "full: no eviction logged" "$(bw_log_tail "$LOG")"
	fi
	n=$(http_harden_established)
	if ((n <= 32)); then
		bw_pass "full: $n connections established, within max_connections"
	else
		bw_fail "full: $n connections established, over max_connections 32"
	fi
	kill "$cpid" "$ppid" 2>/dev/null || true
	wait "$cpid" "$ppid" 2>/dev/null || true
}

http_harden_start main "  timeout_s: 60
  head_timeout_ms: 2000"
http_harden_shrink
http_harden_special
http_harden_smuggling
http_harden_slowloris
bw_stop "$PID" 10 || bw_fail "the daemon did not stop cleanly"

http_harden_start full "  timeout_s: 60
  head_timeout_ms: 60000
  max_connections: 32
  max_per_client: 8"
http_harden_full
bw_stop "$PID" 10 || bw_fail "the daemon (full) did not stop cleanly"
bw_summary
