/* vmdriver/opts: what a VM run accepts — the limits and units of its knobs,
 * decided once here for every caller (`hvc vm run`'s options, benches) and
 * unit-tested, rather than in the CLI's option switch. Pure. */
#include "hvc/vm.h"
#include <stdio.h>
#include <string.h>

/* "256" means MiB; "256m", "1g" are sizes. */
static int parse_mib(const char *s, uint64_t *mib, struct hvc_error *err)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s && !*end) {
		*mib = v;
		return 0;
	}
	uint64_t bytes;
	if (hvc_parse_size(s, &bytes, err) < 0)
		return -1;
	*mib = bytes >> 20;
	return 0;
}

/* A decimal integer in [min, max]. */
static bool parse_range(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "52:54:00:12:34:56": six hex octets, unicast (multicast would not work as a NIC). */
static bool valid_mac(const char *s)
{
	unsigned v[6];
	char tail;
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &tail) != 6)
		return false;
	return !(v[0] & 1);
}

/* The network options: --network, --net-bridge, --ip, --gateway, --dns, --mac.
 * Returns 1 when name is not one of them. */
static int set_net(struct hvc_vm_opts *o, const char *name, const char *value,
		   struct hvc_error *err)
{
	struct hvc_vm_net *n = &o->net;
	if (!strcmp(name, "network")) {
		if (strcmp(value, "bridge") && strcmp(value, "none"))
			return hvc_err(err, 0, "bad --network \"%s\" (bridge or none)", value);
		o->network = strcmp(value, "bridge") ? HVC_VM_NET_NONE : HVC_VM_NET_BRIDGE;
	} else if (!strcmp(name, "net-bridge")) {
		if (!*value || strlen(value) >= sizeof(n->bridge))
			return hvc_err(err, 0, "bad --net-bridge \"%s\" (1-15 characters)", value);
		snprintf(n->bridge, sizeof(n->bridge), "%s", value);
	} else if (!strcmp(name, "ip")) {
		return hvc_vm_net_parse_cidr(value, n, err);
	} else if (!strcmp(name, "gateway") || !strcmp(name, "dns")) {
		bool gw = !strcmp(name, "gateway");
		size_t i = 0;
		while (!gw && i < HVC_VM_NET_MAX_DNS && n->dns[i][0])
			i++;
		if (!gw && i == HVC_VM_NET_MAX_DNS)
			return hvc_err(err, 0, "too many --dns (at most %d)", HVC_VM_NET_MAX_DNS);
		char *dst = gw ? n->gateway : n->dns[i];
		if (strlen(value) >= sizeof(n->gateway))
			return hvc_err(err, 0, "bad --%s \"%s\" (expected an IPv4 address)", name,
				       value);
		snprintf(dst, sizeof(n->gateway), "%s", value);
	} else if (!strcmp(name, "mac")) {
		if (!valid_mac(value))
			return hvc_err(err, 0, "bad --mac \"%s\" (six hex octets, unicast)", value);
		snprintf(n->mac, sizeof(n->mac), "%s", value);
	} else {
		return 1;
	}
	return 0;
}

int hvc_vm_opts_set(struct hvc_vm_opts *o, const char *name, const char *value,
		    struct hvc_error *err)
{
	int nrc = set_net(o, name, value, err);
	if (nrc <= 0)
		return nrc;
	struct hvc_error ig = {0};
	long v;
	if (!strcmp(name, "memory")) {
		if (parse_mib(value, &o->memory_mib, &ig) < 0 || o->memory_mib < 16)
			return hvc_err(err, 0, "bad memory size \"%s\" (at least 16 MiB)", value);
	} else if (!strcmp(name, "vcpus")) {
		if (!parse_range(value, 1, 256, &v))
			return hvc_err(err, 0, "bad --vcpus \"%s\"", value);
		o->vcpus = (unsigned)v;
	} else if (!strcmp(name, "data-disk")) {
		if (hvc_parse_size(value, &o->data_disk_bytes, &ig) < 0 ||
		    o->data_disk_bytes < (8u << 20))
			return hvc_err(err, 0, "bad --data-disk size \"%s\" (at least 8m)", value);
	} else if (!strcmp(name, "timeout")) {
		if (!parse_range(value, 1, 86400, &v))
			return hvc_err(err, 0, "bad --timeout \"%s\" (seconds)", value);
		o->timeout_s = (int)v;
	} else if (!strcmp(name, "compress")) {
		o->compress = hvc_vm_compress_parse(value);
		if (o->compress < 0)
			return hvc_err(err, 0, "bad --compress \"%s\" (gzip, zstd, lz4, none)",
				       value);
	} else {
		return hvc_err(err, 0, "unknown VM option \"%s\"", name);
	}
	return 0;
}

int hvc_vm_opts_check(const struct hvc_vm_opts *o, struct hvc_error *err)
{
	if (o->detach && o->rm)
		return hvc_err(err, 0, "--rm and -d do not go together");
	const struct hvc_vm_net *n = &o->net;
	bool any = n->bridge[0] || n->address[0] || n->gateway[0] || n->dns[0][0] || n->mac[0];
	if (o->network != HVC_VM_NET_BRIDGE)
		return any ? hvc_err(err, 0,
				     "--net-bridge, --ip, --gateway, --dns and --mac need "
				     "--network bridge")
			   : 0;
	/* without a provider (the network module's IPAM, net_provider.c) the
	 * low-level form must name the bridge and the address itself */
	if (!o->net_provider && (!n->bridge[0] || !n->address[0]))
		return hvc_err(err, 0,
			       "--network bridge needs --net-bridge NAME and --ip ADDR/PREFIX");
	return o->net_provider ? 0 : hvc_vm_net_check(n, err);
}
