/* vmdriver/domain_xml: a pure function from a VM definition to libvirt domain
 * XML (libvirt's qemu_command.c idea: generation separate from execution, so
 * golden files in tests/data/vm/ pin the output). Only the devices a run needs:
 * direct kernel boot, one serial console into a file, optional virtio disks;
 * no USB, no balloon, no graphics, no network. ACPI stays on so that the
 * guest's power-off ends the domain. */
#include <string.h>
#include "hvc/vm.h"

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 1024);
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* XML-escaped copy (malloc'd). */
static char *esc(const char *s)
{
	struct buf b = { 0 };
	put(&b, "%s", "");
	for (; s && *s; s++) {
		switch (*s) {
		case '&': put(&b, "&amp;"); break;
		case '<': put(&b, "&lt;"); break;
		case '>': put(&b, "&gt;"); break;
		case '"': put(&b, "&quot;"); break;
		case '\'': put(&b, "&apos;"); break;
		default: put(&b, "%c", *s);
		}
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static bool valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool valid_cpuset(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == ',' || *s == '-' || *s == '^'))
			return false;
	return true;
}

static void disk(struct buf *b, const char *path, const char *format, const char *dev)
{
	_cleanup_free_ char *p = esc(path);
	put(b, "    <disk type='file' device='disk'>\n");
	put(b, "      <driver name='qemu' type='%s' discard='unmap'/>\n", format);
	put(b, "      <source file='%s'/>\n", p ? p : "");
	put(b, "      <target dev='%s' bus='virtio'/>\n", dev);
	put(b, "    </disk>\n");
}

int hvc_vm_domain_xml(const struct hvc_vm_def *d, char **xml, struct hvc_error *err)
{
	if (!valid_name(d->name))
		return hvc_err(err, EINVAL, "VM name \"%s\": use 1-63 letters, digits, '-', '_' or '.'",
			       d->name ? d->name : "");
	if (!d->virt_type || (strcmp(d->virt_type, "kvm") && strcmp(d->virt_type, "qemu")))
		return hvc_err(err, EINVAL, "domain type \"%s\": expected kvm or qemu",
			       d->virt_type ? d->virt_type : "");
	const char *machine = d->machine ? d->machine : "pc";
	if (strcmp(machine, "pc") && strcmp(machine, "q35") && strcmp(machine, "microvm"))
		return hvc_err(err, EINVAL, "machine type \"%s\": expected pc, q35 or microvm", machine);
	if (d->vcpus < 1 || d->vcpus > 256)
		return hvc_err(err, EINVAL, "vCPUs %u: expected 1 to 256", d->vcpus);
	if (d->memory_mib < 16 || d->memory_mib > (1u << 20))
		return hvc_err(err, EINVAL, "memory %llu MiB: expected 16 MiB to 1 TiB",
			       (unsigned long long)d->memory_mib);
	if (d->cpuset && !valid_cpuset(d->cpuset))
		return hvc_err(err, EINVAL, "cpuset \"%s\": expected a list such as 0-1,3", d->cpuset);
	if (!d->kernel || !*d->kernel)
		return hvc_err(err, EINVAL, "domain XML: no kernel");
	if (!d->console_log || !*d->console_log)
		return hvc_err(err, EINVAL, "domain XML: no console log path");
	const char *rfmt = d->root_disk_format ? d->root_disk_format : "raw";
	if (strcmp(rfmt, "raw") && strcmp(rfmt, "qcow2"))
		return hvc_err(err, EINVAL, "disk format \"%s\": expected raw or qcow2", rfmt);

	_cleanup_free_ char *kernel = esc(d->kernel), *initrd = esc(d->initrd),
			    *cmdline = esc(d->cmdline), *console = esc(d->console_log),
			    *desc = esc(d->description), *emu = esc(d->emulator);
	struct buf b = { 0 };
	put(&b, "<domain type='%s'>\n", d->virt_type);
	put(&b, "  <name>%s</name>\n", d->name);
	if (d->uuid)
		put(&b, "  <uuid>%s</uuid>\n", d->uuid);
	if (d->description)
		put(&b, "  <description>%s</description>\n", desc);
	put(&b, "  <memory unit='MiB'>%llu</memory>\n", (unsigned long long)d->memory_mib);
	if (d->cpuset)
		put(&b, "  <vcpu placement='static' cpuset='%s'>%u</vcpu>\n", d->cpuset, d->vcpus);
	else
		put(&b, "  <vcpu placement='static'>%u</vcpu>\n", d->vcpus);
	put(&b, "  <os>\n");
	put(&b, "    <type arch='x86_64' machine='%s'>hvm</type>\n", machine);
	put(&b, "    <kernel>%s</kernel>\n", kernel);
	if (d->initrd)
		put(&b, "    <initrd>%s</initrd>\n", initrd);
	if (d->cmdline)
		put(&b, "    <cmdline>%s</cmdline>\n", cmdline);
	put(&b, "  </os>\n");
	put(&b, "  <features>\n    <acpi/>\n  </features>\n");
	/* TCG emulates a generic CPU; under KVM the guest sees the host's. */
	if (!strcmp(d->virt_type, "kvm"))
		put(&b, "  <cpu mode='host-passthrough'/>\n");
	put(&b, "  <clock offset='utc'/>\n");
	put(&b, "  <on_poweroff>destroy</on_poweroff>\n");
	put(&b, "  <on_reboot>destroy</on_reboot>\n");
	put(&b, "  <on_crash>destroy</on_crash>\n");
	put(&b, "  <devices>\n");
	if (d->emulator)
		put(&b, "    <emulator>%s</emulator>\n", emu);
	if (d->root_disk)
		disk(&b, d->root_disk, rfmt, "vda");
	if (d->data_disk)
		disk(&b, d->data_disk, "raw", d->root_disk ? "vdb" : "vda");
	if (strcmp(machine, "microvm"))
		put(&b, "    <controller type='usb' model='none'/>\n");
	put(&b, "    <serial type='file'>\n");
	put(&b, "      <source path='%s' append='off'/>\n", console);
	put(&b, "      <target port='0'/>\n");
	put(&b, "    </serial>\n");
	put(&b, "    <console type='file'>\n");
	put(&b, "      <source path='%s' append='off'/>\n", console);
	put(&b, "      <target type='serial' port='0'/>\n");
	put(&b, "    </console>\n");
	put(&b, "    <memballoon model='none'/>\n");
	put(&b, "  </devices>\n");
	put(&b, "</domain>\n");
	if (b.oom) {
		free(b.p);
		return hvc_err(err, ENOMEM, "domain XML");
	}
	*xml = b.p;
	return 0;
}
