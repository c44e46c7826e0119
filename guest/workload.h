/* hvc-workload's internal contract: the parsed options every workload gets,
 * the one-line JSON result writer, and the helpers (clock, sizes, threads,
 * deterministic random numbers) the workload files share. Static, libc only:
 * the same binary runs natively, in containers and in VMs, so it cannot use
 * json-c, OpenSSL or hwloc (docs/workloads.md). */
#ifndef HVC_GUEST_WORKLOAD_H
#define HVC_GUEST_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version of the JSON line layout ("schema" field); bump on incompatible change. */
#define WL_SCHEMA 1

/* Options a workload accepts (wl_spec.accepts): anything else is a usage error. */
enum {
	WL_OPT_SECONDS = 1 << 0,
	WL_OPT_SIZE = 1 << 1,
	WL_OPT_THREADS = 1 << 2,
	WL_OPT_ITERATIONS = 1 << 3,
	WL_OPT_KERNEL = 1 << 4,
	WL_OPT_DIR = 1 << 5,
	WL_OPT_BLOCK = 1 << 6,
	WL_OPT_CORRUPT = 1 << 7,
	WL_OPT_COUNT = 1 << 8,
	WL_OPT_MIN_SECONDS = 1 << 9,
	WL_OPT_DIRECT = 1 << 10,
	WL_OPT_SERVER = 1 << 11,
	WL_OPT_LISTEN = 1 << 12,
	WL_OPT_IDLE = 1 << 13,
	WL_OPT_DIRECTION = 1 << 14,
};

struct wl_opts {
	const char *name;    /* the workload, for the JSON line */
	const char *self;    /* argv[0] */
	double seconds;	     /* measurement budget; < 0 = default */
	uint64_t size;	     /* bytes (or matrix order for cpu dgemm); 0 = default */
	unsigned threads;    /* >= 1 */
	unsigned iterations; /* 0 = default */
	const char *kernel;  /* NULL = default */
	const char *dir;     /* NULL = default */
	uint64_t block;	     /* 0 = default */
	uint64_t count;	     /* fixed amount of work instead of --seconds; 0 = unset */
	bool corrupt;	     /* --self-test-corrupt: damage the result before validation */
	double min_seconds;  /* floor on the measured time (repeat the kernel); 0 = none */
	const char *direct;  /* fileio's O_DIRECT mode: auto, on, off; NULL = auto */

	/* The network workloads (workload-net.h). */
	const char *server;    /* net clients: the net-server's ADDR:PORT */
	const char *listen;    /* net-server: ADDR:PORT; NULL = default */
	double idle_seconds;   /* net-server: exit when idle this long; < 0 = default */
	const char *direction; /* net-stream: up, down or both; NULL = both */
};

struct wl_spec {
	const char *name;
	int (*run)(const struct wl_opts *o);
	unsigned accepts;
	const char *usage; /* one line after the name */
};

/* The workloads (workload-<name>.c). Each returns the process exit status
 * after printing exactly one JSON line (wl_result_end or wl_fail). */
int wl_idle(const struct wl_opts *o);
int wl_cpu(const struct wl_opts *o);
int wl_mem(const struct wl_opts *o);
int wl_randmem(const struct wl_opts *o);
int wl_syscall(const struct wl_opts *o);
int wl_forkexec(const struct wl_opts *o);
int wl_fileio(const struct wl_opts *o);
int wl_net_server(const struct wl_opts *o);
int wl_net_stream(const struct wl_opts *o);
int wl_net_rr(const struct wl_opts *o);
int wl_net_crr(const struct wl_opts *o);

/* ---- result line (workload-common.c) ----
 * wl_result_begin, then fields, then wl_result_end prints
 * {"workload":NAME,"schema":1,"ok":true,...} and returns 0. A non-finite
 * number poisons the line: wl_result_end then prints the failure form
 * instead, so a broken run can never print a figure. */
struct wl_result {
	char buf[8192];
	size_t len;
	const char *workload;
	char bad[160]; /* first problem found, "" when none */
};
void wl_result_begin(struct wl_result *r, const char *workload);
void wl_result_num(struct wl_result *r, const char *key, double v);	/* %.6g */
void wl_result_num_pos(struct wl_result *r, const char *key, double v); /* must be > 0 */
void wl_result_int(struct wl_result *r, const char *key, long long v);
void wl_result_str(struct wl_result *r, const char *key, const char *v);
void wl_result_bool(struct wl_result *r, const char *key, bool v);
int wl_result_end(struct wl_result *r);
/* The keys every throughput workload reports: "min_seconds" (the floor asked
 * for, 0 = none), "measured_s" (the timed part the figures come from) and
 * "repeats" (how many times the measured unit ran). */
void wl_result_measured(struct wl_result *r, double min_seconds, double measured_s,
			long long repeats);
/* Prints {"workload":NAME,"schema":1,"ok":false,"error":"..."} and returns 1. */
int wl_fail(const char *workload, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- helpers (workload-common.c) ---- */
double wl_now(void); /* CLOCK_MONOTONIC seconds */
/* "64m", "1.5G", "4096" -> bytes (binary units). -1 on a malformed value. */
int wl_parse_size(const char *s, uint64_t *out);
/* The last-level cache as the program sees it, and the size the memory
 * workloads trust. A reported LLC of more than WL_LLC_MAX_PER_CPU per CPU
 * sharing it is implausible (no shipping part comes near; a hypervisor that
 * passes the whole socket's L3 through CPUID does): the trusted size is then
 * capped at WL_LLC_MAX_PER_CPU x sharing CPUs (docs/workloads.md). */
#define WL_LLC_MAX_PER_CPU (64ull << 20)
struct wl_llc {
	uint64_t bytes;	      /* trusted size (capped); 0 = unknown */
	uint64_t reported;    /* as read from the source */
	const char *source;   /* "sysfs", "cpuid" or "none" */
	unsigned sharing;     /* CPUs sharing it (sysfs shared_cpu_list, else online CPUs) */
	int level;	      /* cache level, 0 when unknown */
	bool capped;	      /* reported size judged implausible */
	char cap_reason[160]; /* why, "" when not capped */
};
void wl_llc_probe(struct wl_llc *l);
/* The plausibility rule alone (pure): fills bytes, capped, cap_reason from
 * reported and sharing. */
void wl_llc_judge(struct wl_llc *l);
/* "llc_bytes", "llc_reported_bytes", "llc_source", "llc_level",
 * "llc_sharing_cpus", "llc_capped", "llc_cap_reason", and "exceeds_llc"
 * (size > llc_bytes; false when the LLC is unknown). */
void wl_result_llc(struct wl_result *r, const struct wl_llc *l, uint64_t size);
/* ---- storage of a directory (workload-storage.c) ---- */
struct wl_mount {
	char point[1024], source[512], fstype[64];
	char options[512], super_options[1024]; /* cut to fit */
	char match[8]; /* how it was found: "device" (st_dev) or "path" (longest prefix) */
	bool volatile_, sync, ro;
};
struct wl_storage {
	unsigned long fs_magic; /* statfs f_type */
	char fs[32];		/* its name ("ext4", "overlayfs", ...) or 0x<magic> */
	bool have_mount;	/* /proc/self/mountinfo named its mount */
	struct wl_mount mount;
};
/* The file system name of a statfs f_type, NULL when unknown. */
const char *wl_fs_name(unsigned long type);
/* Pure: the mount of device maj:min holding path in a mountinfo buffer. 0 or -1. */
int wl_mountinfo_find(const char *buf, unsigned maj, unsigned min, const char *path,
		      struct wl_mount *out);
/* statfs + mountinfo of dir; -1 with err filled when dir cannot be examined. */
int wl_storage_probe(const char *dir, struct wl_storage *s, char *err, size_t errlen);
/* "fs_magic", "mount_match", "mount_point", "mount_source", "mount_fstype",
 * "mount_options", "mount_super_options", "mount_volatile", "mount_sync", "mount_ro". */
void wl_result_storage(struct wl_result *r, const struct wl_storage *s);

/* Total RAM (sysinfo), 0 when unknown. */
uint64_t wl_total_ram(void);
/* A memory workload's default size when none was asked for: 4x the last-level
 * cache (STREAM's rule), fallback when llc is 0 (unknown), never below min.
 * *source names the rule that chose it. The RAM cap is each workload's own. */
uint64_t wl_default_size(uint64_t llc, uint64_t fallback, uint64_t min, const char **source);
/* splitmix64: deterministic data everywhere, no libc rand() differences. */
static inline uint64_t wl_mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
/* Runs fn(i, arg_i) on n threads (thread 0 on the caller) and joins them.
 * args is an array of n elements of argsize bytes. Returns 0 or -errno. */
int wl_run_threads(unsigned n, void *(*fn)(void *), void *args, size_t argsize);

#endif
