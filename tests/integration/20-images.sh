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
exit 0
