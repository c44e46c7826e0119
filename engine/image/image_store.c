/* engine/image/image_store: the OCI image layout under $HVC_ROOT/images — opening
 * and locking the store, blobs (temp + fsync + rename), index.json, names. */
#include "image_internal.h"
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char oci_layout_doc[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

const char *hvc_image_host_arch(void)
{
	static char arch[32];
	if (!arch[0]) {
		struct utsname u;
		const char *m = uname(&u) == 0 ? u.machine : "x86_64";
		const char *a = !strcmp(m, "x86_64")			 ? "amd64"
				: !strcmp(m, "aarch64")			 ? "arm64"
				: !strncmp(m, "i", 1) && strstr(m, "86") ? "386"
				: !strncmp(m, "armv7", 5)		 ? "arm"
									 : m;
		snprintf(arch, sizeof(arch), "%s", a);
	}
	return arch;
}

static void store_free(struct hvc_image_store *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->hold_fd >= 0)
		close(s->hold_fd);
	free(s->root);
	free(s->layout);
	free(s->layers);
	free(s->tmp);
	free(s);
}

void hvc_image_store_close(struct hvc_image_store *s)
{
	store_free(s);
}

static int open_lock_file(struct hvc_image_store *s, const char *name, struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(s->root, name);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return hvc_err(err, errno, "open lock file `%s`", p);
	return fd;
}

int hvc_image_store_lock(struct hvc_image_store *s, struct hvc_error *err)
{
	if (s->lock_depth++ > 0)
		return 0;
	if (s->lock_fd < 0 && (s->lock_fd = open_lock_file(s, "images.lock", err)) < 0) {
		s->lock_depth = 0;
		return -1;
	}
	while (flock(s->lock_fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		s->lock_depth = 0;
		return hvc_err(err, errno, "lock the image store `%s/images.lock`", s->root);
	}
	return 0;
}

void hvc_image_store_unlock(struct hvc_image_store *s)
{
	if (s->lock_depth > 0 && --s->lock_depth == 0)
		flock(s->lock_fd, LOCK_UN);
}

/* The hold lock: writers share it while they own unreferenced blobs; GC takes
 * it exclusively. Always taken before images.lock, never after (no deadlock). */
int hvc_image_store_hold(struct hvc_image_store *s, struct hvc_error *err)
{
	if (s->hold_fd >= 0)
		return 0;
	int fd = open_lock_file(s, "images.hold", err);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return hvc_err(err, e, "lock `%s/images.hold`", s->root);
	}
	s->hold_fd = fd;
	return 0;
}

int hvc_image_hold_temp(struct hvc_image_store *s, bool *taken, struct hvc_error *err)
{
	*taken = false;
	if (s->hold_fd >= 0)
		return 0;
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	*taken = true;
	return 0;
}

void hvc_image_hold_release(struct hvc_image_store *s, bool taken)
{
	if (taken && s->hold_fd >= 0) {
		close(s->hold_fd);
		s->hold_fd = -1;
	}
}

int hvc_image_store_open(const char *root, struct hvc_image_store **out, struct hvc_error *err)
{
	struct hvc_image_store *s = calloc(1, sizeof(*s));
	if (!s)
		return hvc_err(err, ENOMEM, "open image store");
	s->lock_fd = s->hold_fd = -1;
	s->root = strdup(root);
	s->layout = hvc_path_join(root, "images");
	s->layers = hvc_path_join(root, "layers");
	s->tmp = hvc_path_join(root, "tmp");
	_cleanup_free_ char *blobs = hvc_path_join(root, "images/blobs/sha256");
	_cleanup_free_ char *layout_file = hvc_path_join(root, "images/oci-layout");
	_cleanup_free_ char *index_file = hvc_path_join(root, "images/index.json");
	if (!s->root || !s->layout || !s->layers || !s->tmp || !blobs || !layout_file ||
	    !index_file) {
		store_free(s);
		return hvc_err(err, ENOMEM, "open image store");
	}
	if (hvc_path_exists(index_file) && hvc_path_exists(blobs) && hvc_path_exists(s->tmp) &&
	    hvc_path_exists(s->layers)) {
		*out = s;
		return 0;
	}
	if (hvc_mkdir_p(blobs, 0755, err) < 0 || hvc_mkdir_p(s->layers, 0700, err) < 0 ||
	    hvc_mkdir_p(s->tmp, 0700, err) < 0 || hvc_image_store_lock(s, err) < 0) {
		hvc_error_prefix(err, "open image store `%s`", s->layout);
		store_free(s);
		return -1;
	}
	int rc = 0;
	if (!hvc_path_exists(layout_file))
		rc = hvc_write_file_atomic(layout_file, oci_layout_doc, strlen(oci_layout_doc),
					   0644, err);
	if (rc == 0 && !hvc_path_exists(index_file)) {
		_cleanup_json_ json_object *idx = json_object_new_object();
		json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
		hvc_json_add_string(idx, "mediaType", HVC_MT_INDEX);
		json_object_object_add(idx, "manifests", json_object_new_array());
		rc = hvc_image_index_write(s, idx, err);
	}
	hvc_image_store_unlock(s);
	if (rc < 0) {
		hvc_error_prefix(err, "open image store `%s`", s->layout);
		store_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void hvc_image_store_trust_reads(struct hvc_image_store *s)
{
	s->trust_reads = true;
}

const char *hvc_image_store_root(struct hvc_image_store *s)
{
	return s->root;
}

const char *hvc_image_store_layout(struct hvc_image_store *s)
{
	return s->layout;
}

const char *hvc_image_store_tmpdir(struct hvc_image_store *s)
{
	return s->tmp;
}

char *hvc_image_blob_path(struct hvc_image_store *s, const char *digest)
{
	if (!hvc_digest_valid(digest))
		return NULL;
	return hvc_strdup_printf("%s/blobs/sha256/%s", s->layout, digest + 7);
}

/* ---------- blobs ------------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Moves a finished temp file to its blob path (or drops it when the blob exists). */
static int blob_install(struct hvc_image_store *s, const char *tmp, const char *digest,
			struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	if (hvc_path_exists(path)) {
		unlink(tmp);
		return 0;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "install blob %s", digest);
	}
	_cleanup_free_ char *dir = hvc_path_join(s->layout, "blobs/sha256");
	fsync_dir(dir);
	return 0;
}

int hvc_image_blob_write_buf(struct hvc_image_store *s, const void *data, size_t len,
			     char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	hvc_digest_buf(data, len, digest);
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	if (hvc_path_exists(path))
		return 0;
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s/blob.XXXXXX", s->tmp);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "create temporary blob in `%s`", s->tmp);
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "write blob %s", digest);
	}
	return blob_install(s, tmp, digest, err);
}

int hvc_image_blob_write_file(struct hvc_image_store *s, const char *src, const char *expect,
			      char digest[HVC_DIGEST_LEN], int64_t *size, struct hvc_error *err)
{
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hvc_err(err, errno, "open `%s`", src);
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s/blob.XXXXXX", s->tmp);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "create temporary blob in `%s`", s->tmp);
	struct hvc_hasher h;
	hvc_hasher_init(&h);
	char buf[1 << 16];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r > 0 && write_all(fd, buf, (size_t)r) < 0)) {
			int e = errno;
			hvc_hasher_free(&h);
			unlink(tmp);
			return hvc_err(err, e, "copy `%s` into the store", src);
		}
		if (r == 0)
			break;
		hvc_hasher_update(&h, buf, (size_t)r);
	}
	int64_t n = h.bytes;
	char got[HVC_DIGEST_LEN];
	hvc_hasher_final(&h, got);
	if (expect && strcmp(expect, got) != 0) {
		unlink(tmp);
		return hvc_image_err(err, EILSEQ, "blob %s (`%s`): digest mismatch: content is %s",
				     expect, src, got);
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "write blob %s", got);
	}
	if (digest)
		strcpy(digest, got);
	if (size)
		*size = n;
	return blob_install(s, tmp, got, err);
}

int hvc_image_blob_read(struct hvc_image_store *s, const char *digest, int64_t size, char **data,
			size_t *len, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	if (!path)
		return hvc_image_err(err, EINVAL, "invalid digest \"%s\"", digest ? digest : "");
	_cleanup_free_ char *buf = NULL;
	size_t n;
	if (hvc_read_file(path, &buf, &n, err) < 0) {
		if (err && err->code == ENOENT)
			return hvc_image_err(err, ENOENT, "blob %s: missing (`%s`)", digest, path);
		return hvc_error_prefix(err, "blob %s", digest);
	}
	if (size >= 0 && (int64_t)n != size)
		return hvc_image_err(err, EILSEQ, "blob %s: %s (%zu of %lld bytes)", digest,
				     (int64_t)n < size ? "truncated" : "too long", n,
				     (long long)size);
	char got[HVC_DIGEST_LEN];
	if (!s->trust_reads && (hvc_digest_buf(buf, n, got), strcmp(got, digest) != 0))
		return hvc_image_err(err, EILSEQ, "blob %s: digest mismatch: content is %s", digest,
				     got);
	*data = steal_pointer(&buf);
	if (len)
		*len = n;
	return 0;
}

/* ---------- index.json ------------------------------------------------- */

int hvc_image_index_read(struct hvc_image_store *s, json_object **out, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_path_join(s->layout, "index.json");
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_json_read_file(path, &idx, err) < 0)
		return -1;
	json_object *m = hvc_json_get(idx, "manifests");
	if (!json_object_is_type(idx, json_type_object) ||
	    hvc_json_get_int(idx, "schemaVersion", 0) != 2 ||
	    (m && !json_object_is_type(m, json_type_array)))
		return hvc_image_err(
		    err, EINVAL,
		    "`%s`: not an OCI image index (schemaVersion 2 with a manifests array)", path);
	if (!m)
		json_object_object_add(idx, "manifests", json_object_new_array());
	*out = steal_pointer(&idx);
	return 0;
}

int hvc_image_index_write(struct hvc_image_store *s, json_object *index, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_path_join(s->layout, "index.json");
	return hvc_json_write_file_atomic(path, index, err);
}

/* ---------- names ------------------------------------------------------ */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '/';
}

static bool tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int hvc_image_name_normalize(const char *name, char **out, struct hvc_error *err)
{
	if (!name || !*name)
		return hvc_image_err(err, EINVAL, "invalid image name \"\"");
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');
	if (colon && slash && colon < slash)
		colon = NULL; /* a registry port, not a tag */
	size_t nlen = colon ? (size_t)(colon - name) : strlen(name);
	/* a registry host may carry a port: allow ':' before the last '/' */
	bool ok = nlen > 0 && nlen <= 255 && name[0] != '/' && name[0] != '.' && name[0] != '-';
	for (size_t i = 0; ok && i < nlen; i++)
		ok = name_char(name[i]) || (name[i] == ':' && slash && name + i < slash);
	if (ok && colon) {
		const char *t = colon + 1;
		ok = *t && strlen(t) <= 128 && *t != '.' && *t != '-';
		for (; ok && *t; t++)
			ok = tag_char(*t);
	}
	if (!ok || hvc_str_has_prefix(name, "sha256:"))
		return hvc_err(err, EINVAL,
			       "invalid image name \"%s\": expected NAME[:TAG] (lowercase letters, "
			       "digits, . _ - /; tag up to 128 of A-Z a-z 0-9 . _ -)",
			       name);
	*out = colon ? strdup(name) : hvc_strdup_printf("%s:latest", name);
	return *out ? 0 : hvc_err(err, ENOMEM, "image name");
}

/* Normalised ref.name of an index entry, or NULL (untagged or unparseable). */
static char *entry_name(json_object *desc)
{
	const char *n = hvc_json_get_string(hvc_json_get(desc, "annotations"), HVC_ANNOT_REF_NAME);
	char *out = NULL;
	if (n && hvc_image_name_normalize(n, &out, NULL) < 0)
		return strdup(n); /* foreign tools may use other forms; keep them as they are */
	return out;
}

static json_object *new_descriptor(const char *mt, const char *digest, int64_t size)
{
	json_object *d = json_object_new_object();
	hvc_json_add_string(d, "mediaType", mt);
	hvc_json_add_string(d, "digest", digest);
	hvc_json_add_int(d, "size", size);
	return d;
}

/* When name moves off entry i (digest dg), the old image stays as an untagged
 * ("dangling") entry unless another entry still refers to it. */
static bool digest_elsewhere(json_object *ms, size_t i, const char *dg)
{
	for (size_t j = 0; j < json_object_array_length(ms); j++)
		if (j != i && !strcmp(hvc_json_get_string(json_object_array_get_idx(ms, j), "digest") ?: "",
				      dg))
			return true;
	return false;
}

/* The manifests array with digest added under norm (NULL: untagged): a pure
 * function of the old array, so the index is rewritten in one step. */
static json_object *index_entries_with(json_object *ms, const char *digest, int64_t size,
				       const char *norm)
{
	json_object *fresh = json_object_new_array();
	bool present = false;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		_cleanup_free_ char *n = entry_name(d);
		bool same = dg && !strcmp(dg, digest);
		if (norm && n && !strcmp(n, norm)) {
			if (same) {
				present = true;
				json_object_array_add(fresh, json_object_get(d));
			} else if (dg && !digest_elsewhere(ms, i, dg)) {
				json_object_array_add(
				    fresh, new_descriptor(hvc_json_get_string(d, "mediaType") ?: HVC_MT_MANIFEST,
							  dg, hvc_json_get_int(d, "size", 0)));
			}
			continue;
		}
		if (same && !n && norm)
			continue; /* the untagged entry becomes the tagged one */
		if (same && (!n || !norm))
			present = true; /* already there (an untagged add of a named image: nothing to do) */
		json_object_array_add(fresh, json_object_get(d));
	}
	if (!present) {
		json_object *d = new_descriptor(HVC_MT_MANIFEST, digest, size);
		if (norm) {
			json_object *a = json_object_new_object();
			hvc_json_add_string(a, HVC_ANNOT_REF_NAME, norm);
			json_object_object_add(d, "annotations", a);
		}
		json_object_array_add(fresh, d);
	}
	return fresh;
}

int hvc_image_index_add(struct hvc_image_store *s, const char *digest, int64_t size,
			const char *name, struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (name && hvc_image_name_normalize(name, &norm, err) < 0)
		return -1;
	if (!hvc_digest_valid(digest))
		return hvc_image_err(err, EINVAL, "invalid digest \"%s\"", digest);
	if (hvc_image_store_lock(s, err) < 0)
		return -1;
	_cleanup_json_ json_object *idx = NULL;
	int rc = hvc_image_index_read(s, &idx, err);
	if (rc == 0) {
		json_object *ms = hvc_json_get(idx, "manifests");
		json_object_object_add(idx, "manifests", index_entries_with(ms, digest, size, norm));
		rc = hvc_image_index_write(s, idx, err);
	}
	hvc_image_store_unlock(s);
	return rc;
}

/* ---------- manifests and configs -------------------------------------- */

static bool layer_media_type_known(const char *mt)
{
	static const char *const known[] = {
	    HVC_MT_LAYER_TGZ,
	    HVC_MT_LAYER_TAR,
	    "application/vnd.oci.image.layer.v1.tar+zstd",
	    HVC_MT_DOCKER_LAYER,
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	    "application/vnd.oci.image.layer.nondistributable.v1.tar",
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(mt, known[i]))
			return true;
	return false;
}

static char **json_strv(json_object *a)
{
	if (!a || !json_object_is_type(a, json_type_array))
		return NULL;
	size_t n = json_object_array_length(a);
	char **v = calloc(n + 1, sizeof(char *)); /* n from the config: checked, NULL = absent */
	for (size_t i = 0; v && i < n; i++)
		v[i] = hvc_xstrdup(json_object_get_string(json_object_array_get_idx(a, i)) ?: "");
	return v;
}

static char *json_strdup(json_object *o, const char *key)
{
	const char *v = hvc_json_get_string(o, key);
	return v && *v ? strdup(v) : NULL;
}

/* Fills img from a parsed config document. */
static int parse_config(struct hvc_image *img, json_object *cfg, struct hvc_error *err)
{
	json_object *rootfs = hvc_json_get(cfg, "rootfs");
	json_object *ids = hvc_json_get(rootfs, "diff_ids");
	if (!json_object_is_type(cfg, json_type_object) || !ids ||
	    !json_object_is_type(ids, json_type_array))
		return hvc_image_err(err, EINVAL, "config %s: no rootfs.diff_ids",
				     img->config_digest);
	size_t n = json_object_array_length(ids);
	if (n != img->n_layers)
		return hvc_image_err(err, EINVAL, "config %s: %zu diff_ids for %zu layers",
				     img->config_digest, n, img->n_layers);
	img->diff_ids = calloc(n + 1, sizeof(char *)); /* n from the config, checked */
	if (!img->diff_ids)
		return hvc_err(err, ENOMEM, "config %s: %zu diff_ids", img->config_digest, n);
	for (size_t i = 0; i < n; i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(ids, i));
		if (!hvc_digest_valid(d))
			return hvc_image_err(err, EINVAL, "config %s: invalid diff_id \"%s\"",
					     img->config_digest, d ? d : "");
		img->diff_ids[i] = hvc_xstrdup(d);
		snprintf(img->layers[i].diff_id, HVC_DIGEST_LEN, "%s", d);
	}
	img->architecture = json_strdup(cfg, "architecture");
	img->os = json_strdup(cfg, "os");
	img->created = json_strdup(cfg, "created");
	json_object *c = hvc_json_get(cfg, "config");
	img->config.env = json_strv(hvc_json_get(c, "Env"));
	img->config.entrypoint = json_strv(hvc_json_get(c, "Entrypoint"));
	img->config.cmd = json_strv(hvc_json_get(c, "Cmd"));
	img->config.workdir = json_strdup(c, "WorkingDir");
	img->config.user = json_strdup(c, "User");
	json_object *labels = hvc_json_get(c, "Labels");
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
		{
			_cleanup_free_ char *kv =
			    hvc_strdup_printf("%s=%s", k, json_object_get_string(v) ?: "");
			hvc_strv_push(&img->config.labels, kv);
		}
	}
	return 0;
}

/* Picks this host's platform from an image index (or the first manifest). */
static json_object *pick_platform(json_object *index)
{
	json_object *ms = hvc_json_get(index, "manifests");
	json_object *first = NULL;
	for (size_t i = 0; ms && i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *mt = hvc_json_get_string(d, "mediaType");
		if (mt && strcmp(mt, HVC_MT_MANIFEST) && strcmp(mt, HVC_MT_DOCKER_MANIFEST))
			continue;
		if (!first)
			first = d;
		json_object *p = hvc_json_get(d, "platform");
		const char *arch = hvc_json_get_string(p, "architecture");
		const char *os = hvc_json_get_string(p, "os");
		if (arch && os && !strcmp(arch, hvc_image_host_arch()) && !strcmp(os, "linux"))
			return d;
	}
	return first;
}

/* Reads and parses the manifest digest (following an image index to this
 * host's platform, at most two levels); cur receives the manifest's digest. */
static int read_manifest(struct hvc_image_store *s, const char *digest, int64_t size,
			 char cur[HVC_DIGEST_LEN], json_object **out, size_t *len,
			 struct hvc_error *err)
{
	snprintf(cur, HVC_DIGEST_LEN, "%s", digest);
	for (int depth = 0;; depth++) {
		_cleanup_free_ char *buf = NULL;
		_cleanup_json_ json_object *m = NULL;
		if (hvc_image_blob_read(s, cur, size, &buf, len, err) < 0)
			return hvc_error_prefix(err, "manifest");
		_cleanup_free_ char *what = hvc_strdup_printf("manifest %s", cur);
		if (hvc_json_parse(buf, *len, what, &m, err) < 0)
			return -1;
		const char *mt = hvc_json_get_string(m, "mediaType");
		if (mt && !strcmp(mt, HVC_MT_INDEX) && depth < 2) {
			json_object *d = pick_platform(m);
			if (!d || !hvc_digest_valid(hvc_json_get_string(d, "digest")))
				return hvc_image_err(err, EINVAL,
						     "image index %s: no manifest for linux/%s",
						     cur, hvc_image_host_arch());
			snprintf(cur, HVC_DIGEST_LEN, "%s", hvc_json_get_string(d, "digest"));
			size = hvc_json_get_int(d, "size", -1);
			continue;
		}
		if (mt && strcmp(mt, HVC_MT_MANIFEST) && strcmp(mt, HVC_MT_DOCKER_MANIFEST))
			return hvc_image_err(err, EINVAL, "manifest %s: unknown media type \"%s\"",
					     cur, mt);
		*out = steal_pointer(&m);
		return 0;
	}
}

/* The manifest's config descriptor and layers array, checked. */
static int check_manifest(json_object *m, const char *cur, json_object **cd, json_object **ls,
			  struct hvc_error *err)
{
	if (hvc_json_get_int(m, "schemaVersion", 0) != 2)
		return hvc_image_err(err, EINVAL, "manifest %s: schemaVersion is not 2", cur);
	*cd = hvc_json_get(m, "config");
	const char *cdig = hvc_json_get_string(*cd, "digest");
	const char *cmt = hvc_json_get_string(*cd, "mediaType");
	if (!hvc_digest_valid(cdig))
		return hvc_image_err(err, EINVAL, "manifest %s: config has no valid digest", cur);
	if (cmt && strcmp(cmt, HVC_MT_CONFIG) &&
	    strcmp(cmt, "application/vnd.docker.container.image.v1+json"))
		return hvc_image_err(err, EINVAL, "manifest %s: unknown config media type \"%s\"",
				     cur, cmt);
	*ls = hvc_json_get(m, "layers");
	if (!*ls || !json_object_is_type(*ls, json_type_array))
		return hvc_image_err(err, EINVAL, "manifest %s: no layers array", cur);
	return 0;
}

/* img->layers from the manifest's layers array (sized by it: checked allocation). */
static int manifest_layers(struct hvc_image *img, json_object *ls, const char *cur,
			   struct hvc_error *err)
{
	img->n_layers = json_object_array_length(ls);
	img->layers = calloc(img->n_layers + 1, sizeof(*img->layers));
	if (!img->layers)
		return hvc_err(err, ENOMEM, "manifest %s: %zu layers", cur, img->n_layers);
	for (size_t i = 0; i < img->n_layers; i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		const char *ld = hvc_json_get_string(l, "digest");
		const char *lmt = hvc_json_get_string(l, "mediaType");
		if (!hvc_digest_valid(ld))
			return hvc_image_err(
			    err, EINVAL, "manifest %s: layer %zu has no valid digest", cur, i + 1);
		if (!lmt || !layer_media_type_known(lmt))
			return hvc_image_err(err, EINVAL,
					     "manifest %s: layer %s: unknown media type \"%s\"",
					     cur, ld, lmt ? lmt : "");
		struct hvc_image_layer *L = &img->layers[i];
		snprintf(L->digest, sizeof(L->digest), "%s", ld);
		snprintf(L->media_type, sizeof(L->media_type), "%s", lmt);
		L->size = hvc_json_get_int(l, "size", -1);
		L->tar_size = -1;
	}
	return 0;
}

/* Reads img's config blob and fills the config fields from it. */
static int manifest_config(struct hvc_image_store *s, struct hvc_image *img, const char *label,
			   struct hvc_error *err)
{
	_cleanup_free_ char *cbuf = NULL;
	size_t clen;
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *what = hvc_strdup_printf("config %s", img->config_digest);
	if (hvc_image_blob_read(s, img->config_digest, img->config_size, &cbuf, &clen, err) < 0)
		return hvc_error_prefix(err, "image %s", label);
	if (hvc_json_parse(cbuf, clen, what, &cfg, err) < 0)
		return -1;
	return parse_config(img, cfg, err);
}

int hvc_image_load_manifest(struct hvc_image_store *s, const char *digest, int64_t size,
			    const char *name, struct hvc_image **out, struct hvc_error *err)
{
	char cur[HVC_DIGEST_LEN];
	size_t len;
	_cleanup_json_ json_object *m = NULL;
	json_object *cd = NULL, *ls = NULL;
	if (read_manifest(s, digest, size, cur, &m, &len, err) < 0 ||
	    check_manifest(m, cur, &cd, &ls, err) < 0)
		return -1;
	_cleanup_image_ struct hvc_image *img = hvc_xcalloc(1, sizeof(*img));
	img->name = name ? hvc_xstrdup(name) : NULL;
	img->manifest_digest = hvc_xstrdup(cur);
	img->manifest_size = (int64_t)len;
	img->config_digest = hvc_xstrdup(hvc_json_get_string(cd, "digest"));
	img->config_size = hvc_json_get_int(cd, "size", -1);
	if (manifest_layers(img, ls, cur, err) < 0 ||
	    manifest_config(s, img, name ? name : cur, err) < 0)
		return -1;
	*out = steal_pointer(&img);
	return 0;
}

void hvc_image_free(struct hvc_image *img)
{
	if (!img)
		return;
	free(img->name);
	free(img->manifest_digest);
	free(img->config_digest);
	hvc_strv_free(img->diff_ids);
	hvc_strv_free(img->config.env);
	hvc_strv_free(img->config.entrypoint);
	hvc_strv_free(img->config.cmd);
	free(img->config.workdir);
	free(img->config.user);
	hvc_strv_free(img->config.labels);
	free(img->architecture);
	free(img->os);
	free(img->created);
	free(img->layers);
	free(img);
}

int hvc_image_config_read(struct hvc_image_store *s, const struct hvc_image *img, json_object **out,
			  struct hvc_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (hvc_image_blob_read(s, img->config_digest, img->config_size, &buf, &len, err) < 0)
		return -1;
	_cleanup_free_ char *what = hvc_strdup_printf("config %s", img->config_digest);
	return hvc_json_parse(buf, len, what, out, err);
}

/* ---------- resolve and list ------------------------------------------- */

static bool is_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int resolve_in_index(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
			    struct hvc_error *err)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	json_object *ms = hvc_json_get(idx, "manifests");
	size_t n = json_object_array_length(ms);
	_cleanup_free_ char *norm = NULL;
	hvc_image_name_normalize(ref, &norm, NULL);
	for (size_t i = 0; norm && i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		_cleanup_free_ char *en = entry_name(d);
		if (en && !strcmp(en, norm))
			return hvc_image_load_manifest(s, hvc_json_get_string(d, "digest") ?: "",
						       hvc_json_get_int(d, "size", -1), en, out,
						       err);
	}
	/* by digest or a unique digest prefix (at least 4 hex digits) */
	const char *hex = hvc_str_has_prefix(ref, "sha256:") ? ref + 7 : ref;
	if (strlen(hex) < 4 || strlen(hex) > 64 || !is_hex(hex))
		return 0;
	json_object *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		if (!dg || !hvc_str_has_prefix(dg, "sha256:") || !hvc_str_has_prefix(dg + 7, hex))
			continue;
		if (hit && strcmp(hvc_json_get_string(hit, "digest"), dg) != 0)
			return hvc_image_err(
			    err, EINVAL,
			    "image reference \"%s\" is ambiguous (matches %.19s and %.19s)", ref,
			    hvc_json_get_string(hit, "digest"), dg);
		if (!hit || (!hvc_json_get(hit, "annotations") && hvc_json_get(d, "annotations")))
			hit = d; /* prefer a tagged entry for the name */
	}
	if (!hit)
		return 0;
	_cleanup_free_ char *en = entry_name(hit);
	return hvc_image_load_manifest(s, hvc_json_get_string(hit, "digest"),
				       hvc_json_get_int(hit, "size", -1), en, out, err);
}

int hvc_image_find(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		   struct hvc_error *err)
{
	*out = NULL;
	if (!ref || !*ref)
		return hvc_image_err(err, EINVAL, "empty image reference");
	if (resolve_in_index(s, ref, out, err) < 0)
		return -1;
	return *out ? 1 : 0;
}

int hvc_image_lookup(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		     struct hvc_error *err)
{
	int r = hvc_image_find(s, ref, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	return hvc_image_err(err, ENOENT, "image \"%s\" not found (try: hvc images)", ref);
}

void hvc_image_list_free(struct hvc_image **v)
{
	for (size_t i = 0; v && v[i]; i++)
		hvc_image_free(v[i]);
	free(v);
}

int hvc_image_list(struct hvc_image_store *s, struct hvc_image ***out, struct hvc_error *err)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	json_object *ms = hvc_json_get(idx, "manifests");
	size_t n = json_object_array_length(ms);
	struct hvc_image **v = calloc(n + 1, sizeof(*v)); /* n from index.json: checked */
	if (!v)
		return hvc_err(err, ENOMEM, "list images (%zu in index.json)", n);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		_cleanup_free_ char *en = entry_name(d);
		const char *dg = hvc_json_get_string(d, "digest");
		if (!dg) {
			hvc_warn("index.json entry %zu has no digest; skipped", i + 1);
			continue;
		}
		struct hvc_image *img = NULL;
		struct hvc_error e = {0};
		if (hvc_image_load_manifest(s, dg, hvc_json_get_int(d, "size", -1), en, &img, &e) <
		    0) {
			/* one damaged image must not hide the others */
			hvc_warn("image %s: %s (see: hvc image fsck)", en ? en : dg, e.msg);
			continue;
		}
		v[k++] = img;
	}
	*out = v;
	return 0;
}

/* ---------- writing new images ----------------------------------------- */

json_object *hvc_image_config_new(const char *created)
{
	char now[64];
	json_object *c = json_object_new_object();
	hvc_json_add_string(c, "created", created ? created : hvc_wall_iso8601(now, sizeof(now)));
	hvc_json_add_string(c, "architecture", hvc_image_host_arch());
	hvc_json_add_string(c, "os", "linux");
	json_object *cfg = json_object_new_object();
	json_object *env = json_object_new_array();
	json_object_array_add(
	    env, json_object_new_string(
		     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	json_object_object_add(cfg, "Env", env);
	json_object_object_add(c, "config", cfg);
	json_object *rootfs = json_object_new_object();
	hvc_json_add_string(rootfs, "type", "layers");
	json_object_object_add(rootfs, "diff_ids", json_object_new_array());
	json_object_object_add(c, "rootfs", rootfs);
	json_object_object_add(c, "history", json_object_new_array());
	return c;
}

int hvc_image_config_add_history(json_object *cfg, const struct hvc_image_layer *layer,
				 const char *created_by, const char *comment, const char *created)
{
	char now[64];
	json_object *rootfs = hvc_json_get(cfg, "rootfs");
	if (!rootfs) {
		rootfs = json_object_new_object();
		hvc_json_add_string(rootfs, "type", "layers");
		json_object_object_add(cfg, "rootfs", rootfs);
	}
	json_object *ids = hvc_json_get(rootfs, "diff_ids");
	if (!ids) {
		ids = json_object_new_array();
		json_object_object_add(rootfs, "diff_ids", ids);
	}
	json_object *hist = hvc_json_get(cfg, "history");
	if (!hist) {
		hist = json_object_new_array();
		json_object_object_add(cfg, "history", hist);
	}
	json_object *h = json_object_new_object();
	hvc_json_add_string(h, "created", created ? created : hvc_wall_iso8601(now, sizeof(now)));
	hvc_json_add_string(h, "created_by", created_by);
	hvc_json_add_string(h, "comment", comment);
	if (layer)
		json_object_array_add(ids, json_object_new_string(layer->diff_id));
	else
		hvc_json_add_bool(h, "empty_layer", true);
	json_object_array_add(hist, h);
	return 0;
}

int hvc_image_commit(struct hvc_image_store *s, json_object *config,
		     const struct hvc_image_layer *layers, size_t n_layers, const char *name,
		     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (name && hvc_image_name_normalize(name, &norm, err) < 0)
		return -1;
	json_object *ids = hvc_json_get(hvc_json_get(config, "rootfs"), "diff_ids");
	if (!ids || json_object_array_length(ids) != n_layers)
		return hvc_image_err(err, EINVAL,
				     "commit image: config has %zu diff_ids for %zu layers",
				     ids ? json_object_array_length(ids) : 0, n_layers);
	for (size_t i = 0; i < n_layers; i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(ids, i));
		if (!d || strcmp(d, layers[i].diff_id) != 0)
			return hvc_image_err(
			    err, EINVAL,
			    "commit image: layer %zu diff_id %s differs from the config's %s",
			    i + 1, layers[i].diff_id, d ? d : "(none)");
		_cleanup_free_ char *p = hvc_image_blob_path(s, layers[i].digest);
		if (!p || !hvc_path_exists(p))
			return hvc_image_err(err, ENOENT,
					     "commit image: layer blob %s is not in the store",
					     layers[i].digest);
	}
	size_t clen;
	const char *cjson = json_object_to_json_string_length(
	    config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &clen);
	char cdig[HVC_DIGEST_LEN], mdig[HVC_DIGEST_LEN];
	if (hvc_image_blob_write_buf(s, cjson, clen, cdig, err) < 0)
		return hvc_error_prefix(err, "commit image: config");

	_cleanup_json_ json_object *m = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	hvc_json_add_string(m, "mediaType", HVC_MT_MANIFEST);
	json_object_object_add(m, "config", new_descriptor(HVC_MT_CONFIG, cdig, (int64_t)clen));
	json_object *ls = json_object_new_array();
	for (size_t i = 0; i < n_layers; i++)
		json_object_array_add(ls,
				      new_descriptor(layers[i].media_type[0] ? layers[i].media_type
									     : HVC_MT_LAYER_TGZ,
						     layers[i].digest, layers[i].size));
	json_object_object_add(m, "layers", ls);
	size_t mlen;
	const char *mjson = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &mlen);
	if (hvc_image_blob_write_buf(s, mjson, mlen, mdig, err) < 0)
		return hvc_error_prefix(err, "commit image: manifest");
	if (hvc_image_index_add(s, mdig, (int64_t)mlen, norm, err) < 0)
		return hvc_error_prefix(err, "commit image");
	if (manifest_digest)
		strcpy(manifest_digest, mdig);
	return 0;
}
