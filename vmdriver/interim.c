/* vmdriver/interim: small stand-ins for pieces other parts own, kept here
 * until they land so the VM driver works end to end:
 *  - accelerator verdict  -> `host` part's vmdriver/accel.c
 *  - guest kernel lookup  -> `host` part's vmdriver/kernel.c
 *  - image resolve/flatten -> `images` part's hvc_image_* (include/hvc/image.h)
 * Each is called from one place in run.c, so swapping is one line. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vm-internal.h"

void vm_interim_accel(struct vm_accel *a)
{
	const char *force = getenv("HVC_VM_ACCEL");
	memset(a, 0, sizeof(*a));
	if (force && !strcmp(force, "tcg")) {
		snprintf(a->reason, sizeof(a->reason), "HVC_VM_ACCEL=tcg");
		return;
	}
	if (force && !strcmp(force, "kvm")) {
		a->kvm = true;
		snprintf(a->reason, sizeof(a->reason), "HVC_VM_ACCEL=kvm");
		return;
	}
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		snprintf(a->reason, sizeof(a->reason), "no usable /dev/kvm");
		return;
	}
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(a->reason, sizeof(a->reason),
			 "/dev/kvm is kvm_pvm (runs only PVM-built guest kernels)");
		return;
	}
	if (access("/sys/module/kvm_intel", F_OK) == 0 || access("/sys/module/kvm_amd", F_OK) == 0) {
		a->kvm = true;
		snprintf(a->reason, sizeof(a->reason), "kvm_intel/kvm_amd loaded");
		return;
	}
	snprintf(a->reason, sizeof(a->reason), "no hardware KVM module loaded");
}

char *vm_bzimage_release(const unsigned char *buf, size_t len)
{
	if (len < 0x210 || memcmp(buf + 0x202, "HdrS", 4) != 0)
		return NULL;
	size_t off = (size_t)(buf[0x20e] | buf[0x20f] << 8) + 0x200;
	if (off >= len)
		return NULL;
	size_t n = 0;
	while (off + n < len && n < 128 && buf[off + n] > ' ' && buf[off + n] < 0x7f)
		n++;
	return n ? strndup((const char *)buf + off, n) : NULL;
}

static char *kernel_release(const char *path, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hvc_err(err, errno, "kernel `%s`", path);
		return NULL;
	}
	unsigned char buf[32768];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	char *r = n > 0 ? vm_bzimage_release(buf, (size_t)n) : NULL;
	if (!r)
		hvc_err(err, ENOEXEC, "kernel `%s`: not an x86 bzImage", path);
	return r;
}

int vm_interim_kernel(const char *explicit_path, char **path, char **release, struct hvc_error *err)
{
	const char *env = getenv("HVC_KERNEL");
	const char *want = explicit_path && *explicit_path ? explicit_path : env && *env ? env : NULL;
	if (want) {
		if (access(want, R_OK) != 0)
			return hvc_err(err, errno, "kernel `%s`%s", want,
				       explicit_path ? "" : " (from $HVC_KERNEL)");
		char *r = kernel_release(want, err);
		if (!r)
			return -1;
		*path = strdup(want);
		*release = r;
		return 0;
	}
	struct dirent **names = NULL;
	int n = scandir("/boot", &names, NULL, versionsort);
	char *best = NULL;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (hvc_str_has_prefix(nm, "vmlinuz-")) {
			_cleanup_free_ char *mods = hvc_path_join("/lib/modules", nm + 8);
			_cleanup_free_ char *kp = hvc_path_join("/boot", nm);
			if (hvc_path_exists(mods) && access(kp, R_OK) == 0) {
				free(best);
				best = strdup(nm);
			}
		}
		free(names[i]);
	}
	free(names);
	if (!best)
		return hvc_err(err, ENOENT,
			       "no guest kernel: no /boot/vmlinuz-* with /lib/modules/<release> "
			       "(install one: apt-get install linux-image-cloud-amd64, or pass --kernel PATH)");
	*path = hvc_path_join("/boot", best);
	*release = strdup(best + 8);
	free(best);
	return 0;
}

void vm_image_free(struct vm_image *img)
{
	free(img->key);
	hvc_strv_free(img->entrypoint);
	hvc_strv_free(img->cmd);
	hvc_strv_free(img->env);
	free(img->workdir);
	memset(img, 0, sizeof(*img));
}

static bool is_busybox(const char *ref)
{
	return !strcmp(ref, "busybox") || !strcmp(ref, "busybox:latest");
}

int vm_interim_image_resolve(const char *ref, struct vm_image *img, struct hvc_error *err)
{
	memset(img, 0, sizeof(*img));
	if (!is_busybox(ref))
		return hvc_err(err, ENOENT, "image \"%s\" not found (try: hvc images)", ref);
	img->key = strdup("busybox-local");
	hvc_strv_push(&img->cmd, "sh");
	hvc_strv_push(&img->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	return 0;
}

int vm_interim_image_flatten(const char *ref, const char *dest, struct hvc_error *err)
{
	if (!is_busybox(ref))
		return hvc_err(err, ENOENT, "image \"%s\" not found", ref);
	static const char *const dirs[] = { "bin", "dev", "etc", "proc", "sys", "tmp", "root", "data",
					    NULL };
	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_free_ char *d = hvc_path_join(dest, dirs[i]);
		if (hvc_mkdir_p(d, 0755, err) < 0)
			return -1;
	}
	_cleanup_free_ char *bb = hvc_path_join(dest, "bin/busybox");
	if (hvc_copy_file("/bin/busybox", bb, 0755, err) < 0)
		return hvc_error_prefix(err, "busybox image (apt-get install busybox-static)");
	char *argv[] = { "/bin/busybox", "--list", NULL };
	_cleanup_free_ char *list = NULL;
	if (hvc_spawn_capture(argv, &list, false, 5000, err) != 0)
		return hvc_err(err, EIO, "busybox --list failed");
	for (char *save = NULL, *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!*l || strchr(l, '/') || !strcmp(l, "busybox"))
			continue;
		_cleanup_free_ char *lp = hvc_path_join(dest, "bin");
		_cleanup_free_ char *link = hvc_path_join(lp, l);
		if (symlink("busybox", link) < 0 && errno != EEXIST)
			return hvc_err(err, errno, "symlink `%s`", link);
	}
	return 0;
}
