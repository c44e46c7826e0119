/* bench/bench_report_storage: the report's "Where fileio ran" table and its
 * sample-floor line. A disk figure means nothing without the storage under
 * it (issue 12: a container on a volatile overlay "wrote 1.9x faster than
 * native" because fdatasync did nothing there), so the report shows, per
 * backend, what the backend set up (results.json backends[].storage) and what
 * the workload saw from inside (the first ok fileio sample's storage). */
#include "bench_internal.h"
#include <math.h>
#include <string.h>

static json_object *first_ok_sample(json_object *r, const char *backend, const char *workload)
{
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; ss && i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		if (!strcmp(hvc_json_get_string(s, "backend") ?: "", backend) &&
		    !strcmp(hvc_json_get_string(s, "workload") ?: "", workload) &&
		    !strcmp(hvc_json_get_string(s, "status") ?: "", "ok"))
			return s;
	}
	return NULL;
}

static const char *str(json_object *o, const char *key)
{
	const char *s = o ? hvc_json_get_string(o, key) : NULL;
	return s && *s ? s : "-";
}

static void direct_cell(char *buf, size_t len, json_object *in)
{
	if (!in)
		snprintf(buf, len, "-");
	else if (hvc_json_get_bool(in, "direct", false))
		snprintf(buf, len, "yes");
	else
		snprintf(buf, len, "no: %s", str(in, "direct_fallback"));
}

static void vm_disk_cell(char *buf, size_t len, json_object *setup)
{
	if (!setup || !hvc_json_get(setup, "disk_bus"))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s %s, cache %s, io %s", str(setup, "disk_bus"),
			 str(setup, "disk_format"), str(setup, "disk_cache"), str(setup, "disk_io"));
}

static void storage_row(FILE *f, json_object *r, json_object *b)
{
	const char *name = hvc_json_get_string(b, "name") ?: "?";
	json_object *setup = hvc_json_get(b, "storage");
	json_object *s = first_ok_sample(r, name, "fileio");
	json_object *in = s ? hvc_json_get(s, "storage") : NULL;
	char direct[256], disk[256];
	direct_cell(direct, sizeof(direct), in);
	vm_disk_cell(disk, sizeof(disk), setup);
	fprintf(f, "| %s | %s `%s` | %s | %s | `%s` | %s | %s | %s |\n", name, str(setup, "kind"),
		str(setup, "path"), str(in, "fs"), str(in, "mount_source"), str(in, "mount_options"),
		in ? (hvc_json_get_bool(in, "volatile", false) ? "**yes**" : "no") : "-", direct,
		disk);
}

void hvc_bench_report_storage(FILE *f, json_object *r)
{
	json_object *bs = hvc_json_get(r, "backends");
	bool any = false;
	for (size_t i = 0; bs && i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		const char *name = hvc_json_get_string(b, "name") ?: "";
		if (hvc_json_get_bool(b, "available", false) && first_ok_sample(r, name, "fileio")) {
			if (!any)
				fprintf(f, "## Where fileio ran\n\nWhat each backend set up, and what "
					   "the workload saw from inside (docs/methodology.md, "
					   "\"Storage\"):\n\n| backend | set up | fs | source | mount "
					   "options | volatile | O_DIRECT | VM disk |\n|---|---|---|---|---|"
					   "---|---|---|\n");
			any = true;
			storage_row(f, r, b);
		}
	}
	if (any)
		fprintf(f, "\n");
}

void hvc_bench_report_floor(FILE *f, json_object *r)
{
	json_object *ss = hvc_json_get(r, "samples");
	double floor = NAN, least = INFINITY;
	size_t n = 0;
	for (size_t i = 0; ss && i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		json_object *m = hvc_json_get(s, "measured_s");
		if (!m || strcmp(hvc_json_get_string(s, "status") ?: "", "ok"))
			continue;
		floor = hvc_json_get_double(s, "min_seconds", NAN);
		least = fmin(least, json_object_get_double(m));
		n++;
	}
	if (n)
		fprintf(f, "Every throughput sample ran its kernel for at least %.2f s of measured "
			   "time (the suite's floor); the shortest of the %zu ok samples measured "
			   "%.3f s.\n\n", floor, n, least);
}
