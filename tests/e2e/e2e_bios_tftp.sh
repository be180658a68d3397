#!/usr/bin/env bash
# e2e_bios_tftp: a diskless BIOS VM boots Linux over the network from bootwire, all over TFTP.
#
#   QEMU (TCG) with SeaBIOS and an e1000 whose option ROM is iPXE -> bootwire's DHCP server
#   (the ROM is iPXE, so it gets its script boot.ipxe at once) -> boot.ipxe over TFTP ->
#   Debian's kernel (vmlinuz) and the busybox initramfs (initrd.img) over TFTP -> the
#   initramfs prints `BOOTWIRE-MARKER <token>` from the kernel command line the script set,
#   and powers the VM off.
#
# Checks: the marker (the whole chain worked); the console shows Debian's kernel release;
# bootwire ACKed the VM an address with boot.ipxe as an iPXE/BIOS client, and iPXE reports
# that address; each file went over TFTP exactly once and whole; the VM powered itself off;
# the lease is in the database; bootwire exits cleanly. A boot takes about 12 s under TCG
# (27 s with BW_E2E_RA=0: iPXE then waits 15 s for an IPv6 router advertisement).
#
# Run: sudo bash tests/e2e/e2e_bios_tftp.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init

MAC=52:54:00:e2:e0:01
TOKEN=bios-tftp-$$-$RANDOM
e2e_serve
e2e_ipxe_script "$E2E_ROOT/boot.ipxe" "$TOKEN"

e2e_vm_start bios bios "$MAC" tap0
e2e_check_marker "BIOS VM booted Debian's kernel over TFTP" "$TOKEN"
serial=$(e2e_serial_text "$E2E_VM_SERIAL")
if grep -aq "Linux version $E2E_KERNEL_RELEASE " <<<"$serial"; then
	bw_pass "the console shows Debian's kernel $E2E_KERNEL_RELEASE starting"
else
	bw_fail "no 'Linux version $E2E_KERNEL_RELEASE' on the console" "$(e2e_serial_tail "$E2E_VM_SERIAL" 10)"
fi
e2e_check_poweroff

acks=$(e2e_dhcp_lines "$MAC" ACK)
n=$(e2e_dhcp_count "$MAC" '^ACK ')
ip=$(e2e_acked_ip "$MAC" '^ACK 10\.77\.0\.[0-9]+ boot boot\.ipxe$' client=ipxe arch=bios)
if [[ -n $ip ]] && (($(e2e_dhcp_count "$MAC" '^ACK .* boot boot\.ipxe$' client=ipxe arch=bios) == n)); then
	bw_pass "DHCP: the iPXE ROM (arch bios) was ACKed $ip with boot.ipxe, every time ($n ACK)"
else
	bw_fail "DHCP: no ACK with an address and boot.ipxe for the iPXE ROM, or another boot file" "${acks:-(no ACK for $MAC)}"
fi
if [[ -n $ip ]] && grep -aq "bootwire-script: platform pcbios mac $MAC ip $ip\$" <<<"$serial" &&
	grep -aq "bootwire-script: next-server $E2E_SRV filename boot.ipxe\$" <<<"$serial"; then
	bw_pass "iPXE ran boot.ipxe on pcbios with $ip, next-server $E2E_SRV"
else
	bw_fail "the script's own line (platform, address, next-server) is not as expected" \
		"$(grep -a 'bootwire-script:' <<<"$serial" || echo '(no bootwire-script line)')"
fi

e2e_check_transfers bios boot.ipxe=1 vmlinuz=1 initrd.img=1
e2e_check_whole tftp "$E2E_ROOT" vmlinuz initrd.img
# the transfer lines name the machine: its address came from bootwire's DHCP
if bw_jhas "$BW_SRV_LOG" 'sent("vmlinuz") and .mac == $m' --arg m "$MAC" &&
	bw_jhas "$BW_SRV_LOG" 'sent("initrd.img") and .mac == $m' --arg m "$MAC"; then
	bw_pass "TFTP log lines carry the VM's MAC $MAC"
else
	bw_fail "TFTP log lines lack mac=$MAC" "$(bw_jq "$BW_SRV_LOG" 'select(svc("tftp")) | "\(.file) mac=\(.mac)"')"
fi
bw_say "TFTP: $(bw_jq "$BW_SRV_LOG" 'select(sent("vmlinuz") or sent("initrd.img")) |
	"sent file=\(.file) bytes=\(.bytes) seconds=\(.seconds)"' | tr '\n' ' ')"

bw_stop_server
if bw_lease_bound "$E2E_CONF" "$MAC" "^$(bw_re_quote "$ip")\$"; then
	bw_pass "bootwire leases lists $ip bound to the VM"
else
	bw_fail "the VM's lease is not in the database" "$("$BOOTWIRE" leases -c "$E2E_CONF" --all 2>&1)"
fi
bw_summary
