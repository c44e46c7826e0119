/* engine/cgroup/cgroup_hybrid: v1 controllers plus a cgroup2 tree without
 * controllers (systemd's "hybrid", e.g. /sys/fs/cgroup/unified). Limits and
 * stats are v1's; the process is also placed in the cgroup2 tree, which gives
 * cgroup.kill (kill everything, forks included, in one write), CPU usage
 * (cpu.stat is a core cgroup2 file, so no cpuacct directory is made) and a
 * single place to see whether anything is left. Without a cgroup2 tree it is v1. */
#include "cgroup_internal.h"

static int hybrid_layout(struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
			 struct hvc_error *err)
{
	bool unified = cg->host.unified[0];
	int r = hvc_cgroup_v1_layout(cg, l, !unified, err);
	if (r < 0 || !unified)
		return r;
	return hvc_cgroup_dir_add(cg, HVC_CGD_UNIFIED, cg->host.unified, err);
}

static int hybrid_stats(const struct hvc_cgroup *cg, struct hvc_cgroup_stats *st,
			struct hvc_error *err)
{
	int r = hvc_cgroup_v1_stats(cg, st, err);
	const struct hvc_cgroup_dir *u = hvc_cgroup_dir_for(cg, HVC_CGD_UNIFIED);
	if (r == 0 && u && !(st->have & HVC_CGS_CPU))
		hvc_cgroup_v2_cpu_usage(u->path, st);
	return r;
}

static int hybrid_kill_all(struct hvc_cgroup *cg, struct hvc_error *err)
{
	const struct hvc_cgroup_dir *u = hvc_cgroup_dir_for(cg, HVC_CGD_UNIFIED);
	if (!u)
		return hvc_cgroup_v1_kill_all(cg, err);
	return hvc_cgroup_v2_kill_dir(u->path, err);
}

const struct hvc_cgroup_backend hvc_cgroup_backend_hybrid = {
    .name = "hybrid",
    .layout = hybrid_layout,
    .plan_limits = hvc_cgroup_v1_plan_limits,
    .prepare_parents = hvc_cgroup_v1_prepare_parents,
    .attach_repair = hvc_cgroup_v1_attach_repair,
    .write_repair = NULL,
    .stats = hybrid_stats,
    .kill_all = hybrid_kill_all,
};
