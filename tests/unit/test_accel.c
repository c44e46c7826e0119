/* vmdriver/accel: the pure kvm-or-tcg decision for every combination of
 * module signals, /dev/kvm state and test-boot outcome; and the cache. */
#include "check_main.h"
#include "hvc/vm.h"
#include <check.h>
#include <string.h>
#include <unistd.h>

static enum hvc_vm_accel decide(struct hvc_vm_accel_signals s, char *reason)
{
	return hvc_vm_accel_decide(&s, reason, 512);
}

static const struct hvc_vm_accel_signals intel = {.mod_kvm_intel = true, .dev_kvm_exists = true};
static const struct hvc_vm_accel_signals amd = {.mod_kvm_amd = true, .dev_kvm_exists = true};
static const struct hvc_vm_accel_signals pvm = {.mod_kvm_pvm = true, .dev_kvm_exists = true};

START_TEST(no_dev_kvm)
{
	char r[512];
	struct hvc_vm_accel_signals s = {0};
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(r, "no /dev/kvm (no KVM module loaded)");
	s.mod_kvm_intel = true;
	s.boot = HVC_VM_BOOT_OK; /* cannot happen, and must not matter */
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(r, "kvm_intel loaded but no /dev/kvm");
}
END_TEST

START_TEST(dev_kvm_not_openable)
{
	char r[512];
	struct hvc_vm_accel_signals s = intel;
	s.dev_kvm_errno = EACCES;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(r, "cannot open /dev/kvm: Permission denied");
}
END_TEST

START_TEST(hw_module_boot_ok_is_kvm)
{
	char r[512];
	struct hvc_vm_accel_signals s = intel;
	s.boot = HVC_VM_BOOT_OK;
	s.boot_ms = 420;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_KVM);
	ck_assert_str_eq(r, "kvm_intel loaded and the guest kernel booted under KVM in 420 ms");
	s = amd;
	s.boot = HVC_VM_BOOT_OK;
	s.boot_ms = 300;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_KVM);
	ck_assert_ptr_nonnull(strstr(r, "kvm_amd"));
}
END_TEST

START_TEST(hw_module_boot_silent_is_tcg)
{
	char r[512];
	struct hvc_vm_accel_signals s = intel;
	s.boot = HVC_VM_BOOT_SILENT;
	s.boot_ms = 5000;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(
	    r, "test boot under KVM: the guest kernel printed nothing in 5000 ms with kvm_intel");
}
END_TEST

START_TEST(hw_module_boot_failed_is_tcg)
{
	char r[512];
	struct hvc_vm_accel_signals s = amd;
	s.boot = HVC_VM_BOOT_FAILED;
	snprintf(s.boot_detail, sizeof(s.boot_detail),
		 "qemu-system-x86_64: failed to initialize kvm");
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(
	    r, "test boot under KVM failed: qemu-system-x86_64: failed to initialize kvm");
	s.boot_detail[0] = '\0';
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(r, "test boot under KVM failed: QEMU exited before the kernel printed");
}
END_TEST

START_TEST(hw_module_no_test_boot_trusts_module)
{
	char r[512];
	ck_assert_int_eq(decide(intel, r), HVC_VM_ACCEL_KVM);
	ck_assert_str_eq(r, "kvm_intel loaded and /dev/kvm opens (test boot not run)");
}
END_TEST

START_TEST(pvm_only_without_test_boot_is_tcg)
{
	char r[512];
	ck_assert_int_eq(decide(pvm, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(r, "kvm_pvm module: only boots PVM-enabled guest kernels");
}
END_TEST

START_TEST(pvm_only_silent_boot_is_tcg)
{
	char r[512];
	struct hvc_vm_accel_signals s = pvm;
	s.boot = HVC_VM_BOOT_SILENT;
	s.boot_ms = 5000;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_str_eq(r, "kvm_pvm module: only boots PVM-enabled guest kernels (test boot: no "
			    "kernel output in 5000 ms)");
}
END_TEST

START_TEST(pvm_only_with_pvm_kernel_is_kvm)
{
	/* evidence beats the signal: a PVM-enabled guest kernel does boot */
	char r[512];
	struct hvc_vm_accel_signals s = pvm;
	s.boot = HVC_VM_BOOT_OK;
	s.boot_ms = 800;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_KVM);
	ck_assert_str_eq(r, "kvm_pvm module, and the guest kernel booted under it in 800 ms (a "
			    "PVM-enabled kernel)");
}
END_TEST

START_TEST(pvm_and_hw_module_follow_the_test)
{
	char r[512];
	struct hvc_vm_accel_signals s = intel;
	s.mod_kvm_pvm = true;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_KVM);
	s.boot = HVC_VM_BOOT_SILENT;
	s.boot_ms = 5000;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
}
END_TEST

START_TEST(unknown_module)
{
	char r[512];
	struct hvc_vm_accel_signals s = {.dev_kvm_exists = true};
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_TCG);
	ck_assert_ptr_nonnull(strstr(r, "no known hypervisor module"));
	s.boot = HVC_VM_BOOT_OK;
	s.boot_ms = 10;
	ck_assert_int_eq(decide(s, r), HVC_VM_ACCEL_KVM);
	ck_assert_str_eq(r, "the guest kernel booted under KVM in 10 ms");
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(hvc_vm_accel_name(HVC_VM_ACCEL_KVM), "kvm");
	ck_assert_str_eq(hvc_vm_accel_name(HVC_VM_ACCEL_TCG), "tcg");
	ck_assert_str_eq(hvc_vm_boot_test_name(HVC_VM_BOOT_NOT_RUN), "not-run");
	ck_assert_str_eq(hvc_vm_boot_test_name(HVC_VM_BOOT_OK), "ok");
	ck_assert_str_eq(hvc_vm_boot_test_name(HVC_VM_BOOT_SILENT), "silent");
	ck_assert_str_eq(hvc_vm_boot_test_name(HVC_VM_BOOT_FAILED), "failed");
}
END_TEST

START_TEST(probe_without_kernel_caches_per_boot)
{
	/* the real host, no kernel: no test boot, so this is fast everywhere */
	char dir[] = "/tmp/hvc-acceltest.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	hvc_set_root(dir);
	struct hvc_vm_accel_info a, b;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_vm_accel_probe(NULL, 0, &a, &err), 0);
	ck_assert(!a.cached);
	ck_assert(a.reason[0]);
	ck_assert_int_eq(a.sig.boot, HVC_VM_BOOT_NOT_RUN);
	ck_assert_int_eq(hvc_vm_accel_probe(NULL, 0, &b, &err), 0);
	ck_assert(b.cached);
	ck_assert_int_eq(a.accel, b.accel);
	ck_assert_str_eq(a.reason, b.reason);
	ck_assert_str_eq(a.boot_id, b.boot_id);
	ck_assert_int_eq(hvc_vm_accel_probe(NULL, HVC_VM_ACCEL_NO_CACHE, &b, &err), 0);
	ck_assert(!b.cached);
	/* a verdict from another boot is not reused */
	char path[512];
	snprintf(path, sizeof(path), "%s/cache/accel-none.json", dir);
	json_object *o = NULL;
	ck_assert_int_eq(hvc_json_read_file(path, &o, &err), 0);
	json_object_object_add(o, "boot_id", json_object_new_string("another-boot"));
	ck_assert_int_eq(hvc_json_write_file_atomic(path, o, &err), 0);
	json_object_put(o);
	ck_assert_int_eq(hvc_vm_accel_probe(NULL, 0, &b, &err), 0);
	ck_assert(!b.cached);
	hvc_rm_rf(dir, &err);
}
END_TEST

/* A stand-in QEMU: a shell script, so the test boot's mechanism (banner
 * seen, QEMU failing, a hang killed at the bound) is tested without a VM. */
static void fake_qemu(const char *dir, const char *body)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/qemu", dir);
	_cleanup_free_ char *text = hvc_strdup_printf("#!/bin/sh\n%s\n", body);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_write_file(path, text, strlen(text), 0755, &err), 0);
	setenv("HVC_QEMU", path, 1);
}

START_TEST(test_boot_mechanism)
{
	char dir[] = "/tmp/hvc-qemutest.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_vm_kernel k = {.path = "/dev/null", .release = "0.0-test"};
	char detail[256];
	int ms = -1;

	/* firmware noise, then the banner: ok, and QEMU is not waited for */
	fake_qemu(dir, "echo 'SeaBIOS (version 1.16)'; echo '[    0.000000] Linux version 6.1.0-x "
		       "(gcc)'; exec sleep 30");
	uint64_t t0 = hvc_now_ns();
	ck_assert_int_eq(hvc_vm_accel_test_boot(&k, 5000, &ms, detail, sizeof(detail)),
			 HVC_VM_BOOT_OK);
	ck_assert_int_lt(ms, 5000);
	ck_assert_int_lt((int)((hvc_now_ns() - t0) / 1000000), 5000);

	/* QEMU refuses: failed, with its own words */
	fake_qemu(dir,
		  "echo 'qemu-system-x86_64: warning: host feature' >&2; echo 'qemu-system-x86_64: "
		  "failed to initialize kvm: Permission denied' >&2; exit 1");
	ck_assert_int_eq(hvc_vm_accel_test_boot(&k, 5000, &ms, detail, sizeof(detail)),
			 HVC_VM_BOOT_FAILED);
	ck_assert_str_eq(detail, "qemu-system-x86_64: failed to initialize kvm: Permission denied");

	/* firmware only, then a hang (what kvm_pvm does): silent, killed at the bound */
	fake_qemu(dir, "echo 'Booting from ROM...'; exec sleep 30");
	ck_assert_int_eq(hvc_vm_accel_test_boot(&k, 300, &ms, detail, sizeof(detail)),
			 HVC_VM_BOOT_SILENT);
	ck_assert_int_eq(ms, 300);

	/* no QEMU at all: not run, and the detail says why */
	setenv("HVC_QEMU", "/nonexistent/qemu", 1);
	ck_assert_int_eq(hvc_vm_accel_test_boot(&k, 300, &ms, detail, sizeof(detail)),
			 HVC_VM_BOOT_NOT_RUN);
	ck_assert_ptr_nonnull(strstr(detail, "/nonexistent/qemu"));
	struct hvc_error err = {0};
	hvc_rm_rf(dir, &err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("accel");
	TCase *tc = tcase_create("decide");
	tcase_add_test(tc, no_dev_kvm);
	tcase_add_test(tc, dev_kvm_not_openable);
	tcase_add_test(tc, hw_module_boot_ok_is_kvm);
	tcase_add_test(tc, hw_module_boot_silent_is_tcg);
	tcase_add_test(tc, hw_module_boot_failed_is_tcg);
	tcase_add_test(tc, hw_module_no_test_boot_trusts_module);
	tcase_add_test(tc, pvm_only_without_test_boot_is_tcg);
	tcase_add_test(tc, pvm_only_silent_boot_is_tcg);
	tcase_add_test(tc, pvm_only_with_pvm_kernel_is_kvm);
	tcase_add_test(tc, pvm_and_hw_module_follow_the_test);
	tcase_add_test(tc, unknown_module);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("probe");
	tcase_add_test(tp, probe_without_kernel_caches_per_boot);
	tcase_add_test(tp, test_boot_mechanism);
	suite_add_tcase(s, tp);
	return s;
}

HVC_CHECK_MAIN(suite)
