/* engine/runtime/runtime_internal: functions shared between the runtime's files
 * (engine/runtime/runtime_*.c, container_*.c) and the build sandbox's
 * (engine/build/build_sandbox.c); not part of the public API. */
#ifndef HVC_RUNTIME_INTERNAL_H
#define HVC_RUNTIME_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>
#include "hvc/container.h"
#include "hvc/trace.h"

/* confinement (engine/runtime/runtime_confine.c): who the command runs as
 * and what it may still do, as data; one apply for the container's init,
 * `hvc exec` and a build's RUN step. */
enum hvc_rt_groups {
	HVC_RT_GROUPS_NONE,    /* no supplementary groups (docker build's RUN) */
	HVC_RT_GROUPS_PRIMARY, /* the primary gid as the only one (hvc run, exec) */
};
struct hvc_rt_confinement {
	uid_t uid;
	gid_t gid;
	gid_t groups[1];                  /* supplementary groups: the first n_groups */
	size_t n_groups;
	uint64_t bounding;                /* capabilities left in the bounding set */
	uint64_t caps;                    /* permitted = effective = inheritable */
	bool no_new_privs;
	const struct hvc_sc_bpf *seccomp; /* compiled by the parent; NULL: none */
};
/* Pure: the confinement of a command run as uid:gid with the capability set caps. */
void hvc_rt_confinement_plan(uid_t uid, gid_t gid, enum hvc_rt_groups groups, uint64_t caps,
			     const struct hvc_sc_bpf *seccomp, struct hvc_rt_confinement *out);
/* Applies it: bounding set, groups and ids, capabilities, no_new_privs,
 * seccomp — in that order, with raw system calls and no allocation (safe in
 * a child sharing its caller's memory). Call it last before exec. */
int hvc_rt_confine(const struct hvc_rt_confinement *c, struct hvc_error *err);

/* seccomp: the default profile for a capability set as BPF, from the same
 * cache as hvc_sc_bpf_for_spec (engine/runtime/runtime_seccomp.c). */
int hvc_sc_bpf_default(uint64_t caps, struct hvc_sc_bpf *out, struct hvc_error *err);

/* mounts: executes a plan under rootfs (an absolute path in the current,
 * private mount namespace), then pivot_roots into it. */
int hvc_rt_mounts_apply(const struct hvc_mnt_plan *plan, const char *rootfs, bool userns,
			struct hvc_error *err);
int hvc_rt_pivot_root(const char *rootfs, bool read_only, struct hvc_error *err);
/* Appends /sys/fs/cgroup as the host mounts it (mountinfo: the text of
 * /proc/self/mountinfo), read-only: cgroup2, or v1's tmpfs and a mount per
 * hierarchy; in the container's cgroup namespace each shows its own cgroup
 * as the root (Docker's default). Pure. */
int hvc_mnt_plan_add_cgroup(struct hvc_mnt_plan *plan, const char *mountinfo, struct hvc_error *err);
/* Opens (creating as needed: dirs, or an empty file when !dir) rel inside
 * rootfd, never leaving it through symlinks or "..". Returns an O_PATH fd. */
int hvc_rt_open_in_root(int rootfd, const char *rel, bool create, bool dir, struct hvc_error *err);

/* cgroup: the runtime's one entry into cgroups (engine/runtime/runtime_cgroup.c) */
struct hvc_cgroup;
struct hvc_rt_cgroup {
	char name[128];         /* "hvc/<root-tag>-<id>" */
	struct hvc_cgroup *cg;  /* NULL when it exists nowhere */
};
int hvc_rt_cgroup_create(const char *id, const struct hvc_ctr_limits *l, struct hvc_rt_cgroup *cg,
			 struct hvc_error *err);
int hvc_rt_cgroup_attach(const struct hvc_rt_cgroup *cg, pid_t pid, struct hvc_error *err);
/* Kills what is left inside and removes the directories. Counts killed processes. */
int hvc_rt_cgroup_destroy(struct hvc_rt_cgroup *cg, unsigned *killed);
void hvc_rt_cgroup_release(struct hvc_rt_cgroup *cg);
/* The cheap way in (no cgroup_threadgroup_rwsem write, so no RCU grace
 * period): the child writes "0" to each v1 hierarchy's `tasks` (it is a
 * single thread) and enters the cgroup2 part through clone3's
 * CLONE_INTO_CGROUP with *v2fd (-1 when there is none). */
int hvc_rt_cgroup_enter_fds(const struct hvc_rt_cgroup *cg, int fds[8], size_t *n, int *v2fd,
			    struct hvc_error *err);
/* Rebuilds the handle from a stored name (for lifecycle commands). */
void hvc_rt_cgroup_from_name(const char *name, struct hvc_rt_cgroup *cg);
int hvc_rt_cgroup_dir(const struct hvc_rt_cgroup *cg, const char *ctrl, char *buf, size_t len);
int hvc_rt_cgroup_stats(const struct hvc_rt_cgroup *cg, struct hvc_ctr_stats *st);
bool hvc_rt_cgroup_oom_killed(const struct hvc_rt_cgroup *cg);
/* Lists "hvc/<id>" cgroup names present on the host. */
int hvc_rt_cgroup_list(char ***names);

/* user resolution inside the container root (after pivot_root) */
int hvc_rt_resolve_user(const char *user, uid_t *uid, gid_t *gid, char **home, struct hvc_error *err);

/* state dir helpers; cgroup name of a container under this root */
const char *hvc_rt_root_tag(void);
char *hvc_rt_cgroup_name_for(const char *id);
char *hvc_rt_ctr_dir(const char *id);
int hvc_rt_ctr_names(char ***ids, char ***names, struct hvc_error *err);

/* hvc-init as a sealed memfd (CVE-2019-5736 class defence) */
int hvc_rt_init_memfd(struct hvc_error *err);

/* trace events that take more than a line (engine/runtime/runtime_trace.c);
 * call only when hvc_trace_on(). clone: clone3's flags in words, then the
 * relay of the child's events to relay_w begins. */
void hvc_rt_trace_confinement_plan(const struct hvc_ctr_spec *s, const struct hvc_sc_bpf *sc);
void hvc_rt_trace_clone(uint64_t flags, bool share_vm, int relay_w);
/* The child's first message: its host pid, stamped with the child's own
 * time of birth (earlier than any event it relays), then what it relayed
 * so far — so the trace stays in time order while both run. */
void hvc_rt_trace_born(pid_t pid, uint64_t ts, int relay_r);
/* The network mode; on a bridge, the lease and the veth pair to come. */
struct hvc_ctr;
void hvc_rt_trace_network(const struct hvc_ctr *c);

#endif
