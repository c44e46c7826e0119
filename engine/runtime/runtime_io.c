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

/* The supervisor's view of a running container while it relays. */
struct relay {
	struct hvc_ctr *c;
	int logfd;                /* containers/<id>/log, or -1 */
	int out_fd, err_fd, in_fd; /* the caller's ends, -1: none */
	int sfd;                  /* signalfd of the signals to forward */
	sigset_t old_mask;
	struct sigaction old_pipe;
	bool exited;
};

/* Forwarded signals arrive on a signalfd; SIGPIPE from a gone reader is
 * ignored (the container is drained regardless). */
static void relay_open(struct relay *r, struct hvc_ctr *c, const struct hvc_ctr_io *io)
{
	*r = (struct relay){ .c = c, .logfd = -1, .out_fd = io ? io->out_fd : -1 };
	if (io && io->log) {
		_cleanup_free_ char *p = hvc_path_join(c->dir, "log");
		r->logfd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	}
	r->err_fd = io && io->err_fd >= 0 ? io->err_fd : r->out_fd;
	r->in_fd = io && c->in_w >= 0 ? io->in_fd : -1;
	sigset_t mask;
	sigemptyset(&mask);
	int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&mask, fwd[i]);
	sigprocmask(SIG_BLOCK, &mask, &r->old_mask);
	r->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &ign, &r->old_pipe);
}

static void relay_close(struct relay *r)
{
	if (r->sfd >= 0)
		close(r->sfd);
	sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
	sigaction(SIGPIPE, &r->old_pipe, NULL);
	if (r->logfd >= 0)
		close(r->logfd);
}

static void on_ready(struct hvc_ctr *c)
{
	char buf[64];
	ssize_t n = read(c->ready_r, buf, sizeof(buf));
	if (n > 0 && !c->t.ready) {
		c->t.ready = hvc_now_ns();
		HVC_TRACE("ready", "hvc-init is PID 1 and starts the command (READY on fd 3)");
	}
	if (n <= 0) {
		close(c->ready_r);
		c->ready_r = -1;
	}
}

static void on_stdout(struct relay *r, uint64_t polled)
{
	struct hvc_ctr *c = r->c;
	ssize_t got = relay(c->out_r, r->out_fd, r->logfd);
	if (got > 0 && !c->t.first_output)
		c->t.first_output = polled;
	if (got >= 0)
		return;
	close(c->out_r);
	c->out_r = -1;
	if (c->tty && c->in_w >= 0) {
		close(c->in_w);
		c->in_w = -1;
		r->in_fd = -1;
	}
}

static void on_stdin(struct relay *r)
{
	struct hvc_ctr *c = r->c;
	char buf[4096];
	ssize_t n = read(r->in_fd, buf, sizeof(buf));
	if (n > 0) {
		write_all(c->in_w, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		r->in_fd = -1;
		if (!c->tty) { /* EOF reaches the command as EOF */
			close(c->in_w);
			c->in_w = -1;
		}
	}
}

static void on_signals(struct relay *r)
{
	struct hvc_ctr *c = r->c;
	struct signalfd_siginfo si;
	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			struct winsize ws;
			if (c->tty && ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(c->out_r, TIOCSWINSZ, &ws);
			continue;
		}
		hvc_ctr_signal(c, (int)si.ssi_signo);
	}
}

enum { SLOT_OUT, SLOT_ERR, SLOT_IN, SLOT_PID, SLOT_SIG, SLOT_READY, SLOT_N };

/* Whether there is anything left to relay. */
static bool relay_pending(const struct relay *r)
{
	const struct hvc_ctr *c = r->c;
	if (r->exited && c->out_r < 0 && c->err_r < 0)
		return false;
	if (r->exited && c->tty) {
		/* the pty master never reports EOF while we hold it: drain what is there */
		int avail = 0;
		if (ioctl(c->out_r, FIONREAD, &avail) < 0 || avail <= 0)
			return false;
	}
	return true;
}

/* Relays until the init has exited and its output is drained. */
static void relay_loop(struct relay *r)
{
	struct hvc_ctr *c = r->c;
	while (relay_pending(r)) {
		/* negative fds are ignored by poll: a closed stream keeps its slot */
		struct pollfd p[SLOT_N] = {
			[SLOT_OUT] = { c->out_r, POLLIN, 0 },
			[SLOT_ERR] = { c->err_r, POLLIN, 0 },
			[SLOT_IN] = { r->exited ? -1 : r->in_fd, POLLIN, 0 },
			[SLOT_PID] = { r->exited ? -1 : c->pidfd, POLLIN, 0 },
			[SLOT_SIG] = { r->exited ? -1 : r->sfd, POLLIN, 0 },
			[SLOT_READY] = { c->ready_r, POLLIN, 0 },
		};
		if (poll(p, SLOT_N, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[SLOT_READY].revents)
			on_ready(c);
		uint64_t polled = hvc_now_ns(); /* what the relay reads was there by now */
		if (p[SLOT_OUT].revents)
			on_stdout(r, polled);
		if (p[SLOT_ERR].revents && relay(c->err_r, r->err_fd, r->logfd) < 0) {
			close(c->err_r);
			c->err_r = -1;
		}
		if (p[SLOT_IN].revents && r->in_fd >= 0)
			on_stdin(r);
		if (p[SLOT_SIG].revents)
			on_signals(r);
		if (p[SLOT_PID].revents)
			r->exited = true;
	}
}

static int reap(struct hvc_ctr *c)
{
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->t.exited = hvc_now_ns();
	if (WIFSIGNALED(status))
		HVC_TRACE("exit", "PID 1 killed by signal %d", WTERMSIG(status));
	else
		HVC_TRACE("exit", "PID 1 exited with status %d; its PID namespace, and every process in it, is gone",
			  WEXITSTATUS(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

/* The exit in state.json (or, with --rm, the container gone) and the host
 * cleaned up. */
static int record_exit(struct hvc_ctr *c, int rc, struct hvc_error *err)
{
	c->st.oom_killed = hvc_rt_cgroup_oom_killed(&c->cg);
	if (c->st.oom_killed)
		HVC_TRACE("oom", "the cgroup's memory limit was hit: the kernel's OOM killer ended a process");
	c->st.status = HVC_CTR_EXITED;
	c->st.exit_code = rc;
	hvc_wall_iso8601(c->st.finished_at, sizeof(c->st.finished_at));
	bool rm = c->spec->rm;
	HVC_TRACE("teardown", "the overlay and every mount died with the mount namespace; now the cgroup, the "
			      "network%s", rm ? " and the state dir (--rm)" : "");
	hvc_rt_ctr_teardown(c, rm);
	HVC_TRACE("teardown.done", "nothing of the container is left on the host%s", rm ? "" : " but its state dir");
	if (!rm && hvc_ctr_state_write(c->id, &c->st, err) < 0)
		return -1;
	return rc;
}

static void log_timings(const struct hvc_ctr_timings *t)
{
#define MS(x) ((x) ? hvc_ns_to_ms((x) - t->t0) : 0.0)
	hvc_debug("timings (ms since start): prepared %.3f cgroup %.3f cloned %.3f rootfs %.3f exec %.3f "
		  "ready %.3f exited %.3f torn-down %.3f", MS(t->prepared), MS(t->cgroup), MS(t->cloned),
		  MS(t->rootfs), MS(t->exec), MS(t->ready), MS(t->exited), MS(hvc_now_ns()));
#undef MS
}

static int wait_impl(struct hvc_ctr *c, const struct hvc_ctr_io *io, struct hvc_ctr_timings *tout,
		     struct hvc_error *err)
{
	struct relay r;
	relay_open(&r, c, io);
	/* --rm: fork the state dir's deleter now, while the container runs and
	 * this process would only wait, rather than after it exits */
	if (c->spec->rm && c->deleter < 0)
		c->deleter = hvc_rt_deleter_start(c->id);
	relay_loop(&r);
	int rc = reap(c);
	relay_close(&r);
	rc = record_exit(c, rc, err);
	if (tout)
		*tout = c->t;
	log_timings(&c->t);
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
