/* host/probe_child: run a probe in a throw-away child and bring its verdict
 * (return value plus hvc_error) back through a pipe. */
#include "hvc/host.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_report {
	int rc;
	struct hvc_error err;
};

int hvc_probe_in_child(int (*fn)(void *arg, struct hvc_error *err), void *arg,
		       struct hvc_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "probe: pipe");
	fflush(NULL); /* no doubled stdio buffers in the child */
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return hvc_err(err, e, "probe: fork");
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct child_report r = {0};
		r.rc = fn(arg, &r.err);
		ssize_t w = write(p[1], &r, sizeof(r));
		_exit(w == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	struct child_report r = {0};
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = read(p[0], (char *)&r + got, sizeof(r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(r)) {
		if (WIFSIGNALED(status))
			return hvc_err(err, 0, "probe: child killed by signal %d",
				       WTERMSIG(status));
		return hvc_err(err, 0, "probe: child exited with status %d and no report",
			       WEXITSTATUS(status));
	}
	if (r.rc < 0 && err)
		*err = r.err;
	return r.rc;
}
