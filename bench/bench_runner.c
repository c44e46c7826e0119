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

/* One guest boot serving a round of the suite's shared_boot workloads on
 * the vm backend (bench_session.c): taken at the first of them, each later
 * one's sample judged from its part of the output. */
struct boot_part {
	char *out;  /* its output (NULL: its end marker never came) */
	int status; /* its exit status */
	char **argv;
	/* a network member: its own net-server, started before the boot */
	bool net;
	bool srv_started;
	struct hvc_bench_net_server srv;
	const char *expected_path;
	char *net_error; /* no server, or the server's verdict after the run */
	bool have_peak;	 /* QEMU's memory peak while this part ran */
	struct hvc_bench_mem peak;
};

struct shared_boot {
	bool ran;
	size_t n; /* members: indices into rec.workloads, suite order */
	size_t *members;
	struct boot_part *parts;
	struct hvc_bench_outcome oc; /* the boot's own: output, phases, extra */
	char *error;		     /* the boot itself failed */
	char time[32];
	struct hvc_bench_mem_series series; /* QEMU's memory through the boot */
};

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
	struct shared_boot *boots; /* per round index; NULL: no shared boots */
	int n_boots;
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
	for (int r = 0; r < rs->n_boots; r++) {
		struct shared_boot *bt = &rs->boots[r];
		for (size_t k = 0; k < bt->n && bt->parts; k++) {
			struct boot_part *pt = &bt->parts[k];
			free(pt->out);
			free(pt->net_error);
			hvc_strv_free(pt->argv);
			if (pt->srv_started)
				hvc_bench_net_server_clear(&pt->srv);
		}
		free(bt->parts);
		free(bt->members);
		hvc_bench_mem_series_free(&bt->series);
		free(bt->error);
		hvc_bench_outcome_clear(&bt->oc);
	}
	free(rs->boots);
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

/* Rounds with two or more shared_boot workloads get one vm boot each (a
 * round with one runs it as usual); the vm's commands say so. */
static void plan_shared_boots(struct run *rs)
{
	struct hvc_bench_record *rec = &rs->rec;
	size_t n = rec->n_workloads;
	if (!n)
		return;
	_cleanup_free_ int *rounds = hvc_xcalloc(n, sizeof(*rounds));
	_cleanup_free_ bool *shared = hvc_xcalloc(n, sizeof(*shared));
	int max_rounds = 0;
	for (size_t i = 0; i < n; i++) {
		rounds[i] = rec->workloads[i].warmup + rec->workloads[i].reps;
		shared[i] = hvc_bench_suite_shared_boot(
		    rs->suite, (size_t)(rec->workloads[i].w - rs->suite->workloads));
		if (shared[i] && rounds[i] > max_rounds)
			max_rounds = rounds[i];
	}
	rs->boots = hvc_xcalloc((size_t)max_rounds + 1, sizeof(*rs->boots));
	rs->n_boots = max_rounds;
	for (int r = 0; r < max_rounds; r++) {
		struct shared_boot *bt = &rs->boots[r];
		bt->members = hvc_xcalloc(n, sizeof(*bt->members));
		bt->n = hvc_bench_session_members(rounds, shared, n, r, bt->members);
		if (bt->n < 2)
			bt->n = 0;
	}
	for (size_t c = 0; c < rec->n_commands; c++) {
		struct hvc_bench_command *cmd = &rec->commands[c];
		bool in_boot = false;
		for (size_t k = 0; rs->n_boots > 0 && k < rs->boots[0].n; k++)
			in_boot |=
			    !strcmp(rec->workloads[rs->boots[0].members[k]].w->name, cmd->workload);
		if (!in_boot || strcmp(cmd->backend, "vm") || !cmd->command)
			continue;
		char *t =
		    hvc_xasprintf("%s; shared boot: each round's shared_boot workloads run in "
				  "one VM, in turn (/bin/sh -c), each one's output its own sample",
				  cmd->command);
		free(cmd->command);
		cmd->command = t;
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
	plan_shared_boots(rs);
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
			size_t pos =
			    (j + t->n_backends - (size_t)r % t->n_backends) % t->n_backends;
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

/* A network member's peer: its net-server on the address the VM reaches,
 * and --server for its command; false (net_error set) when it has none. */
static bool start_part_server(struct run *rs, struct boot_part *pt)
{
	char addr[64] = "", reason[512] = "";
	const struct hvc_bench_backend *vm = &hvc_bench_backend_vm;
	if (vm->net_peer(&rs->ctx, addr, sizeof(addr), &pt->expected_path, reason,
			 sizeof(reason)) != 1) {
		pt->net_error = hvc_xasprintf("no network sample on this backend: %s", reason);
		return false;
	}
	struct hvc_error err = {0};
	pt->srv_started = true;
	if (hvc_bench_net_server_start(&rs->ctx, addr, &pt->srv, &err) < 0) {
		pt->net_error = hvc_xasprintf("net-server on %s: %s", addr, err.msg);
		return false;
	}
	hvc_strv_push(&pt->argv, "--server");
	hvc_strv_push(&pt->argv, pt->srv.listen);
	return true;
}

/* After the boot: each server's own verdict (one client run, its exit). */
static void stop_part_servers(struct shared_boot *bt)
{
	for (size_t k = 0; k < bt->n; k++) {
		struct boot_part *pt = &bt->parts[k];
		if (!pt->srv_started || pt->net_error)
			continue;
		char why[512];
		hvc_bench_net_server_stop(&pt->srv, why, sizeof(why));
		if (why[0])
			pt->net_error = hvc_xstrdup(why);
	}
}

/* The VM backend's live handles: QEMU's memory is read from then on. */
static void boot_event(void *opaque, enum hvc_bench_event ev, const struct hvc_bench_live *live)
{
	struct shared_boot *bt = opaque;
	if (ev == HVC_BENCH_EV_STARTED || ev == HVC_BENCH_EV_READY)
		hvc_bench_mem_series_start(&bt->series, live->pid);
}

/* Each run part's peak: the reads between the previous part's end marker
 * and its own (part_end_ms, from the VM backend's clock, which starts a few
 * ms after the series' t0: a window is off by at most that). */
static void part_peaks(struct shared_boot *bt, const size_t *idx, size_t n_run)
{
	json_object *ends = bt->oc.extra ? hvc_json_get(bt->oc.extra, "part_end_ms") : NULL;
	double from = 0;
	for (size_t m = 0; ends && m < n_run && m < json_object_array_length(ends); m++) {
		double to = json_object_get_double(json_object_array_get_idx(ends, m));
		struct boot_part *pt = &bt->parts[idx[m]];
		pt->have_peak = hvc_bench_mem_series_peak(&bt->series, from, to, &pt->peak);
		from = to;
	}
}

/* The shared boot of round r: every member's command in one VM. A member
 * whose peer could not start is left out of the boot (its sample fails). */
static void run_shared_boot(struct run *rs, int r, struct shared_boot *bt)
{
	bt->ran = true;
	bt->oc = (struct hvc_bench_outcome){.ready_ms = -1, .exit_ms = -1};
	bt->parts = hvc_xcalloc(bt->n, sizeof(*bt->parts));
	_cleanup_free_ char **argvs_mem = hvc_xcalloc(bt->n, sizeof(char **));
	char *const **argvs = (char *const **)argvs_mem;
	_cleanup_free_ size_t *idx = hvc_xcalloc(bt->n, sizeof(*idx));
	size_t n_run = 0;
	struct hvc_bench_req req = {.image = rs->ctx.image, .cpus = rs->ctx.cpus};
	for (size_t k = 0; k < bt->n; k++) {
		const struct hvc_bench_workload *w = rs->rec.workloads[bt->members[k]].w;
		struct boot_part *pt = &bt->parts[k];
		pt->status = -1;
		pt->argv = hvc_strv_dup(w->args);
		pt->net = w->kind == HVC_BENCH_NETWORK;
		if (pt->net && !start_part_server(rs, pt))
			continue;
		argvs[n_run] = pt->argv;
		idx[n_run++] = k;
		req.timeout_ms += w->timeout_s * 1000;
		req.scratch_disk |= w->scratch_disk;
		req.network |= pt->net;
	}
	char tag[64];
	snprintf(tag, sizeof(tag), "hvcbench-%d-shared-%d", (int)getpid(), r + 1);
	req.tag = tag;
	req.event = boot_event;
	req.opaque = bt;
	_cleanup_free_ char *script = hvc_bench_session_script(argvs, n_run);
	_cleanup_free_ char **outs = hvc_xcalloc(n_run + 1, sizeof(*outs));
	_cleanup_free_ int *status = hvc_xcalloc(n_run + 1, sizeof(*status));
	hvc_wall_iso8601(bt->time, sizeof(bt->time));
	struct hvc_error err = {0};
	bt->series.t0 = hvc_now_ns();
	int rc = n_run ? hvc_bench_vm_run_script(&rs->ctx, &req, script, &bt->oc, &err) : 0;
	hvc_bench_mem_series_stop(&bt->series);
	if (rc < 0)
		bt->error = hvc_xstrdup(err.msg[0] ? err.msg : "backend failed");
	else
		hvc_bench_session_split(bt->oc.output, n_run, outs, status);
	part_peaks(bt, idx, n_run);
	for (size_t m = 0; m < n_run; m++) {
		bt->parts[idx[m]].out = outs[m];
		bt->parts[idx[m]].status = status[m];
	}
	stop_part_servers(bt);
}

/* What a shared-boot sample records of its boot: round, position, the
 * workloads it ran, and the boot's own facts (phases, part_end_ms ...). */
static json_object *shared_extra(const struct run *rs, const struct shared_boot *bt, int r,
				 size_t k)
{
	json_object *extra = json_object_new_object();
	json_object *sb = json_object_new_object();
	hvc_json_add_int(sb, "round", r + 1);
	hvc_json_add_int(sb, "position", (int64_t)k + 1);
	json_object *names = json_object_new_array();
	for (size_t m = 0; m < bt->n; m++)
		json_object_array_add(
		    names, json_object_new_string(rs->rec.workloads[bt->members[m]].w->name));
	json_object_object_add(sb, "workloads", names);
	json_object_object_add(sb, "boot", bt->oc.extra ? json_object_get(bt->oc.extra) : NULL);
	json_object_object_add(extra, "shared_boot", sb);
	return extra;
}

/* A network member's peer facts into its sample. */
static void part_net(const struct boot_part *pt, struct hvc_bench_sample *s)
{
	s->net.present = true;
	s->net.expected_path = pt->expected_path ? hvc_xstrdup(pt->expected_path) : NULL;
	s->net.server_listen = pt->srv.listen[0] ? hvc_xstrdup(pt->srv.listen) : NULL;
	s->net.server_exit = pt->srv_started ? pt->srv.exit_status : -1;
	s->net.server_exit_reason =
	    pt->srv.exit_reason[0] ? hvc_xstrdup(pt->srv.exit_reason) : NULL;
	s->net.server_connections = pt->srv_started ? pt->srv.connections : -1;
	s->net.server_runs = pt->srv_started ? pt->srv.runs : -1;
}

/* Workload i's part of round r's shared boot (the boot taken first when
 * this is its first member) into s; false when it has no shared boot. */
static bool take_shared(struct run *rs, size_t i, int r, size_t j, struct hvc_bench_sample *s)
{
	if (rs->active[j] != &hvc_bench_backend_vm || r >= rs->n_boots || !rs->boots[r].n)
		return false;
	struct shared_boot *bt = &rs->boots[r];
	size_t k = 0;
	while (k < bt->n && bt->members[k] != i)
		k++;
	if (k == bt->n)
		return false;
	if (!bt->ran)
		run_shared_boot(rs, r, bt);
	const struct hvc_bench_workload *w = rs->rec.workloads[i].w;
	struct boot_part *pt = &bt->parts[k];
	s->backend = rs->active[j]->name;
	s->workload = w->name;
	s->memory_nprocs = -1;
	memcpy(s->time, bt->time, sizeof(s->time));
	if (pt->net)
		part_net(pt, s);
	if (bt->error || !pt->out) {
		s->ok = false;
		s->error = bt->error ? hvc_xasprintf("shared boot failed: %s", bt->error)
			   : pt->net_error
			       ? hvc_xstrdup(pt->net_error)
			       : hvc_xstrdup("shared boot: the guest stopped before this "
					     "workload's end marker");
		return true;
	}
	struct hvc_bench_outcome oc = {
	    .ready_ms = -1,
	    .exit_ms = -1,
	    .output = hvc_xstrdup(pt->out),
	    .exit_status = pt->status,
	    .accelerator = bt->oc.accelerator ? hvc_xstrdup(bt->oc.accelerator) : NULL,
	    .phases = bt->oc.phases ? json_object_get(bt->oc.phases) : NULL,
	    .extra = shared_extra(rs, bt, r, k),
	};
	hvc_bench_sample_judge_part(w, &oc, pt->net_error, pt->have_peak ? &pt->peak : NULL, s);
	hvc_bench_outcome_clear(&oc);
	return true;
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
		if (!take_shared(rs, i, r, j, s))
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
