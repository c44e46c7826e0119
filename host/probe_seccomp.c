/* host/probe_seccomp: whether seccomp filters can be installed and take
 * effect — a one-rule filter (getppid fails with a marker errno) loaded with
 * libseccomp in a child under no_new_privs, then the rule observed. */
#include "hvc/host.h"
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MARKER_ERRNO 211 /* no real getppid() ever returns it */

static int seccomp_in_child(void *arg, struct hvc_error *err)
{
	(void)arg;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return hvc_err(err, errno, "kernel has no seccomp (prctl PR_GET_SECCOMP)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hvc_err(err, errno, "prctl PR_SET_NO_NEW_PRIVS");
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return hvc_err(err, ENOMEM, "seccomp_init");
	int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(MARKER_ERRNO), SCMP_SYS(getppid), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return hvc_err(err, -r, "load a seccomp filter");
	errno = 0;
	long pp = syscall(SYS_getppid);
	if (pp != -1 || errno != MARKER_ERRNO)
		return hvc_err(err, 0, "seccomp filter loaded but had no effect");
	return 0;
}

int hvc_probe_seccomp(struct hvc_error *err)
{
	return hvc_probe_in_child(seccomp_in_child, NULL, err);
}

const char *hvc_probe_seccomp_version(char *buf, size_t len)
{
	const struct scmp_version *v = seccomp_version();
	if (v)
		snprintf(buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
	else if (len)
		buf[0] = '\0';
	return buf;
}
