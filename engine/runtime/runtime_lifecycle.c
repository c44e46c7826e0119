/* engine/runtime/runtime_lifecycle: operations on stored containers — kill, stop,
 * wait, rm, stats — and reclaiming what a killed hvc left behind (stale
 * state, cgroups, stray mounts). A container is "running" while both its
 * init and its supervisor (the hvc process or -d supervisor that waits for
 * it) exist; the supervisor records the exit and tears down. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "runtime_internal.h"
#include "runtime_ctr.h"

static int pidfd_of(pid_t pid, uint64_t start)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	/* the pid may have been reused between reading state and opening */
	if (!hvc_ctr_proc_alive(pid, start)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for a pidfd to become readable (process gone); false on timeout. */
static bool pidfd_wait(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;
	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

static int read_running(const char *id, struct hvc_ctr_state *st, struct hvc_error *err)
{
	if (hvc_ctr_reclaim_if_stale(id, err) < 0)
		return -1;
	if (hvc_ctr_state_read(id, st, err) < 0)
		return -1;
	if (st->status != HVC_CTR_RUNNING || !hvc_ctr_proc_alive(st->pid, st->pid_start))
		return hvc_err(err, 0, "container %.12s is not running", id);
	return 0;
}

int hvc_ctr_kill(const char *id, int sig, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	if (read_running(id, &st, err) < 0)
		return -1;
	int fd = pidfd_of(st.pid, st.pid_start);
	if (fd < 0)
		return hvc_err(err, 0, "container %.12s is not running", id);
	int r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	int e = errno;
	close(fd);
	if (r < 0)
		return hvc_err(err, e, "signal %d to container %.12s", sig, id);
	return 0;
}

/* Waits until the supervisor has recorded the exit (it exits after teardown). */
static int wait_supervisor(const struct hvc_ctr_state *st, int timeout_ms)
{
	int fd = pidfd_of(st->supervisor, st->supervisor_start);
	if (fd < 0)
		return 0;
	bool done = pidfd_wait(fd, timeout_ms);
	close(fd);
	return done ? 0 : -1;
}

int hvc_ctr_stop(const char *id, int timeout_s, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	if (hvc_ctr_reclaim_if_stale(id, err) < 0 || hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	if (st.status != HVC_CTR_RUNNING)
		return 0; /* Docker: stopping a stopped container succeeds */
	int fd = pidfd_of(st.pid, st.pid_start);
	if (fd >= 0) {
		syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
		if (!pidfd_wait(fd, timeout_s * 1000)) {
			syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
			pidfd_wait(fd, 10000);
		}
		close(fd);
	}
	if (wait_supervisor(&st, 10000) < 0)
		return hvc_err(err, ETIMEDOUT, "container %.12s: its supervisor did not finish", id);
	return hvc_ctr_reclaim_if_stale(id, err) < 0 ? -1 : 0;
}

int hvc_ctr_wait_exit(const char *id, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	if (hvc_ctr_reclaim_if_stale(id, err) < 0 || hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	if (st.status == HVC_CTR_RUNNING) {
		wait_supervisor(&st, -1);
		if (hvc_ctr_reclaim_if_stale(id, err) < 0)
			return -1;
		_cleanup_free_ char *dir = hvc_rt_ctr_dir(id);
		if (!hvc_path_exists(dir))
			return 0; /* --rm: gone with its status */
		if (hvc_ctr_state_read(id, &st, err) < 0)
			return -1;
	}
	return st.exit_code;
}

static void remove_files(const char *id)
{
	_cleanup_free_ char *dir = hvc_rt_ctr_dir(id);
	_cleanup_free_ char *cfg = hvc_path_join(dir, "config.json");
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_read_file(cfg, &o, NULL) == 0)
		hvc_rt_name_release(hvc_json_get_string(o, "name"), id, dir);
	_cleanup_free_ char *rootfs = hvc_path_join(dir, "rootfs");
	umount2(rootfs, MNT_DETACH);
	hvc_rt_ctr_dir_discard(dir, id, -1);
}

/* A lease its supervisor could not release (killed): back to the pool. */
static void release_network(const char *id)
{
	struct hvc_net_lease l;
	if (hvc_net_lease_find(id, &l, NULL) == 1)
		hvc_net_lease_release(l.net, l.addr, id, NULL);
	hvc_net_lease_clear(&l);
}

/* A stopped container's dir is flocked while `hvc start` starts it again
 * or `hvc cp` copies into it (and, as for every container, by its
 * supervisor until the handle is freed, just after the exit is recorded):
 * wait for the lock, briefly, so that rm never deletes it under them. */
static bool dir_lock_free(const char *dir, int timeout_ms)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int waited = 0; fd >= 0; waited += 10) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return flock(fd, LOCK_UN), true;
		if (waited >= timeout_ms)
			return false;
		usleep(10000);
	}
	return true;
}

int hvc_ctr_remove(const char *id, bool force, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	if (hvc_ctr_reclaim_if_stale(id, err) < 0)
		return -1;
	_cleanup_free_ char *dir = hvc_rt_ctr_dir(id);
	if (!hvc_path_exists(dir))
		return 0;
	if (hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	if (st.status != HVC_CTR_RUNNING && !dir_lock_free(dir, 3000))
		return hvc_err(err, EBUSY, "container %.12s is being started again or copied to: try again", id);
	if (st.status != HVC_CTR_RUNNING && hvc_ctr_state_read(id, &st, err) < 0) /* may be running now */
		return -1;
	if (st.status == HVC_CTR_RUNNING) {
		if (!force)
			return hvc_err(err, 0, "container %.12s is running: stop it first or use rm -f", id);
		if (hvc_ctr_kill(id, SIGKILL, NULL) == 0 || true)
			wait_supervisor(&st, 10000);
		hvc_ctr_reclaim_if_stale(id, NULL);
	}
	if (st.cgroup[0]) {
		struct hvc_rt_cgroup cg;
		hvc_rt_cgroup_from_name(st.cgroup, &cg);
		hvc_rt_cgroup_destroy(&cg, NULL);
	}
	release_network(id);
	remove_files(id);
	return 0;
}

int hvc_ctr_stats_read(const char *id, struct hvc_ctr_stats *s, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	if (hvc_ctr_state_read(id, &st, err) < 0)
		return -1;
	memset(s, 0, sizeof(*s));
	if (st.status != HVC_CTR_RUNNING || !st.cgroup[0])
		return 0;
	struct hvc_rt_cgroup cg;
	hvc_rt_cgroup_from_name(st.cgroup, &cg);
	int r = hvc_rt_cgroup_stats(&cg, s);
	hvc_rt_cgroup_release(&cg);
	return r;
}

int hvc_ctr_reclaim_if_stale(const char *id, struct hvc_error *err)
{
	struct hvc_ctr_state st;
	_cleanup_free_ char *dir = hvc_rt_ctr_dir(id);
	if (!hvc_path_exists(dir))
		return 0;
	if (hvc_ctr_state_read(id, &st, NULL) < 0) {
		/* no state.json: a start that was killed before it wrote one. Leave
		 * it alone unless the config is old enough to be abandoned. */
		_cleanup_free_ char *cfgp = hvc_path_join(dir, "config.json");
		if (!hvc_rt_ctr_start_in_progress(dir)) {
			struct hvc_rt_cgroup cg;
			_cleanup_free_ char *name = hvc_rt_cgroup_name_for(id);
			hvc_rt_cgroup_from_name(name, &cg);
			hvc_rt_cgroup_destroy(&cg, NULL);
			remove_files(id);
			return 1;
		}
		(void)cfgp;
		return 0;
	}
	if (st.status == HVC_CTR_EXITED)
		return 0;
	if (hvc_ctr_proc_alive(st.supervisor, st.supervisor_start))
		return 0;
	/* the supervisor is gone: its init died with it (PDEATHSIG); reclaim */
	if (st.cgroup[0]) {
		struct hvc_rt_cgroup cg;
		hvc_rt_cgroup_from_name(st.cgroup, &cg);
		hvc_rt_cgroup_destroy(&cg, NULL);
	}
	struct hvc_ctr_spec spec;
	bool rm = false;
	if (hvc_ctr_config_read(id, &spec, NULL, NULL) == 0) {
		rm = spec.rm;
		hvc_ctr_spec_free(&spec);
	}
	if (rm) {
		remove_files(id);
		return 1;
	}
	_cleanup_free_ char *rootfs = hvc_path_join(dir, "rootfs");
	umount2(rootfs, MNT_DETACH);
	st.status = HVC_CTR_EXITED;
	st.exit_code = 137;
	hvc_wall_iso8601(st.finished_at, sizeof(st.finished_at));
	if (hvc_ctr_state_write(id, &st, err) < 0)
		return -1;
	return 1;
}

/* Stale containers reclaimed; with all, exited ones removed too. */
static void prune_containers(bool all, struct hvc_ctr_prune_report *r, char **ids)
{
	for (size_t i = 0; ids && ids[i]; i++) {
		int s = hvc_ctr_reclaim_if_stale(ids[i], NULL);
		struct hvc_ctr_state st;
		_cleanup_free_ char *dir = hvc_rt_ctr_dir(ids[i]);
		bool gone = !hvc_path_exists(dir);
		if (s > 0 && gone) {
			r->containers++;
			continue;
		}
		if (!gone && all && hvc_ctr_state_read(ids[i], &st, NULL) == 0 && st.status == HVC_CTR_EXITED) {
			hvc_ctr_remove(ids[i], false, NULL);
			r->containers++;
		} else if (s > 0) {
			r->containers++;
		}
	}
}

/* Whether the cgroup of container id (of this root) still has a use. */
static bool cgroup_in_use(const char *id)
{
	struct hvc_ctr_state st;
	_cleanup_free_ char *dir = hvc_rt_ctr_dir(id);
	if (!hvc_path_exists(dir))
		return false;
	if (hvc_ctr_state_read(id, &st, NULL) == 0)
		return st.status == HVC_CTR_RUNNING;
	/* a start in progress has no state yet: leave it alone */
	return hvc_rt_ctr_start_in_progress(dir);
}

/* cgroups of this root whose container is gone or not running. */
static void prune_cgroups(struct hvc_ctr_prune_report *r)
{
	_cleanup_strv_ char **cgs = NULL;
	hvc_rt_cgroup_list(&cgs);
	/* only this root's cgroups: "hvc/<tag>-<id>" */
	_cleanup_free_ char *mine = hvc_rt_cgroup_name_for("");
	for (size_t i = 0; cgs && cgs[i]; i++) {
		if (!hvc_str_has_prefix(cgs[i], mine) || cgroup_in_use(cgs[i] + strlen(mine)))
			continue;
		struct hvc_rt_cgroup cg;
		hvc_rt_cgroup_from_name(cgs[i], &cg);
		if (hvc_rt_cgroup_destroy(&cg, &r->processes) == 0)
			r->cgroups++;
	}
}

/* Overlay mounts left in this namespace (a start killed mid-way never
 * leaves one: rootfs mounts live in the container's own namespace). */
static void prune_mounts(struct hvc_ctr_prune_report *r)
{
	_cleanup_free_ char *mi = NULL;
	size_t len;
	_cleanup_free_ char *prefix = hvc_strdup_printf("%s/containers/", hvc_root());
	if (hvc_read_file("/proc/self/mountinfo", &mi, &len, NULL) < 0)
		return;
	char *text = mi;
	struct hvc_mountinfo_entry e;
	/* the shared reader decodes \040 and friends: a root with a space in
	 * its path is matched too */
	while (hvc_mountinfo_next(&text, &e))
		if (hvc_str_has_prefix(e.target, prefix) && umount2(e.target, MNT_DETACH) == 0)
			r->mounts++;
}

int hvc_ctr_prune(bool all, struct hvc_ctr_prune_report *r, struct hvc_error *err)
{
	memset(r, 0, sizeof(*r));
	_cleanup_strv_ char **ids = NULL;
	if (hvc_ctr_list(&ids, err) < 0)
		return -1;
	prune_containers(all, r, ids);
	prune_cgroups(r);
	/* state dirs whose deletion a crash interrupted */
	_cleanup_free_ char *trash = hvc_strdup_printf("%s/containers/.trash", hvc_root());
	if (hvc_path_exists(trash))
		hvc_rm_rf(trash, NULL);
	prune_mounts(r);
	return 0;
}
