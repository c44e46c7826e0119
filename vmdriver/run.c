/* vmdriver/run: one VM run, start to finish — the driver entry point that the
 * CLI (`hvc vm run`) and the bench harness call. boot() sequences the steps
 * of a domain start (boot_steps.c: kernel and accelerator -> image and
 * command -> boot artifacts -> record -> network -> disks -> guest config ->
 * domain XML -> define + start), or of a start from a template
 * (run_template.c), then watches the console until READY/EXIT (watch.c).
 * hvc_vm_run() then
 * leaves a detached VM running or destroys, undefines and (with rm or on
 * failure) deletes it: every failure after the domain exists passes through
 * the same clean-up. */
#include "vm-internal.h"
#include "hvc/trace.h"
#include <libvirt/libvirt.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

static int boot(struct vm_run *r, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	__attribute__((cleanup(vm_boot_clear))) struct vm_boot b = {0};
	if (vm_boot_prepare(r, &b, err) < 0)
		return -1;
	if (o->prepare_only)
		return 0;
	if (o->template_)
		return vm_run_template(r, &b, err);
	if (vm_boot_domain(r, &b, err) < 0)
		return -1;
	int timeout_s = o->timeout_s > 0 ? o->timeout_s : b.kvm ? 10 : 60;
	if (vm_run_watch(r, timeout_s * 1000, err) < 0)
		return -1;
	r->res->exit_status = r->con.exited ? r->con.exit_status : -1;
	HVC_TRACE("exit", "the guest reported HVC-EXIT %d", r->res->exit_status);
	return 0;
}
/* A detached VM stays: hvc lets go of the domain, the record says so. */
static void leave_running(struct vm_run *r)
{
	vm_run_state_detached(r);
	const struct hvc_vm_net_provider *p = r->o->net_provider;
	if (r->net_attached && p->detached) /* the lease outlives this process */
		p->detached(p->opaque, r->res->id, r->res->qemu_pid);
	if (r->dom)
		virDomainFree(r->dom);
	r->dom = NULL;
	if (r->cb_id >= 0)
		virConnectDomainEventDeregisterAny(r->conn, r->cb_id);
}

/* The domain goes; failures leave nothing behind; rm leaves nothing at all. */
static void end_run(struct vm_run *r, int rc, const struct hvc_error *err)
{
	vm_run_teardown(r);
	const struct hvc_vm_net_provider *p = r->o->net_provider;
	if (r->net_attached && p->detach) /* the tap went with QEMU; the lease goes now */
		p->detach(p->opaque, r->res->id, r->res->name, &r->net);
	vm_run_state_final(r, rc, err);
	const char *keep = getenv("HVC_VM_KEEP_FAILED"); /* debugging aid (docs/vm.md) */
	if (r->dir && (r->o->rm || rc < 0) && !(rc < 0 && keep && !strcmp(keep, "1"))) {
		struct hvc_error ig = {0};
		if (hvc_rm_rf(r->dir, &ig) < 0)
			hvc_warn("%s", ig.msg);
	}
}

static void release(struct vm_run *r)
{
	/* the template slot first: a process waiting for the embedded root
	 * (next) then finds slot 0 free rather than making another slot */
	if (r->tpl_lock_fd > 0)
		close(r->tpl_lock_fd);
	struct hvc_error ig = {0};
	if (vm_run_early_conn_take(r, &ig) < 0) /* a run that failed before connecting */
		hvc_debug("vm: %s", ig.msg);
	if (r->conn)
		hvc_vm_conn_close(r->conn);
	if (r->evfd >= 0)
		close(r->evfd);
	json_object_put(r->state);
	free(r->uri);
	free(r->dir);
	free(r->console);
}

int hvc_vm_run(const struct hvc_vm_opts *o, struct hvc_vm_result *res, struct hvc_error *err)
{
	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	if (!o->image || !*o->image)
		return hvc_err(err, EINVAL, "vm run: no image");
	struct vm_run r = {.o = o, .res = res, .t0 = hvc_now_ns(), .cb_id = -1};
	r.con.output = vm_run_on_output;
	r.con.opaque = &r;
	r.uri = hvc_vm_default_uri(o->uri);
	r.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hvc_vm_uri_is_embedded(r.uri))
		vm_reaper_start_once();
	/* a VM left by a killed hvc is reclaimed before we start another */
	struct hvc_error perr = {0};
	if (hvc_vm_prune(&perr) < 0)
		hvc_warn("prune: %s", perr.msg);
	vm_run_early_conn_start(&r); /* after the prune, which may open the root itself */

	int rc = boot(&r, err);
	if (rc == 0 && o->detach && r.con.ready)
		leave_running(&r);
	else
		end_run(&r, rc, err);
	release(&r);
	return rc;
}

void hvc_vm_result_free(struct hvc_vm_result *res)
{
	free(res->accel_reason);
	free(res->kernel);
	free(res->kernel_release);
	free(res->output);
	res->accel_reason = res->kernel = res->kernel_release = res->output = NULL;
}
