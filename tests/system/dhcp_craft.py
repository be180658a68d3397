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
      One line per DHCP packet in a capture:
        TYPE xid=0x... ciaddr=A yiaddr=A chaddr=MAC opt50=A|- opt54=A|- src=IP:P dst=IP:P
"""
import argparse
import os
import random
import socket
import struct
import sys
import time

from scapy.all import (IP, UDP, AsyncSniffer, Ether, Raw, conf, fragment,  # noqa: E402
                       rdpcap)

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
        self.sniffer = AsyncSniffer(iface=iface, store=False, prn=self._on_pkt,
                                    lfilter=lambda p: UDP in p and p[UDP].sport == 67)
        self.sniffer.start()
        time.sleep(0.5)  # the sniffer's socket is open

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


def cmd_summary(a):
    for p in rdpcap(a.pcap):
        if UDP not in p or IP not in p:
            continue
        b = bytes(p[UDP].payload)
        if len(b) < 240 or b[236:240] != COOKIE:
            continue
        t, o50, o54 = "BOOTP", "-", "-"
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
        print("%s xid=0x%08x ciaddr=%s yiaddr=%s chaddr=%s opt50=%s opt54=%s src=%s:%d dst=%s:%d" %
              (t, struct.unpack("!I", b[4:8])[0], b2ip(b[12:16]), b2ip(b[16:20]), b2mac(b[28:34]),
               o50, o54, p[IP].src, p[UDP].sport, p[IP].dst, p[UDP].dport))
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
    a = ap.parse_args()
    return {"cases": cmd_cases, "flood": cmd_flood, "summary": cmd_summary}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
