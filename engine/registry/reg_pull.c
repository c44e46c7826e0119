/* engine/registry/reg_pull: `hvc pull` — manifest negotiation, platform
 * selection from an index, the missing blobs fetched in parallel and
 * verified, then the image checked as the store reads it (config, diff_ids,
 * every layer unpacked with extraction's safety checks) before its name
 * enters index.json. A failure removes the blobs this pull added: the store
 * is as it was. */
#include <pthread.h>
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

/* The config and layers not in the store yet, fetched; *added lists them. */
static int fetch_missing(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
			 const struct hvc_reg_doc *m, char ***added, struct hvc_error *err)
{
	struct hvc_reg_blob_job *jobs = hvc_xcalloc(m->n_items + 1, sizeof(*jobs));
	size_t n = 0;
	for (size_t i = 0; i <= m->n_items; i++) {
		const struct hvc_reg_desc *d = i == 0 ? &m->config : &m->items[i - 1];
		const char *what = i == 0 ? "config" : "layer";
		if (hvc_image_blob_exists(s, d->digest, d->size)) {
			hvc_reg_progress(c->o, HVC_REG_EV_SKIP, what, d->digest, d->size, d->size, 0);
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= !strcmp(jobs[j].desc->digest, d->digest);
		if (dup)
			continue;
		jobs[n++] = (struct hvc_reg_blob_job){ .desc = d, .what = what };
		hvc_strv_push(added, d->digest);
	}
	int rc = hvc_reg_fetch_blobs(c, s, repo, jobs, n, err);
	free(jobs);
	return rc;
}

/* The layers unpacked (and their diff_ids verified) by a few threads at
 * once: each layer is its own libarchive reader, temp dir and rename. */
struct unpacks {
	struct hvc_image_store *s;
	const struct hvc_image *img;
	pthread_mutex_t lock;
	size_t next;
	int rc;
	struct hvc_error err;
};

static void *unpack_worker(void *arg)
{
	struct unpacks *u = arg;
	for (;;) {
		pthread_mutex_lock(&u->lock);
		size_t i = u->next++;
		bool stop = u->rc < 0 || i >= u->img->n_layers;
		pthread_mutex_unlock(&u->lock);
		if (stop)
			return NULL;
		struct hvc_image_layer l = u->img->layers[i];
		snprintf(l.diff_id, sizeof(l.diff_id), "%s", u->img->diff_ids[i]);
		struct hvc_error e = { 0 };
		if (hvc_image_layer_unpack(u->s, &l, NULL, &e) < 0) {
			pthread_mutex_lock(&u->lock);
			if (u->rc == 0) {
				u->rc = -1;
				u->err = e;
			}
			pthread_mutex_unlock(&u->lock);
		}
	}
}

static int unpack_layers(struct hvc_image_store *s, const struct hvc_image *img, int parallel,
			 struct hvc_error *err)
{
	struct unpacks u = { .s = s, .img = img };
	pthread_t th[8];
	int n = parallel > 0 ? (parallel > 8 ? 8 : parallel) : 3, started = 0;
	pthread_mutex_init(&u.lock, NULL);
	for (int i = 0; i < n && (size_t)i < img->n_layers; i++)
		started += pthread_create(&th[started], NULL, unpack_worker, &u) == 0;
	if (!started)
		unpack_worker(&u);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&u.lock);
	if (u.rc < 0 && err)
		*err = u.err;
	return u.rc;
}

/* The pulled image as the store will read it: verified, every layer unpacked. */
static int check_and_name(struct hvc_image_store *s, const struct pulled *p, const char *name,
			  int parallel, struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	_cleanup_strv_ char **dirs = NULL;
	if (hvc_image_open_manifest(s, p->digest, (int64_t)p->len, &img, err) < 0 ||
	    unpack_layers(s, img, parallel, err) < 0 || hvc_image_lowerdirs(s, img, &dirs, err) < 0)
		return -1;
	_cleanup_image_ struct hvc_image *named = NULL;
	if (name && hvc_image_lookup(s, name, &named, NULL) == 0 &&
	    !strcmp(named->manifest_digest, p->digest))
		return 0; /* already so named: no index rewrite (and no fsync) */
	if (hvc_image_store_lock(s, err) < 0)
		return -1;
	int rc = hvc_image_index_add(s, p->digest, (int64_t)p->len, name, err);
	hvc_image_store_unlock(s);
	return rc;
}

static int pull_ref(struct hvc_image_store *s, const struct hvc_reg_ref *r,
		    const struct hvc_reg_opts *o, char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	_cleanup_reg_client_ struct hvc_reg_client *c = NULL;
	_cleanup_free_ char *platform =
	    o->platform ? hvc_xstrdup(o->platform) : hvc_xasprintf("linux/%s", hvc_image_host_arch());
	if (hvc_reg_client_open(o, r->host, &c, err) < 0 ||
	    (c->insecure && hvc_reg_client_ping(c, err) < 0))
		return -1;
	struct pulled p = { 0 };
	_cleanup_strv_ char **added = NULL;
	char mdig[HVC_DIGEST_LEN];
	int rc = resolve_manifest(c, r, platform, &p, err);
	if (rc == 0 && hvc_image_store_hold(s, err) < 0)
		rc = -1;
	if (rc == 0)
		rc = fetch_missing(c, s, r->repo, &p.doc, &added, err);
	if (rc == 0 && !hvc_image_blob_exists(s, p.digest, (int64_t)p.len)) {
		rc = hvc_image_blob_write_buf(s, p.body, p.len, mdig, err);
		if (rc == 0)
			hvc_strv_push(&added, mdig);
	}
	_cleanup_free_ char *name = r->tag || !r->digest ? hvc_reg_ref_string(r) : NULL;
	if (rc == 0)
		rc = check_and_name(s, &p, name, o->parallel, err);
	if (rc < 0)
		remove_blobs(s, added);
	else
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
