#!/bin/bash
# Registry client against a real registry (Debian's docker-registry, the
# distribution project's server) on 127.0.0.1, inside a network namespace of
# the test's own: plain http, htpasswd basic auth, TLS from a throwaway CA;
# interop both ways with skopeo; and a fault-injecting front
# (registry_fake.py) for digest mismatch, oversize manifests, 5xx, 429,
# dropped connections (Range resume), redirect loops, the bearer-token flow,
# a token service that never answers and a hostile layer tar. kill -9 in
# the middle of a pull or push: 31-registry-faults.sh.
if [ -z "${HVC_REG_TEST_NETNS:-}" ]; then
	unshare --net true 2>/dev/null || { echo "skip: cannot create a network namespace"; exit 77; }
	HVC_REG_TEST_NETNS=1 exec unshare --net bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry_lib.sh"
ip link set lo up
registry_need_tools
export HVC_REGISTRY_BACKOFF_MS=50 HVC_REGISTRY_TIMEOUT=3

R1=$HVC_ROOT
R2=$TEST_TMP/root2
mkdir -p "$R2"
for r in "$R1" "$R2"; do echo '{"insecure-registries":["127.0.0.1:5000"]}' >"$r/registries.json"; done
start_registry 5000

# a 3-layer image: busybox, then two layers of incompressible data
mkdir -p "$TEST_TMP/l2/data" "$TEST_TMP/l3/data"
head -c 3000000 /dev/urandom >"$TEST_TMP/l2/data/one"
head -c 2000000 /dev/urandom >"$TEST_TMP/l3/data/two"
echo layered >"$TEST_TMP/l3/data/word"
expect_status 0 "$HVC" image import --busybox
expect_status 0 "$HVC" image import --from busybox "$TEST_TMP/l2" mid:1
expect_status 0 "$HVC" image import --from mid:1 "$TEST_TMP/l3" three:1
local_digest=$("$HVC" image inspect three:1 | grep -o '"sha256:[0-9a-f]*"' | head -1 | tr -d '"')

# ---- push, skopeo reads it, pull it back: the same digest ----
expect_status 0 "$HVC" push -q three:1 127.0.0.1:5000/t/three:1
[ "$OUT" = "$local_digest" ] || fail "push printed $OUT, image is $local_digest"
sk=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://127.0.0.1:5000/t/three:1) ||
	fail "skopeo inspect of hvc's push failed"
[ "$sk" = "$local_digest" ] || fail "skopeo sees $sk, hvc pushed $local_digest"
skopeo copy -q --src-tls-verify=false docker://127.0.0.1:5000/t/three:1 "oci:$TEST_TMP/oci:three" ||
	fail "skopeo copy of hvc's push to an OCI layout failed"
ok "push: skopeo inspects and copies it, digest $local_digest"

expect_status 0 env HVC_ROOT="$R2" "$HVC" pull 127.0.0.1:5000/t/three:1
[ "$(tail -1 <<<"$OUT")" = "$local_digest" ] || fail "pulled digest differs: $OUT"
expect_contains "$OUT" "layer "
expect_status 0 env HVC_ROOT="$R2" "$HVC" run --rm 127.0.0.1:5000/t/three:1 cat /data/word
[ "$OUT" = layered ] || fail "run of the pulled image printed: $OUT"
ok "pull: same manifest digest, per-layer progress, and it runs"

t0=$(date +%s%N)
expect_status 0 env HVC_ROOT="$R2" "$HVC" -v -v pull -q 127.0.0.1:5000/t/three:1
t1=$(date +%s%N)
n=$(grep -c 'registry: GET .*/manifests/' <<<"$OUT")
grep -q 'GET blob' <<<"$OUT" && fail "second pull fetched blobs: $OUT"
[ "$n" -eq 1 ] || fail "second pull made $n manifest requests"
ok "second pull: one manifest request, no blob ($(((t1 - t0) / 1000000)) ms)"

# chunked upload, and a cross-repository mount from the pulled name
expect_status 0 "$HVC" push -q --chunk-size 256k three:1 127.0.0.1:5000/t/chunked:1
[ "$OUT" = "$local_digest" ] || fail "chunked push digest $OUT"
expect_status 0 env HVC_ROOT="$R2" "$HVC" -v -v push -q 127.0.0.1:5000/t/three:1 127.0.0.1:5000/t/mounted:1
expect_contains "$OUT" "mount=sha256:"
grep -q 'registry: PATCH\|registry: PUT .*blobs/uploads' <<<"$OUT" && fail "mount still uploaded: $OUT"
sk=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://127.0.0.1:5000/t/mounted:1)
[ "$sk" = "$local_digest" ] || fail "mounted image digest $sk"
ok "chunked upload and cross-repository mount keep the digest"

# ---- skopeo pushes (OCI and Docker v2s2), hvc pulls and runs ----
skopeo copy -q --dest-tls-verify=false "oci:$R1/images:busybox:latest" docker://127.0.0.1:5000/sk/bb:oci ||
	fail "skopeo copy into the registry"
skopeo copy -q --dest-tls-verify=false --format v2s2 "oci:$R1/images:three:1" docker://127.0.0.1:5000/sk/three:v2s2 ||
	fail "skopeo copy --format v2s2"
for ref in sk/bb:oci sk/three:v2s2; do
	want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:5000/$ref")
	expect_status 0 env HVC_ROOT="$R2" "$HVC" pull -q "127.0.0.1:5000/$ref"
	[ "$OUT" = "$want" ] || fail "hvc pulled $OUT, skopeo says $want ($ref)"
	expect_status 0 env HVC_ROOT="$R2" "$HVC" run --rm "127.0.0.1:5000/$ref" echo ran
	[ "$OUT" = ran ] || fail "run $ref: $OUT"
done
ok "skopeo's pushes (OCI and Docker schema 2) pull and run"

# Docker schema 2 keeps its bytes: index.json and image save say so, and
# skopeo reads the saved archive (same digest); an OCI pull is read by umoci
want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://127.0.0.1:5000/sk/three:v2s2)
python3 - "$R2/images/index.json" "$want" <<'PY' || fail "index.json's descriptor of the Docker schema 2 image"
import json, sys
d = [m for m in json.load(open(sys.argv[1]))["manifests"] if m["digest"] == sys.argv[2]]
sys.exit(0 if d and d[0]["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json" else 1)
PY
expect_status 0 env HVC_ROOT="$R2" "$HVC" image save 127.0.0.1:5000/sk/three:v2s2 -o "$TEST_TMP/v2s2.tar"
sk=$(skopeo inspect --format '{{.Digest}}' "oci-archive:$TEST_TMP/v2s2.tar") ||
	fail "skopeo cannot read hvc's save of a Docker schema 2 image"
[ "$sk" = "$want" ] || fail "skopeo reads $sk from the save, want $want"
if command -v umoci >/dev/null; then
	umoci unpack --rootless --image "$R2/images:127.0.0.1:5000/t/three:1" "$TEST_TMP/umoci" >/dev/null 2>&1 ||
		fail "umoci cannot unpack a pulled OCI image from the store"
	[ "$(cat "$TEST_TMP/umoci/rootfs/data/word")" = layered ] || fail "umoci's unpack lacks /data/word"
fi
ok "Docker schema 2: its media type in index.json and in image save; skopeo reads the save; umoci reads an OCI pull"

# an index: linux/amd64 chosen from it, --platform for one it lacks
arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
msize=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:5000/v2/t/three/manifests/1 | wc -c)
idx="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[
 {\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$local_digest\",\"size\":$msize,\"platform\":{\"os\":\"linux\",\"architecture\":\"$arch\"}}]}"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "$idx" \
	http://127.0.0.1:5000/v2/t/three/manifests/multi >/dev/null || fail "could not PUT an index"
expect_status 0 env HVC_ROOT="$R2" "$HVC" pull -q 127.0.0.1:5000/t/three:multi
[ "$OUT" = "$local_digest" ] || fail "index pull gave $OUT"
expect_status 1 env HVC_ROOT="$R2" "$HVC" pull -q --platform linux/s390x 127.0.0.1:5000/t/three:multi
expect_contains "$OUT" "has no manifest for linux/s390x"
ok "index: linux/$arch picked; a platform it lacks is a clear error"

# ---- errors ----
expect_status 1 env HVC_ROOT="$R2" "$HVC" pull busybox
expect_contains "$OUT" "names no registry"
expect_status 1 env HVC_ROOT="$R2" "$HVC" pull 127.0.0.1:5000/t/nothere:1
expect_contains "$OUT" "manifest unknown"
expect_status 2 "$HVC" pull
expect_status 1 "$HVC" pull 'Bad Ref'
expect_contains "$OUT" "invalid reference"
ok "errors: local name, unknown tag, bad reference"

# ---- --pull policy on run ----
R3=$TEST_TMP/root3; mkdir -p "$R3"; cp "$R1/registries.json" "$R3/"
expect_status 125 env HVC_ROOT="$R3" "$HVC" run --rm --pull=never 127.0.0.1:5000/t/three:1 true
expect_status 0 env HVC_ROOT="$R3" "$HVC" run --rm 127.0.0.1:5000/t/three:1 cat /data/word
[ "$(tail -1 <<<"$OUT")" = layered ] || fail "run --pull=missing: $OUT"
expect_status 2 env HVC_ROOT="$R3" "$HVC" run --rm --pull=sometimes 127.0.0.1:5000/t/three:1 true
ok "run --pull: never refuses an absent image, missing pulls it"
R4=$TEST_TMP/root4; mkdir -p "$R4" "$TEST_TMP/ctx"; cp "$R1/registries.json" "$R4/"
printf 'FROM 127.0.0.1:5000/t/three:1\nRUN cp /data/word /copied\n' >"$TEST_TMP/ctx/Dockerfile"
expect_status 1 env HVC_ROOT="$R4" "$HVC" build -q --pull=never -t built:1 "$TEST_TMP/ctx"
expect_contains "$OUT" "not found"
expect_status 0 env HVC_ROOT="$R4" "$HVC" build -q -t built:1 "$TEST_TMP/ctx"
expect_status 0 env HVC_ROOT="$R4" "$HVC" run --rm built:1 cat /copied
[ "$OUT" = layered ] || fail "built image: $OUT"
ok "build FROM a registry image: pulled when missing, refused with --pull=never"

# ---- htpasswd basic auth, login/logout ----
python3 -c 'import crypt; print("alice:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
	2>/dev/null >"$TEST_TMP/htpasswd"
start_registry 5001 htpasswd
for r in "$R1" "$R2"; do echo '{"insecure-registries":["127.0.0.1:5000","127.0.0.1:5001"]}' >"$r/registries.json"; done
expect_status 1 "$HVC" push -q three:1 127.0.0.1:5001/a/three:1
expect_contains "$OUT" "hvc login 127.0.0.1:5001"
expect_status 1 sh -c "echo wrong | '$HVC' login -u alice --password-stdin 127.0.0.1:5001"
[ -e "$R1/auth.json" ] && fail "a rejected login wrote auth.json"
expect_status 0 sh -c "echo s3cret | '$HVC' login -u alice --password-stdin 127.0.0.1:5001"
[ "$(stat -c %a "$R1/auth.json")" = 600 ] || fail "auth.json mode $(stat -c %a "$R1/auth.json")"
grep -q s3cret "$R1/auth.json" && fail "auth.json holds the password in clear"
skopeo inspect --tls-verify=false --authfile "$R1/auth.json" docker://127.0.0.1:5001/a/none:1 2>&1 |
	grep -q "unauthorized" && fail "skopeo cannot use hvc's auth.json"
expect_status 0 "$HVC" -v -v push three:1 127.0.0.1:5001/a/three:1
grep -q s3cret <<<"$OUT" && fail "the password appeared in the trace"
grep -q "$(printf alice:s3cret | base64)" <<<"$OUT" && fail "the credentials appeared in the trace"
expect_status 0 env HVC_ROOT="$R2" "$HVC" pull -q --authfile "$R1/auth.json" 127.0.0.1:5001/a/three:1
[ "$OUT" = "$local_digest" ] || fail "pull with basic auth: $OUT"
expect_status 0 "$HVC" logout 127.0.0.1:5001
expect_status 1 "$HVC" logout 127.0.0.1:5001
ok "basic auth: login checked and stored 0600 (skopeo reads it), never printed; logout"

# ---- TLS with a private CA ----
mkdir -p "$TEST_TMP/ca" "$TEST_TMP/certs"
(
	cd "$TEST_TMP/ca" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=hvc-test-ca &&
		openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 &&
		printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
		openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 1 -extfile ext
) >/dev/null 2>&1 || fail "openssl could not make the test CA"
cp "$TEST_TMP/ca/ca.crt" "$TEST_TMP/certs/"
start_registry 5002 tls
expect_status 1 "$HVC" push -q three:1 127.0.0.1:5002/s/three:1
expect_contains "$OUT" "--cert-dir"
expect_status 0 "$HVC" push -q --cert-dir "$TEST_TMP/certs" three:1 127.0.0.1:5002/s/three:1
expect_status 0 env HVC_ROOT="$R2" "$HVC" pull -q --tls-verify=false 127.0.0.1:5002/s/three:1
[ "$OUT" = "$local_digest" ] || fail "TLS pull: $OUT"
mkdir -p "$R2/certs.d/127.0.0.1:5002" && cp "$TEST_TMP/ca/ca.crt" "$R2/certs.d/127.0.0.1:5002/"
expect_status 0 env HVC_ROOT="$R2" "$HVC" pull -q 127.0.0.1:5002/s/three:1
ok "TLS: an unknown CA is refused with a hint; --cert-dir, certs.d and --tls-verify=false work"

# ---- faults: each leaves the store as it was ----
BASE=$TEST_TMP/base; mkdir -p "$BASE"
HVC_ROOT=$BASE "$HVC" image import --busybox >/dev/null || fail "busybox import"
fresh_r2() { rm -rf "$R2"; cp -a "$BASE" "$R2"; }
fault() { # fault MODE STATUS EXPECTED-TEXT PULL-ARGS... (FAKE: the front's host:port)
	local mode=$1 want=$2 text=$3; shift 3
	fresh_r2; start_fake "$mode" "$R2"
	local before; before=$(store_state "$R2")
	expect_status "$want" env HVC_ROOT="$R2" "$HVC" pull -q "${@/#FAKE/$FAKE}"
	[ -n "$text" ] && expect_contains "$OUT" "$text"
	if [ "$want" != 0 ]; then
		[ "$(store_state "$R2")" = "$before" ] || fail "$mode: the store changed"
	fi
	env HVC_ROOT="$R2" "$HVC" image fsck >/dev/null || fail "$mode: fsck after the fault"
	curl -s "http://$FAKE/counts" >"$TEST_TMP/counts"
	stop_fake
	ok "fault $mode: ${text:-recovered}"
}
fault mismatch 1 "digest mismatch" FAKE/t/three:1
fault bigmanifest 1 "larger than 4194304 bytes" FAKE/t/three:1
fault redirect 1 "redirect" FAKE/t/three:1
fault token-hang 1 "token service" FAKE/t/three:1
fault hostile 1 "escaped" FAKE/evil/img:1
fault forbidden 1 "HTTP 403 Forbidden: access denied (DENIED: requested access" FAKE/t/three:1
fault 429-always 1 "HTTP 429 Too Many Requests: the registry rate-limits; retried, still refused" FAKE/t/three:1
fault 5xx 0 "" FAKE/t/three:1
fault 429 0 "" FAKE/t/three:1
fault reset 0 "" FAKE/t/three:1
[ "$OUT" = "$local_digest" ] || fail "resumed pull digest $OUT"
grep -q '"ranges"' "$TEST_TMP/counts" || fail "the dropped download was not resumed with Range: $(cat "$TEST_TMP/counts")"
ok "reset: resumed with a Range request ($(cat "$TEST_TMP/counts"))"
fault bearer 1 "hvc login" FAKE/t/three:1
fault bearer 0 "" --creds alice:s3cret FAKE/t/three:1
# kill -9 during a pull or a push: tests/integration/31-registry-faults.sh
