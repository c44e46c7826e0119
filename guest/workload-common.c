/* hvc-workload: the JSON result line and the small helpers every workload
 * shares (clock, sizes, RAM size, threads). libc only. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "workload.h"

static void append(struct wl_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(struct wl_result *r, const char *fmt, ...)
{
	if (r->len >= sizeof(r->buf))
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len) {
		r->len = sizeof(r->buf);
		if (!r->bad[0])
			snprintf(r->bad, sizeof(r->bad), "result line longer than %zu bytes",
				 sizeof(r->buf));
		return;
	}
	r->len += (size_t)n;
}

/* JSON string body: quotes, backslashes and control characters escaped. */
static void append_escaped(struct wl_result *r, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			append(r, "\\%c", c);
		else if (c < 0x20)
			append(r, "\\u%04x", c);
		else
			append(r, "%c", c);
	}
}

void wl_result_begin(struct wl_result *r, const char *workload)
{
	r->len = 0;
	r->bad[0] = '\0';
	r->workload = workload;
	append(r, "{\"workload\":\"");
	append_escaped(r, workload);
	append(r, "\",\"schema\":%d,\"ok\":true", WL_SCHEMA);
}

void wl_result_num(struct wl_result *r, const char *key, double v)
{
	if (!isfinite(v)) {
		if (!r->bad[0])
			snprintf(r->bad, sizeof(r->bad),
				 "internal error: %s is not a finite number", key);
		return;
	}
	append(r, ",\"%s\":%.6g", key, v);
}

void wl_result_num_pos(struct wl_result *r, const char *key, double v)
{
	if (isfinite(v) && v <= 0 && !r->bad[0])
		snprintf(r->bad, sizeof(r->bad),
			 "measured %s is %g, not positive (clock or workload broken)", key, v);
	wl_result_num(r, key, v);
}

void wl_result_int(struct wl_result *r, const char *key, long long v)
{
	append(r, ",\"%s\":%lld", key, v);
}

void wl_result_str(struct wl_result *r, const char *key, const char *v)
{
	append(r, ",\"%s\":\"", key);
	append_escaped(r, v);
	append(r, "\"");
}

void wl_result_bool(struct wl_result *r, const char *key, bool v)
{
	append(r, ",\"%s\":%s", key, v ? "true" : "false");
}

int wl_result_end(struct wl_result *r)
{
	if (r->bad[0])
		return wl_fail(r->workload, "%s", r->bad);
	fwrite(r->buf, 1, r->len, stdout);
	fputs("}\n", stdout);
	fflush(stdout);
	return 0;
}

void wl_result_measured(struct wl_result *r, double min_seconds, double measured_s,
			long long repeats)
{
	wl_result_num(r, "min_seconds", min_seconds);
	wl_result_num_pos(r, "measured_s", measured_s);
	wl_result_int(r, "repeats", repeats);
}

int wl_fail(const char *workload, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct wl_result r = {.len = 0, .workload = workload};
	append(&r, "{\"workload\":\"");
	append_escaped(&r, workload);
	append(&r, "\",\"schema\":%d,\"ok\":false,\"error\":\"", WL_SCHEMA);
	append_escaped(&r, msg);
	fwrite(r.buf, 1, r.len, stdout);
	fputs("\"}\n", stdout);
	fflush(stdout);
	fprintf(stderr, "hvc-workload: %s: %s\n", workload, msg);
	return 1;
}

double wl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int wl_parse_size(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return -1;
	double mult = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		mult = 1024.0;
		end++;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		end++;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (mult > 1 && (!strcasecmp(end, "ib") || !strcasecmp(end, "b")))
		end += strlen(end);
	if (*end)
		return -1;
	v *= mult;
	if (v > 1e18)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

uint64_t wl_total_ram(void)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

int wl_run_threads(unsigned n, void *(*fn)(void *), void *args, size_t argsize)
{
	pthread_t tid[n > 1 ? n : 1];
	unsigned started = 1;
	int err = 0;
	for (unsigned i = 1; i < n; i++) {
		err = pthread_create(&tid[i], NULL, fn, (char *)args + i * argsize);
		if (err)
			break;
		started++;
	}
	if (err) {
		/* Threads already started may wait on a barrier sized for n: the
		 * caller cannot recover, so report and let the process exit. */
		for (unsigned i = 1; i < started; i++)
			pthread_detach(tid[i]);
		return -err;
	}
	fn(args);
	for (unsigned i = 1; i < n; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
