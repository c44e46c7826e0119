/* guest/workload-net-server: hvc-workload net-server, the peer of net-stream,
 * net-rr and net-crr. It runs natively on the host; the clients run in the
 * backend under test. Listens on --listen ADDR:PORT (default 127.0.0.1 and
 * a port the kernel picks), prints its one JSON line ("ready":true, the
 * address and port) as soon as it listens, and serves every protocol of
 * workload-net.h: stream and rr connections on a thread each, crr and bye
 * connections in the accept loop itself (one short exchange each, and no
 * thread start in the way of the connection rate being measured). Exits
 * with 0 after --count client runs said goodbye, after --idle-seconds with
 * no connection (default 30; 0 = never), or on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload-net.h"

#define SERVER_DEFAULT_LISTEN "127.0.0.1:0"
#define SERVER_DEFAULT_IDLE 30.0
#define SERVER_HEADER_TIMEOUT_S 10
#define SERVER_SESSIONS 256

static volatile sig_atomic_t stop;
static atomic_int active;	/* stream and rr connections being served */
static _Atomic double last_end; /* when the last of them ended */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct conn {
	int fd;
	struct net_hdr h;
};

static void log_conn(const struct conn *c, const char *what, int err)
{
	fprintf(stderr, "hvc-workload: net-server: mode %u: %s: %s\n", c->h.mode, what,
		strerror(-err));
}

static int send_trailer(int fd, uint64_t count, uint64_t mismatched)
{
	unsigned char buf[NET_TRAILER_LEN];
	net_trailer_encode(&(struct net_trailer){count, mismatched}, buf);
	return net_send_all(fd, buf, sizeof(buf));
}

/* Upstream: receive and check the records, then report what arrived. */
static int serve_stream(struct conn *c)
{
	struct net_pattern p;
	struct net_flow f = {0};
	unsigned char *buf = malloc(c->h.size);
	if (!buf || net_pattern_init(&p, c->h.seed, c->h.size) < 0) {
		free(buf);
		return -ENOMEM;
	}
	int rc;
	if (c->h.mode == NET_STREAM_UP) {
		rc = net_stream_recv(c->fd, &p, c->h.size, buf, 0, false, &f);
		if (rc == 0)
			rc = send_trailer(c->fd, f.bytes, f.mismatched);
	} else {
		rc = net_stream_send(c->fd, &p, c->h.size, 0, false, &f);
		if (rc == 0)
			rc = send_trailer(c->fd, f.bytes, 0);
	}
	net_pattern_free(&p);
	free(buf);
	return rc;
}

/* Request/response: each response byte is the complement of the request's
 * (so an echo is not an answer); the client's half-close ends it. */
static int serve_rr(struct conn *c)
{
	unsigned char *req = malloc(c->h.size), *resp = malloc(c->h.resp_size);
	uint64_t done = 0;
	int rc = -ENOMEM;
	while (req && resp) {
		rc = net_recv_all(c->fd, req, c->h.size);
		if (rc <= 0)
			break;
		for (uint32_t i = 0; i < c->h.resp_size; i++)
			resp[i] = (unsigned char)~req[i % c->h.size];
		if ((rc = net_send_all(c->fd, resp, c->h.resp_size)) < 0)
			break;
		done++;
	}
	if (rc == 0)
		rc = send_trailer(c->fd, done, 0);
	free(req);
	free(resp);
	return rc;
}

static void *serve_thread(void *arg)
{
	struct conn *c = arg;
	int rc = c->h.mode == NET_RR ? serve_rr(c) : serve_stream(c);
	if (rc < 0)
		log_conn(c, "connection failed", rc);
	close(c->fd);
	free(c);
	last_end = wl_now();
	atomic_fetch_sub(&active, 1);
	return NULL;
}

/* net-crr transactions per client run, until its goodbye. Touched only by
 * the accept loop. */
static struct {
	uint64_t session, crr;
} sessions[SERVER_SESSIONS];
static unsigned next_session;

static uint64_t *session_count(uint64_t id, bool create)
{
	for (unsigned i = 0; i < SERVER_SESSIONS; i++)
		if (sessions[i].session == id && id)
			return &sessions[i].crr;
	if (!create)
		return NULL;
	unsigned i = next_session++ % SERVER_SESSIONS; /* the oldest goes */
	sessions[i].session = id;
	sessions[i].crr = 0;
	return &sessions[i].crr;
}

static int serve_crr(struct conn *c)
{
	unsigned char req[256], resp[256];
	if (c->h.size > sizeof(req) || c->h.resp_size > sizeof(resp))
		return -EMSGSIZE;
	int rc = net_recv_all(c->fd, req, c->h.size);
	if (rc <= 0)
		return rc == 0 ? -EPROTO : rc;
	for (uint32_t i = 0; i < c->h.resp_size; i++)
		resp[i] = (unsigned char)~req[i % c->h.size];
	if ((rc = net_send_all(c->fd, resp, c->h.resp_size)) < 0)
		return rc;
	(*session_count(c->h.session, true))++;
	return 0;
}

static int serve_bye(struct conn *c)
{
	uint64_t *n = session_count(c->h.session, false);
	int rc = send_trailer(c->fd, n ? *n : 0, 0);
	if (n)
		*n = 0;
	return rc;
}

/* Reads the header of a new connection; crr and bye are answered here, the
 * rest get a thread. Returns 1 after a goodbye, else 0. */
static int dispatch(int fd)
{
	struct timeval tv = {SERVER_HEADER_TIMEOUT_S, 0}, none = {0, 0};
	unsigned char hdr[NET_HDR_LEN];
	struct conn c = {.fd = fd};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int rc = net_recv_all(fd, hdr, sizeof(hdr));
	if (rc <= 0 || net_hdr_decode(hdr, &c.h) < 0 || c.h.mode < NET_STREAM_UP ||
	    c.h.mode > NET_BYE || (c.h.size == 0 && c.h.mode != NET_BYE) ||
	    c.h.size > NET_MAX_SIZE || c.h.resp_size > NET_MAX_SIZE) {
		fprintf(stderr, "hvc-workload: net-server: a connection without a valid header\n");
		close(fd);
		return 0;
	}
	if (c.h.mode == NET_CRR || c.h.mode == NET_BYE) {
		rc = c.h.mode == NET_CRR ? serve_crr(&c) : serve_bye(&c);
		if (rc < 0)
			log_conn(&c, "connection failed", rc);
		close(fd); /* the server closes first: TIME_WAIT stays here, not on the client */
		return c.h.mode == NET_BYE && rc == 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	struct conn *t = malloc(sizeof(*t));
	pthread_t tid;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&active, 1);
	if (!t || (*t = c, rc = pthread_create(&tid, &attr, serve_thread, t)) != 0) {
		log_conn(&c, "start a thread", t ? -rc : -ENOMEM);
		atomic_fetch_sub(&active, 1);
		free(t);
		close(fd);
	}
	pthread_attr_destroy(&attr);
	return 0;
}

static int listen_on(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, 1024) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int print_ready(const struct wl_opts *o, int fd, double idle)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char addr[32], listen_s[48];
	getsockname(fd, (struct sockaddr *)&sa, &len);
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
	snprintf(listen_s, sizeof(listen_s), "%s:%u", addr, ntohs(sa.sin_port));
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_bool(&r, "ready", true);
	wl_result_str(&r, "listen", listen_s);
	wl_result_str(&r, "address", addr);
	wl_result_int(&r, "port", ntohs(sa.sin_port));
	wl_result_int(&r, "pid", (long long)getpid());
	wl_result_num(&r, "idle_seconds", idle);
	wl_result_int(&r, "count", (long long)o->count);
	return wl_result_end(&r);
}

int wl_net_server(const struct wl_opts *o)
{
	struct sockaddr_in sa;
	const char *addr = o->listen ? o->listen : SERVER_DEFAULT_LISTEN;
	double idle = o->idle_seconds < 0 ? SERVER_DEFAULT_IDLE : o->idle_seconds;
	if (net_parse_addr(addr, true, &sa) < 0) {
		wl_fail(o->name, "usage: bad --listen \"%s\" (IPv4 ADDR:PORT)", addr);
		return 2;
	}
	int fd = listen_on(&sa);
	if (fd < 0)
		return wl_fail(o->name, "listen on %s: %s", addr, strerror(-fd));
	struct sigaction act = {.sa_handler = on_signal};
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (print_ready(o, fd, idle) != 0)
		return 1;

	uint64_t runs = 0, conns = 0;
	double last = wl_now();
	last_end = last;
	const char *why = "signal";
	while (!stop) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int n = poll(&pfd, 1, 100);
		if (n > 0) {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			conns++;
			last = wl_now();
			runs += (uint64_t)dispatch(c);
			if (o->count && runs >= o->count) {
				why = "count";
				break;
			}
		}
		double quiet = last_end > last ? last_end : last;
		if (idle > 0 && atomic_load(&active) == 0 && wl_now() - quiet >= idle) {
			why = "idle";
			break;
		}
	}
	close(fd);
	fprintf(stderr,
		"hvc-workload: net-server: exiting (%s) after %llu connections, %llu runs\n", why,
		(unsigned long long)conns, (unsigned long long)runs);
	return 0;
}
