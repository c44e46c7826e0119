/* Fuzz target: the OCI layout reader behind `hvc image load`
 * (engine/image/image_archive.c): an archive (tar or tar.gz of an OCI
 * layout) staged, every blob verified, index/manifests/configs checked, then
 * installed. Beyond "no sanitizer report" it checks the function's promise:
 * a refused archive leaves the store as it was (index.json unchanged, no
 * blob added, nothing left in the store's tmp/). The store is recreated
 * after an accepted archive so inputs stay independent. */
#include <dirent.h>
#include <unistd.h>
#include "fuzz.h"
#include "hvc/image.h"

static struct hvc_image_store *store;
static char root[512], input[512], index_path[512], blobs[512], tmpdir[512];
static char *index_before;

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t n;
	struct hvc_error err = { 0 };
	if (hvc_read_file(path, &buf, &n, &err) < 0)
		fuzz_fail("read %s: %s", path, err.msg);
	return buf;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		fuzz_fail("store directory %s is gone", dir);
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void open_store(void)
{
	struct hvc_error err = { 0 };
	if (hvc_image_store_open(root, &store, &err) < 0)
		fuzz_fail("store: %s", err.msg);
	free(index_before);
	index_before = slurp(index_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hvc_log_set_level(HVC_LOG_ERROR);
	const char *scratch = fuzz_scratch("oci-load");
	snprintf(root, sizeof(root), "%s/root", scratch);
	snprintf(input, sizeof(input), "%s/in.tar", scratch);
	snprintf(index_path, sizeof(index_path), "%s/images/index.json", root);
	snprintf(blobs, sizeof(blobs), "%s/images/blobs/sha256", root);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", root);
	open_store();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write(input, data, size);
	struct hvc_error err = { 0 };
	char **loaded = NULL;
	int rc = hvc_image_load(store, input, &loaded, &err);
	fuzz_note("load", &err);
	if (rc == 0) {
		hvc_strv_free(loaded);
		hvc_image_store_close(store);
		fuzz_empty_dir(root);
		open_store();
		return 0;
	}
	if (!err.msg[0])
		fuzz_fail("load failed without a message");
	char *now = slurp(index_path);
	if (strcmp(now, index_before))
		fuzz_fail("a refused archive changed index.json (%s)", err.msg);
	free(now);
	if (count_entries(blobs) != 0)
		fuzz_fail("a refused archive left a blob in the store (%s)", err.msg);
	if (count_entries(tmpdir) != 0)
		fuzz_fail("a refused archive left a temporary file (%s)", err.msg);
	return 0;
}
