/* engine/cgroup/cgroup_plan: limits -> the list of cgroup directories and control
 * file writes, as data (STYLE rule 8). hvc_cgroup_create applies the plan;
 * tests and traces print it. Also the host-independent validation of limits
 * and cgroup names, so bad input fails before anything is created. */
#include "cgroup_internal.h"
#include <ctype.h>
#include <math.h>
#include <string.h>

/* Kernel bounds for CFS bandwidth (kernel/sched/core.c): quota >= 1 ms,
 * 1 ms <= period <= 1 s. */
#define CPU_MIN_US 1000ull
#define CPU_MAX_PERIOD_US 1000000ull
#define CPU_DEFAULT_PERIOD_US 100000ull

int hvc_cgroup_limits_set_cpus(struct hvc_cgroup_limits *l, const char *cpus, struct hvc_error *err)
{
	char *end;
	errno = 0;
	double v = cpus ? strtod(cpus, &end) : 0;
	if (!cpus || end == cpus || *end || errno || !isfinite(v) || v <= 0)
		return hvc_err(err, EINVAL,
			       "invalid --cpus \"%s\": expected a positive number such as 0.5 or 2",
			       cpus ? cpus : "");
	return hvc_cgroup_limits_set_cpus_n(l, v, err);
}

int hvc_cgroup_limits_set_cpus_n(struct hvc_cgroup_limits *l, double v, struct hvc_error *err)
{
	char cpus[32];
	snprintf(cpus, sizeof(cpus), "%g", v);
	if (!isfinite(v) || v <= 0)
		return hvc_err(err, EINVAL,
			       "invalid --cpus \"%s\": expected a positive number such as 0.5 or 2",
			       cpus);
	uint64_t period = l->cpu_period_us ? l->cpu_period_us : CPU_DEFAULT_PERIOD_US;
	double q = v * (double)period;
	if (q < (double)CPU_MIN_US)
		return hvc_err(
		    err, EINVAL,
		    "invalid --cpus \"%s\": the minimum is %.2f (1 ms per %llu us period)", cpus,
		    (double)CPU_MIN_US / (double)period, (unsigned long long)period);
	if (q > 1e15)
		return hvc_err(err, EINVAL, "invalid --cpus \"%s\": too large", cpus);
	l->cpu_period_us = period;
	l->cpu_quota_us = (uint64_t)llround(q);
	return 0;
}

/* "0-3,5,7-8": digits, commas and ranges only. */
static bool cpu_list_ok(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p;) {
		if (!isdigit((unsigned char)*p))
			return false;
		char *end;
		unsigned long a = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return false;
			unsigned long b = strtoul(p, &end, 10);
			if (b < a)
				return false;
			p = end;
		}
		if (*p == ',') {
			p++;
			if (!*p)
				return false;
		} else if (*p) {
			return false;
		}
	}
	return true;
}

int hvc_cgroup_limits_validate(const struct hvc_cgroup_limits *l, struct hvc_error *err)
{
	if (l->cpu_quota_us) {
		uint64_t period = l->cpu_period_us ? l->cpu_period_us : CPU_DEFAULT_PERIOD_US;
		if (period < CPU_MIN_US || period > CPU_MAX_PERIOD_US)
			return hvc_err(err, EINVAL,
				       "cpu period %llu us: must be between 1000 and 1000000",
				       (unsigned long long)period);
		if (l->cpu_quota_us < CPU_MIN_US)
			return hvc_err(err, EINVAL, "cpu quota %llu us: must be at least 1000",
				       (unsigned long long)l->cpu_quota_us);
	}
	if (l->cpuset_cpus[0] && !cpu_list_ok(l->cpuset_cpus))
		return hvc_err(err, EINVAL,
			       "invalid --cpuset-cpus \"%s\": expected a list such as 0-1,3",
			       l->cpuset_cpus);
	if (l->cpuset_mems[0] && !cpu_list_ok(l->cpuset_mems))
		return hvc_err(err, EINVAL,
			       "invalid --cpuset-mems \"%s\": expected a list such as 0",
			       l->cpuset_mems);
	if (l->memory_max && l->memory_max < 4096)
		return hvc_err(err, EINVAL,
			       "memory limit %llu bytes: must be at least one page (4096)",
			       (unsigned long long)l->memory_max);
	return 0;
}

static int name_validate(const char *name, struct hvc_error *err)
{
	size_t len = strlen(name);
	if (!len || len >= sizeof(((struct hvc_cgroup *)0)->name) || name[0] == '/' ||
	    name[len - 1] == '/')
		return hvc_err(
		    err, EINVAL,
		    "invalid cgroup name \"%s\": expected a relative path such as hvc/<id>", name);
	const char *c = name;
	while (*c) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return hvc_err(
			    err, EINVAL,
			    "invalid cgroup name \"%s\": empty, \".\" or \"..\" component", name);
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)c[i]) && !strchr("_.-", c[i]))
				return hvc_err(
				    err, EINVAL,
				    "invalid cgroup name \"%s\": character '%c' not allowed", name,
				    c[i]);
		c += n + (slash ? 1 : 0);
	}
	return 0;
}

/* Why a controller may be unusable, in the host's own terms. */
static int not_usable(const struct hvc_cgroup_host *h, const char *limit, const char *ctrl,
		      struct hvc_error *err)
{
	if (h->mode == HVC_CGROUP_V2)
		return hvc_err(err, EOPNOTSUPP,
			       "%s: this host cannot enforce it: the %s controller is not "
			       "available in the cgroup2 tree (`%s/cgroup.controllers`)",
			       limit, ctrl, h->unified[0] ? h->unified : h->root);
	return hvc_err(
	    err, EOPNOTSUPP,
	    "%s: this host cannot enforce it: no cgroup v1 %s hierarchy is mounted under `%s`",
	    limit, ctrl, h->root);
}

static int check_usable(const struct hvc_cgroup_host *h, const struct hvc_cgroup_limits *l,
			struct hvc_error *err)
{
	if (l->memory_max && !(h->usable & HVC_CG_MEMORY))
		return not_usable(h, "memory limit", "memory", err);
	if (l->cpu_quota_us && !(h->usable & HVC_CG_CPU))
		return not_usable(h, "cpu limit (--cpus)", "cpu", err);
	if ((l->cpuset_cpus[0] || l->cpuset_mems[0]) && !(h->usable & HVC_CG_CPUSET))
		return not_usable(h, "cpuset limit (--cpuset-cpus)", "cpuset", err);
	if (l->pids_max > 0 && !(h->usable & HVC_CG_PIDS))
		return not_usable(h, "pids limit (--pids-limit)", "pids", err);
	return 0;
}

int hvc_cgroup_build(const struct hvc_cgroup_host *h, const char *name,
		     const struct hvc_cgroup_limits *l, struct hvc_cgroup *cg,
		     struct hvc_cgroup_plan *plan, struct hvc_error *err)
{
	static const struct hvc_cgroup_limits none;
	if (!l)
		l = &none;
	memset(cg, 0, sizeof(*cg));
	plan->n = 0;
	int r;
	if ((r = name_validate(name, err)) < 0 || (r = hvc_cgroup_limits_validate(l, err)) < 0)
		return r;
	cg->be = hvc_cgroup_backend_for(h->mode);
	if (!cg->be)
		return hvc_err(err, EOPNOTSUPP,
			       "cgroups: none usable on this host (nothing mounted under `%s`)",
			       h->root);
	if ((r = check_usable(h, l, err)) < 0)
		return r;
	cg->host = *h;
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	if ((r = cg->be->layout(cg, l, err)) < 0)
		return r;
	for (size_t i = 0; i < cg->n; i++)
		if ((r = hvc_cgroup_plan_add(plan, HVC_CG_OP_MKDIR, cg->dirs[i].path, NULL, NULL,
					     NULL, NULL, err)) < 0)
			return r;
	return cg->be->plan_limits(cg, l, plan, err);
}

int hvc_cgroup_plan_create(const struct hvc_cgroup_host *h, const char *name,
			   const struct hvc_cgroup_limits *l, struct hvc_cgroup_plan *plan,
			   struct hvc_error *err)
{
	struct hvc_cgroup cg;
	return hvc_cgroup_build(h, name, l, &cg, plan, err);
}

char *hvc_cgroup_plan_format(const struct hvc_cgroup_plan *plan, const char *strip)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	size_t sl = strip ? strlen(strip) : 0;
	for (size_t i = 0; i < plan->n; i++) {
		const struct hvc_cgroup_op *op = &plan->ops[i];
		const char *p = op->path;
		if (sl && !strncmp(p, strip, sl) && p[sl] == '/')
			p += sl + 1;
		if (op->kind == HVC_CG_OP_MKDIR)
			fprintf(f, "mkdir %s\n", p);
		else if (op->kind == HVC_CG_OP_COPY)
			fprintf(f, "copy %s\n", p);
		else if (op->kind == HVC_CG_OP_BPF_DEVICES)
			fprintf(f, "bpf-devices %s %s\n", p, op->value);
		else
			fprintf(f, "write %s %s\n", p, op->value);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
