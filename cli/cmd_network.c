/* hvc network ls|inspect|create|rm: bridge networks (engine/net/). */
#include "cli.h"
#include "format.h"
#include "hvc/network.h"
#include <getopt.h>
#include <string.h>

static const struct hvc_fmt_field net_fields[] = {
	{ "Name", "NAME" },	  { "ID", "ID" },	   { "Driver", "DRIVER" },
	{ "Bridge", "BRIDGE" }, { "Subnet", "SUBNET" }, { "Instances", "INSTANCES" },
	{ NULL, NULL },
};
#define NET_TABLE "table {{.Name}}\\t{{.Bridge}}\\t{{.Subnet}}\\t{{.Instances}}"

static json_object *net_row(const struct hvc_net *n)
{
	struct hvc_net_lease *l = NULL;
	size_t cnt = 0;
	hvc_net_lease_list(n->name, &l, &cnt, NULL);
	hvc_net_leases_free(l, cnt);
	char ip[16], cidr[24];
	snprintf(cidr, sizeof(cidr), "%s/%u", hvc_net_ip_format(n->subnet, ip), n->prefix);
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "Name", n->name);
	hvc_json_add_string(o, "ID", n->name); /* hvc's networks are known by name only */
	hvc_json_add_string(o, "Driver", "bridge");
	hvc_json_add_string(o, "Bridge", n->bridge);
	hvc_json_add_string(o, "Subnet", cidr);
	hvc_json_add_int(o, "Instances", (int64_t)cnt);
	return o;
}

static int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *format = NULL;
	bool quiet = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "qh", opts)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'F': format = optarg; hvc_cli_set_format(optarg); break;
		case 'h':
			printf("Usage: hvc network ls [-q] [--format FORMAT]\nList networks.\n\n"
			       "  -q, --quiet      only the names\n"
			       "      --format F   json, table [TEMPLATE], or a template such as '{{.Name}} {{.Subnet}}'\n"
			       "                   fields: Name ID Driver Bridge Subnet Instances\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("network ls", "no arguments expected");
	struct hvc_error err = {0};
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(quiet ? "{{.Name}}" : format, NET_TABLE, net_fields, &err);
	if (!fmt)
		return hvc_cli_fail("network ls", &err, HVC_EXIT_USAGE);
	struct hvc_net def;
	if (hvc_net_get(HVC_NET_DEFAULT, &def, &err) < 0) /* listed from the first ls on */
		return hvc_cli_fail("network ls", &err, HVC_EXIT_FAIL);
	_cleanup_free_ struct hvc_net *nets = NULL;
	size_t n = 0;
	if (hvc_net_list(&nets, &n, &err) < 0)
		return hvc_cli_fail("network ls", &err, HVC_EXIT_FAIL);
	_cleanup_json_ json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(rows, net_row(&nets[i]));
	hvc_fmt_print(fmt, rows, stdout);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	int r = hvc_cli_parse_none(argc, argv,
				   "Usage: hvc network inspect NETWORK...\nA network's definition and leases as JSON.\n");
	if (r >= 0)
		return r;
	if (argc < 2)
		return hvc_cli_usage_error("network inspect", "a network is required");
	_cleanup_json_ json_object *out = json_object_new_array();
	for (int i = 1; i < argc; i++) {
		struct hvc_error err = {0};
		struct hvc_net n;
		struct hvc_net_lease *l = NULL;
		size_t cnt = 0;
		if (hvc_net_get(argv[i], &n, &err) < 0 ||
		    hvc_net_lease_list(n.name, &l, &cnt, &err) < 0)
			return hvc_cli_fail("network inspect", &err, HVC_EXIT_FAIL);
		json_object *o = hvc_net_to_json(&n), *leases = json_object_new_array();
		for (size_t j = 0; j < cnt; j++)
			json_object_array_add(leases, hvc_net_lease_to_json(&l[j]));
		hvc_net_leases_free(l, cnt);
		json_object_object_add(o, "leases", leases);
		json_object_array_add(out, o);
	}
	printf("%s\n", hvc_json_pretty(out));
	return 0;
}

static int parse_mtu(const char *s, unsigned *mtu)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 65535)
		return -1;
	*mtu = (unsigned)v;
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"subnet", required_argument, NULL, 's'},
	    {"mtu", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *subnet = NULL;
	unsigned mtu = 0;
	int c;
	hvc_cli_getopt_reset();
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 's')
			subnet = optarg;
		else if (c == 'm') {
			if (parse_mtu(optarg, &mtu) < 0)
				return hvc_cli_usage_error("network create", "bad --mtu \"%s\"", optarg);
		}
		else if (c == 'h')
			return printf("Usage: hvc network create [--subnet CIDR] [--mtu BYTES] NAME\n"), 0;
		else
			return hvc_cli_bad_option(HVC_EXIT_USAGE);
	}
	if (optind != argc - 1)
		return hvc_cli_usage_error("network create", "one network name is required");
	struct hvc_error err = {0};
	struct hvc_net n;
	if (hvc_net_create(argv[optind], subnet, mtu, &n, &err) < 0)
		return hvc_cli_fail("network create", &err, HVC_EXIT_FAIL);
	printf("%s\n", n.name);
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	int r = hvc_cli_parse_none(argc, argv,
				   "Usage: hvc network rm NETWORK...\nRemove networks no instance is attached to.\n");
	if (r >= 0)
		return r;
	if (argc < 2)
		return hvc_cli_usage_error("network rm", "a network is required");
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct hvc_error err = {0};
		if (hvc_net_remove(argv[i], &err) < 0)
			rc = hvc_cli_fail("network rm", &err, HVC_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static const struct hvc_cli_cmd network_cmds[] = {
    {"ls", cmd_ls, "list networks"},
    {"inspect", cmd_inspect, "a network's definition and leases (JSON)"},
    {"create", cmd_create, "create a bridge network (--subnet CIDR, --mtu BYTES)"},
    {"rm", cmd_rm, "remove networks without attached instances"},
    {NULL, NULL, NULL},
};

int hvc_cmd_network(int argc, char **argv)
{
	return hvc_cli_dispatch("network", network_cmds, argc - 1, argv + 1);
}
