#!/bin/bash
# bench/micro/netcost.sh — what the bridge network adds to a container start,
# in CPU time: `perf stat -e task-clock` (the whole process tree) of
# `hvc run --rm --network none|bridge busybox true`, N rounds of 5 runs of
# each, interleaved; with OLD set (another build of hvc), its two as well,
# in the same rounds. Runs in a network namespace of its own.
# CPU time moves less than wall time on a loaded machine (no hardware
# counters in a VM, so no instruction counts). The wall time of each run
# (bash's EPOCHREALTIME around it, perf's start-up included alike) is
# printed too.
# Env: N (10 rounds), HVC (bin/hvc), OLD (unset), KEEP (a file to keep the
# raw lines in). Usage: bench/micro/netcost.sh (root); `chrt -f 10
# bench/micro/netcost.sh` takes the CPUs from a loaded machine's other
# work, so wall time means something there.
set -u
if [ -z "${HVC_NETCOST_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "netcost: needs root" >&2; exit 77; }
	HVC_NETCOST_NETNS=1 exec unshare --net "$0" "$@"
fi
cd "$(dirname "$0")/../.."
command -v perf >/dev/null || { echo "netcost: perf is not installed" >&2; exit 77; }
ip link set lo up
export HVC_ROOT=$(mktemp -d /tmp/hvc-netcost.XXXXXX) HVC_GUEST_DIR=${HVC_GUEST_DIR:-$PWD/bin}
NEW=${HVC:-$PWD/bin/hvc}
variants=("new none $NEW none" "new bridge $NEW bridge")
[ -n "${OLD:-}" ] && variants+=("old none $OLD none" "old bridge $OLD bridge")
out=$HVC_ROOT/cost.out
"$NEW" run --rm busybox true >/dev/null
for r in $(seq "${N:-10}"); do
	for v in "${variants[@]}"; do
		set -- $v
		for i in 1 2 3 4 5; do
			w0=$EPOCHREALTIME
			t=$(perf stat -x, -e task-clock "$3" run --rm --network "$4" busybox true 2>&1 >/dev/null |
				grep task-clock | cut -d, -f1)
			w1=$EPOCHREALTIME
			echo "$1-$2 $t $(echo "($w1 - $w0) * 1000" | bc -l)"
		done
	done
done >"$out"
python3 - "$out" <<'PY'
import statistics as st, sys
d = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 3:
        d.setdefault(f[0], []).append((float(f[1]), float(f[2])))
for k, v in sorted(d.items()):
    c = sorted(x[0] for x in v)
    w = sorted(x[1] for x in v)
    print(f"{k:12s} n={len(v)} task-clock ms: median {st.median(c):6.2f} p25 {c[len(c)//4]:6.2f} min {c[0]:6.2f}"
          f" | wall ms: median {st.median(w):6.2f} p25 {w[len(w)//4]:6.2f} min {w[0]:6.2f}")
# bridge - none of the same build, paired by round (each round's medians),
# so a slow phase of the machine hits both sides of a difference alike
for b in sorted({k.split('-')[0] for k in d}):
    nb, nn = d.get(b + '-bridge', []), d.get(b + '-none', [])
    rounds = min(len(nb), len(nn)) // 5
    dc = [st.median(x[0] for x in nb[i*5:i*5+5]) - st.median(x[0] for x in nn[i*5:i*5+5]) for i in range(rounds)]
    dw = [st.median(x[1] for x in nb[i*5:i*5+5]) - st.median(x[1] for x in nn[i*5:i*5+5]) for i in range(rounds)]
    if rounds:
        print(f"{b}: bridge - none over {rounds} rounds, median of per-round differences: task-clock {st.median(dc):+.2f} ms, wall {st.median(dw):+.2f} ms")
PY
[ -n "${KEEP:-}" ] && cp "$out" "$KEEP"
"$NEW" system prune -a >/dev/null 2>&1
rm -rf "$HVC_ROOT"
