/* engine/image/image_internal: private declarations shared by the image
 * module's files (not part of the public contract in include/hvc/image.h). */
#ifndef HVC_IMAGE_INTERNAL_H
#define HVC_IMAGE_INTERNAL_H

#include <openssl/evp.h>
#include "hvc/image.h"

struct hvc_image_store {
	char *root;    /* $HVC_ROOT */
	char *layout;  /* $HVC_ROOT/images (the OCI layout) */
	char *layers;  /* $HVC_ROOT/layers (unpacked layer cache) */
	char *tmp;     /* $HVC_ROOT/tmp (scratch on the same filesystem) */
	int lock_fd;   /* $HVC_ROOT/images.lock: index changes and GC */
	int lock_depth;
	int hold_fd;   /* $HVC_ROOT/images.hold: shared by writers, exclusive by GC */
	bool trust_reads; /* hvc_image_store_trust_reads(): blob reads skip the digest */
};

/* Like hvc_err, but the message is complete without strerror(code) appended
 * (for bad input the message already says what is wrong). */
int hvc_image_err(struct hvc_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Streaming SHA-256. */
struct hvc_hasher {
	EVP_MD_CTX *ctx;
	int64_t bytes;
};
int hvc_hasher_init(struct hvc_hasher *h);
void hvc_hasher_update(struct hvc_hasher *h, const void *data, size_t len);
void hvc_hasher_final(struct hvc_hasher *h, char out[HVC_DIGEST_LEN]);
void hvc_hasher_free(struct hvc_hasher *h);

/* index.json */
/* hvc_image_resolve and then its OCI config; on failure nothing is left to free. */
int hvc_image_resolve_config(struct hvc_image_store *s, const char *ref, struct hvc_image **img,
			     json_object **cfg, struct hvc_error *err);
int hvc_image_index_read(struct hvc_image_store *s, json_object **out, struct hvc_error *err);
/* Whether index.json still lists manifest digest (true when it cannot be read). */
bool hvc_image_manifest_indexed(struct hvc_image_store *s, const char *digest);
/* The media type a descriptor of this manifest blob must carry: Docker v2
 * schema 2 when the manifest says so (a pull keeps a registry's bytes, so
 * its digest), else OCI's. */
const char *hvc_image_manifest_media_type(struct hvc_image_store *s, const char *digest);
int hvc_image_index_write(struct hvc_image_store *s, json_object *index, struct hvc_error *err);
/* The reference as index.json knows it (no default image made): 1 found
 * (*out set), 0 not there, -1 error (an empty reference is one). */
int hvc_image_find(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		   struct hvc_error *err);
/* {mediaType, digest, size}: an OCI descriptor (image_index.c). */
json_object *hvc_image_descriptor_new(const char *mt, const char *digest, int64_t size);
/* Loads a manifest (and its config) into a struct hvc_image. */
int hvc_image_load_manifest(struct hvc_image_store *s, const char *digest, int64_t size,
			    const char *name, struct hvc_image **out, struct hvc_error *err);
/* Takes/releases the shared hold unless one is already held; returns whether taken. */
int hvc_image_hold_temp(struct hvc_image_store *s, bool *taken, struct hvc_error *err);
void hvc_image_hold_release(struct hvc_image_store *s, bool taken);

/* One layer from source (a rootfs directory or a tar file, checked and, for a
 * tar, unpacked once so that escapes show now) committed as the image name on
 * top of parent (may be NULL: a base image, Cmd /bin/sh when it has a shell
 * or force_sh). created NULL = now. (image_layer_commit.c) */
struct hvc_image_commit_layer {
	const struct hvc_image *parent;
	const char *source, *name;
	const char *created, *created_by, *comment;
	bool force_sh;
};
int hvc_image_commit_layer(struct hvc_image_store *s, const struct hvc_image_commit_layer *c,
			   char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err);

/* Path checks shared by extraction and tar import: NULL when fine, else why. */
const char *hvc_image_member_path_problem(const char *path);
/* Strips leading "./" (and repeated slashes) in place; "" for the root itself. */
char *hvc_image_member_path_clean(char *path);

/* "x86_64" -> "amd64" etc. */
const char *hvc_image_host_arch(void);

#endif
