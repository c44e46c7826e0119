/* bench/stats: summary statistics of benchmark samples (median, mean, spread,
 * quantiles, confidence intervals, outliers, ratio and permutation tests).
 * Pure and deterministic: resampling uses a private splitmix64 stream seeded
 * with HVC_STATS_SEED, so the same samples always give the same report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hvc/stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double *sorted_copy(const double *x, size_t n)
{
	double *s = malloc((n ? n : 1) * sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return s;
}

/* splitmix64: tiny, good enough for resampling, and identical everywhere. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform index in [0, n) (Lemire's multiply-shift; the bias is ~n/2^64). */
static size_t rng_index(uint64_t *state, size_t n)
{
	return (size_t)(((unsigned __int128)rng_next(state) * n) >> 64);
}

double hvc_stats_quantile_sorted(const double *s, size_t n, double q)
{
	if (n == 0 || !(q >= 0.0 && q <= 1.0))
		return NAN;
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	if (lo >= n - 1)
		return s[n - 1];
	return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

double hvc_stats_quantile(const double *x, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double *s = sorted_copy(x, n);
	if (!s)
		return NAN;
	double v = hvc_stats_quantile_sorted(s, n, q);
	free(s);
	return v;
}

/* Two-sided 95% (0.975 quantile) Student t critical values. */
static const double t95_small[31] = {
    NAN,    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788,  2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796,
    2.0739, 2.0687,  2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};
static const struct {
	double df, t;
} t95_large[] = {
    {30, 2.0423}, {40, 2.0211},	 {50, 2.0086},	{60, 2.0003},
    {80, 1.9901}, {100, 1.9840}, {120, 1.9799}, {INFINITY, 1.9600},
};

double hvc_stats_t95(size_t df)
{
	if (df <= 30)
		return t95_small[df];
	/* t is very nearly linear in 1/df in the tail: interpolate there. */
	double inv = 1.0 / (double)df;
	for (size_t i = 0; i + 1 < sizeof(t95_large) / sizeof(t95_large[0]); i++) {
		double d0 = t95_large[i].df, d1 = t95_large[i + 1].df;
		if ((double)df >= d0 && (double)df <= d1) {
			double i0 = 1.0 / d0, i1 = isinf(d1) ? 0.0 : 1.0 / d1;
			double f = (i0 - inv) / (i0 - i1);
			return t95_large[i].t + f * (t95_large[i + 1].t - t95_large[i].t);
		}
	}
	return 1.9600;
}

/* Largest k with P(Binom(n, 1/2) <= k - 1) <= 0.025: then [x(k), x(n-k+1)]
 * (1-based order statistics) covers the median with probability >= 95% for
 * any continuous distribution. Returns 0 when no k qualifies (n < 6). */
static size_t order_stat_k(size_t n)
{
	double pmf = pow(0.5, (double)n), cdf = 0.0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		cdf += pmf; /* cdf = P(B <= i) */
		if (cdf > 0.025 + 1e-12)
			break;
		k = i + 1;
		pmf = pmf * (double)(n - i) / (double)(i + 1);
	}
	return k;
}

static double median_of_resample(const double *x, size_t n, double *buf, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[rng_index(rng, n)];
	qsort(buf, n, sizeof(*buf), cmp_double);
	return hvc_stats_quantile_sorted(buf, n, 0.5);
}

enum hvc_stats_ci_method hvc_stats_median_ci(const double *x, size_t n, double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (n < HVC_STATS_BOOT_MIN_N) {
		size_t k = order_stat_k(n);
		if (k == 0)
			return HVC_STATS_CI_NONE;
		double *s = sorted_copy(x, n);
		if (!s)
			return HVC_STATS_CI_NONE;
		*lo = s[k - 1];
		*hi = s[n - k];
		free(s);
		return HVC_STATS_CI_ORDER_STAT;
	}
	double *meds = malloc(HVC_STATS_BOOT_ROUNDS * sizeof(*meds));
	double *buf = malloc(n * sizeof(*buf));
	if (!meds || !buf) {
		free(meds);
		free(buf);
		return HVC_STATS_CI_NONE;
	}
	uint64_t rng = HVC_STATS_SEED;
	for (size_t r = 0; r < HVC_STATS_BOOT_ROUNDS; r++)
		meds[r] = median_of_resample(x, n, buf, &rng);
	qsort(meds, HVC_STATS_BOOT_ROUNDS, sizeof(*meds), cmp_double);
	*lo = hvc_stats_quantile_sorted(meds, HVC_STATS_BOOT_ROUNDS, 0.025);
	*hi = hvc_stats_quantile_sorted(meds, HVC_STATS_BOOT_ROUNDS, 0.975);
	free(meds);
	free(buf);
	return HVC_STATS_CI_BOOTSTRAP;
}

static bool outside_fences(double q1, double q3, double x)
{
	double iqr = q3 - q1;
	return x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr;
}

bool hvc_stats_is_outlier(const double *samples, size_t n, double x)
{
	if (n == 0)
		return false;
	double *s = sorted_copy(samples, n);
	if (!s)
		return false;
	bool r = outside_fences(hvc_stats_quantile_sorted(s, n, 0.25),
				hvc_stats_quantile_sorted(s, n, 0.75), x);
	free(s);
	return r;
}

void hvc_stats_compute(const double *x, size_t n, struct hvc_stats *out)
{
	*out = (struct hvc_stats){
	    .n = 0,
	    .median = NAN,
	    .mean = NAN,
	    .stddev = NAN,
	    .min = NAN,
	    .max = NAN,
	    .p95 = NAN,
	    .ci_lo = NAN,
	    .ci_hi = NAN,
	    .mean_ci_lo = NAN,
	    .mean_ci_hi = NAN,
	    .q1 = NAN,
	    .q3 = NAN,
	    .ci_method = HVC_STATS_CI_NONE,
	};
	if (n == 0)
		return;
	double *s = sorted_copy(x, n);
	if (!s)
		return;
	out->n = n;
	out->min = s[0];
	out->max = s[n - 1];
	out->median = hvc_stats_quantile_sorted(s, n, 0.5);
	out->p95 = hvc_stats_quantile_sorted(s, n, 0.95);
	out->q1 = hvc_stats_quantile_sorted(s, n, 0.25);
	out->q3 = hvc_stats_quantile_sorted(s, n, 0.75);

	/* Two passes (mean first) rather than sum of squares: no cancellation. */
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	out->mean = sum / (double)n;
	double ss = 0.0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - out->mean) * (x[i] - out->mean);
	out->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
	if (hvc_stats_ci_allowed(n)) {
		double half = hvc_stats_t95(n - 1) * out->stddev / sqrt((double)n);
		out->mean_ci_lo = out->mean - half;
		out->mean_ci_hi = out->mean + half;
	}
	for (size_t i = 0; i < n; i++)
		if (outside_fences(out->q1, out->q3, s[i]))
			out->n_outliers++;
	free(s);
	out->ci_method = hvc_stats_median_ci(x, n, &out->ci_lo, &out->ci_hi);
}

void hvc_stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double *ratio,
			double *lo, double *hi)
{
	*ratio = *lo = *hi = NAN;
	if (na == 0 || nb == 0)
		return;
	double mb = hvc_stats_quantile(b, nb, 0.5);
	if (mb == 0.0 || isnan(mb))
		return;
	*ratio = hvc_stats_quantile(a, na, 0.5) / mb;
	if (!hvc_stats_ci_allowed(na) || !hvc_stats_ci_allowed(nb))
		return;
	double *ra = malloc(HVC_STATS_BOOT_ROUNDS * sizeof(*ra));
	double *ba = malloc(na * sizeof(*ba)), *bb = malloc(nb * sizeof(*bb));
	if (!ra || !ba || !bb)
		goto out;
	/* Each set resampled on its own (the runs are independent, not paired). */
	uint64_t rng = HVC_STATS_SEED;
	size_t k = 0;
	for (size_t r = 0; r < HVC_STATS_BOOT_ROUNDS; r++) {
		double ma = median_of_resample(a, na, ba, &rng);
		double m = median_of_resample(b, nb, bb, &rng);
		if (m != 0.0)
			ra[k++] = ma / m;
	}
	if (k > 0) {
		qsort(ra, k, sizeof(*ra), cmp_double);
		*lo = hvc_stats_quantile_sorted(ra, k, 0.025);
		*hi = hvc_stats_quantile_sorted(ra, k, 0.975);
	}
out:
	free(ra);
	free(ba);
	free(bb);
}

/* |median(first na of v) - median(rest)|; buf has room for na + nb. */
static double split_diff(const double *v, size_t na, size_t nb, double *buf)
{
	memcpy(buf, v, (na + nb) * sizeof(*buf));
	qsort(buf, na, sizeof(*buf), cmp_double);
	qsort(buf + na, nb, sizeof(*buf), cmp_double);
	return fabs(hvc_stats_quantile_sorted(buf, na, 0.5) -
		    hvc_stats_quantile_sorted(buf + na, nb, 0.5));
}

/* C(n, k) as a double, stopping early once it exceeds limit. */
static double choose_capped(size_t n, size_t k, double limit)
{
	if (k > n - k)
		k = n - k;
	double c = 1.0;
	for (size_t i = 1; i <= k; i++) {
		c = c * (double)(n - k + i) / (double)i;
		if (c > limit)
			return c;
	}
	return floor(c + 0.5);
}

double hvc_stats_permutation_p(const double *a, size_t na, const double *b, size_t nb,
			       unsigned rounds)
{
	if (na == 0 || nb == 0)
		return NAN;
	size_t n = na + nb;
	double *pool = malloc(n * sizeof(*pool)), *perm = malloc(n * sizeof(*perm));
	double *buf = malloc(n * sizeof(*buf));
	size_t *idx = malloc(na * sizeof(*idx));
	double p = NAN;
	if (!pool || !perm || !buf || !idx)
		goto out;
	memcpy(pool, a, na * sizeof(*pool));
	memcpy(pool + na, b, nb * sizeof(*pool));
	double obs = split_diff(pool, na, nb, buf);
	/* Equal differences computed along different paths may differ in the
	 * last bits; they must still count as "at least as extreme". */
	double thr = obs - 1e-12 * fabs(obs);
	double splits = choose_capped(n, na, (double)rounds);

	if (splits <= (double)rounds) {
		/* Exact: enumerate every choice of na positions for group a. */
		size_t hits = 0, total = 0;
		for (size_t i = 0; i < na; i++)
			idx[i] = i;
		for (;;) {
			bool in_a[n];
			memset(in_a, 0, sizeof(in_a));
			size_t pa = 0, pb = na;
			for (size_t i = 0; i < na; i++)
				in_a[idx[i]] = true;
			for (size_t i = 0; i < n; i++)
				perm[in_a[i] ? pa++ : pb++] = pool[i];
			if (split_diff(perm, na, nb, buf) >= thr)
				hits++;
			total++;
			/* Next combination in lexicographic order. */
			size_t i = na;
			while (i > 0 && idx[i - 1] == n - na + i - 1)
				i--;
			if (i == 0)
				break;
			idx[i - 1]++;
			for (size_t j = i; j < na; j++)
				idx[j] = idx[j - 1] + 1;
		}
		p = (double)hits / (double)total;
	} else {
		uint64_t rng = HVC_STATS_SEED;
		size_t hits = 0;
		memcpy(perm, pool, n * sizeof(*perm));
		for (unsigned r = 0; r < rounds; r++) {
			for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
				size_t j = rng_index(&rng, i + 1);
				double t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
			if (split_diff(perm, na, nb, buf) >= thr)
				hits++;
		}
		/* The observed split counts as one of the resamples (never p = 0). */
		p = (double)(hits + 1) / (double)(rounds + 1);
	}
out:
	free(pool);
	free(perm);
	free(buf);
	free(idx);
	return p;
}

double hvc_stats_permutation_min_p(size_t na, size_t nb, unsigned rounds)
{
	double *v = malloc((na + nb ? na + nb : 1) * sizeof(*v));
	if (!v)
		return NAN;
	for (size_t i = 0; i < na + nb; i++)
		v[i] = (double)i; /* a = 0..na-1 below every b */
	double p = hvc_stats_permutation_p(v, na, v + na, nb, rounds);
	free(v);
	return p;
}

/* 0-based position of p[i] among the finite p-values, ties broken by index. */
static size_t holm_rank(const double *p, size_t n, size_t i)
{
	size_t r = 0;
	for (size_t j = 0; j < n; j++)
		if (isfinite(p[j]) && (p[j] < p[i] || (j < i && p[j] == p[i])))
			r++;
	return r;
}

int hvc_stats_holm(const double *p, size_t n, double *adj)
{
	size_t *rank = malloc((n ? n : 1) * sizeof(*rank));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		adj[i] = NAN;
		m += isfinite(p[i]) ? 1 : 0;
	}
	if (!rank)
		return -1;
	for (size_t i = 0; i < n; i++)
		rank[i] = isfinite(p[i]) ? holm_rank(p, n, i) : 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(p[i]))
			continue;
		/* step-down: never below the adjusted value of a smaller p */
		double best = 0.0;
		for (size_t j = 0; j < n; j++)
			if (isfinite(p[j]) && rank[j] <= rank[i])
				best = fmax(best, fmin(1.0, (double)(m - rank[j]) * p[j]));
		adj[i] = best;
	}
	free(rank);
	return 0;
}
