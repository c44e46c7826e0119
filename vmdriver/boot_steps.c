/* vmdriver/boot_steps: the steps of a domain start that run.c sequences
 * (libvirt's style: one function per step, each with its own error path):
 * resolve the kernel and accelerator -> resolve the image and the command ->
 * boot artifacts (cached) -> the run's record -> network attachment -> disks
 * -> guest config and kernel command line -> domain XML -> define + start;
 * and the domain's teardown. run.c (a cold boot) and run_template.c (a
 * restore) both use them. */
#include "hvc/image.h"
#include "vm-internal.h"
#include "hvc/trace.h"
#include <libvirt/libvirt.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void vm_boot_clear(struct vm_boot *b)
{
	vm_command_clear(&b->cmd);
	hvc_vm_artifacts_free(&b->art);
	free(b->key);
	free(b->flat);
	free(b->root_disk);
	free(b->data_disk);
	free(b->initrd);
	free(b->cmdline);
	free(b->xml);
}

/* Step 1: the guest kernel and the accelerator (the host probe's cached verdict). */
static int resolve_kernel_accel(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	struct hvc_vm_result *res = r->res;
	struct hvc_vm_kernel kern;
	if (hvc_vm_kernel_find(r->o->kernel, &kern, err) < 0)
		return -1;
	if (!kern.modules_dir[0])
		return hvc_err(err, ENOENT, "kernel `%s`: no /lib/modules/%s for its modules",
			       kern.path, kern.release);
	res->kernel = hvc_xstrdup(kern.path);
	res->kernel_release = hvc_xstrdup(kern.release);
	const char *force = r->o->accel;
	if (force && strcmp(force, "kvm") && strcmp(force, "tcg"))
		return hvc_err(err, EINVAL, "accelerator \"%s\": expected kvm or tcg", force);
	struct hvc_vm_accel_info accel = {.accel = HVC_VM_ACCEL_TCG};
	/* forced TCG needs no evidence: QEMU emulates on any host */
	if (force && !strcmp(force, "tcg"))
		snprintf(accel.reason, sizeof(accel.reason), "forced (--accel tcg)");
	else if (hvc_vm_accel_probe(&kern, 0, &accel, err) < 0)
		return hvc_error_prefix(err, "accelerator probe");
	bool kvm_forced = force && !strcmp(force, "kvm");
	if (kvm_forced && accel.accel != HVC_VM_ACCEL_KVM)
		return hvc_err(err, 0, "--accel kvm: KVM is not usable on this host: %s",
			       accel.reason);
	b->kvm = accel.accel == HVC_VM_ACCEL_KVM;
	snprintf(res->accel, sizeof(res->accel), "%s", b->kvm ? "kvm" : "tcg");
	res->accel_reason = kvm_forced ? hvc_strdup_printf("forced (--accel kvm); %s", accel.reason)
				       : hvc_xstrdup(accel.reason);
	HVC_TRACE("vm.kernel", "guest kernel `%s` (%s); accelerator %s: %s", kern.path, kern.release, res->accel, accel.reason);
	return 0;
}

/* Into $HVC_ROOT/vm/.flatten-<random>, for an artifact build. */
static int flatten_image(struct vm_run *r, struct vm_boot *b, struct hvc_image_store *store,
			 struct hvc_image *img, struct hvc_error *err)
{
	_cleanup_free_ char *vmdir = hvc_path_join(hvc_root(), "vm");
	if (hvc_mkdir_p(vmdir, 0755, err) < 0)
		return -1;
	char rnd[9];
	if (hvc_random_hex(rnd, 4, err) < 0)
		return -1;
	_cleanup_free_ char *leaf = hvc_strdup_printf(".flatten-%s", rnd);
	b->flat = hvc_path_join(vmdir, leaf);
	if (hvc_image_flatten(store, img, b->flat, err) < 0) {
		struct hvc_error ig = {0};
		hvc_rm_rf(b->flat, &ig);
		return hvc_error_prefix(err, "flatten image \"%s\"", r->o->image);
	}
	return 0;
}

/* Step 2: the image, the command it runs, and its tree when the artifacts
 * must be built. The store is closed before the (slow) artifact build. */
static int resolve_image(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	_cleanup_image_store_ struct hvc_image_store *store = NULL;
	_cleanup_image_ struct hvc_image *img = NULL;
	if (hvc_image_store_open(hvc_root(), &store, err) < 0)
		return -1;
	if (hvc_image_resolve(store, o->image, &img, err) < 0)
		return -1;
	hvc_debug("vm: %.1f ms: kernel, accelerator and image resolved", vm_run_since(r));
	const char *digest = img->manifest_digest;
	b->key = hvc_xstrdup(hvc_str_has_prefix(digest, "sha256:") ? digest + 7 : digest);
	HVC_TRACE("image", "\"%s\" -> manifest %s (the same image a container runs)", o->image, digest);
	if (vm_command_plan(&img->config, o, &b->cmd, err) < 0)
		return -1;
	/* uncompressed by default: under TCG the guest kernel's inflate of a gzip
	 * initramfs cost ~0.8 s per boot here (docs/vm.md) */
	b->comp = o->compress >= 0 ? o->compress : HVC_VM_COMPRESS_NONE;
	if (hvc_vm_artifacts_cached(hvc_root(), b->key, r->res->kernel_release, o->disk,
				    (enum hvc_vm_compress)b->comp))
		return 0;
	return flatten_image(r, b, store, img, err);
}

/* Step 3: kernel + initramfs (+ root disk), cached per image and kernel;
 * the image must hold the command. */
static int get_artifacts(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	_cleanup_free_ char *init = hvc_guest_program("hvc-init");
	struct hvc_vm_artifact_req req = {.image_key = b->key,
					  .rootfs = b->flat,
					  .kernel_release = r->res->kernel_release,
					  .modules_root = "/lib/modules",
					  .init_path = init,
					  .disk = o->disk,
					  .comp = (enum hvc_vm_compress)b->comp};
	int arc = hvc_vm_artifacts_get(&req, &b->art, err);
	if (b->flat) {
		struct hvc_error ig = {0};
		hvc_rm_rf(b->flat, &ig); /* gone already when it became the cache's copy */
	}
	if (arc < 0)
		return hvc_error_prefix(err, "boot artifacts for \"%s\"", o->image);
	hvc_debug("vm: %.1f ms: boot artifacts %s", vm_run_since(r),
		  b->art.cached ? "cached" : "built");
	HVC_TRACE("vm.artifacts", "%s: initramfs `%s` (the image + hvc-init as /init + kernel modules)%s%s",
		  b->art.cached ? "cached" : "built now", b->art.initramfs, b->art.disk ? ", disk " : "", b->art.disk ? b->art.disk : "");
	_cleanup_free_ char *rootfs = hvc_path_join(b->art.dir, "rootfs");
	return vm_command_check(rootfs, o->image, b->cmd.argv, b->cmd.env, err);
}

/* Step 4: the run's id, name, state directory and record (a template's
 * domain has the template's name and console). */
int vm_boot_record(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	struct hvc_vm_result *res = r->res;
	char id[13];
	if (hvc_random_hex(id, 6, err) < 0)
		return -1;
	snprintf(res->id, sizeof(res->id), "%s", id);
	snprintf(res->name, sizeof(res->name), "%s", o->name ? o->name : "");
	if (r->tpl)
		snprintf(res->name, sizeof(res->name), "%s", r->tpl->name);
	else if (!o->name)
		snprintf(res->name, sizeof(res->name), "hvc-%s", id);
	_cleanup_vm_info_ struct hvc_vm_info other = {0};
	struct hvc_error ig = {0};
	if (o->name && hvc_vm_find(o->name, &other, &ig) == 0)
		return hvc_err(err, EEXIST, "VM name \"%s\" is in use (hvc vm rm %s)", o->name,
			       o->name);
	r->dir = hvc_vm_state_dir(id);
	if (hvc_mkdir_p(r->dir, 0700, err) < 0)
		return -1;
	r->console = r->tpl ? hvc_xstrdup(r->tpl->console) : hvc_path_join(r->dir, "console.log");
	vm_run_state_create(r, b->art.initramfs);
	HVC_TRACE("vm.record", "VM %s, state in `%s`", res->name, r->dir);
	return 0;
}

/* Step 4b (network bridge): the NIC's attachment: the provider's lease (when
 * there is a provider), the MAC, and a bridge that exists — libvirt's own
 * error for a missing one ("Cannot get interface MTU") names no remedy. */
static int attach_network(struct vm_run *r, struct hvc_error *err)
{
	if (r->o->network != HVC_VM_NET_BRIDGE)
		return 0;
	if (vm_net_plan(r->o, r->res->id, r->res->name, &r->net, &r->net_attached, err) < 0)
		return hvc_error_prefix(err, "network");
	if (!if_nametoindex(r->net.bridge))
		return hvc_err(
		    err, errno,
		    "network: bridge \"%s\" (create it first, e.g. ip link add %s type bridge)",
		    r->net.bridge, r->net.bridge);
	vm_run_state_network(r);
	return 0;
}

/* Step 5: the run's disks: a qcow2 overlay over the cached root disk, a data disk. */
static int make_disks(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	if (o->disk) {
		b->root_disk = hvc_path_join(r->dir, "root.qcow2");
		if (vm_make_overlay(b->art.disk, b->root_disk, err) < 0)
			return -1;
	}
	if (o->data_disk_bytes) {
		b->data_disk = hvc_path_join(r->dir, "data.img");
		if (vm_make_data_disk(b->data_disk, o->data_disk_bytes, err) < 0)
			return hvc_error_prefix(err, "data disk");
	}
	return 0;
}

/* Step 6: what hvc-init reads (on the kernel command line when it fits, else
 * in a per-run initrd), and the kernel command line. */
static int guest_config(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	_cleanup_strv_ char **load = NULL;
	bool net = o->network == HVC_VM_NET_BRIDGE;
	if (b->root_disk || b->data_disk || net)
		hvc_strv_push(&load, "virtio_pci");
	if (b->root_disk || b->data_disk)
		hvc_strv_push(&load, "virtio_blk");
	if (net)
		hvc_strv_push(&load, "virtio_net");
	if (r->tpl_build) { /* the command port's driver */
		hvc_strv_push(&load, "virtio_pci");
		hvc_strv_push(&load, "virtio_console");
	}
	_cleanup_free_ char *hosts = net ? hvc_vm_net_hosts(&r->net, r->res->name) : NULL;
	struct hvc_vm_guestcfg gc = {
	    .argv = b->cmd.argv,
	    .env = b->cmd.env,
	    .workdir = b->cmd.workdir,
	    .load = load,
	    .root_dev = b->root_disk ? "/dev/vda" : NULL,
	    .data_dev = b->data_disk ? (b->root_disk ? "/dev/vdb" : "/dev/vda") : NULL,
	    /* hvc kills the VM at EXIT; a guest power-off racing with
	     * that makes libvirt's own kill path cost 200 ms */
	    .linger_ms = o->wait_poweroff || o->detach ? 0 : 3000,
	    .net = net ? &r->net : NULL,
	    .hostname = net ? r->res->name : NULL,
	    .hosts = hosts,
	    .wait = r->tpl_build};
	if (r->tpl_build) { /* the command, env and workdir come with the hand-off */
		gc.argv = gc.env = NULL;
		gc.workdir = NULL;
	}
	_cleanup_free_ char *cfg = hvc_vm_guestcfg_render(&gc);
	_cleanup_free_ char *cfgarg = cfg ? hvc_vm_guestcfg_cmdline_arg(cfg) : NULL;
	if (cfgarg) {
		b->initrd = hvc_xstrdup(b->art.initramfs);
	} else {
		b->initrd = hvc_path_join(r->dir, "initrd");
		if (vm_initrd_with_config(b->art.initramfs, cfg ? cfg : "", b->initrd, err) < 0)
			return hvc_error_prefix(err, "per-run initrd");
	}
	b->cmdline = vm_kernel_cmdline(vm_fast_boot_enabled(), cfgarg, o->extra_cmdline);
	if (hvc_trace_on())
		b->cmdline = vm_trace_cmdline(b->cmdline);
	return 0;
}

/* Step 7: the domain XML (a pure generator), kept in the state directory. */
static int domain_xml(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	const char *emulator = getenv("HVC_VM_EMULATOR"); /* tests: a QEMU that is missing */
	struct hvc_vm_def def = {.name = r->res->name,
				 .virt_type = b->kvm ? "kvm" : "qemu",
				 .machine = o->machine ? o->machine : "pc",
				 .emulator = emulator && *emulator ? emulator : NULL,
				 .vcpus = o->vcpus ? o->vcpus : 1,
				 .memory_mib = o->memory_mib ? o->memory_mib : 256,
				 .cpuset = o->cpuset,
				 .kernel = r->res->kernel,
				 .initrd = b->initrd,
				 .cmdline = b->cmdline,
				 .console_log = r->console,
				 .root_disk = b->root_disk,
				 .root_disk_format = "qcow2",
				 .data_disk = b->data_disk,
				 .data_disk_direct = b->data_disk && hvc_vm_direct_io_ok(r->dir),
				 .description = "hvc VM (hvc vm run)",
				 .net = o->network == HVC_VM_NET_BRIDGE ? &r->net : NULL,
				 .cmd_channel = r->tpl ? r->tpl->sock : NULL};
	if (hvc_vm_domain_xml(&def, &b->xml, err) < 0)
		return -1;
	if (hvc_trace_on())
		vm_trace_def(&def);
	_cleanup_free_ char *xml_path = hvc_path_join(r->dir, "domain.xml");
	if (hvc_write_file(xml_path, b->xml, strlen(b->xml), 0644, err) < 0)
		return -1;
	hvc_debug("vm: %.1f ms: state, disks and domain XML written", vm_run_since(r));
	return 0;
}

static int lifecycle_cb(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
	(void)c;
	(void)detail;
	struct vm_run *r = opaque;
	const char *name = virDomainGetName(d);
	if (event == VIR_DOMAIN_EVENT_STOPPED && name && !strcmp(name, r->res->name)) {
		uint64_t one = 1;
		ssize_t w = write(r->evfd, &one, sizeof(one));
		(void)w;
	}
	return 0;
}

int vm_run_connect(struct vm_run *r, struct hvc_error *err)
{
	int early = r->conn ? 1 : vm_run_early_conn_take(r, err);
	if (early < 0)
		return -1;
	if (!r->conn && hvc_vm_conn_open(r->uri, CONNECT_WAIT_MS, &r->conn, err) < 0)
		return -1;
	hvc_debug("vm: %.1f ms: connected to %s", vm_run_since(r), r->uri);
	HVC_TRACE("libvirt", "virConnectOpen(\"%s\")", r->uri);
	if (r->cb_id < 0)
		r->cb_id =
	    virConnectDomainEventRegisterAny(r->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					     VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), r, NULL);
	return 0;
}

/* Step 8: connect, listen for the domain's end, define and start it. */
static int domain_start(struct vm_run *r, const struct vm_boot *b, struct hvc_error *err)
{
	struct hvc_vm_result *res = r->res;
	if (vm_run_connect(r, err) < 0)
		return -1;
	if (hvc_vm_domain_start(r->conn, b->xml, &r->dom, err) < 0)
		return -1;
	hvc_debug("vm: %.1f ms: domain defined and started", vm_run_since(r));
	HVC_TRACE("libvirt", "virDomainDefineXML + virDomainCreate: QEMU started (paused, set up over QMP, resumed)");
	res->t.created_ms = vm_run_since(r);
	res->qemu_pid = hvc_vm_qemu_pid(r->uri, res->name);
	hvc_json_add_int(r->state, "qemu_pid", res->qemu_pid);
	if (hvc_trace_on())
		vm_trace_qemu(res->qemu_pid);
	vm_run_state_status(r, "running");
	return 0;
}

int vm_boot_domain(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	if (vm_boot_record(r, b, err) < 0 || attach_network(r, err) < 0 ||
	    make_disks(r, b, err) < 0 || guest_config(r, b, err) < 0 ||
	    domain_xml(r, b, err) < 0 || domain_start(r, b, err) < 0)
		return -1;
	return 0;
}

int vm_boot_prepare(struct vm_run *r, struct vm_boot *b, struct hvc_error *err)
{
	if (resolve_kernel_accel(r, b, err) < 0 || resolve_image(r, b, err) < 0 ||
	    get_artifacts(r, b, err) < 0)
		return -1;
	return 0;
}

/* Destroy + undefine; records "domain gone". */
void vm_run_teardown(struct vm_run *r)
{
	if (r->cb_id >= 0 && r->conn) {
		virConnectDomainEventDeregisterAny(r->conn, r->cb_id);
		r->cb_id = -1;
	}
	if (!r->dom)
		return;
	struct hvc_error e = {0};
	/* After EXIT the guest has synced and has nothing left to do. libvirt's
	 * destroy sends SIGTERM and then polls every 200 ms for the process to
	 * go; killing our own QEMU first (the reaper thread collects it) makes
	 * that poll find it gone at once. */
	if (r->con.exited && !r->o->wait_poweroff && r->res->qemu_pid > 0 &&
	    hvc_vm_uri_is_embedded(r->uri)) {
		/* reap at once: libvirt's EOF handler races to poll the pid */
		kill(r->res->qemu_pid, SIGKILL);
		if (waitpid(r->res->qemu_pid, NULL, 0) < 0)
			for (int i = 0; i < 200 && kill(r->res->qemu_pid, 0) == 0; i++)
				usleep(1000);
		hvc_debug("vm: %.1f ms: QEMU killed and reaped", vm_run_since(r));
		HVC_TRACE("teardown", "QEMU pid %d killed and reaped (the guest had synced)", r->res->qemu_pid);
	}
	if (hvc_vm_domain_teardown(r->dom, &e) < 0)
		hvc_warn("%s", e.msg);
	r->dom = NULL;
	r->res->t.gone_ms = vm_run_since(r);
	HVC_TRACE("libvirt", "virDomainDestroy + virDomainUndefine: the domain is gone");
}

void vm_run_drop(struct vm_run *r)
{
	vm_run_teardown(r);
	if (r->dir) {
		struct hvc_error ig = {0};
		hvc_rm_rf(r->dir, &ig);
	}
	json_object_put(r->state);
	r->state = NULL;
	free(r->dir);
	free(r->console);
	r->dir = r->console = NULL;
}

