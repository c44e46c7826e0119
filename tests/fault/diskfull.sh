#!/bin/bash
# The disk full: HVC_ROOT on a small tmpfs, filled (fallocate, a file outside
# hvc's directories) until what remains is too little for an import, a build
# (a RUN that cannot write; a RUN whose layer cannot be written), a run's
# writes, and a start on a completely full disk. Each must fail with a clear
# error (`hvc: ...` naming "No space left on device", or the command's own
# ENOSPC), leave nothing half-written (no temp file, no new blob, no image,
# no container, mount or cgroup once pruned; `hvc image fsck` clean), and
# everything must work again once the space is freed.
# Usage: diskfull.sh   (root; prints one line per case, exits 1 on a failure)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
fault_setup diskfull
SIZE_MB=${DISKFULL_MB:-64}
mkdir -p "$HVC_ROOT"
fault_cleanup_late() { umount "$HVC_ROOT" 2>/dev/null; }
mount -t tmpfs -o size=${SIZE_MB}m hvc-diskfull "$HVC_ROOT" || { echo "skip: cannot mount a tmpfs here"; exit 77; }
failures=0
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

# fill_to KB: leaves about KB kilobytes free on HVC_ROOT's file system
fill_to() {
	rm -f "$HVC_ROOT/filler"
	local avail
	avail=$(df -k --output=avail "$HVC_ROOT" | tail -1 | tr -d ' ')
	[ "$avail" -gt "$1" ] && fallocate -l $(((avail - $1) * 1024)) "$HVC_ROOT/filler"
}
unfill() { rm -f "$HVC_ROOT/filler"; }
blobs() { find "$HVC_ROOT/images/blobs" -type f | sort; }

# after CASE: prune, then nothing may be left
after() {
	rm_containers
	"$HVC" system prune >/dev/null 2>&1 || bad "$1: system prune failed on a full disk"
	local out n=0
	out=$(leaks_mounts; leaks_cgroups; leaks_procs; leaks_temp; store_ok) || n=1
	[ "$n" -eq 0 ] || bad "$1: left behind: $out"
}
# clear_error CASE OUTPUT: one "hvc: " line that says the disk is full
clear_error() {
	grep -q '^hvc: .*No space left on device' <<<"$2" ||
		bad "$1: no clear ENOSPC error; output: $(tail -3 <<<"$2")"
}

"$HVC" image import --busybox >/dev/null || { echo "FAIL: busybox import on an empty tmpfs"; exit 1; }
base_blobs=$(blobs)

# ---- import larger than the space left ----
mkdir -p "$WORK/src"
head -c 24M /dev/urandom >"$WORK/src/big"
fill_to 12288
out=$("$HVC" image import "$WORK/src" big:1 2>&1) && bad "import: succeeded on a full disk"
clear_error import "$out"
[ "$(blobs)" = "$base_blobs" ] || bad "import: blobs were added: $(comm -13 <(echo "$base_blobs") <(blobs) | tr '\n' ' ')"
"$HVC" image ls -q 2>/dev/null | grep -q . || bad "import: the store lost its images"
after import
unfill
"$HVC" image import "$WORK/src" big:1 >/dev/null 2>&1 || bad "import: fails after space was freed"
"$HVC" image rm big:1 >/dev/null 2>&1; "$HVC" image prune >/dev/null 2>&1
echo "disk full: import: done"

# ---- build: a RUN that cannot write, and a layer that cannot be written ----
mkdir -p "$WORK/ctx"
printf 'FROM busybox\nRUN dd if=/dev/zero of=/big bs=1M count=30 && echo %s\n' "$TOKEN" >"$WORK/ctx/Dockerfile"
fill_to 12288
out=$("$HVC" build -t full:1 "$WORK/ctx" 2>&1) && bad "build (RUN writes): succeeded on a full disk"
grep -q 'No space left on device' <<<"$out" || bad "build (RUN writes): ENOSPC not shown: $(tail -3 <<<"$out")"
grep -q '^hvc: build' <<<"$out" || bad "build (RUN writes): no hvc: build error: $(tail -3 <<<"$out")"
after "build (RUN writes)"
printf 'FROM busybox\nRUN head -c 9000000 /dev/urandom >/big && echo %s\n' "$TOKEN" >"$WORK/ctx/Dockerfile"
fill_to 14336
out=$("$HVC" build -t full:1 "$WORK/ctx" 2>&1) && bad "build (layer): succeeded on a full disk"
clear_error "build (layer)" "$out"
"$HVC" image ls 2>/dev/null | grep -q '^full ' && bad "build (layer): full:1 was tagged"
after "build (layer)"
unfill
"$HVC" build -t full:1 "$WORK/ctx" >/dev/null 2>&1 || bad "build: fails after space was freed"
"$HVC" image rm full:1 >/dev/null 2>&1; "$HVC" image prune >/dev/null 2>&1
echo "disk full: build: done"

# ---- a run's writes, and a start on a full disk ----
fill_to 4096
out=$("$HVC" run --rm busybox sh -c "dd if=/dev/zero of=/fill bs=1M count=64; echo $TOKEN" 2>&1)
grep -q 'No space left on device' <<<"$out" || bad "run writes: the command did not see ENOSPC: $(tail -3 <<<"$out")"
after "run writes"
fill_to 0
out=$("$HVC" run busybox echo started 2>&1)
rc=$?
full_msg=$(head -1 <<<"$out")
if [ "$rc" -ne 0 ]; then
	clear_error "run on a full disk" "$out"
elif [ "$out" != started ]; then
	bad "run on a full disk: exit 0 but output: $out"
fi
after "run on a full disk"
unfill
out=$("$HVC" run --rm busybox echo ok 2>&1)
[ "$out" = ok ] || bad "run: fails after space was freed: $out"
after "after freeing space"
echo "disk full: run: done (start on a full disk: exit $rc: $full_msg)"

echo "disk full: $failures failure(s)"
[ "$failures" -eq 0 ]
