/* engine/registry/reg_pull: `hvc pull` — manifest negotiation, platform
 * selection from an index, the missing blobs fetched in parallel and
 * verified, then the image checked as the store reads it (config, diff_ids,
 * every layer unpacked with extraction's safety checks) before its name
 * enters index.json. A failure removes the blobs this pull added: the store
 * is as it was. */
#include <string.h>
#include <unistd.h>
#include "reg_internal.h"

struct pulled {
	char *body;
	size_t len;
	char digest[HVC_DIGEST_LEN];
	struct hvc_reg_doc doc;
};

static void pulled_clear(struct pulled *p)
{
	free(p->body);
	hvc_reg_doc_clear(&p->doc);
	memset(p, 0, sizeof(*p));
}

static int fetch_doc(struct hvc_reg_client *c, const char *repo, const char *ref,
		     struct pulled *p, struct hvc_error *err)
{
	_cleanup_free_ char *ctype = NULL;
	if (hvc_reg_get_manifest(c, repo, ref, &p->body, &p->len, &ctype, p->digest, err) < 0)
		return -1;
	if (hvc_reg_doc_parse(p->body, p->len, ctype, &p->doc, err) < 0)
		return hvc_error_prefix(err, "%s/%s@%s", c->host, repo, p->digest);
	return 0;
}

/* The manifest for the platform: ref's own document, or its index's entry. */
static int resolve_manifest(struct hvc_reg_client *c, const struct hvc_reg_ref *r,
			    const char *platform, struct pulled *p, struct hvc_error *err)
{
	if (fetch_doc(c, r->repo, r->digest ? r->digest : r->tag ? r->tag : "latest", p, err) < 0)
		return -1;
	if (p->doc.kind == HVC_REG_DOC_MANIFEST)
		return 0;
	const struct hvc_reg_desc *d = hvc_reg_doc_pick(&p->doc, platform);
	if (!d) {
		struct hvc_strbuf b = { 0 };
		for (size_t i = 0; i < p->doc.n_items; i++)
			hvc_strbuf_printf(&b, "%s%s/%s", i ? ", " : "", p->doc.items[i].os,
					  p->doc.items[i].arch);
		hvc_reg_err(err, ENOENT, "%s/%s: the index %s has no manifest for %s (it has: %s)",
			    c->host, r->repo, p->digest, platform, b.p ? b.p : "none");
		free(b.p);
		return -1;
	}
	char want[HVC_DIGEST_LEN];
	snprintf(want, sizeof(want), "%s", d->digest);
	hvc_debug("registry: index %s -> %s for %s", p->digest, want, platform);
	pulled_clear(p);
	if (fetch_doc(c, r->repo, want, p, err) < 0)
		return -1;
	if (p->doc.kind != HVC_REG_DOC_MANIFEST)
		return hvc_reg_err(err, EPROTO, "%s/%s@%s: an index inside an index", c->host,
				   r->repo, want);
	return 0;
}

static void remove_blobs(struct hvc_image_store *s, char **added)
{
	for (size_t i = 0; added && added[i]; i++) {
		_cleanup_free_ char *path = hvc_image_blob_path(s, added[i]);
		if (path)
			unlink(path);
	}
}

/* Fetches the descriptors' blobs not in the store yet (each digest once);
 * *added lists them. Each job is a copy of tmpl (its fetched callback: see
 * hvc_reg_blob_job); present blobs go to present_to (may be NULL). */
static int fetch_missing(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
			 const struct hvc_reg_desc *descs, size_t n_descs, const char *what,
			 const struct hvc_reg_blob_job *tmpl, struct hvc_reg_unpacker *present_to,
			 char ***added, struct hvc_error *err)
{
	struct hvc_reg_blob_job *jobs = hvc_xcalloc(n_descs + 1, sizeof(*jobs));
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < n_descs && rc == 0; i++) {
		const struct hvc_reg_desc *d = &descs[i];
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(descs[j].digest, d->digest);
		if (dup)
			continue;
		if (hvc_image_blob_exists(s, d->digest, d->size)) {
			hvc_reg_progress(c->o, HVC_REG_EV_SKIP, what, d->digest, d->size, d->size, 0);
			if (present_to)
				rc = hvc_reg_unpacker_add(present_to, d->digest, NULL, err);
			continue;
		}
		jobs[n] = tmpl ? *tmpl : (struct hvc_reg_blob_job){ 0 };
		jobs[n].desc = d;
		jobs[n++].what = what;
		hvc_strv_push(added, d->digest);
	}
	if (rc == 0)
		rc = hvc_reg_fetch_blobs(c, s, repo, jobs, n, err);
	free(jobs);
	return rc;
}

static int layer_fetched(const struct hvc_reg_blob_job *job, struct hvc_image_blob_writer *w,
			 struct hvc_error *err)
{
	return hvc_reg_unpacker_add(job->data, job->desc->digest, w, err);
}

/* What a pool thread does before the first layer, beside the downloads:
 * the config committed (its fsync off the download loop), the manifest
 * written, the image read back as the store reads it (its diff_ids). */
struct prep {
	struct hvc_image_store *s;
	const struct pulled *p;
	struct hvc_image_blob_writer *config_w; /* NULL: the config was present */
	struct hvc_image *img;
};

static int config_fetched(const struct hvc_reg_blob_job *job, struct hvc_image_blob_writer *w,
			  struct hvc_error *err)
{
	(void)err;
	((struct prep *)job->data)->config_w = w;
	return 0;
}

static int prepare(void *data, const struct hvc_image **img, struct hvc_error *err)
{
	struct prep *pr = data;
	char mdig[HVC_DIGEST_LEN];
	if (pr->config_w && hvc_image_blob_writer_commit(pr->config_w, NULL, err) < 0)
		return -1;
	if (!hvc_image_blob_exists(pr->s, pr->p->digest, (int64_t)pr->p->len) &&
	    hvc_image_blob_write_buf(pr->s, pr->p->body, pr->p->len, mdig, err) < 0)
		return -1;
	if (hvc_image_open_manifest(pr->s, pr->p->digest, (int64_t)pr->p->len, &pr->img, err) < 0)
		return -1;
	*img = pr->img;
	return 0;
}

/* The config downloaded first (small: one round trip), then the layers
 * downloaded while a pool commits and unpacks them (diff_ids verified),
 * the three overlapping: see reg_unpack.c. Only then does the name enter
 * index.json. */
static int fetch_image(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
		       const struct pulled *p, const char *name, char ***added,
		       struct hvc_error *err)
{
	struct prep pr = { .s = s, .p = p };
	struct hvc_reg_blob_job cfg = { .fetched = config_fetched, .data = &pr };
	if (fetch_missing(c, s, repo, &p->doc.config, 1, "config", &cfg, NULL, added, err) < 0)
		return -1;
	if (!hvc_image_blob_exists(s, p->digest, (int64_t)p->len))
		hvc_strv_push(added, p->digest); /* prepare writes it */
	struct hvc_reg_unpacker *u = NULL;
	hvc_reg_unpacker_start(s, prepare, &pr, p->doc.n_items, c->o->parallel, &u);
	struct hvc_reg_blob_job tmpl = { .fetched = layer_fetched, .data = u };
	struct hvc_error fe = { 0 };
	uint64_t t0 = hvc_now_ns();
	int rc = fetch_missing(c, s, repo, p->doc.items, p->doc.n_items, "layer", &tmpl, u, added, &fe);
	uint64_t t1 = hvc_now_ns();
	/* an unpacker's failure is the cause when it stopped the downloads */
	int urc = hvc_reg_unpacker_finish(u, err);
	hvc_image_blob_writer_free(pr.config_w); /* committed: a no-op; else its temp file goes */
	_cleanup_image_ struct hvc_image *img = steal_pointer(&pr.img);
	if (urc < 0)
		return -1;
	if (rc < 0) {
		if (err)
			*err = fe;
		return -1;
	}
	/* the part `skopeo copy docker:// oci:` also does ends at t1 (plus the
	 * commits' fsyncs); the rest is the unpacking only hvc does */
	hvc_debug("registry: layers downloaded in %.1f ms, committed and unpacked %.1f ms later",
		  hvc_ns_to_ms(t1 - t0), hvc_ns_to_ms(hvc_now_ns() - t1));
	if (hvc_image_store_lock(s, err) < 0)
		return -1;
	rc = hvc_image_index_add(s, p->digest, (int64_t)p->len, name, err);
	hvc_image_store_unlock(s);
	return rc;
}

/* A second pull: name already names this manifest and its layers are
 * unpacked (a stat each): nothing to fetch, nothing to rewrite. */
static bool already_pulled(struct hvc_image_store *s, const char *name, const char *digest)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	_cleanup_strv_ char **dirs = NULL;
	if (!name || hvc_image_lookup(s, name, &img, NULL) < 0 ||
	    strcmp(img->manifest_digest, digest) || hvc_image_lowerdirs(s, img, &dirs, NULL) < 0)
		return false;
	hvc_debug("registry: %s is %s, present: nothing to fetch", name, digest);
	return true;
}

/* The manifest, over plain http first for an insecure registry (one
 * request instead of the /v2/ check plus the manifest: a registry that
 * speaks only TLS answers 400 or not at all, and then the /v2/ check
 * settles the scheme). */
static int resolve_first(struct hvc_reg_client *c, const struct hvc_reg_ref *r,
			 const char *platform, struct pulled *p, struct hvc_error *err)
{
	if (!c->insecure)
		return resolve_manifest(c, r, platform, p, err);
	free(c->base);
	c->base = hvc_xasprintf("http://%s", c->host);
	c->probing = true;
	struct hvc_error e = { 0 };
	int rc = resolve_manifest(c, r, platform, p, &e);
	c->probing = false;
	if (rc == 0 || (e.code != EIO && e.code != EPROTO)) {
		if (rc < 0 && err)
			*err = e;
		return rc;
	}
	hvc_debug("registry %s: plain http failed (%s), checking /v2/", c->host, e.msg);
	pulled_clear(p);
	if (hvc_reg_client_ping(c, err) < 0)
		return -1;
	return resolve_manifest(c, r, platform, p, err);
}

static int pull_ref(struct hvc_image_store *s, const struct hvc_reg_ref *r,
		    const struct hvc_reg_opts *o, char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	_cleanup_reg_client_ struct hvc_reg_client *c = NULL;
	_cleanup_free_ char *platform =
	    o->platform ? hvc_xstrdup(o->platform) : hvc_xasprintf("linux/%s", hvc_image_host_arch());
	if (hvc_reg_client_open(o, r->host, &c, err) < 0)
		return -1;
	struct pulled p = { 0 };
	_cleanup_strv_ char **added = NULL;
	_cleanup_free_ char *name = r->tag || !r->digest ? hvc_reg_ref_string(r) : NULL;
	int rc = resolve_first(c, r, platform, &p, err);
	if (rc == 0 && !already_pulled(s, name, p.digest)) {
		rc = hvc_image_store_hold(s, err);
		if (rc == 0)
			rc = fetch_image(c, s, r->repo, &p, name, &added, err);
		if (rc < 0)
			remove_blobs(s, added);
	}
	if (rc == 0)
		snprintf(digest, HVC_DIGEST_LEN, "%s", p.digest);
	pulled_clear(&p);
	return rc;
}

int hvc_reg_pull(struct hvc_image_store *s, const char *ref, const struct hvc_reg_opts *o,
		 char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	struct hvc_reg_ref r;
	int k = hvc_reg_ref_parse(ref, &r, err);
	if (k < 0)
		return -1;
	if (k == 0) {
		hvc_reg_ref_clear(&r);
		return hvc_reg_err(err, EINVAL,
				   "\"%s\" names no registry: hvc has no default registry (this "
				   "machine reaches none); write HOST[:PORT]/NAME[:TAG]",
				   ref);
	}
	int rc = pull_ref(s, &r, o, digest, err);
	hvc_reg_ref_clear(&r);
	return rc;
}
