/* engine/cgroup/cgroup_detect: which cgroup layout this host has (v2, v1, hybrid or
 * none) and which controllers hvc can really use. Shared by `hvc info` and
 * the runtime's back-end choice.
 *
 * The mount table decides the mode (a directory can exist without a mount):
 *   - cgroup2 mounted at the root                     -> v2
 *   - v1 controller hierarchies, plus a cgroup2 tree  -> hybrid
 *   - v1 controller hierarchies only                  -> v1
 *   - a cgroup2 tree elsewhere and no v1 controllers  -> v2 (rooted there)
 * Only mounts at or below `root` count, so tests give fake mountinfo text that
 * names their fake tree, and the tree's files (cgroup.controllers, ...) are read
 * from there.
 *
 * Steps: scan the mount table (util/mountinfo.c) for the cgroup mounts under
 * root, read what the cgroup2 tree offers, decide the mode (pure). */
#include "hvc/cgroup.h"
#include <dirent.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ctrl_name {
	unsigned bit;
	const char *v1; /* v1 hierarchy and mount option name */
	const char *v2; /* name in cgroup.controllers ("" when not a v2 controller) */
};

static const struct ctrl_name ctrl_names[] = {
    {HVC_CG_CPU, "cpu", "cpu"},
    {HVC_CG_CPUSET, "cpuset", "cpuset"},
    {HVC_CG_MEMORY, "memory", "memory"},
    {HVC_CG_PIDS, "pids", "pids"},
    {HVC_CG_IO, "blkio", "io"},
    /* v2 freezing is a core file (cgroup.freeze), not a controller */
    {HVC_CG_FREEZER, "freezer", ""},
};

const char *hvc_cgroup_mode_name(enum hvc_cgroup_mode m)
{
	switch (m) {
	case HVC_CGROUP_V1:
		return "v1";
	case HVC_CGROUP_V2:
		return "v2";
	case HVC_CGROUP_HYBRID:
		return "hybrid";
	case HVC_CGROUP_NONE:
		break;
	}
	return "none";
}

const char *hvc_cgroup_ctrl_names(unsigned bits, char *buf, size_t len)
{
	static const char *names[] = {"cpu", "cpuset", "memory", "pids", "io", "freezer"};
	size_t n = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(bits & (1u << i)))
			continue;
		int w = snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? "," : "", names[i]);
		if (w < 0 || (size_t)w >= (len > n ? len - n : 0)) {
			if (len > n)
				buf[n] = '\0'; /* whole names only, never a cut one */
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

/* True when path is root or below it (component-wise). */
static bool path_within(const char *path, const char *root)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(path, root, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/');
}

static bool same_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

/* v1 super options "rw,cpu,cpuacct" -> HVC_CG_* bits. */
static unsigned v1_option_bits(const char *opts)
{
	unsigned bits = 0;
	for (size_t i = 0; i < sizeof(ctrl_names) / sizeof(ctrl_names[0]); i++)
		if (hvc_mount_opt_has(opts, ctrl_names[i].v1))
			bits |= ctrl_names[i].bit;
	return bits;
}

/* "cpuset cpu io memory pids" -> HVC_CG_* bits. */
static unsigned v2_list_bits(const char *list)
{
	unsigned bits = 0;
	_cleanup_free_ char *copy = strdup(list);
	if (!copy)
		return 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
		for (size_t i = 0; i < sizeof(ctrl_names) / sizeof(ctrl_names[0]); i++)
			if (ctrl_names[i].v2[0] && !strcmp(t, ctrl_names[i].v2))
				bits |= ctrl_names[i].bit;
	return bits;
}

static unsigned v2_file_bits(const char *dir, const char *file)
{
	_cleanup_free_ char *path = hvc_path_join(dir, file);
	_cleanup_free_ char *data = NULL;
	if (!path || hvc_read_file(path, &data, NULL, NULL) < 0)
		return 0;
	return v2_list_bits(data);
}

/* A v2 tree can freeze when cgroup.freeze exists below its root (the root
 * cgroup itself has none); any child will do as evidence. */
static bool v2_can_freeze(const char *dir)
{
	_cleanup_free_ char *top = hvc_path_join(dir, "cgroup.freeze");
	if (top && access(top, F_OK) == 0)
		return true;
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		_cleanup_free_ char *p = hvc_strdup_printf("%s/%s/cgroup.freeze", dir, de->d_name);
		found = p && access(p, F_OK) == 0;
	}
	closedir(d);
	return found;
}

/* The cgroup mounts under root, as the mount table lists them. */
struct cg_mounts {
	char v2[PATH_MAX]; /* the cgroup2 mount ("" when none) */
	bool v2_at_root;   /* ... mounted at root itself */
	unsigned v1_bits;  /* v1 controllers reachable as <root>/<ctrl> */
};

/* v1 controllers of a hierarchy, kept when reachable as <root>/<ctrl>, which
 * is where the v1 back-end looks for them. */
static unsigned v1_reachable_bits(const char *root, unsigned bits)
{
	unsigned usable = 0;
	for (size_t k = 0; k < sizeof(ctrl_names) / sizeof(ctrl_names[0]); k++) {
		if (!(bits & ctrl_names[k].bit))
			continue;
		_cleanup_free_ char *p = hvc_path_join(root, ctrl_names[k].v1);
		struct stat st;
		if (p && stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			usable |= ctrl_names[k].bit;
	}
	return usable;
}

/* Scans mountinfo text (split in place) for the cgroup mounts under root. */
static void scan_mounts(char *text, const char *root, struct cg_mounts *m)
{
	memset(m, 0, sizeof(*m));
	struct hvc_mountinfo_entry e;
	while (hvc_mountinfo_next(&text, &e)) {
		if (!path_within(e.target, root))
			continue;
		if (!strcmp(e.fstype, "cgroup2")) {
			/* the last cgroup2 mount wins, but one at the root always does */
			if (!m->v2_at_root) {
				snprintf(m->v2, sizeof(m->v2), "%s", e.target);
				m->v2_at_root = same_path(e.target, root);
			}
		} else if (!strcmp(e.fstype, "cgroup")) {
			m->v1_bits |= v1_reachable_bits(root, v1_option_bits(e.super_opts));
		}
	}
}

/* The mode and usable controllers from the mounts and the cgroup2 tree's
 * controllers (pure). */
static void decide_mode(const struct cg_mounts *m, struct hvc_cgroup_host *out)
{
	if (m->v2_at_root || (m->v2[0] && !m->v1_bits)) {
		out->mode = HVC_CGROUP_V2;
		out->usable = out->v2_controllers;
	} else if (m->v1_bits && m->v2[0]) {
		out->mode = HVC_CGROUP_HYBRID;
		/* a controller bound to a v1 hierarchy cannot be enabled in the v2
		 * tree, so hybrid hosts use v1 for everything hvc needs */
		out->usable = m->v1_bits;
	} else if (m->v1_bits) {
		out->mode = HVC_CGROUP_V1;
		out->usable = m->v1_bits;
	} else {
		out->mode = HVC_CGROUP_NONE;
	}
}

int hvc_cgroup_detect(const char *root, const char *mountinfo, struct hvc_cgroup_host *out,
		      struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!root || !*root)
		root = "/sys/fs/cgroup";
	if (strlen(root) >= sizeof(out->root))
		return hvc_err(err, ENAMETOOLONG, "cgroup root `%s`", root);
	snprintf(out->root, sizeof(out->root), "%s", root);

	_cleanup_free_ char *text = NULL;
	if (!mountinfo) {
		if (hvc_read_file("/proc/self/mountinfo", &text, NULL, err) < 0)
			return hvc_error_prefix(err, "detect cgroups");
	} else if (!(text = strdup(mountinfo))) { /* split in place: a copy */
		return hvc_err(err, ENOMEM, "detect cgroups");
	}
	struct cg_mounts m;
	scan_mounts(text, root, &m);
	if (m.v2[0]) {
		snprintf(out->unified, sizeof(out->unified), "%s", m.v2);
		out->v2_controllers = v2_file_bits(m.v2, "cgroup.controllers");
		if (v2_can_freeze(m.v2))
			out->v2_controllers |= HVC_CG_FREEZER;
	}
	decide_mode(&m, out);
	hvc_debug("cgroups: mode %s under `%s` (cgroup2: `%s`)", hvc_cgroup_mode_name(out->mode),
		  out->root, out->unified);
	return 0;
}
