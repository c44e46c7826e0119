/* guest/workload-net-stream: hvc-workload net-stream, TCP bulk throughput
 * against a net-server, in each direction (client -> server "up", then
 * server -> client "down"), --threads parallel connections per direction.
 * A direction runs for --seconds (raised to --min-seconds) of sending and
 * is timed from the connection's first byte until the receiver confirms the
 * last; Gbit/s = payload bits / that time / 10^9, as iperf3 counts.
 * Verified: the receiver compares every byte with the connection's pattern
 * (workload-net.h) and both ends' byte counts must agree (the server's
 * trailer). --self-test-corrupt damages one byte each way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload-net.h"

#define STREAM_DEFAULT_SECONDS 1.0
#define STREAM_DEFAULT_SIZE (128u << 10) /* iperf3's TCP default */

struct st_thread {
	const struct sockaddr_in *sa;
	struct net_hdr h;
	double seconds;
	bool corrupt;
	/* out */
	struct net_flow f;
	struct net_trailer peer;
	double t0, t1;
	int err;
	char detail[160];
	struct net_path path;
};

static int st_fail(struct st_thread *t, int err, const char *what)
{
	t->err = err;
	snprintf(t->detail, sizeof(t->detail), "%s: %s", what, strerror(-err));
	return err;
}

static int st_connection(struct st_thread *t, const struct net_pattern *p, unsigned char *buf)
{
	int fd = net_connect(t->sa, &t->h);
	if (fd < 0)
		return st_fail(t, fd, "connect");
	net_path_probe(fd, &t->path);
	t->t0 = wl_now();
	int rc;
	if (t->h.mode == NET_STREAM_UP)
		rc = net_stream_send(fd, p, t->h.size, t->t0 + t->seconds, t->corrupt, &t->f);
	else
		rc = net_stream_recv(fd, p, t->h.size, buf, t->t0 + t->seconds, t->corrupt, &t->f);
	unsigned char tr[NET_TRAILER_LEN];
	if (rc < 0) {
		st_fail(t, rc, t->h.mode == NET_STREAM_UP ? "send" : "receive");
	} else if ((rc = net_recv_all(fd, tr, sizeof(tr))) <= 0 ||
		   net_trailer_decode(tr, &t->peer) < 0) {
		st_fail(t, rc < 0 ? rc : -EPROTO, "the server's count");
		rc = -EPROTO;
	}
	t->t1 = wl_now(); /* the receiver has every byte (up: the server said so) */
	close(fd);
	return rc < 0 ? rc : 0;
}

static void *st_worker(void *arg)
{
	struct st_thread *t = arg;
	struct net_pattern p = {0};
	unsigned char *buf = malloc(t->h.size);
	if (!buf || net_pattern_init(&p, t->h.seed, t->h.size) < 0)
		st_fail(t, -ENOMEM, "allocate");
	else
		st_connection(t, &p, buf);
	net_pattern_free(&p);
	free(buf);
	return NULL;
}

/* One direction's figures: sum over the connections, timed from the first
 * start to the last end. The first failure, or a disagreement between the
 * ends, is the run's failure line (returns 1). */
struct st_total {
	uint64_t bytes, records_min;
	double seconds;
};

static int st_check(const struct wl_opts *o, const char *dir, const struct st_thread *t, unsigned n,
		    struct st_total *tot)
{
	double t0 = t[0].t0, t1 = t[0].t1;
	*tot = (struct st_total){.records_min = UINT64_MAX};
	for (unsigned i = 0; i < n; i++) {
		if (t[i].err)
			return wl_fail(o->name, "%s, connection %u: %s", dir, i, t[i].detail);
		uint64_t theirs_bad =
		    t[i].h.mode == NET_STREAM_UP ? t[i].peer.mismatched : t[i].f.mismatched;
		if (theirs_bad)
			return wl_fail(
			    o->name,
			    "%s, connection %u: %llu of %llu bytes differ from the pattern", dir, i,
			    (unsigned long long)theirs_bad, (unsigned long long)t[i].f.bytes);
		if (t[i].peer.count != t[i].f.bytes)
			return wl_fail(
			    o->name,
			    "%s, connection %u: the client counted %llu bytes, the server "
			    "%llu",
			    dir, i, (unsigned long long)t[i].f.bytes,
			    (unsigned long long)t[i].peer.count);
		tot->bytes += t[i].f.bytes;
		if (t[i].f.records < tot->records_min)
			tot->records_min = t[i].f.records;
		t0 = t[i].t0 < t0 ? t[i].t0 : t0;
		t1 = t[i].t1 > t1 ? t[i].t1 : t1;
	}
	tot->seconds = t1 - t0;
	return 0;
}

static int st_direction(const struct wl_opts *o, const struct sockaddr_in *sa, uint64_t session,
			uint32_t mode, uint32_t size, double seconds, struct st_thread *t,
			struct st_total *tot)
{
	const char *dir = mode == NET_STREAM_UP ? "up" : "down";
	for (unsigned i = 0; i < o->threads; i++)
		t[i] = (struct st_thread){
		    .sa = sa,
		    .h = {.mode = mode,
			  .size = size,
			  .session = session,
			  .seed = session ^ (mode * 0x100000001ull + i)},
		    .seconds = seconds,
		    .corrupt = o->corrupt && i == 0,
		};
	int e = wl_run_threads(o->threads, st_worker, t, sizeof(*t));
	if (e < 0)
		return wl_fail(o->name, "start %u threads: %s", o->threads, strerror(-e));
	return st_check(o, dir, t, o->threads, tot);
}

static void st_result_dir(struct wl_result *r, const char *dir, const struct st_total *d)
{
	char key[48];
	snprintf(key, sizeof(key), "%s_gbit_per_s", dir);
	wl_result_num_pos(r, key, (double)d->bytes * 8 / d->seconds / 1e9);
	snprintf(key, sizeof(key), "%s_bytes", dir);
	wl_result_int(r, key, (long long)d->bytes);
	snprintf(key, sizeof(key), "%s_s", dir);
	wl_result_num_pos(r, key, d->seconds);
	snprintf(key, sizeof(key), "%s_records", dir);
	wl_result_int(r, key, (long long)d->records_min);
}

int wl_net_stream(const struct wl_opts *o)
{
	struct sockaddr_in sa;
	int rc = net_client_addr(o, &sa);
	if (rc)
		return rc;
	uint64_t size = o->size ? o->size : STREAM_DEFAULT_SIZE;
	if (size > NET_MAX_SIZE) {
		wl_fail(o->name, "usage: --size %llu is more than %u", (unsigned long long)size,
			NET_MAX_SIZE);
		return 2;
	}
	const char *direction = o->direction ? o->direction : "both";
	bool up = strcmp(direction, "down") != 0, down = strcmp(direction, "up") != 0;
	double seconds = o->seconds < 0 ? STREAM_DEFAULT_SECONDS : o->seconds;
	if (seconds < o->min_seconds)
		seconds = o->min_seconds;
	struct st_thread *t = calloc(o->threads, sizeof(*t));
	if (!t)
		return wl_fail(o->name, "allocate: %s", strerror(ENOMEM));
	uint64_t session = net_session_id(), crr = 0;
	struct st_total u = {0}, d = {0};
	struct net_path path = {0};
	if (up && (rc = st_direction(o, &sa, session, NET_STREAM_UP, (uint32_t)size, seconds, t,
				     &u)) == 0)
		path = t[0].path;
	if (!rc && down &&
	    (rc = st_direction(o, &sa, session, NET_STREAM_DOWN, (uint32_t)size, seconds, t, &d)) ==
		0)
		path = t[0].path;
	free(t);
	int bye = net_bye(&sa, session, &crr);
	if (rc)
		return rc;
	if (bye < 0)
		return wl_fail(o->name, "goodbye to the server: %s", strerror(-bye));

	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_str(&r, "direction", direction);
	wl_result_int(&r, "size", (long long)size);
	wl_result_int(&r, "threads", o->threads);
	if (up)
		st_result_dir(&r, "up", &u);
	if (down)
		st_result_dir(&r, "down", &d);
	wl_result_int(&r, "verified_bytes", (long long)(u.bytes + d.bytes));
	wl_result_net_path(&r, o->server, &path);
	double measured = up && down ? (u.seconds < d.seconds ? u.seconds : d.seconds)
			  : up	     ? u.seconds
				     : d.seconds;
	uint64_t reps = up && down ? (u.records_min < d.records_min ? u.records_min : d.records_min)
			: up	   ? u.records_min
				   : d.records_min;
	wl_result_measured(&r, o->min_seconds, measured, (long long)reps);
	return wl_result_end(&r);
}
