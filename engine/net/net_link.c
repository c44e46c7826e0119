/* engine/net/net_link: bridges and veth pairs through rtnetlink (libmnl,
 * loaded on first use: util/mnl_lazy.c). The attachment is planned first
 * (hvc_net_attach_plan, pure) and applied here in as few round trips as the
 * kernel allows: one request creates the pair with the host end up on its
 * bridge and the peer in the instance's namespace; one batch of four
 * (lo up, eth0 up, address, default route) configures the inside. A veth dies with
 * the network namespace of its peer, so a container's teardown has nothing
 * to undo on the host side. */
#include "hvc/network.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
	p->mtu = n->mtu;
}

static void mnl_closep(struct mnl_socket **s)
{
	if (*s)
		mnl_socket_close(*s);
}
#define _cleanup_mnl_ __attribute__((cleanup(mnl_closep)))

/* A request buffer: a few messages sent in one sendmsg. */
struct nl_req {
	char buf[2048] __attribute__((aligned(4)));
	size_t len;
	unsigned n;
};

static struct mnl_socket *nl_open(struct hvc_error *err)
{
	struct mnl_socket *s = mnl_socket_open(NETLINK_ROUTE);
	if (!s) {
		hvc_err(err, errno, "netlink socket");
		return NULL;
	}
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		hvc_err(err, errno, "netlink bind");
		mnl_socket_close(s);
		return NULL;
	}
	return s;
}

/* The next message of req, with its fixed header of `extra` bytes zeroed. */
static struct nlmsghdr *req_msg(struct nl_req *r, uint16_t type, uint16_t flags, size_t extra,
				void **hdr)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(r->buf + r->len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = 1; /* one seq for the whole batch: each message is acked in order */
	*hdr = mnl_nlmsg_put_extra_header(h, extra);
	r->n++;
	return h;
}

static void req_done(struct nl_req *r, struct nlmsghdr *h)
{
	r->len += h->nlmsg_len;
}

/* A netlink socket as the requests below use it: plain system calls on
 * its fd, so a thread can use one without libmnl's socket object (whose
 * malloc would give that thread an arena of its own: mmap and munmap,
 * i.e. TLB shootdowns on the other CPU while both threads run). */
struct nl_sock {
	int fd;
	unsigned portid;
};

static struct nl_sock nl_of(const struct mnl_socket *s)
{
	return (struct nl_sock){mnl_socket_get_fd(s), mnl_socket_get_portid(s)};
}

static ssize_t nl_send(struct nl_sock s, const void *buf, size_t len)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	return sendto(s.fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static ssize_t nl_recv(struct nl_sock s, void *buf, size_t len)
{
	ssize_t n = recv(s.fd, buf, len, 0);
	if (n > (ssize_t)len) /* cannot happen without MSG_TRUNC; keeps the contract */
		return errno = ENOSPC, -1;
	return n;
}

/* Sends req and reads one ack per message; the first error is returned as
 * -errno (the kernel goes on with the next messages regardless). */
static int req_run(struct nl_sock s, struct nl_req *r, unsigned *failed)
{
	if (nl_send(s, r->buf, r->len) < 0)
		return -errno;
	int first = 0;
	char buf[8192] __attribute__((aligned(4)));
	for (unsigned i = 0; i < r->n; i++) {
		ssize_t n = nl_recv(s, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (mnl_cb_run(buf, (size_t)n, 1, s.portid, NULL, NULL) < 0 &&
		    !first) {
			first = -errno;
			if (failed)
				*failed = i;
		}
	}
	return first;
}

static int link_index(const char *name, struct hvc_error *err)
{
	unsigned i = if_nametoindex(name);
	if (i == 0)
		return hvc_err(err, errno, "find link `%s`", name);
	return (int)i;
}

static void put_link(struct nl_req *r, int ifindex, unsigned mtu, int flags)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = req_msg(r, RTM_NEWLINK, (uint16_t)flags, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	req_done(r, h);
}

static void put_addr(struct nl_req *r, int ifindex, uint32_t a, unsigned prefix)
{
	struct ifaddrmsg *ifa;
	struct nlmsghdr *h = req_msg(r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa),
				     (void **)&ifa);
	uint32_t be = htonl(a);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(h, IFA_LOCAL, 4, &be);
	mnl_attr_put(h, IFA_ADDRESS, 4, &be);
	req_done(r, h);
}

static void put_default_route(struct nl_req *r, int ifindex, uint32_t gw)
{
	struct rtmsg *rt;
	struct nlmsghdr *h = req_msg(r, RTM_NEWROUTE, NLM_F_CREATE, sizeof(*rt), (void **)&rt);
	uint32_t be = htonl(gw);
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, 4, &be);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)ifindex);
	req_done(r, h);
}

/* An existing, up bridge was configured by the hvc that created it: one
 * ioctl, no netlink, no library to load on a start's usual path. */
static bool bridge_is_up(const char *name)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
}

static int bridge_create(struct mnl_socket *s, const char *name, struct hvc_error *err)
{
	struct nl_req r = {.len = 0};
	struct ifinfomsg *ifi;
	struct nlmsghdr *h =
	    req_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, info);
	req_done(&r, h);
	int e = req_run(nl_of(s), &r, NULL);
	if (e == -EEXIST || e == 0)
		return 0; /* EEXIST: made by another hvc in the meantime */
	if (e == -EOPNOTSUPP || e == -ENODEV)
		return hvc_err(err, EOPNOTSUPP,
			       "create bridge `%s`: the kernel has no bridge support "
			       "(CONFIG_BRIDGE, module `bridge`): %s",
			       name, strerror(-e));
	return hvc_err(err, -e, "create bridge `%s`", name);
}

static int sysctl_set(const char *path, const char *v)
{
	return hvc_write_file(path, v, strlen(v), 0644, NULL);
}

int hvc_net_bridge_ensure(const struct hvc_net *n, bool *created, struct hvc_error *err)
{
	*created = false;
	if (bridge_is_up(n->bridge))
		return 0;
	_cleanup_mnl_ struct mnl_socket *s = nl_open(err);
	if (!s || bridge_create(s, n->bridge, err) < 0)
		return -1;
	*created = true;
	int idx = link_index(n->bridge, err);
	if (idx < 0)
		return -1;
	struct nl_req r = {.len = 0};
	put_addr(&r, idx, n->gateway, n->prefix);
	/* a bridge's MTU set by a change (not at creation) stays: it no longer
	 * follows its ports' (1500 when it has none) */
	put_link(&r, idx, n->mtu, 0);
	int e = req_run(nl_of(s), &r, NULL);
	if (e < 0 && e != -EEXIST)
		return hvc_err(err, -e, "configure bridge `%s`", n->bridge);
	/* route_localnet: DNAT from 127.0.0.1 may leave through the bridge;
	 * ip_forward: outbound NAT (both in this network namespace only) */
	_cleanup_free_ char *rl =
	    hvc_strdup_printf("/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
	sysctl_set(rl, "1");
	sysctl_set("/proc/sys/net/ipv4/ip_forward", "1");
	return 0;
}

/* A netlink socket in another process's network namespace: created by a
 * short thread that setns()es there (which changes only the calling
 * thread's) and ends there, so this thread never leaves its own; the socket
 * keeps the namespace it was created in. The thread makes only system
 * calls (a malloc there would set up an arena of its own). */
struct ns_open {
	int nsfd; /* the namespace to enter */
	int sock;
	int err;
	const char *what;
};

/* hvc's networks are IPv4 only (docs/network.md, Limits): the eth0 made
 * next gets no IPv6 link-local address, duplicate address detection or
 * multicast listener reports (lo, already made, keeps ::1), as Docker does
 * on a network without IPv6. /proc/sys/net is this thread's namespace's. */
static void no_ipv6_by_default(void)
{
	int fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) { /* absent: a kernel without IPv6 */
		if (write(fd, "1", 1) != 1) {
			/* not fatal: eth0 then also has an IPv6 link-local address */
		}
		close(fd);
	}
}

static void *ns_open_thread(void *p)
{
	struct ns_open *o = p;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (setns(o->nsfd, CLONE_NEWNET) < 0)
		o->what = "enter the instance's network namespace";
	else if ((o->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0 ||
		 bind(o->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		o->what = "netlink socket in the namespace";
	o->err = o->what ? errno : 0;
	return NULL;
}

static struct mnl_socket *nl_open_ns(int nsfd, struct hvc_error *err)
{
	struct ns_open o = {.nsfd = nsfd, .sock = -1};
	pthread_t t;
	int r = pthread_create(&t, NULL, ns_open_thread, &o);
	if (r != 0) {
		hvc_err(err, r, "thread for a network namespace");
		return NULL;
	}
	pthread_join(t, NULL);
	struct mnl_socket *s = o.what ? NULL : mnl_socket_fdopen(o.sock);
	if (!s) {
		if (!o.what)
			hvc_err(err, errno, "netlink socket in the namespace");
		else
			hvc_err(err, o.err, "%s", o.what);
		if (o.sock >= 0)
			close(o.sock);
		return NULL;
	}
	return s;
}

/* One request: the pair, the host end up on the bridge (index br), the
 * peer in the namespace of nsfd. */
static int veth_create(struct nl_sock s, const struct hvc_net_attach_plan *p, int br, int nsfd,
		       struct hvc_error *err)
{
	struct nl_req r = {.len = 0};
	struct ifinfomsg *ifi, *peer;
	struct nlmsghdr *h =
	    req_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(h, IFLA_IFNAME, p->host_if);
	mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)br);
	if (p->mtu)
		mnl_attr_put_u32(h, IFLA_MTU, p->mtu);
	struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	struct nlattr *pi = mnl_attr_nest_start(h, VETH_INFO_PEER);
	peer = mnl_nlmsg_put_extra_header(h, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC; /* not up here: veth refuses (ENOTCONN) before the pair is linked */
	mnl_attr_put_strz(h, IFLA_IFNAME, p->peer_if);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if (p->mtu)
		mnl_attr_put_u32(h, IFLA_MTU, p->mtu);
	mnl_attr_nest_end(h, pi);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	req_done(&r, h);
	int e = req_run(s, &r, NULL);
	return e < 0 ? hvc_err(err, -e, "create veth pair `%s`", p->host_if) : 0;
}

static int find_ifindex_cb(const struct nlmsghdr *h, void *data)
{
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

/* The index of name in the namespace of s (no if_nametoindex there). */
static int ns_link_index(struct nl_sock s, const char *name, struct hvc_error *err)
{
	struct nl_req r = {.len = 0};
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = req_msg(&r, RTM_GETLINK, 0, sizeof(*ifi), (void **)&ifi);
	h->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	req_done(&r, h);
	char buf[8192] __attribute__((aligned(4)));
	int idx = 0;
	ssize_t n;
	if (nl_send(s, r.buf, r.len) < 0 || (n = nl_recv(s, buf, sizeof(buf))) < 0 ||
	    mnl_cb_run(buf, (size_t)n, 1, s.portid, find_ifindex_cb, &idx) < 0 || idx <= 0)
		return hvc_err(err, errno, "find link `%s` in the instance's namespace", name);
	return idx;
}

/* Inside: lo and the peer up, the peer's address, the default route; one
 * batch. */
static int configure_peer(struct nl_sock in, const struct hvc_net_attach_plan *p,
			  struct hvc_error *err)
{
	int idx = ns_link_index(in, p->peer_if, err);
	if (idx < 0)
		return -1;
	struct nl_req r = {.len = 0};
	put_link(&r, 1 /* LOOPBACK_IFINDEX: lo in every namespace */, 0, 0);
	put_link(&r, idx, 0, 0);
	put_addr(&r, idx, p->addr, p->prefix);
	put_default_route(&r, idx, p->gateway);
	unsigned failed = 0;
	int e = req_run(in, &r, &failed);
	static const char *const what[] = {"bring up `lo`", "bring up `eth0`", "add an address to `eth0`",
					   "add the default route via the gateway"};
	return e < 0 ? hvc_err(err, -e, "%s", what[failed < 4 ? failed : 3]) : 0;
}

static int attach(const struct hvc_net_attach_plan *p, int nsfd, struct hvc_error *err)
{
	int br = link_index(p->bridge, err);
	_cleanup_mnl_ struct mnl_socket *s = br < 0 ? NULL : nl_open(err);
	if (!s)
		return -1;
	_cleanup_mnl_ struct mnl_socket *in = nl_open_ns(nsfd, err);
	if (!in || veth_create(nl_of(s), p, br, nsfd, err) < 0)
		return -1;
	return configure_peer(nl_of(in), p, err);
}

int hvc_net_attach_veth(const struct hvc_net_attach_plan *p, pid_t pid, struct hvc_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", path);
	return attach(p, fd, err);
}

/* A new namespace's attachment, run whole by a thread of its own: the
 * host's netlink socket is opened first (a socket keeps the namespace it was
 * made in), then the thread unshare()s into the new namespace, which it
 * never leaves (it ends there), and configures it from the inside. No second
 * thread is needed to make the namespace, and the caller goes on with the
 * rest of its start meanwhile (hvc_net_attach_start/join). */
struct hvc_net_attach_job {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int given; /* 0: no plan yet; 1: plan given; -1: none will come */
	struct hvc_net_attach_plan plan;
	struct mnl_socket *host; /* opened by the caller's thread: libmnl loads there */
	int bridge;              /* the bridge's index, looked up there too */
	int nsfd;
	int rc;
	struct hvc_error err;
};

/* A netlink socket in the calling thread's namespace, without libmnl. */
static int nl_sock_here(struct nl_sock *s)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t len = sizeof(sa);
	if ((s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
		return -1;
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0) {
		close(s->fd);
		return s->fd = -1;
	}
	s->portid = sa.nl_pid;
	return 0;
}

/* Waits for the plan (the address comes from the lease the caller takes
 * meanwhile); false when none will come. */
static bool plan_wait(struct hvc_net_attach_job *j)
{
	pthread_mutex_lock(&j->mu);
	while (j->given == 0)
		pthread_cond_wait(&j->cv, &j->mu);
	bool go = j->given > 0;
	pthread_mutex_unlock(&j->mu);
	return go;
}

/* The thread's part: system calls only, no malloc (see struct nl_sock).
 * The namespace is made before the plan is known, the veth after. */
static int attach_in_new_ns(struct hvc_net_attach_job *j)
{
	struct hvc_error *err = &j->err;
	if (unshare(CLONE_NEWNET) < 0)
		return hvc_err(err, errno, "create a network namespace");
	if ((j->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return hvc_err(err, errno, "open `/proc/thread-self/ns/net`");
	no_ipv6_by_default();
	struct nl_sock in;
	if (nl_sock_here(&in) < 0)
		return hvc_err(err, errno, "netlink socket in the instance's namespace");
	int rc = plan_wait(j) ? veth_create(nl_of(j->host), &j->plan, j->bridge, j->nsfd, err)
			      : hvc_err(err, ECANCELED, "no address for the namespace");
	if (rc == 0)
		rc = configure_peer(in, &j->plan, err);
	close(in.fd);
	return rc;
}

static void *attach_job_main(void *arg)
{
	struct hvc_net_attach_job *j = arg;
	j->rc = attach_in_new_ns(j);
	return NULL;
}

struct hvc_net_attach_job *hvc_net_attach_start(const char *bridge, struct hvc_error *err)
{
	struct hvc_net_attach_job *j = hvc_xcalloc(1, sizeof(*j));
	j->nsfd = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	/* the bridge's index and the host's socket, in the host's namespace */
	if ((j->bridge = link_index(bridge, err)) < 0 || !(j->host = nl_open(err))) {
		free(j);
		return NULL;
	}
	int r = pthread_create(&j->thread, NULL, attach_job_main, j);
	if (r != 0) {
		mnl_socket_close(j->host);
		free(j);
		hvc_err(err, r, "thread for a network namespace");
		return NULL;
	}
	return j;
}

static void plan_give(struct hvc_net_attach_job *j, const struct hvc_net_attach_plan *p)
{
	pthread_mutex_lock(&j->mu);
	if (j->given == 0) {
		if (p)
			j->plan = *p;
		j->given = p ? 1 : -1;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
}

void hvc_net_attach_give(struct hvc_net_attach_job *j, const struct hvc_net_attach_plan *p)
{
	plan_give(j, p);
}

int hvc_net_attach_join(struct hvc_net_attach_job *j, struct hvc_error *err)
{
	plan_give(j, NULL); /* no plan given: the thread gives up */
	pthread_join(j->thread, NULL);
	mnl_socket_close(j->host);
	int fd = j->nsfd;
	if (j->rc < 0) {
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (err)
			*err = j->err;
	}
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
	return fd;
}

int hvc_net_attach_veth_new_ns(const struct hvc_net_attach_plan *p, struct hvc_error *err)
{
	struct hvc_net_attach_job *j = hvc_net_attach_start(p->bridge, err);
	if (!j)
		return -1;
	hvc_net_attach_give(j, p);
	return hvc_net_attach_join(j, err);
}

int hvc_net_link_delete(const char *ifname, struct hvc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *s = nl_open(err);
	if (!s)
		return -1;
	struct nl_req r = {.len = 0};
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = req_msg(&r, RTM_DELLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, ifname);
	req_done(&r, h);
	int e = req_run(nl_of(s), &r, NULL);
	return e < 0 ? hvc_err(err, -e, "delete link `%s`", ifname) : 0;
}

struct veth_list {
	int bridge;
	char ***names;
};

struct link_attrs {
	const char *name;
	int master;
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_attrs *la = data;
	if (mnl_attr_get_type(a) == IFLA_IFNAME)
		la->name = mnl_attr_get_str(a);
	else if (mnl_attr_get_type(a) == IFLA_MASTER)
		la->master = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int veth_list_cb(const struct nlmsghdr *h, void *data)
{
	struct veth_list *v = data;
	struct link_attrs la = {0};
	mnl_attr_parse(h, sizeof(struct ifinfomsg), link_attr_cb, &la);
	/* a VM's tap (libvirt's vnetN) on the same bridge is not ours to delete */
	if (la.name && la.master == v->bridge && hvc_str_has_prefix(la.name, "vh"))
		hvc_strv_push(v->names, la.name);
	return MNL_CB_OK;
}

int hvc_net_bridge_veths(const char *bridge, char ***names, struct hvc_error *err)
{
	*names = NULL;
	int br = (int)if_nametoindex(bridge);
	if (br == 0)
		return 0; /* not in this network namespace: nothing of ours here */
	_cleanup_mnl_ struct mnl_socket *s = nl_open(err);
	if (!s)
		return -1;
	struct nl_req r = {.len = 0};
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = req_msg(&r, RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi), (void **)&ifi);
	h->nlmsg_flags &= (uint16_t)~NLM_F_ACK; /* a dump ends with NLMSG_DONE */
	ifi->ifi_family = AF_UNSPEC;
	req_done(&r, h);
	if (mnl_socket_sendto(s, r.buf, r.len) < 0)
		return hvc_err(err, errno, "list links");
	struct veth_list v = {.bridge = br, .names = names};
	char buf[16384] __attribute__((aligned(4)));
	int ret;
	do {
		ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0)
			return hvc_err(err, errno, "list links");
		ret = mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(s), veth_list_cb, &v);
	} while (ret > 0);
	return ret < 0 ? hvc_err(err, errno, "list links") : 0;
}
