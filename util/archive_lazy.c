/* util/archive_lazy: libarchive, loaded on first use (see hvc/lazy.h).
 * libarchive brings libxml2, ICU, libstdc++, nettle, lzma, zstd, lz4, bz2 and
 * acl; linked, they were relocated at every hvc start (~2 ms of a 4 ms
 * `hvc --version`) though only image import/export, build, layer diffs and
 * the VM initramfs use them. Every libarchive function hvc and its unit tests
 * call is listed here (archive_entry_mode, archive_read_support_filter_gzip
 * and archive_read_support_format_all only by tests); one that is not fails
 * to link. */
#include "hvc/lazy.h"
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#ifndef HVC_SONAME_ARCHIVE
#define HVC_SONAME_ARCHIVE "libarchive.so.13"
#endif
HVC_LAZY_LIB(archive_lib, HVC_SONAME_ARCHIVE);

/* Reading */
HVC_LAZY_FN(archive_lib, int, archive_errno, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, const char *, archive_error_string, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, la_ssize_t, archive_read_data, (struct archive *a, void *x1, size_t x2),
	    (a, x1, x2))
HVC_LAZY_FN(archive_lib, int, archive_read_data_block,
	    (struct archive *a, const void **buff, size_t *size, la_int64_t *offset),
	    (a, buff, size, offset))
HVC_LAZY_FN(archive_lib, int, archive_read_free, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, struct archive *, archive_read_new, (void), ())
HVC_LAZY_FN(archive_lib, int, archive_read_next_header,
	    (struct archive *a, struct archive_entry **ep), (a, ep))
HVC_LAZY_FN(archive_lib, int, archive_read_open,
	    (struct archive *a, void *client_data, archive_open_callback *x2,
	     archive_read_callback *x3, archive_close_callback *x4),
	    (a, client_data, x2, x3, x4))
HVC_LAZY_FN(archive_lib, int, archive_read_open_filename,
	    (struct archive *a, const char *filename, size_t block_size),
	    (a, filename, block_size))
HVC_LAZY_FN(archive_lib, int, archive_read_support_filter_all, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_read_support_filter_gzip, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_read_support_format_all, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_read_support_format_gnutar, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_read_support_format_raw, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_read_support_format_tar, (struct archive *a), (a))

/* Writing */
HVC_LAZY_FN(archive_lib, int, archive_write_add_filter_gzip, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_add_filter_none, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_add_filter_zstd, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_close, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, la_ssize_t, archive_write_data,
	    (struct archive *a, const void *x1, size_t x2), (a, x1, x2))
HVC_LAZY_FN(archive_lib, int, archive_write_finish_entry, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_free, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_header, (struct archive *a, struct archive_entry *e),
	    (a, e))
HVC_LAZY_FN(archive_lib, struct archive *, archive_write_new, (void), ())
HVC_LAZY_FN(archive_lib, int, archive_write_open,
	    (struct archive *a, void *x1, archive_open_callback *x2, archive_write_callback *x3,
	     archive_close_callback *x4),
	    (a, x1, x2, x3, x4))
HVC_LAZY_FN(archive_lib, int, archive_write_open2,
	    (struct archive *a, void *x1, archive_open_callback *x2, archive_write_callback *x3,
	     archive_close_callback *x4, archive_free_callback *x5),
	    (a, x1, x2, x3, x4, x5))
HVC_LAZY_FN(archive_lib, int, archive_write_open_fd, (struct archive *a, int fd), (a, fd))
HVC_LAZY_FN(archive_lib, int, archive_write_open_filename, (struct archive *a, const char *file),
	    (a, file))
HVC_LAZY_FN(archive_lib, int, archive_write_set_bytes_in_last_block,
	    (struct archive *a, int bytes_in_last_block), (a, bytes_in_last_block))
HVC_LAZY_FN(archive_lib, int, archive_write_set_filter_option,
	    (struct archive *a, const char *m, const char *o, const char *v), (a, m, o, v))
HVC_LAZY_FN(archive_lib, int, archive_write_set_format_cpio_newc, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_set_format_pax_restricted, (struct archive *a), (a))
HVC_LAZY_FN(archive_lib, int, archive_write_set_format_raw, (struct archive *a), (a))

/* Entries */
HVC_LAZY_FN(archive_lib, struct archive_entry *, archive_entry_clear, (struct archive_entry *e),
	    (e))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_copy_stat,
		 (struct archive_entry *e, const struct stat *x1), (e, x1))
HVC_LAZY_FN(archive_lib, __LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_free, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, la_int64_t, archive_entry_gid, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, const char *, archive_entry_hardlink, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, __LA_MODE_T, archive_entry_mode, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, time_t, archive_entry_mtime, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, long, archive_entry_mtime_nsec, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, struct archive_entry *, archive_entry_new, (void), ())
HVC_LAZY_FN(archive_lib, const char *, archive_entry_pathname, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, __LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_filetype,
		 (struct archive_entry *e, unsigned int x1), (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_gid, (struct archive_entry *e, la_int64_t x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_gname, (struct archive_entry *e, const char *x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_hardlink,
		 (struct archive_entry *e, const char *x1), (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_ino64, (struct archive_entry *e, la_int64_t x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_mode, (struct archive_entry *e, __LA_MODE_T x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_mtime,
		 (struct archive_entry *e, time_t x1, long x2), (e, x1, x2))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_nlink, (struct archive_entry *e, unsigned int x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_pathname,
		 (struct archive_entry *e, const char *x1), (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_perm, (struct archive_entry *e, __LA_MODE_T x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_rdev, (struct archive_entry *e, dev_t x1), (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_size, (struct archive_entry *e, la_int64_t x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_symlink, (struct archive_entry *e, const char *x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_uid, (struct archive_entry *e, la_int64_t x1),
		 (e, x1))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_set_uname, (struct archive_entry *e, const char *x1),
		 (e, x1))
HVC_LAZY_FN(archive_lib, la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, const char *, archive_entry_symlink, (struct archive_entry *e), (e))
HVC_LAZY_FN(archive_lib, la_int64_t, archive_entry_uid, (struct archive_entry *e), (e))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_unset_atime, (struct archive_entry *e), (e))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_unset_birthtime, (struct archive_entry *e), (e))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_unset_ctime, (struct archive_entry *e), (e))

/* Extended attributes */
HVC_LAZY_VOID_FN(archive_lib, archive_entry_xattr_add_entry,
		 (struct archive_entry *e, const char *x1, const void *x2, size_t x3),
		 (e, x1, x2, x3))
HVC_LAZY_FN(archive_lib, int, archive_entry_xattr_next,
	    (struct archive_entry *e, const char **x1, const void **x2, size_t *x3),
	    (e, x1, x2, x3))
HVC_LAZY_FN(archive_lib, int, archive_entry_xattr_reset, (struct archive_entry *e), (e))

/* Hard links (cpio) */
HVC_LAZY_VOID_FN(archive_lib, archive_entry_linkify,
		 (struct archive_entry_linkresolver * r, struct archive_entry **ep,
		  struct archive_entry **ep2),
		 (r, ep, ep2))
HVC_LAZY_VOID_FN(archive_lib, archive_entry_linkresolver_free,
		 (struct archive_entry_linkresolver * r), (r))
HVC_LAZY_FN(archive_lib, struct archive_entry_linkresolver *, archive_entry_linkresolver_new,
	    (void), ())
HVC_LAZY_VOID_FN(archive_lib, archive_entry_linkresolver_set_strategy,
		 (struct archive_entry_linkresolver * r, int x1), (r, x1))
