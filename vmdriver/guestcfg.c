/* vmdriver/guestcfg: the run's configuration as hvc-init reads it inside the
 * VM. The initramfs is cached per image and kernel, so what varies per run
 * (command, environment, workdir, disks) travels separately: base64 on the
 * kernel command line when it fits, else a second cpio appended to the
 * initramfs holding /hvc/config. Format: one "<key> <value>" per line, the
 * value percent-escaped (so spaces, newlines and '=' survive). Keys: arg, env,
 * workdir, load, root, data, linger; with a network: ip (ADDR/PREFIX of eth0),
 * gw, dns (one per nameserver), hostname, hosts (the whole /etc/hosts). */
#include <stdio.h>
#include <string.h>
#include "hvc/vm.h"

/* x86's COMMAND_LINE_SIZE is 2048; leave room for console=, quiet, etc. */
#define CMDLINE_BUDGET 1400

static int put_line(char **out, size_t *len, size_t *cap, const char *key, const char *val)
{
	size_t need = strlen(key) + 2 + 3 * strlen(val) + 1;
	if (*len + need + 1 > *cap) {
		size_t nc = (*cap ? *cap : 256);
		while (nc < *len + need + 1)
			nc *= 2;
		char *np = realloc(*out, nc);
		if (!np)
			return -1;
		*out = np;
		*cap = nc;
	}
	char *p = *out + *len;
	p += sprintf(p, "%s ", key);
	for (const unsigned char *s = (const unsigned char *)val; *s; s++) {
		if (*s <= ' ' || *s == '%' || *s >= 0x7f)
			p += sprintf(p, "%%%02X", *s);
		else
			*p++ = (char)*s;
	}
	*p++ = '\n';
	*p = '\0';
	*len = (size_t)(p - *out);
	return 0;
}

char *hvc_vm_guestcfg_render(const struct hvc_vm_guestcfg *cfg)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; cfg->argv && cfg->argv[i]; i++)
		rc |= put_line(&out, &len, &cap, "arg", cfg->argv[i]);
	for (size_t i = 0; cfg->env && cfg->env[i]; i++)
		rc |= put_line(&out, &len, &cap, "env", cfg->env[i]);
	if (cfg->workdir)
		rc |= put_line(&out, &len, &cap, "workdir", cfg->workdir);
	for (size_t i = 0; cfg->load && cfg->load[i]; i++)
		rc |= put_line(&out, &len, &cap, "load", cfg->load[i]);
	if (cfg->root_dev)
		rc |= put_line(&out, &len, &cap, "root", cfg->root_dev);
	if (cfg->data_dev)
		rc |= put_line(&out, &len, &cap, "data", cfg->data_dev);
	if (cfg->wait)
		rc |= put_line(&out, &len, &cap, "wait", "1");
	if (cfg->linger_ms > 0) {
		char v[16];
		snprintf(v, sizeof(v), "%d", cfg->linger_ms);
		rc |= put_line(&out, &len, &cap, "linger", v);
	}
	const struct hvc_vm_net *n = cfg->net;
	if (n && n->address[0]) {
		char v[32];
		snprintf(v, sizeof(v), "%s/%u", n->address, n->prefix);
		rc |= put_line(&out, &len, &cap, "ip", v);
		if (n->gateway[0])
			rc |= put_line(&out, &len, &cap, "gw", n->gateway);
	}
	for (size_t i = 0; n && i < HVC_VM_NET_MAX_DNS && n->dns[i][0]; i++)
		rc |= put_line(&out, &len, &cap, "dns", n->dns[i]);
	if (cfg->hostname)
		rc |= put_line(&out, &len, &cap, "hostname", cfg->hostname);
	if (cfg->hosts)
		rc |= put_line(&out, &len, &cap, "hosts", cfg->hosts);
	if (rc) {
		free(out);
		return NULL;
	}
	return out ? out : strdup("");
}

char *hvc_vm_guestcfg_cmdline_arg(const char *rendered)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(rendered), olen = 4 * ((n + 2) / 3);
	if (olen > CMDLINE_BUDGET)
		return NULL;
	char *out = malloc(strlen("hvc.cfg=") + olen + 1);
	if (!out)
		return NULL;
	char *p = out + sprintf(out, "hvc.cfg=");
	const unsigned char *s = (const unsigned char *)rendered;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*p++ = tbl[(v >> 18) & 63];
		*p++ = tbl[(v >> 12) & 63];
		*p++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		*p++ = i + 2 < n ? tbl[v & 63] : '=';
	}
	*p = '\0';
	return out;
}
