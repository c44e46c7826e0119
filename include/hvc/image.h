/* engine/image: the OCI image store shared by containers and VMs.
 * This is the contract the runtime (engine), the VM driver and the bench
 * harness code against; engine/image_*.c implements it. */
#ifndef HVC_IMAGE_H
#define HVC_IMAGE_H

#include "hvc/util.h"

struct hvc_image_store; /* opaque: $HVC_ROOT/images (+ layers/ cache), locked as needed */

/* The parts of an OCI image config a runtime applies (Docker semantics). */
struct hvc_image_config {
	char **env;        /* "K=V", NULL-terminated; may be NULL */
	char **entrypoint; /* may be NULL */
	char **cmd;        /* may be NULL */
	char *workdir;     /* may be NULL */
	char *user;        /* may be NULL */
	char **labels;     /* "K=V"; may be NULL */
};

/* A resolved image. */
struct hvc_image {
	char *name;            /* "busybox:latest", or NULL when referenced by digest only */
	char *manifest_digest; /* "sha256:…" */
	char *config_digest;
	char **diff_ids;       /* bottom layer first, NULL-terminated */
	size_t n_layers;
	struct hvc_image_config config;
	char *architecture, *os, *created;
};

/* Opens (creating when absent) the store under root (normally hvc_root()). */
int hvc_image_store_open(const char *root, struct hvc_image_store **out, struct hvc_error *err);
void hvc_image_store_close(struct hvc_image_store *s);

/* Resolves "name[:tag]", "sha256:<hex>" or a unique digest prefix.
 * Unknown: error `image "busybx" not found (try: hvc images)` with code ENOENT. */
int hvc_image_resolve(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		      struct hvc_error *err);
void hvc_image_free(struct hvc_image *img);

/* Ensures every layer is unpacked in $root/layers/<diff-id>/ (once, verified)
 * and returns the overlayfs lowerdir list, TOP layer first (the order
 * overlayfs' lowerdir= option wants), NULL-terminated. */
int hvc_image_lowerdirs(struct hvc_image_store *s, const struct hvc_image *img, char ***dirs,
			struct hvc_error *err);

/* Writes the image's merged filesystem (whiteouts applied) into dest, which
 * must not exist or be empty. Used by the VM driver for initramfs/disk. */
int hvc_image_flatten(struct hvc_image_store *s, const struct hvc_image *img, const char *dest,
		      struct hvc_error *err);

#endif
