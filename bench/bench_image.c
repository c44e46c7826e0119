/* bench/image: the benchmark image — the suite's base image plus one layer
 * holding hvc-workload — so container, VM, runc and crun all run the same
 * bytes from the same image; and the image-size figures from the store. */
#include <ftw.h>
#include <string.h>
#include <unistd.h>
#include "bench_internal.h"
#include "hvc/image.h"

#define WORKLOAD_DIR "usr/local/bin"

int hvc_bench_image_prepare(const char *base_ref, const char *workload_bin, char **bench_ref,
			    char **digest_out, struct hvc_error *err)
{
	struct hvc_image_store *s = NULL;
	struct hvc_image *base = NULL;
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *tmp = NULL;
	struct hvc_image_layer *layers = NULL;
	_cleanup_free_ char *bindir = NULL, *dst = NULL, *norm = NULL, *repo = NULL;
	int ret = -1;
	if (hvc_image_store_open(hvc_root(), &s, err) < 0)
		return hvc_error_prefix(err, "bench image");
	if (hvc_image_resolve(s, base_ref, &base, err) < 0)
		goto out;
	tmp = hvc_strdup_printf("%s/bench-layer.XXXXXX", hvc_image_store_tmpdir(s));
	if (!mkdtemp(tmp)) {
		hvc_err(err, errno, "create `%s`", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	bindir = hvc_path_join(tmp, WORKLOAD_DIR);
	dst = hvc_path_join(bindir, "hvc-workload");
	if (hvc_mkdir_p(bindir, 0755, err) < 0 || hvc_copy_file(workload_bin, dst, 0755, err) < 0)
		goto out;
	layers = hvc_xcalloc(base->n_layers + 1, sizeof(*layers));
	for (size_t i = 0; i < base->n_layers; i++)
		layers[i] = base->layers[i];
	if (hvc_image_layer_from_dir(s, tmp, &layers[base->n_layers], err) < 0)
		goto out;
	if (hvc_image_config_read(s, base, &cfg, err) < 0)
		goto out;
	/* the base's creation time keeps the digest stable while hvc-workload is unchanged */
	if (hvc_image_config_add_history(cfg, &layers[base->n_layers],
					 "hvc bench: COPY hvc-workload /" WORKLOAD_DIR "/hvc-workload",
					 "the benchmark workload binary", base->created) < 0) {
		hvc_err(err, EINVAL, "bench image: cannot extend the config of \"%s\"", base_ref);
		goto out;
	}
	const char *colon = strrchr(base_ref, ':');
	repo = colon && !strchr(colon, '/') ? strndup(base_ref, (size_t)(colon - base_ref))
								  : hvc_xstrdup(base_ref);
	for (char *p = repo; *p; p++)
		if (*p == '/' || *p == '@')
			*p = '-';
	norm = hvc_strdup_printf("hvc-bench-%s:latest", hvc_str_has_prefix(repo, "sha256") ? "image" : repo);
	char digest[HVC_DIGEST_LEN];
	if (hvc_image_commit(s, cfg, layers, base->n_layers + 1, norm, digest, err) < 0)
		goto out;
	*bench_ref = steal_pointer(&norm);
	if (digest_out)
		*digest_out = hvc_xstrdup(digest);
	ret = 0;
out:
	if (ret < 0)
		hvc_error_prefix(err, "bench image from \"%s\"", base_ref);
	if (tmp) {
		struct hvc_error e = { 0 };
		hvc_rm_rf(tmp, &e);
	}
	free(layers);
	if (base)
		hvc_image_free(base);
	hvc_image_store_close(s);
	return ret;
}

static int64_t tree_bytes;
static int add_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path, (void)flag, (void)f;
	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
		tree_bytes += st->st_size;
	return 0;
}

/* Apparent size of the unpacked layers (the layer cache): what the image
 * occupies once a runtime can use it. */
static int64_t unpacked_bytes(struct hvc_image_store *s, const struct hvc_image *img, struct hvc_error *err)
{
	_cleanup_strv_ char **dirs = NULL;
	if (hvc_image_lowerdirs(s, img, &dirs, err) < 0)
		return -1;
	int64_t total = 0;
	for (char **d = dirs; *d; d++) {
		tree_bytes = 0;
		if (nftw(*d, add_entry, 16, FTW_PHYS) < 0)
			return hvc_err(err, errno, "walk `%s`", *d);
		total += tree_bytes;
	}
	return total;
}

int hvc_bench_image_size(const char *image, struct hvc_bench_size *out, struct hvc_error *err)
{
	*out = (struct hvc_bench_size){ -1, -1, -1, -1, -1, -1, -1, "" };
	struct hvc_image_store *s = NULL;
	struct hvc_image *img = NULL;
	struct hvc_image **all = NULL;
	int ret = -1;
	if (hvc_image_store_open(hvc_root(), &s, err) < 0)
		return -1;
	if (hvc_image_resolve(s, image, &img, err) < 0 || hvc_image_list(s, &all, err) < 0)
		goto out;
	int64_t comp = img->manifest_size + img->config_size, unpacked = 0, shared = 0, unique = 0;
	bool unpacked_known = true;
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct hvc_image_layer *l = &img->layers[i];
		comp += l->size;
		if (l->tar_size < 0)
			unpacked_known = false;
		else
			unpacked += l->tar_size;
		/* shared: another image (by manifest) references the same blob */
		bool is_shared = false;
		for (struct hvc_image **p = all; p && *p && !is_shared; p++) {
			if (!strcmp((*p)->manifest_digest, img->manifest_digest))
				continue;
			for (size_t j = 0; j < (*p)->n_layers && !is_shared; j++)
				is_shared = !strcmp((*p)->layers[j].digest, l->digest);
		}
		if (is_shared)
			shared += l->size;
		else
			unique += l->size;
	}
	out->compressed = comp;
	if (!unpacked_known) {
		struct hvc_error e = { 0 };
		unpacked = unpacked_bytes(s, img, &e);
		if (unpacked < 0)
			hvc_warn("unpacked size of %s: %s", image, e.msg);
	}
	out->unpacked = unpacked;
	out->shared = shared;
	out->unique = unique;
	snprintf(out->note, sizeof(out->note), "image %s (%zu layers); shared/unique are compressed layer bytes",
		 image, img->n_layers);
	ret = 0;
out:
	if (all)
		hvc_image_list_free(all);
	if (img)
		hvc_image_free(img);
	hvc_image_store_close(s);
	return ret;
}

int hvc_bench_image_usable(const struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	if (ctx->image_ok)
		return 1;
	snprintf(reason, len, "the benchmark image could not be prepared: %s",
		 ctx->image_error ?: "?");
	return 0;
}
