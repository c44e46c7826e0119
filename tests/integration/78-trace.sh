#!/bin/bash
# --trace of `hvc run` and `hvc vm run` against the real kernel and QEMU: the
# steps of a start appear, in their order, with monotonic timestamps, in both
# formats; the child's events (relayed from a process that shares hvc's
# memory) come before the exec; a failed start traces its undo; no trace
# when off; a bad --trace value is a usage error that leaves nothing behind.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces, overlayfs, cgroups)"
command -v python3 >/dev/null || skip "python3 not installed (reads the JSON lines)"
"$HVC" image import --busybox >/dev/null || fail "import busybox"

# check_json FILE EVENT... : every line is JSON, timestamps never go back,
# and the EVENTs occur in this order (others may come between)
check_json() {
	python3 - "$@" <<'PY' || fail "trace check: see above"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ev = [json.loads(l) for l in lines]
for a, b in zip(ev, ev[1:]):
    if b["ts_ns"] < a["ts_ns"]:
        sys.exit(f"timestamps go back: {a} then {b}")
    if not all(k in b for k in ("ts_ns", "elapsed_ms", "src", "event", "msg")):
        sys.exit(f"missing fields: {b}")
names = [e["event"] for e in ev]
pos = 0
for want in sys.argv[2:]:
    try:
        pos = names.index(want, pos) + 1
    except ValueError:
        sys.exit(f"event {want} missing or out of order in: {names}")
PY
}

# 1. a container start and exit, JSON
"$HVC" run --rm --trace=json -m 32m busybox true 2>"$TEST_TMP/c.jsonl" || fail "run --trace=json"
check_json "$TEST_TMP/c.jsonl" image image.layer state caps.plan seccomp.plan init mount.plan \
	cgroup.mkdir cgroup.write cgroup clone3 clone3.pid ns.enter cgroup.enter ns.cgroup net mount.private mount.overlay \
	mount mknod mount.mask mount.ro hostname pivot_root user workdir caps.bounding ids caps.set \
	no_new_privs seccomp exec exec.done state.running ready exit teardown cgroup.rmdir teardown.done
grep -q '"src":"ctr","event":"pivot_root"' "$TEST_TMP/c.jsonl" || fail "the child's events are not tagged ctr"
grep -q 'memory.limit_in_bytes\|memory.max' "$TEST_TMP/c.jsonl" || fail "the memory limit write is not traced"
grep -q '"drop 27: .*SYS_ADMIN' "$TEST_TMP/c.jsonl" || grep -q '"drop [0-9]*: .*SYS_ADMIN' "$TEST_TMP/c.jsonl" ||
	fail "dropped capabilities are not named"
ok "run --trace=json: every step, in order, monotonic"

# 2. text: one line per event, elapsed time, source, event, message; the
# command's own output untouched
OUT=$("$HVC" run --rm --trace busybox echo hello 2>"$TEST_TMP/c.txt") || fail "run --trace"
[ "$OUT" = hello ] || fail "stdout changed by --trace: $OUT"
grep -Eq '^trace +[0-9]+\.[0-9]{3} ms  ctr   pivot_root +pivot_root' "$TEST_TMP/c.txt" || fail "text format: $(head -3 "$TEST_TMP/c.txt")"
[ "$(grep -vc '^trace ' "$TEST_TMP/c.txt")" = 0 ] || fail "non-trace lines on stderr: $(grep -v '^trace ' "$TEST_TMP/c.txt")"
ok "run --trace: text lines"

# 3. --userns: the child waits for the parent's id maps; the relay keeps the order
"$HVC" run --rm --userns --trace=json busybox true 2>"$TEST_TMP/u.jsonl" || fail "run --userns --trace=json"
check_json "$TEST_TMP/u.jsonl" clone3 ns.enter pivot_root ns.user userns.map userns.map caps.set exec exec.done exit
ok "run --userns --trace=json: id maps between the child's steps"
# (--trace asks for the READY fd 3; dup2 onto 3 used to close the sync pipe
# --userns still reads: the child died, hvc got SIGPIPE, exit 141)
expect_status 0 "$HVC" run --rm --userns --ready busybox echo hi
[ "$OUT" = hi ] || fail "--userns --ready: $OUT"
ok "run --userns --ready: the READY fd does not replace the sync pipe"

# 4. a start that fails in the child traces its steps up to the failure, then the undo
expect_status 127 "$HVC" run --rm --no-init --trace=json busybox nosuchcmd
printf '%s\n' "$OUT" | grep '^{' >"$TEST_TMP/f.jsonl"
check_json "$TEST_TMP/f.jsonl" clone3 pivot_root seccomp exec undo cgroup.rmdir
expect_contains "$OUT" "executable file not found"
ok "a failed start traces its undo"

# 4b. a clone3 that fails (valgrind 3.19 has no clone3: ENOSYS) ends in the
# undo at once: the relay pipe's read must not wait for a child never born
if command -v valgrind >/dev/null; then
	OUT=$(timeout 120 valgrind -q "$HVC" run --rm --trace busybox true 2>&1); rc=$?
	[ "$rc" = 125 ] || fail "run --trace with a failing clone3: exit $rc (124: it hung): $OUT"
	expect_contains "$OUT" " undo "
	ok "a failed clone3 under --trace: undo, no hang"
fi

# 5. off: not a line; a bad value: usage error, nothing left
expect_status 0 "$HVC" run --rm busybox true
[ -z "$OUT" ] || fail "output without --trace: $OUT"
expect_status 2 "$HVC" run --rm --trace=yaml busybox true
expect_contains "$OUT" "--trace=yaml: expected text or json"
[ -z "$(ls "$HVC_ROOT/containers" 2>/dev/null | grep -v '^\.')" ] || fail "a bad --trace left a container"
ok "no trace when off; --trace=yaml refused"

# 6. a VM run (skipped where no VM can boot)
if command -v qemu-system-x86_64 >/dev/null && ls /boot/vmlinuz-* >/dev/null 2>&1; then
	on_exit 'for p in $(pgrep -f "qemu-system-x86_64.*$HVC_ROOT"); do kill -9 $p; done'
	"$HVC" vm run --rm --trace=json busybox true 2>"$TEST_TMP/v.jsonl" || fail "vm run --trace=json: $(tail -3 "$TEST_TMP/v.jsonl")"
	check_json "$TEST_TMP/v.jsonl" vm.kernel image vm.artifacts vm.record vm.xml vm.cmdline libvirt libvirt vm.qemu \
		vm.console guest.start guest.mounts guest.config guest.command ready exit teardown libvirt
	grep -q '"src":"guest"' "$TEST_TMP/v.jsonl" || fail "no guest milestones"
	ok "vm run --trace=json: host steps and the guest's milestones, in order"
	# off: hvc-init prints no milestone (hvc.trace=1 is not on the command line)
	expect_status 0 "$HVC" vm run --rm busybox sh -c 'grep -c hvc.trace=1 /proc/cmdline || true'
	[ "$(printf '%s\n' "$OUT" | tail -1)" = 0 ] || fail "hvc.trace=1 on the kernel command line without --trace: $OUT"
	ok "vm run without --trace: no hvc.trace=1"
else
	echo "skip: vm part (no qemu-system-x86_64 or no /boot/vmlinuz-*)"
fi
