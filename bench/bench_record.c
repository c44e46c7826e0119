/* bench/bench_record: the one serialiser of a run — the typed record the
 * runner fills while it measures (struct hvc_bench_record) becomes
 * results.json here and nowhere else (docs/results-schema.md; key order as
 * the schema page lists it). */
#include "bench_internal.h"
#include <string.h>

#ifndef HVC_VERSION
#define HVC_VERSION "unknown"
#endif

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* ---------- workloads and their metric definitions ----------------------- */

static const char *kind_name(enum hvc_bench_kind k)
{
	return k == HVC_BENCH_STARTUP	  ? "startup"
	       : k == HVC_BENCH_FOOTPRINT ? "footprint"
	       : k == HVC_BENCH_NETWORK	  ? "network"
					  : "throughput";
}

void hvc_bench_metric_def(json_object *arr, const char *key, const char *unit, const char *better,
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
	    {"rss_mib", "RSS summed over the instance's host processes"},
	    {"pss_mib", "PSS summed over the instance's host processes"},
	    {"uss_mib", "USS (private pages) summed over the instance's host processes"},
	    {"cgroup_mib", "cgroup memory charge"},
	    {"cgroup_net_mib", "cgroup memory charge minus inactive_file (reclaimable page cache)"},
	};
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		char k[64], w[256];
		snprintf(k, sizeof(k), "%s%s", prefix, defs[i].key);
		snprintf(w, sizeof(w), "%s, %s", defs[i].what, when);
		hvc_bench_metric_def(arr, k, "MiB", "lower", w);
	}
}

static json_object *metric_defs_json(const struct hvc_bench_workload *w)
{
	json_object *ms = json_object_new_array();
	switch (w->kind) {
	case HVC_BENCH_STARTUP:
		hvc_bench_metric_def(ms, "ready_ms", "ms", "lower",
			       "request to READY, host monotonic clock");
		hvc_bench_metric_def(ms, "exit_ms", "ms", "lower", "request to exit seen by the host");
		break;
	case HVC_BENCH_FOOTPRINT:
		add_mem_defs(ms, "", "idle instance, 0.5 s after READY");
		break;
	case HVC_BENCH_THROUGHPUT:
	case HVC_BENCH_NETWORK:
		for (size_t i = 0; i < w->n_metrics; i++)
			hvc_bench_metric_def(ms, w->metrics[i].key, w->metrics[i].unit,
				       w->metrics[i].better == HVC_BETTER_HIGHER ? "higher"
										 : "lower",
				       "the workload's own figure");
		add_mem_defs(ms, "peak_", "peak while the workload ran (sampled every 100 ms)");
		break;
	}
	return ms;
}

static json_object *workload_json(const struct hvc_bench_workload_entry *e)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "name", e->w->name);
	hvc_json_add_string(o, "kind", kind_name(e->w->kind));
	json_object_object_add(o, "args", strv_json(e->w->args));
	hvc_json_add_int(o, "reps", e->reps);
	hvc_json_add_int(o, "warmup", e->warmup);
	if (e->w->kind == HVC_BENCH_THROUGHPUT || e->w->kind == HVC_BENCH_NETWORK)
		hvc_json_add_double(o, "min_seconds", e->w->min_seconds);
	json_object_object_add(o, "metrics", metric_defs_json(e->w));
	return o;
}

/* ---------- backends ----------------------------------------------------- */

static json_object *size_json(const struct hvc_bench_size *z)
{
	json_object *o = json_object_new_object();
#define F(name)                                                                                    \
	if (z->name >= 0)                                                                          \
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

static json_object *storage_json(const struct hvc_bench_storage *st)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "kind", st->kind);
	hvc_json_add_string(o, "path", st->path);
	hvc_json_add_string(o, "host_path", st->host_path);
	hvc_json_add_string(o, "how", st->how);
	hvc_json_add_string(o, "disk_bus", st->disk_bus);
	hvc_json_add_string(o, "disk_format", st->disk_format);
	hvc_json_add_string(o, "disk_cache", st->disk_cache);
	hvc_json_add_string(o, "disk_io", st->disk_io);
	return o;
}

static json_object *backend_json(const struct hvc_bench_backend_entry *e)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "name", e->b->name);
	hvc_json_add_string(o, "summary", e->b->summary);
	hvc_json_add_bool(o, "available", e->available);
	if (!e->available) {
		hvc_json_add_string(o, "reason", e->reason);
		return o;
	}
	if (e->size_ok) {
		json_object_object_add(o, "image_size", size_json(&e->size));
	} else {
		json_object *zo = json_object_new_object();
		hvc_json_add_string(
		    zo, "error", e->size_error[0] ? e->size_error : "not measured by this backend");
		json_object_object_add(o, "image_size", zo);
	}
	if (e->have_storage)
		json_object_object_add(o, "storage", storage_json(&e->storage));
	return o;
}

/* ---------- samples ------------------------------------------------------ */

static json_object *sample_storage_json(const struct hvc_bench_sample_storage *st)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "fs", st->fs);
	hvc_json_add_string(o, "mount_point", st->mount_point);
	hvc_json_add_string(o, "mount_source", st->mount_source);
	hvc_json_add_string(o, "mount_fstype", st->mount_fstype);
	hvc_json_add_string(o, "mount_options", st->mount_options);
	hvc_json_add_string(o, "mount_super_options", st->mount_super_options);
	hvc_json_add_bool(o, "volatile", st->mount_volatile);
	hvc_json_add_bool(o, "sync", st->mount_sync);
	hvc_json_add_bool(o, "direct", st->direct);
	hvc_json_add_string(o, "direct_mode", st->direct_mode);
	hvc_json_add_string(o, "direct_fallback", st->direct_fallback);
	return o;
}

/* A network sample: the packet path and the host peer's side. */
static json_object *sample_net_json(const struct hvc_bench_sample_net *n)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "unavailable", n->unavailable);
	hvc_json_add_string(o, "expected_path", n->expected_path);
	hvc_json_add_string(o, "packet_path", n->packet_path);
	hvc_json_add_string(o, "path", n->path);
	hvc_json_add_string(o, "interface", n->interface);
	hvc_json_add_string(o, "interface_driver", n->driver);
	hvc_json_add_string(o, "peer_address", n->peer_address);
	hvc_json_add_string(o, "local_address", n->local_address);
	hvc_json_add_string(o, "server", n->server_listen);
	if (n->server_exit >= 0)
		hvc_json_add_int(o, "server_exit_status", n->server_exit);
	hvc_json_add_string(o, "server_exit_reason", n->server_exit_reason);
	if (n->server_connections >= 0)
		hvc_json_add_int(o, "server_connections", n->server_connections);
	if (n->server_runs >= 0)
		hvc_json_add_int(o, "server_runs", n->server_runs);
	return o;
}

/* The floor, the measured time and the LLC, for the samples that carry them. */
static void add_measured(json_object *o, const struct hvc_bench_sample *s)
{
	if (s->floor_checked) {
		hvc_json_add_double(o, "min_seconds", s->floor_s);
		if (s->measured_s >= 0)
			hvc_json_add_double(o, "measured_s", s->measured_s);
		if (s->repeats >= 0)
			hvc_json_add_int(o, "repeats", s->repeats);
	}
	if (s->have_llc) {
		hvc_json_add_int(o, "llc_bytes", s->llc_bytes);
		hvc_json_add_bool(o, "exceeds_llc", s->exceeds_llc);
	}
	if (s->storage.present)
		json_object_object_add(o, "storage", sample_storage_json(&s->storage));
	if (s->net.present)
		json_object_object_add(o, "network", sample_net_json(&s->net));
}

static json_object *sample_json(const struct hvc_bench_sample *s)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "backend", s->backend);
	hvc_json_add_string(o, "workload", s->workload);
	hvc_json_add_int(o, "rep", s->rep);
	hvc_json_add_bool(o, "warmup", s->warmup);
	hvc_json_add_int(o, "seq", (int64_t)s->seq);
	hvc_json_add_string(o, "time", s->time);
	if (s->ran)
		hvc_json_add_int(o, "exit_status", s->exit_status);
	json_object *m = json_object_new_object();
	for (size_t i = 0; i < s->n_metrics; i++)
		hvc_json_add_double(m, s->metrics[i].key, s->metrics[i].value);
	json_object_object_add(o, "metrics", m);
	add_measured(o, s);
	hvc_json_add_string(o, "output", s->output);
	if (s->memory_nprocs >= 0)
		hvc_json_add_int(o, "memory_nprocs", s->memory_nprocs);
	hvc_json_add_string(o, "memory_note", s->memory_note);
	hvc_json_add_string(o, "status", s->ok ? "ok" : "failed");
	if (!s->ok)
		hvc_json_add_string(o, "error", s->error ? s->error : "backend failed");
	if (s->phases)
		json_object_object_add(o, "phases", json_object_get(s->phases));
	hvc_json_add_string(o, "accelerator", s->accelerator);
	if (s->extra && json_object_object_length(s->extra) > 0)
		json_object_object_add(o, "extra", json_object_get(s->extra));
	return o;
}

/* ---------- the document ------------------------------------------------- */

static json_object *load_json(const struct hvc_bench_record *r)
{
	json_object *load = json_object_new_object();
	hvc_json_add_double(load, "loadavg_1m_before", r->load_before);
	hvc_json_add_double(load, "threshold", r->load_threshold);
	hvc_json_add_bool(load, "quiet", r->load_quiet);
	hvc_json_add_string(load, "warning", r->load_warning);
	hvc_json_add_double(load, "loadavg_1m_after", r->load_after);
	return load;
}

static json_object *config_json(const struct hvc_bench_record *r)
{
	json_object *c = json_object_new_object();
	hvc_json_add_string(c, "image", r->image);
	hvc_json_add_string(c, "cpus", r->cpus);
	hvc_json_add_string(
	    c, "pinning",
	    "native/runc/crun: sched_setaffinity before exec; container: cpuset cgroup; "
	    "vm: vCPU and emulator threads pinned (libvirt cpuset)");
	hvc_json_add_int(c, "reps", r->reps);
	hvc_json_add_int(c, "warmup", r->warmup);
	hvc_json_add_string(c, "fileio_on", r->fileio_on);
	hvc_json_add_string(c, "order",
			    "ABAB: within each repetition every backend runs once, the list "
			    "order rotated by one each repetition");
	json_object_object_add(c, "backends", strv_json(r->backend_names));
	if (r->suite_definition)
		json_object_object_add(c, "suite_definition", json_object_get(r->suite_definition));
	if (r->cmdline)
		json_object_object_add(c, "command_line", strv_json(r->cmdline));
	hvc_json_add_string(c, "workload_binary", r->workload_bin);
	hvc_json_add_string(c, "bench_image", r->bench_image);
	hvc_json_add_string(c, "bench_image_digest", r->bench_image_digest);
	hvc_json_add_string(c, "bench_image_error", r->bench_image_error);
	return c;
}

static json_object *commands_json(const struct hvc_bench_record *r)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < r->n_commands; i++) {
		json_object *c = json_object_new_object();
		hvc_json_add_string(c, "backend", r->commands[i].backend);
		hvc_json_add_string(c, "workload", r->commands[i].workload);
		hvc_json_add_string(c, "command", r->commands[i].command);
		json_object_array_add(a, c);
	}
	return a;
}

json_object *hvc_bench_record_json(const struct hvc_bench_record *r)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "schema", HVC_BENCH_SCHEMA);
	hvc_json_add_int(o, "schema_version", HVC_BENCH_SCHEMA_VERSION);
	hvc_json_add_string(o, "run_id", r->run_id);
	hvc_json_add_string(o, "suite", r->suite);
	hvc_json_add_string(o, "started", r->started);
	hvc_json_add_string(o, "hvc_version", HVC_VERSION);
	json_object_object_add(o, "host", json_object_get(r->host));
	json_object_object_add(o, "load", load_json(r));
	json_object_object_add(o, "config", config_json(r));
	json_object *bs = json_object_new_array(), *ws = json_object_new_array(),
		    *ss = json_object_new_array();
	for (size_t i = 0; i < r->n_backends; i++)
		json_object_array_add(bs, backend_json(&r->backends[i]));
	for (size_t i = 0; i < r->n_workloads; i++)
		json_object_array_add(ws, workload_json(&r->workloads[i]));
	for (size_t i = 0; i < r->n_samples; i++)
		json_object_array_add(ss, sample_json(&r->samples[i]));
	json_object_object_add(o, "backends", bs);
	json_object_object_add(o, "workloads", ws);
	json_object_object_add(o, "commands", commands_json(r));
	json_object_object_add(o, "samples", ss);
	if (r->interrupted)
		hvc_json_add_bool(o, "interrupted", true);
	hvc_json_add_string(o, "finished", r->finished);
	hvc_json_add_double(o, "duration_s", r->duration_s);
	return o;
}

/* ---------- ownership ---------------------------------------------------- */

void hvc_bench_sample_add_metric(struct hvc_bench_sample *s, const char *key, double value)
{
	s->metrics = hvc_xrealloc(s->metrics, s->n_metrics + 1, sizeof(*s->metrics));
	s->metrics[s->n_metrics++] =
	    (struct hvc_bench_metric){.key = hvc_xstrdup(key), .value = value};
}

void hvc_bench_storage_clear(struct hvc_bench_storage *st)
{
	free(st->host_path);
	free(st->how);
	free(st->disk_bus);
	free(st->disk_format);
	free(st->disk_cache);
	free(st->disk_io);
	memset(st, 0, sizeof(*st));
}

static void sample_storage_clear(struct hvc_bench_sample_storage *st)
{
	free(st->fs);
	free(st->mount_point);
	free(st->mount_source);
	free(st->mount_fstype);
	free(st->mount_options);
	free(st->mount_super_options);
	free(st->direct_mode);
	free(st->direct_fallback);
}

static void sample_net_clear(struct hvc_bench_sample_net *n)
{
	free(n->unavailable);
	free(n->expected_path);
	free(n->packet_path);
	free(n->path);
	free(n->interface);
	free(n->driver);
	free(n->peer_address);
	free(n->local_address);
	free(n->server_listen);
	free(n->server_exit_reason);
}

void hvc_bench_sample_clear(struct hvc_bench_sample *s)
{
	sample_storage_clear(&s->storage);
	sample_net_clear(&s->net);
	for (size_t i = 0; i < s->n_metrics; i++)
		free(s->metrics[i].key);
	free(s->metrics);
	free(s->error);
	free(s->output);
	free(s->memory_note);
	free(s->accelerator);
	json_object_put(s->phases);
	json_object_put(s->extra);
	memset(s, 0, sizeof(*s));
}

void hvc_bench_record_clear(struct hvc_bench_record *r)
{
	for (size_t i = 0; i < r->n_samples; i++)
		hvc_bench_sample_clear(&r->samples[i]);
	for (size_t i = 0; i < r->n_commands; i++)
		free(r->commands[i].command);
	for (size_t i = 0; i < r->n_backends; i++)
		hvc_bench_storage_clear(&r->backends[i].storage);
	free(r->samples);
	free(r->commands);
	free(r->backends);
	free(r->workloads);
	free(r->run_id);
	free(r->load_warning);
	free(r->bench_image);
	free(r->bench_image_digest);
	free(r->bench_image_error);
	json_object_put(r->host);
	memset(r, 0, sizeof(*r));
}
