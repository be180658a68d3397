#!/usr/bin/env bash
# e2e_two_vms: two diskless VMs network-boot from one bootwire at the same time, and each
# gets the profile its MAC's machine entry names.
#
#   Two QEMU (TCG) BIOS VMs (e1000 iPXE ROM) on tap0 and tap1 of one bridge, powered on
#   together -> bootwire's DHCP server gives each an address and the script URL with its own
#   MAC -> bootwire renders profile `alpha` for the first MAC and `beta` for the second (two
#   different markers; the default profile has a third) -> kernel and initrd over HTTP ->
#   each initramfs prints its own marker.
#
# Checks, per VM: its own marker on its own console and neither the other's nor the
# default profile's; its kernel command line is its profile's; bootwire generated its
# script for its MAC and served it the kernel and initrd over HTTP; then: two different
# addresses; both boots overlapped in time; each VM powered itself off; bootwire exits
# cleanly. About 20 s (the two VMs share the CPUs).
#
# Run: sudo bash tests/e2e/e2e_two_vms.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init

MACS=(52:54:00:e2:e0:51 52:54:00:e2:e0:52)
NAMES=(alpha beta)
TOKEN=$$-$RANDOM
MARKS=("alpha-$TOKEN" "beta-$TOKEN")
e2e_serve --http --taps 2 "profiles:
  alpha:  { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=${MARKS[0]}\" }
  beta:   { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=${MARKS[1]}\" }
  other:  { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=default-$TOKEN\" }
machines:
  - { mac: \"${MACS[0]}\", profile: alpha }
  - { mac: \"${MACS[1]}\", profile: beta }
default_profile: other"

for i in 0 1; do
	e2e_vm_start "vm-${NAMES[i]}" bios "${MACS[i]}" "tap$i"
done

# wait for both (bounded: each wait stops at its marker, a failure, the VM's end or the
# bound; the second VM has had the first one's wait to boot meanwhile)
RESULTS=()
for i in 0 1; do
	e2e_vm_use "vm-${NAMES[i]}"
	e2e_check_marker "vm-${NAMES[i]} (${MACS[i]}) booted its profile ${NAMES[i]}" "${MARKS[i]}"
	RESULTS+=("$E2E_WAIT_RESULT")
done

for i in 0 1; do
	o=$((1 - i))
	e2e_vm_use "vm-${NAMES[i]}"
	wrong=$(e2e_serial_text "$E2E_VM_SERIAL" | grep -aE "BOOTWIRE-MARKER (${MARKS[o]}|default-$TOKEN)" || true)
	if [[ -z $wrong ]]; then
		bw_pass "vm-${NAMES[i]}: neither ${NAMES[o]}'s nor the default profile's marker on its console"
	else
		bw_fail "vm-${NAMES[i]} printed another profile's marker" "$wrong"
	fi
	e2e_check_cmdline "vm-${NAMES[i]}" "console=ttyS0 bootwire.marker=${MARKS[i]}"
	e2e_check_poweroff "vm-${NAMES[i]}" "${RESULTS[i]}"
done

IPS=()
for i in 0 1; do
	mac=${MACS[i]}
	acks=$(e2e_dhcp_lines "$mac" ACK)
	ip=$(e2e_acked_ip "$mac" '^ACK 10\.77\.0\.[0-9]+ ')
	IPS+=("${ip:-none}")
	url=$(e2e_script_url "$mac" bios)
	if [[ -n $ip ]] && e2e_dhcp_has "$mac" "^ACK .* boot $(bw_re_quote "$url")\$"; then
		bw_pass "vm-${NAMES[i]}: DHCP ACKed $ip with $url"
	else
		bw_fail "vm-${NAMES[i]}: no ACK with an address and $url" "${acks:-(no ACK for $mac)}"
		continue
	fi
	# the VM's own requests, by its address: its script (for its MAC), kernel and initrd
	from_ip='(.peer | startswith($ip + ":"))'
	if bw_jhas "$BW_SRV_LOG" "$from_ip"' and served("GET"; "boot.ipxe") and .msg == "served (generated)" and
		.path == "/boot.ipxe?mac=\($mac | gsub(":"; "%3A"))&arch=bios"' --arg ip "$ip" --arg mac "$mac" &&
		bw_jhas "$BW_SRV_LOG" "$from_ip"' and served("GET"; "vmlinuz")' --arg ip "$ip" &&
		bw_jhas "$BW_SRV_LOG" "$from_ip"' and served("GET"; "initrd.img")' --arg ip "$ip"; then
		bw_pass "vm-${NAMES[i]} ($ip): HTTP served its script (generated for $mac), vmlinuz and initrd.img"
	else
		mine=$(bw_jlines "$BW_SRV_LOG" "svc(\"http\") and $from_ip" --arg ip "$ip")
		bw_fail "vm-${NAMES[i]} ($ip): HTTP did not serve its script, kernel and initrd" "${mine:-(no HTTP request from $ip)}"
	fi
done
if [[ ${IPS[0]} != none && ${IPS[1]} != none && ${IPS[0]} != "${IPS[1]}" ]]; then
	bw_pass "the two VMs got different addresses (${IPS[*]})"
else
	bw_fail "the two VMs did not get two different addresses" "${IPS[*]}"
fi

# at the same time: each VM's first DHCP came before the other's kernel was served (log lines)
first_dhcp()
{
	bw_jq "$BW_SRV_LOG" 'select(dhcp($m) and .level == "info" and says("^(OFFER|ACK) ")) | input_line_number' \
		--arg m "$1" | head -n 1
}
kernel_served()
{
	bw_jq "$BW_SRV_LOG" 'select(served("GET"; "vmlinuz") and .msg == "served" and (.peer | startswith($ip + ":"))) |
		input_line_number' --arg ip "$1" | head -n 1
}
d0=$(first_dhcp "${MACS[0]}")
d1=$(first_dhcp "${MACS[1]}")
k0=$(kernel_served "${IPS[0]}")
k1=$(kernel_served "${IPS[1]}")
if [[ -n $d0 && -n $d1 && -n $k0 && -n $k1 ]] && ((d0 < k1 && d1 < k0)); then
	bw_pass "the two boots overlapped: each VM's DHCP came before the other's kernel"
else
	bw_fail "the two boots did not overlap (log lines: DHCP $d0/$d1, kernels $k0/$k1)" \
		"$(bw_jlines "$BW_SRV_LOG" '.level != "debug" and (svc("dhcp") or svc("http"))' | tail -n 12)"
fi

bw_stop_server
bw_summary
