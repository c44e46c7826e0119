/* bench/density_plan: from a sweep's measured per-instance costs to the
 * expected instance count on another host (`hvc plan`). The arithmetic is
 * pure and unit-tested; the text says plainly that it is an extrapolation and
 * which assumptions it rests on. */
#include "hvc/density.h"
#include <math.h>
#include <string.h>

int hvc_density_fit(const double *x, const double *y, size_t n, double *slope, double *intercept,
		    double *r2)
{
	if (n < 2)
		return -1;
	double mx = 0, my = 0;
	for (size_t i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	double sxx = 0, sxy = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx == 0)
		return -1;
	*slope = sxy / sxx;
	*intercept = my - *slope * mx;
	if (r2)
		*r2 = syy == 0 ? 1.0 : (sxy * sxy) / (sxx * syy);
	return 0;
}

int hvc_density_estimate(const struct hvc_density_cost *c, const struct hvc_density_target *t,
			 struct hvc_density_estimate *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	if (t->headroom_pct < 0 || t->headroom_pct >= 100)
		return hvc_err(err, EINVAL, "headroom %.1f%% must be in [0, 100)", t->headroom_pct);
	if (t->host_mem == 0 || t->host_cores == 0)
		return hvc_err(err, EINVAL, "the target host needs memory and at least one core");
	if (!(c->mem_slope > 0))
		return hvc_err(err, EINVAL, "no positive per-instance memory cost was measured");
	double keep = 1.0 - t->headroom_pct / 100.0;
	double base = t->base_used >= 0 ? t->base_used : c->base_used;
	/* a negative fitted intercept is noise around zero, not memory the
	 * backend gives back: it must not add capacity */
	double fixed = c->mem_intercept > 0 ? c->mem_intercept : 0;
	out->usable_mem = (double)t->host_mem * keep - base - fixed;
	out->usable_cores = (double)t->host_cores * keep;
	out->by_memory =
	    out->usable_mem > 0 ? (long)floor(out->usable_mem / c->mem_slope + 1e-9) : 0;
	out->by_cpu = c->cpu_share > 0 ? (long)floor(out->usable_cores / c->cpu_share + 1e-9) : -1;
	out->expected = out->by_memory;
	out->limit = "memory";
	if (out->by_cpu >= 0 && out->by_cpu < out->by_memory) {
		out->expected = out->by_cpu;
		out->limit = "cpu";
	}
	out->beyond_measured = out->expected > c->measured_max;
	return 0;
}

int hvc_density_cost_from_json(json_object *b, struct hvc_density_cost *c, struct hvc_error *err)
{
	memset(c, 0, sizeof(*c));
	const char *name = hvc_json_get_string(b, "name") ?: "?";
	json_object *fit = hvc_json_get(b, "cost");
	if (!fit || !hvc_json_get(fit, "slope_bytes"))
		return hvc_err(err, EINVAL, "backend %s: no per-instance memory cost recorded (%s)",
			       name, hvc_json_get_string(fit, "why") ?: "no step measured");
	c->mem_slope = hvc_json_get_double(fit, "slope_bytes", NAN);
	c->mem_intercept = hvc_json_get_double(fit, "intercept_bytes", 0);
	c->base_used = hvc_json_get_double(b, "baseline_used_bytes", 0);
	c->cpu_share = hvc_json_get_double(b, "cpu_share_cores", 0);
	c->measured_max = (int)hvc_json_get_int(b, "max_measured", 0);
	if (!isfinite(c->mem_slope))
		return hvc_err(err, EINVAL, "backend %s: memory slope is not a number", name);
	return 0;
}

int hvc_density_load(const char *dir, json_object **out, struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(dir, "density.json");
	_cleanup_json_ json_object *d = NULL;
	if (hvc_json_read_file(p, &d, err) < 0)
		return -1;
	const char *schema = hvc_json_get_string(d, "schema");
	if (!schema || strcmp(schema, HVC_DENSITY_SCHEMA))
		return hvc_err(err, EINVAL, "`%s`: \"schema\" is not \"%s\"", p,
			       HVC_DENSITY_SCHEMA);
	int64_t v = hvc_json_get_int(d, "schema_version", 0);
	if (v != HVC_DENSITY_SCHEMA_VERSION)
		return hvc_err(err, EINVAL,
			       "`%s`: schema_version %lld not supported (this hvc reads %d)", p,
			       (long long)v, HVC_DENSITY_SCHEMA_VERSION);
	if (!json_object_is_type(hvc_json_get(d, "backends"), json_type_array))
		return hvc_err(err, EINVAL, "`%s`: no \"backends\" array", p);
	*out = steal_pointer(&d);
	return 0;
}

static const char *mib(double bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f MiB", bytes / 1048576.0);
	return buf;
}

static void plan_header(FILE *f, json_object *d, const struct hvc_density_target *t)
{
	json_object *host = hvc_json_get(d, "host");
	json_object *cfg = hvc_json_get(d, "config");
	json_object *mem = hvc_json_get(d, "memory");
	char b1[64], b2[64];
	double keep = 1.0 - t->headroom_pct / 100.0;
	fprintf(f, "EXTRAPOLATION — not a measurement of the target host.\n");
	fprintf(f,
		"Measured: run %s on a host with %s and %lld logical CPUs (%s), workload %s, image "
		"%s.\n",
		hvc_json_get_string(d, "run_id") ?: "?",
		mib(hvc_json_get_double(mem, "mem_total_bytes", NAN), b1, sizeof(b1)),
		(long long)hvc_json_get_int(mem, "cpus_online", 0),
		hvc_json_get_string(hvc_json_get(host, "cpu"), "model") ?: "CPU model not recorded",
		hvc_json_get_string(cfg, "workload") ?: "?",
		hvc_json_get_string(cfg, "image") ?: "?");
	fprintf(f,
		"Target:   %s memory, %u cores, %.0f%% headroom -> %s and %.1f cores usable.\n\n",
		mib((double)t->host_mem, b1, sizeof(b1)), t->host_cores, t->headroom_pct,
		mib((double)t->host_mem * keep, b2, sizeof(b2)), (double)t->host_cores * keep);
	fprintf(f, "%-10s %12s %12s %10s %10s %8s %9s %-7s %s\n", "backend", "per inst.", "fixed",
		"cpu/inst", "by memory", "by CPU", "expected", "limit", "measured up to");
}

/* One backend's line; true (and its measured base use) when it could be planned. */
static bool plan_row(FILE *f, json_object *b, const struct hvc_density_target *t, double *base_used)
{
	const char *name = hvc_json_get_string(b, "name") ?: "?";
	if (!hvc_json_get_bool(b, "available", false)) {
		fprintf(f, "%-10s not measured: %s\n", name,
			hvc_json_get_string(b, "reason") ?: "unavailable");
		return false;
	}
	struct hvc_density_cost c;
	struct hvc_density_estimate e;
	struct hvc_error e2 = {0};
	if (hvc_density_cost_from_json(b, &c, &e2) < 0 ||
	    hvc_density_estimate(&c, t, &e, &e2) < 0) {
		fprintf(f, "%-10s cannot plan: %s\n", name, e2.msg);
		return false;
	}
	*base_used = c.base_used;
	char b1[64], b2[64], cpu[32], bycpu[32];
	snprintf(cpu, sizeof(cpu), "%.3f", c.cpu_share);
	snprintf(bycpu, sizeof(bycpu), "%ld", e.by_cpu);
	fprintf(f, "%-10s %12s %12s %10s %10ld %8s %9ld %-7s N=%d%s\n", name,
		mib(c.mem_slope, b1, sizeof(b1)), mib(c.mem_intercept, b2, sizeof(b2)),
		c.cpu_share > 0 ? cpu : "–", e.by_memory, e.by_cpu >= 0 ? bycpu : "–", e.expected,
		e.limit, c.measured_max, e.beyond_measured ? " (extrapolated beyond)" : "");
	return true;
}

static void plan_assumptions(FILE *f, json_object *d, const struct hvc_density_target *t,
			     double base_any)
{
	char b3[64];
	fprintf(
	    f,
	    "\nAssumptions (each one can be wrong on the target):\n"
	    "- memory per instance stays what the least-squares line over the measured steps says\n"
	    "  (slope = per instance, intercept = fixed cost of the backend), also beyond the "
	    "largest N measured;\n");
	if (t->base_used >= 0)
		fprintf(f, "- the target's own OS and services use %s before any instance;\n",
			mib(t->base_used, b3, sizeof(b3)));
	else
		fprintf(f,
			"- the target's own OS and services use as much as the measured host did "
			"before the sweep (%s);\n",
			mib(base_any, b3, sizeof(b3)));
	fprintf(
	    f,
	    "- an instance needs the CPU it used alone on the measured host (cpu/inst, in cores) "
	    "and the\n"
	    "  target's cores are as fast; \"–\" = no measurable CPU use, so CPU does not limit;\n"
	    "- the same kernel, image, sharing (page cache, KSM %s) and accelerator (%s) as "
	    "measured;\n"
	    "- headroom is kept free of both memory and CPU; other limits (pids, file "
	    "descriptors,\n"
	    "  disk, network, kernel memory PSS does not show) are not modelled. Measure on the "
	    "target\n"
	    "  to confirm.\n",
	    hvc_json_get_bool(hvc_json_get(d, "ksm"), "on_during_run", false) ? "on" : "off",
	    hvc_json_get_string(d, "vm_accelerator") ?: "none used");
}

int hvc_density_plan_print(FILE *f, json_object *d, const struct hvc_density_target *t,
			   struct hvc_error *err)
{
	plan_header(f, d, t);
	json_object *bs = hvc_json_get(d, "backends");
	size_t planned = 0;
	double base_any = -1;
	for (size_t i = 0; i < json_object_array_length(bs); i++)
		planned += plan_row(f, json_object_array_get_idx(bs, i), t, &base_any);
	if (planned == 0)
		return hvc_err(err, EINVAL, "no backend in the sweep has costs to plan from");
	plan_assumptions(f, d, t, base_any);
	return 0;
}
