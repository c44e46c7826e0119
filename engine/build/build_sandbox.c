/* engine/build/build_sandbox: where a RUN step executes until (and unless) the
 * container runtime's API takes over: an overlay of the image's layers plus a
 * fresh upper dir, in new mount/pid/uts/ipc namespaces, pivot_root into it,
 * /proc and a minimal /dev, the image's env/workdir/user applied.
 *
 * Every mount is made by the child inside its own mount namespace: when the
 * child (PID 1 of its pid namespace) dies — including because hvc was killed,
 * via PR_SET_PDEATHSIG — the namespace and its mounts go with it. Nothing is
 * ever mounted in the caller's namespace.
 *
 * The command is confined by the runtime's one confinement
 * (engine/runtime/runtime_confine.c), as `hvc run` confines a container:
 * Docker's default capability set, no_new_privs and the default seccomp
 * profile as hvc's own BPF — a RUN step cannot mount, load modules or reach
 * host devices. The network is the host's, as docker build's default. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hvc/build.h"
#include "hvc/container.h"
#include "../runtime/runtime_internal.h"

extern char **environ;

/* ---------- USER resolution (pure) --------------------------------------- */
static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Finds field 0 == key (or field 2 == key when by_id) in a passwd/group text;
 * returns fields 2 and 3 (id and, for passwd, primary gid). */
static bool lookup(const char *text, const char *key, bool by_id, long *id, long *gid)
{
	if (!text)
		return false;
	const char *line = text;
	while (*line) {
		const char *end = strchrnul(line, '\n');
		char buf[1024];
		size_t l = (size_t)(end - line);
		if (l < sizeof(buf)) {
			memcpy(buf, line, l);
			buf[l] = '\0';
			char *f[5] = { 0 };
			char *p = buf;
			for (int i = 0; i < 5 && p; i++) {
				f[i] = p;
				p = strchr(p, ':');
				if (p)
					*p++ = '\0';
			}
			if (f[0] && f[2] && all_digits(f[2]) && !strcmp(by_id ? f[2] : f[0], key)) {
				*id = atol(f[2]);
				if (gid)
					*gid = f[3] && all_digits(f[3]) ? atol(f[3]) : 0;
				return true;
			}
		}
		line = *end ? end + 1 : end;
	}
	return false;
}

int hvc_build_user_resolve(const char *spec, const char *passwd, const char *group, uid_t *uid, gid_t *gid,
			   struct hvc_error *err)
{
	if (!spec || !*spec) {
		*uid = 0;
		*gid = 0;
		return 0;
	}
	_cleanup_free_ char *u = strdup(spec);
	if (!u)
		return hvc_err(err, ENOMEM, "user");
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	long id = 0, pg = 0;
	if (all_digits(u)) {
		if (!lookup(passwd, u, true, &id, &pg)) {
			id = atol(u);
			pg = 0; /* Docker: a uid not in passwd gets gid 0 */
		}
	} else if (!lookup(passwd, u, false, &id, &pg)) {
		return hvc_err(err, 0, "unable to find user %s: no matching entries in passwd file", u), -ENOENT;
	}
	if (g && *g) {
		if (all_digits(g))
			pg = atol(g);
		else if (!lookup(group, g, false, &pg, NULL))
			return hvc_err(err, 0, "unable to find group %s: no matching entries in group file", g), -ENOENT;
	}
	*uid = (uid_t)id;
	*gid = (gid_t)pg;
	return 0;
}

/* ---------- the child ----------------------------------------------------- */
/* Reports a setup failure through the error pipe and exits. */
static void __attribute__((noreturn, format(printf, 2, 3))) child_fail(int efd, const char *fmt, ...)
{
	char msg[1024];
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e && n >= 0 && (size_t)n < sizeof(msg) - 64)
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(e));
	if (write(efd, msg, strlen(msg)) < 0) {
		/* nothing more we can do */
	}
	_exit(125);
}

static char *read_small(const char *path)
{
	char *d = NULL;
	size_t l;
	return hvc_read_file(path, &d, &l, NULL) < 0 ? NULL : d;
}

static void setup_dev(int efd, const char *merged)
{
	char dev[PATH_MAX];
	snprintf(dev, sizeof(dev), "%s/dev", merged);
	struct stat st;
	if (lstat(dev, &st) < 0 || !S_ISDIR(st.st_mode))
		return; /* the image has no /dev: do not add one to the layer */
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") < 0)
		child_fail(efd, "mount tmpfs on `%s`", dev);
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };
	for (int i = 0; nodes[i]; i++) {
		char src[64], dst[PATH_MAX];
		snprintf(src, sizeof(src), "/dev/%s", nodes[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dev, nodes[i]);
		int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			child_fail(efd, "create `%s`", dst);
		close(fd);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			child_fail(efd, "bind `%s`", src);
	}
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char dst[PATH_MAX];
		snprintf(dst, sizeof(dst), "%s/%s", dev, links[i][0]);
		if (symlink(links[i][1], dst) < 0)
			child_fail(efd, "symlink `%s`", dst);
	}
	char shm[PATH_MAX];
	snprintf(shm, sizeof(shm), "%s/shm", dev);
	if (mkdir(shm, 01777) < 0 || mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
		child_fail(efd, "mount `%s`", shm);
}

static int mkdir_p_in_root(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* What the child was handed by spawn_and_wait. */
struct sandbox_child {
	const struct hvc_build_sandbox *sb;
	int efd; /* setup errors, as text; EOF = setup done */
	int alive_fd; /* EOF/HUP once the parent is gone */
	const struct hvc_sc_bpf *seccomp;
	const char *linkdir; /* short layer names, or NULL */
};

/* Die with hvc; then check it did not die before we asked. */
static void wait_for_parent(const struct sandbox_child *a)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd pf = { .fd = a->alive_fd, .events = POLLIN };
	if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLIN)))
		_exit(125);
}

/* lowerdir=TOP:...:BOTTOM, with short names relative to linkdir when given.
 * redirect_dir/metacopy off: the upper dir must hold whole files and real
 * directories, which is what layer_diff turns into a layer. */
static char *overlay_options(const struct hvc_build_sandbox *sb, const char *linkdir)
{
	char *opts = NULL;
	size_t olen = 0;
	FILE *m = open_memstream(&opts, &olen);
	if (!m)
		return NULL;
	fputs("lowerdir=", m);
	for (size_t i = 0; sb->lowerdirs[i]; i++) {
		if (linkdir)
			fprintf(m, "%s%zx", i ? ":" : "", i);
		else
			fprintf(m, "%s%s", i ? ":" : "", sb->lowerdirs[i]);
	}
	fprintf(m, ",upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off%s", sb->upperdir, sb->workdir,
		sb->volatile_upper ? ",volatile" : "");
	fclose(m);
	return opts;
}

static void mount_overlay(const struct sandbox_child *a)
{
	const struct hvc_build_sandbox *sb = a->sb;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(a->efd, "make / private");
	_cleanup_free_ char *opts = overlay_options(sb, a->linkdir);
	if (!opts)
		child_fail(a->efd, "overlay options");
	/* overlay resolves relative lowerdirs against the cwd at mount time */
	if (a->linkdir && chdir(a->linkdir) < 0)
		child_fail(a->efd, "chdir `%s`", a->linkdir);
	if (mount("overlay", sb->mergeddir, "overlay", 0, opts) < 0)
		child_fail(a->efd, "mount overlay on `%s` (%zu layers, %zu bytes of options)", sb->mergeddir,
			   hvc_strv_len(sb->lowerdirs), strlen(opts));
}

/* /proc and /dev when the image has the directories (nothing is added to
 * the layer), and the host's resolv.conf over the image's for RUN steps
 * that fetch things. */
static void mount_system_dirs(const struct sandbox_child *a)
{
	const char *merged = a->sb->mergeddir;
	char proc[PATH_MAX];
	snprintf(proc, sizeof(proc), "%s/proc", merged);
	struct stat st;
	if (lstat(proc, &st) == 0 && S_ISDIR(st.st_mode) &&
	    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(a->efd, "mount proc on `%s`", proc);
	setup_dev(a->efd, merged);
	char resolv[PATH_MAX];
	snprintf(resolv, sizeof(resolv), "%s/etc/resolv.conf", merged);
	if (lstat(resolv, &st) == 0 && S_ISREG(st.st_mode) && hvc_path_exists("/etc/resolv.conf"))
		mount("/etc/resolv.conf", resolv, NULL, MS_BIND | MS_RDONLY, NULL);
}

static void set_hostname(const struct sandbox_child *a)
{
	const char *hn = a->sb->hostname ? a->sb->hostname : "hvc-build";
	if (sethostname(hn, strlen(hn)) < 0)
		child_fail(a->efd, "sethostname");
}

static void pivot(const struct sandbox_child *a)
{
	const char *merged = a->sb->mergeddir;
	if (chdir(merged) < 0)
		child_fail(a->efd, "chdir `%s`", merged);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(a->efd, "pivot_root into `%s`", merged);
	if (umount2(".", MNT_DETACH) < 0)
		child_fail(a->efd, "detach the old root");
	if (chdir("/") < 0)
		child_fail(a->efd, "chdir /");
}

/* The home directory of uid in a passwd text, into home (empty: none). */
static void passwd_home(const char *pw, uid_t uid, char home[PATH_MAX])
{
	char uidstr[32];
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
	home[0] = '\0';
	for (const char *l = pw; l && *l;) {
		const char *e = strchrnul(l, '\n');
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)(e - l), l);
		char *f[7] = { 0 }, *p = line;
		for (int i = 0; i < 7 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (f[2] && f[5] && !strcmp(f[2], uidstr) && *f[5]) {
			snprintf(home, PATH_MAX, "%s", f[5]);
			return;
		}
		l = *e ? e + 1 : e;
	}
}

/* USER against the image's own /etc/passwd and /etc/group (after the pivot),
 * and the environment with HOME as Docker sets it: the user's passwd entry,
 * else / (root: /root). */
static char **resolve_user(const struct sandbox_child *a, uid_t *uid, gid_t *gid)
{
	const struct hvc_build_sandbox *sb = a->sb;
	*uid = 0;
	*gid = 0;
	_cleanup_free_ char *pw = read_small("/etc/passwd");
	_cleanup_free_ char *gr = read_small("/etc/group");
	if (sb->user && *sb->user) {
		struct hvc_error e = { 0 };
		if (hvc_build_user_resolve(sb->user, pw, gr, uid, gid, &e) < 0) {
			errno = 0;
			child_fail(a->efd, "USER %s: %s", sb->user, e.msg);
		}
	}
	char **env = hvc_strv_dup(sb->env ? sb->env : (char *[]){ NULL });
	if (env && !hvc_env_get(env, "HOME")) {
		char home[PATH_MAX];
		passwd_home(pw, *uid, home);
		hvc_env_set(&env, "HOME", *home ? home : *uid == 0 ? "/root" : "/");
	}
	return env;
}

/* WORKDIR is created on first use, as Docker does; it lands in this step's layer. */
static void enter_workdir(const struct sandbox_child *a)
{
	const char *cwd = a->sb->cwd && *a->sb->cwd ? a->sb->cwd : "/";
	if (mkdir_p_in_root(cwd) < 0 || chdir(cwd) < 0)
		child_fail(a->efd, "WORKDIR %s", cwd);
}

/* The command's process: stdio, then confined as `hvc run` confines a
 * container's init, then exec. Its failures go to the step's output. */
static void __attribute__((noreturn))
exec_command(const struct sandbox_child *a, const struct hvc_rt_confinement *conf, char **env)
{
	const struct hvc_build_sandbox *sb = a->sb;
	close(a->efd);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 0);
	else
		close(0);
	dup2(sb->stdout_fd, 1);
	dup2(sb->stderr_fd, 2);
	hvc_close_fds_from(3);
	signal(SIGPIPE, SIG_DFL);
	struct hvc_error e = { 0 };
	if (hvc_rt_confine(conf, &e) < 0) {
		dprintf(2, "hvc build: confine the command: %s\n", e.msg);
		_exit(126);
	}
	environ = env;
	execvp(sb->argv[0], sb->argv);
	int xe = errno;
	dprintf(2, "hvc build: exec \"%s\": %s\n", sb->argv[0],
		xe == ENOENT ? "executable file not found in $PATH" : strerror(xe));
	_exit(xe == ENOENT ? 127 : 126);
}

/* PID 1 of the sandbox: reaps everything, exits with the command's status. */
static void __attribute__((noreturn)) reap_until(pid_t cmd)
{
	for (;;) {
		int status;
		pid_t w = waitpid(-1, &status, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(125);
		if (w == cmd)
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		/* other processes the command left behind: reaped, as PID 1 must */
	}
}

static void __attribute__((noreturn)) child_main(const struct sandbox_child *a)
{
	wait_for_parent(a);
	mount_overlay(a);
	mount_system_dirs(a);
	set_hostname(a);
	pivot(a);
	uid_t uid;
	gid_t gid;
	char **env = resolve_user(a, &uid, &gid);
	enter_workdir(a);
	struct hvc_rt_confinement conf;
	hvc_rt_confinement_plan(uid, gid, HVC_RT_GROUPS_NONE, hvc_ctr_caps_default(), a->seccomp, &conf);
	pid_t pid = fork();
	if (pid < 0)
		child_fail(a->efd, "fork");
	if (pid == 0)
		exec_command(a, &conf, env);
	close(a->efd); /* setup done: the parent's read of the error pipe ends */
	reap_until(pid);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]), p[i] = -1;
}

/* The child's setup failure (empty: none), read until the pipe's EOF. */
static size_t read_setup_error(int fd, char *msg, size_t size)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, msg + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= size - 1)
			break;
	}
	msg[got] = '\0';
	return got;
}

/* Clones the child into its namespaces, relays a setup failure, waits. */
static int spawn_and_wait(const struct hvc_build_sandbox *sb, const struct hvc_sc_bpf *seccomp, const char *linkdir,
			  struct hvc_error *err)
{
	int epipe[2] = { -1, -1 }, alive[2] = { -1, -1 };
	if (pipe2(epipe, O_CLOEXEC) < 0 || pipe2(alive, O_CLOEXEC) < 0) {
		int e = errno;
		close_pair(epipe);
		return hvc_err(err, e, "pipe");
	}
	fflush(NULL);
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, NULL,
				   NULL, NULL, NULL);
	if (pid < 0) {
		int e = errno;
		close_pair(epipe);
		close_pair(alive);
		return hvc_err(err, e, "sandbox: clone new namespaces");
	}
	if (pid == 0) {
		close(epipe[0]);
		close(alive[1]);
		struct sandbox_child a = {
			.sb = sb,
			.efd = epipe[1],
			.alive_fd = alive[0],
			.seccomp = seccomp,
			.linkdir = linkdir,
		};
		child_main(&a);
	}
	close(epipe[1]);
	close(alive[0]);
	char msg[1024];
	size_t got = read_setup_error(epipe[0], msg, sizeof(msg));
	close(epipe[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(alive[1]);
	if (got) {
		hvc_err(err, 0, "sandbox: %s", msg);
		if (err)
			err->code = EIO;
		return -EIO;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The mount options must fit a page: many layers with long paths get short
 * symlink names instead (overlay2's l/ trick). *linkdir stays NULL when
 * they fit. */
static int make_layer_links(const struct hvc_build_sandbox *sb, char **linkdir, struct hvc_error *err)
{
	size_t total = 0;
	for (size_t i = 0; sb->lowerdirs[i]; i++)
		total += strlen(sb->lowerdirs[i]) + 1;
	*linkdir = NULL;
	if (total + strlen(sb->upperdir) + strlen(sb->workdir) <= 2048)
		return 0;
	_cleanup_free_ char *dir = hvc_strdup_printf("%s.l", sb->mergeddir);
	if (hvc_mkdir_p(dir, 0700, err) < 0)
		return hvc_error_prefix(err, "sandbox: layer links");
	for (size_t i = 0; sb->lowerdirs[i]; i++) {
		char l[PATH_MAX], target[PATH_MAX];
		snprintf(l, sizeof(l), "%s/%zx", dir, i);
		unlink(l);
		if (!realpath(sb->lowerdirs[i], target) || symlink(target, l) < 0) {
			int e = errno;
			hvc_rm_rf(dir, NULL);
			return hvc_err(err, e, "sandbox: symlink `%s`", l);
		}
	}
	*linkdir = steal_pointer(&dir);
	return 0;
}

int hvc_build_sandbox_run(const struct hvc_build_sandbox *sb_in, struct hvc_error *err)
{
	if (!sb_in->lowerdirs || !sb_in->lowerdirs[0])
		return hvc_err(err, EINVAL, "sandbox: at least one lower directory is needed");
	/* Absolute paths: the child changes directory before mounting, and a
	 * relative --root must not change what is mounted. */
	char upper[PATH_MAX], work[PATH_MAX], merged[PATH_MAX];
	if (!realpath(sb_in->upperdir, upper) || !realpath(sb_in->workdir, work) || !realpath(sb_in->mergeddir, merged))
		return hvc_err(err, errno, "sandbox: resolve `%s`, `%s`, `%s`", sb_in->upperdir, sb_in->workdir,
			       sb_in->mergeddir);
	struct hvc_build_sandbox abs = *sb_in;
	abs.upperdir = upper;
	abs.workdir = work;
	abs.mergeddir = merged;
	/* compiled here (or read from the cache `hvc run` shares), loaded by
	 * the command's process just before exec */
	uint64_t t0 = hvc_now_ns();
	_cleanup_sc_bpf_ struct hvc_sc_bpf seccomp = { 0 };
	if (hvc_sc_bpf_default(hvc_ctr_caps_default(), &seccomp, err) < 0)
		return hvc_error_prefix(err, "sandbox: seccomp profile");
	hvc_debug("sandbox: seccomp profile ready in %.1f ms", hvc_ns_to_ms(hvc_now_ns() - t0));
	_cleanup_free_ char *linkdir = NULL;
	if (make_layer_links(&abs, &linkdir, err) < 0)
		return -1;
	int r = spawn_and_wait(&abs, &seccomp, linkdir, err);
	if (linkdir)
		hvc_rm_rf(linkdir, NULL);
	return r;
}
