/* hvc bench density: the density sweep's CLI (parsing, the Ctrl-C flag and
 * dispatch only; bench/density_*.c does the work). */
#include "cli.h"
#include "hvc/density.h"
#include <getopt.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	cancel_flag = 1; /* the sweep notices, stops starting and tears everything down */
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvc bench density [--backends container,vm] [--workload idle|mem|cpu] "
		"[--image REF]\n"
		"                         [--instance-mem SIZE] [--budget SIZE|PCT%%] [--max N] "
		"[--steps 1,2,4,...]\n"
		"                         [--quick] [--connect URI] [--ksm] [--out DIR] "
		"[--no-progress]\n"
		"       hvc bench density --report DIR\n"
		"Starts instances of one image step by step (each step = total running), keeping "
		"the earlier\n"
		"ones running, until the memory budget, --max, or the first failure; records host "
		"memory,\n"
		"PSS and RSS, marginal cost, start/READY times and throughput per step, then tears "
		"everything\n"
		"down (also on Ctrl-C). Writes density.json, results.json, report.md and charts "
		"into DIR\n"
		"(default results/<run-id>).\n"
		"  --backends      comma list of container, vm (default both)\n"
		"  --workload      idle (default), mem (STREAM in a loop), cpu (sha256 in a loop)\n"
		"  --instance-mem  container memory limit and VM RAM (default 256m)\n"
		"  --budget        memory the instances may use: SIZE or PCT%% of MemTotal "
		"(default 50%%)\n"
		"  --max           instances per backend (default 64 containers, 16 VMs)\n"
		"  --quick         idle, up to 16 containers and 4 VMs\n"
		"  --connect       libvirt URI for the VMs (e.g. qemu+ssh://HOST/system)\n"
		"  --ksm           turn KSM on for the run (restored afterwards)\n"
		"  --report DIR    only regenerate report.md, results.json and charts from "
		"DIR/density.json\n");
}

int hvc_cmd_bench_density(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"backends", required_argument, NULL, 'b'},
	    {"workload", required_argument, NULL, 'w'},
	    {"image", required_argument, NULL, 'i'},
	    {"instance-mem", required_argument, NULL, 'm'},
	    {"budget", required_argument, NULL, 'B'},
	    {"max", required_argument, NULL, 'M'},
	    {"steps", required_argument, NULL, 's'},
	    {"quick", no_argument, NULL, 'q'},
	    {"connect", required_argument, NULL, 'c'},
	    {"ksm", no_argument, NULL, 'k'},
	    {"out", required_argument, NULL, 'o'},
	    {"no-progress", no_argument, NULL, 'P'},
	    {"report", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *W = "bench density";
	struct hvc_density_opts o = {.progress = true, .cmdline = argv, .cancel = &cancel_flag};
	_cleanup_strv_ char **backends = NULL;
	const char *budget = NULL, *report_dir = NULL;
	struct hvc_error err = {0};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'b':
			hvc_strv_free(backends);
			backends = hvc_strv_split(optarg, ',');
			if (!backends || !*backends)
				return hvc_cli_usage_error(W, "--backends needs at least one name");
			for (char **p = backends; *p; p++)
				if (strcmp(*p, "container") && strcmp(*p, "vm"))
					return hvc_cli_usage_error(
					    W, "unknown backend \"%s\" (container, vm)", *p);
			break;
		case 'w':
			if (strcmp(optarg, "idle") && strcmp(optarg, "mem") &&
			    strcmp(optarg, "cpu"))
				return hvc_cli_usage_error(
				    W, "unknown workload \"%s\" (idle, mem, cpu)", optarg);
			o.workload = optarg;
			break;
		case 'i':
			o.image = optarg;
			break;
		case 'm':
			if (hvc_parse_size(optarg, &o.instance_mem, &err) < 0)
				return hvc_cli_usage_error(W, "--instance-mem: %s", err.msg);
			if (o.instance_mem < (16ull << 20))
				return hvc_cli_usage_error(
				    W, "--instance-mem must be at least 16m, not \"%s\"", optarg);
			break;
		case 'B':
			budget = optarg;
			break;
		case 'M': {
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 100000)
				return hvc_cli_usage_error(
				    W, "--max must be a positive count, not \"%s\"", optarg);
			o.max = (int)v;
			break;
		}
		case 's':
			if (hvc_density_parse_steps(optarg, o.steps, &o.n_steps, &err) < 0)
				return hvc_cli_usage_error(W, "%s", err.msg);
			break;
		case 'q':
			o.quick = true;
			break;
		case 'c':
			o.connect = optarg;
			break;
		case 'k':
			o.ksm = true;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'P':
			o.progress = false;
			break;
		case 'R':
			report_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return hvc_cli_usage_error(W, "bad option");
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error(W, "unexpected argument \"%s\"", argv[optind]);
	if (report_dir) {
		if (hvc_density_report_dir(report_dir, &err) < 0)
			return hvc_cli_fail(W, &err, HVC_EXIT_FAIL);
		printf("Report: %s/report.md\n", report_dir);
		return 0;
	}
	if (o.quick && o.workload && strcmp(o.workload, "idle"))
		return hvc_cli_usage_error(W, "--quick runs the idle workload, not \"%s\"",
					   o.workload);
	if (o.max && o.n_steps && o.steps[0] > o.max)
		return hvc_cli_usage_error(W, "--steps starts at %d, above --max %d", o.steps[0],
					   o.max);
	if (o.connect && !*o.connect)
		return hvc_cli_usage_error(W, "--connect needs a libvirt URI");
	if (budget) {
		struct hvc_density_meminfo mi;
		if (hvc_density_meminfo_read(&mi, &err) < 0)
			return hvc_cli_fail(W, &err, HVC_EXIT_FAIL);
		if (hvc_density_parse_budget(budget, mi.total, mi.available, &o.budget, &err) < 0)
			return hvc_cli_usage_error(W, "%s", err.msg);
	}
	o.backends = backends;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	struct sigaction old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	_cleanup_free_ char *dir = NULL;
	bool was_cancelled = false;
	int r = hvc_density_run(&o, &dir, &was_cancelled, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r < 0)
		return hvc_cli_fail(W, &err, err.code == EINVAL ? HVC_EXIT_USAGE : HVC_EXIT_FAIL);
	printf("Report: %s/report.md\n", dir);
	if (was_cancelled) {
		fprintf(stderr,
			"hvc: %s: cancelled by a signal; everything was torn down, partial results "
			"in %s\n",
			W, dir);
		return 130;
	}
	_cleanup_json_ json_object *d = NULL;
	if (hvc_density_load(dir, &d, &err) < 0)
		return hvc_cli_fail(W, &err, HVC_EXIT_FAIL);
	/* an instance that could not even start at N=1 is a failure of the run */
	json_object *bs = hvc_json_get(d, "backends");
	int rc = 0;
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		json_object *steps = hvc_json_get(b, "steps");
		json_object *s0 = steps && json_object_array_length(steps)
				      ? json_object_array_get_idx(steps, 0)
				      : NULL;
		json_object *fs = s0 ? hvc_json_get(s0, "failures") : NULL;
		json_object *f0 =
		    fs && json_object_array_length(fs) ? json_object_array_get_idx(fs, 0) : NULL;
		if (f0) {
			fprintf(stderr, "hvc: %s: %s: the first instance failed to start: %s\n", W,
				hvc_json_get_string(b, "name"), hvc_json_get_string(f0, "reason"));
			rc = HVC_EXIT_FAIL;
		}
	}
	return rc;
}
