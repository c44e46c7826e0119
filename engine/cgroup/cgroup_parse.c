/* engine/cgroup/cgroup_parse: the pure parsers of cgroup control-file text —
 * one number ("max" included) and flat keyed files. Below both the file
 * helpers (cgroup_fs.c reads numbers with them) and the statistics readers
 * (cgroup_stats.c): they take buffers, never paths, and are unit-tested on
 * fixed text. */
#include "cgroup_internal.h"
#include <string.h>

int hvc_cgroup_parse_u64(const char *buf, uint64_t *out)
{
	while (*buf == ' ' || *buf == '\t')
		buf++;
	if (!strncmp(buf, "max", 3) && (!buf[3] || buf[3] == '\n' || buf[3] == ' ')) {
		*out = UINT64_MAX;
		return 0;
	}
	if (*buf < '0' || *buf > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || (*end && *end != '\n' && *end != ' '))
		return -EINVAL;
	*out = v;
	return 0;
}

int hvc_cgroup_parse_keyed(const char *buf, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *line = buf; line && *line;) {
		if (!strncmp(line, key, kl) && (line[kl] == ' ' || line[kl] == '\t'))
			return hvc_cgroup_parse_u64(line + kl + 1, out);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}
