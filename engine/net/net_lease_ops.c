/* engine/net/net_lease_ops: the changes that take networks/.lock and end
 * with a sync (net_sync.c) — allocating and releasing a lease, handing it to
 * another holder (no sync: nothing rendered changes), finding an
 * owner's lease across networks, removing a network. Above the definitions
 * (net_def.c), the lease files (net_ipam.c) and the sync in the module's
 * layering, so none of those calls back up here. */
#include "hvc/container.h"
#include "net_internal.h"
#include <string.h>
#include <unistd.h>

/* Appends a copy of l to ls (its name and address: what the hosts file
 * shows; the ports stay with l). */
static void leases_add(struct hvc_net_lease **ls, size_t *cnt, const struct hvc_net_lease *l)
{
	*ls = hvc_xrealloc(*ls, *cnt + 1, sizeof(**ls));
	(*ls)[*cnt] = *l;
	(*ls)[*cnt].ports = NULL;
	(*ls)[*cnt].n_ports = 0;
	(*cnt)++;
}

/* One scan of the network's leases under the lock serves both the choice
 * of the address and the hosts file after it (docs/network.md, Cost). */
static int alloc_locked(const struct hvc_net *n, struct hvc_net_lease *l, struct hvc_error *err)
{
	struct hvc_net_lease *ls = NULL;
	size_t cnt = 0;
	if (hvc_net_lease_list(n->name, &ls, &cnt, err) < 0)
		return -1;
	_cleanup_free_ uint32_t *used = hvc_xcalloc(cnt + 1, sizeof(*used));
	for (size_t i = 0; i < cnt; i++)
		used[i] = ls[i].addr;
	int r = 0;
	if (hvc_net_ipam_pick(n, used, cnt, &l->addr) < 0)
		r = hvc_err(err, ENOSPC, "network \"%s\": no free address", n->name);
	else if ((r = hvc_net_lease_write(l, err)) == 0) {
		leases_add(&ls, &cnt, l);
		if ((r = hvc_net_sync_lease_locked(l->net, l->n_ports > 0, ls, cnt, err)) < 0) {
			_cleanup_free_ char *p = hvc_net_lease_path(l->net, l->addr);
			unlink(p);
		}
	}
	hvc_net_leases_free(ls, cnt);
	return r;
}

int hvc_net_lease_alloc(const struct hvc_net *n, struct hvc_net_lease *l, struct hvc_error *err)
{
	snprintf(l->net, sizeof(l->net), "%s", n->name);
	if (!l->holder) {
		l->holder = getpid();
		l->holder_start = hvc_ctr_proc_start_time(l->holder);
	}
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/networks/%s/leases", hvc_root(), n->name);
	if (access(dir, F_OK) < 0 && hvc_mkdir_p(dir, 0755, err) < 0)
		return -1;
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	return alloc_locked(n, l, err);
}

static int release_locked(const char *net, uint32_t addr, const char *owner,
			  struct hvc_error *err)
{
	struct hvc_net_lease *ls = NULL;
	size_t cnt = 0, i = 0;
	if (hvc_net_lease_list(net, &ls, &cnt, err) < 0)
		return -1;
	while (i < cnt && ls[i].addr != addr)
		i++;
	/* absent, or reused by another instance since: not ours to release */
	int r = 0;
	if (i < cnt && !strcmp(ls[i].owner, owner)) {
		bool has_ports = ls[i].n_ports > 0;
		_cleanup_free_ char *p = hvc_net_lease_path(net, addr);
		hvc_net_lease_clear(&ls[i]);
		ls[i] = ls[--cnt];
		if (unlink(p) < 0 && errno != ENOENT)
			r = hvc_err(err, errno, "remove lease `%s`", p);
		else
			r = hvc_net_sync_lease_locked(net, has_ports, ls, cnt, err);
	}
	hvc_net_leases_free(ls, cnt);
	return r;
}

int hvc_net_lease_release(const char *net, uint32_t addr, const char *owner, struct hvc_error *err)
{
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	return release_locked(net, addr, owner, err);
}

int hvc_net_lease_set_holder(const char *net, uint32_t addr, const char *owner, pid_t holder,
			     struct hvc_error *err)
{
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	_cleanup_free_ char *p = hvc_net_lease_path(net, addr);
	struct hvc_net_lease l;
	if (hvc_net_lease_read(p, &l, NULL) < 0)
		return 0;
	int rc = 0;
	if (!strcmp(l.owner, owner)) {
		l.holder = holder;
		l.holder_start = hvc_ctr_proc_start_time(holder);
		rc = hvc_net_lease_write(&l, err);
	}
	hvc_net_lease_clear(&l);
	return rc;
}

int hvc_net_lease_find(const char *owner, struct hvc_net_lease *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ struct hvc_net *nets = NULL;
	size_t n = 0;
	if (hvc_net_list(&nets, &n, err) < 0)
		return -1;
	int found = 0;
	for (size_t i = 0; i < n && !found; i++) {
		struct hvc_net_lease *ls = NULL;
		size_t cnt = 0;
		if (hvc_net_lease_list(nets[i].name, &ls, &cnt, err) < 0)
			return -1;
		for (size_t j = 0; j < cnt && !found; j++)
			if (!strcmp(ls[j].owner, owner)) {
				*out = ls[j];
				memset(&ls[j], 0, sizeof(ls[j]));
				found = 1;
			}
		hvc_net_leases_free(ls, cnt);
	}
	return found;
}

int hvc_net_remove(const char *name, struct hvc_error *err)
{
	struct hvc_net n;
	if (hvc_net_get(name, &n, err) < 0)
		return -1;
	_cleanup_net_lock_ int lk = hvc_net_lock(err);
	if (lk < 0)
		return -1;
	struct hvc_net_lease *l = NULL;
	size_t cnt = 0;
	if (hvc_net_lease_list(n.name, &l, &cnt, err) < 0)
		return -1;
	hvc_net_leases_free(l, cnt);
	if (cnt)
		return hvc_err(err, EBUSY, "network \"%s\" has %zu attached instance(s)", n.name,
			       cnt);
	struct hvc_error e = {0};
	hvc_net_link_delete(n.bridge, &e); /* absent (another netns, a reboot): nothing to do */
	_cleanup_free_ char *dir = hvc_net_dir(n.name);
	if (hvc_rm_rf(dir, err) < 0)
		return -1;
	return hvc_net_sync_locked(true, err);
}
