/* engine/registry/reg_session: the registry seen from the other commands —
 * `hvc login` (credentials checked before they are stored) and the
 * --pull=missing|always|never policy of run and build FROM. */
#include <string.h>
#include "reg_internal.h"

int hvc_reg_login(const struct hvc_reg_opts *o, const char *host, const char *user,
		  const char *pass, struct hvc_error *err)
{
	struct hvc_reg_ref r;
	_cleanup_free_ char *probe = hvc_xasprintf("%s/x", host);
	if (hvc_reg_ref_parse(probe, &r, NULL) != 1) {
		hvc_reg_ref_clear(&r);
		return hvc_reg_err(err, EINVAL, "\"%s\" is not a registry host (HOST[:PORT])", host);
	}
	hvc_reg_ref_clear(&r);
	_cleanup_free_ char *creds = hvc_xasprintf("%s:%s", user, pass);
	struct hvc_reg_opts lo = *o;
	lo.creds = creds;
	_cleanup_reg_client_ struct hvc_reg_client *c = NULL;
	int rc = hvc_reg_client_open(&lo, host, &c, err);
	if (rc == 0 && c->insecure)
		rc = hvc_reg_client_ping(c, err);
	struct hvc_reg_req q = { .method = "GET", .body_fd = -1, .max_resp = 1 << 16 };
	if (rc == 0) {
		q.url = hvc_reg_url(c, "/v2/");
		rc = hvc_reg_do(c, &q, err);
	}
	if (rc == 0 && q.status != 200) {
		_cleanup_free_ char *what = hvc_xasprintf("%s: login", host);
		rc = hvc_reg_status_err(&q, what, err);
	}
	hvc_reg_req_clear(&q);
	explicit_bzero(creds, strlen(creds));
	if (rc < 0)
		return -1;
	_cleanup_free_ char *file = o->authfile ? hvc_xstrdup(o->authfile)
						: hvc_reg_authfile_path(o->root);
	return hvc_reg_auth_set(file, host, user, pass, err);
}

int hvc_reg_pull_policy_parse(const char *s, enum hvc_reg_pull_policy *out,
			      struct hvc_error *err)
{
	if (!strcmp(s, "missing"))
		*out = HVC_PULL_MISSING;
	else if (!strcmp(s, "always"))
		*out = HVC_PULL_ALWAYS;
	else if (!strcmp(s, "never"))
		*out = HVC_PULL_NEVER;
	else
		return hvc_reg_err(err, EINVAL, "--pull: \"%s\": expected missing, always or never",
				   s);
	return 0;
}

int hvc_reg_ensure(struct hvc_image_store *s, const char *ref, enum hvc_reg_pull_policy policy,
		   const struct hvc_reg_opts *o, struct hvc_error *err)
{
	struct hvc_reg_ref r;
	int k = hvc_reg_ref_parse(ref, &r, NULL);
	hvc_reg_ref_clear(&r);
	if (k != 1 || policy == HVC_PULL_NEVER)
		return 0; /* a local name, a digest prefix, a path: the store decides */
	if (policy == HVC_PULL_MISSING) {
		_cleanup_image_ struct hvc_image *img = NULL;
		struct hvc_error e = { 0 };
		if (hvc_image_lookup(s, ref, &img, &e) == 0)
			return 0;
		if (e.code != ENOENT) {
			*err = e;
			return -1;
		}
	}
	char digest[HVC_DIGEST_LEN];
	if (hvc_reg_pull(s, ref, o, digest, err) < 0)
		return hvc_error_prefix(err, "pull %s", ref);
	return 0;
}
