/* hvc-workload randmem: HPCC RandomAccess (GUPS), the random memory access
 * test of Felter et al. A table of 2^k 64-bit words, T[i] = i, receives
 * N·2^k updates T[r & (size-1)] ^= r (N = --iterations; HPCC's rule is 4,
 * the default is 1 to keep a default run near a second — the rate does not
 * depend on N once the table is warm; --min-seconds repeats such passes,
 * continuing the stream, until the floor) from HPCC's primitive-polynomial
 * stream (x^63 + x^2 + x + 1 over GF(2), POLY = 7), split into independent
 * sub-streams started with HPCC_starts(). GUPS = updates / seconds / 10^9.
 * Verification is HPCC's: XOR is its own inverse, so replaying the whole
 * stream sequentially must restore T[i] = i; at most 1% of the entries may
 * be wrong (HPCC tolerates lost updates from unsynchronised threads).
 * Threads update the shared table without locks, exactly like HPCC's
 * OpenMP version; relaxed atomic loads/stores keep that defined C. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define POLY 0x0000000000000007ull
#define PERIOD 1317624576693539401ll
#define RA_STREAMS 128 /* HPCC's look-ahead: 128 independent streams per thread */
#define RA_MIN_DEFAULT_BYTES (32ull << 20)
#define RA_FALLBACK_BYTES (128ull << 20)
#define RA_DEFAULT_ITERATIONS 1

static inline uint64_t ra_next(uint64_t r)
{
	return (r << 1) ^ ((int64_t)r < 0 ? POLY : 0);
}

/* HPCC_starts: the n-th element of the stream, in O(log n). */
static uint64_t hpcc_starts(int64_t n)
{
	uint64_t m2[64], temp, ran;
	int i;
	while (n < 0)
		n += PERIOD;
	while (n > PERIOD)
		n -= PERIOD;
	if (n == 0)
		return 0x1;
	temp = 0x1;
	for (i = 0; i < 64; i++) {
		m2[i] = temp;
		temp = ra_next(temp);
		temp = ra_next(temp);
	}
	for (i = 62; i >= 0; i--)
		if ((n >> i) & 1)
			break;
	ran = 0x2;
	while (i > 0) {
		temp = 0;
		for (int j = 0; j < 64; j++)
			if ((ran >> j) & 1)
				temp ^= m2[j];
		ran = temp;
		i -= 1;
		if ((n >> i) & 1)
			ran = ra_next(ran);
	}
	return ran;
}

struct ra_thread {
	uint64_t *table;
	uint64_t mask;
	uint64_t first, count; /* updates [first, first + count) of the global stream */
	double end;
};

static void *ra_worker(void *arg)
{
	struct ra_thread *t = arg;
	uint64_t ran[RA_STREAMS];
	uint64_t per = t->count / RA_STREAMS; /* count is a multiple of RA_STREAMS */
	for (int j = 0; j < RA_STREAMS; j++)
		ran[j] = hpcc_starts((int64_t)(t->first + per * (uint64_t)j));
	for (uint64_t i = 0; i < per; i++) {
		for (int j = 0; j < RA_STREAMS; j++) {
			ran[j] = ra_next(ran[j]);
			uint64_t *p = &t->table[ran[j] & t->mask];
			__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) ^ ran[j],
					 __ATOMIC_RELAXED);
		}
	}
	t->end = wl_now();
	return NULL;
}

/* The table size: --size, else 4x the trusted LLC, halved until it fits in
 * a quarter of RAM. */
static uint64_t ra_table_bytes(const struct wl_opts *o, const struct wl_llc *llc,
			       const char **source)
{
	*source = "argument";
	if (o->size)
		return o->size;
	uint64_t bytes =
	    wl_default_size(llc->bytes, RA_FALLBACK_BYTES, RA_MIN_DEFAULT_BYTES, source);
	uint64_t ram = wl_total_ram();
	while (ram && bytes > ram / 4) {
		bytes /= 2;
		*source = "ram-cap";
	}
	return bytes;
}

/* One pass: updates [first, first + updates) of the global stream shared out
 * between nt threads in contiguous slices, each a multiple of RA_STREAMS
 * (updates is a power of two >= 512). Returns its elapsed seconds, or -errno
 * when the threads could not start. */
static double ra_pass(uint64_t *table, uint64_t words, unsigned nt, uint64_t first,
		      uint64_t updates, struct ra_thread *t)
{
	uint64_t chunk = updates / RA_STREAMS, done = first;
	double start = wl_now();
	for (unsigned i = 0; i < nt; i++) {
		uint64_t mine = (chunk * (i + 1) / nt - chunk * i / nt) * RA_STREAMS;
		t[i] = (struct ra_thread){
		    .table = table, .mask = words - 1, .first = done, .count = mine};
		done += mine;
	}
	int e = wl_run_threads(nt, ra_worker, t, sizeof(*t));
	if (e < 0)
		return e;
	double end = 0;
	for (unsigned i = 0; i < nt; i++)
		end = t[i].end > end ? t[i].end : end;
	return end - start;
}

/* HPCC verification: replaying the first `done` updates sequentially from
 * the stream's start undoes them all; returns the entries still wrong. */
static uint64_t ra_verify(uint64_t *table, uint64_t words, uint64_t done)
{
	uint64_t ran = 0x1;
	for (uint64_t i = 0; i < done; i++) {
		ran = ra_next(ran);
		table[ran & (words - 1)] ^= ran;
	}
	uint64_t errors = 0;
	for (uint64_t i = 0; i < words; i++)
		if (table[i] != i)
			errors++;
	return errors;
}

/* Sanity of the stream generator itself before trusting any figure. */
static int ra_check_starts(const char *name)
{
	uint64_t r = 1;
	for (int64_t n = 1; n <= 1000; n++) {
		r = ra_next(r);
		if (hpcc_starts(n) != r)
			return wl_fail(name,
				       "HPCC_starts(%lld) disagrees with the sequential stream",
				       (long long)n);
	}
	return 0;
}

int wl_randmem(const struct wl_opts *o)
{
	struct wl_llc llc;
	const char *source;
	wl_llc_probe(&llc);
	uint64_t bytes = ra_table_bytes(o, &llc, &source);
	/* The table is a power of two (the index is a mask): round down. */
	uint64_t words = 1;
	while (words * 2 * sizeof(uint64_t) <= bytes)
		words *= 2;
	if (words * sizeof(uint64_t) > bytes || words < RA_STREAMS)
		return wl_fail(o->name, "table of %llu bytes is too small (at least %zu)",
			       (unsigned long long)bytes, RA_STREAMS * sizeof(uint64_t));
	if (ra_check_starts(o->name))
		return 1;
	unsigned iterations = o->iterations ? o->iterations : RA_DEFAULT_ITERATIONS;
	if (iterations > 64)
		return wl_fail(o->name, "at most 64 iterations (updates per table entry)");
	if (o->count && o->iterations)
		return wl_fail(o->name, "--count and --iterations both set the updates per pass");
	uint64_t updates = iterations * words; /* per pass */
	/* --count: fewer updates per pass than entries, for an emulated guest
	 * where one pass over a table beyond the LLC takes tens of seconds. The
	 * rate is the same once the table is warm (every update still lands on
	 * a random line of the whole table); a power of two, as the streams need. */
	if (o->count) {
		if (o->count < RA_STREAMS)
			return wl_fail(o->name, "--count %llu is too small (at least %d updates)",
				       (unsigned long long)o->count, RA_STREAMS);
		for (updates = RA_STREAMS; updates * 2 <= o->count;)
			updates *= 2;
	}
	unsigned nt = o->threads;
	while (nt > 1 && updates / nt < RA_STREAMS)
		nt--;
	uint64_t *table = aligned_alloc(64, words * sizeof(uint64_t));
	struct ra_thread *t = calloc(nt, sizeof(*t));
	int rc;
	if (!table || !t) {
		rc = wl_fail(o->name, "allocate a table of %llu bytes: %s",
			     (unsigned long long)(words * 8), strerror(ENOMEM));
		goto out;
	}
	for (uint64_t i = 0; i < words; i++)
		table[i] = i;
	/* Whole passes, continuing the stream, until --min-seconds of updating. */
	uint64_t done = 0, passes = 0;
	double measured = 0;
	do {
		double dt = ra_pass(table, words, nt, done, updates, t);
		if (dt < 0) {
			rc = wl_fail(o->name, "start %u threads: %s", nt, strerror((int)-dt));
			goto out;
		}
		measured += dt;
		done += updates;
		passes++;
	} while (measured < o->min_seconds);

	if (o->corrupt)
		for (uint64_t i = 0; i < words; i += 32) /* ~3% of the entries */
			table[i] ^= 0x5a5a;
	uint64_t errors = ra_verify(table, words, done);
	/* HPCC allows 1% of the entries wrong after its run of 4 updates per
	 * entry (threads race on an entry without locks, by design). Threads
	 * held longer by --min-seconds race more: their allowance grows with
	 * the run. One thread never races; it keeps HPCC's 1%. */
	double runs = (double)done / (4.0 * (double)words);
	double allowed = 0.01 * (double)words * (nt > 1 && runs > 1 ? runs : 1);
	if ((double)errors > allowed) {
		rc = wl_fail(o->name,
			     "RandomAccess verification failed: %llu of %llu table entries wrong "
			     "(HPCC allows 1%% per 4 updates per entry: %.0f here)",
			     (unsigned long long)errors, (unsigned long long)words, allowed);
		goto out;
	}
	struct wl_result res;
	wl_result_begin(&res, o->name);
	wl_result_int(&res, "table_bytes", (long long)(words * sizeof(uint64_t)));
	wl_result_str(&res, "size_source", source);
	wl_result_llc(&res, &llc, words * sizeof(uint64_t));
	wl_result_int(&res, "updates", (long long)done);
	wl_result_int(&res, "iterations", o->count ? 0 : iterations);
	wl_result_int(&res, "updates_per_pass", (long long)updates);
	wl_result_int(&res, "threads", nt);
	wl_result_num_pos(&res, "elapsed_s", measured);
	wl_result_num_pos(&res, "gups", (double)done / measured / 1e9);
	wl_result_int(&res, "errors", (long long)errors);
	wl_result_num(&res, "error_fraction", (double)errors / (double)words);
	wl_result_measured(&res, o->min_seconds, measured, (long long)passes);
	rc = wl_result_end(&res);
out:
	free(table);
	free(t);
	return rc;
}
