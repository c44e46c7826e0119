/* bench/hostinfo: the host probe behind `hvc info` — one JSON object that
 * every benchmark result embeds (schema "hvc-host/1", every field listed in
 * docs/host-info.md). It gathers facts from the modules that own them: hwloc
 * topology (util), cgroup mode and isolation probes (engine), guest kernel,
 * accelerator and versions (vmdriver). A part that cannot be probed becomes an
 * "error" string in its section rather than failing the whole probe. */
#include "hvc/bench.h"
#include "hvc/cgroup.h"
#include "hvc/probe.h"
#include "hvc/topology.h"
#include "hvc/vm.h"
#include "hvc_version.h"
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define HOST_SCHEMA "hvc-host/1"

static json_object *strv_json(const char *csv)
{
	json_object *a = json_object_new_array();
	_cleanup_free_ char *copy = strdup(csv ? csv : "");
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(t));
	return a;
}

static void os_pretty_name(char *buf, size_t len)
{
	_cleanup_free_ char *data = NULL;
	buf[0] = '\0';
	if (hvc_read_file("/etc/os-release", &data, NULL, NULL) < 0)
		return;
	for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
		if (!hvc_str_has_prefix(line, "PRETTY_NAME="))
			continue;
		char *v = line + strlen("PRETTY_NAME=");
		size_t l = strlen(v);
		if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0]) {
			v[l - 1] = '\0';
			v++;
		}
		snprintf(buf, len, "%s", v);
	}
}

json_object *hvc_host_cpufreq(const char *cpu_dir)
{
	json_object *o = json_object_new_object();
	const char *files[][2] = { { "governor", "cpufreq/scaling_governor" }, { "driver", "cpufreq/scaling_driver" } };
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *p = hvc_path_join(cpu_dir, files[i][1]);
		_cleanup_free_ char *v = NULL;
		size_t n = 0;
		if (p && hvc_read_file(p, &v, &n, NULL) == 0 && n > 0) {
			v[strcspn(v, "\n")] = '\0';
			hvc_json_add_string(o, files[i][0], v);
		} else {
			json_object_object_add(o, files[i][0], NULL);
		}
	}
	return o;
}

static json_object *probe_cpu(json_object **memory)
{
	json_object *cpu = json_object_new_object();
	*memory = json_object_new_object();
	struct hvc_topology t;
	struct hvc_error err = {0};
	if (hvc_topology_probe(&t, &err) < 0) {
		hvc_json_add_string(cpu, "error", err.msg);
		hvc_json_add_string(*memory, "error", err.msg);
		return cpu;
	}
	hvc_json_add_string(cpu, "model", t.cpu_model);
	hvc_json_add_string(cpu, "arch", t.arch);
	hvc_json_add_int(cpu, "sockets", t.sockets);
	hvc_json_add_int(cpu, "cores", t.cores);
	hvc_json_add_int(cpu, "pus", t.pus);
	hvc_json_add_int(cpu, "numa_nodes", t.numa_nodes);
	json_object *c = json_object_new_object();
	hvc_json_add_int(c, "l1d_bytes", (int64_t)t.l1d);
	hvc_json_add_int(c, "l1i_bytes", (int64_t)t.l1i);
	hvc_json_add_int(c, "l2_bytes", (int64_t)t.l2);
	hvc_json_add_int(c, "l3_bytes", (int64_t)t.l3);
	hvc_json_add_int(c, "l3_count", t.l3_count);
	json_object_object_add(cpu, "caches", c);
	/* frequency scaling changes short timings: record it with every result */
	json_object_object_add(cpu, "frequency", hvc_host_cpufreq("/sys/devices/system/cpu/cpu0"));
	hvc_json_add_int(*memory, "total_bytes", (int64_t)t.mem_total);
	hvc_json_add_int(*memory, "numa_total_bytes", (int64_t)t.numa_mem_total);
	return cpu;
}

static json_object *probe_cgroups(void)
{
	json_object *o = json_object_new_object();
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	if (hvc_cgroup_detect(NULL, NULL, &h, &err) < 0) {
		hvc_json_add_string(o, "mode", "none");
		hvc_json_add_string(o, "error", err.msg);
		return o;
	}
	char buf[128];
	hvc_json_add_string(o, "mode", hvc_cgroup_mode_name(h.mode));
	hvc_json_add_string(o, "root", h.root);
	if (h.unified[0])
		hvc_json_add_string(o, "unified", h.unified);
	else
		json_object_object_add(o, "unified", NULL);
	json_object_object_add(o, "usable",
			       strv_json(hvc_cgroup_ctrl_names(h.usable, buf, sizeof(buf))));
	json_object_object_add(
	    o, "v2_controllers",
	    strv_json(hvc_cgroup_ctrl_names(h.v2_controllers, buf, sizeof(buf))));
	return o;
}

static json_object *probe_isolation(void)
{
	json_object *o = json_object_new_object();
	struct hvc_probe_ns ns[HVC_PROBE_NS_MAX];
	size_t n = hvc_probe_namespaces(ns);
	json_object *avail = json_object_new_object(), *errs = json_object_new_object();
	bool user_ok = false;
	for (size_t i = 0; i < n; i++) {
		hvc_json_add_bool(avail, ns[i].name, ns[i].ok);
		if (!ns[i].ok)
			hvc_json_add_string(errs, ns[i].name, strerror(ns[i].error));
		if (!strcmp(ns[i].name, "user"))
			user_ok = ns[i].ok;
	}
	json_object_object_add(o, "namespaces", avail);
	json_object_object_add(o, "namespace_errors", errs);
	hvc_json_add_bool(o, "user_ns", user_ok);
	int uerr = 0;
	int u = hvc_probe_userns_unprivileged(&uerr);
	if (u < 0)
		json_object_object_add(o, "user_ns_unprivileged", NULL);
	else
		hvc_json_add_bool(o, "user_ns_unprivileged", u == 1);

	struct hvc_error err = {0};
	bool ov = hvc_probe_overlayfs(NULL, &err) == 0;
	hvc_json_add_bool(o, "overlayfs", ov);
	if (!ov)
		hvc_json_add_string(o, "overlayfs_error", err.msg);

	hvc_error_clear(&err);
	bool sc = hvc_probe_seccomp(&err) == 0;
	hvc_json_add_bool(o, "seccomp_filter", sc);
	if (!sc)
		hvc_json_add_string(o, "seccomp_error", err.msg);
	char ver[32];
	hvc_json_add_string(o, "libseccomp_version", hvc_probe_seccomp_version(ver, sizeof(ver)));
	return o;
}

static json_object *probe_virt(const struct hvc_host_opts *opts)
{
	json_object *o = json_object_new_object();
	struct hvc_error err = {0};

	struct hvc_vm_kernel k;
	bool have_kernel = hvc_vm_kernel_find(opts ? opts->kernel : NULL, &k, &err) == 0;
	if (have_kernel) {
		json_object *ko = json_object_new_object();
		hvc_json_add_string(ko, "path", k.path);
		hvc_json_add_string(ko, "release", k.release);
		if (k.modules_dir[0])
			hvc_json_add_string(ko, "modules_dir", k.modules_dir);
		else
			json_object_object_add(ko, "modules_dir", NULL);
		hvc_json_add_bool(ko, "overridden", k.overridden);
		json_object_object_add(o, "guest_kernel", ko);
	} else {
		json_object_object_add(o, "guest_kernel", NULL);
		hvc_json_add_string(o, "guest_kernel_error", err.msg);
	}

	struct hvc_vm_accel_info a;
	hvc_error_clear(&err);
	hvc_vm_accel_probe(have_kernel ? &k : NULL, opts ? opts->accel_flags : 0, &a, &err);
	hvc_json_add_string(o, "accel", hvc_vm_accel_name(a.accel));
	hvc_json_add_string(o, "accel_reason", a.reason);
	hvc_json_add_bool(o, "accel_cached", a.cached);
	hvc_json_add_bool(o, "dev_kvm", a.sig.dev_kvm_exists);
	hvc_json_add_bool(o, "dev_kvm_openable", a.sig.dev_kvm_exists && !a.sig.dev_kvm_errno);
	json_object *mods = json_object_new_array();
	if (a.sig.mod_kvm_intel)
		json_object_array_add(mods, json_object_new_string("kvm_intel"));
	if (a.sig.mod_kvm_amd)
		json_object_array_add(mods, json_object_new_string("kvm_amd"));
	if (a.sig.mod_kvm_pvm)
		json_object_array_add(mods, json_object_new_string("kvm_pvm"));
	json_object_object_add(o, "kvm_modules", mods);
	json_object *tb = json_object_new_object();
	hvc_json_add_string(tb, "result", hvc_vm_boot_test_name(a.sig.boot));
	if (a.sig.boot != HVC_VM_BOOT_NOT_RUN)
		hvc_json_add_int(tb, "ms", a.sig.boot_ms);
	if (a.sig.boot_detail[0])
		hvc_json_add_string(tb, "detail", a.sig.boot_detail);
	json_object_object_add(o, "kvm_test_boot", tb);

	json_object *q = json_object_new_object();
	hvc_error_clear(&err);
	_cleanup_free_ char *qemu = hvc_vm_qemu_binary(&err);
	char ver[64];
	if (qemu && hvc_vm_qemu_version(qemu, ver, sizeof(ver), &err) == 0) {
		hvc_json_add_string(q, "path", qemu);
		hvc_json_add_string(q, "version", ver);
	} else {
		if (qemu)
			hvc_json_add_string(q, "path", qemu);
		hvc_json_add_string(q, "error", err.msg);
	}
	json_object_object_add(o, "qemu", q);

	hvc_error_clear(&err);
	if (hvc_vm_libvirt_version(ver, sizeof(ver), &err) == 0)
		hvc_json_add_string(o, "libvirt_version", ver);
	else
		hvc_json_add_string(o, "libvirt_error", err.msg);
	return o;
}

int hvc_host_probe_with(const struct hvc_host_opts *opts, json_object **out, struct hvc_error *err)
{
	(void)err; /* sections record their own failures */
	uint64_t t0 = hvc_now_ns();
	_cleanup_json_ json_object *o = json_object_new_object();
	if (!o)
		return hvc_err(err, ENOMEM, "host probe");
	hvc_json_add_string(o, "schema", HOST_SCHEMA);

	json_object *hvc = json_object_new_object();
	hvc_json_add_string(hvc, "version", HVC_BUILD_VERSION);
	hvc_json_add_string(hvc, "git_revision", HVC_BUILD_GIT_REV);
	json_object_object_add(o, "hvc", hvc);

	char buf[256];
	hvc_json_add_string(o, "probed_at", hvc_wall_iso8601(buf, sizeof(buf)));
	if (gethostname(buf, sizeof(buf)) == 0) {
		buf[sizeof(buf) - 1] = '\0';
		hvc_json_add_string(o, "hostname", buf);
	}
	os_pretty_name(buf, sizeof(buf));
	hvc_json_add_string(o, "os", buf);

	struct utsname u;
	json_object *kern = json_object_new_object();
	if (uname(&u) == 0) {
		hvc_json_add_string(kern, "release", u.release);
		hvc_json_add_string(kern, "version", u.version);
		hvc_json_add_string(kern, "machine", u.machine);
	}
	json_object_object_add(o, "kernel", kern);

	json_object *memory = NULL;
	json_object_object_add(o, "cpu", probe_cpu(&memory));
	json_object_object_add(o, "memory", memory);
	json_object_object_add(o, "cgroup", probe_cgroups());
	json_object_object_add(o, "isolation", probe_isolation());
	json_object_object_add(o, "virtualization", probe_virt(opts));
	hvc_json_add_double(o, "probe_ms", hvc_ns_to_ms(hvc_now_ns() - t0));
	*out = steal_pointer(&o);
	return 0;
}

int hvc_host_probe(json_object **out, struct hvc_error *err)
{
	return hvc_host_probe_with(NULL, out, err);
}
