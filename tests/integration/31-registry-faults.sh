#!/bin/bash
# kill -9 in the middle of a pull or a push (issue 14): against Debian's
# docker-registry on 127.0.0.1 (registry_lib.sh, the set-up 30-registry.sh
# uses) and its fault-injecting front in "slow" mode, which sends blobs and
# reads uploads at ~1.6 MB/s so that the kill lands in the middle of a
# transfer for sure. After each kill: `hvc image fsck` is clean, the name is
# absent (or names the whole image), and the next pull or push completes
# with the same manifest digest. A killed pull's partial blobs stay as
# $HVC_ROOT/tmp/partial-HEX: the next pull re-hashes what they hold and asks
# for the rest with a Range request (the front counts it, --trace says so);
# against a server that ignores Range (200) it starts the blob again; and
# `hvc image prune` removes any leftovers.
if [ -z "${HVC_REG_TEST_NETNS:-}" ]; then
	unshare --net true 2>/dev/null || { echo "skip: cannot create a network namespace"; exit 77; }
	HVC_REG_TEST_NETNS=1 exec unshare --net bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry_lib.sh"
ip link set lo up
registry_need_tools
export HVC_REGISTRY_BACKOFF_MS=50 HVC_REGISTRY_TIMEOUT=5

R1=$HVC_ROOT
R2=$TEST_TMP/root2
mkdir -p "$R2"
start_registry 5000
echo '{"insecure-registries":["127.0.0.1:5000"]}' >"$R1/registries.json"
make_three_layer_image three:1 3000000 2000000
expect_status 0 "$HVC" push -q three:1 127.0.0.1:5000/t/three:1
digest=$OUT
start_fake slow "$R1" "$R2"

# until COND: polls a shell condition for up to 10 s
until_true() {
	local _
	for _ in $(seq 200); do eval "$1" && return 0; sleep 0.05; done
	return 1
}
counts() { curl -s "http://$FAKE/counts"; }
named() { HVC_ROOT=$1 "$HVC" image inspect "$2" >/dev/null 2>&1; }

# ---- a pull killed while a blob is half written, then resumed ----
# kill_mid_blob ROOT: a pull from the slow front, killed once a partial blob
# holds over 200 KB; sets PARTIAL (its size in bytes)
kill_mid_blob() {
	KROOT=$1 # until_true's condition sees globals only
	env HVC_ROOT="$1" "$HVC" pull -q "$FAKE/t/three:1" >/dev/null 2>&1 &
	local pid=$!
	until_true '[ -n "$(find "$KROOT/tmp" -name "partial-*" -size +200k 2>/dev/null)" ]' ||
		{ kill -9 $pid; fail "no partial blob appeared in $1/tmp"; }
	kill -9 $pid
	wait $pid 2>/dev/null
	PARTIAL=$(find "$1/tmp" -name "partial-*" -size +200k -printf '%s\n' | head -1)
	[ -n "$PARTIAL" ] || fail "expected the killed pull's partial blob in $1/tmp"
	expect_status 0 env HVC_ROOT="$1" "$HVC" image fsck
	named "$1" "$FAKE/t/three:1" && fail "a killed pull named the image"
	return 0
}
kill_mid_blob "$R2"
ranges0=$(counts | python3 -c 'import json,sys; print(json.load(sys.stdin).get("ranges", 0))')
env HVC_ROOT="$R2" "$HVC" pull --trace -q "$FAKE/t/three:1" >"$TEST_TMP/resume.out" 2>"$TEST_TMP/resume.trace" ||
	fail "pull after the kill: $(tail -3 "$TEST_TMP/resume.trace")"
[ "$(tail -1 "$TEST_TMP/resume.out")" = "$digest" ] || fail "pull after the kill: $(cat "$TEST_TMP/resume.out"), want $digest"
grep -q "re-hashed" "$TEST_TMP/resume.trace" || fail "the pull did not re-hash the partial blob: $(grep registry: "$TEST_TMP/resume.trace")"
grep -q "resuming .* at byte [1-9]" "$TEST_TMP/resume.trace" || fail "no Range request in the trace"
ranges=$(counts | python3 -c 'import json,sys; print(json.load(sys.stdin).get("ranges", 0))')
[ "$ranges" -gt "$ranges0" ] || fail "the registry saw no Range request: $(counts)"
expect_status 0 env HVC_ROOT="$R2" "$HVC" image fsck
expect_status 0 env HVC_ROOT="$R2" "$HVC" run --rm "$FAKE/t/three:1" cat /data/word
[ "$OUT" = layered ] || fail "run after the pull: $OUT"
[ -z "$(find "$R2/tmp" -name 'partial-*')" ] || fail "a resumed pull left $(ls "$R2/tmp")"
ok "pull killed mid-blob ($PARTIAL bytes kept): fsck clean, unnamed; the next pull re-hashed them and sent $((ranges - ranges0)) Range request(s); complete ($digest), runs"

# the same against a server that ignores Range: the blob comes whole again
R4=$TEST_TMP/root4
mkdir -p "$R4" && cp "$R2/registries.json" "$R4/"
kill_mid_blob "$R4"
curl -s "http://$FAKE/ignore-range" >/dev/null
expect_status 0 env HVC_ROOT="$R4" "$HVC" pull -q "$FAKE/t/three:1"
[ "$OUT" = "$digest" ] || fail "pull after the kill (Range ignored): $OUT, want $digest"
counts | grep -q range-ignored || fail "the front saw no Range request to ignore: $(counts)"
expect_status 0 env HVC_ROOT="$R4" "$HVC" image fsck
expect_status 0 env HVC_ROOT="$R4" "$HVC" image prune
[ -z "$(ls -A "$R4/tmp" 2>/dev/null)" ] || fail "prune left $(ls "$R4/tmp")"
ok "Range ignored (200): the resumed pull started the blob again ($digest); fsck clean; prune leaves tmp/ empty"

# ---- pulls killed at other moments (manifest, blobs, unpacking, naming) ----
# straight from the registry, killed after 0.05 s, 0.1 s ... 0.8 s
for delay in 0.05 0.1 0.2 0.3 0.5 0.8; do
	R3=$TEST_TMP/r3-$delay
	mkdir -p "$R3" && cp "$R1/registries.json" "$R3/"
	env HVC_ROOT="$R3" "$HVC" pull -q 127.0.0.1:5000/t/three:1 >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	expect_status 0 env HVC_ROOT="$R3" "$HVC" image fsck
	if named "$R3" 127.0.0.1:5000/t/three:1; then
		# named: then whole (fsck read every blob); it must run
		expect_status 0 env HVC_ROOT="$R3" "$HVC" run --rm 127.0.0.1:5000/t/three:1 cat /data/word
	fi
	expect_status 0 env HVC_ROOT="$R3" "$HVC" pull -q 127.0.0.1:5000/t/three:1
	[ "$OUT" = "$digest" ] || fail "pull after a kill at ${delay}s: $OUT"
	expect_status 0 env HVC_ROOT="$R3" "$HVC" run --rm 127.0.0.1:5000/t/three:1 cat /data/word
	[ "$OUT" = layered ] || fail "run after a kill at ${delay}s: $OUT"
	rm -rf "$R3"
done
ok "pulls killed after 0.05 … 0.8 s: fsck clean every time, the next pull completes and runs"

# ---- a push killed while a blob uploads ----
"$HVC" push -q three:1 "$FAKE/k/three:1" >/dev/null 2>&1 &
pid=$!
until_true 'counts | grep -q upload-started' || { kill -9 $pid; fail "no upload started: $(counts)"; }
kill -9 $pid
wait $pid 2>/dev/null
if sk=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://127.0.0.1:5000/k/three:1 2>/dev/null); then
	fail "a push killed mid-upload left the tag on $sk"
fi
expect_status 0 "$HVC" image fsck
expect_status 0 "$HVC" push -q three:1 "$FAKE/k/three:1"
[ "$OUT" = "$digest" ] || fail "push after the kill: $OUT"
sk=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://127.0.0.1:5000/k/three:1) ||
	fail "skopeo cannot inspect the pushed image"
[ "$sk" = "$digest" ] || fail "skopeo sees $sk after the second push, want $digest"
ok "push killed mid-upload: no tag, fsck clean; the next push completes and skopeo sees $digest"
stop_fake
