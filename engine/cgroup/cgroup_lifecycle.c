/* engine/cgroup/cgroup_lifecycle: create (apply the plan), open, attach, kill,
 * destroy. The start path is one mkdir per hierarchy, one write per limit
 * and one write per hierarchy to attach; parents are prepared only when the
 * first mkdir finds them missing, and repairs run only after a failure. */
#include "cgroup_internal.h"
#include "hvc/trace.h"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void hvc_cgroup_free(struct hvc_cgroup *cg)
{
	free(cg);
}

void hvc_cgroup_freep(struct hvc_cgroup **cg)
{
	hvc_cgroup_free(*cg);
}

const char *hvc_cgroup_name(const struct hvc_cgroup *cg)
{
	return cg->name;
}

size_t hvc_cgroup_n_dirs(const struct hvc_cgroup *cg)
{
	return cg->n;
}

const char *hvc_cgroup_dir(const struct hvc_cgroup *cg, size_t i)
{
	return i < cg->n ? cg->dirs[i].path : NULL;
}

const char *hvc_cgroup_dir_for_controller(const struct hvc_cgroup *cg, const char *controller)
{
	static const struct {
		const char *name;
		unsigned role;
	} roles[] = {
	    {"memory", HVC_CG_MEMORY},
	    {"cpu", HVC_CG_CPU},
	    {"cpuacct", HVC_CGD_CPUACCT},
	    {"cpuset", HVC_CG_CPUSET},
	    {"pids", HVC_CG_PIDS},
	    {"freezer", HVC_CG_FREEZER},
	    {"io", HVC_CG_IO},
	    {"blkio", HVC_CG_IO},
	    {"devices", HVC_CGD_DEVICES},
	    {"unified", HVC_CGD_UNIFIED},
	};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(roles[i].name, controller))
			continue;
		if (cg->be == &hvc_cgroup_backend_v2)
			return cg->n ? cg->dirs[0].path : NULL;
		const struct hvc_cgroup_dir *d = hvc_cgroup_dir_for(cg, roles[i].role);
		return d ? d->path : NULL;
	}
	return NULL;
}

static int apply_write(const struct hvc_cgroup *cg, const struct hvc_cgroup_op *op,
		       struct hvc_error *err)
{
	char value[256];
	const char *v = op->value;
	if (op->kind == HVC_CG_OP_COPY) {
		/* <dir>/<file> <- <dir>/../<file> */
		char parent[600];
		const char *file = strrchr(op->path, '/') + 1;
		snprintf(parent, sizeof(parent), "%.*s", (int)(file - 1 - op->path), op->path);
		*strrchr(parent, '/') = '\0';
		ssize_t n = hvc_cgroup_read(parent, file, value, sizeof(value));
		if (n < 0)
			return hvc_err(err, (int)-n, "%s: read `%s/%s`", op->limit, parent, file);
		v = hvc_str_trim(value);
	}
	int r = hvc_cgroup_write_path(op->path, v);
	if (r == -ENOENT && cg->be->write_repair && cg->be->write_repair(cg, op) == 0)
		r = hvc_cgroup_write_path(op->path, v);
	if (r == -ENOENT)
		return hvc_err(err, EOPNOTSUPP,
			       "%s: this host cannot enforce it: `%s` is absent%s%s",
			       op->limit ? op->limit : "cgroup", op->path, op->absent ? " — " : "",
			       op->absent ? op->absent : "");
	if (r < 0)
		return hvc_err(err, -r, "%s: write \"%s\" to `%s`",
			       op->limit ? op->limit : "cgroup", v, op->path);
	HVC_TRACE("cgroup.write", "%s: \"%s\" -> `%s`", op->limit ? op->limit : "setup", v, op->path);
	return 0;
}

static void remove_created(const struct hvc_cgroup *cg, const bool *created)
{
	for (size_t i = cg->n; i-- > 0;)
		if (created[i])
			rmdir(cg->dirs[i].path);
}

int hvc_cgroup_create(const struct hvc_cgroup_host *h, const char *name,
		      const struct hvc_cgroup_limits *l, struct hvc_cgroup **out,
		      struct hvc_error *err)
{
	_cleanup_cgroup_ struct hvc_cgroup *cg = calloc(1, sizeof(*cg));
	_cleanup_free_ struct hvc_cgroup_plan *plan = malloc(sizeof(*plan));
	if (!cg || !plan)
		return hvc_err(err, ENOMEM, "create cgroup `%s`", name);
	uint64_t t0 = hvc_now_ns();
	int r = hvc_cgroup_build(h, name, l, cg, plan, err);
	if (r < 0)
		return r;
	bool created[HVC_CGROUP_MAX_DIRS] = {false};
	for (size_t i = 0; i < plan->n; i++) {
		const struct hvc_cgroup_op *op = &plan->ops[i];
		if (op->kind == HVC_CG_OP_BPF_DEVICES) {
			if ((r = hvc_cgroup_bpf_devices_attach(op->path, op->rules, err)) < 0)
				goto fail;
			HVC_TRACE("cgroup.devices", "device policy as a cgroup2 BPF program on `%s`", op->path);
			continue;
		}
		if (op->kind != HVC_CG_OP_MKDIR) {
			if ((r = apply_write(cg, op, err)) < 0)
				goto fail;
			continue;
		}
		/* the plan lists one mkdir per directory, first and in order */
		if (mkdir(op->path, 0755) == 0) {
			created[i] = true;
			HVC_TRACE("cgroup.mkdir", "`%s` (%s back-end)", op->path, cg->be->name);
			continue;
		}
		if (errno == EEXIST) /* a leftover of the same name: reuse it */
			continue;
		if (errno != ENOENT) {
			r = hvc_err(err, errno, "create cgroup `%s`", op->path);
			goto fail;
		}
		if ((r = cg->be->prepare_parents(cg, i, err)) < 0)
			goto fail;
		if (mkdir(op->path, 0755) < 0 && errno != EEXIST) {
			r = hvc_err(err, errno, "create cgroup `%s`", op->path);
			goto fail;
		}
		created[i] = true;
	}
	hvc_debug("cgroup %s created in %.3f ms (%s back-end, %zu directories, %zu operations)",
		  name, hvc_ns_to_ms(hvc_now_ns() - t0), cg->be->name, cg->n, plan->n);
	if (hvc_log_get_level() >= HVC_LOG_TRACE) {
		_cleanup_free_ char *text = hvc_cgroup_plan_format(plan, h->root);
		hvc_trace("cgroup plan for %s:\n%s", name, text ? text : "");
	}
	*out = steal_pointer(&cg);
	return 0;
fail:
	remove_created(cg, created);
	return hvc_error_prefix(err, "create cgroup `%s`", name);
}

int hvc_cgroup_open(const struct hvc_cgroup_host *h, const char *name, struct hvc_cgroup **out,
		    struct hvc_error *err)
{
	_cleanup_cgroup_ struct hvc_cgroup *cg = calloc(1, sizeof(*cg));
	_cleanup_free_ struct hvc_cgroup_plan *plan = malloc(sizeof(*plan));
	if (!cg || !plan)
		return hvc_err(err, ENOMEM, "open cgroup `%s`", name);
	int r = hvc_cgroup_build(h, name, NULL, cg, plan, err);
	if (r < 0)
		return r;
	/* build laid out the hierarchies a new cgroup would use; open wants every
	 * one it may be in (a cpu or cpuset limit adds hierarchies) */
	cg->n = 0;
	if ((r = cg->be->layout(cg, NULL, err)) < 0)
		return r;
	size_t kept = 0;
	for (size_t i = 0; i < cg->n; i++)
		if (access(cg->dirs[i].path, F_OK) == 0)
			cg->dirs[kept++] = cg->dirs[i];
	cg->n = kept;
	if (!kept)
		return hvc_err(err, ENOENT, "cgroup `%s` not found under `%s`", name, h->root);
	*out = steal_pointer(&cg);
	return 0;
}

int hvc_cgroup_attach(struct hvc_cgroup *cg, pid_t pid, struct hvc_error *err)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		int r = hvc_cgroup_write(cg->dirs[i].path, "cgroup.procs", v);
		if (r < 0 && cg->be->attach_repair && cg->be->attach_repair(cg, i, -r) == 0)
			r = hvc_cgroup_write(cg->dirs[i].path, "cgroup.procs", v);
		if (r < 0)
			return hvc_err(err, -r, "attach pid %d to cgroup `%s`", (int)pid,
				       cg->dirs[i].path);
	}
	return 0;
}

int hvc_cgroup_open_procs_fds(struct hvc_cgroup *cg, int fds[HVC_CGROUP_MAX_DIRS], size_t *n,
			      struct hvc_error *err)
{
	*n = 0;
	for (size_t i = 0; i < cg->n; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i].path);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			for (size_t j = 0; j < *n; j++)
				close(fds[j]);
			*n = 0;
			return hvc_err(err, e, "open `%s`", path);
		}
		fds[(*n)++] = fd;
	}
	return 0;
}

int hvc_cgroup_enter_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ssize_t w;
		do
			w = write(fds[i], "0", 1);
		while (w < 0 && errno == EINTR);
		if (w < 0)
			return -errno;
	}
	return 0;
}

int hvc_cgroup_open_v2_dirfd(struct hvc_cgroup *cg, struct hvc_error *err)
{
	const struct hvc_cgroup_dir *d = hvc_cgroup_dir_for(cg, HVC_CGD_UNIFIED);
	if (!d)
		return hvc_err(err, ENOENT, "cgroup `%s` has no cgroup2 directory", cg->name);
	int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", d->path);
	return fd;
}

int hvc_cgroup_kill_all(struct hvc_cgroup *cg, struct hvc_error *err)
{
	int r = cg->be->kill_all(cg, err);
	return r < 0 ? hvc_error_prefix(err, "cgroup `%s`", cg->name) : 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* rmdir, removing nested child cgroups first and retrying while tasks that
 * were killed are still exiting (rmdir says EBUSY until they are gone). */
static int rmdir_cgroup(const char *path, uint64_t deadline_ns, struct hvc_error *err)
{
	unsigned wait = 1;
	bool scanned = false;
	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		int e = errno;
		if (e != EBUSY && e != ENOTEMPTY)
			return hvc_err(err, e, "remove cgroup `%s`", path);
		if (!scanned) {
			scanned = true;
			DIR *d = opendir(path);
			struct dirent *de;
			int r = 0;
			while (d && (de = readdir(d))) {
				if (de->d_type != DT_DIR || de->d_name[0] == '.')
					continue;
				char sub[1024];
				snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
				if ((r = rmdir_cgroup(sub, deadline_ns, err)) < 0)
					break;
			}
			if (d)
				closedir(d);
			if (r < 0)
				return r;
			continue;
		}
		if (hvc_now_ns() > deadline_ns)
			return hvc_err(err, e, "remove cgroup `%s` (processes still in it?)", path);
		sleep_ms(wait);
		if (wait < 50)
			wait *= 2;
	}
}

int hvc_cgroup_destroy(struct hvc_cgroup *cg, struct hvc_error *err)
{
	uint64_t deadline = hvc_now_ns() + 2000000000ull;
	int first = 0;
	struct hvc_error e2 = {0};
	for (size_t i = cg->n; i-- > 0;) {
		int r = rmdir_cgroup(cg->dirs[i].path, deadline, first ? &e2 : err);
		if (r < 0 && !first)
			first = r;
		if (r == 0)
			HVC_TRACE("cgroup.rmdir", "`%s`", cg->dirs[i].path);
	}
	return first;
}
