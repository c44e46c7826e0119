/* vmdriver/versions: which QEMU and libvirt the VM driver runs on. Every
 * benchmark result records them, since VM numbers depend on both. */
#include "hvc/vm.h"
#include <libvirt/libvirt.h>
#include <string.h>
#include <unistd.h>

char *hvc_vm_qemu_binary(struct hvc_error *err)
{
	const char *env = getenv("HVC_QEMU");
	if (env && *env) {
		if (access(env, X_OK) != 0) {
			hvc_err(err, errno, "QEMU binary `%s` (from HVC_QEMU)", env);
			return NULL;
		}
		return strdup(env);
	}
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy) {
		hvc_err(err, ENOMEM, "find QEMU");
		return NULL;
	}
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = hvc_path_join(*d ? d : ".", "qemu-system-x86_64");
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	hvc_err(err, ENOENT,
		"no qemu-system-x86_64 on PATH (install it with: apt-get install qemu-system-x86)");
	return NULL;
}

int hvc_vm_qemu_version(const char *qemu, char *buf, size_t len, struct hvc_error *err)
{
	char *argv[] = {(char *)qemu, "--version", NULL};
	_cleanup_free_ char *out = NULL;
	int rc = hvc_spawn_capture(argv, &out, true, 10000, err);
	if (rc < 0)
		return rc;
	if (rc != 0)
		return hvc_err(err, 0, "`%s --version` exited with status %d", qemu, rc);
	/* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" */
	const char *p = out ? strstr(out, "version ") : NULL;
	if (!p)
		return hvc_err(err, EINVAL, "`%s --version`: no version in its output", qemu);
	p += strlen("version ");
	size_t l = strcspn(p, " \n");
	if (!l || l >= len)
		return hvc_err(err, EINVAL, "`%s --version`: unreadable version", qemu);
	memcpy(buf, p, l);
	buf[l] = '\0';
	return 0;
}

int hvc_vm_libvirt_version(char *buf, size_t len, struct hvc_error *err)
{
	unsigned long v = 0;
	if (virGetVersion(&v, NULL, NULL) < 0)
		return hvc_err(err, 0, "libvirt: virGetVersion failed");
	snprintf(buf, len, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
	return 0;
}
