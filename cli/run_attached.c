/* hvc run -it: the container runs under a supervisor process of its own and
 * this process only attaches the terminal to its pty, so that ctrl-p ctrl-q
 * (--detach-keys) can leave it running — `hvc exec -it NAME sh` gets back in,
 * `hvc stop`/`rm -f` end it — as with `docker run -it`.
 *
 *   this process ── fork ──> supervisor: hvc_ctr_start(), sends "I<id>" and
 *   the pty master (SCM_RIGHTS) over a socketpair, then reads nothing from
 *   the pty until this process is done with it: a 'D' ("drained: the
 *   container exited") or EOF (detached, or killed). Then hvc_ctr_wait()
 *   logs the rest, reaps, tears down (--rm), and reports "S<status>" if
 *   anyone is still listening.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

static void send_msg(int sock, const char *msg, int fd)
{
	hvc_send_with_fd(sock, msg, strlen(msg), fd);
}

/* A message (NUL-terminated into buf) and the fd it carried (-1: none). */
static ssize_t recv_msg(int sock, char *buf, size_t len, int *fd)
{
	ssize_t n = hvc_recv_with_fd(sock, buf, len - 1, fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static __attribute__((noreturn)) void supervise(struct hvc_ctr_spec *s, int sock)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr *c;
	int hint;
	char msg[sizeof(err.msg) + 16];
	if (hvc_ctr_start(s, &c, &hint, &err) < 0) {
		snprintf(msg, sizeof(msg), "E%03d%s", hint, err.msg);
		send_msg(sock, msg, -1);
		_exit(hint);
	}
	/* the terminal is the attached process's from now on; a hang-up of it
	 * must not reach the container's supervisor */
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
	snprintf(msg, sizeof(msg), "I%s", hvc_ctr_id(c));
	send_msg(sock, msg, hvc_ctr_tty_master(c));
	char d = 0;
	ssize_t r;
	while ((r = read(sock, &d, 1)) < 0 && errno == EINTR)
		;
	bool listening = r == 1 && d == 'D';
	struct hvc_ctr_io io = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .log = true };
	int rc = hvc_ctr_wait(c, &io, &err);
	if (listening) {
		if (rc < 0)
			snprintf(msg, sizeof(msg), "E%03d%s", HVC_EXIT_RUNTIME, err.msg);
		else
			snprintf(msg, sizeof(msg), "S%d", rc);
		send_msg(sock, msg, -1);
	}
	_exit(0);
}

int hvc_cli_run_attached(struct hvc_ctr_spec *s, const unsigned char *keys, size_t n_keys)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return fprintf(stderr, "hvc: run: socketpair: %s\n", strerror(errno)), HVC_EXIT_RUNTIME;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return fprintf(stderr, "hvc: run: fork: %s\n", strerror(errno)), HVC_EXIT_RUNTIME;
	if (pid == 0) {
		close(sv[0]);
		supervise(s, sv[1]);
	}
	close(sv[1]);
	char buf[2048];
	int master = -1;
	if (recv_msg(sv[0], buf, sizeof(buf), &master) <= 0 || buf[0] != 'I' || master < 0) {
		waitpid(pid, NULL, 0);
		if (buf[0] == 'E') {
			int hint = atoi((char[4]){ buf[1], buf[2], buf[3], 0 });
			fprintf(stderr, "hvc: run: %s\n", buf + 4);
			return hint ? hint : HVC_EXIT_RUNTIME;
		}
		fprintf(stderr, "hvc: run: the supervisor died before starting the container\n");
		return HVC_EXIT_RUNTIME;
	}
	char id[HVC_CTR_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", buf + 1);
	_cleanup_free_ char *dir = hvc_ctr_dir_root();
	_cleanup_free_ char *log = hvc_strdup_printf("%s/%s/log", dir, id);
	int logfd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;

	struct termios saved, raw;
	bool is_raw = isatty(0) && tcgetattr(0, &saved) == 0;
	if (is_raw) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	struct hvc_error err = { 0 };
	struct hvc_ctr_attach a = { .master = master, .in_fd = 0, .out_fd = 1, .logfd = logfd,
				    .keys = keys, .n_keys = n_keys };
	int r = hvc_ctr_attach_relay(&a, &err);
	if (is_raw)
		tcsetattr(0, TCSANOW, &saved);
	close(master);
	if (logfd >= 0)
		close(logfd);
	if (r == HVC_ATTACH_DETACHED) {
		/* the supervisor reads EOF and carries on alone */
		close(sv[0]);
		fprintf(stderr, "\nhvc: detached from %.12s (it keeps running): hvc exec -it %.12s sh; hvc stop %.12s\n",
			id, id, id);
		return 0;
	}
	if (r < 0) {
		close(sv[0]);
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	}
	send_msg(sv[0], "D", -1);
	int fd = -1;
	ssize_t n = recv_msg(sv[0], buf, sizeof(buf), &fd);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	if (n > 0 && buf[0] == 'S')
		return atoi(buf + 1);
	if (n > 0 && buf[0] == 'E') {
		fprintf(stderr, "hvc: run: %s\n", buf + 4);
		return HVC_EXIT_RUNTIME;
	}
	fprintf(stderr, "hvc: run: the supervisor died without an exit status\n");
	return HVC_EXIT_RUNTIME;
}
