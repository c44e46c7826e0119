/* engine/build/build_config: how a Dockerfile step edits the image config
 * (ENV, LABEL, EXPOSE, WORKDIR, USER, STOPSIGNAL, VOLUME, CMD, ENTRYPOINT).
 * Pure: a json-c config document and an expanded step in, the document
 * edited; tests/unit/test_build_copy.c checks it without a store. */
#include <string.h>
#include "build_internal.h"

json_object *hvc_build_config_section(json_object *cfg)
{
	json_object *c = hvc_json_get(cfg, "config");
	if (!c) {
		c = json_object_new_object();
		json_object_object_add(cfg, "config", c);
	}
	return c;
}

char **hvc_build_json_strv(json_object *a)
{
	char **v = hvc_xcalloc(1, sizeof(char *));
	for (size_t i = 0;
	     a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a);
	     i++)
		hvc_strv_push(&v, json_object_get_string(json_object_array_get_idx(a, i)));
	return v;
}

const char *hvc_build_config_workdir(json_object *cfg)
{
	const char *w = hvc_json_get_string(hvc_build_config_section(cfg), "WorkingDir");
	return w && *w ? w : "/";
}

char *hvc_build_path_in_image(json_object *cfg, const char *p)
{
	bool esc;
	_cleanup_free_ char *joined =
	    p[0] == '/' ? strdup(p) : hvc_strdup_printf("%s/%s", hvc_build_config_workdir(cfg), p);
	_cleanup_free_ char *clean = joined ? hvc_build_path_clean(joined, &esc) : NULL;
	return clean ? hvc_strdup_printf("/%s", clean) : NULL;
}

/* The object member key of the config (Labels, ExposedPorts, Volumes), made
 * when absent or not an object. */
static json_object *config_object(json_object *c, const char *key)
{
	json_object *o = hvc_json_get(c, key);
	if (!o || !json_object_is_type(o, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(c, key, o);
	}
	return o;
}

static int meta_env(json_object *c, const struct hvc_df_step *st, struct hvc_error *err)
{
	_cleanup_strv_ char **env = hvc_build_json_strv(hvc_json_get(c, "Env"));
	for (size_t i = 0; st->args[i]; i++) {
		char *eq = strchr(st->args[i], '=');
		_cleanup_free_ char *k = strndup(st->args[i], (size_t)(eq - st->args[i]));
		if (!k || hvc_env_set(&env, k, eq + 1) < 0)
			return hvc_err(err, ENOMEM, "build");
	}
	json_object_object_add(c, "Env", hvc_json_strv_array(env));
	return 0;
}

static void meta_labels(json_object *c, const struct hvc_df_step *st)
{
	json_object *l = config_object(c, "Labels");
	for (size_t i = 0; st->args[i]; i++) {
		char *eq = strchr(st->args[i], '=');
		_cleanup_free_ char *k =
		    hvc_xasprintf("%.*s", (int)(eq - st->args[i]), st->args[i]);
		json_object_object_add(l, k, json_object_new_string(eq + 1));
	}
}

static void meta_ports(json_object *c, const struct hvc_df_step *st)
{
	json_object *p = config_object(c, "ExposedPorts");
	for (size_t i = 0; st->args[i]; i++) {
		_cleanup_free_ char *k = strchr(st->args[i], '/')
					     ? hvc_xstrdup(st->args[i])
					     : hvc_xasprintf("%s/tcp", st->args[i]);
		json_object_object_add(p, k, json_object_new_object());
	}
}

static void meta_volumes(json_object *cfg, json_object *c, const struct hvc_df_step *st)
{
	json_object *v = config_object(c, "Volumes");
	for (size_t i = 0; st->args[i]; i++) {
		_cleanup_free_ char *p = hvc_build_path_in_image(cfg, st->args[i]);
		if (p)
			json_object_object_add(v, p, json_object_new_object());
	}
}

int hvc_build_config_apply(json_object *cfg, const struct hvc_df_step *st, struct hvc_error *err)
{
	json_object *c = hvc_build_config_section(cfg);
	switch (st->kind) {
	case HVC_DF_ENV:
		return meta_env(c, st, err);
	case HVC_DF_LABEL:
		meta_labels(c, st);
		return 0;
	case HVC_DF_EXPOSE:
		meta_ports(c, st);
		return 0;
	case HVC_DF_VOLUME:
		meta_volumes(cfg, c, st);
		return 0;
	case HVC_DF_WORKDIR: {
		_cleanup_free_ char *w = hvc_build_path_in_image(cfg, st->args[0]);
		if (!w)
			return hvc_err(err, ENOMEM, "build");
		hvc_json_add_string(c, "WorkingDir", w);
		return 0;
	}
	case HVC_DF_USER:
		hvc_json_add_string(c, "User", st->args[0]);
		return 0;
	case HVC_DF_STOPSIGNAL:
		hvc_json_add_string(c, "StopSignal", st->args[0]);
		return 0;
	case HVC_DF_SHELL:
		return 0; /* scope only: the OCI config has no Shell field */
	case HVC_DF_CMD:
		json_object_object_add(c, "Cmd", hvc_json_strv_array(st->args));
		return 0;
	case HVC_DF_ENTRYPOINT:
		json_object_object_add(c, "Entrypoint", hvc_json_strv_array(st->args));
		/* Docker: ENTRYPOINT resets a CMD inherited from the base image */
		json_object_object_del(c, "Cmd");
		return 0;
	default:
		return 0; /* ARG: scope only */
	}
}
