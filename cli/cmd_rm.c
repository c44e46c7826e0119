/* hvc rm [-f] NAME...: remove containers (-f: kill running ones first). */
#include <getopt.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool force = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "fh", opts)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': printf("Usage: hvc rm [-f] CONTAINER...\n"); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("rm", "a container is required");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct hvc_error err = { 0 };
		char id[HVC_CTR_ID_LEN + 1];
		if (hvc_ctr_lookup(argv[i], id, &err) < 0 || hvc_ctr_remove(id, force, &err) < 0)
			rc = hvc_cli_fail("rm", &err, HVC_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}
