/* vmdriver/template: VM templates — a guest booted once to where hvc-init
 * waits for its command, saved by libvirt (virDomainSaveFlags) and restored
 * (virDomainRestoreFlags) by later runs, which hand hvc-init its command over
 * a virtio-serial port.
 *
 * $HVC_ROOT/vm/templates/<key>/: save.img (libvirt's save image: the domain
 * XML + QEMU's migration stream), meta.json (written last: a template
 * without it is half-made), console.log and cmd.sock (the paths the saved
 * domain names, so they are fixed per template; the socket is
 * /run/hvc-tpl-<hash of the directory>.sock when the directory's path is too
 * long for a unix socket's). The key names what the
 * saved guest depends on — image digest, kernel, machine, memory, vCPUs,
 * accelerator — plus a hash of what must match for a restore to be right
 * (the boot artifact, which names hvc-init's digest; QEMU's binary; libvirt's
 * and hvc's versions): a template made by another of these is never found
 * under the current key, and `hvc vm template prune` removes it.
 *
 * One restored guest per saved image at a time: libvirt restores a saved
 * domain under its saved name and UUID only (its ABI check refuses others).
 * So a template has slots (the key's last part, -s<N>), each a saved guest
 * of its own with its own name: a run takes the first slot whose lock
 * (.<key>.lock beside the directory) is free, and builds that slot when it
 * is not made yet — N runs at once make and then reuse N slots. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <openssl/evp.h>
#include "vm-internal.h"

#ifndef HVC_VERSION
#define HVC_VERSION "unknown"
#endif

static char *templates_dir(void)
{
	_cleanup_free_ char *vm = hvc_path_join(hvc_root(), "vm");
	return hvc_path_join(vm, "templates");
}

/* QEMU's identity without running it (`qemu --version` costs a fork+exec
 * per run): path, size and modification time of the binary. */
static char *qemu_identity(void)
{
	struct hvc_error ig = {0};
	_cleanup_free_ char *q = hvc_vm_qemu_binary(&ig);
	struct stat st;
	if (!q || stat(q, &st) < 0)
		return hvc_xstrdup("none");
	return hvc_strdup_printf("%s@%lld:%lld", q, (long long)st.st_size,
				 (long long)st.st_mtim.tv_sec);
}

/* What a restore depends on besides the key's readable part. */
static char *versions_input(void)
{
	char lv[64] = "";
	struct hvc_error ig = {0};
	hvc_vm_libvirt_version(lv, sizeof(lv), &ig);
	_cleanup_free_ char *q = qemu_identity();
	return hvc_strdup_printf("qemu=%s libvirt=%s hvc=%s", q, lv, HVC_VERSION);
}

static void hex_sha256(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[mdlen ? 64 : 0] = '\0';
}

char *vm_template_key(const struct vm_template_req *q, const char *versions, unsigned slot)
{
	_cleanup_free_ char *input =
	    hvc_strdup_printf("image=%s kernel=%s boot=%s machine=%s memory=%llu vcpus=%u accel=%s "
			      "cmdline=%s %s",
			      q->image_key, q->release, q->initramfs, q->machine,
			      (unsigned long long)q->memory_mib, q->vcpus, q->accel,
			      q->cmdline ? q->cmdline : "", versions);
	char h[65];
	hex_sha256(input, h);
	return hvc_strdup_printf("%.12s-%s-%s-%llum-%uc-%s-%.8s-s%u", q->image_key, q->release,
				 q->machine, (unsigned long long)q->memory_mib, q->vcpus, q->accel, h,
				 slot);
}

void vm_template_close(struct vm_template *t)
{
	if (t->lock_fd > 0)
		close(t->lock_fd); /* drops the lock */
	free(t->key);
	free(t->dir);
	free(t->name);
	free(t->save);
	free(t->console);
	free(t->sock);
	free(t->meta);
	free(t->versions);
	memset(t, 0, sizeof(*t));
}

#define MAX_SLOTS 64

/* The first slot of q's template whose lock is free, locked. */
static int lock_slot(const char *top, const struct vm_template_req *q, struct vm_template *t,
		     struct hvc_error *err)
{
	if (hvc_mkdir_p(top, 0700, err) < 0)
		return -1;
	for (unsigned slot = 0; slot < MAX_SLOTS; slot++) {
		_cleanup_free_ char *key = vm_template_key(q, t->versions, slot);
		_cleanup_free_ char *leaf = hvc_strdup_printf(".%s.lock", key);
		_cleanup_free_ char *lock = hvc_path_join(top, leaf);
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return hvc_err(err, errno, "template lock `%s`", lock);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			t->lock_fd = fd;
			t->key = steal_pointer(&key);
			return 0;
		}
		int e = errno;
		close(fd);
		if (e != EWOULDBLOCK)
			return hvc_err(err, e, "lock template `%s`", lock);
	}
	return hvc_err(err, EBUSY, "template: all %d slots are in use", MAX_SLOTS);
}

/* Opens (creating the directory) and locks a free slot of q's template. */
int vm_template_open(const struct vm_template_req *q, struct vm_template *t, struct hvc_error *err)
{
	memset(t, 0, sizeof(*t));
	_cleanup_free_ char *top = templates_dir();
	t->versions = versions_input();
	if (lock_slot(top, q, t, err) < 0)
		return -1;
	t->dir = hvc_path_join(top, t->key);
	char h[65];
	hex_sha256(t->key, h);
	t->name = hvc_strdup_printf("hvct-%.12s", h);
	t->save = hvc_path_join(t->dir, "save.img");
	t->console = hvc_path_join(t->dir, "console.log");
	t->sock = hvc_path_join(t->dir, "cmd.sock");
	t->meta = hvc_path_join(t->dir, "meta.json");
	if (strlen(t->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		/* a deep HVC_ROOT: the socket goes to /run, named for the directory */
		char hd[65];
		hex_sha256(t->dir, hd);
		free(t->sock);
		t->sock = hvc_strdup_printf("/run/hvc-tpl-%.16s.sock", hd);
	}
	return hvc_mkdir_p(t->dir, 0700, err);
}

/* Why the files of dir do not make a usable template (NULL: they do). */
static char *template_problem(const char *dir, const char *versions, json_object **meta_out)
{
	_cleanup_free_ char *meta = hvc_path_join(dir, "meta.json");
	_cleanup_free_ char *save = hvc_path_join(dir, "save.img");
	if (!hvc_path_exists(meta))
		return hvc_xstrdup("half-made (no meta.json: the save did not finish)");
	json_object *m = json_object_from_file(meta);
	if (!m)
		return hvc_xstrdup("meta.json unreadable");
	if (meta_out)
		*meta_out = json_object_get(m);
	json_object *v;
	char *why = NULL;
	struct stat st;
	int64_t want = json_object_object_get_ex(m, "save_bytes", &v) ? json_object_get_int64(v) : -1;
	if (stat(save, &st) < 0)
		why = hvc_xstrdup("save.img missing");
	else if (st.st_size != want)
		why = hvc_strdup_printf("save.img truncated (%lld of %lld bytes)",
					(long long)st.st_size, (long long)want);
	else if (versions && (!json_object_object_get_ex(m, "versions", &v) ||
			      strcmp(json_object_get_string(v), versions)))
		why = hvc_strdup_printf("made by another QEMU, libvirt or hvc (%s)",
					json_object_get_string(v));
	json_object_put(m);
	return why;
}

/* Empties the directory but for nothing: a template made anew starts clean. */
static void template_wipe(const struct vm_template *t)
{
	const char *files[] = {t->save, t->meta, t->console, t->sock};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	_cleanup_free_ char *part = hvc_strdup_printf("%s.part", t->save);
	unlink(part);
}

void vm_template_discard(const struct vm_template *t)
{
	template_wipe(t);
}

bool vm_template_usable(const struct vm_template *t)
{
	_cleanup_free_ char *why = template_problem(t->dir, t->versions, NULL);
	if (!why)
		return true;
	if (hvc_path_exists(t->meta) || hvc_path_exists(t->save))
		hvc_warn("template %s: %s; rebuilding it", t->key, why);
	template_wipe(t);
	return false;
}

/* The running template domain saved (it stops), then meta.json: the commit. */
int vm_template_save(void *dom, const struct vm_template *t, const char *image,
		     struct hvc_error *err)
{
	_cleanup_free_ char *part = hvc_strdup_printf("%s.part", t->save);
	if (virDomainSaveFlags(dom, part, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0) {
		unlink(part);
		return hvc_vm_virt_err(err, "save template `%s`", t->key);
	}
	struct stat st;
	if (stat(part, &st) < 0 || rename(part, t->save) < 0)
		return hvc_err(err, errno, "template save image `%s`", part);
	char iso[32];
	json_object *m = json_object_new_object();
	hvc_json_add_string(m, "key", t->key);
	hvc_json_add_string(m, "image", image);
	hvc_json_add_string(m, "versions", t->versions);
	hvc_json_add_int(m, "save_bytes", st.st_size);
	hvc_json_add_string(m, "created", hvc_wall_iso8601(iso, sizeof(iso)));
	const char *s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY);
	int rc = hvc_write_file_atomic(t->meta, s, strlen(s), 0600, err);
	json_object_put(m);
	return rc;
}

int vm_template_restore(void *conn, const struct vm_template *t, void **dom, struct hvc_error *err)
{
	unlink(t->sock); /* QEMU binds it anew */
	if (virDomainRestoreFlags(conn, t->save, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
		return hvc_vm_virt_err(err, "restore template `%s`", t->key);
	*dom = virDomainLookupByName(conn, t->name);
	if (!*dom)
		return hvc_vm_virt_err(err, "restored template domain `%s`", t->name);
	return 0;
}

int vm_template_handoff(const struct vm_template *t, const char *cfg, struct hvc_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", t->sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return hvc_err(err, errno, "template command channel `%s`", t->sock);
	size_t len = strlen(cfg), off = 0;
	while (off < len) {
		ssize_t w = write(fd, cfg + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return hvc_err(err, errno, "template command channel `%s`: write", t->sock);
		off += (size_t)w;
	}
	return 0;
}

/* ---- ls, rm, prune ---------------------------------------------------- */

void hvc_vm_template_info_free(struct hvc_vm_template_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].image);
		free(v[i].created);
		free(v[i].problem);
	}
	free(v);
}

static void info_fill(struct hvc_vm_template_info *e, const char *top, const char *key,
		      const char *versions)
{
	_cleanup_free_ char *dir = hvc_path_join(top, key);
	json_object *m = NULL, *v;
	e->key = hvc_xstrdup(key);
	e->problem = template_problem(dir, versions, &m);
	if (m && json_object_object_get_ex(m, "image", &v))
		e->image = hvc_xstrdup(json_object_get_string(v));
	if (m && json_object_object_get_ex(m, "created", &v))
		e->created = hvc_xstrdup(json_object_get_string(v));
	if (m && json_object_object_get_ex(m, "save_bytes", &v))
		e->bytes = (uint64_t)json_object_get_int64(v);
	json_object_put(m);
}

int hvc_vm_template_list(struct hvc_vm_template_info **out, size_t *n, struct hvc_error *err)
{
	*out = NULL;
	*n = 0;
	_cleanup_free_ char *top = templates_dir();
	_cleanup_free_ char *versions = versions_input();
	DIR *d = opendir(top);
	if (!d)
		return errno == ENOENT ? 0 : hvc_err(err, errno, "open `%s`", top);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		struct hvc_vm_template_info *nv = realloc(*out, (*n + 1) * sizeof(**out));
		if (!nv)
			break;
		*out = nv;
		memset(&nv[*n], 0, sizeof(nv[*n]));
		info_fill(&nv[*n], top, de->d_name, versions);
		(*n)++;
	}
	closedir(d);
	return 0;
}

/* Removes one template under its lock (a run restoring it finishes first). */
static int remove_key(const char *top, const char *key, struct hvc_error *err)
{
	_cleanup_free_ char *leaf = hvc_strdup_printf(".%s.lock", key);
	_cleanup_free_ char *lock = hvc_path_join(top, leaf);
	_cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return hvc_err(err, errno == EWOULDBLOCK ? EBUSY : errno,
			       "template %s is in use (a VM runs from it)", key);
	_cleanup_free_ char *dir = hvc_path_join(top, key);
	if (hvc_rm_rf(dir, err) < 0)
		return -1;
	unlink(lock);
	return 0;
}

int hvc_vm_template_remove(const char *ref, struct hvc_error *err)
{
	struct hvc_vm_template_info *v = NULL;
	size_t n = 0;
	if (hvc_vm_template_list(&v, &n, err) < 0)
		return -1;
	const char *hit = NULL;
	size_t hits = 0, rl = strlen(ref);
	for (size_t i = 0; i < n; i++)
		if (rl && !strncmp(v[i].key, ref, rl)) {
			hit = v[i].key;
			hits++;
		}
	int rc;
	_cleanup_free_ char *top = templates_dir();
	if (hits == 1)
		rc = remove_key(top, hit, err);
	else
		rc = hvc_err(err, hits ? EINVAL : ENOENT, "template \"%s\": %s", ref,
			     hits ? "ambiguous prefix (hvc vm template ls)" : "no such template");
	hvc_vm_template_info_free(v, n);
	return rc;
}

int hvc_vm_template_prune(bool all, struct hvc_error *err)
{
	struct hvc_vm_template_info *v = NULL;
	size_t n = 0;
	if (hvc_vm_template_list(&v, &n, err) < 0)
		return -1;
	_cleanup_free_ char *top = templates_dir();
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!all && !v[i].problem)
			continue;
		struct hvc_error e = {0};
		if (remove_key(top, v[i].key, &e) == 0)
			count++;
		else
			hvc_warn("%s", e.msg);
	}
	hvc_vm_template_info_free(v, n);
	return count;
}
