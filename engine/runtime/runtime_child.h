/* engine/runtime/runtime_child: what the parent of a starting container
 * (runtime_run.c) hands its first process (runtime_child.c) through the
 * clone (runtime_clone.c), and the setup messages that come back. */
#ifndef HVC_RUNTIME_CHILD_H
#define HVC_RUNTIME_CHILD_H

#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include "runtime_ctr.h"

/* Setup messages, child to parent, one record each on a SOCK_SEQPACKET
 * socket that is close-on-exec: its EOF means the exec happened. */
enum hvc_rt_child_msg_type {
	HVC_RT_MSG_BORN = 'B',	 /* the child began (its timestamp: `cloned`) */
	HVC_RT_MSG_ROOTFS = 'R', /* rootfs built, pivot_root done */
	HVC_RT_MSG_ERROR = 'E',	 /* setup failed: msg, exit_hint */
	HVC_RT_MSG_PTY = 'P',	 /* carries the pty master (-t) */
	HVC_RT_MSG_USERNS = 'U', /* --userns: map my ids, then write a byte to sync */
};
struct hvc_rt_child_msg {
	char type;
	int exit_hint; /* 125 (our failure), 126/127 (the command) */
	uint64_t ts;
	char msg[1024];
};

struct hvc_rt_child {
	const struct hvc_ctr_spec *s;
	const char *rootfs, *hostname;
	char *overlay_opts; /* the child may drop HVC_OVL_VOLATILE (old kernels) */
	const struct hvc_mnt_plan *plan;
	const struct hvc_sc_bpf *seccomp;
	int init_fd; /* the sealed hvc-init memfd, or -1 (--no-init) */
	int sync_r, msg_w;
	int stdin_fd, stdout_fd, stderr_fd; /* child ends (tty: all the slave) */
	int ready_w;
	int parent_pidfd;
	int net_fd; /* --network container:NAME: the netns to join, or -1 */
	int cg_fds[8]; /* v1 `tasks` files to write "0" to */
	size_t n_cg_fds;
	bool restore_mask; /* the caller's signal mask, to restore just before exec */
	sigset_t mask;
};

/* The container's first process: builds its world, confines itself and
 * execs hvc-init (or the command). Reports failures as HVC_RT_MSG_ERROR. */
__attribute__((noreturn)) void hvc_rt_child_main(struct hvc_rt_child *a);

/* clone3 with ca->flags, running hvc_rt_child_main(a) in the child; with
 * share_vm (and where supported) in the caller's memory, as posix_spawn
 * does. The pid, or -1 with errno. */
pid_t hvc_rt_clone_child(struct clone_args *ca, struct hvc_rt_child *a, bool share_vm);

#endif
