#!/bin/bash
# hvc build end to end: a multi-step Dockerfile on busybox (made on first
# use), one history row per step, layers shared with a sibling image, a
# deletion recorded as an OCI whiteout, a fully cached rebuild, clear errors
# for a broken Dockerfile, a failing RUN and bad COPY sources with the store
# unchanged and nothing mounted, and kill -9 in the middle of a RUN.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (overlayfs and namespaces)"
[ -x /bin/busybox ] || skip "busybox-static not installed"

no_mounts() { # nothing of this test mounted, in this namespace
	if grep -qF "$TEST_TMP" /proc/self/mountinfo; then
		grep -F "$TEST_TMP" /proc/self/mountinfo
		fail "mounts left behind after $1"
	fi
}
has_cmd() { "$HVC" image "$1" --help >/dev/null 2>&1; }

CTX=$TEST_TMP/ctx
mkdir -p "$CTX/sub/deeper"
echo "hello from the context" >"$CTX/hello.txt"
echo one >"$CTX/sub/one"
echo deep >"$CTX/sub/deeper/file"
(cd "$CTX" && tar czf "$TEST_TMP/payload.tgz" sub && mv "$TEST_TMP/payload.tgz" "$CTX/payload.tgz")
cat >"$CTX/Dockerfile" <<'DF'
# syntax=docker/dockerfile:1
FROM busybox
ARG WHO=world
ENV GREETING="hello $WHO" \
    APP=/app
LABEL org.example.test=build
WORKDIR $APP
COPY hello.txt sub ./
ADD payload.tgz /opt/
RUN echo "$GREETING" >greeting && mkdir -p /var/data && echo keep >/var/data/keep && echo gone >/var/data/gone
RUN rm /var/data/gone /etc/hostname && ls /app >/app/listing
EXPOSE 8080
CMD ["cat", "/app/greeting"]
DF

# --- first build (busybox:latest is created on first use) -------------------
expect_status 0 "$HVC" build -t demo:v1 --build-arg WHO=hvc "$CTX"
build1=$OUT
expect_contains "$build1" "Step 1/11 : FROM busybox"
expect_contains "$build1" "Step 8/11 : RUN echo"
expect_contains "$build1" "Successfully tagged demo:v1"
digest1=$(sed -n 's/^Successfully built //p' <<<"$build1")
[ -n "$digest1" ] || fail "no 'Successfully built' line: $build1"
expect_status 0 "$HVC" images
expect_contains "$OUT" "busybox"
expect_contains "$OUT" "demo"
ok "multi-step build on busybox (created on first use)"

# --- history: base entries + one per step after FROM (10), 4 with layers ----
expect_status 0 "$HVC" image inspect demo:v1
inspect=$OUT
nhist=$(grep -c '"created_by"' <<<"$inspect")
base_hist=$("$HVC" image inspect busybox | grep -c '"created_by"')
[ "$nhist" -eq $((base_hist + 10)) ] || fail "history has $nhist entries, expected $base_hist + 10"
nempty=$(grep -c '"empty_layer": true' <<<"$inspect")
[ "$nempty" -eq 6 ] || fail "expected 6 empty_layer entries (ARG ENV LABEL WORKDIR EXPOSE CMD), got $nempty"
base_layers=$("$HVC" image inspect busybox | grep -c '"diff_id"')
nlayers=$(grep -c '"diff_id"' <<<"$inspect")
[ "$nlayers" -eq $((base_layers + 4)) ] || fail "expected $base_layers + 4 layers, got $nlayers"
expect_contains "$inspect" '"WorkingDir": "/app"'
expect_contains "$inspect" '"GREETING=hello hvc"'
expect_contains "$inspect" '"org.example.test": "build"'
expect_contains "$inspect" '"8080/tcp"'
if has_cmd history; then
	expect_status 0 "$HVC" image history demo:v1
	expect_contains "$OUT" "RUN"
	expect_contains "$OUT" "COPY"
	rows=$(grep -c -E 'ARG|ENV|LABEL|WORKDIR|COPY|ADD|RUN|EXPOSE|CMD' <<<"$OUT")
	[ "$rows" -ge 10 ] || fail "hvc image history shows $rows build rows: $OUT"
	ok "hvc image history: one row per step"
fi
ok "config and history: $nhist entries, $nlayers layers"

# --- the flattened rootfs: files there, deleted files gone -----------------
FLAT=$TEST_TMP/flat
expect_status 0 "$HVC" image flatten demo:v1 "$FLAT"
[ "$(cat "$FLAT/app/greeting")" = "hello hvc" ] || fail "greeting: $(cat "$FLAT/app/greeting")"
[ "$(cat "$FLAT/app/hello.txt")" = "hello from the context" ] || fail "COPY file"
[ "$(cat "$FLAT/app/one")" = "one" ] || fail "COPY dir contents"
[ "$(cat "$FLAT/app/deeper/file")" = "deep" ] || fail "COPY nested dir"
[ "$(cat "$FLAT/opt/sub/deeper/file")" = "deep" ] || fail "ADD did not unpack the tar"
[ -f "$FLAT/var/data/keep" ] || fail "/var/data/keep missing"
[ ! -e "$FLAT/var/data/gone" ] || fail "/var/data/gone still there after rm"
[ ! -e "$FLAT/etc/hostname" ] || fail "/etc/hostname (from the base) still there after rm"
grep -q hello.txt "$FLAT/app/listing" || fail "RUN did not see COPY's files"
ok "flattened rootfs has the changes, deleted files gone"

# --- the runtime runs the built image with its CMD, env and workdir ------------
if "$HVC" run --help >/dev/null 2>&1; then
	OUT=$(timeout 60 "$HVC" run --rm demo:v1 2>&1) || fail "hvc run demo:v1: $OUT"
	[ "$OUT" = "hello hvc" ] || fail "hvc run demo:v1 printed: $OUT"
	OUT=$(timeout 60 "$HVC" run --rm demo:v1 sh -c 'echo $GREETING; pwd' 2>&1) || fail "hvc run: $OUT"
	[ "$OUT" = "$(printf 'hello hvc\n/app')" ] || fail "env/workdir in hvc run: $OUT"
	ok "hvc run executes the built image (CMD, ENV, WORKDIR)"
fi

# --- the last RUN layer holds whiteouts and nothing else of the earlier steps -
last_blob=$(grep '"digest"' <<<"$inspect" | grep -v '"Id"' | tail -1 | sed -E 's/.*"(sha256:[0-9a-f]{64})".*/\1/')
blob="$HVC_ROOT/images/blobs/sha256/${last_blob#sha256:}"
[ -f "$blob" ] || fail "last layer blob $last_blob not found at $blob"
members=$(tar -tzf "$blob") || fail "last layer is not a gzip tar"
expect_contains "$members" "var/data/.wh.gone"
expect_contains "$members" "etc/.wh.hostname"
expect_contains "$members" "app/listing"
if grep -q "var/data/keep" <<<"$members"; then fail "last layer repeats an earlier step's file: $members"; fi
ok "deletion recorded as OCI whiteouts (.wh.gone, .wh.hostname)"

# --- a directory removed and re-made is opaque; a rename is a whiteout + add ---
mkdir -p "$TEST_TMP/opq"
printf 'FROM busybox\nRUN mkdir -p /d/sub && echo 1 >/d/sub/f\nRUN rm -rf /d && mkdir /d && echo new >/d/h && mv /bin/ls /bin/ls2\n' \
	>"$TEST_TMP/opq/Dockerfile"
expect_status 0 "$HVC" build -t opq "$TEST_TMP/opq"
last=$("$HVC" image inspect opq | grep '"digest"' | tail -1 | sed -E 's/.*"(sha256:[0-9a-f]{64})".*/\1/')
members=$(tar -tzf "$HVC_ROOT/images/blobs/sha256/${last#sha256:}")
expect_contains "$members" "d/.wh..wh..opq"
expect_contains "$members" "bin/.wh.ls"
expect_contains "$members" "bin/ls2"
expect_status 0 "$HVC" image flatten opq "$TEST_TMP/flat-opq"
[ ! -e "$TEST_TMP/flat-opq/d/sub" ] && [ -f "$TEST_TMP/flat-opq/d/h" ] || fail "opaque dir not applied: $(find "$TEST_TMP/flat-opq/d")"
[ ! -e "$TEST_TMP/flat-opq/bin/ls" ] && [ -e "$TEST_TMP/flat-opq/bin/ls2" ] || fail "rename not applied"
ok "opaque directory (.wh..wh..opq) and rename (whiteout + new name)"

# --- peers read what the build wrote (whiteouts and opaque dirs applied by umoci)
if command -v skopeo >/dev/null && command -v umoci >/dev/null; then
	expect_status 0 skopeo inspect "oci:$HVC_ROOT/images:opq:latest"
	expect_contains "$OUT" '"Architecture": "amd64"'
	expect_status 0 umoci unpack --image "$HVC_ROOT/images:opq:latest" "$TEST_TMP/umoci-opq"
	[ ! -e "$TEST_TMP/umoci-opq/rootfs/d/sub" ] && [ -f "$TEST_TMP/umoci-opq/rootfs/d/h" ] ||
		fail "umoci: opaque dir not applied"
	[ ! -e "$TEST_TMP/umoci-opq/rootfs/bin/ls" ] || fail "umoci: whiteout not applied"
	ok "skopeo inspects and umoci unpacks a built image"
fi

# --- a fully cached rebuild gives the same image ----------------------------
expect_status 0 "$HVC" build -t demo:v1 --build-arg WHO=hvc "$CTX"
ncached=$(grep -c -- '---> cached' <<<"$OUT")
[ "$ncached" -eq 10 ] || fail "expected 10 cached steps, got $ncached: $OUT"
[ "$(sed -n 's/^Successfully built //p' <<<"$OUT")" = "$digest1" ] || fail "cached rebuild changed the digest"
ok "rebuild fully cached, same digest"

# a changed build arg reruns from the first step that sees it
expect_status 0 "$HVC" build -t demo:v2 --build-arg WHO=again "$CTX"
ncached=$(grep -c -- '---> cached' <<<"$OUT")
[ "$ncached" -eq 0 ] || fail "ARG change should invalidate from step 2, $ncached cached: $OUT"
# --no-cache reruns everything, and a changed context file invalidates COPY
echo "changed" >"$CTX/hello.txt"
expect_status 0 "$HVC" build -t demo:v3 --build-arg WHO=hvc "$CTX"
ncached=$(grep -c -- '---> cached' <<<"$OUT")
[ "$ncached" -eq 4 ] || fail "changed hello.txt: expected steps 2-5 cached (4), got $ncached: $OUT"
expect_status 0 "$HVC" build --no-cache -t demo:v4 --build-arg WHO=hvc "$CTX"
! grep -q -- '---> cached' <<<"$OUT" || fail "--no-cache used the cache"
ok "cache invalidation: build args, context content, --no-cache"

# --- a second image on the same base shares its layers -----------------------
mkdir -p "$TEST_TMP/ctx2"
printf 'FROM busybox\nRUN echo other >/other\n' >"$TEST_TMP/ctx2/Dockerfile"
expect_status 0 "$HVC" build -t other "$TEST_TMP/ctx2"
base_first=$("$HVC" image inspect busybox | grep -m1 '"diff_id"')
for img in demo:v1 other; do
	"$HVC" image inspect "$img" | grep -qF "$base_first" || fail "$img does not share busybox's layer"
done
nbase=$(ls "$HVC_ROOT/layers" | grep -c "$(sed -E 's/.*sha256:([0-9a-f]{12}).*/\1/' <<<"$base_first")")
[ "$nbase" -eq 1 ] || fail "busybox layer unpacked $nbase times"
if has_cmd tree; then
	expect_status 0 "$HVC" image tree
	expect_contains "$OUT" "other"
	expect_contains "$OUT" "demo"
fi
if has_cmd du; then
	expect_status 0 "$HVC" image du
	expect_contains "$OUT" "other"
fi
ok "a second image shares the base layer (one copy on disk)"

# --- FROM scratch, exec form, USER, relative WORKDIR, COPY renames ----------
S=$TEST_TMP/scratchctx
mkdir -p "$S"
cp /bin/busybox "$S/busybox"
echo data >"$S/f.txt"
cat >"$S/Dockerfile" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /etc /tmp && chmod 1777 /tmp && echo 'app:x:1000:1000::/:/bin/sh' >/etc/passwd
USER app
WORKDIR work
RUN id -u >/tmp/uid && pwd >/tmp/pwd
USER root
COPY f.txt /renamed.txt
COPY --chown=app --chmod=600 f.txt /owned.txt
DF
expect_status 0 "$HVC" build -t scratchy "$S"
expect_status 0 "$HVC" image flatten scratchy "$TEST_TMP/flat-s"
[ "$(cat "$TEST_TMP/flat-s/tmp/uid")" = 1000 ] || fail "USER app not applied"
[ "$(cat "$TEST_TMP/flat-s/tmp/pwd")" = /work ] || fail "relative WORKDIR not applied"
[ "$(cat "$TEST_TMP/flat-s/renamed.txt")" = data ] || fail "COPY to a file path"
last=$("$HVC" image inspect scratchy | grep '"digest"' | tail -1 | sed -E 's/.*"(sha256:[0-9a-f]{64})".*/\1/')
owned=$(tar -tvzf "$HVC_ROOT/images/blobs/sha256/${last#sha256:}" | grep owned.txt)
expect_contains "$owned" "-rw------- 1000/1000"
printf 'FROM scratch\nRUN echo hi\n' >"$TEST_TMP/Dockerfile.nosh"
expect_status 1 "$HVC" build -f "$TEST_TMP/Dockerfile.nosh" "$S"
expect_contains "$OUT" 'exec "/bin/sh": executable file not found'
expect_contains "$OUT" "returned a non-zero code: 127"
ok "FROM scratch, exec form, USER, WORKDIR, COPY to a file, COPY --chown/--chmod"

# --- COPY through a symlinked directory of the image (merged-/usr style) ------
L=$TEST_TMP/linkctx
mkdir -p "$L"; echo f >"$L/f.txt"
printf 'FROM busybox\nRUN mkdir -p /usr/xbin /usr/ybin && ln -s usr/xbin /xbin && ln -s /usr/ybin /ybin\nCOPY f.txt /xbin/\nCOPY f.txt /ybin/g.txt\n' >"$L/Dockerfile"
expect_status 0 "$HVC" build -t linky "$L"
expect_status 0 "$HVC" image flatten linky "$TEST_TMP/flat-link"
[ -L "$TEST_TMP/flat-link/xbin" ] && [ -L "$TEST_TMP/flat-link/ybin" ] || fail "COPY replaced a symlinked dir"
[ -f "$TEST_TMP/flat-link/usr/xbin/f.txt" ] && [ -f "$TEST_TMP/flat-link/usr/ybin/g.txt" ] || fail "COPY did not follow the image's symlinks"
ok "COPY follows the image's symlinks in the destination"

# --- .dockerignore -------------------------------------------------------------
I=$TEST_TMP/ignctx
mkdir -p "$I/src" "$I/build"
echo code >"$I/src/main.c"; echo junk >"$I/build/out.o"; echo x >"$I/debug.log"
printf 'build\n*.log\n' >"$I/.dockerignore"
printf 'FROM busybox\nCOPY . /ctx/\n' >"$I/Dockerfile"
expect_status 0 "$HVC" build -t ign "$I"
expect_status 0 "$HVC" image flatten ign "$TEST_TMP/flat-ign"
[ -f "$TEST_TMP/flat-ign/ctx/src/main.c" ] || fail ".dockerignore: src/main.c missing"
[ ! -e "$TEST_TMP/flat-ign/ctx/build" ] && [ ! -e "$TEST_TMP/flat-ign/ctx/debug.log" ] || fail ".dockerignore not applied"
printf 'FROM busybox\nCOPY debug.log /\n' >"$I/Dockerfile"
expect_status 1 "$HVC" build -t ign "$I"
expect_contains "$OUT" "debug.log: excluded from the build context by .dockerignore"
ok ".dockerignore"

# --- two builds at once ---------------------------------------------------------
mkdir -p "$TEST_TMP/c6" "$TEST_TMP/c7"
printf 'FROM busybox\nRUN sleep 0.5; echo a >/a\n' >"$TEST_TMP/c6/Dockerfile"
printf 'FROM busybox\nRUN sleep 0.5; echo b >/b\n' >"$TEST_TMP/c7/Dockerfile"
"$HVC" build -q -t par-a "$TEST_TMP/c6" >"$TEST_TMP/par-a.log" 2>&1 &
pa=$!
"$HVC" build -q -t par-b "$TEST_TMP/c7" >"$TEST_TMP/par-b.log" 2>&1 &
pb=$!
wait $pa || fail "parallel build a: $(cat "$TEST_TMP/par-a.log")"
wait $pb || fail "parallel build b: $(cat "$TEST_TMP/par-b.log")"
expect_status 0 "$HVC" images
expect_contains "$OUT" "par-a"
expect_contains "$OUT" "par-b"
ok "two concurrent builds"

OUT=$(printf 'FROM busybox\nLABEL from=stdin\n' | "$HVC" build -q -f - -t stdin-df "$TEST_TMP/c6" 2>&1) || fail "-f -: $OUT"
expect_status 0 "$HVC" image inspect stdin-df
expect_contains "$OUT" '"from": "stdin"'
ok "Dockerfile from stdin (-f -)"

# --- errors: clear, store unchanged, nothing mounted ---------------------------
index_before=$(cat "$HVC_ROOT/images/index.json")
printf 'FROM busybox\nRUN true\nRUNN oops\n' >"$TEST_TMP/Dockerfile.bad"
expect_status 1 "$HVC" build -f "$TEST_TMP/Dockerfile.bad" -t broken "$CTX"
expect_contains "$OUT" "Dockerfile.bad:3: unknown instruction: RUNN"
printf 'FROM busybox\nRUN echo about to fail; exit 7\n' >"$TEST_TMP/Dockerfile.fail"
expect_status 1 "$HVC" build -f "$TEST_TMP/Dockerfile.fail" -t broken "$CTX"
expect_contains "$OUT" "step 2/2"
expect_contains "$OUT" "exit 7"
expect_contains "$OUT" "returned a non-zero code: 7"
expect_contains "$OUT" "about to fail"
printf 'FROM busybox\nCOPY missing.txt /\n' >"$TEST_TMP/Dockerfile.missing"
expect_status 1 "$HVC" build -f "$TEST_TMP/Dockerfile.missing" -t broken "$CTX"
expect_contains "$OUT" "missing.txt: no such file or directory in the build context"
printf 'FROM busybox\nCOPY ../../etc/passwd /\n' >"$TEST_TMP/Dockerfile.escape"
expect_status 1 "$HVC" build -f "$TEST_TMP/Dockerfile.escape" -t broken "$CTX"
expect_contains "$OUT" "forbidden path outside the build context"
ln -s /etc/passwd "$CTX/evil-link"
printf 'FROM busybox\nCOPY evil-link /\n' >"$TEST_TMP/Dockerfile.link"
expect_status 1 "$HVC" build -f "$TEST_TMP/Dockerfile.link" -t broken "$CTX"
expect_contains "$OUT" "forbidden path outside the build context"
rm "$CTX/evil-link"
expect_status 2 "$HVC" build -t x
expect_status 1 "$HVC" build -t 'Bad:Name:x' "$CTX"
[ "$(cat "$HVC_ROOT/images/index.json")" = "$index_before" ] || fail "a failed build changed index.json"
no_mounts "failed builds"
[ -z "$(ls -A "$HVC_ROOT/tmp" 2>/dev/null)" ] || fail "scratch left in $HVC_ROOT/tmp: $(ls "$HVC_ROOT/tmp")"
ok "broken Dockerfile, failing RUN, bad COPY sources: clear errors, store unchanged, nothing mounted"

# --- kill -9 in the middle of a RUN -----------------------------------------
mkdir -p "$TEST_TMP/ctx3"
printf 'FROM busybox\nRUN echo started; sleep 4242\n' >"$TEST_TMP/ctx3/Dockerfile"
"$HVC" build -t killed "$TEST_TMP/ctx3" >"$TEST_TMP/kill.log" 2>&1 &
bpid=$!
on_exit "kill -9 $bpid"
for _ in $(seq 100); do grep -q started "$TEST_TMP/kill.log" && break; sleep 0.1; done
grep -q started "$TEST_TMP/kill.log" || fail "the RUN never started: $(cat "$TEST_TMP/kill.log")"
kill -9 "$bpid"
{ wait "$bpid"; } 2>/dev/null
for _ in $(seq 50); do pgrep -f "sleep 4242" >/dev/null || break; sleep 0.1; done
! pgrep -f "sleep 4242" >/dev/null || fail "the RUN's process outlived the killed build"
no_mounts "kill -9 during RUN"
expect_status 0 "$HVC" images
if "$HVC" image fsck --help >/dev/null 2>&1; then
	expect_status 0 "$HVC" image fsck
fi
expect_status 0 "$HVC" build -t demo:v1 --build-arg WHO=hvc "$CTX"
[ -z "$(ls -A "$HVC_ROOT/tmp" 2>/dev/null)" ] || fail "the killed build's scratch was not reclaimed: $(ls "$HVC_ROOT/tmp")"
ok "kill -9 during RUN: no process or mount left, store readable, builds still work"
