/* bench/density: capacity planning — density sweeps (how many instances of
 * one image fit on this host, and what each costs as the host fills up) and
 * the planner that extrapolates the measured costs to another host.
 * Output schema: docs/results-schema.md ("hvc-density-results").
 * Methodology: docs/methodology.md (sharing), docs/scaling.md (several hosts). */
#ifndef HVC_DENSITY_H
#define HVC_DENSITY_H

#include "hvc/util.h"
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define HVC_DENSITY_SCHEMA "hvc-density-results"
#define HVC_DENSITY_SCHEMA_VERSION 1
#define HVC_DENSITY_MAX_STEPS 64
#define HVC_DENSITY_MAX_BACKENDS 8

/* ---------- the sweep (bench/density_sweep.c) --------------------------- */
struct hvc_density_opts {
	char **backends;       /* "container", "vm"; NULL = both */
	const char *workload;  /* "idle" (default), "mem", "cpu" */
	const char *image;     /* base image, default "busybox:latest" */
	uint64_t instance_mem; /* bytes: container memory limit, VM RAM; 0 = 256 MiB */
	uint64_t budget;       /* bytes the instances may use; 0 = budget_pct or default */
	double budget_pct;     /* > 0: percent of MemTotal */
	int max; /* instances per backend; 0 = 64 (16 containers / 4 VMs with quick) */
	int steps[HVC_DENSITY_MAX_STEPS]; /* cumulative counts, strictly increasing */
	size_t n_steps;			  /* 0 = 1,2,4,8,... up to max */
	bool quick;			  /* idle, up to 16 containers and 4 VMs */
	const char *connect;		  /* libvirt URI for the VM side; NULL = default */
	bool ksm;			  /* turn KSM on for the run, restore it after */
	const char *out_dir;		  /* NULL = results/density-<run-id> */
	/* Progress lines ("container: starting 1 more (N=1)"); NULL = none. */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
	char **cmdline; /* recorded */
	/* Set (by a signal handler) to stop the sweep: it then tears down. */
	volatile sig_atomic_t *cancel;
};

/* What a finished sweep tells its caller (the rest is in out_dir). */
struct hvc_density_outcome {
	char *out_dir;	/* malloc'd */
	bool cancelled; /* cut short by cancel: results are partial */
	/* backends whose first instance could not even start (a failed run) */
	size_t n_start_failures;
	struct {
		char backend[32];
		char reason[512];
	} start_failures[HVC_DENSITY_MAX_BACKENDS];
};
void hvc_density_outcome_clear(struct hvc_density_outcome *out);

/* Runs the sweep and writes density.json, results.json (the harness schema,
 * for `hvc bench compare`), report.md and the charts. Bad input fails with
 * EINVAL before anything starts. Returns 0, or < 0 (err says why). A sweep cut short by
 * cancel still writes its results and returns 0 with out->cancelled set. */
int hvc_density_run(const struct hvc_density_opts *o, struct hvc_density_outcome *out,
		    struct hvc_error *err);
/* Regenerates results.json, results.csv, report.md and the charts in dir
 * from dir/density.json alone. */
int hvc_density_report_dir(const char *dir, struct hvc_error *err);
/* "1,2,4,8" -> strictly increasing positive counts. */
int hvc_density_parse_steps(const char *s, int *steps, size_t *n, struct hvc_error *err);
/* "2g" or "50%" (of mem_total) -> bytes; checked against mem_available. */
int hvc_density_parse_budget(const char *s, uint64_t mem_total, uint64_t mem_available,
			     uint64_t *out, struct hvc_error *err);
/* The option values `hvc bench density` takes, checked as they are parsed
 * (bench/density_options.c); bad input fails with EINVAL and a message. */
/* "container,vm" -> names of known backends (*out malloc'd). */
int hvc_density_parse_backends(const char *s, char ***out, struct hvc_error *err);
int hvc_density_check_workload(const char *s, struct hvc_error *err);
int hvc_density_parse_instance_mem(const char *s, uint64_t *out, struct hvc_error *err);
int hvc_density_parse_max(const char *s, int *out, struct hvc_error *err);
/* The checks between options, once all are parsed (the budget aside). */
int hvc_density_opts_check(const struct hvc_density_opts *o, struct hvc_error *err);

/* ---------- host memory (bench/density_mem.c) --------------------------- */
struct hvc_density_meminfo {
	uint64_t total, available; /* bytes */
};
/* Parses /proc/meminfo text (pure). */
int hvc_density_meminfo_parse(const char *text, struct hvc_density_meminfo *m,
			      struct hvc_error *err);
int hvc_density_meminfo_read(struct hvc_density_meminfo *m, struct hvc_error *err);

/* ---------- KSM (bench/density_ksm.c) ----------------------------------- */
struct hvc_density_ksm {
	bool present;	/* /sys/kernel/mm/ksm exists */
	int run_before; /* value of run at the start (-1 unknown) */
	bool changed;	/* we wrote run=1 and must restore */
	int lock_fd;	/* --ksm sweeps take turns: the setting is host-wide */
};
int hvc_density_ksm_enable(struct hvc_density_ksm *k, bool enable, struct hvc_error *err);
/* Restores run to run_before when we changed it; safe to call twice. */
void hvc_density_ksm_restore(struct hvc_density_ksm *k);
/* pages_sharing and pages_shared now (-1 when unreadable). */
void hvc_density_ksm_pages(int64_t *sharing, int64_t *shared);

/* ---------- planning (bench/density_plan.c): pure ------------------------ */
/* Least-squares line y = intercept + slope * x over n points (n >= 2 and
 * not all x equal, else -1). r2 may be NULL. */
int hvc_density_fit(const double *x, const double *y, size_t n, double *slope, double *intercept,
		    double *r2);

/* The measured cost of one backend on the measured host. */
struct hvc_density_cost {
	double mem_slope;     /* bytes of host memory per added instance */
	double mem_intercept; /* bytes the backend costs at N = 0 (fixed part) */
	double base_used;     /* bytes the measured host used before any instance */
	double cpu_share;     /* cores one instance uses (workload alone); 0 = unmeasured/idle */
	int measured_max;     /* largest N actually measured */
};
struct hvc_density_target {
	uint64_t host_mem; /* bytes */
	unsigned host_cores;
	double headroom_pct; /* kept free of both memory and CPU, 0..<100 */
	double base_used;    /* bytes the target's OS uses; < 0 = assume the measured host's */
};
/* `hvc plan`'s defaults: 10% headroom, the measured host's base use. */
void hvc_density_target_init(struct hvc_density_target *t);
/* Option values of `hvc plan` (EINVAL and a message when bad). */
int hvc_density_parse_host_mem(const char *s, uint64_t *out, struct hvc_error *err);
int hvc_density_parse_host_cores(const char *s, unsigned *out, struct hvc_error *err);
int hvc_density_parse_headroom(const char *s, double *out, struct hvc_error *err);
int hvc_density_parse_base_mem(const char *s, double *out, struct hvc_error *err);
/* A target is complete with a sweep to plan from, memory and cores. */
int hvc_density_target_check(const char *from, const struct hvc_density_target *t,
			     struct hvc_error *err);
struct hvc_density_estimate {
	double usable_mem, usable_cores;
	long by_memory;	      /* instances memory allows (>= 0) */
	long by_cpu;	      /* instances CPU allows; -1 = not limited by CPU */
	long expected;	      /* min of the two */
	const char *limit;    /* "memory" or "cpu" */
	bool beyond_measured; /* expected > cost->measured_max: an extrapolation */
};
/* Expected instance count of one backend on a target host. */
int hvc_density_estimate(const struct hvc_density_cost *c, const struct hvc_density_target *t,
			 struct hvc_density_estimate *out, struct hvc_error *err);
/* The per-backend cost recorded in a density.json backend entry. */
int hvc_density_cost_from_json(json_object *backend, struct hvc_density_cost *c,
			       struct hvc_error *err);
/* Loads DIR/density.json and checks its schema. */
int hvc_density_load(const char *dir, json_object **out, struct hvc_error *err);
/* `hvc plan`: the plan for every measured backend as text, with assumptions. */
int hvc_density_plan_print(FILE *f, json_object *density, const struct hvc_density_target *t,
			   struct hvc_error *err);

#endif
