/* bench/density vm: placeholder until the VM driver's lifecycle API
 * (hvc_vm_run with detach) is in this build: the backend says so, and the
 * sweep records that reason instead of silently leaving VMs out. */
#include "density_internal.h"

static int vm_available(struct density_ctx *ctx, char *reason, size_t len)
{
	(void)ctx;
	snprintf(reason, len, "the VM driver (hvc vm run) is not in this build");
	return 0;
}

const struct density_backend hvc_density_backend_vm = {
	.name = "vm",
	.default_max = 16,
	.quick_max = 4,
	.available = vm_available,
};
