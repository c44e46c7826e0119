/* lazy: libraries loaded on first use (hvc/lazy.h and the util/ wrappers). */
#include <archive.h>
#include <check.h>
#include <dlfcn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hvc/lazy.h"
#include "hvc/util.h"
#include "check_main.h"

HVC_LAZY_LIB(missing_lib, "libhvc-no-such-library.so.0");
HVC_LAZY_LIB(libc_lib, "libc.so.6");

START_TEST(missing_library_is_null_for_optional_callers)
{
	ck_assert_ptr_null(hvc_lazy_sym(&missing_lib, "anything"));
	ck_assert_ptr_null(hvc_lazy_sym(&missing_lib, "anything"));
	ck_assert_ptr_nonnull(strstr(missing_lib.error, "libhvc-no-such-library.so.0"));
}
END_TEST

START_TEST(symbols_resolve_once_loaded)
{
	pid_t (*real_getpid)(void) = (pid_t(*)(void))hvc_lazy_sym(&libc_lib, "getpid");
	ck_assert_ptr_nonnull(real_getpid);
	ck_assert_int_eq(real_getpid(), getpid());
	ck_assert_ptr_null(hvc_lazy_sym(&libc_lib, "hvc_no_such_symbol"));
}
END_TEST

/* Run hvc_lazy_sym_or_exit(lib, name) in a child; its exit status and stderr. */
static int or_exit_in_child(struct hvc_lazy_lib *lib, const char *name, char *out, size_t len)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		hvc_lazy_sym_or_exit(lib, name);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(missing_library_exits_125_with_one_line)
{
	char out[512];
	ck_assert_int_eq(or_exit_in_child(&missing_lib, "anything", out, sizeof(out)), 125);
	ck_assert_msg(strncmp(out, "hvc: cannot load libhvc-no-such-library.so.0: ", 46) == 0, "%s", out);
	/* exactly one line */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
}
END_TEST

START_TEST(missing_symbol_exits_125_naming_it)
{
	char out[512];
	ck_assert_int_eq(or_exit_in_child(&libc_lib, "hvc_no_such_symbol", out, sizeof(out)), 125);
	ck_assert_msg(strncmp(out, "hvc: cannot load libc.so.6: ", 28) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "hvc_no_such_symbol"));
	ck_assert_int_eq(or_exit_in_child(&libc_lib, "getpid", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* The point of it all: libarchive is not mapped until hvc first calls it. */
START_TEST(libarchive_is_loaded_on_first_call)
{
	ck_assert_ptr_null(dlopen("libarchive.so.13", RTLD_NOW | RTLD_NOLOAD));
	struct archive *a = archive_read_new();
	ck_assert_ptr_nonnull(a);
	void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_NOLOAD);
	ck_assert_ptr_nonnull(h);
	dlclose(h);
	ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
}
END_TEST

static Suite *lazy_suite(void)
{
	Suite *s = suite_create("lazy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, missing_library_is_null_for_optional_callers);
	tcase_add_test(tc, symbols_resolve_once_loaded);
	tcase_add_test(tc, missing_library_exits_125_with_one_line);
	tcase_add_test(tc, missing_symbol_exits_125_naming_it);
	tcase_add_test(tc, libarchive_is_loaded_on_first_call);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(lazy_suite)
