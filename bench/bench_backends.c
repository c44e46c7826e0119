/* bench/backends: the one table of benchmark backends. Adding a backend
 * touches this table (and its own file) only. container-lib comes last and
 * and container-host (`--network host`) are in no suite's default list: they
 * are labelled extra rows. */
#include "bench_internal.h"
#include <string.h>

const struct hvc_bench_backend *const hvc_bench_backends[] = {
    &hvc_bench_backend_native,
    &hvc_bench_backend_container,
    &hvc_bench_backend_vm,
    &hvc_bench_backend_vm_restore,
    &hvc_bench_backend_runc,
    &hvc_bench_backend_crun,
    &hvc_bench_backend_container_lib,
    &hvc_bench_backend_container_host,
    NULL,
};

const struct hvc_bench_backend *hvc_bench_backend_find(const char *name)
{
	for (const struct hvc_bench_backend *const *p = hvc_bench_backends; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}
