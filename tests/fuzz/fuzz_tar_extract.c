/* Fuzz target: layer extraction (engine/image/image_extract.c) into a
 * scratch directory, both as an overlay layer (whiteouts become overlayfs
 * ones) and flattened (whiteouts delete). The property checked beyond "no
 * sanitizer report": nothing is written outside the destination. The
 * destination's parent holds only what the harness put there (the input
 * file, a canary file with fixed content, an empty canary directory), and
 * so does the absolute directory /dev/shm/hvc-fuzz-outside that the seed
 * corpus's escaping symlinks and hard links aim at; any other entry, or a
 * changed canary, aborts. The first input byte picks the mode. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "hvc/image.h"

#define OUTSIDE "/dev/shm/hvc-fuzz-outside"
#define CANARY "canary-content\n"

static char dest[512], input[512], canary[512], canary_dir[512], parent[512];

static void make_canaries(void)
{
	mkdir(OUTSIDE, 0755);
	fuzz_write(OUTSIDE "/file", CANARY, strlen(CANARY));
	fuzz_write(canary, CANARY, strlen(CANARY));
	mkdir(canary_dir, 0755);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hvc_log_set_level(HVC_LOG_ERROR);
	snprintf(parent, sizeof(parent), "%s", fuzz_scratch("tar"));
	snprintf(dest, sizeof(dest), "%s/dest", parent);
	snprintf(input, sizeof(input), "%s/layer.tar", parent);
	snprintf(canary, sizeof(canary), "%s/canary", parent);
	snprintf(canary_dir, sizeof(canary_dir), "%s/canary.d", parent);
	make_canaries();
	/* relative paths a bug might resolve against the cwd land in parent */
	if (chdir(parent) < 0)
		fuzz_fail("chdir %s", parent);
	return 0;
}

static void check_file(const char *path)
{
	char buf[64] = { 0 };
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		fuzz_fail("escape: %s was replaced or removed", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(CANARY) || strcmp(buf, CANARY))
		fuzz_fail("escape: %s was written to", path);
}

/* dir holds exactly the names in allowed (NULL-terminated). */
static void check_dir(const char *dir, const char *const *allowed)
{
	DIR *d = opendir(dir);
	if (!d)
		fuzz_fail("escape: %s is gone or not a directory", dir);
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = !strcmp(e->d_name, allowed[i]);
		if (!ok)
			fuzz_fail("escape: %s/%s was created outside the destination", dir, e->d_name);
	}
	closedir(d);
}

static void check_outside(void)
{
	check_dir(parent, (const char *[]){ "dest", "layer.tar", "canary", "canary.d", NULL });
	check_dir(canary_dir, (const char *[]){ NULL });
	check_dir(OUTSIDE, (const char *[]){ "file", NULL });
	check_file(canary);
	check_file(OUTSIDE "/file");
}

/* Mutations of a header field would almost always break the header's
 * checksum and stop at libarchive's first check: every 512-byte block that
 * carries the ustar magic gets its checksum recomputed, so the fields reach
 * the extraction code. */
static void fix_checksums(uint8_t *t, size_t n)
{
	for (size_t off = 0; off + 512 <= n; off += 512) {
		uint8_t *h = t + off;
		if (memcmp(h + 257, "ustar", 5) != 0)
			continue;
		memset(h + 148, ' ', 8);
		unsigned sum = 0;
		for (size_t i = 0; i < 512; i++)
			sum += h[i];
		char ck[9];
		snprintf(ck, sizeof(ck), "%06o", sum & 0777777);
		memcpy(h + 148, ck, 7); /* six digits, NUL, then the space already there */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool overlay = data[0] & 1;
	uint8_t *tar = malloc(size - 1 + 1);
	memcpy(tar, data + 1, size - 1);
	fix_checksums(tar, size - 1);
	fuzz_write(input, tar, size - 1);
	free(tar);
	mkdir(dest, 0755);
	struct hvc_error err = { 0 };
	char diff_id[HVC_DIGEST_LEN], blob[HVC_DIGEST_LEN];
	int rc = hvc_image_extract(input, dest, overlay, diff_id, blob, &err);
	fuzz_note("extract", &err);
	if (rc < 0 && !err.msg[0])
		fuzz_fail("extract failed without a message");
	check_outside();
	fuzz_empty_dir(dest);
	return 0;
}
