/* bench/density_output: from density.json alone — results.json in the
 * harness's schema (so `hvc bench validate` and `hvc bench compare` work on a
 * sweep, e.g. across hosts), results.csv, the three line charts (memory,
 * start-up, throughput vs N; one line per backend), the start-up phase chart
 * (density_phases.c) and report.md with the
 * "Fits on this host" section. Charts and statistics are the harness's. */
#include "density_internal.h"
#include "hvc/bench.h"
#include <math.h>
#include <string.h>

static double num(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

/* Length of an array member that may be absent (an unavailable backend has no steps). */
static size_t alen(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static double mib(double b)
{
	return b / 1048576.0;
}

static void put(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v);
	else
		fprintf(f, " NaN");
}

static bool ran(json_object *b)
{
	return hvc_json_get_bool(b, "available", false) && alen(hvc_json_get(b, "steps")) > 0;
}

/* ---------- results.json (harness schema) ------------------------------- */

/* results.json's config; its "backends" list is filled as they are added. */
static json_object *harness_config(json_object *cfg, json_object **backend_list)
{
	json_object *c = json_object_new_object();
	hvc_json_add_string(c, "image", hvc_json_get_string(cfg, "image"));
	hvc_json_add_string(c, "cpus", "all (instances are not pinned in a density sweep)");
	hvc_json_add_int(c, "reps", 1);
	hvc_json_add_int(c, "warmup", 0);
	hvc_json_add_string(c, "order",
			    "one sample per sweep step; see density.json for everything");
	*backend_list = json_object_new_array();
	json_object_object_add(c, "backends", *backend_list);
	return c;
}

/* The one workload, "density-<workload>", and the metrics of its samples. */
static json_object *harness_workloads(json_object *cfg, const char *wl, const char *wname)
{
	json_object *w = json_object_new_object();
	hvc_json_add_string(w, "name", wname);
	hvc_json_add_string(w, "kind", "density");
	json_object_object_add(w, "args", json_object_get(hvc_json_get(cfg, "command")));
	json_object *ms = json_object_new_array();
	hvc_bench_metric_def(ms, "marginal_host_mib", "MiB", "lower",
		   "host memory (MemTotal - MemAvailable) per instance added at the step");
	hvc_bench_metric_def(ms, "pss_per_instance_mib", "MiB", "lower",
		   "PSS of all running instances / instances");
	hvc_bench_metric_def(ms, "rss_per_instance_mib", "MiB", "lower",
		   "RSS of all running instances / instances");
	hvc_bench_metric_def(ms, "slowest_ready_ms", "ms", "lower",
		   "start of the step to the last added instance's READY");
	hvc_bench_metric_def(ms, "start_per_instance_ms", "ms", "lower",
		   "time to start the step's instances / instances added");
	if (hvc_json_get_string(cfg, "workload") && strcmp(wl, "idle"))
		hvc_bench_metric_def(ms, "per_instance_throughput", "MB/s", "higher",
			   "the workload's figure, mean over instances");
	json_object_object_add(w, "metrics", ms);
	json_object *ws = json_object_new_array();
	json_object_array_add(ws, w);
	return ws;
}

/* The metrics of one clean step, per instance. */
static json_object *harness_metrics(json_object *st)
{
	json_object *m = json_object_new_object();
	double run = num(st, "running");
	if (isfinite(num(st, "marginal_host_bytes")))
		hvc_json_add_double(m, "marginal_host_mib", mib(num(st, "marginal_host_bytes")));
	if (run > 0) {
		hvc_json_add_double(m, "pss_per_instance_mib", mib(num(st, "pss_sum_bytes")) / run);
		hvc_json_add_double(m, "rss_per_instance_mib", mib(num(st, "rss_sum_bytes")) / run);
	}
	if (isfinite(num(st, "slowest_ready_ms")))
		hvc_json_add_double(m, "slowest_ready_ms", num(st, "slowest_ready_ms"));
	double added = num(st, "added");
	if (added > 0 && isfinite(num(st, "start_all_ms")))
		hvc_json_add_double(m, "start_per_instance_ms", num(st, "start_all_ms") / added);
	double tp = num(hvc_json_get(st, "throughput"), "per_instance_mean");
	if (isfinite(tp))
		hvc_json_add_double(m, "per_instance_throughput", tp);
	return m;
}

/* One sample per step: failed (the first failure) or ok with its metrics. */
static json_object *harness_sample(json_object *st, const char *backend, const char *wname,
				   size_t k, int64_t seq)
{
	json_object *s = json_object_new_object();
	hvc_json_add_string(s, "backend", backend);
	hvc_json_add_string(s, "workload", wname);
	hvc_json_add_int(s, "rep", (int64_t)k + 1);
	hvc_json_add_bool(s, "warmup", false);
	hvc_json_add_int(s, "seq", seq);
	hvc_json_add_int(s, "n", hvc_json_get_int(st, "n", 0));
	json_object *fails = hvc_json_get(st, "failures");
	if (alen(fails) > 0) {
		json_object *f0 = json_object_array_get_idx(fails, 0);
		hvc_json_add_string(s, "status", "failed");
		_cleanup_free_ char *why =
		    hvc_strdup_printf("%s: %s", hvc_json_get_string(f0, "instance"),
				      hvc_json_get_string(f0, "reason"));
		hvc_json_add_string(s, "error", why);
		json_object_object_add(s, "metrics", json_object_new_object());
	} else {
		hvc_json_add_string(s, "status", "ok");
		json_object_object_add(s, "metrics", harness_metrics(st));
	}
	return s;
}

static void harness_backends(json_object *d, const char *wname, json_object *backend_list,
			     json_object *bs, json_object *samples)
{
	json_object *db = hvc_json_get(d, "backends");
	int64_t seq = 0;
	for (size_t i = 0; i < alen(db); i++) {
		json_object *b = json_object_array_get_idx(db, i);
		const char *name = hvc_json_get_string(b, "name");
		json_object_array_add(backend_list, json_object_new_string(name));
		json_object *hb = json_object_new_object();
		hvc_json_add_string(hb, "name", name);
		hvc_json_add_bool(hb, "available", hvc_json_get_bool(b, "available", false));
		hvc_json_add_string(hb, "reason", hvc_json_get_string(b, "reason"));
		json_object_array_add(bs, hb);
		json_object *steps = hvc_json_get(b, "steps");
		for (size_t k = 0; k < alen(steps); k++)
			json_object_array_add(samples,
					      harness_sample(json_object_array_get_idx(steps, k),
							     name, wname, k, seq++));
	}
}

static json_object *harness_results(json_object *d, struct hvc_error *err)
{
	json_object *cfg = hvc_json_get(d, "config");
	const char *wl = hvc_json_get_string(cfg, "workload") ?: "idle";
	_cleanup_free_ char *wname = hvc_strdup_printf("density-%s", wl);
	json_object *r = json_object_new_object();
	hvc_json_add_string(r, "schema", HVC_BENCH_SCHEMA);
	hvc_json_add_int(r, "schema_version", HVC_BENCH_SCHEMA_VERSION);
	hvc_json_add_string(r, "run_id", hvc_json_get_string(d, "run_id"));
	hvc_json_add_string(r, "suite", "density");
	hvc_json_add_string(r, "started", hvc_json_get_string(d, "started"));
	hvc_json_add_string(r, "finished", hvc_json_get_string(d, "finished"));
	hvc_json_add_double(r, "duration_s", num(d, "duration_s"));
	hvc_json_add_string(r, "hvc_version", hvc_json_get_string(d, "hvc_version"));
	json_object_object_add(r, "host", json_object_get(hvc_json_get(d, "host")));
	json_object *bl;
	json_object_object_add(r, "config", harness_config(cfg, &bl));
	json_object *load = json_object_new_object();
	hvc_json_add_string(load, "note", "density sweeps load the host on purpose");
	json_object_object_add(r, "load", load);
	json_object *bs = json_object_new_array(), *samples = json_object_new_array();
	json_object_object_add(r, "backends", bs);
	json_object_object_add(r, "workloads", harness_workloads(cfg, wl, wname));
	json_object_object_add(r, "commands", json_object_new_array());
	json_object_object_add(r, "samples", samples);
	harness_backends(d, wname, bl, bs, samples);
	if (hvc_bench_results_summarize(r, err) < 0 || hvc_bench_results_validate(r, err) < 0) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

/* ---------- charts -------------------------------------------------------- */

/* One data block per backend that ran (gnuplot `index i`), columns given. */
static int chart(json_object *d, const char *dir, const char *name, const char *title,
		 const char *settings, const char *const *cols, const char *const *titles,
		 const char *const *styles, size_t ncols, char **failures, struct hvc_error *err)
{
	_cleanup_free_ char *dn = hvc_strdup_printf("%s.dat", name);
	_cleanup_free_ char *dp = hvc_path_join(dir, dn);
	_cleanup_fclose_ FILE *f = fopen(dp, "w");
	if (!f)
		return hvc_err(err, errno, "create `%s`", dp);
	fprintf(f, "# hvc bench density: one block per backend (gnuplot index); columns: n");
	for (size_t c = 0; c < ncols; c++)
		fprintf(f, " %s", cols[c]);
	fprintf(f, "\n");
	json_object *bs = hvc_json_get(d, "backends");
	char plot[4096] = "plot ";
	int block = 0;
	for (size_t i = 0; i < alen(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!ran(b))
			continue;
		const char *bn = hvc_json_get_string(b, "name");
		fprintf(f, "%s# %s\n", block ? "\n\n" : "", bn);
		json_object *steps = hvc_json_get(b, "steps");
		for (size_t k = 0; k < alen(steps); k++) {
			json_object *st = json_object_array_get_idx(steps, k);
			fprintf(f, "%lld", (long long)hvc_json_get_int(st, "n", 0));
			for (size_t c = 0; c < ncols; c++) {
				double v;
				if (!strncmp(cols[c], "tp.", 3))
					v = num(hvc_json_get(st, "throughput"), cols[c] + 3);
				else
					v = num(st, cols[c]);
				if (strstr(cols[c], "bytes"))
					v = mib(v);
				put(f, v);
			}
			fprintf(f, "\n");
		}
		for (size_t c = 0; c < ncols; c++) {
			char part[512];
			snprintf(
			    part, sizeof(part),
			    "%s'%s' index %d using 1:%zu with linespoints lt %d %s title '%s, %s'",
			    block || c ? ", " : "", dn, block, c + 2, block + 1, styles[c], bn,
			    titles[c]);
			strncat(plot, part, sizeof(plot) - strlen(plot) - 1);
		}
		block++;
	}
	if (block == 0)
		return 0;
	if (ferror(f))
		return hvc_err(err, EIO, "write `%s`", dp);
	fclose(f);
	f = NULL;
	/* steps usually double: a log2 axis spaces them evenly */
	_cleanup_free_ char *full = hvc_strdup_printf(
	    "set xlabel 'instances running (N, log scale)'\nset xtics norotate\n"
	    "set logscale x 2\nset format x '%%g'\nset offsets graph 0.03, graph 0.03, 0, 0\n"
	    "set key top left\n%s",
	    settings);
	if (hvc_bench_chart_script(dir, name, title, full, plot, err) < 0)
		return -1;
	hvc_bench_chart_render(dir, name, failures);
	return 0;
}

static int charts(json_object *d, const char *dir, char **failures, struct hvc_error *err)
{
	static const char *const mc[] = {"host_used_delta_bytes", "pss_sum_bytes", "rss_sum_bytes"};
	static const char *const mt[] = {"host used (MemTotal-MemAvailable) over baseline",
					 "sum of PSS", "sum of RSS"};
	static const char *const msty[] = {"dt 1 pt 7", "dt 2 pt 5", "dt 3 pt 9"};
	if (chart(d, dir, "density-memory", "Memory vs instances running (MiB)",
		  "set ylabel 'MiB'\nset yrange [*:*]\n", mc, mt, msty, 3, failures, err) < 0)
		return -1;
	static const char *const sc[] = {"slowest_ready_ms", "start_all_ms"};
	static const char *const stt[] = {"slowest READY of the step", "all of the step started"};
	static const char *const ssty[] = {"dt 1 pt 7", "dt 2 pt 5"};
	if (chart(d, dir, "density-startup",
		  "Start-up latency of each step vs instances running (ms)",
		  "set ylabel 'milliseconds from the step start'\nset yrange [0:*]\n", sc, stt,
		  ssty, 2, failures, err) < 0)
		return -1;
	const char *wl = hvc_json_get_string(hvc_json_get(d, "config"), "workload");
	if (wl && strcmp(wl, "idle")) {
		static const char *const tc[] = {"tp.aggregate", "tp.per_instance_mean"};
		static const char *const tt[] = {"aggregate", "per instance (mean)"};
		static const char *const tsty[] = {"dt 1 pt 7", "dt 2 pt 5"};
		_cleanup_free_ char *title = hvc_strdup_printf(
		    "Throughput of the %s workload vs instances running (MB/s)", wl);
		if (chart(d, dir, "density-throughput", title,
			  "set ylabel 'MB/s'\nset yrange [0:*]\n", tc, tt, tsty, 2, failures,
			  err) < 0)
			return -1;
	}
	return density_phase_chart(d, dir, failures, err);
}

/* ---------- report.md ----------------------------------------------------- */

/* Table cells may not hold '|' or a newline. */
static char *cell_text(const char *s)
{
	char *c = hvc_xstrdup(s ?: "");
	for (char *p = c; *p; p++)
		if (*p == '|' || *p == '\n')
			*p = ' ';
	return c;
}

static void fits_row(FILE *f, json_object *b)
{
	const char *name = hvc_json_get_string(b, "name");
	if (!hvc_json_get_bool(b, "available", false)) {
		fprintf(f, "| %s | not run: %s | | | | | | | | | |\n", name,
			hvc_json_get_string(b, "reason") ?: "");
		return;
	}
	json_object *fit = hvc_json_get(b, "cost"), *pfit = hvc_json_get(b, "pss_fit");
	json_object *fits = hvc_json_get(b, "fits");
	long long measured = (long long)hvc_json_get_int(b, "max_measured", 0);
	char cpu[32] = "–", bycpu[32] = "–";
	if (isfinite(num(b, "cpu_share_cores")))
		snprintf(cpu, sizeof(cpu), "%.3f", num(b, "cpu_share_cores"));
	if (hvc_json_get_int(fits, "by_cpu", -1) >= 0)
		snprintf(bycpu, sizeof(bycpu), "%lld",
			 (long long)hvc_json_get_int(fits, "by_cpu", -1));
	_cleanup_free_ char *stop = cell_text(hvc_json_get_string(b, "stop_reason"));
	if (hvc_json_get_string(fits, "error")) {
		fprintf(f, "| %s | N=%lld | %s | | | | %s | | | could not estimate: %s | |\n", name,
			measured, stop, cpu, hvc_json_get_string(fits, "error"));
		return;
	}
	/* the sweep itself may have hit a harder limit than the estimate */
	const char *limit = hvc_json_get_string(fits, "limit");
	char lim[256];
	if (strstr(stop, "first failure"))
		snprintf(lim, sizeof(lim),
			 "%s; but starting failed at the step after N=%lld (see failures)", limit,
			 measured);
	else
		snprintf(lim, sizeof(lim), "%s", limit);
	fprintf(f,
		"| %s | N=%lld | %s | %.2f MiB (%s) | %.1f MiB | %.2f MiB | %s | %lld | %s "
		"| **%lld**%s | %s |\n",
		name, measured, stop, mib(num(fit, "slope_bytes")),
		!strcmp(hvc_json_get_string(fit, "basis") ?: "", "host") ? "host memory" : "PSS",
		mib(num(fit, "intercept_bytes")), mib(num(pfit, "slope_bytes")), cpu,
		(long long)hvc_json_get_int(fits, "by_memory", 0), bycpu,
		(long long)hvc_json_get_int(fits, "expected", 0),
		hvc_json_get_bool(fits, "extrapolated", false) ? " (extrapolated)" : "", lim);
}

static void fits_section(FILE *f, json_object *d)
{
	json_object *cfg = hvc_json_get(d, "config");
	fprintf(f,
		"## Fits on this host\n\n"
		"Instances of `%s` (%s workload) that fit in the memory budget of %.0f MiB on this "
		"host, "
		"from the measured per-instance cost (least-squares slope of host memory used over "
		"the steps) "
		"and, where the workload uses CPU, the CPU one instance used alone on %lld logical "
		"CPUs. "
		"\"Measured up to\" is what really ran; a larger count is an extrapolation.\n\n",
		hvc_json_get_string(cfg, "image") ?: "?",
		hvc_json_get_string(cfg, "workload") ?: "?", mib(num(cfg, "budget_bytes")),
		(long long)hvc_json_get_int(hvc_json_get(d, "memory"), "cpus_online", 0));
	fprintf(f, "| backend | measured up to | sweep stopped because | memory per instance | "
		   "fixed cost | PSS per "
		   "instance | CPU per instance (cores) | fit by memory | fit by CPU | **fits** | "
		   "limiting resource |\n"
		   "|---|---|---|---|---|---|---|---|---|---|---|\n");
	json_object *bs = hvc_json_get(d, "backends");
	for (size_t i = 0; i < alen(bs); i++)
		fits_row(f, json_object_array_get_idx(bs, i));
	fprintf(
	    f,
	    "\nMemory per instance is the least-squares slope against N of host memory used "
	    "(MemTotal − "
	    "MemAvailable over the baseline before the first instance): everything an instance "
	    "costs the host "
	    "(for containers also the hvc supervisor, kernel objects and page cache it pins; for "
	    "VMs QEMU and "
	    "the guest RAM it touched). Where that figure was too noisy to fit (other work on the "
	    "host moves "
	    "it by more than a small instance costs), the slope of the instances' PSS plus their "
	    "hvc "
	    "supervisors' is used instead, marked \"PSS\"; density.json records why (`cost.why`). "
	    "`hvc plan --from DIR` extrapolates the same costs to another host.\n\n");
	for (size_t i = 0; i < alen(bs); i++) {
		json_object *c = hvc_json_get(json_object_array_get_idx(bs, i), "cost");
		if (c && strcmp(hvc_json_get_string(c, "basis") ?: "", "host"))
			fprintf(f, "- %s: %s.\n",
				hvc_json_get_string(json_object_array_get_idx(bs, i), "name"),
				hvc_json_get_string(c, "why"));
	}
	fprintf(f, "\n");
}

static void steps_section(FILE *f, json_object *d)
{
	json_object *bs = hvc_json_get(d, "backends");
	const char *wl = hvc_json_get_string(hvc_json_get(d, "config"), "workload") ?: "idle";
	bool tp = strcmp(wl, "idle") != 0;
	fprintf(f, "## Steps\n\nAt each step the instances added start concurrently while the "
		   "earlier ones keep "
		   "running. Memory in MiB: host used over the baseline, the sum of the instances' "
		   "PSS and RSS "
		   "(RSS counts every shared page in every instance, PSS divides it among the "
		   "sharers), and the "
		   "marginal host memory per instance added at the step.\n\n");
	for (size_t i = 0; i < alen(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!ran(b))
			continue;
		fprintf(f,
			"### %s\n\n| N | added | all started (ms) | slowest READY (ms) | host used "
			"+ | marginal / "
			"instance | PSS sum | RSS sum | hvc supervisors PSS | CPU cores used |%s "
			"failures |\n"
			"|---|---|---|---|---|---|---|---|---|---|%s---|\n",
			hvc_json_get_string(b, "name"),
			tp ? " throughput aggregate | per instance |" : "", tp ? "---|---|" : "");
		json_object *steps = hvc_json_get(b, "steps");
		for (size_t k = 0; k < alen(steps); k++) {
			json_object *st = json_object_array_get_idx(steps, k);
			json_object *fails = hvc_json_get(st, "failures");
			char sup[32] = "–";
			if (isfinite(num(st, "supervisor_pss_sum_bytes")))
				snprintf(sup, sizeof(sup), "%.1f",
					 mib(num(st, "supervisor_pss_sum_bytes")));
			char marg[32] = "–";
			if (isfinite(num(st, "marginal_host_bytes")))
				snprintf(marg, sizeof(marg), "%.2f",
					 mib(num(st, "marginal_host_bytes")));
			fprintf(
			    f,
			    "| %lld | %lld | %.0f | %.0f | %.1f | %s | %.1f | %.1f | %s | %.3f |",
			    (long long)hvc_json_get_int(st, "n", 0),
			    (long long)hvc_json_get_int(st, "added", 0), num(st, "start_all_ms"),
			    num(st, "slowest_ready_ms"), mib(num(st, "host_used_delta_bytes")),
			    marg, mib(num(st, "pss_sum_bytes")), mib(num(st, "rss_sum_bytes")), sup,
			    num(st, "cpu_cores_used"));
			if (tp) {
				json_object *t = hvc_json_get(st, "throughput");
				fprintf(f, " %.1f | %.1f |", num(t, "aggregate"),
					num(t, "per_instance_mean"));
			}
			if (alen(fails) == 0)
				fprintf(f, " none |\n");
			else
				fprintf(f, " %zu (see below) |\n", alen(fails));
		}
		fprintf(f, "\nSweep stopped: %s. Teardown of everything took %.0f ms.\n\n",
			hvc_json_get_string(b, "stop_reason") ?: "?", num(b, "teardown_ms"));
	}
	fprintf(f, "![Memory vs N](density-memory.png)\n\n![Start-up latency vs "
		   "N](density-startup.png)\n\n");
	if (tp)
		fprintf(f, "![Throughput vs N](density-throughput.png)\n\n");
	if (density_has_phases(d))
		fprintf(f, "Start-up phase by phase at the first step (median ms from the start "
			   "request to `started` — the container's init exec'd, the VM's domain "
			   "created — and to READY; log scale, as the bench's `phases.png`):\n\n"
			   "![Start-up phases](density-phases.png)\n\n");
}

static void failures_section(FILE *f, json_object *d)
{
	json_object *bs = hvc_json_get(d, "backends");
	size_t nf = 0;
	for (size_t i = 0; i < alen(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		json_object *steps = hvc_json_get(b, "steps");
		for (size_t k = 0; k < alen(steps); k++) {
			json_object *st = json_object_array_get_idx(steps, k);
			json_object *fails = hvc_json_get(st, "failures");
			for (size_t j = 0; j < alen(fails); j++) {
				json_object *x = json_object_array_get_idx(fails, j);
				if (nf++ == 0)
					fprintf(f, "## Failures\n\nReported at the step where they "
						   "were seen; the sweep "
						   "stops at the first one.\n\n| backend | at N | "
						   "instance | kind | when | reason |\n"
						   "|---|---|---|---|---|---|\n");
				_cleanup_free_ char *why =
				    cell_text(hvc_json_get_string(x, "reason"));
				fprintf(f, "| %s | %lld | %s | %s | %s | %s |\n",
					hvc_json_get_string(b, "name"),
					(long long)hvc_json_get_int(st, "n", 0),
					hvc_json_get_string(x, "instance"),
					hvc_json_get_string(x, "kind"),
					hvc_json_get_string(x, "when"), why);
			}
		}
	}
	if (nf)
		fprintf(f, "\n");
}

static int report(json_object *d, const char *dir, const char *chart_failures,
		  struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(dir, "report.md");
	_cleanup_fclose_ FILE *f = fopen(p, "w");
	if (!f)
		return hvc_err(err, errno, "create `%s`", p);
	json_object *cfg = hvc_json_get(d, "config");
	json_object *ksm = hvc_json_get(d, "ksm");
	fprintf(f, "# hvc density sweep — %s workload\n\n",
		hvc_json_get_string(cfg, "workload") ?: "?");
	const char *acc = hvc_json_get_string(d, "vm_accelerator");
	if (acc && !strcmp(acc, "tcg"))
		fprintf(f, "> **Caveat: the VMs ran under TCG, QEMU's software emulator, not "
			   "KVM.** Their start-up "
			   "and CPU figures measure emulation; their memory figures are closer to "
			   "what KVM guests "
			   "cost, but TCG's translation cache adds to each QEMU.\n\n");
	if (hvc_json_get_bool(d, "cancelled", false))
		fprintf(f, "> **The sweep was cancelled (signal) and is incomplete.**\n\n");
	fprintf(f,
		"Run `%s`, started %s, took %.0f s. Image `%s` (benchmark image `%s`), each "
		"instance runs `",
		hvc_json_get_string(d, "run_id"), hvc_json_get_string(d, "started"),
		num(d, "duration_s"), hvc_json_get_string(cfg, "image") ?: "?",
		hvc_json_get_string(cfg, "bench_image") ?: "?");
	json_object *cmd = hvc_json_get(cfg, "command");
	for (size_t i = 0; i < alen(cmd); i++)
		fprintf(f, "%s%s", i ? " " : "",
			json_object_get_string(json_object_array_get_idx(cmd, i)));
	fprintf(f,
		"`; instance memory %.0f MiB (container limit, VM RAM); budget %.0f MiB (%s). KSM: "
		"%s%s.\n\n",
		mib(num(cfg, "instance_mem_bytes")), mib(num(cfg, "budget_bytes")),
		hvc_json_get_string(cfg, "budget_source") ?: "?",
		!hvc_json_get_bool(ksm, "present", false)	 ? "not in this kernel"
		: hvc_json_get_bool(ksm, "on_during_run", false) ? "on"
								 : "off",
		hvc_json_get_bool(ksm, "turned_on_by_hvc", false)
		    ? " (turned on by --ksm for this run, restored after)"
		    : "");
	fits_section(f, d);
	steps_section(f, d);
	failures_section(f, d);
	fprintf(f,
		"## Sharing: PSS vs RSS\n\nContainers of one image share its files through "
		"overlayfs and the "
		"page cache, so their RSS sum grows faster than their PSS sum. VMs share nothing "
		"by default: "
		"each guest has its own copy of the kernel and root filesystem in RAM, unless KSM "
		"merges "
		"identical pages (pages_sharing at the end: %lld). docs/methodology.md explains "
		"each figure.\n\n",
		(long long)hvc_json_get_int(ksm, "pages_sharing_end", -1));
	fprintf(f, "## Host\n\n```\n");
	hvc_host_print(f, hvc_json_get(d, "host"));
	fprintf(f, "```\n\n## How this was measured\n\n`");
	json_object *cl = hvc_json_get(cfg, "command_line");
	for (size_t i = 0; i < alen(cl); i++)
		fprintf(f, "%s%s", i ? " " : "hvc bench ",
			json_object_get_string(json_object_array_get_idx(cl, i)));
	fprintf(
	    f, "` — everything above comes from density.json in this directory; results.json holds "
	       "one sample per step in the harness's schema (`hvc bench compare` across hosts, "
	       "docs/scaling.md). The `.gp` scripts beside the charts regenerate them.\n");
	if (chart_failures && *chart_failures)
		fprintf(f, "\n## Charts that could not be drawn\n\n%s\n", chart_failures);
	if (ferror(f))
		return hvc_err(err, EIO, "write `%s`", p);
	return 0;
}

int hvc_density_write_outputs(json_object *d, const char *dir, struct hvc_error *err)
{
	if (strchr(dir, '\''))
		return hvc_err(err, EINVAL,
			       "output directory `%s`: a quote in the path is not supported", dir);
	_cleanup_json_ json_object *r = harness_results(d, err);
	if (!r)
		return hvc_error_prefix(err, "results.json");
	_cleanup_free_ char *rp = hvc_path_join(dir, "results.json");
	if (hvc_json_write_file_atomic(rp, r, err) < 0)
		return -1;
	_cleanup_free_ char *cp = hvc_path_join(dir, "results.csv");
	_cleanup_fclose_ FILE *fc = fopen(cp, "w");
	if (!fc)
		return hvc_err(err, errno, "create `%s`", cp);
	if (hvc_bench_results_write_csv(r, fc, err) < 0)
		return -1;
	_cleanup_free_ char *fails = NULL;
	if (charts(d, dir, &fails, err) < 0)
		return -1;
	if (fails)
		hvc_warn("charts: %s", fails);
	return report(d, dir, fails, err);
}

int hvc_density_report_dir(const char *dir, struct hvc_error *err)
{
	_cleanup_json_ json_object *d = NULL;
	if (hvc_density_load(dir, &d, err) < 0)
		return -1;
	return hvc_density_write_outputs(d, dir, err);
}
