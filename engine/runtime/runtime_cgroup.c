/* engine/runtime/runtime_cgroup: the runtime's single entry point into cgroups — a
 * thin adapter from a container's limits to the shared cgroup module
 * (include/hvc/cgroup.h: v2, v1 and hybrid back-ends, device policy as v1
 * rules or a cgroup2 BPF program). Host detection runs once per process. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "hvc/cgroup.h"
#include "runtime_internal.h"

#define CG_ROOT "/sys/fs/cgroup"

/* Docker's device policy: the minimal /dev, pty slaves, and mknod of char
 * devices (they stay unusable); block devices cannot even be created. */
static const char *const devices_allow[] = {
	"c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
	"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", NULL,
};

static const struct hvc_cgroup_host *host(struct hvc_error *err)
{
	static struct hvc_cgroup_host h;
	static int state; /* 0 unknown, 1 ok, -1 failed */
	if (!state)
		state = hvc_cgroup_detect(CG_ROOT, NULL, &h, err) < 0 ? -1 : 1;
	if (state < 0) {
		if (err && !err->msg[0])
			hvc_err(err, ENOENT, "no usable cgroup hierarchy under `%s`", CG_ROOT);
		return NULL;
	}
	return &h;
}

int hvc_rt_cgroup_create(const char *id, const struct hvc_ctr_limits *l, struct hvc_rt_cgroup *cg,
			 struct hvc_error *err)
{
	memset(cg, 0, sizeof(*cg));
	_cleanup_free_ char *name = hvc_rt_cgroup_name_for(id);
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	const struct hvc_cgroup_host *h = host(err);
	if (!h)
		return -1;
	struct hvc_cgroup_limits cl = { 0 };
	cl.memory_max = l->memory;
	cl.swap_off = true;
	cl.pids_max = l->pids;
	if (l->cpus > 0 && hvc_cgroup_limits_set_cpus_n(&cl, l->cpus, err) < 0)
		return -1;
	if (l->cpuset)
		snprintf(cl.cpuset_cpus, sizeof(cl.cpuset_cpus), "%s", l->cpuset);
	cl.devices_allow = devices_allow;
	if (hvc_cgroup_limits_validate(&cl, err) < 0)
		return -1;
	return hvc_cgroup_create(h, cg->name, &cl, &cg->cg, err);
}

int hvc_rt_cgroup_attach(const struct hvc_rt_cgroup *cg, pid_t pid, struct hvc_error *err)
{
	if (!cg->cg)
		return hvc_err(err, ENOENT, "cgroup `%s` does not exist", cg->name);
	return hvc_cgroup_attach(cg->cg, pid, err);
}

int hvc_rt_cgroup_destroy(struct hvc_rt_cgroup *cg, unsigned *killed)
{
	if (!cg->cg)
		return 0;
	/* usually empty already (the PID namespace died with its init), so try
	 * the cheap rmdir first and kill only what a stale container left */
	int r = hvc_cgroup_destroy(cg->cg, NULL);
	if (r < 0) {
		struct hvc_cgroup_stats st;
		if (killed && hvc_cgroup_stats(cg->cg, &st, NULL) == 0 && (st.have & HVC_CGS_PIDS))
			*killed += (unsigned)st.pids_current;
		hvc_cgroup_kill_all(cg->cg, NULL);
		r = hvc_cgroup_destroy(cg->cg, NULL);
	}
	hvc_rt_cgroup_release(cg);
	return r;
}

void hvc_rt_cgroup_release(struct hvc_rt_cgroup *cg)
{
	hvc_cgroup_free(cg->cg);
	cg->cg = NULL;
}

void hvc_rt_cgroup_from_name(const char *name, struct hvc_rt_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	const struct hvc_cgroup_host *h = host(NULL);
	if (h && hvc_cgroup_open(h, name, &cg->cg, NULL) < 0)
		cg->cg = NULL;
}

int hvc_rt_cgroup_dir(const struct hvc_rt_cgroup *cg, const char *ctrl, char *buf, size_t len)
{
	const char *d = cg->cg ? hvc_cgroup_dir_for_controller(cg->cg, ctrl) : NULL;
	if (!d)
		return -ENOENT;
	snprintf(buf, len, "%s", d);
	return 0;
}

int hvc_rt_cgroup_stats(const struct hvc_rt_cgroup *cg, struct hvc_ctr_stats *s)
{
	memset(s, 0, sizeof(*s));
	struct hvc_cgroup_stats st;
	if (!cg->cg || hvc_cgroup_stats(cg->cg, &st, NULL) < 0)
		return -1;
	s->mem_current = st.memory_current;
	s->mem_peak = st.memory_peak;
	s->mem_limit = (st.have & HVC_CGS_MEM_LIMIT) ? st.memory_limit : UINT64_MAX;
	if (s->mem_limit >= (1ull << 62))
		s->mem_limit = UINT64_MAX;
	s->cpu_usage_ns = st.cpu_usage_ns;
	s->pids_current = st.pids_current;
	s->pids_limit = (st.have & HVC_CGS_PIDS) ? st.pids_limit : UINT64_MAX;
	return 0;
}

bool hvc_rt_cgroup_oom_killed(const struct hvc_rt_cgroup *cg)
{
	uint64_t n = 0;
	return cg->cg && hvc_cgroup_oom_kills(cg->cg, &n) == 0 && n > 0;
}

int hvc_rt_cgroup_list(char ***names)
{
	*names = NULL;
	const struct hvc_cgroup_host *h = host(NULL);
	if (!h)
		return 0;
	return hvc_cgroup_list(h, "hvc", names, NULL);
}

int hvc_rt_cgroup_enter_fds(const struct hvc_rt_cgroup *cg, int fds[8], size_t *n, int *v2fd,
			    struct hvc_error *err)
{
	*n = 0;
	*v2fd = -1;
	if (!cg->cg)
		return hvc_err(err, ENOENT, "cgroup `%s` does not exist", cg->name);
	for (size_t i = 0; i < hvc_cgroup_n_dirs(cg->cg) && *n < 8; i++) {
		const char *d = hvc_cgroup_dir(cg->cg, i);
		char p[600];
		snprintf(p, sizeof(p), "%s/tasks", d);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			fds[(*n)++] = fd;
			continue;
		}
		if (errno != ENOENT || *v2fd >= 0)
			goto fail;
		/* a cgroup2 directory: entered at clone time (CLONE_INTO_CGROUP) */
		if ((*v2fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			goto fail;
		continue;
	fail:
		hvc_err(err, errno, "open cgroup `%s`", d);
		for (size_t k = 0; k < *n; k++)
			close(fds[k]);
		if (*v2fd >= 0)
			close(*v2fd);
		*n = 0;
		*v2fd = -1;
		return -1;
	}
	return 0;
}
