/* density: the planner's arithmetic (least-squares fit, expected counts on a
 * target host), step and budget parsing, meminfo parsing and the plan text,
 * against hand-computed values. */
#include "check_main.h"
#include "hvc/density.h"
#include <check.h>
#include <math.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

START_TEST(fit_exact_line)
{
	/* y = 10 + 5 N at N = 1, 2, 4, 8: the line itself, R^2 = 1 */
	double x[] = {1, 2, 4, 8}, y[] = {15, 20, 30, 50};
	double s, i, r2;
	ck_assert_int_eq(hvc_density_fit(x, y, 4, &s, &i, &r2), 0);
	ck_assert_double_eq_tol(s, 5.0, 1e-12);
	ck_assert_double_eq_tol(i, 10.0, 1e-12);
	ck_assert_double_eq_tol(r2, 1.0, 1e-12);
}
END_TEST

START_TEST(fit_noisy_points)
{
	/* (1,3) (2,5) (3,4): mean x 2, mean y 4; Sxx = 2, Sxy = 1, Syy = 2 ->
	 * slope 1/2, intercept 4 - 0.5*2 = 3, R^2 = 1/(2*2) = 0.25 */
	double x[] = {1, 2, 3}, y[] = {3, 5, 4};
	double s, i, r2;
	ck_assert_int_eq(hvc_density_fit(x, y, 3, &s, &i, &r2), 0);
	ck_assert_double_eq_tol(s, 0.5, 1e-12);
	ck_assert_double_eq_tol(i, 3.0, 1e-12);
	ck_assert_double_eq_tol(r2, 0.25, 1e-12);
}
END_TEST

START_TEST(fit_refuses_degenerate)
{
	double x[] = {4, 4}, y[] = {1, 2};
	double s, i;
	ck_assert_int_eq(hvc_density_fit(x, y, 1, &s, &i, NULL), -1);
	ck_assert_int_eq(hvc_density_fit(x, y, 2, &s, &i, NULL), -1);
}
END_TEST

static const struct hvc_density_cost cost = {
    .mem_slope = 5 * MiB,
    .mem_intercept = 10 * MiB,
    .base_used = 100 * MiB,
    .cpu_share = 0.25,
    .measured_max = 8,
};

START_TEST(estimate_cpu_limited)
{
	/* 1000 MiB, 10% headroom -> 900; minus OS 100 and fixed 10 -> 790 MiB / 5 = 158.
	 * 4 cores * 0.9 = 3.6 cores / 0.25 = 14.4 -> 14: CPU limits. */
	struct hvc_density_target t = {.host_mem = (uint64_t)(1000 * MiB),
				       .host_cores = 4,
				       .headroom_pct = 10,
				       .base_used = -1};
	struct hvc_density_estimate e;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_estimate(&cost, &t, &e, &err), 0);
	ck_assert_double_eq_tol(e.usable_mem, 790 * MiB, 1);
	ck_assert_double_eq_tol(e.usable_cores, 3.6, 1e-12);
	ck_assert_int_eq(e.by_memory, 158);
	ck_assert_int_eq(e.by_cpu, 14);
	ck_assert_int_eq(e.expected, 14);
	ck_assert_str_eq(e.limit, "cpu");
	ck_assert(e.beyond_measured);
}
END_TEST

START_TEST(estimate_memory_limited)
{
	/* no CPU share (idle): CPU does not limit; base given explicitly:
	 * 2000 MiB, 0% headroom, OS 200, fixed 10 -> 1790 / 5 = 358 */
	struct hvc_density_cost c = cost;
	c.cpu_share = 0;
	c.measured_max = 400;
	struct hvc_density_target t = {.host_mem = (uint64_t)(2000 * MiB),
				       .host_cores = 1,
				       .headroom_pct = 0,
				       .base_used = 200 * MiB};
	struct hvc_density_estimate e;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_estimate(&c, &t, &e, &err), 0);
	ck_assert_int_eq(e.by_memory, 358);
	ck_assert_int_eq(e.by_cpu, -1);
	ck_assert_int_eq(e.expected, 358);
	ck_assert_str_eq(e.limit, "memory");
	ck_assert(!e.beyond_measured);
}
END_TEST

START_TEST(estimate_negative_intercept_adds_nothing)
{
	/* intercept -50 MiB is treated as 0: 900 - 100 = 800 / 5 = 160 (not 170) */
	struct hvc_density_cost c = cost;
	c.mem_intercept = -50 * MiB;
	c.cpu_share = 0;
	struct hvc_density_target t = {.host_mem = (uint64_t)(1000 * MiB),
				       .host_cores = 4,
				       .headroom_pct = 10,
				       .base_used = -1};
	struct hvc_density_estimate e;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_estimate(&c, &t, &e, &err), 0);
	ck_assert_int_eq(e.by_memory, 160);
}
END_TEST

START_TEST(estimate_small_host_and_bad_input)
{
	/* the OS alone fills a 100 MiB host: nothing fits */
	struct hvc_density_target t = {
	    .host_mem = (uint64_t)(100 * MiB), .host_cores = 4, .headroom_pct = 0, .base_used = -1};
	struct hvc_density_estimate e;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_estimate(&cost, &t, &e, &err), 0);
	ck_assert_int_eq(e.by_memory, 0);
	ck_assert_int_eq(e.expected, 0);
	t.headroom_pct = 100;
	ck_assert_int_lt(hvc_density_estimate(&cost, &t, &e, &err), 0);
	t.headroom_pct = 10;
	struct hvc_density_cost z = cost;
	z.mem_slope = 0;
	ck_assert_int_lt(hvc_density_estimate(&z, &t, &e, &err), 0);
	ck_assert(strstr(err.msg, "memory cost"));
}
END_TEST

START_TEST(steps_parse)
{
	int s[HVC_DENSITY_MAX_STEPS];
	size_t n;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_parse_steps("1,2,4,8", s, &n, &err), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(s[3], 8);
	ck_assert_int_lt(hvc_density_parse_steps("1,2,2", s, &n, &err), 0);
	ck_assert(strstr(err.msg, "increase"));
	ck_assert_int_lt(hvc_density_parse_steps("4,2", s, &n, &err), 0);
	ck_assert_int_lt(hvc_density_parse_steps("1,,2", s, &n, &err), 0);
	ck_assert_int_lt(hvc_density_parse_steps("0,1", s, &n, &err), 0);
	ck_assert_int_lt(hvc_density_parse_steps("1,2,", s, &n, &err), 0);
	ck_assert_int_lt(hvc_density_parse_steps("two", s, &n, &err), 0);
	ck_assert_int_lt(hvc_density_parse_steps("", s, &n, &err), 0);
}
END_TEST

START_TEST(budget_parse)
{
	uint64_t total = 1000ull << 20, avail = 800ull << 20, b;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_parse_budget("50%", total, avail, &b, &err), 0);
	ck_assert_uint_eq(b, 500ull << 20);
	ck_assert_int_eq(hvc_density_parse_budget("256m", total, avail, &b, &err), 0);
	ck_assert_uint_eq(b, 256ull << 20);
	ck_assert_int_lt(hvc_density_parse_budget("2g", total, avail, &b, &err), 0);
	ck_assert(strstr(err.msg, "larger than this host"));
	ck_assert_int_lt(hvc_density_parse_budget("900m", total, avail, &b, &err), 0);
	ck_assert(strstr(err.msg, "available"));
	ck_assert_int_lt(hvc_density_parse_budget("150%", total, avail, &b, &err), 0);
	ck_assert_int_lt(hvc_density_parse_budget("0", total, avail, &b, &err), 0);
	ck_assert_int_lt(hvc_density_parse_budget("x%", total, avail, &b, &err), 0);
}
END_TEST

START_TEST(meminfo_parse)
{
	const char *t = "MemTotal:       24684032 kB\nMemFree:        23540000 kB\nMemAvailable:   "
			"24157000 kB\n";
	struct hvc_density_meminfo m;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_meminfo_parse(t, &m, &err), 0);
	ck_assert_uint_eq(m.total, 24684032ull * 1024);
	ck_assert_uint_eq(m.available, 24157000ull * 1024);
	ck_assert_int_lt(hvc_density_meminfo_parse("MemTotal: 10 kB\n", &m, &err), 0);
	ck_assert(strstr(err.msg, "MemAvailable"));
	ck_assert_int_lt(
	    hvc_density_meminfo_parse("MemTotal: 10 kB\nMemAvailable: 20 kB\n", &m, &err), 0);
}
END_TEST

START_TEST(plan_text_says_extrapolation)
{
	const char *doc =
	    "{\"schema\":\"hvc-density-results\",\"schema_version\":1,\"run_id\":\"r1\","
	    "\"memory\":{\"mem_total_bytes\":1048576000,\"cpus_online\":2},"
	    "\"config\":{\"workload\":\"idle\",\"image\":\"busybox:latest\"},"
	    "\"backends\":[{\"name\":\"container\",\"available\":true,\"baseline_used_bytes\":"
	    "104857600,"
	    "\"max_measured\":8,\"cpu_share_cores\":0.25,"
	    "\"cost\":{\"basis\":\"host\",\"slope_bytes\":5242880,\"intercept_bytes\":10485760}},"
	    "{\"name\":\"vm\",\"available\":false,\"reason\":\"not here\"}]}";
	json_object *d = json_tokener_parse(doc);
	ck_assert_ptr_nonnull(d);
	struct hvc_density_cost c;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_cost_from_json(
			     json_object_array_get_idx(hvc_json_get(d, "backends"), 0), &c, &err),
			 0);
	ck_assert_double_eq_tol(c.mem_slope, 5 * MiB, 1e-6);
	ck_assert_int_eq(c.measured_max, 8);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hvc_density_target t = {.host_mem = (uint64_t)(1000 * MiB),
				       .host_cores = 4,
				       .headroom_pct = 10,
				       .base_used = -1};
	ck_assert_int_eq(hvc_density_plan_print(f, d, &t, &err), 0);
	fclose(f);
	ck_assert(strstr(buf, "EXTRAPOLATION"));
	ck_assert(strstr(buf, "Assumptions"));
	/* the same figures as estimate_cpu_limited: 158 by memory, 14 by CPU */
	ck_assert(strstr(buf, "158"));
	ck_assert(strstr(buf, " 14 "));
	ck_assert(strstr(buf, "not measured: not here"));
	free(buf);
	json_object_put(d);
}
END_TEST

static Suite *density_suite(void)
{
	Suite *s = suite_create("density");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, fit_exact_line);
	tcase_add_test(tc, fit_noisy_points);
	tcase_add_test(tc, fit_refuses_degenerate);
	tcase_add_test(tc, estimate_cpu_limited);
	tcase_add_test(tc, estimate_memory_limited);
	tcase_add_test(tc, estimate_negative_intercept_adds_nothing);
	tcase_add_test(tc, estimate_small_host_and_bad_input);
	tcase_add_test(tc, steps_parse);
	tcase_add_test(tc, budget_parse);
	tcase_add_test(tc, meminfo_parse);
	tcase_add_test(tc, plan_text_says_extrapolation);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(density_suite)
