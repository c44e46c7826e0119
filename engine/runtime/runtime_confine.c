/* engine/runtime/runtime_confine: the one confinement of every command hvc runs
 * in a container or a build step — who it runs as, which capabilities it
 * keeps, no_new_privs and the seccomp filter. A plan is computed as data
 * (hvc_rt_confinement_plan, pure, unit-tested) and applied by one function
 * (hvc_rt_confine), used by the container's first process
 * (engine/runtime/runtime_child.c), `hvc exec` (runtime_exec.c) and a build's
 * RUN step (engine/build/build_sandbox.c).
 *
 * hvc_rt_confine may run in a child that shares its caller's memory
 * (CLONE_VM | CLONE_VFORK, see runtime_clone.c): it allocates nothing and
 * makes raw system calls only — glibc's set*id() wrappers would broadcast
 * the change to every thread of the process glibc believes this is, and
 * libcap allocates. The seccomp filter is compiled by the parent. */
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "runtime_internal.h"

void hvc_rt_confinement_plan(uid_t uid, gid_t gid, enum hvc_rt_groups groups, uint64_t caps,
			     const struct hvc_sc_bpf *seccomp, struct hvc_rt_confinement *out)
{
	*out = (struct hvc_rt_confinement){
		.uid = uid,
		.gid = gid,
		.bounding = caps,
		/* as in Docker: a non-root command keeps no capability at all */
		.caps = uid == 0 ? caps : 0,
		.no_new_privs = true,
		.seccomp = seccomp && seccomp->filter ? seccomp : NULL,
	};
	if (groups == HVC_RT_GROUPS_PRIMARY) {
		out->groups[0] = gid;
		out->n_groups = 1;
	}
}

/* Drops every capability outside keep from the bounding set (needs
 * CAP_SETPCAP). Stops at the first number this kernel does not know. */
static int drop_bounding(uint64_t keep, struct hvc_error *err)
{
	for (int c = 0; c <= 63; c++) {
		if (keep & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* beyond what this kernel knows */
				break;
			return hvc_err(err, errno, "drop capability %d from the bounding set", c);
		}
	}
	return 0;
}

/* Groups first (setgroups needs the privilege setresuid gives up). */
static int switch_ids(const struct hvc_rt_confinement *c, struct hvc_error *err)
{
	if (syscall(SYS_setgroups, c->n_groups, c->groups) < 0 || syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0 ||
	    syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0)
		return hvc_err(err, errno, "switch to user %u:%u", (unsigned)c->uid, (unsigned)c->gid);
	return 0;
}

/* permitted = effective = inheritable = caps; no ambient capabilities. The
 * kernel masks numbers it does not know. */
static int set_caps(uint64_t caps, struct hvc_error *err)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	for (int i = 0; i < 2; i++) {
		uint32_t word = (uint32_t)(caps >> (32 * i));
		d[i] = (struct __user_cap_data_struct){ .effective = word, .permitted = word, .inheritable = word };
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return hvc_err(err, errno, "set capabilities");
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

int hvc_rt_confine(const struct hvc_rt_confinement *c, struct hvc_error *err)
{
	if (drop_bounding(c->bounding, err) < 0)
		return -1;
	HVC_TRACE("caps.bounding", "PR_CAPBSET_DROP: %d capabilities left in the bounding set",
		  __builtin_popcountll(c->bounding));
	if (switch_ids(c, err) < 0)
		return -1;
	HVC_TRACE("ids", "setgroups, setresgid(%u), setresuid(%u)", (unsigned)c->gid, (unsigned)c->uid);
	if (set_caps(c->caps, err) < 0)
		return -1;
	HVC_TRACE("caps.set", "capset: permitted = effective = inheritable = %#llx (%d capabilities), ambient cleared",
		  (unsigned long long)c->caps, __builtin_popcountll(c->caps));
	if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hvc_err(err, errno, "no_new_privs");
	if (c->no_new_privs)
		HVC_TRACE("no_new_privs", "PR_SET_NO_NEW_PRIVS: no exec can gain privileges (setuid bits, file caps)");
	/* last: everything above may use calls the filter refuses */
	if (c->seccomp) {
		int rc = hvc_sc_bpf_load(c->seccomp);
		if (rc < 0)
			return hvc_err(err, -rc, "load seccomp filter");
		HVC_TRACE("seccomp", "SECCOMP_SET_MODE_FILTER: %u BPF instructions loaded", (unsigned)c->seccomp->len);
	}
	return 0;
}
