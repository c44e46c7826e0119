/* bench/stats: summary statistics of benchmark samples. Pure functions:
 * no I/O, no global state, deterministic (every resampling uses a fixed seed
 * so a report regenerated from the same samples shows the same intervals).
 * Samples are finite doubles; the input arrays are never modified. */
#ifndef HVC_STATS_H
#define HVC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the 95% CI of the median was obtained (see hvc_stats_median_ci). */
enum hvc_stats_ci_method {
	HVC_STATS_CI_NONE = 0,	     /* too few samples for a 95% interval: ci_lo/ci_hi are NaN */
	HVC_STATS_CI_ORDER_STAT = 1, /* distribution-free binomial order-statistic interval */
	HVC_STATS_CI_BOOTSTRAP = 2,  /* percentile bootstrap, HVC_STATS_BOOT_ROUNDS resamples */
};

/* Below this many samples the median CI is the exact order-statistic
 * interval; from here on the percentile bootstrap. */
#define HVC_STATS_BOOT_MIN_N 20
#define HVC_STATS_BOOT_ROUNDS 2000
#define HVC_STATS_SEED 0x9e3779b97f4a7c15ull
/* No interval of any kind (median, mean, ratio) from fewer samples than this
 * per side: with 2-4 samples of a few milliseconds an interval looks precise
 * and is noise (issue 12). Medians are still given. */
#define HVC_STATS_MIN_N_CI 5

struct hvc_stats {
	size_t n;
	double median, mean, stddev, min, max, p95; /* stddev: sample (n-1); 0 when n == 1 */
	double ci_lo,
	    ci_hi; /* 95% CI of the median (bootstrap; exact order-statistic for small n) */
	double mean_ci_lo, mean_ci_hi; /* 95% CI of the mean (Student t); NaN when n < 5 */
	size_t n_outliers; /* beyond 1.5 IQR of the quartiles (flagged, never dropped) */
	double q1, q3;	   /* quartiles (type 7); the Tukey fences are q1/q3 -/+ 1.5 (q3 - q1) */
	enum hvc_stats_ci_method ci_method;
};

/* Summarises n samples (not modified). n == 0 -> all NaN, n = 0. */
void hvc_stats_compute(const double *x, size_t n, struct hvc_stats *out);
/* True when x is an outlier relative to samples (Tukey fences, 1.5 IQR). */
bool hvc_stats_is_outlier(const double *samples, size_t n, double x);
/* Quantile q in [0,1] with linear interpolation (type 7, as R's default).
 * NaN when n == 0 or q is outside [0,1]. */
double hvc_stats_quantile(const double *x, size_t n, double q);
/* Same on an already ascending-sorted array (no allocation). */
double hvc_stats_quantile_sorted(const double *sorted, size_t n, double q);
/* Two-sided Student t critical value for 95% with df degrees of freedom
 * (table, exact to 4 decimals up to df 30, interpolated in 1/df beyond;
 * NaN for df == 0). */
double hvc_stats_t95(size_t df);
/* 95% CI of the median of x: the method used is returned; lo and hi are NaN for
 * HVC_STATS_CI_NONE (n < 6: no order-statistic interval reaches 95%). */
enum hvc_stats_ci_method hvc_stats_median_ci(const double *x, size_t n, double *lo, double *hi);
/* Ratio a/b of two sample sets with a 95% bootstrap CI of the ratio of medians.
 * Deterministic (fixed seed) so reports are reproducible. *ratio is
 * median(a)/median(b); everything NaN when a set is empty or median(b) == 0;
 * lo and hi NaN unless both sets have HVC_STATS_MIN_N_CI samples. */
void hvc_stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double *ratio,
			double *lo, double *hi);
/* Permutation test on the difference of medians: two-sided p-value
 * (deterministic seed, `rounds` resamples). When the number of distinct
 * splits C(na+nb, na) is at most `rounds` every split is enumerated and the
 * p-value is exact; otherwise p = (hits + 1) / (rounds + 1). NaN when a set
 * is empty. */
double hvc_stats_permutation_p(const double *a, size_t na, const double *b, size_t nb,
			       unsigned rounds);
/* hvc_stats_permutation_p of two completely separated sets of na and nb
 * evenly spaced samples: for na == nb the smallest p the test can give, so
 * no difference, however large, shows below it (unequal sizes can reach
 * about half of it). NaN when a set is empty. */
double hvc_stats_permutation_min_p(size_t na, size_t nb, unsigned rounds);
/* True when a set of n samples may carry an interval (n >= HVC_STATS_MIN_N_CI). */
static inline bool hvc_stats_ci_allowed(size_t n)
{
	return n >= HVC_STATS_MIN_N_CI;
}
/* Holm-Bonferroni step-down adjustment of the m finite p-values among p[0..n)
 * (NaN entries are not tests: their adj is NaN and they do not count in m):
 * sorted ascending, adj(k) = max over j <= k of min(1, (m - j) p(j)), 0-based.
 * Rejecting where adj < alpha keeps the family-wise error rate at alpha.
 * Returns 0, or -1 (adj all NaN) when out of memory. */
int hvc_stats_holm(const double *p, size_t n, double *adj);

#endif
