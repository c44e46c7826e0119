/* hvc inspect NAME...: the stored config and state of containers as JSON. */
#include <string.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_inspect(int argc, char **argv)
{
	if (argc < 2)
		return hvc_cli_usage_error("inspect", "a container is required");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return printf("Usage: hvc inspect CONTAINER...\n"), 0;
	_cleanup_json_ json_object *out = json_object_new_array();
	for (int i = 1; i < argc; i++) {
		struct hvc_error err = { 0 };
		char id[HVC_CTR_ID_LEN + 1];
		json_object *cfg = NULL;
		if (hvc_ctr_lookup(argv[i], id, &err) < 0 || hvc_ctr_reclaim_if_stale(id, &err) < 0 ||
		    hvc_ctr_config_read(id, NULL, &cfg, &err) < 0)
			return hvc_cli_fail("inspect", &err, HVC_EXIT_FAIL);
		_cleanup_free_ char *sp = hvc_strdup_printf("%s/containers/%s/state.json", hvc_root(), id);
		json_object *st = NULL;
		if (hvc_json_read_file(sp, &st, NULL) == 0)
			json_object_object_add(cfg, "state", st);
		json_object *net = hvc_ctr_network_settings(id);
		if (net)
			json_object_object_add(cfg, "network_settings", net);
		json_object_array_add(out, cfg);
	}
	printf("%s\n", hvc_json_pretty(out));
	return 0;
}
