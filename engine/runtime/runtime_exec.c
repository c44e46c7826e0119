/* engine/runtime/runtime_exec: `hvc exec` — a new process inside a running
 * container. A helper child makes itself non-dumpable (nothing in the
 * container may open its /proc/<pid>/exe: CVE-2019-5736 class), joins the
 * container's cgroup, then setns()es into all of its namespaces at once
 * through a pidfd, and forks the command so it lands in the PID namespace.
 * The command gets the container init's confinement (runtime_confine.c:
 * bounding set, user, no_new_privs, seccomp), and only fds 0/1/2. */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime_internal.h"

extern char **environ;

/* The spec's environment, exec's -e on top, HOME from the user's passwd
 * entry unless set. */
static char **exec_env(const struct hvc_ctr_spec *s, const struct hvc_ctr_exec_opts *o, uid_t uid,
		       const char *home)
{
	char **env = NULL;
	for (size_t i = 0; s->env && s->env[i]; i++)
		hvc_strv_push(&env, s->env[i]);
	for (size_t i = 0; o->env && o->env[i]; i++)
		hvc_ctr_env_set(&env, o->env[i], NULL);
	bool has_home = false;
	for (size_t i = 0; env && env[i]; i++)
		has_home |= hvc_str_has_prefix(env[i], "HOME=");
	if (!has_home) {
		_cleanup_free_ char *h = hvc_strdup_printf("HOME=%s", home ? home : uid == 0 ? "/root" : "/");
		hvc_strv_push(&env, h);
	}
	return env;
}

/* The command dies with the helper and the helper with `hvc exec` (a kill -9
 * of hvc exec left the command running: tests/fault/kill9.sh). The death
 * signals are set where no later step clears them (a uid change does), and
 * each checks that its parent did not die before: the helper by its parent's
 * pid, the command (whose parent is outside its PID namespace) by the pipe
 * whose write end only the helper holds. */
static pid_t exec_caller;
static int helper_alive = -1;

static void die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd p = { helper_alive, POLLIN, 0 };
	if (helper_alive >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLHUP))
		_exit(137);
}

static __attribute__((noreturn)) void exec_child(const struct hvc_ctr_spec *s, const struct hvc_ctr_exec_opts *o,
						  const struct hvc_sc_bpf *sc, int slave)
{
	struct hvc_error err = { 0 };
	const char *wd = o->workdir ? o->workdir : s->workdir ? s->workdir : "/";
	const char *user = o->user ? o->user : s->user;
	uid_t uid;
	gid_t gid;
	_cleanup_free_ char *home = NULL;
	if (slave >= 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
	}
	if (hvc_rt_resolve_user(user, &uid, &gid, &home, &err) < 0)
		goto fail;
	if (chdir(wd) < 0) {
		hvc_err(&err, errno, "working directory `%s`", wd);
		goto fail;
	}
	syscall(SYS_close_range, 3u, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */);
	char **env = exec_env(s, o, uid, home);
	/* the same confinement as the container's init */
	struct hvc_rt_confinement conf;
	hvc_rt_confinement_plan(uid, gid, HVC_RT_GROUPS_PRIMARY, s->caps, sc, &conf);
	if (hvc_rt_confine(&conf, &err) < 0)
		goto fail;
	environ = env;
	die_with_parent();
	execvp(o->argv[0], o->argv);
	int e = errno;
	if (e == ENOENT)
		fprintf(stderr, "hvc: exec: \"%s\": executable file not found in $PATH\n", o->argv[0]);
	else
		fprintf(stderr, "hvc: exec: \"%s\": %s\n", o->argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
fail:
	fprintf(stderr, "hvc: exec: %s\n", err.msg);
	_exit(126);
}

static void relay_tty(int master, pid_t child)
{
	for (;;) {
		struct pollfd p[2] = { { 0, POLLIN, 0 }, { master, POLLIN, 0 } };
		if (poll(p, 2, 200) < 0 && errno != EINTR)
			break;
		char buf[8192];
		if (p[0].revents & POLLIN) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0) {
				ssize_t w = write(master, buf, (size_t)n);
				(void)w;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break;
			ssize_t w = write(1, buf, (size_t)n);
			(void)w;
		}
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == child)
			return; /* exited: reaped by the caller */
	}
}

static int wait_status(pid_t pid)
{
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* The helper: non-dumpable, in the container's cgroup and namespaces; forks
 * the command so it lands in the PID namespace, exits with its status. */
static __attribute__((noreturn)) void helper_main(const struct hvc_ctr_spec *spec, const struct hvc_ctr_exec_opts *o,
						   const struct hvc_sc_bpf *sc, const struct hvc_rt_cgroup *cg,
						   int pidfd, int slave)
{
	struct hvc_error e = { 0 };
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != exec_caller)
		_exit(137);
	if (hvc_rt_cgroup_attach(cg, getpid(), &e) < 0) {
		fprintf(stderr, "hvc: exec: %s\n", e.msg);
		_exit(126);
	}
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP;
	if (spec->net != HVC_CTR_NET_HOST)
		flags |= CLONE_NEWNET;
	/* the container's namespaces belong to the host's user namespace
	 * (--userns adds one only for its processes): join them first */
	if (setns(pidfd, flags) < 0 || (spec->userns && setns(pidfd, CLONE_NEWUSER) < 0)) {
		fprintf(stderr, "hvc: exec: join the container's namespaces: %s\n", strerror(errno));
		_exit(126);
	}
	int alive[2];
	if (pipe2(alive, O_CLOEXEC) < 0)
		_exit(126);
	pid_t cmd = fork(); /* the first child after setns(PID) is inside the namespace */
	if (cmd < 0)
		_exit(126);
	if (cmd == 0) {
		close(alive[1]);
		helper_alive = alive[0];
		exec_child(spec, o, sc, slave);
	}
	close(alive[0]);
	_exit(wait_status(cmd));
}

/* -t: a pty from the host's devpts, sized like the caller's terminal. */
static int open_pty(int *master, int *slave, struct hvc_error *err)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *sn = *master >= 0 && grantpt(*master) == 0 && unlockpt(*master) == 0 ? ptsname(*master) : NULL;
	*slave = sn ? open(sn, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (*slave < 0)
		return hvc_err(err, errno, "allocate a pty");
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(*master, TIOCSWINSZ, &ws);
	return 0;
}

/* The container's state and spec, when it is running. */
static int running_container(const char *id, const struct hvc_ctr_exec_opts *o, struct hvc_ctr_state *st,
			     struct hvc_ctr_spec *spec, struct hvc_error *err)
{
	if (hvc_ctr_reclaim_if_stale(id, err) < 0 || hvc_ctr_state_read(id, st, err) < 0)
		return -1;
	if (st->status != HVC_CTR_RUNNING || !hvc_ctr_proc_alive(st->pid, st->pid_start))
		return hvc_err(err, 0, "container %.12s is not running", id);
	if (!o->argv || !o->argv[0])
		return hvc_err(err, 0, "no command to run");
	return hvc_ctr_config_read(id, spec, NULL, err);
}

int hvc_ctr_exec(const char *id, const struct hvc_ctr_exec_opts *o, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	struct hvc_ctr_spec spec;
	if (running_container(id, o, &st, &spec, err) < 0)
		return -1;
	int rc = -1;
	_cleanup_sc_bpf_ struct hvc_sc_bpf sc = { 0 };
	_cleanup_close_ int pidfd = -1, master = -1, slave = -1;
	struct hvc_rt_cgroup cg;
	hvc_rt_cgroup_from_name(st.cgroup, &cg);
	if (hvc_sc_bpf_for_spec(&spec, &sc, err) < 0)
		goto out;
	pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	if (pidfd < 0 || !hvc_ctr_proc_alive(st.pid, st.pid_start)) {
		hvc_err(err, errno ? errno : ESRCH, "container %.12s is not running", id);
		goto out;
	}
	if (o->tty && open_pty(&master, &slave, err) < 0)
		goto out;
	fflush(NULL);
	exec_caller = getpid();
	pid_t helper = fork();
	if (helper < 0) {
		hvc_err(err, errno, "fork");
		goto out;
	}
	if (helper == 0)
		helper_main(&spec, o, &sc, &cg, pidfd, slave);
	if (slave >= 0)
		close(slave), slave = -1;
	if (master >= 0)
		relay_tty(master, helper);
	rc = wait_status(helper);
out:
	hvc_rt_cgroup_release(&cg);
	hvc_ctr_spec_free(&spec);
	return rc;
}
