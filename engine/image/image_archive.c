/* engine/image/image_archive: `hvc image save` / `hvc image load` — an OCI archive
 * is a tar of an OCI image layout (oci-layout, index.json, blobs/sha256/…),
 * what skopeo's oci-archive: transport reads and writes. Loading stages every
 * blob (verified against its name) and every manifest and config (parsed and
 * checked) before anything enters the store, so a bad archive changes nothing. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "image_internal.h"

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
		return hvc_image_err(err, ENOENT, "blob %s: missing (`%s`)", digest, path ? path : "?");
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
			return hvc_err(err, EIO, "write blob %s: %s", digest, archive_error_string(a));
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
		struct hvc_image *img = NULL;
		if (hvc_image_resolve(s, refs[i], &img, err) < 0)
			return -1;
		const char *want[2];
		size_t nw = 0;
		want[nw++] = img->manifest_digest;
		want[nw++] = img->config_digest;
		for (size_t k = 0; k < nw; k++)
			if (!strv_contains(blobs, want[k]))
				hvc_strv_push(&blobs, want[k]);
		for (size_t l = 0; l < img->n_layers; l++)
			if (!strv_contains(blobs, img->layers[l].digest))
				hvc_strv_push(&blobs, img->layers[l].digest);
		json_object *d = json_object_new_object();
		hvc_json_add_string(d, "mediaType", HVC_MT_MANIFEST);
		hvc_json_add_string(d, "digest", img->manifest_digest);
		hvc_json_add_int(d, "size", img->manifest_size);
		/* the name the user asked for (a digest ref saves no name) */
		_cleanup_free_ char *norm = NULL;
		const char *name = hvc_image_name_normalize(refs[i], &norm, NULL) == 0 && img->name &&
						   !strcmp(norm, img->name)
					   ? norm
					   : (hvc_str_has_prefix(refs[i], "sha256:") ? NULL : img->name);
		if (name) {
			json_object *a = json_object_new_object();
			hvc_json_add_string(a, HVC_ANNOT_REF_NAME, name);
			json_object_object_add(d, "annotations", a);
		}
		json_object_array_add(ms, d);
		hvc_image_free(img);
	}
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp.XXXXXX", out);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "create `%s`", tmp);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	int rc = 0;
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
		goto out;
	}
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	size_t ilen;
	const char *ijson = json_object_to_json_string_length(
		idx, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &ilen);
	if (add_mem(a, "oci-layout", layout, strlen(layout)) < 0 || add_dir(a, "blobs/") < 0 ||
	    add_dir(a, "blobs/sha256/") < 0) {
		rc = hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; blobs && blobs[i] && rc == 0; i++)
		rc = add_blob(s, a, blobs[i], err);
	if (rc == 0 && add_mem(a, "index.json", ijson, ilen) < 0)
		rc = hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = hvc_err(err, EIO, "write `%s`: %s", out, archive_error_string(a));
	if (rc == 0 && fsync(fd) < 0)
		rc = hvc_err(err, errno, "write `%s`", out);
	if (rc == 0 && rename(tmp, out) < 0)
		rc = hvc_err(err, errno, "rename `%s` to `%s`", tmp, out);
out:
	archive_write_free(a);
	close(fd);
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
		return hvc_image_err(err, EINVAL, "`%s`: member `%s`: not a sha256 blob name", file, member);
	_cleanup_free_ char *path = hvc_strdup_printf("%s/blobs/sha256/%s", staging, hex);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
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
		return hvc_image_err(err, EILSEQ, "`%s`: blob %s: digest mismatch: content is %s", file,
				     digest, got);
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
				return hvc_image_err(err, EFBIG, "`%s`: member `%s`: larger than 16 MiB", file, member);
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

int hvc_image_load(struct hvc_image_store *s, const char *file, char ***loaded,
		   struct hvc_error *err)
{
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_free_ char *staging = hvc_strdup_printf("%s/load.XXXXXX", hvc_image_store_tmpdir(s));
	if (!mkdtemp(staging))
		return hvc_err(err, errno, "create `%s`", staging);
	_cleanup_free_ char *sblobs = hvc_path_join(staging, "blobs/sha256");
	_cleanup_free_ char *index_buf = NULL;
	size_t index_len = 0;
	int rc = hvc_mkdir_p(sblobs, 0755, err);
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (rc == 0 && archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK)
		rc = hvc_image_err(err, archive_errno(a) > 0 ? archive_errno(a) : EINVAL, "read `%s`: %s",
				   file, archive_error_string(a) ?: "not a tar archive");
	struct archive_entry *e;
	int r = ARCHIVE_OK;
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *orig = archive_entry_pathname(e) ?: "";
		const char *why = hvc_image_member_path_problem(orig);
		if (why) {
			rc = hvc_image_err(err, EINVAL, "`%s`: member `%s`: %s", file, orig, why);
			break;
		}
		_cleanup_free_ char *name = strdup(orig);
		hvc_image_member_path_clean(name);
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!strcmp(name, "index.json")) {
			free(index_buf);
			index_buf = NULL;
			rc = read_small(a, file, orig, &index_buf, &index_len, err);
		} else if (hvc_str_has_prefix(name, "blobs/sha256/") && !strchr(name + 13, '/')) {
			rc = stage_blob(a, file, orig, name + 13, staging, err);
		} else {
			hvc_debug("load `%s`: member `%s` ignored", file, orig);
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = hvc_image_err(err, EIO, "read `%s`: %s", file, archive_error_string(a) ?: "truncated");
	archive_read_free(a);
	_cleanup_json_ json_object *idx = NULL;
	if (rc == 0 && !index_buf)
		rc = hvc_image_err(err, EINVAL, "`%s`: not an OCI archive (no index.json)", file);
	_cleanup_free_ char *what = hvc_strdup_printf("index.json in `%s`", file);
	if (rc == 0)
		rc = hvc_json_parse(index_buf, index_len, what, &idx, err);
	json_object *ms = hvc_json_get(idx, "manifests");
	if (rc == 0 && (!ms || !json_object_is_type(ms, json_type_array)))
		rc = hvc_image_err(err, EINVAL, "%s: no manifests array", what);

	/* validate everything against the staging area, as if it were a store */
	struct hvc_image_store st = { .root = s->root, .layout = staging, .layers = s->layers,
				      .tmp = s->tmp, .lock_fd = -1, .hold_fd = -1 };
	size_t n = rc == 0 ? json_object_array_length(ms) : 0;
	struct hvc_image **imgs = calloc(n + 1, sizeof(*imgs));
	char **names = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		if (!hvc_digest_valid(dg)) {
			rc = hvc_image_err(err, EINVAL, "%s: entry %zu: invalid digest", what, i + 1);
			break;
		}
		names[i] = archive_entry_name(d);
		if ((rc = hvc_image_load_manifest(&st, dg, hvc_json_get_int(d, "size", -1), names[i], &imgs[i],
						  err)) < 0) {
			hvc_error_prefix(err, "`%s`", file);
			break;
		}
		for (size_t l = 0; l < imgs[i]->n_layers && rc == 0; l++) {
			_cleanup_free_ char *p = hvc_image_blob_path(&st, imgs[i]->layers[l].digest);
			struct stat sb;
			if (stat(p, &sb) < 0)
				rc = hvc_image_err(err, ENOENT, "`%s`: layer blob %s: missing from the archive",
						   file, imgs[i]->layers[l].digest);
			else if (imgs[i]->layers[l].size >= 0 && sb.st_size != imgs[i]->layers[l].size)
				rc = hvc_image_err(err, EILSEQ, "`%s`: layer blob %s: %lld bytes, manifest says %lld",
						   file, imgs[i]->layers[l].digest, (long long)sb.st_size,
						   (long long)imgs[i]->layers[l].size);
		}
	}
	/* install: blobs first (content-addressed, atomic renames), index last */
	if (rc == 0) {
		DIR *dir = opendir(sblobs);
		struct dirent *de;
		_cleanup_free_ char *dst_dir = hvc_path_join(s->layout, "blobs/sha256");
		while (rc == 0 && dir && (de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			_cleanup_free_ char *src = hvc_path_join(sblobs, de->d_name);
			_cleanup_free_ char *dst = hvc_path_join(dst_dir, de->d_name);
			if (!hvc_path_exists(dst) && rename(src, dst) < 0)
				rc = hvc_err(err, errno, "install blob sha256:%s", de->d_name);
		}
		if (dir)
			closedir(dir);
		int dfd = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = hvc_image_index_add(s, imgs[i]->manifest_digest, imgs[i]->manifest_size, names[i], err);
		_cleanup_free_ char *line = names[i] ? hvc_strdup_printf("Loaded image: %s", names[i])
						     : hvc_strdup_printf("Loaded image: %s", imgs[i]->manifest_digest);
		if (rc == 0)
			hvc_strv_push(loaded, line);
	}
	for (size_t i = 0; i < n; i++) {
		hvc_image_free(imgs[i]);
		free(names[i]);
	}
	free(imgs);
	free(names);
	hvc_rm_rf(staging, NULL);
	return rc;
}
