/* engine/runtime/runtime_mounts: the container's filesystem view. A plan (pure data:
 * /proc, /sys read-only, a minimal /dev, volumes, Docker's masked and
 * read-only paths) is built first and executed second, bubblewrap-style.
 * Every target is opened inside the rootfs with openat2(RESOLVE_IN_ROOT), so
 * a symlink in the image cannot redirect a mount onto the host. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "runtime_internal.h"

/* Docker's masked and read-only paths (moby oci/defaults.go). */
static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};
static const struct {
	const char *name;
	unsigned major, minor;
} devices[] = {
	{ "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static struct hvc_mnt_op *op_add(struct hvc_mnt_plan *p, enum hvc_mnt_kind kind, const char *dst)
{
	struct hvc_mnt_op *ops = realloc(p->ops, (p->n + 1) * sizeof(*ops));
	if (!ops)
		return NULL;
	p->ops = ops;
	struct hvc_mnt_op *o = &ops[p->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->dst = dst;
	return o;
}

#define ADD(kind, dst)                                                  \
	({                                                              \
		struct hvc_mnt_op *_o = op_add(plan, (kind), (dst));    \
		if (!_o)                                                \
			goto oom;                                       \
		_o;                                                     \
	})

#define CG_DIR "/sys/fs/cgroup"

/* v1's per-superblock options a container may repeat: the controllers, name=,
 * xattr, noprefix; never rw/ro (the op decides) or release_agent= (a host
 * path run as root: not the container's to see or set). NULL when none. */
static char *cgroup_v1_options(const char *super_opts)
{
	_cleanup_free_ char *in = hvc_xstrdup(super_opts);
	char *out = hvc_xstrdup(""), *save = NULL;
	for (char *t = strtok_r(in, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "rw") || !strcmp(t, "ro") || hvc_str_has_prefix(t, "release_agent=") ||
		    !strcmp(t, "clone_children"))
			continue;
		char *n = hvc_strdup_printf("%s%s%s", out, *out ? "," : "", t);
		free(out);
		out = n;
	}
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

int hvc_mnt_plan_add_cgroup(struct hvc_mnt_plan *plan, const char *mountinfo, struct hvc_error *err)
{
	const unsigned long nsd = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	_cleanup_free_ char *buf = hvc_xstrdup(mountinfo ? mountinfo : "");
	char *t = buf;
	struct hvc_mountinfo_entry e;
	bool tmpfs_root = false;
	struct hvc_mnt_op *o;
	while (hvc_mountinfo_next(&t, &e)) {
		bool root = !strcmp(e.target, CG_DIR);
		bool v1 = !strcmp(e.fstype, "cgroup"), v2 = !strcmp(e.fstype, "cgroup2");
		if (root && !strcmp(e.fstype, "tmpfs")) {
			/* v1 or hybrid: a tmpfs holding one directory per hierarchy,
			 * made read-only once they are mounted (below) */
			o = ADD(HVC_MNT_MOUNT, CG_DIR);
			o->src = "tmpfs", o->fstype = "tmpfs", o->flags = nsd, o->data = "mode=755";
			tmpfs_root = true;
			continue;
		}
		if (!(v1 || v2) || !(root || (tmpfs_root && hvc_str_has_prefix(e.target, CG_DIR "/"))))
			continue;
		o = ADD(HVC_MNT_MOUNT, NULL);
		o->dst = o->owned[0] = hvc_xstrdup(e.target);
		o->src = o->fstype = v1 ? "cgroup" : "cgroup2";
		/* cgroup2's options (nsdelegate, ...) belong to the host's mount */
		o->data = o->owned[1] = v1 ? cgroup_v1_options(e.super_opts) : NULL;
		o->flags = nsd | MS_RDONLY, o->ro = true;
	}
	if (tmpfs_root) {
		/* the tmpfs itself read-only: a remount, not a bind of the tree over it */
		o = ADD(HVC_MNT_MOUNT, CG_DIR);
		o->src = "tmpfs", o->fstype = "tmpfs", o->data = "mode=755";
		o->flags = MS_REMOUNT | MS_RDONLY | nsd, o->ro = true;
	}
	return 0;
oom:
	return hvc_err(err, ENOMEM, "mount plan");
}

/* The one host fact the plan reads: how the host mounts its cgroups. */
static int plan_add_host_cgroup(struct hvc_mnt_plan *plan, struct hvc_error *err)
{
	_cleanup_free_ char *mi = NULL;
	if (hvc_read_file("/proc/self/mountinfo", &mi, NULL, NULL) < 0)
		return 0; /* no /proc: no cgroup view, as before */
	return hvc_mnt_plan_add_cgroup(plan, mi, err);
}

int hvc_mnt_plan_build(const struct hvc_ctr_spec *s, struct hvc_mnt_plan *plan, struct hvc_error *err)
{
	memset(plan, 0, sizeof(*plan));
	struct hvc_mnt_op *o;
	const unsigned long nsd = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	o = ADD(HVC_MNT_MOUNT, "/proc");
	o->src = "proc", o->fstype = "proc", o->flags = nsd;
	o = ADD(HVC_MNT_MOUNT, "/dev");
	o->src = "tmpfs", o->fstype = "tmpfs", o->flags = MS_NOSUID | MS_STRICTATIME;
	o->data = "mode=755,size=65536k";
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		o = ADD(HVC_MNT_DEV, devices[i].name);
		o->major = devices[i].major, o->minor = devices[i].minor;
	}
	o = ADD(HVC_MNT_MOUNT, "/dev/pts");
	o->src = "devpts", o->fstype = "devpts", o->flags = MS_NOSUID | MS_NOEXEC;
	/* gid=5 (tty) only exists as such without a user namespace */
	o->data = s->userns ? "newinstance,ptmxmode=0666,mode=0620" : "newinstance,ptmxmode=0666,mode=0620,gid=5";
	o = ADD(HVC_MNT_SYMLINK, "/dev/ptmx");
	o->src = "pts/ptmx";
	o = ADD(HVC_MNT_MOUNT, "/dev/shm");
	o->src = "shm", o->fstype = "tmpfs", o->flags = nsd, o->data = "mode=1777,size=65536k";
	o = ADD(HVC_MNT_MOUNT, "/dev/mqueue");
	o->src = "mqueue", o->fstype = "mqueue", o->flags = nsd;
	static const char *const links[][2] = {
		{ "/proc/self/fd", "/dev/fd" }, { "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
	};
	for (size_t i = 0; i < 4; i++) {
		o = ADD(HVC_MNT_SYMLINK, links[i][1]);
		o->src = links[i][0];
	}
	o = ADD(HVC_MNT_MOUNT, "/sys");
	o->src = "sysfs", o->fstype = "sysfs", o->flags = nsd | MS_RDONLY, o->ro = true;
	if (plan_add_host_cgroup(plan, err) < 0) {
		hvc_mnt_plan_free(plan);
		return -1;
	}

	for (size_t i = 0; i < s->n_vols; i++) {
		const struct hvc_ctr_volume *v = &s->vols[i];
		if (v->tmpfs) {
			o = ADD(HVC_MNT_MOUNT, v->dst);
			o->src = "tmpfs", o->fstype = "tmpfs", o->flags = MS_NOSUID | MS_NODEV;
			o->data = "mode=1777";
		} else {
			o = ADD(HVC_MNT_BIND, v->dst);
			o->src = v->src;
			o->ro = v->ro;
		}
	}
	for (size_t i = 0; masked_paths[i]; i++)
		ADD(HVC_MNT_MASK, masked_paths[i]);
	for (size_t i = 0; readonly_paths[i]; i++)
		ADD(HVC_MNT_RO, readonly_paths[i]);
	return 0;
oom:
	hvc_mnt_plan_free(plan);
	return hvc_err(err, ENOMEM, "mount plan");
}

void hvc_mnt_plan_free(struct hvc_mnt_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->ops[i].owned[0]);
		free(plan->ops[i].owned[1]);
	}
	free(plan->ops);
	memset(plan, 0, sizeof(*plan));
}

char *hvc_mnt_overlay_options(char *const *lowerdirs, const char *upper, const char *work,
			      bool volatile_upper)
{
	size_t len = 64 + (upper ? strlen(upper) : 0) + (work ? strlen(work) : 0);
	for (size_t i = 0; lowerdirs && lowerdirs[i]; i++)
		len += strlen(lowerdirs[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t off = (size_t)snprintf(s, len, "lowerdir=");
	for (size_t i = 0; lowerdirs && lowerdirs[i]; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s", i ? ":" : "", lowerdirs[i]);
	if (upper)
		off += (size_t)snprintf(s + off, len - off, ",upperdir=%s,workdir=%s", upper, work);
	/* no index/xino lookups across layers we never export: cheaper mounts */
	off += (size_t)snprintf(s + off, len - off, "%s", upper ? ",index=off,xino=off" : "");
	if (upper && volatile_upper)
		snprintf(s + off, len - off, "%s", HVC_OVL_VOLATILE);
	return s;
}

/* ---------- execution -------------------------------------------------- */

static int open2(int dirfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int hvc_rt_open_in_root(int rootfd, const char *rel, bool create, bool dir, struct hvc_error *err)
{
	while (*rel == '/')
		rel++;
	if (!*rel)
		return open2(rootfd, ".", O_PATH | O_DIRECTORY);
	int fd = open2(rootfd, rel, O_PATH);
	if (fd >= 0 || errno != ENOENT || !create) {
		if (fd < 0)
			return hvc_err(err, errno, "open `/%s` in the container", rel);
		return fd;
	}
	/* create the missing components one by one, each resolved inside root */
	_cleanup_free_ char *path = strdup(rel);
	char *p = path;
	for (;;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		fd = open2(rootfd, path, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			char *last = strrchr(path, '/');
			_cleanup_close_ int parent = -1;
			const char *leaf = path;
			if (last) {
				*last = '\0';
				parent = open2(rootfd, path, O_PATH | O_DIRECTORY);
				*last = '/';
				leaf = last + 1;
			} else {
				parent = open2(rootfd, ".", O_PATH | O_DIRECTORY);
			}
			if (parent < 0)
				return hvc_err(err, errno, "open parent of `/%s` in the container", path);
			if (slash || dir) {
				if (mkdirat(parent, leaf, 0755) < 0 && errno != EEXIST)
					return hvc_err(err, errno, "mkdir `/%s` in the container", path);
			} else {
				int f = openat(parent, leaf, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (f < 0 && errno != EEXIST)
					return hvc_err(err, errno, "create `/%s` in the container", path);
				if (f >= 0)
					close(f);
			}
			fd = open2(rootfd, path, O_PATH);
		}
		if (fd < 0)
			return hvc_err(err, errno, "open `/%s` in the container", path);
		if (!slash)
			return fd;
		close(fd);
		*slash = '/';
		p = slash + 1;
	}
}

static void fd_path(int fd, char buf[64])
{
	snprintf(buf, 64, "/proc/self/fd/%d", fd);
}

/* Remounts dst (reopened: the bind is on top of what fd pointed at) read-only. */
static int remount_ro(int rootfd, const char *dst, unsigned long extra, struct hvc_error *err)
{
	_cleanup_close_ int fd = hvc_rt_open_in_root(rootfd, dst, false, false, err);
	if (fd < 0)
		return -1;
	char p[64];
	fd_path(fd, p);
	if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | extra, NULL) < 0)
		return hvc_err(err, errno, "remount `%s` read-only", dst);
	return 0;
}

static int apply_mount(int rootfd, const struct hvc_mnt_op *o, struct hvc_error *err)
{
	_cleanup_close_ int fd = hvc_rt_open_in_root(rootfd, o->dst, true, true, err);
	if (fd < 0)
		return -1;
	char p[64];
	fd_path(fd, p);
	if (mount(o->src, p, o->fstype, o->flags, o->data) == 0)
		return 0;
	int e = errno;
	/* sysfs needs a network namespace we own: bind the host's instead */
	if (!strcmp(o->fstype, "sysfs") && e == EPERM) {
		if (mount("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0)
			return hvc_err(err, errno, "bind /sys");
		return remount_ro(rootfd, o->dst, MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
	}
	return hvc_err(err, e, "mount %s on `%s`", o->fstype, o->dst);
}

static int apply_bind(int rootfd, const struct hvc_mnt_op *o, struct hvc_error *err)
{
	struct stat hs;
	if (stat(o->src, &hs) < 0)
		return hvc_err(err, errno, "volume `%s`", o->src);
	_cleanup_close_ int fd = hvc_rt_open_in_root(rootfd, o->dst, true, S_ISDIR(hs.st_mode), err);
	if (fd < 0)
		return -1;
	char p[64];
	fd_path(fd, p);
	if (mount(o->src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hvc_err(err, errno, "bind `%s` on `%s`", o->src, o->dst);
	return o->ro ? remount_ro(rootfd, o->dst, 0, err) : 0;
}

static int apply_dev(int rootfd, const struct hvc_mnt_op *o, bool userns, struct hvc_error *err)
{
	char p[64];
	if (userns) {
		/* a user namespace may not create devices: bind the host's */
		_cleanup_close_ int fd = hvc_rt_open_in_root(rootfd, o->dst, true, false, err);
		if (fd < 0)
			return -1;
		fd_path(fd, p);
		if (mount(o->dst, p, NULL, MS_BIND, NULL) < 0)
			return hvc_err(err, errno, "bind `%s`", o->dst);
		return 0;
	}
	const char *leaf = strrchr(o->dst, '/') + 1;
	_cleanup_close_ int dev = hvc_rt_open_in_root(rootfd, "/dev", false, true, err);
	if (dev < 0)
		return -1;
	/* O_PATH dirfd: mknodat accepts it */
	if (mknodat(dev, leaf, S_IFCHR | 0666, makedev(o->major, o->minor)) < 0)
		return hvc_err(err, errno, "mknod `%s`", o->dst);
	/* the tmpfs umask would have cleared bits */
	_cleanup_close_ int f = openat(dev, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (f >= 0) {
		fd_path(f, p);
		chmod(p, 0666);
	}
	return 0;
}

static int apply_symlink(int rootfd, const struct hvc_mnt_op *o, struct hvc_error *err)
{
	const char *slash = strrchr(o->dst, '/');
	_cleanup_free_ char *dir = strndup(o->dst, (size_t)(slash - o->dst));
	_cleanup_close_ int d = hvc_rt_open_in_root(rootfd, *dir ? dir : "/", true, true, err);
	if (d < 0)
		return -1;
	if (symlinkat(o->src, d, slash + 1) < 0 && errno != EEXIST)
		return hvc_err(err, errno, "symlink `%s`", o->dst);
	return 0;
}

/* Docker's masked paths: /dev/null over files, an empty read-only tmpfs
 * over directories; absent on this kernel: nothing to mask. */
static int apply_mask(int rootfd, const struct hvc_mnt_op *o, struct hvc_error *err)
{
	_cleanup_close_ int fd = hvc_rt_open_in_root(rootfd, o->dst, false, false, NULL);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return hvc_err(err, errno, "stat `%s`", o->dst);
	char p[64];
	fd_path(fd, p);
	int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0")
				    : mount("/dev/null", p, NULL, MS_BIND, NULL);
	if (r < 0)
		return hvc_err(err, errno, "mask `%s`", o->dst);
	return 0;
}

static int apply_ro(int rootfd, const struct hvc_mnt_op *o, struct hvc_error *err)
{
	_cleanup_close_ int fd = hvc_rt_open_in_root(rootfd, o->dst, false, false, NULL);
	if (fd < 0)
		return 0;
	char p[64];
	fd_path(fd, p);
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hvc_err(err, errno, "bind `%s`", o->dst);
	return remount_ro(rootfd, o->dst, MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
}

/* The flags a student meets in mount(8), in words (the stack only: this
 * runs in the container's first process). */
static const char *mount_flags(unsigned long f, bool ro, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", (f & MS_RDONLY) || ro ? "ro" : "rw", f & MS_NOSUID ? ",nosuid" : "",
		 f & MS_NODEV ? ",nodev" : "", f & MS_NOEXEC ? ",noexec" : "");
	return buf;
}

static void trace_op(const struct hvc_mnt_op *o, bool userns)
{
	char fl[64];
	switch (o->kind) {
	case HVC_MNT_MOUNT:
		HVC_TRACE("mount", "%s %s %s (%s%s%s)", o->fstype, o->flags & MS_REMOUNT ? "remounted at" : "on",
			  o->dst, mount_flags(o->flags, o->ro, fl, sizeof(fl)), o->data ? "," : "",
			  o->data ? o->data : "");
		break;
	case HVC_MNT_BIND:
		HVC_TRACE("mount.bind", "`%s` on %s (%s)", o->src, o->dst, o->ro ? "ro" : "rw");
		break;
	case HVC_MNT_DEV:
		HVC_TRACE("mknod", userns ? "%s: bound from the host (a user namespace may not mknod)"
					  : "%s: character device %u:%u", o->dst, o->major, o->minor);
		break;
	case HVC_MNT_SYMLINK:
		HVC_TRACE("symlink", "%s -> %s", o->dst, o->src);
		break;
	case HVC_MNT_MASK:
		HVC_TRACE("mount.mask", "%s masked (/dev/null over a file, an empty ro tmpfs over a directory)", o->dst);
		break;
	case HVC_MNT_RO:
		HVC_TRACE("mount.ro", "%s bound onto itself and remounted read-only", o->dst);
		break;
	}
}

static int apply_one(int rootfd, const struct hvc_mnt_op *o, bool userns, struct hvc_error *err)
{
	switch (o->kind) {
	case HVC_MNT_MOUNT:
		return apply_mount(rootfd, o, err);
	case HVC_MNT_BIND:
		return apply_bind(rootfd, o, err);
	case HVC_MNT_DEV:
		return apply_dev(rootfd, o, userns, err);
	case HVC_MNT_SYMLINK:
		return apply_symlink(rootfd, o, err);
	case HVC_MNT_MASK:
		return apply_mask(rootfd, o, err);
	case HVC_MNT_RO:
		return apply_ro(rootfd, o, err);
	}
	return 0;
}

int hvc_rt_mounts_apply(const struct hvc_mnt_plan *plan, const char *rootfs, bool userns,
			struct hvc_error *err)
{
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hvc_err(err, errno, "open rootfs `%s`", rootfs);
	for (size_t i = 0; i < plan->n; i++) {
		if (apply_one(rootfd, &plan->ops[i], userns, err) < 0)
			return -1;
		if (hvc_trace_on())
			trace_op(&plan->ops[i], userns);
	}
	return 0;
}

int hvc_rt_pivot_root(const char *rootfs, bool read_only, struct hvc_error *err)
{
	if (chdir(rootfs) < 0)
		return hvc_err(err, errno, "chdir `%s`", rootfs);
	/* pivot_root(".", "."): the old root ends up stacked on the new one and
	 * is detached at once — no directory for it, nothing of the host left. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hvc_err(err, errno, "pivot_root `%s`", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return hvc_err(err, errno, "detach the old root");
	HVC_TRACE("pivot_root", "pivot_root(\".\", \".\") in `%s`, old root detached: the host's files are out of reach",
		  rootfs);
	if (chdir("/") < 0)
		return hvc_err(err, errno, "chdir /");
	if (read_only && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return hvc_err(err, errno, "remount / read-only");
	if (read_only)
		HVC_TRACE("mount.ro", "/ remounted read-only (--read-only)");
	return 0;
}
