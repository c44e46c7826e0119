/* bench/compare: two runs side by side, per (backend, workload, metric):
 * medians, relative change, and a permutation test on the raw samples. A
 * change is flagged only when it is both significant and larger than a
 * minimum relative change (the rule Firecracker's A/B tooling uses), so noise
 * on a quiet metric does not cry wolf and a tiny real shift is not a headline. */
#include <math.h>
#include <string.h>
#include "hvc/bench_harness.h"
#include "hvc/stats.h"

static size_t values(json_object *r, const char *b, const char *w, const char *m, double *out, size_t cap)
{
	json_object *ss = hvc_json_get(r, "samples");
	size_t n = 0;
	for (size_t i = 0; ss && i < json_object_array_length(ss) && n < cap; i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		if (hvc_json_get_bool(s, "warmup", false) || strcmp(hvc_json_get_string(s, "status") ?: "", "ok") ||
		    strcmp(hvc_json_get_string(s, "backend") ?: "", b) ||
		    strcmp(hvc_json_get_string(s, "workload") ?: "", w))
			continue;
		json_object *v = hvc_json_get(hvc_json_get(s, "metrics"), m);
		if (v)
			out[n++] = json_object_get_double(v);
	}
	return n;
}

static const char *better_of(json_object *r, const char *w, const char *m)
{
	json_object *ws = hvc_json_get(r, "workloads");
	for (size_t i = 0; ws && i < json_object_array_length(ws); i++) {
		json_object *wo = json_object_array_get_idx(ws, i);
		if (strcmp(hvc_json_get_string(wo, "name") ?: "", w))
			continue;
		json_object *ms = hvc_json_get(wo, "metrics");
		for (size_t j = 0; ms && j < json_object_array_length(ms); j++) {
			json_object *mo = json_object_array_get_idx(ms, j);
			if (!strcmp(hvc_json_get_string(mo, "key") ?: "", m))
				return hvc_json_get_string(mo, "better");
		}
	}
	return NULL;
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

/* Same hvc-workload arguments in both runs? Otherwise a change is the
 * change of size, not of the system. */
static bool same_args(json_object *a, json_object *b, const char *w)
{
	json_object *x = hvc_json_get(workload_of(a, w), "args"), *y = hvc_json_get(workload_of(b, w), "args");
	if (!x || !y || json_object_array_length(x) != json_object_array_length(y))
		return false;
	for (size_t i = 0; i < json_object_array_length(x); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(x, i)),
			   json_object_get_string(json_object_array_get_idx(y, i))))
			return false;
	return true;
}

int hvc_bench_compare(json_object *a, json_object *b, const struct hvc_bench_compare_opts *o,
		      json_object **out, struct hvc_error *err)
{
	struct hvc_bench_compare_opts d = { .alpha = 0.05, .min_change = 0.05, .rounds = 10000 };
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
	json_object *res = json_object_new_array();
	json_object *sums = hvc_json_get(a, "summaries");
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		const char *bk = hvc_json_get_string(s, "backend"), *w = hvc_json_get_string(s, "workload"),
			   *m = hvc_json_get_string(s, "metric");
		const char *better = better_of(b, w, m);
		if (!better)
			continue; /* metric absent from the second run */
		size_t na = values(a, bk, w, m, va, cap), nb = values(b, bk, w, m, vb, cap);
		json_object *c = json_object_new_object();
		hvc_json_add_string(c, "backend", bk);
		hvc_json_add_string(c, "workload", w);
		hvc_json_add_string(c, "metric", m);
		hvc_json_add_string(c, "unit", hvc_json_get_string(s, "unit"));
		hvc_json_add_string(c, "better", better);
		hvc_json_add_int(c, "n_a", (int64_t)na);
		hvc_json_add_int(c, "n_b", (int64_t)nb);
		if (na == 0 || nb == 0) {
			hvc_json_add_string(c, "verdict", na == 0 && nb == 0 ? "no data" : na == 0 ? "no data in first" : "no data in second");
			json_object_array_add(res, c);
			continue;
		}
		double ma = hvc_stats_quantile(va, na, 0.5), mb = hvc_stats_quantile(vb, nb, 0.5);
		double change = ma != 0 ? (mb - ma) / fabs(ma) : NAN;
		double p = hvc_stats_permutation_p(va, na, vb, nb, o->rounds);
		hvc_json_add_double(c, "median_a", ma);
		hvc_json_add_double(c, "median_b", mb);
		json_object_object_add(c, "change", isfinite(change) ? json_object_new_double(change) : NULL);
		hvc_json_add_double(c, "p_value", p);
		bool comparable = same_args(a, b, w);
		bool sig = comparable && p < o->alpha && isfinite(change) && fabs(change) >= o->min_change;
		const char *verdict = "no significant change";
		if (!comparable) {
			verdict = "not comparable: the workload's arguments differ";
		} else if (sig) {
			bool up_good = !strcmp(better, "higher");
			verdict = (change > 0) == up_good ? "improvement" : "regression";
		} else if (p < o->alpha) {
			verdict = "significant but below the minimum change";
		}
		hvc_json_add_string(c, "verdict", verdict);
		hvc_json_add_bool(c, "flagged", sig);
		json_object_array_add(res, c);
	}
	*out = res;
	return 0;
}

void hvc_bench_compare_print(FILE *f, json_object *cmp)
{
	fprintf(f, "%-10s %-10s %-20s %12s %12s %9s %8s  %s\n", "backend", "workload", "metric", "median A",
		"median B", "change", "p", "verdict");
	size_t flagged = 0;
	for (size_t i = 0; i < json_object_array_length(cmp); i++) {
		json_object *c = json_object_array_get_idx(cmp, i);
		char ma[32] = "-", mb[32] = "-", ch[32] = "-", p[32] = "-";
		if (hvc_json_get(c, "median_a")) {
			snprintf(ma, sizeof(ma), "%.4g", hvc_json_get_double(c, "median_a", NAN));
			snprintf(mb, sizeof(mb), "%.4g", hvc_json_get_double(c, "median_b", NAN));
			double chg = hvc_json_get_double(c, "change", NAN);
			if (isfinite(chg))
				snprintf(ch, sizeof(ch), "%+.1f%%", 100 * chg);
			snprintf(p, sizeof(p), "%.3f", hvc_json_get_double(c, "p_value", NAN));
		}
		bool fl = hvc_json_get_bool(c, "flagged", false);
		flagged += fl;
		fprintf(f, "%-10s %-10s %-20s %12s %12s %9s %8s  %s%s\n", hvc_json_get_string(c, "backend"),
			hvc_json_get_string(c, "workload"), hvc_json_get_string(c, "metric"), ma, mb, ch, p,
			fl ? "** " : "", hvc_json_get_string(c, "verdict"));
	}
	fprintf(f, "%zu of %zu metrics flagged (significant and above the minimum change)\n", flagged,
		json_object_array_length(cmp));
}
