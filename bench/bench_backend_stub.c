/* bench/backend stubs: backends whose engine part has not landed in this
 * build. They report themselves unavailable with that reason, so results say
 * so instead of silently leaving them out. */
#include "bench_internal.h"

static int stub_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	(void)ctx;
	snprintf(reason, len, "not implemented in this build");
	return 0;
}

const struct hvc_bench_backend hvc_bench_backend_vm = {
	.name = "vm",
	.summary = "the hvc VM driver (libvirt, QEMU)",
	.available = stub_available,
};
