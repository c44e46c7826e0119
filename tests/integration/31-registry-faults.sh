#!/bin/bash
# kill -9 in the middle of a pull or a push (issue 14): against Debian's
# docker-registry on 127.0.0.1 (registry_lib.sh, the set-up 30-registry.sh
# uses) and its fault-injecting front in "slow" mode, which sends blobs and
# reads uploads at ~1.6 MB/s so that the kill lands in the middle of a
# transfer for sure. After each kill: `hvc image fsck` is clean, the name is
# absent (or names the whole image), and the next pull or push completes
# with the same manifest digest. A killed pull's partial blobs are temp
# files under $HVC_ROOT/tmp: the next pull starts those blobs again (no
# resume across processes) and `hvc image prune` removes the leftovers.
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

# ---- a pull killed while a blob is half written ----
env HVC_ROOT="$R2" "$HVC" pull -q "$FAKE/t/three:1" >/dev/null 2>&1 &
pid=$!
until_true '[ -n "$(find "$R2/tmp" -name "blob.*" -size +200k 2>/dev/null)" ]' ||
	{ kill -9 $pid; fail "no partial blob appeared in $R2/tmp"; }
kill -9 $pid
wait $pid 2>/dev/null
partial=$(find "$R2/tmp" -type f | wc -l)
[ "$partial" -gt 0 ] || fail "expected the killed pull's partial blob in tmp/"
expect_status 0 env HVC_ROOT="$R2" "$HVC" image fsck
named "$R2" "$FAKE/t/three:1" && fail "a killed pull named the image"
expect_status 0 env HVC_ROOT="$R2" "$HVC" pull -q "$FAKE/t/three:1"
[ "$OUT" = "$digest" ] || fail "pull after the kill: $OUT, want $digest"
expect_status 0 env HVC_ROOT="$R2" "$HVC" image fsck
expect_status 0 env HVC_ROOT="$R2" "$HVC" run --rm "$FAKE/t/three:1" cat /data/word
[ "$OUT" = layered ] || fail "run after the pull: $OUT"
expect_status 0 env HVC_ROOT="$R2" "$HVC" image prune
[ -z "$(ls -A "$R2/tmp" 2>/dev/null)" ] || fail "prune left $(ls "$R2/tmp")"
ok "pull killed mid-blob ($partial partial file(s)): fsck clean, unnamed; the next pull completes ($digest); prune removes the leftovers"

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
