/* engine/registry/reg_auth: answering a 401 — HTTP basic with the stored
 * credentials, or the bearer-token flow of the distribution spec: GET the
 * challenge's realm with service and scope (basic credentials when there
 * are some, anonymous otherwise), then send the token as Bearer. */
#include <string.h>
#include "reg_internal.h"

static char *basic_header(const struct hvc_reg_client *c)
{
	_cleanup_free_ char *plain = hvc_xasprintf("%s:%s", c->user, c->pass);
	_cleanup_free_ char *b64 = hvc_reg_base64(plain);
	explicit_bzero(plain, strlen(plain));
	char *h = hvc_xasprintf("Authorization: Basic %s", b64);
	explicit_bzero(b64, strlen(b64));
	return h;
}

static void set_header(struct hvc_reg_client *c, char *h)
{
	if (c->auth_header)
		explicit_bzero(c->auth_header, strlen(c->auth_header));
	free(c->auth_header);
	c->auth_header = h;
}

static char *token_url(struct hvc_reg_client *c, const struct hvc_reg_challenge *ch,
		       const char *scope)
{
	struct hvc_strbuf b = { 0 };
	hvc_strbuf_printf(&b, "%s", ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (ch->service) {
		char *s = curl_easy_escape(c->easy, ch->service, 0);
		hvc_strbuf_printf(&b, "%cservice=%s", sep, s ? s : "");
		curl_free(s);
		sep = '&';
	}
	/* several scopes are several scope= parameters (a push that mounts) */
	_cleanup_strv_ char **scopes = hvc_strv_split(scope ? scope : "", ' ');
	for (size_t i = 0; scopes && scopes[i]; i++) {
		char *s = curl_easy_escape(c->easy, scopes[i], 0);
		hvc_strbuf_printf(&b, "%cscope=%s", sep, s ? s : "");
		curl_free(s);
		sep = '&';
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int fetch_token(struct hvc_reg_client *c, const struct hvc_reg_challenge *ch,
		       const char *scope, struct hvc_error *err)
{
	if (!hvc_str_has_prefix(ch->realm, "https://") &&
	    !(c->insecure && hvc_str_has_prefix(ch->realm, "http://")))
		return hvc_reg_err(err, EACCES,
				   "%s: token realm \"%s\" is not https (the registry is not marked "
				   "insecure)",
				   c->host, ch->realm);
	struct hvc_reg_req r = { .method = "GET", .body_fd = -1, .max_resp = HVC_REG_TOKEN_MAX,
				 .no_auth_retry = true, .no_retry = true };
	r.url = token_url(c, ch, scope);
	set_header(c, c->user ? basic_header(c) : NULL);
	int rc = hvc_reg_send(c, &r, NULL, err);
	set_header(c, NULL);
	if (rc < 0) {
		hvc_reg_req_clear(&r);
		return hvc_error_prefix(err, "%s: token service", c->host);
	}
	_cleanup_free_ char *token = NULL;
	if (r.status != 200)
		rc = hvc_reg_status_err(&r, "token service", err);
	else
		rc = hvc_reg_token_parse(r.resp.p, r.resp.len, &token, err);
	if (rc < 0) {
		hvc_error_prefix(err, "%s", c->host);
		if (r.status == 401 && c->user)
			hvc_reg_err(err, EACCES, "%s: token service refused the credentials of "
					    "auth.json for this host (hvc login %s)",
				    c->host, c->host);
		hvc_reg_req_clear(&r);
		return -1;
	}
	hvc_reg_req_clear(&r);
	set_header(c, hvc_xasprintf("Authorization: Bearer %s", token));
	explicit_bzero(token, strlen(token));
	free(c->scope);
	c->scope = scope ? hvc_xstrdup(scope) : NULL;
	hvc_debug("registry %s: bearer token for %s", c->host, scope ? scope : "(no scope)");
	return 0;
}

int hvc_reg_authenticate(struct hvc_reg_client *c, const char *www_auth, const char *scope,
			 struct hvc_error *err)
{
	struct hvc_reg_challenge ch;
	if (hvc_reg_challenge_parse(www_auth, strlen(www_auth), &ch, err) < 0)
		return hvc_error_prefix(err, "%s", c->host);
	int rc;
	if (!strcmp(ch.scheme, "basic")) {
		if (!c->user)
			rc = hvc_reg_err(err, EACCES, "%s: authentication required (hvc login %s)",
					 c->host, c->host);
		else if (c->auth_header && strstr(c->auth_header, "Basic "))
			rc = hvc_reg_err(err, EACCES, "%s: credentials rejected (hvc login %s)",
					 c->host, c->host);
		else
			rc = (set_header(c, basic_header(c)), 0);
	} else {
		rc = fetch_token(c, &ch, scope ? scope : ch.scope, err);
	}
	hvc_reg_challenge_clear(&ch);
	return rc;
}

int hvc_reg_do(struct hvc_reg_client *c, struct hvc_reg_req *r, struct hvc_error *err)
{
	_cleanup_free_ char *www = NULL;
	if (hvc_reg_send(c, r, &www, err) < 0)
		return -1;
	if (r->status != 401 || r->no_auth_retry || !www)
		return 0;
	if (hvc_reg_authenticate(c, www, r->scope, err) < 0)
		return -1;
	return hvc_reg_send(c, r, NULL, err);
}
