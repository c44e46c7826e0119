/* engine/build/build_copy: COPY and ADD sources from the build context: resolving
 * them (simple globs, never outside the context), hashing their content for
 * the build cache, and copying them into a staging directory that becomes the
 * step's layer. ADD unpacks local tar archives (through the image store's
 * safe extractor). */
#include "build_internal.h"
#include "hvc/build.h"
#include "hvc/image.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hvc_build_context_open(const char *dir, struct hvc_build_context *c, struct hvc_error *err)
{
	memset(c, 0, sizeof(*c));
	if (!realpath(dir, c->root))
		return hvc_err(err, errno, "build context `%s`", dir);
	_cleanup_free_ char *ig = hvc_path_join(c->root, ".dockerignore");
	char *text = NULL;
	size_t len;
	if (ig && hvc_path_exists(ig)) {
		if (hvc_read_file(ig, &text, &len, err) < 0)
			return -1;
		int r = hvc_build_ignore_parse(text, &c->ignore, err);
		free(text);
		if (r < 0)
			return r;
	}
	return 0;
}

void hvc_build_context_clear(struct hvc_build_context *c)
{
	hvc_strv_free(c->ignore);
	c->ignore = NULL;
}

/* Context-relative form of a path under the context root ("" for the root). */
static const char *ctx_rel(const struct hvc_build_context *c, const char *abs)
{
	size_t l = strlen(c->root);
	if (strncmp(abs, c->root, l))
		return abs;
	return abs[l] == '/' ? abs + l + 1 : abs + l;
}

static bool ctx_excluded(const struct hvc_build_context *c, const char *abs)
{
	if (!c || !c->ignore)
		return false;
	const char *rel = ctx_rel(c, abs);
	return *rel && hvc_build_ignore_match(c->ignore, rel);
}

/* Expands one source into absolute paths inside the context. */
static int resolve_source(const struct hvc_build_context *c, const char *src, char ***out,
			  struct hvc_error *err)
{
	const char *ctx_real = c->root;
	bool esc;
	_cleanup_free_ char *clean = hvc_build_path_clean(src, &esc);
	if (!clean)
		return hvc_err(err, ENOMEM, "copy");
	if (esc)
		return hvc_err(err, 0, "%s: forbidden path outside the build context", src), -EPERM;
	_cleanup_free_ char *pat = *clean ? hvc_path_join(ctx_real, clean) : strdup(ctx_real);
	if (!pat)
		return hvc_err(err, ENOMEM, "copy");
	_cleanup_strv_ char **cands = NULL;
	if (strpbrk(clean, "*?[")) {
		glob_t g;
		int r = glob(pat, GLOB_NOSORT, NULL, &g);
		if (r == GLOB_NOMATCH)
			return hvc_err(err, 0,
				       "%s: no source files were specified (the pattern matched "
				       "nothing)",
				       src),
			       -ENOENT;
		if (r != 0)
			return hvc_err(err, EIO, "glob `%s`", src);
		for (size_t i = 0; i < g.gl_pathc; i++)
			hvc_strv_push(&cands, g.gl_pathv[i]);
		globfree(&g);
		qsort(cands, hvc_strv_len(cands), sizeof(char *), cmp_str);
	} else {
		hvc_strv_push(&cands, pat);
	}
	bool globbed = strpbrk(clean, "*?[") != NULL;
	size_t added = 0;
	for (size_t i = 0; cands && cands[i]; i++) {
		/* The source itself may be a symlink; what it names must stay inside. */
		char real[PATH_MAX];
		if (!realpath(cands[i], real)) {
			if (errno == ENOENT)
				return hvc_err(err, 0,
					       "%s: no such file or directory in the build context",
					       src),
				       -ENOENT;
			return hvc_err(err, errno, "%s", src);
		}
		size_t cl = strlen(ctx_real);
		if (strncmp(real, ctx_real, cl) || (real[cl] != '/' && real[cl] != '\0'))
			return hvc_err(err, 0,
				       "%s: forbidden path outside the build context (resolves to "
				       "`%s`)",
				       src, real),
			       -EPERM;
		if (ctx_excluded(c, cands[i]) || ctx_excluded(c, real)) {
			if (globbed)
				continue;
			return hvc_err(err, 0,
				       "%s: excluded from the build context by .dockerignore", src),
			       -ENOENT;
		}
		if (hvc_strv_push(out, real) < 0)
			return hvc_err(err, ENOMEM, "copy");
		added++;
	}
	if (globbed && added == 0)
		return hvc_err(
			   err, 0,
			   "%s: no source files were specified (all matches are in .dockerignore)",
			   src),
		       -ENOENT;
	return 0;
}

int hvc_build_copy_resolve(const struct hvc_build_context *c, char *const *srcs, char ***abs,
			   struct hvc_error *err)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return hvc_err(err, ENOMEM, "copy");
	for (size_t i = 0; srcs[i]; i++) {
		if (strstr(srcs[i], "://"))
			return hvc_err(
				   err, 0,
				   "%s: URLs are not supported (only files from the build context)",
				   srcs[i]),
			       -ENOTSUP;
		int r = resolve_source(c, srcs[i], &v, err);
		if (r < 0)
			return r;
	}
	*abs = steal_pointer(&v);
	return 0;
}

int hvc_build_parse_chmod(const char *s, struct hvc_error *err)
{
	char *end;
	errno = 0;
	long m = strtol(s, &end, 8);
	if (!*s || *end || errno || m < 0 || m > 07777)
		return hvc_err(err, 0, "--chmod=%s: expected an octal mode such as 644 or 0755", s),
		       -EINVAL;
	return (int)m;
}

/* ---------- content digest for the cache ----------------------------------- */
static void hash_tree(const struct hvc_build_context *c, EVP_MD_CTX *md, const char *path,
		      const char *rel, int depth)
{
	struct stat st;
	if (lstat(path, &st) < 0 || depth > 64)
		return;
	char head[PATH_MAX + 64];
	int n = snprintf(head, sizeof(head), "%s\n%o\n", rel, (unsigned)st.st_mode);
	EVP_DigestUpdate(md, head, (size_t)n);
	if (S_ISLNK(st.st_mode)) {
		char t[PATH_MAX];
		ssize_t l = readlink(path, t, sizeof(t));
		if (l > 0)
			EVP_DigestUpdate(md, t, (size_t)l);
	} else if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		char buf[65536];
		ssize_t r;
		while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
			EVP_DigestUpdate(md, buf, (size_t)r);
		if (fd >= 0)
			close(fd);
	} else if (S_ISDIR(st.st_mode)) {
		struct dirent **names = NULL;
		int k = scandir(path, &names, NULL, alphasort);
		for (int i = 0; i < k; i++) {
			if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
				_cleanup_free_ char *ch = hvc_path_join(path, names[i]->d_name);
				_cleanup_free_ char *cr =
				    hvc_strdup_printf("%s/%s", rel, names[i]->d_name);
				if (ch && cr && !ctx_excluded(c, ch))
					hash_tree(c, md, ch, cr, depth + 1);
			}
			free(names[i]);
		}
		free(names);
	}
	EVP_DigestUpdate(md, "\n", 1);
}

void hvc_build_copy_digest(const struct hvc_build_context *c, char *const *abs, char out[72])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; abs[i]; i++) {
		const char *base = strrchr(abs[i], '/');
		hash_tree(c, md, abs[i], base ? base + 1 : abs[i], 0);
	}
	unsigned char d[32];
	unsigned int l;
	EVP_DigestFinal_ex(md, d, &l);
	EVP_MD_CTX_free(md);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", d[i]);
}

/* ---------- copying --------------------------------------------------------- */
static int copy_tree(const struct hvc_build_context *c, const char *src, const char *dst,
		     const struct hvc_build_copy_owner *o, struct hvc_error *err);

static int copy_entry(const struct hvc_build_context *c, const char *src, const char *dst,
		      const struct stat *st, const struct hvc_build_copy_owner *o,
		      struct hvc_error *err)
{
	mode_t mode = o->mode >= 0 ? (mode_t)o->mode : st->st_mode & 07777;
	if (S_ISDIR(st->st_mode)) {
		if (mkdir(dst, 0700) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "mkdir `%s`", dst);
		int r = copy_tree(c, src, dst, o, err);
		if (r < 0)
			return r;
		chmod(dst, mode);
	} else if (S_ISLNK(st->st_mode)) {
		char t[PATH_MAX];
		ssize_t l = readlink(src, t, sizeof(t) - 1);
		if (l < 0)
			return hvc_err(err, errno, "readlink `%s`", src);
		t[l] = '\0';
		unlink(dst);
		if (symlink(t, dst) < 0)
			return hvc_err(err, errno, "symlink `%s`", dst);
	} else if (S_ISREG(st->st_mode)) {
		unlink(dst);
		int r = hvc_copy_file(src, dst, mode, err);
		if (r < 0)
			return r;
		chmod(dst, mode);
	} else {
		hvc_warn("COPY: skipping `%s` (not a file, directory or symlink)", src);
		return 0;
	}
	/* root-owned unless --chown, as Docker's COPY */
	if (lchown(dst, o->uid, o->gid) < 0 && errno != EPERM)
		return hvc_err(err, errno, "chown `%s`", dst);
	struct timespec ts[2] = {st->st_mtim, st->st_mtim};
	utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_tree(const struct hvc_build_context *c, const char *src, const char *dst,
		     const struct hvc_build_copy_owner *o, struct hvc_error *err)
{
	struct dirent **names = NULL;
	int n = scandir(src, &names, NULL, alphasort);
	if (n < 0)
		return hvc_err(err, errno, "read directory `%s`", src);
	int r = 0;
	for (int i = 0; i < n; i++) {
		if (!r && strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			_cleanup_free_ char *s = hvc_path_join(src, names[i]->d_name);
			_cleanup_free_ char *d = hvc_path_join(dst, names[i]->d_name);
			struct stat st;
			if (!s || !d)
				r = hvc_err(err, ENOMEM, "copy");
			else if (ctx_excluded(c, s))
				; /* .dockerignore */
			else if (lstat(s, &st) < 0)
				r = hvc_err(err, errno, "stat `%s`", s);
			else
				r = copy_entry(c, s, d, &st, o, err);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

/* Is path a local tar archive (any compression libarchive knows)? */
static bool is_archive(const char *path)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	struct archive_entry *e;
	bool yes = archive_read_open_filename(a, path, 16384) == ARCHIVE_OK &&
		   archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	return yes;
}

int hvc_build_copy_into(const struct hvc_build_context *c, const char *stage, char *const *abs,
			const char *dest, bool dest_is_dir, bool add,
			const struct hvc_build_copy_owner *owner, struct hvc_error *err)
{
	static const struct hvc_build_copy_owner root = {0, 0, -1};
	const struct hvc_build_copy_owner *o = owner ? owner : &root;
	/* dest is absolute and clean ("/app/x"); its parents are created 0755 */
	_cleanup_free_ char *target = hvc_strdup_printf("%s%s", stage, dest);
	if (!target)
		return hvc_err(err, ENOMEM, "copy");
	for (size_t i = 0; abs[i]; i++) {
		struct stat st;
		if (lstat(abs[i], &st) < 0)
			return hvc_err(err, errno, "stat `%s`", abs[i]);
		if (stat(abs[i], &st) < 0)
			return hvc_err(err, errno, "stat `%s`", abs[i]);
		if (S_ISDIR(st.st_mode)) {
			/* a directory's contents go into dest */
			if (hvc_mkdir_p(target, 0755, err) < 0)
				return -1;
			int r = copy_tree(c, abs[i], target, o, err);
			if (r < 0)
				return r;
			continue;
		}
		if (add && is_archive(abs[i])) {
			if (hvc_mkdir_p(target, 0755, err) < 0)
				return -1;
			if (hvc_image_extract(abs[i], target, false, NULL, NULL, err) < 0)
				return hvc_error_prefix(err, "ADD: unpack `%s`", abs[i]);
			continue;
		}
		_cleanup_free_ char *to = NULL;
		if (dest_is_dir) {
			if (hvc_mkdir_p(target, 0755, err) < 0)
				return -1;
			const char *base = strrchr(abs[i], '/');
			to = hvc_path_join(target, base ? base + 1 : abs[i]);
		} else {
			_cleanup_free_ char *parent = strdup(target);
			char *sl = parent ? strrchr(parent, '/') : NULL;
			if (sl)
				*sl = '\0';
			if (parent && hvc_mkdir_p(parent, 0755, err) < 0)
				return -1;
			to = strdup(target);
		}
		if (!to)
			return hvc_err(err, ENOMEM, "copy");
		int r = copy_entry(c, abs[i], to, &st, o, err);
		if (r < 0)
			return r;
	}
	return 0;
}
