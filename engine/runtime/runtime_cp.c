/* engine/runtime/runtime_cp: `hvc cp` — files between a container and the
 * host, with docker cp's path rules, through the container's root safely.
 *
 * Every path inside the container is resolved by openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) from a handle on its root: a symlink in the
 * container (absolute, or with ..) resolves inside it, as it would for the
 * container's own processes, never to the host. Below the path given, the
 * walk goes entry by entry from directory fds with O_NOFOLLOW: a symlink is
 * copied as a symlink, a symlink where a file is written is replaced, never
 * followed. The root is /proc/PID/root of a running container (its volumes
 * included), or — stopped — its overlay mounted in a private mount namespace
 * of a child process, while the container's dir is locked (no start meanwhile). */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "runtime_ctr.h" /* HVC_RT_USERNS_BASE */

static int open_in(int rootfd, const char *path, int flags)
{
	while (*path == '/')
		path++;
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
}

/* Who owns what the copy makes in the destination. */
struct cp_own {
	bool archive;  /* -a: the source's uid/gid (shifted), else `fixed` */
	uid_t fixed;   /* (uid_t)-1: the copier's (root); into a --userns container: its root */
	int64_t shift; /* -a: added to the source's ids (+BASE into, -BASE out of --userns) */
	bool no_devices; /* out of a container: a device node it made is not recreated on the host */
};

static int copy_node(int sdir, const char *sname, int ddir, const char *dname, const struct cp_own *own,
		     struct hvc_error *err);

static void give(int ddir, const char *dname, const struct stat *src, const struct cp_own *own)
{
	uid_t u = own->fixed, g = own->fixed;
	if (own->archive) {
		int64_t su = (int64_t)src->st_uid + own->shift, sg = (int64_t)src->st_gid + own->shift;
		u = su >= 0 ? (uid_t)su : 65534, g = sg >= 0 ? (gid_t)sg : 65534; /* unmapped: nobody */
	}
	if (u != (uid_t)-1 && fchownat(ddir, dname, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		hvc_debug("cp: chown `%s`: %s", dname, strerror(errno));
}

static int copy_data(int in, int out, const char *name, struct hvc_error *err)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hvc_err(err, errno, "read `%s`", name);
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				return hvc_err(err, errno, "write `%s`", name);
			off += w > 0 ? w : 0;
		}
	}
}

/* O_NOFOLLOW create; an entry in the way that is not a directory (a symlink
 * above all) is removed first, as tar extraction does. */
static int create_file(int ddir, const char *dname, mode_t mode)
{
	int fd = openat(ddir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && (errno == ELOOP || errno == ETXTBSY) && unlinkat(ddir, dname, 0) == 0)
		fd = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd >= 0)
		fchmod(fd, mode);
	return fd;
}

static int copy_file(int sdir, const char *sname, int ddir, const char *dname, const struct stat *sb,
		     const struct cp_own *own, struct hvc_error *err)
{
	/* O_NONBLOCK and the check after: a running container may have swapped
	 * the file for a FIFO since the stat, which would block the copy */
	_cleanup_close_ int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat now;
	if (in < 0)
		return hvc_err(err, errno, "open `%s`", sname);
	if (fstat(in, &now) < 0 || !S_ISREG(now.st_mode))
		return hvc_err(err, EAGAIN, "`%s` changed while it was being copied", sname);
	_cleanup_close_ int out = create_file(ddir, dname, sb->st_mode & 07777);
	if (out < 0)
		return hvc_err(err, errno, "create `%s`", dname);
	give(ddir, dname, sb, own);
	return copy_data(in, out, sname, err);
}

static int copy_link(int sdir, const char *sname, int ddir, const char *dname, const struct stat *sb,
		     const struct cp_own *own, struct hvc_error *err)
{
	char target[4096];
	ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
	if (n < 0)
		return hvc_err(err, errno, "readlink `%s`", sname);
	target[n] = '\0';
	unlinkat(ddir, dname, 0); /* a file (or link) in the way; a directory stays and fails below */
	if (symlinkat(target, ddir, dname) < 0)
		return hvc_err(err, errno, "symlink `%s`", dname);
	give(ddir, dname, sb, own);
	return 0;
}

/* Every entry of directory sdir/sname into the directory fd out. */
static int copy_entries(int sdir, const char *sname, int out, const struct cp_own *own, struct hvc_error *err)
{
	int in = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = in >= 0 ? fdopendir(in) : NULL;
	if (!d) {
		int e = errno;
		if (in >= 0)
			close(in);
		return hvc_err(err, e, "open directory `%s`", sname);
	}
	int r = 0;
	for (struct dirent *e; r == 0 && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = copy_node(dirfd(d), e->d_name, out, e->d_name, own, err);
	closedir(d);
	return r;
}

static int copy_dir(int sdir, const char *sname, int ddir, const char *dname, const struct stat *sb,
		    const struct cp_own *own, struct hvc_error *err)
{
	if (mkdirat(ddir, dname, sb->st_mode & 07777) == 0)
		give(ddir, dname, sb, own);
	else if (errno != EEXIST)
		return hvc_err(err, errno, "mkdir `%s`", dname);
	_cleanup_close_ int out = openat(ddir, dname, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return hvc_err(err, errno, "`%s` is not a directory (cannot copy a directory onto it)", dname);
	return copy_entries(sdir, sname, out, own, err);
}

static int copy_node(int sdir, const char *sname, int ddir, const char *dname, const struct cp_own *own,
		     struct hvc_error *err)
{
	struct stat sb;
	if (fstatat(sdir, sname, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return hvc_err(err, errno, "stat `%s`", sname);
	switch (sb.st_mode & S_IFMT) {
	case S_IFDIR: return copy_dir(sdir, sname, ddir, dname, &sb, own, err);
	case S_IFREG: return copy_file(sdir, sname, ddir, dname, &sb, own, err);
	case S_IFLNK: return copy_link(sdir, sname, ddir, dname, &sb, own, err);
	default:
		if (own->no_devices && (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode))) {
			hvc_warn("cp: `%s`: a device node: not copied out of the container", sname);
			return 0;
		}
		unlinkat(ddir, dname, 0);
		if (mknodat(ddir, dname, sb.st_mode, sb.st_rdev) < 0)
			return hvc_err(err, errno, "mknod `%s`", dname);
		give(ddir, dname, &sb, own);
		return 0;
	}
}

/* ---------- docker cp's path rules ------------------------------------- */

/* A path's directory (opened: inside root when root >= 0, else on the host). */
static int open_path(int root, const char *path, int flags)
{
	return root >= 0 ? open_in(root, path, flags) : open(*path ? path : ".", flags | O_CLOEXEC);
}

/* "a/b/" -> dir "a", base "b"; "/x" -> "/", "x"; "x" -> ".", "x". */
static void split(const char *path, char **dir, char **base)
{
	_cleanup_free_ char *p = strdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	if (!slash) {
		*dir = strdup("."), *base = strdup(p);
	} else {
		*base = strdup(slash + 1);
		*dir = slash == p ? strdup("/") : strndup(p, (size_t)(slash - p));
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

struct cp_req {
	int src_root, dst_root; /* one is the container's root, the other -1 (host) */
	const char *src, *dst;
	struct cp_own own;
	bool follow; /* -L */
};

/* The destination exists: into it (a directory) or over it (a file). */
static int to_existing(const struct cp_req *q, int sdir, const char *sname, bool contents, bool src_dir,
		       int dfd, struct hvc_error *err)
{
	struct stat sb;
	if (fstat(dfd, &sb) < 0)
		return hvc_err(err, errno, "stat `%s`", q->dst);
	if (S_ISDIR(sb.st_mode)) {
		if (contents)
			return copy_entries(sdir, sname, dfd, &q->own, err);
		_cleanup_free_ char *d = NULL, *b = NULL;
		split(q->src, &d, &b);
		return copy_node(sdir, sname, dfd, b, &q->own, err);
	}
	if (src_dir)
		return hvc_err(err, ENOTDIR, "cannot copy a directory to the file `%s`", q->dst);
	_cleanup_free_ char *d = NULL, *b = NULL;
	split(q->dst, &d, &b);
	_cleanup_close_ int parent = open_path(q->dst_root, d, O_PATH | O_DIRECTORY);
	if (parent < 0)
		return hvc_err(err, errno, "open `%s`", d);
	return copy_node(sdir, sname, parent, b, &q->own, err);
}

/* -L: the source's own symlinks followed (inside the root for a container
 * path: an absolute target is the container's); the path of what they lead to. */
static char *follow_links(int root, const char *path, struct hvc_error *err)
{
	char *p = strdup(path);
	for (int i = 0; i < 40; i++) {
		_cleanup_free_ char *d = NULL, *b = NULL;
		split(p, &d, &b);
		_cleanup_close_ int dfd = open_path(root, d, O_PATH | O_DIRECTORY);
		char t[4096];
		ssize_t n = dfd >= 0 ? readlinkat(dfd, b, t, sizeof(t) - 1) : -1;
		if (n < 0)
			return p; /* not a link: errors are reported where it is opened */
		t[n] = '\0';
		char *next = t[0] == '/' ? strdup(t) : hvc_strdup_printf("%s/%s", d, t);
		free(p);
		p = next;
	}
	free(p);
	hvc_err(err, ELOOP, "`%s`: too many levels of symbolic links", path);
	return NULL;
}

static int copy_paths(const struct cp_req *q, struct hvc_error *err)
{
	bool contents = ends_with(q->src, "/.") || !strcmp(q->src, ".") || !strcmp(q->src, "/");
	_cleanup_free_ char *src = q->follow ? follow_links(q->src_root, q->src, err) : strdup(q->src);
	if (!src)
		return -1;
	_cleanup_free_ char *sd = NULL, *sb_name = NULL;
	split(src, &sd, &sb_name);
	/* the source's parent, resolved; its last component is not followed
	 * (a symlink is copied as one), unless the path ends in / or /. */
	bool whole = contents || ends_with(src, "/");
	_cleanup_close_ int sdir = open_path(q->src_root, whole ? src : sd, O_PATH | O_DIRECTORY);
	const char *sname = whole ? "." : sb_name;
	struct stat st;
	if (sdir < 0 || fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hvc_err(err, errno, "`%s`", q->src);
	bool src_dir = S_ISDIR(st.st_mode);
	_cleanup_close_ int dfd = open_path(q->dst_root, q->dst, O_PATH);
	if (dfd >= 0)
		return to_existing(q, sdir, sname, contents, src_dir, dfd, err);
	if (errno != ENOENT)
		return hvc_err(err, errno, "`%s`", q->dst);
	if (ends_with(q->dst, "/") && !src_dir)
		return hvc_err(err, ENOENT, "the destination directory `%s` does not exist", q->dst);
	_cleanup_free_ char *dd = NULL, *db = NULL;
	split(q->dst, &dd, &db);
	_cleanup_close_ int parent = open_path(q->dst_root, dd, O_PATH | O_DIRECTORY);
	if (parent < 0)
		return hvc_err(err, errno, "the destination's directory `%s`", dd);
	if (!contents)
		return copy_node(sdir, sname, parent, db, &q->own, err);
	if (mkdirat(parent, db, 0755) < 0)
		return hvc_err(err, errno, "mkdir `%s`", q->dst);
	give(parent, db, &st, &q->own);
	_cleanup_close_ int made = openat(parent, db, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return made < 0 ? hvc_err(err, errno, "open `%s`", q->dst) : copy_entries(sdir, sname, made, &q->own, err);
}

/* ---------- the container's root --------------------------------------- */

/* Into a --userns container, what is made belongs to its root (as docker
 * cp: the container's root user), not to the host's; -a keeps the source's
 * ids, shifted into or out of the user namespace. */
static int cp_with_root(int rootfd, const struct hvc_ctr_cp_opts *o, bool userns, struct hvc_error *err)
{
	int64_t base = userns ? HVC_RT_USERNS_BASE : 0;
	struct cp_req q = { .src_root = o->to_ctr ? -1 : rootfd, .dst_root = o->to_ctr ? rootfd : -1,
			    .src = o->to_ctr ? o->host_path : o->ctr_path,
			    .dst = o->to_ctr ? o->ctr_path : o->host_path,
			    .own = { .archive = o->archive,
				     .fixed = o->to_ctr && userns ? (uid_t)HVC_RT_USERNS_BASE : (uid_t)-1,
				     .shift = o->to_ctr ? base : -base,
				     .no_devices = !o->to_ctr },
			    .follow = o->follow };
	return copy_paths(&q, err);
}

/* Stopped: a child mounts the overlay in a mount namespace of its own (gone
 * with it: nothing to unmount) and copies; its error comes back in a pipe. */
static int cp_stopped(const char *id, const struct hvc_ctr_cp_opts *o, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_rt_ctr_dir(id);
	_cleanup_close_ int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
		return hvc_err(err, EBUSY, "container %.12s is being started or removed", id);
	struct hvc_ctr_spec s;
	hvc_ctr_spec_init(&s);
	if (hvc_ctr_config_read(id, &s, NULL, err) < 0)
		return hvc_ctr_spec_free(&s), -1;
	_cleanup_free_ char *upper = hvc_path_join(dir, "upper"), *work = hvc_path_join(dir, "work");
	_cleanup_free_ char *rootfs = hvc_path_join(dir, "rootfs");
	_cleanup_free_ char *opts = hvc_mnt_overlay_options(s.lowerdirs, upper, work, false);
	bool userns = s.userns;
	hvc_ctr_spec_free(&s);
	int p[2];
	if (!opts || pipe2(p, O_CLOEXEC) < 0)
		return hvc_err(err, errno ? errno : ENOMEM, "prepare the copy");
	pid_t pid = fork();
	if (pid < 0)
		return close(p[0]), close(p[1]), hvc_err(err, errno, "fork");
	if (pid == 0) {
		close(p[0]);
		struct hvc_error e = { 0 };
		int fd = -1;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			hvc_err(&e, errno, "private mount namespace");
		else if (mount("overlay", rootfs, "overlay", 0, opts) < 0)
			hvc_err(&e, errno, "mount the container's overlay");
		else if ((fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			hvc_err(&e, errno, "open `%s`", rootfs);
		else
			cp_with_root(fd, o, userns, &e);
		ssize_t w = e.msg[0] ? write(p[1], e.msg, strlen(e.msg)) : 0;
		_exit(w > 0 ? 1 : 0);
	}
	close(p[1]);
	char msg[sizeof(err->msg)];
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n > 0)
		return msg[n] = '\0', hvc_err(err, EIO, "%s", msg);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return hvc_err(err, EIO, "the copy process failed");
	return 0;
}

int hvc_ctr_cp(const char *id, const struct hvc_ctr_cp_opts *o, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	if (hvc_ctr_reclaim_if_stale(id, err) < 0 || hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	if (st.status != HVC_CTR_RUNNING)
		return cp_stopped(id, o, err);
	_cleanup_free_ char *p = hvc_strdup_printf("/proc/%d/root", (int)st.pid);
	_cleanup_close_ int rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* the pid checked after the open: the handle is on this container's root */
	if (rootfd < 0 || !hvc_ctr_proc_alive(st.pid, st.pid_start))
		return hvc_err(err, ESRCH, "container %.12s stopped meanwhile", id);
	struct hvc_ctr_spec s;
	hvc_ctr_spec_init(&s);
	int r = hvc_ctr_config_read(id, &s, NULL, err);
	bool userns = s.userns;
	hvc_ctr_spec_free(&s);
	return r < 0 ? -1 : cp_with_root(rootfd, o, userns, err);
}
