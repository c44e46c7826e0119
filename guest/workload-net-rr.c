/* guest/workload-net-rr: hvc-workload net-rr and net-crr, netperf's TCP_RR
 * and TCP_CRR against a net-server. net-rr sends a --size-byte request
 * (default 1) and waits for the same-sized response on one connection, over
 * and over; net-crr connects, sends the request with the header, reads the
 * response, sees the server close, and closes, once per transaction. Each
 * runs for --seconds (raised to --min-seconds) on --threads clients at once;
 * every transaction's time is kept for the latency percentiles.
 * Verified: request bytes depend on the transaction's number and each
 * response byte must be the complement of its request byte; the server's
 * count of transactions must equal the client's (net-rr: the trailer after
 * the half-close; net-crr: the run's goodbye). --self-test-corrupt expects a
 * wrong first response. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload-net.h"

#define RR_DEFAULT_SECONDS 1.0
#define RR_MAX_SIZE 256 /* net-crr's request and response travel in one segment */

struct rr_thread {
	const struct sockaddr_in *sa;
	struct net_hdr h;
	double seconds; /* from the thread's first transaction */
	bool corrupt, crr;
	/* out */
	uint64_t done, wrong, server_count;
	struct net_lat lat;
	double t0, t1;
	int err;
	char detail[160];
	struct net_path path;
};

static int rr_fail(struct rr_thread *t, int err, const char *what)
{
	t->err = err;
	snprintf(t->detail, sizeof(t->detail), "%s (transaction %llu): %s", what,
		 (unsigned long long)t->done, strerror(-err));
	return err;
}

static void rr_request(const struct rr_thread *t, unsigned char *req)
{
	for (uint32_t i = 0; i < t->h.size; i++)
		req[i] = (unsigned char)(t->done * 131 + i * 7 + t->h.seed);
}

/* Counts a response that is not the complement of its request. */
static void rr_check(struct rr_thread *t, const unsigned char *req, const unsigned char *resp)
{
	unsigned char flip = t->corrupt && t->done == 0 ? 1 : 0;
	for (uint32_t i = 0; i < t->h.size; i++)
		if (resp[i] != (unsigned char)(~req[i] ^ flip)) {
			t->wrong++;
			return;
		}
}

/* Runs transactions until the thread's time is up, timing each one:
 * once(t, fd) on net-rr's connection, or with a connection of its own
 * (net-crr, fd -1). */
static void rr_loop(struct rr_thread *t, int (*once)(struct rr_thread *t, int fd), int fd)
{
	double now = t->t0 = wl_now(), deadline = t->t0 + t->seconds;
	do {
		if (once(t, fd) < 0)
			break;
		double end = wl_now();
		if (net_lat_add(&t->lat, end - now) < 0) {
			rr_fail(t, -ENOMEM, "keep latencies");
			break;
		}
		now = end;
		t->done++;
	} while (now < deadline);
	t->t1 = now;
}

/* One net-rr transaction on the open connection. */
static int rr_exchange(struct rr_thread *t, int fd)
{
	unsigned char req[RR_MAX_SIZE], resp[RR_MAX_SIZE];
	int rc;
	rr_request(t, req);
	if ((rc = net_send_all(fd, req, t->h.size)) < 0 ||
	    (rc = net_recv_all(fd, resp, t->h.size)) <= 0)
		return rr_fail(t, rc ? rc : -EPROTO, "request/response");
	rr_check(t, req, resp);
	return 0;
}

static int rr_connection(struct rr_thread *t)
{
	unsigned char tr[NET_TRAILER_LEN];
	struct net_trailer peer;
	int fd = net_connect(t->sa, &t->h), rc;
	if (fd < 0)
		return rr_fail(t, fd, "connect");
	net_path_probe(fd, &t->path);
	rr_loop(t, rr_exchange, fd);
	if (!t->err) {
		shutdown(fd, SHUT_WR);
		if ((rc = net_recv_all(fd, tr, sizeof(tr))) <= 0 ||
		    net_trailer_decode(tr, &peer) < 0)
			rr_fail(t, rc < 0 ? rc : -EPROTO, "the server's count");
		else
			t->server_count = peer.count;
	}
	close(fd);
	return t->err;
}

/* One net-crr transaction: header and request in one segment, the response,
 * then the server's close. */
static int crr_once(struct rr_thread *t, int unused)
{
	(void)unused;
	unsigned char out[NET_HDR_LEN + RR_MAX_SIZE], resp[RR_MAX_SIZE + 1];
	net_hdr_encode(&t->h, out);
	rr_request(t, out + NET_HDR_LEN);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = 0, one = 1;
	if (fd < 0)
		return rr_fail(t, -errno, "socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)t->sa, sizeof(*t->sa)) < 0)
		rc = rr_fail(t, -errno, "connect");
	else if ((rc = net_send_all(fd, out, NET_HDR_LEN + t->h.size)) < 0)
		rr_fail(t, rc, "send the request");
	else if ((rc = net_recv_all(fd, resp, t->h.resp_size)) <= 0)
		rc = rr_fail(t, rc ? rc : -EPROTO, "receive the response");
	else if (recv(fd, resp + t->h.resp_size, 1, 0) != 0)
		rc = rr_fail(t, -EPROTO, "the server's close after the response");
	if (rc >= 0 && t->done == 0)
		net_path_probe(fd, &t->path);
	close(fd);
	if (rc < 0)
		return rc;
	rr_check(t, out + NET_HDR_LEN, resp);
	return 0;
}

static void *rr_worker(void *arg)
{
	struct rr_thread *t = arg;
	if (t->crr)
		rr_loop(t, crr_once, -1);
	else
		rr_connection(t);
	return NULL;
}

/* The threads' outcome: the first failure as the failure line (returns 1),
 * else totals, all latencies in *lat and the time span in *seconds. */
static int rr_check_threads(const struct wl_opts *o, struct rr_thread *t, uint64_t *done,
			    struct net_lat *lat, double *seconds)
{
	double t0 = t[0].t0, t1 = t[0].t1;
	*done = 0;
	for (unsigned i = 0; i < o->threads; i++) {
		if (t[i].err)
			return wl_fail(o->name, "client %u: %s", i, t[i].detail);
		if (t[i].wrong)
			return wl_fail(
			    o->name, "client %u: %llu of %llu responses do not match their request",
			    i, (unsigned long long)t[i].wrong, (unsigned long long)t[i].done);
		if (!t[i].crr && t[i].server_count != t[i].done)
			return wl_fail(
			    o->name, "client %u: %llu transactions here, %llu at the server", i,
			    (unsigned long long)t[i].done, (unsigned long long)t[i].server_count);
		if (net_lat_append(lat, &t[i].lat) < 0)
			return wl_fail(o->name, "keep latencies: %s", strerror(ENOMEM));
		*done += t[i].done;
		t0 = t[i].t0 < t0 ? t[i].t0 : t0;
		t1 = t[i].t1 > t1 ? t[i].t1 : t1;
	}
	*seconds = t1 - t0;
	return 0;
}

static int rr_report(const struct wl_opts *o, const struct rr_thread *t, uint64_t size,
		     uint64_t done, double seconds, struct net_lat *lat)
{
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_int(&r, "size", (long long)size);
	wl_result_int(&r, "response_size", (long long)size);
	wl_result_int(&r, "threads", o->threads);
	wl_result_int(&r, "transactions", (long long)done);
	wl_result_num_pos(&r, "elapsed_s", seconds);
	wl_result_num_pos(&r, "transactions_per_s", (double)done / seconds);
	wl_result_net_latency(&r, lat);
	wl_result_net_path(&r, o->server, &t[0].path);
	wl_result_measured(&r, o->min_seconds, seconds, (long long)done);
	return wl_result_end(&r);
}

static int rr_run(const struct wl_opts *o, bool crr)
{
	struct sockaddr_in sa;
	int rc = net_client_addr(o, &sa);
	if (rc)
		return rc;
	uint64_t size = o->size ? o->size : 1;
	if (size > RR_MAX_SIZE) {
		wl_fail(o->name, "usage: --size %llu is more than %d", (unsigned long long)size,
			RR_MAX_SIZE);
		return 2;
	}
	double seconds = o->seconds < 0 ? RR_DEFAULT_SECONDS : o->seconds;
	if (seconds < o->min_seconds)
		seconds = o->min_seconds;
	struct rr_thread *t = calloc(o->threads, sizeof(*t));
	if (!t)
		return wl_fail(o->name, "allocate: %s", strerror(ENOMEM));
	uint64_t session = net_session_id(), done = 0, server_crr = 0;
	double elapsed = 0;
	for (unsigned i = 0; i < o->threads; i++)
		t[i] = (struct rr_thread){
		    .sa = &sa,
		    .h = {.mode = crr ? NET_CRR : NET_RR,
			  .size = (uint32_t)size,
			  .resp_size = (uint32_t)size,
			  .session = session,
			  .seed = session + i},
		    .seconds = seconds,
		    .corrupt = o->corrupt && i == 0,
		    .crr = crr,
		};
	struct net_lat lat = {0};
	int e = wl_run_threads(o->threads, rr_worker, t, sizeof(*t));
	int bye = net_bye(&sa, session, &server_crr);
	if (e < 0)
		rc = wl_fail(o->name, "start %u threads: %s", o->threads, strerror(-e));
	else if ((rc = rr_check_threads(o, t, &done, &lat, &elapsed)) != 0)
		;
	else if (bye < 0)
		rc = wl_fail(o->name, "goodbye to the server: %s", strerror(-bye));
	else if (crr && server_crr != done)
		rc = wl_fail(o->name, "%llu transactions here, %llu at the server",
			     (unsigned long long)done, (unsigned long long)server_crr);
	else
		rc = rr_report(o, t, size, done, elapsed, &lat);
	for (unsigned i = 0; i < o->threads; i++)
		net_lat_free(&t[i].lat);
	net_lat_free(&lat);
	free(t);
	return rc;
}

int wl_net_rr(const struct wl_opts *o)
{
	return rr_run(o, false);
}

int wl_net_crr(const struct wl_opts *o)
{
	return rr_run(o, true);
}
