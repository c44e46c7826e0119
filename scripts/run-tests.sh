#!/bin/bash
# Runs the unit suites (check) and the integration tests (the built binaries
# against real kernels, QEMU and peers), then prints one closing summary line.
# Usage: run-tests.sh [unit|integration]   (default: both)
# An integration test exits 0 (pass), 77 (skip, with its reason on stdout) or
# anything else (fail). Unit suites print check's own summary lines, and one
# "SKIP: suite:test: reason" line per test that could not run here
# (tests/unit/check_main.h): check counts those as passed, this summary as skipped.
set -u
cd "$(dirname "$0")/.."
which="${1:-all}"
passed=0 failed=0 skipped=0
failed_names=()

if [ "$which" = all ] || [ "$which" = unit ]; then
	for t in bin/tests/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1); rc=$?
		printf '%s\n' "$out" | grep -v '^Running suite' 
		line=$(printf '%s\n' "$out" | grep -E 'Checks: [0-9]+' | tail -1)
		n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
		f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
		e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
		s=$(printf '%s\n' "$out" | grep -c '^SKIP: ')
		if [ -z "$line" ]; then n=0 f=1 e=0 s=0; fi
		passed=$((passed + n - f - e - s)); failed=$((failed + f + e)); skipped=$((skipped + s))
		if [ "$rc" -ne 0 ] || [ $((f + e)) -ne 0 ]; then failed_names+=("$t"); fi
	done
fi

# Each integration test runs in a network namespace of its own (lo up), so
# the bridge, veths, nftables table, ip_forward and route_localnet that a
# container on the default bridge network makes live and die there, never on
# the host (HVC_NET_TEST_NETNS tells the network tests they are in one).
# Where no namespace can be made (not root, a confined CI runner), the tests
# run as they are and the ones that need one skip.
netns=()
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	netns=(env HVC_NET_TEST_NETNS=1 unshare --net sh -c 'ip link set lo up && exec "$@"' sh)
fi

if [ "$which" = all ] || [ "$which" = integration ]; then
	export HVC_BIN="$PWD/bin/hvc" HVC_GUEST_DIR="$PWD/bin"
	for t in tests/integration/[0-9]*.sh; do
		[ -f "$t" ] || continue
		start=$(date +%s.%N)
		out=$(timeout 1200 "${netns[@]}" bash "$t" 2>&1); rc=$?
		secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
		case $rc in
		0) passed=$((passed + 1)); echo "PASS $t (${secs}s)" ;;
		77) skipped=$((skipped + 1)); echo "SKIP $t: $(printf '%s\n' "$out" | tail -1)" ;;
		*) failed=$((failed + 1)); failed_names+=("$t")
		   echo "FAIL $t (exit $rc, ${secs}s)"; printf '%s\n' "$out" | tail -40 | sed 's/^/    /' ;;
		esac
	done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
