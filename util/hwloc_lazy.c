/* util/hwloc_lazy: hwloc, loaded on first use (see hvc/lazy.h). hwloc and the
 * libudev it pulls in were relocated at every hvc start although only
 * `hvc info`, the bench harness and density planning read the topology.
 * Every exported hwloc function hvc calls is listed here, including those
 * called by hwloc's static inline helpers (hwloc_get_obj_by_type,
 * hwloc_get_root_obj, hwloc_get_obj_inside_cpuset_by_type, ...); one that is
 * not fails to link. */
#include "hvc/lazy.h"
#include <hwloc.h>

#ifndef HVC_SONAME_HWLOC
#define HVC_SONAME_HWLOC "libhwloc.so.15"
#endif
HVC_LAZY_LIB(hwloc_lib, HVC_SONAME_HWLOC);

/* The topology */
HVC_LAZY_FN(hwloc_lib, int, hwloc_topology_init, (hwloc_topology_t * topologyp), (topologyp))
HVC_LAZY_FN(hwloc_lib, int, hwloc_topology_set_icache_types_filter,
	    (hwloc_topology_t topology, enum hwloc_type_filter_e filter), (topology, filter))
HVC_LAZY_FN(hwloc_lib, int, hwloc_topology_load, (hwloc_topology_t topology), (topology))
HVC_LAZY_VOID_FN(hwloc_lib, hwloc_topology_destroy, (hwloc_topology_t topology), (topology))
HVC_LAZY_FN(hwloc_lib, hwloc_const_cpuset_t, hwloc_topology_get_allowed_cpuset,
	    (hwloc_topology_t topology), (topology))

/* Objects by depth (behind the inline by-type helpers) */
HVC_LAZY_FN(hwloc_lib, int, hwloc_get_type_depth,
	    (hwloc_topology_t topology, hwloc_obj_type_t type), (topology, type))
HVC_LAZY_FN(hwloc_lib, unsigned, hwloc_get_nbobjs_by_depth, (hwloc_topology_t topology, int depth),
	    (topology, depth))
HVC_LAZY_FN(hwloc_lib, hwloc_obj_t, hwloc_get_obj_by_depth,
	    (hwloc_topology_t topology, int depth, unsigned idx), (topology, depth, idx))

/* CPU sets */
HVC_LAZY_FN(hwloc_lib, int, hwloc_bitmap_iszero, (hwloc_const_bitmap_t bitmap), (bitmap))
HVC_LAZY_FN(hwloc_lib, int, hwloc_bitmap_isincluded,
	    (hwloc_const_bitmap_t sub_bitmap, hwloc_const_bitmap_t super_bitmap),
	    (sub_bitmap, super_bitmap))
HVC_LAZY_FN(hwloc_lib, int, hwloc_bitmap_list_snprintf,
	    (char *__hwloc_restrict buf, size_t buflen, hwloc_const_bitmap_t bitmap),
	    (buf, buflen, bitmap))
