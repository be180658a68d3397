#!/usr/bin/env python3
"""ipv6-ra.py IFACE [SECONDS]: on IFACE, every half second for SECONDS (default 600), send an
IPv6 router advertisement that configures nothing: no prefix, no DHCPv6 (M=0, O=0), router
lifetime 0 (not a default router).

Why: iPXE (QEMU's NIC ROMs, undionly.kpxe, ipxe.efi) configures IPv6 alongside DHCP and, on a
network without an IPv6 router, waits about 15 s for an advertisement before it uses the
address DHCP gave it. Under TCG that is more than half of a network boot. With this running on
the boot network's bridge, iPXE gets its answer at once. It only saves time: without it iPXE
still boots, 15 s later. Used by scripts/demo.sh and tests/e2e; run it only on a bridge in a
network namespace you created (it needs root for a raw ICMPv6 socket).
"""
import socket
import struct
import sys
import time


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    iface = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) == 3 else 600.0
    idx = socket.if_nametoindex(iface)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    # RFC 4861: hop limit 255 (receivers drop anything else); the kernel fills the checksum
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    # type 134, code 0, checksum, cur hop limit 64, flags M=0 O=0, router lifetime 0,
    # reachable time 0, retrans timer 0 (0: unspecified)
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 0, 0, 0)
    print("ipv6-ra: advertising on %s (no prefix, no DHCPv6, lifetime 0) for %gs" % (iface, seconds),
          flush=True)
    sent = 0
    reported = False
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s.sendto(ra, ("ff02::1", 0, 0, idx))
            sent += 1
        except OSError as e:
            # EADDRNOTAVAIL until the link-local address has passed duplicate detection
            if not reported:
                print("ipv6-ra: not sent yet: %s (retrying)" % e.strerror, flush=True)
                reported = True
        time.sleep(0.5)
    print("ipv6-ra: done, %d sent" % sent, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
