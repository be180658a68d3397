#!/usr/bin/env bash
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [fuzz_TARGET...]
#
# Configures BUILD_DIR with clang and -DBW_FUZZ=ON unless it already is, builds the libFuzzer
# targets (all tests/fuzz/fuzz_*.c, or the ones named) and runs each for SECONDS seconds on a
# temporary copy of its corpus, so nothing is written into the source tree. Crash inputs are
# kept in BUILD_DIR/fuzz-artifacts/TARGET/ and their paths printed; the full libFuzzer output
# is in BUILD_DIR/fuzz-logs/TARGET.log.
#
# Exit status: 0 when no target crashed, 1 when one did (or the build failed), 2 on bad usage,
# 77 when clang or its libFuzzer runtime is missing (CTest reports a skip).
set -euo pipefail

usage() {
	echo "usage: $0 BUILD_DIR SECONDS [fuzz_TARGET...]" >&2
	exit 2
}
[ $# -ge 2 ] || usage
build=$1
seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cc=${BW_FUZZ_CC:-clang}
max_len=1100

# -max_len per target, where the default is too short to reach every check.
target_max_len() {
	case $1 in
	# BW_DHCP_MAX_LEN is 4096; a few bytes past it reach the -EMSGSIZE path
	fuzz_dhcp_wire) echo 4200 ;;
	# a configuration with a few sections, lists and profiles
	fuzz_config) echo 4096 ;;
	# request-targets up to BW_HTTP_URI_MAX (4096) and past it, with headers
	fuzz_http_request) echo 8192 ;;
	*) echo "$max_len" ;;
	esac
}

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in "$src"/tests/fuzz/fuzz_*.c; do
		[ -e "$f" ] || continue
		targets+=("$(basename "$f" .c)")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no fuzz targets in $src/tests/fuzz" >&2; exit 1; }
for t in "${targets[@]}"; do
	[[ $t == fuzz_* && -f $src/tests/fuzz/$t.c ]] ||
		{ echo "fuzz: no such target: $t (want fuzz_NAME with tests/fuzz/fuzz_NAME.c)" >&2; exit 2; }
done

# clang and the libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: $cc not found; skipping (install clang and libclang-rt-14-dev)"
	exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >"$probe/log" 2>&1; then
	cat "$probe/log"
	echo "fuzz: $cc cannot link libFuzzer programs; skipping (install libclang-rt-14-dev)"
	exit 77
fi
rm -rf "$probe"
trap - EXIT

# Configure unless BUILD_DIR is already a clang build with BW_FUZZ=ON. A tree configured with
# another compiler is not reconfigured (CMake would throw its cache away): use another one.
cache=$build/CMakeCache.txt
if [ -f "$cache" ] && ! grep -q '^CMAKE_C_COMPILER:[A-Z]*=.*clang' "$cache"; then
	echo "fuzz: $build is configured with another compiler; give another BUILD_DIR" >&2
	exit 1
fi
# Configure every time (a second or so): a target added since the last run must exist.
echo "fuzz: configuring $build (clang, BW_FUZZ=ON)"
cmake -S "$src" -B "$build" -DBW_FUZZ=ON -DCMAKE_C_COMPILER="$cc" >/dev/null
echo "fuzz: building ${targets[*]}"
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/bw-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
failed=()

for t in "${targets[@]}"; do
	name=${t#fuzz_}
	bin=$build/fuzz/$t
	corpus=$work/$name
	artifacts=$(cd "$build" && pwd)/fuzz-artifacts/$t
	log=$(cd "$build" && pwd)/fuzz-logs/$t.log
	mkdir -p "$corpus" "$artifacts"
	if [ -d "$src/tests/fuzz/corpus/$name" ]; then
		cp -R "$src/tests/fuzz/corpus/$name/." "$corpus/"
	fi
	args=(-max_total_time="$seconds" -max_len="$(target_max_len "$t")" -timeout=10 -rss_limit_mb=2048
		-artifact_prefix="$artifacts/" -print_final_stats=1)
	if [ -f "$src/tests/fuzz/$t.dict" ]; then
		args+=(-dict="$src/tests/fuzz/$t.dict")
	fi
	echo "fuzz: $t for ${seconds}s on $(find "$corpus" -type f | wc -l) seeds (log: $log)"
	set +e
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:allocator_may_return_null=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		"$bin" "${args[@]}" "$corpus" >"$log" 2>&1
	rc=$?
	set -e
	grep -E '^(stat::|Done |#[0-9]+ *DONE)' "$log" | sed 's/^/  /' || true
	if [ $rc -ne 0 ]; then
		failed+=("$t")
		echo "fuzz: $t FAILED (exit $rc); end of its output:"
		tail -n 60 "$log" | sed 's/^/  /'
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		if [ -n "$crash" ]; then
			echo "fuzz: crash input: $crash"
			echo "fuzz: reproduce: $bin $crash"
			echo "fuzz: keep it as tests/fuzz/corpus/$name/<what-it-shows>.bin once fixed"
		fi
	else
		echo "fuzz: $t: no crash in ${seconds}s"
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: all ${#targets[@]} target(s) ran ${seconds}s without a crash"
