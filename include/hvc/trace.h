/* hvc/trace: the live trace of a start (`hvc run --trace`, `hvc vm run
 * --trace`): one event per step, as human lines or JSON lines, on one sink.
 *
 * Off by default, and then a trace point costs one load and one
 * not-taken branch: HVC_TRACE() evaluates none of its arguments, allocates
 * nothing and makes no system call. Built with -DHVC_NO_TRACE, trace points
 * compile to nothing (the comparison build of docs/trace.md).
 *
 * A child that shares the caller's memory (the container's first process,
 * CLONE_VM | CLONE_VFORK) may neither allocate nor take a lock: between
 * hvc_trace_relay_begin() and _end() every event is formatted on the stack
 * into one fixed-size record and written with write(2) to a pipe, which the
 * parent reads (hvc_trace_relay_drain) and emits with the child's own
 * timestamps. The relay state is per process: one traced start at a time
 * (the CLI's case); the bench harness's threads never trace. */
#ifndef HVC_TRACE_H
#define HVC_TRACE_H

#include <stdbool.h>
#include <stdint.h>

enum hvc_trace_mode { HVC_TRACE_OFF = 0, HVC_TRACE_TEXT = 1, HVC_TRACE_JSON = 2 };

/* The mode (enum hvc_trace_mode); read by every trace point, set only by
 * hvc_trace_start/_stop. */
extern int hvc_trace_mode_;

#ifdef HVC_NO_TRACE
#define hvc_trace_on() false
/* (still type-checked, and its arguments count as used) */
#define HVC_TRACE(event, ...)                                  \
	do {                                                   \
		if (0)                                         \
			hvc_trace_emit((event), __VA_ARGS__);  \
	} while (0)
#else
#define hvc_trace_on() __builtin_expect(hvc_trace_mode_ != HVC_TRACE_OFF, 0)
/* One event: a dotted name a student can grep ("mount.proc", "cgroup.write")
 * and a printf message. */
#define HVC_TRACE(event, ...)                                  \
	do {                                                   \
		if (hvc_trace_on())                            \
			hvc_trace_emit((event), __VA_ARGS__);  \
	} while (0)
#endif

/* "--trace" (arg NULL or "text") or "--trace=json": the mode, or -1. */
int hvc_trace_mode_parse(const char *arg);
/* Starts tracing to fd (not closed; usually 2). Elapsed times count from
 * now. src names this process in every event ("hvc"). */
void hvc_trace_start(enum hvc_trace_mode mode, int fd, const char *src);
void hvc_trace_stop(void);
/* The monotonic start of the trace (CLOCK_MONOTONIC ns), 0 when off. */
uint64_t hvc_trace_t0(void);

void hvc_trace_emit(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An event that happened elsewhere (a child, the guest): its own
 * timestamp (CLOCK_MONOTONIC ns, 0: now) and source. */
void hvc_trace_emit_at(uint64_t ts, const char *src, const char *event, const char *msg);

/* The relay. open: a pipe (close-on-exec, non-blocking write end: a full
 * pipe drops events, counted, rather than stall a child its reader waits
 * for); begin: from now on events of this memory image go to wfd as
 * records, tagged src (call it just before the clone); end: back to the
 * sink (just after the clone returns, in the parent); drain: emits the
 * records waiting in rfd — all of them up to EOF when until_eof. */
int hvc_trace_relay_open(int p[2]);
void hvc_trace_relay_begin(int wfd, const char *src);
void hvc_trace_relay_end(void);
void hvc_trace_relay_drain(int rfd, bool until_eof);

/* Formats the event for the sink without writing it: the text line or the
 * JSON line (with '\n'), into buf. For the unit tests. */
void hvc_trace_format(enum hvc_trace_mode mode, uint64_t ts, const char *src, const char *event,
		      const char *msg, char *buf, size_t len);

#endif
