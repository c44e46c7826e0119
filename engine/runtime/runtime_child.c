/* engine/runtime/runtime_child: the container's first process, from its clone to
 * its exec. It runs in new PID, mount, UTS, IPC (and network) namespaces,
 * and may share its parent's memory until the exec (runtime_clone.c): so
 * nothing here assigns to globals the caller reads, allocates what it would
 * leave behind, or calls glibc's set*id() wrappers. Its steps, in order:
 *
 *   wait_for_parent, enter_cgroup, enter_cgroupns, setup_network, build_rootfs,
 *   set_hostname, pivot            -> HVC_RT_MSG_ROOTFS
 *   resolve_user, enter_workdir, setup_stdio, enter_userns,
 *   exec_init: the environment, the confinement (runtime_confine.c), execveat
 *
 * Each failure goes to the parent as one HVC_RT_MSG_ERROR; the exec closes
 * the setup socket, which tells the parent it happened. */
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "runtime_child.h"

extern char **environ;

/* One record on the seqpacket socket, optionally carrying an fd (the pty master). */
static void send_msg_fd(int sock, char type, int hint, const struct hvc_error *e, int fd)
{
	struct hvc_rt_child_msg m = { .type = type, .exit_hint = hint, .ts = hvc_now_ns() };
	if (e)
		snprintf(m.msg, sizeof(m.msg), "%s", e->msg);
	hvc_send_with_fd(sock, &m, sizeof(m), fd);
}

static void send_msg(int sock, char type)
{
	send_msg_fd(sock, type, 0, NULL, -1);
}

static __attribute__((noreturn)) void child_fail(const struct hvc_rt_child *a, int hint, const struct hvc_error *e)
{
	send_msg_fd(a->msg_w, HVC_RT_MSG_ERROR, hint, e, -1);
	_exit(hint);
}

/* A container never outlives the process that supervises it. */
static void wait_for_parent(const struct hvc_rt_child *a)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* (getppid() is 0 in a new PID namespace: ask the parent's pidfd whether
	 * it died before PDEATHSIG was armed) */
	struct pollfd pp = { a->parent_pidfd, POLLIN, 0 };
	if (a->parent_pidfd >= 0 && poll(&pp, 1, 0) > 0)
		_exit(125);
	/* the parent may be suspended until our exec: it learns when we began */
	send_msg(a->msg_w, HVC_RT_MSG_BORN);
	HVC_TRACE("ns.enter", "the child runs in its new namespaces: it is pid %d there", (int)getpid());
}

/* v1 hierarchies: a single-threaded task moving itself through `tasks`
 * skips the lock a write to cgroup.procs takes (the cgroup2 part came with
 * CLONE_INTO_CGROUP). */
static int enter_cgroup(const struct hvc_rt_child *a, struct hvc_error *err)
{
	for (size_t i = 0; i < a->n_cg_fds; i++)
		if (write(a->cg_fds[i], "0", 1) != 1)
			return hvc_err(err, errno, "enter the container's cgroup");
	HVC_TRACE("cgroup.enter", "wrote \"0\" to `tasks` in %zu v1 hierarchies (the cgroup2 part came with the clone)",
		  a->n_cg_fds);
	return 0;
}

static int enter_cgroupns(struct hvc_error *err)
{
	if (unshare(CLONE_NEWCGROUP) < 0)
		return hvc_err(err, errno, "unshare cgroup namespace");
	HVC_TRACE("ns.cgroup", "unshare(CLONE_NEWCGROUP): its own cgroup is now `/` in /proc/self/cgroup");
	return 0;
}

/* The overlay, then the mount plan under it; nothing propagates to the host. */
static int build_rootfs(struct hvc_rt_child *a, struct hvc_error *err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hvc_err(err, errno, "make / private");
	HVC_TRACE("mount.private", "/ made MS_REC|MS_PRIVATE: no mount below propagates to the host");
	int mr = mount("overlay", a->rootfs, "overlay", 0, a->overlay_opts);
	if (mr < 0 && errno == EINVAL && hvc_str_has_suffix(a->overlay_opts, HVC_OVL_VOLATILE)) {
		/* a kernel before 5.10: no "volatile", mount durable */
		a->overlay_opts[strlen(a->overlay_opts) - strlen(HVC_OVL_VOLATILE)] = '\0';
		mr = mount("overlay", a->rootfs, "overlay", 0, a->overlay_opts);
	}
	if (mr < 0)
		return hvc_err(err, errno, "mount overlay rootfs on `%s`", a->rootfs);
	HVC_TRACE("mount.overlay", "overlay on `%s`: %zu read-only lowerdirs (the image's layers) + a writable upperdir",
		  a->rootfs, hvc_strv_len(a->s->lowerdirs));
	umask(0);
	int r = hvc_rt_mounts_apply(a->plan, a->rootfs, false, err);
	umask(022);
	return r;
}

/* --network none: a namespace of its own, with lo up. */
static int bring_up_lo(struct hvc_error *err)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return hvc_err(err, errno, "socket for lo");
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return hvc_err(err, errno, "get lo flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return hvc_err(err, errno, "bring lo up");
	return 0;
}

/* none: lo up here; bridge: join the netns the parent made with the veth
 * configured (runtime_net.c); container:NAME: join its netns (host: nothing
 * to do). */
static int setup_network(const struct hvc_rt_child *a, struct hvc_error *err)
{
	switch (a->s->net) {
	case HVC_CTR_NET_NONE:
		HVC_TRACE("net", "--network none: a network namespace with only lo, brought up");
		return bring_up_lo(err);
	case HVC_CTR_NET_BRIDGE:
		if (setns(a->net_fd, CLONE_NEWNET) < 0)
			return hvc_err(err, errno, "join the network namespace made for it");
		HVC_TRACE("net", "bridge: joined the network namespace the parent made, its veth configured");
		return 0;
	case HVC_CTR_NET_CONTAINER:
		if (setns(a->net_fd, CLONE_NEWNET) < 0)
			return hvc_err(err, errno, "join the network namespace of container %s", a->s->network);
		HVC_TRACE("net", "setns: joined the network namespace of container %s", a->s->network);
		return 0;
	default:
		HVC_TRACE("net", "--network host: no network namespace, the host's interfaces");
		return 0;
	}
}

static int set_hostname(const struct hvc_rt_child *a, struct hvc_error *err)
{
	if (sethostname(a->hostname, strlen(a->hostname)) < 0)
		return hvc_err(err, errno, "sethostname");
	HVC_TRACE("hostname", "sethostname(\"%s\") in its own UTS namespace", a->hostname);
	return 0;
}

struct child_user {
	uid_t uid;
	gid_t gid;
	char home[PATH_MAX]; /* from the image's passwd; empty: none */
};

/* -u / USER against the container's own /etc/passwd and /etc/group. */
static int resolve_user(const struct hvc_rt_child *a, struct child_user *u, struct hvc_error *err)
{
	char *home = NULL;
	if (hvc_rt_resolve_user(a->s->user, &u->uid, &u->gid, &home, err) < 0)
		return -1;
	/* copied to this stack, freed at once: heap blocks would outlive the
	 * exec in a caller whose memory this child shares */
	snprintf(u->home, sizeof(u->home), "%s", home ? home : "");
	free(home);
	HVC_TRACE("user", "%s -> uid %u gid %u (the image's /etc/passwd)", a->s->user ? a->s->user : "(default)",
		  (unsigned)u->uid, (unsigned)u->gid);
	return 0;
}

static int enter_workdir(const struct hvc_rt_child *a, struct hvc_error *err)
{
	const char *dir = a->s->workdir;
	/* after pivot_root "/" is the container's, so a plain mkdir -p is contained */
	if (!a->s->read_only && !hvc_path_exists(dir) && hvc_mkdir_p(dir, 0755, err) < 0)
		return -1;
	if (chdir(dir) < 0)
		return hvc_err(err, errno, "working directory `%s`", dir);
	HVC_TRACE("workdir", "chdir `%s`", dir);
	return 0;
}

/* -t: the terminal comes from the container's own devpts instance, so
 * tty(1) and ttyname() work inside; the master goes to the supervisor. */
static int open_pty(const struct hvc_rt_child *a, int *slave, struct hvc_error *err)
{
	_cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return hvc_err(err, errno, "open /dev/ptmx");
	char name[64];
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ptsname_r(m, name, sizeof(name)) != 0)
		return hvc_err(err, errno, "unlock pty");
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return hvc_err(err, errno, "open `%s`", name);
	send_msg_fd(a->msg_w, HVC_RT_MSG_PTY, 0, NULL, m);
	return 0;
}

/* Only 0/1/2 (and the READY fd as 3 when asked) survive the exec. */
static int setup_stdio(struct hvc_rt_child *a, struct hvc_error *err)
{
	if (a->s->tty) {
		int slave = -1;
		if (open_pty(a, &slave, err) < 0)
			return -1;
		a->stdin_fd = a->stdout_fd = a->stderr_fd = slave;
		setsid();
		if (ioctl(slave, TIOCSCTTY, 0) < 0)
			return hvc_err(err, errno, "set controlling terminal");
	}
	/* the READY fd becomes 3: the setup fds still needed (--userns reads
	 * sync_r and writes msg_w after this) move out of its way first */
	if (a->ready_w >= 0 && a->ready_w != 3) {
		int *keep[] = { &a->sync_r, &a->msg_w };
		for (size_t i = 0; i < 2; i++)
			if (*keep[i] == 3 && (*keep[i] = fcntl(3, F_DUPFD_CLOEXEC, 4)) < 0)
				return hvc_err(err, errno, "move a setup fd");
	}
	if (dup2(a->stdin_fd, 0) < 0 || dup2(a->stdout_fd, 1) < 0 || dup2(a->stderr_fd, 2) < 0)
		return hvc_err(err, errno, "dup2 stdio");
	if (a->ready_w >= 0 && dup2(a->ready_w, 3) < 0)
		return hvc_err(err, errno, "dup2 ready fd");
	/* everything else closes at exec (CVE-2024-21626 class: no host fd leaks) */
	unsigned first = a->ready_w >= 0 ? 4u : 3u;
	if (syscall(SYS_close_range, first, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
		hvc_close_fds_from((int)first); /* old kernel: close what we can */
	if (a->ready_w >= 0)
		fcntl(3, F_SETFD, 0);
	return 0;
}

/* --userns: everything before ran as host root (overlay copy-up and mounts
 * need it); now a new user namespace, mapped by the parent, makes container
 * root an unprivileged host uid. The other namespaces stay owned by the
 * host's user namespace, so even root inside has no power over them. */
static int enter_userns(const struct hvc_rt_child *a, struct hvc_error *err)
{
	if (!a->s->userns)
		return 0;
	if (unshare(CLONE_NEWUSER) < 0)
		return hvc_err(err, errno, "unshare user namespace");
	HVC_TRACE("ns.user", "unshare(CLONE_NEWUSER): waiting for the parent to write the id maps");
	send_msg(a->msg_w, HVC_RT_MSG_USERNS);
	char go;
	if (read(a->sync_r, &go, 1) != 1)
		_exit(125); /* the parent failed and reports it */
	return 0;
}

/* The spec's environment, HOME from the user's passwd entry unless set,
 * HVC_READY_FD when asked: into env (n_env + 3 slots), with home_var as the
 * storage of HOME. */
static void fill_env(const struct hvc_rt_child *a, const struct child_user *u, char **env, char home_var[PATH_MAX + 8])
{
	size_t k = 0;
	bool has_home = false;
	for (char **e = a->s->env; e && *e; e++) {
		has_home |= hvc_str_has_prefix(*e, "HOME=");
		env[k++] = *e;
	}
	if (!has_home) {
		snprintf(home_var, PATH_MAX + 8, "HOME=%s", u->home[0] ? u->home : u->uid == 0 ? "/root" : "/");
		env[k++] = home_var;
	}
	if (a->ready_w >= 0)
		env[k++] = "HVC_READY_FD=3";
	env[k] = NULL;
}

/* The environment and argv on this stack (not the heap: see the file's
 * header), the confinement, then hvc-init from the sealed memfd — or, with
 * --no-init, the command itself along the container's PATH. */
static __attribute__((noreturn)) void exec_init(const struct hvc_rt_child *a, const struct child_user *u)
{
	const struct hvc_ctr_spec *s = a->s;
	struct hvc_error err = { 0 };
	char *env[hvc_strv_len(s->env) + 3];
	char home_var[PATH_MAX + 8];
	fill_env(a, u, env, home_var);
	struct hvc_rt_confinement conf;
	hvc_rt_confinement_plan(u->uid, u->gid, HVC_RT_GROUPS_PRIMARY, s->caps, a->seccomp, &conf);
	if (hvc_rt_confine(&conf, &err) < 0)
		child_fail(a, 125, &err);
	/* the caller's mask back (hvc_rt_clone_child blocked all); nothing
	 * below takes a lock before the exec */
	if (a->restore_mask)
		sigprocmask(SIG_SETMASK, &a->mask, NULL);
	if (a->init_fd >= 0) {
		size_t n = hvc_strv_len(s->argv);
		char *argv[n + 3];
		argv[0] = "hvc-init";
		argv[1] = "--";
		memcpy(argv + 2, s->argv, n * sizeof(char *));
		argv[n + 2] = NULL;
		HVC_TRACE("exec", "execveat(hvc-init memfd, \"hvc-init -- %s ...\"): the setup socket closes", s->argv[0]);
		syscall(SYS_execveat, a->init_fd, "", argv, env, AT_EMPTY_PATH);
		hvc_err(&err, errno, "exec hvc-init");
		child_fail(a, 125, &err);
	}
	HVC_TRACE("exec", "execvp(\"%s\") along the container's PATH (--no-init)", s->argv[0]);
	environ = env; /* execvp searches the container's PATH */
	execvp(s->argv[0], s->argv);
	int e = errno;
	if (e == ENOENT)
		hvc_err(&err, 0, "exec \"%s\": executable file not found in $PATH", s->argv[0]);
	else
		hvc_err(&err, e, "exec \"%s\"", s->argv[0]);
	child_fail(a, e == ENOENT ? 127 : 126, &err);
}

void hvc_rt_child_main(struct hvc_rt_child *a)
{
	struct hvc_error err = { 0 };
	wait_for_parent(a);
	if (enter_cgroup(a, &err) < 0)
		child_fail(a, 125, &err);
	if (enter_cgroupns(&err) < 0)
		child_fail(a, 125, &err);
	/* before the rootfs: the sysfs it mounts shows the network namespace
	 * of its mounter (bridge and container:NAME join theirs here) */
	if (setup_network(a, &err) < 0)
		child_fail(a, 125, &err);
	if (build_rootfs(a, &err) < 0)
		child_fail(a, 125, &err);
	if (set_hostname(a, &err) < 0)
		child_fail(a, 125, &err);
	if (hvc_rt_pivot_root(a->rootfs, a->s->read_only, &err) < 0)
		child_fail(a, 125, &err);
	send_msg(a->msg_w, HVC_RT_MSG_ROOTFS);

	struct child_user u;
	if (resolve_user(a, &u, &err) < 0)
		child_fail(a, 125, &err);
	if (enter_workdir(a, &err) < 0)
		child_fail(a, 125, &err);
	if (setup_stdio(a, &err) < 0)
		child_fail(a, 125, &err);
	if (enter_userns(a, &err) < 0)
		child_fail(a, 125, &err);
	exec_init(a, &u);
}
