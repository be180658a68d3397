#!/usr/bin/env bash
# http_basic: `bootwire serve` with the HTTP service, against real curl, in a private network
# namespace on loopback.
#
#   bodies:   GET of a 64 MiB and of an empty file is byte-exact (sha256); HEAD has the
#             headers and no body
#   ranges:   first, middle, last, suffix (206 + Content-Range), past the end (416 with
#             "bytes */SIZE"), several ranges (200, whole body)
#   caching:  ETag + If-None-Match and Last-Modified + If-Modified-Since give 304; an If-Range
#             that does not match gives the whole body
#   safety:   "..", "%2e%2e/", "..%2f", absolute and relative symlinks out of boot_root:
#             403/404 and never the content; a directory: 404, no listing; %00: 400
#   methods:  POST gets 405 with "Allow: GET, HEAD"
#   limits:   a client that sends half a request is dropped after timeout_s (2 s);
#             max_per_client refuses the connection over the limit
#   TLS:      a self-signed certificate made with `openssl req`; curl --cacert fetches
#             byte-exact over HTTPS
#   daemon:   `user: nobody` binds port 80, drops privileges and still serves; one log line per
#             request with status, bytes, range and user agent; a download the client abandons
#             is logged as cut short with the bytes that reached it; SIGTERM exits 0
#   (the log is JSON, log.format json, and read with jq)
#
# Run: bash tests/system/http_basic.sh   (root; BOOTWIRE=...)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds curl openssl sha256sum timeout cmp head tail jq
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "the HTTP service is bootwire's own"
bw_enter_private_netns "$@"
bw_setup_trap
bw_make_work

ROOT=$BW_WORK/root
PORT=8080
URL=http://127.0.0.1:$PORT
mkdir -p "$ROOT/sub/deeper" "$ROOT/pxelinux.cfg"
chmod -R 0755 "$ROOT"
bw_mkfile "$ROOT/big.bin" $((64 << 20))
bw_mkfile "$ROOT/small.bin" 10000
bw_mkfile "$ROOT/sub/inner.bin" 1000
: >"$ROOT/empty.bin"
printf '#!ipxe\nchain http://127.0.0.1/next.ipxe\n' >"$ROOT/boot.ipxe"
printf 'DEFAULT linux\n' >"$ROOT/pxelinux.cfg/default"
chmod 0644 "$ROOT/empty.bin" "$ROOT/boot.ipxe" "$ROOT/pxelinux.cfg/default"
echo "TOPSECRET-OUTSIDE-ROOT" >"$BW_WORK/secret.txt"
chmod 0644 "$BW_WORK/secret.txt"
ln -s /etc/passwd "$ROOT/abs-out"
ln -s ../secret.txt "$ROOT/rel-out"
ln -s "$ROOT/small.bin" "$ROOT/abs-in"
ln -s "$BW_WORK" "$ROOT/dir-out"

cat >"$BW_WORK/http.yaml" <<YAML
boot_root: $ROOT
log: { level: info, format: json }
tftp: { enabled: false }
http:
  enabled: true
  listen: 127.0.0.1
  port: $PORT
  timeout_s: 2
  max_per_client: 4
YAML

# hget NAME URL [curl args...]: body to $BW_WORK/NAME.body, headers to NAME.hdr, status in
# CODE (000 when curl failed), curl's exit status in CRC. Bounded by --max-time.
hget()
{
	local name=$1 url=$2
	shift 2
	CRC=0
	CODE=$(curl -sS --max-time 30 -o "$BW_WORK/$name.body" -D "$BW_WORK/$name.hdr" \
		-w '%{http_code}' "$@" "$url" 2>"$BW_WORK/$name.err") || CRC=$?
}

# hdr NAME HEADER: the value of a response header (case-insensitive), without the CR.
hdr()
{
	awk -v h="$(echo "$2" | tr 'A-Z' 'a-z')" -F': ' \
		'tolower($1) == h { sub(/\r$/, "", $2); print $2; exit }' "$BW_WORK/$1.hdr"
}

# expect_code DESC WANT [DETAIL]: checks CODE.
expect_code()
{
	if [[ $CODE == "$2" ]]; then
		bw_pass "$1: $CODE"
		return 0
	fi
	bw_fail "$1: status $CODE, want $2 (curl exit $CRC)" "$(cat "$BW_WORK"/*.err 2>/dev/null | tail -n 2)" \
		"$(bw_log_tail "$BW_SRV_LOG" 5)"
	return 1
}

bw_start_serve "$BW_WORK/http.yaml" "$PORT" || { bw_fail "bootwire serve did not start"; bw_summary; }

# ---- bodies ------------------------------------------------------------------------------
hget big "$URL/big.bin"
bw_check_download "GET 64 MiB: byte-exact (status $CODE)" "$CRC" "$ROOT/big.bin" "$BW_WORK/big.body" "$BW_WORK/big.err"
hget empty "$URL/empty.bin"
if [[ $CODE == 200 && -f $BW_WORK/empty.body && ! -s $BW_WORK/empty.body && $(hdr empty Content-Length) == 0 ]]; then
	bw_pass "GET empty file: 200, Content-Length 0, no bytes"
else
	bw_fail "GET empty file: status $CODE, Content-Length '$(hdr empty Content-Length)'"
fi
hget sp "$URL/sub/inner.bin"
bw_check_download "GET a file in a subdirectory" "$CRC" "$ROOT/sub/inner.bin" "$BW_WORK/sp.body"

# HEAD: headers, and not one byte of body (raw socket: curl -I would not read one anyway)
hget head "$URL/big.bin" -I
etag=$(hdr head ETag)
lm=$(hdr head Last-Modified)
if [[ $CODE == 200 && $(hdr head Content-Length) == $((64 << 20)) && $etag == \"*\" && -n $lm &&
	$(hdr head Accept-Ranges) == bytes && $(hdr head Content-Type) == application/octet-stream ]]; then
	bw_pass "HEAD: 200, Content-Length $((64 << 20)), ETag $etag, Last-Modified $lm, Accept-Ranges, Content-Type"
else
	bw_fail "HEAD headers" "$(tr -d '\r' <"$BW_WORK/head.hdr")"
fi
raw_head=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'$PORT'; printf "HEAD /big.bin HTTP/1.0\r\n\r\n" >&3; cat <&3' | wc -c) || true
if [[ $raw_head -gt 0 && $raw_head -lt 1000 ]]; then
	bw_pass "HEAD: the whole answer is $raw_head bytes (headers only)"
else
	bw_fail "HEAD over a raw socket returned $raw_head bytes"
fi
for f in boot.ipxe:text/plain pxelinux.cfg/default:text/plain small.bin:application/octet-stream; do
	hget ct "$URL/${f%%:*}" -I
	if [[ $(hdr ct Content-Type) == "${f#*:}" ]]; then
		bw_pass "Content-Type of ${f%%:*}: ${f#*:}"
	else
		bw_fail "Content-Type of ${f%%:*}: '$(hdr ct Content-Type)', want ${f#*:}"
	fi
done

# ---- ranges ---------------------------------------------------------------------------------
size=$((64 << 20))
check_range()
{
	local desc=$1 spec=$2 first=$3 len=$4
	hget rg "$URL/big.bin" -H "Range: bytes=$spec"
	{ tail -c +$((first + 1)) "$ROOT/big.bin" | head -c "$len" >"$BW_WORK/rg.want"; } || true # (tail gets SIGPIPE)
	local cr
	cr=$(hdr rg Content-Range)
	if [[ $CODE == 206 && $cr == "bytes $first-$((first + len - 1))/$size" ]] &&
		cmp -s "$BW_WORK/rg.want" "$BW_WORK/rg.body"; then
		bw_pass "range $desc (bytes=$spec): 206, $cr, $len bytes exact"
	else
		bw_fail "range $desc (bytes=$spec): status $CODE, Content-Range '$cr', $(stat -c %s "$BW_WORK/rg.body" 2>/dev/null) bytes"
	fi
}
check_range first 0-99 0 100
check_range middle 1000000-1999999 1000000 1000000
check_range last "$((size - 100))-" $((size - 100)) 100
check_range "last, end past the size" "$((size - 10))-$((size * 2))" $((size - 10)) 10
check_range suffix -4096 $((size - 4096)) 4096
hget r416 "$URL/big.bin" -H "Range: bytes=$size-"
if [[ $CODE == 416 && $(hdr r416 Content-Range) == "bytes */$size" ]]; then
	bw_pass "range past the end: 416, Content-Range: bytes */$size"
else
	bw_fail "range past the end: status $CODE, Content-Range '$(hdr r416 Content-Range)'"
fi
hget rmulti "$URL/small.bin" -H "Range: bytes=0-1,5-9"
if [[ $CODE == 200 ]] && cmp -s "$ROOT/small.bin" "$BW_WORK/rmulti.body"; then
	bw_pass "several ranges: 200 with the whole body"
else
	bw_fail "several ranges: status $CODE"
fi
hget rbad "$URL/small.bin" -H "Range: bytes=5-3"
if [[ $CODE == 200 ]] && cmp -s "$ROOT/small.bin" "$BW_WORK/rbad.body"; then
	bw_pass "malformed range (bytes=5-3): ignored, 200 with the whole body"
else
	bw_fail "malformed range: status $CODE"
fi

# ---- caching ----------------------------------------------------------------------------------
hget c0 "$URL/small.bin"
etag=$(hdr c0 ETag)
lm=$(hdr c0 Last-Modified)
hget c1 "$URL/small.bin" -H "If-None-Match: $etag"
if [[ $CODE == 304 && ! -s $BW_WORK/c1.body && $(hdr c1 ETag) == "$etag" ]]; then
	bw_pass "If-None-Match with the ETag: 304, no body, ETag repeated"
else
	bw_fail "If-None-Match: status $CODE" "$(tr -d '\r' <"$BW_WORK/c1.hdr")"
fi
hget c2 "$URL/small.bin" -H 'If-None-Match: "something-else"'
expect_code "If-None-Match with another tag: the file" 200 || true
hget c3 "$URL/small.bin" -H "If-Modified-Since: $lm"
expect_code "If-Modified-Since = Last-Modified" 304 || true
hget c4 "$URL/small.bin" -H "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"
expect_code "If-Modified-Since long ago" 200 || true
hget c5 "$URL/small.bin" -H "Range: bytes=0-9" -H 'If-Range: "not-the-etag"'
if [[ $CODE == 200 ]] && cmp -s "$ROOT/small.bin" "$BW_WORK/c5.body"; then
	bw_pass "If-Range that does not match: 200 with the whole body"
else
	bw_fail "If-Range mismatch: status $CODE"
fi
hget c6 "$URL/small.bin" -H "Range: bytes=0-9" -H "If-Range: $etag"
expect_code "If-Range with the ETag: the range" 206 || true
touch -d '2001-01-01 00:00:00' "$ROOT/small.bin"
hget c7 "$URL/small.bin" -H "If-None-Match: $etag"
if [[ $CODE == 200 && $(hdr c7 ETag) != "$etag" ]]; then
	bw_pass "touched file: new ETag, If-None-Match with the old one gets 200"
else
	bw_fail "touched file: status $CODE, ETag $(hdr c7 ETag) (old $etag)"
fi

# ---- safety --------------------------------------------------------------------------------------
refused()
{
	local desc=$1 path=$2 secret=$3
	hget sec "$URL$path" --path-as-is
	if [[ $CODE == 403 || $CODE == 404 || $CODE == 400 ]] && ! grep -qF "$secret" "$BW_WORK/sec.body" 2>/dev/null; then
		bw_pass "$desc ($path): $CODE, no content"
	else
		bw_fail "$desc ($path): status $CODE" "$(head -c 200 "$BW_WORK/sec.body" 2>/dev/null)"
	fi
}
refused "dot-dot" "/../etc/passwd" "root:"
refused "dot-dot deeper" "/sub/../../etc/passwd" "root:"
refused "encoded dots" "/%2e%2e/%2e%2e/etc/passwd" "root:"
refused "encoded slash" "/..%2f..%2fetc%2fpasswd" "root:"
refused "encoded slash in a subdirectory" "/sub/..%2F..%2F..%2Fsecret.txt" "TOPSECRET"
refused "absolute symlink out of the root" "/abs-out" "root:"
refused "relative symlink out of the root" "/rel-out" "TOPSECRET"
refused "symlinked directory out of the root" "/dir-out/secret.txt" "TOPSECRET"
refused "NUL byte" "/small.bin%00.txt" "xxxx-never"
hget absin "$URL/abs-in"
bw_check_download "absolute symlink inside the root: followed (as TFTP does)" "$CRC" "$ROOT/small.bin" "$BW_WORK/absin.body"
for d in /sub/ /sub / /sub/deeper/; do
	hget dir "$URL$d"
	if [[ $CODE == 404 ]] && ! grep -q "inner.bin\|deeper\|big.bin" "$BW_WORK/dir.body"; then
		bw_pass "directory $d: 404, no listing"
	else
		bw_fail "directory $d: status $CODE" "$(head -c 200 "$BW_WORK/dir.body")"
	fi
done
hget bad "$URL/small%zz"
expect_code "invalid escape" 400 || true

# ---- methods -------------------------------------------------------------------------------------
hget post "$URL/small.bin" -X POST --data 'x=1'
if [[ $CODE == 405 && $(hdr post Allow) == "GET, HEAD" ]]; then
	bw_pass "POST: 405, Allow: GET, HEAD"
else
	bw_fail "POST: status $CODE, Allow '$(hdr post Allow)'"
fi
hget put "$URL/new.bin" -X PUT --data 'x'
if [[ $CODE == 405 && ! -e $ROOT/new.bin ]]; then
	bw_pass "PUT: 405, nothing written"
else
	bw_fail "PUT: status $CODE"
fi

# ---- limits --------------------------------------------------------------------------------------
# Half a request, then silence: the server closes the connection after timeout_s (2 s).
t0=$EPOCHREALTIME
timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'$PORT'; printf "GET /small.bin HTTP/1.1\r\nHost: x\r\n" >&3; cat <&3 >/dev/null' || true
t1=$EPOCHREALTIME
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
if awk -v e="$el" 'BEGIN { exit !(e >= 1.5 && e <= 6) }'; then
	bw_pass "half a request: connection closed by the server after ${el}s (timeout_s 2)"
else
	bw_fail "half a request: connection ended after ${el}s (want about 2)"
fi
sleep 0.3
if bw_jhas "$BW_SRV_LOG" 'svc("http") and says("/small\\.bin: request not complete \\(timeout\\)")'; then
	bw_pass "half a request: logged as not complete (timeout)"
else
	bw_fail "no log line for the timed-out request" "$(bw_log_tail "$BW_SRV_LOG" 4)"
fi
# max_per_client 4: four idle connections held, the fifth is refused, then one works again.
exec 5<>/dev/tcp/127.0.0.1/$PORT 6<>/dev/tcp/127.0.0.1/$PORT 7<>/dev/tcp/127.0.0.1/$PORT 8<>/dev/tcp/127.0.0.1/$PORT
sleep 0.3
hget over "$URL/small.bin" --max-time 3
over_code=$CODE over_rc=$CRC
exec 5>&- 6>&- 7>&- 8>&-
sleep 0.3
hget under "$URL/small.bin"
if [[ $over_code == 000 && $over_rc != 28 && $CODE == 200 ]]; then
	bw_pass "max_per_client 4: a fifth connection is closed at once (curl exit $over_rc); after the others close: 200"
else
	bw_fail "max_per_client: fifth connection status $over_code (curl exit $over_rc), afterwards $CODE"
fi

# ---- log lines ------------------------------------------------------------------------------------
# (a request's line: svc http, its peer, msg "served" and the fields)
F_REQ='svc("http") and (.peer // "" | test("^127\\.0\\.0\\.1:[0-9]+$")) and .method == $m and
	.path == $p and .status == $st'
if bw_jhas "$BW_SRV_LOG" "$F_REQ"' and .msg == "served" and .bytes == $size and
	(.seconds | type) == "number" and .range == "-" and (.agent | test("^curl/[0-9.]+$")) and
	.end == "ok"' --arg m GET --arg p /big.bin --argjson st 200 --argjson size "$size" &&
	bw_jhas "$BW_SRV_LOG" "$F_REQ"' and .msg == "served" and .bytes == 100 and
	.range == "bytes=0-99"' --arg m GET --arg p /big.bin --argjson st 206 &&
	bw_jhas "$BW_SRV_LOG" "$F_REQ" --arg m POST --arg p /small.bin --argjson st 405; then
	bw_pass "one log line per request: method, path, status, bytes, seconds, range, agent"
else
	bw_fail "log lines" "$(bw_jlines "$BW_SRV_LOG" 'svc("http") and has("method")' | head -n 4)"
fi
# A client that goes away in the middle of the 64 MiB: its line says the answer was cut short
# and counts the body bytes that reached it (at least what curl had read), not the file's size.
cut_got=$(curl -s -o /dev/null --limit-rate 1M --max-time 1 -w '%{size_download}' "$URL/big.bin" 2>/dev/null) || true
F_CUT='svc("http") and says("^cut short: [0-9]+ of \($size) bytes$") and .method == "GET" and
	.path == "/big.bin" and .status == 200 and (.bytes | type) == "number"'
cut_line='' cut_bytes='' cut_end=''
if bw_jwait "$BW_SRV_LOG" "$F_CUT" 5 --argjson size "$size"; then
	cut_line=$(bw_jlines "$BW_SRV_LOG" "$F_CUT" --argjson size "$size" | tail -n 1)
	read -r cut_bytes cut_end < <(bw_jq "$BW_SRV_LOG" "select($F_CUT) | \"\(.bytes) \(.end)\"" \
		--argjson size "$size" | tail -n 1) || true
fi
if [[ -n $cut_bytes && $cut_bytes -lt $size && $cut_bytes -ge ${cut_got:-0} && $cut_end != ok ]]; then
	bw_pass "download cut short by the client (curl read ${cut_got:-?} bytes): logged as cut short with bytes=$cut_bytes, not $size (end=$cut_end)"
else
	bw_fail "download cut short (curl read ${cut_got:-?} bytes): no such log line, or bytes=${cut_bytes:-?}" \
		"${cut_line:-$(bw_jlines "$BW_SRV_LOG" 'svc("http") and .path == "/big.bin"' | tail -n 2)}"
fi
bw_stop_server

# ---- HTTPS -----------------------------------------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$BW_WORK/key.pem" -out "$BW_WORK/cert.pem" \
	>"$BW_WORK/openssl.log" 2>&1; then
	cat >"$BW_WORK/https.yaml" <<YAML
boot_root: $ROOT
log: { format: json }
tftp: { enabled: false }
http: { enabled: true, listen: 127.0.0.1, port: 8443, tls_cert: $BW_WORK/cert.pem, tls_key: $BW_WORK/key.pem }
YAML
	if bw_start_serve "$BW_WORK/https.yaml" 8443 &&
		bw_jhas "$BW_SRV_LOG" 'svc("http") and msg_has("listening on 127.0.0.1:8443 (https)")'; then
		hget tls https://127.0.0.1:8443/big.bin --cacert "$BW_WORK/cert.pem"
		bw_check_download "HTTPS (self-signed, openssl req; curl --cacert): 64 MiB byte-exact" "$CRC" "$ROOT/big.bin" "$BW_WORK/tls.body" "$BW_WORK/tls.err"
		hget tlsr https://127.0.0.1:8443/big.bin --cacert "$BW_WORK/cert.pem" -H "Range: bytes=-100"
		tail -c 100 "$ROOT/big.bin" >"$BW_WORK/tlsr.want"
		if [[ $CODE == 206 ]] && cmp -s "$BW_WORK/tlsr.want" "$BW_WORK/tlsr.body"; then
			bw_pass "HTTPS range: 206, exact"
		else
			bw_fail "HTTPS range: status $CODE"
		fi
		hget tlsbad https://127.0.0.1:8443/small.bin
		if [[ $CRC != 0 ]]; then
			bw_pass "HTTPS without the CA: curl refuses the certificate (exit $CRC)"
		else
			bw_fail "HTTPS without the CA was accepted"
		fi
		bw_stop_server
	else
		bw_fail "HTTPS server did not start" "$(bw_log_tail "$BW_SRV_LOG" 10)"
	fi
	# one of the pair only: a config error with file:line
	printf 'boot_root: %s\nhttp:\n  enabled: true\n  tls_cert: %s\n' "$ROOT" "$BW_WORK/cert.pem" >"$BW_WORK/half.yaml"
	if ! "$BOOTWIRE" check-config -c "$BW_WORK/half.yaml" 2>"$BW_WORK/half.err" &&
		grep -q "half.yaml:4: http.tls_cert: set without http.tls_key" "$BW_WORK/half.err"; then
		bw_pass "tls_cert without tls_key: $(head -n1 "$BW_WORK/half.err")"
	else
		bw_fail "tls_cert without tls_key not rejected with file:line" "$(cat "$BW_WORK/half.err")"
	fi
else
	bw_fail "openssl req failed" "$(cat "$BW_WORK/openssl.log")"
fi

# ---- privileges ------------------------------------------------------------------------------------
cat >"$BW_WORK/nobody.yaml" <<YAML
boot_root: $ROOT
user: nobody
log: { format: json }
tftp: { enabled: false }
http: { enabled: true, listen: 127.0.0.1, port: 80 }
YAML
bw_spawn "" "$BW_WORK/nobody.log" "$BOOTWIRE" serve -c "$BW_WORK/nobody.yaml"
BW_SRV_PID=$BW_LAST_PID
BW_SRV_LOG=$BW_WORK/nobody.log
if bw_wait_ready "$BW_SRV_PID" "$BW_SRV_LOG" "" 80; then
	sleep 0.2
	uid=$(awk '/^Uid:/ {print $2 "," $3 "," $4}' "/proc/$BW_SRV_PID/status")
	nuid=$(id -u nobody)
	hget nb http://127.0.0.1/big.bin
	if [[ $uid == "$nuid,$nuid,$nuid" ]] && bw_same_file "$ROOT/big.bin" "$BW_WORK/nb.body"; then
		bw_pass "user: nobody: bound port 80, runs as uid $nuid, still serves 64 MiB byte-exact"
	else
		bw_fail "user: nobody: uids $uid (want $nuid), status $CODE"
	fi
	bw_stop_server
else
	bw_fail "serve with user: nobody did not start" "$(bw_log_text <"$BW_WORK/nobody.log")"
fi

bw_summary
