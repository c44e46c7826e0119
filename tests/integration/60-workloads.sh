#!/bin/bash
# hvc-workload natively, tiny sizes: every workload prints exactly one JSON
# line with ok:true and positive figures; a forced validation failure
# (--self-test-corrupt) prints ok:false with no figures and exits non-zero;
# usage errors exit 2 with a JSON line too. --min-seconds holds every
# throughput figure to a floor of measured time; the LLC and fileio's storage
# are checked against what this host's /sys, getconf and findmnt say. The
# network workloads run against a native net-server on 127.0.0.1 only (and,
# as root, between two network namespaces the test creates).
# docs/workloads.md is the reference.
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
	# Every throughput line says how long its figures were measured.
	if [ "$name" != idle ]; then
		jq -e '(.min_seconds | type) == "number" and .measured_s > 0 and .repeats >= 1 and .measured_s >= .min_seconds' \
			>/dev/null <<<"$out" || fail "$*: min_seconds/measured_s/repeats missing or wrong: $out"
	fi
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
# threads race on entries by design (HPCC): a table well beyond a few cache
# lines per thread keeps the races rare even when the vCPUs are preempted
run_ok randmem '.threads == 2 and .gups > 0 and .error_fraction <= 0.01' randmem --size 8m --threads 2
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

# --min-seconds F: the measured kernel is repeated until measured_s >= F,
# and the figures still validate (mem's and randmem's checks replay every
# repetition). F is the quick suite's floor.
F=0.25
floor="(.min_seconds == $F and .measured_s >= $F)"
run_ok cpu "$floor and .repeats >= 1 and .hashes >= .repeats" cpu --size 64k --seconds 0.01 --min-seconds $F
run_ok cpu "$floor and .min_thread_reps == .repeats" cpu --kernel dgemm --size 64 --seconds 0.01 --min-seconds $F --threads 2
run_ok mem "$floor and .repeats == .iterations - 1 and .iterations > 2 and .max_rel_err < 1e-13 and .triad_avg_mb_per_s <= .triad_mb_per_s" \
	mem --size 1m --iterations 2 --min-seconds $F
run_ok mem "$floor and .threads == 2 and .repeats == .iterations - 1" mem --size 512k --iterations 2 --threads 2 --min-seconds $F
run_ok randmem "$floor and .updates == .repeats * .table_bytes / 8 and .repeats > 1 and .errors == 0" randmem --size 1m --min-seconds $F
run_ok randmem "$floor and .updates == .repeats * 2 * .table_bytes / 8 and .error_fraction <= 0.01 * ([1, .updates / (4 * .table_bytes / 8)] | max)" \
	randmem --size 8m --iterations 2 --threads 2 --min-seconds $F
run_ok syscall "$floor and .calls == .repeats" syscall --seconds 0.01 --min-seconds $F
run_ok syscall "$floor and .calls % 1000 == 0 and .calls > 1000" syscall --count 1000 --min-seconds $F
run_ok forkexec "$floor and .processes == .repeats" forkexec --seconds 0.01 --min-seconds $F
run_ok forkexec "$floor and .processes % 3 == 0 and .threads == 2" forkexec --count 3 --threads 2 --min-seconds $F
run_ok fileio "$floor and ([.seq_write_s, .seq_read_s, .rand_write_s, .rand_read_s] | min) >= $F and .repeats == ([.seq_write_passes, .seq_read_passes] | min) and .seq_read_passes > 1" \
	fileio "$TEST_TMP/data" --size 1m --block 256k --seconds 0.01 --min-seconds $F
# Without --min-seconds nothing is repeated beyond what was asked.
run_ok mem '.min_seconds == 0 and .iterations == 3 and .repeats == 2' mem --size 1m --iterations 3
run_ok fileio '.min_seconds == 0 and .seq_write_passes == 1 and .seq_read_passes == 1' fileio "$TEST_TMP/data" --size 1m --seconds 0.01
# A corrupted repeated run still fails validation.
run_fail_later=("mem --size 1m --min-seconds 0.1 --self-test-corrupt" "randmem --size 1m --min-seconds 0.1 --self-test-corrupt")

# The last-level cache: what this host's /sys (else CPUID, as getconf reads
# it) says, and the documented rule: more than 64 MiB per CPU sharing it is
# implausible and capped at 64 MiB x sharing CPUs.
size_bytes() { # "32768K" -> bytes
	local v=${1%[KkMmGg]}
	case $1 in *[Kk]) echo $((v << 10)) ;; *[Mm]) echo $((v << 20)) ;; *[Gg]) echo $((v << 30)) ;; *) echo "$v" ;; esac
}
count_cpus() { # "0-3,8" -> 5
	local n=0 r lo hi
	for r in ${1//,/ }; do lo=${r%-*}; hi=${r#*-}; n=$((n + hi - lo + 1)); done
	echo $n
}
llc_src=none llc_rep=0 llc_level=0 llc_share=0
for d in /sys/devices/system/cpu/cpu0/cache/index*; do
	[ -r "$d/type" ] && [ -r "$d/size" ] || continue
	[ "$(cat "$d/type")" = Instruction ] && continue
	lv=$(cat "$d/level"); sz=$(size_bytes "$(cat "$d/size")")
	if [ "$lv" -gt "$llc_level" ] || { [ "$lv" -eq "$llc_level" ] && [ "$sz" -gt "$llc_rep" ]; }; then
		llc_src=sysfs llc_level=$lv llc_rep=$sz
		llc_share=$(count_cpus "$(cat "$d/shared_cpu_list" 2>/dev/null)")
	fi
done
if [ "$llc_src" = none ] && command -v getconf >/dev/null; then
	l3=$(getconf LEVEL3_CACHE_SIZE 2>/dev/null); l2=$(getconf LEVEL2_CACHE_SIZE 2>/dev/null)
	if [ "${l3:-0}" -gt 0 ] 2>/dev/null; then llc_src=cpuid llc_level=3 llc_rep=$l3
	elif [ "${l2:-0}" -gt 0 ] 2>/dev/null; then llc_src=cpuid llc_level=2 llc_rep=$l2; fi
fi
[ "$llc_src" = none ] || [ "$llc_share" -gt 0 ] || llc_share=$(getconf _NPROCESSORS_ONLN)
llc_cap=$((64 * 1024 * 1024 * (llc_share > 0 ? llc_share : 1)))
if [ "$llc_rep" -gt "$llc_cap" ]; then llc_capped=true llc_bytes=$llc_cap; else llc_capped=false llc_bytes=$llc_rep; fi
echo "# this host: LLC source $llc_src, level $llc_level, $llc_rep bytes shared by $llc_share CPUs -> capped $llc_capped, trusted $llc_bytes"
for cmd in "mem --size 1m --iterations 2" "randmem --size 1m"; do
	run_ok "${cmd%% *}" ".llc_source == \"$llc_src\" and .llc_reported_bytes == $llc_rep and .llc_level == $llc_level and .llc_sharing_cpus == $llc_share and .llc_capped == $llc_capped and .llc_bytes == $llc_bytes and (.llc_cap_reason | length > 0) == $llc_capped and .exceeds_llc == ($llc_bytes > 0 and (.array_bytes // .table_bytes) > $llc_bytes)" $cmd
done
ok "LLC as this host reports it (capped: $llc_capped)"
# The rule on fake sysfs trees (root, private mount namespace): a tmpfs over
# cpu0 with the caches each case describes; the expectations follow from
# the fake tree, not from this host.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	unshare -m bash -c '
		W=$1 c=/sys/devices/system/cpu/cpu0
		mount -t tmpfs none "$c" 2>/dev/null || exit 3
		mk() { mkdir -p "$c/cache/index$1"; cd "$c/cache/index$1" || exit 9
			echo "$2" >level; echo "$3" >type; echo "$4" >size; echo "$5" >shared_cpu_list; }
		check() { local out; out=$("$W" "${@:2}") || exit 20
			jq -e "$1" >/dev/null <<<"$out" || { echo "$out"; exit 21; }; }
		mk 0 1 Data 48K 0; mk 1 1 Instruction 32K 0; mk 2 2 Unified 1024K 0
		mk 3 3 Unified 520192K 0-1   # 508 MiB for 2 CPUs: capped at 2 x 64 MiB
		check ".llc_source == \"sysfs\" and .llc_level == 3 and .llc_reported_bytes == 532676608 and .llc_sharing_cpus == 2 and .llc_capped and .llc_bytes == 134217728 and (.llc_cap_reason | test(\"508 MiB\"))" mem --size 1m --iterations 2
		mk 3 3 Unified 96M 0         # 96 MiB for 1 CPU: capped at 64 MiB
		check ".llc_capped and .llc_bytes == 67108864 and .llc_sharing_cpus == 1" randmem --size 1m
		mk 3 3 Unified 8192K 0-7     # plausible: trusted as is, default table 4 x 8 MiB
		check ".llc_capped == false and .llc_cap_reason == \"\" and .llc_bytes == 8388608 and .size_source == \"4x-llc\" and .table_bytes == 33554432 and .exceeds_llc" randmem
		rm -r "$c/cache/index3"      # no L3: the L2 is the last level; mem default 16 MiB minimum
		check ".llc_level == 2 and .llc_bytes == 1048576 and .llc_sharing_cpus == 1 and .array_bytes == 16777216 and .exceeds_llc" mem --iterations 2
	' _ "$W"
	case $? in
	0) ok "LLC rule on fake sysfs trees (capped per CPU, plausible, L2 only)" ;;
	3) echo "skip: cannot mount over /sys/devices/system/cpu/cpu0: fake-sysfs LLC cases" ;;
	*) fail "LLC rule on fake sysfs trees failed (step $?)" ;;
	esac
else
	echo "skip: not root or no unshare: fake-sysfs LLC cases"
fi

# fileio describes its storage as this host's tools see it.
if command -v findmnt >/dev/null; then
	d="$TEST_TMP/data"
	run_ok fileio ".fs_magic == \"0x$(stat -f -c %t "$d")\" and .mount_match == \"device\" and .mount_point == \"$(findmnt -n -o TARGET -T "$d")\" and .mount_fstype == \"$(findmnt -n -o FSTYPE -T "$d")\" and .mount_options == \"$(findmnt -n -o VFS-OPTIONS -T "$d")\" and .mount_super_options == \"$(findmnt -n -o FS-OPTIONS -T "$d")\" and .direct_mode == \"auto\"" \
		fileio "$d" --size 256k --seconds 0.01
	ok "fileio storage matches findmnt"
fi
# Mounts made for the purpose in a private mount namespace (root only):
# ramfs refuses O_DIRECT (auto falls back and says why, on fails), a sync
# tmpfs and a volatile overlay are recognised.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	m="$TEST_TMP/mnt"; mkdir -p "$m"
	unshare -m bash -c '
		W=$1 m=$2
		mount -t ramfs none "$m" || exit 3
		"$W" fileio "$m" --size 256k --seconds 0.01 | jq -e ".direct == false and (.direct_fallback | test(\"O_DIRECT\")) and .fs == \"ramfs\"" >/dev/null || exit 10
		out=$("$W" fileio "$m" --size 256k --seconds 0.01 --direct on 2>/dev/null); [ $? -eq 1 ] || exit 11
		jq -e ".ok == false and (.error | test(\"O_DIRECT\"))" >/dev/null <<<"$out" || exit 12
		"$W" fileio "$m" --size 256k --seconds 0.01 --direct off | jq -e ".direct == false and .direct_fallback == \"\" and .direct_mode == \"off\"" >/dev/null || exit 13
		mount -t tmpfs -o sync none "$m" || exit 3
		"$W" fileio "$m" --size 256k --seconds 0.01 | jq -e ".mount_sync == true and .mount_volatile == false and .fs == \"tmpfs\"" >/dev/null || exit 14
		mkdir -p "$m/l" "$m/u" "$m/w" "$m/o"
		mount -t overlay overlay -o "lowerdir=$m/l,upperdir=$m/u,workdir=$m/w,volatile" "$m/o" 2>/dev/null || exit 4
		"$W" fileio "$m/o" --size 256k --seconds 0.01 | jq -e ".mount_volatile == true and .fs == \"overlayfs\" and .mount_fstype == \"overlay\"" >/dev/null || exit 15
	' _ "$W" "$m"
	case $? in
	0) ok "fileio: ramfs fallback, --direct on/off, sync tmpfs, volatile overlay" ;;
	3) echo "skip: cannot mount ramfs/tmpfs here" ;;
	4) ok "fileio: ramfs fallback, --direct on/off, sync tmpfs (no volatile overlay on this kernel)" ;;
	*) fail "fileio storage check in a private mount namespace failed (step $?)" ;;
	esac
else
	echo "skip: not root or no unshare: fileio's ramfs/overlay storage checks"
fi

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
for c in "${run_fail_later[@]}"; do run_fail 1 $c; done

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
run_fail 2 idle --min-seconds 1
run_fail 2 cpu --min-seconds -1
run_fail 2 syscall --min-seconds x
run_fail 2 fileio --direct maybe
run_fail 2 cpu --direct on
expect_status 2 "$W"
expect_contains "$OUT" "usage: hvc-workload"
[ "$("$W" list | tr '\n' ' ')" = "idle cpu mem randmem syscall forkexec fileio net-server net-stream net-rr net-crr " ] || fail "list: $("$W" list)"
ok "usage errors"

# ---- Network workloads: a native net-server on 127.0.0.1, nothing else ----
# start_server ARGS...: net-server in the background; waits for its ready
# line; SRV_PID and SRV (ADDR:PORT) for the clients.
start_server() {
	: >"$TEST_TMP/server.out"
	"$W" net-server "$@" >"$TEST_TMP/server.out" 2>"$TEST_TMP/server.err" &
	SRV_PID=$!
	on_exit "kill -KILL $SRV_PID"
	for _ in $(seq 100); do [ -s "$TEST_TMP/server.out" ] && break; sleep 0.05; done
	jq -e '.workload == "net-server" and .ok == true and .ready == true and .port > 0 and .address == "127.0.0.1" and .pid > 0' \
		"$TEST_TMP/server.out" >/dev/null || fail "net-server not ready: $(cat "$TEST_TMP/server.out" "$TEST_TMP/server.err")"
	SRV=$(jq -r .listen "$TEST_TMP/server.out")
	[ "$SRV" = "127.0.0.1:$(jq -r .port "$TEST_TMP/server.out")" ] || fail "net-server listen/port disagree: $(cat "$TEST_TMP/server.out")"
}
# wait_server RC: the server exits by itself (within 10 s) with RC, its stdout still one line.
wait_server() {
	for _ in $(seq 200); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$SRV_PID" 2>/dev/null && fail "net-server $SRV_PID still running: $(cat "$TEST_TMP/server.err")"
	wait "$SRV_PID"; local rc=$?
	[ "$rc" -eq "$1" ] || fail "net-server exited $rc, expected $1: $(cat "$TEST_TMP/server.err")"
	[ "$(wc -l <"$TEST_TMP/server.out")" -eq 1 ] || fail "net-server printed more than its ready line: $(cat "$TEST_TMP/server.out")"
}
stop_server() {
	kill -TERM "$SRV_PID"
	wait_server 0
}

start_server
loop="(.server == \"$SRV\" and .peer_address == \"127.0.0.1\" and .local_address == \"127.0.0.1\" and .interface == \"lo\" and .path == \"loopback\")"
lat='(.latency_min_us > 0 and .latency_min_us <= .latency_p50_us and .latency_p50_us <= .latency_p90_us and .latency_p90_us <= .latency_p99_us and .latency_p99_us <= .latency_max_us and .latency_mean_us > 0)'
run_ok net-stream "$loop and .direction == \"both\" and .size == 131072 and .up_gbit_per_s > 0 and .down_gbit_per_s > 0 and .verified_bytes == .up_bytes + .down_bytes and .up_bytes == .up_records * .size and .down_bytes >= .down_records * .size and .up_s >= 0.2 and .down_s >= 0.2 and .measured_s == ([.up_s, .down_s] | min) and .repeats == ([.up_records, .down_records] | min)" \
	net-stream --server "$SRV" --seconds 0.2
run_ok net-stream "$loop and .direction == \"up\" and .size == 65536 and .threads == 2 and (has(\"down_gbit_per_s\") | not) and .up_bytes >= 2 * 65536 and .verified_bytes == .up_bytes" \
	net-stream --server "$SRV" --seconds 0.1 --direction up --size 64k --threads 2
run_ok net-stream "$loop and .direction == \"down\" and .size == 1000 and (has(\"up_gbit_per_s\") | not) and .down_gbit_per_s > 0 and .verified_bytes == .down_bytes" \
	net-stream --server="$SRV" --seconds 0.1 --direction down --size 1000
run_ok net-rr "$loop and $lat and .size == 1 and .response_size == 1 and .threads == 1 and .transactions > 10 and .repeats == .transactions and (.transactions_per_s - .transactions / .elapsed_s | fabs) < 1e-3 * .transactions_per_s" \
	net-rr --server "$SRV" --seconds 0.2
run_ok net-rr "$loop and $lat and .size == 100 and .threads == 2 and .transactions >= 2" net-rr --server "$SRV" --seconds 0.1 --size 100 --threads 2
run_ok net-crr "$loop and $lat and .size == 1 and .transactions > 10 and .repeats == .transactions" net-crr --server "$SRV" --seconds 0.2
run_ok net-crr "$loop and $lat and .threads == 2 and .size == 7 and .transactions >= 2" net-crr --server "$SRV" --seconds 0.1 --threads 2 --size 7
# --min-seconds holds every figure to the floor (per direction for net-stream).
run_ok net-stream "$floor and .up_s >= $F and .down_s >= $F" net-stream --server "$SRV" --seconds 0.01 --min-seconds $F
run_ok net-rr "$floor and .elapsed_s >= $F" net-rr --server "$SRV" --seconds 0.01 --min-seconds $F
run_ok net-crr "$floor and .elapsed_s >= $F" net-crr --server "$SRV" --seconds 0.01 --min-seconds $F
# Verification failures: a byte damaged each way (the server's check and the
# client's), a wrong response expected; a bare failure line, exit 1.
run_fail 1 net-stream --server "$SRV" --seconds 0.05 --self-test-corrupt
run_fail 1 net-stream --server "$SRV" --seconds 0.05 --direction down --self-test-corrupt
run_fail 1 net-rr --server "$SRV" --seconds 0.05 --self-test-corrupt
run_fail 1 net-crr --server "$SRV" --seconds 0.05 --self-test-corrupt --threads 2
grep -q 'differ from the pattern' <<<"$("$W" net-stream --server "$SRV" --seconds 0.05 --direction up --self-test-corrupt 2>/dev/null)" \
	|| fail "the server's pattern check did not catch the damaged byte"
ok "net-stream: the server's pattern check catches a damaged byte"
# The server served all of that without a failed connection.
grep -q 'failed\|without a valid header' "$TEST_TMP/server.err" && fail "net-server: $(cat "$TEST_TMP/server.err")"
stop_server
ok "net-server: SIGTERM -> 0, one line"
# Nothing listens there now: a failed run, not a figure.
run_fail 1 net-rr --server "$SRV" --seconds 0.05
run_fail 1 net-stream --server "$SRV" --seconds 0.05

# --count RUNS: the server leaves after that many client runs said goodbye
# (a crr run's transactions counted by the server must match the client's);
# --idle-seconds: after that long without a connection.
start_server --count 3 --listen 127.0.0.1:0
run_ok net-crr '.transactions > 0' net-crr --server "$SRV" --seconds 0.05
run_ok net-rr '.transactions > 0' net-rr --server "$SRV" --seconds 0.05
run_ok net-stream '.verified_bytes > 0' net-stream --server "$SRV" --seconds 0.05 --direction up
wait_server 0
grep -q 'exiting (count).* 3 runs' "$TEST_TMP/server.err" || fail "net-server --count 3: $(cat "$TEST_TMP/server.err")"
ok "net-server --count 3 exits after three runs"
start_server --idle-seconds 1
run_ok net-rr '.transactions > 0' net-rr --server "$SRV" --seconds 0.05
wait_server 0
grep -q 'exiting (idle)' "$TEST_TMP/server.err" || fail "net-server --idle-seconds: $(cat "$TEST_TMP/server.err")"
ok "net-server --idle-seconds 1 exits when idle"

# The packet path through a veth pair between two network namespaces this
# test creates (root only); the addresses exist only inside them.
if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null && command -v ip >/dev/null; then
	unshare --net bash -c '
		W=$1 T=$2
		ip link set lo up
		unshare --net sleep 30 & peer=$!
		trap "kill $peer 2>/dev/null" EXIT
		sleep 0.1
		ip link add hvcwl0 type veth peer name hvcwl1 netns $peer 2>/dev/null || exit 3
		ip addr add 10.213.0.1/24 dev hvcwl0 && ip link set hvcwl0 up || exit 4
		nsenter -t $peer -n sh -c "ip addr add 10.213.0.2/24 dev hvcwl1 && ip link set hvcwl1 up && ip link set lo up" || exit 4
		"$W" net-server --listen 10.213.0.1:0 --count 2 --idle-seconds 10 >"$T/veth-server.out" 2>/dev/null &
		srv=$!
		trap "kill $peer $srv 2>/dev/null" EXIT
		for _ in $(seq 100); do [ -s "$T/veth-server.out" ] && break; sleep 0.05; done
		S=$(jq -r .listen "$T/veth-server.out")
		nsenter -t $peer -n "$W" net-stream --server "$S" --seconds 0.1 | jq -e ".ok and .path == \"veth\" and .interface == \"hvcwl1\" and .interface_driver == \"veth\" and .local_address == \"10.213.0.2\" and .peer_address == \"10.213.0.1\"" >/dev/null || exit 10
		# Its own address from the same namespace goes over lo.
		"$W" net-rr --server "$S" --seconds 0.05 | jq -e ".ok and .path == \"loopback\" and .interface == \"lo\" and .local_address == \"10.213.0.1\"" >/dev/null || exit 11
		wait $srv || exit 12
	' _ "$W" "$TEST_TMP"
	case $? in
	0) ok "net path: veth between two test namespaces, own address over lo" ;;
	3) echo "skip: no veth support here: net path through veth" ;;
	*) fail "net path through a veth pair failed (step $?)" ;;
	esac
else
	echo "skip: not root or no unshare --net: net path through veth"
fi

# Usage errors of the network workloads.
run_fail 2 net-stream
run_fail 2 net-rr --server localhost:80
run_fail 2 net-rr --server 127.0.0.1:0
run_fail 2 net-crr --server 127.0.0.1
run_fail 2 net-stream --server 127.0.0.1:9 --direction sideways
run_fail 2 net-stream --server 127.0.0.1:9 --size 17m
run_fail 2 net-rr --server 127.0.0.1:9 --size 1k
run_fail 2 net-rr --server 127.0.0.1:9 --listen 127.0.0.1:0
run_fail 2 net-server --listen nowhere
run_fail 2 net-server --idle-seconds -1
run_fail 2 net-server --min-seconds 1
run_fail 2 net-server --server 127.0.0.1:9
ok "network workloads"
