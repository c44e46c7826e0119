/* Shared main() for the check-based unit suites: one suite per module. */
#ifndef HVC_CHECK_MAIN_H
#define HVC_CHECK_MAIN_H
#include <check.h>
#include <stdlib.h>

#define HVC_CHECK_MAIN(suite_fn)                                          \
	int main(void)                                                    \
	{                                                                 \
		SRunner *sr = srunner_create(suite_fn());                 \
		srunner_run_all(sr, CK_NORMAL);                           \
		int failed = srunner_ntests_failed(sr);                   \
		srunner_free(sr);                                         \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;              \
	}
#endif
