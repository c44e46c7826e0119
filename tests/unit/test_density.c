/* density: the planner's arithmetic (least-squares fit, expected counts on a
 * target host), step and budget parsing, meminfo parsing and the plan text,
 * the sweep's plan and stop decisions, the cost choice, option values and the
 * density.json serialiser, against hand-computed values. */
#include "../../bench/density_internal.h"
#include "check_main.h"
#include "hvc/density.h"
#include <check.h>
#include <math.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

/* The fit of n points is slope se, intercept ie, R^2 r2e (exactly: 1e-12). */
static void check_fit(const double *x, const double *y, size_t n, double se, double ie,
		      double r2e)
{
	double s, i, r2;
	ck_assert_int_eq(hvc_density_fit(x, y, n, &s, &i, &r2), 0);
	ck_assert_double_eq_tol(s, se, 1e-12);
	ck_assert_double_eq_tol(i, ie, 1e-12);
	ck_assert_double_eq_tol(r2, r2e, 1e-12);
}

START_TEST(fit_exact_line)
{
	/* y = 10 + 5 N at N = 1, 2, 4, 8: the line itself, R^2 = 1 */
	double x[] = {1, 2, 4, 8}, y[] = {15, 20, 30, 50};
	check_fit(x, y, 4, 5.0, 10.0, 1.0);
}
END_TEST

START_TEST(fit_noisy_points)
{
	/* (1,3) (2,5) (3,4): mean x 2, mean y 4; Sxx = 2, Sxy = 1, Syy = 2 ->
	 * slope 1/2, intercept 4 - 0.5*2 = 3, R^2 = 1/(2*2) = 0.25 */
	double x[] = {1, 2, 3}, y[] = {3, 5, 4};
	check_fit(x, y, 3, 0.5, 3.0, 0.25);
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

/* The plan of cost c for a 1000 MiB, 4-core target with 10% headroom whose
 * OS uses what the measured host's did (base_used -1). */
static void estimate_1000m_4cores(const struct hvc_density_cost *c, struct hvc_density_estimate *e)
{
	struct hvc_density_target t = {.host_mem = (uint64_t)(1000 * MiB),
				       .host_cores = 4,
				       .headroom_pct = 10,
				       .base_used = -1};
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_density_estimate(c, &t, e, &err), 0);
}

START_TEST(estimate_cpu_limited)
{
	/* 1000 MiB, 10% headroom -> 900; minus OS 100 and fixed 10 -> 790 MiB / 5 = 158.
	 * 4 cores * 0.9 = 3.6 cores / 0.25 = 14.4 -> 14: CPU limits. */
	struct hvc_density_estimate e;
	estimate_1000m_4cores(&cost, &e);
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
	struct hvc_density_estimate e;
	estimate_1000m_4cores(&c, &e);
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

START_TEST(sweep_plan_steps)
{
	struct hvc_density_opts o = {0};
	struct density_plan p;
	density_plan_backend(&o, 64, 16, &p);
	ck_assert_int_eq(p.max, 64);
	ck_assert_uint_eq(p.n_steps, 7); /* 1 2 4 8 16 32 64 */
	ck_assert_int_eq(p.steps[0], 1);
	ck_assert_int_eq(p.steps[5], 32);
	ck_assert_int_eq(p.steps[6], 64);
	density_plan_backend(&o, 12, 4, &p); /* a max that is no power of two ends the list */
	ck_assert_uint_eq(p.n_steps, 5);     /* 1 2 4 8 12 */
	ck_assert_int_eq(p.steps[4], 12);
	o.quick = true;
	density_plan_backend(&o, 64, 16, &p);
	ck_assert_int_eq(p.max, 16);
	o.max = 40; /* --quick caps --max too */
	density_plan_backend(&o, 64, 16, &p);
	ck_assert_int_eq(p.max, 16);
	o = (struct hvc_density_opts){.max = 5, .steps = {1, 3, 5, 9}, .n_steps = 4};
	density_plan_backend(&o, 64, 16, &p);
	ck_assert_uint_eq(p.n_steps, 3); /* 9 is above --max */
	ck_assert_int_eq(p.steps[2], 5);
	o = (struct hvc_density_opts){.max = 1};
	density_plan_backend(&o, 64, 16, &p);
	ck_assert_uint_eq(p.n_steps, 1);
	ck_assert_int_eq(p.steps[0], 1);
}
END_TEST

START_TEST(sweep_stop_decisions)
{
	char why[1024] = "";
	/* nothing measured yet: the budget cannot refuse */
	ck_assert(
	    !density_budget_refuses(0, 900 * MiB, 4, 8, (uint64_t)(1000 * MiB), why, sizeof(why)));
	/* 600 MiB used, 4 more at 100 MiB each: 1000 MiB is not over a 1000 MiB budget */
	ck_assert(!density_budget_refuses(100 * MiB, 600 * MiB, 4, 8, (uint64_t)(1000 * MiB), why,
					  sizeof(why)));
	ck_assert(density_budget_refuses(100 * MiB, 601 * MiB, 4, 8, (uint64_t)(1000 * MiB), why,
					 sizeof(why)));
	ck_assert_str_eq(why, "memory budget: N=8 would need about 1001 MiB, over the budget "
			      "of 1000 MiB");
	struct density_failure f = {.instance = "hvcdens-1-container-3", .reason = "OOM"};
	struct density_step s = {.n = 4, .delta = 10 * MiB};
	ck_assert(!density_step_stops(&s, false, (uint64_t)(100 * MiB), why, sizeof(why)));
	ck_assert(density_step_stops(&s, true, (uint64_t)(100 * MiB), why, sizeof(why)));
	ck_assert_str_eq(why, "cancelled (signal) at N=4");
	s.fails = &f, s.n_fails = 1; /* a failure is reported before a cancel */
	ck_assert(density_step_stops(&s, true, (uint64_t)(100 * MiB), why, sizeof(why)));
	ck_assert_str_eq(why, "first failure at N=4: hvcdens-1-container-3: OOM");
	s.n_fails = 0, s.delta = 101 * MiB;
	ck_assert(density_step_stops(&s, false, (uint64_t)(100 * MiB), why, sizeof(why)));
	ck_assert_str_eq(why, "memory budget reached at N=4 (101 of 100 MiB)");
	struct hvc_density_opts o = {0};
	struct density_plan p = {.steps = {1, 2, 4}, .n_steps = 3};
	density_stop_completed(&o, &p, why, sizeof(why));
	ck_assert_str_eq(why, "the last step, N=4 reached");
	o.quick = true;
	density_stop_completed(&o, &p, why, sizeof(why));
	ck_assert_str_eq(why, "--max N=4 reached");
}
END_TEST

START_TEST(sweep_marginal_estimate)
{
	/* one step: its cost per instance */
	double x[] = {1, 2, 4}, y[] = {10, 30, 70};
	ck_assert_double_eq_tol(density_marginal_estimate(x, y, 1), 10, 1e-12);
	/* later instances cost more: the fitted slope (20) beats 30/2 = 15 */
	ck_assert_double_eq_tol(density_marginal_estimate(x, y, 2), 20, 1e-12);
	/* slope of (1,10) (2,30) (4,70) = 20; last step 70/4 = 17.5 */
	ck_assert_double_eq_tol(density_marginal_estimate(x, y, 3), 20, 1e-12);
	double y2[] = {40, 50, 70}; /* a big fixed cost: 70/4 = 17.5 beats the slope 10 */
	ck_assert_double_eq_tol(density_marginal_estimate(x, y2, 3), 17.5, 1e-12);
	ck_assert_double_eq_tol(density_marginal_estimate(x, y, 0), 0, 1e-12);
}
END_TEST

START_TEST(sweep_cost_choice)
{
	double x[] = {1, 2, 4}, host[] = {12 * MiB, 22 * MiB, 42 * MiB},
	       pss[] = {8 * MiB, 16 * MiB, 32 * MiB}, noisy[] = {30 * MiB, 5 * MiB, 40 * MiB};
	struct density_fit h, a, none;
	struct density_cost_choice c;
	density_fit_points(x, host, 3, &h);
	density_fit_points(x, pss, 3, &a);
	ck_assert_str_eq(h.method, "least squares over the measured steps");
	ck_assert(h.has_r2);
	density_choose_cost(&h, &a, &c);
	ck_assert_str_eq(c.basis, "host");
	ck_assert(c.has_slope);
	ck_assert_double_eq_tol(c.slope, 10 * MiB, 1e-3);
	ck_assert_double_eq_tol(c.intercept, 2 * MiB, 1e-3);
	/* host memory not linear in N: the PSS line, with the reason */
	density_fit_points(x, noisy, 3, &h);
	density_choose_cost(&h, &a, &c);
	ck_assert_str_eq(c.basis, "pss");
	ck_assert(strstr(c.why, "too noisy to fit"));
	ck_assert_double_eq_tol(c.slope, 8 * MiB, 1e-3);
	/* one step: its cost divided by its instances, believed within 1-3x PSS */
	density_fit_points(x, host, 1, &h);
	density_fit_points(x, pss, 1, &a);
	ck_assert_str_eq(h.method, "one step: its cost divided by its instances");
	ck_assert(!h.has_r2);
	density_choose_cost(&h, &a, &c);
	ck_assert_str_eq(c.basis, "host");
	ck_assert(strstr(c.why, "fewer than 3 steps"));
	density_fit_points(x, host, 0, &none);
	density_choose_cost(&none, &none, &c);
	ck_assert_str_eq(c.basis, "none");
	ck_assert(!c.has_slope);
	struct density_backend_result r = {.name = "vm", .cost = c, .cpu_share = -1};
	struct hvc_density_cost hc;
	struct hvc_error err = {0};
	ck_assert_int_lt(density_result_cost(&r, &hc, &err), 0);
	ck_assert(strstr(err.msg, "backend vm: no per-instance memory cost recorded (no step "
				  "was measured completely)"));
}
END_TEST

START_TEST(options_values)
{
	struct hvc_error err = {0};
	char **v = NULL;
	ck_assert_int_eq(hvc_density_parse_backends("vm,container", &v, &err), 0);
	ck_assert_str_eq(v[0], "vm");
	ck_assert_str_eq(v[1], "container");
	hvc_strv_free(v);
	ck_assert_int_eq(hvc_density_parse_backends("container,lxc", &v, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "unknown backend \"lxc\" (container, vm, vm-restore)");
	ck_assert_int_eq(hvc_density_parse_backends("", &v, &err), -EINVAL);
	ck_assert_int_eq(hvc_density_check_workload("mem", &err), 0);
	ck_assert_int_eq(hvc_density_check_workload("disk", &err), -EINVAL);
	uint64_t m;
	ck_assert_int_eq(hvc_density_parse_instance_mem("64m", &m, &err), 0);
	ck_assert_uint_eq(m, 64ull << 20);
	ck_assert_int_eq(hvc_density_parse_instance_mem("1m", &m, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "--instance-mem must be at least 16m, not \"1m\"");
	ck_assert_int_eq(hvc_density_parse_instance_mem("x", &m, &err), -EINVAL);
	ck_assert(!strncmp(err.msg, "--instance-mem: invalid size", 28));
	int max;
	ck_assert_int_eq(hvc_density_parse_max("12", &max, &err), 0);
	ck_assert_int_eq(max, 12);
	ck_assert_int_eq(hvc_density_parse_max("0", &max, &err), -EINVAL);
	ck_assert_int_eq(hvc_density_parse_max("", &max, &err), -EINVAL);
	struct hvc_density_opts o = {.quick = true, .workload = "cpu"};
	ck_assert_int_eq(hvc_density_opts_check(&o, &err), -EINVAL);
	ck_assert(strstr(err.msg, "--quick runs the idle workload"));
	o = (struct hvc_density_opts){.max = 2, .steps = {4}, .n_steps = 1};
	ck_assert_int_eq(hvc_density_opts_check(&o, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "--steps starts at 4, above --max 2");
	o = (struct hvc_density_opts){.connect = ""};
	ck_assert_int_eq(hvc_density_opts_check(&o, &err), -EINVAL);
	o = (struct hvc_density_opts){.quick = true, .workload = "idle", .max = 4};
	ck_assert_int_eq(hvc_density_opts_check(&o, &err), 0);
}
END_TEST

START_TEST(options_derived)
{
	struct hvc_error err = {0};
	struct hvc_density_meminfo mi = {.total = 1000ull << 20, .available = 300ull << 20};
	struct hvc_density_opts o = {0};
	uint64_t v;
	const char *src;
	ck_assert_int_eq(density_instance_mem(&o, &mi, &v, &err), 0);
	ck_assert_uint_eq(v, 256ull << 20);
	o.instance_mem = 400ull << 20;
	ck_assert_int_eq(density_instance_mem(&o, &mi, &v, &err), -EINVAL);
	/* default budget: half of MemTotal, clamped to what is available */
	ck_assert_int_eq(density_budget(&o, &mi, &v, &src, &err), 0);
	ck_assert_uint_eq(v, 300ull << 20);
	ck_assert_str_eq(src, "default: 50% of MemTotal, at most MemAvailable");
	o.budget_pct = 20;
	ck_assert_int_eq(density_budget(&o, &mi, &v, &src, &err), 0);
	ck_assert_uint_eq(v, 200ull << 20);
	ck_assert_str_eq(src, "--budget (percent of MemTotal)");
	o.budget = 2000ull << 20;
	ck_assert_int_eq(density_budget(&o, &mi, &v, &src, &err), -EINVAL);
	o = (struct hvc_density_opts){.workload = "bogus"};
	char *bk[] = {"container", NULL};
	ck_assert_int_eq(density_check_run_input(&o, bk, &err), -EINVAL);
	o = (struct hvc_density_opts){0};
	ck_assert_int_eq(density_check_run_input(&o, bk, &err), 0);
	ck_assert_str_eq(density_workload(&o), "idle");
	ck_assert_ptr_null(density_workload_metric("idle"));
	ck_assert_str_eq(density_workload_metric("mem"), "triad_mb_per_s");
	char **cmd = density_workload_command("mem", 256ull << 20);
	ck_assert_str_eq(cmd[0], "/bin/sh");
	ck_assert(strstr(cmd[2], "mem --size 33554432 || exit 1"));
	hvc_strv_free(cmd);
	cmd = density_workload_command("idle", 256ull << 20);
	ck_assert_str_eq(cmd[1], "idle");
	ck_assert_str_eq(cmd[2], "inf");
	hvc_strv_free(cmd);
}
END_TEST

START_TEST(plan_target_options)
{
	struct hvc_error err = {0};
	struct hvc_density_target t;
	hvc_density_target_init(&t);
	ck_assert_double_eq(t.headroom_pct, 10);
	ck_assert_double_lt(t.base_used, 0);
	ck_assert_int_eq(hvc_density_target_check("dir", &t, &err), -EINVAL);
	ck_assert_int_eq(hvc_density_parse_host_mem("64g", &t.host_mem, &err), 0);
	ck_assert_int_eq(hvc_density_parse_host_cores("8", &t.host_cores, &err), 0);
	ck_assert_int_eq(hvc_density_target_check("dir", &t, &err), 0);
	ck_assert_int_eq(hvc_density_target_check(NULL, &t, &err), -EINVAL);
	ck_assert_int_eq(hvc_density_parse_host_mem("0", &t.host_mem, &err), -EINVAL);
	ck_assert_int_eq(hvc_density_parse_host_cores("8x", &t.host_cores, &err), -EINVAL);
	ck_assert_int_eq(hvc_density_parse_headroom("15%", &t.headroom_pct, &err), 0);
	ck_assert_double_eq(t.headroom_pct, 15);
	ck_assert_int_eq(hvc_density_parse_headroom("100", &t.headroom_pct, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "--headroom is a percentage in [0, 100), not \"100\"");
	ck_assert_int_eq(hvc_density_parse_base_mem("2g", &t.base_used, &err), 0);
	ck_assert_double_eq(t.base_used, 2.0 * 1024 * MiB);
}
END_TEST

/* density.json's key order is part of the file: the serialiser writes a
 * measured backend and a skipped one as the sweep always has. */
START_TEST(serialiser_backend_order)
{
	struct density_inst_record inst = {.name = "i0",
					   .id = "c0",
					   .started_ms = 5,
					   .ready_ms = 7,
					   .hvc_start_ms = -1,
					   .sup_cpu_ms = -1};
	struct density_step st = {.n = 1,
				  .added = 1,
				  .running = 1,
				  .n_ready = 1,
				  .slowest_ready_ms = 7,
				  .sum_ready_ms = 7,
				  .delta = 10 * MiB,
				  .inst = &inst,
				  .n_inst = 1,
				  .window_s = 1};
	struct density_backend_result rs[2] = {
	    {.name = "container",
	     .available = true,
	     .plan = {.max = 1, .steps = {1}, .n_steps = 1},
	     .steps = &st,
	     .n_steps = 1,
	     .stop = "the last step, N=1 reached",
	     .max_measured = 1,
	     .cpu_share = -1,
	     .cost = {.basis = "none", .why = "w"},
	     .fits = {.err = {.msg = "no cost"}}},
	    {.name = "vm", .reason = "no KVM", .cpu_share = -1},
	};
	char *bk[] = {"container", "vm", NULL};
	struct hvc_density_opts o = {0};
	struct density_run run = {.o = &o,
				  .run_id = "r",
				  .workload = "idle",
				  .backends = bk,
				  .results = rs,
				  .n_results = 2};
	json_object *d = hvc_density_run_json(&run);
	const char *txt = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	ck_assert(strstr(txt, "{\"schema\":\"hvc-density-results\",\"schema_version\":1,"
			      "\"run_id\":\"r\""));
	ck_assert(strstr(txt, "{\"name\":\"container\",\"available\":true,\"max\":1,"
			      "\"planned_steps\":[1],\"steps\":[{\"n\":1,\"added\":1,"
			      "\"running\":1,"));
	ck_assert(strstr(txt, "\"instances\":[{\"name\":\"i0\",\"id\":\"c0\","
			      "\"started_ms\":5.0,\"ready_ms\":7.0,\"state\":\"running\"}],"
			      "\"failures\":[]}],\"baseline_used_bytes\":0,\"stop_reason\""));
	ck_assert(strstr(txt, "\"cost\":{\"basis\":\"none\",\"why\":\"w\"},"
			      "\"fits\":{\"error\":\"no cost\"}}"));
	ck_assert(strstr(txt, "{\"name\":\"vm\",\"available\":false,\"reason\":\"no KVM\"}"));
	/* what hvc plan reads back is what the sweep used */
	struct hvc_density_cost c;
	struct hvc_error err = {0};
	ck_assert_int_lt(hvc_density_cost_from_json(
			     json_object_array_get_idx(hvc_json_get(d, "backends"), 0), &c, &err),
			 0);
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
	tcase_add_test(tc, sweep_plan_steps);
	tcase_add_test(tc, sweep_stop_decisions);
	tcase_add_test(tc, sweep_marginal_estimate);
	tcase_add_test(tc, sweep_cost_choice);
	tcase_add_test(tc, options_values);
	tcase_add_test(tc, options_derived);
	tcase_add_test(tc, plan_target_options);
	tcase_add_test(tc, serialiser_backend_order);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(density_suite)
