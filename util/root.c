/* util/root: process-wide locations — the state root and the guest program
 * directory. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "hvc/util.h"

static char root_path[PATH_MAX];

void hvc_set_root(const char *root)
{
	snprintf(root_path, sizeof(root_path), "%s", root);
}

const char *hvc_root(void)
{
	if (!root_path[0]) {
		const char *env = getenv("HVC_ROOT");
		hvc_set_root(env && *env ? env : "/var/lib/hvc");
	}
	return root_path;
}

const char *hvc_bin_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		if (n <= 0)
			return ".";
		dir[n] = '\0';
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
	}
	return dir;
}

char *hvc_guest_program(const char *name)
{
	const char *env = getenv("HVC_GUEST_DIR");
	char *p = hvc_path_join(env && *env ? env : hvc_bin_dir(), name);
	/* unit tests live in bin/tests/: look one level up too */
	if (p && access(p, X_OK) != 0 && !(env && *env)) {
		free(p);
		_cleanup_free_ char *up = hvc_path_join(hvc_bin_dir(), "..");
		p = hvc_path_join(up, name);
	}
	return p;
}

int hvc_random_hex(char *buf, size_t nbytes, struct hvc_error *err)
{
	unsigned char raw[64];
	if (nbytes > sizeof(raw))
		return hvc_err(err, EINVAL, "random: %zu bytes is too many", nbytes);
	size_t got = 0;
	while (got < nbytes) {
		ssize_t r = getrandom(raw + got, nbytes - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hvc_err(err, errno, "getrandom");
		got += (size_t)r;
	}
	for (size_t i = 0; i < nbytes; i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
	buf[2 * nbytes] = '\0';
	return 0;
}
