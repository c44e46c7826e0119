/* bench/backend container-lib: the hvc container runtime called in-process
 * (hvc_ctr_start + hvc_ctr_wait), not spawned as `hvc run` like its peers —
 * so its start-up skips an exec, the dynamic loader and the CLI (issue 12:
 * 5 ms here against ~14 ms for `hvc run --rm true`). Kept as a separate,
 * labelled row for the runtime's own phases (prepared, cgroup, cloned,
 * rootfs, exec), never the default; "container" (bench_backend_container.c)
 * is the like-for-like one. Same image, defaults, cpuset and scratch volume
 * as "container". */
#include "bench_internal.h"
#include "hvc/container.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

struct reader {
	int out_fd, err_fd;
	uint64_t t0;
	const struct hvc_bench_req *req;
	struct hvc_bench_live live;
	char *out, *errtxt;
	size_t out_len, err_len;
	double ready_ms;
};

static void append(char **buf, size_t *len, const char *s, size_t n)
{
	if (*len + n > (8u << 20))
		return;
	char *nb = realloc(*buf, *len + n + 1);
	if (!nb)
		return;
	memcpy(nb + *len, s, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	bool o = true, e = true;
	while (o || e) {
		struct pollfd p[2] = {{.fd = o ? r->out_fd : -1, .events = POLLIN},
				      {.fd = e ? r->err_fd : -1, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		char buf[8192];
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (i == 0)
					o = false;
				else
					e = false;
				continue;
			}
			if (i == 0) {
				append(&r->out, &r->out_len, buf, (size_t)n);
				if (r->ready_ms < 0 && memchr(r->out, '\n', r->out_len)) {
					r->ready_ms = hvc_ns_to_ms(hvc_now_ns() - r->t0);
					if (r->req->event)
						r->req->event(r->req->opaque, HVC_BENCH_EV_READY,
							      &r->live);
				}
			} else {
				append(&r->errtxt, &r->err_len, buf, (size_t)n);
			}
		}
	}
	return NULL;
}

static int ctr_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	if (geteuid() != 0) {
		snprintf(reason, len, "the hvc container runtime needs root here");
		return 0;
	}
	return hvc_bench_image_usable(ctx, reason, len);
}

static void phase(json_object *ph, const char *name, uint64_t t, uint64_t t0)
{
	if (t && t >= t0)
		hvc_json_add_double(ph, name, hvc_ns_to_ms(t - t0));
}

/* The pipes the container writes to and the thread that reads them. */
struct ctr_io {
	int po[2], pe[2];
	pthread_t th;
	bool th_started;
	struct reader rd;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* EOF for the reader: our write ends are the last ones. */
static void ctr_io_join(struct ctr_io *io)
{
	close_fd(&io->po[1]);
	close_fd(&io->pe[1]);
	if (io->th_started)
		pthread_join(io->th, NULL);
	io->th_started = false;
}

static void ctr_io_free(struct ctr_io *io)
{
	ctr_io_join(io);
	close_fd(&io->po[0]);
	close_fd(&io->pe[0]);
	free(io->rd.out);
	free(io->rd.errtxt);
}

static int ctr_spec(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		    struct hvc_ctr_spec *spec, struct hvc_error *err)
{
	_cleanup_strv_ char **cmd = NULL;
	hvc_strv_push(&cmd, HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (char *const *a = req->argv; a && *a; a++)
		hvc_strv_push(&cmd, *a);
	spec->name = hvc_xstrdup(req->tag);
	spec->rm = true;
	spec->ready = true;
	spec->limits.cpuset = req->cpus ? hvc_xstrdup(req->cpus) : NULL;
	if (req->scratch_disk) {
		/* as `-v HOST:/scratch -w /scratch`, or the overlay's /tmp on purpose */
		free(spec->workdir);
		spec->workdir = hvc_xstrdup(req->scratch_host ? HVC_BENCH_SCRATCH_PATH : "/tmp");
	}
	if (req->scratch_disk && req->scratch_host) {
		spec->vols = hvc_xcalloc(1, sizeof(*spec->vols));
		spec->vols[0].src = hvc_xstrdup(req->scratch_host);
		spec->vols[0].dst = hvc_xstrdup(HVC_BENCH_SCRATCH_PATH);
		spec->n_vols = 1;
	}
	return hvc_ctr_spec_set_image(spec, ctx->image, cmd, NULL, err);
}

/* The instance exists: report its memory cgroup, start reading its output. */
static void ctr_started(struct ctr_io *io, const struct hvc_bench_req *req, struct hvc_ctr *c,
			uint64_t t0, char *cgdir, size_t cglen)
{
	if (hvc_ctr_cgroup_path(c, "memory", cgdir, cglen) < 0)
		cgdir[0] = '\0';
	io->rd.live =
	    (struct hvc_bench_live){.cgroup_dir = cgdir[0] ? cgdir : NULL, .cgroup_procs = true};
	if (req->event)
		req->event(req->opaque, HVC_BENCH_EV_STARTED, &io->rd.live);
	io->rd.out_fd = io->po[0];
	io->rd.err_fd = io->pe[0];
	io->rd.t0 = t0;
	if (pthread_create(&io->th, NULL, reader_main, &io->rd) == 0)
		io->th_started = true;
}

static void ctr_outcome(struct ctr_io *io, const struct hvc_ctr_timings *tm,
			const struct hvc_ctr_timings *done, uint64_t t0,
			struct hvc_bench_outcome *out)
{
	struct reader *rd = &io->rd;
	/* READY is when the first output line reached this process: the
	 * runtime's relay stamps it as it reads it. The reader thread's own
	 * stamp comes after a pipe hop and a wake-up, and on a loaded host it
	 * could fall after hvc_ctr_wait had returned (ready > exit). */
	if (done->first_output >= t0 && rd->ready_ms >= 0)
		rd->ready_ms = hvc_ns_to_ms(done->first_output - t0);
	out->ready_ms = rd->ready_ms;
	if (rd->out)
		out->output = steal_pointer(&rd->out);
	else
		out->output = hvc_xstrdup("");
	out->phases = json_object_new_object();
	phase(out->phases, "prepared", tm->prepared, tm->t0);
	phase(out->phases, "cgroup", tm->cgroup, tm->t0);
	phase(out->phases, "cloned", tm->cloned, tm->t0);
	phase(out->phases, "rootfs", tm->rootfs, tm->t0);
	phase(out->phases, "exec", tm->exec, tm->t0);
	if (rd->ready_ms >= 0)
		hvc_json_add_double(out->phases, "first_output", rd->ready_ms);
	out->extra = json_object_new_object();
	if (rd->errtxt && rd->err_len)
		hvc_json_add_string(out->extra, "stderr",
				    rd->err_len > 2000 ? rd->errtxt + rd->err_len - 2000
						       : rd->errtxt);
}

static int ctr_run_spec(const struct hvc_ctr_spec *spec, const struct hvc_bench_req *req,
			struct ctr_io *io, struct hvc_bench_outcome *out, struct hvc_error *err)
{
	if (pipe2(io->po, O_CLOEXEC) < 0 || pipe2(io->pe, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	uint64_t t0 = hvc_now_ns();
	struct hvc_ctr *c = NULL;
	int hint = 0;
	if (hvc_ctr_start(spec, &c, &hint, err) < 0)
		return -1;
	struct hvc_ctr_timings tm = *hvc_ctr_get_timings(c);
	char cgdir[512];
	ctr_started(io, req, c, t0, cgdir, sizeof(cgdir));
	struct hvc_ctr_io cio = {
	    .in_fd = -1, .out_fd = io->po[1], .err_fd = io->pe[1], .log = false};
	struct hvc_ctr_timings done = {0};
	int st = hvc_ctr_wait_timed(c, &cio, &done, err);
	out->exit_ms = hvc_ns_to_ms(hvc_now_ns() - t0);
	ctr_io_join(io);
	if (st < 0)
		return -1;
	out->exit_status = st;
	ctr_outcome(io, &tm, &done, t0, out);
	return 0;
}

static int ctr_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		   struct hvc_bench_outcome *out, struct hvc_error *err)
{
	struct hvc_ctr_spec spec;
	hvc_ctr_spec_init(&spec);
	__attribute__((cleanup(ctr_io_free))) struct ctr_io io = {
	    .po = {-1, -1}, .pe = {-1, -1}, .rd = {.req = req, .ready_ms = -1}};
	int ret = ctr_spec(ctx, req, &spec, err);
	if (ret == 0)
		ret = ctr_run_spec(&spec, req, &io, out, err);
	hvc_ctr_spec_free(&spec);
	return ret;
}

static int ctr_image_size(struct hvc_bench_ctx *ctx, struct hvc_bench_size *out,
			  struct hvc_error *err)
{
	return hvc_bench_image_size(ctx->image, out, err);
}

static char *ctr_describe(struct hvc_bench_ctx *ctx, char *const *args)
{
	char *s = hvc_strdup_printf("hvc run --rm --cpuset-cpus %s %s %s", ctx->cpus, ctx->image,
				    HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (; args && *args; args++) {
		char *n = hvc_strdup_printf("%s %s", s, *args);
		free(s);
		s = n;
	}
	char *n = hvc_strdup_printf("%s (in-process library call hvc_ctr_start + hvc_ctr_wait)", s);
	free(s);
	return n;
}

static void ctr_storage(struct hvc_bench_ctx *ctx, struct hvc_bench_storage *st)
{
	hvc_bench_container_storage(ctx, "hvc_ctr_spec volume", st);
}

/* The in-process row measures the runtime's phases; the network axis is
 * measured by the spawned container and container-host rows. */
static int lib_net_peer(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len, const char **path,
			char *reason, size_t len)
{
	(void)ctx;
	(void)addr;
	(void)addr_len;
	(void)path;
	snprintf(reason, len,
		 "container-lib runs without a network (the network axis is the container and "
		 "container-host rows)");
	return 0;
}

const struct hvc_bench_backend hvc_bench_backend_container_lib = {
    .name = "container-lib",
    .opt_in = true,
    .slot = HVC_BENCH_SLOT_CONTAINER_LIB,
    .summary = "the hvc container runtime called in-process (library, no exec of hvc): "
	       "not like-for-like with the spawned runtimes; for its internal phases",
    .available = ctr_available,
    .run = ctr_run,
    .image_size = ctr_image_size,
    .describe = ctr_describe,
    .storage = ctr_storage,
    .net_peer = lib_net_peer,
};
