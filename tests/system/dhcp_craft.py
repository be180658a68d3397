#!/usr/bin/python3
"""dhcp_craft: crafted DHCP traffic for tests/system/dhcp_*.sh (scapy; Debian's /usr/bin/python3).

Everything goes out as raw Ethernet frames on one interface, from 0.0.0.0:68 to
255.255.255.255:67, the way a client without an address talks. Run it only inside a network
namespace the test created.

  dhcp_craft.py cases --iface IF [options] CASE...
      Sends each CASE (the c_* functions below; `list` prints them) --gap seconds apart while
      sniffing the interface, then prints one line per packet sent (multi-step cases as they
      go, the others at the end):
        case=NAME mac=MAC xid=0x... len=BYTES reply=OFFER|ACK|NAK|BOOTREPLY|none
             yiaddr=A dst=ETHER/IP:PORT msg="option 56" opts=CODES
      `len` is the DHCP payload length, which the server's "dropping N-byte packet" log
      line repeats. Every case has its own MAC and xid.
  dhcp_craft.py flood --iface IF --count N --seconds S [--rate PPS]
      DISCOVERs from random MACs (locally administered, random xids), at most N of them
      and for at most S seconds, paced to about PPS (0: as fast as the socket takes them).
      Prints "started" (flushed) first, then "sent=N secs=S rate=R".
  dhcp_craft.py summary PCAP
      One line per DHCP packet in a capture (- for an absent option; t: seconds since the
      capture's first packet):
        TYPE xid=0x... ciaddr=A yiaddr=A chaddr=MAC opt50=A|- opt54=A|- src=IP:P dst=IP:P
             siaddr=A file=NAME|- opt60=TEXT|- opt43=HEX|- opt67=NAME|- t=SECS
  dhcp_craft.py pxe SCENARIO --iface IF --srv A --lan A [ARG]
      The proxyDHCP scenarios of dhcp_proxy.sh (bios, port4011 CLIENT_ADDR, http [BASE],
      ipxe WANT_FILE): PXE, UEFI HTTP boot and iPXE requests from IF beside a LAN DHCP server
      (--lan) and bootwire (--srv), with checks on the replies, one line each:
        PASS<TAB>what | FAIL<TAB>what<TAB>detail... | ADDR<TAB>the address the LAN server gave
"""
import argparse
import os
import random
import socket
import struct
import sys
import threading
import time

from scapy.all import (BOOTP, DHCP, IP, UDP, AsyncSniffer, Ether, Raw, conf,  # noqa: E402
                       fragment, get_if_hwaddr, rdpcap, sendp)

conf.verb = 0
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
         7: "RELEASE", 8: "INFORM"}
COOKIE = b"\x63\x82\x53\x63"


def ip2b(a):
    return socket.inet_aton(a)


def b2ip(b):
    return socket.inet_ntoa(b)


def mac2b(m):
    return bytes(int(x, 16) for x in m.split(":"))


def b2mac(b):
    return ":".join("%02x" % x for x in b[:6])


def opt(code, data=b""):
    """One option; data longer than 255 bytes is split into pieces (RFC 3396)."""
    if len(data) <= 255:
        return bytes([code, len(data)]) + data
    out = b""
    for i in range(0, len(data), 255):
        out += bytes([code, len(data[i:i + 255])]) + data[i:i + 255]
    return out


def header(mac, xid, op=1, htype=1, hlen=6, hops=0, flags=0x8000, ciaddr="0.0.0.0",
           sname=b"", file=b""):
    """The 236-byte BOOTP header (broadcast flag set by default: replies are broadcast)."""
    return (struct.pack("!BBBBIHH", op, htype, hlen, hops, xid, 0, flags) + ip2b(ciaddr) +
            b"\0" * 12 + mac2b(mac) + b"\0" * 10 + sname.ljust(64, b"\0")[:64] +
            file.ljust(128, b"\0")[:128])


def dhcp(mac, xid, mtype, extra=b"", end=True, pad_to=300, **hdr):
    p = header(mac, xid, **hdr) + COOKIE
    if mtype:
        p += opt(53, bytes([mtype]))
    p += extra
    if end:
        p += b"\xff"
    return p.ljust(pad_to, b"\0")


class Ctx:
    """What the cases need to know about the test's network."""

    def __init__(self, a):
        self.outside = a.outside
        self.offnet = a.offnet
        self.idx = 0


# Each case returns a list of (payload, note) to send, or is a generator that sends itself
# (multi-step exchanges). mac/xid are the case's own.
def c_runs_past_end(c, mac, xid):
    # option 12 says 200 bytes, 20 are left
    p = header(mac, xid) + COOKIE + opt(53, b"\x01") + b"\x0c\xc8" + b"A" * 20
    return [p]


def c_opt_len_at_end(c, mac, xid):
    # the packet ends right after an option code: no length byte
    return [header(mac, xid) + COOKIE + opt(53, b"\x01") + b"\x0c"]


def c_type_len_4(c, mac, xid):
    # option 53 with 4 bytes
    return [dhcp(mac, xid, 0, opt(53, b"\x01\x01\x01\x01"), pad_to=301)]


def c_zero_len_opts(c, mac, xid):
    # zero-length hostname, vendor class, user class, parameter list, max size
    extra = opt(12) + opt(60) + opt(77) + opt(55) + opt(57)
    return [dhcp(mac, xid, 1, extra)]


def c_zero_len_client_id(c, mac, xid):
    """A zero-length client identifier, nothing else unusual: DISCOVER, then REQUEST of what
    was offered."""
    extra = opt(61) + opt(55, bytes([1, 3, 6, 12, 15]))
    reply = yield [dhcp(mac, xid, 1, extra)]
    if not reply or reply["type"] != "OFFER":
        return
    yield [dhcp(mac, xid + 1, 3, extra + opt(50, reply["yiaddr_b"]) + opt(54, reply["sid_b"]))]


def c_split_too_long(c, mac, xid):
    # option 43 in 9 pieces of 255 bytes: 2295 bytes joined, over the 2048-byte scratch
    return [dhcp(mac, xid, 1, opt(43, b"\x01" * 2295))]


def c_hlen_17(c, mac, xid):
    return [dhcp(mac, xid, 1, hlen=17, pad_to=302)]


def c_htype_6(c, mac, xid):
    return [dhcp(mac, xid, 1, htype=6, pad_to=303)]


def c_op_2(c, mac, xid):
    return [dhcp(mac, xid, 1, op=2)]


def c_op_7(c, mac, xid):
    return [dhcp(mac, xid, 1, op=7, pad_to=304)]


def c_one_byte(c, mac, xid):
    return [b"\x01"]


def c_short_235(c, mac, xid):
    return [dhcp(mac, xid, 1)[:235]]


def c_exactly_4096(c, mac, xid):
    # a valid DISCOVER padded to the largest size the server accepts
    return [dhcp(mac, xid, 1, pad_to=4096)]


def c_big_4097(c, mac, xid):
    return [dhcp(mac, xid, 1, pad_to=4097)]


def c_big_9000(c, mac, xid):
    return [dhcp(mac, xid, 1, pad_to=9000)]


def c_overload_loop(c, mac, xid):
    # option 52 = 3 (file and sname carry options); both contain option 52 again
    file = opt(52, b"\x03") + opt(12, b"looped") + b"\xff"
    sname = opt(52, b"\x03") + b"\xff"
    return [dhcp(mac, xid, 1, opt(52, b"\x03"), sname=sname, file=file)]


def c_overload_bad(c, mac, xid):
    # option 52 = 1; the option in `file` runs past the end of the field
    file = b"\0" * 120 + b"\x0c\x20" + b"B" * 6
    return [dhcp(mac, xid, 1, opt(52, b"\x01"), file=file, pad_to=305)]


def c_overload_twice(c, mac, xid):
    # option 52 twice in the main field: joins into 2 bytes (RFC 3396), malformed
    return [dhcp(mac, xid, 1, opt(52, b"\x01") + opt(52, b"\x01"), pad_to=306)]


def c_garbage_names(c, mac, xid):
    # sname and file full of bytes, no NUL, no overload
    rnd = random.Random(xid)
    sname = bytes(rnd.randrange(1, 256) for _ in range(64))
    file = bytes(rnd.randrange(1, 256) for _ in range(128))
    return [dhcp(mac, xid, 1, sname=sname, file=file)]


def c_flag_broadcast(c, mac, xid):
    # a plain DISCOVER with the broadcast flag: the OFFER must be broadcast (RFC 2131 4.1)
    return [dhcp(mac, xid, 1, flags=0x8000)]


def c_flag_unicast(c, mac, xid):
    # the same without the flag, but with 0x0080 in the flags field (bits that must be zero)
    return [dhcp(mac, xid, 1, flags=0x0080)]


def c_type_offer(c, mac, xid):
    # a BOOTREQUEST carrying DHCPOFFER
    return [dhcp(mac, xid, 2)]


def c_hops_17(c, mac, xid):
    return [dhcp(mac, xid, 1, hops=17)]


def c_request_outside(c, mac, xid):
    # INIT-REBOOT REQUEST for an address in the subnet but outside the range
    return [dhcp(mac, xid, 3, opt(50, ip2b(c.outside)))]


def c_request_offnet(c, mac, xid):
    return [dhcp(mac, xid, 3, opt(50, ip2b(c.offnet)))]


def c_request_no_addr(c, mac, xid):
    # REQUEST with neither option 50 nor ciaddr
    return [dhcp(mac, xid, 3)]


LONG_HOST = (b'h"q\\\x01\x7f' + bytes(range(0xe0, 0xf0)) + b"x" * 280)  # 302 bytes, split


def c_long_strings(c, mac, xid):
    """DISCOVER then REQUEST with a 255-byte client identifier and a 302-byte hostname full of
    quotes, backslashes, control and high bytes (split over two option pieces)."""
    cid = b"\x00" + bytes(range(1, 255))
    extra = opt(61, cid) + opt(12, LONG_HOST)
    reply = yield [dhcp(mac, xid, 1, extra)]
    if not reply or reply["type"] != "OFFER":
        return
    yield [dhcp(mac, xid + 1, 3, extra + opt(50, reply["yiaddr_b"]) +
                opt(54, reply["sid_b"]))]


def c_steal(c, mac, xid):
    """A victim binds an address (DISCOVER, REQUEST), then another MAC REQUESTs it."""
    reply = yield [dhcp(mac, xid, 1)]
    if not reply or reply["type"] != "OFFER":
        return
    reply = yield [dhcp(mac, xid + 1, 3, opt(50, reply["yiaddr_b"]) + opt(54, reply["sid_b"]))]
    if not reply or reply["type"] != "ACK":
        return
    thief = mac[:-2] + "ff"
    yield [("thief", thief, dhcp(thief, xid + 2, 3, opt(50, reply["yiaddr_b"])))]


CASES = {k[2:]: v for k, v in list(globals().items()) if k.startswith("c_")}


def parse_reply(payload):
    if len(payload) < 240 or payload[0] != 2 or payload[236:240] != COOKIE:
        return None
    r = {"op": payload[0], "xid": struct.unpack("!I", payload[4:8])[0],
         "yiaddr_b": payload[16:20], "yiaddr": b2ip(payload[16:20]),
         "chaddr": b2mac(payload[28:34]), "type": "BOOTREPLY", "msg": "", "opts": [],
         "sid_b": b"\0\0\0\0"}
    i = 240
    while i < len(payload):
        code = payload[i]
        i += 1
        if code == 0:
            continue
        if code == 255 or i >= len(payload):
            break
        n = payload[i]
        data = payload[i + 1:i + 1 + n]
        i += 1 + n
        r["opts"].append(code)
        if code == 53 and n == 1:
            r["type"] = TYPES.get(data[0], "?%d" % data[0])
        elif code == 54 and n == 4:
            r["sid_b"] = data
        elif code == 56:
            r["msg"] = data.decode("latin-1")
    return r


class Wire:
    def __init__(self, iface):
        self.iface = iface
        self.replies = {}  # xid -> parsed reply (the last one)
        self.sock = conf.L2socket(iface=iface)
        ready = threading.Event()
        self.sniffer = AsyncSniffer(iface=iface, store=False, prn=self._on_pkt,
                                    lfilter=lambda p: UDP in p and p[UDP].sport == 67,
                                    started_callback=ready.set)
        self.sniffer.start()
        # the first request must not go out before the sniffer's socket is open: a fixed
        # 0.5 s was not always enough on a loaded machine (no reply seen from anyone)
        ready.wait(10)

    def _on_pkt(self, p):
        r = parse_reply(bytes(p[UDP].payload))
        if r:
            r["dst"] = "%s/%s:%d" % (p[Ether].dst, p[IP].dst, p[UDP].dport)
            self.replies[r["xid"]] = r

    def send(self, mac, payload):
        ipp = IP(src="0.0.0.0", dst="255.255.255.255", id=random.randrange(1, 65535)) / \
            UDP(sport=68, dport=67) / Raw(payload)
        frags = fragment(ipp, fragsize=1400) if len(payload) > 1400 else [ipp]
        for f in frags:
            self.sock.send(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / f)

    def wait(self, xid, secs):
        end = time.time() + secs
        while time.time() < end:
            if xid in self.replies:
                return self.replies[xid]
            time.sleep(0.02)
        return None

    def close(self):
        self.sniffer.stop()
        self.sock.close()


def report(name, mac, xid, payload, r):
    line = "case=%s mac=%s xid=0x%08x len=%d reply=%s" % (name, mac, xid, len(payload),
                                                         r["type"] if r else "none")
    if r:
        line += ' yiaddr=%s dst=%s msg="%s" opts=%s' % (
            r["yiaddr"], r["dst"], r["msg"], ",".join(str(o) for o in r["opts"]))
    print(line, flush=True)


def cmd_cases(a):
    names = a.case
    if names == ["list"]:
        print("\n".join(CASES))
        return 0
    bad = [n for n in names if n not in CASES]
    if bad:
        print("unknown case(s): %s" % " ".join(bad), file=sys.stderr)
        return 64
    ctx = Ctx(a)
    w = Wire(a.iface)
    pending = []  # (name, mac, xid, payload): reported once every case went out
    try:
        for i, name in enumerate(names):
            mac = "02:00:5e:ca:%02x:%02x" % (a.mac_byte, i + 1)
            xid = 0xC0DE0000 + (a.mac_byte << 12) + ((i + 1) << 4)
            res = CASES[name](ctx, mac, xid)
            if isinstance(res, list):
                for p in res:
                    w.send(mac, p)
                    pending.append((name, mac, xid, p))
                time.sleep(a.gap)
                continue
            # a generator: each step yields packets and gets the reply to the last one
            reply = None
            try:
                step = res.send(None)
                while True:
                    for item in step:
                        smac, payload, label = mac, item, name
                        if isinstance(item, tuple):
                            label, smac, payload = name + "." + item[0], item[1], item[2]
                        pxid = struct.unpack("!I", payload[4:8])[0]
                        w.send(smac, payload)
                        reply = w.wait(pxid, a.reply_wait)
                        report(label, smac, pxid, payload, reply)
                        time.sleep(a.gap)
                    step = res.send(reply)
            except StopIteration:
                pass
        time.sleep(a.reply_wait)
        for name, mac, xid, p in pending:
            report(name, mac, xid, p, w.replies.get(xid))
    finally:
        w.close()
    return 0


def cmd_flood(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    tmpl_payload = dhcp("02:00:00:00:00:00", 0, 1, opt(61, b"\x01" + b"\0" * 6) +
                        opt(55, bytes([1, 3, 6, 15])), flags=0)
    frame = bytearray(bytes(Ether(src="02:00:00:00:00:00", dst="ff:ff:ff:ff:ff:ff") /
                            IP(src="0.0.0.0", dst="255.255.255.255") /
                            UDP(sport=68, dport=67, chksum=0) / Raw(tmpl_payload)))
    udp_off = 14 + 20
    pl = udp_off + 8
    # the checksum was computed over the template: 0 means none (IPv4)
    frame[udp_off + 6:udp_off + 8] = b"\0\0"
    rnd = random.Random(a.seed if a.seed is not None else os.getpid())
    print("started", flush=True)
    t0 = time.monotonic()
    end = t0 + a.seconds
    sent = 0
    batch = 50
    while sent < a.count and time.monotonic() < end:
        for _ in range(min(batch, a.count - sent)):
            mac = bytes([0x02 | (rnd.randrange(256) & 0xfc)]) + rnd.randbytes(5)
            frame[6:12] = mac
            frame[pl + 4:pl + 8] = rnd.randbytes(4)
            frame[pl + 28:pl + 34] = mac
            frame[pl + 240 + 3 + 3:pl + 240 + 3 + 3 + 6] = mac  # option 61 after type
            try:
                s.send(frame)
                sent += 1
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:  # ENOBUFS under pressure: back off, count it as not sent
                if e.errno != 105:
                    raise
                time.sleep(0.001)
        if a.rate:
            ahead = sent / a.rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    secs = time.monotonic() - t0
    print("sent=%d secs=%.2f rate=%.0f" % (sent, secs, sent / secs if secs else 0), flush=True)
    s.close()
    return 0


def text(b):
    """Bytes from the wire as one word: printable ASCII, anything else as \\xNN."""
    return "".join(chr(c) if 33 <= c < 127 and c != 92 else "\\x%02x" % c for c in b) or "-"


def cmd_summary(a):
    pkts = rdpcap(a.pcap)
    t0 = float(pkts[0].time) if len(pkts) else 0.0
    for p in pkts:
        if UDP not in p or IP not in p:
            continue
        b = bytes(p[UDP].payload)
        if len(b) < 240 or b[236:240] != COOKIE:
            continue
        t, o50, o54, o60, o43, o67 = "BOOTP", "-", "-", "-", "-", "-"
        i = 240
        while i < len(b):
            code = b[i]
            i += 1
            if code == 0:
                continue
            if code == 255 or i >= len(b):
                break
            n = b[i]
            d = b[i + 1:i + 1 + n]
            i += 1 + n
            if code == 53 and n == 1:
                t = TYPES.get(d[0], "?")
            elif code == 50 and n == 4:
                o50 = b2ip(d)
            elif code == 54 and n == 4:
                o54 = b2ip(d)
            elif code == 60:
                o60 = text(d)
            elif code == 43:
                o43 = d.hex() or "-"
            elif code == 67:
                o67 = text(d.rstrip(b"\0"))
        print("%s xid=0x%08x ciaddr=%s yiaddr=%s chaddr=%s opt50=%s opt54=%s src=%s:%d dst=%s:%d "
              "siaddr=%s file=%s opt60=%s opt43=%s opt67=%s t=%.2f" %
              (t, struct.unpack("!I", b[4:8])[0], b2ip(b[12:16]), b2ip(b[16:20]), b2mac(b[28:34]),
               o50, o54, p[IP].src, p[UDP].sport, p[IP].dst, p[UDP].dport, b2ip(b[20:24]),
               text(b[108:236].split(b"\0")[0]), o60, o43, o67, float(p.time) - t0))
    return 0


# ---- pxe: proxyDHCP scenarios (dhcp_proxy.sh), with scapy's DHCP layer ----

PXE_PARAMS = [1, 3, 6, 12, 15, 17, 26, 28, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133,
              134, 135, 175, 203]
PXE_UUID = b"\0" + bytes(range(0x10, 0x20))
PXE_BIOS_VC = b"PXEClient:Arch:00000:UNDI:002001"


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
             ("vendor_class_id", vc), ("pxe_client_machine_identifier", PXE_UUID)]
            + list(more) + [("param_req_list", PXE_PARAMS), "end"])


class Pxe:
    """One client interface beside a LAN DHCP server (lan) and bootwire (srv)."""

    def __init__(self, a):
        self.iface, self.srv, self.lan = a.iface, a.srv, a.lan
        self.mac = get_if_hwaddr(a.iface)
        self.chaddr = mac2b(self.mac) + b"\0" * 10

    def exchange(self, dopts, flags=0, secs=8.0, want=(), xid=None):
        """Broadcasts a request from 0.0.0.0:68; returns its xid and the replies with it.
        Stops early once a reply from every address in want has come."""
        xid = xid if xid is not None else random.getrandbits(32)
        pkt = (Ether(src=self.mac, dst="ff:ff:ff:ff:ff:ff") /
               IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
               BOOTP(op=1, xid=xid, flags=flags, chaddr=self.chaddr) / DHCP(options=dopts))
        got = []
        sn = AsyncSniffer(iface=self.iface, filter="udp and dst port 68", store=False,
                          prn=lambda p: got.append(p) if BOOTP in p and p[BOOTP].xid == xid
                          else None)
        sn.start()
        time.sleep(0.3)
        sendp(pkt, iface=self.iface)
        t0 = time.time()
        while time.time() - t0 < secs:
            time.sleep(0.1)
            if want and all(w in {p[IP].src for p in list(got)} for w in want):
                time.sleep(0.5)  # anything else that comes with them
                break
        sn.stop()
        return xid, [p for p in got if p[BOOTP].op == 2]


def from_(replies, addr, mt=None):
    return [p for p in replies
            if p[IP].src == addr and (mt is None or opts(p).get("message-type") == mt)]


def all_desc(replies):
    return [desc(p) for p in replies] or ["(no replies)"]


def expect(what, p, conds):
    """One check for one reply: every (ok, text) in conds must hold; the failed ones and
    the packet are the detail."""
    bad = [t for ok, t in conds if not ok]
    return check(not bad, what, *(["wrong: " + "; ".join(bad)] if bad else []), desc(p))


def proxy_offer(x, what, p, want_file, vc, opt43, why60=""):
    """A proxyDHCP OFFER: boot information, no address, no lease."""
    b, o = p[BOOTP], opts(p)
    return expect(what + ": file %s, option 60 %s%s, %s, yiaddr 0, no lease, siaddr bootwire"
                  % (want_file, vc.decode(), why60,
                     "option 43 discovery control 8" if opt43 else "no option 43"), p, [
        (b.yiaddr == "0.0.0.0", "yiaddr %s" % b.yiaddr),
        (b.siaddr == x.srv, "siaddr %s" % b.siaddr),
        (o.get("server_id") == x.srv, "server id %s" % o.get("server_id")),
        (fname(b) == want_file, "file %r" % fname(b)),
        (o.get("vendor_class_id") == vc, "option 60 %r" % o.get("vendor_class_id")),
        ((b"\x06\x01\x08" in o.get("vendor_specific", b"")) if opt43
         else ("vendor_specific" not in o), "option 43 %r" % o.get("vendor_specific")),
        ("lease_time" not in o, "lease time %r" % o.get("lease_time")),
        (p[UDP].sport == 67 and p[UDP].dport == 68, "ports %d>%d" % (p[UDP].sport, p[UDP].dport)),
    ])


def pxe_bios(x, arg):
    """(b) BIOS PXE DISCOVER: bootwire's proxy OFFER and the LAN server's address OFFER."""
    xid, rep = x.exchange(pxe_opts(1, PXE_BIOS_VC, 0), want=(x.srv, x.lan))
    bw = from_(rep, x.srv, 2)
    dm = from_(rep, x.lan, 2)
    if check(len(bw) >= 1, "(b) BIOS PXE DISCOVER: bootwire answers with an OFFER", *all_desc(rep)):
        proxy_offer(x, "(b) bootwire's OFFER", bw[0], "undionly.kpxe", b"PXEClient", True)
    check(len(from_(rep, x.srv)) == len(bw), "(b) bootwire sends only OFFERs", *all_desc(rep))
    if not check(len(dm) >= 1, "(b) dnsmasq OFFERs an address to the same DISCOVER",
                 *all_desc(rep)):
        return
    ya = dm[0][BOOTP].yiaddr
    expect("(b) dnsmasq's OFFER: an address in its range, no boot file", dm[0], [
        (ya.startswith("10.78.0.") and 100 <= int(ya.split(".")[3]) <= 150, "yiaddr " + ya),
        (not fname(dm[0][BOOTP]), "file %r" % fname(dm[0][BOOTP]))])
    # the PXE client then REQUESTs the LAN server's address: it ACKs, bootwire stays silent
    more = [("server_id", x.lan), ("requested_addr", ya)]
    _, rep2 = x.exchange(pxe_opts(3, PXE_BIOS_VC, 0, more), secs=3.0, xid=xid)
    check(len(from_(rep2, x.lan, 5)) >= 1, "(b) dnsmasq ACKs the PXE REQUEST for %s" % ya,
          *all_desc(rep2))
    check(not from_(rep2, x.srv), "(b) bootwire ignores the REQUEST on port 67 (not for it)",
          *all_desc(rep2))
    out("ADDR", ya)


def pxe_port4011(x, cli):
    """(c) PXE boot server REQUEST: unicast from the client's address, ciaddr set."""
    xid = random.getrandbits(32)
    req = (BOOTP(op=1, xid=xid, ciaddr=cli, chaddr=x.chaddr) /
           DHCP(options=pxe_opts(3, PXE_BIOS_VC, 0)))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((cli, 0))
    s.settimeout(4.0)
    port = s.getsockname()[1]
    s.sendto(bytes(req), (x.srv, 4011))
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        data, peer = None, None
    s.close()
    if not check(data is not None, "(c) REQUEST to %s:4011 from %s:%d: a reply comes back to "
                 "that port" % (x.srv, cli, port), "no reply within 4 s"):
        return
    p = BOOTP(data)
    o = opts(p)
    d = "from %s:%d: %s yiaddr=%s ciaddr=%s siaddr=%s file=%r %r" % (
        peer[0], peer[1], TYPES.get(o.get("message-type"), "?"), p.yiaddr, p.ciaddr, p.siaddr,
        fname(p), {k: v for k, v in o.items()})
    check(peer == (x.srv, 4011) and p.op == 2 and p.xid == xid and o.get("message-type") == 5 and
          fname(p) == "undionly.kpxe" and p.siaddr == x.srv and
          o.get("vendor_class_id") == b"PXEClient",
          "(c) it is an ACK for our xid from %s:4011: file undionly.kpxe, siaddr %s, "
          "option 60 PXEClient" % (x.srv, x.srv), d)


def pxe_http(x, base):
    """(d) UEFI HTTP boot DISCOVER, broadcast flag set as OVMF sends it."""
    base = base or ""
    _, rep = x.exchange(pxe_opts(1, b"HTTPClient:Arch:00016:UNDI:003000", 16), flags=0x8000,
                        want=(x.srv, x.lan) if base else (x.lan,), secs=8.0 if base else 4.0)
    bw = from_(rep, x.srv)
    if not base:
        check(not bw, "(d) HTTP boot DISCOVER without dhcp.http_base: bootwire stays silent",
              *all_desc(rep))
    elif check(len(from_(rep, x.srv, 2)) >= 1,
               "(d) HTTP boot DISCOVER: bootwire answers with an OFFER", *all_desc(rep)):
        p = from_(rep, x.srv, 2)[0]
        url = base + "ipxe.efi"
        proxy_offer(x, "(d) bootwire's OFFER", p, url, b"HTTPClient", False)
        o67 = opts(p).get("boot-file-name", b"").rstrip(b"\0")
        check(o67 == url.encode(), "(d) option 67 is %s" % url, desc(p))


def pxe_ipxe(x, want_file):
    """(e) iPXE: user class in RFC 3004 form and in the form iPXE really sends."""
    for label, uc in (("user class \\x04iPXE", b"\x04iPXE"),
                      ("user class iPXE, as iPXE sends it", b"iPXE")):
        _, rep = x.exchange(pxe_opts(1, PXE_BIOS_VC, 0, [("user_class", uc)]), want=(x.srv, x.lan))
        bw = from_(rep, x.srv, 2)
        if check(len(bw) >= 1, "(e) iPXE DISCOVER (%s): bootwire answers with an OFFER" % label,
                 *all_desc(rep)):
            proxy_offer(x, "(e) OFFER to iPXE (%s)" % label, bw[0], want_file, b"PXEClient", False,
                        " (iPXE ignores proxy offers without it)")


PXE_SCENARIOS = {"bios": pxe_bios, "port4011": pxe_port4011, "http": pxe_http, "ipxe": pxe_ipxe}


def cmd_pxe(a):
    PXE_SCENARIOS[a.scenario](Pxe(a), a.arg)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cases")
    c.add_argument("--iface", required=True)
    c.add_argument("--outside", default="10.99.96.200", help="in the subnet, not in the range")
    c.add_argument("--offnet", default="10.1.2.3", help="not in any served subnet")
    c.add_argument("--gap", type=float, default=0.25, help="seconds between cases")
    c.add_argument("--reply-wait", type=float, default=1.0, help="seconds to wait for a reply")
    c.add_argument("--mac-byte", type=lambda v: int(v, 0), default=0,
                   help="5th MAC byte, to keep separate runs apart")
    c.add_argument("case", nargs="+")
    f = sub.add_parser("flood")
    f.add_argument("--iface", required=True)
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--seconds", type=float, required=True)
    f.add_argument("--rate", type=float, default=0)
    f.add_argument("--seed", type=int)
    s = sub.add_parser("summary")
    s.add_argument("pcap")
    x = sub.add_parser("pxe")
    x.add_argument("scenario", choices=sorted(PXE_SCENARIOS))
    x.add_argument("arg", nargs="?")
    x.add_argument("--iface", required=True)
    x.add_argument("--srv", required=True, help="bootwire's address")
    x.add_argument("--lan", required=True, help="the LAN DHCP server's address")
    a = ap.parse_args()
    cmds = {"cases": cmd_cases, "flood": cmd_flood, "summary": cmd_summary, "pxe": cmd_pxe}
    return cmds[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
