/* Fuzz target: hvc-init's config decoder (guest/init-vm.c), the code a VM's
 * PID 1 runs on what the host put on the kernel command line (hvc.cfg=,
 * base64) or in /hvc/config: base64 decoding, line splitting, percent
 * unescaping, the argv/env/net keys. init-vm.c is compiled into this target
 * (its functions are static); "load" lines would load kernel modules listed
 * in /hvc/modules, which does not exist on a host, so they only log. The
 * first input byte picks the path: kernel command line or the file. */
#include "fuzz.h"

#include "../../guest/init-vm.c"

/* init-net.c configures eth0: not part of the decoder. */
int init_net_setup(const struct init_net *n)
{
	(void)n;
	return 0;
}

static void free_cfg(struct vm_cfg *c)
{
	for (size_t i = 0; i < c->na; i++)
		free(c->argv[i]);
	for (size_t i = 0; i < c->ne; i++)
		free(c->env[i]);
	free(c->argv);
	free(c->env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = strndup((const char *)data + 1, size - 1);
	if (data[0] & 1) {
		/* as read_config does with /proc/cmdline */
		char *p = strstr(text, "hvc.cfg=");
		char *cfg = NULL;
		if (p) {
			p += 8;
			cfg = b64decode(p, strcspn(p, " \n"));
		}
		free(text);
		if (!cfg)
			return 0;
		text = cfg;
	}
	struct vm_cfg c = { 0 };
	parse_config(text, &c);
	if (c.na > 0 && !c.argv[0])
		fuzz_fail("argv[0] is NULL with %zu args", c.na);
	free_cfg(&c);
	free(text);
	return 0;
}
