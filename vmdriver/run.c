/* vmdriver/run: one VM run, start to finish — the driver entry point that the
 * CLI (`hvc vm run`) and the bench harness call. The plan: resolve the
 * accelerator, kernel and image -> boot artifacts (cached) -> per-run state
 * dir and disks -> domain XML -> define + start through libvirt -> read the
 * serial console until hvc-init's READY and EXIT lines -> destroy, undefine,
 * and (with rm) delete the state. Every failure after the domain exists still
 * passes through the same clean-up. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include "hvc/image.h"
#include "vm-internal.h"

#define CONNECT_WAIT_MS 30000
#define POWEROFF_WAIT_MS 10000

struct run {
	const struct hvc_vm_opts *o;
	struct hvc_vm_result *res;
	uint64_t t0;
	char *uri, *dir, *console;
	void *conn;
	virDomainPtr dom;
	int cb_id, evfd;
	json_object *state;
	struct hvc_vm_console con;
	size_t cap;
};

static double since(const struct run *r)
{
	return hvc_ns_to_ms(hvc_now_ns() - r->t0);
}

static void on_output(void *opaque, const char *buf, size_t len)
{
	struct run *r = opaque;
	if (r->o->output)
		r->o->output(r->o->opaque, buf, len);
	if (!r->o->capture)
		return;
	if (r->res->output_len + len + 1 > r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 4096;
		while (nc < r->res->output_len + len + 1)
			nc *= 2;
		char *np = realloc(r->res->output, nc);
		if (!np)
			return;
		r->res->output = np;
		r->cap = nc;
	}
	memcpy(r->res->output + r->res->output_len, buf, len);
	r->res->output_len += len;
	r->res->output[r->res->output_len] = '\0';
}

/* libvirt daemonizes every QEMU it starts (domains and its capability
 * probes), so their parent is PID 1 or the nearest subreaper, and libvirt
 * waits for one to end by polling kill(pid, 0) — which a zombie still
 * answers. On a host whose PID 1 reaps lazily (this one) that cost ~1.4 s per
 * destroy and made the one-off capability probe take over a minute. So hvc
 * becomes the subreaper and a thread reaps adopted QEMU zombies. It reaps
 * only zombies named qemu-system-* in a session of their own: libvirt's
 * own direct children (which it waits for itself) are never touched. */
/* A QEMU that libvirt started as a direct child (the capability probe runs
 * `qemu -daemonize` and waits for that very process) is our child too, since
 * the embedded driver lives in this process: reaping it makes libvirt fail
 * with "unable to wait for process". Daemonized QEMUs (and the intermediate
 * forks they leave behind) have called setsid(), so only processes in a
 * session other than ours are adopted ones hvc may reap. fields points at
 * the state field of /proc/PID/stat: "S ppid pgrp session ...". */
static bool in_other_session(const char *fields)
{
	char state;
	int ppid, pgrp, session;
	return sscanf(fields, "%c %d %d %d", &state, &ppid, &pgrp, &session) == 4 &&
	       session != (int)getsid(0);
}

/* Reads a small /proc file into buf (NUL-terminated) without allocating. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Runs every 20 ms beside libvirt, which forks: it allocates nothing (no
 * opendir, no malloc), so a fork can never catch it holding an allocator
 * lock — glibc's malloc survives that, AddressSanitizer's does not. */
static void reap_qemu_zombies(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)getpid());
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	char dents[4096] __attribute__((aligned(8)));
	long nread;
	while ((nread = syscall(SYS_getdents64, dfd, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < nread;) {
			struct dirent64 *de = (struct dirent64 *)(dents + off);
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			char cp[128], kids[1024];
			snprintf(cp, sizeof(cp), "%s/%s/children", path, de->d_name);
			if (read_small(cp, kids, sizeof(kids)) <= 0)
				continue;
			for (char *sv = NULL, *t = strtok_r(kids, " \n", &sv); t; t = strtok_r(NULL, " \n", &sv)) {
				char sp[64], st[512];
				snprintf(sp, sizeof(sp), "/proc/%s/stat", t);
				if (read_small(sp, st, sizeof(st)) <= 0)
					continue;
				const char *rp = strrchr(st, ')');
				if (rp && rp[1] == ' ' && rp[2] == 'Z' && strstr(st, "(qemu-system-") &&
				    in_other_session(rp + 2))
					waitpid(atoi(t), NULL, WNOHANG);
			}
		}
	}
	close(dfd);
}

static void *reaper_thread(void *arg)
{
	(void)arg;
	for (;;) {
		reap_qemu_zombies();
		usleep(20000);
	}
	return NULL;
}

static void reaper_start(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&th, &attr, reaper_thread, NULL);
	pthread_attr_destroy(&attr);
}

static int lifecycle_cb(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
	(void)c;
	(void)detail;
	struct run *r = opaque;
	const char *name = virDomainGetName(d);
	if (event == VIR_DOMAIN_EVENT_STOPPED && name && !strcmp(name, r->res->name)) {
		uint64_t one = 1;
		ssize_t w = write(r->evfd, &one, sizeof(one));
		(void)w;
	}
	return 0;
}

static void state_save(struct run *r)
{
	struct hvc_error err = { 0 };
	if (r->state && vm_state_write(r->res->id, r->state, &err) < 0)
		hvc_warn("VM %s: %s", r->res->id, err.msg);
}

static void state_status(struct run *r, const char *status)
{
	hvc_json_add_string(r->state, "status", status);
	state_save(r);
}

static unsigned long long self_start(void)
{
	_cleanup_free_ char *s = NULL;
	struct hvc_error err = { 0 };
	if (hvc_read_file("/proc/self/stat", &s, NULL, &err) < 0)
		return 0;
	const char *p = strrchr(s, ')');
	unsigned long long v = 0;
	if (p)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
			      "%llu", &v);
	return v;
}

/* The image's command must exist in its tree (PATH lookup as hvc-init does). */
static int check_command(const char *rootfs, const char *image, char **argv, char **env,
			 struct hvc_error *err)
{
	const char *cmd = argv[0];
	struct stat st;
	if (strchr(cmd, '/')) {
		_cleanup_free_ char *p = hvc_path_join(rootfs, cmd);
		if (lstat(p, &st) == 0)
			return 0;
		return hvc_err(err, 0, "image \"%s\": command \"%s\" not found in the image", image,
			       cmd);
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; env && env[i]; i++)
		if (hvc_str_has_prefix(env[i], "PATH="))
			path = env[i] + 5;
	_cleanup_free_ char *copy = strdup(path);
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *dir = hvc_path_join(rootfs, d);
		_cleanup_free_ char *p = hvc_path_join(dir, cmd);
		if (lstat(p, &st) == 0)
			return 0;
	}
	return hvc_err(err, 0, "image \"%s\": command \"%s\" not found in $PATH (%s)", image, cmd,
		       path);
}

static int make_data_disk(const char *path, uint64_t bytes, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return hvc_err(err, errno, "create `%s`", path);
	if (ftruncate(fd, (off_t)bytes) < 0)
		return hvc_err(err, errno, "size `%s`", path);
	char *argv[] = { "mkfs.ext4", "-q", "-F", "-L", "hvcdata", (char *)path, NULL };
	_cleanup_free_ char *out = NULL;
	int rc = hvc_spawn_capture(argv, &out, true, 60000, err);
	if (rc != 0)
		return rc < 0 ? rc : hvc_err(err, EIO, "mkfs.ext4 `%s`: %s", path, out ? hvc_str_trim(out) : "");
	return 0;
}

static int make_overlay(const char *base, const char *path, struct hvc_error *err)
{
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", (char *)base,
			 (char *)path, NULL };
	_cleanup_free_ char *out = NULL;
	int rc = hvc_spawn_capture(argv, &out, true, 30000, err);
	if (rc != 0)
		return rc < 0 ? rc : hvc_err(err, EIO, "qemu-img create `%s`: %s", path, out ? hvc_str_trim(out) : "");
	return 0;
}

/* Per-run initrd when the config does not fit the kernel command line:
 * the cached archive followed by a small one holding /hvc/config (the
 * kernel unpacks concatenated archives in order). */
static int initrd_with_config(const char *base, const char *cfg, const char *out, struct hvc_error *err)
{
	if (hvc_copy_file(base, out, 0644, err) < 0)
		return -1;
	_cleanup_free_ char *extra = hvc_strdup_printf("%s.cfg", out);
	struct hvc_vm_cpio_extra x = { .path = "hvc/config", .data = cfg, .len = strlen(cfg), .mode = 0644 };
	if (hvc_vm_cpio_write(extra, NULL, &x, 1, HVC_VM_COMPRESS_NONE, err) < 0)
		return -1;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int rc = hvc_read_file(extra, &data, &len, err);
	unlink(extra);
	if (rc < 0)
		return -1;
	_cleanup_close_ int fd = open(out, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		return hvc_err(err, errno, "append config to `%s`", out);
	return 0;
}

/* Last non-empty console line, for error messages. */
static char *console_tail(const char *path)
{
	_cleanup_free_ char *s = NULL;
	struct hvc_error err = { 0 };
	if (hvc_read_file(path, &s, NULL, &err) < 0)
		return NULL;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	char *nl = strrchr(s, '\n');
	char *line = nl ? nl + 1 : s;
	while (*line == '\r')
		line++;
	return *line ? strndup(line, 200) : NULL;
}

/* Reads the console until the run is over. Returns 0, or < 0 with err. */
static int watch(struct run *r, int timeout_ms, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	_cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	_cleanup_close_ int fd = -1;
	/* the guest's time starts when its domain does: connection set-up and
	 * libvirt's one-off QEMU capability probe (slow on a loaded host) do not count */
	uint64_t deadline = hvc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	uint64_t off_deadline = 0; /* after EXIT: how long to wait for power-off */
	bool stopped = false;
	char buf[65536];
	for (;;) {
		if (fd < 0) {
			fd = open(r->console, O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && ino >= 0)
				inotify_add_watch(ino, r->console, IN_MODIFY);
		}
		if (fd >= 0) {
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0) {
				if (!r->con.bytes)
					r->res->t.first_byte_ms = since(r);
				bool was_ready = r->con.ready;
				hvc_vm_console_feed(&r->con, buf, (size_t)n);
				if (!was_ready && r->con.ready) {
					r->res->t.ready_ms = since(r);
					hvc_debug("VM %s: READY after %.1f ms", r->res->name, r->res->t.ready_ms);
					if (o->on_ready)
						o->on_ready(o->opaque, r->res->qemu_pid);
					if (o->detach)
						return 0;
				}
				if (r->con.exited && !r->res->t.exit_ms) {
					r->res->t.exit_ms = since(r);
					off_deadline = hvc_now_ns() + POWEROFF_WAIT_MS * 1000000ull;
					/* hvc-init synced before reporting: nothing is left for
					 * the guest to do, so destroy now rather than wait for an
					 * emulated ACPI power-off (see docs/vm.md) */
					if (!o->wait_poweroff)
						return 0;
				}
			}
		}
		if (stopped)
			break;
		uint64_t now = hvc_now_ns();
		if (o->cancel && *o->cancel)
			return hvc_err(err, EINTR, "VM %s: stopped on request", r->res->name);
		if (!r->con.ready && now >= deadline) {
			_cleanup_free_ char *tail = console_tail(r->console);
			return hvc_err(err, 0,
				       "VM %s: no READY from hvc-init within %d s (--timeout)%s%s%s",
				       r->res->name, timeout_ms / 1000, tail ? "; last console line: \"" : "",
				       tail ? tail : "", tail ? "\"" : "");
		}
		if (off_deadline && now >= off_deadline) {
			hvc_warn("VM %s: no power-off %d ms after the command ended; destroying it",
				 r->res->name, POWEROFF_WAIT_MS);
			break;
		}
		struct pollfd p[2] = { { .fd = r->evfd, .events = POLLIN }, { .fd = ino, .events = POLLIN } };
		int pr = poll(p, 2, 50);
		if (pr > 0 && (p[1].revents & POLLIN)) {
			char ev[4096];
			while (read(ino, ev, sizeof(ev)) > 0)
				;
		}
		if (pr > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			ssize_t rd = read(r->evfd, &v, sizeof(v));
			(void)rd;
			stopped = true; /* one more pass drains the console */
		}
	}
	if (!r->con.ready) {
		_cleanup_free_ char *tail = console_tail(r->console);
		return hvc_err(err, 0, "VM %s: the guest stopped before hvc-init was READY%s%s%s",
			       r->res->name, tail ? "; last console line: \"" : "", tail ? tail : "",
			       tail ? "\"" : "");
	}
	if (!r->con.exited)
		return hvc_err(err, 0, "VM %s: the guest stopped without reporting the command's exit status",
			       r->res->name);
	return 0;
}

/* Destroy + undefine; records "domain gone". */
static void teardown(struct run *r)
{
	if (r->cb_id >= 0 && r->conn) {
		virConnectDomainEventDeregisterAny(r->conn, r->cb_id);
		r->cb_id = -1;
	}
	if (r->dom) {
		struct hvc_error e = { 0 };
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
			hvc_debug("vm: %.1f ms: QEMU killed and reaped", since(r));
		}
		if (hvc_vm_domain_teardown(r->dom, &e) < 0)
			hvc_warn("%s", e.msg);
		r->dom = NULL;
		r->res->t.gone_ms = since(r);
	}
}

/* Kernel arguments that skip work a minimal VM does not need: no i8042
 * keyboard/mouse probing, one UART, no crypto self-tests, no TSC re-check or
 * timer check. Measured in docs/vm.md; HVC_VM_FAST_BOOT=0 leaves them out. */
static const char *fast_boot_args(void)
{
	const char *e = getenv("HVC_VM_FAST_BOOT");
	if (e && !strcmp(e, "0"))
		return "";
	return " tsc=reliable no_timer_check i8042.noaux i8042.nopnp i8042.nokbd cryptomgr.notests "
	       "8250.nr_uarts=1";
}

static int boot(struct run *r, struct hvc_error *err)
{
	const struct hvc_vm_opts *o = r->o;
	struct hvc_vm_result *res = r->res;

	/* accelerator (the host probe's cached verdict), kernel, image */
	struct hvc_vm_kernel kern;
	if (hvc_vm_kernel_find(o->kernel, &kern, err) < 0)
		return -1;
	if (!kern.modules_dir[0])
		return hvc_err(err, ENOENT, "kernel `%s`: no /lib/modules/%s for its modules", kern.path,
			       kern.release);
	res->kernel = strdup(kern.path);
	res->kernel_release = strdup(kern.release);
	struct hvc_vm_accel_info accel;
	if (hvc_vm_accel_probe(&kern, 0, &accel, err) < 0)
		return hvc_error_prefix(err, "accelerator probe");
	bool kvm = accel.accel == HVC_VM_ACCEL_KVM;
	snprintf(res->accel, sizeof(res->accel), "%s", kvm ? "kvm" : "tcg");
	res->accel_reason = strdup(accel.reason);

	struct hvc_image_store *store = NULL;
	struct hvc_image *img = NULL;
	if (hvc_image_store_open(hvc_root(), &store, err) < 0)
		return -1;
	if (hvc_image_resolve(store, o->image, &img, err) < 0) {
		hvc_image_store_close(store);
		return -1;
	}
	hvc_debug("vm: %.1f ms: kernel, accelerator and image resolved", since(r));
	const struct hvc_image_config *ic = &img->config;
	_cleanup_strv_ char **argv = NULL, **env = NULL;
	for (size_t i = 0; ic->entrypoint && ic->entrypoint[i]; i++)
		hvc_strv_push(&argv, ic->entrypoint[i]);
	char **cmd = o->cmd && o->cmd[0] ? o->cmd : ic->cmd;
	for (size_t i = 0; cmd && cmd[i]; i++)
		hvc_strv_push(&argv, cmd[i]);
	for (size_t i = 0; ic->env && ic->env[i]; i++)
		hvc_strv_push(&env, ic->env[i]);
	for (size_t i = 0; o->env && o->env[i]; i++)
		hvc_strv_push(&env, o->env[i]);
	const char *workdir = o->workdir ? o->workdir : ic->workdir;
	_cleanup_free_ char *workdir_copy = workdir && *workdir ? strdup(workdir) : NULL;
	const char *digest = img->manifest_digest;
	_cleanup_free_ char *key = strdup(hvc_str_has_prefix(digest, "sha256:") ? digest + 7 : digest);
	if (!argv) {
		hvc_image_free(img);
		hvc_image_store_close(store);
		return hvc_err(err, EINVAL, "image \"%s\" has no command (give one: hvc vm run %s CMD...)",
			       o->image, o->image);
	}

	/* boot artifacts */
	/* uncompressed by default: under TCG the guest kernel's inflate of a gzip
	 * initramfs cost ~0.8 s per boot here (docs/vm.md) */
	enum hvc_vm_compress comp = o->compress >= 0 ? (enum hvc_vm_compress)o->compress : HVC_VM_COMPRESS_NONE;
	_cleanup_free_ char *init = hvc_guest_program("hvc-init");
	struct hvc_vm_artifact_req req = { .image_key = key, .kernel_release = res->kernel_release,
					   .modules_root = "/lib/modules", .init_path = init,
					   .disk = o->disk, .comp = comp };
	struct hvc_vm_artifacts art;
	_cleanup_free_ char *tmp = NULL;
	if (!hvc_vm_artifacts_cached(hvc_root(), key, res->kernel_release, o->disk, comp)) {
		_cleanup_free_ char *vmdir = hvc_path_join(hvc_root(), "vm");
		if (hvc_mkdir_p(vmdir, 0755, err) < 0) {
			hvc_image_free(img);
			hvc_image_store_close(store);
			return -1;
		}
		char rnd[9];
		if (hvc_random_hex(rnd, 4, err) < 0) {
			hvc_image_free(img);
			hvc_image_store_close(store);
			return -1;
		}
		_cleanup_free_ char *leaf = hvc_strdup_printf(".flatten-%s", rnd);
		tmp = hvc_path_join(vmdir, leaf);
		if (hvc_image_flatten(store, img, tmp, err) < 0) {
			struct hvc_error ig = { 0 };
			hvc_rm_rf(tmp, &ig);
			hvc_image_free(img);
			hvc_image_store_close(store);
			return hvc_error_prefix(err, "flatten image \"%s\"", o->image);
		}
		req.rootfs = tmp;
	}
	hvc_image_free(img);
	hvc_image_store_close(store);
	int arc = hvc_vm_artifacts_get(&req, &art, err);
	if (tmp) {
		struct hvc_error ig = { 0 };
		hvc_rm_rf(tmp, &ig); /* gone already when it became the cache's copy */
	}
	if (arc < 0)
		return hvc_error_prefix(err, "boot artifacts for \"%s\"", o->image);
	hvc_debug("vm: %.1f ms: boot artifacts %s", since(r), art.cached ? "cached" : "built");
	_cleanup_free_ char *rootfs = hvc_path_join(art.dir, "rootfs");
	if (check_command(rootfs, o->image, argv, env, err) < 0) {
		hvc_vm_artifacts_free(&art);
		return -1;
	}
	if (o->prepare_only) {
		hvc_vm_artifacts_free(&art);
		return 0;
	}

	/* identity and state */
	char id[13];
	if (hvc_random_hex(id, 6, err) < 0) {
		hvc_vm_artifacts_free(&art);
		return -1;
	}
	snprintf(res->id, sizeof(res->id), "%s", id);
	snprintf(res->name, sizeof(res->name), "%s", o->name ? o->name : "");
	if (!o->name)
		snprintf(res->name, sizeof(res->name), "hvc-%s", id);
	struct hvc_vm_info other;
	struct hvc_error ig = { 0 };
	if (o->name && hvc_vm_find(o->name, &other, &ig) == 0) {
		free(other.image); free(other.uri); free(other.accel); free(other.status); free(other.created);
		hvc_vm_artifacts_free(&art);
		return hvc_err(err, EEXIST, "VM name \"%s\" is in use (hvc vm rm %s)", o->name, o->name);
	}
	r->dir = hvc_vm_state_dir(id);
	if (hvc_mkdir_p(r->dir, 0700, err) < 0) {
		hvc_vm_artifacts_free(&art);
		return -1;
	}
	r->console = hvc_path_join(r->dir, "console.log");
	r->state = json_object_new_object();
	char iso[32];
	hvc_json_add_string(r->state, "id", id);
	hvc_json_add_string(r->state, "name", res->name);
	hvc_json_add_string(r->state, "image", o->image);
	hvc_json_add_string(r->state, "uri", r->uri);
	hvc_json_add_string(r->state, "accel", res->accel);
	hvc_json_add_string(r->state, "accel_reason", res->accel_reason);
	hvc_json_add_string(r->state, "kernel", res->kernel);
	hvc_json_add_string(r->state, "initramfs", art.initramfs);
	hvc_json_add_string(r->state, "created", hvc_wall_iso8601(iso, sizeof(iso)));
	hvc_json_add_int(r->state, "owner", getpid());
	hvc_json_add_int(r->state, "owner_start", (int64_t)self_start());
	hvc_json_add_bool(r->state, "detached", false);
	hvc_json_add_int(r->state, "memory_mib", (int64_t)(o->memory_mib ? o->memory_mib : 256));
	hvc_json_add_int(r->state, "vcpus", o->vcpus ? o->vcpus : 1);
	state_status(r, "creating");

	/* disks */
	_cleanup_free_ char *root_disk = NULL, *data_disk = NULL;
	if (o->disk) {
		root_disk = hvc_path_join(r->dir, "root.qcow2");
		if (make_overlay(art.disk, root_disk, err) < 0) {
			hvc_vm_artifacts_free(&art);
			return -1;
		}
	}
	if (o->data_disk_bytes) {
		data_disk = hvc_path_join(r->dir, "data.img");
		if (make_data_disk(data_disk, o->data_disk_bytes, err) < 0) {
			hvc_vm_artifacts_free(&art);
			return hvc_error_prefix(err, "data disk");
		}
	}

	/* what hvc-init reads */
	_cleanup_strv_ char **load = NULL;
	if (root_disk || data_disk) {
		hvc_strv_push(&load, "virtio_pci");
		hvc_strv_push(&load, "virtio_blk");
	}
	struct hvc_vm_guestcfg gc = { .argv = argv, .env = env, .workdir = workdir_copy, .load = load,
				      .root_dev = root_disk ? "/dev/vda" : NULL,
				      .data_dev = data_disk ? (root_disk ? "/dev/vdb" : "/dev/vda") : NULL,
				      /* hvc kills the VM at EXIT; a guest power-off racing with
				       * that makes libvirt's own kill path cost 200 ms */
				      .linger_ms = o->wait_poweroff || o->detach ? 0 : 3000 };
	_cleanup_free_ char *cfg = hvc_vm_guestcfg_render(&gc);
	_cleanup_free_ char *cfgarg = cfg ? hvc_vm_guestcfg_cmdline_arg(cfg) : NULL;
	_cleanup_free_ char *initrd = strdup(art.initramfs);
	if (!cfgarg) {
		free(initrd);
		initrd = hvc_path_join(r->dir, "initrd");
		if (initrd_with_config(art.initramfs, cfg ? cfg : "", initrd, err) < 0) {
			hvc_vm_artifacts_free(&art);
			return hvc_error_prefix(err, "per-run initrd");
		}
	}
	_cleanup_free_ char *cmdline = hvc_strdup_printf(
		"console=ttyS0 quiet panic=-1 rdinit=/init%s%s%s%s%s", fast_boot_args(), cfgarg ? " " : "",
		cfgarg ? cfgarg : "",
		o->extra_cmdline ? " " : "", o->extra_cmdline ? o->extra_cmdline : "");
	hvc_vm_artifacts_free(&art);

	/* the domain */
	const char *emulator = getenv("HVC_VM_EMULATOR"); /* tests: a QEMU that is missing */
	struct hvc_vm_def def = { .name = res->name, .virt_type = kvm ? "kvm" : "qemu",
				  .machine = o->machine ? o->machine : "pc",
				  .emulator = emulator && *emulator ? emulator : NULL,
				  .vcpus = o->vcpus ? o->vcpus : 1,
				  .memory_mib = o->memory_mib ? o->memory_mib : 256, .cpuset = o->cpuset,
				  .kernel = res->kernel, .initrd = initrd, .cmdline = cmdline,
				  .console_log = r->console, .root_disk = root_disk,
				  .root_disk_format = "qcow2", .data_disk = data_disk,
				  .description = "hvc VM (hvc vm run)" };
	_cleanup_free_ char *xml = NULL;
	if (hvc_vm_domain_xml(&def, &xml, err) < 0)
		return -1;
	_cleanup_free_ char *xml_path = hvc_path_join(r->dir, "domain.xml");
	if (hvc_write_file(xml_path, xml, strlen(xml), 0644, err) < 0)
		return -1;
	hvc_debug("vm: %.1f ms: state, disks and domain XML written", since(r));
	if (hvc_vm_conn_open(r->uri, CONNECT_WAIT_MS, &r->conn, err) < 0)
		return -1;
	hvc_debug("vm: %.1f ms: connected to %s", since(r), r->uri);
	r->cb_id = virConnectDomainEventRegisterAny(r->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						    VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), r, NULL);
	void *dom = NULL;
	if (hvc_vm_domain_start(r->conn, xml, &dom, err) < 0)
		return -1;
	r->dom = dom;
	hvc_debug("vm: %.1f ms: domain defined and started", since(r));
	res->t.created_ms = since(r);
	res->qemu_pid = hvc_vm_qemu_pid(r->uri, res->name);
	hvc_json_add_int(r->state, "qemu_pid", res->qemu_pid);
	state_status(r, "running");

	int timeout_s = o->timeout_s > 0 ? o->timeout_s : kvm ? 10 : 60;
	if (watch(r, timeout_s * 1000, err) < 0)
		return -1;
	res->exit_status = r->con.exited ? r->con.exit_status : -1;
	return 0;
}

int hvc_vm_run(const struct hvc_vm_opts *o, struct hvc_vm_result *res, struct hvc_error *err)
{
	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	struct run r = { .o = o, .res = res, .t0 = hvc_now_ns(), .cb_id = -1 };
	r.con.output = on_output;
	r.con.opaque = &r;
	if (!o->image || !*o->image)
		return hvc_err(err, EINVAL, "vm run: no image");
	r.uri = hvc_vm_default_uri(o->uri);
	r.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	static pthread_once_t reaper_once = PTHREAD_ONCE_INIT;
	if (hvc_vm_uri_is_embedded(r.uri))
		pthread_once(&reaper_once, reaper_start);
	/* a VM left by a killed hvc is reclaimed before we start another */
	struct hvc_error perr = { 0 };
	if (hvc_vm_prune(&perr) < 0)
		hvc_warn("prune: %s", perr.msg);

	int rc = boot(&r, err);
	bool detached = rc == 0 && o->detach && r.con.ready;
	if (detached) {
		hvc_json_add_bool(r.state, "detached", true);
		hvc_json_add_int(r.state, "owner", 0);
		state_status(&r, "running");
		if (r.dom)
			virDomainFree(r.dom);
		r.dom = NULL;
		if (r.cb_id >= 0)
			virConnectDomainEventDeregisterAny(r.conn, r.cb_id);
	} else {
		teardown(&r);
		if (r.state) {
			json_object *t = json_object_new_object();
			hvc_json_add_double(t, "created_ms", res->t.created_ms);
			hvc_json_add_double(t, "first_byte_ms", res->t.first_byte_ms);
			hvc_json_add_double(t, "ready_ms", res->t.ready_ms);
			hvc_json_add_double(t, "exit_ms", res->t.exit_ms);
			hvc_json_add_double(t, "gone_ms", res->t.gone_ms);
			json_object_object_add(r.state, "timings", t);
			hvc_json_add_int(r.state, "exit_status", res->exit_status);
			hvc_json_add_int(r.state, "owner", 0);
			if (rc < 0)
				hvc_json_add_string(r.state, "error", err ? err->msg : "failed");
			state_status(&r, rc < 0 ? "failed" : "exited");
		}
		/* failures leave nothing behind; --rm leaves nothing at all */
		const char *keep = getenv("HVC_VM_KEEP_FAILED"); /* debugging aid (docs/vm.md) */
		if (r.dir && (o->rm || rc < 0) && !(rc < 0 && keep && !strcmp(keep, "1"))) {
			struct hvc_error ig = { 0 };
			if (hvc_rm_rf(r.dir, &ig) < 0)
				hvc_warn("%s", ig.msg);
		}
	}
	if (r.conn)
		hvc_vm_conn_close(r.conn);
	if (r.evfd >= 0)
		close(r.evfd);
	json_object_put(r.state);
	free(r.uri);
	free(r.dir);
	free(r.console);
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
