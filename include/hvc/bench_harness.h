/* bench harness: backends, suites, the runner, per-instance memory, results
 * (JSON/CSV), report and charts, and run-to-run comparison. The host probe
 * (hvc_host_probe) lives in hvc/bench.h; statistics in hvc/stats.h.
 * Results schema: docs/results-schema.md. What each number means:
 * docs/methodology.md. */
#ifndef HVC_BENCH_HARNESS_H
#define HVC_BENCH_HARNESS_H

#include "hvc/image.h"
#include "hvc/util.h"
#include <stdbool.h>
#include <stdint.h>

#define HVC_BENCH_SCHEMA "hvc-bench-results"
#define HVC_BENCH_SCHEMA_VERSION 1

/* ---------- memory of an instance (bench/bench_memory.c) --------------- */
struct hvc_bench_mem {
	bool have_procs;		    /* rss/pss/uss valid */
	uint64_t rss_kib, pss_kib, uss_kib; /* summed over the instance's processes */
	unsigned nprocs;
	bool have_cgroup;  /* cgroup figures valid */
	uint64_t cg_bytes; /* memory.current / memory.usage_in_bytes */
	uint64_t cg_inactive_file_bytes;
	uint64_t cg_net_bytes; /* cg_bytes - inactive_file: what reclaim cannot take */
};

/* Parses smaps_rollup text: Rss, Pss, USS = Private_Clean + Private_Dirty
 * (+ Private_Hugetlb). Returns 0, or -1 when no Rss line is present. */
int hvc_bench_parse_smaps_rollup(const char *text, uint64_t *rss_kib, uint64_t *pss_kib,
				 uint64_t *uss_kib);
/* Value of "key N" in a memory.stat text; -1 when absent. */
int64_t hvc_bench_parse_memstat(const char *text, const char *key);
/* Adds /proc/<pid>/smaps_rollup of pid (and, when with_children, of all its
 * descendants) into m. A process that vanished meanwhile is skipped.
 * Returns -1 when not even pid itself could be read. */
int hvc_bench_mem_add_pid_tree(struct hvc_bench_mem *m, pid_t pid, bool with_children,
			       struct hvc_error *err);
/* Reads a cgroup directory's charge: v2 memory.current or v1
 * memory.usage_in_bytes, plus inactive_file (v1: total_inactive_file) from
 * memory.stat; also sums smaps_rollup of every pid in cgroup.procs. */
int hvc_bench_mem_add_cgroup(struct hvc_bench_mem *m, const char *cgroup_dir, bool procs,
			     struct hvc_error *err);
/* Keeps the larger of each figure (peak tracking while a workload runs). */
void hvc_bench_mem_max(struct hvc_bench_mem *acc, const struct hvc_bench_mem *m);

/* ---------- what a backend is asked to run ----------------------------- */
struct hvc_bench_ctx; /* the runner's state, passed to backends */

/* Live handles of a running instance, reported by a backend so the runner can
 * measure its memory while it runs. */
struct hvc_bench_live {
	pid_t pid;		/* main host process: the workload, or QEMU (0 = none) */
	bool pid_tree;		/* include pid's descendants */
	const char *cgroup_dir; /* memory cgroup directory, or NULL */
	bool cgroup_procs;	/* count smaps of the cgroup's processes too */
};

enum hvc_bench_event {
	HVC_BENCH_EV_STARTED, /* the instance's host processes exist (sampling may start) */
	HVC_BENCH_EV_READY,   /* READY: the workload is running (footprint is measured here) */
};

struct hvc_bench_req {
	const char *image; /* image reference (same for every backend) */
	char *const *argv; /* hvc-workload arguments: {"cpu", "8", NULL} */
	const char *cpus;  /* CPU list every backend pins to, e.g. "0-1" */
	int timeout_ms;
	const char *tag;   /* unique per sample: names containers/cgroups/domains */
	bool scratch_disk; /* the workload writes files in its cwd: give it a disk there */
	/* Where that disk is: the host directory every backend but the VM
	 * bind-mounts as a volume (NULL: no scratch, or --fileio-on overlay). */
	const char *scratch_host;
	/* A network workload (kind "network"): the backend gives its instance
	 * the network that reaches the host's net-server (argv already carries
	 * --server). false: the backend's default (containers: none). */
	bool network;
	/* Called by the backend on each event with the live handles. */
	void (*event)(void *opaque, enum hvc_bench_event ev, const struct hvc_bench_live *live);
	void *opaque;
};

/* One run of one instance. Times are host CLOCK_MONOTONIC milliseconds from
 * the request. A backend that cannot say one of them leaves it < 0. */
struct hvc_bench_outcome {
	double ready_ms, exit_ms;
	json_object *phases; /* {"name": ms, ...} owned */
	char *output;	     /* the workload's stdout (one JSON line expected) */
	int exit_status;
	char *accelerator;  /* VMs: "kvm" / "tcg" */
	json_object *extra; /* backend-specific facts (qemu pid, container id ...) */
};
void hvc_bench_outcome_clear(struct hvc_bench_outcome *o);

/* Sizes of what an instance needs on disk. Unknown figures are < 0. */
struct hvc_bench_size {
	int64_t compressed, unpacked, shared, unique, kernel, initramfs, binary;
	char note[256];
};

/* Where a backend's instance writes its scratch files (fileio), as the
 * harness set it up; what the workload then saw from inside (file system,
 * mount options, O_DIRECT) is in each sample. Strings malloc'd. */
struct hvc_bench_storage {
	/* "host-directory", "volume", "rootfs" (--fileio-on overlay), "vm-data-disk" */
	const char *kind;
	char *host_path;  /* the host directory, or the directory of the disk image */
	const char *path; /* where the workload writes inside the instance ("/scratch") */
	char *how;	  /* the mechanism, e.g. "hvc run -v HOST:/scratch -w /scratch" */
	/* VM only: the data disk as the domain XML declares it ("default" when
	 * the XML leaves it to libvirt/QEMU) */
	char *disk_bus, *disk_format, *disk_cache, *disk_io;
};
void hvc_bench_storage_clear(struct hvc_bench_storage *st);

/* A backend: a const table of function pointers (adding one touches
 * bench/bench_backends.c only). */
struct hvc_bench_backend {
	const char *name;
	const char *summary;
	bool opt_in; /* run only when named (--backends): never in a default list */
	/* Its own index into hvc_bench_ctx.priv (a fixed HVC_BENCH_SLOT_* of
	 * bench/bench_internal.h), so a backend never looks itself up in the table. */
	unsigned slot;
	/* 1 when it can run here, else 0 and a reason ("runc not installed"). */
	int (*available)(struct hvc_bench_ctx *ctx, char *reason, size_t len);
	/* Once per run, before any sample (bundles, boot artifacts ...). */
	int (*prepare)(struct hvc_bench_ctx *ctx, struct hvc_error *err);
	/* Runs one instance to completion. Returns 0 when it ran (whatever the
	 * workload's exit status), -1 when the backend itself failed. */
	int (*run)(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		   struct hvc_bench_outcome *out, struct hvc_error *err);
	int (*image_size)(struct hvc_bench_ctx *ctx, struct hvc_bench_size *out,
			  struct hvc_error *err);
	/* Human-readable form of how this backend runs argv (for results). */
	char *(*describe)(struct hvc_bench_ctx *ctx, char *const *argv);
	/* Where scratch_disk workloads write (NULL: the backend cannot say). */
	void (*storage)(struct hvc_bench_ctx *ctx, struct hvc_bench_storage *out);
	void (*cleanup)(struct hvc_bench_ctx *ctx);
	/* Network workloads: the host address the native net-server listens on
	 * so this backend's instance reaches it (addr: "127.0.0.1", a bridge's
	 * gateway), and the packet path the harness expects ("loopback",
	 * "veth+bridge", "tap+virtio-net"). Returns 1, or 0 with the reason the
	 * backend cannot take part (NULL: cannot). */
	int (*net_peer)(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len, const char **path,
			char *reason, size_t len);
};

const struct hvc_bench_backend *hvc_bench_backend_find(const char *name);
/* NULL-terminated list of every backend, in default order. */
extern const struct hvc_bench_backend *const hvc_bench_backends[];

/* ---------- suites (bench/bench_suite.c) -------------------------------- */
enum hvc_bench_better { HVC_BETTER_LOWER = 0, HVC_BETTER_HIGHER = 1 };

struct hvc_bench_metric_def {
	char *key; /* field in the workload's JSON line, also the metric name */
	char *unit;
	enum hvc_bench_better better;
};

enum hvc_bench_kind {
	HVC_BENCH_STARTUP,    /* time to READY and to exit (idle 0) */
	HVC_BENCH_FOOTPRINT,  /* memory of an idle instance */
	HVC_BENCH_THROUGHPUT, /* workload figures, memory peak sampled too */
	/* a throughput workload whose peer is a net-server the harness runs
	 * natively on the host (bench/bench_net.c); the packet path is recorded */
	HVC_BENCH_NETWORK,
};

struct hvc_bench_workload {
	char *name; /* "startup", "cpu", ... */
	enum hvc_bench_kind kind;
	char **args; /* hvc-workload arguments: {"cpu","64",NULL} */
	struct hvc_bench_metric_def *metrics;
	size_t n_metrics;
	int timeout_s;
	int reps, warmup;  /* < 0: the suite's */
	bool scratch_disk; /* writes files in its cwd (fileio): VMs get a data disk there */
	/* The sample floor (throughput): hvc-workload's --min-seconds, appended
	 * to args unless they carry it; a sample whose measured_s is below it
	 * fails. 0 = none. */
	double min_seconds;
};

struct hvc_bench_suite {
	char *name;
	char *image;
	int reps, warmup;
	double min_seconds; /* the suite's sample floor ("min_seconds", default 0.25) */
	char **backends;    /* default backend list */
	struct hvc_bench_workload *workloads;
	size_t n_workloads;
	json_object *source; /* the suite's definition as parsed */
};

/* "quick", "full", or a JSON file path (format in docs/bench.md). */
int hvc_bench_suite_load(const char *name_or_file, struct hvc_bench_suite **out,
			 struct hvc_error *err);
int hvc_bench_suite_parse(json_object *def, struct hvc_bench_suite **out, struct hvc_error *err);
void hvc_bench_suite_free(struct hvc_bench_suite *s);
/* The built-in suites' JSON text (NULL when unknown). */
const char *hvc_bench_suite_builtin(const char *name);

/* ---------- the runner (bench/bench_runner.c) --------------------------- */
/* Where a run is, reported before each sample and once when sampling ends. */
struct hvc_bench_progress {
	const char *suite, *backend, *workload;
	int rep, reps; /* rep counts warm-ups separately from 1 */
	bool warmup;
	size_t sample, total; /* sample is 1-based */
	double eta_s;	      /* < 0: not known yet */
	bool finished;	      /* sampling is over; only suite, sample and total are set */
};
typedef void (*hvc_bench_progress_fn)(void *opaque, const struct hvc_bench_progress *p);

struct hvc_bench_options {
	const char *suite;		/* default "quick" */
	char **backends;		/* NULL = suite's */
	char **workloads;		/* NULL = all of the suite's */
	int reps, warmup;		/* < 0 = suite's */
	const char *cpus;		/* NULL = hwloc default */
	const char *out_dir;		/* NULL = results/<run-id> */
	const char *results_root;	/* default "results" */
	hvc_bench_progress_fn progress; /* NULL = quiet; the library never prints progress itself */
	void *progress_opaque;
	char **cmdline;	      /* the hvc command line, recorded */
	volatile int *cancel; /* set (by a signal handler) to stop after the current sample */
	/* Where fileio runs in containers: "volume" (default: a bind-mounted
	 * host directory beside native's) or "overlay" (the root file system,
	 * measured on purpose and labelled so). */
	const char *fileio_on;
};

/* Runs a whole benchmark and writes results.json, results.csv, report.md and
 * the charts into the output directory (returned in *out_dir, malloc'd). */
int hvc_bench_run(const struct hvc_bench_options *opt, char **out_dir, struct hvc_error *err);

/* The runner's state; backends read the fields they need. */
struct hvc_bench_ctx {
	const struct hvc_bench_suite *suite;
	const char *image;	/* the benchmark image (base + hvc-workload) every backend runs */
	const char *base_image; /* the suite's image it derives from */
	bool image_ok;		/* false: image_error says why (only native can run then) */
	const char *image_error;
	const char *cpus;
	char *work_dir; /* scratch under the output dir (bundles ...) */
	/* work_dir/scratch: native's cwd for scratch_disk workloads and the host
	 * side of every container's volume (same directory, same file system). */
	char *scratch_dir;
	bool fileio_on_overlay; /* containers write on their root file system instead */
	char *workload_bin;	/* host path of hvc-workload */
	char *init_bin;		/* host path of hvc-init */
	void *priv[8];		/* per-backend private state, indexed by the backend's slot */
	volatile int *cancel;	/* see hvc_bench_options */
};

/* ---------- results (bench/bench_results.c) ----------------------------- */
/* Validates a results document against schema version 1: required keys and
 * types. Returns 0 or -1 with the first problem in err. */
int hvc_bench_results_validate(json_object *results, struct hvc_error *err);
int hvc_bench_results_load(const char *dir, json_object **out, struct hvc_error *err);
/* Computes the "summaries" array from "samples" (replacing any present):
 * statistics, the ratio to native with its permutation test (Holm-adjusted
 * over the run), and the sanity flags. No interval from n < 5 (stats.h). */
int hvc_bench_results_summarize(json_object *results, struct hvc_error *err);
/* Permutation rounds of the test against native, and the smallest relative
 * change from native that is called a difference. */
#define HVC_BENCH_NATIVE_TEST_ROUNDS 5000
#define HVC_BENCH_NATIVE_MIN_CHANGE 0.05
/* The rule for "different from native": adjusted p < alpha and the ratio at
 * least min_change away from 1. Pure. */
bool hvc_bench_differs_from_native(double ratio, double p_adjusted, double alpha,
				   double min_change);
/* results.csv: one row per sample. */
int hvc_bench_results_write_csv(json_object *results, FILE *f, struct hvc_error *err);
/* The summary entry for (backend, workload, metric), borrowed; NULL when absent. */
json_object *hvc_bench_summary_find(json_object *results, const char *backend, const char *workload,
				    const char *metric);

/* ---------- sanity flags (bench/bench_sanity.c) ------------------------- */
/* A backend more than this factor better than native is flagged. */
#define HVC_BENCH_SANITY_MARGIN 1.05
/* One summary against native, as the sanity rules read it. */
struct hvc_bench_sanity_in {
	const char *backend, *workload, *metric;
	const char *program; /* the hvc-workload program (the workload's args[0]), or NULL */
	double ratio;	     /* relative to native, > 1 = better than native */
	const char *accel;   /* the VMs' accelerator ("kvm", "tcg") or NULL */
	size_t n, n_native;
	double p_adjusted; /* permutation test against native, Holm-adjusted; NaN unknown */
};
/* The flag a result earns, {code, severity ("suspect"|"explained"), text}, or
 * NULL when nothing needs explaining. Pure. */
json_object *hvc_bench_sanity_flag(const struct hvc_bench_sanity_in *in);
/* container, runc, crun: the isolated peers of native that run its code unchanged. */
bool hvc_bench_sanity_is_peer(const char *backend);

/* ---------- report and charts (bench/bench_report.c, bench_plot.c) ------ */
int hvc_bench_report_markdown(json_object *results, FILE *f, struct hvc_error *err);
/* Writes the .dat/.gp files into dir and runs gnuplot on each when run_gnuplot
 * (PNG + SVG). A failed chart is reported in *failures (malloc'd text). */
int hvc_bench_plot(json_object *results, const char *dir, bool run_gnuplot, char **failures,
		   struct hvc_error *err);
/* A chart whose NAME.dat the caller writes (used by the density sweep):
 * NAME.gp in the common style with settings and plot_cmd, drawn to
 * NAME.png and NAME.svg by hvc_bench_chart_render, which appends a failure
 * line to *failures (malloc'd) when gnuplot fails. */
int hvc_bench_chart_script(const char *dir, const char *name, const char *title,
			   const char *settings, const char *plot_cmd, struct hvc_error *err);
void hvc_bench_chart_render(const char *dir, const char *name, char **failures);
/* One stacked bar of a start-up phase chart: a backend's phases, each in ms
 * from the request (any order: the chart sorts them by time). */
#define HVC_BENCH_PHASES_MAX 24
struct hvc_bench_phase_bar {
	const char *backend;
	const char *phase[HVC_BENCH_PHASES_MAX];
	double ms[HVC_BENCH_PHASES_MAX];
	size_t n;
};
/* NAME.dat and NAME.gp of a phase chart (one bar per backend with phases,
 * the first on top, log x axis; drawn by hvc_bench_chart_render). Writes
 * nothing when no bar has a phase. Shared by the bench and density reports. */
int hvc_bench_chart_phases(const char *dir, const char *name, const char *title,
			   struct hvc_bench_phase_bar *bars, size_t n, struct hvc_error *err);
/* The start-up phases a backend reports (those of its first measured startup
 * sample, ms from the request), borrowed or NULL, and one phase's median over
 * the measured startup samples (NaN when none has it). */
json_object *hvc_bench_phase_names(json_object *results, const char *backend);
double hvc_bench_phase_median(json_object *results, const char *backend, const char *phase);
/* The short table printed at the end of a run. */
void hvc_bench_print_summary(FILE *f, json_object *results);
/* Regenerates results.csv, report.md and charts in dir from results.json. */
int hvc_bench_report_dir(const char *dir, struct hvc_error *err);

/* ---------- comparison (bench/bench_compare.c) -------------------------- */
struct hvc_bench_compare_opts {
	double alpha;	   /* significance level, default 0.05 */
	double min_change; /* minimum relative change to flag, default 0.05 */
	unsigned rounds;   /* permutation rounds, default 10000 */
};
/* Per (backend, workload, metric) present in both: medians, relative change,
 * permutation p-value (only with n >= 5 a side), its Holm-Bonferroni
 * adjustment over all the cells tested (p_adjusted), the second run relative to the first (ratio, >
 * 1 = better, CI only with n >= 5 a side), and a verdict. Returns a JSON array. */
int hvc_bench_compare(json_object *a, json_object *b, const struct hvc_bench_compare_opts *o,
		      json_object **out, struct hvc_error *err);
void hvc_bench_compare_print(FILE *f, json_object *cmp);
/* A cell's verdict: "not comparable: ...", "not tested: ..." (p_adjusted
 * NaN: fewer than 5 samples a side), "no significant change", "significant
 * but below the minimum change", "improvement" or "regression" (flagged). Pure. */
const char *hvc_bench_compare_verdict(bool comparable, double p_adjusted, double change,
				      bool higher_better, const struct hvc_bench_compare_opts *o);
/* What makes two runs not comparable: one line per differing fact (host, CPU,
 * kernel, accelerator, suite), e.g. "kernel: 6.1.0 (first) vs 6.2.0
 * (second)"; an empty list (never NULL) when none. Pure. */
char **hvc_bench_compare_mismatches(json_object *a, json_object *b);
/* How many cells of a comparison are regressions. */
size_t hvc_bench_compare_regressions(json_object *cmp);
/* compare.dat/.gp (and .png/.svg when run_gnuplot) in dir: the second run
 * relative to the first per cell, coloured by verdict. */
int hvc_bench_plot_compare(json_object *cmp, const char *dir, bool run_gnuplot, char **failures,
			   struct hvc_error *err);

/* ---------- OCI bundle (bench/bench_bundle.c) --------------------------- */
struct hvc_bench_bundle_opts {
	char **args;		  /* process args; NULL = image entrypoint+cmd */
	const char *cpus;	  /* linux.resources.cpu.cpus, or NULL */
	const char *cgroups_path; /* linux.cgroupsPath, or NULL */
	bool terminal;
	/* A bind mount of volume_host at volume_path (rbind, rw), also the
	 * process's cwd; both NULL for none. */
	const char *volume_host, *volume_path;
};
/* The OCI runtime config.json for an image config (pure: no files touched).
 * env/cwd/user follow the image; args override entrypoint+cmd when given. */
int hvc_bench_oci_config(const struct hvc_image_config *img, const struct hvc_bench_bundle_opts *o,
			 json_object **out, struct hvc_error *err);
/* `hvc image bundle`: dir/rootfs (flattened image) + dir/config.json.
 * dir must not exist or be empty. */
int hvc_bench_bundle_write(const char *image_ref, const char *dir,
			   const struct hvc_bench_bundle_opts *o, struct hvc_error *err);

#endif
