/* engine/cgroup/cgroup_describe: the cgroup section of the host description
 * (hvc/host.h): the mode this host is in, its root, the unified mount of a
 * hybrid host, and the controllers hvc can use. */
#include "hvc/cgroup.h"
#include "hvc/host.h"

void hvc_cgroup_host_add(json_object *host, const void *arg)
{
	(void)arg;
	json_object *o = json_object_new_object();
	json_object_object_add(host, "cgroup", o);
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	if (hvc_cgroup_detect(NULL, NULL, &h, &err) < 0) {
		hvc_json_add_string(o, "mode", "none");
		hvc_json_add_string(o, "error", err.msg);
		return;
	}
	char buf[128];
	hvc_json_add_string(o, "mode", hvc_cgroup_mode_name(h.mode));
	hvc_json_add_string(o, "root", h.root);
	if (h.unified[0])
		hvc_json_add_string(o, "unified", h.unified);
	else
		json_object_object_add(o, "unified", NULL);
	json_object_object_add(o, "usable",
			       hvc_json_csv_array(hvc_cgroup_ctrl_names(h.usable, buf, sizeof(buf))));
	json_object_object_add(
	    o, "v2_controllers",
	    hvc_json_csv_array(hvc_cgroup_ctrl_names(h.v2_controllers, buf, sizeof(buf))));
}
