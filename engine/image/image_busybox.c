/* engine/image/image_busybox: the default image. busybox:latest is made from
 * the host's busybox-static: applet links, /etc/passwd, /etc/group, the usual
 * directories; deterministically (fixed times), so every fresh root gets the
 * same digest. hvc_image_resolve() calls it on first use of "busybox". */
#define _XOPEN_SOURCE 700
#include "image_internal.h"
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct timespec fixed_time;

static int set_time(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	struct timespec ts[2] = {fixed_time, fixed_time};
	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int put_file(const char *root, const char *rel, const char *content, mode_t mode,
		    struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(root, rel);
	return hvc_write_file(p, content, strlen(content), mode, err);
}

/* `busybox --list-full` (the applets' paths) and the first line of --help (the version). */
static int busybox_applets(const char *bb, char **list, char **version, struct hvc_error *err)
{
	char *argv[] = {(char *)bb, "--list-full", NULL};
	int st = hvc_spawn_capture(argv, list, false, 10000, err);
	if (st < 0)
		return -1;
	if (st != 0 || !*list || !**list)
		return hvc_image_err(err, EINVAL,
				     "`%s --list-full` failed (exit %d): is it busybox?", bb, st);
	char *hargv[] = {(char *)bb, "--help", NULL};
	_cleanup_free_ char *help = NULL;
	if (hvc_spawn_capture(hargv, &help, true, 10000, NULL) >= 0 && help) {
		char *nl = strchr(help, '\n');
		if (nl)
			*nl = '\0';
		*version = strdup(hvc_str_trim(help));
	}
	return 0;
}

static int make_dirs(const char *root, struct hvc_error *err)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
	    {"bin", 0755}, {"sbin", 0755}, {"usr", 0755},  {"usr/bin", 0755},  {"usr/sbin", 0755},
	    {"etc", 0755}, {"root", 0700}, {"home", 0755}, {"tmp", 01777},     {"proc", 0555},
	    {"sys", 0555}, {"dev", 0755},  {"var", 0755},  {"var/tmp", 01777}, {"run", 0755},
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		_cleanup_free_ char *p = hvc_path_join(root, dirs[i].path);
		if (mkdir(p, dirs[i].mode) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "mkdir `%s`", p);
		chmod(p, dirs[i].mode);
	}
	return 0;
}

/* The link target of applet rel ("bin/ls" -> "busybox", "usr/bin/env" ->
 * "../../bin/busybox"): relative links keep the tree valid wherever it is
 * mounted or copied. */
static char *applet_link_target(const char *rel)
{
	int depth = 0;
	for (const char *c = rel; *c; c++)
		depth += *c == '/';
	if (hvc_str_has_prefix(rel, "bin/") && depth == 1)
		return hvc_xstrdup("busybox");
	size_t len = (size_t)depth * 3 + sizeof("bin/busybox");
	char *target = hvc_xmalloc(len);
	target[0] = '\0';
	for (int i = 0; i < depth; i++)
		strcat(target, "../");
	strcat(target, "bin/busybox");
	return target;
}

/* One symlink per applet in list (modified in place). */
static int link_applets(const char *root, char *list, struct hvc_error *err)
{
	for (char *line = list, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *rel = hvc_str_trim(line);
		while (*rel == '/')
			rel++;
		if (!*rel || !strcmp(rel, "bin/busybox") || hvc_image_member_path_problem(rel))
			continue;
		_cleanup_free_ char *p = hvc_path_join(root, rel);
		_cleanup_free_ char *parent = hvc_xstrdup(p);
		*strrchr(parent, '/') = '\0';
		if (hvc_mkdir_p(parent, 0755, err) < 0)
			return -1;
		_cleanup_free_ char *target = applet_link_target(rel);
		if (symlink(target, p) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "symlink `%s`", p);
	}
	return 0;
}

static int write_etc(const char *root, struct hvc_error *err)
{
	if (put_file(root, "etc/passwd",
		     "root:x:0:0:root:/root:/bin/sh\n"
		     "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
		     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		     0644, err) < 0 ||
	    put_file(root, "etc/group", "root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n",
		     0644, err) < 0 ||
	    put_file(root, "etc/hosts",
		     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0644,
		     err) < 0 ||
	    put_file(root, "etc/hostname", "hvc\n", 0644, err) < 0)
		return -1;
	return 0;
}

static int make_busybox_tree(const char *bb, const char *root, char **version,
			     struct hvc_error *err)
{
	_cleanup_free_ char *list = NULL;
	if (busybox_applets(bb, &list, version, err) < 0 || make_dirs(root, err) < 0)
		return -1;
	_cleanup_free_ char *dst = hvc_path_join(root, "bin/busybox");
	if (hvc_copy_file(bb, dst, 0755, err) < 0)
		return -1;
	chmod(dst, 0755);
	if (link_applets(root, list, err) < 0 || write_etc(root, err) < 0)
		return -1;
	nftw(root, set_time, 32, FTW_PHYS | FTW_DEPTH);
	return 0;
}

int hvc_image_import_busybox(struct hvc_image_store *s, const char *name,
			     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (hvc_image_name_normalize(name ? name : "busybox:latest", &norm, err) < 0)
		return -1;
	const char *env = getenv("HVC_BUSYBOX");
	const char *bb = env && *env ? env : "/bin/busybox";
	struct stat st;
	if (stat(bb, &st) < 0)
		return hvc_err(err, errno,
			       "busybox `%s` (install Debian's busybox-static: make deps)", bb);
	fixed_time = st.st_mtim;
	fixed_time.tv_nsec = 0;
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_free_ char *tmp =
	    hvc_strdup_printf("%s/busybox.XXXXXX", hvc_image_store_tmpdir(s));
	if (!mkdtemp(tmp))
		return hvc_err(err, errno, "create `%s`", tmp);
	chmod(tmp, 0755);
	_cleanup_free_ char *version = NULL;
	int rc = make_busybox_tree(bb, tmp, &version, err);
	if (rc == 0) {
		char created[64];
		struct tm tm;
		time_t t = fixed_time.tv_sec;
		gmtime_r(&t, &tm);
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		_cleanup_free_ char *by = hvc_strdup_printf("hvc image import --busybox %s", bb);
		struct hvc_image_commit_layer c = {
		    .source = tmp,
		    .name = norm,
		    .created = created,
		    .created_by = by,
		    .comment = version,
		    .force_sh = true,
		};
		rc = hvc_image_commit_layer(s, &c, manifest_digest, err);
	}
	hvc_rm_rf(tmp, NULL);
	return rc;
}
