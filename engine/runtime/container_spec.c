/* engine/runtime/container_spec: the container spec as data — defaults, Docker's rules
 * for combining the image config with command-line options, env files,
 * volume specs, and the spec's json form (config.json). Pure: no syscalls. */
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>
#include "hvc/container.h"
#include "hvc/image.h"

void hvc_ctr_spec_init(struct hvc_ctr_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->init = true;
	s->caps = hvc_ctr_caps_default();
}

void hvc_ctr_spec_free(struct hvc_ctr_spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->image_ref);
	free(s->image_digest);
	hvc_strv_free(s->lowerdirs);
	hvc_strv_free(s->argv);
	hvc_strv_free(s->env);
	free(s->workdir);
	free(s->user);
	free(s->hostname);
	free(s->seccomp_file);
	free(s->network);
	free(s->ports);
	for (size_t i = 0; i < s->n_vols; i++) {
		free(s->vols[i].src);
		free(s->vols[i].dst);
	}
	free(s->vols);
	free(s->limits.cpuset);
	hvc_image_store_close(s->image_hold);
	memset(s, 0, sizeof(*s));
}

static ssize_t env_find(char **env, const char *key, size_t klen)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, klen) && env[i][klen] == '=')
			return (ssize_t)i;
	return -1;
}

int hvc_ctr_env_set(char ***env, const char *kv, struct hvc_error *err)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *owned = NULL;
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
	if (klen == 0)
		return hvc_err(err, 0, "environment variable \"%s\" has no name", kv);
	if (!eq) {
		/* Docker: "-e K" takes K from the host environment, or drops it */
		const char *v = getenv(kv);
		if (!v)
			return 0;
		owned = hvc_strdup_printf("%s=%s", kv, v);
		kv = owned;
	}
	ssize_t i = env_find(*env, kv, klen);
	if (i >= 0) {
		char *dup = strdup(kv);
		if (!dup)
			return hvc_err(err, ENOMEM, "env");
		free((*env)[i]);
		(*env)[i] = dup;
		return 0;
	}
	if (hvc_strv_push(env, kv) < 0)
		return hvc_err(err, ENOMEM, "env");
	return 0;
}

int hvc_ctr_env_file_parse(const char *buf, char ***env, struct hvc_error *err)
{
	const char *p = buf;
	unsigned lineno = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = strndup(p, n);
		if (!line)
			return hvc_err(err, ENOMEM, "env file");
		lineno++;
		p += n + (nl ? 1 : 0);
		char *t = hvc_str_trim(line);
		if (!*t || *t == '#')
			continue;
		if (*t == '=' || isspace((unsigned char)*t))
			return hvc_err(err, 0, "env file line %u: \"%s\" has no variable name", lineno, t);
		if (hvc_ctr_env_set(env, t, err) < 0)
			return hvc_error_prefix(err, "env file line %u", lineno);
	}
	return 0;
}

int hvc_ctr_volume_parse(const char *s, bool check_host, struct hvc_ctr_volume *v, struct hvc_error *err)
{
	memset(v, 0, sizeof(*v));
	_cleanup_free_ char *copy = hvc_xstrdup(s);
	char *parts[4] = { 0 };
	int n = 0;
	for (char *tok = copy, *save = NULL; n < 4 && (tok = strtok_r(tok == copy ? copy : NULL, ":", &save));
	     tok = NULL)
		parts[n++] = tok;
	if (n < 2 || n > 3 || strchr(s, ':') == s || strstr(s, "::"))
		return hvc_err(err, 0, "bad volume \"%s\": expected HOST:CONTAINER[:ro|rw]", s);
	if (parts[0][0] != '/')
		return hvc_err(err, 0, "bad volume \"%s\": host path \"%s\" must be absolute (named volumes are not supported)", s, parts[0]);
	if (parts[1][0] != '/')
		return hvc_err(err, 0, "bad volume \"%s\": container path \"%s\" must be absolute", s, parts[1]);
	if (!strcmp(parts[1], "/"))
		return hvc_err(err, 0, "bad volume \"%s\": cannot mount over the container's root", s);
	if (n == 3) {
		if (!strcmp(parts[2], "ro"))
			v->ro = true;
		else if (strcmp(parts[2], "rw"))
			return hvc_err(err, 0, "bad volume \"%s\": mode \"%s\" is not ro or rw", s, parts[2]);
	}
	if (check_host) {
		struct stat st;
		if (stat(parts[0], &st) < 0)
			return hvc_err(err, errno, "bad volume \"%s\": host path `%s`", s, parts[0]);
	}
	v->src = hvc_xstrdup(parts[0]);
	v->dst = hvc_xstrdup(parts[1]);
	return 0;
}

bool hvc_ctr_name_valid(const char *name)
{
	if (!name || !isalnum((unsigned char)name[0]) || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

static int strv_append_all(char ***dst, char *const *src)
{
	for (size_t i = 0; src && src[i]; i++)
		if (hvc_strv_push(dst, src[i]) < 0)
			return -1;
	return 0;
}

int hvc_ctr_spec_apply_image(struct hvc_ctr_spec *s, char *const *img_env, char *const *img_entrypoint,
			     char *const *img_cmd, const char *img_workdir, const char *img_user,
			     char *const *cmd_override, char *const *entrypoint_override,
			     struct hvc_error *err)
{
	/* env: image first, then the user's on top (s->env holds the user's) */
	_cleanup_strv_ char **env = NULL;
	for (size_t i = 0; img_env && img_env[i]; i++)
		if (strchr(img_env[i], '=') && hvc_ctr_env_set(&env, img_env[i], err) < 0)
			return -1;
	for (size_t i = 0; s->env && s->env[i]; i++)
		if (hvc_ctr_env_set(&env, s->env[i], err) < 0)
			return -1;
	if (env_find(env, "PATH", 4) < 0 &&
	    hvc_strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
		return hvc_err(err, ENOMEM, "env");
	if (env_find(env, "HOSTNAME", 8) < 0 && s->hostname) {
		_cleanup_free_ char *h = hvc_strdup_printf("HOSTNAME=%s", s->hostname);
		if (hvc_strv_push(&env, h) < 0)
			return hvc_err(err, ENOMEM, "env");
	}
	if (env_find(env, "HOME", 4) < 0 && hvc_strv_push(&env, "HOME=/root") < 0)
		return hvc_err(err, ENOMEM, "env");
	hvc_strv_free(s->env);
	s->env = steal_pointer(&env);

	/* Docker: an --entrypoint override resets the image's Cmd; a command
	 * given on the line replaces Cmd; Entrypoint is prepended. */
	char *const *ep = entrypoint_override ? entrypoint_override : img_entrypoint;
	char *const *cmd = cmd_override && cmd_override[0] ? cmd_override : (entrypoint_override ? NULL : img_cmd);
	_cleanup_strv_ char **argv = NULL;
	if (strv_append_all(&argv, ep) < 0 || strv_append_all(&argv, cmd) < 0)
		return hvc_err(err, ENOMEM, "argv");
	if (!argv || !argv[0] || !argv[0][0])
		return hvc_err(err, 0, "no command: the image has no Entrypoint or Cmd and none was given");
	hvc_strv_free(s->argv);
	s->argv = steal_pointer(&argv);

	if (!s->workdir)
		s->workdir = hvc_xstrdup(img_workdir && *img_workdir ? img_workdir : "/");
	if (s->workdir[0] != '/')
		return hvc_err(err, 0, "working directory \"%s\" must be absolute", s->workdir);
	if (!s->user && img_user && *img_user)
		s->user = hvc_xstrdup(img_user);
	return 0;
}

/* ---------- json ------------------------------------------------------- */

static char **strv_from_json(json_object *a)
{
	if (!a || !json_object_is_type(a, json_type_array))
		return NULL;
	char **v = NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		hvc_strv_push(&v, json_object_get_string(json_object_array_get_idx(a, i)));
	return v;
}

static char *dup_or_null(const char *s)
{
	return s ? hvc_xstrdup(s) : NULL;
}

json_object *hvc_ctr_spec_to_json(const struct hvc_ctr_spec *s)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "name", s->name);
	hvc_json_add_string(o, "image", s->image_ref);
	hvc_json_add_string(o, "image_digest", s->image_digest);
	json_object_object_add(o, "lowerdirs", hvc_json_strv_array(s->lowerdirs));
	json_object_object_add(o, "argv", hvc_json_strv_array(s->argv));
	json_object_object_add(o, "env", hvc_json_strv_array(s->env));
	hvc_json_add_string(o, "workdir", s->workdir);
	hvc_json_add_string(o, "user", s->user);
	hvc_json_add_string(o, "hostname", s->hostname);
	hvc_json_add_bool(o, "tty", s->tty);
	hvc_json_add_bool(o, "interactive", s->interactive);
	hvc_json_add_bool(o, "detach", s->detach);
	hvc_json_add_bool(o, "rm", s->rm);
	hvc_json_add_bool(o, "read_only", s->read_only);
	hvc_json_add_bool(o, "userns", s->userns);
	hvc_json_add_bool(o, "init", s->init);
	char net[128];
	hvc_json_add_string(o, "network", hvc_ctr_network_format(s, net, sizeof(net)));
	json_object_object_add(o, "ports", hvc_ctr_ports_to_json(s));
	char caps[1024];
	hvc_json_add_string(o, "caps", hvc_ctr_caps_format(s->caps, caps, sizeof(caps)));
	hvc_json_add_string(o, "seccomp", s->seccomp == HVC_CTR_SECCOMP_DEFAULT ? "default"
					   : s->seccomp == HVC_CTR_SECCOMP_UNCONFINED ? "unconfined"
										      : "file");
	hvc_json_add_string(o, "seccomp_file", s->seccomp_file);
	json_object *vols = json_object_new_array();
	for (size_t i = 0; i < s->n_vols; i++) {
		json_object *v = json_object_new_object();
		hvc_json_add_string(v, "src", s->vols[i].src);
		hvc_json_add_string(v, "dst", s->vols[i].dst);
		hvc_json_add_bool(v, "ro", s->vols[i].ro);
		hvc_json_add_bool(v, "tmpfs", s->vols[i].tmpfs);
		json_object_array_add(vols, v);
	}
	json_object_object_add(o, "volumes", vols);
	json_object *l = json_object_new_object();
	hvc_json_add_int(l, "memory", (int64_t)s->limits.memory);
	hvc_json_add_double(l, "cpus", s->limits.cpus);
	hvc_json_add_string(l, "cpuset", s->limits.cpuset);
	hvc_json_add_int(l, "pids", s->limits.pids);
	json_object_object_add(o, "limits", l);
	return o;
}

static void vols_from_json(json_object *vols, struct hvc_ctr_spec *s)
{
	size_t nv = vols && json_object_is_type(vols, json_type_array) ? json_object_array_length(vols) : 0;
	if (!nv)
		return;
	s->vols = hvc_xcalloc(nv, sizeof(*s->vols));
	for (size_t i = 0; i < nv; i++) {
		json_object *v = json_object_array_get_idx(vols, i);
		s->vols[i].src = dup_or_null(hvc_json_get_string(v, "src"));
		s->vols[i].dst = dup_or_null(hvc_json_get_string(v, "dst"));
		s->vols[i].ro = hvc_json_get_bool(v, "ro", false);
		s->vols[i].tmpfs = hvc_json_get_bool(v, "tmpfs", false);
	}
	s->n_vols = nv;
}

int hvc_ctr_spec_from_json(json_object *o, struct hvc_ctr_spec *s, struct hvc_error *err)
{
	hvc_ctr_spec_init(s);
	s->name = dup_or_null(hvc_json_get_string(o, "name"));
	s->image_ref = dup_or_null(hvc_json_get_string(o, "image"));
	s->image_digest = dup_or_null(hvc_json_get_string(o, "image_digest"));
	s->lowerdirs = strv_from_json(hvc_json_get(o, "lowerdirs"));
	s->argv = strv_from_json(hvc_json_get(o, "argv"));
	s->env = strv_from_json(hvc_json_get(o, "env"));
	s->workdir = dup_or_null(hvc_json_get_string(o, "workdir"));
	s->user = dup_or_null(hvc_json_get_string(o, "user"));
	s->hostname = dup_or_null(hvc_json_get_string(o, "hostname"));
	s->tty = hvc_json_get_bool(o, "tty", false);
	s->interactive = hvc_json_get_bool(o, "interactive", false);
	s->detach = hvc_json_get_bool(o, "detach", false);
	s->rm = hvc_json_get_bool(o, "rm", false);
	s->read_only = hvc_json_get_bool(o, "read_only", false);
	s->userns = hvc_json_get_bool(o, "userns", false);
	s->init = hvc_json_get_bool(o, "init", true);
	const char *net = hvc_json_get_string(o, "network");
	if (net && hvc_ctr_opt_network(s, net, err) < 0)
		return -1;
	if (hvc_ctr_ports_from_json(hvc_json_get(o, "ports"), s, err) < 0)
		return -1;
	const char *caps = hvc_json_get_string(o, "caps");
	s->caps = 0;
	if (caps && *caps) {
		_cleanup_free_ char *c = hvc_xstrdup(caps);
		char *save = NULL;
		for (char *t = strtok_r(c, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (hvc_ctr_cap_parse(t, &s->caps, err) < 0)
				return -1;
	}
	const char *sc = hvc_json_get_string(o, "seccomp");
	s->seccomp = !sc || !strcmp(sc, "default") ? HVC_CTR_SECCOMP_DEFAULT
		     : !strcmp(sc, "unconfined")   ? HVC_CTR_SECCOMP_UNCONFINED
						   : HVC_CTR_SECCOMP_FILE;
	s->seccomp_file = dup_or_null(hvc_json_get_string(o, "seccomp_file"));
	vols_from_json(hvc_json_get(o, "volumes"), s);
	json_object *l = hvc_json_get(o, "limits");
	if (l) {
		s->limits.memory = (uint64_t)hvc_json_get_int(l, "memory", 0);
		s->limits.cpus = hvc_json_get_double(l, "cpus", 0);
		s->limits.cpuset = dup_or_null(hvc_json_get_string(l, "cpuset"));
		s->limits.pids = hvc_json_get_int(l, "pids", 0);
	}
	return 0;
}
