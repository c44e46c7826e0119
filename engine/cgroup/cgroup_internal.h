/* engine/cgroup internals shared by the cgroup_*.c files: the cgroup object
 * (one directory per hierarchy it lives in) and the back-end table type.
 * Not a public header: the runtime codes against include/hvc/cgroup.h. */
#ifndef HVC_CGROUP_INTERNAL_H
#define HVC_CGROUP_INTERNAL_H

#include "hvc/cgroup.h"

/* What a directory serves: HVC_CG_* controller bits plus these two. */
#define HVC_CGD_CPUACCT (1u << 8)  /* v1 cpuacct (usage), often co-mounted with cpu */
#define HVC_CGD_UNIFIED (1u << 9)  /* a cgroup2 directory (v2, or hybrid's tree) */
#define HVC_CGD_DEVICES (1u << 10) /* v1 devices (no detection bit: not a resource) */

struct hvc_cgroup_dir {
	unsigned role;	/* HVC_CG_* | HVC_CGD_* bits */
	char path[512]; /* absolute: <hierarchy>/<name> */
	char base[512]; /* the hierarchy's root: <root>/memory, or the cgroup2 mount */
};

struct hvc_cgroup_backend;

struct hvc_cgroup {
	const struct hvc_cgroup_backend *be;
	struct hvc_cgroup_host host;
	char name[256];
	size_t n;
	struct hvc_cgroup_dir dirs[HVC_CGROUP_MAX_DIRS];
};

/* A back-end: where a cgroup lives and which files carry which limit.
 * Chosen once from the detected mode (hvc_cgroup_backend_for). */
struct hvc_cgroup_backend {
	const char *name;
	/* Fills cg->dirs for name. l == NULL: every hierarchy a cgroup of this
	 * back-end may live in (hvc_cgroup_open keeps those that exist);
	 * otherwise only the ones these limits and the stats need. Reads at most
	 * the tree's directory layout (stat), never a control file. */
	int (*layout)(struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
		      struct hvc_error *err);
	/* Appends the control-file writes for l (pure). */
	int (*plan_limits)(const struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
			   struct hvc_cgroup_plan *p, struct hvc_error *err);
	/* Creates and prepares the missing ancestors of dirs[i] (first use of "hvc"). */
	int (*prepare_parents)(const struct hvc_cgroup *cg, size_t i, struct hvc_error *err);
	/* Called when writing a pid into dirs[i] failed with errno e; returns 0
	 * when it repaired something worth a retry (v1 cpuset: ENOSPC). */
	int (*attach_repair)(const struct hvc_cgroup *cg, size_t i, int e);
	/* Called when a limit write got ENOENT; 0 when a retry may now work
	 * (v2: controller not yet enabled in an ancestor's subtree_control). */
	int (*write_repair)(const struct hvc_cgroup *cg, const struct hvc_cgroup_op *op);
	int (*stats)(const struct hvc_cgroup *cg, struct hvc_cgroup_stats *st,
		     struct hvc_error *err);
	int (*kill_all)(struct hvc_cgroup *cg, struct hvc_error *err);
};

extern const struct hvc_cgroup_backend hvc_cgroup_backend_v1;
extern const struct hvc_cgroup_backend hvc_cgroup_backend_v2;
extern const struct hvc_cgroup_backend hvc_cgroup_backend_hybrid;

/* The one place a back-end is chosen. NULL for HVC_CGROUP_NONE. */
const struct hvc_cgroup_backend *hvc_cgroup_backend_for(enum hvc_cgroup_mode mode);

/* Validates, lays out cg and fills plan (cgroup_plan.c); shared by
 * hvc_cgroup_plan_create and hvc_cgroup_create. l may be NULL (no limits). */
int hvc_cgroup_build(const struct hvc_cgroup_host *h, const char *name,
		     const struct hvc_cgroup_limits *l, struct hvc_cgroup *cg,
		     struct hvc_cgroup_plan *plan, struct hvc_error *err);

/* v1 pieces the hybrid back-end reuses (cgroup_v1.c), and the cgroup2
 * kill the hybrid back-end reuses (cgroup_v2.c). */
/* cpuacct: whether a new cgroup needs the cpuacct hierarchy for its CPU usage
 * (hybrid reads it from the cgroup2 tree's cpu.stat instead). */
int hvc_cgroup_v1_layout(struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l, bool cpuacct,
			 struct hvc_error *err);
int hvc_cgroup_v1_plan_limits(const struct hvc_cgroup *cg, const struct hvc_cgroup_limits *l,
			      struct hvc_cgroup_plan *p, struct hvc_error *err);
int hvc_cgroup_v1_prepare_parents(const struct hvc_cgroup *cg, size_t i, struct hvc_error *err);
int hvc_cgroup_v1_attach_repair(const struct hvc_cgroup *cg, size_t i, int e);
int hvc_cgroup_v1_stats(const struct hvc_cgroup *cg, struct hvc_cgroup_stats *st,
			struct hvc_error *err);
int hvc_cgroup_v1_kill_all(struct hvc_cgroup *cg, struct hvc_error *err);
int hvc_cgroup_v2_kill_dir(const char *dir, struct hvc_error *err);
int hvc_cgroup_v2_stats(const struct hvc_cgroup *cg, struct hvc_cgroup_stats *st,
			struct hvc_error *err);
/* CPU usage from a cgroup2 directory's cpu.stat (a core file: no controller needed). */
void hvc_cgroup_v2_cpu_usage(const char *dir, struct hvc_cgroup_stats *st);

/* Device rules -> BPF_PROG_TYPE_CGROUP_DEVICE instructions (pure; malloc'd),
 * and compile + load + attach to a cgroup2 directory (cgroup_devices.c). */
struct bpf_insn;
int hvc_cgroup_bpf_devices_compile(const char *const *rules, struct bpf_insn **out, size_t *n,
				   struct hvc_error *err);
int hvc_cgroup_bpf_devices_attach(const char *dir, const char *const *rules, struct hvc_error *err);
/* Appends the device-policy op for a cgroup2 directory (validates the rules). */
int hvc_cgroup_plan_bpf_devices(struct hvc_cgroup_plan *p, const char *dir,
				const char *const *rules, struct hvc_error *err);

/* Shared helpers (cgroup_fs.c). */
int hvc_cgroup_dir_add(struct hvc_cgroup *cg, unsigned role, const char *base,
		       struct hvc_error *err);
const struct hvc_cgroup_dir *hvc_cgroup_dir_for(const struct hvc_cgroup *cg, unsigned role);
int hvc_cgroup_plan_add(struct hvc_cgroup_plan *p, enum hvc_cgroup_op_kind kind, const char *dir,
			const char *file, const char *value, const char *limit, const char *absent,
			struct hvc_error *err);
/* Writes value to dir/file (O_WRONLY|O_TRUNC, never O_CREAT): 0 or -errno. */
int hvc_cgroup_write(const char *dir, const char *file, const char *value);
int hvc_cgroup_write_path(const char *path, const char *value);
/* Reads dir/file into buf (NUL-terminated, trailing newline kept): length or -errno. */
ssize_t hvc_cgroup_read(const char *dir, const char *file, char *buf, size_t len);
int hvc_cgroup_read_u64(const char *dir, const char *file, uint64_t *out);
/* Creates each missing ancestor of dir below base; calls prepared(ancestor,
 * parent, ud) after each one it created. */
int hvc_cgroup_mkdir_parents(const char *base, const char *dir,
			     int (*prepared)(const char *dir, const char *parent, void *ud),
			     void *ud, struct hvc_error *err);
/* SIGKILL every pid in procs (the text of a cgroup.procs file). */
void hvc_cgroup_kill_listed(const char *procs);
/* Freezer-less fallback and v1 kill: SIGKILL each pid listed in dir/cgroup.procs
 * until it is empty or tries run out. */
int hvc_cgroup_kill_procs(const char *dir, int tries);

#endif
