/* hvc stop [-t SECS] NAME...: SIGTERM, then SIGKILL after the grace period. */
#include <getopt.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int t = 10, c;
	while ((c = hvc_cli_getopt(argc, argv, "t:h", opts)) != -1) {
		switch (c) {
		case 't':
			if (hvc_cli_parse_seconds("stop", optarg, 86400, &t))
				return HVC_EXIT_USAGE;
			break;
		case 'h': printf("Usage: hvc stop [-t SECS] CONTAINER...\n"); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("stop", "a container is required");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct hvc_error err = { 0 };
		char id[HVC_CTR_ID_LEN + 1];
		if (hvc_ctr_lookup(argv[i], id, &err) < 0 || hvc_ctr_stop(id, t, &err) < 0)
			rc = hvc_cli_fail("stop", &err, HVC_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}
