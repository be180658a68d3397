#!/usr/bin/env bash
# reload: live reload of `bootwire serve` (SIGHUP and `bootwire reload -c FILE`), with DHCP
# (server mode), TFTP and HTTP running, a profile, a machine and a reservation. Namespaces:
# a server and a client joined by two veth pairs, one for DHCP (10.99.91.0/24, the client
# side gets addresses by DHCP on macvlans, one MAC per client) and one for TFTP and HTTP
# (server 10.99.92.1, client 10.99.92.2). The log is JSON (log.format json), read with jq.
#
#   during a TFTP transfer: a slow download (small blocks, a client that dawdles) and a
#             rate-limited HTTP download are running when `bootwire reload` applies a valid
#             change (tftp.retries, the profile's cmdline, log.level debug); both complete
#             byte-exact; the reload is logged and nothing "needs a restart"; boot.ipxe
#             (HTTP) and boot-MAC.ipxe (TFTP) show the new cmdline; debug lines appear;
#             a client that never ACKs is abandoned after the new number of retries
#   during a DHCP exchange: a client has its OFFER when SIGHUP changes the subnet's DNS and
#             a reservation's address; its REQUEST gets the ACK for the offered address
#             (with the new DNS); a bound udhcpc renews its address after the reload; a new
#             client gets the new DNS, the reserved MAC its new address
#   invalid:  a YAML error, an unknown key and a bad value: `bootwire reload` exits non-zero
#             naming file:line and signals nothing; SIGHUP with such a file: the daemon logs
#             file:line and "keeping the running configuration", and goes on as before
#   sockets:  tftp.port, http.port, dhcp.interfaces and dhcp.mode changed (beside a valid
#             change): each logged as "needs a restart", nothing else is; the old ports
#             still serve, the new ones do not, DHCP stays in server mode on its one
#             interface; a subnet's new range is reported and the old one still serves;
#             the file put back: a reload reports nothing to restart
#   storm:    20 SIGHUPs in a row during a transfer: the daemon lives, the transfer
#             completes, TFTP, HTTP and DHCP answer
#   pid file: `bootwire reload` with a missing, garbled or stale pid file, or one naming a
#             process that is not bootwire: a clear error, non-zero, nobody signalled
#   stop:     SIGTERM after all this: exit 0, the pid file is removed
#   nobody:   `user: nobody` with HTTPS and a key only root reads: a reload (as nobody) applies
#             the profile change instead of failing on the key it cannot read any more
#
# Run: bash tests/system/reload.sh   (root; BOOTWIRE=..., BW_TOOLS_DIR=...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip jq curl busybox timeout cmp ss openssl
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "reload is bootwire's own"
bw_require_tools tftp_get
bw_require_scapy
bw_setup_trap
bw_make_work

W=$BW_WORK
SRV=bwrl-s-$$
CLI=bwrl-c-$$
bw_dhcp_pair "$SRV" "$CLI" 91
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
# the TFTP and HTTP link
SIF2=bwr$$
CIF2=bwq$$
ip link add "$SIF2" netns "$SRV" type veth peer name "$CIF2" netns "$CLI"
ip -n "$SRV" addr add 10.99.92.1/24 dev "$SIF2"
ip -n "$CLI" addr add 10.99.92.2/24 dev "$CIF2"
ip -n "$SRV" link set "$SIF2" up
ip -n "$CLI" link set "$CIF2" up
SADDR=10.99.92.1
# small client receive buffers, so that a rate-limited HTTP download keeps the server sending
ip netns exec "$CLI" sysctl -qw net.ipv4.tcp_rmem="4096 32768 65536"
TGET=$(bw_tool tftp_get)

MAC_P=02:bd:e1:00:00:01 # the machine entry (profile rescue)
MAC_B=02:bd:e1:00:00:0b # udhcpc that stays bound across the reloads
MAC_R=02:bd:e1:00:00:10 # has a reservation
MAC_D=02:bd:e1:00:00:0d # mid-DORA across a reload
MAC_P_HYP=${MAC_P//:/-}

ROOT=$W/root
mkdir -p "$ROOT/rescue"
bw_mkfile "$ROOT/rescue/vmlinuz" 4096
bw_mkfile "$ROOT/small.bin" 70000
bw_mkfile "$ROOT/slow.bin" $((1536 << 10))
bw_mkfile "$ROOT/http-big.bin" $((6 << 20))
CFG=$W/bootwire.yaml
PIDF=$W/bootwire.pid
DB=$W/leases.db

# The configuration, from these variables (write_cfg FILE).
GEN=1 RETRIES=3 LEVEL=info DNS=10.99.91.1 RESV_IP=10.99.91.10
TFTP_PORT=69 HTTP_PORT=8080 IFACES=$SIF MODE=server RANGE=10.99.91.100-10.99.91.150
write_cfg()
{
	cat >"$1" <<YAML
boot_root: $ROOT
pid_file: $PIDF
log: { level: $LEVEL, format: json }
tftp:
  listen: 0.0.0.0
  port: $TFTP_PORT
  timeout_ms: 100
  retries: $RETRIES
http: { enabled: true, listen: 0.0.0.0, port: $HTTP_PORT }
dhcp:
  enabled: true
  mode: $MODE
  interfaces: [$IFACES]
  lease_db: leases.db
  subnets:
    - { subnet: 10.99.91.0/24, range: $RANGE, router: 10.99.91.1,
        dns: [$DNS], lease_time: 600 }
  reservations:
    - { mac: "$MAC_R", ip: $RESV_IP, hostname: node-r }
profiles:
  rescue: { kernel: rescue/vmlinuz, cmdline: "console=ttyS0 gen=$GEN" }
machines:
  - { mac: "$MAC_P", profile: rescue }
YAML
}

# ---- the log (JSON, one object per line) ------------------------------------------------

LOG=$W/bootwire.log
# mark: the number of lines in the log so far (for jl FROM)
mark()
{
	wc -l <"$LOG"
}
# jl FILTER [FROM]: the log lines after line FROM for which the jq FILTER is true, compact.
jl()
{
	tail -n +"$((${2:-0} + 1))" "$LOG" | jq -R -c "fromjson? | select($1)" 2>/dev/null || true
}
jl_count()
{
	jl "$@" | wc -l
}
# jl_wait FILTER FROM SECONDS: until such a line exists (bounded).
jl_wait()
{
	local end=$((SECONDS + $3))
	while ((SECONDS <= end)); do # by the clock: each look costs a jq run
		[[ -n $(jl "$1" "$2") ]] && return 0
		sleep 0.1
	done
	return 1
}
# jq filters for the lines that matter
F_HUP='.service == "core" and (.msg | startswith("SIGHUP: reloading"))'
F_DONE='.service == "core" and (.msg | startswith("reloaded "))'
F_RESTART='(.msg | test("needs a restart"))'
F_KEEP='.level == "error" and (.msg | test("is not valid: keeping the running configuration"))'
F_ERR='.level == "error"'

# reload_wait FROM: waits for the "reloaded" line after FROM (10 s); true when it came.
reload_wait()
{
	jl_wait "$F_DONE" "$1" 10
}
# restart_keys FROM: the keys logged as "needs a restart" after FROM, sorted, one line.
restart_keys()
{
	jl "$F_RESTART" "$1" | jq -r '.msg | capture("reload: (?<k>[^ ]+) changed").k' | sort | xargs
}

# ---- clients ------------------------------------------------------------------------------

# A macvlan on the client's DHCP link for each MAC: every DHCP client has its own interface.
client_if()
{ # client_if MAC -> prints the interface name, creating it once
	local mac=$1 name
	name=mv${mac//:/}
	name=${name: -12}
	if ! ip -n "$CLI" link show dev "$name" >/dev/null 2>&1; then
		ip -n "$CLI" link add link "$CIF" name "$name" address "$mac" type macvlan mode bridge
		ip -n "$CLI" link set "$name" up
	fi
	printf '%s' "$name"
}

EV_U=$W/udhcpc.events
cat >"$W/udhcpc-script" <<SH
#!/bin/sh
printf '%s;ip=%s;dns=%s;router=%s;lease=%s;hostname=%s\n' "\$1" "\$ip" "\$dns" "\$router" \\
	"\$lease" "\$hostname" >>'$EV_U'
case \$1 in
bound|renew) ip addr replace "\$ip/\$subnet" dev "\$interface" ;;
deconfig) ip -4 addr flush dev "\$interface" ;;
esac
exit 0
SH
chmod 0755 "$W/udhcpc-script"
touch "$EV_U"

# udhcpc_once MAC: one DORA (udhcpc -n -q); sets UD_LINE to its "bound" event ("" if none).
udhcpc_once()
{
	local mac=$1 ifc n0 rc=0
	ifc=$(client_if "$mac")
	ip -n "$CLI" -4 addr flush dev "$ifc"
	n0=$(wc -l <"$EV_U")
	bw_run "$W/udhcpc-$ifc.log" 25 busybox udhcpc -i "$ifc" -n -q -t 5 -T 1 \
		-s "$W/udhcpc-script" || rc=$?
	UD_LINE=$(tail -n +"$((n0 + 1))" "$EV_U" | grep '^bound;' | head -n 1 || true)
	return "$rc"
}

# hget NAME URL: body into $W/NAME.body, status in CODE ("000" when curl failed), curl's
# exit status in CRC.
HCURL_OPTS=() # more curl options (--cacert for HTTPS)
hget()
{
	CRC=0
	CODE=$(ip netns exec "$CLI" curl -sS --max-time 20 "${HCURL_OPTS[@]}" -o "$W/$1.body" \
		-w '%{http_code}' "$2" 2>"$W/$1.err") || CRC=$?
}
BOOT_URL="http://$SADDR:$HTTP_PORT/boot.ipxe?mac=$MAC_P&arch=x86_64"

# cmdline_now: the gen= of boot.ipxe for MAC_P over HTTP ("none" when absent or not served).
cmdline_now()
{
	hget bootipxe "$BOOT_URL"
	if [[ $CODE == 200 ]] && grep -q 'console=ttyS0 gen=' "$W/bootipxe.body"; then
		grep -o 'gen=[0-9]*' "$W/bootipxe.body" | head -n 1
	else
		echo "none(status $CODE)"
	fi
}

# tget NAME REMOTE [PORT] [tftp_get options]: a quick TFTP download into $W/NAME; status in TRC.
tget()
{
	local name=$1 remote=$2 port=${3:-69}
	shift 3 || shift $#
	TRC=0
	bw_run "$W/tget-$name.log" 30 "$TGET" -o "$W/$name" --max-seconds 20 "$@" \
		"$SADDR" "$port" "$remote" || TRC=$?
}

# A client that sends one RRQ and never ACKs: the server retransmits block 1 until it gives
# up. Prints the local port, then sleeps.
cat >"$W/noack.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.92.2", 0))
print(s.getsockname()[1], flush=True)
s.sendto(b"\0\1small.bin\0octet\0", ("10.99.92.1", 69))
time.sleep(float(sys.argv[1]))
PY
NOACK_N=0
# noack_retransmits: how many retransmits the server made before abandoning such a client
# (from its "download failed" line), "none" when it did not within 15 s.
noack_retransmits()
{
	local from port pid line out
	NOACK_N=$((NOACK_N + 1))
	out=$W/noack-$NOACK_N.out # a new file each time: the spawn creates it asynchronously
	from=$(mark)
	bw_spawn "$CLI" "$out" "$BW_SCAPY_PY" "$W/noack.py" 15
	pid=$BW_LAST_PID
	for ((i = 0; i < 100; i++)); do
		port=$(head -n 1 "$out" 2>/dev/null || true)
		[[ -n $port ]] && break
		sleep 0.05
	done
	line=
	if [[ -n $port ]] && jl_wait ".peer == \"10.99.92.2:$port\" and (.msg | startswith(\"download failed\"))" "$from" 15; then
		line=$(jl ".peer == \"10.99.92.2:$port\" and (.msg | startswith(\"download failed\"))" "$from" | head -n 1)
	fi
	bw_stop "$pid" 3 || true
	if [[ -n $line ]]; then
		jq -r '.retransmits' <<<"$line"
	else
		echo none
	fi
}

# ---- start ---------------------------------------------------------------------------------

write_cfg "$CFG"
bw_say "start bootwire serve -c $(basename "$CFG")"
: >"$LOG"
bw_spawn "$SRV" "$LOG" "$BOOTWIRE" serve -c "$CFG" --allow-root
BW_SRV_PID=$BW_LAST_PID
# shellcheck disable=SC2034 # read by bw_check_download
BW_SRV_LOG=$LOG
if jl_wait '.service == "dhcp" and (.msg | test("^serving .* \\(server mode\\)"))' 0 10 &&
	jl_wait '.service == "tftp" and (.msg | startswith("listening on"))' 0 10 &&
	jl_wait '.service == "http" and (.msg | startswith("listening on"))' 0 10 &&
	bw_alive "$BW_SRV_PID"; then
	bw_pass "bootwire serve runs DHCP on $SIF, TFTP on :69 and HTTP on :8080 (JSON log)"
else
	bw_fail "bootwire serve did not start" "$(bw_log_tail "$LOG" 20)"
	bw_summary
fi
if [[ $(cat "$PIDF" 2>/dev/null) == "$BW_SRV_PID" ]]; then
	bw_pass "pid file $(basename "$PIDF") holds the daemon's pid $BW_SRV_PID"
else
	bw_fail "pid file: '$(cat "$PIDF" 2>/dev/null)', daemon pid $BW_SRV_PID"
fi
bad_json=$(grep -cv '^{.*}$' "$LOG" || true)
if [[ $bad_json == 0 ]]; then
	bw_pass "every log line is a JSON object"
else
	bw_fail "$bad_json log lines are not JSON" "$(grep -v '^{.*}$' "$LOG" | head -n 3)"
fi

# ---- the state before any reload ------------------------------------------------------------
g=$(cmdline_now)
if [[ $g == gen=1 ]]; then
	bw_pass "boot.ipxe over HTTP for $MAC_P: cmdline gen=1"
else
	bw_fail "boot.ipxe before the reloads: $g" "$(cat "$W/bootipxe.body" 2>/dev/null)"
fi
r=$(noack_retransmits)
if [[ $r == 3 ]]; then
	bw_pass "tftp.retries 3: a client that never ACKs is abandoned after 3 retransmits"
else
	bw_fail "a client that never ACKs: retransmits '$r' (want 3, tftp.retries)" "$(bw_log_tail "$LOG" 5)"
fi
if udhcpc_once "$MAC_R" && [[ $UD_LINE == "bound;ip=10.99.91.10;dns=10.99.91.1;"* ]]; then
	bw_pass "reservation: $MAC_R gets 10.99.91.10 (DNS 10.99.91.1)"
else
	bw_fail "reservation before the reloads" "event: ${UD_LINE:-none}" "$(bw_log_tail "$LOG" 5)"
fi
# a client that stays bound through every reload (udhcpc in the foreground)
IF_B=$(client_if "$MAC_B")
n0=$(wc -l <"$EV_U")
bw_spawn "$CLI" "$W/udhcpc-b.log" busybox udhcpc -f -i "$IF_B" -s "$W/udhcpc-script" -t 5 -T 1 -A 2
UPID=$BW_LAST_PID
for ((i = 0; i < 400; i++)); do # its own "bound" line (20 s at most)
	line=$(tail -n +"$((n0 + 1))" "$EV_U" | grep '^bound;' | head -n 1 || true)
	[[ -n $line ]] && break
	sleep 0.05
done
IP_B=$(sed -n 's/^bound;ip=\([^;]*\);.*/\1/p' <<<"$line")
if [[ -n $IP_B && $line == "bound;ip=$IP_B;dns=10.99.91.1;router=10.99.91.1;lease=600;"* ]]; then
	bw_pass "udhcpc ($MAC_B) bound to $IP_B, DNS 10.99.91.1"
else
	bw_fail "udhcpc ($MAC_B) did not bind" "event: ${line:-none}" "$(bw_log_tail "$W/udhcpc-b.log" 5)"
fi
if [[ $(jl_count '.level == "debug"') == 0 ]]; then
	bw_pass "log.level info: no debug lines yet"
else
	bw_fail "debug lines at log.level info" "$(jl '.level == "debug"' | head -n 3)"
fi

# ---- 1. reload during a TFTP transfer (and an HTTP download) --------------------------------
bw_say "reload during a TFTP transfer and an HTTP download"
rm -f "$W/slow.bin"
bw_spawn "$CLI" "$W/slow.log" timeout -k 2 90 "$TGET" -o "$W/slow.bin" -b 512 --ack-delay-ms 2 \
	--max-seconds 80 "$SADDR" 69 slow.bin
SLOW_PID=$BW_LAST_PID
bw_spawn "$CLI" "$W/hslow.log" timeout -k 2 90 curl -sS --max-time 80 --limit-rate 768K \
	-o "$W/http-big.bin" "http://$SADDR:8080/http-big.bin"
HSLOW_PID=$BW_LAST_PID
for ((i = 0; i < 200; i++)); do # both under way
	(($(stat -c %s "$W/slow.bin" 2>/dev/null || echo 0) > 65536)) &&
		(($(stat -c %s "$W/http-big.bin" 2>/dev/null || echo 0) > 65536)) && break
	sleep 0.05
done
GEN=2 RETRIES=4 LEVEL=debug
write_cfg "$CFG"
m1=$(mark)
rc=0
"$BOOTWIRE" reload -c "$CFG" >"$W/reload-1.out" 2>&1 || rc=$?
if [[ $rc == 0 ]] && grep -q "asked bootwire (pid $BW_SRV_PID) to reload" "$W/reload-1.out"; then
	bw_pass "bootwire reload -c FILE (pid file from the config): signals pid $BW_SRV_PID, exit 0"
else
	bw_fail "bootwire reload: exit $rc" "$(cat "$W/reload-1.out")"
fi
F_TSENT='.service == "tftp" and .msg == "sent" and .file == "slow.bin"'
F_HSENT='.service == "http" and .msg == "served" and .path == "/http-big.bin"'
if reload_wait "$m1" && [[ -n $(jl "$F_HUP" "$m1") ]]; then
	# the server logs a download when it has sent the last byte: neither line before the
	# reload's first line
	hup_at=$(tail -n +"$((m1 + 1))" "$LOG" |
		jq -R "fromjson? | select($F_HUP) | input_line_number" 2>/dev/null | head -n 1)
	hup_at=$((m1 + hup_at))
	before=$(head -n "$hup_at" "$LOG" | jq -R -c "fromjson? | select($F_TSENT or $F_HSENT)" 2>/dev/null)
	if [[ -z $before ]]; then
		bw_pass "log: SIGHUP: reloading ... reloaded (line $hup_at), while the TFTP and HTTP downloads run"
	else
		bw_fail "a download had ended before the reload (make them slower)" "$before"
	fi
else
	bw_fail "no reload in the log" "$(bw_log_tail "$LOG" 10)"
fi
k=$(restart_keys "$m1")
if [[ -z $k && $(jl_count "$F_ERR" "$m1") == 0 ]]; then
	bw_pass "tftp.retries, profiles.rescue.cmdline, log.level: nothing needs a restart, no error"
else
	bw_fail "a valid change reported as needing a restart: '$k'" "$(jl "$F_RESTART or $F_ERR" "$m1")"
fi
rc=0
bw_wait_pid "$SLOW_PID" 90 || rc=$?
bw_check_download "TFTP download running across the reload completes byte-exact" "$rc" \
	"$ROOT/slow.bin" "$W/slow.bin" "$W/slow.log"
sent=$(jl "$F_TSENT" "$m1")
if [[ -n $sent ]] && jq -e '.bytes == 1572864 and .blksize == 512' <<<"$sent" >/dev/null; then
	bw_pass "its \"sent\" line comes after the reload: $(jq -c '{bytes, blksize, retransmits}' <<<"$sent")"
else
	bw_fail "no \"sent\" line for slow.bin after the reload" "$(jl '.file == "slow.bin"')"
fi
rc=0
bw_wait_pid "$HSLOW_PID" 90 || rc=$?
bw_check_download "HTTP download running across the reload completes byte-exact" "$rc" \
	"$ROOT/http-big.bin" "$W/http-big.bin" "$W/hslow.log"
served=$(jl "$F_HSENT" "$m1")
if [[ -n $served ]] && jq -e '.status == 200 and .bytes == 6291456 and .end == "ok"' <<<"$served" >/dev/null; then
	bw_pass "its \"served\" line comes after the reload: $(jq -c '{status, bytes, seconds, "end": .end}' <<<"$served")"
else
	bw_fail "no \"served\" line for http-big.bin after the reload" "$(jl '.path == "/http-big.bin"')"
fi
g=$(cmdline_now)
if [[ $g == gen=2 ]]; then
	bw_pass "boot.ipxe over HTTP after the reload: the new cmdline (gen=2)"
else
	bw_fail "boot.ipxe after the reload: $g (want gen=2)" "$(cat "$W/bootipxe.body" 2>/dev/null)"
fi
tget bootmac "boot-$MAC_P_HYP.ipxe"
if [[ $TRC == 0 ]] && grep -q 'gen=2' "$W/bootmac"; then
	bw_pass "boot-$MAC_P_HYP.ipxe over TFTP after the reload: gen=2"
else
	bw_fail "boot-MAC.ipxe over TFTP: rc $TRC" "$(cat "$W/bootmac" 2>/dev/null)" "$(cat "$W/tget-bootmac.log")"
fi
m=$(mark)
tget small1 small.bin 69
if [[ $TRC == 0 ]] && cmp -s "$ROOT/small.bin" "$W/small1" &&
	jl_wait '.level == "debug" and .service == "tftp" and (.msg | test("^RRQ small.bin"))' "$m" 5; then
	bw_pass "log.level debug applies: the next RRQ has its debug line"
else
	bw_fail "no debug line after log.level: debug (rc $TRC)" "$(bw_log_tail "$LOG" 5)"
fi
r=$(noack_retransmits)
if [[ $r == 4 ]]; then
	bw_pass "tftp.retries 4 applies: the next silent client gets 4 retransmits"
else
	bw_fail "a client that never ACKs after the reload: retransmits '$r' (want 4)" "$(bw_log_tail "$LOG" 5)"
fi

# ---- 2. reload during a DHCP exchange -------------------------------------------------------
bw_say "reload during a DHCP exchange"
cat >"$W/dora.py" <<PY
# DISCOVER; once a file appears, REQUEST of what was offered (same xid). Prints "OFFER ADDR
# dns=A,B" and then "ACK ADDR dns=..." (or NAK, or "REPLY none").
import os, sys, time
sys.path.insert(0, "$BW_REPO_ROOT/tests/system")
from dhcp_craft import UDP, Wire, b2ip, dhcp, opt, parse_reply

def dns_of(p):
    i = 240
    while i + 1 < len(p) and p[i] != 255:
        if p[i] == 0:
            i += 1
            continue
        n = p[i + 1]
        if p[i] == 6:
            return ",".join(b2ip(p[i + 2 + k:i + 6 + k]) for k in range(0, n, 4))
        i += 2 + n
    return "-"

class RawWire(Wire):
    """Keeps the bytes of the last reply of each type, for the options parse_reply skips."""
    def __init__(self, iface):
        self.raw = {}
        super().__init__(iface)

    def _on_pkt(self, p):
        r = parse_reply(bytes(p[UDP].payload))
        if r:
            self.raw[r["type"]] = bytes(p[UDP].payload)
        super()._on_pkt(p)

iface, mac, go = sys.argv[1:4]
xid = 0x5E1F0000 | (os.getpid() & 0xFFFF)
prl = opt(55, bytes([1, 3, 6, 12, 15, 51, 54]))
w = RawWire(iface)
try:
    w.send(mac, dhcp(mac, xid, 1, prl))
    r = w.wait(xid, 5)
    if not r or r["type"] != "OFFER":
        print("OFFER none", flush=True)
        sys.exit(1)
    print("OFFER %s dns=%s" % (r["yiaddr"], dns_of(w.raw["OFFER"])), flush=True)
    end = time.time() + 60
    while not os.path.exists(go) and time.time() < end:
        time.sleep(0.05)
    w.replies.pop(xid, None)
    w.send(mac, dhcp(mac, xid, 3, prl + opt(50, r["yiaddr_b"]) + opt(54, r["sid_b"])))
    a = w.wait(xid, 5)
    if not a:
        print("REPLY none", flush=True)
    else:
        print("%s %s dns=%s" % (a["type"], a["yiaddr"], dns_of(w.raw.get(a["type"], b""))),
              flush=True)
finally:
    w.close()
PY
IF_D=$(client_if "$MAC_D")
rm -f "$W/dora.go"
bw_spawn "$CLI" "$W/dora.out" timeout -k 2 90 "$BW_SCAPY_PY" "$W/dora.py" "$IF_D" "$MAC_D" "$W/dora.go"
DORA_PID=$BW_LAST_PID
bw_wait_file_re "$W/dora.out" '^OFFER ' 20 || true
offer=$(grep '^OFFER ' "$W/dora.out" || true)
IP_D=$(sed -n 's/^OFFER \([0-9.]*\) .*/\1/p' <<<"$offer")
if [[ -n $IP_D && $offer == "OFFER $IP_D dns=10.99.91.1" ]]; then
	bw_pass "mid-DORA client ($MAC_D): OFFER $IP_D with DNS 10.99.91.1"
else
	bw_fail "mid-DORA client: no OFFER" "${offer:-none}" "$(cat "$W/dora.out")" "$(bw_log_tail "$LOG" 5)"
fi
DNS=10.99.91.53 RESV_IP=10.99.91.11
write_cfg "$CFG"
m2=$(mark)
kill -HUP "$(cat "$PIDF")"
if reload_wait "$m2"; then
	bw_pass "kill -HUP \$(cat pid_file): reloaded (DNS 10.99.91.53, reservation 10.99.91.11)"
else
	bw_fail "no reload after SIGHUP" "$(bw_log_tail "$LOG" 10)"
fi
k=$(restart_keys "$m2")
if [[ -z $k && $(jl_count "$F_ERR" "$m2") == 0 ]]; then
	bw_pass "dhcp.subnets options and dhcp.reservations: nothing needs a restart, no error"
else
	bw_fail "a valid DHCP change reported as needing a restart: '$k'" "$(jl "$F_RESTART or $F_ERR or .level == \"warn\"" "$m2")"
fi
touch "$W/dora.go"
rc=0
bw_wait_pid "$DORA_PID" 30 || rc=$?
ack=$(grep -E '^(ACK|NAK|REPLY|OFFER none)' "$W/dora.out" | tail -n 1 || true)
if [[ $rc == 0 && $ack == "ACK $IP_D dns=10.99.91.53" ]]; then
	bw_pass "its REQUEST after the reload: ACK $IP_D, with the new DNS"
else
	bw_fail "REQUEST after the reload: '${ack:-none}' (want ACK $IP_D dns=10.99.91.53), rc $rc" \
		"$(cat "$W/dora.out")" "$(jl ".msg | test(\"$MAC_D\")" | tail -n 3)"
fi
bw_wait_file_re "$LOG" "ACK $IP_D" 5 || true
if [[ $(bw_lease "$DB" "$IP_D" "$MAC_D" state) == bound ]]; then
	bw_pass "the lease $IP_D $MAC_D is bound in the database"
else
	bw_fail "lease of the mid-DORA client" "$("$BOOTWIRE" leases --db "$DB" --json --all)"
fi
n0=$(wc -l <"$EV_U")
kill -USR1 "$UPID" 2>/dev/null || true
bw_wait_file_re "$EV_U" "^renew;ip=$IP_B;" 10 || true
line=$(tail -n +"$((n0 + 1))" "$EV_U" | grep '^renew;' | head -n 1 || true)
if [[ -n $IP_B && $line == "renew;ip=$IP_B;dns=10.99.91.53;"* ]]; then
	bw_pass "the lease bound before the reloads renews: $IP_B again, now with DNS 10.99.91.53"
else
	bw_fail "renew of $IP_B after the reload" "event: ${line:-none}" "$(bw_log_tail "$W/udhcpc-b.log" 5)"
fi
if udhcpc_once 02:bd:e1:00:00:20 && [[ $UD_LINE == "bound;ip=10.99.91.1"[0-5][0-9]";dns=10.99.91.53;"* ]]; then
	bw_pass "a new client gets the new DNS: $UD_LINE"
else
	bw_fail "new client after the reload" "event: ${UD_LINE:-none}" "$(bw_log_tail "$LOG" 5)"
fi
if udhcpc_once "$MAC_R" && [[ $UD_LINE == "bound;ip=10.99.91.11;dns=10.99.91.53;"*";hostname=node-r" ]]; then
	bw_pass "the reserved MAC gets its new address 10.99.91.11"
else
	bw_fail "reservation after the reload (want 10.99.91.11)" "event: ${UD_LINE:-none}" \
		"$(jl ".msg | test(\"$MAC_R\")" | tail -n 3)"
fi

# ---- 3. invalid files ------------------------------------------------------------------------
bw_say "invalid files"
GOOD=$W/good.yaml
write_cfg "$GOOD"
# a YAML error: an unclosed flow sequence
{ cat "$GOOD"; printf 'extra: [1, 2\n'; } >"$W/bad-yaml.yaml"
# an unknown key in the tftp section
sed 's/^  retries: .*/  retrys: 4/' "$GOOD" >"$W/bad-key.yaml"
L_KEY=$(grep -n '^  retrys:' "$W/bad-key.yaml" | cut -d: -f1)
# a bad value: retries out of range
sed 's/^  retries: .*/  retries: 0/' "$GOOD" >"$W/bad-value.yaml"
L_VAL=$(grep -n '^  retries: 0' "$W/bad-value.yaml" | cut -d: -f1)
n_hup=$(jl_count "$F_HUP")
for bad in bad-yaml bad-key bad-value; do
	rc=0
	"$BOOTWIRE" reload -c "$W/$bad.yaml" --pid-file "$PIDF" >"$W/reload-$bad.out" 2>&1 || rc=$?
	case $bad in
	bad-yaml) want="$W/$bad.yaml:[0-9]+:" ;;
	bad-key) want="$W/$bad.yaml:$L_KEY:.*retrys" ;;
	bad-value) want="$W/$bad.yaml:$L_VAL:.*retries" ;;
	esac
	if [[ $rc != 0 ]] && grep -qE -- "$want" "$W/reload-$bad.out" &&
		grep -q "nothing was signalled" "$W/reload-$bad.out"; then
		bw_pass "bootwire reload $bad.yaml: exit $rc, $(grep -E -- "$want" "$W/reload-$bad.out" | head -n 1 | sed "s|$W/||")"
	else
		bw_fail "bootwire reload $bad.yaml: exit $rc (want non-zero, $want)" "$(cat "$W/reload-$bad.out")"
	fi
done
sleep 0.5
if [[ $(jl_count "$F_HUP") == "$n_hup" ]] && bw_alive "$BW_SRV_PID"; then
	bw_pass "none of them signalled the daemon"
else
	bw_fail "the daemon was signalled for an invalid file" "$(jl "$F_HUP" | tail -n 2)"
fi
# SIGHUP straight to the daemon with an invalid file in place
for bad in bad-yaml bad-key bad-value; do
	cp "$W/$bad.yaml" "$CFG"
	m=$(mark)
	kill -HUP "$BW_SRV_PID"
	case $bad in
	bad-yaml) want="^reload: $CFG:[0-9]+:" ;;
	bad-key) want="^reload: $CFG:$L_KEY:.*retrys" ;;
	bad-value) want="^reload: $CFG:$L_VAL:.*retries" ;;
	esac
	if jl_wait "$F_KEEP" "$m" 10 && [[ -n $(jl ".level == \"error\" and (.msg | test(\"$want\"))" "$m") ]] &&
		[[ -z $(jl "$F_DONE" "$m") ]]; then
		bw_pass "SIGHUP with $bad: $(jl ".level == \"error\" and (.msg | test(\"$want\"))" "$m" | jq -r .msg | head -n 1 | sed "s|$W/||"); keeping the running configuration"
	else
		bw_fail "SIGHUP with $bad: want an error '$want' and 'keeping the running configuration'" \
			"$(tail -n +"$((m + 1))" "$LOG" | head -n 6)"
	fi
done
g=$(cmdline_now)
if [[ $g == gen=2 ]]; then
	bw_pass "the running configuration stays: boot.ipxe still gen=2"
else
	bw_fail "boot.ipxe after the invalid reloads: $g (want gen=2)"
fi
if udhcpc_once 02:bd:e1:00:00:21 && [[ $UD_LINE == "bound;ip="*";dns=10.99.91.53;"* ]]; then
	bw_pass "DHCP still answers as before: $UD_LINE"
else
	bw_fail "DHCP after the invalid reloads" "event: ${UD_LINE:-none}" "$(bw_log_tail "$LOG" 5)"
fi
r=$(noack_retransmits)
if [[ $r == 4 ]]; then
	bw_pass "tftp.retries still 4 (the invalid file's 0 did not apply)"
else
	bw_fail "retransmits after the invalid reloads: '$r' (want 4)"
fi

# ---- 4. keys that need new sockets ---------------------------------------------------------
bw_say "socket changes"
GEN=3 TFTP_PORT=6969 HTTP_PORT=8081 IFACES="$SIF, $SIF2" MODE=proxy RANGE=10.99.91.160-10.99.91.200
write_cfg "$CFG"
m4=$(mark)
rc=0
"$BOOTWIRE" reload -c "$CFG" >"$W/reload-4.out" 2>&1 || rc=$?
if [[ $rc == 0 ]] && reload_wait "$m4"; then
	bw_pass "reload with tftp.port, http.port, dhcp.interfaces and dhcp.mode changed"
else
	bw_fail "reload with socket changes: exit $rc" "$(cat "$W/reload-4.out")" "$(bw_log_tail "$LOG" 8)"
fi
k=$(restart_keys "$m4")
# the subnet's range is not reload-safe either (its pool keeps its addresses)
if [[ $k == "dhcp.interfaces dhcp.mode dhcp.subnets[].range http.port tftp.port" ]] &&
	[[ $(jl_count "$F_RESTART and .level == \"warn\" and (.msg | test(\"keeping the running value\"))" "$m4") == 5 ]]; then
	bw_pass "logged as needing a restart (warn, keeping the running value): $k"
else
	bw_fail "needs-a-restart keys: '$k' (want dhcp.interfaces dhcp.mode dhcp.subnets[].range http.port tftp.port)" \
		"$(jl "$F_RESTART" "$m4")"
fi
F_SUBNET='.service == "dhcp" and .level == "warn" and (.msg | test("^[0-9]+ subnet\\(s\\) changed network, range or interface.*until a restart"))'
if [[ -n $(jl "$F_SUBNET" "$m4") ]]; then
	bw_pass "the subnet's new range: the dhcp service says it keeps the old settings until a restart"
else
	bw_fail "no warning about the subnet whose range changed" "$(jl '.service == "dhcp" and .level == "warn"' "$m4")"
fi
tget small2 small.bin 69
if [[ $TRC == 0 ]] && cmp -s "$ROOT/small.bin" "$W/small2"; then
	bw_pass "TFTP still serves on port 69"
else
	bw_fail "TFTP on port 69 after the reload: rc $TRC"
fi
tget small3 small.bin 6969 --timeout-ms 300 --retries 2 --max-seconds 5
if [[ $TRC != 0 ]]; then
	bw_pass "nothing serves TFTP on the new port 6969 (tftp_get exit $TRC)"
else
	bw_fail "TFTP answered on 6969 after a reload"
fi
g=$(cmdline_now)
if [[ $g == gen=3 ]]; then
	bw_pass "HTTP still on 8080, with the rest of the change applied (gen=3)"
else
	bw_fail "boot.ipxe on 8080 after the socket reload: $g (want gen=3)"
fi
hget newport "http://$SADDR:8081/boot.ipxe"
if [[ $CODE == 000 ]]; then
	bw_pass "nothing listens on the new HTTP port 8081 (curl exit $CRC)"
else
	bw_fail "HTTP answered on 8081 after a reload: $CODE"
fi
socks=$(ip netns exec "$SRV" ss -Hulnp 'sport = :67' | awk '{print $4}' | sort -u | xargs)
if [[ $socks == "0.0.0.0%$SIF:67" ]]; then
	bw_pass "DHCP sockets: only on $SIF ($socks)"
else
	bw_fail "DHCP sockets after adding $SIF2: '$socks' (want only $SIF)"
fi
if udhcpc_once 02:bd:e1:00:00:22 && [[ $UD_LINE == "bound;ip=10.99.91.1"[0-5][0-9]";"* ]]; then
	bw_pass "DHCP stays in server mode with the old range: a plain client gets an address ($UD_LINE)"
else
	bw_fail "a plain client after mode: proxy was reloaded (the mode needs a restart)" \
		"event: ${UD_LINE:-none}" "$(jl '.service == "dhcp"' | tail -n 3)"
fi
# the file put back as the daemon runs it: nothing to restart any more
GEN=4 TFTP_PORT=69 HTTP_PORT=8080 IFACES=$SIF MODE=server RANGE=10.99.91.100-10.99.91.150
write_cfg "$CFG"
m=$(mark)
kill -HUP "$BW_SRV_PID"
reload_wait "$m" || true
k=$(restart_keys "$m")
if [[ -n $(jl "$F_DONE" "$m") && -z $k && -z $(jl "$F_SUBNET" "$m") ]]; then
	bw_pass "the running values put back in the file: the reload reports nothing to restart"
else
	bw_fail "after putting the running ports back, the reload says: '${k:-no reload}' needs a restart" \
		"(the comparison must be with the values the daemon runs, not with the last file)" \
		"$(jl "$F_RESTART or $F_SUBNET" "$m")"
fi
g=$(cmdline_now)
if [[ $g == gen=4 ]]; then
	bw_pass "boot.ipxe: gen=4"
else
	bw_fail "boot.ipxe after putting the file back: $g"
fi

# ---- 5. a SIGHUP storm ---------------------------------------------------------------------
bw_say "20 SIGHUPs in a row during a transfer"
rm -f "$W/slow2.bin"
bw_spawn "$CLI" "$W/slow2.log" timeout -k 2 90 "$TGET" -o "$W/slow2.bin" -b 1024 --ack-delay-ms 1 \
	--max-seconds 80 "$SADDR" 69 slow.bin
SLOW_PID=$BW_LAST_PID
for ((i = 0; i < 100; i++)); do
	(($(stat -c %s "$W/slow2.bin" 2>/dev/null || echo 0) > 32768)) && break
	sleep 0.05
done
m5=$(mark)
for ((i = 0; i < 20; i++)); do
	kill -HUP "$BW_SRV_PID"
done
prev=-1
for ((i = 0; i < 40; i++)); do # until the count of reloads stops growing (20 s at most)
	sleep 0.5
	n=$(jl_count "$F_DONE" "$m5")
	((n == prev && n > 0)) && break
	prev=$n
done
n_done=$(jl_count "$F_DONE" "$m5")
if bw_alive "$BW_SRV_PID" && ((n_done >= 1 && n_done <= 20)) &&
	[[ $(jl_count "$F_ERR or $F_RESTART" "$m5") == 0 ]]; then
	bw_pass "20 SIGHUPs: alive, $n_done reloads done, no error, nothing to restart"
else
	bw_fail "SIGHUP storm: alive=$(bw_alive "$BW_SRV_PID" && echo yes || echo no), reloads $n_done" \
		"$(jl "$F_ERR or $F_RESTART" "$m5" | head -n 3)" "$(bw_log_tail "$LOG" 5)"
fi
rc=0
bw_wait_pid "$SLOW_PID" 90 || rc=$?
bw_check_download "TFTP download during the storm completes byte-exact" "$rc" \
	"$ROOT/slow.bin" "$W/slow2.bin" "$W/slow2.log"
tget small4 small.bin 69
if [[ $TRC == 0 ]] && cmp -s "$ROOT/small.bin" "$W/small4" && [[ $(cmdline_now) == gen=4 ]]; then
	bw_pass "after the storm: TFTP and HTTP (gen=4) answer"
else
	bw_fail "after the storm: TFTP rc $TRC, boot.ipxe $(cmdline_now)"
fi
if udhcpc_once 02:bd:e1:00:00:23 && [[ $UD_LINE == "bound;ip="*";dns=10.99.91.53;"* ]]; then
	bw_pass "after the storm: DHCP answers ($UD_LINE)"
else
	bw_fail "DHCP after the storm" "event: ${UD_LINE:-none}"
fi

# ---- 6. bootwire reload without a daemon to signal ------------------------------------------
bw_say "bootwire reload and bad pid files"
n_hup=$(jl_count "$F_HUP")
sleep 0.1 &
gone=$!
wait "$gone" || true
echo "$gone" >"$W/stale.pid"
bw_spawn "" "$W/sleep.log" sleep 120
OTHER_PID=$BW_LAST_PID
echo "$OTHER_PID" >"$W/other.pid"
echo "not a pid" >"$W/garbled.pid"
declare -A WANT=(
	[missing]="cannot read pid file $W/missing.pid"
	[garbled]="does not hold a process id"
	[stale]="process $gone from $W/stale.pid is gone"
	[other]="process $OTHER_PID from $W/other.pid is not bootwire"
)
for what in missing garbled stale other; do
	rc=0
	"$BOOTWIRE" reload -c "$CFG" --pid-file "$W/$what.pid" >"$W/reload-$what.out" 2>&1 || rc=$?
	if [[ $rc != 0 ]] && grep -qF -- "${WANT[$what]}" "$W/reload-$what.out"; then
		bw_pass "pid file $what: exit $rc, \"$(head -n 1 "$W/reload-$what.out" | sed "s|$W/||g")\""
	else
		bw_fail "bootwire reload with a $what pid file: exit $rc (want non-zero, '${WANT[$what]}')" \
			"$(cat "$W/reload-$what.out")"
	fi
done
sleep 0.5
if bw_alive "$OTHER_PID" && [[ $(jl_count "$F_HUP") == "$n_hup" ]]; then
	bw_pass "nobody was signalled (the sleep process lives, no reload in the log)"
else
	bw_fail "something was signalled: sleep alive=$(bw_alive "$OTHER_PID" && echo yes || echo no)" \
		"$(jl "$F_HUP" | tail -n 2)"
fi
bw_stop "$OTHER_PID" 3 || true

# ---- stop ------------------------------------------------------------------------------------
bw_stop "$UPID" 5 || true
if bw_stop "$BW_SRV_PID" 10 && [[ $BW_STOP_STATUS == 0 ]]; then
	bw_pass "SIGTERM after all the reloads: exit 0"
else
	bw_fail "SIGTERM: status $BW_STOP_STATUS (want 0)" "$(bw_log_tail "$LOG" 10)"
fi
if [[ ! -e $PIDF ]]; then
	bw_pass "the pid file is removed at exit"
else
	bw_fail "the pid file is still there after exit: $(cat "$PIDF")"
fi
[[ $(jl_count '.level == "error"' "$m5") == 0 ]] || bw_fail "errors in the log" "$(jl "$F_ERR" "$m5")"

# ---- 7. reload after the privilege drop ----------------------------------------------------
# `user: nobody` and HTTPS with a key only root can read (as docs/config.md allows): the
# daemon reads the key as root at start; a reload, as nobody, must not fail on it.
bw_say "reload as user nobody, HTTPS with a root-only key"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
	-subj "/CN=$SADDR" -addext "subjectAltName=IP:$SADDR" >"$W/openssl.log" 2>&1
chmod 0600 "$W/key.pem"
chmod 0644 "$W/cert.pem"
write_nobody()
{
	cat >"$W/nobody.yaml" <<YAML
boot_root: $ROOT
user: nobody
pid_file: $W/nobody.pid
log: { level: info, format: json }
tftp: { enabled: false }
http: { enabled: true, listen: $SADDR, port: 8443, tls_cert: cert.pem, tls_key: key.pem }
profiles:
  rescue: { kernel: rescue/vmlinuz, cmdline: "console=ttyS0 gen=$GEN" }
machines:
  - { mac: "$MAC_P", profile: rescue }
YAML
	chmod 0644 "$W/nobody.yaml"
}
GEN=10
write_nobody
LOG=$W/nobody.log
: >"$LOG"
bw_spawn "$SRV" "$LOG" "$BOOTWIRE" serve -c "$W/nobody.yaml"
NB_PID=$BW_LAST_PID
BOOT_URL="https://$SADDR:8443/boot.ipxe?mac=$MAC_P&arch=x86_64"
HCURL_OPTS=(--cacert "$W/cert.pem")
if jl_wait '.service == "core" and (.msg | startswith("running as user nobody"))' 0 10 &&
	[[ $(cmdline_now) == gen=10 ]]; then
	bw_pass "user: nobody, HTTPS on :8443 with a root-only key: boot.ipxe gen=10"
else
	bw_fail "the HTTPS daemon as nobody did not start" "$(bw_log_tail "$LOG" 8)"
fi
GEN=11
write_nobody
m=$(mark)
rc=0
"$BOOTWIRE" reload -c "$W/nobody.yaml" >"$W/reload-nobody.out" 2>&1 || rc=$?
if [[ $rc == 0 ]] && reload_wait "$m" && [[ $(jl_count "$F_ERR or $F_RESTART" "$m") == 0 ]]; then
	bw_pass "reload as nobody: reloaded, no error about the key it can no longer read"
else
	bw_fail "reload as nobody (exit $rc)" "$(cat "$W/reload-nobody.out")" \
		"$(tail -n +"$((m + 1))" "$LOG" | head -n 4)"
fi
g=$(cmdline_now)
if [[ $g == gen=11 ]]; then
	bw_pass "boot.ipxe over HTTPS after the reload: gen=11"
else
	bw_fail "boot.ipxe over HTTPS after the reload as nobody: $g (want gen=11)"
fi
if bw_stop "$NB_PID" 10 && [[ $BW_STOP_STATUS == 0 ]]; then
	bw_pass "SIGTERM: the HTTPS daemon exits 0"
else
	bw_fail "SIGTERM of the HTTPS daemon: status $BW_STOP_STATUS" "$(bw_log_tail "$LOG" 5)"
fi
bw_summary
