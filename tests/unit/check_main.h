/* tests/unit/check_main.h: the shared main() of the check-based unit suites (one
 * suite per module), and how a test that cannot run here says so. */
#ifndef HVC_CHECK_MAIN_H
#define HVC_CHECK_MAIN_H
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hvc/util.h"

/* check has no "skipped" outcome: a test that returns early passes. A test
 * that cannot run here (not root, no such hierarchy, no busybox) returns
 * through HVC_SKIP instead, which prints one line on stdout,
 *   SKIP: <suite binary>:<test>: <reason>
 * that scripts/run-tests.sh counts as skipped rather than passed. Loop tests
 * name their iteration (<test>#<i>) when it is not the first. */
static inline void __attribute__((format(printf, 3, 4)))
hvc_check_skip(const char *fn, int i, const char *fmt, ...)
{
	size_t n = strlen(fn);
	if (n > 3 && !strcmp(fn + n - 3, "_fn")) /* START_TEST(x) defines x_fn */
		n -= 3;
	if (i)
		printf("SKIP: %s:%.*s#%d: ", program_invocation_short_name, (int)n, fn, i);
	else
		printf("SKIP: %s:%.*s: ", program_invocation_short_name, (int)n, fn);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout); /* before check's forked child exits */
}

/* In a START_TEST body: report the test skipped with a printf-style reason
 * and return. */
#define HVC_SKIP(...)                                                                              \
	do {                                                                                       \
		hvc_check_skip(__func__, _i, __VA_ARGS__);                                         \
		return;                                                                            \
	} while (0)
#define HVC_SKIP_IF(cond, ...)                                                                     \
	do {                                                                                       \
		if (cond)                                                                          \
			HVC_SKIP(__VA_ARGS__);                                                     \
	} while (0)

/* Golden files (STYLE.md rule 6): got must equal the file at path;
 * REGENERATE=1 rewrites the file instead (then review the diff). */
static inline void hvc_check_golden(const char *dir, const char *path, const char *got)
{
	struct hvc_error err = {0};
	const char *regen = getenv("REGENERATE");
	if (regen && !strcmp(regen, "1")) {
		ck_assert_int_eq(hvc_mkdir_p(dir, 0755, &err), 0);
		ck_assert_int_eq(hvc_write_file(path, got, strlen(got), 0644, &err), 0);
		return;
	}
	char *want = NULL;
	if (hvc_read_file(path, &want, NULL, &err) < 0)
		ck_abort_msg("golden file %s missing (run with REGENERATE=1): %s", path, err.msg);
	int same = !strcmp(want, got);
	free(want);
	ck_assert_msg(same, "%s differs from the generated text:\n%s", path, got);
}

#define HVC_CHECK_MAIN(suite_fn)                                                                   \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(suite_fn());                                          \
		srunner_run_all(sr, CK_NORMAL);                                                    \
		int failed = srunner_ntests_failed(sr);                                            \
		srunner_free(sr);                                                                  \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                       \
	}
#endif
