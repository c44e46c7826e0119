/* hvc container COMMAND: the container commands under docker's and podman's
 * other names (`container ls`, `container rm`, ...), so a docker user's
 * habits work; each entry is the top-level command itself. */
#include "cli.h"

static const struct hvc_cli_cmd container_cmds[] = {
	{ "ls", hvc_cmd_ps, "list containers (hvc ps)" },
	{ "ps", hvc_cmd_ps, NULL },
	{ "list", hvc_cmd_ps, NULL },
	{ "run", hvc_cmd_run, "run a command in a new container (hvc run)" },
	{ "rm", hvc_cmd_rm, "remove containers (hvc rm)" },
	{ "inspect", hvc_cmd_inspect, "config and state of containers (hvc inspect)" },
	{ "logs", hvc_cmd_logs, "a container's output (hvc logs)" },
	{ "stop", hvc_cmd_stop, "stop containers (hvc stop)" },
	{ "kill", hvc_cmd_kill, "signal containers (hvc kill)" },
	{ "exec", hvc_cmd_exec, "run a command in a running container (hvc exec)" },
	{ "stats", hvc_cmd_stats, "memory, CPU and pids (hvc stats)" },
	{ "wait", hvc_cmd_wait, "wait for containers to exit (hvc wait)" },
	{ "port", hvc_cmd_port, "published ports (hvc port)" },
	{ "start", hvc_cmd_start, "start stopped containers (hvc start)" },
	{ "attach", hvc_cmd_attach, "attach to a running container (hvc attach)" },
	{ "cp", hvc_cmd_cp, "copy files to or from a container (hvc cp)" },
	{ "top", hvc_cmd_top, "processes of a container (hvc top)" },
	{ NULL, NULL, NULL },
};

int hvc_cmd_container(int argc, char **argv)
{
	return hvc_cli_dispatch("container", container_cmds, argc - 1, argv + 1);
}
