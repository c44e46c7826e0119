/* hvc inspect [-f FORMAT] NAME...: the stored config and state of containers
 * as JSON; with -f/--format, a docker-shaped view of them (Id, Name, State,
 * Config, ...) rendered by the template, so `-f '{{.State.Status}}'` works as
 * it does with docker. */
#include <string.h>
#include "cli.h"
#include "format.h"
#include "hvc/container.h"

static const struct hvc_fmt_field inspect_fields[] = {
	{ "Kind", "KIND" },
	{ "Id", "ID" },
	{ "Name", "NAME" },
	{ "Created", "CREATED" },
	{ "Path", "PATH" },
	{ "Args", "ARGS" },
	{ "Image", "IMAGE" },
	{ "ImageDigest", "IMAGE DIGEST" },
	{ "State", "STATE" },
	{ "Config", "CONFIG" },
	{ "HostConfig", "HOST CONFIG" },
	{ "NetworkSettings", "NETWORK SETTINGS" },
	{ "Hvc", "HVC" },
	{ NULL, NULL },
};

static const char usage_text[] =
	"Usage: hvc inspect [-f FORMAT] CONTAINER...\n"
	"Print containers' config and state as JSON: docker's keys, the keys every inspect\n"
	"shares (Kind Id Name Created Image State), and hvc's own record under Hvc.\n\n"
	"  -f, --format F   json, or a template such as '{{.State.Status}}' or '{{.Id}} {{.Config.Cmd}}'\n"
	"                   fields: Kind Id Name Created Path Args Image ImageDigest State Config\n"
	"                   HostConfig NetworkSettings Hvc (docs/cli.md lists their keys)\n";

/* dst[to] = src[from] (shared reference), when src has it. */
static void copy_key(json_object *dst, const char *to, json_object *src, const char *from)
{
	json_object *v = NULL;
	if (src && json_object_object_get_ex(src, from, &v))
		json_object_object_add(dst, to, json_object_get(v));
}

/* Docker's key -> hvc's key, for each object of docker's view. */
struct key_map {
	const char *to, *from;
};
static const struct key_map state_keys[] = {
	{ "Status", "status" },	      { "Pid", "pid" },		      { "ExitCode", "exit_code" },
	{ "OOMKilled", "oom_killed" }, { "StartedAt", "started_at" }, { "FinishedAt", "finished_at" },
	{ NULL, NULL },
};
static const struct key_map config_keys[] = {
	{ "Hostname", "hostname" }, { "User", "user" },	      { "Env", "env" },	       { "Cmd", "argv" },
	{ "Image", "image" },	    { "WorkingDir", "workdir" }, { "Tty", "tty" },	       { "OpenStdin", "interactive" },
	{ NULL, NULL },
};
static const struct key_map host_config_keys[] = {
	{ "ReadonlyRootfs", "read_only" }, { "NetworkMode", "network" }, { "PortBindings", "ports" },
	{ "Binds", "volumes" },		   { "AutoRemove", "rm" },	  { NULL, NULL },
};
static const struct key_map limit_keys[] = {
	{ "Memory", "memory" }, { "Cpus", "cpus" }, { "CpusetCpus", "cpuset" }, { "PidsLimit", "pids" }, { NULL, NULL },
};

/* The keys of map that src has, copied into dst (a new object when NULL). */
static json_object *copy_keys(json_object *dst, json_object *src, const struct key_map *map)
{
	if (!dst)
		dst = json_object_new_object();
	for (; map->to; map++)
		copy_key(dst, map->to, src, map->from);
	return dst;
}

static json_object *docker_state(json_object *st)
{
	json_object *o = copy_keys(NULL, st, state_keys);
	const char *s = hvc_json_get_string(st, "status");
	hvc_json_add_bool(o, "Running", s && !strcmp(s, "running"));
	return o;
}

/* Docker's names for hvc's record (cfg with "state" and "network_settings"). */
static json_object *docker_view(json_object *cfg)
{
	json_object *o = json_object_new_object(), *argv = hvc_json_get(cfg, "argv");
	copy_key(o, "Id", cfg, "id");
	copy_key(o, "Name", cfg, "name");
	copy_key(o, "Created", cfg, "created");
	json_object *args = json_object_new_array();
	size_t n = argv && json_object_is_type(argv, json_type_array) ? json_object_array_length(argv) : 0;
	for (size_t i = 1; i < n; i++)
		json_object_array_add(args, json_object_get(json_object_array_get_idx(argv, i)));
	if (n)
		json_object_object_add(o, "Path", json_object_get(json_object_array_get_idx(argv, 0)));
	json_object_object_add(o, "Args", args);
	copy_key(o, "Image", cfg, "image");
	copy_key(o, "ImageDigest", cfg, "image_digest");
	json_object_object_add(o, "State", docker_state(hvc_json_get(cfg, "state")));
	json_object_object_add(o, "Config", copy_keys(NULL, cfg, config_keys));
	json_object_object_add(o, "HostConfig",
			       copy_keys(copy_keys(NULL, hvc_json_get(cfg, "limits"), limit_keys), cfg, host_config_keys));
	copy_key(o, "NetworkSettings", cfg, "network_settings");
	return o;
}

/* One container's record, or NULL (err filled). */
static json_object *record(const char *ref, struct hvc_error *err)
{
	char id[HVC_CTR_ID_LEN + 1];
	json_object *cfg = NULL;
	if (hvc_ctr_lookup(ref, id, err) < 0 || hvc_ctr_reclaim_if_stale(id, err) < 0 ||
	    hvc_ctr_config_read(id, NULL, &cfg, err) < 0)
		return NULL;
	_cleanup_free_ char *sp = hvc_strdup_printf("%s/containers/%s/state.json", hvc_root(), id);
	json_object *st = NULL;
	if (hvc_json_read_file(sp, &st, NULL) == 0)
		json_object_object_add(cfg, "state", st);
	json_object *net = hvc_ctr_network_settings(id);
	if (net)
		json_object_object_add(cfg, "network_settings", net);
	return cfg;
}

int hvc_cmd_inspect(int argc, char **argv)
{
	const char *format = NULL;
	int prc = hvc_cli_parse_format(argc, argv, usage_text, &format);
	if (prc >= 0)
		return prc;
	if (optind >= argc)
		return hvc_cli_usage_error("inspect", "a container is required");
	struct hvc_error err = { 0 };
	_cleanup_json_ json_object *out = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		json_object *cfg = record(argv[i], &err);
		if (!cfg)
			return hvc_cli_fail("inspect", &err, HVC_EXIT_FAIL);
		json_object *o = docker_view(cfg);
		json_object_object_add(o, "Hvc", cfg);
		json_object_array_add(out, hvc_cli_inspect_object("container", o));
	}
	return hvc_cli_inspect_print("inspect", format, inspect_fields, out);
}
