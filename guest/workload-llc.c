/* guest/workload-llc: the last-level cache the memory workloads size
 * themselves against — read from sysfs (cpu0's cache/index*), else from
 * CPUID through libc's sysconf — and the plausibility rule that caps a
 * reported size no real core could reach (docs/workloads.md, "The last-level
 * cache"). libc only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#define MIB (1024.0 * 1024.0)

/* "0-3,8,10-11" -> 7; 0 when malformed. */
static unsigned count_cpu_list(const char *s)
{
	unsigned n = 0;
	while (*s && *s != '\n') {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (end == s)
			return 0;
		if (*end == '-') {
			s = end + 1;
			hi = strtoul(s, &end, 10);
			if (end == s || hi < lo)
				return 0;
		}
		n += (unsigned)(hi - lo + 1);
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int read_line(const char *dir, const char *name, char *buf, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = fgets(buf, (int)len, f) ? 0 : -1;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return rc;
}

struct cache_entry {
	uint64_t size;
	int level;
	unsigned sharing;
	int usable; /* data or unified */
};

static void read_cache_entry(const char *dir, struct cache_entry *c)
{
	char buf[256];
	*c = (struct cache_entry){0};
	if (read_line(dir, "type", buf, sizeof(buf)) < 0)
		return;
	c->usable = strncmp(buf, "Instruction", 11) != 0;
	if (read_line(dir, "level", buf, sizeof(buf)) == 0)
		c->level = atoi(buf);
	if (read_line(dir, "size", buf, sizeof(buf)) < 0 || wl_parse_size(buf, &c->size) < 0)
		c->size = 0;
	if (read_line(dir, "shared_cpu_list", buf, sizeof(buf)) == 0)
		c->sharing = count_cpu_list(buf);
}

/* The highest-level data or unified cache of CPU 0 (the largest at that level). */
static bool llc_from_sysfs(struct wl_llc *l)
{
	struct cache_entry best = {0};
	for (int i = 0; i < 16; i++) {
		char dir[128];
		struct cache_entry c;
		snprintf(dir, sizeof(dir), "/sys/devices/system/cpu/cpu0/cache/index%d", i);
		read_cache_entry(dir, &c);
		if (c.usable && c.size &&
		    (c.level > best.level || (c.level == best.level && c.size > best.size)))
			best = c;
	}
	if (!best.size)
		return false;
	l->reported = best.size;
	l->level = best.level;
	l->sharing = best.sharing;
	l->source = "sysfs";
	return true;
}

/* glibc answers these from CPUID (what hwloc and getconf(1) report too). */
static bool llc_from_cpuid(struct wl_llc *l)
{
	long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
	if (l3 <= 0 && l2 <= 0)
		return false;
	l->reported = (uint64_t)(l3 > 0 ? l3 : l2);
	l->level = l3 > 0 ? 3 : 2;
	l->source = "cpuid";
	return true;
}

void wl_llc_judge(struct wl_llc *l)
{
	l->bytes = l->reported;
	l->capped = false;
	l->cap_reason[0] = '\0';
	unsigned sharing = l->sharing ? l->sharing : 1;
	uint64_t cap = WL_LLC_MAX_PER_CPU * sharing;
	if (l->reported > cap) {
		l->bytes = cap;
		l->capped = true;
		snprintf(l->cap_reason, sizeof(l->cap_reason),
			 "%s reports %.0f MiB shared by %u CPU%s: %.0f MiB per CPU is more than "
			 "%.0f MiB, so sizes use %.0f MiB",
			 l->source, (double)l->reported / MIB, sharing, sharing == 1 ? "" : "s",
			 (double)l->reported / MIB / sharing, (double)WL_LLC_MAX_PER_CPU / MIB,
			 (double)cap / MIB);
	}
}

void wl_llc_probe(struct wl_llc *l)
{
	*l = (struct wl_llc){.source = "none"};
	if (!llc_from_sysfs(l) && !llc_from_cpuid(l))
		return;
	if (!l->sharing) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		l->sharing = n > 0 ? (unsigned)n : 1;
	}
	wl_llc_judge(l);
}

void wl_result_llc(struct wl_result *r, const struct wl_llc *l, uint64_t size)
{
	wl_result_int(r, "llc_bytes", (long long)l->bytes);
	wl_result_int(r, "llc_reported_bytes", (long long)l->reported);
	wl_result_str(r, "llc_source", l->source);
	wl_result_int(r, "llc_level", l->level);
	wl_result_int(r, "llc_sharing_cpus", l->sharing);
	wl_result_bool(r, "llc_capped", l->capped);
	wl_result_str(r, "llc_cap_reason", l->cap_reason);
	wl_result_bool(r, "exceeds_llc", l->bytes && size > l->bytes);
}

uint64_t wl_default_size(uint64_t llc, uint64_t fallback, uint64_t min, const char **source)
{
	*source = "4x-llc";
	uint64_t bytes = 4 * llc;
	if (!llc) {
		bytes = fallback;
		*source = "fallback";
	}
	return bytes < min ? min : bytes;
}
