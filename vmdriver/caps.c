/* vmdriver/caps: the one change hvc makes to libvirt's cached QEMU
 * capabilities ($root/cache/qemu/capabilities/<hash>.xml of the embedded
 * driver), and why.
 *
 * With the capability `cpu-unavailable-features` libvirt 9.x reads the
 * started guest's CPU back through QMP one property at a time (`qom-list` of
 * the vCPU, then one `qom-get` per boolean property: ~400 round trips before
 * `cont`); without it libvirt reads the same data as two x86 properties
 * (`feature-words`, `filtered-features`, which QEMU 7.2 still has). The
 * result only refreshes the live CPU definition of a domain, which hvc never
 * asks for. Measured here: "domain created" 1.0 s -> 0.35 s (docs/vm.md,
 * "The fixed cost"). The cache file is libvirt's: hvc removes that one flag
 * line and nothing else, only for the libvirt versions it was measured
 * with, and libvirt rebuilds the file from QEMU as usual whenever QEMU,
 * libvirt or the host kernel changes (its own invalidation). HVC_VM_CPU_PROBE=1
 * leaves the file alone (the benchmark's comparison row). */
#include <dirent.h>
#include <string.h>
#include "vm-internal.h"

static const char flag_line[] = "  <flag name='cpu-unavailable-features'/>\n";

char *vm_caps_trim(const char *xml)
{
	const char *v = strstr(xml, "<selfvers>");
	if (!v)
		return NULL;
	long vers = strtol(v + strlen("<selfvers>"), NULL, 10);
	if (vers < 9000000 || vers >= 10000000) /* measured with 9.0 only */
		return NULL;
	const char *p = strstr(xml, flag_line);
	if (!p)
		return NULL;
	size_t head = (size_t)(p - xml), n = strlen(flag_line);
	return hvc_strdup_printf("%.*s%s", (int)head, xml, p + n);
}

void vm_caps_trim_root(const char *root)
{
	const char *keep = getenv("HVC_VM_CPU_PROBE");
	if (keep && !strcmp(keep, "1"))
		return;
	_cleanup_free_ char *dir = hvc_path_join(root, "cache/qemu/capabilities");
	DIR *d = opendir(dir);
	if (!d)
		return; /* a fresh root: libvirt probes QEMU now, the next run trims */
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".xml"))
			continue;
		_cleanup_free_ char *path = hvc_path_join(dir, de->d_name);
		_cleanup_free_ char *xml = NULL, *trimmed = NULL;
		struct hvc_error e = {0};
		if (hvc_read_file(path, &xml, NULL, &e) < 0 || !(trimmed = vm_caps_trim(xml)))
			continue;
		if (hvc_write_file_atomic(path, trimmed, strlen(trimmed), 0600, &e) < 0)
			hvc_debug("vm: %s", e.msg);
		else
			hvc_debug("vm: libvirt capabilities `%s`: guest CPU read-back trimmed", path);
	}
	closedir(d);
}
