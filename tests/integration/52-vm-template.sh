#!/bin/bash
# VM templates end to end (embedded libvirt QEMU driver): the first
# `hvc vm run --template` makes the template and runs the command from a
# restore; the next restores it (no build); the restored guest gets the
# host's clock and its own RNG seed; a truncated or corrupt save image and a
# half-made template (kill -9 during the build) are detected and rebuilt; rm
# and prune.
# Every path must leave no domain, QEMU process or VM state behind.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (embedded QEMU driver)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot"

qemu_left() { pgrep -f "qemu-system-x86_64.*$HVC_ROOT" || true; }
on_exit 'for p in $(pgrep -f "qemu-system-x86_64.*$HVC_ROOT"); do kill -9 $p; done'
tdir() { ls -d "$HVC_ROOT"/vm/templates/*/ 2>/dev/null | head -1; }
nothing_left() {
	[ -z "$("$HVC" vm ps -a -q)" ] || fail "$1: VM state left: $("$HVC" vm ps -a)"
	[ -z "$(qemu_left)" ] || fail "$1: QEMU left running"
}

# 1. first use: the template is made, then restored; output and status as a cold boot's
expect_status 3 "$HVC" vm run --rm --template --timings busybox sh -c 'echo from-template; exit 3'
expect_contains "$OUT" "from-template"
expect_contains "$OUT" "timings (ms): template built"
built=$(sed -n 's/.*template built \([0-9.]*\),.*/\1/p' <<<"$OUT")
awk -v b="$built" 'BEGIN { exit !(b > 0) }' || fail "first --template run did not build: $OUT"
[ -f "$(tdir)/meta.json" ] && [ -s "$(tdir)/save.img" ] || fail "no template files in $(tdir)"
nothing_left "first --template run"
ok "the first --template run makes the template and runs the command restored"

# 2. a restore: no build, the host's clock, a seed of its own (two restores differ)
expect_status 0 "$HVC" vm run --rm --template --timings busybox sh -c 'date +%s; head -c 16 /dev/urandom | od -An -tx1'
expect_contains "$OUT" "template built -,"
guest_t=$(grep -m1 -E '^[0-9]+$' <<<"$OUT")
now=$(date +%s)
[ -n "$guest_t" ] && [ $((now - guest_t)) -lt 120 ] && [ $((guest_t - now)) -lt 120 ] ||
	fail "restored guest's clock $guest_t is not the host's $now"
rnd1=$(grep -E '^ [0-9a-f]{2} ' <<<"$OUT")
expect_status 0 "$HVC" vm run --rm --template busybox sh -c 'head -c 16 /dev/urandom | od -An -tx1'
rnd2=$(grep -E '^ [0-9a-f]{2} ' <<<"$OUT")
[ -n "$rnd1" ] && [ "$rnd1" != "$rnd2" ] || fail "two restores read the same random bytes: $rnd1"
nothing_left "restores"
ok "restores take the host's clock and a seed of their own"

# 3. ls shows it ready; a truncated save image is reported and rebuilt
expect_status 0 "$HVC" vm template ls
expect_contains "$OUT" "busybox"
expect_contains "$OUT" "ready"
save="$(tdir)/save.img"
truncate -s $(($(stat -c %s "$save") / 2)) "$save"
expect_status 0 "$HVC" vm template ls
expect_contains "$OUT" "save.img truncated"
expect_status 0 "$HVC" vm run --rm --template --timings busybox echo rebuilt
expect_contains "$OUT" "save.img truncated"
expect_contains "$OUT" "rebuilding it"
expect_contains "$OUT" "rebuilt"
nothing_left "rebuild"
ok "a truncated save image is reported and the template rebuilt"

# 3b. a save image libvirt refuses (same size, bad magic): rebuilt in the same run
printf 'XXXXXXXXXXXXXXXX' | dd of="$(tdir)/save.img" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_status 0 "$HVC" vm run --rm --template busybox echo after-corrupt
expect_contains "$OUT" "image magic is incorrect; rebuilding it"
expect_contains "$OUT" "after-corrupt"
nothing_left "corrupt save image"
ok "a save image libvirt refuses is rebuilt"

# 4. kill -9 during the build: nothing running afterwards, the half-made template is rebuilt
expect_status 0 "$HVC" vm template rm "$(basename "$(tdir)")"
[ -z "$(tdir)" ] || fail "template rm left $(tdir)"
"$HVC" vm run --rm --template busybox true >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -n "$(qemu_left)" ] && break; sleep 0.1; done
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
expect_status 0 "$HVC" vm prune
nothing_left "kill -9 during the build"
expect_status 0 "$HVC" vm template ls
expect_contains "$OUT" "half-made"
expect_status 0 "$HVC" vm template prune
expect_contains "$OUT" "removed 1 template"
[ -z "$(tdir)" ] || fail "template prune left $(tdir)"
ok "kill -9 during a template build leaves nothing running; prune removes the half-made template"

# 5. what a template cannot carry is refused with one clear error
expect_status 125 "$HVC" vm run --rm --template --disk busybox true
expect_contains "$OUT" "--template: not with --disk"
expect_status 1 "$HVC" vm template rm nosuchkey
expect_contains "$OUT" 'template "nosuchkey": no such template'
nothing_left "refusals"
ok "--template refuses disks and names unknown templates"
