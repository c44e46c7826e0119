/* hvc-workload fileio: file I/O on a directory the caller chooses (the
 * instance's data volume or disk), the block-I/O test of Felter et al. (who
 * used fio). Four phases on one file of --size bytes:
 *   seq write  (--block sized writes, then fdatasync; MB/s)
 *   seq read   (--block sized reads; MB/s)
 *   rand write (4 KiB writes at random aligned offsets for --seconds, then
 *               fdatasync; IOPS)
 *   rand read  (4 KiB reads at random offsets for --seconds; IOPS)
 * --min-seconds holds every phase to a floor of measured I/O time: whole
 * sequential passes are repeated, random phases run on until it is reached.
 * Page cache: O_DIRECT where the file system supports it (--direct auto, the
 * default; "on" requires it, "off" never uses it; "direct" says what ran and
 * "direct_fallback" why it fell back); otherwise buffered I/O with the
 * file's cached pages dropped (POSIX_FADV_DONTNEED after fdatasync) before
 * each read pass, which works on disk file systems but not on tmpfs. The
 * storage is described from inside (workload-storage.c): file system, mount
 * and its options (an overlay's "volatile" makes fdatasync a no-op).
 * Every 4 KiB unit carries its index and a write generation; every read is
 * compared with what was last written there, and the whole file is read
 * back once more at the end (untimed). The file is unlinked as soon as it
 * is created, so nothing is left behind even if the process is killed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#define FIO_UNIT 4096u
#define FIO_DEFAULT_SIZE (64ull << 20)
#define FIO_DEFAULT_BLOCK (1u << 20)
#define FIO_DEFAULT_SECONDS 0.5
#define FIO_BASE_UNITS 256u		/* 1 MiB of random bytes the units are cut from */
#define FIO_MAGIC 0x6876632d66696f00ull /* "hvc-fio\0" */

struct fio {
	const struct wl_opts *o;
	int fd;
	bool direct;
	bool direct_required; /* --direct on: no fallback */
	char fallback[160];   /* why O_DIRECT was given up, "" when it was not */
	uint64_t units;
	uint32_t *gen; /* last generation written to each unit */
	uint8_t *base; /* FIO_BASE_UNITS * FIO_UNIT random bytes */
	uint8_t *buf;  /* I/O buffer, block bytes, 4 KiB aligned */
	uint8_t *want; /* expected content of one unit */
	char err[512];
};

static void unit_content(const struct fio *f, uint64_t u, uint32_t gen, uint8_t *out)
{
	memcpy(out, f->base + (u % FIO_BASE_UNITS) * FIO_UNIT, FIO_UNIT);
	uint64_t hdr[2] = {FIO_MAGIC ^ u, gen};
	memcpy(out, hdr, sizeof(hdr));
}

static int verify_units(struct fio *f, const uint8_t *data, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t u = first + i;
		unit_content(f, u, f->gen[u], f->want);
		if (memcmp(data + i * FIO_UNIT, f->want, FIO_UNIT)) {
			size_t off = 0;
			while (off < FIO_UNIT && data[i * FIO_UNIT + off] == f->want[off])
				off++;
			snprintf(f->err, sizeof(f->err),
				 "data read back differs from what was written: byte %llu of the "
				 "file (unit %llu, generation %u)",
				 (unsigned long long)(u * FIO_UNIT + off), (unsigned long long)u,
				 f->gen[u]);
			return -1;
		}
	}
	return 0;
}

/* Full pread/pwrite of len bytes; falls back from O_DIRECT to buffered I/O
 * when the file system refuses it (EINVAL). */
static int io_full(struct fio *f, bool write, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write
				? pwrite(f->fd, (char *)buf + done, len - done, (off_t)(off + done))
				: pread(f->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && f->direct && !f->direct_required) {
			int fl = fcntl(f->fd, F_GETFL);
			if (fl >= 0 && fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) == 0) {
				f->direct = false;
				snprintf(
				    f->fallback, sizeof(f->fallback),
				    "%s with O_DIRECT at offset %llu: %s; buffered from then on",
				    write ? "write" : "read", (unsigned long long)(off + done),
				    strerror(EINVAL));
				continue;
			}
		}
		if (n <= 0) {
			snprintf(f->err, sizeof(f->err), "%s at offset %llu: %s",
				 write ? "write" : "read", (unsigned long long)(off + done),
				 n < 0 ? strerror(errno) : "unexpected end of file");
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int sync_and_drop(struct fio *f)
{
	if (fdatasync(f->fd) < 0) {
		snprintf(f->err, sizeof(f->err), "fdatasync: %s", strerror(errno));
		return -1;
	}
	if (!f->direct)
		posix_fadvise(f->fd, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
}

/* A pass ends the same way either way: a write pass counts its sync (and the
 * cache drop) as I/O time. Returns the pass's I/O seconds; *rc 0 or -1. */
static double finish_pass(struct fio *f, bool write, double io, int *rc)
{
	if (write) {
		double t0 = wl_now();
		if (sync_and_drop(f) < 0) {
			*rc = -1;
			return 0;
		}
		io += wl_now() - t0;
	}
	*rc = 0;
	return io;
}

/* Sequential pass over the whole file; returns seconds spent in I/O calls. */
static double seq_pass(struct fio *f, bool write, size_t block, bool verify, int *rc)
{
	double io = 0;
	uint64_t per = block / FIO_UNIT;
	for (uint64_t u = 0; u < f->units; u += per) {
		if (write)
			for (uint64_t i = 0; i < per; i++)
				unit_content(f, u + i, f->gen[u + i], f->buf + i * FIO_UNIT);
		double t0 = wl_now();
		if (io_full(f, write, f->buf, block, u * FIO_UNIT) < 0) {
			*rc = -1;
			return 0;
		}
		io += wl_now() - t0;
		if (verify && verify_units(f, f->buf, u, per) < 0) {
			*rc = -1;
			return 0;
		}
	}
	return finish_pass(f, write, io, rc);
}

/* Whole sequential passes until min_s seconds of I/O (at least one). Every
 * write pass after the first writes a new generation, so each read pass
 * proves the latest data landed; read passes start from a dropped cache. */
static int seq_phase(struct fio *f, bool write, size_t block, double min_s, double *io,
		     unsigned *passes)
{
	*io = 0;
	*passes = 0;
	do {
		if (write && *passes)
			for (uint64_t u = 0; u < f->units; u++)
				f->gen[u]++;
		if (!write && *passes && !f->direct)
			posix_fadvise(f->fd, 0, 0, POSIX_FADV_DONTNEED); /* untimed */
		int rc;
		*io += seq_pass(f, write, block, !write, &rc);
		if (rc < 0)
			return -1;
		(*passes)++;
	} while (*io < min_s);
	return 0;
}

/* Random 4 KiB operations for `seconds` of wall time and at least min_s of
 * I/O time; returns I/O seconds, *ops the count. */
static double rand_pass(struct fio *f, bool write, double seconds, double min_s, uint64_t *rng,
			uint64_t *ops, int *rc)
{
	double io = 0, deadline = wl_now() + seconds;
	*ops = 0;
	do {
		uint64_t u = wl_mix64(rng) % f->units;
		if (write)
			unit_content(f, u, ++f->gen[u], f->buf);
		double t0 = wl_now();
		if (io_full(f, write, f->buf, FIO_UNIT, u * FIO_UNIT) < 0) {
			*rc = -1;
			return 0;
		}
		io += wl_now() - t0;
		if (!write && verify_units(f, f->buf, u, 1) < 0) {
			*rc = -1;
			return 0;
		}
		(*ops)++;
	} while (wl_now() < deadline || io < min_s);
	return finish_pass(f, write, io, rc);
}

/* Creates and at once unlinks the test file, with O_DIRECT as --direct says:
 * "auto" falls back to buffered I/O when the file system refuses it and
 * records why, "on" fails instead, "off" never asks. */
static int fio_open(struct fio *f, const char *dir, const char *mode)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/.hvc-fileio.%ld", dir, (long)getpid());
	int flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC;
	f->direct = strcmp(mode, "off") != 0;
	f->direct_required = !strcmp(mode, "on");
	f->fd = open(path, flags | (f->direct ? O_DIRECT : 0), 0600);
	if (f->fd < 0 && errno == EINVAL && f->direct) {
		/* Some file systems (tmpfs before 6.6) create the file and only
		 * then refuse O_DIRECT: O_EXCL guarantees that file is ours. */
		unlink(path);
		if (f->direct_required) {
			snprintf(f->err, sizeof(f->err),
				 "open with O_DIRECT: %s (--direct on; the file system does "
				 "not support it)",
				 strerror(EINVAL));
			return -1;
		}
		snprintf(f->fallback, sizeof(f->fallback), "open with O_DIRECT: %s",
			 strerror(EINVAL));
		f->direct = false;
		f->fd = open(path, flags, 0600);
	}
	if (f->fd < 0) {
		snprintf(f->err, sizeof(f->err), "create `%s`: %s", path, strerror(errno));
		return -1;
	}
	unlink(path);
	return 0;
}

struct fio_figures {
	double seq_w, seq_r, rand_w, rand_r; /* I/O seconds of each phase */
	unsigned seq_w_passes, seq_r_passes;
	uint64_t wops, rops;
};

/* Damage one byte on disk behind the workload's back (--self-test-corrupt). */
static int fio_corrupt(struct fio *f)
{
	uint64_t u = f->units / 2;
	if (io_full(f, false, f->buf, FIO_UNIT, u * FIO_UNIT) < 0)
		return -1;
	f->buf[100] ^= 0xff;
	if (io_full(f, true, f->buf, FIO_UNIT, u * FIO_UNIT) < 0 || sync_and_drop(f) < 0)
		return -1;
	return 0;
}

static int fio_phases(struct fio *f, size_t block, double seconds, struct fio_figures *x)
{
	double min_s = f->o->min_seconds;
	if (seq_phase(f, true, block, min_s, &x->seq_w, &x->seq_w_passes) < 0)
		return -1;
	if (f->o->corrupt && fio_corrupt(f) < 0)
		return -1;
	if (seq_phase(f, false, block, min_s, &x->seq_r, &x->seq_r_passes) < 0)
		return -1;
	uint64_t rng = 0x72616e64; /* "rand" */
	int e;
	x->rand_w = rand_pass(f, true, seconds, min_s, &rng, &x->wops, &e);
	if (e < 0)
		return -1;
	x->rand_r = rand_pass(f, false, seconds, min_s, &rng, &x->rops, &e);
	if (e < 0)
		return -1;
	seq_pass(f, false, block, true, &e); /* final full verification, untimed */
	return e;
}

static double min4(double a, double b, double c, double d)
{
	double m = a < b ? a : b;
	m = m < c ? m : c;
	return m < d ? m : d;
}

static int fio_report(const struct fio *f, const char *dir, const struct wl_storage *st,
		      const char *mode, uint64_t size, size_t block, const struct fio_figures *x)
{
	struct wl_result r;
	wl_result_begin(&r, f->o->name);
	wl_result_str(&r, "dir", dir);
	wl_result_str(&r, "fs", st->fs);
	wl_result_bool(&r, "direct", f->direct);
	wl_result_int(&r, "file_bytes", (long long)size);
	wl_result_int(&r, "block_bytes", (long long)block);
	wl_result_int(&r, "rand_block_bytes", FIO_UNIT);
	wl_result_num_pos(&r, "seq_write_mb_per_s",
			  (double)size * x->seq_w_passes / x->seq_w / 1e6);
	wl_result_num_pos(&r, "seq_read_mb_per_s", (double)size * x->seq_r_passes / x->seq_r / 1e6);
	wl_result_int(&r, "rand_write_ops", (long long)x->wops);
	wl_result_num_pos(&r, "rand_write_iops", (double)x->wops / x->rand_w);
	wl_result_int(&r, "rand_read_ops", (long long)x->rops);
	wl_result_num_pos(&r, "rand_read_iops", (double)x->rops / x->rand_r);
	wl_result_num_pos(&r, "io_s", x->seq_w + x->seq_r + x->rand_w + x->rand_r);
	wl_result_int(&r, "verified_bytes",
		      (long long)((x->seq_r_passes + 1) * size + x->rops * FIO_UNIT));
	wl_result_str(&r, "direct_mode", mode);
	wl_result_str(&r, "direct_fallback", f->fallback);
	wl_result_storage(&r, st);
	wl_result_num_pos(&r, "seq_write_s", x->seq_w);
	wl_result_num_pos(&r, "seq_read_s", x->seq_r);
	wl_result_num_pos(&r, "rand_write_s", x->rand_w);
	wl_result_num_pos(&r, "rand_read_s", x->rand_r);
	wl_result_int(&r, "seq_write_passes", x->seq_w_passes);
	wl_result_int(&r, "seq_read_passes", x->seq_r_passes);
	/* Every phase is held to the floor: the shortest is what to check. */
	wl_result_measured(&r, f->o->min_seconds, min4(x->seq_w, x->seq_r, x->rand_w, x->rand_r),
			   x->seq_w_passes < x->seq_r_passes ? x->seq_w_passes : x->seq_r_passes);
	return wl_result_end(&r);
}

int wl_fileio(const struct wl_opts *o)
{
	const char *dir = o->dir ? o->dir : ".";
	const char *mode = o->direct ? o->direct : "auto";
	uint64_t size = o->size ? o->size : FIO_DEFAULT_SIZE;
	size_t block = o->block ? (size_t)o->block : FIO_DEFAULT_BLOCK;
	double seconds = o->seconds < 0 ? FIO_DEFAULT_SECONDS : o->seconds;
	if (block % FIO_UNIT || block > (64u << 20))
		return wl_fail(o->name,
			       "block size %zu must be a multiple of %u and at most 64 MiB", block,
			       FIO_UNIT);
	if (block > size)
		block = (size_t)(size / FIO_UNIT) * FIO_UNIT;
	size = size / block * block;
	if (size < FIO_UNIT)
		return wl_fail(o->name, "file size must be at least %u bytes", FIO_UNIT);
	struct wl_storage st;
	char msg[512];
	if (wl_storage_probe(dir, &st, msg, sizeof(msg)) < 0)
		return wl_fail(o->name, "%s", msg);

	struct fio f = {.o = o, .fd = -1, .units = size / FIO_UNIT};
	struct fio_figures x = {0};
	int rc = 1;
	f.gen = calloc(f.units, sizeof(*f.gen));
	f.base = malloc(FIO_BASE_UNITS * FIO_UNIT);
	f.want = malloc(FIO_UNIT);
	if (!f.gen || !f.base || !f.want || posix_memalign((void **)&f.buf, FIO_UNIT, block)) {
		rc = wl_fail(o->name, "allocate buffers: %s", strerror(ENOMEM));
		goto out;
	}
	uint64_t seed = 0x66696f; /* fixed: identical data on every backend */
	for (size_t i = 0; i < FIO_BASE_UNITS * FIO_UNIT; i += 8) {
		uint64_t v = wl_mix64(&seed);
		memcpy(f.base + i, &v, 8);
	}
	if (fio_open(&f, dir, mode) < 0 || fio_phases(&f, block, seconds, &x) < 0)
		rc = wl_fail(o->name, "`%s` (%s): %s", dir, st.fs, f.err);
	else
		rc = fio_report(&f, dir, &st, mode, size, block, &x);
out:
	if (f.fd >= 0)
		close(f.fd);
	free(f.gen);
	free(f.base);
	free(f.want);
	free(f.buf);
	return rc;
}
