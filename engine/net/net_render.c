/* engine/net/net_render: the text hvc applies or bind-mounts, as pure
 * functions of the definitions and leases — the nftables table, a network's
 * /etc/hosts, an instance's /etc/resolv.conf. Golden-file tested
 * (tests/data/net/). */
#include "hvc/network.h"
#include <stdlib.h>
#include <string.h>

static void put_cidr(struct hvc_strbuf *b, uint32_t net, unsigned prefix)
{
	char ip[16];
	hvc_strbuf_printf(b, "%s/%u", hvc_net_ip_format(net, ip), prefix);
}

/* One DNAT rule: to the instance's address from the published address
 * (every local address when host_ip is 0, matched by fib). */
static void put_dnat(struct hvc_strbuf *b, const struct hvc_net_lease *l,
		     const struct hvc_net_port *p)
{
	char ip[16];
	if (p->host_ip)
		hvc_strbuf_printf(b, "\t\tip daddr %s ", hvc_net_ip_format(p->host_ip, ip));
	else
		hvc_strbuf_printf(b, "\t\tfib daddr type local ");
	hvc_strbuf_printf(b, "%s dport %u dnat ip to %s:%u comment \"%.12s\"\n",
			  hvc_net_proto_name(p->proto), p->host_port,
			  hvc_net_ip_format(l->addr, ip), p->port, l->owner);
}

static void put_nat_chain(struct hvc_strbuf *b, const char *hook,
			  const struct hvc_net_lease *leases, size_t n_leases)
{
	/* (nft names the priority dstnat in prerouting only: -100 in output) */
	hvc_strbuf_printf(b, "\tchain %s {\n\t\ttype nat hook %s priority %s; policy accept;\n",
			  hook, hook, strcmp(hook, "output") ? "dstnat" : "-100");
	for (size_t i = 0; i < n_leases; i++)
		for (size_t j = 0; j < leases[i].n_ports; j++)
			put_dnat(b, &leases[i], &leases[i].ports[j]);
	hvc_strbuf_printf(b, "\t}\n");
}

/* Outbound NAT for each subnet; and traffic DNATed from 127.0.0.1 leaves
 * with the bridge's address, since a reply to 127.0.0.1 would stay inside
 * the instance (docs/network.md: publishing on 127.0.0.1). */
static void put_postrouting(struct hvc_strbuf *b, const struct hvc_net *nets, size_t n)
{
	hvc_strbuf_printf(b, "\tchain postrouting {\n\t\ttype nat hook postrouting priority "
			     "srcnat; policy accept;\n");
	for (size_t i = 0; i < n; i++) {
		hvc_strbuf_printf(b, "\t\tip saddr ");
		put_cidr(b, nets[i].subnet, nets[i].prefix);
		hvc_strbuf_printf(b, " oifname != \"%s\" masquerade\n", nets[i].bridge);
		hvc_strbuf_printf(b, "\t\tip saddr 127.0.0.0/8 oifname \"%s\" masquerade\n",
				  nets[i].bridge);
	}
	hvc_strbuf_printf(b, "\t}\n");
}

char *hvc_net_nft_render(const struct hvc_net *nets, size_t n_nets,
			 const struct hvc_net_lease *leases, size_t n_leases)
{
	struct hvc_strbuf b = {0};
	/* declare, delete, define: one transaction that replaces the table
	 * whether or not it existed */
	hvc_strbuf_printf(&b, "table inet hvc\ndelete table inet hvc\ntable inet hvc {\n");
	put_nat_chain(&b, "prerouting", leases, n_leases);
	put_nat_chain(&b, "output", leases, n_leases);
	put_postrouting(&b, nets, n_nets);
	hvc_strbuf_printf(&b, "}\n");
	if (b.oom)
		abort();
	return b.p;
}

char *hvc_net_hosts_render(const struct hvc_net_lease *leases, size_t n)
{
	struct hvc_strbuf b = {0};
	hvc_strbuf_printf(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	for (size_t i = 0; i < n; i++) {
		char ip[16];
		const struct hvc_net_lease *l = &leases[i];
		hvc_strbuf_printf(&b, "%s\t%s", hvc_net_ip_format(l->addr, ip), l->name);
		if (l->hostname[0] && strcmp(l->hostname, l->name))
			hvc_strbuf_printf(&b, " %s", l->hostname);
		hvc_strbuf_printf(&b, "\n");
	}
	if (b.oom)
		abort();
	return b.p;
}

/* A nameserver on the host's loopback (systemd-resolved's 127.0.0.53, a
 * local dnsmasq) is not reachable from the instance's own loopback. */
static bool loopback_nameserver(const char *line)
{
	if (!hvc_str_has_prefix(line, "nameserver"))
		return false;
	const char *v = line + strlen("nameserver");
	v += strspn(v, " \t");
	return hvc_str_has_prefix(v, "127.") || hvc_str_has_prefix(v, "::1");
}

char *hvc_net_resolv_render(const char *host)
{
	struct hvc_strbuf b = {0};
	hvc_strbuf_printf(&b, "# written by hvc from the host's /etc/resolv.conf\n");
	for (const char *s = host ? host : ""; *s;) {
		size_t len = strcspn(s, "\n");
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)len, s);
		if (!loopback_nameserver(line))
			hvc_strbuf_printf(&b, "%s\n", line);
		s += len + (s[len] == '\n');
	}
	if (b.oom)
		abort();
	return b.p;
}
