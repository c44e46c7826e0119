/* util: error contract, sizes, strv, atomic files, json, spawn, fd passing. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hvc/util.h"
#include "check_main.h"

START_TEST(error_carries_errno_and_context)
{
	struct hvc_error err = { 0 };
	int r = hvc_err(&err, ENOENT, "open `%s`", "/nope");
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_str_eq(err.msg, "open `/nope`: No such file or directory");
	hvc_error_prefix(&err, "build: step %d/%d", 3, 7);
	ck_assert_str_eq(err.msg, "build: step 3/7: open `/nope`: No such file or directory");
	ck_assert_int_eq(hvc_err(&err, 0, "plain"), -1);
	ck_assert_str_eq(err.msg, "plain");
}
END_TEST

START_TEST(parse_size_units)
{
	struct hvc_error err = { 0 };
	uint64_t b;
	ck_assert_int_eq(hvc_parse_size("512", &b, &err), 0);
	ck_assert_uint_eq(b, 512);
	ck_assert_int_eq(hvc_parse_size("64k", &b, &err), 0);
	ck_assert_uint_eq(b, 65536);
	ck_assert_int_eq(hvc_parse_size("256m", &b, &err), 0);
	ck_assert_uint_eq(b, 256ull << 20);
	ck_assert_int_eq(hvc_parse_size("1.5G", &b, &err), 0);
	ck_assert_uint_eq(b, 3ull << 29);
	ck_assert_int_eq(hvc_parse_size("2GiB", &b, &err), 0);
	ck_assert_uint_eq(b, 2ull << 30);
	ck_assert_int_lt(hvc_parse_size("12q", &b, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"12q\""));
	ck_assert_int_lt(hvc_parse_size("", &b, &err), 0);
	ck_assert_int_lt(hvc_parse_size("-5m", &b, &err), 0);
	ck_assert_int_lt(hvc_parse_size("5mx", &b, &err), 0);
}
END_TEST

START_TEST(format_size)
{
	char buf[32];
	ck_assert_str_eq(hvc_format_size(100, buf, sizeof(buf)), "100 B");
	ck_assert_str_eq(hvc_format_size(1536, buf, sizeof(buf)), "1.5 KiB");
	ck_assert_str_eq(hvc_format_size(3ull << 30, buf, sizeof(buf)), "3.0 GiB");
}
END_TEST

START_TEST(strv_and_join)
{
	_cleanup_strv_ char **v = NULL;
	ck_assert_int_eq(hvc_strv_push(&v, "a"), 0);
	ck_assert_int_eq(hvc_strv_push(&v, "b"), 0);
	ck_assert_uint_eq(hvc_strv_len(v), 2);
	_cleanup_strv_ char **d = hvc_strv_dup(v);
	ck_assert_str_eq(d[1], "b");
	ck_assert_ptr_null(d[2]);
	_cleanup_free_ char *p = hvc_path_join("/a//", "/b");
	ck_assert_str_eq(p, "/a/b");
	ck_assert(hvc_str_has_suffix("a,volatile", ",volatile"));
	ck_assert(hvc_str_has_suffix("x", ""));
	ck_assert(!hvc_str_has_suffix("volatile", ",volatile"));
	ck_assert(!hvc_str_has_suffix("a,volatile,b", ",volatile"));
}
END_TEST

START_TEST(fd_passing)
{
	int sv[2], p[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(hvc_send_with_fd(sv[0], "pty", 3, p[1]), 3);
	ck_assert_int_eq(hvc_send_with_fd(sv[0], "none", 4, -1), 4);
	char buf[16];
	int fd = -2;
	ck_assert_int_eq(hvc_recv_with_fd(sv[1], buf, sizeof(buf), &fd), 3);
	ck_assert_int_ge(fd, 0);
	ck_assert(fd != p[1]);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(write(fd, "x", 1), 1); /* the same pipe, a new descriptor */
	ck_assert_int_eq(read(p[0], buf, 1), 1);
	ck_assert_int_eq(buf[0], 'x');
	close(fd);
	ck_assert_int_eq(hvc_recv_with_fd(sv[1], buf, sizeof(buf), &fd), 4);
	ck_assert_int_eq(fd, -1);
	close(sv[0]), close(sv[1]), close(p[0]), close(p[1]);
}
END_TEST

START_TEST(strv_split_and_deadline)
{
	_cleanup_strv_ char **v = hvc_strv_split("a,,bc,", ',');
	ck_assert_uint_eq(hvc_strv_len(v), 2);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "bc");
	_cleanup_strv_ char **e = hvc_strv_split(",,", ',');
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(hvc_strv_len(e), 0);
	ck_assert_int_eq(hvc_deadline_poll_ms(0), -1);
	ck_assert_int_eq(hvc_deadline_poll_ms(1), -2);
	int ms = hvc_deadline_poll_ms(hvc_now_ns() + 500000000ull);
	ck_assert_int_ge(ms, 1);
	ck_assert_int_le(ms, 501);
}
END_TEST

START_TEST(atomic_write_and_rm_rf)
{
	char dir[] = "/tmp/hvc-unit.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = { 0 };
	_cleanup_free_ char *sub = hvc_path_join(dir, "x/y/z");
	ck_assert_int_eq(hvc_mkdir_p(sub, 0755, &err), 0);
	_cleanup_free_ char *f = hvc_path_join(sub, "f.json");
	ck_assert_int_eq(hvc_write_file_atomic(f, "{\"a\": 1}", 8, 0600, &err), 0);
	struct stat st;
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	_cleanup_json_ json_object *o = NULL;
	ck_assert_int_eq(hvc_json_read_file(f, &o, &err), 0);
	ck_assert_int_eq(hvc_json_get_int(o, "a", 0), 1);
	ck_assert_int_eq(hvc_json_get_int(o, "missing", 7), 7);
	ck_assert_ptr_null(hvc_json_get_string(o, "a"));
	ck_assert_int_eq(hvc_rm_rf(dir, &err), 0);
	ck_assert(!hvc_path_exists(dir));
	/* missing path is not an error */
	ck_assert_int_eq(hvc_rm_rf(dir, &err), 0);
}
END_TEST

START_TEST(json_malformed_reports_offset)
{
	struct hvc_error err = { 0 };
	json_object *o = NULL;
	ck_assert_int_lt(hvc_json_parse("{\"a\": ]", 7, "`x.json`", &o, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "`x.json`"));
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed JSON"));
	ck_assert_int_lt(hvc_json_parse("{\"a\": 1", 7, "`y`", &o, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unexpected end"));
}
END_TEST

START_TEST(spawn_capture_status_and_timeout)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *out = NULL;
	char *echo[] = { "sh", "-c", "echo hi; exit 3", NULL };
	ck_assert_int_eq(hvc_spawn_capture(echo, &out, false, 5000, &err), 3);
	ck_assert_str_eq(out, "hi\n");
	char *slow[] = { "sleep", "5", NULL };
	ck_assert_int_eq(hvc_spawn_capture(slow, NULL, false, 100, &err), -ETIMEDOUT);
	char *missing[] = { "/nonexistent/prog", NULL };
	ck_assert_int_lt(hvc_spawn_capture(missing, NULL, false, 1000, &err), 0);
	ck_assert_int_eq(err.code, ENOENT);
}
END_TEST

START_TEST(spawn_capture_merge_and_large_output)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *out = NULL;
	char *both[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	ck_assert_int_eq(hvc_spawn_capture(both, &out, true, 5000, &err), 0);
	ck_assert_str_eq(out, "out\nerr\n");
	free(out);
	out = NULL;
	ck_assert_int_eq(hvc_spawn_capture(both, &out, false, 5000, &err), 0);
	ck_assert_str_eq(out, "out\n"); /* stderr went to /dev/null */
	free(out);
	out = NULL;
	/* 100000 bytes: the buffer grows past its first 4 KiB */
	char *big[] = { "sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x", NULL };
	ck_assert_int_eq(hvc_spawn_capture(big, &out, false, 5000, &err), 0);
	ck_assert_uint_eq(strlen(out), 100000);
	char *killed[] = { "sh", "-c", "kill -TERM $$", NULL };
	ck_assert_int_eq(hvc_spawn_capture(killed, NULL, false, 5000, &err), 128 + SIGTERM);
}
END_TEST

START_TEST(mountinfo_lines_split_and_unescaped)
{
	char text[] = "25 30 0:23 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
		      "garbage line without separator\n"
		      "2 0 0:2 / short - \n"
		      "\n"
		      "36 31 0:33 /a\\040b /mnt/with\\040space\\011tab rw - cgroup my\\134src rw,cpu,cpuacct";
	char *p = text;
	struct hvc_mountinfo_entry e;
	ck_assert(hvc_mountinfo_next(&p, &e));
	ck_assert_str_eq(e.target, "/sys");
	ck_assert_str_eq(e.vfs_opts, "rw,nosuid");
	ck_assert_str_eq(e.fstype, "sysfs");
	ck_assert_str_eq(e.super_opts, "rw");
	ck_assert(hvc_mountinfo_next(&p, &e)); /* the two broken lines are skipped */
	ck_assert_str_eq(e.root, "/a b");
	ck_assert_str_eq(e.target, "/mnt/with space\ttab");
	ck_assert_str_eq(e.source, "my\\src");
	ck_assert_str_eq(e.super_opts, "rw,cpu,cpuacct");
	ck_assert(!hvc_mountinfo_next(&p, &e));
	ck_assert(!hvc_mountinfo_next(&p, &e));
	ck_assert(hvc_mount_opt_has("rw,cpu,cpuacct", "cpu"));
	ck_assert(hvc_mount_opt_has("rw,cpu,cpuacct", "cpuacct"));
	ck_assert(!hvc_mount_opt_has("rw,cpuacct", "cpu"));
	ck_assert(!hvc_mount_opt_has("rw,cpu", "cp"));
	ck_assert(!hvc_mount_opt_has("", "rw"));
}
END_TEST

START_TEST(log_levels)
{
	ck_assert_int_eq(hvc_log_level_parse("debug"), HVC_LOG_DEBUG);
	ck_assert_int_eq(hvc_log_level_parse("WARNING"), HVC_LOG_WARN);
	ck_assert_int_eq(hvc_log_level_parse("loud"), -1);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, error_carries_errno_and_context);
	tcase_add_test(tc, parse_size_units);
	tcase_add_test(tc, format_size);
	tcase_add_test(tc, strv_and_join);
	tcase_add_test(tc, strv_split_and_deadline);
	tcase_add_test(tc, fd_passing);
	tcase_add_test(tc, atomic_write_and_rm_rf);
	tcase_add_test(tc, json_malformed_reports_offset);
	tcase_add_test(tc, spawn_capture_status_and_timeout);
	tcase_add_test(tc, spawn_capture_merge_and_large_output);
	tcase_add_test(tc, mountinfo_lines_split_and_unescaped);
	tcase_add_test(tc, log_levels);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(util_suite)
