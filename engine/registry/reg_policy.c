/* engine/registry/reg_policy: --pull=missing|always|never of run and build
 * FROM: a reference that names a registry is pulled when the policy says so. */
#include <string.h>
#include "reg_internal.h"

int hvc_reg_pull_policy_parse(const char *s, enum hvc_reg_pull_policy *out,
			      struct hvc_error *err)
{
	if (!strcmp(s, "missing"))
		*out = HVC_PULL_MISSING;
	else if (!strcmp(s, "always"))
		*out = HVC_PULL_ALWAYS;
	else if (!strcmp(s, "never"))
		*out = HVC_PULL_NEVER;
	else
		return hvc_reg_err(err, EINVAL, "--pull: \"%s\": expected missing, always or never",
				   s);
	return 0;
}

int hvc_reg_ensure(struct hvc_image_store *s, const char *ref, enum hvc_reg_pull_policy policy,
		   const struct hvc_reg_opts *o, struct hvc_error *err)
{
	struct hvc_reg_ref r;
	int k = hvc_reg_ref_parse(ref, &r, NULL);
	hvc_reg_ref_clear(&r);
	if (k != 1 || policy == HVC_PULL_NEVER)
		return 0; /* a local name, a digest prefix, a path: the store decides */
	if (policy == HVC_PULL_MISSING) {
		_cleanup_image_ struct hvc_image *img = NULL;
		struct hvc_error e = { 0 };
		if (hvc_image_lookup(s, ref, &img, &e) == 0)
			return 0;
		if (e.code != ENOENT) {
			*err = e;
			return -1;
		}
	}
	char digest[HVC_DIGEST_LEN];
	if (hvc_reg_pull(s, ref, o, digest, err) < 0)
		return hvc_error_prefix(err, "pull %s", ref);
	return 0;
}
