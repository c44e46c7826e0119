/* engine/cgroup/cgroup_backend: the one place a cgroup back-end is chosen, from the
 * mode detection found (engine/cgroup/cgroup_detect.c). Adding a back-end touches
 * this table and nothing that calls it. */
#include "cgroup_internal.h"

const struct hvc_cgroup_backend *hvc_cgroup_backend_for(enum hvc_cgroup_mode mode)
{
	switch (mode) {
	case HVC_CGROUP_V2:
		return &hvc_cgroup_backend_v2;
	case HVC_CGROUP_V1:
		return &hvc_cgroup_backend_v1;
	case HVC_CGROUP_HYBRID:
		return &hvc_cgroup_backend_hybrid;
	case HVC_CGROUP_NONE:
		break;
	}
	return NULL;
}
