/* hvc/lazy: shared libraries loaded on first use instead of at start-up.
 *
 * Every library on hvc's link line is mapped and relocated by the dynamic
 * loader before main(), for every command — libarchive alone drags in
 * libxml2, ICU and libstdc++. The libraries only some commands need are
 * therefore not linked: util/<lib>_lazy.c defines each function hvc calls as
 * a small forwarding wrapper that dlopen()s the library the first time one of
 * them is called. Because the wrapper's definition must match the library's
 * own prototype (its header is included), a wrong signature fails to compile;
 * because the library is not linked, a call that has no wrapper fails to link.
 *
 *   HVC_LAZY_LIB(archive_lib, "libarchive.so.13");
 *   HVC_LAZY_FN(archive_lib, struct archive *, archive_read_new, (void), ())
 *   HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_size,
 *                    (struct archive_entry *e, la_int64_t s), (e, s))
 */
#ifndef HVC_LAZY_H
#define HVC_LAZY_H

#include <pthread.h>
#include <stdbool.h>

struct hvc_lazy_lib {
	const char *soname;
	const char *path; /* tried first when set (HVC_LAZY_LIB_AT), then soname */
	pthread_once_t once;
	void *handle;	 /* NULL until loaded, or if loading failed */
	char error[256]; /* dlerror() of a failed load */
	bool warned;	 /* hvc_lazy_sym logs the first failure only */
};

#define HVC_LAZY_LIB(var, so)                                                                      \
	static struct hvc_lazy_lib var = {.soname = (so), .once = PTHREAD_ONCE_INIT}
/* The same, loaded from the full path where the build found it: a name with
 * a slash skips the loader's search (ld.so.cache opened, mapped and
 * unmapped: ~0.35 ms of a 0.75 ms dlopen on this PVM guest, where every
 * mmap and munmap is a hypervisor exit; docs/network.md, Cost). Not there
 * (a binary copied to another distribution): by soname, as above. */
#define HVC_LAZY_LIB_AT(var, so, full)                                                             \
	static struct hvc_lazy_lib var = {.soname = (so), .path = (full), .once = PTHREAD_ONCE_INIT}

/* The symbol `name` of `lib`, loading the library on the first call; NULL if
 * the library or the symbol is missing (the first failure is logged as a
 * warning). For optional libraries, whose callers report the failure (libvirt). */
void *hvc_lazy_sym(struct hvc_lazy_lib *lib, const char *name);

/* The same, for libraries hvc used to be linked against: if the library or
 * the symbol cannot be loaded, print one line naming the library and exit
 * 125. This is the one place library code exits, on purpose: it is exactly
 * what the dynamic loader did at start-up when the library was linked, the
 * callers' APIs (libarchive, EVP, hwloc) have no error path for "the library
 * is absent", and a broken installation is not an error a caller can handle. */
void *hvc_lazy_sym_or_exit(struct hvc_lazy_lib *lib, const char *name);

/* The real function, resolved once per process. The cache is read and written
 * atomically: threads racing on the first call all store the same value. */
#define HVC_LAZY_REAL(lib, name)                                                                   \
	__typeof__(name) *real = __atomic_load_n(&real_##name, __ATOMIC_RELAXED);                  \
	if (!real) {                                                                               \
		real = (__typeof__(name) *)hvc_lazy_sym_or_exit(&(lib), #name);                    \
		__atomic_store_n(&real_##name, real, __ATOMIC_RELAXED);                            \
	}

/* Define `ret name params` as a call of the library's `name` with `args`. */
#define HVC_LAZY_FN(lib, ret, name, params, args)                                                  \
	static __typeof__(name) *real_##name;                                                      \
	ret name params                                                                            \
	{                                                                                          \
		HVC_LAZY_REAL(lib, name)                                                           \
		return real args;                                                                  \
	}

/* The same for a function returning void. */
#define HVC_LAZY_VOID_FN(lib, name, params, args)                                                  \
	static __typeof__(name) *real_##name;                                                      \
	void name params                                                                           \
	{                                                                                          \
		HVC_LAZY_REAL(lib, name)                                                           \
		real args;                                                                         \
	}

#endif
