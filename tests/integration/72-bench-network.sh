#!/bin/bash
# The network axis of the benchmark harness (bench/bench_net.c, issue 13):
# a tiny suite of net-stream, net-rr and net-crr through native, the
# container on the bridge hvc0, container-host (--network host), runc in a
# network namespace the harness attaches to hvc0, and the VM with a
# virtio-net NIC on hvc0 (a lease the harness takes; the tap is libvirt's).
# Checked: every
# sample's packet path (loopback / veth+bridge), the peer's address (only
# 127.0.0.1 and hvc0's own 10.88.0.1), the net-server's own count of one
# client run, results.json against the schema, the report's network table
# and chart, and no lease, veth or tap left behind.
# The whole test runs in a network namespace of its own (unshare --net): the
# bridge, veths and the nftables table live and die there, and traffic only
# goes to 127.0.0.1 and to this test's containers.
if [ -z "${HVC_NET_TEST_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (namespaces, bridges, nftables)"; exit 77; }
	unshare --net true 2>/dev/null || { echo "skip: cannot create a network namespace"; exit 77; }
	HVC_NET_TEST_NETNS=1 exec unshare --net bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
ROOTDIR=$(cd "$(dirname "$0")/../.." && pwd)
command -v python3 >/dev/null || skip "python3 not installed (needed for the schema check)"
command -v jq >/dev/null || skip "jq not installed"
ip link set lo up || fail "bring lo up in the test's netns"
need_bridge_and_nftables

leases() { ls "$HVC_ROOT"/networks/*/leases/ 2>/dev/null | grep -c '\.json$'; }
veths() { ip -o link show type veth 2>/dev/null | grep -c ' vh'; }
taps() { ip -o link show type tun 2>/dev/null | grep -c .; }

RUN="$TEST_TMP/run"
cat >"$TEST_TMP/net.json" <<'JSON'
{"name": "nettiny", "image": "busybox:latest", "reps": 2, "warmup": 0, "min_seconds": 0.1,
 "workloads": [
  {"name": "net-stream", "kind": "network", "args": ["net-stream", "--seconds", "0.1"],
   "metrics": [{"key": "up_gbit_per_s", "unit": "Gbit/s", "better": "higher"},
               {"key": "down_gbit_per_s", "unit": "Gbit/s", "better": "higher"}]},
  {"name": "net-rr", "kind": "network", "args": ["net-rr", "--seconds", "0.1"],
   "metrics": [{"key": "transactions_per_s", "unit": "transactions/s", "better": "higher"},
               {"key": "latency_p50_us", "unit": "µs", "better": "lower"},
               {"key": "latency_p99_us", "unit": "µs", "better": "lower"}]},
  {"name": "net-crr", "kind": "network", "args": ["net-crr", "--seconds", "0.1"],
   "metrics": [{"key": "transactions_per_s", "unit": "transactions/s", "better": "higher"},
               {"key": "latency_p50_us", "unit": "µs", "better": "lower"}]}
 ]}
JSON

expect_status 0 "$HVC" bench run --suite "$TEST_TMP/net.json" \
	--backends native,container,container-host,vm,runc --out "$RUN" --no-progress
expect_contains "$OUT" "Report: $RUN/report.md"
python3 "$ROOTDIR/tests/integration/check_results_schema.py" "$ROOTDIR/docs/results.schema.json" \
	"$RUN/results.json" || fail "results.json does not match the schema"
expect_status 0 "$HVC" bench validate "$RUN"
ok "network suite ran; results.json matches the schema"

python3 - "$RUN/results.json" <<'PY' || fail "network samples"
import json, sys
r = json.load(open(sys.argv[1]))
want = {"native": "loopback", "container": "veth+bridge", "container-host": "loopback",
        "runc": "veth+bridge", "vm": "tap+virtio-net"}
peer = {"native": "127.0.0.1", "container": "10.88.0.1", "container-host": "127.0.0.1",
        "runc": "10.88.0.1", "vm": "10.88.0.1"}
ran = [b["name"] for b in r["backends"] if b["available"]]
seen = {}
for s in r["samples"]:
    b, n = s["backend"], s["network"]
    if b in want:
        assert s["status"] == "ok", (b, s["workload"], s.get("error"))
        assert n["packet_path"] == want[b] and n["expected_path"] == want[b], (b, n)
        assert n["peer_address"] == peer[b], (b, n)          # never any other address
        assert n["server"].startswith(peer[b] + ":"), (b, n)
        assert n["server_exit_status"] == 0 and n["server_exit_reason"] == "count", (b, n)
        assert n["server_runs"] == 1 and n["server_connections"] >= 1, (b, n)
        for k, v in s["metrics"].items():
            assert v > 0, (b, k, v)
        seen[(b, s["workload"])] = seen.get((b, s["workload"]), 0) + 1
    else:
        assert False, ("a backend without a network sample", b, s)
    if b in ("container", "runc"):
        assert n["interface"] == "eth0" and n["interface_driver"] == "veth", n
    if b == "vm":
        assert n["interface"] == "eth0" and n["interface_driver"] == "virtio_net", n
assert len(seen) == 3 * len([b for b in ran if b in want]) and set(seen.values()) == {2}, seen
st = [m for m in r["summaries"] if m["backend"] == "container" and m["workload"] == "net-rr"
      and m["metric"] == "latency_p50_us"][0]
assert st["n"] == 2 and "relative_to_native" in st, st
PY
ok "packet paths: native and container-host loopback (127.0.0.1), container and runc veth+bridge, vm tap+virtio-net (10.88.0.1); the server counted one run per sample"

grep -q '^## Network' "$RUN/report.md" || fail "report has no network section"
grep -q '^| container | veth+bridge |' "$RUN/report.md" || fail "report: no container row with its path"
if jq -e '.backends[] | select(.name == "vm") | .available' "$RUN/results.json" >/dev/null; then
	grep -q '^| vm | tap+virtio-net |' "$RUN/report.md" || fail "report: no vm row with its path"
fi
for f in network.dat network.gp network.png network.svg; do
	[ -s "$RUN/$f" ] || fail "$f missing or empty"
done
ok "report: network table with packet paths and the network chart"

[ "$(leases)" = 0 ] || fail "a lease was left behind"
[ "$(veths)" = 0 ] || fail "a veth was left behind"
[ "$(taps)" = 0 ] || fail "a tap was left behind"
# a net-server of this run lives in this test's network namespace
myns=$(readlink /proc/self/ns/net)
for p in $(pgrep -f "hvc-workload net-server"); do
	[ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$myns" ] && fail "net-server $p left running"
done
ok "no lease, veth, tap or net-server left"
