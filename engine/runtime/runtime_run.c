/* engine/runtime/runtime_run: starting a container — hvc_ctr_start as a list of
 * named steps, each with its own error path:
 *
 *   check_spec       the spec can be run at all
 *   prepare_state    identity, state dir, config.json   (runtime_prepare.c)
 *   start_network    lease and /etc files; the netns with its veth made by
 *                    a thread meanwhile (bridge)         (runtime_net.c)
 *   prepare_seccomp  the BPF filter, from the cache      (runtime_seccomp.c)
 *   prepare_init     hvc-init as a sealed memfd          (runtime_prepare.c)
 *   prepare_mounts   the mount plan and overlay options  (runtime_mounts.c)
 *   prepare_network  the /etc files' mounts            (runtime_net.c)
 *   prepare_cgroup   the cgroup with its limits          (runtime_cgroup.c)
 *   open_channels    setup socket, sync and stdio pipes
 *   join_network     wait for the netns start_network began
 *   clone_child      clone3 into new namespaces          (runtime_clone.c)
 *   wait_for_exec    the child's setup messages until its exec, answering
 *                    --userns with the id maps           (runtime_child.c)
 *   record_running   state.json
 *
 * A failure undoes what the steps before it made (start_undo). See
 * docs/runtime.md for the walk-through. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "hvc/image.h"
#include "runtime_child.h"

/* Everything a start holds until it has succeeded or been undone. */
struct start {
	const struct hvc_ctr_spec *s;
	struct hvc_ctr *c;
	int *exit_hint;
	bool name_taken, dir_made, cg_made;
	char *upper, *work, *ovl;
	struct hvc_sc_bpf sc;
	int init_fd;
	struct hvc_mnt_plan plan;
	int sync_p[2], msg_p[2], in_p[2], out_p[2], err_p[2], ready_p[2];
	int trace_p[2]; /* --trace: the child's events (hvc/trace.h's relay) */
	pid_t pid; /* the child, once cloned */
	const char *reuse_id; /* hvc_ctr_start_again: the stored container started again */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd), *fd = -1;
}

static void close_pair(int p[2])
{
	close_fd(&p[0]);
	close_fd(&p[1]);
}

static int mkpipe(int p[2], struct hvc_error *err)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	return 0;
}

static int check_spec(const struct hvc_ctr_spec *s, struct hvc_error *err)
{
	if (!s->argv || !s->argv[0])
		return hvc_err(err, EINVAL, "no command to run");
	if (!s->lowerdirs || !s->lowerdirs[0])
		return hvc_err(err, EINVAL, "no image layers to run");
	return 0;
}

static int prepare_state(struct start *x, struct hvc_error *err)
{
	if (x->reuse_id) { /* its name, dir and upper stay its own: never undone */
		hvc_image_store_unhold(x->s->image_hold); /* its config.json names the image */
		return hvc_rt_ctr_reuse_state(x->c, x->reuse_id, x->s, &x->upper, &x->work, err);
	}
	if (hvc_rt_ctr_identity(x->c, x->s, err) < 0)
		return -1;
	x->name_taken = true;
	/* from the mkdir to a complete config.json (runtime_starting.c) */
	int lk = hvc_rt_starting_lock(LOCK_SH, err);
	if (lk < 0)
		return -1;
	int r = hvc_rt_ctr_state_dir(x->c, x->s->userns, &x->upper, &x->work, err);
	x->dir_made = r == 0;
	if (r == 0) {
		HVC_TRACE("state", "container %s (%s), state in `%s`", x->c->id, x->c->name, x->c->dir);
		r = hvc_rt_ctr_write_config(x->c, x->s, err);
	}
	close(lk);
	/* config.json names the image now (or the start fails): GC may run */
	hvc_image_store_unhold(x->s->image_hold);
	return r;
}

static int prepare_seccomp(struct start *x, struct hvc_error *err)
{
	if (hvc_sc_bpf_for_spec(x->s, &x->sc, err) < 0)
		return -1;
	if (hvc_trace_on())
		hvc_rt_trace_confinement_plan(x->s, &x->sc);
	return 0;
}

static int prepare_init(struct start *x, struct hvc_error *err)
{
	if (x->s->init && (x->init_fd = hvc_rt_init_memfd(err)) < 0)
		return -1;
	HVC_TRACE("init", x->s->init ? "hvc-init copied into a sealed memfd (PID 1 of the container)"
				     : "--no-init: the command itself will be PID 1");
	return 0;
}

static int prepare_mounts(struct start *x, struct hvc_error *err)
{
	const struct hvc_ctr_spec *s = x->s;
	if (hvc_mnt_plan_build(s, &x->plan, err) < 0)
		return -1;
	if (!(x->ovl = hvc_mnt_overlay_options(s->lowerdirs, x->upper, x->work, s->rm)))
		return hvc_err(err, ENOMEM, "overlay options");
	if (strlen(x->ovl) >= 4096)
		return hvc_err(err, E2BIG, "overlay options are longer than a page (%zu layers)",
			       hvc_strv_len(s->lowerdirs));
	HVC_TRACE("mount.plan", "%zu operations planned; overlay %s", x->plan.n, x->ovl);
	x->c->t.prepared = hvc_now_ns();
	return 0;
}

static int start_network(struct start *x, struct hvc_error *err)
{
	return hvc_rt_net_prepare(x->c, x->s, err);
}

static int prepare_network(struct start *x, struct hvc_error *err)
{
	if (hvc_trace_on())
		hvc_rt_trace_network(x->c);
	return hvc_rt_net_mounts(x->c, &x->plan, err);
}

static int prepare_cgroup(struct start *x, struct hvc_error *err)
{
	if (hvc_rt_cgroup_create(x->c->id, &x->s->limits, &x->c->cg, err) < 0)
		return hvc_error_prefix(err, "cgroup");
	x->cg_made = true;
	HVC_TRACE("cgroup", "cgroup %s ready", x->c->cg.name);
	x->c->t.cgroup = hvc_now_ns();
	return 0;
}

/* The setup socket (messages and the pty master, child to parent), the
 * sync pipe (--userns: "mapped"), stdio pipes unless -t (the pty is opened
 * by the child inside the container), the READY pipe when asked. */
static int open_channels(struct start *x, struct hvc_error *err)
{
	const struct hvc_ctr_spec *s = x->s;
	struct hvc_ctr *c = x->c;
	if (mkpipe(x->sync_p, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->msg_p) < 0)
		return hvc_err(err, errno, "socketpair");
	/* --trace shows READY too: hvc-init announces it on fd 3 */
	if ((s->ready || hvc_trace_on()) && mkpipe(x->ready_p, err) < 0)
		return -1;
	if (hvc_trace_on() && hvc_trace_relay_open(x->trace_p) < 0)
		return hvc_err(err, errno, "pipe");
	if (s->tty)
		return 0;
	if (mkpipe(x->out_p, err) < 0 || mkpipe(x->err_p, err) < 0)
		return -1;
	if (s->interactive && mkpipe(x->in_p, err) < 0)
		return -1;
	c->out_r = steal_fd(&x->out_p[0]);
	c->err_r = steal_fd(&x->err_p[0]);
	if (s->interactive)
		c->in_w = steal_fd(&x->in_p[1]);
	return 0;
}

static uint64_t clone_flags(const struct hvc_ctr_spec *s)
{
	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
	if (s->net == HVC_CTR_NET_NONE)
		flags |= CLONE_NEWNET; /* bridge: the child joins the netns prepare_network made */
	return flags;
}

/* The parent's copies of what the child was handed (it keeps its own). */
static void close_child_ends(struct start *x)
{
	close_fd(&x->sync_p[0]);
	close_fd(&x->msg_p[1]);
	close_fd(&x->out_p[1]);
	close_fd(&x->err_p[1]);
	close_fd(&x->in_p[0]);
	close_fd(&x->ready_p[1]);
	close_fd(&x->trace_p[1]);
	x->c->ready_r = steal_fd(&x->ready_p[0]);
}

static int clone_child(struct start *x, struct hvc_error *err)
{
	const struct hvc_ctr_spec *s = x->s;
	struct hvc_ctr *c = x->c;
	_cleanup_close_ int devnull = s->interactive ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct hvc_rt_child a = {
		.s = s,
		.rootfs = c->rootfs,
		.hostname = c->hostname,
		.overlay_opts = x->ovl,
		.plan = &x->plan,
		.seccomp = &x->sc,
		.init_fd = x->init_fd,
		.sync_r = x->sync_p[0],
		.msg_w = x->msg_p[1],
		.stdin_fd = s->interactive ? x->in_p[0] : devnull,
		.stdout_fd = x->out_p[1],
		.stderr_fd = x->err_p[1],
		.ready_w = x->ready_p[1],
		.net_fd = c->net.ns_fd,
	};
	/* cgroup entry: the child enters v1 hierarchies itself, clone3 puts it
	 * in the cgroup2 part */
	_cleanup_close_ int v2fd = -1;
	if (hvc_rt_cgroup_enter_fds(&c->cg, a.cg_fds, &a.n_cg_fds, &v2fd, err) < 0)
		return -1;
	int pidfd = -1;
	struct clone_args ca = { .flags = clone_flags(s),
				 .pidfd = (uint64_t)(uintptr_t)&pidfd,
				 .exit_signal = SIGCHLD };
	if (v2fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)v2fd;
	}
	fflush(NULL);
	_cleanup_close_ int parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parent_pidfd >= 0)
		fcntl(parent_pidfd, F_SETFD, FD_CLOEXEC);
	a.parent_pidfd = parent_pidfd;
	/* --userns needs the parent to act (map ids) while the child waits */
	bool share_vm = !s->userns;
	if (hvc_trace_on())
		hvc_rt_trace_clone(ca.flags, share_vm, x->trace_p[1]);
	pid_t pid = hvc_rt_clone_child(&ca, &a, share_vm);
	int e = errno;
	if (hvc_trace_on())
		hvc_trace_relay_end();
	for (size_t i = 0; i < a.n_cg_fds; i++)
		close(a.cg_fds[i]);
	if (pid < 0)
		return hvc_err(err, e, "clone3 into new namespaces");
	x->pid = c->pid = pid;
	c->pidfd = pidfd;
	close_child_ends(x);
	c->t.cloned = hvc_now_ns();
	return 0;
}

static int write_id_map(pid_t pid, const char *file, struct hvc_error *err)
{
	char p[64], buf[64];
	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, file);
	snprintf(buf, sizeof(buf), "0 %u %u\n", (unsigned)HVC_RT_USERNS_BASE, (unsigned)HVC_RT_USERNS_LEN);
	if (hvc_write_file(p, buf, strlen(buf), 0644, err) < 0)
		return hvc_error_prefix(err, "user namespace map");
	HVC_TRACE("userns.map", "%s: container ids 0-%u are host ids %u-%u (\"%.*s\" to `%s`)", file,
		  (unsigned)HVC_RT_USERNS_LEN - 1, (unsigned)HVC_RT_USERNS_BASE,
		  (unsigned)(HVC_RT_USERNS_BASE + HVC_RT_USERNS_LEN - 1), (int)strlen(buf) - 1, buf, p);
	return 0;
}

/* --userns: the child has made its user namespace; map it, let it go on. */
static int write_id_maps(struct start *x, struct hvc_error *err)
{
	if (hvc_trace_on())
		hvc_trace_relay_drain(x->trace_p[0], false);
	if (write_id_map(x->pid, "uid_map", err) < 0 || write_id_map(x->pid, "gid_map", err) < 0)
		return -1;
	if (write(x->sync_p[1], "g", 1) != 1)
		return hvc_err(err, errno, "start the container");
	return 0;
}

/* -t: the master of the container's own pty, sized like the caller's terminal. */
static int take_pty(struct hvc_ctr *c, int master, struct hvc_error *err)
{
	if (master < 0)
		return hvc_err(err, EIO, "no pty from the container");
	c->out_r = master;
	c->in_w = fcntl(master, F_DUPFD_CLOEXEC, 3);
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	return 0;
}

static int on_child_msg(struct start *x, const struct hvc_rt_child_msg *m, int passed, struct hvc_error *err)
{
	switch (m->type) {
	case HVC_RT_MSG_BORN:
		x->c->t.cloned = m->ts;
		if (hvc_trace_on())
			hvc_rt_trace_born(x->pid, m->ts, x->trace_p[0]);
		return 0;
	case HVC_RT_MSG_ROOTFS:
		x->c->t.rootfs = m->ts;
		return 0;
	case HVC_RT_MSG_USERNS:
		return write_id_maps(x, err);
	case HVC_RT_MSG_PTY:
		return take_pty(x->c, passed, err);
	default:
		*x->exit_hint = m->exit_hint;
		hvc_err(err, 0, "%s", m->msg);
		return -1;
	}
}

/* Until the setup socket's EOF: the exec closed the child's end. */
static int wait_for_exec(struct start *x, struct hvc_error *err)
{
	for (;;) {
		struct hvc_rt_child_msg m = { 0 }; /* (an out-buffer; cppcheck cannot tell) */
		int passed = -1;
		ssize_t n = hvc_recv_with_fd(x->msg_p[0], &m, sizeof(m), &passed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			break;
		if (passed >= 0 && (n != (ssize_t)sizeof(m) || m.type != HVC_RT_MSG_PTY))
			close(passed), passed = -1; /* only the pty master is expected */
		if (n != (ssize_t)sizeof(m))
			return hvc_err(err, EIO, "container setup died without a word");
		if (on_child_msg(x, &m, passed, err) < 0)
			return -1;
	}
	x->c->t.exec = hvc_now_ns();
	if (hvc_trace_on())
		hvc_trace_relay_drain(x->trace_p[0], true);
	HVC_TRACE("exec.done", "the setup socket closed on exec: the container runs its command");
	close_fd(&x->msg_p[0]);
	close_fd(&x->sync_p[1]);
	return 0;
}

static int record_running(struct start *x, struct hvc_error *err)
{
	struct hvc_ctr *c = x->c;
	c->st.status = HVC_CTR_RUNNING;
	c->st.pid = c->pid;
	c->st.pid_start = hvc_ctr_proc_start_time(c->pid);
	c->st.supervisor = getpid();
	c->st.supervisor_start = hvc_ctr_proc_start_time(getpid());
	hvc_wall_iso8601(c->st.started_at, sizeof(c->st.started_at));
	snprintf(c->st.cgroup, sizeof(c->st.cgroup), "%s", c->cg.name);
	HVC_TRACE("state.running", "state.json: running, pid %d", (int)c->pid);
	return hvc_ctr_state_write(c->id, &c->st, err);
}

/* What only the start needed, on success and failure alike. */
static void start_release(struct start *x)
{
	int *pairs[] = { x->sync_p, x->msg_p, x->in_p, x->out_p, x->err_p, x->ready_p, x->trace_p };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		close_pair(pairs[i]);
	close_fd(&x->init_fd);
	hvc_sc_bpf_free(&x->sc);
	hvc_mnt_plan_free(&x->plan);
	free(x->ovl), x->ovl = NULL;
	free(x->upper), x->upper = NULL;
	free(x->work), x->work = NULL;
}

/* Undoes the steps that succeeded, last first. */
static void start_undo(struct start *x)
{
	struct hvc_ctr *c = x->c;
	if (x->pid > 0) {
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
	}
	if (hvc_trace_on()) {
		/* the child's events up to the step that failed (our write end
		 * closed first: the clone may never have happened) */
		close_fd(&x->trace_p[1]);
		hvc_trace_relay_drain(x->trace_p[0], true);
	}
	HVC_TRACE("undo", "the start failed: undoing the steps that succeeded");
	start_release(x);
	hvc_rt_net_release(c);
	if (x->cg_made)
		hvc_rt_cgroup_destroy(&c->cg, NULL);
	if (x->dir_made)
		hvc_rm_rf(c->dir, NULL);
	if (x->name_taken)
		hvc_rt_name_release(c->name, c->id, NULL);
	hvc_rt_ctr_free(c);
}

static struct hvc_ctr *ctr_new(const struct hvc_ctr_spec *s)
{
	struct hvc_ctr *c = hvc_xcalloc(1, sizeof(*c));
	c->t.t0 = hvc_now_ns();
	c->pidfd = c->out_r = c->err_r = c->in_w = c->ready_r = c->deleter = c->net.ns_fd = -1;
	c->dir_lock = -1;
	c->spec = s;
	c->tty = s->tty;
	return c;
}

static int start_steps(const struct hvc_ctr_spec *s, const char *reuse_id, struct hvc_ctr **out, int *exit_hint,
		       struct hvc_error *err)
{
	int hint_store = 0;
	struct start x = {
		.s = s,
		.exit_hint = exit_hint ? exit_hint : &hint_store,
		.init_fd = -1,
		.sync_p = { -1, -1 },
		.msg_p = { -1, -1 },
		.in_p = { -1, -1 },
		.out_p = { -1, -1 },
		.err_p = { -1, -1 },
		.ready_p = { -1, -1 },
		.trace_p = { -1, -1 },
		.reuse_id = reuse_id,
	};
	*x.exit_hint = 125;
	*out = NULL;
	x.c = ctr_new(s);
	if (check_spec(s, err) < 0 ||
	    prepare_state(&x, err) < 0 ||
	    start_network(&x, err) < 0 ||
	    prepare_seccomp(&x, err) < 0 ||
	    prepare_init(&x, err) < 0 ||
	    prepare_mounts(&x, err) < 0 ||
	    prepare_network(&x, err) < 0 ||
	    prepare_cgroup(&x, err) < 0 ||
	    open_channels(&x, err) < 0 ||
	    hvc_rt_net_join(x.c, err) < 0 ||
	    clone_child(&x, err) < 0 ||
	    wait_for_exec(&x, err) < 0 ||
	    record_running(&x, err) < 0) {
		start_undo(&x);
		return -1;
	}
	start_release(&x);
	*out = x.c;
	return 0;
}

int hvc_ctr_start(const struct hvc_ctr_spec *s, struct hvc_ctr **out, int *exit_hint, struct hvc_error *err)
{
	return start_steps(s, NULL, out, exit_hint, err);
}

int hvc_ctr_start_again(const char *id, const struct hvc_ctr_spec *s, struct hvc_ctr **out, int *exit_hint,
			struct hvc_error *err)
{
	return start_steps(s, id, out, exit_hint, err);
}

void hvc_rt_ctr_free(struct hvc_ctr *c)
{
	if (!c)
		return;
	if (c->pidfd >= 0)
		close(c->pidfd);
	int fds[] = { c->out_r, c->err_r, c->in_w, c->ready_r, c->deleter };
	for (size_t i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (c->net.ns_fd >= 0)
		close(c->net.ns_fd);
	if (c->dir_lock >= 0)
		close(c->dir_lock);
	hvc_net_lease_clear(&c->net.lease);
	free(c->dir);
	free(c->rootfs);
	free(c);
}

/* Removes everything a container has on the host (its processes are gone). */
void hvc_rt_ctr_teardown(struct hvc_ctr *c, bool remove_dir)
{
	hvc_rt_cgroup_destroy(&c->cg, NULL);
	hvc_rt_net_release(c);
	if (remove_dir) {
		umount2(c->rootfs, MNT_DETACH); /* only if mounted in our namespace (never normally) */
		hvc_rt_name_release(c->name, c->id, c->dir);
		hvc_rt_ctr_dir_discard(c->dir, c->id, c->deleter);
		c->deleter = -1;
	}
}

const char *hvc_ctr_id(const struct hvc_ctr *c)
{
	return c->id;
}

pid_t hvc_ctr_pid(const struct hvc_ctr *c)
{
	return c->pid;
}

const char *hvc_ctr_cgroup_name(const struct hvc_ctr *c)
{
	return c->cg.name;
}

int hvc_ctr_cgroup_path(const struct hvc_ctr *c, const char *controller, char *buf, size_t len)
{
	return hvc_rt_cgroup_dir(&c->cg, controller, buf, len);
}

const struct hvc_ctr_timings *hvc_ctr_get_timings(const struct hvc_ctr *c)
{
	return &c->t;
}

int hvc_ctr_tty_master(const struct hvc_ctr *c)
{
	return c->tty ? c->out_r : -1;
}

int hvc_ctr_signal(struct hvc_ctr *c, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
}
