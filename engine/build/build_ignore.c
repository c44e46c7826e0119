/* engine/build/build_ignore: .dockerignore — which context paths COPY/ADD never
 * see. Pure: patterns from a buffer, matching on relative paths. Docker's
 * rules: one pattern per line, # comments, leading / ignored, `*` `?` `[..]`
 * within a path segment, `**` for any number of segments, a pattern that
 * matches a directory excludes everything under it, `!pattern` re-includes,
 * the last matching line wins. */
#include <fnmatch.h>
#include <string.h>
#include "build_internal.h"

int hvc_build_ignore_parse(const char *buf, char ***patterns, struct hvc_error *err)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return hvc_err(err, ENOMEM, ".dockerignore");
	const char *l = buf;
	while (l && *l) {
		const char *e = strchrnul(l, '\n');
		_cleanup_free_ char *line = strndup(l, (size_t)(e - l));
		l = *e ? e + 1 : e;
		if (!line)
			return hvc_err(err, ENOMEM, ".dockerignore");
		char *t = hvc_str_trim(line);
		if (!*t || *t == '#')
			continue;
		bool neg = *t == '!';
		if (neg)
			t = hvc_str_trim(t + 1);
		bool esc;
		_cleanup_free_ char *clean = hvc_build_path_clean(t, &esc);
		if (!clean)
			return hvc_err(err, ENOMEM, ".dockerignore");
		if (!*clean)
			continue; /* "." or "/" would exclude the whole context: Docker ignores it too */
		_cleanup_free_ char *p = hvc_strdup_printf("%s%s", neg ? "!" : "", clean);
		if (!p || hvc_strv_push(&v, p) < 0)
			return hvc_err(err, ENOMEM, ".dockerignore");
	}
	*patterns = steal_pointer(&v);
	return 0;
}

/* Segment-wise match; "**" matches zero or more segments. */
static bool match_segs(char **pat, size_t np, char **path, size_t n)
{
	if (np == 0)
		return n == 0;
	if (!strcmp(pat[0], "**")) {
		for (size_t k = 0; k <= n; k++)
			if (match_segs(pat + 1, np - 1, path + k, n - k))
				return true;
		return false;
	}
	if (n == 0 || fnmatch(pat[0], path[0], 0) != 0)
		return false;
	return match_segs(pat + 1, np - 1, path + 1, n - 1);
}

static size_t split(char *s, char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
		out[n++] = t;
	return n;
}

static bool match_one(const char *pattern, const char *rel)
{
	char pbuf[4096], rbuf[4096];
	snprintf(pbuf, sizeof(pbuf), "%s", pattern);
	snprintf(rbuf, sizeof(rbuf), "%s", rel);
	char *ps[256], *rs[256];
	size_t np = split(pbuf, ps, 256), nr = split(rbuf, rs, 256);
	/* the path itself or any of its parent directories */
	for (size_t k = 1; k <= nr; k++)
		if (match_segs(ps, np, rs, k))
			return true;
	return false;
}

bool hvc_build_ignore_match(char *const *patterns, const char *rel)
{
	bool excluded = false;
	for (size_t i = 0; patterns && patterns[i]; i++) {
		bool neg = patterns[i][0] == '!';
		if (match_one(patterns[i] + neg, rel))
			excluded = !neg;
	}
	return excluded;
}
