/* hvc push: its usage and its one option; the parsing and the flow it shares
 * with pull are cli/reg_opts.c's, the work engine/registry/'s. */
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
		   HVC_CLI_REG_HELP
		   "  --trace                       the request trace (as hvc -v -v push ...)\n");
}

static int chunk_opt(struct hvc_reg_opts *o, int c, const char *arg)
{
	uint64_t chunk = 0;
	if (c != 'c')
		return hvc_cli_bad_option(HVC_EXIT_USAGE);
	if (hvc_parse_size(arg, &chunk, NULL) < 0 || chunk == 0)
		return hvc_cli_usage_error("push", "--chunk-size: bad size \"%s\"", arg);
	o->chunk_size = (int64_t)chunk;
	return 0;
}

static int run(struct hvc_image_store *s, char **args, int n, const struct hvc_reg_opts *o,
	       char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	return hvc_reg_push(s, args[0], n == 2 ? args[1] : NULL, o, digest, err);
}

int hvc_cmd_push(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "chunk-size", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct hvc_cli_reg_cmd cmd = {
		.name = "push", .usage = usage, .extra = extra, .own_opt = chunk_opt,
		.min_args = 1, .max_args = 2, .args_error = "expected IMAGE [DESTINATION]", .run = run,
	};
	return hvc_cli_reg_transfer(&cmd, argc, argv);
}
