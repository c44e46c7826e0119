/* engine/cgroup: one interface over unified v2, legacy v1 and hybrid hosts.
 * Detection (engine/cgroup_detect.c) is shared by `hvc info` and the runtime;
 * the back-ends are const tables of function pointers chosen in one place.
 * The sysfs root is a parameter so tests point it at fake trees. */
#ifndef HVC_CGROUP_H
#define HVC_CGROUP_H

#include "hvc/util.h"

enum hvc_cgroup_mode {
	HVC_CGROUP_NONE = 0, /* nothing usable mounted */
	HVC_CGROUP_V1,       /* legacy: one hierarchy per controller */
	HVC_CGROUP_V2,       /* unified: cgroup2 at the root */
	HVC_CGROUP_HYBRID,   /* v1 controllers + a cgroup2 tree (e.g. /sys/fs/cgroup/unified) */
};

/* Controllers hvc uses. */
enum hvc_cgroup_ctrl {
	HVC_CG_CPU = 1 << 0,
	HVC_CG_CPUSET = 1 << 1,
	HVC_CG_MEMORY = 1 << 2,
	HVC_CG_PIDS = 1 << 3,
	HVC_CG_IO = 1 << 4, /* io (v2) / blkio (v1) */
	HVC_CG_FREEZER = 1 << 5,
};

struct hvc_cgroup_host {
	enum hvc_cgroup_mode mode;
	char root[256];        /* sysfs cgroup root, e.g. "/sys/fs/cgroup" */
	char unified[256];     /* path of the cgroup2 tree ("" when none) */
	unsigned usable;       /* HVC_CG_* bits: controllers hvc can actually use */
	unsigned v2_controllers; /* HVC_CG_* bits enabled in the cgroup2 tree */
};

/* Reads <root>/../mountinfo-like facts from the tree under root (normally
 * "/sys/fs/cgroup") plus the mount table text (contents of
 * /proc/self/mountinfo; NULL = read the real one). Pure when mountinfo given. */
int hvc_cgroup_detect(const char *root, const char *mountinfo, struct hvc_cgroup_host *out,
		      struct hvc_error *err);
const char *hvc_cgroup_mode_name(enum hvc_cgroup_mode m); /* "v1", "v2", "hybrid", "none" */
/* "cpu,cpuset,memory,pids" for a bit set, into buf. */
const char *hvc_cgroup_ctrl_names(unsigned bits, char *buf, size_t len);

#endif
