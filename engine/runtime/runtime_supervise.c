/* engine/runtime/runtime_supervise: a container kept by a supervisor
 * process of its own — forked here, it starts the container, reports to its
 * caller, waits for the exit (relaying I/O, logging, tearing down) and
 * exits with the container's status. `hvc run -d`, `hvc run -it` and the
 * density sweep's container backend are its callers; what they differ in
 * (a double fork, when the terminal's session is left, how the start is
 * reported, who reads the output) is in struct hvc_ctr_supervisor. */
#include "hvc/container.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The supervisor's stdio: nothing of the caller's terminal. */
static void stdio_to_null(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	dup2(null, 0), dup2(null, 1), dup2(null, 2);
	if (null > 2)
		close(null);
}

/* Leaves the caller's session (and, detached, its process tree): a
 * Ctrl-C or a hang-up of the caller's terminal must not reach the
 * supervisor. Returns only in the process that goes on supervising. */
static void leave_caller(const struct hvc_ctr_supervisor *sup)
{
	setsid();
	if (sup->detach && fork() != 0)
		_exit(0);
	stdio_to_null();
}

static int start(const struct hvc_ctr_supervisor *sup, struct hvc_ctr **c, int *hint,
		 struct hvc_error *err)
{
	struct hvc_ctr_spec own;
	hvc_ctr_spec_init(&own);
	const struct hvc_ctr_spec *spec = sup->spec;
	int r = 0;
	if (sup->prepare) {
		r = sup->prepare(sup->data, &own, err);
		spec = &own;
	}
	if (r == 0)
		r = sup->restart_id ? hvc_ctr_start_again(sup->restart_id, spec, c, hint, err)
				    : hvc_ctr_start(spec, c, hint, err);
	hvc_ctr_spec_free(&own);
	return r;
}

static __attribute__((noreturn)) void supervise(const struct hvc_ctr_supervisor *sup)
{
	if (sup->setup && sup->setup(sup->data) < 0)
		_exit(125);
	if (!sup->session_after_start)
		leave_caller(sup);
	struct hvc_error err = {0};
	struct hvc_ctr *c = NULL;
	int hint = 125;
	if (start(sup, &c, &hint, &err) < 0) {
		hint = hint ? hint : 125;
		if (sup->failed)
			sup->failed(sup->data, hint, &err);
		_exit(hint);
	}
	if (sup->session_after_start)
		leave_caller(sup);
	if (sup->started)
		sup->started(sup->data, c);
	int rc = hvc_ctr_wait(c, &sup->io, &err);
	if (sup->exited)
		sup->exited(sup->data, rc, &err);
	_exit(rc < 0 ? 125 : rc & 0xff);
}

pid_t hvc_ctr_supervise(const struct hvc_ctr_supervisor *sup, struct hvc_error *err)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return hvc_err(err, errno, "fork");
	if (pid == 0)
		supervise(sup);
	if (!sup->detach)
		return pid;
	/* the first child exits once the supervisor is forked off it */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}
