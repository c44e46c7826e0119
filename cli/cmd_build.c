/* hvc build: argument parsing for Dockerfile builds (engine/build/build.c does the work). */
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/build.h"
#include "hvc/registry.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hvc build [-t NAME[:TAG]] [-f DOCKERFILE] [--build-arg K=V]... [--no-cache] CONTEXT\n"
		   "Builds an image from a Dockerfile: one layer per RUN/COPY/ADD, cached per step.\n\n"
		   "  -t, --tag NAME[:TAG]   name the result (default tag: latest)\n"
		   "  -f, --file PATH        the Dockerfile (default: CONTEXT/Containerfile when there is one,\n"
		   "                         as podman, else CONTEXT/Dockerfile; - reads stdin)\n"
		   "      --build-arg K[=V]  set an ARG (K alone takes V from the environment)\n"
		   "      --no-cache         run every step again\n"
		   "      --pull POLICY      FROM images naming a registry: missing (default),\n"
		   "                         always, never\n"
		   "  -q, --quiet            print only the image digest\n");
}

int hvc_cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },   { "file", required_argument, NULL, 'f' },
		{ "build-arg", required_argument, NULL, 'a' }, { "no-cache", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },	   { "help", no_argument, NULL, 'h' },
		{ "pull", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvc_build_opts o = { .out_fd = -1, .progress = stdout };
	struct hvc_reg_opts ro;
	hvc_cli_reg_defaults(&ro);
	o.registry = &ro;
	_cleanup_strv_ char **args = hvc_xcalloc(1, sizeof(char *));
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "t:f:qh", opts)) != -1) {
		switch (c) {
		case 't': o.tag = optarg; break;
		case 'f': o.dockerfile = optarg; break;
		case 'n': o.no_cache = true; break;
		case 'p': {
			struct hvc_error err = { 0 };
			enum hvc_reg_pull_policy pp;
			if (hvc_reg_pull_policy_parse(optarg, &pp, &err) < 0)
				return hvc_cli_usage_error("build", "%s", err.msg);
			o.pull = (int)pp;
			break;
		}
		case 'q': o.progress = NULL; break;
		case 'a': {
			struct hvc_error err = { 0 };
			_cleanup_free_ char *kv = NULL;
			int r = hvc_build_arg_parse(optarg, environ, &kv, &err);
			if (r < 0)
				return hvc_cli_usage_error("build", "%s", err.msg);
			if (r > 0)
				hvc_strv_push(&args, kv);
			break;
		}
		case 'h': usage(stdout); return HVC_EXIT_OK;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc)
		return optind >= argc ? hvc_cli_usage_error("build", "missing CONTEXT directory")
				      : hvc_cli_usage_error("build", "expected one CONTEXT, got %d arguments", argc - optind);
	o.context = argv[optind];
	_cleanup_free_ char *containerfile = hvc_path_join(o.context, "Containerfile");
	if (!o.dockerfile && access(containerfile, F_OK) == 0)
		o.dockerfile = containerfile;
	o.build_args = args;
	if (!o.progress)
		o.out_fd = STDERR_FILENO; /* -q: RUN output must not mix with the digest */
	hvc_cli_reg_progress(&ro, !o.progress);
	struct hvc_error err = { 0 };
	_cleanup_free_ char *digest = NULL;
	if (hvc_build(&o, &digest, &err) < 0) {
		fflush(stdout);
		return hvc_cli_fail("build", &err, HVC_EXIT_FAIL);
	}
	if (!o.progress)
		printf("%s\n", digest);
	return HVC_EXIT_OK;
}
