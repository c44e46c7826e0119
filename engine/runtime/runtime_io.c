/* engine/runtime/runtime_io: the supervisor's side of a running container — relays
 * stdin/stdout/stderr (pipes or a pty) to the caller and to the container's
 * log, forwards signals to the container's init, notices READY, reaps the
 * init with its pidfd, records the exit status and tears everything down. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime_ctr.h"

static void write_all(int fd, const char *buf, size_t n)
{
	while (fd >= 0 && n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* reader gone (EPIPE): keep draining the container */
		buf += w;
		n -= (size_t)w;
	}
}

/* Bytes relayed (0: none this time), or -1 at EOF (or EIO from a pty whose
 * slave side closed). */
static ssize_t relay(int from, int to, int logfd)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	write_all(to, buf, (size_t)n);
	write_all(logfd, buf, (size_t)n);
	return n;
}

static int wait_impl(struct hvc_ctr *c, const struct hvc_ctr_io *io, struct hvc_ctr_timings *tout,
		     struct hvc_error *err)
{
	int logfd = -1;
	if (io && io->log) {
		_cleanup_free_ char *p = hvc_path_join(c->dir, "log");
		logfd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	}
	int out_fd = io ? io->out_fd : -1;
	int err_fd = io && io->err_fd >= 0 ? io->err_fd : out_fd;
	int in_fd = io && c->in_w >= 0 ? io->in_fd : -1;

	sigset_t mask, old;
	sigemptyset(&mask);
	int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&mask, fwd[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);

	/* --rm: fork the state dir's deleter now, while the container runs and
	 * this process would only wait, rather than after it exits */
	if (c->spec->rm && c->deleter < 0)
		c->deleter = hvc_rt_deleter_start(c->id);

	bool exited = false;
	int out_r = c->out_r, err_r = c->err_r;
	for (;;) {
		struct pollfd p[6];
		int n = 0, i_out = -1, i_err = -1, i_in = -1, i_pid = -1, i_sig = -1, i_ready = -1;
		if (out_r >= 0)
			p[i_out = n++] = (struct pollfd){ out_r, POLLIN, 0 };
		if (err_r >= 0)
			p[i_err = n++] = (struct pollfd){ err_r, POLLIN, 0 };
		if (in_fd >= 0 && !exited)
			p[i_in = n++] = (struct pollfd){ in_fd, POLLIN, 0 };
		if (!exited)
			p[i_pid = n++] = (struct pollfd){ c->pidfd, POLLIN, 0 };
		if (sfd >= 0 && !exited)
			p[i_sig = n++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (c->ready_r >= 0)
			p[i_ready = n++] = (struct pollfd){ c->ready_r, POLLIN, 0 };
		if (exited && out_r < 0 && err_r < 0)
			break;
		if (exited && c->tty) {
			/* the pty master never reports EOF while we hold it: drain what is there */
			int avail = 0;
			if (ioctl(out_r, FIONREAD, &avail) < 0 || avail <= 0)
				break;
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (i_ready >= 0 && p[i_ready].revents) {
			char buf[64];
			ssize_t r = read(c->ready_r, buf, sizeof(buf));
			if (r > 0 && !c->t.ready)
				c->t.ready = hvc_now_ns();
			if (r <= 0) {
				close(c->ready_r);
				c->ready_r = -1;
			}
		}
		uint64_t polled = hvc_now_ns(); /* what the relay reads was there by now */
		ssize_t got = i_out >= 0 && p[i_out].revents ? relay(out_r, out_fd, logfd) : 0;
		if (got > 0 && !c->t.first_output)
			c->t.first_output = polled;
		if (got < 0) {
			close(out_r);
			c->out_r = out_r = -1;
			if (c->tty && c->in_w >= 0) {
				close(c->in_w);
				c->in_w = -1;
				in_fd = -1;
			}
		}
		if (i_err >= 0 && p[i_err].revents && relay(err_r, err_fd, logfd) < 0) {
			close(err_r);
			c->err_r = err_r = -1;
		}
		if (i_in >= 0 && p[i_in].revents) {
			char buf[4096];
			ssize_t r = read(in_fd, buf, sizeof(buf));
			if (r > 0) {
				write_all(c->in_w, buf, (size_t)r);
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				in_fd = -1;
				if (!c->tty) { /* EOF reaches the command as EOF */
					close(c->in_w);
					c->in_w = -1;
				}
			}
		}
		if (i_sig >= 0 && p[i_sig].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGWINCH) {
					struct winsize ws;
					if (c->tty && ioctl(0, TIOCGWINSZ, &ws) == 0)
						ioctl(c->out_r, TIOCSWINSZ, &ws);
					continue;
				}
				hvc_ctr_signal(c, (int)si.ssi_signo);
			}
		}
		if (i_pid >= 0 && p[i_pid].revents)
			exited = true;
	}

	int status = 0, rc;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->t.exited = hvc_now_ns();
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;

	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (logfd >= 0)
		close(logfd);

	c->st.oom_killed = hvc_rt_cgroup_oom_killed(&c->cg);
	c->st.status = HVC_CTR_EXITED;
	c->st.exit_code = rc;
	hvc_wall_iso8601(c->st.finished_at, sizeof(c->st.finished_at));
	bool rm = c->spec->rm;
	hvc_rt_ctr_teardown(c, rm);
	if (!rm && hvc_ctr_state_write(c->id, &c->st, err) < 0)
		rc = -1;
	if (tout)
		*tout = c->t;
	const struct hvc_ctr_timings *t = &c->t;
#define MS(x) ((x) ? hvc_ns_to_ms((x) - t->t0) : 0.0)
	hvc_debug("timings (ms since start): prepared %.3f cgroup %.3f cloned %.3f rootfs %.3f exec %.3f "
		  "ready %.3f exited %.3f torn-down %.3f", MS(t->prepared), MS(t->cgroup), MS(t->cloned),
		  MS(t->rootfs), MS(t->exec), MS(t->ready), MS(t->exited), MS(hvc_now_ns()));
#undef MS
	hvc_rt_ctr_free(c);
	return rc;
}

int hvc_ctr_wait(struct hvc_ctr *c, const struct hvc_ctr_io *io, struct hvc_error *err)
{
	return wait_impl(c, io, NULL, err);
}

int hvc_ctr_wait_timed(struct hvc_ctr *c, const struct hvc_ctr_io *io, struct hvc_ctr_timings *t,
		       struct hvc_error *err)
{
	return wait_impl(c, io, t, err);
}

int hvc_ctr_run(const struct hvc_ctr_spec *spec, const struct hvc_ctr_io *io, int *status,
		struct hvc_ctr_timings *t, struct hvc_error *err)
{
	struct hvc_ctr *c;
	int hint;
	if (hvc_ctr_start(spec, &c, &hint, err) < 0) {
		if (status)
			*status = hint;
		return -1;
	}
	struct hvc_ctr_io none = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .log = false };
	int rc = wait_impl(c, io ? io : &none, t, err);
	if (status)
		*status = rc;
	return rc < 0 ? -1 : 0;
}
