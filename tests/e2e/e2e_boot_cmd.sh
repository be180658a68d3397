#!/usr/bin/env bash
# e2e_boot_cmd: `bootwire boot KERNEL INITRD` boots a VM with no config file at all.
#
#   In the test's namespace:
#     bootwire boot vmlinuz initrd.img --cmdline "console=ttyS0 bootwire.marker=oneshot"
#       --interface br0 --dhcp-range 10.77.0.100-10.77.0.150 --http-port 8080 --log-format json
#   builds its own boot root in /tmp/bootwire-boot.XXXXXX (the kernel, the initrd, Debian's
#   iPXE programs), becomes the DHCP server of br0, serves TFTP and HTTP and drops to user
#   nobody. QEMU (TCG) BIOS VM with the e1000 iPXE ROM -> DHCP: an address from the range and
#   the script's HTTP URL -> the generated script -> kernel and initrd over HTTP ->
#   `BOOTWIRE-MARKER oneshot`. The command is then stopped by PID (SIGTERM).
#
# Checks: it announces the DHCP server on br0 and runs as nobody; the marker; the kernel
# command line is exactly --cmdline; the ACK's address is inside --dhcp-range and names
# http://10.77.0.1:8080/boot.ipxe?...; script, kernel and initrd over HTTP (whole), nothing
# over TFTP; the boot programs UEFI and BIOS clients would be sent (ipxe.efi, snponly.efi,
# undionly.kpxe) are served over HTTP and TFTP; it exits 0 on SIGTERM and its temporary
# directory is gone. About 12 s.
#
# Run: sudo bash tests/e2e/e2e_boot_cmd.sh   (BOOTWIRE=..., BW_E2E_CACHE=..., BW_KEEP=1)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
# shellcheck source=SCRIPTDIR/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

e2e_init

MAC=52:54:00:e2:e0:07
MARK=oneshot
CMDLINE="console=ttyS0 bootwire.marker=$MARK"
e2e_netns 1

BLOG=$BW_WORK/bootwire-boot.log
bw_say "start bootwire boot (no config file) in $E2E_NS"
bw_spawn "$E2E_NS" "$BLOG" "$BOOTWIRE" boot "$E2E_CACHE/vmlinuz" "$E2E_CACHE/initrd.img" \
	--cmdline "$CMDLINE" --interface br0 --dhcp-range 10.77.0.100-10.77.0.150 --http-port "$E2E_HTTP_PORT" \
	--log-format json
BOOT_PID=$BW_LAST_PID
BW_SRV_LOG=$BLOG # for the e2e_* helpers
if ! e2e_wait_log 'svc("http") and says("^listening on ")' 10 || ! e2e_wait_log 'svc("dhcp") and says("^serving br0 ")' 5 ||
	! e2e_wait_log 'says("^running as user ")' 5 || ! bw_alive "$BOOT_PID"; then
	bw_fail "bootwire boot did not start" "$(bw_log_tail "$BLOG" 20)"
	bw_summary
fi
# its boot root, from its own log (the trap removes it should the command not)
DIR=$(bw_jq "$BLOG" 'select(svc("tftp") and says("^listening on ")) | .msg |
	capture(", serving (?<d>/tmp/bootwire-boot\\.[A-Za-z0-9]+)$").d' | head -n 1)
[[ -n $DIR ]] && BW_TMPDIRS+=("$DIR")
bw_say "bootwire boot runs as PID $BOOT_PID, boot root ${DIR:-(unknown)}"

# (the command's own announcement, not a log line)
if grep -qE '^bootwire boot: serving vmlinuz on br0 \(10\.77\.0\.1\) as the DHCP server' "$BLOG"; then
	bw_pass "bootwire boot serves vmlinuz on br0 (10.77.0.1) as the DHCP server"
else
	bw_fail "bootwire boot did not announce the DHCP server on br0" "$(head -n 3 "$BLOG")"
fi
nobody=$(id -u nobody 2>/dev/null || echo 65534)
# The daemon is a child of `bootwire boot`, which stays root only to clean up afterwards.
daemon=$(pgrep -P "$BOOT_PID" -f bootwire | head -n 1 || true)
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/${daemon:-0}/status" 2>/dev/null || true)
if [[ $uids == "$nobody $nobody $nobody $nobody" ]] && bw_jhas "$BLOG" 'says("^running as user nobody ")'; then
	bw_pass "bootwire boot's daemon dropped to user nobody (uid $nobody)"
else
	bw_fail "bootwire boot does not run as nobody" "Uid: ${uids:-?}" "$(bw_jlines "$BLOG" 'msg_has("running as")')"
fi

e2e_vm_start bios bios "$MAC" tap0
e2e_check_marker "BIOS VM booted from bootwire boot" "$MARK"
got=$(e2e_cmdline)
if [[ $got == "$CMDLINE" ]]; then
	bw_pass "the kernel command line is exactly --cmdline: $got"
else
	bw_fail "the kernel command line is not --cmdline" "expected: $CMDLINE" "got: ${got:-(none)}"
fi
e2e_check_poweroff

acks=$(e2e_dhcp_lines "$MAC" ACK)
ip=$(e2e_acked_ip "$MAC" '^ACK 10\.77\.0\.[0-9]+ ')
url=$(e2e_script_url "$MAC" bios)
if [[ -n $ip ]] && ((${ip##*.} >= 100 && ${ip##*.} <= 150)) &&
	e2e_dhcp_has "$MAC" "^ACK .* boot $(bw_re_quote "$url")\$"; then
	bw_pass "DHCP: ACKed $ip (inside --dhcp-range) with $url"
else
	bw_fail "DHCP: no ACK inside 10.77.0.100-150 with $url" "${acks:-(no ACK for $MAC)}"
fi
e2e_check_generated "$MAC" bios
e2e_check_http boot boot.ipxe=1 vmlinuz=1 initrd.img=1
e2e_check_whole http "$E2E_CACHE" vmlinuz initrd.img
e2e_check_no_tftp boot

# What other clients would be sent: BIOS PXE undionly.kpxe, UEFI ipxe.efi (the default
# dhcp.boot_files.efi_x64, also UEFI HTTP boot's URL) and snponly.efi, over HTTP and TFTP.
if ! command -v curl >/dev/null 2>&1; then
	bw_skip_check "the boot programs bootwire boot serves" "no curl"
else
	for f in undionly.kpxe ipxe.efi snponly.efi; do
		want=$(stat -L -c %s "/usr/lib/ipxe/$f")
		h=$(ip netns exec "$E2E_NS" curl -sS -o /dev/null --max-time 5 -w '%{http_code} %{size_download}' "$E2E_HTTP_BASE$f" 2>&1 || true)
		t=$(ip netns exec "$E2E_NS" curl -s -o /dev/null --max-time 10 -w '%{size_download}' "tftp://$E2E_SRV/$f" || echo " (curl exit $?)")
		if [[ $h == "200 $want" && $t == "$want" ]]; then
			bw_pass "$f ($want bytes) is served over HTTP and TFTP"
		else
			entry=$(ls -l "${DIR:-/nonexistent}/$f" 2>&1 || true)
			src=$(ls -l "/usr/lib/ipxe/$f" 2>&1 || true)
			if [[ $entry == l* ]]; then
				e2e_lines "boot root: $entry" "source:    $src" \
					"(link(2) on a symlink links the symlink itself; bootwire boot should link or copy the file it points to)" \
					"$(bw_jlines "$BLOG" '.level != "debug" and (tojson | contains($f))' --arg f "$f" | tail -n 2)"
				bw_fail "BOOTWIRE BUG: bootwire boot's $f is not served (HTTP: $h, TFTP: $t; want $want bytes): its boot root holds a symlink that leaves it, which bootwire rightly refuses" \
					"${E2E_LINES[@]}"
			else
				e2e_lines "boot root: $entry" "$(bw_jlines "$BLOG" '.level != "debug" and (tojson | contains($f))' --arg f "$f" | tail -n 2)"
				bw_fail "$f is not served (HTTP: $h, TFTP: $t; want $want bytes)" "${E2E_LINES[@]}"
			fi
		fi
	done
fi

# stop it by PID; its temporary boot root goes with it
if bw_stop "$BOOT_PID" 5 && [[ $BW_STOP_STATUS == 0 ]]; then
	bw_pass "bootwire boot exits 0 on SIGTERM"
else
	bw_fail "bootwire boot did not exit 0 on SIGTERM" "exit status: $BW_STOP_STATUS" "$(bw_log_tail "$BLOG" 5)"
fi
if [[ -z $DIR ]]; then
	bw_fail "bootwire boot's boot root is unknown (no 'tftp listening on ..., serving /tmp/bootwire-boot.*' line)"
elif [[ ! -e $DIR ]]; then
	bw_pass "its temporary boot root $DIR was removed"
else
	bw_fail "its temporary boot root $DIR is still there" "$(ls -la "$DIR" 2>&1)"
fi
bw_summary
