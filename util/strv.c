/* util/strv: NULL-terminated string vectors (char **) — length, copy, push,
 * split, free, and the _cleanup_strv_ attribute's function. Uses nothing of
 * util but cleanup.c, so any util file can use it. */
#include "hvc/util.h"
#include <string.h>

size_t hvc_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void hvc_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **hvc_strv_dup(char *const *v)
{
	size_t n = hvc_strv_len(v);
	char **r = calloc(n + 1, sizeof(char *));
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(r[i] = strdup(v[i]))) {
			hvc_strv_free(r);
			return NULL;
		}
	return r;
}

int hvc_strv_push(char ***v, const char *s)
{
	size_t n = hvc_strv_len(*v);
	char **r = realloc(*v, (n + 2) * sizeof(char *));
	if (!r)
		return -1;
	*v = r;
	if (!(r[n] = strdup(s))) {
		r[n] = NULL;
		return -1;
	}
	r[n + 1] = NULL;
	return 0;
}

char **hvc_strv_split(const char *s, char sep)
{
	char **v = calloc(1, sizeof(char *));
	if (!v)
		return NULL;
	for (const char *p = s; p && *p;) {
		const char *end = strchr(p, sep);
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n) {
			_cleanup_free_ char *field = strndup(p, n);
			if (!field || hvc_strv_push(&v, field) < 0) {
				hvc_strv_free(v);
				return NULL;
			}
		}
		p = end ? end + 1 : p + n;
	}
	return v;
}

void hvc_strv_freep(char ***v)
{
	hvc_strv_free(*v);
}
