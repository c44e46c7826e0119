/* hvc exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] NAME CMD...: run a command
 * inside a running container (same namespaces, cgroup, caps, seccomp). */
#include <getopt.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' }, { "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct hvc_ctr_exec_opts o = { 0 };
	_cleanup_strv_ char **env = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+ite:w:u:h", opts)) != -1) {
		switch (c) {
		case 'i': o.interactive = true; break;
		case 't': o.tty = true; break;
		case 'e': hvc_strv_push(&env, optarg); break;
		case 'w': o.workdir = optarg; break;
		case 'u': o.user = optarg; break;
		case 'h':
			printf("Usage: hvc exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD [ARG...]\n"
			       "Run a command in a running container (its namespaces, cgroup, caps, seccomp).\n\n"
			       "  -i, --interactive   keep stdin open\n"
			       "  -t, --tty           allocate a pseudo-terminal (with -i: stdin must be a terminal)\n"
			       "  -e, --env K=V       set an environment variable\n"
			       "  -w, --workdir DIR   working directory\n"
			       "  -u, --user USER     user[:group] to run as\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind + 2 > argc)
		return hvc_cli_usage_error("exec", "a container and a command are required");
	/* -it needs a terminal, as `run -it`: a pty has no EOF, so the command
	 * would wait forever on a pipe or /dev/null */
	if (o.tty && o.interactive && !isatty(0)) {
		hvc_cli_print_error("exec", "-it: the input device is not a TTY (use -i without -t to pipe input)",
				    NULL, HVC_EXIT_RUNTIME);
		return HVC_EXIT_RUNTIME;
	}
	o.env = env;
	o.argv = argv + optind + 1;
	struct hvc_error err = { 0 };
	char id[HVC_CTR_ID_LEN + 1];
	if (hvc_ctr_lookup(argv[optind], id, &err) < 0)
		return hvc_cli_fail("exec", &err, HVC_EXIT_RUNTIME);
	struct termios saved;
	bool raw = o.tty && o.interactive && isatty(0) && tcgetattr(0, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(0, TCSANOW, &t);
	}
	int rc = hvc_ctr_exec(id, &o, &err);
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	if (rc < 0)
		return hvc_cli_fail("exec", &err, HVC_EXIT_RUNTIME);
	return rc;
}
