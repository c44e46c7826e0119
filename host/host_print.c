/* host/host_print: the host description (host/host_describe.c) as a short aligned
 * table for people; `hvc info --json` prints the object itself. The table
 * reads only the JSON, so it shows exactly what results embed. */
#include "hvc/host.h"
#include <string.h>

#define ROW(f, label, ...)                                                                         \
	do {                                                                                       \
		fprintf(f, "%-14s ", label);                                                       \
		fprintf(f, __VA_ARGS__);                                                           \
		fputc('\n', f);                                                                    \
	} while (0)

static const char *str_or(json_object *o, const char *key, const char *dflt)
{
	const char *s = hvc_json_get_string(o, key);
	return s && *s ? s : dflt;
}

static const char *size_str(json_object *o, const char *key, char *buf, size_t len)
{
	int64_t v = hvc_json_get_int(o, key, 0);
	if (v <= 0)
		return "-";
	return hvc_format_size((uint64_t)v, buf, len);
}

/* ["a","b"] -> "a,b" (sep) into buf; "-" when empty. */
static const char *join(json_object *arr, const char *sep, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	size_t cnt =
	    arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < cnt && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? sep : "",
				      json_object_get_string(json_object_array_get_idx(arr, i)));
	return buf[0] ? buf : "-";
}

static const char *yes_no(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	if (!v)
		return "unknown";
	return json_object_get_boolean(v) ? "yes" : "no";
}

static void print_cpu(FILE *f, json_object *cpu, json_object *mem)
{
	char a[32], b[32], c[32], d[32];
	if (hvc_json_get_string(cpu, "error")) {
		ROW(f, "CPU", "unknown: %s", hvc_json_get_string(cpu, "error"));
	} else {
		ROW(f, "CPU", "%s (%s)", str_or(cpu, "model", "unknown model"),
		    str_or(cpu, "arch", "?"));
		int64_t s = hvc_json_get_int(cpu, "sockets", 0),
			co = hvc_json_get_int(cpu, "cores", 0), p = hvc_json_get_int(cpu, "pus", 0),
			nn = hvc_json_get_int(cpu, "numa_nodes", 0);
		ROW(f, "Topology", "%lld socket%s, %lld core%s, %lld PU%s, %lld NUMA node%s",
		    (long long)s, s == 1 ? "" : "s", (long long)co, co == 1 ? "" : "s",
		    (long long)p, p == 1 ? "" : "s", (long long)nn, nn == 1 ? "" : "s");
		json_object *ca = hvc_json_get(cpu, "caches");
		ROW(f, "Caches", "L1d %s, L1i %s, L2 %s, L3 %s",
		    size_str(ca, "l1d_bytes", a, sizeof(a)),
		    size_str(ca, "l1i_bytes", b, sizeof(b)), size_str(ca, "l2_bytes", c, sizeof(c)),
		    size_str(ca, "l3_bytes", d, sizeof(d)));
		json_object *fq = hvc_json_get(cpu, "frequency");
		if (fq && hvc_json_get_string(fq, "governor"))
			ROW(f, "Frequency", "governor %s (%s)", hvc_json_get_string(fq, "governor"),
			    str_or(fq, "driver", "?"));
		else if (fq)
			ROW(f, "Frequency", "no cpufreq interface (not scaled by this kernel, or a VM)");
	}
	int64_t tot = hvc_json_get_int(mem, "total_bytes", 0),
		numa = hvc_json_get_int(mem, "numa_total_bytes", 0);
	if (numa > 0 && numa != tot)
		ROW(f, "Memory", "%s (%s of it in NUMA nodes)",
		    size_str(mem, "total_bytes", a, sizeof(a)),
		    size_str(mem, "numa_total_bytes", b, sizeof(b)));
	else
		ROW(f, "Memory", "%s", size_str(mem, "total_bytes", a, sizeof(a)));
}

static void print_cgroup(FILE *f, json_object *cg)
{
	char buf[256];
	const char *mode = str_or(cg, "mode", "none");
	const char *unified = hvc_json_get_string(cg, "unified");
	if (!strcmp(mode, "hybrid"))
		ROW(f, "cgroups", "hybrid (v1 controllers under %s, cgroup2 tree at %s)",
		    str_or(cg, "root", "?"), unified ? unified : "?");
	else if (!strcmp(mode, "v2"))
		ROW(f, "cgroups", "v2 (unified at %s)", unified ? unified : "?");
	else if (!strcmp(mode, "v1"))
		ROW(f, "cgroups", "v1 (legacy hierarchies under %s)", str_or(cg, "root", "?"));
	else
		ROW(f, "cgroups", "none%s%s", hvc_json_get_string(cg, "error") ? ": " : "",
		    str_or(cg, "error", ""));
	ROW(f, "  usable", "%s", join(hvc_json_get(cg, "usable"), ",", buf, sizeof(buf)));
}

static void print_isolation(FILE *f, json_object *iso)
{
	char ok[256] = "", bad[256] = "";
	size_t no = 0, nb = 0;
	json_object *nsobj = hvc_json_get(iso, "namespaces");
	if (!nsobj)
		nsobj = json_object_new_object(); /* leaks nothing: freed below */
	else
		json_object_get(nsobj);
	json_object_object_foreach(nsobj, name, v)
	{
		if (json_object_get_boolean(v))
			no += (size_t)snprintf(ok + no, no < sizeof(ok) ? sizeof(ok) - no : 0,
					       "%s%s", no ? " " : "", name);
		else
			nb += (size_t)snprintf(bad + nb, nb < sizeof(bad) ? sizeof(bad) - nb : 0,
					       "%s%s", nb ? " " : "", name);
	}
	json_object_put(nsobj);
	if (bad[0])
		ROW(f, "Namespaces", "%s (not: %s)", ok[0] ? ok : "none", bad);
	else
		ROW(f, "Namespaces", "%s", ok[0] ? ok : "none");
	ROW(f, "User ns", "%s (unprivileged: %s)", yes_no(iso, "user_ns"),
	    yes_no(iso, "user_ns_unprivileged"));
	if (hvc_json_get_bool(iso, "overlayfs", false))
		ROW(f, "overlayfs", "yes");
	else
		ROW(f, "overlayfs", "no: %s", str_or(iso, "overlayfs_error", "?"));
	if (hvc_json_get_bool(iso, "seccomp_filter", false))
		ROW(f, "seccomp", "yes (libseccomp %s)", str_or(iso, "libseccomp_version", "?"));
	else
		ROW(f, "seccomp", "no: %s", str_or(iso, "seccomp_error", "?"));
}

static void print_virt(FILE *f, json_object *v)
{
	char buf[128];
	const char *mods = join(hvc_json_get(v, "kvm_modules"), ", ", buf, sizeof(buf));
	if (!hvc_json_get_bool(v, "dev_kvm", false))
		ROW(f, "/dev/kvm", "absent (modules: %s)", mods);
	else
		ROW(f, "/dev/kvm", "present, %s (modules: %s)",
		    hvc_json_get_bool(v, "dev_kvm_openable", false) ? "opens" : "cannot open",
		    mods);
	const char *accel = str_or(v, "accel", "tcg");
	ROW(f, "Accelerator", "%s: %s%s",
	    !strcmp(accel, "kvm") ? "kvm" : "tcg (software emulation)",
	    str_or(v, "accel_reason", "?"),
	    hvc_json_get_bool(v, "accel_cached", false) ? " [cached]" : "");
	json_object *k = hvc_json_get(v, "guest_kernel");
	if (k)
		ROW(f, "Guest kernel", "%s (%s)", str_or(k, "path", "?"),
		    str_or(k, "release", "?"));
	else
		ROW(f, "Guest kernel", "none: %s", str_or(v, "guest_kernel_error", "?"));
	json_object *q = hvc_json_get(v, "qemu");
	if (hvc_json_get_string(q, "version"))
		ROW(f, "QEMU", "%s %s", str_or(q, "path", "?"), str_or(q, "version", "?"));
	else
		ROW(f, "QEMU", "none: %s", str_or(q, "error", "?"));
	if (hvc_json_get_string(v, "libvirt_version"))
		ROW(f, "libvirt", "%s", hvc_json_get_string(v, "libvirt_version"));
	else
		ROW(f, "libvirt", "unknown: %s", str_or(v, "libvirt_error", "?"));
}

void hvc_host_print(FILE *f, json_object *info)
{
	json_object *hvc = hvc_json_get(info, "hvc");
	ROW(f, "hvc", "%s", str_or(hvc, "version", "unknown"));
	ROW(f, "Host", "%s, %s", str_or(info, "hostname", "?"), str_or(info, "os", "unknown OS"));
	json_object *k = hvc_json_get(info, "kernel");
	ROW(f, "Kernel", "%s (%s)", str_or(k, "release", "?"), str_or(k, "machine", "?"));
	print_cpu(f, hvc_json_get(info, "cpu"), hvc_json_get(info, "memory"));
	print_cgroup(f, hvc_json_get(info, "cgroup"));
	print_isolation(f, hvc_json_get(info, "isolation"));
	print_virt(f, hvc_json_get(info, "virtualization"));
}
