/* hvc-workload fileio: file I/O on a directory the caller chooses (the
 * instance's data volume or disk), the block-I/O test of Felter et al. (who
 * used fio). Four phases on one file of --size bytes:
 *   seq write  (--block sized writes, then fdatasync; MB/s)
 *   seq read   (--block sized reads; MB/s)
 *   rand write (4 KiB writes at random aligned offsets for --seconds, then
 *               fdatasync; IOPS)
 *   rand read  (4 KiB reads at random offsets for --seconds; IOPS)
 * Page cache: O_DIRECT where the file system supports it ("direct": true);
 * otherwise buffered I/O with the file's cached pages dropped
 * (POSIX_FADV_DONTNEED after fdatasync) before each read phase, which works
 * on disk file systems but not on tmpfs ("fs" names the file system).
 * Every 4 KiB unit carries its index and a write generation; every read is
 * compared with what was last written there, and the whole file is read
 * back once more at the end (untimed). The file is unlinked as soon as it
 * is created, so nothing is left behind even if the process is killed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
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
		if (n < 0 && errno == EINVAL && f->direct) {
			int fl = fcntl(f->fd, F_GETFL);
			if (fl >= 0 && fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) == 0) {
				f->direct = false;
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

static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0xEF53:
		return "ext4";
	case 0x58465342:
		return "xfs";
	case 0x01021994:
		return "tmpfs";
	case 0x794c7630:
		return "overlayfs";
	case 0x9123683E:
		return "btrfs";
	case 0x6969:
		return "nfs";
	case 0x01021997:
		return "9p";
	case 0x65735546:
		return "fuse";
	case 0x2fc12fc1:
		return "zfs";
	case 0x858458f6:
		return "ramfs";
	default:
		return NULL;
	}
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

/* Random 4 KiB operations for `seconds`; returns I/O seconds, *ops the count. */
static double rand_pass(struct fio *f, bool write, double seconds, uint64_t *rng, uint64_t *ops,
			int *rc)
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
	} while (wl_now() < deadline);
	return finish_pass(f, write, io, rc);
}

int wl_fileio(const struct wl_opts *o)
{
	const char *dir = o->dir ? o->dir : ".";
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

	struct statfs sfs;
	if (statfs(dir, &sfs) < 0)
		return wl_fail(o->name, "directory `%s`: %s", dir, strerror(errno));
	char fsbuf[32];
	const char *fs = fs_name((long)sfs.f_type);
	if (!fs) {
		snprintf(fsbuf, sizeof(fsbuf), "0x%lx", (unsigned long)sfs.f_type);
		fs = fsbuf;
	}

	struct fio f = {.o = o, .fd = -1, .units = size / FIO_UNIT};
	char path[4096];
	snprintf(path, sizeof(path), "%s/.hvc-fileio.%ld", dir, (long)getpid());
	int rc = 1;
	f.gen = calloc(f.units, sizeof(*f.gen));
	f.base = malloc(FIO_BASE_UNITS * FIO_UNIT);
	f.want = malloc(FIO_UNIT);
	if (!f.gen || !f.base || !f.want || posix_memalign((void **)&f.buf, FIO_UNIT, block)) {
		rc = wl_fail(o->name, "allocate buffers: %s", strerror(ENOMEM));
		goto out;
	}
	uint64_t st = 0x66696f; /* fixed: identical data on every backend */
	for (size_t i = 0; i < FIO_BASE_UNITS * FIO_UNIT; i += 8) {
		uint64_t v = wl_mix64(&st);
		memcpy(f.base + i, &v, 8);
	}
	f.direct = true;
	f.fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0600);
	if (f.fd < 0 && errno == EINVAL) {
		/* Some file systems (tmpfs before 6.6) create the file and only
		 * then refuse O_DIRECT: O_EXCL guarantees that file is ours. */
		unlink(path);
		f.direct = false;
		f.fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (f.fd < 0) {
		rc = wl_fail(o->name, "create `%s`: %s", path, strerror(errno));
		goto out;
	}
	unlink(path);

	int e;
	double seq_w = seq_pass(&f, true, block, false, &e);
	if (e < 0)
		goto fail;
	if (o->corrupt) {
		/* Damage one byte on disk behind the workload's back. */
		uint64_t u = f.units / 2;
		if (io_full(&f, false, f.buf, FIO_UNIT, u * FIO_UNIT) < 0)
			goto fail;
		f.buf[100] ^= 0xff;
		if (io_full(&f, true, f.buf, FIO_UNIT, u * FIO_UNIT) < 0 || sync_and_drop(&f) < 0)
			goto fail;
	}
	double seq_r = seq_pass(&f, false, block, true, &e);
	if (e < 0)
		goto fail;
	uint64_t rng = 0x72616e64, wops, rops; /* "rand" */
	double rand_w = rand_pass(&f, true, seconds, &rng, &wops, &e);
	if (e < 0)
		goto fail;
	double rand_r = rand_pass(&f, false, seconds, &rng, &rops, &e);
	if (e < 0)
		goto fail;
	seq_pass(&f, false, block, true, &e); /* final full verification, untimed */
	if (e < 0)
		goto fail;

	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_str(&r, "dir", dir);
	wl_result_str(&r, "fs", fs);
	wl_result_bool(&r, "direct", f.direct);
	wl_result_int(&r, "file_bytes", (long long)size);
	wl_result_int(&r, "block_bytes", (long long)block);
	wl_result_int(&r, "rand_block_bytes", FIO_UNIT);
	wl_result_num_pos(&r, "seq_write_mb_per_s", (double)size / seq_w / 1e6);
	wl_result_num_pos(&r, "seq_read_mb_per_s", (double)size / seq_r / 1e6);
	wl_result_int(&r, "rand_write_ops", (long long)wops);
	wl_result_num_pos(&r, "rand_write_iops", (double)wops / rand_w);
	wl_result_int(&r, "rand_read_ops", (long long)rops);
	wl_result_num_pos(&r, "rand_read_iops", (double)rops / rand_r);
	wl_result_num_pos(&r, "io_s", seq_w + seq_r + rand_w + rand_r);
	wl_result_int(&r, "verified_bytes", (long long)(2 * size + rops * FIO_UNIT));
	rc = wl_result_end(&r);
	goto out;
fail:
	rc = wl_fail(o->name, "`%s` (%s): %s", dir, fs, f.err);
out:
	if (f.fd >= 0)
		close(f.fd);
	free(f.gen);
	free(f.base);
	free(f.want);
	free(f.buf);
	return rc;
}
