/* vmdriver/reaper: hvc as the subreaper of the QEMUs libvirt's embedded
 * driver daemonizes, and the thread that reaps them (why: below). */
#include "vm-internal.h"
#include "hvc/container.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* libvirt daemonizes every QEMU it starts (domains and its capability
 * probes), so their parent is PID 1 or the nearest subreaper, and libvirt
 * waits for one to end by polling kill(pid, 0) — which a zombie still
 * answers. On a host whose PID 1 reaps lazily (this one) that cost ~1.4 s per
 * destroy and made the one-off capability probe take over a minute. So hvc
 * becomes the subreaper and a thread reaps adopted QEMU zombies. It reaps
 * only zombies named qemu-system-* in a session of their own: libvirt's
 * own direct children (which it waits for itself) are never touched.
 * Being a subreaper also adopts the other detached processes this process
 * forks twice so that nobody has to reap them: the deleters of removed
 * containers' directories (engine/runtime/runtime_trash.c), which the bench
 * harness starts with every container sample. Adopted, each would linger
 * as a zombie nobody waits for (and keep the thread below scanning), so
 * zombies named HVC_CTR_DELETER_COMM in a session of their own are reaped
 * too, by the same argument: their parent is gone, so nobody else can. */
/* A QEMU that libvirt started as a direct child (the capability probe runs
 * `qemu -daemonize` and waits for that very process) is our child too, since
 * the embedded driver lives in this process: reaping it makes libvirt fail
 * with "unable to wait for process". Daemonized QEMUs (and the intermediate
 * forks they leave behind) have called setsid(), so only processes in a
 * session other than ours are adopted ones hvc may reap. fields points at
 * the state field of /proc/PID/stat: "S ppid pgrp session ...". */
static bool in_other_session(const char *fields)
{
	char state;
	int ppid, pgrp, session;
	return sscanf(fields, "%c %d %d %d", &state, &ppid, &pgrp, &session) == 4 &&
	       session != (int)getsid(0);
}

/* Reads a small /proc file into buf (NUL-terminated) without allocating. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Reaps child pid if it is an adopted QEMU or deleter zombie; true when it did. It
 * allocates nothing (no opendir, no malloc), so a fork by libvirt can never
 * catch it holding an allocator lock — glibc's malloc survives that,
 * AddressSanitizer's does not. */
static bool reap_if_adopted(pid_t pid)
{
	char sp[64], st[512];
	snprintf(sp, sizeof(sp), "/proc/%d/stat", (int)pid);
	if (read_small(sp, st, sizeof(st)) <= 0)
		return false;
	const char *rp = strrchr(st, ')');
	bool named = strstr(st, "(qemu-system-") || strstr(st, "(" HVC_CTR_DELETER_COMM ")");
	if (!(rp && rp[1] == ' ' && rp[2] == 'Z' && named && in_other_session(rp + 2)))
		return false;
	return waitpid(pid, NULL, WNOHANG) == pid;
}

/* Every child of every thread of this process (/proc/self/task/T/children):
 * reaps the adopted QEMU and deleter zombies among them. Allocates nothing, as above. */
static void reap_qemu_zombies(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)getpid());
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	char dents[4096] __attribute__((aligned(8)));
	long nread;
	while ((nread = syscall(SYS_getdents64, dfd, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < nread;) {
			struct dirent64 *de = (struct dirent64 *)(dents + off);
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			char cp[128], kids[1024];
			snprintf(cp, sizeof(cp), "%s/%s/children", path, de->d_name);
			if (read_small(cp, kids, sizeof(kids)) <= 0)
				continue;
			for (char *sv = NULL, *t = strtok_r(kids, " \n", &sv); t;
			     t = strtok_r(NULL, " \n", &sv))
				reap_if_adopted(atoi(t));
		}
	}
	close(dfd);
}

/* The thread sleeps in waitid(WNOWAIT) while a QEMU runs, so it costs
 * nothing during a boot; it used to scan /proc/self/task/x/children every
 * 20 ms instead, 60 ms of CPU in a 4 s run on this host (perf record of
 * `hvc vm run --rm busybox true`, issue 15). WNOWAIT leaves the zombie for
 * whoever owns it: a child libvirt or hvc waits for itself (dmidecode,
 * qemu-img, the capability probe's QEMU) is only looked at. But waitid keeps
 * reporting that same zombie while it lasts, and one may last: hvc is a
 * subreaper, so an orphan of an earlier `hvc run` in this process (the bench
 * harness) that is not a deleter (a detached container's supervisor) ends as
 * a zombie nobody waits for. A QEMU zombie behind it would never be seen,
 * and libvirt's kill(pid, 0) polling then waited 41 s for the capability
 * probe (make check, 70-bench). So after a foreign zombie the thread scans
 * every child for adopted zombies, then naps 20 ms so that the owner can
 * collect its own. With no child at all (ECHILD) it naps too: a
 * QEMU about to be adopted is not there yet. */
static void *reaper_thread(void *arg)
{
	(void)arg;
	for (;;) {
		siginfo_t si = {0};
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
			if (errno != EINTR)
				usleep(20000);
			continue;
		}
		if (si.si_pid > 0 && !reap_if_adopted(si.si_pid)) {
			reap_qemu_zombies();
			usleep(20000);
		}
	}
	return NULL;
}

static void reaper_start(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&th, &attr, reaper_thread, NULL);
	pthread_attr_destroy(&attr);
}

void vm_reaper_start_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, reaper_start);
}
