/* util/json: json-c helpers — typed getters with defaults, file I/O with the
 * error contract. */
#include <string.h>
#include "hvc/util.h"

int hvc_json_parse(const char *buf, size_t len, const char *what, json_object **out,
		   struct hvc_error *err)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return hvc_err(err, ENOMEM, "parse %s", what);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || je != json_tokener_success) {
		if (o)
			json_object_put(o);
		if (je == json_tokener_continue)
			return hvc_err(err, EINVAL, "parse %s: malformed JSON: unexpected end of input", what);
		return hvc_err(err, EINVAL, "parse %s: malformed JSON at byte %zu: %s", what, off,
			       json_tokener_error_desc(je));
	}
	*out = o;
	return 0;
}

int hvc_json_read_file(const char *path, json_object **out, struct hvc_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (hvc_read_file(path, &buf, &len, err) < 0)
		return -1;
	_cleanup_free_ char *what = hvc_strdup_printf("`%s`", path);
	return hvc_json_parse(buf, len, what, out, err);
}

int hvc_json_write_file_atomic(const char *path, json_object *o, struct hvc_error *err)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return hvc_write_file_atomic(path, s, len, 0644, err);
}

json_object *hvc_json_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

json_object *hvc_json_get_array(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

const char *hvc_json_get_string(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t hvc_json_get_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v = hvc_json_get(o, key);
	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_int64(v);
}

double hvc_json_get_double(json_object *o, const char *key, double dflt)
{
	json_object *v = hvc_json_get(o, key);
	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_double(v);
}

bool hvc_json_get_bool(json_object *o, const char *key, bool dflt)
{
	json_object *v = hvc_json_get(o, key);
	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : dflt;
}

void hvc_json_add_string(json_object *o, const char *key, const char *s)
{
	if (s)
		json_object_object_add(o, key, json_object_new_string(s));
}

void hvc_json_add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void hvc_json_add_double(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

void hvc_json_add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

const char *hvc_json_pretty(json_object *o)
{
	return json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
}

json_object *hvc_json_strv_array(char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

json_object *hvc_json_csv_array(const char *csv)
{
	json_object *a = json_object_new_array();
	_cleanup_free_ char *copy = strdup(csv ? csv : "");
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(t));
	return a;
}
