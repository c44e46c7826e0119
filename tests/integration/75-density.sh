#!/bin/bash
# hvc bench density and hvc plan end to end: a 1,2-step sweep per available
# backend (containers always here; VMs when the VM driver is in this build),
# then proof that teardown is complete (no container in `hvc ps -a`, no cgroup,
# no mount under this test's root, no domain, no supervisor); an instance
# killed mid-sweep is reported at its step; SIGTERM tears down; bad input is
# refused before anything starts. Short on purpose: VMs boot ~2 s under TCG.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (containers)"
command -v gnuplot >/dev/null || skip "gnuplot not installed"
command -v python3 >/dev/null || skip "python3 not installed (json checks)"
B="$HVC"
on_exit 'for d in "$HVC_ROOT"/containers/*/; do [ -d "$d" ] && "$B" rm -f "$(basename "$d")"; done'

ids_of() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["backends"]:
    for s in b.get("steps", []):
        for i in s["instances"]:
            if i.get("id"): print(i["id"])' "$1/density.json"; }
torn_down() { # DIR: everything the sweep started is gone
	local dir=$1 id
	expect_status 0 "$B" ps -a
	[ "$(wc -l <<<"$OUT")" -le 1 ] || fail "containers left after the sweep: $OUT"
	grep -qF "$HVC_ROOT" /proc/self/mountinfo && fail "mounts left under $HVC_ROOT: $(grep -F "$HVC_ROOT" /proc/self/mountinfo)"
	for id in $(ids_of "$dir"); do
		ls -d /sys/fs/cgroup/*/hvc/*"$id" /sys/fs/cgroup/unified/hvc/*"$id" 2>/dev/null | grep -q . &&
			fail "cgroup left for container $id"
	done
	# instance names carry the sweep's pid: other hvc runs on this host (other
	# test suites) have their own and are not ours to judge
	local prefix
	prefix=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["backends"]:
    for s in b.get("steps", []):
        for i in s["instances"]:
            print(i["name"].rsplit("-", 2)[0] + "-"); sys.exit(0)' "$dir/density.json")
	if [ -n "$prefix" ] && pgrep -f "$prefix" >/dev/null; then
		fail "a supervisor, container or QEMU is left: $(pgrep -af "$prefix" | cut -c1-200)"
	fi
	if [ -d "$HVC_ROOT/vms" ]; then
		[ -z "$(ls -A "$HVC_ROOT/vms")" ] || fail "VM state left: $(ls "$HVC_ROOT/vms")"
	fi
	pgrep -f "qemu.*$HVC_ROOT/" >/dev/null && fail "a QEMU is left: $(pgrep -af "qemu.*$HVC_ROOT/" | cut -c1-200)"
	return 0
}

# --- bad input: refused before anything starts ------------------------------
expect_status 2 "$B" bench density --steps 2,1
expect_contains "$OUT" "must increase"
expect_status 2 "$B" bench density --steps 1,1
expect_status 2 "$B" bench density --budget 100000g
expect_contains "$OUT" "larger than this host"
expect_status 2 "$B" bench density --workload bogus
expect_status 2 "$B" bench density --backends container,lxc
expect_status 2 "$B" bench density --quick --workload cpu
expect_status 2 "$B" bench density --instance-mem 1m
expect_status 1 "$B" bench density --backends container --image nosuch:v9 --out "$TEST_TMP/bad"
expect_contains "$OUT" "nosuch"
expect_status 0 "$B" ps -a
[ "$(wc -l <<<"$OUT")" -le 1 ] || fail "a container was started for a bad image: $OUT"
expect_status 2 "$B" plan --host-mem 64g --host-cores 8
expect_status 2 "$B" plan --from "$TEST_TMP" --host-mem lots --host-cores 8
expect_status 1 "$B" plan --from "$TEST_TMP/none" --host-mem 64g --host-cores 8
ok "bad input refused with clear errors, nothing started"

# --- a 1,2-step sweep per backend ------------------------------------------
BACKENDS=container
if "$B" vm --help >/dev/null 2>&1; then
	BACKENDS=container,vm
else
	echo "note: VM side skipped: the VM driver (hvc vm) is not in this build"
fi
D="$TEST_TMP/sweep"
# the VM side gets the default local URI explicitly: --connect is passed through
expect_status 0 "$B" bench density --backends "$BACKENDS" --steps 1,2 --out "$D" --no-progress \
	--connect "qemu:///embed?root=$HVC_ROOT/libvirt"
for f in density.json results.json results.csv report.md density-memory.png density-memory.svg density-memory.gp \
	density-startup.png density-startup.svg density-startup.gp \
	density-phases.png density-phases.svg density-phases.gp density-phases.dat; do
	[ -s "$D/$f" ] || fail "$f missing or empty"
done
python3 - "$D/density.json" "$BACKENDS" <<'PY' || fail "density.json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "hvc-density-results" and d["schema_version"] == 1
assert d["host"] and d["memory"]["mem_total_bytes"] > 0 and "run_before" in d["ksm"]
for name in sys.argv[2].split(","):
    b = [x for x in d["backends"] if x["name"] == name][0]
    if not b["available"]:
        print(f"  {name}: not available: {b['reason']}"); continue
    ns = [s["n"] for s in b["steps"]]
    assert ns == [1, 2], (name, ns)
    for s in b["steps"]:
        assert not s["failures"], s["failures"]
        assert s["running"] == s["n"] and s["slowest_ready_ms"] > 0, s
        assert s["pss_sum_bytes"] > 0 and s["rss_sum_bytes"] >= s["pss_sum_bytes"], s
        assert "host_used_bytes" in s and "marginal_host_bytes" in s
    assert b["cost"]["slope_bytes"] > 0, b["cost"]
    assert b["fits"]["expected"] > 0, b["fits"]
    print(f"  {name}: N=2 PSS {b['steps'][1]['pss_sum_bytes']/2**20:.1f} MiB, "
          f"slowest READY {b['steps'][1]['slowest_ready_ms']:.0f} ms, fits {b['fits']['expected']}")
PY
grep -q "## Fits on this host" "$D/report.md" || fail "report has no 'Fits on this host' section"
grep -qF "](density-phases.png)" "$D/report.md" || fail "report does not show the phase chart"
# the phase chart: per backend that ran, segments in time order ending at the
# median READY of the first step's instances (density.json)
python3 - "$D/density.json" "$D/density-phases.dat" <<'PY' || fail "density-phases.dat does not match density.json"
import json, shlex, statistics, sys
d = json.load(open(sys.argv[1]))
bars = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    y, lo, hi, _colour, backend, phase = shlex.split(line)
    bars.setdefault(backend, []).append((float(lo), float(hi), phase))
for b in d["backends"]:
    if not b["available"] or not b.get("steps"):
        continue
    segs = bars[b["name"]]
    assert all(lo < hi for lo, hi, _ in segs), segs
    assert all(a[1] == b2[0] for a, b2 in zip(segs, segs[1:])), segs
    ready = statistics.median(i["ready_ms"] for i in b["steps"][0]["instances"] if "ready_ms" in i)
    assert segs[-1][2] == "READY" and abs(segs[-1][1] - ready) <= 1e-3 * ready, (segs, ready)
    print(f"  phase chart: {b['name']}: " + ", ".join(f"{p} {hi:.1f} ms" for _, hi, p in segs))
PY
expect_status 0 "$B" bench validate "$D"
cp "$D/report.md" "$TEST_TMP/report.before"
rm -f "$D"/report.md "$D"/*.png "$D"/*.svg "$D"/*.gp "$D"/results.json
expect_status 0 "$B" bench density --report "$D"
[ -s "$D/density-memory.png" ] && [ -s "$D/results.json" ] || fail "--report did not regenerate charts/results.json"
cmp -s "$D/report.md" "$TEST_TMP/report.before" || fail "regenerated report differs: $(diff "$TEST_TMP/report.before" "$D/report.md" | head -5)"
torn_down "$D"
ok "1,2-step sweep ($BACKENDS): results, charts, report; teardown complete"

expect_status 0 "$B" plan --from "$D" --host-mem 64g --host-cores 16 --headroom 20
expect_contains "$OUT" "EXTRAPOLATION"
expect_contains "$OUT" "Assumptions"
expect_contains "$OUT" "container"
expect_status 0 "$B" bench compare "$D" "$D"
ok "hvc plan extrapolates the sweep; bench compare reads it"

# --- an instance killed mid-sweep is reported at its step --------------------
D2="$TEST_TMP/killed"
"$B" bench density --backends container --workload cpu --steps 1,2,3,4,5,6,7,8 --out "$D2" --no-progress \
	>"$TEST_TMP/killed.out" 2>&1 &
pid=$!
victim=""
for _ in $(seq 1 200); do
	victim=$("$B" ps -q 2>/dev/null | head -1)
	[ -n "$victim" ] && break
	sleep 0.05
done
[ -n "$victim" ] || { kill $pid; fail "no container appeared"; }
"$B" kill -s KILL "$victim" >/dev/null 2>&1 || "$B" kill "$victim" >/dev/null 2>&1
wait $pid
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "sweep exited $rc: $(cat "$TEST_TMP/killed.out")"
python3 - "$D2/density.json" <<'PY' || fail "the killed instance is not reported: $(cat "$TEST_TMP/killed.out")"
import json, sys
b = json.load(open(sys.argv[1]))["backends"][0]
fails = [(s["n"], f) for s in b["steps"] for f in s["failures"]]
assert fails, "no failure recorded"
n, f = fails[0]
assert f["reason"] and f["kind"] in ("exited", "oom", "start"), f
assert "first failure" in b["stop_reason"], b["stop_reason"]
print(f"  reported at N={n}: {f['kind']}: {f['reason']}")
PY
torn_down "$D2"
ok "an instance killed mid-sweep is reported at its step, then everything is torn down"

# --- SIGTERM: the sweep stops and tears down (and --ksm restores KSM) ----------
KSM=/sys/kernel/mm/ksm/run
ksm_before=$(cat $KSM 2>/dev/null || echo none)
KSMOPT=""
[ "$ksm_before" != none ] && KSMOPT=--ksm
on_exit "[ '$ksm_before' != none ] && echo '$ksm_before' >$KSM"
D3="$TEST_TMP/term"
"$B" bench density --backends container --workload cpu --steps 1,2,3,4,5,6,7,8 --out "$D3" --no-progress $KSMOPT \
	>"$TEST_TMP/term.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
	[ -n "$("$B" ps -q 2>/dev/null)" ] && break
	sleep 0.05
done
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 130 ] || fail "SIGTERM: exit $rc, expected 130: $(cat "$TEST_TMP/term.out")"
grep -q '"cancelled": true' "$D3/density.json" || fail "density.json does not say cancelled"
if [ -n "$KSMOPT" ]; then
	# compared with what the sweep recorded under its lock: another test
	# suite's --ksm sweep may have held KSM on when this test read it
	rec=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ksm"]["run_before"])' "$D3/density.json")
	[ "$(cat $KSM)" = "$rec" ] || ! flock -n /run/lock/hvc-density-ksm.lock true 2>/dev/null ||
		fail "KSM run is $(cat $KSM) after the sweep, was $rec"
	grep -q '"on_during_run": true' "$D3/density.json" || fail "density.json does not record KSM on"
fi
torn_down "$D3"
ok "SIGTERM stops the sweep, tears everything down, keeps partial results${KSMOPT:+, restores KSM ($ksm_before)}"
