/* tests/fuzz: helpers every target links (fuzz.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <unistd.h>
#include "fuzz.h"

static char scratch[256];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(p);
	return 0;
}

void fuzz_empty_dir(const char *dir)
{
	nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static void scratch_remove(void)
{
	if (scratch[0]) {
		fuzz_empty_dir(scratch);
		rmdir(scratch);
	}
}

const char *fuzz_scratch(const char *tag)
{
	if (scratch[0])
		return scratch;
	snprintf(scratch, sizeof(scratch), "/dev/shm/hvc-fuzz-%s-%d", tag, (int)getpid());
	if (mkdir(scratch, 0700) < 0 && errno != EEXIST)
		fuzz_fail("mkdir %s: %s", scratch, strerror(errno));
	atexit(scratch_remove);
	return scratch;
}

void fuzz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fail("create %s: %s", path, strerror(errno));
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			fuzz_fail("write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "FUZZ PROPERTY VIOLATED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

size_t fuzz_split(const uint8_t *data, size_t size, const char *sep, char **parts,
		  size_t *lens, size_t max)
{
	size_t n = 0, sl = strlen(sep);
	const uint8_t *p = data, *end = data + size;
	while (n < max) {
		const uint8_t *q = n + 1 < max ? memmem(p, (size_t)(end - p), sep, sl) : NULL;
		size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
		parts[n] = malloc(len + 1);
		memcpy(parts[n], p, len);
		parts[n][len] = '\0';
		lens[n++] = len;
		if (!q)
			break;
		p = q + sl;
	}
	return n;
}

void fuzz_note(const char *what, const struct hvc_error *err)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("HVC_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "%s: %s\n", what, err->msg[0] ? err->msg : "ok");
}
