/* host/probe_ns: which namespace types this kernel lets us create, found by
 * unshare() in a child for each type (a namespace can be compiled in yet
 * forbidden by a sysctl, an LSM or a sandbox's seccomp profile). */
#include "hvc/host.h"
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const struct {
	const char *name;
	int flag;
} ns_types[HVC_PROBE_NS_MAX] = {
    {"mnt", CLONE_NEWNS},	 {"uts", CLONE_NEWUTS},	  {"ipc", CLONE_NEWIPC},
    {"net", CLONE_NEWNET},	 {"pid", CLONE_NEWPID},	  {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static int try_unshare(void *arg, struct hvc_error *err)
{
	int flag = *(int *)arg;
	if (unshare(flag) < 0)
		return hvc_err(err, errno, "unshare");
	if (flag == CLONE_NEWPID) {
		/* a pid namespace applies to children: its first one must be pid 1 */
		pid_t c = fork();
		if (c < 0)
			return hvc_err(err, errno, "fork into the new pid namespace");
		if (c == 0)
			_exit(getpid() == 1 ? 0 : 1);
		int st;
		if (waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return hvc_err(err, EINVAL,
				       "first child in the new pid namespace is not pid 1");
	}
	return 0;
}

size_t hvc_probe_namespaces(struct hvc_probe_ns out[HVC_PROBE_NS_MAX])
{
	for (size_t i = 0; i < HVC_PROBE_NS_MAX; i++) {
		struct hvc_error err = {0};
		int flag = ns_types[i].flag;
		int rc = hvc_probe_in_child(try_unshare, &flag, &err);
		out[i] =
		    (struct hvc_probe_ns){.name = ns_types[i].name,
					  .flag = flag,
					  .ok = rc == 0,
					  .error = rc == 0 ? 0 : (err.code ? err.code : EINVAL)};
		hvc_debug("probe: %s namespace: %s", ns_types[i].name, rc == 0 ? "ok" : err.msg);
	}
	return HVC_PROBE_NS_MAX;
}

static int try_userns_as_nobody(void *arg, struct hvc_error *err)
{
	(void)arg;
	if (geteuid() == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			return hvc_err(err, errno, "drop to uid 65534");
	}
	if (unshare(CLONE_NEWUSER) < 0)
		return hvc_err(err, errno, "unshare user namespace as uid %d", (int)getuid());
	return 0;
}

int hvc_probe_userns_unprivileged(int *error)
{
	struct hvc_error err = {0};
	*error = 0;
	int rc = hvc_probe_in_child(try_userns_as_nobody, NULL, &err);
	if (rc == 0)
		return 1;
	*error = err.code ? err.code : EINVAL;
	/* a failure to drop privileges says nothing about user namespaces */
	return strstr(err.msg, "drop to uid") ? -1 : 0;
}
