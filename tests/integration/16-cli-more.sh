#!/bin/bash
# The CLI items of issue 18 that came after 15-cli.sh (docs/cli.md, docs/vm.md):
# --machine microvm refused up front, logs --tail/-t, ps --filter. (start,
# attach, cp, top, images -q, vm shutdown/dominfo/stats: 17-cli-ops.sh.)
. "$(dirname "$0")/lib.sh"

# --- vm run --machine: only what libvirt here can define --------------------
"$HVC" vm run --help | grep -q -- "--machine TYPE .*pc (default) or q35" || fail "vm run --help still offers other machines"
expect_status 2 "$HVC" vm run --machine microvm --rm busybox true
expect_contains "$OUT" 'machine type "microvm": libvirt here defines no microvm domain'
expect_contains "$OUT" "use pc or q35"
[ -z "$(ls -A "$HVC_ROOT")" ] || fail "--machine microvm left files behind: $(ls -A "$HVC_ROOT")"
ok "vm run --machine microvm refused before doing anything"

# --- logs --tail / -t ---------------------------------------------------------
expect_status 0 "$HVC" run --name lg --network none busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done; printf end'
on_exit "$HVC" rm -f lg
[ "$("$HVC" logs --tail 2 lg)" = "$(printf 'line5\nend')" ] || fail "logs --tail 2: $("$HVC" logs --tail 2 lg)"
[ -z "$("$HVC" logs -n 0 lg)" ] || fail "logs -n 0 printed something"
[ "$("$HVC" logs --tail all lg | wc -l)" = 5 ] || fail "logs --tail all"
[ "$("$HVC" logs --tail 100 lg | head -n 1)" = line1 ] || fail "logs --tail 100 (more than there are)"
expect_status 2 "$HVC" logs -t lg
expect_contains "$OUT" "no time per line"
expect_status 2 "$HVC" logs --tail x lg
expect_contains "$OUT" '--tail "x": expected a number of lines or all'
ok "logs --tail N|all, -t refused with the reason"

# --- ps --filter ----------------------------------------------------------------
expect_status 0 "$HVC" run -d --name up1 --network none busybox sleep 100
on_exit "$HVC" rm -f up1
expect_status 3 "$HVC" run --name ex3 --network none busybox sh -c 'exit 3'
on_exit "$HVC" rm -f ex3
names() { "$HVC" ps "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
[ "$(names -f status=exited)" = "ex3 lg " ] || fail "status=exited: $(names -f status=exited)"
[ "$(names -f status=running)" = "up1 " ] || fail "status=running: $(names -f status=running)"
[ "$(names -f exited=3)" = "ex3 " ] || fail "exited=3: $(names -f exited=3)"
[ "$(names -a -f name=x)" = "ex3 " ] || fail "name=x (substring): $(names -a -f name=x)"
[ "$(names -f name=x)" = "" ] || fail "name=x without -a listed a stopped container"
[ "$(names -a -f network=none -f name=up)" = "up1 " ] || fail "two keys: $(names -a -f network=none -f name=up)"
[ "$(names -f status=running -f status=exited)" = "ex3 lg up1 " ] || fail "one key twice is an or"
[ "$(names -a -f ancestor=busybox:latest)" = "ex3 lg up1 " ] || fail "ancestor"
expect_status 2 "$HVC" ps -f label=x
expect_contains "$OUT" 'unknown key "label" (keys: id, name, status, network, ancestor, exited)'
expect_status 2 "$HVC" ps -f status=paused
ok "ps --filter id/name/status/network/ancestor/exited"
