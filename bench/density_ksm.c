/* bench/density_ksm: Kernel Samepage Merging for the run. VMs of one image
 * hold many identical pages (kernel, initramfs rootfs) that only KSM can
 * merge; containers already share them through the page cache. --ksm turns
 * it on for the sweep and the previous setting is always put back. */
#include "hvc/density.h"
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define KSM_DIR "/sys/kernel/mm/ksm"

static int read_int(const char *name, int64_t *v)
{
	_cleanup_free_ char *p = hvc_path_join(KSM_DIR, name);
	_cleanup_free_ char *t = NULL;
	size_t len;
	struct hvc_error e = {0};
	if (hvc_read_file(p, &t, &len, &e) < 0)
		return -1;
	*v = strtoll(t, NULL, 10);
	return 0;
}

static int write_run(int v, struct hvc_error *err)
{
	char buf[8];
	int n = snprintf(buf, sizeof(buf), "%d\n", v);
	return hvc_write_file(KSM_DIR "/run", buf, (size_t)n, 0644, err);
}

/* Two --ksm sweeps at once would each record the other's setting as the one
 * to restore and could leave KSM on: they take turns on a lock. */
static int ksm_lock(struct hvc_error *err)
{
	const char *path = hvc_path_exists("/run/lock") ? "/run/lock/hvc-density-ksm.lock"
							: "/tmp/hvc-density-ksm.lock";
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return hvc_err(err, errno, "--ksm: open `%s`", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		hvc_info("--ksm: another sweep with --ksm is running; waiting for it (%s)", path);
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				int e = errno;
				close(fd);
				return hvc_err(err, e, "--ksm: lock `%s`", path);
			}
	}
	return fd;
}

static void unlock(struct hvc_density_ksm *k)
{
	if (k->lock_fd >= 0)
		close(k->lock_fd);
	k->lock_fd = -1;
}

int hvc_density_ksm_enable(struct hvc_density_ksm *k, bool enable, struct hvc_error *err)
{
	memset(k, 0, sizeof(*k));
	k->run_before = -1;
	k->lock_fd = -1;
	k->present = hvc_path_exists(KSM_DIR "/run");
	if (enable && k->present && (k->lock_fd = ksm_lock(err)) < 0)
		return -1;
	int64_t v;
	if (k->present && read_int("run", &v) == 0)
		k->run_before = (int)v;
	if (!enable)
		return 0;
	if (!k->present)
		return hvc_err(err, ENOENT, "--ksm: this kernel has no KSM (`%s` missing)",
			       KSM_DIR "/run");
	if (k->run_before == 1)
		return 0;
	if (write_run(1, err) < 0) {
		unlock(k);
		return hvc_error_prefix(err, "--ksm: turn KSM on");
	}
	k->changed = true;
	return 0;
}

void hvc_density_ksm_restore(struct hvc_density_ksm *k)
{
	if (k->changed) {
		struct hvc_error e = {0};
		/* run=0 stops merging but keeps merged pages merged: the setting, not
		 * the memory, is what we promised to restore */
		if (write_run(k->run_before >= 0 ? k->run_before : 0, &e) < 0)
			hvc_warn("could not restore %s/run to %d: %s", KSM_DIR, k->run_before,
				 e.msg);
		else
			k->changed = false;
	}
	unlock(k);
}

void hvc_density_ksm_pages(int64_t *sharing, int64_t *shared)
{
	if (read_int("pages_sharing", sharing) < 0)
		*sharing = -1;
	if (read_int("pages_shared", shared) < 0)
		*shared = -1;
}
