/* Running helper programs (qemu --version, mkfs.ext4, gnuplot) with captured
 * output and a deadline; closing inherited descriptors. */
#include <fcntl.h>
#include <poll.h>
#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hvc/util.h"

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

int hvc_spawn_capture(char *const argv[], char **out, bool merge_stderr, int timeout_ms,
		      struct hvc_error *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "run `%s`: pipe", argv[0]);
	int ready[2]; /* tells the parent whether exec succeeded */
	if (pipe2(ready, O_CLOEXEC) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return hvc_err(err, errno, "run `%s`: pipe", argv[0]);
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]); close(pfd[1]); close(ready[0]); close(ready[1]);
		return hvc_err(err, e, "run `%s`: fork", argv[0]);
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(merge_stderr ? pfd[1] : devnull, 2);
		execvp(argv[0], argv);
		int e = errno;
		ssize_t w = write(ready[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	close(pfd[1]);
	close(ready[1]);
	int exec_errno = 0;
	ssize_t rr = read(ready[0], &exec_errno, sizeof(exec_errno));
	close(ready[0]);
	if (rr == (ssize_t)sizeof(exec_errno)) {
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		return hvc_err(err, exec_errno, "run `%s`", argv[0]);
	}

	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	uint64_t deadline = timeout_ms > 0 ? hvc_now_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
	bool timed_out = false;
	for (;;) {
		int wait_ms = hvc_deadline_poll_ms(deadline);
		if (wait_ms == -2) {
			timed_out = true;
			break;
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int pr = poll(&p, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue;
		if (n + 4096 > cap && cap < (64u << 20)) {
			char *nb = realloc(buf, cap * 2);
			if (nb) {
				buf = nb;
				cap *= 2;
			}
		}
		ssize_t r = read(pfd[0], buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n + 1 >= cap) /* output beyond the cap is dropped */
			n = cap - 4097;
	}
	close(pfd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (buf)
		buf[n] = '\0';
	if (out)
		*out = buf;
	else
		free(buf);
	if (timed_out)
		return hvc_err(err, ETIMEDOUT, "run `%s`: no exit after %d ms", argv[0], timeout_ms);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
