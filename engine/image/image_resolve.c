/* engine/image/image_resolve: references as commands use them — like a lookup
 * in the store, except that the default image, busybox:latest, is made from
 * the host's busybox-static on first use. This sits above the store and the
 * busybox importer, so the store itself never builds an image. */
#include "image_internal.h"
#include <string.h>

int hvc_image_resolve(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		      struct hvc_error *err)
{
	int r = hvc_image_find(s, ref, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	_cleanup_free_ char *norm = NULL;
	hvc_image_name_normalize(ref, &norm, NULL);
	if (norm && !strcmp(norm, "busybox:latest")) {
		/* the base image every fresh root needs: made on first use */
		hvc_info("creating busybox:latest from the host's busybox-static");
		if (hvc_image_import_busybox(s, NULL, NULL, err) < 0)
			return hvc_error_prefix(err, "create busybox:latest");
		if (hvc_image_find(s, ref, out, err) < 0)
			return -1;
		if (*out)
			return 0;
	}
	return hvc_image_err(err, ENOENT, "image \"%s\" not found (try: hvc images)", ref);
}

int hvc_image_resolve_config(struct hvc_image_store *s, const char *ref, struct hvc_image **img,
			     json_object **cfg, struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *found = NULL;
	*img = NULL;
	*cfg = NULL;
	if (hvc_image_resolve(s, ref, &found, err) < 0 ||
	    hvc_image_config_read(s, found, cfg, err) < 0)
		return -1;
	*img = steal_pointer(&found);
	return 0;
}

/* Tagging resolves like `hvc run` does: `hvc image tag busybox x` works on a fresh root. */
int hvc_image_tag(struct hvc_image_store *s, const char *ref, const char *name,
		  struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	if (hvc_image_resolve(s, ref, &img, err) < 0)
		return -1;
	return hvc_image_index_add(s, img->manifest_digest, img->manifest_size, name, err);
}
