/* cli/attach_follow: `hvc attach` and `hvc start -a` — this process joins a
 * container that a supervisor of its own keeps (run -d, start): its output
 * is followed in the container's log (the supervisor copies everything
 * there, so attaching takes nothing away from it), and with a pty and a
 * terminal on stdin the keys go to the container's pty master, borrowed
 * from the supervisor with pidfd_getfd(2). The detach keys (ctrl-p ctrl-q)
 * leave it running; the container's exit ends the attach with its status. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

static volatile sig_atomic_t pending_sig;

static void on_signal(int sig)
{
	pending_sig = sig;
}

/* The pty master the supervisor holds (the only /dev/ptmx among its fds). */
static int borrow_pty_master(pid_t sup)
{
	_cleanup_free_ char *dir = hvc_strdup_printf("/proc/%d/fd", (int)sup);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int target = -1;
	for (struct dirent *e; (e = readdir(d)) && target < 0;) {
		char link[64], dst[64];
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, dst, sizeof(dst) - 1);
		if (n > 0 && ((dst[n] = '\0'), !strcmp(dst, "/dev/ptmx") || !strcmp(dst, "/dev/pts/ptmx")))
			target = atoi(e->d_name);
	}
	closedir(d);
	int pidfd = (int)syscall(SYS_pidfd_open, sup, 0);
	if (target < 0 || pidfd < 0)
		return pidfd >= 0 ? (close(pidfd), -1) : -1;
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
	close(pidfd);
	return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

static bool still_running(const char *id, int *exit_code)
{
	struct hvc_ctr_state st;
	if (hvc_ctr_reclaim_if_stale(id, NULL) < 0 || hvc_ctr_state_read(id, &st, NULL) < 0)
		return false;
	*exit_code = st.exit_code;
	return st.status == HVC_CTR_RUNNING;
}

static void copy_new(int logfd)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(logfd, buf, sizeof(buf))) > 0)
		if (write_all(1, buf, (size_t)n) < 0)
			return;
}

/* Keys from stdin to the pty; true once the detach sequence was typed. */
static bool relay_keys(int master, struct hvc_detach_matcher *m, bool *stdin_open)
{
	unsigned char in[4096], out[4096 + HVC_DETACH_KEYS_MAX];
	ssize_t n = read(0, in, sizeof(in));
	if (n <= 0) {
		*stdin_open = false;
		return false;
	}
	size_t k = 0;
	bool detach = hvc_detach_feed(m, in, (size_t)n, out, &k);
	if (k && write_all(master, out, k) < 0)
		*stdin_open = false;
	return detach;
}

static int follow(const struct hvc_cli_attach_opts *o, int logfd, int master)
{
	struct hvc_detach_matcher m = { .keys = o->keys, .n = o->n_keys };
	bool stdin_open = master >= 0;
	int code = 0;
	for (;;) {
		copy_new(logfd);
		if (pending_sig && !o->sig_proxy)
			return HVC_ATTACH_DETACHED_STATUS; /* docker: without the proxy, ctrl-c detaches */
		if (pending_sig) {
			hvc_ctr_kill(o->id, pending_sig, NULL);
			pending_sig = 0;
		}
		if (!still_running(o->id, &code))
			break;
		struct pollfd p = { .fd = stdin_open ? 0 : -1, .events = POLLIN };
		if (poll(&p, 1, 50) > 0 && relay_keys(master, &m, &stdin_open)) {
			fprintf(stderr, "\r\nhvc: detached from %s (still running)\r\n", o->name);
			return HVC_ATTACH_DETACHED_STATUS;
		}
	}
	copy_new(logfd); /* the supervisor logged all output before recording the exit */
	return code;
}

int hvc_cli_attach(const struct hvc_cli_attach_opts *o, off_t from)
{
	_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/log", hvc_root(), o->id);
	_cleanup_close_ int logfd = open(p, O_RDONLY | O_CLOEXEC);
	if (logfd < 0)
		return fprintf(stderr, "hvc: %s: open `%s`: %s\n", o->cmd, p, strerror(errno)), HVC_EXIT_FAIL;
	lseek(logfd, from < 0 ? 0 : from, from < 0 ? SEEK_END : SEEK_SET);
	struct hvc_ctr_state st;
	_cleanup_close_ int master = -1;
	if (o->stdin_keys && isatty(0) && hvc_ctr_state_read(o->id, &st, NULL) == 0)
		master = borrow_pty_master(st.supervisor);
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	struct termios saved;
	bool raw = master >= 0 && tcgetattr(0, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(0, TCSANOW, &t);
	}
	int rc = follow(o, logfd, master);
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc == HVC_ATTACH_DETACHED_STATUS ? 0 : rc;
}
