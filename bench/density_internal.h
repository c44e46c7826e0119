/* bench/density: declarations shared by the sweep's own files only — the
 * instance model and the table of density backends (a backend here keeps
 * instances running, unlike the harness's run-to-completion backends). */
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
const struct density_backend *hvc_density_backend_find(const char *name);

/* Feeds output bytes of an instance: lines, READY on the first line, and
 * the workload's result figures (shared by both backends). */
void hvc_density_feed(struct density_ctx *ctx, struct density_inst *in, const char *buf,
		      size_t len);
void hvc_density_mark_dead(struct density_inst *in, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Output (bench/density_output.c): density.json -> results.json, report, charts. */
int hvc_density_write_outputs(json_object *d, const char *dir, struct hvc_error *err);

#endif
