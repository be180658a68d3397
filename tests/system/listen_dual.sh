#!/usr/bin/env bash
# listen_dual: one daemon serves IPv4 and IPv6 at once: `listen` takes a list.
#   tftp.listen and http.listen [127.0.0.1, ::1]: curl fetches the same file over TFTP and
#   HTTP from both addresses, byte for byte; an address not listed (127.0.0.2) gets nothing;
#   the log says "listening on" once per address and service.
# Run: bash tests/system/listen_dual.sh   (root; BOOTWIRE=...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl timeout jq
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "listen lists are bootwire's own"
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ip -6 addr show dev lo | grep -q '::1' || bw_skip "no IPv6 on loopback here"
ROOT=$BW_WORK/root
mkdir -p "$ROOT"
chmod 0755 "$ROOT"
head -c 200000 /dev/urandom >"$ROOT/file.bin"
chmod 0644 "$ROOT/file.bin"
cat >"$BW_WORK/dual.yaml" <<YAML
boot_root: $ROOT
pid_file: ''
log: { format: json }
tftp: { listen: [127.0.0.1, "::1"], port: 6969 }
http: { enabled: true, listen: [127.0.0.1, "::1"], port: 8080 }
YAML
bw_spawn "" "$BW_WORK/dual.log" "$BOOTWIRE" serve -c "$BW_WORK/dual.yaml" --allow-root
pid=$BW_LAST_PID
if ! bw_wait_ready "$pid" "$BW_WORK/dual.log" "" 6969; then
	bw_fail "the daemon did not start" "$(cat "$BW_WORK/dual.log")"
	bw_summary
fi
sleep 0.3 # the last service's line follows the first's within the same start
n=$(bw_jcount "$BW_WORK/dual.log" '.msg | test("^listening on")')
if [[ $n == 4 ]]; then
	bw_pass "listening on 4 sockets: TFTP and HTTP, each on 127.0.0.1 and [::1]"
else
	bw_fail "listening lines: $n, want 4" "$(cat "$BW_WORK/dual.log")"
fi
for url in tftp://127.0.0.1:6969/file.bin "tftp://[::1]:6969/file.bin" \
	http://127.0.0.1:8080/file.bin "http://[::1]:8080/file.bin"; do
	rm -f "$BW_WORK/got"
	if timeout 20 curl -sS -g -o "$BW_WORK/got" "$url" 2>"$BW_WORK/curl.err" &&
		cmp -s "$BW_WORK/got" "$ROOT/file.bin"; then
		bw_pass "$url: whole file"
	else
		bw_fail "$url" "$(cat "$BW_WORK/curl.err")"
	fi
done
# an address of the host that is not listed: nothing listens there
ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true
if timeout 5 curl -sS -o /dev/null --connect-timeout 2 http://127.0.0.2:8080/file.bin 2>/dev/null; then
	bw_fail "127.0.0.2 (not listed) answered over HTTP"
else
	bw_pass "127.0.0.2 (not listed): no HTTP answer"
fi
if timeout 8 curl -sS -o /dev/null --connect-timeout 2 --max-time 5 tftp://127.0.0.2:6969/file.bin 2>/dev/null; then
	bw_fail "127.0.0.2 (not listed) answered over TFTP"
else
	bw_pass "127.0.0.2 (not listed): no TFTP answer"
fi
bw_stop "$pid" 10 || bw_fail "the daemon did not stop cleanly"
bw_summary
