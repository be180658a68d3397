#!/usr/bin/env bash
# bench/boot.sh: a whole network boot, timed. A diskless QEMU VM (TCG; SeaBIOS with the e1000
# iPXE ROM) boots one bootwire profile, Debian 12's kernel (8 MB) and a busybox initramfs
# (1 MB), from power-on to the marker its /init prints, with the iPXE script, kernel and
# initrd over TFTP (http disabled) or over HTTP. Rounds alternate the two; the table shows the
# median (min-max) of each step from bootwire's log and the serial console.
#
#   bash bench/boot.sh [--write-results]     (root; ROUNDS=3 by default)
#
# Uses the e2e harness (tests/e2e/e2e_lib.sh): its cached assets, namespace and VM helpers.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
WRITE=0
[[ ${1:-} == --write-results ]] && WRITE=1
RESULTS_FILE=${RESULTS_FILE:-$HERE/RESULTS.md}
export BOOTWIRE=${BOOTWIRE:-$HERE/../build/bootwire}

# shellcheck source=../tests/e2e/e2e_lib.sh
source "$HERE/../tests/e2e/e2e_lib.sh"
e2e_require
bw_setup_trap
bw_make_work
e2e_assets
ROOT=$BW_WORK/root
e2e_boot_root "$ROOT"
e2e_netns 1
MAC=52:54:00:be:0c:01
TSV=$BW_WORK/boot.tsv

ms() { date +%s%3N; }
log_ms() # PATTERN: time of bootwire's first log line matching it, in ms
{
	local ts
	ts=$(grep -m1 -E "$1" "$BW_SRV_LOG" | cut -d' ' -f1)
	[[ -n $ts ]] && date -d "$ts" +%s%3N
}

one_boot() # MODE ROUND
{
	local mode=$1 round=$2 conf=$BW_WORK/$1-$2.yaml http='' t0 t_ack t_kernel t_marker i
	[[ $mode == http ]] && http=$(e2e_http_yaml)
	e2e_conf "$conf" "$ROOT" "$http
profiles:
  p: { kernel: vmlinuz, initrd: [initrd.img], cmdline: \"console=ttyS0 bootwire.marker=bench-$mode-$round\" }
default_profile: p"
	sed -i 's/level: debug/level: info/' "$conf"
	e2e_start_bootwire "$conf" || { echo "bootwire did not start" >&2; return 1; }
	t0=$(ms)
	e2e_vm_start "$mode-$round" bios "$MAC" tap0
	for ((i = 0; i < 1200; i++)); do
		grep -aq "BOOTWIRE-MARKER bench-$mode-$round" "$E2E_VM_SERIAL" 2>/dev/null && break
		sleep 0.05
	done
	t_marker=$(ms)
	e2e_vm_stop "$E2E_VM_PID"
	if ((i == 1200)); then
		echo "$mode round $round: no marker" >&2
		bw_stop "$BW_SRV_PID" 5 || true
		return 1
	fi
	t_ack=$(log_ms "dhcp $MAC: ACK ")
	if [[ $mode == http ]]; then
		t_kernel=$(log_ms 'path=/initrd\.img ')
	else
		t_kernel=$(log_ms 'sent file=initrd\.img ')
	fi
	bw_stop "$BW_SRV_PID" 5 || true
	rm -f "$BW_WORK"/*-leases.db*
	printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$round" "$((t_ack - t0))" "$((t_kernel - t_ack))" \
		"$((t_marker - t0))" >>"$TSV"
	echo "$mode round $round: ack $((t_ack - t0)) ms, script+kernel+initrd $((t_kernel - t_ack)) ms, marker $((t_marker - t0)) ms"
}

: >"$TSV"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then order="tftp http"; else order="http tftp"; fi
	for m in $order; do one_boot "$m" "$r"; done
done

med() # MODE COLUMN: "median (min-max)" in seconds
{
	awk -F'\t' -v m="$1" -v c="$2" '$1 == m { print $c }' "$TSV" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f (%.2f-%.2f)", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
report()
{
	echo "## Boot: power-on to marker, TFTP vs HTTP"
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- How run: \`ROUNDS=$ROUNDS bash bench/boot.sh --write-results\` (QEMU TCG, SeaBIOS + e1000 iPXE ROM, 256 MiB;"
	echo "  Debian kernel $(stat -c %s "$ROOT/vmlinuz") B, initramfs $(stat -c %s "$ROOT/initrd.img") B; IPv6 RA on the bridge)"
	echo
	echo "| transport | power-on -> DHCP ACK s | ACK -> script, kernel, initrd loaded s | power-on -> marker s |"
	echo "|---|---|---|---|"
	for m in tftp http; do
		echo "| $m | $(med "$m" 3) | $(med "$m" 4) | $(med "$m" 5) |"
	done
	echo
	echo "TFTP here is what iPXE asks for (blksize 1432, no windowsize): one round trip per"
	echo "1432-byte block. HTTP streams over TCP. Everything after the initrd is the kernel"
	echo "booting under TCG, the same for both."
}
REPORT=$(report)
echo
echo "$REPORT"
if ((WRITE)); then
	tmp=$(mktemp)
	if [[ -f $RESULTS_FILE ]]; then
		awk '/^## Boot:/ { skip = 1; next } /^## / { skip = 0 } !skip' "$RESULTS_FILE" >"$tmp"
	fi
	{ cat "$tmp"; echo; echo "$REPORT"; } >"$RESULTS_FILE"
	rm -f "$tmp"
	echo "wrote the Boot section of $RESULTS_FILE"
fi
bw_summary >/dev/null 2>&1 || true
