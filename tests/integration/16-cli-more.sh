#!/bin/bash
# The CLI items of issue 18 that came after 15-cli.sh (docs/cli.md, docs/vm.md):
# --machine microvm refused up front, logs --tail/-t, ps --filter, vm
# shutdown/dominfo/stats --format json, images -q, start, top and cp (with a
# hostile symlink inside the container).
. "$(dirname "$0")/lib.sh"

# --- vm run --machine: only what libvirt here can define --------------------
"$HVC" vm run --help | grep -q -- "--machine TYPE .*pc (default) or q35" || fail "vm run --help still offers other machines"
expect_status 2 "$HVC" vm run --machine microvm --rm busybox true
expect_contains "$OUT" 'machine type "microvm": libvirt here defines no microvm domain'
expect_contains "$OUT" "use pc or q35"
[ -z "$(ls -A "$HVC_ROOT")" ] || fail "--machine microvm left files behind: $(ls -A "$HVC_ROOT")"
ok "vm run --machine microvm refused before doing anything"
