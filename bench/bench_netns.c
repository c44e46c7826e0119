/* bench/bench_netns: a network namespace attached to hvc0 the way `hvc run
 * --network bridge` attaches a container — an IPAM lease, a veth pair with
 * its host end on the bridge and eth0 (address, default route via the
 * gateway) inside — for the OCI peers (runc, crun), whose bundle then
 * names it (linux.namespaces network path). The namespace is held by a
 * child process that only waits; closing deletes the veth, ends the child
 * and releases the lease, so nothing outlives the sample. */
#include "bench_internal.h"
#include "hvc/network.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The holder: a child in a new network namespace, waiting to be killed. */
static int holder_start(struct hvc_bench_netns *ns, struct hvc_error *err)
{
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		return hvc_err(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(sync[0]);
		/* a harness killed with -9 takes its namespaces with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char ok = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
		if (write(sync[1], &ok, 1) != 1 || !ok)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	if (pid < 0) {
		close(sync[0]);
		return hvc_err(err, errno, "fork");
	}
	ns->holder = pid;
	char ok = 0;
	ssize_t n = read(sync[0], &ok, 1);
	close(sync[0]);
	if (n != 1 || !ok)
		return hvc_err(err, EPERM, "unshare(CLONE_NEWNET) failed in the namespace holder");
	snprintf(ns->path, sizeof(ns->path), "/proc/%d/ns/net", (int)pid);
	return 0;
}

int hvc_bench_netns_open(struct hvc_bench_netns *ns, struct hvc_error *err)
{
	memset(ns, 0, sizeof(*ns));
	struct hvc_net n;
	bool created = false;
	if (hvc_net_get("bridge", &n, err) < 0 || hvc_net_bridge_ensure(&n, &created, err) < 0 ||
	    (created && hvc_net_sync(true, err) < 0))
		return -1;
	if (holder_start(ns, err) < 0)
		goto fail;
	/* a random owner: the veth's name (vh + 10 characters of it) never
	 * repeats while an earlier sample's pair is being torn down */
	char id[17];
	if (hvc_random_hex(id, 8, err) < 0)
		goto fail;
	struct hvc_net_lease l = {0};
	snprintf(l.kind, sizeof(l.kind), "container");
	snprintf(l.owner, sizeof(l.owner), "%s", id);
	snprintf(l.name, sizeof(l.name), "hvcbench-%s", id);
	if (hvc_net_lease_alloc(&n, &l, err) < 0)
		goto fail;
	snprintf(ns->net, sizeof(ns->net), "%s", n.name);
	snprintf(ns->owner, sizeof(ns->owner), "%s", l.owner);
	ns->addr = l.addr;
	ns->leased = true;
	struct hvc_net_attach_plan plan;
	hvc_net_attach_plan(&n, &l, &plan);
	hvc_net_lease_clear(&l);
	snprintf(ns->host_if, sizeof(ns->host_if), "%s", plan.host_if);
	if (hvc_net_attach_veth(&plan, ns->holder, err) < 0)
		goto fail;
	return 0;
fail:
	hvc_bench_netns_close(ns);
	return -1;
}

void hvc_bench_netns_close(struct hvc_bench_netns *ns)
{
	struct hvc_error e = {0};
	if (ns->host_if[0])
		hvc_net_link_delete(ns->host_if, &e); /* the pair, now: not with the netns, later */
	ns->host_if[0] = '\0';
	if (ns->holder > 0) {
		kill(ns->holder, SIGKILL);
		waitpid(ns->holder, NULL, 0);
		ns->holder = 0;
	}
	if (ns->leased && hvc_net_lease_release(ns->net, ns->addr, ns->owner, &e) < 0)
		hvc_warn("release lease of %s: %s", ns->owner, e.msg);
	ns->leased = false;
}
