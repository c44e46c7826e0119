/* hvc kill [-s SIG] NAME...: send a signal (default KILL) to the container's init. */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include "cli.h"
#include "hvc/container.h"

static int parse_signal(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*end && v > 0 && v < NSIG)
		return (int)v;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *n = sigabbrev_np(i);
		if (n && !strcasecmp(n, s))
			return i;
	}
	return -1;
}

int hvc_cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "signal", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int sig = SIGKILL, c;
	while ((c = hvc_cli_getopt(argc, argv, "s:h", opts)) != -1) {
		switch (c) {
		case 's':
			if ((sig = parse_signal(optarg)) < 0)
				return hvc_cli_usage_error("kill", "unknown signal \"%s\"", optarg);
			break;
		case 'h': printf("Usage: hvc kill [-s SIGNAL] CONTAINER...\n"); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("kill", "a container is required");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct hvc_error err = { 0 };
		char id[HVC_CTR_ID_LEN + 1];
		if (hvc_ctr_lookup(argv[i], id, &err) < 0 || hvc_ctr_kill(id, sig, &err) < 0)
			rc = hvc_cli_fail("kill", &err, HVC_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}
