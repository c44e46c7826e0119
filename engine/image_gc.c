/* engine/image_gc: which images containers use, removing images, pruning
 * dangling ones and collecting unreferenced blobs and unpacked layers. */
#include <dirent.h>
#include <string.h>
#include "image_internal.h"

/* Calls fn for the image digest of every container in $root/containers/ (each <id>/config.json). */
static void for_each_container(struct hvc_image_store *s,
			       void (*fn)(const char *id, const char *digest, void *data), void *data)
{
	_cleanup_free_ char *dir = hvc_path_join(s->root, "containers");
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *cfg = hvc_strdup_printf("%s/%s/config.json", dir, de->d_name);
		_cleanup_json_ json_object *o = NULL;
		if (hvc_json_read_file(cfg, &o, NULL) < 0)
			continue;
		const char *dg = hvc_json_get_string(o, "image_digest");
		if (!dg)
			dg = hvc_json_get_string(hvc_json_get(o, "image"), "digest");
		if (dg)
			fn(de->d_name, dg, data);
	}
	closedir(d);
}

struct in_use {
	const char *digest;
	char *ctr;
};

static void check_use(const char *id, const char *digest, void *data)
{
	struct in_use *u = data;
	if (!u->ctr && !strcmp(digest, u->digest))
		u->ctr = strdup(id);
}

int hvc_image_in_use(struct hvc_image_store *s, const char *manifest_digest, char **ctr,
		     struct hvc_error *err)
{
	(void)err;
	struct in_use u = { .digest = manifest_digest };
	for_each_container(s, check_use, &u);
	if (!u.ctr)
		return 0;
	if (ctr)
		*ctr = u.ctr;
	else
		free(u.ctr);
	return 1;
}
