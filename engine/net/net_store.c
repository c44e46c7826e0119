/* engine/net/net_store: where the network module keeps its state under
 * $HVC_ROOT/networks/, and the lock that orders every change to it. */
#include "net_internal.h"
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

char *hvc_net_root(void)
{
	return hvc_path_join(hvc_root(), "networks");
}

char *hvc_net_dir(const char *name)
{
	return hvc_strdup_printf("%s/networks/%s", hvc_root(), name);
}

int hvc_net_lock(struct hvc_error *err)
{
	_cleanup_free_ char *root = hvc_net_root();
	_cleanup_free_ char *p = hvc_path_join(root, ".lock");
	_cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) { /* the first use of the root: its directory */
		if (hvc_mkdir_p(root, 0755, err) < 0)
			return -1;
		fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", p);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return hvc_err(err, errno, "lock `%s`", p);
	return steal_fd(&fd);
}

void hvc_net_unlock(int *fd)
{
	if (*fd >= 0)
		close(*fd); /* closing drops the flock */
	*fd = -1;
}
