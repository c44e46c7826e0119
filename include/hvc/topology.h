/* util/topology: the CPU and memory layout of this host, from hwloc. `hvc info`
 * reports it and the bench harness pins instances to the same PUs with it. */
#ifndef HVC_TOPOLOGY_H
#define HVC_TOPOLOGY_H

#include "hvc/util.h"

struct hvc_topology {
	char cpu_model[256]; /* "Intel(R) Xeon(R) Processor @ 2.80GHz" ("" when unknown) */
	char arch[32];	     /* "x86_64" */
	int sockets;	     /* packages */
	int cores;
	int pus; /* hardware threads (logical CPUs) hvc may use */
	int numa_nodes;
	uint64_t l1d, l1i, l2, l3; /* bytes of one cache of each level, 0 when absent */
	int l3_count;		   /* how many L3 caches (one per socket or CCX) */
	uint64_t mem_total;	   /* bytes of RAM: the kernel's MemTotal */
	uint64_t numa_mem_total;   /* bytes in NUMA nodes (hwloc); can be less than mem_total */
};

int hvc_topology_probe(struct hvc_topology *out, struct hvc_error *err);
/* Number of PUs (logical CPUs) available to this process; negative on error. */
int hvc_topology_pu_count(struct hvc_error *err);
/* OS indexes of the available PUs in pinning order: one PU per core first
 * (cores spread over sockets as hwloc orders them), then their hyperthread
 * siblings, so the first N picks never share a core when N <= cores.
 * *ids is malloc'd; *n its length. */
int hvc_topology_pus(int **ids, size_t *n, struct hvc_error *err);

#endif
