#!/bin/bash
# The benchmark harness end to end: a tiny suite (1 repetition, tiny sizes)
# through every backend the host has, results.json checked against the
# schema (docs/results.schema.json) by an independent checker, the report
# regenerated from results.json alone, compare, and bad input refused.
. "$(dirname "$0")/lib.sh"
ROOTDIR=$(cd "$(dirname "$0")/../.." && pwd)
command -v python3 >/dev/null || skip "python3 not installed (needed for the schema check)"
command -v gnuplot >/dev/null || skip "gnuplot not installed"

RUN="$TEST_TMP/run"
cat >"$TEST_TMP/tiny.json" <<'JSON'
{"name": "tiny", "image": "busybox:latest", "reps": 1, "warmup": 0, "min_seconds": 0.05,
 "workloads": [
  {"name": "startup", "kind": "startup", "args": ["idle", "0"]},
  {"name": "footprint", "kind": "footprint", "args": ["idle", "1"]},
  {"name": "cpu", "kind": "throughput", "args": ["cpu", "--kernel", "dgemm", "--size", "64", "--seconds", "0.05"],
   "metrics": [{"key": "gflops", "unit": "GFLOPS", "better": "higher"}]},
  {"name": "mem", "kind": "throughput", "args": ["mem", "--size", "4m", "--iterations", "2"],
   "metrics": [{"key": "triad_mb_per_s", "unit": "MB/s", "better": "higher"}]},
  {"name": "syscall", "kind": "throughput", "args": ["syscall", "--seconds", "0.05"],
   "metrics": [{"key": "ns_per_call", "unit": "ns", "better": "lower"}]},
  {"name": "fileio", "kind": "throughput", "scratch_disk": true, "args": ["fileio", "--size", "1m", "--seconds", "0.05"],
   "metrics": [{"key": "seq_write_mb_per_s", "unit": "MB/s", "better": "higher"}]}
 ]}
JSON
on_exit "ls /sys/fs/cgroup/memory 2>/dev/null | grep -E '^(runc|crun)-hvcbench' | while read d; do rmdir /sys/fs/cgroup/memory/\$d; done"

expect_status 0 "$HVC" bench run --suite "$TEST_TMP/tiny.json" --out "$RUN" --no-progress
expect_contains "$OUT" "Report: $RUN/report.md"
for f in results.json results.csv report.md startup.png startup.svg startup.gp startup.dat \
	memory.png memory.svg image-size.png throughput.png throughput.svg throughput.gp \
	phases.png phases.svg phases.gp phases.dat; do
	[ -s "$RUN/$f" ] || fail "$f missing or empty"
done
ok "run wrote results, report and charts"

python3 "$ROOTDIR/tests/integration/check_results_schema.py" "$ROOTDIR/docs/results.schema.json" \
	"$RUN/results.json" || fail "results.json does not match the schema"
expect_status 0 "$HVC" bench validate "$RUN"
ok "results.json matches the schema"

# Every backend is accounted for: it ran, or it says why not.
python3 - "$RUN/results.json" <<'PY' || fail "backend accounting"
import json, sys
r = json.load(open(sys.argv[1]))
names = [b["name"] for b in r["backends"]]
assert sorted(names) == sorted(["native", "container", "vm", "runc", "crun"]), names
for b in r["backends"]:
    if not b["available"]:
        assert b["reason"], b
        print(f"  {b['name']}: not available: {b['reason']}")
        continue
    mine = [s for s in r["samples"] if s["backend"] == b["name"]]
    assert len(mine) == len(r["workloads"]), (b["name"], len(mine))
    st = [s for s in mine if s["workload"] == "startup"][0]
    assert st["status"] == "ok", (b["name"], st.get("error"))
    assert 0 < st["metrics"]["ready_ms"] <= st["metrics"]["exit_ms"], st
    for s in mine:
        if s["status"] != "ok":
            assert s["error"], s
            print(f"  {b['name']} {s['workload']}: failed: {s['error']}")
    print(f"  {b['name']}: startup ready {st['metrics']['ready_ms']:.1f} ms")
native = [s for s in r["samples"] if s["backend"] == "native"]
assert all(s["status"] == "ok" for s in native), [s.get("error") for s in native]
lines = open(sys.argv[1].replace("results.json", "results.csv")).read().splitlines()
assert len(lines) == len(r["samples"]) + 1, len(lines)
PY
ok "every backend ran or said why not; native fully measured; CSV one row per sample"

# Issue 16: the phase chart: one bar per backend that measured its start-up,
# segments back to back in time order, each ending at that phase's median
# as results.json records it; the report shows it.
python3 - "$RUN" <<'PY' || fail "phase chart"
import json, statistics, sys
d = sys.argv[1]
r = json.load(open(d + "/results.json"))
rows = {}
for line in open(d + "/phases.dat"):
    if line.startswith("#"):
        continue
    y, lo, hi, _colour, rest = line.split(" ", 4)
    backend = rest.split('"')[1]
    rows.setdefault(backend, []).append((float(lo), float(hi), rest.split('"')[3]))
started = {s["backend"] for s in r["samples"] if s["workload"] == "startup"
           and s["status"] == "ok" and not s.get("warmup")}
assert set(rows) == started, (sorted(rows), sorted(started))
for b, segs in rows.items():
    for (lo, hi, _), nxt in zip(segs, segs[1:] + [None]):
        # <=: two phases a few µs apart (first console byte, init ready)
        # print as one value in phases.dat once a start takes seconds
        assert 0 < lo <= hi and segs[0][0] < segs[-1][1], (b, segs)
        assert nxt is None or nxt[0] == hi, (b, segs)
    ph = [s["phases"] for s in r["samples"] if s["backend"] == b and s["workload"] == "startup"
          and s["status"] == "ok" and not s.get("warmup") and s.get("phases")]
    if ph:
        for lo, hi, name in segs:
            want = statistics.median(p[name.replace(" ", "_")] for p in ph if name.replace(" ", "_") in p)
            assert abs(want - hi) <= 1e-4 * want, (b, name, want, hi)
    print(f"  {b}: " + ", ".join(f"{n} {hi:.1f}" for _, hi, n in segs))
assert "](phases.png)" in open(d + "/report.md").read()
PY
ok "phase chart: a bar per backend, its segments the recorded phase medians, in the report"

# Issue 12: every throughput sample records its measured time, at least the
# floor; fileio runs on a volume in the very directory native uses, on the same
# file system, never on an overlay (the storage is in results.json).
python3 - "$RUN/results.json" <<'PY' || fail "floor or storage"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["config"]["fileio_on"] == "volume", r["config"].get("fileio_on")
tp = {w["name"] for w in r["workloads"] if w["kind"] == "throughput"}
assert all(w["min_seconds"] == 0.05 for w in r["workloads"] if w["name"] in tp)
for s in r["samples"]:
    if s["workload"] in tp and s["status"] == "ok":
        assert s["min_seconds"] == 0.05 and s["measured_s"] >= 0.05, s
avail = {b["name"]: b for b in r["backends"] if b["available"]}
native = [s for s in r["samples"] if s["backend"] == "native" and s["workload"] == "fileio"][0]
for name, b in avail.items():
    st = b["storage"]
    want = {"native": "host-directory", "vm": "vm-data-disk"}.get(name, "volume")
    assert st["kind"] == want, (name, st)
    if want == "volume":
        assert st["host_path"] == avail["native"]["storage"]["host_path"], (name, st)
    if want == "vm-data-disk":
        assert st["disk_bus"] and st["disk_format"] and st["disk_cache"] and st["disk_io"], st
    fio = [s for s in r["samples"] if s["backend"] == name and s["workload"] == "fileio"][0]
    if fio["status"] != "ok":
        continue
    ss = fio["storage"]
    assert not ss["volatile"] and ss["fs"] != "overlayfs", (name, ss)
    if want == "volume":
        assert ss["mount_point"] == "/scratch" and ss["fs"] == native["storage"]["fs"], (name, ss)
        assert ss["direct"] == native["storage"]["direct"], (name, ss)
    print(f"  {name}: fileio on {ss['fs']} at {ss['mount_point']}, direct {ss['direct']}, measured {fio['measured_s']:.3f} s")
PY
ok "throughput samples reach the floor; fileio on a volume beside native's directory, storage recorded"

# On purpose on the overlay, labelled so; container-lib only when named.
expect_status 0 "$HVC" bench run --suite "$TEST_TMP/tiny.json" --backends native,container,container-lib \
	--workloads fileio --fileio-on overlay --out "$TEST_TMP/ovl" --no-progress
python3 - "$TEST_TMP/ovl/results.json" <<'PY' || fail "--fileio-on overlay"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["config"]["fileio_on"] == "overlay"
for b in r["backends"]:
    if b["name"] != "native" and b["available"]:
        assert b["storage"]["kind"] == "rootfs", b
        fio = [s for s in r["samples"] if s["backend"] == b["name"]][0]
        assert fio["status"] == "ok", fio.get("error")
        assert fio["storage"]["fs"] == "overlayfs", fio["storage"]
        print(f"  {b['name']}: fileio on {fio['storage']['fs']}, volatile {fio['storage']['volatile']}")
PY
expect_status 2 "$HVC" bench run --fileio-on tmpfs --out "$TEST_TMP/bad0"
expect_contains "$OUT" "volume or overlay"
ok "--fileio-on overlay measures the overlay on purpose, labelled; container-lib on request"

# The report and charts come back from results.json alone.
cp "$RUN/report.md" "$TEST_TMP/report.before"
rm -f "$RUN"/*.png "$RUN"/*.svg "$RUN"/*.gp "$RUN"/*.dat "$RUN/report.md" "$RUN/results.csv"
expect_status 0 "$HVC" bench report "$RUN"
[ -s "$RUN/startup.png" ] && [ -s "$RUN/phases.png" ] && [ -s "$RUN/throughput.svg" ] && [ -s "$RUN/results.csv" ] || fail "report did not regenerate the charts/CSV"
cmp -s "$RUN/report.md" "$TEST_TMP/report.before" || fail "regenerated report.md differs: $(diff "$TEST_TMP/report.before" "$RUN/report.md" | head -5)"
ok "bench report regenerates the same report from results.json"

expect_status 0 "$HVC" bench compare "$RUN" "$RUN"
expect_contains "$OUT" "0 of"
ok "compare of a run with itself flags nothing"

# Bad input: one clear line, non-zero exit, nothing written.
expect_status 2 "$HVC" bench run --backends native,lxc --out "$TEST_TMP/bad1"
expect_contains "$OUT" "unknown backend \"lxc\""
expect_status 1 "$HVC" bench run --suite nosuchsuite --out "$TEST_TMP/bad2"
expect_contains "$OUT" "unknown suite"
expect_status 1 "$HVC" bench run --suite "$TEST_TMP/tiny.json" --cpus 4000-4001 --out "$TEST_TMP/bad3"
expect_contains "$OUT" "4000-4001"
expect_status 1 "$HVC" bench run --suite "$TEST_TMP/tiny.json" --workloads nope --out "$TEST_TMP/bad4"
expect_contains "$OUT" "no workload \"nope\""
expect_status 2 "$HVC" bench run --reps 0
[ ! -e "$TEST_TMP/bad0" ] && [ ! -e "$TEST_TMP/bad1" ] && [ ! -e "$TEST_TMP/bad2" ] && [ ! -e "$TEST_TMP/bad3" ] && [ ! -e "$TEST_TMP/bad4" ] ||
	fail "a refused run left an output directory"
expect_status 1 "$HVC" bench report "$TEST_TMP/nonexistent"
expect_contains "$OUT" "results.json"
echo '{"schema": "hvc-bench-results", "schema_version": 99}' >"$TEST_TMP/badres.json"
mkdir -p "$TEST_TMP/badres" && mv "$TEST_TMP/badres.json" "$TEST_TMP/badres/results.json"
expect_status 1 "$HVC" bench validate "$TEST_TMP/badres"
expect_contains "$OUT" "schema_version 99"
echo '{"schema": ' >"$TEST_TMP/badres/results.json"
expect_status 1 "$HVC" bench compare "$RUN" "$TEST_TMP/badres"
expect_contains "$OUT" "malformed JSON"
ok "bad input refused with a clear message"

# hvc image bundle: an OCI bundle runc can run; refuses to overwrite one.
expect_status 0 "$HVC" image bundle busybox "$TEST_TMP/bundle" echo bundled
[ -x "$TEST_TMP/bundle/rootfs/bin/busybox" ] && [ -s "$TEST_TMP/bundle/config.json" ] || fail "bundle incomplete"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["process"]["args"]==["echo","bundled"], c["process"]["args"]' \
	"$TEST_TMP/bundle/config.json" || fail "bundle config.json args"
if command -v runc >/dev/null; then
	out=$(runc --root "$TEST_TMP/runc-state" run --bundle "$TEST_TMP/bundle" "hvc-bundle-$$" 2>&1) || fail "runc run of the bundle: $out"
	expect_contains "$out" "bundled"
fi
expect_status 1 "$HVC" image bundle busybox "$TEST_TMP/bundle"
expect_contains "$OUT" "already holds a bundle"
expect_status 1 "$HVC" image bundle no-such-image "$TEST_TMP/bundle2"
expect_contains "$OUT" "no-such-image"
[ ! -e "$TEST_TMP/bundle2" ] || fail "a failed bundle left its directory"
ok "image bundle writes a bundle runc runs, refuses bad input"

# Nothing left behind: no scratch dir, no runtime cgroups or containers.
[ ! -e "$RUN/work" ] || fail "scratch directory $RUN/work left behind"
left=$(ls /sys/fs/cgroup/memory 2>/dev/null | grep -E '^(runc|crun)-hvcbench' || true)
[ -z "$left" ] || fail "cgroups left behind: $left"
if [ -d "$HVC_ROOT/containers" ]; then
	n=$(ls "$HVC_ROOT/containers" | wc -l)
	[ "$n" -eq 0 ] || fail "$n containers left behind"
fi
ok "nothing left behind"

# Issue 12, statistics: no summary in results.json carries an interval from
# fewer than 5 samples (this run has 1 per cell), and the report says why.
python3 - "$RUN/results.json" <<'PY' || fail "a summary carries an interval with n < 5"
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
for s in r["summaries"]:
    cell = (s["backend"], s["workload"], s["metric"])
    if s["n"] < 5:
        bad += [(cell, k) for k in ("ci_lo", "ci_hi", "mean_ci_lo", "mean_ci_hi") if s.get(k) is not None]
        if s["n"] > 0:
            assert s["no_ci_reason"] == f"n = {s['n']}: too few for an interval", s
    ro = s.get("relative_to_native")
    if ro and (s["n"] < 5 or ro["n_native"] < 5):
        bad += [(cell, "relative_to_native." + k) for k in ("ci_lo", "ci_hi", "p_value") if ro.get(k) is not None]
        assert ro["different"] is False, s
assert not bad, bad
PY
expect_contains "$(cat "$RUN/report.md")" "(n = 1: too few for an interval)"
expect_contains "$(cat "$RUN/report.md")" "Nothing is claimed"
ok "no interval from n < 5 in results.json or the report"

# Issue 12, compare as a gate (exit statuses in docs/stats.md): a made-up
# regression — native dgemm at half speed over 12 samples a side, the only
# cell with the 5 a side a test needs — exits 3;
# the reverse is an improvement (0); another kernel is refused (4) unless --force.
python3 - "$RUN/results.json" "$TEST_TMP" <<'PY' || fail "could not make the regression fixtures"
import copy, json, os, sys
r = json.load(open(sys.argv[1]))
seq = max(s["seq"] for s in r["samples"]) + 1
tmpl = next(s for s in r["samples"] if s["backend"] == "native" and s["workload"] == "cpu")
def with_cpu(scale):
    d = copy.deepcopy(r)
    d["samples"] = [s for s in d["samples"] if not (s["backend"] == "native" and s["workload"] == "cpu")]
    for i in range(12):
        s = copy.deepcopy(tmpl)
        s.update(rep=i + 1, seq=seq + i, warmup=False, status="ok")
        s["metrics"]["gflops"] = scale * (1.0 + 0.01 * i)
        d["samples"].append(s)
    return d
for name, scale, kernel in (("cmpA", 1.0, None), ("cmpB", 0.5, None), ("cmpC", 0.5, "0.0.0-other")):
    d = with_cpu(scale)
    if kernel:
        d["host"].setdefault("kernel", {})["release"] = kernel
    os.makedirs(os.path.join(sys.argv[2], name), exist_ok=True)
    json.dump(d, open(os.path.join(sys.argv[2], name, "results.json"), "w"))
PY
expect_status 3 "$HVC" bench compare "$TEST_TMP/cmpA" "$TEST_TMP/cmpB"
expect_contains "$OUT" "** regression"
expect_contains "$OUT" "1 regression"
expect_status 0 "$HVC" bench compare "$TEST_TMP/cmpB" "$TEST_TMP/cmpA"
expect_contains "$OUT" "** improvement"
expect_status 4 "$HVC" bench compare "$TEST_TMP/cmpA" "$TEST_TMP/cmpC"
expect_contains "$OUT" "kernel"
expect_contains "$OUT" "--force"
expect_status 3 "$HVC" bench compare --force --out "$TEST_TMP/cmpout" "$TEST_TMP/cmpA" "$TEST_TMP/cmpC"
for f in compare.json compare.dat compare.gp compare.png compare.svg; do
	[ -s "$TEST_TMP/cmpout/$f" ] || fail "compare --out: $f missing or empty"
done
python3 -c 'import json,sys; c=[x for x in json.load(open(sys.argv[1])) if x["verdict"]=="regression"]; assert len(c)==1 and c[0]["p_adjusted"] < 0.05, c' \
	"$TEST_TMP/cmpout/compare.json" || fail "compare.json: the regression and its adjusted p"
ok "compare exits 3 on a regression, 0 on an improvement, 4 on another kernel (3 with --force), draws its chart"

# The network axis (issue 13) is in the built-in suites as kind "network";
# its runs (bridges, veths) are tested inside a network namespace by
# 72-bench-network.sh. Here: the suites carry it, and a network workload
# on a backend list without a network peer records why, never runs.
for s in quick full; do
	expect_status 0 "$HVC" bench suite "$s"
	[ "$(jq -r '[.workloads[] | select(.kind == "network") | .name] | join(",")' <<<"$OUT")" = \
		"net-stream,net-rr,net-crr" ] || fail "suite $s: network workloads: $OUT"
done
cat >"$TEST_TMP/netlocal.json" <<'JSON'
{"name": "netlocal", "image": "busybox:latest", "reps": 1, "warmup": 0, "min_seconds": 0.05,
 "workloads": [
  {"name": "net-rr", "kind": "network", "args": ["net-rr", "--seconds", "0.05"],
   "metrics": [{"key": "transactions_per_s", "unit": "transactions/s", "better": "higher"}]}]}
JSON
expect_status 0 "$HVC" bench run --suite "$TEST_TMP/netlocal.json" --backends native \
	--out "$TEST_TMP/netlocal" --no-progress
jq -e '.samples[0] | .status == "ok" and .network.packet_path == "loopback"
	and .network.peer_address == "127.0.0.1" and .network.server_runs == 1' \
	"$TEST_TMP/netlocal/results.json" >/dev/null || fail "native net-rr on loopback"
grep -q '^| native | loopback |' "$TEST_TMP/netlocal/report.md" || fail "report: no network row"
ok "the suites carry net-stream, net-rr, net-crr; native net-rr runs over 127.0.0.1 with its path recorded"
