/* bench/density_backend_vm: instances are VMs of the hvc VM driver, each kept running
 * by a thread of this process blocked in hvc_vm_run (not detached: the sweep
 * stays the VMs' owner, so a killed sweep's VMs are reclaimed as stale by the
 * next hvc, and teardown is the driver's own — set the VM's cancel flag and
 * the driver destroys and undefines the domain). READY is hvc-init's READY
 * line on the console; the command's output reaches the sweep through the
 * driver's output callback. Memory and CPU are QEMU's, read from /proc (so a
 * remote --connect URI gives start-up and throughput but no memory figures).
 *
 * vm-restore: the same, each instance started from the image's VM template
 * (hvc vm run --template). A saved guest restores under its own name only,
 * so N instances at once use N template slots: prepare() makes the first,
 * a sweep's first step at N makes the others (slots are kept: the next
 * sweep restores them all). */
#include "density_internal.h"
#include "hvc/vm.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct vm_inst {
	struct density_ctx *ctx;
	struct density_inst *in;
	struct hvc_vm_opts opts;
	struct hvc_vm_result res;
	volatile int cancel;
	/* written by the VM's thread under in->lock, taken over by pump */
	char *pending;
	size_t pending_len;
	bool ready_seen, done;
	uint64_t t_ready;
	double created_ms;
	pid_t qemu_pid;
	char accel[8];
	int rc;
	char error[1024];
};

struct vm_priv {
	void *conn; /* held for the whole sweep: one embedded driver, not one per VM */
	int users;  /* vm and vm-restore share it (one density context) */
};

static int vm_available(struct density_ctx *ctx, char *reason, size_t len)
{
	(void)ctx;
	struct hvc_error e = {0};
	if (geteuid() != 0) {
		snprintf(reason, len, "the VM driver's embedded libvirt needs root here");
		return 0;
	}
	_cleanup_free_ char *qemu = hvc_vm_qemu_binary(&e);
	if (!qemu) {
		snprintf(reason, len, "%s", e.msg);
		return 0;
	}
	struct hvc_vm_kernel k;
	if (hvc_vm_kernel_find(NULL, &k, &e) < 0) {
		snprintf(reason, len, "%s", e.msg);
		return 0;
	}
	return 1;
}

/* What every instance of the sweep runs: vm and vm-restore differ only in
 * tpl (start from the image's template slot under this name). */
static struct hvc_vm_opts instance_opts(struct density_ctx *ctx, const char *name, char **cmd,
					bool tpl)
{
	return (struct hvc_vm_opts){
	    .image = ctx->image,
	    .cmd = cmd,
	    .name = name,
	    .uri = ctx->uri,
	    .memory_mib = ctx->instance_mem >> 20,
	    .vcpus = 1,
	    .timeout_s = ctx->start_timeout_ms / 1000 + 30,
	    .compress = -1,
	    .rm = true,
	    .template_ = tpl,
	};
}

/* Boot artifacts built once, before any VM starts (never concurrently), the
 * sweep's libvirt connection, and for vm-restore (tpl) the first template
 * slot: a throw-away `true` under --template saves the guest the instances
 * restore. */
static int prepare(struct density_ctx *ctx, bool tpl, struct hvc_error *err)
{
	struct hvc_vm_opts o = {.image = ctx->image,
				.cmd = ctx->cmd,
				.uri = ctx->uri,
				.compress = -1,
				.prepare_only = true};
	struct hvc_vm_result res;
	int r = hvc_vm_run(&o, &res, err);
	hvc_vm_result_free(&res);
	if (r < 0)
		return hvc_error_prefix(err, "vm: boot artifacts for `%s`", ctx->image);
	if (ctx->priv) {
		((struct vm_priv *)ctx->priv)->users++;
	} else {
		struct vm_priv *p = hvc_xcalloc(1, sizeof(*p));
		p->users = 1;
		_cleanup_free_ char *uri = hvc_vm_default_uri(ctx->uri);
		if (hvc_vm_conn_open(uri, 30000, &p->conn, err) < 0) {
			free(p);
			return hvc_error_prefix(err, "vm");
		}
		ctx->priv = p;
	}
	if (!tpl)
		return 0;
	char *cmd[] = {"true", NULL};
	o = instance_opts(ctx, NULL, cmd, true);
	o.timeout_s = 0; /* the driver's default, as before */
	r = hvc_vm_run(&o, &res, err);
	hvc_vm_result_free(&res);
	return r < 0 ? hvc_error_prefix(err, "vm-restore: template of `%s`", ctx->image) : 0;
}

static void vm_cleanup(struct density_ctx *ctx)
{
	struct vm_priv *p = ctx->priv;
	if (!p || --p->users > 0)
		return;
	if (p->conn)
		hvc_vm_conn_close(p->conn);
	free(p);
	ctx->priv = NULL;
}

static void on_output(void *opaque, const char *buf, size_t len)
{
	struct vm_inst *vi = opaque;
	pthread_mutex_lock(&vi->in->lock);
	/* sized by the guest's output: bounded, and dropped rather than fatal */
	if (vi->pending_len + len <= (1u << 20)) {
		char *nb = realloc(vi->pending, vi->pending_len + len);
		if (nb) {
			memcpy(nb + vi->pending_len, buf, len);
			vi->pending = nb;
			vi->pending_len += len;
		}
	}
	pthread_mutex_unlock(&vi->in->lock);
}

static void on_ready(void *opaque, pid_t qemu_pid)
{
	struct vm_inst *vi = opaque;
	pthread_mutex_lock(&vi->in->lock);
	vi->ready_seen = true;
	vi->t_ready = hvc_now_ns();
	vi->qemu_pid = qemu_pid;
	vi->created_ms = vi->res.t.created_ms; /* this thread wrote res */
	snprintf(vi->accel, sizeof(vi->accel), "%s", vi->res.accel);
	pthread_mutex_unlock(&vi->in->lock);
}

static void *vm_thread(void *arg)
{
	struct vm_inst *vi = arg;
	struct hvc_error err = {0};
	int rc = hvc_vm_run(&vi->opts, &vi->res, &err);
	pthread_mutex_lock(&vi->in->lock);
	vi->done = true;
	vi->rc = rc;
	snprintf(vi->error, sizeof(vi->error), "%s", rc < 0 ? err.msg : "");
	pthread_mutex_unlock(&vi->in->lock);
	return NULL;
}

static int launch(struct density_ctx *ctx, struct density_inst *in, bool tpl,
		  struct hvc_error *err)
{
	struct vm_inst *vi = hvc_xcalloc(1, sizeof(*vi));
	vi->ctx = ctx;
	vi->in = in;
	vi->opts = instance_opts(ctx, in->name, ctx->cmd, tpl);
	vi->opts.output = on_output;
	vi->opts.on_ready = on_ready;
	vi->opts.opaque = vi;
	vi->opts.cancel = &vi->cancel;
	in->priv = vi;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1u << 20);
	int e = pthread_create(&in->thread, &a, vm_thread, vi);
	pthread_attr_destroy(&a);
	if (e != 0) {
		in->priv = NULL;
		free(vi);
		return hvc_err(err, e, "start a thread for VM %s", in->name);
	}
	in->thread_started = true;
	return 0;
}

static void vm_pump(struct density_ctx *ctx, struct density_inst **v, size_t n, int wait_ms)
{
	if (wait_ms > 0)
		usleep((useconds_t)(wait_ms < 50 ? wait_ms : 50) * 1000);
	for (size_t i = 0; i < n; i++) {
		struct density_inst *in = v[i];
		struct vm_inst *vi = in->priv;
		if (!vi)
			continue;
		pthread_mutex_lock(&in->lock);
		char *buf = vi->pending;
		size_t len = vi->pending_len;
		vi->pending = NULL;
		vi->pending_len = 0;
		bool ready = vi->ready_seen, done = vi->done;
		uint64_t t_ready = vi->t_ready;
		double created = vi->created_ms;
		pid_t qp = vi->qemu_pid;
		char accel[8], error[1024];
		snprintf(accel, sizeof(accel), "%s", vi->accel);
		snprintf(error, sizeof(error), "%s", vi->error);
		int rc = vi->rc;
		pthread_mutex_unlock(&in->lock);
		if (ready && (in->state == DI_LAUNCHED || in->state == DI_STARTED)) {
			in->state = DI_READY;
			in->ready_ms = hvc_ns_to_ms(t_ready - in->t_launch);
			in->started_ms = created > 0 ? created : in->ready_ms;
			in->main_pid = qp;
			hvc_debug("density: VM %s READY, QEMU pid %d", in->name, (int)qp);
			if (!ctx->accelerator && accel[0])
				ctx->accelerator = hvc_xstrdup(accel);
		}
		if (buf) {
			hvc_density_feed(ctx, in, buf, len);
			free(buf);
		}
		if (done && in->state != DI_DEAD) {
			if (rc < 0) {
				const char *kind =
				    strstr(error, "READY") ? "timeout"
				    : strstr(error, "libvirt") || strstr(error, "domain")
					? "libvirt"
					: "start";
				hvc_density_mark_dead(in, kind, "%s", error);
			} else {
				hvc_density_mark_dead(in, "exited",
						      "the VM's command exited with status %d",
						      vi->res.exit_status);
			}
		}
	}
}

static int vm_measure(struct density_ctx *ctx, struct density_inst *in, struct hvc_bench_mem *m,
		      struct hvc_bench_mem *overhead, uint64_t *cpu_ns)
{
	(void)ctx;
	memset(m, 0, sizeof(*m));
	memset(overhead, 0, sizeof(*overhead));
	*cpu_ns = 0;
	if (in->main_pid <= 0)
		return -1;
	struct hvc_error e = {0};
	if (hvc_bench_mem_add_pid_tree(m, in->main_pid, false, &e) < 0)
		return -1;
	struct hvc_vm_procstats ps;
	if (hvc_vm_procstats(in->main_pid, &ps, &e) == 0)
		*cpu_ns = (uint64_t)((ps.cpu_user_s + ps.cpu_sys_s) * 1e9);
	return 0;
}

/* True while pid is still the QEMU of this VM (its command line names it). */
static bool qemu_alive(pid_t pid, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	_cleanup_free_ char *cl = NULL;
	size_t len = 0;
	struct hvc_error e = {0};
	if (hvc_read_file(path, &cl, &len, &e) < 0 || len == 0)
		return false; /* gone, or a zombie (no command line) */
	for (size_t i = 0; i < len; i++)
		if (!cl[i])
			cl[i] = ' ';
	return strstr(cl, name) != NULL;
}

static void vm_teardown(struct density_ctx *ctx, struct density_inst **v, size_t n)
{
	(void)ctx;
	/* every VM told at once, then joined: the driver destroys each domain */
	for (size_t i = 0; i < n; i++)
		if (v[i]->priv)
			((struct vm_inst *)v[i]->priv)->cancel = 1;
	for (size_t i = 0; i < n; i++) {
		struct vm_inst *vi = v[i]->priv;
		if (v[i]->thread_started)
			pthread_join(v[i]->thread, NULL);
		v[i]->thread_started = false;
		if (!vi)
			continue;
		if (vi->rc < 0 && vi->error[0] && !strstr(vi->error, "stopped on request"))
			hvc_debug("VM %s ended: %s", v[i]->name, vi->error);
		/* belt and braces: nothing of this VM may be left */
		struct hvc_error e = {0};
		_cleanup_vm_info_ struct hvc_vm_info info = {0};
		if (hvc_vm_find(v[i]->name, &info, &e) == 0 && hvc_vm_remove(v[i]->name, true, &e) < 0)
			hvc_warn("remove VM %s: %s", v[i]->name, e.msg);
		/* the domain is destroyed, but a QEMU has been seen outliving the
		 * destroy call by a second or two: wait for it, and kill it if it
		 * stays (it is ours: its command line names this VM) */
		if (v[i]->main_pid > 0) {
			for (int k = 0; k < 50 && qemu_alive(v[i]->main_pid, v[i]->name); k++)
				usleep(100000);
			if (qemu_alive(v[i]->main_pid, v[i]->name)) {
				hvc_warn("VM %s: QEMU %d outlived its domain: killing it",
					 v[i]->name, (int)v[i]->main_pid);
				kill(v[i]->main_pid, SIGKILL);
				for (int k = 0; k < 50 && qemu_alive(v[i]->main_pid, v[i]->name);
				     k++)
					usleep(20000);
			}
		}
		hvc_vm_result_free(&vi->res);
		free(vi->pending);
		free(vi);
		v[i]->priv = NULL;
	}
}

static int vm_prepare(struct density_ctx *ctx, struct hvc_error *err)
{
	return prepare(ctx, false, err);
}

static int vm_launch(struct density_ctx *ctx, struct density_inst *in, struct hvc_error *err)
{
	return launch(ctx, in, false, err);
}

static int vm_restore_prepare(struct density_ctx *ctx, struct hvc_error *err)
{
	return prepare(ctx, true, err);
}

static int vm_restore_launch(struct density_ctx *ctx, struct density_inst *in,
			     struct hvc_error *err)
{
	return launch(ctx, in, true, err);
}

/* The two backends are one implementation; only how an instance starts differs. */
#define VM_BACKEND(name_, prepare_, launch_)                                                     \
	{.name = name_, .default_max = 16, .quick_max = 4, .available = vm_available,          \
	 .prepare = prepare_, .launch = launch_, .pump = vm_pump, .measure = vm_measure,       \
	 .teardown = vm_teardown, .cleanup = vm_cleanup}

const struct density_backend hvc_density_backend_vm = VM_BACKEND("vm", vm_prepare, vm_launch);
const struct density_backend hvc_density_backend_vm_restore =
    VM_BACKEND("vm-restore", vm_restore_prepare, vm_restore_launch);
