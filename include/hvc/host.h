/* host: what this machine is and what it allows, below every other module
 * but util. The engine, the VM driver, the bench harness and `hvc info` all
 * read the host from here.
 *
 * - The description (host/host_describe.c): one JSON object, schema
 *   "hvc-host/1" (docs/host-info.md), that `hvc info` prints and every
 *   benchmark result embeds. It is assembled from sections; the host's own
 *   (cpu and memory, isolation) are here, the modules above add theirs (the
 *   engine's cgroup section, the VM driver's virtualization section) through
 *   the same callback type, so nothing here depends on them.
 * - The isolation probes (host/probe_*): what isolation this kernel really
 *   allows, found by trying (fork + unshare, a real overlay mount, a real
 *   seccomp filter), never by reading a config file. Every probe runs in a
 *   child process so nothing it changes (namespaces, mounts, filters) reaches
 *   the caller.
 * - The hypervisor signals (host/host_kvm.c) the VM driver's accelerator
 *   choice starts from. */
#ifndef HVC_HOST_H
#define HVC_HOST_H

#include "hvc/util.h"

struct hvc_probe_ns {
	const char *name; /* "mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time" */
	int flag;	  /* CLONE_NEW* */
	bool ok;
	int error; /* errno of the failed unshare (0 when ok) */
};
#define HVC_PROBE_NS_MAX 8

/* Tries unshare() of each namespace type in its own child. Returns the count
 * filled into out (at most HVC_PROBE_NS_MAX). */
size_t hvc_probe_namespaces(struct hvc_probe_ns out[HVC_PROBE_NS_MAX]);
/* Whether an unprivileged user (uid/gid 65534) may create a user namespace
 * (Debian's kernel.unprivileged_userns_clone, user.max_user_namespaces).
 * Returns 1 yes, 0 no (*error = errno), negative when it could not be tried. */
int hvc_probe_userns_unprivileged(int *error);

/* Mounts a tiny overlay (lower, upper, work, merged under dir: a fresh temp
 * dir is made inside it and removed after) in a private mount namespace,
 * writes through it and checks the copy-up, unmounts. 0 when usable, negative
 * with err saying why not. dir NULL = $HVC_ROOT/tmp (the filesystem the
 * container layers live on), falling back to /tmp. */
int hvc_probe_overlayfs(const char *dir, struct hvc_error *err);

/* Loads a one-rule seccomp filter (libseccomp) in a child with no_new_privs
 * and checks that it takes effect. 0 when filters work, negative otherwise. */
int hvc_probe_seccomp(struct hvc_error *err);
/* libseccomp's runtime version "2.5.4" into buf. */
const char *hvc_probe_seccomp_version(char *buf, size_t len);

/* Runs fn(arg, err) in a forked child and returns its result and error to
 * the caller; what fn changes in its process (namespaces, mounts, seccomp)
 * dies with the child. */
int hvc_probe_in_child(int (*fn)(void *arg, struct hvc_error *err), void *arg,
		       struct hvc_error *err);

/* One section of the host description: adds its key(s) to host. A part that
 * cannot be probed records an "error" string inside its section instead of
 * failing the whole description. */
struct hvc_host_section {
	const char *name; /* for messages: "cpu", "cgroup", ... */
	void (*add)(json_object *host, const void *arg);
	const void *arg;
};
/* The description: schema, hvc's version, time, hostname, OS and kernel, then
 * each section in order, then how long it all took ("probe_ms"). */
int hvc_host_describe(const struct hvc_host_section *sections, size_t n, json_object **out,
		      struct hvc_error *err);
/* The host's own sections: "cpu" and "memory" (hwloc topology, caches,
 * frequency scaling), and "isolation" (the probes above). arg unused. */
void hvc_host_add_cpu(json_object *host, const void *arg);
void hvc_host_add_isolation(json_object *host, const void *arg);
/* CPU frequency scaling as the kernel shows it under cpu_dir (normally
 * /sys/devices/system/cpu/cpu0): {"governor", "driver"}, each a string or
 * null; both null when there is no cpufreq interface (most VMs). */
json_object *hvc_host_cpufreq(const char *cpu_dir);
/* Prints a description as a short aligned table. */
void hvc_host_print(FILE *f, json_object *info);

/* What the host says about hardware virtualization, without running a guest:
 * which hypervisor modules are loaded and whether /dev/kvm opens. The VM
 * driver decides KVM or TCG from these plus a test boot (vmdriver/accel.c). */
struct hvc_host_kvm {
	bool mod_kvm_intel, mod_kvm_amd, mod_kvm_pvm; /* /sys/module/<name> present */
	bool dev_kvm_exists;
	int dev_kvm_errno; /* 0 when /dev/kvm opened read-write */
};
void hvc_host_kvm_probe(struct hvc_host_kvm *out);

#endif
