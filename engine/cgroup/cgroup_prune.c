/* engine/cgroup/cgroup_prune: finding and reclaiming hvc cgroups whose container is
 * gone (hvc was killed, or the host rebooted mid-run is not a case: cgroupfs
 * is not persistent). Used by `hvc system prune` and by the runtime when it
 * finds state without a live process. */
#include "cgroup_internal.h"
#include <dirent.h>
#include <string.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

int hvc_cgroup_list(const struct hvc_cgroup_host *h, const char *parent, char ***names,
		    struct hvc_error *err)
{
	struct hvc_cgroup cg;
	_cleanup_free_ struct hvc_cgroup_plan *plan = malloc(sizeof(*plan));
	if (!plan)
		return hvc_err(err, ENOMEM, "list cgroups");
	int r = hvc_cgroup_build(h, parent, NULL, &cg, plan, err);
	if (r < 0)
		return r;
	cg.n = 0;
	if ((r = cg.be->layout(&cg, NULL, err)) < 0)
		return r;
	_cleanup_strv_ char **out = calloc(1, sizeof(char *));
	if (!out)
		return hvc_err(err, ENOMEM, "list cgroups");
	for (size_t i = 0; i < cg.n; i++) {
		DIR *d = opendir(cg.dirs[i].path);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			_cleanup_free_ char *n = hvc_strdup_printf("%s/%s", parent, de->d_name);
			if (!n || (!strv_has(out, n) && hvc_strv_push(&out, n) < 0)) {
				closedir(d);
				return hvc_err(err, ENOMEM, "list cgroups");
			}
		}
		closedir(d);
	}
	qsort(out, hvc_strv_len(out), sizeof(char *), cmp_str);
	*names = steal_pointer(&out);
	return 0;
}

int hvc_cgroup_reclaim(const struct hvc_cgroup_host *h, const char *parent,
		       bool (*is_live)(const char *name, void *ud), void *ud, size_t *removed,
		       struct hvc_error *err)
{
	_cleanup_strv_ char **names = NULL;
	*removed = 0;
	int r = hvc_cgroup_list(h, parent, &names, err);
	if (r < 0)
		return r;
	int first = 0;
	struct hvc_error scratch = {0};
	for (size_t i = 0; names[i]; i++) {
		if (is_live && is_live(names[i], ud))
			continue;
		struct hvc_error *e = first ? &scratch : err;
		_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
		r = hvc_cgroup_open(h, names[i], &cg, e);
		if (r == 0)
			r = hvc_cgroup_kill_all(cg, e);
		if (r == 0)
			r = hvc_cgroup_destroy(cg, e);
		if (r < 0) {
			if (!first)
				first = r;
			continue;
		}
		hvc_debug("reclaimed stale cgroup %s", names[i]);
		(*removed)++;
	}
	/* the parent goes too when nothing else uses it (EBUSY otherwise) */
	_cleanup_cgroup_ struct hvc_cgroup *pcg = NULL;
	if (hvc_cgroup_open(h, parent, &pcg, &scratch) == 0)
		for (size_t i = 0; i < pcg->n; i++)
			rmdir(pcg->dirs[i].path);
	return first;
}
