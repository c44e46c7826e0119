/* vmdriver/modules: which kernel modules the guest must load, in which order,
 * read with libkmod (as modprobe does) from the guest kernel's module
 * directory: a module's dependencies from modules.dep.bin (libkmod lists
 * them in load order), modules compiled into the kernel from
 * modules.builtin.bin (they need no loading). libkmod is loaded lazily
 * (util/kmod_lazy.c): only an artifact build reads the indexes. */
#include "hvc/vm.h"
#include <libkmod.h>
#include <stdarg.h>
#include <string.h>

struct hvc_vm_modules {
	struct kmod_ctx *ctx;
	size_t dirlen; /* of kmod's dirname, stripped from the paths it gives */
};

/* libkmod's own messages go to hvc's logger, not to stderr. */
static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn;
	char msg[512];
	vsnprintf(msg, sizeof(msg), format, args);
	hvc_debug("libkmod: %s", hvc_str_trim(msg));
}

int hvc_vm_modules_open(const char *moddir, struct hvc_vm_modules **out, struct hvc_error *err)
{
	_cleanup_free_ char *index = hvc_path_join(moddir, "modules.dep.bin");
	if (!hvc_path_exists(index))
		return hvc_err(err, ENOENT, "read `%s`", index);
	/* no configuration: the guest's modules, not the host's modprobe.d */
	static const char *const no_config[] = {NULL};
	struct kmod_ctx *ctx = kmod_new(moddir, no_config);
	if (!ctx)
		return hvc_err(err, ENOMEM, "libkmod context for `%s`", moddir);
	kmod_set_log_fn(ctx, kmod_log, NULL);
	struct hvc_vm_modules *m = hvc_xcalloc(1, sizeof(*m));
	m->ctx = ctx;
	m->dirlen = strlen(kmod_get_dirname(ctx));
	*out = m;
	return 0;
}

void hvc_vm_modules_close(struct hvc_vm_modules *m)
{
	if (!m)
		return;
	kmod_unref(m->ctx);
	free(m);
}

void hvc_vm_modules_closep(struct hvc_vm_modules **m)
{
	hvc_vm_modules_close(*m);
	*m = NULL;
}

static void kmod_module_unrefp(struct kmod_module **mod)
{
	if (*mod)
		kmod_module_unref(*mod);
}

static void kmod_module_unref_listp(struct kmod_list **list)
{
	if (*list)
		kmod_module_unref_list(*list);
}

static bool have_path(char **paths, const char *p)
{
	for (size_t i = 0; paths && paths[i]; i++)
		if (!strcmp(paths[i], p))
			return true;
	return false;
}

static int resolve(struct hvc_vm_modules *m, const char *name, char ***paths, int depth,
		   struct hvc_error *err)
{
	if (depth > 32)
		return hvc_err(err, ELOOP, "module `%s`: dependency chain too deep", name);
	__attribute__((cleanup(kmod_module_unrefp))) struct kmod_module *mod = NULL;
	int rc = kmod_module_new_from_name_lookup(m->ctx, name, &mod);
	if (rc < 0)
		return hvc_err(err, -rc, "kernel module `%s`", name);
	if (!mod)
		return hvc_err(err, ENOENT, "kernel module `%s`: not in modules.dep nor built in",
			       name);
	const char *path = kmod_module_get_path(mod);
	if (!path)
		return 0; /* built in */
	const char *rel =
	    strlen(path) > m->dirlen && path[m->dirlen] == '/' ? path + m->dirlen + 1 : path;
	if (have_path(*paths, rel))
		return 0;
	__attribute__((cleanup(kmod_module_unref_listp))) struct kmod_list *deps =
	    kmod_module_get_dependencies(mod);
	struct kmod_list *l;
	kmod_list_foreach(l, deps)
	{
		struct kmod_module *dep = kmod_module_get_module(l);
		rc = resolve(m, kmod_module_get_name(dep), paths, depth + 1, err);
		kmod_module_unref(dep);
		if (rc < 0)
			return hvc_error_prefix(err, "needed by `%s`", name);
	}
	hvc_strv_push(paths, rel);
	return 0;
}

int hvc_vm_modules_resolve(struct hvc_vm_modules *m, const char *const *names, char ***paths,
			   struct hvc_error *err)
{
	for (size_t i = 0; names && names[i]; i++)
		if (resolve(m, names[i], paths, 0, err) < 0)
			return -1;
	return 0;
}
