/* hvc-workload syscall: the cost of a trivial system call round trip,
 * getppid(2) issued with syscall(2) so no libc caching can hide the kernel
 * entry. This is where seccomp filters, KPTI and (for VMs) the emulated
 * CPU's privilege transitions show up. Runs for --seconds in batches (or
 * exactly --count calls; --min-seconds repeats that count until the floor);
 * ns per call = elapsed / calls. Validated: every call returns the same,
 * non-negative parent pid as the first (a broken syscall path cannot
 * report a number). */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

#define SYSCALL_DEFAULT_SECONDS 1.0
#define SYSCALL_BATCH 1000

int wl_syscall(const struct wl_opts *o)
{
	double seconds = o->seconds < 0 ? SYSCALL_DEFAULT_SECONDS : o->seconds;
	long expect = syscall(SYS_getppid);
	if (expect < 0)
		return wl_fail(o->name, "getppid failed");
	if (o->corrupt)
		expect += 1;
	if (seconds < o->min_seconds)
		seconds = o->min_seconds;
	unsigned long long calls = 0, wrong = 0, round = 0;
	double start = wl_now(), end, deadline = o->count ? 1e300 : start + seconds;
	for (;;) {
		unsigned long long batch = SYSCALL_BATCH;
		if (o->count && o->count - round < batch)
			batch = o->count - round;
		for (unsigned long long i = 0; i < batch; i++)
			wrong += syscall(SYS_getppid) != expect;
		calls += batch;
		round += batch;
		end = wl_now();
		if (o->count && round == o->count) {
			/* A whole --count round is the unit --min-seconds repeats. */
			if (end - start >= o->min_seconds)
				break;
			round = 0;
		} else if (!o->count && end >= deadline) {
			break;
		}
	}
	if (wrong)
		return wl_fail(o->name,
			       "getppid returned an unexpected value in %llu of %llu calls", wrong,
			       calls);
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_str(&r, "call", "getppid");
	wl_result_int(&r, "calls", (long long)calls);
	wl_result_num_pos(&r, "elapsed_s", end - start);
	wl_result_num_pos(&r, "ns_per_call", (end - start) / (double)calls * 1e9);
	wl_result_num_pos(&r, "calls_per_s", (double)calls / (end - start));
	wl_result_measured(&r, o->min_seconds, end - start, (long long)calls);
	return wl_result_end(&r);
}
