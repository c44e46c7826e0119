/* hvc port CONTAINER: the container's published ports, as Docker prints
 * them ("80/tcp -> 127.0.0.1:8080"). */
#include "cli.h"
#include "hvc/container.h"
#include <string.h>

int hvc_cmd_port(int argc, char **argv)
{
	int r = hvc_cli_parse_none(argc, argv, "Usage: hvc port CONTAINER\nList the container's published ports.\n");
	if (r >= 0)
		return r;
	if (argc != 2)
		return hvc_cli_usage_error("port", "one container is required");
	struct hvc_error err = {0};
	char id[HVC_CTR_ID_LEN + 1];
	if (hvc_ctr_lookup(argv[1], id, &err) < 0)
		return hvc_cli_fail("port", &err, HVC_EXIT_FAIL);
	struct hvc_net_lease l;
	if (hvc_net_lease_find(id, &l, &err) < 0)
		return hvc_cli_fail("port", &err, HVC_EXIT_FAIL);
	for (size_t i = 0; i < l.n_ports; i++) {
		char ip[16];
		const struct hvc_net_port *p = &l.ports[i];
		printf("%u/%s -> %s:%u\n", p->port, hvc_net_proto_name(p->proto),
		       hvc_net_ip_format(p->host_ip, ip), p->host_port);
	}
	hvc_net_lease_clear(&l);
	return 0;
}
