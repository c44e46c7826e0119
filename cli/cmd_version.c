/* hvc version [--format F]: hvc's version and git revision, and the versions
 * of what it runs on: kernel, libvirt, QEMU, libseccomp, and the peer OCI
 * runtimes (runc, crun) found on PATH. `hvc --version` stays one line. */
#include <string.h>
#include <sys/utsname.h>
#include "cli.h"
#include "format.h"
#include "hvc/host.h"
#include "hvc/vm.h"
#include "hvc_version.h"

static const struct hvc_fmt_field version_fields[] = {
	{ "Version", "VERSION" }, { "GitRevision", "GIT REVISION" }, { "Kernel", "KERNEL" },
	{ "Libvirt", "LIBVIRT" }, { "Qemu", "QEMU" },		      { "Libseccomp", "LIBSECCOMP" },
	{ "Runc", "RUNC" },	  { "Crun", "CRUN" },		      { NULL, NULL },
};

/* From the header the build rewrites when the revision moves: a stale
 * HVC_VERSION compiled into an object that was not rebuilt cannot lie. */
const char *hvc_cli_version(void)
{
	return HVC_BUILD_VERSION;
}

/* "runc version 1.1.5\n..." -> "1.1.5"; NULL when the runtime is not on PATH. */
static json_object *peer_version(const char *name)
{
	char *argv[] = { (char *)name, (char *)"--version", NULL };
	_cleanup_free_ char *out = NULL;
	struct hvc_error err = { 0 };
	if (hvc_spawn_capture(argv, &out, true, 5000, &err) != 0 || !out)
		return NULL;
	out[strcspn(out, "\n")] = '\0';
	const char *v = strstr(out, "version ");
	return json_object_new_string(v ? v + 8 : out);
}

static json_object *version_row(void)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "Version", HVC_BUILD_VERSION);
	hvc_json_add_string(o, "GitRevision", HVC_BUILD_GIT_REV);
	struct utsname u;
	if (uname(&u) == 0)
		hvc_json_add_string(o, "Kernel", u.release);
	char buf[128];
	struct hvc_error err = { 0 };
	hvc_json_add_string(o, "Libvirt", hvc_vm_libvirt_version(buf, sizeof(buf), &err) == 0 ? buf : NULL);
	_cleanup_free_ char *qemu = hvc_vm_qemu_binary(&err);
	hvc_json_add_string(o, "Qemu", qemu && hvc_vm_qemu_version(qemu, buf, sizeof(buf), &err) == 0 ? buf : NULL);
	hvc_json_add_string(o, "Libseccomp", hvc_probe_seccomp_version(buf, sizeof(buf)));
	json_object_object_add(o, "Runc", peer_version("runc"));
	json_object_object_add(o, "Crun", peer_version("crun"));
	return o;
}

static void print_plain(json_object *o)
{
	static const char *const labels[][2] = {
		{ "Kernel", "kernel" }, { "Libvirt", "libvirt" }, { "Qemu", "QEMU" },
		{ "Libseccomp", "libseccomp" }, { "Runc", "runc" }, { "Crun", "crun" },
	};
	printf("hvc %s (git %s)\n", hvc_json_get_string(o, "Version"), hvc_json_get_string(o, "GitRevision"));
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *v = hvc_json_get_string(o, labels[i][0]);
		printf("  %-11s %s\n", labels[i][1], v && *v ? v : "not found");
	}
}

int hvc_cmd_version(int argc, char **argv)
{
	const char *format = NULL;
	int prc = hvc_cli_parse_format(argc, argv,
					 "Usage: hvc version [-f|--format FORMAT]\n"
					 "hvc's version and git revision, and the kernel, libvirt, QEMU, libseccomp,\n"
					 "runc and crun it finds (\"not found\" when absent).\n\n"
					 "  -f, --format F   json (one object), or a template such as '{{.Version}} {{.Qemu}}'\n"
					 "                   fields: Version GitRevision Kernel Libvirt Qemu Libseccomp Runc Crun\n",
					 &format);
	if (prc >= 0)
		return prc;
	if (optind < argc)
		return hvc_cli_usage_error("version", "unexpected argument \"%s\"", argv[optind]);
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = format ? hvc_fmt_parse(format, "json", version_fields, &err) : NULL;
	if (format && !fmt)
		return hvc_cli_fail("version", &err, HVC_EXIT_USAGE);
	_cleanup_json_ json_object *o = version_row();
	if (!fmt) {
		print_plain(o);
	} else if (hvc_fmt_is_json(fmt)) {
		printf("%s\n", hvc_json_pretty(o)); /* one object, as docker version --format json */
	} else {
		_cleanup_json_ json_object *rows = json_object_new_array();
		json_object_array_add(rows, json_object_get(o));
		hvc_fmt_print(fmt, rows, stdout);
	}
	return 0;
}
