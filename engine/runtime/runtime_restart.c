/* engine/runtime/runtime_restart: `hvc start NAME` — the state step of a
 * start that reuses a stored container instead of making a new one. The
 * other steps (seccomp, mounts, network, cgroup, clone) run as for a new
 * container: a container that exited has none of them left. What is kept is
 * what docker keeps: id, name, hostname, the upper layer and the log. */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime_ctr.h"

/* The name link .names/<name> must still point at this id. */
static int check_name(const char *name, const char *id, struct hvc_error *err)
{
	_cleanup_free_ char *link = hvc_strdup_printf("%s/containers/.names/%s", hvc_root(), name);
	char target[HVC_CTR_ID_LEN + 2];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0 || (size_t)n != strlen(id) || memcmp(target, id, (size_t)n) != 0)
		return hvc_err(err, EEXIST, "the name \"%s\" no longer belongs to container %.12s", name, id);
	return 0;
}

/* Locks the dir as a new start does (released when the handle is freed, so
 * the supervisor holds it while the container runs): a second start, or a
 * cp into the stopped container, fails here instead of sharing the upper. */
static int lock_dir(struct hvc_ctr *c, struct hvc_error *err)
{
	c->dir_lock = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir_lock < 0)
		return hvc_err(err, errno, "open `%s`", c->dir);
	if (flock(c->dir_lock, LOCK_EX | LOCK_NB) < 0)
		return hvc_err(err, EBUSY, "container %s is running or being started, copied to or removed", c->name);
	return 0;
}

int hvc_rt_ctr_reuse_state(struct hvc_ctr *c, const char *id, const struct hvc_ctr_spec *s, char **upper,
			   char **work, struct hvc_error *err)
{
	if (s->rm)
		return hvc_err(err, EINVAL, "container %.12s was run with --rm: it cannot be started again", id);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "%s", s->name ? s->name : "");
	snprintf(c->hostname, sizeof(c->hostname), "%s", s->hostname ? s->hostname : id);
	if (!s->hostname)
		c->hostname[12] = '\0';
	if (!s->name || check_name(s->name, id, err) < 0)
		return s->name ? -1 : hvc_err(err, EINVAL, "container %.12s has no name in config.json", id);
	c->dir = hvc_rt_ctr_dir(id);
	c->rootfs = hvc_path_join(c->dir, "rootfs");
	if (lock_dir(c, err) < 0)
		return -1;
	struct hvc_ctr_state st;
	if (hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	if (st.status == HVC_CTR_RUNNING)
		return hvc_err(err, EBUSY, "container %s is already running", c->name);
	_cleanup_free_ char *u = hvc_path_join(c->dir, "upper");
	_cleanup_free_ char *w = hvc_path_join(c->dir, "work");
	struct stat sb;
	if (stat(u, &sb) < 0 || stat(w, &sb) < 0 || stat(c->rootfs, &sb) < 0)
		return hvc_err(err, errno, "container %s: its upper layer is missing in `%s`", c->name, c->dir);
	HVC_TRACE("state", "container %s (%s) started again, state in `%s`", c->id, c->name, c->dir);
	*upper = steal_pointer(&u);
	*work = steal_pointer(&w);
	return 0;
}
