/* bench/bench_host: the full host description that `hvc info` prints and
 * every result embeds — the host's own sections (host/) with the engine's
 * cgroup section and the VM driver's virtualization section, in the order
 * docs/host-info.md lists them. It lives here, above both modules, so that
 * host/ stays below them. */
#include "hvc/bench.h"
#include "hvc/cgroup.h"
#include "hvc/vm.h"

int hvc_host_probe_with(const struct hvc_host_opts *opts, json_object **out, struct hvc_error *err)
{
	const struct hvc_vm_host_opts vm = {
		.kernel = opts ? opts->kernel : NULL,
		.accel_flags = opts ? opts->accel_flags : 0,
	};
	const struct hvc_host_section sections[] = {
		{ "cpu", hvc_host_add_cpu, NULL },
		{ "cgroup", hvc_cgroup_host_add, NULL },
		{ "isolation", hvc_host_add_isolation, NULL },
		{ "virtualization", hvc_vm_host_add, &vm },
	};
	return hvc_host_describe(sections, sizeof(sections) / sizeof(sections[0]), out, err);
}

int hvc_host_probe(json_object **out, struct hvc_error *err)
{
	return hvc_host_probe_with(NULL, out, err);
}
