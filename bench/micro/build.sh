#!/bin/bash
# Micro-benchmark of `hvc build` (issue 3, Speed): a 5-step Dockerfile on
# busybox built cold (--no-cache: every step runs again, layers re-made) and
# fully cached, with hyperfine. The RUN steps run `true`, so the cold time is
# almost all hvc's own per-step cost (sandbox, overlay, layer tar+gzip,
# cache, commit). Results: hyperfine's JSON and markdown in OUT (default
# results/micro-build-<date>/). Needs root (overlayfs, namespaces).
# Usage: bench/micro/build.sh [OUTDIR]   (HVC_BENCH_RUNS=N, default 20)
set -eu
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
runs=${HVC_BENCH_RUNS:-20}
out=${1:-results/micro-build-$(date -u +%Y%m%dT%H%M%SZ)}
command -v hyperfine >/dev/null || { echo "hyperfine not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$HVC" ] || { echo "$HVC not built (run make)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d /tmp/hvc-bench-build.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export HVC_ROOT=$tmp/root
ctx=$tmp/ctx
mkdir -p "$ctx"
head -c 65536 /dev/urandom >"$ctx/data.bin"
cat >"$ctx/Dockerfile" <<'DF'
FROM busybox
COPY data.bin /data/
RUN true
ENV STAGE=bench
RUN true
DF
"$HVC" build -q -t bench-build "$ctx" >/dev/null # busybox import + cache warm

hyperfine --warmup 2 --runs "$runs" -N \
	--export-json "$out/build.json" --export-markdown "$out/build.md" \
	-n "cold (--no-cache), 5 steps" "$HVC build -q --no-cache -t bench-build $ctx" \
	-n "cached, 5 steps" "$HVC build -q -t bench-build $ctx" \
	-n "hvc --version (process start, the floor)" "$HVC --version"

# The commands' own time for comparison: `true` natively.
hyperfine --warmup 3 --runs "$runs" -N --export-json "$out/true.json" -n "native true" "true" >/dev/null
echo
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "results: $out/build.md"
cat "$out/build.md"
