/* hvc attach [--no-stdin] [--sig-proxy=false] [--detach-keys K] NAME: the
 * output of a running container from now on (and, for a -t container and a
 * terminal, its keyboard) until it exits or ctrl-p ctrl-q (cli/attach_follow.c). */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "hvc/container.h"

enum { O_NO_STDIN = 0x100, O_SIG_PROXY, O_KEYS };

static const char attach_usage[] =
	"Usage: hvc attach [OPTIONS] CONTAINER\n"
	"Attach to a running container: its output from now on (followed in its log)\n"
	"and, when it has a pty (run -dit) and stdin is a terminal, your keys.\n"
	"Ends with the container's exit status, or 0 on the detach keys.\n\n"
	"  --no-stdin            do not send the keyboard to the container\n"
	"  --sig-proxy=false     do not pass ctrl-c (SIGINT), SIGTERM, SIGHUP on: they detach\n"
	"  --detach-keys KEYS    keys that detach (default ctrl-p,ctrl-q)\n";

int hvc_cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-stdin", no_argument, NULL, O_NO_STDIN }, { "sig-proxy", optional_argument, NULL, O_SIG_PROXY },
		{ "detach-keys", required_argument, NULL, O_KEYS }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char keys[HVC_DETACH_KEYS_MAX];
	size_t n_keys = 0;
	struct hvc_cli_attach_opts o = { .cmd = "attach", .stdin_keys = true, .sig_proxy = true, .keys = keys };
	struct hvc_error err = { 0 };
	const char *key_spec = HVC_DETACH_KEYS_DEFAULT;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case O_NO_STDIN: o.stdin_keys = false; break;
		case O_SIG_PROXY:
			if (optarg && strcmp(optarg, "true") && strcmp(optarg, "false"))
				return hvc_cli_usage_error("attach", "--sig-proxy \"%s\": true or false", optarg);
			o.sig_proxy = !optarg || !strcmp(optarg, "true");
			break;
		case O_KEYS: key_spec = optarg; break;
		case 'h': fputs(attach_usage, stdout); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc)
		return hvc_cli_usage_error("attach", "exactly one container expected");
	if (hvc_ctr_detach_keys_parse(key_spec, keys, &n_keys, &err) < 0)
		return hvc_cli_fail("attach", &err, HVC_EXIT_USAGE);
	o.n_keys = n_keys;
	char id[HVC_CTR_ID_LEN + 1];
	struct hvc_ctr_state st;
	if (hvc_ctr_lookup(argv[optind], id, &err) < 0 || hvc_ctr_reclaim_if_stale(id, &err) < 0 ||
	    hvc_ctr_state_read(id, &st, &err) < 0)
		return hvc_cli_fail("attach", &err, HVC_EXIT_FAIL);
	if (st.status != HVC_CTR_RUNNING) {
		hvc_err(&err, 0, "container %s is not running (hvc start -a %s)", argv[optind], argv[optind]);
		return hvc_cli_fail("attach", &err, HVC_EXIT_FAIL);
	}
	o.id = id;
	o.name = argv[optind];
	return hvc_cli_attach(&o, -1);
}
