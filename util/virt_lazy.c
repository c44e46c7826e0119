/* util/virt_lazy: libvirt, loaded on first use. libvirt brings 56 shared
 * libraries (gnutls, xml2, glib, curl, …), 40 of them built BIND_NOW, and
 * relocating them took ~20 ms of every hvc start — a tax on `hvc run` and
 * every other command that never touches a VM. The binary is linked without
 * -lvirt; these definitions of the libvirt calls hvc uses forward to
 * libvirt.so.0, dlopen()ed the first time one is called. A call that is not
 * listed here fails to link, so nothing can silently bypass it.
 * (Types and constants still come from <libvirt/libvirt.h>; the loader is
 * util/lazy.c, shared with the other lazily loaded libraries.) */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "hvc/lazy.h"

/* Not HVC_LAZY_FN, which exits when the library is missing: VMs are optional,
 * so here each call returns its own failure value (-1 or NULL), the loader
 * logs the first failure as a warning, and the VM command fails as any libvirt
 * error fails it. */
HVC_LAZY_LIB(virt_lib, "libvirt.so.0");

/* p_name = the real function, resolved once (a benign race: same value) */
#define REAL(name) \
	static __typeof__(name) *p_##name; \
	if (!p_##name) \
		p_##name = (__typeof__(name) *)hvc_lazy_sym(&virt_lib, #name)

int virInitialize(void)
{
	REAL(virInitialize);
	return p_virInitialize ? p_virInitialize() : -1;
}

int virGetVersion(unsigned long *libVer, const char *type, unsigned long *typeVer)
{
	REAL(virGetVersion);
	return p_virGetVersion ? p_virGetVersion(libVer, type, typeVer) : -1;
}

virErrorPtr virGetLastError(void)
{
	REAL(virGetLastError);
	return p_virGetLastError ? p_virGetLastError() : NULL;
}

void virSetErrorFunc(void *userData, virErrorFunc handler)
{
	REAL(virSetErrorFunc);
	if (p_virSetErrorFunc)
		p_virSetErrorFunc(userData, handler);
}

int virEventRegisterDefaultImpl(void)
{
	REAL(virEventRegisterDefaultImpl);
	return p_virEventRegisterDefaultImpl ? p_virEventRegisterDefaultImpl() : -1;
}

int virEventRunDefaultImpl(void)
{
	REAL(virEventRunDefaultImpl);
	return p_virEventRunDefaultImpl ? p_virEventRunDefaultImpl() : -1;
}

virConnectPtr virConnectOpen(const char *name)
{
	REAL(virConnectOpen);
	return p_virConnectOpen ? p_virConnectOpen(name) : NULL;
}

int virConnectClose(virConnectPtr conn)
{
	REAL(virConnectClose);
	return p_virConnectClose ? p_virConnectClose(conn) : -1;
}

int virConnectSetKeepAlive(virConnectPtr conn, int interval, unsigned int count)
{
	REAL(virConnectSetKeepAlive);
	return p_virConnectSetKeepAlive ? p_virConnectSetKeepAlive(conn, interval, count) : -1;
}

int virConnectDomainEventRegisterAny(virConnectPtr conn, virDomainPtr dom, int eventID,
				     virConnectDomainEventGenericCallback cb, void *opaque,
				     virFreeCallback freecb)
{
	REAL(virConnectDomainEventRegisterAny);
	return p_virConnectDomainEventRegisterAny
		       ? p_virConnectDomainEventRegisterAny(conn, dom, eventID, cb, opaque, freecb)
		       : -1;
}

int virConnectDomainEventDeregisterAny(virConnectPtr conn, int callbackID)
{
	REAL(virConnectDomainEventDeregisterAny);
	return p_virConnectDomainEventDeregisterAny ? p_virConnectDomainEventDeregisterAny(conn, callbackID) : -1;
}

virDomainPtr virDomainDefineXML(virConnectPtr conn, const char *xml)
{
	REAL(virDomainDefineXML);
	return p_virDomainDefineXML ? p_virDomainDefineXML(conn, xml) : NULL;
}

virDomainPtr virDomainLookupByName(virConnectPtr conn, const char *name)
{
	REAL(virDomainLookupByName);
	return p_virDomainLookupByName ? p_virDomainLookupByName(conn, name) : NULL;
}

int virDomainCreate(virDomainPtr domain)
{
	REAL(virDomainCreate);
	return p_virDomainCreate ? p_virDomainCreate(domain) : -1;
}

int virDomainDestroy(virDomainPtr domain)
{
	REAL(virDomainDestroy);
	return p_virDomainDestroy ? p_virDomainDestroy(domain) : -1;
}

int virDomainUndefine(virDomainPtr domain)
{
	REAL(virDomainUndefine);
	return p_virDomainUndefine ? p_virDomainUndefine(domain) : -1;
}

int virDomainFree(virDomainPtr domain)
{
	REAL(virDomainFree);
	return p_virDomainFree ? p_virDomainFree(domain) : -1;
}

const char *virDomainGetName(virDomainPtr domain)
{
	REAL(virDomainGetName);
	return p_virDomainGetName ? p_virDomainGetName(domain) : NULL;
}

int virDomainIsActive(virDomainPtr dom)
{
	REAL(virDomainIsActive);
	return p_virDomainIsActive ? p_virDomainIsActive(dom) : -1;
}

int virDomainIsPersistent(virDomainPtr dom)
{
	REAL(virDomainIsPersistent);
	return p_virDomainIsPersistent ? p_virDomainIsPersistent(dom) : -1;
}

/* VM templates (vmdriver/template.c) */
int virDomainSaveFlags(virDomainPtr domain, const char *to, const char *dxml, unsigned int flags)
{
	REAL(virDomainSaveFlags);
	return p_virDomainSaveFlags ? p_virDomainSaveFlags(domain, to, dxml, flags) : -1;
}

int virDomainRestoreFlags(virConnectPtr conn, const char *from, const char *dxml,
			  unsigned int flags)
{
	REAL(virDomainRestoreFlags);
	return p_virDomainRestoreFlags ? p_virDomainRestoreFlags(conn, from, dxml, flags) : -1;
}

/* hvc vm dominfo and shutdown (vmdriver/vm_ops.c) */
int virDomainGetInfo(virDomainPtr d, virDomainInfoPtr info)
{
	REAL(virDomainGetInfo);
	return p_virDomainGetInfo ? p_virDomainGetInfo(d, info) : -1;
}

unsigned int virDomainGetID(virDomainPtr d)
{
	REAL(virDomainGetID);
	return p_virDomainGetID ? p_virDomainGetID(d) : (unsigned int)-1;
}

int virDomainGetUUIDString(virDomainPtr d, char *buf)
{
	REAL(virDomainGetUUIDString);
	return p_virDomainGetUUIDString ? p_virDomainGetUUIDString(d, buf) : -1;
}

char *virDomainGetOSType(virDomainPtr d)
{
	REAL(virDomainGetOSType);
	return p_virDomainGetOSType ? p_virDomainGetOSType(d) : NULL;
}

int virDomainGetAutostart(virDomainPtr d, int *autostart)
{
	REAL(virDomainGetAutostart);
	return p_virDomainGetAutostart ? p_virDomainGetAutostart(d, autostart) : -1;
}

int virDomainSendKey(virDomainPtr d, unsigned int codeset, unsigned int holdtime, unsigned int *keycodes,
		     int nkeycodes, unsigned int flags)
{
	REAL(virDomainSendKey);
	return p_virDomainSendKey ? p_virDomainSendKey(d, codeset, holdtime, keycodes, nkeycodes, flags) : -1;
}
