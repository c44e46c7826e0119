/* hvc: global options, then dispatch to a command. The only place that turns
 * errors into exit statuses is each command's return to here. */
#include <getopt.h>
#include <string.h>
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvc [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
		"hvc compares hypervisors and containers: one image, run as a container and as a VM.\n\n"
		"Global options:\n"
		"  --root DIR          state directory (default $HVC_ROOT or /var/lib/hvc)\n"
		"  -v, --verbose       more logging (repeat for debug/trace)\n"
		"  --log-level LEVEL   error, warn, info, debug, trace (also $HVC_LOG)\n"
		"  --version           print the version\n"
		"  -h, --help          this help\n\n"
		"Commands:\n");
	for (const struct hvc_cli_cmd *t = hvc_cli_commands; t->name; t++)
		if (t->summary) /* aliases have none */
			fprintf(f, "  %-14s %s\n", t->name, t->summary);
	fprintf(f, "\n'hvc help COMMAND' or 'hvc COMMAND --help' shows a command's options;\n"
		   "docs/cli.md (or man hvc) lists them all, with --format's fields.\n\n"
		   "Exit status: 0 success; 1 a command failed; 2 a usage error (unknown flag or\n"
		   "command, missing argument, bad --format); run and exec: 125 for hvc's own\n"
		   "errors, else the command's own status (127: not found in the image).\n"
		   "With --format json, errors are {\"error\": ..., \"code\": ...} on stderr.\n\n"
		   "Environment: HVC_ROOT (state directory), HVC_LOG (log level), HVC_LIBVIRT_URI,\n"
		   "HVC_KERNEL (guest kernel), HVC_GUEST_DIR (hvc-init and hvc-workload).\n");
}

int main(int argc, char **argv)
{
	const char *env_level = getenv("HVC_LOG");
	if (env_level && *env_level) {
		int l = hvc_log_level_parse(env_level);
		if (l < 0)
			return hvc_cli_usage_error("HVC_LOG", "unknown log level \"%s\"", env_level), HVC_EXIT_USAGE;
		hvc_log_set_level(l);
	}
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* "+": stop at the command name; its options are its own */
	while ((c = hvc_cli_getopt(argc, argv, "+vh", opts)) != -1) {
		switch (c) {
		case 'r': hvc_set_root(optarg); break;
		case 'v':
			if (hvc_log_get_level() < HVC_LOG_TRACE)
				hvc_log_set_level(hvc_log_get_level() < HVC_LOG_INFO ? HVC_LOG_INFO
										     : hvc_log_get_level() + 1);
			break;
		case 'l': {
			int l = hvc_log_level_parse(optarg);
			if (l < 0)
				return hvc_cli_usage_error("--log-level", "unknown level \"%s\"", optarg);
			hvc_log_set_level(l);
			break;
		}
		case 'V': printf("hvc %s\n", hvc_cli_version()); return 0;
		case 'h': usage(stdout); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return HVC_EXIT_USAGE;
	}
	if (optind == argc - 1 && !strcmp(argv[optind], "help")) {
		usage(stdout);
		return 0;
	}
	return hvc_cli_dispatch(NULL, hvc_cli_commands, argc - optind, argv + optind);
}
