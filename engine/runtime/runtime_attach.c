/* engine/runtime/runtime_attach: a terminal attached to a container's pty by a process
 * other than its supervisor, so that the user can detach (Docker's ctrl-p
 * ctrl-q) and leave the container running under its supervisor. The
 * detach-key matcher is pure, for the unit tests. */
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "hvc/container.h"

int hvc_ctr_detach_keys_parse(const char *spec, unsigned char *keys, size_t *n, struct hvc_error *err)
{
	*n = 0;
	if (!spec || !*spec)
		return hvc_err(err, EINVAL, "--detach-keys: empty");
	const char *p = spec;
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned char k;
		if (len == 1 && isprint((unsigned char)p[0])) {
			k = (unsigned char)p[0];
		} else if (len == 6 && !strncmp(p, "ctrl-", 5) &&
			   ((p[5] >= 'a' && p[5] <= 'z') || strchr("@[\\]^_", p[5]))) {
			/* ctrl-a is 1 … ctrl-z 26; ctrl-@ 0, ctrl-[ 27 … ctrl-_ 31 */
			k = (unsigned char)(p[5] >= 'a' && p[5] <= 'z' ? p[5] - 'a' + 1 : p[5] - '@');
		} else {
			return hvc_err(err, EINVAL,
				       "--detach-keys \"%s\": \"%.*s\" is not a character or ctrl-<a-z@[\\]^_>",
				       spec, (int)len, p);
		}
		if (*n == HVC_DETACH_KEYS_MAX)
			return hvc_err(err, E2BIG, "--detach-keys \"%s\": more than %d keys", spec,
				       HVC_DETACH_KEYS_MAX);
		keys[(*n)++] = k;
		p += len;
		if (*p == ',' && !*++p)
			return hvc_err(err, EINVAL, "--detach-keys \"%s\": ends with a comma", spec);
	}
	return 0;
}

bool hvc_detach_feed(struct hvc_detach_matcher *m, const unsigned char *in, size_t len, unsigned char *out,
		     size_t *out_len)
{
	*out_len = 0;
	for (size_t i = 0; i < len; i++) {
		if (m->n && in[i] == m->keys[m->matched]) {
			if (++m->matched == m->n)
				return true; /* the rest of the input is not the container's */
			continue;
		}
		/* a false start: what was held back is ordinary input after all */
		memcpy(out + *out_len, m->keys, m->matched);
		*out_len += m->matched;
		if (m->matched && m->n && in[i] == m->keys[0]) {
			m->matched = 1;
			continue;
		}
		m->matched = 0;
		out[(*out_len)++] = in[i];
	}
	return false;
}

static void write_all(int fd, const unsigned char *buf, size_t n)
{
	while (fd >= 0 && n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

int hvc_ctr_attach_relay(const struct hvc_ctr_attach *a, struct hvc_error *err)
{
	struct hvc_detach_matcher m = { .keys = a->keys, .n = a->n_keys };
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	copy_winsize(a->in_fd, a->master);
	int in_fd = a->in_fd, rc = HVC_ATTACH_EXITED;
	for (;;) {
		struct pollfd p[3] = { { a->master, POLLIN, 0 }, { in_fd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = hvc_err(err, errno, "attach: poll");
			break;
		}
		unsigned char buf[4096], fwd[4096 + HVC_DETACH_KEYS_MAX];
		if (p[0].revents) {
			ssize_t n = read(a->master, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				break; /* EIO: every process holding the pty's slave is gone */
			write_all(a->out_fd, buf, (size_t)n);
			write_all(a->logfd, buf, (size_t)n);
		}
		if (p[1].revents) {
			ssize_t n = read(in_fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_fd = -1; /* stdin closed: keep showing the output */
				continue;
			}
			size_t f;
			bool detach = hvc_detach_feed(&m, buf, (size_t)n, fwd, &f);
			write_all(a->master, fwd, f);
			if (detach) {
				rc = HVC_ATTACH_DETACHED;
				break;
			}
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				copy_winsize(a->in_fd, a->master);
		}
	}
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
