/* bench/bench_schema: a small JSON Schema (2020-12) interpreter over json-c,
 * for the keywords docs/results.schema.json uses — type, const, enum,
 * minimum, required, properties, additionalProperties (a schema), items,
 * if/then/else — so that file is the one definition of results.json and
 * `hvc bench validate` checks exactly what it says. A schema using any other
 * keyword is refused (hvc_bench_schema_supported) rather than half-checked.
 * Errors name the path of the bad field: `results.samples[3].status: ...`. */
#include "bench_internal.h"
#include <string.h>

/* Keywords that only annotate; "description" also prefixes the errors of
 * its subschema, so a rule can say why it exists. */
static const char *const annotations[] = {"$schema", "$id",	    "$comment",
					  "title",   "description", NULL};
static const char *const keywords[] = {"type",	   "const",	 "enum",  "minimum",
				       "required", "properties", "items", "additionalProperties",
				       "if",	   "then",	 "else",  NULL};

static bool in_strs(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static size_t alen(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* ---------- the schema itself -------------------------------------------- */

static int supported_at(json_object *s, const char *path, struct hvc_error *err);

static int supported_map(json_object *map, const char *path, struct hvc_error *err)
{
	if (!json_object_is_type(map, json_type_object))
		return hvc_err(err, EINVAL, "schema %s: \"properties\" is not an object", path);
	json_object_object_foreach(map, k, sub)
	{
		_cleanup_free_ char *p = hvc_xasprintf("%s.%s", path, k);
		if (supported_at(sub, p, err) < 0)
			return -1;
	}
	return 0;
}

static int supported_at(json_object *s, const char *path, struct hvc_error *err)
{
	if (!json_object_is_type(s, json_type_object))
		return hvc_err(err, EINVAL, "schema %s: a subschema must be an object", path);
	json_object_object_foreach(s, k, v)
	{
		if (in_strs(annotations, k))
			continue;
		if (!in_strs(keywords, k))
			return hvc_err(err, ENOTSUP, "schema %s: keyword \"%s\" is not supported",
				       path, k);
		int r = 0;
		if (!strcmp(k, "properties"))
			r = supported_map(v, path, err);
		else if (!strcmp(k, "items") || !strcmp(k, "additionalProperties") ||
			 !strcmp(k, "if") || !strcmp(k, "then") || !strcmp(k, "else"))
			r = supported_at(v, path, err);
		if (r < 0)
			return -1;
	}
	return 0;
}

int hvc_bench_schema_supported(json_object *schema, struct hvc_error *err)
{
	return supported_at(schema, "$", err);
}

/* ---------- checking a document ------------------------------------------ */

static bool type_is(json_object *v, const char *t)
{
	json_type jt = json_object_get_type(v);
	if (!strcmp(t, "integer"))
		return jt == json_type_int;
	if (!strcmp(t, "number"))
		return jt == json_type_int || jt == json_type_double;
	if (!strcmp(t, "string"))
		return jt == json_type_string;
	if (!strcmp(t, "boolean"))
		return jt == json_type_boolean;
	if (!strcmp(t, "object"))
		return jt == json_type_object;
	if (!strcmp(t, "array"))
		return jt == json_type_array;
	if (!strcmp(t, "null"))
		return jt == json_type_null;
	return false;
}

static const char *json_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

/* "ok or failed", "a, b or c"; strings unquoted as the old messages had them. */
static char *alternatives(json_object *arr)
{
	struct hvc_strbuf b = {0};
	size_t n = alen(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		hvc_strbuf_printf(&b, "%s%s",
				  i == 0       ? ""
				  : i + 1 == n ? " or "
					       : ", ",
				  json_object_is_type(e, json_type_string)
				      ? json_object_get_string(e)
				      : json_object_to_json_string(e));
	}
	return b.p ? b.p : hvc_xstrdup("");
}

static int check_type(json_object *t, json_object *v, const char *path, struct hvc_error *err)
{
	if (json_object_is_type(t, json_type_string)) {
		if (type_is(v, json_object_get_string(t)))
			return 0;
		return hvc_err(err, EINVAL, "%s: is %s, not %s %s", path, json_kind(v),
			       strchr("aeiou", json_object_get_string(t)[0]) ? "an" : "a",
			       json_object_get_string(t));
	}
	for (size_t i = 0; i < alen(t); i++)
		if (type_is(v, json_object_get_string(json_object_array_get_idx(t, i))))
			return 0;
	_cleanup_free_ char *alts = alternatives(t);
	return hvc_err(err, EINVAL, "%s: is %s, not %s", path, json_kind(v), alts);
}

/* Scalars quoted in a message; a whole object or array would drown it. */
static const char *shown(json_object *v)
{
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return json_kind(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static int check_values(json_object *s, json_object *v, const char *path, struct hvc_error *err)
{
	json_object *k;
	if (json_object_object_get_ex(s, "const", &k) && !json_object_equal(k, v))
		return hvc_err(err, EINVAL, "%s: must be %s, not %s", path,
			       json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN), shown(v));
	if (json_object_object_get_ex(s, "enum", &k)) {
		bool found = false;
		for (size_t i = 0; i < alen(k) && !found; i++)
			found = json_object_equal(json_object_array_get_idx(k, i), v);
		if (!found) {
			_cleanup_free_ char *alts = alternatives(k);
			return hvc_err(err, EINVAL, "%s: must be %s, not %s", path, alts, shown(v));
		}
	}
	if (json_object_object_get_ex(s, "minimum", &k) && type_is(v, "number") &&
	    json_object_get_double(v) < json_object_get_double(k))
		return hvc_err(err, EINVAL, "%s: %s is below the minimum %s", path, shown(v),
			       json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN));
	return 0;
}

static int check_at(json_object *s, json_object *v, const char *path, struct hvc_error *err);

static int check_object(json_object *s, json_object *v, const char *path, struct hvc_error *err)
{
	json_object *req = hvc_json_get(s, "required"), *props = hvc_json_get(s, "properties");
	json_object *more = hvc_json_get(s, "additionalProperties");
	for (size_t i = 0; i < alen(req); i++) {
		const char *key = json_object_get_string(json_object_array_get_idx(req, i));
		if (!json_object_object_get_ex(v, key, NULL))
			return hvc_err(err, EINVAL, "%s: missing \"%s\"", path, key);
	}
	json_object_object_foreach(v, key, val)
	{
		json_object *sub = hvc_json_get(props, key);
		if (!sub && json_object_is_type(more, json_type_object))
			sub = more;
		if (!sub)
			continue;
		_cleanup_free_ char *p = hvc_xasprintf("%s.%s", path, key);
		if (check_at(sub, val, p, err) < 0)
			return -1;
	}
	return 0;
}

static int check_items(json_object *items, json_object *v, const char *path, struct hvc_error *err)
{
	for (size_t i = 0; i < alen(v); i++) {
		_cleanup_free_ char *p = hvc_xasprintf("%s[%zu]", path, i);
		if (check_at(items, json_object_array_get_idx(v, i), p, err) < 0)
			return -1;
	}
	return 0;
}

static int check_conditional(json_object *s, json_object *v, const char *path,
			     struct hvc_error *err)
{
	json_object *cond = hvc_json_get(s, "if");
	if (!cond)
		return 0;
	struct hvc_error probe = {0};
	json_object *branch =
	    hvc_json_get(s, check_at(cond, v, path, &probe) == 0 ? "then" : "else");
	return branch ? check_at(branch, v, path, err) : 0;
}

static int check_at(json_object *s, json_object *v, const char *path, struct hvc_error *err)
{
	json_object *t = hvc_json_get(s, "type");
	int r = t ? check_type(t, v, path, err) : 0;
	if (r == 0)
		r = check_values(s, v, path, err);
	if (r == 0 && json_object_is_type(v, json_type_object))
		r = check_object(s, v, path, err);
	if (r == 0 && json_object_is_type(v, json_type_array) && hvc_json_get(s, "items"))
		r = check_items(hvc_json_get(s, "items"), v, path, err);
	if (r == 0)
		r = check_conditional(s, v, path, err);
	const char *why = hvc_json_get_string(s, "description");
	if (r < 0 && why)
		return hvc_error_prefix(err, "%s", why);
	return r;
}

int hvc_bench_schema_check(json_object *schema, json_object *doc, const char *root,
			   struct hvc_error *err)
{
	return check_at(schema, doc, root, err);
}
