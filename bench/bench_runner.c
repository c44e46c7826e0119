/* bench/runner: runs a suite — every available backend, the same workload
 * command, the same CPUs, backends interleaved within each repetition (ABAB),
 * warm-ups run and recorded but excluded from summaries — and writes the
 * results directory. hvc_bench_run reads as its steps: open the run, record
 * the host and configuration, build the benchmark image, prepare the
 * backends, plan the workloads, take the samples, write the results. What is
 * measured goes into a typed record (bench/bench_record.c serialises it);
 * each sample is taken by bench/bench_sample.c. */
#include "bench_internal.h"
#include "hvc/bench.h"
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run {
	const struct hvc_bench_options *opt;
	struct hvc_bench_suite *suite;
	struct hvc_bench_ctx ctx;
	struct hvc_bench_record rec;
	char *dir, *cpus;
	char **backends; /* borrowed: the options' or the suite's */
	const struct hvc_bench_backend **active;
	size_t n_active;
	size_t done, total;
	uint64_t t_start;
	/* the ETA's table (its rounds owned); the time each (workload entry,
	 * active backend)'s samples took so far: [workload * n_active + backend] */
	struct hvc_bench_eta_table eta;
	double *eta_sum;
	unsigned *eta_n;
};

static bool cancelled(const struct run *rs)
{
	return rs->opt->cancel && *rs->opt->cancel;
}

static bool in_list(char **list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static double loadavg1(void)
{
	_cleanup_free_ char *t = NULL;
	size_t len;
	struct hvc_error e = {0};
	if (hvc_read_file("/proc/loadavg", &t, &len, &e) < 0)
		return -1;
	return strtod(t, NULL);
}

/* ---------- step 1: open the run ----------------------------------------- */

/* The CPU list must name at least one CPU this process may run on. */
static int check_cpus(const char *cpus, struct hvc_error *err)
{
	cpu_set_t cs, allowed;
	if (hvc_bench_parse_cpus(cpus, &cs, err) < 0)
		return -1;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
		CPU_AND(&cs, &cs, &allowed);
		if (CPU_COUNT(&cs) == 0)
			return hvc_err(err, EINVAL,
				       "--cpus %s: none of these CPUs is online and allowed", cpus);
	}
	return 0;
}

static int check_names(const struct run *rs, struct hvc_error *err)
{
	for (char **p = rs->backends; p && *p; p++)
		if (!hvc_bench_backend_find(*p))
			return hvc_err(err, EINVAL,
				       "unknown backend \"%s\" (native, container, vm, runc, crun, "
				       "container-lib, container-host)",
				       *p);
	for (char **p = rs->opt->workloads; p && *p; p++) {
		bool found = false;
		for (size_t i = 0; i < rs->suite->n_workloads; i++)
			found |= !strcmp(rs->suite->workloads[i].name, *p);
		if (!found)
			return hvc_err(err, EINVAL, "suite \"%s\" has no workload \"%s\"",
				       rs->suite->name, *p);
	}
	return 0;
}

/* The output directory and its scratch work dir, the guest programs. */
static int open_dirs(struct run *rs, struct hvc_error *err)
{
	const struct hvc_bench_options *opt = rs->opt;
	rs->dir =
	    opt->out_dir
		? hvc_xstrdup(opt->out_dir)
		: hvc_strdup_printf("%s/%s", opt->results_root ? opt->results_root : "results",
				    rs->rec.run_id);
	if (hvc_mkdir_p(rs->dir, 0755, err) < 0)
		return -1;
	rs->ctx.work_dir = hvc_path_join(rs->dir, "work");
	rs->ctx.workload_bin = hvc_guest_program("hvc-workload");
	rs->ctx.init_bin = hvc_guest_program("hvc-init");
	if (hvc_mkdir_p(rs->ctx.work_dir, 0755, err) < 0)
		return -1;
	/* Peers (runc, crun) run with their own working directory: every path
	 * handed to them must be absolute, so the work dir is made absolute here. */
	char *abs_work = realpath(rs->ctx.work_dir, NULL);
	if (abs_work) {
		free(rs->ctx.work_dir);
		rs->ctx.work_dir = abs_work;
	}
	/* fileio's directory: native's cwd and every container's volume, so
	 * all write on the same file system, never on an overlay upper */
	rs->ctx.scratch_dir = hvc_path_join(rs->ctx.work_dir, "scratch");
	return hvc_mkdir_p(rs->ctx.scratch_dir, 0755, err);
}

static int parse_fileio_on(struct run *rs, struct hvc_error *err)
{
	const char *on = rs->opt->fileio_on ? rs->opt->fileio_on : "volume";
	if (strcmp(on, "volume") && strcmp(on, "overlay"))
		return hvc_err(err, EINVAL, "--fileio-on %s: expected volume or overlay", on);
	rs->ctx.fileio_on_overlay = !strcmp(on, "overlay");
	rs->rec.fileio_on = rs->ctx.fileio_on_overlay ? "overlay" : "volume";
	return 0;
}

static int run_open(struct run *rs, const struct hvc_bench_options *opt, struct hvc_error *err)
{
	rs->opt = opt;
	if (hvc_bench_suite_load(opt->suite ? opt->suite : "quick", &rs->suite, err) < 0)
		return -1;
	rs->rec.run_id = hvc_bench_run_id(rs->suite->name);
	rs->cpus = opt->cpus ? hvc_xstrdup(opt->cpus) : hvc_bench_default_cpus();
	rs->backends = opt->backends ? opt->backends : rs->suite->backends;
	if (check_cpus(rs->cpus, err) < 0 || check_names(rs, err) < 0 ||
	    parse_fileio_on(rs, err) < 0 || open_dirs(rs, err) < 0)
		return -1;
	rs->ctx.suite = rs->suite;
	rs->ctx.image = rs->suite->image;
	rs->ctx.base_image = rs->suite->image;
	rs->ctx.cpus = rs->cpus;
	rs->ctx.cancel = opt->cancel;
	return 0;
}

static void run_close(struct run *rs)
{
	for (size_t j = 0; j < rs->n_active; j++)
		if (rs->active[j]->cleanup)
			rs->active[j]->cleanup(&rs->ctx);
	if (rs->ctx.work_dir) {
		struct hvc_error e = {0};
		if (hvc_path_exists(rs->ctx.work_dir) && hvc_rm_rf(rs->ctx.work_dir, &e) < 0)
			hvc_warn("could not remove %s: %s", rs->ctx.work_dir, e.msg);
	}
	free(rs->ctx.work_dir);
	free(rs->ctx.scratch_dir);
	free(rs->eta_sum);
	free(rs->eta_n);
	free((void *)rs->eta.rounds);
	free(rs->ctx.workload_bin);
	free(rs->ctx.init_bin);
	free(rs->active);
	free(rs->dir);
	free(rs->cpus);
	hvc_bench_record_clear(&rs->rec);
	hvc_bench_suite_free(rs->suite);
}

/* ---------- step 2: the host, its load, the configuration ---------------- */

static void record_host(struct run *rs)
{
	struct hvc_bench_record *rec = &rs->rec;
	struct hvc_error herr = {0};
	hvc_wall_iso8601(rec->started, sizeof(rec->started));
	if (hvc_host_probe(&rec->host, &herr) < 0) {
		rec->host = json_object_new_object();
		hvc_json_add_string(rec->host, "error", herr.msg);
	}
	/* A busy host skews every figure; say so rather than refuse. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	rec->load_before = loadavg1();
	rec->load_threshold = 0.25 * (double)(ncpu > 0 ? ncpu : 1);
	rec->load_quiet = rec->load_before >= 0 && rec->load_before <= rec->load_threshold;
	if (!rec->load_quiet) {
		rec->load_warning = hvc_xasprintf(
		    "host not quiet: 1-minute load average %.2f > %.2f; figures may be noisy",
		    rec->load_before, rec->load_threshold);
		hvc_warn("%s", rec->load_warning);
	}
}

static void record_config(struct run *rs)
{
	struct hvc_bench_record *rec = &rs->rec;
	rec->suite = rs->suite->name;
	rec->image = rs->suite->image;
	rec->cpus = rs->cpus;
	rec->reps = rs->opt->reps >= 0 ? rs->opt->reps : rs->suite->reps;
	rec->warmup = rs->opt->warmup >= 0 ? rs->opt->warmup : rs->suite->warmup;
	rec->backend_names = rs->backends;
	rec->suite_definition = rs->suite->source;
	rec->cmdline = rs->opt->cmdline;
	rec->workload_bin = rs->ctx.workload_bin;
}

/* ---------- step 3: the benchmark image, built once ---------------------- */

/* What every isolated backend runs; without it only native can run. */
static void prepare_image(struct run *rs)
{
	bool need_image = false;
	for (char **p = rs->backends; p && *p; p++)
		need_image |= strcmp(*p, "native") != 0;
	if (!need_image)
		return;
	struct hvc_bench_record *rec = &rs->rec;
	struct hvc_error ierr = {0};
	if (hvc_bench_image_prepare(rs->suite->image, rs->ctx.workload_bin, &rec->bench_image,
				    &rec->bench_image_digest, &ierr) == 0) {
		rs->ctx.image = rec->bench_image;
		rs->ctx.image_ok = true;
	} else {
		rec->bench_image_error = hvc_xstrdup(ierr.msg);
		rs->ctx.image_error = rec->bench_image_error;
		hvc_warn("%s", rec->bench_image_error);
	}
}

/* ---------- step 4: the backends ----------------------------------------- */

/* Every requested backend appears in the record, with its reason when it cannot run. */
static void prepare_backend(struct run *rs, struct hvc_bench_backend_entry *e)
{
	const struct hvc_bench_backend *b = e->b;
	e->available = b->available(&rs->ctx, e->reason, sizeof(e->reason)) == 1;
	struct hvc_error perr = {0};
	if (e->available && b->prepare && b->prepare(&rs->ctx, &perr) < 0) {
		snprintf(e->reason, sizeof(e->reason), "preparation failed: %s", perr.msg);
		e->available = false;
		if (b->cleanup)
			b->cleanup(&rs->ctx);
	}
	if (!e->available) {
		hvc_warn("backend %s skipped: %s", b->name, e->reason);
		return;
	}
	rs->active[rs->n_active++] = b;
	if (b->storage) {
		b->storage(&rs->ctx, &e->storage);
		e->have_storage = e->storage.kind != NULL;
	}
	struct hvc_error zerr = {0};
	e->size_ok = b->image_size && b->image_size(&rs->ctx, &e->size, &zerr) == 0;
	if (!e->size_ok)
		snprintf(e->size_error, sizeof(e->size_error), "%s", zerr.msg);
}

static void prepare_backends(struct run *rs)
{
	size_t n = hvc_strv_len(rs->backends);
	rs->rec.backends = hvc_xcalloc(n, sizeof(*rs->rec.backends));
	rs->active = hvc_xcalloc(n, sizeof(*rs->active));
	for (size_t i = 0; i < n; i++) {
		struct hvc_bench_backend_entry *e = &rs->rec.backends[rs->rec.n_backends++];
		e->b = hvc_bench_backend_find(rs->backends[i]);
		prepare_backend(rs, e);
	}
}

/* ---------- step 5: the workloads and the exact commands ----------------- */

static void add_commands(struct run *rs, const struct hvc_bench_workload *w)
{
	struct hvc_bench_record *rec = &rs->rec;
	for (size_t j = 0; j < rs->n_active; j++) {
		struct hvc_bench_command *c = &rec->commands[rec->n_commands++];
		c->backend = rs->active[j]->name;
		c->workload = w->name;
		if (rs->active[j]->describe)
			c->command = rs->active[j]->describe(&rs->ctx, w->args);
	}
}

static void plan_workloads(struct run *rs)
{
	const struct hvc_bench_options *opt = rs->opt;
	const struct hvc_bench_suite *suite = rs->suite;
	struct hvc_bench_record *rec = &rs->rec;
	rec->workloads = hvc_xcalloc(suite->n_workloads, sizeof(*rec->workloads));
	rec->commands = hvc_xcalloc(suite->n_workloads * rs->n_active, sizeof(*rec->commands));
	for (size_t i = 0; i < suite->n_workloads; i++) {
		const struct hvc_bench_workload *w = &suite->workloads[i];
		if (opt->workloads && !in_list(opt->workloads, w->name))
			continue;
		struct hvc_bench_workload_entry *e = &rec->workloads[rec->n_workloads++];
		e->w = w;
		e->reps = opt->reps >= 0 ? opt->reps : w->reps >= 0 ? w->reps : suite->reps;
		e->warmup = opt->warmup >= 0 ? opt->warmup
			    : w->warmup >= 0 ? w->warmup
					     : suite->warmup;
		rs->total += (size_t)(e->reps + e->warmup) * rs->n_active;
		add_commands(rs, w);
	}
	rec->samples = hvc_xcalloc(rs->total, sizeof(*rec->samples));
}

/* ---------- step 6: the samples ------------------------------------------ */

/* A sample's expected time: this workload on this backend so far, else this
 * workload on any backend, else this backend on any workload; < 0 unknown. */
static double estimate(const struct hvc_bench_eta_table *t, size_t k, size_t j)
{
	size_t nb = t->n_backends;
	if (t->n[k * nb + j])
		return t->sum[k * nb + j] / t->n[k * nb + j];
	double sum = 0;
	unsigned n = 0;
	for (size_t b = 0; b < nb; b++) {
		sum += t->sum[k * nb + b];
		n += t->n[k * nb + b];
	}
	if (n)
		return sum / n;
	for (size_t w = 0; w < t->n_workloads; w++) {
		sum += t->sum[w * nb + j];
		n += t->n[w * nb + j];
	}
	return n ? sum / n : -1;
}

double hvc_bench_eta(const struct hvc_bench_eta_table *t, size_t i, int r, size_t p0)
{
	double eta = 0;
	for (size_t k = i; k < t->n_workloads; k++) {
		for (size_t j = 0; j < t->n_backends; j++) {
			/* round r runs backend j at position (j - r) mod n */
			size_t pos = (j + t->n_backends - (size_t)r % t->n_backends) % t->n_backends;
			int left = k > i ? t->rounds[k] : t->rounds[k] - r - 1 + (pos >= p0);
			double est = left > 0 ? estimate(t, k, j) : 0;
			if (est < 0)
				return -1;
			eta += left * est;
		}
	}
	return eta;
}

static void report_progress(const struct run *rs, size_t i, int r, size_t j, size_t pos)
{
	if (!rs->opt->progress)
		return;
	const struct hvc_bench_workload_entry *e = &rs->rec.workloads[i];
	bool warm = r < e->warmup;
	struct hvc_bench_progress p = {
	    .suite = rs->suite->name,
	    .backend = rs->active[j]->name,
	    .workload = e->w->name,
	    .rep = warm ? r + 1 : r - e->warmup + 1,
	    .reps = e->reps,
	    .warmup = warm,
	    .sample = rs->done + 1,
	    .total = rs->total,
	    .eta_s = rs->done > 0 ? hvc_bench_eta(&rs->eta, i, r, pos) : -1,
	};
	rs->opt->progress(rs->opt->progress_opaque, &p);
}

/* Repetition r of workload i on every active backend (ABAB), the order
 * rotated by one each round: every backend takes every position equally
 * often, so what the sample before leaves behind (a peer's bundle being
 * deleted, writeback, a cold cache) does not always fall on the same one. */
static void sample_round(struct run *rs, size_t i, int r)
{
	const struct hvc_bench_workload_entry *e = &rs->rec.workloads[i];
	for (size_t p = 0; p < rs->n_active && !cancelled(rs); p++) {
		size_t j = (p + (size_t)r) % rs->n_active;
		bool warm = r < e->warmup;
		struct hvc_bench_sample *s = &rs->rec.samples[rs->rec.n_samples];
		s->rep = warm ? r + 1 : r - e->warmup + 1;
		s->warmup = warm;
		s->seq = rs->rec.n_samples++;
		report_progress(rs, i, r, j, p);
		uint64_t t0 = hvc_now_ns();
		hvc_bench_sample_take(&rs->ctx, rs->active[j], e->w, s);
		rs->eta_sum[i * rs->n_active + j] += (hvc_now_ns() - t0) / 1e9;
		rs->eta_n[i * rs->n_active + j]++;
		if (!s->ok)
			hvc_info("%s %s: failed: %s", s->backend, s->workload, s->error);
		rs->done++;
	}
}

/* The ETA's table: rounds per workload, time spent per (workload, backend). */
static void eta_open(struct run *rs)
{
	size_t cells = rs->rec.n_workloads * rs->n_active + 1;
	int *rounds = hvc_xcalloc(rs->rec.n_workloads + 1, sizeof(*rounds));
	for (size_t i = 0; i < rs->rec.n_workloads; i++)
		rounds[i] = rs->rec.workloads[i].warmup + rs->rec.workloads[i].reps;
	rs->eta_sum = hvc_xcalloc(cells, sizeof(*rs->eta_sum));
	rs->eta_n = hvc_xcalloc(cells, sizeof(*rs->eta_n));
	rs->eta = (struct hvc_bench_eta_table){.n_workloads = rs->rec.n_workloads,
					       .n_backends = rs->n_active,
					       .rounds = rounds,
					       .sum = rs->eta_sum,
					       .n = rs->eta_n};
}

static void sample_all(struct run *rs)
{
	rs->t_start = hvc_now_ns();
	eta_open(rs);
	for (size_t i = 0; i < rs->rec.n_workloads; i++) {
		const struct hvc_bench_workload_entry *e = &rs->rec.workloads[i];
		for (int r = 0; r < e->warmup + e->reps && !cancelled(rs); r++)
			sample_round(rs, i, r);
	}
	if (rs->opt->progress) {
		struct hvc_bench_progress p = {.suite = rs->suite->name,
					       .sample = rs->done,
					       .total = rs->total,
					       .eta_s = 0,
					       .finished = true};
		rs->opt->progress(rs->opt->progress_opaque, &p);
	}
	struct hvc_bench_record *rec = &rs->rec;
	if (cancelled(rs)) {
		/* what was measured is kept: an interrupted run is still a record */
		rec->interrupted = true;
		hvc_warn("interrupted: %zu of %zu samples taken; writing what was measured",
			 rs->done, rs->total);
	}
	hvc_wall_iso8601(rec->finished, sizeof(rec->finished));
	rec->duration_s = (hvc_now_ns() - rs->t_start) / 1e9;
	rec->load_after = loadavg1();
}

/* ---------- step 7: results.json, then everything made from it ----------- */

static int write_results(struct run *rs, struct hvc_error *err)
{
	_cleanup_json_ json_object *res = hvc_bench_record_json(&rs->rec);
	if (hvc_bench_results_summarize(res, err) < 0)
		return -1;
	_cleanup_free_ char *rpath = hvc_path_join(rs->dir, "results.json");
	if (hvc_json_write_file_atomic(rpath, res, err) < 0)
		return -1;
	return hvc_bench_report_dir(rs->dir, err);
}

int hvc_bench_run(const struct hvc_bench_options *opt, char **out_dir, struct hvc_error *err)
{
	__attribute__((cleanup(run_close))) struct run rs = {0};
	if (run_open(&rs, opt, err) < 0)
		return -1;
	record_host(&rs);
	record_config(&rs);
	prepare_image(&rs);
	prepare_backends(&rs);
	plan_workloads(&rs);
	sample_all(&rs);
	if (write_results(&rs, err) < 0)
		return -1;
	*out_dir = steal_pointer(&rs.dir);
	return 0;
}
