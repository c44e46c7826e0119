/* engine/runtime/runtime_ctr: the in-memory container handle shared by
 * runtime_run.c (start, with runtime_prepare.c) and runtime_io.c (relay,
 * wait, teardown). */
#ifndef HVC_RUNTIME_CTR_H
#define HVC_RUNTIME_CTR_H

#include "runtime_internal.h"

/* The container's network (engine/runtime/runtime_net.c). */
struct hvc_rt_net {
	bool leased;                      /* lease holds an address on a bridge network */
	struct hvc_net_lease lease;
	struct hvc_net_attach_plan attach; /* the veth in the container's namespace */
	int ns_fd;                        /* the netns the child joins (bridge, container:NAME), or -1 */
	struct hvc_net_attach_job *job;   /* bridge: the namespace being made, until joined */
	uint64_t job_t0;                  /* when it was started (debug timing) */
};

struct hvc_ctr {
	const struct hvc_ctr_spec *spec; /* borrowed: outlives the handle */
	char id[HVC_CTR_ID_LEN + 1];
	char name[160];
	char hostname[72];
	char *dir, *rootfs;
	pid_t pid;
	int pidfd;
	bool tty;
	int out_r, err_r, in_w, ready_r; /* tty: out_r and in_w are the pty master */
	int deleter;                     /* --rm: hvc_rt_deleter_start()'s fd, or -1 */
	int dir_lock;                    /* flock on dir while this handle lives (hvc start, cp and rm
					  * wait for it; not how prune tells a start in progress), or -1 */
	struct hvc_rt_cgroup cg;
	struct hvc_ctr_state st;
	struct hvc_ctr_timings t;
	struct hvc_rt_net net;
};

/* --userns: container ids 0..LEN-1 are host ids BASE..BASE+LEN-1 */
enum { HVC_RT_USERNS_BASE = 100000, HVC_RT_USERNS_LEN = 65536 };

/* engine/runtime/runtime_prepare.c: the parent's steps before the clone. */
/* A fresh id, the name reserved (or "c-<id>"), the hostname. */
int hvc_rt_ctr_identity(struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err);
/* containers/<id>/{,upper,work,rootfs} (owned by the mapped root with
 * userns); sets c->dir and c->rootfs, returns the upper and work paths.
 * Removed again when it fails. Made under hvc_rt_starting_lock (shared),
 * held until config.json is written: see runtime_starting.c. */
int hvc_rt_ctr_state_dir(struct hvc_ctr *c, bool userns, char **upper, char **work, struct hvc_error *err);
/* engine/runtime/runtime_starting.c. containers/<id> without state.json
 * belongs to a start still running (its config.json names a live starter,
 * or it has no config.json yet and a start holds .starting), not to one
 * that was killed: prune and reclaim leave it alone. */
bool hvc_rt_ctr_start_in_progress(const char *dir);
/* containers/.starting, flocked with how (LOCK_SH by starts from mkdir to a
 * complete config.json; LOCK_EX | LOCK_NB by the check above); an fd to
 * close, or -1. */
int hvc_rt_starting_lock(int how, struct hvc_error *err);
/* Adds "starter": {pid, start} (this process) to a config.json object. */
void hvc_rt_starter_record(json_object *cfg);
/* containers/<id>/config.json: the spec, with id, name, hostname, created,
 * starter. */
int hvc_rt_ctr_write_config(const struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err);

/* engine/runtime/runtime_net.c: the network, before the clone. prepare:
 * the bridge, a lease and a new netns with the veth configured, made by a
 * thread (bridge: join waits for it and sets ns_fd), or the other
 * container's netns (container:, ns_fd at once); the child joins ns_fd;
 * mounts: /etc/hosts, /etc/hostname, /etc/resolv.conf bound from files;
 * release: the thread joined if still running, the lease back (safe to
 * call twice). */
int hvc_rt_net_prepare(struct hvc_ctr *c, const struct hvc_ctr_spec *s, struct hvc_error *err);
int hvc_rt_net_mounts(const struct hvc_ctr *c, struct hvc_mnt_plan *plan, struct hvc_error *err);
/* bridge: waits for the namespace prepare started in the background (the
 * rest of the start runs meanwhile) and sets ns_fd; no-op otherwise. */
int hvc_rt_net_join(struct hvc_ctr *c, struct hvc_error *err);
void hvc_rt_net_release(struct hvc_ctr *c);

/* engine/runtime/runtime_restart.c: hvc_ctr_start_again's state step: the
 * stored container's id, name, hostname, dir (locked) and upper/work, when
 * it has exited and nobody else holds it. */
int hvc_rt_ctr_reuse_state(struct hvc_ctr *c, const char *id, const struct hvc_ctr_spec *s, char **upper,
			   char **work, struct hvc_error *err);

void hvc_rt_ctr_free(struct hvc_ctr *c);
void hvc_rt_ctr_teardown(struct hvc_ctr *c, bool remove_dir);
/* Frees the name if it still points at id; with dir (a state dir about to be
 * discarded) the link is moved into it rather than unlinked. */
void hvc_rt_name_release(const char *name, const char *id, const char *dir);
/* engine/runtime/runtime_trash.c: a detached process that deletes .trash/<id>
 * once the returned fd is closed (-1: none); discard moves dir there and
 * closes deleter (starting one when it is -1). */
int hvc_rt_deleter_start(const char *id);
void hvc_rt_ctr_dir_discard(const char *dir, const char *id, int deleter);

#endif
