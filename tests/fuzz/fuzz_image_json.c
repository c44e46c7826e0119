/* Fuzz target: the image store's JSON readers (engine/image/image_index.c,
 * image_manifest.c, image_inspect.c, image_report.c): index.json, manifests,
 * image indexes and configs, read the way `hvc images`, `hvc run IMAGE`,
 * `hvc image inspect` and `hvc image history` read them (never "busybox":
 * resolving it would import the host's busybox).
 *
 * Input: up to four documents separated by a line "--": index.json, then
 * blobs 1..3 (a manifest or an image index, a manifest, a config). Each blob
 * is stored under its real sha256; "@N" in an earlier document is replaced by
 * blob N's digest and "#N" by its size, so a mutated manifest still points at
 * a mutated config (the fuzzer cannot forge a sha256). */
#include <unistd.h>
#include "fuzz.h"
#include "hvc/image.h"

#define NPARTS 4

static struct hvc_image_store *store;
static char index_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hvc_log_set_level(HVC_LOG_ERROR);
	struct hvc_error err = { 0 };
	const char *root = fuzz_scratch("image-json");
	if (hvc_image_store_open(root, &store, &err) < 0)
		fuzz_fail("store: %s", err.msg);
	hvc_image_store_trust_reads(store);
	snprintf(index_path, sizeof(index_path), "%s/index.json", hvc_image_store_layout(store));
	return 0;
}

/* Replaces every occurrence of pat in *s by rep. */
static void replace(char **s, size_t *len, const char *pat, const char *rep)
{
	size_t pl = strlen(pat), rl = strlen(rep);
	char *p;
	size_t from = 0;
	while ((p = memmem(*s + from, *len - from, pat, pl))) {
		size_t at = (size_t)(p - *s);
		char *n = malloc(*len - pl + rl + 1);
		memcpy(n, *s, at);
		memcpy(n + at, rep, rl);
		memcpy(n + at + rl, *s + at + pl, *len - at - pl + 1);
		free(*s);
		*s = n;
		*len = *len - pl + rl;
		from = at + rl;
	}
}

static void exercise(void)
{
	struct hvc_error err = { 0 };
	struct hvc_image **list = NULL;
	if (hvc_image_list(store, &list, &err) == 0)
		hvc_image_list_free(list);
	const char *refs[] = { "fuzz", "fuzz:latest", "x/y:1", "sha256:", "0123", NULL };
	for (size_t i = 0; refs[i]; i++) {
		struct hvc_image *img = NULL;
		json_object *o = NULL;
		if (hvc_image_lookup(store, refs[i], &img, &err) == 0)
			hvc_image_free(img);
		fuzz_note(refs[i], &err);
		if (hvc_image_inspect(store, refs[i], &o, &err) == 0)
			json_object_put(o);
		o = NULL;
		if (hvc_image_history(store, refs[i], &o, &err) == 0)
			json_object_put(o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[NPARTS];
	size_t lens[NPARTS];
	size_t n = fuzz_split(data, size, "\n--\n", parts, lens, NPARTS);
	char paths[NPARTS][512] = { { 0 } };
	for (size_t i = n - 1; i >= 1 && i < n; i--) {
		char dg[HVC_DIGEST_LEN], tok[8], sz[32];
		hvc_digest_buf(parts[i], lens[i], dg);
		char *p = hvc_image_blob_path(store, dg);
		snprintf(paths[i], sizeof(paths[i]), "%s", p);
		free(p);
		fuzz_write(paths[i], parts[i], lens[i]);
		snprintf(tok, sizeof(tok), "@%zu", i);
		snprintf(sz, sizeof(sz), "%zu", lens[i]);
		for (size_t j = 0; j < i; j++) {
			replace(&parts[j], &lens[j], tok, dg);
			tok[0] = '#';
			replace(&parts[j], &lens[j], tok, sz);
			tok[0] = '@';
		}
	}
	fuzz_write(index_path, parts[0], lens[0]);
	exercise();
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			unlink(paths[i]);
		free(parts[i]);
	}
	return 0;
}
