/* util/lazy: the loader behind hvc/lazy.h — dlopen() a library once per
 * process, look its symbols up, and report a library that is not there. */
#include "hvc/lazy.h"
#include "hvc/util.h"
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* pthread_once has no argument: the library being loaded is handed over in a
 * thread-local, set by the thread that runs the once routine. */
static __thread struct hvc_lazy_lib *loading;

static void load(void)
{
	struct hvc_lazy_lib *lib = loading;
	/* RTLD_GLOBAL: the library's own dependencies and plug-ins (libvirt's
	 * drivers) resolve against it as they would had it been linked. */
	if (lib->path)
		lib->handle = dlopen(lib->path, RTLD_NOW | RTLD_GLOBAL);
	if (!lib->handle)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_GLOBAL);
	if (!lib->handle)
		snprintf(lib->error, sizeof(lib->error), "%s", dlerror());
}

static void *lookup(struct hvc_lazy_lib *lib, const char *name, char *why, size_t whylen)
{
	loading = lib;
	pthread_once(&lib->once, load);
	if (!lib->handle) {
		snprintf(why, whylen, "%s", lib->error);
		return NULL;
	}
	dlerror();
	void *p = dlsym(lib->handle, name);
	if (!p) {
		const char *e = dlerror();
		snprintf(why, whylen, "%s", e ? e : "symbol is NULL");
	}
	return p;
}

void *hvc_lazy_sym(struct hvc_lazy_lib *lib, const char *name)
{
	char why[256];
	void *p = lookup(lib, name, why, sizeof(why));
	if (!p && !__atomic_exchange_n(&lib->warned, true, __ATOMIC_RELAXED))
		hvc_warn("cannot load %s: %s", lib->soname, why);
	return p;
}

void *hvc_lazy_sym_or_exit(struct hvc_lazy_lib *lib, const char *name)
{
	char why[256];
	void *p = lookup(lib, name, why, sizeof(why));
	if (!p) {
		/* _exit, not exit: this may be any thread, or a child between fork
		 * and exec, in the middle of anything; atexit handlers must not run. */
		dprintf(STDERR_FILENO, "hvc: cannot load %s: %s\n", lib->soname, why);
		_exit(125);
	}
	return p;
}
