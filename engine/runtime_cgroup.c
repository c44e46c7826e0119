/* engine/runtime_cgroup: the runtime's single entry point into cgroups —
 * create a container's cgroup with its limits, attach, read stats, destroy,
 * list leftovers. Works on unified v2 and on v1/hybrid hosts (v1 controllers
 * are what runs on a hybrid host). Kept behind these few functions so the
 * shared cgroup module (include/hvc/cgroup.h) can take over without touching
 * the runtime. Only controllers a container needs are created: memory, pids,
 * cpuacct and devices always (stats and device policy), cpu and cpuset only
 * when --cpus / --cpuset-cpus ask for them — each mkdir costs. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "runtime_internal.h"

#define CG_ROOT "/sys/fs/cgroup"

static int is_v2(void)
{
	static int cached = -1;
	if (cached < 0) {
		struct statfs fs;
		cached = statfs(CG_ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
	}
	return cached;
}

static int write_str(const char *dir, const char *file, const char *val, struct hvc_error *err)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", p);
	ssize_t n = write(fd, val, strlen(val));
	int e = errno;
	close(fd);
	if (n < 0)
		return hvc_err(err, e, "write \"%s\" to `%s`", val, p);
	return 0;
}

static int read_u64(const char *dir, const char *file, uint64_t *v)
{
	char p[512], buf[64];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!strncmp(buf, "max", 3)) {
		*v = UINT64_MAX;
		return 0;
	}
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/* "key N" line of a flat keyed file */
static int read_key(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	char line[256];
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			*v = strtoull(line + kl + 1, NULL, 10);
			return 0;
		}
	return -1;
}

/* The parent "hvc" cgroup: created once; cpuset needs cpus/mems copied down. */
static int ensure_parent(const char *ctrl_root, bool cpuset, struct hvc_error *err)
{
	char p[320];
	snprintf(p, sizeof(p), "%s/hvc", ctrl_root);
	if (mkdir(p, 0755) < 0) {
		if (errno != EEXIST)
			return hvc_err(err, errno, "mkdir `%s`", p);
		if (!cpuset)
			return 0;
	}
	if (cpuset) {
		char buf[256];
		const char *files[] = { "cpuset.cpus", "cpuset.mems" };
		for (int i = 0; i < 2; i++) {
			uint64_t dummy;
			char q[512];
			snprintf(q, sizeof(q), "%s/%s", p, files[i]);
			_cleanup_free_ char *cur = NULL;
			size_t len;
			if (hvc_read_file(q, &cur, &len, NULL) == 0 && len > 1)
				continue;
			(void)dummy;
			_cleanup_free_ char *src = NULL;
			snprintf(q, sizeof(q), "%s/%s", ctrl_root, files[i]);
			if (hvc_read_file(q, &src, &len, err) < 0)
				return -1;
			snprintf(buf, sizeof(buf), "%s", hvc_str_trim(src));
			if (write_str(p, files[i], buf, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int mk(struct hvc_rt_cgroup *cg, const char *ctrl, bool cpuset, struct hvc_error *err)
{
	char root[300];
	if (ctrl)
		snprintf(root, sizeof(root), "%s/%s", cg->root, ctrl);
	else
		snprintf(root, sizeof(root), "%s", cg->root);
	if (ensure_parent(root, cpuset, err) < 0)
		return -1;
	char d[sizeof(cg->dirs[0])];
	snprintf(d, sizeof(d), "%s/%s", root, cg->name);
	if (mkdir(d, 0755) < 0)
		return hvc_err(err, errno, "create cgroup `%s`", d);
	memcpy(cg->dirs[cg->n_dirs++], d, sizeof(d));
	return 0;
}

static int v1_devices(const char *dir, struct hvc_error *err)
{
	/* deny everything, then allow the minimal /dev; creating char devices is
	 * allowed (they stay unusable), block devices cannot even be created */
	static const char *const allow[] = {
		"c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
		"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
	};
	if (write_str(dir, "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (write_str(dir, "devices.allow", allow[i], err) < 0)
			return -1;
	return 0;
}

static int v2_enable(const char *dir, struct hvc_error *err)
{
	/* best effort: a controller the parent lacks stays off and the limit write fails loudly */
	const char *ctrls[] = { "+memory", "+pids", "+cpu", "+cpuset" };
	for (int i = 0; i < 4; i++)
		write_str(dir, "cgroup.subtree_control", ctrls[i], NULL);
	(void)err;
	return 0;
}

int hvc_rt_cgroup_create(const char *id, const struct hvc_ctr_limits *l, struct hvc_rt_cgroup *cg,
			 struct hvc_error *err)
{
	memset(cg, 0, sizeof(*cg));
	_cleanup_free_ char *name = hvc_rt_cgroup_name_for(id);
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	snprintf(cg->root, sizeof(cg->root), "%s", CG_ROOT);
	char buf[64];
	cg->v2 = is_v2();
	if (cg->v2) {
		char hvc[300];
		snprintf(hvc, sizeof(hvc), "%s/hvc", cg->root);
		if (mkdir(hvc, 0755) == 0 || errno == EEXIST) {
			v2_enable(cg->root, err);
			v2_enable(hvc, err);
		}
		if (mk(cg, NULL, false, err) < 0)
			goto fail;
		const char *d = cg->dirs[0];
		if (l->memory) {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->memory);
			if (write_str(d, "memory.max", buf, err) < 0 ||
			    write_str(d, "memory.swap.max", "0", err) < 0)
				goto fail;
		}
		if (l->cpus > 0) {
			snprintf(buf, sizeof(buf), "%llu 100000", (unsigned long long)(l->cpus * 100000));
			if (write_str(d, "cpu.max", buf, err) < 0)
				goto fail;
		}
		if (l->cpuset && write_str(d, "cpuset.cpus", l->cpuset, err) < 0)
			goto fail;
		if (l->pids) {
			snprintf(buf, sizeof(buf), "%lld", (long long)l->pids);
			if (write_str(d, "pids.max", buf, err) < 0)
				goto fail;
		}
		return 0;
	}
	/* v1 (legacy or hybrid) */
	if (mk(cg, "memory", false, err) < 0)
		goto fail;
	if (l->memory) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->memory);
		if (write_str(cg->dirs[cg->n_dirs - 1], "memory.limit_in_bytes", buf, err) < 0)
			goto fail;
		/* swap off: memory+swap limited to the same value (when accounted) */
		char p[512];
		snprintf(p, sizeof(p), "%s/memory.memsw.limit_in_bytes", cg->dirs[cg->n_dirs - 1]);
		if (access(p, F_OK) == 0 && write_str(cg->dirs[cg->n_dirs - 1], "memory.memsw.limit_in_bytes", buf, err) < 0)
			goto fail;
		write_str(cg->dirs[cg->n_dirs - 1], "memory.swappiness", "0", NULL);
	}
	if (mk(cg, "pids", false, err) < 0)
		goto fail;
	if (l->pids) {
		snprintf(buf, sizeof(buf), "%lld", (long long)l->pids);
		if (write_str(cg->dirs[cg->n_dirs - 1], "pids.max", buf, err) < 0)
			goto fail;
	}
	/* cpu and cpuacct may be co-mounted ("cpu,cpuacct") or separate */
	char p[320];
	snprintf(p, sizeof(p), "%s/cpuacct/cpuacct.usage", cg->root);
	bool separate_acct = access(p, F_OK) == 0;
	snprintf(p, sizeof(p), "%s/cpu,cpuacct", cg->root);
	bool comounted = !separate_acct && access(p, F_OK) == 0;
	if (separate_acct && mk(cg, "cpuacct", false, err) < 0)
		goto fail;
	if (l->cpus > 0 || comounted) {
		if (mk(cg, comounted ? "cpu,cpuacct" : "cpu", false, err) < 0)
			goto fail;
		if (l->cpus > 0) {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(l->cpus * 100000));
			if (write_str(cg->dirs[cg->n_dirs - 1], "cpu.cfs_period_us", "100000", err) < 0 ||
			    write_str(cg->dirs[cg->n_dirs - 1], "cpu.cfs_quota_us", buf, err) < 0)
				goto fail;
		}
	}
	if (l->cpuset) {
		if (mk(cg, "cpuset", true, err) < 0)
			goto fail;
		char mems[256];
		snprintf(mems, sizeof(mems), "%s/cpuset/hvc", cg->root);
		_cleanup_free_ char *m = NULL;
		size_t len;
		char q[512];
		snprintf(q, sizeof(q), "%s/cpuset.mems", mems);
		if (hvc_read_file(q, &m, &len, err) < 0)
			goto fail;
		if (write_str(cg->dirs[cg->n_dirs - 1], "cpuset.cpus", l->cpuset, err) < 0) {
			hvc_error_prefix(err, "--cpuset-cpus \"%s\"", l->cpuset);
			goto fail;
		}
		if (write_str(cg->dirs[cg->n_dirs - 1], "cpuset.mems", hvc_str_trim(m), err) < 0)
			goto fail;
	}
	snprintf(p, sizeof(p), "%s/devices", cg->root);
	if (access(p, F_OK) == 0) {
		if (mk(cg, "devices", false, err) < 0 || v1_devices(cg->dirs[cg->n_dirs - 1], err) < 0)
			goto fail;
	}
	return 0;
fail:
	hvc_rt_cgroup_destroy(cg, NULL);
	return -1;
}

int hvc_rt_cgroup_attach(const struct hvc_rt_cgroup *cg, pid_t pid, struct hvc_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (int i = 0; i < cg->n_dirs; i++)
		if (write_str(cg->dirs[i], "cgroup.procs", buf, err) < 0)
			return hvc_error_prefix(err, "attach to cgroup");
	return 0;
}

static unsigned kill_procs(const char *dir)
{
	unsigned n = 0;
	char p[512];
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return 0;
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && kill(pid, SIGKILL) == 0)
			n++;
	return n;
}

int hvc_rt_cgroup_destroy(const struct hvc_rt_cgroup *cg, unsigned *killed)
{
	int r = 0;
	unsigned k = 0;
	for (int i = cg->n_dirs - 1; i >= 0; i--) {
		/* usually empty already: the PID namespace died with its init */
		for (int tries = 0; tries < 200; tries++) {
			if (rmdir(cg->dirs[i]) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY) {
				r = -1;
				break;
			}
			k += kill_procs(cg->dirs[i]);
			usleep(tries < 10 ? 1000 : 10000);
		}
	}
	if (killed)
		*killed += k;
	return r;
}

void hvc_rt_cgroup_from_name(const char *name, struct hvc_rt_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	snprintf(cg->root, sizeof(cg->root), "%s", CG_ROOT);
	cg->v2 = is_v2();
	if (cg->v2) {
		snprintf(cg->dirs[cg->n_dirs++], sizeof(cg->dirs[0]), "%s/%s", cg->root, name);
		return;
	}
	static const char *const ctrls[] = { "memory", "pids", "cpuacct", "cpu", "cpu,cpuacct", "cpuset", "devices" };
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		char *d = cg->dirs[cg->n_dirs];
		snprintf(d, sizeof(cg->dirs[0]), "%s/%s/%s", cg->root, ctrls[i], name);
		struct stat st;
		if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
			cg->n_dirs++;
	}
}

int hvc_rt_cgroup_dir(const struct hvc_rt_cgroup *cg, const char *ctrl, char *buf, size_t len)
{
	if (cg->v2) {
		snprintf(buf, len, "%s/%s", cg->root, cg->name);
		return 0;
	}
	for (int i = 0; i < cg->n_dirs; i++) {
		char want[320];
		snprintf(want, sizeof(want), "%s/%s/%s", cg->root, ctrl, cg->name);
		if (!strcmp(cg->dirs[i], want)) {
			snprintf(buf, len, "%s", want);
			return 0;
		}
	}
	return -ENOENT;
}

int hvc_rt_cgroup_stats(const struct hvc_rt_cgroup *cg, struct hvc_ctr_stats *st)
{
	memset(st, 0, sizeof(*st));
	char d[320];
	if (cg->v2) {
		snprintf(d, sizeof(d), "%s/%s", cg->root, cg->name);
		read_u64(d, "memory.current", &st->mem_current);
		read_u64(d, "memory.peak", &st->mem_peak);
		read_u64(d, "memory.max", &st->mem_limit);
		uint64_t us = 0;
		if (read_key(d, "cpu.stat", "usage_usec", &us) == 0)
			st->cpu_usage_ns = us * 1000;
		read_u64(d, "pids.current", &st->pids_current);
		read_u64(d, "pids.max", &st->pids_limit);
		return 0;
	}
	if (hvc_rt_cgroup_dir(cg, "memory", d, sizeof(d)) == 0) {
		read_u64(d, "memory.usage_in_bytes", &st->mem_current);
		read_u64(d, "memory.max_usage_in_bytes", &st->mem_peak);
		read_u64(d, "memory.limit_in_bytes", &st->mem_limit);
		if (st->mem_limit >= (1ull << 62))
			st->mem_limit = UINT64_MAX;
	}
	if (hvc_rt_cgroup_dir(cg, "cpuacct", d, sizeof(d)) == 0 ||
	    hvc_rt_cgroup_dir(cg, "cpu,cpuacct", d, sizeof(d)) == 0)
		read_u64(d, "cpuacct.usage", &st->cpu_usage_ns);
	if (hvc_rt_cgroup_dir(cg, "pids", d, sizeof(d)) == 0) {
		read_u64(d, "pids.current", &st->pids_current);
		read_u64(d, "pids.max", &st->pids_limit);
	}
	return 0;
}

bool hvc_rt_cgroup_oom_killed(const struct hvc_rt_cgroup *cg)
{
	char d[320];
	uint64_t n = 0;
	if (cg->v2) {
		snprintf(d, sizeof(d), "%s/%s", cg->root, cg->name);
		return read_key(d, "memory.events", "oom_kill", &n) == 0 && n > 0;
	}
	return hvc_rt_cgroup_dir(cg, "memory", d, sizeof(d)) == 0 &&
	       read_key(d, "memory.oom_control", "oom_kill", &n) == 0 && n > 0;
}

int hvc_rt_cgroup_list(char ***names)
{
	*names = NULL;
	static const char *const ctrls[] = { "", "memory", "pids", "cpuacct", "cpu", "cpu,cpuacct", "cpuset", "devices" };
	for (size_t i = is_v2() ? 0 : 1; i < (is_v2() ? 1 : sizeof(ctrls) / sizeof(ctrls[0])); i++) {
		char p[320];
		snprintf(p, sizeof(p), "%s/%s%shvc", CG_ROOT, ctrls[i], *ctrls[i] ? "/" : "");
		DIR *d = opendir(p);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			char n[300];
			snprintf(n, sizeof(n), "hvc/%s", de->d_name);
			bool dup = false;
			for (size_t k = 0; *names && (*names)[k]; k++)
				dup |= !strcmp((*names)[k], n);
			if (!dup)
				hvc_strv_push(names, n);
		}
		closedir(d);
	}
	return 0;
}
