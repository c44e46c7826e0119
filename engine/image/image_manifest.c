/* engine/image/image_manifest: a manifest (following an image index to this
 * host's platform) and its config, read from blobs and checked, become a
 * struct hvc_image. */
#include "image_internal.h"
#include <string.h>

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
	json_object *ms = hvc_json_get_array(index, "manifests");
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

const char *hvc_image_manifest_media_type(struct hvc_image_store *s, const char *digest)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	_cleanup_json_ json_object *m = NULL;
	if (hvc_image_blob_read(s, digest, -1, &buf, &len, NULL) < 0 ||
	    hvc_json_parse(buf, len, "manifest", &m, NULL) < 0)
		return HVC_MT_MANIFEST;
	const char *mt = hvc_json_get_string(m, "mediaType");
	return mt && !strcmp(mt, HVC_MT_DOCKER_MANIFEST) ? HVC_MT_DOCKER_MANIFEST : HVC_MT_MANIFEST;
}

int hvc_image_open_manifest(struct hvc_image_store *s, const char *digest, int64_t size,
			    struct hvc_image **out, struct hvc_error *err)
{
	return hvc_image_load_manifest(s, digest, size, NULL, out, err);
}
