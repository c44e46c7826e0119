/* hvc push: argument parsing and output; the work is engine/registry/. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "hvc/registry.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hvc push [OPTIONS] IMAGE [HOST[:PORT]/NAME[:TAG]]\n"
		   "Push a stored image to a registry (to IMAGE's own name when it names one);\n"
		   "prints the manifest digest, the same one `hvc pull` gets back.\n\n"
		   "  --chunk-size SIZE             upload blobs larger than SIZE in chunks (PATCH)\n"
		   HVC_CLI_REG_HELP);
}

int hvc_cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		HVC_CLI_REG_OPTIONS,
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvc_reg_opts o;
	hvc_cli_reg_defaults(&o);
	bool quiet = false;
	struct hvc_error err = { 0 };
	uint64_t chunk = 0;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+qh", opts)) != -1) {
		int rc = hvc_cli_reg_opt(&o, c, optarg, "push");
		if (rc != 1) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case 'c':
			if (hvc_parse_size(optarg, &chunk, &err) < 0 || chunk == 0)
				return hvc_cli_usage_error("push", "--chunk-size: bad size \"%s\"", optarg);
			o.chunk_size = (int64_t)chunk;
			break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return HVC_EXIT_OK;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	int n = argc - optind;
	if (n < 1 || n > 2)
		return hvc_cli_usage_error("push", "expected IMAGE [DESTINATION]");
	hvc_cli_reg_progress(&o, quiet);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	char digest[HVC_DIGEST_LEN];
	if (hvc_image_store_open(hvc_root(), &s, &err) < 0 ||
	    hvc_reg_push(s, argv[optind], n == 2 ? argv[optind + 1] : NULL, &o, digest, &err) < 0)
		return hvc_cli_fail("push", &err, HVC_EXIT_FAIL);
	printf("%s\n", digest);
	return HVC_EXIT_OK;
}
