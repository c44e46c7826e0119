#!/bin/bash
# hvc run and the container lifecycle against the real kernel: basics, Docker's
# env/cmd/workdir/user semantics, exit statuses, bad input (125, nothing left),
# -d/exec/logs/stop/rm, --rm leaves nothing (mountinfo and cgroup trees are
# scanned), and a SIGKILLed hvc is reclaimed by the next command / system prune.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces, overlayfs, cgroups)"
B="$HVC"

# Cgroups of this test's containers are found by id; ids of --rm containers
# are learned through -d (which prints them) or the leftover scan below.
cg_left() { # id -> prints cgroup dirs still present
	ls -d /sys/fs/cgroup/*/hvc/*"$1" /sys/fs/cgroup/hvc/*"$1" 2>/dev/null || true
}
mounts_left() { grep -F "$HVC_ROOT" /proc/self/mountinfo || true; }
on_exit 'for d in "$HVC_ROOT"/containers/*/; do [ -d "$d" ] && "$B" rm -f "$(basename "$d")"; done'

# --- basics and exit statuses -------------------------------------------
expect_status 0 "$B" run --rm busybox echo hello
[ "$OUT" = hello ] || fail "echo: got '$OUT'"
ok "run --rm busybox echo"
expect_status 7 "$B" run --rm busybox sh -c 'exit 7'
ok "exit status propagates (7)"
expect_status 127 "$B" run --rm busybox nosuchcmd
expect_contains "$OUT" "nosuchcmd"
ok "missing command: 127"
expect_status 126 "$B" run --rm busybox /etc/passwd
ok "not executable: 126"
expect_status 127 "$B" run --rm --no-init busybox nosuchcmd
expect_contains "$OUT" "executable file not found"
ok "--no-init missing command: 127 with one line"
expect_status 137 "$B" run --rm busybox sh -c 'kill -9 $$'
ok "killed by SIGKILL: 137"

# --timings: every phase of the start in order, ms from the start call; a
# phase not reached (no --ready, no output) is "-", never 0
timings_check() { # OUT, then the phases expected to be "-"
	local line; line=$(grep '^timings (ms): ' <<<"$1") || fail "no timings line in: $1"
	shift
	python3 - "$line" "$@" <<'PY' || fail "timings line: $line"
import sys
line, dashes = sys.argv[1], set(sys.argv[2:])
parts = [p.strip().rsplit(" ", 1) for p in line.split(": ", 1)[1].split(",")]
names = [n for n, _ in parts]
assert names == ["prepared", "cgroup", "cloned", "rootfs", "exec", "READY", "first output", "exited"], names
last = 0.0
for n, v in parts:
    if n in dashes:
        assert v == "-", (n, v)
        continue
    assert v != "-" and float(v) > 0 and float(v) >= last, (n, v, last)
    last = float(v)
PY
}
expect_status 0 "$B" run --rm --timings busybox echo hi
timings_check "$OUT" READY
expect_status 0 "$B" run --rm --timings --ready busybox true
timings_check "$OUT" "first output"
expect_status 2 "$B" run -d --timings busybox true
expect_contains "$OUT" "--timings: not with -d"
ok "--timings: the phases in order, those not reached shown as -"

# --rm mounts the overlay upper volatile (never synced, never remounted);
# a container that outlives its run keeps a durable one
expect_status 0 "$B" run --rm busybox sh -c 'grep " / / " /proc/self/mountinfo'
expect_contains "$OUT" "overlay"
expect_contains "$OUT" "volatile"
expect_status 0 "$B" run --name durable busybox sh -c 'grep " / / " /proc/self/mountinfo'
case "$OUT" in *volatile*) fail "a container without --rm got a volatile upper: $OUT" ;; esac
expect_status 0 "$B" rm durable
ok "--rm: volatile overlay upper; without --rm: durable"

# -it at a real terminal (a pty driven as a user would): the container's own
# tty, the exit status; then ctrl-p ctrl-q detaches, the container keeps
# running, exec -it gets back in, the log has what was typed, stop ends it
PTY="python3 $(dirname "$0")/pty_drive.py"
OUT=$($PTY 'expect # ;; send tty; echo in-$((6*7))\n ;; expect in-42 ;; send exit 3\n ;; wait' -- "$B" run -it --rm busybox sh 2>&1)
expect_contains "$OUT" "/dev/pts/0"
expect_contains "$OUT" "EXIT 3"
OUT=$($PTY 'expect # ;; send echo hi-$((40+2))\n ;; expect hi-42 ;; send \x10\x11 ;; wait' -- "$B" run -it --name att busybox sh 2>&1)
expect_contains "$OUT" "detached from"
expect_contains "$OUT" "EXIT 0"
expect_status 0 "$B" exec att echo still-here
[ "$OUT" = still-here ] || fail "detached container not running: $OUT"
OUT=$($PTY 'expect # ;; send echo back-$((1+1))\n ;; expect back-2 ;; send exit\n ;; wait' -- "$B" exec -it att sh 2>&1)
expect_contains "$OUT" "EXIT 0"
expect_status 0 "$B" logs att
expect_contains "$OUT" "hi-42"
OUT=$($PTY 'expect # ;; send \x01d ;; wait' -- "$B" run -it --rm --detach-keys ctrl-a,d --name att2 busybox sh 2>&1)
expect_contains "$OUT" "detached from"
expect_status 0 "$B" stop -t 1 att att2
expect_status 0 "$B" rm att
expect_status 125 "$B" run -it --detach-keys ctrl-1 busybox true
expect_contains "$OUT" "--detach-keys"
expect_status 125 "$B" run -it --rm busybox true </dev/null
expect_contains "$OUT" "not a TTY"
[ -z "$(ls "$HVC_ROOT/containers" | grep -v '^\.')" ] || fail "containers left: $(ls "$HVC_ROOT/containers")"
ok "-it: pty inside, exit status; ctrl-p ctrl-q detaches, exec -it comes back, --detach-keys"

# --- isolation basics ------------------------------------------------------
OUT=$("$B" run --rm busybox sh -c 'echo $$; hostname; ls /proc | grep -c "^[0-9]"; cat /proc/self/status')
pid1=$(sed -n 1p <<<"$OUT")
[ "$pid1" = 1 ] || [ "$(sed -n 1p <<<"$OUT")" -lt 5 ] || fail "not in a new pid namespace: $OUT"
grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$OUT" || fail "no_new_privs not set"
grep -q '^Seccomp:[[:space:]]*2' <<<"$OUT" || fail "seccomp not in filter mode"
grep -q '^CapBnd:[[:space:]]*00000000a80425fb' <<<"$OUT" || fail "bounding set is not Docker's 14: $(grep CapBnd <<<"$OUT")"
ok "pid namespace, no_new_privs, seccomp filter, Docker's 14 capabilities"
OUT=$("$B" run --rm busybox cat /proc/1/cmdline | tr '\0' ' ')
expect_contains "$OUT" "hvc-init"
ok "hvc-init is PID 1"
OUT=$("$B" run --rm --no-init busybox cat /proc/1/cmdline | tr '\0' ' ')
expect_contains "$OUT" "cat /proc/1/cmdline"
ok "--no-init: the command is PID 1"
OUT=$("$B" run --rm --hostname box1 busybox hostname)
[ "$OUT" = box1 ] || fail "hostname: $OUT"
OUT=$("$B" run --rm --network none busybox cat /proc/net/dev)
grep -q eth0 <<<"$OUT" && fail "network none has more than lo: $OUT"
"$B" run --rm --network none busybox sh -c 'ifconfig lo | grep -q UP' || fail "lo is not up"
# the default is the bridge network (as Docker's): eth0 besides lo (this
# test runs in a network namespace of its own: lib.sh)
OUT=$("$B" run --rm busybox cat /proc/net/dev)
grep -q eth0 <<<"$OUT" || fail "the default network has no eth0: $OUT"
ok "hostname, network none with lo up, eth0 on the default bridge network"
OUT=$("$B" run --rm busybox sh -c 'mount | grep " /sys "; mount | grep " /proc/sys "')
grep -q 'sysfs on /sys type sysfs (ro' <<<"$OUT" || fail "/sys not read-only: $OUT"
grep -q '/proc/sys type proc (ro' <<<"$OUT" || fail "/proc/sys not read-only: $OUT"
OUT=$("$B" run --rm busybox ls /dev)
for d in null zero full random urandom tty pts shm; do grep -qx "$d" <<<"$OUT" || fail "/dev/$d missing"; done
ok "/sys and /proc/sys read-only, minimal /dev"

# --- env / cmd / workdir / user (Docker semantics) ---------------------------
OUT=$("$B" run --rm -e FOO=bar -e PATH=/bin busybox sh -c 'echo $FOO $PATH $HOME')
[ "$OUT" = "bar /bin /root" ] || fail "env: $OUT"
printf '# comment\nA=1\n\nB=two words\n' >"$TEST_TMP/env"
OUT=$("$B" run --rm --env-file "$TEST_TMP/env" busybox sh -c 'echo "$A|$B"')
[ "$OUT" = "1|two words" ] || fail "env-file: $OUT"
OUT=$("$B" run --rm busybox sh -c 'echo $PATH')
expect_contains "$OUT" "/bin"
ok "-e, --env-file, default PATH and HOME"
OUT=$("$B" run --rm -w /tmp busybox pwd)
[ "$OUT" = /tmp ] || fail "workdir: $OUT"
OUT=$("$B" run --rm -w /new/dir busybox pwd)
[ "$OUT" = /new/dir ] || fail "workdir not created: $OUT"
ok "-w (created when missing)"
OUT=$("$B" run --rm -u 1000:1001 busybox sh -c 'id -u; id -g; grep CapEff /proc/self/status')
[ "$(sed -n 1p <<<"$OUT")" = 1000 ] && [ "$(sed -n 2p <<<"$OUT")" = 1001 ] || fail "user: $OUT"
grep -q 'CapEff:[[:space:]]*0000000000000000' <<<"$OUT" || fail "non-root user kept capabilities: $OUT"
OUT=$("$B" run --rm -u nobody busybox id -un)
[ "$OUT" = nobody ] || fail "user by name: $OUT"
expect_status 125 "$B" run --rm -u nosuchuser busybox true
expect_contains "$OUT" "nosuchuser"
ok "-u uid:gid (no capabilities), -u name, unknown user -> 125"
OUT=$("$B" run --rm --entrypoint echo busybox a b)
[ "$OUT" = "a b" ] || fail "entrypoint: $OUT"
ok "--entrypoint"

# --- volumes, tmpfs, read-only ------------------------------------------------
mkdir -p "$TEST_TMP/vol" && echo data >"$TEST_TMP/vol/f"
OUT=$("$B" run --rm -v "$TEST_TMP/vol:/data:ro" busybox sh -c 'cat /data/f; touch /data/g 2>&1; echo rc=$?')
expect_contains "$OUT" "data"
expect_contains "$OUT" "rc=1"
[ -e "$TEST_TMP/vol/g" ] && fail "wrote through a read-only volume"
"$B" run --rm -v "$TEST_TMP/vol:/data" busybox touch /data/h && [ -e "$TEST_TMP/vol/h" ] || fail "rw volume"
ok "-v host:ctr[:ro]"
"$B" run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /scratch/x && ! touch /x 2>/dev/null' ||
	fail "--read-only/--tmpfs"
ok "--read-only with --tmpfs"

# --- --userns: container root is an unprivileged host uid -------------------------
OUT=$("$B" run --rm --userns busybox sh -c 'id -u; cat /proc/self/uid_map; touch /newfile && echo wrote')
[ "$(sed -n 1p <<<"$OUT")" = 0 ] || fail "userns: not root inside: $OUT"
grep -Eq '^ *0 +100000 +65536' <<<"$OUT" || fail "userns: map: $OUT"
expect_contains "$OUT" wrote
id=$("$B" run -d --userns busybox sleep 30)
pid=$(grep -o '"pid":[0-9]*' "$HVC_ROOT/containers/$id/state.json" | cut -d: -f2)
grep -Eq '^Uid:[[:space:]]+100000' "/proc/$pid/status" || fail "userns: host uid: $(grep Uid /proc/$pid/status)"
OUT=$("$B" exec "$id" id -u)
[ "$OUT" = 0 ] || fail "userns exec: $OUT"
"$B" rm -f "$id" >/dev/null
ok "--userns: root inside is host uid 100000 (run and exec)"

# --- bad input: one line, 125, nothing left behind ----------------------------
before=$(ls "$HVC_ROOT/containers" 2>/dev/null | grep -c '^[0-9a-f]\{64\}$')
expect_status 125 "$B" run --rm nosuchimage true
expect_contains "$OUT" "nosuchimage"
expect_status 125 "$B" run --rm -v relative:/x busybox true
expect_contains "$OUT" "relative"
expect_status 125 "$B" run --rm -v /nonexistent-hvc-path:/x busybox true
expect_status 125 "$B" run --rm -m 12zz busybox true
expect_contains "$OUT" "12zz"
expect_status 125 "$B" run --rm --cpus abc busybox true
expect_status 125 "$B" run --rm --pids-limit -5 busybox true
expect_status 125 "$B" run --rm --network no/such busybox true
expect_status 125 "$B" run --rm --cap-add NOT_A_CAP busybox true
expect_status 125 "$B" run --rm --security-opt seccomp=/nonexistent.json busybox true
# a CPU this host does not have (read from the host, not assumed)
no_cpu=$(nproc --all)
expect_status 125 "$B" run --rm --cpuset-cpus "$no_cpu" busybox true
expect_contains "$OUT" "cpuset"
[ "$(echo "$OUT" | wc -l)" -eq 1 ] || fail "error is not one line: $OUT"
after=$(ls "$HVC_ROOT/containers" 2>/dev/null | grep -c '^[0-9a-f]\{64\}$')
[ "$before" = "$after" ] || fail "bad input left a container dir"
[ -z "$(mounts_left)" ] || fail "bad input left mounts: $(mounts_left)"
ok "bad input: 125 with one line naming the problem, nothing left"

# --- detached lifecycle -----------------------------------------------------------
id=$("$B" run -d --name web busybox sh -c 'echo started; trap "echo bye; exit 0" TERM; while :; do sleep 1; done') ||
	fail "run -d"
[ ${#id} -eq 64 ] || fail "run -d printed '$id'"
expect_status 125 "$B" run -d --name web busybox true
expect_contains "$OUT" "already in use"
ok "run -d prints a 64-hex id; names are unique"
"$B" ps | grep -q web || fail "ps does not list web"
OUT=$("$B" exec web sh -c 'echo inside; cat /proc/1/cmdline | tr "\0" " "')
expect_contains "$OUT" "inside"
expect_contains "$OUT" "hvc-init"
expect_status 3 "$B" exec "${id:0:8}" sh -c 'exit 3'
OUT=$("$B" exec web grep -E 'Seccomp:|NoNewPrivs|CapBnd' /proc/self/status)
grep -q 'Seccomp:[[:space:]]*2' <<<"$OUT" && grep -q 'NoNewPrivs:[[:space:]]*1' <<<"$OUT" &&
	grep -q 'CapBnd:[[:space:]]*00000000a80425fb' <<<"$OUT" || fail "exec confinement: $OUT"
cgp=$(cat /proc/$(awk -F'"pid":' '{split($2,a,","); print a[1]}' "$HVC_ROOT/containers/$id/state.json")/cgroup | grep memory)
OUT=$("$B" exec web cat /proc/self/cgroup)
ok "exec by name and id prefix: same namespaces, seccomp, no_new_privs, caps"
sleep 0.3
OUT=$("$B" logs web)
expect_contains "$OUT" "started"
OUT=$("$B" stats --no-stream --json web)
expect_contains "$OUT" '"pids"'
OUT=$("$B" inspect web)
expect_contains "$OUT" '"image_digest"'
expect_contains "$OUT" '"running"'
ok "logs, stats --json, inspect (with image_digest)"
"$B" stop -t 5 web >/dev/null || fail "stop"
OUT=$("$B" wait web)
[ "$OUT" = 0 ] || fail "stop: the trap should exit 0 on SIGTERM (signal forwarded by hvc-init), got $OUT"
"$B" logs web | grep -q bye || fail "logs after stop lack 'bye'"
"$B" ps -a | grep web | grep -q 'Exited (0)' || fail "ps -a: $("$B" ps -a)"
ok "stop: SIGTERM forwarded by hvc-init, wait prints 0, ps -a shows Exited (0)"
"$B" rm web >/dev/null || fail "rm"
[ -e "$HVC_ROOT/containers/$id" ] && fail "rm left the dir"
[ -z "$(cg_left "$id")" ] || fail "rm left cgroups: $(cg_left "$id")"
ok "rm removes dir and cgroups"
id=$("$B" run -d busybox sleep 100)
expect_status 1 "$B" rm "$id"
expect_contains "$OUT" "running"
"$B" kill -s TERM "$id" >/dev/null
[ "$("$B" wait "$id")" = 143 ] || fail "kill -s TERM: hvc-init should exit 143"
"$B" rm "$id" >/dev/null
id=$("$B" run -d busybox sleep 100)
"$B" rm -f "$id" >/dev/null || fail "rm -f"
[ -z "$(cg_left "$id")" ] && [ ! -e "$HVC_ROOT/containers/$id" ] || fail "rm -f left something"
ok "kill -s, rm of a running container refused, rm -f"

# --- --rm leaves nothing ----------------------------------------------------------
id=$("$B" run -d --rm busybox sh -c 'echo x >/file; sleep 0.2')
"$B" wait "$id" >/dev/null
for i in $(seq 50); do [ -e "$HVC_ROOT/containers/$id" ] || break; sleep 0.1; done
[ -e "$HVC_ROOT/containers/$id" ] && fail "--rm left its dir"
[ -z "$(cg_left "$id")" ] || fail "--rm left cgroups: $(cg_left "$id")"
[ -z "$(mounts_left)" ] || fail "--rm left mounts: $(mounts_left)"
pgrep -xf "sleep 0.2" >/dev/null && fail "--rm left processes"
"$B" run --rm busybox true
[ -z "$(ls "$HVC_ROOT/containers" | grep '^[0-9a-f]\{64\}$')" ] || fail "foreground --rm left a dir"
ok "--rm: no dir, no cgroup, no mount, no process"

# --- a SIGKILLed hvc is reclaimed ----------------------------------------------------
"$B" run --name victim busybox sleep 1000 >/dev/null 2>&1 &
hvcpid=$!
for i in $(seq 100); do [ -s "$HVC_ROOT/containers/.names/victim" ] || [ -L "$HVC_ROOT/containers/.names/victim" ] && break; sleep 0.05; done
vid=$(readlink "$HVC_ROOT/containers/.names/victim")
for i in $(seq 100); do grep -q running "$HVC_ROOT/containers/$vid/state.json" 2>/dev/null && break; sleep 0.05; done
kill -9 "$hvcpid"; wait "$hvcpid" 2>/dev/null
# The container dies with its hvc (parent-death signal); on a loaded host that
# takes a moment, so poll rather than sleep a fixed time.
for i in $(seq 100); do pgrep -xf "sleep 1000" >/dev/null || break; sleep 0.05; done
pgrep -xf "sleep 1000" >/dev/null && fail "container outlived its killed hvc"
OUT=$("$B" ps -a)
grep victim <<<"$OUT" | grep -q Exited || fail "stale container not reclaimed by ps: $OUT"
[ -z "$(cg_left "$vid")" ] || fail "stale cgroups remain: $(cg_left "$vid")"
OUT=$("$B" system prune -a)
expect_contains "$OUT" "containers: reclaimed"
[ -e "$HVC_ROOT/containers/$vid" ] && fail "system prune -a left the exited container"
[ -z "$(mounts_left)" ] || fail "mounts left: $(mounts_left)"
ok "SIGKILLed hvc: container died with it, next command reclaimed, system prune removed it"
exit 0
