/* hvc-workload idle: prints its result line at once (the host takes it as
 * "the workload is up", for startup time) and then sleeps, so the host can
 * measure what an idle instance costs (footprint). SIGTERM/SIGINT end the
 * sleep early with status 0: stopping an idle instance is not a failure. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int wl_idle(const struct wl_opts *o)
{
	double secs = o->seconds < 0 ? 0 : o->seconds;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_bool(&r, "ready", true);
	wl_result_int(&r, "pid", (long long)getpid());
	if (secs >= 1e300)
		wl_result_bool(&r, "until_signal", true); /* `idle inf` */
	else
		wl_result_num(&r, "sleep_s", secs);
	/* The workload's own peak RSS so far: the host measures the instance. */
	wl_result_int(&r, "maxrss_kib", (long long)ru.ru_maxrss);
	int rc = wl_result_end(&r);
	if (rc)
		return rc;

	double end = wl_now() + secs;
	while (!stop) {
		double left = end - wl_now();
		if (left <= 0)
			break;
		if (left > 3600)
			left = 3600;
		struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
		nanosleep(&ts, NULL); /* EINTR on a signal: the loop re-checks stop */
	}
	return 0;
}
