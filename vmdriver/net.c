/* vmdriver/net: the pure side of a VM's network attachment — its MAC (stable,
 * derived from the VM name), its address parsed and checked against its
 * subnet, and the guest's /etc/hosts. The attachment itself is data
 * (struct hvc_vm_net): libvirt creates the tap from the domain XML
 * (domain_xml.c) and hvc-init configures eth0 from the guest config
 * (guestcfg.c, guest/init-net.c). vm_net_plan() is the attach step's
 * decision, with the network module's provider as a callback. */
#include "vm-internal.h"
#include <arpa/inet.h>
#include <string.h>

void hvc_vm_net_mac(const char *name, char out[18])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)name; p && *p; p++)
		h = (h ^ *p) * 16777619u;
	/* 0x52: locally administered (bit 1), unicast (bit 0 clear); QEMU's own prefix */
	snprintf(out, 18, "52:54:%02x:%02x:%02x:%02x", (h >> 24) & 0xff, (h >> 16) & 0xff,
		 (h >> 8) & 0xff, h & 0xff);
}

int hvc_vm_net_parse_cidr(const char *s, struct hvc_vm_net *net, struct hvc_error *err)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n = slash ? (size_t)(slash - s) : 0;
	char *end = NULL;
	long prefix = slash ? strtol(slash + 1, &end, 10) : -1;
	if (!slash || n >= sizeof(addr) || !slash[1] || *end || prefix < 1 || prefix > 32)
		return hvc_err(err, 0, "bad --ip \"%s\" (expected ADDR/PREFIX, e.g. 10.99.0.2/24)",
			       s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return hvc_err(err, 0, "bad --ip \"%s\" (expected ADDR/PREFIX, e.g. 10.99.0.2/24)",
			       s);
	snprintf(net->address, sizeof(net->address), "%s", addr);
	net->prefix = (unsigned)prefix;
	return 0;
}

static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) > 15)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* Host-order address of a dotted quad, or false. */
static bool ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

int hvc_vm_net_check(const struct hvc_vm_net *net, struct hvc_error *err)
{
	if (!valid_ifname(net->bridge))
		return hvc_err(err, 0,
			       "bad bridge name \"%s\" (1-15 characters, no '/', ':' or space)",
			       net->bridge);
	for (size_t i = 0; i < HVC_VM_NET_MAX_DNS && net->dns[i][0]; i++) {
		uint32_t d;
		if (!ipv4(net->dns[i], &d))
			return hvc_err(err, 0, "bad --dns \"%s\" (expected an IPv4 address)",
				       net->dns[i]);
	}
	if (!net->address[0])
		return net->gateway[0] ? hvc_err(err, 0, "--gateway needs --ip") : 0;
	uint32_t a, g;
	if (!ipv4(net->address, &a) || net->prefix < 1 || net->prefix > 30)
		return hvc_err(err, 0, "bad address %s/%u (IPv4, prefix 1-30)", net->address,
			       net->prefix);
	uint32_t mask = ~0u << (32 - net->prefix);
	if ((a & ~mask) == 0 || (a & ~mask) == ~mask)
		return hvc_err(err, 0, "address %s/%u is the subnet's network or broadcast address",
			       net->address, net->prefix);
	if (!net->gateway[0])
		return 0;
	if (!ipv4(net->gateway, &g))
		return hvc_err(err, 0, "bad --gateway \"%s\" (expected an IPv4 address)",
			       net->gateway);
	if ((g & mask) != (a & mask) || g == a)
		return hvc_err(err, 0, "gateway %s is not another address of %s/%u", net->gateway,
			       net->address, net->prefix);
	return 0;
}

char *hvc_vm_net_hosts(const struct hvc_vm_net *net, const char *name)
{
	struct hvc_strbuf b = {0};
	hvc_strbuf_printf(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (net->address[0] && name && *name)
		hvc_strbuf_printf(&b, "%s\t%s\n", net->address, name);
	if (net->hosts)
		hvc_strbuf_printf(&b, "%s", net->hosts);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int vm_net_plan(const struct hvc_vm_opts *o, const char *id, const char *name,
		struct hvc_vm_net *net, bool *attached, struct hvc_error *err)
{
	*net = o->net;
	*attached = false;
	const struct hvc_vm_net_provider *p = o->net_provider;
	if (p && p->attach) {
		if (p->attach(p->opaque, id, name, net, err) < 0)
			return -1;
		*attached = true;
	}
	if (!net->mac[0])
		hvc_vm_net_mac(name, net->mac);
	return hvc_vm_net_check(net, err);
}
