/* hvc cp CONTAINER:SRC DEST | SRC CONTAINER:DEST: files between a container
 * (running or stopped) and the host, docker cp's path rules; the container
 * side is resolved inside its root (engine/runtime/runtime_cp.c). */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "hvc/container.h"

static const char cp_usage[] =
	"Usage: hvc cp [-a] [-L] CONTAINER:SRC_PATH DEST_PATH\n"
	"       hvc cp [-a] [-L] SRC_PATH CONTAINER:DEST_PATH\n"
	"Copy files or directories between a container (running or stopped) and the host.\n"
	"As docker cp: DEST an existing directory: SRC is copied into it; SRC ending in /.:\n"
	"its contents are; a symlink is copied as a symlink. Paths in the container resolve\n"
	"inside it (its symlinks never lead to the host). Files get the copier's owner\n"
	"(into a --userns container: its root).\n\n"
	"  -a, --archive       keep the source's uid/gid\n"
	"  -L, --follow-link   follow SRC_PATH's own symlinks (they are copied as links otherwise)\n";

/* "NAME:PATH" -> name (into buf) and path; NULL when arg is a host path
 * (no colon, or a / or . before it, as docker decides). */
static const char *container_part(const char *arg, char *name, size_t len)
{
	const char *colon = strchr(arg, ':');
	if (!colon || arg[0] == '/' || arg[0] == '.' || colon == arg || (size_t)(colon - arg) >= len)
		return NULL;
	if (memchr(arg, '/', (size_t)(colon - arg)))
		return NULL;
	snprintf(name, len, "%.*s", (int)(colon - arg), arg);
	return colon + 1;
}

int hvc_cmd_cp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", no_argument, NULL, 'a' }, { "follow-link", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },    { NULL, 0, NULL, 0 },
	};
	struct hvc_ctr_cp_opts o = { 0 };
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "aLh", opts)) != -1) {
		switch (c) {
		case 'a': o.archive = true; break;
		case 'L': o.follow = true; break;
		case 'h': fputs(cp_usage, stdout); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind != 2)
		return hvc_cli_usage_error("cp", "a source and a destination expected");
	if (!strcmp(argv[optind], "-") || !strcmp(argv[optind + 1], "-"))
		return hvc_cli_usage_error("cp", "- (a tar stream on stdin/stdout) is not supported: use a path");
	char sname[256], dname[256];
	const char *spath = container_part(argv[optind], sname, sizeof(sname));
	const char *dpath = container_part(argv[optind + 1], dname, sizeof(dname));
	if (!!spath == !!dpath)
		return hvc_cli_usage_error("cp", spath ? "copying between containers is not supported"
						      : "one of the paths must be CONTAINER:PATH");
	if (!*(spath ? spath : dpath))
		return hvc_cli_usage_error("cp", "an empty path in the container");
	struct hvc_error err = { 0 };
	char id[HVC_CTR_ID_LEN + 1];
	if (hvc_ctr_lookup(spath ? sname : dname, id, &err) < 0)
		return hvc_cli_fail("cp", &err, HVC_EXIT_FAIL);
	o.to_ctr = !spath;
	o.ctr_path = spath ? spath : dpath;
	o.host_path = argv[spath ? optind + 1 : optind];
	return hvc_ctr_cp(id, &o, &err) < 0 ? hvc_cli_fail("cp", &err, HVC_EXIT_FAIL) : 0;
}
