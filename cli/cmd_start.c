/* hvc start [-a] [-i] NAME...: starts stopped containers again, as docker
 * start does — the same id, name, upper layer (files written stay) and log,
 * its stored config, under a supervisor of its own as `run -d`
 * (hvc_ctr_start_again). -a then follows it as `hvc attach` does. */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

static void started(void *data, struct hvc_ctr *c)
{
	struct hvc_cli_sup_channel *ch = data;
	char msg[HVC_CTR_ID_LEN + 2];
	int n = snprintf(msg, sizeof(msg), "I%s", hvc_ctr_id(c));
	ssize_t w = write(ch->supervisor, msg, (size_t)n);
	(void)w;
	close(ch->supervisor);
}

/* 0 once started (or already running), else an exit status. */
static int start_one(const char *ref, char id[HVC_CTR_ID_LEN + 1], off_t *log_size)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr_state st;
	if (hvc_ctr_lookup(ref, id, &err) < 0 || hvc_ctr_reclaim_if_stale(id, &err) < 0 ||
	    hvc_ctr_state_read(id, &st, &err) < 0)
		return hvc_cli_fail("start", &err, HVC_EXIT_FAIL);
	_cleanup_free_ char *log = hvc_strdup_printf("%s/containers/%s/log", hvc_root(), id);
	struct stat sb;
	*log_size = stat(log, &sb) == 0 ? sb.st_size : 0;
	if (st.status == HVC_CTR_RUNNING)
		return 0; /* as docker: nothing to do, not an error */
	struct hvc_ctr_spec spec;
	hvc_ctr_spec_init(&spec);
	int rc = 0, p[2] = { -1, -1 };
	if (hvc_ctr_config_read(id, &spec, NULL, &err) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		rc = err.msg[0] ? hvc_cli_fail("start", &err, HVC_EXIT_FAIL)
				: (fprintf(stderr, "hvc: start: pipe: %s\n", strerror(errno)), HVC_EXIT_FAIL);
		goto out;
	}
	struct hvc_cli_sup_channel ch = { .caller = p[0], .supervisor = p[1] };
	struct hvc_ctr_supervisor sup = {
		.spec = &spec, .detach = true, .data = &ch, .restart_id = id,
		.io = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .log = true },
		.setup = hvc_cli_sup_setup, .failed = hvc_cli_sup_failed, .started = started,
	};
	if (hvc_ctr_supervise(&sup, &err) < 0) {
		rc = hvc_cli_fail("start", &err, HVC_EXIT_FAIL);
		goto out;
	}
	close(p[1]), p[1] = -1;
	char buf[4096];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (buf[0] != 'I')
		rc = buf[0] == 'E' ? (fprintf(stderr, "hvc: start: %s: %s\n", ref, buf + 4), HVC_EXIT_FAIL)
				   : (fprintf(stderr, "hvc: start: %s: the supervisor died\n", ref), HVC_EXIT_FAIL);
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	hvc_ctr_spec_free(&spec);
	return rc;
}

static const char start_usage[] = "Usage: hvc start [-a] [-i] [--detach-keys KEYS] CONTAINER...\n"
				  "Start stopped containers again: same id, name, files and log (appended),\n"
				  "the command and options they were run with. Prints each name.\n\n"
				  "  -a, --attach          follow its output until it exits; exit with its status\n"
				  "  -i, --interactive     -a, and your keys to a -t container's pty\n"
				  "      --detach-keys K   with -a: keys that detach (default ctrl-p,ctrl-q)\n";

int hvc_cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "attach", no_argument, NULL, 'a' }, { "interactive", no_argument, NULL, 'i' },
		{ "detach-keys", required_argument, NULL, 'K' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool attach = false, interactive = false;
	const char *key_spec = HVC_DETACH_KEYS_DEFAULT;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "aih", opts)) != -1) {
		switch (c) {
		case 'a': attach = true; break;
		case 'i': interactive = attach = true; break; /* docker: start -i attaches */
		case 'K': key_spec = optarg; break;
		case 'h': fputs(start_usage, stdout); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("start", "a container is required");
	if (attach && argc - optind > 1)
		return hvc_cli_usage_error("start", "-a: one container at a time");
	unsigned char keys[HVC_DETACH_KEYS_MAX];
	size_t n_keys = 0;
	struct hvc_error err = { 0 };
	if (hvc_ctr_detach_keys_parse(key_spec, keys, &n_keys, &err) < 0)
		return hvc_cli_fail("start", &err, HVC_EXIT_USAGE);
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		char id[HVC_CTR_ID_LEN + 1];
		off_t log_size = 0;
		int r = start_one(argv[i], id, &log_size);
		if (r) {
			rc = r;
			continue;
		}
		if (!attach) {
			printf("%s\n", argv[i]);
			continue;
		}
		struct hvc_cli_attach_opts o = { .cmd = "start", .id = id, .name = argv[i], .stdin_keys = interactive,
						 .sig_proxy = true, .keys = keys, .n_keys = n_keys };
		fflush(stdout);
		return hvc_cli_attach(&o, log_size);
	}
	return rc;
}
