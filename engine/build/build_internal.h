/* engine/build/build*: private declarations shared by the builder's files. */
#ifndef HVC_BUILD_INTERNAL_H
#define HVC_BUILD_INTERNAL_H

#include "hvc/build.h"

/* Lexical clean-up of a path (build_path.c); *escapes when ".." climbed above the start. */
char *hvc_build_path_clean(const char *path, bool *escapes);
/* The build context: its real path and its .dockerignore patterns. */
#include <limits.h>
struct hvc_build_context {
	char root[PATH_MAX];
	char **ignore;
};
int hvc_build_context_open(const char *dir, struct hvc_build_context *c, struct hvc_error *err);
void hvc_build_context_clear(struct hvc_build_context *c);
/* COPY/ADD sources -> real paths inside the context (globs expanded, sorted;
 * .dockerignore'd paths skipped by globs, an error when named). */
int hvc_build_copy_resolve(const struct hvc_build_context *c, char *const *srcs, char ***abs,
			   struct hvc_error *err);
/* Content digest of the sources (names, modes, bytes, link targets). */
void hvc_build_copy_digest(const struct hvc_build_context *c, char *const *abs, char out[72]);
/* COPY --chown/--chmod: owner of the copied entries, mode (-1: keep the source's). */
struct hvc_build_copy_owner {
	uid_t uid;
	gid_t gid;
	int mode;
};
/* Parses "--chmod=" octal ("644", "0755") -> mode; -1 with err when invalid. Pure. */
int hvc_build_parse_chmod(const char *s, struct hvc_error *err);
/* Copies the sources into stage+dest (dest absolute and clean); owner NULL = root, modes kept. */
int hvc_build_copy_into(const struct hvc_build_context *c, const char *stage, char *const *abs, const char *dest,
			bool dest_is_dir, bool add, const struct hvc_build_copy_owner *owner, struct hvc_error *err);

/* .dockerignore (engine/build/build_ignore.c): patterns from a buffer; whether a
 * context-relative path ("dir/file") is excluded. */
int hvc_build_ignore_parse(const char *buf, char ***patterns, struct hvc_error *err);
bool hvc_build_ignore_match(char *const *patterns, const char *rel);

/* The image config as build steps edit it (engine/build/build_config.c; pure). */
/* The "config" object of an OCI config document (made when absent). */
json_object *hvc_build_config_section(json_object *cfg);
/* The config's WorkingDir, "/" when unset (borrowed). */
const char *hvc_build_config_workdir(json_object *cfg);
/* p made absolute against the config's WorkingDir ("/" when unset) and
 * cleaned ("/app/../x" -> "/x"); NULL when out of memory. */
char *hvc_build_path_in_image(json_object *cfg, const char *p);
/* Applies a metadata step (ENV, LABEL, EXPOSE, WORKDIR, USER, STOPSIGNAL,
 * VOLUME, CMD, ENTRYPOINT; others change nothing) to cfg. */
int hvc_build_config_apply(json_object *cfg, const struct hvc_df_step *st, struct hvc_error *err);
/* JSON string array -> "K=V"-style string vector (NULL-terminated, never NULL;
 * the other direction is hvc_json_strv_array). */
char **hvc_build_json_strv(json_object *a);

#endif
