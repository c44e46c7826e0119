/* util/mnl_lazy: libmnl, loaded on first use (see hvc/lazy.h). The network
 * module's links (engine/net/net_link.c) speak rtnetlink through it: a 20 KB
 * library with no dependencies, where libnl-3 and libnl-route-3 cost about
 * 1 ms of relocation on every bridge start. Every libmnl function hvc calls
 * is listed here; one that is not fails to link. */
#include "hvc/lazy.h"
#include <libmnl/libmnl.h>

#ifndef HVC_SONAME_MNL
#define HVC_SONAME_MNL "libmnl.so.0"
#endif
/* the first library a bridge start loads: from where the build found it
 * (hvc/lazy.h, HVC_LAZY_LIB_AT), which halves the dlopen's cost here */
#ifdef HVC_LIBDIR_MNL
HVC_LAZY_LIB_AT(mnl_lib, HVC_SONAME_MNL, HVC_LIBDIR_MNL "/" HVC_SONAME_MNL);
#else
HVC_LAZY_LIB(mnl_lib, HVC_SONAME_MNL);
#endif

HVC_LAZY_FN(mnl_lib, struct mnl_socket *, mnl_socket_open, (int bus), (bus))
HVC_LAZY_FN(mnl_lib, struct mnl_socket *, mnl_socket_fdopen, (int fd), (fd))
HVC_LAZY_FN(mnl_lib, int, mnl_socket_bind, (struct mnl_socket * nl, unsigned int groups, pid_t pid),
	    (nl, groups, pid))
HVC_LAZY_FN(mnl_lib, int, mnl_socket_close, (struct mnl_socket * nl), (nl))
HVC_LAZY_FN(mnl_lib, unsigned int, mnl_socket_get_portid, (const struct mnl_socket *nl), (nl))
HVC_LAZY_FN(mnl_lib, int, mnl_socket_get_fd, (const struct mnl_socket *nl), (nl))
HVC_LAZY_FN(mnl_lib, ssize_t, mnl_socket_sendto,
	    (const struct mnl_socket *nl, const void *req, size_t siz), (nl, req, siz))
HVC_LAZY_FN(mnl_lib, ssize_t, mnl_socket_recvfrom, (const struct mnl_socket *nl, void *buf, size_t siz),
	    (nl, buf, siz))
HVC_LAZY_FN(mnl_lib, struct nlmsghdr *, mnl_nlmsg_put_header, (void *buf), (buf))
HVC_LAZY_FN(mnl_lib, void *, mnl_nlmsg_put_extra_header, (struct nlmsghdr * nlh, size_t size),
	    (nlh, size))
HVC_LAZY_FN(mnl_lib, void *, mnl_nlmsg_get_payload, (const struct nlmsghdr *nlh), (nlh))
HVC_LAZY_VOID_FN(mnl_lib, mnl_attr_put, (struct nlmsghdr * nlh, uint16_t type, size_t len, const void *data),
		 (nlh, type, len, data))
HVC_LAZY_VOID_FN(mnl_lib, mnl_attr_put_u32, (struct nlmsghdr * nlh, uint16_t type, uint32_t data),
		 (nlh, type, data))
HVC_LAZY_VOID_FN(mnl_lib, mnl_attr_put_strz, (struct nlmsghdr * nlh, uint16_t type, const char *data),
		 (nlh, type, data))
HVC_LAZY_FN(mnl_lib, struct nlattr *, mnl_attr_nest_start, (struct nlmsghdr * nlh, uint16_t type),
	    (nlh, type))
HVC_LAZY_VOID_FN(mnl_lib, mnl_attr_nest_end, (struct nlmsghdr * nlh, struct nlattr *start),
		 (nlh, start))
HVC_LAZY_FN(mnl_lib, int, mnl_attr_parse,
	    (const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data),
	    (nlh, offset, cb, data))
HVC_LAZY_FN(mnl_lib, uint16_t, mnl_attr_get_type, (const struct nlattr *attr), (attr))
HVC_LAZY_FN(mnl_lib, uint32_t, mnl_attr_get_u32, (const struct nlattr *attr), (attr))
HVC_LAZY_FN(mnl_lib, const char *, mnl_attr_get_str, (const struct nlattr *attr), (attr))
HVC_LAZY_FN(mnl_lib, int, mnl_cb_run,
	    (const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
	     mnl_cb_t cb_data, void *data),
	    (buf, numbytes, seq, portid, cb_data, data))
