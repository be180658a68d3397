# shellcheck shell=bash disable=SC2016 # $names in single quotes are jq's
# Helpers for tests/e2e/*.sh: real VMs (QEMU, always TCG) network-boot Debian's kernel and a
# busybox initramfs from bootwire, on a bridge in a network namespace the test creates. The
# initramfs prints `BOOTWIRE-MARKER <token>` for every `bootwire.marker=<token>` on the
# kernel command line and powers off, so a marker on the serial console proves the whole
# chain: firmware, DHCP, boot program, script, kernel, initramfs, command line.
# Source after `set -euo pipefail`; builds on tests/system/lib.sh (checks, bw_spawn/bw_stop,
# the cleanup trap, bw_start_serve, the bw_j* readers of bootwire's JSON log) and dhcp_lib.sh
# (bw_dhcp_*, bw_bridge_host, bw_lan_dhcp). A test starts with e2e_init (and most with
# e2e_serve):
#   e2e_init
#   e2e_serve --http "profiles: ..."
#   e2e_vm_start bios bios "$MAC" tap0
#   e2e_check_marker "BIOS VM booted ..." "$TOKEN"
#   e2e_check_poweroff
# then checks bootwire's log (e2e_check_*), bw_stop_server and bw_summary.
#
# Environment (besides lib.sh's BOOTWIRE, BW_KEEP):
#   BW_E2E_CACHE     the assets cache shared by all e2e tests and the demo
#                    (/var/cache/bootwire-e2e): scripts/netboot-assets.sh --boot-programs
#   OVMF_CODE, OVMF_VARS   UEFI firmware (Debian package ovmf)
#   BW_E2E_BOOT_SECS bound on one boot (default 100; a BIOS boot takes about 12 s, UEFI 20)
#   BW_E2E_RA=0      no IPv6 router advertisements on br0 (scripts/ipv6-ra.py): iPXE then
#                    waits about 15 s per boot for an IPv6 router before it goes on
#
# Functions:
#   e2e_init [CMD...]               e2e_require (and CMDs), the trap, BW_WORK, e2e_assets
#   e2e_serve [--http] [--proxy] [--taps N] [YAML]   boot root, namespace, config, bootwire
#   e2e_require                     skip unless root, QEMU, ip, bootwire
#   e2e_assets                      build or reuse the cached assets; sets E2E_KERNEL_RELEASE...
#   e2e_boot_root DIR               a boot root: vmlinuz, initrd.img, iPXE and pxelinux programs
#   e2e_ipxe_script FILE TOKEN [ARGS]  an iPXE script that boots them with bootwire.marker=TOKEN
#   e2e_netns NTAPS                 namespace with br0 (10.77.0.1/24) and tap0..tapN-1, and
#                                   IPv6 router advertisements on br0 (see BW_E2E_RA)
#   e2e_conf FILE ROOT [YAML [MODE]]  a config for br0 (DHCP server, or MODE proxy), YAML appended
#   e2e_start_bootwire CONF         bootwire serve in the namespace, ready for DHCP on br0
#   e2e_vm_start NAME KIND MAC TAP [QEMU ARGS]  KIND: bios | uefi | uefi-ipxe
#   e2e_vm_use NAME                 make VM NAME the last one again (tests with several)
#   e2e_wait_marker TOKEN [SECS]    wait for the marker on the last VM's serial console
#   e2e_check_marker DESC TOKEN     wait, then one check (e2e_marker_verdict: why it failed)
#   e2e_check_poweroff [LABEL [RESULT]]  after the marker the VM powers itself off; stop it
#   e2e_vm_stop [PID]               stop a VM (the last one by default)
#   e2e_serial_text FILE, e2e_serial_tail FILE [N]   the console as plain text
#   e2e_check_transfers NAME FILE=COUNT...           completed TFTP transfers per file
#   e2e_http_yaml                   the `http:` line that turns on HTTP (E2E_SRV:8080)
#   e2e_wait_log COND [SECS [LOG]]  wait for a line of bootwire's JSON log (a jq condition)
#   e2e_check_http NAME FILE=COUNT...                GETs answered 200 per path (VMs only)
#   e2e_check_whole PROTO ROOT FILE...               each file went whole over http or tftp
#   e2e_check_no_tftp NAME, e2e_check_no_http NAME   no TFTP (HTTP) request from any VM
#   e2e_dhcp_lines MAC [TYPE_RE]    bootwire's OFFER/ACK/NAK lines for MAC, as text
#   e2e_dhcp_has MAC MSG_RE [KEY=VALUE...], e2e_dhcp_count ...  its decisions, on fields
#   e2e_acked_ip MAC [MSG_RE [KEY=VALUE...]]   the address of its first ACK
#   e2e_script_url MAC ARCH         the boot.ipxe URL bootwire's DHCP hands iPXE
#   e2e_check_generated MAC ARCH [FROM]  boot.ipxe generated for MAC and ARCH, answered 200
#   e2e_check_cmdline NAME WANT     the kernel command line the initramfs printed
#   e2e_http_get PATH               a page from bootwire's HTTP service (curl, in E2E_NS)
#   e2e_lines TEXT...               split TEXTs into E2E_LINES (bw_fail detail lines)
#   e2e_efi_initrd_bug              the EFI stub could not open its initrd (sets E2E_BUG)

# shellcheck source=SCRIPTDIR/../system/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../system/lib.sh"
# shellcheck source=SCRIPTDIR/../system/dhcp_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../system/dhcp_lib.sh"

E2E_CACHE=${BW_E2E_CACHE:-/var/cache/bootwire-e2e}
E2E_ASSETS_SCRIPT=$BW_REPO_ROOT/scripts/netboot-assets.sh
E2E_SRV=10.77.0.1
E2E_OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
E2E_OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
E2E_BOOT_SECS=${BW_E2E_BOOT_SECS:-100}
# bootwire's log format in e2e_conf: the tests (e2e_init) read JSON lines with jq; text for
# anyone else using these helpers (bench/boot.sh reads the text log's timestamps)
E2E_LOG_FORMAT=text
E2E_NS=
E2E_VM_PID=
E2E_VM_SERIAL=
E2E_VM_T0=
E2E_VM_NAME=
E2E_VM_MAC=
declare -A E2E_VM_INFO=() # NAME -> "PID SERIAL T0 MAC", for e2e_vm_use
# Console lines that end a boot early: firmware, iPXE and kernel failures.
E2E_FAIL_RE='Nothing to boot|No bootable device|PXE-E[0-9A-F]+|Could not boot|No more network devices|Kernel panic|failed to load Boot[0-9A-F]+ "UEFI (PXE|HTTP)'

e2e_require()
{
	bw_require_root
	bw_require_cmds qemu-system-x86_64 ip timeout flock apt-get dpkg-deb
	bw_require_server
	[[ $BW_SERVER == bootwire ]] || bw_skip "end-to-end tests run bootwire only"
}

# e2e_init [CMD...]: how every test starts: skip unless it can run (e2e_require, jq, and the
# commands CMD), the cleanup trap, the work directory BW_WORK, the assets (e2e_assets); and
# bootwire logs JSON (E2E_LOG_FORMAT), which the checks below read.
# shellcheck disable=SC2120 # its arguments are optional
e2e_init()
{
	e2e_require
	bw_require_cmds jq "$@"
	E2E_LOG_FORMAT=json
	bw_setup_trap
	bw_make_work
	e2e_assets
}

# e2e_assets: runs scripts/netboot-assets.sh --boot-programs into the cache (instant when
# cached) and reads its VERSIONS: E2E_KERNEL_PACKAGE, E2E_KERNEL_VERSION, E2E_KERNEL_RELEASE,
# E2E_BUSYBOX_VERSION. A failure ends the test (exit 1): these tests mean nothing without.
e2e_assets()
{
	local log=${BW_WORK:-/tmp}/netboot-assets.log
	if ! bash "$E2E_ASSETS_SCRIPT" --boot-programs "$E2E_CACHE" >"$log" 2>&1; then
		printf 'FAIL: %s: could not build the netboot assets in %s (network access to the Debian archive?):\n' \
			"$BW_NAME" "$E2E_CACHE"
		sed 's/^/  | /' "$log"
		exit 1
	fi
	# shellcheck disable=SC2034 # for the calling test
	E2E_KERNEL_PACKAGE=$(sed -n 's/^KERNEL_PACKAGE=//p' "$E2E_CACHE/VERSIONS")
	E2E_KERNEL_VERSION=$(sed -n 's/^KERNEL_VERSION=//p' "$E2E_CACHE/VERSIONS")
	# shellcheck disable=SC2034
	E2E_KERNEL_RELEASE=$(sed -n 's/^KERNEL_RELEASE=//p' "$E2E_CACHE/VERSIONS")
	E2E_BUSYBOX_VERSION=$(sed -n 's/^BUSYBOX_VERSION=//p' "$E2E_CACHE/VERSIONS")
	bw_say "assets: $E2E_KERNEL_PACKAGE $E2E_KERNEL_VERSION, busybox $E2E_BUSYBOX_VERSION ($E2E_CACHE)"
}

# e2e_boot_root DIR: a world-readable boot root with vmlinuz, initrd.img and the boot
# programs (undionly.kpxe, ipxe.efi, snponly.efi, pxelinux.0, ldlinux.c32).
e2e_boot_root()
{
	local dir=$1
	mkdir -p "$dir"
	cp "$E2E_CACHE/vmlinuz" "$E2E_CACHE/initrd.img" "$E2E_CACHE"/boot/* "$dir/"
	chmod 0755 "$dir"
	chmod 0644 "$dir"/*
}

# e2e_ipxe_script FILE TOKEN [KERNEL ARGS...]: an iPXE script that loads vmlinuz and
# initrd.img (names relative to the script's own URL: TFTP or HTTP alike) and boots with
# console=ttyS0 bootwire.marker=TOKEN. It first echoes where it runs (two `bootwire-script:`
# lines, each under 80 columns: the console wraps longer ones);
# `initrd=initrd.img` lets the kernel's EFI stub find the initrd under UEFI.
e2e_ipxe_script()
{
	local file=$1 token=$2
	shift 2
	cat >"$file" <<EOF
#!ipxe
echo bootwire-script: platform \${platform} mac \${net0/mac} ip \${net0/ip}
echo bootwire-script: next-server \${next-server} filename \${filename}
kernel vmlinuz initrd=initrd.img console=ttyS0 bootwire.marker=$token $* || goto failed
initrd initrd.img || goto failed
boot || goto failed
:failed
echo BOOTWIRE-FAILED \${errno}
EOF
	chmod 0644 "$file"
}

# e2e_netns NTAPS: namespace bwe2e-<pid> with bridge br0 ($E2E_SRV/24) and taps
# tap0..tapN-1 on it, all up (lib.sh's bw_bridge_ns), plus e2e_ipv6_ra unless BW_E2E_RA=0.
# Sets E2E_NS and BW_SRV_NS (bw_start_serve runs there); the trap deletes it.
e2e_netns()
{
	E2E_NS=bwe2e-$$
	bw_bridge_ns "$E2E_NS" "$E2E_SRV/24" "$1"
	# shellcheck disable=SC2034 # lib.sh's bw_start_serve reads it
	BW_SRV_NS=$E2E_NS
	[[ ${BW_E2E_RA:-1} == 0 ]] || e2e_ipv6_ra
}

# e2e_ipv6_ra: scripts/ipv6-ra.py on br0 in E2E_NS: router advertisements that configure
# nothing, so iPXE does not wait ~15 s for an IPv6 router. Only a speed-up: without python3
# it says so and the boots take longer.
e2e_ipv6_ra()
{
	if ! command -v python3 >/dev/null 2>&1; then
		bw_say "no python3: no IPv6 router advertisements, iPXE waits ~15 s per boot"
		return 0
	fi
	bw_spawn "$E2E_NS" "$BW_WORK/ipv6-ra.log" python3 "$BW_REPO_ROOT/scripts/ipv6-ra.py" br0 900
}

# e2e_conf FILE ROOT [YAML [MODE]]: bootwire as DHCP server (10.77.0.100-199; MODE proxy:
# proxyDHCP, no addresses) and TFTP on br0, logging at debug; YAML (more top-level keys, or
# lines continuing `dhcp:`) is appended.
e2e_conf()
{
	local file=$1 root=$2 extra=${3:-} mode=${4:-server}
	{
		printf 'boot_root: %s\n' "$root"
		printf 'log: { level: debug, format: %s }\n' "$E2E_LOG_FORMAT"
		printf 'tftp: { listen: %s }\n' "$E2E_SRV"
		printf 'dhcp:\n  enabled: true\n  mode: %s\n  interfaces: [br0]\n' "$mode"
		if [[ $mode == server ]]; then
			printf '  lease_db: %s\n' "${file%.yaml}-leases.db"
			printf '  subnets:\n'
			printf '    - { subnet: 10.77.0.0/24, range: 10.77.0.100-10.77.0.199, router: %s, lease_time: 600 }\n' "$E2E_SRV"
		fi
		[[ -z $extra ]] || printf '%s\n' "$extra"
	} >"$file"
}

# e2e_start_bootwire CONF: bootwire serve -c CONF in E2E_NS; ready when TFTP listens and
# DHCP serves br0 (and HTTP listens, when CONF turns it on: e2e_http_yaml). Sets BW_SRV_PID,
# BW_SRV_LOG.
e2e_start_bootwire()
{
	local i http=0
	bw_start_serve "$1" 69 </dev/null || return 1
	grep -qE '^http: \{ enabled: true' "$1" && http=1
	for ((i = 0; i < 100; i++)); do
		e2e_log_has dhcp 'serving br0 ' && { ((!http)) || e2e_log_has http 'listening on '; } && return 0
		bw_alive "$BW_SRV_PID" || break
		sleep 0.05
	done
	bw_log_tail "$BW_SRV_LOG" 20
	return 1
}

# e2e_log_has SERVICE TEXT: bootwire's log has a line of SERVICE whose message starts with
# TEXT, in either format (E2E_LOG_FORMAT).
e2e_log_has()
{
	if [[ $E2E_LOG_FORMAT == json ]]; then
		bw_jhas "$BW_SRV_LOG" 'svc($s) and (.msg | startswith($t))' --arg s "$1" --arg t "$2"
	else
		grep -qF " $1 $2" "$BW_SRV_LOG"
	fi
}

# e2e_serve [--http] [--proxy] [--taps N] [YAML]: the server side of most tests: the boot root
# E2E_ROOT (e2e_boot_root), the namespace with N taps (e2e_netns; 1 by default), the config
# E2E_CONF (e2e_conf: DHCP server on br0, proxyDHCP with --proxy; YAML appended, then the
# `http:` line with --http) and bootwire serve on it (e2e_start_bootwire). When bootwire does
# not start, the test ends there with that failed check.
# shellcheck disable=SC2120 # its arguments are optional
e2e_serve()
{
	local taps=1 mode=server http='' yaml
	while (($#)); do
		case $1 in
		--http) http=$(e2e_http_yaml) ;;
		--proxy) mode=proxy ;;
		--taps) taps=$2 && shift ;;
		*) break ;;
		esac
		shift
	done
	yaml=${1:-}
	[[ -z $http ]] || yaml+=$'\n'$http
	E2E_ROOT=$BW_WORK/root
	E2E_CONF=$BW_WORK/bootwire.yaml
	e2e_boot_root "$E2E_ROOT"
	e2e_netns "$taps"
	e2e_conf "$E2E_CONF" "$E2E_ROOT" "$yaml" "$mode"
	e2e_start_bootwire "$E2E_CONF" && return 0
	bw_fail "bootwire did not start" "$(bw_log_tail "$BW_SRV_LOG" 20)"
	bw_summary
}

# e2e_vm_start NAME KIND MAC TAP [QEMU ARGS...]: powers on a diskless VM on TAP in E2E_NS,
# serial console in BW_WORK/NAME.serial, QEMU's own output in BW_WORK/NAME.qemu.log.
# -nodefaults: no CD-ROM or floppy for the firmware to try first, no default NIC.
#   bios       SeaBIOS, e1000 whose option ROM is iPXE (so iPXE does the DHCP)
#   uefi       OVMF, virtio-net without option ROM: the firmware's own PXE (IPv6 PXE off)
#   uefi-ipxe  OVMF, e1000 with its iPXE EFI ROM
# Sets E2E_VM_PID, E2E_VM_SERIAL, E2E_VM_T0, E2E_VM_NAME, E2E_VM_MAC (kept for e2e_vm_use);
# the trap stops it.
e2e_vm_start()
{
	local name=$1 kind=$2 mac=$3 tap=$4 mem=256 fw=()
	shift 4
	E2E_VM_SERIAL=$BW_WORK/$name.serial
	case $kind in
	bios)
		printf '\xf8\x03' >"$BW_WORK/sercon" # SeaBIOS and iPXE print on COM1
		fw=(-fw_cfg "name=etc/sercon-port,file=$BW_WORK/sercon"
			-device "e1000,netdev=n0,mac=$mac" -boot n)
		;;
	uefi | uefi-ipxe)
		[[ -r $E2E_OVMF_CODE && -r $E2E_OVMF_VARS ]] || bw_skip "no OVMF ($E2E_OVMF_CODE)"
		mem=512
		cp "$E2E_OVMF_VARS" "$BW_WORK/$name.vars.fd"
		# shellcheck disable=SC2054 # commas inside QEMU options
		fw=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$E2E_OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$BW_WORK/$name.vars.fd"
			-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no)
		if [[ $kind == uefi ]]; then
			fw+=(-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=")
		else
			fw+=(-device "e1000,netdev=n0,mac=$mac")
		fi
		;;
	*)
		echo "e2e_vm_start: unknown kind $kind (bios, uefi, uefi-ipxe)" >&2
		return 1
		;;
	esac
	bw_say "$name: powering on a $kind VM ($mac on $tap)"
	bw_spawn "$E2E_NS" "$BW_WORK/$name.qemu.log" qemu-system-x86_64 -accel tcg -m "$mem" \
		-name "$name" -nodefaults -display none -vga none -no-reboot -serial "file:$E2E_VM_SERIAL" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" "${fw[@]}" "$@"
	E2E_VM_PID=$BW_LAST_PID
	E2E_VM_T0=$SECONDS
	E2E_VM_NAME=$name
	E2E_VM_MAC=$mac
	E2E_VM_INFO[$name]="$E2E_VM_PID $E2E_VM_SERIAL $E2E_VM_T0 $mac"
}

# e2e_vm_use NAME: VM NAME (started by e2e_vm_start) becomes the last VM again: the E2E_VM_*
# variables that the waits and checks use by default are its own.
e2e_vm_use()
{
	read -r E2E_VM_PID E2E_VM_SERIAL E2E_VM_T0 E2E_VM_MAC <<<"${E2E_VM_INFO[$1]}"
	E2E_VM_NAME=$1
}

# e2e_wait_marker TOKEN [SECS [PID [SERIAL]]]: waits (bounded) until `BOOTWIRE-MARKER TOKEN`
# is on the serial console, a failure line appears, or the VM ends. Returns 0 on the marker.
# Sets E2E_WAIT_RESULT (marker, failed: <line>, exited, timeout) and E2E_WAIT_SECS (since
# the VM started).
e2e_wait_marker()
{
	local token=$1 secs=${2:-$E2E_BOOT_SECS} pid=${3:-$E2E_VM_PID} serial=${4:-$E2E_VM_SERIAL} i
	E2E_WAIT_RESULT=timeout
	for ((i = 0; i < secs * 4; i++)); do
		if grep -aq "BOOTWIRE-MARKER $token" "$serial" 2>/dev/null; then
			E2E_WAIT_RESULT=marker
			break
		fi
		if grep -aqE "BOOTWIRE-FAILED|$E2E_FAIL_RE" "$serial" 2>/dev/null; then
			sleep 1 # the rest of the message
			E2E_WAIT_RESULT="failed: $(e2e_serial_text "$serial" | grep -aE "BOOTWIRE-FAILED|$E2E_FAIL_RE" | head -n 1)"
			break
		fi
		if ! bw_alive "$pid"; then
			# it may have printed the marker and powered off between two looks
			grep -aq "BOOTWIRE-MARKER $token" "$serial" 2>/dev/null && E2E_WAIT_RESULT=marker ||
				E2E_WAIT_RESULT=exited
			break
		fi
		sleep 0.25
	done
	E2E_WAIT_SECS=$((SECONDS - E2E_VM_T0))
	bw_say "boot: $E2E_WAIT_RESULT after ${E2E_WAIT_SECS}s"
	[[ $E2E_WAIT_RESULT == marker ]]
}

# e2e_check_marker DESC TOKEN: waits for the marker on the last VM (e2e_wait_marker), then
# e2e_marker_verdict. Like every e2e_check_*, returns 0 whatever the check found (read
# E2E_WAIT_RESULT).
e2e_check_marker()
{
	e2e_wait_marker "$2" || true
	e2e_marker_verdict "$@"
}

# e2e_marker_verdict DESC TOKEN: one check on the last wait: "DESC: BOOTWIRE-MARKER TOKEN
# after Ns", or a failure that shows why: the EFI stub's initrd failure is named as bootwire's
# bug, with the script it rendered (e2e_efi_initrd_bug); anything else is e2e_boot_failed.
e2e_marker_verdict()
{
	local desc=$1 token=$2 url
	if [[ $E2E_WAIT_RESULT == marker ]]; then
		bw_pass "$desc: BOOTWIRE-MARKER $token after ${E2E_WAIT_SECS}s"
	elif e2e_efi_initrd_bug "$E2E_VM_SERIAL"; then
		url=$(e2e_script_url "$E2E_VM_MAC" efi_x64)
		e2e_lines "--- console ---" "$E2E_BUG_LINES" \
			"--- the script bootwire rendered for the VM ($url) ---" "$(e2e_http_get "${url#"$E2E_HTTP_BASE"}")"
		bw_fail "BOOTWIRE BUG: no BOOTWIRE-MARKER: $E2E_BUG" "${E2E_LINES[@]}"
	else
		e2e_boot_failed "$E2E_VM_NAME: no BOOTWIRE-MARKER $token on the serial console"
	fi
}

# e2e_check_poweroff [LABEL [RESULT]]: after a marker (RESULT, by default the last wait's), one
# check: the last VM ends by itself within 15 s (its initramfs runs `poweroff -f`; QEMU runs
# with -no-reboot). The VM is stopped afterwards either way.
# shellcheck disable=SC2120 # its arguments are optional
e2e_check_poweroff()
{
	local label=${1:-} result=${2:-$E2E_WAIT_RESULT}
	if [[ $result == marker ]]; then
		if e2e_vm_powers_off 15; then
			bw_pass "${label:+$label: }the initramfs powered the VM off"
		else
			bw_fail "${label:-the VM} was still running 15 s after the marker" \
				"$(e2e_serial_tail "$E2E_VM_SERIAL" 8)"
		fi
	fi
	e2e_vm_stop
}

# e2e_vm_stop [PID]: stops a VM by PID (bounded; SIGKILL if needed).
# shellcheck disable=SC2120 # its argument is optional
e2e_vm_stop()
{
	bw_stop "${1:-$E2E_VM_PID}" 3 || true
}

# e2e_vm_powers_off [SECS [PID]]: true when the VM ends by itself within SECS (the initramfs
# runs `poweroff -f`; QEMU runs with -no-reboot).
e2e_vm_powers_off()
{
	local secs=${1:-15} pid=${2:-$E2E_VM_PID} i
	for ((i = 0; i < secs * 20; i++)); do
		bw_alive "$pid" || return 0
		sleep 0.05
	done
	return 1
}

# e2e_serial_text FILE: the console as plain text: no CR or NUL, escape sequences removed,
# backspaces applied (iPXE erases its prompts with them).
e2e_serial_text()
{
	tr -d '\r\0' <"$1" 2>/dev/null |
		sed -E 's/\x1b\[[0-9;?=]*[A-Za-z]//g; s/\x1b[A-Za-z]//g; :a; s/[^\x08]\x08//; ta; s/\x08//g'
}

e2e_serial_tail()
{
	local file=${1:-$E2E_VM_SERIAL} n=${2:-25}
	printf -- '--- serial console %s (last %d lines) ---\n' "$(basename "$file")" "$n"
	e2e_serial_text "$file" | grep -av '^[[:space:]]*$' | tail -n "$n"
}

# e2e_sent_count FILE: TFTP transfers of FILE that bootwire completed.
e2e_sent_count()
{
	bw_jcount "$BW_SRV_LOG" 'sent($f)' --arg f "$1"
}

# e2e_check_transfers NAME FILE=COUNT...: one check: the completed TFTP transfers per file.
e2e_check_transfers()
{
	local name=$1 fc f want got have=() bad=0
	shift
	for fc in "$@"; do
		f=${fc%=*}
		want=${fc#*=}
		got=$(e2e_sent_count "$f")
		have+=("$f=$got")
		[[ $got == "$want" ]] || bad=1
	done
	if ((bad == 0)); then
		bw_pass "$name: TFTP transfers ${have[*]}"
	else
		bw_fail "$name: TFTP transfers ${have[*]}, expected $*" \
			"$(bw_jlines "$BW_SRV_LOG" 'svc("tftp") and says("sent|failed|refus|size probe")' | tail -n 10)"
	fi
}

# e2e_boot_failed DESC: a failed check with bootwire's decisions and the end of the console.
e2e_boot_failed()
{
	bw_fail "$1" "result: $E2E_WAIT_RESULT after ${E2E_WAIT_SECS}s" \
		"--- bootwire log (dhcp, tftp, http, warnings) ---" \
		"$(bw_jlines "$BW_SRV_LOG" '.level != "debug" and (svc("dhcp") or svc("tftp") or svc("http") or
			.level == "warn" or .level == "error")' | tail -n 30)" \
		"$(e2e_serial_tail "$E2E_VM_SERIAL" 30)" \
		"$(bw_log_tail "$BW_WORK/$(basename "$E2E_VM_SERIAL" .serial).qemu.log" 5)"
}

# ---------------------------------------------------------------------------------------
# HTTP and profiles

E2E_HTTP_PORT=8080
E2E_HTTP_BASE=http://$E2E_SRV:$E2E_HTTP_PORT/

# In bw_j* conditions on bootwire's log:
#   from_vm          a line about a request from a VM (address:port, not the test's own
#                    look-ups from E2E_SRV)
#   served(M; PATH)  a VM's METHOD request of PATH (boot-root relative, before any query)
#                    answered 200
#   sent(FILE)       a completed TFTP transfer of FILE
# shellcheck disable=SC2016 # jq's own $variables
BW_JQ_DEFS+=' def from_vm: (.peer // "") | test("^[0-9.]+:[0-9]+$") and (startswith("'"$E2E_SRV"':") | not);
def served($m; $p): svc("http") and from_vm and .method == $m and .status == 200 and
	says("^served( \\(generated\\))?$") and ((.path // "") | sub("\\?.*$"; "")) == "/" + $p;
def sent($f): svc("tftp") and .msg == "sent" and .file == $f;'

# e2e_http_yaml: the `http:` line for e2e_conf's YAML: HTTP on E2E_SRV:8080. bootwire's DHCP
# then hands iPXE http://E2E_SRV:8080/boot.ipxe?mac=..&arch=.. and UEFI HTTP boot clients
# http://E2E_SRV:8080/ipxe.efi.
e2e_http_yaml()
{
	printf 'http: { enabled: true, listen: %s, port: %s }' "$E2E_SRV" "$E2E_HTTP_PORT"
}

# e2e_wait_log COND [SECS [LOG]]: waits (bounded) for a line of bootwire's JSON log for which
# the jq condition COND holds (lib.sh's bw_jwait).
e2e_wait_log()
{
	bw_jwait "${3:-$BW_SRV_LOG}" "$1" "${2:-5}"
}

# e2e_http_lines [LOG]: every HTTP request line (served or refused) from the VMs, as text.
e2e_http_lines()
{
	bw_jlines "${1:-$BW_SRV_LOG}" 'svc("http") and from_vm and .level != "debug"'
}

# e2e_check_http NAME FILE=COUNT... [-- LOG]: one check: GET requests answered 200 per path.
e2e_check_http()
{
	local name=$1 fc f want got have=() bad=0 log=$BW_SRV_LOG args=()
	shift
	while (($#)); do
		if [[ $1 == -- ]]; then
			log=$2
			break
		fi
		args+=("$1")
		shift
	done
	for fc in "${args[@]}"; do
		f=${fc%=*}
		want=${fc#*=}
		got=$(bw_jcount "$log" 'served("GET"; $p)' --arg p "$f")
		have+=("$f=$got")
		[[ $got == "$want" ]] || bad=1
	done
	if ((bad == 0)); then
		bw_pass "$name: HTTP GETs answered 200: ${have[*]}"
	else
		bw_fail "$name: HTTP GETs answered 200: ${have[*]}, expected ${args[*]}" \
			"$(e2e_http_lines "$log" | tail -n 10)"
	fi
}

# e2e_check_whole PROTO ROOT FILE... [-- LOG]: one check per FILE: it went whole (its size
# in ROOT) over PROTO (http: a GET answered 200; tftp: a completed transfer).
e2e_check_whole()
{
	local proto=$1 root=$2 f want cond log=$BW_SRV_LOG files=()
	shift 2
	while (($#)); do
		if [[ $1 == -- ]]; then
			log=$2
			break
		fi
		files+=("$1")
		shift
	done
	for f in "${files[@]}"; do
		want=$(stat -c %s "$root/$f")
		if [[ $proto == http ]]; then
			cond='served("GET"; $f)'
		else
			cond='sent($f)'
		fi
		if bw_jhas "$log" "$cond and .bytes == \$n" --arg f "$f" --argjson n "$want"; then
			bw_pass "$f went whole over $proto ($want bytes)"
		else
			bw_fail "$f: no complete $proto transfer of $want bytes" \
				"$(bw_jlines "$log" '.file == $f or ((.path // "") | sub("\\?.*$"; "")) == "/" + $f' \
					--arg f "$f" | tail -n 3)"
		fi
	done
}

# e2e_check_no_tftp NAME: one check: no VM sent bootwire a TFTP request.
e2e_check_no_tftp()
{
	local lines
	lines=$(bw_jlines "$BW_SRV_LOG" 'svc("tftp") and from_vm')
	if [[ -z $lines ]]; then
		bw_pass "$1: nothing went over TFTP"
	else
		bw_fail "$1: TFTP was used" "$(head -n 5 <<<"$lines")"
	fi
}

# e2e_check_no_http NAME: one check: no VM sent bootwire an HTTP request.
e2e_check_no_http()
{
	local lines
	lines=$(e2e_http_lines)
	if [[ -z $lines ]]; then
		bw_pass "$1: nothing went over HTTP"
	else
		bw_fail "$1: HTTP was used" "$(head -n 5 <<<"$lines")"
	fi
}

# e2e_dhcp_lines MAC [TYPE_RE]: bootwire's decisions for MAC as text: its OFFER, ACK and NAK
# lines (TYPE_RE, a regex: which of them; '.*': every info line about MAC).
e2e_dhcp_lines()
{
	bw_dhcp_lines "$BW_SRV_LOG" "$1" "^(${2:-OFFER|ACK|NAK})( |:|$)" level=info
}

# e2e_dhcp_has MAC MSG_RE [KEY=VALUE...], e2e_dhcp_count ...: bw_dhcp_has and bw_dhcp_count
# on bootwire's log, info lines only (its decisions).
e2e_dhcp_has()
{
	bw_dhcp_has "$BW_SRV_LOG" "$@" level=info
}

e2e_dhcp_count()
{
	bw_dhcp_count "$BW_SRV_LOG" "$@" level=info
}

# e2e_acked_ip MAC [MSG_RE [KEY=VALUE...]]: the address of the first ACK to MAC (whose
# message matches MSG_RE, with those fields).
e2e_acked_ip()
{
	local mac=$1 re=${2:-^ACK [0-9]}
	shift $(($# < 2 ? $# : 2))
	bw_dhcp_msgs "$BW_SRV_LOG" "$mac" "$re" level=info "$@" | awk '/^ACK [0-9]/ { print $2; exit }'
}

# e2e_script_url MAC ARCH: the URL of the iPXE script bootwire's DHCP hands an iPXE client
# when HTTP is on.
e2e_script_url()
{
	printf '%sboot.ipxe?mac=%s&arch=%s' "$E2E_HTTP_BASE" "$1" "$2"
}

# e2e_check_generated MAC ARCH [FROM]: one check: bootwire generated boot.ipxe for the query
# its DHCP put in the URL (MAC, ARCH) and answered 200; given FROM (even empty), to that
# address.
e2e_check_generated()
{
	local mac=$1 arch=$2 from=${3-} at='' cond
	cond='served("GET"; "boot.ipxe") and .msg == "served (generated)" and .path == $q'
	if (($# >= 3)); then
		at=" from ${from:-(no address)}"
		cond+=' and (.peer | startswith($from + ":"))'
	fi
	if bw_jhas "$BW_SRV_LOG" "$cond" --arg q "/boot.ipxe?mac=${mac//:/%3A}&arch=$arch" --arg from "$from"; then
		bw_pass "HTTP: boot.ipxe was generated for the VM's MAC and arch $arch$at"
	else
		bw_fail "HTTP: no generated boot.ipxe for mac=$mac&arch=$arch$at" "$(e2e_http_lines | head -n 5)"
	fi
}

# e2e_cmdline [SERIAL]: the kernel command line the initramfs printed.
e2e_cmdline()
{
	e2e_serial_text "${1:-$E2E_VM_SERIAL}" | sed -n 's/^bootwire-initramfs: cmdline: //p' | head -n 1
}

# e2e_check_cmdline NAME WANT [SERIAL]: one check: the kernel command line holds WANT (the
# profile's rendered cmdline; boot loaders add BOOT_IMAGE=, initrd= around it).
e2e_check_cmdline()
{
	local name=$1 want=$2 got
	got=$(e2e_cmdline "${3:-$E2E_VM_SERIAL}")
	if [[ -n $got && " $got " == *" $want "* ]]; then
		bw_pass "$name: the kernel command line holds the profile's: $got"
	else
		bw_fail "$name: the kernel command line is not the profile's" "expected (within): $want" \
			"got: ${got:-(no 'bootwire-initramfs: cmdline:' line)}"
	fi
}

# e2e_lines TEXT...: the lines of each TEXT as separate words in E2E_LINES (for bw_fail, which
# indents each of its detail arguments).
e2e_lines()
{
	local t
	E2E_LINES=()
	for t in "$@"; do
		mapfile -t -O "${#E2E_LINES[@]}" E2E_LINES <<<"$t"
	done
}

# e2e_http_get PATH: prints what bootwire's HTTP service answers for PATH (a GET from E2E_SRV
# inside E2E_NS, bounded); nothing without curl.
e2e_http_get()
{
	command -v curl >/dev/null 2>&1 || return 0
	ip netns exec "$E2E_NS" curl -sS -g --max-time 5 "$E2E_HTTP_BASE$1" 2>&1 || true
}

# e2e_efi_initrd_bug [SERIAL]: true when the console shows the kernel's EFI stub failing to
# open the initrd its command line names. bootwire renders `initrd=<the initrd's file name>`
# for UEFI clients (profile_render.c), the name iPXE gives the image, so the stub finds it
# among the files iPXE offers; a failure means the rendered script and iPXE disagree on that
# name: bootwire's bug, not the harness's. Sets E2E_BUG and E2E_BUG_LINES to the evidence.
e2e_efi_initrd_bug()
{
	local serial=${1:-$E2E_VM_SERIAL} name ver
	E2E_BUG=
	name=$(e2e_serial_text "$serial" | grep -aoE 'EFI stub: ERROR: Failed to open file: [^ ]+' | head -n 1)
	[[ -n $name ]] || return 1
	name=${name##*: }
	ver=$(e2e_serial_text "$serial" | grep -aoE '^iPXE [0-9][^ ]*' | head -n 1)
	# shellcheck disable=SC2034 # for the calling test
	E2E_BUG="the kernel's EFI stub could not open $name, the initrd the script bootwire rendered names on the kernel line: ${ver:-this iPXE} offers no image of that name, so Linux does not start"
	# shellcheck disable=SC2034
	E2E_BUG_LINES=$(e2e_serial_text "$serial" | grep -aE 'EFI stub: ERROR|Could not boot' | head -n 4)
	return 0
}
