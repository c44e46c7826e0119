/* bench/backend container: the hvc container runtime started as its users
 * start it — `hvc run --rm` spawned as a process (posix_spawn, pinned like
 * native and runc), so its start-up is measured like the peers' (issue 12:
 * the in-process library call is the separate "container-lib" row). The
 * container runs with hvc's defaults (all namespaces, overlay rootfs,
 * Docker's capabilities, seccomp, hvc-init as PID 1) and the same cpuset;
 * fileio writes on a bind-mounted volume (-v ctx->scratch_dir:/scratch).
 * Memory is read from the container's own cgroup, found from the container's
 * first process (a child of `hvc run`) once it has left hvc's cgroup.
 * Network: none (hvc's default) except for network workloads, which run on
 * the default bridge hvc0 against a net-server on the bridge's address;
 * "container-host" is the same runtime with `--network host` for every
 * workload (its network workloads reach the server on 127.0.0.1). */
#include "bench_internal.h"
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define CGROUP_POLL_US 2000
#define CGROUP_POLL_MAX 2500 /* 5 s: the container exists long before */

/* The path of `hvc` beside the running program (bin/hvc for bin/hvc and for
 * bin/tests/test_bench), else on PATH. */
static char *hvc_binary(void)
{
	const char *dir = hvc_bin_dir();
	char *p = hvc_path_join(dir, "hvc");
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	_cleanup_free_ char *up = hvc_path_join(dir, "..");
	p = hvc_path_join(up, "hvc");
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return hvc_bench_which("hvc");
}

/* The memory cgroup directory of pid from /proc/PID/cgroup: the v1 memory
 * line, else the v2 "0::" line. NULL when unreadable. */
static char *memory_cgroup_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct hvc_error e = {0};
	if (hvc_read_file(path, &text, &len, &e) < 0)
		return NULL;
	char *v2 = NULL, *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (hvc_mount_opt_has(c1 + 1, "memory"))
			return hvc_strdup_printf("/sys/fs/cgroup/memory%s", c2 + 1);
		if (!strcmp(l, "0:") && !c1[1])
			v2 = c2 + 1;
	}
	return v2 ? hvc_strdup_printf("/sys/fs/cgroup%s", strcmp(v2, "/") ? v2 : "") : NULL;
}

/* The first child of pid (the container's init), or 0. */
static pid_t first_child(pid_t pid)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct hvc_error e = {0};
	if (hvc_read_file(path, &text, &len, &e) < 0)
		return 0;
	return (pid_t)atoi(text);
}

/* Stands between hvc_bench_spawn_run and the sample: STARTED is passed on
 * only once the container's cgroup is known (the sampler reads it from
 * then on), by a thread that watches for it, or at READY at the latest. */
struct proxy {
	const struct hvc_bench_req *req;
	pthread_mutex_t lock;
	pthread_t th;
	bool th_started, started_sent;
	volatile bool stop;
	pid_t hvc_pid;
	char *own_cgroup, *cgroup_dir;
	struct hvc_bench_live live;
};

/* The container's cgroup once its init has moved out of hvc's (locked). */
static bool resolve_cgroup(struct proxy *px)
{
	if (px->cgroup_dir)
		return true;
	pid_t child = first_child(px->hvc_pid);
	_cleanup_free_ char *cg = child > 0 ? memory_cgroup_of(child) : NULL;
	if (!cg || (px->own_cgroup && !strcmp(cg, px->own_cgroup)))
		return false;
	px->cgroup_dir = steal_pointer(&cg);
	px->live = (struct hvc_bench_live){.cgroup_dir = px->cgroup_dir, .cgroup_procs = true};
	return true;
}

static void send_started(struct proxy *px)
{
	if (px->started_sent || !px->req->event)
		return;
	px->started_sent = true;
	px->req->event(px->req->opaque, HVC_BENCH_EV_STARTED, &px->live);
}

static void *watch_main(void *arg)
{
	struct proxy *px = arg;
	for (int i = 0; i < CGROUP_POLL_MAX && !px->stop; i++) {
		pthread_mutex_lock(&px->lock);
		bool done = px->started_sent || resolve_cgroup(px);
		if (px->cgroup_dir)
			send_started(px);
		pthread_mutex_unlock(&px->lock);
		if (done)
			break;
		usleep(CGROUP_POLL_US);
	}
	return NULL;
}

static void proxy_event(void *opaque, enum hvc_bench_event ev, const struct hvc_bench_live *live)
{
	struct proxy *px = opaque;
	if (ev == HVC_BENCH_EV_STARTED) {
		px->hvc_pid = live->pid;
		px->own_cgroup = memory_cgroup_of(getpid());
		if (pthread_create(&px->th, NULL, watch_main, px) == 0)
			px->th_started = true;
		return;
	}
	pthread_mutex_lock(&px->lock);
	resolve_cgroup(px);
	send_started(px); /* without a cgroup: the sample says no memory was read */
	pthread_mutex_unlock(&px->lock);
	if (px->req->event)
		px->req->event(px->req->opaque, HVC_BENCH_EV_READY, &px->live);
}

static void proxy_end(struct proxy *px)
{
	px->stop = true;
	if (px->th_started)
		pthread_join(px->th, NULL);
	pthread_mutex_destroy(&px->lock);
	free(px->own_cgroup);
	free(px->cgroup_dir);
}

struct ctr_priv {
	char *hvc;     /* the hvc binary */
	bool host_net; /* container-host: --network host for every workload */
};

static int ctr_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	if (geteuid() != 0) {
		snprintf(reason, len, "the hvc container runtime needs root here");
		return 0;
	}
	_cleanup_free_ char *bin = hvc_binary();
	if (!bin) {
		snprintf(reason, len, "the hvc binary was not found beside %s or on PATH",
			 hvc_bin_dir());
		return 0;
	}
	return hvc_bench_image_usable(ctx, reason, len);
}

static void ctr_prepare_slot(struct hvc_bench_ctx *ctx, unsigned slot, bool host_net)
{
	struct ctr_priv *p = hvc_xcalloc(1, sizeof(*p));
	p->hvc = hvc_binary();
	p->host_net = host_net;
	ctx->priv[slot] = p;
}

static int ctr_prepare(struct hvc_bench_ctx *ctx, struct hvc_error *err)
{
	(void)err;
	ctr_prepare_slot(ctx, HVC_BENCH_SLOT_CONTAINER, false);
	return 0;
}

static int ctr_host_prepare(struct hvc_bench_ctx *ctx, struct hvc_error *err)
{
	(void)err;
	ctr_prepare_slot(ctx, HVC_BENCH_SLOT_CONTAINER_HOST, true);
	return 0;
}

/* --network for one instance: host (container-host), bridge for network
 * workloads, else none, given explicitly (hvc's default is the bridge): the
 * other workloads, like runc's and the native runs, pay for no veth. */
static const char *ctr_network(const struct ctr_priv *p, bool network)
{
	return p && p->host_net ? "host" : network ? "bridge" : "none";
}

/* hvc run --rm --name TAG --cpuset-cpus CPUS [-v SCRATCH:/scratch] [-w DIR] IMAGE
 * hvc-workload ARGS... (hvc_path: NULL in descriptions) */
static char **ctr_argv(struct hvc_bench_ctx *ctx, const char *hvc_path, const char *tag,
		       bool scratch_disk, const char *network, char *const *args)
{
	char **v = NULL;
	hvc_strv_push(&v, hvc_path ? hvc_path : "hvc");
	hvc_strv_push(&v, "run");
	hvc_strv_push(&v, "--rm");
	hvc_strv_push(&v, "--name");
	hvc_strv_push(&v, tag);
	if (network) {
		hvc_strv_push(&v, "--network");
		hvc_strv_push(&v, network);
	}
	hvc_strv_push(&v, "--cpuset-cpus");
	hvc_strv_push(&v, ctx->cpus);
	if (scratch_disk && !ctx->fileio_on_overlay) {
		_cleanup_free_ char *vol =
		    hvc_strdup_printf("%s:%s", ctx->scratch_dir, HVC_BENCH_SCRATCH_PATH);
		hvc_strv_push(&v, "-v");
		hvc_strv_push(&v, vol);
	}
	if (scratch_disk) {
		hvc_strv_push(&v, "-w");
		hvc_strv_push(&v, ctx->fileio_on_overlay ? "/tmp" : HVC_BENCH_SCRATCH_PATH);
	}
	hvc_strv_push(&v, ctx->image);
	hvc_strv_push(&v, HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (; args && *args; args++)
		hvc_strv_push(&v, *args);
	return v;
}

static int ctr_run_slot(struct hvc_bench_ctx *ctx, unsigned slot, const struct hvc_bench_req *req,
			struct hvc_bench_outcome *out, struct hvc_error *err)
{
	struct ctr_priv *p = ctx->priv[slot];
	_cleanup_strv_ char **argv = ctr_argv(ctx, p->hvc, req->tag, req->scratch_disk,
					      ctr_network(p, req->network), req->argv);
	__attribute__((cleanup(proxy_end))) struct proxy px = {.req = req};
	pthread_mutex_init(&px.lock, NULL);
	struct hvc_bench_req preq = *req;
	preq.event = proxy_event;
	preq.opaque = &px;
	struct hvc_bench_spawn sp = {.argv = argv, .cpus = req->cpus, .track_pid = true};
	if (hvc_bench_spawn_run(&sp, &preq, out, err) < 0) {
		/* a killed `hvc run` (timeout) may leave its container: remove it */
		char *rm[] = {p->hvc, "rm", "-f", (char *)req->tag, NULL};
		struct hvc_error e = {0};
		hvc_spawn_capture(rm, NULL, true, 10000, &e);
		return -1;
	}
	out->phases = json_object_new_object();
	if (out->ready_ms >= 0)
		hvc_json_add_double(out->phases, "first_output", out->ready_ms);
	if (out->exit_status != 0 && out->extra) {
		/* hvc's own failure (125..127 or a message) is the sample's reason */
		const char *se = hvc_json_get_string(out->extra, "stderr");
		if (se && *se && out->exit_status >= 125)
			return hvc_err(err, 0, "hvc run exited with status %d: %s",
				       out->exit_status, hvc_str_trim((char *)se));
	}
	return 0;
}

static int ctr_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		   struct hvc_bench_outcome *out, struct hvc_error *err)
{
	return ctr_run_slot(ctx, HVC_BENCH_SLOT_CONTAINER, req, out, err);
}

static int ctr_host_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
			struct hvc_bench_outcome *out, struct hvc_error *err)
{
	return ctr_run_slot(ctx, HVC_BENCH_SLOT_CONTAINER_HOST, req, out, err);
}

static int ctr_image_size(struct hvc_bench_ctx *ctx, struct hvc_bench_size *out,
			  struct hvc_error *err)
{
	return hvc_bench_image_size(ctx->image, out, err);
}

/* The suite's workload whose args these are (describe is handed the args
 * only), or NULL. */
static const struct hvc_bench_workload *workload_of(const struct hvc_bench_ctx *ctx,
						    char *const *args)
{
	for (size_t i = 0; ctx->suite && i < ctx->suite->n_workloads; i++)
		if (ctx->suite->workloads[i].args == args)
			return &ctx->suite->workloads[i];
	return NULL;
}

static char *ctr_describe_slot(struct hvc_bench_ctx *ctx, unsigned slot, char *const *args)
{
	const struct hvc_bench_workload *w = workload_of(ctx, args);
	bool network = w && w->kind == HVC_BENCH_NETWORK;
	_cleanup_strv_ char **v = ctr_argv(ctx, NULL, "TAG", w && w->scratch_disk,
					   ctr_network(ctx->priv[slot], network), args);
	if (network)
		hvc_strv_push(&v, "--server ADDR:PORT");
	char *s = hvc_strdup_printf("sched_setaffinity(%s);", ctx->cpus);
	for (char **a = v; *a; a++) {
		char *n = hvc_strdup_printf("%s %s", s, *a);
		free(s);
		s = n;
	}
	char *n = hvc_strdup_printf("%s (spawned process)", s);
	free(s);
	return n;
}

static char *ctr_describe(struct hvc_bench_ctx *ctx, char *const *args)
{
	return ctr_describe_slot(ctx, HVC_BENCH_SLOT_CONTAINER, args);
}

static char *ctr_host_describe(struct hvc_bench_ctx *ctx, char *const *args)
{
	return ctr_describe_slot(ctx, HVC_BENCH_SLOT_CONTAINER_HOST, args);
}

static void ctr_storage(struct hvc_bench_ctx *ctx, struct hvc_bench_storage *st)
{
	hvc_bench_container_storage(ctx, "hvc run -v HOST:/scratch -w /scratch", st);
}

static void ctr_cleanup_slot(struct hvc_bench_ctx *ctx, unsigned slot)
{
	struct ctr_priv *p = ctx->priv[slot];
	if (!p)
		return;
	free(p->hvc);
	free(p);
	ctx->priv[slot] = NULL;
}

static void ctr_cleanup(struct hvc_bench_ctx *ctx)
{
	ctr_cleanup_slot(ctx, HVC_BENCH_SLOT_CONTAINER);
}

static void ctr_host_cleanup(struct hvc_bench_ctx *ctx)
{
	ctr_cleanup_slot(ctx, HVC_BENCH_SLOT_CONTAINER_HOST);
}

const struct hvc_bench_backend hvc_bench_backend_container = {
    .name = "container",
    .slot = HVC_BENCH_SLOT_CONTAINER,
    .summary = "the hvc container runtime as `hvc run --rm` (namespaces, overlayfs, cgroups, "
	       "seccomp, capabilities), spawned like runc",
    .available = ctr_available,
    .prepare = ctr_prepare,
    .run = ctr_run,
    .image_size = ctr_image_size,
    .describe = ctr_describe,
    .storage = ctr_storage,
    .cleanup = ctr_cleanup,
    .net_peer = hvc_bench_net_peer_bridge,
};

/* Opt-in like container-lib: the network axis's "--network host" row. */
const struct hvc_bench_backend hvc_bench_backend_container_host = {
    .name = "container-host",
    .slot = HVC_BENCH_SLOT_CONTAINER_HOST,
    .summary = "the hvc container runtime as `hvc run --rm --network host` (the host's network "
	       "namespace, everything else as container)",
    .opt_in = true,
    .available = ctr_available,
    .prepare = ctr_host_prepare,
    .run = ctr_host_run,
    .image_size = ctr_image_size,
    .describe = ctr_host_describe,
    .storage = ctr_storage,
    .cleanup = ctr_host_cleanup,
    .net_peer = hvc_bench_net_peer_loopback,
};
