/* hvc image bundle IMAGE DIR [CMD...]: export an image as an OCI runtime
 * bundle (DIR/rootfs + DIR/config.json) that runc or crun can run. */
#include <getopt.h>
#include "cli.h"
#include "hvc/bench_harness.h"

int hvc_cmd_image_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "tty", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvc_bench_bundle_opts o = { 0 };
	int c;
	/* "+": the command after DIR keeps its own options */
	while ((c = hvc_cli_getopt(argc, argv, "+th", opts)) != -1) {
		switch (c) {
		case 'c': o.cpus = optarg; break;
		case 't': o.terminal = true; break;
		case 'h':
			printf("Usage: hvc image bundle [--cpus LIST] [-t] IMAGE DIR [CMD [ARGS...]]\n"
			       "Writes DIR/rootfs (the image flattened) and DIR/config.json (an OCI runtime\n"
			       "config: the image's env, workdir and command, or CMD; namespaces, Docker's\n"
			       "default capabilities, masked paths). Then: runc run --bundle DIR NAME\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind < 2)
		return hvc_cli_usage_error("image bundle", "expected IMAGE and DIR");
	o.args = argc - optind > 2 ? argv + optind + 2 : NULL;
	struct hvc_error err = { 0 };
	if (hvc_bench_bundle_write(argv[optind], argv[optind + 1], &o, &err) < 0)
		return hvc_cli_fail("image bundle", &err, HVC_EXIT_FAIL);
	printf("%s\n", argv[optind + 1]);
	return 0;
}
