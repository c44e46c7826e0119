/* vmdriver/vm_trace: the trace events of a VM run that take more than a line
 * (hvc/trace.h): the domain's essentials, QEMU's command line, and the
 * guest's own milestones, which hvc-init prints on the console as
 * "HVC-TRACE <ms since the guest kernel started> <event> <text>" when the
 * kernel command line carries hvc.trace=1 (added only while tracing). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "hvc/trace.h"
#include "vm-internal.h"

static const char guest_prefix[] = "HVC-TRACE ";

char *vm_trace_cmdline(char *cmdline)
{
	char *with = hvc_strdup_printf("%s hvc.trace=1", cmdline);
	free(cmdline);
	return with;
}

void vm_trace_def(const struct hvc_vm_def *d)
{
	HVC_TRACE("vm.xml", "domain type='%s' (%s), machine %s, %u vCPU, %llu MiB, direct kernel boot of `%s`, "
			    "initrd `%s`, serial console to `%s`%s%s",
		  d->virt_type, strcmp(d->virt_type, "kvm") ? "TCG: QEMU translates every guest instruction"
							    : "KVM: the CPU runs the guest",
		  d->machine, d->vcpus, (unsigned long long)d->memory_mib, d->kernel, d->initrd ? d->initrd : "-",
		  d->console_log, d->root_disk ? ", root disk " : "", d->root_disk ? d->root_disk : "");
	HVC_TRACE("vm.cmdline", "kernel command line: %s", d->cmdline);
}

void vm_trace_qemu(int pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0) {
		HVC_TRACE("vm.qemu", "QEMU pid %d (its command line is not readable here)", pid);
		return;
	}
	for (ssize_t i = 0; i < n - 1; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	HVC_TRACE("vm.qemu", "QEMU pid %d: %s", pid, buf);
}

void vm_trace_guest_line(const char *line, size_t n)
{
	size_t pl = sizeof(guest_prefix) - 1;
	if (n <= pl || memcmp(line, guest_prefix, pl))
		return;
	char copy[512];
	snprintf(copy, sizeof(copy), "%.*s", (int)(n - pl), line + pl);
	char *ms = copy, *ev = strchr(ms, ' ');
	if (!ev)
		return;
	*ev++ = '\0';
	char *text = strchr(ev, ' ');
	if (text)
		*text++ = '\0';
	char event[64], msg[600];
	snprintf(event, sizeof(event), "guest.%s", ev);
	snprintf(msg, sizeof(msg), "%s (guest clock: %s ms after its kernel started)", text ? text : "", ms);
	hvc_trace_emit_at(0, "guest", event, msg);
}
