/* engine/registry/reg_authfile: credentials in $HVC_ROOT/auth.json, the
 * containers-auth.json format podman and skopeo read ({"auths": {HOST:
 * {"auth": base64("user:pass")}}}), written atomically with mode 0600. The
 * secrets are never put in an error message or a log line. */
#include <string.h>
#include <sys/stat.h>
#include "reg_internal.h"

char *hvc_reg_authfile_path(const char *root)
{
	return hvc_path_join(root, "auth.json");
}

static int read_doc(const char *file, json_object **out, struct hvc_error *err)
{
	if (!hvc_path_exists(file)) {
		*out = json_object_new_object();
		return 0;
	}
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_read_file(file, &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return hvc_reg_err(err, EINVAL, "`%s`: not a JSON object", file);
	*out = steal_pointer(&o);
	return 0;
}

int hvc_reg_auth_get(const char *file, const char *host, char **user, char **pass,
		     struct hvc_error *err)
{
	_cleanup_json_ json_object *doc = NULL;
	if (read_doc(file, &doc, err) < 0)
		return -1;
	const char *b64 = hvc_json_get_string(hvc_json_get(hvc_json_get(doc, "auths"), host), "auth");
	if (!b64)
		return 0;
	_cleanup_free_ char *plain = hvc_reg_unbase64(b64);
	char *colon = plain ? strchr(plain, ':') : NULL;
	if (!colon)
		return hvc_reg_err(err, EINVAL, "`%s`: the entry for %s is not base64 of USER:PASS",
				   file, host);
	*colon = '\0';
	*user = hvc_xstrdup(plain);
	*pass = hvc_xstrdup(colon + 1);
	explicit_bzero(colon + 1, strlen(colon + 1));
	return 1;
}

static int write_doc(const char *file, json_object *doc, struct hvc_error *err)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	_cleanup_free_ char *dir = hvc_xstrdup(file);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (hvc_mkdir_p(dir, 0700, err) < 0)
			return -1;
	}
	if (hvc_write_file_atomic(file, s, len, 0600, err) < 0)
		return -1;
	return chmod(file, 0600) < 0 ? hvc_err(err, errno, "chmod `%s`", file) : 0;
}

int hvc_reg_auth_set(const char *file, const char *host, const char *user, const char *pass,
		     struct hvc_error *err)
{
	if (strchr(user, ':'))
		return hvc_reg_err(err, EINVAL, "user name \"%s\" has a ':'", user);
	_cleanup_json_ json_object *doc = NULL;
	if (read_doc(file, &doc, err) < 0)
		return -1;
	json_object *auths = hvc_json_get(doc, "auths");
	if (!auths || !json_object_is_type(auths, json_type_object)) {
		auths = json_object_new_object();
		json_object_object_add(doc, "auths", auths);
	}
	_cleanup_free_ char *plain = hvc_xasprintf("%s:%s", user, pass);
	_cleanup_free_ char *b64 = hvc_reg_base64(plain);
	explicit_bzero(plain, strlen(plain));
	json_object *entry = json_object_new_object();
	hvc_json_add_string(entry, "auth", b64);
	json_object_object_add(auths, host, entry);
	return write_doc(file, doc, err);
}

int hvc_reg_auth_remove(const char *file, const char *host, struct hvc_error *err)
{
	_cleanup_json_ json_object *doc = NULL;
	if (read_doc(file, &doc, err) < 0)
		return -1;
	json_object *auths = hvc_json_get(doc, "auths");
	if (!hvc_json_get(auths, host))
		return 0;
	json_object_object_del(auths, host);
	return write_doc(file, doc, err) < 0 ? -1 : 1;
}
