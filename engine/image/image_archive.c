/* engine/image/image_archive: `hvc image save` / `hvc image load` — an OCI archive
 * is a tar of an OCI image layout (oci-layout, index.json, blobs/sha256/…),
 * what skopeo's oci-archive: transport reads and writes. Loading stages every
 * blob (verified against its name) and every manifest and config (parsed and
 * checked) before anything enters the store, so a bad archive changes nothing. */
#include "image_internal.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------- save -------------------------------------------------------- */

static int add_mem(struct archive *a, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK || archive_write_data(a, data, len) != (la_ssize_t)len)
		return -1;
	return 0;
}

static int add_dir(struct archive *a, const char *name)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_mtime(e, time(NULL), 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

static int add_blob(struct hvc_image_store *s, struct archive *a, const char *digest,
		    struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return hvc_image_err(err, ENOENT, "blob %s: missing (`%s`)", digest,
				     path ? path : "?");
	_cleanup_free_ char *name = hvc_strdup_printf("blobs/sha256/%s", digest + 7);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return hvc_err(err, EIO, "write blob %s: %s", digest, archive_error_string(a));
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n)
			return hvc_err(err, EIO, "write blob %s: %s", digest,
				       archive_error_string(a));
	if (n < 0)
		return hvc_err(err, errno, "read blob %s", digest);
	return 0;
}

static bool strv_contains(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* The index entry for one saved reference (annotated with the name the user
 * asked for; a digest ref saves no name); its blobs join *blobs once each. */
static int save_entry(struct hvc_image_store *s, const char *ref, char ***blobs, json_object **out,
		      struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	if (hvc_image_resolve(s, ref, &img, err) < 0)
		return -1;
	const char *want[] = {img->manifest_digest, img->config_digest};
	for (size_t k = 0; k < 2; k++)
		if (!strv_contains(*blobs, want[k]))
			hvc_strv_push(blobs, want[k]);
	for (size_t l = 0; l < img->n_layers; l++)
		if (!strv_contains(*blobs, img->layers[l].digest))
			hvc_strv_push(blobs, img->layers[l].digest);
	json_object *d = json_object_new_object();
	hvc_json_add_string(d, "mediaType", hvc_image_manifest_media_type(s, img->manifest_digest));
	hvc_json_add_string(d, "digest", img->manifest_digest);
	hvc_json_add_int(d, "size", img->manifest_size);
	_cleanup_free_ char *norm = NULL;
	const char *name =
	    hvc_image_name_normalize(ref, &norm, NULL) == 0 && img->name && !strcmp(norm, img->name)
		? norm
		: (hvc_str_has_prefix(ref, "sha256:") ? NULL : img->name);
	if (name) {
		json_object *a = json_object_new_object();
		hvc_json_add_string(a, HVC_ANNOT_REF_NAME, name);
		json_object_object_add(d, "annotations", a);
	}
	*out = d;
	return 0;
}

/* The archive's entries in order: oci-layout, blobs/, every blob, index.json. */
static int write_archive(struct hvc_image_store *s, struct archive *a, int fd, const char *out,
			 char *const *blobs, json_object *idx, struct hvc_error *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		return hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
	size_t ilen;
	const char *ijson = json_object_to_json_string_length(
	    idx, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &ilen);
	if (add_mem(a, "oci-layout", layout, strlen(layout)) < 0 || add_dir(a, "blobs/") < 0 ||
	    add_dir(a, "blobs/sha256/") < 0)
		return hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
	for (size_t i = 0; blobs && blobs[i]; i++)
		if (add_blob(s, a, blobs[i], err) < 0)
			return -1;
	if (add_mem(a, "index.json", ijson, ilen) < 0 || archive_write_close(a) != ARCHIVE_OK)
		return hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
	if (fsync(fd) < 0)
		return hvc_err(err, errno, "write `%s`", out);
	return 0;
}

int hvc_image_save(struct hvc_image_store *s, char *const *refs, const char *out,
		   struct hvc_error *err)
{
	_cleanup_strv_ char **blobs = NULL;
	_cleanup_json_ json_object *idx = json_object_new_object();
	json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
	hvc_json_add_string(idx, "mediaType", HVC_MT_INDEX);
	json_object *ms = json_object_new_array();
	json_object_object_add(idx, "manifests", ms);
	for (size_t i = 0; refs[i]; i++) {
		json_object *d;
		if (save_entry(s, refs[i], &blobs, &d, err) < 0)
			return -1;
		json_object_array_add(ms, d);
	}
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp.XXXXXX", out);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "create `%s`", tmp);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	int rc = write_archive(s, a, fd, out, blobs, idx, err);
	if (rc == 0 && rename(tmp, out) < 0)
		rc = hvc_err(err, errno, "rename `%s` to `%s`", tmp, out);
	archive_write_free(a);
	if (rc < 0)
		unlink(tmp);
	else
		chmod(out, 0644);
	return rc;
}

/* ---------- load -------------------------------------------------------- */

static int stage_blob(struct archive *a, const char *file, const char *member, const char *hex,
		      const char *staging, struct hvc_error *err)
{
	_cleanup_free_ char *digest = hvc_strdup_printf("sha256:%s", hex);
	if (!hvc_digest_valid(digest))
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: not a sha256 blob name", file,
				     member);
	_cleanup_free_ char *path = hvc_strdup_printf("%s/blobs/sha256/%s", staging, hex);
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return hvc_err(err, errno, "create `%s`", path);
	struct hvc_hasher h;
	hvc_hasher_init(&h);
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		hvc_hasher_update(&h, buf, len);
		if (pwrite(fd, buf, len, off) != (ssize_t)len) {
			int e = errno;
			hvc_hasher_free(&h);
			return hvc_err(err, e, "write `%s`", path);
		}
	}
	if (r != ARCHIVE_EOF) {
		hvc_hasher_free(&h);
		return hvc_image_err(err, EIO, "`%s`: blob %s: %s", file, digest,
				     archive_error_string(a) ?: "truncated");
	}
	char got[HVC_DIGEST_LEN];
	hvc_hasher_final(&h, got);
	if (strcmp(got, digest) != 0)
		return hvc_image_err(err, EILSEQ, "`%s`: blob %s: digest mismatch: content is %s",
				     file, digest, got);
	if (fsync(fd) < 0)
		return hvc_err(err, errno, "write `%s`", path);
	return 0;
}

static int read_small(struct archive *a, const char *file, const char *member, char **out,
		      size_t *outlen, struct hvc_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return hvc_err(err, ENOMEM, "`%s`: member `%s`", file, member);
	for (;;) {
		if (n + 4096 > cap) {
			if (cap > (16u << 20)) {
				free(buf);
				return hvc_image_err(err, EFBIG,
						     "`%s`: member `%s`: larger than 16 MiB", file,
						     member);
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return hvc_err(err, ENOMEM, "`%s`: member `%s`", file, member);
			}
			buf = nb;
			cap *= 2;
		}
		la_ssize_t r = archive_read_data(a, buf + n, cap - n - 1);
		if (r < 0) {
			free(buf);
			return hvc_image_err(err, EIO, "`%s`: member `%s`: %s", file, member,
					     archive_error_string(a) ?: "truncated");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

/* The name an archive gives an index entry, normalised ("latest"-only tags
 * from other tools keep their text, so nothing is invented). */
static char *archive_entry_name(json_object *d)
{
	json_object *an = hvc_json_get(d, "annotations");
	const char *n = hvc_json_get_string(an, "io.containerd.image.name");
	if (!n)
		n = hvc_json_get_string(an, HVC_ANNOT_REF_NAME);
	if (!n)
		return NULL;
	char *out = NULL;
	if (hvc_image_name_normalize(n, &out, NULL) < 0)
		return NULL;
	return out;
}

/* One `hvc image load`: the archive's blobs staged under staging, its index
 * parsed, its images checked against the staging area. */
struct load {
	struct hvc_image_store *s;
	const char *file;
	char *staging, *sblobs, *what;
	char *index_buf;
	size_t index_len;
	json_object *idx, *ms;
	struct hvc_image **imgs; /* n, from ms */
	char **names;		 /* n, each may be NULL */
	size_t n;
};

static void load_free(struct load *l)
{
	for (size_t i = 0; i < l->n; i++) {
		hvc_image_free(l->imgs[i]);
		free(l->names[i]);
	}
	free(l->imgs);
	free(l->names);
	if (l->idx)
		json_object_put(l->idx);
	free(l->index_buf);
	free(l->what);
	if (l->staging)
		hvc_rm_rf(l->staging, NULL);
	free(l->staging);
	free(l->sblobs);
}

/* One member: index.json is kept in memory, blobs/sha256/<hex> staged and
 * verified, anything else ignored; a name that could escape is refused. */
static int load_member(struct load *l, struct archive *a, struct archive_entry *e,
		       struct hvc_error *err)
{
	const char *orig = archive_entry_pathname(e) ?: "";
	const char *why = hvc_image_member_path_problem(orig);
	if (why)
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: %s", l->file, orig, why);
	_cleanup_free_ char *name = hvc_xstrdup(orig);
	hvc_image_member_path_clean(name);
	if (archive_entry_filetype(e) != AE_IFREG)
		return 0;
	if (!strcmp(name, "index.json")) {
		free(l->index_buf);
		l->index_buf = NULL;
		return read_small(a, l->file, orig, &l->index_buf, &l->index_len, err);
	}
	if (hvc_str_has_prefix(name, "blobs/sha256/") && !strchr(name + 13, '/'))
		return stage_blob(a, l->file, orig, name + 13, l->staging, err);
	hvc_debug("load `%s`: member `%s` ignored", l->file, orig);
	return 0;
}

static int load_stage(struct load *l, struct hvc_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int rc = 0, r = ARCHIVE_OK;
	if (archive_read_open_filename(a, l->file, 1 << 16) != ARCHIVE_OK)
		rc = hvc_image_err(err, archive_errno(a) > 0 ? archive_errno(a) : EINVAL,
				   "read `%s`: %s", l->file,
				   archive_error_string(a) ?: "not a tar archive");
	struct archive_entry *e;
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		rc = load_member(l, a, e, err);
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = hvc_image_err(err, EIO, "read `%s`: %s", l->file,
				   archive_error_string(a) ?: "truncated");
	archive_read_free(a);
	return rc;
}

static int load_parse_index(struct load *l, struct hvc_error *err)
{
	if (!l->index_buf)
		return hvc_image_err(err, EINVAL, "`%s`: not an OCI archive (no index.json)",
				     l->file);
	l->what = hvc_strdup_printf("index.json in `%s`", l->file);
	if (hvc_json_parse(l->index_buf, l->index_len, l->what, &l->idx, err) < 0)
		return -1;
	l->ms = hvc_json_get(l->idx, "manifests");
	if (!l->ms || !json_object_is_type(l->ms, json_type_array))
		return hvc_image_err(err, EINVAL, "%s: no manifests array", l->what);
	return 0;
}

/* Every layer blob of img is in the staging area, with the size its manifest says. */
static int check_layer_blobs(struct load *l, struct hvc_image_store *st,
			     const struct hvc_image *img, struct hvc_error *err)
{
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct hvc_image_layer *ly = &img->layers[i];
		_cleanup_free_ char *p = hvc_image_blob_path(st, ly->digest);
		struct stat sb;
		if (stat(p, &sb) < 0)
			return hvc_image_err(err, ENOENT,
					     "`%s`: layer blob %s: missing from the archive",
					     l->file, ly->digest);
		if (ly->size >= 0 && sb.st_size != ly->size)
			return hvc_image_err(
			    err, EILSEQ, "`%s`: layer blob %s: %lld bytes, manifest says %lld",
			    l->file, ly->digest, (long long)sb.st_size, (long long)ly->size);
	}
	return 0;
}

/* Reads every manifest and config from the staging area, as if it were a store. */
static int load_check_images(struct load *l, struct hvc_error *err)
{
	struct hvc_image_store st = {.root = l->s->root,
				     .layout = l->staging,
				     .layers = l->s->layers,
				     .tmp = l->s->tmp,
				     .lock_fd = -1,
				     .hold_fd = -1};
	size_t n = json_object_array_length(l->ms);
	l->imgs = calloc(n + 1, sizeof(*l->imgs)); /* n comes from the archive */
	l->names = calloc(n + 1, sizeof(char *));
	if (!l->imgs || !l->names)
		return hvc_err(err, ENOMEM, "`%s`: %zu manifests", l->file, n);
	l->n = n;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(l->ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		if (!hvc_digest_valid(dg))
			return hvc_image_err(err, EINVAL, "%s: entry %zu: invalid digest", l->what,
					     i + 1);
		l->names[i] = archive_entry_name(d);
		if (hvc_image_load_manifest(&st, dg, hvc_json_get_int(d, "size", -1), l->names[i],
					    &l->imgs[i], err) < 0)
			return hvc_error_prefix(err, "`%s`", l->file);
		if (check_layer_blobs(l, &st, l->imgs[i], err) < 0)
			return -1;
	}
	return 0;
}

/* Blobs first (content-addressed, atomic renames), the index entries last. */
static int load_install(struct load *l, char ***loaded, struct hvc_error *err)
{
	int rc = 0;
	DIR *dir = opendir(l->sblobs);
	struct dirent *de;
	_cleanup_free_ char *dst_dir = hvc_path_join(l->s->layout, "blobs/sha256");
	while (rc == 0 && dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *src = hvc_path_join(l->sblobs, de->d_name);
		_cleanup_free_ char *dst = hvc_path_join(dst_dir, de->d_name);
		if (!hvc_path_exists(dst) && rename(src, dst) < 0)
			rc = hvc_err(err, errno, "install blob sha256:%s", de->d_name);
	}
	if (dir)
		closedir(dir);
	_cleanup_close_ int dfd = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		struct hvc_image *img = l->imgs[i];
		rc = hvc_image_index_add(l->s, img->manifest_digest, img->manifest_size,
					 l->names[i], err);
		_cleanup_free_ char *line = hvc_strdup_printf(
		    "Loaded image: %s", l->names[i] ? l->names[i] : img->manifest_digest);
		if (rc == 0)
			hvc_strv_push(loaded, line);
	}
	return rc;
}

int hvc_image_load(struct hvc_image_store *s, const char *file, char ***loaded,
		   struct hvc_error *err)
{
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_free_ char *staging =
	    hvc_strdup_printf("%s/load.XXXXXX", hvc_image_store_tmpdir(s));
	if (!mkdtemp(staging))
		return hvc_err(err, errno, "create `%s`", staging);
	/* from here on the staging area is removed on every return */
	__attribute__((cleanup(load_free))) struct load l = {
	    .s = s, .file = file, .staging = steal_pointer(&staging)};
	l.sblobs = hvc_path_join(l.staging, "blobs/sha256");
	if (hvc_mkdir_p(l.sblobs, 0755, err) < 0 || load_stage(&l, err) < 0 ||
	    load_parse_index(&l, err) < 0 || load_check_images(&l, err) < 0)
		return -1;
	return load_install(&l, loaded, err);
}
