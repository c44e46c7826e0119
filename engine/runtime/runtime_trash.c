/* engine/runtime/runtime_trash: removing a container's state directory without
 * making anyone wait for it.
 *
 * Deleting the directory costs milliseconds of ext4 metadata work that can
 * stall behind the journal — and on a disk mounted with `discard`, every
 * freed block is a synchronous discard. So the directory is renamed into
 * containers/.trash/ (gone from every listing at once) and a detached
 * process deletes it after the caller has moved on. That process is forked
 * twice so it is nobody's child to reap (a long-lived caller such as the
 * bench harness collects no zombies), and it can be forked early — while
 * the container runs and its supervisor is idle — so that at exit only a
 * rename and a close() remain. `hvc system prune` empties whatever a crash
 * left in .trash. */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime_internal.h"
#include "runtime_ctr.h"

static char *trash_dir(void)
{
	return hvc_strdup_printf("%s/containers/.trash", hvc_root());
}

/* The deleter: waits for EOF on `go`, then deletes .trash/<id> if the
 * directory was moved there (it was not if the supervisor died first). */
static __attribute__((noreturn)) void deleter_main(int go, const char *id)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/* the name a subreaper that adopts it (the VM driver's: vmdriver/reaper.c)
	 * knows it by: nobody else waits for it once its parent has gone */
	prctl(PR_SET_NAME, HVC_CTR_DELETER_COMM);
	/* hold nothing of the caller's: not its stdout (a `$(hvc run --rm …)`
	 * would wait for the deletion to see EOF), not the container's pipes */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
	dup2(go, 3);
	if (syscall(SYS_close_range, 4u, ~0u, 0) < 0)
		hvc_close_fds_from(4);
	char c;
	while (read(3, &c, 1) > 0 || errno == EINTR)
		;
	_cleanup_free_ char *trash = trash_dir();
	_cleanup_free_ char *dst = hvc_strdup_printf("%s/%s", trash, id);
	if (dst)
		hvc_rm_rf(dst, NULL);
	_exit(0);
}

int hvc_rt_deleter_start(const char *id)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]), close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		if (fork() == 0)
			deleter_main(p[0], id);
		_exit(0);
	}
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return p[1];
}

void hvc_rt_ctr_dir_discard(const char *dir, const char *id, int deleter)
{
	_cleanup_free_ char *trash = trash_dir();
	_cleanup_free_ char *dst = hvc_strdup_printf("%s/%s", trash, id);
	if (rename(dir, dst) < 0 && (mkdir(trash, 0700) < 0 || rename(dir, dst) < 0)) {
		hvc_rm_rf(dir, NULL);
	} else {
		if (deleter < 0)
			deleter = hvc_rt_deleter_start(id);
		if (deleter < 0)
			hvc_rm_rf(dst, NULL); /* no process to spare: do it here */
	}
	if (deleter >= 0)
		close(deleter); /* go */
}
