#!/bin/bash
# kill -9 at any point: loops ITERATIONS times over `hvc build`, `hvc image
# import`, `hvc image load`, `hvc run` (plain, -d, --rm), `hvc exec` and
# (every VM_EVERY-th iteration) `hvc vm run`; kills each after a random delay
# drawn uniformly from 0 to 1.05x that command's own measured duration (the
# window shrinks by a tenth whenever the command had already exited), so the
# kills land in every phase; the phase is the command's last log line
# (--log-level debug) before the kill, digits folded, and the quarter of
# the command's measured duration the kill landed in. After each kill:
# `hvc rm -f` of the loop's containers, `hvc system prune`, then the checks
# of tests/fault/lib.sh — no mount under HVC_ROOT, no cgroup, no process, no
# VM, no new network link, no temp file, `hvc image fsck` clean — and, every
# 10 iterations and at the end, a normal `hvc run` must work.
# Prints per command and phase the kills, and the leaks (must be 0).
# Usage: kill9.sh [ITERATIONS [VM_EVERY]]   (VM_EVERY 0: no VMs)
# Run it inside `unshare --net` (the link check compares against the start).
set -u
ITER=${1:-200}
VM_EVERY=${2:-25}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
fault_setup fault
target=""
fault_cleanup_extra() { [ -n "$target" ] && "$HVC" rm -f "$target" >/dev/null 2>&1; }
die() { echo "fault: $*" >&2; exit 1; }

# ---- set-up: an image, a build context, an import source, an archive ----
"$HVC" image import --busybox >/dev/null || die "import busybox failed"
mkdir -p "$WORK/ctx" "$WORK/src/data"
echo data >"$WORK/ctx/f"
head -c 4M /dev/urandom >"$WORK/src/data/big"
for i in $(seq 1 100); do echo "$i" >"$WORK/src/data/f$i"; done
"$HVC" image import "$WORK/src" fault-src:1 >/dev/null || die "import failed"
"$HVC" image save fault-src:1 -o "$WORK/archive.tar" || die "save failed"
"$HVC" image rm fault-src:1 >/dev/null && "$HVC" image prune >/dev/null
target=$("$HVC" run -d busybox sleep 86400) || die "start the exec target failed"
links=$(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//')
keep_re="$target"
have_vm=0
if [ "$VM_EVERY" -gt 0 ] && "$HVC" vm run --rm --timeout 300 busybox true >/dev/null 2>&1; then
	have_vm=1
fi

# cmd_<name> I: the command line for iteration I (argv in CMD)
prep_build() {
	printf 'FROM busybox\nRUN echo %s-%s >/n && sleep 0.1\nCOPY f /f\n' "$TOKEN" "$1" >"$WORK/ctx/Dockerfile"
	CMD=("$HVC" build -t fault-build "$WORK/ctx")
}
prep_import() {
	echo "$1" >"$WORK/src/iter"
	CMD=("$HVC" image import "$WORK/src" fault-imp:latest)
}
prep_load() {
	"$HVC" image rm fault-src:1 >/dev/null 2>&1
	"$HVC" image prune >/dev/null 2>&1
	CMD=("$HVC" image load -i "$WORK/archive.tar")
}
prep_run() { CMD=("$HVC" run busybox sh -c "echo $TOKEN; sleep 0.05"); }
prep_rund() { CMD=("$HVC" run -d busybox sh -c "sleep 0.3; echo $TOKEN"); }
prep_runrm() { CMD=("$HVC" run --rm busybox sh -c "echo $TOKEN; sleep 0.05"); }
prep_exec() { CMD=("$HVC" exec "$target" sh -c "sleep 0.2; echo $TOKEN"); }
prep_vm() { CMD=("$HVC" vm run --rm --timeout 120 busybox sh -c "echo $TOKEN"); }

# duration of one unkilled run, in ms (the delay is drawn from 0..1.2x this)
measure() {
	"prep_$1" 0
	local s e
	s=$(date +%s%N)
	"${CMD[@]}" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(((e - s) / 1000000))
}

# The phase: the last line the command printed, digits and ids folded.
phase_of() {
	local l
	l=$(grep -v '^$' "$1" | tail -1 | cut -c1-60)
	[ -n "$l" ] || { echo "before any output"; return; }
	sed -E 's/[0-9a-f]{12,}/<id>/g; s/[0-9]+(\.[0-9]+)?/N/g; s/ +$//' <<<"$l"
}

cleanup_iteration() {
	rm_containers "$target"
	"$HVC" system prune >/dev/null 2>&1 || echo "leak: system prune failed"
}

check_all() {
	local n=0
	leaks_mounts "$keep_re"; n=$((n + $?))
	leaks_cgroups "$keep_re"; n=$((n + $?))
	leaks_procs; n=$((n + $?))
	leaks_links "$links"; n=$((n + $?))
	leaks_temp; n=$((n + $?))
	leaks_vms; n=$((n + $?))
	store_ok; n=$((n + $?))
	return $n
}

normal_run_ok() {
	local out
	out=$("$HVC" run --rm busybox echo normal-ok 2>&1)
	[ "$out" = normal-ok ] || { echo "leak: a normal run failed after kills: $out"; return 1; }
}

declare -A dur kills phases quart
cmds=(build import load run rund runrm exec)
for c in "${cmds[@]}"; do dur[$c]=$(measure "$c"); done
[ "$have_vm" = 1 ] && dur[vm]=$(measure vm)
cleanup_iteration
check_all >"$WORK/leaks" || die "leaks before any kill: $(cat "$WORK/leaks")"
echo "fault: durations (ms):$(for c in "${!dur[@]}"; do printf ' %s=%s' "$c" "${dur[$c]}"; done)"

leaks=0 normal_fail=0 missed=0
mkfifo "$WORK/delay" && exec 9<>"$WORK/delay" # never readable: read -t just waits
for i in $(seq 1 "$ITER"); do
	if [ "$have_vm" = 1 ] && [ $((i % VM_EVERY)) -eq 0 ]; then
		c=vm
	else
		c=${cmds[$((RANDOM % ${#cmds[@]}))]}
	fi
	"prep_$c" "$i"
	max=$((dur[$c] * 21 / 20 + 1))
	delay_ms=$((RANDOM * 32768 + RANDOM))
	delay_ms=$((delay_ms % max))
	q=$((delay_ms * 4 / (dur[$c] + 1) + 1))
	[ "$q" -gt 4 ] && q=late
	quart[$c|$q]=$((${quart[$c|$q]:-0} + 1))
	"${CMD[@]:0:1}" --log-level debug "${CMD[@]:1}" >"$WORK/out" 2>&1 &
	pid=$!
	# bash's own timed read: no sleep process to fork, so short delays stay short
	read -r -t "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))" -u 9
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		ph=$(phase_of "$WORK/out")
	else
		wait "$pid" 2>/dev/null
		ph="after exit (not killed)"
		# aim better: the command is quicker than measured (a busy host
		# measured it); shrink its window by a tenth
		dur[$c]=$((dur[$c] * 9 / 10 + 1))
		missed=$((missed + 1))
	fi
	kills[$c]=$((${kills[$c]:-0} + 1))
	key="$c|$ph"
	phases[$key]=$((${phases[$key]:-0} + 1))
	cleanup_iteration
	if ! check_all >"$WORK/leaks"; then
		n=$(grep -c '^leak:' "$WORK/leaks")
		leaks=$((leaks + n))
		echo "fault: iteration $i ($c, killed after ${delay_ms} ms, phase: $ph): $n leak(s)"
		sed 's/^/    /' "$WORK/leaks"
		sed 's/^/    out: /' "$WORK/out" | tail -5
	fi
	if [ $((i % 10)) -eq 0 ] || [ "$i" -eq "$ITER" ]; then
		normal_run_ok || normal_fail=$((normal_fail + 1))
	fi
done

echo "fault: kills per command and phase (phase = last line printed before the kill):"
for k in "${!phases[@]}"; do echo "${phases[$k]}|$k"; done | sort -t'|' -k2,2 -k1,1nr |
	awk -F'|' '{ printf "  %-6s %4d  %s\n", $2, $1, $3 }'
echo "fault: kills per command by when they landed (quarter of the command's measured duration; late: after it):"
for c in "${!kills[@]}"; do
	printf '  %-6s' "$c"
	for q in 1 2 3 4 late; do printf ' q%s=%s' "$q" "${quart[$c|$q]:-0}"; done
	echo
done | sort
echo "fault: $ITER iterations:$(for c in "${!kills[@]}"; do printf ' %s=%s' "$c" "${kills[$c]}"; done); $((ITER - missed)) killed mid-command, $missed had already exited; leaks $leaks; normal runs failed $normal_fail"
[ "$leaks" -eq 0 ] && [ "$normal_fail" -eq 0 ]
