/* bench harness: memory parsers, suites, CPU lists, results schema
 * (validate/summarise/CSV), report generation from a fixture results.json,
 * chart scripts, and the compare logic. */
#include "../../bench/bench_internal.h"
#include "check_main.h"
#include "hvc/bench_harness.h"
#include <check.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE "tests/data/bench/fixture-results.json"

static json_object *load_fixture(void)
{
	struct hvc_error err = {0};
	json_object *r = NULL;
	ck_assert_msg(hvc_json_read_file(FIXTURE, &r, &err) == 0, "%s", err.msg);
	return r;
}

static json_object *summarized_fixture(void)
{
	json_object *r = load_fixture();
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_summarize(r, &err) == 0, "%s", err.msg);
	return r;
}

static char *mem_text(json_object *r, int (*fn)(json_object *, FILE *, struct hvc_error *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hvc_error err = {0};
	ck_assert_msg(fn(r, f, &err) == 0, "%s", err.msg);
	fclose(f);
	return buf;
}

START_TEST(smaps_rollup_parse)
{
	const char *t = "55d4c6a00000-7ffc8a7f6000 ---p 00000000 00:00 0   [rollup]\n"
			"Rss:                1040 kB\nPss:                 300 kB\n"
			"Pss_Anon:            100 kB\nShared_Clean:        800 kB\n"
			"Shared_Dirty:          0 kB\nPrivate_Clean:       40 kB\n"
			"Private_Dirty:       200 kB\nPrivate_Hugetlb:       0 kB\n";
	uint64_t rss, pss, uss;
	ck_assert_int_eq(hvc_bench_parse_smaps_rollup(t, &rss, &pss, &uss), 0);
	ck_assert_uint_eq(rss, 1040);
	ck_assert_uint_eq(pss, 300);
	ck_assert_uint_eq(uss, 240);
	ck_assert_int_eq(hvc_bench_parse_smaps_rollup("", &rss, &pss, &uss), -1);
	/* "Pss_Anon" must not be read as "Pss" */
	ck_assert_int_eq(hvc_bench_parse_smaps_rollup("Pss_Anon: 5 kB\nRss: 7 kB\nPss: 6 kB\n",
						      &rss, &pss, &uss),
			 0);
	ck_assert_uint_eq(pss, 6);
}
END_TEST

START_TEST(memstat_parse)
{
	const char *v1 =
	    "cache 4096\ninactive_file 100\ntotal_cache 8192\ntotal_inactive_file 300\n";
	ck_assert_int_eq(hvc_bench_parse_memstat(v1, "total_inactive_file"), 300);
	ck_assert_int_eq(hvc_bench_parse_memstat(v1, "inactive_file"), 100);
	ck_assert_int_eq(hvc_bench_parse_memstat(v1, "active_file"), -1);
}
END_TEST

START_TEST(mem_of_self_and_fake_cgroup)
{
	struct hvc_bench_mem m = {0};
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_bench_mem_add_pid_tree(&m, getpid(), true, &err), 0);
	ck_assert(m.have_procs);
	ck_assert_uint_gt(m.rss_kib, 0);
	ck_assert_uint_ge(m.rss_kib, m.pss_kib);
	ck_assert_uint_ge(m.pss_kib, m.uss_kib);
	/* a fake v2 cgroup directory */
	char dir[] = "/tmp/hvc-test-cg.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *cur = hvc_path_join(dir, "memory.current");
	_cleanup_free_ char *st = hvc_path_join(dir, "memory.stat");
	ck_assert_int_eq(hvc_write_file(cur, "10485760\n", 9, 0644, &err), 0);
	ck_assert_int_eq(hvc_write_file(st, "anon 100\ninactive_file 4194304\n", 31, 0644, &err),
			 0);
	struct hvc_bench_mem c = {0};
	ck_assert_int_eq(hvc_bench_mem_add_cgroup(&c, dir, false, &err), 0);
	ck_assert_uint_eq(c.cg_bytes, 10485760);
	ck_assert_uint_eq(c.cg_inactive_file_bytes, 4194304);
	ck_assert_uint_eq(c.cg_net_bytes, 6291456);
	hvc_rm_rf(dir, &err);
	ck_assert_int_lt(hvc_bench_mem_add_cgroup(&c, "/nonexistent/cg", false, &err), 0);
	ck_assert_int_lt(hvc_bench_mem_add_pid_tree(&c, 999999999, false, &err), 0);
}
END_TEST

START_TEST(cpu_lists)
{
	cpu_set_t s;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_bench_parse_cpus("0-2,5", &s, &err), 0);
	ck_assert_int_eq(CPU_COUNT(&s), 4);
	ck_assert(CPU_ISSET(5, &s));
	ck_assert_int_lt(hvc_bench_parse_cpus("3-1", &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"3-1\""));
	ck_assert_int_lt(hvc_bench_parse_cpus("a", &s, &err), 0);
	ck_assert_int_lt(hvc_bench_parse_cpus("", &s, &err), 0);
	ck_assert_int_lt(hvc_bench_parse_cpus("1,,", &s, &err), 0);
	_cleanup_free_ char *d = hvc_bench_default_cpus();
	ck_assert_int_eq(hvc_bench_parse_cpus(d, &s, &err), 0);
}
END_TEST

START_TEST(builtin_suites_parse)
{
	struct hvc_error err = {0};
	struct hvc_bench_suite *s = NULL;
	ck_assert_msg(hvc_bench_suite_load("quick", &s, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s->name, "quick");
	ck_assert_uint_ge(s->n_workloads, 8);
	ck_assert_uint_eq(hvc_strv_len(s->backends), 5);
	ck_assert_int_eq(s->workloads[0].kind, HVC_BENCH_STARTUP);
	hvc_bench_suite_free(s);
	ck_assert_msg(hvc_bench_suite_load("full", &s, &err) == 0, "%s", err.msg);
	ck_assert_int_gt(s->reps, 3);
	hvc_bench_suite_free(s);
	ck_assert_int_lt(hvc_bench_suite_load("quik", &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"quik\""));
}
END_TEST

/* The value after --size in args, in MiB (0 when absent). */
static double size_mib(char **args)
{
	for (; *args; args++)
		if (!strcmp(*args, "--size") && args[1])
			return strtod(args[1], NULL);
	return 0;
}

/* Issue 12: every throughput sample is held to the suite's floor (0.25 s
 * quick, 1 s full) by hvc-workload's --min-seconds, and mem/randmem sizes
 * exceed this host's trusted LLC (128 MiB: the cap, docs/workloads.md). */
START_TEST(builtin_suites_floor_and_sizes)
{
	static const struct {
		const char *name;
		double floor;
	} want[] = {{"quick", 0.25}, {"full", 1}};
	for (size_t k = 0; k < 2; k++) {
		struct hvc_error err = {0};
		struct hvc_bench_suite *s = NULL;
		ck_assert_msg(hvc_bench_suite_load(want[k].name, &s, &err) == 0, "%s", err.msg);
		ck_assert_double_eq(s->min_seconds, want[k].floor);
		for (size_t i = 0; i < s->n_workloads; i++) {
			const struct hvc_bench_workload *w = &s->workloads[i];
			if (w->kind != HVC_BENCH_THROUGHPUT)
				continue;
			ck_assert_double_eq(w->min_seconds, want[k].floor);
			size_t n = hvc_strv_len(w->args);
			ck_assert_str_eq(w->args[n - 2], "--min-seconds");
			ck_assert_double_eq(strtod(w->args[n - 1], NULL), want[k].floor);
			if (!strcmp(w->name, "mem") || !strcmp(w->name, "randmem"))
				ck_assert_msg(size_mib(w->args) > 128, "%s %s: %g MiB", s->name,
					      w->name, size_mib(w->args));
		}
		/* container-lib is opt-in: never in a default list */
		for (char **b = s->backends; *b; b++)
			ck_assert_str_ne(*b, "container-lib");
		hvc_bench_suite_free(s);
	}
	ck_assert_ptr_nonnull(hvc_bench_backend_find("container-lib"));
	ck_assert(hvc_bench_backend_find("container-lib")->opt_in);
}
END_TEST

static int parse_text(const char *t, struct hvc_bench_suite **s, struct hvc_error *err);

/* A suite's own --min-seconds wins and is not appended twice; a bad floor
 * is refused; "min_seconds": 0 asks for none. */
START_TEST(suite_floor_rules)
{
	struct hvc_error err = {0};
	struct hvc_bench_suite *s = NULL;
#define TP(args)                                                                                   \
	"{\"name\":\"c\",\"kind\":\"throughput\",\"args\":" args ","                               \
	"\"metrics\":[{\"key\":\"gflops\"}]}"
	ck_assert_msg(parse_text("{\"workloads\":[" TP("[\"cpu\",\"--min-seconds\",\"2\"]") "]}",
				 &s, &err) == 0,
		      "%s", err.msg);
	ck_assert_double_eq(s->workloads[0].min_seconds, 2);
	ck_assert_uint_eq(hvc_strv_len(s->workloads[0].args), 3);
	hvc_bench_suite_free(s);
	ck_assert_int_eq(
	    parse_text("{\"min_seconds\":0,\"workloads\":[" TP("[\"cpu\"]") "]}", &s, &err), 0);
	ck_assert_double_eq(s->workloads[0].min_seconds, 0);
	ck_assert_uint_eq(hvc_strv_len(s->workloads[0].args), 1);
	hvc_bench_suite_free(s);
	ck_assert_int_eq(parse_text("{\"workloads\":[" TP("[\"cpu\"]") "]}", &s, &err), 0);
	ck_assert_double_eq(s->workloads[0].min_seconds, 0.25); /* the default floor */
	ck_assert_str_eq(s->workloads[0].args[1], "--min-seconds");
	hvc_bench_suite_free(s);
	ck_assert_int_lt(
	    parse_text("{\"workloads\":[" TP("[\"cpu\",\"--min-seconds=x\"]") "]}", &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "--min-seconds"));
	ck_assert_int_lt(
	    parse_text("{\"min_seconds\":-1,\"workloads\":[" TP("[\"cpu\"]") "]}", &s, &err), 0);
#undef TP
}
END_TEST

static int parse_text(const char *t, struct hvc_bench_suite **s, struct hvc_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	ck_assert_int_eq(hvc_json_parse(t, strlen(t), "test", &o, err), 0);
	return hvc_bench_suite_parse(o, s, err);
}

START_TEST(bad_suites_are_refused)
{
	struct hvc_error err = {0};
	struct hvc_bench_suite *s = NULL;
	ck_assert_int_lt(parse_text("{\"backends\":[\"lxc\"],\"workloads\":[{\"name\":\"a\","
				    "\"kind\":\"startup\",\"args\":[\"idle\"]}]}",
				    &s, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"lxc\""));
	ck_assert_int_lt(
	    parse_text(
		"{\"workloads\":[{\"name\":\"c\",\"kind\":\"throughput\",\"args\":[\"cpu\"]}]}", &s,
		&err),
	    0);
	ck_assert_ptr_nonnull(strstr(err.msg, "metrics"));
	ck_assert_int_lt(
	    parse_text("{\"workloads\":[{\"name\":\"a\",\"kind\":\"startup\",\"args\":[\"idle\"]},{"
		       "\"name\":\"a\",\"kind\":\"startup\",\"args\":[\"idle\"]}]}",
		       &s, &err),
	    0);
	ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
	ck_assert_int_lt(parse_text("{\"workloads\":[]}", &s, &err), 0);
	ck_assert_int_lt(parse_text("{\"reps\":0,\"workloads\":[{\"name\":\"a\",\"kind\":"
				    "\"startup\",\"args\":[\"idle\"]}]}",
				    &s, &err),
			 0);
	ck_assert_int_lt(
	    parse_text("{\"workloads\":[{\"name\":\"a\",\"kind\":\"sprint\",\"args\":[\"idle\"]}]}",
		       &s, &err),
	    0);
	ck_assert_int_eq(
	    parse_text(
		"{\"workloads\":[{\"name\":\"a\",\"kind\":\"startup\",\"args\":[\"idle\",\"0\"]}]}",
		&s, &err),
	    0);
	ck_assert_uint_eq(hvc_strv_len(s->backends), 5);
	hvc_bench_suite_free(s);
}
END_TEST

START_TEST(fixture_validates_and_summarizes)
{
	_cleanup_json_ json_object *r = summarized_fixture();
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_validate(r, &err) == 0, "%s", err.msg);
	/* native startup: reps 1.0 1.2 1.1 1.3 1.1 (warm-up 99 excluded) -> median 1.1 */
	json_object *s = hvc_bench_summary_find(r, "native", "startup", "ready_ms");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(hvc_json_get_int(s, "n", 0), 5);
	ck_assert_double_eq_tol(hvc_json_get_double(s, "median", 0), 1.1, 1e-9);
	ck_assert_double_eq_tol(hvc_json_get_double(s, "max", 0), 1.3, 1e-9);
	/* vm cpu: one failed sample counted, not dropped silently */
	s = hvc_bench_summary_find(r, "vm", "cpu", "mb_per_s");
	ck_assert_int_eq(hvc_json_get_int(s, "n", 0), 4);
	ck_assert_int_eq(hvc_json_get_int(s, "n_failed", 0), 1);
	/* relative to native: higher is better -> 10/100 */
	json_object *ro = hvc_json_get(s, "relative_to_native");
	ck_assert_ptr_nonnull(ro);
	ck_assert_double_eq_tol(hvc_json_get_double(ro, "value", 0), 0.1, 1e-9);
	/* lower is better (startup) -> native/backend: 1.1/11 */
	ro = hvc_json_get(hvc_bench_summary_find(r, "container", "startup", "ready_ms"),
			  "relative_to_native");
	ck_assert_double_eq_tol(hvc_json_get_double(ro, "value", 0), 0.1, 1e-9);
	/* memory gets no ratio; a metric native cannot have is absent, not zero */
	ck_assert_ptr_null(hvc_json_get(
	    hvc_bench_summary_find(r, "container", "footprint", "pss_mib"), "relative_to_native"));
	ck_assert_ptr_null(hvc_bench_summary_find(r, "native", "footprint", "cgroup_mib"));
	ck_assert_ptr_nonnull(hvc_bench_summary_find(r, "container", "footprint", "cgroup_mib"));
	/* unavailable backends have no summaries */
	ck_assert_ptr_null(hvc_bench_summary_find(r, "runc", "startup", "ready_ms"));
}
END_TEST

START_TEST(validate_rejects_bad_documents)
{
	struct hvc_error err = {0};
	static const struct {
		const char *path; /* "a.b" sets key b of object a; samples.N.key for samples */
		const char *json; /* replacement value (NULL = delete) */
		const char *expect;
	} cases[] = {
	    {"schema", "\"other\"", "schema"},
	    {"schema_version", "2", "schema_version 2"},
	    {"samples", NULL, "missing \"samples\""},
	    {"backends.3.reason", NULL, "must say why"},
	    {"samples.0.status", "\"maybe\"", "ok or failed"},
	    {"samples.0.metrics.ready_ms", "\"fast\"", "not a number"},
	    {"samples.0.backend", "\"lxc\"", "\"lxc\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_json_ json_object *r = load_fixture();
		json_object *parent = r;
		char path[128];
		snprintf(path, sizeof(path), "%s", cases[i].path);
		char *save = NULL, *last = NULL;
		for (char *k = strtok_r(path, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
			if (last)
				parent = json_object_is_type(parent, json_type_array)
					     ? json_object_array_get_idx(parent, atoi(last))
					     : hvc_json_get(parent, last);
			last = k;
		}
		if (cases[i].json) {
			json_object *v = json_tokener_parse(cases[i].json);
			json_object_object_add(parent, last, v);
		} else {
			json_object_object_del(parent, last);
		}
		ck_assert_msg(hvc_bench_results_validate(r, &err) < 0, "case %s accepted",
			      cases[i].path);
		ck_assert_msg(strstr(err.msg, cases[i].expect), "case %s: %s", cases[i].path,
			      err.msg);
	}
}
END_TEST

/* The JSON Schema interpreter behind `hvc bench validate`, keyword by keyword:
 * {schema, document, NULL when valid or a text the error must contain}. */
START_TEST(schema_keywords)
{
	static const struct {
		const char *schema, *doc, *expect;
	} cases[] = {
	    {"{\"type\":\"integer\"}", "3", NULL},
	    {"{\"type\":\"integer\"}", "3.5", "$: is a number, not an integer"},
	    {"{\"type\":\"number\"}", "3", NULL},
	    {"{\"type\":[\"number\",\"null\"]}", "null", NULL},
	    {"{\"type\":[\"number\",\"null\"]}", "\"x\"", "is a string, not number or null"},
	    {"{\"type\":\"object\"}", "[]", "is an array, not an object"},
	    {"{\"const\":\"a\"}", "\"b\"", "must be \"a\", not \"b\""},
	    {"{\"enum\":[\"ok\",\"failed\"]}", "\"maybe\"", "must be ok or failed, not \"maybe\""},
	    {"{\"enum\":[1,2,3]}", "2", NULL},
	    {"{\"minimum\":1}", "0", "0 is below the minimum 1"},
	    {"{\"minimum\":1}", "\"0\"", NULL},
	    {"{\"required\":[\"a\"]}", "{\"a\":null}", NULL},
	    {"{\"required\":[\"a\",\"b\"]}", "{\"a\":1}", "$: missing \"b\""},
	    {"{\"properties\":{\"a\":{\"properties\":{\"b\":{\"type\":\"string\"}}}}}",
	     "{\"a\":{\"b\":1}}", "$.a.b: is an integer, not a string"},
	    {"{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"number\"}}",
	     "{\"a\":\"x\",\"b\":1,\"c\":true}", "$.c: is a boolean, not a number"},
	    {"{\"items\":{\"type\":\"string\"}}", "[\"a\",\"b\",3]", "$[2]: is an integer"},
	    {"{\"if\":{\"properties\":{\"s\":{\"const\":\"failed\"}}},\"then\":{\"required\":["
	     "\"e\"],"
	     "\"description\":\"a failed one must say why\"},\"else\":{\"required\":[\"m\"]}}",
	     "{\"s\":\"failed\"}", "a failed one must say why: $: missing \"e\""},
	    {"{\"if\":{\"properties\":{\"s\":{\"const\":\"failed\"}}},\"then\":{\"required\":["
	     "\"e\"]},"
	     "\"else\":{\"required\":[\"m\"]}}",
	     "{\"s\":\"ok\"}", "$: missing \"m\""},
	    {"{\"if\":{\"properties\":{\"s\":{\"const\":\"failed\"}}},\"then\":{\"required\":["
	     "\"e\"]}}",
	     "{\"s\":\"ok\"}", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_json_ json_object *schema = json_tokener_parse(cases[i].schema);
		_cleanup_json_ json_object *doc = json_tokener_parse(cases[i].doc);
		struct hvc_error err = {0};
		ck_assert_msg(schema, "case %zu: schema does not parse", i);
		ck_assert_msg(hvc_bench_schema_supported(schema, &err) == 0, "case %zu: %s", i,
			      err.msg);
		int r = hvc_bench_schema_check(schema, doc, "$", &err);
		if (!cases[i].expect)
			ck_assert_msg(r == 0, "case %zu refused: %s", i, err.msg);
		else
			ck_assert_msg(r < 0 && strstr(err.msg, cases[i].expect),
				      "case %zu: got \"%s\"", i, r < 0 ? err.msg : "accepted");
	}
	/* a keyword the interpreter does not know is refused, not ignored */
	_cleanup_json_ json_object *odd =
	    json_tokener_parse("{\"properties\":{\"a\":{\"pattern\":\"^x\"}}}");
	struct hvc_error err = {0};
	ck_assert_int_lt(hvc_bench_schema_supported(odd, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"pattern\""));
	ck_assert_ptr_nonnull(strstr(err.msg, "$.a"));
}
END_TEST

/* The compiled-in schema is docs/results.schema.json byte for byte, and uses
 * only keywords the interpreter knows. */
START_TEST(embedded_schema_is_the_file)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct hvc_error err = {0};
	ck_assert_msg(hvc_read_file("docs/results.schema.json", &text, &len, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(hvc_bench_results_schema_text, text);
	_cleanup_json_ json_object *schema = NULL;
	ck_assert_msg(hvc_bench_results_schema(&schema, &err) == 0, "%s", err.msg);
	ck_assert_msg(hvc_bench_schema_supported(schema, &err) == 0, "%s", err.msg);
}
END_TEST

/* The typed record of a run becomes a results.json the schema accepts, with
 * the keys in the documented order (docs/results-schema.md). */
START_TEST(record_serialises_to_valid_results)
{
	char *args[] = {"idle", "0", NULL};
	const struct hvc_bench_workload startup = {
	    .name = "startup", .kind = HVC_BENCH_STARTUP, .args = args};
	struct hvc_bench_backend_entry backends[2] = {
	    {.b = &hvc_bench_backend_native, .available = true, .size_ok = false},
	    {.b = &hvc_bench_backend_runc, .available = false, .reason = "runc not installed"},
	};
	struct hvc_bench_workload_entry workloads[1] = {{.w = &startup, .reps = 2, .warmup = 0}};
	struct hvc_bench_sample samples[2] = {0};
	for (size_t i = 0; i < 2; i++) {
		samples[i] = (struct hvc_bench_sample){.backend = "native",
						       .workload = "startup",
						       .rep = (int)i + 1,
						       .seq = i,
						       .ran = true,
						       .ok = i == 0,
						       .memory_nprocs = -1};
		snprintf(samples[i].time, sizeof(samples[i].time), "2026-01-01T00:00:0%zuZ", i);
	}
	hvc_bench_sample_add_metric(&samples[0], "ready_ms", 1.5);
	hvc_bench_sample_add_metric(&samples[0], "exit_ms", 2.5);
	samples[1].exit_status = 3;
	samples[1].error = hvc_xstrdup("workload exited with status 3");
	char *names[] = {"native", "runc", NULL};
	struct hvc_bench_record rec = {
	    .suite = "t",
	    .started = "2026-01-01T00:00:00Z",
	    .finished = "2026-01-01T00:00:09Z",
	    .load_before = 0.1,
	    .load_after = 0.2,
	    .load_threshold = 0.5,
	    .load_quiet = true,
	    .image = "busybox:latest",
	    .cpus = "0",
	    .reps = 2,
	    .backend_names = names,
	    .backends = backends,
	    .n_backends = 2,
	    .workloads = workloads,
	    .n_workloads = 1,
	    .samples = samples,
	    .n_samples = 2,
	};
	rec.run_id = (char *)"20260101-000000-t-abcd";
	rec.host = json_object_new_object();
	_cleanup_json_ json_object *r = hvc_bench_record_json(&rec);
	json_object_put(rec.host);
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_summarize(r, &err) == 0, "%s", err.msg);
	ck_assert_msg(hvc_bench_results_validate(r, &err) == 0, "%s", err.msg);
	static const char *const top[] = {"schema",  "schema_version", "run_id",     "suite",
					  "started", "hvc_version",    "host",	     "load",
					  "config",  "backends",       "workloads",  "commands",
					  "samples", "finished",       "duration_s", "summaries"};
	size_t i = 0;
	json_object_object_foreach(r, k, v)
	{
		(void)v;
		ck_assert_uint_lt(i, sizeof(top) / sizeof(top[0]));
		ck_assert_str_eq(k, top[i++]);
	}
	json_object *s1 = json_object_array_get_idx(hvc_json_get(r, "samples"), 1);
	ck_assert_str_eq(hvc_json_get_string(s1, "status"), "failed");
	ck_assert_int_eq(json_object_object_length(hvc_json_get(s1, "metrics")), 0);
	ck_assert_int_eq(hvc_json_get_int(s1, "exit_status", 0), 3);
	json_object *sum = hvc_bench_summary_find(r, "native", "startup", "ready_ms");
	ck_assert_int_eq(hvc_json_get_int(sum, "n", 0), 1);
	ck_assert_int_eq(hvc_json_get_int(sum, "n_failed", 0), 1);
	json_object *b0 = json_object_array_get_idx(hvc_json_get(r, "backends"), 0);
	ck_assert_str_eq(hvc_json_get_string(hvc_json_get(b0, "image_size"), "error"),
			 "not measured by this backend");
	for (size_t j = 0; j < 2; j++)
		hvc_bench_sample_clear(&samples[j]);
}
END_TEST

/* Issue 12: the storage each backend set up and each fileio sample saw, the
 * floor and the measured time, serialised as the schema says. */
START_TEST(record_storage_and_floor)
{
	char *args[] = {"fileio", "--min-seconds", "0.25", NULL};
	struct hvc_bench_metric_def md = {.key = "seq_write_mb_per_s", .unit = "MB/s"};
	const struct hvc_bench_workload fio = {.name = "fileio",
					       .kind = HVC_BENCH_THROUGHPUT,
					       .args = args,
					       .metrics = &md,
					       .n_metrics = 1,
					       .scratch_disk = true,
					       .min_seconds = 0.25};
	struct hvc_bench_backend_entry be = {
	    .b = &hvc_bench_backend_container, .available = true, .have_storage = true};
	be.storage = (struct hvc_bench_storage){.kind = "volume",
						.path = "/scratch",
						.host_path = hvc_xstrdup("/r/work/scratch"),
						.how = hvc_xstrdup("hvc run -v HOST:/scratch")};
	struct hvc_bench_workload_entry we = {.w = &fio, .reps = 1};
	struct hvc_bench_sample sm[2] = {
	    {.backend = "container",
	     .workload = "fileio",
	     .rep = 1,
	     .ran = true,
	     .ok = true,
	     .memory_nprocs = -1,
	     .floor_checked = true,
	     .floor_s = 0.25,
	     .measured_s = 0.31,
	     .repeats = 7},
	    {.backend = "container",
	     .workload = "fileio",
	     .rep = 2,
	     .seq = 1,
	     .ran = true,
	     .memory_nprocs = -1,
	     .floor_checked = true,
	     .floor_s = 0.25,
	     .measured_s = 0.1,
	     .repeats = 1,
	     .error = hvc_xstrdup("measured 0.100 s, below the floor of 0.25 s")},
	};
	hvc_bench_sample_add_metric(&sm[0], "seq_write_mb_per_s", 800);
	sm[0].storage = (struct hvc_bench_sample_storage){.present = true,
							  .fs = hvc_xstrdup("ext4"),
							  .mount_point = hvc_xstrdup("/scratch"),
							  .direct = true};
	char *names[] = {"container", NULL};
	struct hvc_bench_record rec = {.suite = "t",
				       .image = "busybox:latest",
				       .cpus = "0",
				       .reps = 1,
				       .fileio_on = "volume",
				       .backend_names = names,
				       .backends = &be,
				       .n_backends = 1,
				       .workloads = &we,
				       .n_workloads = 1,
				       .samples = sm,
				       .n_samples = 2};
	rec.run_id = (char *)"20260101-000000-t-abcd";
	rec.host = json_object_new_object();
	_cleanup_json_ json_object *r = hvc_bench_record_json(&rec);
	json_object_put(rec.host);
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_summarize(r, &err) == 0, "%s", err.msg);
	ck_assert_msg(hvc_bench_results_validate(r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(hvc_json_get_string(hvc_json_get(r, "config"), "fileio_on"), "volume");
	json_object *bs =
	    hvc_json_get(json_object_array_get_idx(hvc_json_get(r, "backends"), 0), "storage");
	ck_assert_str_eq(hvc_json_get_string(bs, "kind"), "volume");
	ck_assert_str_eq(hvc_json_get_string(bs, "host_path"), "/r/work/scratch");
	json_object *w0 = json_object_array_get_idx(hvc_json_get(r, "workloads"), 0);
	ck_assert_double_eq(hvc_json_get_double(w0, "min_seconds", -1), 0.25);
	json_object *s0 = json_object_array_get_idx(hvc_json_get(r, "samples"), 0);
	ck_assert_double_eq(hvc_json_get_double(s0, "measured_s", -1), 0.31);
	ck_assert_double_eq(hvc_json_get_double(s0, "min_seconds", -1), 0.25);
	ck_assert_int_eq(hvc_json_get_int(s0, "repeats", -1), 7);
	json_object *st = hvc_json_get(s0, "storage");
	ck_assert_str_eq(hvc_json_get_string(st, "fs"), "ext4");
	ck_assert(hvc_json_get_bool(st, "direct", false));
	ck_assert(!hvc_json_get_bool(st, "volatile", true));
	json_object *s1 = json_object_array_get_idx(hvc_json_get(r, "samples"), 1);
	ck_assert_str_eq(hvc_json_get_string(s1, "status"), "failed");
	ck_assert_double_eq(hvc_json_get_double(s1, "measured_s", -1), 0.1);
	hvc_bench_storage_clear(&be.storage);
	hvc_bench_sample_clear(&sm[0]);
	hvc_bench_sample_clear(&sm[1]);
}
END_TEST

/* A backend that "runs" by printing a canned result line. */
static const char *fake_line;
static int fake_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		    struct hvc_bench_outcome *out, struct hvc_error *err)
{
	(void)ctx;
	(void)err;
	ck_assert_ptr_nonnull(req->scratch_host); /* fileio-like: the volume is offered */
	out->output = hvc_xstrdup(fake_line);
	out->ready_ms = 1;
	out->exit_ms = 2;
	return 0;
}

/* Issue 12: a throughput sample below the floor fails with the reason, one
 * at or above it keeps its figures, its measured time and its storage. */
START_TEST(sample_floor_and_storage)
{
	static const struct hvc_bench_backend fake = {.name = "fake", .run = fake_run};
	char *args[] = {"fileio", NULL};
	struct hvc_bench_metric_def md = {.key = "seq_write_mb_per_s", .unit = "MB/s"};
	struct hvc_bench_workload w = {.name = "fileio",
				       .kind = HVC_BENCH_THROUGHPUT,
				       .args = args,
				       .metrics = &md,
				       .n_metrics = 1,
				       .timeout_s = 5,
				       .scratch_disk = true,
				       .min_seconds = 0.25};
	struct hvc_bench_ctx ctx = {.cpus = "0", .scratch_dir = "/tmp"};
	fake_line = "{\"workload\":\"fileio\",\"ok\":true,\"seq_write_mb_per_s\":800,"
		    "\"fs\":\"ext4\",\"mount_point\":\"/scratch\",\"mount_volatile\":false,"
		    "\"direct\":true,\"direct_mode\":\"auto\",\"direct_fallback\":\"\","
		    "\"min_seconds\":0.25,\"measured_s\":0.1,\"repeats\":2}\n";
	struct hvc_bench_sample s = {0};
	hvc_bench_sample_take(&ctx, &fake, &w, &s);
	ck_assert(!s.ok);
	ck_assert_ptr_nonnull(strstr(s.error, "below the floor of 0.25 s"));
	ck_assert(s.floor_checked);
	ck_assert_double_eq(s.measured_s, 0.1);
	hvc_bench_sample_clear(&s);
	fake_line = "{\"workload\":\"fileio\",\"ok\":true,\"seq_write_mb_per_s\":800,"
		    "\"fs\":\"ext4\",\"mount_point\":\"/scratch\",\"mount_volatile\":false,"
		    "\"direct\":true,\"min_seconds\":0.25,\"measured_s\":0.26,\"repeats\":9}\n";
	hvc_bench_sample_take(&ctx, &fake, &w, &s);
	ck_assert_msg(s.ok, "%s", s.error);
	ck_assert_double_eq(s.measured_s, 0.26);
	ck_assert_int_eq(s.repeats, 9);
	ck_assert(s.storage.present && s.storage.direct && !s.storage.mount_volatile);
	ck_assert_str_eq(s.storage.fs, "ext4");
	hvc_bench_sample_clear(&s);
	/* a line without measured_s cannot be held to the floor */
	fake_line = "{\"workload\":\"fileio\",\"ok\":true,\"seq_write_mb_per_s\":800}\n";
	hvc_bench_sample_take(&ctx, &fake, &w, &s);
	ck_assert(!s.ok);
	ck_assert_ptr_nonnull(strstr(s.error, "no measured_s"));
	hvc_bench_sample_clear(&s);
}
END_TEST

/* Issue 12: the ETA said 0 s with 19 s left — one average over many quick
 * start-ups projected onto slow file I/O. Each remaining sample now costs
 * its own workload's time on its backend. */
START_TEST(eta_from_each_workloads_own_time)
{
	/* 2 workloads (startup: 10 rounds, fileio: 2) x 2 backends */
	int rounds[] = {10, 2};
	double sum[4] = {0};
	unsigned n[4] = {0};
	struct hvc_bench_eta_table t = {
	    .n_workloads = 2, .n_backends = 2, .rounds = rounds, .sum = sum, .n = n};
	ck_assert_double_lt(hvc_bench_eta(&t, 0, 0, 0), 0); /* nothing measured yet */
	/* startup done: 0.01 s per sample; fileio not yet seen on any backend:
	 * each backend's own time stands in (4 samples x 0.01 s) */
	sum[0] = sum[1] = 0.1;
	n[0] = n[1] = 10;
	ck_assert_double_eq_tol(hvc_bench_eta(&t, 1, 0, 0), 0.04, 1e-9);
	/* fileio's first sample on backend 0 took 5 s, backend 1's none yet:
	 * that workload's time stands in for it — the old average
	 * (10.2 s / 21 samples x 3 left = 1.5 s) said almost nothing was left */
	sum[2] = 5;
	n[2] = 1;
	ck_assert_double_eq_tol(hvc_bench_eta(&t, 1, 0, 1), 15, 1e-9);
	sum[3] = 1;
	n[3] = 1;
	ck_assert_double_eq_tol(hvc_bench_eta(&t, 1, 1, 0), 6, 1e-9);
	/* round 1 runs the backends rotated (1, 0): at its position 1 only
	 * backend 0's sample is left */
	ck_assert_double_eq_tol(hvc_bench_eta(&t, 1, 1, 1), 5, 1e-9);
}
END_TEST

START_TEST(csv_one_row_per_sample)
{
	_cleanup_json_ json_object *r = summarized_fixture();
	_cleanup_free_ char *csv = mem_text(r, hvc_bench_results_write_csv);
	size_t lines = 0;
	for (char *p = csv; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, json_object_array_length(hvc_json_get(r, "samples")) + 1);
	ck_assert(hvc_str_has_prefix(
	    csv, "run_id,seq,backend,workload,rep,warmup,status,accelerator,ready_ms,exit_ms,"));
	ck_assert_ptr_nonnull(strstr(csv, ",failed,tcg,"));
	ck_assert_ptr_nonnull(strstr(csv, "workload's own result check failed"));
	/* the warm-up is in the CSV, marked */
	ck_assert_ptr_nonnull(strstr(csv, ",native,startup,1,true,ok,,99,"));
}
END_TEST

START_TEST(report_from_fixture)
{
	_cleanup_json_ json_object *r = summarized_fixture();
	_cleanup_free_ char *md = mem_text(r, hvc_bench_report_markdown);
	/* the TCG caveat comes before anything else */
	char *cav = strstr(md, "TCG");
	char *host = strstr(md, "**Host.**");
	ck_assert_ptr_nonnull(cav);
	ck_assert_ptr_nonnull(host);
	ck_assert(cav < host);
	ck_assert_ptr_nonnull(strstr(md, "Test CPU @ 1.00GHz"));
	ck_assert_ptr_nonnull(strstr(md, "| runc | **no** | runc not installed |"));
	ck_assert_ptr_nonnull(strstr(md, "| native | 1.10"));
	ck_assert_ptr_nonnull(strstr(md, "workload's own result check failed"));
	ck_assert_ptr_nonnull(strstr(md, "startup.png"));
	ck_assert_ptr_nonnull(strstr(md, "throughput.png"));
	/* vm: n = 4, too few for the ratio's interval (issue 12) */
	ck_assert_ptr_nonnull(strstr(md, "0.10 (n = 4: too few for an interval)"));
	/* without VMs under TCG, no caveat */
	json_object *ss = hvc_json_get(r, "samples");
	for (size_t i = 0; i < json_object_array_length(ss); i++)
		json_object_object_del(json_object_array_get_idx(ss, i), "accelerator");
	_cleanup_free_ char *md2 = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_null(strstr(md2, "Caveat"));
}
END_TEST

START_TEST(chart_scripts_written)
{
	_cleanup_json_ json_object *r = summarized_fixture();
	char dir[] = "/tmp/hvc-test-plot.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = {0};
	_cleanup_free_ char *fails = NULL;
	ck_assert_msg(hvc_bench_plot(r, dir, false, &fails, &err) == 0, "%s", err.msg);
	static const char *const files[] = {"startup.gp",    "startup.dat",   "memory.gp",
					    "image-size.gp", "throughput.gp", "throughput.dat"};
	for (size_t i = 0; i < 6; i++) {
		_cleanup_free_ char *p = hvc_path_join(dir, files[i]);
		ck_assert_msg(hvc_path_exists(p), "%s missing", files[i]);
	}
	_cleanup_free_ char *gp = NULL, *dat = NULL;
	size_t len;
	_cleanup_free_ char *gpp = hvc_path_join(dir, "startup.gp");
	_cleanup_free_ char *datp = hvc_path_join(dir, "startup.dat");
	ck_assert_int_eq(hvc_read_file(gpp, &gp, &len, &err), 0);
	ck_assert_int_eq(hvc_read_file(datp, &dat, &len, &err), 0);
	ck_assert_ptr_nonnull(strstr(gp, "set logscale y"));
	ck_assert_ptr_nonnull(strstr(gp, "startup.png"));
	ck_assert_ptr_nonnull(strstr(gp, "startup.svg"));
	ck_assert_ptr_nonnull(strstr(dat, "\"native\" 1.1 "));
	hvc_rm_rf(dir, &err);
}
END_TEST

/* Builds a minimal valid results document with one metric's samples. */
static json_object *doc_with(const double *v, size_t n)
{
	json_object *r = load_fixture();
	json_object *ss = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_new_object();
		hvc_json_add_string(s, "backend", "native");
		hvc_json_add_string(s, "workload", "cpu");
		hvc_json_add_int(s, "rep", (int64_t)i + 1);
		hvc_json_add_bool(s, "warmup", false);
		hvc_json_add_int(s, "seq", (int64_t)i);
		hvc_json_add_string(s, "status", "ok");
		json_object *m = json_object_new_object();
		hvc_json_add_double(m, "mb_per_s", v[i]);
		json_object_object_add(s, "metrics", m);
		json_object_array_add(ss, s);
	}
	json_object_object_add(r, "samples", ss);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_bench_results_summarize(r, &err), 0);
	return r;
}

static json_object *cmp_entry(json_object *cmp, const char *metric)
{
	for (size_t i = 0; i < json_object_array_length(cmp); i++) {
		json_object *c = json_object_array_get_idx(cmp, i);
		if (!strcmp(hvc_json_get_string(c, "metric"), metric))
			return c;
	}
	return NULL;
}

START_TEST(compare_flags_only_real_changes)
{
	const double base[] = {100, 101, 99, 100, 102, 98, 100, 101};
	const double slower[] = {80, 81, 79, 80, 82, 78, 80, 81};
	const double tiny[] = {101, 102, 100, 101, 103, 99, 101, 102}; /* +1%: below 5% */
	struct hvc_error err = {0};
	_cleanup_json_ json_object *a = doc_with(base, 8), *b = doc_with(slower, 8),
				   *c = doc_with(tiny, 8);
	_cleanup_json_ json_object *ab = NULL, *aa = NULL, *ac = NULL;
	ck_assert_msg(hvc_bench_compare(a, b, NULL, &ab, &err) == 0, "%s", err.msg);
	json_object *e = cmp_entry(ab, "mb_per_s");
	ck_assert_ptr_nonnull(e);
	ck_assert(hvc_json_get_bool(e, "flagged", false));
	ck_assert_str_eq(hvc_json_get_string(e, "verdict"), "regression");
	ck_assert_double_eq_tol(hvc_json_get_double(e, "change", 0), -0.2, 1e-9);
	ck_assert_double_lt(hvc_json_get_double(e, "p_value", 1), 0.05);
	/* the reverse is an improvement */
	_cleanup_json_ json_object *ba = NULL;
	ck_assert_int_eq(hvc_bench_compare(b, a, NULL, &ba, &err), 0);
	ck_assert_str_eq(hvc_json_get_string(cmp_entry(ba, "mb_per_s"), "verdict"), "improvement");
	/* identical runs: nothing flagged */
	ck_assert_int_eq(hvc_bench_compare(a, a, NULL, &aa, &err), 0);
	ck_assert(!hvc_json_get_bool(cmp_entry(aa, "mb_per_s"), "flagged", true));
	/* a small shift is not flagged, whatever its p-value */
	ck_assert_int_eq(hvc_bench_compare(a, c, NULL, &ac, &err), 0);
	ck_assert(!hvc_json_get_bool(cmp_entry(ac, "mb_per_s"), "flagged", true));
	/* different workload arguments: reported, never flagged */
	json_object *args =
	    hvc_json_get(json_object_array_get_idx(hvc_json_get(b, "workloads"), 2), "args");
	json_object_array_put_idx(args, 1, json_object_new_string("16"));
	_cleanup_json_ json_object *ab2 = NULL;
	ck_assert_int_eq(hvc_bench_compare(a, b, NULL, &ab2, &err), 0);
	ck_assert(!hvc_json_get_bool(cmp_entry(ab2, "mb_per_s"), "flagged", true));
	ck_assert_ptr_nonnull(
	    strstr(hvc_json_get_string(cmp_entry(ab2, "mb_per_s"), "verdict"), "not comparable"));
	/* an invalid document is refused */
	json_object_object_del(c, "schema");
	_cleanup_json_ json_object *bad = NULL;
	ck_assert_int_lt(hvc_bench_compare(a, c, NULL, &bad, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "second run"));
}
END_TEST

START_TEST(oci_config_generator)
{
	struct hvc_error err = {0};
	char *env[] = {"FOO=bar", NULL};
	char *cmd[] = {"sh", "-c", "true", NULL};
	struct hvc_image_config img = {
	    .env = env, .cmd = cmd, .workdir = "/srv", .user = "1000:100"};
	_cleanup_json_ json_object *c = NULL;
	ck_assert_msg(hvc_bench_oci_config(&img, NULL, &c, &err) == 0, "%s", err.msg);
	json_object *proc = hvc_json_get(c, "process");
	ck_assert_str_eq(hvc_json_get_string(proc, "cwd"), "/srv");
	ck_assert_int_eq(hvc_json_get_int(hvc_json_get(proc, "user"), "uid", -1), 1000);
	ck_assert_int_eq(hvc_json_get_int(hvc_json_get(proc, "user"), "gid", -1), 100);
	ck_assert_uint_eq(json_object_array_length(hvc_json_get(proc, "args")), 3);
	/* PATH is added when the image has none */
	json_object *e = hvc_json_get(proc, "env");
	ck_assert_uint_eq(json_object_array_length(e), 2);
	ck_assert(
	    hvc_str_has_prefix(json_object_get_string(json_object_array_get_idx(e, 1)), "PATH="));
	ck_assert_uint_eq(
	    json_object_array_length(hvc_json_get(hvc_json_get(proc, "capabilities"), "bounding")),
	    14);
	ck_assert(hvc_json_get_bool(proc, "noNewPrivileges", false));
	ck_assert_str_eq(hvc_json_get_string(hvc_json_get(c, "root"), "path"), "rootfs");
	ck_assert_ptr_null(hvc_json_get(hvc_json_get(c, "linux"), "cgroupsPath"));
	/* args, cpuset and cgroup path from the options */
	char *args[] = {"/usr/local/bin/hvc-workload", "idle", NULL};
	struct hvc_bench_bundle_opts o = {.args = args, .cpus = "0-1", .cgroups_path = "/x"};
	_cleanup_json_ json_object *c2 = NULL;
	ck_assert_int_eq(hvc_bench_oci_config(&img, &o, &c2, &err), 0);
	json_object *lx = hvc_json_get(c2, "linux");
	ck_assert_str_eq(hvc_json_get_string(lx, "cgroupsPath"), "/x");
	ck_assert_str_eq(
	    hvc_json_get_string(hvc_json_get(hvc_json_get(lx, "resources"), "cpu"), "cpus"), "0-1");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
			     hvc_json_get(hvc_json_get(c2, "process"), "args"), 1)),
			 "idle");
	/* a scratch volume: a bind mount, and the process's cwd */
	o.volume_host = "/var/tmp/scratch";
	o.volume_path = "/scratch";
	_cleanup_json_ json_object *c4 = NULL;
	ck_assert_int_eq(hvc_bench_oci_config(&img, &o, &c4, &err), 0);
	ck_assert_str_eq(hvc_json_get_string(hvc_json_get(c4, "process"), "cwd"), "/scratch");
	json_object *m0 = json_object_array_get_idx(hvc_json_get(c4, "mounts"), 0);
	ck_assert_str_eq(hvc_json_get_string(m0, "destination"), "/scratch");
	ck_assert_str_eq(hvc_json_get_string(m0, "type"), "bind");
	ck_assert_str_eq(hvc_json_get_string(m0, "source"), "/var/tmp/scratch");
	ck_assert_str_eq(
	    json_object_get_string(json_object_array_get_idx(hvc_json_get(m0, "options"), 0)),
	    "rbind");
	/* a user name cannot be resolved here: refused, not run as root */
	struct hvc_image_config named = {.cmd = cmd, .user = "nobody"};
	_cleanup_json_ json_object *c3 = NULL;
	ck_assert_int_lt(hvc_bench_oci_config(&named, NULL, &c3, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"nobody\""));
	/* no command at all */
	struct hvc_image_config empty = {0};
	ck_assert_int_lt(hvc_bench_oci_config(&empty, NULL, &c3, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "no entrypoint or cmd"));
}
END_TEST

/* ---------- issue 12: honest numbers (statistics rules, sanity flags, compare gate) */

/* The fixture with the cpu workload's samples replaced: n values of
 * mb_per_s per backend, v[i] * scale for backend b. */
struct cells {
	const char *backend;
	double scale;
	size_t n;
};

static json_object *doc_cells(const struct cells *c, size_t nc)
{
	json_object *r = load_fixture();
	json_object *ss = json_object_new_array();
	int64_t seq = 0;
	for (size_t k = 0; k < nc; k++)
		for (size_t i = 0; i < c[k].n; i++) {
			json_object *s = json_object_new_object();
			hvc_json_add_string(s, "backend", c[k].backend);
			hvc_json_add_string(s, "workload", "cpu");
			hvc_json_add_int(s, "rep", (int64_t)i + 1);
			hvc_json_add_bool(s, "warmup", false);
			hvc_json_add_int(s, "seq", seq++);
			hvc_json_add_string(s, "status", "ok");
			json_object *m = json_object_new_object();
			hvc_json_add_double(m, "mb_per_s", c[k].scale * (100.0 + (double)(i % 5)));
			json_object_object_add(s, "metrics", m);
			json_object_array_add(ss, s);
		}
	json_object_object_add(r, "samples", ss);
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_summarize(r, &err) == 0, "%s", err.msg);
	return r;
}

START_TEST(summaries_carry_no_interval_below_five)
{
	const struct cells c[] = {{"native", 1.0, 2}, {"container", 0.9, 2}, {"vm", 0.1, 8}};
	_cleanup_json_ json_object *r = doc_cells(c, 3);
	json_object *sums = hvc_json_get(r, "summaries");
	for (size_t i = 0; i < json_object_array_length(sums); i++) {
		json_object *s = json_object_array_get_idx(sums, i);
		json_object *ro = hvc_json_get(s, "relative_to_native");
		int64_t n = hvc_json_get_int(s, "n", 0);
		int64_t nn = hvc_json_get_int(ro, "n_native", 99);
		if (n < 5) {
			ck_assert(!hvc_json_get(s, "ci_lo") && !hvc_json_get(s, "mean_ci_lo"));
			ck_assert_str_eq(hvc_json_get_string(s, "no_ci_reason"),
					 "n = 2: too few for an interval");
		}
		if (ro && (n < 5 || nn < 5))
			ck_assert(!hvc_json_get(ro, "ci_lo") && !hvc_json_get(ro, "ci_hi"));
	}
	json_object *vm = hvc_bench_summary_find(r, "vm", "cpu", "mb_per_s");
	ck_assert(hvc_json_get(vm, "ci_lo") && hvc_json_get(vm, "mean_ci_lo"));
	json_object *ro = hvc_json_get(vm, "relative_to_native");
	ck_assert_str_eq(hvc_json_get_string(ro, "no_ci_reason"),
			 "native n = 2: too few for an interval");
	/* no test from fewer than 5 a side either: no p, never "different" */
	json_object *cro = hvc_json_get(hvc_bench_summary_find(r, "container", "cpu", "mb_per_s"),
					"relative_to_native");
	ck_assert_ptr_null(hvc_json_get(cro, "p_value"));
	ck_assert(!hvc_json_get_bool(cro, "different", true));
	/* medians 10.15 (8 samples) and 100.5 (2) */
	ck_assert_double_eq_tol(hvc_json_get_double(ro, "value", 0), 10.15 / 100.5, 1e-9);
	/* the schema accepts what the summaries now say */
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_validate(r, &err) == 0, "%s", err.msg);
}
END_TEST

START_TEST(difference_needs_test_and_size)
{
	ck_assert(hvc_bench_differs_from_native(0.5, 0.001, 0.05, 0.05));
	ck_assert(hvc_bench_differs_from_native(1.06, 0.01, 0.05, 0.05));
	ck_assert(!hvc_bench_differs_from_native(1.04, 0.001, 0.05, 0.05)); /* too small */
	ck_assert(!hvc_bench_differs_from_native(0.5, 0.06, 0.05, 0.05));   /* not significant */
	ck_assert(!hvc_bench_differs_from_native(0.5, NAN, 0.05, 0.05));
	ck_assert(!hvc_bench_differs_from_native(NAN, 0.001, 0.05, 0.05));
	/* 10 a side, 2x apart: different, after Holm over the run's ratios */
	const struct cells c[] = {{"native", 1.0, 10}, {"container", 0.5, 10}, {"vm", 1.0, 10}};
	_cleanup_json_ json_object *r = doc_cells(c, 3);
	json_object *ro = hvc_json_get(hvc_bench_summary_find(r, "container", "cpu", "mb_per_s"),
				       "relative_to_native");
	ck_assert(hvc_json_get_bool(ro, "different", false));
	ck_assert(hvc_json_get_double(ro, "p_adjusted", 1) >=
		  hvc_json_get_double(ro, "p_value", 1));
	ro = hvc_json_get(hvc_bench_summary_find(r, "vm", "cpu", "mb_per_s"), "relative_to_native");
	ck_assert(!hvc_json_get_bool(ro, "different", true));
}
END_TEST

static json_object *flag_of(const char *backend, const char *program, double ratio,
			    const char *accel, size_t n)
{
	struct hvc_bench_sanity_in in = {.backend = backend,
					 .workload = program,
					 .metric = "m",
					 .program = program,
					 .ratio = ratio,
					 .accel = accel,
					 .n = n,
					 .n_native = n,
					 .p_adjusted = NAN};
	return hvc_bench_sanity_flag(&in);
}

START_TEST(sanity_flag_rules)
{
	/* a container or runc more than 5% better than native: suspect */
	_cleanup_json_ json_object *f1 = flag_of("container", "fileio", 1.89, NULL, 2);
	ck_assert_ptr_nonnull(f1);
	ck_assert_str_eq(hvc_json_get_string(f1, "code"), "faster_than_native");
	ck_assert_str_eq(hvc_json_get_string(f1, "severity"), "suspect");
	const char *t = hvc_json_get_string(f1, "text");
	ck_assert_ptr_nonnull(strstr(t, "1.89 × native"));
	ck_assert_ptr_nonnull(strstr(t, "page cache"));
	ck_assert_ptr_nonnull(strstr(t, "fsync"));
	ck_assert_ptr_nonnull(strstr(t, "n = 2"));
	_cleanup_json_ json_object *f2 = flag_of("runc", "cpu", 1.06, NULL, 10);
	ck_assert_ptr_nonnull(f2);
	ck_assert_ptr_nonnull(strstr(hvc_json_get_string(f2, "text"), "CPU placement"));
	ck_assert_ptr_nonnull(strstr(hvc_json_get_string(f2, "text"), "frequency scaling"));
	/* at or below the margin, slower, native itself, unknown: nothing */
	ck_assert_ptr_null(flag_of("container", "cpu", 1.05, NULL, 10));
	ck_assert_ptr_null(flag_of("runc", "mem", 0.7, NULL, 10));
	ck_assert_ptr_null(flag_of("native", "mem", 1.5, NULL, 10));
	ck_assert_ptr_null(flag_of("container", "mem", NAN, NULL, 10));
	/* a VM faster on memory or CPU: suspect, under KVM and TCG alike */
	_cleanup_json_ json_object *f3 = flag_of("vm", "mem", 1.2, "kvm", 10);
	ck_assert_str_eq(hvc_json_get_string(f3, "severity"), "suspect");
	_cleanup_json_ json_object *f4 = flag_of("vm", "cpu", 1.2, "tcg", 10);
	ck_assert_ptr_nonnull(strstr(hvc_json_get_string(f4, "text"), "guest's clock"));
	/* a VM faster on syscall under TCG: real, explained */
	_cleanup_json_ json_object *f5 = flag_of("vm", "syscall", 1.3, "tcg", 10);
	ck_assert_str_eq(hvc_json_get_string(f5, "code"), "vm_syscall_tcg");
	ck_assert_str_eq(hvc_json_get_string(f5, "severity"), "explained");
	ck_assert_ptr_nonnull(strstr(hvc_json_get_string(f5, "text"), "mitigations"));
	_cleanup_json_ json_object *f6 = flag_of("vm", "syscall", 1.3, "kvm", 10);
	ck_assert_str_eq(hvc_json_get_string(f6, "severity"), "suspect");
	ck_assert(hvc_bench_sanity_is_peer("crun") && !hvc_bench_sanity_is_peer("vm"));
}
END_TEST

START_TEST(report_flags_and_short_runs)
{
	/* container 10% better than native with 2 samples each; vm with 6 */
	const struct cells c[] = {{"native", 1.0, 6}, {"container", 1.1, 2}, {"vm", 0.5, 6}};
	_cleanup_json_ json_object *r = doc_cells(c, 3);
	json_object *ct = hvc_bench_summary_find(r, "container", "cpu", "mb_per_s");
	json_object *fl = json_object_array_get_idx(hvc_json_get(ct, "flags"), 0);
	ck_assert_str_eq(hvc_json_get_string(fl, "code"), "faster_than_native");
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_validate(r, &err) == 0, "%s", err.msg);
	_cleanup_free_ char *md = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_nonnull(strstr(md, "> **Sanity flags:** 1 result"));
	ck_assert_ptr_nonnull(strstr(md, "## Sanity flags"));
	ck_assert_ptr_nonnull(strstr(md, "1.09 (n = 2: too few for an interval) ⚑"));
	ck_assert_ptr_nonnull(strstr(md, "| 110.6 (n = 2: too few for an interval) |"));
	/* n >= 5 a side: the interval as before, no flag on a slower VM */
	ck_assert_ptr_nonnull(strstr(md, "| 0.50 [0.49, 0.51] |"));
	/* only the vm (6 a side) is tested against native, and it is different */
	ck_assert_ptr_nonnull(strstr(md, "Holm-Bonferroni over the 1 ratio of this run tested"));
	ck_assert_ptr_nonnull(strstr(md, "- vm cpu mb_per_s: 0.50 × native"));
	ck_assert_ptr_null(strstr(md, "- container cpu"));
	ck_assert_ptr_null(strstr(md, "ℹ vm"));
}
END_TEST

START_TEST(compare_gate_and_holm)
{
	/* two cells, both 20% slower in the second run: each p tiny, Holm keeps both */
	const struct cells a[] = {{"native", 1.0, 12}, {"container", 1.0, 12}};
	const struct cells b[] = {{"native", 0.8, 12}, {"container", 0.8, 12}};
	_cleanup_json_ json_object *ra = doc_cells(a, 2), *rb = doc_cells(b, 2);
	_cleanup_json_ json_object *cmp = NULL;
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_compare(ra, rb, NULL, &cmp, &err) == 0, "%s", err.msg);
	size_t tested = 0;
	for (size_t i = 0; i < json_object_array_length(cmp); i++) {
		json_object *c = json_object_array_get_idx(cmp, i);
		if (!hvc_json_get(c, "p_adjusted"))
			continue;
		tested++;
		ck_assert_str_eq(hvc_json_get_string(c, "verdict"), "regression");
		ck_assert_double_eq_tol(hvc_json_get_double(c, "ratio", 0), 0.8, 1e-9);
		ck_assert(hvc_json_get_double(c, "p_adjusted", 1) >=
			  hvc_json_get_double(c, "p_value", 1));
	}
	ck_assert_uint_eq(tested, 2);
	ck_assert_uint_eq(hvc_bench_compare_regressions(cmp), 2);
	/* the verdict rule on its own */
	struct hvc_bench_compare_opts o = {.alpha = 0.05, .min_change = 0.05, .rounds = 100};
	ck_assert_str_eq(hvc_bench_compare_verdict(true, 0.01, -0.2, true, &o), "regression");
	ck_assert_str_eq(hvc_bench_compare_verdict(true, 0.01, -0.2, false, &o), "improvement");
	ck_assert_str_eq(hvc_bench_compare_verdict(true, 0.06, -0.2, true, &o),
			 "no significant change");
	ck_assert_ptr_nonnull(
	    strstr(hvc_bench_compare_verdict(true, NAN, -0.2, true, &o), "not tested"));
	ck_assert_str_eq(hvc_bench_compare_verdict(true, 0.01, 0.02, true, &o),
			 "significant but below the minimum change");
	ck_assert_ptr_nonnull(
	    strstr(hvc_bench_compare_verdict(false, 0.01, -0.2, true, &o), "not comparable"));
	/* the gate: same facts -> nothing; another kernel, accelerator or suite -> said */
	_cleanup_strv_ char **same = hvc_bench_compare_mismatches(ra, rb);
	ck_assert_ptr_null(same[0]);
	json_object_object_add(rb, "suite", json_object_new_string("full"));
	json_object *host = hvc_json_get(rb, "host");
	json_object *virt = json_object_new_object();
	hvc_json_add_string(virt, "accel", "kvm");
	json_object_object_add(host, "virtualization", virt);
	json_object *kern = json_object_new_object();
	hvc_json_add_string(kern, "release", "6.2.0");
	json_object_object_add(host, "kernel", kern);
	_cleanup_strv_ char **diff = hvc_bench_compare_mismatches(ra, rb);
	ck_assert_uint_eq(hvc_strv_len(diff), 3);
	ck_assert_str_eq(diff[0], "kernel: not recorded (first) vs 6.2.0 (second)");
	ck_assert_str_eq(diff[1], "accelerator: not recorded (first) vs kvm (second)");
	ck_assert_str_eq(diff[2], "suite: fixture (first) vs full (second)");
}
END_TEST

START_TEST(compare_chart_written)
{
	const struct cells a[] = {{"native", 1.0, 6}};
	const struct cells b[] = {{"native", 0.5, 6}};
	_cleanup_json_ json_object *ra = doc_cells(a, 1), *rb = doc_cells(b, 1);
	_cleanup_json_ json_object *cmp = NULL;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_bench_compare(ra, rb, NULL, &cmp, &err), 0);
	char dir[] = "/tmp/hvc-test-cmp.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *fails = NULL;
	ck_assert_msg(hvc_bench_plot_compare(cmp, dir, false, &fails, &err) == 0, "%s", err.msg);
	_cleanup_free_ char *datp = hvc_path_join(dir, "compare.dat");
	_cleanup_free_ char *gpp = hvc_path_join(dir, "compare.gp");
	_cleanup_free_ char *dat = NULL, *gp = NULL;
	size_t len;
	ck_assert_int_eq(hvc_read_file(datp, &dat, &len, &err), 0);
	ck_assert_int_eq(hvc_read_file(gpp, &gp, &len, &err), 0);
	/* one row, the ratio 0.5 with its interval (n = 6), red: 0xe15759 */
	ck_assert_ptr_nonnull(strstr(dat, "\"native cpu mb\\\\_per\\\\_s\" 0.5 "));
	ck_assert_ptr_nonnull(strstr(dat, " 14767961\n"));
	ck_assert_ptr_nonnull(strstr(gp, "compare.png"));
	ck_assert_ptr_nonnull(strstr(gp, "boxxyerror"));
	hvc_rm_rf(dir, &err);
}
END_TEST

START_TEST(report_explains_tcg_syscall)
{
	/* a VM twice as fast as native on syscall under TCG: explained, not suspect */
	const struct cells c[] = {{"native", 1.0, 6}, {"vm", 2.0, 6}};
	_cleanup_json_ json_object *r = doc_cells(c, 2);
	json_object *w = json_object_array_get_idx(hvc_json_get(r, "workloads"), 2);
	json_object_array_put_idx(hvc_json_get(w, "args"), 0, json_object_new_string("syscall"));
	json_object *virt = json_object_new_object();
	hvc_json_add_string(virt, "accel", "tcg");
	json_object_object_add(hvc_json_get(r, "host"), "virtualization", virt);
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_summarize(r, &err) == 0, "%s", err.msg);
	json_object *fl = json_object_array_get_idx(
	    hvc_json_get(hvc_bench_summary_find(r, "vm", "cpu", "mb_per_s"), "flags"), 0);
	ck_assert_str_eq(hvc_json_get_string(fl, "code"), "vm_syscall_tcg");
	_cleanup_free_ char *md = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_nonnull(strstr(md, "| 2.00 [1.95, 2.05] ℹ |"));
	ck_assert_ptr_nonnull(strstr(md, "- ℹ vm cpu mb_per_s is 2.00 × native under TCG"));
	ck_assert_ptr_null(strstr(md, "> **Sanity flags:**")); /* nothing suspect */
}
END_TEST

/* The quick suite's shared-boot note is quoted only when a sample ran in a
 * shared boot; a suite's plain "note" always. */
START_TEST(report_shared_boot_note_only_when_shared)
{
	const struct cells c[] = {{"native", 1.0, 5}, {"vm", 0.5, 5}};
	_cleanup_json_ json_object *r = doc_cells(c, 2);
	json_object *def = json_object_new_object();
	hvc_json_add_string(def, "note", "plain note");
	hvc_json_add_string(def, "shared_boot_note", "Shared VM boot: one boot");
	json_object_object_add(hvc_json_get(r, "config"), "suite_definition", def);
	_cleanup_free_ char *md = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_nonnull(strstr(md, "> **Suite note:** plain note"));
	ck_assert_ptr_null(strstr(md, "Shared VM boot"));
	json_object *s = json_object_array_get_idx(hvc_json_get(r, "samples"), 5);
	json_object *extra = json_object_new_object();
	json_object_object_add(extra, "shared_boot", json_object_new_object());
	json_object_object_add(s, "extra", extra);
	_cleanup_free_ char *md2 = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_nonnull(strstr(md2, "> **Suite note:** Shared VM boot: one boot"));
}
END_TEST

START_TEST(report_says_why_nothing_differs)
{
	/* the fixture: five ratios with 5 samples a side, vm startup 10x native */
	_cleanup_json_ json_object *r = summarized_fixture();
	_cleanup_free_ char *md = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_nonnull(strstr(md,
				     "None of them passes that test in this run. With 5 samples "
				     "a side (the fewest here) even two completely separated "
				     "sets give p = 0.048, and Holm over 5 tests needs below "
				     "0.01"));
}
END_TEST

/* Issue 13: the felter suite — the workloads after Felter et al. on
 * native, container and vm, and its note that the paper's figures are
 * not included (none could be verified here, none are invented). */
START_TEST(felter_suite_without_paper_figures)
{
	struct hvc_error err = {0};
	struct hvc_bench_suite *s = NULL;
	ck_assert_msg(hvc_bench_suite_load("felter", &s, &err) == 0, "%s", err.msg);
	static const char *const names[] = {"linpack",	  "stream", "randomaccess",
					    "fio-random", "nuttcp", "netperf-rr"};
	ck_assert_uint_eq(s->n_workloads, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(s->workloads[i].name, names[i]);
	ck_assert_int_eq(s->workloads[4].kind, HVC_BENCH_NETWORK);
	ck_assert_str_eq(s->workloads[5].args[0], "net-rr");
	ck_assert_uint_eq(hvc_strv_len(s->backends), 3);
	ck_assert_int_ge(s->reps, 5);
	const char *note = hvc_json_get_string(s->source, "note");
	ck_assert_ptr_nonnull(note);
	ck_assert_ptr_nonnull(strstr(note, "Paper figures not included"));
	hvc_bench_suite_free(s);
}
END_TEST

/* Issue 13: the network axis — pure pieces first: the packet path a
 * workload's "path" becomes, the net-server's exit line. */
START_TEST(net_packet_path_and_server_exit)
{
	ck_assert_str_eq(hvc_bench_net_packet_path("loopback"), "loopback");
	ck_assert_str_eq(hvc_bench_net_packet_path("veth"), "veth+bridge");
	ck_assert_str_eq(hvc_bench_net_packet_path("virtio-net"), "tap+virtio-net");
	ck_assert_str_eq(hvc_bench_net_packet_path("e1000"), "e1000");
	ck_assert_ptr_null(hvc_bench_net_packet_path(NULL));
	char why[16];
	int64_t c, r;
	hvc_bench_net_server_parse_exit(
	    "hvc-workload: net-server: exiting (count) after 1586 connections, 2 runs\n", why,
	    sizeof(why), &c, &r);
	ck_assert_str_eq(why, "count");
	ck_assert_int_eq(c, 1586);
	ck_assert_int_eq(r, 2);
	hvc_bench_net_server_parse_exit("something else", why, sizeof(why), &c, &r);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(c, -1);
	ck_assert_int_eq(r, -1);
}
END_TEST

/* The built-in suites carry the three network workloads, kind "network",
 * held to the suite's floor; a suite file may use the kind. */
START_TEST(suites_have_network_workloads)
{
	static const char *const names[] = {"quick", "full"};
	for (size_t k = 0; k < 2; k++) {
		struct hvc_error err = {0};
		struct hvc_bench_suite *s = NULL;
		ck_assert_msg(hvc_bench_suite_load(names[k], &s, &err) == 0, "%s", err.msg);
		size_t found = 0;
		for (size_t i = 0; i < s->n_workloads; i++) {
			const struct hvc_bench_workload *w = &s->workloads[i];
			if (strncmp(w->name, "net-", 4))
				continue;
			found++;
			ck_assert_int_eq(w->kind, HVC_BENCH_NETWORK);
			ck_assert_str_eq(w->args[0], w->name);
			ck_assert_double_eq(w->min_seconds, s->min_seconds);
			ck_assert_uint_ge(w->n_metrics, 2);
			for (char **a = w->args; *a; a++)
				ck_assert_str_ne(*a, "--server"); /* the harness adds it */
		}
		ck_assert_uint_eq(found, 3);
		hvc_bench_suite_free(s);
	}
}
END_TEST

static const char *fake_net_expected;
static int fake_net_peer(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len, const char **path,
			 char *reason, size_t len)
{
	(void)ctx;
	if (!fake_net_expected) {
		snprintf(reason, len, "no network here");
		return 0;
	}
	snprintf(addr, addr_len, "127.0.0.1");
	*path = fake_net_expected;
	return 1;
}

static bool native_net_run_saw_server;
static int native_net_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
			  struct hvc_bench_outcome *out, struct hvc_error *err)
{
	bool server = false;
	for (char *const *a = req->argv; *a; a++)
		server |= !strcmp(*a, "--server") && a[1] && !strncmp(a[1], "127.0.0.1:", 10);
	native_net_run_saw_server = server && req->network;
	return hvc_bench_backend_native.run(ctx, req, out, err);
}

/* A real network sample natively over loopback (net-server and the client
 * both on 127.0.0.1): figures, the path, the server's own count of one
 * client run; a backend expecting another path fails the sample; a
 * backend without a peer records why it took none. */
START_TEST(network_sample_on_loopback)
{
	_cleanup_free_ char *bin = realpath("bin/hvc-workload", NULL);
	ck_assert_ptr_nonnull(bin);
	char work[] = "/tmp/test-bench-net-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(work));
	struct hvc_bench_ctx ctx = {.cpus = "0", .workload_bin = bin, .work_dir = work};
	char *args[] = {"net-rr", "--seconds", "0.1", NULL};
	struct hvc_bench_metric_def md[] = {
	    {.key = "transactions_per_s", .unit = "transactions/s", .better = HVC_BETTER_HIGHER},
	    {.key = "latency_p50_us", .unit = "us"}};
	struct hvc_bench_workload w = {.name = "net-rr",
				       .kind = HVC_BENCH_NETWORK,
				       .args = args,
				       .metrics = md,
				       .n_metrics = 2,
				       .timeout_s = 20};
	struct hvc_bench_backend fake = {
	    .name = "native", .run = native_net_run, .net_peer = fake_net_peer};
	fake_net_expected = "loopback";
	struct hvc_bench_sample s = {0};
	hvc_bench_sample_take(&ctx, &fake, &w, &s);
	ck_assert_msg(s.ok, "%s", s.error);
	ck_assert(native_net_run_saw_server);
	ck_assert(s.net.present);
	ck_assert_str_eq(s.net.packet_path, "loopback");
	ck_assert_str_eq(s.net.interface, "lo");
	ck_assert_int_eq(s.net.server_exit, 0);
	ck_assert_str_eq(s.net.server_exit_reason, "count");
	ck_assert_int_eq(s.net.server_runs, 1);
	ck_assert_int_ge(s.net.server_connections, 1);
	ck_assert_ptr_nonnull(strstr(s.net.server_listen, "127.0.0.1:"));
	ck_assert_uint_eq(s.n_metrics >= 2, 1);
	ck_assert_str_eq(s.metrics[0].key, "transactions_per_s");
	ck_assert_double_gt(s.metrics[0].value, 0);
	hvc_bench_sample_clear(&s);

	fake_net_expected = "veth+bridge"; /* the packets will take loopback */
	memset(&s, 0, sizeof(s));
	hvc_bench_sample_take(&ctx, &fake, &w, &s);
	ck_assert(!s.ok);
	ck_assert_msg(strstr(s.error, "packets took loopback") &&
			  strstr(s.error, "the backend expects veth+bridge"),
		      "%s", s.error);
	hvc_bench_sample_clear(&s);

	fake_net_expected = NULL;
	memset(&s, 0, sizeof(s));
	native_net_run_saw_server = false;
	hvc_bench_sample_take(&ctx, &fake, &w, &s);
	ck_assert(!s.ok && !s.ran && !native_net_run_saw_server);
	ck_assert_str_eq(s.net.unavailable, "no network here");
	ck_assert_ptr_nonnull(
	    strstr(s.error, "no network sample on this backend: no network here"));
	hvc_bench_sample_clear(&s);
	rmdir(work);
}
END_TEST

/* Issue 13: a run with a network workload serialises as the schema says
 * (kind "network", samples[].network) and its report has the network
 * table: each backend's packet path, or why it took no network sample. */
START_TEST(network_record_and_report)
{
	char *args[] = {"net-rr", "--seconds", "0.1", NULL};
	struct hvc_bench_metric_def md = {
	    .key = "transactions_per_s", .unit = "transactions/s", .better = HVC_BETTER_HIGHER};
	const struct hvc_bench_workload w = {.name = "net-rr",
					     .kind = HVC_BENCH_NETWORK,
					     .args = args,
					     .metrics = &md,
					     .n_metrics = 1,
					     .min_seconds = 0.1};
	struct hvc_bench_backend_entry backends[2] = {
	    {.b = &hvc_bench_backend_native, .available = true},
	    {.b = &hvc_bench_backend_vm, .available = true},
	};
	struct hvc_bench_workload_entry workloads[1] = {{.w = &w, .reps = 1}};
	struct hvc_bench_sample samples[2] = {0};
	samples[0] = (struct hvc_bench_sample){.backend = "native",
					       .workload = "net-rr",
					       .rep = 1,
					       .ran = true,
					       .ok = true,
					       .memory_nprocs = -1};
	samples[0].net =
	    (struct hvc_bench_sample_net){.present = true,
					  .expected_path = hvc_xstrdup("loopback"),
					  .packet_path = hvc_xstrdup("loopback"),
					  .path = hvc_xstrdup("loopback"),
					  .interface = hvc_xstrdup("lo"),
					  .server_listen = hvc_xstrdup("127.0.0.1:4000"),
					  .server_exit = 0,
					  .server_exit_reason = hvc_xstrdup("count"),
					  .server_connections = 2,
					  .server_runs = 1};
	hvc_bench_sample_add_metric(&samples[0], "transactions_per_s", 40000);
	samples[1] = (struct hvc_bench_sample){
	    .backend = "vm", .workload = "net-rr", .rep = 1, .seq = 1, .memory_nprocs = -1};
	samples[1].error = hvc_xstrdup("no network sample on this backend: no NIC");
	samples[1].net = (struct hvc_bench_sample_net){.present = true,
						       .unavailable = hvc_xstrdup("no NIC"),
						       .server_exit = -1,
						       .server_connections = -1,
						       .server_runs = -1};
	for (size_t i = 0; i < 2; i++)
		snprintf(samples[i].time, sizeof(samples[i].time), "2026-01-01T00:00:0%zuZ", i);
	char *names[] = {"native", "vm", NULL};
	struct hvc_bench_record rec = {.suite = "t",
				       .started = "2026-01-01T00:00:00Z",
				       .finished = "2026-01-01T00:00:09Z",
				       .load_threshold = 0.5,
				       .image = "busybox:latest",
				       .cpus = "0",
				       .reps = 1,
				       .backend_names = names,
				       .backends = backends,
				       .n_backends = 2,
				       .workloads = workloads,
				       .n_workloads = 1,
				       .samples = samples,
				       .n_samples = 2};
	rec.run_id = (char *)"20260101-000000-t-abcd";
	rec.host = json_object_new_object();
	_cleanup_json_ json_object *r = hvc_bench_record_json(&rec);
	json_object_put(rec.host);
	struct hvc_error err = {0};
	ck_assert_msg(hvc_bench_results_summarize(r, &err) == 0, "%s", err.msg);
	ck_assert_msg(hvc_bench_results_validate(r, &err) == 0, "%s", err.msg);
	json_object *w0 = json_object_array_get_idx(hvc_json_get(r, "workloads"), 0);
	ck_assert_str_eq(hvc_json_get_string(w0, "kind"), "network");
	json_object *n0 =
	    hvc_json_get(json_object_array_get_idx(hvc_json_get(r, "samples"), 0), "network");
	ck_assert_str_eq(hvc_json_get_string(n0, "packet_path"), "loopback");
	ck_assert_int_eq(hvc_json_get_int(n0, "server_runs", 0), 1);
	_cleanup_free_ char *md_text = mem_text(r, hvc_bench_report_markdown);
	ck_assert_ptr_nonnull(strstr(md_text, "## Network"));
	ck_assert_ptr_nonnull(strstr(md_text, "| native | loopback | 40000 |"));
	ck_assert_ptr_nonnull(strstr(md_text, "| vm | not measured: no NIC |"));
	for (size_t j = 0; j < 2; j++)
		hvc_bench_sample_clear(&samples[j]);
}
END_TEST

static Suite *bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, smaps_rollup_parse);
	tcase_add_test(tc, memstat_parse);
	tcase_add_test(tc, mem_of_self_and_fake_cgroup);
	tcase_add_test(tc, cpu_lists);
	tcase_add_test(tc, builtin_suites_parse);
	tcase_add_test(tc, bad_suites_are_refused);
	tcase_add_test(tc, builtin_suites_floor_and_sizes);
	tcase_add_test(tc, suite_floor_rules);
	tcase_add_test(tc, fixture_validates_and_summarizes);
	tcase_add_test(tc, validate_rejects_bad_documents);
	tcase_add_test(tc, schema_keywords);
	tcase_add_test(tc, embedded_schema_is_the_file);
	tcase_add_test(tc, record_serialises_to_valid_results);
	tcase_add_test(tc, record_storage_and_floor);
	tcase_add_test(tc, eta_from_each_workloads_own_time);
	tcase_add_test(tc, sample_floor_and_storage);
	tcase_add_test(tc, csv_one_row_per_sample);
	tcase_add_test(tc, report_from_fixture);
	tcase_add_test(tc, chart_scripts_written);
	tcase_add_test(tc, compare_flags_only_real_changes);
	tcase_add_test(tc, oci_config_generator);
	tcase_add_test(tc, net_packet_path_and_server_exit);
	tcase_add_test(tc, suites_have_network_workloads);
	tcase_add_test(tc, network_sample_on_loopback);
	tcase_add_test(tc, felter_suite_without_paper_figures);
	tcase_add_test(tc, network_record_and_report);
	suite_add_tcase(s, tc);
	TCase *honest = tcase_create("honest-numbers");
	tcase_set_timeout(honest, 30);
	tcase_add_test(honest, summaries_carry_no_interval_below_five);
	tcase_add_test(honest, difference_needs_test_and_size);
	tcase_add_test(honest, sanity_flag_rules);
	tcase_add_test(honest, report_flags_and_short_runs);
	tcase_add_test(honest, report_explains_tcg_syscall);
	tcase_add_test(honest, report_says_why_nothing_differs);
	tcase_add_test(honest, report_shared_boot_note_only_when_shared);
	tcase_add_test(honest, compare_gate_and_holm);
	tcase_add_test(honest, compare_chart_written);
	suite_add_tcase(s, honest);
	return s;
}

HVC_CHECK_MAIN(bench_suite)
