/* hvc ps --filter: parsing KEY=VALUE and matching a container against it
 * (docs/cli.md lists the keys and how each matches). */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ps_filter.h"

#define PS_FILTER_KEYS "id, name, status, network, ancestor, exited"

static char ***slot(struct ps_filter *f, const char *key, size_t len)
{
	static const char *const keys[] = { "id", "name", "status", "network", "ancestor", "exited" };
	char ***slots[] = { &f->id, &f->name, &f->status, &f->network, &f->ancestor, &f->exited };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == len && !strncmp(keys[i], key, len))
			return slots[i];
	return NULL;
}

int ps_filter_add(struct ps_filter *f, const char *arg, struct hvc_error *err)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return hvc_err(err, EINVAL, "--filter \"%s\": expected KEY=VALUE (keys: %s)", arg, PS_FILTER_KEYS);
	char ***list = slot(f, arg, (size_t)(eq - arg));
	if (!list)
		return hvc_err(err, EINVAL, "--filter \"%s\": unknown key \"%.*s\" (keys: %s)", arg,
			       (int)(eq - arg), arg, PS_FILTER_KEYS);
	const char *v = eq + 1;
	if (list == &f->status && strcmp(v, "created") && strcmp(v, "running") && strcmp(v, "exited"))
		return hvc_err(err, EINVAL, "--filter \"%s\": status is created, running or exited", arg);
	if (list == &f->exited) {
		char *end;
		long code = strtol(v, &end, 10);
		if (!*v || *end || code < 0 || code > 255)
			return hvc_err(err, EINVAL, "--filter \"%s\": exited takes an exit code (0-255)", arg);
	}
	return hvc_strv_push(list, v) < 0 ? hvc_err(err, ENOMEM, "--filter") : 0;
}

static bool any_of(char **vals, bool (*match)(const char *want, const void *have), const void *have)
{
	if (!vals)
		return true;
	for (size_t i = 0; vals[i]; i++)
		if (match(vals[i], have))
			return true;
	return false;
}

static bool id_prefix(const char *want, const void *have) { return !strncmp(have, want, strlen(want)); }
static bool substring(const char *want, const void *have) { return strstr(have, want) != NULL; }
static bool equal(const char *want, const void *have) { return !strcmp(want, have); }

/* "busybox" matches busybox, busybox:latest and busybox:TAG; a full
 * reference matches itself, and NAME:latest matches an untagged NAME. */
static bool ancestor(const char *want, const void *have)
{
	const char *ref = have;
	size_t n = strlen(want);
	size_t r = strlen(ref);
	return !strcmp(ref, want) || (!strchr(want, ':') && !strncmp(ref, want, n) && ref[n] == ':') ||
	       (!strchr(ref, ':') && n == r + 7 && !strncmp(want, ref, r) && !strcmp(want + r, ":latest"));
}

bool ps_filter_match(const struct ps_filter *f, const char *id, const struct hvc_ctr_state *st,
		     const struct hvc_ctr_spec *s)
{
	char net[160], code[8];
	snprintf(code, sizeof(code), "%d", st->exit_code);
	return any_of(f->id, id_prefix, id) && any_of(f->name, substring, s->name ? s->name : "") &&
	       any_of(f->status, equal, hvc_ctr_status_name(st->status)) &&
	       any_of(f->network, equal, hvc_ctr_network_format(s, net, sizeof(net))) &&
	       any_of(f->ancestor, ancestor, s->image_ref ? s->image_ref : "") &&
	       (!f->exited || (st->status == HVC_CTR_EXITED && any_of(f->exited, equal, code)));
}

bool ps_filter_lists_stopped(const struct ps_filter *f)
{
	return f->status || f->exited;
}

void ps_filter_clear(struct ps_filter *f)
{
	hvc_strv_free(f->id);
	hvc_strv_free(f->name);
	hvc_strv_free(f->status);
	hvc_strv_free(f->network);
	hvc_strv_free(f->ancestor);
	hvc_strv_free(f->exited);
	memset(f, 0, sizeof(*f));
}
