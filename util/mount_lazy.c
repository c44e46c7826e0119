/* util/mount_lazy: libmount (util-linux's mount-table parser), loaded on
 * first use (see hvc/lazy.h). Linked, it and the libraries it pulls in
 * (libblkid, libselinux, libpcre2-8) were relocated at every hvc start,
 * though only cgroup detection (engine/cgroup/cgroup_detect.c) reads the
 * mount table. Every libmount function hvc calls is listed here; one that is
 * not fails to link. */
#include "hvc/lazy.h"
#include <libmount.h>

#ifndef HVC_SONAME_MOUNT
#define HVC_SONAME_MOUNT "libmount.so.1"
#endif
HVC_LAZY_LIB(mount_lib, HVC_SONAME_MOUNT);

/* Tables */
HVC_LAZY_FN(mount_lib, struct libmnt_table *, mnt_new_table, (void), ())
HVC_LAZY_VOID_FN(mount_lib, mnt_unref_table, (struct libmnt_table * tb), (tb))
HVC_LAZY_FN(mount_lib, int, mnt_table_parse_file, (struct libmnt_table * tb, const char *filename),
	    (tb, filename))
HVC_LAZY_FN(mount_lib, int, mnt_table_parse_stream,
	    (struct libmnt_table * tb, FILE *f, const char *filename), (tb, f, filename))
HVC_LAZY_FN(mount_lib, int, mnt_table_set_parser_errcb,
	    (struct libmnt_table * tb,
	     int (*cb)(struct libmnt_table *tb, const char *filename, int line)),
	    (tb, cb))

/* Walking a table */
HVC_LAZY_FN(mount_lib, struct libmnt_iter *, mnt_new_iter, (int direction), (direction))
HVC_LAZY_VOID_FN(mount_lib, mnt_free_iter, (struct libmnt_iter * itr), (itr))
HVC_LAZY_FN(mount_lib, int, mnt_table_next_fs,
	    (struct libmnt_table * tb, struct libmnt_iter *itr, struct libmnt_fs **fs),
	    (tb, itr, fs))

/* One mount */
HVC_LAZY_FN(mount_lib, const char *, mnt_fs_get_target, (struct libmnt_fs * fs), (fs))
HVC_LAZY_FN(mount_lib, const char *, mnt_fs_get_fstype, (struct libmnt_fs * fs), (fs))
HVC_LAZY_FN(mount_lib, const char *, mnt_fs_get_fs_options, (struct libmnt_fs * fs), (fs))
HVC_LAZY_FN(mount_lib, int, mnt_optstr_get_option,
	    (const char *optstr, const char *name, char **value, size_t *valsz),
	    (optstr, name, value, valsz))
