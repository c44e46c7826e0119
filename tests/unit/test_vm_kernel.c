/* vmdriver/kernel: choosing the guest kernel from fake /boot and /lib/modules. */
#include "check_main.h"
#include "hvc/vm.h"
#include <check.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[64], boot[128], mods[128];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/hvc-kerntest.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(boot, sizeof(boot), "%s/boot", tmp);
	snprintf(mods, sizeof(mods), "%s/lib/modules", tmp);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_mkdir_p(boot, 0755, &err), 0);
	ck_assert_int_eq(hvc_mkdir_p(mods, 0755, &err), 0);
}

static void teardown(void)
{
	struct hvc_error err = {0};
	hvc_rm_rf(tmp, &err);
}

/* A file that is not a bzImage: its release comes from the name. */
static void fake_kernel(const char *release, bool with_modules)
{
	struct hvc_error err = {0};
	char p[256];
	snprintf(p, sizeof(p), "%s/vmlinuz-%s", boot, release);
	ck_assert_int_eq(hvc_write_file(p, "not a kernel", 12, 0644, &err), 0);
	if (with_modules) {
		snprintf(p, sizeof(p), "%s/%s", mods, release);
		ck_assert_int_eq(hvc_mkdir_p(p, 0755, &err), 0);
	}
}

/* A minimal bzImage setup header carrying a version string. */
static void fake_bzimage(const char *path, const char *version)
{
	unsigned char img[0x400] = {0};
	memcpy(img + 0x202, "HdrS", 4);
	unsigned off = 0x300 - 0x200;
	img[0x20e] = off & 0xff;
	img[0x20f] = off >> 8;
	memcpy(img + 0x300, version, strlen(version) + 1);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_write_file(path, img, sizeof(img), 0644, &err), 0);
}

START_TEST(newest_with_modules_wins)
{
	fake_kernel("6.1.0-9-cloud-amd64", true);
	fake_kernel("6.1.0-10-cloud-amd64", true); /* newer by version, older by strcmp */
	fake_kernel("6.5.0-1-cloud-amd64", false); /* newest, but no modules */
	struct hvc_vm_kernel k;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_vm_kernel_find_in(boot, mods, NULL, &k, &err), 0);
	ck_assert_str_eq(k.release, "6.1.0-10-cloud-amd64");
	char want[256];
	snprintf(want, sizeof(want), "%s/vmlinuz-6.1.0-10-cloud-amd64", boot);
	ck_assert_str_eq(k.path, want);
	snprintf(want, sizeof(want), "%s/6.1.0-10-cloud-amd64", mods);
	ck_assert_str_eq(k.modules_dir, want);
	ck_assert(!k.overridden);
}
END_TEST

START_TEST(no_kernel_says_how_to_get_one)
{
	struct hvc_vm_kernel k;
	struct hvc_error err = {0};
	ck_assert_int_lt(hvc_vm_kernel_find_in(boot, mods, NULL, &k, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "no guest kernel"));
	ck_assert_ptr_nonnull(strstr(err.msg, "apt-get install linux-image-cloud-amd64"));
	fake_kernel("6.1.0-1-amd64", false);
	ck_assert_int_lt(hvc_vm_kernel_find_in(boot, mods, NULL, &k, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "none has modules"));
	ck_assert_ptr_nonnull(strstr(err.msg, "apt-get install linux-image-cloud-amd64"));
	ck_assert_int_lt(hvc_vm_kernel_find_in("/nonexistent-boot", mods, NULL, &k, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-boot"));
}
END_TEST

START_TEST(override_by_path_reads_header)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/mykernel", tmp);
	fake_bzimage(p, "6.7.1-custom (me@host) #1 SMP");
	struct hvc_vm_kernel k;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_vm_kernel_find_in(boot, mods, p, &k, &err), 0);
	ck_assert_str_eq(k.release, "6.7.1-custom");
	ck_assert_str_eq(k.path, p);
	ck_assert_str_eq(k.modules_dir, ""); /* allowed: a kernel with everything built in */
	ck_assert(k.overridden);
	char rel[64];
	ck_assert_int_eq(hvc_vm_kernel_read_release(p, rel, sizeof(rel), &err), 0);
	ck_assert_str_eq(rel, "6.7.1-custom");
}
END_TEST

START_TEST(override_by_release_name)
{
	fake_kernel("6.1.0-9-cloud-amd64", true);
	fake_kernel("6.1.0-10-cloud-amd64", true);
	struct hvc_vm_kernel k;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_vm_kernel_find_in(boot, mods, "6.1.0-9-cloud-amd64", &k, &err), 0);
	ck_assert_str_eq(k.release, "6.1.0-9-cloud-amd64");
	ck_assert(k.modules_dir[0]);
	ck_assert(k.overridden);
}
END_TEST

START_TEST(bad_overrides)
{
	struct hvc_vm_kernel k;
	struct hvc_error err = {0};
	ck_assert_int_lt(hvc_vm_kernel_find_in(boot, mods, "/no/such/vmlinuz", &k, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "`/no/such/vmlinuz`"));
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
	ck_assert_int_lt(hvc_vm_kernel_find_in(boot, mods, "9.9-nope", &k, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "9.9-nope"));
	ck_assert_int_lt(hvc_vm_kernel_find_in(boot, mods, tmp, &k, &err), 0); /* a directory */
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	char p[256];
	snprintf(p, sizeof(p), "%s/garbage", tmp);
	ck_assert_int_eq(hvc_write_file(p, "x", 1, 0644, &err), 0);
	ck_assert_int_lt(hvc_vm_kernel_find_in(boot, mods, p, &k, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "not an x86 bzImage"));
}
END_TEST

START_TEST(real_host_kernel)
{
	/* where the host has a guest kernel, its header agrees with its name */
	struct hvc_vm_kernel k;
	struct hvc_error err = {0};
	unsetenv("HVC_KERNEL");
	HVC_SKIP_IF(hvc_vm_kernel_find(NULL, &k, &err) < 0, "no guest kernel: %s", err.msg);
	ck_assert(hvc_str_has_prefix(k.path, "/boot/vmlinuz-"));
	ck_assert_str_eq(k.path + strlen("/boot/vmlinuz-"), k.release);
	ck_assert(k.modules_dir[0]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vm_kernel");
	TCase *tc = tcase_create("find");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, newest_with_modules_wins);
	tcase_add_test(tc, no_kernel_says_how_to_get_one);
	tcase_add_test(tc, override_by_path_reads_header);
	tcase_add_test(tc, override_by_release_name);
	tcase_add_test(tc, bad_overrides);
	tcase_add_test(tc, real_host_kernel);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
