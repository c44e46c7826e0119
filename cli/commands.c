/* The top-level command table. Adding a command touches this table only. */
#include "cli.h"

const struct hvc_cli_cmd hvc_cli_commands[] = {
	{ "info", hvc_cmd_info, "describe this host: CPU, memory, kernel, cgroups, isolation, accelerator" },
	{ NULL, NULL, NULL },
};
