/* vmdriver: the same image booted as a small VM through libvirt. */
#ifndef HVC_VM_H
#define HVC_VM_H

#include "hvc/util.h"
#include <limits.h>

/* ==== host facts: guest kernel, accelerator, versions =====================
 * Owner: the host probe (vmdriver/kernel.c, vmdriver/accel.c,
 * vmdriver/versions.c). `hvc info` reports these; the VM driver uses them to
 * pick the kernel and the accelerator. Keep other vm.h parts outside this block. */

/* A guest kernel: the host's own kernel package booted with our initramfs. */
struct hvc_vm_kernel {
	char path[PATH_MAX];	    /* the bzImage, e.g. /boot/vmlinuz-6.1.0-56-cloud-amd64 */
	char release[256];	    /* "6.1.0-56-cloud-amd64" (from the bzImage header) */
	char modules_dir[PATH_MAX]; /* /lib/modules/<release>; "" when there is none */
	bool overridden;	    /* chosen by --kernel / $HVC_KERNEL */
};

/* Finds the guest kernel. override (else $HVC_KERNEL; NULL/"" = default) is a
 * kernel file path or a release name with /boot/vmlinuz-<release>. Default:
 * the newest /boot/vmlinuz-* that has /lib/modules/<release>. The error says
 * how to get one (apt-get install linux-image-cloud-amd64). */
int hvc_vm_kernel_find(const char *override, struct hvc_vm_kernel *out, struct hvc_error *err);
/* Same, with the directories as parameters (tests use fake trees); no $HVC_KERNEL. */
int hvc_vm_kernel_find_in(const char *boot_dir, const char *modules_root, const char *override,
			  struct hvc_vm_kernel *out, struct hvc_error *err);
/* Reads the release string from an x86 bzImage's setup header. */
int hvc_vm_kernel_read_release(const char *path, char *buf, size_t len, struct hvc_error *err);

enum hvc_vm_accel { HVC_VM_ACCEL_TCG = 0, HVC_VM_ACCEL_KVM };

/* Outcome of a bounded test boot of the guest kernel under KVM. */
enum hvc_vm_boot_test {
	HVC_VM_BOOT_NOT_RUN = 0, /* not attempted (no kernel/qemu, or too costly here) */
	HVC_VM_BOOT_OK,		 /* the kernel printed its boot banner within the bound */
	HVC_VM_BOOT_SILENT,	 /* no kernel output within the bound (hung: killed) */
	HVC_VM_BOOT_FAILED,	 /* QEMU refused or exited before the kernel printed */
};

/* The evidence the decision is made from. */
struct hvc_vm_accel_signals {
	bool mod_kvm_intel, mod_kvm_amd, mod_kvm_pvm; /* /sys/module/<name> present */
	bool dev_kvm_exists;
	int dev_kvm_errno; /* 0 when /dev/kvm opened read-write */
	enum hvc_vm_boot_test boot;
	int boot_ms;	       /* time to the banner, or the bound when SILENT */
	char boot_detail[256]; /* QEMU's message when FAILED */
};

struct hvc_vm_accel_info {
	enum hvc_vm_accel accel;
	char reason[512]; /* human, one line: why kvm or why tcg */
	struct hvc_vm_accel_signals sig;
	char kernel_release[256]; /* the kernel the verdict is for ("" when none) */
	char boot_id[64];	  /* host boot the verdict is for */
	bool cached;		  /* read from $HVC_ROOT/cache/ */
};

/* Pure: signals -> verdict + reason. Unit-tested for every case. */
enum hvc_vm_accel hvc_vm_accel_decide(const struct hvc_vm_accel_signals *sig, char *reason,
				      size_t len);

enum {
	HVC_VM_ACCEL_FORCE_TEST = 1 << 0, /* test-boot even when the signals say it would hang */
	HVC_VM_ACCEL_NO_CACHE = 1 << 1,	  /* neither read nor write the cached verdict */
};
/* Decides kvm or tcg for kernel (NULL = no kernel: signals only). Cached per
 * kernel release and host boot id under $HVC_ROOT/cache/. The test boot runs
 * when the signals say KVM may work (kvm_intel/kvm_amd): it costs well under
 * a second when KVM works. With only kvm_pvm (ordinary kernels hang) it runs
 * only with HVC_VM_ACCEL_FORCE_TEST, since it then waits the whole bound. */
int hvc_vm_accel_probe(const struct hvc_vm_kernel *kernel, unsigned flags,
		       struct hvc_vm_accel_info *out, struct hvc_error *err);
/* The test boot itself (bounded by timeout_ms; QEMU is killed on expiry). */
enum hvc_vm_boot_test hvc_vm_accel_test_boot(const struct hvc_vm_kernel *kernel, int timeout_ms,
					     int *elapsed_ms, char *detail, size_t len);
const char *hvc_vm_accel_name(enum hvc_vm_accel a); /* "kvm", "tcg" */
const char *
hvc_vm_boot_test_name(enum hvc_vm_boot_test b); /* "not-run", "ok", "silent", "failed" */

/* The QEMU system emulator: $HVC_QEMU, else qemu-system-x86_64 on PATH.
 * malloc'd absolute path, NULL (err filled) when absent. */
char *hvc_vm_qemu_binary(struct hvc_error *err);
/* "7.2.22" from `qemu --version`, into buf. */
int hvc_vm_qemu_version(const char *qemu, char *buf, size_t len, struct hvc_error *err);
/* libvirt library version "9.0.0" (virGetVersion), into buf. */
int hvc_vm_libvirt_version(char *buf, size_t len, struct hvc_error *err);

/* ==== end of host facts ================================================= */

#endif
