/* hvc pull: argument parsing and output; the work is engine/registry/. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "hvc/registry.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hvc pull [OPTIONS] HOST[:PORT]/NAME[:TAG][@sha256:DIGEST]\n"
		   "Pull an image from a registry into the store; prints its manifest digest.\n"
		   "There is no default registry: a name without a host is refused.\n\n"
		   "  --platform OS/ARCH[/VARIANT]  from an index (default linux/<this host>)\n"
		   HVC_CLI_REG_HELP
		   "The request trace: hvc -v -v pull ...\n");
}

int hvc_cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		HVC_CLI_REG_OPTIONS,
		{ "platform", required_argument, NULL, HVC_CLI_REG_PLATFORM },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvc_reg_opts o;
	hvc_cli_reg_defaults(&o);
	bool quiet = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+qh", opts)) != -1) {
		int rc = hvc_cli_reg_opt(&o, c, optarg, "pull");
		if (rc != 1) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HVC_EXIT_OK;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		return hvc_cli_usage_error("pull", "expected one image reference");
	hvc_cli_reg_progress(&o, quiet);
	struct hvc_error err = { 0 };
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	char digest[HVC_DIGEST_LEN];
	if (hvc_image_store_open(hvc_root(), &s, &err) < 0 ||
	    hvc_reg_pull(s, argv[optind], &o, digest, &err) < 0)
		return hvc_cli_fail("pull", &err, HVC_EXIT_FAIL);
	printf("%s\n", digest);
	return HVC_EXIT_OK;
}
