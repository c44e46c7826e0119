/* engine/runtime/runtime_trace: the trace events of a container start that
 * need more than one line to describe (hvc/trace.h) — the confinement plan
 * with capability names and the seccomp rule count, and clone3's flags in
 * words. Called only when tracing is on, from the parent: they may allocate
 * (libcap's names, the seccomp profile). */
#include <linux/sched.h>
#include <string.h>
#include <sys/capability.h>
#include "hvc/trace.h"
#include "hvc/network.h"
#include "runtime_ctr.h"

/* Rules of the profile the filter was compiled from (the filter itself
 * may come from the cache), or 0. */
static size_t seccomp_rules(const struct hvc_ctr_spec *s)
{
	struct hvc_sc_profile p;
	int r = -1;
	if (s->seccomp == HVC_CTR_SECCOMP_DEFAULT) {
		r = hvc_sc_profile_default(s->caps, &p, NULL);
	} else if (s->seccomp == HVC_CTR_SECCOMP_FILE) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		if (hvc_read_file(s->seccomp_file, &buf, &len, NULL) == 0)
			r = hvc_sc_profile_parse_json(buf, len, &p, NULL);
	}
	if (r < 0)
		return 0;
	size_t n = p.n_rules;
	hvc_sc_profile_free(&p);
	return n;
}

void hvc_rt_trace_confinement_plan(const struct hvc_ctr_spec *s, const struct hvc_sc_bpf *sc)
{
	uint64_t known = CAP_LAST_CAP >= 63 ? ~0ull : (1ull << (CAP_LAST_CAP + 1)) - 1;
	char keep[1024], drop[2048];
	hvc_ctr_caps_format(s->caps, keep, sizeof(keep));
	hvc_ctr_caps_format(known & ~s->caps, drop, sizeof(drop));
	HVC_TRACE("caps.plan", "keep %d: %s", __builtin_popcountll(s->caps), keep[0] ? keep : "none");
	HVC_TRACE("caps.plan", "drop %d: %s", __builtin_popcountll(known & ~s->caps), drop[0] ? drop : "none");
	if (!sc->filter) {
		HVC_TRACE("seccomp.plan", "unconfined: no filter");
		return;
	}
	HVC_TRACE("seccomp.plan", "%s profile: %zu rules compiled to %u BPF instructions",
		  s->seccomp == HVC_CTR_SECCOMP_FILE ? s->seccomp_file : "default", seccomp_rules(s),
		  (unsigned)sc->len);
}

void hvc_rt_trace_clone(uint64_t flags, bool share_vm, int relay_w)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ CLONE_NEWPID, "CLONE_NEWPID" },   { CLONE_NEWNS, "CLONE_NEWNS" },
		{ CLONE_NEWUTS, "CLONE_NEWUTS" },   { CLONE_NEWIPC, "CLONE_NEWIPC" },
		{ CLONE_NEWNET, "CLONE_NEWNET" },   { CLONE_NEWUSER, "CLONE_NEWUSER" },
		{ CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_PIDFD, "CLONE_PIDFD" },
		{ CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP" },
	};
	char buf[512] = "";
	size_t off = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "|" : "", names[i].name);
	HVC_TRACE("clone3", "%s%s", buf,
		  share_vm ? " + CLONE_VM|CLONE_VFORK (shares our memory until its exec, as posix_spawn)"
			   : " (a copy of our memory: the parent acts while the child waits)");
	hvc_trace_relay_begin(relay_w, "ctr");
}

void hvc_rt_trace_network(const struct hvc_ctr *c)
{
	static const char *const modes[] = {
		[HVC_CTR_NET_NONE] = "none: a network namespace with only lo",
		[HVC_CTR_NET_HOST] = "host: the host's network namespace, no isolation",
		[HVC_CTR_NET_BRIDGE] = "bridge",
		[HVC_CTR_NET_CONTAINER] = "container: another container's network namespace",
	};
	const struct hvc_ctr_spec *s = c->spec;
	if (s->net != HVC_CTR_NET_BRIDGE || !c->net.leased) {
		HVC_TRACE("net.plan", "--network %s", (unsigned)s->net < 4 ? modes[s->net] : "?");
		return;
	}
	const struct hvc_net_attach_plan *p = &c->net.attach;
	char ip[16], gw[16];
	HVC_TRACE("net.plan", "--network %s: address %s/%u leased (IPAM), gateway %s on bridge %s; veth pair %s (host) <-> %s (container), "
			      "%zu port(s) published", c->net.lease.net, hvc_net_ip_format(p->addr, ip), p->prefix,
		  hvc_net_ip_format(p->gateway, gw), p->bridge, p->host_if, p->peer_if, c->net.lease.n_ports);
}

void hvc_rt_trace_born(pid_t pid, uint64_t ts, int relay_r)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "the container's PID 1 is host pid %d", (int)pid);
	hvc_trace_emit_at(ts, "hvc", "clone3.pid", msg);
	hvc_trace_relay_drain(relay_r, false);
}
