/* util/kmod_lazy: libkmod, loaded on first use (see hvc/lazy.h). Only the VM
 * driver's artifact build reads a kernel's module indexes (modules.dep.bin,
 * modules.builtin.bin), once per image and kernel; every other hvc start must
 * not pay for mapping libkmod (and its libzstd, liblzma, libcrypto). Every
 * libkmod function hvc calls is listed here, including kmod_list_next behind
 * the kmod_list_foreach macro; one that is not fails to link. */
#include "hvc/lazy.h"
#include <libkmod.h>

#ifndef HVC_SONAME_KMOD
#define HVC_SONAME_KMOD "libkmod.so.2"
#endif
HVC_LAZY_LIB(kmod_lib, HVC_SONAME_KMOD);

/* The context: one kernel's module directory */
HVC_LAZY_FN(kmod_lib, struct kmod_ctx *, kmod_new,
	    (const char *dirname, const char *const *config_paths), (dirname, config_paths))
HVC_LAZY_FN(kmod_lib, struct kmod_ctx *, kmod_unref, (struct kmod_ctx * ctx), (ctx))
HVC_LAZY_FN(kmod_lib, const char *, kmod_get_dirname, (const struct kmod_ctx *ctx), (ctx))
HVC_LAZY_VOID_FN(kmod_lib, kmod_set_log_fn,
		 (struct kmod_ctx * ctx,
		  void (*log_fn)(void *log_data, int priority, const char *file, int line,
				 const char *fn, const char *format, va_list args),
		  const void *data),
		 (ctx, log_fn, data))

/* Modules and their dependencies */
HVC_LAZY_FN(kmod_lib, int, kmod_module_new_from_name_lookup,
	    (struct kmod_ctx * ctx, const char *modname, struct kmod_module **mod),
	    (ctx, modname, mod))
HVC_LAZY_FN(kmod_lib, struct kmod_module *, kmod_module_unref, (struct kmod_module * mod), (mod))
HVC_LAZY_FN(kmod_lib, int, kmod_module_unref_list, (struct kmod_list * list), (list))
HVC_LAZY_FN(kmod_lib, const char *, kmod_module_get_name, (const struct kmod_module *mod), (mod))
HVC_LAZY_FN(kmod_lib, const char *, kmod_module_get_path, (const struct kmod_module *mod), (mod))
HVC_LAZY_FN(kmod_lib, struct kmod_list *, kmod_module_get_dependencies,
	    (const struct kmod_module *mod), (mod))
HVC_LAZY_FN(kmod_lib, struct kmod_module *, kmod_module_get_module, (const struct kmod_list *entry),
	    (entry))
HVC_LAZY_FN(kmod_lib, struct kmod_list *, kmod_list_next,
	    (const struct kmod_list *list, const struct kmod_list *curr), (list, curr))
