#!/usr/bin/env bash
# make demo: a diskless QEMU VM network-boots Debian's kernel from bootwire.
#
# In a private network namespace (a bridge br0 with a tap for the VM; no traffic leaves it),
# bootwire runs as the DHCP, TFTP and HTTP server. A VM with no disk (BIOS, e1000 NIC whose
# boot ROM is iPXE, TCG) powers on, gets an address and an iPXE script rendered from the
# config's one profile, loads Debian 12's kernel over HTTP
# and a busybox initramfs, and the initramfs prints a greeting with a marker taken from the
# kernel command line. The VM's serial console (the interesting lines) and bootwire's
# decisions are shown as they happen; then everything is stopped and removed, and a summary
# says what booted and how long each step took.
#
# Needs root (namespaces, tap devices; re-runs itself with sudo otherwise), build/bootwire
# (`make demo` builds it), QEMU (qemu-system-x86, ipxe-qemu) and network access to the Debian
# archive the first time (scripts/netboot-assets.sh fetches the kernel and busybox with
# `apt-get download` into a cache).
#
# Environment:
#   DEMO_KEEP=1        keep the temporary directory (config, boot root, logs, serial console)
#   DEMO_TIMEOUT=100   seconds to wait for the greeting once the VM is powered on
#   DEMO_RA=0          no IPv6 router advertisements on the demo network (scripts/ipv6-ra.py):
#                      iPXE then waits about 15 s for an IPv6 router before it asks for its
#                      script (what happens on a network without one)
#   BW_E2E_CACHE       the assets cache, shared with tests/e2e (/var/cache/bootwire-e2e)
#   BOOTWIRE           the daemon (build/bootwire)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root for a network namespace and a tap device; re-running with sudo"
	exec sudo --preserve-env=DEMO_KEEP,DEMO_TIMEOUT,DEMO_RA,BW_E2E_CACHE,BOOTWIRE bash "$0" "$@"
fi
BOOTWIRE=${BOOTWIRE:-$REPO/build/bootwire}
CACHE=${BW_E2E_CACHE:-/var/cache/bootwire-e2e}
TIMEOUT=${DEMO_TIMEOUT:-100}
NS=bwdemo-$$
SRV=10.77.0.1
MAC=52:54:00:b0:07:01
MARKER=demo-$$-$RANDOM

RA=${DEMO_RA:-1}
WORK=
BW_PID=
VM_PID=
RA_PID=
NS_MADE=0

# ---------------------------------------------------------------------------------------
# Output

T0=
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
if [[ -t 1 ]]; then
	C_BOLD=$'\033[1m' C_VM=$'\033[36m' C_BW=$'\033[33m' C_OFF=$'\033[0m'
else
	C_BOLD='' C_VM='' C_BW='' C_OFF=''
fi
say() { printf '%s==>%s %s\n' "$C_BOLD" "$C_OFF" "$*"; }
note() { printf '    %s\n' "$*"; }
# secs MS: milliseconds as seconds with one decimal
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
# stamp: time since power-on, for the streamed lines
stamp()
{
	if [[ -n $T0 ]]; then printf '%6ss' "+$(secs $(($(now_ms) - T0)))"; else printf '%7s' ''; fi
}

# ---------------------------------------------------------------------------------------
# Processes and cleanup (every process is stopped by its PID, every wait is bounded)

alive()
{
	local state
	[[ -n $1 ]] || return 1
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# stop PID SECONDS: SIGTERM, then SIGKILL if it is still there after SECONDS.
stop()
{
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
	wait "$pid" 2>/dev/null || true
}

cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	stop "$VM_PID" 3
	stop "$BW_PID" 5
	stop "$RA_PID" 2
	((NS_MADE)) && ip netns delete "$NS" 2>/dev/null
	if [[ -n $WORK ]]; then
		if [[ ${DEMO_KEEP:-0} == 1 ]]; then
			echo "demo: kept $WORK (bootwire.yaml, root/, bootwire.log, serial.log)"
		else
			rm -rf -- "$WORK"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------
# What bootwire serves. Everything about the boot method lives here: DHCP hands the iPXE ROM
# http://SERVER:8080/boot.ipxe?mac=..., bootwire renders the machine's profile (here the
# default one, "greeting") as an iPXE script, and the kernel and initrd follow over HTTP.

# write_boot_setup DIR: writes DIR/bootwire.yaml and the boot root DIR/root; sets CONF.
write_boot_setup()
{
	local dir=$1 root=$1/root
	mkdir -p "$root"
	cp "$CACHE/vmlinuz" "$CACHE/initrd.img" "$root/"
	chmod 0644 "$root"/*
	CONF=$dir/bootwire.yaml
	cat >"$CONF" <<EOF
# bootwire demo: DHCP server, TFTP and HTTP on the demo network's bridge, one profile.
boot_root: root
user: nobody
log: { level: info }
tftp:
  listen: $SRV
http: { enabled: true, listen: $SRV, port: 8080 }
profiles:
  greeting:
    kernel: vmlinuz
    initrd: [initrd.img]
    cmdline: "console=ttyS0 bootwire.marker=$MARKER"
default_profile: greeting
dhcp:
  enabled: true
  mode: server
  interfaces: [br0]
  lease_db: leases.db
  subnets:
    - { subnet: 10.77.0.0/24, range: 10.77.0.100-10.77.0.199, router: $SRV, lease_time: 600 }
EOF
}

# ---------------------------------------------------------------------------------------
# Streaming: each poll prints the complete lines added to a log since the last one.

# clean_serial FILE: the console as text (no CR, NUL, escape sequences; backspaces applied).
clean_serial()
{
	tr -d '\r\0' <"$1" |
		sed -E 's/\x1b\[[0-9;?=]*[A-Za-z]//g; s/\x1b[A-Za-z]//g; :a; s/[^\x08]\x08//; ta; s/\x08//g'
}

SERIAL_DONE=0
BWLOG_DONE=0

# The VM's interesting lines: firmware banners, iPXE's progress, the kernel's first line
# and its start of /init, the initramfs's greeting.
show_serial()
{
	local text n
	[[ -f $WORK/serial.log ]] || return 0
	text=$(clean_serial "$WORK/serial.log"; echo .)
	text=${text%.}
	# complete lines only: the last one may still be being written
	n=$(printf '%s' "$text" | wc -l)
	((n > SERIAL_DONE)) || return 0
	printf '%s' "$text" | sed -n "$((SERIAL_DONE + 1)),${n}p" |
		sed -nE 's/.*(Linux version [^ ]+).*(Debian [^ ]+ \(.*\))$/\1 (\2)/p; t
			s/^(iPXE [0-9].*Firmware) -- http$/\1/p; t
			s/^\[ *[0-9.]+\] (Run \/init as init process)/\1/p; t
			/^(SeaBIOS \(|iPXE \(PCI|iPXE [0-9]|Configuring|net0: [0-9]|Next server|Filename|tftp:|http:|[a-z.]+ : [0-9]+ bytes|bootwire-script|vmlinuz\.\.\.|initrd\.img\.\.\.|Hello from bootwire|bootwire-initramfs|BOOTWIRE-MARKER|Could not|No more|Nothing to boot)/p' |
		while IFS= read -r line; do
			printf '  %s  %svm      %s %s\n' "$(stamp)" "$C_VM" "$C_OFF" "${line:0:100}"
		done
	SERIAL_DONE=$n
}

# bootwire's decisions: DHCP offers and acks, TFTP transfers, HTTP requests, any warning.
show_bwlog()
{
	local n
	[[ -f $WORK/bootwire.log ]] || return 0
	n=$(wc -l <"$WORK/bootwire.log")
	((n > BWLOG_DONE)) || return 0
	sed -n "$((BWLOG_DONE + 1)),${n}p" "$WORK/bootwire.log" |
		grep -E ' (dhcp|tftp|http) .*(OFFER|ACK|NAK|sent|served|failed|refus)| (warn|error) ' |
		sed -E 's/^[0-9T:.-]+Z +info +//; s/^[0-9T:.-]+Z +//' |
		while IFS= read -r line; do
			printf '  %s  %sbootwire%s %s\n' "$(stamp)" "$C_BW" "$C_OFF" "$line"
		done
	BWLOG_DONE=$n
}

# log_ms REGEX: the time (ms since the epoch) of bootwire's first log line matching REGEX.
log_ms()
{
	local ts
	ts=$(grep -m1 -E "$1" "$WORK/bootwire.log" | cut -d' ' -f1)
	[[ -n $ts ]] && date -d "$ts" +%s%3N
}

failed()
{
	echo
	echo "demo: FAILED: $*"
	echo "--- last 30 lines of the VM's serial console ---"
	[[ -f $WORK/serial.log ]] && clean_serial "$WORK/serial.log" | grep -v '^[[:space:]]*$' | tail -n 30
	echo "--- bootwire's log ---"
	cat "$WORK/bootwire.log" 2>/dev/null
	if grep -qv 'externally provided fw_cfg' "$WORK/qemu.log" 2>/dev/null; then
		echo "--- QEMU ---"
		grep -v 'externally provided fw_cfg' "$WORK/qemu.log"
	fi
	exit 1
}

# ---------------------------------------------------------------------------------------

for c in qemu-system-x86_64 ip apt-get dpkg-deb; do
	command -v "$c" >/dev/null || { echo "demo: missing $c (run make deps)"; exit 1; }
done
[[ -x $BOOTWIRE ]] || { echo "demo: no $BOOTWIRE (run make build)"; exit 1; }

t_start=$(now_ms)
echo "bootwire demo: a VM with no disk boots Linux over the network, served by bootwire."
echo

say "getting the boot files: Debian 12's kernel and a small busybox initramfs"
note "(apt-get download, unpacked with dpkg-deb, nothing installed; cached in $CACHE)"
bash "$REPO/scripts/netboot-assets.sh" "$CACHE" 2>&1 | sed 's/^/    /'
# shellcheck source=/dev/null # KERNEL_PACKAGE, KERNEL_VERSION, KERNEL_RELEASE, BUSYBOX_VERSION
source <(grep -E '^[A-Z_]+=' "$CACHE/VERSIONS")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bootwire-demo.XXXXXX")
chmod 0755 "$WORK" # bootwire drops to `nobody` and must read the boot root
write_boot_setup "$WORK"
note "boot root $WORK/root: vmlinuz ($(($(stat -c %s "$WORK/root/vmlinuz") / 1024)) KiB), initrd.img ($(($(stat -c %s "$WORK/root/initrd.img") / 1024)) KiB)"
t_assets=$(now_ms)

say "creating a private network: namespace $NS, bridge br0 ($SRV/24), tap0 for the VM"
note "(nothing reaches your real network, and nothing from it reaches the VM)"
ip netns add "$NS"
NS_MADE=1
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge
ip netns exec "$NS" sysctl -qw net.ipv6.conf.br0.accept_dad=0 2>/dev/null || true
ip -n "$NS" addr add "$SRV/24" dev br0
ip -n "$NS" tuntap add dev tap0 mode tap
ip -n "$NS" link set tap0 master br0
ip -n "$NS" link set br0 up
ip -n "$NS" link set tap0 up
if [[ $RA == 1 ]] && command -v python3 >/dev/null; then
	note "IPv6 router advertisements on br0 that configure nothing (scripts/ipv6-ra.py): iPXE"
	note "otherwise waits 15 s for an IPv6 router before it asks for its script (DEMO_RA=0)"
	ip netns exec "$NS" python3 "$REPO/scripts/ipv6-ra.py" br0 "$((TIMEOUT + 60))" \
		>"$WORK/ipv6-ra.log" 2>&1 </dev/null &
	RA_PID=$!
else
	RA=0
fi

say "starting bootwire as the DHCP, TFTP and HTTP server of that network"
note "bootwire serve -c $CONF"
ip netns exec "$NS" "$BOOTWIRE" serve -c "$CONF" >"$WORK/bootwire.log" 2>&1 </dev/null &
BW_PID=$!
for ((i = 0; i < 100; i++)); do
	grep -q 'dhcp serving br0' "$WORK/bootwire.log" && break
	alive "$BW_PID" || failed "bootwire exited at start"
	sleep 0.05
done
grep -q 'dhcp serving br0' "$WORK/bootwire.log" || failed "bootwire did not start in 5 s"
grep -E 'listening on|serving br0|running as' "$WORK/bootwire.log" |
	sed -E 's/^[0-9T:.-]+Z +info +/    bootwire: /'
BWLOG_DONE=$(wc -l <"$WORK/bootwire.log")
t_net=$(now_ms)

say "powering on a VM with no disk: BIOS, an e1000 network card whose boot ROM is iPXE"
note "(QEMU without KVM: the boot takes about 12 s; below, the interesting lines of the VM's"
note " serial console and bootwire's decisions, as they happen)"
printf '\xf8\x03' >"$WORK/sercon" # SeaBIOS and iPXE print on COM1 (see QEMU-NOTES.md)
ip netns exec "$NS" qemu-system-x86_64 -accel tcg -m 256 -name bootwire-demo \
	-nodefaults -display none -vga none -no-reboot -serial "file:$WORK/serial.log" \
	-fw_cfg "name=etc/sercon-port,file=$WORK/sercon" \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
	-device "e1000,netdev=n0,mac=$MAC" -boot n >"$WORK/qemu.log" 2>&1 </dev/null &
VM_PID=$!
T0=$(now_ms)
t_greet=
ipv6_noted=0
while :; do
	show_bwlog
	show_serial
	if [[ -z $t_greet ]] && grep -aq 'Hello from bootwire' "$WORK/serial.log" 2>/dev/null; then
		t_greet=$(now_ms)
	fi
	grep -aq "BOOTWIRE-MARKER $MARKER" "$WORK/serial.log" 2>/dev/null && break
	if ((!RA && !ipv6_noted)) && head -n "$BWLOG_DONE" "$WORK/bootwire.log" | grep -q "dhcp $MAC: ACK " &&
		! grep -qE 'path="?/boot\.ipxe' "$WORK/bootwire.log"; then
		ipv6_noted=1
		note "(iPXE has its address; it now waits about 15 s for an IPv6 router before it"
		note " asks for its script: this network has none)"
	fi
	alive "$VM_PID" || failed "the VM stopped before it greeted us"
	(($(now_ms) - T0 < TIMEOUT * 1000)) || failed "no greeting from the VM after ${TIMEOUT}s"
	sleep 0.2
done
sleep 0.3
show_bwlog
show_serial
t_done=$(now_ms)

say "the VM greeted us: it booted over the network; powering it off and cleaning up"
stop "$VM_PID" 3
VM_PID=
stop "$BW_PID" 5
BW_PID=
stop "$RA_PID" 2
RA_PID=
ip netns delete "$NS"
NS_MADE=0
t_clean=$(now_ms)

# Step times from bootwire's own timestamps (DHCP, TFTP) and from the console (greeting).
t_ack=$(log_ms "dhcp $MAC: ACK ") || t_ack=
t_script=$(log_ms 'path="?/boot\.ipxe') || t_script=
t_initrd=$(log_ms 'path=/initrd\.img ') || t_initrd=
bytes=$(grep -E 'path=/(vmlinuz|initrd\.img) .*status=200' "$WORK/bootwire.log" |
	sed -E 's/.* bytes=([0-9]+) .*/\1/' | awk '{ s += $1 } END { print s + 0 }')
ip=$(grep -m1 -oE "dhcp $MAC: ACK [0-9.]+" "$WORK/bootwire.log" | awk '{ print $4 }')
step()
{
	if [[ -n $2 && -n $3 ]]; then
		printf '  %-58s %6ss\n' "$1" "$(secs $(($3 - $2)))"
	else
		printf '  %-58s %7s\n' "$1" '?'
	fi
}
echo
echo "Summary"
echo "  booted:  Debian's kernel $KERNEL_RELEASE ($KERNEL_PACKAGE $KERNEL_VERSION)"
echo "           with a busybox $BUSYBOX_VERSION initramfs, on a VM with no disk"
echo "  network: the VM got ${ip:-?} from bootwire (DHCP), then boot.ipxe, vmlinuz and"
echo "           initrd.img ($((bytes / 1024)) KiB) over HTTP; it said \"Hello from bootwire\""
echo
step "boot files ready (fetched once, then cached)" "$t_start" "$t_assets"
step "private network up, bootwire started" "$t_assets" "$t_net"
step "power-on -> address (BIOS, iPXE ROM, DHCP)" "$T0" "$t_ack"
if ((RA)); then
	step "address -> profile's iPXE script over HTTP" "$t_ack" "$t_script"
else
	step "address -> iPXE script (iPXE waits for an IPv6 router)" "$t_ack" "$t_script"
fi
step "kernel and initramfs over HTTP" "$t_script" "$t_initrd"
step "kernel boots, runs the initramfs's /init -> greeting" "$t_initrd" "$t_greet"
step "power-on -> greeting" "$T0" "$t_greet"
step "clean-up (VM, bootwire, namespace)" "$t_done" "$t_clean"
step "whole demo" "$t_start" "$t_clean"
