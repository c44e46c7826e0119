/* hvc-workload cpu: a compute kernel with a checkable result, run for a time
 * budget (--seconds, at least --min-seconds). Two kernels:
 *  - dgemm: C = A·B in double precision with a cache-blocked loop
 *    nest, GFLOPS = 2n³ per multiplication. The LINPACK-like figure of Felter
 *    et al.; checked by Freivalds' test (C·x against A·(B·x)) and by sampled
 *    entries recomputed directly, with floating-point error bounds.
 *  - sha256 (default): SHA-256 of a deterministic buffer, MB/s. Integer-only. The
 *    guest program implements SHA-256 itself (FIPS 180-4): it is static and
 *    libc-only, and OpenSSL cannot be linked statically in a portable way
 *    (the host side of hvc uses OpenSSL EVP). The implementation is checked
 *    against the FIPS 180-2 known answers on every run, and the buffer's
 *    digest is printed so runs on different backends can be compared.
 * Built with the default -O2 and no -march: the same binary must run under
 * QEMU TCG and on any x86-64 host, so no AVX. */
/* GCC's -O2 vectorizes only loops that need no scalar epilogue; these
 * kernels are the measurement, so let it vectorize them (SSE2, baseline
 * x86-64, which QEMU TCG also emulates) as STREAM's and LINPACK's usual
 * -O3 builds would. */
#pragma GCC optimize("vect-cost-model=dynamic")
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define DGEMM_DEFAULT_N 512
#define DGEMM_MAX_N 16384
#define DGEMM_BS 64
#define SHA_DEFAULT_BYTES (8u << 20)
#define CPU_DEFAULT_SECONDS 1.0

/* ---------------------------------------------------------------- dgemm */

struct dgemm_thread {
	const double *a, *b;
	double *c;
	size_t n, r0, r1; /* rows [r0, r1) of C belong to this thread */
	double deadline;
	unsigned long reps;
	double end;
};

static void dgemm_rows(const double *a, const double *b, double *c, size_t n, size_t r0, size_t r1)
{
	memset(c + r0 * n, 0, (r1 - r0) * n * sizeof(*c));
	for (size_t kk = 0; kk < n; kk += DGEMM_BS) {
		size_t kmax = kk + DGEMM_BS < n ? kk + DGEMM_BS : n;
		for (size_t jj = 0; jj < n; jj += DGEMM_BS) {
			size_t jmax = jj + DGEMM_BS < n ? jj + DGEMM_BS : n;
			for (size_t i = r0; i < r1; i++) {
				double *restrict ci = c + i * n;
				const double *ai = a + i * n;
				for (size_t k = kk; k < kmax; k++) {
					double aik = ai[k];
					const double *restrict bk = b + k * n;
					for (size_t j = jj; j < jmax; j++)
						ci[j] += aik * bk[j];
				}
			}
		}
	}
}

static void *dgemm_worker(void *arg)
{
	struct dgemm_thread *t = arg;
	/* At least one multiplication, then until the budget is spent. Every
	 * thread finishes its current one, so C is always complete. */
	do {
		dgemm_rows(t->a, t->b, t->c, t->n, t->r0, t->r1);
		t->reps++;
	} while (wl_now() < t->deadline);
	t->end = wl_now();
	return NULL;
}

/* Freivalds: C·x == A·(B·x) within rounding, plus sampled entries recomputed.
 * Returns the largest relative error seen, or a negative value (and msg)
 * when a check fails. */
static double dgemm_check(const double *a, const double *b, const double *c, size_t n, char *msg,
			  size_t msglen)
{
	double *x = malloc(n * sizeof(*x)), *bx = malloc(n * sizeof(*bx)),
	       *bax = malloc(n * sizeof(*bax));
	double worst = 0;
	if (!x || !bx || !bax) {
		snprintf(msg, msglen, "allocate check vectors: %s", strerror(errno));
		worst = -1;
		goto out;
	}
	for (size_t j = 0; j < n; j++)
		x[j] = 1.0 + (double)(j % 7) / 8.0;
	for (size_t k = 0; k < n; k++) {
		double s = 0, sa = 0;
		for (size_t j = 0; j < n; j++) {
			s += b[k * n + j] * x[j];
			sa += fabs(b[k * n + j]) * x[j];
		}
		bx[k] = s;
		bax[k] = sa;
	}
	const double tol = 4.0 * (double)n * DBL_EPSILON;
	for (size_t i = 0; i < n; i++) {
		double abx = 0, cx = 0, scale = 0;
		for (size_t k = 0; k < n; k++) {
			abx += a[i * n + k] * bx[k];
			scale += fabs(a[i * n + k]) * bax[k];
			cx += c[i * n + k] * x[k];
		}
		double rel = scale > 0 ? fabs(cx - abx) / scale : fabs(cx - abx);
		if (!(rel <= tol)) {
			snprintf(msg, msglen,
				 "dgemm result wrong: row %zu of C*x differs from A*(B*x) by %.3g "
				 "(relative, bound %.3g)",
				 i, rel, tol);
			worst = -1;
			goto out;
		}
		if (rel > worst)
			worst = rel;
	}
	for (size_t s = 0; s < 64 && s < n * n; s++) {
		size_t i = (s * 7919) % n, j = (s * 104729 + 13) % n;
		double ref = 0, scale = 0;
		for (size_t k = 0; k < n; k++) {
			ref += a[i * n + k] * b[k * n + j];
			scale += fabs(a[i * n + k] * b[k * n + j]);
		}
		double rel =
		    scale > 0 ? fabs(c[i * n + j] - ref) / scale : fabs(c[i * n + j] - ref);
		if (!(rel <= tol)) {
			snprintf(msg, msglen,
				 "dgemm result wrong: C[%zu][%zu] = %.17g, expected %.17g", i, j,
				 c[i * n + j], ref);
			worst = -1;
			goto out;
		}
	}
out:
	free(x);
	free(bx);
	free(bax);
	return worst;
}

static int cpu_dgemm(const struct wl_opts *o, double seconds)
{
	size_t n = o->size ? (size_t)o->size : DGEMM_DEFAULT_N;
	if (n > DGEMM_MAX_N)
		return wl_fail(
		    o->name, "matrix order %zu too large for dgemm (max %d; --size is the order n)",
		    n, DGEMM_MAX_N);
	unsigned nt = o->threads;
	if (nt > n)
		nt = (unsigned)n; /* a thread needs at least one row */
	double *a = malloc(n * n * sizeof(*a)), *b = malloc(n * n * sizeof(*b)),
	       *c = malloc(n * n * sizeof(*c));
	struct dgemm_thread *t = calloc(nt, sizeof(*t));
	int rc;
	if (!a || !b || !c || !t) {
		rc =
		    wl_fail(o->name, "allocate three %zux%zu matrices: %s", n, n, strerror(ENOMEM));
		goto out;
	}
	/* Small exact values (multiples of 1/16): products and sums stay far
	 * from overflow and the check's error bound is meaningful. */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n; k++) {
			a[i * n + k] = (double)((int)((i * 31 + k * 17) % 23) - 11) / 16.0;
			b[i * n + k] = (double)((int)((i * 13 + k * 29) % 19) - 9) / 16.0;
		}
	double start = wl_now();
	for (unsigned i = 0; i < nt; i++)
		t[i] = (struct dgemm_thread){.a = a,
					     .b = b,
					     .c = c,
					     .n = n,
					     .r0 = n * i / nt,
					     .r1 = n * (i + 1) / nt,
					     .deadline = start + seconds};
	int e = wl_run_threads(nt, dgemm_worker, t, sizeof(*t));
	if (e < 0) {
		rc = wl_fail(o->name, "start %u threads: %s", nt, strerror(-e));
		goto out;
	}
	double end = 0, flops = 0;
	unsigned long reps_min = (unsigned long)-1;
	for (unsigned i = 0; i < nt; i++) {
		end = t[i].end > end ? t[i].end : end;
		flops +=
		    2.0 * (double)(t[i].r1 - t[i].r0) * (double)n * (double)n * (double)t[i].reps;
		reps_min = t[i].reps < reps_min ? t[i].reps : reps_min;
	}
	if (o->corrupt)
		c[(n / 2) * n + n / 3] += 1.0;
	char msg[256];
	double err = dgemm_check(a, b, c, n, msg, sizeof(msg));
	if (err < 0) {
		rc = wl_fail(o->name, "%s", msg);
		goto out;
	}
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_str(&r, "kernel", "dgemm");
	wl_result_int(&r, "n", (long long)n);
	wl_result_int(&r, "block", DGEMM_BS);
	wl_result_int(&r, "threads", nt);
	wl_result_num(&r, "multiplications", flops / (2.0 * (double)n * (double)n * (double)n));
	wl_result_int(&r, "min_thread_reps", (long long)reps_min);
	wl_result_num_pos(&r, "elapsed_s", end - start);
	wl_result_num_pos(&r, "gflops", flops / (end - start) / 1e9);
	wl_result_num(&r, "max_rel_err", err);
	wl_result_measured(&r, o->min_seconds, end - start, (long long)reps_min);
	rc = wl_result_end(&r);
out:
	free(a);
	free(b);
	free(c);
	free(t);
	return rc;
}

/* ---------------------------------------------------------------- sha256 */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t fill;
};

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned r)
{
	return (x >> r) | (x << (32 - r));
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->fill = 0;
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			      ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 =
		    (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	s->bytes += len;
	if (s->fill) {
		size_t take = 64 - s->fill < len ? 64 - s->fill : len;
		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		len -= take;
		if (s->fill < 64)
			return;
		sha256_block(s->h, s->buf);
		s->fill = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha256_block(s->h, p);
	memcpy(s->buf, p, len);
	s->fill = len;
}

static void sha256_final(struct sha256 *s, char hex[65])
{
	uint64_t bits = s->bytes * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, hex);
}

/* FIPS 180-2 appendix B examples: an error in the constants or the padding
 * cannot survive these. */
static int sha256_known_answers(char *msg, size_t msglen)
{
	static const struct {
		const char *in;
		unsigned repeat;
		const char *hex;
	} kat[] = {
	    {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	    {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	};
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		struct sha256 s;
		char hex[65];
		sha256_init(&s);
		for (unsigned r = 0; r < kat[i].repeat; r++)
			sha256_update(&s, kat[i].in, strlen(kat[i].in));
		sha256_final(&s, hex);
		if (strcmp(hex, kat[i].hex)) {
			snprintf(msg, msglen, "sha256 known-answer test %zu failed: got %s", i + 1,
				 hex);
			return -1;
		}
	}
	return 0;
}

struct sha_thread {
	const uint8_t *buf;
	size_t len;
	double deadline;
	unsigned long reps, mismatches;
	char first[65];
	double end;
};

static void *sha_worker(void *arg)
{
	struct sha_thread *t = arg;
	do {
		char hex[65];
		sha256_hex(t->buf, t->len, hex);
		if (t->reps == 0)
			memcpy(t->first, hex, sizeof(hex));
		else if (strcmp(hex, t->first))
			t->mismatches++;
		t->reps++;
	} while (wl_now() < t->deadline);
	t->end = wl_now();
	return NULL;
}

static int cpu_sha256(const struct wl_opts *o, double seconds)
{
	size_t len = o->size ? (size_t)o->size : SHA_DEFAULT_BYTES;
	char msg[256];
	if (sha256_known_answers(msg, sizeof(msg)) < 0)
		return wl_fail(o->name, "%s", msg);
	uint8_t *buf = malloc(len);
	struct sha_thread *t = calloc(o->threads, sizeof(*t));
	int rc;
	if (!buf || !t) {
		rc = wl_fail(o->name, "allocate %zu bytes: %s", len, strerror(ENOMEM));
		goto out;
	}
	/* Deterministic content: splitmix64 from a fixed seed, little-endian
	 * bytes (docs/workloads.md gives the recipe to reproduce the digest). */
	uint64_t st = 0x68766321; /* "hvc!" */
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = wl_mix64(&st);
		for (size_t b = 0; b < 8 && i + b < len; b++)
			buf[i + b] = (uint8_t)(v >> (8 * b));
	}
	double start = wl_now();
	for (unsigned i = 0; i < o->threads; i++)
		t[i] = (struct sha_thread){.buf = buf, .len = len, .deadline = start + seconds};
	int e = wl_run_threads(o->threads, sha_worker, t, sizeof(*t));
	if (e < 0) {
		rc = wl_fail(o->name, "start %u threads: %s", o->threads, strerror(-e));
		goto out;
	}
	double end = 0, bytes = 0;
	unsigned long reps_min = (unsigned long)-1;
	for (unsigned i = 0; i < o->threads; i++) {
		end = t[i].end > end ? t[i].end : end;
		reps_min = t[i].reps < reps_min ? t[i].reps : reps_min;
		bytes += (double)len * (double)t[i].reps;
		if (t[i].mismatches || strcmp(t[i].first, t[0].first)) {
			rc = wl_fail(
			    o->name,
			    "sha256 of the same buffer differed between repetitions (thread %u)",
			    i);
			goto out;
		}
	}
	/* Independent path: odd-sized incremental updates must give the same
	 * digest as the one-shot hashing timed above (exercises the buffering). */
	if (o->corrupt)
		buf[len / 2] ^= 0x01;
	struct sha256 s;
	char hex[65];
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 % 1021 + 1)
		sha256_update(&s, buf + off, off + step <= len ? step : len - off);
	sha256_final(&s, hex);
	if (strcmp(hex, t[0].first)) {
		rc =
		    wl_fail(o->name, "sha256 incremental digest %s differs from one-shot digest %s",
			    hex, t[0].first);
		goto out;
	}
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_str(&r, "kernel", "sha256");
	wl_result_int(&r, "bytes", (long long)len);
	wl_result_int(&r, "threads", o->threads);
	wl_result_num(&r, "hashes", bytes / (double)len);
	wl_result_num_pos(&r, "elapsed_s", end - start);
	wl_result_num_pos(&r, "mb_per_s", bytes / (end - start) / 1e6);
	wl_result_str(&r, "digest", t[0].first);
	wl_result_measured(&r, o->min_seconds, end - start, (long long)reps_min);
	rc = wl_result_end(&r);
out:
	free(buf);
	free(t);
	return rc;
}

int wl_cpu(const struct wl_opts *o)
{
	double seconds = o->seconds < 0 ? CPU_DEFAULT_SECONDS : o->seconds;
	if (seconds < o->min_seconds)
		seconds = o->min_seconds;
	/* sha256 by default: integer work runs at a useful speed under QEMU
	 * TCG too, where every floating-point operation is emulated in
	 * software and one default-sized dgemm takes seconds. */
	if (!o->kernel || !strcmp(o->kernel, "sha256"))
		return cpu_sha256(o, seconds);
	if (!strcmp(o->kernel, "dgemm"))
		return cpu_dgemm(o, seconds);
	wl_fail(o->name, "usage: unknown kernel \"%s\" (dgemm or sha256)", o->kernel);
	return 2;
}
