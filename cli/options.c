/* One way for every command to read its options and to report a bad one
 * (docs/cli.md, "Errors and exit statuses"): each parser calls
 * hvc_cli_getopt() instead of getopt_long() and, for '?', returns
 * hvc_cli_bad_option(status). The message names the command as the user
 * typed it ("image ls", "container rm"), which hvc_cli_dispatch() records.
 * Also here: the unknown-command hint ("did you mean"), `--format json`
 * errors as JSON, and -h/--help for commands that take no options. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static char cmd_path[128] = "";
static char bad_option[256] = "";
static bool json_errors;

void hvc_cli_set_cmd_path(const char *group, const char *name)
{
	snprintf(cmd_path, sizeof(cmd_path), "%s%s%s", group ? group : "", group ? " " : "", name);
}

const char *hvc_cli_cmd_path(void)
{
	return cmd_path;
}

void hvc_cli_set_format(const char *format)
{
	const char *s = format ? format : "";
	while (*s == ' ')
		s++;
	json_errors = !strcmp(s, "json");
}

bool hvc_cli_json_errors(void)
{
	return json_errors;
}

/* "--name=value" -> "--name" into buf. */
static const char *flag_name(const char *arg, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	return buf;
}

/* Why getopt_long returned c ('?' or ':') for the element it just read. */
static void record_bad(int c, char **argv, const struct option *longopts)
{
	char name[128];
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	bool is_long = arg && !strncmp(arg, "--", 2) && arg[2];
	if (c == ':') {
		if (is_long)
			snprintf(bad_option, sizeof(bad_option), "flag %s needs an argument", flag_name(arg, name, sizeof(name)));
		else
			snprintf(bad_option, sizeof(bad_option), "flag -%c needs an argument", optopt);
		return;
	}
	if (optopt && is_long) { /* a known long flag given "=value" it does not take */
		for (const struct option *o = longopts; o && o->name; o++)
			if (o->val == optopt && !strcmp(flag_name(arg, name, sizeof(name)) + 2, o->name)) {
				snprintf(bad_option, sizeof(bad_option), "flag --%s takes no argument", o->name);
				return;
			}
	}
	if (optopt) {
		snprintf(bad_option, sizeof(bad_option), "unknown flag -%c", optopt);
		return;
	}
	flag_name(is_long ? arg : "?", name, sizeof(name));
	char matches[160] = "";
	unsigned n = 0;
	for (const struct option *o = longopts; o && o->name; o++)
		if (!strncmp(o->name, name + 2, strlen(name + 2)) && ++n)
			snprintf(matches + strlen(matches), sizeof(matches) - strlen(matches), "%s--%s", n > 1 ? ", " : "",
				 o->name);
	if (n > 1)
		snprintf(bad_option, sizeof(bad_option), "ambiguous flag %s (%s)", name, matches);
	else
		snprintf(bad_option, sizeof(bad_option), "unknown flag %s", name);
}

int hvc_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	/* ':' first (after a '+' or '-' ordering mark): a missing argument returns ':' */
	char spec[128];
	int mode = shortopts[0] == '+' || shortopts[0] == '-';
	snprintf(spec, sizeof(spec), "%.*s:%s", mode, shortopts, shortopts + mode);
	opterr = 0;
	int c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?' || c == ':') {
		record_bad(c, argv, longopts);
		return '?';
	}
	return c;
}

/* {"error": "CMD: message", "code": status} on stderr. */
static void print_json_error(const char *what, const char *msg, int status)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *text = what ? hvc_xasprintf("%s: %s", what, msg) : hvc_xstrdup(msg);
	hvc_json_add_string(o, "error", text);
	hvc_json_add_int(o, "code", status);
	fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Every error line of the CLI goes through here. */
void hvc_cli_print_error(const char *what, const char *msg, const char *hint, int status)
{
	if (json_errors) {
		print_json_error(what, msg, status);
		return;
	}
	fprintf(stderr, "hvc: %s%s%s", what ? what : "", what ? ": " : "", msg);
	if (hint)
		fprintf(stderr, " (see 'hvc %s%s--help')", hint, *hint ? " " : "");
	fputc('\n', stderr);
}

int hvc_cli_bad_option(int status)
{
	hvc_cli_print_error(cmd_path[0] ? cmd_path : NULL, bad_option[0] ? bad_option : "unhandled flag", cmd_path, status);
	bad_option[0] = '\0';
	return status;
}

int hvc_cli_parse_none(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c != 'h')
			return hvc_cli_bad_option(HVC_EXIT_USAGE);
		printf("%s", usage);
		return HVC_EXIT_OK;
	}
	return -1;
}

/* A command whose only option is -f/--format: as hvc_cli_parse_none, the
 * format in *format (and set for the printers). */
int hvc_cli_parse_format(int argc, char **argv, const char *usage, const char **format)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "f:h", opts)) != -1) {
		switch (c) {
		case 'f': *format = optarg; hvc_cli_set_format(optarg); break;
		case 'h': printf("%s", usage); return HVC_EXIT_OK;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	return -1;
}

/* ---------- unknown commands ------------------------------------------- */

/* Edit distance (insert, delete, substitute, swap of neighbours), capped. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 31 || lb > 31)
		return 99;
	size_t d[32][32];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* Up to three names of table near name, nearest first: "; did you mean "a" or "b"". */
static unsigned suggestions(const struct hvc_cli_cmd *table, const char *name, char *hint, size_t len)
{
	const char *best[3] = { NULL, NULL, NULL };
	size_t dist[3] = { 0 }, n = 0;
	for (const struct hvc_cli_cmd *t = table; t->name; t++) {
		size_t d = distance(name, t->name);
		if (strlen(name) >= 2 && !strncmp(t->name, name, strlen(name)))
			d = d < 2 ? d : 2; /* a prefix counts as near */
		if (d > 2)
			continue;
		size_t at = n < 3 ? n++ : 3;
		while (at > 0 && dist[at - 1] > d) {
			if (at < 3)
				best[at] = best[at - 1], dist[at] = dist[at - 1];
			at--;
		}
		if (at < 3)
			best[at] = t->name, dist[at] = d;
	}
	hint[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(hint + strlen(hint), len - strlen(hint), "%s\"%s\"", i ? " or " : "; did you mean ", best[i]);
	return (unsigned)n;
}

int hvc_cli_unknown_command(const char *group, const struct hvc_cli_cmd *table, const char *name)
{
	char hint[256];
	unsigned n = suggestions(table, name, hint, sizeof(hint));
	char msg[512];
	if (name[0] == '-')
		snprintf(msg, sizeof(msg), "unknown flag %s", name);
	else
		snprintf(msg, sizeof(msg), "unknown command \"%s\"%s%s", name, hint, n ? "?" : "");
	hvc_cli_print_error(group, msg, group ? group : "", HVC_EXIT_USAGE);
	return HVC_EXIT_USAGE;
}

int hvc_cli_fail(const char *what, const struct hvc_error *err, int status)
{
	hvc_cli_print_error(what, err && err->msg[0] ? err->msg : "failed", NULL, status);
	return status;
}

int hvc_cli_usage_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hvc_cli_print_error(what, msg, what, HVC_EXIT_USAGE);
	return HVC_EXIT_USAGE;
}

int hvc_cli_parse_seconds(const char *cmd, const char *s, long max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || !*s || v < 0 || v > max)
		return hvc_cli_usage_error(cmd, "-t \"%s\": not a number of seconds", s);
	*out = (int)v;
	return 0;
}
