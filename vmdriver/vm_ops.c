/* vmdriver/vm_ops: what virsh users expect beside run/stop/rm — shutdown
 * (ctrl-alt-del to hvc-init, a bounded wait, then destroy, as `virsh
 * shutdown` followed by `virsh destroy`) and dominfo (virDomainGetInfo and friends).
 * Both talk to libvirt directly, which for the embedded driver is possible
 * when no other hvc process holds the root: a detached VM (vm run -d) or a
 * stopped one. A VM whose foreground `hvc vm run` is alive is reached only
 * through that process (hvc_vm_stop). */
#include <libvirt/libvirt.h>
#include <linux/input-event-codes.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "hvc/vm.h"
#include "vm-internal.h"

static bool owned_by_other(const struct hvc_vm_info *v)
{
	return v->owner > 0 && v->owner != getpid() && kill(v->owner, 0) == 0;
}

static const char *state_name(int s)
{
	switch (s) {
	case VIR_DOMAIN_RUNNING: return "running";
	case VIR_DOMAIN_BLOCKED: return "idle";
	case VIR_DOMAIN_PAUSED: return "paused";
	case VIR_DOMAIN_SHUTDOWN: return "in shutdown";
	case VIR_DOMAIN_SHUTOFF: return "shut off";
	case VIR_DOMAIN_CRASHED: return "crashed";
	case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
	default: return "no state";
	}
}

static void fill_from_domain(virDomainPtr d, struct hvc_vm_dominfo *o)
{
	virDomainInfo info;
	if (virDomainGetInfo(d, &info) == 0) {
		snprintf(o->state, sizeof(o->state), "%s", state_name(info.state));
		o->vcpus = info.nrVirtCpu;
		o->cpu_time_s = (double)info.cpuTime / 1e9;
		o->max_mem_kib = info.maxMem;
		o->used_mem_kib = info.memory;
	}
	unsigned int id = virDomainGetID(d);
	o->id = id == (unsigned int)-1 ? -1 : (int)id;
	virDomainGetUUIDString(d, o->uuid);
	char *os = virDomainGetOSType(d);
	snprintf(o->os_type, sizeof(o->os_type), "%s", os ? os : "");
	free(os);
	o->persistent = virDomainIsPersistent(d) == 1;
	int autostart = 0;
	virDomainGetAutostart(d, &autostart);
	o->autostart = autostart;
	o->from_libvirt = true;
}

int hvc_vm_dominfo(const char *ref, struct hvc_vm_dominfo *o, struct hvc_error *err)
{
	memset(o, 0, sizeof(*o));
	o->id = -1;
	_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
	if (hvc_vm_find(ref, &v, err) < 0)
		return -1;
	snprintf(o->name, sizeof(o->name), "%s", v.name);
	snprintf(o->hvc_id, sizeof(o->hvc_id), "%s", v.id);
	snprintf(o->state, sizeof(o->state), "%s", v.status ? v.status : "unknown");
	o->qemu_pid = v.qemu_pid;
	if (owned_by_other(&v))
		return hvc_err(err, EBUSY,
			       "VM \"%s\" belongs to the foreground `hvc vm run` pid %d, which holds libvirt "
			       "(hvc vm inspect %s reads its state files)", ref, (int)v.owner, ref);
	if (!v.uri)
		return 0;
	void *c = NULL;
	if (hvc_vm_conn_open(v.uri, 5000, &c, err) < 0)
		return -1;
	virDomainPtr d = virDomainLookupByName(c, v.name);
	if (d) {
		fill_from_domain(d, o);
		virDomainFree(d);
	} else {
		snprintf(o->state, sizeof(o->state), "shut off");
	}
	hvc_vm_conn_close(c);
	return 0;
}

/* Ctrl-alt-del on the VM's PS/2 keyboard (QEMU's i8042): hvc-init, PID 1,
 * has the kernel turn it into a SIGINT (guest/init-main.c) and answers the
 * first press with SIGTERM to the command's process group, the second with
 * SIGKILL; the command's exit powers the VM off. (The ACPI power button would
 * need the guest's button and evdev modules loaded at every boot; docs/vm.md.) */
static int ctrl_alt_del(virDomainPtr d)
{
	unsigned int keys[] = { KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE };
	return virDomainSendKey(d, VIR_KEYCODE_SET_LINUX, 0, keys, 3, 0);
}

/* The console log, read as it grows: hvc-init's "HVC-EXIT <status>" says
 * that the command ended and the guest synced, as a foreground run sees it. */
struct exit_watch {
	int fd;
	struct hvc_vm_console con;
};

static void watch_open(struct exit_watch *w, const char *id)
{
	_cleanup_free_ char *dir = hvc_vm_state_dir(id);
	_cleanup_free_ char *log = hvc_path_join(dir, "console.log");
	memset(w, 0, sizeof(*w));
	w->fd = open(log, O_RDONLY | O_CLOEXEC);
}

static bool watch_exited(struct exit_watch *w)
{
	char buf[8192];
	ssize_t n;
	while (w->fd >= 0 && (n = read(w->fd, buf, sizeof(buf))) > 0)
		hvc_vm_console_feed(&w->con, buf, (size_t)n);
	return w->con.exited;
}

/* Waits until the guest reported its exit or the domain is gone (on_poweroff
 * is destroy), or until deadline. The guest's own ACPI power-off after the
 * report takes 1.6-2 s under TCG (docs/vm.md): hvc_vm_stop destroys instead. */
static bool ended_by(virDomainPtr d, struct exit_watch *w, uint64_t deadline)
{
	while (!watch_exited(w) && virDomainIsActive(d) == 1 && hvc_now_ns() < deadline)
		usleep(20000);
	return w->con.exited || virDomainIsActive(d) != 1;
}

/* docker stop's shape inside timeout_s: the first press (SIGTERM) at once, the
 * second (SIGKILL) a moment before the timeout so that the guest can still
 * report the exit; hvc_vm_stop destroys what is left. */
static int press_and_wait(const struct hvc_vm_info *v, int timeout_s, bool *graceful, struct hvc_error *err)
{
	void *c = NULL;
	if (hvc_vm_conn_open(v->uri, 5000, &c, err) < 0)
		return -1;
	virDomainPtr d = virDomainLookupByName(c, v->name);
	int rc = 0;
	uint64_t t = (uint64_t)timeout_s * 1000000000ull, now = hvc_now_ns();
	uint64_t margin = timeout_s >= 2 ? 1000000000ull : t / 2;
	struct exit_watch w;
	watch_open(&w, v->id);
	watch_exited(&w); /* what the console already holds */
	if (!d || virDomainIsActive(d) != 1) {
		*graceful = true; /* already off */
	} else if (ctrl_alt_del(d) < 0) {
		rc = hvc_vm_virt_err(err, "send ctrl-alt-del to domain `%s`", v->name);
	} else if (!(*graceful = ended_by(d, &w, now + t - margin))) {
		ctrl_alt_del(d); /* may fail if the guest powered off meanwhile */
		*graceful = ended_by(d, &w, now + t);
	}
	if (w.fd >= 0)
		close(w.fd);
	if (d)
		virDomainFree(d);
	hvc_vm_conn_close(c); /* hvc_vm_stop opens it again (embedded: one holder) */
	return rc;
}

/* The guest's "HVC-EXIT <status>" from the console log into vm.json, as a
 * foreground run records it; -1 when the guest reported none (destroyed). */
static void record_exit(const char *id, bool graceful)
{
	_cleanup_free_ char *dir = hvc_vm_state_dir(id);
	_cleanup_free_ char *log = hvc_path_join(dir, "console.log");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct hvc_error e = { 0 };
	struct hvc_vm_console con = { 0 };
	if (hvc_read_file(log, &text, &len, &e) == 0)
		hvc_vm_console_feed(&con, text, len);
	_cleanup_json_ json_object *o = NULL;
	if (vm_state_read(id, &o, &e) < 0)
		return;
	hvc_json_add_int(o, "exit_status", con.exited ? con.exit_status : -1);
	hvc_json_add_string(o, "stopped_by", graceful ? "shutdown" : "destroy");
	vm_state_write(id, o, &e);
}

int hvc_vm_shutdown(const char *ref, int timeout_s, bool *graceful, struct hvc_error *err)
{
	*graceful = false;
	_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
	if (hvc_vm_find(ref, &v, err) < 0)
		return -1;
	/* a detached VM; a foreground run's owner is asked by hvc_vm_stop */
	bool detached_running = !owned_by_other(&v) && v.uri && v.qemu_pid > 0;
	if (detached_running && press_and_wait(&v, timeout_s, graceful, err) < 0)
		return -1;
	/* destroy what is left and record the exit, as hvc vm stop does */
	if (hvc_vm_stop(v.id, err) < 0)
		return -1;
	if (detached_running)
		record_exit(v.id, *graceful);
	return 0;
}
