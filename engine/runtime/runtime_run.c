/* engine/runtime/runtime_run: starting a container. The parent prepares everything
 * that can be prepared outside (state dir, config.json, cgroup with limits,
 * compiled seccomp filter, sealed hvc-init memfd, mount plan), then clone3()s
 * a child into new PID, mount, UTS, IPC, network (and user) namespaces. The
 * child waits for the parent to attach it to the cgroup (and write its id
 * maps), enters a new cgroup namespace, builds the rootfs (overlay, /proc,
 * /sys, /dev, masks), pivot_roots, drops capabilities, sets no_new_privs,
 * loads seccomp and execs hvc-init. Failures travel back over a CLOEXEC pipe:
 * EOF on it means the exec happened. See docs/runtime.md for the walk-through. */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "runtime_internal.h"
#include "runtime_ctr.h"

extern char **environ;

enum { MSG_BORN = 'B', MSG_ROOTFS = 'R', MSG_ERROR = 'E', MSG_PTY = 'P', MSG_USERNS = 'U' };
struct child_msg {
	char type;
	int exit_hint; /* 125 (our failure), 126/127 (the command) */
	uint64_t ts;
	char msg[1024];
};

int hvc_rt_init_memfd(struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_guest_program("hvc-init");
	_cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return hvc_err(err, errno, "open hvc-init `%s`", path);
	struct stat st;
	if (fstat(src, &st) < 0)
		return hvc_err(err, errno, "stat `%s`", path);
	int fd = memfd_create("hvc-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return hvc_err(err, errno, "memfd_create");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return hvc_err(err, e, "copy hvc-init into a memfd");
		}
	}
	/* sealed: nothing in the container can change the binary PID 1 runs from
	 * (the CVE-2019-5736 class writes through /proc/<pid>/exe) */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		int e = errno;
		close(fd);
		return hvc_err(err, e, "seal the hvc-init memfd");
	}
	return fd;
}

/* One record on the seqpacket socket, optionally carrying an fd (the pty master). */
static void child_send_fd(int sock, char type, int hint, const struct hvc_error *e, int fd)
{
	struct child_msg m = { .type = type, .exit_hint = hint, .ts = hvc_now_ns() };
	if (e)
		snprintf(m.msg, sizeof(m.msg), "%s", e->msg);
	hvc_send_with_fd(sock, &m, sizeof(m), fd);
}

static void child_send(int sock, char type, int hint, const struct hvc_error *e)
{
	child_send_fd(sock, type, hint, e, -1);
}

/* -t: the terminal comes from the container's own devpts instance, so
 * tty(1) and ttyname() work inside; the master goes to the supervisor. */
static int child_open_pty(int sock, int *slave, struct hvc_error *err)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return hvc_err(err, errno, "open /dev/ptmx");
	char name[64];
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
		close(m);
		return hvc_err(err, errno, "unlock pty");
	}
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		close(m);
		return hvc_err(err, errno, "open `%s`", name);
	}
	child_send_fd(sock, MSG_PTY, 0, NULL, m);
	close(m);
	return 0;
}

static __attribute__((noreturn)) void child_fail(int fd, int hint, const struct hvc_error *e)
{
	child_send(fd, MSG_ERROR, hint, e);
	_exit(hint);
}

static int lo_up(struct hvc_error *err)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return hvc_err(err, errno, "socket for lo");
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int r = 0;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = hvc_err(err, errno, "get lo flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!r && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = hvc_err(err, errno, "bring lo up");
	close(s);
	return r;
}

static int mkdir_workdir(const char *dir, struct hvc_error *err)
{
	/* after pivot_root: "/" is the container, so a plain mkdir -p is contained */
	if (hvc_path_exists(dir))
		return 0;
	return hvc_mkdir_p(dir, 0755, err);
}

struct child_args {
	const struct hvc_ctr_spec *s;
	struct hvc_ctr *c;
	char *overlay_opts;
	const struct hvc_mnt_plan *plan;
	const struct hvc_sc_bpf *seccomp;
	int init_fd;
	int sync_r, msg_w;
	int stdin_fd, stdout_fd, stderr_fd; /* child ends (tty: all the slave) */
	int ready_w;
	bool new_cgroup_ns;
	int parent_pidfd;
	int cg_fds[8];     /* v1 `tasks` files to write "0" to */
	size_t n_cg_fds;
	bool restore_mask; /* the caller's signal mask, to restore just before exec */
	sigset_t mask;
};

static __attribute__((noreturn)) void child_main(struct child_args *a);

/* The container's first process is started the way posix_spawn starts one:
 * CLONE_VM | CLONE_VFORK, on a stack of its own, sharing this process's
 * memory until it execs while this thread waits. A fork()-style clone
 * copies the caller's page tables and every page either side writes
 * afterwards — for the bench harness, with libvirt's libraries mapped, that
 * was about 1 ms of every container start, and the exec that drops the copy
 * was as dear again. What the child may not do while it shares memory: call
 * glibc's set*id() wrappers (glibc would broadcast them to the caller's
 * threads; the raw syscalls are used), assign to globals the caller reads
 * (environ is restored after), or unshare(CLONE_NEWUSER), which the kernel
 * refuses to a task sharing its memory — so --userns keeps the fork path.
 * Architectures without the trampoline below keep it too. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
/* (not under ASan: it cannot follow a stack it did not see created, and
 * warns from the child into the container's stderr) */
#define HVC_CLONE3_SHARED_VM 1
static long clone3_shared_vm(struct clone_args *ca, void (*fn)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register void *rdi __asm__("rdi") = ca;
	register size_t rsi __asm__("rsi") = sizeof(*ca);
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;
	__asm__ __volatile__(
		"syscall\n\t"
		"testq %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		/* the child, on its own stack (r12, r13 survive the syscall) */
		"xorl %%ebp, %%ebp\n\t"
		"andq $-16, %%rsp\n\t"
		"movq %%r13, %%rdi\n\t"
		"callq *%%r12\n\t"
		"movl $60, %%eax\n\t" /* SYS_exit: fn does not return, but never fall through */
		"xorl %%edi, %%edi\n\t"
		"syscall\n\t"
		"1:"
		: "+r"(rax)
		: "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
		: "rcx", "r11", "memory", "cc");
	return rax;
}

static void child_entry(void *arg)
{
	child_main(arg);
}
#endif

/* clone3 with ca->flags, running child_main(a) in the child; the pid, or -1
 * with errno. */
static pid_t start_child(struct clone_args *ca, struct child_args *a, bool share_vm)
{
#ifdef HVC_CLONE3_SHARED_VM
	if (share_vm) {
		enum { STACK = 2 << 20 }; /* touched lazily; ample under ASan too */
		void *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
		if (stack != MAP_FAILED) {
			struct clone_args v = *ca;
			v.flags |= CLONE_VM | CLONE_VFORK;
			v.stack = (uint64_t)(uintptr_t)stack;
			v.stack_size = STACK;
			/* no signal may run a handler in, or kill, a child that
			 * shares our memory (it could die holding a malloc lock):
			 * all blocked until its exec, as posix_spawn does */
			sigset_t all;
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &a->mask);
			a->restore_mask = true;
			char **saved_environ = environ;
			long r = clone3_shared_vm(&v, child_entry, a);
			/* back here only once the child has exec'd or died */
			environ = saved_environ;
			pthread_sigmask(SIG_SETMASK, &a->mask, NULL);
			munmap(stack, STACK);
			if (r < 0 && r > -4096) {
				errno = (int)-r;
				return -1;
			}
			return (pid_t)r;
		}
	}
#else
	(void)share_vm;
#endif
	pid_t pid = (pid_t)syscall(SYS_clone3, ca, sizeof(*ca));
	if (pid == 0)
		child_main(a);
	return pid;
}

static __attribute__((noreturn)) void child_main(struct child_args *a)
{
	const struct hvc_ctr_spec *s = a->s;
	struct hvc_error err = { 0 };
	char go;
	/* a container never outlives the process that supervises it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* (getppid() is 0 in a new PID namespace: ask the parent's pidfd whether
	 * it died before PDEATHSIG was armed) */
	struct pollfd pp = { a->parent_pidfd, POLLIN, 0 };
	if (a->parent_pidfd >= 0 && poll(&pp, 1, 0) > 0)
		_exit(125);
	/* the parent may be suspended until our exec: it learns when we began */
	child_send(a->msg_w, MSG_BORN, 0, NULL);
	for (size_t i = 0; i < a->n_cg_fds; i++)
		if (write(a->cg_fds[i], "0", 1) != 1) {
			hvc_err(&err, errno, "enter the container's cgroup");
			child_fail(a->msg_w, 125, &err);
		}
	if (a->new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) {
		hvc_err(&err, errno, "unshare cgroup namespace");
		child_fail(a->msg_w, 125, &err);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		hvc_err(&err, errno, "make / private");
		child_fail(a->msg_w, 125, &err);
	}
	int mr = mount("overlay", a->c->rootfs, "overlay", 0, a->overlay_opts);
	if (mr < 0 && errno == EINVAL && hvc_str_has_suffix(a->overlay_opts, HVC_OVL_VOLATILE)) {
		/* a kernel before 5.10: no "volatile", mount durable */
		a->overlay_opts[strlen(a->overlay_opts) - strlen(HVC_OVL_VOLATILE)] = '\0';
		mr = mount("overlay", a->c->rootfs, "overlay", 0, a->overlay_opts);
	}
	if (mr < 0) {
		hvc_err(&err, errno, "mount overlay rootfs on `%s`", a->c->rootfs);
		child_fail(a->msg_w, 125, &err);
	}
	umask(0);
	if (hvc_rt_mounts_apply(a->plan, a->c->rootfs, false, &err) < 0)
		child_fail(a->msg_w, 125, &err);
	umask(022);
	if (s->net == HVC_CTR_NET_NONE && lo_up(&err) < 0)
		child_fail(a->msg_w, 125, &err);
	if (sethostname(a->c->hostname, strlen(a->c->hostname)) < 0) {
		hvc_err(&err, errno, "sethostname");
		child_fail(a->msg_w, 125, &err);
	}
	if (hvc_rt_pivot_root(a->c->rootfs, s->read_only, &err) < 0)
		child_fail(a->msg_w, 125, &err);
	child_send(a->msg_w, MSG_ROOTFS, 0, NULL);

	uid_t uid;
	gid_t gid;
	_cleanup_free_ char *home = NULL;
	if (hvc_rt_resolve_user(s->user, &uid, &gid, &home, &err) < 0)
		child_fail(a->msg_w, 125, &err);
	if (!s->read_only && mkdir_workdir(s->workdir, &err) < 0)
		child_fail(a->msg_w, 125, &err);
	if (chdir(s->workdir) < 0) {
		hvc_err(&err, errno, "working directory `%s`", s->workdir);
		child_fail(a->msg_w, 125, &err);
	}

	/* stdio: only 0/1/2 (and the READY fd when asked) survive the exec */
	if (s->tty) {
		int slave = -1;
		if (child_open_pty(a->msg_w, &slave, &err) < 0)
			child_fail(a->msg_w, 125, &err);
		a->stdin_fd = a->stdout_fd = a->stderr_fd = slave;
		setsid();
		if (ioctl(a->stdin_fd, TIOCSCTTY, 0) < 0) {
			hvc_err(&err, errno, "set controlling terminal");
			child_fail(a->msg_w, 125, &err);
		}
	}
	if (dup2(a->stdin_fd, 0) < 0 || dup2(a->stdout_fd, 1) < 0 || dup2(a->stderr_fd, 2) < 0) {
		hvc_err(&err, errno, "dup2 stdio");
		child_fail(a->msg_w, 125, &err);
	}
	if (a->ready_w >= 0 && dup2(a->ready_w, 3) < 0) {
		hvc_err(&err, errno, "dup2 ready fd");
		child_fail(a->msg_w, 125, &err);
	}
	/* everything else closes at exec (CVE-2024-21626 class: no host fd leaks) */
	if (syscall(SYS_close_range, a->ready_w >= 0 ? 4u : 3u, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
		hvc_close_fds_from(a->ready_w >= 0 ? 4 : 3); /* old kernel: close what we can */
	if (a->ready_w >= 0)
		fcntl(3, F_SETFD, 0);

	/* --userns: everything above ran as host root (overlay copy-up and
	 * mounts need it); now a new user namespace, mapped by the parent, makes
	 * container root an unprivileged host uid. The other namespaces stay
	 * owned by the host's user namespace, so even root inside has no
	 * power over them. */
	if (s->userns) {
		if (unshare(CLONE_NEWUSER) < 0) {
			hvc_err(&err, errno, "unshare user namespace");
			child_fail(a->msg_w, 125, &err);
		}
		child_send(a->msg_w, MSG_USERNS, 0, NULL);
		if (read(a->sync_r, &go, 1) != 1)
			_exit(125);
	}
	if (hvc_rt_caps_drop_bounding(s->caps, &err) < 0)
		child_fail(a->msg_w, 125, &err);
	/* raw system calls: glibc's wrappers would apply them to every thread
	 * of the process it believes this is (see clone3_shared_vm) */
	if (syscall(SYS_setgroups, 1, &gid) < 0 || syscall(SYS_setresgid, gid, gid, gid) < 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) < 0) {
		hvc_err(&err, errno, "switch to user %u:%u", (unsigned)uid, (unsigned)gid);
		child_fail(a->msg_w, 125, &err);
	}
	if (hvc_rt_caps_set(uid == 0 ? s->caps : 0, &err) < 0)
		child_fail(a->msg_w, 125, &err);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		hvc_err(&err, errno, "no_new_privs");
		child_fail(a->msg_w, 125, &err);
	}

	/* environment: the spec's, HOME from the user's passwd entry unless set.
	 * On this stack, not the heap: a child sharing the caller's memory
	 * (start_child) would leave heap blocks allocated there after its exec */
	size_t n_env = hvc_strv_len(s->env);
	char *env[n_env + 3];
	char home_var[PATH_MAX + 8];
	size_t k = 0;
	bool has_home = false;
	for (size_t i = 0; i < n_env; i++) {
		has_home |= hvc_str_has_prefix(s->env[i], "HOME=");
		env[k++] = s->env[i];
	}
	if (!has_home) {
		snprintf(home_var, sizeof(home_var), "HOME=%s", home ? home : uid == 0 ? "/root" : "/");
		env[k++] = home_var;
	}
	if (a->ready_w >= 0)
		env[k++] = "HVC_READY_FD=3";
	env[k] = NULL;
	free(home), home = NULL;

	{
		int rc = hvc_sc_bpf_load(a->seccomp);
		if (rc < 0) {
			hvc_err(&err, -rc, "load seccomp filter");
			child_fail(a->msg_w, 125, &err);
		}
	}
	/* the caller's mask back (start_child blocked all); nothing below takes
	 * a lock before the exec */
	if (a->restore_mask)
		sigprocmask(SIG_SETMASK, &a->mask, NULL);
	if (a->init_fd >= 0) {
		size_t n = hvc_strv_len(s->argv);
		char *argv[n + 3];
		argv[n + 2] = NULL;
		argv[0] = "hvc-init";
		argv[1] = "--";
		memcpy(argv + 2, s->argv, n * sizeof(char *));
		syscall(SYS_execveat, a->init_fd, "", argv, env, AT_EMPTY_PATH);
		hvc_err(&err, errno, "exec hvc-init");
		child_fail(a->msg_w, 125, &err);
	}
	environ = env; /* execvp searches the container's PATH */
	execvp(s->argv[0], s->argv);
	int e = errno;
	if (e == ENOENT)
		hvc_err(&err, 0, "exec \"%s\": executable file not found in $PATH", s->argv[0]);
	else
		hvc_err(&err, e, "exec \"%s\"", s->argv[0]);
	child_fail(a->msg_w, e == ENOENT ? 127 : 126, &err);
}

static int write_id_map(pid_t pid, const char *file, unsigned base, unsigned len, struct hvc_error *err)
{
	char p[64], buf[64];
	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, file);
	snprintf(buf, sizeof(buf), "0 %u %u\n", base, len);
	if (hvc_write_file(p, buf, strlen(buf), 0644, err) < 0)
		return hvc_error_prefix(err, "user namespace map");
	return 0;
}

/* Reserves the name (atomic: a symlink names/<name> -> id). */
static int name_reserve(const char *name, const char *id, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/containers/.names", hvc_root());
	_cleanup_free_ char *link = hvc_strdup_printf("%s/%s", dir, name);
	if (hvc_mkdir_p(dir, 0700, err) < 0)
		return -1;
	for (int tries = 0; tries < 2; tries++) {
		if (symlink(id, link) == 0)
			return 0;
		if (errno != EEXIST)
			return hvc_err(err, errno, "reserve name \"%s\"", name);
		char other[HVC_CTR_ID_LEN + 1];
		ssize_t n = readlink(link, other, sizeof(other) - 1);
		if (n > 0) {
			other[n] = '\0';
			_cleanup_free_ char *od = hvc_rt_ctr_dir(other);
			if (hvc_path_exists(od))
				return hvc_err(err, 0, "the name \"%s\" is already in use by container %.12s", name, other);
		}
		unlink(link); /* stale: its container is gone */
	}
	return hvc_err(err, 0, "the name \"%s\" is already in use", name);
}

/* The link's 64-byte target does not fit in an ext4 inode (60 bytes), so
 * unlinking it frees a data block — a synchronous discard on a disk mounted
 * with `discard` (0.2-0.3 ms, strace -T). When the container's state dir is
 * about to be discarded anyway, the link is moved into it instead (a rename
 * frees nothing) and deleted with it, off the exit path. */
void hvc_rt_name_release(const char *name, const char *id, const char *dir)
{
	if (!name)
		return;
	_cleanup_free_ char *link = hvc_strdup_printf("%s/containers/.names/%s", hvc_root(), name);
	char other[HVC_CTR_ID_LEN + 1];
	ssize_t n = readlink(link, other, sizeof(other) - 1);
	if (n <= 0)
		return;
	other[n] = '\0';
	if (strcmp(other, id) != 0)
		return;
	_cleanup_free_ char *dst = dir ? hvc_path_join(dir, "name-link") : NULL;
	if (!dst || rename(link, dst) < 0)
		unlink(link);
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
	free(c->dir);
	free(c->rootfs);
	free(c);
}

/* Removes everything a container has on the host (its processes are gone). */
void hvc_rt_ctr_teardown(struct hvc_ctr *c, bool remove_dir)
{
	hvc_rt_cgroup_destroy(&c->cg, NULL);
	if (remove_dir) {
		umount2(c->rootfs, MNT_DETACH); /* only if mounted in our namespace (never normally) */
		hvc_rt_name_release(c->name, c->id, c->dir);
		hvc_rt_ctr_dir_discard(c->dir, c->id, c->deleter);
		c->deleter = -1;
	}
}

static int mkpipe(int p[2], struct hvc_error *err)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	return 0;
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0) {
			close(p[i]);
			p[i] = -1;
		}
}

/* The parent's copies of what clone3 handed the child (the child keeps its
 * own): closed on both the failure and the success path. */
static void close_clone_fds(int devnull, const int *cg_fds, size_t n_cg_fds, int v2fd, int parent_pidfd)
{
	if (devnull >= 0)
		close(devnull);
	for (size_t i = 0; i < n_cg_fds; i++)
		close(cg_fds[i]);
	if (v2fd >= 0)
		close(v2fd);
	if (parent_pidfd >= 0)
		close(parent_pidfd);
}

int hvc_ctr_start(const struct hvc_ctr_spec *s, struct hvc_ctr **out, int *exit_hint, struct hvc_error *err)
{
	int hint_store;
	if (!exit_hint)
		exit_hint = &hint_store;
	*exit_hint = 125;
	*out = NULL;
	struct hvc_ctr *c = calloc(1, sizeof(*c));
	if (!c)
		return hvc_err(err, ENOMEM, "container");
	c->t.t0 = hvc_now_ns();
	c->pidfd = c->out_r = c->err_r = c->in_w = c->ready_r = c->deleter = -1;
	c->spec = s;
	c->tty = s->tty;
	int rc = -1;
	bool name_taken = false, dir_made = false, cg_made = false;
	struct hvc_sc_bpf sc = { 0 };
	_cleanup_close_ int init_fd = -1;
	_cleanup_free_ char *ovl = NULL;
	/* declared before the first goto: cleanup attributes must never see garbage */
	_cleanup_free_ char *upper = NULL, *work = NULL;
	struct hvc_mnt_plan plan = { 0 };
	int sync_p[2] = { -1, -1 }, msg_p[2] = { -1, -1 }, in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 },
	    err_p[2] = { -1, -1 }, ready_p[2] = { -1, -1 };

	if (!s->argv || !s->argv[0]) {
		hvc_err(err, EINVAL, "no command to run");
		goto fail;
	}
	if (!s->lowerdirs || !s->lowerdirs[0]) {
		hvc_err(err, EINVAL, "no image layers to run");
		goto fail;
	}
	if (hvc_random_hex(c->id, HVC_CTR_ID_LEN / 2, err) < 0)
		goto fail;
	if (s->name && !hvc_ctr_name_valid(s->name)) {
		hvc_err(err, EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*", s->name);
		goto fail;
	}
	if (s->name)
		snprintf(c->name, sizeof(c->name), "%s", s->name);
	else
		snprintf(c->name, sizeof(c->name), "c-%.12s", c->id);
	if (name_reserve(c->name, c->id, err) < 0)
		goto fail;
	name_taken = true;
	snprintf(c->hostname, sizeof(c->hostname), "%s", s->hostname ? s->hostname : c->id);
	if (!s->hostname)
		c->hostname[12] = '\0';

	/* state dir: plain mkdirs and writes, no fsync — a crash loses a
	 * container that was never going to survive it anyway */
	c->dir = hvc_rt_ctr_dir(c->id);
	c->rootfs = hvc_path_join(c->dir, "rootfs");
	if (mkdir(c->dir, 0700) < 0) {
		_cleanup_free_ char *root = hvc_ctr_dir_root();
		if (hvc_mkdir_p(root, 0700, err) < 0 || mkdir(c->dir, 0700) < 0) {
			if (!err->msg[0])
				hvc_err(err, errno, "create `%s`", c->dir);
			goto fail;
		}
	}
	dir_made = true;
	upper = hvc_path_join(c->dir, "upper");
	work = hvc_path_join(c->dir, "work");
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(c->rootfs, 0755) < 0) {
		hvc_err(err, errno, "create overlay dirs in `%s`", c->dir);
		goto fail;
	}
	unsigned map_base = 100000, map_len = 65536;
	if (s->userns) {
		/* container root owns its upper dir, so / is writable inside */
		if (chown(upper, map_base, map_base) < 0 || chown(c->dir, map_base, map_base) < 0 ||
		    chown(c->rootfs, map_base, map_base) < 0) {
			hvc_err(err, errno, "chown for the user namespace");
			goto fail;
		}
		chmod(c->dir, 0711);
	}
	{
		_cleanup_json_ json_object *cfg = hvc_ctr_spec_to_json(s);
		hvc_json_add_string(cfg, "id", c->id);
		json_object_object_del(cfg, "name");
		hvc_json_add_string(cfg, "name", c->name);
		json_object_object_del(cfg, "hostname");
		hvc_json_add_string(cfg, "hostname", c->hostname);
		char now[32];
		hvc_json_add_string(cfg, "created", hvc_wall_iso8601(now, sizeof(now)));
		_cleanup_free_ char *p = hvc_path_join(c->dir, "config.json");
		const char *txt = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
		if (hvc_write_file(p, txt, strlen(txt), 0644, err) < 0)
			goto fail;
	}
	if (hvc_sc_bpf_for_spec(s, &sc, err) < 0)
		goto fail;
	if (s->init && (init_fd = hvc_rt_init_memfd(err)) < 0)
		goto fail;
	if (hvc_mnt_plan_build(s, &plan, err) < 0)
		goto fail;
	if (!(ovl = hvc_mnt_overlay_options(s->lowerdirs, upper, work, s->rm))) {
		hvc_err(err, ENOMEM, "overlay options");
		goto fail;
	}
	if (strlen(ovl) >= 4096) {
		hvc_err(err, E2BIG, "overlay options are longer than a page (%zu layers)", hvc_strv_len(s->lowerdirs));
		goto fail;
	}
	c->t.prepared = hvc_now_ns();

	if (hvc_rt_cgroup_create(c->id, &s->limits, &c->cg, err) < 0) {
		hvc_error_prefix(err, "cgroup");
		goto fail;
	}
	cg_made = true;
	c->t.cgroup = hvc_now_ns();

	if (mkpipe(sync_p, err) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, msg_p) < 0) {
		hvc_err(err, errno, "socketpair");
		goto fail;
	}
	if (s->ready && mkpipe(ready_p, err) < 0)
		goto fail;
	if (s->tty) {
		/* the pty is opened by the child inside the container (MSG_PTY) */
	} else {
		if (mkpipe(out_p, err) < 0 || mkpipe(err_p, err) < 0)
			goto fail;
		if (s->interactive && mkpipe(in_p, err) < 0)
			goto fail;
		c->out_r = out_p[0], out_p[0] = -1;
		c->err_r = err_p[0], err_p[0] = -1;
		if (s->interactive)
			c->in_w = in_p[1], in_p[1] = -1;
	}
	int devnull = -1;
	if (!s->interactive)
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
	if (s->net == HVC_CTR_NET_NONE)
		flags |= CLONE_NEWNET;
	/* cgroup entry: the child enters v1 hierarchies itself, clone3 puts it
	 * in the cgroup2 part; with a user namespace the parent attaches it */
	int cg_fds[8], v2fd = -1;
	size_t n_cg_fds = 0;
	if (hvc_rt_cgroup_enter_fds(&c->cg, cg_fds, &n_cg_fds, &v2fd, err) < 0)
		goto fail;
	int pidfd = -1;
	struct clone_args ca = { .flags = flags, .pidfd = (uint64_t)(uintptr_t)&pidfd, .exit_signal = SIGCHLD };
	if (v2fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)v2fd;
	}
	fflush(NULL);
	int parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parent_pidfd >= 0)
		fcntl(parent_pidfd, F_SETFD, FD_CLOEXEC);
	struct child_args a = {
		.s = s, .c = c, .overlay_opts = ovl, .plan = &plan, .seccomp = &sc, .init_fd = init_fd,
		.sync_r = sync_p[0], .msg_w = msg_p[1],
		.stdin_fd = s->interactive ? in_p[0] : devnull,
		.stdout_fd = out_p[1],
		.stderr_fd = err_p[1],
		.ready_w = ready_p[1], .new_cgroup_ns = true,
		.parent_pidfd = parent_pidfd, .n_cg_fds = n_cg_fds,
	};
	memcpy(a.cg_fds, cg_fds, sizeof(cg_fds));
	/* --userns needs the parent to map ids while the child waits */
	pid_t pid = start_child(&ca, &a, !s->userns);
	if (pid < 0) {
		hvc_err(err, errno, "clone3 into new namespaces");
		close_clone_fds(devnull, cg_fds, n_cg_fds, v2fd, parent_pidfd);
		goto fail;
	}
	close_clone_fds(devnull, cg_fds, n_cg_fds, v2fd, parent_pidfd);
	c->pid = pid;
	c->pidfd = pidfd;
	close(sync_p[0]), sync_p[0] = -1;
	close(msg_p[1]), msg_p[1] = -1;
	if (out_p[1] >= 0)
		close(out_p[1]), out_p[1] = -1;
	if (err_p[1] >= 0)
		close(err_p[1]), err_p[1] = -1;
	if (in_p[0] >= 0)
		close(in_p[0]), in_p[0] = -1;
	if (ready_p[1] >= 0)
		close(ready_p[1]), ready_p[1] = -1;
	c->ready_r = ready_p[0], ready_p[0] = -1;

	c->t.cloned = hvc_now_ns();

	for (;;) {
		struct child_msg m = { 0 }; /* (an out-buffer; cppcheck cannot tell) */
		int passed = -1;
		ssize_t n = hvc_recv_with_fd(msg_p[0], &m, sizeof(m), &passed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			break; /* closed by exec */
		if (passed >= 0 && (n != (ssize_t)sizeof(m) || m.type != MSG_PTY))
			close(passed), passed = -1; /* only the pty master is expected */
		if (n != (ssize_t)sizeof(m)) {
			hvc_err(err, EIO, "container setup died without a word");
			goto fail_child;
		}
		if (m.type == MSG_BORN) {
			c->t.cloned = m.ts;
			continue;
		}
		if (m.type == MSG_ROOTFS) {
			c->t.rootfs = m.ts;
			continue;
		}
		if (m.type == MSG_USERNS) {
			if (write_id_map(pid, "uid_map", map_base, map_len, err) < 0 ||
			    write_id_map(pid, "gid_map", map_base, map_len, err) < 0)
				goto fail_child;
			if (write(sync_p[1], "g", 1) != 1) {
				hvc_err(err, errno, "start the container");
				goto fail_child;
			}
			continue;
		}
		if (m.type == MSG_PTY) {
			int master = passed;
			if (master < 0) {
				hvc_err(err, EIO, "no pty from the container");
				goto fail_child;
			}
			c->out_r = master;
			c->in_w = fcntl(master, F_DUPFD_CLOEXEC, 3);
			struct winsize ws;
			if (ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
			continue;
		}
		*exit_hint = m.exit_hint;
		hvc_err(err, 0, "%s", m.msg);
		goto fail_child;
	}
	c->t.exec = hvc_now_ns();
	close(msg_p[0]), msg_p[0] = -1;
	close(sync_p[1]), sync_p[1] = -1;

	c->st.status = HVC_CTR_RUNNING;
	c->st.pid = pid;
	c->st.pid_start = hvc_ctr_proc_start_time(pid);
	c->st.supervisor = getpid();
	c->st.supervisor_start = hvc_ctr_proc_start_time(getpid());
	hvc_wall_iso8601(c->st.started_at, sizeof(c->st.started_at));
	snprintf(c->st.cgroup, sizeof(c->st.cgroup), "%s", c->cg.name);
	if (hvc_ctr_state_write(c->id, &c->st, err) < 0)
		goto fail_child;

	hvc_sc_bpf_free(&sc);
	hvc_mnt_plan_free(&plan);
	*out = c;
	return 0;

fail_child:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
fail:
	close_pair(sync_p), close_pair(msg_p), close_pair(in_p);
	close_pair(out_p), close_pair(err_p), close_pair(ready_p);
	hvc_sc_bpf_free(&sc);
	hvc_mnt_plan_free(&plan);
	if (cg_made)
		hvc_rt_cgroup_destroy(&c->cg, NULL);
	if (dir_made)
		hvc_rm_rf(c->dir, NULL);
	if (name_taken)
		hvc_rt_name_release(c->name, c->id, NULL);
	hvc_rt_ctr_free(c);
	return rc;
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
