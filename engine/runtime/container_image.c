/* engine/runtime/container_image: from an image reference to the spec's rootfs and
 * defaults — lowerdirs from the image store (or a plain directory given as
 * an absolute path, for tests and hand-made rootfs trees) and the image
 * config applied with Docker's rules (hvc_ctr_spec_apply_image). */
#include <string.h>
#include <sys/stat.h>
#include "hvc/container.h"
#include "hvc/image.h"
#include "hvc/trace.h"

/* --trace: what the reference resolved to, and the layers the overlay stacks. */
static void trace_image(const char *ref, const struct hvc_image *img, char *const *dirs)
{
	size_t n = hvc_strv_len(dirs);
	HVC_TRACE("image", "\"%s\" -> manifest %s, %zu layer%s (unpacked once, shared by every container)", ref,
		  img->manifest_digest ? img->manifest_digest : "?", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		HVC_TRACE("image.layer", "lowerdir %zu: `%s`", i + 1, dirs[i]);
}

int hvc_ctr_spec_set_image(struct hvc_ctr_spec *s, const char *ref, char *const *cmd_override,
			   char *const *entrypoint_override, struct hvc_error *err)
{
	free(s->image_ref);
	s->image_ref = hvc_xstrdup(ref);
	if (ref[0] == '/') {
		struct stat st;
		if (stat(ref, &st) < 0 || !S_ISDIR(st.st_mode))
			return hvc_err(err, ENOENT, "image \"%s\": not a directory", ref);
		hvc_strv_free(s->lowerdirs);
		s->lowerdirs = NULL;
		hvc_strv_push(&s->lowerdirs, ref);
		HVC_TRACE("image", "a plain directory as the rootfs: `%s`", ref);
		return hvc_ctr_spec_apply_image(s, NULL, NULL, NULL, NULL, NULL, cmd_override,
						entrypoint_override, err);
	}
	struct hvc_image_store *store = NULL;
	struct hvc_image *img = NULL;
	char **dirs = NULL;
	int r = -1;
	uint64_t t0 = hvc_now_ns();
	if (hvc_image_store_open(hvc_root(), &store, err) < 0)
		return -1;
	hvc_image_store_trust_reads(store);
	/* held (shared) before the resolve, kept in the spec until the start's
	 * config.json names the image: an image rm/prune racing this run cannot
	 * collect the layers it resolved (GC takes the hold exclusively) */
	if (hvc_image_store_hold(store, err) < 0)
		goto out;
	if (hvc_image_resolve(store, ref, &img, err) < 0)
		goto out;
	if (hvc_image_lowerdirs(store, img, &dirs, err) < 0)
		goto out;
	hvc_strv_free(s->lowerdirs);
	s->lowerdirs = dirs;
	dirs = NULL;
	free(s->image_digest);
	s->image_digest = img->manifest_digest ? hvc_xstrdup(img->manifest_digest) : NULL;
	if (hvc_trace_on())
		trace_image(ref, img, s->lowerdirs);
	r = hvc_ctr_spec_apply_image(s, img->config.env, img->config.entrypoint, img->config.cmd,
				     img->config.workdir, img->config.user, cmd_override,
				     entrypoint_override, err);
	if (r == 0) {
		hvc_image_store_close(s->image_hold);
		s->image_hold = store;
		store = NULL;
	}
out:
	hvc_debug("image %s resolved in %.3f ms", ref, hvc_ns_to_ms(hvc_now_ns() - t0));
	hvc_strv_free(dirs);
	hvc_image_free(img);
	hvc_image_store_close(store);
	return r;
}

int hvc_ctr_spec_set_image_entrypoint(struct hvc_ctr_spec *s, const char *ref, char *const *cmd,
				      const char *entrypoint, struct hvc_error *err)
{
	/* Docker: one word, not split; an empty one overrides with nothing */
	char *const word[] = { (char *)entrypoint, NULL };
	char *const none[] = { NULL };
	char *const *override = !entrypoint ? NULL : *entrypoint ? word : none;
	return hvc_ctr_spec_set_image(s, ref, cmd, override, err);
}
