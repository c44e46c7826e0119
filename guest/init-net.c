/* guest/init-net: hvc-init's network set-up in a VM — eth0 (the virtio-net
 * NIC the VM driver attached to a host bridge) gets the address, prefix and
 * default route of the guest config, and /etc/resolv.conf, /etc/hosts and
 * the hostname are written from it. Plain ioctls (SIOCSIFADDR, SIOCSIFNETMASK,
 * SIOCSIFFLAGS, SIOCADDRT) rather than netlink: one static address and one
 * route need no more, and hvc-init stays small. Static, libc only. */
#include "init.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NIC "eth0"

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "hvc-init: network: %s %s: %s\n", what, arg, strerror(errno));
	return -1;
}

static void set_sin(struct sockaddr *sa, in_addr_t a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
}

/* virtio_net probes the device while its module loads; allow a moment. */
static int wait_nic(int s, struct ifreq *ifr)
{
	for (int i = 0; i < 500; i++) {
		if (ioctl(s, SIOCGIFINDEX, ifr) == 0)
			return 0;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return fail("no interface", NIC);
}

/* Address, netmask, up; then the default route through gw (may be NULL). */
static int configure(int s, const char *cidr, const char *gw)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
	int prefix = slash ? atoi(slash + 1) : 32;
	struct in_addr a, g;
	if (n >= sizeof(addr) || prefix < 1 || prefix > 32)
		return errno = EINVAL, fail("address", cidr);
	memcpy(addr, cidr, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1 || (gw && inet_pton(AF_INET, gw, &g) != 1))
		return errno = EINVAL, fail("address", cidr);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, NIC);
	if (wait_nic(s, &ifr) < 0)
		return -1;
	set_sin(&ifr.ifr_addr, a.s_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		return fail("set address", cidr);
	set_sin(&ifr.ifr_netmask, htonl(~0u << (32 - prefix)));
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		return fail("set netmask", cidr);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return fail("get flags of", NIC);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return fail("bring up", NIC);
	if (!gw)
		return 0;
	struct rtentry rt;
	memset(&rt, 0, sizeof(rt));
	set_sin(&rt.rt_dst, INADDR_ANY);
	set_sin(&rt.rt_genmask, INADDR_ANY);
	set_sin(&rt.rt_gateway, g.s_addr);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = (char *)NIC;
	if (ioctl(s, SIOCADDRT, &rt) < 0)
		return fail("default route via", gw);
	return 0;
}

static int write_text(const char *path, const char *text)
{
	mkdir("/etc", 0755);
	unlink(path); /* an image's symlink (to a resolver's file) would redirect the write */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("write", path);
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	close(fd);
	return w == (ssize_t)len ? 0 : fail("write", path);
}

int init_net_setup(const struct init_net *n)
{
	int rc = 0;
	if (n->ip) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return fail("socket", "");
		rc = configure(s, n->ip, n->gw);
		close(s);
	}
	if (n->hostname && sethostname(n->hostname, strlen(n->hostname)) < 0)
		rc = fail("hostname", n->hostname);
	if (n->hosts && write_text("/etc/hosts", n->hosts) < 0)
		rc = -1;
	if (n->n_dns) {
		char buf[3 * 64];
		size_t len = 0;
		for (size_t i = 0; i < n->n_dns && len < sizeof(buf); i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "nameserver %s\n",
						n->dns[i]);
		if (write_text("/etc/resolv.conf", buf) < 0)
			rc = -1;
	}
	return rc;
}
