/* bench/density_options: what the density sweep and `hvc plan` accept and
 * derive from their options — value parsing, the checks between options,
 * defaults (instance memory, budget, the workload's command). Pure, so the
 * CLI stays parsing only and every decision here is unit-tested. Bad input
 * is a plain message with code EINVAL, which the CLI turns into a usage error. */
#include "density_internal.h"
#include "hvc/bench.h"
#include <stdarg.h>
#include <string.h>

#define DEFAULT_INSTANCE_MEM (256ull << 20)
#define MIN_INSTANCE_MEM (16ull << 20)
#define DEFAULT_BUDGET_PCT 50.0
#define DEFAULT_HEADROOM_PCT 10.0

int hvc_density_bad_input(struct hvc_error *err, const char *fmt, ...)
{
	/* formatted aside first: fmt's arguments may point into err->msg */
	struct hvc_error tmp;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp.msg, sizeof(tmp.msg), fmt, ap);
	va_end(ap);
	hvc_err(err, 0, "%s", tmp.msg);
	if (err)
		err->code = EINVAL;
	return -EINVAL;
}
#define bad_input hvc_density_bad_input

/* ---------- `hvc bench density` ------------------------------------------- */

int hvc_density_parse_steps(const char *s, int *steps, size_t *n, struct hvc_error *err)
{
	*n = 0;
	const char *p = s;
	if (!*p)
		return bad_input(err, "--steps: empty list");
	while (*p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno || v < 1 || v > 100000 || (*end && *end != ','))
			return bad_input(err, "--steps \"%s\": \"%.*s\" is not a positive count", s,
					 (int)strcspn(p, ","), p);
		if (*n == HVC_DENSITY_MAX_STEPS)
			return bad_input(err, "--steps \"%s\": more than %d steps", s,
					 HVC_DENSITY_MAX_STEPS);
		if (*n > 0 && v <= steps[*n - 1])
			return bad_input(
			    err,
			    "--steps \"%s\": counts must increase (%ld after %d): each step is the "
			    "total number running",
			    s, v, steps[*n - 1]);
		steps[(*n)++] = (int)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return bad_input(err, "--steps \"%s\": trailing comma", s);
	}
	return 0;
}

int hvc_density_parse_budget(const char *s, uint64_t mem_total, uint64_t mem_available,
			     uint64_t *out, struct hvc_error *err)
{
	size_t len = strlen(s);
	char b1[32], b2[32];
	if (len > 1 && s[len - 1] == '%') {
		char *end;
		double pct = strtod(s, &end);
		if (end != s + len - 1 || !(pct > 0) || pct > 100)
			return bad_input(err, "--budget \"%s\": a percentage must be in (0, 100]",
					 s);
		*out = (uint64_t)((double)mem_total * pct / 100.0);
	} else if (hvc_parse_size(s, out, err) < 0) {
		return hvc_error_prefix(err, "--budget");
	}
	if (*out == 0)
		return bad_input(err, "--budget \"%s\": must be more than 0", s);
	if (*out > mem_total)
		return bad_input(err, "--budget %s is larger than this host's memory (%s)", s,
				 hvc_format_size(mem_total, b1, sizeof(b1)));
	if (*out > mem_available)
		return bad_input(err,
				 "--budget %s is more than the memory available now (%s of %s)", s,
				 hvc_format_size(mem_available, b1, sizeof(b1)),
				 hvc_format_size(mem_total, b2, sizeof(b2)));
	return 0;
}

int hvc_density_parse_backends(const char *s, char ***out, struct hvc_error *err)
{
	_cleanup_strv_ char **v = hvc_strv_split(s, ',');
	if (!v || !*v)
		return bad_input(err, "--backends needs at least one name");
	for (char **p = v; *p; p++)
		if (!hvc_density_backend_find(*p))
			return bad_input(err, "unknown backend \"%s\" (%s)", *p,
					 hvc_density_backend_names());
	*out = steal_pointer(&v);
	return 0;
}

int hvc_density_check_workload(const char *s, struct hvc_error *err)
{
	if (strcmp(s, "idle") && strcmp(s, "mem") && strcmp(s, "cpu"))
		return bad_input(err, "unknown workload \"%s\" (idle, mem, cpu)", s);
	return 0;
}

int hvc_density_parse_instance_mem(const char *s, uint64_t *out, struct hvc_error *err)
{
	if (hvc_parse_size(s, out, err) < 0)
		return bad_input(err, "--instance-mem: %s", err ? err->msg : "bad size");
	if (*out < MIN_INSTANCE_MEM)
		return bad_input(err, "--instance-mem must be at least 16m, not \"%s\"", s);
	return 0;
}

/* A whole number in [1, max] for the option named flag. */
static int parse_count(const char *flag, const char *s, long max, long *out,
		       struct hvc_error *err)
{
	char *end;
	*out = strtol(s, &end, 10);
	if (!*s || *end || *out < 1 || *out > max)
		return bad_input(err, "%s must be a positive count, not \"%s\"", flag, s);
	return 0;
}

int hvc_density_parse_max(const char *s, int *out, struct hvc_error *err)
{
	long v;
	if (parse_count("--max", s, 100000, &v, err) < 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int hvc_density_opts_check(const struct hvc_density_opts *o, struct hvc_error *err)
{
	if (o->quick && o->workload && strcmp(o->workload, "idle"))
		return bad_input(err, "--quick runs the idle workload, not \"%s\"", o->workload);
	if (o->max && o->n_steps && o->steps[0] > o->max)
		return bad_input(err, "--steps starts at %d, above --max %d", o->steps[0], o->max);
	if (o->connect && !*o->connect)
		return bad_input(err, "--connect needs a libvirt URI");
	return 0;
}

/* ---------- what the sweep derives (density_sweep.c) --------------------- */

/* The library's own checks: opts may come from another caller than the CLI. */
int density_check_run_input(const struct hvc_density_opts *o, char *const *backends,
			    struct hvc_error *err)
{
	const char *wl = density_workload(o);
	if (o->quick && strcmp(wl, "idle"))
		return bad_input(err, "--quick runs the idle workload (not \"%s\")", wl);
	if (hvc_density_check_workload(wl, err) < 0)
		return -EINVAL;
	for (char *const *p = backends; *p; p++)
		if (!hvc_density_backend_find(*p))
			return bad_input(err, "unknown backend \"%s\" (%s)", *p,
					 hvc_density_backend_names());
	for (size_t i = 0; i < o->n_steps; i++)
		if (o->steps[i] < 1 || (i > 0 && o->steps[i] <= o->steps[i - 1]))
			return bad_input(err, "steps must be positive and increasing");
	if (o->max < 0)
		return bad_input(err, "--max must be positive");
	return 0;
}

const char *density_workload(const struct hvc_density_opts *o)
{
	return o->workload ? o->workload : "idle";
}

int density_instance_mem(const struct hvc_density_opts *o, const struct hvc_density_meminfo *mi,
			 uint64_t *out, struct hvc_error *err)
{
	*out = o->instance_mem ? o->instance_mem : DEFAULT_INSTANCE_MEM;
	if (*out < MIN_INSTANCE_MEM)
		return bad_input(err, "--instance-mem must be at least 16 MiB");
	if (*out > mi->available)
		return bad_input(err, "--instance-mem is more than the memory available now");
	return 0;
}

/* --budget as given, else a percent of MemTotal; never more than is
 * available now (the default budget is clamped, not refused). */
int density_budget(const struct hvc_density_opts *o, const struct hvc_density_meminfo *mi,
		   uint64_t *out, const char **source, struct hvc_error *err)
{
	if (o->budget)
		*out = o->budget;
	else
		*out = (uint64_t)((double)mi->total *
				  (o->budget_pct > 0 ? o->budget_pct : DEFAULT_BUDGET_PCT) / 100.0);
	*source = o->budget	      ? "--budget"
		  : o->budget_pct > 0 ? "--budget (percent of MemTotal)"
				      : "default: 50% of MemTotal, at most MemAvailable";
	if (*out > mi->total)
		return bad_input(err, "the budget is larger than this host's memory");
	if (*out > mi->available)
		*out = mi->available;
	return 0;
}

/* The command each instance runs, the same on every backend: idle sleeps; mem
 * and cpu loop, so the workload runs for as long as the instance is kept, and
 * the first line marks it running. */
char **density_workload_command(const char *wl, uint64_t instance_mem)
{
	char **cmd = NULL;
	if (!strcmp(wl, "idle")) {
		hvc_strv_push(&cmd, HVC_BENCH_WORKLOAD_IN_IMAGE);
		hvc_strv_push(&cmd, "idle");
		hvc_strv_push(&cmd, "inf");
		return cmd;
	}
	char sizebuf[32];
	snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long)(instance_mem / 8));
	_cleanup_free_ char *loop =
	    hvc_strdup_printf("echo hvc-density-running; while :; do %s %s%s%s || exit 1; done",
			      HVC_BENCH_WORKLOAD_IN_IMAGE, wl, !strcmp(wl, "mem") ? " --size " : "",
			      !strcmp(wl, "mem") ? sizebuf : "");
	hvc_strv_push(&cmd, "/bin/sh");
	hvc_strv_push(&cmd, "-c");
	hvc_strv_push(&cmd, loop);
	return cmd;
}

/* The result key of the workload's throughput figure; NULL for idle. */
const char *density_workload_metric(const char *wl)
{
	return !strcmp(wl, "cpu") ? "mb_per_s" : !strcmp(wl, "mem") ? "triad_mb_per_s" : NULL;
}

/* ---------- `hvc plan` ----------------------------------------------------- */

void hvc_density_target_init(struct hvc_density_target *t)
{
	*t = (struct hvc_density_target){.headroom_pct = DEFAULT_HEADROOM_PCT, .base_used = -1};
}

int hvc_density_parse_host_mem(const char *s, uint64_t *out, struct hvc_error *err)
{
	if (hvc_parse_size(s, out, err) < 0 || *out == 0)
		return bad_input(err, "--host-mem takes a size such as 256g, not \"%s\"", s);
	return 0;
}

int hvc_density_parse_host_cores(const char *s, unsigned *out, struct hvc_error *err)
{
	long v;
	if (parse_count("--host-cores", s, 1000000, &v, err) < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int hvc_density_parse_headroom(const char *s, double *out, struct hvc_error *err)
{
	char *end;
	double v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (!*s || *end || v < 0 || v >= 100)
		return bad_input(err, "--headroom is a percentage in [0, 100), not \"%s\"", s);
	*out = v;
	return 0;
}

int hvc_density_parse_base_mem(const char *s, double *out, struct hvc_error *err)
{
	uint64_t b;
	if (hvc_parse_size(s, &b, err) < 0)
		return bad_input(err, "--base-mem takes a size, not \"%s\"", s);
	*out = (double)b;
	return 0;
}

int hvc_density_target_check(const char *from, const struct hvc_density_target *t,
			     struct hvc_error *err)
{
	if (!from || !t->host_mem || !t->host_cores)
		return bad_input(err, "--from, --host-mem and --host-cores are required");
	return 0;
}
