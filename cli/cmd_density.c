/* cli/cmd_density: `hvc bench density`, the density sweep's CLI — parsing,
 * the Ctrl-C flag and printing only; bench/density_*.c decides and does the
 * work (bench/density_options.c checks the values). */
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
		"                  or vm-restore (VMs restored from the image's template slots)\n"
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

/* The library's progress lines, on stderr as they happen. */
static void print_progress(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "[density] %s\n", line);
}

static const struct option density_options[] = {
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

struct density_args {
	struct hvc_density_opts o;
	char **backends;
	const char *budget, *report_dir;
	bool help;
};

/* One option into a; -EINVAL (err says why) for a bad value, 1 for an
 * option getopt did not know. */
static int parse_option(int c, struct density_args *a, struct hvc_error *err)
{
	struct hvc_density_opts *o = &a->o;
	switch (c) {
	case 'b':
		hvc_strv_free(a->backends);
		a->backends = NULL;
		return hvc_density_parse_backends(optarg, &a->backends, err);
	case 'w':
		o->workload = optarg;
		return hvc_density_check_workload(optarg, err);
	case 'i':
		o->image = optarg;
		return 0;
	case 'm':
		return hvc_density_parse_instance_mem(optarg, &o->instance_mem, err);
	case 'B':
		a->budget = optarg;
		return 0;
	case 'M':
		return hvc_density_parse_max(optarg, &o->max, err);
	case 's':
		return hvc_density_parse_steps(optarg, o->steps, &o->n_steps, err);
	case 'q':
		o->quick = true;
		return 0;
	case 'c':
		o->connect = optarg;
		return 0;
	case 'k':
		o->ksm = true;
		return 0;
	case 'o':
		o->out_dir = optarg;
		return 0;
	case 'P':
		o->progress = NULL;
		return 0;
	case 'R':
		a->report_dir = optarg;
		return 0;
	case 'h':
		a->help = true;
		return 0;
	default:
		return 1;
	}
}

/* Parses argv into a; returns -1 after printing a usage error (*status set). */
static int parse_args(int argc, char **argv, struct density_args *a, int *status)
{
	const char *W = "bench density";
	struct hvc_error err = {0};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", density_options)) != -1) {
		int r = parse_option(c, a, &err);
		if (r > 0)
			return *status = hvc_cli_bad_option(HVC_EXIT_USAGE), -1;
		if (r < 0)
			return *status = hvc_cli_usage_error(W, "%s", err.msg), -1;
		if (a->help)
			return 0;
	}
	if (optind < argc)
		return *status = hvc_cli_usage_error(W, "unexpected argument \"%s\"", argv[optind]),
		       -1;
	return 0;
}

/* The budget is checked against the memory available now. */
static int resolve_budget(struct density_args *a, int *status)
{
	const char *W = "bench density";
	struct hvc_error err = {0};
	struct hvc_density_meminfo mi;
	if (!a->budget)
		return 0;
	if (hvc_density_meminfo_read(&mi, &err) < 0)
		return *status = hvc_cli_fail(W, &err, HVC_EXIT_FAIL), -1;
	if (hvc_density_parse_budget(a->budget, mi.total, mi.available, &a->o.budget, &err) < 0)
		return *status = hvc_cli_usage_error(W, "%s", err.msg), -1;
	return 0;
}

/* Runs the sweep with Ctrl-C/SIGTERM turned into its cancel flag. */
static int run_sweep(const struct hvc_density_opts *o, struct hvc_density_outcome *out,
		     struct hvc_error *err)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	struct sigaction old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int r = hvc_density_run(o, out, err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return r;
}

static int report_outcome(const struct hvc_density_outcome *out)
{
	const char *W = "bench density";
	printf("Report: %s/report.md\n", out->out_dir);
	if (out->cancelled) {
		fprintf(stderr,
			"hvc: %s: cancelled by a signal; everything was torn down, partial results "
			"in %s\n",
			W, out->out_dir);
		return 130;
	}
	/* an instance that could not even start at N=1 is a failure of the run */
	for (size_t i = 0; i < out->n_start_failures; i++)
		fprintf(stderr, "hvc: %s: %s: the first instance failed to start: %s\n", W,
			out->start_failures[i].backend, out->start_failures[i].reason);
	return out->n_start_failures ? HVC_EXIT_FAIL : 0;
}

int hvc_cmd_bench_density(int argc, char **argv)
{
	const char *W = "bench density";
	struct density_args a = {
	    .o = {.progress = print_progress, .cmdline = argv, .cancel = &cancel_flag}};
	_cleanup_strv_ char **backends = NULL;
	struct hvc_error err = {0};
	int status = 0;
	int r = parse_args(argc, argv, &a, &status);
	backends = a.backends;
	if (r < 0)
		return status;
	if (a.help) {
		usage(stdout);
		return 0;
	}
	if (a.report_dir) {
		if (hvc_density_report_dir(a.report_dir, &err) < 0)
			return hvc_cli_fail(W, &err, HVC_EXIT_FAIL);
		printf("Report: %s/report.md\n", a.report_dir);
		return 0;
	}
	if (hvc_density_opts_check(&a.o, &err) < 0)
		return hvc_cli_usage_error(W, "%s", err.msg);
	if (resolve_budget(&a, &status) < 0)
		return status;
	a.o.backends = backends;
	struct hvc_density_outcome out = {0};
	if (run_sweep(&a.o, &out, &err) < 0)
		return hvc_cli_fail(W, &err, err.code == EINVAL ? HVC_EXIT_USAGE : HVC_EXIT_FAIL);
	int rc = report_outcome(&out);
	hvc_density_outcome_clear(&out);
	return rc;
}
