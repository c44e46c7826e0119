/* bench: host description, backends, runner, statistics, results, reports. */
#ifndef HVC_BENCH_H
#define HVC_BENCH_H

#include "hvc/util.h"

/* The host probe behind `hvc info`: a json object (schema in
 * docs/host-info.md) that every benchmark result embeds. */
int hvc_host_probe(json_object **out, struct hvc_error *err);
struct hvc_host_opts {
	const char *kernel;    /* guest kernel override (--kernel); NULL = $HVC_KERNEL or default */
	unsigned accel_flags;  /* HVC_VM_ACCEL_* (vm.h): force the KVM test boot, skip the cache */
};
int hvc_host_probe_with(const struct hvc_host_opts *opts, json_object **out, struct hvc_error *err);
/* Prints the probe as a short aligned table. */
void hvc_host_print(FILE *f, json_object *info);
/* CPU frequency scaling as the kernel shows it under cpu_dir (normally
 * /sys/devices/system/cpu/cpu0): {"governor", "driver"}, each a string or
 * null; both null when there is no cpufreq interface (most VMs). */
json_object *hvc_host_cpufreq(const char *cpu_dir);

#endif
