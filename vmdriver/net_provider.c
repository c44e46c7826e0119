/* vmdriver/net_provider: the VM NIC provider backed by hvc's own networks
 * (engine/net) — `hvc vm run --network bridge|NAME` without --ip. attach()
 * ensures the network's bridge and nftables table, takes an IPAM lease of
 * kind "vm" keyed by the VM id (with the ports to publish: the same DNAT as a
 * container's) and fills the NIC's attachment; detach() releases the lease.
 * A lease whose run was killed is released by `hvc vm rm`, by the VM prune
 * (hvc_vm_net_release) or by the network prune (its holder died). */
#include "hvc/network.h"
#include "vm-internal.h"
#include <string.h>

/* The guest's nameservers: the host's, without loopback ones (as a
 * container's resolv.conf). */
static void fill_dns(struct hvc_vm_net *net)
{
	_cleanup_free_ char *host = NULL;
	struct hvc_error ig = {0};
	if (hvc_read_file("/etc/resolv.conf", &host, NULL, &ig) < 0)
		return;
	_cleanup_free_ char *r = hvc_net_resolv_render(host);
	size_t i = 0;
	for (char *save = NULL, *line = strtok_r(r, "\n", &save); line && i < HVC_VM_NET_MAX_DNS;
	     line = strtok_r(NULL, "\n", &save)) {
		char addr[64];
		uint32_t a;
		if (sscanf(line, "nameserver %63s", addr) == 1 && hvc_net_ip_parse(addr, &a) == 0)
			snprintf(net->dns[i++], sizeof(net->dns[0]), "%s", addr);
	}
}

/* /etc/hosts lines of the network's other instances (the guest's own line
 * comes from hvc_vm_net_hosts). */
static char *other_hosts(const char *net, const char *id)
{
	struct hvc_net_lease *ls = NULL;
	size_t cnt = 0;
	struct hvc_error ig = {0};
	if (hvc_net_lease_list(net, &ls, &cnt, &ig) < 0)
		return NULL;
	struct hvc_net_lease *others = hvc_xcalloc(cnt + 1, sizeof(*others));
	size_t n = 0;
	for (size_t i = 0; i < cnt; i++)
		if (strcmp(ls[i].owner, id))
			others[n++] = ls[i];
	char *all = hvc_net_hosts_render(others, n);
	free(others);
	hvc_net_leases_free(ls, cnt);
	/* skip the localhost lines hvc_vm_net_hosts writes too */
	char *p = all;
	for (int skip = 0; skip < 2 && p && strchr(p, '\n'); skip++)
		p = strchr(p, '\n') + 1;
	char *out = hvc_xstrdup(p ? p : "");
	free(all);
	return out;
}

static void fill_net(const struct hvc_net *n, struct hvc_vm_ipam *ipam, const char *id,
		     struct hvc_vm_net *net)
{
	snprintf(net->bridge, sizeof(net->bridge), "%s", n->bridge);
	hvc_net_ip_format(ipam->addr, net->address);
	net->prefix = n->prefix;
	hvc_net_ip_format(n->gateway, net->gateway);
	if (!net->dns[0][0])
		fill_dns(net);
	free(ipam->hosts);
	ipam->hosts = other_hosts(n->name, id);
	net->hosts = ipam->hosts;
}

static int ipam_attach(void *opaque, const char *id, const char *name, struct hvc_vm_net *net,
		       struct hvc_error *err)
{
	struct hvc_vm_ipam *ipam = opaque;
	struct hvc_net n;
	bool created = false;
	if (hvc_net_get(ipam->network, &n, err) < 0 || hvc_net_bridge_ensure(&n, &created, err) < 0)
		return -1;
	if (created && hvc_net_sync(true, err) < 0)
		return -1;
	struct hvc_net_lease l = {.kind = "vm"};
	snprintf(l.owner, sizeof(l.owner), "%s", id);
	snprintf(l.name, sizeof(l.name), "%s", name);
	snprintf(l.hostname, sizeof(l.hostname), "%s", name);
	if (ipam->n_ports) {
		l.ports = hvc_xcalloc(ipam->n_ports, sizeof(*l.ports));
		memcpy(l.ports, ipam->ports, ipam->n_ports * sizeof(*l.ports));
		l.n_ports = ipam->n_ports;
	}
	int rc = hvc_net_lease_alloc(&n, &l, err);
	if (rc == 0) {
		snprintf(ipam->net, sizeof(ipam->net), "%s", n.name);
		ipam->addr = l.addr;
		fill_net(&n, ipam, id, net);
	}
	hvc_net_lease_clear(&l);
	return rc;
}

static void ipam_detach(void *opaque, const char *id, const char *name,
			const struct hvc_vm_net *net)
{
	(void)name, (void)net;
	struct hvc_vm_ipam *ipam = opaque;
	struct hvc_error e = {0};
	if (ipam->net[0] && hvc_net_lease_release(ipam->net, ipam->addr, id, &e) < 0)
		hvc_warn("network: release %s's lease: %s", id, e.msg);
}

static void ipam_detached(void *opaque, const char *id, pid_t qemu_pid)
{
	struct hvc_vm_ipam *ipam = opaque;
	struct hvc_error e = {0};
	if (ipam->net[0] && qemu_pid > 0 &&
	    hvc_net_lease_set_holder(ipam->net, ipam->addr, id, qemu_pid, &e) < 0)
		hvc_warn("network: hand %s's lease to QEMU: %s", id, e.msg);
}

void hvc_vm_ipam_provider(struct hvc_vm_ipam *ipam, struct hvc_vm_net_provider *p)
{
	*p = (struct hvc_vm_net_provider){.attach = ipam_attach,
					  .detach = ipam_detach,
					  .detached = ipam_detached,
					  .opaque = ipam};
}

void hvc_vm_ipam_clear(struct hvc_vm_ipam *ipam)
{
	free(ipam->hosts);
	ipam->hosts = NULL;
}

int hvc_vm_net_release(const char *id, struct hvc_error *err)
{
	struct hvc_net_lease l;
	int found = hvc_net_lease_find(id, &l, err);
	if (found <= 0)
		return found;
	int rc = strcmp(l.kind, "vm") ? 0 : hvc_net_lease_release(l.net, l.addr, id, err);
	hvc_net_lease_clear(&l);
	return rc;
}
