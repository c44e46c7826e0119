/* hvc-workload mem: STREAM (McCalpin) sustainable memory bandwidth, the
 * figure Felter et al. report for memory: copy c=a, scale b=q·c, add c=a+b,
 * triad a=b+q·c over three arrays of doubles, each repeated --iterations
 * times; the best rate of each kernel with the first iteration discarded
 * (STREAM's convention), MB/s with MB = 10^6 bytes counted as STREAM does
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
#define MEM_MIN_DEFAULT_BYTES (16ull << 20)
#define MEM_FALLBACK_BYTES (64ull << 20)
#define STREAM_SCALAR 3.0

enum { K_COPY, K_SCALE, K_ADD, K_TRIAD, K_N };
static const char *const kernel_names[K_N] = {"copy", "scale", "add", "triad"};
static const double kernel_arrays[K_N] = {2, 2, 3, 3};

struct mem_shared {
	double *a, *b, *c;
	size_t n;
	unsigned nt, iterations;
	pthread_barrier_t bar;
	double *times; /* [iterations][K_N], written by thread 0 */
};

struct mem_thread {
	struct mem_shared *s;
	unsigned id;
};

static void *mem_worker(void *arg)
{
	struct mem_thread *t = arg;
	struct mem_shared *s = t->s;
	size_t lo = s->n * t->id / s->nt, hi = s->n * (t->id + 1) / s->nt;
	double *restrict a = s->a, *restrict b = s->b, *restrict c = s->c;
	const double q = STREAM_SCALAR;

	/* Each thread first-touches its own part (pages land near it on NUMA). */
	for (size_t j = lo; j < hi; j++) {
		a[j] = 1.0;
		b[j] = 2.0;
		c[j] = 0.0;
	}
	for (size_t j = lo; j < hi; j++)
		a[j] = 2.0 * a[j];
	for (unsigned k = 0; k < s->iterations; k++) {
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
				s->times[k * K_N + kern] = wl_now() - t0;
		}
	}
	return NULL;
}

/* STREAM's checkSTREAMresults: replay the scalar recurrence, compare the
 * mean absolute error of each array with epsilon = 1e-13 (double). */
static int stream_check(const struct mem_shared *s, double *worst, char *msg, size_t msglen)
{
	double aj = 1.0, bj = 2.0, cj = 0.0;
	aj = 2.0 * aj;
	for (unsigned k = 0; k < s->iterations; k++) {
		cj = aj;
		bj = STREAM_SCALAR * cj;
		cj = aj + bj;
		aj = bj + STREAM_SCALAR * cj;
	}
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

int wl_mem(const struct wl_opts *o)
{
	uint64_t bytes = o->size;
	const char *source = "argument";
	uint64_t llc = wl_llc_bytes();
	if (!bytes) {
		/* STREAM's rule: each array at least 4x the last-level cache. */
		bytes = wl_default_size(llc, MEM_FALLBACK_BYTES, MEM_MIN_DEFAULT_BYTES, &source);
		uint64_t ram = wl_total_ram();
		if (ram && 3 * bytes > ram / 2) {
			bytes = ram / 6; /* three arrays in half of RAM at most */
			source = "ram-cap";
		}
	}
	struct mem_shared s = {.n = bytes / sizeof(double),
			       .nt = o->threads,
			       .iterations =
				   o->iterations ? o->iterations : MEM_DEFAULT_ITERATIONS};
	if (s.n < s.nt || s.n < 2)
		return wl_fail(o->name, "array of %llu bytes is too small",
			       (unsigned long long)bytes);
	if (s.iterations < 2)
		return wl_fail(o->name,
			       "STREAM needs at least 2 iterations (the first is discarded)");
	int rc;
	struct mem_thread *th = calloc(s.nt, sizeof(*th));
	s.a = aligned_alloc(64, (s.n * sizeof(double) + 63) & ~(size_t)63);
	s.b = aligned_alloc(64, (s.n * sizeof(double) + 63) & ~(size_t)63);
	s.c = aligned_alloc(64, (s.n * sizeof(double) + 63) & ~(size_t)63);
	s.times = calloc((size_t)s.iterations * K_N, sizeof(double));
	bool have_bar = false;
	if (!th || !s.a || !s.b || !s.c || !s.times) {
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
			s.a[j] += 1.0;
	char msg[256];
	double worst;
	if (stream_check(&s, &worst, msg, sizeof(msg)) < 0) {
		rc = wl_fail(o->name, "%s", msg);
		goto out;
	}
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_int(&r, "array_bytes", (long long)(s.n * sizeof(double)));
	wl_result_int(&r, "elements", (long long)s.n);
	wl_result_str(&r, "size_source", source);
	wl_result_int(&r, "llc_bytes", (long long)llc);
	wl_result_int(&r, "iterations", s.iterations);
	wl_result_int(&r, "threads", s.nt);
	double total = 0;
	for (int kern = 0; kern < K_N; kern++) {
		double best = INFINITY;
		for (unsigned k = 1; k < s.iterations; k++)
			best = s.times[k * K_N + kern] < best ? s.times[k * K_N + kern] : best;
		for (unsigned k = 0; k < s.iterations; k++)
			total += s.times[k * K_N + kern];
		char key[32];
		snprintf(key, sizeof(key), "%s_mb_per_s", kernel_names[kern]);
		wl_result_num_pos(&r, key,
				  kernel_arrays[kern] * sizeof(double) * (double)s.n / best / 1e6);
	}
	wl_result_num_pos(&r, "elapsed_s", total);
	wl_result_num(&r, "max_rel_err", worst);
	rc = wl_result_end(&r);
out:
	if (have_bar)
		pthread_barrier_destroy(&s.bar);
	free(th);
	free(s.a);
	free(s.b);
	free(s.c);
	free(s.times);
	return rc;
}
