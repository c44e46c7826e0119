/* engine/net/net_prune: what killed hvc processes left on the network — a
 * lease whose holder process is gone (kill -9 of `hvc run`), a host-side
 * veth (vh*) on one of hvc's bridges that no lease names — removed, then the
 * hosts files and the nftables table rebuilt from the leases that remain.
 * `system prune -a` also removes what nothing uses any more: the bridges
 * without a lease and, when no lease is left at all, the table `inet hvc`. */
#include "hvc/container.h"
#include "net_internal.h"
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned prune_leases(const struct hvc_net *n, char ***live_ifs)
{
	struct hvc_net_lease *ls = NULL;
	size_t cnt = 0;
	unsigned dropped = 0;
	if (hvc_net_lease_list(n->name, &ls, &cnt, NULL) < 0)
		return 0;
	for (size_t i = 0; i < cnt; i++) {
		struct hvc_net_attach_plan p;
		hvc_net_attach_plan(n, &ls[i], &p);
		if (hvc_ctr_proc_alive(ls[i].holder, ls[i].holder_start)) {
			hvc_strv_push(live_ifs, p.host_if);
			continue;
		}
		_cleanup_free_ char *path = hvc_net_lease_path(n->name, ls[i].addr);
		if (unlink(path) == 0)
			dropped++;
	}
	hvc_net_leases_free(ls, cnt);
	return dropped;
}

static unsigned prune_links(const struct hvc_net *n, char *const *live_ifs)
{
	_cleanup_strv_ char **ifs = NULL;
	unsigned cnt = 0;
	if (hvc_net_bridge_veths(n->bridge, &ifs, NULL) < 0)
		return 0;
	for (char **i = ifs; i && *i; i++) {
		bool live = false;
		for (char *const *l = live_ifs; l && *l && !live; l++)
			live = !strcmp(*l, *i);
		if (!live && hvc_net_link_delete(*i, NULL) == 0)
			cnt++;
	}
	return cnt;
}

int hvc_net_prune(struct hvc_net_prune_report *r, struct hvc_error *err)
{
	memset(r, 0, sizeof(*r));
	_cleanup_free_ struct hvc_net *nets = NULL;
	size_t n = 0;
	if (hvc_net_list(&nets, &n, err) < 0)
		return -1;
	if (n == 0)
		return 0; /* never used: nothing to load libmnl or libnftables for */
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	_cleanup_strv_ char **live = NULL;
	for (size_t i = 0; i < n; i++)
		r->leases += prune_leases(&nets[i], &live);
	for (size_t i = 0; i < n; i++)
		r->links += prune_links(&nets[i], live);
	return hvc_net_sync_locked(true, err);
}

/* The table goes only from a namespace where one of hvc's bridges was
 * (the sync's rule: a prune elsewhere must not touch that firewall). */
static int drop_table(struct hvc_error *err)
{
	const char *knob = getenv("HVC_NET_NFT");
	_cleanup_free_ char *cache = hvc_strdup_printf("%s/networks/nft.rules", hvc_root());
	unlink(cache); /* the next start applies the table again */
	if (knob && !strcmp(knob, "off"))
		return 0;
	return hvc_net_nft_apply("table inet hvc\ndelete table inet hvc\n", err);
}

int hvc_net_prune_unused(struct hvc_net_prune_report *r, struct hvc_error *err)
{
	_cleanup_free_ struct hvc_net *nets = NULL;
	size_t n = 0, total = 0;
	bool here = false;
	if (hvc_net_list(&nets, &n, err) < 0)
		return -1;
	_cleanup_net_lock_ int lk = n ? hvc_net_lock(err) : -1;
	if (n && lk < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct hvc_net_lease *ls = NULL;
		size_t cnt = 0;
		if (hvc_net_lease_list(nets[i].name, &ls, &cnt, err) < 0)
			return -1;
		hvc_net_leases_free(ls, cnt);
		total += cnt;
		if (if_nametoindex(nets[i].bridge) == 0)
			continue; /* not in this network namespace */
		here = true;
		if (cnt == 0 && hvc_net_link_delete(nets[i].bridge, err) < 0)
			return -1;
		r->bridges += cnt == 0;
	}
	if (total || !here)
		return 0;
	if (drop_table(err) < 0)
		return -1;
	r->table = true;
	return 0;
}
