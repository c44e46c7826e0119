/* vmdriver/run_state: the record of one run in $HVC_ROOT/vms/<id>/vm.json —
 * written at each step of its life (creating, running, exited/failed or
 * detached) so that `hvc vm ps/inspect` can show it and the next hvc call can
 * reclaim it when its owner died (the owner pid is pinned by its start time). */
#include "vm-internal.h"
#include <string.h>
#include <unistd.h>

static void state_save(struct vm_run *r)
{
	struct hvc_error err = {0};
	if (r->state && vm_state_write(r->res->id, r->state, &err) < 0)
		hvc_warn("VM %s: %s", r->res->id, err.msg);
}

void vm_run_state_status(struct vm_run *r, const char *status)
{
	hvc_json_add_string(r->state, "status", status);
	state_save(r);
}

/* Our start time (clock ticks since boot), 0 when unreadable. */
static unsigned long long self_start(void)
{
	_cleanup_free_ char *s = NULL;
	struct hvc_error err = {0};
	if (hvc_read_file("/proc/self/stat", &s, NULL, &err) < 0)
		return 0;
	const char *p = strrchr(s, ')');
	unsigned long long v = 0;
	if (p)
		sscanf(
		    p + 2,
		    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
		    "%llu",
		    &v);
	return v;
}

void vm_run_state_create(struct vm_run *r, const char *initramfs)
{
	const struct hvc_vm_opts *o = r->o;
	const struct hvc_vm_result *res = r->res;
	char iso[32];
	r->state = json_object_new_object();
	hvc_json_add_string(r->state, "id", res->id);
	hvc_json_add_string(r->state, "name", res->name);
	hvc_json_add_string(r->state, "image", o->image);
	hvc_json_add_string(r->state, "uri", r->uri);
	hvc_json_add_string(r->state, "accel", res->accel);
	hvc_json_add_string(r->state, "accel_reason", res->accel_reason);
	hvc_json_add_string(r->state, "kernel", res->kernel);
	hvc_json_add_string(r->state, "initramfs", initramfs);
	hvc_json_add_string(r->state, "created", hvc_wall_iso8601(iso, sizeof(iso)));
	hvc_json_add_int(r->state, "owner", getpid());
	hvc_json_add_int(r->state, "owner_start", (int64_t)self_start());
	hvc_json_add_bool(r->state, "detached", false);
	hvc_json_add_int(r->state, "memory_mib", (int64_t)(o->memory_mib ? o->memory_mib : 256));
	hvc_json_add_int(r->state, "vcpus", o->vcpus ? o->vcpus : 1);
	if (o->network == HVC_VM_NET_NONE) { /* bridge: vm_run_state_network() */
		json_object *net = json_object_new_object();
		hvc_json_add_string(net, "mode", "none");
		json_object_object_add(r->state, "network", net);
	}
	vm_run_state_status(r, "creating");
}

void vm_run_state_final(struct vm_run *r, int rc, const struct hvc_error *err)
{
	const struct hvc_vm_result *res = r->res;
	if (!r->state)
		return;
	json_object *t = json_object_new_object();
	hvc_json_add_double(t, "created_ms", res->t.created_ms);
	hvc_json_add_double(t, "first_byte_ms", res->t.first_byte_ms);
	hvc_json_add_double(t, "ready_ms", res->t.ready_ms);
	hvc_json_add_double(t, "exit_ms", res->t.exit_ms);
	hvc_json_add_double(t, "gone_ms", res->t.gone_ms);
	json_object_object_add(r->state, "timings", t);
	hvc_json_add_int(r->state, "exit_status", res->exit_status);
	hvc_json_add_int(r->state, "owner", 0);
	if (rc < 0)
		hvc_json_add_string(r->state, "error", err ? err->msg : "failed");
	vm_run_state_status(r, rc < 0 ? "failed" : "exited");
}

void vm_run_state_network(struct vm_run *r)
{
	const struct hvc_vm_net *n = &r->net;
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "mode", "bridge");
	hvc_json_add_string(o, "bridge", n->bridge);
	hvc_json_add_string(o, "mac", n->mac);
	if (n->address[0]) {
		char cidr[32];
		snprintf(cidr, sizeof(cidr), "%s/%u", n->address, n->prefix);
		hvc_json_add_string(o, "address", n->address);
		hvc_json_add_int(o, "prefix", n->prefix);
		hvc_json_add_string(o, "cidr", cidr);
	}
	if (n->gateway[0])
		hvc_json_add_string(o, "gateway", n->gateway);
	json_object *dns = json_object_new_array();
	for (size_t i = 0; i < HVC_VM_NET_MAX_DNS && n->dns[i][0]; i++)
		json_object_array_add(dns, json_object_new_string(n->dns[i]));
	json_object_object_add(o, "dns", dns);
	json_object_object_add(r->state, "network", o);
	state_save(r);
}

void vm_run_state_detached(struct vm_run *r)
{
	hvc_json_add_bool(r->state, "detached", true);
	hvc_json_add_int(r->state, "owner", 0);
	vm_run_state_status(r, "running");
}
