/* vmdriver/kernel: finding the guest kernel. VMs boot the host distribution's
 * kernel package directly (-kernel) with an initramfs built from the image, so
 * the kernel must come with its modules (/lib/modules/<release>) for the
 * initramfs to load virtio drivers from. */
#include "hvc/vm.h"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KERNEL_HINT                                                                                \
	"install one with: apt-get install linux-image-cloud-amd64, or name one with --kernel / "  \
	"HVC_KERNEL"

int hvc_vm_kernel_read_release(const char *path, char *buf, size_t len, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open kernel `%s`", path);
	/* x86 boot protocol: "HdrS" at 0x202; at 0x20e the offset (minus 0x200)
	 * of a NUL-terminated "<release> (<builder>) #1 SMP ..." string */
	unsigned char hdr[0x210];
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		return hvc_err(err, errno, "read kernel `%s`", path);
	if (n < (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4) != 0)
		return hvc_err(err, EINVAL, "kernel `%s`: not an x86 bzImage (no boot header)",
			       path);
	unsigned off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
	if (off == 0)
		return hvc_err(err, EINVAL, "kernel `%s`: boot header has no version string", path);
	char ver[256];
	n = pread(fd, ver, sizeof(ver) - 1, (off_t)off + 0x200);
	if (n <= 0)
		return hvc_err(err, n < 0 ? errno : EINVAL, "kernel `%s`: read version string",
			       path);
	ver[n] = '\0';
	size_t l = strcspn(ver, " \t\n");
	if (l == 0 || l >= len)
		return hvc_err(err, EINVAL, "kernel `%s`: unreadable version string", path);
	for (size_t i = 0; i < l; i++)
		if (ver[i] < 0x21 || ver[i] > 0x7e || ver[i] == '/')
			return hvc_err(err, EINVAL, "kernel `%s`: unreadable version string", path);
	memcpy(buf, ver, l);
	buf[l] = '\0';
	return 0;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Fills out for the kernel file at path: release from its header (falling
 * back to the "vmlinuz-<release>" name), modules dir when present. */
static int kernel_fill(const char *path, const char *modules_root, struct hvc_vm_kernel *out,
		       struct hvc_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		if (e != ENOENT)
			return hvc_err(err, e, "guest kernel `%s`", path);
		hvc_err(err, 0, "guest kernel `%s`: %s (%s)", path, strerror(e), KERNEL_HINT);
		if (err)
			err->code = e;
		return -e;
	}
	if (!S_ISREG(st.st_mode))
		return hvc_err(err, EINVAL, "guest kernel `%s`: not a regular file", path);
	if (access(path, R_OK) < 0)
		return hvc_err(err, errno, "guest kernel `%s`", path);
	if (strlen(path) >= sizeof(out->path))
		return hvc_err(err, ENAMETOOLONG, "guest kernel `%s`", path);
	snprintf(out->path, sizeof(out->path), "%s", path);
	struct hvc_error herr = {0};
	if (hvc_vm_kernel_read_release(path, out->release, sizeof(out->release), &herr) < 0) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (!hvc_str_has_prefix(base, "vmlinuz-") || !base[8]) {
			*err = herr;
			return hvc_error_prefix(err, "guest kernel");
		}
		hvc_debug("%s; using the file name's release", herr.msg);
		snprintf(out->release, sizeof(out->release), "%s", base + 8);
	}
	_cleanup_free_ char *mods = hvc_path_join(modules_root, out->release);
	out->modules_dir[0] = '\0';
	if (mods && is_dir(mods))
		snprintf(out->modules_dir, sizeof(out->modules_dir), "%s", mods);
	return 0;
}

static int find_default(const char *boot_dir, const char *modules_root, struct hvc_vm_kernel *out,
			struct hvc_error *err)
{
	DIR *d = opendir(boot_dir);
	if (!d)
		return hvc_err(err, errno, "no guest kernel: cannot read `%s` (%s)", boot_dir,
			       KERNEL_HINT);
	_cleanup_free_ char *best = NULL;
	struct dirent *de;
	int seen = 0;
	while ((de = readdir(d))) {
		if (!hvc_str_has_prefix(de->d_name, "vmlinuz-") || !de->d_name[8])
			continue;
		seen++;
		const char *rel = de->d_name + 8;
		_cleanup_free_ char *mods = hvc_path_join(modules_root, rel);
		if (!mods || !is_dir(mods))
			continue;
		/* strverscmp: 6.1.0-10 < 6.1.0-9 would be wrong with strcmp */
		if (!best || strverscmp(rel, best) > 0) {
			free(best);
			best = strdup(rel);
		}
	}
	closedir(d);
	if (!best) {
		if (seen)
			return hvc_err(err, ENOENT,
				       "no guest kernel: %d `%s/vmlinuz-*` found but none has "
				       "modules in `%s/<release>` (%s)",
				       seen, boot_dir, modules_root, KERNEL_HINT);
		return hvc_err(err, ENOENT, "no guest kernel: no `%s/vmlinuz-*` (%s)", boot_dir,
			       KERNEL_HINT);
	}
	_cleanup_free_ char *name = hvc_strdup_printf("vmlinuz-%s", best);
	_cleanup_free_ char *path = name ? hvc_path_join(boot_dir, name) : NULL;
	if (!path)
		return hvc_err(err, ENOMEM, "guest kernel");
	return kernel_fill(path, modules_root, out, err);
}

int hvc_vm_kernel_find_in(const char *boot_dir, const char *modules_root, const char *override,
			  struct hvc_vm_kernel *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!override || !*override)
		return find_default(boot_dir, modules_root, out, err);
	out->overridden = true;
	int r;
	if (!strchr(override, '/')) {
		/* a bare name: a release with /boot/vmlinuz-<release>, else a file here */
		_cleanup_free_ char *name = hvc_strdup_printf("vmlinuz-%s", override);
		_cleanup_free_ char *path = name ? hvc_path_join(boot_dir, name) : NULL;
		if (path && hvc_path_exists(path))
			r = kernel_fill(path, modules_root, out, err);
		else if (hvc_path_exists(override))
			r = kernel_fill(override, modules_root, out, err);
		else
			return hvc_err(err, ENOENT,
				       "guest kernel `%s`: no such file, and no `%s` (%s)",
				       override, path ? path : override, KERNEL_HINT);
	} else {
		r = kernel_fill(override, modules_root, out, err);
	}
	out->overridden = true;
	if (r == 0 && !out->modules_dir[0])
		hvc_debug("guest kernel `%s`: no `%s/%s`; the VM gets no extra modules", out->path,
			  modules_root, out->release);
	return r;
}

int hvc_vm_kernel_find(const char *override, struct hvc_vm_kernel *out, struct hvc_error *err)
{
	if (!override || !*override)
		override = getenv("HVC_KERNEL");
	return hvc_vm_kernel_find_in("/boot", "/lib/modules", override, out, err);
}
