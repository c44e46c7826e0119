/* vmdriver/domain_xml: a pure function from a VM definition to libvirt domain
 * XML (libvirt's qemu_command.c idea: generation separate from execution, so
 * golden files in tests/data/vm/ pin the output). Only the devices a run needs:
 * direct kernel boot, one serial console into a file, optional virtio disks,
 * an optional virtio-net NIC on a host bridge (libvirt creates its tap); no
 * USB, no balloon, no graphics. ACPI stays on so that the guest's power-off
 * ends the domain. */
#include <string.h>
#include "hvc/vm.h"

/* XML-escaped copy (malloc'd). */
static char *esc(const char *s)
{
	struct hvc_strbuf b = { 0 };
	hvc_strbuf_printf(&b, "%s", "");
	for (; s && *s; s++) {
		switch (*s) {
		case '&': hvc_strbuf_printf(&b, "&amp;"); break;
		case '<': hvc_strbuf_printf(&b, "&lt;"); break;
		case '>': hvc_strbuf_printf(&b, "&gt;"); break;
		case '"': hvc_strbuf_printf(&b, "&quot;"); break;
		case '\'': hvc_strbuf_printf(&b, "&apos;"); break;
		default: hvc_strbuf_printf(&b, "%c", *s);
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

static void disk(struct hvc_strbuf *b, const char *path, const char *format, const char *dev,
		 bool direct)
{
	_cleanup_free_ char *p = esc(path);
	hvc_strbuf_printf(b, "    <disk type='file' device='disk'>\n");
	hvc_strbuf_printf(b, "      <driver name='qemu' type='%s'%s discard='unmap'/>\n", format,
			  direct ? " cache='none' io='native'" : "");
	hvc_strbuf_printf(b, "      <source file='%s'/>\n", p ? p : "");
	hvc_strbuf_printf(b, "      <target dev='%s' bus='virtio'/>\n", dev);
	hvc_strbuf_printf(b, "    </disk>\n");
}

/* One virtio-net NIC whose tap libvirt creates and adds to the bridge. */
static void interface(struct hvc_strbuf *b, const struct hvc_vm_net *n)
{
	_cleanup_free_ char *br = esc(n->bridge), *mac = esc(n->mac);
	hvc_strbuf_printf(b, "    <interface type='bridge'>\n");
	if (n->mac[0])
		hvc_strbuf_printf(b, "      <mac address='%s'/>\n", mac);
	hvc_strbuf_printf(b, "      <source bridge='%s'/>\n", br);
	hvc_strbuf_printf(b, "      <model type='virtio'/>\n");
	hvc_strbuf_printf(b, "    </interface>\n");
}

/* libvirt 9.0 (Debian 12) refuses any microvm domain, even one with only a
 * serial port ("XML error: No PCI buses available"), so it is named with the
 * machines that work rather than offered. */
int hvc_vm_machine_check(const char *machine, struct hvc_error *err)
{
	if (!machine || !strcmp(machine, "pc") || !strcmp(machine, "q35"))
		return 0;
	if (!strcmp(machine, "microvm"))
		return hvc_err(err, ENOTSUP,
			       "machine type \"microvm\": libvirt here defines no microvm domain "
			       "(\"No PCI buses available\"); use pc or q35");
	return hvc_err(err, EINVAL, "machine type \"%s\": expected pc or q35", machine);
}

/* Rejects what libvirt would refuse (or misread) with a message naming it. */
static int validate(const struct hvc_vm_def *d, struct hvc_error *err)
{
	if (!valid_name(d->name))
		return hvc_err(err, EINVAL, "VM name \"%s\": use 1-63 letters, digits, '-', '_' or '.'",
			       d->name ? d->name : "");
	if (!d->virt_type || (strcmp(d->virt_type, "kvm") && strcmp(d->virt_type, "qemu")))
		return hvc_err(err, EINVAL, "domain type \"%s\": expected kvm or qemu",
			       d->virt_type ? d->virt_type : "");
	if (hvc_vm_machine_check(d->machine, err) < 0)
		return -1;
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
	if (d->net && !d->net->bridge[0])
		return hvc_err(err, EINVAL, "domain XML: a network interface without a bridge");
	return 0;
}

/* Name, memory, vCPUs and direct kernel boot. */
static void head(struct hvc_strbuf *b, const struct hvc_vm_def *d)
{
	_cleanup_free_ char *kernel = esc(d->kernel), *initrd = esc(d->initrd),
			    *cmdline = esc(d->cmdline), *desc = esc(d->description);
	hvc_strbuf_printf(b, "<domain type='%s'>\n", d->virt_type);
	hvc_strbuf_printf(b, "  <name>%s</name>\n", d->name);
	if (d->uuid)
		hvc_strbuf_printf(b, "  <uuid>%s</uuid>\n", d->uuid);
	if (d->description)
		hvc_strbuf_printf(b, "  <description>%s</description>\n", desc);
	hvc_strbuf_printf(b, "  <memory unit='MiB'>%llu</memory>\n", (unsigned long long)d->memory_mib);
	if (d->cpuset)
		hvc_strbuf_printf(b, "  <vcpu placement='static' cpuset='%s'>%u</vcpu>\n", d->cpuset, d->vcpus);
	else
		hvc_strbuf_printf(b, "  <vcpu placement='static'>%u</vcpu>\n", d->vcpus);
	hvc_strbuf_printf(b, "  <os>\n");
	hvc_strbuf_printf(b, "    <type arch='x86_64' machine='%s'>hvm</type>\n",
			  d->machine ? d->machine : "pc");
	hvc_strbuf_printf(b, "    <kernel>%s</kernel>\n", kernel);
	if (d->initrd)
		hvc_strbuf_printf(b, "    <initrd>%s</initrd>\n", initrd);
	if (d->cmdline)
		hvc_strbuf_printf(b, "    <cmdline>%s</cmdline>\n", cmdline);
	hvc_strbuf_printf(b, "  </os>\n");
}

/* ACPI (so that the guest's power-off ends the domain), CPU model, clock,
 * and every guest-initiated end destroys the domain. */
static void platform(struct hvc_strbuf *b, const struct hvc_vm_def *d)
{
	hvc_strbuf_printf(b, "  <features>\n    <acpi/>\n  </features>\n");
	/* TCG emulates a generic CPU; under KVM the guest sees the host's. */
	if (!strcmp(d->virt_type, "kvm"))
		hvc_strbuf_printf(b, "  <cpu mode='host-passthrough'/>\n");
	hvc_strbuf_printf(b, "  <clock offset='utc'/>\n");
	hvc_strbuf_printf(b, "  <on_poweroff>destroy</on_poweroff>\n");
	hvc_strbuf_printf(b, "  <on_reboot>destroy</on_reboot>\n");
	hvc_strbuf_printf(b, "  <on_crash>destroy</on_crash>\n");
}

/* The emulator, disks, the NIC, the serial console into a file; nothing else. */
static void devices(struct hvc_strbuf *b, const struct hvc_vm_def *d)
{
	_cleanup_free_ char *console = esc(d->console_log), *emu = esc(d->emulator);
	hvc_strbuf_printf(b, "  <devices>\n");
	if (d->emulator)
		hvc_strbuf_printf(b, "    <emulator>%s</emulator>\n", emu);
	if (d->root_disk)
		disk(b, d->root_disk, d->root_disk_format ? d->root_disk_format : "raw", "vda", false);
	if (d->data_disk)
		disk(b, d->data_disk, "raw", d->root_disk ? "vdb" : "vda", d->data_disk_direct);
	if (d->net)
		interface(b, d->net);
	hvc_strbuf_printf(b, "    <controller type='usb' model='none'/>\n");
	hvc_strbuf_printf(b, "    <serial type='file'>\n");
	hvc_strbuf_printf(b, "      <source path='%s' append='off'/>\n", console);
	hvc_strbuf_printf(b, "      <target port='0'/>\n");
	hvc_strbuf_printf(b, "    </serial>\n");
	hvc_strbuf_printf(b, "    <console type='file'>\n");
	hvc_strbuf_printf(b, "      <source path='%s' append='off'/>\n", console);
	hvc_strbuf_printf(b, "      <target type='serial' port='0'/>\n");
	hvc_strbuf_printf(b, "    </console>\n");
	if (d->cmd_channel) {
		_cleanup_free_ char *sock = esc(d->cmd_channel);
		hvc_strbuf_printf(b, "    <channel type='unix'>\n");
		hvc_strbuf_printf(b, "      <source mode='bind' path='%s'/>\n", sock);
		hvc_strbuf_printf(b, "      <target type='virtio' name='org.hvc.cmd'/>\n");
		hvc_strbuf_printf(b, "    </channel>\n");
	}
	hvc_strbuf_printf(b, "    <memballoon model='none'/>\n");
	hvc_strbuf_printf(b, "  </devices>\n");
}

int hvc_vm_domain_xml(const struct hvc_vm_def *d, char **xml, struct hvc_error *err)
{
	if (validate(d, err) < 0)
		return -1;
	struct hvc_strbuf b = { 0 };
	head(&b, d);
	platform(&b, d);
	devices(&b, d);
	hvc_strbuf_printf(&b, "</domain>\n");
	if (b.oom) {
		free(b.p);
		return hvc_err(err, ENOMEM, "domain XML");
	}
	*xml = b.p;
	return 0;
}
