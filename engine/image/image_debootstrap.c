/* engine/image/image_debootstrap: `hvc image import --debootstrap SUITE NAME` — a
 * real Debian base made by debootstrap. Needs debootstrap and a reachable
 * mirror ($HVC_DEBIAN_MIRROR, default http://deb.debian.org/debian). */
#include <string.h>
#include <unistd.h>
#include "image_internal.h"

int hvc_image_import_debootstrap(struct hvc_image_store *s, const char *suite, const char *name,
				 char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	_cleanup_free_ char *norm = NULL;
	if (hvc_image_name_normalize(name, &norm, err) < 0)
		return -1;
	for (const char *p = suite; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return hvc_image_err(err, EINVAL, "debootstrap: invalid suite \"%s\"", suite);
	const char *env = getenv("HVC_DEBIAN_MIRROR");
	const char *mirror = env && *env ? env : "http://deb.debian.org/debian";
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s/debootstrap.XXXXXX", hvc_image_store_tmpdir(s));
	if (!mkdtemp(tmp))
		return hvc_err(err, errno, "create `%s`", tmp);
	char *argv[] = { "debootstrap", "--variant=minbase", (char *)suite, tmp, (char *)mirror, NULL };
	_cleanup_free_ char *out = NULL;
	hvc_info("debootstrap %s from %s (this takes minutes)", suite, mirror);
	int st = hvc_spawn_capture(argv, &out, true, 30 * 60 * 1000, err);
	int rc = 0;
	if (st < 0) {
		rc = hvc_error_prefix(err, "debootstrap (install it: apt-get install debootstrap)");
	} else if (st != 0) {
		const char *tail = out ? out + (strlen(out) > 400 ? strlen(out) - 400 : 0) : "";
		rc = hvc_err(err, EIO, "debootstrap %s from %s failed (exit %d; a reachable Debian mirror is needed, set HVC_DEBIAN_MIRROR): %s",
			     suite, mirror, st, tail);
	} else {
		rc = hvc_image_import(s, tmp, norm, manifest_digest, err);
	}
	hvc_rm_rf(tmp, NULL);
	return rc;
}
