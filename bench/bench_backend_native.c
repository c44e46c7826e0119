/* bench/backend native: the workload run directly on the host — no
 * namespaces, no cgroup, no image — pinned to the same CPUs as every other
 * backend. The baseline every ratio is taken against. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench_internal.h"

static int native_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	if (!ctx->workload_bin || access(ctx->workload_bin, X_OK) < 0) {
		snprintf(reason, len, "hvc-workload not found at %s (run make)",
			 ctx->workload_bin ? ctx->workload_bin : "(unknown)");
		return 0;
	}
	return 1;
}

static char **native_argv(struct hvc_bench_ctx *ctx, char *const *args)
{
	char **v = NULL;
	hvc_strv_push(&v, ctx->workload_bin);
	for (; args && *args; args++)
		hvc_strv_push(&v, *args);
	return v;
}

static int native_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		      struct hvc_bench_outcome *out, struct hvc_error *err)
{
	_cleanup_strv_ char **argv = native_argv(ctx, req->argv);
	struct hvc_bench_spawn sp = {
		.argv = argv,
		.cpus = req->cpus,
		.live = { .pid_tree = true },
		.track_pid = true,
		/* fileio writes its scratch file here: the containers' volume is
		 * this very directory */
		.cwd = req->scratch_disk && ctx->scratch_dir ? ctx->scratch_dir : ctx->work_dir,
	};
	if (hvc_bench_spawn_run(&sp, req, out, err) < 0)
		return -1;
	/* one process: its fork+exec+first line is the whole start-up */
	out->phases = json_object_new_object();
	hvc_json_add_double(out->phases, "exec_to_ready", out->ready_ms);
	return 0;
}

static int native_image_size(struct hvc_bench_ctx *ctx, struct hvc_bench_size *out,
			     struct hvc_error *err)
{
	struct stat st;
	if (stat(ctx->workload_bin, &st) < 0)
		return hvc_err(err, errno, "stat `%s`", ctx->workload_bin);
	*out = (struct hvc_bench_size){ -1, -1, -1, -1, -1, -1, (int64_t)st.st_size, "" };
	snprintf(out->note, sizeof(out->note), "no image: only the static hvc-workload binary");
	return 0;
}

static char *native_describe(struct hvc_bench_ctx *ctx, char *const *args)
{
	_cleanup_strv_ char **argv = native_argv(ctx, args);
	char *s = hvc_strdup_printf("sched_setaffinity(%s); exec", ctx->cpus);
	for (char **p = argv; *p; p++) {
		char *n = hvc_strdup_printf("%s %s", s, *p);
		free(s);
		s = n;
	}
	return s;
}

static void native_storage(struct hvc_bench_ctx *ctx, struct hvc_bench_storage *st)
{
	st->kind = "host-directory";
	st->host_path = hvc_xstrdup(ctx->scratch_dir ? ctx->scratch_dir : ctx->work_dir);
	st->path = st->host_path;
	st->how = hvc_xstrdup("the workload's working directory");
}

const struct hvc_bench_backend hvc_bench_backend_native = {
	.name = "native",
	.slot = HVC_BENCH_SLOT_NATIVE,
	.summary = "the workload run directly on the host (no isolation), same CPU pinning",
	.available = native_available,
	.run = native_run,
	.image_size = native_image_size,
	.describe = native_describe,
	.storage = native_storage,
	.net_peer = hvc_bench_net_peer_loopback,
};
