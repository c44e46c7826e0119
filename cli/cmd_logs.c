/* hvc logs [-f] [-n N] NAME: the container's kept output (stdout and stderr,
 * in arrival order); -f follows until the container exits, --tail N starts
 * N lines from the end. The log is the raw byte stream the container wrote
 * (engine/runtime/runtime_io.c), with no time per line: -t is refused. */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

#define LOGS_USAGE "Usage: hvc logs [-f] [-n|--tail N|all] CONTAINER\n"

/* The offset at which the last `lines` lines of fd begin (a last line without
 * its newline counts as one; a final newline ends a line, it starts none),
 * read backwards in blocks. */
static off_t tail_offset(int fd, long lines)
{
	off_t end = lseek(fd, 0, SEEK_END), pos = end;
	if (end <= 0 || lines == 0)
		return end > 0 ? end : 0;
	char buf[8192];
	long seen = 0;
	while (pos > 0) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		if (pread(fd, buf, n, pos - (off_t)n) != (ssize_t)n)
			return 0;
		for (size_t i = n; i-- > 0;) {
			off_t at = pos - (off_t)n + (off_t)i;
			if (buf[i] == '\n' && at != end - 1 && ++seen == lines)
				return at + 1;
		}
		pos -= (off_t)n;
	}
	return 0;
}

/* -1: all lines (docker's "all"), else N >= 0. */
static int parse_tail(const char *s, long *out)
{
	if (!strcmp(s, "all")) {
		*out = -1;
		return 0;
	}
	char *e;
	errno = 0;
	long v = strtol(s, &e, 10);
	if (errno || e == s || *e || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Copies fd to stdout; with follow, until the container stops running. */
static void copy_log(int fd, const char *p, const char *id, bool follow)
{
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
}

int hvc_cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' }, { "tail", required_argument, NULL, 'n' },
		{ "timestamps", no_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool follow = false;
	long tail = -1;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "fn:th", opts)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 'n':
			if (parse_tail(optarg, &tail) < 0)
				return hvc_cli_usage_error("logs", "--tail \"%s\": expected a number of lines or all", optarg);
			break;
		case 't':
			return hvc_cli_usage_error("logs", "-t/--timestamps: the log keeps the container's output as "
							   "bytes, with no time per line");
		case 'h': printf(LOGS_USAGE); return 0;
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
	if (fd >= 0 && tail >= 0 && lseek(fd, tail_offset(fd, tail), SEEK_SET) < 0) {
		hvc_err(&err, errno, "seek in `%s`", p);
		close(fd);
		return hvc_cli_fail("logs", &err, HVC_EXIT_FAIL);
	}
	copy_log(fd, p, id, follow);
	return 0;
}
