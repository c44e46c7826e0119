/* bench/stats: summary statistics of benchmark samples. Pure functions. */
#ifndef HVC_STATS_H
#define HVC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvc_stats {
	size_t n;
	double median, mean, stddev, min, max, p95;
	double ci_lo, ci_hi;   /* 95% CI of the median (bootstrap; exact order-statistic for small n) */
	double mean_ci_lo, mean_ci_hi; /* 95% CI of the mean (Student t) */
	size_t n_outliers;     /* beyond 1.5 IQR of the quartiles (flagged, never dropped) */
};

/* Summarises n samples (not modified). n == 0 -> all NaN, n = 0. */
void hvc_stats_compute(const double *x, size_t n, struct hvc_stats *out);
/* True when x is an outlier relative to samples (Tukey fences, 1.5 IQR). */
bool hvc_stats_is_outlier(const double *samples, size_t n, double x);
/* Quantile q in [0,1] with linear interpolation (type 7, as R's default). */
double hvc_stats_quantile(const double *x, size_t n, double q);
/* Two-sided Student t critical value for 95% with df degrees of freedom. */
double hvc_stats_t95(size_t df);
/* Ratio a/b of two sample sets with a 95% bootstrap CI of the ratio of medians.
 * Deterministic (fixed seed) so reports are reproducible. */
void hvc_stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double *ratio,
			double *lo, double *hi);
/* Permutation test on the difference of medians: two-sided p-value
 * (deterministic seed, `rounds` resamples). */
double hvc_stats_permutation_p(const double *a, size_t na, const double *b, size_t nb,
			       unsigned rounds);

#endif
