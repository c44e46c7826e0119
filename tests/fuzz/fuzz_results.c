/* Fuzz target: the results.json reader behind `hvc bench report` and
 * `hvc bench compare` (bench/bench_results.c, bench_report*.c,
 * bench_compare.c): parse and validate as hvc_bench_results_load does; a
 * document that validates is then summarized, written as CSV and as the
 * markdown report (to /dev/null), and compared with itself. Charts are left
 * out (they run gnuplot). The permutation tests run fewer rounds than the
 * CLI's so an input takes milliseconds; the code paths are the same. */
#include "fuzz.h"
#include "hvc/bench.h"
#include "hvc/bench_harness.h"

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hvc_log_set_level(HVC_LOG_ERROR);
	sink = fopen("/dev/null", "w");
	if (!sink)
		fuzz_fail("open /dev/null");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvc_error err = { 0 };
	json_object *r = NULL;
	if (hvc_json_parse((const char *)data, size, "results.json", &r, &err) < 0)
		return 0;
	if (hvc_bench_results_validate(r, &err) == 0) {
		struct hvc_bench_compare_opts o = { .alpha = 0.05, .min_change = 0.05, .rounds = 20 };
		json_object *cmp = NULL;
		if (hvc_bench_compare(r, r, &o, &cmp, &err) == 0) {
			hvc_bench_compare_print(sink, cmp);
			hvc_bench_compare_regressions(cmp);
			json_object_put(cmp);
		}
		hvc_strv_free(hvc_bench_compare_mismatches(r, r));
		if (hvc_bench_results_summarize(r, &err) == 0) {
			hvc_bench_results_write_csv(r, sink, &err);
			hvc_bench_report_markdown(r, sink, &err);
		}
	} else if (!err.msg[0]) {
		fuzz_fail("validation failed without a message");
	}
	json_object_put(r);
	return 0;
}
