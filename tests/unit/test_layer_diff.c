/* engine/image/layer_diff: a directory of overlay changes -> OCI layer. Checks the
 * entries (sorted, whiteouts, opaque marker, hardlink, symlink), that digest
 * and diff_id hash the gzip and the plain tar, and that the bytes are
 * reproducible. Whiteout/opaque cases need root (mknod, trusted.* xattrs). */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "hvc/build.h"
#include "check_main.h"

static char tmp[64];

static void setup(void)
{
	strcpy(tmp, "/tmp/hvc-ld.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	hvc_rm_rf(tmp, NULL);
}

static void put(const char *rel, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	ck_assert_int_eq(hvc_write_file(p, content, strlen(content), 0644, NULL), 0);
}

static void mk(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void sha256_hex(const void *buf, size_t n, char out[72])
{
	unsigned char md[32];
	unsigned int l;
	EVP_Digest(buf, n, md, &l, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* "path type [-> target]" lines of a layer, in archive order. */
static char *list_layer(const char *blob)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, blob, 4096), ARCHIVE_OK);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		mode_t t = archive_entry_filetype(e);
		fprintf(m, "%s %s", archive_entry_pathname(e),
			archive_entry_hardlink(e) ? "link" : t == AE_IFDIR ? "dir" : t == AE_IFLNK ? "sym" : t == AE_IFREG ? "file" : "other");
		if (archive_entry_hardlink(e))
			fprintf(m, " -> %s", archive_entry_hardlink(e));
		if (t == AE_IFLNK)
			fprintf(m, " -> %s", archive_entry_symlink(e));
		if (t == AE_IFREG && !archive_entry_hardlink(e))
			fprintf(m, " %lld", (long long)archive_entry_size(e));
		fprintf(m, "\n");
	}
	archive_read_free(a);
	fclose(m);
	return out;
}

START_TEST(layer_entries_and_digests)
{
	mk("etc");
	put("etc/hostname", "box\n");
	mk("b");
	put("b/z", "zz");
	put("b/a", "a");
	char p[256], q[256];
	snprintf(p, sizeof(p), "%s/b/a", tmp);
	snprintf(q, sizeof(q), "%s/b/hard", tmp);
	ck_assert_int_eq(link(p, q), 0);
	snprintf(p, sizeof(p), "%s/lnk", tmp);
	ck_assert_int_eq(symlink("/etc/hostname", p), 0);

	char blob[128];
	snprintf(blob, sizeof(blob), "%s.blob", tmp);
	struct hvc_layer_blob lb;
	struct hvc_error err = { 0 };
	ck_assert_msg(hvc_layer_from_dir(tmp, blob, &lb, &err) == 0, "%s", err.msg);
	char *got = list_layer(blob);
	ck_assert_str_eq(got, "b/ dir\nb/a file 1\nb/hard link -> b/a\nb/z file 2\netc/ dir\netc/hostname file 4\nlnk sym -> /etc/hostname\n");
	free(got);

	/* digest = sha256(gzip blob), diff_id = sha256(plain tar) */
	char *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(hvc_read_file(blob, &data, &len, NULL), 0);
	ck_assert_uint_eq(len, lb.size);
	char hex[72];
	sha256_hex(data, len, hex);
	ck_assert_str_eq(hex, lb.digest);
	free(data);
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	ck_assert_int_eq(archive_read_open_filename(a, blob, 4096), ARCHIVE_OK);
	struct archive_entry *e;
	ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
	char *tar = malloc(lb.tar_size + 1);
	la_ssize_t n, tot = 0;
	while ((n = archive_read_data(a, tar + tot, lb.tar_size + 1 - tot)) > 0)
		tot += n;
	archive_read_free(a);
	ck_assert_uint_eq((uint64_t)tot, lb.tar_size);
	sha256_hex(tar, tot, hex);
	ck_assert_str_eq(hex, lb.diff_id);
	free(tar);

	/* same tree, same bytes */
	struct hvc_layer_blob again;
	ck_assert_int_eq(hvc_layer_from_dir(tmp, blob, &again, &err), 0);
	ck_assert_str_eq(again.digest, lb.digest);
	ck_assert_str_eq(again.diff_id, lb.diff_id);
	unlink(blob);
}
END_TEST

START_TEST(overlay_whiteouts_become_oci)
{
	char p[256];
	mk("etc");
	snprintf(p, sizeof(p), "%s/etc/gone", tmp);
	HVC_SKIP_IF(mknod(p, S_IFCHR | 0, makedev(0, 0)) < 0, "mknod of a whiteout device: %s (needs root)",
		    strerror(errno));
	mk("opq");
	put("opq/new", "n");
	snprintf(p, sizeof(p), "%s/opq", tmp);
	bool have_xattr = setxattr(p, "trusted.overlay.opaque", "y", 1, 0) == 0;
	char blob[128];
	snprintf(blob, sizeof(blob), "%s.blob", tmp);
	struct hvc_layer_blob lb;
	struct hvc_error err = { 0 };
	ck_assert_msg(hvc_layer_from_dir(tmp, blob, &lb, &err) == 0, "%s", err.msg);
	char *got = list_layer(blob);
	if (have_xattr)
		ck_assert_str_eq(got, "etc/ dir\netc/.wh.gone file 0\nopq/ dir\nopq/.wh..wh..opq file 0\nopq/new file 1\n");
	else
		ck_assert_str_eq(got, "etc/ dir\netc/.wh.gone file 0\nopq/ dir\nopq/new file 1\n");
	free(got);
	unlink(blob);
}
END_TEST

START_TEST(empty_dir_and_errors)
{
	char blob[128];
	snprintf(blob, sizeof(blob), "%s.blob", tmp);
	struct hvc_layer_blob lb;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_layer_from_dir(tmp, blob, &lb, &err), 0);
	ck_assert_uint_eq(lb.tar_size, 1024); /* just the end-of-archive blocks */
	unlink(blob);
	ck_assert_int_lt(hvc_layer_from_dir("/nonexistent-hvc", blob, &lb, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-hvc"));
	ck_assert(!hvc_path_exists(blob)); /* no half-written blob left */
	ck_assert_int_lt(hvc_layer_from_dir(tmp, "/nonexistent-hvc/x", &lb, &err), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("layer_diff");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, layer_entries_and_digests);
	tcase_add_test(tc, overlay_whiteouts_become_oci);
	tcase_add_test(tc, empty_dir_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
