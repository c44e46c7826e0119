/* engine/registry/reg_client: one registry as hvc talks to it — https with
 * the system CAs unless the registry is marked insecure (registries.json or
 * --tls-verify=false; then plain http is allowed too), a private CA and a
 * client certificate from a certs directory, credentials from --creds or
 * auth.json, time-outs. */
#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include "reg_internal.h"

/* $HVC_ROOT/registries.json: {"insecure-registries": ["HOST[:PORT]", …]} */
static int listed_insecure(const char *root, const char *host, bool *out, struct hvc_error *err)
{
	*out = false;
	_cleanup_free_ char *file = hvc_path_join(root, "registries.json");
	if (!hvc_path_exists(file))
		return 0;
	_cleanup_json_ json_object *doc = NULL;
	if (hvc_json_read_file(file, &doc, err) < 0)
		return -1;
	json_object *list = hvc_json_get(doc, "insecure-registries");
	if (list && !json_object_is_type(list, json_type_array))
		return hvc_reg_err(err, EINVAL, "`%s`: \"insecure-registries\" is not an array", file);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		const char *h = json_object_get_string(json_object_array_get_idx(list, i));
		if (h && !strcmp(h, host))
			*out = true;
	}
	return 0;
}

/* DIR/NAME.crt is the CA bundle (the first one, sorted); NAME.cert + NAME.key a client
 * certificate: the layout of /etc/containers/certs.d/HOST/. */
static void read_cert_dir(struct hvc_reg_client *c, const char *dir)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char **slot = hvc_str_has_suffix(name, ".crt")	  ? &c->ca_file
			      : hvc_str_has_suffix(name, ".cert") ? &c->cert_file
			      : hvc_str_has_suffix(name, ".key")  ? &c->key_file
								  : NULL;
		if (slot && !*slot)
			*slot = hvc_path_join(dir, name);
		free(ents[i]);
	}
	free(ents);
}

static int read_creds(struct hvc_reg_client *c, struct hvc_error *err)
{
	const struct hvc_reg_opts *o = c->o;
	if (o->creds) {
		const char *colon = strchr(o->creds, ':');
		if (!colon)
			return hvc_reg_err(err, EINVAL, "--creds: expected USER:PASSWORD");
		c->user = strndup(o->creds, (size_t)(colon - o->creds));
		c->pass = hvc_xstrdup(colon + 1);
		return 0;
	}
	_cleanup_free_ char *file = o->authfile ? hvc_xstrdup(o->authfile)
						: hvc_reg_authfile_path(o->root);
	return hvc_reg_auth_get(file, c->host, &c->user, &c->pass, err) < 0 ? -1 : 0;
}

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int hvc_reg_client_open(const struct hvc_reg_opts *o, const char *host,
			struct hvc_reg_client **out, struct hvc_error *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init);
	struct hvc_reg_client *c = hvc_xcalloc(1, sizeof(*c));
	c->o = o;
	c->host = hvc_xstrdup(host);
	const char *tmo = getenv("HVC_REGISTRY_TIMEOUT");
	c->timeout_s = o->timeout_s > 0 ? o->timeout_s : tmo && atoi(tmo) > 0 ? atoi(tmo) : 30;
	bool listed = false;
	if (listed_insecure(o->root, host, &listed, err) < 0 || read_creds(c, err) < 0) {
		hvc_reg_client_free(c);
		return -1;
	}
	c->insecure = listed || o->tls_verify == 0;
	c->tls_verify = o->tls_verify == 1 || (o->tls_verify < 0 && !listed);
	_cleanup_free_ char *certs = hvc_xasprintf("%s/certs.d/%s", o->root, host);
	read_cert_dir(c, o->cert_dir ? o->cert_dir : certs);
	c->easy = curl_easy_init();
	if (!c->easy) {
		hvc_reg_client_free(c);
		return hvc_reg_err(err, ENOMEM, "libcurl: cannot create a handle");
	}
	c->base = hvc_xasprintf("https://%s", host);
	*out = c;
	return 0;
}

void hvc_reg_client_free(struct hvc_reg_client *c)
{
	if (!c)
		return;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->pass)
		explicit_bzero(c->pass, strlen(c->pass));
	if (c->auth_header)
		explicit_bzero(c->auth_header, strlen(c->auth_header));
	free(c->host);
	free(c->base);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->user);
	free(c->pass);
	free(c->auth_header);
	free(c->scope);
	free(c);
}


int hvc_reg_client_clone(const struct hvc_reg_client *c, struct hvc_reg_client **out,
			 struct hvc_error *err)
{
	if (hvc_reg_client_open(c->o, c->host, out, err) < 0)
		return -1;
	free((*out)->base);
	(*out)->base = hvc_xstrdup(c->base); /* the scheme the /v2/ check settled on */
	return 0;
}
