/* engine/image/image_index: the entries of index.json — image names, adding
 * a name (or an untagged entry), finding a reference (name, digest or unique
 * prefix; no image is ever made here: see image_resolve.c), listing. */
#include "image_internal.h"
#include <string.h>

/* ---------- names ------------------------------------------------------ */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '/';
}

static bool tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int hvc_image_name_normalize(const char *name, char **out, struct hvc_error *err)
{
	if (!name || !*name)
		return hvc_image_err(err, EINVAL, "invalid image name \"\"");
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');
	if (colon && slash && colon < slash)
		colon = NULL; /* a registry port, not a tag */
	size_t nlen = colon ? (size_t)(colon - name) : strlen(name);
	/* a registry host may carry a port: allow ':' before the last '/' */
	bool ok = nlen > 0 && nlen <= 255 && name[0] != '/' && name[0] != '.' && name[0] != '-';
	for (size_t i = 0; ok && i < nlen; i++)
		ok = name_char(name[i]) || (name[i] == ':' && slash && name + i < slash);
	if (ok && colon) {
		const char *t = colon + 1;
		ok = *t && strlen(t) <= 128 && *t != '.' && *t != '-';
		for (; ok && *t; t++)
			ok = tag_char(*t);
	}
	/* "sha256" alone would become "sha256:latest", which reads as a digest:
	 * refused too, so that a normalised name always normalises again */
	if (!ok || hvc_str_has_prefix(name, "sha256:") || (!colon && !strcmp(name, "sha256")))
		return hvc_err(err, EINVAL,
			       "invalid image name \"%s\": expected NAME[:TAG] (lowercase letters, "
			       "digits, . _ - /; tag up to 128 of A-Z a-z 0-9 . _ -)",
			       name);
	*out = colon ? strdup(name) : hvc_strdup_printf("%s:latest", name);
	return *out ? 0 : hvc_err(err, ENOMEM, "image name");
}

/* Normalised ref.name of an index entry, or NULL (untagged or unparseable). */
static char *entry_name(json_object *desc)
{
	const char *n = hvc_json_get_string(hvc_json_get(desc, "annotations"), HVC_ANNOT_REF_NAME);
	char *out = NULL;
	if (n && hvc_image_name_normalize(n, &out, NULL) < 0)
		return strdup(n); /* foreign tools may use other forms; keep them as they are */
	return out;
}

json_object *hvc_image_descriptor_new(const char *mt, const char *digest, int64_t size)
{
	json_object *d = json_object_new_object();
	hvc_json_add_string(d, "mediaType", mt);
	hvc_json_add_string(d, "digest", digest);
	hvc_json_add_int(d, "size", size);
	return d;
}

/* When name moves off entry i (digest dg), the old image stays as an untagged
 * ("dangling") entry unless another entry still refers to it. */
static bool digest_elsewhere(json_object *ms, size_t i, const char *dg)
{
	for (size_t j = 0; j < json_object_array_length(ms); j++)
		if (j != i && !strcmp(hvc_json_get_string(json_object_array_get_idx(ms, j), "digest") ?: "",
				      dg))
			return true;
	return false;
}

/* The manifests array with digest added under norm (NULL: untagged): a pure
 * function of the old array, so the index is rewritten in one step. */
static json_object *index_entries_with(json_object *ms, const char *digest, int64_t size,
				       const char *norm, const char *mt)
{
	json_object *fresh = json_object_new_array();
	bool present = false;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		_cleanup_free_ char *n = entry_name(d);
		bool same = dg && !strcmp(dg, digest);
		if (norm && n && !strcmp(n, norm)) {
			if (same) {
				present = true;
				json_object_array_add(fresh, json_object_get(d));
			} else if (dg && !digest_elsewhere(ms, i, dg)) {
				json_object_array_add(
				    fresh, hvc_image_descriptor_new(hvc_json_get_string(d, "mediaType") ?: HVC_MT_MANIFEST,
							  dg, hvc_json_get_int(d, "size", 0)));
			}
			continue;
		}
		if (same && !n && norm)
			continue; /* the untagged entry becomes the tagged one */
		if (same && (!n || !norm))
			present = true; /* already there (an untagged add of a named image: nothing to do) */
		json_object_array_add(fresh, json_object_get(d));
	}
	if (!present) {
		json_object *d = hvc_image_descriptor_new(mt, digest, size);
		if (norm) {
			json_object *a = json_object_new_object();
			hvc_json_add_string(a, HVC_ANNOT_REF_NAME, norm);
			json_object_object_add(d, "annotations", a);
		}
		json_object_array_add(fresh, d);
	}
	return fresh;
}

int hvc_image_index_add(struct hvc_image_store *s, const char *digest, int64_t size,
			const char *name, struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (name && hvc_image_name_normalize(name, &norm, err) < 0)
		return -1;
	if (!hvc_digest_valid(digest))
		return hvc_image_err(err, EINVAL, "invalid digest \"%s\"", digest);
	if (hvc_image_store_lock(s, err) < 0)
		return -1;
	_cleanup_json_ json_object *idx = NULL;
	int rc = hvc_image_index_read(s, &idx, err);
	if (rc == 0) {
		json_object *ms = hvc_json_get(idx, "manifests");
		json_object_object_add(idx, "manifests",
				       index_entries_with(ms, digest, size, norm,
							  hvc_image_manifest_media_type(s, digest)));
		rc = hvc_image_index_write(s, idx, err);
	}
	hvc_image_store_unlock(s);
	return rc;
}

/* ---------- resolve and list ------------------------------------------- */

static bool is_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* An image removed (hvc image rm/prune) between our read of index.json and
 * of its blobs is not found, not damaged: 0 with *out NULL. */
static int load_unless_removed(struct hvc_image_store *s, json_object *d, const char *name,
			       struct hvc_image **out, struct hvc_error *err)
{
	const char *dg = hvc_json_get_string(d, "digest") ?: "";
	int r = hvc_image_load_manifest(s, dg, hvc_json_get_int(d, "size", -1), name, out, err);
	if (r == 0 || !err || err->code != ENOENT || hvc_image_manifest_indexed(s, dg))
		return r;
	hvc_error_clear(err);
	return 0;
}

bool hvc_image_manifest_indexed(struct hvc_image_store *s, const char *digest)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, NULL) < 0)
		return true; /* cannot tell: keep the first error */
	json_object *ms = hvc_json_get(idx, "manifests");
	for (size_t i = 0; i < json_object_array_length(ms); i++)
		if (!strcmp(hvc_json_get_string(json_object_array_get_idx(ms, i), "digest") ?: "",
			    digest))
			return true;
	return false;
}

static int resolve_in_index(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
			    struct hvc_error *err)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	json_object *ms = hvc_json_get(idx, "manifests");
	size_t n = json_object_array_length(ms);
	_cleanup_free_ char *norm = NULL;
	hvc_image_name_normalize(ref, &norm, NULL);
	for (size_t i = 0; norm && i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		_cleanup_free_ char *en = entry_name(d);
		if (en && !strcmp(en, norm))
			return load_unless_removed(s, d, en, out, err);
	}
	/* by digest or a unique digest prefix (at least 4 hex digits) */
	const char *hex = hvc_str_has_prefix(ref, "sha256:") ? ref + 7 : ref;
	if (strlen(hex) < 4 || strlen(hex) > 64 || !is_hex(hex))
		return 0;
	json_object *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		const char *dg = hvc_json_get_string(d, "digest");
		if (!dg || !hvc_str_has_prefix(dg, "sha256:") || !hvc_str_has_prefix(dg + 7, hex))
			continue;
		if (hit && strcmp(hvc_json_get_string(hit, "digest"), dg) != 0)
			return hvc_image_err(
			    err, EINVAL,
			    "image reference \"%s\" is ambiguous (matches %.19s and %.19s)", ref,
			    hvc_json_get_string(hit, "digest"), dg);
		if (!hit || (!hvc_json_get(hit, "annotations") && hvc_json_get(d, "annotations")))
			hit = d; /* prefer a tagged entry for the name */
	}
	if (!hit)
		return 0;
	_cleanup_free_ char *en = entry_name(hit);
	return load_unless_removed(s, hit, en, out, err);
}

int hvc_image_find(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		   struct hvc_error *err)
{
	*out = NULL;
	if (!ref || !*ref)
		return hvc_image_err(err, EINVAL, "empty image reference");
	if (resolve_in_index(s, ref, out, err) < 0)
		return -1;
	return *out ? 1 : 0;
}

int hvc_image_lookup(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		     struct hvc_error *err)
{
	int r = hvc_image_find(s, ref, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	return hvc_image_err(err, ENOENT, "image \"%s\" not found (try: hvc images)", ref);
}

void hvc_image_list_free(struct hvc_image **v)
{
	for (size_t i = 0; v && v[i]; i++)
		hvc_image_free(v[i]);
	free(v);
}

int hvc_image_list(struct hvc_image_store *s, struct hvc_image ***out, struct hvc_error *err)
{
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_image_index_read(s, &idx, err) < 0)
		return -1;
	json_object *ms = hvc_json_get(idx, "manifests");
	size_t n = json_object_array_length(ms);
	struct hvc_image **v = calloc(n + 1, sizeof(*v)); /* n from index.json: checked */
	if (!v)
		return hvc_err(err, ENOMEM, "list images (%zu in index.json)", n);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		_cleanup_free_ char *en = entry_name(d);
		const char *dg = hvc_json_get_string(d, "digest");
		if (!dg) {
			hvc_warn("index.json entry %zu has no digest; skipped", i + 1);
			continue;
		}
		struct hvc_image *img = NULL;
		struct hvc_error e = {0};
		if (hvc_image_load_manifest(s, dg, hvc_json_get_int(d, "size", -1), en, &img, &e) <
		    0) {
			/* one damaged image must not hide the others */
			hvc_warn("image %s: %s (see: hvc image fsck)", en ? en : dg, e.msg);
			continue;
		}
		v[k++] = img;
	}
	*out = v;
	return 0;
}
