/* engine/image/image_import: base images — a rootfs directory or tar(.gz) becomes a
 * one-layer image, and busybox:latest is made from the host's busybox-static
 * (deterministically: fixed times, so every fresh root gets the same digest). */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "image_internal.h"

static int import_layer(struct hvc_image_store *s, const struct hvc_image *parent,
			const char *source, const char *name, const char *created,
			const char *created_by, const char *comment, bool force_sh,
			char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	struct stat st;
	if (stat(source, &st) < 0)
		return hvc_err(err, errno, "import `%s`", source);
	struct hvc_image_layer layer;
	bool has_sh = false;
	if (S_ISDIR(st.st_mode)) {
		if (hvc_image_layer_from_dir(s, source, &layer, err) < 0)
			return hvc_error_prefix(err, "import `%s`", source);
		_cleanup_free_ char *sh = hvc_path_join(source, "bin/sh");
		struct stat sst;
		has_sh = lstat(sh, &sst) == 0;
	} else if (S_ISREG(st.st_mode)) {
		if (hvc_image_layer_from_tar(s, source, &layer, &has_sh, err) < 0)
			return -1; /* the message names the file and member */
		/* a foreign tar can still hide escapes that only extraction sees (a
		 * symlink pointing out, then a member written through it): unpack it
		 * now, so such a tar is refused here and not at the first run */
		if (hvc_image_layer_unpack(s, &layer, NULL, err) < 0)
			return hvc_error_prefix(err, "import `%s`", source);
	} else {
		return hvc_image_err(err, EINVAL, "import `%s`: not a directory or a tar file", source);
	}
	_cleanup_json_ json_object *cfg = NULL;
	if (parent) {
		_cleanup_json_ json_object *pc = NULL;
		char now[64];
		if (hvc_image_config_read(s, parent, &pc, err) < 0 ||
		    json_object_deep_copy(pc, &cfg, NULL) != 0)
			return hvc_error_prefix(err, "import `%s`: parent config", source);
		json_object_object_add(cfg, "created",
				       json_object_new_string(created ? created : hvc_wall_iso8601(now, sizeof(now))));
	} else {
		cfg = hvc_image_config_new(created);
	}
	if (!parent && (has_sh || force_sh)) {
		json_object *cmd = json_object_new_array();
		json_object_array_add(cmd, json_object_new_string("/bin/sh"));
		json_object_object_add(hvc_json_get(cfg, "config"), "Cmd", cmd);
	}
	hvc_image_config_add_history(cfg, &layer, created_by, comment, created);
	size_t n = parent ? parent->n_layers : 0;
	struct hvc_image_layer *all = calloc(n + 1, sizeof(*all));
	if (!all)
		return hvc_err(err, ENOMEM, "import");
	for (size_t i = 0; i < n; i++) {
		all[i] = parent->layers[i];
		snprintf(all[i].diff_id, sizeof(all[i].diff_id), "%s", parent->diff_ids[i]);
	}
	all[n] = layer;
	int rc = hvc_image_commit(s, cfg, all, n + 1, name, manifest_digest, err);
	free(all);
	if (rc < 0)
		return hvc_error_prefix(err, "import `%s`", source);
	return 0;
}

int hvc_image_import(struct hvc_image_store *s, const char *source, const char *name,
		     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	return hvc_image_import_onto(s, NULL, source, name, manifest_digest, err);
}

int hvc_image_import_onto(struct hvc_image_store *s, const char *parent, const char *source,
			  const char *name, char manifest_digest[HVC_DIGEST_LEN],
			  struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (hvc_image_name_normalize(name, &norm, err) < 0)
		return -1;
	struct hvc_image *p = NULL;
	if (parent && hvc_image_resolve(s, parent, &p, err) < 0)
		return -1;
	_cleanup_free_ char *by = parent ? hvc_strdup_printf("hvc image import --from %s %s", parent, source)
					 : hvc_strdup_printf("hvc image import %s", source);
	int rc = import_layer(s, p, source, norm, NULL, by, NULL, false, manifest_digest, err);
	hvc_image_free(p);
	return rc;
}

/* ---------- busybox ------------------------------------------------------ */

static struct timespec fixed_time;

static int set_time(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	struct timespec ts[2] = { fixed_time, fixed_time };
	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int put_file(const char *root, const char *rel, const char *content, mode_t mode,
		    struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(root, rel);
	return hvc_write_file(p, content, strlen(content), mode, err);
}

static int make_busybox_tree(const char *bb, const char *root, char **version,
			     struct hvc_error *err)
{
	char *argv[] = { (char *)bb, "--list-full", NULL };
	_cleanup_free_ char *list = NULL;
	int st = hvc_spawn_capture(argv, &list, false, 10000, err);
	if (st < 0)
		return -1;
	if (st != 0 || !list || !*list)
		return hvc_image_err(err, EINVAL, "`%s --list-full` failed (exit %d): is it busybox?", bb, st);
	char *hargv[] = { (char *)bb, "--help", NULL };
	_cleanup_free_ char *help = NULL;
	if (hvc_spawn_capture(hargv, &help, true, 10000, NULL) >= 0 && help) {
		char *nl = strchr(help, '\n');
		if (nl)
			*nl = '\0';
		*version = strdup(hvc_str_trim(help));
	}
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ "bin", 0755 },  { "sbin", 0755 },	{ "usr", 0755 },  { "usr/bin", 0755 },
		{ "usr/sbin", 0755 }, { "etc", 0755 }, { "root", 0700 }, { "home", 0755 },
		{ "tmp", 01777 }, { "proc", 0555 },	{ "sys", 0555 },  { "dev", 0755 },
		{ "var", 0755 },  { "var/tmp", 01777 }, { "run", 0755 },
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		_cleanup_free_ char *p = hvc_path_join(root, dirs[i].path);
		if (mkdir(p, dirs[i].mode) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "mkdir `%s`", p);
		chmod(p, dirs[i].mode);
	}
	_cleanup_free_ char *dst = hvc_path_join(root, "bin/busybox");
	if (hvc_copy_file(bb, dst, 0755, err) < 0)
		return -1;
	chmod(dst, 0755);
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
		_cleanup_free_ char *parent = strdup(p);
		*strrchr(parent, '/') = '\0';
		if (hvc_mkdir_p(parent, 0755, err) < 0)
			return -1;
		/* relative links keep the tree valid wherever it is mounted or copied */
		int depth = 0;
		for (const char *c = rel; *c; c++)
			depth += *c == '/';
		_cleanup_free_ char *target = NULL;
		if (hvc_str_has_prefix(rel, "bin/") && depth == 1)
			target = strdup("busybox");
		else {
			target = strdup("");
			for (int i = 0; i < depth; i++) {
				char *t = hvc_strdup_printf("%s../", target);
				free(target);
				target = t;
			}
			char *t = hvc_strdup_printf("%sbin/busybox", target);
			free(target);
			target = t;
		}
		if (symlink(target, p) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "symlink `%s`", p);
	}
	if (put_file(root, "etc/passwd",
		     "root:x:0:0:root:/root:/bin/sh\n"
		     "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
		     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		     0644, err) < 0 ||
	    put_file(root, "etc/group", "root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n", 0644,
		     err) < 0 ||
	    put_file(root, "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		     0644, err) < 0 ||
	    put_file(root, "etc/hostname", "hvc\n", 0644, err) < 0)
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
		return hvc_err(err, errno, "busybox `%s` (install Debian's busybox-static: make deps)", bb);
	fixed_time = st.st_mtim;
	fixed_time.tv_nsec = 0;
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s/busybox.XXXXXX", hvc_image_store_tmpdir(s));
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
		rc = import_layer(s, NULL, tmp, norm, created, by, version, true, manifest_digest, err);
	}
	hvc_rm_rf(tmp, NULL);
	return rc;
}
