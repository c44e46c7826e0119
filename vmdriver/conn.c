/* vmdriver/conn: the libvirt connection — the one place libvirt errors become
 * hvc_errors. Connections are opened through the C API only (never virsh),
 * with libvirt's default event loop running in a thread of ours so that
 * domain events and keep-alives work in a CLI process.
 *
 * The embedded QEMU driver (qemu:///embed?root=DIR) runs libvirt's QEMU driver
 * inside this process; it needs stdio_handler = "file" in DIR/etc/qemu.conf
 * (otherwise it wants a running virtlogd) and admits one process per root at a
 * time (it locks DIR/run/qemu/driver.pid), so opening waits for the lock. */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "vm-internal.h"

static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static int loop_rc = -1;

/* Silences libvirt's default printing of every error to stderr: errors reach
 * the user once, through hvc_error. */
static void quiet_error(void *opaque, virErrorPtr e)
{
	(void)opaque;
	if (e && e->message)
		hvc_debug("libvirt: %s", e->message);
}

static void *loop_thread(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			usleep(1000);
	return NULL;
}

static void loop_start(void)
{
	/* libvirt's own log (warnings such as "tainted: high-privileges") goes to
	 * a file, not to the user's terminal, unless hvc runs with debug logging
	 * or the user chose LIBVIRT_LOG_OUTPUTS */
	if (!getenv("LIBVIRT_LOG_OUTPUTS") && hvc_log_get_level() < HVC_LOG_DEBUG) {
		struct hvc_error ig = { 0 };
		if (hvc_mkdir_p(hvc_root(), 0755, &ig) == 0) {
			_cleanup_free_ char *log = hvc_path_join(hvc_root(), "libvirt.log");
			_cleanup_free_ char *out = hvc_strdup_printf("3:file:%s", log);
			setenv("LIBVIRT_LOG_OUTPUTS", out, 1);
		}
	}
	virSetErrorFunc(NULL, quiet_error);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, loop_thread, NULL) == 0)
		loop_rc = 0;
	pthread_attr_destroy(&attr);
}

int hvc_vm_virt_err(struct hvc_error *err, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	virErrorPtr e = virGetLastError();
	const char *msg = e && e->message ? e->message : "unknown libvirt error";
	int code = e && e->code == VIR_ERR_NO_DOMAIN ? ENOENT : EIO;
	if (e && e->code == VIR_ERR_SYSTEM_ERROR && e->int1 > 0)
		code = e->int1;
	hvc_err(err, 0, "%s: %s", what, msg);
	if (err)
		err->code = code;
	return -code;
}

char *hvc_vm_default_uri(const char *uri)
{
	if (uri && *uri)
		return strdup(uri);
	const char *env = getenv("HVC_LIBVIRT_URI");
	if (env && *env)
		return strdup(env);
	_cleanup_free_ char *dir = hvc_path_join(hvc_root(), "libvirt");
	return dir ? hvc_strdup_printf("qemu:///embed?root=%s", dir) : NULL;
}

bool hvc_vm_uri_is_embedded(const char *uri)
{
	return uri && hvc_str_has_prefix(uri, "qemu:///embed");
}

/* The root= parameter of an embedded URI (malloc'd), NULL when absent. */
static char *embed_root(const char *uri)
{
	const char *p = strstr(uri, "root=");
	if (!p)
		return NULL;
	p += 5;
	size_t n = strcspn(p, "&");
	return strndup(p, n);
}

static int embed_prepare(const char *uri, struct hvc_error *err)
{
	_cleanup_free_ char *root = embed_root(uri);
	if (!root)
		return hvc_err(err, EINVAL, "libvirt URI `%s`: the embedded driver needs root=DIR", uri);
	vm_caps_trim_root(root);
	_cleanup_free_ char *etc = hvc_path_join(root, "etc");
	if (hvc_mkdir_p(etc, 0755, err) < 0)
		return -1;
	_cleanup_free_ char *conf = hvc_path_join(etc, "qemu.conf");
	/* Every setting says why in the file itself (docs/vm.md, "The
	 * libvirt connection" and "The fixed cost"). */
	static const char want[] =
	    "# written by hvc (see docs/vm.md); delete this line to keep your edits\n"
	    "# QEMU's stdout/stderr to a file: no virtlogd daemon to run\n"
	    "stdio_handler = \"file\"\n"
	    "# QEMU as root: it reads the root-only kernel in /boot and hvc's private state\n"
	    "user = \"root\"\n"
	    "group = \"root\"\n"
	    "# no chown of the cached boot artifacts, which concurrent VMs share\n"
	    "dynamic_ownership = 0\n"
	    "# no SELinux/AppArmor labelling: hvc compares isolation costs on its own terms\n"
	    "security_driver = \"none\"\n"
	    "# no per-VM mount namespace (/dev copy): domain start 1.0-2.0 s -> 0.5-0.75 s here\n"
	    "namespaces = [ ]\n"
	    "# no libvirt cgroup: hvc measures QEMU itself, and a v1 cpu cgroup slowed guests\n"
	    "# 2-3x on a busy host (one entity against the root group's tasks)\n"
	    "cgroup_controllers = [ ]\n"
	    "# kept on: QEMU's syscall filter cost nothing measurable (perf: <0.4 % of a run)\n"
	    "seccomp_sandbox = 1\n"
	    "# templates' save images uncompressed: a restore reads, never inflates\n"
	    "save_image_format = \"raw\"\n";
	_cleanup_free_ char *have = NULL;
	struct hvc_error ignore = { 0 };
	if (hvc_read_file(conf, &have, NULL, &ignore) == 0) {
		if (!strcmp(have, want))
			return 0;
		/* an older hvc's file is refreshed; anything else is the user's */
		if (!hvc_str_has_prefix(have, "# written by hvc") && strstr(have, "stdio_handler"))
			return 0;
	}
	return hvc_write_file_atomic(conf, want, sizeof(want) - 1, 0644, err);
}

/* Waits (up to wait_ms) until no other process holds the embedded root's
 * driver.pid lock (libvirt takes it with fcntl on its first byte). libvirt
 * can register an embedded driver only a few times per process, so a
 * refused virConnectOpen cannot simply be retried: hvc waits before it. */
static void embed_wait_free(const char *uri, int wait_ms)
{
	_cleanup_free_ char *root = embed_root(uri);
	_cleanup_free_ char *pid = root ? hvc_path_join(root, "run/qemu/driver.pid") : NULL;
	_cleanup_close_ int fd = pid ? open(pid, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	uint64_t deadline = hvc_now_ns() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000ull;
	for (;;) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
		if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK || hvc_now_ns() >= deadline)
			return;
		usleep(20000);
	}
}

/* One connection per process and URI, shared by every VM this process runs
 * (the bench harness boots many from one process). */
static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static virConnectPtr shared_conn;
static char *shared_uri;
static int shared_refs;

void vm_conn_loop_start(void)
{
	pthread_once(&loop_once, loop_start);
}

int hvc_vm_conn_open(const char *uri, int wait_ms, void **out, struct hvc_error *err)
{
	vm_conn_loop_start();
	if (loop_rc < 0)
		return hvc_err(err, EIO, "libvirt: cannot start the event loop");
	pthread_mutex_lock(&conn_lock);
	if (shared_conn && !strcmp(shared_uri, uri)) {
		shared_refs++;
		*out = shared_conn;
		pthread_mutex_unlock(&conn_lock);
		return 0;
	}
	pthread_mutex_unlock(&conn_lock);
	if (hvc_vm_uri_is_embedded(uri)) {
		if (embed_prepare(uri, err) < 0)
			return -1;
		embed_wait_free(uri, wait_ms);
	}
	uint64_t deadline = hvc_now_ns() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000ull;
	virConnectPtr c;
	for (;;) {
		c = virConnectOpen(uri);
		if (c)
			break;
		virErrorPtr e = virGetLastError();
		/* libvirt 9.0 logs the pid file and reports the state driver */
		bool busy = e && e->message &&
			    (strstr(e->message, "Failed to acquire pid file") ||
			     strstr(e->message, "qemu state driver is not active"));
		if (!busy || hvc_now_ns() >= deadline) {
			if (busy)
				return hvc_err(err, EBUSY,
					       "connect to libvirt `%s`: the embedded root is in use by another "
					       "hvc process (waited %d ms)", uri, wait_ms);
			return hvc_vm_virt_err(err, "connect to libvirt `%s`", uri);
		}
		usleep(20000);
	}
	/* keep-alive lets a remote connection notice a dead peer */
	if (!hvc_vm_uri_is_embedded(uri))
		virConnectSetKeepAlive(c, 5, 3);
	pthread_mutex_lock(&conn_lock);
	if (!shared_conn) {
		shared_conn = c;
		shared_uri = strdup(uri);
		shared_refs = 1;
	}
	pthread_mutex_unlock(&conn_lock);
	*out = c;
	return 0;
}

void hvc_vm_conn_close(void *conn)
{
	if (!conn)
		return;
	pthread_mutex_lock(&conn_lock);
	if (conn == shared_conn) {
		if (--shared_refs == 0) {
			virConnectClose(shared_conn);
			shared_conn = NULL;
			free(shared_uri);
			shared_uri = NULL;
		}
	} else {
		virConnectClose(conn);
	}
	pthread_mutex_unlock(&conn_lock);
}
