/* bench/phases: the start-up phases the backends record in their samples
 * (ms from the request), read back for the report's list and the phase
 * chart. Pure: reads a results document. */
#include "hvc/bench_harness.h"
#include <math.h>
#include <string.h>

static bool is_startup_sample_of(json_object *s, const char *backend)
{
	return !strcmp(hvc_json_get_string(s, "backend") ?: "", backend) &&
	       !strcmp(hvc_json_get_string(s, "workload") ?: "", "startup") &&
	       !hvc_json_get_bool(s, "warmup", false);
}

json_object *hvc_bench_phase_names(json_object *results, const char *backend)
{
	json_object *ss = hvc_json_get(results, "samples");
	for (size_t j = 0; j < json_object_array_length(ss); j++) {
		json_object *s = json_object_array_get_idx(ss, j);
		if (is_startup_sample_of(s, backend) && hvc_json_get(s, "phases"))
			return hvc_json_get(s, "phases");
	}
	return NULL;
}

double hvc_bench_phase_median(json_object *results, const char *backend, const char *phase)
{
	json_object *ss = hvc_json_get(results, "samples");
	double vals[1024];
	size_t n = 0;
	for (size_t j = 0; j < json_object_array_length(ss) && n < 1024; j++) {
		json_object *s = json_object_array_get_idx(ss, j);
		json_object *v = is_startup_sample_of(s, backend)
				     ? hvc_json_get(hvc_json_get(s, "phases"), phase)
				     : NULL;
		if (v)
			vals[n++] = json_object_get_double(v);
	}
	/* median by insertion sort: n is small */
	for (size_t a = 1; a < n; a++)
		for (size_t c = a; c > 0 && vals[c - 1] > vals[c]; c--) {
			double t = vals[c];
			vals[c] = vals[c - 1];
			vals[c - 1] = t;
		}
	return n == 0 ? NAN : n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
}
