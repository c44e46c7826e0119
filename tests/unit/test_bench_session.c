/* bench shared boot (bench/bench_session.c, the suites' "shared_boot"):
 * which workloads a round's boot runs, the guest script, splitting the
 * guest's output into one part per workload, and the suite rules. */
#include "../../bench/bench_internal.h"
#include "check_main.h"
#include "hvc/bench_harness.h"
#include <check.h>
#include <string.h>

START_TEST(members_per_round)
{
	/* cpu 2 rounds, startup (not shared) 6, randmem 1, fileio 3 */
	const int rounds[] = {2, 6, 1, 3};
	const bool shared[] = {true, false, true, true};
	size_t m[4];
	ck_assert_uint_eq(hvc_bench_session_members(rounds, shared, 4, 0, m), 3);
	ck_assert_uint_eq(m[0], 0);
	ck_assert_uint_eq(m[1], 2);
	ck_assert_uint_eq(m[2], 3);
	ck_assert_uint_eq(hvc_bench_session_members(rounds, shared, 4, 1, m), 2);
	ck_assert_uint_eq(m[0], 0);
	ck_assert_uint_eq(m[1], 3);
	/* the third round has fileio alone: the runner boots it as usual */
	ck_assert_uint_eq(hvc_bench_session_members(rounds, shared, 4, 2, m), 1);
	ck_assert_uint_eq(m[0], 3);
	ck_assert_uint_eq(hvc_bench_session_members(rounds, shared, 4, 3, m), 0);
}
END_TEST

START_TEST(script_quotes_and_marks)
{
	char *a0[] = {"cpu", "--seconds", "0.25", NULL};
	char *a1[] = {"odd", "it's", NULL};
	char *const *argvs[] = {a0, a1};
	char *s = hvc_bench_session_script(argvs, 2);
	ck_assert_str_eq(s, HVC_BENCH_WORKLOAD_IN_IMAGE
			 " 'cpu' '--seconds' '0.25'; echo \"" HVC_BENCH_SESSION_MARK
			 " 0 $?\"\n" HVC_BENCH_WORKLOAD_IN_IMAGE
			 " 'odd' 'it'\\''s'; echo \"" HVC_BENCH_SESSION_MARK " 1 $?\"\n");
	free(s);
}
END_TEST

START_TEST(split_parts)
{
	const char *out =
	    "[ hvc-init ] ready\r\n{\"workload\":\"cpu\",\"gflops\":1}\r\n" HVC_BENCH_SESSION_MARK
	    " 0 0\r\nnoise " HVC_BENCH_SESSION_MARK " 1 0 (not at a line start)\n"
	    "{\"workload\":\"mem\"}\n" HVC_BENCH_SESSION_MARK " 1 3\n";
	char *parts[3];
	int st[3];
	ck_assert_uint_eq(hvc_bench_session_split(out, 3, parts, st), 2);
	ck_assert_ptr_nonnull(strstr(parts[0], "\"cpu\""));
	ck_assert_ptr_null(strstr(parts[0], "mem"));
	ck_assert_int_eq(st[0], 0);
	ck_assert_ptr_nonnull(strstr(parts[1], "\"mem\""));
	ck_assert_ptr_null(strstr(parts[1], "cpu"));
	ck_assert_int_eq(st[1], 3);
	/* the guest stopped before the third workload's marker */
	ck_assert_ptr_null(parts[2]);
	ck_assert_int_eq(st[2], -1);
	for (int i = 0; i < 3; i++)
		free(parts[i]);
	ck_assert_uint_eq(hvc_bench_session_split(NULL, 3, parts, st), 0);
}
END_TEST

static int parse_suite(const char *text, struct hvc_bench_suite **s, struct hvc_error *err)
{
	json_object *def = NULL;
	ck_assert_int_eq(hvc_json_parse(text, strlen(text), "suite", &def, err), 0);
	int r = hvc_bench_suite_parse(def, s, err);
	json_object_put(def);
	return r;
}

START_TEST(suite_rules)
{
	struct hvc_bench_suite *s = NULL;
	struct hvc_error err = {0};
	ck_assert_int_eq(
	    parse_suite("{\"name\":\"x\",\"workloads\":[{\"name\":\"s\",\"kind\":"
			"\"startup\",\"args\":[\"idle\",\"0\"],\"shared_boot\":true}]}",
			&s, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "shared_boot"));
	ck_assert_int_eq(
	    parse_suite("{\"name\":\"x\",\"workloads\":[{\"name\":\"c\",\"kind\":"
			"\"throughput\",\"args\":[\"cpu\"],\"shared_boot\":true,"
			"\"metrics\":[{\"key\":\"gflops\"}]},{\"name\":\"d\",\"kind\":"
			"\"throughput\",\"args\":[\"cpu\"],\"metrics\":[{\"key\":\"gflops\"}]}]}",
			&s, &err),
	    0);
	ck_assert(hvc_bench_suite_shared_boot(s, 0));
	ck_assert(!hvc_bench_suite_shared_boot(s, 1));
	ck_assert(!hvc_bench_suite_shared_boot(s, 7));
	hvc_bench_suite_free(s);
}
END_TEST

/* The quick suite's description stays true: cpu, syscall and forkexec
 * share a boot; mem, randmem, fileio and the network workloads (measured
 * slower or unverified there) and start-up and footprint do not. */
START_TEST(quick_suite_shares)
{
	struct hvc_bench_suite *s = NULL;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_bench_suite_load("quick", &s, &err), 0);
	for (size_t i = 0; i < s->n_workloads; i++) {
		const struct hvc_bench_workload *w = &s->workloads[i];
		bool shared = !strcmp(w->name, "cpu") || !strcmp(w->name, "syscall") ||
			      !strcmp(w->name, "forkexec");
		ck_assert_msg(hvc_bench_suite_shared_boot(s, i) == shared, "%s", w->name);
	}
	/* the suite's note (in results.json and the report) says so */
	const char *note = hvc_json_get_string(s->source, "shared_boot_note");
	ck_assert_ptr_nonnull(note);
	ck_assert_ptr_nonnull(strstr(note, "Shared VM boot"));
	hvc_bench_suite_free(s);
	ck_assert_int_eq(hvc_bench_suite_load("full", &s, &err), 0);
	for (size_t i = 0; i < s->n_workloads; i++)
		ck_assert_msg(!hvc_bench_suite_shared_boot(s, i), "full: %s", s->workloads[i].name);
	hvc_bench_suite_free(s);
}
END_TEST

/* A part's memory peak is the max of the reads inside its window only. */
START_TEST(series_window_peak)
{
	double t[] = {50, 150, 250, 350};
	struct hvc_bench_mem m[4] = {
	    {.have_procs = true, .rss_kib = 100, .pss_kib = 90},
	    {.have_procs = true, .rss_kib = 300, .pss_kib = 280},
	    {.have_procs = true, .rss_kib = 200, .pss_kib = 190},
	    {.have_procs = true, .rss_kib = 900, .pss_kib = 880},
	};
	struct hvc_bench_mem_series s = {.n = 4, .t_ms = t, .mem = m};
	struct hvc_bench_mem p;
	ck_assert(hvc_bench_mem_series_peak(&s, 0, 100, &p));
	ck_assert_uint_eq(p.rss_kib, 100);
	ck_assert(hvc_bench_mem_series_peak(&s, 100, 250, &p));
	ck_assert_uint_eq(p.rss_kib, 300);
	ck_assert_uint_eq(p.pss_kib, 280);
	/* no read in (260, 340]: no peak */
	ck_assert(!hvc_bench_mem_series_peak(&s, 260, 340, &p));
}
END_TEST

static Suite *bench_session_suite(void)
{
	Suite *s = suite_create("bench_session");
	TCase *tc = tcase_create("shared_boot");
	tcase_add_test(tc, members_per_round);
	tcase_add_test(tc, script_quotes_and_marks);
	tcase_add_test(tc, split_parts);
	tcase_add_test(tc, suite_rules);
	tcase_add_test(tc, quick_suite_shares);
	tcase_add_test(tc, series_window_peak);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(bench_session_suite)
