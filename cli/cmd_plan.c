/* cli/cmd_plan: `hvc plan`, capacity planning from a density sweep —
 * parsing and printing only; the option values, defaults and arithmetic are
 * bench/density_options.c and bench/density_plan.c. */
#include "cli.h"
#include "hvc/density.h"
#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: hvc plan --from DIR --host-mem SIZE --host-cores N "
		   "[--headroom PCT] [--base-mem SIZE]\n"
		   "Extrapolates the per-instance costs measured by `hvc bench "
		   "density` (results in DIR)\n"
		   "to a target host and prints the expected instance count per "
		   "backend, with the\n"
		   "assumptions. An extrapolation, not a measurement.\n"
		   "  --headroom  percent of memory and CPU kept free (default 10)\n"
		   "  --base-mem  memory the target's OS uses (default: what the "
		   "measured host used)\n");
}

/* One option; -EINVAL (err says why) for a bad value, 1 for an unknown one. */
static int parse_option(int c, const char **from, struct hvc_density_target *t,
			struct hvc_error *err)
{
	switch (c) {
	case 'f':
		*from = optarg;
		return 0;
	case 'm':
		return hvc_density_parse_host_mem(optarg, &t->host_mem, err);
	case 'c':
		return hvc_density_parse_host_cores(optarg, &t->host_cores, err);
	case 'H':
		return hvc_density_parse_headroom(optarg, &t->headroom_pct, err);
	case 'b':
		return hvc_density_parse_base_mem(optarg, &t->base_used, err);
	default:
		return 1;
	}
}

int hvc_cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"host-mem", required_argument, NULL, 'm'},
	    {"host-cores", required_argument, NULL, 'c'},
	    {"headroom", required_argument, NULL, 'H'},
	    {"base-mem", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *from = NULL;
	struct hvc_density_target t;
	hvc_density_target_init(&t);
	struct hvc_error err = {0};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		int r = parse_option(c, &from, &t, &err);
		if (r > 0)
			return hvc_cli_bad_option(HVC_EXIT_USAGE);
		if (r < 0)
			return hvc_cli_usage_error("plan", "%s", err.msg);
	}
	if (optind < argc)
		return hvc_cli_usage_error("plan", "unexpected argument \"%s\"", argv[optind]);
	if (hvc_density_target_check(from, &t, &err) < 0)
		return hvc_cli_usage_error("plan", "%s", err.msg);
	_cleanup_json_ json_object *d = NULL;
	if (hvc_density_load(from, &d, &err) < 0)
		return hvc_cli_fail("plan", &err, HVC_EXIT_FAIL);
	if (hvc_density_plan_print(stdout, d, &t, &err) < 0)
		return hvc_cli_fail("plan", &err, HVC_EXIT_FAIL);
	return 0;
}
