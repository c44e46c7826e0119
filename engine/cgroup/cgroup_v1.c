/* engine/cgroup/cgroup_v1: the legacy back-end — one hierarchy per controller under
 * <root>/<controller>, the cgroup's directory repeated in each.
 *
 * Which hierarchies a new cgroup joins is kept to what its limits and the
 * stats need (memory, cpuacct, pids, freezer; cpu and cpuset only with a cpu
 * or cpuset limit): every mkdir in a v1 hierarchy costs, and the container
 * start path is measured. A co-mounted cpu,cpuacct hierarchy is one directory. v1 specifics handled
 * here:
 *   - memory+swap is memory.memsw.limit_in_bytes, present only with swap
 *     accounting (swapaccount=1); it must be written after limit_in_bytes.
 *   - CFS bandwidth is two files (period first: the quota is checked against it).
 *   - a cpuset with empty cpuset.cpus/mems refuses tasks (ENOSPC), so the
 *     "hvc" parent copies both from the root when it is created, and a
 *     container cpuset copies from "hvc" whichever list it was not given. */
#include "cgroup_internal.h"
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char absent_memsw[] =
    "swap accounting is off in this kernel (memory.memsw.* absent; boot with swapaccount=1)";

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int add_v1(struct hvc_cgroup *cg, unsigned role, const char *ctrl, struct hvc_error *err)
{
	char base[512];
	if ((size_t)snprintf(base, sizeof(base), "%s/%s", cg->host.root, ctrl) >= sizeof(base))
		return hvc_err(err, ENAMETOOLONG, "cgroup root `%s`", cg->host.root);
	return hvc_cgroup_dir_add(cg, role, base, err);
}

int hvc_cgroup_v1_layout(struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l, bool cpuacct,
			 struct hvc_error *err)
{
	const unsigned u = cg->host.usable;
	bool all = !l; /* open: every hierarchy it may be in */
	int r;
	if ((u & HVC_CG_MEMORY) && (r = add_v1(cg, HVC_CG_MEMORY, "memory", err)) < 0)
		return r;

	/* cpu and cpuacct are often one hierarchy (cpu,cpuacct with two symlinks) */
	char cpu[512], acct[512];
	snprintf(cpu, sizeof(cpu), "%s/cpu", cg->host.root);
	snprintf(acct, sizeof(acct), "%s/cpuacct", cg->host.root);
	bool want_cpu = (u & HVC_CG_CPU) && (all || l->cpu_quota_us);
	struct stat st;
	bool have_acct = (cpuacct || all || want_cpu) && stat(acct, &st) == 0;
	if (want_cpu && have_acct && same_dir(cpu, acct)) {
		if ((r = add_v1(cg, HVC_CG_CPU | HVC_CGD_CPUACCT, "cpu", err)) < 0)
			return r;
	} else {
		if (want_cpu && (r = add_v1(cg, HVC_CG_CPU, "cpu", err)) < 0)
			return r;
		if (have_acct && (cpuacct || all) &&
		    (r = add_v1(cg, HVC_CGD_CPUACCT, "cpuacct", err)) < 0)
			return r;
	}
	if ((u & HVC_CG_CPUSET) && (all || l->cpuset_cpus[0] || l->cpuset_mems[0]) &&
	    (r = add_v1(cg, HVC_CG_CPUSET, "cpuset", err)) < 0)
		return r;
	if ((u & HVC_CG_PIDS) && (r = add_v1(cg, HVC_CG_PIDS, "pids", err)) < 0)
		return r;
	char dev[512];
	snprintf(dev, sizeof(dev), "%s/devices", cg->host.root);
	if ((all || l->devices_allow) && stat(dev, &st) == 0 &&
	    (r = add_v1(cg, HVC_CGD_DEVICES, "devices", err)) < 0)
		return r;
	/* hybrid hosts kill through cgroup.kill in the cgroup2 tree instead */
	if ((u & HVC_CG_FREEZER) && (all || cg->host.mode == HVC_CGROUP_V1) &&
	    (r = add_v1(cg, HVC_CG_FREEZER, "freezer", err)) < 0)
		return r;
	return 0;
}

int hvc_cgroup_v1_plan_limits(const struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
			      struct hvc_cgroup_plan *p, struct hvc_error *err)
{
	char v[64];
	int r;
	const struct hvc_cgroup_dir *d;
	if (l->memory_max && (d = hvc_cgroup_dir_for(cg, HVC_CG_MEMORY))) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, d->path, "memory.limit_in_bytes",
					     v, "memory limit", NULL, err)) < 0)
			return r;
		if (l->swap_off && (r = hvc_cgroup_plan_add(
					p, HVC_CG_OP_WRITE, d->path, "memory.memsw.limit_in_bytes",
					v, "memory limit with swap off", absent_memsw, err)) < 0)
			return r;
	}
	if (l->cpu_quota_us && (d = hvc_cgroup_dir_for(cg, HVC_CG_CPU))) {
		snprintf(v, sizeof(v), "%llu",
			 (unsigned long long)(l->cpu_period_us ? l->cpu_period_us : 100000));
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, d->path, "cpu.cfs_period_us", v,
					     "cpu limit (--cpus)", NULL, err)) < 0)
			return r;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_quota_us);
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, d->path, "cpu.cfs_quota_us", v,
					     "cpu limit (--cpus)", NULL, err)) < 0)
			return r;
	}
	if ((d = hvc_cgroup_dir_for(cg, HVC_CG_CPUSET))) {
		/* a v1 cpuset refuses tasks until both lists are set: what is not
		 * given is copied from the parent */
		bool cpus = l->cpuset_cpus[0], mems = l->cpuset_mems[0];
		if ((r = hvc_cgroup_plan_add(p, cpus ? HVC_CG_OP_WRITE : HVC_CG_OP_COPY, d->path,
					     "cpuset.cpus", cpus ? l->cpuset_cpus : NULL,
					     "cpuset limit (--cpuset-cpus)", NULL, err)) < 0)
			return r;
		if ((r = hvc_cgroup_plan_add(p, mems ? HVC_CG_OP_WRITE : HVC_CG_OP_COPY, d->path,
					     "cpuset.mems", mems ? l->cpuset_mems : NULL,
					     "cpuset limit (--cpuset-mems)", NULL, err)) < 0)
			return r;
	}
	if (l->pids_max > 0 && (d = hvc_cgroup_dir_for(cg, HVC_CG_PIDS))) {
		snprintf(v, sizeof(v), "%lld", (long long)l->pids_max);
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, d->path, "pids.max", v,
					     "pids limit (--pids-limit)", NULL, err)) < 0)
			return r;
	}
	if (l->devices_allow) {
		const struct hvc_cgroup_dir *u = hvc_cgroup_dir_for(cg, HVC_CGD_UNIFIED);
		d = hvc_cgroup_dir_for(cg, HVC_CGD_DEVICES);
		if (!d && u) /* hybrid without a devices hierarchy: BPF in the cgroup2 tree */
			return hvc_cgroup_plan_bpf_devices(p, u->path, l->devices_allow, err);
		if (!d)
			return hvc_err(err, EOPNOTSUPP,
				       "device policy: this host cannot enforce it: no cgroup v1 "
				       "devices hierarchy is mounted under `%s`",
				       cg->host.root);
		/* one rule per write: the kernel parses a single rule */
		if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, d->path, "devices.deny", "a",
					     "device policy", NULL, err)) < 0)
			return r;
		for (const char *const *a = l->devices_allow; *a; a++)
			if ((r = hvc_cgroup_plan_add(p, HVC_CG_OP_WRITE, d->path, "devices.allow",
						     *a, "device policy", NULL, err)) < 0)
				return r;
	}
	return 0;
}

/* Copies cpuset.cpus and cpuset.mems from parent into dir when dir's are empty. */
static int cpuset_copy(const char *dir, const char *parent)
{
	static const char *files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < 2; i++) {
		char mine[256], theirs[256];
		ssize_t n = hvc_cgroup_read(dir, files[i], mine, sizeof(mine));
		if (n < 0)
			return (int)n;
		if (*hvc_str_trim(mine))
			continue;
		if ((n = hvc_cgroup_read(parent, files[i], theirs, sizeof(theirs))) < 0)
			return (int)n;
		int r = hvc_cgroup_write(dir, files[i], hvc_str_trim(theirs));
		if (r < 0)
			return r;
	}
	return 0;
}

static int cpuset_parent_prepared(const char *dir, const char *parent, void *ud)
{
	(void)ud;
	return cpuset_copy(dir, parent);
}

int hvc_cgroup_v1_prepare_parents(const struct hvc_cgroup *cg, size_t i, struct hvc_error *err)
{
	const struct hvc_cgroup_dir *d = &cg->dirs[i];
	bool cpuset = d->role & HVC_CG_CPUSET;
	return hvc_cgroup_mkdir_parents(d->base, d->path, cpuset ? cpuset_parent_prepared : NULL,
					NULL, err);
}

int hvc_cgroup_v1_attach_repair(const struct hvc_cgroup *cg, size_t i, int e)
{
	const struct hvc_cgroup_dir *d = &cg->dirs[i];
	if (e != ENOSPC || !(d->role & HVC_CG_CPUSET))
		return -1;
	/* top-down: each level copies from its parent (an ancestor made by an
	 * older or interrupted hvc may have no values yet) */
	char path[1024];
	snprintf(path, sizeof(path), "%s", d->path);
	size_t bl = strlen(d->base);
	for (char *s = path + bl + 1;; s++) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		char parent[1024];
		snprintf(parent, sizeof(parent), "%s", path);
		*strrchr(parent, '/') = '\0';
		if (cpuset_copy(path, parent) < 0)
			return -1;
		if (!slash)
			break;
		*slash = '/';
		s = slash;
	}
	return 0;
}

int hvc_cgroup_v1_kill_all(struct hvc_cgroup *cg, struct hvc_error *err)
{
	if (!cg->n)
		return 0;
	const struct hvc_cgroup_dir *fz = hvc_cgroup_dir_for(cg, HVC_CG_FREEZER);
	bool frozen = false;
	if (fz && access(fz->path, F_OK) == 0 &&
	    hvc_cgroup_write(fz->path, "freezer.state", "FROZEN") == 0) {
		/* frozen tasks cannot fork while we kill them */
		char state[32];
		for (int t = 0; t < 200; t++) {
			if (hvc_cgroup_read(fz->path, "freezer.state", state, sizeof(state)) < 0 ||
			    !strncmp(state, "FROZEN", 6))
				break;
			usleep(1000);
		}
		frozen = true;
	}
	const char *dir = fz ? fz->path : cg->dirs[0].path;
	char buf[8192];
	ssize_t n = hvc_cgroup_read(dir, "cgroup.procs", buf, sizeof(buf));
	if (n > 0)
		hvc_cgroup_kill_listed(buf);
	if (frozen)
		hvc_cgroup_write(fz->path, "freezer.state", "THAWED");
	int r = hvc_cgroup_kill_procs(dir, 60);
	if (r < 0)
		return hvc_err(err, -r, "kill processes of cgroup `%s`", cg->name);
	return 0;
}

static int v1_layout(struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
		     struct hvc_error *err)
{
	return hvc_cgroup_v1_layout(cg, l, true, err);
}

const struct hvc_cgroup_backend hvc_cgroup_backend_v1 = {
    .name = "v1",
    .layout = v1_layout,
    .plan_limits = hvc_cgroup_v1_plan_limits,
    .prepare_parents = hvc_cgroup_v1_prepare_parents,
    .attach_repair = hvc_cgroup_v1_attach_repair,
    .write_repair = NULL,
    .stats = hvc_cgroup_v1_stats,
    .kill_all = hvc_cgroup_v1_kill_all,
};
