#!/usr/bin/env bash
# lease_faults: the lease database going wrong under `bootwire serve`, with real busybox udhcpc
# clients in namespaces joined by a veth pair (server 10.99.95.1/24) (issue 11).
#
#   (a) damaged database: a row with a bad MAC, then the file truncated to 5,000 bytes.
#       `bootwire serve` refuses to start, naming the file, what is wrong and the repair
#       command; `bootwire leases --repair` keeps the damaged file as PATH.damaged-*, lists
#       what it kept and dropped; serve then starts, the leases kept are still held for
#       their clients (a new client gets another address) and a client still gets a lease
#   (b) database deleted while running: a new client gets no ACK, the store's error is logged
#       once, naming the file; a running client's RENEWING REQUEST (SIGUSR1) is answered from
#       memory; the leases acked before the deletion are in PATH.orphaned-*: a plain restart
#       has 0 of them (a new, empty database), a restart with the copy moved back has all
#   (c) commit failing (the database on a 1 MiB tmpfs, filled up): no ACK, "binding undone"
#       logged, and once there is room again new clients get every address of the pool: no
#       address stays bound in memory for a client that was never ACKed
#
# Run: bash tests/system/lease_faults.sh   (root; BOOTWIRE=...)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip busybox jq sqlite3 mount umount truncate timeout
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "the lease database is bootwire's own"
bw_setup_trap
bw_make_work

W=$BW_WORK
SMALL=$W/small
# the tmpfs of (c) goes before the rest of the cleanup (which removes $W)
trap 'rc=$?; set +e; umount -l "$SMALL" 2>/dev/null; (exit "$rc"); bw_cleanup' EXIT
SRV=bwlf-s-$$
CLI=bwlf-c-$$
bw_dhcp_pair "$SRV" "$CLI" 95
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
mkdir -p "$W/root" "$SMALL"

# conf FILE DB RANGE_LAST: a server-mode config on $SIF, leases in DB, pool .100-.RANGE_LAST
conf()
{
	cat >"$1" <<YAML
boot_root: $W/root
log: {level: info, format: json}
tftp: {enabled: false}
dhcp:
  enabled: true
  interfaces: [$SIF]
  lease_db: $2
  subnets:
    - { subnet: 10.99.95.0/24, range: 10.99.95.100-10.99.95.$3, router: 10.99.95.1,
        lease_time: 600 }
YAML
}
DB=$W/state/leases.db
conf "$W/a.yaml" "$DB" 119

cat >"$W/udhcpc-script" <<'SH'
#!/bin/sh
printf '%s;ip=%s\n' "$1" "$ip" >>"$EV_FILE"
case $1 in
bound|renew) ip addr replace "$ip/$subnet" dev "$interface" ;;
deconfig) ip -4 addr flush dev "$interface" ;;
esac
exit 0
SH
chmod 0755 "$W/udhcpc-script"

N_CLIENTS=0
# client MAC: one udhcpc run for MAC until it is bound or gives up (-q -n, 3 DISCOVERs 1 s
# apart, 30 s at most); GOT is the address it was bound to ("" when none).
client()
{
	local mac=$1 ev
	N_CLIENTS=$((N_CLIENTS + 1))
	ev=$W/ev-$N_CLIENTS
	: >"$ev"
	ip -n "$CLI" -4 addr flush dev "$CIF"
	bw_set_mac "$CLI" "$CIF" "$mac"
	timeout 30 ip netns exec "$CLI" env EV_FILE="$ev" busybox udhcpc -q -f -n -i "$CIF" \
		-s "$W/udhcpc-script" -t 3 -T 1 -A 1 >"$W/udhcpc-$N_CLIENTS.log" 2>&1 || true
	GOT=$(sed -n 's/^bound;ip=//p' "$ev" | head -n 1)
}

# ip_int A.B.C.D: the address as the database stores it (host order integer)
ip_int()
{
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# refused CONF WHAT_TEXT: serve -c CONF exits by itself (10 s) with a non-zero status and its
# log has the dhcp error naming DB, WHAT_TEXT and the repair command; REFUSE_LOG is its log.
refused()
{
	local conf=$1 what=$2 pid rc=0
	REFUSE_LOG=$W/refused-$SECONDS-$RANDOM.log
	bw_spawn "$SRV" "$REFUSE_LOG" "$BOOTWIRE" serve -c "$conf" --allow-root
	pid=$BW_LAST_PID
	bw_wait_pid "$pid" 10 || rc=$?
	((rc != 0 && rc != 124)) &&
		bw_jhas "$REFUSE_LOG" 'svc("dhcp") and .level == "error" and msg_has($db) and
			msg_has($what) and msg_has("bootwire leases --repair --db " + $db)' \
			--arg db "$DB" --arg what "$what"
}

bound_count() # bound leases in database $1
{
	"$BOOTWIRE" leases --db "$1" --json 2>/dev/null | jq '[.[] | select(.state == "bound")] | length'
}

# ---- (a) a damaged database is refused, repaired, and served again ------------------------
bw_say "(a) damaged database"
bw_dhcp_start "$W/a.yaml" || {
	bw_fail "bootwire serve did not start"
	bw_summary
}
MACS_A=(02:bd:1f:00:00:01 02:bd:1f:00:00:02 02:bd:1f:00:00:03)
IPS_A=()
for m in "${MACS_A[@]}"; do
	client "$m"
	IPS_A+=("$GOT")
done
if [[ -n ${IPS_A[0]} && -n ${IPS_A[1]} && -n ${IPS_A[2]} ]] && (($(bound_count "$DB") == 3)); then
	bw_pass "three clients bound: ${IPS_A[*]}"
else
	bw_fail "three clients bound" "got: ${IPS_A[*]}" "$(bw_log_tail "$BW_SRV_LOG" 10)"
fi
if [[ $(stat -c %a "$W/state") == 700 && $(stat -c %a "$DB") == 600 &&
	$(stat -c %a "$DB-wal") == 600 && $(stat -c %a "$DB-shm") == 600 ]]; then
	bw_pass "state directory 0700; database, -wal and -shm 0600"
else
	bw_fail "modes" "$(stat -c '%a %n' "$W/state" "$DB"*)"
fi
bw_stop_server

# a row with bad fields: the second client's MAC is 2 bytes
sqlite3 "$DB" "UPDATE lease SET mac = x'5254' WHERE addr = $(ip_int "${IPS_A[1]}")"
if refused "$W/a.yaml" "1 lease row(s) cannot be read, the first (address ${IPS_A[1]}): mac is not 6 bytes"; then
	bw_pass "a row with a bad MAC: serve refuses, naming the file, the row and the repair command"
else
	bw_fail "serve on a database with a bad row" "$(bw_log_tail "$REFUSE_LOG" 6)"
fi
out=$("$BOOTWIRE" leases --repair --db "$DB" 2>&1) || true
aside=$(sed -n 's/^  the damaged file is kept as //p' <<<"$out")
if grep -qx "  kept ${IPS_A[0]} ${MACS_A[0]} bound" <<<"$out" &&
	grep -qx "  kept ${IPS_A[2]} ${MACS_A[2]} bound" <<<"$out" &&
	grep -qx "  dropped ${IPS_A[1]}: mac is not 6 bytes" <<<"$out" &&
	grep -qx "repaired $DB: 2 lease row(s) kept, 1 dropped" <<<"$out" &&
	[[ $aside == "$DB".damaged-* && -f $aside ]]; then
	bw_pass "leases --repair: kept 2, dropped ${IPS_A[1]} (bad MAC), damaged file kept as $(basename "$aside")"
else
	bw_fail "leases --repair output" "$out"
fi
bw_dhcp_start "$W/a.yaml" || bw_fail "serve after the repair" "$(bw_log_tail "$BW_SRV_LOG" 10)"
client 02:bd:1f:00:00:10
n1=$GOT
client 02:bd:1f:00:00:11
n2=$GOT
if [[ -n $n1 && -n $n2 && $n1 != "${IPS_A[0]}" && $n1 != "${IPS_A[2]}" &&
	$n2 != "${IPS_A[0]}" && $n2 != "${IPS_A[2]}" ]]; then
	bw_pass "after the repair the kept leases are held: new clients got $n1 and $n2"
else
	bw_fail "kept leases held after the repair" "new clients got '$n1' '$n2'; kept: ${IPS_A[0]} ${IPS_A[2]}"
fi
client "${MACS_A[0]}"
if [[ $GOT == "${IPS_A[0]}" ]]; then
	bw_pass "the first client gets its kept address ${IPS_A[0]} again"
else
	bw_fail "the first client after the repair" "got '$GOT', want ${IPS_A[0]}"
fi
bw_stop_server

# the issue's case: truncated to 5,000 bytes
truncate -s 5000 "$DB"
if refused "$W/a.yaml" "the file is damaged: quick_check found"; then
	bw_pass "truncated to 5000 bytes: serve refuses (quick_check), naming the file and the repair command"
else
	bw_fail "serve on a truncated database" "$(bw_log_tail "$REFUSE_LOG" 6)"
fi
out=$("$BOOTWIRE" leases --repair --db "$DB" 2>&1) || true
kept=$(sed -n "s|^repaired $DB: \([0-9]*\) lease row(s) kept, \([0-9]*\) dropped\$|\1 \2|p" <<<"$out")
if [[ -n $kept ]] && grep -q '^  the damaged file is kept as ' <<<"$out"; then
	bw_pass "leases --repair of the truncated file: kept/dropped = $kept"
	bw_say "figure: truncated database: rows kept/dropped by the repair: $kept"
else
	bw_fail "leases --repair of the truncated file" "$out"
fi
bw_dhcp_start "$W/a.yaml" || bw_fail "serve after the second repair" "$(bw_log_tail "$BW_SRV_LOG" 10)"
client 02:bd:1f:00:00:12
if [[ -n $GOT ]]; then
	bw_pass "after repairing the truncated file a client gets $GOT"
else
	bw_fail "a client after the second repair" "$(bw_log_tail "$BW_SRV_LOG" 10)"
fi
bw_stop_server

# ---- (b) the database deleted while running ----------------------------------------------
bw_say "(b) database deleted while running"
rm -f "$DB" "$DB-wal" "$DB-shm"
bw_dhcp_start "$W/a.yaml" || bw_fail "serve with a new database" "$(bw_log_tail "$BW_SRV_LOG" 10)"
LOGB=$BW_SRV_LOG
# B1 keeps running (its renewal comes later); B2 and B3 bind and quit
MAC_B1=02:bd:1f:00:01:01
ip -n "$CLI" -4 addr flush dev "$CIF"
bw_set_mac "$CLI" "$CIF" "$MAC_B1"
EV_B1=$W/ev-b1
: >"$EV_B1"
bw_spawn "$CLI" "$W/udhcpc-b1.log" env EV_FILE="$EV_B1" busybox udhcpc -f -i "$CIF" \
	-s "$W/udhcpc-script" -t 5 -T 1 -A 2
B1_PID=$BW_LAST_PID
bw_wait_file_re "$EV_B1" '^bound;' 20 || true
IP_B1=$(sed -n 's/^bound;ip=//p' "$EV_B1" | head -n 1)
bw_stop "$B1_PID" 5 || true # its address stays on the interface; renewed below from a new run
client 02:bd:1f:00:01:02
IP_B2=$GOT
client 02:bd:1f:00:01:03
IP_B3=$GOT
n_before=$(bound_count "$DB")
if [[ -n $IP_B1 && -n $IP_B2 && -n $IP_B3 ]] && ((n_before == 3)); then
	bw_pass "three leases acked and recorded before the deletion: $IP_B1 $IP_B2 $IP_B3"
else
	bw_fail "three leases before the deletion" "got '$IP_B1' '$IP_B2' '$IP_B3', $n_before in the database"
fi
rm -f "$DB" "$DB-wal" "$DB-shm"
client 02:bd:1f:00:01:04
if [[ -z $GOT ]] && bw_jwait "$LOGB" 'svc("store") and .level == "error" and of($db) and
	msg_has("the lease database was deleted while bootwire had it open")' 5 --arg db "$DB"; then
	bw_pass "after the deletion a new client gets no ACK; the store's error names $DB"
else
	bw_fail "new client after the deletion" "got '$GOT'" "$(bw_log_tail "$LOGB" 8)"
fi
# a RENEWING REQUEST (ciaddr) from B1: udhcpc started again on its address, SIGUSR1
bw_set_mac "$CLI" "$CIF" "$MAC_B1"
ip -n "$CLI" addr replace "$IP_B1/24" dev "$CIF"
: >"$EV_B1"
bw_spawn "$CLI" "$W/udhcpc-b1r.log" env EV_FILE="$EV_B1" busybox udhcpc -f -i "$CIF" \
	-s "$W/udhcpc-script" -t 5 -T 1 -A 2 -r "$IP_B1"
B1_PID=$BW_LAST_PID
bw_wait_file_re "$EV_B1" '^bound;' 20 || true
kill -USR1 "$B1_PID" 2>/dev/null || true
if bw_wait_file_re "$EV_B1" "^renew;ip=$IP_B1\$" 10 &&
	bw_jhas "$LOGB" 'dhcp($mac) and .level == "warn" and msg_has("renewal answered from memory")' \
		--arg mac "$MAC_B1"; then
	bw_pass "B1's renewal of $IP_B1 is answered from memory (and the warning says so)"
else
	bw_fail "B1's renewal after the deletion" "$(cat "$EV_B1")" "$(bw_log_tail "$LOGB" 8)"
fi
bw_stop "$B1_PID" 5 || true
n_err=$(bw_jcount "$LOGB" 'svc("store") and .level == "error" and of($db)' --arg db "$DB")
if ((n_err == 1)); then
	bw_pass "the store's error is logged once"
else
	bw_fail "the store's error is logged once" "$n_err lines" "$(bw_jlines "$LOGB" 'svc("store")')"
fi
orphan=$(find "$W/state" -maxdepth 1 -name 'leases.db.orphaned-*' ! -name '*-wal' ! -name '*-shm' | head -n 1)
n_orphan=$([[ -n $orphan ]] && bound_count "$orphan" || echo 0)
bw_stop_server
bw_dhcp_start "$W/a.yaml" || bw_fail "serve after the deletion" "$(bw_log_tail "$BW_SRV_LOG" 10)"
n_plain=$(bound_count "$DB")
bw_stop_server
if [[ -n $orphan ]]; then
	rm -f "$DB" "$DB-wal" "$DB-shm"
	mv "$orphan" "$DB"
fi
bw_dhcp_start "$W/a.yaml" || bw_fail "serve with the orphaned copy moved back" "$(bw_log_tail "$BW_SRV_LOG" 10)"
n_back=$(bound_count "$DB")
bw_say "figure: leases acked before the deletion still there after a restart: $n_plain of 3 (plain), $n_back of 3 (orphaned copy moved back; the copy held $n_orphan)"
if ((n_plain == 0 && n_orphan == 3 && n_back == 3)); then
	bw_pass "restart: 0 of 3 leases with a new database, 3 of 3 with $(basename "${orphan:-none}") moved back"
else
	bw_fail "leases after the restart" "plain $n_plain, orphan $n_orphan, moved back $n_back"
fi
client 02:bd:1f:00:01:05
if [[ -n $GOT && $GOT != "$IP_B1" && $GOT != "$IP_B2" && $GOT != "$IP_B3" ]]; then
	bw_pass "a new client gets $GOT, not one of the restored leases"
else
	bw_fail "new client after restoring the copy" "got '$GOT'"
fi
bw_stop_server

# ---- (c) a commit that fails: the binding is undone ----------------------------------------
bw_say "(c) commit failing on a full file system"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$SMALL"
DB=$SMALL/leases.db
conf "$W/c.yaml" "$DB" 103 # 4 addresses
bw_dhcp_start "$W/c.yaml" || bw_fail "serve on the tmpfs" "$(bw_log_tail "$BW_SRV_LOG" 10)"
LOGC=$BW_SRV_LOG
client 02:bd:1f:00:02:00
IP_C0=$GOT
dd if=/dev/zero of="$SMALL/fill" bs=4k >/dev/null 2>&1 || true # until ENOSPC
got_any=
for i in 1 2 3; do
	client "02:bd:1f:00:02:0$i"
	got_any+=$GOT
done
n_undone=$(bw_jcount "$LOGC" 'svc("dhcp") and .level == "error" and
	msg_has("writing the lease failed: No space left on device; binding undone")')
if [[ -n $IP_C0 && -z $got_any ]] && ((n_undone >= 3)); then
	bw_pass "disk full: 3 clients get no ACK; $n_undone failed commits logged with 'binding undone'"
else
	bw_fail "disk full" "first client '$IP_C0', later ones '$got_any', $n_undone undone" \
		"$(bw_log_tail "$LOGC" 8)"
fi
rm -f "$SMALL/fill"
n_new=0
for i in 1 2 3; do
	client "02:bd:1f:00:02:1$i"
	[[ -n $GOT ]] && n_new=$((n_new + 1))
done
bw_say "figure: addresses left bound in memory by the 3 failed commits: $((3 - n_new)) (the next 3 clients got $n_new of the 3 free ones)"
if ((n_new == 3)); then
	bw_pass "with room again, 3 new clients get the pool's 3 other addresses: none leaked"
else
	bw_fail "addresses after the failed commits" "$n_new of 3 new clients got one" "$(bw_log_tail "$LOGC" 8)"
fi
client 02:bd:1f:00:02:00
if [[ $GOT == "$IP_C0" ]]; then
	bw_pass "the first client still gets $IP_C0"
else
	bw_fail "the first client at the end" "got '$GOT', want $IP_C0"
fi
bw_stop_server
bw_summary
