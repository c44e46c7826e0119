/* vmdriver: domain XML (golden files in tests/data/vm, REGENERATE=1 rewrites
 * them), module dependency order from a fake module directory (libkmod), cpio contents,
 * guest config encoding, console marker parsing, smaps_rollup, and the define/start/destroy lifecycle on libvirt's test driver. */
#include <check.h>
#include <fcntl.h>
#include <dirent.h>
#include <glob.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <libvirt/libvirt.h>
#include "hvc/image.h"
#include "hvc/network.h"
#include "hvc/vm.h"
#include "../../vmdriver/vm-internal.h"
#include "../../engine/runtime/runtime_ctr.h"
#include "check_main.h"

#define GOLDEN_DIR "tests/data/vm"

static const char *used_fixtures[16];
static size_t n_used;

static void golden(const char *name, const char *got)
{
	_cleanup_free_ char *path = hvc_strdup_printf("%s/%s.xml", GOLDEN_DIR, name);
	used_fixtures[n_used++] = name;
	hvc_check_golden(GOLDEN_DIR, path, got);
}

static struct hvc_vm_def base_def(void)
{
	return (struct hvc_vm_def){ .name = "hvc-test", .virt_type = "qemu", .machine = "pc", .vcpus = 1,
				    .memory_mib = 256, .kernel = "/boot/vmlinuz-6.1.0-56-cloud-amd64",
				    .initrd = "/var/lib/hvc/vm/abc-6.1.0/initramfs.cpio",
				    .cmdline = "console=ttyS0 quiet panic=-1 hvc.cfg=YXJn",
				    .console_log = "/var/lib/hvc/vms/0123/console.log" };
}

/* The O_DIRECT probe agrees with a direct open of a file in the same
 * directory (what the answer is depends on this host's file system: tmpfs
 * refused O_DIRECT before Linux 6.6) and leaves nothing behind. */
START_TEST(direct_io_probe)
{
	char dir[] = "/tmp/hvc-direct.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *f = hvc_path_join(dir, "f");
	int fd = open(f, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = open(f, O_RDWR | O_DIRECT | O_CLOEXEC);
	bool expect = fd >= 0;
	if (fd >= 0)
		close(fd);
	unlink(f);
	ck_assert_int_eq(hvc_vm_direct_io_ok(dir), expect);
	ck_assert_int_eq(rmdir(dir), 0); /* empty: the probe file is gone */
	ck_assert(!hvc_vm_direct_io_ok("/no/such/dir"));
}
END_TEST

START_TEST(xml_golden_files)
{
	struct hvc_error err = { 0 };
	struct hvc_vm_def d = base_def();
	_cleanup_free_ char *a = NULL;
	ck_assert_int_eq(hvc_vm_domain_xml(&d, &a, &err), 0);
	golden("initramfs-tcg", a);

	struct hvc_vm_def k = base_def();
	k.virt_type = "kvm";
	k.machine = "q35";
	k.vcpus = 2;
	k.memory_mib = 512;
	k.cpuset = "0-1";
	k.root_disk = "/var/lib/hvc/vms/0123/root.qcow2";
	k.root_disk_format = "qcow2";
	k.data_disk = "/var/lib/hvc/vms/0123/data.img";
	k.data_disk_direct = true;
	k.description = "a <b> & 'c'";
	k.cmdline = "console=ttyS0 x=\"y\"";
	_cleanup_free_ char *b = NULL;
	ck_assert_int_eq(hvc_vm_domain_xml(&k, &b, &err), 0);
	golden("disk-kvm-pinned", b);

	struct hvc_vm_def m = base_def();
	m.data_disk = "/d.img";
	m.emulator = "/usr/bin/qemu-system-x86_64";
	_cleanup_free_ char *c = NULL;
	ck_assert_int_eq(hvc_vm_domain_xml(&m, &c, &err), 0);
	golden("data-emulator", c);

	struct hvc_vm_def n = base_def();
	struct hvc_vm_net net = { .bridge = "br-test", .address = "10.99.0.2", .prefix = 24 };
	hvc_vm_net_mac("hvc-test", net.mac);
	n.net = &net;
	_cleanup_free_ char *e = NULL;
	ck_assert_int_eq(hvc_vm_domain_xml(&n, &e, &err), 0);
	golden("network-bridge", e);

	struct hvc_vm_def t = base_def();
	t.cmd_channel = "/var/lib/hvc/vm/templates/k/cmd.sock";
	_cleanup_free_ char *tx = NULL;
	ck_assert_int_eq(hvc_vm_domain_xml(&t, &tx, &err), 0);
	golden("template-channel", tx);

	/* every fixture in the directory is used by a case */
	DIR *dir = opendir(GOLDEN_DIR);
	ck_assert_ptr_nonnull(dir);
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		bool used = false;
		for (size_t i = 0; i < n_used; i++) {
			_cleanup_free_ char *f = hvc_strdup_printf("%s.xml", used_fixtures[i]);
			used = used || !strcmp(f, de->d_name);
		}
		ck_assert_msg(used, "unused fixture %s/%s", GOLDEN_DIR, de->d_name);
	}
	closedir(dir);
}
END_TEST

START_TEST(xml_rejects_bad_definitions)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *x = NULL;
	struct hvc_vm_def d = base_def();
	d.name = "bad name;";
	ck_assert_int_lt(hvc_vm_domain_xml(&d, &x, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "VM name \"bad name;\""));
	d = base_def();
	d.machine = "isapc";
	ck_assert_int_lt(hvc_vm_domain_xml(&d, &x, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "isapc"));
	d = base_def();
	d.machine = "microvm";
	ck_assert_int_lt(hvc_vm_domain_xml(&d, &x, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "use pc or q35"));
	d = base_def();
	d.cpuset = "0;rm";
	ck_assert_int_lt(hvc_vm_domain_xml(&d, &x, &err), 0);
	d = base_def();
	d.memory_mib = 1;
	ck_assert_int_lt(hvc_vm_domain_xml(&d, &x, &err), 0);
	d = base_def();
	d.virt_type = "xen";
	ck_assert_int_lt(hvc_vm_domain_xml(&d, &x, &err), 0);
	ck_assert_ptr_null(x);
}
END_TEST

/* The fake module directory: copies of the virtio and vsock modules of an
 * installed guest kernel (in its modules.order order, which depmod's
 * dependency order follows), indexed by depmod as a kernel package is, with
 * virtio_console declared built in. */
static const char *const fake_modules[] = {
	"kernel/drivers/virtio/virtio.ko",
	"kernel/drivers/virtio/virtio_ring.ko",
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko",
	"kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
	"kernel/drivers/virtio/virtio_pci.ko",
	"kernel/drivers/block/virtio_blk.ko",
	"kernel/net/vmw_vsock/vsock.ko",
	"kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko",
	"kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko",
	NULL,
};

/* An installed kernel's module directory holding every fake_modules entry. */
static char *real_moddir(void)
{
	glob_t g;
	if (glob("/lib/modules/*/modules.dep", 0, NULL, &g) != 0)
		return NULL;
	char *found = NULL;
	for (size_t i = 0; i < g.gl_pathc && !found; i++) {
		_cleanup_free_ char *dir = hvc_xstrdup(g.gl_pathv[i]);
		*strrchr(dir, '/') = '\0';
		bool all = true;
		for (size_t k = 0; fake_modules[k] && all; k++) {
			_cleanup_free_ char *p = hvc_path_join(dir, fake_modules[k]);
			all = hvc_path_exists(p);
		}
		if (all)
			found = steal_pointer(&dir);
	}
	globfree(&g);
	return found;
}

/* Builds the fake tree under base (lib/modules/0.0-fake); the reason when it
 * cannot be built here. */
static int fake_moddir(const char *base, char **moddir, const char **why)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *real = real_moddir();
	if (!real)
		return *why = "no installed kernel with virtio modules in /lib/modules", -1;
	_cleanup_free_ char *mods = hvc_path_join(base, "lib/modules");
	_cleanup_free_ char *dir = hvc_path_join(mods, "0.0-fake");
	struct hvc_strbuf order = { 0 };
	for (size_t k = 0; fake_modules[k]; k++) {
		_cleanup_free_ char *src = hvc_path_join(real, fake_modules[k]);
		_cleanup_free_ char *dst = hvc_path_join(dir, fake_modules[k]);
		_cleanup_free_ char *parent = hvc_xstrdup(dst);
		*strrchr(parent, '/') = '\0';
		ck_assert_int_eq(hvc_mkdir_p(parent, 0755, &err), 0);
		ck_assert_int_eq(hvc_copy_file(src, dst, 0644, &err), 0);
		hvc_strbuf_printf(&order, "%s\n", fake_modules[k]);
	}
	_cleanup_free_ char *of = hvc_path_join(dir, "modules.order");
	_cleanup_free_ char *bf = hvc_path_join(dir, "modules.builtin");
	const char *builtin = "kernel/drivers/char/virtio_console.ko\n";
	ck_assert_int_eq(hvc_write_file(of, order.p, order.len, 0644, &err), 0);
	ck_assert_int_eq(hvc_write_file(bf, builtin, strlen(builtin), 0644, &err), 0);
	free(order.p);
	char *argv[] = { "depmod", "-b", (char *)base, "0.0-fake", NULL };
	_cleanup_free_ char *out = NULL;
	if (hvc_spawn_capture(argv, &out, true, 30000, &err) != 0)
		return *why = "depmod (package kmod) did not run", -1;
	*moddir = steal_pointer(&dir);
	return 0;
}

static size_t index_of(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return i;
	return SIZE_MAX;
}

static const char *const want_pci_blk[] = {
	"kernel/drivers/virtio/virtio_ring.ko",		  "kernel/drivers/virtio/virtio.ko",
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko", "kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
	"kernel/drivers/virtio/virtio_pci.ko",		  "kernel/drivers/block/virtio_blk.ko",
	NULL,
};

/* The fake tree (depmod orders a module's equal-rank dependencies its own
 * way, so the order is checked as "every module after its dependencies"). */
START_TEST(modules_in_dependency_order)
{
	struct hvc_error err = { 0 };
	char base[] = "/tmp/hvc-test-modules-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(base));
	_cleanup_free_ char *dir = NULL;
	const char *why = NULL;
	if (fake_moddir(base, &dir, &why) < 0) {
		fprintf(stderr, "skip: module resolution: %s\n", why);
		hvc_rm_rf(base, &err);
		return;
	}
	_cleanup_vm_modules_ struct hvc_vm_modules *m = NULL;
	ck_assert_int_eq(hvc_vm_modules_open(dir, &m, &err), 0);
	_cleanup_strv_ char **p = NULL;
	const char *names[] = { "virtio_pci", "virtio-blk", "virtio_console", NULL };
	ck_assert_int_eq(hvc_vm_modules_resolve(m, names, &p, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(p), 6); /* each once; the built-in console skipped */
	for (size_t i = 0; want_pci_blk[i]; i++)
		ck_assert_uint_ne(index_of(p, want_pci_blk[i]), SIZE_MAX);
	size_t ring = index_of(p, want_pci_blk[0]), virtio = index_of(p, want_pci_blk[1]);
	ck_assert_uint_lt(ring, virtio);
	for (size_t i = 2; i < 4; i++)
		ck_assert_uint_lt(index_of(p, want_pci_blk[i]), index_of(p, want_pci_blk[4]));
	ck_assert_uint_lt(virtio, index_of(p, want_pci_blk[4]));
	ck_assert_uint_lt(virtio, index_of(p, want_pci_blk[5]));

	_cleanup_strv_ char **v = NULL;
	const char *vs[] = { "vmw_vsock_virtio_transport", NULL };
	ck_assert_int_eq(hvc_vm_modules_resolve(m, vs, &v, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(v), 5);
	ck_assert_uint_lt(index_of(v, "kernel/net/vmw_vsock/vsock.ko"),
			  index_of(v, "kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko"));
	ck_assert_str_eq(v[4], "kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko");

	_cleanup_strv_ char **u = NULL;
	const char *un[] = { "nosuch", NULL };
	ck_assert_int_lt(hvc_vm_modules_resolve(m, un, &u, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "`nosuch`"));
	/* (a module depending on itself cannot be indexed: depmod refuses cycles;
	 * resolve still bounds the depth) */
	_cleanup_vm_modules_ struct hvc_vm_modules *none = NULL;
	ck_assert_int_lt(hvc_vm_modules_open(base, &none, &err), 0); /* no index there */
	ck_assert_ptr_nonnull(strstr(err.msg, "modules.dep.bin"));
	ck_assert_int_eq(hvc_rm_rf(base, &err), 0);
}
END_TEST

/* The installed guest kernel's own indexes: the exact load order hvc-init
 * has always used for them. */
START_TEST(modules_of_the_guest_kernel)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *dir = real_moddir();
	if (!dir) {
		fprintf(stderr, "skip: no installed kernel with virtio modules in /lib/modules\n");
		return;
	}
	_cleanup_vm_modules_ struct hvc_vm_modules *m = NULL;
	ck_assert_int_eq(hvc_vm_modules_open(dir, &m, &err), 0);
	_cleanup_strv_ char **p = NULL;
	const char *names[] = { "virtio_pci", "virtio-blk", NULL };
	ck_assert_int_eq(hvc_vm_modules_resolve(m, names, &p, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(p), 6);
	for (size_t i = 0; want_pci_blk[i]; i++)
		ck_assert_str_eq(p[i], want_pci_blk[i]);
	_cleanup_strv_ char **v = NULL;
	const char *vs[] = { "vmw_vsock_virtio_transport", NULL };
	ck_assert_int_eq(hvc_vm_modules_resolve(m, vs, &v, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(v), 5);
	ck_assert_str_eq(v[0], "kernel/drivers/virtio/virtio_ring.ko");
	ck_assert_str_eq(v[2], "kernel/net/vmw_vsock/vsock.ko");
	ck_assert_str_eq(v[3], "kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko");
	ck_assert_str_eq(v[4], "kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko");
}
END_TEST

/* Reads an archive back: "path mode size" lines plus the content of `init`. */
static char *list_archive(const char *path, char **init_content)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 16384), ARCHIVE_OK);
	struct archive_entry *e;
	char *out = strdup("");
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char *n = hvc_strdup_printf("%s%s %o %lld\n", out, archive_entry_pathname(e),
					    (unsigned)archive_entry_mode(e), (long long)archive_entry_size(e));
		free(out);
		out = n;
		if (!strcmp(archive_entry_pathname(e), "init") && init_content) {
			char buf[256] = { 0 };
			archive_read_data(a, buf, sizeof(buf) - 1);
			*init_content = strdup(buf);
		}
	}
	archive_read_free(a);
	return out;
}

START_TEST(cpio_contents)
{
	char dir[] = "/tmp/hvc-unit-vm.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = { 0 };
	_cleanup_free_ char *tree = hvc_path_join(dir, "tree");
	_cleanup_free_ char *bin = hvc_path_join(tree, "bin");
	ck_assert_int_eq(hvc_mkdir_p(bin, 0755, &err), 0);
	_cleanup_free_ char *bb = hvc_path_join(bin, "busybox");
	ck_assert_int_eq(hvc_write_file(bb, "BB", 2, 0755, &err), 0);
	_cleanup_free_ char *sh = hvc_path_join(bin, "sh");
	ck_assert_int_eq(symlink("busybox", sh), 0);
	_cleanup_free_ char *oldinit = hvc_path_join(tree, "init");
	ck_assert_int_eq(hvc_write_file(oldinit, "old", 3, 0644, &err), 0);
	struct hvc_vm_cpio_extra x[] = {
		{ .path = "init", .data = "#!new-init", .len = 10, .mode = 0755 },
		{ .path = "hvc/modules", .data = "virtio_blk a b\n", .len = 15, .mode = 0644 },
		{ .path = "lib/modules/6.1/kernel/x.ko", .data = "KO", .len = 2, .mode = 0644 },
	};
	for (int comp = HVC_VM_COMPRESS_NONE; comp <= HVC_VM_COMPRESS_ZSTD; comp++) {
		_cleanup_free_ char *out = hvc_strdup_printf("%s/out-%d.cpio", dir, comp);
		ck_assert_msg(hvc_vm_cpio_write(out, tree, x, 3, comp, &err) == 0, "%s", err.msg);
		_cleanup_free_ char *init = NULL;
		_cleanup_free_ char *list = list_archive(out, &init);
		ck_assert_ptr_nonnull(strstr(list, "bin 40755 0\n"));
		ck_assert_ptr_nonnull(strstr(list, "bin/busybox 100755 2\n"));
		ck_assert_ptr_nonnull(strstr(list, "bin/sh 120777 "));
		ck_assert_ptr_nonnull(strstr(list, "hvc 40755 0\nhvc/modules 100644 15\n"));
		ck_assert_ptr_nonnull(strstr(list, "lib 40755 0\nlib/modules 40755 0\n"));
		ck_assert_ptr_nonnull(strstr(list, "lib/modules/6.1/kernel/x.ko 100644 2\n"));
		/* the extra replaces the tree's own /init, which appears once */
		ck_assert_ptr_nonnull(init);
		ck_assert_str_eq(init, "#!new-init");
		ck_assert_ptr_null(strstr(strstr(list, "init 100755") + 1, "\ninit "));
		ck_assert_ptr_null(strstr(list, "init 100644"));
	}
	_cleanup_free_ char *bad = hvc_path_join(dir, "nodir/out.cpio");
	ck_assert_int_lt(hvc_vm_cpio_write(bad, tree, x, 1, HVC_VM_COMPRESS_GZIP, &err), 0);
	ck_assert_int_eq(hvc_rm_rf(dir, &err), 0);
}
END_TEST

static const char *b64_decode_for_test(const char *s, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0;
	int bits = 0;
	char *p = out;
	for (; *s && *s != '='; s++) {
		v = (v << 6) | (unsigned)(strchr(tbl, *s) - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*p++ = (char)((v >> bits) & 0xff);
		}
	}
	*p = '\0';
	return out;
}

START_TEST(guest_config_encoding)
{
	char *argv[] = { "sh", "-c", "echo a b%c\nx", NULL };
	char *env[] = { "A=1 2", NULL };
	char *load[] = { "virtio_blk", NULL };
	struct hvc_vm_guestcfg c = { .argv = argv, .env = env, .workdir = "/tmp", .load = load,
				     .data_dev = "/dev/vda" };
	_cleanup_free_ char *r = hvc_vm_guestcfg_render(&c);
	ck_assert_str_eq(r, "arg sh\narg -c\narg echo%20a%20b%25c%0Ax\nenv A=1%202\nworkdir /tmp\n"
			    "load virtio_blk\ndata /dev/vda\n");
	_cleanup_free_ char *arg = hvc_vm_guestcfg_cmdline_arg(r);
	ck_assert_ptr_nonnull(arg);
	ck_assert(hvc_str_has_prefix(arg, "hvc.cfg="));
	char back[512];
	ck_assert_str_eq(b64_decode_for_test(arg + 8, back), r);
	/* too long for the kernel command line: NULL, the initramfs carries it */
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_ptr_null(hvc_vm_guestcfg_cmdline_arg(big));

	/* the network keys: eth0's address and route, nameservers, hostname, hosts */
	struct hvc_vm_net net = { .bridge = "br0", .address = "10.99.0.2", .prefix = 24,
				  .gateway = "10.99.0.1", .dns = { "10.99.0.1", "10.99.0.53" } };
	char *one[] = { "true", NULL };
	struct hvc_vm_guestcfg nc = { .argv = one, .net = &net, .hostname = "vm1",
				      .hosts = "127.0.0.1\tlocalhost\n" };
	_cleanup_free_ char *nr = hvc_vm_guestcfg_render(&nc);
	ck_assert_str_eq(nr, "arg true\nip 10.99.0.2/24\ngw 10.99.0.1\ndns 10.99.0.1\n"
			     "dns 10.99.0.53\nhostname vm1\nhosts 127.0.0.1%09localhost%0A\n");
}
END_TEST

/* The attachment's pure parts: MAC, ADDR/PREFIX, the checks, /etc/hosts. */
START_TEST(network_attachment)
{
	struct hvc_error err = { 0 };
	char m1[18], m2[18], m3[18];
	hvc_vm_net_mac("web", m1);
	hvc_vm_net_mac("web", m2);
	hvc_vm_net_mac("db", m3);
	ck_assert_str_eq(m1, m2); /* stable per name */
	ck_assert_str_ne(m1, m3);
	ck_assert(hvc_str_has_prefix(m1, "52:54:")); /* locally administered, unicast */
	ck_assert_uint_eq(strlen(m1), 17);

	struct hvc_vm_net n = { .bridge = "br-test" };
	ck_assert_int_eq(hvc_vm_net_parse_cidr("10.99.0.2/24", &n, &err), 0);
	ck_assert_str_eq(n.address, "10.99.0.2");
	ck_assert_uint_eq(n.prefix, 24);
	ck_assert_int_eq(hvc_vm_net_check(&n, &err), 0);
	struct hvc_vm_net bad = n;
	ck_assert_int_lt(hvc_vm_net_parse_cidr("10.99.0.2", &bad, &err), 0);
	ck_assert_str_eq(err.msg, "bad --ip \"10.99.0.2\" (expected ADDR/PREFIX, e.g. 10.99.0.2/24)");
	ck_assert_int_lt(hvc_vm_net_parse_cidr("10.99.0.2/33", &bad, &err), 0);
	ck_assert_int_lt(hvc_vm_net_parse_cidr("10.99.0/24", &bad, &err), 0);
	ck_assert_int_lt(hvc_vm_net_parse_cidr("10.99.0.2/2x", &bad, &err), 0);

	snprintf(n.gateway, sizeof(n.gateway), "10.99.0.1");
	ck_assert_int_eq(hvc_vm_net_check(&n, &err), 0);
	snprintf(n.gateway, sizeof(n.gateway), "10.98.0.1");
	ck_assert_int_lt(hvc_vm_net_check(&n, &err), 0);
	ck_assert_str_eq(err.msg, "gateway 10.98.0.1 is not another address of 10.99.0.2/24");
	snprintf(n.gateway, sizeof(n.gateway), "10.99.0.2");
	ck_assert_int_lt(hvc_vm_net_check(&n, &err), 0);
	n.gateway[0] = '\0';
	snprintf(n.address, sizeof(n.address), "10.99.0.255");
	ck_assert_int_lt(hvc_vm_net_check(&n, &err), 0);
	ck_assert_str_eq(err.msg, "address 10.99.0.255/24 is the subnet's network or broadcast address");
	snprintf(n.address, sizeof(n.address), "10.99.0.2");
	snprintf(n.bridge, sizeof(n.bridge), "a/b");
	ck_assert_int_lt(hvc_vm_net_check(&n, &err), 0);
	snprintf(n.bridge, sizeof(n.bridge), "br0");
	snprintf(n.dns[0], sizeof(n.dns[0]), "nope");
	ck_assert_int_lt(hvc_vm_net_check(&n, &err), 0);
	ck_assert_str_eq(err.msg, "bad --dns \"nope\" (expected an IPv4 address)");
	n.dns[0][0] = '\0';

	n.hosts = "10.99.0.3\tpeer\n";
	_cleanup_free_ char *h = hvc_vm_net_hosts(&n, "vm1");
	ck_assert_str_eq(h, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			    "10.99.0.2\tvm1\n10.99.0.3\tpeer\n");
}
END_TEST

/* A provider standing in for the network module's IPAM. */
static int fake_attach(void *opaque, const char *id, const char *name, struct hvc_vm_net *net,
		       struct hvc_error *err)
{
	int *calls = opaque;
	(*calls)++;
	if (!strcmp(name, "full"))
		return hvc_err(err, ENOSPC, "no address left in 10.88.0.0/30");
	ck_assert_str_eq(id, "0123456789ab");
	snprintf(net->bridge, sizeof(net->bridge), "hvc0");
	snprintf(net->address, sizeof(net->address), "10.88.0.%d", !strcmp(name, "bad") ? 0 : 5);
	net->prefix = 16;
	snprintf(net->gateway, sizeof(net->gateway), "10.88.0.1");
	return 0;
}

/* The attach step's plan: the options alone, or the provider's lease. */
START_TEST(network_plan_with_provider)
{
	struct hvc_error err = { 0 };
	struct hvc_vm_net n;
	bool attached = true;
	struct hvc_vm_opts o = { .network = HVC_VM_NET_BRIDGE };
	ck_assert_int_eq(hvc_vm_opts_set(&o, "net-bridge", "br-test", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_set(&o, "ip", "10.99.0.2/24", &err), 0);
	ck_assert_int_eq(vm_net_plan(&o, "0123456789ab", "vm1", &n, &attached, &err), 0);
	ck_assert(!attached);
	ck_assert_str_eq(n.bridge, "br-test");
	char mac[18];
	hvc_vm_net_mac("vm1", mac);
	ck_assert_str_eq(n.mac, mac);

	int calls = 0;
	struct hvc_vm_net_provider p = { .attach = fake_attach, .opaque = &calls };
	struct hvc_vm_opts po = { .network = HVC_VM_NET_BRIDGE, .net_provider = &p };
	ck_assert_int_eq(hvc_vm_opts_check(&po, &err), 0); /* no --ip needed with a provider */
	ck_assert_int_eq(hvc_vm_opts_set(&po, "mac", "52:54:00:00:00:01", &err), 0);
	ck_assert_int_eq(vm_net_plan(&po, "0123456789ab", "vm1", &n, &attached, &err), 0);
	ck_assert(attached);
	ck_assert_int_eq(calls, 1);
	ck_assert_str_eq(n.bridge, "hvc0");
	ck_assert_str_eq(n.address, "10.88.0.5");
	ck_assert_str_eq(n.mac, "52:54:00:00:00:01"); /* the option's MAC stays */
	ck_assert_int_lt(vm_net_plan(&po, "0123456789ab", "full", &n, &attached, &err), 0);
	ck_assert(!attached);
	ck_assert_str_eq(err.msg, "no address left in 10.88.0.0/30: No space left on device");
	/* what a provider hands back is checked like the options */
	ck_assert_int_lt(vm_net_plan(&po, "0123456789ab", "bad", &n, &attached, &err), 0);
	ck_assert(attached); /* attached: the run's end calls detach() */
	ck_assert_str_eq(err.msg, "address 10.88.0.0/16 is the subnet's network or broadcast address");
}
END_TEST

/* --network and the low-level attachment options, and their combinations. */
START_TEST(opts_network)
{
	struct hvc_error err = { 0 };
	struct hvc_vm_opts o = { 0 };
	ck_assert_int_eq(hvc_vm_opts_check(&o, &err), 0); /* default: none */
	ck_assert_int_eq(o.network, HVC_VM_NET_NONE);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "network", "nat", &err), 0);
	ck_assert_str_eq(err.msg, "bad --network \"nat\" (bridge or none)");
	ck_assert_int_eq(hvc_vm_opts_set(&o, "net-bridge", "br-test", &err), 0);
	ck_assert_int_lt(hvc_vm_opts_check(&o, &err), 0);
	ck_assert_str_eq(err.msg, "--net-bridge, --ip, --gateway, --dns and --mac need --network bridge");
	ck_assert_int_eq(hvc_vm_opts_set(&o, "network", "bridge", &err), 0);
	ck_assert_int_eq(o.network, HVC_VM_NET_BRIDGE);
	ck_assert_int_lt(hvc_vm_opts_check(&o, &err), 0);
	ck_assert_str_eq(err.msg, "--network bridge needs --net-bridge NAME and --ip ADDR/PREFIX");
	ck_assert_int_eq(hvc_vm_opts_set(&o, "ip", "10.99.0.2/24", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_set(&o, "gateway", "10.99.0.1", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_check(&o, &err), 0);
	for (int i = 0; i < HVC_VM_NET_MAX_DNS; i++)
		ck_assert_int_eq(hvc_vm_opts_set(&o, "dns", "10.99.0.1", &err), 0);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "dns", "10.99.0.1", &err), 0);
	ck_assert_str_eq(err.msg, "too many --dns (at most 3)");
	ck_assert_int_lt(hvc_vm_opts_set(&o, "mac", "01:00:5e:00:00:01", &err), 0); /* multicast */
	ck_assert_int_lt(hvc_vm_opts_set(&o, "mac", "52:54:00:12:34", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_set(&o, "mac", "52:54:00:12:34:56", &err), 0);
	ck_assert_str_eq(o.net.mac, "52:54:00:12:34:56");
	ck_assert_int_eq(hvc_vm_opts_set(&o, "gateway", "10.1.0.1", &err), 0);
	ck_assert_int_lt(hvc_vm_opts_check(&o, &err), 0); /* outside the subnet */
	ck_assert_int_eq(hvc_vm_opts_set(&o, "network", "none", &err), 0);
	ck_assert_int_lt(hvc_vm_opts_check(&o, &err), 0);
}
END_TEST

static char seen[1024];
static void collect(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	strncat(seen, buf, len);
}

START_TEST(console_markers)
{
	seen[0] = '\0';
	struct hvc_vm_console c = { .output = collect };
	const char *stream = "[    0.1] Linux version\r\nnoise HVC-EXIT 3\r\nHVC-READY\nhello\npartial";
	/* byte by byte: markers are found across any split */
	for (const char *p = stream; *p; p++)
		hvc_vm_console_feed(&c, p, 1);
	ck_assert(c.ready);
	ck_assert(!c.exited);
	ck_assert_str_eq(seen, "hello\npartial");
	const char *rest = " line\nHVC-EXI not it\nHVC-EXIT 42\nafter\n";
	hvc_vm_console_feed(&c, rest, strlen(rest));
	ck_assert(c.exited);
	ck_assert_int_eq(c.exit_status, 42);
	ck_assert_str_eq(seen, "hello\npartial line\nHVC-EXI not it\n");

	seen[0] = '\0';
	struct hvc_vm_console d = { .output = collect };
	const char *s2 = "boot\nHVC-READY\r\nHVC-EXIT 0\n";
	hvc_vm_console_feed(&d, s2, strlen(s2));
	ck_assert(d.ready && d.exited);
	ck_assert_int_eq(d.exit_status, 0);
	ck_assert_str_eq(seen, "");
}
END_TEST

START_TEST(smaps_rollup)
{
	struct hvc_error err = { 0 };
	struct hvc_vm_procstats st = { 0 };
	const char *t = "00400000-7fff [rollup]\nRss:              123456 kB\nPss:               100000 kB\n"
			"Pss_Anon:  5 kB\n";
	ck_assert_int_eq(hvc_vm_smaps_rollup_parse(t, &st, &err), 0);
	ck_assert_uint_eq(st.rss_bytes, 123456ull << 10);
	ck_assert_uint_eq(st.pss_bytes, 100000ull << 10);
	ck_assert_int_lt(hvc_vm_smaps_rollup_parse("nothing\n", &st, &err), 0);

}
END_TEST

START_TEST(lifecycle_on_test_driver)
{
	struct hvc_error err = { 0 };
	void *conn = NULL;
	ck_assert_msg(hvc_vm_conn_open("test:///default", 0, &conn, &err) == 0, "%s", err.msg);
	struct hvc_vm_def d = base_def();
	d.name = "hvc-lifecycle";
	_cleanup_free_ char *xml = NULL;
	ck_assert_int_eq(hvc_vm_domain_xml(&d, &xml, &err), 0);
	void *dom = NULL;
	ck_assert_msg(hvc_vm_domain_start(conn, xml, &dom, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(virDomainIsActive(dom), 1);
	ck_assert_int_eq(virDomainIsPersistent(dom), 1);
	ck_assert_int_eq(hvc_vm_domain_teardown(dom, &err), 0);
	virDomainPtr gone = virDomainLookupByName(conn, "hvc-lifecycle");
	ck_assert_ptr_null(gone);

	/* a domain left running is found by name and removed */
	ck_assert_int_eq(hvc_vm_domain_start(conn, xml, &dom, &err), 0);
	virDomainFree(dom);
	ck_assert_int_eq(hvc_vm_domain_remove("test:///default", "hvc-lifecycle", &err), 0);
	ck_assert_ptr_null(virDomainLookupByName(conn, "hvc-lifecycle"));
	ck_assert_int_eq(hvc_vm_domain_remove("test:///default", "never-existed", &err), 0);

	/* libvirt's refusal becomes an hvc_error that quotes libvirt */
	_cleanup_free_ char *dup = NULL;
	ck_assert_int_eq(hvc_vm_domain_start(conn, "<domain type='qemu'><name>x</name></domain>", &dom, &err) < 0, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "define domain: "));
	hvc_vm_conn_close(conn);

	/* connection refused: one clear error */
	ck_assert_int_lt(hvc_vm_conn_open("qemu+tcp://127.0.0.1:1/system", 0, &conn, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "connect to libvirt `qemu+tcp://127.0.0.1:1/system`: "));
}
END_TEST

static void write_state(const char *id, const char *name, pid_t owner, const char *status)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *dir = hvc_vm_state_dir(id);
	ck_assert_int_eq(hvc_mkdir_p(dir, 0700, &err), 0);
	_cleanup_json_ json_object *o = json_object_new_object();
	hvc_json_add_string(o, "name", name);
	hvc_json_add_string(o, "image", "busybox");
	hvc_json_add_string(o, "uri", "test:///default");
	hvc_json_add_string(o, "status", status);
	hvc_json_add_int(o, "owner", owner);
	ck_assert_int_eq(vm_state_write(id, o, &err), 0);
}

/* This process's children, every thread's (an orphan is adopted by one of
 * the subreaper's threads), into pids (at most max); returns how many. */
static size_t own_children(pid_t *pids, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = hvc_strdup_printf("/proc/self/task/%s/children", de->d_name);
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (hvc_read_file(p, &buf, &len, NULL) < 0)
			continue;
		for (char *sv = NULL, *t = strtok_r(buf, " \n", &sv); t && n < max; t = strtok_r(NULL, " \n", &sv))
			pids[n++] = atoi(t);
	}
	if (d)
		closedir(d);
	return n;
}

static bool comm_is(pid_t pid, const char *name)
{
	_cleanup_free_ char *p = hvc_strdup_printf("/proc/%d/comm", (int)pid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (hvc_read_file(p, &buf, &len, NULL) < 0)
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, name);
}

/* The VM driver makes hvc a subreaper, so the detached deleter a removed
 * container's directory gets (forked twice so that nobody has to reap it;
 * the bench harness starts one per container sample) is adopted by it: the
 * reaper thread reaps it, and leaves any other adopted orphan to whoever
 * waits for it. */
START_TEST(reaper_reaps_adopted_deleters_only)
{
	/* the reaper and this test find adopted children in /proc's children
	 * lists (CONFIG_PROC_CHILDREN): a kernel without them cannot run it */
	if (access("/proc/thread-self/children", R_OK) < 0) {
		fprintf(stderr, "reaper test skipped: no /proc/thread-self/children on this kernel\n");
		return;
	}
	char root[] = "/tmp/hvc-unit-reaper.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	hvc_set_root(root);
	vm_reaper_start_once();
	int hold[2];
	ck_assert_int_eq(pipe(hold), 0);
	pid_t mid = fork();
	if (mid == 0) {
		if (fork() == 0) { /* an orphan of another kind, in a session of its own */
			setsid();
			prctl(PR_SET_NAME, "hvc-other");
			close(hold[1]);
			char c;
			while (read(hold[0], &c, 1) > 0)
				;
			_exit(0);
		}
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	close(hold[0]);
	int go = hvc_rt_deleter_start("0123456789ab");
	ck_assert_int_ge(go, 0);
	pid_t deleter = 0, other = 0;
	for (int i = 0; i < 200 && !(deleter && other); i++) {
		pid_t kids[32];
		size_t n = own_children(kids, 32);
		for (size_t k = 0; k < n; k++) {
			if (comm_is(kids[k], HVC_CTR_DELETER_COMM))
				deleter = kids[k];
			else if (comm_is(kids[k], "hvc-other"))
				other = kids[k];
		}
		usleep(10000);
	}
	ck_assert_msg(deleter > 0 && other > 0, "adopted: deleter %d, other %d", (int)deleter, (int)other);
	close(go);      /* the deleter finishes */
	close(hold[1]); /* so does the other orphan */
	bool gone = false;
	for (int i = 0; i < 500 && !gone; i++) {
		gone = kill(deleter, 0) < 0 && errno == ESRCH;
		usleep(10000);
	}
	ck_assert_msg(gone, "the adopted deleter %d was not reaped", (int)deleter);
	int st;
	pid_t got = 0;
	for (int i = 0; i < 500 && got == 0; i++) {
		got = waitpid(other, &st, WNOHANG);
		usleep(10000);
	}
	ck_assert_msg(got == other, "the other orphan was not left to its waiter: %d (%s)", (int)got,
		      strerror(errno));
	hvc_rm_rf(root, NULL);
}
END_TEST

START_TEST(state_list_find_prune)
{
	char root[] = "/tmp/hvc-unit-vmstate.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	hvc_set_root(root);
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	write_state("aaaaaaaaaaaa", "orphan", dead, "running");   /* its hvc was killed */
	write_state("bbbbbbbbbbbb", "mine", getpid(), "running"); /* owner alive */
	write_state("cccccccccccc", "done", 0, "exited");
	struct hvc_error err = { 0 };
	struct hvc_vm_info *v = NULL;
	size_t n = 0;
	ck_assert_int_eq(hvc_vm_list(&v, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	hvc_vm_info_free(v, n);
	struct hvc_vm_info one;
	ck_assert_int_eq(hvc_vm_find("mine", &one, &err), 0);
	ck_assert_str_eq(one.id, "bbbbbbbbbbbb");
	ck_assert_int_eq(one.owner, getpid());
	hvc_vm_info_clear(&one);
	hvc_vm_info_clear(&one); /* safe twice */
	ck_assert_int_lt(hvc_vm_find("nosuch", &one, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "VM \"nosuch\" not found"));
	ck_assert_int_lt(hvc_vm_remove("mine", false, &err), 0); /* running: refused without -f */
	ck_assert_ptr_nonnull(strstr(err.msg, "is running"));

	ck_assert_int_eq(hvc_vm_prune(&err), 1);
	_cleanup_free_ char *gone = hvc_vm_state_dir("aaaaaaaaaaaa");
	_cleanup_free_ char *kept = hvc_vm_state_dir("bbbbbbbbbbbb");
	ck_assert(!hvc_path_exists(gone));
	ck_assert(hvc_path_exists(kept));
	ck_assert_int_eq(hvc_vm_remove("done", false, &err), 0);
	ck_assert_int_eq(hvc_rm_rf(root, &err), 0);
}
END_TEST

static size_t vm_leases(void)
{
	struct hvc_net_lease *l = NULL;
	size_t n = 0;
	ck_assert_int_eq(hvc_net_lease_list("hvc0", &l, &n, NULL), 0);
	hvc_net_leases_free(l, n);
	return n;
}

/* The IPAM provider's release side (vmdriver/net_provider.c) on a temporary
 * root without nftables: detach() releases, detached() hands the lease to
 * QEMU, vm rm and the VM prune release a VM's lease and never a container's.
 * attach() needs a real bridge: 55-vm-network.sh. */
START_TEST(ipam_provider_release)
{
	char root[] = "/tmp/hvc-unit-vmipam.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	hvc_set_root(root);
	setenv("HVC_NET_NFT", "off", 1);
	struct hvc_error err = { 0 };
	struct hvc_net n;
	ck_assert_int_eq(hvc_net_get("bridge", &n, &err), 0);
	struct hvc_net_lease a = { .kind = "vm", .owner = "aaaaaaaaaaaa", .name = "orphan" };
	struct hvc_net_lease b = { .kind = "vm", .owner = "bbbbbbbbbbbb", .name = "mine" };
	struct hvc_net_lease c = { .kind = "container", .owner = "cccccccccccc", .name = "ctr" };
	ck_assert_int_eq(hvc_net_lease_alloc(&n, &a, &err), 0);
	ck_assert_int_eq(hvc_net_lease_alloc(&n, &b, &err), 0);
	ck_assert_int_eq(hvc_net_lease_alloc(&n, &c, &err), 0);
	ck_assert_uint_eq(vm_leases(), 3);

	struct hvc_vm_ipam ipam = { .network = "bridge" };
	struct hvc_vm_net_provider p;
	hvc_vm_ipam_provider(&ipam, &p);
	ck_assert_ptr_eq(p.opaque, &ipam);
	ck_assert(p.attach && p.detach && p.detached);
	snprintf(ipam.net, sizeof(ipam.net), "hvc0");
	ipam.addr = b.addr;
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	p.detached(p.opaque, "bbbbbbbbbbbb", child); /* -d: QEMU holds it now */
	struct hvc_net_lease found;
	ck_assert_int_eq(hvc_net_lease_find("bbbbbbbbbbbb", &found, &err), 1);
	ck_assert_int_eq(found.holder, child);
	hvc_net_lease_clear(&found);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	p.detach(p.opaque, "not-b", "x", NULL); /* someone else's: kept */
	ck_assert_uint_eq(vm_leases(), 3);
	p.detach(p.opaque, "bbbbbbbbbbbb", "mine", NULL);
	ck_assert_uint_eq(vm_leases(), 2);

	ck_assert_int_eq(hvc_vm_net_release("cccccccccccc", &err), 0); /* a container's */
	ck_assert_int_eq(hvc_vm_net_release("nosuch", &err), 0);
	ck_assert_uint_eq(vm_leases(), 2);
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	write_state("aaaaaaaaaaaa", "orphan", dead, "running"); /* kill -9 of its run */
	ck_assert_int_eq(hvc_vm_prune(&err), 1);
	ck_assert_int_eq(hvc_net_lease_find("aaaaaaaaaaaa", &found, &err), 0);
	ck_assert_uint_eq(vm_leases(), 1);
	hvc_vm_ipam_clear(&ipam);
	unsetenv("HVC_NET_NFT");
	ck_assert_int_eq(hvc_rm_rf(root, &err), 0);
}
END_TEST

/* The option limits `hvc vm run` and the benches share. */
START_TEST(opts_limits)
{
	struct hvc_error err = { 0 };
	struct hvc_vm_opts o = { .compress = -1 };
	ck_assert_int_eq(hvc_vm_opts_set(&o, "memory", "256", &err), 0);
	ck_assert_uint_eq(o.memory_mib, 256);
	ck_assert_int_eq(hvc_vm_opts_set(&o, "memory", "1g", &err), 0);
	ck_assert_uint_eq(o.memory_mib, 1024);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "memory", "15", &err), 0);
	ck_assert_str_eq(err.msg, "bad memory size \"15\" (at least 16 MiB)");
	ck_assert_int_lt(hvc_vm_opts_set(&o, "memory", "lots", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_set(&o, "vcpus", "256", &err), 0);
	ck_assert_uint_eq(o.vcpus, 256);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "vcpus", "0", &err), 0);
	ck_assert_str_eq(err.msg, "bad --vcpus \"0\"");
	ck_assert_int_lt(hvc_vm_opts_set(&o, "vcpus", "2x", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_set(&o, "data-disk", "8m", &err), 0);
	ck_assert_uint_eq(o.data_disk_bytes, 8u << 20);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "data-disk", "1k", &err), 0);
	ck_assert_str_eq(err.msg, "bad --data-disk size \"1k\" (at least 8m)");
	ck_assert_int_eq(hvc_vm_opts_set(&o, "timeout", "86400", &err), 0);
	ck_assert_int_eq(o.timeout_s, 86400);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "timeout", "86401", &err), 0);
	ck_assert_str_eq(err.msg, "bad --timeout \"86401\" (seconds)");
	ck_assert_int_eq(hvc_vm_opts_set(&o, "compress", "zstd", &err), 0);
	ck_assert_int_eq(o.compress, HVC_VM_COMPRESS_ZSTD);
	ck_assert_int_lt(hvc_vm_opts_set(&o, "compress", "xz", &err), 0);
	ck_assert_str_eq(err.msg, "bad --compress \"xz\" (gzip, zstd, lz4, none)");
	ck_assert_int_lt(hvc_vm_opts_set(&o, "colour", "red", &err), 0);
	ck_assert_int_eq(hvc_vm_opts_check(&o, &err), 0);
	o.detach = o.rm = true;
	ck_assert_int_lt(hvc_vm_opts_check(&o, &err), 0);
	ck_assert_str_eq(err.msg, "--rm and -d do not go together");
}
END_TEST

/* The boot plan's pure steps: the guest's command and the kernel command line. */
START_TEST(boot_plan_command_and_cmdline)
{
	struct hvc_error err = { 0 };
	char *ep[] = { "/bin/entry", NULL }, *cmd[] = { "sh", "-c", "true", NULL };
	char *ienv[] = { "PATH=/bin", NULL }, *oenv[] = { "A=1", NULL }, *ocmd[] = { "ls", NULL };
	struct hvc_image_config ic = { .entrypoint = ep, .cmd = cmd, .env = ienv, .workdir = "/srv" };
	struct hvc_vm_opts o = { .image = "img", .env = oenv };
	struct vm_command c;
	ck_assert_int_eq(vm_command_plan(&ic, &o, &c, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(c.argv), 4);
	ck_assert_str_eq(c.argv[0], "/bin/entry");
	ck_assert_str_eq(c.argv[1], "sh");
	ck_assert_str_eq(c.env[0], "PATH=/bin");
	ck_assert_str_eq(c.env[1], "A=1");
	ck_assert_str_eq(c.workdir, "/srv");
	vm_command_clear(&c);
	o.cmd = ocmd; /* the run's command replaces the image's cmd, not its entrypoint */
	o.workdir = "";
	ck_assert_int_eq(vm_command_plan(&ic, &o, &c, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(c.argv), 2);
	ck_assert_str_eq(c.argv[1], "ls");
	ck_assert_ptr_null(c.workdir);
	vm_command_clear(&c);
	struct hvc_image_config none = { 0 };
	struct hvc_vm_opts bare = { .image = "img" };
	ck_assert_int_lt(vm_command_plan(&none, &bare, &c, &err), 0);
	ck_assert_str_eq(err.msg, "image \"img\" has no command (give one: hvc vm run img CMD...): Invalid argument");

	_cleanup_free_ char *plain = vm_kernel_cmdline(false, NULL, NULL);
	ck_assert_str_eq(plain, "console=ttyS0 quiet panic=-1 rdinit=/init");
	_cleanup_free_ char *full = vm_kernel_cmdline(true, "hvc.cfg=QQ", "loglevel=7");
	ck_assert_str_eq(full, "console=ttyS0 quiet panic=-1 rdinit=/init tsc=reliable no_timer_check "
			       "i8042.noaux i8042.nopnp cryptomgr.notests 8250.nr_uarts=1 "
			       "hvc.cfg=QQ loglevel=7");
}
END_TEST

START_TEST(caps_trim)
{
	const char *v9 = "<qemuCaps>\n  <selfvers>9000000</selfvers>\n  <flag name='vnc'/>\n"
			 "  <flag name='cpu-unavailable-features'/>\n  <flag name='x'/>\n</qemuCaps>\n";
	_cleanup_free_ char *t = vm_caps_trim(v9);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, "<qemuCaps>\n  <selfvers>9000000</selfvers>\n  <flag name='vnc'/>\n"
			    "  <flag name='x'/>\n</qemuCaps>\n");
	/* trimmed already, another libvirt, no version: left alone */
	ck_assert_ptr_null(vm_caps_trim(t));
	ck_assert_ptr_null(vm_caps_trim("<selfvers>11000000</selfvers>\n"
					"  <flag name='cpu-unavailable-features'/>\n"));
	ck_assert_ptr_null(vm_caps_trim("  <flag name='cpu-unavailable-features'/>\n"));
}
END_TEST

START_TEST(template_key)
{
	struct vm_template_req q = {.image_key = "ea31b2e6af15957a9113ab7ff028ec23",
				    .release = "6.1.0-57-cloud-amd64",
				    .initramfs = "/r/vm/x/initramfs-3b5c2ba3971c-none.cpio",
				    .machine = "pc",
				    .accel = "tcg",
				    .memory_mib = 256,
				    .vcpus = 1};
	_cleanup_free_ char *k0 = vm_template_key(&q, "qemu=a libvirt=9.0.0 hvc=1", 0);
	_cleanup_free_ char *k1 = vm_template_key(&q, "qemu=a libvirt=9.0.0 hvc=1", 1);
	ck_assert(hvc_str_has_prefix(k0, "ea31b2e6af15-6.1.0-57-cloud-amd64-pc-256m-1c-tcg-"));
	ck_assert(hvc_str_has_suffix(k0, "-s0"));
	ck_assert(hvc_str_has_suffix(k1, "-s1"));
	/* what a restore depends on changes the key: versions, hvc-init (in the
	 * artifact's name), kernel arguments, memory */
	_cleanup_free_ char *kv = vm_template_key(&q, "qemu=b libvirt=9.0.0 hvc=1", 0);
	ck_assert_str_ne(k0, kv);
	q.initramfs = "/r/vm/x/initramfs-000000000000-none.cpio";
	_cleanup_free_ char *ki = vm_template_key(&q, "qemu=a libvirt=9.0.0 hvc=1", 0);
	ck_assert_str_ne(k0, ki);
	q.cmdline = "init_on_free=1";
	_cleanup_free_ char *kc = vm_template_key(&q, "qemu=a libvirt=9.0.0 hvc=1", 0);
	ck_assert_str_ne(ki, kc);
	q.memory_mib = 512;
	_cleanup_free_ char *km = vm_template_key(&q, "qemu=a libvirt=9.0.0 hvc=1", 0);
	ck_assert(strstr(km, "-512m-"));
}
END_TEST

static Suite *vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *tc = tcase_create("vm");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, xml_golden_files);
	tcase_add_test(tc, direct_io_probe);
	tcase_add_test(tc, xml_rejects_bad_definitions);
	tcase_add_test(tc, modules_in_dependency_order);
	tcase_add_test(tc, modules_of_the_guest_kernel);
	tcase_add_test(tc, cpio_contents);
	tcase_add_test(tc, guest_config_encoding);
	tcase_add_test(tc, console_markers);
	tcase_add_test(tc, smaps_rollup);
	tcase_add_test(tc, lifecycle_on_test_driver);
	tcase_add_test(tc, state_list_find_prune);
	tcase_add_test(tc, opts_limits);
	tcase_add_test(tc, boot_plan_command_and_cmdline);
	tcase_add_test(tc, network_attachment);
	tcase_add_test(tc, opts_network);
	tcase_add_test(tc, network_plan_with_provider);
	tcase_add_test(tc, ipam_provider_release);
	tcase_add_test(tc, caps_trim);
	tcase_add_test(tc, template_key);
	tcase_add_test(tc, reaper_reaps_adopted_deleters_only);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(vm_suite)
