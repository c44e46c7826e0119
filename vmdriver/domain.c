/* vmdriver/domain: the libvirt domain lifecycle hvc uses — define + start,
 * destroy + undefine — kept apart from run.c so that the in-memory test
 * driver (test:///default) exercises it without QEMU. */
#include <libvirt/libvirt.h>
#include "hvc/vm.h"

int hvc_vm_domain_start(void *conn, const char *xml, void **dom_out, struct hvc_error *err)
{
	virDomainPtr d = virDomainDefineXML(conn, xml);
	if (!d)
		return hvc_vm_virt_err(err, "define domain");
	if (virDomainCreate(d) < 0) {
		int rc = hvc_vm_virt_err(err, "start domain `%s`", virDomainGetName(d));
		virDomainUndefine(d);
		virDomainFree(d);
		return rc;
	}
	*dom_out = d;
	return 0;
}

int hvc_vm_domain_teardown(void *dom, struct hvc_error *err)
{
	virDomainPtr d = dom;
	if (!d)
		return 0;
	int rc = 0;
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0 && virDomainIsActive(d) == 1)
		rc = hvc_vm_virt_err(err, "destroy domain `%s`", virDomainGetName(d));
	hvc_debug("vm: domain destroyed");
	if (rc == 0 && virDomainIsPersistent(d) == 1 && virDomainUndefine(d) < 0)
		rc = hvc_vm_virt_err(err, "undefine domain `%s`", virDomainGetName(d));
	virDomainFree(d);
	return rc;
}

int hvc_vm_domain_remove(const char *uri, const char *name, struct hvc_error *err)
{
	void *c = NULL;
	if (hvc_vm_conn_open(uri, 30000, &c, err) < 0)
		return -1;
	virDomainPtr d = virDomainLookupByName(c, name);
	int rc = d ? hvc_vm_domain_teardown(d, err) : 0;
	hvc_vm_conn_close(c);
	return rc;
}
