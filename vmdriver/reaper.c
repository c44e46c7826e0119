/* vmdriver/reaper: hvc as the subreaper of the QEMUs libvirt's embedded
 * driver daemonizes, and the thread that reaps them (why: below). */
#include "vm-internal.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
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
 * own direct children (which it waits for itself) are never touched. */
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

/* Runs every 20 ms beside libvirt, which forks: it allocates nothing (no
 * opendir, no malloc), so a fork can never catch it holding an allocator
 * lock — glibc's malloc survives that, AddressSanitizer's does not. */
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
			     t = strtok_r(NULL, " \n", &sv)) {
				char sp[64], st[512];
				snprintf(sp, sizeof(sp), "/proc/%s/stat", t);
				if (read_small(sp, st, sizeof(st)) <= 0)
					continue;
				const char *rp = strrchr(st, ')');
				if (rp && rp[1] == ' ' && rp[2] == 'Z' &&
				    strstr(st, "(qemu-system-") && in_other_session(rp + 2))
					waitpid(atoi(t), NULL, WNOHANG);
			}
		}
	}
	close(dfd);
}

static void *reaper_thread(void *arg)
{
	(void)arg;
	for (;;) {
		reap_qemu_zombies();
		usleep(20000);
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
