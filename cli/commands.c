/* The top-level command table. Adding a command touches this table only. */
#include "cli.h"

const struct hvc_cli_cmd hvc_cli_commands[] = {
	{ "info", hvc_cmd_info, "describe this host: CPU, memory, kernel, cgroups, isolation, accelerator" },
	{ "images", hvc_cmd_images, "list images (name, tag, digest, created, size)" },
	{ "image", hvc_cmd_image, "image store: import, ls, inspect, history, tree, rm, prune, save, load, du, fsck, tag" },
	{ "build", hvc_cmd_build, "build an image from a Dockerfile (one layer per RUN/COPY/ADD, cached)" },
	{ "bench", hvc_cmd_bench, "benchmark native vs container vs VM: run, report, compare" },
	{ "run", hvc_cmd_run, "run a command in a new container" },
	{ NULL, NULL, NULL },
};
