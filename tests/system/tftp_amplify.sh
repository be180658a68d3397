#!/usr/bin/env bash
# tftp_amplify: a spoofed RRQ cannot turn the server into an amplifier (issue 11).
#   Three namespaces: the server (listening on 10.99.81.1 towards the attacker; 10.99.82.1
#   towards the victim, so its answers to the victim leave from 10.99.81.1 on that link), an attacker (10.99.81.2) and a victim (10.99.82.2) that never answers (its
#   output is dropped by nftables; tcpdump on its interface sees what arrives).
#   1. The attacker downloads a small file from its own address and notes the port the
#      server answered from (with a shared transfer socket: the port every transfer uses).
#   2. It sends an RRQ with the victim's address as source (blksize 1468, windowsize 64),
#      then blind ACKs of blocks 0..50, also from the victim's address, to that port and to
#      a few guessed ports near it and elsewhere (never the port the victim's transfer really
#      has, read with ss, so the outcome does not depend on luck).
#   3. The victim must receive at most what one RRQ earns an address that never answered:
#      the OACK and its retransmissions, RETRIES + 1 UDP datagrams (timeout_ms 1000,
#      retries 5: at most 6 datagrams, every one an OACK, no DATA, no ERROR). The figures
#      and the amplification factor (UDP bytes to the victim / bytes the attacker spoofed)
#      are printed; so are the ICMP port unreachables the server's kernel sends for ACKs to
#      ports nobody has open (not bootwire's, rate-limited by the kernel, as for any host).
#   4. A live client (tftp-hpa) from the attacker's address still downloads the file.
# Run: sudo bash tests/system/tftp_amplify.sh   (BOOTWIRE=..., BW_KEEP=1 keeps the capture)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds tftp tcpdump nft ss jq timeout /usr/bin/python3
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "the bound is bootwire's contract"
bw_setup_trap
bw_make_work

RETRIES=5
TIMEOUT_MS=1000
BOUND=$((RETRIES + 1))
SRV=10.99.81.1
ATT=10.99.81.2
VIC=10.99.82.2
VPORT=40000 # the victim's "client port" in the spoofed packets
T=$BW_WORK
ROOT=$T/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
bw_mkfile "$ROOT/big.bin" $((4 << 20))
bw_mkfile "$ROOT/small.bin" 100

# ---- the three namespaces
bw_netns_pair "bwamp-s$$" "bwamp-a$$" 81
NS_S=$BW_SRV_NS
NS_A=$BW_CLI_NS
NS_V=bwamp-v$$
ip netns add "$NS_V"
BW_NETNS_LIST+=("$NS_V")
ip link add bwvs$$ netns "$NS_S" type veth peer name bwvv$$ netns "$NS_V"
ip -n "$NS_V" link set lo up
ip -n "$NS_S" addr add 10.99.82.1/24 dev bwvs$$
ip -n "$NS_V" addr add "$VIC/24" dev bwvv$$
ip -n "$NS_S" link set bwvs$$ up
ip -n "$NS_V" link set bwvv$$ up
# the spoofed packets arrive on the attacker's link: no reverse-path filter on the server
for k in all default "$BW_SRV_IF" bwvs$$; do
	ip netns exec "$NS_S" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"
done
# the victim never answers (no ICMP either); ARP is not IP, so it still resolves
ip netns exec "$NS_V" nft -f - <<'NFT'
table inet bwamp {
	chain out {
		type filter hook output priority 0; policy drop;
	}
}
NFT
for ((i = 0; i < 50; i++)); do
	ip -n "$NS_V" link show dev bwvv$$ | grep -q LOWER_UP && break
	sleep 0.1
done

# ---- the server
bw_start_tftp "$ROOT" "$SRV" 69 --log-format json --timeout-ms "$TIMEOUT_MS" \
	--retries "$RETRIES" --windowsize-max 64
SRV_LOG=$BW_SRV_LOG

# ---- the capture on the victim's side
CAP=$T/victim.pcap
bw_spawn "$NS_V" "$T/tcpdump.log" tcpdump -i bwvv$$ -nn -U -s 128 -w "$CAP" \
	"src host $SRV"
TCPDUMP_PID=$BW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$T/tcpdump.log" 2>/dev/null && break
	sleep 0.05
done
grep -q 'listening on' "$T/tcpdump.log" || {
	bw_fail "tcpdump did not start" "$(cat "$T/tcpdump.log")"
	bw_summary
}

# ---- the attacker: plain sockets for its own download, a raw socket for the spoofed ones
ATTACK=$T/attack.py
cat >"$ATTACK" <<'PY'
import socket, struct, sys, time

SRV, VIC, VPORT = sys.argv[2], sys.argv[3], int(sys.argv[4])

def discover():
    """Our own RRQ of small.bin: the port the server answers from."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(b"\0\1small.bin\0octet\0", (SRV, 69))
    data, frm = s.recvfrom(2048)
    s.sendto(b"\0\4" + data[2:4], frm)  # ACK the one block: the transfer ends cleanly
    print(frm[1])

def spoof(raw, dport, payload):
    """One UDP datagram from VIC:VPORT; the kernel fills the IP checksum and id; UDP
    checksum 0 (none, allowed over IPv4). Returns the IP datagram's length."""
    udp = struct.pack("!HHHH", VPORT, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(VIC), socket.inet_aton(SRV))
    raw.sendto(ip + udp, (SRV, 0))
    return len(ip) + len(udp)

def rawsock():
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    return raw

def rrq():
    n = spoof(rawsock(), 69, b"\0\1big.bin\0octet\0blksize\0" + b"1468\0windowsize\0" + b"64\0")
    print(1, n)

def acks(ports):
    """ACK 0..50 to each port, as a blind attacker would (2 ms apart: bounded, 51 each)."""
    raw, pkts, total = rawsock(), 0, 0
    for block in range(51):
        for p in ports:
            total += spoof(raw, p, struct.pack("!HH", 4, block))
            pkts += 1
        time.sleep(0.002)
    print(pkts, total)

{"discover": lambda: discover(), "rrq": lambda: rrq(),
 "acks": lambda: acks([int(p) for p in sys.argv[5].split(",")])}[sys.argv[1]]()
PY
attack()
{
	ip netns exec "$NS_A" timeout 20 /usr/bin/python3 "$ATTACK" "$1" "$SRV" "$VIC" "$VPORT" \
		"${2:-}"
}

if ! PORT0=$(attack discover) || [[ -z $PORT0 ]]; then
	bw_fail "the attacker's own download of small.bin" "$(bw_log_tail "$SRV_LOG" 10)"
	bw_summary
fi
bw_say "the server answered the attacker's own RRQ from port $PORT0"
# every UDP port the server has open but 69, before and after the spoofed RRQ: a port that
# appears with it belongs to the victim's transfer
server_ports()
{
	ip netns exec "$NS_S" ss -Hlun "src $SRV" | awk '{print $4}' | sed 's/.*://' |
		grep -vx 69 | sort -n || true
}
BEFORE=$(server_ports)
read -r RRQ_PKTS RRQ_BYTES < <(attack rrq)
sleep 0.2
AFTER=$(server_ports)
NEW=$(comm -13 <(echo "$BEFORE") <(echo "$AFTER") | tr '\n' ' ')
bw_say "server's UDP ports before the spoofed RRQ: ${BEFORE//$'\n'/ }; after: ${AFTER//$'\n'/ }"
guesses=()
for p in "$PORT0" $((PORT0 + 1)) $((PORT0 + 2)) $((PORT0 - 1)) 32768 45000 60999; do
	# a blind attacker cannot know the victim's transfer port: a guess that hits it by
	# luck is left out, so the outcome does not depend on the kernel's draw
	[[ " $NEW " == *" $p "* ]] || guesses+=("$p")
done
bw_say "blind ACKs 0..50 from $VIC:$VPORT to ports ${guesses[*]}"
read -r ACK_PKTS ACK_BYTES < <(attack acks "$(
	IFS=,
	echo "${guesses[*]}"
)")

# ---- wait for the server to give up on the victim's transfer (bounded)
if bw_jwait "$SRV_LOG" ".peer == \"$VIC:$VPORT\" and (.msg | test(\"failed|sent\"))" \
	$(((TIMEOUT_MS << (RETRIES + 1)) / 1000 + 10)); then # the timer doubles: 1+2+..+32 s
	bw_pass "the server ended the victim's transfer: $(bw_jlines "$SRV_LOG" \
		".peer == \"$VIC:$VPORT\" and (.msg | test(\"failed|sent\"))" | head -n 1)"
else
	bw_fail "the server ended the victim's transfer" "$(bw_log_tail "$SRV_LOG" 10)"
fi
sleep 0.5
bw_stop "$TCPDUMP_PID" 5 || true

# ---- what reached the victim: datagrams, IP bytes, TFTP opcodes (pcap read by hand)
read -r V_PKTS V_BYTES V_DATA V_OACK V_OTHER V_ICMP V_ICMP_BYTES < <(/usr/bin/python3 - "$CAP" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
le = b[:4] == b"\xd4\xc3\xb2\xa1"
e = "<" if le else ">"
link = struct.unpack(e + "I", b[20:24])[0]
hdr = 14 if link == 1 else 16  # Ethernet, or Linux cooked
off, n, by, data, oack, other, icmp, icmp_by = 24, 0, 0, 0, 0, 0, 0, 0
while off + 16 <= len(b):
    incl, orig = struct.unpack(e + "II", b[off + 8:off + 16])
    pkt = b[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = pkt[hdr:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
        icmp += 1  # the kernel's port unreachable for a guessed port (not UDP)
        icmp_by += orig - hdr
        continue
    ihl = (ip[0] & 15) * 4
    op = struct.unpack("!H", ip[ihl + 8:ihl + 10])[0] if len(ip) >= ihl + 10 else 0
    n += 1
    by += orig - hdr
    if op == 3: data += 1
    elif op == 6: oack += 1
    else: other += 1
print(n, by, data, oack, other, icmp, icmp_by)
PY
)
ATT_BYTES=$((RRQ_BYTES + ACK_BYTES))
ATT_PKTS=$((RRQ_PKTS + ACK_PKTS))
FACTOR=$(awk -v v="$V_BYTES" -v a="$ATT_BYTES" 'BEGIN { printf "%.2f", v / a }')
bw_say "attacker spoofed $ATT_PKTS datagrams, $ATT_BYTES bytes; the victim received" \
	"$V_PKTS datagrams, $V_BYTES bytes (DATA $V_DATA, OACK $V_OACK, other $V_OTHER):" \
	"amplification ${FACTOR}x; besides, the server's kernel sent $V_ICMP ICMP packets" \
	"($V_ICMP_BYTES bytes: port unreachable for guessed ports, rate-limited by the kernel)"
if ((V_PKTS <= BOUND && V_DATA == 0 && V_OTHER == 0)); then
	bw_pass "the victim got $V_PKTS datagrams ($V_BYTES bytes), all OACKs: at most retries + 1 = $BOUND, no DATA (amplification ${FACTOR}x)"
else
	bw_fail "the victim got at most retries + 1 = $BOUND datagrams, OACKs only" \
		"got $V_PKTS datagrams, $V_BYTES bytes: DATA $V_DATA, OACK $V_OACK, other $V_OTHER" \
		"for $ATT_PKTS spoofed datagrams, $ATT_BYTES bytes: amplification ${FACTOR}x"
fi

# ---- a live client still gets the file
BW_CLI_NS=$NS_A
rc=0
bw_run "$T/tftp.log" 60 tftp -m binary "$SRV" -c get big.bin "$T/got.bin" || rc=$?
bw_check_download "tftp-hpa from $ATT downloads big.bin (4 MiB) byte-exact" "$rc" \
	"$ROOT/big.bin" "$T/got.bin" "$T/tftp.log" || true
bw_stop_server
bw_summary
