/* engine/build/build_path: lexical path clean-up shared by COPY/ADD source
 * resolution (build_copy), .dockerignore patterns (build_ignore) and WORKDIR
 * (build): below all three, so none of them depends on another for it. */
#include "build_internal.h"
#include <stdlib.h>
#include <string.h>

/* Lexically normalises an absolute or relative path ("a/../b" -> "b"); a ".."
 * above the start is dropped and reported in *escapes. NULL when out of memory. */
char *hvc_build_path_clean(const char *path, bool *escapes)
{
	_cleanup_free_ char *copy = strdup(path);
	char *out = malloc(strlen(path) + 2);
	if (!copy || !out) {
		free(out);
		return NULL;
	}
	size_t ol = 0;
	*escapes = false;
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (ol == 0) {
				*escapes = true;
				continue;
			}
			while (ol > 0 && out[ol - 1] != '/')
				ol--;
			if (ol > 0)
				ol--;
			continue;
		}
		if (ol)
			out[ol++] = '/';
		memcpy(out + ol, t, strlen(t));
		ol += strlen(t);
	}
	out[ol] = '\0';
	return out;
}
