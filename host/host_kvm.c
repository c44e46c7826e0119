/* host/host_kvm: the hypervisor signals a host gives without running a guest —
 * which KVM modules are loaded and whether /dev/kvm opens read-write. They are
 * only the first signal: under kvm_pvm /dev/kvm opens yet an ordinary kernel
 * hangs, so the VM driver confirms with a test boot (vmdriver/accel.c). */
#include "hvc/host.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void hvc_host_kvm_probe(struct hvc_host_kvm *k)
{
	memset(k, 0, sizeof(*k));
	k->mod_kvm_intel = hvc_path_exists("/sys/module/kvm_intel");
	k->mod_kvm_amd = hvc_path_exists("/sys/module/kvm_amd");
	k->mod_kvm_pvm = hvc_path_exists("/sys/module/kvm_pvm");
	k->dev_kvm_exists = hvc_path_exists("/dev/kvm");
	if (k->dev_kvm_exists) {
		int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			k->dev_kvm_errno = errno;
		else
			close(fd);
	}
}
