#!/usr/bin/env bash
# tftp_security: the server serves boot_root and nothing else, writes only where allowed,
# and survives a request flood. Private network namespace, loopback only.
#
#   part A  bootwire tftp --root (no uploads):
#           refused with ERROR 2 and nothing delivered: ../etc/passwd, a/../../x, /etc/passwd,
#           absolute paths outside the root (also <root>/../x and a sibling <root>2/x that
#           shares the root's prefix), //etc/passwd, symlinks leaving the root (file,
#           directory, relative and absolute targets); served: symlinks staying inside,
#           a leading /, <root>/file; ERROR 1 for a missing file and for a directory;
#           every write request refused with ERROR 2, nothing created.
#   part B  bootwire serve -c (uploads, remap, map_backslash):
#           uploads with tftp_get, curl and tftp-hpa land byte-exact; an existing name is not
#           overwritten (ERROR 6) unless the directory has overwrite: true; above max_size
#           refused with ERROR 3 (announced by tsize, or found mid-transfer), exactly
#           max_size accepted; writes outside an upload directory, via .., or through a
#           symlink leaving the root refused with ERROR 2; an abandoned upload leaves
#           nothing behind and its log line has the bytes received (5 blocks), and the
#           size only when the client announced a tsize; remap and \ mapping cannot be used to leave the root.
#   part C  limits (--max-transfers 6 --max-transfers-per-client 3): a client with 3 active
#           transfers gets ERROR 0 for a 4th; with 6 active in all, a new client gets
#           ERROR 0; the active transfers complete byte-exact.
#   part D  flood: tftp_flood sends 10,000 RRQs from 500 sockets on 50 source addresses
#           that never ACK (once at 5,000/s, once as fast as possible) while curl, tftp-hpa
#           and tftp_get download 1 MiB: all byte-exact; the daemon is alive afterwards.
# bootwire logs JSON (--log-format json, log.format json); failure reports show it as text.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl tftp sha256sum ss unshare timeout
bw_require_server
bw_require_tools tftp_get tftp_flood
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ADDR=127.0.0.1
TFTP_GET=$(bw_tool tftp_get)
FLOOD=$(bw_tool tftp_flood)
T=$BW_WORK
ROOT=$T/root
OUT=$T/out
LOGS=$T/logs
mkdir -p "$OUT" "$LOGS"
STRICT=0 # exact ERROR codes are bootwire's contract; peers only have to refuse
[[ $BW_SERVER == bootwire ]] && STRICT=1

# ---- the tree
bw_say "building the tree in $T"
mkdir -p "$ROOT"/{files,sub,cfg,uploads/sub,uploads-ow} "$T/outside_dir" "${ROOT}2"
echo "SECRET-OUTSIDE-FILE" >"$T/outside.txt"
echo "SECRET-OUTSIDE-DIR" >"$T/outside_dir/secret.txt"
echo "SECRET-SIBLING-ROOT" >"${ROOT}2/file.txt"
bw_mkfile "$ROOT/hello.bin" 3000
bw_mkfile "$ROOT/files/real.bin" 100000
bw_mkfile "$ROOT/cfg/default" 700
ln -s ../outside.txt "$ROOT/link-out-rel"
ln -s "$T/outside.txt" "$ROOT/link-out-abs"
ln -s ../outside_dir "$ROOT/link-out-dir"
ln -s files/real.bin "$ROOT/link-in-rel"
ln -s "$ROOT/files/real.bin" "$ROOT/link-in-abs"
ln -s files "$ROOT/link-in-dir"
ln -s ../../outside_dir "$ROOT/uploads/esc"
chmod -R a+rX "$T"
chmod 0777 "$ROOT/uploads" "$ROOT/uploads/sub" "$ROOT/uploads-ow"

# get NAME EXPECT_RC [tftp_get options...]: downloads NAME with tftp_get; rc 0 = served.
# Sets GOT (the local file) and GOT_RC, GOT_LOG.
get()
{
	local name=$1
	shift
	GOT=$OUT/get.$((++N_GET))
	GOT_LOG=$LOGS/get.$N_GET.log
	GOT_RC=0
	bw_run "$GOT_LOG" 30 "$TFTP_GET" -r 3 -o "$GOT" "$@" "$SRV_ADDR" "$SRV_PORT" "$name" ||
		GOT_RC=$?
}
N_GET=0

# expect_refused NAME CODE: refused with ERROR CODE (any ERROR for peers), no secret leaked.
expect_refused()
{
	local name=$1 code=$2 want=$((10 + $2))
	get "$name"
	local leaked=
	if [[ -s $GOT ]] && grep -q SECRET "$GOT"; then
		leaked=yes
	fi
	if [[ -n $leaked ]]; then
		bw_fail "RRQ '$name' not delivered" "the file's content was sent:" "$(head -c 200 "$GOT")"
	elif [[ $GOT_RC == "$want" || ($STRICT == 0 && $GOT_RC -ge 10 && $GOT_RC -lt 60) ]]; then
		bw_pass "RRQ '$name' refused with ERROR $((GOT_RC - 10))"
	else
		bw_fail "RRQ '$name' refused with ERROR $code" \
			"tftp_get exit status $GOT_RC, expected $want (10 + ERROR code)" \
			"$(cat "$GOT_LOG")" "$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
}

# expect_served NAME EXPECTED_FILE
expect_served()
{
	get "$1"
	bw_check_download "RRQ '$1' served" "$GOT_RC" "$2" "$GOT" "$GOT_LOG" || true
}

# put NAME LOCAL [tftp_get options...]: uploads with tftp_get; sets PUT_RC, PUT_LOG.
put()
{
	local name=$1 local_file=$2
	shift 2
	PUT_LOG=$LOGS/put.$((++N_PUT)).log
	PUT_RC=0
	bw_run "$PUT_LOG" 30 "$TFTP_GET" -r 3 --put "$local_file" "$@" "$SRV_ADDR" "$SRV_PORT" \
		"$name" || PUT_RC=$?
}
N_PUT=0

# expect_put_refused DESC NAME LOCAL CODE [tftp_get options]: refused and nothing created
# under the upload directories or outside the root.
expect_put_refused()
{
	local desc=$1 name=$2 local_file=$3 code=$4
	shift 4
	local before after
	before=$(tree_state)
	put "$name" "$local_file" "$@"
	after=$(tree_state)
	local want=$((10 + code))
	if [[ $before != "$after" ]]; then
		bw_fail "$desc: WRQ '$name' leaves nothing behind" "files changed:" \
			"$(diff <(echo "$before") <(echo "$after") | grep '^[<>]')"
	elif [[ $PUT_RC == "$want" || ($STRICT == 0 && $PUT_RC -ge 10 && $PUT_RC -lt 60) ]]; then
		bw_pass "$desc: WRQ '$name' refused with ERROR $((PUT_RC - 10)), nothing written"
	else
		bw_fail "$desc: WRQ '$name' refused with ERROR $code" \
			"tftp_get exit status $PUT_RC, expected $want (10 + ERROR code)" \
			"$(cat "$PUT_LOG")" "$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
}

# Every file (hidden ones too) in the tree and outside it, with size and hash: shows any
# write, complete or partial.
tree_state()
{
	find "$T" -path "$OUT" -prune -o -path "$LOGS" -prune -o -name 'server-*.log' -prune -o \
		-type f -printf '%p %s %i %T@\n' | sort
}

###########################################################################################
bw_say "part A: $BW_SERVER with no upload directories"
SRV_ADDR=$ADDR
SRV_PORT=6969
bw_start_tftp "$ROOT" "$SRV_ADDR" "$SRV_PORT" --log-format json || { bw_fail "server starts"; bw_summary; }

for name in ../etc/passwd ../outside.txt a/../../outside.txt files/../../outside.txt \
	/etc/passwd //etc/passwd "$T/outside.txt" "$ROOT/../outside.txt" "${ROOT}2/file.txt" \
	link-out-rel link-out-abs link-out-dir/secret.txt ..; do
	expect_refused "$name" 2
done
expect_served link-in-rel "$ROOT/files/real.bin"
expect_served link-in-dir/real.bin "$ROOT/files/real.bin"
if bw_server_has root-prefix; then
	expect_served link-in-abs "$ROOT/files/real.bin"
	expect_served "$ROOT/hello.bin" "$ROOT/hello.bin"
	expect_served "$ROOT/files/real.bin" "$ROOT/files/real.bin"
else
	bw_skip_check "absolute symlink inside the root, <root>/file" "$BW_SERVER chroots"
fi
expect_served /hello.bin "$ROOT/hello.bin"
expect_served /files/real.bin "$ROOT/files/real.bin"
expect_served files/./real.bin "$ROOT/files/real.bin"
expect_refused no-such-file 1
expect_refused files 1
bw_mkfile "$T/upload-small.bin" 10000
expect_put_refused "no uploads configured" uploads/new.bin "$T/upload-small.bin" 2
expect_put_refused "no uploads configured" new.bin "$T/upload-small.bin" 2
expect_put_refused "no uploads configured" hello.bin "$T/upload-small.bin" 2
bw_stop_server

###########################################################################################
if bw_server_has upload-dirs; then
	bw_say "part B: bootwire serve -c with uploads, remap and backslash mapping"
	SRV_PORT=6970
	cat >"$T/bootwire.yaml" <<EOF
boot_root: $ROOT
log: { level: debug, format: json }
tftp:
  listen: $SRV_ADDR
  port: $SRV_PORT
  timeout_ms: 200
  retries: 2
  map_backslash: true
  remap:
    - { match: '^pxelinux\.cfg/(.*)$', replace: 'cfg/\1' }
  uploads:
    - { dir: uploads, overwrite: false, max_size: 100K }
    - { dir: uploads-ow, overwrite: true, max_size: 1M }
EOF
	bw_start_serve "$T/bootwire.yaml" "$SRV_PORT" || { bw_fail "serve starts"; bw_summary; }

	expect_served pxelinux.cfg/default "$ROOT/cfg/default"
	expect_refused 'pxelinux.cfg/../../outside.txt' 2
	expect_refused '..\outside.txt' 2
	expect_refused '\..\outside.txt' 2
	expect_served '\files\real.bin' "$ROOT/files/real.bin"

	bw_mkfile "$T/up-a.bin" 10000
	bw_mkfile "$T/up-b.bin" 20000
	bw_mkfile "$T/up-c.bin" 30000
	bw_mkfile "$T/up-max.bin" 102400
	bw_mkfile "$T/up-big.bin" 204800
	bw_mkfile "$T/up-mult.bin" 4096

	# uploads that must land
	check_put()
	{
		local desc=$1 rc=$2 want=$3 dest=$4 clog=$5
		bw_check_download "$desc" "$rc" "$want" "$dest" "$clog" || true
	}
	put uploads/a.bin "$T/up-a.bin" -b 1468 -s
	check_put "WRQ uploads/a.bin (tftp_get, blksize 1468, tsize)" "$PUT_RC" "$T/up-a.bin" \
		"$ROOT/uploads/a.bin" "$PUT_LOG"
	put uploads/mult.bin "$T/up-mult.bin"
	check_put "WRQ uploads/mult.bin (a multiple of 512: empty last block)" "$PUT_RC" \
		"$T/up-mult.bin" "$ROOT/uploads/mult.bin" "$PUT_LOG"
	rc=0
	bw_run "$LOGS/curl-put.log" 30 curl -sS --max-time 30 -T "$T/up-b.bin" \
		"tftp://$SRV_ADDR:$SRV_PORT/uploads/b.bin" || rc=$?
	check_put "WRQ uploads/b.bin (curl -T)" "$rc" "$T/up-b.bin" "$ROOT/uploads/b.bin" \
		"$LOGS/curl-put.log"
	rc=0
	bw_run "$LOGS/hpa-put.log" 30 tftp "$SRV_ADDR" "$SRV_PORT" -m binary -c put \
		"$T/up-c.bin" uploads/c.bin || rc=$?
	grep -q 'Error code' "$LOGS/hpa-put.log" && rc=1
	check_put "WRQ uploads/c.bin (tftp-hpa put)" "$rc" "$T/up-c.bin" "$ROOT/uploads/c.bin" \
		"$LOGS/hpa-put.log"
	put uploads/max.bin "$T/up-max.bin"
	check_put "WRQ of exactly max_size (102400 bytes) accepted" "$PUT_RC" "$T/up-max.bin" \
		"$ROOT/uploads/max.bin" "$PUT_LOG"
	put uploads/sub/s.bin "$T/up-a.bin"
	check_put "WRQ into an existing subdirectory uploads/sub/" "$PUT_RC" "$T/up-a.bin" \
		"$ROOT/uploads/sub/s.bin" "$PUT_LOG"
	put /uploads/slash.bin "$T/up-a.bin"
	check_put "WRQ /uploads/slash.bin (leading /)" "$PUT_RC" "$T/up-a.bin" \
		"$ROOT/uploads/slash.bin" "$PUT_LOG"
	put "$ROOT/uploads/abs.bin" "$T/up-a.bin"
	check_put "WRQ <root>/uploads/abs.bin" "$PUT_RC" "$T/up-a.bin" "$ROOT/uploads/abs.bin" \
		"$PUT_LOG"

	# no overwrite
	expect_put_refused "overwrite: false" uploads/a.bin "$T/up-b.bin" 6
	expect_put_refused "overwrite: false, tsize announced" uploads/b.bin "$T/up-a.bin" 6 -s
	# overwrite: true replaces
	put uploads-ow/o.bin "$T/up-a.bin"
	put uploads-ow/o.bin "$T/up-b.bin"
	check_put "overwrite: true: a second WRQ replaces the file" "$PUT_RC" "$T/up-b.bin" \
		"$ROOT/uploads-ow/o.bin" "$PUT_LOG"

	# max_size
	expect_put_refused "max_size 100K, tsize announced" uploads/big1.bin "$T/up-big.bin" 3 -s
	expect_put_refused "max_size 100K, no tsize (found mid-transfer)" uploads/big2.bin \
		"$T/up-big.bin" 3
	expect_put_refused "max_size 100K, no tsize, blksize 1468" uploads/big3.bin \
		"$T/up-big.bin" 3 -b 1468
	before=$(tree_state)
	rc=0
	bw_run "$LOGS/curl-put-big.log" 30 curl -sS --max-time 30 -T "$T/up-big.bin" \
		"tftp://$SRV_ADDR:$SRV_PORT/uploads/big4.bin" || rc=$?
	if [[ $rc == 70 && $before == "$(tree_state)" ]]; then # CURLE_REMOTE_DISK_FULL
		bw_pass "max_size 100K: curl -T refused (exit 70, disk full), nothing written"
	else
		bw_fail "max_size 100K: curl -T refused (exit 70, disk full), nothing written" \
			"curl exit status $rc" "$(cat "$LOGS/curl-put-big.log")" \
			"$(diff <(echo "$before") <(tree_state) | grep '^[<>]')"
	fi

	# writes outside the upload directories
	expect_put_refused "outside uploads" new-at-root.bin "$T/up-a.bin" 2
	expect_put_refused "outside uploads" hello.bin "$T/up-a.bin" 2
	expect_put_refused "outside uploads" cfg/new.bin "$T/up-a.bin" 2
	expect_put_refused "dot-dot" uploads/../evil.bin "$T/up-a.bin" 2
	expect_put_refused "dot-dot" uploads/../../evil.bin "$T/up-a.bin" 2
	expect_put_refused "absolute outside" "$T/evil.bin" "$T/up-a.bin" 2
	expect_put_refused "sibling prefix" "${ROOT}2/evil.bin" "$T/up-a.bin" 2
	expect_put_refused "symlink leaving the root" uploads/esc/evil.bin "$T/up-a.bin" 2
	expect_put_refused "backslash dot-dot" 'uploads\..\..\evil.bin' "$T/up-a.bin" 2
	expect_put_refused "remap dot-dot" 'pxelinux.cfg/../uploads/../../evil.bin' \
		"$T/up-a.bin" 2

	# an abandoned upload leaves nothing behind
	before=$(tree_state)
	put uploads/abandoned.bin "$T/up-max.bin" --stop-after 5
	sleep 3 # the server gives up after 200 + 400 + 800 ms (timeout 200 ms, 2 retries, doubling)
	if [[ $before == "$(tree_state)" ]]; then
		bw_pass "an abandoned upload (client gone after 5 blocks) leaves nothing behind"
	else
		bw_fail "an abandoned upload (client gone after 5 blocks) leaves nothing behind" \
			"files changed, 3 s later:" "$(diff <(echo "$before") <(tree_state) | grep '^[<>]')" \
			"$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
	# its end line: timed out, with the bytes received in order (5 blocks of 512) and no size
	# (the client announced no tsize)
	# shellcheck disable=SC2016 # jq's $f
	abandoned='svc("tftp") and .file == $f and verdict("upload failed:")'
	if bw_jwait "$BW_SRV_LOG" "$abandoned" 5 --arg f uploads/abandoned.bin &&
		bw_jhas "$BW_SRV_LOG" "$abandoned"' and .msg == "upload failed: timed out" and
		.level == "warn" and .bytes == 2560 and (has("size") | not)' --arg f uploads/abandoned.bin; then
		bw_pass "the abandoned upload's log line: upload failed: timed out, bytes=2560, no size"
	else
		bw_fail "the abandoned upload's log line: upload failed: timed out, bytes=2560, no size" \
			"$(bw_jlines "$BW_SRV_LOG" "$abandoned" --arg f uploads/abandoned.bin)" \
			"$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
	# the same with tsize announced: the line has it as the size
	put uploads/abandoned-tsize.bin "$T/up-max.bin" --stop-after 5 -s
	if bw_jwait "$BW_SRV_LOG" "$abandoned" 5 --arg f uploads/abandoned-tsize.bin &&
		bw_jhas "$BW_SRV_LOG" "$abandoned"' and .msg == "upload failed: timed out" and
		.bytes == 2560 and .size == 102400' --arg f uploads/abandoned-tsize.bin; then
		bw_pass "an abandoned upload with tsize 102400: its log line has bytes=2560 size=102400"
	else
		bw_fail "an abandoned upload with tsize 102400: its log line has bytes=2560 size=102400" \
			"$(bw_jlines "$BW_SRV_LOG" "$abandoned" --arg f uploads/abandoned-tsize.bin)" \
			"$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
	bw_stop_server
else
	bw_skip_check "part B: uploads, remap, backslash mapping" "bootwire's config only"
fi

###########################################################################################
if bw_server_has limits; then
	bw_say "part C: --max-transfers 6 --max-transfers-per-client 3"
	SRV_PORT=6971
	bw_start_tftp "$ROOT" 0.0.0.0 "$SRV_PORT" --max-transfers 6 \
		--max-transfers-per-client 3 --log-level info --log-format json ||
		{ bw_fail "server starts"; bw_summary; }
	bw_mkfile "$ROOT/slow.bin" 40000 # 79 blocks of 512, ACKed every 40 ms: ~3 s
	slow_pids=()
	slow_start()
	{
		local src=$1 i=$2
		bw_spawn "" "$LOGS/slow.$i.log" timeout 30 "$TFTP_GET" --bind "$src" --ack-delay-ms 40 \
			-o "$OUT/slow.$i" "$SRV_ADDR" "$SRV_PORT" slow.bin
		slow_pids+=("$BW_LAST_PID")
	}
	for i in 1 2 3; do slow_start 127.0.3.1 "$i"; done
	sleep 0.7
	get slow.bin --bind 127.0.3.1
	if [[ $GOT_RC == 10 ]]; then
		bw_pass "4th transfer of a client at the per-client limit (3 active): ERROR 0 (busy)"
	else
		bw_fail "4th transfer of a client at the per-client limit (3 active): ERROR 0 (busy)" \
			"tftp_get exit status $GOT_RC, expected 10 (ERROR 0)" "$(cat "$GOT_LOG")"
	fi
	for i in 4 5 6; do slow_start "127.0.3.$((i - 2))" "$i"; done
	sleep 0.7
	get slow.bin --bind 127.0.3.9
	if [[ $GOT_RC == 10 ]]; then
		bw_pass "a new client while 6 of 6 transfers are active: ERROR 0 (busy)"
	else
		bw_fail "a new client while 6 of 6 transfers are active: ERROR 0 (busy)" \
			"tftp_get exit status $GOT_RC, expected 10 (ERROR 0)" "$(cat "$GOT_LOG")"
	fi
	# requests that never ACK do not displace active transfers
	flood_out=$("$FLOOD" --server "$SRV_ADDR" --port "$SRV_PORT" --file slow.bin --sockets 10 \
		--requests 1 --src-base 127.0.4.1 --src-count 1 --linger-ms 300 --max-seconds 10)
	bw_say "10 requests from a client that never ACKs: $flood_out"
	for i in 1 2 3 4 5 6; do
		rc=0
		bw_wait_pid "${slow_pids[$((i - 1))]}" 30 || rc=$?
		bw_check_download "active transfer $i completes under the limits" "$rc" \
			"$ROOT/slow.bin" "$OUT/slow.$i" "$LOGS/slow.$i.log" || true
	done
	if [[ $flood_out == *"accepted=0 "* ]]; then
		bw_pass "the non-ACKing requests were refused while 6 transfers were active"
	else
		bw_fail "the non-ACKing requests were refused while 6 transfers were active" \
			"tftp_flood: $flood_out"
	fi
	expect_served slow.bin "$ROOT/slow.bin"
	bw_stop_server
else
	bw_skip_check "part C: transfer limits" "$BW_SERVER has no such limits"
fi

###########################################################################################
if bw_server_has flood; then
	bw_say "part D: flood of 10,000 never-acknowledged RRQs"
	SRV_PORT=6972
	bw_mkfile "$ROOT/legit.bin" 1048576
	bw_mkfile "$ROOT/flood.bin" 1048576
	bw_start_tftp "$ROOT" 0.0.0.0 "$SRV_PORT" --log-level info --log-format json ||
		{ bw_fail "server starts"; bw_summary; }
	rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$BW_SRV_PID/status" 2>/dev/null || echo '?'; }
	rss0=$(rss_kib)

	legit_round()
	{
		local tag=$1 rc f=${1//[^a-z0-9]/_}
		get legit.bin -b 1468 -w 16 -t 500 -r 10
		bw_check_download "$tag: tftp_get 1 MiB (windowsize 16)" "$GOT_RC" "$ROOT/legit.bin" \
			"$GOT" "$GOT_LOG" || true
		rc=0
		bw_run "$LOGS/legit-curl.$f.log" 60 curl -sS --max-time 60 -o "$OUT/legit-curl" \
			"tftp://$SRV_ADDR:$SRV_PORT/legit.bin" || rc=$?
		bw_check_download "$tag: curl 1 MiB" "$rc" "$ROOT/legit.bin" "$OUT/legit-curl" \
			"$LOGS/legit-curl.$f.log" || true
		rc=0
		bw_run "$LOGS/legit-hpa.$f.log" 60 tftp "$SRV_ADDR" "$SRV_PORT" -m binary -c get \
			legit.bin "$OUT/legit-hpa" || rc=$?
		grep -qE 'Error code|timed out' "$LOGS/legit-hpa.$f.log" && rc=1
		bw_check_download "$tag: tftp-hpa 1 MiB" "$rc" "$ROOT/legit.bin" "$OUT/legit-hpa" \
			"$LOGS/legit-hpa.$f.log" || true
	}

	flood_round()
	{
		local tag=$1 rate=$2 delay=$3 f=${1//[^a-z0-9]/_}
		bw_spawn "" "$LOGS/flood.$f.log" "$FLOOD" --server "$SRV_ADDR" --port "$SRV_PORT" \
			--file flood.bin --sockets 500 --requests 20 --rate "$rate" \
			--src-base 127.1.0.1 --src-count 50 --linger-ms 1000 --max-seconds 30
		local fpid=$BW_LAST_PID
		sleep "$delay"
		bw_alive "$fpid" || bw_say "note: the flood ended before the legitimate downloads"
		legit_round "$tag"
		local rc=0
		bw_wait_pid "$fpid" 40 || rc=$?
		bw_say "flood ($tag): $(cat "$LOGS/flood.$f.log")"
		if [[ $rc == 0 ]] && grep -q '^sent=10000 ' "$LOGS/flood.$f.log"; then
			bw_pass "$tag: tftp_flood sent 10000 requests"
		else
			bw_fail "$tag: tftp_flood sent 10000 requests" "exit status $rc" \
				"$(cat "$LOGS/flood.$f.log")"
		fi
		if bw_alive "$BW_SRV_PID"; then
			bw_pass "$tag: $BW_SERVER still running after the flood"
		else
			bw_fail "$tag: $BW_SERVER still running after the flood" \
				"$(bw_log_tail "$BW_SRV_LOG" 20)"
		fi
	}
	flood_round "flood at 5000/s" 5000 0.5
	flood_round "flood unlimited" 0 0.05
	legit_round "after the floods"
	bw_say "server RSS: ${rss0} KiB before, $(rss_kib) KiB after; log: $(wc -l <"$BW_SRV_LOG") lines"
	bw_stop_server
else
	bw_skip_check "part D: flood" "$BW_SERVER forks per request"
fi

bw_summary
