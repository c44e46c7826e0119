/* engine/runtime/container_expose: `hvc run -P` — every port the image
 * EXPOSEs (its config's ExposedPorts, "80/tcp") published on a host port
 * the kernel picks from its ephemeral range, as Docker does. The parse of
 * the config is pure and unit-tested (test_network); picking a port binds
 * a socket and closes it. `hvc vm run -P` uses the same on its port list. */
#include "hvc/container.h"
#include "hvc/image.h"
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int hvc_ctr_exposed_ports_parse(json_object *config, struct hvc_net_port **out, size_t *n,
				struct hvc_error *err)
{
	*out = NULL;
	*n = 0;
	json_object *inner = hvc_json_get(config, "config");
	json_object *ports = hvc_json_get(inner ? inner : config, "ExposedPorts");
	if (!ports || !json_object_is_type(ports, json_type_object))
		return 0;
	json_object_object_foreach(ports, key, val)
	{
		(void)val;
		struct hvc_net_port p;
		if (hvc_net_port_parse(key, &p, err) < 0) /* "80/tcp": CTRPORT alone */
			return hvc_error_prefix(err, "EXPOSE");
		p.host_port = 0; /* chosen at run time */
		*out = hvc_xrealloc(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = p;
	}
	return 0;
}

/* A free port now: the kernel's choice for a socket bound to port 0. */
static int free_host_port(enum hvc_net_proto proto, uint16_t *port, struct hvc_error *err)
{
	_cleanup_close_ int s =
	    socket(AF_INET, (proto == HVC_NET_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		return hvc_err(err, errno, "-P: pick a free host port");
	*port = ntohs(a.sin_port);
	return 0;
}

static int image_config(const char *ref, json_object **config, struct hvc_error *err)
{
	_cleanup_image_store_ struct hvc_image_store *store = NULL;
	_cleanup_image_ struct hvc_image *img = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (hvc_image_store_open(hvc_root(), &store, err) < 0 ||
	    hvc_image_resolve(store, ref, &img, err) < 0)
		return -1;
	if (hvc_image_blob_read(store, img->config_digest, img->config_size, &buf, &len, err) < 0)
		return -1;
	return hvc_json_parse(buf, len, "image config", config, err);
}

int hvc_ctr_publish_exposed(struct hvc_ctr_spec *s, struct hvc_error *err)
{
	return hvc_image_publish_exposed(s->image_ref, &s->ports, &s->n_ports, err);
}

int hvc_image_publish_exposed(const char *image_ref, struct hvc_net_port **out, size_t *n_out,
			      struct hvc_error *err)
{
	if (!image_ref || image_ref[0] == '/')
		return 0; /* a plain rootfs directory has no config */
	_cleanup_json_ json_object *config = NULL;
	_cleanup_free_ struct hvc_net_port *ports = NULL;
	size_t n = 0;
	if (image_config(image_ref, &config, err) < 0 ||
	    hvc_ctr_exposed_ports_parse(config, &ports, &n, err) < 0)
		return hvc_error_prefix(err, "-P");
	for (size_t i = 0; i < n; i++) {
		bool given = false; /* an explicit -p for the same port wins */
		for (size_t j = 0; j < *n_out && !given; j++)
			given = (*out)[j].port == ports[i].port && (*out)[j].proto == ports[i].proto;
		if (given)
			continue;
		if (free_host_port(ports[i].proto, &ports[i].host_port, err) < 0)
			return -1;
		*out = hvc_xrealloc(*out, *n_out + 1, sizeof(**out));
		(*out)[(*n_out)++] = ports[i];
	}
	return 0;
}
