/* engine/build/dockerfile: the Dockerfile parser. Pure: a buffer in, a list of
 * instructions (with line numbers) out; no files, no store. Variable
 * substitution lives in engine/build/dockerfile_expand.c. */
#include "hvc/build.h"
#include <ctype.h>
#include <string.h>

static const struct {
	const char *kw;
	enum hvc_df_kind kind;
} keywords[] = {
    {"FROM", HVC_DF_FROM},	 {"RUN", HVC_DF_RUN},
    {"COPY", HVC_DF_COPY},	 {"ADD", HVC_DF_ADD},
    {"ENV", HVC_DF_ENV},	 {"ARG", HVC_DF_ARG},
    {"WORKDIR", HVC_DF_WORKDIR}, {"USER", HVC_DF_USER},
    {"CMD", HVC_DF_CMD},	 {"ENTRYPOINT", HVC_DF_ENTRYPOINT},
    {"LABEL", HVC_DF_LABEL},	 {"EXPOSE", HVC_DF_EXPOSE},
    {"VOLUME", HVC_DF_VOLUME},	 {"STOPSIGNAL", HVC_DF_STOPSIGNAL},
    {"SHELL", HVC_DF_SHELL},
};

/* Known to Docker, refused here with a clear message rather than "unknown". */
static const char *const unsupported[] = {"HEALTHCHECK", "ONBUILD", NULL};

const char *hvc_df_kind_name(enum hvc_df_kind k)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].kind == k)
			return keywords[i].kw;
	return "?";
}

/* Syntax errors carry EINVAL but no strerror suffix: the message says it all. */
static int syntax_err(struct hvc_error *err, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int syntax_err(struct hvc_error *err, const char *name, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		hvc_err(err, 0, "%s:%d: %s", name, line, msg);
	else
		hvc_err(err, 0, "%s: %s", name, msg);
	if (err)
		err->code = EINVAL;
	return -EINVAL;
}

static void instr_clear(struct hvc_df_instr *in)
{
	free(in->keyword);
	hvc_strv_free(in->flags);
	free(in->rest);
	hvc_strv_free(in->json_args);
}

void hvc_dockerfile_free(struct hvc_dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->n_instrs; i++)
		instr_clear(&df->instrs[i]);
	free(df->instrs);
	free(df->name);
	hvc_strv_free(df->warnings);
	free(df);
}

static void warn_push(struct hvc_dockerfile *df, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn_push(struct hvc_dockerfile *df, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	_cleanup_free_ char *s = hvc_strdup_printf("%s:%d: %s", df->name, line, msg);
	if (s)
		hvc_strv_push(&df->warnings, s);
}

/* A physical line of the buffer. */
struct pline {
	const char *p;
	size_t len;
};

static size_t split_lines(const char *buf, size_t len, struct pline **out)
{
	size_t n = 0, cap = 16;
	struct pline *v = malloc(cap * sizeof(*v));
	if (!v)
		return (size_t)-1;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && buf[j] != '\n')
			j++;
		size_t l = j - i;
		if (l > 0 && buf[i + l - 1] == '\r')
			l--;
		if (n == cap) {
			struct pline *nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv) {
				free(v);
				return (size_t)-1;
			}
			v = nv;
		}
		v[n++] = (struct pline){buf + i, l};
		i = j + 1;
	}
	*out = v;
	return n;
}

static bool line_blank(const struct pline *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (!isspace((unsigned char)l->p[i]))
			return false;
	return true;
}

static bool line_comment(const struct pline *l)
{
	size_t i = 0;
	while (i < l->len && isspace((unsigned char)l->p[i]))
		i++;
	return i < l->len && l->p[i] == '#';
}

/* "# key=value" at the top of the file. Returns true and fills key/value. */
static bool parse_directive(const struct pline *l, char *key, size_t klen, char *val, size_t vlen)
{
	size_t i = 0, n = l->len;
	const char *p = l->p;
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	if (i >= n || p[i] != '#')
		return false;
	i++;
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	size_t ks = i;
	while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '_' || p[i] == '-'))
		i++;
	size_t ke = i;
	if (ke == ks || ke - ks >= klen)
		return false;
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	if (i >= n || p[i] != '=')
		return false;
	i++;
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	size_t ve = n;
	while (ve > i && isspace((unsigned char)p[ve - 1]))
		ve--;
	if (ve - i >= vlen)
		return false;
	for (size_t k = ks; k < ke; k++)
		key[k - ks] = tolower((unsigned char)p[k]);
	key[ke - ks] = '\0';
	memcpy(val, p + i, ve - i);
	val[ve - i] = '\0';
	return true;
}

/* Does the line continue (ends with the escape char, maybe followed by
 * blanks)? Sets *content_len to the length without escape and blanks. */
static bool line_continues(const struct pline *l, char escape, size_t *content_len)
{
	size_t e = l->len;
	while (e > 0 && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t'))
		e--;
	if (e > 0 && l->p[e - 1] == escape) {
		*content_len = e - 1;
		return true;
	}
	*content_len = l->len;
	return false;
}

/* Exec form: a JSON array of strings. Anything else is shell form (as Docker
 * does: `RUN [ -f x ]` is a shell test, not broken JSON). */
static char **parse_json_array(const char *s)
{
	if (*s != '[')
		return NULL;
	_cleanup_json_ json_object *o = json_tokener_parse(s);
	if (!o || !json_object_is_type(o, json_type_array))
		return NULL;
	size_t n = json_object_array_length(o);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(o, i);
		if (!json_object_is_type(e, json_type_string) ||
		    !(v[i] = strdup(json_object_get_string(e)))) {
			hvc_strv_free(v);
			return NULL;
		}
	}
	return v;
}

static int validate(struct hvc_dockerfile *df, struct hvc_df_instr *in, struct hvc_error *err);

/* The keyword at *p (advanced past it): 1 with *kind, 0 for one that is
 * ignored with a warning (MAINTAINER), or a syntax error naming it. */
static int parse_keyword(struct hvc_dockerfile *df, int line, const char **p, char kw[32],
			 int *kind, struct hvc_error *err)
{
	while (isspace((unsigned char)**p))
		(*p)++;
	const char *ks = *p;
	while (**p && !isspace((unsigned char)**p))
		(*p)++;
	size_t kl = (size_t)(*p - ks);
	if (kl >= 32)
		return syntax_err(err, df->name, line, "unknown instruction: %.*s",
				  (int)(kl > 40 ? 40 : kl), ks);
	for (size_t i = 0; i < kl; i++)
		kw[i] = toupper((unsigned char)ks[i]);
	kw[kl] = '\0';
	*kind = -1;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(keywords[i].kw, kw))
			*kind = (int)keywords[i].kind;
	if (*kind >= 0)
		return 1;
	if (!strcmp(kw, "MAINTAINER")) {
		warn_push(df, line, "MAINTAINER is deprecated and ignored (use LABEL)");
		return 0;
	}
	for (size_t i = 0; unsupported[i]; i++)
		if (!strcmp(unsupported[i], kw))
			return syntax_err(err, df->name, line, "%s is not supported by hvc build", kw);
	return syntax_err(err, df->name, line, "unknown instruction: %.*s", (int)kl, ks);
}

/* Leading --flags at *p (Docker accepts them on FROM, RUN, COPY, ADD). */
static int parse_flags(const char **p, char ***flags)
{
	while ((*p)[0] == '-' && (*p)[1] == '-') {
		const char *fs = *p;
		while (**p && !isspace((unsigned char)**p))
			(*p)++;
		_cleanup_free_ char *f = hvc_xasprintf("%.*s", (int)(*p - fs), fs);
		if (hvc_strv_push(flags, f) < 0)
			return -1;
		while (isspace((unsigned char)**p))
			(*p)++;
	}
	return 0;
}

static int add_instruction(struct hvc_dockerfile *df, int line, const char *text,
			   struct hvc_error *err)
{
	const char *p = text;
	char kw[32];
	int kind = -1;
	int r = parse_keyword(df, line, &p, kw, &kind, err);
	if (r <= 0)
		return r;
	struct hvc_df_instr in = {.kind = kind, .line = line};
	in.keyword = hvc_xstrdup(kw);
	in.flags = hvc_xcalloc(1, sizeof(char *));
	while (isspace((unsigned char)*p))
		p++;
	if ((kind == HVC_DF_FROM || kind == HVC_DF_RUN || kind == HVC_DF_COPY ||
	     kind == HVC_DF_ADD) &&
	    parse_flags(&p, &in.flags) < 0) {
		instr_clear(&in);
		return hvc_err(err, ENOMEM, "parse");
	}
	in.rest = hvc_xstrdup(p);
	hvc_str_trim(in.rest);
	if (kind == HVC_DF_RUN || kind == HVC_DF_CMD || kind == HVC_DF_ENTRYPOINT ||
	    kind == HVC_DF_COPY || kind == HVC_DF_ADD || kind == HVC_DF_VOLUME ||
	    kind == HVC_DF_SHELL) {
		in.json_args = parse_json_array(in.rest);
		in.json = in.json_args != NULL;
	}
	if (validate(df, &in, err) < 0) {
		instr_clear(&in);
		return -EINVAL;
	}
	df->instrs = hvc_xrealloc(df->instrs, df->n_instrs + 1, sizeof(*df->instrs));
	df->instrs[df->n_instrs++] = in;
	return 0;
}

/* Splits on unquoted, unescaped whitespace, keeping quotes and escapes (the
 * words are then processed one by one; see dockerfile_expand.c). */
int hvc_df_split_raw(const char *s, char escape, char ***out, const char **bad)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	size_t i = 0, n = strlen(s);
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		size_t st = i;
		char q = 0;
		while (i < n) {
			char c = s[i];
			if (q) {
				if (c == escape && q == '"' && i + 1 < n)
					i++;
				else if (c == q)
					q = 0;
			} else if (c == escape && i + 1 < n) {
				i++;
			} else if (c == '\'' || c == '"') {
				q = c;
			} else if (isspace((unsigned char)c)) {
				break;
			}
			i++;
		}
		if (q) {
			if (bad)
				*bad = q == '"' ? "unterminated double quote"
						: "unterminated single quote";
			return -EINVAL;
		}
		_cleanup_free_ char *w = strndup(s + st, i - st);
		if (!w || hvc_strv_push(&v, w) < 0)
			return -ENOMEM;
	}
	*out = steal_pointer(&v);
	return 0;
}

/* Checks the words of ENV/LABEL: either `KEY value...` or `K=V K2=V2`. */
static int validate_pairs(struct hvc_dockerfile *df, struct hvc_df_instr *in, char **raw,
			  struct hvc_error *err)
{
	size_t n = hvc_strv_len(raw);
	if (n == 0)
		return syntax_err(err, df->name, in->line, "%s requires at least one argument",
				  in->keyword);
	if (!strchr(raw[0], '=')) {
		if (n < 2)
			return syntax_err(err, df->name, in->line,
					  "%s %s: missing value (use %s KEY=VALUE or %s KEY VALUE)",
					  in->keyword, raw[0], in->keyword, in->keyword);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(raw[i], '=');
		if (!eq)
			return syntax_err(
			    err, df->name, in->line,
			    "%s: can't find = in \"%s\"; must be of the form: name=value",
			    in->keyword, raw[i]);
		if (eq == raw[i])
			return syntax_err(err, df->name, in->line, "%s: empty name in \"%s\"",
					  in->keyword, raw[i]);
	}
	return 0;
}

static bool valid_port(const char *w)
{
	/* 80, 80/tcp, 8000-8010/udp; variables are checked after expansion */
	if (strchr(w, '$'))
		return true;
	const char *p = w;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '-') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == '/')
		return !strcasecmp(p + 1, "tcp") || !strcasecmp(p + 1, "udp") ||
		       !strcasecmp(p + 1, "sctp");
	return *p == '\0';
}

bool hvc_df_valid_port(const char *w)
{
	return valid_port(w);
}

/* Flags Docker accepts: --platform on FROM (ignored with a warning), --chown,
 * --chmod and --link on COPY/ADD; COPY --from (multi-stage) is refused. */
static int validate_flags(struct hvc_dockerfile *df, const struct hvc_df_instr *in,
			  struct hvc_error *err)
{
	bool copy = in->kind == HVC_DF_COPY || in->kind == HVC_DF_ADD;
	for (size_t i = 0; in->flags[i]; i++) {
		const char *f = in->flags[i];
		if (in->kind == HVC_DF_FROM && hvc_str_has_prefix(f, "--platform=")) {
			warn_push(df, in->line, "FROM %s ignored (hvc builds for this host)", f);
		} else if (copy && (hvc_str_has_prefix(f, "--chown=") ||
				    hvc_str_has_prefix(f, "--chmod="))) {
			if (!f[8])
				return syntax_err(err, df->name, in->line, "%s %s: missing value",
						  in->keyword, f);
		} else if (copy && hvc_str_has_prefix(f, "--link")) {
			warn_push(
			    df, in->line,
			    "%s %s ignored (layers are always independent of their parent here)",
			    in->keyword, f);
		} else if (in->kind == HVC_DF_COPY && hvc_str_has_prefix(f, "--from")) {
			return syntax_err(
			    err, df->name, in->line,
			    "COPY --from is not supported (hvc builds single-stage Dockerfiles)");
		} else {
			return syntax_err(err, df->name, in->line,
					  "%s: unknown or unsupported flag %s", in->keyword, f);
		}
	}
	return 0;
}

static int validate_from(struct hvc_dockerfile *df, const struct hvc_df_instr *in, char **raw,
			 size_t n, struct hvc_error *err)
{
	if (n == 1)
		return 0;
	if (n == 3 && !strcasecmp(raw[1], "AS")) {
		for (const char *c = raw[2]; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("_-.", *c))
				return syntax_err(err, df->name, in->line,
						  "FROM: invalid stage name \"%s\"", raw[2]);
		return 0;
	}
	if (n == 0)
		return syntax_err(err, df->name, in->line,
				  "FROM requires an image name (or scratch)");
	return syntax_err(err, df->name, in->line, "FROM: expected IMAGE [AS NAME], got \"%s\"",
			  in->rest);
}

static int validate_arg(struct hvc_dockerfile *df, const struct hvc_df_instr *in, char **raw,
			size_t n, struct hvc_error *err)
{
	if (n == 0)
		return syntax_err(err, df->name, in->line, "ARG requires a name");
	for (size_t i = 0; i < n; i++)
		if (raw[i][0] == '=')
			return syntax_err(err, df->name, in->line, "ARG: empty name in \"%s\"",
					  raw[i]);
	return 0;
}

static int validate_expose(struct hvc_dockerfile *df, const struct hvc_df_instr *in, char **raw,
			   size_t n, struct hvc_error *err)
{
	if (n == 0)
		return syntax_err(err, df->name, in->line, "EXPOSE requires at least one port");
	for (size_t i = 0; i < n; i++)
		if (!valid_port(raw[i]))
			return syntax_err(err, df->name, in->line,
					  "EXPOSE: invalid port \"%s\" (expected PORT[/tcp|udp])",
					  raw[i]);
	return 0;
}

/* The arguments of one instruction: n words (raw, unexpanded; the JSON array's
 * length in exec form). */
static int validate_args(struct hvc_dockerfile *df, struct hvc_df_instr *in, char **raw, size_t n,
			 struct hvc_error *err)
{
	switch (in->kind) {
	case HVC_DF_FROM:
		return validate_from(df, in, raw, n, err);
	case HVC_DF_RUN:
		if (in->json ? n == 0 : !*in->rest)
			return syntax_err(err, df->name, in->line, "RUN requires a command");
		return 0;
	case HVC_DF_CMD:
	case HVC_DF_ENTRYPOINT:
		if (!in->json && !*in->rest)
			return syntax_err(err, df->name, in->line,
					  "%s requires a command (or [] for none)", in->keyword);
		return 0;
	case HVC_DF_COPY:
	case HVC_DF_ADD:
		if (n < 2)
			return syntax_err(err, df->name, in->line,
					  "%s requires at least a source and a destination",
					  in->keyword);
		return 0;
	case HVC_DF_ENV:
	case HVC_DF_LABEL:
		return validate_pairs(df, in, raw, err);
	case HVC_DF_ARG:
		return validate_arg(df, in, raw, n, err);
	case HVC_DF_SHELL:
		if (!in->json || n == 0)
			return syntax_err(
			    err, df->name, in->line,
			    "SHELL requires the JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]");
		return 0;
	case HVC_DF_VOLUME:
		if (n == 0)
			return syntax_err(err, df->name, in->line,
					  "VOLUME requires at least one path");
		return 0;
	case HVC_DF_WORKDIR:
	case HVC_DF_USER:
	case HVC_DF_STOPSIGNAL:
		if (n != 1)
			return syntax_err(err, df->name, in->line,
					  "%s requires exactly one argument%s", in->keyword,
					  n ? " (quote values with spaces)" : "");
		return 0;
	case HVC_DF_EXPOSE:
		return validate_expose(df, in, raw, n, err);
	}
	return 0;
}

static int validate(struct hvc_dockerfile *df, struct hvc_df_instr *in, struct hvc_error *err)
{
	const char *bad = NULL;
	_cleanup_strv_ char **raw = NULL;
	bool shellish =
	    (in->kind == HVC_DF_RUN || in->kind == HVC_DF_CMD || in->kind == HVC_DF_ENTRYPOINT) &&
	    !in->json;
	if (!shellish && !in->json) {
		int r = hvc_df_split_raw(in->rest, df->escape, &raw, &bad);
		if (r == -EINVAL)
			return syntax_err(err, df->name, in->line, "%s: %s", in->keyword, bad);
		if (r < 0)
			return hvc_err(err, ENOMEM, "parse");
	}
	size_t n = in->json ? hvc_strv_len(in->json_args) : hvc_strv_len(raw);
	int r = validate_flags(df, in, err);
	return r < 0 ? r : validate_args(df, in, raw, n, err);
}

/* Parser directives (escape=, syntax=): only before anything else, including
 * blank lines. *i is left on the first line that is not one. */
static int parse_directives(struct hvc_dockerfile *df, struct pline *lines, size_t nl, size_t *i,
			    struct hvc_error *err)
{
	bool seen_escape = false, seen_syntax = false;
	for (; *i < nl; (*i)++) {
		char key[64], val[256];
		int line = (int)*i + 1;
		if (!parse_directive(&lines[*i], key, sizeof(key), val, sizeof(val)))
			break;
		if (!strcmp(key, "escape")) {
			if (seen_escape)
				return syntax_err(err, df->name, line,
						  "only one escape parser directive can be used");
			seen_escape = true;
			if (strcmp(val, "\\") && strcmp(val, "`"))
				return syntax_err(err, df->name, line,
						  "invalid escape token '%s' (must be ` or \\)",
						  val);
			df->escape = val[0];
		} else if (!strcmp(key, "syntax")) {
			if (seen_syntax)
				return syntax_err(err, df->name, line,
						  "only one syntax parser directive can be used");
			seen_syntax = true;
			warn_push(df, line,
				  "parser directive syntax=%s ignored (hvc has its own parser)",
				  val);
		} else {
			warn_push(df, line, "unknown parser directive %s ignored", key);
		}
	}
	return 0;
}

/* The instruction starting at line *i joined over its continuation lines
 * (comment and blank lines inside it dropped, as Docker does); *i is left on
 * its last line. */
static int join_instruction(struct hvc_dockerfile *df, struct pline *lines, size_t nl, size_t *i,
			    char **text, struct hvc_error *err)
{
	size_t tlen = 0, cl;
	*text = NULL;
	FILE *m = open_memstream(text, &tlen);
	if (!m)
		return hvc_err(err, errno, "parse");
	bool cont = line_continues(&lines[*i], df->escape, &cl);
	fwrite(lines[*i].p, 1, cl, m);
	while (cont && *i + 1 < nl) {
		(*i)++;
		if (line_comment(&lines[*i]) || line_blank(&lines[*i]))
			continue;
		cont = line_continues(&lines[*i], df->escape, &cl);
		fwrite(lines[*i].p, 1, cl, m);
	}
	fclose(m);
	return *text ? 0 : hvc_err(err, ENOMEM, "parse");
}

/* Single-stage: one FROM, and only ARGs before it. */
static int check_order(struct hvc_dockerfile *df, int start, bool *seen_from, struct hvc_error *err)
{
	if (df->n_instrs == 0)
		return 0;
	struct hvc_df_instr *last = &df->instrs[df->n_instrs - 1];
	if (last->line != start)
		return 0; /* directive-like instruction that added nothing (MAINTAINER) */
	if (last->kind == HVC_DF_FROM) {
		if (*seen_from)
			return syntax_err(err, df->name, start,
					  "multi-stage builds are not supported (second FROM)");
		*seen_from = true;
	} else if (!*seen_from && last->kind != HVC_DF_ARG) {
		return syntax_err(err, df->name, start,
				  "the first instruction must be FROM (or ARG), got %s",
				  last->keyword);
	}
	return 0;
}

static int parse_instructions(struct hvc_dockerfile *df, struct pline *lines, size_t nl, size_t i,
			      struct hvc_error *err)
{
	bool seen_from = false;
	for (; i < nl; i++) {
		if (line_blank(&lines[i]) || line_comment(&lines[i]))
			continue;
		int start = (int)i + 1;
		_cleanup_free_ char *text = NULL;
		int r = join_instruction(df, lines, nl, &i, &text, err);
		if (r < 0 || (r = add_instruction(df, start, text, err)) < 0 ||
		    (r = check_order(df, start, &seen_from, err)) < 0)
			return r;
	}
	if (!seen_from)
		return syntax_err(
		    err, df->name, 0,
		    "no FROM instruction (a Dockerfile starts with FROM IMAGE or FROM scratch)");
	return 0;
}

int hvc_dockerfile_parse(const char *buf, size_t len, const char *name, struct hvc_dockerfile **out,
			 struct hvc_error *err)
{
	_cleanup_dockerfile_ struct hvc_dockerfile *df = hvc_xcalloc(1, sizeof(*df));
	df->name = hvc_xstrdup(name ? name : "Dockerfile");
	df->escape = '\\';
	if (memchr(buf, '\0', len))
		return syntax_err(err, df->name, 0, "contains a NUL byte (not a text file)");
	_cleanup_free_ struct pline *lines = NULL;
	size_t nl = split_lines(buf, len, &lines);
	if (nl == (size_t)-1)
		return hvc_err(err, ENOMEM, "parse");
	size_t i = 0;
	int r = parse_directives(df, lines, nl, &i, err);
	if (r == 0)
		r = parse_instructions(df, lines, nl, i, err);
	if (r < 0)
		return r;
	*out = steal_pointer(&df);
	return 0;
}
