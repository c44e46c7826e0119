#!/bin/bash
# What --trace costs when it is off (docs/trace.md): `hvc run --rm busybox true`
# built twice from this tree — as usual (trace points compiled in, tracing
# off) and with -DHVC_NO_TRACE (every trace point compiled out) — then
#  1. wall time, the two binaries interleaved in a random order per round,
#     with the paired difference's median and a bootstrap 95% CI;
#  2. callgrind instruction counts of the parent process, total and in
#     hvc's own code (ld.so and libc paths vary from run to run). valgrind
#     3.19 does not implement clone3 (ENOSYS), so under it the start stops
#     at the clone and undoes itself: the count covers the parent's path up
#     to the clone (image lookup, state, seccomp, mounts plan, cgroups) and
#     the undo — the child cannot be counted by valgrind either way;
#  3. what the start path imports from shared libraries, compared.
# The two binaries sit at paths of the same length (the loader's string
# compares differ otherwise). Needs root; valgrind for step 2 (skipped
# without). Usage: bench/micro/trace-cost.sh [ROUNDS] (default 300)
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-300}
tmp=$(mktemp -d /tmp/hvc-trace-cost.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/A" "$tmp/B" "$tmp/root"
make -s -j2 BUILD="$tmp/build" CC="${CC:-gcc} -DHVC_NO_TRACE" bin/hvc >/dev/null
cp bin/hvc "$tmp/B/hvc"
make -s -j2 bin/hvc >/dev/null
cp bin/hvc "$tmp/A/hvc"
export HVC_ROOT="$tmp/root" HVC_GUEST_DIR="$PWD/bin"
"$tmp/A/hvc" image import --busybox >/dev/null
"$tmp/A/hvc" run --rm busybox true
echo "A = trace compiled in, off; B = -DHVC_NO_TRACE; load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$tmp/A/hvc" "$tmp/B/hvc" "$rounds" <<'PY'
import random, statistics, subprocess, sys, time
a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = {a: [], b: []}
for i in range(n + 5):
    order = [a, b]
    random.shuffle(order)
    for binp in order:
        s = time.perf_counter_ns()
        subprocess.run([binp, "run", "--rm", "busybox", "true"], check=True)
        if i >= 5:
            t[binp].append((time.perf_counter_ns() - s) / 1e6)
d = [x - y for x, y in zip(t[a], t[b])]
boot = sorted(statistics.median(random.choices(d, k=len(d))) for _ in range(2000))
for name, binp in (("A", a), ("B", b)):
    v = t[binp]
    print(f"wall {name}: median {statistics.median(v):.3f} ms, mean {statistics.mean(v):.3f} ms, n={len(v)}")
print(f"wall A-B paired: median {statistics.median(d):+.3f} ms, 95% CI [{boot[50]:+.3f}, {boot[1949]:+.3f}] ms")
PY
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v valgrind >/dev/null; then
	for i in 1 2 3 4 5; do
		for v in A B; do
			valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$v.$i" "$tmp/$v/hvc" run --rm busybox true \
				>/dev/null 2>&1 || true # (exits 125: see above)
		done
	done
	python3 - "$tmp" <<'PY'
import re, statistics, subprocess, sys
tmp = sys.argv[1]
def counts(f):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", f], capture_output=True, text=True).stdout
    total = int(re.search(r"^([\d,]+) .*PROGRAM TOTALS", out, re.M).group(1).replace(",", ""))
    own = sum(int(m.group(1).replace(",", "")) for m in
              re.finditer(r"^\s*([\d,]+)\s+\([^)]*\)\s+\S+\s+\[(\S+/hvc)\]", out, re.M))
    return total, own
for v in "AB":
    c = [counts(f"{tmp}/cg.{v}.{i}") for i in range(1, 6)]
    print(f"callgrind {v}: total median {statistics.median(x[0] for x in c):,.0f} "
          f"(range {min(x[0] for x in c):,}-{max(x[0] for x in c):,}), hvc's own code {sorted(set(x[1] for x in c))}")
PY
fi
diff <(nm -D --undefined-only "$tmp/A/hvc" | awk '{print $2}' | sort) \
	<(nm -D --undefined-only "$tmp/B/hvc" | awk '{print $2}' | sort) >/dev/null &&
	echo "imports: identical" || echo "imports: differ"
