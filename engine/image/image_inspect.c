/* engine/image/image_inspect: `hvc image inspect` — one JSON document per image:
 * names, digests, the OCI config, the manifest's layers and the cache state. */
#include "image_internal.h"
#include <string.h>
#include <sys/stat.h>

/* Every name in index.json that points at digest, as a JSON array. */
json_object *hvc_image_names_of(struct hvc_image_store *s, const char *digest)
{
	json_object *names = json_object_new_array();
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, NULL) < 0)
		return names;
	json_object *ms = hvc_json_get(idx, "manifests");
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *n =
		    hvc_json_get_string(hvc_json_get(d, "annotations"), HVC_ANNOT_REF_NAME);
		if (n && !strcmp(hvc_json_get_string(d, "digest") ?: "", digest))
			json_object_array_add(names, json_object_new_string(n));
	}
	return names;
}

int64_t hvc_image_size(const struct hvc_image *img)
{
	int64_t size = img->manifest_size + (img->config_size > 0 ? img->config_size : 0);
	for (size_t i = 0; i < img->n_layers; i++)
		size += img->layers[i].size > 0 ? img->layers[i].size : 0;
	return size;
}

int hvc_image_inspect(struct hvc_image_store *s, const char *ref, json_object **out,
		      struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	_cleanup_json_ json_object *cfg = NULL;
	if (hvc_image_resolve_config(s, ref, &img, &cfg, err) < 0)
		return -1;
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "Id", img->manifest_digest);
	hvc_json_add_string(o, "Name", img->name);
	json_object_object_add(o, "RepoTags", hvc_image_names_of(s, img->manifest_digest));
	hvc_json_add_string(o, "ConfigDigest", img->config_digest);
	hvc_json_add_string(o, "Created", img->created);
	hvc_json_add_string(o, "Architecture", img->architecture);
	hvc_json_add_string(o, "Os", img->os);
	json_object *layers = json_object_new_array();
	for (size_t i = 0; i < img->n_layers; i++) {
		struct hvc_image_layer *l = &img->layers[i];
		json_object *lo = json_object_new_object();
		hvc_json_add_string(lo, "digest", l->digest);
		hvc_json_add_string(lo, "diff_id", img->diff_ids[i]);
		hvc_json_add_string(lo, "mediaType", l->media_type);
		hvc_json_add_int(lo, "size", l->size);
		_cleanup_free_ char *dir =
		    hvc_strdup_printf("%s/%s", s->layers, img->diff_ids[i] + 7);
		struct stat st;
		if (stat(dir, &st) == 0)
			hvc_json_add_string(lo, "unpacked", dir);
		json_object_array_add(layers, lo);
	}
	hvc_json_add_int(o, "Size", hvc_image_size(img));
	json_object_object_add(o, "Layers", layers);
	json_object *c = hvc_json_get(cfg, "config");
	json_object_object_add(o, "Config", c ? json_object_get(c) : json_object_new_object());
	json_object *rootfs = hvc_json_get(cfg, "rootfs");
	if (rootfs)
		json_object_object_add(o, "RootFS", json_object_get(rootfs));
	json_object *hist = hvc_json_get(cfg, "history");
	if (hist)
		json_object_object_add(o, "History", json_object_get(hist));
	*out = o;
	return 0;
}
