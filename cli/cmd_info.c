/* hvc info [--json] [--kernel K] [--test-boot] [--no-cache]: describe this host. */
#include "cli.h"
#include "hvc/bench.h"
#include "hvc/vm.h"
#include <getopt.h>

static void usage(FILE *f)
{
	fprintf(
	    f, "Usage: hvc info [--json] [--kernel PATH|RELEASE] [--test-boot] [--no-cache]\n"
	       "Describe this host: CPU, memory, kernel, cgroups, isolation, accelerator.\n\n"
	       "  --json          the machine-readable object every benchmark result embeds\n"
	       "                  (fields: docs/host-info.md)\n"
	       "  --kernel K      guest kernel file or release (default $HVC_KERNEL, else the\n"
	       "                  newest /boot/vmlinuz-* with /lib/modules/<release>)\n"
	       "  --test-boot     boot the guest kernel under KVM even where the loaded module\n"
	       "                  says it will hang (waits up to 5 s once; the verdict is cached)\n"
	       "  --no-cache      neither read nor write the cached accelerator verdict\n");
}

int hvc_cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},	   {"kernel", required_argument, NULL, 'k'},
	    {"test-boot", no_argument, NULL, 't'}, {"no-cache", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	bool json = false;
	struct hvc_host_opts ho = {0};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'k':
			if (!*optarg)
				return hvc_cli_usage_error("info",
							   "--kernel needs a file or release");
			ho.kernel = optarg;
			break;
		case 't':
			ho.accel_flags |= HVC_VM_ACCEL_FORCE_TEST;
			break;
		case 'n':
			ho.accel_flags |= HVC_VM_ACCEL_NO_CACHE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("info", "unexpected argument \"%s\"", argv[optind]);
	struct hvc_error err = {0};
	if (ho.kernel) {
		/* a named kernel that is not there is the user's mistake: say so
		 * instead of quietly describing a host without a guest kernel */
		struct hvc_vm_kernel k;
		if (hvc_vm_kernel_find(ho.kernel, &k, &err) < 0)
			return hvc_cli_fail("info", &err, HVC_EXIT_FAIL);
	}
	_cleanup_json_ json_object *info = NULL;
	if (hvc_host_probe_with(&ho, &info, &err) < 0)
		return hvc_cli_fail("info", &err, HVC_EXIT_FAIL);
	if (json)
		printf("%s\n", hvc_json_pretty(info));
	else
		hvc_host_print(stdout, info);
	return 0;
}
