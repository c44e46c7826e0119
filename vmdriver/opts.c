/* vmdriver/opts: what a VM run accepts — the limits and units of its knobs,
 * decided once here for every caller (`hvc vm run`'s options, benches) and
 * unit-tested, rather than in the CLI's option switch. Pure. */
#include "hvc/vm.h"
#include <string.h>

/* "256" means MiB; "256m", "1g" are sizes. */
static int parse_mib(const char *s, uint64_t *mib, struct hvc_error *err)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s && !*end) {
		*mib = v;
		return 0;
	}
	uint64_t bytes;
	if (hvc_parse_size(s, &bytes, err) < 0)
		return -1;
	*mib = bytes >> 20;
	return 0;
}

/* A decimal integer in [min, max]. */
static bool parse_range(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int hvc_vm_opts_set(struct hvc_vm_opts *o, const char *name, const char *value,
		    struct hvc_error *err)
{
	struct hvc_error ig = {0};
	long v;
	if (!strcmp(name, "memory")) {
		if (parse_mib(value, &o->memory_mib, &ig) < 0 || o->memory_mib < 16)
			return hvc_err(err, 0, "bad memory size \"%s\" (at least 16 MiB)", value);
	} else if (!strcmp(name, "vcpus")) {
		if (!parse_range(value, 1, 256, &v))
			return hvc_err(err, 0, "bad --vcpus \"%s\"", value);
		o->vcpus = (unsigned)v;
	} else if (!strcmp(name, "data-disk")) {
		if (hvc_parse_size(value, &o->data_disk_bytes, &ig) < 0 ||
		    o->data_disk_bytes < (8u << 20))
			return hvc_err(err, 0, "bad --data-disk size \"%s\" (at least 8m)", value);
	} else if (!strcmp(name, "timeout")) {
		if (!parse_range(value, 1, 86400, &v))
			return hvc_err(err, 0, "bad --timeout \"%s\" (seconds)", value);
		o->timeout_s = (int)v;
	} else if (!strcmp(name, "compress")) {
		o->compress = hvc_vm_compress_parse(value);
		if (o->compress < 0)
			return hvc_err(err, 0, "bad --compress \"%s\" (gzip, zstd, lz4, none)",
				       value);
	} else {
		return hvc_err(err, 0, "unknown VM option \"%s\"", name);
	}
	return 0;
}

int hvc_vm_opts_check(const struct hvc_vm_opts *o, struct hvc_error *err)
{
	if (o->detach && o->rm)
		return hvc_err(err, 0, "--rm and -d do not go together");
	return 0;
}
