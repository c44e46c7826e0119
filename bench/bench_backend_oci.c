/* bench/backend runc, crun: peer OCI runtimes on the benchmark image exported
 * as a bundle (bench/bench_bundle.c). One flattened rootfs is shared by both;
 * each sample gets its own config.json (its command, its cgroup) pointing at
 * it. Pinned like native: sched_setaffinity before exec (inherited by the
 * container) plus the same CPUs as the OCI cpuset. Memory is read from the
 * container's own cgroup, which the runtime creates at cgroupsPath. */
#include "bench_internal.h"
#include "hvc/network.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct oci_priv {
	char *binary; /* /usr/bin/runc */
	char *state;  /* --root for the runtime's own state */
};

static char *shared_rootfs(struct hvc_bench_ctx *ctx)
{
	return hvc_path_join(ctx->work_dir, "oci-bundle/rootfs");
}

static int oci_available(const char *prog, struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	_cleanup_free_ char *bin = hvc_bench_which(prog);
	if (!bin) {
		snprintf(reason, len, "%s not installed (apt-get install %s)", prog, prog);
		return 0;
	}
	return hvc_bench_image_usable(ctx, reason, len);
}

static int runc_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	return oci_available("runc", ctx, reason, len);
}

static int crun_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	return oci_available("crun", ctx, reason, len);
}

/* cgroupsPath "/<tag>" lands here for the memory controller. */
static char *memory_cgroup_dir(const char *tag)
{
	if (hvc_path_exists("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
		return hvc_strdup_printf("/sys/fs/cgroup/memory/%s", tag);
	return hvc_strdup_printf("/sys/fs/cgroup/%s", tag);
}

/* The bundle's network namespace becomes the prepared one (by path). */
static void join_netns(json_object *cfg, const char *path)
{
	json_object *nss = hvc_json_get(hvc_json_get(cfg, "linux"), "namespaces");
	for (size_t i = 0; nss && i < json_object_array_length(nss); i++) {
		json_object *n = json_object_array_get_idx(nss, i);
		if (!strcmp(hvc_json_get_string(n, "type") ?: "", "network"))
			hvc_json_add_string(n, "path", path);
	}
}

static int oci_run_one(const struct hvc_bench_backend *b, struct hvc_bench_ctx *ctx,
		       const struct hvc_bench_req *req, char *const *cmd,
		       struct hvc_bench_outcome *out, struct hvc_error *err)
{
	struct oci_priv *p = ctx->priv[b->slot];
	_cleanup_free_ char *rootfs = shared_rootfs(ctx);
	_cleanup_free_ char *name = hvc_strdup_printf("%s-%s", b->name, req->tag);
	_cleanup_free_ char *bundle = hvc_path_join(ctx->work_dir, name);
	_cleanup_free_ char *cgpath = hvc_strdup_printf("/%s", name);
	struct hvc_bench_bundle_opts o = {
	    .args = (char **)cmd, .cpus = req->cpus, .cgroups_path = cgpath};
	if (req->scratch_disk && req->scratch_host) {
		o.volume_host = req->scratch_host;
		o.volume_path = HVC_BENCH_SCRATCH_PATH;
	}
	struct hvc_image_config none = {0};
	_cleanup_json_ json_object *cfg = NULL;
	if (hvc_bench_oci_config(&none, &o, &cfg, err) < 0)
		return -1;
	__attribute__((cleanup(hvc_bench_netns_close))) struct hvc_bench_netns ns = {0};
	if (req->network) {
		if (hvc_bench_netns_open(&ns, err) < 0)
			return hvc_error_prefix(err, "network namespace on %s", HVC_NET_DEFAULT);
		join_netns(cfg, ns.path);
	}
	hvc_json_add_string(hvc_json_get(cfg, "root"), "path", rootfs);
	if (req->scratch_disk && !req->scratch_host) /* --fileio-on overlay: the rootfs */
		hvc_json_add_string(hvc_json_get(cfg, "process"), "cwd", "/tmp");
	_cleanup_free_ char *cfgp = hvc_path_join(bundle, "config.json");
	if (hvc_mkdir_p(bundle, 0755, err) < 0 || hvc_json_write_file_atomic(cfgp, cfg, err) < 0)
		return -1;
	char *argv[] = {p->binary, "--root", p->state, "run", "--bundle", bundle, name, NULL};
	_cleanup_free_ char *cgdir = memory_cgroup_dir(name);
	struct hvc_bench_spawn sp = {
	    .argv = argv,
	    .cpus = req->cpus,
	    .live = {.cgroup_dir = cgdir, .cgroup_procs = true},
	};
	int r = hvc_bench_spawn_run(&sp, req, out, err);
	if (r < 0) {
		/* a killed runtime may leave its container: remove it */
		char *del[] = {p->binary, "--root", p->state, "delete", "--force", name, NULL};
		struct hvc_error e = {0};
		hvc_spawn_capture(del, NULL, true, 10000, &e);
	}
	struct hvc_error e = {0};
	hvc_rm_rf(bundle, &e);
	if (r == 0 && out->exit_status != 0 && out->extra) {
		const char *se = hvc_json_get_string(out->extra, "stderr");
		if (se && *se)
			return hvc_err(err, 0, "%s exited with status %d: %s", b->name,
				       out->exit_status, hvc_str_trim((char *)se));
	}
	return r;
}

static int oci_prepare(const struct hvc_bench_backend *b, struct hvc_bench_ctx *ctx,
		       struct hvc_error *err)
{
	struct oci_priv *p = hvc_xcalloc(1, sizeof(*p));
	ctx->priv[b->slot] = p;
	p->binary = hvc_bench_which(b->name);
	_cleanup_free_ char *st = hvc_strdup_printf("%s-state", b->name);
	p->state = hvc_path_join(ctx->work_dir, st);
	if (hvc_mkdir_p(p->state, 0700, err) < 0)
		return -1;
	_cleanup_free_ char *rootfs = shared_rootfs(ctx);
	if (!hvc_path_exists(rootfs)) {
		_cleanup_free_ char *dir = hvc_path_join(ctx->work_dir, "oci-bundle");
		if (hvc_bench_bundle_write(ctx->image, dir, NULL, err) < 0)
			return hvc_error_prefix(err, "bundle of %s", ctx->image);
	}
	/* One trial container: a runtime that cannot run here (crun on a
	 * hybrid cgroup host, say) is reported with its own words. */
	struct hvc_bench_req req = {
	    .image = ctx->image, .cpus = ctx->cpus, .timeout_ms = 30000, .tag = "probe"};
	struct hvc_bench_outcome out;
	memset(&out, 0, sizeof(out));
	char *cmd[] = {"true", NULL};
	int r = oci_run_one(b, ctx, &req, cmd, &out, err);
	hvc_bench_outcome_clear(&out);
	if (r < 0)
		return hvc_error_prefix(err, "%s cannot run a container on this host", b->name);
	return 0;
}

static int oci_run(const struct hvc_bench_backend *b, struct hvc_bench_ctx *ctx,
		   const struct hvc_bench_req *req, struct hvc_bench_outcome *out,
		   struct hvc_error *err)
{
	_cleanup_strv_ char **cmd = NULL;
	hvc_strv_push(&cmd, HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (char *const *a = req->argv; a && *a; a++)
		hvc_strv_push(&cmd, *a);
	return oci_run_one(b, ctx, req, cmd, out, err);
}

static char *oci_describe(const struct hvc_bench_backend *b, struct hvc_bench_ctx *ctx,
			  char *const *args)
{
	char *s = hvc_strdup_printf("sched_setaffinity(%s); %s --root STATE run --bundle BUNDLE ID "
				    "(config.json: image %s flattened, cpuset %s, args %s",
				    ctx->cpus, b->name, ctx->image, ctx->cpus,
				    HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (; args && *args; args++) {
		char *n = hvc_strdup_printf("%s %s", s, *args);
		free(s);
		s = n;
	}
	char *n = hvc_strdup_printf(
	    "%s; fileio: %s)", s,
	    ctx->fileio_on_overlay ? "cwd /tmp on the rootfs (--fileio-on overlay)"
				   : "bind mount of the scratch volume at /scratch, cwd /scratch");
	free(s);
	return n;
}

static void oci_storage(struct hvc_bench_ctx *ctx, struct hvc_bench_storage *st)
{
	hvc_bench_container_storage(
	    ctx, "config.json: a bind mount (rbind, rw) of HOST at /scratch, process.cwd /scratch",
	    st);
}

static void oci_cleanup(const struct hvc_bench_backend *b, struct hvc_bench_ctx *ctx)
{
	struct oci_priv *p = ctx->priv[b->slot];
	if (!p)
		return;
	free(p->binary);
	free(p->state);
	free(p);
	ctx->priv[b->slot] = NULL;
}

static int oci_image_size(struct hvc_bench_ctx *ctx, struct hvc_bench_size *out,
			  struct hvc_error *err)
{
	return hvc_bench_image_size(ctx->image, out, err);
}

/* The peers reach the host's net-server on hvc0's address from a network
 * namespace the harness attaches to hvc0 as hvc attaches a container
 * (bench/bench_netns.c), named in the bundle: the same path, veth + bridge. */
static int oci_net_peer(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len, const char **path,
			char *reason, size_t len)
{
	return hvc_bench_net_peer_bridge(ctx, addr, addr_len, path, reason, len);
}

#define OCI_BACKEND(NAME, SLOT)                                                                    \
	static int NAME##_prepare(struct hvc_bench_ctx *ctx, struct hvc_error *err)                \
	{                                                                                          \
		return oci_prepare(&hvc_bench_backend_##NAME, ctx, err);                           \
	}                                                                                          \
	static int NAME##_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,          \
			      struct hvc_bench_outcome *out, struct hvc_error *err)                \
	{                                                                                          \
		return oci_run(&hvc_bench_backend_##NAME, ctx, req, out, err);                     \
	}                                                                                          \
	static char *NAME##_describe(struct hvc_bench_ctx *ctx, char *const *args)                 \
	{                                                                                          \
		return oci_describe(&hvc_bench_backend_##NAME, ctx, args);                         \
	}                                                                                          \
	static void NAME##_cleanup(struct hvc_bench_ctx *ctx)                                      \
	{                                                                                          \
		oci_cleanup(&hvc_bench_backend_##NAME, ctx);                                       \
	}                                                                                          \
	const struct hvc_bench_backend hvc_bench_backend_##NAME = {                                \
	    .name = #NAME,                                                                         \
	    .summary = #NAME " (peer OCI runtime) on the same image exported as an OCI bundle",    \
	    .slot = SLOT,                                                                          \
	    .available = NAME##_available,                                                         \
	    .prepare = NAME##_prepare,                                                             \
	    .run = NAME##_run,                                                                     \
	    .image_size = oci_image_size,                                                          \
	    .describe = NAME##_describe,                                                           \
	    .storage = oci_storage,                                                                \
	    .cleanup = NAME##_cleanup,                                                             \
	    .net_peer = oci_net_peer,                                                              \
	};

OCI_BACKEND(runc, HVC_BENCH_SLOT_RUNC)
OCI_BACKEND(crun, HVC_BENCH_SLOT_CRUN)
