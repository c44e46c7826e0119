/* engine/runtime/runtime_caps: capability sets — Docker's default 14, and names
 * (libcap's) for --cap-add/--cap-drop and display. Applying a set is part of
 * the confinement (engine/runtime/runtime_confine.c). */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include "hvc/container.h"
#include "runtime_internal.h"

uint64_t hvc_ctr_caps_default(void)
{
	static const int dflt[] = {
		CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
		CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
		CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
	};
	uint64_t b = 0;
	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
		b |= 1ull << dflt[i];
	return b;
}

static int last_cap(void)
{
	return CAP_LAST_CAP; /* compile-time; the kernel may know fewer (checked when applying) */
}

int hvc_ctr_cap_parse(const char *name, uint64_t *bits, struct hvc_error *err)
{
	if (!strcasecmp(name, "ALL")) {
		for (int c = 0; c <= last_cap(); c++)
			*bits |= 1ull << c;
		return 0;
	}
	char buf[64];
	const char *n = name;
	if (strncasecmp(n, "CAP_", 4) != 0) {
		snprintf(buf, sizeof(buf), "cap_%s", name);
		n = buf;
	}
	cap_value_t v;
	if (cap_from_name(n, &v) < 0 || v < 0 || v > 63)
		return hvc_err(err, EINVAL, "unknown capability \"%s\"", name);
	*bits |= 1ull << v;
	return 0;
}

const char *hvc_ctr_caps_format(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int c = 0; c < 64 && off < len; c++) {
		if (!(caps & (1ull << c)))
			continue;
		char *n = cap_to_name(c);
		if (!n)
			continue;
		const char *s = hvc_str_has_prefix(n, "cap_") ? n + 4 : n;
		off += snprintf(buf + off, len - off, "%s", off ? "," : "");
		for (; *s && off + 1 < len; s++)
			buf[off++] = (char)toupper((unsigned char)*s);
		buf[off] = '\0';
		cap_free(n);
	}
	return buf;
}
