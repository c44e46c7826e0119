/* hvc stats [--no-stream] [--json] [--format F] [NAME...]: memory, CPU and
 * pids of running containers from their cgroups (CPU % over the sampling
 * interval). --json is hvc's own rows; the table and --format use docker's
 * field names. */
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "format.h"
#include "hvc/container.h"

#define SAMPLE_US 500000

static const struct hvc_fmt_field stats_fields[] = {
	{ "ID", "CONTAINER ID" },   { "Container", "CONTAINER" }, { "Name", "NAME" },
	{ "CPUPerc", "CPU %" },	    { "MemUsage", "MEM USAGE / LIMIT" }, { "MemPerc", "MEM %" },
	{ "MemPeak", "MEM PEAK" }, { "PIDs", "PIDS" },		  { NULL, NULL },
};
#define STATS_TABLE "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.MemPeak}}\\t{{.PIDs}}"

struct stats_opts {
	bool stream, json;
	const char *format;
};

static void usage(void)
{
	printf("Usage: hvc stats [--no-stream] [--json] [--format FORMAT] [CONTAINER...]\n"
	       "Memory, CPU and pids of running containers (all of them when none is named).\n\n"
	       "      --no-stream   one sample, then exit\n"
	       "      --json        one sample as hvc's JSON rows (implies --no-stream)\n"
	       "      --format F    json, table [TEMPLATE], or a template such as '{{.Name}} {{.CPUPerc}}'\n"
	       "                    fields: ID Container Name CPUPerc MemUsage MemPerc MemPeak PIDs\n");
}

/* 0 to go on, -1 after --help, or an exit status. */
static int parse(int argc, char **argv, struct stats_opts *o)
{
	static const struct option opts[] = {
		{ "no-stream", no_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'n': o->stream = false; break;
		case 'j': o->json = true; o->stream = false; break;
		case 'F': o->format = optarg; hvc_cli_set_format(optarg); break;
		case 'h': usage(); return -1;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	return 0;
}

/* The containers named, or all of them. */
static int resolve(int argc, char **argv, char ***ids)
{
	struct hvc_error err = { 0 };
	if (optind >= argc)
		return hvc_ctr_list(ids, &err) < 0 ? hvc_cli_fail("stats", &err, HVC_EXIT_FAIL) : 0;
	for (int i = optind; i < argc; i++) {
		char id[HVC_CTR_ID_LEN + 1];
		if (hvc_ctr_lookup(argv[i], id, &err) < 0)
			return hvc_cli_fail("stats", &err, HVC_EXIT_FAIL);
		hvc_strv_push(ids, id);
	}
	return 0;
}

static json_object *row_docker(const char *id, const char *name, double cpu, const struct hvc_ctr_stats *s)
{
	char a[32], b[32], buf[96];
	json_object *o = json_object_new_object();
	snprintf(buf, sizeof(buf), "%.12s", id);
	hvc_json_add_string(o, "ID", buf);
	hvc_json_add_string(o, "Container", name ? name : buf);
	hvc_json_add_string(o, "Name", name ? name : "");
	snprintf(buf, sizeof(buf), "%.2f%%", cpu);
	hvc_json_add_string(o, "CPUPerc", buf);
	bool limited = s->mem_limit != UINT64_MAX;
	snprintf(buf, sizeof(buf), "%s / %s", hvc_format_size(s->mem_current, a, sizeof(a)),
		 limited ? hvc_format_size(s->mem_limit, b, sizeof(b)) : "-");
	hvc_json_add_string(o, "MemUsage", buf);
	if (limited && s->mem_limit)
		snprintf(buf, sizeof(buf), "%.2f%%", 100.0 * (double)s->mem_current / (double)s->mem_limit);
	else
		snprintf(buf, sizeof(buf), "-");
	hvc_json_add_string(o, "MemPerc", buf);
	hvc_json_add_string(o, "MemPeak", hvc_format_size(s->mem_peak, a, sizeof(a)));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->pids_current);
	hvc_json_add_string(o, "PIDs", buf);
	return o;
}

static json_object *row_json(const char *id, const char *name, double cpu, const struct hvc_ctr_stats *s)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "id", id);
	hvc_json_add_string(o, "name", name);
	hvc_json_add_double(o, "cpu_percent", cpu);
	hvc_json_add_int(o, "cpu_usage_ns", (int64_t)s->cpu_usage_ns);
	hvc_json_add_int(o, "memory_current", (int64_t)s->mem_current);
	hvc_json_add_int(o, "memory_peak", (int64_t)s->mem_peak);
	if (s->mem_limit != UINT64_MAX)
		hvc_json_add_int(o, "memory_limit", (int64_t)s->mem_limit);
	hvc_json_add_int(o, "pids", (int64_t)s->pids_current);
	if (s->pids_limit != UINT64_MAX)
		hvc_json_add_int(o, "pids_limit", (int64_t)s->pids_limit);
	return o;
}

/* One container's row (nothing when it is not running); *prev_cpu is its
 * CPU time at the previous sample, dt the time since. */
static void sample_one(const char *id, uint64_t *prev_cpu, uint64_t dt, bool json, json_object *arr)
{
	struct hvc_ctr_state st;
	struct hvc_ctr_stats s;
	struct hvc_ctr_spec spec;
	if (hvc_ctr_state_read(id, &st, NULL) < 0 || st.status != HVC_CTR_RUNNING ||
	    hvc_ctr_stats_read(id, &s, NULL) < 0)
		return;
	if (hvc_ctr_config_read(id, &spec, NULL, NULL) < 0)
		return;
	double cpu = dt ? 100.0 * (double)(s.cpu_usage_ns - *prev_cpu) / (double)dt : 0;
	*prev_cpu = s.cpu_usage_ns;
	json_object_array_add(arr, json ? row_json(id, spec.name, cpu, &s) : row_docker(id, spec.name, cpu, &s));
	hvc_ctr_spec_free(&spec);
}

static void sample_all(char **ids, uint64_t *prev_cpu, uint64_t dt, const struct stats_opts *o,
		       const struct hvc_fmt *fmt)
{
	_cleanup_json_ json_object *arr = json_object_new_array();
	for (size_t i = 0; ids && ids[i]; i++)
		sample_one(ids[i], &prev_cpu[i], dt, o->json, arr);
	if (o->stream)
		printf("\033[2J\033[H");
	if (o->json)
		printf("%s\n", hvc_json_pretty(arr));
	else
		hvc_fmt_print(fmt, arr, stdout);
	fflush(stdout);
}

int hvc_cmd_stats(int argc, char **argv)
{
	struct stats_opts o = { .stream = true };
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(o.format, STATS_TABLE, stats_fields, &err);
	if (!fmt)
		return hvc_cli_fail("stats", &err, HVC_EXIT_USAGE);
	_cleanup_strv_ char **ids = NULL;
	if ((rc = resolve(argc, argv, &ids)) != 0)
		return rc;
	size_t n = hvc_strv_len(ids);
	_cleanup_free_ uint64_t *prev_cpu = hvc_xcalloc(n + 1, sizeof(uint64_t));
	for (size_t i = 0; i < n; i++) {
		struct hvc_ctr_stats s;
		if (hvc_ctr_stats_read(ids[i], &s, NULL) == 0)
			prev_cpu[i] = s.cpu_usage_ns;
	}
	uint64_t t_prev = hvc_now_ns();
	do {
		usleep(SAMPLE_US);
		uint64_t now = hvc_now_ns();
		sample_all(ids, prev_cpu, now > t_prev ? now - t_prev : 0, &o, fmt);
		t_prev = now;
	} while (o.stream);
	return 0;
}
