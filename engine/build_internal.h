/* engine/build*: private declarations shared by the builder's files. */
#ifndef HVC_BUILD_INTERNAL_H
#define HVC_BUILD_INTERNAL_H

#include "hvc/build.h"

/* Lexical clean-up of a path; *escapes when ".." climbed above the start. */
char *hvc_build_path_clean(const char *path, bool *escapes);
/* COPY/ADD sources -> real paths inside the context (globs expanded, sorted). */
int hvc_build_copy_resolve(const char *context, char *const *srcs, char ***abs, struct hvc_error *err);
/* Content digest of the sources (names, modes, bytes, link targets). */
void hvc_build_copy_digest(char *const *abs, char out[72]);
/* COPY --chown/--chmod: owner of the copied entries, mode (-1: keep the source's). */
struct hvc_build_copy_owner {
	uid_t uid;
	gid_t gid;
	int mode;
};
/* Parses "--chmod=" octal ("644", "0755") -> mode; -1 with err when invalid. Pure. */
int hvc_build_parse_chmod(const char *s, struct hvc_error *err);
/* Copies the sources into stage+dest (dest absolute and clean); owner NULL = root, modes kept. */
int hvc_build_copy_into(const char *stage, char *const *abs, const char *dest, bool dest_is_dir, bool add,
			const struct hvc_build_copy_owner *owner, struct hvc_error *err);

#endif
