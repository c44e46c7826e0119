/* bench/density_phases: the density report's start-up phase chart
 * (density-phases.{dat,gp,png,svg}), drawn by the harness's phase chart so
 * the bench and density reports read alike. One bar per backend that ran,
 * from the instances of its first step (the fewest started at once, the
 * closest to a lone start): the median time from the start request to
 * "started" (container: its init exec'd; VM: the domain created) and to
 * READY (the workload's first line; hvc-init's READY). */
#include "density_internal.h"
#include "hvc/stats.h"
#include <math.h>
#include <string.h>

/* The median of one member over the running instances of a step (NaN: none). */
static double instances_median(json_object *insts, const char *key)
{
	double v[256];
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(insts) && n < 256; i++) {
		json_object *in = json_object_array_get_idx(insts, i);
		json_object *x = hvc_json_get(in, key);
		if (x && !strcmp(hvc_json_get_string(in, "state") ?: "", "running"))
			v[n++] = json_object_get_double(x);
	}
	return hvc_stats_quantile(v, n, 0.5);
}

static void phase_bar(json_object *b, struct hvc_bench_phase_bar *bar)
{
	memset(bar, 0, sizeof(*bar));
	bar->backend = hvc_json_get_string(b, "name");
	json_object *steps = hvc_json_get(b, "steps");
	if (!steps || json_object_array_length(steps) == 0)
		return;
	json_object *insts = hvc_json_get(json_object_array_get_idx(steps, 0), "instances");
	if (!insts || !json_object_is_type(insts, json_type_array))
		return;
	double started = instances_median(insts, "started_ms");
	double ready = instances_median(insts, "ready_ms");
	/* a container's exec and READY can fall in the same millisecond: READY
	 * alone then, not a segment of zero width */
	if (isfinite(started) && started > 0 && !(started >= ready)) {
		bar->phase[bar->n] = "started";
		bar->ms[bar->n++] = started;
	}
	if (isfinite(ready) && ready > 0) {
		bar->phase[bar->n] = "READY";
		bar->ms[bar->n++] = ready;
	}
}

/* The bars of the backends that ran; returns how many have a phase. */
static size_t phase_bars(json_object *d, struct hvc_bench_phase_bar *bars, size_t max, size_t *n)
{
	json_object *bs = hvc_json_get(d, "backends");
	size_t nb = bs && json_object_is_type(bs, json_type_array) ? json_object_array_length(bs)
								   : 0;
	size_t drawn = 0;
	*n = 0;
	for (size_t i = 0; i < nb && *n < max; i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!hvc_json_get_bool(b, "available", false))
			continue;
		phase_bar(b, &bars[*n]);
		drawn += bars[(*n)++].n > 0;
	}
	return drawn;
}

bool density_has_phases(json_object *d)
{
	struct hvc_bench_phase_bar bars[8];
	size_t n;
	return phase_bars(d, bars, 8, &n) > 0;
}

int density_phase_chart(json_object *d, const char *dir, char **failures, struct hvc_error *err)
{
	struct hvc_bench_phase_bar bars[8];
	size_t n;
	if (phase_bars(d, bars, 8, &n) == 0)
		return 0;
	if (hvc_bench_chart_phases(dir, "density-phases",
				   "Start-up phases at the first step (median ms from the request; "
				   "log scale)",
				   bars, n, err) < 0)
		return -1;
	hvc_bench_chart_render(dir, "density-phases", failures);
	return 0;
}
