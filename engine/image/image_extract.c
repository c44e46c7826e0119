/* engine/image/image_extract: safe layer extraction. Every member is created
 * relative to a directory fd of the target, and every parent is resolved with
 * openat2(RESOLVE_BENEATH), so `..`, absolute names, symlinks that point out
 * and hard links to outside fail with an error naming the member instead of
 * writing anywhere else. Device nodes are refused. OCI whiteouts become
 * overlayfs whiteouts (overlay mode, for the layer cache) or deletions
 * (apply mode, for a flattened rootfs). The plain tar stream is hashed as it
 * is read (diff_id), and so are the file's bytes (blob digest). */
#include "image_internal.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* ---------- member names ----------------------------------------------- */

const char *hvc_image_member_path_problem(const char *path)
{
	if (!path || !*path)
		return "empty member name";
	if (path[0] == '/')
		return "absolute path refused";
	if (strlen(path) >= PATH_MAX)
		return "name too long";
	for (const char *p = path; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "`..` path component refused";
		if (!slash)
			break;
		p = slash + 1;
	}
	return NULL;
}

const char *hvc_image_member_path_problem_public(const char *path)
{
	return hvc_image_member_path_problem(path);
}

char *hvc_image_member_path_clean(char *path)
{
	char *out = path, *w = path;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0)
			break;
		if (!(n == 1 && p[0] == '.')) {
			if (w != out)
				*w++ = '/';
			memmove(w, p, n);
			w += n;
		}
		p += n;
	}
	*w = '\0';
	return out;
}

/* ---------- a small string set (paths created by the current layer) ---- */

struct strset {
	char **slot;
	size_t cap, n;
};

static size_t str_hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool strset_has(const struct strset *set, const char *s)
{
	if (!set->cap)
		return false;
	for (size_t i = str_hash(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (!set->slot[i])
			return false;
		if (!strcmp(set->slot[i], s))
			return true;
	}
}

static void strset_add(struct strset *set, const char *s)
{
	if (strset_has(set, s))
		return;
	if ((set->n + 1) * 2 > set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 256;
		char **ns = hvc_xcalloc(ncap, sizeof(char *));
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->slot[i])
				continue;
			size_t j = str_hash(set->slot[i]) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = set->slot[i];
		}
		free(set->slot);
		set->slot = ns;
		set->cap = ncap;
	}
	size_t i = str_hash(s) & (set->cap - 1);
	while (set->slot[i])
		i = (i + 1) & (set->cap - 1);
	set->slot[i] = hvc_xstrdup(s);
	set->n++;
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
}

/* ---------- resolution beneath the target ------------------------------ */

struct extract {
	const char *tar_path, *dest;
	int root;
	bool overlay;
	bool privileged;
	struct strset created;
	struct dir_meta {
		char *path;
		mode_t mode;
		uid_t uid;
		gid_t gid;
		struct timespec mtime;
	} * dirs;
	size_t n_dirs;
	/* stream */
	struct archive *outer, *inner;
	int fd;
	struct hvc_hasher hu, hc;
	char buf[1 << 16], rbuf[1 << 16];
};

static int openat2_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

static const char *why_errno(int e)
{
	switch (e) {
	case EXDEV:
		return "its path leaves the target through a symlink";
	case ELOOP:
		return "its path goes through a symlink loop";
	case ENOTDIR:
		return "a parent is not a directory";
	default:
		return strerror(e);
	}
}

/* Opens (creating when asked) the directory `path` beneath the root. */
static int open_dir(struct extract *x, const char *path, bool create, struct hvc_error *err,
		    const char *member)
{
	if (!*path)
		return fcntl(x->root, F_DUPFD_CLOEXEC, 3);
	int fd = openat2_beneath(x->root, path, O_RDONLY | O_DIRECTORY);
	if (fd >= 0 || errno != ENOENT || !create) {
		if (fd < 0)
			return hvc_image_err(err, errno, "`%s`: member `%s`: %s", x->tar_path,
					     member, why_errno(errno));
		return fd;
	}
	/* create the missing components one by one, each resolved from the root */
	_cleanup_free_ char *p = strdup(path);
	int cur = fcntl(x->root, F_DUPFD_CLOEXEC, 3);
	for (char *s = p;;) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		int next = openat2_beneath(x->root, p, O_RDONLY | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(cur, strrchr(p, '/') ? strrchr(p, '/') + 1 : p, 0755) < 0 &&
			    errno != EEXIST) {
				int e = errno;
				close(cur);
				return hvc_err(err, e, "`%s`: member `%s`: mkdir `%s`", x->tar_path,
					       member, p);
			}
			next = openat2_beneath(x->root, p, O_RDONLY | O_DIRECTORY);
		}
		if (next < 0) {
			int e = errno;
			close(cur);
			return hvc_image_err(err, e, "`%s`: member `%s`: %s", x->tar_path, member,
					     why_errno(e));
		}
		close(cur);
		cur = next;
		if (!slash)
			break;
		*slash = '/';
		s = slash + 1;
	}
	return cur;
}

/* Removes name in dirfd, recursively, never following symlinks. */
static int remove_at(int parent, const char *name)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    remove_at(dirfd(d), de->d_name) < 0)
			rc = -1;
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* ---------- applying members ------------------------------------------- */

static void split(char *path, const char **parent, const char **base)
{
	char *slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		*parent = path;
		*base = slash + 1;
	} else {
		*parent = "";
		*base = path;
	}
}

static void set_xattrs(struct extract *x, struct archive_entry *e, int fd, const char *member)
{
	const char *k;
	const void *v;
	size_t len;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &k, &v, &len) == ARCHIVE_OK) {
		/* trusted.* would let a layer steer overlayfs (redirects, opaque) */
		if (hvc_str_has_prefix(k, "trusted.") || !strcmp(k, "security.selinux")) {
			hvc_debug("`%s`: member `%s`: xattr %s dropped", x->tar_path, member, k);
			continue;
		}
		if (fsetxattr(fd, k, v, len, 0) < 0)
			hvc_debug("`%s`: member `%s`: xattr %s: %s", x->tar_path, member, k,
				  strerror(errno));
	}
}

static void set_owner_mode_time(struct extract *x, int fd, struct archive_entry *e)
{
	if (x->privileged &&
	    fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		hvc_debug("chown `%s`: %s", archive_entry_pathname(e), strerror(errno));
	fchmod(fd, archive_entry_perm(e) & 07777);
	struct timespec ts[2] = {
	    {.tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e)},
	    {.tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e)},
	};
	futimens(fd, ts);
}

/* Makes room for a new non-directory (or directory) member named base. */
static int clear_slot(int pfd, const char *base, bool want_dir)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (want_dir && S_ISDIR(st.st_mode))
		return 1; /* keep: merge */
	return remove_at(pfd, base);
}

static int whiteout(struct extract *x, const char *parent, const char *base, const char *member,
		    struct hvc_error *err)
{
	_cleanup_close_ int pfd = open_dir(x, parent, true, err, member);
	if (pfd < 0)
		return -1;
	if (!strcmp(base, ".wh..wh..opq")) {
		if (x->overlay) {
			if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
				return hvc_err(err, errno,
					       "`%s`: member `%s`: set trusted.overlay.opaque",
					       x->tar_path, member);
			return 0;
		}
		/* apply: drop what lower layers put here, keep this layer's entries */
		int dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
		DIR *d = fdopendir(dfd);
		if (!d) {
			close(dfd);
			return hvc_err(err, errno, "`%s`: member `%s`", x->tar_path, member);
		}
		struct dirent *de;
		int rc = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			_cleanup_free_ char *p =
			    *parent ? hvc_strdup_printf("%s/%s", parent, de->d_name)
				    : strdup(de->d_name);
			if (!strset_has(&x->created, p) && remove_at(pfd, de->d_name) < 0)
				rc = hvc_err(err, errno, "`%s`: member `%s`: remove `%s`",
					     x->tar_path, member, p);
		}
		closedir(d);
		return rc;
	}
	if (hvc_str_has_prefix(base, ".wh..wh."))
		return 0; /* aufs bookkeeping (.wh..wh.plnk etc.): nothing to apply */
	const char *name = base + 4;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: invalid whiteout",
				     x->tar_path, member);
	_cleanup_free_ char *p = *parent ? hvc_strdup_printf("%s/%s", parent, name) : strdup(name);
	if (strset_has(&x->created, p))
		return 0; /* whiteouts hide lower layers only, never this layer's own files */
	if (x->overlay) {
		if (faccessat(pfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
		if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
			return hvc_err(err, errno, "`%s`: member `%s`: create overlay whiteout",
				       x->tar_path, member);
		return 0;
	}
	if (remove_at(pfd, name) < 0)
		return hvc_err(err, errno, "`%s`: member `%s`: remove `%s`", x->tar_path, member,
			       p);
	return 0;
}

static int write_data(struct extract *x, struct archive *a, int fd, const char *member,
		      struct hvc_error *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (len) {
			ssize_t w = pwrite(fd, p, len, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return hvc_err(err, errno, "`%s`: member `%s`: write", x->tar_path,
					       member);
			p += w;
			off += w;
			len -= (size_t)w;
		}
	}
	if (r != ARCHIVE_EOF)
		return hvc_err(err, EIO, "`%s`: member `%s`: %s", x->tar_path, member,
			       archive_error_string(a) ?: "truncated");
	return 0;
}

/* A member being applied: its name as the tar has it (for messages), its
 * cleaned path, that path split, and its parent directory opened beneath the
 * target. */
struct member {
	const char *orig, *full, *parent, *base;
	int pfd;
};

static int refuse(struct extract *x, const struct member *m, const char *what,
		  struct hvc_error *err)
{
	return hvc_err(err, errno, "`%s`: member `%s`: %s", x->tar_path, m->orig, what);
}

static int apply_hardlink(struct extract *x, const struct member *m, const char *hl,
			  struct hvc_error *err)
{
	const char *why = hvc_image_member_path_problem(hl);
	if (why)
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: hard link target `%s`: %s",
				     x->tar_path, m->orig, hl, why);
	_cleanup_free_ char *t = hvc_xstrdup(hl);
	hvc_image_member_path_clean(t);
	const char *tparent, *tbase;
	split(t, &tparent, &tbase);
	_cleanup_close_ int tfd = open_dir(x, tparent, false, err, m->orig);
	if (tfd < 0)
		return hvc_error_prefix(err, "hard link target `%s`", hl);
	struct stat st;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hvc_err(err, errno, "`%s`: member `%s`: hard link target `%s`", x->tar_path,
			       m->orig, hl);
	if (S_ISDIR(st.st_mode))
		return hvc_image_err(err, EPERM, "`%s`: member `%s`: hard link to a directory",
				     x->tar_path, m->orig);
	if (clear_slot(m->pfd, m->base, false) < 0)
		return refuse(x, m, "replace", err);
	if (linkat(tfd, tbase, m->pfd, m->base, 0) < 0)
		return hvc_err(err, errno, "`%s`: member `%s`: link to `%s`", x->tar_path, m->orig,
			       hl);
	return 0;
}

static int apply_dir(struct extract *x, struct archive_entry *e, const struct member *m,
		     struct hvc_error *err)
{
	int keep = clear_slot(m->pfd, m->base, true);
	if (keep < 0)
		return refuse(x, m, "replace", err);
	if (!keep && mkdirat(m->pfd, m->base, 0700) < 0)
		return refuse(x, m, "mkdir", err);
	_cleanup_close_ int fd =
	    openat(m->pfd, m->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return refuse(x, m, "open", err);
	if (x->privileged)
		fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e));
	set_xattrs(x, e, fd, m->orig);
	/* mode and mtime last: later members would change them */
	x->dirs = hvc_xrealloc(x->dirs, x->n_dirs + 1, sizeof(*x->dirs));
	x->dirs[x->n_dirs++] = (struct dir_meta){
	    .path = hvc_xstrdup(m->full),
	    .mode = archive_entry_perm(e) & 07777,
	    .mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
	};
	return 0;
}

static int apply_file(struct extract *x, struct archive *a, struct archive_entry *e,
		      const struct member *m, struct hvc_error *err)
{
	if (clear_slot(m->pfd, m->base, false) < 0)
		return refuse(x, m, "replace", err);
	_cleanup_close_ int fd =
	    openat(m->pfd, m->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return refuse(x, m, "create", err);
	if (write_data(x, a, fd, m->orig, err) < 0)
		return -1;
	if (ftruncate(fd, archive_entry_size(e)) < 0)
		return refuse(x, m, "truncate", err);
	set_xattrs(x, e, fd, m->orig);
	set_owner_mode_time(x, fd, e);
	return 0;
}

static int apply_symlink(struct extract *x, struct archive_entry *e, const struct member *m,
			 struct hvc_error *err)
{
	const char *target = archive_entry_symlink(e);
	if (!target || !*target)
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: symlink without a target",
				     x->tar_path, m->orig);
	if (clear_slot(m->pfd, m->base, false) < 0)
		return refuse(x, m, "replace", err);
	/* the link itself is harmless; writing through it later is checked */
	if (symlinkat(target, m->pfd, m->base) < 0)
		return refuse(x, m, "symlink", err);
	if (x->privileged)
		fchownat(m->pfd, m->base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
			 AT_SYMLINK_NOFOLLOW);
	struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
				 {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
	utimensat(m->pfd, m->base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int apply_fifo(struct extract *x, struct archive_entry *e, const struct member *m,
		      struct hvc_error *err)
{
	if (clear_slot(m->pfd, m->base, false) < 0)
		return refuse(x, m, "replace", err);
	if (mkfifoat(m->pfd, m->base, 0600) < 0)
		return refuse(x, m, "mkfifo", err);
	_cleanup_close_ int fd =
	    openat(m->pfd, m->base, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		set_owner_mode_time(x, fd, e);
	return 0;
}

static int apply_typed(struct extract *x, struct archive *a, struct archive_entry *e,
		       const struct member *m, struct hvc_error *err)
{
	mode_t type = archive_entry_filetype(e);
	switch (type) {
	case AE_IFDIR:
		return apply_dir(x, e, m, err);
	case AE_IFREG:
		return apply_file(x, a, e, m, err);
	case AE_IFLNK:
		return apply_symlink(x, e, m, err);
	case AE_IFIFO:
		return apply_fifo(x, e, m, err);
	default:
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: unsupported file type 0%o",
				     x->tar_path, m->orig, (unsigned)type);
	}
}

/* Checks a member's name and kind, then creates it beneath the target. */
static int apply_member(struct extract *x, struct archive *a, struct archive_entry *e,
			struct hvc_error *err)
{
	const char *orig = archive_entry_pathname(e) ?: "";
	const char *why = hvc_image_member_path_problem(orig);
	if (why)
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: %s", x->tar_path, orig, why);
	_cleanup_free_ char *path = hvc_xstrdup(orig);
	hvc_image_member_path_clean(path);
	if (!*path)
		return 0; /* the root directory itself */
	_cleanup_free_ char *full = hvc_xstrdup(path);
	struct member m = {.orig = orig, .full = full};
	split(path, &m.parent, &m.base);
	if (hvc_str_has_prefix(m.base, ".wh."))
		return whiteout(x, m.parent, m.base, orig, err);

	mode_t type = archive_entry_filetype(e);
	const char *hl = archive_entry_hardlink(e);
	if (!hl && (type == AE_IFCHR || type == AE_IFBLK))
		return hvc_image_err(err, EPERM,
				     "`%s`: member `%s`: device nodes are refused in image layers",
				     x->tar_path, orig);
	if (!hl && type == AE_IFSOCK)
		return 0;
	_cleanup_close_ int pfd = open_dir(x, m.parent, true, err, orig);
	if (pfd < 0)
		return -1;
	m.pfd = pfd;
	if ((hl ? apply_hardlink(x, &m, hl, err) : apply_typed(x, a, e, &m, err)) < 0)
		return -1;
	strset_add(&x->created, full);
	return 0;
}

static void finish_dirs(struct extract *x)
{
	for (size_t i = x->n_dirs; i-- > 0;) {
		struct dir_meta *d = &x->dirs[i];
		int fd = openat2_beneath(x->root, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd >= 0) {
			fchmod(fd, d->mode);
			struct timespec ts[2] = {d->mtime, d->mtime};
			futimens(fd, ts);
			close(fd);
		}
	}
}

/* ---------- the two-level stream --------------------------------------- */

static la_ssize_t outer_read(struct archive *a, void *data, const void **buf)
{
	(void)a;
	struct extract *x = data;
	for (;;) {
		ssize_t r = read(x->fd, x->rbuf, sizeof(x->rbuf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			hvc_hasher_update(&x->hc, x->rbuf, (size_t)r);
		*buf = x->rbuf;
		return r;
	}
}

static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
	(void)a;
	struct extract *x = data;
	la_ssize_t r = archive_read_data(x->outer, x->buf, sizeof(x->buf));
	if (r > 0)
		hvc_hasher_update(&x->hu, x->buf, (size_t)r);
	*buf = x->buf;
	return r;
}

static void extract_free(struct extract **xp)
{
	struct extract *x = *xp;
	if (!x)
		return;
	if (x->inner)
		archive_read_free(x->inner);
	if (x->outer)
		archive_read_free(x->outer);
	hvc_hasher_free(&x->hu);
	hvc_hasher_free(&x->hc);
	if (x->root >= 0)
		close(x->root);
	if (x->fd >= 0)
		close(x->fd);
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
	strset_free(&x->created);
	free(x);
	*xp = NULL;
}

/* Opens the target and the file, and the two-level stream: the outer archive
 * decompresses (any filter) and hashes the file, the inner one reads the tar
 * and hashes the plain stream. */
static int extract_open(struct extract *x, struct hvc_error *err)
{
	x->root = open(x->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	x->fd = open(x->tar_path, O_RDONLY | O_CLOEXEC);
	if (x->root < 0)
		return hvc_err(err, errno, "open target `%s`", x->dest);
	if (x->fd < 0)
		return hvc_err(err, errno, "open `%s`", x->tar_path);
	hvc_hasher_init(&x->hu);
	hvc_hasher_init(&x->hc);
	x->outer = archive_read_new();
	archive_read_support_filter_all(x->outer);
	archive_read_support_format_raw(x->outer);
	struct archive_entry *e;
	if (archive_read_open(x->outer, x, NULL, outer_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(x->outer, &e) != ARCHIVE_OK)
		return hvc_image_err(err, EINVAL, "`%s`: %s", x->tar_path,
				     archive_error_string(x->outer)
					 ?: "not a tar or compressed tar");
	x->inner = archive_read_new();
	archive_read_support_format_tar(x->inner);
	archive_read_support_format_gnutar(x->inner);
	if (archive_read_open(x->inner, x, NULL, inner_read, NULL) != ARCHIVE_OK)
		return hvc_image_err(err, EINVAL, "`%s`: %s", x->tar_path,
				     archive_error_string(x->inner) ?: "not a tar");
	return 0;
}

static int apply_members(struct extract *x, struct hvc_error *err)
{
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(x->inner, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (apply_member(x, x->inner, e, err) < 0)
			return -1;
	if (r != ARCHIVE_EOF)
		return hvc_err(err, EIO, "`%s`: %s", x->tar_path,
			       archive_error_string(x->inner) ?: "truncated tar");
	return 0;
}

/* Reads what the tar reader left: the diff_id covers the whole plain stream,
 * padding included, and the blob digest the whole file. */
static int hash_rest(struct extract *x, struct hvc_error *err)
{
	la_ssize_t n;
	while ((n = archive_read_data(x->outer, x->buf, sizeof(x->buf))) > 0)
		hvc_hasher_update(&x->hu, x->buf, (size_t)n);
	if (n < 0)
		return hvc_err(err, EIO, "`%s`: %s", x->tar_path,
			       archive_error_string(x->outer) ?: "truncated");
	ssize_t tail;
	while ((tail = read(x->fd, x->rbuf, sizeof(x->rbuf))) > 0)
		hvc_hasher_update(&x->hc, x->rbuf, (size_t)tail);
	return 0;
}

int hvc_image_extract(const char *tar_path, const char *dest, bool overlay,
		      char diff_id[HVC_DIGEST_LEN], char blob_digest[HVC_DIGEST_LEN],
		      struct hvc_error *err)
{
	__attribute__((cleanup(extract_free))) struct extract *x = calloc(1, sizeof(*x));
	if (!x)
		return hvc_err(err, ENOMEM, "extract `%s`", tar_path);
	x->tar_path = tar_path;
	x->dest = dest;
	x->overlay = overlay;
	x->privileged = geteuid() == 0;
	x->root = x->fd = -1;
	if (extract_open(x, err) < 0 || apply_members(x, err) < 0 || hash_rest(x, err) < 0)
		return -1;
	finish_dirs(x);
	if (diff_id)
		hvc_hasher_final(&x->hu, diff_id);
	if (blob_digest)
		hvc_hasher_final(&x->hc, blob_digest);
	return 0;
}
