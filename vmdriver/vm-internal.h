/* vmdriver's private seams between its files (not part of the public API). */
#ifndef HVC_VM_INTERNAL_H
#define HVC_VM_INTERNAL_H

#include "hvc/vm.h"

/* state.c */
int vm_state_write(const char *id, json_object *o, struct hvc_error *err);
int vm_state_read(const char *id, json_object **o, struct hvc_error *err);

#endif
