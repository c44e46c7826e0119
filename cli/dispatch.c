/* Table dispatch and the uniform error/usage printing of every command. */
#include <getopt.h>
#include <string.h>
#include "cli.h"

static void list_commands(FILE *f, const char *group, const struct hvc_cli_cmd *t)
{
	fprintf(f, "Commands%s%s:\n", group ? " of hvc " : "", group ? group : "");
	for (; t->name; t++)
		if (t->summary) /* aliases have none: dispatched, not listed */
			fprintf(f, "  %-14s %s\n", t->name, t->summary);
}

/* `help CMD [SUB]`: CMD [SUB] --help. */
static int help_for(const char *group, const struct hvc_cli_cmd *table, int argc, char **argv)
{
	_cleanup_free_ char **v = hvc_xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 1; i < argc; i++)
		v[i - 1] = argv[i];
	v[argc - 1] = (char *)"--help";
	return hvc_cli_dispatch(group, table, argc, v);
}

int hvc_cli_dispatch(const char *group, const struct hvc_cli_cmd *table, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[0], "help"))
		return help_for(group, table, argc, argv);
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
		FILE *f = argc < 1 ? stderr : stdout;
		fprintf(f, "Usage: hvc %s%sCOMMAND [OPTIONS]\n", group ? group : "", group ? " " : "");
		list_commands(f, group, table);
		return argc < 1 ? HVC_EXIT_USAGE : HVC_EXIT_OK;
	}
	for (const struct hvc_cli_cmd *t = table; t->name; t++)
		if (!strcmp(t->name, argv[0])) {
			hvc_cli_getopt_reset();
			hvc_cli_set_cmd_path(group, t->name);
			return t->fn(argc, argv);
		}
	return hvc_cli_unknown_command(group, table, argv[0]);
}

void hvc_cli_getopt_reset(void)
{
	optind = 0; /* GNU: 0 re-initialises getopt's internal state */
	opterr = 1;
}
