/* engine/build/build_args: what `--build-arg` passes to a build (Docker's
 * rules), decided here rather than in the CLI so that it is tested. Pure. */
#include <string.h>
#include "hvc/build.h"

/* getenv() on a given vector: the first K=V wins, as in the C library. */
static const char *env_first(char *const *env, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, kl) && env[i][kl] == '=')
			return env[i] + kl + 1;
	return NULL;
}

int hvc_build_arg_parse(const char *spec, char *const *env, char **kv, struct hvc_error *err)
{
	*kv = NULL;
	if (spec[0] == '=')
		return hvc_err(err, 0, "--build-arg \"%s\": empty name", spec), -EINVAL;
	if (strchr(spec, '=')) {
		*kv = hvc_xstrdup(spec);
		return 1;
	}
	const char *v = env_first(env, spec);
	if (!v)
		return 0; /* Docker: an unset variable is simply not passed */
	*kv = hvc_xasprintf("%s=%s", spec, v);
	return 1;
}
