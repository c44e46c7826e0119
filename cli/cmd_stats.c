/* hvc stats [--no-stream] [--json] [NAME...]: memory, CPU and pids of running
 * containers from their cgroups (CPU % over the sampling interval). */
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-stream", no_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool stream = true, json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': stream = false; break;
		case 'j': json = true; stream = false; break;
		case 'h': printf("Usage: hvc stats [--no-stream] [--json] [CONTAINER...]\n"); return 0;
		default: return hvc_cli_usage_error("stats", "bad option");
		}
	}
	struct hvc_error err = { 0 };
	_cleanup_strv_ char **ids = NULL;
	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			char id[HVC_CTR_ID_LEN + 1];
			if (hvc_ctr_lookup(argv[i], id, &err) < 0)
				return hvc_cli_fail("stats", &err, HVC_EXIT_FAIL);
			hvc_strv_push(&ids, id);
		}
	} else if (hvc_ctr_list(&ids, &err) < 0) {
		return hvc_cli_fail("stats", &err, HVC_EXIT_FAIL);
	}
	size_t n = hvc_strv_len(ids);
	uint64_t *prev = calloc(n + 1, sizeof(uint64_t));
	for (size_t i = 0; i < n; i++) {
		struct hvc_ctr_stats s;
		if (hvc_ctr_stats_read(ids[i], &s, NULL) == 0)
			prev[i] = s.cpu_usage_ns;
	}
	uint64_t t_prev = hvc_now_ns();
	for (;;) {
		usleep(500000);
		uint64_t now = hvc_now_ns();
		_cleanup_json_ json_object *arr = json_object_new_array();
		if (!json) {
			if (stream)
				printf("\033[2J\033[H");
			printf("%-12s  %-20s  %7s  %12s  %12s  %12s  %6s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE",
			       "MEM PEAK", "MEM LIMIT", "PIDS");
		}
		for (size_t i = 0; i < n; i++) {
			struct hvc_ctr_state st;
			struct hvc_ctr_stats s;
			struct hvc_ctr_spec spec;
			if (hvc_ctr_state_read(ids[i], &st, NULL) < 0 || st.status != HVC_CTR_RUNNING ||
			    hvc_ctr_stats_read(ids[i], &s, NULL) < 0)
				continue;
			if (hvc_ctr_config_read(ids[i], &spec, NULL, NULL) < 0)
				continue;
			double cpu = now > t_prev ? 100.0 * (double)(s.cpu_usage_ns - prev[i]) / (double)(now - t_prev) : 0;
			prev[i] = s.cpu_usage_ns;
			if (json) {
				json_object *o = json_object_new_object();
				hvc_json_add_string(o, "id", ids[i]);
				hvc_json_add_string(o, "name", spec.name);
				hvc_json_add_double(o, "cpu_percent", cpu);
				hvc_json_add_int(o, "cpu_usage_ns", (int64_t)s.cpu_usage_ns);
				hvc_json_add_int(o, "memory_current", (int64_t)s.mem_current);
				hvc_json_add_int(o, "memory_peak", (int64_t)s.mem_peak);
				if (s.mem_limit != UINT64_MAX)
					hvc_json_add_int(o, "memory_limit", (int64_t)s.mem_limit);
				hvc_json_add_int(o, "pids", (int64_t)s.pids_current);
				if (s.pids_limit != UINT64_MAX)
					hvc_json_add_int(o, "pids_limit", (int64_t)s.pids_limit);
				json_object_array_add(arr, o);
			} else {
				char a[32], b[32], l[32];
				printf("%-12.12s  %-20s  %6.2f%%  %12s  %12s  %12s  %6llu\n", ids[i], spec.name ? spec.name : "",
				       cpu, hvc_format_size(s.mem_current, a, sizeof(a)), hvc_format_size(s.mem_peak, b, sizeof(b)),
				       s.mem_limit == UINT64_MAX ? "-" : hvc_format_size(s.mem_limit, l, sizeof(l)),
				       (unsigned long long)s.pids_current);
			}
			hvc_ctr_spec_free(&spec);
		}
		t_prev = now;
		if (json)
			printf("%s\n", hvc_json_pretty(arr));
		fflush(stdout);
		if (!stream)
			break;
	}
	free(prev);
	return 0;
}
