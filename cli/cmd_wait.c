/* hvc wait NAME...: block until each container exits; print its exit code. */
#include <string.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_wait(int argc, char **argv)
{
	int rc = hvc_cli_parse_none(argc, argv,
				    "Usage: hvc wait CONTAINER...\nWait for containers to exit; print each exit code.\n");
	if (rc >= 0)
		return rc;
	if (argc < 2)
		return hvc_cli_usage_error("wait", "a container is required");
	rc = 0;
	for (int i = 1; i < argc; i++) {
		struct hvc_error err = { 0 };
		char id[HVC_CTR_ID_LEN + 1];
		int code;
		if (hvc_ctr_lookup(argv[i], id, &err) < 0 || (code = hvc_ctr_wait_exit(id, &err)) < 0)
			rc = hvc_cli_fail("wait", &err, HVC_EXIT_FAIL);
		else
			printf("%d\n", code);
	}
	return rc;
}
