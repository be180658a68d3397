#!/usr/bin/python3
"""dhcp_harden: the crafted traffic of tests/system/dhcp_harden.sh (scapy; /usr/bin/python3).

Builds on dhcp_craft.py (same packets, same output lines) and adds:

  dhcp_harden.py burst --iface IF --count N --stop-pid PID [--mac-prefix P] [--wait S]
      Stops PID (the server) with SIGSTOP, sends N DISCOVERs (broadcast flag set) from the
      MACs P:01 .. P:N (xid 0xb7000000 + i), lets them reach the server's socket (--settle
      seconds), continues PID with SIGCONT, so that the server reads them in one batch and
      answers them with one sendmmsg; waits up to S seconds for the replies and prints one
      line per client (dhcp_craft.py's format):
        case=burst.I mac=MAC xid=0x... len=BYTES reply=OFFER|none yiaddr=A dst=...
  dhcp_harden.py cases --iface IF [dhcp_craft.py's options] CASE...
      dhcp_craft.py's cases plus the ones below (offer_held, decline_*); `list` prints them.
Run it only inside a network namespace the test created.
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dhcp_craft as dc  # noqa: E402
from dhcp_craft import dhcp, ip2b, opt  # noqa: E402


def _dora(mac, xid, label=None):
    """DISCOVER then REQUEST (selecting) of what was offered; returns the ACK (or None)."""
    def tag(p):
        return (label, mac, p) if label else p
    reply = yield [tag(dhcp(mac, xid, 1))]
    if not reply or reply["type"] != "OFFER":
        return None
    reply = yield [tag(dhcp(mac, xid + 1, 3, opt(50, reply["yiaddr_b"]) + opt(54, reply["sid_b"])))]
    return reply if reply and reply["type"] == "ACK" else None


def c_offer_held(c, mac, xid):
    """A is offered X; B REQUESTs X, first without a server identifier (INIT-REBOOT), then
    with ours (SELECTING): both NAKed; then A REQUESTs X: ACK."""
    offer = yield [dhcp(mac, xid, 1)]
    if not offer or offer["type"] != "OFFER":
        return
    other = mac[:-2] + "ee"
    yield [("other_reboot", other, dhcp(other, xid + 1, 3, opt(50, offer["yiaddr_b"])))]
    yield [("other_select", other, dhcp(other, xid + 2, 3, opt(50, offer["yiaddr_b"]) +
                                        opt(54, offer["sid_b"])))]
    yield [("first", mac, dhcp(mac, xid + 3, 3, opt(50, offer["yiaddr_b"]) +
                               opt(54, offer["sid_b"])))]


def c_decline_checks(c, mac, xid):
    """A binds X. DECLINEs of X that must be ignored: from another MAC; from A with another
    server identifier; from A without option 50 (ciaddr X); from A for an address it was
    only offered (B's offer). X stays A's."""
    ack = yield from _dora(mac, xid)
    if not ack:
        return
    x, sid = ack["yiaddr_b"], ack["sid_b"]
    other = mac[:-2] + "ed"
    yield [("other_mac", other, dhcp(other, xid + 2, 4, opt(50, x) + opt(54, sid)))]
    yield [("wrong_sid", mac, dhcp(mac, xid + 3, 4, opt(50, x) + opt(54, ip2b("10.1.2.3"))))]
    yield [("no_opt50", mac, dhcp(mac, xid + 4, 4, opt(54, sid), ciaddr=dc.b2ip(x)))]
    offer = yield [("b_discover", other, dhcp(other, xid + 5, 1))]
    if offer and offer["type"] == "OFFER":
        yield [("b_offered", other, dhcp(other, xid + 6, 4, opt(50, offer["yiaddr_b"]) +
                                         opt(54, sid)))]
    # A asks for X again (INIT-REBOOT: the reply is broadcast): still its own
    yield [("renew", mac, dhcp(mac, xid + 7, 3, opt(50, x)))]


def _xid(tag, xid, k):
    """The xid of round k of a multi-round case: apart from every other case's (replies are
    matched by xid), +1 and +2 free for the round's next packets."""
    return (tag << 24) | (k << 12) | (xid & 0xff0)


def c_decline_one_mac(c, mac, xid):
    """One MAC binds an address and DECLINEs it, 5 times over."""
    for k in range(5):
        x = _xid(0xD1, xid, k)
        ack = yield from _dora(mac, x, "round%d" % k)
        if not ack:
            return
        yield [("decline%d" % k, mac, dhcp(mac, x + 2, 4, opt(50, ack["yiaddr_b"]) +
                                             opt(54, ack["sid_b"])))]


def c_decline_storm(c, mac, xid):
    """40 MACs each bind an address and DECLINE it (the storm of issue 11)."""
    base = mac[:-5]
    for k in range(40):
        m = base + "%02x:%02x" % (0x40 + k // 256, k % 256)
        x = _xid(0xD2, xid, k)
        ack = yield from _dora(m, x, "mac%d" % k)
        if not ack:
            continue
        yield [("decline%d" % k, m, dhcp(m, x + 2, 4, opt(50, ack["yiaddr_b"]) +
                                           opt(54, ack["sid_b"])))]


dc.CASES.update({k[2:]: v for k, v in list(globals().items()) if k.startswith("c_")})


def cmd_burst(a):
    w = dc.Wire(a.iface)
    sent = []
    try:
        os.kill(a.stop_pid, signal.SIGSTOP)
        try:
            for i in range(1, a.count + 1):
                mac = "%s:%02x" % (a.mac_prefix, i)
                xid = 0xB7000000 + i
                p = dhcp(mac, xid, 1, flags=0x8000)
                w.send(mac, p)
                sent.append((i, mac, xid, p))
            time.sleep(a.settle)
        finally:
            os.kill(a.stop_pid, signal.SIGCONT)
        end = time.time() + a.wait
        while time.time() < end and not all(x in w.replies for _, _, x, _ in sent):
            time.sleep(0.05)
        time.sleep(0.2)
        for i, mac, xid, p in sent:
            dc.report("burst.%d" % i, mac, xid, p, w.replies.get(xid))
    finally:
        w.close()
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "burst":
        ap = argparse.ArgumentParser(description=__doc__)
        ap.add_argument("cmd")
        ap.add_argument("--iface", required=True)
        ap.add_argument("--count", type=int, required=True)
        ap.add_argument("--stop-pid", type=int, required=True)
        ap.add_argument("--mac-prefix", default="02:00:5e:b7:00")
        ap.add_argument("--settle", type=float, default=0.5)
        ap.add_argument("--wait", type=float, default=5.0)
        return cmd_burst(ap.parse_args())
    return dc.main()


if __name__ == "__main__":
    sys.exit(main())
