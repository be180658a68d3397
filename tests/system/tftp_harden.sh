#!/usr/bin/env bash
# tftp_harden: what a request triggers never blocks the loop, and bad requests get a clear
# answer (issue 11). Private network namespace, loopback only, bootwire only.
#
#   part A  special files in the boot root: a character device (mknod c 5 0, /dev/tty's
#           numbers), a FIFO without writer, a symlink to the FIFO are refused with ERROR 2
#           "access violation: not a regular file (device, FIFO or socket)" at once, and a
#           file is served right after each (the loop did not hang); a directory stays
#           ERROR 1.
#   part B  malformed requests: unknown opcodes (0, 7, 0xffff), an RRQ of 1025 and of 1400
#           bytes and of 65500 (over the receive buffer), an RRQ without mode terminator,
#           without mode, with an empty option name, with 17 options get ERROR 4; an option
#           without a value (at the end) is ignored: the OACK carries the others, or with
#           nothing else to acknowledge the file comes as DATA 1; an ERROR and an ACK on the
#           request port stay unanswered.
#   part C  20 size probes (netascii RRQ with tsize, ERROR after the OACK) of a 60 MiB file
#           at once, then an octet download of a small file timed (no threshold: the time
#           goes to the log); every probe gets the converted size. A (sparse) file over
#           64 MiB gets ERROR 4 in netascii and is served in octet.
#   part D  live clients fetch byte-exact: tftp-hpa (octet and netascii), atftp, tftp_get
#           (netascii with tsize).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds tftp atftp mknod mkfifo sha256sum unshare timeout /usr/bin/python3
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "bootwire's own answers are checked"
bw_require_tools tftp_get
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ADDR=127.0.0.1
PORT=6969
TFTP_GET=$(bw_tool tftp_get)
T=$BW_WORK
ROOT=$T/root
OUT=$T/out
LOGS=$T/logs
mkdir -p "$ROOT/dir" "$OUT" "$LOGS"

# ---- a client that sends exact bytes and reports the answer
CRAFT=$T/craft.py
cat >"$CRAFT" <<'EOF'
"""craft.py req HOST PORT BYTES: sends BYTES (Python escapes) from a new socket and prints
the answer: 'ERROR code msg', 'OACK name=value ...', 'DATA block len', 'OTHER hex' or
'SILENT' (nothing within 2 s). An OACK or DATA is answered with ERROR 0 (a size probe).
craft.py burst HOST PORT BIG N SMALL: N netascii RRQs of BIG with tsize at once, then an octet
download of SMALL (lock-step); prints 'small_ms=.. small_bytes=..', then one 'probe tsize=..'
(or 'probe ERROR ..') per probe, answering each OACK with ERROR 0. Bounded: 30 s at most
for the small download, 30 s for the probes."""
import codecs, select, socket, struct, sys, time

def describe(pkt):
    op = struct.unpack("!H", pkt[:2])[0] if len(pkt) >= 2 else -1
    if op == 5 and len(pkt) >= 4:
        return "ERROR %d %s" % (struct.unpack("!H", pkt[2:4])[0],
                                pkt[4:].split(b"\0")[0].decode("ascii", "replace"))
    if op == 6:
        f = pkt[2:].split(b"\0")
        return "OACK " + " ".join("%s=%s" % (f[i].decode(), f[i + 1].decode())
                                  for i in range(0, len(f) - 1, 2))
    if op == 3:
        return "DATA %d %d" % (struct.unpack("!H", pkt[2:4])[0], len(pkt) - 4)
    return "OTHER " + pkt.hex()

def abort(s, peer):
    s.sendto(b"\0\5\0\0probe\0", peer)

def req(host, port, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(data, (host, port))
    s.settimeout(2.0)
    try:
        pkt, peer = s.recvfrom(70000)
    except socket.timeout:
        print("SILENT")
        return
    d = describe(pkt)
    if d.startswith(("OACK", "DATA")):
        abort(s, peer)
    print(d)

def rrq(name, mode, opts=b""):
    return b"\0\1" + name.encode() + b"\0" + mode + b"\0" + opts

def get_small(host, port, name):
    """Lock-step download; the last packet is resent after 2 s of silence, 15 times at most."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    t0 = time.monotonic()
    last, dest = rrq(name, b"octet"), (host, port)
    s.sendto(last, dest)
    got, want, silences = b"", 1, 0
    while True:
        try:
            pkt, peer = s.recvfrom(70000)
        except socket.timeout:
            silences += 1
            if silences > 15:
                raise SystemExit("small download: no answer")
            s.sendto(last, dest)
            continue
        if pkt[:2] != b"\0\3":
            raise SystemExit("small download: " + describe(pkt))
        block = struct.unpack("!H", pkt[2:4])[0]
        if block == want:
            got += pkt[4:]
            want += 1
        last, dest = b"\0\4" + pkt[2:4], peer
        s.sendto(last, dest)
        if block == want - 1 and len(pkt) < 516:
            return (time.monotonic() - t0) * 1000.0, len(got)

def burst(host, port, big, n, small):
    t0 = time.monotonic()
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(rrq(big, b"netascii", b"tsize\0" b"0\0"), (host, port))
        socks.append(s)
    ms, nbytes = get_small(host, port, small)
    print("small_ms=%.1f small_bytes=%d" % (ms, nbytes))
    deadline = time.monotonic() + 30
    for s in socks:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            print("probe SILENT")
            continue
        pkt, peer = s.recvfrom(70000)
        d = describe(pkt)
        if d.startswith("OACK"):
            abort(s, peer)
            d = "probe " + d.split(" ", 1)[1]
        else:
            d = "probe " + d
        print(d)
    if n:
        print("probes_ms=%.1f" % ((time.monotonic() - t0) * 1000.0))

if sys.argv[1] == "req":
    req(sys.argv[2], int(sys.argv[3]), codecs.escape_decode(sys.argv[4].encode())[0])
else:
    burst(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])
EOF

# answer BYTES: the server's answer to exactly BYTES (see craft.py).
answer()
{
	bw_cli timeout 10 /usr/bin/python3 "$CRAFT" req "$ADDR" "$PORT" "$1" 2>&1 || true
}

# expect_answer DESC BYTES WANT: the answer is exactly WANT.
expect_answer()
{
	local got
	got=$(answer "$2")
	if [[ $got == "$3" ]]; then
		bw_pass "$1: $got"
	else
		bw_fail "$1" "answer: $got" "expected: $3" "$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
}

# still_serving DESC: a small file is served byte-exact right now.
N_GET=0
still_serving()
{
	local got=$OUT/small.$((++N_GET)) rc=0
	bw_run "$LOGS/get.$N_GET.log" 20 "$TFTP_GET" -r 3 -o "$got" "$ADDR" "$PORT" small.bin ||
		rc=$?
	bw_check_download "$1" "$rc" "$ROOT/small.bin" "$got" "$LOGS/get.$N_GET.log" || true
}

# ---- the tree
bw_mkfile "$ROOT/small.bin" 3000
printf 'line one\nline two\r\nlast\n' >"$ROOT/text.txt"
mknod "$ROOT/tty" c 5 0
mkfifo "$ROOT/fifo"
ln -s fifo "$ROOT/fifo-link"
bw_say "building a 60 MiB file"
head -c $((60 << 20)) /dev/urandom >"$ROOT/big.bin"
BIG_NA=$(/usr/bin/python3 -c 'import sys; d=open(sys.argv[1],"rb").read()
print(len(d) + d.count(b"\n") + d.count(b"\r"))' "$ROOT/big.bin")
chmod -R a+rX "$ROOT"

cat >"$T/bootwire.yaml" <<EOF
boot_root: $ROOT
log: { level: debug, format: json }
tftp:
  listen: $ADDR
  port: $PORT
  timeout_ms: 500
  retries: 3
EOF
bw_start_serve "$T/bootwire.yaml" "$PORT" || { bw_fail "serve starts"; bw_summary; }

###########################################################################################
bw_say "part A: special files in the boot root"
NOTREG='ERROR 2 access violation: not a regular file (device, FIFO or socket)'
for name in tty fifo fifo-link; do
	expect_answer "RRQ of $name (octet)" "\\x00\\x01$name\\x00octet\\x00" "$NOTREG"
	expect_answer "RRQ of $name (netascii, tsize)" \
		"\\x00\\x01$name\\x00netascii\\x00tsize\\x000\\x00" "$NOTREG"
	still_serving "after the RRQs of $name a file is served"
done
expect_answer "RRQ of a directory" '\x00\x01dir\x00octet\x00' 'ERROR 1 not a regular file'
if bw_jhas "$BW_SRV_LOG" 'svc("tftp") and .level == "warn" and msg_has("refusing RRQ \"tty\": access violation: not a regular file")'; then
	bw_pass "the refusal is logged as a warning with the name"
else
	bw_fail "the refusal is logged" "$(bw_log_tail "$BW_SRV_LOG" 10)"
fi

###########################################################################################
bw_say "part B: malformed requests"
ILLEGAL='ERROR 4 illegal TFTP operation'
expect_answer "unknown opcode 0" '\x00\x00f\x00octet\x00' "$ILLEGAL: unknown opcode"
expect_answer "unknown opcode 7" '\x00\x07f\x00octet\x00' "$ILLEGAL: unknown opcode"
expect_answer "unknown opcode 0xffff" '\xff\xff\x00\x01' "$ILLEGAL: unknown opcode"
long=$(printf 'a%.0s' {1..1011}) # 2 + 1012 + 6 + 5 bytes
expect_answer "RRQ of 1025 bytes" "\\x00\\x01${long}\\x00octet\\x00abcd\\x00" \
	"$ILLEGAL: request too long"
long=$(printf 'b%.0s' {1..1387}) # 2 + 1388 + 6 + 4 bytes
expect_answer "RRQ of 1400 bytes" "\\x00\\x01${long}\\x00octet\\x00abc\\x00" \
	"$ILLEGAL: request too long"
# 2 + 65492 + 6 bytes: more than the server's receive buffer (65469), less than a UDP
# datagram's 65507: the server sees the first 65469 bytes
long=$(printf 'c%.0s' {1..65491})
expect_answer "RRQ of 65500 bytes (over the receive buffer)" "\\x00\\x01${long}\\x00octet\\x00" \
	"$ILLEGAL: request too long"
if bw_jhas "$BW_SRV_LOG" 'svc("tftp") and msg_has("refusing a packet of 1025 bytes: illegal TFTP operation: request too long (ERROR 4)")'; then
	bw_pass "the ERROR 4 is logged with the packet's size"
else
	bw_fail "the ERROR 4 is logged" "$(bw_log_tail "$BW_SRV_LOG" 10)"
fi
expect_answer "RRQ without the mode's NUL" '\x00\x01small.bin\x00octet' \
	"$ILLEGAL: malformed request"
expect_answer "RRQ without a mode" '\x00\x01small.bin\x00' "$ILLEGAL: malformed request"
expect_answer "RRQ with an empty option name" '\x00\x01small.bin\x00octet\x00\x00512\x00' \
	"$ILLEGAL: malformed request"
many=
for i in $(seq 1 17); do many+="x$i\\x00$i\\x00"; done
expect_answer "RRQ with 17 options" "\\x00\\x01small.bin\\x00octet\\x00$many" \
	"$ILLEGAL: too many options"
expect_answer "option without value after blksize" \
	'\x00\x01small.bin\x00octet\x00blksize\x001024\x00tsize\x00' 'OACK blksize=1024'
expect_answer "option without value and without NUL after tsize" \
	'\x00\x01small.bin\x00octet\x00tsize\x000\x00blksize' 'OACK tsize=3000'
expect_answer "the only option has no value: plain DATA" \
	'\x00\x01small.bin\x00octet\x00blksize\x00' 'DATA 1 512'
expect_answer "an ERROR on the request port" '\x00\x05\x00\x00x\x00' 'SILENT'
expect_answer "an ACK on the request port" '\x00\x04\x00\x01' 'SILENT'
expect_answer "one byte" '\x01' 'SILENT'
still_serving "after the malformed requests a file is served"

###########################################################################################
bw_say "part C: 20 netascii size probes of a 60 MiB file, then a small download"
bw_cli timeout 30 /usr/bin/python3 "$CRAFT" burst "$ADDR" "$PORT" big.bin 0 small.bin \
	>"$LOGS/burst.0.log" 2>&1 || true
bw_say "alone: small download: $(grep '^small_ms=' "$LOGS/burst.0.log" || cat "$LOGS/burst.0.log")"
for round in 1 2; do
	bw_cli timeout 60 /usr/bin/python3 "$CRAFT" burst "$ADDR" "$PORT" big.bin 20 small.bin \
		>"$LOGS/burst.$round.log" 2>&1 || true
	line=$(grep '^small_ms=' "$LOGS/burst.$round.log" || true)
	bw_say "round $round: small download during the probes: ${line:-none}," \
		"all probes answered after $(grep '^probes_ms=' "$LOGS/burst.$round.log" || echo -)"
	if [[ $line == *"small_bytes=3000" ]]; then
		bw_pass "round $round: the small download completes during the probes"
	else
		bw_fail "round $round: the small download completes" "$(cat "$LOGS/burst.$round.log")"
	fi
	n_ok=$(grep -c "^probe tsize=$BIG_NA\$" "$LOGS/burst.$round.log" || true)
	if [[ $n_ok == 20 ]]; then
		bw_pass "round $round: all 20 probes get tsize=$BIG_NA"
	else
		bw_fail "round $round: all 20 probes get tsize=$BIG_NA" "$n_ok did" \
			"$(sort "$LOGS/burst.$round.log" | uniq -c)"
	fi
done

truncate -s $(((64 << 20) + 1)) "$ROOT/huge.bin"
expect_answer "netascii RRQ of a file over 64 MiB" '\x00\x01huge.bin\x00netascii\x00tsize\x000\x00' \
	'ERROR 4 file too large for netascii mode'
expect_answer "octet RRQ of the same file" '\x00\x01huge.bin\x00octet\x00tsize\x000\x00' \
	"OACK tsize=$(((64 << 20) + 1))"

###########################################################################################
bw_say "part D: live clients"
rc=0
bw_run "$LOGS/hpa.log" 30 tftp "$ADDR" "$PORT" -m binary -c get small.bin "$OUT/hpa.bin" || rc=$?
grep -q 'Error code' "$LOGS/hpa.log" && rc=1
bw_check_download "tftp-hpa get (octet)" "$rc" "$ROOT/small.bin" "$OUT/hpa.bin" "$LOGS/hpa.log" ||
	true
rc=0
bw_run "$LOGS/hpa-na.log" 30 tftp "$ADDR" "$PORT" -m ascii -c get text.txt "$OUT/hpa.txt" || rc=$?
grep -q 'Error code' "$LOGS/hpa-na.log" && rc=1
printf 'line one\nline two\r\nlast\n' >"$T/text.expected"
bw_check_download "tftp-hpa get (netascii)" "$rc" "$T/text.expected" "$OUT/hpa.txt" \
	"$LOGS/hpa-na.log" || true
rc=0
bw_run "$LOGS/atftp.log" 30 atftp --option "blksize 1468" --option "tsize 0" -g -r small.bin \
	-l "$OUT/atftp.bin" "$ADDR" "$PORT" || rc=$?
bw_check_download "atftp get (blksize 1468, tsize)" "$rc" "$ROOT/small.bin" "$OUT/atftp.bin" \
	"$LOGS/atftp.log" || true
rc=0
bw_run "$LOGS/get-na.log" 30 "$TFTP_GET" -r 3 -m netascii -s -o "$OUT/na.txt" "$ADDR" "$PORT" \
	text.txt || rc=$?
bw_check_download "tftp_get netascii with tsize" "$rc" "$T/text.expected" "$OUT/na.txt" \
	"$LOGS/get-na.log" || true
still_serving "a file is served at the end"
bw_stop_server
bw_summary
