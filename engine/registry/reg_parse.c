/* engine/registry/reg_parse: what a registry answers, parsed from buffers —
 * WWW-Authenticate challenges, manifests and indexes (OCI and Docker v2
 * schema 2), token responses. Pure: no I/O, so unit tests and fuzz targets
 * call them directly. JSON through json-c (hvc_json_parse). */
#include <ctype.h>
#include <string.h>
#include "reg_internal.h"

/* ---------- WWW-Authenticate ------------------------------------------ */

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == ','))
		(*p)++;
}

/* A token ([!#$%&'*+.^_`|~0-9A-Za-z-]+) into out; its length. */
static size_t read_token(const char **p, const char *end, char *out, size_t cap)
{
	size_t n = 0;
	while (*p < end && (isalnum((unsigned char)**p) || strchr("!#$%&'*+.^_`|~-/", **p)) &&
	       **p) {
		if (n + 1 < cap)
			out[n] = (char)tolower((unsigned char)**p);
		n++;
		(*p)++;
	}
	out[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* A quoted-string (backslash escapes) or a token; malloc'd, NULL when malformed. */
static char *read_value(const char **p, const char *end)
{
	struct hvc_strbuf b = { 0 };
	if (*p < end && **p == '"') {
		for ((*p)++; *p < end && **p != '"'; (*p)++) {
			if (**p == '\\' && *p + 1 < end)
				(*p)++;
			hvc_strbuf_putc(&b, **p);
		}
		if (*p >= end) {
			free(b.p);
			return NULL; /* unterminated */
		}
		(*p)++;
	} else {
		while (*p < end && **p != ',' && **p != ' ' && **p != '\t' && **p)
			hvc_strbuf_putc(&b, *(*p)++);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : hvc_xstrdup("");
}

static void set_param(struct hvc_reg_challenge *c, const char *key, char *val)
{
	char **slot = !strcmp(key, "realm")	? &c->realm
		      : !strcmp(key, "service") ? &c->service
		      : !strcmp(key, "scope")	? &c->scope
						: NULL;
	if (slot && !*slot)
		*slot = val;
	else
		free(val);
}

int hvc_reg_challenge_parse(const char *buf, size_t len, struct hvc_reg_challenge *out,
			    struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *p = buf, *end = buf + len;
	skip_ws(&p, end);
	if (!read_token(&p, end, out->scheme, sizeof(out->scheme)) ||
	    (strcmp(out->scheme, "bearer") && strcmp(out->scheme, "basic")))
		return hvc_reg_err(err, EPROTO, "WWW-Authenticate: unsupported scheme \"%.*s\"",
			       (int)(len > 40 ? 40 : len), buf);
	while (p < end) {
		skip_ws(&p, end);
		char key[32];
		const char *start = p;
		if (!read_token(&p, end, key, sizeof(key)))
			break;
		if (p >= end || *p != '=') {
			p = start; /* the next challenge's scheme: only the first is used */
			break;
		}
		p++;
		char *val = read_value(&p, end);
		if (!val) {
			hvc_reg_challenge_clear(out);
			return hvc_reg_err(err, EPROTO, "WWW-Authenticate: unterminated quoted value");
		}
		set_param(out, key, val);
	}
	if (!strcmp(out->scheme, "bearer") && (!out->realm || !*out->realm)) {
		hvc_reg_challenge_clear(out);
		return hvc_reg_err(err, EPROTO, "WWW-Authenticate: Bearer challenge without a realm");
	}
	return 0;
}

void hvc_reg_challenge_clear(struct hvc_reg_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}

/* ---------- manifests and indexes ---------------------------------------- */

#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static bool is_index_mt(const char *mt)
{
	return !strcmp(mt, HVC_MT_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

static bool is_manifest_mt(const char *mt)
{
	return !strcmp(mt, HVC_MT_MANIFEST) || !strcmp(mt, HVC_MT_DOCKER_MANIFEST);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static int parse_desc(json_object *o, struct hvc_reg_desc *d, const char *what,
		      struct hvc_error *err)
{
	const char *mt = hvc_json_get_string(o, "mediaType");
	const char *dg = hvc_json_get_string(o, "digest");
	json_object *size = hvc_json_get(o, "size");
	if (!json_object_is_type(o, json_type_object) || !hvc_digest_valid(dg))
		return hvc_reg_err(err, EPROTO, "%s: no valid digest", what);
	if (!size || !json_object_is_type(size, json_type_int) || json_object_get_int64(size) < 0)
		return hvc_reg_err(err, EPROTO, "%s %s: no valid size", what, dg);
	if (mt && strlen(mt) >= sizeof(d->media_type))
		return hvc_reg_err(err, EPROTO, "%s %s: media type too long", what, dg);
	copy_str(d->media_type, sizeof(d->media_type), mt);
	copy_str(d->digest, sizeof(d->digest), dg);
	d->size = json_object_get_int64(size);
	json_object *pf = hvc_json_get(o, "platform");
	copy_str(d->os, sizeof(d->os), hvc_json_get_string(pf, "os"));
	copy_str(d->arch, sizeof(d->arch), hvc_json_get_string(pf, "architecture"));
	copy_str(d->variant, sizeof(d->variant), hvc_json_get_string(pf, "variant"));
	return 0;
}

static int parse_items(json_object *arr, struct hvc_reg_doc *d, const char *what,
		       struct hvc_error *err)
{
	if (!arr || !json_object_is_type(arr, json_type_array))
		return hvc_reg_err(err, EPROTO, "%s: no %s array", d->media_type,
			       d->kind == HVC_REG_DOC_INDEX ? "manifests" : "layers");
	size_t n = json_object_array_length(arr);
	if (n > 4096)
		return hvc_reg_err(err, EPROTO, "%s: %zu %ss (more than 4096)", d->media_type, n, what);
	d->items = calloc(n + 1, sizeof(*d->items));
	if (!d->items)
		return hvc_err(err, ENOMEM, "%s: %zu %ss", d->media_type, n, what);
	d->n_items = n;
	for (size_t i = 0; i < n; i++)
		if (parse_desc(json_object_array_get_idx(arr, i), &d->items[i], what, err) < 0)
			return -1;
	return 0;
}

/* The document's media type: its own field, else the Content-Type; both must agree. */
static int doc_media_type(json_object *o, const char *content_type, char *out, size_t cap,
			  struct hvc_error *err)
{
	const char *own = hvc_json_get_string(o, "mediaType");
	char ct[128] = "";
	if (content_type) {
		size_t n = strcspn(content_type, "; \t");
		snprintf(ct, sizeof(ct), "%.*s", (int)n, content_type);
	}
	bool ct_known = *ct && (is_index_mt(ct) || is_manifest_mt(ct));
	if (own && ct_known && strcmp(own, ct))
		return hvc_reg_err(err, EPROTO, "manifest says mediaType \"%s\", Content-Type says \"%s\"",
			       own, ct);
	const char *mt = own ? own : ct_known ? ct : NULL;
	if (!mt && hvc_json_get(o, "manifests"))
		mt = HVC_MT_INDEX; /* OCI allows an index without mediaType */
	if (!mt && hvc_json_get(o, "config"))
		mt = HVC_MT_MANIFEST;
	if (!mt || (!is_index_mt(mt) && !is_manifest_mt(mt)))
		return hvc_reg_err(err, EPROTO, "unsupported manifest media type \"%s\"%s",
			       mt ? mt : *ct ? ct : "",
			       hvc_json_get_int(o, "schemaVersion", 0) == 1
				   ? " (Docker schema 1 is not supported)"
				   : "");
	copy_str(out, cap, mt);
	return 0;
}

int hvc_reg_doc_parse(const char *buf, size_t len, const char *content_type,
		      struct hvc_reg_doc *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_parse(buf, len, "manifest", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return hvc_reg_err(err, EPROTO, "manifest: not a JSON object");
	if (hvc_json_get_int(o, "schemaVersion", 0) != 2)
		return hvc_reg_err(err, EPROTO, "manifest: schemaVersion is not 2%s",
			       hvc_json_get_int(o, "schemaVersion", 0) == 1
				   ? " (Docker schema 1 is not supported)"
				   : "");
	if (doc_media_type(o, content_type, out->media_type, sizeof(out->media_type), err) < 0)
		return -1;
	int r;
	if (is_index_mt(out->media_type)) {
		out->kind = HVC_REG_DOC_INDEX;
		r = parse_items(hvc_json_get(o, "manifests"), out, "manifest", err);
	} else {
		out->kind = HVC_REG_DOC_MANIFEST;
		r = parse_desc(hvc_json_get(o, "config"), &out->config, "config", err);
		if (r == 0)
			r = parse_items(hvc_json_get(o, "layers"), out, "layer", err);
	}
	if (r < 0)
		hvc_reg_doc_clear(out);
	return r;
}

void hvc_reg_doc_clear(struct hvc_reg_doc *d)
{
	free(d->items);
	memset(d, 0, sizeof(*d));
}

const struct hvc_reg_desc *hvc_reg_doc_pick(const struct hvc_reg_doc *index, const char *platform)
{
	char os[32] = "", arch[32] = "", variant[32] = "";
	sscanf(platform, "%31[^/]/%31[^/]/%31s", os, arch, variant);
	const struct hvc_reg_desc *best = NULL;
	for (size_t i = 0; i < index->n_items; i++) {
		const struct hvc_reg_desc *d = &index->items[i];
		if (*d->media_type && !is_manifest_mt(d->media_type))
			continue; /* attestations, nested indexes */
		if (strcmp(d->os, os) || strcmp(d->arch, arch))
			continue;
		if (*variant && strcmp(d->variant, variant))
			continue;
		if (!best || (!*variant && !*d->variant))
			best = d; /* without a wanted variant, prefer an entry without one */
	}
	return best;
}

int hvc_reg_token_parse(const char *buf, size_t len, char **token, struct hvc_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_parse(buf, len, "token response", &o, err) < 0)
		return -1;
	const char *t = hvc_json_get_string(o, "token");
	if (!t || !*t)
		t = hvc_json_get_string(o, "access_token");
	if (!t || !*t)
		return hvc_reg_err(err, EPROTO, "token response: no \"token\" nor \"access_token\"");
	for (const char *c = t; *c; c++)
		if ((unsigned char)*c < 0x21 || *c == 0x7f)
			return hvc_reg_err(err, EPROTO, "token response: token has control characters");
	*token = hvc_xstrdup(t);
	return 0;
}
