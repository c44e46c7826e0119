/* engine/net/net_link: bridges and veth pairs through netlink (libnl-route,
 * loaded on first use: util/nl_lazy.c). The attachment is planned first
 * (hvc_net_attach_plan, pure) and applied here; a veth dies with the
 * network namespace of its peer, so a container's teardown has nothing to
 * undo on the host side. */
#include "hvc/network.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

void hvc_net_attach_plan(const struct hvc_net *n, const struct hvc_net_lease *l,
			 struct hvc_net_attach_plan *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->bridge, sizeof(p->bridge), "%s", n->bridge);
	snprintf(p->host_if, sizeof(p->host_if), "vh%.10s", l->owner);
	snprintf(p->peer_if, sizeof(p->peer_if), "eth0");
	p->addr = l->addr;
	p->gateway = n->gateway;
	p->prefix = n->prefix;
}

static void sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}
static void link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
static void addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
#define _cleanup_nl_sock_ __attribute__((cleanup(sock_freep)))
#define _cleanup_rtnl_link_ __attribute__((cleanup(link_putp)))
#define _cleanup_nl_addr_ __attribute__((cleanup(addr_putp)))

static int nl_fail(struct hvc_error *err, int nlerr, const char *what, const char *name)
{
	return hvc_err(err, 0, "%s `%s`: %s", what, name, nl_geterror(nlerr));
}

static struct nl_sock *nl_open(struct hvc_error *err)
{
	struct nl_sock *s = nl_socket_alloc();
	if (!s) {
		hvc_err(err, ENOMEM, "netlink socket");
		return NULL;
	}
	int r = nl_connect(s, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(s);
		hvc_err(err, 0, "netlink: %s", nl_geterror(r));
		return NULL;
	}
	return s;
}

static struct nl_addr *ipv4_nl_addr(uint32_t a, unsigned prefix)
{
	uint32_t be = htonl(a);
	struct nl_addr *x = nl_addr_build(AF_INET, &be, 4);
	if (x)
		nl_addr_set_prefixlen(x, (int)prefix);
	return x;
}

static int link_index(struct nl_sock *s, const char *name, struct hvc_error *err)
{
	_cleanup_rtnl_link_ struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(s, 0, name, &l);
	if (r < 0)
		return nl_fail(err, r, "find link", name);
	return rtnl_link_get_ifindex(l);
}

static int link_up(struct nl_sock *s, const char *name, struct hvc_error *err)
{
	_cleanup_rtnl_link_ struct rtnl_link *l = NULL;
	_cleanup_rtnl_link_ struct rtnl_link *change = rtnl_link_alloc();
	int r = rtnl_link_get_kernel(s, 0, name, &l);
	if (r < 0)
		return nl_fail(err, r, "find link", name);
	rtnl_link_set_flags(change, IFF_UP);
	if ((r = rtnl_link_change(s, l, change, 0)) < 0)
		return nl_fail(err, r, "bring up", name);
	return 0;
}

static int addr_add(struct nl_sock *s, int ifindex, uint32_t a, unsigned prefix, const char *name,
		    struct hvc_error *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	_cleanup_nl_addr_ struct nl_addr *local = ipv4_nl_addr(a, prefix);
	if (!ra || !local) {
		if (ra)
			rtnl_addr_put(ra);
		return hvc_err(err, ENOMEM, "address");
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	int r = rtnl_addr_add(s, ra, 0);
	rtnl_addr_put(ra);
	if (r < 0 && r != -NLE_EXIST)
		return nl_fail(err, r, "add an address to", name);
	return 0;
}

static int sysctl_set(const char *path, const char *v)
{
	return hvc_write_file(path, v, strlen(v), 0644, NULL);
}

static int bridge_create(struct nl_sock *s, const char *name, struct hvc_error *err)
{
	_cleanup_rtnl_link_ struct rtnl_link *l = rtnl_link_alloc();
	if (!l)
		return hvc_err(err, ENOMEM, "bridge");
	rtnl_link_set_name(l, name);
	int r = rtnl_link_set_type(l, "bridge");
	if (r >= 0)
		r = rtnl_link_add(s, l, NLM_F_CREATE | NLM_F_EXCL);
	if (r == -NLE_EXIST)
		return 0; /* made by another hvc in the meantime */
	if (r == -NLE_OPNOTSUPP || r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND)
		return hvc_err(err, EOPNOTSUPP,
			       "create bridge `%s`: the kernel has no bridge support "
			       "(CONFIG_BRIDGE, module `bridge`): %s",
			       name, nl_geterror(r));
	if (r < 0)
		return nl_fail(err, r, "create bridge", name);
	return 0;
}

int hvc_net_bridge_ensure(const struct hvc_net *n, bool *created, struct hvc_error *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = nl_open(err);
	if (!s)
		return -1;
	*created = false;
	_cleanup_rtnl_link_ struct rtnl_link *l = NULL;
	if (rtnl_link_get_kernel(s, 0, n->bridge, &l) == 0 && (rtnl_link_get_flags(l) & IFF_UP))
		return 0; /* up: configured by the hvc that created it */
	if (!l && bridge_create(s, n->bridge, err) < 0)
		return -1;
	*created = true;
	int idx = link_index(s, n->bridge, err);
	if (idx < 0 || addr_add(s, idx, n->gateway, n->prefix, n->bridge, err) < 0)
		return -1;
	/* route_localnet: DNAT from 127.0.0.1 may leave through the bridge;
	 * ip_forward: outbound NAT (both in this network namespace only) */
	_cleanup_free_ char *rl =
	    hvc_strdup_printf("/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
	sysctl_set(rl, "1");
	sysctl_set("/proc/sys/net/ipv4/ip_forward", "1");
	return link_up(s, n->bridge, err);
}

/* A netlink socket in the network namespace of pid: created by a short
 * thread that enters the namespace (setns changes only the calling thread's)
 * and ends there, so this thread never leaves its own; the socket keeps the
 * namespace it was created in. */
struct open_in {
	int nsfd;
	struct nl_sock *s;
	struct hvc_error err;
};

static void *open_in_thread(void *p)
{
	struct open_in *o = p;
	if (setns(o->nsfd, CLONE_NEWNET) < 0)
		hvc_err(&o->err, errno, "enter the instance's network namespace");
	else
		o->s = nl_open(&o->err);
	return NULL;
}

static struct nl_sock *nl_open_in(pid_t pid, struct hvc_error *err)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hvc_err(err, errno, "open `%s`", p);
		return NULL;
	}
	struct open_in o = {.nsfd = fd};
	pthread_t t;
	int r = pthread_create(&t, NULL, open_in_thread, &o);
	if (r != 0) {
		hvc_err(err, r, "thread for the network namespace of %d", (int)pid);
		return NULL;
	}
	pthread_join(t, NULL);
	if (!o.s && err)
		*err = o.err;
	return o.s;
}

static int default_route(struct nl_sock *s, int ifindex, uint32_t gw, struct hvc_error *err)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	_cleanup_nl_addr_ struct nl_addr *dst = ipv4_nl_addr(0, 0);
	_cleanup_nl_addr_ struct nl_addr *via = ipv4_nl_addr(gw, 32);
	int rc = -NLE_NOMEM;
	if (r && nh && dst && via) {
		rtnl_route_set_family(r, AF_INET);
		rtnl_route_set_dst(r, dst);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_nh_set_gateway(nh, via);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL; /* the route owns it */
		rc = rtnl_route_add(s, r, NLM_F_CREATE);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	if (r)
		rtnl_route_put(r);
	return rc < 0 ? nl_fail(err, rc, "add the default route via", "gateway") : 0;
}

/* Inside: the peer's address, the peer and lo up, the default route. */
static int configure_peer(const struct hvc_net_attach_plan *p, pid_t pid, struct hvc_error *err)
{
	_cleanup_nl_sock_ struct nl_sock *in = nl_open_in(pid, err);
	if (!in)
		return -1;
	int idx = link_index(in, p->peer_if, err);
	if (idx < 0 || addr_add(in, idx, p->addr, p->prefix, p->peer_if, err) < 0 ||
	    link_up(in, "lo", err) < 0 || link_up(in, p->peer_if, err) < 0)
		return -1;
	return default_route(in, idx, p->gateway, err);
}

int hvc_net_attach_veth(const struct hvc_net_attach_plan *p, pid_t pid, struct hvc_error *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = nl_open(err);
	if (!s)
		return -1;
	int r = rtnl_link_veth_add(s, p->host_if, p->peer_if, pid);
	if (r < 0)
		return nl_fail(err, r, "create veth pair", p->host_if);
	int br = link_index(s, p->bridge, err), host = br < 0 ? -1 : link_index(s, p->host_if, err);
	if (host < 0)
		return -1;
	if ((r = rtnl_link_enslave_ifindex(s, br, host)) < 0)
		return nl_fail(err, r, "attach to the bridge", p->host_if);
	if (link_up(s, p->host_if, err) < 0)
		return -1;
	return configure_peer(p, pid, err);
}

int hvc_net_link_delete(const char *ifname, struct hvc_error *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = nl_open(err);
	_cleanup_rtnl_link_ struct rtnl_link *l = rtnl_link_alloc();
	if (!s || !l)
		return s ? hvc_err(err, ENOMEM, "link") : -1;
	rtnl_link_set_name(l, ifname);
	int r = rtnl_link_delete(s, l);
	return r < 0 ? nl_fail(err, r, "delete link", ifname) : 0;
}

int hvc_net_bridge_veths(const char *bridge, char ***names, struct hvc_error *err)
{
	*names = NULL;
	int br = (int)if_nametoindex(bridge);
	if (br == 0)
		return 0; /* not in this network namespace: nothing of ours here */
	_cleanup_nl_sock_ struct nl_sock *s = nl_open(err);
	if (!s)
		return -1;
	struct nl_cache *cache = NULL;
	int r = rtnl_link_alloc_cache(s, AF_UNSPEC, &cache);
	if (r < 0)
		return hvc_err(err, 0, "list links: %s", nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);
		/* a VM's tap (libvirt's vnetN) on the same bridge is not ours to delete */
		if (name && rtnl_link_get_master(l) == br && hvc_str_has_prefix(name, "vh"))
			hvc_strv_push(names, name);
	}
	nl_cache_free(cache);
	return 0;
}
