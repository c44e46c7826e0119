/* engine/build/dockerfile_expand: Docker's word processing (quotes, escapes,
 * $VAR/${VAR}/${VAR:-x}/${VAR:+x}) and the ARG/ENV scope that turns parsed
 * instructions into executable steps. Pure: no files, no store. */
#include "hvc/build.h"
#include <ctype.h>
#include <string.h>

const char *hvc_env_get(char *const *env, const char *key)
{
	size_t kl = strlen(key);
	const char *v = NULL;
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, kl) && env[i][kl] == '=')
			v = env[i] + kl + 1; /* last one wins */
	return v;
}

int hvc_env_set(char ***env, const char *key, const char *value)
{
	_cleanup_free_ char *kv = hvc_strdup_printf("%s=%s", key, value);
	if (!kv)
		return -ENOMEM;
	size_t kl = strlen(key);
	for (size_t i = 0; *env && (*env)[i]; i++)
		if (!strncmp((*env)[i], key, kl) && (*env)[i][kl] == '=') {
			free((*env)[i]);
			(*env)[i] = steal_pointer(&kv);
			return 0;
		}
	return hvc_strv_push(env, kv) < 0 ? -ENOMEM : 0;
}

static int process_word(const char *w, size_t n, char *const *vars, char escape,
			struct hvc_strbuf *b, struct hvc_error *err);

/* At s[*i] == '$'. Appends the expansion and advances *i past it. */
static int expand_var(const char *s, size_t n, size_t *i, char *const *vars, char escape,
		      struct hvc_strbuf *b, struct hvc_error *err)
{
	size_t j = *i + 1;
	if (j < n && s[j] == '{') {
		j++;
		size_t ns = j;
		while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_'))
			j++;
		if (j == ns || j >= n)
			return hvc_err(err, 0, "bad substitution in \"%.*s\"", (int)n, s), -EINVAL;
		_cleanup_free_ char *name = strndup(s + ns, j - ns);
		if (!name)
			return hvc_err(err, ENOMEM, "expand");
		const char *val = hvc_env_get(vars, name);
		if (s[j] == '}') {
			if (val)
				hvc_strbuf_putn(b, val, strlen(val));
			*i = j + 1;
			return 0;
		}
		if (s[j] != ':' || j + 1 >= n || (s[j + 1] != '-' && s[j + 1] != '+'))
			return hvc_err(err, 0,
				       "bad substitution in \"%.*s\" (supported: ${VAR}, "
				       "${VAR:-default}, ${VAR:+alt})",
				       (int)n, s),
			       -EINVAL;
		char op = s[j + 1];
		size_t ws = j + 2, k = ws;
		int depth = 1;
		for (; k < n; k++) {
			if (s[k] == escape && k + 1 < n) {
				k++;
				continue;
			}
			if (s[k] == '{')
				depth++;
			else if (s[k] == '}' && --depth == 0)
				break;
		}
		if (k >= n)
			return hvc_err(err, 0, "missing '}' in \"%.*s\"", (int)n, s), -EINVAL;
		bool set = val && *val;
		if ((op == '-' && !set) || (op == '+' && set)) {
			int r = process_word(s + ws, k - ws, vars, escape, b, err);
			if (r < 0)
				return r;
		} else if (op == '-') {
			hvc_strbuf_putn(b, val, strlen(val));
		}
		*i = k + 1;
		return 0;
	}
	if (j < n && (isalpha((unsigned char)s[j]) || s[j] == '_')) {
		size_t ns = j;
		while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_'))
			j++;
		_cleanup_free_ char *name = strndup(s + ns, j - ns);
		if (!name)
			return hvc_err(err, ENOMEM, "expand");
		const char *val = hvc_env_get(vars, name);
		if (val)
			hvc_strbuf_putn(b, val, strlen(val));
		*i = j;
		return 0;
	}
	hvc_strbuf_putc(b, '$'); /* a lone $ is literal */
	*i = j;
	return 0;
}

static int process_word(const char *s, size_t n, char *const *vars, char escape,
			struct hvc_strbuf *b, struct hvc_error *err)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == escape) {
			if (i + 1 < n)
				hvc_strbuf_putc(b, s[i + 1]);
			else
				hvc_strbuf_putc(b, c);
			i += 2;
		} else if (c == '\'') {
			size_t e = i + 1;
			while (e < n && s[e] != '\'')
				e++;
			if (e >= n)
				return hvc_err(err, 0, "unterminated single quote in \"%.*s\"",
					       (int)n, s),
				       -EINVAL;
			hvc_strbuf_putn(b, s + i + 1, e - i - 1);
			i = e + 1;
		} else if (c == '"') {
			i++;
			for (;;) {
				if (i >= n)
					return hvc_err(err, 0,
						       "unterminated double quote in \"%.*s\"",
						       (int)n, s),
					       -EINVAL;
				char d = s[i];
				if (d == '"') {
					i++;
					break;
				}
				if (d == escape && i + 1 < n &&
				    (s[i + 1] == '"' || s[i + 1] == '$' || s[i + 1] == escape)) {
					hvc_strbuf_putc(b, s[i + 1]);
					i += 2;
				} else if (d == '$') {
					int r = expand_var(s, n, &i, vars, escape, b, err);
					if (r < 0)
						return r;
				} else {
					hvc_strbuf_putc(b, d);
					i++;
				}
			}
		} else if (c == '$') {
			int r = expand_var(s, n, &i, vars, escape, b, err);
			if (r < 0)
				return r;
		} else {
			hvc_strbuf_putc(b, c);
			i++;
		}
	}
	if (b->oom)
		return hvc_err(err, ENOMEM, "expand");
	return 0;
}

static char *word(const char *s, char *const *vars, char escape, struct hvc_error *err)
{
	struct hvc_strbuf b = {0};
	hvc_strbuf_putn(&b, "", 0);
	if (process_word(s, strlen(s), vars, escape, &b, err) < 0) {
		free(b.p);
		if (err)
			err->code = EINVAL;
		return NULL;
	}
	return b.p;
}

int hvc_df_expand_words(const char *text, char *const *vars, char escape, bool split, char ***words,
			struct hvc_error *err)
{
	_cleanup_strv_ char **raw = NULL;
	if (split) {
		const char *bad = NULL;
		int r = hvc_df_split_raw(text, escape, &raw, &bad);
		if (r == -EINVAL) {
			hvc_err(err, 0, "%s in \"%s\"", bad, text);
			if (err)
				err->code = EINVAL;
			return -EINVAL;
		}
		if (r < 0)
			return hvc_err(err, ENOMEM, "expand");
	} else if (hvc_strv_push(&raw, text) < 0) {
		return hvc_err(err, ENOMEM, "expand");
	}
	char **out = calloc(hvc_strv_len(raw) + 1, sizeof(char *));
	if (!out)
		return hvc_err(err, ENOMEM, "expand");
	for (size_t i = 0; raw && raw[i]; i++)
		if (!(out[i] = word(raw[i], vars, escape, err))) {
			hvc_strv_free(out);
			return -EINVAL;
		}
	*words = out;
	return 0;
}

void hvc_df_step_free(struct hvc_df_step *s)
{
	if (!s)
		return;
	hvc_strv_free(s->args);
	free(s->text);
	free(s);
}

void hvc_df_scope_clear(struct hvc_df_scope *sc)
{
	hvc_strv_free(sc->build_args);
	hvc_strv_free(sc->meta_args);
	hvc_strv_free(sc->args);
	hvc_strv_free(sc->env);
	hvc_strv_free(sc->used_build_args);
	hvc_strv_free(sc->shell);
	memset(sc, 0, sizeof(*sc));
}

/* Variables visible to substitution: ARGs, then ENV (ENV wins). */
static char **scope_vars(const struct hvc_df_scope *sc, bool in_from)
{
	if (in_from)
		return hvc_strv_dup(sc->meta_args ? sc->meta_args : (char *[]){NULL});
	char **v = hvc_strv_dup(sc->args ? sc->args : (char *[]){NULL});
	for (size_t i = 0; v && sc->env && sc->env[i]; i++)
		if (hvc_strv_push(&v, sc->env[i]) < 0) {
			hvc_strv_free(v);
			return NULL;
		}
	return v;
}

char **hvc_df_scope_run_env(const struct hvc_df_scope *sc)
{
	char **v = hvc_strv_dup(sc->args ? sc->args : (char *[]){NULL});
	for (size_t i = 0; v && sc->env && sc->env[i]; i++) {
		const char *eq = strchr(sc->env[i], '=');
		if (!eq)
			continue;
		_cleanup_free_ char *k = strndup(sc->env[i], (size_t)(eq - sc->env[i]));
		if (!k || hvc_env_set(&v, k, eq + 1) < 0) {
			hvc_strv_free(v);
			return NULL;
		}
	}
	return v;
}

/* ENV/LABEL: `K V...` (legacy, one pair) or `K=V K2="v 2"`. */
static int expand_pairs(const struct hvc_dockerfile *df, const struct hvc_df_instr *in,
			char *const *vars, char ***out, struct hvc_error *err)
{
	_cleanup_strv_ char **raw = NULL;
	const char *bad = NULL;
	int r = hvc_df_split_raw(in->rest, df->escape, &raw, &bad);
	if (r < 0 || !raw[0])
		return hvc_err(err, 0, "%s:%d: %s: %s", df->name, in->line, in->keyword,
			       bad ? bad : "bad arguments"),
		       -EINVAL;
	_cleanup_strv_ char **pairs = calloc(1, sizeof(char *));
	if (!pairs)
		return hvc_err(err, ENOMEM, "expand");
	if (!strchr(raw[0], '=')) {
		const char *v = in->rest + strlen(raw[0]);
		while (isspace((unsigned char)*v))
			v++;
		_cleanup_free_ char *k = word(raw[0], vars, df->escape, err);
		_cleanup_free_ char *val = k ? word(v, vars, df->escape, err) : NULL;
		if (!val)
			return -EINVAL;
		_cleanup_free_ char *kv = hvc_strdup_printf("%s=%s", k, val);
		if (!kv || hvc_strv_push(&pairs, kv) < 0)
			return hvc_err(err, ENOMEM, "expand");
	} else {
		for (size_t i = 0; raw[i]; i++) {
			char *eq = strchr(raw[i], '=');
			if (!eq)
				return hvc_err(err, 0, "%s:%d: %s: can't find = in \"%s\"",
					       df->name, in->line, in->keyword, raw[i]),
				       -EINVAL;
			*eq = '\0';
			_cleanup_free_ char *k = word(raw[i], vars, df->escape, err);
			_cleanup_free_ char *val = k ? word(eq + 1, vars, df->escape, err) : NULL;
			if (!val)
				return -EINVAL;
			if (!*k)
				return hvc_err(err, 0, "%s:%d: %s: empty name", df->name, in->line,
					       in->keyword),
				       -EINVAL;
			_cleanup_free_ char *kv = hvc_strdup_printf("%s=%s", k, val);
			if (!kv || hvc_strv_push(&pairs, kv) < 0)
				return hvc_err(err, ENOMEM, "expand");
		}
	}
	*out = steal_pointer(&pairs);
	return 0;
}

static char *canonical_text(const char *kw, char *const *args)
{
	_cleanup_json_ json_object *a = json_object_new_array();
	for (size_t i = 0; args && args[i]; i++)
		json_object_array_add(a, json_object_new_string(args[i]));
	return hvc_strdup_printf("%s %s", kw,
				 json_object_to_json_string_ext(
				     a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int declare_arg(struct hvc_df_scope *sc, const struct hvc_dockerfile *df,
		       const struct hvc_df_instr *in, bool before_from, const char *decl,
		       struct hvc_error *err)
{
	char ***target = before_from ? &sc->meta_args : &sc->args;
	const char *eq = strchr(decl, '=');
	_cleanup_free_ char *name = eq ? strndup(decl, (size_t)(eq - decl)) : strdup(decl);
	if (!name)
		return hvc_err(err, ENOMEM, "expand");
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return hvc_err(err, 0, "%s:%d: ARG: invalid name \"%s\"", df->name,
				       in->line, name),
			       -EINVAL;
	const char *given = hvc_env_get(sc->build_args, name);
	const char *value = NULL;
	if (given) {
		value = given;
		if (!hvc_env_get(sc->used_build_args, name) &&
		    hvc_env_set(&sc->used_build_args, name, "") < 0)
			return hvc_err(err, ENOMEM, "expand");
	} else if (eq) {
		value = eq + 1; /* already expanded by the caller */
	} else if (!before_from) {
		value =
		    hvc_env_get(sc->meta_args, name); /* `ARG X` after FROM re-imports a meta ARG */
	}
	if (!value)
		return 0; /* declared without a value: stays unset */
	return hvc_env_set(target, name, value) < 0 ? hvc_err(err, ENOMEM, "expand") : 0;
}

/* What expanding one instruction needs: the scope, where the instruction is,
 * and the variables it may use. */
struct step_ctx {
	struct hvc_df_scope *sc;
	const struct hvc_dockerfile *df;
	const struct hvc_df_instr *in;
	char *const *vars;
	bool before_from; /* ARGs before the first FROM are "meta" ARGs */
};

/* RUN/CMD/ENTRYPOINT: exec form as written, shell form wrapped in the SHELL. */
static int step_command(const struct step_ctx *c, struct hvc_df_step *st, struct hvc_error *err)
{
	if (c->in->json) {
		st->args = hvc_strv_dup(c->in->json_args);
	} else {
		st->shell_form = true;
		st->args =
		    hvc_strv_dup(c->sc->shell ? c->sc->shell : (char *[]){"/bin/sh", "-c", NULL});
		if (st->args && hvc_strv_push(&st->args, c->in->rest) < 0)
			return hvc_err(err, ENOMEM, "expand");
	}
	return st->args ? 0 : hvc_err(err, ENOMEM, "expand");
}

static int step_shell(const struct step_ctx *c, struct hvc_df_step *st)
{
	st->args = hvc_strv_dup(c->in->json_args);
	if (st->args) {
		hvc_strv_free(c->sc->shell);
		c->sc->shell = hvc_strv_dup(st->args);
	}
	return 0;
}

/* COPY/ADD/VOLUME: each JSON element expanded as one word, else split words. */
static int step_paths(const struct step_ctx *c, struct hvc_df_step *st, struct hvc_error *err)
{
	if (!c->in->json)
		return hvc_df_expand_words(c->in->rest, c->vars, c->df->escape, true, &st->args,
					   err);
	st->args = hvc_xcalloc(1, sizeof(char *));
	for (size_t i = 0; c->in->json_args[i]; i++) {
		_cleanup_free_ char *w = word(c->in->json_args[i], c->vars, c->df->escape, err);
		if (!w || hvc_strv_push(&st->args, w) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ARG NAME[=default]...: defaults expanded, each declaration applied to the scope. */
static int step_arg(const struct step_ctx *c, struct hvc_df_step *st, struct hvc_error *err)
{
	_cleanup_strv_ char **raw = NULL;
	int r = hvc_df_split_raw(c->in->rest, c->df->escape, &raw, NULL);
	st->args = hvc_xcalloc(1, sizeof(char *));
	for (size_t i = 0; r >= 0 && raw && raw[i]; i++) {
		char *eq = strchr(raw[i], '=');
		_cleanup_free_ char *decl = NULL;
		if (eq) {
			*eq = '\0';
			_cleanup_free_ char *dflt = word(eq + 1, c->vars, c->df->escape, err);
			if (!dflt)
				return -EINVAL;
			decl = hvc_strdup_printf("%s=%s", raw[i], dflt);
		} else {
			decl = strdup(raw[i]);
		}
		if (!decl || hvc_strv_push(&st->args, decl) < 0)
			r = hvc_err(err, ENOMEM, "expand");
		else
			r = declare_arg(c->sc, c->df, c->in, c->before_from, decl, err);
	}
	return r;
}

/* FROM IMAGE [AS NAME] -> image, alias; ARGs go back to the meta ARGs. */
static int check_from(const struct step_ctx *c, struct hvc_df_step *st, struct hvc_error *err)
{
	int r = 0;
	if (hvc_strv_len(st->args) == 3) {
		free(st->args[1]);
		st->args[1] = st->args[2];
		st->args[2] = NULL;
	}
	if (!st->args[0] || !*st->args[0])
		r = hvc_err(err, 0, "%s:%d: FROM: image name is empty after substitution",
			    c->df->name, c->in->line);
	hvc_strv_free(c->sc->args);
	c->sc->args = NULL;
	return r;
}

/* FROM/WORKDIR/USER/STOPSIGNAL/EXPOSE: words, checked per keyword. */
static int step_words(const struct step_ctx *c, struct hvc_df_step *st, struct hvc_error *err)
{
	const struct hvc_df_instr *in = c->in;
	int r = hvc_df_expand_words(in->rest, c->vars, c->df->escape, true, &st->args, err);
	if (r < 0)
		return r;
	if (in->kind == HVC_DF_FROM)
		return check_from(c, st, err);
	if (in->kind == HVC_DF_EXPOSE) {
		for (size_t i = 0; st->args[i]; i++)
			if (!hvc_df_valid_port(st->args[i]))
				return hvc_err(err, 0, "%s:%d: EXPOSE: invalid port \"%s\"",
					       c->df->name, in->line, st->args[i]);
		return r;
	}
	if (hvc_strv_len(st->args) != 1 || !*st->args[0])
		return hvc_err(err, 0, "%s:%d: %s: expected one non-empty value", c->df->name,
			       in->line, in->keyword);
	return r;
}

static int step_expand(const struct step_ctx *c, struct hvc_df_step *st, struct hvc_error *err)
{
	switch (c->in->kind) {
	case HVC_DF_RUN:
	case HVC_DF_CMD:
	case HVC_DF_ENTRYPOINT:
		return step_command(c, st, err);
	case HVC_DF_SHELL:
		return step_shell(c, st);
	case HVC_DF_COPY:
	case HVC_DF_ADD:
	case HVC_DF_VOLUME:
		return step_paths(c, st, err);
	case HVC_DF_ENV:
	case HVC_DF_LABEL:
		return expand_pairs(c->df, c->in, c->vars, &st->args, err);
	case HVC_DF_ARG:
		return step_arg(c, st, err);
	case HVC_DF_FROM:
	case HVC_DF_WORKDIR:
	case HVC_DF_USER:
	case HVC_DF_STOPSIGNAL:
	case HVC_DF_EXPOSE:
		return step_words(c, st, err);
	}
	return 0;
}

/* ENV pairs join the image env of the scope. */
static int apply_env(struct hvc_df_scope *sc, struct hvc_df_step *st, struct hvc_error *err)
{
	for (size_t i = 0; st->args[i]; i++) {
		char *eq = strchr(st->args[i], '=');
		*eq = '\0';
		int r = hvc_env_set(&sc->env, st->args[i], eq + 1) < 0
			    ? hvc_err(err, ENOMEM, "expand")
			    : 0;
		*eq = '=';
		if (r < 0)
			return r;
	}
	return 0;
}

static bool before_first_from(const struct hvc_dockerfile *df, const struct hvc_df_instr *in)
{
	for (size_t i = 0; i < df->n_instrs && &df->instrs[i] != in; i++)
		if (df->instrs[i].kind == HVC_DF_FROM)
			return false;
	return true;
}

int hvc_df_scope_step(struct hvc_df_scope *sc, const struct hvc_dockerfile *df,
		      const struct hvc_df_instr *in, struct hvc_df_step **out,
		      struct hvc_error *err)
{
	bool before_from = before_first_from(df, in);
	/* FROM itself sees only the meta ARGs */
	_cleanup_strv_ char **vars = scope_vars(sc, in->kind == HVC_DF_FROM || before_from);
	if (!vars)
		return hvc_err(err, ENOMEM, "expand");
	_cleanup_df_step_ struct hvc_df_step *st = hvc_xcalloc(1, sizeof(*st));
	st->kind = in->kind;
	st->line = in->line;
	struct step_ctx c = {
	    .sc = sc, .df = df, .in = in, .vars = vars, .before_from = before_from};
	int r = step_expand(&c, st, err);
	if (r >= 0 && !st->args)
		r = hvc_err(err, ENOMEM, "expand");
	if (r >= 0 && in->kind == HVC_DF_ENV)
		r = apply_env(sc, st, err);
	if (r >= 0 && !(st->text = canonical_text(in->keyword, st->args)))
		r = hvc_err(err, ENOMEM, "expand");
	if (r < 0) {
		if (err && strncmp(err->msg, df->name, strlen(df->name)))
			hvc_error_prefix(err, "%s:%d", df->name, in->line);
		if (err)
			err->code = err->code ? err->code : EINVAL;
		return r;
	}
	*out = steal_pointer(&st);
	return 0;
}
