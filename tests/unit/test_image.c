/* engine/image/: digests, names, member paths, manifest/config round trip,
 * bad blobs, and extraction safety with hostile tarballs built here with
 * libarchive (`..`, absolute paths, symlink escapes, hard links out, device
 * nodes) plus whiteout conversion both ways. Overlay-whiteout cases need
 * root (mknod, trusted.* xattrs) and are skipped otherwise. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "hvc/image.h"
#include "check_main.h"

static char tmp[64];

static void setup(void)
{
	strcpy(tmp, "/tmp/hvc-img.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	hvc_rm_rf(tmp, NULL);
}

static char *at(const char *rel)
{
	return hvc_path_join(tmp, rel);
}

/* ---------- hostile tar construction ----------------------------------- */

enum kind { REG, DIR_, SYM, HARD, CHR };
struct member {
	enum kind k;
	const char *name;
	const char *arg; /* data (REG), target (SYM/HARD) */
};

static void make_tar(const char *path, const struct member *m, size_t n, bool gzip)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		switch (m[i].k) {
		case REG:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(m[i].arg ? m[i].arg : ""));
			break;
		case DIR_:
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case SYM:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, m[i].arg);
			break;
		case HARD:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, m[i].arg);
			archive_entry_set_size(e, 0);
			break;
		case CHR:
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_perm(e, 0600);
			archive_entry_set_rdev(e, makedev(8, 0));
			break;
		}
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].k == REG && m[i].arg && *m[i].arg)
			archive_write_data(a, m[i].arg, strlen(m[i].arg));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* Files under tmp/outside other than the sentinel: proof something escaped. */
static int outside_entries(void)
{
	_cleanup_free_ char *o = at("outside");
	DIR *d = opendir(o);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "secret"))
			n++;
	closedir(d);
	return n;
}

/* Extracts a hostile tar into tmp/dest; asserts refusal naming the member and
 * that tmp/outside holds only its untouched sentinel. */
static void expect_refused(const struct member *m, size_t n, const char *member, const char *why)
{
	_cleanup_free_ char *dest = at("dest");
	_cleanup_free_ char *outside = at("outside");
	_cleanup_free_ char *secret = at("outside/secret");
	_cleanup_free_ char *tarp = at("evil.tar");
	hvc_rm_rf(dest, NULL);
	ck_assert_int_eq(hvc_mkdir_p(dest, 0755, NULL), 0);
	ck_assert_int_eq(hvc_mkdir_p(outside, 0755, NULL), 0);
	ck_assert_int_eq(hvc_write_file(secret, "keep", 4, 0644, NULL), 0);
	make_tar(tarp, m, n, true);
	for (int overlay = 0; overlay < 2; overlay++) {
		struct hvc_error err = { 0 };
		int rc = hvc_image_extract(tarp, dest, overlay, NULL, NULL, &err);
		ck_assert_msg(rc < 0, "extraction of a hostile tar succeeded (expected refusal of %s)", member);
		_cleanup_free_ char *quoted = hvc_strdup_printf("member `%s", member);
		ck_assert_msg(strstr(err.msg, quoted), "error does not name %s: %s", quoted, err.msg);
		if (why)
			ck_assert_msg(strstr(err.msg, why), "error lacks \"%s\": %s", why, err.msg);
		ck_assert_int_eq(outside_entries(), 0);
		_cleanup_free_ char *data = NULL;
		ck_assert_int_eq(hvc_read_file(secret, &data, NULL, NULL), 0);
		ck_assert_str_eq(data, "keep");
	}
}

/* ---------- tests -------------------------------------------------------- */

START_TEST(digests)
{
	char d[HVC_DIGEST_LEN];
	hvc_digest_buf("abc", 3, d);
	ck_assert_str_eq(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert(hvc_digest_valid(d));
	ck_assert(!hvc_digest_valid("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	ck_assert(!hvc_digest_valid("sha256:ba78"));
	ck_assert(!hvc_digest_valid("md5:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	ck_assert(!hvc_digest_valid(NULL));
	_cleanup_free_ char *f = at("f");
	ck_assert_int_eq(hvc_write_file(f, "abc", 3, 0644, NULL), 0);
	char d2[HVC_DIGEST_LEN];
	int64_t size;
	ck_assert_int_eq(hvc_digest_file(f, d2, &size, NULL), 0);
	ck_assert_str_eq(d, d2);
	ck_assert_int_eq(size, 3);
}
END_TEST

START_TEST(names)
{
	struct hvc_error err = { 0 };
	char *n = NULL;
	ck_assert_int_eq(hvc_image_name_normalize("busybox", &n, &err), 0);
	ck_assert_str_eq(n, "busybox:latest");
	free(n);
	ck_assert_int_eq(hvc_image_name_normalize("localhost:5000/a/b", &n, &err), 0);
	ck_assert_str_eq(n, "localhost:5000/a/b:latest");
	free(n);
	ck_assert_int_eq(hvc_image_name_normalize("app:V1.2_x", &n, &err), 0);
	ck_assert_str_eq(n, "app:V1.2_x");
	free(n);
	ck_assert_int_lt(hvc_image_name_normalize("Busybox", &n, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"Busybox\""));
	ck_assert_int_lt(hvc_image_name_normalize("a:", &n, &err), 0);
	ck_assert_int_lt(hvc_image_name_normalize("", &n, &err), 0);
	ck_assert_int_lt(hvc_image_name_normalize("sha256:abcd", &n, &err), 0);
	/* would normalise to "sha256:latest", which does not normalise again
	 * (fuzz_oci_load: an archive naming an image "sha256" was refused only
	 * after its blobs were installed) */
	ck_assert_int_lt(hvc_image_name_normalize("sha256", &n, &err), 0);
	ck_assert_int_lt(hvc_image_name_normalize("a b", &n, &err), 0);
}
END_TEST

/* `hvc images` splits NAME:TAG at the last colon after the last slash (a
 * registry port is not a tag). */
START_TEST(name_split)
{
	char repo[64], tag[32];
	hvc_image_name_split("busybox:latest", repo, sizeof(repo), tag, sizeof(tag));
	ck_assert_str_eq(repo, "busybox");
	ck_assert_str_eq(tag, "latest");
	hvc_image_name_split("localhost:5000/a/b:v1", repo, sizeof(repo), tag, sizeof(tag));
	ck_assert_str_eq(repo, "localhost:5000/a/b");
	ck_assert_str_eq(tag, "v1");
	hvc_image_name_split("localhost:5000/a/b", repo, sizeof(repo), tag, sizeof(tag));
	ck_assert_str_eq(repo, "localhost:5000/a/b");
	ck_assert_str_eq(tag, "<none>");
	hvc_image_name_split("<none>", repo, sizeof(repo), tag, sizeof(tag));
	ck_assert_str_eq(repo, "<none>");
	ck_assert_str_eq(tag, "<none>");
}
END_TEST

/* SIZE in `hvc images` and `image inspect`: manifest + config + compressed
 * layers; unknown sizes (-1) count as 0. */
START_TEST(image_size_and_ls_rows)
{
	struct hvc_image_layer layers[3] = { { .size = 1000 }, { .size = -1 }, { .size = 24 } };
	char *ids[] = { "sha256:a", "sha256:b", "sha256:c", NULL };
	struct hvc_image img = { .name = "app:v1", .manifest_digest = "sha256:0123456789abcdef",
				 .created = "2026-01-02T03:04:05Z", .n_layers = 3, .layers = layers,
				 .diff_ids = ids, .manifest_size = 300, .config_size = -1 };
	ck_assert_int_eq(hvc_image_size(&img), 1324);
	img.config_size = 76;
	ck_assert_int_eq(hvc_image_size(&img), 1400);
	struct hvc_image *v[] = { &img, NULL };
	_cleanup_json_ json_object *rows = hvc_image_ls_json(v);
	ck_assert_int_eq(json_object_array_length(rows), 1);
	json_object *r = json_object_array_get_idx(rows, 0);
	ck_assert_str_eq(hvc_json_get_string(r, "name"), "app:v1");
	ck_assert_int_eq(hvc_json_get_int(r, "size", 0), 1400);
	ck_assert_int_eq(hvc_json_get_int(r, "layers", 0), 3);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hvc_image_ls_print(f, v, true);
	fclose(f);
	ck_assert_str_eq(buf, "app:v1\n");
	free(buf);
	f = open_memstream(&buf, &len);
	hvc_image_ls_print(f, v, false);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "app "));
	ck_assert_ptr_nonnull(strstr(buf, " v1 "));
	ck_assert_ptr_nonnull(strstr(buf, "0123456789ab "));
	ck_assert_ptr_nonnull(strstr(buf, "2026-01-02 03:04:05"));
	free(buf);
}
END_TEST

/* A store with one two-layer image; returns its manifest digest. */
static struct hvc_image_store *two_layer_store(char digest[HVC_DIGEST_LEN])
{
	struct hvc_error err = { 0 };
	struct hvc_image_store *s = NULL;
	_cleanup_free_ char *root = at("root");
	ck_assert_int_eq(hvc_image_store_open(root, &s, &err), 0);
	_cleanup_free_ char *d1 = at("l1");
	_cleanup_free_ char *d2 = at("l2");
	_cleanup_free_ char *f1 = at("l1/etc/motd");
	_cleanup_free_ char *f2 = at("l2/etc/motd");
	_cleanup_free_ char *e1 = at("l1/etc");
	_cleanup_free_ char *e2 = at("l2/etc");
	hvc_mkdir_p(e1, 0755, NULL);
	hvc_mkdir_p(e2, 0755, NULL);
	hvc_write_file(f1, "one\n", 4, 0644, NULL);
	hvc_write_file(f2, "two\n", 4, 0644, NULL);
	struct hvc_image_layer l[2];
	ck_assert_int_eq(hvc_image_layer_from_dir(s, d1, &l[0], &err), 0);
	ck_assert_int_eq(hvc_image_layer_from_dir(s, d2, &l[1], &err), 0);
	ck_assert_str_ne(l[0].diff_id, l[0].digest);
	json_object *cfg = hvc_image_config_new("2026-01-02T03:04:05Z");
	hvc_image_config_add_history(cfg, &l[0], "step one", NULL, NULL);
	hvc_image_config_add_history(cfg, NULL, "ENV A=1", NULL, NULL);
	hvc_image_config_add_history(cfg, &l[1], "step two", "a comment", NULL);
	json_object *c = json_object_object_get(cfg, "config");
	json_object *cmd = json_object_new_array();
	json_object_array_add(cmd, json_object_new_string("/bin/echo"));
	json_object_array_add(cmd, json_object_new_string("hi"));
	json_object_object_add(c, "Cmd", cmd);
	json_object_object_add(c, "WorkingDir", json_object_new_string("/srv"));
	json_object *labels = json_object_new_object();
	json_object_object_add(labels, "k", json_object_new_string("v"));
	json_object_object_add(c, "Labels", labels);
	ck_assert_int_eq(hvc_image_commit(s, cfg, l, 2, "t/app:v1", digest, &err), 0);
	json_object_put(cfg);
	return s;
}

/* index.json entries of digest: how many, and whether one carries a name. */
static int index_entries(const char *digest, bool *named)
{
	_cleanup_free_ char *path = at("root/images/index.json");
	_cleanup_free_ char *buf = NULL;
	size_t len;
	ck_assert_int_eq(hvc_read_file(path, &buf, &len, NULL), 0);
	_cleanup_json_ json_object *idx = json_tokener_parse(buf);
	json_object *ms = json_object_object_get(idx, "manifests");
	int n = 0;
	*named = false;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		if (strcmp(json_object_get_string(json_object_object_get(d, "digest")), digest))
			continue;
		n++;
		*named |= json_object_object_get(d, "annotations") != NULL;
	}
	return n;
}

/* A name that moves leaves its old image as one untagged entry; an untagged
 * add of a named image changes nothing; tagging an untagged entry names it. */
START_TEST(index_name_moves)
{
	char d1[HVC_DIGEST_LEN], d2[HVC_DIGEST_LEN];
	struct hvc_error err = { 0 };
	_cleanup_image_store_ struct hvc_image_store *s = two_layer_store(d1);
	hvc_digest_buf("another manifest", 16, d2);
	bool named;
	ck_assert_int_eq(hvc_image_index_add(s, d1, 100, NULL, &err), 0);
	ck_assert_int_eq(index_entries(d1, &named), 1);
	ck_assert(named);
	ck_assert_int_eq(hvc_image_index_add(s, d2, 16, "t/app:v1", &err), 0);
	ck_assert_int_eq(index_entries(d1, &named), 1);
	ck_assert(!named);
	ck_assert_int_eq(index_entries(d2, &named), 1);
	ck_assert(named);
	ck_assert_int_eq(hvc_image_index_add(s, d1, 100, "t/app:v1", &err), 0);
	ck_assert_int_eq(index_entries(d1, &named), 1);
	ck_assert(named);
	ck_assert_int_eq(index_entries(d2, &named), 1);
	ck_assert(!named);
	ck_assert_int_eq(hvc_image_index_add(s, d1, 100, "t/app:v2", &err), 0);
	ck_assert_int_eq(index_entries(d1, &named), 2);
}
END_TEST

START_TEST(manifest_config_round_trip)
{
	char digest[HVC_DIGEST_LEN];
	struct hvc_error err = { 0 };
	struct hvc_image_store *s = two_layer_store(digest);
	struct hvc_image *img = NULL;
	ck_assert_int_eq(hvc_image_resolve(s, "t/app:v1", &img, &err), 0);
	ck_assert_str_eq(img->name, "t/app:v1");
	ck_assert_str_eq(img->manifest_digest, digest);
	ck_assert_uint_eq(img->n_layers, 2);
	ck_assert_str_eq(img->created, "2026-01-02T03:04:05Z");
	ck_assert_str_eq(img->os, "linux");
	ck_assert_ptr_nonnull(img->architecture);
	ck_assert_str_eq(img->config.cmd[0], "/bin/echo");
	ck_assert_str_eq(img->config.cmd[1], "hi");
	ck_assert_ptr_null(img->config.cmd[2]);
	ck_assert_str_eq(img->config.workdir, "/srv");
	ck_assert_str_eq(img->config.labels[0], "k=v");
	ck_assert(hvc_str_has_prefix(img->config.env[0], "PATH="));
	ck_assert(hvc_digest_valid(img->diff_ids[1]));
	ck_assert_str_eq(img->layers[0].media_type, HVC_MT_LAYER_TGZ);
	/* by digest and by unique prefix */
	struct hvc_image *by = NULL;
	ck_assert_int_eq(hvc_image_resolve(s, digest, &by, &err), 0);
	ck_assert_str_eq(by->manifest_digest, digest);
	hvc_image_free(by);
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "%.10s", digest + 7);
	ck_assert_int_eq(hvc_image_resolve(s, prefix, &by, &err), 0);
	hvc_image_free(by);
	/* the config document itself */
	json_object *cfg = NULL;
	ck_assert_int_eq(hvc_image_config_read(s, img, &cfg, &err), 0);
	json_object *hist = json_object_object_get(cfg, "history");
	ck_assert_uint_eq(json_object_array_length(hist), 3);
	ck_assert(json_object_get_boolean(
		json_object_object_get(json_object_array_get_idx(hist, 1), "empty_layer")));
	json_object_put(cfg);
	/* layers stack: lowerdirs top first; flatten shows the top file */
	char **dirs = NULL;
	ck_assert_int_eq(hvc_image_lowerdirs(s, img, &dirs, &err), 0);
	ck_assert(strstr(dirs[0], img->diff_ids[1] + 7) != NULL);
	ck_assert(strstr(dirs[1], img->diff_ids[0] + 7) != NULL);
	ck_assert_ptr_null(dirs[2]);
	hvc_strv_free(dirs);
	_cleanup_free_ char *flat = at("flat");
	ck_assert_int_eq(hvc_image_flatten(s, img, flat, &err), 0);
	_cleanup_free_ char *motd = at("flat/etc/motd");
	_cleanup_free_ char *data = NULL;
	ck_assert_int_eq(hvc_read_file(motd, &data, NULL, NULL), 0);
	ck_assert_str_eq(data, "two\n");
	/* unknown names */
	struct hvc_image *none = NULL;
	ck_assert_int_eq(hvc_image_resolve(s, "busybx", &none, &err), -ENOENT);
	ck_assert_str_eq(err.msg, "image \"busybx\" not found (try: hvc images)");
	hvc_image_free(img);
	hvc_image_store_close(s);
}
END_TEST

START_TEST(bad_blobs_are_named)
{
	char digest[HVC_DIGEST_LEN];
	struct hvc_error err = { 0 };
	struct hvc_image_store *s = two_layer_store(digest);
	/* malformed JSON manifest: written as a valid blob, parse fails */
	char bad[HVC_DIGEST_LEN];
	ck_assert_int_eq(hvc_image_blob_write_buf(s, "{\"schemaVersion\":2,", 19, bad, &err), 0);
	ck_assert_int_eq(hvc_image_index_add(s, bad, 19, "broken:json", &err), 0);
	struct hvc_image *img = NULL;
	ck_assert_int_lt(hvc_image_resolve(s, "broken:json", &img, &err), 0);
	ck_assert_msg(strstr(err.msg, bad) && strstr(err.msg, "malformed JSON"), "%s", err.msg);
	/* unknown layer media type */
	const char *m = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
			"\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\",\"size\":3},"
			"\"layers\":[{\"mediaType\":\"application/x-weird\",\"digest\":"
			"\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\",\"size\":3}]}";
	char md[HVC_DIGEST_LEN];
	ck_assert_int_eq(hvc_image_blob_write_buf(s, m, strlen(m), md, &err), 0);
	ck_assert_int_eq(hvc_image_index_add(s, md, (int64_t)strlen(m), "weird:mt", &err), 0);
	ck_assert_int_lt(hvc_image_resolve(s, "weird:mt", &img, &err), 0);
	ck_assert_msg(strstr(err.msg, "unknown media type \"application/x-weird\""), "%s", err.msg);
	/* corrupt and truncate a stored blob: reads name it */
	ck_assert_int_eq(hvc_image_resolve(s, "t/app:v1", &img, &err), 0);
	_cleanup_free_ char *cpath = hvc_image_blob_path(s, img->config_digest);
	_cleanup_free_ char *cdata = NULL;
	size_t clen;
	ck_assert_int_eq(hvc_read_file(cpath, &cdata, &clen, NULL), 0);
	cdata[1] = cdata[1] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(hvc_write_file(cpath, cdata, clen, 0644, NULL), 0);
	char *buf = NULL;
	ck_assert_int_lt(hvc_image_blob_read(s, img->config_digest, img->config_size, &buf, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, img->config_digest) && strstr(err.msg, "digest mismatch"), "%s", err.msg);
	{
		/* a trusting handle (the container start path) reads the same
		 * bytes without re-hashing them, but still checks the size */
		struct hvc_image_store *ts = NULL;
		_cleanup_free_ char *root = at("root");
		ck_assert_int_eq(hvc_image_store_open(root, &ts, &err), 0);
		hvc_image_store_trust_reads(ts);
		size_t tlen = 0;
		ck_assert_int_eq(hvc_image_blob_read(ts, img->config_digest, img->config_size, &buf, &tlen, &err), 0);
		ck_assert_int_eq(tlen, clen);
		ck_assert_int_eq(memcmp(buf, cdata, clen), 0);
		free(buf);
		buf = NULL;
		ck_assert_int_eq(hvc_write_file(cpath, cdata, clen / 2, 0644, NULL), 0);
		ck_assert_int_lt(hvc_image_blob_read(ts, img->config_digest, img->config_size, &buf, NULL, &err), 0);
		ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
		hvc_image_store_close(ts);
	}
	ck_assert_int_lt(hvc_image_blob_read(s, img->config_digest, img->config_size, &buf, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
	_cleanup_strv_ char **problems = NULL;
	size_t checked;
	ck_assert_int_eq(hvc_image_fsck(s, &problems, &checked, &err), 0);
	ck_assert_ptr_nonnull(problems);
	/* a blob copied in under the wrong digest is refused, nothing installed */
	_cleanup_free_ char *f = at("blobfile");
	hvc_write_file(f, "xyz", 3, 0644, NULL);
	char got[HVC_DIGEST_LEN];
	ck_assert_int_lt(hvc_image_blob_write_file(s, f, bad, got, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "digest mismatch"), "%s", err.msg);
	hvc_image_free(img);
	hvc_image_store_close(s);
}
END_TEST

/* Members of the wrong JSON type where an array belongs: json-c's array
 * accessors assert on them, so each reader must check the type first (found
 * by fuzz_image_json: an image index whose "manifests" was a string aborted
 * `hvc images`). */
START_TEST(wrong_json_types_are_errors_not_aborts)
{
	char digest[HVC_DIGEST_LEN];
	struct hvc_error err = { 0 };
	struct hvc_image_store *s = two_layer_store(digest);
	const char *ix = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
			 "\"manifests\":\"fuzz\"}";
	char id[HVC_DIGEST_LEN];
	ck_assert_int_eq(hvc_image_blob_write_buf(s, ix, strlen(ix), id, &err), 0);
	ck_assert_int_eq(hvc_image_index_add(s, id, (int64_t)strlen(ix), "odd:index", &err), 0);
	struct hvc_image *img = NULL;
	ck_assert_int_lt(hvc_image_resolve(s, "odd:index", &img, &err), 0);
	ck_assert_msg(strstr(err.msg, "no manifest for linux/"), "%s", err.msg);
	struct hvc_image **list = NULL;
	if (hvc_image_list(s, &list, &err) == 0)
		hvc_image_list_free(list);
	/* a config whose history is not an array: history is empty, and a
	 * layer committed on top of it starts a fresh one */
	json_object *cfg = json_tokener_parse("{\"architecture\":\"amd64\",\"os\":\"linux\","
					      "\"rootfs\":\"layers\",\"history\":\"none\"}");
	struct hvc_image_layer layer = { 0 };
	snprintf(layer.diff_id, sizeof(layer.diff_id), "%s", digest);
	ck_assert_int_eq(hvc_image_config_add_history(cfg, &layer, "RUN x", NULL, NULL), 0);
	ck_assert_int_eq(json_object_array_length(hvc_json_get_array(cfg, "history")), 1);
	ck_assert_int_eq(json_object_array_length(
				 hvc_json_get_array(hvc_json_get(cfg, "rootfs"), "diff_ids")),
			 1);
	json_object_put(cfg);
	struct hvc_image_gc_stats st = { 0 };
	ck_assert_int_eq(hvc_image_gc(s, true, &st, &err), 0);
	hvc_image_store_close(s);
}
END_TEST

START_TEST(refuses_dotdot)
{
	struct member m[] = { { DIR_, "a", NULL }, { REG, "a/../../outside/pwned", "x" } };
	expect_refused(m, 2, "a/../../outside/pwned", "`..`");
}
END_TEST

START_TEST(refuses_absolute)
{
	_cleanup_free_ char *abs = at("outside/abs-pwned");
	struct member m[] = { { REG, abs, "x" } };
	expect_refused(m, 1, abs, "absolute");
}
END_TEST

START_TEST(refuses_write_through_symlink_out)
{
	_cleanup_free_ char *outside = at("outside");
	struct member m[] = { { SYM, "link", outside }, { REG, "link/pwned", "x" } };
	expect_refused(m, 2, "link/pwned", "symlink");
	struct member rel[] = { { SYM, "up", "../outside" }, { REG, "up/pwned", "x" } };
	expect_refused(rel, 2, "up/pwned", "symlink");
	/* a directory member through the link, too */
	struct member dir[] = { { SYM, "d", outside }, { DIR_, "d/sub", NULL } };
	expect_refused(dir, 2, "d/sub", "symlink");
}
END_TEST

START_TEST(refuses_hardlink_out)
{
	struct member m[] = { { HARD, "hl", "../outside/secret" } };
	expect_refused(m, 1, "hl", "`..`");
	_cleanup_free_ char *abs = at("outside/secret");
	struct member a[] = { { HARD, "hl", abs } };
	expect_refused(a, 1, "hl", "absolute");
	_cleanup_free_ char *outside = at("outside");
	struct member via[] = { { SYM, "l", outside }, { HARD, "hl", "l/secret" } };
	expect_refused(via, 2, "hl", "symlink");
}
END_TEST

START_TEST(refuses_device_nodes)
{
	struct member m[] = { { DIR_, "dev", NULL }, { CHR, "dev/sda", NULL } };
	expect_refused(m, 2, "dev/sda", "device nodes are refused");
}
END_TEST

START_TEST(file_replaces_symlink_instead_of_following_it)
{
	_cleanup_free_ char *secret = at("outside/secret");
	_cleanup_free_ char *outside = at("outside");
	_cleanup_free_ char *dest = at("dest");
	_cleanup_free_ char *tarp = at("t.tar");
	hvc_mkdir_p(outside, 0755, NULL);
	hvc_mkdir_p(dest, 0755, NULL);
	hvc_write_file(secret, "keep", 4, 0644, NULL);
	struct member m[] = { { SYM, "f", secret }, { REG, "f", "new" } };
	make_tar(tarp, m, 2, false);
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_image_extract(tarp, dest, true, NULL, NULL, &err), 0);
	_cleanup_free_ char *data = NULL;
	ck_assert_int_eq(hvc_read_file(secret, &data, NULL, NULL), 0);
	ck_assert_str_eq(data, "keep");
	_cleanup_free_ char *f = at("dest/f");
	struct stat st;
	ck_assert_int_eq(lstat(f, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(whiteouts_overlay_and_apply)
{
	HVC_SKIP_IF(geteuid() != 0, "needs root (mknod, trusted.* xattrs)");
	_cleanup_free_ char *dest = at("dest");
	_cleanup_free_ char *tarp = at("wh.tar");
	hvc_mkdir_p(dest, 0755, NULL);
	struct member m[] = {
		{ DIR_, "b", NULL },
		{ REG, "b/.wh..wh..opq", "" },
		{ REG, "b/keep", "k" },
		{ REG, ".wh.gone", "" },
		{ REG, "same", "s" },
		{ REG, ".wh.same", "" }, /* a whiteout never hides its own layer's file */
	};
	make_tar(tarp, m, sizeof(m) / sizeof(m[0]), true);
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_image_extract(tarp, dest, true, NULL, NULL, &err), 0);
	struct stat st;
	_cleanup_free_ char *gone = at("dest/gone");
	ck_assert_int_eq(lstat(gone, &st), 0);
	ck_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	_cleanup_free_ char *b = at("dest/b");
	char v[4] = { 0 };
	ck_assert_int_eq(lgetxattr(b, "trusted.overlay.opaque", v, sizeof(v)), 1);
	ck_assert_int_eq(v[0], 'y');
	_cleanup_free_ char *keep = at("dest/b/keep");
	_cleanup_free_ char *same = at("dest/same");
	ck_assert_int_eq(lstat(keep, &st), 0);
	ck_assert_int_eq(lstat(same, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	_cleanup_free_ char *opq = at("dest/b/.wh..wh..opq");
	ck_assert_int_ne(lstat(opq, &st), 0);

	/* apply mode (flatten): lower content deleted, this layer's kept */
	_cleanup_free_ char *flat = at("flat");
	_cleanup_free_ char *fb = at("flat/b");
	_cleanup_free_ char *old = at("flat/b/old");
	_cleanup_free_ char *fgone = at("flat/gone");
	hvc_mkdir_p(fb, 0755, NULL);
	hvc_write_file(old, "o", 1, 0644, NULL);
	hvc_write_file(fgone, "g", 1, 0644, NULL);
	ck_assert_int_eq(hvc_image_extract(tarp, flat, false, NULL, NULL, &err), 0);
	ck_assert_int_ne(lstat(old, &st), 0);
	ck_assert_int_ne(lstat(fgone, &st), 0);
	_cleanup_free_ char *fkeep = at("flat/b/keep");
	ck_assert_int_eq(lstat(fkeep, &st), 0);
}
END_TEST

/* "name" lines of a layer blob, in archive order. */
static char *list_blob(const char *blob)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, blob, 65536), ARCHIVE_OK);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK)
		fprintf(m, "%s\n", archive_entry_pathname(e));
	archive_read_free(a);
	fclose(m);
	return out;
}

START_TEST(layer_from_overlay_upper_dir)
{
	HVC_SKIP_IF(geteuid() != 0, "needs root (overlay mount)");
	struct hvc_error err = { 0 };
	struct hvc_image_store *s = NULL;
	_cleanup_free_ char *root = at("root");
	ck_assert_int_eq(hvc_image_store_open(root, &s, &err), 0);
	_cleanup_free_ char *up = at("upper");
	_cleanup_free_ char *d = at("upper/d");
	_cleanup_free_ char *w = at("upper/gone");
	hvc_mkdir_p(d, 0755, NULL);
	ck_assert_int_eq(mknod(w, S_IFCHR | 0600, makedev(0, 0)), 0);
	ck_assert_int_eq(lsetxattr(d, "trusted.overlay.opaque", "y", 1, 0), 0);
	struct hvc_image_layer l;
	ck_assert_int_eq(hvc_image_layer_from_dir(s, up, &l, &err), 0);
	_cleanup_free_ char *blob = hvc_image_blob_path(s, l.digest);
	_cleanup_free_ char *names = list_blob(blob);
	ck_assert_str_eq(names, "d/\nd/.wh..wh..opq\n.wh.gone\n");
	/* same tree, same bytes */
	struct hvc_image_layer l2;
	ck_assert_int_eq(hvc_image_layer_from_dir(s, up, &l2, &err), 0);
	ck_assert_str_eq(l.digest, l2.digest);
	/* round trip: extraction gives back the overlay forms and the diff_id */
	_cleanup_free_ char *dest = at("dest");
	hvc_mkdir_p(dest, 0755, NULL);
	char diff[HVC_DIGEST_LEN], dig[HVC_DIGEST_LEN];
	ck_assert_int_eq(hvc_image_extract(blob, dest, true, diff, dig, &err), 0);
	ck_assert_str_eq(diff, l.diff_id);
	ck_assert_str_eq(dig, l.digest);
	hvc_image_store_close(s);
}
END_TEST

START_TEST(member_paths)
{
	ck_assert_ptr_null(hvc_image_member_path_problem_public("./a/b"));
	ck_assert_ptr_nonnull(hvc_image_member_path_problem_public("a/../b"));
	ck_assert_ptr_nonnull(hvc_image_member_path_problem_public(".."));
	ck_assert_ptr_nonnull(hvc_image_member_path_problem_public("/etc/passwd"));
	ck_assert_ptr_null(hvc_image_member_path_problem_public("a/..b/c"));
}
END_TEST

/* Two processes tagging at once through the store lock: no update is lost. */
START_TEST(concurrent_index_updates)
{
	char digest[HVC_DIGEST_LEN];
	struct hvc_error err = { 0 };
	struct hvc_image_store *s = two_layer_store(digest);
	struct hvc_image *img = NULL;
	ck_assert_int_eq(hvc_image_resolve(s, "t/app:v1", &img, &err), 0);
	int64_t msize = img->manifest_size;
	hvc_image_free(img);
	hvc_image_store_close(s);
	_cleanup_free_ char *root = at("root");
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			struct hvc_image_store *cs = NULL;
			if (hvc_image_store_open(root, &cs, NULL) < 0)
				_exit(1);
			for (int i = 0; i < 25; i++) {
				char name[64];
				snprintf(name, sizeof(name), "p%d/tag:n%d", k, i);
				if (hvc_image_index_add(cs, digest, msize, name, NULL) < 0)
					_exit(2);
			}
			hvc_image_store_close(cs);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(hvc_image_store_open(root, &s, &err), 0);
	json_object *names = hvc_image_names_of(s, digest);
	ck_assert_uint_eq(json_object_array_length(names), 51); /* 50 + t/app:v1 */
	json_object_put(names);
	hvc_image_store_close(s);
}
END_TEST

static Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *t = tcase_create("image");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, digests);
	tcase_add_test(t, names);
	tcase_add_test(t, name_split);
	tcase_add_test(t, image_size_and_ls_rows);
	tcase_add_test(t, member_paths);
	tcase_add_test(t, manifest_config_round_trip);
	tcase_add_test(t, index_name_moves);
	tcase_add_test(t, bad_blobs_are_named);
	tcase_add_test(t, wrong_json_types_are_errors_not_aborts);
	tcase_add_test(t, refuses_dotdot);
	tcase_add_test(t, refuses_absolute);
	tcase_add_test(t, refuses_write_through_symlink_out);
	tcase_add_test(t, refuses_hardlink_out);
	tcase_add_test(t, refuses_device_nodes);
	tcase_add_test(t, file_replaces_symlink_instead_of_following_it);
	tcase_add_test(t, whiteouts_overlay_and_apply);
	tcase_add_test(t, layer_from_overlay_upper_dir);
	tcase_add_test(t, concurrent_index_updates);
	suite_add_tcase(s, t);
	return s;
}

HVC_CHECK_MAIN(image_suite)
