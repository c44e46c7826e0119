/* engine/image/layer_diff: a directory of changes (an overlayfs upper dir after a
 * RUN, or a COPY staging dir) -> one OCI layer (gzip tar) with its digest and
 * diff_id. Overlay's own whiteout forms become OCI whiteouts: a 0/0 character
 * device -> ".wh.NAME", an opaque directory -> "DIR/.wh..wh..opq".
 *
 * The same tar stream is written to two libarchive writers: one plain (hashed
 * for the diff_id) and one gzip (hashed for the digest, written to the blob
 * file). Entries are emitted in byte-sorted order with uid/gid numeric only and
 * whole-second mtimes, so an unchanged tree gives the same bytes. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "hvc/build.h"

struct sink {
	EVP_MD_CTX *md;
	int fd; /* -1: hash only */
	uint64_t bytes;
	int werr;
};

static la_ssize_t sink_write(struct archive *a, void *opaque, const void *buf, size_t len)
{
	(void)a;
	struct sink *s = opaque;
	EVP_DigestUpdate(s->md, buf, len);
	s->bytes += len;
	if (s->fd >= 0) {
		const char *p = buf;
		size_t left = len;
		while (left) {
			ssize_t n = write(s->fd, p, left);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				s->werr = errno;
				return -1;
			}
			p += n;
			left -= (size_t)n;
		}
	}
	return (la_ssize_t)len;
}

static void sink_digest(struct sink *s, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(s->md, md, &n);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

struct walk {
	struct archive *w[2]; /* [0] plain, [1] gzip */
	struct archive_entry_linkresolver *links;
	const char *root;
	struct hvc_error *err;
	const struct sink *sinks; /* w[i] writes through sinks[i] */
};

static int ar_fail(struct walk *wk, struct archive *a, const char *what, const char *path)
{
	/* the sink's own errno (ENOSPC ...): libarchive would only say EIO */
	for (int i = 0; i < 2 && wk->sinks; i++)
		if (wk->w[i] == a && wk->sinks[i].werr)
			return hvc_err(wk->err, wk->sinks[i].werr, "%s `%s`", what, path);
	return hvc_err(wk->err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "%s `%s`: %s", what, path,
		       archive_error_string(a) ? archive_error_string(a) : "archive error");
}

static int write_header(struct walk *wk, struct archive_entry *e)
{
	for (int i = 0; i < 2; i++)
		if (archive_write_header(wk->w[i], e) != ARCHIVE_OK)
			return ar_fail(wk, wk->w[i], "write tar header", archive_entry_pathname(e));
	return 0;
}

static int write_data(struct walk *wk, const void *buf, size_t n, const char *path)
{
	for (int i = 0; i < 2; i++)
		if (archive_write_data(wk->w[i], buf, n) < 0)
			return ar_fail(wk, wk->w[i], "write tar data", path);
	return 0;
}

/* An empty regular file entry (whiteouts). */
static int write_marker(struct walk *wk, const char *rel, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, st ? st->st_mtime : 0, 0);
	int r = write_header(wk, e);
	archive_entry_free(e);
	return r;
}

static bool is_opaque(const char *path)
{
	char v[8];
	ssize_t n = lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v));
	if (n < 0)
		n = lgetxattr(path, "user.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static int write_file_body(struct walk *wk, const char *abs, const char *rel, int64_t size)
{
	_cleanup_close_ int fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(wk->err, errno, "open `%s`", abs);
	char buf[65536];
	int64_t left = size;
	while (left > 0) {
		ssize_t n = read(fd, buf, sizeof(buf) < (size_t)left ? sizeof(buf) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hvc_err(wk->err, errno, "read `%s`", abs);
		if (n == 0)
			return hvc_err(wk->err, EIO, "`%s` shrank while being archived", abs);
		if (write_data(wk, buf, (size_t)n, rel) < 0)
			return -EIO;
		left -= n;
	}
	return 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int no_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

static int walk_dir(struct walk *wk, const char *rel);

static int walk_entry(struct walk *wk, const char *rel, const char *name)
{
	_cleanup_free_ char *abs = hvc_path_join(wk->root, rel);
	if (!abs)
		return hvc_err(wk->err, ENOMEM, "layer");
	struct stat st;
	if (lstat(abs, &st) < 0)
		return hvc_err(wk->err, errno, "stat `%s`", abs);

	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) {
		/* overlay whiteout: NAME was deleted */
		size_t dl = (size_t)(name - rel);
		_cleanup_free_ char *wh = hvc_strdup_printf("%.*s.wh.%s", (int)dl, rel, name);
		return wh ? write_marker(wk, wh, &st) : hvc_err(wk->err, ENOMEM, "layer");
	}
	if (S_ISSOCK(st.st_mode)) {
		hvc_debug("layer: skipping socket %s", abs);
		return 0;
	}

	struct archive_entry *e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, rel);
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlink(abs, target, PATH_MAX);
		if (n < 0) {
			archive_entry_free(e);
			return hvc_err(wk->err, errno, "readlink `%s`", abs);
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	if (S_ISDIR(st.st_mode))
		archive_entry_set_size(e, 0);

	struct archive_entry *spare = NULL;
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		archive_entry_linkify(wk->links, &e, &spare); /* later names of one inode become hardlinks */
	int r = 0;
	if (e) {
		bool body = S_ISREG(st.st_mode) && archive_entry_size(e) > 0;
		r = write_header(wk, e);
		if (!r && body)
			r = write_file_body(wk, abs, rel, archive_entry_size(e));
		archive_entry_free(e);
	}
	if (spare)
		archive_entry_free(spare);
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode)) {
		if (is_opaque(abs)) {
			_cleanup_free_ char *opq = hvc_strdup_printf("%s/.wh..wh..opq", rel);
			if (!opq || write_marker(wk, opq, &st) < 0)
				return -EIO;
		}
		return walk_dir(wk, rel);
	}
	return 0;
}

static int walk_dir(struct walk *wk, const char *rel)
{
	_cleanup_free_ char *abs = rel ? hvc_path_join(wk->root, rel) : strdup(wk->root);
	if (!abs)
		return hvc_err(wk->err, ENOMEM, "layer");
	struct dirent **names = NULL;
	int n = scandir(abs, &names, no_dots, cmp_names);
	if (n < 0)
		return hvc_err(wk->err, errno, "read directory `%s`", abs);
	int r = 0;
	for (int i = 0; i < n; i++) {
		if (!r) {
			_cleanup_free_ char *child =
				rel ? hvc_strdup_printf("%s/%s", rel, names[i]->d_name) : strdup(names[i]->d_name);
			if (!child)
				r = hvc_err(wk->err, ENOMEM, "layer");
			else
				r = walk_entry(wk, child, child + strlen(child) - strlen(names[i]->d_name));
		}
		free(names[i]);
	}
	free(names);
	return r;
}

/* One layer being written: the plain and gzip sinks and the walk that feeds
 * both writers. */
struct layer_out {
	struct sink s[2];
	struct walk wk;
};

static void layer_out_free(struct layer_out *o)
{
	for (int i = 0; i < 2; i++) {
		if (o->wk.w[i])
			archive_write_free(o->wk.w[i]);
		EVP_MD_CTX_free(o->s[i].md);
	}
	if (o->wk.links)
		archive_entry_linkresolver_free(o->wk.links);
}

static int open_writers(struct layer_out *o, const char *blob_path, struct hvc_error *err)
{
	struct walk *wk = &o->wk;
	wk->sinks = o->s;
	o->s[0].md = EVP_MD_CTX_new();
	o->s[1].md = EVP_MD_CTX_new();
	if (!o->s[0].md || !o->s[1].md || !EVP_DigestInit_ex(o->s[0].md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(o->s[1].md, EVP_sha256(), NULL))
		return hvc_err(err, ENOMEM, "sha256");
	wk->links = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(wk->links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	for (int i = 0; i < 2; i++) {
		wk->w[i] = archive_write_new();
		archive_write_set_format_pax_restricted(wk->w[i]);
		archive_write_set_bytes_in_last_block(wk->w[i], 1); /* no padding beyond the tar's own end */
		if (i == 1) {
			archive_write_add_filter_gzip(wk->w[i]);
			archive_write_set_filter_option(wk->w[i], "gzip", "timestamp", NULL); /* reproducible */
		}
		if (archive_write_open2(wk->w[i], &o->s[i], NULL, sink_write, NULL, NULL) != ARCHIVE_OK)
			return ar_fail(wk, wk->w[i], "open layer writer", blob_path);
	}
	return 0;
}

static int close_writers(struct layer_out *o, int fd, const char *blob_path, struct hvc_error *err)
{
	for (int i = 0; i < 2; i++)
		if (archive_write_close(o->wk.w[i]) != ARCHIVE_OK)
			return o->s[i].werr ? hvc_err(err, o->s[i].werr, "write `%s`", blob_path)
					    : ar_fail(&o->wk, o->wk.w[i], "finish layer", blob_path);
	if (fsync(fd) < 0)
		return hvc_err(err, errno, "fsync `%s`", blob_path);
	return 0;
}

int hvc_layer_from_dir(const char *dir, const char *blob_path, struct hvc_layer_blob *out, struct hvc_error *err)
{
	__attribute__((cleanup(layer_out_free))) struct layer_out o = {
		.s = { { .fd = -1 }, { .fd = -1 } },
		.wk = { .root = dir, .err = err },
	};
	_cleanup_close_ int fd = open(blob_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return hvc_err(err, errno, "create `%s`", blob_path);
	o.s[1].fd = fd;
	/* Both writers see the same linkified entries, so one resolver is enough. */
	int r = open_writers(&o, blob_path, err);
	if (r == 0)
		r = walk_dir(&o.wk, NULL);
	if (r == 0)
		r = close_writers(&o, fd, blob_path, err);
	if (r < 0) {
		unlink(blob_path);
		return r;
	}
	memset(out, 0, sizeof(*out));
	sink_digest(&o.s[0], out->diff_id);
	sink_digest(&o.s[1], out->digest);
	out->tar_size = o.s[0].bytes;
	out->size = o.s[1].bytes;
	return 0;
}
