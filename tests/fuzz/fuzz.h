/* tests/fuzz: what every libFuzzer target shares — a scratch directory on
 * tmpfs made once per process, quiet logging, and the input as a C string or
 * a file. Targets take hvc's parsers through their public (or internal)
 * entry points exactly as the CLI does; see docs/reliability.md. */
#ifndef HVC_FUZZ_H
#define HVC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hvc/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A directory of its own under /dev/shm (tmpfs: no disk writes per input),
 * removed at exit. tag names the target. */
const char *fuzz_scratch(const char *tag);
/* Writes data to path (truncating); aborts on failure: the harness is broken. */
void fuzz_write(const char *path, const void *data, size_t len);
/* Empties dir (keeps it). */
void fuzz_empty_dir(const char *dir);
/* Aborts with a message: a property the target checks was violated. */
void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Splits data at the byte sequence sep into at most max parts (NUL-terminated
 * copies in parts[], lengths in lens[]); returns the number of parts. */
size_t fuzz_split(const uint8_t *data, size_t size, const char *sep, char **parts,
		  size_t *lens, size_t max);

/* HVC_FUZZ_VERBOSE=1: say why each input was refused (running one input by hand). */
void fuzz_note(const char *what, const struct hvc_error *err);

#endif
