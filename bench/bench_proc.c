/* bench/proc: one benchmark instance as a host process (native, runc, crun):
 * started with posix_spawn under the benchmark's CPU affinity (what taskset
 * does), timed on the host monotonic clock from just before the spawn to READY
 * (first stdout line) and
 * to exit (waitpid), with STARTED/READY events for memory measurement. */
#include "bench_internal.h"
#include <fcntl.h>
#include <hwloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int hvc_bench_parse_cpus(const char *list, cpu_set_t *set, struct hvc_error *err)
{
	CPU_ZERO(set);
	if (!list || !*list)
		return hvc_err(err, EINVAL, "CPU list is empty");
	const char *p = list;
	while (*p) {
		char *end;
		errno = 0;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0 || a >= CPU_SETSIZE)
			return hvc_err(err, EINVAL, "bad CPU list \"%s\" (expected e.g. 0-1,3)",
				       list);
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= CPU_SETSIZE)
				return hvc_err(err, EINVAL,
					       "bad CPU list \"%s\" (expected e.g. 0-1,3)", list);
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, set);
		if (*end == ',')
			end++;
		else if (*end)
			return hvc_err(err, EINVAL, "bad CPU list \"%s\" (expected e.g. 0-1,3)",
				       list);
		p = end;
	}
	return 0;
}

char *hvc_bench_default_cpus(void)
{
	hwloc_topology_t topo;
	char *res = NULL;
	if (hwloc_topology_init(&topo) < 0)
		return hvc_xstrdup("0");
	if (hwloc_topology_load(topo) == 0) {
		hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0);
		hwloc_const_cpuset_t cs =
		    node && node->cpuset ? node->cpuset : hwloc_topology_get_allowed_cpuset(topo);
		char buf[256];
		/* hwloc's list syntax ("0-1,4") is the cpuset list syntax */
		if (hwloc_bitmap_list_snprintf(buf, sizeof(buf), cs) > 0)
			res = hvc_xstrdup(buf);
	}
	hwloc_topology_destroy(topo);
	return res ? res : hvc_xstrdup("0");
}

char *hvc_bench_which(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = hvc_xstrdup(
	    path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = hvc_path_join(d, prog);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

void hvc_bench_outcome_clear(struct hvc_bench_outcome *o)
{
	json_object_put(o->phases);
	json_object_put(o->extra);
	free(o->output);
	free(o->accelerator);
	memset(o, 0, sizeof(*o));
	o->ready_ms = o->exit_ms = -1;
}

struct buf {
	char *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > nc)
			nc *= 2;
		if (nc > (16u << 20)) /* keep at most 16 MiB of output */
			return;
		char *nd = realloc(b->data, nc);
		if (!nd)
			return;
		b->data = nd;
		b->cap = nc;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static bool has_ready_line(const struct buf *b, const char *marker)
{
	if (!b->data)
		return false;
	const char *nl = strchr(b->data, '\n');
	if (!marker)
		return nl != NULL;
	for (const char *line = b->data; (nl = strchr(line, '\n')); line = nl + 1)
		if (memmem(line, (size_t)(nl - line), marker, strlen(marker)))
			return true;
	return false;
}

/* A spawned instance: its pid, the read ends of its stdout and stderr, and
 * the request's time zero. */
struct spawned {
	pid_t pid;
	int out_fd, err_fd;
	uint64_t t0;
};

static int spawn_actions(const struct hvc_bench_spawn *sp, posix_spawn_file_actions_t *fa,
			 posix_spawnattr_t *at, int out_w, int err_w)
{
	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, out_w, 1);
	posix_spawn_file_actions_adddup2(fa, err_w, 2);
	if (sp->cwd)
		posix_spawn_file_actions_addchdir_np(fa, sp->cwd);
	posix_spawnattr_init(at);
	posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP); /* a timeout kills helpers too */
	return posix_spawnattr_setpgroup(at, 0);
}

/* posix_spawn, not fork: glibc's clone(CLONE_VM|CLONE_VFORK) copies
 * nothing, where a fork of this process — libvirt's libraries mapped,
 * several threads — cost a share of every start-up measured. The child
 * inherits the calling thread's CPU affinity (what taskset does), so that is
 * set around the call. Returns 0 or an errno. */
static int spawn_pinned(const struct hvc_bench_spawn *sp, const cpu_set_t *set, int out_w,
			int err_w, struct spawned *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	spawn_actions(sp, &fa, &at, out_w, err_w);
	cpu_set_t saved;
	int e = 0;
	bool pinned = false;
	if (set) {
		if ((e = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved)) == 0 &&
		    (e = pthread_setaffinity_np(pthread_self(), sizeof(*set), set)) == 0)
			pinned = true;
	}
	c->t0 = hvc_now_ns();
	c->pid = -1;
	if (!e)
		e = posix_spawn(&c->pid, sp->argv[0], &fa, &at, sp->argv, environ);
	if (pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return e;
}

static int spawn_start(const struct hvc_bench_spawn *sp, struct spawned *c, struct hvc_error *err)
{
	cpu_set_t set;
	if (sp->cpus && hvc_bench_parse_cpus(sp->cpus, &set, err) < 0)
		return -1;
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "run `%s`: pipe", sp->argv[0]);
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return hvc_err(err, errno, "run `%s`: pipe", sp->argv[0]);
	}
	int e = spawn_pinned(sp, sp->cpus ? &set : NULL, po[1], pe[1], c);
	close(po[1]);
	close(pe[1]);
	c->out_fd = po[0];
	c->err_fd = pe[0];
	if (e) {
		close(po[0]);
		close(pe[0]);
		return hvc_err(err, e, "run `%s`", sp->argv[0]);
	}
	return 0;
}

/* What the instance printed, and whether it became READY or ran out of time. */
struct collected {
	struct buf out, err;
	bool ready, timed_out;
};

/* One read from fd into b; false once it is closed. */
static bool read_some(int fd, struct buf *b)
{
	char tmp[8192];
	ssize_t r = read(fd, tmp, sizeof(tmp));
	if (r < 0 && errno == EINTR)
		return true;
	if (r <= 0)
		return false;
	buf_add(b, tmp, (size_t)r);
	return true;
}

/* Reads both pipes until they close or the deadline passes; READY is the
 * first stdout line with the marker. */
static void collect(const struct hvc_bench_spawn *sp, const struct hvc_bench_req *req,
		    const struct spawned *c, const struct hvc_bench_live *live,
		    struct collected *col, struct hvc_bench_outcome *out)
{
	bool open[2] = {true, true};
	uint64_t deadline =
	    req->timeout_ms > 0 ? c->t0 + (uint64_t)req->timeout_ms * 1000000ull : 0;
	while (open[0] || open[1]) {
		struct pollfd p[2] = {{.fd = open[0] ? c->out_fd : -1, .events = POLLIN},
				      {.fd = open[1] ? c->err_fd : -1, .events = POLLIN}};
		int wait_ms = hvc_deadline_poll_ms(deadline);
		if (wait_ms == -2) {
			col->timed_out = true;
			break;
		}
		int pr = poll(p, 2, wait_ms);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		for (int i = 1; i >= 0; i--)
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				open[i] = read_some(p[i].fd, i == 0 ? &col->out : &col->err);
		/* stdout was read last: READY is timed right after its read */
		if (!col->ready && (p[0].revents & POLLIN) &&
		    has_ready_line(&col->out, sp->ready_marker)) {
			col->ready = true;
			out->ready_ms = hvc_ns_to_ms(hvc_now_ns() - c->t0);
			if (req->event)
				req->event(req->opaque, HVC_BENCH_EV_READY, live);
		}
	}
}

/* Waits for the instance (killed first when it timed out) and fills out. */
static int reap(const struct hvc_bench_spawn *sp, const struct hvc_bench_req *req,
		const struct spawned *c, struct collected *col, struct hvc_bench_outcome *out,
		struct hvc_error *err)
{
	if (col->timed_out) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
	}
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	out->exit_ms = hvc_ns_to_ms(hvc_now_ns() - c->t0);
	if (col->out.data)
		out->output = steal_pointer(&col->out.data);
	else
		out->output = hvc_xstrdup("");
	if (!out->extra)
		out->extra = json_object_new_object();
	if (col->err.data && col->err.len) {
		/* keep the tail: the interesting part of an error is at the end */
		const char *s =
		    col->err.len > 2000 ? col->err.data + col->err.len - 2000 : col->err.data;
		hvc_json_add_string(out->extra, "stderr", s);
	}
	free(col->err.data);
	if (col->timed_out) {
		out->exit_ms = -1;
		return hvc_err(err, ETIMEDOUT, "`%s` did not exit within %d ms (killed)",
			       sp->argv[0], req->timeout_ms);
	}
	out->exit_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return 0;
}

int hvc_bench_spawn_run(const struct hvc_bench_spawn *sp, const struct hvc_bench_req *req,
			struct hvc_bench_outcome *out, struct hvc_error *err)
{
	struct spawned c;
	if (spawn_start(sp, &c, err) < 0)
		return -1;
	struct hvc_bench_live live = sp->live;
	if (sp->track_pid)
		live.pid = c.pid;
	if (req->event)
		req->event(req->opaque, HVC_BENCH_EV_STARTED, &live);
	struct collected col = {0};
	collect(sp, req, &c, &live, &col, out);
	close(c.out_fd);
	close(c.err_fd);
	return reap(sp, req, &c, &col, out, err);
}
