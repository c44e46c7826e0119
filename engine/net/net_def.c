/* engine/net/net_def: network definitions — a name, its bridge and subnet —
 * stored as networks/<name>/network.json. The default network hvc0 is
 * written on first use, so its subnet stays the same for the life of
 * $HVC_ROOT; user networks come from `hvc network create`. */
#include "net_internal.h"
#include <dirent.h>
#include <string.h>
#include <unistd.h>

static bool name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > HVC_NET_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(name[i] == '-' || name[i] == '_' || (name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z')))
			return false;
	return true;
}

int hvc_net_def_make(const char *name, uint32_t subnet, unsigned prefix, struct hvc_net *n,
		     struct hvc_error *err)
{
	memset(n, 0, sizeof(*n));
	if (!name_valid(name))
		return hvc_err(err, EINVAL, "network name \"%s\": use up to %d of [a-zA-Z0-9_-]",
			       name, HVC_NET_NAME_MAX);
	snprintf(n->name, sizeof(n->name), "%s", name);
	/* the default network's bridge is its name; a user network's is
	 * prefixed, so no user name can take over another device */
	if (!strcmp(name, HVC_NET_DEFAULT))
		snprintf(n->bridge, sizeof(n->bridge), "%s", name);
	else
		snprintf(n->bridge, sizeof(n->bridge), "hvc-%s", name);
	n->subnet = subnet;
	n->prefix = prefix;
	n->gateway = subnet + 1;
	return 0;
}

json_object *hvc_net_to_json(const struct hvc_net *n)
{
	json_object *o = json_object_new_object();
	char ip[16], cidr[24];
	snprintf(cidr, sizeof(cidr), "%s/%u", hvc_net_ip_format(n->subnet, ip), n->prefix);
	hvc_json_add_string(o, "name", n->name);
	hvc_json_add_string(o, "driver", "bridge");
	hvc_json_add_string(o, "bridge", n->bridge);
	hvc_json_add_string(o, "subnet", cidr);
	hvc_json_add_string(o, "gateway", hvc_net_ip_format(n->gateway, ip));
	if (n->mtu)
		hvc_json_add_int(o, "mtu", n->mtu);
	return o;
}

int hvc_net_def_read(const char *name, struct hvc_net *n, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_net_dir(name);
	_cleanup_free_ char *p = hvc_path_join(dir, "network.json");
	if (!hvc_path_exists(p))
		return hvc_err(err, ENOENT, "network \"%s\" not found", name);
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_read_file(p, &o, err) < 0)
		return -1;
	const char *subnet = hvc_json_get_string(o, "subnet");
	uint32_t net;
	unsigned prefix;
	if (!subnet || hvc_net_cidr_parse(subnet, &net, &prefix, err) < 0)
		return hvc_err(err, EINVAL, "`%s`: no valid subnet", p);
	if (hvc_net_def_make(name, net, prefix, n, err) < 0)
		return -1;
	n->mtu = (unsigned)hvc_json_get_int(o, "mtu", 0);
	return 0;
}

static int def_write(const struct hvc_net *n, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_net_dir(n->name);
	_cleanup_free_ char *leases = hvc_path_join(dir, "leases");
	if (hvc_mkdir_p(leases, 0755, err) < 0)
		return -1;
	_cleanup_free_ char *p = hvc_path_join(dir, "network.json");
	_cleanup_json_ json_object *o = hvc_net_to_json(n);
	return hvc_json_write_file_atomic(p, o, err);
}

int hvc_net_get(const char *name, struct hvc_net *n, struct hvc_error *err)
{
	if (!strcmp(name, "bridge"))
		name = HVC_NET_DEFAULT;
	struct hvc_error e = {0};
	if (hvc_net_def_read(name, n, &e) == 0)
		return 0;
	if (strcmp(name, HVC_NET_DEFAULT) || e.code != ENOENT) {
		*err = e;
		return -1;
	}
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	if (hvc_net_def_read(name, n, &e) == 0)
		return 0; /* another process made it first */
	uint32_t net;
	unsigned prefix;
	if (hvc_net_cidr_parse(HVC_NET_DEFAULT_SUBNET, &net, &prefix, err) < 0 ||
	    hvc_net_def_make(name, net, prefix, n, err) < 0)
		return -1;
	return def_write(n, err);
}

int hvc_net_list(struct hvc_net **out, size_t *count, struct hvc_error *err)
{
	*out = NULL;
	*count = 0;
	_cleanup_free_ char *root = hvc_net_root();
	DIR *d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "open `%s`", root);
	struct dirent *de;
	while ((de = readdir(d))) {
		struct hvc_net n;
		if (de->d_name[0] == '.' || hvc_net_def_read(de->d_name, &n, NULL) < 0)
			continue;
		*out = hvc_xrealloc(*out, *count + 1, sizeof(**out));
		(*out)[(*count)++] = n;
	}
	closedir(d);
	return 0;
}

static bool overlaps(const struct hvc_net *a, uint32_t net, unsigned prefix)
{
	unsigned p = a->prefix < prefix ? a->prefix : prefix;
	uint32_t mask = ~0u << (32 - p);
	return (a->subnet & mask) == (net & mask);
}

/* The first 10.89.N.0/24 no network uses. */
static int free_subnet(const struct hvc_net *nets, size_t n, uint32_t *net, struct hvc_error *err)
{
	for (uint32_t k = 0; k < 256; k++) {
		uint32_t cand = (10u << 24) | (89u << 16) | (k << 8);
		bool used = false;
		for (size_t i = 0; i < n && !used; i++)
			used = overlaps(&nets[i], cand, 24);
		if (!used) {
			*net = cand;
			return 0;
		}
	}
	return hvc_err(err, ENOSPC, "no free subnet in 10.89.0.0/16: give --subnet");
}

static int check_new(const char *name, const struct hvc_net *nets, size_t n, uint32_t net,
		     unsigned prefix, struct hvc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(nets[i].name, name))
			return hvc_err(err, EEXIST, "network \"%s\" already exists", name);
		if (overlaps(&nets[i], net, prefix))
			return hvc_err(err, EEXIST, "the subnet overlaps network \"%s\"",
				       nets[i].name);
	}
	return 0;
}

int hvc_net_create(const char *name, const char *subnet, unsigned mtu, struct hvc_net *n,
		   struct hvc_error *err)
{
	struct hvc_net def;
	if (mtu && (mtu < 576 || mtu > 65535))
		return hvc_err(err, EINVAL, "--mtu %u: expected 576..65535", mtu);
	if (hvc_net_get(HVC_NET_DEFAULT, &def, err) < 0) /* so user subnets avoid it */
		return -1;
	if (!strcmp(name, "bridge") || !strcmp(name, "none") || !strcmp(name, "host"))
		return hvc_err(err, EINVAL, "network name \"%s\" is reserved", name);
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	_cleanup_free_ struct hvc_net *nets = NULL;
	size_t cnt = 0;
	if (hvc_net_list(&nets, &cnt, err) < 0)
		return -1;
	uint32_t net;
	unsigned prefix = 24;
	if (subnet ? hvc_net_cidr_parse(subnet, &net, &prefix, err)
		   : free_subnet(nets, cnt, &net, err))
		return -1;
	if (check_new(name, nets, cnt, net, prefix, err) < 0 ||
	    hvc_net_def_make(name, net, prefix, n, err) < 0)
		return -1;
	n->mtu = mtu;
	return def_write(n, err);
}
