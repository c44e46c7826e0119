/* bench/: declarations shared between the harness's own files only. */
#ifndef HVC_BENCH_INTERNAL_H
#define HVC_BENCH_INTERNAL_H

#include "hvc/bench_harness.h"
#include <pthread.h>
#include <sched.h>

/* A host process run as one benchmark instance (native, runc, crun). */
struct hvc_bench_spawn {
	char *const *argv;	    /* full argv, argv[0] a path */
	const char *cpus;	    /* CPU affinity of the child (NULL = inherit) */
	struct hvc_bench_live live; /* template; pid is filled in when track_pid */
	bool track_pid;		    /* the spawned process is part of the instance */
	const char *ready_marker;   /* READY = first stdout line containing it (NULL = any line) */
	const char *cwd;	    /* NULL = inherit */
};
/* Spawns (pinned), reports STARTED and READY events, collects stdout,
 * waits. Timeout kills the child (code ETIMEDOUT). */
int hvc_bench_spawn_run(const struct hvc_bench_spawn *sp, const struct hvc_bench_req *req,
			struct hvc_bench_outcome *out, struct hvc_error *err);

/* "0-1,3" -> set. Error names the bad list. */
int hvc_bench_parse_cpus(const char *list, cpu_set_t *set, struct hvc_error *err);
/* Default CPU list: the PUs of the first NUMA node (hwloc), as "a-b,c". */
char *hvc_bench_default_cpus(void);

/* The backends (bench/bench_backend_*.c). */
extern const struct hvc_bench_backend hvc_bench_backend_native;
extern const struct hvc_bench_backend hvc_bench_backend_container;
extern const struct hvc_bench_backend hvc_bench_backend_container_lib;
extern const struct hvc_bench_backend hvc_bench_backend_container_host;
extern const struct hvc_bench_backend hvc_bench_backend_vm;
extern const struct hvc_bench_backend hvc_bench_backend_vm_restore;
extern const struct hvc_bench_backend hvc_bench_backend_runc;
extern const struct hvc_bench_backend hvc_bench_backend_crun;
/* Each backend's slot in hvc_bench_ctx.priv. */
enum hvc_bench_slot {
	HVC_BENCH_SLOT_NATIVE,
	HVC_BENCH_SLOT_CONTAINER,
	HVC_BENCH_SLOT_VM,
	HVC_BENCH_SLOT_RUNC,
	HVC_BENCH_SLOT_CRUN,
	HVC_BENCH_SLOT_CONTAINER_LIB,
	HVC_BENCH_SLOT_CONTAINER_HOST,
	HVC_BENCH_SLOT_VM_RESTORE,
};

/* Where a container's scratch volume is mounted, and its cwd there. */
#define HVC_BENCH_SCRATCH_PATH "/scratch"
/* The storage of a container-like backend (container, container-lib, runc,
 * crun): the volume (ctx->scratch_dir at /scratch, mounted by `how`), or
 * the root file system when --fileio-on overlay asked for it. */
void hvc_bench_container_storage(struct hvc_bench_ctx *ctx, const char *how,
				 struct hvc_bench_storage *st);

/* Image sizes from the OCI layout of the store (shared by container, runc,
 * crun): layers compressed (blob sizes) and unpacked (tar sizes as recorded
 * by the layer cache when present). */
int hvc_bench_image_size(const char *image, struct hvc_bench_size *out, struct hvc_error *err);

/* The benchmark image: base + a layer with hvc-workload in /usr/local/bin,
 * committed as "hvc-bench-<base>:latest" (name and digest returned). */
int hvc_bench_image_prepare(const char *base_ref, const char *workload_bin, char **bench_ref,
			    char **digest, struct hvc_error *err);
#define HVC_BENCH_WORKLOAD_IN_IMAGE "/usr/local/bin/hvc-workload"

/* JSON Schema keywords over json-c (bench/bench_schema.c). _supported
 * refuses a schema using a keyword the interpreter does not know; _check
 * gives the first problem of doc, its path starting at root ("results"). */
int hvc_bench_schema_supported(json_object *schema, struct hvc_error *err);
int hvc_bench_schema_check(json_object *schema, json_object *doc, const char *root,
			   struct hvc_error *err);
/* docs/results.schema.json as compiled in (bench/bench_results_schema.c). */
extern const char hvc_bench_results_schema_text[];
int hvc_bench_results_schema(json_object **out, struct hvc_error *err);

/* ---------- a run's typed results (bench/bench_record.c serialises them) */
struct hvc_bench_metric {
	char *key;
	double value;
};

/* The storage a fileio sample ran on, as the workload saw it from inside
 * (its fs, mount_* and direct* keys, docs/workloads.md). Strings malloc'd. */
struct hvc_bench_sample_storage {
	bool present;
	char *fs, *mount_point, *mount_source, *mount_fstype, *mount_options, *mount_super_options;
	bool mount_volatile, mount_sync;
	bool direct; /* O_DIRECT was in use at the end */
	char *direct_mode, *direct_fallback;
};

/* A network sample's packet path and its peer (bench/bench_net.c). */
struct hvc_bench_sample_net {
	bool present;
	char *unavailable;   /* why this backend took no network sample */
	char *expected_path; /* what the backend says its packets take */
	char *packet_path;   /* what the workload saw: loopback, veth+bridge, tap+virtio-net */
	char *path, *interface, *driver, *peer_address, *local_address; /* the workload's keys */
	char *server_listen;			 /* the net-server's ADDR:PORT */
	int server_exit;			 /* its exit status; < 0 unknown */
	char *server_exit_reason;		 /* "count", "idle", "signal" */
	int64_t server_connections, server_runs; /* its counts; < 0 unknown */
};

/* One sample as the runner measured it (bench/bench_sample.c). */
struct hvc_bench_sample {
	const char *backend, *workload; /* borrowed: the backend table's, the suite's */
	int rep;
	bool warmup;
	size_t seq;
	char time[32];
	bool ran; /* the backend ran it: exit_status is valid */
	int exit_status;
	bool ok;
	char *error; /* why it failed */
	struct hvc_bench_metric *metrics;
	size_t n_metrics;
	char *output;		     /* the workload's JSON line, or the tail of what it printed */
	int memory_nprocs;	     /* footprint: processes summed; < 0 = none */
	char *memory_note;	     /* throughput: why no memory peak was sampled */
	json_object *phases, *extra; /* the backend's, owned */
	char *accelerator;
	/* throughput (floor_checked): the sample floor asked for and what the
	 * workload reports */
	bool floor_checked;
	double floor_s;	   /* the workload's min_seconds (0 = none) */
	double measured_s; /* < 0: the line had no measured_s */
	int64_t repeats;   /* < 0: not reported */
	/* mem, randmem (have_llc): the LLC the workload judged its size against */
	bool have_llc;
	int64_t llc_bytes;
	bool exceeds_llc;
	struct hvc_bench_sample_storage storage;
	struct hvc_bench_sample_net net;
};
void hvc_bench_sample_clear(struct hvc_bench_sample *s);
/* Runs w once on backend b and measures it into s (s->rep, warmup and seq
 * set by the caller); a failure is recorded in s, never returned. */
void hvc_bench_sample_take(struct hvc_bench_ctx *ctx, const struct hvc_bench_backend *b,
			   const struct hvc_bench_workload *w, struct hvc_bench_sample *s);
void hvc_bench_sample_add_metric(struct hvc_bench_sample *s, const char *key, double value);

/* Every requested backend: run, or why not. */
struct hvc_bench_backend_entry {
	const struct hvc_bench_backend *b;
	bool available;
	char reason[512];
	bool size_ok;
	struct hvc_bench_size size;
	char size_error[512];
	bool have_storage;
	struct hvc_bench_storage storage;
};

struct hvc_bench_workload_entry {
	const struct hvc_bench_workload *w;
	int reps, warmup;
};

struct hvc_bench_command {
	const char *backend, *workload;
	char *command;
};

struct hvc_bench_record {
	char *run_id;
	const char *suite;
	char started[32], finished[32];
	double duration_s;
	bool interrupted;
	json_object *host; /* `hvc info --json`, owned */
	double load_before, load_after, load_threshold;
	bool load_quiet;
	char *load_warning;
	/* config */
	const char *image, *cpus, *workload_bin;
	int reps, warmup;
	const char *fileio_on;		 /* "volume" or "overlay" */
	char **backend_names, **cmdline; /* borrowed */
	json_object *suite_definition;	 /* borrowed */
	char *bench_image, *bench_image_digest, *bench_image_error;
	struct hvc_bench_backend_entry *backends;
	size_t n_backends;
	struct hvc_bench_workload_entry *workloads;
	size_t n_workloads;
	struct hvc_bench_command *commands;
	size_t n_commands;
	struct hvc_bench_sample *samples;
	size_t n_samples;
};
/* results.json without "summaries" (hvc_bench_results_summarize adds them). */
json_object *hvc_bench_record_json(const struct hvc_bench_record *rec);
void hvc_bench_record_clear(struct hvc_bench_record *rec);

/* The progress ETA (bench/bench_runner.c), pure: each remaining sample
 * costs what its own workload took on its backend so far (else on any
 * backend, else what that backend's samples took) — never one average over
 * quick start-ups and long file I/O (issue 12: "0 s" with 19 s left). */
struct hvc_bench_eta_table {
	size_t n_workloads, n_backends;
	const int *rounds; /* per workload: warm-ups + repetitions */
	const double *sum; /* [workload * n_backends + backend]: seconds so far */
	const unsigned *n; /* samples taken */
};
/* Seconds left before the sample at position p of round r of workload i
 * starts (round r runs backend (p + r) mod n_backends there); < 0 when a
 * remaining sample has nothing to be estimated from. */
double hvc_bench_eta(const struct hvc_bench_eta_table *t, size_t i, int r, size_t p);

/* ---------- the peer of network samples (bench/bench_net.c) ------------- */
struct hvc_bench_net_server {
	pid_t pid; /* 0 once reaped */
	int out_fd, err_fd;
	char listen[64]; /* "ADDR:PORT" from its READY line */
	char *stderr_text;
	bool stopped; /* it had to be stopped: it never saw the client's goodbye */
	int exit_status;
	char exit_reason[16];
	int64_t connections, runs;
};
/* Starts `hvc-workload net-server --listen ADDR:0 --count 1` pinned to
 * ctx->cpus and waits for its READY line. */
int hvc_bench_net_server_start(const struct hvc_bench_ctx *ctx, const char *addr,
			       struct hvc_bench_net_server *srv, struct hvc_error *err);
/* Waits for its own exit (else stops it); why: the reason the server's side
 * fails the sample, "" when it counted exactly one client run. */
void hvc_bench_net_server_stop(struct hvc_bench_net_server *srv, char *why, size_t len);
void hvc_bench_net_server_clear(struct hvc_bench_net_server *srv);
/* Pure: the server's exit line -> its reason and counts (-1 when absent). */
void hvc_bench_net_server_parse_exit(const char *text, char *why, size_t why_len,
				     int64_t *connections, int64_t *runs);
/* Pure: the workload's "path" key -> the packet path recorded
 * (loopback, veth+bridge, tap+virtio-net; other values unchanged). */
const char *hvc_bench_net_packet_path(const char *path);
/* net_peer implementations: 127.0.0.1 (loopback), hvc0's gateway (veth+bridge). */
int hvc_bench_net_peer_loopback(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len,
				const char **path, char *reason, size_t len);
int hvc_bench_net_peer_bridge(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len,
			      const char **path, char *reason, size_t len);

/* A network namespace on hvc0 for the OCI peers (bench/bench_netns.c):
 * lease, veth pair (eth0 inside), held by a waiting child. */
struct hvc_bench_netns {
	pid_t holder;
	char path[64]; /* /proc/PID/ns/net, for the bundle's linux.namespaces */
	char net[64], owner[72], host_if[16];
	uint32_t addr;
	bool leased;
};
int hvc_bench_netns_open(struct hvc_bench_netns *ns, struct hvc_error *err);
/* Deletes the veth, ends the holder, releases the lease (safe to repeat). */
void hvc_bench_netns_close(struct hvc_bench_netns *ns);

/* Path of a tool on PATH, or NULL. */
char *hvc_bench_which(const char *prog);

/* Report sections from results.json (bench/bench_report_storage.c): the
 * table of where fileio ran, per backend, and the sample-floor line. */
void hvc_bench_report_storage(FILE *f, json_object *r);
void hvc_bench_report_floor(FILE *f, json_object *r);
/* The network section (bench/bench_report_network.c): per backend, the
 * packet path and every network metric; nothing without network workloads. */
void hvc_bench_report_network(FILE *f, json_object *r);

/* 1 when the suite's image was prepared; else 0 with the reason
 * (bench_image.c): every backend that runs the image asks it. */
int hvc_bench_image_usable(const struct hvc_bench_ctx *ctx, char *reason, size_t len);
/* "YYYYmmdd-HHMMSS-<suite>-<4 hex>", the run's id and default directory name
 * (bench_results.c; the density sweep passes "density"). */
char *hvc_bench_run_id(const char *suite);
/* One metric definition {key, unit, better, what} appended to arr
 * (bench_record.c; the density sweep's results.json uses it too). */
void hvc_bench_metric_def(json_object *arr, const char *key, const char *unit, const char *better,
			  const char *what);

/* ---------- one guest boot for several throughput samples --------------
 * (bench/bench_session.c; a suite's "shared_boot" workloads) */
/* Ends each workload's part of a shared boot's output: "MARK K STATUS". */
#define HVC_BENCH_SESSION_MARK "@@hvc-bench-shared-boot-end"
/* Pure: the planned workloads (indices into rounds/shared, n of them) that
 * round r's shared boot runs — every shared_boot workload with more than r
 * rounds, in suite order; their count. */
size_t hvc_bench_session_members(const int *rounds, const bool *shared, size_t n, int r,
				 size_t *members);
/* Pure: the guest sh script running each argv (hvc-workload's arguments)
 * in turn, each followed by "MARK K $?". */
char *hvc_bench_session_script(char *const *const *argvs, size_t n);
/* Pure: output cut at its markers into parts[0..n) (malloc'd; NULL and
 * status -1 where the marker never came); the number of parts found. */
size_t hvc_bench_session_split(const char *output, size_t n, char **parts, int *status);
/* The vm backend runs `sh -c SCRIPT` in one boot (bench_backend_vm.c);
 * as its run() otherwise. */
int hvc_bench_vm_run_script(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
			    const char *script, struct hvc_bench_outcome *out,
			    struct hvc_error *err);
/* Whether workload i of the suite asks for a shared boot (bench_suite.c). */
bool hvc_bench_suite_shared_boot(const struct hvc_bench_suite *s, size_t i);
/* Judges one part of a shared boot as workload w's sample (bench_sample.c):
 * oc holds that part's output and status and the boot's phases; peak is
 * QEMU's memory during the part (NULL: no read fell in it; memory_note
 * says so). A network member's peer facts are in s->net already;
 * peer_error (its server's verdict) fails an otherwise good sample. */
void hvc_bench_sample_judge_part(const struct hvc_bench_workload *w, struct hvc_bench_outcome *oc,
				 const char *peer_error, const struct hvc_bench_mem *peak,
				 struct hvc_bench_sample *s);

/* A live process's memory read every 100 ms with the time of each read
 * (bench_mem_series.c): the peak of any window of it afterwards. t0 is the
 * caller's hvc_now_ns() the window times count from. */
struct hvc_bench_mem_series {
	pthread_t thread;
	bool running;
	volatile bool stop;
	pthread_mutex_t lock;
	pid_t pid;
	uint64_t t0;
	size_t n, cap;
	double *t_ms;
	struct hvc_bench_mem *mem;
};
void hvc_bench_mem_series_start(struct hvc_bench_mem_series *s, pid_t pid);
void hvc_bench_mem_series_stop(struct hvc_bench_mem_series *s);
/* The peak of the reads in (from_ms, to_ms]; false when none fell there. */
bool hvc_bench_mem_series_peak(const struct hvc_bench_mem_series *s, double from_ms, double to_ms,
			       struct hvc_bench_mem *peak);
void hvc_bench_mem_series_free(struct hvc_bench_mem_series *s);

#endif
