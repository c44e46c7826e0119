/* bench/density_json: the one place the sweep's typed results become
 * density.json (schema "hvc-density-results", docs/results-schema.md). The
 * sweep measures into structs (density_internal.h); the report, results.json
 * and `hvc plan` read the file this writes. Key order is part of the file. */
#include "density_internal.h"
#include <math.h>

#ifndef HVC_VERSION
#define HVC_VERSION "unknown"
#endif

static json_object *ints_json(const int *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int(v[i]));
	return a;
}

static json_object *instance_json(const struct density_inst_record *in)
{
	json_object *io = json_object_new_object();
	hvc_json_add_string(io, "name", in->name);
	hvc_json_add_string(io, "id", in->id);
	if (in->started_ms >= 0)
		hvc_json_add_double(io, "started_ms", in->started_ms);
	if (in->ready_ms >= 0)
		hvc_json_add_double(io, "ready_ms", in->ready_ms);
	if (in->hvc_start_ms > 0)
		hvc_json_add_double(io, "hvc_start_ms", in->hvc_start_ms);
	if (in->pid > 0)
		hvc_json_add_int(io, "pid", in->pid);
	if (in->sup_cpu_ms >= 0)
		hvc_json_add_double(io, "supervisor_cpu_ms", in->sup_cpu_ms);
	hvc_json_add_string(io, "state", in->failed ? "failed" : "running");
	return io;
}

static json_object *failure_json(const struct density_failure *f)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "instance", f->instance);
	hvc_json_add_string(o, "kind", f->kind ? f->kind : "exited");
	hvc_json_add_string(o, "reason", f->reason);
	hvc_json_add_string(o, "when", f->when);
	return o;
}

static json_object *throughput_json(const struct density_step *s, const char *metric)
{
	json_object *tp = json_object_new_object();
	hvc_json_add_string(tp, "metric", metric);
	hvc_json_add_string(tp, "unit", "MB/s");
	hvc_json_add_int(tp, "reporting", s->tp_reporting);
	if (s->tp_reporting) {
		hvc_json_add_double(tp, "aggregate", s->tp_sum);
		hvc_json_add_double(tp, "per_instance_mean", s->tp_sum / s->tp_reporting);
		hvc_json_add_double(tp, "per_instance_min", s->tp_min);
		hvc_json_add_double(tp, "per_instance_max", s->tp_max);
	}
	return tp;
}

static void step_memory_json(json_object *sj, const struct density_step *s)
{
	hvc_json_add_int(sj, "host_used_bytes", (int64_t)s->host_used);
	hvc_json_add_int(sj, "host_used_delta_bytes", (int64_t)s->delta);
	hvc_json_add_int(sj, "pss_sum_bytes", (int64_t)s->tot.pss_kib * 1024);
	hvc_json_add_int(sj, "rss_sum_bytes", (int64_t)s->tot.rss_kib * 1024);
	hvc_json_add_int(sj, "uss_sum_bytes", (int64_t)s->tot.uss_kib * 1024);
	if (s->tot.have_cgroup)
		hvc_json_add_int(sj, "cgroup_sum_bytes", (int64_t)s->tot.cg_bytes);
	if (s->ovt.have_procs) {
		hvc_json_add_int(sj, "supervisor_pss_sum_bytes", (int64_t)s->ovt.pss_kib * 1024);
		hvc_json_add_int(sj, "supervisor_rss_sum_bytes", (int64_t)s->ovt.rss_kib * 1024);
	}
	hvc_json_add_int(sj, "processes", s->tot.nprocs);
	hvc_json_add_int(sj, "measured_instances", s->n_measured);
	if (s->has_marginal) {
		hvc_json_add_double(sj, "marginal_host_bytes", s->marginal_host);
		hvc_json_add_double(sj, "marginal_pss_bytes", s->marginal_pss);
	}
}

static json_object *step_json(const struct density_step *s, const char *metric)
{
	json_object *sj = json_object_new_object();
	hvc_json_add_int(sj, "n", s->n);
	hvc_json_add_int(sj, "added", s->added);
	hvc_json_add_int(sj, "running", s->running);
	hvc_json_add_double(sj, "start_all_ms", s->start_all_ms);
	hvc_json_add_double(sj, "slowest_ready_ms", s->n_ready ? s->slowest_ready_ms : NAN);
	if (s->n_ready)
		hvc_json_add_double(sj, "mean_ready_ms", s->sum_ready_ms / s->n_ready);
	step_memory_json(sj, s);
	hvc_json_add_double(sj, "window_s", s->window_s);
	hvc_json_add_double(sj, "cpu_cores_used", s->window_s > 0 ? s->cpu_s / s->window_s : NAN);
	if (metric)
		json_object_object_add(sj, "throughput", throughput_json(s, metric));
	json_object *inst = json_object_new_array();
	for (size_t i = 0; i < s->n_inst; i++)
		json_object_array_add(inst, instance_json(&s->inst[i]));
	json_object_object_add(sj, "instances", inst);
	json_object *fails = json_object_new_array();
	for (size_t i = 0; i < s->n_fails; i++)
		json_object_array_add(fails, failure_json(&s->fails[i]));
	json_object_object_add(sj, "failures", fails);
	return sj;
}

static json_object *fit_json(const struct density_fit *f)
{
	json_object *o = json_object_new_object();
	hvc_json_add_int(o, "points", (int64_t)f->points);
	if (f->method) {
		hvc_json_add_string(o, "method", f->method);
		hvc_json_add_double(o, "slope_bytes", f->slope);
		hvc_json_add_double(o, "intercept_bytes", f->intercept);
		if (f->has_r2)
			hvc_json_add_double(o, "r2", f->r2);
	}
	return o;
}

static json_object *cost_json(const struct density_cost_choice *c)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "basis", c->basis);
	hvc_json_add_string(o, "why", c->why);
	if (c->has_slope) {
		hvc_json_add_double(o, "slope_bytes", c->slope);
		hvc_json_add_double(o, "intercept_bytes", c->intercept);
	}
	return o;
}

static json_object *fits_json(const struct density_fits_here *f)
{
	json_object *o = json_object_new_object();
	if (!f->ok) {
		hvc_json_add_string(o, "error", f->err.msg);
		return o;
	}
	hvc_json_add_int(o, "by_memory", f->e.by_memory);
	hvc_json_add_int(o, "by_cpu", f->e.by_cpu);
	hvc_json_add_int(o, "expected", f->e.expected);
	hvc_json_add_string(o, "limit", f->e.limit);
	hvc_json_add_bool(o, "extrapolated", f->e.beyond_measured);
	return o;
}

static json_object *backend_json(const struct density_backend_result *r, const char *metric)
{
	json_object *bj = json_object_new_object();
	hvc_json_add_string(bj, "name", r->name);
	hvc_json_add_bool(bj, "available", r->available);
	if (!r->available) {
		hvc_json_add_string(bj, "reason", r->reason);
		return bj;
	}
	hvc_json_add_int(bj, "max", r->plan.max);
	json_object_object_add(bj, "planned_steps", ints_json(r->plan.steps, r->plan.n_steps));
	json_object *steps = json_object_new_array();
	for (size_t k = 0; k < r->n_steps; k++)
		json_object_array_add(steps, step_json(&r->steps[k], metric));
	json_object_object_add(bj, "steps", steps);
	hvc_json_add_int(bj, "baseline_used_bytes", (int64_t)r->baseline_used);
	hvc_json_add_string(bj, "stop_reason", r->stop);
	hvc_json_add_int(bj, "max_measured", r->max_measured);
	hvc_json_add_double(bj, "teardown_ms", r->teardown_ms);
	json_object_object_add(bj, "memory_fit", fit_json(&r->memory_fit));
	json_object_object_add(bj, "pss_fit", fit_json(&r->pss_fit));
	json_object_object_add(bj, "accounted_fit", fit_json(&r->accounted_fit));
	json_object_object_add(bj, "cost", cost_json(&r->cost));
	if (r->cpu_share >= 0)
		hvc_json_add_double(bj, "cpu_share_cores", r->cpu_share);
	if (r->accelerator)
		hvc_json_add_string(bj, "accelerator", r->accelerator);
	json_object_object_add(bj, "fits", fits_json(&r->fits));
	return bj;
}

static json_object *config_json(const struct density_run *r)
{
	const struct hvc_density_opts *o = r->o;
	json_object *cfg = json_object_new_object();
	hvc_json_add_string(cfg, "image", r->base_image);
	hvc_json_add_string(cfg, "bench_image", r->bench_image);
	hvc_json_add_string(cfg, "bench_image_digest", r->bench_digest);
	hvc_json_add_string(cfg, "workload", r->workload);
	json_object_object_add(cfg, "command", hvc_json_strv_array(r->cmd));
	hvc_json_add_int(cfg, "instance_mem_bytes", (int64_t)r->instance_mem);
	hvc_json_add_int(cfg, "budget_bytes", (int64_t)r->budget);
	hvc_json_add_string(cfg, "budget_source", r->budget_source);
	hvc_json_add_int(cfg, "max", o->max);
	hvc_json_add_bool(cfg, "quick", o->quick);
	json_object_object_add(cfg, "steps", ints_json(o->steps, o->n_steps));
	hvc_json_add_string(cfg, "connect", r->uri);
	hvc_json_add_bool(cfg, "ksm_requested", o->ksm);
	json_object_object_add(cfg, "backends", hvc_json_strv_array(r->backends));
	if (o->cmdline)
		json_object_object_add(cfg, "command_line", hvc_json_strv_array(o->cmdline));
	return cfg;
}

static json_object *ksm_json(const struct density_run *r)
{
	json_object *kj = json_object_new_object();
	hvc_json_add_bool(kj, "present", r->ksm.present);
	hvc_json_add_int(kj, "run_before", r->ksm.run_before);
	hvc_json_add_bool(kj, "on_during_run", r->ksm_on_during_run);
	hvc_json_add_bool(kj, "turned_on_by_hvc", r->ksm_turned_on);
	hvc_json_add_int(kj, "pages_sharing_end", r->ksm_pages_sharing_end);
	hvc_json_add_int(kj, "pages_shared_end", r->ksm_pages_shared_end);
	hvc_json_add_bool(kj, "restored", r->ksm_restored);
	return kj;
}

json_object *hvc_density_run_json(const struct density_run *r)
{
	json_object *doc = json_object_new_object();
	hvc_json_add_string(doc, "schema", HVC_DENSITY_SCHEMA);
	hvc_json_add_int(doc, "schema_version", HVC_DENSITY_SCHEMA_VERSION);
	hvc_json_add_string(doc, "run_id", r->run_id);
	hvc_json_add_string(doc, "started", r->started);
	hvc_json_add_string(doc, "hvc_version", HVC_VERSION);
	json_object_object_add(doc, "host", json_object_get(r->host));
	json_object_object_add(doc, "config", config_json(r));
	json_object *mem = json_object_new_object();
	hvc_json_add_int(mem, "mem_total_bytes", (int64_t)r->mi0.total);
	hvc_json_add_int(mem, "mem_available_start_bytes", (int64_t)r->mi0.available);
	hvc_json_add_int(mem, "cpus_online", r->cpus);
	json_object_object_add(doc, "memory", mem);
	json_object_object_add(doc, "ksm", ksm_json(r));
	const char *metric = density_workload_metric(r->workload);
	json_object *bs = json_object_new_array();
	for (size_t i = 0; i < r->n_results; i++)
		json_object_array_add(bs, backend_json(&r->results[i], metric));
	json_object_object_add(doc, "backends", bs);
	if (r->vm_accelerator)
		hvc_json_add_string(doc, "vm_accelerator", r->vm_accelerator);
	hvc_json_add_string(doc, "finished", r->finished);
	hvc_json_add_double(doc, "duration_s", r->duration_s);
	hvc_json_add_bool(doc, "cancelled", r->cancelled);
	return doc;
}
