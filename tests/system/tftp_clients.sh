#!/usr/bin/env bash
# tftp_clients: real TFTP clients download files of edge sizes from the server under test,
# byte-exact (sha256), in a private network namespace on loopback.
#
#   sizes: 0, 511, 512, 513 bytes, 1 MiB; 33 MiB (block numbers roll over past 65535 to 0 at
#          blksize 512); 96 MiB (rolls over at blksize 1468; BW_SKIP_HUGE=1 leaves it out)
#   clients: curl (default blksize, --tftp-blksize 1468), tftp-hpa, atftp (plain, blksize
#          1468, windowsize 16, windowsize 16 + blksize 1468) and our tftp_get (windowsize
#          16 + blksize 1468 + tsize, windowsize 64, no options)
#   netascii: tftp-hpa and tftp_get in netascii mode get back the LF text file, bare CR
#          included (the client decodes CR LF and CR NUL)
#   also: blksize/windowsize above the limits are clamped in the OACK; a missing file is
#          ERROR 1 for every client; one log line per completed transfer (bootwire's log is
#          JSON, --log-format json, read with jq)
#
# Run: bash tests/system/tftp_clients.sh   (root; BOOTWIRE=..., BW_SERVER=tftpd-hpa|atftpd)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl tftp atftp sha256sum ss unshare timeout jq
bw_require_server
bw_require_tools tftp_get
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ADDR=127.0.0.1
PORT=6969
ROOT=$BW_WORK/root
OUT=$BW_WORK/out
LOGS=$BW_WORK/logs
TFTP_GET=$(bw_tool tftp_get)
CLIENT_SECS=90
mkdir -p "$ROOT" "$OUT" "$LOGS"
chmod 0755 "$ROOT"

N_OK_DOWNLOADS=0

# dl LABEL FILE CMD...: runs one download (@OUT@ in CMD is the local file), checks sha256.
dl()
{
	local label=$1 name=$2
	shift 2
	local out=$OUT/$name.$label clog=$LOGS/$name.$label.log rc=0
	local args=("${@//@OUT@/$out}")
	rm -f "$out"
	bw_run "$clog" "$CLIENT_SECS" "${args[@]}" || rc=$?
	# tftp-hpa exits 0 on errors and leaves an empty file behind: read its messages.
	if [[ $rc == 0 ]] && grep -qE 'Error code|timed out|unknown error' "$clog"; then
		rc=1
	fi
	if bw_check_download "$name ($(stat -c %s "$ROOT/$name") bytes) via $label" "$rc" \
		"$ROOT/$name" "$out" "$clog"; then
		N_OK_DOWNLOADS=$((N_OK_DOWNLOADS + 1))
	fi
	rm -f "$out"
}


# all_clients FILE [only1468]: every client variant on one file.
all_clients()
{
	local f=$1 only1468=${2:-}
	local url=tftp://$ADDR:$PORT/$f
	if [[ $f == size-0.bin ]] && ! bw_server_has tsize-0-omitted; then
		# curl fails an OACK carrying tsize 0 ("invalid tsize value in OACK", exit 71)
		bw_skip_check "$f via curl" "$BW_SERVER sends tsize 0, which curl rejects"
		url=
	fi
	if [[ -z $only1468 && -n $url ]]; then
		dl curl "$f" curl -sS --max-time "$CLIENT_SECS" -o @OUT@ "$url"
	fi
	if [[ -z $only1468 ]]; then
		dl tftp-hpa "$f" tftp "$ADDR" "$PORT" -m binary -c get "$f" @OUT@
		dl atftp "$f" atftp -g -r "$f" -l @OUT@ "$ADDR" "$PORT"
	fi
	[[ -z $url ]] || dl curl-blksize1468 "$f" curl -sS --max-time "$CLIENT_SECS" --tftp-blksize 1468 -o @OUT@ "$url"
	dl atftp-blksize1468 "$f" atftp --option "blksize 1468" -g -r "$f" -l @OUT@ "$ADDR" "$PORT"
	if bw_server_has windowsize; then
		if [[ -z $only1468 ]]; then
			dl atftp-window16 "$f" atftp --option "windowsize 16" -g -r "$f" -l @OUT@ \
				"$ADDR" "$PORT"
			dl tftp_get-window64 "$f" "$TFTP_GET" -w 64 -o @OUT@ "$ADDR" "$PORT" "$f"
		fi
		dl atftp-window16-blksize1468 "$f" atftp --option "windowsize 16" \
			--option "blksize 1468" -g -r "$f" -l @OUT@ "$ADDR" "$PORT"
		dl tftp_get-window16-blksize1468-tsize "$f" "$TFTP_GET" -b 1468 -w 16 -s \
			-o @OUT@ "$ADDR" "$PORT" "$f"
	else
		bw_skip_check "$f via atftp/tftp_get with windowsize" "$BW_SERVER has no windowsize"
		dl tftp_get-blksize1468-tsize "$f" "$TFTP_GET" -b 1468 -s -o @OUT@ "$ADDR" "$PORT" "$f"
	fi
	if [[ -z $only1468 ]]; then
		dl tftp_get-no-options "$f" "$TFTP_GET" -o @OUT@ "$ADDR" "$PORT" "$f"
	fi
}

bw_say "creating test files in $ROOT"
SIZES=(0 511 512 513 1048576 34603008)
for s in "${SIZES[@]}"; do
	bw_mkfile "$ROOT/size-$s.bin" "$s"
done
HUGE=100663296 # 96 MiB > 65535 * 1468 = 96205380: the block number wraps at blksize 1468
if [[ ${BW_SKIP_HUGE:-0} != 1 ]]; then
	bw_mkfile "$ROOT/size-$HUGE.bin" "$HUGE"
fi
# Netascii: LF line ends (several thousand bytes, so CR LF pairs straddle block edges), and
# a file with bare CRs (sent as CR NUL).
for i in $(seq 1 300); do
	printf 'line %d: the quick brown fox jumps over the lazy dog\n' "$i"
done >"$ROOT/text-lf.txt"
printf 'a bare\rcarriage return\nand\r\rtwo, and a CR at the end\r' >"$ROOT/text-cr.txt"
chmod 0644 "$ROOT"/*

# (peers ignore --log-format)
bw_start_tftp "$ROOT" "$ADDR" "$PORT" --blksize-max 1468 --windowsize-max 64 --log-format json ||
	{ bw_fail "server starts" "see log above"; bw_summary; }

for s in "${SIZES[@]}"; do
	bw_say "size $s"
	all_clients "size-$s.bin"
done
if [[ ${BW_SKIP_HUGE:-0} != 1 ]]; then
	bw_say "size $HUGE (block numbers wrap at blksize 1468)"
	all_clients "size-$HUGE.bin" only1468
else
	bw_skip_check "96 MiB file at blksize 1468" "BW_SKIP_HUGE=1"
fi

bw_say "option negotiation"
# Asking for more than the limits: the OACK carries the clamped values.
dl tftp_get-blksize65464-window1024 size-1048576.bin "$TFTP_GET" -v -b 65464 -w 1024 -s \
	-o @OUT@ "$ADDR" "$PORT" size-1048576.bin
if [[ $BW_SERVER == bootwire ]]; then
	clog=$LOGS/size-1048576.bin.tftp_get-blksize65464-window1024.log
	if grep -q 'OACK blksize=1468 windowsize=64 tsize=1048576' "$clog"; then
		bw_pass "blksize 65464 / windowsize 1024 asked: OACK blksize=1468 windowsize=64 tsize=1048576"
	else
		bw_fail "blksize 65464 / windowsize 1024 asked: OACK clamps to 1468 / 64" "$(cat "$clog")"
	fi
fi

bw_say "netascii"
for f in text-lf.txt text-cr.txt; do
	if bw_server_has netascii; then
		dl tftp-hpa-ascii "$f" tftp "$ADDR" "$PORT" -m ascii -c get "$f" @OUT@
		# -s: bootwire's OACK tsize is the converted (CR LF) size, checked by tftp_get
		# (peers announce the size on disk)
		tsize=()
		[[ $BW_SERVER == bootwire ]] && tsize=(-s)
		dl tftp_get-netascii "$f" "$TFTP_GET" -m netascii "${tsize[@]}" -o @OUT@ "$ADDR" \
			"$PORT" "$f"
	else
		bw_skip_check "$f in netascii" "$BW_SERVER has no netascii"
	fi
done

bw_say "missing file"
rc=0
bw_run "$LOGS/missing.tftp_get.log" 20 "$TFTP_GET" -o "$OUT/missing" "$ADDR" "$PORT" \
	no-such-file.bin || rc=$?
if [[ $rc == 11 ]]; then
	bw_pass "missing file: tftp_get gets ERROR 1 (file not found)"
else
	bw_fail "missing file: tftp_get gets ERROR 1 (file not found)" \
		"tftp_get exit status $rc, expected 11 (ERROR 1)" "$(cat "$LOGS/missing.tftp_get.log")"
fi
rc=0
bw_run "$LOGS/missing.curl.log" 20 curl -sS --max-time 20 -o "$OUT/missing" \
	"tftp://$ADDR:$PORT/no-such-file.bin" || rc=$?
if [[ $rc == 68 ]]; then # CURLE_TFTP_NOTFOUND
	bw_pass "missing file: curl reports TFTP file not found (exit 68)"
else
	bw_fail "missing file: curl reports TFTP file not found (exit 68)" "curl exit status $rc" \
		"$(cat "$LOGS/missing.curl.log")"
fi
bw_run "$LOGS/missing.tftp-hpa.log" 20 tftp "$ADDR" "$PORT" -m binary -c get \
	no-such-file.bin "$OUT/missing" || true
if grep -q 'Error code 1' "$LOGS/missing.tftp-hpa.log"; then
	bw_pass "missing file: tftp-hpa reports Error code 1"
else
	bw_fail "missing file: tftp-hpa reports Error code 1" "$(cat "$LOGS/missing.tftp-hpa.log")"
fi

if [[ $BW_SERVER == bootwire ]]; then
	# One log line per transfer end: the completed downloads' lines name the file and bytes.
	sleep 0.3
	sent='svc("tftp") and .msg == "sent" and has("file") and has("bytes")'
	n=$(bw_jcount "$BW_SRV_LOG" "$sent")
	if [[ $n == "$N_OK_DOWNLOADS" ]]; then
		bw_pass "one 'sent' log line with file and bytes per completed download ($n)"
	else
		bw_fail "one 'sent' log line with file and bytes per completed download" \
			"expected $N_OK_DOWNLOADS lines, got $n; the last transfer end lines:" \
			"$(bw_jlines "$BW_SRV_LOG" 'svc("tftp") and (.msg == "sent" or says("failed"))' |
				tail -n 10)"
	fi
fi

bw_stop_server
bw_summary
