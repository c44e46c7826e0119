/* engine/cgroup/cgroup_v2: the unified back-end — one cgroup2 directory carries every
 * controller. A child sees a controller's files only when its parent lists
 * the controller in cgroup.subtree_control, so the "hvc" parent enables them
 * (in the root and in itself) once, when it is first created. Differences
 * from v1 are only in the files: memory.max, memory.swap.max = 0 (no swap),
 * cpu.max "quota period", pids.max, cpuset.cpus/mems (inherited when empty,
 * so no copying), cgroup.kill to kill everything, and a device policy as a
 * BPF program (engine/cgroup/cgroup_devices.c) instead of devices.allow/deny. */
#include "cgroup_internal.h"
#include <string.h>
#include <unistd.h>

static const char absent_swap[] = "swap accounting is off in this kernel (memory.swap.max absent: "
				  "CONFIG_MEMCG_SWAP off or swapaccount=0)";

static int v2_layout(struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
		     struct hvc_error *err)
{
	(void)l;
	const char *base = cg->host.unified[0] ? cg->host.unified : cg->host.root;
	return hvc_cgroup_dir_add(cg, HVC_CGD_UNIFIED | HVC_CG_FREEZER | cg->host.usable, base,
				  err);
}

static int v2_plan_limits(const struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
			  struct hvc_cgroup_plan *p, struct hvc_error *err)
{
	const char *dir = cg->dirs[0].path;
	char v[64];
	int r;
	if (l->memory_max) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, dir, "memory.max", v,
					     "memory limit", NULL, err)) < 0)
			return r;
		if (l->swap_off &&
		    (r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, dir, "memory.swap.max", "0",
					     "memory limit with swap off", absent_swap, err)) < 0)
			return r;
	}
	if (l->cpu_quota_us) {
		snprintf(v, sizeof(v), "%llu %llu", (unsigned long long)l->cpu_quota_us,
			 (unsigned long long)(l->cpu_period_us ? l->cpu_period_us : 100000));
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, dir, "cpu.max", v,
					     "cpu limit (--cpus)", NULL, err)) < 0)
			return r;
	}
	if (l->cpuset_cpus[0] &&
	    (r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, dir, "cpuset.cpus", l->cpuset_cpus,
				     "cpuset limit (--cpuset-cpus)", NULL, err)) < 0)
		return r;
	if (l->cpuset_mems[0] &&
	    (r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, dir, "cpuset.mems", l->cpuset_mems,
				     "cpuset limit (--cpuset-mems)", NULL, err)) < 0)
		return r;
	if (l->pids_max > 0) {
		snprintf(v, sizeof(v), "%lld", (long long)l->pids_max);
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, dir, "pids.max", v,
					     "pids limit (--pids-limit)", NULL, err)) < 0)
			return r;
	}
	if (l->devices_allow)
		return hvc_cgroup_plan_bpf_devices(p, dir, l->devices_allow, err);
	return 0;
}

/* "+cpu +cpuset +memory +pids +io" for the controllers this host has. */
static void subtree_value(unsigned bits, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} c[] = {{HVC_CG_CPU, "cpu"},
		 {HVC_CG_CPUSET, "cpuset"},
		 {HVC_CG_MEMORY, "memory"},
		 {HVC_CG_PIDS, "pids"},
		 {HVC_CG_IO, "io"}};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (bits & c[i].bit)
			n += (size_t)snprintf(buf + n, len - n, "%s+%s", n ? " " : "", c[i].name);
}

/* Enables controllers in parent (for dir) and in dir (for its children). */
static int enable_subtree(const char *dir, const char *parent, void *ud)
{
	const struct hvc_cgroup *cg = ud;
	char v[128];
	subtree_value(cg->host.v2_controllers & cg->host.usable, v, sizeof(v));
	if (!v[0])
		return 0;
	int r = hvc_cgroup_write(parent, "cgroup.subtree_control", v);
	if (r < 0)
		return r;
	return hvc_cgroup_write(dir, "cgroup.subtree_control", v);
}

static int v2_prepare_parents(const struct hvc_cgroup *cg, size_t i, struct hvc_error *err)
{
	const struct hvc_cgroup_dir *d = &cg->dirs[i];
	return hvc_cgroup_mkdir_parents(d->base, d->path, enable_subtree, (void *)cg, err);
}

/* A control file is missing: maybe an ancestor was created by an interrupted
 * or concurrent hvc before it enabled the controllers. Enable them top-down. */
static int v2_write_repair(const struct hvc_cgroup *cg, const struct hvc_cgroup_op *op)
{
	(void)op;
	const struct hvc_cgroup_dir *d = &cg->dirs[0];
	char path[1024];
	snprintf(path, sizeof(path), "%s", d->path);
	size_t bl = strlen(d->base);
	int r = -1;
	for (char *s = path + bl + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		char parent[1024];
		snprintf(parent, sizeof(parent), "%s", path);
		*strrchr(parent, '/') = '\0';
		r = enable_subtree(path, parent, (void *)cg);
		*s = '/';
		if (r < 0)
			return r;
	}
	return r;
}

int hvc_cgroup_v2_kill_dir(const char *dir, struct hvc_error *err)
{
	if (access(dir, F_OK) < 0)
		return 0;
	int r = hvc_cgroup_write(dir, "cgroup.kill", "1");
	if (r == -ENOENT) {
		/* before 5.14: freeze (no forks), kill each, thaw */
		bool frozen = hvc_cgroup_write(dir, "cgroup.freeze", "1") == 0;
		hvc_cgroup_kill_procs(dir, 1);
		if (frozen)
			hvc_cgroup_write(dir, "cgroup.freeze", "0");
	} else if (r < 0) {
		return hvc_err(err, -r, "kill processes of cgroup `%s`", dir);
	}
	if ((r = hvc_cgroup_kill_procs(dir, 60)) < 0)
		return hvc_err(err, -r, "kill processes of cgroup `%s`", dir);
	return 0;
}

static int v2_kill_all(struct hvc_cgroup *cg, struct hvc_error *err)
{
	return cg->n ? hvc_cgroup_v2_kill_dir(cg->dirs[0].path, err) : 0;
}

const struct hvc_cgroup_backend hvc_cgroup_backend_v2 = {
    .name = "v2",
    .layout = v2_layout,
    .plan_limits = v2_plan_limits,
    .prepare_parents = v2_prepare_parents,
    .attach_repair = NULL,
    .write_repair = v2_write_repair,
    .stats = hvc_cgroup_v2_stats,
    .kill_all = v2_kill_all,
};
