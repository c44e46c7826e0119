/* guest/workload-storage: what storage a directory is on, seen from inside
 * the instance — the file system type (statfs), and the mount that holds it
 * from /proc/self/mountinfo (mount point, source, type, per-mount and
 * superblock options, so an overlay's "volatile" or a "sync" mount shows).
 * fileio reports it next to its figures (docs/workloads.md). libc only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "workload.h"

const char *wl_fs_name(unsigned long type)
{
	switch (type) {
	case 0xEF53:
		return "ext4";
	case 0x58465342:
		return "xfs";
	case 0x01021994:
		return "tmpfs";
	case 0x794c7630:
		return "overlayfs";
	case 0x9123683E:
		return "btrfs";
	case 0x6969:
		return "nfs";
	case 0x01021997:
		return "9p";
	case 0x65735546:
		return "fuse"; /* virtiofs too: mount_fstype tells them apart */
	case 0x2fc12fc1:
		return "zfs";
	case 0x858458f6:
		return "ramfs";
	default:
		return NULL;
	}
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Is mount point mp a path prefix of path (on a component boundary)? */
static size_t prefix_len(const char *mp, const char *path)
{
	size_t n = strlen(mp);
	if (!strcmp(mp, "/"))
		return 1;
	if (strncmp(mp, path, n) || (path[n] != '/' && path[n] != '\0'))
		return 0;
	return n;
}

/* name matches "name" and "name=anything"; "name=value" matches only itself. */
static bool has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = opts; *p;) {
		size_t len = strcspn(p, ",");
		if ((len == n || (len > n && p[n] == '=')) && !strncmp(p, name, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* One mountinfo line into m; -1 when it does not parse. */
static int parse_line(char *line, unsigned *maj, unsigned *min, struct wl_mount *m)
{
	char *f[6], *save = NULL;
	int i;
	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -1;
	}
	if (sscanf(f[2], "%u:%u", maj, min) != 2)
		return -1;
	char *tok;
	while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-"))
		; /* optional fields (shared:N, master:N) */
	char *type = strtok_r(NULL, " ", &save), *source = strtok_r(NULL, " ", &save),
	     *super = strtok_r(NULL, " \n", &save);
	if (!tok || !type || !source || !super)
		return -1;
	unescape(f[4]);
	unescape(source);
	snprintf(m->point, sizeof(m->point), "%s", f[4]);
	snprintf(m->fstype, sizeof(m->fstype), "%s", type);
	snprintf(m->source, sizeof(m->source), "%s", source);
	snprintf(m->options, sizeof(m->options), "%s", f[5]);
	snprintf(m->super_options, sizeof(m->super_options), "%s", super);
	/* From the whole strings: a long overlay lowerdir= may be cut above. */
	/* overlayfs shows "volatile" on older kernels, "fsync=volatile" on newer ones. */
	m->volatile_ = has_option(super, "volatile") || has_option(f[5], "volatile") ||
		       has_option(super, "fsync=volatile");
	m->sync = has_option(f[5], "sync") || has_option(super, "sync") ||
		  has_option(f[5], "dirsync") || has_option(super, "dirsync");
	m->ro = has_option(f[5], "ro");
	return 0;
}

int wl_mountinfo_find(const char *buf, unsigned maj, unsigned min, const char *path,
		      struct wl_mount *out)
{
	/* Prefer the device's mount whose point is the longest prefix of path
	 * (bind mounts share a device); else the longest prefix of any device
	 * (btrfs subvolumes report their own st_dev); later lines win ties
	 * (they are mounted on top). */
	size_t best_dev = 0, best_any = 0;
	struct wl_mount m, by_dev = {0}, by_path = {0};
	while (*buf) {
		size_t len = strcspn(buf, "\n");
		char *line = strndup(buf, len);
		buf += len + (buf[len] == '\n');
		unsigned lmaj, lmin;
		int bad = !line || parse_line(line, &lmaj, &lmin, &m) < 0;
		free(line);
		if (bad)
			continue;
		size_t p = prefix_len(m.point, path);
		if (lmaj == maj && lmin == min && p + 1 >= best_dev) {
			best_dev = p + 1;
			by_dev = m;
		}
		if (p && p >= best_any) {
			best_any = p;
			by_path = m;
		}
	}
	if (best_dev) {
		*out = by_dev;
		snprintf(out->match, sizeof(out->match), "device");
	} else if (best_any) {
		*out = by_path;
		snprintf(out->match, sizeof(out->match), "path");
	} else {
		return -1;
	}
	return 0;
}

static char *read_mountinfo(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len + 1 < cap)
			break;
		char *grown = realloc(buf, cap *= 2);
		if (!grown)
			free(buf);
		buf = grown;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

int wl_storage_probe(const char *dir, struct wl_storage *s, char *err, size_t errlen)
{
	*s = (struct wl_storage){0};
	struct statfs sfs;
	struct stat st;
	if (statfs(dir, &sfs) < 0 || stat(dir, &st) < 0) {
		snprintf(err, errlen, "directory `%s`: %s", dir, strerror(errno));
		return -1;
	}
	s->fs_magic = (unsigned long)sfs.f_type;
	const char *name = wl_fs_name(s->fs_magic);
	if (name)
		snprintf(s->fs, sizeof(s->fs), "%s", name);
	else
		snprintf(s->fs, sizeof(s->fs), "0x%lx", s->fs_magic);
	char path[4096];
	if (!realpath(dir, path))
		snprintf(path, sizeof(path), "%s", dir);
	char *info = read_mountinfo();
	if (info &&
	    wl_mountinfo_find(info, major(st.st_dev), minor(st.st_dev), path, &s->mount) == 0)
		s->have_mount = true;
	free(info);
	return 0;
}

void wl_result_storage(struct wl_result *r, const struct wl_storage *s)
{
	char magic[24];
	snprintf(magic, sizeof(magic), "0x%lx", s->fs_magic);
	wl_result_str(r, "fs_magic", magic);
	const struct wl_mount *m = &s->mount;
	wl_result_str(r, "mount_match", s->have_mount ? m->match : "none");
	wl_result_str(r, "mount_point", m->point);
	wl_result_str(r, "mount_source", m->source);
	wl_result_str(r, "mount_fstype", m->fstype);
	wl_result_str(r, "mount_options", m->options);
	wl_result_str(r, "mount_super_options", m->super_options);
	wl_result_bool(r, "mount_volatile", m->volatile_);
	wl_result_bool(r, "mount_sync", m->sync);
	wl_result_bool(r, "mount_ro", m->ro);
}
