/* bench/density_mem: the host's memory as the kernel reports it —
 * "used" is MemTotal - MemAvailable (what applications hold and reclaim
 * cannot take back), the figure a density sweep watches grow. */
#include "hvc/density.h"
#include <string.h>

static bool kib_field(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			char *end;
			unsigned long long v = strtoull(p + kl + 1, &end, 10);
			if (end == p + kl + 1)
				return false;
			*out = (uint64_t)v * 1024;
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

int hvc_density_meminfo_parse(const char *text, struct hvc_density_meminfo *m,
			      struct hvc_error *err)
{
	memset(m, 0, sizeof(*m));
	if (!kib_field(text, "MemTotal", &m->total))
		return hvc_err(err, EINVAL, "meminfo: no MemTotal line");
	/* MemAvailable exists since Linux 3.14; without it "used" is not knowable */
	if (!kib_field(text, "MemAvailable", &m->available))
		return hvc_err(err, EINVAL, "meminfo: no MemAvailable line (Linux >= 3.14 needed)");
	if (m->available > m->total)
		return hvc_err(err, EINVAL, "meminfo: MemAvailable larger than MemTotal");
	return 0;
}

int hvc_density_meminfo_read(struct hvc_density_meminfo *m, struct hvc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (hvc_read_file("/proc/meminfo", &text, &len, err) < 0)
		return -1;
	return hvc_density_meminfo_parse(text, m, err);
}
