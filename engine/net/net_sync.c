/* engine/net/net_sync: makes the host match the leases — each network's
 * hosts file and the nftables table `inet hvc` are rewritten from the
 * definitions and leases (net_render.c) under networks/.lock. The table is
 * applied only when its text changed since the last apply (networks/
 * nft.rules), so a start without published ports costs no nftables
 * transaction; nor does a sync where none of the bridges exists (another
 * network namespace). HVC_NET_NFT=off leaves nftables alone (unit tests on a temp
 * root; hosts where another tool owns the firewall). */
#include "net_internal.h"
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *hvc_net_hosts_path(const char *net)
{
	return hvc_strdup_printf("%s/networks/%s/hosts", hvc_root(), net);
}

/* In place, not renamed: running instances bind-mount this very inode. */
static int write_in_place(const char *path, const char *text, struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", path);
	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		return hvc_err(err, errno, "write `%s`", path);
	return 0;
}

static int cmp_lease(const void *a, const void *b)
{
	const struct hvc_net_lease *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_net(const void *a, const void *b)
{
	return strcmp(((const struct hvc_net *)a)->name, ((const struct hvc_net *)b)->name);
}

/* One network's leases appended to *all, its hosts file rewritten. */
static int sync_network(const struct hvc_net *n, struct hvc_net_lease **all, size_t *n_all,
			struct hvc_error *err)
{
	struct hvc_net_lease *ls = NULL;
	size_t cnt = 0;
	if (hvc_net_lease_list(n->name, &ls, &cnt, err) < 0)
		return -1;
	if (cnt > 1) /* qsort(NULL, 0) is undefined (UBSan: the last lease released) */
		qsort(ls, cnt, sizeof(*ls), cmp_lease);
	_cleanup_free_ char *hosts = hvc_net_hosts_render(ls, cnt);
	_cleanup_free_ char *path = hvc_net_hosts_path(n->name);
	int r = write_in_place(path, hosts, err);
	*all = hvc_xrealloc(*all, *n_all + cnt + 1, sizeof(**all));
	if (cnt) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(*all + *n_all, ls, cnt * sizeof(*ls));
	*n_all += cnt;
	free(ls); /* (the ports moved into *all) */
	return r;
}

/* Rules matter only where one of the bridges is: a prune or an rm run in
 * another network namespace (the host's, for a root whose containers ran in
 * a test's) must not install hvc's table there. */
static bool any_bridge_here(const struct hvc_net *nets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (if_nametoindex(nets[i].bridge) != 0)
			return true;
	return false;
}

static int apply_rules(const struct hvc_net *nets, size_t n, const char *text, bool force,
		       struct hvc_error *err)
{
	const char *knob = getenv("HVC_NET_NFT");
	if ((knob && !strcmp(knob, "off")) || !any_bridge_here(nets, n))
		return 0;
	_cleanup_free_ char *cache = hvc_strdup_printf("%s/networks/nft.rules", hvc_root());
	_cleanup_free_ char *old = NULL;
	size_t len = 0;
	bool cached = hvc_read_file(cache, &old, &len, NULL) == 0 && !strcmp(old, text);
	if (cached && !force)
		return 0;
	if (hvc_net_nft_apply(text, err) < 0)
		return -1;
	if (cached)
		return 0; /* a forced re-apply (prune) writes nothing: it works on a full disk */
	/* the cache only saves re-applying: when it cannot be written (disk
	 * full), none is safer than a stale one, and the rules are in place */
	struct hvc_error werr = { 0 };
	if (hvc_write_file_atomic(cache, text, strlen(text), 0644, &werr) < 0) {
		unlink(cache);
		hvc_debug("nftables rules applied, not cached: %s", werr.msg);
	}
	return 0;
}

int hvc_net_sync_locked(bool force, struct hvc_error *err)
{
	_cleanup_free_ struct hvc_net *nets = NULL;
	size_t n = 0, n_all = 0;
	struct hvc_net_lease *all = NULL;
	if (hvc_net_list(&nets, &n, err) < 0)
		return -1;
	if (n > 1)
		qsort(nets, n, sizeof(*nets), cmp_net);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = sync_network(&nets[i], &all, &n_all, err);
	if (r == 0) {
		_cleanup_free_ char *text = hvc_net_nft_render(nets, n, all, n_all);
		r = apply_rules(nets, n, text, force, err);
	}
	hvc_net_leases_free(all, n_all);
	return r;
}

/* The table was applied here (its cache exists) and nothing asks to leave
 * nftables alone: then only ports change it. */
static bool table_applied(void)
{
	_cleanup_free_ char *cache = hvc_strdup_printf("%s/networks/nft.rules", hvc_root());
	return hvc_path_exists(cache);
}

int hvc_net_sync_lease_locked(const char *net, bool has_ports, struct hvc_net_lease *ls,
			      size_t cnt, struct hvc_error *err)
{
	if (has_ports || !table_applied())
		return hvc_net_sync_locked(false, err);
	if (cnt > 1) /* qsort(NULL, 0) is undefined (UBSan: the last lease released) */
		qsort(ls, cnt, sizeof(*ls), cmp_lease);
	_cleanup_free_ char *hosts = hvc_net_hosts_render(ls, cnt);
	_cleanup_free_ char *path = hvc_net_hosts_path(net);
	return write_in_place(path, hosts, err);
}

int hvc_net_sync(bool force, struct hvc_error *err)
{
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	return hvc_net_sync_locked(force, err);
}
