#!/bin/bash
# Runs libFuzzer targets for a fixed time each (make fuzz-smoke / make fuzz):
# the committed corpus (tests/fuzz/corpus/TARGET: seeds and crash
# regressions) is run first, then mutated; new inputs go to
# build-fuzz/corpus/TARGET (kept between runs, not committed), crashes to
# build-fuzz/crashes/. One line per target: executions, coverage (edges),
# features, corpus size, crashes. Exits 1 when any target crashed.
# Usage: tests/fuzz/run.sh SECONDS TARGET...
set -u
cd "$(dirname "$0")/../.." && root=$PWD
secs=$1
shift
failed=0
mkdir -p build-fuzz/crashes build-fuzz/logs
for t in "$@"; do
	bin=bin/fuzz/fuzz_$t
	work=$root/build-fuzz/corpus/$t
	log=build-fuzz/logs/$t.log
	mkdir -p "$work"
	opts=(-max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536
	      -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$root/build-fuzz/crashes/$t-")
	# FUZZ_SEED (make check's smoke run sets it): the same mutations on every
	# machine, so CI's gate is reproducible; long runs (make fuzz) explore.
	[ -n "${FUZZ_SEED:-}" ] && opts+=(-seed="$FUZZ_SEED")
	[ -f "tests/fuzz/dict/$t.dict" ] && opts+=(-dict="$root/tests/fuzz/dict/$t.dict")
	# slow-unit-* files are libFuzzer's notes on a slow input (it goes on and
	# exits 0); a wall-clock jump of the host (seen here: the clock moved a
	# year during a run) makes one of them. Not counted as crashes; a real
	# hang still fails: -timeout ends the run with timeout-* and exit 70.
	count() { ls build-fuzz/crashes | grep "^$t-" | grep -vc "^$t-slow-unit-" || true; }
	before=$(count)
	"$bin" "${opts[@]}" "$work" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	after=$(count)
	# a crashed target skips its atexit clean-up: its scratch directory
	# (/dev/shm/hvc-fuzz-TAG-PID, fuzz_scratch) goes here once it is dead
	for d in /dev/shm/hvc-fuzz-*-[0-9]*; do
		[ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null && rm -rf "$d"
	done
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$last")
	ft=$(sed -E 's/.*ft: ([0-9]+).*/\1/' <<<"$last")
	corp=$(sed -E 's/.*corp: ([0-9]+).*/\1/' <<<"$last")
	echo "fuzz: $t: ${execs:-?} executions in ${secs}s, cov ${cov:-?} edges, ft ${ft:-?}, corpus ${corp:-?}, crashes $((after - before))"
	if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
		failed=1
		echo "fuzz: $t failed (exit $rc); log $log:"
		grep -E 'ERROR|FUZZ PROPERTY|SUMMARY|runtime error|artifact' "$log" | head -20 | sed 's/^/    /'
		# -close_fd_mask hid the target's own stderr (an assert's message,
		# a FUZZ PROPERTY line): replay the crash once with it open.
		crash=$(ls -t build-fuzz/crashes/"$t"-* 2>/dev/null | grep -v slow-unit | head -1)
		if [ -n "$crash" ]; then
			echo "    replay of $crash:"
			"$bin" "$crash" 2>&1 | grep -E 'Assertion|FUZZ PROPERTY|runtime error|ERROR|#[0-9]+ 0x' |
				grep -v 'in fuzzer::' | head -14 | sed 's/^/      /'
		fi
	fi
done
exit $failed
