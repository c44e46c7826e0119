/* engine/runtime/container_options: Docker-style option values (`hvc run
 * --cpus 1.5`, `-v /a:/b:ro`, `--security-opt seccomp=unconfined`, ...)
 * validated and recorded in a container spec. The CLI only matches option
 * names; what a value means for the container, and which values are
 * refused, is decided here, once, where it is unit-tested. Messages name
 * the option as the user typed it. */
#include "hvc/container.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the kernel's overlay, pivot_root and hvc-init need a few MiB to start */
#define MEMORY_MIN (6u << 20)
#define CPUS_MAX 1024.0

int hvc_ctr_opt_memory(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	uint64_t bytes;
	if (hvc_parse_size(arg, &bytes, err) < 0)
		return hvc_error_prefix(err, "--memory");
	if (bytes < MEMORY_MIN)
		return hvc_err(err, 0, "--memory \"%s\": the minimum is 6m", arg);
	s->limits.memory = bytes;
	return 0;
}

int hvc_ctr_opt_cpus(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	char *end;
	double v = strtod(arg, &end);
	if (*end || !(v > 0.0) || !isfinite(v) || v > CPUS_MAX)
		return hvc_err(err, 0, "--cpus \"%s\": not a positive number", arg);
	s->limits.cpus = v;
	return 0;
}

int hvc_ctr_opt_cpuset(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	if (!*arg || strspn(arg, "0123456789,-") != strlen(arg))
		return hvc_err(err, 0, "--cpuset-cpus \"%s\": not a CPU list like 0-1,3", arg);
	free(s->limits.cpuset);
	s->limits.cpuset = hvc_xstrdup(arg);
	return 0;
}

int hvc_ctr_opt_pids(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	char *end;
	long long v = strtoll(arg, &end, 10);
	if (*end || v < -1 || v == 0)
		return hvc_err(err, 0, "--pids-limit \"%s\": not a positive number", arg);
	s->limits.pids = v < 0 ? 0 : v; /* Docker: -1 is unlimited */
	return 0;
}


static bool is_no_new_privileges(const char *arg)
{
	return !strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges:true") ||
	       !strcmp(arg, "no-new-privileges=true");
}

int hvc_ctr_opt_security(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	if (is_no_new_privileges(arg))
		return 0; /* always on in hvc */
	if (!strcmp(arg, "seccomp=unconfined") || !strcmp(arg, "seccomp:unconfined")) {
		s->seccomp = HVC_CTR_SECCOMP_UNCONFINED;
		return 0;
	}
	if (!hvc_str_has_prefix(arg, "seccomp=") && !hvc_str_has_prefix(arg, "seccomp:"))
		return hvc_err(err, 0,
			       "--security-opt \"%s\": unsupported (seccomp=unconfined|FILE.json, "
			       "no-new-privileges)",
			       arg);
	const char *file = arg + strlen("seccomp=");
	/* absolute now: the supervisor and `hvc exec` read it from elsewhere */
	char *abs = realpath(file, NULL);
	if (!abs)
		return hvc_err(err, errno, "seccomp profile `%s`", file);
	s->seccomp = HVC_CTR_SECCOMP_FILE;
	free(s->seccomp_file);
	s->seccomp_file = abs;
	return 0;
}

int hvc_ctr_opt_workdir(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	if (arg[0] != '/')
		return hvc_err(err, 0, "working directory \"%s\" must be absolute", arg);
	free(s->workdir);
	s->workdir = hvc_xstrdup(arg);
	return 0;
}

static void add_volume(struct hvc_ctr_spec *s, const struct hvc_ctr_volume *v)
{
	s->vols = hvc_xrealloc(s->vols, s->n_vols + 1, sizeof(*s->vols));
	s->vols[s->n_vols++] = *v;
}

int hvc_ctr_opt_volume(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	struct hvc_ctr_volume v;
	if (hvc_ctr_volume_parse(arg, true, &v, err) < 0)
		return -1;
	add_volume(s, &v);
	return 0;
}

int hvc_ctr_opt_tmpfs(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	if (arg[0] != '/')
		return hvc_err(err, 0, "--tmpfs \"%s\": path must be absolute", arg);
	/* Docker's PATH:OPTIONS: the options are not supported and ignored */
	struct hvc_ctr_volume v = {.dst = hvc_xstrdup(arg), .tmpfs = true};
	v.dst[strcspn(v.dst, ":")] = '\0';
	add_volume(s, &v);
	return 0;
}

static int caps_change(uint64_t *caps, char *const *names, bool add, struct hvc_error *err)
{
	for (size_t i = 0; names && names[i]; i++) {
		uint64_t b = 0;
		if (hvc_ctr_cap_parse(names[i], &b, err) < 0)
			return hvc_error_prefix(err, add ? "--cap-add" : "--cap-drop");
		*caps = add ? *caps | b : *caps & ~b;
	}
	return 0;
}

int hvc_ctr_opt_caps(struct hvc_ctr_spec *s, char *const *add, char *const *drop,
		     struct hvc_error *err)
{
	/* every --cap-add first, then every --cap-drop, whatever their order on
	 * the line: a drop always wins */
	if (caps_change(&s->caps, add, true, err) < 0 ||
	    caps_change(&s->caps, drop, false, err) < 0)
		return -1;
	return 0;
}
