/* bench/bench_results_schema: docs/results.schema.json compiled into the
 * library as data (.incbin; the Makefile makes this object depend on the
 * file), so the schema file is the one definition of results.json and the
 * validator can never drift from it. */
#include "bench_internal.h"
#include <string.h>

__asm__(".section .rodata\n"
	".globl hvc_bench_results_schema_text\n"
	".hidden hvc_bench_results_schema_text\n"
	".type hvc_bench_results_schema_text, @object\n"
	"hvc_bench_results_schema_text:\n"
	".incbin \"docs/results.schema.json\"\n"
	".byte 0\n"
	".size hvc_bench_results_schema_text, . - hvc_bench_results_schema_text\n"
	".previous\n");

int hvc_bench_results_schema(json_object **out, struct hvc_error *err)
{
	if (hvc_json_parse(hvc_bench_results_schema_text, strlen(hvc_bench_results_schema_text),
			   "docs/results.schema.json", out, err) < 0)
		return -1;
	return 0;
}
