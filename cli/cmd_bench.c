/* hvc bench run|report|compare|validate|suite: the benchmark harness's CLI.
 * Parsing and dispatch only; bench/ does the work. */
#include "cli.h"
#include "hvc/bench_harness.h"
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int parse_count(const char *what, const char *s, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > max)
		return hvc_cli_usage_error("bench run", "%s must be a number 0..%d, not \"%s\"",
					   what, max, s);
	*out = (int)v;
	return 0;
}

static volatile int run_cancel;
static void on_interrupt(int sig)
{
	(void)sig;
	run_cancel = 1;
}

/* The progress line on stderr: redrawn in place on a terminal, one line per
 * sample otherwise. */
static void print_progress(void *opaque, const struct hvc_bench_progress *p)
{
	bool tty = *(bool *)opaque;
	if (p->finished) {
		if (tty)
			fprintf(stderr, "\r\033[K");
		return;
	}
	char eta[32] = "?", repstr[32];
	if (p->eta_s >= 0)
		snprintf(eta, sizeof(eta), "%dm%02ds", (int)p->eta_s / 60, (int)p->eta_s % 60);
	if (p->warmup)
		snprintf(repstr, sizeof(repstr), "warm-up %d", p->rep);
	else
		snprintf(repstr, sizeof(repstr), "rep %d/%d", p->rep, p->reps);
	fprintf(stderr, "%s[%s] %-9s %-9s %-13s sample %zu/%zu  ETA %s%s", tty ? "\r\033[K" : "",
		p->suite, p->backend, p->workload, repstr, p->sample, p->total, eta,
		tty ? "" : "\n");
	fflush(stderr);
}

static void run_usage(void)
{
	printf(
	    "Usage: hvc bench run [--suite quick|full|felter|FILE] [--backends LIST] [--workloads LIST]\n"
	    "                     [--reps N] [--warmup N] [--cpus LIST] [--out DIR] "
	    "[--no-progress]\n"
	    "                     [--fileio-on volume|overlay]\n"
	    "Runs the same workloads natively, in containers, in VMs and under runc/crun,\n"
	    "pinned to the same CPUs, and writes results.json, results.csv, report.md and\n"
	    "charts into DIR (default results/<run-id>).\n"
	    "  --backends   comma list of native,container,vm,runc,crun (default: the suite's),\n"
	    "               or container-lib (hvc's runtime as an in-process library call)\n"
	    "               or container-host (hvc run --network host: the network axis)\n"
	    "               or vm-restore (VMs restored from the image's template: vm run --template)\n"
	    "  --workloads  comma list of the suite's workloads (startup,footprint,cpu,mem,...)\n"
	    "  --cpus       CPU list every backend is pinned to (default: first NUMA node)\n"
	    "  --fileio-on  where containers run fileio: a bind-mounted volume beside native's\n"
	    "               directory (volume, default) or their root file system (overlay,\n"
	    "               measured on purpose and labelled so in the results)\n");
}

static int parse_names(const char *what, char ***list)
{
	hvc_strv_free(*list);
	*list = hvc_strv_split(optarg, ',');
	if (!(*list)[0])
		return hvc_cli_usage_error("bench run", "%s needs at least one name", what);
	return 0;
}

/* Parses `bench run` options into o: 0, -1 when --help was printed, or an exit status. */
static int parse_run(int argc, char **argv, struct hvc_bench_options *o, char ***backends,
		     char ***workloads)
{
	static const struct option opts[] = {
	    {"suite", required_argument, NULL, 's'},
	    {"backends", required_argument, NULL, 'b'},
	    {"workloads", required_argument, NULL, 'w'},
	    {"reps", required_argument, NULL, 'n'},
	    {"warmup", required_argument, NULL, 'W'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"out", required_argument, NULL, 'o'},
	    {"no-progress", no_argument, NULL, 'P'},
	    {"fileio-on", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 's':
			o->suite = optarg;
			break;
		case 'b':
			if (parse_names("--backends", backends) != 0)
				return HVC_EXIT_USAGE;
			for (char **p = *backends; *p; p++)
				if (!hvc_bench_backend_find(*p))
					return hvc_cli_usage_error(
					    "bench run",
					    "unknown backend \"%s\" (native, container, vm, runc, "
					    "crun, container-lib, container-host)",
					    *p);
			break;
		case 'w':
			if (parse_names("--workloads", workloads) != 0)
				return HVC_EXIT_USAGE;
			break;
		case 'n':
			if (parse_count("--reps", optarg, 10000, &o->reps) != 0)
				return HVC_EXIT_USAGE;
			if (o->reps == 0)
				return hvc_cli_usage_error("bench run",
							   "--reps must be at least 1");
			break;
		case 'W':
			if (parse_count("--warmup", optarg, 1000, &o->warmup) != 0)
				return HVC_EXIT_USAGE;
			break;
		case 'c':
			o->cpus = optarg;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case 'P':
			o->progress = NULL;
			break;
		case 'F':
			if (strcmp(optarg, "volume") && strcmp(optarg, "overlay"))
				return hvc_cli_usage_error(
				    "bench run",
				    "--fileio-on must be volume or overlay, not \"%s\"", optarg);
			o->fileio_on = optarg;
			break;
		case 'h':
			run_usage();
			return -1;
		default:
			return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("bench run", "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static bool tty;
	struct hvc_bench_options o = {.suite = "quick",
				      .reps = -1,
				      .warmup = -1,
				      .progress = print_progress,
				      .progress_opaque = &tty,
				      .cmdline = argv};
	_cleanup_strv_ char **backends = NULL, **workloads = NULL;
	int pr = parse_run(argc, argv, &o, &backends, &workloads);
	if (pr != 0)
		return pr < 0 ? 0 : pr;
	o.backends = backends;
	o.workloads = workloads;
	tty = o.progress && isatty(2);
	/* libvirt's embedded driver logs on stderr about every domain it starts
	 * ("tainted: high-privileges") and tears down ("domain is not running"),
	 * which would shred the progress line; the VM driver already turns every
	 * libvirt failure into the sample's error. With -v (debug) or a user's
	 * own LIBVIRT_LOG_OUTPUTS, libvirt keeps talking. */
	if (hvc_log_get_level() < HVC_LOG_DEBUG)
		setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0);
	/* Ctrl-C: finish the current sample, then write what was measured */
	o.cancel = &run_cancel;
	struct sigaction sa = {.sa_handler = on_interrupt};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct hvc_error err = {0};
	_cleanup_free_ char *dir = NULL;
	if (hvc_bench_run(&o, &dir, &err) < 0)
		return hvc_cli_fail("bench run", &err, HVC_EXIT_FAIL);
	_cleanup_json_ json_object *r = NULL;
	if (hvc_bench_results_load(dir, &r, &err) < 0)
		return hvc_cli_fail("bench run", &err, HVC_EXIT_FAIL);
	printf("\n");
	hvc_bench_print_summary(stdout, r);
	printf("\nReport: %s/report.md\n", dir);
	return run_cancel ? 128 + SIGINT : 0;
}

static int one_dir_cmd(int argc, char **argv, const char *name, const char *help)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			printf("%s", help);
			return -1;
		}
		return hvc_cli_bad_option(HVC_EXIT_USAGE), -2;
	}
	if (argc - optind != 1)
		return hvc_cli_usage_error(name, "expected one results directory"), -2;
	return optind;
}

static int cmd_report(int argc, char **argv)
{
	int i = one_dir_cmd(
	    argc, argv, "bench report",
	    "Usage: hvc bench report DIR\nRegenerates results.csv, report.md and the charts in DIR "
	    "from DIR/results.json alone.\n");
	if (i < 0)
		return i == -1 ? 0 : HVC_EXIT_USAGE;
	struct hvc_error err = {0};
	if (hvc_bench_report_dir(argv[i], &err) < 0)
		return hvc_cli_fail("bench report", &err, HVC_EXIT_FAIL);
	printf("%s/report.md\n", argv[i]);
	return 0;
}

static int cmd_validate(int argc, char **argv)
{
	int i = one_dir_cmd(
	    argc, argv, "bench validate",
	    "Usage: hvc bench validate DIR\nChecks DIR/results.json against the results schema "
	    "(docs/results-schema.md).\n");
	if (i < 0)
		return i == -1 ? 0 : HVC_EXIT_USAGE;
	struct hvc_error err = {0};
	_cleanup_json_ json_object *r = NULL;
	if (hvc_bench_results_load(argv[i], &r, &err) < 0)
		return hvc_cli_fail("bench validate", &err, HVC_EXIT_FAIL);
	printf("%s/results.json: valid (%s version %d)\n", argv[i], HVC_BENCH_SCHEMA,
	       HVC_BENCH_SCHEMA_VERSION);
	return 0;
}

/* Exit statuses of `bench compare` beyond 0/1/2 (docs/bench.md, docs/stats.md):
 * the gate a CI job reads. */
enum {
	COMPARE_EXIT_REGRESSION = 3,	 /* a flagged regression */
	COMPARE_EXIT_NOT_COMPARABLE = 4, /* host/kernel/accelerator/suite differ, no --force */
};

struct compare_cli {
	struct hvc_bench_compare_opts o;
	bool json, force;
	const char *out; /* --out DIR: compare.json and the chart */
};

static void compare_usage(void)
{
	printf("Usage: hvc bench compare [--min-change PCT] [--alpha P] [--json] [--force] "
	       "[--out DIR] DIR1 DIR2\n"
	       "Per-metric change from run DIR1 to run DIR2, with a permutation test on the raw\n"
	       "samples, Holm-Bonferroni-adjusted over all the metrics compared; a change is\n"
	       "flagged only when the adjusted p < alpha (default 0.05) AND the medians differ\n"
	       "by at least PCT percent (default 5).\n"
	       "  --force    compare runs that differ in host, CPU, kernel, accelerator or suite\n"
	       "             (otherwise refused)\n"
	       "  --out DIR  also write compare.json and the chart compare.png/.svg (.dat, .gp)\n"
	       "Exit status: 0 no flagged regression, 1 error, 2 usage, 3 a flagged regression,\n"
	       "4 the runs are not comparable (without --force).\n");
}

/* 0, -1 when --help was printed, or an exit status. */
static int parse_compare(int argc, char **argv, struct compare_cli *cl)
{
	static const struct option opts[] = {
	    {"min-change", required_argument, NULL, 'm'},
	    {"alpha", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"force", no_argument, NULL, 'f'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		char *end;
		switch (c) {
		case 'm':
			cl->o.min_change = strtod(optarg, &end) / 100.0;
			if (!*optarg || *end || cl->o.min_change < 0)
				return hvc_cli_usage_error(
				    "bench compare", "--min-change takes a percentage, not \"%s\"",
				    optarg);
			break;
		case 'a':
			cl->o.alpha = strtod(optarg, &end);
			if (!*optarg || *end || cl->o.alpha <= 0 || cl->o.alpha >= 1)
				return hvc_cli_usage_error("bench compare",
							   "--alpha must be in (0, 1), not \"%s\"",
							   optarg);
			break;
		case 'j':
			cl->json = true;
			break;
		case 'f':
			cl->force = true;
			break;
		case 'o':
			cl->out = optarg;
			break;
		case 'h':
			compare_usage();
			return -1;
		default:
			return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind != 2)
		return hvc_cli_usage_error("bench compare", "expected two results directories");
	return 0;
}

/* The gate before any figure: runs from different hosts, kernels,
 * accelerators or suites are refused unless --force, and warned about then. */
static int compare_gate(json_object *a, json_object *b, bool force)
{
	_cleanup_strv_ char **diff = hvc_bench_compare_mismatches(a, b);
	if (!diff[0])
		return 0;
	if (force) {
		for (char **d = diff; *d; d++)
			hvc_warn("bench compare: the runs differ in %s", *d);
		return 0;
	}
	_cleanup_free_ char *all = hvc_xstrdup(diff[0]);
	for (char **d = diff + 1; *d; d++) {
		char *more = hvc_xasprintf("%s; %s", all, *d);
		free(all);
		all = more;
	}
	struct hvc_error err = {0};
	hvc_err(&err, 0, "the runs differ in %s: not compared (--force to compare anyway)", all);
	return hvc_cli_fail("bench compare", &err, COMPARE_EXIT_NOT_COMPARABLE);
}

/* --out DIR: the comparison as JSON and its chart. */
static int compare_write(const char *dir, json_object *cmp, struct hvc_error *err)
{
	if (hvc_mkdir_p(dir, 0755, err) < 0)
		return -1;
	_cleanup_free_ char *p = hvc_path_join(dir, "compare.json");
	const char *text = hvc_json_pretty(cmp);
	if (hvc_write_file(p, text, strlen(text), 0644, err) < 0)
		return -1;
	_cleanup_free_ char *fails = NULL;
	if (hvc_bench_plot_compare(cmp, dir, true, &fails, err) < 0)
		return -1;
	if (fails && *fails)
		hvc_warn("chart: %s", fails);
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct compare_cli cl = {.o = {.alpha = 0.05, .min_change = 0.05, .rounds = 10000}};
	int pr = parse_compare(argc, argv, &cl);
	if (pr != 0)
		return pr < 0 ? 0 : pr;
	struct hvc_error err = {0};
	_cleanup_json_ json_object *a = NULL, *b = NULL, *cmp = NULL;
	if (hvc_bench_results_load(argv[optind], &a, &err) < 0 ||
	    hvc_bench_results_load(argv[optind + 1], &b, &err) < 0)
		return hvc_cli_fail("bench compare", &err, HVC_EXIT_FAIL);
	int gate = compare_gate(a, b, cl.force);
	if (gate != 0)
		return gate;
	if (hvc_bench_compare(a, b, &cl.o, &cmp, &err) < 0 ||
	    (cl.out && compare_write(cl.out, cmp, &err) < 0))
		return hvc_cli_fail("bench compare", &err, HVC_EXIT_FAIL);
	if (cl.json)
		printf("%s\n", hvc_json_pretty(cmp));
	else
		hvc_bench_compare_print(stdout, cmp);
	return hvc_bench_compare_regressions(cmp) ? COMPARE_EXIT_REGRESSION : 0;
}

static int cmd_suite(int argc, char **argv)
{
	int r = hvc_cli_parse_none(argc, argv,
				   "Usage: hvc bench suite quick|full|felter|FILE\nPrints a suite's definition (the "
				   "JSON format --suite FILE takes).\n");
	if (r >= 0)
		return r;
	if (argc != 2)
		return hvc_cli_usage_error("bench suite", "expected one suite name or FILE");
	struct hvc_error err = {0};
	struct hvc_bench_suite *s = NULL;
	if (hvc_bench_suite_load(argv[1], &s, &err) < 0)
		return hvc_cli_fail("bench suite", &err, HVC_EXIT_FAIL);
	printf("%s\n", hvc_json_pretty(s->source));
	hvc_bench_suite_free(s);
	return 0;
}

static const struct hvc_cli_cmd bench_cmds[] = {
    {"run", cmd_run, "run a benchmark suite and write results, report and charts"},
    {"report", cmd_report, "regenerate report.md, results.csv and charts from results.json"},
    {"compare", cmd_compare, "per-metric change between two runs, with significance"},
    {"validate", cmd_validate, "check a results.json against the schema"},
    {"suite", cmd_suite, "print a suite's definition"},
    {"density", hvc_cmd_bench_density,
     "density sweep: how many instances fit, and what each costs"},
    {NULL, NULL, NULL},
};

int hvc_cmd_bench(int argc, char **argv)
{
	return hvc_cli_dispatch("bench", bench_cmds, argc - 1, argv + 1);
}
