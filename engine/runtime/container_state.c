/* engine/runtime/container_state: where containers live on disk —
 * $HVC_ROOT/containers/<id>/{config.json,state.json,log,upper,work,rootfs} —
 * id/name lookup with unique prefixes, state.json, and process liveness
 * (pid + start time, so a recycled pid is never mistaken for a container). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "runtime_internal.h"

char *hvc_ctr_dir_root(void)
{
	return hvc_path_join(hvc_root(), "containers");
}

const char *hvc_rt_root_tag(void)
{
	/* FNV-1a of the state root: cgroups are named hvc/<tag>-<id>, so a prune
	 * under one root never touches the containers of another */
	static char tag[9];
	if (!tag[0]) {
		char buf[4096];
		const char *r = realpath(hvc_root(), buf) ? buf : hvc_root();
		uint32_t h = 2166136261u;
		for (; *r; r++)
			h = (h ^ (unsigned char)*r) * 16777619u;
		snprintf(tag, sizeof(tag), "%08x", h);
	}
	return tag;
}

char *hvc_rt_cgroup_name_for(const char *id)
{
	return hvc_strdup_printf("hvc/%s-%s", hvc_rt_root_tag(), id);
}

char *hvc_rt_ctr_dir(const char *id)
{
	return hvc_strdup_printf("%s/containers/%s", hvc_root(), id);
}

int hvc_ctr_list(char ***ids, struct hvc_error *err)
{
	*ids = NULL;
	_cleanup_free_ char *root = hvc_ctr_dir_root();
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return hvc_err(err, errno, "open `%s`", root);
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strlen(de->d_name) == HVC_CTR_ID_LEN)
			hvc_strv_push(ids, de->d_name);
	closedir(d);
	return 0;
}

int hvc_rt_ctr_names(char ***ids, char ***names, struct hvc_error *err)
{
	*names = NULL;
	if (hvc_ctr_list(ids, err) < 0)
		return -1;
	for (size_t i = 0; *ids && (*ids)[i]; i++) {
		_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/config.json", hvc_root(), (*ids)[i]);
		_cleanup_json_ json_object *o = NULL;
		const char *n = NULL;
		if (hvc_json_read_file(p, &o, NULL) == 0)
			n = hvc_json_get_string(o, "name");
		hvc_strv_push(names, n ? n : "");
	}
	return 0;
}

int hvc_ctr_match(const char *ref, char *const *ids, char *const *names, size_t n)
{
	if (!ref || !*ref)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) /* exact name or full id first */
		if ((names && names[i] && !strcmp(names[i], ref)) || !strcmp(ids[i], ref))
			return (int)i;
	int found = -ENOENT;
	size_t rl = strlen(ref);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(ids[i], ref, rl)) {
			if (found >= 0)
				return -EEXIST;
			found = (int)i;
		}
	return found;
}

int hvc_ctr_lookup(const char *ref, char id[HVC_CTR_ID_LEN + 1], struct hvc_error *err)
{
	_cleanup_strv_ char **ids = NULL, **names = NULL;
	if (hvc_rt_ctr_names(&ids, &names, err) < 0)
		return -1;
	int i = hvc_ctr_match(ref, ids, names, hvc_strv_len(ids));
	if (i == -EEXIST)
		return hvc_err(err, 0, "container id prefix \"%s\" is ambiguous", ref);
	if (i < 0)
		return hvc_err(err, 0, "no such container \"%s\" (try: hvc ps -a)", ref);
	snprintf(id, HVC_CTR_ID_LEN + 1, "%s", ids[i]);
	return 0;
}

const char *hvc_ctr_status_name(enum hvc_ctr_status s)
{
	switch (s) {
	case HVC_CTR_CREATED: return "created";
	case HVC_CTR_RUNNING: return "running";
	case HVC_CTR_EXITED: return "exited";
	}
	return "unknown";
}

int hvc_ctr_state_write(const char *id, const struct hvc_ctr_state *st, struct hvc_error *err)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	hvc_json_add_string(o, "status", hvc_ctr_status_name(st->status));
	hvc_json_add_int(o, "pid", st->pid);
	hvc_json_add_int(o, "pid_start", (int64_t)st->pid_start);
	hvc_json_add_int(o, "supervisor", st->supervisor);
	hvc_json_add_int(o, "supervisor_start", (int64_t)st->supervisor_start);
	hvc_json_add_int(o, "exit_code", st->exit_code);
	hvc_json_add_bool(o, "oom_killed", st->oom_killed);
	hvc_json_add_string(o, "started_at", st->started_at);
	hvc_json_add_string(o, "finished_at", st->finished_at[0] ? st->finished_at : NULL);
	hvc_json_add_string(o, "cgroup", st->cgroup);
	_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/state.json", hvc_root(), id);
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.tmp", p);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	/* rename keeps readers from seeing half a file; no fsync: state is
	 * rebuilt from the processes themselves after a crash */
	if (hvc_write_file(tmp, s, strlen(s), 0644, err) < 0)
		return -1;
	if (rename(tmp, p) < 0)
		return hvc_err(err, errno, "rename `%s`", p);
	return 0;
}

int hvc_ctr_state_read(const char *id, struct hvc_ctr_state *st, struct hvc_error *err)
{
	memset(st, 0, sizeof(*st));
	_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/state.json", hvc_root(), id);
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_read_file(p, &o, err) < 0)
		return -1;
	const char *s = hvc_json_get_string(o, "status");
	st->status = s && !strcmp(s, "running") ? HVC_CTR_RUNNING
		     : s && !strcmp(s, "exited") ? HVC_CTR_EXITED
						 : HVC_CTR_CREATED;
	st->pid = (pid_t)hvc_json_get_int(o, "pid", 0);
	st->pid_start = (uint64_t)hvc_json_get_int(o, "pid_start", 0);
	st->supervisor = (pid_t)hvc_json_get_int(o, "supervisor", 0);
	st->supervisor_start = (uint64_t)hvc_json_get_int(o, "supervisor_start", 0);
	st->exit_code = (int)hvc_json_get_int(o, "exit_code", 0);
	st->oom_killed = hvc_json_get_bool(o, "oom_killed", false);
	const char *v;
	if ((v = hvc_json_get_string(o, "started_at")))
		snprintf(st->started_at, sizeof(st->started_at), "%s", v);
	if ((v = hvc_json_get_string(o, "finished_at")))
		snprintf(st->finished_at, sizeof(st->finished_at), "%s", v);
	if ((v = hvc_json_get_string(o, "cgroup")))
		snprintf(st->cgroup, sizeof(st->cgroup), "%s", v);
	return 0;
}

int hvc_ctr_config_read(const char *id, struct hvc_ctr_spec *s, json_object **raw, struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/config.json", hvc_root(), id);
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_read_file(p, &o, err) < 0)
		return -1;
	if (s && hvc_ctr_spec_from_json(o, s, err) < 0)
		return -1;
	if (raw)
		*raw = json_object_get(o);
	return 0;
}

uint64_t hvc_ctr_proc_start_time(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *s = strrchr(buf, ')'); /* comm may hold spaces */
	if (!s)
		return 0;
	/* after ") " come fields 3..; starttime is field 22 */
	int field = 2;
	for (char *t = s + 1; *t; t++)
		if (*t == ' ' && ++field == 22)
			return strtoull(t + 1, NULL, 10);
	return 0;
}

bool hvc_ctr_proc_alive(pid_t pid, uint64_t start)
{
	if (pid <= 0)
		return false;
	uint64_t st = hvc_ctr_proc_start_time(pid);
	return st != 0 && (start == 0 || st == start);
}
