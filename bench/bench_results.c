/* bench/results: the results document (schema "hvc-bench-results" version 1,
 * docs/results-schema.md) — validation, loading, the summaries computed from
 * the raw samples, and the one-row-per-sample CSV. */
#include "bench_internal.h"
#include "hvc/stats.h"
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------- validation --------------------------------------------------- */

static bool is_type(json_object *o, json_type t)
{
	return o && json_object_is_type(o, t);
}

static bool name_in(json_object *arr, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(hvc_json_get_string(json_object_array_get_idx(arr, i), "name") ?: "",
			    name))
			return true;
	return false;
}

/* Readers refuse versions they do not know, and say so in those words
 * before the schema (which knows only its own version) is consulted. */
static int check_version(json_object *r, struct hvc_error *err)
{
	json_object *v = hvc_json_get(r, "schema_version");
	if (!is_type(v, json_type_int) || json_object_get_int64(v) == HVC_BENCH_SCHEMA_VERSION)
		return 0;
	return hvc_err(err, EINVAL,
		       "results: schema_version %lld not supported (this hvc reads %d)",
		       (long long)json_object_get_int64(v), HVC_BENCH_SCHEMA_VERSION);
}

/* What a JSON Schema cannot say: every sample names a declared backend and
 * workload (tests/integration/check_results_schema.py checks the same). */
static int check_references(json_object *r, struct hvc_error *err)
{
	json_object *bs = hvc_json_get(r, "backends"), *ws = hvc_json_get(r, "workloads");
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		const char *b = hvc_json_get_string(s, "backend"),
			   *w = hvc_json_get_string(s, "workload");
		if (!name_in(bs, b))
			return hvc_err(
			    err, EINVAL,
			    "results.samples[%zu]: backend \"%s\" is not in \"backends\"", i, b);
		if (!name_in(ws, w))
			return hvc_err(
			    err, EINVAL,
			    "results.samples[%zu]: workload \"%s\" is not in \"workloads\"", i, w);
	}
	return 0;
}

int hvc_bench_results_validate(json_object *r, struct hvc_error *err)
{
	if (!is_type(r, json_type_object))
		return hvc_err(err, EINVAL, "results: not a JSON object");
	_cleanup_json_ json_object *schema = NULL;
	if (check_version(r, err) < 0 || hvc_bench_results_schema(&schema, err) < 0 ||
	    hvc_bench_schema_check(schema, r, "results", err) < 0)
		return -1;
	return check_references(r, err);
}

int hvc_bench_results_load(const char *dir, json_object **out, struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(dir, "results.json");
	_cleanup_json_ json_object *r = NULL;
	if (hvc_json_read_file(p, &r, err) < 0)
		return -1;
	if (hvc_bench_results_validate(r, err) < 0)
		return hvc_error_prefix(err, "`%s`", p);
	*out = steal_pointer(&r);
	return 0;
}

/* ---------- summaries ---------------------------------------------------- */

/* json-c would write NaN/Infinity, which is not JSON: unknown is null. */
static void add_num(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, isfinite(v) ? json_object_new_double(v) : NULL);
}

/* The measured (not warm-up) values of one backend x workload x metric. */
struct column {
	double *vals;
	int64_t *seqs;
	size_t n, n_failed;
};

static void collect(json_object *samples, const char *backend, const char *workload,
		    const char *metric, struct column *c)
{
	c->n = c->n_failed = 0;
	for (size_t i = 0; i < json_object_array_length(samples); i++) {
		json_object *s = json_object_array_get_idx(samples, i);
		if (hvc_json_get_bool(s, "warmup", false) ||
		    strcmp(hvc_json_get_string(s, "backend") ?: "", backend) ||
		    strcmp(hvc_json_get_string(s, "workload") ?: "", workload))
			continue;
		if (strcmp(hvc_json_get_string(s, "status") ?: "", "ok")) {
			c->n_failed++;
			continue;
		}
		json_object *v = hvc_json_get(hvc_json_get(s, "metrics"), metric);
		if (!v)
			continue;
		c->vals[c->n] = json_object_get_double(v);
		c->seqs[c->n] = hvc_json_get_int(s, "seq", -1);
		c->n++;
	}
}

/* Sized by the document: a checked allocation (ENOMEM), not an abort. */
static int column_alloc(struct column *c, size_t cap, struct hvc_error *err)
{
	c->vals = malloc(cap * sizeof(double));
	c->seqs = malloc(cap * sizeof(int64_t));
	if (!c->vals || !c->seqs)
		return hvc_err(err, ENOMEM, "results: %zu samples to summarise", cap - 1);
	return 0;
}

static void column_free(struct column *c)
{
	free(c->vals);
	free(c->seqs);
}

static bool is_memory_metric(const char *key)
{
	return strstr(key, "_mib") != NULL;
}

/* Why a summary has no interval: too few samples (the rule), or, at n = 5,
 * no order-statistic interval reaching 95% (the mathematics). NULL: it has one. */
static char *no_ci_reason(size_t n, bool have_ci)
{
	if (have_ci)
		return NULL;
	if (!hvc_stats_ci_allowed(n))
		return hvc_xasprintf("n = %zu: too few for an interval", n);
	return hvc_xasprintf("n = %zu: no order-statistic interval of the median reaches 95 %%", n);
}

static void add_stats(json_object *o, const struct column *c)
{
	struct hvc_stats st;
	hvc_stats_compute(c->vals, c->n, &st);
	add_num(o, "median", st.median);
	add_num(o, "mean", st.mean);
	add_num(o, "stddev", st.stddev);
	add_num(o, "min", st.min);
	add_num(o, "max", st.max);
	add_num(o, "p95", st.p95);
	add_num(o, "ci_lo", st.ci_lo);
	add_num(o, "ci_hi", st.ci_hi);
	add_num(o, "mean_ci_lo", st.mean_ci_lo);
	add_num(o, "mean_ci_hi", st.mean_ci_hi);
	_cleanup_free_ char *why = no_ci_reason(c->n, isfinite(st.ci_lo));
	if (why)
		hvc_json_add_string(o, "no_ci_reason", why);
	hvc_json_add_int(o, "n_outliers", (int64_t)st.n_outliers);
	json_object *out = json_object_new_array();
	for (size_t k = 0; k < c->n; k++)
		if (hvc_stats_is_outlier(c->vals, c->n, c->vals[k]))
			json_object_array_add(out, json_object_new_int64(c->seqs[k]));
	json_object_object_add(o, "outlier_seqs", out);
}

/* Why a ratio has no interval: the side with too few samples. */
static char *ratio_no_ci_reason(size_t n, size_t n_native)
{
	if (!hvc_stats_ci_allowed(n))
		return hvc_xasprintf("n = %zu: too few for an interval", n);
	if (!hvc_stats_ci_allowed(n_native))
		return hvc_xasprintf("native n = %zu: too few for an interval", n_native);
	return NULL;
}

/* Relative performance against native: > 1 better, < 1 worse, whichever
 * direction the metric prefers. The permutation test's p is adjusted over
 * the whole run later (summaries_judge). */
static void add_ratio(json_object *o, const struct column *c, const struct column *nat, bool higher)
{
	double ratio, lo, hi;
	if (higher)
		hvc_stats_ratio_ci(c->vals, c->n, nat->vals, nat->n, &ratio, &lo, &hi);
	else
		hvc_stats_ratio_ci(nat->vals, nat->n, c->vals, c->n, &ratio, &lo, &hi);
	json_object *ro = json_object_new_object();
	add_num(ro, "value", ratio);
	add_num(ro, "ci_lo", lo);
	add_num(ro, "ci_hi", hi);
	hvc_json_add_string(ro, "definition",
			    higher ? "median(backend) / median(native)"
				   : "median(native) / median(backend)");
	hvc_json_add_int(ro, "n_native", (int64_t)nat->n);
	_cleanup_free_ char *why = ratio_no_ci_reason(c->n, nat->n);
	if (why)
		hvc_json_add_string(ro, "no_ci_reason", why);
	/* no test either from fewer than 5 a side: 2 + 6 samples can reach p =
	 * 1/28, a "difference" resting on two samples */
	bool testable = hvc_stats_ci_allowed(c->n) && hvc_stats_ci_allowed(nat->n);
	add_num(ro, "p_value",
		testable ? hvc_stats_permutation_p(c->vals, c->n, nat->vals, nat->n,
						   HVC_BENCH_NATIVE_TEST_ROUNDS)
			 : NAN);
	json_object_object_add(o, "relative_to_native", ro);
}

static json_object *summary_entry(const char *bname, const char *wname, json_object *m,
				  const struct column *c, const struct column *nat)
{
	const char *key = hvc_json_get_string(m, "key");
	bool higher = !strcmp(hvc_json_get_string(m, "better") ?: "lower", "higher");
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "backend", bname);
	hvc_json_add_string(o, "workload", wname);
	hvc_json_add_string(o, "metric", key);
	hvc_json_add_string(o, "unit", hvc_json_get_string(m, "unit"));
	hvc_json_add_string(o, "better", higher ? "higher" : "lower");
	hvc_json_add_int(o, "n", (int64_t)c->n);
	hvc_json_add_int(o, "n_failed", (int64_t)c->n_failed);
	if (c->n > 0)
		add_stats(o, c);
	/* Memory is not a performance figure and gets no ratio. */
	if (c->n > 0 && nat->n > 0 && strcmp(bname, "native") && !is_memory_metric(key))
		add_ratio(o, c, nat, higher);
	return o;
}

/* One summary per available backend that has (or failed) samples of metric m. */
static void summarize_metric(json_object *r, const char *wname, json_object *m, struct column *c,
			     struct column *nat, json_object *sums)
{
	json_object *samples = hvc_json_get(r, "samples"), *bs = hvc_json_get(r, "backends");
	const char *key = hvc_json_get_string(m, "key");
	collect(samples, "native", wname, key, nat);
	for (size_t bi = 0; bi < json_object_array_length(bs); bi++) {
		json_object *b = json_object_array_get_idx(bs, bi);
		if (!hvc_json_get_bool(b, "available", false))
			continue;
		const char *bname = hvc_json_get_string(b, "name");
		collect(samples, bname, wname, key, c);
		if (c->n == 0 && c->n_failed == 0)
			continue; /* not applicable (e.g. no cgroup natively) */
		json_object_array_add(sums, summary_entry(bname, wname, m, c, nat));
	}
}

/* ---------- judging against native --------------------------------------- */

/* The VMs' accelerator: the host description's, else the first VM sample's. */
static const char *run_accelerator(json_object *r)
{
	const char *a =
	    hvc_json_get_string(hvc_json_get(hvc_json_get(r, "host"), "virtualization"), "accel");
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; !a && i < json_object_array_length(ss); i++)
		a = hvc_json_get_string(json_object_array_get_idx(ss, i), "accelerator");
	return a;
}

/* The hvc-workload program a workload runs (its args[0]), or NULL. */
static const char *workload_program(json_object *r, const char *wname)
{
	json_object *ws = hvc_json_get(r, "workloads");
	for (size_t i = 0; i < json_object_array_length(ws); i++) {
		json_object *w = json_object_array_get_idx(ws, i);
		if (!strcmp(hvc_json_get_string(w, "name") ?: "", wname))
			return json_object_get_string(
			    json_object_array_get_idx(hvc_json_get(w, "args"), 0));
	}
	return NULL;
}

static double json_num(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

/* "Different from native" and the sanity flag of one summary with a ratio. */
static void judge_one(json_object *r, json_object *s, double p_adj)
{
	json_object *ro = hvc_json_get(s, "relative_to_native");
	double ratio = json_num(ro, "value");
	add_num(ro, "p_adjusted", p_adj);
	hvc_json_add_double(ro, "min_change", HVC_BENCH_NATIVE_MIN_CHANGE);
	hvc_json_add_bool(
	    ro, "different",
	    hvc_bench_differs_from_native(ratio, p_adj, 0.05, HVC_BENCH_NATIVE_MIN_CHANGE));
	const char *w = hvc_json_get_string(s, "workload");
	struct hvc_bench_sanity_in in = {
	    .backend = hvc_json_get_string(s, "backend"),
	    .workload = w,
	    .metric = hvc_json_get_string(s, "metric"),
	    .program = workload_program(r, w),
	    .ratio = ratio,
	    .accel = run_accelerator(r),
	    .n = (size_t)hvc_json_get_int(s, "n", 0),
	    .n_native = (size_t)hvc_json_get_int(ro, "n_native", 0),
	    .p_adjusted = p_adj,
	};
	json_object *flag = hvc_bench_sanity_flag(&in);
	if (!flag)
		return;
	json_object *flags = json_object_new_array();
	json_object_array_add(flags, flag);
	json_object_object_add(s, "flags", flags);
}

/* Holm-Bonferroni over every ratio of the run (one family: the report reads
 * them side by side), then the verdict and the sanity flag of each. */
static int summaries_judge(json_object *r, json_object *sums, struct hvc_error *err)
{
	size_t n = json_object_array_length(sums);
	_cleanup_free_ double *p = malloc((n ? n : 1) * sizeof(double));
	_cleanup_free_ double *adj = malloc((n ? n : 1) * sizeof(double));
	if (!p || !adj)
		return hvc_err(err, ENOMEM, "results: %zu summaries to judge", n);
	for (size_t i = 0; i < n; i++) {
		json_object *ro =
		    hvc_json_get(json_object_array_get_idx(sums, i), "relative_to_native");
		p[i] = ro ? json_num(ro, "p_value") : NAN;
	}
	if (hvc_stats_holm(p, n, adj) < 0)
		return hvc_err(err, ENOMEM, "results: %zu p-values to adjust", n);
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		if (hvc_json_get(s, "relative_to_native"))
			judge_one(r, s, adj[i]);
	}
	return 0;
}

bool hvc_bench_differs_from_native(double ratio, double p_adjusted, double alpha, double min_change)
{
	return isfinite(ratio) && isfinite(p_adjusted) && p_adjusted < alpha &&
	       fabs(ratio - 1.0) >= min_change;
}

int hvc_bench_results_summarize(json_object *r, struct hvc_error *err)
{
	json_object *samples = hvc_json_get(r, "samples");
	json_object *ws = hvc_json_get(r, "workloads");
	json_object *bs = hvc_json_get(r, "backends");
	if (!is_type(samples, json_type_array) || !is_type(ws, json_type_array) ||
	    !is_type(bs, json_type_array))
		return hvc_err(err, EINVAL,
			       "results: samples, workloads and backends are needed to summarise");
	size_t cap = json_object_array_length(samples) + 1;
	__attribute__((cleanup(column_free))) struct column c = {0}, nat = {0};
	if (column_alloc(&c, cap, err) < 0 || column_alloc(&nat, cap, err) < 0)
		return -1;
	_cleanup_json_ json_object *sums = json_object_new_array();
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
		json_object *w = json_object_array_get_idx(ws, wi);
		json_object *ms = hvc_json_get(w, "metrics");
		for (size_t mi = 0; mi < json_object_array_length(ms); mi++)
			summarize_metric(r, hvc_json_get_string(w, "name"),
					 json_object_array_get_idx(ms, mi), &c, &nat, sums);
	}
	if (summaries_judge(r, sums, err) < 0)
		return -1;
	json_object_object_add(r, "summaries", steal_pointer(&sums));
	return 0;
}

json_object *hvc_bench_summary_find(json_object *r, const char *backend, const char *workload,
				    const char *metric)
{
	json_object *sums = hvc_json_get(r, "summaries");
	for (size_t i = 0; sums && i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		if (!strcmp(hvc_json_get_string(s, "backend") ?: "", backend) &&
		    !strcmp(hvc_json_get_string(s, "workload") ?: "", workload) &&
		    !strcmp(hvc_json_get_string(s, "metric") ?: "", metric))
			return s;
	}
	return NULL;
}

/* ---------- CSV ---------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	fputc('"', f);
}

int hvc_bench_results_write_csv(json_object *r, FILE *f, struct hvc_error *err)
{
	json_object *samples = hvc_json_get(r, "samples");
	json_object *ws = hvc_json_get(r, "workloads");
	if (!is_type(samples, json_type_array) || !is_type(ws, json_type_array))
		return hvc_err(err, EINVAL, "results: no samples/workloads to write");
	_cleanup_strv_ char **cols = NULL;
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
		json_object *ms = hvc_json_get(json_object_array_get_idx(ws, wi), "metrics");
		for (size_t mi = 0; mi < json_object_array_length(ms); mi++) {
			const char *k =
			    hvc_json_get_string(json_object_array_get_idx(ms, mi), "key");
			bool dup = false;
			for (char **c = cols; c && *c; c++)
				dup |= !strcmp(*c, k);
			if (!dup)
				hvc_strv_push(&cols, k);
		}
	}
	fputs("run_id,seq,backend,workload,rep,warmup,status,accelerator", f);
	for (char **c = cols; c && *c; c++)
		fprintf(f, ",%s", *c);
	fputs(",error\n", f);
	const char *run_id = hvc_json_get_string(r, "run_id");
	for (size_t i = 0; i < json_object_array_length(samples); i++) {
		json_object *s = json_object_array_get_idx(samples, i);
		csv_field(f, run_id);
		fprintf(f, ",%lld,", (long long)hvc_json_get_int(s, "seq", -1));
		csv_field(f, hvc_json_get_string(s, "backend"));
		fputc(',', f);
		csv_field(f, hvc_json_get_string(s, "workload"));
		fprintf(f, ",%lld,%s,", (long long)hvc_json_get_int(s, "rep", 0),
			hvc_json_get_bool(s, "warmup", false) ? "true" : "false");
		csv_field(f, hvc_json_get_string(s, "status"));
		fputc(',', f);
		csv_field(f, hvc_json_get_string(s, "accelerator"));
		json_object *m = hvc_json_get(s, "metrics");
		for (char **c = cols; c && *c; c++) {
			json_object *v = hvc_json_get(m, *c);
			if (v)
				fprintf(f, ",%.6g", json_object_get_double(v));
			else
				fputc(',', f);
		}
		fputc(',', f);
		csv_field(f, hvc_json_get_string(s, "error"));
		fputc('\n', f);
	}
	if (ferror(f))
		return hvc_err(err, EIO, "write CSV");
	return 0;
}

char *hvc_bench_run_id(const char *suite)
{
	char when[32], rnd[8];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	struct hvc_error e = {0};
	if (hvc_random_hex(rnd, 2, &e) < 0)
		snprintf(rnd, sizeof(rnd), "%04x", (unsigned)getpid() & 0xffff);
	return hvc_strdup_printf("%s-%s-%s", when, suite, rnd);
}
