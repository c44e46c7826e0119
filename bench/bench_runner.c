/* bench/runner: runs a suite — every available backend, the same workload
 * command, the same CPUs, backends interleaved within each repetition (ABAB),
 * warm-ups run and recorded but excluded from summaries — and writes the
 * results directory. Measurement of memory happens here, from the live handles
 * each backend reports, so every backend is measured by the same code. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "bench_internal.h"
#include "hvc/bench.h"

#define FOOTPRINT_SETTLE_MS 500
#define SAMPLER_INTERVAL_MS 100
#ifndef HVC_VERSION
#define HVC_VERSION "unknown"
#endif

struct sampler {
	pthread_t thread;
	bool running;
	volatile bool stop;
	pthread_mutex_t lock;
	struct hvc_bench_live live;
	char *cgroup_dir;
	struct hvc_bench_mem peak;
	unsigned n_reads;
	char last_error[256];
};

struct sample_state {
	const struct hvc_bench_workload *w;
	struct sampler sampler;
	bool ready_seen;
	struct hvc_bench_mem idle;
	bool idle_ok;
	char idle_error[512];
};

static void mem_read(const struct hvc_bench_live *live, struct hvc_bench_mem *m, char *errbuf,
		     size_t len)
{
	struct hvc_error err = { 0 };
	memset(m, 0, sizeof(*m));
	if (live->cgroup_dir && hvc_bench_mem_add_cgroup(m, live->cgroup_dir, live->cgroup_procs, &err) < 0)
		snprintf(errbuf, len, "%s", err.msg);
	if (live->pid > 0 && hvc_bench_mem_add_pid_tree(m, live->pid, live->pid_tree, &err) < 0)
		snprintf(errbuf, len, "%s", err.msg);
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	while (!s->stop) {
		struct hvc_bench_mem m;
		char e[256] = "";
		mem_read(&s->live, &m, e, sizeof(e));
		pthread_mutex_lock(&s->lock);
		hvc_bench_mem_max(&s->peak, &m);
		if (m.have_procs || m.have_cgroup)
			s->n_reads++;
		else if (e[0])
			snprintf(s->last_error, sizeof(s->last_error), "%s", e);
		pthread_mutex_unlock(&s->lock);
		usleep(SAMPLER_INTERVAL_MS * 1000);
	}
	return NULL;
}

static void sampler_start(struct sampler *s, const struct hvc_bench_live *live)
{
	if (s->running)
		return;
	s->live = *live;
	s->cgroup_dir = live->cgroup_dir ? strdup(live->cgroup_dir) : NULL;
	s->live.cgroup_dir = s->cgroup_dir;
	s->stop = false;
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_create(&s->thread, NULL, sampler_main, s) == 0)
		s->running = true;
}

static void sampler_stop(struct sampler *s)
{
	if (!s->running)
		return;
	s->stop = true;
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	s->running = false;
	free(s->cgroup_dir);
	s->cgroup_dir = NULL;
}

static void on_event(void *opaque, enum hvc_bench_event ev, const struct hvc_bench_live *live)
{
	struct sample_state *st = opaque;
	if (ev == HVC_BENCH_EV_STARTED && st->w->kind == HVC_BENCH_THROUGHPUT)
		sampler_start(&st->sampler, live);
	if (ev == HVC_BENCH_EV_READY) {
		st->ready_seen = true;
		if (st->w->kind == HVC_BENCH_FOOTPRINT) {
			/* idle has printed its line; let the instance settle first */
			usleep(FOOTPRINT_SETTLE_MS * 1000);
			mem_read(live, &st->idle, st->idle_error, sizeof(st->idle_error));
			st->idle_ok = st->idle.have_procs || st->idle.have_cgroup;
		}
		if (st->w->kind == HVC_BENCH_THROUGHPUT)
			sampler_start(&st->sampler, live);
	}
}

static void add_mem_metrics(json_object *metrics, const struct hvc_bench_mem *m, const char *prefix)
{
	char k[64];
#define ADD(name, v)                                                     \
	snprintf(k, sizeof(k), "%s%s", prefix, name);                    \
	hvc_json_add_double(metrics, k, (double)(v));
	if (m->have_procs) {
		ADD("rss_mib", m->rss_kib / 1024.0);
		ADD("pss_mib", m->pss_kib / 1024.0);
		ADD("uss_mib", m->uss_kib / 1024.0);
	}
	if (m->have_cgroup) {
		ADD("cgroup_mib", m->cg_bytes / 1048576.0);
		ADD("cgroup_net_mib", m->cg_net_bytes / 1048576.0);
	}
#undef ADD
}

/* The workload's JSON line: the last line of stdout that parses as an object
 * (a VM console or hvc-init may print lines of their own before it). */
static json_object *workload_line(const char *output, char **line_out)
{
	if (!output)
		return NULL;
	_cleanup_free_ char *copy = strdup(output);
	json_object *found = NULL;
	char *save = NULL;
	for (char *l = strtok_r(copy, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
		char *s = hvc_str_trim(l);
		if (*s != '{')
			continue;
		json_object *o = NULL;
		struct hvc_error e = { 0 };
		if (hvc_json_parse(s, strlen(s), "workload output", &o, &e) == 0 &&
		    json_object_is_type(o, json_type_object)) {
			json_object_put(found);
			found = o;
			free(*line_out);
			*line_out = strdup(s);
		} else {
			json_object_put(o);
		}
	}
	return found;
}

/* Fills sample["metrics"] or marks it failed with the reason. */
static void judge(json_object *sample, const struct hvc_bench_workload *w,
		  const struct hvc_bench_outcome *oc, struct sample_state *st)
{
	json_object *metrics = json_object_new_object();
	json_object_object_add(sample, "metrics", metrics);
	char why[1024] = "";
	_cleanup_free_ char *line = NULL;
	_cleanup_json_ json_object *res = workload_line(oc->output, &line);
	hvc_json_add_string(sample, "output", line);
	if (res && hvc_json_get(res, "error"))
		snprintf(why, sizeof(why), "workload reported an error: %s",
			 json_object_get_string(hvc_json_get(res, "error")));
	else if (oc->exit_status != 0)
		snprintf(why, sizeof(why), "workload exited with status %d", oc->exit_status);
	else if (!res)
		snprintf(why, sizeof(why), "no JSON result line in the workload's output");
	else if (!hvc_json_get_bool(res, "valid", true) || !hvc_json_get_bool(res, "ok", true))
		snprintf(why, sizeof(why), "workload's own result check failed");

	if (!why[0]) {
		switch (w->kind) {
		case HVC_BENCH_STARTUP:
			if (oc->ready_ms < 0 || oc->exit_ms < 0)
				snprintf(why, sizeof(why), "backend reported no %s time",
					 oc->ready_ms < 0 ? "READY" : "exit");
			else {
				hvc_json_add_double(metrics, "ready_ms", oc->ready_ms);
				hvc_json_add_double(metrics, "exit_ms", oc->exit_ms);
			}
			break;
		case HVC_BENCH_FOOTPRINT:
			if (!st->ready_seen)
				snprintf(why, sizeof(why), "backend gave no READY event to measure at");
			else if (!st->idle_ok)
				snprintf(why, sizeof(why), "memory not readable: %s",
					 st->idle_error[0] ? st->idle_error : "no process or cgroup");
			else {
				add_mem_metrics(metrics, &st->idle, "");
				hvc_json_add_int(sample, "memory_nprocs", st->idle.nprocs);
			}
			break;
		case HVC_BENCH_THROUGHPUT:
			for (size_t i = 0; i < w->n_metrics; i++) {
				json_object *v = hvc_json_get(res, w->metrics[i].key);
				double d = v ? json_object_get_double(v) : NAN;
				if (!v || !(json_object_is_type(v, json_type_double) ||
					    json_object_is_type(v, json_type_int)) || !isfinite(d) || d <= 0) {
					snprintf(why, sizeof(why), "workload result has no valid \"%s\"",
						 w->metrics[i].key);
					break;
				}
				hvc_json_add_double(metrics, w->metrics[i].key, d);
			}
			if (st->sampler.n_reads > 0)
				add_mem_metrics(metrics, &st->sampler.peak, "peak_");
			else
				hvc_json_add_string(sample, "memory_note",
						    st->sampler.last_error[0] ? st->sampler.last_error
									      : "no live handles from the backend");
			break;
		}
	}
	if (why[0]) {
		/* the workload's own words are usually the real reason */
		const char *se = hvc_json_get_string(oc->extra, "stderr");
		if (se && *se && !strstr(why, se)) {
			_cleanup_free_ char *t = strdup(se);
			char *line = hvc_str_trim(t), *nl;
			while ((nl = strrchr(line, '\n')) && nl[1] == '\0')
				*nl = '\0';
			if ((nl = strrchr(line, '\n')))
				line = nl + 1;
			size_t l = strlen(why);
			snprintf(why + l, sizeof(why) - l, ": %s", line);
		}
		hvc_json_add_string(sample, "status", "failed");
		hvc_json_add_string(sample, "error", why);
		json_object_object_del(sample, "metrics");
		json_object_object_add(sample, "metrics", json_object_new_object());
	} else {
		hvc_json_add_string(sample, "status", "ok");
	}
}

struct run_state {
	struct hvc_bench_ctx ctx;
	const struct hvc_bench_backend *active[16];
	size_t n_active;
	size_t done, total;
	uint64_t t_start;
	bool progress, tty;
	const char *suite_name;
};

static void progress(struct run_state *rs, const char *backend, const char *wl, int rep, int reps,
		     bool warm)
{
	if (!rs->progress)
		return;
	char eta[32] = "?";
	if (rs->done > 0) {
		double el = (hvc_now_ns() - rs->t_start) / 1e9;
		double left = el / rs->done * (rs->total - rs->done);
		snprintf(eta, sizeof(eta), "%dm%02ds", (int)left / 60, (int)left % 60);
	}
	char repstr[32];
	if (warm)
		snprintf(repstr, sizeof(repstr), "warm-up %d", rep);
	else
		snprintf(repstr, sizeof(repstr), "rep %d/%d", rep, reps);
	fprintf(stderr, "%s[%s] %-9s %-9s %-13s sample %zu/%zu  ETA %s%s", rs->tty ? "\r\033[K" : "",
		rs->suite_name, backend, wl, repstr, rs->done + 1, rs->total, eta, rs->tty ? "" : "\n");
	fflush(stderr);
}

static json_object *run_sample(struct run_state *rs, const struct hvc_bench_backend *b,
			       const struct hvc_bench_workload *w, int rep, bool warm, size_t seq)
{
	struct sample_state st = { .w = w };
	char tag[64];
	snprintf(tag, sizeof(tag), "hvcbench-%d-%zu", (int)getpid(), seq);
	struct hvc_bench_req req = {
		.image = rs->ctx.image,
		.argv = w->args,
		.cpus = rs->ctx.cpus,
		.timeout_ms = w->timeout_s * 1000,
		.tag = tag,
		.scratch_disk = w->scratch_disk,
		.event = on_event,
		.opaque = &st,
	};
	struct hvc_bench_outcome oc;
	memset(&oc, 0, sizeof(oc));
	oc.ready_ms = oc.exit_ms = -1;
	struct hvc_error err = { 0 };
	json_object *s = json_object_new_object();
	hvc_json_add_string(s, "backend", b->name);
	hvc_json_add_string(s, "workload", w->name);
	hvc_json_add_int(s, "rep", rep);
	hvc_json_add_bool(s, "warmup", warm);
	hvc_json_add_int(s, "seq", (int64_t)seq);
	char when[32];
	hvc_json_add_string(s, "time", hvc_wall_iso8601(when, sizeof(when)));
	int r = b->run(&rs->ctx, &req, &oc, &err);
	sampler_stop(&st.sampler);
	if (r < 0) {
		hvc_json_add_string(s, "status", "failed");
		hvc_json_add_string(s, "error", err.msg[0] ? err.msg : "backend failed");
		json_object_object_add(s, "metrics", json_object_new_object());
	} else {
		hvc_json_add_int(s, "exit_status", oc.exit_status);
		judge(s, w, &oc, &st);
	}
	if (oc.phases)
		json_object_object_add(s, "phases", json_object_get(oc.phases));
	if (oc.accelerator)
		hvc_json_add_string(s, "accelerator", oc.accelerator);
	if (oc.extra && json_object_object_length(oc.extra) > 0)
		json_object_object_add(s, "extra", json_object_get(oc.extra));
	if (r == 0 && !strcmp(hvc_json_get_string(s, "status"), "failed") && oc.output && oc.output[0] &&
	    !hvc_json_get_string(s, "output")) {
		/* keep what it printed: the reason is often there */
		size_t len = strlen(oc.output);
		hvc_json_add_string(s, "output", len > 2000 ? oc.output + len - 2000 : oc.output);
	}
	hvc_bench_outcome_clear(&oc);
	return s;
}

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static const char *kind_name(enum hvc_bench_kind k)
{
	return k == HVC_BENCH_STARTUP ? "startup" : k == HVC_BENCH_FOOTPRINT ? "footprint" : "throughput";
}

static void add_metric_def(json_object *arr, const char *key, const char *unit, const char *better,
			   const char *what)
{
	json_object *m = json_object_new_object();
	hvc_json_add_string(m, "key", key);
	hvc_json_add_string(m, "unit", unit);
	hvc_json_add_string(m, "better", better);
	hvc_json_add_string(m, "what", what);
	json_object_array_add(arr, m);
}

static void add_mem_defs(json_object *arr, const char *prefix, const char *when)
{
	static const struct {
		const char *key, *what;
	} defs[] = {
		{ "rss_mib", "RSS summed over the instance's host processes" },
		{ "pss_mib", "PSS summed over the instance's host processes" },
		{ "uss_mib", "USS (private pages) summed over the instance's host processes" },
		{ "cgroup_mib", "cgroup memory charge" },
		{ "cgroup_net_mib", "cgroup memory charge minus inactive_file (reclaimable page cache)" },
	};
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		char k[64], w[256];
		snprintf(k, sizeof(k), "%s%s", prefix, defs[i].key);
		snprintf(w, sizeof(w), "%s, %s", defs[i].what, when);
		add_metric_def(arr, k, "MiB", "lower", w);
	}
}

static json_object *workload_json(const struct hvc_bench_workload *w, int reps, int warmup)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "name", w->name);
	hvc_json_add_string(o, "kind", kind_name(w->kind));
	json_object_object_add(o, "args", strv_json(w->args));
	hvc_json_add_int(o, "reps", reps);
	hvc_json_add_int(o, "warmup", warmup);
	json_object *ms = json_object_new_array();
	switch (w->kind) {
	case HVC_BENCH_STARTUP:
		add_metric_def(ms, "ready_ms", "ms", "lower", "request to READY, host monotonic clock");
		add_metric_def(ms, "exit_ms", "ms", "lower", "request to exit seen by the host");
		break;
	case HVC_BENCH_FOOTPRINT:
		add_mem_defs(ms, "", "idle instance, 0.5 s after READY");
		break;
	case HVC_BENCH_THROUGHPUT:
		for (size_t i = 0; i < w->n_metrics; i++)
			add_metric_def(ms, w->metrics[i].key, w->metrics[i].unit,
				       w->metrics[i].better == HVC_BETTER_HIGHER ? "higher" : "lower",
				       "the workload's own figure");
		add_mem_defs(ms, "peak_", "peak while the workload ran (sampled every 100 ms)");
		break;
	}
	json_object_object_add(o, "metrics", ms);
	return o;
}

static json_object *size_json(const struct hvc_bench_size *z)
{
	json_object *o = json_object_new_object();
#define F(name)                                        \
	if (z->name >= 0)                              \
		hvc_json_add_int(o, #name "_bytes", z->name);
	F(compressed);
	F(unpacked);
	F(shared);
	F(unique);
	F(kernel);
	F(initramfs);
	F(binary);
#undef F
	if (z->note[0])
		hvc_json_add_string(o, "note", z->note);
	return o;
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
	struct hvc_error e = { 0 };
	if (hvc_read_file("/proc/loadavg", &t, &len, &e) < 0)
		return -1;
	return strtod(t, NULL);
}

static bool cancelled(const struct hvc_bench_options *opt)
{
	return opt->cancel && *opt->cancel;
}

static char *make_run_id(const char *suite)
{
	char when[32], rnd[8];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	struct hvc_error e = { 0 };
	if (hvc_random_hex(rnd, 2, &e) < 0)
		snprintf(rnd, sizeof(rnd), "%04x", (unsigned)getpid() & 0xffff);
	return hvc_strdup_printf("%s-%s-%s", when, suite, rnd);
}

int hvc_bench_run(const struct hvc_bench_options *opt, char **out_dir, struct hvc_error *err)
{
	struct hvc_bench_suite *suite = NULL;
	if (hvc_bench_suite_load(opt->suite ? opt->suite : "quick", &suite, err) < 0)
		return -1;
	int ret = -1;
	struct run_state rs = { 0 };
	_cleanup_json_ json_object *res = json_object_new_object();
	_cleanup_free_ char *run_id = make_run_id(suite->name);
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *cpus = opt->cpus ? strdup(opt->cpus) : hvc_bench_default_cpus();
	_cleanup_free_ char *bench_image = NULL, *bench_digest = NULL, *image_error = NULL, *rpath = NULL;
	cpu_set_t cs;
	if (hvc_bench_parse_cpus(cpus, &cs, err) < 0)
		goto out;
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
		CPU_AND(&cs, &cs, &allowed);
		if (CPU_COUNT(&cs) == 0) {
			hvc_err(err, EINVAL, "--cpus %s: none of these CPUs is online and allowed", cpus);
			goto out;
		}
	}
	char **backends = opt->backends ? opt->backends : suite->backends;
	for (char **p = backends; p && *p; p++)
		if (!hvc_bench_backend_find(*p)) {
			hvc_err(err, EINVAL, "unknown backend \"%s\" (native, container, vm, runc, crun)", *p);
			goto out;
		}
	for (char **p = opt->workloads; p && *p; p++) {
		bool found = false;
		for (size_t i = 0; i < suite->n_workloads; i++)
			found |= !strcmp(suite->workloads[i].name, *p);
		if (!found) {
			hvc_err(err, EINVAL, "suite \"%s\" has no workload \"%s\"", suite->name, *p);
			goto out;
		}
	}

	dir = opt->out_dir ? strdup(opt->out_dir)
			   : hvc_strdup_printf("%s/%s", opt->results_root ? opt->results_root : "results", run_id);
	if (hvc_mkdir_p(dir, 0755, err) < 0)
		goto out;

	rs.suite_name = suite->name;
	rs.progress = opt->progress;
	rs.tty = opt->progress && isatty(2);
	rs.ctx.suite = suite;
	rs.ctx.image = suite->image;
	rs.ctx.base_image = suite->image;
	rs.ctx.cpus = cpus;
	rs.ctx.cancel = opt->cancel;
	rs.ctx.work_dir = hvc_path_join(dir, "work");
	rs.ctx.workload_bin = hvc_guest_program("hvc-workload");
	rs.ctx.init_bin = hvc_guest_program("hvc-init");
	if (hvc_mkdir_p(rs.ctx.work_dir, 0755, err) < 0)
		goto out;
	/* Peers (runc, crun) run with their own working directory: every path
	 * handed to them must be absolute, so the work dir is made absolute here. */
	char *abs_work = realpath(rs.ctx.work_dir, NULL);
	if (abs_work) {
		free(rs.ctx.work_dir);
		rs.ctx.work_dir = abs_work;
	}

	char when[32];
	hvc_json_add_string(res, "schema", HVC_BENCH_SCHEMA);
	hvc_json_add_int(res, "schema_version", HVC_BENCH_SCHEMA_VERSION);
	hvc_json_add_string(res, "run_id", run_id);
	hvc_json_add_string(res, "suite", suite->name);
	hvc_json_add_string(res, "started", hvc_wall_iso8601(when, sizeof(when)));
	hvc_json_add_string(res, "hvc_version", HVC_VERSION);

	json_object *host = NULL;
	struct hvc_error herr = { 0 };
	if (hvc_host_probe(&host, &herr) < 0) {
		host = json_object_new_object();
		hvc_json_add_string(host, "error", herr.msg);
	}
	json_object_object_add(res, "host", host);

	/* A busy host skews every figure; say so rather than refuse. */
	json_object *load = json_object_new_object();
	double la = loadavg1();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double threshold = 0.25 * (double)(ncpu > 0 ? ncpu : 1);
	hvc_json_add_double(load, "loadavg_1m_before", la);
	hvc_json_add_double(load, "threshold", threshold);
	bool quiet = la >= 0 && la <= threshold;
	hvc_json_add_bool(load, "quiet", quiet);
	if (!quiet) {
		char w[256];
		snprintf(w, sizeof(w), "host not quiet: 1-minute load average %.2f > %.2f; figures may be noisy",
			 la, threshold);
		hvc_warn("%s", w);
		hvc_json_add_string(load, "warning", w);
	}
	json_object_object_add(res, "load", load);

	json_object *config = json_object_new_object();
	hvc_json_add_string(config, "image", suite->image);
	hvc_json_add_string(config, "cpus", cpus);
	hvc_json_add_string(config, "pinning",
			    "native/runc/crun: sched_setaffinity before exec; container: cpuset cgroup; "
			    "vm: vCPU and emulator threads pinned (libvirt cpuset)");
	hvc_json_add_int(config, "reps", opt->reps >= 0 ? opt->reps : suite->reps);
	hvc_json_add_int(config, "warmup", opt->warmup >= 0 ? opt->warmup : suite->warmup);
	hvc_json_add_string(config, "order", "ABAB: within each repetition every backend runs once, in list order");
	json_object_object_add(config, "backends", strv_json(backends));
	json_object_object_add(config, "suite_definition", json_object_get(suite->source));
	if (opt->cmdline)
		json_object_object_add(config, "command_line", strv_json(opt->cmdline));
	hvc_json_add_string(config, "workload_binary", rs.ctx.workload_bin);
	json_object_object_add(res, "config", config);

	/* The benchmark image, built once: what every isolated backend runs. */
	bool need_image = false;
	for (char **p = backends; p && *p; p++)
		need_image |= strcmp(*p, "native") != 0;
	if (need_image) {
		struct hvc_error ierr = { 0 };
		if (hvc_bench_image_prepare(suite->image, rs.ctx.workload_bin, &bench_image, &bench_digest, &ierr) == 0) {
			rs.ctx.image = bench_image;
			rs.ctx.image_ok = true;
			hvc_json_add_string(config, "bench_image", bench_image);
			hvc_json_add_string(config, "bench_image_digest", bench_digest);
		} else {
			image_error = strdup(ierr.msg);
			rs.ctx.image_error = image_error;
			hvc_json_add_string(config, "bench_image_error", image_error);
			hvc_warn("%s", image_error);
		}
	}

	/* Availability: every requested backend appears, with its reason when it cannot run. */
	json_object *jb = json_object_new_array();
	for (char **p = backends; p && *p; p++) {
		const struct hvc_bench_backend *b = hvc_bench_backend_find(*p);
		json_object *o = json_object_new_object();
		hvc_json_add_string(o, "name", b->name);
		hvc_json_add_string(o, "summary", b->summary);
		char reason[512] = "";
		bool avail = b->available(&rs.ctx, reason, sizeof(reason)) == 1;
		struct hvc_error perr = { 0 };
		if (avail && b->prepare && b->prepare(&rs.ctx, &perr) < 0) {
			snprintf(reason, sizeof(reason), "preparation failed: %s", perr.msg);
			avail = false;
			if (b->cleanup)
				b->cleanup(&rs.ctx);
		}
		hvc_json_add_bool(o, "available", avail);
		if (!avail) {
			hvc_json_add_string(o, "reason", reason);
			hvc_warn("backend %s skipped: %s", b->name, reason);
		} else {
			rs.active[rs.n_active++] = b;
			struct hvc_bench_size z;
			struct hvc_error zerr = { 0 };
			if (b->image_size && b->image_size(&rs.ctx, &z, &zerr) == 0)
				json_object_object_add(o, "image_size", size_json(&z));
			else {
				json_object *zo = json_object_new_object();
				hvc_json_add_string(zo, "error", zerr.msg[0] ? zerr.msg : "not measured by this backend");
				json_object_object_add(o, "image_size", zo);
			}
		}
		json_object_array_add(jb, o);
	}
	json_object_object_add(res, "backends", jb);

	/* Workloads and the exact commands. */
	json_object *jw = json_object_new_array();
	json_object *jc = json_object_new_array();
	const struct hvc_bench_workload *sel[64];
	size_t n_sel = 0;
	for (size_t i = 0; i < suite->n_workloads && n_sel < 64; i++) {
		const struct hvc_bench_workload *w = &suite->workloads[i];
		if (opt->workloads && !in_list(opt->workloads, w->name))
			continue;
		sel[n_sel++] = w;
		int reps = opt->reps >= 0 ? opt->reps : w->reps >= 0 ? w->reps : suite->reps;
		int warm = opt->warmup >= 0 ? opt->warmup : w->warmup >= 0 ? w->warmup : suite->warmup;
		json_object_array_add(jw, workload_json(w, reps, warm));
		rs.total += (size_t)(reps + warm) * rs.n_active;
		for (size_t j = 0; j < rs.n_active; j++) {
			json_object *c = json_object_new_object();
			hvc_json_add_string(c, "backend", rs.active[j]->name);
			hvc_json_add_string(c, "workload", w->name);
			if (rs.active[j]->describe) {
				_cleanup_free_ char *d = rs.active[j]->describe(&rs.ctx, w->args);
				hvc_json_add_string(c, "command", d);
			}
			json_object_array_add(jc, c);
		}
	}
	json_object_object_add(res, "workloads", jw);
	json_object_object_add(res, "commands", jc);

	json_object *samples = json_object_new_array();
	json_object_object_add(res, "samples", samples);
	rs.t_start = hvc_now_ns();
	size_t seq = 0;
	for (size_t i = 0; i < n_sel; i++) {
		const struct hvc_bench_workload *w = sel[i];
		int reps = opt->reps >= 0 ? opt->reps : w->reps >= 0 ? w->reps : suite->reps;
		int warm = opt->warmup >= 0 ? opt->warmup : w->warmup >= 0 ? w->warmup : suite->warmup;
		for (int r = 0; r < warm + reps && !cancelled(opt); r++)
			for (size_t j = 0; j < rs.n_active && !cancelled(opt); j++) {
				bool is_warm = r < warm;
				int rep = is_warm ? r + 1 : r - warm + 1;
				progress(&rs, rs.active[j]->name, w->name, rep, reps, is_warm);
				json_object *s = run_sample(&rs, rs.active[j], w, rep, is_warm, seq++);
				if (!strcmp(hvc_json_get_string(s, "status"), "failed"))
					hvc_info("%s %s: failed: %s", rs.active[j]->name, w->name,
						 hvc_json_get_string(s, "error"));
				json_object_array_add(samples, s);
				rs.done++;
			}
	}
	if (rs.tty)
		fprintf(stderr, "\r\033[K");
	if (cancelled(opt)) {
		/* what was measured is kept: an interrupted run is still a record */
		hvc_json_add_bool(res, "interrupted", true);
		hvc_warn("interrupted: %zu of %zu samples taken; writing what was measured", rs.done, rs.total);
	}
	hvc_json_add_string(res, "finished", hvc_wall_iso8601(when, sizeof(when)));
	hvc_json_add_double(res, "duration_s", (hvc_now_ns() - rs.t_start) / 1e9);
	hvc_json_add_double(load, "loadavg_1m_after", loadavg1());

	if (hvc_bench_results_summarize(res, err) < 0)
		goto out;
	rpath = hvc_path_join(dir, "results.json");
	if (hvc_json_write_file_atomic(rpath, res, err) < 0)
		goto out;
	if (hvc_bench_report_dir(dir, err) < 0)
		goto out;
	*out_dir = steal_pointer(&dir);
	ret = 0;
out:
	for (size_t j = 0; j < rs.n_active; j++)
		if (rs.active[j]->cleanup)
			rs.active[j]->cleanup(&rs.ctx);
	if (rs.ctx.work_dir) {
		struct hvc_error e = { 0 };
		if (hvc_path_exists(rs.ctx.work_dir) && hvc_rm_rf(rs.ctx.work_dir, &e) < 0)
			hvc_warn("could not remove %s: %s", rs.ctx.work_dir, e.msg);
	}
	free(rs.ctx.work_dir);
	free(rs.ctx.workload_bin);
	free(rs.ctx.init_bin);
	hvc_bench_suite_free(suite);
	return ret;
}
