/* engine/build/dockerfile: the parser and variable expansion, as golden files
 * (tests/data/dockerfile/<case>.in [+ .args] -> .out or .err; REGENERATE=1
 * rewrites them) plus direct cases for the word processor. */
#include <check.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>
#include "hvc/build.h"
#include "check_main.h"

#define DATA "tests/data/dockerfile"

static char *render(const char *in, size_t len, char **build_args, bool *is_err)
{
	struct hvc_error err = { 0 };
	struct hvc_dockerfile *df = NULL;
	char *out = NULL;
	size_t olen = 0;
	FILE *m = open_memstream(&out, &olen);
	*is_err = false;
	if (hvc_dockerfile_parse(in, len, "Dockerfile", &df, &err) < 0) {
		*is_err = true;
		fprintf(m, "%s\n", err.msg);
		fclose(m);
		return out;
	}
	for (size_t i = 0; df->warnings && df->warnings[i]; i++)
		fprintf(m, "warning: %s\n", df->warnings[i]);
	fprintf(m, "escape: %c\n", df->escape);
	struct hvc_df_scope sc = { .build_args = hvc_strv_dup(build_args ? build_args : (char *[]){ NULL }) };
	for (size_t i = 0; i < df->n_instrs; i++) {
		struct hvc_df_instr *ins = &df->instrs[i];
		fprintf(m, "%d %s", ins->line, ins->keyword);
		for (size_t f = 0; ins->flags[f]; f++)
			fprintf(m, " %s", ins->flags[f]);
		fprintf(m, " |%s|%s\n", ins->rest, ins->json ? " (exec form)" : "");
		struct hvc_df_step *st = NULL;
		if (hvc_df_scope_step(&sc, df, ins, &st, &err) < 0) {
			*is_err = true;
			fprintf(m, "%s\n", err.msg);
			break;
		}
		fprintf(m, "  = %s\n", st->text);
		hvc_df_step_free(st);
	}
	if (!*is_err) {
		char **env = hvc_df_scope_run_env(&sc);
		fprintf(m, "run env:");
		for (size_t i = 0; env[i]; i++)
			fprintf(m, " [%s]", env[i]);
		fprintf(m, "\nused build args:");
		for (size_t i = 0; sc.used_build_args && sc.used_build_args[i]; i++)
			fprintf(m, " %.*s", (int)(strchr(sc.used_build_args[i], '=') - sc.used_build_args[i]),
				sc.used_build_args[i]);
		fprintf(m, "\n");
		hvc_strv_free(env);
	}
	hvc_df_scope_clear(&sc);
	hvc_dockerfile_free(df);
	fclose(m);
	return out;
}

static char *read_opt(const char *path)
{
	char *d = NULL;
	size_t l;
	if (hvc_read_file(path, &d, &l, NULL) < 0)
		return NULL;
	return d;
}

START_TEST(golden_files)
{
	DIR *d = opendir(DATA);
	ck_assert_msg(d != NULL, "cannot open " DATA " (run from the repository root)");
	bool regen = getenv("REGENERATE") && !strcmp(getenv("REGENERATE"), "1");
	int cases = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if (nl < 4 || strcmp(e->d_name + nl - 3, ".in"))
			continue;
		cases++;
		char base[512], p[600];
		snprintf(base, sizeof(base), DATA "/%.*s", (int)(nl - 3), e->d_name);
		snprintf(p, sizeof(p), "%s.in", base);
		char *in = NULL;
		size_t len = 0;
		ck_assert_int_eq(hvc_read_file(p, &in, &len, NULL), 0);
		snprintf(p, sizeof(p), "%s.args", base);
		char *args_txt = read_opt(p);
		char **args = NULL;
		for (char *s = args_txt ? strtok(args_txt, "\n") : NULL; s; s = strtok(NULL, "\n"))
			hvc_strv_push(&args, s);
		bool is_err;
		char *got = render(in, len, args, &is_err);
		char outp[600], errp[600];
		snprintf(outp, sizeof(outp), "%s.out", base);
		snprintf(errp, sizeof(errp), "%s.err", base);
		const char *want_path = is_err ? errp : outp, *other = is_err ? outp : errp;
		if (regen) {
			ck_assert_int_eq(hvc_write_file(want_path, got, strlen(got), 0644, NULL), 0);
			unlink(other);
		} else {
			ck_assert_msg(!hvc_path_exists(other), "%s: %s exists but the case %s", e->d_name, other,
				      is_err ? "failed" : "succeeded");
			char *want = read_opt(want_path);
			ck_assert_msg(want != NULL, "%s: missing %s (REGENERATE=1 writes it); got:\n%s", e->d_name,
				      want_path, got);
			ck_assert_msg(!strcmp(want, got), "%s: output differs from %s\n--- want\n%s--- got\n%s", e->d_name,
				      want_path, want, got);
			free(want);
		}
		free(got);
		free(in);
		free(args_txt);
		hvc_strv_free(args);
	}
	closedir(d);
	ck_assert_int_gt(cases, 20);
	/* a stale fixture (no .in) is an error */
	d = opendir(DATA);
	while ((e = readdir(d))) {
		char *dot = strrchr(e->d_name, '.');
		if (e->d_name[0] == '.' || !dot || !strcmp(dot, ".in"))
			continue;
		char p[600];
		snprintf(p, sizeof(p), DATA "/%.*s.in", (int)(dot - e->d_name), e->d_name);
		ck_assert_msg(hvc_path_exists(p), "unused fixture %s (no %s)", e->d_name, p);
	}
	closedir(d);
}
END_TEST

static char *w1(const char *text, char **vars)
{
	char **w = NULL;
	struct hvc_error err = { 0 };
	if (hvc_df_expand_words(text, vars, '\\', false, &w, &err) < 0)
		return strdup(err.msg);
	char *r = strdup(w[0]);
	hvc_strv_free(w);
	return r;
}

START_TEST(word_processing)
{
	char *vars[] = { "A=1", "B=two words", "E=", NULL };
	struct {
		const char *in, *want;
	} cases[] = {
		{ "$A", "1" },
		{ "${A}x", "1x" },
		{ "'$A'", "$A" },
		{ "\"$A $B\"", "1 two words" },
		{ "\\$A", "$A" },
		{ "${NOPE:-dflt}", "dflt" },
		{ "${E:-dflt}", "dflt" },
		{ "${A:-dflt}", "1" },
		{ "${A:+alt}", "alt" },
		{ "${NOPE:+alt}", "" },
		{ "${NOPE:-${A}}", "1" },
		{ "a$", "a$" },
		{ "$1", "$1" },
		{ "\"a\\\"b\"", "a\"b" },
		{ "\"a\\nb\"", "a\\nb" },
		{ "x\"", "unterminated double quote in \"x\"\"" },
		{ "${A", "bad substitution in \"${A\"" },
		{ "${A:?x}", "bad substitution in \"${A:?x}\" (supported: ${VAR}, ${VAR:-default}, ${VAR:+alt})" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = w1(cases[i].in, vars);
		ck_assert_msg(!strcmp(got, cases[i].want), "%s: want [%s] got [%s]", cases[i].in, cases[i].want, got);
		free(got);
	}
	char **w = NULL;
	ck_assert_int_eq(hvc_df_expand_words("a \"b c\" 'd e'  f\\ g", vars, '\\', true, &w, NULL), 0);
	ck_assert_uint_eq(hvc_strv_len(w), 4);
	ck_assert_str_eq(w[1], "b c");
	ck_assert_str_eq(w[2], "d e");
	ck_assert_str_eq(w[3], "f g");
	hvc_strv_free(w);
}
END_TEST

START_TEST(buffer_not_terminated)
{
	/* the parser must honour len, not look for a NUL */
	const char buf[] = "FROM scratch\nRUN echo hi\nGARBAGE";
	struct hvc_dockerfile *df = NULL;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_dockerfile_parse(buf, strlen("FROM scratch\nRUN echo hi\n"), "x", &df, &err), 0);
	ck_assert_uint_eq(df->n_instrs, 2);
	hvc_dockerfile_free(df);
	ck_assert_int_lt(hvc_dockerfile_parse(buf, sizeof(buf) - 1, "ctx/Dockerfile", &df, &err), 0);
	ck_assert_str_eq(err.msg, "ctx/Dockerfile:3: unknown instruction: GARBAGE");
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_int_lt(hvc_dockerfile_parse("FROM x\0y", 8, "D", &df, &err), 0);
	ck_assert_int_lt(hvc_dockerfile_parse("", 0, "D", &df, &err), 0);
}
END_TEST

START_TEST(env_helpers)
{
	char **env = NULL;
	ck_assert_int_eq(hvc_env_set(&env, "A", "1"), 0);
	ck_assert_int_eq(hvc_env_set(&env, "AB", "2"), 0);
	ck_assert_int_eq(hvc_env_set(&env, "A", "3"), 0);
	ck_assert_uint_eq(hvc_strv_len(env), 2);
	ck_assert_str_eq(hvc_env_get(env, "A"), "3");
	ck_assert_str_eq(hvc_env_get(env, "AB"), "2");
	ck_assert_ptr_null(hvc_env_get(env, "B"));
	hvc_strv_free(env);
}
END_TEST

/* Random token soup: the parser and the expander must fail cleanly, never crash
 * (run under make SAN=1 to catch memory errors). Deterministic seed. */
/* --build-arg: K=V as given; K alone from the environment (first entry wins,
 * as getenv), nothing when unset there; an empty name is refused. */
START_TEST(build_arg_parse)
{
	char *env[] = { "HOME=/root", "A=1", "A=2", "EMPTY=", NULL };
	struct hvc_error err = { 0 };
	char *kv = NULL;
	ck_assert_int_eq(hvc_build_arg_parse("X=y=z", env, &kv, &err), 1);
	ck_assert_str_eq(kv, "X=y=z");
	free(kv);
	ck_assert_int_eq(hvc_build_arg_parse("A", env, &kv, &err), 1);
	ck_assert_str_eq(kv, "A=1");
	free(kv);
	ck_assert_int_eq(hvc_build_arg_parse("EMPTY", env, &kv, &err), 1);
	ck_assert_str_eq(kv, "EMPTY=");
	free(kv);
	ck_assert_int_eq(hvc_build_arg_parse("UNSET", env, &kv, &err), 0);
	ck_assert_ptr_null(kv);
	ck_assert_int_eq(hvc_build_arg_parse("HOM", env, &kv, &err), 0);
	ck_assert_int_lt(hvc_build_arg_parse("=v", env, &kv, &err), 0);
	ck_assert_str_eq(err.msg, "--build-arg \"=v\": empty name");
	ck_assert_ptr_null(kv);
}
END_TEST

START_TEST(random_input_never_crashes)
{
	static const char *tok[] = { "FROM", "RUN", "ENV", "ARG", "COPY", "ADD", "LABEL", "EXPOSE", "WORKDIR", "USER",
				     "CMD", "ENTRYPOINT", " ", "  ", "\n", "\\\n", "\\", "\"", "'", "$", "${", "}", ":-",
				     ":+", "=", "A", "busybox", "[", "]", "\"x\"", ",", "#", "# escape=`\n", "`", "--chown=1",
				     "--from=x", "80/tcp", "AS", "scratch", "\r\n", "\t", "${A:-${B}}", "!" };
	unsigned seed = 12345;
	for (int n = 0; n < 3000; n++) {
		char buf[512];
		size_t len = 0;
		int ntok = 1 + (int)(rand_r(&seed) % 40);
		if (rand_r(&seed) % 2) {
			memcpy(buf, "FROM busybox\n", 13);
			len = 13;
		}
		for (int i = 0; i < ntok; i++) {
			const char *t = tok[rand_r(&seed) % (sizeof(tok) / sizeof(tok[0]))];
			size_t l = strlen(t);
			if (len + l >= sizeof(buf))
				break;
			memcpy(buf + len, t, l);
			len += l;
		}
		struct hvc_dockerfile *df = NULL;
		struct hvc_error err = { 0 };
		if (hvc_dockerfile_parse(buf, len, "Dockerfile", &df, &err) < 0) {
			ck_assert_msg(hvc_str_has_prefix(err.msg, "Dockerfile"), "error without the file name: %s", err.msg);
			continue;
		}
		struct hvc_df_scope sc = { 0 };
		for (size_t i = 0; i < df->n_instrs; i++) {
			struct hvc_df_step *st = NULL;
			if (hvc_df_scope_step(&sc, df, &df->instrs[i], &st, &err) < 0) {
				ck_assert_msg(strstr(err.msg, "Dockerfile:") != NULL, "expansion error without a line: %s",
					      err.msg);
				break;
			}
			hvc_df_step_free(st);
		}
		hvc_df_scope_clear(&sc);
		hvc_dockerfile_free(df);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dockerfile");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, golden_files);
	tcase_add_test(tc, word_processing);
	tcase_add_test(tc, buffer_not_terminated);
	tcase_add_test(tc, env_helpers);
	tcase_add_test(tc, build_arg_parse);
	tcase_add_test(tc, random_input_never_crashes);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
