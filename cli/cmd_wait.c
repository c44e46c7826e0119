/* hvc wait NAME...: block until each container exits; print its exit code. */
#include <string.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_wait(int argc, char **argv)
{
	if (argc < 2)
		return hvc_cli_usage_error("wait", "a container is required");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return printf("Usage: hvc wait CONTAINER...\n"), 0;
	int rc = 0;
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
