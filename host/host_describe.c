/* host/host_describe: the host description behind `hvc info` — one JSON
 * object that every benchmark result embeds (schema "hvc-host/1", every field
 * listed in docs/host-info.md). The fixed part (hvc, time, hostname, OS,
 * kernel) is written here, then each section the caller lists: the host's own
 * (cpu and memory from the hwloc topology, isolation from the probes) and
 * those of the modules above (bench/bench_host.c lists them all). */
#include "hvc/host.h"
#include "hvc/topology.h"
#include "hvc_version.h"
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define HOST_SCHEMA "hvc-host/1"

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

void hvc_host_add_cpu(json_object *host, const void *arg)
{
	(void)arg;
	json_object *cpu = json_object_new_object();
	json_object *memory = json_object_new_object();
	json_object_object_add(host, "cpu", cpu);
	json_object_object_add(host, "memory", memory);
	struct hvc_topology t;
	struct hvc_error err = {0};
	if (hvc_topology_probe(&t, &err) < 0) {
		hvc_json_add_string(cpu, "error", err.msg);
		hvc_json_add_string(memory, "error", err.msg);
		return;
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
	hvc_json_add_int(memory, "total_bytes", (int64_t)t.mem_total);
	hvc_json_add_int(memory, "numa_total_bytes", (int64_t)t.numa_mem_total);
}

void hvc_host_add_isolation(json_object *host, const void *arg)
{
	(void)arg;
	json_object *o = json_object_new_object();
	json_object_object_add(host, "isolation", o);
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
}

int hvc_host_describe(const struct hvc_host_section *sections, size_t n, json_object **out,
		      struct hvc_error *err)
{
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

	/* sections record their own failures inside themselves */
	for (size_t i = 0; i < n; i++)
		sections[i].add(o, sections[i].arg);
	hvc_json_add_double(o, "probe_ms", hvc_ns_to_ms(hvc_now_ns() - t0));
	*out = steal_pointer(&o);
	return 0;
}
