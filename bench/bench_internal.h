/* bench/: declarations shared between the harness's own files only. */
#ifndef HVC_BENCH_INTERNAL_H
#define HVC_BENCH_INTERNAL_H

#include "hvc/bench_harness.h"
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
extern const struct hvc_bench_backend hvc_bench_backend_vm;
extern const struct hvc_bench_backend hvc_bench_backend_runc;
extern const struct hvc_bench_backend hvc_bench_backend_crun;
/* Each backend's slot in hvc_bench_ctx.priv. */
enum hvc_bench_slot {
	HVC_BENCH_SLOT_NATIVE,
	HVC_BENCH_SLOT_CONTAINER,
	HVC_BENCH_SLOT_VM,
	HVC_BENCH_SLOT_RUNC,
	HVC_BENCH_SLOT_CRUN,
};

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

/* Path of a tool on PATH, or NULL. */
char *hvc_bench_which(const char *prog);

#endif
