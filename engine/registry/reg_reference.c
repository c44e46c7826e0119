/* engine/registry/reg_reference: image references as Docker parses them
 * (distribution/reference's grammar), a pure function of the string. */
#include <string.h>
#include "reg_internal.h"

static bool alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ joined by '.', '_', "__" or '-'+. */
static bool component_ok(const char *s, size_t n)
{
	if (n == 0 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (alnum_lower(s[i]))
			continue;
		if (s[i] == '-')
			continue; /* any run of '-' between alphanumerics */
		if (s[i] == '.' && alnum_lower(s[i + 1]))
			continue;
		if (s[i] == '_' && (alnum_lower(s[i + 1]) || (s[i + 1] == '_' && alnum_lower(s[i + 2]))))
		{
			i += s[i + 1] == '_';
			continue;
		}
		return false;
	}
	return true;
}

/* host[:port]: DNS labels or an IPv4 address, an optional numeric port. */
static bool host_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;
	if (hn == 0 || hn > 253)
		return false;
	for (size_t i = 0; i < hn; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (c == '-' && i > 0 && i + 1 < hn && s[i - 1] != '.') ||
			  (c == '.' && i > 0 && i + 1 < hn && s[i - 1] != '.');
		if (!ok)
			return false;
	}
	if (!colon)
		return true;
	size_t pn = n - hn - 1;
	if (pn == 0 || pn > 5)
		return false;
	for (size_t i = hn + 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Docker's rule: the first component is a registry when it looks like a host. */
static bool looks_like_host(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !memcmp(s, "localhost", 9));
}

/* Splits name (no digest) into host, repo and tag; 0 or -1. */
static int split_name(char *name, struct hvc_reg_ref *r)
{
	char *slash = strchr(name, '/');
	char *path = name;
	if (slash && looks_like_host(name, (size_t)(slash - name))) {
		if (!host_ok(name, (size_t)(slash - name)))
			return -1;
		r->host = strndup(name, (size_t)(slash - name));
		path = slash + 1;
	}
	char *colon = strrchr(path, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1))
			return -1;
		r->tag = strdup(colon + 1);
	}
	if (!*path || strlen(path) > 255)
		return -1;
	for (char *c = path, *e; *c; c = *e ? e + 1 : e) {
		e = strchrnul(c, '/');
		if (!component_ok(c, (size_t)(e - c)) || (*e == '/' && !e[1]))
			return -1;
	}
	r->repo = strdup(path);
	return 0;
}

int hvc_reg_ref_parse(const char *s, struct hvc_reg_ref *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *name = hvc_xstrdup(s ? s : "");
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!hvc_digest_valid(at + 1))
			goto bad;
		out->digest = hvc_xstrdup(at + 1);
	}
	if (!*name || split_name(name, out) < 0 || !out->repo)
		goto bad;
	return out->host ? 1 : 0;
bad:
	hvc_reg_ref_clear(out);
	return hvc_reg_err(err, EINVAL,
		       "invalid reference \"%s\": expected [HOST[:PORT]/]NAME[:TAG][@sha256:HEX] "
		       "(NAME: lowercase components separated by /, tag up to 128 of A-Z a-z 0-9 "
		       "_ . -)",
		       s ? s : "");
}

void hvc_reg_ref_clear(struct hvc_reg_ref *r)
{
	free(r->host);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *hvc_reg_ref_string(const struct hvc_reg_ref *r)
{
	const char *h = r->host ? r->host : "", *sep = r->host ? "/" : "";
	if (r->digest && !r->tag)
		return hvc_xasprintf("%s%s%s@%s", h, sep, r->repo, r->digest);
	return hvc_xasprintf("%s%s%s:%s", h, sep, r->repo, r->tag ? r->tag : "latest");
}
