/* engine/net/net_addr: IPv4 addresses, subnets and -p port specifications
 * as text and back. Pure: no system state, unit-tested in test_network. */
#include "hvc/network.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int hvc_net_ip_parse(const char *s, uint32_t *addr)
{
	struct in_addr a;
	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

const char *hvc_net_ip_format(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		 addr & 255);
	return buf;
}

int hvc_net_cidr_parse(const char *s, uint32_t *net, unsigned *prefix, struct hvc_error *err)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return hvc_err(err, EINVAL, "subnet \"%s\": expected ADDRESS/PREFIX", s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	char *end;
	long p = strtol(slash + 1, &end, 10);
	uint32_t a;
	if (*end || end == slash + 1 || hvc_net_ip_parse(ip, &a) < 0)
		return hvc_err(err, EINVAL, "subnet \"%s\": expected ADDRESS/PREFIX", s);
	if (p < 8 || p > 30)
		return hvc_err(err, EINVAL, "subnet \"%s\": the prefix must be 8..30", s);
	uint32_t mask = ~0u << (32 - p);
	if (a & ~mask)
		return hvc_err(err, EINVAL, "subnet \"%s\": host bits are set", s);
	*net = a;
	*prefix = (unsigned)p;
	return 0;
}

const char *hvc_net_proto_name(enum hvc_net_proto p)
{
	return p == HVC_NET_UDP ? "udp" : "tcp";
}

static int port_number(const char *s, size_t len, uint16_t *out)
{
	if (len == 0 || len > 5)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Splits "[IP:]HOST:CTR" (proto already cut off) into its fields. */
static int port_fields(const char *s, struct hvc_net_port *p)
{
	const char *last = strrchr(s, ':');
	if (!last)
		return port_number(s, strlen(s), &p->port) < 0 ? -1 : (p->host_port = p->port, 0);
	if (port_number(last + 1, strlen(last + 1), &p->port) < 0)
		return -1;
	const char *first = memchr(s, ':', (size_t)(last - s));
	const char *hp = first ? first + 1 : s;
	if (port_number(hp, (size_t)(last - hp), &p->host_port) < 0)
		return -1;
	if (!first)
		return 0;
	char ip[32];
	if ((size_t)(first - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(first - s));
	ip[first - s] = '\0';
	return hvc_net_ip_parse(ip, &p->host_ip);
}

int hvc_net_port_parse(const char *s, struct hvc_net_port *p, struct hvc_error *err)
{
	memset(p, 0, sizeof(*p));
	char buf[96];
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return hvc_err(err, EINVAL, "-p \"%s\": too long", s);
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!strcmp(slash + 1, "udp"))
			p->proto = HVC_NET_UDP;
		else if (strcmp(slash + 1, "tcp"))
			return hvc_err(err, EINVAL, "-p \"%s\": the protocol must be tcp or udp",
				       s);
	}
	if (port_fields(buf, p) < 0)
		return hvc_err(err, EINVAL, "-p \"%s\": expected [IP:]HOSTPORT:CTRPORT[/tcp|udp]",
			       s);
	return 0;
}

const char *hvc_net_port_format(const struct hvc_net_port *p, char *buf, size_t len)
{
	char ip[16];
	snprintf(buf, len, "%s:%u->%u/%s",
		 p->host_ip ? hvc_net_ip_format(p->host_ip, ip) : "0.0.0.0", p->host_port, p->port,
		 hvc_net_proto_name(p->proto));
	return buf;
}
