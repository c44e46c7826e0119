/* bench/report: report.md from a results document alone — the caveats first
 * (TCG, a noisy host), the host in a paragraph, then one table per metric
 * family with the charts, failures with their reasons, and how it was run. */
#include "bench_internal.h"
#include "hvc/stats.h"
#include <math.h>
#include <string.h>

/* First string found at any of the dotted paths ("cpu.model"). */
static const char *host_str(json_object *host, const char *const *paths, char *buf, size_t len)
{
	for (; *paths; paths++) {
		json_object *o = host;
		char tmp[128];
		snprintf(tmp, sizeof(tmp), "%s", *paths);
		char *save = NULL;
		for (char *k = strtok_r(tmp, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
			o = hvc_json_get(o, k);
		if (!o)
			continue;
		if (json_object_is_type(o, json_type_string))
			return json_object_get_string(o);
		if (json_object_is_type(o, json_type_int) ||
		    json_object_is_type(o, json_type_double) ||
		    json_object_is_type(o, json_type_boolean)) {
			snprintf(buf, len, "%s", json_object_to_json_string(o));
			return buf;
		}
	}
	return NULL;
}

#define HOST(...) host_str(host, (const char *const[]){__VA_ARGS__, NULL}, hb, sizeof(hb))

static bool backend_ran(json_object *r, const char *name)
{
	json_object *bs = hvc_json_get(r, "backends");
	for (size_t i = 0; bs && i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!strcmp(hvc_json_get_string(b, "name") ?: "", name))
			return hvc_json_get_bool(b, "available", false);
	}
	return false;
}

/* The accelerator VMs actually used: from the samples, else the host probe. */
static const char *vm_accelerator(json_object *r)
{
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; ss && i < json_object_array_length(ss); i++) {
		const char *a =
		    hvc_json_get_string(json_object_array_get_idx(ss, i), "accelerator");
		if (a)
			return a;
	}
	return NULL;
}

static void fmt_val(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "–");
	else if (fabs(v) >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (fabs(v) >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

static double num(json_object *o, const char *key)
{
	json_object *v = hvc_json_get(o, key);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

/* "12.3 [11.9, 12.8]" or "failed (3/3)" */
static void cell(char *buf, size_t len, json_object *s, bool ci)
{
	if (!s) {
		snprintf(buf, len, "n/a");
		return;
	}
	int64_t n = hvc_json_get_int(s, "n", 0), nf = hvc_json_get_int(s, "n_failed", 0);
	if (n == 0) {
		snprintf(buf, len, "failed (%lld/%lld)", (long long)nf, (long long)nf);
		return;
	}
	char m[32], lo[32], hi[32];
	fmt_val(m, sizeof(m), num(s, "median"));
	fmt_val(lo, sizeof(lo), num(s, "ci_lo"));
	fmt_val(hi, sizeof(hi), num(s, "ci_hi"));
	/* outliers are flagged where the figure is shown, never dropped */
	int64_t no = hvc_json_get_int(s, "n_outliers", 0);
	char outl[32] = "";
	if (no > 0)
		snprintf(outl, sizeof(outl), " (%lld outlier%s)", (long long)no, no > 1 ? "s" : "");
	if (ci && !hvc_stats_ci_allowed((size_t)n))
		snprintf(buf, len, "%s (n = %lld: too few for an interval)%s%s", m, (long long)n,
			 outl, nf ? " ⚠" : "");
	else if (ci)
		snprintf(buf, len, "%s [%s, %s]%s%s", m, lo, hi, outl, nf ? " ⚠" : "");
	else
		snprintf(buf, len, "%s%s%s", m, outl, nf ? " ⚠" : "");
}

static json_object *host_at(json_object *host, const char *path)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", path);
	json_object *o = host;
	char *save = NULL;
	for (char *k = strtok_r(tmp, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = hvc_json_get(o, k);
	return o;
}

/* The LLC the workloads trusted (their llc_bytes, after hvc-workload's
 * plausibility cap) when it differs from what the host reported: the first
 * ok sample that carries one. 0 when none does. */
static int64_t trusted_llc(json_object *r)
{
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; ss && i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		json_object *llc = hvc_json_get(s, "llc_bytes");
		if (llc && !strcmp(hvc_json_get_string(s, "backend") ?: "", "native"))
			return json_object_get_int64(llc);
	}
	return 0;
}

static void print_llc(FILE *f, json_object *r, json_object *l3)
{
	char sz[32], tz[32];
	int64_t reported = json_object_get_int64(l3), trusted = trusted_llc(r);
	fprintf(f, ", last-level cache %s", hvc_format_size((uint64_t)reported, sz, sizeof(sz)));
	if (trusted > 0 && trusted < reported)
		fprintf(f, " as reported, implausible: the workloads sized against %s "
			   "(docs/workloads.md, \"The last-level cache\")",
			hvc_format_size((uint64_t)trusted, tz, sizeof(tz)));
}

/* The host in one paragraph, from the `hvc info --json` document
 * (docs/host-info.md); absent facts are left out, not guessed. */
static void host_paragraph(FILE *f, json_object *r)
{
	json_object *host = hvc_json_get(r, "host");
	char hb[256], sz[32];
	const char *cpu = HOST("cpu.model", "cpu_model");
	fprintf(f, "**Host.** %s", cpu ? cpu : "CPU model not reported");
	json_object *cores = host_at(host, "cpu.cores"), *pus = host_at(host, "cpu.pus");
	if (cores && pus)
		fprintf(f, " (%d cores, %d logical CPUs", json_object_get_int(cores),
			json_object_get_int(pus));
	else if (pus)
		fprintf(f, " (%d logical CPUs", json_object_get_int(pus));
	json_object *l3 = host_at(host, "cpu.caches.l3_bytes");
	if (pus || cores) {
		if (l3)
			print_llc(f, r, l3);
		fprintf(f, ")");
	}
	json_object *mem = host_at(host, "memory.total_bytes");
	if (mem)
		fprintf(f, ", %s RAM",
			hvc_format_size((uint64_t)json_object_get_int64(mem), sz, sizeof(sz)));
	const char *gov = HOST("cpu.frequency.governor");
	if (gov)
		fprintf(f, ", CPU frequency governor `%s`", gov);
	else if (host_at(host, "cpu.frequency"))
		fprintf(f, ", no CPU frequency scaling visible");
	const char *kr = HOST("kernel.release", "kernel_release");
	if (kr)
		fprintf(f, ", Linux %s", kr);
	const char *os = HOST("os");
	if (os)
		fprintf(f, " on %s", os);
	const char *cg = HOST("cgroup.mode", "cgroups.mode");
	if (cg)
		fprintf(f, "; cgroups %s", cg);
	const char *acc = HOST("virtualization.accel", "accelerator.accel");
	if (acc) {
		fprintf(f, "; VM accelerator **%s**", acc);
		const char *why = HOST("virtualization.accel_reason", "accelerator.reason");
		if (why)
			fprintf(f, " (%s)", why);
	}
	const char *qv = HOST("virtualization.qemu.version", "versions.qemu");
	const char *lv = HOST("virtualization.libvirt_version", "versions.libvirt");
	if (qv)
		fprintf(f, "; QEMU %s", qv);
	if (lv)
		fprintf(f, ", libvirt %s", lv);
	const char *gk = HOST("virtualization.guest_kernel.release");
	if (gk)
		fprintf(f, ", guest kernel %s", gk);
	const char *rev = HOST("hvc.version", "hvc_revision");
	fprintf(f, ". hvc %s", rev ? rev : hvc_json_get_string(r, "hvc_version") ?: "unknown");
	json_object *cfg = hvc_json_get(r, "config");
	json_object *load = hvc_json_get(r, "load");
	fprintf(f,
		". Every backend was pinned to CPUs %s; 1-minute load average %.2f before and %.2f "
		"after the run. The full machine-readable description is under `host` in "
		"results.json (`hvc info --json`).\n\n",
		hvc_json_get_string(cfg, "cpus") ?: "?",
		hvc_json_get_double(load, "loadavg_1m_before", NAN),
		hvc_json_get_double(load, "loadavg_1m_after", NAN));
}

static void table_startup(FILE *f, json_object *r, json_object *bs)
{
	fprintf(f, "## Start-up time\n\nHost monotonic clock from the request to READY and to the "
		   "instance's exit (`hvc-workload idle 0`), milliseconds: median [95%% CI of the "
		   "median]; outliers (beyond 1.5 IQR) are counted, not dropped.\n\n");
	fprintf(f, "| backend | to READY (ms) | to exit (ms) | n |\n|---|---|---|---|\n");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!hvc_json_get_bool(b, "available", false))
			continue;
		const char *name = hvc_json_get_string(b, "name");
		json_object *rd = hvc_bench_summary_find(r, name, "startup", "ready_ms");
		json_object *ex = hvc_bench_summary_find(r, name, "startup", "exit_ms");
		char c1[96], c2[96];
		cell(c1, sizeof(c1), rd, true);
		cell(c2, sizeof(c2), ex, true);
		fprintf(f, "| %s | %s | %s | %lld |\n", name, c1, c2,
			(long long)hvc_json_get_int(rd ? rd : ex, "n", 0));
	}
	fprintf(f, "\n![Start-up time per backend](startup.png)\n\n");
}

/* Medians of each start-up phase the backends report, one line per backend. */
static void startup_phases(FILE *f, json_object *r, json_object *bs)
{
	bool any = false;
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		const char *name = hvc_json_get_string(json_object_array_get_idx(bs, i), "name");
		json_object *keys = hvc_bench_phase_names(r, name);
		if (!keys || json_object_object_length(keys) == 0)
			continue;
		if (!any)
			fprintf(
			    f,
			    "Start-up phases (median ms from the request; each backend reports the "
			    "phases it can see, see docs/methodology.md):\n\n");
		any = true;
		fprintf(f, "- **%s**:", name);
		bool first = true;
		json_object_object_foreach(keys, k, v0)
		{
			(void)v0;
			char mv[32];
			fmt_val(mv, sizeof(mv), hvc_bench_phase_median(r, name, k));
			fprintf(f, "%s %s %s", first ? "" : ",", k, mv);
			first = false;
		}
		fprintf(f, "\n");
	}
	if (any)
		fprintf(f, "\n![Start-up phases per backend](phases.png)\n\n");
}

static void mem_table(FILE *f, json_object *r, json_object *bs, const char *workload,
		      const char *prefix)
{
	fprintf(f, "| backend | RSS | PSS | USS | cgroup charge | cgroup − inactive_file | n |\n"
		   "|---|---|---|---|---|---|---|\n");
	static const char *const keys[] = {"rss_mib", "pss_mib", "uss_mib", "cgroup_mib",
					   "cgroup_net_mib"};
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!hvc_json_get_bool(b, "available", false))
			continue;
		const char *name = hvc_json_get_string(b, "name");
		fprintf(f, "| %s ", name);
		int64_t n = 0;
		for (size_t k = 0; k < 5; k++) {
			char key[64], c[96];
			snprintf(key, sizeof(key), "%s%s", prefix, keys[k]);
			json_object *s = hvc_bench_summary_find(r, name, workload, key);
			cell(c, sizeof(c), s, false);
			if (s && hvc_json_get_int(s, "n", 0) > n)
				n = hvc_json_get_int(s, "n", 0);
			fprintf(f, "| %s ", c);
		}
		fprintf(f, "| %lld |\n", (long long)n);
	}
	fprintf(f, "\n");
}

static void size_cell(FILE *f, json_object *z, const char *key)
{
	json_object *v = hvc_json_get(z, key);
	char buf[32];
	fprintf(f, "| %s ",
		v ? hvc_format_size((uint64_t)json_object_get_int64(v), buf, sizeof(buf)) : "–");
}

static void table_sizes(FILE *f, json_object *bs)
{
	fprintf(f,
		"## Image size\n\nBytes on disk of what an instance needs, from the image store "
		"(compressed layer blobs and unpacked layers, shared with other images vs unique "
		"to this one) and, for VMs, the kernel and initramfs it boots.\n\n");
	fprintf(f, "| backend | compressed | unpacked | shared | unique | kernel | initramfs | "
		   "binary | note |\n"
		   "|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!hvc_json_get_bool(b, "available", false))
			continue;
		json_object *z = hvc_json_get(b, "image_size");
		fprintf(f, "| %s ", hvc_json_get_string(b, "name"));
		if (hvc_json_get_string(z, "error")) {
			fprintf(f, "| failed: %s | | | | | | | |\n",
				hvc_json_get_string(z, "error"));
			continue;
		}
		size_cell(f, z, "compressed_bytes");
		size_cell(f, z, "unpacked_bytes");
		size_cell(f, z, "shared_bytes");
		size_cell(f, z, "unique_bytes");
		size_cell(f, z, "kernel_bytes");
		size_cell(f, z, "initramfs_bytes");
		size_cell(f, z, "binary_bytes");
		fprintf(f, "| %s |\n", hvc_json_get_string(z, "note") ?: "");
	}
	fprintf(f, "\n![Image size per backend](image-size.png)\n\n");
}

static bool has_kind(json_object *r, const char *kind)
{
	json_object *ws = hvc_json_get(r, "workloads");
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++)
		if (!strcmp(hvc_json_get_string(json_object_array_get_idx(ws, wi), "kind") ?: "",
			    kind))
			return true;
	return false;
}

/* The header row naming the backends that ran (all, or all but native);
 * returns how many columns. */
static size_t backend_columns(FILE *f, json_object *bs, bool skip_native)
{
	size_t nb = 0;
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		if (!hvc_json_get_bool(b, "available", false) ||
		    (skip_native && !strcmp(hvc_json_get_string(b, "name"), "native")))
			continue;
		fprintf(f, " %s |", hvc_json_get_string(b, "name"));
		nb++;
	}
	return nb;
}

/* The mark a summary's sanity flag puts beside its figure: ⚑ a result to
 * check, ℹ one that is explained; "" without a flag. */
static json_object *first_flag(json_object *s)
{
	json_object *fl = hvc_json_get(s, "flags");
	return fl && json_object_is_type(fl, json_type_array) && json_object_array_length(fl)
		   ? json_object_array_get_idx(fl, 0)
		   : NULL;
}

static const char *flag_mark(json_object *s)
{
	json_object *f = first_flag(s);
	if (!f)
		return "";
	return !strcmp(hvc_json_get_string(f, "severity") ?: "", "explained") ? " ℹ" : " ⚑";
}

/* "0.10 [0.08, 0.12]", "0.91 (n = 2: too few for an interval)", or why there
 * is no ratio. */
static void relative_cell(char *c, size_t len, json_object *s)
{
	json_object *ro = hvc_json_get(s, "relative_to_native");
	if (!ro) {
		snprintf(c, len, s && hvc_json_get_int(s, "n", 0) == 0 ? "failed" : "n/a");
		return;
	}
	char v[32], lo[32], hi[32];
	snprintf(v, sizeof(v), "%.2f", num(ro, "value"));
	size_t n = (size_t)hvc_json_get_int(s, "n", 0);
	size_t nn = (size_t)hvc_json_get_int(ro, "n_native", (int64_t)n);
	if (!hvc_stats_ci_allowed(n) || !hvc_stats_ci_allowed(nn)) {
		snprintf(c, len, "%s (%s)%s", v,
			 hvc_json_get_string(ro, "no_ci_reason") ?: "too few for an interval",
			 flag_mark(s));
		return;
	}
	snprintf(lo, sizeof(lo), "%.2f", num(ro, "ci_lo"));
	snprintf(hi, sizeof(hi), "%.2f", num(ro, "ci_hi"));
	snprintf(c, len, "%s [%s, %s]%s", v, lo, hi, flag_mark(s));
}

/* One row per throughput metric: the figures, or (relative) the ratios to native. */
static void throughput_rows(FILE *f, json_object *r, json_object *bs, bool relative)
{
	json_object *ws = hvc_json_get(r, "workloads");
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
		json_object *w = json_object_array_get_idx(ws, wi);
		if (strcmp(hvc_json_get_string(w, "kind") ?: "", "throughput"))
			continue;
		const char *wname = hvc_json_get_string(w, "name");
		json_object *ms = hvc_json_get(w, "metrics");
		for (size_t mi = 0; mi < json_object_array_length(ms); mi++) {
			json_object *m = json_object_array_get_idx(ms, mi);
			const char *key = hvc_json_get_string(m, "key");
			if (strstr(key, "_mib"))
				continue;
			if (!relative)
				fprintf(f, "| %s | %s | %s (%s is better) |", wname, key,
					hvc_json_get_string(m, "unit"),
					hvc_json_get_string(m, "better"));
			else
				fprintf(f, "| %s | %s |", wname, key);
			for (size_t i = 0; i < json_object_array_length(bs); i++) {
				json_object *b = json_object_array_get_idx(bs, i);
				const char *bn = hvc_json_get_string(b, "name");
				if (!hvc_json_get_bool(b, "available", false) ||
				    (relative && !strcmp(bn, "native")))
					continue;
				json_object *s = hvc_bench_summary_find(r, bn, wname, key);
				char c[128];
				if (relative)
					relative_cell(c, sizeof(c), s);
				else
					cell(c, sizeof(c), s, true);
				fprintf(f, " %s |", c);
			}
			fprintf(f, "\n");
		}
	}
}

static void table_throughput(FILE *f, json_object *r, json_object *bs)
{
	if (!has_kind(r, "throughput"))
		return;
	fprintf(
	    f, "## Throughput\n\nEach workload's own figure: median [95%% CI of the median]. "
	       "Below it, performance relative to native (1.00 = native; below 1 = slower, "
	       "whichever direction the metric prefers) with a 95%% bootstrap CI of the ratio. No "
	       "interval is given from fewer than 5 samples a side: the median alone, with n.\n\n");
	fprintf(f, "| workload | metric | unit |");
	size_t nb = backend_columns(f, bs, false);
	fprintf(f, "\n|---|---|---|");
	for (size_t i = 0; i < nb; i++)
		fprintf(f, "---|");
	fprintf(f, "\n");
	throughput_rows(f, r, bs, false);
	fprintf(f, "\nRelative to native:\n\n| workload | metric |");
	backend_columns(f, bs, true);
	fprintf(f, "\n|---|---|");
	for (size_t i = 1; i < nb; i++)
		fprintf(f, "---|");
	fprintf(f, "\n");
	throughput_rows(f, r, bs, true);
	fprintf(f, "\n![Throughput relative to native](throughput.png)\n\n");
}

/* Summaries whose first flag has this severity. */
static size_t count_flags(json_object *r, const char *severity)
{
	json_object *sums = hvc_json_get(r, "summaries");
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *fl = first_flag(json_object_array_get_idx(sums, i));
		n += fl && !strcmp(hvc_json_get_string(fl, "severity") ?: "", severity);
	}
	return n;
}

/* Why nothing passed: what the test gives at best with the run's fewest
 * samples a side, against what Holm's first step needs (0.05 / tests). */
static void no_difference(FILE *f, json_object *sums, size_t tests)
{
	size_t nmin = SIZE_MAX;
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		json_object *ro = hvc_json_get(s, "relative_to_native");
		if (!ro || !isfinite(num(ro, "p_adjusted")))
			continue;
		size_t n = (size_t)hvc_json_get_int(s, "n", 0),
		       nn = (size_t)hvc_json_get_int(ro, "n_native", 0);
		nmin = n < nmin ? n : nmin;
		nmin = nn < nmin ? nn : nmin;
	}
	fprintf(f, "None of them passes that test in this run.");
	double pmin = hvc_stats_permutation_min_p(nmin, nmin, HVC_BENCH_NATIVE_TEST_ROUNDS);
	if (isfinite(pmin) && pmin >= 0.05 / (double)tests)
		fprintf(f,
			" With %zu samples a side (the fewest here) even two completely separated "
			"sets give p = %.2g, and Holm over %zu tests needs below %.2g: with so few "
			"repetitions no difference, however large, can be shown.",
			nmin, pmin, tests, 0.05 / (double)tests);
	fprintf(f, "\n");
}

/* "Different from native" is claimed here only, and only by the permutation
 * test (Holm-adjusted over the run) with its minimum change. */
static void section_differences(FILE *f, json_object *r)
{
	json_object *sums = hvc_json_get(r, "summaries");
	size_t ratios = 0, tests = 0, diff = 0;
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *ro =
		    hvc_json_get(json_object_array_get_idx(sums, i), "relative_to_native");
		ratios += ro != NULL;
		tests += ro && isfinite(num(ro, "p_adjusted"));
	}
	if (ratios == 0)
		return;
	fprintf(f, "## Different from native\n\n");
	if (tests == 0) {
		fprintf(f, "Nothing is claimed: no ratio of this run has 5 samples a side, the "
			   "least a permutation test is run on (docs/stats.md). The ratios are "
			   "medians only.\n\n");
		return;
	}
	fprintf(f,
		"A backend is called different from native only when a permutation test on the "
		"raw samples says so (p < 0.05 after Holm-Bonferroni over the %zu ratio%s of this "
		"run tested, those with 5 samples a side) and the medians are at least 5 %% "
		"apart; a ratio's interval alone is not such a claim (docs/stats.md).\n\n",
		tests, tests == 1 ? "" : "s");
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		json_object *ro = hvc_json_get(s, "relative_to_native");
		if (!hvc_json_get_bool(ro, "different", false))
			continue;
		diff++;
		fprintf(f, "- %s %s %s: %.2f × native (Holm-adjusted p = %.2g)\n",
			hvc_json_get_string(s, "backend"), hvc_json_get_string(s, "workload"),
			hvc_json_get_string(s, "metric"), num(ro, "value"), num(ro, "p_adjusted"));
	}
	if (diff == 0)
		no_difference(f, sums, tests);
	fprintf(f, "\n");
}

/* "n = 2 a side: no test", or what the permutation test says. */
static void flag_evidence(char *buf, size_t len, json_object *s)
{
	json_object *ro = hvc_json_get(s, "relative_to_native");
	double p = num(ro, "p_adjusted");
	if (!isfinite(p))
		snprintf(buf, len, "n = %lld, native %lld: no test",
			 (long long)hvc_json_get_int(s, "n", 0),
			 (long long)hvc_json_get_int(ro, "n_native", 0));
	else
		snprintf(buf, len, "%s by the test, Holm-adjusted p = %.2g",
			 p < 0.05 ? "**supported**" : "not supported", p);
}

/* The suspect results that share one list of causes, on one line. */
static void flags_with_check(FILE *f, json_object *sums, const char *check)
{
	fprintf(f, "- ⚑");
	size_t k = 0;
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		json_object *fl = first_flag(s);
		if (!fl || strcmp(hvc_json_get_string(fl, "check") ?: "", check))
			continue;
		char ev[96];
		flag_evidence(ev, sizeof(ev), s);
		fprintf(f, "%s %s %s %s %.2f × native (%s)", k++ ? ";" : "",
			hvc_json_get_string(s, "backend"), hvc_json_get_string(s, "workload"),
			hvc_json_get_string(s, "metric"),
			num(hvc_json_get(s, "relative_to_native"), "value"), ev);
	}
	fprintf(f, ". **Check:** %s.\n", check);
}

/* True when an earlier summary's flag had the same list of causes. */
static bool check_seen(json_object *sums, size_t upto, const char *check)
{
	for (size_t i = 0; i < upto; i++) {
		json_object *fl = first_flag(json_object_array_get_idx(sums, i));
		if (fl && !strcmp(hvc_json_get_string(fl, "check") ?: "", check))
			return true;
	}
	return false;
}

/* Every flagged result: the suspect ones grouped by what to check (⚑), the
 * explained ones with their explanation (ℹ). Full texts are in results.json. */
static void section_flags(FILE *f, json_object *r)
{
	if (count_flags(r, "suspect") + count_flags(r, "explained") == 0)
		return;
	fprintf(f, "## Sanity flags\n\nIsolation only adds work to the same program on the "
		   "same CPUs, so a container, runc or crun result more than 5 %% better than "
		   "native, or a VM result better than native, is marked ⚑ where it appears, "
		   "with the causes to check; ℹ marks one that is real and explained. A flag "
		   "is not a correction: the figure stays as measured.\n\n");
	json_object *sums = hvc_json_get(r, "summaries");
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *fl = first_flag(json_object_array_get_idx(sums, i));
		const char *check = fl ? hvc_json_get_string(fl, "check") : NULL;
		if (fl && !check)
			fprintf(f, "- ℹ %s\n", hvc_json_get_string(fl, "text"));
		else if (check && !check_seen(sums, i, check))
			flags_with_check(f, sums, check);
	}
	fprintf(f, "\n");
}

static void failures(FILE *f, json_object *r)
{
	json_object *ss = hvc_json_get(r, "samples");
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		if (strcmp(hvc_json_get_string(s, "status") ?: "", "failed"))
			continue;
		if (n++ == 0)
			fprintf(
			    f,
			    "## Failed measurements\n\nNo figure is estimated or filled in: these "
			    "samples failed and are reported as such (⚠ in the tables marks a "
			    "summary "
			    "that lost samples).\n\n| backend | workload | rep | reason "
			    "|\n|---|---|---|---|\n");
		if (n > 40)
			continue;
		_cleanup_free_ char *why = hvc_xstrdup(hvc_json_get_string(s, "error") ?: "");
		for (char *p = why; *p; p++)
			if (*p == '|' || *p == '\n')
				*p = ' ';
		fprintf(f, "| %s | %s | %s%lld | %s |\n", hvc_json_get_string(s, "backend"),
			hvc_json_get_string(s, "workload"),
			hvc_json_get_bool(s, "warmup", false) ? "warm-up " : "",
			(long long)hvc_json_get_int(s, "rep", 0), why);
	}
	if (n > 40)
		fprintf(f, "| … | | | %zu failures in all; every one is in results.json |\n", n);
	if (n)
		fprintf(f, "\n");
}

/* What the reader must know before any figure: TCG, an interrupted run, a busy host. */
static void caveats(FILE *f, json_object *r)
{
	const char *acc = vm_accelerator(r);
	if (backend_ran(r, "vm") && acc && !strcmp(acc, "tcg")) {
		fprintf(f, "> **Caveat: the VMs ran under TCG, QEMU's software emulator, not under "
			   "hardware "
			   "virtualization (KVM).** Every guest instruction was translated in "
			   "software, so "
			   "the VM's CPU, memory and start-up figures measure emulation");
		json_object *cpu = hvc_json_get(hvc_bench_summary_find(r, "vm", "cpu", "gflops"),
						"relative_to_native");
		if (cpu && isfinite(num(cpu, "value")))
			fprintf(f, " (in this run the VM's dgemm reached %.3f of native)",
				num(cpu, "value"));
		fprintf(f, "; do not read them as the cost of hardware virtualization. The native, "
			   "container, runc and crun figures are unaffected.\n\n");
	}
	if (hvc_json_get_bool(r, "interrupted", false))
		fprintf(f, "> **Interrupted:** this run was stopped before every sample was taken; "
			   "the figures below use the samples that were.\n\n");
	size_t suspect = count_flags(r, "suspect");
	if (suspect)
		fprintf(f,
			"> **Sanity flags:** %zu result%s that isolation cannot explain (⚑, see "
			"*Sanity flags* below): check %s before reading %s.\n\n",
			suspect, suspect > 1 ? "s" : "", suspect > 1 ? "them" : "it",
			suspect > 1 ? "them" : "it");
	json_object *load = hvc_json_get(r, "load");
	if (hvc_json_get_string(load, "warning"))
		fprintf(f, "> **Warning:** %s.\n\n", hvc_json_get_string(load, "warning"));
}

static void run_paragraph(FILE *f, json_object *r)
{
	json_object *cfg = hvc_json_get(r, "config");
	fprintf(f,
		"Run `%s`, started %s, took %.0f s, image `%s`. Measured repetitions per backend "
		"(+ discarded warm-ups):",
		hvc_json_get_string(r, "run_id"), hvc_json_get_string(r, "started"),
		hvc_json_get_double(r, "duration_s", NAN),
		hvc_json_get_string(cfg, "image") ?: "?");
	json_object *wl = hvc_json_get(r, "workloads");
	for (size_t i = 0; i < json_object_array_length(wl); i++) {
		json_object *w = json_object_array_get_idx(wl, i);
		int64_t reps = hvc_json_get_int(w, "reps", hvc_json_get_int(cfg, "reps", 0));
		int64_t warm = hvc_json_get_int(w, "warmup", hvc_json_get_int(cfg, "warmup", 0));
		fprintf(f, "%s %s %lld", i ? "," : "", hvc_json_get_string(w, "name"),
			(long long)reps);
		if (warm)
			fprintf(f, " (+%lld)", (long long)warm);
	}
	fprintf(f, ". Backends interleaved within each repetition (ABAB), their order "
		   "rotated by one each repetition.\n\n");
}

static void table_backends(FILE *f, json_object *bs)
{
	fprintf(f, "## Backends\n\n| backend | ran | what it is / why not |\n|---|---|---|\n");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		bool av = hvc_json_get_bool(b, "available", false);
		fprintf(f, "| %s | %s | %s |\n", hvc_json_get_string(b, "name"), av ? "yes" : "**no**",
			av ? hvc_json_get_string(b, "summary") ?: "" : hvc_json_get_string(b, "reason") ?: "");
	}
	fprintf(f, "\n");
}

static bool has_workload(json_object *r, const char *name)
{
	json_object *ws = hvc_json_get(r, "workloads");
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++)
		if (!strcmp(hvc_json_get_string(json_object_array_get_idx(ws, wi), "name"), name))
			return true;
	return false;
}

static void section_memory(FILE *f, json_object *r, json_object *bs)
{
	bool has_fp = has_workload(r, "footprint"), has_mem = has_workload(r, "mem");
	if (!has_fp && !has_mem)
		return;
	fprintf(f, "## Memory per instance\n\nHost-side cost of one instance in MiB (median). RSS "
		   "counts shared pages fully in every process, PSS divides them among the "
		   "processes sharing them, USS counts only private pages; for containers the "
		   "cgroup charge includes page cache, and without `inactive_file` shows what "
		   "reclaim cannot take back. For VMs the processes are QEMU's.\n\n");
	if (has_fp) {
		fprintf(f, "Idle (`hvc-workload idle`, measured 0.5 s after READY):\n\n");
		mem_table(f, r, bs, "footprint", "");
	}
	if (has_mem) {
		fprintf(f, "Under load (peak while the `mem` workload ran, sampled every "
			   "100 ms):\n\n");
		mem_table(f, r, bs, "mem", "peak_");
	}
	fprintf(f, "![Memory per instance](memory.png)\n\n");
}

static void section_method(FILE *f, json_object *r)
{
	fprintf(f, "## How this was measured\n\nWhat every number means, how it is taken and its "
		   "pitfalls: docs/methodology.md. The exact command each backend ran:\n\n");
	json_object *cs = hvc_json_get(r, "commands");
	for (size_t i = 0; i < json_object_array_length(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		if (strcmp(hvc_json_get_string(c, "workload") ?: "", "startup"))
			continue;
		fprintf(f, "- %s: `%s`\n", hvc_json_get_string(c, "backend"),
			hvc_json_get_string(c, "command") ?: "?");
	}
	fprintf(f,
		"\n(Other workloads differ only in the hvc-workload arguments; all commands are in "
		"results.json under `commands`.) Raw samples: results.csv. Charts: the `.gp` "
		"gnuplot scripts beside them regenerate them; `hvc bench report DIR` regenerates "
		"everything from results.json.\n");
}

/* Whether any sample ran in a shared VM boot (extra.shared_boot). */
static bool any_shared_boot(json_object *r)
{
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; i < json_object_array_length(ss); i++)
		if (hvc_json_get(hvc_json_get(json_object_array_get_idx(ss, i), "extra"), "shared_boot"))
			return true;
	return false;
}

/* A suite's own notes, quoted where a reader starts: "note" always (the
 * felter suite's: which paper figures are not included and why),
 * "shared_boot_note" (the quick suite's) only when a sample ran in a shared
 * boot, so a custom run that shares nothing (--workloads fileio) says nothing
 * of it. Each note is passed to emit(f, note). */
static void suite_notes(FILE *f, json_object *r, void (*emit)(FILE *f, const char *note))
{
	json_object *def = hvc_json_get(hvc_json_get(r, "config"), "suite_definition");
	const char *note = hvc_json_get_string(def, "note");
	if (note && *note)
		emit(f, note);
	note = hvc_json_get_string(def, "shared_boot_note");
	if (note && *note && any_shared_boot(r))
		emit(f, note);
}

static void note_markdown(FILE *f, const char *note)
{
	fprintf(f, "> **Suite note:** %s\n\n", note);
}

static void note_text(FILE *f, const char *note)
{
	fprintf(f, "Suite note: %s\n", note);
}

int hvc_bench_report_markdown(json_object *r, FILE *f, struct hvc_error *err)
{
	if (hvc_bench_results_validate(r, err) < 0)
		return -1;
	json_object *bs = hvc_json_get(r, "backends");
	fprintf(f, "# hvc benchmark report — %s suite\n\n", hvc_json_get_string(r, "suite"));
	caveats(f, r);
	suite_notes(f, r, note_markdown);
	run_paragraph(f, r);
	host_paragraph(f, r);
	table_backends(f, bs);
	if (has_workload(r, "startup")) {
		table_startup(f, r, bs);
		startup_phases(f, r, bs);
	}
	section_memory(f, r, bs);
	table_sizes(f, bs);
	table_throughput(f, r, bs);
	hvc_bench_report_network(f, r);
	hvc_bench_report_floor(f, r);
	hvc_bench_report_storage(f, r);
	section_differences(f, r);
	section_flags(f, r);
	failures(f, r);
	section_method(f, r);
	if (ferror(f))
		return hvc_err(err, EIO, "write report");
	return 0;
}

int hvc_bench_report_dir(const char *dir, struct hvc_error *err)
{
	_cleanup_json_ json_object *r = NULL;
	/* Summaries are derived data: recomputed, so a report regenerated from an
	 * older results.json follows today's rules (no CI from n < 5, flags). */
	if (hvc_bench_results_load(dir, &r, err) < 0 || hvc_bench_results_summarize(r, err) < 0)
		return -1;
	_cleanup_free_ char *csv = hvc_path_join(dir, "results.csv");
	_cleanup_free_ char *md = hvc_path_join(dir, "report.md");
	_cleanup_fclose_ FILE *fc = fopen(csv, "w");
	if (!fc)
		return hvc_err(err, errno, "create `%s`", csv);
	if (hvc_bench_results_write_csv(r, fc, err) < 0)
		return -1;
	_cleanup_fclose_ FILE *fm = fopen(md, "w");
	if (!fm)
		return hvc_err(err, errno, "create `%s`", md);
	if (hvc_bench_report_markdown(r, fm, err) < 0)
		return -1;
	_cleanup_free_ char *fails = NULL;
	if (hvc_bench_plot(r, dir, true, &fails, err) < 0)
		return -1;
	if (fails && *fails) {
		hvc_warn("charts: %s", fails);
		fprintf(fm, "\n## Charts that could not be drawn\n\n%s\n", fails);
	}
	return 0;
}

/* The workloads with a column in the run's short table: throughput and
 * network (their first metric, relative to native). */
static bool summary_column(json_object *w)
{
	const char *k = hvc_json_get_string(w, "kind") ?: "";
	return !strcmp(k, "throughput") || !strcmp(k, "network");
}

void hvc_bench_print_summary(FILE *f, json_object *r)
{
	json_object *bs = hvc_json_get(r, "backends");
	json_object *ws = hvc_json_get(r, "workloads");
	fprintf(f, "%-10s %14s %14s %12s", "backend", "READY ms", "exit ms", "idle PSS MiB");
	for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
		json_object *w = json_object_array_get_idx(ws, wi);
		if (summary_column(w))
			fprintf(f, " %9s", hvc_json_get_string(w, "name"));
	}
	fprintf(f, "\n");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		json_object *b = json_object_array_get_idx(bs, i);
		const char *name = hvc_json_get_string(b, "name");
		if (!hvc_json_get_bool(b, "available", false)) {
			fprintf(f, "%-10s not run: %s\n", name,
				hvc_json_get_string(b, "reason") ?: "");
			continue;
		}
		char c1[64], c2[64], c3[64];
		cell(c1, sizeof(c1), hvc_bench_summary_find(r, name, "startup", "ready_ms"), false);
		cell(c2, sizeof(c2), hvc_bench_summary_find(r, name, "startup", "exit_ms"), false);
		cell(c3, sizeof(c3), hvc_bench_summary_find(r, name, "footprint", "pss_mib"),
		     false);
		fprintf(f, "%-10s %14s %14s %12s", name, c1, c2, c3);
		for (size_t wi = 0; wi < json_object_array_length(ws); wi++) {
			json_object *w = json_object_array_get_idx(ws, wi);
			if (!summary_column(w))
				continue;
			json_object *m0 = json_object_array_get_idx(hvc_json_get(w, "metrics"), 0);
			json_object *s =
			    hvc_bench_summary_find(r, name, hvc_json_get_string(w, "name"),
						   hvc_json_get_string(m0, "key"));
			char c[32];
			if (!strcmp(name, "native"))
				snprintf(c, sizeof(c),
					 s && hvc_json_get_int(s, "n", 0) > 0 ? "1.00" : "failed");
			else if (hvc_json_get(s, "relative_to_native"))
				snprintf(c, sizeof(c), "%.2f%s",
					 num(hvc_json_get(s, "relative_to_native"), "value"),
					 flag_mark(s));
			else
				snprintf(c, sizeof(c),
					 s && hvc_json_get_int(s, "n", 0) == 0 ? "failed" : "n/a");
			fprintf(f, " %9s", c);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "(throughput columns: relative to native, 1.00 = native, higher is better)\n");
	suite_notes(f, r, note_text);
	if (count_flags(r, "suspect") + count_flags(r, "explained"))
		fprintf(f, "⚑ a result isolation cannot explain, ℹ one that is explained: see "
			   "\"Sanity flags\" in the report\n");
}
