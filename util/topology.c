/* util/topology: CPU model, sockets/cores/PUs, NUMA nodes, caches and memory
 * from hwloc, and the PU order the bench harness pins instances in. */
#include "hvc/topology.h"
#include <hwloc.h>
#include <string.h>
#include <sys/utsname.h>

static void topo_destroy(hwloc_topology_t *t)
{
	if (*t)
		hwloc_topology_destroy(*t);
}
#define _cleanup_topo_ __attribute__((cleanup(topo_destroy)))

static int topo_load(hwloc_topology_t *t, bool icaches, struct hvc_error *err)
{
	*t = NULL;
	if (hwloc_topology_init(t) < 0)
		return hvc_err(err, errno, "hwloc: init topology");
	/* hwloc drops instruction caches by default */
	if (icaches)
		hwloc_topology_set_icache_types_filter(*t, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(*t) < 0) {
		int e = errno;
		hwloc_topology_destroy(*t);
		*t = NULL;
		return hvc_err(err, e, "hwloc: load topology");
	}
	return 0;
}

static int count(hwloc_topology_t t, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(t, type);
	return n < 0 ? 0 : n;
}

static uint64_t cache_size(hwloc_topology_t t, hwloc_obj_type_t type)
{
	hwloc_obj_t o = hwloc_get_obj_by_type(t, type, 0);
	return o && o->attr ? o->attr->cache.size : 0;
}

/* The kernel's MemTotal: what `free` shows. hwloc sums the NUMA nodes'
 * meminfo, which leaves out memory hot-added outside any node (seen on this
 * development VM: 4.8 GiB in node0 of 23.5 GiB MemTotal). */
static uint64_t meminfo_total(void)
{
	_cleanup_free_ char *data = NULL;
	if (hvc_read_file("/proc/meminfo", &data, NULL, NULL) < 0)
		return 0;
	const char *p = strstr(data, "MemTotal:");
	unsigned long long kb = 0;
	if (p && sscanf(p, "MemTotal: %llu kB", &kb) == 1)
		return kb * 1024;
	return 0;
}

int hvc_topology_probe(struct hvc_topology *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_topo_ hwloc_topology_t t = NULL;
	if (topo_load(&t, true, err) < 0)
		return -1;
	out->sockets = count(t, HWLOC_OBJ_PACKAGE);
	out->cores = count(t, HWLOC_OBJ_CORE);
	out->pus = count(t, HWLOC_OBJ_PU);
	out->numa_nodes = count(t, HWLOC_OBJ_NUMANODE);
	if (out->numa_nodes == 0)
		out->numa_nodes = 1; /* hwloc always has one; be safe in odd sandboxes */
	out->l1d = cache_size(t, HWLOC_OBJ_L1CACHE);
	out->l1i = cache_size(t, HWLOC_OBJ_L1ICACHE);
	out->l2 = cache_size(t, HWLOC_OBJ_L2CACHE);
	out->l3 = cache_size(t, HWLOC_OBJ_L3CACHE);
	out->l3_count = count(t, HWLOC_OBJ_L3CACHE);

	const char *model = NULL;
	hwloc_obj_t pkg = hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0);
	if (pkg)
		model = hwloc_obj_get_info_by_name(pkg, "CPUModel");
	if (!model)
		model = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "CPUModel");
	snprintf(out->cpu_model, sizeof(out->cpu_model), "%s", model ? model : "");
	hvc_str_trim(out->cpu_model);

	const char *arch = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "Architecture");
	struct utsname u;
	if (!arch && uname(&u) == 0)
		arch = u.machine;
	snprintf(out->arch, sizeof(out->arch), "%s", arch ? arch : "");

	out->numa_mem_total = hwloc_get_root_obj(t)->total_memory;
	out->mem_total = meminfo_total();
	if (!out->mem_total)
		out->mem_total = out->numa_mem_total;
	return 0;
}

int hvc_topology_pu_count(struct hvc_error *err)
{
	_cleanup_topo_ hwloc_topology_t t = NULL;
	if (topo_load(&t, false, err) < 0)
		return -1;
	return count(t, HWLOC_OBJ_PU);
}

int hvc_topology_pus(int **ids, size_t *n, struct hvc_error *err)
{
	*ids = NULL;
	*n = 0;
	_cleanup_topo_ hwloc_topology_t t = NULL;
	if (topo_load(&t, false, err) < 0)
		return -1;
	int npu = count(t, HWLOC_OBJ_PU);
	if (npu <= 0)
		return hvc_err(err, ENODEV, "hwloc: no processing units");
	_cleanup_free_ int *v = calloc((size_t)npu, sizeof(int));
	if (!v)
		return hvc_err(err, ENOMEM, "hwloc: PU list");
	size_t k = 0;
	int ncores = count(t, HWLOC_OBJ_CORE);
	if (ncores > 0) {
		/* rank r of every core first, so early picks are on distinct cores */
		for (unsigned rank = 0; k < (size_t)npu; rank++) {
			bool any = false;
			for (int c = 0; c < ncores; c++) {
				hwloc_obj_t core =
				    hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, (unsigned)c);
				hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(
				    t, core->cpuset, HWLOC_OBJ_PU, rank);
				if (pu && k < (size_t)npu) {
					v[k++] = (int)pu->os_index;
					any = true;
				}
			}
			if (!any)
				break;
		}
	}
	/* PUs outside any core (rare) or no core objects at all: plain order */
	for (int i = 0; i < npu; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)i);
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = v[j] == (int)pu->os_index;
		if (!seen && k < (size_t)npu)
			v[k++] = (int)pu->os_index;
	}
	*n = k;
	*ids = steal_pointer(&v);
	return 0;
}
