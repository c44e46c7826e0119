/* The host probe: facts every benchmark result embeds. */
#include <string.h>
#include <sys/utsname.h>
#include "hvc/bench.h"

int hvc_host_probe(json_object **out, struct hvc_error *err)
{
	(void)err;
	json_object *o = json_object_new_object();
	struct utsname u;
	uname(&u);
	hvc_json_add_string(o, "kernel_release", u.release);
	*out = o;
	return 0;
}

void hvc_host_print(FILE *f, json_object *info)
{
	fprintf(f, "%-18s %s\n", "Kernel", hvc_json_get_string(info, "kernel_release"));
}
