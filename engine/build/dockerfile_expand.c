/* engine/build/dockerfile_expand: Docker's word processing (quotes, escapes,
 * $VAR/${VAR}/${VAR:-x}/${VAR:+x}) and the ARG/ENV scope that turns parsed
 * instructions into executable steps. Pure: no files, no store. */
#include <ctype.h>
#include <string.h>
#include "hvc/build.h"

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

static int process_word(const char *w, size_t n, char *const *vars, char escape, struct hvc_strbuf *b,
			struct hvc_error *err);

/* At s[*i] == '$'. Appends the expansion and advances *i past it. */
static int expand_var(const char *s, size_t n, size_t *i, char *const *vars, char escape, struct hvc_strbuf *b,
		      struct hvc_error *err)
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
			return hvc_err(err, 0, "bad substitution in \"%.*s\" (supported: ${VAR}, ${VAR:-default}, ${VAR:+alt})",
				       (int)n, s), -EINVAL;
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

static int process_word(const char *s, size_t n, char *const *vars, char escape, struct hvc_strbuf *b,
			struct hvc_error *err)
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
				return hvc_err(err, 0, "unterminated single quote in \"%.*s\"", (int)n, s), -EINVAL;
			hvc_strbuf_putn(b, s + i + 1, e - i - 1);
			i = e + 1;
		} else if (c == '"') {
			i++;
			for (;;) {
				if (i >= n)
					return hvc_err(err, 0, "unterminated double quote in \"%.*s\"", (int)n, s), -EINVAL;
				char d = s[i];
				if (d == '"') {
					i++;
					break;
				}
				if (d == escape && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '$' || s[i + 1] == escape)) {
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
	struct hvc_strbuf b = { 0 };
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
		return hvc_strv_dup(sc->meta_args ? sc->meta_args : (char *[]){ NULL });
	char **v = hvc_strv_dup(sc->args ? sc->args : (char *[]){ NULL });
	for (size_t i = 0; v && sc->env && sc->env[i]; i++)
		if (hvc_strv_push(&v, sc->env[i]) < 0) {
			hvc_strv_free(v);
			return NULL;
		}
	return v;
}

char **hvc_df_scope_run_env(const struct hvc_df_scope *sc)
{
	char **v = hvc_strv_dup(sc->args ? sc->args : (char *[]){ NULL });
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
static int expand_pairs(const struct hvc_dockerfile *df, const struct hvc_df_instr *in, char *const *vars,
			char ***out, struct hvc_error *err)
{
	_cleanup_strv_ char **raw = NULL;
	const char *bad = NULL;
	int r = hvc_df_split_raw(in->rest, df->escape, &raw, &bad);
	if (r < 0 || !raw[0])
		return hvc_err(err, 0, "%s:%d: %s: %s", df->name, in->line, in->keyword, bad ? bad : "bad arguments"),
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
				return hvc_err(err, 0, "%s:%d: %s: can't find = in \"%s\"", df->name, in->line,
					       in->keyword, raw[i]), -EINVAL;
			*eq = '\0';
			_cleanup_free_ char *k = word(raw[i], vars, df->escape, err);
			_cleanup_free_ char *val = k ? word(eq + 1, vars, df->escape, err) : NULL;
			if (!val)
				return -EINVAL;
			if (!*k)
				return hvc_err(err, 0, "%s:%d: %s: empty name", df->name, in->line, in->keyword), -EINVAL;
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
				 json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int declare_arg(struct hvc_df_scope *sc, const struct hvc_dockerfile *df, const struct hvc_df_instr *in,
		       bool before_from, const char *decl, struct hvc_error *err)
{
	char ***target = before_from ? &sc->meta_args : &sc->args;
	const char *eq = strchr(decl, '=');
	_cleanup_free_ char *name = eq ? strndup(decl, (size_t)(eq - decl)) : strdup(decl);
	if (!name)
		return hvc_err(err, ENOMEM, "expand");
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return hvc_err(err, 0, "%s:%d: ARG: invalid name \"%s\"", df->name, in->line, name), -EINVAL;
	const char *given = hvc_env_get(sc->build_args, name);
	const char *value = NULL;
	if (given) {
		value = given;
		if (!hvc_env_get(sc->used_build_args, name) && hvc_env_set(&sc->used_build_args, name, "") < 0)
			return hvc_err(err, ENOMEM, "expand");
	} else if (eq) {
		value = eq + 1; /* already expanded by the caller */
	} else if (!before_from) {
		value = hvc_env_get(sc->meta_args, name); /* `ARG X` after FROM re-imports a meta ARG */
	}
	if (!value)
		return 0; /* declared without a value: stays unset */
	return hvc_env_set(target, name, value) < 0 ? hvc_err(err, ENOMEM, "expand") : 0;
}

int hvc_df_scope_step(struct hvc_df_scope *sc, const struct hvc_dockerfile *df, const struct hvc_df_instr *in,
		      struct hvc_df_step **out, struct hvc_error *err)
{
	/* ARGs before the first FROM are "meta" ARGs; FROM itself sees only those. */
	bool before_from = true;
	for (size_t i = 0; i < df->n_instrs && &df->instrs[i] != in; i++)
		if (df->instrs[i].kind == HVC_DF_FROM)
			before_from = false;
	_cleanup_strv_ char **vars = scope_vars(sc, in->kind == HVC_DF_FROM || before_from);
	struct hvc_df_step *st = calloc(1, sizeof(*st));
	if (!st || !vars) {
		free(st);
		return hvc_err(err, ENOMEM, "expand");
	}
	st->kind = in->kind;
	st->line = in->line;
	int r = 0;
	switch (in->kind) {
	case HVC_DF_RUN:
	case HVC_DF_CMD:
	case HVC_DF_ENTRYPOINT:
		if (in->json) {
			st->args = hvc_strv_dup(in->json_args);
		} else {
			st->shell_form = true;
			st->args = hvc_strv_dup(sc->shell ? sc->shell : (char *[]){ "/bin/sh", "-c", NULL });
			if (st->args && hvc_strv_push(&st->args, in->rest) < 0)
				r = hvc_err(err, ENOMEM, "expand");
		}
		if (!st->args)
			r = hvc_err(err, ENOMEM, "expand");
		break;
	case HVC_DF_SHELL:
		st->args = hvc_strv_dup(in->json_args);
		if (st->args) {
			hvc_strv_free(sc->shell);
			sc->shell = hvc_strv_dup(st->args);
		}
		break;
	case HVC_DF_COPY:
	case HVC_DF_ADD:
	case HVC_DF_VOLUME:
		if (in->json) {
			st->args = calloc(1, sizeof(char *));
			for (size_t i = 0; !r && in->json_args[i]; i++) {
				_cleanup_free_ char *w = word(in->json_args[i], vars, df->escape, err);
				if (!w || hvc_strv_push(&st->args, w) < 0)
					r = -EINVAL;
			}
		} else {
			r = hvc_df_expand_words(in->rest, vars, df->escape, true, &st->args, err);
		}
		break;
	case HVC_DF_ENV:
	case HVC_DF_LABEL:
		r = expand_pairs(df, in, vars, &st->args, err);
		break;
	case HVC_DF_ARG: {
		_cleanup_strv_ char **raw = NULL;
		r = hvc_df_split_raw(in->rest, df->escape, &raw, NULL);
		st->args = calloc(1, sizeof(char *));
		for (size_t i = 0; r >= 0 && raw && raw[i]; i++) {
			char *eq = strchr(raw[i], '=');
			_cleanup_free_ char *decl = NULL;
			if (eq) {
				*eq = '\0';
				_cleanup_free_ char *dflt = word(eq + 1, vars, df->escape, err);
				if (!dflt) {
					r = -EINVAL;
					break;
				}
				decl = hvc_strdup_printf("%s=%s", raw[i], dflt);
			} else {
				decl = strdup(raw[i]);
			}
			if (!decl || hvc_strv_push(&st->args, decl) < 0)
				r = hvc_err(err, ENOMEM, "expand");
			else
				r = declare_arg(sc, df, in, before_from, decl, err);
		}
		break;
	}
	case HVC_DF_FROM:
	case HVC_DF_WORKDIR:
	case HVC_DF_USER:
	case HVC_DF_STOPSIGNAL:
	case HVC_DF_EXPOSE:
		r = hvc_df_expand_words(in->rest, vars, df->escape, true, &st->args, err);
		if (r < 0)
			break;
		if (in->kind == HVC_DF_FROM) {
			if (hvc_strv_len(st->args) == 3) { /* IMAGE AS NAME -> image, alias */
				free(st->args[1]);
				st->args[1] = st->args[2];
				st->args[2] = NULL;
			}
			if (!st->args[0] || !*st->args[0])
				r = hvc_err(err, 0, "%s:%d: FROM: image name is empty after substitution", df->name,
					    in->line);
			hvc_strv_free(sc->args);
			sc->args = NULL;
		} else if (in->kind == HVC_DF_EXPOSE) {
			for (size_t i = 0; st->args[i]; i++)
				if (!hvc_df_valid_port(st->args[i])) {
					r = hvc_err(err, 0, "%s:%d: EXPOSE: invalid port \"%s\"", df->name, in->line,
						    st->args[i]);
					break;
				}
		} else if (hvc_strv_len(st->args) != 1 || !*st->args[0]) {
			r = hvc_err(err, 0, "%s:%d: %s: expected one non-empty value", df->name, in->line, in->keyword);
		}
		break;
	}
	if (r >= 0 && !st->args)
		r = hvc_err(err, ENOMEM, "expand");
	if (r >= 0 && in->kind == HVC_DF_ENV)
		for (size_t i = 0; st->args[i] && r >= 0; i++) {
			char *eq = strchr(st->args[i], '=');
			*eq = '\0';
			r = hvc_env_set(&sc->env, st->args[i], eq + 1) < 0 ? hvc_err(err, ENOMEM, "expand") : 0;
			*eq = '=';
		}
	if (r >= 0 && !(st->text = canonical_text(in->keyword, st->args)))
		r = hvc_err(err, ENOMEM, "expand");
	if (r < 0) {
		if (err && strncmp(err->msg, df->name, strlen(df->name))) {
			hvc_error_prefix(err, "%s:%d", df->name, in->line);
		}
		if (err)
			err->code = err->code ? err->code : EINVAL;
		hvc_df_step_free(st);
		return r < 0 ? r : -EINVAL;
	}
	*out = st;
	return 0;
}
