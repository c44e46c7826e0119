/* engine/image/image_gc: which images containers use, removing images, pruning
 * dangling ones and collecting unreferenced blobs and unpacked layers. */
#include "image_internal.h"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Calls fn for the image digest of every container in $root/containers/ (each <id>/config.json). */
static void for_each_container(struct hvc_image_store *s,
			       void (*fn)(const char *id, const char *digest, void *data),
			       void *data)
{
	_cleanup_free_ char *dir = hvc_path_join(s->root, "containers");
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *cfg = hvc_strdup_printf("%s/%s/config.json", dir, de->d_name);
		_cleanup_json_ json_object *o = NULL;
		if (hvc_json_read_file(cfg, &o, NULL) < 0)
			continue;
		const char *dg = hvc_json_get_string(o, "image_digest");
		if (!dg)
			dg = hvc_json_get_string(hvc_json_get(o, "image"), "digest");
		if (dg)
			fn(de->d_name, dg, data);
	}
	closedir(d);
}

struct in_use {
	const char *digest;
	char *ctr;
};

static void check_use(const char *id, const char *digest, void *data)
{
	struct in_use *u = data;
	if (!u->ctr && !strcmp(digest, u->digest))
		u->ctr = strdup(id);
}

int hvc_image_in_use(struct hvc_image_store *s, const char *manifest_digest, char **ctr,
		     struct hvc_error *err)
{
	(void)err;
	struct in_use u = {.digest = manifest_digest};
	for_each_container(s, check_use, &u);
	if (!u.ctr)
		return 0;
	if (ctr)
		*ctr = u.ctr;
	else
		free(u.ctr);
	return 1;
}

/* ---------- reachability ------------------------------------------------ */

struct reach {
	char **blobs;  /* "sha256:…" */
	char **layers; /* diff_id hex */
};

static bool strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void reach_add(char ***v, const char *s)
{
	if (!strv_has(*v, s))
		hvc_strv_push(v, s);
}

/* Marks a manifest (or image index) and everything it refers to. Blobs that
 * cannot be read are still marked, so GC never deletes what fsck reports. */
static void mark_manifest(struct hvc_image_store *s, struct reach *r, const char *digest, int depth)
{
	if (!hvc_digest_valid(digest) || depth > 3)
		return;
	reach_add(&r->blobs, digest);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	_cleanup_json_ json_object *m = NULL;
	if (hvc_image_blob_read(s, digest, -1, &buf, &len, NULL) < 0 ||
	    hvc_json_parse(buf, len, "manifest", &m, NULL) < 0)
		return;
	json_object *ms = hvc_json_get_array(m, "manifests");
	for (size_t i = 0; ms && i < json_object_array_length(ms); i++)
		mark_manifest(s, r, hvc_json_get_string(json_object_array_get_idx(ms, i), "digest"),
			      depth + 1);
	const char *cd = hvc_json_get_string(hvc_json_get(m, "config"), "digest");
	if (hvc_digest_valid(cd)) {
		reach_add(&r->blobs, cd);
		_cleanup_free_ char *cbuf = NULL;
		_cleanup_json_ json_object *c = NULL;
		if (hvc_image_blob_read(s, cd, -1, &cbuf, &len, NULL) == 0 &&
		    hvc_json_parse(cbuf, len, "config", &c, NULL) == 0) {
			json_object *ids = hvc_json_get_array(hvc_json_get(c, "rootfs"), "diff_ids");
			for (size_t i = 0; ids && i < json_object_array_length(ids); i++) {
				const char *d =
				    json_object_get_string(json_object_array_get_idx(ids, i));
				if (hvc_digest_valid(d))
					reach_add(&r->layers, d + 7);
			}
		}
	}
	json_object *ls = hvc_json_get_array(m, "layers");
	for (size_t i = 0; ls && i < json_object_array_length(ls); i++) {
		const char *d = hvc_json_get_string(json_object_array_get_idx(ls, i), "digest");
		if (hvc_digest_valid(d))
			reach_add(&r->blobs, d);
	}
}

static void mark_container(const char *id, const char *digest, void *data)
{
	(void)id;
	struct {
		struct hvc_image_store *s;
		struct reach *r;
	} *c = data;
	mark_manifest(c->s, c->r, digest, 0);
}

static int mark_all(struct hvc_image_store *s, struct reach *r, struct hvc_error *err)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	json_object *ms = hvc_json_get(idx, "manifests");
	for (size_t i = 0; i < json_object_array_length(ms); i++)
		mark_manifest(
		    s, r, hvc_json_get_string(json_object_array_get_idx(ms, i), "digest") ?: "", 0);
	struct {
		struct hvc_image_store *s;
		struct reach *r;
	} c = {s, r};
	for_each_container(s, mark_container, &c);
	return 0;
}

/* Bytes a tree occupies (st_blocks; hard links counted once per tree). */
static uint64_t tree_bytes_at(int dfd, dev_t dev, char ***seen)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	uint64_t total = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
			char key[64];
			snprintf(key, sizeof(key), "%lu:%lu", (unsigned long)st.st_dev,
				 (unsigned long)st.st_ino);
			if (strv_has(*seen, key))
				continue;
			hvc_strv_push(seen, key);
		}
		total += (uint64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += tree_bytes_at(sub, dev, seen);
		}
	}
	closedir(d);
	return total;
}

uint64_t hvc_image_tree_bytes(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_blocks * 512;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	_cleanup_strv_ char **seen = NULL;
	return (uint64_t)st.st_blocks * 512 + tree_bytes_at(fd, st.st_dev, &seen);
}

/* Is path named in an overlay mount's options here (a live lowerdir)? */
static bool mounted_somewhere(const char *path)
{
	_cleanup_free_ char *mounts = NULL;
	if (hvc_read_file("/proc/self/mounts", &mounts, NULL, NULL) < 0)
		return false;
	return strstr(mounts, path) != NULL;
}

/* Takes the hold lock exclusively: no writer has unreferenced blobs in flight. */
static int hold_exclusive(struct hvc_image_store *s, bool wait, struct hvc_error *err)
{
	if (s->hold_fd < 0) {
		_cleanup_free_ char *p = hvc_path_join(s->root, "images.hold");
		s->hold_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->hold_fd < 0)
			return hvc_err(err, errno, "open `%s`", p);
	}
	bool told = false;
	int how = LOCK_EX | LOCK_NB;
	while (flock(s->hold_fd, how) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return hvc_err(err, errno, "lock `%s/images.hold`", s->root);
		if (!wait)
			return 1;
		if (!told) {
			hvc_info("waiting for other hvc processes writing to the image store "
				 "(imports, builds, loads)");
			told = true;
		}
		how = LOCK_EX; /* now block */
	}
	return 0;
}

static void hold_drop(struct hvc_image_store *s)
{
	if (s->hold_fd >= 0) {
		close(s->hold_fd);
		s->hold_fd = -1;
	}
}

/* Blobs no image (nor container) reaches. */
static void sweep_blobs(struct hvc_image_store *s, const struct reach *r,
			struct hvc_image_gc_stats *st)
{
	_cleanup_free_ char *bdir = hvc_path_join(s->layout, "blobs/sha256");
	DIR *d = opendir(bdir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		_cleanup_free_ char *dg = hvc_strdup_printf("sha256:%s", de->d_name);
		if (strv_has(r->blobs, dg))
			continue;
		_cleanup_free_ char *p = hvc_path_join(bdir, de->d_name);
		struct stat sb;
		if (lstat(p, &sb) == 0 && unlink(p) == 0) {
			st->blobs_removed++;
			st->bytes_freed += (uint64_t)sb.st_blocks * 512;
		}
	}
	if (d)
		closedir(d);
}

/* Unpacked layers no image reaches, unless something still mounts them. */
static void sweep_layers(struct hvc_image_store *s, const struct reach *r,
			 struct hvc_image_gc_stats *st)
{
	DIR *d = opendir(s->layers);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strv_has(r->layers, de->d_name))
			continue;
		_cleanup_free_ char *p = hvc_path_join(s->layers, de->d_name);
		if (mounted_somewhere(p)) {
			hvc_warn("layer `%s` is unreferenced but mounted; kept", p);
			continue;
		}
		uint64_t bytes = hvc_image_tree_bytes(p);
		if (hvc_rm_rf(p, NULL) == 0) {
			st->layers_removed++;
			st->bytes_freed += bytes;
		}
	}
	if (d)
		closedir(d);
}

/* Scratch left by killed writers (none is running: GC holds the store and
 * its lock): everything in tmp/, and index.json.tmp.* (hvc_write_file_atomic's
 * temporary next to index.json) in the layout. */
static void sweep_dir(const char *dir, const char *prefix, struct hvc_image_gc_stats *st)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !hvc_str_has_prefix(de->d_name, prefix))
			continue;
		_cleanup_free_ char *p = hvc_path_join(dir, de->d_name);
		st->bytes_freed += hvc_image_tree_bytes(p);
		hvc_rm_rf(p, NULL);
		st->temp_removed++;
	}
	if (d)
		closedir(d);
}

static void sweep_scratch(struct hvc_image_store *s, struct hvc_image_gc_stats *st)
{
	sweep_dir(s->tmp, "", st);
	sweep_dir(s->layout, "index.json.tmp.", st);
}

int hvc_image_gc(struct hvc_image_store *s, bool wait, struct hvc_image_gc_stats *st,
		 struct hvc_error *err)
{
	memset(st, 0, sizeof(*st));
	int h = hold_exclusive(s, wait, err);
	if (h < 0)
		return -1;
	if (h > 0) {
		st->skipped = true;
		hvc_info("another hvc process is writing to the store; blob GC skipped");
		return 0;
	}
	if (hvc_image_store_lock(s, err) < 0) {
		hold_drop(s);
		return -1;
	}
	struct reach r = {0};
	int rc = mark_all(s, &r, err);
	if (rc == 0) {
		sweep_blobs(s, &r, st);
		sweep_layers(s, &r, st);
		sweep_scratch(s, st);
	}
	hvc_strv_free(r.blobs);
	hvc_strv_free(r.layers);
	hvc_image_store_unlock(s);
	hold_drop(s);
	return rc;
}

/* ---------- rm and prune ------------------------------------------------ */

/* Rewrites index.json without the entries keep() rejects. Under the lock. */
static int index_filter(struct hvc_image_store *s, bool (*drop)(json_object *d, void *data),
			void *data, struct hvc_error *err)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	json_object *ms = hvc_json_get(idx, "manifests");
	json_object *fresh = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		if (!drop(d, data))
			json_object_array_add(fresh, json_object_get(d));
	}
	json_object_object_add(idx, "manifests", fresh);
	return hvc_image_index_write(s, idx, err);
}

struct rm_ctx {
	const char *name;   /* drop this ref.name only */
	const char *digest; /* or every entry of this digest */
};

static bool rm_drop(json_object *d, void *data)
{
	struct rm_ctx *c = data;
	const char *dg = hvc_json_get_string(d, "digest") ?: "";
	if (c->digest)
		return !strcmp(dg, c->digest);
	const char *n = hvc_json_get_string(hvc_json_get(d, "annotations"), HVC_ANNOT_REF_NAME);
	_cleanup_free_ char *norm = NULL;
	if (n && hvc_image_name_normalize(n, &norm, NULL) < 0)
		norm = strdup(n);
	return norm && !strcmp(norm, c->name);
}

int hvc_image_rm(struct hvc_image_store *s, const char *ref, bool force, char ***report,
		 struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	if (hvc_image_lookup(s, ref, &img, err) < 0) /* never creates busybox to remove it */
		return -1;
	_cleanup_free_ char *digest = hvc_xstrdup(img->manifest_digest);
	_cleanup_free_ char *norm = NULL;
	bool by_name = hvc_image_name_normalize(ref, &norm, NULL) == 0 && img->name &&
		       !strcmp(norm, img->name);
	_cleanup_json_ json_object *names = hvc_image_names_of(s, digest);
	size_t n_names = json_object_array_length(names);
	bool untag_only = by_name && n_names > 1;
	if (!untag_only && !force) {
		_cleanup_free_ char *ctr = NULL;
		if (hvc_image_in_use(s, digest, &ctr, err) > 0)
			return hvc_image_err(
			    err, EBUSY,
			    "image \"%s\" is used by container %s (stop and remove it, or use -f)",
			    ref, ctr);
	}
	if (hvc_image_store_lock(s, err) < 0)
		return -1;
	struct rm_ctx c = {.name = untag_only ? norm : NULL, .digest = untag_only ? NULL : digest};
	int rc = index_filter(s, rm_drop, &c, err);
	hvc_image_store_unlock(s);
	if (rc < 0)
		return rc;
	if (untag_only) {
		_cleanup_free_ char *line = hvc_strdup_printf("Untagged: %s", norm);
		hvc_strv_push(report, line);
		return 0;
	}
	for (size_t i = 0; i < n_names; i++) {
		_cleanup_free_ char *line = hvc_strdup_printf(
		    "Untagged: %s", json_object_get_string(json_object_array_get_idx(names, i)));
		hvc_strv_push(report, line);
	}
	_cleanup_free_ char *line = hvc_strdup_printf("Deleted: %s", digest);
	hvc_strv_push(report, line);
	/* reclaim now when nobody is writing; otherwise the next prune does */
	struct hvc_image_gc_stats st;
	struct hvc_error gerr = {0};
	if (hvc_image_gc(s, false, &st, &gerr) < 0)
		hvc_warn("image rm: blob GC: %s", gerr.msg);
	return 0;
}

struct prune_ctx {
	struct hvc_image_store *s;
	bool all;
	char ***report;
};

static bool prune_drop(json_object *d, void *data)
{
	struct prune_ctx *c = data;
	const char *dg = hvc_json_get_string(d, "digest") ?: "";
	bool named =
	    hvc_json_get_string(hvc_json_get(d, "annotations"), HVC_ANNOT_REF_NAME) != NULL;
	if (named && !c->all)
		return false;
	if (hvc_image_in_use(c->s, dg, NULL, NULL) > 0)
		return false;
	const char *n = hvc_json_get_string(hvc_json_get(d, "annotations"), HVC_ANNOT_REF_NAME);
	_cleanup_free_ char *line =
	    n ? hvc_strdup_printf("Deleted: %s (%s)", dg, n) : hvc_strdup_printf("Deleted: %s", dg);
	hvc_strv_push(c->report, line);
	return true;
}

int hvc_image_prune(struct hvc_image_store *s, bool all, char ***report,
		    struct hvc_image_gc_stats *st, struct hvc_error *err)
{
	/* hold first, then the index lock: the order every writer uses */
	int h = hold_exclusive(s, true, err);
	if (h != 0)
		return h < 0 ? -1 : hvc_image_err(err, EBUSY, "image store busy");
	if (hvc_image_store_lock(s, err) < 0) {
		hold_drop(s);
		return -1;
	}
	struct prune_ctx c = {s, all, report};
	int rc = index_filter(s, prune_drop, &c, err);
	hvc_image_store_unlock(s);
	if (rc < 0) {
		hold_drop(s);
		return rc;
	}
	return hvc_image_gc(s, true, st, err);
}

/* ---------- fsck -------------------------------------------------------- */

static void problem(char ***v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(char ***v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) >= 0) {
		hvc_strv_push(v, s);
		free(s);
	}
	va_end(ap);
}

/* Checks one blob once (images share blobs; one report per fault). */
static void fsck_blob(struct hvc_image_store *s, const char *what, const char *digest, int64_t size,
		      char ***problems, size_t *checked, char ***seen)
{
	if (digest && strv_has(*seen, digest))
		return;
	if (digest)
		hvc_strv_push(seen, digest);
	_cleanup_free_ char *p = hvc_image_blob_path(s, digest);
	char got[HVC_DIGEST_LEN];
	int64_t n;
	(*checked)++;
	if (!p) {
		problem(problems, "%s: invalid digest \"%s\"", what, digest ? digest : "");
		return;
	}
	if (hvc_digest_file(p, got, &n, NULL) < 0) {
		problem(problems, "%s %s: missing (`%s`)", what, digest, p);
		return;
	}
	if (size >= 0 && n != size)
		problem(problems, "%s %s: size %lld, descriptor says %lld%s", what, digest,
			(long long)n, (long long)size, n < size ? " (truncated)" : "");
	else if (strcmp(got, digest) != 0)
		problem(problems, "%s %s: digest mismatch: content is %s", what, digest, got);
}

int hvc_image_fsck(struct hvc_image_store *s, char ***problems, size_t *checked,
		   struct hvc_error *err)
{
	*checked = 0;
	_cleanup_free_ char *lpath = hvc_path_join(s->layout, "oci-layout");
	_cleanup_json_ json_object *lo = NULL;
	if (hvc_json_read_file(lpath, &lo, NULL) < 0 ||
	    !hvc_json_get_string(lo, "imageLayoutVersion"))
		problem(problems, "`%s`: missing or not an OCI layout file", lpath);
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	_cleanup_strv_ char **seen = NULL;
	json_object *ms = hvc_json_get(idx, "manifests");
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		if (dg && strv_has(seen, dg))
			continue;
		const char *name =
		    hvc_json_get_string(hvc_json_get(d, "annotations"), HVC_ANNOT_REF_NAME);
		_cleanup_free_ char *what =
		    hvc_strdup_printf("image %s: manifest", name ? name : "<none>");
		size_t before = hvc_strv_len(*problems);
		fsck_blob(s, what, dg, hvc_json_get_int(d, "size", -1), problems, checked, &seen);
		if (hvc_strv_len(*problems) != before)
			continue;
		struct hvc_error e = {0};
		_cleanup_image_ struct hvc_image *img = NULL;
		if (hvc_image_load_manifest(s, dg, hvc_json_get_int(d, "size", -1), name, &img,
					    &e) < 0) {
			problem(problems, "image %s: %s", name ? name : dg, e.msg);
			continue;
		}
		if (!strv_has(seen, img->config_digest)) {
			hvc_strv_push(&seen, img->config_digest);
			(*checked)++; /* the config, verified by load_manifest */
		}
		for (size_t l = 0; l < img->n_layers; l++) {
			_cleanup_free_ char *lw = hvc_strdup_printf("image %s: layer %zu blob",
								    name ? name : "<none>", l + 1);
			fsck_blob(s, lw, img->layers[l].digest, img->layers[l].size, problems,
				  checked, &seen);
		}
	}
	return 0;
}
