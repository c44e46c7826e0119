/* hvc system prune [-a]: reclaim what killed hvc processes left behind —
 * stale containers, cgroups and their processes, stray mounts — through a
 * table of reclaimers so each part of hvc adds its own (the VM driver adds
 * its leftover domains here). -a also removes exited containers. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "hvc/container.h"
#include "hvc/image.h"
#include "hvc/network.h"
#include "hvc/vm.h"

/* One reclaimer: fills a one-line summary of what it removed. */
struct hvc_prune_hook {
	const char *name;
	int (*fn)(bool all, char *summary, size_t len, struct hvc_error *err);
};

static int prune_containers(bool all, char *summary, size_t len, struct hvc_error *err)
{
	struct hvc_ctr_prune_report r;
	if (hvc_ctr_prune(all, &r, err) < 0)
		return -1;
	snprintf(summary, len, "%u container(s), %u cgroup(s), %u process(es), %u mount(s)", r.containers,
		 r.cgroups, r.processes, r.mounts);
	return 0;
}

/* Image store scratch (staged loads, half-written layers) and blobs of
 * killed imports, loads and builds: the store's GC, skipped while a writer
 * holds the store (wait=false) so a running build loses nothing. */
static int prune_images(bool all, char *summary, size_t len, struct hvc_error *err)
{
	(void)all;
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	struct hvc_image_gc_stats st;
	if (hvc_image_store_open(hvc_root(), &s, err) < 0 || hvc_image_gc(s, false, &st, err) < 0)
		return -1;
	snprintf(summary, len, "%zu scratch entr%s, %zu blob(s), %zu unpacked layer(s)%s",
		 st.temp_removed, st.temp_removed == 1 ? "y" : "ies", st.blobs_removed,
		 st.layers_removed, st.skipped ? " (skipped: a writer is busy)" : "");
	return 0;
}

/* VMs whose owning hvc process died (kill -9 mid-boot); -a: exited VMs too. */
static int prune_vms(bool all, char *summary, size_t len, struct hvc_error *err)
{
	int n = hvc_vm_prune(err);
	if (n < 0)
		return -1;
	unsigned removed = 0;
	if (all) {
		struct hvc_vm_info *v = NULL;
		size_t cnt = 0;
		if (hvc_vm_list(&v, &cnt, err) < 0)
			return -1;
		for (size_t i = 0; i < cnt; i++)
			if (v[i].status && strcmp(v[i].status, "running") && strcmp(v[i].status, "creating") &&
			    hvc_vm_remove(v[i].id, false, err) == 0)
				removed++;
		hvc_vm_info_free(v, cnt);
	}
	snprintf(summary, len, "%d orphaned VM(s), %u exited VM(s)", n, removed);
	return 0;
}

/* Leases whose holder died, veths without a lease; nftables rebuilt. */
static int prune_networks(bool all, char *summary, size_t len, struct hvc_error *err)
{
	struct hvc_net_prune_report r;
	if (hvc_net_prune(&r, err) < 0 || (all && hvc_net_prune_unused(&r, err) < 0))
		return -1;
	snprintf(summary, len, "%u lease(s), %u veth(s)%s%s", r.leases, r.links,
		 r.bridges ? ", unused bridges" : "", r.table ? ", the nftables table" : "");
	return 0;
}

static const struct hvc_prune_hook prune_hooks[] = {
	{ "containers", prune_containers },
	{ "vms", prune_vms },
	{ "images", prune_images },
	{ "networks", prune_networks },
	{ NULL, NULL },
};

static int cmd_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool all = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "afh", opts)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'f': break;
		case 'h':
			printf("Usage: hvc system prune [-a] [-f]\n"
			       "Reclaim what killed hvc processes left behind: stale containers, their cgroups,\n"
			       "processes and mounts, orphaned VMs, dead network leases and veths.\n\n"
			       "  -a, --all     also remove exited containers and stopped VMs\n"
			       "  -f, --force   accepted for docker's habit; hvc never asks\n\n"
			       "Images are always kept, with or without -a (unlike docker's -a): remove\n"
			       "them with 'hvc image rm' or 'hvc image prune' (untagged images).\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	int rc = 0;
	for (const struct hvc_prune_hook *h = prune_hooks; h->name; h++) {
		struct hvc_error err = { 0 };
		char summary[256] = "";
		if (h->fn(all, summary, sizeof(summary), &err) < 0)
			rc = hvc_cli_fail("system prune", &err, HVC_EXIT_FAIL);
		else
			printf("%s: reclaimed %s\n", h->name, summary);
	}
	printf("images: kept (hvc image prune removes untagged ones)\n");
	return rc;
}

static const struct hvc_cli_cmd system_cmds[] = {
	{ "prune", cmd_prune, "reclaim leftovers of killed hvc processes (-a: and exited containers and VMs; images kept)" },
	{ NULL, NULL, NULL },
};

int hvc_cmd_system(int argc, char **argv)
{
	return hvc_cli_dispatch("system", system_cmds, argc - 1, argv + 1);
}
