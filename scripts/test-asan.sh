#!/usr/bin/env bash
# Usage: scripts/test-asan.sh BUILD_DIR
#
# The second half of `make test`: configures BUILD_DIR with -DBW_SANITIZE=ON (AddressSanitizer
# with leak detection, UndefinedBehaviorSanitizer; the compiler CMake finds, gcc on Debian),
# builds it and runs, under the sanitizers, the tests that feed bootwire's parsers: the unit
# tests (label unit), the fuzz corpus replays (fuzz_*_replay; not the libFuzzer runs, which
# have their own sanitizers) and the system tests dhcp_malformed, tftp_security and
# http_basic with the sanitized daemon ($BOOTWIRE is BUILD_DIR's bootwire).
#
# Every report goes to a file in BUILD_DIR/san-reports/ (log_path), also those of a daemon
# that runs as another user or whose output a test does not read; the run fails when a test
# fails or when any report was written, and prints them. A leak in a library we cannot fix
# is suppressed, narrowly and with its reason, in tests/sanitize/lsan.supp.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc)
system_tests='^(dhcp_malformed|tftp_security|http_basic)$'

start=$(date +%s)
echo "test-asan: configuring and building $build (-DBW_SANITIZE=ON)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBW_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null
build=$(cd "$build" && pwd)
reports=$build/san-reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports" # the daemon writes its reports after dropping to its user

export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="suppressions=$src/tests/sanitize/lsan.supp:print_suppressions=0"

failed=0
cd "$build"
echo "test-asan: unit tests"
ctest --output-on-failure -L unit -j "$jobs" || failed=1
echo "test-asan: fuzz corpus replays"
ctest --output-on-failure -R '^fuzz_.*_replay$' -j "$jobs" || failed=1
echo "test-asan: system tests that feed the parsers"
ctest --output-on-failure -R "$system_tests" -j 1 || failed=1

n=$(find "$reports" -type f | wc -l)
if [ "$n" -gt 0 ]; then
	failed=1
	echo "test-asan: $n sanitizer report(s):"
	for f in "$reports"/*; do
		echo "=== $f"
		head -n 80 "$f"
	done
fi
echo "test-asan: $(($(date +%s) - start)) s, $n report(s)"
[ "$failed" -eq 0 ] && echo "test-asan: passed" || echo "test-asan: FAILED"
exit "$failed"
