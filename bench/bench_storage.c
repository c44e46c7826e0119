/* bench/bench_storage: where the container-like backends (hvc, hvc as a
 * library call, runc, crun) run fileio — a volume beside the native run's
 * scratch directory, or their root file system when --fileio-on overlay asks
 * for it. One definition below the backends, which all describe their
 * storage with it (docs/methodology.md, "Storage"). */
#include "bench_internal.h"

void hvc_bench_container_storage(struct hvc_bench_ctx *ctx, const char *how,
				 struct hvc_bench_storage *st)
{
	if (ctx->fileio_on_overlay) {
		/* measured on purpose (--fileio-on overlay): the instance's root
		 * file system, an overlay for hvc, the flattened rootfs directory
		 * for runc and crun */
		st->kind = "rootfs";
		st->path = "/tmp";
		st->how =
		    hvc_xstrdup("--fileio-on overlay: /tmp on the instance's root file system "
				"(hvc: the container's overlay; runc, crun: the bundle's "
				"rootfs directory)");
		return;
	}
	st->kind = "volume";
	st->host_path = ctx->scratch_dir ? hvc_xstrdup(ctx->scratch_dir) : NULL;
	st->path = HVC_BENCH_SCRATCH_PATH;
	st->how = hvc_xstrdup(how);
}
