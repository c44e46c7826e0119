# Sourced by tests/fault/*.sh and tests/load/*.sh: their common set-up
# (fault_setup) and the leak checks every fault and load loop runs after
# `hvc system prune`, against one HVC_ROOT. The checks need: HVC (the
# binary), HVC_ROOT, TOKEN (a word every command these loops start carries in
# its argv, so their processes can be found in any namespace). Each check
# prints one line per leak found and returns the number found.
_fault_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fault_setup NAME: HVC (HVC_BIN, or the tree's bin/hvc), HVC_GUEST_DIR, a
# private WORK directory (/tmp/hvc-NAME.*) with HVC_ROOT=$WORK/root, TOKEN
# (hvcNAME<pid>), and an EXIT trap: fault_cleanup_extra (when the script
# defines one), every container removed, `system prune -a`, WORK deleted.
fault_setup() {
	HVC=${HVC_BIN:-$_fault_lib_dir/../../bin/hvc}
	export HVC_GUEST_DIR=${HVC_GUEST_DIR:-$(dirname "$HVC")}
	WORK=$(mktemp -d "/tmp/hvc-$1.XXXXXX")
	export HVC_ROOT=$WORK/root
	TOKEN=hvc$1$$
	trap fault_cleanup EXIT
}

fault_cleanup() {
	declare -F fault_cleanup_extra >/dev/null && fault_cleanup_extra
	rm_containers
	"$HVC" system prune -a >/dev/null 2>&1
	declare -F fault_cleanup_late >/dev/null && fault_cleanup_late
	rm -rf "$WORK"
}

# rm_containers [KEEP_ID]: `hvc rm -f` of every container of this root but KEEP_ID.
rm_containers() {
	local d id
	for d in "$HVC_ROOT"/containers/*/; do
		[ -d "$d" ] || continue
		id=$(basename "$d")
		[ "$id" = "${1:-}" ] || "$HVC" rm -f "$id" >/dev/null 2>&1
	done
}

# The cgroup name prefix of this root's containers (engine/runtime/
# container_state.c: hvc/<FNV-1a of realpath(root)>-<id>).
root_tag() {
	python3 -c 'import os,sys
h=2166136261
for c in os.path.realpath(sys.argv[1]).encode(): h=((h^c)*16777619)&0xffffffff
print("%08x"%h)' "$HVC_ROOT"
}

# leaks_mounts KEEP_RE: mounts whose mount point is under HVC_ROOT, except
# those matching KEEP_RE (a container the loop keeps running on purpose).
leaks_mounts() {
	local keep=${1:-^$} n=0 m
	while read -r m; do
		grep -qE "$keep" <<<"$m" && continue
		echo "leak: mount $m"; n=$((n + 1))
	done < <(awk -v r="$(realpath "$HVC_ROOT")" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo)
	return $n
}

# leaks_cgroups KEEP_RE: this root's container cgroups (v2, v1 and hybrid:
# hvc/ sits at the top of every hierarchy).
leaks_cgroups() {
	local keep=${1:-^$} n=0 d
	[ -n "${_root_tag:-}" ] || _root_tag=$(root_tag)
	local tag=$_root_tag
	for d in /sys/fs/cgroup/hvc/"$tag"-* /sys/fs/cgroup/*/hvc/"$tag"-*; do
		[ -d "$d" ] || continue
		grep -qE "$keep" <<<"$d" && continue
		echo "leak: cgroup $d"; n=$((n + 1))
	done
	return $n
}

# leaks_procs: processes carrying TOKEN in their argv, or naming HVC_ROOT
# (qemu, a stuck hvc), other than the loop scripts themselves.
leaks_procs() {
	local n=0 f cmd
	while read -r f; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
		case "$cmd" in *tests/fault/* | *tests/load/* | "grep -alF"* | "") continue ;; esac
		f=${f#/proc/}
		echo "leak: process ${f%/cmdline}: $cmd"; n=$((n + 1))
	done < <(grep -alF -e "$TOKEN" -e "$HVC_ROOT" /proc/[0-9]*/cmdline 2>/dev/null)
	return $n
}

# leaks_links BASELINE: network interfaces not in the baseline list.
leaks_links() {
	local base=$1 n=0 l
	while read -r l; do
		grep -qxF "$l" <<<"$base" && continue
		echo "leak: link $l"; n=$((n + 1))
	done < <(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//')
	return $n
}

# leaks_temp: files the crash-safe writers and stagers leave only when killed:
# "*.tmp.XXXXXX" anywhere in the root, anything in $HVC_ROOT/tmp.
leaks_temp() {
	local n=0 f
	while read -r f; do
		[ -n "$f" ] || continue
		echo "leak: temp $f"; n=$((n + 1))
	done < <(find "$HVC_ROOT" -xdev \( -name '*.tmp.*' -o -path "$HVC_ROOT/tmp/*" \) -print 2>/dev/null)
	return $n
}

# leaks_vms: VMs of this root still defined.
leaks_vms() {
	local n
	n=$("$HVC" vm ps -a -q 2>/dev/null | grep -c . || true)
	[ "$n" -eq 0 ] || echo "leak: $n VM(s): $("$HVC" vm ps -a 2>&1 | tr '\n' ' ')"
	return "$n"
}

# store_ok: `hvc image fsck` passes.
store_ok() {
	local out
	out=$("$HVC" image fsck 2>&1) && return 0
	echo "leak: store: fsck: $out"
	return 1
}
