/* bench/bench_report_network: the report's network section from
 * results.json — one row per backend: the packet path its samples took
 * (loopback, veth+bridge, tap+virtio-net), and the median of every network
 * metric (net-stream Gbit/s each direction, net-rr and net-crr transactions/s
 * and latency percentiles) with its ratio to native's loopback; a backend
 * that took no network sample says why. */
#include "bench_internal.h"
#include "hvc/stats.h"
#include <math.h>
#include <string.h>

static bool is_network(json_object *w)
{
	return !strcmp(hvc_json_get_string(w, "kind") ?: "", "network");
}

/* The packet path of a backend's network samples: the first ok sample's,
 * else why none was taken (*unavailable). */
static const char *backend_path(json_object *r, const char *backend, const char **unavailable)
{
	json_object *ss = hvc_json_get(r, "samples");
	*unavailable = NULL;
	for (size_t i = 0; i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		json_object *n = hvc_json_get(s, "network");
		if (!n || strcmp(hvc_json_get_string(s, "backend") ?: "", backend))
			continue;
		if (!strcmp(hvc_json_get_string(s, "status") ?: "", "ok"))
			return hvc_json_get_string(n, "packet_path");
		if (!*unavailable)
			*unavailable = hvc_json_get_string(n, "unavailable");
	}
	return NULL;
}

static void metric_cell(FILE *f, json_object *r, const char *backend, const char *workload,
			const char *key)
{
	json_object *s = hvc_bench_summary_find(r, backend, workload, key);
	int64_t n = s ? hvc_json_get_int(s, "n", 0) : 0;
	if (n == 0) {
		fprintf(f, " %s |", s ? "failed" : "n/a");
		return;
	}
	json_object *med = hvc_json_get(s, "median");
	double v = med ? json_object_get_double(med) : NAN;
	fprintf(f, v >= 1000 ? " %.0f" : " %.3g", v);
	json_object *ro = hvc_json_get(s, "relative_to_native");
	if (ro && strcmp(backend, "native"))
		fprintf(f, " (×%.2f)", json_object_get_double(hvc_json_get(ro, "value")));
	fprintf(f, " |");
}

static void header(FILE *f, json_object *ws)
{
	fprintf(f, "| backend | packet path |");
	size_t cols = 0;
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
		json_object *w = json_object_array_get_idx(ws, wi);
		if (!is_network(w))
			continue;
		json_object *ms = hvc_json_get(w, "metrics");
		for (size_t mi = 0; mi < json_object_array_length(ms); mi++) {
			json_object *m = json_object_array_get_idx(ms, mi);
			const char *key = hvc_json_get_string(m, "key");
			if (strstr(key, "_mib"))
				continue;
			fprintf(f, " %s %s (%s) |", hvc_json_get_string(w, "name"), key,
				hvc_json_get_string(m, "unit"));
			cols++;
		}
	}
	fprintf(f, "\n|---|---|");
	for (size_t i = 0; i < cols; i++)
		fprintf(f, "---|");
	fprintf(f, "\n");
}

static void row(FILE *f, json_object *r, json_object *ws, const char *backend)
{
	const char *unavailable;
	const char *path = backend_path(r, backend, &unavailable);
	if (!path && unavailable) {
		fprintf(f, "| %s | not measured: %s |\n", backend, unavailable);
		return;
	}
	fprintf(f, "| %s | %s |", backend, path ?: "?");
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
		json_object *w = json_object_array_get_idx(ws, wi);
		if (!is_network(w))
			continue;
		json_object *ms = hvc_json_get(w, "metrics");
		for (size_t mi = 0; mi < json_object_array_length(ms); mi++) {
			const char *key =
			    hvc_json_get_string(json_object_array_get_idx(ms, mi), "key");
			if (!strstr(key, "_mib"))
				metric_cell(f, r, backend, hvc_json_get_string(w, "name"), key);
		}
	}
	fprintf(f, "\n");
}

void hvc_bench_report_network(FILE *f, json_object *r)
{
	json_object *ws = hvc_json_get(r, "workloads");
	bool any = false;
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++)
		any |= is_network(json_object_array_get_idx(ws, wi));
	if (!any)
		return;
	fprintf(f, "## Network\n\n"
		   "The client runs in each backend; its peer, `hvc-workload net-server`, runs "
		   "natively on the host (pinned like the instances) on the address the backend "
		   "reaches: 127.0.0.1 for native and container-host, the bridge's own address "
		   "(10.88.0.1) for the container, runc, crun and the VM on hvc0. All traffic "
		   "stays on this machine. Each cell: the "
		   "median (× its ratio to native's loopback; > 1 = better, whichever direction "
		   "the metric prefers). The packet path is what the client itself saw "
		   "(`path`/`interface` of its line); a sample whose path is not the one its "
		   "backend expects fails. Details: docs/methodology.md (\"Network\").\n\n");
	header(f, ws);
	json_object *bs = hvc_json_get(r, "backends");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (hvc_json_get_bool(b, "available", false))
			row(f, r, ws, hvc_json_get_string(b, "name"));
	}
	fprintf(f, "\n![Network relative to native](network.png)\n\n");
}
