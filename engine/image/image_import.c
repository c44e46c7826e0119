/* engine/image/image_import: `hvc image import` — a rootfs directory or a
 * tar(.gz) becomes a one-layer image, or one more layer on an existing image. */
#include "image_internal.h"

int hvc_image_import(struct hvc_image_store *s, const char *source, const char *name,
		     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	return hvc_image_import_onto(s, NULL, source, name, manifest_digest, err);
}

int hvc_image_import_onto(struct hvc_image_store *s, const char *parent, const char *source,
			  const char *name, char manifest_digest[HVC_DIGEST_LEN],
			  struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (hvc_image_name_normalize(name, &norm, err) < 0)
		return -1;
	_cleanup_image_ struct hvc_image *p = NULL;
	if (parent && hvc_image_resolve(s, parent, &p, err) < 0)
		return -1;
	_cleanup_free_ char *by =
	    parent ? hvc_strdup_printf("hvc image import --from %s %s", parent, source)
		   : hvc_strdup_printf("hvc image import %s", source);
	struct hvc_image_commit_layer c = {
	    .parent = p,
	    .source = source,
	    .name = norm,
	    .created_by = by,
	};
	return hvc_image_commit_layer(s, &c, manifest_digest, err);
}
