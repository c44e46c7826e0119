/* bench/bench_sanity: the sanity rules for results that isolation cannot
 * explain (a container faster than native, a VM faster on CPU or memory) and
 * the one such result that is real (a VM faster on syscall under TCG). Pure:
 * numbers and names in, a flag {code, severity, text} out; bench_results.c
 * attaches it to the summary, bench_report.c prints it. */
#include "hvc/bench_harness.h"
#include "hvc/stats.h"
#include <math.h>
#include <string.h>

/* Where to look, by what the workload does. Every list ends with the cause
 * common to all: samples too short or too few to mean anything. */
static const char *causes_of(const char *program, bool vm_tcg)
{
	if (!strcmp(program, "fileio"))
		return "page cache (was the I/O O_DIRECT on both sides? `direct` in each sample's "
		       "output), fsync semantics of the storage (a volatile overlay upper or a "
		       "write-back disk cache makes fdatasync free), different storage (file "
		       "system, device, mount options of each backend), too-short samples";
	if (!strcmp(program, "mem") || !strcmp(program, "randmem"))
		return vm_tcg ? "the guest's clock (the workload times itself inside the guest; "
				"under TCG that clock can run slow and flatter the VM), CPU "
				"placement, frequency scaling, too-short samples"
			      : "CPU placement (same CPUs and NUMA node? SMT siblings?), "
				"frequency scaling (governor, turbo), memory placement "
				"(transparent huge pages), a table that fits in the cache, "
				"too-short samples";
	if (vm_tcg)
		return "the guest's clock (the workload times itself inside the guest; under TCG "
		       "that clock can run slow and flatter the VM), CPU placement, frequency "
		       "scaling, too-short samples";
	return "CPU placement (same CPUs and NUMA node? SMT siblings?), frequency scaling "
	       "(governor, turbo: a later sample may run at a higher clock), page cache, "
	       "too-short samples";
}

/* What the permutation test says about the same difference. */
static void evidence(char *buf, size_t len, const struct hvc_bench_sanity_in *in)
{
	if (!hvc_stats_ci_allowed(in->n) || !hvc_stats_ci_allowed(in->n_native))
		snprintf(buf, len,
			 " With n = %zu (native %zu) no test can tell this from noise: rerun with "
			 "more repetitions before reading anything into it.",
			 in->n, in->n_native);
	else if (isfinite(in->p_adjusted) && in->p_adjusted < 0.05)
		snprintf(buf, len,
			 " The permutation test supports the difference (Holm-adjusted p = %.3g): "
			 "find its cause before publishing the figure.",
			 in->p_adjusted);
	else if (isfinite(in->p_adjusted))
		snprintf(buf, len,
			 " The permutation test does not support a difference (Holm-adjusted p = "
			 "%.3g): most likely noise.",
			 in->p_adjusted);
	else
		buf[0] = '\0';
}

static json_object *flag_new(const char *code, const char *severity, char *text, const char *check)
{
	json_object *f = json_object_new_object();
	hvc_json_add_string(f, "code", code);
	hvc_json_add_string(f, "severity", severity);
	hvc_json_add_string(f, "text", text);
	if (check) /* the causes alone, so a report can name them once per workload kind */
		hvc_json_add_string(f, "check", check);
	free(text);
	return f;
}

/* A VM faster on syscall under TCG: real, and explained where it appears. */
static json_object *tcg_syscall_note(const struct hvc_bench_sanity_in *in)
{
	return flag_new(
	    "vm_syscall_tcg", "explained",
	    hvc_xasprintf(
		"vm %s %s is %.2f × native under TCG, and that is real: the guest's system "
		"call is handled by the guest kernel inside QEMU's translated code and never "
		"enters the host kernel, so none of the host's speculative-execution "
		"mitigations (page-table isolation, retpolines, return-buffer stuffing) are in "
		"its path, while every native call pays them. It says nothing about a VM "
		"under KVM.",
		in->workload, in->metric, in->ratio),
	    NULL);
}

bool hvc_bench_sanity_is_peer(const char *backend)
{
	return !strcmp(backend, "container") || !strcmp(backend, "runc") ||
	       !strcmp(backend, "crun");
}

json_object *hvc_bench_sanity_flag(const struct hvc_bench_sanity_in *in)
{
	if (!isfinite(in->ratio) || in->ratio <= HVC_BENCH_SANITY_MARGIN)
		return NULL;
	bool vm = !strcmp(in->backend, "vm");
	if (!vm && !hvc_bench_sanity_is_peer(in->backend))
		return NULL; /* native is the reference */
	const char *program = in->program ? in->program : in->workload;
	bool tcg = vm && in->accel && !strcmp(in->accel, "tcg");
	if (tcg && !strcmp(program, "syscall"))
		return tcg_syscall_note(in);
	char ev[256];
	evidence(ev, sizeof(ev), in);
	const char *check = causes_of(program, tcg);
	return flag_new(
	    "faster_than_native", "suspect",
	    hvc_xasprintf("%s %s %s is %.2f × native (%.0f %% better than native), which "
			  "isolation cannot explain: %s only adds work to the same program on "
			  "the same CPUs. Check: %s.%s",
			  in->backend, in->workload, in->metric, in->ratio,
			  100.0 * (in->ratio - 1.0), vm ? "a VM" : "a container", check, ev),
	    check);
}
