/* engine/net/net_internal: what the network module's files share; not part
 * of the public API (hvc/network.h). */
#ifndef HVC_NET_INTERNAL_H
#define HVC_NET_INTERNAL_H

#include "hvc/network.h"

/* $HVC_ROOT/networks, and networks/<name> */
char *hvc_net_root(void);
char *hvc_net_dir(const char *name);
/* networks/.lock, held (flock, exclusive) while definitions or leases change
 * and while the files and rules rendered from them are rewritten; released
 * by the kernel when its holder dies, so a crash never leaves it taken. */
int hvc_net_lock(struct hvc_error *err);
void hvc_net_unlock(int *fd);
#define _cleanup_net_lock_ __attribute__((cleanup(hvc_net_unlock)))

/* Lease files (net_ipam.c): networks/<net>/leases/<address>.json */
char *hvc_net_lease_path(const char *net, uint32_t addr);
int hvc_net_lease_read(const char *path, struct hvc_net_lease *l, struct hvc_error *err);
int hvc_net_lease_write(const struct hvc_net_lease *l, struct hvc_error *err);

/* Reads a definition (no default creation). */
int hvc_net_def_read(const char *name, struct hvc_net *n, struct hvc_error *err);
/* The sync, for callers already holding the lock. */
int hvc_net_sync_locked(bool force, struct hvc_error *err);
/* The sync of a change that cannot alter the table — a lease without ports,
 * once the table has been applied here: only net's hosts file, rendered from
 * ls[0..cnt) (net's leases after the change, as the caller read them under
 * the lock; sorted here), and the full sync otherwise. Saves re-reading
 * every network's leases, and this network's a second time, at each start
 * and exit. */
int hvc_net_sync_lease_locked(const char *net, bool has_ports, struct hvc_net_lease *ls,
			      size_t cnt, struct hvc_error *err);

#endif
