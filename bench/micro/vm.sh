#!/bin/bash
# Micro-benchmark of the VM driver (issue 5, Speed): `hvc vm run --rm busybox
# true` against qemu-system-x86_64 started directly with the same kernel,
# initramfs, kernel command line and machine options (the floor for any
# libvirt-based driver), then the effect of each boot knob: kernel console
# noise (quiet vs loglevel=7), hvc's fast-boot kernel arguments, initramfs
# compression (none = hvc's default, gzip, zstd, lz4), machine type (pc, q35; microvm only
# directly: libvirt 9.0 rejects it), destroy-at-EXIT vs the guest's ACPI
# power-off; then (issue 15) libvirt's per-property guest CPU read-back
# that hvc trims (HVC_VM_CPU_PROBE=1 on a libvirt root of its own keeps it)
# and a start from the image's template (`--template`: restore + hand-off).
# HVC_BENCH_CORE=1 runs only direct QEMU, hvc, the CPU read-back row and the
# template row.
# Every hvc row runs with --network none: direct QEMU has no NIC, and a VM is
# on the bridge by default (a virtio-net NIC and six modules to load).
#
# Variants run interleaved (round 1: every variant once, round 2: ...), so a
# host whose load drifts (this one is shared) biases none of them; each run
# records wall time and CPU time (user+sys of the process tree, QEMU
# included: hvc reaps its QEMU as subreaper, so its CPU time is counted).
# Results in OUT (default results/micro-vm-<date>/): runs.tsv (every run),
# summary.md (median and mean per variant), phases.txt (hvc --timings).
# Needs root and QEMU.  Usage: bench/micro/vm.sh [OUTDIR]  (HVC_BENCH_RUNS=N, default 10)
set -eu
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
runs=${HVC_BENCH_RUNS:-10}
out=${1:-results/micro-vm-$(date -u +%Y%m%dT%H%M%SZ)}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed" >&2; exit 1; }
[ -x "$HVC" ] || { echo "$HVC not built (run make)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/hvc-bench-vm.XXXXXX)
# a private copy: a rebuild of bin/ during the run must not change what is measured
cp "$HVC" "$tmp/hvc"
cp "$(dirname "$HVC")/hvc-init" "$tmp/hvc-init"
HVC=$tmp/hvc
export HVC_ROOT=$tmp/root HVC_GUEST_DIR=$tmp
trap '"$HVC" system prune >/dev/null 2>&1; for p in $(pgrep -f "qemu-system-x86_64.*$tmp"); do kill -9 $p; done; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Build every artifact variant first (cache, libvirt's capability probe), and
# learn the exact kernel, initrd and command line hvc uses from a kept run.
for z in gzip zstd lz4 none; do "$HVC" vm run --prepare --compress "$z" busybox true; done
"$HVC" vm run --rm --template busybox true # the template, made once
# libvirt's capability probe of the CPU-read-back row's own root, made once
HVC_VM_CPU_PROBE=1 "$HVC" vm run --rm --network none --connect "qemu:///embed?root=$tmp/libvirt-probe" busybox true
"$HVC" vm run --network none --name probe busybox true
xml=$HVC_ROOT/vms/$("$HVC" vm ps -a -q | head -1)/domain.xml
kernel=$(sed -n 's|.*<kernel>\(.*\)</kernel>.*|\1|p' "$xml")
initrd=$(sed -n 's|.*<initrd>\(.*\)</initrd>.*|\1|p' "$xml")
cmdline=$(sed -n 's|.*<cmdline>\(.*\)</cmdline>.*|\1|p' "$xml" | sed 's/&quot;/"/g; s/&amp;/\&/g')
accel=$(grep -q "<domain type='kvm'>" "$xml" && echo kvm || echo tcg)
"$HVC" vm rm probe >/dev/null
# the guest lingers after EXIT for hvc's kill; QEMU alone must not wait for it
cmdline_direct=$(sed 's/hvc.cfg=[^ ]*//' <<<"$cmdline")
cfg=$(printf 'arg true\nenv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' | base64 -w0)
cmdline_direct="$cmdline_direct hvc.cfg=$cfg"

direct() { # machine initrd cmdline -> a command line for QEMU alone
	echo "qemu-system-x86_64 -machine $1,accel=$accel -m 256 -smp 1 -nodefaults -no-user-config" \
		"-display none -serial file:$tmp/direct.log -no-reboot -kernel $kernel -initrd $2 -append '$3'"
}

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "direct qemu (pc, same initramfs and cmdline)" "$(direct pc "$initrd" "$cmdline_direct")"
add "hvc vm run --rm --network none busybox true" "$HVC vm run --rm --network none busybox true"
add "hvc: libvirt's guest CPU read-back kept (HVC_VM_CPU_PROBE=1)" \
	"env HVC_VM_CPU_PROBE=1 $HVC vm run --rm --network none --connect qemu:///embed?root=$tmp/libvirt-probe busybox true"
add "hvc vm run --rm --template busybox true" "$HVC vm run --rm --template busybox true"
if [ "${HVC_BENCH_CORE:-0}" != 1 ]; then
add "hvc: without fast-boot kernel args" "env HVC_VM_FAST_BOOT=0 $HVC vm run --rm --network none busybox true"
add "hvc: kernel messages on (loglevel=7)" "$HVC vm run --rm --network none --cmdline loglevel=7 busybox true"
add "hvc: zstd initramfs" "$HVC vm run --rm --network none --compress zstd busybox true"
add "hvc: lz4 initramfs" "$HVC vm run --rm --network none --compress lz4 busybox true"
add "hvc: gzip initramfs" "$HVC vm run --rm --network none --compress gzip busybox true"
add "hvc: q35" "$HVC vm run --rm --network none --machine q35 busybox true"
add "hvc: wait for the guest's power-off" "$HVC vm run --rm --network none --wait-poweroff busybox true"
add "direct qemu: microvm (same initramfs and cmdline)" "timeout 20 $(direct microvm "$initrd" "$cmdline_direct")"
fi

printf 'variant\trun\twall_s\tcpu_s\n' >"$out/runs.tsv"
: >"$out/phases.txt"
for r in $(seq 0 "$runs"); do # round 0 is a warm-up, not recorded
	for i in "${!names[@]}"; do
		/usr/bin/time -o "$tmp/time" -f "%e %U %S" bash -c "${cmds[$i]}" >/dev/null 2>"$tmp/err" ||
			{ echo "failed: ${names[$i]}: $(tail -1 "$tmp/err")" >&2; continue; }
		read -r wall u s <"$tmp/time"
		[ "$r" -gt 0 ] && printf '%s\t%d\t%s\t%s\n' "${names[$i]}" "$r" "$wall" \
			"$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')" >>"$out/runs.tsv"
	done
	[ "$r" -gt 0 ] && "$HVC" vm run --rm --network none --timings busybox true 2>>"$out/phases.txt" >/dev/null
done

{
	echo "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), accelerator $accel, $runs interleaved rounds"
	echo
	echo "| variant | wall median (s) | wall mean (s) | CPU median (s) | wall vs direct |"
	echo "|---|---|---|---|---|"
	median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	for n in "${names[@]}"; do
		rows=$(awk -F'\t' -v n="$n" '$1 == n' "$out/runs.tsv")
		printf '%s\t%s\t%s\t%s\n' "$n" "$(cut -f3 <<<"$rows" | median)" \
			"$(cut -f3 <<<"$rows" | awk '{ s += $1 } END { print s / NR }')" "$(cut -f4 <<<"$rows" | median)"
	done | awk -F'\t' 'NR == 1 { base = $2 } { printf "| %s | %.2f | %.2f | %.2f | %.2fx |\n", $1, $2, $3, $4, $2 / base }'
	echo
	awk '/timings/ { n++; k = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+,?$/) { v = $i; sub(",", "", v); s[++k] += v } }
		END { if (n) printf "hvc phases, mean of %d runs (ms from request): domain created %.0f, first console byte %.0f, READY %.0f, command exit %.0f, domain gone %.0f\n", n, s[1] / n, s[2] / n, s[3] / n, s[4] / n, s[5] / n }' \
		"$out/phases.txt"
} | tee "$out/summary.md"
