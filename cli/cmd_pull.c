/* hvc pull: its usage and its one option; the parsing and the flow it shares
 * with push are cli/reg_opts.c's, the work engine/registry/'s. */
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
		   "  --trace                       the request trace (as hvc -v -v pull ...)\n");
}

static int run(struct hvc_image_store *s, char **args, int n, const struct hvc_reg_opts *o,
	       char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	(void)n;
	return hvc_reg_pull(s, args[0], o, digest, err);
}

int hvc_cmd_pull(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "platform", required_argument, NULL, HVC_CLI_REG_PLATFORM },
		{ NULL, 0, NULL, 0 },
	};
	static const struct hvc_cli_reg_cmd cmd = {
		.name = "pull", .usage = usage, .extra = extra, .min_args = 1, .max_args = 1,
		.args_error = "expected one image reference", .run = run,
	};
	return hvc_cli_reg_transfer(&cmd, argc, argv);
}
