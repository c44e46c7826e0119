#!/bin/bash
# VM driver end to end under the embedded libvirt QEMU driver: a real boot
# (output and exit status), the faults (missing kernel, no command, libvirt
# unreachable, QEMU missing, READY timeout) and kill -9 of hvc mid-boot
# reclaimed by prune. Every path must leave no domain, QEMU process or state.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (embedded QEMU driver)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot"

qemu_left() { pgrep -f "qemu-system-x86_64.*$HVC_ROOT" || true; }
on_exit 'for p in $(pgrep -f "qemu-system-x86_64.*$HVC_ROOT"); do kill -9 $p; done'

# 1. one real boot: output streams, exit status propagates, --rm leaves nothing
expect_status 3 "$HVC" vm run --rm --timings busybox sh -c 'echo hello; echo to-stderr >&2; exit 3'
expect_contains "$OUT" "hello"
expect_contains "$OUT" "to-stderr"
expect_contains "$OUT" "timings (ms): domain created"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "--rm left state: $("$HVC" vm ps -a)"
[ -z "$(qemu_left)" ] || fail "QEMU left running after --rm"
ok "vm run prints the output and returns the command's status"

# 1b. --disk (ext4 root on virtio-blk, modules loaded by hvc-init) and a data disk
expect_status 0 "$HVC" vm run --rm --disk --data-disk 16m busybox sh -c 'grep " / " /proc/mounts; grep /data /proc/mounts; echo ok > /data/f; cat /data/f'
expect_contains "$OUT" "/dev/vda / ext4"
expect_contains "$OUT" "/dev/vdb /data ext4"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "--disk --rm left state"
ok "--disk root and --data-disk"

# 1c. --accel: tcg always works (and says it was forced); kvm boots where the
# host probe (hvc info) finds KVM usable, else one error with the probe's reason
read -r ACCEL REASON < <("$HVC" info --json | python3 -c 'import json,sys; v=json.load(sys.stdin)["virtualization"]; print(v["accel"], v["accel_reason"])')
expect_status 0 "$HVC" vm run --rm --network none --accel tcg --timings --trace busybox echo forced
expect_contains "$OUT" "forced"
expect_contains "$OUT" "accelerator tcg: forced (--accel tcg)"
expect_contains "$OUT" "[tcg]"
if [ "$ACCEL" = kvm ]; then
	expect_status 0 "$HVC" vm run --rm --network none --accel kvm --timings busybox true
	expect_contains "$OUT" "[kvm]"
else
	expect_status 125 "$HVC" vm run --rm --network none --accel kvm busybox true
	expect_contains "$OUT" "hvc: vm run: --accel kvm: KVM is not usable on this host: $REASON"
fi
expect_status 2 "$HVC" vm run --rm --accel hvf busybox true
expect_contains "$OUT" "--accel hvf: expected kvm or tcg"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "--accel left state: $("$HVC" vm ps -a)"
[ -z "$(qemu_left)" ] || fail "--accel left QEMU running"
ok "--accel tcg forces emulation; --accel kvm as the host allows ($ACCEL: $REASON)"

# 2. faults that need no boot: one clear error each, nothing left
expect_status 125 env HVC_KERNEL=/nonexistent/vmlinuz "$HVC" vm run --rm busybox true
expect_contains "$OUT" "kernel \`/nonexistent/vmlinuz\`: No such file"
expect_status 125 "$HVC" vm run --rm busybox no-such-command
expect_contains "$OUT" "command \"no-such-command\" not found"
expect_status 125 "$HVC" vm run --rm nosuchimage
expect_contains "$OUT" "image \"nosuchimage\" not found"
expect_status 125 "$HVC" vm run --rm --connect qemu+tcp://127.0.0.1:1/system busybox true
expect_contains "$OUT" "connect to libvirt \`qemu+tcp://127.0.0.1:1/system\`"
expect_status 125 env HVC_VM_EMULATOR=/nonexistent/qemu "$HVC" vm run --rm busybox true
expect_contains "$OUT" "/nonexistent/qemu"
expect_status 2 "$HVC" vm run -m 1 busybox true
expect_contains "$OUT" 'bad memory size "1" (at least 16 MiB)'
expect_status 2 "$HVC" vm run --vcpus 0 busybox true
expect_contains "$OUT" 'bad --vcpus "0"'
expect_status 2 "$HVC" vm run --data-disk 1k busybox true
expect_contains "$OUT" 'bad --data-disk size "1k" (at least 8m)'
expect_status 2 "$HVC" vm run -d --rm busybox true
expect_contains "$OUT" "--rm and -d do not go together"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "a failed run left state: $("$HVC" vm ps -a)"
ok "faults give one clear error and leave nothing"

# 3. a guest that never says READY in time: timeout error, domain and files gone
expect_status 125 "$HVC" vm run --timeout 1 busybox true
expect_contains "$OUT" "no READY from hvc-init within 1 s"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "timeout left state"
[ -z "$(qemu_left)" ] || fail "timeout left QEMU running"
ok "READY timeout cleans up"

# 4. kill -9 of hvc mid-boot: the next hvc call (prune) destroys the domain
"$HVC" vm run busybox sleep 60 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	grep -qs '"status": "running"' "$HVC_ROOT"/vms/*/vm.json && break
	sleep 0.1
done
grep -qs '"status": "running"' "$HVC_ROOT"/vms/*/vm.json || fail "VM never started"
kill -9 $pid
wait $pid 2>/dev/null
[ -n "$(qemu_left)" ] || fail "expected the orphaned QEMU to outlive hvc"
expect_status 0 "$HVC" vm prune
expect_contains "$OUT" "reclaimed 1 VM"
[ -z "$(qemu_left)" ] || fail "prune left QEMU running"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "prune left state"
ok "kill -9 mid-boot is reclaimed by prune"
