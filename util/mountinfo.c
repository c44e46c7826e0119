/* util/mountinfo: the one reader of the kernel's mount table format
 * (/proc/<pid>/mountinfo, proc(5)). Pure: it splits text the caller read (or
 * a test wrote) in place, so the cgroup detector runs on fake tables.
 *
 * Why not libmount: it was tried (commit cdc27e3) and measured on the hot
 * path it sits on — cgroup detection runs on every `hvc run` — where its load
 * (libmount, libblkid, libselinux, libpcre2, and libselinux's start-up probes)
 * cost 1.1M instructions and 58 syscalls more than this file
 * (docs/cgroups.md, "Detection"). */
#include "hvc/util.h"
#include <string.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* The next space-separated field of *s (NUL-terminated in place), or NULL. */
static char *next_field(char **s)
{
	char *p = *s;
	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	char *end = strchr(p, ' ');
	if (end) {
		*end = '\0';
		*s = end + 1;
	} else {
		*s = p + strlen(p);
	}
	return p;
}

/* "id parent maj:min root target vfs-opts [optional...] - fstype source super-opts" */
static bool parse_line(char *line, struct hvc_mountinfo_entry *e)
{
	char *sep = strstr(line, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	char *head = line, *tail = sep + 3, *f[6];
	for (int i = 0; i < 6; i++)
		f[i] = next_field(&head); /* f[3] root, f[4] target, f[5] vfs options */
	if (!f[4])
		return false;
	char *fstype = next_field(&tail), *source = next_field(&tail), *super = next_field(&tail);
	if (!super)
		return false;
	unescape_octal(f[3]);
	unescape_octal(f[4]);
	unescape_octal(source);
	*e = (struct hvc_mountinfo_entry){.root = f[3],
					  .target = f[4],
					  .vfs_opts = f[5] ? f[5] : "",
					  .fstype = fstype,
					  .source = source,
					  .super_opts = super};
	return true;
}

bool hvc_mountinfo_next(char **text, struct hvc_mountinfo_entry *e)
{
	while (*text && **text) {
		char *line = *text, *nl = strchr(line, '\n');
		if (nl) {
			*nl = '\0';
			*text = nl + 1;
		} else {
			*text = line + strlen(line);
		}
		if (parse_line(line, e))
			return true;
	}
	return false;
}

bool hvc_mount_opt_has(const char *opts, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = opts; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return true;
		p = end ? end + 1 : p + len;
	}
	return false;
}
