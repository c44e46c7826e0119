/* bench/compare: two runs side by side, per (backend, workload, metric):
 * medians, relative change, and a permutation test on the raw samples,
 * Holm-Bonferroni-adjusted over every compared cell. A change is flagged only
 * when it is both significant after that adjustment and larger than a minimum
 * relative change (the rule Firecracker's A/B tooling uses), so noise on a
 * quiet metric does not cry wolf and a tiny real shift is not a headline.
 * Also the gate's facts: whether the two runs are comparable at all (host,
 * kernel, accelerator, suite) and whether anything regressed. */
#include "hvc/bench_harness.h"
#include "hvc/stats.h"
#include <math.h>
#include <string.h>

static size_t values(json_object *r, const char *b, const char *w, const char *m, double *out,
		     size_t cap)
{
	json_object *ss = hvc_json_get(r, "samples");
	size_t n = 0;
	for (size_t i = 0; ss && i < json_object_array_length(ss) && n < cap; i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		if (hvc_json_get_bool(s, "warmup", false) ||
		    strcmp(hvc_json_get_string(s, "status") ?: "", "ok") ||
		    strcmp(hvc_json_get_string(s, "backend") ?: "", b) ||
		    strcmp(hvc_json_get_string(s, "workload") ?: "", w))
			continue;
		json_object *v = hvc_json_get(hvc_json_get(s, "metrics"), m);
		if (v)
			out[n++] = json_object_get_double(v);
	}
	return n;
}

static json_object *workload_of(json_object *r, const char *w)
{
	json_object *ws = hvc_json_get(r, "workloads");
	for (size_t i = 0; ws && i < json_object_array_length(ws); i++) {
		json_object *wo = json_object_array_get_idx(ws, i);
		if (!strcmp(hvc_json_get_string(wo, "name") ?: "", w))
			return wo;
	}
	return NULL;
}

static const char *better_of(json_object *r, const char *w, const char *m)
{
	json_object *ms = hvc_json_get(workload_of(r, w), "metrics");
	for (size_t j = 0; ms && j < json_object_array_length(ms); j++) {
		json_object *mo = json_object_array_get_idx(ms, j);
		if (!strcmp(hvc_json_get_string(mo, "key") ?: "", m))
			return hvc_json_get_string(mo, "better");
	}
	return NULL;
}

/* Same hvc-workload arguments in both runs? Otherwise a change is the
 * change of size, not of the system. */
static bool same_args(json_object *a, json_object *b, const char *w)
{
	json_object *x = hvc_json_get(workload_of(a, w), "args"),
		    *y = hvc_json_get(workload_of(b, w), "args");
	if (!x || !y || json_object_array_length(x) != json_object_array_length(y))
		return false;
	for (size_t i = 0; i < json_object_array_length(x); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(x, i)),
			   json_object_get_string(json_object_array_get_idx(y, i))))
			return false;
	return true;
}

static void add_num(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, isfinite(v) ? json_object_new_double(v) : NULL);
}

static double num(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

const char *hvc_bench_compare_verdict(bool comparable, double p_adjusted, double change,
				      bool higher_better, const struct hvc_bench_compare_opts *o)
{
	if (!comparable)
		return "not comparable: the workload's arguments differ";
	if (!isfinite(p_adjusted))
		return "not tested: fewer than 5 samples a side";
	if (p_adjusted >= o->alpha)
		return "no significant change";
	if (!isfinite(change) || fabs(change) < o->min_change)
		return "significant but below the minimum change";
	return (change > 0) == higher_better ? "improvement" : "regression";
}

/* Second run relative to the first, oriented like relative_to_native: > 1 =
 * the second is better; an interval only with n >= 5 on both sides. */
static void add_ratio(json_object *c, const double *va, size_t na, const double *vb, size_t nb,
		      bool higher)
{
	double ratio, lo, hi;
	if (higher)
		hvc_stats_ratio_ci(vb, nb, va, na, &ratio, &lo, &hi);
	else
		hvc_stats_ratio_ci(va, na, vb, nb, &ratio, &lo, &hi);
	add_num(c, "ratio", ratio);
	add_num(c, "ratio_ci_lo", lo);
	add_num(c, "ratio_ci_hi", hi);
}

struct compare_bufs {
	double *va, *vb;
	size_t cap;
};

/* One cell's figures; the verdict waits for the adjustment over all cells. */
static json_object *compare_cell(json_object *a, json_object *b, json_object *s, const char *better,
				 const struct compare_bufs *buf,
				 const struct hvc_bench_compare_opts *o)
{
	const char *bk = hvc_json_get_string(s, "backend"), *w = hvc_json_get_string(s, "workload"),
		   *m = hvc_json_get_string(s, "metric");
	size_t na = values(a, bk, w, m, buf->va, buf->cap),
	       nb = values(b, bk, w, m, buf->vb, buf->cap);
	json_object *c = json_object_new_object();
	hvc_json_add_string(c, "backend", bk);
	hvc_json_add_string(c, "workload", w);
	hvc_json_add_string(c, "metric", m);
	hvc_json_add_string(c, "unit", hvc_json_get_string(s, "unit"));
	hvc_json_add_string(c, "better", better);
	hvc_json_add_int(c, "n_a", (int64_t)na);
	hvc_json_add_int(c, "n_b", (int64_t)nb);
	hvc_json_add_bool(c, "comparable", same_args(a, b, w));
	if (na == 0 || nb == 0) {
		hvc_json_add_string(c, "verdict",
				    na == 0 && nb == 0 ? "no data"
				    : na == 0	       ? "no data in first"
						       : "no data in second");
		return c;
	}
	double ma = hvc_stats_quantile(buf->va, na, 0.5), mb = hvc_stats_quantile(buf->vb, nb, 0.5);
	hvc_json_add_double(c, "median_a", ma);
	hvc_json_add_double(c, "median_b", mb);
	add_num(c, "change", ma != 0 ? (mb - ma) / fabs(ma) : NAN);
	/* No test from fewer than 5 a side (as against native): it could not
	 * reach alpha after the adjustment anyway, and would only dilute it. */
	bool testable = hvc_stats_ci_allowed(na) && hvc_stats_ci_allowed(nb);
	add_num(c, "p_value",
		testable ? hvc_stats_permutation_p(buf->va, na, buf->vb, nb, o->rounds) : NAN);
	add_ratio(c, buf->va, na, buf->vb, nb, !strcmp(better, "higher"));
	return c;
}

/* Holm over the cells that have a test (comparable, data on both sides),
 * then each cell's verdict and flag. */
static int judge_cells(json_object *res, const struct hvc_bench_compare_opts *o,
		       struct hvc_error *err)
{
	size_t n = json_object_array_length(res);
	_cleanup_free_ double *p = malloc((n ? n : 1) * sizeof(double));
	_cleanup_free_ double *adj = malloc((n ? n : 1) * sizeof(double));
	if (!p || !adj)
		return hvc_err(err, ENOMEM, "compare: %zu cells", n);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(res, i);
		p[i] = hvc_json_get_bool(c, "comparable", false) ? num(c, "p_value") : NAN;
	}
	if (hvc_stats_holm(p, n, adj) < 0)
		return hvc_err(err, ENOMEM, "compare: %zu p-values to adjust", n);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(res, i);
		if (!hvc_json_get(c, "median_a"))
			continue; /* "no data ..." already said */
		add_num(c, "p_adjusted", adj[i]);
		bool higher = !strcmp(hvc_json_get_string(c, "better") ?: "", "higher");
		const char *v = hvc_bench_compare_verdict(hvc_json_get_bool(c, "comparable", false),
							  adj[i], num(c, "change"), higher, o);
		hvc_json_add_string(c, "verdict", v);
		hvc_json_add_bool(c, "flagged",
				  !strcmp(v, "improvement") || !strcmp(v, "regression"));
	}
	return 0;
}

int hvc_bench_compare(json_object *a, json_object *b, const struct hvc_bench_compare_opts *o,
		      json_object **out, struct hvc_error *err)
{
	struct hvc_bench_compare_opts d = {.alpha = 0.05, .min_change = 0.05, .rounds = 10000};
	if (!o)
		o = &d;
	if (hvc_bench_results_validate(a, err) < 0)
		return hvc_error_prefix(err, "first run");
	if (hvc_bench_results_validate(b, err) < 0)
		return hvc_error_prefix(err, "second run");
	size_t cap = json_object_array_length(hvc_json_get(a, "samples")) +
		     json_object_array_length(hvc_json_get(b, "samples")) + 1;
	/* sized by the documents: checked, not aborted on */
	_cleanup_free_ double *va = malloc(cap * sizeof(double));
	_cleanup_free_ double *vb = malloc(cap * sizeof(double));
	if (!va || !vb)
		return hvc_err(err, ENOMEM, "compare: %zu samples", cap - 1);
	struct compare_bufs buf = {.va = va, .vb = vb, .cap = cap};
	_cleanup_json_ json_object *res = json_object_new_array();
	json_object *sums = hvc_json_get(a, "summaries");
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		const char *better = better_of(b, hvc_json_get_string(s, "workload"),
					       hvc_json_get_string(s, "metric"));
		if (better) /* else the metric is absent from the second run */
			json_object_array_add(res, compare_cell(a, b, s, better, &buf, o));
	}
	if (judge_cells(res, o, err) < 0)
		return -1;
	*out = steal_pointer(&res);
	return 0;
}

/* ---------- the gate ------------------------------------------------------ */

/* Value at a dotted path ("kernel.release"), or NULL. */
static const char *str_at(json_object *o, const char *path)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(tmp, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = hvc_json_get(o, k);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

char **hvc_bench_compare_mismatches(json_object *a, json_object *b)
{
	static const struct {
		const char *what, *path;
	} facts[] = {
	    {"host", "host.hostname"},
	    {"CPU", "host.cpu.model"},
	    {"kernel", "host.kernel.release"},
	    {"accelerator", "host.virtualization.accel"},
	    {"suite", "suite"},
	};
	char **out = hvc_xcalloc(1, sizeof(*out));
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		const char *x = str_at(a, facts[i].path), *y = str_at(b, facts[i].path);
		if (!strcmp(x ?: "", y ?: ""))
			continue;
		_cleanup_free_ char *line =
		    hvc_xasprintf("%s: %s (first) vs %s (second)", facts[i].what,
				  x ?: "not recorded", y ?: "not recorded");
		hvc_strv_push(&out, line);
	}
	return out;
}

size_t hvc_bench_compare_regressions(json_object *cmp)
{
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(cmp); i++)
		n +=
		    !strcmp(hvc_json_get_string(json_object_array_get_idx(cmp, i), "verdict") ?: "",
			    "regression");
	return n;
}

/* ---------- text ---------------------------------------------------------- */

static void print_row(FILE *f, json_object *c)
{
	char ma[32] = "-", mb[32] = "-", ch[32] = "-", p[32] = "-", pa[32] = "-";
	if (hvc_json_get(c, "median_a")) {
		snprintf(ma, sizeof(ma), "%.4g", num(c, "median_a"));
		snprintf(mb, sizeof(mb), "%.4g", num(c, "median_b"));
		double chg = num(c, "change");
		if (isfinite(chg))
			snprintf(ch, sizeof(ch), "%+.1f%%", 100 * chg);
		if (isfinite(num(c, "p_value")))
			snprintf(p, sizeof(p), "%.3f", num(c, "p_value"));
		if (isfinite(num(c, "p_adjusted")))
			snprintf(pa, sizeof(pa), "%.3f", num(c, "p_adjusted"));
	}
	bool fl = hvc_json_get_bool(c, "flagged", false);
	fprintf(f, "%-10s %-10s %-20s %12s %12s %9s %8s %8s  %s%s\n",
		hvc_json_get_string(c, "backend"), hvc_json_get_string(c, "workload"),
		hvc_json_get_string(c, "metric"), ma, mb, ch, p, pa, fl ? "** " : "",
		hvc_json_get_string(c, "verdict"));
}

void hvc_bench_compare_print(FILE *f, json_object *cmp)
{
	fprintf(f, "%-10s %-10s %-20s %12s %12s %9s %8s %8s  %s\n", "backend", "workload", "metric",
		"median A", "median B", "change", "p", "p Holm", "verdict");
	size_t flagged = 0, tests = 0;
	for (size_t i = 0; i < json_object_array_length(cmp); i++) {
		json_object *c = json_object_array_get_idx(cmp, i);
		flagged += hvc_json_get_bool(c, "flagged", false);
		tests += isfinite(num(c, "p_adjusted"));
		print_row(f, c);
	}
	fprintf(f,
		"%zu of %zu metrics flagged (significant after Holm-Bonferroni over %zu tests and "
		"above the minimum change); %zu regression%s\n",
		flagged, json_object_array_length(cmp), tests, hvc_bench_compare_regressions(cmp),
		hvc_bench_compare_regressions(cmp) == 1 ? "" : "s");
}
