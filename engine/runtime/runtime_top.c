/* engine/runtime/runtime_top: the processes of a running container — every
 * pid in its cgroup (cgroup.procs; v1: the pids hierarchy), which holds
 * the init, its children and every `hvc exec`. */
#include <stdlib.h>
#include "runtime_internal.h"

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

int hvc_ctr_pids(const char *id, pid_t **out, size_t *n, struct hvc_error *err)
{
	*out = NULL, *n = 0;
	struct hvc_ctr_state st;
	if (hvc_ctr_reclaim_if_stale(id, err) < 0 || hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	if (st.status != HVC_CTR_RUNNING)
		return hvc_err(err, ESRCH, "container %.12s is not running", id);
	struct hvc_rt_cgroup cg;
	hvc_rt_cgroup_from_name(st.cgroup, &cg);
	char dir[512];
	int r = hvc_rt_cgroup_dir(&cg, "pids", dir, sizeof(dir));
	if (r < 0)
		r = hvc_rt_cgroup_dir(&cg, "memory", dir, sizeof(dir));
	hvc_rt_cgroup_release(&cg);
	if (r < 0)
		return hvc_err(err, ENOENT, "container %.12s: its cgroup %s is gone", id, st.cgroup);
	_cleanup_free_ char *p = hvc_path_join(dir, "cgroup.procs");
	_cleanup_free_ char *txt = NULL;
	if (hvc_read_file(p, &txt, NULL, err) < 0)
		return -1;
	size_t cap = 16;
	pid_t *v = hvc_xcalloc(cap, sizeof(pid_t));
	for (char *s = txt, *end; *s; s = end) {
		long pid = strtol(s, &end, 10);
		if (end == s)
			break;
		if (*n == cap)
			v = hvc_xrealloc(v, cap *= 2, sizeof(pid_t));
		v[(*n)++] = (pid_t)pid;
	}
	qsort(v, *n, sizeof(pid_t), cmp_pid);
	*out = v;
	return 0;
}
