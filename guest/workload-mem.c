/* hvc-workload mem: STREAM (McCalpin) sustainable memory bandwidth, the
 * figure Felter et al. report for memory: copy c=a, scale b=q·c, add c=a+b,
 * triad a=b+q·c over three arrays of doubles, each repeated --iterations
 * times (more while iterations 2..N have run less than --min-seconds); the
 * best rate of each kernel with the first iteration discarded (STREAM's
 * convention), MB/s with MB = 10^6 bytes counted as STREAM does
 * (2 arrays for copy and scale, 3 for add and triad; no write-allocate).
 * Validated with STREAM's own check: the expected final values are
 * recomputed by scalar replay and the mean absolute error of every array
 * must stay below 1e-13 relative. */
/* GCC's -O2 vectorizes only loops that need no scalar epilogue; these
 * kernels are the measurement, so let it vectorize them (SSE2, baseline
 * x86-64, which QEMU TCG also emulates) as STREAM's and LINPACK's usual
 * -O3 builds would. */
#pragma GCC optimize("vect-cost-model=dynamic")
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define MEM_DEFAULT_ITERATIONS 5
#define MEM_MAX_ITERATIONS 100000000u
#define MEM_MIN_DEFAULT_BYTES (16ull << 20)
#define MEM_FALLBACK_BYTES (64ull << 20)
#define STREAM_SCALAR 3.0
/* The values grow 15-fold per iteration; above this exponent all three
 * arrays are scaled down by a power of two (exact) so that --min-seconds can
 * run any number of iterations without overflow. */
#define STREAM_RESCALE_EXP 512

enum { K_COPY, K_SCALE, K_ADD, K_TRIAD, K_N };
static const char *const kernel_names[K_N] = {"copy", "scale", "add", "triad"};
static const double kernel_arrays[K_N] = {2, 2, 3, 3};

struct mem_shared {
	double *a, *b, *c;
	size_t n;
	unsigned nt, min_iterations;
	double min_seconds;
	pthread_barrier_t bar;
	/* Written by thread 0 only; read by the others after a barrier. */
	bool stop;
	unsigned iterations; /* completed */
	double best[K_N];    /* fastest time of each kernel, iterations 2..N */
	double sum[K_N];     /* total time of each kernel, iterations 2..N */
	double measured;     /* all kernels of iterations 2..N (the first is discarded) */
	double first;	     /* iteration 1 */
};

struct mem_thread {
	struct mem_shared *s;
	unsigned id;
};

/* STREAM's scalar recurrence for one iteration; returns the power of two by
 * which the arrays (and these scalars, already) must then be scaled, or 0. */
static int stream_step(double *aj, double *bj, double *cj)
{
	*cj = *aj;
	*bj = STREAM_SCALAR * *cj;
	*cj = *aj + *bj;
	*aj = *bj + STREAM_SCALAR * *cj;
	int e = ilogb(*aj);
	if (e < STREAM_RESCALE_EXP)
		return 0;
	*aj = ldexp(*aj, -e);
	*bj = ldexp(*bj, -e);
	*cj = ldexp(*cj, -e);
	return e;
}

static void mem_record(struct mem_shared *s, int kern, double dt)
{
	if (s->iterations == 0) {
		s->first += dt;
		return;
	}
	s->measured += dt;
	s->sum[kern] += dt;
	if (dt < s->best[kern])
		s->best[kern] = dt;
}

static void *mem_worker(void *arg)
{
	struct mem_thread *t = arg;
	struct mem_shared *s = t->s;
	size_t lo = s->n * t->id / s->nt, hi = s->n * (t->id + 1) / s->nt;
	double *restrict a = s->a, *restrict b = s->b, *restrict c = s->c;
	const double q = STREAM_SCALAR;
	double aj = 2.0, bj = 2.0, cj = 0.0; /* what every element holds */

	/* Each thread first-touches its own part (pages land near it on NUMA). */
	for (size_t j = lo; j < hi; j++) {
		a[j] = 1.0;
		b[j] = 2.0;
		c[j] = 0.0;
	}
	for (size_t j = lo; j < hi; j++)
		a[j] = 2.0 * a[j];
	for (;;) {
		pthread_barrier_wait(&s->bar);
		if (s->stop)
			break;
		for (int kern = 0; kern < K_N; kern++) {
			double t0 = 0;
			pthread_barrier_wait(&s->bar);
			if (t->id == 0)
				t0 = wl_now();
			switch (kern) {
			case K_COPY:
				for (size_t j = lo; j < hi; j++)
					c[j] = a[j];
				break;
			case K_SCALE:
				for (size_t j = lo; j < hi; j++)
					b[j] = q * c[j];
				break;
			case K_ADD:
				for (size_t j = lo; j < hi; j++)
					c[j] = a[j] + b[j];
				break;
			case K_TRIAD:
				for (size_t j = lo; j < hi; j++)
					a[j] = b[j] + q * c[j];
				break;
			}
			pthread_barrier_wait(&s->bar);
			if (t->id == 0)
				mem_record(s, kern, wl_now() - t0);
		}
		int e = stream_step(&aj, &bj, &cj);
		for (size_t j = lo; e && j < hi; j++) { /* untimed, own slice only */
			a[j] = ldexp(a[j], -e);
			b[j] = ldexp(b[j], -e);
			c[j] = ldexp(c[j], -e);
		}
		if (t->id == 0) {
			s->iterations++;
			s->stop =
			    s->iterations >= MEM_MAX_ITERATIONS ||
			    (s->iterations >= s->min_iterations && s->measured >= s->min_seconds);
		}
	}
	return NULL;
}

/* STREAM's checkSTREAMresults: replay the scalar recurrence, compare the
 * mean absolute error of each array with epsilon = 1e-13 (double). */
static int stream_check(const struct mem_shared *s, double *worst, char *msg, size_t msglen)
{
	double aj = 2.0, bj = 2.0, cj = 0.0;
	for (unsigned k = 0; k < s->iterations; k++)
		stream_step(&aj, &bj, &cj);
	double ea = 0, eb = 0, ec = 0;
	for (size_t j = 0; j < s->n; j++) {
		ea += fabs(s->a[j] - aj);
		eb += fabs(s->b[j] - bj);
		ec += fabs(s->c[j] - cj);
	}
	const double expect[3] = {aj, bj, cj}, err[3] = {ea, eb, ec};
	*worst = 0;
	for (int i = 0; i < 3; i++) {
		double rel = err[i] / (double)s->n / fabs(expect[i]);
		if (!(rel <= 1e-13)) {
			snprintf(msg, msglen,
				 "STREAM validation failed: array %c mean relative error %.3g > "
				 "1e-13 (expected %g)",
				 "abc"[i], rel, expect[i]);
			return -1;
		}
		if (rel > *worst)
			*worst = rel;
	}
	return 0;
}

/* The array size: --size, else STREAM's rule (each array at least 4x the
 * trusted LLC), at most three arrays in half of RAM. */
static uint64_t mem_array_bytes(const struct wl_opts *o, const struct wl_llc *llc,
				const char **source)
{
	*source = "argument";
	if (o->size)
		return o->size;
	uint64_t bytes =
	    wl_default_size(llc->bytes, MEM_FALLBACK_BYTES, MEM_MIN_DEFAULT_BYTES, source);
	uint64_t ram = wl_total_ram();
	if (ram && 3 * bytes > ram / 2) {
		bytes = ram / 6;
		*source = "ram-cap";
	}
	return bytes;
}

static int mem_report(const struct wl_opts *o, const struct mem_shared *s, const struct wl_llc *llc,
		      const char *source, double worst)
{
	struct wl_result r;
	uint64_t array_bytes = s->n * sizeof(double);
	unsigned counted = s->iterations - 1;
	wl_result_begin(&r, o->name);
	wl_result_int(&r, "array_bytes", (long long)array_bytes);
	wl_result_int(&r, "elements", (long long)s->n);
	wl_result_str(&r, "size_source", source);
	wl_result_llc(&r, llc, array_bytes);
	wl_result_int(&r, "iterations", s->iterations);
	wl_result_int(&r, "threads", s->nt);
	for (int kern = 0; kern < K_N; kern++) {
		double bytes = kernel_arrays[kern] * (double)array_bytes;
		char key[32];
		snprintf(key, sizeof(key), "%s_mb_per_s", kernel_names[kern]);
		wl_result_num_pos(&r, key, bytes / s->best[kern] / 1e6);
		snprintf(key, sizeof(key), "%s_avg_mb_per_s", kernel_names[kern]);
		wl_result_num_pos(&r, key, bytes * counted / s->sum[kern] / 1e6);
	}
	wl_result_num_pos(&r, "elapsed_s", s->first + s->measured);
	wl_result_num(&r, "max_rel_err", worst);
	wl_result_measured(&r, o->min_seconds, s->measured, counted);
	return wl_result_end(&r);
}

int wl_mem(const struct wl_opts *o)
{
	struct wl_llc llc;
	const char *source;
	wl_llc_probe(&llc);
	uint64_t bytes = mem_array_bytes(o, &llc, &source);
	struct mem_shared s = {.n = bytes / sizeof(double),
			       .nt = o->threads,
			       .min_iterations =
				   o->iterations ? o->iterations : MEM_DEFAULT_ITERATIONS,
			       .min_seconds = o->min_seconds,
			       .best = {INFINITY, INFINITY, INFINITY, INFINITY}};
	if (s.n < s.nt || s.n < 2)
		return wl_fail(o->name, "array of %llu bytes is too small",
			       (unsigned long long)bytes);
	if (s.min_iterations < 2)
		return wl_fail(o->name,
			       "STREAM needs at least 2 iterations (the first is discarded)");
	int rc;
	struct mem_thread *th = calloc(s.nt, sizeof(*th));
	s.a = aligned_alloc(64, (s.n * sizeof(double) + 63) & ~(size_t)63);
	s.b = aligned_alloc(64, (s.n * sizeof(double) + 63) & ~(size_t)63);
	s.c = aligned_alloc(64, (s.n * sizeof(double) + 63) & ~(size_t)63);
	bool have_bar = false;
	if (!th || !s.a || !s.b || !s.c) {
		rc = wl_fail(o->name, "allocate 3 arrays of %llu bytes: %s",
			     (unsigned long long)bytes, strerror(ENOMEM));
		goto out;
	}
	pthread_barrier_init(&s.bar, NULL, s.nt);
	have_bar = true;
	for (unsigned i = 0; i < s.nt; i++)
		th[i] = (struct mem_thread){.s = &s, .id = i};
	int e = wl_run_threads(s.nt, mem_worker, th, sizeof(*th));
	if (e < 0) {
		rc = wl_fail(o->name, "start %u threads: %s", s.nt, strerror(-e));
		goto out;
	}
	if (o->corrupt)
		for (size_t j = 0; j < s.n; j += 2)
			s.a[j] += s.a[j] / 64;
	char msg[256];
	double worst;
	if (stream_check(&s, &worst, msg, sizeof(msg)) < 0) {
		rc = wl_fail(o->name, "%s", msg);
		goto out;
	}
	rc = mem_report(o, &s, &llc, source, worst);
out:
	if (have_bar)
		pthread_barrier_destroy(&s.bar);
	free(th);
	free(s.a);
	free(s.b);
	free(s.c);
	return rc;
}
