/* bench/bundle: an image exported as an OCI runtime bundle (rootfs/ +
 * config.json) so peer runtimes (runc, crun) run the very same bytes as hvc's
 * own container and VM. The config generator is pure; the writer flattens the
 * image through the store API. The security set-up mirrors hvc's container
 * defaults where the OCI spec can say it (namespaces, Docker's 14
 * capabilities, masked and read-only paths, no_new_privs). */
#include "hvc/bench_harness.h"
#include <string.h>
#include <unistd.h>

static const char *const default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static json_object *strv(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *mount(const char *dst, const char *type, const char *src,
			  const char *const *opts)
{
	json_object *m = json_object_new_object();
	hvc_json_add_string(m, "destination", dst);
	hvc_json_add_string(m, "type", type);
	hvc_json_add_string(m, "source", src);
	if (opts)
		json_object_object_add(m, "options", strv(opts));
	return m;
}

/* "1000", "1000:1000"; names cannot be resolved without the rootfs' passwd,
 * so they are refused rather than silently run as root. */
static int parse_user(const char *u, int64_t *uid, int64_t *gid, struct hvc_error *err)
{
	*uid = *gid = 0;
	if (!u || !*u)
		return 0;
	char *end;
	long a = strtol(u, &end, 10);
	if (end == u || (*end && *end != ':') || a < 0)
		return hvc_err(err, EINVAL,
			       "image user \"%s\": only numeric uid[:gid] is supported in a bundle",
			       u);
	*uid = *gid = a;
	if (*end == ':') {
		const char *g = end + 1;
		long b = strtol(g, &end, 10);
		if (end == g || *end || b < 0)
			return hvc_err(
			    err, EINVAL,
			    "image user \"%s\": only numeric uid[:gid] is supported in a bundle",
			    u);
		*gid = b;
	}
	return 0;
}

/* process.args: the options' args, else the image's entrypoint + cmd. */
static json_object *process_args(const struct hvc_image_config *img,
				 const struct hvc_bench_bundle_opts *o)
{
	json_object *args = json_object_new_array();
	if (o && o->args && o->args[0]) {
		for (char **a = o->args; *a; a++)
			json_object_array_add(args, json_object_new_string(*a));
		return args;
	}
	for (char **a = img ? img->entrypoint : NULL; a && *a; a++)
		json_object_array_add(args, json_object_new_string(*a));
	for (char **a = img ? img->cmd : NULL; a && *a; a++)
		json_object_array_add(args, json_object_new_string(*a));
	return args;
}

static json_object *process_env(const struct hvc_image_config *img)
{
	json_object *env = json_object_new_array();
	bool has_path = false;
	for (char **e = img ? img->env : NULL; e && *e; e++) {
		has_path |= hvc_str_has_prefix(*e, "PATH=");
		json_object_array_add(env, json_object_new_string(*e));
	}
	if (!has_path)
		json_object_array_add(
		    env, json_object_new_string(
			     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	return env;
}

static int oci_process(const struct hvc_image_config *img, const struct hvc_bench_bundle_opts *o,
		       json_object **out, struct hvc_error *err)
{
	int64_t uid, gid;
	if (parse_user(img ? img->user : NULL, &uid, &gid, err) < 0)
		return -1;
	_cleanup_json_ json_object *args = process_args(img, o);
	if (json_object_array_length(args) == 0)
		return hvc_err(err, EINVAL,
			       "the image has no entrypoint or cmd and no command was given");
	json_object *proc = json_object_new_object();
	hvc_json_add_bool(proc, "terminal", o && o->terminal);
	json_object *user = json_object_new_object();
	hvc_json_add_int(user, "uid", uid);
	hvc_json_add_int(user, "gid", gid);
	json_object_object_add(proc, "user", user);
	json_object_object_add(proc, "args", steal_pointer(&args));
	json_object_object_add(proc, "env", process_env(img));
	const char *cwd = img && img->workdir && *img->workdir ? img->workdir : "/";
	hvc_json_add_string(proc, "cwd", o && o->volume_path ? o->volume_path : cwd);
	json_object *caps = json_object_new_object();
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	for (size_t i = 0; i < 3; i++)
		json_object_object_add(caps, sets[i], strv(default_caps));
	json_object_object_add(proc, "capabilities", caps);
	/* no rlimits: the instance inherits the host's, as native does */
	hvc_json_add_bool(proc, "noNewPrivileges", true);
	*out = proc;
	return 0;
}

static json_object *oci_mounts(const struct hvc_bench_bundle_opts *o)
{
	json_object *ms = json_object_new_array();
	if (o && o->volume_host && o->volume_path)
		/* a volume, as `-v HOST:PATH` (listed first: the list is mount order) */
		json_object_array_add(ms, mount(o->volume_path, "bind", o->volume_host,
						(const char *const[]){"rbind", "rw", NULL}));
	json_object_array_add(ms, mount("/proc", "proc", "proc", NULL));
	json_object_array_add(ms, mount("/dev", "tmpfs", "tmpfs",
					(const char *const[]){"nosuid", "strictatime", "mode=755",
							      "size=65536k", NULL}));
	json_object_array_add(
	    ms, mount("/dev/pts", "devpts", "devpts",
		      (const char *const[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666",
					    "mode=0620", "gid=5", NULL}));
	json_object_array_add(ms, mount("/dev/shm", "tmpfs", "shm",
					(const char *const[]){"nosuid", "noexec", "nodev",
							      "mode=1777", "size=65536k", NULL}));
	json_object_array_add(ms, mount("/dev/mqueue", "mqueue", "mqueue",
					(const char *const[]){"nosuid", "noexec", "nodev", NULL}));
	json_object_array_add(
	    ms, mount("/sys", "sysfs", "sysfs",
		      (const char *const[]){"nosuid", "noexec", "nodev", "ro", NULL}));
	return ms;
}

/* linux.resources: no device access, the cpuset when given. */
static json_object *oci_resources(const struct hvc_bench_bundle_opts *o)
{
	json_object *res = json_object_new_object();
	json_object *dev = json_object_new_object();
	hvc_json_add_bool(dev, "allow", false);
	hvc_json_add_string(dev, "access", "rwm");
	json_object *devs = json_object_new_array();
	json_object_array_add(devs, dev);
	json_object_object_add(res, "devices", devs);
	if (o && o->cpus) {
		json_object *cpu = json_object_new_object();
		hvc_json_add_string(cpu, "cpus", o->cpus);
		json_object_object_add(res, "cpu", cpu);
	}
	return res;
}

static json_object *oci_linux(const struct hvc_bench_bundle_opts *o)
{
	json_object *lx = json_object_new_object();
	json_object_object_add(lx, "resources", oci_resources(o));
	if (o && o->cgroups_path)
		hvc_json_add_string(lx, "cgroupsPath", o->cgroups_path);
	json_object *ns = json_object_new_array();
	static const char *const nss[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
	for (size_t i = 0; i < 6; i++) {
		json_object *n = json_object_new_object();
		hvc_json_add_string(n, "type", nss[i]);
		json_object_array_add(ns, n);
	}
	json_object_object_add(lx, "namespaces", ns);
	json_object_object_add(lx, "maskedPaths",
			       strv((const char *const[]){
				   "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
				   "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
				   "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL}));
	json_object_object_add(
	    lx, "readonlyPaths",
	    strv((const char *const[]){"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
				       "/proc/sysrq-trigger", NULL}));
	return lx;
}

int hvc_bench_oci_config(const struct hvc_image_config *img, const struct hvc_bench_bundle_opts *o,
			 json_object **out, struct hvc_error *err)
{
	json_object *proc = NULL;
	if (oci_process(img, o, &proc, err) < 0)
		return -1;
	json_object *c = json_object_new_object();
	hvc_json_add_string(c, "ociVersion", "1.0.2");
	json_object_object_add(c, "process", proc);
	json_object *root = json_object_new_object();
	hvc_json_add_string(root, "path", "rootfs");
	hvc_json_add_bool(root, "readonly", false);
	json_object_object_add(c, "root", root);
	hvc_json_add_string(c, "hostname", "hvc");
	json_object_object_add(c, "mounts", oci_mounts(o));
	json_object_object_add(c, "linux", oci_linux(o));
	*out = c;
	return 0;
}

int hvc_bench_bundle_write(const char *image_ref, const char *dir,
			   const struct hvc_bench_bundle_opts *o, struct hvc_error *err)
{
	struct hvc_image_store *s = NULL;
	struct hvc_image *img = NULL;
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *rootfs = hvc_path_join(dir, "rootfs");
	_cleanup_free_ char *cfgp = hvc_path_join(dir, "config.json");
	int ret = -1;
	bool created_dir = false;
	if (hvc_path_exists(dir)) {
		_cleanup_free_ char *probe = hvc_path_join(dir, "config.json");
		if (hvc_path_exists(probe) || hvc_path_exists(rootfs))
			return hvc_err(err, EEXIST, "bundle directory `%s` already holds a bundle",
				       dir);
	} else {
		if (hvc_mkdir_p(dir, 0755, err) < 0)
			return -1;
		created_dir = true;
	}
	if (hvc_image_store_open(hvc_root(), &s, err) < 0)
		goto out;
	if (hvc_image_resolve(s, image_ref, &img, err) < 0)
		goto out;
	if (hvc_bench_oci_config(&img->config, o, &cfg, err) < 0) {
		hvc_error_prefix(err, "image \"%s\"", image_ref);
		goto out;
	}
	if (hvc_image_flatten(s, img, rootfs, err) < 0)
		goto out;
	if (hvc_json_write_file_atomic(cfgp, cfg, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		struct hvc_error e = {0};
		if (created_dir)
			hvc_rm_rf(dir, &e);
		else {
			hvc_rm_rf(rootfs, &e);
			unlink(cfgp);
		}
	}
	if (img)
		hvc_image_free(img);
	if (s)
		hvc_image_store_close(s);
	return ret;
}
