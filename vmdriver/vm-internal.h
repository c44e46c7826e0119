/* vmdriver's private seams between its files (not part of the public API). */
#ifndef HVC_VM_INTERNAL_H
#define HVC_VM_INTERNAL_H

#include "hvc/vm.h"

/* Interim stand-ins (vmdriver/interim.c) until the `host` part's accelerator
 * verdict and kernel discovery and the `images` part's store land; each is
 * one call to swap. */
struct vm_accel {
	bool kvm;
	char reason[256];
};
void vm_interim_accel(struct vm_accel *a);
/* Kernel path (explicit, $HVC_KERNEL, or newest /boot/vmlinuz-* with modules)
 * and its release. */
int vm_interim_kernel(const char *explicit_path, char **path, char **release, struct hvc_error *err);
/* The image: a cache key, its command/env/workdir, and (when not cached) its
 * flattened tree in dest. */
struct vm_image {
	char *key;
	char **entrypoint, **cmd, **env;
	char *workdir;
};
int vm_interim_image_resolve(const char *ref, struct vm_image *img, struct hvc_error *err);
int vm_interim_image_flatten(const char *ref, const char *dest, struct hvc_error *err);
void vm_image_free(struct vm_image *img);

/* Release string embedded in a bzImage header, NULL when not a bzImage (pure). */
char *vm_bzimage_release(const unsigned char *buf, size_t len);

/* state.c */
int vm_state_write(const char *id, json_object *o, struct hvc_error *err);
int vm_state_read(const char *id, json_object **o, struct hvc_error *err);

#endif
