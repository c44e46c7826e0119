#!/bin/bash
# Load: many hvc processes at once against one HVC_ROOT.
#  1. RUNS concurrent `hvc run --rm busybox true`, ROUNDS times;
#  2. BUILDS concurrent builds: half of one Dockerfile, half of different
#     Dockerfiles sharing their first layers;
#  3. `hvc image rm` and `hvc image prune -a` racing with runs of that image.
# A failure is any non-zero exit that is not a clear, correct refusal (a run
# of an image just removed: "not found"; an rm of an image in use: refused
# while a container uses it). After each part and a `hvc system prune`: no
# container left by --rm, and the leak checks of tests/fault/lib.sh (mounts,
# cgroups, processes, temp files, store fsck). Prints the counts; exits 1 on
# any failure or leak. With a SAN=1 build, ASAN_OPTIONS/UBSAN_OPTIONS send
# reports to $WORK/san.* and any report counts as a failure.
# Usage: load.sh [RUNS [ROUNDS [BUILDS [RACES]]]]   (default 100 3 50 20)
set -u
RUNS=${1:-100}
ROUNDS=${2:-3}
BUILDS=${3:-50}
RACES=${4:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fault/lib.sh"
fault_setup load
export ASAN_OPTIONS="log_path=$WORK/san.asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$WORK/san.ubsan:print_stacktrace=1"
failures=0 leaks=0 refusals=0
mkdir -p "$WORK/out"

# check PART: prune, then count what is left
check() {
	local left
	left=$("$HVC" ps -a -q 2>/dev/null | grep -c . || true)
	"$HVC" system prune >/dev/null 2>&1 || { echo "load: $1: system prune failed"; leaks=$((leaks + 1)); }
	local out n=0
	out=$(leaks_mounts; leaks_cgroups; leaks_procs; leaks_temp; store_ok) || n=$(grep -c '^leak:' <<<"$out")
	[ "$1" = runs ] && [ "$left" -gt 0 ] && { out+=$'\n'"leak: $left container(s) left by --rm"; n=$((n + left)); }
	if [ "$n" -gt 0 ]; then
		echo "load: $1: $n leak(s):"
		sed 's/^/    /' <<<"$out" | head -20
		leaks=$((leaks + n))
	fi
}

# san_scan TEXT: a sanitizer report printed on stderr (UBSan's go there
# under an ASan+UBSan build even with log_path set) counts like a file
san_stderr=0
san_scan() {
	grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' <<<"$1" || return 0
	san_stderr=$((san_stderr + 1))
	echo "load: sanitizer report on stderr:"; grep -m3 -E 'runtime error:|Sanitizer|#[0-3] ' <<<"$1" | sed 's/^/    /'
}

# outcome FILE RC REFUSAL_RE: counts a failure unless rc is 0 or the output is a clear refusal
outcome() {
	[ "$2" -eq 0 ] && return 0
	if [ -n "$3" ] && grep -qE "$3" "$1"; then
		refusals=$((refusals + 1))
		return 0
	fi
	failures=$((failures + 1))
	echo "load: failure (exit $2): $(tail -2 "$1" | tr '\n' ' ')"
}

# wait_all REFUSAL_RE: waits for the background jobs started with bg
declare -A jobfile
bg() {
	local f=$WORK/out/$RANDOM$RANDOM
	"$@" >"$f" 2>&1 &
	jobfile[$!]=$f
}
wait_all() {
	local p rc
	for p in "${!jobfile[@]}"; do
		wait "$p"; rc=$?
		san_scan "$(cat "${jobfile[$p]}")"
		outcome "${jobfile[$p]}" "$rc" "$1"
		rm -f "${jobfile[$p]}"
		unset "jobfile[$p]"
	done
}

"$HVC" image import --busybox >/dev/null || { echo "load: cannot import busybox"; exit 1; }

# ---- 1. concurrent runs ----
s=$(date +%s.%N)
for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 1 "$RUNS"); do bg "$HVC" run --rm busybox true; done
	wait_all ""
done
secs=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
check runs
echo "load: runs: $ROUNDS x $RUNS concurrent 'run --rm busybox true' in ${secs}s; failures $failures, leaks $leaks"

# ---- 2. concurrent builds sharing layers ----
f0=$failures l0=$leaks
for i in $(seq 1 "$BUILDS"); do
	d=$WORK/ctx$i
	mkdir -p "$d"
	if [ $((i % 2)) -eq 0 ]; then
		printf 'FROM busybox\nRUN echo shared >/shared\nRUN echo same >/same\n' >"$d/Dockerfile"
	else
		printf 'FROM busybox\nRUN echo shared >/shared\nRUN echo %s-%s >/own\n' "$TOKEN" "$i" >"$d/Dockerfile"
	fi
done
s=$(date +%s.%N)
for i in $(seq 1 "$BUILDS"); do bg "$HVC" build -t "load-b$i" "$WORK/ctx$i"; done
wait_all ""
secs=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
n=$("$HVC" images -q 2>/dev/null | sort -u | wc -l)
for i in $(seq 1 "$BUILDS"); do
	out=$("$HVC" run --rm "load-b$i" cat /shared 2>&1)
	san_scan "$out"
	[ "$out" = shared ] || { failures=$((failures + 1)); echo "load: load-b$i does not run: $out"; }
done
check builds
echo "load: builds: $BUILDS concurrent in ${secs}s ($n distinct images); failures $((failures - f0)), leaks $((leaks - l0))"

# ---- 3. image rm / prune racing with runs of that image ----
f0=$failures l0=$leaks r0=$refusals
for k in $(seq 1 "$RACES"); do
	printf 'FROM busybox\nRUN echo %s-race-%s >/r\n' "$TOKEN" "$k" >"$WORK/ctx1/Dockerfile"
	"$HVC" build -t victim "$WORK/ctx1" >/dev/null 2>&1 || { failures=$((failures + 1)); continue; }
	for i in 1 2 3 4; do bg "$HVC" run --rm victim cat /r; done
	bg "$HVC" image rm victim
	bg "$HVC" image prune -a
	for i in 1 2; do bg "$HVC" run --rm victim true; done
	wait_all 'image "victim(:latest)?" not found|is (being )?used by|in use|refus'
	"$HVC" image rm -f victim >/dev/null 2>&1
done
check races
echo "load: races: $RACES rounds of 6 runs vs image rm + image prune -a; failures $((failures - f0)), clear refusals $((refusals - r0)), leaks $((leaks - l0))"

san=$san_stderr
for f in "$WORK"/san.*; do
	[ -e "$f" ] || continue
	san=$((san + 1))
	echo "load: sanitizer report $f:"; head -20 "$f" | sed 's/^/    /'
done
echo "load: total failures $failures, leaks $leaks, clear refusals $refusals, sanitizer reports $san"
[ "$failures" -eq 0 ] && [ "$leaks" -eq 0 ] && [ "$san" -eq 0 ]
