# Sourced by integration tests. Gives each test a private HVC_ROOT, a cleanup
# trap that runs even when the test fails, and small assertion helpers.
set -u
# Containers are on the bridge network by default: a test enters a network
# namespace of its own (lo up) so that its bridge, veths and nftables table
# never touch the host's (scripts/run-tests.sh already did when it set this).
if [ -z "${HVC_NET_TEST_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	HVC_NET_TEST_NETNS=1 exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh bash "$0" "$@"
fi
HVC="${HVC_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bin/hvc}"
export HVC_GUEST_DIR="${HVC_GUEST_DIR:-$(dirname "$HVC")}"
TEST_TMP=$(mktemp -d /tmp/hvc-test.XXXXXX)
export HVC_ROOT="$TEST_TMP/root"
mkdir -p "$HVC_ROOT"
_cleanups=()
on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
	# whatever the test's own cleanups missed (a test killed between a start
	# and its rm): every container of this root removed, then a prune, before
	# the root goes — a container left running here outlives its state dir
	if [ -x "$HVC" ] && [ -d "$HVC_ROOT/containers" ]; then
		for d in "$HVC_ROOT"/containers/*/; do
			[ -d "$d" ] && "$HVC" rm -f "$(basename "$d")" >/dev/null 2>&1
		done
		"$HVC" system prune -a >/dev/null 2>&1 || true
	fi
	rm -rf "$TEST_TMP"
}
trap _run_cleanups EXIT

fail() { echo "not ok: $*"; exit 1; }
ok() { echo "ok: $*"; }
skip() { echo "skip: $*"; exit 77; }
# In a test's own network namespace: skip (with the kernel's answer) where
# this kernel cannot make a bridge or an nftables table, rather than fail.
need_bridge_and_nftables() {
	local why
	why=$(ip link add hvc-probe0 type bridge 2>&1) || skip "no bridge support in this kernel: $why"
	ip link del hvc-probe0
	command -v nft >/dev/null || skip "nft not installed (make deps installs nftables)"
	why=$(nft add table inet hvc_probe 2>&1) || skip "no nf_tables in this kernel: $why"
	nft delete table inet hvc_probe
}
# expect_status N CMD... : runs CMD, fails unless it exits N; output in $OUT
expect_status() {
	local want=$1; shift
	OUT=$("$@" 2>&1); local rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; output: $OUT"
}
expect_contains() { grep -qF -- "$2" <<<"$1" || fail "expected \"$2\" in: $1"; }
