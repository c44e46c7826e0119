/* util: the shared ground floor — error contract, cleanup attributes, logging,
 * monotonic time, file helpers, json-c helpers, child processes, parsing. */
#ifndef HVC_UTIL_H
#define HVC_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <json-c/json.h>

/* ---------- errors ------------------------------------------------------
 * A function that can fail returns a negative int (or NULL) and fills *err.
 * Callers add context on the way up with hvc_error_prefix(). Only main()
 * turns an error into an exit status. */
struct hvc_error {
	int code;       /* errno value, 0 when the failure has none */
	char msg[2048]; /* "what failed: why" */
};

/* Sets err (if non-NULL) to fmt..., appending ": strerror(errnum)" when
 * errnum != 0. Returns -1 (or -errnum when errnum != 0) for `return hvc_err(...)`. */
int hvc_err(struct hvc_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "fmt...: " to err's message. Returns the same value hvc_err would. */
int hvc_error_prefix(struct hvc_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hvc_error_clear(struct hvc_error *err);

/* ---------- memory (util/alloc.c) -------------------------------------
 * Abort with a message when memory runs out: for the small allocations whose
 * failure cannot be handled usefully. Sizes taken from outside input use
 * checked malloc and ENOMEM instead. */
void *hvc_xmalloc(size_t n);
void *hvc_xcalloc(size_t nmemb, size_t size);
/* Resizes to nmemb * size bytes; overflow of the product aborts too. */
void *hvc_xrealloc(void *ptr, size_t nmemb, size_t size);
char *hvc_xstrdup(const char *s);
char *hvc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------- cleanup attributes (safe on NULL and -1) ------------------- */
void hvc_freep(void *p);
void hvc_closep(int *fd);
void hvc_fclosep(FILE **f);
void hvc_json_putp(json_object **o);
void hvc_strv_freep(char ***v);
#define _cleanup_free_ __attribute__((cleanup(hvc_freep)))
#define _cleanup_close_ __attribute__((cleanup(hvc_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(hvc_fclosep)))
#define _cleanup_json_ __attribute__((cleanup(hvc_json_putp)))
#define _cleanup_strv_ __attribute__((cleanup(hvc_strv_freep)))

static inline void *hvc_steal_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))hvc_steal_ptr(pp))
static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* ---------- logging ---------------------------------------------------- */
enum hvc_log_level { HVC_LOG_ERROR, HVC_LOG_WARN, HVC_LOG_INFO, HVC_LOG_DEBUG, HVC_LOG_TRACE };
void hvc_log_set_level(enum hvc_log_level lvl);
enum hvc_log_level hvc_log_get_level(void);
/* "error", "warn", "info", "debug", "trace" -> level; -1 when unknown. */
int hvc_log_level_parse(const char *s);
void hvc_log(enum hvc_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define hvc_warn(...) hvc_log(HVC_LOG_WARN, __VA_ARGS__)
#define hvc_info(...) hvc_log(HVC_LOG_INFO, __VA_ARGS__)
#define hvc_debug(...) hvc_log(HVC_LOG_DEBUG, __VA_ARGS__)
#define hvc_trace(...) hvc_log(HVC_LOG_TRACE, __VA_ARGS__)

/* ---------- time ------------------------------------------------------- */
uint64_t hvc_now_ns(void);           /* CLOCK_MONOTONIC */
double hvc_ns_to_ms(uint64_t ns);
/* ISO-8601 UTC of the wall clock ("2026-11-28T18:00:00Z") into buf. */
const char *hvc_wall_iso8601(char *buf, size_t len);

/* ---------- files ------------------------------------------------------ */
/* Reads a whole file, NUL-terminated (len excludes the NUL). */
int hvc_read_file(const char *path, char **data, size_t *len, struct hvc_error *err);
/* temp file in the same dir + write + fsync + rename + fsync(dir). */
int hvc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct hvc_error *err);
/* Plain write (no fsync): for hot paths where crash safety does not matter. */
int hvc_write_file(const char *path, const void *data, size_t len, mode_t mode,
		   struct hvc_error *err);
int hvc_mkdir_p(const char *path, mode_t mode, struct hvc_error *err);
/* Removes a tree without following symlinks or crossing mount points. */
int hvc_rm_rf(const char *path, struct hvc_error *err);
bool hvc_path_exists(const char *path);
/* malloc'd "a/b" (exactly one slash between). */
char *hvc_path_join(const char *a, const char *b);
int hvc_copy_file(const char *src, const char *dst, mode_t mode, struct hvc_error *err);

/* ---------- strings ---------------------------------------------------- */
char *hvc_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t hvc_strv_len(char *const *v);
void hvc_strv_free(char **v);
char **hvc_strv_dup(char *const *v);
/* Appends a copy of s; returns 0 or -1 (ENOMEM). */
int hvc_strv_push(char ***v, const char *s);
/* "a,,b" -> {"a", "b"}: non-empty fields split at sep; an empty vector (not
 * NULL) when there are none; NULL only when out of memory. */
char **hvc_strv_split(const char *s, char sep);
/* Milliseconds for poll(2) until deadline_ns (monotonic): -1 when deadline_ns
 * is 0 (no deadline), -2 when it has passed, else at least 1. */
int hvc_deadline_poll_ms(uint64_t deadline_ns);
/* "512", "64k", "256m", "1.5g", "2GiB" -> bytes. */
int hvc_parse_size(const char *s, uint64_t *bytes, struct hvc_error *err);
/* 1536 -> "1.5 KiB" into buf. */
const char *hvc_format_size(uint64_t bytes, char *buf, size_t len);
bool hvc_str_has_prefix(const char *s, const char *prefix);
bool hvc_str_has_suffix(const char *s, const char *suffix);

/* util/fdpass.c: one message on a (seqpacket) socket with at most one fd
 * attached (fd < 0: none). Receiving sets *fd to the fd that came (close-on-
 * exec), or -1. Both retry EINTR and return what sendmsg/recvmsg return. */
ssize_t hvc_send_with_fd(int sock, const void *buf, size_t len, int fd);
ssize_t hvc_recv_with_fd(int sock, void *buf, size_t len, int *fd);
/* A growing string (util/strbuf.c): start from { 0 }; p is NUL-terminated
 * once anything was put; on allocation failure oom is set and appends stop
 * (check it once at the end, then free(p)). */
struct hvc_strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void hvc_strbuf_putn(struct hvc_strbuf *b, const char *s, size_t n);
void hvc_strbuf_putc(struct hvc_strbuf *b, char c);
void hvc_strbuf_printf(struct hvc_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *hvc_str_trim(char *s);

/* ---------- mount table (util/mountinfo.c) ----------------------------
 * One line of /proc/<pid>/mountinfo, split in place: the fields point into
 * the caller's buffer, octal escapes (\040 for a space, ...) decoded in the
 * paths and the source. */
struct hvc_mountinfo_entry {
	const char *root;	/* the mounted directory within its filesystem */
	const char *target;	/* the mount point */
	const char *vfs_opts;	/* per-mount options ("rw,nosuid") */
	const char *fstype;	/* "cgroup2", "overlay", ... */
	const char *source;
	const char *super_opts; /* per-superblock options ("rw,memory") */
};
/* The next mount of *text (a mutable mountinfo buffer, split in place; *text
 * advances past it) into *e: true, or false at the end. Lines that are not a
 * mount are skipped. Pure. */
bool hvc_mountinfo_next(char **text, struct hvc_mountinfo_entry *e);
/* Whether a comma-separated option string holds exactly name ("rw,cpu" has
 * "cpu", not "cp"). */
bool hvc_mount_opt_has(const char *opts, const char *name);

/* ---------- json (json-c) ---------------------------------------------- */
int hvc_json_read_file(const char *path, json_object **out, struct hvc_error *err);
int hvc_json_parse(const char *buf, size_t len, const char *what, json_object **out,
		   struct hvc_error *err);
int hvc_json_write_file_atomic(const char *path, json_object *o, struct hvc_error *err);
const char *hvc_json_get_string(json_object *o, const char *key); /* NULL when absent */
int64_t hvc_json_get_int(json_object *o, const char *key, int64_t dflt);
double hvc_json_get_double(json_object *o, const char *key, double dflt);
bool hvc_json_get_bool(json_object *o, const char *key, bool dflt);
json_object *hvc_json_get(json_object *o, const char *key); /* borrowed, NULL when absent */
/* The member when it is an array, else NULL: json-c asserts (aborts) when an
 * array accessor is given anything else, so input read from a file goes
 * through this. */
json_object *hvc_json_get_array(json_object *o, const char *key);
/* Adds key -> string (skips when s is NULL). */
void hvc_json_add_string(json_object *o, const char *key, const char *s);
/* A NULL-terminated string vector as a JSON array of strings (NULL -> []). */
json_object *hvc_json_strv_array(char *const *v);
/* "a,b,c" -> ["a","b","c"] (NULL or "" -> []). */
json_object *hvc_json_csv_array(const char *csv);
void hvc_json_add_int(json_object *o, const char *key, int64_t v);
void hvc_json_add_double(json_object *o, const char *key, double v);
void hvc_json_add_bool(json_object *o, const char *key, bool v);
/* Pretty, with slashes unescaped; borrowed from o. */
const char *hvc_json_pretty(json_object *o);

/* ---------- child processes -------------------------------------------- */
/* Runs argv (PATH search), captures stdout (and stderr when merge_stderr) up to
 * a limit into *out (may be NULL), waits at most timeout_ms (0 = no limit; the
 * child is SIGKILLed on expiry). Returns the exit status (0..255), 128+sig when
 * signalled, or a negative error (could not start, or timed out: code ETIMEDOUT). */
int hvc_spawn_capture(char *const argv[], char **out, bool merge_stderr, int timeout_ms,
		      struct hvc_error *err);
/* Closes every fd >= lowfd (close_range, with a /proc fallback). */
void hvc_close_fds_from(int lowfd);

/* ---------- misc ------------------------------------------------------- */
/* n random bytes as 2n lowercase hex chars into buf (size >= 2n+1). */
int hvc_random_hex(char *buf, size_t nbytes, struct hvc_error *err);
/* The state root: --root, else $HVC_ROOT, else /var/lib/hvc. Set once by the CLI. */
void hvc_set_root(const char *root);
const char *hvc_root(void);
/* Directory holding bin/hvc (so guest programs bin/hvc-init are found beside it). */
const char *hvc_bin_dir(void);
/* Path of a guest program ("hvc-init"): $HVC_GUEST_DIR, else beside the running hvc. */
char *hvc_guest_program(const char *name);

#endif
