/* The --format renderer (format.h): a template is compiled once into
 * segments (literal text or one action), checked against the command's
 * fields, then printed for every row. Tables are aligned the way docker's
 * tabwriter does it: a cell ended by a tab is padded to its column's widest
 * cell plus three spaces; a line's last cell is not aligned. */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include "format.h"

enum seg_kind { SEG_TEXT, SEG_FIELD, SEG_JSON_ROW, SEG_JSON_FIELD };

struct seg {
	enum seg_kind kind;
	char *text;	    /* SEG_TEXT: the literal; otherwise the field name */
	const char *header; /* the field's column header */
};

enum fmt_mode { FMT_JSON, FMT_TEMPLATE, FMT_TABLE };

struct hvc_fmt {
	enum fmt_mode mode;
	struct seg *segs;
	size_t n;
};

#define TABLE_PADDING 3

void hvc_fmt_free(struct hvc_fmt *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->segs[i].text);
	free(f->segs);
	free(f);
}

bool hvc_fmt_is_json(const struct hvc_fmt *f)
{
	return f && f->mode == FMT_JSON;
}

static void add_seg(struct hvc_fmt *f, enum seg_kind kind, char *text, const char *header)
{
	f->segs = hvc_xrealloc(f->segs, f->n + 1, sizeof(*f->segs));
	f->segs[f->n++] = (struct seg){ kind, text, header };
}

/* Literal text with docker's two escapes (\t, \n) turned into the characters. */
static void add_text(struct hvc_fmt *f, const char *s, size_t len)
{
	if (!len)
		return;
	char *t = hvc_xmalloc(len + 1), *o = t;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			*o++ = s[++i] == 't' ? '\t' : '\n';
			continue;
		}
		*o++ = s[i];
	}
	*o = '\0';
	add_seg(f, SEG_TEXT, t, NULL);
}

static int unknown_field(const char *name, const struct hvc_fmt_field *fields, struct hvc_error *err)
{
	char list[512] = "";
	for (const struct hvc_fmt_field *d = fields; d->name; d++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", d == fields ? "" : ", ", d->name);
	return hvc_err(err, 0, "unknown field \"%s\" in --format; the fields are: %s", name, list);
}

/* ".Name" or ".Name.Key..." -> the field's definition (the first name is the
 * command's field; the rest are keys inside it, looked up per row); NULL
 * (err filled) when it is not one. */
static const struct hvc_fmt_field *field_ref(const char *ref, const struct hvc_fmt_field *fields,
					     struct hvc_error *err)
{
	const char *name = ref + 1;
	size_t len = strcspn(name, ".");
	for (const struct hvc_fmt_field *d = fields; d->name; d++)
		if (strlen(d->name) == len && !strncmp(d->name, name, len))
			return d;
	_cleanup_free_ char *first = hvc_xasprintf("%.*s", (int)len, name);
	unknown_field(first, fields, err);
	return NULL;
}

/* ".Ident" or ".Ident.Ident...". */
static bool is_field_ref(const char *s)
{
	if (s[0] != '.' || !s[1])
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (!isalnum((unsigned char)p[1]) && p[1] != '_')
				return false;
		} else if (!isalnum((unsigned char)*p) && *p != '_') {
			return false;
		}
	}
	return true;
}

/* One {{ action }} (inner text, trimmed) -> a segment. */
static int add_action(struct hvc_fmt *f, const char *inner, const struct hvc_fmt_field *fields,
		      struct hvc_error *err)
{
	const struct hvc_fmt_field *d;
	if (is_field_ref(inner)) {
		if (!(d = field_ref(inner, fields, err)))
			return -1;
		add_seg(f, SEG_FIELD, hvc_xstrdup(inner + 1), d->header);
		return 0;
	}
	if (!strncmp(inner, "json", 4) && isspace((unsigned char)inner[4])) {
		const char *arg = inner + 5;
		while (isspace((unsigned char)*arg))
			arg++;
		if (!strcmp(arg, ".")) {
			add_seg(f, SEG_JSON_ROW, NULL, "");
			return 0;
		}
		if (is_field_ref(arg)) {
			if (!(d = field_ref(arg, fields, err)))
				return -1;
			add_seg(f, SEG_JSON_FIELD, hvc_xstrdup(arg + 1), d->header);
			return 0;
		}
	}
	return hvc_err(err, 0,
		       "unsupported template action \"{{%s}}\" in --format: hvc knows {{.Field}}, {{json .}} "
		       "and {{json .Field}}",
		       inner);
}

static int compile(struct hvc_fmt *f, const char *tpl, const struct hvc_fmt_field *fields, struct hvc_error *err)
{
	const char *p = tpl;
	for (;;) {
		const char *open = strstr(p, "{{");
		if (!open) {
			add_text(f, p, strlen(p));
			return 0;
		}
		add_text(f, p, (size_t)(open - p));
		const char *close = strstr(open + 2, "}}");
		if (!close)
			return hvc_err(err, 0, "unclosed \"{{\" in --format \"%s\"", tpl);
		const char *a = open + 2, *b = close;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		_cleanup_free_ char *inner = hvc_xasprintf("%.*s", (int)(b - a), a);
		if (add_action(f, inner, fields, err) < 0)
			return -1;
		p = close + 2;
	}
}

struct hvc_fmt *hvc_fmt_parse(const char *format, const char *default_table, const struct hvc_fmt_field *fields,
			      struct hvc_error *err)
{
	const char *s = format ? format : "";
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || !strcmp(s, "table"))
		s = default_table;
	struct hvc_fmt *f = hvc_xcalloc(1, sizeof(*f));
	if (!strcmp(s, "json")) {
		f->mode = FMT_JSON;
		return f;
	}
	f->mode = FMT_TEMPLATE;
	if (!strncmp(s, "table", 5) && isspace((unsigned char)s[5])) {
		f->mode = FMT_TABLE;
		for (s += 5; isspace((unsigned char)*s);)
			s++;
	}
	if (compile(f, s, fields, err) < 0) {
		hvc_fmt_free(f);
		return NULL;
	}
	return f;
}

/* ---------- printing ---------------------------------------------------- */

static void put_value(FILE *m, json_object *v)
{
	if (!v)
		return;
	if (json_object_is_type(v, json_type_string))
		fputs(json_object_get_string(v), m);
	else
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), m);
}

/* The value at path ("State.Status") in row; NULL when absent. */
static json_object *lookup(json_object *row, const char *path)
{
	_cleanup_free_ char *copy = hvc_xstrdup(path);
	char *save = NULL;
	json_object *v = row;
	for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, k, &v))
			v = NULL;
	return v;
}

/* The template for one row (row NULL: the header line). malloc'd. */
static char *render(const struct hvc_fmt *f, json_object *row)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		abort(); /* as hvc_xmalloc does: no memory for a line of output */
	for (size_t i = 0; i < f->n; i++) {
		const struct seg *s = &f->segs[i];
		if (s->kind == SEG_TEXT)
			fputs(s->text, m);
		else if (!row)
			fputs(s->header, m);
		else if (s->kind == SEG_FIELD)
			put_value(m, lookup(row, s->text));
		else
			fputs(json_object_to_json_string_ext(s->kind == SEG_JSON_ROW ? row : lookup(row, s->text),
							     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			      m);
	}
	fclose(m);
	return buf;
}

/* Aligns lines (each split at tabs) and prints them. */
static void print_aligned(char **lines, FILE *out)
{
	size_t widths[64] = { 0 };
	for (size_t i = 0; lines[i]; i++) {
		size_t col = 0, cell = 0;
		for (const char *p = lines[i]; *p; p++, cell++) {
			if (*p == '\t') {
				if (col < 64 && cell > widths[col])
					widths[col] = cell;
				col++, cell = (size_t)-1;
			}
		}
	}
	for (size_t i = 0; lines[i]; i++) {
		size_t col = 0, cell = 0;
		for (const char *p = lines[i]; *p; p++) {
			if (*p != '\t') {
				fputc(*p, out), cell++;
				continue;
			}
			size_t w = (col < 64 ? widths[col] : cell) + TABLE_PADDING;
			for (; cell < w; cell++)
				fputc(' ', out);
			col++, cell = 0;
		}
		fputc('\n', out);
	}
}

/* Appends text split at newlines to *lines. */
static void push_lines(char ***lines, const char *text)
{
	_cleanup_free_ char *copy = hvc_xstrdup(text);
	char *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		hvc_strv_push(lines, l);
}

void hvc_fmt_print(const struct hvc_fmt *f, json_object *rows, FILE *out)
{
	size_t n = rows ? json_object_array_length(rows) : 0;
	if (f->mode == FMT_JSON) {
		fprintf(out, "%s\n", hvc_json_pretty(rows));
		return;
	}
	if (f->mode == FMT_TEMPLATE) {
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *line = render(f, json_object_array_get_idx(rows, i));
			fprintf(out, "%s\n", line);
		}
		return;
	}
	_cleanup_strv_ char **lines = hvc_xcalloc(1, sizeof(char *));
	_cleanup_free_ char *header = render(f, NULL);
	push_lines(&lines, header);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *line = render(f, json_object_array_get_idx(rows, i));
		push_lines(&lines, line);
	}
	print_aligned(lines, out);
}

/* ---------- time ------------------------------------------------------- */

const char *hvc_fmt_duration(int64_t seconds, char *buf, size_t len)
{
	int64_t minutes = seconds / 60, hours = (seconds + 1800) / 3600;
	if (seconds < 1)
		snprintf(buf, len, "Less than a second");
	else if (seconds == 1)
		snprintf(buf, len, "1 second");
	else if (seconds < 60)
		snprintf(buf, len, "%lld seconds", (long long)seconds);
	else if (minutes == 1)
		snprintf(buf, len, "About a minute");
	else if (minutes < 60)
		snprintf(buf, len, "%lld minutes", (long long)minutes);
	else if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(seconds / 3600 / 24 / 365));
	return buf;
}

int64_t hvc_fmt_parse_time(const char *iso)
{
	struct tm tm = { 0 };
	const char *rest = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!rest)
		return -1;
	if (*rest == '.')
		for (rest++; isdigit((unsigned char)*rest);)
			rest++;
	if (strcmp(rest, "Z"))
		return -1;
	return (int64_t)timegm(&tm);
}
