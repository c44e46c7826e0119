/* hvc/network: bridge networks for containers and VMs (engine/net/).
 *
 * One module owns the network: definitions (a bridge and its subnet, under
 * $HVC_ROOT/networks/<name>/network.json, the default `hvc0` persisted on
 * first use), IPAM leases (networks/<name>/leases/<address>.json, one file
 * per instance, written under networks/.lock), the bridge and veth links
 * (libmnl, loaded on first use), the nftables table `inet hvc`
 * (masquerade and published ports, rendered as text from the leases by a pure
 * function and applied through libnftables in one transaction) and the
 * /etc/hosts and /etc/resolv.conf files instances bind-mount.
 *
 * Nothing here knows what an instance is: a lease has a kind ("container",
 * "vm"), an owner id, a name and the process that holds it. The container
 * runtime and the VM driver both call the same functions: ensure the bridge,
 * allocate a lease (with the ports to publish), attach, release. */
#ifndef HVC_NETWORK_H
#define HVC_NETWORK_H

#include "hvc/util.h"
#include <stdint.h>
#include <sys/types.h>

#define HVC_NET_DEFAULT "hvc0"
#define HVC_NET_DEFAULT_SUBNET "10.88.0.0/16"
#define HVC_NET_NAME_MAX 11 /* "hvc-" + name must fit IFNAMSIZ - 1 */

/* ---------- addresses and ports (engine/net/net_addr.c, pure) ------------------- */
/* Addresses are IPv4 in host byte order. */
int hvc_net_ip_parse(const char *s, uint32_t *addr);
const char *hvc_net_ip_format(uint32_t addr, char buf[16]);
/* "10.88.0.0/16": the network address (host bits must be 0), prefix 8..30. */
int hvc_net_cidr_parse(const char *s, uint32_t *net, unsigned *prefix, struct hvc_error *err);

enum hvc_net_proto { HVC_NET_TCP = 0, HVC_NET_UDP };
struct hvc_net_port {
	uint32_t host_ip; /* 0: every local address */
	uint16_t host_port, port;
	enum hvc_net_proto proto;
};
/* -p [IP:]HOSTPORT:CTRPORT[/tcp|udp] (also CTRPORT alone: the same host port). */
int hvc_net_port_parse(const char *s, struct hvc_net_port *p, struct hvc_error *err);
/* "127.0.0.1:8080->80/tcp" */
const char *hvc_net_port_format(const struct hvc_net_port *p, char *buf, size_t len);
const char *hvc_net_proto_name(enum hvc_net_proto p);

/* ---------- definitions (engine/net/net_def.c) ---------------------------------- */
struct hvc_net {
	char name[64];
	char bridge[16];
	uint32_t subnet;
	unsigned prefix;
	uint32_t gateway; /* the bridge's own address: subnet + 1 */
	unsigned mtu;     /* of the bridge and its veths; 0: the kernel's (1500) */
};
/* Pure: a definition from a name and a subnet. */
int hvc_net_def_make(const char *name, uint32_t subnet, unsigned prefix, struct hvc_net *n,
		     struct hvc_error *err);
/* A network by name (`bridge` names hvc0); hvc0 is created on first use. */
int hvc_net_get(const char *name, struct hvc_net *n, struct hvc_error *err);
/* A user network; subnet NULL: the first free 10.89.N.0/24; mtu 0: 1500. */
int hvc_net_create(const char *name, const char *subnet, unsigned mtu, struct hvc_net *n,
		   struct hvc_error *err);
/* Removes a network without leases, and its bridge. */
int hvc_net_remove(const char *name, struct hvc_error *err);
int hvc_net_list(struct hvc_net **nets, size_t *n, struct hvc_error *err);
json_object *hvc_net_to_json(const struct hvc_net *n);

/* ---------- leases (engine/net/net_ipam.c) --------------------------------------- */
struct hvc_net_lease {
	char net[64];
	uint32_t addr;
	char kind[16];	   /* "container", "vm" */
	char owner[72];	   /* the instance's id */
	char name[160];	   /* resolvable on the network (/etc/hosts) */
	char hostname[72]; /* resolvable too ("" : none) */
	pid_t holder;	   /* the process whose death frees the lease (prune) */
	uint64_t holder_start;
	struct hvc_net_port *ports;
	size_t n_ports;
};
void hvc_net_lease_clear(struct hvc_net_lease *l);
void hvc_net_leases_free(struct hvc_net_lease *l, size_t n);
/* Pure: the first free address of n (gateway and broadcast excluded). */
int hvc_net_ipam_pick(const struct hvc_net *n, const uint32_t *used, size_t n_used, uint32_t *addr);
json_object *hvc_net_lease_to_json(const struct hvc_net_lease *l);
int hvc_net_lease_from_json(json_object *o, struct hvc_net_lease *l, struct hvc_error *err);
/* Allocates l->addr on n for l (holder: this process unless set), writes the
 * lease, then syncs the network (hosts file, nftables). */
int hvc_net_lease_alloc(const struct hvc_net *n, struct hvc_net_lease *l, struct hvc_error *err);
/* Releases the lease of owner on net (absent: 0), then syncs. */
int hvc_net_lease_release(const char *net, uint32_t addr, const char *owner, struct hvc_error *err);
/* Hands owner's lease on net to another holder process (a detached VM's
 * QEMU); absent or another owner's: 0. */
int hvc_net_lease_set_holder(const char *net, uint32_t addr, const char *owner, pid_t holder,
			     struct hvc_error *err);
/* Every lease of a network. */
int hvc_net_lease_list(const char *net, struct hvc_net_lease **out, size_t *n,
		       struct hvc_error *err);
/* The lease an owner holds on any network (1 found, 0 none). */
int hvc_net_lease_find(const char *owner, struct hvc_net_lease *out, struct hvc_error *err);

/* ---------- rendered files and rules (engine/net/net_render.c, pure) ------------ */
/* The table `inet hvc`, replacing the previous one in one transaction. */
char *hvc_net_nft_render(const struct hvc_net *nets, size_t n_nets,
			 const struct hvc_net_lease *leases, size_t n_leases);
/* /etc/hosts shared by a network's instances. */
char *hvc_net_hosts_render(const struct hvc_net_lease *leases, size_t n);
/* The host's resolv.conf without loopback nameservers (unreachable inside). */
char *hvc_net_resolv_render(const char *host_resolv);

/* ---------- applying (engine/net/net_sync.c, net_nft.c) ------------------------- */
/* Rewrites every network's hosts file and the nftables table from the leases
 * (the table is applied only when its text changed, or force). */
int hvc_net_sync(bool force, struct hvc_error *err);
int hvc_net_nft_apply(const char *text, struct hvc_error *err);
/* networks/<net>/hosts, the file instances bind-mount as /etc/hosts. */
char *hvc_net_hosts_path(const char *net);

/* ---------- links (engine/net/net_link.c, libmnl) -------------------------------
 * The plan of one attachment, pure; applying it creates the veth pair with
 * its peer in the netns of pid, enslaves the host end, configures the peer. */
struct hvc_net_attach_plan {
	char bridge[16];
	char host_if[16]; /* "vh" + 10 characters of the owner id */
	char peer_if[16]; /* "eth0" inside */
	uint32_t addr, gateway;
	unsigned prefix;
	unsigned mtu; /* the network's; 0: the kernel's */
};
void hvc_net_attach_plan(const struct hvc_net *n, const struct hvc_net_lease *l,
			 struct hvc_net_attach_plan *p);
/* Creates the bridge with its address (and ip_forward, route_localnet);
 * *created tells whether it was new (the nftables table is reapplied then). */
int hvc_net_bridge_ensure(const struct hvc_net *n, bool *created, struct hvc_error *err);
int hvc_net_attach_veth(const struct hvc_net_attach_plan *p, pid_t pid, struct hvc_error *err);
/* The same into a new network namespace, made for the purpose before any
 * process lives in it: returns its fd (the caller setns()es a child into it
 * and closes it), or -1. */
int hvc_net_attach_veth_new_ns(const struct hvc_net_attach_plan *p, struct hvc_error *err);
/* The same in the background, in two steps so that the namespace is made
 * while the caller takes the lease: start (the bridge's name only) returns
 * at once, NULL and err when no thread could be made; the thread makes the
 * namespace, then waits for give (the plan, once the address is known) to
 * make and configure the veth; join waits and returns the namespace's fd,
 * or -1 with the attachment's error in err (a job never given a plan is
 * cancelled by join). Every started job must be joined. */
struct hvc_net_attach_job;
struct hvc_net_attach_job *hvc_net_attach_start(const char *bridge, struct hvc_error *err);
void hvc_net_attach_give(struct hvc_net_attach_job *j, const struct hvc_net_attach_plan *p);
int hvc_net_attach_join(struct hvc_net_attach_job *j, struct hvc_error *err);
int hvc_net_link_delete(const char *ifname, struct hvc_error *err);
/* The host ends of hvc's veths (vh*) attached to bridge (malloc'd strv;
 * none when the bridge is not in this network namespace). */
int hvc_net_bridge_veths(const char *bridge, char ***names, struct hvc_error *err);

/* ---------- prune (engine/net/net_prune.c) -------------------------------------- */
struct hvc_net_prune_report {
	unsigned leases, links;
	unsigned bridges; /* hvc_net_prune_unused: bridges deleted */
	bool table;       /* hvc_net_prune_unused: the table `inet hvc` deleted */
};
/* Drops leases whose holder died, veths without a lease, then syncs (force). */
int hvc_net_prune(struct hvc_net_prune_report *r, struct hvc_error *err);
/* Then (system prune -a): the bridges of this namespace without a lease and,
 * when no lease is left anywhere, the table `inet hvc`. */
int hvc_net_prune_unused(struct hvc_net_prune_report *r, struct hvc_error *err);

#endif
