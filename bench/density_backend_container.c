/* bench/density container: instances kept running the way `hvc run -d`
 * keeps them — one hvc supervisor process per container (hvc_ctr_supervise,
 * in its own session so a Ctrl-C reaches only the sweep, and with a
 * parent-death signal so a killed sweep leaves nothing running). The
 * supervisor reports the container id, its init pid and memory cgroup over a
 * status pipe and relays the container's output to the sweep, which takes
 * the first line as READY. The supervisors' own memory is hvc's per-container
 * overhead and is reported separately from the containers'. */
#include "density_internal.h"
#include "hvc/container.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int ctr_available(struct density_ctx *ctx, char *reason, size_t len)
{
	(void)ctx;
	if (geteuid() != 0) {
		snprintf(reason, len, "the hvc container runtime needs root here");
		return 0;
	}
	return 1;
}

static int ctr_prepare(struct density_ctx *ctx, struct hvc_error *err)
{
	/* resolve once now so a missing image is an error before anything starts */
	struct hvc_ctr_spec spec;
	hvc_ctr_spec_init(&spec);
	int r = hvc_ctr_spec_set_image(&spec, ctx->image, ctx->cmd, NULL, err);
	hvc_ctr_spec_free(&spec);
	return r < 0 ? hvc_error_prefix(err, "container: image `%s`", ctx->image) : 0;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* What the supervisor of one instance needs; a copy lives in its process. */
struct ctr_sup {
	struct density_ctx *ctx;
	struct density_inst *in;
	pid_t parent;
	int status_w, out_w; /* its ends of the status and output pipes */
};

/* In the supervisor, first: the sweep's signal dispositions undone, a
 * parent-death signal, and only the two pipes open (as fds 3 and 4). */
static int sup_setup(void *data)
{
	struct ctr_sup *cs = data;
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* a sweep killed with SIGKILL: SIGTERM reaches the container through
	 * the supervisor's signal forwarding, and the supervisor tears down */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != cs->parent)
		return -1;
	int sw = fcntl(cs->status_w, F_DUPFD_CLOEXEC, 100),
	    ow = fcntl(cs->out_w, F_DUPFD_CLOEXEC, 100);
	if (sw < 0 || ow < 0)
		return -1;
	dup2(sw, 3), dup2(ow, 4);
	hvc_close_fds_from(5);
	cs->status_w = 3, cs->out_w = 4;
	return 0;
}

/* In the supervisor: the spec is built there, so that a sweep's launches
 * resolve the image in parallel. */
static int sup_prepare(void *data, struct hvc_ctr_spec *spec, struct hvc_error *err)
{
	struct ctr_sup *cs = data;
	spec->name = hvc_xstrdup(cs->in->name);
	spec->limits.memory = cs->ctx->instance_mem;
	return hvc_ctr_spec_set_image(spec, cs->ctx->image, cs->ctx->cmd, NULL, err);
}

static void sup_failed(void *data, int hint, const struct hvc_error *err)
{
	struct ctr_sup *cs = data;
	(void)hint;
	char msg[sizeof(err->msg) + 8];
	int n = snprintf(msg, sizeof(msg), "E%s\n", err->msg);
	ssize_t w = write(cs->status_w, msg, (size_t)n);
	(void)w;
}

/* "I<id>\t<init pid>\t<exec ms>\t<memory cgroup>\n" on the status pipe. */
static void sup_started(void *data, struct hvc_ctr *c)
{
	struct ctr_sup *cs = data;
	char cg[512] = "";
	if (hvc_ctr_cgroup_path(c, "memory", cg, sizeof(cg)) < 0)
		cg[0] = '\0';
	const struct hvc_ctr_timings *t = hvc_ctr_get_timings(c);
	char msg[HVC_CTR_ID_LEN + sizeof(cg) + 64];
	int n = snprintf(msg, sizeof(msg), "I%s\t%d\t%.3f\t%s\n", hvc_ctr_id(c),
			 (int)hvc_ctr_pid(c), t->exec ? hvc_ns_to_ms(t->exec - t->t0) : -1.0, cg);
	ssize_t w = write(cs->status_w, msg, (size_t)n);
	(void)w;
	close(cs->status_w);
}

static int ctr_launch(struct density_ctx *ctx, struct density_inst *in, struct hvc_error *err)
{
	_cleanup_close_ int sp_r = -1, sp_w = -1, op_r = -1, op_w = -1;
	int sp[2], op[2];
	if (pipe2(sp, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	sp_r = sp[0], sp_w = sp[1];
	if (pipe2(op, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	op_r = op[0], op_w = op[1];
	struct ctr_sup cs = {
	    .ctx = ctx, .in = in, .parent = getpid(), .status_w = sp_w, .out_w = op_w};
	/* the output pipe is fd 4 once sup_setup has run */
	struct hvc_ctr_supervisor sup = {
	    .data = &cs,
	    .io = {.in_fd = -1, .out_fd = 4, .err_fd = 4, .log = false},
	    .setup = sup_setup,
	    .prepare = sup_prepare,
	    .failed = sup_failed,
	    .started = sup_started,
	};
	pid_t pid = hvc_ctr_supervise(&sup, err);
	if (pid < 0)
		return hvc_error_prefix(err, "supervisor");
	set_nonblock(sp_r);
	set_nonblock(op_r);
	in->sup_pid = pid;
	in->status_fd = steal_fd(&sp_r);
	in->out_fd = steal_fd(&op_r);
	return 0;
}

/* CPU the supervisor has used so far (it has just started the container):
 * hvc's own work for this container, user and kernel time together, from
 * schedstat (nanoseconds; /proc/PID/stat's clock ticks are too coarse). */
static void sup_cpu(struct density_inst *in)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)in->sup_pid);
	_cleanup_free_ char *t = NULL;
	struct hvc_error e = {0};
	in->sup_cpu_ms = -1;
	if (hvc_read_file(path, &t, NULL, &e) < 0)
		return;
	in->sup_cpu_ms = (double)strtoull(t, NULL, 10) / 1e6;
}

static void on_status(struct density_inst *in)
{
	in->status_buf[in->status_len] = '\0';
	char *nl = strchr(in->status_buf, '\n');
	if (!nl)
		return;
	*nl = '\0';
	if (in->status_buf[0] == 'E') {
		hvc_density_mark_dead(in, "start", "%s", in->status_buf + 1);
		return;
	}
	if (in->status_buf[0] != 'I')
		return;
	char *save = NULL;
	char *id = strtok_r(in->status_buf + 1, "\t", &save);
	char *pid = strtok_r(NULL, "\t", &save);
	char *exec_ms = strtok_r(NULL, "\t", &save);
	char *cg = strtok_r(NULL, "\t", &save);
	if (id)
		snprintf(in->id, sizeof(in->id), "%s", id);
	in->main_pid = pid ? (pid_t)atoi(pid) : 0;
	in->hvc_start_ms = exec_ms ? strtod(exec_ms, NULL) : -1;
	sup_cpu(in);
	snprintf(in->memcg, sizeof(in->memcg), "%s", cg ? cg : "");
	if (in->state == DI_LAUNCHED) {
		in->state = DI_STARTED;
		in->started_ms = hvc_ns_to_ms(hvc_now_ns() - in->t_launch);
	}
}

static void read_fd(struct density_ctx *ctx, struct density_inst *in, bool status)
{
	int *fd = status ? &in->status_fd : &in->out_fd;
	for (;;) {
		char buf[8192];
		ssize_t n = status ? read(*fd, in->status_buf + in->status_len,
					  sizeof(in->status_buf) - 1 - in->status_len)
				   : read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			if (status && in->state == DI_LAUNCHED)
				hvc_density_mark_dead(
				    in, "start",
				    "the supervisor exited before the container started");
			return;
		}
		if (status) {
			in->status_len += (size_t)n;
			on_status(in);
			if (in->status_len >= sizeof(in->status_buf) - 1)
				in->status_len = 0;
		} else {
			hvc_density_feed(ctx, in, buf, (size_t)n);
		}
	}
}

/* The container's exit as its supervisor recorded it. */
static void exit_reason(struct density_ctx *ctx, struct density_inst *in, int wstatus)
{
	struct hvc_ctr_state st;
	struct hvc_error e = {0};
	if (in->id[0] && hvc_ctr_state_read(in->id, &st, &e) == 0 && st.oom_killed) {
		hvc_density_mark_dead(in, "oom", "OOM-killed (container memory limit %llu MiB)",
				      (unsigned long long)(ctx->instance_mem >> 20));
		return;
	}
	int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	if (in->state == DI_LAUNCHED)
		hvc_density_mark_dead(
		    in, "start",
		    "the supervisor exited with status %d before the container started", code);
	else if (code == 137)
		hvc_density_mark_dead(in, "exited",
				      "the container was killed by SIGKILL (status 137; its cgroup "
				      "recorded no OOM kill)");
	else
		hvc_density_mark_dead(in, "exited", "the container exited with status %d", code);
}

static void ctr_pump(struct density_ctx *ctx, struct density_inst **v, size_t n, int wait_ms)
{
	struct pollfd *p = calloc(2 * n + 1, sizeof(*p));
	struct density_inst **who = calloc(2 * n + 1, sizeof(*who));
	bool *is_status = calloc(2 * n + 1, sizeof(bool));
	size_t k = 0;
	for (size_t i = 0; p && who && is_status && i < n; i++) {
		if (v[i]->status_fd >= 0) {
			p[k] = (struct pollfd){v[i]->status_fd, POLLIN, 0};
			who[k] = v[i], is_status[k++] = true;
		}
		if (v[i]->out_fd >= 0) {
			p[k] = (struct pollfd){v[i]->out_fd, POLLIN, 0};
			who[k] = v[i], is_status[k++] = false;
		}
	}
	if (k > 0 && poll(p, (nfds_t)k, wait_ms) > 0)
		for (size_t i = 0; i < k; i++)
			if (p[i].revents)
				read_fd(ctx, who[i], is_status[i]);
	if (k == 0 && wait_ms > 0)
		usleep((useconds_t)wait_ms * 1000);
	for (size_t i = 0; i < n; i++) {
		struct density_inst *in = v[i];
		if (in->state == DI_DEAD || in->sup_pid <= 0)
			continue;
		int ws;
		if (waitpid(in->sup_pid, &ws, WNOHANG) == in->sup_pid) {
			in->sup_pid = 0;
			if (in->status_fd >= 0)
				read_fd(ctx, in, true);
			if (in->out_fd >= 0)
				read_fd(ctx, in, false);
			if (in->state != DI_DEAD)
				exit_reason(ctx, in, ws);
		}
	}
	free(p);
	free(who);
	free(is_status);
}

static int ctr_measure(struct density_ctx *ctx, struct density_inst *in, struct hvc_bench_mem *m,
		       struct hvc_bench_mem *overhead, uint64_t *cpu_ns)
{
	(void)ctx;
	struct hvc_error e = {0};
	memset(m, 0, sizeof(*m));
	memset(overhead, 0, sizeof(*overhead));
	*cpu_ns = 0;
	if (!in->memcg[0] || hvc_bench_mem_add_cgroup(m, in->memcg, true, &e) < 0)
		return -1;
	if (in->sup_pid > 0)
		hvc_bench_mem_add_pid_tree(overhead, in->sup_pid, false, &e);
	struct hvc_ctr_stats st;
	if (in->id[0] && hvc_ctr_stats_read(in->id, &st, &e) == 0)
		*cpu_ns = st.cpu_usage_ns;
	return 0;
}

static void ctr_teardown(struct density_ctx *ctx, struct density_inst **v, size_t n)
{
	/* let launches in flight finish (or fail) so every container has an id */
	uint64_t deadline = hvc_now_ns() + 15ull * 1000000000ull;
	for (;;) {
		bool pending = false;
		for (size_t i = 0; i < n; i++)
			pending |= v[i]->state == DI_LAUNCHED && v[i]->sup_pid > 0;
		if (!pending || hvc_now_ns() > deadline)
			break;
		ctr_pump(ctx, v, n, 50);
	}
	struct hvc_error e = {0};
	for (size_t i = 0; i < n; i++)
		if (v[i]->sup_pid > 0 && v[i]->id[0])
			hvc_ctr_kill(v[i]->id, SIGKILL, &e);
		else if (v[i]->sup_pid > 0)
			kill(v[i]->sup_pid, SIGKILL);
	deadline = hvc_now_ns() + 15ull * 1000000000ull;
	for (size_t i = 0; i < n; i++) {
		struct density_inst *in = v[i];
		while (in->sup_pid > 0) {
			int ws;
			pid_t r = waitpid(in->sup_pid, &ws, WNOHANG);
			if (r == in->sup_pid || (r < 0 && errno == ECHILD)) {
				in->sup_pid = 0;
				break;
			}
			if (hvc_now_ns() > deadline) {
				hvc_warn("supervisor of %s did not exit: killing it", in->name);
				kill(in->sup_pid, SIGKILL);
				waitpid(in->sup_pid, NULL, 0);
				in->sup_pid = 0;
				break;
			}
			usleep(2000);
		}
		if (in->status_fd >= 0)
			close(in->status_fd), in->status_fd = -1;
		if (in->out_fd >= 0)
			close(in->out_fd), in->out_fd = -1;
		char id[HVC_CTR_ID_LEN + 1];
		const char *ref = in->id[0] ? in->id : NULL;
		if (!ref && hvc_ctr_lookup(in->name, id, &e) == 0)
			ref = id;
		if (ref && hvc_ctr_remove(ref, true, &e) < 0)
			hvc_warn("remove container %s: %s", in->name, e.msg);
	}
}

const struct density_backend hvc_density_backend_container = {
    .name = "container",
    .default_max = 64,
    .quick_max = 16,
    .available = ctr_available,
    .prepare = ctr_prepare,
    .launch = ctr_launch,
    .pump = ctr_pump,
    .measure = ctr_measure,
    .teardown = ctr_teardown,
};
