/* The top-level command table. Adding a command touches this table only. */
#include "cli.h"

const struct hvc_cli_cmd hvc_cli_commands[] = {
	{ "info", hvc_cmd_info, "describe this host: CPU, memory, kernel, cgroups, isolation, accelerator" },
	{ "images", hvc_cmd_images, "list images (name, tag, digest, created, size)" },
	{ "image", hvc_cmd_image, "image store: import, ls, inspect, history, tree, rm, prune, save, load, du, fsck, tag" },
	{ "build", hvc_cmd_build, "build an image from a Dockerfile (one layer per RUN/COPY/ADD, cached)" },
	{ "bench", hvc_cmd_bench, "benchmark native vs container vs VM: run, report, compare" },
	{ "run", hvc_cmd_run, "run a command in a new container" },
	{ "ps", hvc_cmd_ps, "list containers" },
	{ "logs", hvc_cmd_logs, "show a container's output" },
	{ "stop", hvc_cmd_stop, "stop containers (SIGTERM, then SIGKILL)" },
	{ "kill", hvc_cmd_kill, "send a signal to containers" },
	{ "rm", hvc_cmd_rm, "remove containers" },
	{ "exec", hvc_cmd_exec, "run a command in a running container" },
	{ "stats", hvc_cmd_stats, "memory, CPU and pids of running containers" },
	{ "inspect", hvc_cmd_inspect, "config and state of containers (JSON)" },
	{ "wait", hvc_cmd_wait, "wait for containers to exit, print exit codes" },
	{ "port", hvc_cmd_port, "published ports of a container" },
	{ "network", hvc_cmd_network, "bridge networks: ls, inspect, create, rm" },
	{ "system", hvc_cmd_system, "system prune: reclaim leftovers" },
	{ "vm", hvc_cmd_vm, "run images as VMs (libvirt) and manage them" },
	{ "plan", hvc_cmd_plan, "capacity plan: extrapolate a density sweep to another host" },
	{ "pull", hvc_cmd_pull, "pull an image from a registry (OCI distribution spec)" },
	{ "push", hvc_cmd_push, "push an image to a registry" },
	{ "login", hvc_cmd_login, "store credentials for a registry ($HVC_ROOT/auth.json)" },
	{ "logout", hvc_cmd_logout, "remove a registry's stored credentials" },
	{ "version", hvc_cmd_version, "hvc's version and the kernel, libvirt, QEMU, libseccomp, runc, crun it runs on" },
	{ "container", hvc_cmd_container, "the container commands by docker's other names: ls, rm, inspect, ..." },
	/* aliases (no summary: dispatched and completed, not listed; docs/cli.md) */
	{ "rmi", hvc_cmd_rmi, NULL },
	{ NULL, NULL, NULL },
};
