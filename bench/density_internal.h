/* bench/density_internal: declarations shared by the sweep's own files only —
 * the instance model, the table of density backends (a backend here keeps
 * instances running, unlike the harness's run-to-completion backends), the
 * sweep's pure plan and decisions, and the typed results that one serialiser
 * (density_json.c) turns into density.json.
 * Layers, top down: density_sweep -> density_backends (the table) ->
 * density_backend_{container,vm} -> density_instances. */
#ifndef HVC_DENSITY_INTERNAL_H
#define HVC_DENSITY_INTERNAL_H

#include "bench_internal.h"
#include "hvc/density.h"
#include <pthread.h>

#define DENSITY_RESULTS_KEPT 8

enum density_state {
	DI_LAUNCHED = 0, /* start requested, not yet running */
	DI_STARTED,	 /* host processes exist (container exec'd / domain created) */
	DI_READY,	 /* the workload runs (first line / hvc-init READY) */
	DI_DEAD,	 /* failed to start or died; reason says why */
};

/* One workload result line seen from an instance. */
struct density_result {
	uint64_t t;   /* host monotonic ns when the line arrived */
	double value; /* the workload's throughput figure */
};

struct density_inst {
	int idx;       /* 0.. in start order */
	int step;      /* step index it was added at */
	char name[64]; /* container / domain name */
	char id[80];   /* container id, VM id */
	enum density_state state;
	char reason[512];	     /* DI_DEAD: why (OOM, timeout, libvirt error ...) */
	const char *fail_kind;	     /* "start", "timeout", "oom", "exited", "libvirt" */
	int died_step;		     /* step at which it was found dead (-1 alive) */
	uint64_t t_launch;	     /* monotonic ns of the start request */
	double started_ms, ready_ms; /* from t_launch; < 0 unknown */
	double hvc_start_ms; /* container: hvc_ctr_start up to exec, as the runtime timed it */
	double sup_cpu_ms;   /* container: CPU its supervisor used to start it */
	/* live handles for measurement */
	pid_t main_pid;	 /* container init / QEMU (0 unknown) */
	char memcg[512]; /* memory cgroup directory ("" none) */
	pid_t sup_pid;	 /* container: its hvc supervisor process */
	/* output */
	int status_fd, out_fd; /* container pipes (-1 closed) */
	char status_buf[4096];
	size_t status_len;
	char *line; /* partial output line */
	size_t line_len;
	unsigned n_lines, n_results;
	struct density_result results[DENSITY_RESULTS_KEPT]; /* ring, newest at (n_results-1)%K */
	char *console; /* VM: console log path; read from console_off */
	long console_off;
	/* VM launch thread */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	/* CPU accounting */
	uint64_t cpu_ns_mark;
	bool cpu_mark_ok;
	unsigned n_results_mark; /* n_results when the step's throughput window opened */
	void *priv;
};

struct density_ctx {
	const struct hvc_density_opts *o;
	const char *workload; /* idle, mem, cpu */
	char **cmd;	      /* command each instance runs (in the image) */
	const char *metric;   /* result key for throughput, NULL for idle */
	uint64_t instance_mem;
	char *image;	   /* the benchmark image (base + hvc-workload) */
	char *uri;	   /* libvirt URI (VM side) */
	char *accelerator; /* VMs: "kvm"/"tcg" once known */
	int start_timeout_ms;
	void *priv; /* backend state */
};

struct density_backend {
	const char *name;
	int default_max, quick_max;
	/* 1 when it can run here, else 0 and why. */
	int (*available)(struct density_ctx *ctx, char *reason, size_t len);
	/* Before anything starts: image, boot artifacts; a failure is a clear error. */
	int (*prepare)(struct density_ctx *ctx, struct hvc_error *err);
	/* Requests one instance (must not block for long: returns once launched). */
	int (*launch)(struct density_ctx *ctx, struct density_inst *in, struct hvc_error *err);
	/* Advances every instance's state: reads output, notices READY and death.
	 * Waits at most wait_ms for something to happen. */
	void (*pump)(struct density_ctx *ctx, struct density_inst **v, size_t n, int wait_ms);
	/* Memory of one instance (and its supervisor, counted separately). */
	int (*measure)(struct density_ctx *ctx, struct density_inst *in, struct hvc_bench_mem *m,
		       struct hvc_bench_mem *overhead, uint64_t *cpu_ns);
	/* Tears all down: nothing may be left (container, cgroup, mount, domain). */
	void (*teardown)(struct density_ctx *ctx, struct density_inst **v, size_t n);
	void (*cleanup)(struct density_ctx *ctx);
};

extern const struct density_backend hvc_density_backend_container;
extern const struct density_backend hvc_density_backend_vm;
extern const struct density_backend hvc_density_backend_vm_restore;

/* ---------- the backend table (density_backends.c) ---------------------- */
const struct density_backend *hvc_density_backend_find(const char *name);
/* The table's names, "container, vm", for messages. */
const char *hvc_density_backend_names(void);

/* ---------- options and what the sweep derives (density_options.c) ------ */
/* A plain message (no strerror) with code EINVAL; returns -EINVAL. */
int hvc_density_bad_input(struct hvc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int density_check_run_input(const struct hvc_density_opts *o, char *const *backends,
			    struct hvc_error *err);
const char *density_workload(const struct hvc_density_opts *o);
int density_instance_mem(const struct hvc_density_opts *o, const struct hvc_density_meminfo *mi,
			 uint64_t *out, struct hvc_error *err);
int density_budget(const struct hvc_density_opts *o, const struct hvc_density_meminfo *mi,
		   uint64_t *out, const char **source, struct hvc_error *err);
char **density_workload_command(const char *wl, uint64_t instance_mem);
const char *density_workload_metric(const char *wl);

/* ---------- one instance's bookkeeping (density_instances.c) ------------- */
/* Resets in for a launch as instance idx of step, named after this process. */
void hvc_density_inst_init(struct density_inst *in, const char *backend, int idx, int step);
/* Frees what the instance holds (not the instance itself). */
void hvc_density_inst_release(struct density_inst *in);
/* Feeds output bytes of an instance: lines, READY on the first line, and
 * the workload's result figures (shared by both backends). */
void hvc_density_feed(struct density_ctx *ctx, struct density_inst *in, const char *buf,
		      size_t len);
void hvc_density_mark_dead(struct density_inst *in, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------- typed results (filled by the sweep, serialised by density_json.c) */
struct density_inst_record { /* an instance as it was at the end of its step */
	char name[64], id[80];
	double started_ms, ready_ms, hvc_start_ms, sup_cpu_ms; /* < 0 unknown */
	pid_t pid;					       /* 0 unknown */
	bool failed;
};
struct density_failure {
	char instance[64];
	const char *kind, *when; /* static strings */
	char reason[512];
};
struct density_step {
	int n, added, running, n_ready, n_measured;
	double start_all_ms, slowest_ready_ms, sum_ready_ms; /* from the step's start */
	uint64_t host_used;
	double delta;		       /* host used over the backend's baseline */
	struct hvc_bench_mem tot, ovt; /* instances, their supervisors */
	bool has_marginal;
	double marginal_host, marginal_pss; /* bytes per instance added */
	double window_s, cpu_s;
	int tp_reporting; /* throughput: instances that reported in the window */
	double tp_sum, tp_min, tp_max;
	struct density_inst_record *inst; /* the instances added at this step */
	size_t n_inst;
	struct density_failure *fails; /* found dead at this step */
	size_t n_fails;
};
/* A least-squares line (or a one-step ratio) over the measured steps. */
struct density_fit {
	size_t points;
	const char *method; /* NULL: no line */
	double slope, intercept, r2;
	bool has_r2;
};
/* The per-instance cost planning uses and why (see density_choose_cost). */
struct density_cost_choice {
	const char *basis; /* "host", "pss", "none" */
	char why[256];
	bool has_slope;
	double slope, intercept;
};
/* What fits within the budget on the measured host itself. */
struct density_fits_here {
	bool ok;
	struct hvc_density_estimate e;
	struct hvc_error err; /* !ok: why not */
};

/* ---------- the plan of one backend's sweep (density_sweep_plan.c): pure -- */
struct density_plan {
	int max; /* instances at most */
	int steps[HVC_DENSITY_MAX_STEPS];
	size_t n_steps; /* cumulative counts, the last one <= max */
};
void density_plan_backend(const struct hvc_density_opts *o, int default_max, int quick_max,
			  struct density_plan *p);
/* Before a step: true (and why) when the cost measured so far says that
 * adding `added` instances to delta_now bytes would pass the budget. */
bool density_budget_refuses(double marginal_est, double delta_now, int added, int target,
			    uint64_t budget, char *why, size_t len);
/* After a step: true (and why) when the sweep stops there. */
bool density_step_stops(const struct density_step *s, bool cancelled, uint64_t budget, char *why,
			size_t len);
/* The stop reason of a sweep that ran all its steps. */
void density_stop_completed(const struct hvc_density_opts *o, const struct density_plan *p,
			    char *why, size_t len);
/* The cost per instance to expect at the next step: the last step's cost
 * per instance, or the fitted slope when it is larger. */
double density_marginal_estimate(const double *x, const double *y, size_t n);
void density_fit_points(const double *x, const double *y, size_t n, struct density_fit *f);
void density_choose_cost(const struct density_fit *host, const struct density_fit *accounted,
			 struct density_cost_choice *c);

struct density_backend_result {
	const char *name;
	bool available;
	char reason[1024]; /* !available: why */
	struct density_plan plan;
	struct density_step *steps; /* plan.n_steps allocated */
	size_t n_steps;
	uint64_t baseline_used;
	char stop[1024];
	int max_measured;
	double teardown_ms;
	struct density_fit memory_fit, pss_fit, accounted_fit;
	struct density_cost_choice cost;
	double cpu_share; /* cores per instance; < 0 unmeasured */
	char *accelerator;
	struct density_fits_here fits;
};
void density_backend_result_free(struct density_backend_result *r);
/* The sweep's cost in the planner's terms (error when none was measured). */
int density_result_cost(const struct density_backend_result *r, struct hvc_density_cost *c,
			struct hvc_error *err);

/* Everything density.json records, in the order it records it. */
struct density_run {
	const struct hvc_density_opts *o;
	char *run_id;
	char started[32], finished[32];
	json_object *host; /* the host probe (owned) */
	const char *base_image, *workload, *uri, *budget_source;
	char *bench_image, *bench_digest;
	char **cmd, **backends;
	uint64_t instance_mem, budget;
	struct hvc_density_meminfo mi0;
	long cpus;
	struct hvc_density_ksm ksm;
	bool ksm_on_during_run, ksm_turned_on, ksm_restored;
	int64_t ksm_pages_sharing_end, ksm_pages_shared_end;
	struct density_backend_result *results; /* one per requested backend */
	size_t n_results;
	const char *vm_accelerator;
	double duration_s;
	bool cancelled;
};

/* ---------- serialising (density_json.c) --------------------------------- */
json_object *hvc_density_run_json(const struct density_run *r);

/* Output (bench/density_output.c): density.json -> results.json, report, charts. */
int hvc_density_write_outputs(json_object *d, const char *dir, struct hvc_error *err);

/* The start-up phase chart (bench/density_phases.c): density-phases.* from
 * the first step's instances, drawn when some backend has a phase. */
bool density_has_phases(json_object *d);
int density_phase_chart(json_object *d, const char *dir, char **failures, struct hvc_error *err);

#endif
