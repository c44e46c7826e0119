/* bench/bench_sample: one sample — ask the backend to run one instance,
 * measure its memory from the live handles it reports (every backend is
 * measured by this same code: a sampler thread for peaks, one read at READY
 * for the idle footprint), then judge the outcome into a typed
 * struct hvc_bench_sample: metrics, or failed with the reason. */
#include "bench_internal.h"
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define FOOTPRINT_SETTLE_MS 500
#define SAMPLER_INTERVAL_MS 100
#define OUTPUT_TAIL 2000

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

/* ---------- memory, while the instance lives ------------------------------ */

static void mem_read(const struct hvc_bench_live *live, struct hvc_bench_mem *m, char *errbuf,
		     size_t len)
{
	struct hvc_error err = {0};
	memset(m, 0, sizeof(*m));
	if (live->cgroup_dir &&
	    hvc_bench_mem_add_cgroup(m, live->cgroup_dir, live->cgroup_procs, &err) < 0)
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
	s->cgroup_dir = live->cgroup_dir ? hvc_xstrdup(live->cgroup_dir) : NULL;
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
	bool measured = st->w->kind == HVC_BENCH_THROUGHPUT || st->w->kind == HVC_BENCH_NETWORK;
	if (ev == HVC_BENCH_EV_STARTED && measured)
		sampler_start(&st->sampler, live);
	if (ev == HVC_BENCH_EV_READY) {
		st->ready_seen = true;
		if (st->w->kind == HVC_BENCH_FOOTPRINT) {
			/* idle has printed its line; let the instance settle first */
			usleep(FOOTPRINT_SETTLE_MS * 1000);
			mem_read(live, &st->idle, st->idle_error, sizeof(st->idle_error));
			st->idle_ok = st->idle.have_procs || st->idle.have_cgroup;
		}
		if (measured)
			sampler_start(&st->sampler, live);
	}
}

/* ---------- judging the outcome ------------------------------------------- */

static void add_mem_metrics(struct hvc_bench_sample *s, const struct hvc_bench_mem *m,
			    const char *prefix)
{
	char k[64];
#define ADD(name, v)                                                                               \
	snprintf(k, sizeof(k), "%s%s", prefix, name);                                              \
	hvc_bench_sample_add_metric(s, k, (double)(v));
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
	_cleanup_free_ char *copy = hvc_xstrdup(output);
	json_object *found = NULL;
	char *save = NULL;
	for (char *l = strtok_r(copy, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
		char *s = hvc_str_trim(l);
		if (*s != '{')
			continue;
		json_object *o = NULL;
		struct hvc_error e = {0};
		if (hvc_json_parse(s, strlen(s), "workload output", &o, &e) == 0 &&
		    json_object_is_type(o, json_type_object)) {
			json_object_put(found);
			found = o;
			free(*line_out);
			*line_out = hvc_xstrdup(s);
		} else {
			json_object_put(o);
		}
	}
	return found;
}

/* Why the workload's own report disqualifies the sample, or false. */
static bool output_failed(json_object *res, const struct hvc_bench_outcome *oc, char *why,
			  size_t len)
{
	if (res && hvc_json_get(res, "error"))
		snprintf(why, len, "workload reported an error: %s",
			 json_object_get_string(hvc_json_get(res, "error")));
	else if (oc->exit_status != 0)
		snprintf(why, len, "workload exited with status %d", oc->exit_status);
	else if (!res)
		snprintf(why, len, "no JSON result line in the workload's output");
	else if (!hvc_json_get_bool(res, "valid", true) || !hvc_json_get_bool(res, "ok", true))
		snprintf(why, len, "workload's own result check failed");
	return why[0] != 0;
}

static void judge_startup(struct hvc_bench_sample *s, const struct hvc_bench_outcome *oc, char *why,
			  size_t len)
{
	if (oc->ready_ms < 0 || oc->exit_ms < 0) {
		snprintf(why, len, "backend reported no %s time",
			 oc->ready_ms < 0 ? "READY" : "exit");
		return;
	}
	hvc_bench_sample_add_metric(s, "ready_ms", oc->ready_ms);
	hvc_bench_sample_add_metric(s, "exit_ms", oc->exit_ms);
}

static void judge_footprint(struct hvc_bench_sample *s, const struct sample_state *st, char *why,
			    size_t len)
{
	if (!st->ready_seen) {
		snprintf(why, len, "backend gave no READY event to measure at");
	} else if (!st->idle_ok) {
		snprintf(why, len, "memory not readable: %s",
			 st->idle_error[0] ? st->idle_error : "no process or cgroup");
	} else {
		add_mem_metrics(s, &st->idle, "");
		s->memory_nprocs = (int)st->idle.nprocs;
	}
}

static char *dup_key(json_object *res, const char *key)
{
	const char *v = hvc_json_get_string(res, key);
	return v ? hvc_xstrdup(v) : NULL;
}

/* fileio's description of its storage, from inside the instance. */
static void read_storage(struct hvc_bench_sample_storage *st, json_object *res)
{
	if (!hvc_json_get(res, "fs"))
		return;
	st->present = true;
	st->fs = dup_key(res, "fs");
	st->mount_point = dup_key(res, "mount_point");
	st->mount_source = dup_key(res, "mount_source");
	st->mount_fstype = dup_key(res, "mount_fstype");
	st->mount_options = dup_key(res, "mount_options");
	st->mount_super_options = dup_key(res, "mount_super_options");
	st->mount_volatile = hvc_json_get_bool(res, "mount_volatile", false);
	st->mount_sync = hvc_json_get_bool(res, "mount_sync", false);
	st->direct = hvc_json_get_bool(res, "direct", false);
	st->direct_mode = dup_key(res, "direct_mode");
	st->direct_fallback = dup_key(res, "direct_fallback");
}

/* The floor: measured_s as the workload reports it, held to the workload's
 * min_seconds; a sample below it (or that cannot say) fails. */
static void check_floor(struct hvc_bench_sample *s, const struct hvc_bench_workload *w,
			json_object *res, char *why, size_t len)
{
	s->floor_checked = true;
	s->floor_s = w->min_seconds;
	s->measured_s = hvc_json_get_double(res, "measured_s", -1);
	s->repeats = hvc_json_get_int(res, "repeats", -1);
	if (why[0] || w->min_seconds <= 0)
		return;
	if (s->measured_s < 0)
		snprintf(why, len,
			 "the result has no measured_s: the floor of %g s cannot be checked",
			 w->min_seconds);
	else if (s->measured_s < w->min_seconds)
		snprintf(why, len, "measured %.3f s, below the floor of %g s", s->measured_s,
			 w->min_seconds);
}

static void judge_throughput(struct hvc_bench_sample *s, const struct hvc_bench_workload *w,
			     json_object *res, const struct sample_state *st, char *why, size_t len)
{
	for (size_t i = 0; i < w->n_metrics; i++) {
		json_object *v = hvc_json_get(res, w->metrics[i].key);
		double d = v ? json_object_get_double(v) : NAN;
		if (!v ||
		    !(json_object_is_type(v, json_type_double) ||
		      json_object_is_type(v, json_type_int)) ||
		    !isfinite(d) || d <= 0) {
			snprintf(why, len, "workload result has no valid \"%s\"",
				 w->metrics[i].key);
			break;
		}
		hvc_bench_sample_add_metric(s, w->metrics[i].key, d);
	}
	check_floor(s, w, res, why, len);
	read_storage(&s->storage, res);
	if (hvc_json_get(res, "llc_bytes")) {
		s->have_llc = true;
		s->llc_bytes = hvc_json_get_int(res, "llc_bytes", -1);
		s->exceeds_llc = hvc_json_get_bool(res, "exceeds_llc", false);
	}
	if (st->sampler.n_reads > 0)
		add_mem_metrics(s, &st->sampler.peak, "peak_");
	else
		s->memory_note =
		    hvc_xstrdup(st->sampler.last_error[0] ? st->sampler.last_error
							  : "no live handles from the backend");
}

/* The packet path the client saw, held to the one the backend expects:
 * a container meant to be on the bridge that talked over loopback measured
 * something else. */
static void judge_path(struct hvc_bench_sample_net *n, json_object *res, char *why, size_t len)
{
	n->path = dup_key(res, "path");
	n->interface = dup_key(res, "interface");
	n->driver = dup_key(res, "interface_driver");
	n->peer_address = dup_key(res, "peer_address");
	n->local_address = dup_key(res, "local_address");
	const char *pp = hvc_bench_net_packet_path(n->path);
	n->packet_path = pp ? hvc_xstrdup(pp) : NULL;
	if (why[0] || !n->expected_path)
		return;
	if (!n->packet_path)
		snprintf(why, len, "the workload's line has no \"path\"");
	else if (strcmp(n->packet_path, n->expected_path))
		snprintf(why, len, "packets took %s (interface %s), the backend expects %s",
			 n->packet_path, n->interface ?: "?", n->expected_path);
}

/* The workload's own words are usually the real reason: the last line of
 * its stderr joins the message. */
static void append_stderr(char *why, size_t len, const struct hvc_bench_outcome *oc)
{
	const char *se = hvc_json_get_string(oc->extra, "stderr");
	if (!se || !*se || strstr(why, se))
		return;
	_cleanup_free_ char *t = hvc_xstrdup(se);
	char *line = hvc_str_trim(t), *nl;
	while ((nl = strrchr(line, '\n')) && nl[1] == '\0')
		*nl = '\0';
	if ((nl = strrchr(line, '\n')))
		line = nl + 1;
	size_t l = strlen(why);
	snprintf(why + l, len - l, ": %s", line);
}

static void fail(struct hvc_bench_sample *s, const char *why)
{
	for (size_t i = 0; i < s->n_metrics; i++)
		free(s->metrics[i].key);
	s->n_metrics = 0;
	s->ok = false;
	s->error = hvc_xstrdup(why);
}

/* Fills the sample's metrics, or marks it failed with the reason. */
static void judge(struct hvc_bench_sample *s, const struct hvc_bench_workload *w,
		  const struct hvc_bench_outcome *oc, const struct sample_state *st)
{
	char why[1024] = "";
	_cleanup_json_ json_object *res = workload_line(oc->output, &s->output);
	s->ok = true;
	if (!output_failed(res, oc, why, sizeof(why))) {
		switch (w->kind) {
		case HVC_BENCH_STARTUP:
			judge_startup(s, oc, why, sizeof(why));
			break;
		case HVC_BENCH_FOOTPRINT:
			judge_footprint(s, st, why, sizeof(why));
			break;
		case HVC_BENCH_THROUGHPUT:
			judge_throughput(s, w, res, st, why, sizeof(why));
			break;
		case HVC_BENCH_NETWORK:
			judge_throughput(s, w, res, st, why, sizeof(why));
			judge_path(&s->net, res, why, sizeof(why));
			break;
		}
	}
	if (!why[0])
		return;
	append_stderr(why, sizeof(why), oc);
	fail(s, why);
	if (!s->output && oc->output && oc->output[0]) {
		/* keep what it printed: the reason is often there */
		size_t len = strlen(oc->output);
		s->output =
		    hvc_xstrdup(len > OUTPUT_TAIL ? oc->output + len - OUTPUT_TAIL : oc->output);
	}
}

/* ---------- one sample ---------------------------------------------------- */

/* The backend's facts move into the sample (ownership included). */
static void keep_outcome(struct hvc_bench_sample *s, struct hvc_bench_outcome *oc)
{
	s->phases = steal_pointer(&oc->phases);
	s->accelerator = steal_pointer(&oc->accelerator);
	s->extra = steal_pointer(&oc->extra);
}

/* Runs the instance and judges it (the request is complete). */
static void run_and_judge(struct hvc_bench_ctx *ctx, const struct hvc_bench_backend *b,
			  const struct hvc_bench_workload *w, struct hvc_bench_req *req,
			  struct sample_state *st, struct hvc_bench_sample *s)
{
	struct hvc_bench_outcome oc = {.ready_ms = -1, .exit_ms = -1};
	struct hvc_error err = {0};
	req->event = on_event;
	req->opaque = st;
	int r = b->run(ctx, req, &oc, &err);
	sampler_stop(&st->sampler);
	if (r < 0) {
		s->ok = false;
		s->error = hvc_xstrdup(err.msg[0] ? err.msg : "backend failed");
	} else {
		s->ran = true;
		s->exit_status = oc.exit_status;
		judge(s, w, &oc, st);
	}
	keep_outcome(s, &oc);
	hvc_bench_outcome_clear(&oc);
}

void hvc_bench_sample_judge_part(const struct hvc_bench_workload *w, struct hvc_bench_outcome *oc,
				 const char *peer_error, const struct hvc_bench_mem *peak,
				 struct hvc_bench_sample *s)
{
	struct sample_state st = {.w = w};
	if (peak) {
		st.sampler.peak = *peak;
		st.sampler.n_reads = 1;
	} else {
		snprintf(st.sampler.last_error, sizeof(st.sampler.last_error),
			 "shared boot: no memory read of QEMU fell within this workload's part of "
			 "the boot");
	}
	s->workload = w->name;
	s->memory_nprocs = -1;
	s->ran = true;
	s->exit_status = oc->exit_status;
	judge(s, w, oc, &st);
	if (s->ok && peer_error && *peer_error)
		fail(s, peer_error);
	keep_outcome(s, oc);
}

static void net_unavailable(struct hvc_bench_sample *s, const char *reason)
{
	s->ok = false;
	s->net.unavailable = hvc_xstrdup(reason);
	s->error = hvc_xasprintf("no network sample on this backend: %s", reason);
}

/* A network sample: the peer first (where the backend reaches the host),
 * the client with --server pointing at it, then the peer's own counts. */
static void take_network(struct hvc_bench_ctx *ctx, const struct hvc_bench_backend *b,
			 const struct hvc_bench_workload *w, struct hvc_bench_req *req,
			 struct sample_state *st, struct hvc_bench_sample *s)
{
	char addr[64] = "", reason[512] = "";
	const char *expected = NULL;
	s->net.present = true;
	s->net.server_exit = -1;
	s->net.server_connections = s->net.server_runs = -1;
	if (!b->net_peer) {
		net_unavailable(s, "the backend has no network set-up for a host peer");
		return;
	}
	if (b->net_peer(ctx, addr, sizeof(addr), &expected, reason, sizeof(reason)) != 1) {
		net_unavailable(s, reason);
		return;
	}
	s->net.expected_path = hvc_xstrdup(expected);
	struct hvc_bench_net_server srv;
	struct hvc_error err = {0};
	if (hvc_bench_net_server_start(ctx, addr, &srv, &err) < 0) {
		s->ok = false;
		s->error = hvc_xasprintf("net-server on %s: %s", addr, err.msg);
		hvc_bench_net_server_clear(&srv);
		return;
	}
	s->net.server_listen = hvc_xstrdup(srv.listen);
	_cleanup_strv_ char **argv = hvc_strv_dup(w->args);
	hvc_strv_push(&argv, "--server");
	hvc_strv_push(&argv, srv.listen);
	req->argv = argv;
	req->network = true;
	run_and_judge(ctx, b, w, req, st, s);
	char why[512];
	hvc_bench_net_server_stop(&srv, why, sizeof(why));
	s->net.server_exit = srv.exit_status;
	s->net.server_exit_reason = srv.exit_reason[0] ? hvc_xstrdup(srv.exit_reason) : NULL;
	s->net.server_connections = srv.connections;
	s->net.server_runs = srv.runs;
	if (s->ok && why[0]) {
		fail(s, why);
	}
	hvc_bench_net_server_clear(&srv);
}

/* Before a disk sample: wait for the file system to write back and commit
 * what the samples before it left (their deleted files' discards on a disk
 * mounted `discard`, a peer's removed bundle), so this sample does not pay
 * for them. Best effort: a failure only costs fairness, never the sample. */
static void settle_storage(const struct hvc_bench_ctx *ctx)
{
	const char *dir = ctx->scratch_dir ? ctx->scratch_dir : ctx->work_dir;
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	(void)syncfs(fd);
	close(fd);
}

void hvc_bench_sample_take(struct hvc_bench_ctx *ctx, const struct hvc_bench_backend *b,
			   const struct hvc_bench_workload *w, struct hvc_bench_sample *s)
{
	struct sample_state st = {.w = w};
	char tag[64];
	snprintf(tag, sizeof(tag), "hvcbench-%d-%zu", (int)getpid(), s->seq);
	struct hvc_bench_req req = {
	    .image = ctx->image,
	    .argv = w->args,
	    .cpus = ctx->cpus,
	    .timeout_ms = w->timeout_s * 1000,
	    .tag = tag,
	    .scratch_disk = w->scratch_disk,
	    .scratch_host = w->scratch_disk && !ctx->fileio_on_overlay ? ctx->scratch_dir : NULL,
	};
	s->backend = b->name;
	s->workload = w->name;
	s->memory_nprocs = -1;
	if (w->scratch_disk)
		settle_storage(ctx);
	hvc_wall_iso8601(s->time, sizeof(s->time));
	if (w->kind == HVC_BENCH_NETWORK)
		take_network(ctx, b, w, &req, &st, s);
	else
		run_and_judge(ctx, b, w, &req, &st, s);
}
