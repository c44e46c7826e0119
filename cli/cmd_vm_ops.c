/* hvc vm shutdown / dominfo / stats: the virsh-style operations on VMs
 * (vmdriver/vm_ops.c) and the host-side cost of running VMs with --format. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "format.h"
#include "hvc/vm.h"

int hvc_cmd_vm_shutdown(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int t = 10, c;
	while ((c = hvc_cli_getopt(argc, argv, "t:h", opts)) != -1) {
		switch (c) {
		case 't':
			if (hvc_cli_parse_seconds("vm shutdown", optarg, 3600, &t))
				return HVC_EXIT_USAGE;
			break;
		case 'h':
			printf("Usage: hvc vm shutdown [-t SECS] NAME...\n"
			       "Press ctrl-alt-del in the VM: hvc-init sends SIGTERM to the command (SIGKILL at a\n"
			       "second press 1 s before SECS, default 10), reports its exit and powers off; what\n"
			       "is still running after SECS is destroyed (virsh destroy). Prints each name, and on\n"
			       "stderr how the VM ended. The exit is in hvc vm inspect (.Hvc.exit_status).\n\n"
			       "  -t, --time SECS   how long to wait for the power-off\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("vm shutdown", "a VM is required");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct hvc_error err = { 0 };
		bool graceful = false;
		uint64_t t0 = hvc_now_ns();
		if (hvc_vm_shutdown(argv[i], t, &graceful, &err) < 0) {
			rc = hvc_cli_fail("vm shutdown", &err, HVC_EXIT_FAIL);
			continue;
		}
		if (!graceful)
			fprintf(stderr, "hvc: vm shutdown: %s: no power-off within %d s: destroyed\n", argv[i], t);
		else
			fprintf(stderr, "hvc: vm shutdown: %s: the command ended, the VM is off after %.1f s\n", argv[i],
				(double)(hvc_now_ns() - t0) / 1e9);
		printf("%s\n", argv[i]);
	}
	return rc;
}

static json_object *dominfo_json(const struct hvc_vm_dominfo *d)
{
	json_object *o = json_object_new_object();
	hvc_json_add_int(o, "Id", d->id);
	hvc_json_add_string(o, "Name", d->name);
	hvc_json_add_string(o, "HvcId", d->hvc_id);
	hvc_json_add_string(o, "UUID", d->uuid);
	hvc_json_add_string(o, "OSType", d->os_type);
	hvc_json_add_string(o, "State", d->state);
	hvc_json_add_int(o, "CPUs", d->vcpus);
	json_object_object_add(o, "CPUTimeSeconds", json_object_new_double(d->cpu_time_s));
	hvc_json_add_int(o, "MaxMemoryKiB", (int64_t)d->max_mem_kib);
	hvc_json_add_int(o, "UsedMemoryKiB", (int64_t)d->used_mem_kib);
	hvc_json_add_bool(o, "Persistent", d->persistent);
	hvc_json_add_bool(o, "Autostart", d->autostart);
	hvc_json_add_int(o, "QemuPid", d->qemu_pid);
	return o;
}

static void dominfo_print(const struct hvc_vm_dominfo *d)
{
	if (d->id >= 0)
		printf("%-16s%d\n", "Id:", d->id);
	else
		printf("%-16s%s\n", "Id:", "-");
	printf("%-16s%s\n%-16s%s\n", "Name:", d->name, "hvc ID:", d->hvc_id);
	if (d->from_libvirt)
		printf("%-16s%s\n%-16s%s\n", "UUID:", d->uuid, "OS Type:", d->os_type);
	printf("%-16s%s\n", "State:", d->state);
	if (!d->from_libvirt)
		return;
	printf("%-16s%u\n%-16s%.1fs\n", "CPU(s):", d->vcpus, "CPU time:", d->cpu_time_s);
	printf("%-16s%llu KiB\n%-16s%llu KiB\n", "Max memory:", (unsigned long long)d->max_mem_kib, "Used memory:",
	       (unsigned long long)d->used_mem_kib);
	printf("%-16s%s\n%-16s%s\n", "Persistent:", d->persistent ? "yes" : "no", "Autostart:",
	       d->autostart ? "enable" : "disable");
	if (d->qemu_pid > 0)
		printf("%-16s%d\n", "QEMU pid:", (int)d->qemu_pid);
}

int hvc_cmd_vm_dominfo(int argc, char **argv)
{
	const char *format = NULL;
	int prc = hvc_cli_parse_format(argc, argv,
					 "Usage: hvc vm dominfo [--format json] NAME\n"
					 "The VM's libvirt domain information, as virsh dominfo prints it: id, UUID,\n"
					 "state, CPUs, CPU time, memory. For a detached (-d) or stopped VM.\n",
					 &format);
	if (prc >= 0)
		return prc;
	if (optind + 1 != argc)
		return hvc_cli_usage_error("vm dominfo", "exactly one VM expected");
	if (format && strcmp(format, "json"))
		return hvc_cli_usage_error("vm dominfo", "--format \"%s\": only json", format);
	struct hvc_error err = { 0 };
	struct hvc_vm_dominfo d;
	if (hvc_vm_dominfo(argv[optind], &d, &err) < 0)
		return hvc_cli_fail("vm dominfo", &err, HVC_EXIT_FAIL);
	if (format) {
		_cleanup_json_ json_object *o = dominfo_json(&d);
		printf("%s\n", hvc_json_pretty(o));
	} else {
		dominfo_print(&d);
	}
	return 0;
}

static const struct hvc_fmt_field vm_stats_fields[] = {
	{ "Name", "NAME" },	     { "ID", "ID" },	 { "Pid", "QEMU-PID" },	  { "RSS", "RSS" },
	{ "PSS", "PSS" },	     { "CPUUser", "CPU-USER" }, { "CPUSys", "CPU-SYS" }, { "RSSBytes", "RSS-BYTES" },
	{ "PSSBytes", "PSS-BYTES" }, { NULL, NULL },
};
#define VM_STATS_TABLE "table {{.Name}}\\t{{.Pid}}\\t{{.RSS}}\\t{{.PSS}}\\t{{.CPUUser}}\\t{{.CPUSys}}"

static json_object *stats_row(const struct hvc_vm_info *v, const struct hvc_vm_procstats *st)
{
	char buf[32];
	json_object *row = json_object_new_object();
	hvc_json_add_string(row, "Name", v->name);
	hvc_json_add_string(row, "ID", v->id);
	hvc_json_add_int(row, "Pid", v->qemu_pid);
	hvc_json_add_string(row, "RSS", hvc_format_size(st->rss_bytes, buf, sizeof(buf)));
	hvc_json_add_string(row, "PSS", hvc_format_size(st->pss_bytes, buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%.2fs", st->cpu_user_s);
	hvc_json_add_string(row, "CPUUser", buf);
	snprintf(buf, sizeof(buf), "%.2fs", st->cpu_sys_s);
	hvc_json_add_string(row, "CPUSys", buf);
	hvc_json_add_int(row, "RSSBytes", (int64_t)st->rss_bytes);
	hvc_json_add_int(row, "PSSBytes", (int64_t)st->pss_bytes);
	return row;
}

static bool wanted(const struct hvc_vm_info *v, int argc, char **argv)
{
	bool w = optind >= argc;
	for (int k = optind; k < argc; k++)
		w = w || !strcmp(argv[k], v->name) || hvc_str_has_prefix(v->id, argv[k]);
	return w;
}

int hvc_cmd_vm_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' }, { "json", no_argument, NULL, 'j' },
		{ "no-stream", no_argument, NULL, 'n' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'F': format = optarg; hvc_cli_set_format(optarg); break;
		case 'j': format = "json"; hvc_cli_set_format(format); break;
		case 'n': break; /* one sample is all there is */
		case 'h':
			printf("Usage: hvc vm stats [--format F | --json] [NAME...]\n"
			       "Host-side cost of running VMs: QEMU RSS, PSS, CPU time (one sample).\n\n"
			       "  --format F   json, table [TEMPLATE] or a template such as '{{.Name}} {{.RSSBytes}}'\n"
			       "               fields: Name ID Pid RSS PSS CPUUser CPUSys RSSBytes PSSBytes\n"
			       "  --json       the same as --format json\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(format, VM_STATS_TABLE, vm_stats_fields, &err);
	if (!fmt)
		return hvc_cli_fail("vm stats", &err, HVC_EXIT_USAGE);
	struct hvc_vm_info *v = NULL;
	size_t n = 0;
	if (hvc_vm_list(&v, &n, &err) < 0)
		return hvc_cli_fail("vm stats", &err, HVC_EXIT_FAIL);
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_vm_info_ struct hvc_vm_info one = { 0 };
		if (hvc_vm_find(argv[i], &one, &err) < 0)
			rc = hvc_cli_fail("vm stats", &err, HVC_EXIT_FAIL);
	}
	_cleanup_json_ json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct hvc_vm_procstats st;
		if (!wanted(&v[i], argc, argv) || !v[i].qemu_pid)
			continue;
		if (hvc_vm_procstats(v[i].qemu_pid, &st, &err) < 0)
			rc = hvc_cli_fail("vm stats", &err, HVC_EXIT_FAIL);
		else
			json_object_array_add(rows, stats_row(&v[i], &st));
	}
	hvc_vm_info_free(v, n);
	hvc_fmt_print(fmt, rows, stdout);
	return rc;
}
