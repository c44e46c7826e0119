#!/bin/bash
# The shared VM boot (a suite's "shared_boot", docs/methodology.md): one
# VM runs a round's shared workloads in turn, each one's line its own
# sample; a workload not marked shared boots on its own; the samples say
# which boot they came from and carry no per-workload memory peak.
. "$(dirname "$0")/lib.sh"
ROOTDIR=$(cd "$(dirname "$0")/../.." && pwd)
command -v python3 >/dev/null || skip "python3 not installed (needed for the checks)"

RUN="$TEST_TMP/run"
cat >"$TEST_TMP/shared.json" <<'JSON'
{"name": "shared", "image": "busybox:latest", "reps": 1, "warmup": 0, "min_seconds": 0.05,
 "workloads": [
  {"name": "cpu", "kind": "throughput", "shared_boot": true,
   "args": ["cpu", "--kernel", "dgemm", "--size", "64", "--seconds", "0.05"],
   "metrics": [{"key": "gflops", "unit": "GFLOPS", "better": "higher"}]},
  {"name": "syscall", "kind": "throughput", "args": ["syscall", "--seconds", "0.05"],
   "metrics": [{"key": "ns_per_call", "unit": "ns", "better": "lower"}]},
  {"name": "fileio", "kind": "throughput", "scratch_disk": true, "shared_boot": true, "reps": 2,
   "args": ["fileio", "--size", "1m", "--seconds", "0.05"],
   "metrics": [{"key": "seq_write_mb_per_s", "unit": "MB/s", "better": "higher"}]}
 ]}
JSON

expect_status 0 "$HVC" bench run --suite "$TEST_TMP/shared.json" --backends native,vm \
	--out "$RUN" --no-progress
jq -e '.backends[] | select(.name == "vm") | .available' "$RUN/results.json" >/dev/null ||
	skip "the vm backend is not available here: $(jq -r '.backends[] | select(.name == "vm") | .reason' "$RUN/results.json")"
expect_status 0 "$HVC" bench validate "$RUN"
ok "a suite with shared_boot ran; results.json matches the schema"

python3 - "$RUN/results.json" <<'PY' || fail "shared boot samples"
import json, sys
r = json.load(open(sys.argv[1]))
vm = {(s["workload"], s["rep"]): s for s in r["samples"] if s["backend"] == "vm"}
assert sorted(vm) == [("cpu", 1), ("fileio", 1), ("fileio", 2), ("syscall", 1)], sorted(vm)
for s in vm.values():
    assert s["status"] == "ok", (s["workload"], s.get("error"))
cpu, fio1, fio2, sysc = vm[("cpu", 1)], vm[("fileio", 1)], vm[("fileio", 2)], vm[("syscall", 1)]
# round 1: cpu and fileio in one boot, in suite order
a, b = cpu["extra"]["shared_boot"], fio1["extra"]["shared_boot"]
assert a["workloads"] == b["workloads"] == ["cpu", "fileio"], (a, b)
assert (a["round"], a["position"], b["position"]) == (1, 1, 2), (a, b)
assert a["boot"]["qemu_pid"] == b["boot"]["qemu_pid"], (a, b)
assert len(a["boot"]["part_end_ms"]) == 2 and a["boot"]["part_end_ms"][0] < a["boot"]["part_end_ms"][1]
assert cpu["time"] == fio1["time"]
# the figures are each workload's own line
assert json.loads(cpu["output"])["workload"] == "cpu" and json.loads(fio1["output"])["workload"] == "fileio"
assert fio1["storage"]["mount_point"] == "/data", fio1["storage"]
# QEMU's memory peak within each part's window of the boot, else the reason
for s in (cpu, fio1):
    peaks = [k for k in s["metrics"] if k.startswith("peak_")]
    assert peaks or "shared boot" in s.get("memory_note", ""), s
assert cpu["metrics"]["peak_rss_mib"] > 0, cpu["metrics"]
# round 2 has fileio alone, syscall is not shared: each boots on its own
for s in (fio2, sysc):
    assert "shared_boot" not in s.get("extra", {}), s["extra"]
    assert any(k.startswith("peak_") for k in s["metrics"]), s["metrics"]
cmd = [c["command"] for c in r["commands"] if c["backend"] == "vm" and c["workload"] == "cpu"][0]
assert "shared boot" in cmd, cmd
print(f"  boot {a['boot']['qemu_pid']}: cpu ended at {a['boot']['part_end_ms'][0]:.0f} ms, fileio at {a['boot']['part_end_ms'][1]:.0f} ms")
PY
ok "cpu and fileio shared one boot (own lines, labelled, peaks per part); syscall and fileio's 2nd round booted alone"

# The rules: shared_boot is refused where a boot is what is measured.
sed 's/"name": "cpu", "kind": "throughput"/"name": "cpu", "kind": "startup"/' "$TEST_TMP/shared.json" >"$TEST_TMP/bad.json"
expect_status 1 "$HVC" bench run --suite "$TEST_TMP/bad.json" --backends native --out "$TEST_TMP/bad"
expect_contains "$OUT" "shared_boot"
ok "shared_boot on a start-up workload is refused with the reason"
