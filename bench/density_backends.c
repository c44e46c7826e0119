/* bench/density_backends: the table of density backends, chosen here and
 * nowhere else (adding a backend touches this table only). */
#include "density_internal.h"
#include <string.h>

static const struct density_backend *const density_backends[] = {
    &hvc_density_backend_container,
    &hvc_density_backend_vm,
    &hvc_density_backend_vm_restore,
    NULL,
};

const struct density_backend *hvc_density_backend_find(const char *name)
{
	for (const struct density_backend *const *b = density_backends; *b; b++)
		if (!strcmp((*b)->name, name))
			return *b;
	return NULL;
}

const char *hvc_density_backend_names(void)
{
	return "container, vm, vm-restore";
}
