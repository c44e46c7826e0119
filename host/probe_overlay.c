/* host/probe_overlay: whether overlayfs really works where the container
 * layers live — a real mount of a tiny overlay, a write through it, and the
 * copy-up checked, all in a private mount namespace so nothing stays mounted
 * even if we are killed half-way. */
#include "hvc/host.h"
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int overlay_in_child(void *arg, struct hvc_error *err)
{
	const char *d = arg;
	if (unshare(CLONE_NEWNS) < 0)
		return hvc_err(err, errno, "unshare mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hvc_err(err, errno, "make mounts private");
	_cleanup_free_ char *lower = hvc_path_join(d, "lower");
	_cleanup_free_ char *upper = hvc_path_join(d, "upper");
	_cleanup_free_ char *work = hvc_path_join(d, "work");
	_cleanup_free_ char *merged = hvc_path_join(d, "merged");
	_cleanup_free_ char *lfile = hvc_path_join(d, "lower/probe");
	if (!lower || !upper || !work || !merged || !lfile)
		return hvc_err(err, ENOMEM, "overlay probe");
	const char *dirs[] = {lower, upper, work, merged};
	for (size_t i = 0; i < 4; i++)
		if (mkdir(dirs[i], 0755) < 0)
			return hvc_err(err, errno, "mkdir `%s`", dirs[i]);
	if (hvc_write_file(lfile, "lower\n", 6, 0644, err) < 0)
		return -1;
	_cleanup_free_ char *opts =
	    hvc_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (!opts)
		return hvc_err(err, ENOMEM, "overlay probe");
	if (mount("overlay", merged, "overlay", 0, opts) < 0)
		return hvc_err(err, errno, "mount overlay on `%s`", merged);
	_cleanup_free_ char *mfile = hvc_path_join(merged, "probe");
	_cleanup_free_ char *ufile = hvc_path_join(upper, "probe");
	int rc = 0;
	/* appending to a lower file forces a copy-up into upper */
	int fd = open(mfile, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, "upper\n", 6) != 6)
		rc = hvc_err(err, errno, "write through the overlay `%s`", mfile);
	if (fd >= 0)
		close(fd);
	struct stat st;
	if (rc == 0 && (stat(ufile, &st) < 0 || st.st_size != 12))
		rc = hvc_err(err, EIO, "overlay copy-up: `%s` missing or wrong size", ufile);
	if (umount2(merged, MNT_DETACH) < 0 && rc == 0)
		rc = hvc_err(err, errno, "unmount `%s`", merged);
	return rc;
}

int hvc_probe_overlayfs(const char *dir, struct hvc_error *err)
{
	_cleanup_free_ char *base = NULL;
	if (dir) {
		base = strdup(dir);
	} else {
		base = hvc_path_join(hvc_root(), "tmp");
		struct hvc_error e2 = {0};
		if (base && hvc_mkdir_p(base, 0700, &e2) < 0) {
			hvc_debug("overlay probe: %s; trying /tmp", e2.msg);
			free(base);
			base = strdup("/tmp");
		}
	}
	if (!base)
		return hvc_err(err, ENOMEM, "overlay probe");
	_cleanup_free_ char *tmpl = hvc_path_join(base, "overlay-probe.XXXXXX");
	if (!tmpl)
		return hvc_err(err, ENOMEM, "overlay probe");
	if (!mkdtemp(tmpl))
		return hvc_err(err, errno, "overlay probe: mkdtemp in `%s`", base);
	int rc = hvc_probe_in_child(overlay_in_child, tmpl, err);
	struct hvc_error rm = {0};
	if (hvc_rm_rf(tmpl, &rm) < 0)
		hvc_warn("overlay probe: cleanup: %s", rm.msg);
	return rc;
}
