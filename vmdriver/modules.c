/* vmdriver/modules: which kernel modules the guest must load, in which order.
 * A pure reader of modules.dep ("path.ko: dep1.ko dep2.ko", each dependency
 * list ordered so that the LAST entry loads first, as modprobe does) and
 * modules.builtin (modules compiled into the kernel need no loading). */
#include <string.h>
#include "hvc/vm.h"

/* "kernel/drivers/block/virtio_blk.ko" -> "virtio_blk" into buf ('-' -> '_'). */
static void module_name(const char *path, size_t len, char *buf, size_t size)
{
	const char *slash = memrchr(path, '/', len);
	const char *base = slash ? slash + 1 : path;
	size_t n = len - (size_t)(base - path);
	for (const char *ext = base; ext < path + len; ext++)
		if (*ext == '.') {
			n = (size_t)(ext - base);
			break;
		}
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = base[i] == '-' ? '_' : base[i];
	buf[n] = '\0';
}

/* The line of modules.dep describing module name, or NULL. */
static const char *find_line(const char *dep, const char *name, size_t *line_len)
{
	for (const char *p = dep; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		if (colon) {
			char n[128];
			module_name(p, (size_t)(colon - p), n, sizeof(n));
			if (!strcmp(n, name)) {
				*line_len = len;
				return p;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool is_builtin(const char *builtin, const char *name)
{
	for (const char *p = builtin; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char n[128];
		if (len) {
			module_name(p, len, n, sizeof(n));
			if (!strcmp(n, name))
				return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool have_path(char **paths, const char *p, size_t len)
{
	for (size_t i = 0; paths && paths[i]; i++)
		if (strlen(paths[i]) == len && !memcmp(paths[i], p, len))
			return true;
	return false;
}

static int resolve(const char *dep, const char *builtin, const char *name, char ***paths, int depth,
		   struct hvc_error *err)
{
	if (depth > 32)
		return hvc_err(err, ELOOP, "module `%s`: dependency chain too deep", name);
	size_t len;
	const char *line = find_line(dep, name, &len);
	if (!line) {
		if (is_builtin(builtin, name))
			return 0;
		return hvc_err(err, ENOENT, "kernel module `%s`: not in modules.dep nor built in", name);
	}
	const char *colon = memchr(line, ':', len);
	size_t self_len = (size_t)(colon - line);
	if (have_path(*paths, line, self_len))
		return 0;
	/* dependencies: load the last listed first */
	const char *deps = colon + 1, *end = line + len;
	const char *starts[64];
	size_t lens[64], n = 0;
	for (const char *p = deps; p < end && n < 64;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *q = p;
		while (q < end && *q != ' ' && *q != '\t')
			q++;
		if (q > p) {
			starts[n] = p;
			lens[n++] = (size_t)(q - p);
		}
		p = q;
	}
	for (size_t i = n; i-- > 0;) {
		char dn[128];
		module_name(starts[i], lens[i], dn, sizeof(dn));
		if (resolve(dep, builtin, dn, paths, depth + 1, err) < 0)
			return hvc_error_prefix(err, "needed by `%s`", name);
	}
	_cleanup_free_ char *self = strndup(line, self_len);
	if (!self || hvc_strv_push(paths, self) < 0)
		return hvc_err(err, ENOMEM, "module list");
	return 0;
}

int hvc_vm_modules_resolve(const char *modules_dep, const char *modules_builtin,
			   const char *const *names, char ***paths, struct hvc_error *err)
{
	for (size_t i = 0; names && names[i]; i++) {
		char n[128];
		module_name(names[i], strlen(names[i]), n, sizeof(n));
		if (resolve(modules_dep, modules_builtin, n, paths, 0, err) < 0)
			return -1;
	}
	return 0;
}
