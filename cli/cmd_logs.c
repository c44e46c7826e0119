/* hvc logs [-f] NAME: the container's kept output (stdout and stderr, in
 * arrival order); -f follows until the container exits. */
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool follow = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "fh", opts)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 'h': printf("Usage: hvc logs [-f] CONTAINER\n"); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc)
		return hvc_cli_usage_error("logs", "exactly one container expected");
	struct hvc_error err = { 0 };
	char id[HVC_CTR_ID_LEN + 1];
	if (hvc_ctr_lookup(argv[optind], id, &err) < 0)
		return hvc_cli_fail("logs", &err, HVC_EXIT_FAIL);
	_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/log", hvc_root(), id);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		hvc_err(&err, errno, "open `%s`", p);
		return hvc_cli_fail("logs", &err, HVC_EXIT_FAIL);
	}
	char buf[65536];
	for (;;) {
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;
		if (n > 0) {
			if (write(1, buf, (size_t)n) != n)
				break;
			continue;
		}
		if (!follow)
			break;
		struct hvc_ctr_state st;
		if (hvc_ctr_reclaim_if_stale(id, NULL) < 0 || hvc_ctr_state_read(id, &st, NULL) < 0 ||
		    st.status != HVC_CTR_RUNNING) {
			/* one last read: output written just before the exit */
			while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
				if (write(1, buf, (size_t)n) != n)
					break;
			break;
		}
		if (fd < 0)
			fd = open(p, O_RDONLY | O_CLOEXEC);
		usleep(100000);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
