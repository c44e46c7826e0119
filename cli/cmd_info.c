/* hvc info [--json]: describe this host. */
#include <getopt.h>
#include "cli.h"
#include "hvc/bench.h"

int hvc_cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': printf("Usage: hvc info [--json]\nDescribe this host: CPU, memory, kernel, cgroups, isolation, accelerator.\n"); return 0;
		default: return hvc_cli_usage_error("info", "bad option");
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("info", "unexpected argument \"%s\"", argv[optind]);
	struct hvc_error err = { 0 };
	_cleanup_json_ json_object *info = NULL;
	if (hvc_host_probe(&info, &err) < 0)
		return hvc_cli_fail("info", &err, HVC_EXIT_FAIL);
	if (json)
		printf("%s\n", hvc_json_pretty(info));
	else
		hvc_host_print(stdout, info);
	return 0;
}
