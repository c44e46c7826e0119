/* vmdriver/initramfs: newc cpio archives (what the kernel unpacks into its
 * rootfs) written with libarchive. Entries are sorted and their times zeroed so
 * that one tree always gives the same bytes; each entry has its own inode
 * number and nlink 1 because the kernel's unpacker turns entries sharing an
 * inode into hard links and would then drop the second copy's data. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "hvc/vm.h"

int hvc_vm_compress_parse(const char *s)
{
	if (!strcmp(s, "none"))
		return HVC_VM_COMPRESS_NONE;
	if (!strcmp(s, "gzip"))
		return HVC_VM_COMPRESS_GZIP;
	if (!strcmp(s, "lz4"))
		return HVC_VM_COMPRESS_LZ4;
	if (!strcmp(s, "zstd"))
		return HVC_VM_COMPRESS_ZSTD;
	return -1;
}

struct cpio {
	struct archive *a;
	const char *out;
	const struct hvc_vm_cpio_extra *extras;
	size_t n_extras;
	int64_t ino;
	char **dirs; /* parents already written for extras */
	struct hvc_error *err;
};

static int arch_err(struct cpio *c, const char *what)
{
	return hvc_err(c->err, archive_errno(c->a) > 0 ? archive_errno(c->a) : 0, "write `%s`: %s: %s",
		       c->out, what, archive_error_string(c->a) ? archive_error_string(c->a) : "failed");
}

static int write_data_fd(struct cpio *c, int fd, const char *src)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hvc_err(c->err, errno, "read `%s`", src);
		if (r == 0)
			return 0;
		if (archive_write_data(c->a, buf, (size_t)r) != r)
			return arch_err(c, src);
	}
}

static struct archive_entry *new_entry(struct cpio *c, const char *path, mode_t mode, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, size);
	archive_entry_set_nlink(e, 1);
	archive_entry_set_ino64(e, ++c->ino);
	archive_entry_set_mtime(e, 0, 0);
	return e;
}

static bool is_extra(struct cpio *c, const char *path)
{
	for (size_t i = 0; i < c->n_extras; i++)
		if (!strcmp(c->extras[i].path, path))
			return true;
	return false;
}

static int add_tree(struct cpio *c, const char *host, const char *rel)
{
	struct dirent **names = NULL;
	int n = scandir(host, &names, NULL, alphasort);
	if (n < 0)
		return hvc_err(c->err, errno, "read directory `%s`", host);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (rc < 0 || !strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		_cleanup_free_ char *hp = hvc_path_join(host, nm);
		_cleanup_free_ char *rp = rel[0] ? hvc_path_join(rel, nm) : strdup(nm);
		if (is_extra(c, rp))
			continue;
		struct stat st;
		if (lstat(hp, &st) < 0) {
			rc = hvc_err(c->err, errno, "stat `%s`", hp);
			continue;
		}
		bool reg = S_ISREG(st.st_mode);
		struct archive_entry *e = new_entry(c, rp, st.st_mode, reg ? st.st_size : 0);
		archive_entry_set_uid(e, st.st_uid);
		archive_entry_set_gid(e, st.st_gid);
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t tl = readlink(hp, target, sizeof(target) - 1);
			if (tl < 0) {
				archive_entry_free(e);
				rc = hvc_err(c->err, errno, "readlink `%s`", hp);
				continue;
			}
			target[tl] = '\0';
			archive_entry_set_symlink(e, target);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			archive_entry_set_rdev(e, st.st_rdev);
		}
		if (archive_write_header(c->a, e) != ARCHIVE_OK)
			rc = arch_err(c, rp);
		archive_entry_free(e);
		if (rc < 0)
			continue;
		if (reg) {
			_cleanup_close_ int fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				rc = hvc_err(c->err, errno, "open `%s`", hp);
			else
				rc = write_data_fd(c, fd, hp);
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_tree(c, hp, rp);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Parent directories of an extra ("hvc/modules/x.ko" needs "hvc", "hvc/modules"). */
static int add_parents(struct cpio *c, const char *path, const char *rootdir)
{
	_cleanup_free_ char *p = strdup(path);
	for (char *s = p; (s = strchr(s, '/')); s++) {
		*s = '\0';
		_cleanup_free_ char *host = rootdir ? hvc_path_join(rootdir, p) : NULL;
		bool in_tree = host && hvc_path_exists(host);
		bool done = false;
		for (size_t i = 0; c->dirs && c->dirs[i]; i++)
			done = done || !strcmp(c->dirs[i], p);
		if (!in_tree && !done && !is_extra(c, p)) {
			if (hvc_strv_push(&c->dirs, p) < 0)
				return hvc_err(c->err, ENOMEM, "cpio");
			struct archive_entry *e = new_entry(c, p, S_IFDIR | 0755, 0);
			int r = archive_write_header(c->a, e);
			archive_entry_free(e);
			if (r != ARCHIVE_OK)
				return arch_err(c, p);
		}
		*s = '/';
	}
	return 0;
}

static int add_extra(struct cpio *c, const struct hvc_vm_cpio_extra *x, const char *rootdir)
{
	if (add_parents(c, x->path, rootdir) < 0)
		return -1;
	_cleanup_close_ int fd = -1;
	int64_t size = (int64_t)x->len;
	if (x->src) {
		fd = open(x->src, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			return hvc_err(c->err, errno, "open `%s`", x->src);
		size = st.st_size;
	}
	mode_t type = (x->mode & S_IFMT) ? 0 : S_IFREG;
	struct archive_entry *e = new_entry(c, x->path, type | x->mode, S_ISDIR(x->mode) ? 0 : size);
	int r = archive_write_header(c->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return arch_err(c, x->path);
	if (S_ISDIR(x->mode))
		return 0;
	if (x->src)
		return write_data_fd(c, fd, x->src);
	if (x->len && archive_write_data(c->a, x->data, x->len) != (la_ssize_t)x->len)
		return arch_err(c, x->path);
	return 0;
}

static int lz4_legacy(const char *path, struct hvc_error *err)
{
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.lz4", path);
	char *argv[] = { "lz4", "-l", "-9", "-q", "-f", (char *)path, tmp, NULL };
	_cleanup_free_ char *msg = NULL;
	int rc = hvc_spawn_capture(argv, &msg, true, 120000, err);
	if (rc != 0) {
		unlink(tmp);
		return rc < 0 ? hvc_error_prefix(err, "lz4 (apt-get install lz4)")
			      : hvc_err(err, EIO, "lz4 -l `%s`: %s", path, msg ? hvc_str_trim(msg) : "");
	}
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return hvc_err(err, errno, "rename `%s`", tmp);
	}
	return 0;
}

int hvc_vm_cpio_write(const char *out, const char *rootdir, const struct hvc_vm_cpio_extra *extras,
		      size_t n_extras, enum hvc_vm_compress comp, struct hvc_error *err)
{
	struct cpio c = { .out = out, .extras = extras, .n_extras = n_extras, .err = err };
	c.a = archive_write_new();
	if (!c.a)
		return hvc_err(err, ENOMEM, "write `%s`", out);
	int rc = 0;
	archive_write_set_format_cpio_newc(c.a);
	switch (comp) {
	case HVC_VM_COMPRESS_NONE: archive_write_add_filter_none(c.a); break;
	case HVC_VM_COMPRESS_GZIP:
		archive_write_add_filter_gzip(c.a);
		/* the kernel's inflate speed hardly depends on the level; -6 is smaller */
		archive_write_set_filter_option(c.a, "gzip", "compression-level", "6");
		break;
	case HVC_VM_COMPRESS_LZ4:
		/* the kernel's unlz4 reads only the legacy frame format, which
		 * libarchive does not write: plain cpio here, `lz4 -l` below */
		archive_write_add_filter_none(c.a);
		break;
	case HVC_VM_COMPRESS_ZSTD: archive_write_add_filter_zstd(c.a); break;
	}
	archive_write_set_bytes_in_last_block(c.a, 1);
	if (archive_write_open_filename(c.a, out) != ARCHIVE_OK)
		rc = arch_err(&c, "open");
	if (rc == 0 && rootdir)
		rc = add_tree(&c, rootdir, "");
	for (size_t i = 0; rc == 0 && i < n_extras; i++)
		rc = add_extra(&c, &extras[i], rootdir);
	if (archive_write_close(c.a) != ARCHIVE_OK && rc == 0)
		rc = arch_err(&c, "close");
	archive_write_free(c.a);
	hvc_strv_free(c.dirs);
	if (rc == 0 && comp == HVC_VM_COMPRESS_LZ4)
		rc = lz4_legacy(out, err);
	if (rc < 0)
		unlink(out);
	return rc;
}
