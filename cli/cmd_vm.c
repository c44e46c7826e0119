/* cli/cmd_vm: `hvc vm` — run an image as a VM and manage the VMs (argument
 * parsing and printing only; the work, and what the options accept
 * (vmdriver/opts.c), is in vmdriver/). */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "format.h"
#include "hvc/container.h"
#include "hvc/network.h"
#include "hvc/trace.h"
#include "hvc/vm.h"

static volatile int cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

static void out_stdout(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: hvc vm run [OPTIONS] IMAGE [CMD...]\n"
		"Boot IMAGE as a VM (libvirt), run its command (or CMD), stream the output, exit with its status.\n\n"
		"  --rm               delete the VM's state when it ends\n"
		"  -d, --detach       return once the VM is READY, leave it running\n"
		"  --name NAME        VM name (default hvc-<id>)\n"
		"  -m, --memory SIZE  guest memory (default 256 MiB; a bare number is MiB)\n"
		"  --vcpus N          virtual CPUs (default 1)\n"
		"  --cpuset LIST      pin the vCPUs to host CPUs (\"0-1\")\n"
		"  --kernel PATH      guest kernel (default $HVC_KERNEL or the newest /boot/vmlinuz-*)\n"
		"  --disk             boot from an ext4 disk built from the image, not an initramfs\n"
		"  --data-disk SIZE   attach an empty ext4 data disk, mounted on /data\n"
		"  -e, --env K=V      set an environment variable (repeatable)\n"
		"  -w, --workdir DIR  working directory of the command\n"
		"  --machine TYPE     pc (default) or q35\n"
		"  --compress ALG     initramfs compression: none (default: fastest boot), gzip, zstd, lz4\n"
		"  --cmdline ARGS     extra kernel command line arguments\n"
		"  --timeout S        seconds to wait for READY (default 60 under TCG, 10 under KVM)\n"
		"  --timings          print the boot timings on stderr\n"
		"  --accel kvm|tcg    force the accelerator (default: the host probe's verdict, hvc info)\n"
		"  --trace[=json]     each step of the run on stderr, the guest's too (docs/trace.md)\n"
		"  --connect URI      libvirt URI (default $HVC_LIBVIRT_URI or qemu:///embed?root=$HVC_ROOT/libvirt)\n"
		"  --wait-poweroff    after the command, wait for the guest's own power-off (default: destroy)\n"
		"  --prepare          build the boot artifacts only\n"
		"  --template         start from the image's saved template (made by the first such run;\n"
		"                     hvc vm template ls|rm|prune); no NIC: --network none\n"
		"  --network MODE     bridge (hvc0, the default) or a network's name (hvc network create):\n"
		"                     one virtio-net NIC with an address from hvc's IPAM; none: no NIC\n"
		"  -p, --publish [IP:]HOSTPORT:GUESTPORT[/tcp|udp]  publish a guest port (repeatable)\n"
		"  -P, --publish-all  publish every port the image EXPOSEs on a free host port\n"
		"Low-level bridge attachment (--network bridge, no IPAM):\n"
		"  --net-bridge NAME  host bridge for the NIC's tap (must exist)\n"
		"  --ip ADDR/PREFIX   the guest's eth0 address (\"10.99.0.2/24\")\n"
		"  --gateway GW       the guest's default route\n"
		"  --dns ADDR         a nameserver for the guest's /etc/resolv.conf (repeatable, up to 3)\n"
		"  --mac MAC          the NIC's MAC (default: derived from the VM name)\n");
}

static const struct option run_opts[] = {
	{ "rm", no_argument, NULL, 'R' },	{ "detach", no_argument, NULL, 'd' },
	{ "name", required_argument, NULL, 'n' }, { "memory", required_argument, NULL, 'm' },
	{ "vcpus", required_argument, NULL, 'c' }, { "cpuset", required_argument, NULL, 'C' },
	{ "kernel", required_argument, NULL, 'k' }, { "disk", no_argument, NULL, 'D' },
	{ "data-disk", required_argument, NULL, 'x' }, { "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' }, { "machine", required_argument, NULL, 'M' },
	{ "compress", required_argument, NULL, 'z' }, { "cmdline", required_argument, NULL, 'K' },
	{ "timeout", required_argument, NULL, 't' }, { "timings", no_argument, NULL, 'T' },
	{ "connect", required_argument, NULL, 'u' }, { "prepare", no_argument, NULL, 'Q' },
	{ "wait-poweroff", no_argument, NULL, 'W' }, { "network", required_argument, NULL, 'N' },
	{ "net-bridge", required_argument, NULL, 'B' }, { "ip", required_argument, NULL, 'I' },
	{ "gateway", required_argument, NULL, 'G' }, { "dns", required_argument, NULL, 'S' },
	{ "mac", required_argument, NULL, 'A' }, { "publish", required_argument, NULL, 'p' },
	{ "publish-all", no_argument, NULL, 'P' },
	{ "template", no_argument, NULL, 'L' },
	{ "trace", optional_argument, NULL, 'r' },
	{ "accel", required_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },	{ NULL, 0, NULL, 0 },
};

/* The long name of a short option, for the library's option setter. */
static const char *run_opt_name(int c)
{
	for (const struct option *p = run_opts; p->name; p++)
		if (p->val == c)
			return p->name;
	return "?";
}

/* The NIC of `hvc vm run`: the network named by --network and -p's ports,
 * for the IPAM provider (vmdriver/net_provider.c). */
struct run_net {
	const char *network;
	struct hvc_net_port *ports;
	size_t n_ports;
	bool publish_all; /* -P: the image's EXPOSEd ports, once IMAGE is known */
	struct hvc_vm_ipam ipam;
	struct hvc_vm_net_provider provider;
};

static void run_net_clear(struct run_net *rn)
{
	free(rn->ports);
	hvc_vm_ipam_clear(&rn->ipam);
}

/* --network bridge|none|NAME: a network's name means bridge, through the IPAM. */
static int set_network(struct hvc_vm_opts *o, struct run_net *rn, const char *v,
		       struct hvc_error *err)
{
	bool named = strcmp(v, "bridge") && strcmp(v, "none");
	if (named && (!*v || strlen(v) > HVC_NET_NAME_MAX))
		return hvc_err(err, 0, "bad --network \"%s\" (none, bridge or a network's name)", v);
	rn->network = v;
	return hvc_vm_opts_set(o, "network", named ? "bridge" : v, err);
}

static int add_port(struct run_net *rn, const char *v, struct hvc_error *err)
{
	struct hvc_net_port p;
	if (hvc_net_port_parse(v, &p, err) < 0)
		return -1;
	rn->ports = hvc_xrealloc(rn->ports, rn->n_ports + 1, sizeof(*rn->ports));
	rn->ports[rn->n_ports++] = p;
	return 0;
}

/* --network bridge|NAME without --net-bridge and --ip: hvc's IPAM attaches. */
static int plan_net(struct hvc_vm_opts *o, struct run_net *rn, struct hvc_error *err)
{
	const struct hvc_vm_net *n = &o->net;
	bool low_level = n->bridge[0] || n->address[0];
	if (o->network == HVC_VM_NET_BRIDGE && !low_level) {
		if (n->gateway[0])
			return hvc_err(err, 0, "--gateway goes with --net-bridge and --ip (the IPAM "
					       "gives the network's gateway)");
		rn->ipam.network = rn->network;
		rn->ipam.ports = rn->ports;
		rn->ipam.n_ports = rn->n_ports;
		hvc_vm_ipam_provider(&rn->ipam, &rn->provider);
		o->net_provider = &rn->provider;
	} else if (low_level && rn->network && strcmp(rn->network, "bridge")) {
		return hvc_err(err, 0, "--net-bridge and --ip go with --network bridge, not \"%s\"",
			       rn->network);
	}
	if (rn->n_ports && !o->net_provider)
		return hvc_err(err, 0, "-p needs a bridge network (--network bridge or NAME, no --ip)");
	return 0;
}

/* Parses `hvc vm run`'s options into o. Returns 0 to go on, else the exit
 * status (-1 for --help, then 0). */
static int parse_run(int argc, char **argv, struct hvc_vm_opts *o, char ***env, bool *timings,
		     struct run_net *rn)
{
	struct hvc_error err = { 0 };
	bool network_given = false;
	int c;
	/* "+": options stop at IMAGE; what follows is the command's */
	while ((c = hvc_cli_getopt(argc, argv, "+dn:m:e:w:p:Ph", run_opts)) != -1) {
		switch (c) {
		case 'R': o->rm = true; break;
		case 'd': o->detach = true; break;
		case 'n': o->name = optarg; break;
		case 'm': case 'c': case 'x': case 'z': case 't':
		case 'B': case 'I': case 'G': case 'S': case 'A':
			if (hvc_vm_opts_set(o, run_opt_name(c), optarg, &err) < 0)
				return hvc_cli_usage_error("vm run", "%s", err.msg);
			break;
		case 'N':
			if (set_network(o, rn, optarg, &err) < 0)
				return hvc_cli_usage_error("vm run", "%s", err.msg);
			network_given = true;
			break;
		case 'p':
			if (add_port(rn, optarg, &err) < 0)
				return hvc_cli_usage_error("vm run", "%s", err.msg);
			break;
		case 'C': o->cpuset = optarg; break;
		case 'k': o->kernel = optarg; break;
		case 'D': o->disk = true; break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return hvc_cli_usage_error("vm run", "bad -e \"%s\" (expected K=V)", optarg);
			hvc_strv_push(env, optarg);
			break;
		case 'w': o->workdir = optarg; break;
		case 'M':
			if (hvc_vm_machine_check(optarg, &err) < 0)
				return hvc_cli_usage_error("vm run", "%s", err.msg);
			o->machine = optarg;
			break;
		case 'K': o->extra_cmdline = optarg; break;
		case 'T': *timings = true; break;
		case 'r':
			if (hvc_trace_mode_parse(optarg) < 0)
				return hvc_cli_usage_error("vm run", "--trace=%s: expected text or json", optarg);
			hvc_trace_start((enum hvc_trace_mode)hvc_trace_mode_parse(optarg), 2, "hvc");
			break;
		case 'u': o->uri = optarg; break;
		case 'Q': o->prepare_only = true; break;
		case 'P': rn->publish_all = true; break;
		case 'W': o->wait_poweroff = true; break;
		case 'L': o->template_ = true; break;
		case 'a':
			if (strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
				return hvc_cli_usage_error("vm run", "--accel %s: expected kvm or tcg", optarg);
			o->accel = optarg;
			break;
		case 'h': run_usage(stdout); return -1;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("vm run", "no IMAGE given");
	/* a restored guest keeps the devices it was saved with, and templates
	 * are saved without a NIC: --template means --network none unless
	 * another network is asked for (which vm_run_template refuses) */
	if (o->template_ && !network_given && set_network(o, rn, "none", &err) < 0)
		return hvc_cli_usage_error("vm run", "%s", err.msg);
	if (rn->publish_all && hvc_image_publish_exposed(argv[optind], &rn->ports, &rn->n_ports, &err) < 0)
		return hvc_cli_fail("vm run", &err, HVC_EXIT_RUNTIME);
	if (plan_net(o, rn, &err) < 0 || hvc_vm_opts_check(o, &err) < 0)
		return hvc_cli_usage_error("vm run", "%s", err.msg);
	o->image = argv[optind];
	o->cmd = argv + optind + 1;
	o->env = *env;
	return 0;
}

/* One phase of --timings: "-" for a phase the run did not reach (0), as
 * `hvc run --timings` prints. */
static const char *phase_ms(double ms, char *buf, size_t len)
{
	if (ms <= 0)
		return "-";
	snprintf(buf, len, "%.1f", ms);
	return buf;
}

static void print_timings(const struct hvc_vm_result *res, bool template_)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];
	const struct hvc_vm_timings *t = &res->t;
	if (template_)
		fprintf(stderr,
			"timings (ms): template built %s, restored %s, command handed over %s, "
			"READY %s, command exit %s, domain gone %s [%s]\n",
			phase_ms(t->template_built_ms, a, 32), phase_ms(t->created_ms, b, 32),
			phase_ms(t->handoff_ms, c, 32), phase_ms(t->ready_ms, d, 32), phase_ms(t->exit_ms, e, 32),
			phase_ms(t->gone_ms, f, 32), res->accel);
	else
		fprintf(stderr,
			"timings (ms): domain created %s, first console byte %s, READY %s, "
			"command exit %s, domain gone %s [%s]\n",
			phase_ms(t->created_ms, a, 32), phase_ms(t->first_byte_ms, b, 32),
			phase_ms(t->ready_ms, c, 32), phase_ms(t->exit_ms, d, 32), phase_ms(t->gone_ms, e, 32),
			res->accel);
}

static int cmd_run(int argc, char **argv)
{
	/* the bridge network by default, as a container's (docs/network.md) */
	struct hvc_vm_opts o = { .compress = -1, .output = out_stdout, .network = HVC_VM_NET_BRIDGE };
	_cleanup_strv_ char **env = NULL;
	bool timings = false;
	__attribute__((cleanup(run_net_clear))) struct run_net rn = { .network = "bridge" };
	int rc = parse_run(argc, argv, &o, &env, &timings, &rn);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (o.detach)
		o.output = NULL; /* like docker run -d: the name, not the output (see vm logs) */
	o.cancel = &cancel_flag;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	struct hvc_error err = { 0 };
	_cleanup_vm_result_ struct hvc_vm_result res = { 0 };
	rc = hvc_vm_run(&o, &res, &err);
	if (timings && rc == 0)
		print_timings(&res, o.template_);
	if (rc < 0)
		return hvc_cli_fail("vm run", &err, HVC_EXIT_RUNTIME);
	if (o.detach)
		printf("%s\n", res.name);
	return o.detach || o.prepare_only ? 0 : res.exit_status;
}

static const struct hvc_fmt_field vm_ps_fields[] = {
	{ "ID", "ID" },		  { "Names", "NAME" }, { "Image", "IMAGE" },	     { "Status", "STATUS" },
	{ "Accel", "ACCEL" },	  { "Pid", "QEMU-PID" }, { "CreatedAt", "CREATED" }, { "URI", "URI" },
	{ "Detached", "DETACHED" }, { NULL, NULL },
};
#define VM_PS_TABLE "table {{.ID}}\\t{{.Names}}\\t{{.Image}}\\t{{.Status}}\\t{{.Accel}}\\t{{.Pid}}\\t{{.CreatedAt}}"

static json_object *vm_ps_row(const struct hvc_vm_info *v)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "ID", v->id);
	hvc_json_add_string(o, "Names", v->name);
	hvc_json_add_string(o, "Image", v->image ? v->image : "-");
	hvc_json_add_string(o, "Status", v->status);
	hvc_json_add_string(o, "Accel", v->accel ? v->accel : "-");
	hvc_json_add_int(o, "Pid", (int64_t)v->qemu_pid);
	hvc_json_add_string(o, "CreatedAt", v->created ? v->created : "-");
	hvc_json_add_string(o, "URI", v->uri ? v->uri : "");
	hvc_json_add_bool(o, "Detached", v->detached);
	return o;
}

static void vm_ps_usage(void)
{
	printf("Usage: hvc vm ps [-a] [-q] [--format FORMAT]   (also: vm ls, vm list)\n"
	       "List VMs (running; -a: all).\n\n"
	       "  -a, --all        also stopped VMs\n"
	       "  -q, --quiet      only the IDs\n"
	       "      --format F   json, table [TEMPLATE], or a template such as '{{.Names}} {{.Status}}'\n"
	       "                   fields: ID Names Image Status Accel Pid CreatedAt URI Detached\n");
}

static int cmd_ps(int argc, char **argv)
{
	bool all = false, quiet = false;
	const char *format = NULL;
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					       { "quiet", no_argument, NULL, 'q' },
					       { "format", required_argument, NULL, 'F' },
					       { "help", no_argument, NULL, 'h' },
					       { NULL, 0, NULL, 0 } };
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "aqh", opts)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'F': format = optarg; hvc_cli_set_format(optarg); break;
		case 'h': vm_ps_usage(); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("vm ps", "unexpected argument \"%s\"", argv[optind]);
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(quiet ? "{{.ID}}" : format, VM_PS_TABLE, vm_ps_fields, &err);
	if (!fmt)
		return hvc_cli_fail("vm ps", &err, HVC_EXIT_USAGE);
	/* a VM whose hvc was killed is reclaimed by the next hvc vm call */
	if (hvc_vm_prune(&err) < 0)
		hvc_warn("prune: %s", err.msg);
	struct hvc_vm_info *v = NULL;
	size_t n = 0;
	if (hvc_vm_list(&v, &n, &err) < 0)
		return hvc_cli_fail("vm ps", &err, HVC_EXIT_FAIL);
	_cleanup_json_ json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		bool running = v[i].status && (!strcmp(v[i].status, "running") || !strcmp(v[i].status, "creating"));
		if (all || running)
			json_object_array_add(rows, vm_ps_row(&v[i]));
	}
	hvc_vm_info_free(v, n);
	hvc_fmt_print(fmt, rows, stdout);
	return 0;
}

static int one_ref(int argc, char **argv, const char *what, const char *help)
{
	_cleanup_free_ char *usage = hvc_xasprintf("%s\n", help);
	int r = hvc_cli_parse_none(argc, argv, usage);
	if (r >= 0)
		return r == 0 ? -2 : -1;
	if (argc != 2)
		return hvc_cli_usage_error(what, "expected one VM name or id"), -1;
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	struct hvc_error err = { 0 };
	int rc = hvc_cli_parse_none(argc, argv, "Usage: hvc vm stop NAME...\nStop (destroy) running VMs.\n");
	if (rc >= 0)
		return rc;
	if (argc < 2)
		return hvc_cli_usage_error("vm stop", "expected VM names or ids");
	rc = 0;
	for (int i = 1; i < argc; i++)
		if (hvc_vm_stop(argv[i], &err) < 0)
			rc = hvc_cli_fail("vm stop", &err, HVC_EXIT_FAIL);
	return rc;
}

static int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					       { "help", no_argument, NULL, 'h' },
					       { NULL, 0, NULL, 0 } };
	bool force = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "fh", opts)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': printf("Usage: hvc vm rm [-f] NAME...\nDelete VMs (-f: stop running ones first).\n"); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	int first = optind;
	if (first >= argc)
		return hvc_cli_usage_error("vm rm", "expected VM names or ids");
	struct hvc_error err = { 0 };
	int rc = 0;
	for (int i = first; i < argc; i++)
		if (hvc_vm_remove(argv[i], force, &err) < 0)
			rc = hvc_cli_fail("vm rm", &err, HVC_EXIT_FAIL);
	return rc;
}

/* Copies the console log to stdout; with follow, keeps going until the VM stops. */
static int show_console(const char *what, const char *ref, bool follow)
{
	struct hvc_error err = { 0 };
	_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
	if (hvc_vm_find(ref, &v, &err) < 0)
		return hvc_cli_fail(what, &err, HVC_EXIT_FAIL);
	_cleanup_free_ char *dir = hvc_vm_state_dir(v.id);
	_cleanup_free_ char *log = hvc_path_join(dir, "console.log");
	FILE *f = fopen(log, "r");
	if (!f) {
		hvc_err(&err, errno, "console of VM \"%s\" (`%s`)", ref, log);
		return hvc_cli_fail(what, &err, HVC_EXIT_FAIL);
	}
	char buf[65536];
	for (;;) {
		size_t n = fread(buf, 1, sizeof(buf), f);
		if (n) {
			fwrite(buf, 1, n, stdout);
			fflush(stdout);
			continue;
		}
		if (!follow || cancel_flag)
			break;
		clearerr(f);
		if (v.uri && !hvc_vm_qemu_pid(v.uri, v.name)) {
			/* one last read after the VM is gone */
			while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
				fwrite(buf, 1, n, stdout);
			break;
		}
		usleep(50000);
	}
	fclose(f);
	return 0;
}

static int cmd_logs(int argc, char **argv)
{
	bool follow = argc > 1 && (!strcmp(argv[1], "-f") || !strcmp(argv[1], "--follow"));
	if (follow) {
		argv++;
		argc--;
	}
	int r = one_ref(argc, argv, "vm logs",
			"Usage: hvc vm logs [-f] NAME\nPrint the VM's serial console (kernel and command output).");
	if (r != 0)
		return r == -2 ? 0 : HVC_EXIT_USAGE;
	return show_console("vm logs", argv[1], follow);
}

static int cmd_console(int argc, char **argv)
{
	int r = one_ref(argc, argv, "vm console",
			"Usage: hvc vm console NAME\nFollow the VM's serial console until it stops (read-only; ^C detaches).");
	if (r != 0)
		return r == -2 ? 0 : HVC_EXIT_USAGE;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	return show_console("vm console", argv[1], true);
}

/* The IPAM lease of a VM on one of hvc's networks: its network's name and
 * its published ports, added to vm.json's "network". */
static void inspect_lease(json_object *o, const char *id)
{
	struct hvc_net_lease l;
	struct hvc_error ig = { 0 };
	json_object *net = hvc_json_get(o, "network");
	if (!net || hvc_net_lease_find(id, &l, &ig) <= 0)
		return;
	hvc_json_add_string(net, "name", l.net);
	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < l.n_ports; i++) {
		char buf[64];
		json_object_array_add(ports, json_object_new_string(hvc_net_port_format(&l.ports[i], buf, sizeof(buf))));
	}
	json_object_object_add(net, "ports", ports);
	hvc_net_lease_clear(&l);
}

static const struct hvc_fmt_field vm_inspect_fields[] = {
	{ "Kind", "KIND" },   { "Id", "ID" },	    { "Name", "NAME" }, { "Created", "CREATED" }, { "Image", "IMAGE" },
	{ "State", "STATE" }, { "Accel", "ACCEL" }, { "Hvc", "HVC" }, { NULL, NULL },
};

/* hvc's record of a VM: vm.json, domain XML, status, QEMU pid and memory, lease. */
static json_object *vm_record(const struct hvc_vm_info *v, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_vm_state_dir(v->id);
	_cleanup_free_ char *jf = hvc_path_join(dir, "vm.json");
	_cleanup_free_ char *xf = hvc_path_join(dir, "domain.xml");
	json_object *o = NULL;
	if (hvc_json_read_file(jf, &o, err) < 0)
		return NULL;
	_cleanup_free_ char *xml = NULL;
	struct hvc_error ig = { 0 };
	if (hvc_read_file(xf, &xml, NULL, &ig) == 0)
		hvc_json_add_string(o, "domain_xml", xml);
	hvc_json_add_string(o, "status", v->status);
	hvc_json_add_int(o, "qemu_pid", v->qemu_pid);
	struct hvc_vm_procstats st;
	if (v->qemu_pid && hvc_vm_procstats(v->qemu_pid, &st, &ig) == 0) {
		json_object *m = json_object_new_object();
		hvc_json_add_int(m, "rss_bytes", (int64_t)st.rss_bytes);
		hvc_json_add_int(m, "pss_bytes", (int64_t)st.pss_bytes);
		json_object_object_add(o, "qemu_memory", m);
	}
	inspect_lease(o, v->id);
	return o;
}

/* The shape every inspect shares (cli/inspect_common.c), hvc's record under Hvc. */
static json_object *vm_view(const struct hvc_vm_info *v, json_object *rec)
{
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	hvc_json_add_string(o, "Id", v->id);
	hvc_json_add_string(o, "Name", v->name);
	hvc_json_add_string(o, "Created", v->created ? v->created : "");
	hvc_json_add_string(o, "Image", v->image ? v->image : "");
	hvc_json_add_string(st, "Status", v->status ? v->status : "unknown");
	hvc_json_add_bool(st, "Running", v->status && !strcmp(v->status, "running"));
	hvc_json_add_int(st, "Pid", v->qemu_pid);
	json_object_object_add(o, "State", st);
	hvc_json_add_string(o, "Accel", v->accel ? v->accel : "");
	json_object_object_add(o, "Hvc", rec);
	return hvc_cli_inspect_object("vm", o);
}

static int cmd_inspect(int argc, char **argv)
{
	const char *format = NULL;
	int prc = hvc_cli_parse_format(argc, argv,
					 "Usage: hvc vm inspect [-f FORMAT] NAME...\n"
					 "Print VMs as JSON: the keys every inspect shares (Kind Id Name Created Image\n"
					 "State), Accel, and under Hvc: vm.json, domain XML, QEMU pid and memory, network.\n\n"
					 "  -f, --format F   json, or a template such as '{{.State.Status}}'\n",
					 &format);
	if (prc >= 0)
		return prc;
	if (optind >= argc)
		return hvc_cli_usage_error("vm inspect", "expected VM names or ids");
	struct hvc_error err = { 0 };
	_cleanup_json_ json_object *arr = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
		json_object *rec = NULL;
		if (hvc_vm_find(argv[i], &v, &err) < 0 || !(rec = vm_record(&v, &err)))
			return hvc_cli_fail("vm inspect", &err, HVC_EXIT_FAIL);
		json_object_array_add(arr, vm_view(&v, rec));
	}
	return hvc_cli_inspect_print("vm inspect", format, vm_inspect_fields, arr);
}

static int cmd_prune(int argc, char **argv)
{
	int r = hvc_cli_parse_none(argc, argv, "Usage: hvc vm prune\nReclaim VMs whose hvc process died.\n");
	if (r >= 0)
		return r;
	if (argc > 1)
		return hvc_cli_usage_error("vm prune", "no arguments expected");
	struct hvc_error err = { 0 };
	int n = hvc_vm_prune(&err);
	if (n < 0)
		return hvc_cli_fail("vm prune", &err, HVC_EXIT_FAIL);
	printf("reclaimed %d VM%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int template_ls(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return hvc_cli_usage_error("vm template ls", "no arguments expected");
	struct hvc_error err = { 0 };
	struct hvc_vm_template_info *v = NULL;
	size_t n = 0;
	if (hvc_vm_template_list(&v, &n, &err) < 0)
		return hvc_cli_fail("vm template ls", &err, HVC_EXIT_FAIL);
	printf("%-64s  %-12s  %9s  %-20s  %s\n", "KEY", "IMAGE", "SIZE", "CREATED", "STATE");
	for (size_t i = 0; i < n; i++) {
		char size[32];
		hvc_format_size(v[i].bytes, size, sizeof(size));
		printf("%-64s  %-12s  %9s  %-20s  %s\n", v[i].key, v[i].image ? v[i].image : "-", size,
		       v[i].created ? v[i].created : "-", v[i].problem ? v[i].problem : "ready");
	}
	hvc_vm_template_info_free(v, n);
	return 0;
}

static int template_rm(int argc, char **argv)
{
	if (argc < 2)
		return hvc_cli_usage_error("vm template rm", "no template KEY given");
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct hvc_error err = { 0 };
		if (hvc_vm_template_remove(argv[i], &err) < 0)
			rc = hvc_cli_fail("vm template rm", &err, HVC_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static int template_prune(int argc, char **argv)
{
	bool all = argc == 2 && (!strcmp(argv[1], "-a") || !strcmp(argv[1], "--all"));
	if (argc > 1 && !all)
		return hvc_cli_usage_error("vm template prune", "only -a/--all is expected");
	struct hvc_error err = { 0 };
	int n = hvc_vm_template_prune(all, &err);
	if (n < 0)
		return hvc_cli_fail("vm template prune", &err, HVC_EXIT_FAIL);
	printf("removed %d template%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static const struct hvc_cli_cmd template_cmds[] = {
	{ "ls", template_ls, "list VM templates and whether each can be restored" },
	{ "rm", template_rm, "delete templates (KEY or a unique prefix)" },
	{ "prune", template_prune, "delete templates that cannot be restored (-a: all)" },
	{ NULL, NULL, NULL },
};

static int cmd_template(int argc, char **argv)
{
	return hvc_cli_dispatch("vm template", template_cmds, argc - 1, argv + 1);
}

static const struct hvc_cli_cmd vm_cmds[] = {
	{ "run", cmd_run, "boot an image as a VM and run its command" },
	{ "ps", cmd_ps, "list VMs" },
	{ "stop", cmd_stop, "stop running VMs" },
	{ "rm", cmd_rm, "delete VMs" },
	{ "logs", cmd_logs, "print a VM's console" },
	{ "console", cmd_console, "follow a VM's console" },
	{ "inspect", cmd_inspect, "state, domain XML, accelerator, QEMU pid, memory" },
	{ "stats", hvc_cmd_vm_stats, "QEMU RSS/PSS and CPU time of running VMs (--format)" },
	{ "shutdown", hvc_cmd_vm_shutdown, "ACPI power button, wait, then destroy (virsh shutdown)" },
	{ "dominfo", hvc_cmd_vm_dominfo, "libvirt domain information (virsh dominfo)" },
	{ "prune", cmd_prune, "reclaim VMs whose hvc process died" },
	{ "template", cmd_template, "saved guests that --template runs restore: ls, rm, prune" },
	/* aliases: docker's ls, virsh's list and destroy (stop without deleting, as virsh) */
	{ "ls", cmd_ps, NULL },
	{ "list", cmd_ps, NULL },
	{ "destroy", cmd_stop, NULL },
	{ NULL, NULL, NULL },
};

int hvc_cmd_vm(int argc, char **argv)
{
	return hvc_cli_dispatch("vm", vm_cmds, argc - 1, argv + 1);
}
