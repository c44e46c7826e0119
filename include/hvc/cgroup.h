/* engine/cgroup: one interface over unified v2, legacy v1 and hybrid hosts.
 * Detection (engine/cgroup/cgroup_detect.c) is shared by `hvc info` and the runtime;
 * the back-ends are const tables of function pointers chosen in one place.
 * The sysfs root is a parameter so tests point it at fake trees. */
#ifndef HVC_CGROUP_H
#define HVC_CGROUP_H

#include "hvc/util.h"

enum hvc_cgroup_mode {
	HVC_CGROUP_NONE = 0, /* nothing usable mounted */
	HVC_CGROUP_V1,       /* legacy: one hierarchy per controller */
	HVC_CGROUP_V2,       /* unified: cgroup2 at the root */
	HVC_CGROUP_HYBRID,   /* v1 controllers + a cgroup2 tree (e.g. /sys/fs/cgroup/unified) */
};

/* Controllers hvc uses. */
enum hvc_cgroup_ctrl {
	HVC_CG_CPU = 1 << 0,
	HVC_CG_CPUSET = 1 << 1,
	HVC_CG_MEMORY = 1 << 2,
	HVC_CG_PIDS = 1 << 3,
	HVC_CG_IO = 1 << 4, /* io (v2) / blkio (v1) */
	HVC_CG_FREEZER = 1 << 5,
};

struct hvc_cgroup_host {
	enum hvc_cgroup_mode mode;
	char root[256];        /* sysfs cgroup root, e.g. "/sys/fs/cgroup" */
	char unified[256];     /* path of the cgroup2 tree ("" when none) */
	unsigned usable;       /* HVC_CG_* bits: controllers hvc can actually use */
	unsigned v2_controllers; /* HVC_CG_* bits enabled in the cgroup2 tree */
};

/* Reads <root>/../mountinfo-like facts from the tree under root (normally
 * "/sys/fs/cgroup") plus the mount table text (contents of
 * /proc/self/mountinfo; NULL = read the real one). Pure when mountinfo given. */
int hvc_cgroup_detect(const char *root, const char *mountinfo, struct hvc_cgroup_host *out,
		      struct hvc_error *err);
const char *hvc_cgroup_mode_name(enum hvc_cgroup_mode m); /* "v1", "v2", "hybrid", "none" */
/* "cpu,cpuset,memory,pids" for a bit set, into buf. */
const char *hvc_cgroup_ctrl_names(unsigned bits, char *buf, size_t len);

/* ---------- limits ------------------------------------------------------
 * What a container asks for. Zero/empty means "no limit" for every field. */
struct hvc_cgroup_limits {
	uint64_t memory_max;      /* bytes; 0 = none (-m) */
	bool swap_off;            /* with memory_max: no swap on top of it (v1: memsw = memory_max;
				   * v2: memory.swap.max = 0); ignored without memory_max */
	uint64_t cpu_quota_us;    /* 0 = none; --cpus N -> quota = N * period */
	uint64_t cpu_period_us;   /* 0 = default 100000 when a quota is set */
	char cpuset_cpus[64];     /* "" = inherit (--cpuset-cpus "0-1") */
	char cpuset_mems[64];     /* "" = inherit */
	int64_t pids_max;         /* <= 0 = none (--pids-limit) */
	/* Device policy, v1 "devices.allow" rules ("c 1:3 rwm", "c 136:* rwm",
	 * "a") applied after denying everything; NULL = no policy. v1 and hybrid:
	 * the devices hierarchy; v2 (or hybrid without one): the same rules as a
	 * BPF device program attached to the cgroup2 directory. Borrowed: must
	 * outlive hvc_cgroup_create. */
	const char *const *devices_allow;
};

/* "--cpus 1.5" -> quota 150000 per period 100000. Errors name the value. */
int hvc_cgroup_limits_set_cpus(struct hvc_cgroup_limits *l, const char *cpus,
			       struct hvc_error *err);
/* The same from a number (the runtime's parsed --cpus). */
int hvc_cgroup_limits_set_cpus_n(struct hvc_cgroup_limits *l, double cpus,
				 struct hvc_error *err);
/* Range checks that need no host (cpu quota >= 1 ms, period 1 ms..1 s, list syntax). */
int hvc_cgroup_limits_validate(const struct hvc_cgroup_limits *l, struct hvc_error *err);

/* ---------- plan: the writes a create performs, as data -----------------
 * Built from host facts + name + limits without writing anything, applied
 * by hvc_cgroup_create. Paths are absolute (they start with the host's root). */
enum hvc_cgroup_op_kind {
	HVC_CG_OP_MKDIR, /* a cgroup directory (one per hierarchy) */
	HVC_CG_OP_WRITE, /* value into a control file */
	HVC_CG_OP_COPY,  /* the same file's value from the parent directory (v1 cpuset) */
	HVC_CG_OP_BPF_DEVICES, /* device rules as a BPF program attached to a cgroup2 directory */
};

struct hvc_cgroup_op {
	enum hvc_cgroup_op_kind kind;
	char path[512];
	char value[96];
	const char *limit;  /* the limit it enforces, for errors ("memory limit"), or NULL */
	const char *absent; /* why the file can be missing on a host, or NULL */
	const char *const *rules; /* HVC_CG_OP_BPF_DEVICES: the allow rules (borrowed) */
};

#define HVC_CGROUP_PLAN_MAX 48
struct hvc_cgroup_plan {
	size_t n;
	struct hvc_cgroup_op ops[HVC_CGROUP_PLAN_MAX];
};

/* Validates name ("hvc/<id>": [A-Za-z0-9_.-] components, no "..") and
 * limits against the host (a limit whose controller is not usable is an
 * error naming the limit and why), then fills plan. Writes nothing and reads
 * no control file: at most a stat of a hierarchy root (is cpuacct co-mounted
 * with cpu? is there a devices hierarchy?). */
int hvc_cgroup_plan_create(const struct hvc_cgroup_host *h, const char *name,
			   const struct hvc_cgroup_limits *l, struct hvc_cgroup_plan *plan,
			   struct hvc_error *err);
/* One line per op: "mkdir memory/hvc/x", "write memory/hvc/x/memory.max 1048576",
 * "copy cpuset/hvc/x/cpuset.mems" (from the parent), "bpf-devices hvc/x 3 rules",
 * with strip (normally h->root) removed from the front of paths. malloc'd. */
char *hvc_cgroup_plan_format(const struct hvc_cgroup_plan *plan, const char *strip);

/* ---------- lifecycle ---------------------------------------------------- */
struct hvc_cgroup; /* one cgroup: a directory per hierarchy it lives in */

/* Creates `name` in every hierarchy the back-end uses and applies limits.
 * Missing parents ("hvc") are created and prepared on first use (v2: the
 * controllers enabled in cgroup.subtree_control; v1: cpuset.cpus/mems copied
 * from the root).
 * On failure nothing it created remains. */
int hvc_cgroup_create(const struct hvc_cgroup_host *h, const char *name,
		      const struct hvc_cgroup_limits *l, struct hvc_cgroup **out,
		      struct hvc_error *err);
/* An existing cgroup (for stats, exec, rm). ENOENT when it exists nowhere. */
int hvc_cgroup_open(const struct hvc_cgroup_host *h, const char *name, struct hvc_cgroup **out,
		    struct hvc_error *err);
void hvc_cgroup_free(struct hvc_cgroup *cg);
void hvc_cgroup_freep(struct hvc_cgroup **cg);
#define _cleanup_cgroup_ __attribute__((cleanup(hvc_cgroup_freep)))

const char *hvc_cgroup_name(const struct hvc_cgroup *cg);
/* Number of directories and the i-th one (for tests, inspect, docs). */
size_t hvc_cgroup_n_dirs(const struct hvc_cgroup *cg);
const char *hvc_cgroup_dir(const struct hvc_cgroup *cg, size_t i);
/* The directory serving a controller ("memory", "cpu", "cpuacct", "cpuset",
 * "pids", "freezer", "devices", or "unified" for the cgroup2 part), NULL when
 * the cgroup has none. On v2 every controller is the one directory. */
const char *hvc_cgroup_dir_for_controller(const struct hvc_cgroup *cg, const char *controller);

/* Moves pid (every thread of it) into the cgroup in every hierarchy. */
int hvc_cgroup_attach(struct hvc_cgroup *cg, pid_t pid, struct hvc_error *err);
/* For a forked child before exec: opens each hierarchy's cgroup.procs for
 * writing (O_CLOEXEC) into fds[0..*n). The child then calls
 * hvc_cgroup_enter_fds, which only write(2)s "0" (async-signal-safe). */
#define HVC_CGROUP_MAX_DIRS 10
int hvc_cgroup_open_procs_fds(struct hvc_cgroup *cg, int fds[HVC_CGROUP_MAX_DIRS], size_t *n,
			      struct hvc_error *err);
/* Returns 0 or -errno of the first failed write. */
int hvc_cgroup_enter_fds(const int *fds, size_t n);
/* cgroup2 directory fd (O_DIRECTORY|O_CLOEXEC) for clone3(CLONE_INTO_CGROUP),
 * or -ENOENT when the cgroup has no cgroup2 part (v1). Caller closes. */
int hvc_cgroup_open_v2_dirfd(struct hvc_cgroup *cg, struct hvc_error *err);

/* SIGKILLs every process in the cgroup (v2/hybrid: cgroup.kill; else freeze,
 * kill each task, thaw) and waits briefly for them to go. */
int hvc_cgroup_kill_all(struct hvc_cgroup *cg, struct hvc_error *err);
/* Removes every per-hierarchy directory (and nested children), retrying
 * while exiting tasks still hold it (up to ~2 s). Already-gone is success.
 * Does not kill: call hvc_cgroup_kill_all first when processes may remain. */
int hvc_cgroup_destroy(struct hvc_cgroup *cg, struct hvc_error *err);

/* ---------- stale cgroups (hvc system prune) ---------------------------- */
/* Names of the children of `parent` ("hvc") in any hierarchy, as
 * "parent/child", sorted, NULL-terminated (empty vector when none). */
int hvc_cgroup_list(const struct hvc_cgroup_host *h, const char *parent, char ***names,
		    struct hvc_error *err);
/* Kills and removes every child of parent for which is_live(name, ud) is
 * false (is_live NULL = none is live). *removed counts them. Continues past
 * failures; returns the first error. */
int hvc_cgroup_reclaim(const struct hvc_cgroup_host *h, const char *parent,
		       bool (*is_live)(const char *name, void *ud), void *ud, size_t *removed,
		       struct hvc_error *err);

/* ---------- statistics --------------------------------------------------- */
enum hvc_cgroup_stat_bits {
	HVC_CGS_MEM_CURRENT = 1 << 0,
	HVC_CGS_MEM_PEAK = 1 << 1,    /* v1 max_usage_in_bytes; v2 memory.peak (>= 5.19) */
	HVC_CGS_MEM_LIMIT = 1 << 2,
	HVC_CGS_MEM_STAT = 1 << 3,    /* inactive_file, file_cache, anon */
	HVC_CGS_CPU = 1 << 4,
	HVC_CGS_PIDS = 1 << 5,
	HVC_CGS_OOM = 1 << 6,
};

struct hvc_cgroup_stats {
	unsigned have;           /* HVC_CGS_* bits: which fields were readable */
	uint64_t memory_current; /* bytes charged now (includes page cache) */
	uint64_t memory_peak;
	uint64_t memory_limit;   /* UINT64_MAX = none */
	uint64_t inactive_file;  /* reclaimable cache; working set = current - inactive_file */
	uint64_t file_cache;     /* v1 "cache", v2 "file" */
	uint64_t anon;           /* v1 "rss", v2 "anon" */
	uint64_t cpu_usage_ns;
	uint64_t pids_current;
	uint64_t pids_limit;     /* UINT64_MAX = none */
	uint64_t oom_kills;      /* v1 memory.oom_control oom_kill; v2 memory.events oom_kill */
};

int hvc_cgroup_stats(struct hvc_cgroup *cg, struct hvc_cgroup_stats *st, struct hvc_error *err);
/* Only the OOM-kill count (one file read, for the exit path): 0, or -1
 * when the kernel keeps none there. */
int hvc_cgroup_oom_kills(const struct hvc_cgroup *cg, uint64_t *n);

/* The statistics as a json object (for `stats --json` and bench results):
 * memory_current, memory_peak, memory_limit, inactive_file, file_cache, anon,
 * working_set (current - inactive_file), cpu_usage_ns, pids_current,
 * pids_limit, oom_kills; a field the host could not give is left out, a
 * limit of "none" is null. Pure. */
json_object *hvc_cgroup_stats_json(const struct hvc_cgroup_stats *st);

/* Pure parsers (buffers, not paths). "max" parses as UINT64_MAX. */
int hvc_cgroup_parse_u64(const char *buf, uint64_t *out);
/* Flat keyed files ("key value\n"...: memory.stat, memory.events, cpu.stat,
 * memory.oom_control). -ENOENT when key is absent. */
int hvc_cgroup_parse_keyed(const char *buf, const char *key, uint64_t *out);

/* The cgroup section of the host description (hvc/host.h): mode, root,
 * unified mount, usable and v2 controllers. arg unused. */
void hvc_cgroup_host_add(json_object *host, const void *arg);

#endif
