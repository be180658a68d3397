#!/usr/bin/env bash
# What the command line says to a user who got something wrong: each case names the
# argument or file at fault, exits with the documented status, and starts nothing.
#   boot: a missing kernel, an initrd that is a directory, a --dhcp-range that does not parse,
#         is reversed or lies outside the interface's subnet (on lo, which every host has)
#   serve: an unknown --log-level
#   reload: an invalid config (nothing signalled), a missing pid file, a stale pid
#   version --help
set -uo pipefail
bin=${BOOTWIRE:?BOOTWIRE must name the binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect STATUS REGEX -- command...: the exit status and a line of stderr/stdout matching REGEX
expect() {
	local want=$1 re=$2 rc
	shift 3
	timeout 10 "$@" >"$tmp/out" 2>&1
	rc=$?
	if [[ $rc == "$want" ]] && grep -Eq -- "$re" "$tmp/out"; then
		pass=$((pass + 1)); echo "ok   $* -> $rc: $(head -n1 "$tmp/out")"
	else
		fail=$((fail + 1)); echo "FAIL $* -> $rc (want $want, /$re/):"; sed 's/^/     /' "$tmp/out"
	fi
}

echo kernel >"$tmp/vmlinuz"
mkdir "$tmp/dir"
expect 1 "kernel $tmp/nokernel: No such file" -- "$bin" boot "$tmp/nokernel" --interface lo
expect 1 "initrd $tmp/dir: not a regular file" -- "$bin" boot "$tmp/vmlinuz" "$tmp/dir" --interface lo
expect 1 "--dhcp-range '127.0.0.5-x': expected FIRST-LAST" -- \
	"$bin" boot "$tmp/vmlinuz" --interface lo --dhcp-range 127.0.0.5-x
expect 1 "first address is above the last" -- \
	"$bin" boot "$tmp/vmlinuz" --interface lo --dhcp-range 127.0.0.9-127.0.0.5
expect 1 "not inside lo's subnet 127.0.0.0/8" -- \
	"$bin" boot "$tmp/vmlinuz" --interface lo --dhcp-range 10.0.0.5-10.0.0.9
ls /tmp/bootwire-boot.* >/dev/null 2>&1 && echo "note: other bootwire-boot dirs exist (not ours)"

cat >"$tmp/ok.yaml" <<YAML
boot_root: $tmp
pid_file: $tmp/pid
tftp: {listen: 127.0.0.1, port: 6969}
YAML
expect 2 "--log-level: expected error, warn, info or debug, got 'loud'" -- \
	"$bin" serve -c "$tmp/ok.yaml" --log-level loud
printf 'boot_root: %s\ntftp: {port: 70000}\n' "$tmp" >"$tmp/bad.yaml"
expect 1 "bad.yaml:2: .*nothing was signalled|bad.yaml:2: " -- "$bin" reload -c "$tmp/bad.yaml"
expect 1 "cannot read pid file $tmp/pid" -- "$bin" reload -c "$tmp/ok.yaml"
echo 999999 >"$tmp/pid" # beyond pid_max: no such process
expect 1 "stale pid file" -- "$bin" reload -c "$tmp/ok.yaml"
echo $$ >"$tmp/pid" # this shell: alive, but not bootwire
expect 1 "not bootwire" -- "$bin" reload -c "$tmp/ok.yaml"
expect 0 "^usage: bootwire version" -- "$bin" version --help

# --print writes every path outside boot_root absolute (relative to the config file's
# directory), wherever it is run from
mkdir -p "$tmp/cfgdir/root"
printf 'boot_root: root\npid_file: run/bw.pid\ndhcp: {lease_db: db/leases.db}\n' >"$tmp/cfgdir/rel.yaml"
expect 0 "lease_db: '$tmp/cfgdir/db/leases.db'" -- "$bin" check-config --print -c "$tmp/cfgdir/rel.yaml"
expect 0 "^pid_file: '$tmp/cfgdir/run/bw.pid'" -- "$bin" check-config --print -c "$tmp/cfgdir/rel.yaml"
cd "$tmp/cfgdir"
expect 0 "^boot_root: '$tmp/cfgdir/root'" -- "$bin" check-config --print -c rel.yaml
expect 0 "lease_db: '$tmp/cfgdir/db/leases.db'" -- "$bin" check-config --print -c rel.yaml
cd /

echo "cli_errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
