/* engine/image/image_layer_commit: one new layer, from a rootfs directory or a
 * tar(.gz), committed as an image on an optional parent. Below both the busybox
 * bootstrap and `hvc image import`, which differ only in where the tree comes
 * from and what the history says. */
#include "image_internal.h"
#include <string.h>
#include <sys/stat.h>

/* The layer of source; *has_sh tells whether it holds bin/sh. */
static int layer_from_source(struct hvc_image_store *s, const char *source,
			     struct hvc_image_layer *layer, bool *has_sh, struct hvc_error *err)
{
	struct stat st;
	if (stat(source, &st) < 0)
		return hvc_err(err, errno, "import `%s`", source);
	*has_sh = false;
	if (S_ISDIR(st.st_mode)) {
		if (hvc_image_layer_from_dir(s, source, layer, err) < 0)
			return hvc_error_prefix(err, "import `%s`", source);
		_cleanup_free_ char *sh = hvc_path_join(source, "bin/sh");
		struct stat sst;
		*has_sh = lstat(sh, &sst) == 0;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return hvc_image_err(err, EINVAL, "import `%s`: not a directory or a tar file",
				     source);
	if (hvc_image_layer_from_tar(s, source, layer, has_sh, err) < 0)
		return -1; /* the message names the file and member */
	/* a foreign tar can still hide escapes that only extraction sees (a
	 * symlink pointing out, then a member written through it): unpack it
	 * now, so such a tar is refused here and not at the first run */
	if (hvc_image_layer_unpack(s, layer, NULL, err) < 0)
		return hvc_error_prefix(err, "import `%s`", source);
	return 0;
}

/* The new image's config: the parent's (re-dated) or a fresh one, whose Cmd is
 * /bin/sh when the tree has a shell. */
static int config_for(struct hvc_image_store *s, const struct hvc_image_commit_layer *c,
		      bool has_sh, json_object **out, struct hvc_error *err)
{
	_cleanup_json_ json_object *cfg = NULL;
	if (c->parent) {
		_cleanup_json_ json_object *pc = NULL;
		char now[64];
		if (hvc_image_config_read(s, c->parent, &pc, err) < 0 ||
		    json_object_deep_copy(pc, &cfg, NULL) != 0)
			return hvc_error_prefix(err, "import `%s`: parent config", c->source);
		json_object_object_add(
		    cfg, "created",
		    json_object_new_string(c->created ? c->created
						      : hvc_wall_iso8601(now, sizeof(now))));
	} else {
		cfg = hvc_image_config_new(c->created);
	}
	if (!c->parent && (has_sh || c->force_sh)) {
		json_object *cmd = json_object_new_array();
		json_object_array_add(cmd, json_object_new_string("/bin/sh"));
		json_object_object_add(hvc_json_get(cfg, "config"), "Cmd", cmd);
	}
	*out = steal_pointer(&cfg);
	return 0;
}

int hvc_image_commit_layer(struct hvc_image_store *s, const struct hvc_image_commit_layer *c,
			   char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	struct hvc_image_layer layer;
	bool has_sh;
	_cleanup_json_ json_object *cfg = NULL;
	if (layer_from_source(s, c->source, &layer, &has_sh, err) < 0 ||
	    config_for(s, c, has_sh, &cfg, err) < 0)
		return -1;
	hvc_image_config_add_history(cfg, &layer, c->created_by, c->comment, c->created);
	size_t n = c->parent ? c->parent->n_layers : 0;
	_cleanup_free_ struct hvc_image_layer *all = hvc_xcalloc(n + 1, sizeof(*all));
	for (size_t i = 0; i < n; i++) {
		all[i] = c->parent->layers[i];
		snprintf(all[i].diff_id, sizeof(all[i].diff_id), "%s", c->parent->diff_ids[i]);
	}
	all[n] = layer;
	if (hvc_image_commit(s, cfg, all, n + 1, c->name, manifest_digest, err) < 0)
		return hvc_error_prefix(err, "import `%s`", c->source);
	return 0;
}
