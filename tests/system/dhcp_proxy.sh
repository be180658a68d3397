#!/usr/bin/env bash
# dhcp_proxy: bootwire as proxyDHCP beside the LAN's own DHCP server (dnsmasq, addresses
# only), without a VM. Three namespaces this script creates, joined by a bridge: the boot
# server (bootwire on br0, 10.78.0.1), the LAN's DHCP server (dnsmasq, 10.78.0.254, range
# .100-.150) and a client. Crafted packets come from scapy (BW_PYTHON, default
# /usr/bin/python3), which also checks the replies.
#
#   (a) plain clients (busybox udhcpc, ISC dhclient) get their lease from dnsmasq; bootwire
#       sends nothing (capture on br0) and logs only debug "ignoring" lines, naming the
#       packet's xid
#   (b) a BIOS PXE DISCOVER (PXEClient:Arch:00000:UNDI:002001, option 93 = 0, from
#       0.0.0.0:68 to broadcast): bootwire OFFERs yiaddr 0.0.0.0, siaddr = itself,
#       file undionly.kpxe, option 60 "PXEClient", option 43 with discovery control, no
#       lease time; dnsmasq OFFERs the address; the PXE REQUEST for dnsmasq's address is
#       ACKed by dnsmasq and ignored by bootwire
#   (c) a REQUEST to port 4011, unicast from the client's address with ciaddr set: an ACK
#       with undionly.kpxe from port 4011 back to the request's source port
#   (d) UEFI HTTP boot DISCOVER (HTTPClient:Arch:00016:UNDI:003000, arch 16): without
#       dhcp.http_base bootwire stays silent; with it, the OFFER echoes "HTTPClient", names
#       http_base + ipxe.efi and has no option 43
#   (e) iPXE DISCOVERs (user class as RFC 3004 "\x04iPXE" and as iPXE sends it, "iPXE"):
#       boot.ipxe (http_base + boot.ipxe when set), never undionly.kpxe; option 60
#       "PXEClient" (iPXE ignores proxy offers without it) and no option 43
#
# Run: bash tests/system/dhcp_proxy.sh   (root; BOOTWIRE=...; BW_KEEP=1 keeps the logs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds dnsmasq ip timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own (no peer server to compare)"
PY=${BW_PYTHON:-/usr/bin/python3}
bw_setup_trap
bw_make_work

NS_S=bwdp-$$-s # boot server: br0, bootwire
NS_D=bwdp-$$-d # the LAN's DHCP server: dnsmasq
NS_C=bwdp-$$-c # the client
BW_CLI_NS=$NS_C # bw_run runs clients there
SRV=10.78.0.1
LAN=10.78.0.254
HTTP_BASE=http://$SRV:8080/
CMAC=52:54:00:cc:00:01
ROOT=$BW_WORK/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
HAVE_SCAPY=1
"$PY" -c 'import scapy' 2>/dev/null || HAVE_SCAPY=0
HAVE_TCPDUMP=1
command -v tcpdump >/dev/null 2>&1 || HAVE_TCPDUMP=0

# ---------------------------------------------------------------------------------------
# The network

for ns in "$NS_S" "$NS_D" "$NS_C"; do
	ip netns add "$ns"
	BW_NETNS_LIST+=("$ns")
	ip -n "$ns" link set lo up
done
ip -n "$NS_S" link add br0 type bridge
ip -n "$NS_S" addr add "$SRV/24" dev br0
ip -n "$NS_S" link add dp type veth peer name d0 netns "$NS_D"
ip -n "$NS_S" link add cp type veth peer name c0 netns "$NS_C"
ip -n "$NS_S" link set dp master br0
ip -n "$NS_S" link set cp master br0
ip -n "$NS_D" addr add "$LAN/24" dev d0
ip -n "$NS_C" link set c0 address "$CMAC"
for l in br0 dp cp; do ip -n "$NS_S" link set "$l" up; done
ip -n "$NS_D" link set d0 up
ip -n "$NS_C" link set c0 up
for ((i = 0; i < 50; i++)); do
	ip -n "$NS_C" link show dev c0 | grep -q LOWER_UP &&
		ip -n "$NS_D" link show dev d0 | grep -q LOWER_UP && break
	sleep 0.1
done
# The bridge forwards at once (no STP learning delay) so the first packets are not lost.
ip -n "$NS_S" link set br0 type bridge forward_delay 0 2>/dev/null || true

bw_spawn "$NS_D" "$BW_WORK/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
	--interface=d0 --bind-interfaces --dhcp-range=10.78.0.100,10.78.0.150,10m \
	--dhcp-leasefile="$BW_WORK/dnsmasq.leases" --pid-file="$BW_WORK/dnsmasq.pid" \
	--log-dhcp --log-facility=-
DM_PID=$BW_LAST_PID

# ---------------------------------------------------------------------------------------
# bootwire

# start_proxy [http_base]: bootwire serve in proxy mode on br0; BW_SRV_PID, BW_SRV_LOG.
start_proxy()
{
	local conf=$BW_WORK/proxy$((++N_CONF)).yaml i
	{
		printf 'boot_root: %s\n' "$ROOT"
		printf 'log: {level: debug}\n'
		printf 'tftp: {enabled: true, listen: %s}\n' "$SRV"
		printf 'dhcp:\n  enabled: true\n  mode: proxy\n  interfaces: [br0]\n'
		[[ -z ${1:-} ]] || printf '  http_base: %s\n' "$1"
	} >"$conf"
	BW_SRV_LOG=$BW_WORK/bootwire$N_CONF.log
	bw_say "start bootwire serve -c $(basename "$conf")${1:+ (http_base $1)}"
	bw_spawn "$NS_S" "$BW_SRV_LOG" "$BOOTWIRE" serve -c "$conf" --allow-root
	BW_SRV_PID=$BW_LAST_PID
	for ((i = 0; i < 200; i++)); do
		grep -q 'dhcp serving br0 as .* (proxy mode)' "$BW_SRV_LOG" && return 0
		bw_alive "$BW_SRV_PID" || break
		sleep 0.05
	done
	bw_log_tail "$BW_SRV_LOG" 20
	return 1
}
N_CONF=0

# start_capture NAME: tcpdump on br0; sets CAP_PID and CAP (empty without tcpdump).
start_capture()
{
	local i
	CAP=
	CAP_PID=
	((HAVE_TCPDUMP)) || return 0
	CAP=$BW_WORK/$1.pcap
	bw_spawn "$NS_S" "$BW_WORK/$1.tcpdump.log" tcpdump -i br0 -U -n -s 0 -w "$CAP" \
		'udp port 67 or udp port 68 or udp port 4011'
	CAP_PID=$BW_LAST_PID
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$BW_WORK/$1.tcpdump.log" 2>/dev/null && return 0
		bw_alive "$CAP_PID" || break
		sleep 0.05
	done
	CAP=
}

stop_capture()
{
	[[ -n $CAP_PID ]] || return 0
	sleep 0.3
	bw_stop "$CAP_PID" 5 || true
	CAP_PID=
}

# ---------------------------------------------------------------------------------------
# The scapy side: sends one scenario's packets from the client namespace and checks the
# replies. Prints "PASS<TAB>what" or "FAIL<TAB>what<TAB>detail..." lines, and "ADDR<TAB>ip"
# with the address dnsmasq handed out.
cat >"$BW_WORK/pxeclient.py" <<'PYEOF'
import random, socket, sys, time
from scapy.all import (AsyncSniffer, BOOTP, DHCP, Ether, IP, UDP, conf, get_if_hwaddr, sendp)

conf.verb = 0
cmd, iface, srv, lan = sys.argv[1:5]
extra = sys.argv[5:]
mac = get_if_hwaddr(iface)
chaddr = bytes.fromhex(mac.replace(":", "")) + b"\0" * 10
UUID = b"\0" + bytes(range(0x10, 0x20))
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 5: "ACK", 6: "NAK"}
PARAMS = [1, 3, 6, 12, 15, 17, 26, 28, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203]

def out(*f):
    print("\t".join(str(x) for x in f), flush=True)

def check(ok, what, *detail):
    out("PASS" if ok else "FAIL", what, *detail)
    return ok

def opts(p):
    o = {}
    for x in p[DHCP].options if DHCP in p else []:
        if isinstance(x, tuple) and len(x) >= 2:
            o[x[0]] = x[1]
    return o

def fname(b):
    return b.file.rstrip(b"\0").decode("ascii", "replace")

def desc(p):
    b, o = p[BOOTP], opts(p)
    keep = {k: v for k, v in o.items() if k not in ("param_req_list",)}
    return "%s:%d>%s:%d %s yiaddr=%s siaddr=%s file=%r %r" % (
        p[IP].src, p[UDP].sport, p[IP].dst, p[UDP].dport, TYPES.get(o.get("message-type"), "?"),
        b.yiaddr, b.siaddr, fname(b), keep)

def pxe_opts(mt, vc, arch, more=()):
    return ([("message-type", mt), ("max_dhcp_size", 1472),
             ("pxe_client_architecture", arch.to_bytes(2, "big")),
             ("pxe_client_network_interface", b"\x01\x02\x01"),
             ("vendor_class_id", vc), ("pxe_client_machine_identifier", UUID)]
            + list(more) + [("param_req_list", PARAMS), "end"])

def exchange(dopts, flags=0, secs=8.0, want=(), xid=None):
    """Broadcasts a request from 0.0.0.0:68; returns the replies with its xid. Stops early
    once a reply from every address in want has come."""
    xid = xid if xid is not None else random.getrandbits(32)
    pkt = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
           UDP(sport=68, dport=67) / BOOTP(op=1, xid=xid, flags=flags, chaddr=chaddr) /
           DHCP(options=dopts))
    got = []
    sn = AsyncSniffer(iface=iface, filter="udp and dst port 68", store=False,
                      prn=lambda p: got.append(p) if BOOTP in p and p[BOOTP].xid == xid else None)
    sn.start()
    time.sleep(0.3)
    sendp(pkt, iface=iface)
    t0 = time.time()
    while time.time() - t0 < secs:
        time.sleep(0.1)
        if want and all(w in {p[IP].src for p in list(got)} for w in want):
            time.sleep(0.5)  # anything else that comes with them
            break
    sn.stop()
    return xid, [p for p in got if p[BOOTP].op == 2]

def from_(replies, addr, mt=None):
    return [p for p in replies if p[IP].src == addr and (mt is None or opts(p).get("message-type") == mt)]

def all_desc(replies):
    return [desc(p) for p in replies] or ["(no replies)"]

def expect(what, p, conds):
    """One check for one reply: every (ok, text) in conds must hold; the failed ones and
    the packet are the detail."""
    bad = [t for ok, t in conds if not ok]
    return check(not bad, what, *(["wrong: " + "; ".join(bad)] if bad else []), desc(p))

def proxy_offer(what, p, want_file, vc, opt43, why60=""):
    """A proxyDHCP OFFER: boot information, no address, no lease."""
    b, o = p[BOOTP], opts(p)
    return expect(what + ": file %s, option 60 %s%s, %s, yiaddr 0, no lease, siaddr bootwire"
                  % (want_file, vc.decode(), why60, "option 43 discovery control 8" if opt43 else "no option 43"), p, [
        (b.yiaddr == "0.0.0.0", "yiaddr %s" % b.yiaddr),
        (b.siaddr == srv, "siaddr %s" % b.siaddr),
        (o.get("server_id") == srv, "server id %s" % o.get("server_id")),
        (fname(b) == want_file, "file %r" % fname(b)),
        (o.get("vendor_class_id") == vc, "option 60 %r" % o.get("vendor_class_id")),
        ((b"\x06\x01\x08" in o.get("vendor_specific", b"")) if opt43 else ("vendor_specific" not in o),
         "option 43 %r" % o.get("vendor_specific")),
        ("lease_time" not in o, "lease time %r" % o.get("lease_time")),
        (p[UDP].sport == 67 and p[UDP].dport == 68, "ports %d>%d" % (p[UDP].sport, p[UDP].dport)),
    ])

if cmd == "bios":
    # (b) BIOS PXE DISCOVER: bootwire's proxy OFFER and dnsmasq's address OFFER
    xid, rep = exchange(pxe_opts(1, b"PXEClient:Arch:00000:UNDI:002001", 0), want=(srv, lan))
    bw = from_(rep, srv, 2)
    dm = from_(rep, lan, 2)
    if check(len(bw) >= 1, "(b) BIOS PXE DISCOVER: bootwire answers with an OFFER", *all_desc(rep)):
        proxy_offer("(b) bootwire's OFFER", bw[0], "undionly.kpxe", b"PXEClient", True)
    check(len(from_(rep, srv)) == len(bw), "(b) bootwire sends only OFFERs", *all_desc(rep))
    if check(len(dm) >= 1, "(b) dnsmasq OFFERs an address to the same DISCOVER", *all_desc(rep)):
        ya = dm[0][BOOTP].yiaddr
        expect("(b) dnsmasq's OFFER: an address in its range, no boot file", dm[0], [
            (ya.startswith("10.78.0.") and 100 <= int(ya.split(".")[3]) <= 150, "yiaddr " + ya),
            (not fname(dm[0][BOOTP]), "file %r" % fname(dm[0][BOOTP]))])
        # the PXE client then REQUESTs dnsmasq's address: dnsmasq ACKs, bootwire stays silent
        _, rep2 = exchange(pxe_opts(3, b"PXEClient:Arch:00000:UNDI:002001", 0,
                                    [("server_id", lan), ("requested_addr", ya)]),
                           secs=3.0, xid=xid)
        check(len(from_(rep2, lan, 5)) >= 1, "(b) dnsmasq ACKs the PXE REQUEST for %s" % ya,
              *all_desc(rep2))
        check(not from_(rep2, srv), "(b) bootwire ignores the REQUEST on port 67 (not for it)",
              *all_desc(rep2))
        out("ADDR", ya)

elif cmd == "port4011":
    # (c) PXE boot server REQUEST: unicast from the client's address, ciaddr set
    cli = extra[0]
    xid = random.getrandbits(32)
    req = BOOTP(op=1, xid=xid, ciaddr=cli, chaddr=chaddr) / DHCP(
        options=pxe_opts(3, b"PXEClient:Arch:00000:UNDI:002001", 0))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((cli, 0))
    s.settimeout(4.0)
    port = s.getsockname()[1]
    s.sendto(bytes(req), (srv, 4011))
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        data, peer = None, None
    s.close()
    if check(data is not None, "(c) REQUEST to %s:4011 from %s:%d: a reply comes back to that port"
             % (srv, cli, port), "no reply within 4 s"):
        p = BOOTP(data)
        o = {x[0]: x[1] for x in p[DHCP].options if isinstance(x, tuple) and len(x) >= 2} if DHCP in p else {}
        d = "from %s:%d: %s yiaddr=%s ciaddr=%s siaddr=%s file=%r %r" % (
            peer[0], peer[1], TYPES.get(o.get("message-type"), "?"), p.yiaddr, p.ciaddr, p.siaddr,
            fname(p), {k: v for k, v in o.items()})
        check(peer == (srv, 4011) and p.op == 2 and p.xid == xid and o.get("message-type") == 5 and
              fname(p) == "undionly.kpxe" and p.siaddr == srv and o.get("vendor_class_id") == b"PXEClient",
              "(c) it is an ACK for our xid from %s:4011: file undionly.kpxe, siaddr %s, option 60 PXEClient"
              % (srv, srv), d)

elif cmd == "http":
    # (d) UEFI HTTP boot DISCOVER, broadcast flag set as OVMF sends it
    base = extra[0] if extra else ""
    xid, rep = exchange(pxe_opts(1, b"HTTPClient:Arch:00016:UNDI:003000", 16), flags=0x8000,
                        want=(srv, lan) if base else (lan,), secs=8.0 if base else 4.0)
    bw = from_(rep, srv)
    if not base:
        check(not bw, "(d) HTTP boot DISCOVER without dhcp.http_base: bootwire stays silent",
              *all_desc(rep))
    elif check(len(from_(rep, srv, 2)) >= 1, "(d) HTTP boot DISCOVER: bootwire answers with an OFFER",
               *all_desc(rep)):
        p = from_(rep, srv, 2)[0]
        url = base + "ipxe.efi"
        proxy_offer("(d) bootwire's OFFER", p, url, b"HTTPClient", False)
        o67 = opts(p).get("boot-file-name", b"").rstrip(b"\0")
        check(o67 == url.encode(), "(d) option 67 is %s" % url, desc(p))

elif cmd == "ipxe":
    # (e) iPXE: user class in RFC 3004 form and in the form iPXE really sends
    want_file = extra[0]
    for label, uc in (("user class \\x04iPXE", b"\x04iPXE"), ("user class iPXE, as iPXE sends it", b"iPXE")):
        xid, rep = exchange(pxe_opts(1, b"PXEClient:Arch:00000:UNDI:002001", 0, [("user_class", uc)]),
                            want=(srv, lan))
        bw = from_(rep, srv, 2)
        if check(len(bw) >= 1, "(e) iPXE DISCOVER (%s): bootwire answers with an OFFER" % label,
                 *all_desc(rep)):
            proxy_offer("(e) OFFER to iPXE (%s)" % label, bw[0], want_file, b"PXEClient", False,
                        " (iPXE ignores proxy offers without it)")
else:
    sys.exit("unknown command " + cmd)
PYEOF

# py CMD ARGS...: runs pxeclient.py in the client namespace (bounded), turns its lines into
# checks; sets PY_ADDR from an ADDR line.
py()
{
	local log=$BW_WORK/py-$1-$((++N_PY)).log rc=0 tag what rest
	local -a detail
	bw_run "$log" 60 "$PY" "$BW_WORK/pxeclient.py" "$1" c0 "$SRV" "$LAN" "${@:2}" || rc=$?
	while IFS=$'\t' read -r tag what rest; do
		case $tag in
		PASS) bw_pass "$what" ;;
		FAIL)
			IFS=$'\t' read -r -a detail <<<"$rest"
			bw_fail "$what" "${detail[@]}"
			;;
		ADDR) PY_ADDR=$what ;;
		esac
	done <"$log"
	if [[ $rc != 0 ]]; then
		bw_fail "scapy client '$1' exited with status $rc" "$(tail -n 15 "$log")"
	fi
}
N_PY=0
PY_ADDR=

# log_since N: bootwire's log lines after line N.
log_since()
{
	tail -n "+$(($1 + 1))" "$BW_SRV_LOG"
}

# ---------------------------------------------------------------------------------------
# (a) plain DHCP clients: dnsmasq's business only

if ! start_proxy; then
	bw_fail "bootwire did not start in proxy mode"
	bw_summary
fi
if ! bw_alive "$DM_PID"; then
	bw_fail "dnsmasq did not start" "$(cat "$BW_WORK/dnsmasq.log")"
	bw_summary
fi

log0=$(wc -l <"$BW_SRV_LOG")
start_capture plain
n_clients=0
if command -v busybox >/dev/null 2>&1 && busybox --list | grep -qx udhcpc; then
	cat >"$BW_WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
echo "event=$1 ip=$ip serverid=$serverid siaddr=$siaddr boot_file=$boot_file"
EOF
	chmod 0755 "$BW_WORK/udhcpc.sh"
	rc=0
	bw_run "$BW_WORK/udhcpc.log" 30 busybox udhcpc -f -q -n -t 5 -T 2 -i c0 -s "$BW_WORK/udhcpc.sh" || rc=$?
	line=$(grep '^event=bound' "$BW_WORK/udhcpc.log" || true)
	if [[ $rc == 0 && $line =~ ip=10\.78\.0\.(1[0-4][0-9]|150)\  && $line == *" serverid=$LAN "* &&
		$line =~ boot_file=$ ]]; then
		bw_pass "(a) udhcpc: lease from dnsmasq ($line)"
	else
		bw_fail "(a) udhcpc: no lease from dnsmasq (exit $rc)" "$(cat "$BW_WORK/udhcpc.log")"
	fi
	n_clients=$((n_clients + 1))
else
	bw_skip_check "(a) udhcpc" "no busybox udhcpc"
fi
if command -v dhclient >/dev/null 2>&1; then
	bw_spawn "$NS_C" "$BW_WORK/dhclient.log" dhclient -4 -d -1 -v -lf "$BW_WORK/dhclient.leases" \
		-pf "$BW_WORK/dhclient.pid" -sf /bin/true c0
	dh_pid=$BW_LAST_PID
	for ((i = 0; i < 200; i++)); do
		grep -q 'fixed-address' "$BW_WORK/dhclient.leases" 2>/dev/null && break
		bw_alive "$dh_pid" || break
		sleep 0.1
	done
	bw_stop "$dh_pid" 5 || true
	addr=$(grep -oE 'fixed-address [0-9.]+' "$BW_WORK/dhclient.leases" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
	sid=$(grep -oE 'dhcp-server-identifier [0-9.]+' "$BW_WORK/dhclient.leases" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
	if [[ $addr =~ ^10\.78\.0\.(1[0-4][0-9]|150)$ && $sid == "$LAN" ]]; then
		bw_pass "(a) dhclient: lease $addr from dnsmasq"
	else
		bw_fail "(a) dhclient: no lease from dnsmasq (address '${addr:-}', server '${sid:-}')" \
			"$(tail -n 12 "$BW_WORK/dhclient.log")"
	fi
	n_clients=$((n_clients + 1))
else
	bw_skip_check "(a) dhclient" "no dhclient"
fi
sleep 0.5 # a late reply would still show
stop_capture
if ((n_clients > 0)); then
	new=$(log_since "$log0" | grep " dhcp $CMAC" || true)
	if [[ -n $new ]] && ! grep -qv ' debug dhcp .*: ignoring [A-Z]*: not a PXE or HTTP boot client' <<<"$new"; then
		bw_pass "(a) bootwire logged only debug 'ignoring' lines for the plain clients ($(wc -l <<<"$new"))"
	else
		bw_fail "(a) bootwire's log for the plain clients is not only debug 'ignoring' lines" "${new:-(nothing logged)}"
	fi
	if [[ -n $CAP ]]; then
		sent=$(tcpdump -r "$CAP" -n "src host $SRV and (udp src port 67 or udp src port 4011)" 2>/dev/null || true)
		if [[ -z $sent ]]; then
			bw_pass "(a) bootwire sent no packet to the plain clients (capture on br0)"
		else
			bw_fail "(a) bootwire answered plain clients" "$sent"
		fi
		# the xid in bootwire's log line must be the packet's
		# shellcheck disable=SC2046 # one hex number per word
		xids=$(printf '%08x\n' $(tcpdump -r "$CAP" -n -v "src host 0.0.0.0 and udp dst port 67" 2>/dev/null |
			grep -oE 'xid 0x[0-9a-f]+' | sed 's/xid //') | sort -u)
		logged=$(grep -oE 'xid=0x[0-9a-f]+' <<<"$new" | sed 's/xid=0x//' | sort -u)
		bad=$(comm -13 <(printf '%s\n' "$xids") <(printf '%s\n' "$logged"))
		if [[ -n $xids && -n $logged && -z $bad ]]; then
			bw_pass "(a) every xid in bootwire's 'ignoring' lines is one the clients sent"
		else
			bw_fail "(a) bootwire's 'ignoring' lines name xids no client sent" \
				"on the wire: $(tr '\n' ' ' <<<"$xids")" "in the log: $(tr '\n' ' ' <<<"$logged")" \
				"$(head -n 3 <<<"$new")"
		fi
	else
		bw_skip_check "(a) no reply on the wire" "no tcpdump"
	fi
fi

# ---------------------------------------------------------------------------------------
# (b)-(e) crafted PXE, HTTP boot and iPXE packets

if ((HAVE_SCAPY == 0)); then
	bw_skip_check "(b)-(e) crafted PXE packets" "no scapy for $PY"
else
	py bios
	if [[ -n $PY_ADDR ]]; then
		# the client now has dnsmasq's address; a PXE client asks the boot server from it
		ip -n "$NS_C" addr add "$PY_ADDR/24" dev c0
		py port4011 "$PY_ADDR"
		ip -n "$NS_C" addr del "$PY_ADDR/24" dev c0
	else
		bw_fail "(c) skipped: no address from dnsmasq in (b)"
	fi
	py http
	py ipxe boot.ipxe
	bw_stop_server
	# the same with dhcp.http_base
	if start_proxy "$HTTP_BASE"; then
		py http "$HTTP_BASE"
		py ipxe "${HTTP_BASE}boot.ipxe"
		bw_stop_server
	else
		bw_fail "bootwire with http_base did not start"
	fi
fi
if bw_alive "$BW_SRV_PID"; then
	bw_stop_server
fi
bw_stop "$DM_PID" 5 || true
bw_summary
