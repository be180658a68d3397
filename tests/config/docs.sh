#!/usr/bin/env bash
# docs/config.md and the key tables name the same keys, and every key has a doc line.
#
# How docs/config.md documents a key (its opening paragraph says so too): in a Markdown table
# whose header row starts with `| key |`, as the first backticked word of a row's first cell.
# The table belongs to the nearest heading above it; the heading's first backticked word is
# the prefix (`dhcp.subnets`), and a heading without one means top-level keys. The key paths
# of `bootwire check-config --keys` are compared without their `[]` and `.<name>` parts:
# dhcp.subnets[].router is documented as `router` under a `dhcp.subnets` heading.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${BOOTWIRE:-$top/build/bootwire}
docs=${1:-$top/docs/config.md}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! "$bin" check-config --keys >"$tmp/keys"; then
	echo "FAIL bootwire check-config --keys"
	exit 1
fi
cut -f1 "$tmp/keys" | sed -e 's/\[\]//g' -e 's/\.<name>//g' | sort >"$tmp/tables"
awk -F'\t' '$3 == "" { print "FAIL key " $1 " has no doc in its table entry" }' "$tmp/keys" \
	>"$tmp/nodoc"

awk '
/^```/ { code = !code; next }
code { next }
/^#+ / {
	prefix = ""
	if (match($0, /`[^`]+`/))
		prefix = substr($0, RSTART + 1, RLENGTH - 2) "."
	intable = 0
	next
}
/^\|/ {
	n = split($0, cell, "|")
	first = cell[2]
	gsub(/^ +| +$/, "", first)
	if (!intable && first == "key") { intable = 1; next }
	if (intable && match(first, /`[^`]+`/))
		print prefix substr(first, RSTART + 1, RLENGTH - 2)
	next
}
{ intable = 0 }
' "$docs" | sort >"$tmp/docs"

while read -r k; do
	echo "FAIL key '$k' is not documented in $docs"
	fail=1
done < <(comm -23 <(sort -u "$tmp/tables") <(sort -u "$tmp/docs"))
while read -r k; do
	echo "FAIL $docs documents '$k', which is no key"
	fail=1
done < <(comm -13 <(sort -u "$tmp/tables") <(sort -u "$tmp/docs"))
while read -r k; do
	echo "FAIL $docs documents '$k' twice"
	fail=1
done < <(uniq -d "$tmp/docs")
if [ -s "$tmp/nodoc" ]; then
	cat "$tmp/nodoc"
	fail=1
fi
echo "docs: $(sort -u "$tmp/tables" | wc -l) keys in the tables, $(wc -l <"$tmp/docs") rows in the docs"
[ "$fail" -eq 0 ] && echo "ok   docs/config.md and the key tables agree"
exit "$fail"
