#!/usr/bin/env bash
# check-config on good and bad files:
# - every bad-*.yaml fails; where bad-*.expected exists, stderr matches it exactly;
# - every good-*.yaml loads, its --print output matches good-*.expected (with the absolute
#   boot_root written as @ROOT@, other paths in the copy as @DIR@/...), and the printed
#   config loads again and prints the same;
# - every key the printed config shows is documented in docs/config.md.
# check-config also checks the files against this machine (the user `nobody` reading files
# below root/, the interface lo), so the cases run in a copy of this directory that
# `nobody` can reach wherever the checkout is; each *.setup script runs in it first, to make
# what git cannot hold (a file only its owner may read).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${BOOTWIRE:-$top/build/bootwire}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

chmod 755 "$tmp"
cp -a "$here/." "$tmp/cases"
cd "$tmp/cases"
for s in *.setup; do
	[ -f "$s" ] && bash "$s"
done
for f in bad-*.yaml; do
	if "$bin" check-config -c "$f" >"$tmp/out" 2>"$tmp/err.raw"; then
		bad "$f was accepted"
		continue
	fi
	# paths outside boot_root are printed absolute: the copy's directory is written @DIR@
	sed "s|$tmp/cases/|@DIR@/|g" "$tmp/err.raw" >"$tmp/err"
	exp=${f%.yaml}.expected
	if [ -f "$exp" ]; then
		if diff -u "$exp" "$tmp/err" >"$tmp/diff"; then ok "$f: errors as expected"; else
			bad "$f: errors differ"; cat "$tmp/diff"; fi
	elif grep -q "^$f:[0-9]*: " "$tmp/err"; then
		ok "$f: rejected with file:line ($(head -n1 "$tmp/err"))"
	else
		bad "$f: error without file:line: $(cat "$tmp/err")"
	fi
done

for f in good-*.yaml; do
	if ! "$bin" check-config -p -c "$f" >"$tmp/p1" 2>"$tmp/err"; then
		bad "$f rejected: $(cat "$tmp/err")"
		continue
	fi
	sed -e "s|$tmp/cases/root|@ROOT@|" -e "s|$tmp/cases/|@DIR@/|g" "$tmp/p1" >"$tmp/p1.norm"
	exp=${f%.yaml}.expected
	if diff -u "$exp" "$tmp/p1.norm" >"$tmp/diff"; then ok "$f: effective config as expected"; else
		bad "$f: effective config differs"; cat "$tmp/diff"; fi
	cp "$tmp/p1" "$tmp/cases/reprint.yaml"
	if "$bin" check-config -p -c "$tmp/cases/reprint.yaml" >"$tmp/p2" 2>"$tmp/err" &&
		diff <(tail -n +2 "$tmp/p1") <(tail -n +2 "$tmp/p2") >/dev/null; then
		ok "$f: printed config loads again and prints the same"
	else
		bad "$f: printed config does not round-trip: $(cat "$tmp/err")"
	fi
	for key in $(grep -oE '^ *[a-z_]+:' "$tmp/p1" | tr -d ' :' | sort -u); do
		if ! grep -q "\`$key\`" "$top/docs/config.md"; then
			bad "key '$key' is not documented in docs/config.md"
		fi
	done
done
echo "config: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
