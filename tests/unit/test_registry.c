/* engine/registry/: the pure parts — references (a table of Docker's
 * grammar), WWW-Authenticate challenges, manifests and indexes (OCI and
 * Docker schema 2, hostile ones refused), platform choice, token answers,
 * base64 and the auth.json file (format, mode 0600, removal); and the
 * store's streaming blob writer (a mismatch leaves nothing behind). */
#include <check.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include "hvc/registry.h"
#include "../../engine/registry/reg_internal.h"
#include "check_main.h"

static const struct {
	const char *in;
	int want; /* 1 registry, 0 local, -1 invalid */
	const char *host, *repo, *tag, *digest;
} refs[] = {
	{ "127.0.0.1:5000/t/img:1", 1, "127.0.0.1:5000", "t/img", "1", NULL },
	{ "localhost/x", 1, "localhost", "x", NULL, NULL },
	{ "localhost:5000/a/b/c", 1, "localhost:5000", "a/b/c", NULL, NULL },
	{ "registry.example.com/lib/busybox:1.36", 1, "registry.example.com", "lib/busybox", "1.36", NULL },
	{ "busybox", 0, NULL, "busybox", NULL, NULL },
	{ "busybox:latest", 0, NULL, "busybox", "latest", NULL },
	{ "library/busybox", 0, NULL, "library/busybox", NULL, NULL },
	{ "my_repo/a__b/c-d.e", 0, NULL, "my_repo/a__b/c-d.e", NULL, NULL },
	{ "h.io/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1, "h.io",
	  "x", NULL, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
	{ "h.io/x:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1, "h.io",
	  "x", "t", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
	{ "", -1, NULL, NULL, NULL, NULL },
	{ "Busybox", -1, NULL, NULL, NULL, NULL },
	{ "h.io/x@sha256:abc", -1, NULL, NULL, NULL, NULL },
	{ "h.io/x:", -1, NULL, NULL, NULL, NULL },
	{ "h.io/x:-bad", -1, NULL, NULL, NULL, NULL },
	{ "h.io/", -1, NULL, NULL, NULL, NULL },
	{ "h.io//x", -1, NULL, NULL, NULL, NULL },
	{ "h.io:99999999/x", -1, NULL, NULL, NULL, NULL },
	{ "a/b_/c", -1, NULL, NULL, NULL, NULL },
	{ "a/b___c", -1, NULL, NULL, NULL, NULL },
	{ "x y", -1, NULL, NULL, NULL, NULL },
};

static void ck_str_or_null(const char *got, const char *want, const char *in)
{
	if (!want)
		ck_assert_msg(!got, "%s: got \"%s\", want none", in, got);
	else
		ck_assert_msg(got && !strcmp(got, want), "%s: got \"%s\", want \"%s\"", in,
			      got ? got : "(null)", want);
}

START_TEST(references)
{
	struct hvc_reg_ref r;
	struct hvc_error err = { 0 };
	int got = hvc_reg_ref_parse(refs[_i].in, &r, &err);
	int norm = got < 0 ? -1 : got;
	ck_assert_msg(norm == refs[_i].want, "%s: %d, want %d (%s)", refs[_i].in, got, refs[_i].want,
		      err.msg);
	if (got < 0) {
		ck_assert_ptr_nonnull(strstr(err.msg, "invalid reference"));
		return;
	}
	ck_str_or_null(r.host, refs[_i].host, refs[_i].in);
	ck_str_or_null(r.repo, refs[_i].repo, refs[_i].in);
	ck_str_or_null(r.tag, refs[_i].tag, refs[_i].in);
	ck_str_or_null(r.digest, refs[_i].digest, refs[_i].in);
	hvc_reg_ref_clear(&r);
}
END_TEST

START_TEST(reference_strings)
{
	struct hvc_reg_ref r;
	ck_assert_int_eq(hvc_reg_ref_parse("h.io:5000/a/b", &r, NULL), 1);
	_cleanup_free_ char *s = hvc_reg_ref_string(&r);
	ck_assert_str_eq(s, "h.io:5000/a/b:latest");
	hvc_reg_ref_clear(&r);
	const char *dg = "h.io/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	ck_assert_int_eq(hvc_reg_ref_parse(dg, &r, NULL), 1);
	_cleanup_free_ char *s2 = hvc_reg_ref_string(&r);
	ck_assert_str_eq(s2, dg);
	hvc_reg_ref_clear(&r);
}
END_TEST

static int challenge(const char *s, struct hvc_reg_challenge *c, struct hvc_error *err)
{
	return hvc_reg_challenge_parse(s, strlen(s), c, err);
}

START_TEST(challenges)
{
	struct hvc_reg_challenge c;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(challenge("Bearer realm=\"https://auth.io/token\",service=\"reg.io\","
				   "scope=\"repository:a/b:pull\"",
				   &c, &err),
			 0);
	ck_assert_str_eq(c.scheme, "bearer");
	ck_assert_str_eq(c.realm, "https://auth.io/token");
	ck_assert_str_eq(c.service, "reg.io");
	ck_assert_str_eq(c.scope, "repository:a/b:pull");
	hvc_reg_challenge_clear(&c);
	/* escapes, unquoted values, a second challenge after the first */
	ck_assert_int_eq(challenge("bearer realm=\"h\\\"x\", service=s, Basic realm=\"r\"", &c, &err), 0);
	ck_assert_str_eq(c.realm, "h\"x");
	ck_assert_str_eq(c.service, "s");
	ck_assert_ptr_null(c.scope);
	hvc_reg_challenge_clear(&c);
	ck_assert_int_eq(challenge("Basic realm=\"registry\"", &c, &err), 0);
	ck_assert_str_eq(c.scheme, "basic");
	hvc_reg_challenge_clear(&c);
	ck_assert_int_lt(challenge("Bearer service=\"x\"", &c, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "without a realm"));
	ck_assert_int_lt(challenge("Bearer realm=\"unterminated", &c, &err), 0);
	ck_assert_int_lt(challenge("Negotiate abc", &c, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unsupported scheme"));
	ck_assert_int_lt(challenge("", &c, &err), 0);
}
END_TEST

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define E64 "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int doc(const char *s, const char *ct, struct hvc_reg_doc *d, struct hvc_error *err)
{
	return hvc_reg_doc_parse(s, strlen(s), ct, d, err);
}

START_TEST(manifests)
{
	struct hvc_reg_doc d;
	struct hvc_error err = { 0 };
	const char *oci = "{\"schemaVersion\":2,\"mediaType\":\"" HVC_MT_MANIFEST "\","
			  "\"config\":{\"mediaType\":\"" HVC_MT_CONFIG "\",\"digest\":\"" D64 "\",\"size\":7},"
			  "\"layers\":[{\"mediaType\":\"" HVC_MT_LAYER_TGZ "\",\"digest\":\"" E64 "\",\"size\":9}]}";
	ck_assert_int_eq(doc(oci, NULL, &d, &err), 0);
	ck_assert_int_eq(d.kind, HVC_REG_DOC_MANIFEST);
	ck_assert_str_eq(d.config.digest, D64);
	ck_assert_uint_eq(d.n_items, 1);
	ck_assert_int_eq(d.items[0].size, 9);
	hvc_reg_doc_clear(&d);
	/* Docker schema 2 named by Content-Type only */
	const char *docker = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D64 "\",\"size\":7},\"layers\":[]}";
	ck_assert_int_eq(doc(docker, HVC_MT_DOCKER_MANIFEST "; charset=utf-8", &d, &err), 0);
	ck_assert_str_eq(d.media_type, HVC_MT_DOCKER_MANIFEST);
	hvc_reg_doc_clear(&d);
	/* refusals: schema 1, disagreeing types, bad digests, negative sizes, not JSON */
	ck_assert_int_lt(doc("{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, &d, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "schema 1"));
	ck_assert_int_lt(doc(oci, HVC_MT_INDEX, &d, &err), 0);
	ck_assert_int_lt(doc("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:x\",\"size\":1},\"layers\":[]}",
			     NULL, &d, &err), 0);
	ck_assert_int_lt(doc("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D64 "\",\"size\":-1},\"layers\":[]}",
			     NULL, &d, &err), 0);
	ck_assert_int_lt(doc("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D64 "\",\"size\":1}}", NULL, &d, &err), 0);
	ck_assert_int_lt(doc("[1,2", NULL, &d, &err), 0);
	ck_assert_int_lt(doc("{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL, &d, &err), 0);
}
END_TEST

START_TEST(index_platforms)
{
	struct hvc_reg_doc d;
	struct hvc_error err = { 0 };
	const char *idx = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
			  "\"manifests\":["
			  "{\"mediaType\":\"" HVC_MT_DOCKER_MANIFEST "\",\"digest\":\"" D64 "\",\"size\":1,"
			  "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
			  "{\"mediaType\":\"" HVC_MT_DOCKER_MANIFEST "\",\"digest\":\"" E64 "\",\"size\":2,"
			  "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	ck_assert_int_eq(doc(idx, NULL, &d, &err), 0);
	ck_assert_int_eq(d.kind, HVC_REG_DOC_INDEX);
	ck_assert_str_eq(hvc_reg_doc_pick(&d, "linux/amd64")->digest, E64);
	ck_assert_str_eq(hvc_reg_doc_pick(&d, "linux/arm/v7")->digest, D64);
	ck_assert_str_eq(hvc_reg_doc_pick(&d, "linux/arm")->digest, D64);
	ck_assert_ptr_null(hvc_reg_doc_pick(&d, "linux/arm/v6"));
	ck_assert_ptr_null(hvc_reg_doc_pick(&d, "windows/amd64"));
	hvc_reg_doc_clear(&d);
}
END_TEST

START_TEST(tokens)
{
	_cleanup_free_ char *t = NULL, *t2 = NULL;
	struct hvc_error err = { 0 };
	const char *a = "{\"token\":\"abc.def\",\"expires_in\":300}";
	const char *b = "{\"access_token\":\"xyz\"}";
	ck_assert_int_eq(hvc_reg_token_parse(a, strlen(a), &t, &err), 0);
	ck_assert_str_eq(t, "abc.def");
	ck_assert_int_eq(hvc_reg_token_parse(b, strlen(b), &t2, &err), 0);
	ck_assert_str_eq(t2, "xyz");
	char *t3 = NULL;
	const char *c = "{\"token\":\"a\\r\\nX-Evil: 1\"}";
	ck_assert_int_lt(hvc_reg_token_parse(c, strlen(c), &t3, &err), 0);
	ck_assert_int_lt(hvc_reg_token_parse("{}", 2, &t3, &err), 0);
	ck_assert_ptr_null(t3);
}
END_TEST

START_TEST(base64_and_authfile)
{
	_cleanup_free_ char *b = hvc_reg_base64("alice:s3cret");
	ck_assert_str_eq(b, "YWxpY2U6czNjcmV0");
	_cleanup_free_ char *p = hvc_reg_unbase64(b);
	ck_assert_str_eq(p, "alice:s3cret");
	ck_assert_ptr_null(hvc_reg_unbase64("abc"));
	char dir[] = "/tmp/hvc-reg.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *file = hvc_reg_authfile_path(dir);
	struct hvc_error err = { 0 };
	char *u = NULL, *pw = NULL;
	ck_assert_int_eq(hvc_reg_auth_get(file, "h:1", &u, &pw, &err), 0);
	ck_assert_int_eq(hvc_reg_auth_set(file, "h:1", "alice", "s3cret", &err), 0);
	ck_assert_int_eq(hvc_reg_auth_set(file, "other", "bob", "pw:with:colons", &err), 0);
	struct stat st;
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	_cleanup_free_ char *text = NULL;
	ck_assert_int_eq(hvc_read_file(file, &text, NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"auths\""));
	ck_assert_ptr_nonnull(strstr(text, "YWxpY2U6czNjcmV0"));
	ck_assert_ptr_null(strstr(text, "s3cret"));
	ck_assert_int_eq(hvc_reg_auth_get(file, "other", &u, &pw, &err), 1);
	ck_assert_str_eq(u, "bob");
	ck_assert_str_eq(pw, "pw:with:colons");
	free(u);
	free(pw);
	ck_assert_int_lt(hvc_reg_auth_set(file, "h", "a:b", "x", &err), 0);
	ck_assert_int_eq(hvc_reg_auth_remove(file, "h:1", &err), 1);
	ck_assert_int_eq(hvc_reg_auth_remove(file, "h:1", &err), 0);
	hvc_rm_rf(dir, NULL);
}
END_TEST

START_TEST(pull_policy)
{
	enum hvc_reg_pull_policy p;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_reg_pull_policy_parse("always", &p, &err), 0);
	ck_assert_int_eq(p, HVC_PULL_ALWAYS);
	ck_assert_int_eq(hvc_reg_pull_policy_parse("never", &p, &err), 0);
	ck_assert_int_eq(p, HVC_PULL_NEVER);
	ck_assert_int_lt(hvc_reg_pull_policy_parse("sometimes", &p, &err), 0);
}
END_TEST

static size_t count_dir(const char *path)
{
	DIR *d = opendir(path);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

START_TEST(blob_writer)
{
	char dir[] = "/tmp/hvc-reg.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = { 0 };
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	ck_assert_int_eq(hvc_image_store_open(dir, &s, &err), 0);
	char want[HVC_DIGEST_LEN], got[HVC_DIGEST_LEN];
	hvc_digest_buf("hello world", 11, want);
	struct hvc_image_blob_writer *w = NULL;
	/* a mismatch: nothing installed, the temp file gone */
	ck_assert_int_eq(hvc_image_blob_writer_open(s, want, &w, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_write(w, "hello there", 11, &err), 0);
	ck_assert_int_lt(hvc_image_blob_writer_commit(w, got, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "digest mismatch"));
	hvc_image_blob_writer_free(w);
	ck_assert(!hvc_image_blob_exists(s, want, -1));
	_cleanup_free_ char *tmpdir = hvc_path_join(dir, "tmp");
	ck_assert_uint_eq(count_dir(tmpdir), 0);
	/* in pieces, restarted once (a server that ignored Range) */
	ck_assert_int_eq(hvc_image_blob_writer_open(s, want, &w, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_write(w, "junk", 4, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_restart(w, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_write(w, "hello ", 6, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_write(w, "world", 5, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_bytes(w), 11);
	ck_assert_int_eq(hvc_image_blob_writer_commit(w, got, &err), 0);
	hvc_image_blob_writer_free(w);
	ck_assert_str_eq(got, want);
	ck_assert(hvc_image_blob_exists(s, want, 11));
	ck_assert(!hvc_image_blob_exists(s, want, 12));
	ck_assert_uint_eq(count_dir(tmpdir), 0);
	hvc_rm_rf(dir, NULL);
}
END_TEST

/* The pull's commit/unpack pool (reg_unpack.c): a blob handed over is
 * committed; a failed prepare fails the pool, later blobs are refused (their
 * temp files go) and finish returns the prepare's error. */
static int prepare_ok(void *data, const struct hvc_image **img, struct hvc_error *err)
{
	(void)err;
	*img = data;
	return 0;
}

static int prepare_fails(void *data, const struct hvc_image **img, struct hvc_error *err)
{
	(void)data;
	(void)img;
	return hvc_reg_err(err, EIO, "no manifest here");
}

static struct hvc_image_blob_writer *writer_of(struct hvc_image_store *s, const char *text,
					       char digest[HVC_DIGEST_LEN])
{
	struct hvc_error err = { 0 };
	struct hvc_image_blob_writer *w = NULL;
	hvc_digest_buf(text, strlen(text), digest);
	ck_assert_int_eq(hvc_image_blob_writer_open(s, digest, &w, &err), 0);
	ck_assert_int_eq(hvc_image_blob_writer_write(w, text, strlen(text), &err), 0);
	return w;
}

START_TEST(unpack_pool)
{
	char dir[] = "/tmp/hvc-reg.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = { 0 };
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	ck_assert_int_eq(hvc_image_store_open(dir, &s, &err), 0);
	ck_assert_int_eq(hvc_image_store_hold(s, &err), 0);
	_cleanup_free_ char *tmpdir = hvc_path_join(dir, "tmp");
	struct hvc_image img = { 0 }; /* no layers: a blob is only committed */
	char d1[HVC_DIGEST_LEN], d2[HVC_DIGEST_LEN];
	struct hvc_reg_unpacker *u = NULL;
	ck_assert_int_eq(hvc_reg_unpacker_start(s, prepare_ok, &img, 2, 3, &u), 0);
	struct hvc_image_blob_writer *w1 = writer_of(s, "first blob", d1);
	ck_assert_int_eq(hvc_reg_unpacker_add(u, d1, w1, &err), 0);
	ck_assert_int_eq(hvc_reg_unpacker_finish(u, &err), 0);
	ck_assert(hvc_image_blob_exists(s, d1, 10));
	ck_assert_int_eq(hvc_reg_unpacker_start(s, prepare_fails, NULL, 1, 3, &u), 0);
	struct hvc_image_blob_writer *w = writer_of(s, "second blob", d2);
	int rc = hvc_reg_unpacker_add(u, d2, w, &err);
	struct hvc_error fin = { 0 };
	ck_assert_int_lt(hvc_reg_unpacker_finish(u, &fin), 0);
	ck_assert_ptr_nonnull(strstr(fin.msg, "no manifest here"));
	ck_assert(rc == 0 || strstr(err.msg, "no manifest here"));
	ck_assert(!hvc_image_blob_exists(s, d2, -1));
	ck_assert_uint_eq(count_dir(tmpdir), 0);
	hvc_rm_rf(dir, NULL);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *t = tcase_create("registry");
	tcase_add_loop_test(t, references, 0, sizeof(refs) / sizeof(refs[0]));
	tcase_add_test(t, reference_strings);
	tcase_add_test(t, challenges);
	tcase_add_test(t, manifests);
	tcase_add_test(t, index_platforms);
	tcase_add_test(t, tokens);
	tcase_add_test(t, base64_and_authfile);
	tcase_add_test(t, pull_policy);
	tcase_add_test(t, blob_writer);
	tcase_add_test(t, unpack_pool);
	suite_add_tcase(s, t);
	return s;
}

HVC_CHECK_MAIN(registry_suite)
