/* cli/inspect_common: the one JSON shape of `inspect`, `image inspect` and
 * `vm inspect` (docs/cli.md, "inspect"): a JSON array with one object per
 * name, each starting with the same keys —
 *   Kind     "container", "image" or "vm"
 *   Id       the full id (container id, image manifest digest, VM id)
 *   Name     its name (an image's first name:tag)
 *   Created  ISO 8601 time of creation
 *   Image    the image it runs (container, VM); an image: its own name
 *   State    {Status, Running, Pid, ...} (container, VM); null for an image
 * then the keys of its kind (docker's names), and "Hvc": hvc's own record
 * as stored (container, VM). -f/--format renders that array. */
#include <string.h>
#include "cli.h"
#include "format.h"

json_object *hvc_cli_inspect_object(const char *kind, json_object *rest)
{
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "Kind", kind);
	static const char *const common[] = { "Id", "Name", "Created", "Image", "State" };
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		json_object *v = NULL;
		json_object_object_get_ex(rest, common[i], &v);
		json_object_object_add(o, common[i], json_object_get(v));
	}
	json_object_object_foreach(rest, k, v)
	{
		if (!json_object_object_get_ex(o, k, NULL))
			json_object_object_add(o, k, json_object_get(v));
	}
	json_object_put(rest);
	return o;
}

int hvc_cli_inspect_print(const char *cmd, const char *format, const struct hvc_fmt_field *fields, json_object *arr)
{
	struct hvc_error err = { 0 };
	if (!format) {
		printf("%s\n", hvc_json_pretty(arr));
		return 0;
	}
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(format, "json", fields, &err);
	if (!fmt)
		return hvc_cli_fail(cmd, &err, HVC_EXIT_USAGE);
	hvc_fmt_print(fmt, arr, stdout);
	return 0;
}
