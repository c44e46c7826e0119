/* engine/registry/reg_session: a session's first words with a registry —
 * the /v2/ check (and the fall-back to http for an insecure registry) and
 * `hvc login` (credentials checked before they are stored). */
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

/* GET /v2/ once; 0 with the status, -1 when nothing answered. */
static int get_v2(struct hvc_reg_client *c, bool once, long *status, struct hvc_error *err)
{
	struct hvc_reg_req r = { .method = "GET", .body_fd = -1, .max_resp = 1 << 16,
				 .no_auth_retry = true, .no_retry = once };
	r.url = hvc_reg_url(c, "/v2/");
	int rc = hvc_reg_send(c, &r, NULL, err);
	*status = r.status;
	hvc_reg_req_clear(&r);
	return rc;
}

/* GET /v2/: the API check. An insecure registry is asked over plain http
 * first (no credentials travel with it): when it answers as a registry,
 * http it is; a TLS-only one (a 400, or nothing) is then asked over https.
 * Asking http first spares a TLS set-up (~18 ms) per command on plain
 * registries. A 401 is fine: the token dance happens per request. */
int hvc_reg_client_ping(struct hvc_reg_client *c, struct hvc_error *err)
{
	long st = 0;
	if (c->insecure) {
		free(c->base);
		c->base = hvc_xasprintf("http://%s", c->host);
		if (get_v2(c, true, &st, NULL) == 0 && (st == 200 || st == 401))
			return 0;
		hvc_debug("registry %s: no plain http answer, trying https", c->host);
		free(c->base);
		c->base = hvc_xasprintf("https://%s", c->host);
	}
	if (get_v2(c, false, &st, err) < 0)
		return -1;
	if (st == 200 || st == 401)
		return 0;
	return hvc_reg_err(err, EPROTO, "%s: /v2/ answered HTTP %ld: not an OCI distribution registry",
			   c->host, st);
}
