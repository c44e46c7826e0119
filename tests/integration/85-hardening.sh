#!/bin/bash
# Hardening, the short versions `make check` runs (docs/reliability.md has the
# long ones): a run killed between its cgroup and its state (the leak the kill
# loop found), a run stopped between resolving its image and its config.json
# while image rm and system prune collect (the GC race), a missing layer blob
# (the leak SAN=1 found), the kill -9 loop, the disk-full cases, and the load
# loops with the image rm/prune race — in this test's own network namespace.
if [ -z "${HVC_HARDENING_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (cgroups, mounts, a tmpfs)"; exit 77; }
	unshare --net true 2>/dev/null || { echo "skip: cannot make a network namespace here"; exit 77; }
	exec unshare --net env HVC_HARDENING_NETNS=1 bash "$0"
fi
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")/.." && pwd)
export HVC_BIN="$HVC"
ip link set lo up

# A start killed after its cgroup was made and before it wrote state.json:
# `hvc system prune` must reclaim it at once (it waited 30 s, guessing by age).
"$HVC" image import --busybox >/dev/null || fail "import busybox"
for attempt in 1 2 3; do
	# --rm: an attempt that was not killed (its line came too late) removes itself
	coproc RUN { exec "$HVC" --log-level debug run --rm busybox sh -c 'echo hvc85; sleep 5' 2>&1; }
	pid=$RUN_PID
	killed=0
	while read -r -t 10 line <&"${RUN[0]}"; do
		case "$line" in *"cgroup hvc/"*created*) kill -9 "$pid"; killed=1; break ;; esac
	done
	wait "$pid" 2>/dev/null
	[ "$killed" = 1 ] && break
done
[ "$killed" = 1 ] || fail "never saw the cgroup line of a start to kill it there"
"$HVC" system prune >/dev/null || fail "system prune after the kill"
. "$HERE/fault/lib.sh"
TOKEN=hvc85
out=$(leaks_cgroups; leaks_procs; leaks_mounts) || fail "kill at the cgroup step: prune left: $out"
[ -z "$(ls "$HVC_ROOT/containers" 2>/dev/null | grep -v '^\.')" ] || fail "kill at the cgroup step: a container directory is left"
ok "a start killed at its cgroup step is reclaimed by the next prune (${SECONDS}s into the test)"

# A run stopped (SIGSTOP) right after it resolved its image, before its
# config.json named the image: `image rm` (whose GC runs at once), `system
# prune` and `image prune -a` must not collect the layers under it. The run
# holds the store's hold lock until config.json is written: rm's and system
# prune's GC are skipped, image prune -a waits. With the old code the layers
# went and the run failed at its overlay mount.
mkdir -p "$TEST_TMP/race"
race_round() { # 0: tested the window; 1: the stop came too late; fails on a lost run
	printf 'FROM busybox\nRUN echo race-%s >/r\n' "$1" >"$TEST_TMP/race/Dockerfile"
	"$HVC" build -t race85 "$TEST_TMP/race" >/dev/null 2>&1 || fail "build race85"
	"$HVC" run --rm race85 true >/dev/null 2>&1 || fail "race85 does not run" # layers unpacked
	coproc RACE { exec "$HVC" --log-level debug run --rm race85 cat /r 2>&1; }
	local pid=$RACE_PID line stopped=0 out d rfd
	exec {rfd}<&"${RACE[0]}" # ours: bash closes RACE's fds when it reaps the run
	while read -r -t 20 line <&"$rfd"; do
		case "$line" in *"image race85 resolved"*) kill -STOP "$pid"; stopped=1; break ;; esac
	done
	[ "$stopped" = 1 ] || fail "never saw the run resolve race85"
	# too late when its directory exists (it may hold .starting: prune would skip it)
	for d in "$HVC_ROOT"/containers/*/; do
		[ -d "$d" ] && { kill -CONT "$pid"; cat <&"$rfd" >/dev/null; exec {rfd}<&-; wait "$pid"; return 1; }
	done
	"$HVC" image rm race85 >/dev/null 2>&1 || fail "image rm race85 (not in use yet) failed"
	"$HVC" system prune >/dev/null 2>&1 || fail "system prune during the start"
	"$HVC" image prune -a >"$TEST_TMP/race/prune.out" 2>&1 &
	local ppid=$!
	kill -CONT "$pid"
	out=$(cat <&"$rfd")
	exec {rfd}<&-
	wait "$pid" || fail "the run lost its image to GC: $(tail -3 <<<"$out")"
	expect_contains "$out" "race-$1"
	wait "$ppid" || fail "image prune -a: $(cat "$TEST_TMP/race/prune.out")"
	return 0
}
tested=0
for k in 1 2 3 4 5 6; do race_round "$k" && tested=$((tested + 1)); [ "$tested" -ge 2 ] && break; done
[ "$tested" -gt 0 ] || fail "no stop landed between the resolve and config.json in 6 rounds"
"$HVC" system prune >/dev/null 2>&1
"$HVC" image fsck >/dev/null 2>&1 || fail "fsck after the GC race: $("$HVC" image fsck 2>&1 | tail -3)"
ok "image rm/system prune/image prune -a while a run is between resolve and config.json: the run keeps its layers ($tested rounds) (${SECONDS}s into the test)"

# system prune in a loop while runs start: it must never take a start in
# progress (no config.json yet, or one whose starter lives) for a killed one.
(
	while [ ! -e "$TEST_TMP/pr.stop" ]; do
		"$HVC" system prune >/dev/null 2>&1 || echo "system prune failed" >>"$TEST_TMP/pr.err"
		echo >>"$TEST_TMP/pr.count"
	done
) &
ploop=$!
for wave in 1 2 3 4 5 6; do
	pids=()
	for i in 1 2 3 4; do "$HVC" run --rm busybox true >"$TEST_TMP/pr.$wave.$i" 2>&1 & pids+=($!); done
	for i in 1 2 3 4; do
		wait "${pids[$((i - 1))]}" || { touch "$TEST_TMP/pr.stop"; wait "$ploop"; fail "a run failed while system prune looped: $(tail -3 "$TEST_TMP/pr.$wave.$i")"; }
	done
done
touch "$TEST_TMP/pr.stop"
wait "$ploop"
[ ! -e "$TEST_TMP/pr.err" ] || fail "system prune failed while runs started"
ok "24 runs, 4 at a time, with $(wc -l <"$TEST_TMP/pr.count") system prunes looping beside them: all succeeded (${SECONDS}s into the test)"

# hvc exec killed with -9: its command must not outlive it (it did).
# the exec'd command's pids (not this script's greps)
exec_cmd_pids() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		[ "$(tr '\0' ' ' 2>/dev/null <"$f")" = "sh -c sleep 300; echo hvc85exec " ] && echo "${f%/cmdline}"
	done
}
cid=$("$HVC" run -d busybox sleep 300) || fail "start the exec target"
"$HVC" exec "$cid" sh -c 'sleep 300; echo hvc85exec' &
epid=$!
for i in $(seq 50); do [ -n "$(exec_cmd_pids)" ] && break; sleep 0.1; done
[ -n "$(exec_cmd_pids)" ] || fail "the exec'd command never started"
kill -9 "$epid"; wait "$epid" 2>/dev/null
for i in $(seq 20); do [ -z "$(exec_cmd_pids)" ] && break; sleep 0.1; done
left=$(exec_cmd_pids)
[ -z "$left" ] || fail "hvc exec killed: its command is still running: $left"
"$HVC" rm -f "$cid" >/dev/null
ok "a killed hvc exec takes its command with it (${SECONDS}s into the test)"

# An image whose top layer blob vanished (image rm racing a run found it):
# the run fails with a clear error, and — with a SAN=1 build — the layer
# path already unpacked below it is not leaked (LeakSanitizer found it).
mkdir -p "$TEST_TMP/ctx"
printf 'FROM busybox\nRUN echo top >/top\n' >"$TEST_TMP/ctx/Dockerfile"
"$HVC" build -t hard85 "$TEST_TMP/ctx" >/dev/null 2>&1 || fail "build hard85"
top=$("$HVC" image inspect hard85 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][-1]["digest"])') ||
	fail "hard85: no top layer digest"
rm -rf "$HVC_ROOT/layers" "$HVC_ROOT/images/blobs/sha256/${top#sha256:}"
out=$(ASAN_OPTIONS="log_path=$TEST_TMP/san" "$HVC" run --rm hard85 true 2>&1) && fail "run with a missing layer blob succeeded"
expect_contains "$out" "hvc: run: image hard85:latest: layer blob $top: missing"
! ls "$TEST_TMP"/san.* >/dev/null 2>&1 || fail "sanitizer report: $(head -20 "$TEST_TMP"/san.*)"
"$HVC" image rm -f hard85 >/dev/null 2>&1
ok "a missing layer blob: clear error, nothing leaked (${SECONDS}s into the test)"

out=$(bash "$HERE/fault/kill9.sh" "${HVC_FAULT_ITER:-12}" 0 2>&1) || fail "kill -9 loop: $(tail -25 <<<"$out")"
ok "kill -9 loop: $(tail -1 <<<"$out") (${SECONDS}s into the test)"

out=$(bash "$HERE/fault/diskfull.sh" 2>&1)
rc=$?
[ "$rc" = 77 ] && echo "skip: disk full: $(tail -1 <<<"$out")"
[ "$rc" = 0 ] || [ "$rc" = 77 ] || fail "disk full: $(tail -15 <<<"$out")"
[ "$rc" = 0 ] && ok "disk full: $(tail -1 <<<"$out") (${SECONDS}s into the test)"

out=$(bash "$HERE/load/load.sh" 16 1 6 "${HVC_LOAD_RACES:-3}" 2>&1) || fail "load: $(tail -25 <<<"$out")"
ok "load: $(tail -1 <<<"$out") (${SECONDS}s into the test)"
