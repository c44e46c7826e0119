#!/bin/bash
# Micro-benchmark of the registry client (issue 14, Speed), in interleaved
# rounds (each command once per round, the order rotating), against Debian's docker-registry on 127.0.0.1 in a network namespace of
# its own:
#   - pull of a 3-layer ~30 MiB image into an empty store, hvc vs
#     `skopeo copy docker://… oci:…` (hvc also unpacks and checks every layer
#     before naming the image; skopeo only writes the blobs),
#   - push of the same image to an empty repository, hvc vs skopeo,
#   - a second pull of an image already present (one manifest request),
#   - a push to a new repository whose layers the registry has in another
#     one (cross-repository mounts), hvc vs skopeo.
# Results: JSON (every run's wall and CPU time) and a markdown table per case
# in OUT (default results/micro-registry-<date>/).
# skopeo runs with an empty blob-info cache (a tmpfs over its cache directory,
# in a mount namespace of the benchmark's own, wiped before every skopeo run):
# with the cache its pull fills, skopeo's push mounts every layer from the
# pulled repository (POST ?mount=…&from=b/img) and uploads no layer at all,
# while hvc uploads them; both now upload everything.
# Usage: bench/micro/registry.sh [OUTDIR]   (HVC_BENCH_RUNS=N rounds, default 10;
#   HVC_BIN_BEFORE=path/to/older/hvc adds it to the same rounds)
set -eu
if [ -z "${HVC_REG_BENCH_NETNS:-}" ]; then
	HVC_REG_BENCH_NETNS=1 exec unshare --net --mount bash "$0" "$@"
fi
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
runs=${HVC_BENCH_RUNS:-10}
out=${1:-results/micro-registry-$(date -u +%Y%m%dT%H%M%SZ)}
for t in python3 skopeo docker-registry; do
	command -v $t >/dev/null || { echo "$t not installed (make deps)" >&2; exit 1; }
done
[ -x "$HVC" ] || { echo "$HVC not built (run make)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/hvc-bench-registry.XXXXXX)
ip link set lo up
# skopeo's blob-info cache (root: /var/lib/containers/cache), private to this run
cache=/var/lib/containers/cache
mkdir -p "$cache"
mount -t tmpfs -o mode=0700 hvc-bench-skopeo-cache "$cache"
nocache="rm -rf $cache/*"
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/store}}\nhttp: {addr: 127.0.0.1:5000}\n' "$tmp" >"$tmp/config.yml"
docker-registry serve "$tmp/config.yml" >"$tmp/registry.log" 2>&1 &
reg=$!
trap 'kill $reg; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do bash -c 'exec 3<>/dev/tcp/127.0.0.1/5000' 2>/dev/null && break; sleep 0.1; done
conf='{"insecure-registries":["127.0.0.1:5000"]}'

# the image: busybox plus two layers of 14 MiB of incompressible data
src=$tmp/src
mkdir -p "$src" "$tmp/l2/d" "$tmp/l3/d"
echo "$conf" >"$src/registries.json"
head -c $((14 << 20)) /dev/urandom >"$tmp/l2/d/a"
head -c $((14 << 20)) /dev/urandom >"$tmp/l3/d/b"
HVC_ROOT=$src "$HVC" image import --busybox >/dev/null
HVC_ROOT=$src "$HVC" image import --from busybox "$tmp/l2" mid:1 >/dev/null
HVC_ROOT=$src "$HVC" image import --from mid:1 "$tmp/l3" img:1 >/dev/null
HVC_ROOT=$src "$HVC" push -q img:1 127.0.0.1:5000/b/img:1 >/dev/null
skopeo copy -q "oci:$src/images:img:1" "oci:$tmp/layout:img"
echo "image: $(du -sh "$src/images/blobs" | cut -f1) of blobs, 3 layers"

repos=$tmp/store/docker/registry/v2/repositories
# rounds CASE NAME1 PREP1 CMD1 [NAME2 PREP2 CMD2 ...]: every command once per
# round, the order rotating between rounds (A B, B A, ...) so that a change
# in the host's load hits both sides; wall time and the child's CPU time
# (user + sys, from wait4) per run; medians, and the median of the
# per-round ratios to the first command.
rounds() {
	python3 - "$out" "$runs" "$@" <<'PY'
import json, os, statistics, subprocess, sys, time
out, runs, case, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
cmds = [rest[i:i + 3] for i in range(0, len(rest), 3)]
res = {n: {"wall_ms": [], "cpu_ms": []} for n, _, _ in cmds}
def run(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL)
    _, st, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit("failed: " + cmd)
    return (time.monotonic() - t0) * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3
for r in range(runs + 1):  # round 0 is a warm-up, not recorded
    order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
    for name, prep, cmd in order:
        if prep:
            subprocess.run(prep, shell=True, check=True)
        w, c = run(cmd)
        if r:
            res[name]["wall_ms"].append(w)
            res[name]["cpu_ms"].append(c)
first = cmds[0][0]
lines = ["| %s | median wall ms | min | max | median CPU ms | wall ratio to first (median of rounds) |" % case,
         "|:---|---:|---:|---:|---:|---:|"]
for name, _, _ in cmds:
    w, c = res[name]["wall_ms"], res[name]["cpu_ms"]
    ratio = statistics.median(a / b for a, b in zip(w, res[first]["wall_ms"]))
    res[name]["ratio_to_first"] = ratio
    lines.append("| %s | %.1f | %.1f | %.1f | %.1f | %.2f |" % (
        name, statistics.median(w), min(w), max(w), statistics.median(c), ratio))
res["_load"] = open("/proc/loadavg").read().split()[:3]
json.dump(res, open(os.path.join(out, case + ".json"), "w"), indent=1)
open(os.path.join(out, case + ".md"), "w").write("\n".join(lines) + "\n")
PY
}

B=${HVC_BIN_BEFORE:-}  # optional: an older hvc measured in the same rounds
fresh="rm -rf $tmp/fresh; mkdir -p $tmp/fresh; echo '$conf' >$tmp/fresh/registries.json"
pull_args=("hvc pull (empty store)" "$fresh" "env HVC_ROOT=$tmp/fresh $HVC pull -q 127.0.0.1:5000/b/img:1"
	"skopeo copy docker:// oci:" "rm -rf $tmp/oci; $nocache" "skopeo copy -q --src-tls-verify=false docker://127.0.0.1:5000/b/img:1 oci:$tmp/oci:img")
[ -n "$B" ] && pull_args+=("hvc-before pull (empty store)" "$fresh" "env HVC_ROOT=$tmp/fresh $B pull -q 127.0.0.1:5000/b/img:1")
rounds pull "${pull_args[@]}"

push_args=("hvc push (empty repository)" "rm -rf $repos/p" "env HVC_ROOT=$src $HVC push -q img:1 127.0.0.1:5000/p/img:1"
	"skopeo copy oci: docker://" "rm -rf $repos/p; $nocache" "skopeo copy -q --dest-tls-verify=false oci:$tmp/layout:img docker://127.0.0.1:5000/p/img:1")
[ -n "$B" ] && push_args+=("hvc-before push (empty repository)" "rm -rf $repos/p" "env HVC_ROOT=$src $B push -q img:1 127.0.0.1:5000/p/img:1")
rounds push "${push_args[@]}"

# where a first pull's time goes: `hvc pull --trace` says how long the layer
# downloads took (the part skopeo's copy also does, with the config and the
# manifest before it) and how much later the commits and unpacks ended
python3 - "$out" "$runs" "$fresh" "env HVC_ROOT=$tmp/fresh $HVC pull --trace -q 127.0.0.1:5000/b/img:1" <<'PY'
import re, statistics, subprocess, sys, time
out, runs, prep, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = []
for _ in range(runs):
    subprocess.run(prep, shell=True, check=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True)
    wall = (time.monotonic() - t0) * 1e3
    m = re.search(r"layers downloaded in ([0-9.]+) ms, committed and unpacked ([0-9.]+) ms later", p.stderr)
    rows.append((wall, float(m.group(1)), float(m.group(2))))
med = [statistics.median(r[i] for r in rows) for i in range(3)]
open(out + "/phases.md", "w").write(
    "| hvc pull phases (median of %d) | ms |\n|:---|---:|\n"
    "| whole command | %.1f |\n| layer downloads (parallel) | %.1f |\n"
    "| commits + unpacking after the last download | %.1f |\n"
    "| the rest: start, manifest, config, naming | %.1f |\n"
    % (runs, med[0], med[1], med[2], med[0] - med[1] - med[2]))
PY

HVC_ROOT=$tmp/fresh "$HVC" pull -q 127.0.0.1:5000/b/img:1 >/dev/null
repull_args=("hvc pull (image present)" "" "env HVC_ROOT=$tmp/fresh $HVC pull -q 127.0.0.1:5000/b/img:1")
[ -n "$B" ] && repull_args+=("hvc-before pull (image present)" "" "env HVC_ROOT=$tmp/fresh $B pull -q 127.0.0.1:5000/b/img:1")
runs=$((runs * 3)) rounds repull "${repull_args[@]}"

# a push whose layers are in another repository of the registry: both
# clients mount them (hvc knows it from the image's name, pulled from b/img;
# skopeo from its blob-info cache, filled by a pull from b/img in the prep)
mount_args=("hvc push (layers mounted from b/img)" "rm -rf $repos/m" "env HVC_ROOT=$tmp/fresh $HVC push -q 127.0.0.1:5000/b/img:1 127.0.0.1:5000/m/img:1"
	"skopeo copy oci: docker:// (mounted)" "rm -rf $repos/m $tmp/oci; $nocache; skopeo copy -q --src-tls-verify=false docker://127.0.0.1:5000/b/img:1 oci:$tmp/oci:img" "skopeo copy -q --dest-tls-verify=false oci:$tmp/layout:img docker://127.0.0.1:5000/m/img:1")
[ -n "$B" ] && mount_args+=("hvc-before push (layers mounted from b/img)" "rm -rf $repos/m" "env HVC_ROOT=$tmp/fresh $B push -q 127.0.0.1:5000/b/img:1 127.0.0.1:5000/m/img:1")
rounds push-mount "${mount_args[@]}"

echo
echo "load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for f in pull phases push push-mount repull; do cat "$out/$f.md"; echo; done
echo "results: $out/"
