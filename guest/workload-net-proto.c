/* guest/workload-net-proto: the pieces both ends of hvc-workload's network
 * workloads use: header and trailer encoding, the bulk-data pattern and its
 * record stream, full sends and receives, addresses, latency percentiles and
 * the packet path of a connection (workload-net.h). libc only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "workload-net.h"

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void net_hdr_encode(const struct net_hdr *h, unsigned char out[NET_HDR_LEN])
{
	memcpy(out, "HVN1", 4);
	put32(out + 4, h->mode);
	put32(out + 8, h->size);
	put32(out + 12, h->resp_size);
	put64(out + 16, h->session);
	put64(out + 24, h->seed);
}

int net_hdr_decode(const unsigned char in[NET_HDR_LEN], struct net_hdr *h)
{
	if (memcmp(in, "HVN1", 4) != 0)
		return -1;
	h->mode = get32(in + 4);
	h->size = get32(in + 8);
	h->resp_size = get32(in + 12);
	h->session = get64(in + 16);
	h->seed = get64(in + 24);
	return 0;
}

void net_trailer_encode(const struct net_trailer *t, unsigned char out[NET_TRAILER_LEN])
{
	memcpy(out, "HVNT", 4);
	put32(out + 4, 0);
	put64(out + 8, t->count);
	put64(out + 16, t->mismatched);
}

int net_trailer_decode(const unsigned char in[NET_TRAILER_LEN], struct net_trailer *t)
{
	if (memcmp(in, "HVNT", 4) != 0)
		return -1;
	t->count = get64(in + 8);
	t->mismatched = get64(in + 16);
	return 0;
}

int net_pattern_init(struct net_pattern *p, uint64_t seed, size_t max_len)
{
	size_t n = NET_PATTERN_PERIOD + max_len;
	p->buf = malloc(n + 8);
	if (!p->buf)
		return -1;
	uint64_t s = seed;
	for (size_t i = 0; i < NET_PATTERN_PERIOD; i += 8) {
		uint64_t v = wl_mix64(&s);
		memcpy(p->buf + i, &v, 8); /* the tail past the period is overwritten below */
	}
	for (size_t i = NET_PATTERN_PERIOD; i < n; i++)
		p->buf[i] = p->buf[i - NET_PATTERN_PERIOD];
	return 0;
}

void net_pattern_free(struct net_pattern *p)
{
	free(p->buf);
	p->buf = NULL;
}

int net_send_all(int fd, const void *buf, size_t len)
{
	const char *c = buf;
	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int net_recv_all(int fd, void *buf, size_t len)
{
	char *c = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, c + got, len - got, MSG_WAITALL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? -EPROTO : 0;
		got += (size_t)n;
	}
	return 1;
}

/* One record: its length and pattern bytes in one sendmsg. */
static int send_record(int fd, const unsigned char *data, uint32_t len)
{
	unsigned char lenbuf[4];
	put32(lenbuf, len);
	struct iovec iov[2] = {{lenbuf, 4}, {(void *)data, len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	size_t left = 4 + (size_t)len;
	while (left) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left -= (size_t)n;
		while (n > 0 && m.msg_iovlen) { /* skip what went out */
			if ((size_t)n >= m.msg_iov->iov_len) {
				n -= (ssize_t)m.msg_iov->iov_len;
				m.msg_iov++;
				m.msg_iovlen--;
			} else {
				m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + n;
				m.msg_iov->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

/* The server's way to learn that a downstream run is over: a byte from the
 * client, or its half-close. */
static bool peer_said_stop(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
	return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

int net_stream_send(int fd, const struct net_pattern *p, uint32_t size, double stop_at,
		    bool corrupt, struct net_flow *f)
{
	unsigned char *bad = NULL;
	int rc = 0;
	if (corrupt) {
		bad = malloc(size);
		if (!bad)
			return -ENOMEM;
		memcpy(bad, net_pattern_at(p, 0), size);
		bad[size / 2] ^= 0x40;
	}
	do {
		const unsigned char *data = net_pattern_at(p, f->bytes);
		rc = send_record(fd, f->records == 0 && bad ? bad : data, size);
		if (rc < 0)
			break;
		f->bytes += size;
		f->records++;
	} while (stop_at > 0 ? wl_now() < stop_at : !peer_said_stop(fd));
	free(bad);
	return rc < 0 ? rc : send_record(fd, NULL, 0);
}

int net_stream_recv(int fd, const struct net_pattern *p, uint32_t size, unsigned char *buf,
		    double stop_at, bool corrupt, struct net_flow *f)
{
	bool stopped = stop_at <= 0;
	for (;;) {
		unsigned char lenbuf[4];
		int rc = net_recv_all(fd, lenbuf, 4);
		if (rc <= 0)
			return rc == 0 ? -EPROTO : rc;
		uint32_t len = get32(lenbuf);
		if (len == 0)
			return 0;
		if (len > size)
			return -EMSGSIZE;
		if ((rc = net_recv_all(fd, buf, len)) <= 0)
			return rc == 0 ? -EPROTO : rc;
		if (corrupt && f->records == 0)
			buf[len / 2] ^= 0x40;
		const unsigned char *want = net_pattern_at(p, f->bytes);
		if (memcmp(buf, want, len) != 0)
			for (uint32_t i = 0; i < len; i++)
				f->mismatched += buf[i] != want[i];
		f->bytes += len;
		f->records++;
		if (!stopped && wl_now() >= stop_at) {
			if ((rc = net_send_all(fd, "S", 1)) < 0)
				return rc;
			stopped = true;
		}
	}
}

int net_parse_addr(const char *s, bool port0_ok, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535 || (port == 0 && !port0_ok))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int net_client_addr(const struct wl_opts *o, struct sockaddr_in *sa)
{
	if (!o->server)
		wl_fail(o->name, "usage: --server ADDR:PORT is required (see hvc-workload --help)");
	else if (net_parse_addr(o->server, false, sa) < 0)
		wl_fail(o->name, "usage: bad --server \"%s\" (IPv4 ADDR:PORT, port 1..65535)",
			o->server);
	else
		return 0;
	return 2;
}

int net_connect(const struct sockaddr_in *sa, const struct net_hdr *h)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	unsigned char hdr[NET_HDR_LEN];
	net_hdr_encode(h, hdr);
	int rc = 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		rc = -errno;
	else
		rc = net_send_all(fd, hdr, sizeof(hdr));
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

uint64_t net_session_id(void)
{
	uint64_t id = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
			id = 0;
		close(fd);
	}
	if (!id) {
		uint64_t s = (uint64_t)(wl_now() * 1e9) ^ ((uint64_t)getpid() << 32);
		id = wl_mix64(&s);
	}
	return id;
}

int net_bye(const struct sockaddr_in *sa, uint64_t session, uint64_t *crr)
{
	struct net_hdr h = {.mode = NET_BYE, .session = session};
	int fd = net_connect(sa, &h);
	if (fd < 0)
		return fd;
	unsigned char buf[NET_TRAILER_LEN];
	struct net_trailer t;
	int rc = net_recv_all(fd, buf, sizeof(buf));
	close(fd);
	if (rc <= 0)
		return rc == 0 ? -EPROTO : rc;
	if (net_trailer_decode(buf, &t) < 0)
		return -EPROTO;
	*crr = t.count;
	return 0;
}

int net_lat_add(struct net_lat *l, double seconds)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		uint32_t *ns = realloc(l->ns, cap * sizeof(*ns));
		if (!ns)
			return -1;
		l->ns = ns;
		l->cap = cap;
	}
	double ns = seconds * 1e9;
	l->ns[l->n++] = ns >= 4294967295.0 ? UINT32_MAX : ns < 1 ? 1 : (uint32_t)ns;
	return 0;
}

int net_lat_append(struct net_lat *dst, const struct net_lat *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (net_lat_add(dst, src->ns[i] / 1e9) < 0)
			return -1;
	return 0;
}

void net_lat_free(struct net_lat *l)
{
	free(l->ns);
	*l = (struct net_lat){0};
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

double net_lat_percentile_us(const uint32_t *sorted, size_t n, double q)
{
	if (!n)
		return 0;
	size_t rank = (size_t)(q / 100.0 * (double)n + 0.999999999); /* nearest rank, 1-based */
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1] / 1e3;
}

void wl_result_net_latency(struct wl_result *r, struct net_lat *l)
{
	qsort(l->ns, l->n, sizeof(*l->ns), cmp_u32);
	double sum = 0;
	for (size_t i = 0; i < l->n; i++)
		sum += l->ns[i];
	wl_result_num_pos(r, "latency_min_us", net_lat_percentile_us(l->ns, l->n, 0));
	wl_result_num_pos(r, "latency_mean_us", l->n ? sum / (double)l->n / 1e3 : 0);
	wl_result_num_pos(r, "latency_p50_us", net_lat_percentile_us(l->ns, l->n, 50));
	wl_result_num_pos(r, "latency_p90_us", net_lat_percentile_us(l->ns, l->n, 90));
	wl_result_num_pos(r, "latency_p99_us", net_lat_percentile_us(l->ns, l->n, 99));
	wl_result_num_pos(r, "latency_max_us", net_lat_percentile_us(l->ns, l->n, 100));
}

/* The interface holding addr (or, with loopback, the loopback interface),
 * from getifaddrs. */
static bool find_interface(struct in_addr addr, bool loopback, char *name, size_t len)
{
	struct ifaddrs *ifa0;
	bool found = false;
	if (getifaddrs(&ifa0) < 0)
		return false;
	for (struct ifaddrs *ifa = ifa0; ifa && !found; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET)
			continue;
		const struct sockaddr_in *in = (const struct sockaddr_in *)ifa->ifa_addr;
		if (loopback ? (ifa->ifa_flags & IFF_LOOPBACK) != 0
			     : in->sin_addr.s_addr == addr.s_addr) {
			snprintf(name, len, "%s", ifa->ifa_name);
			found = true;
		}
	}
	freeifaddrs(ifa0);
	return found;
}

/* Is addr one of this namespace's own? Then the kernel routes it over lo. */
static bool is_local_address(struct in_addr addr)
{
	char name[IF_NAMESIZE + 1];
	return (ntohl(addr.s_addr) >> 24) == 127 || find_interface(addr, false, name, sizeof(name));
}

static void interface_driver(const char *ifname, char *out, size_t len)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	out[0] = '\0';
	if (fd >= 0 && ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		snprintf(out, len, "%s", info.driver);
	if (fd >= 0)
		close(fd);
}

void net_path_probe(int fd, struct net_path *p)
{
	struct sockaddr_in peer = {0}, local = {0};
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	memset(p, 0, sizeof(*p));
	if (getpeername(fd, (struct sockaddr *)&peer, &pl) == 0)
		inet_ntop(AF_INET, &peer.sin_addr, p->peer, sizeof(p->peer));
	if (getsockname(fd, (struct sockaddr *)&local, &ll) == 0)
		inet_ntop(AF_INET, &local.sin_addr, p->local, sizeof(p->local));
	bool loop = is_local_address(peer.sin_addr);
	if (!find_interface(local.sin_addr, loop, p->ifname, sizeof(p->ifname))) {
		snprintf(p->kind, sizeof(p->kind), "unknown");
		return;
	}
	interface_driver(p->ifname, p->driver, sizeof(p->driver));
	if (loop)
		snprintf(p->kind, sizeof(p->kind), "loopback");
	else if (!strcmp(p->driver, "virtio_net"))
		snprintf(p->kind, sizeof(p->kind), "virtio-net");
	else
		snprintf(p->kind, sizeof(p->kind), "%s", p->driver[0] ? p->driver : "unknown");
}

void wl_result_net_path(struct wl_result *r, const char *server, const struct net_path *p)
{
	wl_result_str(r, "server", server);
	wl_result_str(r, "peer_address", p->peer);
	wl_result_str(r, "local_address", p->local);
	wl_result_str(r, "interface", p->ifname);
	wl_result_str(r, "interface_driver", p->driver);
	wl_result_str(r, "path", p->kind);
}
