/* engine/image/image_commit: writing new images — a config document with its
 * history, then config and manifest blobs and the index entry. */
#include "image_internal.h"
#include <string.h>

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
	if (!rootfs || !json_object_is_type(rootfs, json_type_object)) {
		rootfs = json_object_new_object();
		hvc_json_add_string(rootfs, "type", "layers");
		json_object_object_add(cfg, "rootfs", rootfs);
	}
	json_object *ids = hvc_json_get_array(rootfs, "diff_ids");
	if (!ids) {
		ids = json_object_new_array();
		json_object_object_add(rootfs, "diff_ids", ids);
	}
	json_object *hist = hvc_json_get_array(cfg, "history"); /* a parent's odd history is replaced */
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
	json_object *ids = hvc_json_get_array(hvc_json_get(config, "rootfs"), "diff_ids");
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
	json_object_object_add(m, "config", hvc_image_descriptor_new(HVC_MT_CONFIG, cdig, (int64_t)clen));
	json_object *ls = json_object_new_array();
	for (size_t i = 0; i < n_layers; i++)
		json_object_array_add(ls,
				      hvc_image_descriptor_new(layers[i].media_type[0] ? layers[i].media_type
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
