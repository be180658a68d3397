#!/usr/bin/env bash
# dhcp_crash: kill -9 in the middle of a DHCP storm; no ACKed lease may be lost, none handed
# out twice. `bootwire serve` in one namespace, dhcp_load (tests/tools) in another acting as
# a relay agent (giaddr 10.98.0.2, unicast to 10.98.0.1:67; replies to giaddr:67), joined by
# a veth pair. Pool: 10.98.1.0-10.98.160.255; lease_time 3600.
#
# Each round: a storm of DORAs from new MACs (`--acked` records every ACK as it arrives);
# SIGKILL to bootwire once the file has reached the round's mark; restart on the same
# database; then
#   (a) every MAC/address ACKed so far (all rounds) is in `bootwire leases --json`, bound;
#   (b) `dhcp_load --verify` (INIT-REBOOT REQUEST for each) gets an ACK of that address;
#   (c) the round's storm got no address that another MAC held before (ACKed in an earlier
#       round, or durable in the database though its ACK never left), and no address went
#       to two MACs within it.
# Rounds (4,000 MACs unless said): 64 in flight, killed at the first ACK; 4 in flight, after
# 300 ACKs; 64 in flight (16,000 MACs), after 4,000; 16 in flight, after 1,000. A last
# storm (no kill, 2,000 MACs) must again get only new addresses, then a clean SIGTERM.
# (Relay mode, because dhcp_load's broadcast mode needs broadcast replies, which bootwire
# does not send: see the broadcast flag check in dhcp_malformed.sh.)
#
# Run: bash tests/system/dhcp_crash.sh   (root; BOOTWIRE=..., BW_TOOLS_DIR=...)
# shellcheck disable=SC2016 # $names in single quotes are jq's
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dhcp_lib.sh"

bw_require_root
bw_require_cmds ip jq timeout sort comm awk
bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "DHCP is bootwire's own"
bw_require_tools dhcp_load
bw_setup_trap
bw_make_work

W=$BW_WORK
LOAD=$(bw_tool dhcp_load)
SRV=bwdx-s-$$
CLI=bwdx-c-$$
bw_netns_pair "$SRV" "$CLI" 94 # only for the namespaces and the link; addresses below
SIF=$BW_SRV_IF
CIF=$BW_CLI_IF
ip -n "$SRV" -4 addr flush dev "$SIF"
ip -n "$CLI" -4 addr flush dev "$CIF"
ip -n "$SRV" addr add 10.98.0.1/16 dev "$SIF"
ip -n "$CLI" addr add 10.98.0.2/16 dev "$CIF"
GIADDR=10.98.0.2
SERVER=10.98.0.1
mkdir -p "$W/root"
cat >"$W/bootwire.yaml" <<YAML
boot_root: $W/root
log: {level: info, format: json}
tftp: {enabled: false}
dhcp:
  enabled: true
  interfaces: [$SIF]
  lease_db: leases.db
  subnets:
    - { subnet: 10.98.0.0/16, range: 10.98.1.0-10.98.160.255, router: 10.98.0.1,
        lease_time: 3600 }
YAML
DB=$W/leases.db
ALL=$W/acked-all.txt # every "MAC IP" ACKed so far, all rounds
PRIOR=$W/db-prior.txt # every bound "MAC IP" the database held after a restart (ACKed or not)
: >"$ALL"
: >"$PRIOR"

load()
{ # load LOG ARGS...: dhcp_load as a relay agent in the client namespace, bounded
	local log=$1
	shift
	bw_run "$log" 90 "$LOAD" --mode relay --giaddr "$GIADDR" --server "$SERVER" "$@"
}

# The invariants after a (re)start, over everything ACKed so far.
check_after_restart()
{
	local label=$1 n missing
	n=$(wc -l <"$ALL")
	"$BOOTWIRE" leases --db "$DB" --json | jq -r '.[] | select(.state == "bound") | "\(.mac) \(.address)"' |
		sort >"$W/db-$label.txt"
	sort -u "$PRIOR" "$W/db-$label.txt" -o "$PRIOR"
	missing=$(sort "$ALL" | comm -23 - "$W/db-$label.txt")
	if [[ -z $missing ]]; then
		bw_pass "$label: all $n ACKed leases are in bootwire leases, bound, same address"
	else
		bw_fail "$label: $(wc -l <<<"$missing") of $n ACKed leases missing from the database" \
			"$(head -n 5 <<<"$missing")"
	fi
	local rc=0 out
	load "$W/verify-$label.log" --verify "$ALL" --concurrency 64 --timeout-ms 1000 --retries 3 --stall-s 5 || rc=$?
	out=$(grep '^verify=' "$W/verify-$label.log" || true)
	if [[ $rc == 0 && $out == "verify=$n acks=$n naks=0 noreply=0 mismatch=0 "* ]]; then
		bw_pass "$label: dhcp_load --verify: INIT-REBOOT ACKed for all $n with their addresses"
	else
		bw_fail "$label: --verify exit $rc" "${out:-no summary}" "$(grep -v '^verify=' "$W/verify-$label.log" | tail -n 5)" \
			"$(bw_log_tail "$BW_SRV_LOG" 5)"
	fi
}

# No address ACKed to two MACs: within FILE (dhcp_load counts that too) and against ALL and
# PRIOR (leases made durable whose ACK never left before the kill count too).
check_no_double()
{
	local label=$1 file=$2 dups
	dups=$(cat "$ALL" "$PRIOR" "$file" | sort -u | awk '{print $2}' | sort | uniq -d)
	if [[ -z $dups ]]; then
		bw_pass "$label: none of its $(wc -l <"$file") addresses was held by another MAC before"
	else
		bw_fail "$label: $(wc -l <<<"$dups") address(es) ACKed to two MACs" \
			"$(for a in $(head -n 3 <<<"$dups"); do grep -h " $a\$" "$ALL" "$PRIOR" "$file"; done)"
	fi
}

# round LABEL MAC_OFFSET COUNT CONCURRENCY KILL_AT
round()
{
	local label=$1 off=$2 count=$3 conc=$4 kill_at=$5 acked=$W/acked-$1.txt pid i n=0 t0
	: >"$acked"
	bw_dhcp_start "$W/bootwire.yaml" || { bw_fail "$label: bootwire did not start"; return 1; }
	bw_spawn "$CLI" "$W/load-$label.log" "$LOAD" --mode relay --giaddr "$GIADDR" --server "$SERVER" \
		--count "$count" --mac-offset "$off" --concurrency "$conc" --acked "$acked" \
		--timeout-ms 500 --retries 2 --stall-s 2 --duration-s 60
	pid=$BW_LAST_PID
	t0=$SECONDS
	if ((kill_at == 1)); then
		# as soon as the first ACK is in: a busy loop of shell built-ins, 10 s at most
		while [[ ! -s $acked ]] && ((SECONDS - t0 < 10)); do :; done
		[[ -s $acked ]] && kill -KILL "$BW_SRV_PID" 2>/dev/null
		n=$(wc -l <"$acked")
	else
		for ((i = 0; i < 3000; i++)); do # 30 s
			n=$(wc -l <"$acked")
			((n >= kill_at)) && break
			bw_alive "$pid" || break
			sleep 0.01
		done
	fi
	if ((n >= kill_at)); then
		{ # (quietly: no "Killed" job notice from bash)
			kill -KILL "$BW_SRV_PID" || true
			bw_wait_pid "$BW_SRV_PID" 5
		} 2>/dev/null || true
		bw_say "$label: SIGKILL after $n ACKs ($((SECONDS - t0)) s into the storm)"
	else
		bw_fail "$label: the storm did not reach $kill_at ACKs (got $n)" "$(tail -n 3 "$W/load-$label.log")"
		bw_stop "$BW_SRV_PID" 5 || true
	fi
	bw_wait_pid "$pid" 30 || true
	bw_say "$label: storm: $(grep '^leases=' "$W/load-$label.log" || echo 'no summary')"
	n=$(wc -l <"$acked")
	if ((n > kill_at / 2)) && ((n < count)) && ! grep -q ' dup=[1-9]' "$W/load-$label.log"; then
		bw_pass "$label: killed mid-storm: $n of $count clients ACKed, no duplicate within the storm"
	else
		bw_fail "$label: $n of $count ACKed (want a partial storm, dup=0)" "$(tail -n 4 "$W/load-$label.log")"
	fi
	check_no_double "$label" "$acked"
	cat "$acked" >>"$ALL"
	bw_dhcp_start "$W/bootwire.yaml" || { bw_fail "$label: bootwire did not start again after SIGKILL" \
		"$(bw_log_tail "$BW_SRV_LOG" 10)"; return 1; }
	bw_say "$label: restart: $(bw_jq "$BW_SRV_LOG" 'select(svc("dhcp") and says("^lease database")) | .msg')"
	check_after_restart "$label"
	bw_stop "$BW_SRV_PID" 5 || true
}

round first 50000 4000 64 1
round early 100000 4000 4 300
round mid 200000 16000 64 4000
round late 300000 4000 16 1000

# A last storm with new MACs after all the restarts: only free addresses.
bw_dhcp_start "$W/bootwire.yaml" || bw_fail "final: bootwire did not start"
: >"$W/acked-final.txt"
rc=0
load "$W/load-final.log" --count 2000 --mac-offset 400000 --concurrency 64 --acked "$W/acked-final.txt" \
	--timeout-ms 1000 --retries 3 --stall-s 5 --duration-s 60 || rc=$?
if [[ $rc == 0 && $(wc -l <"$W/acked-final.txt") == 2000 ]]; then
	bw_pass "final storm: 2000 new clients ACKed ($(grep -o 'rate=[0-9.]*' "$W/load-final.log") leases/s)"
else
	bw_fail "final storm: exit $rc" "$(tail -n 4 "$W/load-final.log")"
fi
check_no_double final "$W/acked-final.txt"
bw_stop_server
bw_summary
