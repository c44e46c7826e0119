/* stats: quantiles (R type 7), t table, intervals, outliers, ratio and
 * permutation tests against hand-computed values. */
#include "check_main.h"
#include "hvc/stats.h"
#include <check.h>
#include <math.h>

#define EPS 1e-9
/* R: x <- c(3, 1, 4, 1, 5, 9, 2, 6) */
static const double pi8[] = {3, 1, 4, 1, 5, 9, 2, 6};
static const double one_to_ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

START_TEST(quantile_type7_matches_r)
{
	/* quantile(x, c(0, .1, .25, .5, .75, .95, 1)) -> 1 1 1.75 3.5 5.25 7.95 9 */
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 0.0), 1.0, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 0.1), 1.0, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 0.25), 1.75, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 0.5), 3.5, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 0.75), 5.25, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 0.95), 7.95, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(pi8, 8, 1.0), 9.0, EPS);
	/* quantile(1:10, c(.25, .5, .95)) -> 3.25 5.5 9.55 */
	ck_assert_double_eq_tol(hvc_stats_quantile(one_to_ten, 10, 0.25), 3.25, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(one_to_ten, 10, 0.5), 5.5, EPS);
	ck_assert_double_eq_tol(hvc_stats_quantile(one_to_ten, 10, 0.95), 9.55, EPS);
	double single = 42;
	ck_assert_double_eq(hvc_stats_quantile(&single, 1, 0.3), 42);
	ck_assert(isnan(hvc_stats_quantile(pi8, 0, 0.5)));
	ck_assert(isnan(hvc_stats_quantile(pi8, 8, 1.5)));
	ck_assert(isnan(hvc_stats_quantile(pi8, 8, -0.1)));
}
END_TEST

START_TEST(t_critical_values)
{
	/* qt(0.975, df) */
	ck_assert(isnan(hvc_stats_t95(0)));
	ck_assert_double_eq_tol(hvc_stats_t95(1), 12.7062, 1e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(2), 4.3027, 1e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(4), 2.7764, 1e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(9), 2.2622, 1e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(30), 2.0423, 1e-4);
	/* interpolated: qt(.975, 35) = 2.0301, 45 -> 2.0141, 200 -> 1.9719, 1000 -> 1.9623 */
	ck_assert_double_eq_tol(hvc_stats_t95(35), 2.0301, 2e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(45), 2.0141, 2e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(200), 1.9719, 2e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(1000), 1.9623, 2e-4);
	ck_assert_double_eq_tol(hvc_stats_t95(100000000), 1.9600, 1e-4);
}
END_TEST

START_TEST(summary_of_small_vector)
{
	struct hvc_stats s;
	hvc_stats_compute(pi8, 8, &s);
	ck_assert_uint_eq(s.n, 8);
	ck_assert_double_eq_tol(s.median, 3.5, EPS);
	ck_assert_double_eq_tol(s.mean, 3.875, EPS);
	/* sd(x) = sqrt(52.875 / 7) */
	ck_assert_double_eq_tol(s.stddev, 2.7483761, 1e-6);
	ck_assert_double_eq(s.min, 1);
	ck_assert_double_eq(s.max, 9);
	ck_assert_double_eq_tol(s.p95, 7.95, EPS);
	ck_assert_double_eq_tol(s.q1, 1.75, EPS);
	ck_assert_double_eq_tol(s.q3, 5.25, EPS);
	/* t.test(x)$conf.int -> 1.577338 6.172662 */
	ck_assert_double_eq_tol(s.mean_ci_lo, 1.577338, 1e-4);
	ck_assert_double_eq_tol(s.mean_ci_hi, 6.172662, 1e-4);
	/* n = 8: order statistics 1 and 8 (P(B <= 0) = 1/256; P(B <= 1) = 9/256 > .025) */
	ck_assert_int_eq(s.ci_method, HVC_STATS_CI_ORDER_STAT);
	ck_assert_double_eq(s.ci_lo, 1);
	ck_assert_double_eq(s.ci_hi, 9);
	/* fences 1.75 - 5.25 = -3.5 and 5.25 + 5.25 = 10.5: no outlier */
	ck_assert_uint_eq(s.n_outliers, 0);
}
END_TEST

START_TEST(degenerate_sizes)
{
	struct hvc_stats s;
	hvc_stats_compute(NULL, 0, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(isnan(s.median) && isnan(s.mean) && isnan(s.ci_lo) && isnan(s.mean_ci_lo));
	double one = 7;
	hvc_stats_compute(&one, 1, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_double_eq(s.median, 7);
	ck_assert_double_eq(s.stddev, 0);
	ck_assert(isnan(s.mean_ci_lo) && isnan(s.ci_lo));
	ck_assert_int_eq(s.ci_method, HVC_STATS_CI_NONE);
	/* five samples: no order-statistic interval reaches 95% (2/32 > .05) */
	hvc_stats_compute(one_to_ten, 5, &s);
	ck_assert_int_eq(s.ci_method, HVC_STATS_CI_NONE);
	ck_assert(isnan(s.ci_lo) && isnan(s.ci_hi));
	ck_assert(!isnan(s.mean_ci_lo));
	/* six: [min, max] covers with 1 - 2/64 */
	hvc_stats_compute(one_to_ten, 6, &s);
	ck_assert_int_eq(s.ci_method, HVC_STATS_CI_ORDER_STAT);
	ck_assert_double_eq(s.ci_lo, 1);
	ck_assert_double_eq(s.ci_hi, 6);
}
END_TEST

START_TEST(median_ci_order_statistics)
{
	double lo, hi;
	/* n = 10: P(B <= 1) = 11/1024 <= .025, P(B <= 2) = 56/1024 > .025 -> x(2), x(9) */
	ck_assert_int_eq(hvc_stats_median_ci(one_to_ten, 10, &lo, &hi), HVC_STATS_CI_ORDER_STAT);
	ck_assert_double_eq(lo, 2);
	ck_assert_double_eq(hi, 9);
	/* n = 19: P(B <= 4) = 5036/2^19 = .0096, P(B <= 5) = 16664/2^19 = .0318 -> x(5), x(15) */
	double v[19];
	for (int i = 0; i < 19; i++)
		v[i] = 19 - i; /* unsorted input */
	ck_assert_int_eq(hvc_stats_median_ci(v, 19, &lo, &hi), HVC_STATS_CI_ORDER_STAT);
	ck_assert_double_eq(lo, 5);
	ck_assert_double_eq(hi, 15);
}
END_TEST

START_TEST(median_ci_bootstrap_is_deterministic)
{
	double v[41];
	for (int i = 0; i < 41; i++)
		v[i] = 100 + ((i * 17) % 41); /* 100..140 shuffled, median 120 */
	double lo1, hi1, lo2, hi2;
	ck_assert_int_eq(hvc_stats_median_ci(v, 41, &lo1, &hi1), HVC_STATS_CI_BOOTSTRAP);
	ck_assert_int_eq(hvc_stats_median_ci(v, 41, &lo2, &hi2), HVC_STATS_CI_BOOTSTRAP);
	ck_assert_double_eq(lo1, lo2);
	ck_assert_double_eq(hi1, hi2);
	ck_assert(lo1 < 120 && hi1 > 120);
	/* the order-statistic interval for n = 41 is x(14), x(28) = 113, 127: the
	 * bootstrap one must be of that order, not degenerate or absurd */
	ck_assert(lo1 >= 108 && lo1 <= 118);
	ck_assert(hi1 >= 122 && hi1 <= 132);
	struct hvc_stats s;
	hvc_stats_compute(v, 41, &s);
	ck_assert_int_eq(s.ci_method, HVC_STATS_CI_BOOTSTRAP);
	ck_assert_double_eq(s.ci_lo, lo1);
	ck_assert_double_eq(s.ci_hi, hi1);
}
END_TEST

START_TEST(outliers_tukey)
{
	double v[11];
	for (int i = 0; i < 10; i++)
		v[i] = i + 1;
	v[10] = 100;
	/* 1..10, 100: q1 = 3.5, q3 = 8.5, fences -4 and 16 */
	struct hvc_stats s;
	hvc_stats_compute(v, 11, &s);
	ck_assert_double_eq_tol(s.q1, 3.5, EPS);
	ck_assert_double_eq_tol(s.q3, 8.5, EPS);
	ck_assert_uint_eq(s.n_outliers, 1);
	ck_assert(hvc_stats_is_outlier(v, 11, 100));
	ck_assert(hvc_stats_is_outlier(v, 11, 16.5));
	ck_assert(!hvc_stats_is_outlier(v, 11, 16));
	ck_assert(!hvc_stats_is_outlier(v, 11, -4));
	ck_assert(hvc_stats_is_outlier(v, 11, -4.5));
	ck_assert(!hvc_stats_is_outlier(v, 0, 1e9));
}
END_TEST

START_TEST(ratio_of_medians)
{
	double a[] = {2, 2, 2, 2, 2}, b[] = {1, 1, 1, 1, 1};
	double r, lo, hi;
	hvc_stats_ratio_ci(a, 5, b, 5, &r, &lo, &hi);
	ck_assert_double_eq(r, 2);
	ck_assert_double_eq(lo, 2);
	ck_assert_double_eq(hi, 2);
	double c[] = {10, 11, 12, 13, 14}, d[] = {5, 6, 7, 8, 9, 100};
	hvc_stats_ratio_ci(c, 5, d, 6, &r, &lo, &hi);
	ck_assert_double_eq_tol(r, 12.0 / 7.5, EPS);
	ck_assert(lo <= r && r <= hi);
	ck_assert(lo >= 10.0 / 100 && hi <= 14.0 / 5);
	double lo2, hi2, r2;
	hvc_stats_ratio_ci(c, 5, d, 6, &r2, &lo2, &hi2);
	ck_assert_double_eq(lo, lo2);
	ck_assert_double_eq(hi, hi2);
	double z[] = {0, 0, 0};
	hvc_stats_ratio_ci(c, 5, z, 3, &r, &lo, &hi);
	ck_assert(isnan(r) && isnan(lo) && isnan(hi));
	hvc_stats_ratio_ci(c, 0, d, 6, &r, &lo, &hi);
	ck_assert(isnan(r));
}
END_TEST

START_TEST(permutation_exact_and_sampled)
{
	double a[] = {10, 11, 12, 13, 14}, b[] = {1, 2, 3, 4, 5};
	/* C(10, 5) = 252 splits. |median difference| = 9 needs 12, 13, 14 in one
	 * group with any two of {4, 5, 10, 11} (6 ways), and 1, 2, 3 in the other;
	 * times 2 for the mirror: p = 12/252 exactly */
	ck_assert_double_eq_tol(hvc_stats_permutation_p(a, 5, b, 5, 10000), 12.0 / 252, 1e-12);
	/* identical samples: every split is at least as extreme as 0 */
	ck_assert_double_eq_tol(hvc_stats_permutation_p(b, 5, b, 5, 10000), 1.0, 1e-12);
	/* fewer rounds than splits: Monte Carlo with the +1 correction, deterministic */
	double p1 = hvc_stats_permutation_p(a, 5, b, 5, 200);
	double p2 = hvc_stats_permutation_p(a, 5, b, 5, 200);
	ck_assert_double_eq(p1, p2);
	ck_assert(p1 >= 1.0 / 201 && p1 < 0.15);
	ck_assert_double_eq_tol(hvc_stats_permutation_p(b, 5, b, 5, 200), 1.0, 1e-12);
	/* larger samples drawn from one population: not significant */
	double x[30], y[30];
	for (int i = 0; i < 30; i++) {
		x[i] = 100 + (i * 7) % 30;
		y[i] = 100 + (i * 11 + 3) % 30;
	}
	ck_assert(hvc_stats_permutation_p(x, 30, y, 30, 2000) > 0.5);
	/* clearly different (100..129 vs 200..229): of C(60, 30) splits only the
	 * observed one and its mirror are that extreme; 2000 random splits find
	 * none, so p is the floor 1/2001 */
	for (int i = 0; i < 30; i++)
		y[i] = x[i] + 100;
	ck_assert_double_eq_tol(hvc_stats_permutation_p(x, 30, y, 30, 2000), 1.0 / 2001, 1e-12);
	ck_assert(isnan(hvc_stats_permutation_p(a, 0, b, 5, 100)));
}
END_TEST

/* Issue 12: no interval of any kind from fewer than 5 samples a side. */
START_TEST(no_interval_below_five)
{
	ck_assert(!hvc_stats_ci_allowed(4));
	ck_assert(hvc_stats_ci_allowed(5));
	struct hvc_stats s;
	for (size_t n = 1; n < HVC_STATS_MIN_N_CI; n++) {
		hvc_stats_compute(one_to_ten, n, &s);
		ck_assert_msg(isnan(s.mean_ci_lo) && isnan(s.mean_ci_hi), "mean CI at n = %zu", n);
		ck_assert_msg(isnan(s.ci_lo) && isnan(s.ci_hi), "median CI at n = %zu", n);
		ck_assert(!isnan(s.median));
	}
	/* n = 5: the mean's t interval, still no median interval (93.75% < 95%) */
	hvc_stats_compute(one_to_ten, 5, &s);
	ck_assert(!isnan(s.mean_ci_lo));
	ck_assert(isnan(s.ci_lo));
	/* the ratio: its value always, its interval only with 5 a side */
	double a[] = {2, 2.1, 1.9, 2, 2.05}, b[] = {1, 1.1, 0.9, 1, 1.05};
	double r, lo, hi;
	hvc_stats_ratio_ci(a, 4, b, 5, &r, &lo, &hi);
	ck_assert_double_eq_tol(r, 2.0, EPS);
	ck_assert(isnan(lo) && isnan(hi));
	hvc_stats_ratio_ci(a, 5, b, 2, &r, &lo, &hi);
	ck_assert(!isnan(r) && isnan(lo) && isnan(hi));
	hvc_stats_ratio_ci(a, 5, b, 5, &r, &lo, &hi);
	ck_assert(lo <= r && r <= hi && lo > 1.5);
}
END_TEST

START_TEST(holm_bonferroni)
{
	/* R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02 */
	const double p[] = {0.01, 0.04, 0.03, 0.005};
	double adj[4];
	ck_assert_int_eq(hvc_stats_holm(p, 4, adj), 0);
	ck_assert_double_eq_tol(adj[0], 0.03, EPS);
	ck_assert_double_eq_tol(adj[1], 0.06, EPS);
	ck_assert_double_eq_tol(adj[2], 0.06, EPS);
	ck_assert_double_eq_tol(adj[3], 0.02, EPS);
	/* NaN is not a test: m = 2 here, and capped at 1 */
	const double q[] = {NAN, 0.02, 0.7};
	double adj2[3];
	ck_assert_int_eq(hvc_stats_holm(q, 3, adj2), 0);
	ck_assert(isnan(adj2[0]));
	ck_assert_double_eq_tol(adj2[1], 0.04, EPS);
	ck_assert_double_eq_tol(adj2[2], 0.7, EPS);
	/* ties get the same adjusted value; a single test is unchanged */
	const double t[] = {0.02, 0.02, 0.5};
	double adj3[3];
	hvc_stats_holm(t, 3, adj3);
	ck_assert_double_eq_tol(adj3[0], 0.06, EPS);
	ck_assert_double_eq_tol(adj3[1], 0.06, EPS);
	ck_assert_double_eq_tol(adj3[2], 0.5, EPS);
	hvc_stats_holm(t, 1, adj3);
	ck_assert_double_eq_tol(adj3[0], 0.02, EPS);
	ck_assert_int_eq(hvc_stats_holm(NULL, 0, NULL), 0);
	/* what small runs can show at best: 5 + 5 -> 12/252 (median ties), 2 + 2 -> 1/3 */
	ck_assert_double_eq_tol(hvc_stats_permutation_min_p(5, 5, 10000), 12.0 / 252, 1e-12);
	ck_assert_double_eq_tol(hvc_stats_permutation_min_p(2, 2, 10000), 1.0 / 3, 1e-12);
	ck_assert_double_eq_tol(hvc_stats_permutation_min_p(30, 30, 2000), 1.0 / 2001, 1e-12);
	ck_assert(isnan(hvc_stats_permutation_min_p(0, 3, 100)));
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, quantile_type7_matches_r);
	tcase_add_test(tc, t_critical_values);
	tcase_add_test(tc, summary_of_small_vector);
	tcase_add_test(tc, degenerate_sizes);
	tcase_add_test(tc, median_ci_order_statistics);
	tcase_add_test(tc, median_ci_bootstrap_is_deterministic);
	tcase_add_test(tc, outliers_tukey);
	tcase_add_test(tc, ratio_of_medians);
	tcase_add_test(tc, permutation_exact_and_sampled);
	suite_add_tcase(s, tc);
	TCase *honest = tcase_create("honest");
	tcase_add_test(honest, no_interval_below_five);
	tcase_add_test(honest, holm_bonferroni);
	suite_add_tcase(s, honest);
	return s;
}

HVC_CHECK_MAIN(stats_suite)
