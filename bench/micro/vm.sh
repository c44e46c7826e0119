#!/bin/bash
# Micro-benchmark of the VM driver (issue 5, Speed): `hvc vm run --rm busybox
# true` against qemu-system-x86_64 started directly with the same kernel,
# initramfs, kernel command line and machine options (the floor for any
# libvirt-based driver), in one hyperfine run so both see the same host load.
# Then the effect of each boot knob: kernel console noise (quiet vs
# loglevel=7), initramfs compression (gzip, zstd, lz4, none), machine type
# (pc, q35; microvm only directly: libvirt 9.0 rejects it), and hvc's
# destroy-at-EXIT vs waiting for the guest's ACPI power-off.
# Results: hyperfine JSON + markdown in OUT (default results/micro-vm-<date>/)
# and timings.txt (hvc's own phase timings). Needs root and QEMU.
# Usage: bench/micro/vm.sh [OUTDIR]   (HVC_BENCH_RUNS=N, default 10)
set -eu
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
runs=${HVC_BENCH_RUNS:-10}
out=${1:-results/micro-vm-$(date -u +%Y%m%dT%H%M%SZ)}
command -v hyperfine >/dev/null || { echo "hyperfine not installed (apt-get install hyperfine)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed" >&2; exit 1; }
[ -x "$HVC" ] || { echo "$HVC not built (run make)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/hvc-bench-vm.XXXXXX)
export HVC_ROOT=$tmp/root HVC_GUEST_DIR=${HVC_GUEST_DIR:-$(dirname "$HVC")}
trap '"$HVC" system prune >/dev/null 2>&1; for p in $(pgrep -f "qemu-system-x86_64.*$tmp"); do kill -9 $p; done; rm -rf "$tmp"' EXIT

# Build every artifact variant first (cache), and learn the exact kernel,
# initrd and command line hvc uses from one kept run's domain.xml.
for z in gzip zstd lz4 none; do "$HVC" vm run --prepare --compress "$z" busybox true; done
"$HVC" vm run --name probe busybox true
xml=$HVC_ROOT/vms/$("$HVC" vm ps -a -q | head -1)/domain.xml
kernel=$(sed -n 's|.*<kernel>\(.*\)</kernel>.*|\1|p' "$xml")
initrd=$(sed -n 's|.*<initrd>\(.*\)</initrd>.*|\1|p' "$xml")
cmdline=$(sed -n 's|.*<cmdline>\(.*\)</cmdline>.*|\1|p' "$xml" | sed 's/&quot;/"/g; s/&amp;/\&/g')
accel=$(grep -q "<domain type='kvm'>" "$xml" && echo kvm || echo tcg)
"$HVC" vm rm probe >/dev/null
initrd_of() { echo "${initrd%-gzip.cpio}-$1.cpio"; }

# Direct QEMU: what libvirt runs, minus libvirt (same machine, memory, vCPU,
# devices: one serial port into a file; QEMU exits at the guest's power-off).
direct() { # machine initrd cmdline
	echo "qemu-system-x86_64 -machine $1,accel=$accel -m 256 -smp 1 -nodefaults -no-user-config" \
		"-display none -serial file:$tmp/direct.log -no-reboot -kernel $kernel -initrd $2 -append '$3'"
}

hyperfine --warmup 1 --runs "$runs" \
	--export-json "$out/vm.json" --export-markdown "$out/vm.md" \
	-n "direct qemu (pc, gzip, quiet)" "$(direct pc "$initrd" "$cmdline")" \
	-n "hvc vm run --rm busybox true" "$HVC vm run --rm busybox true"

hyperfine --warmup 1 --runs "$runs" \
	--export-json "$out/knobs.json" --export-markdown "$out/knobs.md" \
	-n "hvc: default (pc, gzip, quiet, destroy at EXIT)" "$HVC vm run --rm busybox true" \
	-n "hvc: kernel messages on (loglevel=7)" "$HVC vm run --rm --cmdline loglevel=7 busybox true" \
	-n "hvc: zstd initramfs" "$HVC vm run --rm --compress zstd busybox true" \
	-n "hvc: lz4 initramfs" "$HVC vm run --rm --compress lz4 busybox true" \
	-n "hvc: uncompressed initramfs" "$HVC vm run --rm --compress none busybox true" \
	-n "hvc: q35" "$HVC vm run --rm --machine q35 busybox true" \
	-n "hvc: wait for ACPI power-off" "$HVC vm run --rm --wait-poweroff busybox true" \
	-n "direct qemu: microvm (gzip, quiet)" "timeout 120 $(direct microvm "$initrd" "$cmdline")"

# hvc's own phase timings (request -> created / first byte / READY / exit / gone).
: >"$out/timings.txt"
for _ in $(seq 1 "$runs"); do
	"$HVC" vm run --rm --timings busybox true 2>>"$out/timings.txt"
done
echo
echo "results in $out (accelerator: $accel)"
cat "$out/vm.md" "$out/knobs.md"
awk '/timings/ { n++; k = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+,?$/) { v = $i; sub(",", "", v); s[++k] += v } }
	END { if (n) printf "hvc phases, mean of %d (ms from request): created %.0f, first console byte %.0f, READY %.0f, exit %.0f, gone %.0f\n", n, s[1] / n, s[2] / n, s[3] / n, s[4] / n, s[5] / n }' \
	"$out/timings.txt" | tee "$out/phases.txt"
