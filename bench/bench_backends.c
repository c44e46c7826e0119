/* bench/backends: the one table of benchmark backends. Adding a backend
 * touches this table (and its own file) only. container-lib comes last and
 * is in no suite's default list: it is the labelled extra row. */
#include "bench_internal.h"
#include <string.h>

const struct hvc_bench_backend *const hvc_bench_backends[] = {
    &hvc_bench_backend_native,
    &hvc_bench_backend_container,
    &hvc_bench_backend_vm,
    &hvc_bench_backend_runc,
    &hvc_bench_backend_crun,
    &hvc_bench_backend_container_lib,
    NULL,
};

const struct hvc_bench_backend *hvc_bench_backend_find(const char *name)
{
	for (const struct hvc_bench_backend *const *p = hvc_bench_backends; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

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
