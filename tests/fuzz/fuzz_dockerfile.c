/* Fuzz target: the Dockerfile parser and its variable expansion
 * (engine/build/dockerfile.c, dockerfile_expand.c), as `hvc build` drives
 * them: parse, then walk every instruction through a scope with build args
 * (ARG/ENV/FROM effects, Docker's ${VAR:-word} rules), and the RUN
 * environment. The input's first line doubles as a word list for
 * hvc_df_expand_words in both split modes. */
#include "fuzz.h"
#include "hvc/build.h"

static void walk(const struct hvc_dockerfile *df)
{
	struct hvc_df_scope sc = {
		.build_args = hvc_strv_dup((char *[]){ "A=1", "B=two words", "EMPTY=", NULL }),
	};
	for (size_t i = 0; i < df->n_instrs; i++) {
		struct hvc_error err = { 0 };
		struct hvc_df_step *st = NULL;
		if (hvc_df_scope_step(&sc, df, &df->instrs[i], &st, &err) < 0)
			break;
		if (!st || !st->text)
			fuzz_fail("step %zu succeeded without a step or text", i);
		hvc_df_step_free(st);
	}
	hvc_strv_free(hvc_df_scope_run_env(&sc));
	hvc_df_scope_clear(&sc);
}

static void expand_line(const char *text)
{
	char *vars[] = { "A=1", "HOME=/root", "E=", "P=a b", NULL };
	for (int split = 0; split < 2; split++) {
		for (int e = 0; e < 2; e++) {
			struct hvc_error err = { 0 };
			char **words = NULL;
			if (hvc_df_expand_words(text, vars, e ? '`' : '\\', split, &words, &err) == 0)
				hvc_strv_free(words);
		}
	}
	char **raw = NULL;
	const char *bad = NULL;
	if (hvc_df_split_raw(text, '\\', &raw, &bad) == 0)
		hvc_strv_free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvc_error err = { 0 };
	struct hvc_dockerfile *df = NULL;
	if (hvc_dockerfile_parse((const char *)data, size, "Dockerfile", &df, &err) == 0) {
		walk(df);
		hvc_dockerfile_free(df);
	} else if (!err.msg[0]) {
		fuzz_fail("parse failed without a message");
	}
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	char *line = strndup((const char *)data, n);
	expand_line(line);
	free(line);
	return 0;
}
