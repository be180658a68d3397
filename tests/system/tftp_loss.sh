#!/usr/bin/env bash
# tftp_loss: downloads stay byte-exact over a lossy, duplicating, reordering network.
#
# Two namespaces created here (bwt-srv-PID, bwt-cli-PID) joined by a veth pair, 10.99.N.1
# (server) and 10.99.N.2 (client); nothing else is touched. The server retransmits after
# 100 ms and tries 10 times, so the run stays short.
#
#   phase 1: nftables in the server namespace drops 10% of UDP packets at random, both
#            directions (numgen random mod 10; input hook, and netdev egress on the veth so
#            the sender sees no error, as on a wire). tftp_get at windowsize 1, 16 and 64
#            (1-4 MiB), curl and tftp-hpa in lock-step without options (128 KiB).
#   phase 1b: the output hook drops 10% of the server's packets, so its sends fail (EPERM);
#            a windowed download still completes.
#   phase 2: no nftables; tests/tools/impair_relay in the client namespace drops 5%,
#            duplicates 5% and reorders 5% of packets both ways (seeded), and follows the
#            server's transfer port. Same clients through it.
#   after:   the server is still running and exits cleanly.
# After each phase the server's transfer end lines (its log is JSON, read with jq) are summed
# up: retransmitted blocks and bytes, timeouts, fast retransmits, spurious ones (no check:
# loss is random; a transfer whose final ACK was lost has no end line yet, it backs off up to
# 8 s and ends with "timed out" later, or "server shutting down" at the end).
#
# Sizes can be scaled down with BW_LOSS_SCALE=2 (halves them) for slow peers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_root
bw_require_cmds ip nft curl tftp sha256sum ss timeout jq
bw_require_server
bw_require_tools tftp_get impair_relay
bw_setup_trap
bw_make_work

PORT=6969
RELAY_PORT=7000
SEED=${BW_LOSS_SEED:-20240611}
SCALE=${BW_LOSS_SCALE:-1}
ROOT=$BW_WORK/root
OUT=$BW_WORK/out
LOGS=$BW_WORK/logs
TFTP_GET=$(bw_tool tftp_get)
RELAY=$(bw_tool impair_relay)
mkdir -p "$ROOT" "$OUT" "$LOGS"
chmod 0755 "$ROOT"

NET=$(($$ % 250 + 1))
bw_say "creating namespaces bwt-srv-$$ and bwt-cli-$$ (10.99.$NET.0/24)"
bw_netns_pair "bwt-srv-$$" "bwt-cli-$$" "$NET" || { bw_fail "namespaces come up"; bw_summary; }

MIB=1048576
bw_mkfile "$ROOT/small.bin" $((128 * 1024 / SCALE))
bw_mkfile "$ROOT/one.bin" $((1 * MIB / SCALE))
bw_mkfile "$ROOT/medium.bin" $((2 * MIB / SCALE))
bw_mkfile "$ROOT/large.bin" $((4 * MIB / SCALE))

bw_start_tftp "$ROOT" 0.0.0.0 "$PORT" --timeout-ms 100 --retries 10 --log-format json ||
	{ bw_fail "server starts" "see log above"; bw_summary; }

# dl LABEL FILE CMD...: one download in the client namespace (@OUT@ in CMD is the local
# file), checked against the original.
dl()
{
	local label=$1 name=$2 rc=0 out clog f=${1//[^a-zA-Z0-9]/_}
	shift 2
	out=$OUT/$name.$f
	clog=$LOGS/$name.$f.log
	rm -f "$out"
	local args=("${@//@OUT@/$out}")
	local t0=$SECONDS
	bw_run "$clog" 120 "${args[@]}" || rc=$?
	if [[ $rc == 0 ]] && grep -qE 'Error code|timed out' "$clog"; then
		rc=1 # tftp-hpa exits 0 on errors
	fi
	bw_check_download "$label: $name ($(stat -c %s "$ROOT/$name") bytes, $((SECONDS - t0))s)" \
		"$rc" "$ROOT/$name" "$out" "$clog" || true
	# tftp_get's statistics line shows how hard it was
	grep -h '^tftp_get: done' "$clog" | sed 's/^/       /' || true
	rm -f "$out"
}

tget()
{
	local label=$1 name=$2 host=$3 port=$4
	shift 4
	dl "$label" "$name" "$TFTP_GET" -v -t 100 -r 30 --dally-ms 300 --max-seconds 110 \
		-o @OUT@ "$@" "$host" "$port" "$name"
}

# run_clients LABEL HOST PORT
run_clients()
{
	local tag=$1 host=$2 port=$3
	tget "$tag tftp_get windowsize 1 blksize 1468" one.bin "$host" "$port" -b 1468 -w 1
	if bw_server_has windowsize; then
		tget "$tag tftp_get windowsize 16 blksize 1468" large.bin "$host" "$port" -b 1468 -w 16
		tget "$tag tftp_get windowsize 16 blksize 512" medium.bin "$host" "$port" -w 16
		tget "$tag tftp_get windowsize 64 blksize 1468" large.bin "$host" "$port" -b 1468 -w 64
	else
		bw_skip_check "$tag windowed downloads" "$BW_SERVER has no windowsize"
	fi
	# Lock-step clients without options rely on the server's 100 ms retransmissions (with
	# options curl asks for a 5 s timeout). atftp is left out: 0.8.0 aborts with "unexpected
	# OACK" when the server repeats its OACK because ACK 0 was lost.
	dl "$tag curl (no options)" small.bin curl -sS --max-time 110 --tftp-no-options \
		-o @OUT@ "tftp://$host:$port/small.bin"
	# tftp-hpa: re-ACK after 1 s (default 5 s), give up after 60 s without progress
	# shellcheck disable=SC2016 # expanded by the inner bash
	dl "$tag tftp-hpa" small.bin bash -c 'printf "binary\nrexmt 1\ntimeout 60\nget %s %s\n" \
		"$3" "$4" | tftp "$1" "$2"' tftp-hpa "$host" "$port" small.bin @OUT@
}

# server_stats TAG: the sums over bootwire's transfer end lines written since the last call.
STATS_FROM=1
server_stats()
{
	[[ $BW_SERVER == bootwire ]] || return 0
	local n ends
	n=$(wc -l <"$BW_SRV_LOG")
	ends=$(sed -n "${STATS_FROM},${n}p" "$BW_SRV_LOG" | bw_jsel - 'svc("tftp") and has("rexmit_blocks")')
	STATS_FROM=$((n + 1))
	# shellcheck disable=SC2016 # jq's $k
	bw_say "$1 server end lines written in this phase: $(jq -s -r '"\(length) (\(map(select(.msg == "sent")) | length) sent)" +
		([("rexmit_blocks", "rexmit_bytes", "timeouts", "fast_rexmits", "spurious") as $k |
		" \($k)=\(map(.[$k]) | add // 0)"] | join(""))' <<<"$ends")"
}

# nft_counter NS FAMILY TABLE COUNTER: packets counted.
nft_counter()
{
	ip netns exec "$1" nft list counter "$2" "$3" "$4" | awk '/packets/ {print $2}'
}

# ---- phase 1: random loss "on the wire", nftables in the server namespace: the input hook
# for client->server and the veth's netdev egress hook for server->client (a drop there is
# silent for the sender, as on a real wire; a drop in the output hook is not, see phase 1b).
bw_say "phase 1: nftables drops 10% of UDP packets each way on $BW_SRV_IF"
ip netns exec "$BW_SRV_NS" nft -f - <<EOF
table inet bwt_loss {
	counter dropped { }
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "$BW_SRV_IF" meta l4proto udp numgen random mod 10 0 counter name dropped drop
	}
}
EOF
OUT_NS=$BW_SRV_NS
if ! ip netns exec "$BW_SRV_NS" nft -f - 2>"$LOGS/nft-egress.log" <<EOF; then
table netdev bwt_loss_out {
	counter dropped { }
	chain egress {
		type filter hook egress device "$BW_SRV_IF" priority 0; policy accept;
		meta l4proto udp numgen random mod 10 0 counter name dropped drop
	}
}
EOF
	# no egress hook in this kernel: drop server->client on arrival in the client namespace
	bw_say "no netdev egress hook ($(head -1 "$LOGS/nft-egress.log")): dropping at the client"
	OUT_NS=$BW_CLI_NS
	ip netns exec "$BW_CLI_NS" nft -f - <<EOF
table netdev bwt_loss_out {
	counter dropped { }
	chain ingress {
		type filter hook ingress device "$BW_CLI_IF" priority 0; policy accept;
		meta l4proto udp numgen random mod 10 0 counter name dropped drop
	}
}
EOF
fi
run_clients "10% loss:" "$BW_SRV_ADDR" "$PORT"
server_stats "10% loss:"
in_drop=$(nft_counter "$BW_SRV_NS" inet bwt_loss dropped)
out_drop=$(nft_counter "$OUT_NS" netdev bwt_loss_out dropped)
if [[ ${in_drop:-0} -gt 0 && ${out_drop:-0} -gt 0 ]]; then
	bw_pass "nftables dropped packets both ways (to server $in_drop, from server $out_drop)"
else
	bw_fail "nftables dropped packets both ways" "in=$in_drop out=$out_drop"
fi
ip netns exec "$BW_SRV_NS" nft delete table inet bwt_loss
ip netns exec "$OUT_NS" nft delete table netdev bwt_loss_out

# ---- phase 1b: drops in the output hook make the server's sendmsg/sendmmsg fail (EPERM,
# as with a local firewall); windows must still complete.
phase_send_errors()
{
	bw_say "phase 1b: nftables output hook drops 10% of the server's UDP (send errors)"
	ip netns exec "$BW_SRV_NS" nft -f - <<EOF
table inet bwt_senderr {
	counter dropped { }
	chain output {
		type filter hook output priority 0; policy accept;
		oifname "$BW_SRV_IF" meta l4proto udp numgen random mod 10 0 counter name dropped drop
	}
}
EOF
	if bw_server_has windowsize; then
		tget "send errors: tftp_get windowsize 16 blksize 1468" medium.bin "$BW_SRV_ADDR" \
			"$PORT" -b 1468 -w 16
	else
		tget "send errors: tftp_get windowsize 1 blksize 1468" one.bin "$BW_SRV_ADDR" \
			"$PORT" -b 1468 -w 1
	fi
	local n
	n=$(nft_counter "$BW_SRV_NS" inet bwt_senderr dropped)
	if [[ ${n:-0} -gt 0 ]]; then
		bw_pass "nftables output hook dropped $n packets of the server"
	else
		bw_fail "nftables output hook dropped packets of the server" "counter: $n"
	fi
	ip netns exec "$BW_SRV_NS" nft delete table inet bwt_senderr
	server_stats "send errors:"
}
if bw_server_has send-errors; then
	phase_send_errors
else
	bw_skip_check "phase 1b: send errors" "$BW_SERVER ends a transfer on a failed send"
fi

# ---- phase 2: drop + duplicate + reorder through the relay
bw_say "phase 2: impair_relay (drop 5%, duplicate 5%, reorder 5%, seed $SEED)"
bw_spawn "$BW_CLI_NS" "$LOGS/relay.log" "$RELAY" --listen "127.0.0.1:$RELAY_PORT" \
	--server "$BW_SRV_ADDR:$PORT" --drop 0.05 --dup 0.05 --reorder 0.05 --seed "$SEED" \
	--max-seconds 170
RELAY_PID=$BW_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$LOGS/relay.log" && break
	sleep 0.05
done
run_clients "relay:" 127.0.0.1 "$RELAY_PORT"
server_stats "relay:"
bw_stop "$RELAY_PID" 5 || true
sed 's/^/       /' "$LOGS/relay.log"
if grep -qE 'server->client: .*dropped=[1-9].*duplicated=[1-9].*reordered=[1-9]' \
	"$LOGS/relay.log" &&
	grep -qE 'client->server: .*dropped=[1-9].*duplicated=[1-9].*reordered=[1-9]' \
		"$LOGS/relay.log"; then
	bw_pass "relay dropped, duplicated and reordered packets both ways"
else
	bw_fail "relay dropped, duplicated and reordered packets both ways" "$(cat "$LOGS/relay.log")"
fi

bw_stop_server
server_stats "shutdown:"
bw_summary
