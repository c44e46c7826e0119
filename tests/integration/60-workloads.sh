#!/bin/bash
# hvc-workload natively, tiny sizes: every workload prints exactly one JSON
# line with ok:true and positive figures; a forced validation failure
# (--self-test-corrupt) prints ok:false with no figures and exits non-zero;
# usage errors exit 2 with a JSON line too. docs/workloads.md is the reference.
. "$(dirname "$0")/lib.sh"
W="$HVC_GUEST_DIR/hvc-workload"
[ -x "$W" ] || fail "no $W (run make)"
command -v jq >/dev/null || skip "jq not installed (make deps)"

# The binary must be static: it runs unchanged in containers and VMs.
if readelf -l "$W" | grep -q INTERP; then fail "$W is dynamically linked"; fi
ok "static binary"

# run_ok NAME JQ-CHECK ARGS...: exit 0, one line, valid JSON, ok, positive figures
run_ok() {
	local name=$1 check=$2; shift 2
	local out rc
	out=$("$W" "$@" 2>"$TEST_TMP/stderr"); rc=$?
	[ "$rc" -eq 0 ] || fail "$* exited $rc: $out $(cat "$TEST_TMP/stderr")"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$*: not exactly one line: $out"
	jq -e . >/dev/null <<<"$out" || fail "$*: not JSON: $out"
	jq -e --arg n "$name" '.workload == $n and .ok == true and .schema == 1' >/dev/null <<<"$out" \
		|| fail "$*: workload/ok/schema wrong: $out"
	jq -e "$check" >/dev/null <<<"$out" || fail "$*: check '$check' failed on: $out"
	LAST="$out"
	ok "$* -> $out"
}

run_ok idle '.ready == true and .pid > 0 and .sleep_s == 0' idle
run_ok idle '.sleep_s == 0.2' idle --seconds 0.2
run_ok cpu '.kernel == "sha256" and .bytes == 65536 and .mb_per_s > 0' cpu --size 64k --seconds 0.02
run_ok cpu '.kernel == "dgemm" and .n == 96 and .gflops > 0 and .elapsed_s > 0 and .multiplications >= 1' \
	cpu --kernel dgemm --size 96 --seconds 0.05
run_ok cpu '.threads == 2 and .gflops > 0 and .min_thread_reps >= 1' cpu --kernel=dgemm --size 70 --seconds 0.05 --threads 2
run_ok cpu '.kernel == "sha256" and .mb_per_s > 0 and (.digest | test("^[0-9a-f]{64}$"))' \
	cpu --kernel sha256 --size 100000 --seconds 0.05
digest=$(jq -r .digest <<<"$LAST")
run_ok cpu ".digest == \"$digest\" and .threads == 2" cpu --kernel sha256 --size 100000 --seconds 0.05 --threads 2
# The digest is reproducible from the documented recipe (splitmix64 bytes,
# seed 0x68766321) with an independent SHA-256 (Python's hashlib).
if command -v python3 >/dev/null; then
	ref=$(python3 - <<'EOF'
import hashlib, struct
M = (1 << 64) - 1
s = 0x68766321
out = bytearray()
while len(out) < 100000:
    s = (s + 0x9e3779b97f4a7c15) & M
    z = s
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    out += struct.pack('<Q', z ^ (z >> 31))
print(hashlib.sha256(bytes(out[:100000])).hexdigest())
EOF
)
	[ "$ref" = "$digest" ] || fail "sha256 digest $digest differs from hashlib's $ref"
	ok "sha256 digest matches hashlib"
fi
run_ok mem '.copy_mb_per_s > 0 and .scale_mb_per_s > 0 and .add_mb_per_s > 0 and .triad_mb_per_s > 0 and .array_bytes == 1048576 and .size_source == "argument"' \
	mem --size 1m --iterations 3
run_ok mem '.threads == 2 and .triad_mb_per_s > 0' mem --size 512k --iterations 2 --threads 2
run_ok randmem '.gups > 0 and .table_bytes == 1048576 and .updates == 131072 and .iterations == 1 and .errors == 0' randmem --size 1m
run_ok randmem '.updates == 524288 and .iterations == 4 and .errors == 0' randmem --size 1m --iterations 4
run_ok randmem '.threads == 2 and .gups > 0 and .error_fraction <= 0.01' randmem --size 1m --threads 2
run_ok syscall '.calls > 0 and .ns_per_call > 0' syscall --seconds 0.05
run_ok syscall '.calls == 12345 and .ns_per_call > 0' syscall --count 12345
run_ok forkexec '.processes >= 1 and .per_s > 0 and .us_per_process > 0' forkexec --seconds 0.05
run_ok forkexec '.threads == 2 and .processes >= 2' forkexec --seconds 0.05 --threads 2
run_ok forkexec '.threads == 2 and .processes == 7' forkexec --count 7 --threads 2
mkdir -p "$TEST_TMP/data"
run_ok fileio '.seq_write_mb_per_s > 0 and .seq_read_mb_per_s > 0 and .rand_write_iops > 0 and .rand_read_iops > 0 and .file_bytes == 1048576 and .block_bytes == 262144' \
	fileio "$TEST_TMP/data" --size 1m --block 256k --seconds 0.05
[ -z "$(ls -A "$TEST_TMP/data")" ] || fail "fileio left files behind: $(ls -A "$TEST_TMP/data")"
ok "fileio left nothing behind"

# idle inf: the line comes first, SIGTERM ends it with status 0.
"$W" idle inf >"$TEST_TMP/idle.out" 2>&1 &
pid=$!
on_exit "kill -KILL $pid"
for _ in $(seq 50); do [ -s "$TEST_TMP/idle.out" ] && break; sleep 0.1; done
jq -e '.ready == true and .until_signal == true' "$TEST_TMP/idle.out" >/dev/null || fail "idle inf: $(cat "$TEST_TMP/idle.out")"
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "idle inf exited $rc on SIGTERM"
ok "idle inf: ready line, SIGTERM -> 0"

# run_fail RC ARGS...: exits RC, one JSON line with ok:false, an error, and
# nothing else (a broken run never reports a figure).
run_fail() {
	local want=$1; shift
	local out rc
	out=$("$W" "$@" 2>/dev/null); rc=$?
	[ "$rc" -eq "$want" ] || fail "$* exited $rc, expected $want: $out"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$*: not exactly one line: $out"
	jq -e '.ok == false and (.error | length > 0) and (keys - ["workload","schema","ok","error"] | length == 0)' \
		>/dev/null <<<"$out" || fail "$*: not a bare failure line: $out"
	ok "$* -> $out"
}

run_fail 1 cpu --kernel dgemm --size 64 --seconds 0.01 --self-test-corrupt
run_fail 1 cpu --kernel sha256 --size 10k --seconds 0.01 --self-test-corrupt
run_fail 1 mem --size 256k --iterations 2 --self-test-corrupt
run_fail 1 randmem --size 256k --self-test-corrupt
run_fail 1 syscall --seconds 0.01 --self-test-corrupt
run_fail 1 forkexec --seconds 0.01 --self-test-corrupt
run_fail 1 fileio "$TEST_TMP/data" --size 256k --seconds 0.01 --self-test-corrupt
[ -z "$(ls -A "$TEST_TMP/data")" ] || fail "failed fileio left files behind"
run_fail 1 fileio "$TEST_TMP/nonexistent"
run_fail 1 mem --iterations 1 --size 64k

# Usage errors: exit 2, still a JSON line for the harness.
run_fail 2 nosuchworkload
run_fail 2 cpu --bogus
run_fail 2 cpu --threads 0
run_fail 2 cpu --kernel nosuch
run_fail 2 mem --size 12q
run_fail 2 syscall --threads 2
run_fail 2 syscall --count 10 --seconds 1
run_fail 2 forkexec --count 0
run_fail 2 idle --self-test-corrupt
run_fail 2 idle 1 2
expect_status 2 "$W"
expect_contains "$OUT" "usage: hvc-workload"
[ "$("$W" list | tr '\n' ' ')" = "idle cpu mem randmem syscall forkexec fileio " ] || fail "list: $("$W" list)"
ok "usage errors"
