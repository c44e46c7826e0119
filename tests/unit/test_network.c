/* tests/unit/test_network: the network module's pure parts — addresses,
 * -p parsing, the IPAM choice, the nftables table, hosts and resolv.conf
 * text (golden files in tests/data/net, REGENERATE=1 rewrites them, an
 * unused fixture fails) — and the lease store on a temporary $HVC_ROOT
 * (HVC_NET_NFT=off: nothing touches this host's nftables or links). */
#include "check_main.h"
#include "hvc/container.h"
#include "hvc/network.h"
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#define GOLDEN_DIR "tests/data/net"

static void golden(const char *name, const char *got)
{
	_cleanup_free_ char *path = hvc_strdup_printf("%s/%s", GOLDEN_DIR, name);
	hvc_check_golden(GOLDEN_DIR, path, got);
}

static const char *const fixtures[] = {"nft-none.nft", "nft-ports.nft", "hosts.txt", "resolv.txt",
				       NULL};

START_TEST(golden_fixtures_all_used)
{
	DIR *d = opendir(GOLDEN_DIR);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		bool used = false;
		for (size_t i = 0; fixtures[i] && !used; i++)
			used = !strcmp(fixtures[i], de->d_name);
		ck_assert_msg(used, "fixture %s/%s is not used by any test", GOLDEN_DIR,
			      de->d_name);
	}
	closedir(d);
}
END_TEST

START_TEST(addresses)
{
	uint32_t a, net;
	unsigned prefix;
	char buf[16];
	ck_assert_int_eq(hvc_net_ip_parse("10.88.0.2", &a), 0);
	ck_assert_uint_eq(a, 0x0a580002);
	ck_assert_str_eq(hvc_net_ip_format(a, buf), "10.88.0.2");
	ck_assert_int_lt(hvc_net_ip_parse("10.88.0", &a), 0);
	ck_assert_int_eq(hvc_net_cidr_parse("10.88.0.0/16", &net, &prefix, NULL), 0);
	ck_assert_uint_eq(net, 0x0a580000);
	ck_assert_uint_eq(prefix, 16);
	ck_assert_int_lt(hvc_net_cidr_parse("10.88.0.1/16", &net, &prefix, NULL),
			 0); /* host bits */
	ck_assert_int_lt(hvc_net_cidr_parse("10.88.0.0/31", &net, &prefix, NULL), 0);
	ck_assert_int_lt(hvc_net_cidr_parse("10.88.0.0", &net, &prefix, NULL), 0);
	ck_assert_int_lt(hvc_net_cidr_parse("10.88.0.0/x", &net, &prefix, NULL), 0);
}
END_TEST

static const struct {
	const char *in;
	int ok;
	uint32_t ip;
	uint16_t host, ctr;
	enum hvc_net_proto proto;
} port_cases[] = {
    {"8080:80", 1, 0, 8080, 80, HVC_NET_TCP},
    {"127.0.0.1:8080:80", 1, 0x7f000001, 8080, 80, HVC_NET_TCP},
    {"127.0.0.1:53:53/udp", 1, 0x7f000001, 53, 53, HVC_NET_UDP},
    {"80", 1, 0, 80, 80, HVC_NET_TCP},
    {"9000:90/tcp", 1, 0, 9000, 90, HVC_NET_TCP},
    {"8080:80/sctp", 0, 0, 0, 0, 0},
    {"0:80", 0, 0, 0, 0, 0},
    {"70000:80", 0, 0, 0, 0, 0},
    {"a:80", 0, 0, 0, 0, 0},
    {"1.2.3:8080:80", 0, 0, 0, 0, 0},
    {":80", 0, 0, 0, 0, 0},
    {"8080:", 0, 0, 0, 0, 0},
    {"", 0, 0, 0, 0, 0},
};

START_TEST(port_parse)
{
	const __typeof__(port_cases[0]) *c = &port_cases[_i];
	struct hvc_net_port p;
	struct hvc_error err = {0};
	int r = hvc_net_port_parse(c->in, &p, &err);
	ck_assert_msg((r == 0) == c->ok, "\"%s\": got %d (%s)", c->in, r, err.msg);
	if (!c->ok) {
		ck_assert_msg(strstr(err.msg, "-p"), "message names -p: %s", err.msg);
		return;
	}
	ck_assert_uint_eq(p.host_ip, c->ip);
	ck_assert_uint_eq(p.host_port, c->host);
	ck_assert_uint_eq(p.port, c->ctr);
	ck_assert_int_eq(p.proto, c->proto);
}
END_TEST

static struct hvc_net make_net(const char *name, const char *cidr)
{
	struct hvc_net n;
	uint32_t a;
	unsigned p;
	ck_assert_int_eq(hvc_net_cidr_parse(cidr, &a, &p, NULL), 0);
	ck_assert_int_eq(hvc_net_def_make(name, a, p, &n, NULL), 0);
	return n;
}

START_TEST(ipam_pick)
{
	struct hvc_net n = make_net("t", "10.1.0.0/29"); /* .1 gateway, .2-.6 free, .7 broadcast */
	uint32_t a, used[8];
	ck_assert_int_eq(hvc_net_ipam_pick(&n, NULL, 0, &a), 0);
	ck_assert_uint_eq(a, 0x0a010002);
	used[0] = 0x0a010002, used[1] = 0x0a010004;
	ck_assert_int_eq(hvc_net_ipam_pick(&n, used, 2, &a), 0);
	ck_assert_uint_eq(a, 0x0a010003);
	for (unsigned i = 0; i < 5; i++)
		used[i] = 0x0a010002 + i;
	ck_assert_int_lt(hvc_net_ipam_pick(&n, used, 5, &a), 0); /* full: never the broadcast */
}
END_TEST

START_TEST(def_names)
{
	struct hvc_net n;
	ck_assert_int_eq(hvc_net_def_make("hvc0", 0x0a580000, 16, &n, NULL), 0);
	ck_assert_str_eq(n.bridge, "hvc0");
	ck_assert_uint_eq(n.gateway, 0x0a580001);
	ck_assert_int_eq(hvc_net_def_make("front", 0x0a4d0000, 24, &n, NULL), 0);
	ck_assert_str_eq(n.bridge, "hvc-front");
	struct hvc_net_lease l = {.addr = 0x0a4d0005, .owner = "0123456789abcdef"};
	struct hvc_net_attach_plan p;
	hvc_net_attach_plan(&n, &l, &p);
	ck_assert_str_eq(p.host_if, "vh0123456789");
	ck_assert_str_eq(p.peer_if, "eth0");
	ck_assert_str_eq(p.bridge, "hvc-front");
	ck_assert_uint_eq(p.gateway, 0x0a4d0001);
	ck_assert_uint_eq(p.prefix, 24);
	ck_assert_int_lt(hvc_net_def_make("waytoolongname", 0x0a4d0000, 24, &n, NULL), 0);
	ck_assert_int_lt(hvc_net_def_make("a/b", 0x0a4d0000, 24, &n, NULL), 0);
}
END_TEST

static struct hvc_net_port ports_web[] = {
    {.host_ip = 0x7f000001, .host_port = 8080, .port = 80, .proto = HVC_NET_TCP},
    {.host_ip = 0, .host_port = 5353, .port = 53, .proto = HVC_NET_UDP},
};

START_TEST(render_golden)
{
	struct hvc_net nets[2] = {make_net("front", "10.89.0.0/24"),
				  make_net("hvc0", "10.88.0.0/16")};
	struct hvc_net_lease leases[2] = {
	    {.net = "hvc0",
	     .addr = 0x0a580002,
	     .owner = "aaaaaaaaaaaaaaaa",
	     .name = "web",
	     .hostname = "aaaaaaaaaaaa",
	     .ports = ports_web,
	     .n_ports = 2},
	    {.net = "hvc0",
	     .addr = 0x0a580003,
	     .owner = "bbbbbbbbbbbbbbbb",
	     .name = "db",
	     .hostname = "db"},
	};
	_cleanup_free_ char *none = hvc_net_nft_render(nets, 2, NULL, 0);
	golden("nft-none.nft", none);
	_cleanup_free_ char *ports = hvc_net_nft_render(nets, 2, leases, 2);
	golden("nft-ports.nft", ports);
	_cleanup_free_ char *hosts = hvc_net_hosts_render(leases, 2);
	golden("hosts.txt", hosts);
	_cleanup_free_ char *resolv =
	    hvc_net_resolv_render("# comment\nnameserver 127.0.0.53\nnameserver "
				  "10.0.0.2\nnameserver ::1\nsearch example.test\n");
	golden("resolv.txt", resolv);
}
END_TEST

START_TEST(lease_json_roundtrip)
{
	struct hvc_net_lease l = {.net = "hvc0",
				  .addr = 0x0a580002,
				  .kind = "vm",
				  .owner = "o1",
				  .name = "n1",
				  .holder = 42,
				  .holder_start = 7,
				  .ports = ports_web,
				  .n_ports = 2};
	_cleanup_json_ json_object *o = hvc_net_lease_to_json(&l);
	struct hvc_net_lease back;
	ck_assert_int_eq(hvc_net_lease_from_json(o, &back, NULL), 0);
	ck_assert_str_eq(back.kind, "vm");
	ck_assert_uint_eq(back.addr, l.addr);
	ck_assert_int_eq(back.holder, 42);
	ck_assert_uint_eq(back.n_ports, 2);
	ck_assert_uint_eq(back.ports[0].host_ip, 0x7f000001);
	ck_assert_int_eq(back.ports[1].proto, HVC_NET_UDP);
	hvc_net_lease_clear(&back);
}
END_TEST

static char *temp_root(void)
{
	char tmpl[] = "/tmp/hvc-test-net.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	hvc_set_root(tmpl);
	setenv("HVC_NET_NFT", "off", 1);
	return hvc_xstrdup(tmpl);
}

static size_t count_leases(const char *net)
{
	struct hvc_net_lease *l = NULL;
	size_t n = 0;
	ck_assert_int_eq(hvc_net_lease_list(net, &l, &n, NULL), 0);
	hvc_net_leases_free(l, n);
	return n;
}

START_TEST(ipam_store)
{
	_cleanup_free_ char *root = temp_root();
	struct hvc_error err = {0};
	struct hvc_net n;
	ck_assert_int_eq(hvc_net_get("bridge", &n, &err), 0); /* hvc0, persisted */
	ck_assert_str_eq(n.name, "hvc0");
	struct hvc_net_lease a = {.kind = "container", .owner = "A", .name = "a"};
	struct hvc_net_lease b = {.kind = "container", .owner = "B", .name = "b"};
	struct hvc_net_lease c = {.kind = "vm", .owner = "C", .name = "c"};
	ck_assert_int_eq(hvc_net_lease_alloc(&n, &a, &err), 0);
	ck_assert_int_eq(hvc_net_lease_alloc(&n, &b, &err), 0);
	ck_assert_uint_eq(a.addr, 0x0a580002);
	ck_assert_uint_eq(b.addr, 0x0a580003);
	_cleanup_free_ char *hosts_path = hvc_net_hosts_path("hvc0");
	_cleanup_free_ char *hosts = NULL;
	ck_assert_int_eq(hvc_read_file(hosts_path, &hosts, NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(hosts, "10.88.0.3\tb\n"));
	/* a released address is the next one handed out; not someone else's */
	ck_assert_int_eq(hvc_net_lease_release("hvc0", a.addr, "not-A", &err), 0);
	ck_assert_uint_eq(count_leases("hvc0"), 2);
	ck_assert_int_eq(hvc_net_lease_release("hvc0", a.addr, "A", &err), 0);
	ck_assert_int_eq(hvc_net_lease_alloc(&n, &c, &err), 0);
	ck_assert_uint_eq(c.addr, 0x0a580002);
	struct hvc_net_lease found;
	ck_assert_int_eq(hvc_net_lease_find("C", &found, &err), 1);
	ck_assert_str_eq(found.kind, "vm");
	hvc_net_lease_clear(&found);
	ck_assert_int_eq(hvc_net_lease_find("A", &found, &err), 0);
	hvc_rm_rf(root, NULL);
}
END_TEST

/* Allocation under the lock: concurrent processes never share an address. */
START_TEST(ipam_concurrent)
{
	_cleanup_free_ char *root = temp_root();
	struct hvc_net n;
	ck_assert_int_eq(hvc_net_get(HVC_NET_DEFAULT, &n, NULL), 0);
	enum { K = 8 };
	for (int i = 0; i < K; i++) {
		pid_t p = fork();
		if (p == 0) {
			struct hvc_net_lease l = {.kind = "container"};
			snprintf(l.owner, sizeof(l.owner), "owner%d", i);
			snprintf(l.name, sizeof(l.name), "n%d", i);
			_exit(hvc_net_lease_alloc(&n, &l, NULL) == 0 ? 0 : 1);
		}
	}
	int st, bad = 0;
	while (wait(&st) > 0)
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	ck_assert_int_eq(bad, 0);
	struct hvc_net_lease *l = NULL;
	size_t cnt = 0;
	ck_assert_int_eq(hvc_net_lease_list("hvc0", &l, &cnt, NULL), 0);
	ck_assert_uint_eq(cnt, K);
	for (size_t i = 0; i < cnt; i++)
		for (size_t j = i + 1; j < cnt; j++)
			ck_assert_uint_ne(l[i].addr, l[j].addr);
	hvc_net_leases_free(l, cnt);
	hvc_rm_rf(root, NULL);
}
END_TEST

START_TEST(user_networks)
{
	_cleanup_free_ char *root = temp_root();
	struct hvc_error err = {0};
	struct hvc_net a, b, c;
	ck_assert_int_eq(hvc_net_create("front", NULL, 0, &a, &err), 0);
	char ip[16];
	ck_assert_str_eq(hvc_net_ip_format(a.subnet, ip), "10.89.0.0");
	ck_assert_int_eq(hvc_net_create("back", NULL, 9000, &b, &err), 0);
	ck_assert_str_eq(hvc_net_ip_format(b.subnet, ip), "10.89.1.0");
	ck_assert_int_lt(hvc_net_create("front", "10.90.0.0/24", 0, &c, &err), 0);
	ck_assert_int_lt(hvc_net_create("over", "10.88.5.0/24", 0, &c, &err), 0); /* inside hvc0 */
	ck_assert_int_lt(hvc_net_create("host", NULL, 0, &c, &err), 0);
	ck_assert_int_lt(hvc_net_create("tiny", NULL, 100, &c, &err), 0); /* MTU below 576 */
	/* the MTU persists in network.json; 0 is not written (the kernel's) */
	ck_assert_int_eq(hvc_net_get("back", &c, &err), 0);
	ck_assert_uint_eq(c.mtu, 9000);
	ck_assert_int_eq(hvc_net_get("front", &c, &err), 0);
	ck_assert_uint_eq(c.mtu, 0);
	struct hvc_net *nets = NULL;
	size_t n = 0;
	ck_assert_int_eq(hvc_net_list(&nets, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	free(nets);
	hvc_rm_rf(root, NULL);
}
END_TEST

START_TEST(ctr_network_options)
{
	struct hvc_ctr_spec s;
	struct hvc_error err = {0};
	hvc_ctr_spec_init(&s);
	ck_assert_int_eq(s.net, HVC_CTR_NET_NONE);
	ck_assert_int_eq(hvc_ctr_opt_network(&s, "bridge", &err), 0);
	ck_assert_int_eq(s.net, HVC_CTR_NET_BRIDGE);
	ck_assert_str_eq(s.network, "hvc0");
	ck_assert_int_eq(hvc_ctr_opt_network(&s, "container:web", &err), 0);
	ck_assert_int_eq(s.net, HVC_CTR_NET_CONTAINER);
	ck_assert_int_lt(hvc_ctr_opt_network(&s, "no/such", &err), 0);
	ck_assert_int_eq(hvc_ctr_opt_network(&s, "front", &err), 0);
	ck_assert_int_eq(hvc_ctr_opt_publish(&s, "127.0.0.1:8080:80", &err), 0);
	ck_assert_int_lt(hvc_ctr_opt_publish(&s, "8080:81", &err), 0); /* host port taken */
	ck_assert_int_eq(hvc_ctr_opt_publish(&s, "8080:81/udp", &err), 0);
	_cleanup_json_ json_object *o = hvc_ctr_spec_to_json(&s);
	struct hvc_ctr_spec back;
	ck_assert_int_eq(hvc_ctr_spec_from_json(o, &back, &err), 0);
	ck_assert_int_eq(back.net, HVC_CTR_NET_BRIDGE);
	ck_assert_str_eq(back.network, "front");
	ck_assert_uint_eq(back.n_ports, 2);
	ck_assert_uint_eq(back.ports[0].host_ip, 0x7f000001);
	ck_assert_int_eq(back.ports[1].proto, HVC_NET_UDP);
	hvc_ctr_spec_free(&back);
	hvc_ctr_spec_free(&s);
}
END_TEST

START_TEST(exposed_ports)
{
	_cleanup_json_ json_object *cfg = NULL;
	const char *doc = "{\"config\":{\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}}}}";
	ck_assert_int_eq(hvc_json_parse(doc, strlen(doc), "test", &cfg, NULL), 0);
	struct hvc_net_port *p = NULL;
	size_t n = 0;
	ck_assert_int_eq(hvc_ctr_exposed_ports_parse(cfg, &p, &n, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(p[0].port, 80);
	ck_assert_int_eq(p[0].proto, HVC_NET_TCP);
	ck_assert_uint_eq(p[0].host_port, 0);
	ck_assert_uint_eq(p[1].port, 53);
	ck_assert_int_eq(p[1].proto, HVC_NET_UDP);
	free(p);
	_cleanup_json_ json_object *none = json_object_new_object();
	ck_assert_int_eq(hvc_ctr_exposed_ports_parse(none, &p, &n, NULL), 0);
	ck_assert_uint_eq(n, 0);
	_cleanup_json_ json_object *bad = NULL;
	const char *baddoc = "{\"config\":{\"ExposedPorts\":{\"80/sctp\":{}}}}";
	ck_assert_int_eq(hvc_json_parse(baddoc, strlen(baddoc), "test", &bad, NULL), 0);
	struct hvc_error err = {0};
	ck_assert_int_lt(hvc_ctr_exposed_ports_parse(bad, &p, &n, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "EXPOSE"));
	free(p);
}
END_TEST

/* The background attachment fails where it starts, before any thread or
 * namespace exists, when the bridge is not there (no root needed: the
 * lookup is an ioctl); the error names the bridge. */
START_TEST(attach_start_missing_bridge)
{
	struct hvc_net_attach_plan p = {.prefix = 16, .addr = 0x0a580002, .gateway = 0x0a580001};
	snprintf(p.bridge, sizeof(p.bridge), "hvcnosuchbr0");
	snprintf(p.host_if, sizeof(p.host_if), "vhtest");
	snprintf(p.peer_if, sizeof(p.peer_if), "eth0");
	struct hvc_error err = {0};
	ck_assert_ptr_null(hvc_net_attach_start(p.bridge, &err));
	ck_assert_msg(strstr(err.msg, "hvcnosuchbr0") != NULL, "%s", err.msg);
	hvc_error_clear(&err);
	ck_assert_int_eq(hvc_net_attach_veth_new_ns(&p, &err), -1);
	ck_assert_msg(strstr(err.msg, "hvcnosuchbr0") != NULL, "%s", err.msg);
}
END_TEST

static Suite *network_suite(void)
{
	Suite *s = suite_create("network");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, addresses);
	tcase_add_loop_test(tc, port_parse, 0, sizeof(port_cases) / sizeof(port_cases[0]));
	tcase_add_test(tc, ipam_pick);
	tcase_add_test(tc, def_names);
	tcase_add_test(tc, render_golden);
	tcase_add_test(tc, golden_fixtures_all_used);
	tcase_add_test(tc, lease_json_roundtrip);
	tcase_add_test(tc, ipam_store);
	tcase_add_test(tc, ipam_concurrent);
	tcase_add_test(tc, user_networks);
	tcase_add_test(tc, ctr_network_options);
	tcase_add_test(tc, exposed_ports);
	tcase_add_test(tc, attach_start_missing_bridge);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(network_suite)
