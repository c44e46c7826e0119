/* engine/runtime/container_net: the network part of a container spec —
 * `--network` and `-p` values validated into it (messages name the option),
 * and its ports in config.json. Pure, unit-tested in test_container_spec
 * and test_network; the network itself is engine/net/, used at the start by
 * runtime_net.c. */
#include "hvc/container.h"
#include <string.h>

int hvc_ctr_opt_network(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	free(s->network);
	s->network = NULL;
	if (!strcmp(arg, "none") || !strcmp(arg, "host")) {
		s->net = !strcmp(arg, "none") ? HVC_CTR_NET_NONE : HVC_CTR_NET_HOST;
		return 0;
	}
	if (hvc_str_has_prefix(arg, "container:")) {
		if (!arg[strlen("container:")]) /* (an unknown name fails at the start) */
			return hvc_err(err, 0, "--network \"%s\": expected container:NAME", arg);
		s->net = HVC_CTR_NET_CONTAINER;
		s->network = hvc_xstrdup(arg + strlen("container:"));
		return 0;
	}
	if (!*arg || strlen(arg) > HVC_NET_NAME_MAX ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(arg))
		return hvc_err(err, 0,
			       "--network \"%s\": expected none, host, bridge, container:NAME "
			       "or a network's name",
			       arg);
	s->net = HVC_CTR_NET_BRIDGE;
	s->network = hvc_xstrdup(!strcmp(arg, "bridge") ? HVC_NET_DEFAULT : arg);
	return 0;
}

const char *hvc_ctr_network_format(const struct hvc_ctr_spec *s, char *buf, size_t len)
{
	switch (s->net) {
	case HVC_CTR_NET_HOST:
		snprintf(buf, len, "host");
		break;
	case HVC_CTR_NET_BRIDGE:
		snprintf(buf, len, "%s", s->network);
		break;
	case HVC_CTR_NET_CONTAINER:
		snprintf(buf, len, "container:%s", s->network);
		break;
	default:
		snprintf(buf, len, "none");
		break;
	}
	return buf;
}

int hvc_ctr_opt_publish(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err)
{
	struct hvc_net_port p;
	if (hvc_net_port_parse(arg, &p, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].host_port == p.host_port && s->ports[i].proto == p.proto &&
		    (s->ports[i].host_ip == p.host_ip || !s->ports[i].host_ip || !p.host_ip))
			return hvc_err(err, 0, "-p \"%s\": host port %u/%s is already published",
				       arg, p.host_port, hvc_net_proto_name(p.proto));
	s->ports = hvc_xrealloc(s->ports, s->n_ports + 1, sizeof(*s->ports));
	s->ports[s->n_ports++] = p;
	return 0;
}

/* -p as typed, IP included: "127.0.0.1:8080:80/tcp" */
json_object *hvc_ctr_ports_to_json(const struct hvc_ctr_spec *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n_ports; i++) {
		char ip[16], buf[64];
		const struct hvc_net_port *p = &s->ports[i];
		snprintf(buf, sizeof(buf), "%s:%u:%u/%s", hvc_net_ip_format(p->host_ip, ip),
			 p->host_port, p->port, hvc_net_proto_name(p->proto));
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

int hvc_ctr_ports_from_json(json_object *a, struct hvc_ctr_spec *s, struct hvc_error *err)
{
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(a, i));
		if (!p || hvc_ctr_opt_publish(s, p, err) < 0)
			return -1;
	}
	return 0;
}
