/* vmdriver/vm_ops: what virsh users expect beside run/stop/rm — shutdown
 * (ACPI power button, a bounded wait, then destroy, as `virsh shutdown`
 * followed by `virsh destroy`) and dominfo (virDomainGetInfo and friends).
 * Both talk to libvirt directly, which for the embedded driver is possible
 * when no other hvc process holds the root: a detached VM (vm run -d) or a
 * stopped one. A VM whose foreground `hvc vm run` is alive is reached only
 * through that process (hvc_vm_stop). */
#include <libvirt/libvirt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "hvc/vm.h"

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

/* Presses the power button and waits up to timeout_s for the domain to go
 * (on_poweroff is destroy: a powered-off guest leaves no active domain). */
static int press_and_wait(const struct hvc_vm_info *v, int timeout_s, bool *graceful, struct hvc_error *err)
{
	void *c = NULL;
	if (hvc_vm_conn_open(v->uri, 5000, &c, err) < 0)
		return -1;
	virDomainPtr d = virDomainLookupByName(c, v->name);
	int rc = 0;
	if (!d || virDomainIsActive(d) != 1) {
		*graceful = true; /* already off */
	} else if (virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0) {
		rc = hvc_vm_virt_err(err, "shutdown domain `%s`", v->name);
	} else {
		uint64_t deadline = hvc_now_ns() + (uint64_t)timeout_s * 1000000000ull;
		while (virDomainIsActive(d) == 1 && hvc_now_ns() < deadline)
			usleep(50000);
		*graceful = virDomainIsActive(d) != 1;
	}
	if (d)
		virDomainFree(d);
	hvc_vm_conn_close(c); /* hvc_vm_stop opens it again (embedded: one holder) */
	return rc;
}

int hvc_vm_shutdown(const char *ref, int timeout_s, bool *graceful, struct hvc_error *err)
{
	*graceful = false;
	_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
	if (hvc_vm_find(ref, &v, err) < 0)
		return -1;
	if (!owned_by_other(&v) && v.uri && v.qemu_pid > 0 && press_and_wait(&v, timeout_s, graceful, err) < 0)
		return -1;
	/* destroy what is left and record the exit, as hvc vm stop does */
	return hvc_vm_stop(v.id, err);
}

/* ---------- the libvirt calls only this file makes, loaded lazily as in
 * util/virt_lazy.c (hvc is linked without -lvirt; dlopen refcounts the
 * library, so this handle and that one share one copy). -1/NULL when
 * libvirt cannot be loaded. */
#include "hvc/lazy.h"
HVC_LAZY_LIB(virt_ops_lib, "libvirt.so.0");
#define REAL_OPS(name)                                                                             \
	static __typeof__(name) *p_##name;                                                         \
	if (!p_##name)                                                                             \
	p_##name = (__typeof__(name) *)hvc_lazy_sym(&virt_ops_lib, #name)

int virDomainGetInfo(virDomainPtr d, virDomainInfoPtr info)
{
	REAL_OPS(virDomainGetInfo);
	return p_virDomainGetInfo ? p_virDomainGetInfo(d, info) : -1;
}

unsigned int virDomainGetID(virDomainPtr d)
{
	REAL_OPS(virDomainGetID);
	return p_virDomainGetID ? p_virDomainGetID(d) : (unsigned int)-1;
}

int virDomainGetUUIDString(virDomainPtr d, char *buf)
{
	REAL_OPS(virDomainGetUUIDString);
	return p_virDomainGetUUIDString ? p_virDomainGetUUIDString(d, buf) : -1;
}

char *virDomainGetOSType(virDomainPtr d)
{
	REAL_OPS(virDomainGetOSType);
	return p_virDomainGetOSType ? p_virDomainGetOSType(d) : NULL;
}

int virDomainGetAutostart(virDomainPtr d, int *autostart)
{
	REAL_OPS(virDomainGetAutostart);
	return p_virDomainGetAutostart ? p_virDomainGetAutostart(d, autostart) : -1;
}

int virDomainShutdownFlags(virDomainPtr d, unsigned int flags)
{
	REAL_OPS(virDomainShutdownFlags);
	return p_virDomainShutdownFlags ? p_virDomainShutdownFlags(d, flags) : -1;
}
