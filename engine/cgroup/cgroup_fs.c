/* engine/cgroup/cgroup_fs: the few file operations every cgroup back-end shares —
 * single-write control files, small reads, the cgroup's directory list, plan
 * entries and ancestor creation. Kept tiny because they sit on the container
 * start path: one open+write+close per value, no stat before writing. */
#include "cgroup_internal.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hvc_cgroup_dir_add(struct hvc_cgroup *cg, unsigned role, const char *base,
		       struct hvc_error *err)
{
	if (cg->n >= HVC_CGROUP_MAX_DIRS)
		return hvc_err(err, E2BIG, "cgroup `%s`: too many hierarchies", cg->name);
	struct hvc_cgroup_dir *d = &cg->dirs[cg->n];
	int w = snprintf(d->path, sizeof(d->path), "%s/%s", base, cg->name);
	if (w < 0 || (size_t)w >= sizeof(d->path) ||
	    (size_t)snprintf(d->base, sizeof(d->base), "%s", base) >= sizeof(d->base))
		return hvc_err(err, ENAMETOOLONG, "cgroup path `%s/%s`", base, cg->name);
	d->role = role;
	cg->n++;
	return 0;
}

const struct hvc_cgroup_dir *hvc_cgroup_dir_for(const struct hvc_cgroup *cg, unsigned role)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->dirs[i].role & role)
			return &cg->dirs[i];
	return NULL;
}

int hvc_cgroup_plan_add(struct hvc_cgroup_plan *p, enum hvc_cgroup_op_kind kind, const char *dir,
			const char *file, const char *value, const char *limit, const char *absent,
			struct hvc_error *err)
{
	if (p->n >= HVC_CGROUP_PLAN_MAX)
		return hvc_err(err, E2BIG, "cgroup plan: more than %d operations",
			       HVC_CGROUP_PLAN_MAX);
	struct hvc_cgroup_op *op = &p->ops[p->n];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	int w = file ? snprintf(op->path, sizeof(op->path), "%s/%s", dir, file)
		     : snprintf(op->path, sizeof(op->path), "%s", dir);
	if (w < 0 || (size_t)w >= sizeof(op->path))
		return hvc_err(err, ENAMETOOLONG, "cgroup path `%s/%s`", dir, file ? file : "");
	if (value &&
	    (size_t)snprintf(op->value, sizeof(op->value), "%s", value) >= sizeof(op->value))
		return hvc_err(err, E2BIG, "cgroup value `%s` too long", value);
	op->limit = limit;
	op->absent = absent;
	p->n++;
	return 0;
}

int hvc_cgroup_write_path(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t w;
	do
		w = write(fd, value, len);
	while (w < 0 && errno == EINTR);
	int e = w < 0 ? errno : (size_t)w != len ? EIO : 0;
	close(fd);
	return -e;
}

int hvc_cgroup_write(const char *dir, const char *file, const char *value)
{
	char path[1024];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	return hvc_cgroup_write_path(path, value);
}

ssize_t hvc_cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[1024];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0;
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

int hvc_cgroup_read_u64(const char *dir, const char *file, uint64_t *out)
{
	char buf[64];
	ssize_t n = hvc_cgroup_read(dir, file, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return hvc_cgroup_parse_u64(buf, out);
}

int hvc_cgroup_mkdir_parents(const char *base, const char *dir,
			     int (*prepared)(const char *dir, const char *parent, void *ud),
			     void *ud, struct hvc_error *err)
{
	char path[1024];
	size_t bl = strlen(base);
	if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path))
		return hvc_err(err, ENAMETOOLONG, "cgroup path `%s`", dir);
	/* every '/' after base marks an ancestor; the last component is dir itself */
	for (char *s = path + bl + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, 0755) == 0) {
			char parent[1024];
			snprintf(parent, sizeof(parent), "%s", path);
			*strrchr(parent, '/') = '\0';
			int r = prepared ? prepared(path, parent, ud) : 0;
			if (r < 0) {
				rmdir(path);
				return hvc_err(err, -r, "prepare cgroup `%s`", path);
			}
		} else if (errno != EEXIST) {
			return hvc_err(err, errno, "create cgroup `%s`", path);
		}
		*s = '/';
	}
	return 0;
}

void hvc_cgroup_kill_listed(const char *procs)
{
	const char *s = procs;
	char *end;
	for (; *s; s = end) {
		long pid = strtol(s, &end, 10);
		if (end == s)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	}
}

int hvc_cgroup_kill_procs(const char *dir, int tries)
{
	char buf[8192];
	for (int t = 0; t < tries; t++) {
		ssize_t n = hvc_cgroup_read(dir, "cgroup.procs", buf, sizeof(buf));
		if (n < 0)
			return n == -ENOENT ? 0 : (int)n;
		if (n == 0)
			return 0;
		hvc_cgroup_kill_listed(buf);
		/* killed tasks leave within microseconds; back off from 100 us to 25 ms */
		usleep(100u << (t < 8 ? t : 8));
	}
	return -EBUSY;
}
