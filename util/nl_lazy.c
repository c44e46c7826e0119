/* util/nl_lazy: libnl-3 and libnl-route-3, loaded on first use (see
 * hvc/lazy.h). Only a start on a bridge network (engine/net/net_link.c)
 * talks netlink; `hvc run --network none` and every other command must not
 * pay for mapping them. Every libnl function hvc calls is listed here; one
 * that is not fails to link. */
#include "hvc/lazy.h"
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#ifndef HVC_SONAME_NL
#define HVC_SONAME_NL "libnl-3.so.200"
#endif
#ifndef HVC_SONAME_NL_ROUTE
#define HVC_SONAME_NL_ROUTE "libnl-route-3.so.200"
#endif
HVC_LAZY_LIB(nl_lib, HVC_SONAME_NL);
HVC_LAZY_LIB(nl_route_lib, HVC_SONAME_NL_ROUTE);

/* libnl-3: sockets, addresses, caches */
HVC_LAZY_FN(nl_lib, struct nl_sock *, nl_socket_alloc, (void), ())
HVC_LAZY_VOID_FN(nl_lib, nl_socket_free, (struct nl_sock * s), (s))
HVC_LAZY_FN(nl_lib, int, nl_connect, (struct nl_sock * s, int proto), (s, proto))
HVC_LAZY_FN(nl_lib, const char *, nl_geterror, (int e), (e))
HVC_LAZY_FN(nl_lib, struct nl_addr *, nl_addr_build, (int family, const void *buf, size_t size),
	    (family, buf, size))
HVC_LAZY_VOID_FN(nl_lib, nl_addr_set_prefixlen, (struct nl_addr * a, int len), (a, len))
HVC_LAZY_VOID_FN(nl_lib, nl_addr_put, (struct nl_addr * a), (a))
HVC_LAZY_FN(nl_lib, struct nl_object *, nl_cache_get_first, (struct nl_cache * c), (c))
HVC_LAZY_FN(nl_lib, struct nl_object *, nl_cache_get_next, (struct nl_object * o), (o))
HVC_LAZY_VOID_FN(nl_lib, nl_cache_free, (struct nl_cache * c), (c))

/* libnl-route-3: links, addresses, routes */
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_get_kernel,
	    (struct nl_sock * s, int ifindex, const char *name, struct rtnl_link **out),
	    (s, ifindex, name, out))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_link_put, (struct rtnl_link * l), (l))
HVC_LAZY_FN(nl_route_lib, struct rtnl_link *, rtnl_link_alloc, (void), ())
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_link_set_flags, (struct rtnl_link * l, unsigned int flags),
		 (l, flags))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_change,
	    (struct nl_sock * s, struct rtnl_link *orig, struct rtnl_link *changes, int flags),
	    (s, orig, changes, flags))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_get_ifindex, (struct rtnl_link * l), (l))
HVC_LAZY_FN(nl_route_lib, unsigned int, rtnl_link_get_flags, (struct rtnl_link * l), (l))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_link_set_name, (struct rtnl_link * l, const char *name),
		 (l, name))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_set_type, (struct rtnl_link * l, const char *type),
	    (l, type))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_add, (struct nl_sock * s, struct rtnl_link *l, int flags),
	    (s, l, flags))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_veth_add,
	    (struct nl_sock * s, const char *name, const char *peer, pid_t pid),
	    (s, name, peer, pid))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_enslave_ifindex,
	    (struct nl_sock * s, int master, int slave), (s, master, slave))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_delete, (struct nl_sock * s, const struct rtnl_link *l),
	    (s, l))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_alloc_cache,
	    (struct nl_sock * s, int family, struct nl_cache **out), (s, family, out))
HVC_LAZY_FN(nl_route_lib, int, rtnl_link_get_master, (struct rtnl_link * l), (l))
HVC_LAZY_FN(nl_route_lib, char *, rtnl_link_get_name, (struct rtnl_link * l), (l))
HVC_LAZY_FN(nl_route_lib, struct rtnl_addr *, rtnl_addr_alloc, (void), ())
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_addr_put, (struct rtnl_addr * a), (a))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_addr_set_ifindex, (struct rtnl_addr * a, int ifindex),
		 (a, ifindex))
HVC_LAZY_FN(nl_route_lib, int, rtnl_addr_set_local, (struct rtnl_addr * a, struct nl_addr *local),
	    (a, local))
HVC_LAZY_FN(nl_route_lib, int, rtnl_addr_add, (struct nl_sock * s, struct rtnl_addr *a, int flags),
	    (s, a, flags))
HVC_LAZY_FN(nl_route_lib, struct rtnl_route *, rtnl_route_alloc, (void), ())
HVC_LAZY_FN(nl_route_lib, struct rtnl_nexthop *, rtnl_route_nh_alloc, (void), ())
HVC_LAZY_FN(nl_route_lib, int, rtnl_route_set_family, (struct rtnl_route * r, uint8_t family),
	    (r, family))
HVC_LAZY_FN(nl_route_lib, int, rtnl_route_set_dst, (struct rtnl_route * r, struct nl_addr *dst),
	    (r, dst))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_route_nh_set_ifindex, (struct rtnl_nexthop * nh, int ifindex),
		 (nh, ifindex))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_route_nh_set_gateway,
		 (struct rtnl_nexthop * nh, struct nl_addr *gw), (nh, gw))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_route_add_nexthop,
		 (struct rtnl_route * r, struct rtnl_nexthop *nh), (r, nh))
HVC_LAZY_FN(nl_route_lib, int, rtnl_route_add,
	    (struct nl_sock * s, struct rtnl_route *r, int flags), (s, r, flags))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_route_nh_free, (struct rtnl_nexthop * nh), (nh))
HVC_LAZY_VOID_FN(nl_route_lib, rtnl_route_put, (struct rtnl_route * r), (r))
