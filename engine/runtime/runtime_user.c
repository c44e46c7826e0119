/* engine/runtime/runtime_user: Docker's -u / USER semantics — "uid", "uid:gid",
 * "name", "name:group" — resolved against the container's own /etc/passwd
 * and /etc/group (read after pivot_root, never the host's). */
#include <ctype.h>
#include <string.h>
#include "runtime_internal.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Finds name (or numeric id) in a passwd/group style file: fields split by ':'. */
static bool db_find(const char *file, const char *key, bool by_id, char *fields[7])
{
	static char line[1024];
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		int n = 0;
		char *p = line;
		for (; n < 7; n++) {
			fields[n] = p;
			char *c = p ? strchr(p, ':') : NULL;
			if (c)
				*c = '\0';
			p = c ? c + 1 : NULL;
		}
		if (!fields[0] || !fields[2])
			continue;
		if (by_id ? !strcmp(fields[2], key) : !strcmp(fields[0], key))
			return true;
	}
	return false;
}

int hvc_rt_resolve_user(const char *user, uid_t *uid, gid_t *gid, char **home, struct hvc_error *err)
{
	*uid = 0;
	*gid = 0;
	if (home)
		*home = NULL;
	if (!user || !*user)
		return 0;
	_cleanup_free_ char *u = strdup(user);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	char *f[7];
	bool have_gid = false;
	if (all_digits(u)) {
		*uid = (uid_t)strtoul(u, NULL, 10);
		if (db_find("/etc/passwd", u, true, f)) {
			*gid = f[3] ? (gid_t)strtoul(f[3], NULL, 10) : 0;
			have_gid = true;
			if (home && f[5])
				*home = strdup(f[5]);
		}
	} else {
		if (!db_find("/etc/passwd", u, false, f))
			return hvc_err(err, ENOENT, "user \"%s\": no such user in the image's /etc/passwd", u);
		*uid = (uid_t)strtoul(f[2], NULL, 10);
		*gid = f[3] ? (gid_t)strtoul(f[3], NULL, 10) : 0;
		have_gid = true;
		if (home && f[5])
			*home = strdup(f[5]);
	}
	if (g) {
		if (all_digits(g)) {
			*gid = (gid_t)strtoul(g, NULL, 10);
		} else {
			if (!db_find("/etc/group", g, false, f))
				return hvc_err(err, ENOENT, "group \"%s\": no such group in the image's /etc/group", g);
			*gid = (gid_t)strtoul(f[2], NULL, 10);
		}
	} else if (!have_gid) {
		*gid = 0; /* Docker: unknown numeric uid runs with gid 0 */
	}
	return 0;
}
