/* engine/registry/reg_push: `hvc push` — the manifest's bytes exactly as
 * stored (so the registry computes the same digest), its config and layers
 * made present first (reg_upload.c), the manifest last. */
#include <pthread.h>
#include <string.h>
#include "reg_internal.h"

/* The repository to mount from: the local name's, when it names another
 * repository of the same registry (the image was pulled from or pushed to it). */
static char *mount_source(const char *local, const struct hvc_reg_ref *dst)
{
	struct hvc_reg_ref src;
	if (hvc_reg_ref_parse(local, &src, NULL) != 1) {
		hvc_reg_ref_clear(&src); /* a local name was parsed too */
		return NULL;
	}
	char *from = !strcmp(src.host, dst->host) && strcmp(src.repo, dst->repo)
			 ? hvc_xstrdup(src.repo)
			 : NULL;
	hvc_reg_ref_clear(&src);
	return from;
}

static int put_manifest(struct hvc_reg_client *c, const struct hvc_reg_ref *dst,
			const char *body, size_t len, const char *media_type,
			const char *digest, struct hvc_error *err)
{
	_cleanup_free_ char *scope = hvc_reg_scope(dst->repo, "pull,push");
	struct hvc_reg_req r = { .method = "PUT", .body_fd = -1, .body = body, .body_len = len,
				 .content_type = media_type, .scope = scope, .max_resp = 1 << 16 };
	r.url = hvc_reg_url(c, "/v2/%s/manifests/%s", dst->repo,
			    dst->tag ? dst->tag : dst->digest ? dst->digest : "latest");
	int rc = hvc_reg_do(c, &r, err);
	if (rc == 0 && r.status != 201) {
		_cleanup_free_ char *what = hvc_xasprintf("%s/%s: PUT manifest", c->host, dst->repo);
		rc = hvc_reg_status_err(&r, what, err);
	}
	if (rc == 0 && r.docker_digest && strcmp(r.docker_digest, digest))
		rc = hvc_reg_err(err, EILSEQ,
				 "%s/%s: the registry stored the manifest as %s, not %s", c->host,
				 dst->repo, r.docker_digest, digest);
	hvc_reg_req_clear(&r);
	return rc;
}

/* The config and layers pushed by a few threads at once, each with a client
 * of its own (its own connection and token); the first error stops them. */
struct blobs {
	struct hvc_reg_client *c;
	struct hvc_image_store *s;
	const char *repo, *from;
	const struct hvc_reg_doc *doc;
	pthread_mutex_t lock;
	size_t next;
	int rc;
	struct hvc_error err;
};

static void *push_worker(void *arg)
{
	struct blobs *b = arg;
	struct hvc_error err = { 0 };
	_cleanup_reg_client_ struct hvc_reg_client *c = NULL;
	int rc = hvc_reg_client_clone(b->c, &c, &err);
	for (;;) {
		pthread_mutex_lock(&b->lock);
		size_t i = b->next++;
		bool stop = rc < 0 || b->rc < 0 || i > b->doc->n_items;
		pthread_mutex_unlock(&b->lock);
		if (stop)
			break;
		const struct hvc_reg_desc *d = i ? &b->doc->items[i - 1] : &b->doc->config;
		rc = hvc_reg_put_blob(c, b->s, b->repo, b->from, d, i ? "layer" : "config", &err);
	}
	pthread_mutex_lock(&b->lock);
	if (rc < 0 && b->rc == 0) {
		b->rc = rc;
		b->err = err;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static int push_blobs(struct blobs *b, struct hvc_error *err)
{
	pthread_t th[8];
	int n = b->c->o->parallel > 0 ? b->c->o->parallel : 3, started = 0;
	n = n > 8 ? 8 : n;
	pthread_mutex_init(&b->lock, NULL);
	for (int i = 0; i < n && (size_t)i <= b->doc->n_items; i++)
		started += pthread_create(&th[started], NULL, push_worker, b) == 0;
	if (!started)
		push_worker(b); /* no thread: do it here */
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&b->lock);
	if (b->rc < 0 && err)
		*err = b->err;
	return b->rc;
}

static int push_image(struct hvc_image_store *s, const struct hvc_image *img, const char *local,
		      const struct hvc_reg_ref *dst, const struct hvc_reg_opts *o,
		      struct hvc_error *err)
{
	_cleanup_free_ char *body = NULL;
	size_t len;
	struct hvc_reg_doc doc;
	if (hvc_image_blob_read(s, img->manifest_digest, img->manifest_size, &body, &len, err) < 0)
		return -1;
	if (hvc_reg_doc_parse(body, len, NULL, &doc, err) < 0)
		return hvc_error_prefix(err, "manifest %s", img->manifest_digest);
	_cleanup_reg_client_ struct hvc_reg_client *c = NULL;
	_cleanup_free_ char *from = mount_source(local, dst);
	int rc = hvc_reg_client_open(o, dst->host, &c, err);
	if (rc == 0 && c->insecure)
		rc = hvc_reg_client_ping(c, err);
	if (rc == 0) {
		struct blobs job = { .c = c, .s = s, .repo = dst->repo, .from = from, .doc = &doc };
		rc = push_blobs(&job, err);
	}
	if (rc == 0)
		rc = put_manifest(c, dst, body, len, doc.media_type, img->manifest_digest, err);
	hvc_reg_doc_clear(&doc);
	return rc;
}

int hvc_reg_push(struct hvc_image_store *s, const char *local, const char *remote,
		 const struct hvc_reg_opts *o, char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	const char *target = remote ? remote : local;
	struct hvc_reg_ref dst;
	int k = hvc_reg_ref_parse(target, &dst, err);
	if (k < 0)
		return -1;
	if (k == 0) {
		hvc_reg_ref_clear(&dst);
		return hvc_reg_err(err, EINVAL,
				   "\"%s\" names no registry: give a destination "
				   "HOST[:PORT]/NAME[:TAG] (hvc has no default registry)",
				   target);
	}
	_cleanup_image_ struct hvc_image *img = NULL;
	int rc = hvc_image_lookup(s, local, &img, err);
	if (rc == 0 && dst.digest && strcmp(dst.digest, img->manifest_digest))
		rc = hvc_reg_err(err, EINVAL, "destination digest %s is not the image's (%s)",
				 dst.digest, img->manifest_digest);
	if (rc == 0)
		rc = push_image(s, img, local, &dst, o, err);
	if (rc == 0)
		snprintf(digest, HVC_DIGEST_LEN, "%s", img->manifest_digest);
	hvc_reg_ref_clear(&dst);
	return rc;
}
