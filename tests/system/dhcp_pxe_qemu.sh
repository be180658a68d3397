#!/usr/bin/env bash
# dhcp_pxe_qemu: real firmware network-boots from bootwire's DHCP and TFTP, in QEMU (TCG), on
# a bridge inside a namespace this script creates. Each boot ends when the iPXE script
# boot.ipxe prints its marker on the serial console (BOOTWIRE-MARKER-<platform>-<token>:
# the script really ran, on the expected platform); QEMU is then stopped by PID.
#
#   server-bios: SeaBIOS + QEMU's e1000 ROM, which is iPXE (user class iPXE, arch 0), with
#          bootwire as the DHCP server. The ROM gets boot.ipxe at once (never undionly.kpxe:
#          it already is iPXE). The script chains undionly.kpxe once (so the chainload path
#          is exercised too); undionly.kpxe does DHCP again, is recognised as iPXE, gets
#          boot.ipxe again (no loop: undionly.kpxe is transferred exactly once) and prints
#          the marker. The lease is in the lease database afterwards.
#   proxy-bios: the same VM beside dnsmasq (a separate "LAN" host on the bridge giving
#          addresses only, no boot options) with bootwire in proxy mode: the VM's address
#          comes from dnsmasq's range, bootwire's replies carry no address (yiaddr 0, checked
#          in a packet capture when tcpdump and scapy are there), the same chain runs and
#          the marker appears. Whether anything used port 4011 is reported.
#   server-uefi: OVMF with virtio-net without option ROM (the firmware's own PXE, arch 7,
#          broadcast flag set) gets ipxe.efi over TFTP; ipxe.efi does DHCP as iPXE and gets
#          boot.ipxe, never ipxe.efi again; the marker appears.
#   proxy-uefi: the same OVMF beside dnsmasq, bootwire in proxy mode.
#   Every run also checks the TFTP transfers: each boot program exactly once (no loop).
#   BW_PXE_RUNS="server-bios proxy-bios server-uefi proxy-uefi" (the default) chooses runs.
#
# On a failed boot the check prints the DHCP exchange (from the capture), bootwire's log and
# the end of the serial console. Each boot takes about 30-40 s under TCG (most of it iPXE
# waiting for an IPv6 router that never answers), the whole script about 2.5 minutes.
#
# Run: bash tests/system/dhcp_pxe_qemu.sh   (root; BOOTWIRE=...; BW_KEEP=1 keeps the logs)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds qemu-system-x86_64 dnsmasq ip timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own (no peer server to compare)"
IPXE_DIR=${IPXE_DIR:-/usr/lib/ipxe}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
for f in "$IPXE_DIR/undionly.kpxe" "$IPXE_DIR/ipxe.efi"; do
	[[ -r $f ]] || bw_skip "missing $f (Debian package ipxe)"
done
bw_setup_trap
bw_make_work

BOOT_SECS=${BW_PXE_BOOT_SECS:-100} # one boot, at most (30-40 s normally)
NS=bwpq-$$                         # the boot network: br0 + tap0, bootwire
NS_LAN=bwpq-$$-lan                 # proxy runs: the LAN's own DHCP server (dnsmasq)
SRV=10.77.0.1
LAN_DHCP=10.77.0.254
TOKEN=$$-$RANDOM
ROOT=$BW_WORK/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
cp "$IPXE_DIR/undionly.kpxe" "$IPXE_DIR/ipxe.efi" "$ROOT/"
# Under BIOS the first iPXE (the NIC's ROM) chains undionly.kpxe; the second (chip undionly)
# prints the marker. `poweroff` is not in Debian's iPXE build: QEMU is stopped by PID.
cat >"$ROOT/boot.ipxe" <<EOF
#!ipxe
echo bootwire-script: platform \${platform} chip \${net0/chip} ip \${net0/ip} filename \${filename}
iseq \${platform} pcbios || goto marker
iseq \${net0/chip} undionly && goto marker ||
echo BOOTWIRE-CHAIN chaining undionly.kpxe
chain undionly.kpxe || goto failed
:marker
echo BOOTWIRE-MARKER-\${platform}-$TOKEN
exit
:failed
echo BOOTWIRE-FAILED to chain undionly.kpxe
EOF
chmod 0644 "$ROOT"/*
printf '\xf8\x03' >"$BW_WORK/sercon" # SeaBIOS and iPXE print on COM1 (see QEMU-NOTES.md)

HAVE_PCAP=0
if command -v tcpdump >/dev/null 2>&1 && bw_have_scapy; then HAVE_PCAP=1; fi
((HAVE_PCAP)) || bw_say "no tcpdump or no scapy for $BW_SCAPY_PY: packet captures are left out"

# The network: NS has br0 (SRV) with tap0 for the VM and, for proxy runs, the LAN host NS_LAN.
bw_bridge_ns "$NS" "$SRV/24" 1
bw_bridge_host "$NS" "$NS_LAN" lanp lan0 "$LAN_DHCP/24"
BW_SRV_NS=$NS # bw_dhcp_start runs bootwire there

# ---------------------------------------------------------------------------------------
# Helpers

# write_conf FILE MODE: bootwire's config for one run.
write_conf()
{
	local file=$1 mode=$2
	{
		printf 'boot_root: %s\n' "$ROOT"
		printf 'log: {level: debug, format: json}\n'
		printf 'tftp: {enabled: true, listen: %s}\n' "$SRV"
		printf 'dhcp:\n  enabled: true\n  mode: %s\n  interfaces: [br0]\n' "$mode"
		if [[ $mode == server ]]; then
			printf '  lease_db: %s\n' "${file%.yaml}-leases.db"
			printf '  subnets:\n'
			printf '    - { subnet: 10.77.0.0/24, range: 10.77.0.100-10.77.0.150, router: %s, lease_time: 600 }\n' "$SRV"
		fi
	} >"$file"
}

# start_capture NAME: DHCP and proxyDHCP on br0 (dhcp_lib.sh's bw_cap_start: BW_CAP), when
# tcpdump and scapy are there.
start_capture()
{
	BW_CAP=
	BW_CAP_PID=
	((HAVE_PCAP)) || return 0
	bw_cap_start "$NS" br0 "$1" || true
}

# boot_vm NAME SECONDS QEMU_ARGS...: starts QEMU on tap0 with the serial console in
# BW_WORK/NAME.serial, waits (bounded) for the marker or a failure, stops QEMU. Sets
# VM_SERIAL, VM_SECS, VM_RESULT (marker, failed: <what>, exited, timeout).
boot_vm()
{
	local name=$1 secs=$2 i t0=$SECONDS pid fail_re
	shift 2
	VM_SERIAL=$BW_WORK/$name.serial
	VM_RESULT=timeout
	fail_re='BOOTWIRE-FAILED|Nothing to boot|No bootable device|PXE-E[0-9A-F]+|failed to load Boot[0-9A-F]+ "UEFI PXEv4'
	bw_say "$name: booting QEMU (up to ${secs}s)"
	bw_spawn "$NS" "$BW_WORK/$name.qemu.log" qemu-system-x86_64 -accel tcg -m 256 \
		-display none -vga none -no-reboot -serial "file:$VM_SERIAL" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no "$@"
	pid=$BW_LAST_PID
	for ((i = 0; i < secs * 4; i++)); do
		if grep -aq "BOOTWIRE-MARKER-[a-z]*-$TOKEN" "$VM_SERIAL" 2>/dev/null; then # the whole line, not a prefix TCG is still printing
			VM_RESULT=marker
			break
		fi
		if grep -aqE "$fail_re" "$VM_SERIAL" 2>/dev/null; then
			sleep 1 # the rest of the message
			VM_RESULT="failed: $(grep -aoE "$fail_re" "$VM_SERIAL" | head -n 1)"
			break
		fi
		if ! bw_alive "$pid"; then
			VM_RESULT=exited
			break
		fi
		sleep 0.25
	done
	VM_SECS=$((SECONDS - t0))
	bw_stop "$pid" 5 || true
	bw_say "$name: $VM_RESULT after ${VM_SECS}s"
}

# serial_tail: the last lines of the serial console, control sequences removed.
serial_tail()
{
	printf '%s\n' '--- serial console (last 25 lines) ---'
	tr -d '\r' <"$VM_SERIAL" | sed 's/\x1b\[[0-9;?=]*[A-Za-z]//g' | grep -av '^[[:space:]]*$' |
		tail -n 25
}

# boot_failed DESC: a failed boot, with everything needed to see why.
boot_failed()
{
	local sum
	sum=$(bw_cap_summary)
	bw_fail "$1" "result: $VM_RESULT after ${VM_SECS}s" \
		"--- DHCP packets on br0 ---" "${sum:-(no capture)}" \
		"--- bootwire log (dhcp and tftp lines) ---" \
		"$(bw_jlines "$BW_SRV_LOG" 'svc("dhcp") or svc("tftp")' | tail -n 30)" "$(serial_tail)"
}

# DECIDED: bootwire's decisions (OFFER/ACK/NAK lines), as a bw_dhcp_* MSG_RE
DECIDED='^(OFFER|ACK|NAK)( |:|$)'

# sent_count FILE: completed TFTP transfers of FILE.
sent_count()
{
	bw_jcount "$BW_SRV_LOG" 'svc("tftp") and .msg == "sent" and .file == $f' --arg f "$1"
}

# check_transfers NAME FILE=COUNT...: completed TFTP transfers per file (a chainload loop
# would transfer the first stage again).
check_transfers()
{
	local name=$1 fc f want got have=() bad=0
	shift
	for fc in "$@"; do
		f=${fc%=*}
		want=${fc#*=}
		got=$(sent_count "$f")
		have+=("$f $got (want $want)")
		[[ $got == "$want" ]] || bad=1
	done
	if ((bad == 0)); then
		bw_pass "$name: transfers: ${have[*]}: no chainload loop"
	else
		bw_fail "$name: transfers: ${have[*]}" \
			"$(bw_jlines "$BW_SRV_LOG" 'svc("tftp") and says("sent|failed|refusing|size probe")' | tail -n 10)"
	fi
}

# report_4011 MAC NAME: reports whether anything used port 4011 (proxy runs).
report_4011()
{
	local n_cap=- n_ack
	n_ack=$(bw_dhcp_count "$BW_SRV_LOG" "$1" '^ACK boot ' level=info)
	if [[ -n $BW_CAP && -s $BW_CAP ]]; then
		n_cap=$(bw_cap_summary | grep -cE ' (src|dst)=[0-9.]+:4011 ' || true)
	fi
	bw_say "$2: port 4011: $n_cap packets in the capture, $n_ack proxy ACKs in bootwire's log"
	if ((n_ack > 0)); then
		printf '       port 4011 used: %s\n' "$(bw_dhcp_lines "$BW_SRV_LOG" "$1" '^ACK boot ' | head -n 3)"
	fi
}

# ---------------------------------------------------------------------------------------
# (a) server mode, BIOS: the iPXE ROM, then undionly.kpxe

run_server_bios()
{
	local mac=52:54:00:bb:00:01 conf=$BW_WORK/server-bios.yaml lines n seq
	write_conf "$conf" server
	bw_dhcp_start "$conf" || {
		bw_fail "server-bios: bootwire did not start"
		return 0
	}
	start_capture server-bios
	boot_vm server-bios "$BOOT_SECS" -fw_cfg "name=etc/sercon-port,file=$BW_WORK/sercon" \
		-device "e1000,netdev=n0,mac=$mac" -boot n
	bw_cap_stop
	lines=$(bw_dhcp_lines "$BW_SRV_LOG" "$mac" "$DECIDED")
	if [[ $VM_RESULT == marker ]] && grep -aq "BOOTWIRE-MARKER-pcbios-$TOKEN" "$VM_SERIAL"; then
		bw_pass "server-bios: PXE boot from bootwire ran boot.ipxe under undionly.kpxe (marker after ${VM_SECS}s)"
	else
		boot_failed "server-bios: no marker on the serial console"
	fi
	if bw_dhcp_has "$BW_SRV_LOG" "$mac" '^ACK 10\.77\.0\.1[0-9][0-9] boot boot\.ipxe$' client=ipxe arch=bios; then
		bw_pass "server-bios: the e1000 ROM (iPXE, arch 0) got an address and boot.ipxe at once"
	else
		bw_fail "server-bios: no ACK with an address and boot.ipxe for the ROM" "${lines:-(no OFFER/ACK lines for $mac)}"
	fi
	n=$(bw_dhcp_count "$BW_SRV_LOG" "$mac" "$DECIDED")
	if ((n > 0)) && (($(bw_dhcp_count "$BW_SRV_LOG" "$mac" ' boot boot\.ipxe$' client=ipxe) == n)); then
		bw_pass "server-bios: every OFFER/ACK ($n) went to an iPXE client and named boot.ipxe"
	else
		bw_fail "server-bios: some OFFER/ACK named another file or client kind" "${lines:-(none)}"
	fi
	check_transfers server-bios undionly.kpxe=1 boot.ipxe=2
	# undionly.kpxe's own DHCP: an ACK for boot.ipxe after its transfer, then boot.ipxe again
	seq=$(bw_jq "$BW_SRV_LOG" 'if svc("tftp") and .msg == "sent" then "sent:\(.file)"
		elif dhcp($m) and says("^ACK .* boot boot\\.ipxe$") then "ack" else empty end' --arg m "$mac" |
		tr '\n' ' ')
	if [[ " $seq" == *" sent:undionly.kpxe "*"ack "*"sent:boot.ipxe "* ]]; then
		bw_pass "server-bios: undionly.kpxe did DHCP again, was recognised as iPXE and got boot.ipxe"
	else
		bw_fail "server-bios: no DHCP ACK with boot.ipxe, then a boot.ipxe transfer, after undionly.kpxe" \
			"$(bw_jlines "$BW_SRV_LOG" 'svc("dhcp") or svc("tftp")' | tail -n 20)"
	fi
	bw_stop_server
	if bw_lease_bound "$conf" "$mac" '^10\.77\.0\.1[0-9][0-9]$'; then
		bw_pass "server-bios: bootwire leases lists the VM's bound lease"
	else
		bw_fail "server-bios: lease not in the database" "$("$BOOTWIRE" leases -c "$conf" --all 2>&1)"
	fi
}

# ---------------------------------------------------------------------------------------
# (b) proxy mode: addresses from dnsmasq (another host on the bridge), boot from bootwire

# run_proxy NAME MAC PLATFORM FIRST_FILE "FILE=COUNT..." QEMU_ARGS...: FIRST_FILE is what
# the firmware's first DHCP gets (boot.ipxe for the iPXE ROM, ipxe.efi for OVMF); the
# transfers are checked as check_transfers does.
run_proxy()
{
	local name=$1 mac=$2 platform=$3 first=$4 transfers=$5
	shift 5
	local conf=$BW_WORK/$name.yaml lines dm_pid vm_ip lease sum fre srv_re lan_re
	fre=${first//./\\.}
	srv_re=${SRV//./\\.}
	lan_re=${LAN_DHCP//./\\.}
	write_conf "$conf" proxy
	if ! bw_lan_dhcp "$NS_LAN" lan0 10.77.0.100 10.77.0.150; then
		bw_fail "$name: dnsmasq did not start" "$(cat "$BW_DM_LOG")"
		return 0
	fi
	dm_pid=$BW_DM_PID
	bw_dhcp_start "$conf" || {
		bw_fail "$name: bootwire did not start"
		return 0
	}
	start_capture "$name"
	boot_vm "$name" "$BOOT_SECS" "$@"
	bw_cap_stop
	lines=$(bw_dhcp_lines "$BW_SRV_LOG" "$mac" "$DECIDED")
	if [[ $VM_RESULT == marker ]] && grep -aq "BOOTWIRE-MARKER-$platform-$TOKEN" "$VM_SERIAL"; then
		bw_pass "$name: network boot beside dnsmasq ran boot.ipxe (marker after ${VM_SECS}s)"
	else
		boot_failed "$name: no marker on the serial console"
	fi
	lease=$(grep -i " $mac " "$BW_DM_LEASES" 2>/dev/null | awk '{print $3}' | head -n 1)
	vm_ip=$(tr -d '\r' <"$VM_SERIAL" | grep -aoE 'net0: 10\.77\.0\.[0-9]+/' | tail -n 1 | sed 's/net0: //; s,/,,')
	if [[ -n $lease && $lease =~ ^10\.77\.0\.(1[0-4][0-9]|150)$ && $vm_ip == "$lease" ]]; then
		bw_pass "$name: the VM's address $vm_ip came from dnsmasq's range"
	else
		bw_fail "$name: VM address ${vm_ip:-none} vs dnsmasq lease ${lease:-none} (range 10.77.0.100-150)" \
			"$(tail -n 5 "$BW_DM_LEASES" 2>/dev/null)"
	fi
	if bw_dhcp_has "$BW_SRV_LOG" "$mac" "^OFFER boot $fre\$" &&
		bw_dhcp_has "$BW_SRV_LOG" "$mac" '^OFFER boot boot\.ipxe$' client=ipxe &&
		! bw_dhcp_has "$BW_SRV_LOG" "$mac" '^(OFFER|ACK) [0-9]'; then
		bw_pass "$name: bootwire's proxy OFFERs carry no address; the firmware got $first, iPXE boot.ipxe"
	else
		bw_fail "$name: bootwire's decisions are not address-less proxy OFFERs ($first, then boot.ipxe)" "${lines:-(none)}"
	fi
	if [[ -n $BW_CAP ]]; then
		sum=$(bw_cap_summary)
		if grep -qE "^OFFER .* yiaddr=0\.0\.0\.0 .* src=$srv_re:67 .* siaddr=$srv_re " <<<"$sum" &&
			! grep -E " src=$srv_re:(67|4011) " <<<"$sum" | grep -qv ' yiaddr=0\.0\.0\.0 ' &&
			grep -qE "^ACK .* yiaddr=10\.77\.0\.[0-9]+ .* src=$lan_re:67 " <<<"$sum"; then
			bw_pass "$name: on the wire: bootwire's replies have yiaddr 0.0.0.0, dnsmasq's ACK the address"
		else
			bw_fail "$name: DHCP packets on br0 are not as expected" "$sum"
		fi
	else
		bw_skip_check "$name: yiaddr on the wire" "no capture"
	fi
	# shellcheck disable=SC2086 # FILE=COUNT words
	check_transfers "$name" $transfers
	report_4011 "$mac" "$name"
	bw_stop_server
	bw_stop "$dm_pid" 5 || true
}

run_proxy_bios()
{
	run_proxy proxy-bios 52:54:00:bb:00:02 pcbios boot.ipxe "undionly.kpxe=1 boot.ipxe=2" \
		-fw_cfg "name=etc/sercon-port,file=$BW_WORK/sercon" \
		-device e1000,netdev=n0,mac=52:54:00:bb:00:02 -boot n
}

run_proxy_uefi()
{
	cp "$OVMF_VARS" "$BW_WORK/ovmf-vars-proxy.fd"
	run_proxy proxy-uefi 52:54:00:bb:00:04 efi ipxe.efi "ipxe.efi=1 boot.ipxe=1" \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$BW_WORK/ovmf-vars-proxy.fd" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:bb:00:04,romfile= \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
}

# ---------------------------------------------------------------------------------------
# (c) server mode, UEFI: OVMF's own PXE loads ipxe.efi, which gets boot.ipxe

run_server_uefi()
{
	local mac=52:54:00:bb:00:03 conf=$BW_WORK/server-uefi.yaml lines
	write_conf "$conf" server
	cp "$OVMF_VARS" "$BW_WORK/ovmf-vars.fd"
	bw_dhcp_start "$conf" || {
		bw_fail "server-uefi: bootwire did not start"
		return 0
	}
	start_capture server-uefi
	boot_vm server-uefi "$BOOT_SECS" \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$BW_WORK/ovmf-vars.fd" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
	bw_cap_stop
	lines=$(bw_dhcp_lines "$BW_SRV_LOG" "$mac" "$DECIDED")
	if [[ $VM_RESULT == marker ]] && grep -aq "BOOTWIRE-MARKER-efi-$TOKEN" "$VM_SERIAL"; then
		bw_pass "server-uefi: OVMF PXE -> ipxe.efi -> boot.ipxe (marker after ${VM_SECS}s)"
	else
		boot_failed "server-uefi: no marker on the serial console"
	fi
	if bw_dhcp_has "$BW_SRV_LOG" "$mac" '^ACK 10\.77\.0\.1[0-9][0-9] boot ipxe\.efi$' client=pxe arch=efi_x64; then
		bw_pass "server-uefi: OVMF's PXE (arch 7) got an address and ipxe.efi"
	else
		bw_fail "server-uefi: no ACK with ipxe.efi for OVMF's PXE" "${lines:-(none)}"
	fi
	if bw_dhcp_has "$BW_SRV_LOG" "$mac" '^ACK 10\.77\.0\.1[0-9][0-9] boot boot\.ipxe$' client=ipxe arch=efi_x64 &&
		! bw_dhcp_has "$BW_SRV_LOG" "$mac" ' boot ipxe\.efi$' client=ipxe; then
		bw_pass "server-uefi: ipxe.efi was recognised as iPXE and got boot.ipxe, never ipxe.efi"
	else
		bw_fail "server-uefi: ipxe.efi's DHCP did not end in boot.ipxe" "${lines:-(none)}"
	fi
	# OVMF reads ipxe.efi twice: a tsize probe ("size probe answered"), then the transfer
	check_transfers server-uefi ipxe.efi=1 boot.ipxe=1
	bw_stop_server
}

for run in ${BW_PXE_RUNS:-server-bios proxy-bios server-uefi proxy-uefi}; do
	case $run in
	server-bios) run_server_bios ;;
	proxy-bios) run_proxy_bios ;;
	server-uefi | proxy-uefi)
		if [[ ! -r $OVMF_CODE || ! -r $OVMF_VARS ]]; then
			bw_skip_check "$run" "no OVMF ($OVMF_CODE)"
		elif [[ $run == server-uefi ]]; then
			run_server_uefi
		else
			run_proxy_uefi
		fi
		;;
	*) bw_fail "unknown run $run in BW_PXE_RUNS" ;;
	esac
done
bw_summary
