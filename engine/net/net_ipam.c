/* engine/net/net_ipam: address leases as data and files. One file per
 * lease, networks/<net>/leases/<address>.json, renamed into place (a crash
 * leaves no lease or a whole one); a lease whose holder process died is
 * dropped by prune (net_prune.c). The address choice is pure
 * (hvc_net_ipam_pick) and unit-tested; allocating and releasing, which also
 * sync the network, are in net_lease_ops.c. */
#include "net_internal.h"
#include <dirent.h>
#include <string.h>
#include <unistd.h>

void hvc_net_lease_clear(struct hvc_net_lease *l)
{
	free(l->ports);
	l->ports = NULL;
	l->n_ports = 0;
}

void hvc_net_leases_free(struct hvc_net_lease *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hvc_net_lease_clear(&l[i]);
	free(l);
}

int hvc_net_ipam_pick(const struct hvc_net *n, const uint32_t *used, size_t n_used, uint32_t *addr)
{
	uint32_t last = n->subnet | ~(~0u << (32 - n->prefix)); /* broadcast */
	for (uint32_t a = n->subnet + 1; a < last; a++) {
		bool taken = a == n->gateway;
		for (size_t i = 0; i < n_used && !taken; i++)
			taken = used[i] == a;
		if (!taken) {
			*addr = a;
			return 0;
		}
	}
	return -1;
}

static json_object *port_to_json(const struct hvc_net_port *p)
{
	json_object *o = json_object_new_object();
	char ip[16];
	hvc_json_add_string(o, "host_ip", hvc_net_ip_format(p->host_ip, ip));
	hvc_json_add_int(o, "host_port", p->host_port);
	hvc_json_add_int(o, "port", p->port);
	hvc_json_add_string(o, "proto", hvc_net_proto_name(p->proto));
	return o;
}

json_object *hvc_net_lease_to_json(const struct hvc_net_lease *l)
{
	json_object *o = json_object_new_object();
	char ip[16];
	hvc_json_add_string(o, "network", l->net);
	hvc_json_add_string(o, "address", hvc_net_ip_format(l->addr, ip));
	hvc_json_add_string(o, "kind", l->kind);
	hvc_json_add_string(o, "owner", l->owner);
	hvc_json_add_string(o, "name", l->name);
	hvc_json_add_string(o, "hostname", l->hostname);
	hvc_json_add_int(o, "holder_pid", l->holder);
	hvc_json_add_int(o, "holder_start", (int64_t)l->holder_start);
	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < l->n_ports; i++)
		json_object_array_add(ports, port_to_json(&l->ports[i]));
	json_object_object_add(o, "ports", ports);
	return o;
}

static void copy_str(char *dst, size_t len, json_object *o, const char *key)
{
	const char *s = hvc_json_get_string(o, key);
	snprintf(dst, len, "%s", s ? s : "");
}

static int ports_from_json(json_object *arr, struct hvc_net_lease *l, struct hvc_error *err)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	l->ports = n ? hvc_xcalloc(n, sizeof(*l->ports)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		struct hvc_net_port *q = &l->ports[l->n_ports++];
		const char *proto = hvc_json_get_string(p, "proto");
		q->proto = proto && !strcmp(proto, "udp") ? HVC_NET_UDP : HVC_NET_TCP;
		q->host_port = (uint16_t)hvc_json_get_int(p, "host_port", 0);
		q->port = (uint16_t)hvc_json_get_int(p, "port", 0);
		if (hvc_net_ip_parse(hvc_json_get_string(p, "host_ip"), &q->host_ip) < 0)
			return hvc_err(err, EINVAL, "lease: bad host_ip");
	}
	return 0;
}

int hvc_net_lease_from_json(json_object *o, struct hvc_net_lease *l, struct hvc_error *err)
{
	memset(l, 0, sizeof(*l));
	copy_str(l->net, sizeof(l->net), o, "network");
	copy_str(l->kind, sizeof(l->kind), o, "kind");
	copy_str(l->owner, sizeof(l->owner), o, "owner");
	copy_str(l->name, sizeof(l->name), o, "name");
	copy_str(l->hostname, sizeof(l->hostname), o, "hostname");
	l->holder = (pid_t)hvc_json_get_int(o, "holder_pid", 0);
	l->holder_start = (uint64_t)hvc_json_get_int(o, "holder_start", 0);
	if (hvc_net_ip_parse(hvc_json_get_string(o, "address"), &l->addr) < 0)
		return hvc_err(err, EINVAL, "lease: bad address");
	if (ports_from_json(hvc_json_get(o, "ports"), l, err) < 0) {
		hvc_net_lease_clear(l);
		return -1;
	}
	return 0;
}

char *hvc_net_lease_path(const char *net, uint32_t addr)
{
	char ip[16];
	return hvc_strdup_printf("%s/networks/%s/leases/%s.json", hvc_root(), net,
				 hvc_net_ip_format(addr, ip));
}

int hvc_net_lease_read(const char *path, struct hvc_net_lease *l, struct hvc_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_read_file(path, &o, err) < 0)
		return -1;
	return hvc_net_lease_from_json(o, l, err);
}

int hvc_net_lease_list(const char *net, struct hvc_net_lease **out, size_t *count,
		       struct hvc_error *err)
{
	*out = NULL;
	*count = 0;
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/networks/%s/leases", hvc_root(), net);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "open `%s`", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !hvc_str_has_suffix(de->d_name, ".json"))
			continue; /* (.tmp files of an interrupted write) */
		_cleanup_free_ char *p = hvc_path_join(dir, de->d_name);
		struct hvc_net_lease l;
		if (hvc_net_lease_read(p, &l, NULL) < 0)
			continue;
		*out = hvc_xrealloc(*out, *count + 1, sizeof(**out));
		(*out)[(*count)++] = l;
	}
	closedir(d);
	return 0;
}

/* Renamed into place, never half written; not fsynced: a lease names a
 * live process, and after a crash of the host every holder is gone, so a
 * lease lost with the page cache is exactly as right as one kept (prune
 * would drop it). Two fsyncs were 1.5 ms of every start on a bridge. */
int hvc_net_lease_write(const struct hvc_net_lease *l, struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_net_lease_path(l->net, l->addr);
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp.%d", p, (int)getpid());
	_cleanup_json_ json_object *o = hvc_net_lease_to_json(l);
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	if (hvc_write_file(tmp, txt, strlen(txt), 0644, err) < 0)
		return -1;
	if (rename(tmp, p) < 0) {
		unlink(tmp);
		return hvc_err(err, errno, "rename `%s`", tmp);
	}
	return 0;
}
