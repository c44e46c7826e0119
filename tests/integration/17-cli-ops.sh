#!/bin/bash
# The container and VM operations of issue 18's "Also seen" (docs/cli.md):
# images -q (ids), start [-a], attach (output; keys to a -t container),
# top, cp both ways (and a hostile symlink inside the container never leads
# to the host), exec -it refused without a terminal, the one inspect shape,
# and vm shutdown / dominfo / stats --format json / run --timings' "-".
. "$(dirname "$0")/lib.sh"
PTY="python3 $(dirname "$0")/pty_drive.py"

expect_status 0 "$HVC" image import --busybox
expect_status 0 "$HVC" image tag busybox again:v1

# --- images -q: docker's IMAGE ID, once per image --------------------------------
expect_status 0 "$HVC" images -q
id=$(jq -r '.[0].Id' <<<"$("$HVC" image inspect busybox)")
[ "$OUT" = "${id:7:12}" ] || fail "images -q: '$OUT', expected ${id:7:12} once (two tags, one image)"
expect_status 0 "$HVC" image inspect "$OUT"
ok "images -q prints the 12-hex id once per image; the id resolves"

# --- start [-a]: the same container again, its files kept ------------------------
cmd='echo run-$(cat /n 2>/dev/null | wc -l); echo x >>/n; exit 4'
expect_status 4 "$HVC" run --name st --network none busybox sh -c "$cmd"
on_exit "$HVC" rm -f st
first=$("$HVC" inspect -f '{{.Id}}' st)
expect_status 0 "$HVC" start st
[ "$OUT" = st ] || fail "start printed '$OUT'"
expect_status 0 "$HVC" wait st
[ "$OUT" = 4 ] || fail "wait after start: $OUT"
expect_status 4 "$HVC" start -a st
[ "$OUT" = run-2 ] || fail "start -a printed '$OUT', expected only this run's output run-2"
[ "$("$HVC" logs st | tr '\n' ' ')" = "run-0 run-1 run-2 " ] || fail "log: $("$HVC" logs st)"
[ "$("$HVC" inspect -f '{{.Id}}' st)" = "$first" ] || fail "start changed the id"
expect_status 0 "$HVC" run -d --name st-rm --rm --network none busybox sleep 30
on_exit "$HVC" rm -f st-rm
expect_status 0 "$HVC" start st-rm # running: nothing to do, as docker
expect_status 2 "$HVC" start -a st st-rm
expect_contains "$OUT" "one container at a time"
expect_status 1 "$HVC" start no-such
ok "start: same id, upper layer kept, log appended; -a follows and exits with the status"

# --- top -------------------------------------------------------------------------
expect_status 0 "$HVC" run -d --name tp --network none busybox sh -c 'sleep 31 & exec sleep 32'
on_exit "$HVC" rm -f tp
expect_status 0 "$HVC" top tp
expect_contains "$OUT" "UID"
expect_contains "$OUT" "sleep 31"
expect_contains "$OUT" "sleep 32"
pid=$("$HVC" inspect -f '{{.State.Pid}}' tp)
[ "$("$HVC" top --format '{{.PID}}' tp | head -1)" = "$pid" ] || fail "top: first PID is not the init $pid"
[ "$("$HVC" top --format json tp | jq length)" = 3 ] || fail "top --format json: $("$HVC" top --format json tp)"
expect_status 2 "$HVC" top --format '{{.Nope}}' tp
expect_status 1 "$HVC" top st
expect_contains "$OUT" "not running"
ok "top: init, children; --format json / template; a stopped container refused"

# --- cp ------------------------------------------------------------------------------
mkdir -p "$TEST_TMP/h/d/sub" "$TEST_TMP/victim"
echo host-file >"$TEST_TMP/h/f"; echo deep >"$TEST_TMP/h/d/sub/g"; echo secret >"$TEST_TMP/victim/secret"
V="$TEST_TMP/victim"
"$HVC" exec tp sh -c "mkdir /data && echo c >/data/c && ln -s / /esc && ln -s $V /vic && ln -s ../../../..$V /data/rel && ln -s c /data/lnk && ln -s /data/c /data/lnk2" ||
	fail "exec setup"
expect_status 0 "$HVC" cp "$TEST_TMP/h/f" tp:/data/
expect_status 0 "$HVC" cp "$TEST_TMP/h/d" tp:/data
expect_status 0 "$HVC" cp "$TEST_TMP/h/d/." tp:/data/new
[ "$("$HVC" exec tp cat /data/f /data/d/sub/g /data/new/sub/g | tr '\n' ' ')" = "host-file deep deep " ] ||
	fail "cp into the container"
expect_status 0 "$HVC" cp tp:/data "$TEST_TMP/out"
[ "$(cat "$TEST_TMP/out/c" "$TEST_TMP/out/d/sub/g")" = "$(printf 'c\ndeep')" ] || fail "cp out of the container"
[ "$(readlink "$TEST_TMP/out/lnk")" = c ] || fail "a symlink was not copied as one"
expect_status 0 "$HVC" cp tp:/data/c "$TEST_TMP/one"
[ "$(cat "$TEST_TMP/one")" = c ] || fail "cp of one file to a new name"
# hostile symlinks: absolute, relative with .., and a root link — all inside
expect_status 1 "$HVC" cp "$TEST_TMP/h/f" tp:/vic/pwned
expect_status 1 "$HVC" cp "$TEST_TMP/h/f" tp:/data/rel/pwned
expect_status 1 "$HVC" cp tp:/vic/secret "$TEST_TMP/stolen"
expect_status 1 "$HVC" cp tp:/data/rel/secret "$TEST_TMP/stolen"
[ "$(ls "$V")" = secret ] || fail "cp wrote through a symlink into the host: $(ls "$V")"
[ -e "$TEST_TMP/stolen" ] && fail "cp read a host file through a symlink"
expect_status 0 "$HVC" cp "$TEST_TMP/h/f" tp:/esc/tmp/via-root-link
[ "$("$HVC" exec tp cat /tmp/via-root-link)" = host-file ] || fail "/esc did not resolve to the container's /"
[ -e /tmp/via-root-link ] && fail "cp followed /esc to the host's /"
expect_status 0 "$HVC" cp "$TEST_TMP/h/f" tp:/data/lnk # replaces the link, never follows it
[ "$("$HVC" exec tp cat /data/c)" = c ] || fail "cp onto a symlink wrote its target"
# a stopped container: through its overlay, mounted privately
expect_status 0 "$HVC" cp "$TEST_TMP/h/f" st:/copied
expect_status 0 "$HVC" cp st:/n "$TEST_TMP/n"
[ "$(wc -l <"$TEST_TMP/n")" = 3 ] || fail "cp out of a stopped container: $(cat "$TEST_TMP/n")"
grep -q "$HVC_ROOT" /proc/self/mountinfo && fail "cp left a mount: $(grep "$HVC_ROOT" /proc/self/mountinfo)"
expect_status 4 "$HVC" start -a st
expect_status 0 "$HVC" exec st-rm true # still fine
expect_status 2 "$HVC" cp "$TEST_TMP/h/f" "$TEST_TMP/x"
expect_contains "$OUT" "CONTAINER:PATH"
expect_status 2 "$HVC" cp tp:/data/c -
# a device node the container made is not recreated on the host (a FIFO is)
if "$HVC" exec tp sh -c 'mkdir /devs && mknod /devs/null c 1 3 && mkfifo /devs/fifo && echo x >/devs/f' 2>/dev/null; then
	expect_status 0 "$HVC" cp tp:/devs "$TEST_TMP/devs"
	expect_contains "$OUT" "a device node: not copied out of the container"
	[ -e "$TEST_TMP/devs/null" ] && fail "a device node of the container was recreated on the host"
	[ -p "$TEST_TMP/devs/fifo" ] && [ -f "$TEST_TMP/devs/f" ] || fail "the FIFO or the file was not copied"
fi
# -L follows the source's own link (inside the container), keeping its name; -a keeps ids
expect_status 0 "$HVC" cp -L tp:/data/lnk2 "$TEST_TMP/followed"
[ -f "$TEST_TMP/followed" ] && [ "$(cat "$TEST_TMP/followed")" = c ] || fail "cp -L did not copy the target"
expect_status 1 "$HVC" cp -L tp:/vic "$TEST_TMP/viaL" # its target is the container's (missing) $V
[ -e "$TEST_TMP/viaL" ] && fail "cp -L followed a link to the host"
"$HVC" exec tp sh -c 'echo o >/data/owned && chown 1234:4321 /data/owned' || fail "exec chown"
expect_status 0 "$HVC" cp -a tp:/data/owned "$TEST_TMP/owned-a"
expect_status 0 "$HVC" cp tp:/data/owned "$TEST_TMP/owned"
[ "$(stat -c %u:%g "$TEST_TMP/owned-a") $(stat -c %u:%g "$TEST_TMP/owned")" = "1234:4321 0:0" ] ||
	fail "cp -a / cp ownership: $(stat -c %u:%g "$TEST_TMP/owned-a" "$TEST_TMP/owned")"
if "$HVC" run -d --userns --name un --network none busybox sleep 30 >/dev/null 2>&1; then
	on_exit "$HVC" rm -f un
	expect_status 0 "$HVC" cp "$TEST_TMP/h/f" un:/tmp/
	[ "$("$HVC" exec un stat -c %u:%g /tmp/f)" = 0:0 ] || fail "--userns: cp'd file not the container root's"
	"$HVC" exec un sh -c 'echo more >>/tmp/f' || fail "--userns: container root cannot write a cp'd file"
fi
ok "cp both ways, running and stopped; symlinks inside resolve inside, never to the host"

# --- attach ------------------------------------------------------------------------
expect_status 0 "$HVC" run -d --name at --network none busybox sh -c 'sleep 1; echo late-line; exit 6'
on_exit "$HVC" rm -f at
expect_status 6 "$HVC" attach at
[ "$OUT" = late-line ] || fail "attach printed '$OUT'"
expect_status 1 "$HVC" attach at
expect_contains "$OUT" "is not running"
expect_status 0 "$HVC" run -dit --name ati --network none busybox sh
on_exit "$HVC" rm -f ati
OUT=$($PTY 'send echo at-$((40+2))\n ;; expect at-42 ;; send \x10\x11 ;; wait' -- "$HVC" attach ati 2>&1)
expect_contains "$OUT" "at-42"
expect_contains "$OUT" "EXIT 0"
[ "$("$HVC" inspect -f '{{.State.Status}}' ati)" = running ] || fail "detaching stopped the container"
expect_status 0 "$HVC" stop -t 1 ati
OUT=$($PTY 'send echo si-$((5+5))\n ;; expect si-10 ;; send exit 4\n ;; wait' -- "$HVC" start -i ati 2>&1)
expect_contains "$OUT" "EXIT 4"
ok "attach: output to the exit status; keys to a -t container, ctrl-p ctrl-q detaches; start -i"

# --- exec -it without a terminal ------------------------------------------------
expect_status 125 "$HVC" exec -it ati sh </dev/null
expect_contains "$OUT" "not a TTY"
ok "exec -it with stdin not a terminal refused (125), as run -it"

# --- one inspect shape ---------------------------------------------------------------
keys() { jq -c '.[0] | keys_unsorted[0:6]'; }
want='["Kind","Id","Name","Created","Image","State"]'
[ "$("$HVC" inspect st | keys)" = "$want" ] || fail "inspect keys: $("$HVC" inspect st | keys)"
[ "$("$HVC" image inspect busybox | keys)" = "$want" ] || fail "image inspect keys"
[ "$("$HVC" inspect -f '{{.Kind}} {{.State.Status}}' st)" = "container exited" ] || fail "inspect -f"
[ "$("$HVC" image inspect -f '{{.Kind}} {{json .State}}' busybox)" = "image null" ] || fail "image inspect -f"
ok "inspect / image inspect share Kind Id Name Created Image State"

# --- completion of the new commands ---------------------------------------------
comp() { # words... -> the completions of the last one
	COMP_WORDS=("$HVC" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_hvc
	[ "${#COMPREPLY[@]}" -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
(
	. "$(dirname "$0")/../../completion/hvc.bash"
	[ "$(comp sta)" = "start stats " ] || fail "sta: $(comp sta)"
	[ "$(comp start s)" = "st st-rm " ] || fail "start s: $(comp start s)"
	[ "$(comp top t)" = "tp " ] || fail "top t: $(comp top t)"
	[ "$(comp cp tp)" = "tp: " ] || fail "cp tp: $(comp cp tp)"
	[ "$(comp attach --)" = "--detach-keys --no-stdin --sig-proxy " ] || fail "attach --: $(comp attach --)"
	[ "$(comp vm sh)" = "shutdown " ] || fail "vm sh: $(comp vm sh)"
	[ "$(comp vm dom)" = "dominfo " ] || fail "vm dom: $(comp vm dom)"
) || exit 1
ok "completion: start/attach/top/cp operands and flags, vm shutdown/dominfo"

# --- VMs (the same shape; shutdown, dominfo, stats) ---------------------------------------
if [ "$(id -u)" != 0 ] || ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
	ok "# SKIP VM part: needs root, qemu-system-x86_64 and a guest kernel in /boot"
	exit 0
fi
expect_status 0 "$HVC" vm run -d --timings --network none --name vo busybox sleep 300
on_exit "$HVC" vm rm -f vo
# -d returns at READY: the command's exit and the domain's end are not reached
expect_contains "$OUT" "command exit -, domain gone -"
[ "$("$HVC" vm inspect vo | keys)" = "$want" ] || fail "vm inspect keys: $("$HVC" vm inspect vo | keys)"
[ "$("$HVC" vm inspect -f '{{.Kind}} {{.State.Status}}' vo)" = "vm running" ] || fail "vm inspect -f"
expect_status 0 "$HVC" vm dominfo vo
expect_contains "$OUT" "State:          running"
expect_contains "$OUT" "Max memory:"
[ "$("$HVC" vm dominfo --format json vo | jq -r .State)" = running ] || fail "dominfo --format json"
expect_status 0 "$HVC" vm stats --format json
[ "$(jq -r '.[0].Name' <<<"$OUT")" = vo ] && [ "$(jq '.[0].RSSBytes > 0' <<<"$OUT")" = true ] ||
	fail "vm stats --format json: $OUT"
[ "$("$HVC" vm stats --json vo | jq length)" = 1 ] || fail "vm stats --json NAME"
expect_status 0 "$HVC" vm shutdown -t 1 vo
expect_contains "$OUT" "vo"
[ "$("$HVC" vm inspect -f '{{.State.Status}}' vo)" = exited ] || fail "after shutdown: $("$HVC" vm inspect vo)"
[ -z "$(pgrep -f "qemu.*$HVC_ROOT" || true)" ] || fail "QEMU left running after vm shutdown"
expect_status 0 "$HVC" vm dominfo vo
expect_contains "$OUT" "shut off"
ok "vm: --timings '-', inspect shape, dominfo (text, json), stats --format json, shutdown then destroy"
