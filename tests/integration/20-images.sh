#!/bin/bash
# Image store: import, listing, inspect, lowerdirs, flatten, errors, and the
# peers (skopeo, umoci) reading what hvc wrote.
. "$(dirname "$0")/lib.sh"

# busybox appears on first use in a fresh root
expect_status 0 "$HVC" image unpack busybox
lower=$OUT
[ -x "$lower/bin/busybox" ] || fail "unpacked busybox layer lacks bin/busybox: $lower"
[ -L "$lower/bin/sh" ] || fail "no bin/sh applet link"
expect_status 0 "$HVC" images
expect_contains "$OUT" "busybox"
ok "busybox created on first use, unpacked at $lower"

# the same host busybox gives the same digest in any root
d1=$("$HVC" images --json | grep -o '"sha256:[0-9a-f]*"' | head -1)
d2=$(HVC_ROOT="$TEST_TMP/root2" "$HVC" image import --busybox)
[ "\"$d2\"" = "$d1" ] || fail "busybox digest differs between roots: $d1 vs $d2"
ok "busybox import is deterministic ($d2)"

expect_status 1 "$HVC" image inspect busybx
expect_contains "$OUT" 'image "busybx" not found (try: hvc images)'
ok "unknown image error"

# import a directory and a tarball
mkdir -p "$TEST_TMP/src/etc" "$TEST_TMP/src/bin"
echo hello >"$TEST_TMP/src/etc/greeting"
ln -s greeting "$TEST_TMP/src/etc/link"
expect_status 0 "$HVC" image import "$TEST_TMP/src" mydir:v1
tar -C "$TEST_TMP/src" -czf "$TEST_TMP/src.tgz" .
expect_status 0 "$HVC" image import "$TEST_TMP/src.tgz" mytar
expect_status 0 "$HVC" image flatten mytar "$TEST_TMP/flat"
[ "$(cat "$TEST_TMP/flat/etc/greeting")" = hello ] || fail "flattened file content"
[ "$(readlink "$TEST_TMP/flat/etc/link")" = greeting ] || fail "flattened symlink"
ok "import of a directory and a tar.gz; flatten"

expect_status 0 "$HVC" image inspect mydir:v1
expect_contains "$OUT" '"RepoTags"'
expect_contains "$OUT" 'mydir:v1'

# peers read what hvc wrote
if command -v skopeo >/dev/null; then
	expect_status 0 skopeo inspect "oci:$HVC_ROOT/images:busybox:latest"
	expect_contains "$OUT" '"Architecture": "amd64"'
	ok "skopeo inspect reads the store"
fi
if command -v umoci >/dev/null; then
	expect_status 0 umoci unpack --image "$HVC_ROOT/images:busybox:latest" "$TEST_TMP/umoci"
	[ -x "$TEST_TMP/umoci/rootfs/bin/busybox" ] || fail "umoci unpack: no busybox"
	ok "umoci unpack reads the store"
fi

# layers on layers: --from adds one layer; OCI whiteouts delete lower files
mkdir -p "$TEST_TMP/l1/app" "$TEST_TMP/l1/etc" "$TEST_TMP/l2/app"
echo v1 >"$TEST_TMP/l1/app/hello"
touch "$TEST_TMP/l1/etc/.wh.hostname"
echo two >"$TEST_TMP/l2/app/two"
touch "$TEST_TMP/l2/app/.wh.hello"
expect_status 0 "$HVC" image import --from busybox "$TEST_TMP/l1" app:v1
expect_status 0 "$HVC" image import --from app:v1 "$TEST_TMP/l2" app:v2
expect_status 0 "$HVC" image history app:v2
[ "$(grep -c 'hvc image import' <<<"$OUT")" -eq 3 ] || fail "history rows: $OUT"
expect_status 0 "$HVC" image tree
expect_contains "$OUT" "busybox:latest"
expect_contains "$OUT" "└─ "
expect_contains "$OUT" "app:v2"
ok "history and tree of a three-layer image"
echo "$OUT"

expect_status 0 "$HVC" image flatten app:v2 "$TEST_TMP/flat2"
[ -e "$TEST_TMP/flat2/app/hello" ] && fail "whiteout did not delete app/hello in flatten"
[ -e "$TEST_TMP/flat2/etc/hostname" ] && fail "whiteout did not delete etc/hostname in flatten"
[ "$(cat "$TEST_TMP/flat2/app/two")" = two ] || fail "flatten lost app/two"
# the same view through overlayfs on the unpacked layers
if [ "$(id -u)" = 0 ]; then
	expect_status 0 "$HVC" image unpack app:v2
	lower=$(paste -sd: <<<"$OUT")
	app_top=$(head -1 <<<"$OUT")
	mkdir -p "$TEST_TMP/mnt"
	mount -t overlay -o "lowerdir=$lower" none "$TEST_TMP/mnt" || fail "overlay mount of lowerdirs $lower"
	on_exit umount "$TEST_TMP/mnt"
	diff -r --no-dereference "$TEST_TMP/flat2" "$TEST_TMP/mnt" >/dev/null || fail "overlay view differs from flatten"
	umount "$TEST_TMP/mnt"
	ok "overlayfs over the lowerdirs equals the flattened rootfs"
fi

# du before a layer is unpacked: "-" and the reason, never a partial sum
# (root2 only imported busybox); --unpack makes the size known
expect_status 0 env HVC_ROOT="$TEST_TMP/root2" "$HVC" image du
grep -Eq '^busybox:latest +[0-9a-f]{12} +1 +.* +- +- +-$' <<<"$OUT" || fail "du of a packed layer: $OUT"
expect_contains "$OUT" "-: some of the image's layers are not unpacked yet"
expect_contains "$OUT" "hvc image du --unpack"
HVC_ROOT="$TEST_TMP/root2" "$HVC" image du --json | python3 -c '
import json, sys
i = json.load(sys.stdin)["images"][0]
assert i["unpacked"] is None and i["layers_not_unpacked"] == 1, i' || fail "du --json of a packed layer"
expect_status 0 env HVC_ROOT="$TEST_TMP/root2" "$HVC" image du --unpack
grep -Eq '^busybox:latest .* [0-9.]+ (KiB|MiB) +0 B +[0-9.]+ (KiB|MiB)$' <<<"$OUT" || fail "du --unpack: $OUT"
grep -q "not unpacked yet" <<<"$OUT" && fail "du --unpack still says not unpacked: $OUT"
ok "du says why an unpacked size is unknown; --unpack makes it known"

expect_status 0 "$HVC" image du --unpack
expect_contains "$OUT" "app:v2"
expect_contains "$OUT" "store:"
"$HVC" image du --json | grep -q '"compressed_shared"' || fail "du --json"
ok "du"

# save / load round trip into a fresh root
expect_status 0 "$HVC" image save app:v2 busybox -o "$TEST_TMP/save.tar"
expect_status 0 env HVC_ROOT="$TEST_TMP/root3" "$HVC" image load -i "$TEST_TMP/save.tar"
expect_contains "$OUT" "Loaded image: app:v2"
d_orig=$("$HVC" image inspect app:v2 | grep -m1 '"Id"')
d_load=$(HVC_ROOT="$TEST_TMP/root3" "$HVC" image inspect app:v2 | grep -m1 '"Id"')
[ "$d_orig" = "$d_load" ] || fail "digest changed in save/load: $d_orig vs $d_load"
expect_status 0 env HVC_ROOT="$TEST_TMP/root3" "$HVC" image fsck
ok "save/load round trip keeps digests"

# a corrupted archive is refused and changes nothing
mkdir -p "$TEST_TMP/bad" && tar -C "$TEST_TMP/bad" -xf "$TEST_TMP/save.tar"
big=$(ls -S "$TEST_TMP/bad/blobs/sha256" | head -1)
printf 'X' | dd of="$TEST_TMP/bad/blobs/sha256/$big" bs=1 seek=200 conv=notrunc 2>/dev/null
tar -C "$TEST_TMP/bad" -cf "$TEST_TMP/bad.tar" .
before=$(ls "$TEST_TMP/root4/images/blobs/sha256" 2>/dev/null | wc -l)
expect_status 1 env HVC_ROOT="$TEST_TMP/root4" "$HVC" image load -i "$TEST_TMP/bad.tar"
expect_contains "$OUT" "sha256:$big"
expect_contains "$OUT" "digest mismatch"
[ "$(ls "$TEST_TMP/root4/images/blobs/sha256" | wc -l)" = 0 ] || fail "bad load left blobs behind"
ok "corrupted archive refused, store unchanged: $OUT"

# hostile tar import: refused, naming the member; nothing written outside
mkdir -p "$TEST_TMP/evil"
python3 - "$TEST_TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("../escaped"); data = b"pwned"; i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
expect_status 1 "$HVC" image import "$TEST_TMP/evil.tar" evil
expect_contains "$OUT" "member \`../escaped\`"
[ -e "$TEST_TMP/escaped" ] && fail "import wrote outside"
ok "hostile import refused: $OUT"
python3 - "$TEST_TMP/evil2.tar" "$TEST_TMP/outside" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    l = tarfile.TarInfo("escape"); l.type = tarfile.SYMTYPE; l.linkname = sys.argv[2]
    t.addfile(l)
    i = tarfile.TarInfo("escape/pwned"); data = b"pwned"; i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
mkdir -p "$TEST_TMP/outside"
expect_status 1 "$HVC" image import "$TEST_TMP/evil2.tar" evil2
expect_contains "$OUT" "member \`escape/pwned\`: its path leaves the target through a symlink"
[ -e "$TEST_TMP/outside/pwned" ] && fail "import wrote through a symlink"
"$HVC" images --format "{{.Repository}}" | grep -q evil2 && fail "refused import was tagged"
ok "symlink-escape import refused at import time: $OUT"

# rm refuses an image a container uses (the runtime records image_digest)
dig=$("$HVC" image inspect app:v1 | grep -m1 '"Id"' | sed 's/.*"\(sha256:[0-9a-f]*\)".*/\1/')
mkdir -p "$HVC_ROOT/containers/c1"
echo "{\"image_digest\": \"$dig\"}" >"$HVC_ROOT/containers/c1/config.json"
expect_status 1 "$HVC" image rm app:v1
expect_contains "$OUT" "used by container c1"
rm -rf "$HVC_ROOT/containers/c1"
expect_status 0 "$HVC" image rm app:v2
expect_contains "$OUT" "Deleted: sha256:"
expect_status 0 "$HVC" image rm app:v1
expect_status 0 "$HVC" image prune
expect_status 0 "$HVC" image fsck
[ -z "${app_top:-}" ] || [ ! -e "$app_top" ] || fail "unpacked layer of a removed image remains: $app_top"
ok "rm (refused while used), prune, fsck"

# fsck finds a corrupted blob and names it
layer=$("$HVC" image inspect busybox | grep -m1 '"digest"' | sed 's/.*"sha256:\([0-9a-f]*\)".*/\1/')
cp "$HVC_ROOT/images/blobs/sha256/$layer" "$TEST_TMP/layer.bak"
printf 'X' | dd of="$HVC_ROOT/images/blobs/sha256/$layer" bs=1 seek=300 conv=notrunc 2>/dev/null
expect_status 1 "$HVC" image fsck
expect_contains "$OUT" "sha256:$layer: digest mismatch"
cp "$TEST_TMP/layer.bak" "$HVC_ROOT/images/blobs/sha256/$layer"
expect_status 0 "$HVC" image fsck
ok "fsck names a corrupted blob"

# a damaged config hides only its own image from the listing
expect_status 0 "$HVC" image import "$TEST_TMP/src" victim:v1
cfg=$("$HVC" image inspect victim:v1 | grep -m1 '"ConfigDigest"' | sed 's/.*"sha256:\([0-9a-f]*\)".*/\1/')
cp "$HVC_ROOT/images/blobs/sha256/$cfg" "$TEST_TMP/cfg.bak"
echo '{"broken":' >"$HVC_ROOT/images/blobs/sha256/$cfg"
expect_status 0 "$HVC" images
expect_contains "$OUT" "busybox"
expect_contains "$OUT" "image victim:v1: blob sha256:$cfg"
expect_status 1 "$HVC" image fsck
expect_contains "$OUT" "sha256:$cfg"
cp "$TEST_TMP/cfg.bak" "$HVC_ROOT/images/blobs/sha256/$cfg"
expect_status 0 "$HVC" image fsck
ok "a damaged image is reported, the others still listed"

# concurrency: two imports at once both land intact
for i in 1 2 3 4; do mkdir -p "$TEST_TMP/c$i/data"; head -c 200000 /dev/urandom >"$TEST_TMP/c$i/data/blob"; done
"$HVC" image import "$TEST_TMP/c1" conc1 >/dev/null & p1=$!
"$HVC" image import "$TEST_TMP/c2" conc2 >/dev/null & p2=$!
"$HVC" image import --from busybox "$TEST_TMP/c3" conc3 >/dev/null & p3=$!
"$HVC" image import --from busybox "$TEST_TMP/c4" conc4 >/dev/null & p4=$!
wait $p1 && wait $p2 && wait $p3 && wait $p4 || fail "a concurrent import failed"
expect_status 0 "$HVC" images
for i in 1 2 3 4; do expect_contains "$OUT" "conc$i"; done
expect_status 0 "$HVC" image fsck
ok "four concurrent imports all landed"

# a prune racing imports leaves a consistent store
"$HVC" image import "$TEST_TMP/c1" race1 >/dev/null & p1=$!
"$HVC" image prune -a >/dev/null & p2=$!
"$HVC" image import "$TEST_TMP/c2" race2 >/dev/null & p3=$!
wait $p1; wait $p2; wait $p3
expect_status 0 "$HVC" image fsck
ok "prune racing imports: fsck clean"

# kill -9 in the middle of an import: the store stays readable and consistent
mkdir -p "$TEST_TMP/big"
for i in $(seq 1 8); do head -c 4000000 /dev/urandom >"$TEST_TMP/big/f$i"; done
for delay in 0.05 0.2 0.5; do
	"$HVC" image import "$TEST_TMP/big" big:v1 >/dev/null 2>&1 & pk=$!
	sleep "$delay"; kill -9 "$pk" 2>/dev/null; wait "$pk" 2>/dev/null
	expect_status 0 "$HVC" images
	expect_status 0 "$HVC" image fsck
done
expect_status 0 "$HVC" image prune
[ -z "$(ls -A "$HVC_ROOT/tmp")" ] || fail "prune left scratch: $(ls -A "$HVC_ROOT/tmp")"
ok "kill -9 during import: images and fsck fine, prune removes the scratch"

# skopeo copy out of the store, archive it, load it back
if command -v skopeo >/dev/null; then
	expect_status 0 "$HVC" image import --busybox
	expect_status 0 skopeo copy "oci:$HVC_ROOT/images:busybox:latest" "oci:$TEST_TMP/sk:copied:v9"
	tar -C "$TEST_TMP/sk" -cf "$TEST_TMP/sk.tar" .
	expect_status 0 env HVC_ROOT="$TEST_TMP/root5" "$HVC" image load -i "$TEST_TMP/sk.tar"
	expect_contains "$OUT" "Loaded image: copied:v9"
	expect_status 0 env HVC_ROOT="$TEST_TMP/root5" "$HVC" image flatten copied:v9 "$TEST_TMP/skflat"
	[ -x "$TEST_TMP/skflat/bin/busybox" ] || fail "skopeo-copied image flattened without busybox"
	expect_status 0 skopeo copy "oci:$HVC_ROOT/images:busybox:latest" "oci-archive:$TEST_TMP/sk2.tar:arch:v1"
	expect_status 0 env HVC_ROOT="$TEST_TMP/root5" "$HVC" image load -i "$TEST_TMP/sk2.tar"
	expect_contains "$OUT" "Loaded image: arch:v1"
	ok "skopeo copy -> OCI layout/archive -> hvc image load"
fi
exit 0
