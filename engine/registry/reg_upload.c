/* engine/registry/reg_upload: one blob made present in a repository —
 * HEAD first (already there: nothing to send), then a cross-repository
 * mount when the blob is in another repository of the same registry, then
 * an upload session: one PUT (monolithic) or PATCH chunks and a closing PUT. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "reg_internal.h"

static int request(struct hvc_reg_client *c, struct hvc_reg_req *r, char *url, const char *scope,
		   struct hvc_error *err)
{
	r->url = url;
	r->scope = scope;
	r->max_resp = r->max_resp ? r->max_resp : 1 << 16;
	return hvc_reg_do(c, r, err);
}

/* 1 present, 0 absent. */
static int blob_present(struct hvc_reg_client *c, const char *repo, const char *digest,
			const char *scope, struct hvc_error *err)
{
	struct hvc_reg_req r = { .method = "HEAD", .body_fd = -1 };
	int rc = request(c, &r, hvc_reg_url(c, "/v2/%s/blobs/%s", repo, digest), scope, err);
	if (rc == 0 && r.status != 200 && r.status != 404) {
		_cleanup_free_ char *what = hvc_xasprintf("%s/%s: HEAD blob %s", c->host, repo, digest);
		rc = hvc_reg_status_err(&r, what, err);
	}
	rc = rc < 0 ? -1 : r.status == 200;
	hvc_reg_req_clear(&r);
	return rc;
}

/* POST an upload session (mounting from from_repo when given): 1 when the
 * mount made the blob present, 0 with *location set, -1. */
static int start_upload(struct hvc_reg_client *c, const char *repo, const char *from_repo,
			const char *digest, const char *scope, char **location,
			struct hvc_error *err)
{
	struct hvc_reg_req r = { .method = "POST", .body_fd = -1 };
	char *url = from_repo ? hvc_reg_url(c, "/v2/%s/blobs/uploads/?mount=%s&from=%s", repo,
					    digest, from_repo)
			      : hvc_reg_url(c, "/v2/%s/blobs/uploads/", repo);
	int rc = request(c, &r, url, scope, err);
	if (rc == 0 && r.status == 201) {
		hvc_debug("registry: %s mounted from %s", digest, from_repo);
		rc = 1;
	} else if (rc == 0 && r.status == 202 && r.location) {
		*location = steal_pointer(&r.location);
	} else if (rc == 0) {
		_cleanup_free_ char *what = hvc_xasprintf("%s/%s: start upload", c->host, repo);
		rc = hvc_reg_status_err(&r, what, err);
	}
	hvc_reg_req_clear(&r);
	return rc;
}

/* One PATCH or PUT of bytes [off, off+len) of fd to *location; *location
 * moves to the next one the registry names. */
static int send_part(struct hvc_reg_client *c, const char *method, char **location, int fd,
		     int64_t off, int64_t len, const char *digest, const char *scope,
		     struct hvc_error *err)
{
	_cleanup_free_ char *range = hvc_xasprintf("Content-Range: %lld-%lld", (long long)off,
						   (long long)(off + len - 1));
	struct hvc_reg_req r = { .method = method, .body_fd = len > 0 ? fd : -1, .body_off = off,
				 .body_len = (size_t)len,
				 .content_type = "application/octet-stream",
				 .extra_header = !strcmp(method, "PATCH") ? range : NULL };
	char *url = digest ? hvc_reg_url(c, "%s%cdigest=%s", *location,
					 strchr(*location, '?') ? '&' : '?', digest)
			   : hvc_reg_url(c, "%s", *location);
	if (!strcmp(method, "PUT") && len == 0)
		r.body = "", r.body_fd = -1; /* the closing PUT of a chunked upload */
	int rc = request(c, &r, url, scope, err);
	long want = digest ? 201 : 202;
	if (rc == 0 && r.status != want) {
		_cleanup_free_ char *what = hvc_xasprintf("%s: %s upload", c->host, method);
		rc = hvc_reg_status_err(&r, what, err);
	}
	if (rc == 0 && r.location) {
		free(*location);
		*location = steal_pointer(&r.location);
	}
	hvc_reg_req_clear(&r);
	return rc;
}

static int upload(struct hvc_reg_client *c, struct hvc_image_store *s, char **location,
		  const struct hvc_reg_desc *d, const char *scope, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, d->digest);
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return hvc_err(err, errno, "blob %s: open `%s`", d->digest, path ? path : "");
	int64_t chunk = c->o->chunk_size;
	if (chunk <= 0 || d->size <= chunk)
		return send_part(c, "PUT", location, fd, 0, d->size, d->digest, scope, err);
	for (int64_t off = 0; off < d->size; off += chunk) {
		int64_t n = d->size - off < chunk ? d->size - off : chunk;
		if (send_part(c, "PATCH", location, fd, off, n, NULL, scope, err) < 0)
			return -1;
	}
	return send_part(c, "PUT", location, fd, 0, 0, d->digest, scope, err);
}

int hvc_reg_put_blob(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
		     const char *from_repo, const struct hvc_reg_desc *d, const char *what,
		     struct hvc_error *err)
{
	_cleanup_free_ char *scope =
	    from_repo ? hvc_xasprintf("repository:%s:pull,push repository:%s:pull", repo, from_repo)
		      : hvc_reg_scope(repo, "pull,push");
	int k = blob_present(c, repo, d->digest, scope, err);
	if (k != 0) {
		if (k > 0)
			hvc_reg_progress(c->o, HVC_REG_EV_SKIP, what, d->digest, d->size, d->size, 0);
		return k < 0 ? -1 : 0;
	}
	uint64_t t0 = hvc_now_ns();
	hvc_reg_progress(c->o, HVC_REG_EV_START, what, d->digest, 0, d->size, t0);
	_cleanup_free_ char *location = NULL;
	k = start_upload(c, repo, from_repo, d->digest, scope, &location, err);
	if (k == 0)
		k = upload(c, s, &location, d, scope, err);
	if (k < 0)
		return hvc_error_prefix(err, "push %s %s", what, d->digest);
	hvc_reg_progress(c->o, HVC_REG_EV_DONE, what, d->digest, d->size, d->size, t0);
	return 0;
}
