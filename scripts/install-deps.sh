#!/usr/bin/env bash
# Installs exactly what bootwire's build, tests and benchmarks need on Debian 12.
# Idempotent: packages already present are skipped, and nothing runs if all are there.
# Daemons that Debian packages start on install (tftpd-hpa, dnsmasq) are kept from
# starting: the tests and benchmarks start their own copies on their own ports.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config libuv1-dev libyaml-dev libsqlite3-dev
	libmicrohttpd-dev libseccomp-dev)
FUZZ_PKGS=(clang libclang-rt-14-dev)
TEST_PKGS=(curl atftp tftp-hpa nftables iproute2 coreutils procps util-linux jq tcpdump
	isc-dhcp-client busybox python3 python3-scapy qemu-system-x86 ipxe-qemu ovmf ipxe
	pxelinux syslinux-common openssl grub-common grub-efi-amd64-bin grub-pc-bin)
BENCH_PKGS=(tftpd-hpa dnsmasq-base kea-dhcp4-server nginx-light wrk)

want=("${BUILD_PKGS[@]}" "${FUZZ_PKGS[@]}" "${TEST_PKGS[@]}" "${BENCH_PKGS[@]}")
missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	# Keep package maintainer scripts from starting daemons (tftpd-hpa would bind port 69).
	policy=/usr/sbin/policy-rc.d
	created_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
		$SUDO chmod 755 "$policy"
		created_policy=1
	fi
	cleanup() { if [ "$created_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
	trap cleanup EXIT
	stamp=/var/lib/apt/periodic/bootwire-update-stamp
	if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
		$SUDO apt-get update -qq
		$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
	fi
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}"
	# A tftpd-hpa that started anyway (no policy-rc.d honoured) must not hold port 69.
	if [ -f /run/tftpd-hpa.pid ]; then $SUDO kill "$(cat /run/tftpd-hpa.pid)" 2>/dev/null || true; fi
fi

# atftpd conflicts with tftpd-hpa as a package: unpack it beside the project for the benchmark.
ATFTPD_DIR=${ATFTPD_DIR:-/opt/bootwire-peers/atftpd}
if [ ! -x "$ATFTPD_DIR/usr/sbin/atftpd" ]; then
	tmp=$(mktemp -d); chmod 755 "$tmp"
	(cd "$tmp" && apt-get download atftpd >/dev/null)
	$SUDO mkdir -p "$ATFTPD_DIR"
	$SUDO dpkg-deb -x "$tmp"/atftpd_*.deb "$ATFTPD_DIR"
	rm -rf "$tmp"
fi
echo "install-deps: all dependencies present"
