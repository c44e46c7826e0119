/* hvc-workload: the identical workloads every backend runs. Parses the
 * command line into struct wl_opts and dispatches to one workload file
 * (workload-<name>.c); each prints exactly one JSON line of results on
 * stdout. Reference: docs/workloads.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

/* Hidden: the child that `forkexec` execs. Exits with the given status so
 * the parent can check that its own binary really ran. */
static int wl_exit(int argc, char **argv)
{
	return argc > 2 ? atoi(argv[2]) & 0xff : 0;
}

static const struct wl_spec specs[] = {
    {"idle", wl_idle, WL_OPT_SECONDS, "[SECONDS|inf]  print the result line at once, then sleep"},
    {"cpu", wl_cpu,
     WL_OPT_SECONDS | WL_OPT_SIZE | WL_OPT_THREADS | WL_OPT_KERNEL | WL_OPT_CORRUPT |
	 WL_OPT_MIN_SECONDS,
     "[--kernel sha256|dgemm] [--size BYTES|N] [--seconds S] [--threads N]"},
    {"mem", wl_mem,
     WL_OPT_SIZE | WL_OPT_THREADS | WL_OPT_ITERATIONS | WL_OPT_CORRUPT | WL_OPT_MIN_SECONDS,
     "[--size BYTES-PER-ARRAY] [--iterations N] [--threads N]  (STREAM)"},
    {"randmem", wl_randmem,
     WL_OPT_SIZE | WL_OPT_THREADS | WL_OPT_ITERATIONS | WL_OPT_COUNT | WL_OPT_CORRUPT |
	 WL_OPT_MIN_SECONDS,
     "[--size TABLE-BYTES] [--iterations UPDATES-PER-ENTRY | --count UPDATES-PER-PASS]\n"
     "            [--threads N]  (HPCC RandomAccess, GUPS)"},
    {"syscall", wl_syscall, WL_OPT_SECONDS | WL_OPT_COUNT | WL_OPT_CORRUPT | WL_OPT_MIN_SECONDS,
     "[--seconds S | --count CALLS]  (getppid round trip)"},
    {"forkexec", wl_forkexec,
     WL_OPT_SECONDS | WL_OPT_COUNT | WL_OPT_THREADS | WL_OPT_CORRUPT | WL_OPT_MIN_SECONDS,
     "[--seconds S | --count PROCESSES] [--threads N]  (fork + exec + wait of itself)"},
    {"fileio", wl_fileio,
     WL_OPT_DIR | WL_OPT_SIZE | WL_OPT_BLOCK | WL_OPT_SECONDS | WL_OPT_CORRUPT |
	 WL_OPT_MIN_SECONDS | WL_OPT_DIRECT,
     "[DIR] [--size FILE-BYTES] [--block BYTES] [--seconds S-PER-RANDOM-PHASE]\n"
     "            [--direct auto|on|off]"},
    {"net-server", wl_net_server, WL_OPT_LISTEN | WL_OPT_IDLE | WL_OPT_COUNT,
     "[--listen ADDR:PORT] [--idle-seconds S] [--count RUNS]  (the peer; prints its\n"
     "            ready line, then serves net-stream, net-rr and net-crr)"},
    {"net-stream", wl_net_stream,
     WL_OPT_SERVER | WL_OPT_SECONDS | WL_OPT_SIZE | WL_OPT_THREADS | WL_OPT_DIRECTION |
	 WL_OPT_CORRUPT | WL_OPT_MIN_SECONDS,
     "--server ADDR:PORT [--direction up|down|both] [--seconds S-PER-DIRECTION]\n"
     "            [--size RECORD-BYTES] [--threads STREAMS]  (TCP bulk, Gbit/s)"},
    {"net-rr", wl_net_rr,
     WL_OPT_SERVER | WL_OPT_SECONDS | WL_OPT_SIZE | WL_OPT_THREADS | WL_OPT_CORRUPT |
	 WL_OPT_MIN_SECONDS,
     "--server ADDR:PORT [--seconds S] [--size BYTES] [--threads N]  (TCP_RR)"},
    {"net-crr", wl_net_crr,
     WL_OPT_SERVER | WL_OPT_SECONDS | WL_OPT_SIZE | WL_OPT_THREADS | WL_OPT_CORRUPT |
	 WL_OPT_MIN_SECONDS,
     "--server ADDR:PORT [--seconds S] [--size BYTES] [--threads N]  (TCP_CRR)"},
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

/* The options, by name; which a workload accepts is its spec's bit set. */
static const struct {
	const char *name;
	unsigned bit;
	bool takes_value;
} options[] = {
    {"seconds", WL_OPT_SECONDS, true},	   {"size", WL_OPT_SIZE, true},
    {"threads", WL_OPT_THREADS, true},	   {"iterations", WL_OPT_ITERATIONS, true},
    {"kernel", WL_OPT_KERNEL, true},	   {"dir", WL_OPT_DIR, true},
    {"block", WL_OPT_BLOCK, true},	   {"self-test-corrupt", WL_OPT_CORRUPT, false},
    {"count", WL_OPT_COUNT, true},	   {"min-seconds", WL_OPT_MIN_SECONDS, true},
    {"direct", WL_OPT_DIRECT, true},	   {"server", WL_OPT_SERVER, true},
    {"listen", WL_OPT_LISTEN, true},	   {"idle-seconds", WL_OPT_IDLE, true},
    {"direction", WL_OPT_DIRECTION, true},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: hvc-workload WORKLOAD [OPTIONS]   (one JSON result line on stdout)\n");
	for (size_t i = 0; i < N_SPECS; i++)
		fprintf(f, "  %-9s %s\n", specs[i].name, specs[i].usage);
	fprintf(f, "  list      print the workload names\n");
	fprintf(f, "  every workload but idle and net-server takes --min-seconds S: repeat\n"
		   "  the measured kernel until it has run at least S seconds (\"measured_s\",\n"
		   "  \"repeats\")\n");
}

/* A usage error still prints the failure JSON line (the harness reads stdout). */
static int bad_usage(const char *workload, const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	wl_fail(workload, "usage: %s (see hvc-workload --help)", msg);
	return 2;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* set_option for the network workloads' options. */
static int set_net_option(const struct wl_spec *spec, unsigned bit, const char *val,
			  struct wl_opts *o)
{
	switch (bit) {
	case WL_OPT_IDLE: {
		char *end;
		o->idle_seconds = strtod(val, &end);
		if (*end || end == val || !(o->idle_seconds >= 0) || o->idle_seconds > 1e7)
			return bad_usage(spec->name, "bad idle time \"%s\" (seconds, >= 0)", val);
		break;
	}
	case WL_OPT_DIRECTION:
		if (strcmp(val, "up") && strcmp(val, "down") && strcmp(val, "both"))
			return bad_usage(spec->name, "bad --direction \"%s\" (up, down or both)",
					 val);
		o->direction = val;
		break;
	case WL_OPT_SERVER:
		o->server = val;
		break;
	case WL_OPT_LISTEN:
		o->listen = val;
		break;
	}
	return 0;
}

/* Stores one option's value in *o; 0, or a usage error's exit status. */
static int set_option(const struct wl_spec *spec, unsigned bit, const char *val, struct wl_opts *o)
{
	switch (bit) {
	case WL_OPT_SECONDS: {
		char *end;
		if (!strcmp(val, "inf") && !strcmp(spec->name, "idle")) {
			o->seconds = 1e300;
			break;
		}
		o->seconds = strtod(val, &end);
		if (*end || end == val || !(o->seconds >= 0) || o->seconds > 1e7)
			return bad_usage(spec->name, "bad duration \"%s\" (seconds, >= 0)", val);
		break;
	}
	case WL_OPT_MIN_SECONDS: {
		char *end;
		o->min_seconds = strtod(val, &end);
		if (*end || end == val || !(o->min_seconds >= 0) || o->min_seconds > 1e5)
			return bad_usage(spec->name, "bad minimum duration \"%s\" (seconds, >= 0)",
					 val);
		break;
	}
	case WL_OPT_DIRECT:
		if (strcmp(val, "auto") && strcmp(val, "on") && strcmp(val, "off"))
			return bad_usage(spec->name, "bad --direct \"%s\" (auto, on or off)", val);
		o->direct = val;
		break;
	case WL_OPT_SIZE:
	case WL_OPT_BLOCK: {
		uint64_t v;
		if (wl_parse_size(val, &v) < 0 || v == 0)
			return bad_usage(spec->name, "bad size \"%s\" (e.g. 4096, 64k, 256m, 1g)",
					 val);
		*(bit == WL_OPT_SIZE ? &o->size : &o->block) = v;
		break;
	}
	case WL_OPT_THREADS:
		if (parse_uint(val, 1024, &o->threads) < 0)
			return bad_usage(spec->name, "bad thread count \"%s\" (1..1024)", val);
		break;
	case WL_OPT_ITERATIONS:
		if (parse_uint(val, 1000000, &o->iterations) < 0)
			return bad_usage(spec->name, "bad iteration count \"%s\"", val);
		break;
	case WL_OPT_COUNT: {
		char *end;
		if (*val < '0' || *val > '9')
			return bad_usage(spec->name, "bad count \"%s\" (a positive integer)", val);
		o->count = strtoull(val, &end, 10);
		if (*end || o->count == 0 || o->count > 1000000000000ull)
			return bad_usage(spec->name, "bad count \"%s\" (a positive integer)", val);
		break;
	}
	case WL_OPT_KERNEL:
		o->kernel = val;
		break;
	case WL_OPT_DIR:
		o->dir = val;
		break;
	case WL_OPT_CORRUPT:
		o->corrupt = true;
		break;
	default:
		return set_net_option(spec, bit, val, o);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "exit"))
		return wl_exit(argc, argv);
	if (!strcmp(argv[1], "list")) {
		for (size_t i = 0; i < N_SPECS; i++)
			puts(specs[i].name);
		return 0;
	}
	const struct wl_spec *spec = NULL;
	for (size_t i = 0; i < N_SPECS; i++)
		if (!strcmp(argv[1], specs[i].name))
			spec = &specs[i];
	if (!spec) {
		usage(stderr);
		return bad_usage(argv[1], "unknown workload \"%s\"", argv[1]);
	}

	struct wl_opts o = {
	    .name = spec->name, .self = argv[0], .seconds = -1, .threads = 1, .idle_seconds = -1};
	int npos = 0;
	for (int i = 2; i < argc; i++) {
		char *a = argv[i], *val = NULL;
		if (strncmp(a, "--", 2) != 0) {
			/* One positional: idle's SECONDS, fileio's DIR. */
			if (npos++ > 0)
				return bad_usage(spec->name, "unexpected argument \"%s\"", a);
			if (spec->accepts & WL_OPT_DIR)
				o.dir = a;
			else if (!strcmp(spec->name, "idle"))
				val = a, a = "--seconds";
			else
				return bad_usage(spec->name, "unexpected argument \"%s\"", a);
			if (!val)
				continue;
		}
		char name[64];
		snprintf(name, sizeof(name), "%s", a + 2);
		char *eq = strchr(name, '=');
		if (eq && !val) {
			*eq = '\0';
			val = strchr(a, '=') + 1;
		}
		size_t k;
		for (k = 0; k < N_OPTIONS; k++)
			if (!strcmp(name, options[k].name))
				break;
		if (k == N_OPTIONS || !(spec->accepts & options[k].bit))
			return bad_usage(spec->name, "unknown option \"%s\" for this workload", a);
		if (options[k].takes_value && !val) {
			if (i + 1 >= argc)
				return bad_usage(spec->name, "option \"%s\" needs a value", a);
			val = argv[++i];
		} else if (!options[k].takes_value && val) {
			return bad_usage(spec->name, "option \"%s\" takes no value", a);
		}
		int rc = set_option(spec, options[k].bit, val, &o);
		if (rc)
			return rc;
	}
	if (o.count && o.seconds >= 0)
		return bad_usage(spec->name, "%s", "--count and --seconds exclude each other");
	return spec->run(&o);
}
