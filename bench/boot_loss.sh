#!/usr/bin/env bash
# bench/boot_loss.sh: whole network boots through a lossy path, bootwire against dnsmasq.
# A diskless QEMU VM (TCG; SeaBIOS with the e1000 iPXE ROM) boots Debian 12's kernel and a
# busybox initramfs from power-on to the marker its /init prints, with everything over TFTP:
#   pxelinux  iPXE ROM -> pxelinux.0 -> ldlinux.c32, pxelinux.cfg/01-<mac>, vmlinuz, initrd.img
#   ipxe      iPXE ROM -> boot.ipxe (a script) -> vmlinuz, initrd.img (iPXE's own TFTP)
# nftables on the VM's tap drops 1 in LOSS_MOD (20: 5%) of the TFTP packets each way (all
# UDP but DHCP) and counts what it drops. dnsmasq and bootwire serve DHCP and TFTP in turn
# from the same static files; servers alternate going first, ROUNDS rounds. A tcpdump on the
# bridge (before the drops on the way to the VM) counts every DATA the server sent and how
# many were repeats, for both servers alike; bootwire's own log says the same for it.
#
#   bash bench/boot_loss.sh [--quick] [--write-results]     (root; make bench-loss)
#   --quick: 1 round, no lossless reference boots (a smoke check)
#
# Knobs: ROUNDS (3), MODES ("pxelinux ipxe"), SERVERS ("bootwire dnsmasq"), LOSS_MOD (20),
# BASELINE (1: one lossless boot per server and mode first), BOOT_SECS (1800: bound on one
# boot), DEADLINE_MIN (150: no new round after this), BOOTWIRE, RESULTS_FILE, BW_KEEP=1
# (keep the work directory and the captures), REPORT_FROM=TSV (no boots: print the report
# of a kept boot_loss.tsv again; RUN_DATE, LOAD_BEFORE and BW_VERSION then describe that run). A full run takes about 1.5-2 hours: a dnsmasq
# boot under 5% loss takes about 15 minutes.
# Uses the e2e harness (tests/e2e/e2e_lib.sh): cached assets, namespace, VM helpers, trap.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-"pxelinux ipxe"}
SERVERS=${SERVERS:-"bootwire dnsmasq"}
LOSS_MOD=${LOSS_MOD:-20}
BASELINE=${BASELINE:-1}
BOOT_SECS=${BOOT_SECS:-1800}
DEADLINE_MIN=${DEADLINE_MIN:-150}
WRITE=0
QUICK=0
for a in "$@"; do
	case $a in
	--write-results) WRITE=1 ;;
	--quick) QUICK=1 ;;
	-h | --help)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "boot_loss.sh: unknown argument $a" >&2
		exit 2
		;;
	esac
done
if ((QUICK)); then
	ROUNDS=1
	BASELINE=0
fi
RESULTS_FILE=${RESULTS_FILE:-$HERE/RESULTS.md}
export BOOTWIRE=${BOOTWIRE:-$HERE/../build/bootwire}
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
PY=/usr/bin/python3

# shellcheck source=../tests/e2e/e2e_lib.sh
source "$HERE/../tests/e2e/e2e_lib.sh"
e2e_require
bw_require_cmds nft tcpdump "$DNSMASQ" "$PY"
bw_setup_trap
bw_make_work
e2e_assets
[[ -s $E2E_CACHE/boot/pxelinux.0 && -s $E2E_CACHE/boot/ldlinux.c32 ]] ||
	bw_skip "no pxelinux.0 or ldlinux.c32 in $E2E_CACHE/boot"
ROOT=$BW_WORK/root
MAC=52:54:00:be:10:05
TSV=$BW_WORK/boot_loss.tsv
LOAD_BEFORE=${LOAD_BEFORE:-$(cut -d' ' -f1-3 /proc/loadavg)}
BW_VERSION=${BW_VERSION:-$(cd "$HERE/.." && git describe --always --dirty 2>/dev/null || echo '?')}
T_START=$SECONDS

# ---- the files both servers serve -------------------------------------------------------
e2e_boot_root "$ROOT"
mkdir -p "$ROOT/pxelinux.cfg"
cat >"$ROOT/pxelinux.cfg/01-${MAC//:/-}" <<EOF
DEFAULT linux
PROMPT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0 bootwire.marker=loss-pxelinux
EOF
e2e_ipxe_script "$ROOT/boot.ipxe" loss-ipxe
chmod -R a+rX "$ROOT"
e2e_netns 1

boot_file() { [[ $1 == pxelinux ]] && echo pxelinux.0 || echo boot.ipxe; }
ms() { date +%s%3N; }

# ---- the lossy path: netdev hooks on tap0 (egress: to the VM, ingress: from it) -----------
# Everything UDP over IPv4 but DHCP; drops are counted by TFTP opcode (DATA to the VM, ACK
# from it, anything else). A drop at the tap's egress is silent for the server, as on a wire.
nft_setup() # LOSS_MOD (0: count only)
{
	local drop_out='' drop_in=''
	ip netns exec "$E2E_NS" nft delete table netdev bwloss 2>/dev/null || true
	if (($1 > 0)); then
		drop_out="numgen random mod $1 0 jump drop_out"
		drop_in="numgen random mod $1 0 jump drop_in"
	fi
	ip netns exec "$E2E_NS" nft -f - <<EOF
table netdev bwloss {
	counter tx_data { }
	counter tx_other { }
	counter rx_ack { }
	counter rx_other { }
	counter lost_tx_data { }
	counter lost_tx_other { }
	counter lost_rx_ack { }
	counter lost_rx_other { }
	chain drop_out {
		@th,64,16 3 counter name lost_tx_data drop
		counter name lost_tx_other drop
	}
	chain drop_in {
		@th,64,16 4 counter name lost_rx_ack drop
		counter name lost_rx_other drop
	}
	chain to_vm {
		type filter hook egress device "tap0" priority 0; policy accept;
		meta protocol != ip accept
		ip protocol != udp accept
		udp sport { 67, 68 } accept
		@th,64,16 3 counter name tx_data
		@th,64,16 != 3 counter name tx_other
		$drop_out
	}
	chain from_vm {
		type filter hook ingress device "tap0" priority 0; policy accept;
		meta protocol != ip accept
		ip protocol != udp accept
		udp dport { 67, 68 } accept
		@th,64,16 4 counter name rx_ack
		@th,64,16 != 4 counter name rx_other
		$drop_in
	}
}
EOF
}

nft_get() # COUNTER: "packets bytes"
{
	ip netns exec "$E2E_NS" nft list counter netdev bwloss "$1" |
		awk '/packets/ { for (i = 1; i <= NF; i++) { if ($i == "packets") p = $(i + 1); if ($i == "bytes") b = $(i + 1) } } END { print p + 0, b + 0 }'
}

# ---- the capture: every TFTP datagram on br0 ---------------------------------------------
# Reads a pcap (Ethernet) and prints key=value: DATA sent by the server (datagrams, IP bytes),
# the repeats among them (a DATA whose ports and block number were seen before), the RRQs,
# and the TFTP span in ms: first RRQ to the client's last datagram (a server that did not hear
# the final ACK goes on resending the last block after the client is done: not part of it).
cat >"$BW_WORK/pcap_tftp.py" <<'EOF'
import struct, sys
srv = bytes(int(x) for x in sys.argv[2].split("."))
f = open(sys.argv[1], "rb")
hdr = f.read(24)
endian = "<" if hdr[:4] == b"\xd4\xc3\xb2\xa1" else ">"
nsec = hdr[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
seen = set()
c = dict(data=0, data_bytes=0, rep=0, rep_bytes=0, rrq=0, acks=0)
first = last = None
last_cli = None
while True:
    rh = f.read(16)
    if len(rh) < 16:
        break
    sec, frac, caplen, origlen = struct.unpack(endian + "IIII", rh)
    pkt = f.read(caplen)
    t = sec * 1000.0 + frac / (1e6 if nsec else 1e3)
    if len(pkt) < 14 + 20 + 8 + 4 or pkt[12:14] != b"\x08\x00":
        continue
    ip = pkt[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 12:
        continue
    iplen = struct.unpack(">H", ip[2:4])[0]
    sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
    op, blk = struct.unpack(">HH", ip[ihl + 8:ihl + 12])
    if op == 1:
        c["rrq"] += 1
        if first is None:
            first = t
    if first is None:
        continue
    last = t
    if ip[12:16] != srv:
        last_cli = t
    if op == 4:
        c["acks"] += 1
    if op == 3 and ip[12:16] == srv:
        c["data"] += 1
        c["data_bytes"] += iplen
        key = (sport, dport, blk)
        if key in seen:
            c["rep"] += 1
            c["rep_bytes"] += iplen
        seen.add(key)
c["tftp_ms"] = int(last_cli - first) if first is not None else 0
print(" ".join("%s=%d" % kv for kv in c.items()))
EOF

# ---- servers ------------------------------------------------------------------------------
SRV_PID=
SRV_LOG=
start_server() # SERVER MODE TAG
{
	local s=$1 mode=$2 tag=$3 conf
	if [[ $s == bootwire ]]; then
		conf=$BW_WORK/$tag.yaml
		e2e_conf "$conf" "$ROOT" "  boot_files: { ipxe: $(boot_file "$mode") }"
		sed -i 's/level: debug/level: info/' "$conf"
		e2e_start_bootwire "$conf" || return 1
		SRV_PID=$BW_SRV_PID
		SRV_LOG=$BW_SRV_LOG
		return 0
	fi
	SRV_LOG=$BW_WORK/$tag.dnsmasq.log
	# DNS off; DHCP and TFTP on br0 only; root is kept (the files sit in a private directory).
	bw_spawn "$E2E_NS" "$SRV_LOG.out" "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null \
		--port=0 --user=root --interface=br0 --bind-interfaces --no-ping \
		--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,10m --dhcp-option=3,"$E2E_SRV" \
		--dhcp-boot="$(boot_file "$mode")" --enable-tftp --tftp-root="$ROOT" \
		--dhcp-leasefile="$BW_WORK/$tag.leases" --pid-file="$BW_WORK/$tag.pid" \
		--log-facility="$SRV_LOG"
	SRV_PID=$BW_LAST_PID
	local i
	for ((i = 0; i < 200; i++)); do
		bw_port_bound "$E2E_NS" 69 && bw_port_bound "$E2E_NS" 67 && return 0
		bw_alive "$SRV_PID" || break
		sleep 0.05
	done
	echo "dnsmasq did not start: $(tail -n 3 "$SRV_LOG.out" "$SRV_LOG" 2>/dev/null)" >&2
	return 1
}

server_version()
{
	case $1 in
	bootwire) echo "bootwire $BW_VERSION" ;;
	dnsmasq) "$DNSMASQ" --version | head -1 | awk '{print "dnsmasq", $3}' ;;
	esac
}

# bootwire's end-of-transfer lines (after it stopped: a transfer still going then ends with a
# line too): retransmitted blocks and payload bytes, failed transfers.
bootwire_rexmit() # LOG: "blocks bytes failed"
{
	awk '/ tftp .*: (sent|download failed: .*) file=/ {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^rexmit_blocks=/) { split($i, a, "="); b += a[2] }
			if ($i ~ /^rexmit_bytes=/) { split($i, a, "="); y += a[2] }
		}
	}
	/ tftp .*: download failed/ { f++ }
	END { print b + 0, y + 0, f + 0 }' "$1"
}

# ---- one boot -----------------------------------------------------------------------------
# wait_marker TOKEN PID SERIAL SECS: bounded; sets WAIT_RESULT (marker, failed, exited,
# timeout) and T_MARKER (ms).
wait_marker()
{
	local token=$1 pid=$2 serial=$3 secs=$4 i
	WAIT_RESULT=timeout
	for ((i = 0; i < secs * 10; i++)); do
		if grep -aq "BOOTWIRE-MARKER $token" "$serial" 2>/dev/null; then
			WAIT_RESULT=marker
			break
		fi
		if grep -aqE "BOOTWIRE-FAILED|$E2E_FAIL_RE" "$serial" 2>/dev/null; then
			WAIT_RESULT=failed
			break
		fi
		if ! bw_alive "$pid"; then
			grep -aq "BOOTWIRE-MARKER $token" "$serial" 2>/dev/null && WAIT_RESULT=marker ||
				WAIT_RESULT=exited
			break
		fi
		sleep 0.1
	done
	T_MARKER=$(ms)
}

one_boot() # SERVER MODE ROUND LOSS_MOD
{
	local s=$1 mode=$2 round=$3 loss=$4 tag="$1-$2-$3" t0 cap cap_pid vm_pid stats i
	local td to rx ro ltd lto lra lro lb rex='- - -'
	nft_setup "$loss"
	start_server "$s" "$mode" "$tag" || {
		echo "$tag: the server did not start" >&2
		return 1
	}
	cap=$BW_WORK/$tag.pcap
	bw_spawn "$E2E_NS" "$BW_WORK/$tag.tcpdump.log" tcpdump -i br0 -n -s 96 -B 8192 -U -w "$cap" \
		'udp and not port 67 and not port 68'
	cap_pid=$BW_LAST_PID
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$BW_WORK/$tag.tcpdump.log" 2>/dev/null && break
		sleep 0.05
	done
	t0=$(ms)
	e2e_vm_start "$tag" bios "$MAC" tap0 >/dev/null
	vm_pid=$E2E_VM_PID
	wait_marker "loss-$mode" "$vm_pid" "$E2E_VM_SERIAL" "$BOOT_SECS"
	e2e_vm_stop "$vm_pid"
	bw_stop "$cap_pid" 5 || true
	bw_stop "$SRV_PID" 10 || true
	[[ $s == bootwire ]] && rex=$(bootwire_rexmit "$SRV_LOG")
	read -r td tb <<<"$(nft_get tx_data)"
	read -r to tob <<<"$(nft_get tx_other)"
	read -r rx rxb <<<"$(nft_get rx_ack)"
	read -r ro rob <<<"$(nft_get rx_other)"
	read -r ltd ltdb <<<"$(nft_get lost_tx_data)"
	read -r lto ltob <<<"$(nft_get lost_tx_other)"
	read -r lra lrab <<<"$(nft_get lost_rx_ack)"
	read -r lro lrob <<<"$(nft_get lost_rx_other)"
	stats=$("$PY" "$BW_WORK/pcap_tftp.py" "$cap" "$E2E_SRV" 2>/dev/null || echo "data=0")
	grep -h 'dropped by kernel' "$BW_WORK/$tag.tcpdump.log" | grep -qv '^0 ' &&
		echo "$tag: tcpdump dropped packets: $(grep -h 'dropped by kernel' "$BW_WORK/$tag.tcpdump.log")" >&2
	# server mode round loss result marker_ms | nft: tx_data(p b) tx_other rx_ack rx_other
	# lost_tx_data lost_tx_other lost_rx_ack lost_rx_other | pcap k=v | bootwire log
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s %s %s %s %s %s %s %s\t%s %s %s %s %s %s %s %s\t%s\t%s\n' \
		"$s" "$mode" "$round" "$loss" "$WAIT_RESULT" "$((T_MARKER - t0))" \
		"$td" "$tb" "$to" "$tob" "$rx" "$rxb" "$ro" "$rob" \
		"$ltd" "$ltdb" "$lto" "$ltob" "$lra" "$lrab" "$lro" "$lrob" "$stats" "$rex" >>"$TSV"
	lb=$((ltdb + ltob + lrab + lrob))
	echo "$tag (1/$loss): $WAIT_RESULT after $(((T_MARKER - t0) / 1000)).$(((T_MARKER - t0) % 1000 / 100)) s; lost $((ltd + lto)) to the VM and $((lra + lro)) from it ($lb B); $stats; bootwire log: ${rex}" >&2
	rm -f "$BW_WORK"/*-leases.db*
	[[ ${BW_KEEP:-0} == 1 ]] || rm -f "$cap"
	[[ $WAIT_RESULT == marker ]]
}

# ---- the run ------------------------------------------------------------------------------
if [[ -n ${REPORT_FROM:-} ]]; then
	cp "$REPORT_FROM" "$TSV"
	ROUNDS=0
	BASELINE=0
else
	: >"$TSV"
fi
echo "boot_loss: servers $SERVERS, modes $MODES, $ROUNDS rounds, drop 1/$LOSS_MOD each way; load $LOAD_BEFORE" >&2
if ((BASELINE)); then
	for m in $MODES; do
		for s in $SERVERS; do one_boot "$s" "$m" 0 0 || true; done
	done
fi
ROUNDS_DONE=0
[[ -z ${REPORT_FROM:-} ]] || ROUNDS_DONE=$(awk -F'\t' '$3 > m { m = $3 } END { print m + 0 }' "$TSV")
for ((r = 1; r <= ROUNDS; r++)); do
	if (((SECONDS - T_START) / 60 >= DEADLINE_MIN)); then
		echo "deadline of $DEADLINE_MIN min reached: no round $r" >&2
		break
	fi
	order=$SERVERS
	((r % 2)) || order=$(echo "$SERVERS" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "") }')
	for m in $MODES; do
		for s in $order; do one_boot "$s" "$m" "$r" "$LOSS_MOD" || true; done
	done
	ROUNDS_DONE=$r
done
[[ -z ${REPORT_FROM:-} ]] || ROUNDS=$ROUNDS_DONE

# ---- the report ---------------------------------------------------------------------------
# Columns of the TSV: 1 server, 2 mode, 3 round, 4 loss, 5 result, 6 marker ms, 7 nft sent,
# 8 nft lost (pairs: packets bytes), 9 pcap key=value, 10 bootwire log (blocks bytes failed).
med() # SERVER MODE LOSS: "median (min-max)" of power-on -> marker, s; "-" without data
{
	awk -F'\t' -v s="$1" -v m="$2" -v l="$3" '$1 == s && $2 == m && ($4 == 0) == (l == 0) && $5 == "marker" { print $6 }' "$TSV" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } printf "%.1f (%.1f-%.1f)", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
med_raw() # SERVER MODE: median marker ms of the lossy boots that reached the marker
{
	awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m && $4 > 0 && $5 == "marker" { print $6 }' "$TSV" |
		sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'
}
tftp_med() # SERVER MODE: median (min-max) of the TFTP span of the lossy boots, s
{
	awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m && $4 > 0 && $5 == "marker" {
		k = split($9, P, " "); for (i = 1; i <= k; i++) { split(P[i], kv, "="); if (kv[1] == "tftp_ms") print kv[2] } }' "$TSV" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } printf "%.1f (%.1f-%.1f)", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
# Sums over the lossy boots of SERVER MODE: boots ok, lost pkts, lost bytes (IP), DATA sent,
# repeats, repeat bytes (IP), tftp ms median, bootwire log blocks bytes failed.
sums() # SERVER MODE
{
	awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m && $4 > 0 {
		n++; ok += ($5 == "marker")
		split($8, L, " ")
		lp += L[1] + L[3] + L[5] + L[7]
		# egress counts include the 14-byte Ethernet header, ingress starts at IP
		lb += L[2] - 14 * L[1] + L[4] - 14 * L[3] + L[6] + L[8]
		k = split($9, P, " ")
		for (i = 1; i <= k; i++) { split(P[i], kv, "="); V[kv[1]] += kv[2] }
		split($10, B, " ")
		bb += B[1]; by += B[2]; bf += B[3]
	} END {
		printf "%d %d %d %d %d %d %d %d %d %s %s %s\n", n, ok, lp, lb, V["data"], V["rep"], V["rep_bytes"],
			V["data_bytes"], V["rrq"], (s == "bootwire" ? bb : "-"), (s == "bootwire" ? by : "-"), (s == "bootwire" ? bf : "-")
	}' "$TSV"
}
report()
{
	local m s bw dm
	echo "## Boot under 5% loss: bootwire vs dnsmasq, power-on to marker"
	echo
	echo "- Date: ${RUN_DATE:-$(date -u '+%Y-%m-%d %H:%M UTC')}; load before: $LOAD_BEFORE; $ROUNDS_DONE of $ROUNDS rounds"
	echo "- How run: \`ROUNDS=$ROUNDS bash bench/boot_loss.sh --write-results\` (QEMU TCG, SeaBIOS + e1000 iPXE ROM, 256 MiB;"
	echo "  kernel $(stat -c %s "$ROOT/vmlinuz") B, initramfs $(stat -c %s "$ROOT/initrd.img") B, pxelinux.0 $(stat -c %s "$ROOT/pxelinux.0") B, ldlinux.c32 $(stat -c %s "$ROOT/ldlinux.c32") B)"
	echo "- Servers: $(for s in $SERVERS; do printf '%s; ' "$(server_version "$s")"; done)both serve DHCP and TFTP, the same files, default"
	echo "  settings (bootwire: timeout_ms 1000, retries 5; dnsmasq: its fixed ~2 s timer)"
	echo "- Loss: nftables \`numgen random mod $LOSS_MOD 0 drop\` on the VM's tap, both directions, every UDP"
	echo "  datagram but DHCP (netdev egress and ingress hooks: silent for the sender, as on a wire)"
	echo
	echo "| boot | server | no loss s | 1/$LOSS_MOD loss s | bootwire / dnsmasq | TFTP span under loss s |"
	echo "|---|---|---|---|---|---|"
	for m in $MODES; do
		bw=$(med_raw bootwire "$m")
		dm=$(med_raw dnsmasq "$m")
		for s in $SERVERS; do
			local ratio=''
			if [[ $s == bootwire && $bw != 0 && $dm != 0 ]]; then
				ratio=$(awk -v a="$bw" -v b="$dm" 'BEGIN { printf "%.2fx", a / b }')
			fi
			echo "| $m | $s | $(med "$s" "$m" 0) | $(med "$s" "$m" 1) | $ratio | $(tftp_med "$s" "$m") |"
		done
	done
	echo
	echo "Median (min-max) over the rounds, from QEMU's start to the marker on the serial console;"
	echo "the TFTP span runs from the first RRQ to the client's last TFTP datagram (capture on the"
	echo "bridge)."
	echo "A boot that did not reach its marker within ${BOOT_SECS} s is left out and counted below."
	echo
	echo "| boot | server | boots ok | packets lost | bytes lost | DATA sent | DATA repeated | repeats per lost packet | bytes repeated | repeated / lost bytes | one repeat per lost packet / lost bytes | bootwire log: rexmit blocks, bytes |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for m in $MODES; do
		for s in $SERVERS; do
			local n ok lp lb data rep repb datab lbb lby lbf
			read -r n ok lp lb data rep repb datab _ lbb lby lbf <<<"$(sums "$s" "$m")"
			local rr='-' rp='-' fl='-' logc='-'
			if ((lb > 0 && lp > 0 && data > 0)); then
				rr=$(awk -v a="$repb" -v b="$lb" 'BEGIN { printf "%.2f", a / b }')
				rp=$(awk -v a="$rep" -v b="$lp" 'BEGIN { printf "%.2f", a / b }')
				fl=$(awk -v p="$lp" -v d="$datab" -v n="$data" -v b="$lb" 'BEGIN { printf "%.2f", p * d / n / b }')
			fi
			[[ $s == bootwire ]] && logc="$lbb, $lby (+ 32 B headers each: $((lby + lbb * 32))); $lbf failed transfers"
			echo "| $m | $s | $ok of $n | $lp | $lb | $data | $rep | $rp | $repb | $rr | $fl | $logc |"
		done
	done
	echo
	echo "Sums over the lossy boots. Bytes are IP datagram bytes. \"Lost\" is what nftables dropped"
	echo "both ways; \"repeated\" is what the capture on the bridge saw the server send again (a DATA"
	echo "whose ports and block number it had sent before), the same count for both servers. A lock-step"
	echo "server that resends on its own timer needs one DATA (about 1.46 kB) per lost packet, be it"
	echo "a DATA or a 32-byte ACK: the next-to-last column is that floor, about 2 when the drops split"
	echo "evenly; a server that waits for the client's own timer to re-ACK (dnsmasq, ~2 s) resends"
	echo "less, at the price of that wait."
	echo
	for m in $MODES; do
		local bw dm lb repb
		bw=$(med_raw bootwire "$m")
		dm=$(med_raw dnsmasq "$m")
		if [[ $bw != 0 && $dm != 0 ]]; then
			awk -v m="$m" -v a="$bw" -v b="$dm" 'BEGIN { printf "- [%s] %s: bootwire %.1f s <= 0.5 x dnsmasq %.1f s = %.1f s (%.2fx)\n", (a <= 0.5 * b ? "PASS" : "FAIL"), m, a / 1000, b / 1000, b / 2000, a / b }'
		else
			echo "- [FAIL] $m: no median for both servers (bootwire $bw ms, dnsmasq $dm ms)"
		fi
		read -r _ _ _ lb _ _ repb _ <<<"$(sums bootwire "$m")"
		awk -v m="$m" -v r="$repb" -v l="$lb" 'BEGIN { printf "- [%s] %s: bootwire repeated %d B <= 2 x lost %d B = %d B (%.2fx)\n", (r <= 2 * l ? "PASS" : "FAIL"), m, r, l, 2 * l, (l ? r / l : 0) }'
	done
}
REPORT=$(report)
echo
echo "$REPORT"
echo
echo "Elapsed: $(((SECONDS - T_START) / 60)) min $(((SECONDS - T_START) % 60)) s"
if ((WRITE)); then
	tmp=$(mktemp)
	if [[ -f $RESULTS_FILE ]]; then
		awk '/^## Boot under / { skip = 1; next } /^## / { skip = 0 } !skip' "$RESULTS_FILE" >"$tmp"
	fi
	{ cat "$tmp"; echo; echo "$REPORT"; } | cat -s >"$RESULTS_FILE"
	rm -f "$tmp"
	echo "wrote the 'Boot under' section of $RESULTS_FILE"
fi
exit 0
