/* engine/runtime/runtime_starting: telling a start still in progress from one
 * that was killed, for prune and reclaim (a containers/<id> without
 * state.json is one or the other).
 *
 * A start takes containers/.starting shared from before its mkdir until its
 * config.json is complete; config.json names the starting process (pid and
 * start time, the way state.json names the supervisor). So:
 *   - a complete config.json: in progress while that process lives. A child
 *     it cloned and that is still dying does not count (a lock held on the
 *     directory itself was inherited by that child, and a prune racing its
 *     death kept the directory: issue 17);
 *   - none (or half-written): prune tries .starting exclusively, without
 *     waiting (a stopped start must not hang it). Taken: no start is between
 *     its mkdir and its config write, so a look again that still finds none
 *     means the start was killed there. Busy: some start is in that window,
 *     maybe this one: left for the next prune. No age is guessed. */
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "runtime_ctr.h"

int hvc_rt_starting_lock(int how, struct hvc_error *err)
{
	_cleanup_free_ char *root = hvc_ctr_dir_root();
	_cleanup_free_ char *p = hvc_path_join(root, ".starting");
	int fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && hvc_mkdir_p(root, 0700, err) == 0)
		fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", p);
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return hvc_err(err, e, "lock `%s`", p);
	}
	return fd;
}

void hvc_rt_starter_record(json_object *cfg)
{
	json_object *st = json_object_new_object();
	hvc_json_add_int(st, "pid", getpid());
	hvc_json_add_int(st, "start", (int64_t)hvc_ctr_proc_start_time(getpid()));
	json_object_object_add(cfg, "starter", st);
}

/* 1: the starter lives; 0: it is gone (or the config names none: written
 * before starters were recorded); -1: no complete config.json. */
static int starter_alive(const char *dir)
{
	_cleanup_free_ char *p = hvc_path_join(dir, "config.json");
	_cleanup_json_ json_object *cfg = NULL;
	if (hvc_json_read_file(p, &cfg, NULL) < 0)
		return -1;
	json_object *st = hvc_json_get(cfg, "starter");
	int64_t pid = st ? hvc_json_get_int(st, "pid", 0) : 0;
	if (pid <= 0)
		return 0;
	return hvc_ctr_proc_alive((pid_t)pid, (uint64_t)hvc_json_get_int(st, "start", 0));
}

bool hvc_rt_ctr_start_in_progress(const char *dir)
{
	int alive = starter_alive(dir);
	if (alive >= 0)
		return alive;
	int lk = hvc_rt_starting_lock(LOCK_EX | LOCK_NB, NULL);
	if (lk < 0)
		return true; /* a start is in its window, or cannot tell: the next prune */
	alive = starter_alive(dir);
	close(lk);
	return alive > 0;
}
