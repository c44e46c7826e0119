/* bench/memory: the host-side memory cost of one instance — RSS, PSS and USS
 * from /proc/PID/smaps_rollup of its processes, and the cgroup charge with
 * and without reclaimable page cache. Parsers take text so tests need no /proc. */
#include <dirent.h>
#include <string.h>
#include "hvc/bench_harness.h"

static bool line_value(const char *text, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			*v = strtoull(p + kl + 1, NULL, 10);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

int hvc_bench_parse_smaps_rollup(const char *text, uint64_t *rss_kib, uint64_t *pss_kib,
				 uint64_t *uss_kib)
{
	uint64_t rss = 0, pss = 0, pc = 0, pd = 0, ph = 0;
	if (!line_value(text, "Rss", &rss))
		return -1;
	line_value(text, "Pss", &pss);
	line_value(text, "Private_Clean", &pc);
	line_value(text, "Private_Dirty", &pd);
	line_value(text, "Private_Hugetlb", &ph);
	*rss_kib = rss;
	*pss_kib = pss;
	*uss_kib = pc + pd + ph;
	return 0;
}

int64_t hvc_bench_parse_memstat(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return (int64_t)strtoull(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static int add_one_pid(struct hvc_bench_mem *m, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct hvc_error e = { 0 };
	if (hvc_read_file(path, &text, &len, &e) < 0)
		return -1;
	uint64_t rss, pss, uss;
	/* a zombie or kernel thread has an empty rollup: counts as nothing */
	if (hvc_bench_parse_smaps_rollup(text, &rss, &pss, &uss) < 0)
		return 0;
	m->rss_kib += rss;
	m->pss_kib += pss;
	m->uss_kib += uss;
	m->nprocs++;
	m->have_procs = true;
	return 0;
}

/* ppid of pid from /proc/PID/stat (the comm field may hold spaces and ')'). */
static pid_t parent_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct hvc_error e = { 0 };
	if (hvc_read_file(path, &text, &len, &e) < 0)
		return -1;
	char *rp = strrchr(text, ')');
	if (!rp)
		return -1;
	char state;
	int ppid;
	if (sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
		return -1;
	return ppid;
}

int hvc_bench_mem_add_pid_tree(struct hvc_bench_mem *m, pid_t pid, bool with_children,
			       struct hvc_error *err)
{
	if (add_one_pid(m, pid) < 0)
		return hvc_err(err, errno, "read /proc/%d/smaps_rollup", (int)pid);
	if (!with_children)
		return 0;
	/* One pass over /proc collecting (pid, ppid), then a closure over the
	 * tree rooted at pid: descendants may be numbered below their parent. */
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t n = 0, cap = 256;
	pid_t(*pairs)[2] = malloc(cap * sizeof(*pairs));
	if (!pairs) {
		closedir(d);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t p = (pid_t)atoi(de->d_name);
		if (p <= 0)
			continue;
		pid_t pp = parent_of(p);
		if (pp < 0)
			continue;
		if (n == cap) {
			void *np = realloc(pairs, 2 * cap * sizeof(*pairs));
			if (!np)
				break;
			pairs = np;
			cap *= 2;
		}
		pairs[n][0] = p;
		pairs[n][1] = pp;
		n++;
	}
	closedir(d);
	bool *in = calloc(n, sizeof(bool));
	bool changed = true;
	while (in && changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i])
				continue;
			bool parent_in = pairs[i][1] == pid;
			for (size_t j = 0; !parent_in && j < n; j++)
				parent_in = in[j] && pairs[j][0] == pairs[i][1];
			if (parent_in) {
				in[i] = true;
				changed = true;
				add_one_pid(m, pairs[i][0]);
			}
		}
	}
	free(in);
	free(pairs);
	return 0;
}

int hvc_bench_mem_add_cgroup(struct hvc_bench_mem *m, const char *dir, bool procs,
			     struct hvc_error *err)
{
	_cleanup_free_ char *cur = hvc_path_join(dir, "memory.current");
	_cleanup_free_ char *usage = hvc_path_join(dir, "memory.usage_in_bytes");
	_cleanup_free_ char *statp = hvc_path_join(dir, "memory.stat");
	_cleanup_free_ char *text = NULL, *stat = NULL;
	size_t len;
	bool v2 = hvc_path_exists(cur);
	if (hvc_read_file(v2 ? cur : usage, &text, &len, err) < 0)
		return hvc_error_prefix(err, "cgroup memory charge");
	m->cg_bytes = strtoull(text, NULL, 10);
	if (hvc_read_file(statp, &stat, &len, err) < 0)
		return hvc_error_prefix(err, "cgroup memory.stat");
	/* v1's hierarchical total_ includes child cgroups, like v2's figures */
	int64_t inact = hvc_bench_parse_memstat(stat, v2 ? "inactive_file" : "total_inactive_file");
	if (inact < 0)
		inact = hvc_bench_parse_memstat(stat, "inactive_file");
	m->cg_inactive_file_bytes = inact > 0 ? (uint64_t)inact : 0;
	m->cg_net_bytes = m->cg_bytes > m->cg_inactive_file_bytes ? m->cg_bytes - m->cg_inactive_file_bytes : 0;
	m->have_cgroup = true;
	if (procs) {
		_cleanup_free_ char *pp = hvc_path_join(dir, "cgroup.procs");
		_cleanup_free_ char *list = NULL;
		struct hvc_error e = { 0 };
		if (hvc_read_file(pp, &list, &len, &e) == 0)
			for (char *s = list; *s;) {
				pid_t p = (pid_t)strtol(s, &s, 10);
				if (p > 0)
					add_one_pid(m, p);
				while (*s == '\n' || *s == ' ')
					s++;
				if (p <= 0 && *s)
					s++;
			}
	}
	return 0;
}

void hvc_bench_mem_max(struct hvc_bench_mem *a, const struct hvc_bench_mem *m)
{
#define MAXF(f)                     \
	if (m->f > a->f)            \
		a->f = m->f;
	if (m->have_procs) {
		MAXF(rss_kib);
		MAXF(pss_kib);
		MAXF(uss_kib);
		MAXF(nprocs);
		a->have_procs = true;
	}
	if (m->have_cgroup) {
		MAXF(cg_bytes);
		MAXF(cg_inactive_file_bytes);
		MAXF(cg_net_bytes);
		a->have_cgroup = true;
	}
#undef MAXF
}
