/* engine/registry/reg_manifest: GET a manifest (or index) by tag or digest,
 * with the Accept header that negotiates OCI and Docker v2 schema 2 forms,
 * a size limit enforced while it streams, and its digest checked against
 * the reference's digest and the Docker-Content-Digest header. */
#include <string.h>
#include "reg_internal.h"

int hvc_reg_get_manifest(struct hvc_reg_client *c, const char *repo, const char *ref,
			 char **body, size_t *len, char **ctype, char digest[HVC_DIGEST_LEN],
			 struct hvc_error *err)
{
	_cleanup_free_ char *scope = hvc_reg_scope(repo, "pull");
	struct hvc_reg_req r = { .method = "GET", .body_fd = -1, .accept = HVC_REG_ACCEPT,
				 .scope = scope, .max_resp = HVC_REG_MANIFEST_MAX };
	r.url = hvc_reg_url(c, "/v2/%s/manifests/%s", repo, ref);
	int rc = hvc_reg_do(c, &r, err);
	if (rc == 0 && r.status != 200) {
		_cleanup_free_ char *what = hvc_xasprintf("%s/%s%s%s", c->host, repo,
							  hvc_str_has_prefix(ref, "sha256:") ? "@" : ":", ref);
		rc = hvc_reg_status_err(&r, what, err);
		if (r.status == 404)
			hvc_reg_err(err, ENOENT, "%s: manifest unknown (HTTP 404: no such name, tag or "
					 "digest on the registry)",
				    what);
	}
	if (rc == 0) {
		hvc_digest_buf(r.resp.p ? r.resp.p : "", r.resp.len, digest);
		const char *want = hvc_str_has_prefix(ref, "sha256:") ? ref : NULL;
		const char *said = r.docker_digest;
		if (want && strcmp(want, digest))
			rc = hvc_reg_err(err, EILSEQ, "manifest %s: digest mismatch: content is %s",
					 want, digest);
		else if (said && hvc_str_has_prefix(said, "sha256:") && strcmp(said, digest))
			rc = hvc_reg_err(err, EILSEQ,
					 "manifest %s/%s:%s: digest mismatch: Docker-Content-Digest "
					 "says %s, content is %s",
					 c->host, repo, ref, said, digest);
	}
	if (rc == 0) {
		if (!r.resp.p)
			r.resp.p = hvc_xstrdup("");
		*body = steal_pointer(&r.resp.p);
		*len = r.resp.len;
		*ctype = steal_pointer(&r.content_type_got);
	}
	hvc_reg_req_clear(&r);
	return rc;
}
