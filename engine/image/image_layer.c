/* engine/image/image_layer: creating layer blobs — a directory tree or a tar file
 * becomes a gzip'd tar in one pass, hashing the plain tar (diff_id) and the
 * compressed bytes (blob digest) as they stream out. Tar and gzip are
 * libarchive's: a pax tar writer whose output feeds a raw+gzip writer. */
#include "image_internal.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct layer_writer {
	struct archive *tar, *gz;
	struct archive_entry_linkresolver *links;
	int fd;
	char *tmp;
	struct hvc_hasher hu, hc; /* uncompressed (diff_id), compressed (digest) */
	bool failed;
	int write_errno;
	const char *src; /* for messages */
};

static la_ssize_t gz_out(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	struct layer_writer *w = data;
	const char *p = buf;
	size_t left = len;
	while (left) {
		ssize_t r = write(w->fd, p, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			w->write_errno = errno;
			return -1;
		}
		p += r;
		left -= (size_t)r;
	}
	hvc_hasher_update(&w->hc, buf, len);
	return (la_ssize_t)len;
}

static la_ssize_t tar_out(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	struct layer_writer *w = data;
	hvc_hasher_update(&w->hu, buf, len);
	la_ssize_t r = archive_write_data(w->gz, buf, len);
	return r < 0 ? -1 : (la_ssize_t)len;
}

static void lw_abort(struct layer_writer *w)
{
	if (w->tar)
		archive_write_free(w->tar);
	if (w->gz)
		archive_write_free(w->gz);
	if (w->links)
		archive_entry_linkresolver_free(w->links);
	w->tar = w->gz = NULL;
	w->links = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp) {
		unlink(w->tmp);
		free(w->tmp);
		w->tmp = NULL;
	}
	hvc_hasher_free(&w->hu);
	hvc_hasher_free(&w->hc);
}

static int lw_open(struct hvc_image_store *s, struct layer_writer *w, const char *src,
		   struct hvc_error *err)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->src = src;
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	w->tmp = hvc_strdup_printf("%s/layer.XXXXXX", hvc_image_store_tmpdir(s));
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		int e = errno;
		free(w->tmp);
		w->tmp = NULL;
		return hvc_err(err, e, "create temporary layer in `%s`", hvc_image_store_tmpdir(s));
	}
	hvc_hasher_init(&w->hu);
	hvc_hasher_init(&w->hc);
	w->gz = archive_write_new();
	w->tar = archive_write_new();
	w->links = archive_entry_linkresolver_new();
	if (!w->gz || !w->tar || !w->links) {
		lw_abort(w);
		return hvc_err(err, ENOMEM, "layer writer");
	}
	archive_write_set_format_raw(w->gz);
	archive_write_add_filter_gzip(w->gz);
	/* no timestamp in the gzip header: the same tree gives the same digest */
	archive_write_set_filter_option(w->gz, "gzip", "timestamp", NULL);
	archive_write_set_bytes_in_last_block(w->gz, 1);
	archive_write_set_format_pax_restricted(w->tar);
	archive_write_set_bytes_in_last_block(w->tar, 1);
	archive_entry_linkresolver_set_strategy(w->links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	if (archive_write_open(w->gz, w, NULL, gz_out, NULL) != ARCHIVE_OK) {
		int rc = hvc_err(err, EIO, "layer writer: %s", archive_error_string(w->gz));
		lw_abort(w);
		return rc;
	}
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "layer.tar");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	int r = archive_write_header(w->gz, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK || archive_write_open(w->tar, w, NULL, tar_out, NULL) != ARCHIVE_OK) {
		int rc = hvc_err(err, EIO, "layer writer: %s", archive_error_string(w->gz));
		lw_abort(w);
		return rc;
	}
	return 0;
}

static int lw_fail(struct layer_writer *w, struct hvc_error *err, const char *member)
{
	if (w->write_errno)
		return hvc_err(err, w->write_errno, "write layer for `%s`", w->src);
	return hvc_err(err, EIO, "write layer for `%s`: member `%s`: %s", w->src, member,
		       archive_error_string(w->tar) ?: "error");
}

static int lw_header(struct layer_writer *w, struct archive_entry *e, struct hvc_error *err)
{
	int r = archive_write_header(w->tar, e);
	if (r < ARCHIVE_WARN)
		return lw_fail(w, err, archive_entry_pathname(e));
	return 0;
}

static int lw_finish(struct hvc_image_store *s, struct layer_writer *w, struct hvc_image_layer *out,
		     struct hvc_error *err)
{
	if (archive_write_close(w->tar) != ARCHIVE_OK) {
		int rc = lw_fail(w, err, "(end)");
		lw_abort(w);
		return rc;
	}
	if (archive_write_finish_entry(w->gz) != ARCHIVE_OK ||
	    archive_write_close(w->gz) != ARCHIVE_OK) {
		int rc = w->write_errno
			     ? hvc_err(err, w->write_errno, "write layer for `%s`", w->src)
			     : hvc_err(err, EIO, "compress layer for `%s`: %s", w->src,
				       archive_error_string(w->gz));
		lw_abort(w);
		return rc;
	}
	if (fsync(w->fd) < 0 || fchmod(w->fd, 0644) < 0) {
		int rc = hvc_err(err, errno, "write layer for `%s`", w->src);
		lw_abort(w);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	out->tar_size = w->hu.bytes;
	out->size = w->hc.bytes;
	hvc_hasher_final(&w->hu, out->diff_id);
	hvc_hasher_final(&w->hc, out->digest);
	snprintf(out->media_type, sizeof(out->media_type), "%s", HVC_MT_LAYER_TGZ);
	_cleanup_free_ char *path = hvc_image_blob_path(s, out->digest);
	int rc = 0;
	if (hvc_path_exists(path))
		unlink(w->tmp);
	else if (rename(w->tmp, path) < 0)
		rc = hvc_err(err, errno, "install layer blob %s", out->digest);
	free(w->tmp);
	w->tmp = NULL;
	lw_abort(w);
	return rc;
}

/* Writes entry (and, for the first copy of a regular file, its data from fd). */
static int lw_entry(struct layer_writer *w, struct archive_entry *e, int data_fd,
		    struct hvc_error *err)
{
	struct archive_entry *spare = NULL;
	archive_entry_linkify(w->links, &e, &spare);
	int rc = 0;
	if (e) {
		rc = lw_header(w, e, err);
		if (rc == 0 && data_fd >= 0 && archive_entry_size(e) > 0) {
			char buf[1 << 16];
			for (;;) {
				ssize_t r = read(data_fd, buf, sizeof(buf));
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0) {
					rc = hvc_err(err, errno, "read `%s`",
						     archive_entry_pathname(e));
					break;
				}
				if (r == 0)
					break;
				if (archive_write_data(w->tar, buf, (size_t)r) < 0) {
					rc = lw_fail(w, err, archive_entry_pathname(e));
					break;
				}
			}
		}
	}
	if (spare)
		archive_entry_free(spare);
	return rc;
}

/* ---------- from a directory ------------------------------------------- */

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void add_xattrs(struct archive_entry *e, int dirfd, const char *name, bool *opaque)
{
	_cleanup_free_ char *proc = hvc_strdup_printf("/proc/self/fd/%d/%s", dirfd, name);
	char list[4096];
	ssize_t n = llistxattr(proc, list, sizeof(list));
	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(list + off) + 1) {
		const char *k = list + off;
		char val[4096];
		ssize_t vl = lgetxattr(proc, k, val, sizeof(val));
		if (vl < 0)
			continue;
		if (!strcmp(k, "trusted.overlay.opaque")) {
			if (opaque && vl >= 1 && val[0] == 'y')
				*opaque = true;
			continue;
		}
		/* overlayfs bookkeeping and security labels do not belong in an image */
		if (hvc_str_has_prefix(k, "trusted.") || !strcmp(k, "security.selinux"))
			continue;
		archive_entry_xattr_add_entry(e, k, val, (size_t)vl);
	}
}

/* An empty regular file that stands for something in OCI form: a whiteout
 * (`.wh.NAME`) or an opaque directory (`DIR/.wh..wh..opq`). */
static int lw_marker(struct layer_writer *w, const char *path, time_t mtime, struct hvc_error *err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	archive_entry_set_mtime(e, mtime, 0);
	int rc = lw_entry(w, e, -1, err);
	archive_entry_free(e);
	return rc;
}

static int walk_dir(struct layer_writer *w, int dirfd, const char *rel, struct hvc_error *err);

static int walk_symlink(struct layer_writer *w, struct archive_entry *e, int dirfd,
			const char *name, const char *path, struct hvc_error *err)
{
	char target[4096];
	ssize_t tl = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (tl < 0)
		return hvc_err(err, errno, "readlink `%s/%s`", w->src, path);
	target[tl] = '\0';
	archive_entry_set_symlink(e, target);
	return lw_entry(w, e, -1, err);
}

static int walk_file(struct layer_writer *w, struct archive_entry *e, int dirfd, const char *name,
		     const char *path, struct hvc_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s/%s`", w->src, path);
	return lw_entry(w, e, fd, err);
}

/* The directory's entry, its opaque marker when overlayfs made it opaque,
 * then its contents. */
static int walk_subdir(struct layer_writer *w, struct archive_entry *e, int dirfd, const char *name,
		       const char *path, bool opaque, struct hvc_error *err)
{
	if (lw_entry(w, e, -1, err) < 0)
		return -1;
	if (opaque) {
		_cleanup_free_ char *opq = hvc_strdup_printf("%s/.wh..wh..opq", path);
		if (lw_marker(w, opq, archive_entry_mtime(e), err) < 0)
			return -1;
	}
	_cleanup_close_ int sub =
	    openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return hvc_err(err, errno, "open `%s/%s`", w->src, path);
	return walk_dir(w, sub, path, err);
}

static int walk_entry(struct layer_writer *w, int dirfd, const char *rel, const char *name,
		      struct hvc_error *err)
{
	_cleanup_free_ char *path =
	    *rel ? hvc_strdup_printf("%s/%s", rel, name) : hvc_xstrdup(name);
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hvc_err(err, errno, "stat `%s/%s`", w->src, path);
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		/* an overlayfs whiteout (an upper dir of a build step): OCI form */
		_cleanup_free_ char *wh = *rel ? hvc_strdup_printf("%s/.wh.%s", rel, name)
					       : hvc_strdup_printf(".wh.%s", name);
		return lw_marker(w, wh, st.st_mtime, err);
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
		hvc_warn("layer from `%s`: skipped %s `%s` (the runtime provides /dev)", w->src,
			 S_ISSOCK(st.st_mode) ? "socket" : "device node", path);
		return 0;
	}
	struct archive_entry *e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, path);
	archive_entry_set_uname(e, NULL);
	archive_entry_set_gname(e, NULL);
	bool opaque = false;
	add_xattrs(e, dirfd, name, &opaque);
	int rc;
	if (S_ISLNK(st.st_mode))
		rc = walk_symlink(w, e, dirfd, name, path, err);
	else if (S_ISREG(st.st_mode))
		rc = walk_file(w, e, dirfd, name, path, err);
	else if (S_ISDIR(st.st_mode))
		rc = walk_subdir(w, e, dirfd, name, path, opaque, err);
	else /* fifo */
		rc = lw_entry(w, e, -1, err);
	archive_entry_free(e);
	return rc;
}

/* Every entry of dirfd (rel inside the source), sorted by name: deterministic layers. */
static int walk_dir(struct layer_writer *w, int dirfd, const char *rel, struct hvc_error *err)
{
	_cleanup_free_ char *proc = hvc_strdup_printf("/proc/self/fd/%d", dirfd);
	struct dirent **names = NULL;
	int n = scandir(proc, &names, NULL, cmp_names);
	if (n < 0)
		return hvc_err(err, errno, "read directory `%s/%s`", w->src, rel);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (rc == 0 && strcmp(name, ".") && strcmp(name, ".."))
			rc = walk_entry(w, dirfd, rel, name, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

int hvc_image_layer_from_dir(struct hvc_image_store *s, const char *dir,
			     struct hvc_image_layer *out, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open directory `%s`", dir);
	struct layer_writer w;
	if (lw_open(s, &w, dir, err) < 0)
		return -1;
	if (walk_dir(&w, fd, "", err) < 0) {
		lw_abort(&w);
		return -1;
	}
	return lw_finish(s, &w, out, err);
}

/* ---------- from a tar file -------------------------------------------- */

int hvc_image_layer_from_tar(struct hvc_image_store *s, const char *tar_path,
			     struct hvc_image_layer *out, bool *has_sh, struct hvc_error *err)
{
	struct archive *in = archive_read_new();
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	if (archive_read_open_filename(in, tar_path, 1 << 16) != ARCHIVE_OK) {
		int rc = hvc_image_err(err, archive_errno(in) > 0 ? archive_errno(in) : EINVAL,
				       "read `%s`: %s", tar_path,
				       archive_error_string(in) ?: "not a tar file");
		archive_read_free(in);
		return rc;
	}
	struct layer_writer w;
	if (lw_open(s, &w, tar_path, err) < 0) {
		archive_read_free(in);
		return -1;
	}
	if (has_sh)
		*has_sh = false;
	int rc = 0, r;
	struct archive_entry *e;
	while (rc == 0 && (r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		_cleanup_free_ char *orig = strdup(archive_entry_pathname(e) ?: "");
		_cleanup_free_ char *name = strdup(orig);
		const char *why = hvc_image_member_path_problem(orig);
		if (why) {
			rc = hvc_image_err(err, EINVAL, "`%s`: member `%s`: %s", tar_path, orig,
					   why);
			break;
		}
		hvc_image_member_path_clean(name);
		if (!*name)
			continue; /* "./": the root itself */
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
			hvc_warn("import `%s`: skipped %s `%s` (the runtime provides /dev)",
				 tar_path, type == AE_IFSOCK ? "socket" : "device node", orig);
			continue;
		}
		archive_entry_set_pathname(e, name);
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			_cleanup_free_ char *h = strdup(hl);
			if ((why = hvc_image_member_path_problem(h))) {
				rc = hvc_image_err(err, EINVAL,
						   "`%s`: member `%s`: hard link target `%s`: %s",
						   tar_path, orig, hl, why);
				break;
			}
			archive_entry_set_hardlink(e, hvc_image_member_path_clean(h));
		}
		if (has_sh && !strcmp(name, "bin/sh"))
			*has_sh = true;
		if ((rc = lw_header(&w, e, err)) < 0)
			break;
		const void *buf;
		size_t len;
		la_int64_t off;
		while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
			if (archive_write_data(w.tar, buf, len) < 0) {
				rc = lw_fail(&w, err, name);
				break;
			}
		if (rc == 0 && r != ARCHIVE_EOF)
			rc = hvc_err(err, EIO, "read `%s`: member `%s`: %s", tar_path, orig,
				     archive_error_string(in));
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = hvc_err(err, EIO, "read `%s`: %s", tar_path, archive_error_string(in));
	archive_read_free(in);
	if (rc < 0) {
		lw_abort(&w);
		return rc;
	}
	return lw_finish(s, &w, out, err);
}
