/* util/fs: file helpers. Writes that must survive a crash go through
 * hvc_write_file_atomic: temp file beside the target, fsync, rename, fsync dir. */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hvc/util.h"

int hvc_read_file(const char *path, char **data, size_t *len, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", path);
	size_t cap = 4096, n = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return hvc_err(err, ENOMEM, "read `%s`", path);
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return hvc_err(err, ENOMEM, "read `%s`", path);
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return hvc_err(err, errno, "read `%s`", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*data = steal_pointer(&buf);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int hvc_write_file(const char *path, const void *data, size_t len, mode_t mode,
		   struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", path);
	if (write_all(fd, data, len) < 0)
		return hvc_err(err, errno, "write `%s`", path);
	return 0;
}

int hvc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct hvc_error *err)
{
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp.XXXXXX", path);
	_cleanup_free_ char *dircopy = strdup(path);
	if (!tmp || !dircopy)
		return hvc_err(err, ENOMEM, "write `%s`", path);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "create temporary file for `%s`", path);
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "write `%s`", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "rename `%s` to `%s`", tmp, path);
	}
	_cleanup_close_ int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

int hvc_mkdir_p(const char *path, mode_t mode, struct hvc_error *err)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return hvc_err(err, ENOMEM, "mkdir `%s`", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "mkdir `%s`", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return hvc_err(err, errno, "mkdir `%s`", p);
	return 0;
}

static int rm_at(int dir_fd, const char *name, dev_t dev, struct hvc_error *err,
		 const char *top)
{
	struct stat st;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "stat `%s` in `%s`", name, top);
	if (S_ISDIR(st.st_mode)) {
		if (st.st_dev != dev)
			return hvc_err(err, EBUSY, "remove `%s`: `%s` is a mount point", top, name);
		int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hvc_err(err, errno, "open `%s` in `%s`", name, top);
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return hvc_err(err, errno, "opendir `%s`", name);
		}
		struct dirent *de;
		int rc = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if ((rc = rm_at(dirfd(d), de->d_name, dev, err, top)) < 0)
				break;
		}
		closedir(d);
		if (rc < 0)
			return rc;
		if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return hvc_err(err, errno, "rmdir `%s` in `%s`", name, top);
		return 0;
	}
	if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
		return hvc_err(err, errno, "unlink `%s` in `%s`", name, top);
	return 0;
}

int hvc_rm_rf(const char *path, struct hvc_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "stat `%s`", path);
	return rm_at(AT_FDCWD, path, st.st_dev, err, path);
}

bool hvc_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *hvc_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	return hvc_strdup_printf("%.*s/%s", (int)la, a, b);
}

int hvc_copy_file(const char *src, const char *dst, mode_t mode, struct hvc_error *err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hvc_err(err, errno, "open `%s`", src);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0)
		return hvc_err(err, errno, "create `%s`", dst);
	char buf[65536];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hvc_err(err, errno, "read `%s`", src);
		if (r == 0)
			break;
		if (write_all(out, buf, (size_t)r) < 0)
			return hvc_err(err, errno, "write `%s`", dst);
	}
	return 0;
}
