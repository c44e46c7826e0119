/* engine/image/image_unpack: the unpacked-layer cache ($HVC_ROOT/layers/<hex>/,
 * one directory per diff_id, shared by every image and container that uses
 * the layer) and the two views of an image built on it: overlayfs lowerdirs
 * for containers, a flattened directory for VMs. */
#include "image_internal.h"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int verify(const struct hvc_image_layer *l, const char *diff, const char *dig,
		  struct hvc_error *err)
{
	if (strcmp(dig, l->digest) != 0)
		return hvc_image_err(err, EILSEQ, "layer blob %s: digest mismatch: content is %s",
				     l->digest, dig);
	if (l->diff_id[0] && strcmp(diff, l->diff_id) != 0)
		return hvc_image_err(
		    err, EILSEQ, "layer blob %s: diff_id mismatch: config says %s, content is %s",
		    l->digest, l->diff_id, diff);
	return 0;
}

static char *layer_dir(struct hvc_image_store *s, const struct hvc_image_layer *l)
{
	/* hex only: ':' separates overlayfs lowerdirs */
	return hvc_strdup_printf("%s/%s", s->layers, l->diff_id + 7);
}

/* Extracts the layer into a scratch dir beside final, verifies it, and
 * publishes it by a rename (a concurrent unpacker's copy wins a race). */
static int unpack_new(struct hvc_image_store *s, const struct hvc_image_layer *layer,
		      const char *final, struct hvc_error *err)
{
	_cleanup_free_ char *blob = hvc_image_blob_path(s, layer->digest);
	_cleanup_free_ char *tmp =
	    hvc_strdup_printf("%s/.tmp-%.12s-XXXXXX", s->layers, layer->diff_id + 7);
	if (!hvc_path_exists(blob))
		return hvc_image_err(err, ENOENT, "layer blob %s: missing (`%s`)", layer->digest,
				     blob);
	if (!mkdtemp(tmp))
		return hvc_err(err, errno, "create `%s`", tmp);
	chmod(tmp, 0755);
	char diff[HVC_DIGEST_LEN], dig[HVC_DIGEST_LEN];
	uint64_t t0 = hvc_now_ns();
	if (hvc_image_extract(blob, tmp, true, diff, dig, err) < 0 ||
	    verify(layer, diff, dig, err) < 0) {
		hvc_rm_rf(tmp, NULL);
		return hvc_error_prefix(err, "unpack layer %.19s", layer->digest);
	}
	/* the rename publishes the layer: its contents must be on disk first */
	_cleanup_close_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		syncfs(fd);
	int rc = 0;
	if (rename(tmp, final) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			rc = hvc_err(err, errno, "rename `%s` to `%s`", tmp, final);
		hvc_rm_rf(tmp, NULL); /* another process unpacked it first */
	}
	hvc_debug("unpacked layer %.19s in %.1f ms", layer->diff_id,
		  hvc_ns_to_ms(hvc_now_ns() - t0));
	return rc;
}

int hvc_image_layer_unpack(struct hvc_image_store *s, const struct hvc_image_layer *layer,
			   char **dir, struct hvc_error *err)
{
	if (!hvc_digest_valid(layer->diff_id) || !hvc_digest_valid(layer->digest))
		return hvc_image_err(err, EINVAL, "layer: invalid digest or diff_id");
	_cleanup_free_ char *final = layer_dir(s, layer);
	struct stat st;
	if (stat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (dir)
			*dir = steal_pointer(&final);
		return 0;
	}
	bool held;
	if (hvc_image_hold_temp(s, &held, err) < 0)
		return -1;
	int rc = unpack_new(s, layer, final, err);
	hvc_image_hold_release(s, held);
	if (rc == 0 && dir)
		*dir = steal_pointer(&final);
	return rc;
}

int hvc_image_lowerdirs(struct hvc_image_store *s, const struct hvc_image *img, char ***dirs,
			struct hvc_error *err)
{
	_cleanup_strv_ char **v = calloc(img->n_layers + 1, sizeof(char *));
	if (!v)
		return hvc_err(err, ENOMEM, "lowerdirs");
	for (size_t i = 0; i < img->n_layers; i++) {
		struct hvc_image_layer l = img->layers[i];
		snprintf(l.diff_id, sizeof(l.diff_id), "%s", img->diff_ids[i]);
		char *d = NULL;
		if (hvc_image_layer_unpack(s, &l, &d, err) < 0) {
			/* v fills from its end: strv_free would stop at v[0] (NULL) */
			for (size_t j = img->n_layers - i; j < img->n_layers; j++) {
				free(v[j]);
				v[j] = NULL;
			}
			const char *name = img->name ? img->name : img->manifest_digest;
			if (err && err->code == ENOENT && img->manifest_digest &&
			    !hvc_image_manifest_indexed(s, img->manifest_digest))
				return hvc_image_err(err, ENOENT,
						     "image \"%s\" not found (removed while starting)",
						     name);
			return hvc_error_prefix(err, "image %s", name);
		}
		v[img->n_layers - 1 - i] = d; /* top first */
	}
	*dirs = steal_pointer(&v);
	return 0;
}

int hvc_image_unpack_all(struct hvc_image_store *s, struct hvc_error *err)
{
	_cleanup_image_list_ struct hvc_image **v = NULL;
	if (hvc_image_list(s, &v, err) < 0)
		return -1;
	for (size_t i = 0; v[i]; i++) {
		_cleanup_strv_ char **dirs = NULL;
		if (hvc_image_lowerdirs(s, v[i], &dirs, err) < 0)
			return -1;
	}
	return 0;
}

static bool dir_empty(const char *path)
{
	_cleanup_free_ char *data = NULL;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

int hvc_image_flatten(struct hvc_image_store *s, const struct hvc_image *img, const char *dest,
		      struct hvc_error *err)
{
	bool created = false;
	struct stat st;
	if (stat(dest, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !dir_empty(dest))
			return hvc_image_err(
			    err, EEXIST, "flatten into `%s`: exists and is not an empty directory",
			    dest);
	} else {
		if (mkdir(dest, 0755) < 0)
			return hvc_err(err, errno, "flatten: mkdir `%s`", dest);
		created = true;
	}
	int rc = 0;
	for (size_t i = 0; i < img->n_layers && rc == 0; i++) {
		struct hvc_image_layer l = img->layers[i];
		snprintf(l.diff_id, sizeof(l.diff_id), "%s", img->diff_ids[i]);
		_cleanup_free_ char *blob = hvc_image_blob_path(s, l.digest);
		char diff[HVC_DIGEST_LEN], dig[HVC_DIGEST_LEN];
		if (!hvc_path_exists(blob))
			rc = hvc_image_err(err, ENOENT, "layer blob %s: missing (`%s`)", l.digest,
					   blob);
		else if ((rc = hvc_image_extract(blob, dest, false, diff, dig, err)) == 0)
			rc = verify(&l, diff, dig, err);
	}
	if (rc < 0) {
		hvc_error_prefix(err, "flatten image %s into `%s`",
				 img->name ? img->name : img->manifest_digest, dest);
		if (created)
			hvc_rm_rf(dest, NULL);
		else {
			/* leave the empty directory the caller gave us */
			_cleanup_free_ char *tmp = hvc_strdup_printf("%s", dest);
			DIR *d = opendir(dest);
			struct dirent *de;
			while (d && (de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
					_cleanup_free_ char *p = hvc_path_join(dest, de->d_name);
					hvc_rm_rf(p, NULL);
				}
			if (d)
				closedir(d);
		}
		return rc;
	}
	chmod(dest, 0755);
	return 0;
}
