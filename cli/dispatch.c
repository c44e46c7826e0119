/* Table dispatch and the uniform error/usage printing of every command. */
#include <getopt.h>
#include <string.h>
#include "cli.h"

static void list_commands(FILE *f, const char *group, const struct hvc_cli_cmd *t)
{
	fprintf(f, "Commands%s%s:\n", group ? " of hvc " : "", group ? group : "");
	for (; t->name; t++)
		fprintf(f, "  %-14s %s\n", t->name, t->summary);
}

int hvc_cli_dispatch(const char *group, const struct hvc_cli_cmd *table, int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
		FILE *f = argc < 1 ? stderr : stdout;
		fprintf(f, "Usage: hvc %s%sCOMMAND [OPTIONS]\n", group ? group : "", group ? " " : "");
		list_commands(f, group, table);
		return argc < 1 ? HVC_EXIT_USAGE : HVC_EXIT_OK;
	}
	for (const struct hvc_cli_cmd *t = table; t->name; t++)
		if (!strcmp(t->name, argv[0])) {
			hvc_cli_getopt_reset();
			return t->fn(argc, argv);
		}
	fprintf(stderr, "hvc: unknown command \"%s%s%s\"\n", group ? group : "", group ? " " : "", argv[0]);
	list_commands(stderr, group, table);
	return HVC_EXIT_USAGE;
}

int hvc_cli_fail(const char *what, const struct hvc_error *err, int status)
{
	fprintf(stderr, "hvc: %s: %s\n", what, err && err->msg[0] ? err->msg : "failed");
	return status;
}

int hvc_cli_usage_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hvc: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see: hvc %s --help)\n", what);
	return HVC_EXIT_USAGE;
}

void hvc_cli_getopt_reset(void)
{
	optind = 0; /* GNU: 0 re-initialises getopt's internal state */
	opterr = 1;
}
