/* hvc run -it: the container runs under a supervisor process of its own and
 * this process only attaches the terminal to its pty, so that ctrl-p ctrl-q
 * (--detach-keys) can leave it running — `hvc exec -it NAME sh` gets back in,
 * `hvc stop`/`rm -f` end it — as with `docker run -it`.
 *
 *   this process ── hvc_ctr_supervise() ──> supervisor: starts it, sends "I<id>" and
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

/* In the supervisor, once started: the id and the pty master to the caller,
 * then nothing read from the pty until the caller is done with it: a 'D'
 * ("drained: the container exited") or EOF (detached, or killed). */
static void attached_started(void *data, struct hvc_ctr *c)
{
	struct hvc_cli_sup_channel *ch = data;
	char msg[HVC_CTR_ID_LEN + 2];
	snprintf(msg, sizeof(msg), "I%s", hvc_ctr_id(c));
	send_msg(ch->supervisor, msg, hvc_ctr_tty_master(c));
	char d = 0;
	ssize_t r;
	while ((r = read(ch->supervisor, &d, 1)) < 0 && errno == EINTR)
		;
	ch->listening = r == 1 && d == 'D';
}

/* In the supervisor, after the wait: "S<status>" if anyone still listens. */
static void attached_exited(void *data, int status, const struct hvc_error *err)
{
	struct hvc_cli_sup_channel *ch = data;
	if (!ch->listening)
		return;
	char msg[sizeof(err->msg) + 16];
	if (status < 0)
		snprintf(msg, sizeof(msg), "E%03d%s", HVC_EXIT_RUNTIME, err->msg);
	else
		snprintf(msg, sizeof(msg), "S%d", status);
	send_msg(ch->supervisor, msg, -1);
}

/* Forks the supervisor and waits for its "I<id>" and the pty master; an
 * exit status when the start failed. */
static int start_supervisor(struct hvc_ctr_spec *s, struct hvc_cli_sup_channel *ch, pid_t *pid,
			    char id[HVC_CTR_ID_LEN + 1], int *master)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return fprintf(stderr, "hvc: run: socketpair: %s\n", strerror(errno)), HVC_EXIT_RUNTIME;
	*ch = (struct hvc_cli_sup_channel){ .caller = sv[0], .supervisor = sv[1] };
	struct hvc_ctr_supervisor sup = {
		.spec = s, .session_after_start = true, .data = ch,
		.io = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .log = true },
		.setup = hvc_cli_sup_setup, .failed = hvc_cli_sup_failed,
		.started = attached_started, .exited = attached_exited,
	};
	struct hvc_error err = { 0 };
	*pid = hvc_ctr_supervise(&sup, &err);
	close(sv[1]);
	if (*pid < 0) {
		close(sv[0]);
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	}
	char buf[2048];
	if (recv_msg(sv[0], buf, sizeof(buf), master) <= 0 || buf[0] != 'I' || *master < 0) {
		close(sv[0]);
		waitpid(*pid, NULL, 0);
		return hvc_cli_sup_start_error(buf);
	}
	snprintf(id, HVC_CTR_ID_LEN + 1, "%s", buf + 1);
	return 0;
}

/* The terminal raw, relayed to the pty (and into the container's log)
 * until the container exits or the keys detach. */
static int attach_terminal(const char *id, int master, const unsigned char *keys, size_t n_keys,
			   struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_ctr_dir_root();
	_cleanup_free_ char *log = hvc_strdup_printf("%s/%s/log", dir, id);
	_cleanup_close_ int logfd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;
	struct termios saved, raw;
	bool is_raw = isatty(0) && tcgetattr(0, &saved) == 0;
	if (is_raw) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	struct hvc_ctr_attach a = { .master = master, .in_fd = 0, .out_fd = 1, .logfd = logfd,
				    .keys = keys, .n_keys = n_keys };
	int r = hvc_ctr_attach_relay(&a, err);
	if (is_raw)
		tcsetattr(0, TCSANOW, &saved);
	return r;
}

/* The container exited: tell the supervisor it may drain the pty, and
 * take the exit status it reports. */
static int exit_status(int sock, pid_t pid)
{
	char buf[2048];
	send_msg(sock, "D", -1);
	int fd = -1;
	ssize_t n = recv_msg(sock, buf, sizeof(buf), &fd);
	close(sock);
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

int hvc_cli_run_attached(struct hvc_ctr_spec *s, const unsigned char *keys, size_t n_keys)
{
	struct hvc_cli_sup_channel ch;
	pid_t pid;
	char id[HVC_CTR_ID_LEN + 1];
	int master = -1;
	int rc = start_supervisor(s, &ch, &pid, id, &master);
	if (rc != 0)
		return rc;
	_cleanup_close_ int sock = ch.caller;
	struct hvc_error err = { 0 };
	int r = attach_terminal(id, master, keys, n_keys, &err);
	close(master);
	if (r == HVC_ATTACH_DETACHED) {
		/* the supervisor reads EOF and carries on alone */
		close(steal_fd(&sock));
		fprintf(stderr, "\nhvc: detached from %.12s (it keeps running): hvc exec -it %.12s sh; hvc stop %.12s\n",
			id, id, id);
		return 0;
	}
	if (r < 0)
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	return exit_status(steal_fd(&sock), pid);
}
