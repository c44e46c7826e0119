/* engine/cgroup/cgroup_stats: what a cgroup costs, read from its control files.
 * The readers know which files each back-end has (the pure parsers they use
 * are in cgroup_parse.c):
 *   v1: memory.usage_in_bytes, memory.max_usage_in_bytes (peak),
 *       memory.limit_in_bytes, memory.stat (total_inactive_file, total_cache,
 *       total_rss), memory.oom_control (oom_kill), cpuacct.usage (ns),
 *       pids.current, pids.max
 *   v2: memory.current, memory.peak (5.19+), memory.max, memory.stat
 *       (inactive_file, file, anon), memory.events (oom_kill), cpu.stat
 *       (usage_usec), pids.current, pids.max
 *   hybrid: v1's, except CPU usage from the cgroup2 tree's cpu.stat (a core
 *       file there, so no cpuacct directory is needed)
 * A file that cannot be read leaves its bit out of st->have (not an error):
 * stats of a cgroup whose controller is absent are simply partial. */
#include "cgroup_internal.h"
#include <string.h>

/* v1 reports "no limit" as PAGE_COUNTER_MAX pages in bytes (about 2^63). */
#define V1_UNLIMITED_MIN (1ull << 62)

static void read_into(const char *dir, const char *file, uint64_t *dst, unsigned bit,
		      unsigned *have)
{
	uint64_t v;
	if (hvc_cgroup_read_u64(dir, file, &v) == 0) {
		*dst = v;
		*have |= bit;
	}
}

/* First key present of a NULL-terminated list (v1 "total_x" then "x"). */
static bool keyed_any(const char *buf, const char *const *keys, uint64_t *out)
{
	for (; *keys; keys++)
		if (hvc_cgroup_parse_keyed(buf, *keys, out) == 0)
			return true;
	return false;
}

int hvc_cgroup_oom_kills(const struct hvc_cgroup *cg, uint64_t *n)
{
	/* v1 counts them in memory.oom_control, v2 in memory.events */
	static const char *const files[] = { "memory.oom_control", "memory.events" };
	const struct hvc_cgroup_dir *d = hvc_cgroup_dir_for(cg, HVC_CG_MEMORY);
	char buf[512];
	for (size_t i = 0; d && i < 2; i++)
		if (hvc_cgroup_read(d->path, files[i], buf, sizeof(buf)) > 0 &&
		    hvc_cgroup_parse_keyed(buf, "oom_kill", n) == 0)
			return 0;
	return -1;
}

int hvc_cgroup_v1_stats(const struct hvc_cgroup *cg, struct hvc_cgroup_stats *st,
			struct hvc_error *err)
{
	(void)err;
	const struct hvc_cgroup_dir *d;
	char buf[8192];
	if ((d = hvc_cgroup_dir_for(cg, HVC_CG_MEMORY))) {
		read_into(d->path, "memory.usage_in_bytes", &st->memory_current,
			  HVC_CGS_MEM_CURRENT, &st->have);
		read_into(d->path, "memory.max_usage_in_bytes", &st->memory_peak, HVC_CGS_MEM_PEAK,
			  &st->have);
		read_into(d->path, "memory.limit_in_bytes", &st->memory_limit, HVC_CGS_MEM_LIMIT,
			  &st->have);
		if ((st->have & HVC_CGS_MEM_LIMIT) && st->memory_limit >= V1_UNLIMITED_MIN)
			st->memory_limit = UINT64_MAX;
		if (hvc_cgroup_read(d->path, "memory.stat", buf, sizeof(buf)) > 0) {
			static const char *const inactive[] = {"total_inactive_file",
							       "inactive_file", NULL};
			static const char *const cache[] = {"total_cache", "cache", NULL};
			static const char *const rss[] = {"total_rss", "rss", NULL};
			bool a = keyed_any(buf, inactive, &st->inactive_file);
			bool b = keyed_any(buf, cache, &st->file_cache);
			bool c = keyed_any(buf, rss, &st->anon);
			if (a && b && c)
				st->have |= HVC_CGS_MEM_STAT;
		}
		if (hvc_cgroup_oom_kills(cg, &st->oom_kills) == 0)
			st->have |= HVC_CGS_OOM;
	}
	if ((d = hvc_cgroup_dir_for(cg, HVC_CGD_CPUACCT)))
		read_into(d->path, "cpuacct.usage", &st->cpu_usage_ns, HVC_CGS_CPU, &st->have);
	if ((d = hvc_cgroup_dir_for(cg, HVC_CG_PIDS))) {
		read_into(d->path, "pids.current", &st->pids_current, HVC_CGS_PIDS, &st->have);
		if (hvc_cgroup_read_u64(d->path, "pids.max", &st->pids_limit) < 0)
			st->pids_limit = UINT64_MAX;
	}
	return 0;
}

void hvc_cgroup_v2_cpu_usage(const char *dir, struct hvc_cgroup_stats *st)
{
	char buf[1024];
	uint64_t usec;
	if (hvc_cgroup_read(dir, "cpu.stat", buf, sizeof(buf)) > 0 &&
	    hvc_cgroup_parse_keyed(buf, "usage_usec", &usec) == 0) {
		st->cpu_usage_ns = usec * 1000;
		st->have |= HVC_CGS_CPU;
	}
}

int hvc_cgroup_v2_stats(const struct hvc_cgroup *cg, struct hvc_cgroup_stats *st,
			struct hvc_error *err)
{
	(void)err;
	if (!cg->n)
		return 0;
	const char *dir = cg->dirs[0].path;
	char buf[8192];
	read_into(dir, "memory.current", &st->memory_current, HVC_CGS_MEM_CURRENT, &st->have);
	read_into(dir, "memory.peak", &st->memory_peak, HVC_CGS_MEM_PEAK, &st->have);
	read_into(dir, "memory.max", &st->memory_limit, HVC_CGS_MEM_LIMIT, &st->have);
	if (hvc_cgroup_read(dir, "memory.stat", buf, sizeof(buf)) > 0 &&
	    hvc_cgroup_parse_keyed(buf, "inactive_file", &st->inactive_file) == 0 &&
	    hvc_cgroup_parse_keyed(buf, "file", &st->file_cache) == 0 &&
	    hvc_cgroup_parse_keyed(buf, "anon", &st->anon) == 0)
		st->have |= HVC_CGS_MEM_STAT;
	if (hvc_cgroup_oom_kills(cg, &st->oom_kills) == 0)
		st->have |= HVC_CGS_OOM;
	hvc_cgroup_v2_cpu_usage(dir, st);
	read_into(dir, "pids.current", &st->pids_current, HVC_CGS_PIDS, &st->have);
	if (hvc_cgroup_read_u64(dir, "pids.max", &st->pids_limit) < 0)
		st->pids_limit = UINT64_MAX;
	return 0;
}

int hvc_cgroup_stats(struct hvc_cgroup *cg, struct hvc_cgroup_stats *st, struct hvc_error *err)
{
	memset(st, 0, sizeof(*st));
	st->memory_limit = UINT64_MAX;
	st->pids_limit = UINT64_MAX;
	int r = cg->be->stats(cg, st, err);
	if (r < 0)
		return hvc_error_prefix(err, "stats of cgroup `%s`", cg->name);
	if (!st->have)
		return hvc_err(err, ENOENT,
			       "stats of cgroup `%s`: no statistics files readable (is it gone?)",
			       cg->name);
	return 0;
}

static void add_limit(json_object *o, const char *key, uint64_t v)
{
	if (v == UINT64_MAX)
		json_object_object_add(o, key, NULL);
	else
		hvc_json_add_int(o, key, (int64_t)v);
}

json_object *hvc_cgroup_stats_json(const struct hvc_cgroup_stats *st)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	unsigned h = st->have;
	if (h & HVC_CGS_MEM_CURRENT)
		hvc_json_add_int(o, "memory_current", (int64_t)st->memory_current);
	if (h & HVC_CGS_MEM_PEAK)
		hvc_json_add_int(o, "memory_peak", (int64_t)st->memory_peak);
	if (h & HVC_CGS_MEM_LIMIT)
		add_limit(o, "memory_limit", st->memory_limit);
	if (h & HVC_CGS_MEM_STAT) {
		hvc_json_add_int(o, "inactive_file", (int64_t)st->inactive_file);
		hvc_json_add_int(o, "file_cache", (int64_t)st->file_cache);
		hvc_json_add_int(o, "anon", (int64_t)st->anon);
		if (h & HVC_CGS_MEM_CURRENT)
			hvc_json_add_int(o, "working_set",
					 (int64_t)(st->memory_current > st->inactive_file
						       ? st->memory_current - st->inactive_file
						       : 0));
	}
	if (h & HVC_CGS_CPU)
		hvc_json_add_int(o, "cpu_usage_ns", (int64_t)st->cpu_usage_ns);
	if (h & HVC_CGS_PIDS) {
		hvc_json_add_int(o, "pids_current", (int64_t)st->pids_current);
		add_limit(o, "pids_limit", st->pids_limit);
	}
	if (h & HVC_CGS_OOM)
		hvc_json_add_int(o, "oom_kills", (int64_t)st->oom_kills);
	return o;
}
