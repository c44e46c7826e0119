/* bench/density sweep: for each backend, start instances of one image step by
 * step (1, 2, 4, 8 ... running at once), keeping the earlier ones running,
 * until the memory budget, --max or the first failure; at each step record
 * host memory, PSS/RSS of the instances, the marginal cost of the added ones,
 * start and READY times, CPU use and the workload's throughput. Everything
 * is torn down at the end, after a failure and on cancel (Ctrl-C). */
#include "density_internal.h"
#include "hvc/bench.h"
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#ifndef HVC_VERSION
#define HVC_VERSION "unknown"
#endif
#define DEFAULT_INSTANCE_MEM (256ull << 20)
#define DEFAULT_BUDGET_PCT 50.0

static const struct density_backend *const density_backends[] = {
    &hvc_density_backend_container,
    &hvc_density_backend_vm,
    NULL,
};

const struct density_backend *hvc_density_backend_find(const char *name)
{
	for (const struct density_backend *const *b = density_backends; *b; b++)
		if (!strcmp((*b)->name, name))
			return *b;
	return NULL;
}

/* ---------- input ---------------------------------------------------------- */

/* Bad input: a plain message (no strerror) with code EINVAL, which the CLI
 * turns into a usage error. */
static int bad_input(struct hvc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad_input(struct hvc_error *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hvc_err(err, 0, "%s", msg);
	if (err)
		err->code = EINVAL;
	return -EINVAL;
}

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

/* ---------- instance output ------------------------------------------------ */

void hvc_density_mark_dead(struct density_inst *in, const char *kind, const char *fmt, ...)
{
	if (in->state == DI_DEAD)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->reason, sizeof(in->reason), fmt, ap);
	va_end(ap);
	in->fail_kind = kind;
	in->state = DI_DEAD;
}

static void on_line(struct density_ctx *ctx, struct density_inst *in, char *line)
{
	in->n_lines++;
	if (in->state == DI_LAUNCHED || in->state == DI_STARTED) {
		in->ready_ms = hvc_ns_to_ms(hvc_now_ns() - in->t_launch);
		if (in->started_ms < 0)
			in->started_ms = in->ready_ms;
		in->state = DI_READY;
	}
	if (!ctx->metric)
		return;
	char *s = hvc_str_trim(line);
	char *brace = strchr(s, '{');
	if (!brace)
		return;
	json_object *o = NULL;
	struct hvc_error e = {0};
	if (hvc_json_parse(brace, strlen(brace), "workload line", &o, &e) < 0)
		return;
	json_object *v = hvc_json_get(o, ctx->metric);
	if (v && hvc_json_get_bool(o, "ok", true)) {
		struct density_result *r = &in->results[in->n_results % DENSITY_RESULTS_KEPT];
		r->t = hvc_now_ns();
		r->value = json_object_get_double(v);
		in->n_results++;
	}
	json_object_put(o);
}

void hvc_density_feed(struct density_ctx *ctx, struct density_inst *in, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			char *l = in->line ? in->line : (char[]){0};
			on_line(ctx, in, l);
			in->line_len = 0;
			if (in->line)
				in->line[0] = '\0';
			continue;
		}
		if (in->line_len >= 8191)
			continue; /* an overlong line is cut: results are short */
		if (!in->line)
			in->line = calloc(1, 8192);
		if (!in->line)
			return;
		in->line[in->line_len++] = ch;
		in->line[in->line_len] = '\0';
	}
}

/* ---------- the sweep ------------------------------------------------------ */

struct sweep {
	const struct hvc_density_opts *o;
	struct density_ctx ctx;
	uint64_t budget;
	struct hvc_density_meminfo mi0;
	long cpus;
	json_object *doc;
	bool cancelled;
	int seq;
};

static bool cancelled(struct sweep *sw)
{
	if (sw->o->cancel && *sw->o->cancel)
		sw->cancelled = true;
	return sw->cancelled;
}

/* Host memory used: the median of 5 reads 50 ms apart, so one moment of
 * page-cache churn elsewhere on the host does not become a step's cost. */
static uint64_t host_used(void)
{
	uint64_t v[5];
	size_t n = 0;
	for (int i = 0; i < 5; i++) {
		struct hvc_density_meminfo m;
		struct hvc_error e = {0};
		if (i)
			usleep(50000);
		if (hvc_density_meminfo_read(&m, &e) == 0)
			v[n++] = m.total - m.available;
	}
	for (size_t a = 1; a < n; a++)
		for (size_t c = a; c > 0 && v[c - 1] > v[c]; c--) {
			uint64_t t = v[c];
			v[c] = v[c - 1];
			v[c - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

static void progress(struct sweep *sw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct sweep *sw, const char *fmt, ...)
{
	if (!sw->o->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[density] ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* Pumps every instance for ms (or until cancelled). */
static void pump_for(struct sweep *sw, const struct density_backend *b, struct density_inst **v,
		     size_t n, int ms)
{
	uint64_t end = hvc_now_ns() + (uint64_t)ms * 1000000ull;
	while (!cancelled(sw)) {
		uint64_t now = hvc_now_ns();
		if (now >= end)
			break;
		int left = (int)((end - now) / 1000000ull);
		b->pump(&sw->ctx, v, n, left < 100 ? (left > 0 ? left : 1) : 100);
	}
}

static double mib(double bytes)
{
	return bytes / 1048576.0;
}

static void add_failure(json_object *arr, struct density_inst *in, const char *when)
{
	json_object *f = json_object_new_object();
	hvc_json_add_string(f, "instance", in->name);
	hvc_json_add_string(f, "kind", in->fail_kind ? in->fail_kind : "exited");
	hvc_json_add_string(f, "reason", in->reason);
	hvc_json_add_string(f, "when", when);
	json_object_array_add(arr, f);
}

struct step_steps {
	int v[HVC_DENSITY_MAX_STEPS];
	size_t n;
};

static void plan_steps(const struct hvc_density_opts *o, int max, struct step_steps *s)
{
	s->n = 0;
	if (o->n_steps) {
		for (size_t i = 0; i < o->n_steps; i++)
			if (o->steps[i] <= max)
				s->v[s->n++] = o->steps[i];
		return;
	}
	for (int k = 1; k < max && s->n < HVC_DENSITY_MAX_STEPS - 1; k *= 2)
		s->v[s->n++] = k;
	s->v[s->n++] = max;
}

static json_object *fit_json(const double *x, const double *y, size_t n)
{
	json_object *f = json_object_new_object();
	double slope, icpt, r2;
	hvc_json_add_int(f, "points", (int64_t)n);
	if (n >= 2 && hvc_density_fit(x, y, n, &slope, &icpt, &r2) == 0) {
		hvc_json_add_string(f, "method", "least squares over the measured steps");
		hvc_json_add_double(f, "slope_bytes", slope);
		hvc_json_add_double(f, "intercept_bytes", icpt);
		hvc_json_add_double(f, "r2", r2);
	} else if (n == 1 && x[0] > 0) {
		hvc_json_add_string(f, "method", "one step: its cost divided by its instances");
		hvc_json_add_double(f, "slope_bytes", y[0] / x[0]);
		hvc_json_add_double(f, "intercept_bytes", 0);
	}
	return f;
}

/* The per-instance cost planning uses. Host memory used is the complete
 * figure (kernel objects, page tables, page cache an instance pins), but on a
 * host where other work runs it can drown a small per-instance cost in noise;
 * then the accounted figure (PSS of the instances' processes plus their hvc
 * supervisors) is used, and the choice and its reason are recorded. */
static json_object *cost_json(json_object *host_fit, json_object *acc_fit)
{
	json_object *c = json_object_new_object();
	double hs = hvc_json_get_double(host_fit, "slope_bytes", NAN);
	double r2 = hvc_json_get_double(host_fit, "r2",
					hvc_json_get_int(host_fit, "points", 0) == 1 ? 1.0 : NAN);
	double as = hvc_json_get_double(acc_fit, "slope_bytes", NAN);
	json_object *use = NULL;
	int64_t pts = hvc_json_get_int(host_fit, "points", 0);
	/* a line through two points always fits (R^2 = 1): with fewer than three
	 * steps, only a slope within 1-3x the PSS slope is believed */
	bool plausible = pts >= 3 ? isfinite(r2) && r2 >= 0.8 : isfinite(as) && hs <= 3 * as;
	if (isfinite(hs) && hs > 0 && plausible && !(isfinite(as) && hs < as)) {
		hvc_json_add_string(c, "basis", "host");
		hvc_json_add_string(
		    c, "why",
		    pts >= 3
			? "host memory used grew linearly with N (R^2 >= 0.8) and by at least "
			  "the instances' PSS"
			: "host memory used grew by 1-3x the instances' PSS (fewer than 3 steps: "
			  "no linearity check)");
		use = host_fit;
	} else if (isfinite(as) && as > 0) {
		hvc_json_add_string(c, "basis", "pss");
		char why[256];
		snprintf(why, sizeof(why),
			 "host memory used was too noisy to fit (slope %.2f MiB, R^2 %.2f: below "
			 "the PSS slope, not "
			 "linear, or with < 3 steps above 3x the PSS slope): PSS of the instances "
			 "and their "
			 "supervisors used instead",
			 hs / 1048576.0, r2);
		hvc_json_add_string(c, "why", why);
		use = acc_fit;
	} else {
		hvc_json_add_string(c, "basis", "none");
		hvc_json_add_string(c, "why", "no step was measured completely");
		return c;
	}
	hvc_json_add_double(c, "slope_bytes", hvc_json_get_double(use, "slope_bytes", NAN));
	hvc_json_add_double(c, "intercept_bytes", hvc_json_get_double(use, "intercept_bytes", 0));
	return c;
}

static json_object *sweep_backend(struct sweep *sw, const struct density_backend *b)
{
	const struct hvc_density_opts *o = sw->o;
	json_object *bj = json_object_new_object();
	hvc_json_add_string(bj, "name", b->name);
	char reason[1024] = "";
	if (!b->available(&sw->ctx, reason, sizeof(reason))) {
		hvc_json_add_bool(bj, "available", false);
		hvc_json_add_string(bj, "reason", reason);
		hvc_warn("density: backend %s skipped: %s", b->name, reason);
		return bj;
	}
	hvc_json_add_bool(bj, "available", true);
	int max = o->max > 0 ? o->max : o->quick ? b->quick_max : b->default_max;
	if (o->quick && max > b->quick_max)
		max = b->quick_max;
	struct step_steps st;
	plan_steps(o, max, &st);
	hvc_json_add_int(bj, "max", max);
	json_object *planned = json_object_new_array();
	for (size_t i = 0; i < st.n; i++)
		json_object_array_add(planned, json_object_new_int(st.v[i]));
	json_object_object_add(bj, "planned_steps", planned);

	size_t cap = st.n ? (size_t)st.v[st.n - 1] : 0;
	struct density_inst *insts = calloc(cap + 1, sizeof(*insts));
	struct density_inst **v = calloc(cap + 1, sizeof(*v));
	size_t n = 0;
	json_object *steps = json_object_new_array();
	json_object_object_add(bj, "steps", steps);
	double fx[HVC_DENSITY_MAX_STEPS], fy[HVC_DENSITY_MAX_STEPS], fp[HVC_DENSITY_MAX_STEPS],
	    fa[HVC_DENSITY_MAX_STEPS];
	size_t nfit = 0;
	char stop[1024] = "";
	double cpu_share = -1;
	uint64_t base = host_used();
	hvc_json_add_int(bj, "baseline_used_bytes", (int64_t)base);
	double marginal_est = 0;
	int max_measured = 0;
	bool settle_vm = !strcmp(b->name, "vm");
	int settle_ms = settle_vm ? 1500 : 500;

	for (size_t k = 0; k < st.n && insts && v; k++) {
		if (cancelled(sw)) {
			snprintf(stop, sizeof(stop), "cancelled (signal) before N=%d", st.v[k]);
			break;
		}
		int target = st.v[k];
		int added = target - (int)n;
		uint64_t used_now = host_used();
		double delta_now = (double)used_now - (double)base;
		if (marginal_est > 0 && delta_now + added * marginal_est > (double)sw->budget) {
			snprintf(stop, sizeof(stop),
				 "memory budget: N=%d would need about %.0f MiB, over the budget "
				 "of %.0f MiB",
				 target, mib(delta_now + added * marginal_est),
				 mib((double)sw->budget));
			break;
		}
		progress(sw, "%s: starting %d more (N=%d)", b->name, added, target);
		uint64_t t0 = hvc_now_ns();
		size_t first = n;
		for (int i = 0; i < added; i++) {
			struct density_inst *in = &insts[n];
			in->idx = (int)n;
			in->step = (int)k;
			in->status_fd = in->out_fd = -1;
			in->started_ms = in->ready_ms = -1;
			in->died_step = -1;
			in->hvc_start_ms = in->sup_cpu_ms = -1;
			pthread_mutex_init(&in->lock, NULL);
			snprintf(in->name, sizeof(in->name), "hvcdens-%d-%s-%zu", (int)getpid(),
				 b->name, n);
			in->t_launch = hvc_now_ns();
			struct hvc_error le = {0};
			if (b->launch(&sw->ctx, in, &le) < 0)
				hvc_density_mark_dead(in, "start", "%s", le.msg);
			v[n++] = in;
		}
		/* wait for the step's instances: READY, dead, or timeout */
		uint64_t deadline = t0 + (uint64_t)sw->ctx.start_timeout_ms * 1000000ull;
		for (;;) {
			bool waiting = false;
			for (size_t i = first; i < n; i++)
				waiting |= v[i]->state == DI_LAUNCHED || v[i]->state == DI_STARTED;
			if (!waiting || cancelled(sw) || hvc_now_ns() > deadline)
				break;
			b->pump(&sw->ctx, v, n, 50);
		}
		for (size_t i = first; i < n; i++)
			if (v[i]->state == DI_LAUNCHED || v[i]->state == DI_STARTED)
				hvc_density_mark_dead(v[i], sw->cancelled ? "cancelled" : "timeout",
						      sw->cancelled ? "cancelled before READY"
								    : "not READY within %d s",
						      sw->ctx.start_timeout_ms / 1000);
		double start_all = 0, slowest = 0, sum_ready = 0;
		int n_ready = 0;
		for (size_t i = first; i < n; i++) {
			double s0 = v[i]->started_ms + hvc_ns_to_ms(v[i]->t_launch - t0);
			if (v[i]->started_ms >= 0 && s0 > start_all)
				start_all = s0;
			if (v[i]->ready_ms >= 0) {
				double r = v[i]->ready_ms + hvc_ns_to_ms(v[i]->t_launch - t0);
				slowest = r > slowest ? r : slowest;
				sum_ready += v[i]->ready_ms;
				n_ready++;
			}
		}

		/* settle, CPU marks, then the throughput window */
		pump_for(sw, b, v, n, settle_ms);
		uint64_t tw0 = hvc_now_ns();
		for (size_t i = 0; i < n; i++) {
			struct hvc_bench_mem m, ov;
			v[i]->cpu_mark_ok =
			    v[i]->state == DI_READY &&
			    b->measure(&sw->ctx, v[i], &m, &ov, &v[i]->cpu_ns_mark) == 0;
		}
		unsigned base_results[cap + 1];
		for (size_t i = 0; i < n; i++)
			base_results[i] = v[i]->n_results;
		if (sw->ctx.metric) {
			uint64_t wend = hvc_now_ns() + (settle_vm ? 180ull : 45ull) * 1000000000ull;
			for (;;) {
				bool waiting = false;
				for (size_t i = 0; i < n; i++)
					waiting |= v[i]->state == DI_READY &&
						   v[i]->n_results < base_results[i] + 2;
				if (!waiting || cancelled(sw) || hvc_now_ns() > wend)
					break;
				b->pump(&sw->ctx, v, n, 100);
			}
		} else {
			pump_for(sw, b, v, n, settle_ms);
		}
		double wall_s = (hvc_now_ns() - tw0) / 1e9;

		/* measure */
		struct hvc_bench_mem tot = {0}, ovt = {0};
		double cpu_s = 0, tp_sum = 0, tp_min = INFINITY, tp_max = 0;
		int n_alive = 0, n_measured = 0, n_tp = 0;
		for (size_t i = 0; i < n; i++) {
			struct density_inst *in = v[i];
			if (in->state != DI_READY)
				continue;
			n_alive++;
			struct hvc_bench_mem m, ov;
			uint64_t cpu = 0;
			if (b->measure(&sw->ctx, in, &m, &ov, &cpu) < 0)
				continue;
			n_measured++;
			tot.rss_kib += m.rss_kib, tot.pss_kib += m.pss_kib,
			    tot.uss_kib += m.uss_kib;
			tot.nprocs += m.nprocs;
			tot.cg_bytes += m.cg_bytes, tot.cg_net_bytes += m.cg_net_bytes;
			tot.have_cgroup |= m.have_cgroup;
			ovt.rss_kib += ov.rss_kib, ovt.pss_kib += ov.pss_kib;
			ovt.have_procs |= ov.have_procs;
			if (in->cpu_mark_ok && cpu >= in->cpu_ns_mark)
				cpu_s += (cpu - in->cpu_ns_mark) / 1e9;
			if (sw->ctx.metric && in->n_results > base_results[i]) {
				double val =
				    in->results[(in->n_results - 1) % DENSITY_RESULTS_KEPT].value;
				tp_sum += val;
				tp_min = val < tp_min ? val : tp_min;
				tp_max = val > tp_max ? val : tp_max;
				n_tp++;
			}
		}
		uint64_t used = host_used();
		double delta = (double)used - (double)base;
		int running = n_alive;

		json_object *sj = json_object_new_object();
		hvc_json_add_int(sj, "n", target);
		hvc_json_add_int(sj, "added", added);
		hvc_json_add_int(sj, "running", running);
		hvc_json_add_double(sj, "start_all_ms", start_all);
		hvc_json_add_double(sj, "slowest_ready_ms", n_ready ? slowest : NAN);
		if (n_ready)
			hvc_json_add_double(sj, "mean_ready_ms", sum_ready / n_ready);
		hvc_json_add_int(sj, "host_used_bytes", (int64_t)used);
		hvc_json_add_int(sj, "host_used_delta_bytes", (int64_t)delta);
		hvc_json_add_int(sj, "pss_sum_bytes", (int64_t)tot.pss_kib * 1024);
		hvc_json_add_int(sj, "rss_sum_bytes", (int64_t)tot.rss_kib * 1024);
		hvc_json_add_int(sj, "uss_sum_bytes", (int64_t)tot.uss_kib * 1024);
		if (tot.have_cgroup)
			hvc_json_add_int(sj, "cgroup_sum_bytes", (int64_t)tot.cg_bytes);
		if (ovt.have_procs) {
			hvc_json_add_int(sj, "supervisor_pss_sum_bytes",
					 (int64_t)ovt.pss_kib * 1024);
			hvc_json_add_int(sj, "supervisor_rss_sum_bytes",
					 (int64_t)ovt.rss_kib * 1024);
		}
		hvc_json_add_int(sj, "processes", tot.nprocs);
		hvc_json_add_int(sj, "measured_instances", n_measured);
		if (k > 0 || target > 0) {
			json_object *prev = k > 0 && json_object_array_length(steps) > 0
						? json_object_array_get_idx(
						      steps, json_object_array_length(steps) - 1)
						: NULL;
			double pd =
			    prev ? (double)hvc_json_get_int(prev, "host_used_delta_bytes", 0) : 0;
			double pp = prev ? (double)hvc_json_get_int(prev, "pss_sum_bytes", 0) : 0;
			int pn = prev ? (int)hvc_json_get_int(prev, "running", 0) : 0;
			if (running > pn) {
				hvc_json_add_double(sj, "marginal_host_bytes",
						    (delta - pd) / (running - pn));
				hvc_json_add_double(sj, "marginal_pss_bytes",
						    ((double)tot.pss_kib * 1024 - pp) /
							(running - pn));
			}
		}
		hvc_json_add_double(sj, "window_s", wall_s);
		hvc_json_add_double(sj, "cpu_cores_used", wall_s > 0 ? cpu_s / wall_s : NAN);
		if (sw->ctx.metric) {
			json_object *tp = json_object_new_object();
			hvc_json_add_string(tp, "metric", sw->ctx.metric);
			hvc_json_add_string(tp, "unit", "MB/s");
			hvc_json_add_int(tp, "reporting", n_tp);
			if (n_tp) {
				hvc_json_add_double(tp, "aggregate", tp_sum);
				hvc_json_add_double(tp, "per_instance_mean", tp_sum / n_tp);
				hvc_json_add_double(tp, "per_instance_min", tp_min);
				hvc_json_add_double(tp, "per_instance_max", tp_max);
			}
			json_object_object_add(sj, "throughput", tp);
		}
		json_object *inst = json_object_new_array();
		for (size_t i = first; i < n; i++) {
			json_object *io = json_object_new_object();
			hvc_json_add_string(io, "name", v[i]->name);
			hvc_json_add_string(io, "id", v[i]->id);
			if (v[i]->started_ms >= 0)
				hvc_json_add_double(io, "started_ms", v[i]->started_ms);
			if (v[i]->ready_ms >= 0)
				hvc_json_add_double(io, "ready_ms", v[i]->ready_ms);
			if (v[i]->hvc_start_ms > 0)
				hvc_json_add_double(io, "hvc_start_ms", v[i]->hvc_start_ms);
			if (v[i]->main_pid > 0)
				hvc_json_add_int(io, "pid", v[i]->main_pid);
			if (v[i]->sup_cpu_ms >= 0)
				hvc_json_add_double(io, "supervisor_cpu_ms", v[i]->sup_cpu_ms);
			hvc_json_add_string(io, "state",
					    v[i]->state == DI_DEAD ? "failed" : "running");
			json_object_array_add(inst, io);
		}
		json_object_object_add(sj, "instances", inst);
		json_object *fails = json_object_new_array();
		bool failed = false;
		for (size_t i = 0; i < n; i++) {
			struct density_inst *in = v[i];
			if (in->state != DI_DEAD || in->died_step >= 0)
				continue;
			in->died_step = (int)k;
			add_failure(fails, in,
				    i >= first ? "starting" : "running since an earlier step");
			failed = true;
		}
		json_object_object_add(sj, "failures", fails);
		json_object_array_add(steps, sj);

		progress(sw,
			 "%s: N=%d running=%d: started in %.0f ms, slowest READY %.0f ms, host "
			 "used +%.1f MiB, "
			 "PSS %.1f MiB, RSS %.1f MiB%s",
			 b->name, target, running, start_all, slowest, mib(delta),
			 tot.pss_kib / 1024.0, tot.rss_kib / 1024.0, failed ? " — FAILURES" : "");
		if (!failed && running == target) {
			fx[nfit] = target;
			fy[nfit] = delta;
			fp[nfit] = (double)tot.pss_kib * 1024;
			fa[nfit] = (double)(tot.pss_kib + ovt.pss_kib) * 1024;
			nfit++;
			max_measured = target;
			if (cpu_share < 0 && wall_s > 0 && n_measured > 0)
				cpu_share = cpu_s / wall_s / n_measured;
			marginal_est = delta / target;
			if (nfit >= 2) {
				double s, i0;
				if (hvc_density_fit(fx, fy, nfit, &s, &i0, NULL) == 0 &&
				    s > marginal_est)
					marginal_est = s;
			}
		}
		if (failed) {
			json_object *f0 = json_object_array_get_idx(fails, 0);
			snprintf(stop, sizeof(stop), "first failure at N=%d: %s: %s", target,
				 hvc_json_get_string(f0, "instance"),
				 hvc_json_get_string(f0, "reason"));
			break;
		}
		if (sw->cancelled) {
			snprintf(stop, sizeof(stop), "cancelled (signal) at N=%d", target);
			break;
		}
		if (delta > (double)sw->budget) {
			snprintf(stop, sizeof(stop),
				 "memory budget reached at N=%d (%.0f of %.0f MiB)", target,
				 mib(delta), mib((double)sw->budget));
			break;
		}
	}
	if (!stop[0])
		snprintf(stop, sizeof(stop), "%s N=%d reached",
			 o->max > 0 || o->quick ? "--max" : "the last step,",
			 st.n ? st.v[st.n - 1] : 0);
	hvc_json_add_string(bj, "stop_reason", stop);
	hvc_json_add_int(bj, "max_measured", max_measured);

	uint64_t td0 = hvc_now_ns();
	progress(sw, "%s: tearing down %zu instance(s)", b->name, n);
	if (n && b->teardown)
		b->teardown(&sw->ctx, v, n);
	hvc_json_add_double(bj, "teardown_ms", hvc_ns_to_ms(hvc_now_ns() - td0));
	json_object *hf = fit_json(fx, fy, nfit), *af = fit_json(fx, fa, nfit);
	json_object_object_add(bj, "memory_fit", hf);
	json_object_object_add(bj, "pss_fit", fit_json(fx, fp, nfit));
	json_object_object_add(bj, "accounted_fit", af);
	json_object_object_add(bj, "cost", cost_json(hf, af));
	if (cpu_share >= 0)
		hvc_json_add_double(bj, "cpu_share_cores", cpu_share);
	if (sw->ctx.accelerator)
		hvc_json_add_string(bj, "accelerator", sw->ctx.accelerator);

	/* what fits within the budget on this very host */
	struct hvc_density_cost c;
	struct hvc_error ce = {0};
	json_object *fits = json_object_new_object();
	if (hvc_density_cost_from_json(bj, &c, &ce) == 0) {
		struct hvc_density_target t = {.host_mem = (uint64_t)c.base_used + sw->budget,
					       .host_cores = (unsigned)sw->cpus,
					       .headroom_pct = 0,
					       .base_used = -1};
		struct hvc_density_estimate e;
		if (hvc_density_estimate(&c, &t, &e, &ce) == 0) {
			hvc_json_add_int(fits, "by_memory", e.by_memory);
			hvc_json_add_int(fits, "by_cpu", e.by_cpu);
			hvc_json_add_int(fits, "expected", e.expected);
			hvc_json_add_string(fits, "limit", e.limit);
			hvc_json_add_bool(fits, "extrapolated", e.beyond_measured);
		} else {
			hvc_json_add_string(fits, "error", ce.msg);
		}
	} else {
		hvc_json_add_string(fits, "error", ce.msg);
	}
	json_object_object_add(bj, "fits", fits);

	for (size_t i = 0; i < n; i++) {
		free(v[i]->line);
		free(v[i]->console);
		pthread_mutex_destroy(&v[i]->lock);
	}
	free(insts);
	free(v);
	if (b->cleanup)
		b->cleanup(&sw->ctx);
	return bj;
}

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static char *make_run_id(void)
{
	char when[32], rnd[8];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	struct hvc_error e = {0};
	if (hvc_random_hex(rnd, 2, &e) < 0)
		snprintf(rnd, sizeof(rnd), "%04x", (unsigned)getpid() & 0xffff);
	return hvc_strdup_printf("%s-density-%s", when, rnd);
}

int hvc_density_run(const struct hvc_density_opts *o, char **out_dir, bool *was_cancelled,
		    struct hvc_error *err)
{
	struct sweep sw = {.o = o};
	*was_cancelled = false;
	const char *wl = o->workload ? o->workload : "idle";
	if (o->quick && strcmp(wl, "idle"))
		return bad_input(err, "--quick runs the idle workload (not \"%s\")", wl);
	if (strcmp(wl, "idle") && strcmp(wl, "mem") && strcmp(wl, "cpu"))
		return bad_input(err, "unknown workload \"%s\" (idle, mem, cpu)", wl);
	char *default_backends[] = {"container", "vm", NULL};
	char **backends = o->backends ? o->backends : default_backends;
	for (char **p = backends; *p; p++)
		if (!hvc_density_backend_find(*p))
			return bad_input(err, "unknown backend \"%s\" (container, vm)", *p);
	for (size_t i = 0; i < o->n_steps; i++)
		if (o->steps[i] < 1 || (i > 0 && o->steps[i] <= o->steps[i - 1]))
			return bad_input(err, "steps must be positive and increasing");
	if (o->max < 0)
		return bad_input(err, "--max must be positive");
	if (hvc_density_meminfo_read(&sw.mi0, err) < 0)
		return -1;
	sw.cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (sw.cpus < 1)
		sw.cpus = 1;
	uint64_t imem = o->instance_mem ? o->instance_mem : DEFAULT_INSTANCE_MEM;
	if (imem < (16ull << 20))
		return bad_input(err, "--instance-mem must be at least 16 MiB");
	if (imem > sw.mi0.available)
		return bad_input(err, "--instance-mem is more than the memory available now");
	if (o->budget)
		sw.budget = o->budget;
	else
		sw.budget =
		    (uint64_t)((double)sw.mi0.total *
			       (o->budget_pct > 0 ? o->budget_pct : DEFAULT_BUDGET_PCT) / 100.0);
	if (sw.budget > sw.mi0.total)
		return bad_input(err, "the budget is larger than this host's memory");
	if (sw.budget > sw.mi0.available)
		sw.budget = sw.mi0.available;

	/* the command each instance runs: the same on every backend */
	_cleanup_strv_ char **cmd = NULL;
	char sizebuf[32];
	snprintf(sizebuf, sizeof(sizebuf), "%llu", (unsigned long long)(imem / 8));
	if (!strcmp(wl, "idle")) {
		hvc_strv_push(&cmd, HVC_BENCH_WORKLOAD_IN_IMAGE);
		hvc_strv_push(&cmd, "idle");
		hvc_strv_push(&cmd, "inf");
	} else {
		/* a loop, so the workload runs for as long as the instance is kept;
		 * the first line marks it running */
		_cleanup_free_ char *loop = hvc_strdup_printf(
		    "echo hvc-density-running; while :; do %s %s%s%s || exit 1; done",
		    HVC_BENCH_WORKLOAD_IN_IMAGE, wl, !strcmp(wl, "mem") ? " --size " : "",
		    !strcmp(wl, "mem") ? sizebuf : "");
		hvc_strv_push(&cmd, "/bin/sh");
		hvc_strv_push(&cmd, "-c");
		hvc_strv_push(&cmd, loop);
	}
	sw.ctx.o = o;
	sw.ctx.workload = wl;
	sw.ctx.cmd = cmd;
	sw.ctx.metric = !strcmp(wl, "cpu")   ? "mb_per_s"
			: !strcmp(wl, "mem") ? "triad_mb_per_s"
					     : NULL;
	sw.ctx.instance_mem = imem;
	sw.ctx.start_timeout_ms = 120000;
	sw.ctx.uri = o->connect ? strdup(o->connect) : NULL;

	/* the benchmark image: prepared before anything starts */
	_cleanup_free_ char *workload_bin = hvc_guest_program("hvc-workload");
	_cleanup_free_ char *bench_digest = NULL;
	const char *base_image = o->image ? o->image : "busybox:latest";
	if (hvc_bench_image_prepare(base_image, workload_bin, &sw.ctx.image, &bench_digest, err) <
	    0) {
		free(sw.ctx.uri);
		return -1;
	}
	int ret = -1;
	struct hvc_density_ksm ksm = {.run_before = -1, .lock_fd = -1};
	_cleanup_free_ char *run_id = make_run_id();
	_cleanup_free_ char *dir =
	    o->out_dir ? strdup(o->out_dir) : hvc_strdup_printf("results/%s", run_id);
	_cleanup_json_ json_object *doc = json_object_new_object();
	const struct density_backend *prepared[8];
	bool swept[8] = {false};
	size_t n_prepared = 0;
	json_object *unavailable = json_object_new_object();

	/* every requested backend prepared (or found unavailable) before the first start */
	for (char **p = backends; *p && n_prepared < 8; p++) {
		const struct density_backend *b = hvc_density_backend_find(*p);
		char reason[1024] = "";
		if (!b->available(&sw.ctx, reason, sizeof(reason))) {
			hvc_json_add_string(unavailable, b->name, reason);
			continue;
		}
		if (b->prepare && b->prepare(&sw.ctx, err) < 0)
			goto out;
		prepared[n_prepared++] = b;
	}
	if (hvc_mkdir_p(dir, 0755, err) < 0)
		goto out;
	if (hvc_density_ksm_enable(&ksm, o->ksm, err) < 0)
		goto out;

	char when[32];
	hvc_json_add_string(doc, "schema", HVC_DENSITY_SCHEMA);
	hvc_json_add_int(doc, "schema_version", HVC_DENSITY_SCHEMA_VERSION);
	hvc_json_add_string(doc, "run_id", run_id);
	hvc_json_add_string(doc, "started", hvc_wall_iso8601(when, sizeof(when)));
	hvc_json_add_string(doc, "hvc_version", HVC_VERSION);
	json_object *host = NULL;
	struct hvc_error herr = {0};
	if (hvc_host_probe(&host, &herr) < 0) {
		host = json_object_new_object();
		hvc_json_add_string(host, "error", herr.msg);
	}
	json_object_object_add(doc, "host", host);
	json_object *cfg = json_object_new_object();
	hvc_json_add_string(cfg, "image", base_image);
	hvc_json_add_string(cfg, "bench_image", sw.ctx.image);
	hvc_json_add_string(cfg, "bench_image_digest", bench_digest);
	hvc_json_add_string(cfg, "workload", wl);
	json_object_object_add(cfg, "command", strv_json(cmd));
	hvc_json_add_int(cfg, "instance_mem_bytes", (int64_t)imem);
	hvc_json_add_int(cfg, "budget_bytes", (int64_t)sw.budget);
	hvc_json_add_string(cfg, "budget_source",
			    o->budget		? "--budget"
			    : o->budget_pct > 0 ? "--budget (percent of MemTotal)"
						: "default: 50% of MemTotal, at most MemAvailable");
	hvc_json_add_int(cfg, "max", o->max);
	hvc_json_add_bool(cfg, "quick", o->quick);
	json_object *sa = json_object_new_array();
	for (size_t i = 0; i < o->n_steps; i++)
		json_object_array_add(sa, json_object_new_int(o->steps[i]));
	json_object_object_add(cfg, "steps", sa);
	hvc_json_add_string(cfg, "connect", sw.ctx.uri);
	hvc_json_add_bool(cfg, "ksm_requested", o->ksm);
	json_object_object_add(cfg, "backends", strv_json(backends));
	if (o->cmdline)
		json_object_object_add(cfg, "command_line", strv_json(o->cmdline));
	json_object_object_add(doc, "config", cfg);
	json_object *mem = json_object_new_object();
	hvc_json_add_int(mem, "mem_total_bytes", (int64_t)sw.mi0.total);
	hvc_json_add_int(mem, "mem_available_start_bytes", (int64_t)sw.mi0.available);
	hvc_json_add_int(mem, "cpus_online", sw.cpus);
	json_object_object_add(doc, "memory", mem);
	json_object *kj = json_object_new_object();
	hvc_json_add_bool(kj, "present", ksm.present);
	hvc_json_add_int(kj, "run_before", ksm.run_before);
	hvc_json_add_bool(kj, "on_during_run", ksm.run_before == 1 || ksm.changed);
	hvc_json_add_bool(kj, "turned_on_by_hvc", ksm.changed);
	json_object_object_add(doc, "ksm", kj);

	uint64_t t_start = hvc_now_ns();
	json_object *bs = json_object_new_array();
	json_object_object_add(doc, "backends", bs);
	for (char **p = backends; *p; p++) {
		const struct density_backend *b = hvc_density_backend_find(*p);
		const char *why = hvc_json_get_string(unavailable, b->name);
		if (why) {
			json_object *bj = json_object_new_object();
			hvc_json_add_string(bj, "name", b->name);
			hvc_json_add_bool(bj, "available", false);
			hvc_json_add_string(bj, "reason", why);
			hvc_warn("density: backend %s skipped: %s", b->name, why);
			json_object_array_add(bs, bj);
			continue;
		}
		if (cancelled(&sw)) {
			json_object *bj = json_object_new_object();
			hvc_json_add_string(bj, "name", b->name);
			hvc_json_add_bool(bj, "available", false);
			hvc_json_add_string(bj, "reason",
					    "cancelled (signal) before this backend ran");
			json_object_array_add(bs, bj);
			continue;
		}
		json_object_array_add(bs, sweep_backend(&sw, b));
		for (size_t i = 0; i < n_prepared; i++)
			swept[i] |= prepared[i] == b; /* sweep_backend cleaned it up */
	}
	if (sw.ctx.accelerator)
		hvc_json_add_string(doc, "vm_accelerator", sw.ctx.accelerator);
	int64_t sharing, shared;
	hvc_density_ksm_pages(&sharing, &shared);
	hvc_json_add_int(kj, "pages_sharing_end", sharing);
	hvc_json_add_int(kj, "pages_shared_end", shared);
	hvc_density_ksm_restore(&ksm);
	hvc_json_add_bool(kj, "restored", !ksm.changed);
	hvc_json_add_string(doc, "finished", hvc_wall_iso8601(when, sizeof(when)));
	hvc_json_add_double(doc, "duration_s", (hvc_now_ns() - t_start) / 1e9);
	hvc_json_add_bool(doc, "cancelled", sw.cancelled);

	_cleanup_free_ char *dpath = hvc_path_join(dir, "density.json");
	if (hvc_json_write_file_atomic(dpath, doc, err) < 0)
		goto out;
	if (hvc_density_write_outputs(doc, dir, err) < 0)
		goto out;
	*was_cancelled = sw.cancelled;
	*out_dir = steal_pointer(&dir);
	ret = 0;
out:
	for (size_t i = 0; i < n_prepared; i++)
		if (!swept[i] && prepared[i]->cleanup)
			prepared[i]->cleanup(&sw.ctx);
	hvc_density_ksm_restore(&ksm);
	json_object_put(unavailable);
	free(sw.ctx.image);
	free(sw.ctx.uri);
	free(sw.ctx.accelerator);
	return ret;
}
