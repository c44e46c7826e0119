/* engine/probe_*: what isolation this kernel really allows, found by trying
 * (fork + unshare, a real overlay mount, a real seccomp filter), never by
 * reading a config file. `hvc info` reports these; the runtime can use them to
 * explain a failure before it happens. Every probe runs in a child process so
 * nothing it changes (namespaces, mounts, filters) reaches the caller. */
#ifndef HVC_PROBE_H
#define HVC_PROBE_H

#include "hvc/util.h"

struct hvc_probe_ns {
	const char *name; /* "mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time" */
	int flag;	  /* CLONE_NEW* */
	bool ok;
	int error; /* errno of the failed unshare (0 when ok) */
};
#define HVC_PROBE_NS_MAX 8

/* Tries unshare() of each namespace type in its own child. Returns the count
 * filled into out (at most HVC_PROBE_NS_MAX). */
size_t hvc_probe_namespaces(struct hvc_probe_ns out[HVC_PROBE_NS_MAX]);
/* Whether an unprivileged user (uid/gid 65534) may create a user namespace
 * (Debian's kernel.unprivileged_userns_clone, user.max_user_namespaces).
 * Returns 1 yes, 0 no (*error = errno), negative when it could not be tried. */
int hvc_probe_userns_unprivileged(int *error);

/* Mounts a tiny overlay (lower, upper, work, merged under dir: a fresh temp
 * dir is made inside it and removed after) in a private mount namespace,
 * writes through it and checks the copy-up, unmounts. 0 when usable, negative
 * with err saying why not. dir NULL = $HVC_ROOT/tmp (the filesystem the
 * container layers live on), falling back to /tmp. */
int hvc_probe_overlayfs(const char *dir, struct hvc_error *err);

/* Loads a one-rule seccomp filter (libseccomp) in a child with no_new_privs
 * and checks that it takes effect. 0 when filters work, negative otherwise. */
int hvc_probe_seccomp(struct hvc_error *err);
/* libseccomp's runtime version "2.5.4" into buf. */
const char *hvc_probe_seccomp_version(char *buf, size_t len);

/* Runs fn(arg, err) in a forked child and returns its result and error to
 * the caller; what fn changes in its process (namespaces, mounts, seccomp)
 * dies with the child. */
int hvc_probe_in_child(int (*fn)(void *arg, struct hvc_error *err), void *arg,
		       struct hvc_error *err);

#endif
