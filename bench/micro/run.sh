#!/bin/bash
# bench/micro/run.sh — container start-to-exit, three ways, in one hyperfine run
# on the same busybox image:
#   hvc      hvc run --rm busybox true   (overlay, cgroups, seccomp, caps, pivot_root, hvc-init;
#            on the default bridge network: a lease, a veth pair on hvc0)
#   hvc-none the same with --network none (an empty network namespace, as runc's)
#   runc     runc run on the same rootfs exported as an OCI bundle (config from `runc spec`)
#   unshare  unshare --fork --pid --mount --uts --ipc --net + exec of the same busybox binary
#            (the floor: namespaces and one exec, no rootfs, no cgroup, no seccomp)
# crun is tried and its answer recorded (crun 1.8 refuses hybrid cgroup hosts).
# The runs are split into ROUNDS hyperfine invocations, each timing all three
# in turn, so a change of load on this shared machine hits every contender
# alike instead of biasing whichever block it fell on; medians and ratios are
# taken over the runs of all rounds together (hyperfine's per-run "times").
# Env: RUNS (default 50, per contender), ROUNDS (5), WARMUP (5), OUT (results
# dir), HVC (binary).
# Usage: bench/micro/run.sh          (root; prints a summary, writes OUT/)
set -eu
cd "$(dirname "$0")/../.."
HVC=${HVC:-$PWD/bin/hvc}
RUNS=${RUNS:-50}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-5}
OUT=${OUT:-results/micro-$(date -u +%Y%m%dT%H%M%SZ)}
[ "$(id -u)" = 0 ] || { echo "bench/micro: needs root" >&2; exit 77; }
# hvc's default bridge network (hvc0, its veths and nftables table) lives
# and dies in a network namespace of this run's own
if [ -z "${HVC_MICRO_NETNS:-}" ] && unshare --net true 2>/dev/null; then
	HVC_MICRO_NETNS=1 exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$0" "$@"
fi
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
# The set-up above wrote megabytes (image, layers, the flattened bundle);
# their writeback would otherwise run during the first rounds and slow
# whichever contender touches the disk most (hvc's state dir, runc's).
sync

per_round=$(((RUNS + ROUNDS - 1) / ROUNDS))
[ "$per_round" -ge 2 ] || per_round=2 # hyperfine needs two runs for its statistics
for r in $(seq "$ROUNDS"); do
	hyperfine -N --warmup "$WARMUP" --runs "$per_round" --style none \
		--export-json "$OUT/hyperfine-$r.json" --export-markdown "$OUT/hyperfine-$r.md" \
		-n hvc "$HVC run --rm busybox true" \
		-n hvc-none "$HVC run --rm --network none busybox true" \
		-n runc "runc --root $work/runc run -b $work/bundle hvc-micro" \
		"${CRUN[@]}" \
		-n unshare "unshare --fork --pid --mount --uts --ipc --net $work/bundle/rootfs/bin/true"
done
# all rounds' runs per command, then the summary: medians and the two ratios
# the issue sets targets for
jq -s '{rounds: length, results: [map(.results[]) | group_by(.command)[] |
	{command: .[0].command, times: (map(.times[]) | sort)} |
	.median = (.times | if length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end) |
	.mean = (.times | add / length)]}' "$OUT"/hyperfine-*.json >"$OUT/hyperfine.json"
jq -r '
  (.results | map({(.command): .median}) | add) as $m |
  "median ms over \(.results[0].times | length) runs in \(.rounds) rounds: " +
    ([.results[] | "\(.command) \(.median * 1000 | . * 100 | round / 100)"] | join(", ")),
  "hvc/runc: \(($m.hvc / $m.runc) * 100 | round / 100)  (target <= 0.33)",
  "hvc/unshare: \(($m.hvc / $m.unshare) * 100 | round / 100)  (target <= 3)",
  "hvc (bridge) - hvc-none: \(($m.hvc - $m["hvc-none"]) * 1000 * 100 | round / 100) ms  (target <= 1.5)"
' "$OUT/hyperfine.json" | tee "$OUT/summary.txt"
{
	echo "host: $(uname -r), $(nproc) CPUs, cgroups: $("$HVC" info --json 2>/dev/null | jq -r '.cgroups.mode // "?"' 2>/dev/null)"
	echo "runc: $(runc --version | head -1); crun: $(crun --version | head -1)"
	echo "runs: $RUNS per contender in $ROUNDS rounds (warm-up $WARMUP per round)"
} >>"$OUT/summary.txt"
# Where hvc's time goes: its own per-phase clock (hvc_ctr_start/hvc_ctr_wait,
# ms since the runtime was called — the dynamic loader and image lookup come
# before that) and the loader alone (`hvc --version`).
for i in $(seq "$RUNS"); do
	"$HVC" --log-level debug run --rm --ready busybox true 2>&1 | grep -E 'resolved in|timings' | tr '\n' ' '
	echo
done >"$OUT/phases.txt"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/loader.json" -n loader "$HVC --version" >/dev/null
median_of() { # key: median of "key N" over phases.txt
	grep -o "$1 [0-9.]*" "$OUT/phases.txt" | awk '{print $NF}' | sort -n |
		awk '{a[NR] = $1} END { if (NR) printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
line="hvc phases, median ms: image lookup $(median_of 'resolved in'); since hvc_ctr_start:"
for k in prepared cgroup cloned rootfs exec ready exited torn-down; do line="$line $k $(median_of "$k")"; done
echo "$line" | tee -a "$OUT/summary.txt"
jq -r '"dynamic loader (hvc --version) median ms: \(.results[0].median * 1000 | . * 100 | round / 100)"' "$OUT/loader.json" |
	tee -a "$OUT/summary.txt"
echo "results in $OUT"
