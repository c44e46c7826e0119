/* engine/runtime/runtime_ctr: the in-memory container handle shared by
 * runtime_run.c (start) and runtime_io.c (relay, wait, teardown). */
#ifndef HVC_RUNTIME_CTR_H
#define HVC_RUNTIME_CTR_H

#include "runtime_internal.h"

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
	struct hvc_rt_cgroup cg;
	struct hvc_ctr_state st;
	struct hvc_ctr_timings t;
};

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
