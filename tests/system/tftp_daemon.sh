#!/usr/bin/env bash
# tftp_daemon: the daemon around the protocol, in a private network namespace on loopback.
#
#   privileges: as root without `user` it refuses to start (and says how to fix it);
#          --allow-root runs with a warning; `user: nobody` switches uid/gid after binding
#          port 69 and still serves files
#   logs:  log.format json writes one JSON object per line, with the transfer's fields (every
#          log is JSON here, --log-format json or log.format, and read with jq)
#   TIDs:  a packet from a foreign port gets ERROR 5 and the transfer completes (tftp_tid)
#   stop:  SIGTERM during an upload exits 0 and leaves no partial file behind
#   cli:   --help of every subcommand; check-config rejects a bad file with file:line
#
# Run: bash tests/system/tftp_daemon.sh   (root; BOOTWIRE=...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl timeout jq
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "daemon checks are about bootwire itself"
bw_require_tools tftp_tid
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ROOT=$BW_WORK/root
mkdir -p "$ROOT/up"
chmod 0755 "$ROOT"
chmod 0777 "$ROOT/up"
head -c 300000 /dev/urandom >"$ROOT/file.bin"
chmod 0644 "$ROOT/file.bin"

# --help on every subcommand
for sub in serve tftp check-config; do
	if "$BOOTWIRE" "$sub" --help | grep -q "usage: bootwire $sub"; then
		bw_pass "bootwire $sub --help"
	else
		bw_fail "bootwire $sub --help prints no usage"
	fi
done

# root without user: refused, with the fix in the message
rc=0
timeout 10 "$BOOTWIRE" tftp --root "$ROOT" --listen 127.0.0.1 --port 6901 --log-format json \
	>"$BW_WORK/root.log" 2>&1 || rc=$?
if [[ $rc != 0 ]] && bw_jhas "$BW_WORK/root.log" '.level == "error" and says("^refusing to run as root")'; then
	bw_pass "as root without a user: refuses to start (exit $rc)"
else
	bw_fail "as root without a user: exit $rc" "$(bw_log_text <"$BW_WORK/root.log")"
fi

# --allow-root: runs, warns
bw_spawn "" "$BW_WORK/allow.log" "$BOOTWIRE" tftp --root "$ROOT" --listen 127.0.0.1 --port 6902 \
	--allow-root --log-format json
pid=$BW_LAST_PID
if bw_wait_ready "$pid" "$BW_WORK/allow.log" "" 6902 &&
	bw_jhas "$BW_WORK/allow.log" '.level == "warn" and says("^running as root")'; then
	bw_pass "--allow-root: runs and warns"
else
	bw_fail "--allow-root" "$(bw_log_text <"$BW_WORK/allow.log")"
fi
bw_stop "$pid" 10 || true

# user: nobody, JSON logs
cat >"$BW_WORK/nobody.yaml" <<YAML
boot_root: $ROOT
user: nobody
log: { level: info, format: json }
tftp:
  listen: 127.0.0.1
  port: 69
  uploads:
    - { dir: up, max_size: 10M }
YAML
bw_spawn "" "$BW_WORK/nobody.log" "$BOOTWIRE" serve -c "$BW_WORK/nobody.yaml"
pid=$BW_LAST_PID
if bw_wait_ready "$pid" "$BW_WORK/nobody.log" "" 69; then
	nuid=$(id -u nobody)
	# the port is bound before the privilege drop: wait (bounded) for the drop itself
	for ((i = 0; i < 50; i++)); do
		uid=$(awk '/^Uid:/ {print $2 "," $3 "," $4}' "/proc/$pid/status")
		[[ $uid == "$nuid,$nuid,$nuid" ]] && break
		sleep 0.1
	done
	if [[ $uid == "$nuid,$nuid,$nuid" ]]; then
		bw_pass "user: nobody: bound port 69, then runs as uid $nuid (real, effective, saved)"
	else
		bw_fail "user: nobody: uids are $uid, want $nuid"
	fi
	if curl -s -o "$BW_WORK/got.bin" tftp://127.0.0.1:69/file.bin && cmp -s "$BW_WORK/got.bin" "$ROOT/file.bin"; then
		bw_pass "user: nobody: a download is byte-exact"
	else
		bw_fail "user: nobody: download failed" "$(bw_log_tail "$BW_WORK/nobody.log" 5)"
	fi
	if "$(bw_tool tftp_tid)" 127.0.0.1 69 file.bin 300000 >"$BW_WORK/tid.log" 2>&1; then
		bw_pass "a foreign port gets ERROR 5 and the transfer completes"
	else
		bw_fail "foreign-port check" "$(cat "$BW_WORK/tid.log")"
	fi
	# an upload that stalls after the WRQ: its temporary file exists, then SIGTERM
	exec 3<>/dev/udp/127.0.0.1/69
	printf '\0\2up/partial.bin\0octet\0' >&3
	for _ in $(seq 50); do
		compgen -G "$ROOT/up/.bootwire-upload.*" >/dev/null && break
		sleep 0.1
	done
	if compgen -G "$ROOT/up/.bootwire-upload.*" >/dev/null; then
		bw_pass "an upload in progress writes to a hidden temporary file"
	else
		bw_fail "no temporary file for the upload in progress" "$(ls -la "$ROOT/up")"
	fi
	sleep 0.2
	if bw_stop "$pid" 10 && [[ $BW_STOP_STATUS == 0 ]]; then
		bw_pass "SIGTERM: exits 0"
	else
		bw_fail "SIGTERM: status $BW_STOP_STATUS"
	fi
	exec 3>&-
	if [[ -z $(ls -A "$ROOT/up") ]]; then
		bw_pass "SIGTERM during an upload leaves nothing behind"
	else
		bw_fail "files left in the upload dir" "$(ls -la "$ROOT/up")"
	fi
	# every line an object with a string ts and level first (jq keeps the key order)
	bad_json=$(jq -R -r 'try (fromjson | select(type != "object" or (keys_unsorted[0:2] !=
		["ts", "level"]) or (.ts | type) != "string" or (.level | test("^[a-z]+$") | not)) |
		"bad") catch "bad"' "$BW_WORK/nobody.log" | wc -l)
	sent=$(bw_jlines "$BW_WORK/nobody.log" 'svc("tftp") and .msg == "sent" and
		.file == "file.bin" and .bytes == 300000 and (.seconds | type) == "number"')
	if [[ $bad_json == 0 && -n $sent ]]; then
		bw_pass "log.format json: every line is a JSON object; the transfer line has its fields"
	else
		bw_fail "JSON log lines ($bad_json not JSON objects with ts and level first)" \
			"$(head -n 8 "$BW_WORK/nobody.log")"
	fi
else
	bw_fail "serve with user: nobody did not start" "$(cat "$BW_WORK/nobody.log")"
fi

# check-config: a bad file is rejected with file:line
printf 'boot_root: %s\ntftp:\n  port: 0\n' "$ROOT" >"$BW_WORK/bad.yaml"
if ! "$BOOTWIRE" check-config -c "$BW_WORK/bad.yaml" 2>"$BW_WORK/bad.err" &&
	grep -q "bad.yaml:3: tftp.port" "$BW_WORK/bad.err"; then
	bw_pass "check-config: $(cat "$BW_WORK/bad.err")"
else
	bw_fail "check-config did not reject port 0 with file:line" "$(cat "$BW_WORK/bad.err")"
fi

bw_summary
