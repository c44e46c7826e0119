/* engine/runtime/runtime_net: a container's network, the runtime's side of
 * engine/net/. Before the clone the parent takes a lease on the bridge
 * network (which writes the hosts file and, with -p, the nftables DNAT
 * rules), makes the container's network namespace with its veth already
 * configured (so the child only setns()es into it, as with
 * container:NAME, and the clone keeps its shared-memory fast path), writes
 * the container's /etc/hostname and /etc/resolv.conf into its state dir and
 * adds their bind mounts to the mount plan (docs/network.md). The lease is
 * released at teardown; the veth dies with the namespace. */
#include "runtime_ctr.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int join_container(struct hvc_ctr *c, const char *ref, struct hvc_error *err)
{
	char id[HVC_CTR_ID_LEN + 1];
	struct hvc_ctr_state st;
	if (hvc_ctr_lookup(ref, id, err) < 0 || hvc_ctr_state_read(id, &st, err) < 0)
		return hvc_error_prefix(err, "--network container:%s", ref);
	if (st.status != HVC_CTR_RUNNING || !hvc_ctr_proc_alive(st.pid, st.pid_start))
		return hvc_err(err, 0, "--network container:%s: the container is not running", ref);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)st.pid);
	if ((c->net.ns_fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return hvc_err(err, errno, "--network container:%s: open `%s`", ref, p);
	return 0;
}

/* /etc/hostname and /etc/resolv.conf of this container, in its state dir. */
static int write_etc_files(const struct hvc_ctr *c, struct hvc_error *err)
{
	_cleanup_free_ char *hn = hvc_path_join(c->dir, "hostname");
	_cleanup_free_ char *rc = hvc_path_join(c->dir, "resolv.conf");
	_cleanup_free_ char *line = hvc_strdup_printf("%s\n", c->hostname);
	_cleanup_free_ char *host = NULL;
	size_t len = 0;
	hvc_read_file("/etc/resolv.conf", &host, &len, NULL); /* absent: no nameserver */
	_cleanup_free_ char *resolv = hvc_net_resolv_render(host);
	if (hvc_write_file(hn, line, strlen(line), 0644, err) < 0 ||
	    hvc_write_file(rc, resolv, strlen(resolv), 0644, err) < 0)
		return -1;
	return 0;
}

static int take_lease(struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err)
{
	struct hvc_net n;
	bool created = false;
	if (hvc_net_get(s->network, &n, err) < 0 || hvc_net_bridge_ensure(&n, &created, err) < 0)
		return -1;
	if (created && hvc_net_sync(true, err) < 0) /* a new netns, or a reboot: rules again */
		return -1;
	/* the namespace (the kernel's rtnl work, most of the network's cost)
	 * is made by a thread from here on, the veth once the lease below has
	 * given it its address; hvc_rt_net_join waits for both before the
	 * clone, while the start goes on */
	c->net.job_t0 = hvc_now_ns();
	if (!(c->net.job = hvc_net_attach_start(n.bridge, err)))
		return -1;
	struct hvc_net_lease *l = &c->net.lease;
	snprintf(l->kind, sizeof(l->kind), "container");
	snprintf(l->owner, sizeof(l->owner), "%s", c->id);
	snprintf(l->name, sizeof(l->name), "%s", c->name);
	snprintf(l->hostname, sizeof(l->hostname), "%s", c->hostname);
	if (s->n_ports) {
		l->ports = hvc_xcalloc(s->n_ports, sizeof(*l->ports));
		memcpy(l->ports, s->ports, s->n_ports * sizeof(*l->ports));
		l->n_ports = s->n_ports;
	}
	if (hvc_net_lease_alloc(&n, l, err) < 0)
		return -1;
	c->net.leased = true;
	hvc_net_attach_plan(&n, l, &c->net.attach);
	hvc_net_attach_give(c->net.job, &c->net.attach);
	return 0;
}

int hvc_rt_net_prepare(struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err)
{
	if (s->n_ports && s->net != HVC_CTR_NET_BRIDGE)
		return hvc_err(err, EINVAL, "-p needs a bridge network (--network bridge)");
	if (s->net == HVC_CTR_NET_CONTAINER)
		return join_container(c, s->network, err);
	if (s->net != HVC_CTR_NET_BRIDGE)
		return 0;
	uint64_t t0 = hvc_now_ns();
	if (take_lease(c, s, err) < 0 || write_etc_files(c, err) < 0)
		return hvc_error_prefix(err, "network");
	hvc_debug("network: lease %s on %s in %.3f ms", c->net.attach.host_if, c->net.lease.net,
		  hvc_ns_to_ms(hvc_now_ns() - t0));
	return 0;
}

int hvc_rt_net_join(struct hvc_ctr *c, struct hvc_error *err)
{
	if (!c->net.job)
		return 0;
	uint64_t t0 = hvc_now_ns();
	c->net.ns_fd = hvc_net_attach_join(c->net.job, err);
	c->net.job = NULL;
	if (c->net.ns_fd < 0)
		return hvc_error_prefix(err, "network");
	uint64_t t1 = hvc_now_ns();
	hvc_debug("network: namespace and veth ready %.3f ms after their start (waited %.3f ms)",
		  hvc_ns_to_ms(t1 - c->net.job_t0), hvc_ns_to_ms(t1 - t0));
	return 0;
}

static void add_bind(struct hvc_mnt_plan *plan, const char *dst, char *src, bool ro)
{
	plan->ops = hvc_xrealloc(plan->ops, plan->n + 1, sizeof(*plan->ops));
	struct hvc_mnt_op *o = &plan->ops[plan->n++];
	memset(o, 0, sizeof(*o));
	o->kind = HVC_MNT_BIND;
	o->dst = dst;
	o->src = o->owned[0] = src;
	o->ro = ro;
}

int hvc_rt_net_mounts(const struct hvc_ctr *c, struct hvc_mnt_plan *plan, struct hvc_error *err)
{
	(void)err;
	if (!c->net.leased)
		return 0;
	/* the network's hosts file is shared by its containers: read-only */
	add_bind(plan, "/etc/hosts", hvc_net_hosts_path(c->net.lease.net), true);
	add_bind(plan, "/etc/hostname", hvc_path_join(c->dir, "hostname"), false);
	add_bind(plan, "/etc/resolv.conf", hvc_path_join(c->dir, "resolv.conf"), false);
	return 0;
}

void hvc_rt_net_release(struct hvc_ctr *c)
{
	if (c->net.job) /* a start undone before the join */
		hvc_rt_net_join(c, NULL);
	if (c->net.ns_fd >= 0)
		close(c->net.ns_fd), c->net.ns_fd = -1;
	if (c->net.leased) {
		uint64_t t0 = hvc_now_ns();
		struct hvc_error e = {0};
		if (hvc_net_lease_release(c->net.lease.net, c->net.lease.addr, c->id, &e) < 0)
			hvc_warn("network: release %s: %s", c->net.lease.net, e.msg);
		c->net.leased = false;
		hvc_debug("network: lease released in %.3f ms", hvc_ns_to_ms(hvc_now_ns() - t0));
	}
	hvc_net_lease_clear(&c->net.lease);
}

json_object *hvc_ctr_network_settings(const char *id)
{
	struct hvc_net_lease l;
	struct hvc_net n;
	if (hvc_net_lease_find(id, &l, NULL) != 1)
		return NULL;
	json_object *o = json_object_new_object();
	char ip[16], buf[64];
	hvc_json_add_string(o, "network", l.net);
	hvc_json_add_string(o, "address", hvc_net_ip_format(l.addr, ip));
	if (hvc_net_get(l.net, &n, NULL) == 0)
		hvc_json_add_string(o, "gateway", hvc_net_ip_format(n.gateway, ip));
	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < l.n_ports; i++)
		json_object_array_add(ports, json_object_new_string(hvc_net_port_format(
						 &l.ports[i], buf, sizeof(buf))));
	json_object_object_add(o, "ports", ports);
	hvc_net_lease_clear(&l);
	return o;
}
