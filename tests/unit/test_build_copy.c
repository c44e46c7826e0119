/* engine/build/build_copy: path clean-up, COPY source resolution (globs, context
 * escapes by `..` and by symlinks, missing files), the content digest, and
 * copying into a staging dir; engine/build/build_config: the config edits of
 * metadata steps. No root needed. */
#include <check.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hvc/build.h"
#include "../../engine/build/build_internal.h"
#include "check_main.h"

static char ctx[64], stage[64];
static struct hvc_build_context bc;

static void put(const char *rel, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", ctx, rel);
	ck_assert_int_eq(hvc_write_file(p, content, strlen(content), 0640, NULL), 0);
}

static void setup(void)
{
	strcpy(ctx, "/tmp/hvc-bc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ctx));
	strcpy(stage, "/tmp/hvc-bs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(stage));
	char p[256];
	snprintf(p, sizeof(p), "%s/dir/sub", ctx);
	ck_assert_int_eq(hvc_mkdir_p(p, 0755, NULL), 0);
	put("a.txt", "a");
	put("b.txt", "bb");
	put("dir/one", "1");
	put("dir/sub/two", "2");
	snprintf(p, sizeof(p), "%s/out-link", ctx);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/in-link", ctx);
	ck_assert_int_eq(symlink("a.txt", p), 0);
	ck_assert_int_eq(hvc_build_context_open(ctx, &bc, NULL), 0);
}

static void teardown(void)
{
	hvc_build_context_clear(&bc);
	hvc_rm_rf(ctx, NULL);
	hvc_rm_rf(stage, NULL);
}

START_TEST(path_clean)
{
	bool esc;
	struct {
		const char *in, *out;
		bool esc;
	} c[] = {
		{ "a/b/../c", "a/c", false }, { "/app/./x/", "app/x", false }, { "../x", "x", true },
		{ "a/../../b", "b", true },   { "/", "", false },	      { ".", "", false },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *o = hvc_build_path_clean(c[i].in, &esc);
		ck_assert_msg(!strcmp(o, c[i].out) && esc == c[i].esc, "%s -> %s (%d)", c[i].in, o, esc);
		free(o);
	}
}
END_TEST

START_TEST(resolve_sources)
{
	struct hvc_error err = { 0 };
	char **abs = NULL;
	ck_assert_int_eq(hvc_build_copy_resolve(&bc, (char *[]){ "*.txt", "dir", NULL }, &abs, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(abs), 3);
	ck_assert_ptr_nonnull(strstr(abs[0], "/a.txt"));
	ck_assert_ptr_nonnull(strstr(abs[1], "/b.txt"));
	ck_assert_ptr_nonnull(strstr(abs[2], "/dir"));
	hvc_strv_free(abs);
	abs = NULL;
	ck_assert_int_eq(hvc_build_copy_resolve(&bc, (char *[]){ "in-link", NULL }, &abs, &err), 0);
	hvc_strv_free(abs);
	abs = NULL;
	ck_assert_int_lt(hvc_build_copy_resolve(&bc, (char *[]){ "../etc/passwd", NULL }, &abs, &err), 0);
	ck_assert_str_eq(err.msg, "../etc/passwd: forbidden path outside the build context");
	ck_assert_int_lt(hvc_build_copy_resolve(&bc, (char *[]){ "out-link", NULL }, &abs, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "forbidden path outside the build context"));
	ck_assert_int_lt(hvc_build_copy_resolve(&bc, (char *[]){ "nope", NULL }, &abs, &err), 0);
	ck_assert_str_eq(err.msg, "nope: no such file or directory in the build context");
	ck_assert_int_lt(hvc_build_copy_resolve(&bc, (char *[]){ "*.none", NULL }, &abs, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "matched nothing"));
	ck_assert_int_lt(hvc_build_copy_resolve(&bc, (char *[]){ "http://x/y", NULL }, &abs, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "URLs are not supported"));
	ck_assert_ptr_null(abs);
}
END_TEST

START_TEST(content_digest)
{
	char **abs = NULL;
	ck_assert_int_eq(hvc_build_copy_resolve(&bc, (char *[]){ "dir", NULL }, &abs, NULL), 0);
	char d1[72], d2[72], d3[72];
	hvc_build_copy_digest(&bc, abs, d1);
	hvc_build_copy_digest(&bc, abs, d2);
	ck_assert_str_eq(d1, d2);
	put("dir/sub/two", "changed");
	hvc_build_copy_digest(&bc, abs, d3);
	ck_assert_str_ne(d1, d3);
	hvc_strv_free(abs);
}
END_TEST

START_TEST(copy_into_stage)
{
	char **abs = NULL;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_build_copy_resolve(&bc, (char *[]){ "a.txt", "dir", NULL }, &abs, NULL), 0);
	ck_assert_int_eq(hvc_build_copy_into(&bc, stage, abs, "/app", true, false, NULL, &err), 0);
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/app/a.txt", stage);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640); /* mode kept */
	snprintf(p, sizeof(p), "%s/app/one", stage); /* a directory's contents, not the directory */
	ck_assert(hvc_path_exists(p));
	snprintf(p, sizeof(p), "%s/app/sub/two", stage);
	ck_assert(hvc_path_exists(p));
	hvc_strv_free(abs);
	abs = NULL;
	ck_assert_int_eq(hvc_build_copy_resolve(&bc, (char *[]){ "b.txt", NULL }, &abs, NULL), 0);
	struct hvc_build_copy_owner own = { getuid(), getgid(), 0604 };
	ck_assert_int_eq(hvc_build_copy_into(&bc, stage, abs, "/etc/renamed", false, false, &own, &err), 0);
	snprintf(p, sizeof(p), "%s/etc/renamed", stage);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0604);
	ck_assert_int_eq(hvc_build_parse_chmod("0755", &err), 0755);
	ck_assert_int_eq(hvc_build_parse_chmod("644", &err), 0644);
	ck_assert_int_lt(hvc_build_parse_chmod("rwx", &err), 0);
	ck_assert_int_lt(hvc_build_parse_chmod("99", &err), 0);
	ck_assert_int_lt(hvc_build_parse_chmod("", &err), 0);
	hvc_strv_free(abs);
}
END_TEST

START_TEST(dockerignore_rules)
{
	char **p = NULL;
	ck_assert_int_eq(hvc_build_ignore_parse("# comment\n\n*.log\n/build\n!build/keep\n**/*.tmp\n  secret  \n.\n", &p, NULL), 0);
	ck_assert_uint_eq(hvc_strv_len(p), 5);
	ck_assert_str_eq(p[1], "build"); /* leading slash dropped */
	ck_assert(hvc_build_ignore_match(p, "x.log"));
	ck_assert(!hvc_build_ignore_match(p, "sub/x.log")); /* * stays in one segment */
	ck_assert(hvc_build_ignore_match(p, "build"));
	ck_assert(hvc_build_ignore_match(p, "build/out/a.o")); /* under an excluded dir */
	ck_assert(!hvc_build_ignore_match(p, "build/keep"));   /* ! re-includes */
	ck_assert(hvc_build_ignore_match(p, "a/b/c.tmp"));
	ck_assert(hvc_build_ignore_match(p, "c.tmp"));
	ck_assert(hvc_build_ignore_match(p, "secret"));
	ck_assert(!hvc_build_ignore_match(p, "secrets"));
	ck_assert(!hvc_build_ignore_match(p, "src/main.c"));
	hvc_strv_free(p);
}
END_TEST

START_TEST(dockerignore_in_copy)
{
	put(".dockerignore", "*.txt\n!b.txt\ndir/sub\n");
	hvc_build_context_clear(&bc);
	ck_assert_int_eq(hvc_build_context_open(ctx, &bc, NULL), 0);
	struct hvc_error err = { 0 };
	char **abs = NULL;
	ck_assert_int_lt(hvc_build_copy_resolve(&bc, (char *[]){ "a.txt", NULL }, &abs, &err), 0);
	ck_assert_str_eq(err.msg, "a.txt: excluded from the build context by .dockerignore");
	ck_assert_int_eq(hvc_build_copy_resolve(&bc, (char *[]){ "*.txt", "dir", NULL }, &abs, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(abs), 2); /* b.txt, dir */
	ck_assert_int_eq(hvc_build_copy_into(&bc, stage, abs, "/app", true, false, NULL, &err), 0);
	char p[256];
	snprintf(p, sizeof(p), "%s/app/b.txt", stage);
	ck_assert(hvc_path_exists(p));
	snprintf(p, sizeof(p), "%s/app/one", stage);
	ck_assert(hvc_path_exists(p));
	snprintf(p, sizeof(p), "%s/app/sub", stage);
	ck_assert(!hvc_path_exists(p)); /* dir/sub ignored inside a copied directory */
	char d1[72], d2[72];
	hvc_build_copy_digest(&bc, abs, d1);
	put("dir/sub/two", "ignored changes do not invalidate the cache");
	hvc_build_copy_digest(&bc, abs, d2);
	ck_assert_str_eq(d1, d2);
	hvc_strv_free(abs);
}
END_TEST

/* Metadata steps edit the config document and nothing else (pure). */
static void apply(json_object *cfg, enum hvc_df_kind kind, char **args)
{
	struct hvc_df_step st = { .kind = kind, .args = args };
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_build_config_apply(cfg, &st, &err), 0);
}

START_TEST(config_edits)
{
	_cleanup_json_ json_object *cfg = json_object_new_object();
	json_object *c = hvc_build_config_section(cfg);
	ck_assert_ptr_eq(c, hvc_build_config_section(cfg));
	ck_assert_str_eq(hvc_build_config_workdir(cfg), "/");
	apply(cfg, HVC_DF_ENV, (char *[]){ "A=1", "B=two words", NULL });
	apply(cfg, HVC_DF_ENV, (char *[]){ "A=3", NULL });
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(c, "Env"), JSON_C_TO_STRING_PLAIN),
			 "[\"A=3\",\"B=two words\"]");
	apply(cfg, HVC_DF_LABEL, (char *[]){ "k=v=w", NULL });
	ck_assert_str_eq(hvc_json_get_string(json_object_object_get(c, "Labels"), "k"), "v=w");
	apply(cfg, HVC_DF_EXPOSE, (char *[]){ "80", "53/udp", NULL });
	json_object *ports = json_object_object_get(c, "ExposedPorts");
	ck_assert_ptr_nonnull(json_object_object_get(ports, "80/tcp"));
	ck_assert_ptr_nonnull(json_object_object_get(ports, "53/udp"));
	apply(cfg, HVC_DF_WORKDIR, (char *[]){ "/app", NULL });
	apply(cfg, HVC_DF_WORKDIR, (char *[]){ "sub/../src", NULL });
	ck_assert_str_eq(hvc_build_config_workdir(cfg), "/app/src");
	_cleanup_free_ char *p = hvc_build_path_in_image(cfg, "../../../etc");
	ck_assert_str_eq(p, "/etc");
	apply(cfg, HVC_DF_VOLUME, (char *[]){ "data", NULL });
	ck_assert_ptr_nonnull(json_object_object_get(json_object_object_get(c, "Volumes"), "/app/src/data"));
	apply(cfg, HVC_DF_CMD, (char *[]){ "/bin/sh", NULL });
	ck_assert_ptr_nonnull(json_object_object_get(c, "Cmd"));
	apply(cfg, HVC_DF_ENTRYPOINT, (char *[]){ "/bin/app", NULL });
	ck_assert_ptr_null(json_object_object_get(c, "Cmd")); /* Docker: ENTRYPOINT resets CMD */
	apply(cfg, HVC_DF_USER, (char *[]){ "nobody", NULL });
	ck_assert_str_eq(hvc_json_get_string(c, "User"), "nobody");
	apply(cfg, HVC_DF_ARG, (char *[]){ "X=1", NULL });
	apply(cfg, HVC_DF_SHELL, (char *[]){ "/bin/bash", "-c", NULL });
	ck_assert_ptr_null(json_object_object_get(c, "Shell"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("build_copy");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, path_clean);
	tcase_add_test(tc, resolve_sources);
	tcase_add_test(tc, content_digest);
	tcase_add_test(tc, copy_into_stage);
	tcase_add_test(tc, dockerignore_rules);
	tcase_add_test(tc, dockerignore_in_copy);
	tcase_add_test(tc, config_edits);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
