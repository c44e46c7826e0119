/* vmdriver/run_template: `hvc vm run --template` — the steps of a run that
 * starts from a saved guest instead of a cold boot:
 *
 *   open_template (key, lock) -> [build_template: cold boot with a guest
 *   config that says "wait" -> HVC-WAIT on the console -> save -> meta.json]
 *   -> vm_boot_record -> restore_template (virDomainRestoreFlags) -> handoff
 *   (command, env, workdir, the host's clock, an RNG seed over the
 *   virtio-serial port) -> vm_run_watch (READY, EXIT) as for a cold boot.
 *
 * The template's files and key: template.c. */
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "vm-internal.h"
#include "../guest/init.h"

/* A template has no disks or NIC of its own (docs/vm.md, "Templates"). */
static int check_template_opts(const struct hvc_vm_opts *o, struct hvc_error *err)
{
	if (o->disk || o->data_disk_bytes)
		return hvc_err(err, EINVAL, "--template: not with --disk or --data-disk (a "
					    "template boots from its initramfs only)");
	if (o->network != HVC_VM_NET_NONE)
		return hvc_err(err, EINVAL, "--template: not with --network (a restored guest "
					    "would keep the template's NIC state)");
	if (o->detach)
		return hvc_err(err, EINVAL, "--template: not with -d (one restored guest per "
					    "template at a time)");
	return 0;
}

static int open_template(struct vm_run *r, struct vm_boot *b, struct vm_template *t,
			 struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	struct vm_template_req q = {.image_key = b->key,
				    .release = r->res->kernel_release,
				    .initramfs = b->art.initramfs,
				    .machine = o->machine ? o->machine : "pc",
				    .accel = b->kvm ? "kvm" : "tcg",
				    .memory_mib = o->memory_mib ? o->memory_mib : 256,
				    .vcpus = o->vcpus ? o->vcpus : 1,
				    .cmdline = o->extra_cmdline};
	if (vm_template_open(&q, t, err) < 0)
		return hvc_error_prefix(err, "template");
	r->tpl = t;
	return 0;
}

/* The cold boot that makes the template: up to HVC-WAIT, then saved. */
static int build_template(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	r->tpl_build = true;
	r->con.ready_marker = HVC_WAIT_MARKER;
	int timeout_s = r->o->timeout_s > 0 ? r->o->timeout_s : b->kvm ? 10 : 60;
	int rc = vm_boot_domain(r, b, err);
	if (rc == 0)
		rc = vm_run_watch(r, timeout_s * 1000, err);
	if (rc == 0 && !r->con.ready)
		rc = hvc_err(err, EIO, "template %s: the guest ended before HVC-WAIT", r->tpl->key);
	if (rc == 0)
		rc = vm_template_save(r->dom, r->tpl, r->o->image, err);
	hvc_debug("vm: %.1f ms: template %s %s", vm_run_since(r), r->tpl->key,
		  rc == 0 ? "saved" : "not made");
	vm_run_drop(r);
	uint64_t v;
	while (read(r->evfd, &v, sizeof(v)) > 0) /* the build domain's STOPPED */
		;
	r->tpl_build = false;
	memset(&r->con, 0, sizeof(r->con));
	r->con.output = vm_run_on_output;
	r->con.opaque = r;
	if (rc < 0)
		return hvc_error_prefix(err, "build template");
	r->res->t.template_built_ms = vm_run_since(r);
	return 0;
}

/* libvirt restores the saved domain (QEMU started with -incoming, the state
 * loaded, the guest resumed). */
static int restore_template(struct vm_run *r, struct hvc_error *err)
{
	struct hvc_vm_result *res = r->res;
	if (vm_run_connect(r, err) < 0)
		return -1;
	if (vm_template_restore(r->conn, r->tpl, &r->dom, err) < 0)
		return -1;
	res->t.created_ms = vm_run_since(r);
	hvc_debug("vm: %.1f ms: template restored", res->t.created_ms);
	res->qemu_pid = hvc_vm_qemu_pid(r->uri, res->name);
	hvc_json_add_int(r->state, "qemu_pid", res->qemu_pid);
	hvc_json_add_string(r->state, "template", r->tpl->key);
	vm_run_state_status(r, "running");
	return 0;
}

/* The rest of the guest config: the command, its env and workdir, the host's
 * clock and 32 bytes of seed for the guest's RNG; "end" closes it. */
static int handoff(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	struct hvc_vm_guestcfg gc = {.argv = b->cmd.argv,
				     .env = b->cmd.env,
				     .workdir = b->cmd.workdir,
				     .linger_ms = r->o->wait_poweroff ? 0 : 3000};
	_cleanup_free_ char *cfg = hvc_vm_guestcfg_render(&gc);
	char seed[65];
	if (!cfg || hvc_random_hex(seed, 32, err) < 0)
		return hvc_err(err, ENOMEM, "template hand-off");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	_cleanup_free_ char *msg = hvc_strdup_printf("%stime %lld.%09ld\nseed %s\nend\n", cfg,
						     (long long)now.tv_sec, now.tv_nsec, seed);
	if (vm_template_handoff(r->tpl, msg, err) < 0)
		return -1;
	r->res->t.handoff_ms = vm_run_since(r);
	return 0;
}

int vm_run_template(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	if (check_template_opts(r->o, err) < 0)
		return -1;
	/* the connection first: the embedded driver admits one process per
	 * root, and a process must not take a slot while it waits for it */
	struct vm_template t = {0};
	int rc = vm_run_connect(r, err);
	if (rc == 0)
		rc = open_template(r, b, &t, err);
	bool built = false;
	if (rc == 0 && !vm_template_usable(&t)) {
		rc = build_template(r, b, err);
		built = true;
	}
	if (rc == 0)
		rc = vm_boot_record(r, b, err);
	if (rc == 0)
		rc = restore_template(r, err);
	if (rc < 0 && !built && t.key) {
		/* a template libvirt refuses (corrupt, or a QEMU it cannot load) is
		 * made anew once, in this run */
		hvc_warn("template %s: %s; rebuilding it", t.key, err ? err->msg : "restore failed");
		vm_run_drop(r);
		vm_template_discard(&t);
		rc = build_template(r, b, err);
		if (rc == 0)
			rc = vm_boot_record(r, b, err);
		if (rc == 0)
			rc = restore_template(r, err);
	}
	if (rc == 0)
		rc = handoff(r, b, err);
	int timeout_s = r->o->timeout_s > 0 ? r->o->timeout_s : b->kvm ? 10 : 60;
	if (rc == 0)
		rc = vm_run_watch(r, timeout_s * 1000, err);
	if (rc == 0)
		r->res->exit_status = r->con.exited ? r->con.exit_status : -1;
	/* the lock is held until the domain is gone: end_run runs after this, so
	 * the lock moves to the run (released in release()) */
	r->tpl_lock_fd = t.lock_fd;
	t.lock_fd = -1;
	vm_template_close(&t);
	r->tpl = NULL;
	return rc;
}
