#!/bin/bash
# Micro-benchmark of the registry client (issue 14, Speed), with hyperfine,
# against Debian's docker-registry on 127.0.0.1 in a network namespace of
# its own:
#   - pull of a 3-layer ~30 MiB image into an empty store, hvc vs
#     `skopeo copy docker://… oci:…` (hvc also unpacks and checks every layer
#     before naming the image; skopeo only writes the blobs),
#   - push of the same image to an empty repository, hvc vs skopeo,
#   - a second pull of an image already present (one manifest request).
# Results: hyperfine's JSON and markdown in OUT (default
# results/micro-registry-<date>/).
# Usage: bench/micro/registry.sh [OUTDIR]   (HVC_BENCH_RUNS=N, default 10)
set -eu
if [ -z "${HVC_REG_BENCH_NETNS:-}" ]; then
	HVC_REG_BENCH_NETNS=1 exec unshare --net bash "$0" "$@"
fi
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
runs=${HVC_BENCH_RUNS:-10}
out=${1:-results/micro-registry-$(date -u +%Y%m%dT%H%M%SZ)}
for t in hyperfine skopeo docker-registry; do
	command -v $t >/dev/null || { echo "$t not installed (make deps)" >&2; exit 1; }
done
[ -x "$HVC" ] || { echo "$HVC not built (run make)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/hvc-bench-registry.XXXXXX)
ip link set lo up
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
hyperfine --warmup 1 --runs "$runs" -N \
	--prepare "sh -c 'rm -rf $tmp/fresh $tmp/oci; mkdir -p $tmp/fresh; echo '\''$conf'\'' >$tmp/fresh/registries.json'" \
	--export-json "$out/pull.json" --export-markdown "$out/pull.md" \
	-n "hvc pull (empty store)" "env HVC_ROOT=$tmp/fresh $HVC pull -q 127.0.0.1:5000/b/img:1" \
	-n "skopeo copy docker:// oci:" "skopeo copy -q --src-tls-verify=false docker://127.0.0.1:5000/b/img:1 oci:$tmp/oci:img"

hyperfine --warmup 1 --runs "$runs" -N \
	--prepare "rm -rf $repos/p" \
	--export-json "$out/push.json" --export-markdown "$out/push.md" \
	-n "hvc push (empty repository)" "env HVC_ROOT=$src $HVC push -q img:1 127.0.0.1:5000/p/img:1" \
	-n "skopeo copy oci: docker://" "skopeo copy -q --dest-tls-verify=false oci:$tmp/layout:img docker://127.0.0.1:5000/p/img:1"

HVC_ROOT=$tmp/fresh "$HVC" pull -q 127.0.0.1:5000/b/img:1 >/dev/null
hyperfine --warmup 3 --runs $((runs * 3)) -N \
	--export-json "$out/repull.json" --export-markdown "$out/repull.md" \
	-n "hvc pull (image present)" "env HVC_ROOT=$tmp/fresh $HVC pull -q 127.0.0.1:5000/b/img:1"

echo
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for f in pull push repull; do cat "$out/$f.md"; echo; done
echo "results: $out/"
