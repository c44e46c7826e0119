/* vmdriver/artifacts: image -> what the kernel boots, cached under
 * $HVC_ROOT/vm/<image-key>-<kernel-release>/:
 *   rootfs/                         the flattened image (kept: command checks, disk builds)
 *   initramfs-<init>-<comp>.cpio    rootfs + hvc-init as /init + modules (initramfs mode)
 *   boot-<init>-<comp>.cpio         hvc-init as /init + modules only (disk mode)
 *   rootfs.ext4                     the rootfs as a raw ext4 image (disk mode)
 * <init> is a digest prefix of hvc-init, so a rebuilt hvc-init never boots
 * from a stale archive. Each file is written to a temporary name and renamed,
 * so concurrent hvc processes and crashes never see half an artifact. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "vm-internal.h"

/* Devices hvc may attach and the module (with its dependencies) each needs.
 * hvc-init loads only the groups the run's devices need. */
const char *const hvc_vm_module_groups[] = { "virtio_pci", "virtio_blk", "virtio_console",
					     "virtio_net", "vmw_vsock_virtio_transport", NULL };

static const char *comp_name(enum hvc_vm_compress c)
{
	switch (c) {
	case HVC_VM_COMPRESS_NONE: return "none";
	case HVC_VM_COMPRESS_GZIP: return "gzip";
	case HVC_VM_COMPRESS_LZ4: return "lz4";
	case HVC_VM_COMPRESS_ZSTD: return "zstd";
	}
	return "gzip";
}

/* First 12 hex digits of sha256(file). */
static int file_tag(const char *path, char tag[13], struct hvc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (hvc_read_file(path, &data, &len, err) < 0)
		return -1;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		return hvc_err(err, EIO, "sha256 `%s`", path);
	for (int i = 0; i < 6; i++)
		sprintf(tag + 2 * i, "%02x", md[i]);
	return 0;
}

static char *cache_dir(const char *root, const char *key, const char *release)
{
	_cleanup_free_ char *vm = hvc_path_join(root, "vm");
	_cleanup_free_ char *leaf = hvc_strdup_printf("%s-%s", key, release);
	return hvc_path_join(vm, leaf);
}

bool hvc_vm_artifacts_cached(const char *root, const char *key, const char *release, bool disk,
			     enum hvc_vm_compress comp)
{
	_cleanup_free_ char *dir = cache_dir(root, key, release);
	_cleanup_free_ char *init = hvc_guest_program("hvc-init");
	char tag[13];
	struct hvc_error err = { 0 };
	if (!init || file_tag(init, tag, &err) < 0)
		return false;
	_cleanup_free_ char *name = hvc_strdup_printf("%s-%s-%s.cpio", disk ? "boot" : "initramfs", tag,
						      comp_name(comp));
	_cleanup_free_ char *p = hvc_path_join(dir, name);
	_cleanup_free_ char *r = hvc_path_join(dir, "rootfs");
	_cleanup_free_ char *d = hvc_path_join(dir, "rootfs.ext4");
	return hvc_path_exists(p) && hvc_path_exists(r) && (!disk || hvc_path_exists(d));
}

/* One index line "<group> <path> <path>..." (paths as the guest sees them),
 * and each path added to *all once. */
static void index_line(struct hvc_strbuf *idx, const char *group, const char *release,
		       char **paths, char ***all)
{
	hvc_strbuf_printf(idx, "%s", group);
	for (size_t i = 0; paths && paths[i]; i++) {
		hvc_strbuf_printf(idx, " /lib/modules/%s/%s", release, paths[i]);
		bool seen = false;
		for (size_t j = 0; *all && (*all)[j]; j++)
			seen = seen || !strcmp((*all)[j], paths[i]);
		if (!seen)
			hvc_strv_push(all, paths[i]);
	}
	hvc_strbuf_putc(idx, '\n');
}

/* Modules for every group, copied into the archive under lib/modules/<release>,
 * and the /hvc/modules index: "<group> <path> <path>..." in load order. */
static int module_extras(const struct hvc_vm_artifact_req *req, struct hvc_vm_cpio_extra **extras,
			 size_t *n, char **index, struct hvc_error *err)
{
	_cleanup_free_ char *mroot = hvc_path_join(req->modules_root, req->kernel_release);
	_cleanup_vm_modules_ struct hvc_vm_modules *mods = NULL;
	if (hvc_vm_modules_open(mroot, &mods, err) < 0)
		return hvc_error_prefix(err, "kernel modules for %s", req->kernel_release);
	_cleanup_strv_ char **all = NULL;
	struct hvc_strbuf idx = { 0 };
	hvc_strbuf_printf(&idx, "%s", "");
	for (size_t g = 0; hvc_vm_module_groups[g]; g++) {
		_cleanup_strv_ char **paths = NULL;
		const char *one[] = { hvc_vm_module_groups[g], NULL };
		if (hvc_vm_modules_resolve(mods, one, &paths, err) < 0) {
			free(idx.p);
			return -1;
		}
		index_line(&idx, hvc_vm_module_groups[g], req->kernel_release, paths, &all);
	}
	if (idx.oom) {
		free(idx.p);
		return hvc_err(err, ENOMEM, "module index");
	}
	size_t cnt = hvc_strv_len(all);
	struct hvc_vm_cpio_extra *x = hvc_xcalloc(cnt + 3, sizeof(*x));
	for (size_t i = 0; i < cnt; i++) {
		x[i].path = hvc_strdup_printf("lib/modules/%s/%s", req->kernel_release, all[i]);
		x[i].src = hvc_path_join(mroot, all[i]);
		x[i].mode = 0644;
	}
	*extras = x;
	*n = cnt;
	*index = idx.p;
	return 0;
}

static void free_extras(struct hvc_vm_cpio_extra *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)x[i].path);
		free((char *)x[i].src);
	}
	free(x);
}

/* Size for mkfs.ext4 -d: the tree's bytes plus room for metadata and writes. */
static uint64_t tree_bytes(const char *dir)
{
	char *argv[] = { "du", "-sb", (char *)dir, NULL };
	_cleanup_free_ char *out = NULL;
	struct hvc_error err = { 0 };
	if (hvc_spawn_capture(argv, &out, false, 30000, &err) != 0 || !out)
		return 64ull << 20;
	return strtoull(out, NULL, 10);
}

static int build_disk(const char *rootfs, const char *out, struct hvc_error *err)
{
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp.%d", out, (int)getpid());
	uint64_t size = tree_bytes(rootfs) * 3 / 2 + (64ull << 20);
	char sz[32];
	snprintf(sz, sizeof(sz), "%lluk", (unsigned long long)(size >> 10));
	char *argv[] = { "mkfs.ext4", "-q", "-F", "-L", "hvcroot", "-E", "root_owner=0:0", "-d",
			 (char *)rootfs, tmp, sz, NULL };
	_cleanup_free_ char *msg = NULL;
	int rc = hvc_spawn_capture(argv, &msg, true, 120000, err);
	if (rc != 0) {
		unlink(tmp);
		if (rc > 0)
			return hvc_err(err, EIO, "mkfs.ext4 -d `%s`: %s", rootfs, msg ? hvc_str_trim(msg) : "");
		return -1;
	}
	if (rename(tmp, out) < 0) {
		unlink(tmp);
		return hvc_err(err, errno, "rename `%s`", tmp);
	}
	return 0;
}

int hvc_vm_artifacts_get(const struct hvc_vm_artifact_req *req, struct hvc_vm_artifacts *out,
			 struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	char tag[13];
	if (file_tag(req->init_path, tag, err) < 0)
		return hvc_error_prefix(err, "hvc-init (build it: make)");
	out->dir = cache_dir(hvc_root(), req->image_key, req->kernel_release);
	if (hvc_mkdir_p(out->dir, 0755, err) < 0)
		return -1;
	_cleanup_free_ char *name = hvc_strdup_printf("%s-%s-%s.cpio", req->disk ? "boot" : "initramfs",
						      tag, comp_name(req->comp));
	out->initramfs = hvc_path_join(out->dir, name);
	if (req->disk)
		out->disk = hvc_path_join(out->dir, "rootfs.ext4");
	_cleanup_free_ char *rootfs = hvc_path_join(out->dir, "rootfs");
	bool have_rootfs = hvc_path_exists(rootfs);
	out->cached = hvc_path_exists(out->initramfs) && have_rootfs &&
		      (!req->disk || hvc_path_exists(out->disk));
	if (out->cached)
		return 0;
	if (!have_rootfs) {
		if (!req->rootfs)
			return hvc_err(err, EINVAL, "boot artifacts: no rootfs to build from");
		/* the caller's tree becomes the cache's copy */
		if (rename(req->rootfs, rootfs) < 0)
			return hvc_err(err, errno, "move `%s` to `%s`", req->rootfs, rootfs);
	}
	if (req->disk && !hvc_path_exists(out->disk) && build_disk(rootfs, out->disk, err) < 0)
		return hvc_error_prefix(err, "root disk");
	if (hvc_path_exists(out->initramfs))
		return 0;

	struct hvc_vm_cpio_extra *extras = NULL;
	size_t n = 0;
	_cleanup_free_ char *index = NULL;
	if (module_extras(req, &extras, &n, &index, err) < 0)
		return -1;
	extras[n++] = (struct hvc_vm_cpio_extra){ .path = strdup("hvc/modules"), .data = index,
						  .len = strlen(index), .mode = 0644 };
	extras[n++] = (struct hvc_vm_cpio_extra){ .path = strdup("init"), .src = strdup(req->init_path),
						  .mode = 0755 };
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp.%d", out->initramfs, (int)getpid());
	int rc = hvc_vm_cpio_write(tmp, req->disk ? NULL : rootfs, extras, n, req->comp, err);
	free_extras(extras, n);
	if (rc < 0)
		return hvc_error_prefix(err, "initramfs");
	if (rename(tmp, out->initramfs) < 0) {
		unlink(tmp);
		return hvc_err(err, errno, "rename `%s`", tmp);
	}
	return 0;
}

void hvc_vm_artifacts_free(struct hvc_vm_artifacts *a)
{
	free(a->dir);
	free(a->initramfs);
	free(a->disk);
	memset(a, 0, sizeof(*a));
}
