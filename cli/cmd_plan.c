/* hvc plan: capacity planning from a density sweep — parsing and printing
 * only; the arithmetic is bench/density_plan.c. */
#include "cli.h"
#include "hvc/density.h"
#include <getopt.h>
#include <string.h>

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
	struct hvc_density_target t = {.headroom_pct = 10, .base_used = -1};
	struct hvc_error err = {0};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 'm':
			if (hvc_parse_size(optarg, &t.host_mem, &err) < 0 || t.host_mem == 0)
				return hvc_cli_usage_error(
				    "plan", "--host-mem takes a size such as 256g, not \"%s\"",
				    optarg);
			break;
		case 'c': {
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 1000000)
				return hvc_cli_usage_error(
				    "plan", "--host-cores must be a positive count, not \"%s\"",
				    optarg);
			t.host_cores = (unsigned)v;
			break;
		}
		case 'H': {
			double v = strtod(optarg, &end);
			if (*end == '%')
				end++;
			if (!*optarg || *end || v < 0 || v >= 100)
				return hvc_cli_usage_error(
				    "plan", "--headroom is a percentage in [0, 100), not \"%s\"",
				    optarg);
			t.headroom_pct = v;
			break;
		}
		case 'b': {
			uint64_t b;
			if (hvc_parse_size(optarg, &b, &err) < 0)
				return hvc_cli_usage_error(
				    "plan", "--base-mem takes a size, not \"%s\"", optarg);
			t.base_used = (double)b;
			break;
		}
		case 'h':
			printf("Usage: hvc plan --from DIR --host-mem SIZE --host-cores N "
			       "[--headroom PCT] [--base-mem SIZE]\n"
			       "Extrapolates the per-instance costs measured by `hvc bench "
			       "density` (results in DIR)\n"
			       "to a target host and prints the expected instance count per "
			       "backend, with the\n"
			       "assumptions. An extrapolation, not a measurement.\n"
			       "  --headroom  percent of memory and CPU kept free (default 10)\n"
			       "  --base-mem  memory the target's OS uses (default: what the "
			       "measured host used)\n");
			return 0;
		default:
			return hvc_cli_usage_error("plan", "bad option");
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("plan", "unexpected argument \"%s\"", argv[optind]);
	if (!from || !t.host_mem || !t.host_cores)
		return hvc_cli_usage_error("plan",
					   "--from, --host-mem and --host-cores are required");
	_cleanup_json_ json_object *d = NULL;
	if (hvc_density_load(from, &d, &err) < 0)
		return hvc_cli_fail("plan", &err, HVC_EXIT_FAIL);
	if (hvc_density_plan_print(stdout, d, &t, &err) < 0)
		return hvc_cli_fail("plan", &err, HVC_EXIT_FAIL);
	return 0;
}
