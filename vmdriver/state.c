/* vmdriver/state: what hvc knows about its VMs, kept in $HVC_ROOT/vms/<id>/
 * (vm.json, domain.xml, console.log, disks) so that listing, logs, inspect
 * and stats need no libvirt connection (the embedded driver admits one
 * process at a time), and so that a VM whose owning hvc process died is found
 * and reclaimed (prune) by the next hvc call. */
#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "vm-internal.h"

char *hvc_vm_state_dir(const char *id)
{
	_cleanup_free_ char *vms = hvc_path_join(hvc_root(), "vms");
	return hvc_path_join(vms, id);
}

int vm_state_write(const char *id, json_object *o, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_vm_state_dir(id);
	_cleanup_free_ char *f = hvc_path_join(dir, "vm.json");
	return hvc_json_write_file_atomic(f, o, err);
}

int vm_state_read(const char *id, json_object **o, struct hvc_error *err)
{
	_cleanup_free_ char *dir = hvc_vm_state_dir(id);
	_cleanup_free_ char *f = hvc_path_join(dir, "vm.json");
	return hvc_json_read_file(f, o, err);
}

/* Start time of a process (clock ticks since boot), 0 when it is gone. */
static unsigned long long proc_start(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *s = NULL;
	struct hvc_error err = { 0 };
	if (pid <= 0 || hvc_read_file(path, &s, NULL, &err) < 0)
		return 0;
	const char *p = strrchr(s, ')');
	unsigned long long start = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
				"%*d %*d %llu", &start) != 1)
		return 0;
	return start;
}

/* json "owner_start" pins the owner pid against reuse. */
static bool owner_alive(json_object *o)
{
	pid_t owner = (pid_t)hvc_json_get_int(o, "owner", 0);
	if (owner <= 0)
		return false;
	unsigned long long want = (unsigned long long)hvc_json_get_int(o, "owner_start", 0);
	unsigned long long have = proc_start(owner);
	return have && (!want || want == have);
}

pid_t hvc_vm_qemu_pid(const char *uri, const char *name)
{
	_cleanup_free_ char *path = NULL;
	if (hvc_vm_uri_is_embedded(uri)) {
		const char *r = strstr(uri, "root=");
		if (!r)
			return 0;
		r += 5;
		path = hvc_strdup_printf("%.*s/run/qemu/%s.pid", (int)strcspn(r, "&"), r, name);
	} else if (!strcmp(uri, "qemu:///system")) {
		path = hvc_strdup_printf("/run/libvirt/qemu/%s.pid", name);
	} else {
		return 0;
	}
	_cleanup_free_ char *s = NULL;
	struct hvc_error err = { 0 };
	if (hvc_read_file(path, &s, NULL, &err) < 0)
		return 0;
	pid_t pid = (pid_t)atoi(s);
	return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
}

static void fill_info(struct hvc_vm_info *v, const char *id, json_object *o)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	const char *name = hvc_json_get_string(o, "name");
	snprintf(v->name, sizeof(v->name), "%s", name ? name : id);
	const char *s;
	v->image = (s = hvc_json_get_string(o, "image")) ? strdup(s) : NULL;
	v->uri = (s = hvc_json_get_string(o, "uri")) ? strdup(s) : NULL;
	v->accel = (s = hvc_json_get_string(o, "accel")) ? strdup(s) : NULL;
	v->created = (s = hvc_json_get_string(o, "created")) ? strdup(s) : NULL;
	v->detached = hvc_json_get_bool(o, "detached", false);
	v->owner = owner_alive(o) ? (pid_t)hvc_json_get_int(o, "owner", 0) : 0;
	s = hvc_json_get_string(o, "status");
	v->qemu_pid = v->uri && s && !strcmp(s, "running") ? hvc_vm_qemu_pid(v->uri, v->name) : 0;
	if (s && !strcmp(s, "running") && !v->qemu_pid && hvc_vm_uri_is_embedded(v->uri))
		v->status = strdup("stopped");
	else
		v->status = strdup(s ? s : "unknown");
}

int hvc_vm_list(struct hvc_vm_info **out, size_t *n, struct hvc_error *err)
{
	*out = NULL;
	*n = 0;
	_cleanup_free_ char *vms = hvc_path_join(hvc_root(), "vms");
	struct dirent **names = NULL;
	int cnt = scandir(vms, &names, NULL, alphasort);
	if (cnt < 0)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "read `%s`", vms);
	struct hvc_vm_info *v = calloc((size_t)cnt + 1, sizeof(*v));
	size_t k = 0;
	for (int i = 0; i < cnt; i++) {
		const char *id = names[i]->d_name;
		_cleanup_json_ json_object *o = NULL;
		struct hvc_error e2 = { 0 };
		if (id[0] != '.' && vm_state_read(id, &o, &e2) == 0)
			fill_info(&v[k++], id, o);
		free(names[i]);
	}
	free(names);
	*out = v;
	*n = k;
	return 0;
}

void hvc_vm_info_free(struct hvc_vm_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		hvc_vm_info_clear(&v[i]);
	free(v);
}

int hvc_vm_find(const char *ref, struct hvc_vm_info *out, struct hvc_error *err)
{
	struct hvc_vm_info *v = NULL;
	size_t n = 0;
	if (hvc_vm_list(&v, &n, err) < 0)
		return -1;
	ssize_t hit = -1;
	int matches = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].name, ref) || !strcmp(v[i].id, ref)) {
			hit = (ssize_t)i;
			matches = 1;
			break;
		}
		if (strlen(ref) >= 3 && hvc_str_has_prefix(v[i].id, ref)) {
			hit = (ssize_t)i;
			matches++;
		}
	}
	int rc = 0;
	if (matches == 1) {
		*out = v[hit];
		memset(&v[hit], 0, sizeof(v[hit]));
	} else if (matches > 1) {
		rc = hvc_err(err, EINVAL, "VM \"%s\" is ambiguous (%d match)", ref, matches);
	} else {
		rc = hvc_err(err, ENOENT, "VM \"%s\" not found (try: hvc vm ps -a)", ref);
	}
	hvc_vm_info_free(v, n);
	return rc;
}

void hvc_vm_info_clear(struct hvc_vm_info *v)
{
	free(v->image);
	free(v->uri);
	free(v->accel);
	free(v->status);
	free(v->created);
	v->image = v->uri = v->accel = v->status = v->created = NULL;
}

static void mark(const char *id, const char *status)
{
	_cleanup_json_ json_object *o = NULL;
	struct hvc_error err = { 0 };
	if (vm_state_read(id, &o, &err) < 0)
		return;
	hvc_json_add_string(o, "status", status);
	vm_state_write(id, o, &err);
}

int hvc_vm_stop(const char *ref, struct hvc_error *err)
{
	_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
	if (hvc_vm_find(ref, &v, err) < 0)
		return -1;
	int rc = 0;
	if (v.owner > 0 && v.owner != getpid()) {
		/* the owner destroys its own domain and records the outcome */
		kill(v.owner, SIGTERM);
		for (int i = 0; i < 3000 && kill(v.owner, 0) == 0; i++)
			usleep(10000);
		if (kill(v.owner, 0) == 0)
			rc = hvc_err(err, ETIMEDOUT, "VM \"%s\": owner pid %d did not stop it", ref,
				     (int)v.owner);
	} else if (v.uri) {
		rc = hvc_vm_domain_remove(v.uri, v.name, err);
		if (rc == 0)
			mark(v.id, "exited");
	}
	return rc;
}

/* A VM's IPAM lease (hvc vm run --network bridge|NAME) goes with it. */
static void release_lease(const char *id)
{
	struct hvc_error e = { 0 };
	if (hvc_vm_net_release(id, &e) < 0)
		hvc_warn("network: release VM %s's lease: %s", id, e.msg);
}

int hvc_vm_remove(const char *ref, bool force, struct hvc_error *err)
{
	_cleanup_vm_info_ struct hvc_vm_info v = { 0 };
	if (hvc_vm_find(ref, &v, err) < 0)
		return -1;
	int rc = 0;
	bool running = v.owner > 0 || v.qemu_pid > 0;
	if (running && !force)
		rc = hvc_err(err, EBUSY, "VM \"%s\" is running (stop it first, or use rm -f)", ref);
	else if (running)
		rc = hvc_vm_stop(v.id, err);
	else if (v.uri)
		rc = hvc_vm_domain_remove(v.uri, v.name, err); /* a stopped persistent domain */
	if (rc == 0) {
		_cleanup_free_ char *dir = hvc_vm_state_dir(v.id);
		rc = hvc_rm_rf(dir, err);
	}
	if (rc == 0)
		release_lease(v.id);
	return rc;
}

int hvc_vm_prune(struct hvc_error *err)
{
	_cleanup_free_ char *vms = hvc_path_join(hvc_root(), "vms");
	struct dirent **names = NULL;
	int cnt = scandir(vms, &names, NULL, alphasort);
	if (cnt < 0)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "read `%s`", vms);
	int pruned = 0, rc = 0;
	for (int i = 0; i < cnt; i++) {
		const char *id = names[i]->d_name;
		_cleanup_json_ json_object *o = NULL;
		struct hvc_error e2 = { 0 };
		bool stale = false;
		if (id[0] != '.' && vm_state_read(id, &o, &e2) == 0) {
			const char *st = hvc_json_get_string(o, "status");
			bool detached = hvc_json_get_bool(o, "detached", false);
			bool active = st && (!strcmp(st, "creating") || !strcmp(st, "running"));
			stale = active && !detached && !owner_alive(o);
		}
		if (stale) {
			const char *uri = hvc_json_get_string(o, "uri");
			const char *name = hvc_json_get_string(o, "name");
			hvc_info("prune: VM %s (%s): its hvc process died; destroying it", id, name);
			if (uri && name && hvc_vm_domain_remove(uri, name, err) < 0) {
				rc = -1;
			} else {
				_cleanup_free_ char *dir = hvc_vm_state_dir(id);
				if (hvc_rm_rf(dir, err) < 0)
					rc = -1;
				else
					pruned++;
				release_lease(id);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc < 0 ? rc : pruned;
}
