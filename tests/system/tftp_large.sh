#!/usr/bin/env bash
# tftp_large: a file past 4 GiB at blksize 65464 (block numbers roll over at 65535 blocks =
# 4 GiB) transfers byte-exact with curl, lock-step and with our windowed client. The file
# is sparse with marker bytes around the 4 GiB boundary and at its end, so it costs no disk;
# the download streams into cmp, so nothing is written either. The log is JSON (jq).
#
# Run: bash tests/system/tftp_large.sh   (root; BOOTWIRE=..., BW_TOOLS_DIR=...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl cmp truncate timeout jq
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "blksize 65464 needs bootwire's blksize_max"
bw_require_tools tftp_get
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ROOT=$BW_WORK/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
F=$ROOT/big.img
SIZE=$((4 * 1024 * 1024 * 1024 + 1234567)) # 4 GiB + a bit: past 65536 blocks of 65464
truncate -s "$SIZE" "$F"
for off in 0 65463 65464 $((65535 * 65464)) $((65536 * 65464 - 1)) $((65536 * 65464)) \
	$((4 * 1024 * 1024 * 1024)) $((SIZE - 1)); do
	printf 'M%x' "$off" | dd of="$F" bs=1 seek="$off" conv=notrunc status=none
done
truncate -s "$SIZE" "$F" # the last marker may have run past the end
chmod 0644 "$F"

bw_start_tftp "$ROOT" 127.0.0.1 6969 --blksize-max 65464 --log-level info --log-format json
for client in curl tftp_get; do
	rc=0
	case $client in
	curl) timeout 300 curl -s --tftp-blksize 65464 -o - tftp://127.0.0.1:6969/big.img |
		cmp - "$F" >"$BW_WORK/cmp.$client" 2>&1 || rc=$? ;;
	tftp_get) timeout 300 "$(bw_tool tftp_get)" -b 65464 -w 8 -s --max-seconds 280 -o - 127.0.0.1 6969 big.img |
		cmp - "$F" >"$BW_WORK/cmp.$client" 2>&1 || rc=$? ;;
	esac
	if [[ $rc == 0 ]]; then
		bw_pass "$client: $SIZE bytes at blksize 65464 (rollover at 4 GiB) byte-exact"
	else
		bw_fail "$client: 4 GiB+ download differs or failed" "$(cat "$BW_WORK/cmp.$client")"
		bw_log_tail "$BW_SRV_LOG" 10
	fi
done
# shellcheck disable=SC2016 # $size is jq's
if bw_jhas "$BW_SRV_LOG" 'svc("tftp") and .msg == "sent" and .file == "big.img" and .bytes == $size' \
	--argjson size "$SIZE"; then
	bw_pass "the log reports $SIZE bytes sent"
else
	bw_fail "no 'sent' log line for big.img with bytes=$SIZE" \
		"$(bw_jlines "$BW_SRV_LOG" 'svc("tftp") and has("file")' | tail -n 3)"
fi
bw_stop "$BW_SRV_PID" 10 || true
bw_summary
