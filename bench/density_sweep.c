/* bench/density_sweep: for each backend, start instances of one image step by
 * step (1, 2, 4, 8 ... running at once), keeping the earlier ones running,
 * until the memory budget, --max or the first failure; at each step record
 * host memory, PSS/RSS of the instances, the marginal cost of the added ones,
 * start and READY times, CPU use and the workload's throughput. Everything
 * is torn down at the end, after a failure and on cancel (Ctrl-C).
 * The decisions are density_sweep_plan.c's; this file executes them and
 * measures into typed results, which density_json.c serialises. */
#include "density_internal.h"
#include "hvc/bench.h"
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define START_TIMEOUT_MS 120000

/* A requested backend: prepared before the first start, cleaned up once. */
struct sweep_slot {
	const struct density_backend *b;
	bool prepared, swept;
};

struct sweep {
	const struct hvc_density_opts *o;
	struct density_ctx ctx;
	uint64_t budget;
	long cpus;
	bool cancelled;
	struct sweep_slot *slots; /* one per requested backend */
};

/* The instances of one backend's sweep, in start order. */
struct fleet {
	struct density_inst *insts;
	struct density_inst **v;
	size_t n;
};

/* The steps that ran cleanly (all running, no failure): what the fits use. */
struct sweep_fits {
	double x[HVC_DENSITY_MAX_STEPS], host[HVC_DENSITY_MAX_STEPS], pss[HVC_DENSITY_MAX_STEPS],
	    accounted[HVC_DENSITY_MAX_STEPS];
	size_t n;
	double marginal_est; /* bytes the next instance is expected to cost */
	double cpu_share;    /* < 0 unmeasured */
};

static bool cancelled(struct sweep *sw)
{
	if (sw->o->cancel && *sw->o->cancel)
		sw->cancelled = true;
	return sw->cancelled;
}

static void progress(struct sweep *sw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct sweep *sw, const char *fmt, ...)
{
	if (!sw->o->progress)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sw->o->progress(sw->o->progress_arg, line);
}

static double mib(double bytes)
{
	return bytes / 1048576.0;
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

/* Pumps every instance for ms (or until cancelled). */
static void pump_for(struct sweep *sw, const struct density_backend *b, struct fleet *fl, int ms)
{
	uint64_t end = hvc_now_ns() + (uint64_t)ms * 1000000ull;
	while (!cancelled(sw)) {
		uint64_t now = hvc_now_ns();
		if (now >= end)
			break;
		int left = (int)((end - now) / 1000000ull);
		b->pump(&sw->ctx, fl->v, fl->n, left < 100 ? (left > 0 ? left : 1) : 100);
	}
}

static bool starting(const struct density_inst *in)
{
	return in->state == DI_LAUNCHED || in->state == DI_STARTED;
}

/* ---------- one step: start, wait, sample, record ------------------------ */

static void start_instances(struct sweep *sw, const struct density_backend *b, struct fleet *fl,
			    size_t k, int added)
{
	for (int i = 0; i < added; i++) {
		struct density_inst *in = &fl->insts[fl->n];
		hvc_density_inst_init(in, b->name, (int)fl->n, (int)k);
		in->t_launch = hvc_now_ns();
		struct hvc_error le = {0};
		if (b->launch(&sw->ctx, in, &le) < 0)
			hvc_density_mark_dead(in, "start", "%s", le.msg);
		fl->v[fl->n++] = in;
	}
}

/* Waits for the step's instances: READY, dead, or timeout (then dead). */
static void wait_ready(struct sweep *sw, const struct density_backend *b, struct fleet *fl,
		       size_t first, uint64_t t0)
{
	uint64_t deadline = t0 + (uint64_t)sw->ctx.start_timeout_ms * 1000000ull;
	for (;;) {
		bool waiting = false;
		for (size_t i = first; i < fl->n; i++)
			waiting |= starting(fl->v[i]);
		if (!waiting || cancelled(sw) || hvc_now_ns() > deadline)
			break;
		b->pump(&sw->ctx, fl->v, fl->n, 50);
	}
	for (size_t i = first; i < fl->n; i++)
		if (starting(fl->v[i]))
			hvc_density_mark_dead(fl->v[i], sw->cancelled ? "cancelled" : "timeout",
					      sw->cancelled ? "cancelled before READY"
							    : "not READY within %d s",
					      sw->ctx.start_timeout_ms / 1000);
}

/* Start and READY times of the step's instances, from the step's start. */
static void record_start_times(const struct fleet *fl, size_t first, uint64_t t0,
			       struct density_step *s)
{
	for (size_t i = first; i < fl->n; i++) {
		const struct density_inst *in = fl->v[i];
		double offset = hvc_ns_to_ms(in->t_launch - t0);
		if (in->started_ms >= 0 && in->started_ms + offset > s->start_all_ms)
			s->start_all_ms = in->started_ms + offset;
		if (in->ready_ms >= 0) {
			double r = in->ready_ms + offset;
			s->slowest_ready_ms = r > s->slowest_ready_ms ? r : s->slowest_ready_ms;
			s->sum_ready_ms += in->ready_ms;
			s->n_ready++;
		}
	}
}

/* Until every READY instance has reported two more results, or the limit. */
static void wait_results(struct sweep *sw, const struct density_backend *b, struct fleet *fl,
			 uint64_t limit_s)
{
	uint64_t wend = hvc_now_ns() + limit_s * 1000000000ull;
	for (;;) {
		bool waiting = false;
		for (size_t i = 0; i < fl->n; i++)
			waiting |= fl->v[i]->state == DI_READY &&
				   fl->v[i]->n_results < fl->v[i]->n_results_mark + 2;
		if (!waiting || cancelled(sw) || hvc_now_ns() > wend)
			break;
		b->pump(&sw->ctx, fl->v, fl->n, 100);
	}
}

/* Settle, mark CPU and results, then the measuring window; returns its
 * length in seconds. VMs settle longer: the guest keeps booting after READY. */
static double run_window(struct sweep *sw, const struct density_backend *b, struct fleet *fl)
{
	bool vm = !strcmp(b->name, "vm");
	int settle_ms = vm ? 1500 : 500;
	pump_for(sw, b, fl, settle_ms);
	uint64_t tw0 = hvc_now_ns();
	for (size_t i = 0; i < fl->n; i++) {
		struct density_inst *in = fl->v[i];
		struct hvc_bench_mem m, ov;
		in->cpu_mark_ok = in->state == DI_READY &&
				  b->measure(&sw->ctx, in, &m, &ov, &in->cpu_ns_mark) == 0;
		in->n_results_mark = in->n_results;
	}
	if (sw->ctx.metric)
		wait_results(sw, b, fl, vm ? 180 : 45);
	else
		pump_for(sw, b, fl, settle_ms);
	return (hvc_now_ns() - tw0) / 1e9;
}

static void add_mem(struct density_step *s, const struct hvc_bench_mem *m,
		    const struct hvc_bench_mem *ov)
{
	s->tot.rss_kib += m->rss_kib, s->tot.pss_kib += m->pss_kib, s->tot.uss_kib += m->uss_kib;
	s->tot.nprocs += m->nprocs;
	s->tot.cg_bytes += m->cg_bytes, s->tot.cg_net_bytes += m->cg_net_bytes;
	s->tot.have_cgroup |= m->have_cgroup;
	s->ovt.rss_kib += ov->rss_kib, s->ovt.pss_kib += ov->pss_kib;
	s->ovt.have_procs |= ov->have_procs;
}

static void add_throughput(struct density_step *s, const struct density_inst *in)
{
	double val = in->results[(in->n_results - 1) % DENSITY_RESULTS_KEPT].value;
	s->tp_sum += val;
	s->tp_min = val < s->tp_min ? val : s->tp_min;
	s->tp_max = val > s->tp_max ? val : s->tp_max;
	s->tp_reporting++;
}

/* Memory, CPU and throughput of every running instance. */
static void measure_instances(struct sweep *sw, const struct density_backend *b, struct fleet *fl,
			      struct density_step *s)
{
	s->tp_min = INFINITY;
	for (size_t i = 0; i < fl->n; i++) {
		struct density_inst *in = fl->v[i];
		if (in->state != DI_READY)
			continue;
		s->running++;
		struct hvc_bench_mem m, ov;
		uint64_t cpu = 0;
		if (b->measure(&sw->ctx, in, &m, &ov, &cpu) < 0)
			continue;
		s->n_measured++;
		add_mem(s, &m, &ov);
		if (in->cpu_mark_ok && cpu >= in->cpu_ns_mark)
			s->cpu_s += (cpu - in->cpu_ns_mark) / 1e9;
		if (sw->ctx.metric && in->n_results > in->n_results_mark)
			add_throughput(s, in);
	}
}

/* The cost of the instances added since the previous step. */
static void record_marginal(struct density_step *s, const struct density_step *prev)
{
	/* the previous step's figures as density.json holds them (whole bytes) */
	double pd = prev ? (double)(int64_t)prev->delta : 0;
	double pp = prev ? (double)((int64_t)prev->tot.pss_kib * 1024) : 0;
	int pn = prev ? prev->running : 0;
	if (s->running <= pn)
		return;
	s->has_marginal = true;
	s->marginal_host = (s->delta - pd) / (s->running - pn);
	s->marginal_pss = ((double)s->tot.pss_kib * 1024 - pp) / (s->running - pn);
}

static void record_instances(const struct fleet *fl, size_t first, struct density_step *s)
{
	s->inst = hvc_xcalloc(fl->n - first + 1, sizeof(*s->inst));
	for (size_t i = first; i < fl->n; i++) {
		const struct density_inst *in = fl->v[i];
		struct density_inst_record *r = &s->inst[s->n_inst++];
		snprintf(r->name, sizeof(r->name), "%s", in->name);
		snprintf(r->id, sizeof(r->id), "%s", in->id);
		r->started_ms = in->started_ms;
		r->ready_ms = in->ready_ms;
		r->hvc_start_ms = in->hvc_start_ms;
		r->sup_cpu_ms = in->sup_cpu_ms;
		r->pid = in->main_pid;
		r->failed = in->state == DI_DEAD;
	}
}

/* Instances found dead at step k (added now, or running since earlier). */
static void record_failures(const struct fleet *fl, size_t first, size_t k, struct density_step *s)
{
	s->fails = hvc_xcalloc(fl->n + 1, sizeof(*s->fails));
	for (size_t i = 0; i < fl->n; i++) {
		struct density_inst *in = fl->v[i];
		if (in->state != DI_DEAD || in->died_step >= 0)
			continue;
		in->died_step = (int)k;
		struct density_failure *f = &s->fails[s->n_fails++];
		snprintf(f->instance, sizeof(f->instance), "%s", in->name);
		f->kind = in->fail_kind;
		snprintf(f->reason, sizeof(f->reason), "%s", in->reason);
		f->when = i >= first ? "starting" : "running since an earlier step";
	}
}

static void report_step(struct sweep *sw, const struct density_backend *b,
			const struct density_step *s)
{
	progress(sw,
		 "%s: N=%d running=%d: started in %.0f ms, slowest READY %.0f ms, host used "
		 "+%.1f MiB, PSS %.1f MiB, RSS %.1f MiB%s",
		 b->name, s->n, s->running, s->start_all_ms, s->slowest_ready_ms, mib(s->delta),
		 s->tot.pss_kib / 1024.0, s->tot.rss_kib / 1024.0, s->n_fails ? " — FAILURES" : "");
}

/* A clean step (all running, none failed) is a point of the cost fits. */
static void add_to_fits(struct sweep_fits *f, const struct density_step *s, int *max_measured)
{
	if (s->n_fails || s->running != s->n)
		return;
	f->x[f->n] = s->n;
	f->host[f->n] = s->delta;
	f->pss[f->n] = (double)s->tot.pss_kib * 1024;
	f->accounted[f->n] = (double)(s->tot.pss_kib + s->ovt.pss_kib) * 1024;
	f->n++;
	*max_measured = s->n;
	if (f->cpu_share < 0 && s->window_s > 0 && s->n_measured > 0)
		f->cpu_share = s->cpu_s / s->window_s / s->n_measured;
	f->marginal_est = density_marginal_estimate(f->x, f->host, f->n);
}

/* Step k: returns false when the sweep stops (r->stop says why). */
static bool sweep_step(struct sweep *sw, const struct density_backend *b, struct fleet *fl,
		       size_t k, struct density_backend_result *r, struct sweep_fits *fits)
{
	int target = r->plan.steps[k];
	int added = target - (int)fl->n;
	if (cancelled(sw)) {
		snprintf(r->stop, sizeof(r->stop), "cancelled (signal) before N=%d", target);
		return false;
	}
	double delta_now = (double)host_used() - (double)r->baseline_used;
	if (density_budget_refuses(fits->marginal_est, delta_now, added, target, sw->budget,
				   r->stop, sizeof(r->stop)))
		return false;
	progress(sw, "%s: starting %d more (N=%d)", b->name, added, target);
	uint64_t t0 = hvc_now_ns();
	size_t first = fl->n;
	start_instances(sw, b, fl, k, added);
	wait_ready(sw, b, fl, first, t0);

	struct density_step *s = &r->steps[r->n_steps++];
	s->n = target;
	s->added = added;
	record_start_times(fl, first, t0, s);
	s->window_s = run_window(sw, b, fl);
	measure_instances(sw, b, fl, s);
	s->host_used = host_used();
	s->delta = (double)s->host_used - (double)r->baseline_used;
	record_marginal(s, r->n_steps > 1 ? s - 1 : NULL);
	record_instances(fl, first, s);
	record_failures(fl, first, k, s);
	report_step(sw, b, s);
	add_to_fits(fits, s, &r->max_measured);
	return !density_step_stops(s, sw->cancelled, sw->budget, r->stop, sizeof(r->stop));
}

/* ---------- one backend: plan, steps, teardown, costs -------------------- */

static void tear_down(struct sweep *sw, const struct density_backend *b, struct fleet *fl,
		      struct density_backend_result *r)
{
	uint64_t td0 = hvc_now_ns();
	progress(sw, "%s: tearing down %zu instance(s)", b->name, fl->n);
	if (fl->n && b->teardown)
		b->teardown(&sw->ctx, fl->v, fl->n);
	r->teardown_ms = hvc_ns_to_ms(hvc_now_ns() - td0);
	for (size_t i = 0; i < fl->n; i++)
		hvc_density_inst_release(fl->v[i]);
	free(fl->insts);
	free(fl->v);
}

/* The fits, the cost planning believes, and what fits in the budget here. */
static void summarise(struct sweep *sw, const struct sweep_fits *f,
		      struct density_backend_result *r)
{
	density_fit_points(f->x, f->host, f->n, &r->memory_fit);
	density_fit_points(f->x, f->pss, f->n, &r->pss_fit);
	density_fit_points(f->x, f->accounted, f->n, &r->accounted_fit);
	density_choose_cost(&r->memory_fit, &r->accounted_fit, &r->cost);
	r->cpu_share = f->cpu_share;
	if (sw->ctx.accelerator)
		r->accelerator = hvc_xstrdup(sw->ctx.accelerator);
	struct hvc_density_cost c;
	if (density_result_cost(r, &c, &r->fits.err) < 0)
		return;
	struct hvc_density_target t = {.host_mem = (uint64_t)c.base_used + sw->budget,
				       .host_cores = (unsigned)sw->cpus,
				       .headroom_pct = 0,
				       .base_used = -1};
	r->fits.ok = hvc_density_estimate(&c, &t, &r->fits.e, &r->fits.err) == 0;
}

static bool backend_available(struct sweep *sw, const struct density_backend *b,
			      struct density_backend_result *r)
{
	r->available = b->available(&sw->ctx, r->reason, sizeof(r->reason));
	if (!r->available)
		hvc_warn("density: backend %s skipped: %s", b->name, r->reason);
	return r->available;
}

static void sweep_backend(struct sweep *sw, const struct density_backend *b,
			  struct density_backend_result *r)
{
	r->name = b->name;
	r->cpu_share = -1;
	if (!backend_available(sw, b, r))
		return;
	density_plan_backend(sw->o, b->default_max, b->quick_max, &r->plan);
	size_t cap = r->plan.n_steps ? (size_t)r->plan.steps[r->plan.n_steps - 1] : 0;
	struct fleet fl = {.insts = hvc_xcalloc(cap + 1, sizeof(*fl.insts)),
			   .v = hvc_xcalloc(cap + 1, sizeof(*fl.v))};
	r->steps = hvc_xcalloc(r->plan.n_steps + 1, sizeof(*r->steps));
	struct sweep_fits fits = {.cpu_share = -1};
	r->baseline_used = host_used();
	for (size_t k = 0; k < r->plan.n_steps; k++)
		if (!sweep_step(sw, b, &fl, k, r, &fits))
			break;
	if (!r->stop[0])
		density_stop_completed(sw->o, &r->plan, r->stop, sizeof(r->stop));
	tear_down(sw, b, &fl, r);
	summarise(sw, &fits, r);
	if (b->cleanup)
		b->cleanup(&sw->ctx);
}

void density_backend_result_free(struct density_backend_result *r)
{
	for (size_t k = 0; k < r->n_steps; k++) {
		free(r->steps[k].inst);
		free(r->steps[k].fails);
	}
	free(r->steps);
	free(r->accelerator);
	*r = (struct density_backend_result){0};
}

/* ---------- the run: check, size, prepare, sweep each backend, write ------ */

/* The host's memory and CPUs, the instance size and the budget. */
static int size_run(struct density_run *run, struct hvc_error *err)
{
	if (hvc_density_meminfo_read(&run->mi0, err) < 0)
		return -1;
	run->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (run->cpus < 1)
		run->cpus = 1;
	if (density_instance_mem(run->o, &run->mi0, &run->instance_mem, err) < 0)
		return -EINVAL;
	return density_budget(run->o, &run->mi0, &run->budget, &run->budget_source, err);
}

/* The context every backend gets, and the benchmark image (base +
 * hvc-workload), prepared before anything starts. */
static int set_up_context(struct sweep *sw, struct density_run *run, struct hvc_error *err)
{
	const struct hvc_density_opts *o = run->o;
	run->workload = density_workload(o);
	run->cmd = density_workload_command(run->workload, run->instance_mem);
	sw->budget = run->budget;
	sw->cpus = run->cpus;
	sw->ctx.o = o;
	sw->ctx.workload = run->workload;
	sw->ctx.cmd = run->cmd;
	sw->ctx.metric = density_workload_metric(run->workload);
	sw->ctx.instance_mem = run->instance_mem;
	sw->ctx.start_timeout_ms = START_TIMEOUT_MS;
	sw->ctx.uri = o->connect ? hvc_xstrdup(o->connect) : NULL;
	run->uri = sw->ctx.uri;
	_cleanup_free_ char *workload_bin = hvc_guest_program("hvc-workload");
	run->base_image = o->image ? o->image : "busybox:latest";
	if (hvc_bench_image_prepare(run->base_image, workload_bin, &sw->ctx.image,
				    &run->bench_digest, err) < 0)
		return -1;
	run->bench_image = sw->ctx.image;
	return 0;
}

/* Every requested backend prepared (or found unavailable) before the first start. */
static int prepare_backends(struct sweep *sw, struct density_run *run, struct hvc_error *err)
{
	for (size_t i = 0; i < run->n_results; i++) {
		struct sweep_slot *sl = &sw->slots[i];
		struct density_backend_result *r = &run->results[i];
		r->name = sl->b->name;
		r->cpu_share = -1;
		if (!sl->b->available(&sw->ctx, r->reason, sizeof(r->reason)))
			continue;
		if (sl->b->prepare && sl->b->prepare(&sw->ctx, err) < 0)
			return -1;
		sl->prepared = true;
	}
	return 0;
}

static void sweep_backends(struct sweep *sw, struct density_run *run)
{
	for (size_t i = 0; i < run->n_results; i++) {
		struct sweep_slot *sl = &sw->slots[i];
		struct density_backend_result *r = &run->results[i];
		if (!sl->prepared) {
			hvc_warn("density: backend %s skipped: %s", r->name, r->reason);
			continue;
		}
		if (cancelled(sw)) {
			snprintf(r->reason, sizeof(r->reason),
				 "cancelled (signal) before this backend ran");
			continue;
		}
		sweep_backend(sw, sl->b, r);
		sl->swept = true; /* sweep_backend cleaned it up */
	}
}

static void ksm_started(struct density_run *run)
{
	run->ksm_on_during_run = run->ksm.run_before == 1 || run->ksm.changed;
	run->ksm_turned_on = run->ksm.changed;
}

static void ksm_finished(struct density_run *run)
{
	hvc_density_ksm_pages(&run->ksm_pages_sharing_end, &run->ksm_pages_shared_end);
	hvc_density_ksm_restore(&run->ksm);
	run->ksm_restored = !run->ksm.changed;
}

static void take_host_probe(struct density_run *run)
{
	struct hvc_error herr = {0};
	if (hvc_host_probe(&run->host, &herr) < 0) {
		run->host = json_object_new_object();
		hvc_json_add_string(run->host, "error", herr.msg);
	}
}

/* density.json, then everything made from it. */
static int write_results(const struct density_run *run, const char *dir, struct hvc_error *err)
{
	_cleanup_json_ json_object *doc = hvc_density_run_json(run);
	_cleanup_free_ char *dpath = hvc_path_join(dir, "density.json");
	if (hvc_json_write_file_atomic(dpath, doc, err) < 0)
		return -1;
	return hvc_density_write_outputs(doc, dir, err);
}

static void fill_outcome(const struct density_run *run, struct hvc_density_outcome *out)
{
	out->cancelled = run->cancelled;
	for (size_t i = 0; i < run->n_results; i++) {
		const struct density_backend_result *r = &run->results[i];
		if (!r->n_steps || !r->steps[0].n_fails ||
		    out->n_start_failures == HVC_DENSITY_MAX_BACKENDS)
			continue;
		snprintf(out->start_failures[out->n_start_failures].backend,
			 sizeof(out->start_failures[0].backend), "%s", r->name);
		snprintf(out->start_failures[out->n_start_failures].reason,
			 sizeof(out->start_failures[0].reason), "%s", r->steps[0].fails[0].reason);
		out->n_start_failures++;
	}
}

/* From the prepared backends to the written results. */
static int sweep_and_write(struct sweep *sw, struct density_run *run, const char *dir,
			   struct hvc_error *err)
{
	if (hvc_mkdir_p(dir, 0755, err) < 0)
		return -1;
	if (hvc_density_ksm_enable(&run->ksm, run->o->ksm, err) < 0)
		return -1;
	ksm_started(run);
	hvc_wall_iso8601(run->started, sizeof(run->started));
	take_host_probe(run);
	uint64_t t_start = hvc_now_ns();
	sweep_backends(sw, run);
	if (sw->ctx.accelerator)
		run->vm_accelerator = sw->ctx.accelerator;
	ksm_finished(run);
	hvc_wall_iso8601(run->finished, sizeof(run->finished));
	run->duration_s = (hvc_now_ns() - t_start) / 1e9;
	run->cancelled = sw->cancelled;
	return write_results(run, dir, err);
}

static void release(struct sweep *sw, struct density_run *run)
{
	for (size_t i = 0; i < run->n_results; i++)
		if (sw->slots[i].prepared && !sw->slots[i].swept && sw->slots[i].b->cleanup)
			sw->slots[i].b->cleanup(&sw->ctx);
	hvc_density_ksm_restore(&run->ksm);
	for (size_t i = 0; i < run->n_results; i++)
		density_backend_result_free(&run->results[i]);
	free(run->results);
	free(sw->slots);
	json_object_put(run->host);
	free(run->run_id);
	free(run->bench_digest);
	hvc_strv_free(run->cmd);
	free(sw->ctx.image);
	free(sw->ctx.uri);
	free(sw->ctx.accelerator);
}

int hvc_density_run(const struct hvc_density_opts *o, struct hvc_density_outcome *out,
		    struct hvc_error *err)
{
	*out = (struct hvc_density_outcome){0};
	char *default_backends[] = {"container", "vm", NULL};
	char **backends = o->backends ? o->backends : default_backends;
	if (density_check_run_input(o, backends, err) < 0)
		return -EINVAL;
	struct density_run run = {.o = o, .backends = backends};
	run.ksm = (struct hvc_density_ksm){.run_before = -1, .lock_fd = -1};
	run.n_results = hvc_strv_len(backends);
	run.results = hvc_xcalloc(run.n_results + 1, sizeof(*run.results));
	struct sweep sw = {.o = o, .slots = hvc_xcalloc(run.n_results + 1, sizeof(*sw.slots))};
	for (size_t i = 0; i < run.n_results; i++)
		sw.slots[i].b = hvc_density_backend_find(backends[i]);

	_cleanup_free_ char *dir = NULL;
	int ret = size_run(&run, err);
	if (ret == 0)
		ret = set_up_context(&sw, &run, err);
	if (ret == 0) {
		run.run_id = hvc_bench_run_id("density");
		dir = o->out_dir ? hvc_xstrdup(o->out_dir)
				 : hvc_strdup_printf("results/%s", run.run_id);
		ret = prepare_backends(&sw, &run, err);
	}
	if (ret == 0)
		ret = sweep_and_write(&sw, &run, dir, err);
	if (ret == 0) {
		fill_outcome(&run, out);
		out->out_dir = steal_pointer(&dir);
	}
	release(&sw, &run);
	return ret < 0 ? ret : 0;
}

void hvc_density_outcome_clear(struct hvc_density_outcome *out)
{
	free(out->out_dir);
	*out = (struct hvc_density_outcome){0};
}
