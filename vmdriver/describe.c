/* vmdriver/describe: the virtualization section of the host description
 * (hvc/host.h): the guest kernel the VM driver would boot, the accelerator
 * verdict with its evidence, and the QEMU and libvirt it runs on. */
#include "hvc/host.h"
#include "hvc/vm.h"

/* "guest_kernel": the kernel the VM driver would boot (null and an error
 * when there is none). Returns whether there is one. */
static bool add_kernel(json_object *o, const struct hvc_vm_host_opts *opts,
		       struct hvc_vm_kernel *k)
{
	struct hvc_error err = { 0 };
	if (hvc_vm_kernel_find(opts ? opts->kernel : NULL, k, &err) < 0) {
		json_object_object_add(o, "guest_kernel", NULL);
		hvc_json_add_string(o, "guest_kernel_error", err.msg);
		return false;
	}
	json_object *ko = json_object_new_object();
	hvc_json_add_string(ko, "path", k->path);
	hvc_json_add_string(ko, "release", k->release);
	if (k->modules_dir[0])
		hvc_json_add_string(ko, "modules_dir", k->modules_dir);
	else
		json_object_object_add(ko, "modules_dir", NULL);
	hvc_json_add_bool(ko, "overridden", k->overridden);
	json_object_object_add(o, "guest_kernel", ko);
	return true;
}

/* The accelerator verdict and the evidence it was made from. */
static void add_accel(json_object *o, const struct hvc_vm_host_opts *opts,
		      const struct hvc_vm_kernel *k)
{
	struct hvc_error err = { 0 };
	struct hvc_vm_accel_info a;
	hvc_vm_accel_probe(k, opts ? opts->accel_flags : 0, &a, &err);
	hvc_json_add_string(o, "accel", hvc_vm_accel_name(a.accel));
	hvc_json_add_string(o, "accel_reason", a.reason);
	hvc_json_add_bool(o, "accel_cached", a.cached);
	hvc_json_add_bool(o, "dev_kvm", a.sig.dev_kvm_exists);
	hvc_json_add_bool(o, "dev_kvm_openable", a.sig.dev_kvm_exists && !a.sig.dev_kvm_errno);
	json_object *mods = json_object_new_array();
	if (a.sig.mod_kvm_intel)
		json_object_array_add(mods, json_object_new_string("kvm_intel"));
	if (a.sig.mod_kvm_amd)
		json_object_array_add(mods, json_object_new_string("kvm_amd"));
	if (a.sig.mod_kvm_pvm)
		json_object_array_add(mods, json_object_new_string("kvm_pvm"));
	json_object_object_add(o, "kvm_modules", mods);
	json_object *tb = json_object_new_object();
	hvc_json_add_string(tb, "result", hvc_vm_boot_test_name(a.sig.boot));
	if (a.sig.boot != HVC_VM_BOOT_NOT_RUN)
		hvc_json_add_int(tb, "ms", a.sig.boot_ms);
	if (a.sig.boot_detail[0])
		hvc_json_add_string(tb, "detail", a.sig.boot_detail);
	json_object_object_add(o, "kvm_test_boot", tb);
}

/* The QEMU binary and its version, and libvirt's. */
static void add_versions(json_object *o)
{
	json_object *q = json_object_new_object();
	struct hvc_error err = { 0 };
	_cleanup_free_ char *qemu = hvc_vm_qemu_binary(&err);
	char ver[64];
	if (qemu && hvc_vm_qemu_version(qemu, ver, sizeof(ver), &err) == 0) {
		hvc_json_add_string(q, "path", qemu);
		hvc_json_add_string(q, "version", ver);
	} else {
		if (qemu)
			hvc_json_add_string(q, "path", qemu);
		hvc_json_add_string(q, "error", err.msg);
	}
	json_object_object_add(o, "qemu", q);

	hvc_error_clear(&err);
	if (hvc_vm_libvirt_version(ver, sizeof(ver), &err) == 0)
		hvc_json_add_string(o, "libvirt_version", ver);
	else
		hvc_json_add_string(o, "libvirt_error", err.msg);
}

void hvc_vm_host_add(json_object *host, const void *arg)
{
	const struct hvc_vm_host_opts *opts = arg;
	json_object *o = json_object_new_object();
	json_object_object_add(host, "virtualization", o);
	struct hvc_vm_kernel k;
	bool have_kernel = add_kernel(o, opts, &k);
	add_accel(o, opts, have_kernel ? &k : NULL);
	add_versions(o);
}
