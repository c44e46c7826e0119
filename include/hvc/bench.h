/* bench: host description, backends, runner, statistics, results, reports. */
#ifndef HVC_BENCH_H
#define HVC_BENCH_H

#include "hvc/host.h"
#include "hvc/util.h"

/* The full host description behind `hvc info` and every result: the host's
 * own sections (hvc/host.h) plus the engine's cgroup section and the VM
 * driver's virtualization section (bench/bench_host.c composes them). */
int hvc_host_probe(json_object **out, struct hvc_error *err);
struct hvc_host_opts {
	const char *kernel;    /* guest kernel override (--kernel); NULL = $HVC_KERNEL or default */
	unsigned accel_flags;  /* HVC_VM_ACCEL_* (vm.h): force the KVM test boot, skip the cache */
};
int hvc_host_probe_with(const struct hvc_host_opts *opts, json_object **out, struct hvc_error *err);

#endif
