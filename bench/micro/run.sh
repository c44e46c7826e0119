#!/bin/bash
# bench/micro/run.sh — container start-to-exit, three ways, in one hyperfine run
# on the same busybox image:
#   hvc      hvc run --rm busybox true   (overlay, cgroups, seccomp, caps, pivot_root, hvc-init)
#   runc     runc run on the same rootfs exported as an OCI bundle (config from `runc spec`)
#   unshare  unshare --fork --pid --mount --uts --ipc --net + exec of the same busybox binary
#            (the floor: namespaces and one exec, no rootfs, no cgroup, no seccomp)
# crun is tried and its answer recorded (crun 1.8 refuses hybrid cgroup hosts).
# Env: RUNS (default 50), WARMUP (5), OUT (results dir), HVC (binary).
# Usage: bench/micro/run.sh          (root; prints a summary, writes OUT/)
set -eu
cd "$(dirname "$0")/../.."
HVC=${HVC:-$PWD/bin/hvc}
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
OUT=${OUT:-results/micro-$(date -u +%Y%m%dT%H%M%SZ)}
[ "$(id -u)" = 0 ] || { echo "bench/micro: needs root" >&2; exit 77; }
for t in hyperfine runc jq unshare; do
	command -v $t >/dev/null || { echo "bench/micro: $t is not installed (make deps)" >&2; exit 77; }
done
mkdir -p "$OUT"
work=$(mktemp -d /tmp/hvc-micro.XXXXXX)
export HVC_ROOT=${HVC_ROOT:-$work/root}
cleanup() {
	runc --root "$work/runc" delete -f hvc-micro >/dev/null 2>&1 || true
	"$HVC" system prune -a >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# Warm everything that is not start-up: the image exists, its layers are unpacked.
"$HVC" run --rm busybox true
mkdir -p "$work/bundle"
"$HVC" image flatten busybox "$work/bundle/rootfs" >/dev/null
(cd "$work/bundle" && runc spec)
# the same command, no terminal (hyperfine has none)
jq '.process.terminal = false | .process.args = ["true"]' "$work/bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"
runc --root "$work/runc" run -b "$work/bundle" hvc-micro || { echo "bench/micro: runc cannot run the bundle" >&2; exit 1; }

# crun: record what it says on this host
if crun --root "$work/crun" run -b "$work/bundle" hvc-micro-crun >"$work/crun.out" 2>&1; then
	crun_note="crun ran"
	CRUN=(-n crun "crun --root $work/crun run -b $work/bundle hvc-micro-crun")
else
	crun_note="crun refused: $(tail -1 "$work/crun.out")"
	CRUN=()
fi
echo "$crun_note" | tee "$OUT/crun.txt"

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
	--export-json "$OUT/hyperfine.json" --export-markdown "$OUT/hyperfine.md" \
	-n hvc "$HVC run --rm busybox true" \
	-n runc "runc --root $work/runc run -b $work/bundle hvc-micro" \
	"${CRUN[@]}" \
	-n unshare "unshare --fork --pid --mount --uts --ipc --net $work/bundle/rootfs/bin/true"

# Summary: medians and the two ratios the issue sets targets for.
jq -r '
  (.results | map({(.command): .median}) | add) as $m |
  "median ms: " + ([.results[] | "\(.command) \(.median * 1000 | . * 100 | round / 100)"] | join(", ")),
  "hvc/runc: \(($m.hvc / $m.runc) * 100 | round / 100)  (target <= 0.33)",
  "hvc/unshare: \(($m.hvc / $m.unshare) * 100 | round / 100)  (target <= 3)"
' "$OUT/hyperfine.json" | tee "$OUT/summary.txt"
{
	echo "host: $(uname -r), $(nproc) CPUs, cgroups: $("$HVC" info --json 2>/dev/null | jq -r '.cgroups.mode // "?"' 2>/dev/null)"
	echo "runc: $(runc --version | head -1); crun: $(crun --version | head -1)"
	echo "runs: $RUNS (warm-up $WARMUP)"
} >>"$OUT/summary.txt"
echo "results in $OUT"
