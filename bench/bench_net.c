/* bench/bench_net: the peer of a network sample — `hvc-workload net-server`
 * run natively on the host (pinned like every instance), listening on the
 * address the backend's instance reaches (127.0.0.1, or the bridge's
 * gateway), started before the client and stopped after it. The server
 * runs with --count 1: it exits by itself once the client run's goodbye
 * arrived, and says so with its counts on stderr; a server that has to be
 * stopped, or that counted another number of runs, fails the sample.
 * Traffic never leaves this machine: the address is one of the host's own. */
#include "bench_internal.h"
#include "hvc/network.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NET_READY_TIMEOUT_MS 5000
#define NET_EXIT_TIMEOUT_MS 5000
/* the server's own idle exit: a safety net should the harness die */
#define NET_IDLE_SECONDS "120"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

const char *hvc_bench_net_packet_path(const char *path)
{
	if (!path)
		return NULL;
	if (!strcmp(path, "loopback"))
		return "loopback";
	if (!strcmp(path, "veth"))
		return "veth+bridge";
	if (!strcmp(path, "virtio-net"))
		return "tap+virtio-net";
	return path;
}

/* Fork + exec of the server, its stdout and stderr on pipes, pinned to cpus. */
static int server_spawn(const struct hvc_bench_ctx *ctx, const char *listen,
			struct hvc_bench_net_server *srv, struct hvc_error *err)
{
	cpu_set_t cs;
	bool pin = ctx->cpus && hvc_bench_parse_cpus(ctx->cpus, &cs, err) == 0;
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return hvc_err(err, errno, "pipe");
	}
	char *argv[] = {ctx->workload_bin, "net-server",     "--listen",
			(char *)listen,	   "--count",	     "1",
			"--idle-seconds",  NET_IDLE_SECONDS, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		if (pin)
			sched_setaffinity(0, sizeof(cs), &cs);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	if (pid < 0) {
		close(out[0]);
		close(errp[0]);
		return hvc_err(err, errno, "fork");
	}
	srv->pid = pid;
	srv->out_fd = out[0];
	srv->err_fd = errp[0];
	fcntl(srv->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Reads what is in the server's stderr pipe now (it writes a line or two). */
static void drain_stderr(struct hvc_bench_net_server *srv)
{
	char buf[4096];
	ssize_t n;
	while (srv->err_fd >= 0 && (n = read(srv->err_fd, buf, sizeof(buf))) > 0) {
		size_t have = srv->stderr_text ? strlen(srv->stderr_text) : 0;
		if (have > 16384)
			continue;
		srv->stderr_text = hvc_xrealloc(srv->stderr_text, have + (size_t)n + 1, 1);
		memcpy(srv->stderr_text + have, buf, (size_t)n);
		srv->stderr_text[have + (size_t)n] = '\0';
	}
}

/* The READY line: one JSON object with "ready":true and "listen". */
static int wait_ready(struct hvc_bench_net_server *srv, struct hvc_error *err)
{
	char line[1024];
	size_t len = 0;
	uint64_t deadline = hvc_now_ns() + (uint64_t)NET_READY_TIMEOUT_MS * 1000000;
	while (len < sizeof(line) - 1) {
		int left = (int)(((int64_t)deadline - (int64_t)hvc_now_ns()) / 1000000);
		struct pollfd p = {.fd = srv->out_fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return hvc_err(err, ETIMEDOUT, "net-server printed no READY line in %d ms",
				       NET_READY_TIMEOUT_MS);
		ssize_t n = read(srv->out_fd, line + len, 1);
		if (n <= 0) {
			drain_stderr(srv);
			return hvc_err(err, EIO, "net-server exited before READY: %s",
				       srv->stderr_text ? hvc_str_trim(srv->stderr_text) : "");
		}
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_parse(line, len, "net-server READY line", &o, err) < 0)
		return -1;
	const char *listen = hvc_json_get_string(o, "listen");
	if (!hvc_json_get_bool(o, "ready", false) || !listen)
		return hvc_err(err, EPROTO, "net-server's first line is not READY: %s", line);
	snprintf(srv->listen, sizeof(srv->listen), "%s", listen);
	return 0;
}

int hvc_bench_net_server_start(const struct hvc_bench_ctx *ctx, const char *addr,
			       struct hvc_bench_net_server *srv, struct hvc_error *err)
{
	*srv = (struct hvc_bench_net_server){
	    .pid = 0, .out_fd = -1, .err_fd = -1, .exit_status = -1, .connections = -1, .runs = -1};
	_cleanup_free_ char *listen = hvc_strdup_printf("%s:0", addr);
	if (server_spawn(ctx, listen, srv, err) < 0)
		return -1;
	if (wait_ready(srv, err) < 0) {
		hvc_bench_net_server_stop(srv, NULL, 0);
		return -1;
	}
	return 0;
}

/* "... exiting (count) after 12 connections, 1 runs" -> the counts. */
void hvc_bench_net_server_parse_exit(const char *text, char *why, size_t why_len,
				     int64_t *connections, int64_t *runs)
{
	*connections = *runs = -1;
	if (why_len)
		why[0] = '\0';
	const char *p = text ? strstr(text, "exiting (") : NULL;
	if (!p)
		return;
	p += strlen("exiting (");
	const char *q = strchr(p, ')');
	if (!q)
		return;
	snprintf(why, why_len, "%.*s", (int)(q - p), p);
	unsigned long long c, r;
	if (sscanf(q, ") after %llu connections, %llu runs", &c, &r) == 2) {
		*connections = (int64_t)c;
		*runs = (int64_t)r;
	}
}

/* Waits for the server's own exit (after the client's goodbye), else stops
 * it; then judges its counts. why: the reason the server side fails the
 * sample ("" when it does not; may be NULL). */
void hvc_bench_net_server_stop(struct hvc_bench_net_server *srv, char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
	if (srv->pid > 0) {
		int st = 0;
		pid_t r = 0;
		uint64_t deadline = hvc_now_ns() + (uint64_t)NET_EXIT_TIMEOUT_MS * 1000000;
		while ((r = waitpid(srv->pid, &st, WNOHANG)) == 0 && hvc_now_ns() < deadline) {
			drain_stderr(srv);
			usleep(5000);
		}
		if (r == 0) {
			srv->stopped = true;
			kill(srv->pid, SIGTERM);
			waitpid(srv->pid, &st, 0);
		}
		srv->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		srv->pid = 0;
	}
	drain_stderr(srv);
	close_fd(&srv->out_fd);
	close_fd(&srv->err_fd);
	hvc_bench_net_server_parse_exit(srv->stderr_text, srv->exit_reason,
					sizeof(srv->exit_reason), &srv->connections, &srv->runs);
	if (!why || !len)
		return;
	if (srv->stopped)
		snprintf(why, len, "net-server did not see the client run end within %d ms",
			 NET_EXIT_TIMEOUT_MS);
	else if (srv->exit_status != 0)
		snprintf(why, len, "net-server exited with status %d", srv->exit_status);
	else if (strcmp(srv->exit_reason, "count") || srv->runs != 1)
		snprintf(why, len, "net-server counted %lld client runs (exit: %s), not 1",
			 (long long)srv->runs, srv->exit_reason[0] ? srv->exit_reason : "?");
}

void hvc_bench_net_server_clear(struct hvc_bench_net_server *srv)
{
	if (srv->pid > 0)
		hvc_bench_net_server_stop(srv, NULL, 0);
	free(srv->stderr_text);
	srv->stderr_text = NULL;
}

/* A peer on the host's loopback: native, and containers sharing the host's
 * network namespace. */
int hvc_bench_net_peer_loopback(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len,
				const char **path, char *reason, size_t len)
{
	(void)ctx;
	(void)reason;
	(void)len;
	snprintf(addr, addr_len, "127.0.0.1");
	*path = "loopback";
	return 1;
}

/* A peer on the default bridge hvc0: the server listens on the bridge's own
 * address (the containers' gateway). The bridge is made here when it does not
 * exist yet, as the container runtime would, so the server can bind first. */
int hvc_bench_net_peer_bridge(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len,
			      const char **path, char *reason, size_t len)
{
	(void)ctx;
	struct hvc_net n;
	bool created = false;
	struct hvc_error e = {0};
	if (hvc_net_get("bridge", &n, &e) < 0 || hvc_net_bridge_ensure(&n, &created, &e) < 0 ||
	    (created && hvc_net_sync(true, &e) < 0)) {
		snprintf(reason, len, "bridge network %s: %s", HVC_NET_DEFAULT, e.msg);
		return 0;
	}
	char buf[16];
	snprintf(addr, addr_len, "%s", hvc_net_ip_format(n.gateway, buf));
	*path = "veth+bridge";
	return 1;
}
