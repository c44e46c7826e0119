/* util/spawn: running helper programs (qemu --version, mkfs.ext4, gnuplot)
 * with captured output and a deadline; closing inherited descriptors. */
#include "hvc/util.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void hvc_close_fds_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
		return;
#endif
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *de;
	int self = dirfd(d);
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd >= lowfd && fd != self)
			close(fd);
	}
	closedir(d);
}

/* A started child: its pid and the read end of its output pipe. */
struct child {
	pid_t pid;
	int out_fd;
};

/* In the child: stdin from /dev/null, stdout (and stderr when merged) into
 * the pipe, then exec; a failed exec reports its errno on `ready`. */
static void __attribute__((noreturn))
exec_child(char *const argv[], int out_w, int ready_w, bool merge_stderr)
{
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(out_w, 1);
	dup2(merge_stderr ? out_w : devnull, 2);
	execvp(argv[0], argv);
	int e = errno;
	ssize_t w = write(ready_w, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* Forks and execs argv. Returns only once exec succeeded (the close-on-exec
 * `ready` pipe closes without a word) or failed (its errno comes through it,
 * and the child is reaped). */
static int start_child(char *const argv[], bool merge_stderr, struct child *c,
		       struct hvc_error *err)
{
	int pfd[2], ready[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "run `%s`: pipe", argv[0]);
	_cleanup_close_ int out_r = pfd[0], out_w = pfd[1];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "run `%s`: pipe", argv[0]);
	_cleanup_close_ int ready_r = ready[0], ready_w = ready[1];
	pid_t pid = fork();
	if (pid < 0)
		return hvc_err(err, errno, "run `%s`: fork", argv[0]);
	if (pid == 0)
		exec_child(argv, out_w, ready_w, merge_stderr);
	close(steal_fd(&out_w));
	close(steal_fd(&ready_w));
	int exec_errno = 0;
	if (read(ready_r, &exec_errno, sizeof(exec_errno)) == (ssize_t)sizeof(exec_errno)) {
		waitpid(pid, NULL, 0);
		return hvc_err(err, exec_errno, "run `%s`", argv[0]);
	}
	c->pid = pid;
	c->out_fd = steal_fd(&out_r);
	return 0;
}

/* Reads fd until EOF or the deadline (0: none) into a malloc'd, NUL-terminated
 * *out; output beyond 64 MiB is read and dropped. Returns false when the
 * deadline passed first. */
static bool read_output(int fd, uint64_t deadline, char **out)
{
	size_t cap = 4096, n = 0;
	char *buf = hvc_xmalloc(cap);
	char drop[4096];
	bool timed_out = false;
	for (;;) {
		int wait_ms = hvc_deadline_poll_ms(deadline);
		if (wait_ms == -2) {
			timed_out = true;
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, wait_ms);
		if ((pr < 0 && errno == EINTR) || pr == 0) /* the deadline decides */
			continue;
		if (n + 4096 > cap && cap < (64u << 20)) {
			/* sized by the child's output: a failed growth keeps the buffer */
			char *nb = realloc(buf, cap * 2);
			if (nb) {
				buf = nb;
				cap *= 2;
			}
		}
		bool full = n + 1 >= cap;
		ssize_t r = full ? read(fd, drop, sizeof(drop)) : read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!full)
			n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	return !timed_out;
}

/* Waits for the child (SIGKILLed first when it overran its deadline). */
static int reap_child(pid_t pid, bool kill_first)
{
	if (kill_first)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int hvc_spawn_capture(char *const argv[], char **out, bool merge_stderr, int timeout_ms,
		      struct hvc_error *err)
{
	struct child c = {.pid = -1, .out_fd = -1};
	int r = start_child(argv, merge_stderr, &c, err);
	if (r < 0)
		return r;
	uint64_t deadline = timeout_ms > 0 ? hvc_now_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
	_cleanup_free_ char *buf = NULL;
	bool in_time = read_output(c.out_fd, deadline, &buf);
	close(c.out_fd);
	int status = reap_child(c.pid, !in_time);
	if (out)
		*out = steal_pointer(&buf);
	if (!in_time)
		return hvc_err(err, ETIMEDOUT, "run `%s`: no exit after %d ms", argv[0],
			       timeout_ms);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
