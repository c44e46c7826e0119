/* hvc stats [--no-stream] [--json] [NAME...]: memory, CPU and pids of running
 * containers from their cgroups (CPU % over the sampling interval). */
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

#define SAMPLE_US 500000

/* 0 to go on, -1 after --help, or an exit status. */
static int parse(int argc, char **argv, bool *stream, bool *json)
{
	static const struct option opts[] = {
		{ "no-stream", no_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'n': *stream = false; break;
		case 'j': *json = true; *stream = false; break;
		case 'h': printf("Usage: hvc stats [--no-stream] [--json] [CONTAINER...]\n"); return -1;
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

static void print_header(bool stream)
{
	if (stream)
		printf("\033[2J\033[H");
	printf("%-12s  %-20s  %7s  %12s  %12s  %12s  %6s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE",
	       "MEM PEAK", "MEM LIMIT", "PIDS");
}

static void print_row(const char *id, const char *name, double cpu, const struct hvc_ctr_stats *s)
{
	char a[32], b[32], l[32];
	printf("%-12.12s  %-20s  %6.2f%%  %12s  %12s  %12s  %6llu\n", id, name ? name : "", cpu,
	       hvc_format_size(s->mem_current, a, sizeof(a)), hvc_format_size(s->mem_peak, b, sizeof(b)),
	       s->mem_limit == UINT64_MAX ? "-" : hvc_format_size(s->mem_limit, l, sizeof(l)),
	       (unsigned long long)s->pids_current);
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
static void sample_one(const char *id, uint64_t *prev_cpu, uint64_t dt, json_object *arr)
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
	if (arr)
		json_object_array_add(arr, row_json(id, spec.name, cpu, &s));
	else
		print_row(id, spec.name, cpu, &s);
	hvc_ctr_spec_free(&spec);
}

static void sample_all(char **ids, uint64_t *prev_cpu, uint64_t dt, bool stream, bool json)
{
	_cleanup_json_ json_object *arr = json ? json_object_new_array() : NULL;
	if (!json)
		print_header(stream);
	for (size_t i = 0; ids && ids[i]; i++)
		sample_one(ids[i], &prev_cpu[i], dt, arr);
	if (json)
		printf("%s\n", hvc_json_pretty(arr));
	fflush(stdout);
}

int hvc_cmd_stats(int argc, char **argv)
{
	bool stream = true, json = false;
	int rc = parse(argc, argv, &stream, &json);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
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
		sample_all(ids, prev_cpu, now > t_prev ? now - t_prev : 0, stream, json);
		t_prev = now;
	} while (stream);
	return 0;
}
