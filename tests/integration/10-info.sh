#!/bin/bash
# hvc info: the real host probe, human and --json, checked against what the
# host itself says (mountinfo, /proc, /boot); usage errors exit 2.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 (make deps installs it) is needed to validate the JSON"

# --- human table -------------------------------------------------------------
expect_status 0 "$HVC" info
for label in hvc Host Kernel CPU Topology Caches Memory cgroups usable Namespaces "User ns" \
	overlayfs seccomp /dev/kvm Accelerator "Guest kernel" QEMU libvirt; do
	grep -qE "^ *$label " <<<"$OUT" || fail "table has no \"$label\" row: $OUT"
done
expect_contains "$OUT" "$(uname -r)"
ok "human table has every row"

# --- JSON --------------------------------------------------------------------
expect_status 0 "$HVC" info --json
printf '%s\n' "$OUT" >"$TEST_TMP/info.json"
python3 - "$TEST_TMP/info.json" <<'EOF' || fail "JSON validation failed"
import json, os, re, sys
d = json.load(open(sys.argv[1]))
def need(cond, what):
    if not cond:
        print("not ok:", what, file=sys.stderr)
        sys.exit(1)
need(d["schema"] == "hvc-host/1", "schema")
need(d["hvc"]["version"] and re.fullmatch(r"[0-9a-f]{40}|unknown", d["hvc"]["git_revision"]), "hvc version/revision")
need(d["kernel"]["release"] == os.uname().release, "kernel release")
need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["probed_at"]), "probed_at")
cpu = d["cpu"]
need(cpu["pus"] >= 1 and cpu["cores"] >= 1 and cpu["sockets"] >= 1 and cpu["numa_nodes"] >= 1, "cpu counts")
need(cpu["pus"] >= cpu["cores"] >= cpu["sockets"], "pus >= cores >= sockets")
need(cpu["pus"] == os.cpu_count() or cpu["pus"] == len(os.sched_getaffinity(0)), "pus vs os.cpu_count")
for k in ("l1d_bytes", "l1i_bytes", "l2_bytes", "l3_bytes"):
    need(isinstance(cpu["caches"][k], int) and cpu["caches"][k] >= 0, "cache " + k)
memtotal = int(re.search(r"MemTotal:\s+(\d+) kB", open("/proc/meminfo").read()).group(1)) * 1024
need(d["memory"]["total_bytes"] == memtotal, "memory.total_bytes == MemTotal")

# cgroup mode must match the mount table
mounts = [l.split(" - ") for l in open("/proc/self/mountinfo")]
cg2 = [a.split()[4] for a, b in mounts if b.split()[0] == "cgroup2" and a.split()[4].startswith("/sys/fs/cgroup")]
v1 = [a.split()[4] for a, b in mounts if b.split()[0] == "cgroup" and a.split()[4].startswith("/sys/fs/cgroup")
      and any(c in b.split()[2].split(",") for c in ("cpu", "cpuset", "memory", "pids", "blkio", "freezer"))]
want = "v2" if "/sys/fs/cgroup" in cg2 or (cg2 and not v1) else "hybrid" if v1 and cg2 else "v1" if v1 else "none"
cg = d["cgroup"]
need(cg["mode"] in ("v1", "v2", "hybrid", "none"), "cgroup mode name")
need(cg["mode"] == want, "cgroup mode %s, mountinfo says %s" % (cg["mode"], want))
need(set(cg["usable"]) <= {"cpu", "cpuset", "memory", "pids", "io", "freezer"}, "usable names")
if cg["mode"] in ("v1", "hybrid"):
    for c in cg["usable"]:
        need(os.path.isdir("/sys/fs/cgroup/" + ("blkio" if c == "io" else c)), "usable %s has a dir" % c)
    need(cg["unified"] == (cg2[0] if cg2 else None), "unified path")

iso = d["isolation"]
for ns in ("mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"):
    need(isinstance(iso["namespaces"][ns], bool), "namespace " + ns)
    need(iso["namespaces"][ns] or ns in iso["namespace_errors"], "error given for " + ns)
need(iso["user_ns"] == iso["namespaces"]["user"], "user_ns")
need(isinstance(iso["overlayfs"], bool) and isinstance(iso["seccomp_filter"], bool), "overlayfs/seccomp")
need(iso["overlayfs"] or iso.get("overlayfs_error"), "overlayfs error given")

v = d["virtualization"]
need(v["accel"] in ("kvm", "tcg") and v["accel_reason"], "accel + reason")
need(v["dev_kvm"] == os.path.exists("/dev/kvm"), "dev_kvm")
mods = [m for m in ("kvm_intel", "kvm_amd", "kvm_pvm") if os.path.exists("/sys/module/" + m)]
need(v["kvm_modules"] == mods, "kvm_modules %s vs %s" % (v["kvm_modules"], mods))
# The verdict is checked against the signals this host gives (read here from
# /sys/module and /dev/kvm, not assumed): no /dev/kvm is tcg and says why;
# kvm_pvm alone with /dev/kvm is the PVM verdict unless a test boot worked.
if not v["dev_kvm"]:
    need(v["accel"] == "tcg", "no /dev/kvm means tcg")
    need("no /dev/kvm" in v["accel_reason"], "reason names the missing /dev/kvm: " + v["accel_reason"])
    if mods:
        need(v["accel_reason"].startswith(mods[0]), "reason names the loaded module " + mods[0])
elif mods == ["kvm_pvm"] and v["kvm_test_boot"]["result"] != "ok":
    need(v["accel"] == "tcg" and "kvm_pvm module: only boots PVM-enabled guest kernels" in v["accel_reason"], "PVM verdict")
need(v["kvm_test_boot"]["result"] in ("not-run", "ok", "silent", "failed"), "test boot result")
k = v["guest_kernel"]
if k is not None:
    need(os.path.isfile(k["path"]) and k["release"], "guest kernel path")
    need(k["modules_dir"] is None or os.path.isdir(k["modules_dir"]), "modules dir")
else:
    need("apt-get install linux-image-cloud-amd64" in v["guest_kernel_error"], "kernel hint")
need(v["qemu"].get("version") or v["qemu"].get("error"), "qemu")
need(re.fullmatch(r"\d+\.\d+\.\d+", v.get("libvirt_version", "")), "libvirt version")
EOF
ok "JSON fields valid and consistent with the host"

# the verdict is cached under $HVC_ROOT/cache and reused
ls "$HVC_ROOT"/cache/accel-*.json >/dev/null 2>&1 || fail "no cached accelerator verdict in $HVC_ROOT/cache"
expect_status 0 "$HVC" info --json
grep -q '"accel_cached": true' <<<"$OUT" || fail "second probe did not use the cached verdict"
expect_status 0 "$HVC" info --json --no-cache
grep -q '"accel_cached": false' <<<"$OUT" || fail "--no-cache still used the cache"
ok "accelerator verdict cached per boot"

# a probe leaves nothing behind (overlay temp dirs, mounts)
[ -z "$(ls -A "$HVC_ROOT/tmp" 2>/dev/null)" ] || fail "probe left files in $HVC_ROOT/tmp: $(ls "$HVC_ROOT/tmp")"
grep -q overlay-probe /proc/self/mountinfo && fail "an overlay probe mount is left"
ok "nothing left behind"

# --- guest kernel override ---------------------------------------------------
if k=$(ls /boot/vmlinuz-* 2>/dev/null | head -1) && [ -n "$k" ]; then
	expect_status 0 "$HVC" info --json --kernel "$k"
	expect_contains "$OUT" "\"path\": \"$k\""
	expect_contains "$OUT" '"overridden": true'
	HVC_KERNEL="$k" expect_status 0 "$HVC" info --json
	expect_contains "$OUT" '"overridden": true'
	ok "--kernel and HVC_KERNEL override the guest kernel"
fi
expect_status 1 "$HVC" info --kernel /no/such/vmlinuz
expect_contains "$OUT" "hvc: info: guest kernel \`/no/such/vmlinuz\`"
expect_contains "$OUT" "apt-get install linux-image-cloud-amd64"
[ "$(wc -l <<<"$OUT")" -eq 1 ] || fail "bad --kernel error is not one line: $OUT"
ok "missing kernel: one clear line, exit 1"

# --- usage errors ------------------------------------------------------------
expect_status 2 "$HVC" info --bogus
expect_contains "$OUT" "hvc info --help"
expect_status 2 "$HVC" info extra-arg
expect_contains "$OUT" "unexpected argument \"extra-arg\""
expect_status 2 "$HVC" info --kernel ""
expect_status 2 "$HVC" info --kernel
expect_status 0 "$HVC" info --help
expect_contains "$OUT" "Usage: hvc info"
ok "usage errors exit 2"
