#!/bin/bash
# Real escape attempts from inside a container, as root in it: each must fail
# inside and leave the host unchanged. busybox applets where they exist,
# tests/helpers/sectest.c (built static here, bind-mounted read-only) for the
# syscalls busybox lacks. Includes the two classic runtime escapes:
# CVE-2019-5736 (rewrite the runtime binary through /proc/<pid>/exe) and
# CVE-2024-21626 (a host fd leaking into the container).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces, overlayfs, cgroups)"
command -v cc >/dev/null || skip "needs a C compiler for the test helper"
B="$HVC"
HERE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$TEST_TMP/bin"
cc -static -O2 -Wall -o "$TEST_TMP/bin/sectest" "$HERE/helpers/sectest.c" || fail "build sectest"
V=(-v "$TEST_TMP/bin:/t:ro")
on_exit 'for d in "$HVC_ROOT"/containers/*/; do [ -d "$d" ] && "$B" rm -f "$(basename "$d")"; done'

host_hostname=$(hostname)
echo "host-secret" >"$TEST_TMP/secret"
init_sum=$(sha256sum "$(dirname "$B")/hvc-init" | cut -d' ' -f1)

# denied CMD...: the command must fail inside the container
denied() {
	local what=$1; shift
	OUT=$("$B" run --rm "${V[@]}" busybox "$@" 2>&1) && fail "$what: succeeded inside the container: $OUT"
	ok "$what fails: $(tail -1 <<<"$OUT")"
}

denied "mount tmpfs" mount -t tmpfs none /mnt
denied "mount proc again" mount -t proc proc /mnt
denied "umount /proc" umount /proc
denied "umount -l /sys" umount -l /sys
denied "unshare (busybox)" unshare -m true
denied "unshare (syscall)" /t/sectest unshare
denied "setns (nsenter)" nsenter -t 1 -m true
denied "setns (syscall)" /t/sectest setns
denied "pivot_root" sh -c 'mkdir -p /new/old && pivot_root /new /new/old'
denied "keyctl/add_key" /t/sectest keyctl
denied "kexec_load" /t/sectest kexec
denied "init_module/finit_module" /t/sectest init_module
denied "ptrace of a host pid" /t/sectest ptrace $$
denied "read /proc/kcore" sh -c 'test $(head -c 16 /proc/kcore 2>/dev/null | wc -c) -gt 0'
denied "write /proc/sys/kernel/hostname" sh -c 'echo pwned >/proc/sys/kernel/hostname'
denied "write /proc/sys/kernel/panic" sh -c 'echo 5 >/proc/sys/kernel/panic'
denied "write /proc/sysrq-trigger" sh -c 'echo h >/proc/sysrq-trigger'
denied "mknod block device (busybox)" mknod /tmp/sda b 8 0
denied "mknod block device (syscall)" /t/sectest mknod_blk
denied "write /sys" sh -c 'echo 1 >/sys/kernel/profiling'
denied "host file via /proc/1/root" cat "/proc/1/root$TEST_TMP/secret"
denied "host file via any /proc/*/root" sh -c "cat /proc/*/root$TEST_TMP/secret"
denied "'..' after pivot_root" sh -c "cd / && cd ../../.. && cat .$TEST_TMP/secret || cat /../../..$TEST_TMP/secret"
[ "$(hostname)" = "$host_hostname" ] || fail "host hostname changed"

# raw sockets: allowed with NET_RAW (Docker's default), denied without
OUT=$("$B" run --rm "${V[@]}" busybox /t/sectest rawsock) || fail "control: raw socket with NET_RAW: $OUT"
expect_contains "$OUT" "ALLOWED"
OUT=$("$B" run --rm --cap-drop NET_RAW "${V[@]}" busybox /t/sectest rawsock) && fail "raw socket without NET_RAW: $OUT"
expect_contains "$OUT" "DENIED EPERM"
ok "raw socket: allowed with NET_RAW, EPERM with --cap-drop NET_RAW"

# seccomp denies with EPERM, never SIGSYS; unconfined really removes it
OUT=$("$B" run --rm --cap-add SYS_ADMIN "${V[@]}" busybox /t/sectest kexec) && fail "kexec with SYS_ADMIN: $OUT"
expect_contains "$OUT" "DENIED EPERM"
OUT=$("$B" run --rm --security-opt seccomp=unconfined "${V[@]}" busybox grep Seccomp: /proc/self/status)
grep -q 'Seccomp:[[:space:]]*0' <<<"$OUT" || fail "seccomp=unconfined: $OUT"
cat >"$TEST_TMP/deny-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
EOF
OUT=$("$B" run --rm --security-opt "seccomp=$TEST_TMP/deny-mkdir.json" busybox sh -c 'mkdir /x 2>&1; echo rc=$?')
expect_contains "$OUT" "Permission denied"
echo '{"defaultAction": "SCMP_ACT_BOGUS"}' >"$TEST_TMP/bad.json"
expect_status 125 "$B" run --rm --security-opt "seccomp=$TEST_TMP/bad.json" busybox true
expect_contains "$OUT" "SCMP_ACT_BOGUS"
ok "seccomp: EPERM (not SIGSYS), unconfined, JSON profile file, bad profile -> 125"

# fork bomb under --pids-limit 64: contained, host fine
OUT=$("$B" run --rm --pids-limit 64 busybox sh -c \
	'i=0; while [ $i -lt 200 ]; do sleep 2 & i=$((i+1)); done 2>&1 | head -1; wait' 2>&1)
expect_contains "$OUT" "fork"
"$B" run --rm busybox true || fail "host cannot run containers after the fork bomb"
ok "fork bomb under --pids-limit 64 fails to fork; host fine"

# memory hog under -m 32m: OOM-killed (137), host fine
expect_status 137 "$B" run --rm -m 32m "${V[@]}" busybox /t/sectest hog 256
id=$("$B" run -d -m 32m "${V[@]}" busybox /t/sectest hog 256)
"$B" wait "$id" >/dev/null
"$B" inspect "$id" | grep -q '"oom_killed": *true' || fail "oom_killed not recorded: $("$B" inspect "$id")"
"$B" rm "$id" >/dev/null
ok "memory hog under -m 32m is OOM-killed (137, oom_killed recorded)"

# /sys/fs/cgroup inside, as Docker mounts it: read-only, rooted at the
# container's own cgroup (cgroup namespace), so its limit reads from inside;
# which file depends on the host's cgroup version
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	limit=/sys/fs/cgroup/memory.max
else
	limit=/sys/fs/cgroup/memory/memory.limit_in_bytes
fi
host_cg=$(grep -c ' /sys/fs/cgroup' /proc/self/mountinfo)
for u in "" --userns; do
	expect_status 0 "$B" run --rm $u -m 32m busybox sh -c "cat $limit; grep -c ' /sys/fs/cgroup' /proc/self/mountinfo; ls ${limit%/*}/hvc 2>&1; echo x > $limit 2>&1; mkdir ${limit%/*}/y 2>&1; true"
	[ "$(head -1 <<<"$OUT")" = 33554432 ] || fail "cgroup limit from inside ($u): $OUT"
	expect_contains "$OUT" "can't create $limit: Read-only file system"
	expect_contains "$OUT" "can't create directory '${limit%/*}/y': Read-only file system"
	expect_contains "$OUT" "${limit%/*}/hvc: No such file or directory"
done
[ "$(grep -c ' /sys/fs/cgroup' /proc/self/mountinfo)" = "$host_cg" ] || fail "the host's cgroup mounts changed"
ok "/sys/fs/cgroup read-only inside, rooted at the container's cgroup: $limit reads the -m limit (also with --userns)"

# one confinement (engine/runtime/runtime_confine.c): the command of hvc run
# and of hvc exec end up alike; a non-root user keeps no capability
conf='^(Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):'
RUN=$("$B" run --rm busybox grep -E "$conf" /proc/self/status) || fail "run: $RUN"
expect_contains "$RUN" "CapEff:	00000000a80425fb"
expect_contains "$RUN" "CapBnd:	00000000a80425fb"
expect_contains "$RUN" "CapAmb:	0000000000000000"
expect_contains "$RUN" "NoNewPrivs:	1"
expect_contains "$RUN" "Seccomp:	2"
id=$("$B" run -d busybox sleep 30)
EXEC=$("$B" exec "$id" grep -E "$conf" /proc/self/status) || fail "exec: $EXEC"
"$B" rm -f "$id" >/dev/null
[ "$RUN" = "$EXEC" ] || fail "exec is confined differently from run: $RUN / $EXEC"
USR=$("$B" run --rm -u 65534:65534 busybox grep -E "$conf" /proc/self/status) || fail "run -u: $USR"
expect_contains "$USR" "CapPrm:	0000000000000000"
expect_contains "$USR" "CapBnd:	00000000a80425fb"
expect_contains "$USR" "NoNewPrivs:	1"
grep -qE '^Groups:[[:space:]]*65534[[:space:]]*$' <<<"$USR" || fail "run -u 65534:65534 groups: $USR"
ok "one confinement: run and exec alike (caps, bounding set, no_new_privs, seccomp); -u keeps no capability"

# CVE-2019-5736 class: PID 1 runs from a sealed memfd; writing it fails
OUT=$("$B" run --rm "${V[@]}" busybox sh -c 'readlink /proc/1/exe; /t/sectest writeexe /proc/1/exe; true')
expect_contains "$OUT" "memfd:hvc-init"
expect_contains "$OUT" "DENIED"
id=$("$B" run -d "${V[@]}" busybox sleep 30)
OUT=$("$B" exec "$id" sh -c 'for p in /proc/[0-9]*; do /t/sectest writeexe $p/exe; done; true')
grep -q ALLOWED <<<"$OUT" && fail "a /proc/<pid>/exe was writable during exec: $OUT"
"$B" rm -f "$id" >/dev/null
[ "$(sha256sum "$(dirname "$B")/hvc-init" | cut -d' ' -f1)" = "$init_sum" ] || fail "host hvc-init changed"
ok "CVE-2019-5736 class: /proc/<pid>/exe not writable (sealed memfd), host binary unchanged"

# CVE-2024-21626 class: only 0/1/2 inside; -w /proc/self/fd/N fails
exec 7<"$TEST_TMP/secret" 8<"$HVC_ROOT"
OUT=$("$B" run --rm "${V[@]}" busybox /t/sectest fds)
exec 7<&- 8<&-
grep -qx '/proc/self/fd: 0 1 2' <<<"$OUT" || fail "fds leaked into the container: $OUT"
grep -qx '/proc/1/fd: 0 1 2' <<<"$OUT" || fail "fds leaked into PID 1: $OUT"
for n in 3 4 5 6 7 8 9; do
	OUT=$("$B" run --rm -w /proc/self/fd/$n busybox sh -c 'ls ..; cat ../../../../etc/hostname' 2>&1) &&
		fail "-w /proc/self/fd/$n started: $OUT"
done
ok "CVE-2024-21626 class: only fds 0/1/2 inside, -w /proc/self/fd/N refused"

# the host is unchanged
[ "$(hostname)" = "$host_hostname" ] || fail "host hostname changed"
# (other tests may mount concurrently: look for ours, not for a count)
grep -E "$HVC_ROOT|$TEST_TMP|/mnt |/new" /proc/self/mountinfo && fail "a mount leaked to the host"
ok "host unchanged: hostname, no mount of ours in the host's table"
exit 0
