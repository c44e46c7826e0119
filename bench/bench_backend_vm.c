/* bench/backend vm: the hvc VM driver booting the benchmark image (host
 * kernel + initramfs with hvc-init as /init) through libvirt, vCPU pinned to
 * the same CPUs (cpuset), 1 vCPU and a fixed memory size. READY, as for every
 * backend, is the workload's first output line reaching the host; the
 * driver's own phases (domain created, first console byte, hvc-init READY,
 * command exit, domain gone) are kept alongside. Memory is the QEMU process,
 * measured from hvc-init's READY on. The accelerator (kvm/tcg) is recorded
 * with every sample.
 *
 * vm-restore: the same run started from the image's VM template (`hvc vm run
 * --template`: a guest saved where hvc-init waits for its command, restored
 * by libvirt); the template is made in prepare(), so no sample pays for it. */
#include "bench_internal.h"
#include "hvc/image.h"
#include "hvc/network.h"
#include "hvc/vm.h"
#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Enough for the mem workload's 3 arrays beyond the host's LLC (full suite:
 * 3 x 256 MiB) beside the initramfs rootfs; QEMU touches guest memory
 * lazily, so the idle footprint does not grow with it. */
#define VM_MEMORY_MIB 1024
#define VM_DATA_DISK_BYTES (256ull << 20)

struct vm_run {
	const struct hvc_bench_req *req;
	uint64_t t0;
	pthread_mutex_t lock;
	char *out;
	size_t len;
	double first_line_ms;
	struct hvc_bench_live live;
	/* a shared boot: when each part's end marker reached the host */
	double mark_ms[32];
	size_t n_marks, scanned;
};

/* Stamps the shared-boot markers that arrived with the last chunk. */
static void stamp_marks(struct vm_run *v)
{
	const char *m;
	while (v->n_marks < sizeof(v->mark_ms) / sizeof(v->mark_ms[0]) &&
	       (m = strstr(v->out + v->scanned, HVC_BENCH_SESSION_MARK))) {
		v->mark_ms[v->n_marks++] = hvc_ns_to_ms(hvc_now_ns() - v->t0);
		v->scanned = (size_t)(m - v->out) + 1;
	}
}

static void vm_output(void *opaque, const char *buf, size_t n)
{
	struct vm_run *v = opaque;
	pthread_mutex_lock(&v->lock);
	char *nb = v->len + n < (8u << 20) ? realloc(v->out, v->len + n + 1) : NULL;
	if (nb) {
		memcpy(nb + v->len, buf, n);
		v->len += n;
		nb[v->len] = '\0';
		v->out = nb;
		if (v->first_line_ms < 0 && memchr(v->out, '\n', v->len))
			v->first_line_ms = hvc_ns_to_ms(hvc_now_ns() - v->t0);
		stamp_marks(v);
	}
	pthread_mutex_unlock(&v->lock);
}

static void vm_ready(void *opaque, pid_t qemu_pid)
{
	struct vm_run *v = opaque;
	v->live = (struct hvc_bench_live){.pid = qemu_pid, .pid_tree = false};
	if (qemu_pid > 0 && v->req->event) {
		v->req->event(v->req->opaque, HVC_BENCH_EV_STARTED, &v->live);
		v->req->event(v->req->opaque, HVC_BENCH_EV_READY, &v->live);
	}
}

static int vm_available(struct hvc_bench_ctx *ctx, char *reason, size_t len)
{
	struct hvc_error err = {0};
	_cleanup_free_ char *qemu = hvc_vm_qemu_binary(&err);
	if (!qemu) {
		snprintf(reason, len, "%s", err.msg);
		return 0;
	}
	struct hvc_vm_kernel k;
	if (hvc_vm_kernel_find(NULL, &k, &err) < 0) {
		snprintf(reason, len, "%s", err.msg);
		return 0;
	}
	return hvc_bench_image_usable(ctx, reason, len);
}

static void base_opts(struct hvc_bench_ctx *ctx, struct hvc_vm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->image = ctx->image;
	o->cpuset = ctx->cpus;
	o->memory_mib = VM_MEMORY_MIB;
	o->vcpus = 1;
	o->rm = true;
	o->compress = -1;
	o->cancel = ctx->cancel;
}

struct vm_priv {
	void *conn;
};

static int prepare_slot(struct hvc_bench_ctx *ctx, size_t slot, struct hvc_error *err)
{
	/* One libvirt connection held for the whole run: every sample's
	 * hvc_vm_run shares it instead of opening (and registering an embedded
	 * driver) anew, which libvirt allows only a bounded number of times. */
	struct vm_priv *p = hvc_xcalloc(1, sizeof(*p));
	ctx->priv[slot] = p;
	_cleanup_free_ char *uri = hvc_vm_default_uri(NULL);
	if (hvc_vm_conn_open(uri, 30000, &p->conn, err) < 0)
		return -1;
	/* Boot artifacts are built once here, so no sample pays for them. */
	struct hvc_vm_opts o;
	base_opts(ctx, &o);
	o.prepare_only = true;
	struct hvc_vm_result res;
	memset(&res, 0, sizeof(res));
	int r = hvc_vm_run(&o, &res, err);
	hvc_vm_result_free(&res);
	return r < 0 ? hvc_error_prefix(err, "VM boot artifacts") : 0;
}

static int vm_prepare(struct hvc_bench_ctx *ctx, struct hvc_error *err)
{
	return prepare_slot(ctx, HVC_BENCH_SLOT_VM, err);
}

/* The artifacts, then the template (a restore of it runs `true`). */
static int vm_restore_prepare(struct hvc_bench_ctx *ctx, struct hvc_error *err)
{
	if (prepare_slot(ctx, HVC_BENCH_SLOT_VM_RESTORE, err) < 0)
		return -1;
	char *cmd[] = {"true", NULL};
	struct hvc_vm_opts o;
	base_opts(ctx, &o);
	o.template_ = true;
	o.cmd = cmd;
	struct hvc_vm_result res;
	memset(&res, 0, sizeof(res));
	int r = hvc_vm_run(&o, &res, err);
	hvc_vm_result_free(&res);
	return r < 0 ? hvc_error_prefix(err, "VM template") : 0;
}

/* A network sample's NIC: a lease of kind "vm" on hvc0 taken here (the
 * driver's low-level form: bridge, address, prefix, gateway), released
 * after the run; the tap is libvirt's and goes with the domain. */
struct vm_lease {
	bool leased;
	char net[64], owner[72];
	uint32_t addr;
};

static int vm_lease_take(struct hvc_vm_opts *o, struct vm_lease *vl, struct hvc_error *err)
{
	struct hvc_net n;
	bool created = false;
	char id[17];
	if (hvc_net_get("bridge", &n, err) < 0 || hvc_net_bridge_ensure(&n, &created, err) < 0 ||
	    (created && hvc_net_sync(true, err) < 0) || hvc_random_hex(id, 8, err) < 0)
		return -1;
	struct hvc_net_lease l = {0};
	snprintf(l.kind, sizeof(l.kind), "vm");
	snprintf(l.owner, sizeof(l.owner), "%s", id);
	snprintf(l.name, sizeof(l.name), "hvcbench-%s", id);
	if (hvc_net_lease_alloc(&n, &l, err) < 0)
		return -1;
	vl->leased = true;
	vl->addr = l.addr;
	snprintf(vl->net, sizeof(vl->net), "%s", n.name);
	snprintf(vl->owner, sizeof(vl->owner), "%s", l.owner);
	hvc_net_lease_clear(&l);
	o->network = HVC_VM_NET_BRIDGE;
	snprintf(o->net.bridge, sizeof(o->net.bridge), "%s", n.bridge);
	hvc_net_ip_format(vl->addr, o->net.address);
	o->net.prefix = n.prefix;
	hvc_net_ip_format(n.gateway, o->net.gateway);
	return 0;
}

static void vm_lease_release(struct vm_lease *vl)
{
	struct hvc_error e = {0};
	if (vl->leased && hvc_net_lease_release(vl->net, vl->addr, vl->owner, &e) < 0)
		hvc_warn("release lease of %s: %s", vl->owner, e.msg);
	vl->leased = false;
}

/* The guest's command: hvc-workload ARGS, or `sh -c SCRIPT` for a shared boot. */
static char **guest_cmd(const struct hvc_bench_req *req, const char *script)
{
	char **cmd = NULL;
	if (script) {
		hvc_strv_push(&cmd, "/bin/sh");
		hvc_strv_push(&cmd, "-c");
		hvc_strv_push(&cmd, script);
		return cmd;
	}
	hvc_strv_push(&cmd, HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (char *const *a = req->argv; a && *a; a++)
		hvc_strv_push(&cmd, *a);
	return cmd;
}

/* The driver's phases and facts of one run into the outcome. */
static void vm_facts(struct hvc_bench_outcome *out, const struct hvc_vm_result *r,
		     const struct vm_run *v, bool tpl, bool shared)
{
	out->phases = json_object_new_object();
#define PH(name, val)                                                                              \
	if ((val) > 0)                                                                             \
		hvc_json_add_double(out->phases, name, val);
	PH("domain_created", r->t.created_ms);
	PH("first_console_byte", r->t.first_byte_ms);
	PH("init_ready", r->t.ready_ms);
	PH("first_output", v->first_line_ms);
	PH("command_exit", r->t.exit_ms);
	PH("domain_gone", r->t.gone_ms);
	PH("command_handed_over", r->t.handoff_ms);
#undef PH
	out->extra = json_object_new_object();
	hvc_json_add_int(out->extra, "qemu_pid", r->qemu_pid);
	hvc_json_add_string(out->extra, "kernel_release", r->kernel_release);
	hvc_json_add_string(out->extra, "accelerator_reason", r->accel_reason);
	hvc_json_add_int(out->extra, "memory_mib", VM_MEMORY_MIB);
	hvc_json_add_bool(out->extra, "template", tpl);
	if (shared) {
		json_object *marks = json_object_new_array();
		for (size_t i = 0; i < v->n_marks; i++)
			json_object_array_add(marks, json_object_new_double(v->mark_ms[i]));
		json_object_object_add(out->extra, "part_end_ms", marks);
	}
}

static int run_vm(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		  struct hvc_bench_outcome *out, bool tpl, const char *script,
		  struct hvc_error *err)
{
	_cleanup_strv_ char **cmd = guest_cmd(req, script);
	struct vm_run v = {.req = req, .first_line_ms = -1};
	pthread_mutex_init(&v.lock, NULL);
	struct hvc_vm_opts o;
	base_opts(ctx, &o);
	o.cmd = cmd;
	o.name = req->tag;
	o.output = vm_output;
	o.on_ready = vm_ready;
	o.opaque = &v;
	o.timeout_s = req->timeout_ms > 0 ? req->timeout_ms / 1000 : 0;
	o.template_ = tpl;
	if (tpl && (req->scratch_disk || req->network))
		return hvc_err(err, ENOTSUP, "vm-restore: a template has no data disk or NIC "
					     "(startup, cpu, mem and idle workloads only)");
	if (req->scratch_disk) {
		/* file I/O goes to a virtio disk, as native's goes to the host disk */
		o.data_disk_bytes = VM_DATA_DISK_BYTES;
		o.workdir = "/data";
	}
	__attribute__((cleanup(vm_lease_release))) struct vm_lease vl = {0};
	if (req->network && vm_lease_take(&o, &vl, err) < 0)
		return hvc_error_prefix(err, "VM network on %s", HVC_NET_DEFAULT);
	struct hvc_vm_result res;
	memset(&res, 0, sizeof(res));
	v.t0 = hvc_now_ns();
	int r = hvc_vm_run(&o, &res, err);
	double done_ms = hvc_ns_to_ms(hvc_now_ns() - v.t0);
	pthread_mutex_lock(&v.lock);
	out->output = v.out ? v.out : hvc_xstrdup("");
	v.out = NULL;
	pthread_mutex_unlock(&v.lock);
	pthread_mutex_destroy(&v.lock);
	if (r < 0) {
		hvc_vm_result_free(&res);
		return -1;
	}
	out->exit_status = res.exit_status;
	out->ready_ms = v.first_line_ms;
	out->exit_ms = done_ms;
	out->accelerator = hvc_xstrdup(res.accel[0] ? res.accel : "unknown");
	vm_facts(out, &res, &v, tpl, script != NULL);
	hvc_vm_result_free(&res);
	return 0;
}

static int vm_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
		  struct hvc_bench_outcome *out, struct hvc_error *err)
{
	return run_vm(ctx, req, out, false, NULL, err);
}

int hvc_bench_vm_run_script(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
			    const char *script, struct hvc_bench_outcome *out,
			    struct hvc_error *err)
{
	return run_vm(ctx, req, out, false, script, err);
}

static int vm_restore_run(struct hvc_bench_ctx *ctx, const struct hvc_bench_req *req,
			  struct hvc_bench_outcome *out, struct hvc_error *err)
{
	return run_vm(ctx, req, out, true, NULL, err);
}

/* The initramfs the driver cached for this image: the newest
 * $HVC_ROOT/vm/<digest-hex>-<release>/initramfs-*.cpio. */
static int64_t initramfs_bytes(const char *digest_hex, const char *release, char *path, size_t len)
{
	_cleanup_free_ char *dir =
	    hvc_strdup_printf("%s/vm/%s-%s", hvc_root(), digest_hex, release);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *de;
	int64_t best = -1;
	time_t best_t = 0;
	while ((de = readdir(d))) {
		if (!hvc_str_has_prefix(de->d_name, "initramfs-") || strstr(de->d_name, ".tmp"))
			continue;
		_cleanup_free_ char *p = hvc_path_join(dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && st.st_mtime >= best_t) {
			best_t = st.st_mtime;
			best = st.st_size;
			snprintf(path, len, "%s", p);
		}
	}
	closedir(d);
	return best;
}

static int vm_image_size(struct hvc_bench_ctx *ctx, struct hvc_bench_size *out,
			 struct hvc_error *err)
{
	if (hvc_bench_image_size(ctx->image, out, err) < 0)
		return -1;
	struct hvc_vm_kernel k;
	if (hvc_vm_kernel_find(NULL, &k, err) < 0)
		return -1;
	struct stat st;
	if (stat(k.path, &st) == 0)
		out->kernel = st.st_size;
	struct hvc_image_store *s = NULL;
	struct hvc_image *img = NULL;
	char path[1024] = "";
	if (hvc_image_store_open(hvc_root(), &s, err) == 0 &&
	    hvc_image_resolve(s, ctx->image, &img, err) == 0) {
		const char *hex = strchr(img->manifest_digest, ':');
		out->initramfs = initramfs_bytes(hex ? hex + 1 : img->manifest_digest, k.release,
						 path, sizeof(path));
	}
	if (img)
		hvc_image_free(img);
	if (s)
		hvc_image_store_close(s);
	snprintf(out->note, sizeof(out->note),
		 "kernel %s; initramfs %s (image rootfs + hvc-init + modules)", k.path,
		 out->initramfs >= 0 ? path : "not found in the VM artifact cache");
	return 0;
}

/* The value of attr='...' in the first <tag .../> of xml, or NULL. */
static char *xml_attr(const char *xml, const char *tag, const char *attr)
{
	_cleanup_free_ char *open_tag = hvc_strdup_printf("<%s ", tag);
	_cleanup_free_ char *key = hvc_strdup_printf(" %s='", attr);
	const char *t = strstr(xml, open_tag);
	const char *end = t ? strchr(t, '>') : NULL;
	const char *a = t ? strstr(t, key) : NULL;
	if (!a || a > end)
		return NULL;
	a += strlen(key);
	const char *q = strchr(a, '\'');
	return q ? strndup(a, (size_t)(q - a)) : NULL;
}

/* The data disk as the VM driver declares it: its domain XML generator
 * (pure) rendered for a definition with a data disk, the O_DIRECT choice made
 * as a run makes it (hvc_vm_direct_io_ok on the VMs' directory), and that
 * disk's <driver> and <target> read back. An attribute the XML leaves out is
 * libvirt's default: for QEMU cache=writeback (the host page cache) and
 * io=threads. */
static void vm_storage(struct hvc_bench_ctx *ctx, struct hvc_bench_storage *st)
{
	st->kind = "vm-data-disk";
	st->path = "/data";
	st->host_path = hvc_strdup_printf("%s/vms", hvc_root()); /* <id>/data.img */
	st->how = hvc_strdup_printf("a %llu MiB raw image file per sample, ext4 in the guest, "
				    "mounted on /data (the workload's cwd)",
				    VM_DATA_DISK_BYTES >> 20);
	struct hvc_vm_def d = {.name = "storage-probe",
			       .virt_type = "qemu",
			       .vcpus = 1,
			       .memory_mib = VM_MEMORY_MIB,
			       .cpuset = ctx->cpus,
			       .kernel = "/kernel",
			       .console_log = "/console",
			       .data_disk = "/data.img",
			       .data_disk_direct = hvc_vm_direct_io_ok(st->host_path)};
	_cleanup_free_ char *xml = NULL;
	struct hvc_error e = {0};
	if (hvc_vm_domain_xml(&d, &xml, &e) < 0)
		return;
	const char *disk = strstr(xml, "<disk ");
	if (!disk)
		return;
	char *cache = xml_attr(disk, "driver", "cache"), *io = xml_attr(disk, "driver", "io");
	st->disk_format = xml_attr(disk, "driver", "type");
	st->disk_bus = xml_attr(disk, "target", "bus");
	st->disk_cache =
	    cache ? cache : hvc_xstrdup("default (libvirt/QEMU: writeback, host page cache)");
	st->disk_io = io ? io : hvc_xstrdup("default (QEMU: threads)");
}

static void cleanup_slot(struct hvc_bench_ctx *ctx, size_t i)
{
	struct vm_priv *p = ctx->priv[i];
	if (!p)
		return;
	hvc_vm_conn_close(p->conn);
	free(p);
	ctx->priv[i] = NULL;
}

static void vm_cleanup(struct hvc_bench_ctx *ctx)
{
	cleanup_slot(ctx, HVC_BENCH_SLOT_VM);
}

static void vm_restore_cleanup(struct hvc_bench_ctx *ctx)
{
	cleanup_slot(ctx, HVC_BENCH_SLOT_VM_RESTORE);
}

static char *vm_restore_describe(struct hvc_bench_ctx *ctx, char *const *args)
{
	char *s = hvc_strdup_printf("hvc vm run --rm --template -m %d --vcpus 1 (cpuset %s) %s %s",
				    VM_MEMORY_MIB, ctx->cpus, ctx->image,
				    HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (; args && *args; args++) {
		char *n = hvc_strdup_printf("%s %s", s, *args);
		free(s);
		s = n;
	}
	return s;
}

static char *vm_describe(struct hvc_bench_ctx *ctx, char *const *args)
{
	char *s =
	    hvc_strdup_printf("hvc vm run --rm -m %d --vcpus 1 (cpuset %s) %s %s", VM_MEMORY_MIB,
			      ctx->cpus, ctx->image, HVC_BENCH_WORKLOAD_IN_IMAGE);
	for (; args && *args; args++) {
		char *n = hvc_strdup_printf("%s %s", s, *args);
		free(s);
		s = n;
	}
	char *n =
	    hvc_strdup_printf("%s (library call hvc_vm_run; fileio: data disk at /data as cwd)", s);
	free(s);
	return n;
}

/* A VM reaches the host's net-server on hvc0's own address through its tap
 * and virtio-net NIC (libvirt's <interface type='bridge'>). */
static int vm_net_peer(struct hvc_bench_ctx *ctx, char *addr, size_t addr_len, const char **path,
		       char *reason, size_t len)
{
	int r = hvc_bench_net_peer_bridge(ctx, addr, addr_len, path, reason, len);
	*path = "tap+virtio-net";
	return r;
}

const struct hvc_bench_backend hvc_bench_backend_vm = {
    .name = "vm",
    .slot = HVC_BENCH_SLOT_VM,
    .summary = "the hvc VM driver: libvirt + QEMU, host kernel + initramfs of the image, hvc-init "
	       "as /init",
    .available = vm_available,
    .prepare = vm_prepare,
    .run = vm_run,
    .image_size = vm_image_size,
    .describe = vm_describe,
    .storage = vm_storage,
    .cleanup = vm_cleanup,
    .net_peer = vm_net_peer,
};

const struct hvc_bench_backend hvc_bench_backend_vm_restore = {
    .name = "vm-restore",
    .slot = HVC_BENCH_SLOT_VM_RESTORE,
    .opt_in = true, /* makes a template in prepare; startup/cpu/mem/idle only */
    .summary = "the hvc VM driver started from the image's template: a guest saved by libvirt "
	       "where hvc-init waits for its command, restored per sample",
    .available = vm_available,
    .prepare = vm_restore_prepare,
    .run = vm_restore_run,
    .image_size = vm_image_size,
    .describe = vm_restore_describe,
    .cleanup = vm_restore_cleanup,
};
