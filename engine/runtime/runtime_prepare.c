/* engine/runtime/runtime_prepare: what the parent of a starting container prepares
 * on the host before the clone (runtime_run.c calls these in order): its
 * identity (id, reserved name, hostname), its state directory with
 * config.json, and hvc-init as a sealed memfd. Each step undoes its own
 * partial work when it fails; runtime_run.c undoes the finished ones. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime_ctr.h"

int hvc_rt_init_memfd(struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_guest_program("hvc-init");
	_cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return hvc_err(err, errno, "open hvc-init `%s`", path);
	struct stat st;
	if (fstat(src, &st) < 0)
		return hvc_err(err, errno, "stat `%s`", path);
	_cleanup_close_ int fd = memfd_create("hvc-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return hvc_err(err, errno, "memfd_create");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return hvc_err(err, n < 0 ? errno : EIO, "copy hvc-init into a memfd");
	}
	/* sealed: nothing in the container can change the binary PID 1 runs from
	 * (the CVE-2019-5736 class writes through /proc/<pid>/exe) */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return hvc_err(err, errno, "seal the hvc-init memfd");
	return steal_fd(&fd);
}

/* Reserves the name (atomic: a symlink names/<name> -> id). */
static int name_reserve(const char *name, const char *id, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/containers/.names", hvc_root());
	_cleanup_free_ char *link = hvc_strdup_printf("%s/%s", dir, name);
	if (hvc_mkdir_p(dir, 0700, err) < 0)
		return -1;
	for (int tries = 0; tries < 2; tries++) {
		if (symlink(id, link) == 0)
			return 0;
		if (errno != EEXIST)
			return hvc_err(err, errno, "reserve name \"%s\"", name);
		char other[HVC_CTR_ID_LEN + 1];
		ssize_t n = readlink(link, other, sizeof(other) - 1);
		if (n > 0) {
			other[n] = '\0';
			_cleanup_free_ char *od = hvc_rt_ctr_dir(other);
			if (hvc_path_exists(od))
				return hvc_err(err, 0, "the name \"%s\" is already in use by container %.12s", name,
					       other);
		}
		unlink(link); /* stale: its container is gone */
	}
	return hvc_err(err, 0, "the name \"%s\" is already in use", name);
}

/* The link's 64-byte target does not fit in an ext4 inode (60 bytes), so
 * unlinking it frees a data block — a synchronous discard on a disk mounted
 * with `discard` (0.2-0.3 ms, strace -T). When the container's state dir is
 * about to be discarded anyway, the link is moved into it instead (a rename
 * frees nothing) and deleted with it, off the exit path. */
void hvc_rt_name_release(const char *name, const char *id, const char *dir)
{
	if (!name)
		return;
	_cleanup_free_ char *link = hvc_strdup_printf("%s/containers/.names/%s", hvc_root(), name);
	char other[HVC_CTR_ID_LEN + 1];
	ssize_t n = readlink(link, other, sizeof(other) - 1);
	if (n <= 0)
		return;
	other[n] = '\0';
	if (strcmp(other, id) != 0)
		return;
	_cleanup_free_ char *dst = dir ? hvc_path_join(dir, "name-link") : NULL;
	if (!dst || rename(link, dst) < 0)
		unlink(link);
}

int hvc_rt_ctr_identity(struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err)
{
	if (hvc_random_hex(c->id, HVC_CTR_ID_LEN / 2, err) < 0)
		return -1;
	if (s->name && !hvc_ctr_name_valid(s->name))
		return hvc_err(err, EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*", s->name);
	if (s->name)
		snprintf(c->name, sizeof(c->name), "%s", s->name);
	else
		snprintf(c->name, sizeof(c->name), "c-%.12s", c->id);
	if (name_reserve(c->name, c->id, err) < 0)
		return -1;
	snprintf(c->hostname, sizeof(c->hostname), "%s", s->hostname ? s->hostname : c->id);
	if (!s->hostname)
		c->hostname[12] = '\0';
	return 0;
}

/* --userns: container root owns its upper dir, so / is writable inside. */
static int chown_for_userns(const struct hvc_ctr *c, const char *upper, struct hvc_error *err)
{
	unsigned b = HVC_RT_USERNS_BASE;
	if (chown(upper, b, b) < 0 || chown(c->dir, b, b) < 0 || chown(c->rootfs, b, b) < 0)
		return hvc_err(err, errno, "chown for the user namespace");
	chmod(c->dir, 0711);
	return 0;
}

/* Plain mkdirs, no fsync: a crash loses a container that was never going
 * to survive it anyway. */
int hvc_rt_ctr_state_dir(struct hvc_ctr *c, bool userns, char **upper_out, char **work_out, struct hvc_error *err)
{
	c->dir = hvc_rt_ctr_dir(c->id);
	c->rootfs = hvc_path_join(c->dir, "rootfs");
	int made = mkdir(c->dir, 0700);
	if (made < 0 && errno == ENOENT) {
		_cleanup_free_ char *root = hvc_ctr_dir_root();
		if (hvc_mkdir_p(root, 0700, err) < 0)
			return -1;
		made = mkdir(c->dir, 0700);
	}
	if (made < 0)
		return hvc_err(err, errno, "create `%s`", c->dir);
	/* held while the handle lives: hvc start, cp and rm of this container wait */
	c->dir_lock = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir_lock < 0 || flock(c->dir_lock, LOCK_EX) < 0) {
		int e = errno;
		rmdir(c->dir);
		return hvc_err(err, e, "lock `%s`", c->dir);
	}
	_cleanup_free_ char *upper = hvc_path_join(c->dir, "upper");
	_cleanup_free_ char *work = hvc_path_join(c->dir, "work");
	int r = 0;
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(c->rootfs, 0755) < 0)
		r = hvc_err(err, errno, "create overlay dirs in `%s`", c->dir);
	else if (userns)
		r = chown_for_userns(c, upper, err);
	if (r < 0) {
		hvc_rm_rf(c->dir, NULL);
		return r;
	}
	*upper_out = steal_pointer(&upper);
	*work_out = steal_pointer(&work);
	return 0;
}

int hvc_rt_ctr_write_config(const struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err)
{
	_cleanup_json_ json_object *cfg = hvc_ctr_spec_to_json(s);
	hvc_json_add_string(cfg, "id", c->id);
	json_object_object_del(cfg, "name");
	hvc_json_add_string(cfg, "name", c->name);
	json_object_object_del(cfg, "hostname");
	hvc_json_add_string(cfg, "hostname", c->hostname);
	char now[32];
	hvc_json_add_string(cfg, "created", hvc_wall_iso8601(now, sizeof(now)));
	hvc_rt_starter_record(cfg);
	_cleanup_free_ char *p = hvc_path_join(c->dir, "config.json");
	const char *txt = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
	return hvc_write_file(p, txt, strlen(txt), 0644, err);
}
