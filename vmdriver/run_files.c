/* vmdriver/run_files: the files one run adds beside the cached boot
 * artifacts, in its state directory: a qcow2 overlay over the cached root
 * disk (the cache stays read-only), an empty ext4 data disk, and an initrd
 * carrying the guest config when it does not fit the kernel command line. */
#include "vm-internal.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int vm_make_data_disk(const char *path, uint64_t bytes, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return hvc_err(err, errno, "create `%s`", path);
	if (ftruncate(fd, (off_t)bytes) < 0)
		return hvc_err(err, errno, "size `%s`", path);
	/* Inode tables and journal written here (13 ms on the host for 256 MiB)
	 * rather than by the guest's ext4lazyinit thread, which would otherwise
	 * zero them in the background while a fileio sample is being measured. */
	char *argv[] = {"mkfs.ext4", "-q", "-F", "-L", "hvcdata",
			"-E", "lazy_itable_init=0,lazy_journal_init=0", (char *)path, NULL};
	_cleanup_free_ char *out = NULL;
	int rc = hvc_spawn_capture(argv, &out, true, 60000, err);
	if (rc != 0)
		return rc < 0 ? rc
			      : hvc_err(err, EIO, "mkfs.ext4 `%s`: %s", path,
					out ? hvc_str_trim(out) : "");
	return 0;
}

bool hvc_vm_direct_io_ok(const char *dir)
{
	_cleanup_free_ char *tmpl = hvc_path_join(dir, ".direct-io-probe.XXXXXX");
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	fd = open(tmpl, O_RDWR | O_DIRECT | O_CLOEXEC);
	unlink(tmpl);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int vm_make_overlay(const char *base, const char *path, struct hvc_error *err)
{
	char *argv[] = {"qemu-img", "create", "-q",	    "-f",	  "qcow2", "-F",
			"raw",	    "-b",     (char *)base, (char *)path, NULL};
	_cleanup_free_ char *out = NULL;
	int rc = hvc_spawn_capture(argv, &out, true, 30000, err);
	if (rc != 0)
		return rc < 0 ? rc
			      : hvc_err(err, EIO, "qemu-img create `%s`: %s", path,
					out ? hvc_str_trim(out) : "");
	return 0;
}

/* The cached archive followed by a small one holding /hvc/config (the
 * kernel unpacks concatenated archives in order). */
int vm_initrd_with_config(const char *base, const char *cfg, const char *out, struct hvc_error *err)
{
	if (hvc_copy_file(base, out, 0644, err) < 0)
		return -1;
	_cleanup_free_ char *extra = hvc_strdup_printf("%s.cfg", out);
	struct hvc_vm_cpio_extra x = {
	    .path = "hvc/config", .data = cfg, .len = strlen(cfg), .mode = 0644};
	if (hvc_vm_cpio_write(extra, NULL, &x, 1, HVC_VM_COMPRESS_NONE, err) < 0)
		return -1;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int rc = hvc_read_file(extra, &data, &len, err);
	unlink(extra);
	if (rc < 0)
		return -1;
	_cleanup_close_ int fd = open(out, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		return hvc_err(err, errno, "append config to `%s`", out);
	return 0;
}
