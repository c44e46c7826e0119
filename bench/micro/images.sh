#!/bin/bash
# Micro-benchmark of the image store (issue 3, Speed), with hyperfine:
#   - importing busybox into a fresh store (layer tar+gzip, blobs, index),
#   - `hvc images` with 1 and with 100 images in the store (index read, every
#     manifest and config read and digest-verified),
#   - unpacking busybox's layer into an empty layer cache (extract + verify).
# Results: hyperfine's JSON and markdown in OUT (default
# results/micro-images-<date>/).
# Usage: bench/micro/images.sh [OUTDIR]   (HVC_BENCH_RUNS=N, default 20)
set -eu
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
runs=${HVC_BENCH_RUNS:-20}
out=${1:-results/micro-images-$(date -u +%Y%m%dT%H%M%SZ)}
command -v hyperfine >/dev/null || { echo "hyperfine not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$HVC" ] || { echo "$HVC not built (run make)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d /tmp/hvc-bench-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# a store with 1 image and one with 100 (busybox + 99 one-layer children)
one=$tmp/one hundred=$tmp/hundred
HVC_ROOT=$one "$HVC" image import --busybox >/dev/null
HVC_ROOT=$hundred "$HVC" image import --busybox >/dev/null
for i in $(seq 1 99); do
	mkdir -p "$tmp/src$i/etc"
	echo "$i" >"$tmp/src$i/etc/n"
	HVC_ROOT=$hundred "$HVC" image import --from busybox "$tmp/src$i" "app$i:v1" >/dev/null
done
[ "$(HVC_ROOT=$hundred "$HVC" images -q | wc -l)" = 100 ] || { echo "expected 100 images" >&2; exit 1; }

hyperfine --warmup 2 --runs "$runs" -N \
	--prepare "rm -rf $tmp/fresh" \
	--export-json "$out/import.json" --export-markdown "$out/import.md" \
	-n "import busybox (fresh store)" "env HVC_ROOT=$tmp/fresh $HVC image import --busybox"

hyperfine --warmup 3 --runs "$runs" -N \
	--export-json "$out/images.json" --export-markdown "$out/images.md" \
	-n "hvc images (1 image)" "env HVC_ROOT=$one $HVC images" \
	-n "hvc images (100 images)" "env HVC_ROOT=$hundred $HVC images" \
	-n "hvc --version (process start, the floor)" "$HVC --version"

hyperfine --warmup 2 --runs "$runs" -N \
	--prepare "rm -rf $one/layers" \
	--export-json "$out/unpack.json" --export-markdown "$out/unpack.md" \
	-n "unpack busybox layer (empty cache)" "env HVC_ROOT=$one $HVC image unpack busybox"

echo
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for f in import images unpack; do cat "$out/$f.md"; echo; done
echo "results: $out/"
